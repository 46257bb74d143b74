/*
 * Screen power follows the opening hours: a fake clock (wall and monotonic
 * times passed in by the test) walks through a week, and a fake cec-ctl
 * (tests/bin/fake-cec-ctl, a real program started by posix_spawn) records
 * every call, so the test reads back exactly which commands the TV got and
 * when.  Failures, hangs, a missing device or tool, and an untrusted clock
 * are covered with the log lines a person would read.  When the real cec-ctl
 * is installed, the same argument list is also fed to it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../src/base/log.h"
#include "../../src/platform/platcfg.h"
#include "../../src/platform/screenpower.h"
#include "test.h"

static char dir[64], ctl[128], dev[128], logpath[128];
static FILE *log_file;

static time_t at(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {0};
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return strdup("");
	char *buf = calloc(1, 65536);
	size_t n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void put(const char *suffix, const char *text)
{
	char path[192];
	snprintf(path, sizeof path, "%s%s", ctl, suffix);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void drop(const char *suffix)
{
	char path[192];
	snprintf(path, sizeof path, "%s%s", ctl, suffix);
	unlink(path);
}

/* The recorded calls, one per line. */
static char *calls(void)
{
	char path[192];
	snprintf(path, sizeof path, "%s.calls", ctl);
	return slurp(path);
}

static int n_calls(void)
{
	char *c = calls();
	int n = 0;
	for (char *p = c; *p; p++)
		n += *p == '\n';
	free(c);
	return n;
}

/* Line i (0-based) of the calls, in a static buffer. */
static const char *call(int i)
{
	static char line[512];
	char *c = calls();
	char *p = c;
	for (int k = 0; k < i && p; k++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	line[0] = '\0';
	if (p && *p) {
		size_t l = strcspn(p, "\n");
		snprintf(line, sizeof line, "%.*s", (int)l, p);
	}
	free(c);
	return line;
}

static const char *expected(const char *verb)
{
	static char buf[512];
	snprintf(buf, sizeof buf, "-d %s --skip-info --playback --osd-name balie --to 0 %s", dev, verb);
	return buf;
}

static void reset(void)
{
	drop(".calls");
	drop(".env");
	drop(".exit");
	drop(".sleep");
	if (log_file)
		fclose(log_file);
	log_file = fopen(logpath, "w+");
	log_set_fd(fileno(log_file));
}

static int occurrences(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static char *log_text(void)
{
	return slurp(logpath);
}

/* Run updates (advancing the fake monotonic clock 10 ms per real 10 ms)
 * until no command is running. */
static void settle(screenpower_t *sp, const schedule_t *s, bool good, time_t wall, int64_t *mono)
{
	for (int i = 0; i < 1000; i++) {
		screenpower_update(sp, s, good, wall, *mono);
		if (!screenpower_busy(sp))
			return;
		usleep(10000);
		*mono += 10;
	}
}

static schedule_t *office(void)
{
	schedule_t *s = schedule_new();
	char *err = NULL;
	if (!schedule_set(s, "weekdays", "08:30-17:00", &err) ||
	    !schedule_set(s, "2026-12-25", "closed", &err)) {
		printf("setup: %s\n", err);
		free(err);
	}
	return s;
}

static screenpower_t *make(screenpower_mode_t mode, const char *device, const char *active)
{
	screenpower_opts_t o = {0};
	o.mode = mode;
	o.cec_ctl = ctl;
	o.cec_device = device;
	o.active_source = active;
	o.timeout_ms = 2000;
	o.retry_ms = 60000;
	return screenpower_new(&o);
}

TEST(follows_the_schedule_through_a_week)
{
	reset();
	schedule_t *s = office();
	screenpower_t *sp = make(SCREENPOWER_AUTO, dev, NULL);
	int64_t mono = 1000;

	/* Monday 12:00, open: the TV is woken once at start */
	settle(sp, s, true, at(2026, 11, 30, 12, 0), &mono);
	CHECK_INT(n_calls(), 1);
	CHECK_STR(call(0), expected("--image-view-on"));
	CHECK(!screenpower_blanked(sp));
	CHECK(screenpower_cec_ok(sp));

	/* still open at 16:59: nothing new */
	mono += 1000;
	settle(sp, s, true, at(2026, 11, 30, 16, 59), &mono);
	CHECK_INT(n_calls(), 1);

	/* 17:00: standby, picture blanked */
	mono += 1000;
	settle(sp, s, true, at(2026, 11, 30, 17, 0), &mono);
	CHECK_INT(n_calls(), 2);
	CHECK_STR(call(1), expected("--standby"));
	CHECK(screenpower_blanked(sp));

	/* the night passes without further calls */
	for (int h = 18; h < 24; h++) {
		mono += 1000;
		settle(sp, s, true, at(2026, 11, 30, h, 0), &mono);
	}
	settle(sp, s, true, at(2026, 12, 1, 8, 29), &mono);
	CHECK_INT(n_calls(), 2);

	/* Tuesday 08:30: on again */
	mono += 1000;
	settle(sp, s, true, at(2026, 12, 1, 8, 30), &mono);
	CHECK_INT(n_calls(), 3);
	CHECK_STR(call(2), expected("--image-view-on"));
	CHECK(!screenpower_blanked(sp));

	/* Christmas (a Friday, closed by exception): off at the first look */
	mono += 1000;
	settle(sp, s, true, at(2026, 12, 25, 10, 0), &mono);
	CHECK_INT(n_calls(), 4);
	CHECK_STR(call(3), expected("--standby"));

	char *log = log_text();
	CHECK(strstr(log, "screen: opening hours: closed until Mon 2026-12-28 08:30; screen off"));
	CHECK(strstr(log, "screen: TV put in standby via HDMI-CEC"));
	free(log);
	screenpower_free(sp);
	schedule_free(s);
}

TEST(helper_gets_a_clean_environment)
{
	reset();
	setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1);
	setenv("BALIE_SECRET_TOKEN", "hunter2", 1);
	screenpower_t *sp = make(SCREENPOWER_CEC, dev, NULL);
	int64_t mono = 0;
	settle(sp, NULL, true, at(2026, 11, 30, 12, 0), &mono);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("BALIE_SECRET_TOKEN");
	char path[192];
	snprintf(path, sizeof path, "%s.env", ctl);
	char *env = slurp(path);
	EXPECT(strstr(env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n") != NULL);
	EXPECT(strstr(env, "NOTIFY_SOCKET") == NULL);
	EXPECT(strstr(env, "hunter2") == NULL);
	free(env);
	screenpower_free(sp);
}

TEST(unsynchronised_clock_keeps_the_screen_on)
{
	reset();
	schedule_t *s = office();
	screenpower_t *sp = make(SCREENPOWER_AUTO, dev, NULL);
	int64_t mono = 0;
	/* a Pi without RTC boots believing it is Sunday night 1970 */
	settle(sp, s, false, (time_t)3 * 86400 + 22 * 3600, &mono);
	CHECK(!screenpower_blanked(sp));
	CHECK_INT(n_calls(), 1);
	CHECK_STR(call(0), expected("--image-view-on"));
	char *log = log_text();
	CHECK(strstr(log, "screen: the clock is not synchronised yet; the screen stays on until it is"));
	free(log);
	/* NTP arrives: it is Monday 20:00, closed */
	mono += 1000;
	settle(sp, s, true, at(2026, 11, 30, 20, 0), &mono);
	CHECK(screenpower_blanked(sp));
	CHECK_INT(n_calls(), 2);
	CHECK_STR(call(1), expected("--standby"));
	screenpower_free(sp);

	/* trust_clock: acts at once without NTP */
	reset();
	char *err = NULL;
	CHECK(schedule_set(s, "trust_clock", "yes", &err));
	sp = make(SCREENPOWER_AUTO, dev, NULL);
	settle(sp, s, false, at(2026, 11, 30, 20, 0), &mono);
	CHECK(screenpower_blanked(sp));
	CHECK_INT(n_calls(), 1);
	CHECK_STR(call(0), expected("--standby"));
	screenpower_free(sp);
	schedule_free(s);
}

TEST(active_source_follows_image_view_on)
{
	reset();
	schedule_t *s = office();
	screenpower_t *sp = make(SCREENPOWER_CEC, dev, "1.0.0.0");
	int64_t mono = 0;
	settle(sp, s, true, at(2026, 11, 30, 12, 0), &mono);
	CHECK_INT(n_calls(), 2);
	CHECK_STR(call(0), expected("--image-view-on"));
	CHECK_STR(call(1), expected("--active-source phys-addr=1.0.0.0"));
	CHECK(screenpower_cec_ok(sp));
	mono += 1000;
	settle(sp, s, true, at(2026, 11, 30, 18, 0), &mono);
	CHECK_INT(n_calls(), 3);
	CHECK_STR(call(2), expected("--standby"));
	screenpower_free(sp);
	schedule_free(s);
}

TEST(failure_blanks_logs_once_and_retries)
{
	reset();
	schedule_t *s = office();
	screenpower_t *sp = make(SCREENPOWER_AUTO, dev, NULL);
	int64_t mono = 0;
	settle(sp, s, true, at(2026, 11, 30, 12, 0), &mono);
	CHECK_INT(n_calls(), 1);

	put(".exit", "1\n");
	mono += 1000;
	settle(sp, s, true, at(2026, 11, 30, 17, 30), &mono);
	CHECK_INT(n_calls(), 2);
	CHECK(screenpower_blanked(sp)); /* the picture goes dark anyway */
	CHECK(!screenpower_cec_ok(sp));
	char want[512];
	snprintf(want, sizeof want,
	         "screen: cec-ctl --standby on %s failed (exit status 1); blanking the picture "
	         "instead; retrying in 1 min", dev);
	char *log = log_text();
	CHECK(strstr(log, want));
	free(log);

	/* not before the retry time */
	mono += 30000;
	settle(sp, s, true, at(2026, 11, 30, 17, 31), &mono);
	CHECK_INT(n_calls(), 2);
	/* the retry fails the same way: logged once, not again */
	mono += 31000;
	settle(sp, s, true, at(2026, 11, 30, 17, 32), &mono);
	CHECK_INT(n_calls(), 3);
	log = log_text();
	CHECK_INT(occurrences(log, want), 1);
	free(log);
	/* the TV answers again */
	drop(".exit");
	mono += 61000;
	settle(sp, s, true, at(2026, 11, 30, 17, 33), &mono);
	CHECK_INT(n_calls(), 4);
	CHECK(screenpower_cec_ok(sp));
	log = log_text();
	CHECK(strstr(log, "cec-ctl works again"));
	free(log);
	screenpower_free(sp);
	schedule_free(s);
}

TEST(hung_helper_is_killed)
{
	reset();
	schedule_t *s = office();
	screenpower_t *sp = make(SCREENPOWER_AUTO, dev, NULL);
	put(".sleep", "30\n");
	int64_t mono = 0;
	time_t t0 = time(NULL);
	settle(sp, s, true, at(2026, 11, 30, 12, 0), &mono);
	CHECK(!screenpower_busy(sp));
	CHECK(time(NULL) - t0 < 10);
	CHECK(!screenpower_cec_ok(sp));
	char want[512];
	snprintf(want, sizeof want, "cec-ctl --image-view-on on %s failed (no answer within 2 s)", dev);
	char *log = log_text();
	CHECK(strstr(log, want));
	free(log);
	/* freeing while a command runs kills it at once */
	drop(".sleep");
	mono += 1000;
	put(".sleep", "30\n");
	settle(sp, s, true, at(2026, 11, 30, 18, 0), &mono); /* retry pending: no call yet */
	mono += 61000;
	screenpower_update(sp, s, true, at(2026, 11, 30, 18, 2), mono);
	CHECK(screenpower_busy(sp));
	t0 = time(NULL);
	screenpower_free(sp);
	CHECK(time(NULL) - t0 < 3);
	drop(".sleep");
	schedule_free(s);
}

TEST(state_change_while_busy_is_applied_after)
{
	reset();
	schedule_t *s = office();
	screenpower_t *sp = make(SCREENPOWER_AUTO, dev, NULL);
	put(".sleep", "0.3\n");
	int64_t mono = 0;
	screenpower_update(sp, s, true, at(2026, 11, 30, 12, 0), mono); /* starts image-view-on */
	CHECK(screenpower_busy(sp));
	mono += 10;
	screenpower_update(sp, s, true, at(2026, 11, 30, 17, 0), mono); /* closed meanwhile */
	CHECK(screenpower_blanked(sp));
	settle(sp, s, true, at(2026, 11, 30, 17, 0), &mono);
	drop(".sleep");
	CHECK_INT(n_calls(), 2);
	CHECK_STR(call(0), expected("--image-view-on"));
	CHECK_STR(call(1), expected("--standby"));
	CHECK(screenpower_cec_ok(sp));
	screenpower_free(sp);
	schedule_free(s);
}

TEST(no_cec_device_blanks_only)
{
	reset();
	schedule_t *s = office();
	char missing[160];
	snprintf(missing, sizeof missing, "%s/cec9", dir);
	screenpower_t *sp = make(SCREENPOWER_AUTO, missing, NULL);
	int64_t mono = 0;
	settle(sp, s, true, at(2026, 11, 30, 20, 0), &mono);
	CHECK(screenpower_blanked(sp));
	CHECK_INT(n_calls(), 0);
	char want[512];
	snprintf(want, sizeof want,
	         "screen: the CEC device is missing: %s; outside opening hours the picture is blanked", missing);
	char *log = log_text();
	CHECK(strstr(log, want));
	free(log);
	screenpower_free(sp);

	/* a PC profile has no device at all */
	reset();
	sp = make(SCREENPOWER_AUTO, NULL, NULL);
	settle(sp, s, true, at(2026, 11, 30, 20, 0), &mono);
	CHECK(screenpower_blanked(sp));
	CHECK_INT(n_calls(), 0);
	mono += 1000;
	settle(sp, s, true, at(2026, 12, 1, 9, 0), &mono);
	CHECK(!screenpower_blanked(sp));
	CHECK_INT(n_calls(), 0);
	screenpower_free(sp);

	/* blank mode ignores an existing device */
	reset();
	sp = make(SCREENPOWER_BLANK, dev, NULL);
	settle(sp, s, true, at(2026, 11, 30, 20, 0), &mono);
	CHECK(screenpower_blanked(sp));
	CHECK_INT(n_calls(), 0);
	screenpower_free(sp);

	/* none: the schedule is ignored */
	reset();
	sp = make(SCREENPOWER_NONE, dev, NULL);
	settle(sp, s, true, at(2026, 11, 30, 20, 0), &mono);
	CHECK(!screenpower_blanked(sp));
	CHECK_INT(n_calls(), 0);
	screenpower_free(sp);
	schedule_free(s);
}

TEST(missing_tool_is_reported)
{
	reset();
	schedule_t *s = office();
	screenpower_opts_t o = {0};
	char nothere[160];
	snprintf(nothere, sizeof nothere, "%s/no-cec-ctl", dir);
	o.mode = SCREENPOWER_CEC;
	o.cec_ctl = nothere;
	o.cec_device = dev;
	screenpower_t *sp = screenpower_new(&o);
	int64_t mono = 0;
	settle(sp, s, true, at(2026, 11, 30, 20, 0), &mono);
	CHECK(screenpower_blanked(sp));
	CHECK(!screenpower_cec_ok(sp));
	char want[512];
	snprintf(want, sizeof want,
	         "screen: cannot run %s: No such file or directory (is v4l-utils installed?); "
	         "blanking the picture instead", nothere);
	char *log = log_text();
	CHECK(strstr(log, want));
	free(log);
	screenpower_free(sp);
	schedule_free(s);
}

TEST(real_cec_ctl_accepts_the_arguments)
{
	/* /dev/null opens but is no CEC adapter; cec-ctl 1.22 then still exits 0
	 * for a valid command line, and 1 with its usage text for a bad option. */
	reset();
	screenpower_opts_t o = {0};
	o.mode = SCREENPOWER_CEC;
	o.cec_ctl = "/usr/bin/cec-ctl";
	o.cec_device = "/dev/null";
	o.active_source = "1.0.0.0";
	screenpower_t *sp = screenpower_new(&o);
	schedule_t *s = office();
	int64_t mono = 0;
	settle(sp, s, true, at(2026, 11, 30, 12, 0), &mono);
	CHECK(screenpower_cec_ok(sp));
	mono += 1000;
	settle(sp, s, true, at(2026, 11, 30, 20, 0), &mono);
	CHECK(screenpower_cec_ok(sp));
	screenpower_free(sp);
	schedule_free(s);
}

/* A still screen sleeps: screen power asks for a wake-up only when something
 * is due (it used to ask for one every second, then every 15 s). */
TEST(wakes_only_when_something_is_due)
{
	reset();
	int64_t mono = 5000;
	/* no opening hours: never, whatever the mode */
	screenpower_t *sp = make(SCREENPOWER_AUTO, dev, NULL);
	CHECK_INT(screenpower_next_due_ms(sp, mono), mono); /* not looked yet: now */
	settle(sp, NULL, true, at(2026, 11, 30, 12, 0), &mono);
	CHECK_INT(screenpower_next_due_ms(sp, mono), -1);
	schedule_t *none = schedule_new();
	settle(sp, none, true, at(2026, 11, 30, 12, 0), &mono);
	CHECK_INT(screenpower_next_due_ms(sp, mono), -1);
	schedule_free(none);
	screenpower_free(sp);

	/* opening hours: at the next edge (Monday 16:59:30, closing at 17:00) */
	schedule_t *s = office();
	sp = make(SCREENPOWER_AUTO, dev, NULL);
	settle(sp, s, true, at(2026, 11, 30, 16, 59) + 30, &mono);
	CHECK(!screenpower_blanked(sp));
	CHECK_INT(screenpower_next_due_ms(sp, mono), mono + 30000);
	/* the loop wakes then: closed, the TV goes to standby, and the next
	 * edge (Tuesday 08:30) is far: a look every 15 minutes at most */
	mono += 30000;
	settle(sp, s, true, at(2026, 11, 30, 17, 0), &mono);
	CHECK(screenpower_blanked(sp));
	CHECK_INT(screenpower_next_due_ms(sp, mono), mono + 15 * 60 * 1000);
	/* 08:29:50 on Tuesday: ten seconds to go */
	settle(sp, s, true, at(2026, 12, 1, 8, 29) + 50, &mono);
	CHECK_INT(screenpower_next_due_ms(sp, mono), mono + 10000);
	screenpower_free(sp);

	/* a clock not trusted yet: a look a minute, for the synchronisation */
	sp = make(SCREENPOWER_AUTO, dev, NULL);
	settle(sp, s, false, (time_t)3 * 86400, &mono);
	CHECK_INT(screenpower_next_due_ms(sp, mono), mono + 60000);
	screenpower_free(sp);

	/* "none" ignores the schedule: nothing is ever due */
	sp = make(SCREENPOWER_NONE, dev, NULL);
	settle(sp, s, true, at(2026, 11, 30, 20, 0), &mono);
	CHECK_INT(screenpower_next_due_ms(sp, mono), -1);
	screenpower_free(sp);

	/* a failed command: its retry is due (retry_ms 60 s in make()) */
	put(".exit", "1\n");
	sp = make(SCREENPOWER_CEC, dev, NULL);
	settle(sp, NULL, true, at(2026, 11, 30, 12, 0), &mono);
	CHECK(!screenpower_cec_ok(sp));
	int64_t due = screenpower_next_due_ms(sp, mono);
	CHECK(due > mono && due <= mono + 60000);
	drop(".exit");
	screenpower_free(sp);
	schedule_free(s);
}

TEST(settings_map_to_options)
{
	platcfg_t *pc = platcfg_new();
	char *err = NULL;
	board_t *b = board_new_default();
	free(b->cec_device);
	b->cec_device = strdup("/dev/cec1");
	screenpower_opts_t o;
	platcfg_screenpower_opts(pc, b, &o);
	CHECK_INT(o.mode, SCREENPOWER_AUTO);
	CHECK_STR(o.cec_device, "/dev/cec1");
	CHECK(platcfg_set(pc, "screen", "cec_device", "none", &err));
	platcfg_screenpower_opts(pc, b, &o);
	CHECK(o.cec_device == NULL);
	CHECK(platcfg_set(pc, "screen", "cec_device", "/dev/cec0", &err));
	CHECK(platcfg_set(pc, "screen", "power", "blank", &err));
	CHECK(platcfg_set(pc, "screen", "cec_active_source", "2.1.0.0", &err));
	platcfg_screenpower_opts(pc, b, &o);
	CHECK_STR(o.cec_device, "/dev/cec0");
	CHECK_INT(o.mode, SCREENPOWER_BLANK);
	CHECK_STR(o.active_source, "2.1.0.0");
	board_free(b);
	platcfg_free(pc);
}

int main(void)
{
	setenv("TZ", "Europe/Amsterdam", 1);
	tzset();
	signal(SIGPIPE, SIG_IGN);
	strcpy(dir, "/tmp/balie-screen-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	/* the fake tool, copied so its records land in our own directory */
	snprintf(ctl, sizeof ctl, "%s/cec-ctl", dir);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "cp tests/bin/fake-cec-ctl '%s' && chmod 755 '%s'", ctl, ctl);
	if (system(cmd) != 0) {
		printf("FAIL: setup: cannot copy tests/bin/fake-cec-ctl (run from the repository root)\n");
		return 1;
	}
	/* a stand-in device node: it only has to exist */
	snprintf(dev, sizeof dev, "%s/cec0", dir);
	fclose(fopen(dev, "w"));
	snprintf(logpath, sizeof logpath, "%s/log", dir);

	RUN(follows_the_schedule_through_a_week);
	RUN(helper_gets_a_clean_environment);
	RUN(unsynchronised_clock_keeps_the_screen_on);
	RUN(active_source_follows_image_view_on);
	RUN(failure_blanks_logs_once_and_retries);
	RUN(hung_helper_is_killed);
	RUN(state_change_while_busy_is_applied_after);
	RUN(no_cec_device_blanks_only);
	RUN(missing_tool_is_reported);
	if (access("/usr/bin/cec-ctl", X_OK) == 0)
		RUN(real_cec_ctl_accepts_the_arguments);
	else
		printf("SKIP: real_cec_ctl_accepts_the_arguments: /usr/bin/cec-ctl is not installed (v4l-utils)\n");
	RUN(wakes_only_when_something_is_due);
	RUN(settings_map_to_options);

	log_set_fd(-1);
	if (log_file)
		fclose(log_file);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	log_event_reset();
	return test_summary();
}
