/* vt: which terminals get the console-switch lock, and the ioctl sequence of
 * the lock itself.  No test ever opens a real console: the sequence runs on
 * a pipe through vt_set_ioctl(), so this test cannot lock this machine's
 * keyboard.  It was not tried on a real console. */
#include <errno.h>
#include <fcntl.h>
#include <linux/vt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/base/log.h"
#include "../../src/platform/vt.h"
#include "test.h"

/* ---- a fake console: every VT ioctl is recorded ------------------------------ */

#define MAX_CALLS 32
static struct call {
	unsigned long request;
	struct vt_mode mode; /* VT_SETMODE */
	long arg;            /* VT_RELDISP */
} calls[MAX_CALLS];
static volatile int n_calls;
static int fail_setmode;   /* errno for the next VT_SETMODE, 0 = succeed */
static int report_fd = -1; /* the forked child writes each call here */

static int fake_ioctl(int fd, unsigned long request, void *arg)
{
	(void)fd;
	struct call c;
	memset(&c, 0, sizeof c);
	c.request = request;
	if (request == VT_SETMODE)
		memcpy(&c.mode, arg, sizeof c.mode);
	if (request == VT_RELDISP)
		c.arg = (long)(intptr_t)arg;
	if (n_calls < MAX_CALLS)
		calls[n_calls++] = c;
	if (report_fd >= 0)
		(void)!write(report_fd, &c, sizeof c);
	if (request == VT_GETMODE) {
		struct vt_mode m;
		memset(&m, 0, sizeof m);
		m.mode = VT_AUTO;
		memcpy(arg, &m, sizeof m);
	}
	if (request == VT_SETMODE && fail_setmode) {
		errno = fail_setmode;
		fail_setmode = 0;
		return -1;
	}
	return 0;
}

static void reset_fake(void)
{
	n_calls = 0;
	fail_setmode = 0;
	vt_set_ioctl(fake_ioctl);
}

/* Log lines at LOG_LVL_DEBUG (as with -v) or the default level, into a buffer. */
static int log_pipe[2] = { -1, -1 };
static void capture_log(enum log_level lvl)
{
	if (pipe(log_pipe) != 0)
		abort();
	fcntl(log_pipe[0], F_SETFL, O_NONBLOCK);
	log_set_fd(log_pipe[1]);
	log_set_level(lvl);
}

static char *captured_log(void)
{
	static char buf[8192];
	log_set_fd(-1);
	log_set_level(LOG_LVL_INFO);
	close(log_pipe[1]);
	ssize_t n = read(log_pipe[0], buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(log_pipe[0]);
	return buf;
}

static struct stat chr(unsigned maj, unsigned min)
{
	struct stat st;
	memset(&st, 0, sizeof st);
	st.st_mode = S_IFCHR | 0620;
	st.st_rdev = makedev(maj, min);
	return st;
}

/* ---- the decision ---------------------------------------------------------------- */

TEST(only_a_virtual_console_is_locked)
{
	const char *why = "unset";
	struct stat st = chr(4, 1);
	CHECK_INT(vt_judge(&st, true, &why), 1);
	CHECK(why == NULL);
	st = chr(4, 63);
	CHECK_INT(vt_judge(&st, true, &why), 63);
	static const struct {
		unsigned maj, min;
		bool tty;
		const char *why;
	} no[] = {
		{ 4, 0, true, "/dev/tty0 (whichever console is in front)" },
		{ 4, 64, true, "a serial line" },
		{ 136, 3, true, "a pseudo-terminal (ssh or a terminal window)" },
		{ 5, 1, true, "/dev/console" },
		{ 1, 3, false, "/dev/null" },
		{ 4, 2, false, "a device that is not a terminal" }, /* a tty number that is not a tty */
		{ 204, 64, true, "a terminal that is not a virtual console" },
	};
	for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
		st = chr(no[i].maj, no[i].min);
		why = NULL;
		CHECK_INT(vt_judge(&st, no[i].tty, &why), 0);
		CHECK_STR(why, no[i].why);
	}
	memset(&st, 0, sizeof st);
	st.st_mode = S_IFIFO | 0600;
	CHECK_INT(vt_judge(&st, false, &why), 0);
	CHECK_STR(why, "a pipe");
	st.st_mode = S_IFREG | 0600;
	CHECK_INT(vt_judge(&st, false, &why), 0);
	CHECK_STR(why, "a file");
}

TEST(this_machines_console_devices_are_judged_without_opening_them)
{
	struct stat st;
	const char *why = NULL;
	if (stat("/dev/tty1", &st) == 0 && S_ISCHR(st.st_mode)) /* stat only: never opened */
		CHECK_INT(vt_judge(&st, true, &why), 1);
	if (stat("/dev/tty0", &st) == 0 && S_ISCHR(st.st_mode)) {
		CHECK_INT(vt_judge(&st, true, &why), 0);
		CHECK_STR(why, "/dev/tty0 (whichever console is in front)");
	}
	CHECK(stat("/dev/null", &st) == 0);
	CHECK_INT(vt_judge(&st, false, &why), 0);
	CHECK_STR(why, "/dev/null");
}

/* stdin replaced by fd for one vt_lock(0); returns what -v would have logged. */
static char *lock_stdin_from(int fd, bool *locked, enum log_level lvl)
{
	int saved = dup(0);
	dup2(fd, 0);
	capture_log(lvl);
	*locked = vt_lock(0);
	char *log = captured_log();
	dup2(saved, 0);
	close(saved);
	return log;
}

TEST(not_a_console_does_nothing_and_says_so_with_v)
{
	reset_fake();
	int p[2];
	CHECK(pipe(p) == 0);
	bool locked = true;
	char *log = lock_stdin_from(p[0], &locked, LOG_LVL_DEBUG);
	close(p[0]);
	close(p[1]);
	CHECK(!locked);
	CHECK(!vt_locked());
	CHECK_INT(n_calls, 0); /* not even VT_GETMODE */
	CHECK(strstr(log, "vt: stdin is a pipe, not a virtual console: console switching left to the system") != NULL);

	int null = open("/dev/null", O_RDONLY);
	CHECK(null >= 0);
	log = lock_stdin_from(null, &locked, LOG_LVL_DEBUG);
	close(null);
	CHECK(!locked);
	CHECK(strstr(log, "vt: stdin is /dev/null, not a virtual console") != NULL);

	int pty = posix_openpt(O_RDWR | O_NOCTTY);
	if (pty >= 0 && grantpt(pty) == 0 && unlockpt(pty) == 0) {
		int sub = open(ptsname(pty), O_RDWR | O_NOCTTY);
		CHECK(sub >= 0);
		log = lock_stdin_from(sub, &locked, LOG_LVL_DEBUG);
		close(sub);
		CHECK(!locked);
		CHECK(strstr(log, "vt: stdin is a pseudo-terminal (ssh or a terminal window), not a virtual console") != NULL);
	}
	if (pty >= 0)
		close(pty);
	CHECK_INT(n_calls, 0);

	/* without -v it is silent: the normal case on a desktop */
	null = open("/dev/null", O_RDONLY);
	log = lock_stdin_from(null, &locked, LOG_LVL_INFO);
	close(null);
	CHECK(!locked);
	CHECK_STR(log, "");
}

/* ---- the lock, on a stand-in console ------------------------------------------------- */

TEST(lock_asks_the_kernel_and_refuses_every_release)
{
	reset_fake();
	int p[2];
	CHECK(pipe(p) == 0);
	capture_log(LOG_LVL_DEBUG);
	bool ok = vt_lock_console(p[0], 1);
	char *log = captured_log();
	CHECK(ok);
	CHECK(vt_locked());
	CHECK(strstr(log, "vt: tty1 locked: Ctrl+Alt+Fn and chvt cannot switch away while balie runs") != NULL);
	CHECK_INT(n_calls, 2);
	CHECK(calls[0].request == VT_GETMODE);
	CHECK(calls[1].request == VT_SETMODE);
	CHECK_INT(calls[1].mode.mode, VT_PROCESS);
	int sig = calls[1].mode.relsig;
	CHECK(sig >= SIGRTMIN + 2 && sig <= SIGRTMAX);
	CHECK_INT(calls[1].mode.acqsig, sig);
	CHECK(vt_lock_console(p[0], 1)); /* a second lock is the same lock */
	CHECK_INT(n_calls, 2);

	/* Ctrl+Alt+F2 or chvt 2: the kernel sends the release signal; balie says no */
	for (int i = 0; i < 3; i++)
		CHECK(kill(getpid(), sig) == 0);
	CHECK_INT(n_calls, 5);
	for (int i = 2; i < 5; i++) {
		CHECK(calls[i].request == VT_RELDISP);
		CHECK_INT(calls[i].arg, 0);
	}

	vt_unlock();
	CHECK(!vt_locked());
	CHECK_INT(n_calls, 6);
	CHECK(calls[5].request == VT_SETMODE);
	CHECK_INT(calls[5].mode.mode, VT_AUTO);
	vt_unlock(); /* twice is harmless */
	CHECK_INT(n_calls, 6);
	/* a question that was still queued must not kill balie (a real-time
	 * signal's default action) nor touch the console */
	CHECK(kill(getpid(), sig) == 0);
	CHECK_INT(n_calls, 6);

	/* locking again reuses the same signal */
	capture_log(LOG_LVL_DEBUG);
	ok = vt_lock_console(p[0], 1);
	vt_unlock();
	log = captured_log();
	CHECK(ok);
	CHECK_INT(calls[7].mode.relsig, sig);
	CHECK(strstr(log, "vt: tty1 unlocked: console switching is back to normal") != NULL);
	close(p[0]);
	close(p[1]);
}

TEST(a_refused_lock_says_what_to_do_and_leaves_nothing_behind)
{
	reset_fake();
	fail_setmode = EPERM; /* not balie's controlling terminal */
	int p[2];
	CHECK(pipe(p) == 0);
	capture_log(LOG_LVL_INFO);
	bool ok = vt_lock_console(p[0], 1);
	char *log = captured_log();
	CHECK(!ok);
	CHECK(!vt_locked());
	CHECK(strstr(log, "vt: tty1: the kernel refused to lock console switching (Operation not permitted; "
	                  "balie must run with it as its controlling terminal, as the unit's TTYPath= does): "
	                  "Ctrl+Alt+Fn may leave the kiosk") != NULL);
	int before = n_calls;
	vt_unlock();
	CHECK_INT(n_calls, before); /* nothing to unlock */
	close(p[0]);
	close(p[1]);
}

TEST(exit_unlocks_the_console)
{
	int rep[2], p[2];
	CHECK(pipe(rep) == 0 && pipe(p) == 0);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(rep[0]);
		report_fd = rep[1];
		reset_fake();
		log_set_fd(open("/dev/null", O_WRONLY));
		if (!vt_lock_console(p[0], 1))
			_exit(3);
		exit(0); /* as main() returning after SIGTERM: atexit hooks run */
	}
	close(rep[1]);
	int status = 0;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	struct call got[8];
	ssize_t n = read(rep[0], got, sizeof got);
	close(rep[0]);
	close(p[0]);
	close(p[1]);
	CHECK_INT(n, 3 * (ssize_t)sizeof *got);
	CHECK(got[1].request == VT_SETMODE && got[1].mode.mode == VT_PROCESS);
	CHECK(got[2].request == VT_SETMODE);
	CHECK_INT(got[2].mode.mode, VT_AUTO);
}

int main(void)
{
	RUN(only_a_virtual_console_is_locked);
	RUN(this_machines_console_devices_are_judged_without_opening_them);
	RUN(not_a_console_does_nothing_and_says_so_with_v);
	RUN(lock_asks_the_kernel_and_refuses_every_release);
	RUN(a_refused_lock_says_what_to_do_and_leaves_nothing_behind);
	RUN(exit_unlocks_the_console);
	vt_set_ioctl(NULL);
	return test_summary();
}
