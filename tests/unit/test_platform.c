/*
 * sd_notify without libsystemd, checked against a real AF_UNIX datagram
 * socket standing in for systemd (a path socket and an abstract one): READY
 * once, STATUS deduplicated and cleaned, WATCHDOG rate-limited to half of
 * WATCHDOG_USEC, WATCHDOG_PID honoured.  Also the clock judgement and the
 * [board]/[screen]/[schedule] settings with their messages.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../../src/base/log.h"
#include "../../src/platform/platcfg.h"
#include "../../src/platform/platform.h"
#include "test.h"

static char dir[64];

/* A datagram socket bound at path ("@name" = abstract); returns the fd. */
static int listener(const char *name)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	size_t n = strlen(name);
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	else
		unlink(name);
	if (bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) != 0) {
		perror("bind");
		exit(2);
	}
	return fd;
}

/* The next datagram, or "" when none is waiting (after a short grace). */
static const char *next_msg(int fd)
{
	static char buf[512];
	for (int i = 0; i < 20; i++) {
		ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
		if (n >= 0) {
			buf[n] = '\0';
			return buf;
		}
		usleep(1000);
	}
	return "";
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void env_systemd(const char *sock, const char *usec, const char *pid)
{
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	if (sock)
		setenv("NOTIFY_SOCKET", sock, 1);
	if (usec)
		setenv("WATCHDOG_USEC", usec, 1);
	if (pid)
		setenv("WATCHDOG_PID", pid, 1);
	platform_init();
}

TEST(ready_once_to_a_path_socket)
{
	char path[128];
	snprintf(path, sizeof path, "%s/notify", dir);
	int fd = listener(path);
	env_systemd(path, NULL, NULL);
	platform_ready();
	CHECK_STR(next_msg(fd), "READY=1");
	platform_ready();
	platform_frame_presented();
	CHECK_STR(next_msg(fd), "");
	/* no watchdog configured: kicks send nothing */
	platform_watchdog_kick();
	CHECK_STR(next_msg(fd), "");
	CHECK_INT(platform_watchdog_interval_ms(), -1);
	close(fd);
}

TEST(abstract_socket)
{
	char name[64];
	snprintf(name, sizeof name, "@balie-test-%d", (int)getpid());
	int fd = listener(name);
	env_systemd(name, NULL, NULL);
	CHECK(platform_notify("STATUS=hello"));
	CHECK_STR(next_msg(fd), "STATUS=hello");
	platform_frame_presented(); /* a frame is not readiness: the first complete card is */
	CHECK_STR(next_msg(fd), "");
	platform_ready();
	CHECK_STR(next_msg(fd), "READY=1");
	platform_stopping();
	CHECK_STR(next_msg(fd), "STOPPING=1");
	platform_reloading();
	CHECK_STR(next_msg(fd), "RELOADING=1");
	platform_reload_done();
	CHECK_STR(next_msg(fd), "READY=1");
	close(fd);
}

TEST(status_is_cleaned_and_deduplicated)
{
	char path[128];
	snprintf(path, sizeof path, "%s/notify-status", dir);
	int fd = listener(path);
	env_systemd(path, NULL, NULL);
	platform_status("online\n42 posts\r\nREADY=1");
	CHECK_STR(next_msg(fd), "STATUS=online 42 posts  READY=1");
	platform_status("online\n42 posts\r\nREADY=1");
	CHECK_STR(next_msg(fd), "");
	platform_status("offline since 10:02, showing 42 cached posts");
	CHECK_STR(next_msg(fd), "STATUS=offline since 10:02, showing 42 cached posts");
	char big[400];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	platform_status(big);
	CHECK_INT(strlen(next_msg(fd)), strlen("STATUS=") + 200);
	close(fd);
}

TEST(watchdog_is_rate_limited_to_half_the_interval)
{
	char path[128];
	snprintf(path, sizeof path, "%s/notify-wd", dir);
	int fd = listener(path);
	env_systemd(path, "400000", NULL); /* WatchdogSec=0.4 */
	CHECK_INT(platform_watchdog_interval_ms(), 200);
	platform_watchdog_kick();
	CHECK_STR(next_msg(fd), "WATCHDOG=1");
	for (int i = 0; i < 50; i++)
		platform_watchdog_kick(); /* a busy main loop */
	CHECK_STR(next_msg(fd), "");
	sleep_ms(210);
	platform_watchdog_kick();
	CHECK_STR(next_msg(fd), "WATCHDOG=1");
	/* frames count as kicks */
	sleep_ms(210);
	platform_frame_presented();
	CHECK_STR(next_msg(fd), "WATCHDOG=1");
	close(fd);
}

TEST(watchdog_pid_of_another_process_disables_it)
{
	char path[128];
	snprintf(path, sizeof path, "%s/notify-pid", dir);
	int fd = listener(path);
	char other[32], mine[32];
	snprintf(other, sizeof other, "%d", (int)getpid() + 1);
	snprintf(mine, sizeof mine, "%d", (int)getpid());
	env_systemd(path, "10000000", other);
	CHECK_INT(platform_watchdog_interval_ms(), -1);
	platform_watchdog_kick();
	CHECK_STR(next_msg(fd), "");
	env_systemd(path, "10000000", mine);
	CHECK_INT(platform_watchdog_interval_ms(), 5000);
	platform_watchdog_kick();
	CHECK_STR(next_msg(fd), "WATCHDOG=1");
	close(fd);
}

TEST(outside_systemd_and_bad_environment)
{
	char logpath[128];
	snprintf(logpath, sizeof logpath, "%s/log", dir);
	FILE *lf = fopen(logpath, "w+");
	CHECK(lf);
	log_set_fd(fileno(lf));

	env_systemd(NULL, NULL, NULL);
	CHECK(!platform_notify("READY=1"));
	platform_ready();
	platform_watchdog_kick();

	env_systemd("relative/path", "abc", NULL);
	CHECK(!platform_notify("READY=1"));
	CHECK_INT(platform_watchdog_interval_ms(), -1);

	/* systemd went away: the send fails, is logged once, and nothing breaks */
	char gone[128];
	snprintf(gone, sizeof gone, "%s/no-such-socket", dir);
	env_systemd(gone, NULL, NULL);
	CHECK(!platform_notify("STATUS=a"));
	CHECK(!platform_notify("STATUS=a"));
	log_set_fd(-1);

	char buf[2048] = "";
	rewind(lf);
	size_t n = fread(buf, 1, sizeof buf - 1, lf);
	buf[n] = '\0';
	fclose(lf);
	EXPECT(strstr(buf, "platform: ignoring NOTIFY_SOCKET: not an absolute path or abstract name"));
	EXPECT(strstr(buf, "platform: ignoring WATCHDOG_USEC: not a positive number"));
	char want[256];
	snprintf(want, sizeof want, "platform: sd_notify to %s failed: No such file or directory; "
	                            "systemd may restart balie", gone);
	EXPECT(strstr(buf, want));
	EXPECT(strstr(buf, want) && !strstr(strstr(buf, want) + 1, want));
	log_event_reset();
}

TEST(clock_judgement)
{
	char flag[128];
	snprintf(flag, sizeof flag, "%s/synchronized", dir);
	unlink(flag);
	/* no flag file: the kernel's word decides */
	EXPECT(!platform_clock_judge(flag, TIME_ERROR, 0));
	EXPECT(!platform_clock_judge(flag, TIME_OK, STA_UNSYNC));
	EXPECT(!platform_clock_judge(flag, -1, 0));      /* EPERM under ProtectClock= */
	EXPECT(platform_clock_judge(flag, TIME_OK, STA_PLL));
	EXPECT(platform_clock_judge(NULL, TIME_INS, 0)); /* leap second pending: synced */
	/* timesyncd's flag file wins over everything */
	fclose(fopen(flag, "w"));
	EXPECT(platform_clock_judge(flag, TIME_ERROR, STA_UNSYNC));
	EXPECT(platform_clock_judge(flag, -1, 0));
	unlink(flag);
	/* the real call does not crash, whatever this machine's clock says */
	bool good = platform_clock_good();
	EXPECT(good == platform_clock_good());
}

TEST(platform_settings)
{
	platcfg_t *pc = platcfg_new();
	char *err = NULL;
	CHECK(platcfg_handles("board") && platcfg_handles("screen") && platcfg_handles("schedule"));
	CHECK(!platcfg_handles("display"));
	CHECK(platcfg_set(pc, "board", "profile", "pi4", &err));
	CHECK_STR(pc->board_profile, "pi4");
	CHECK(platcfg_set(pc, "board", "profile", "auto", &err));
	CHECK(pc->board_profile == NULL);
	CHECK(platcfg_set(pc, "board", "dir", "/etc/balie/boards", &err));
	CHECK(platcfg_set(pc, "screen", "burnin_px", "4", &err));
	CHECK(platcfg_set(pc, "schedule", "weekdays", "08:30-17:00", &err));
	CHECK(schedule_is_configured(pc->schedule));

	board_t *b = board_new_default();
	CHECK_INT(platcfg_burnin_px(pc, b), 4);
	CHECK_INT(platcfg_burnin_step_s(pc, b), 120);
	platcfg_t *copy = platcfg_copy(pc);
	platcfg_free(pc);
	CHECK_STR(copy->boards_dir, "/etc/balie/boards");
	CHECK(schedule_is_configured(copy->schedule));
	pc = copy;

	static const struct {
		const char *section, *key, *value, *msg;
	} bad[] = {
		{"board", "profile", "../../etc", "\"../../etc\": expected auto or a profile name such as pi4 (letters, digits, - and _)"},
		{"board", "dir", "boards", "\"boards\": expected an absolute path"},
		{"board", "colour", "red", "unknown key (expected profile or dir)"},
		{"screen", "power", "sometimes", "\"sometimes\": expected auto, cec, blank or none"},
		{"screen", "cec_device", "cec0", "\"cec0\": expected an absolute path or none"},
		{"screen", "cec_active_source", "1.0.0", "\"1.0.0\": expected an HDMI physical address such as 1.0.0.0"},
		{"screen", "burnin_px", "100", "\"100\": expected a whole number from 0 to 64"},
		{"screen", "burnin_step_s", "0", "\"0\": expected a whole number from 1 to 86400"},
		{"screen", "brightness", "5", "unknown key (expected power, cec_device, cec_ctl, cec_active_source, burnin_px or burnin_step_s)"},
		{"schedule", "monday", "9-5", "\"9-5\": expected HH:MM-HH:MM (several separated by commas), \"open\" or \"closed\""},
		{"display", "x", "y", "section [display] is not a platform section"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err = NULL;
		if (platcfg_set(pc, bad[i].section, bad[i].key, bad[i].value, &err)) {
			TEST_FAIL_("[%s] %s = %s was accepted", bad[i].section, bad[i].key, bad[i].value);
			continue;
		}
		if (strcmp(err, bad[i].msg) != 0)
			TEST_FAIL_("[%s] %s: got \"%s\", expected \"%s\"", bad[i].section, bad[i].key, err, bad[i].msg);
		free(err);
	}
	/* failed sets left the values alone */
	CHECK_INT(pc->burnin_px, 4);
	CHECK_STR(pc->boards_dir, "/etc/balie/boards");
	board_free(b);
	platcfg_free(pc);
}

int main(void)
{
	strcpy(dir, "/tmp/balie-platform-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	RUN(ready_once_to_a_path_socket);
	RUN(abstract_socket);
	RUN(status_is_cleaned_and_deduplicated);
	RUN(watchdog_is_rate_limited_to_half_the_interval);
	RUN(watchdog_pid_of_another_process_disables_it);
	RUN(outside_systemd_and_bad_environment);
	RUN(clock_judgement);
	RUN(platform_settings);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return test_summary();
}
