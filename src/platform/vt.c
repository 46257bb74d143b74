/* vt: see vt.h.  One console, one lock, process-wide state: the kernel keeps
 * one VT mode per console and sends its release question to one process. */
#include "vt.h"

#include <errno.h>
#include <linux/vt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../base/log.h"

#define TTY_MAJOR_VT 4      /* /dev/tty0../dev/tty63, then serial ttyS* */
#define VT_LAST 63          /* MAX_NR_CONSOLES */
#define PTY_MAJOR_FIRST 136 /* /dev/pts/N */
#define PTY_MAJOR_LAST 143

static int real_ioctl(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg);
}

static vt_ioctl_fn volatile vt_io = real_ioctl;
static atomic_int locked_fd = -1; /* the console's fd while locked, else -1 */
static int locked_vt;
static int release_sig;           /* the signal the kernel asks with; 0 before the first lock */
static bool atexit_done;

void vt_set_ioctl(vt_ioctl_fn fn)
{
	vt_io = fn ? fn : real_ioctl;
}

int vt_judge(const struct stat *st, bool is_tty, const char **why)
{
	const char *w;
	if (S_ISFIFO(st->st_mode)) {
		w = "a pipe";
	} else if (S_ISSOCK(st->st_mode)) {
		w = "a socket";
	} else if (S_ISREG(st->st_mode)) {
		w = "a file";
	} else if (!S_ISCHR(st->st_mode)) {
		w = "not a terminal";
	} else {
		unsigned maj = major(st->st_rdev), min = minor(st->st_rdev);
		if (maj == TTY_MAJOR_VT && min >= 1 && min <= VT_LAST && is_tty) {
			*why = NULL;
			return (int)min;
		}
		if (maj == TTY_MAJOR_VT && min == 0)
			w = "/dev/tty0 (whichever console is in front)";
		else if (maj == TTY_MAJOR_VT && min > VT_LAST)
			w = "a serial line";
		else if (maj >= PTY_MAJOR_FIRST && maj <= PTY_MAJOR_LAST)
			w = "a pseudo-terminal (ssh or a terminal window)";
		else if (maj == 5 && min == 1)
			w = "/dev/console";
		else if (maj == 1 && min == 3)
			w = "/dev/null";
		else
			w = is_tty ? "a terminal that is not a virtual console" : "a device that is not a terminal";
	}
	*why = w;
	return 0;
}

/* The kernel wants to switch away (or tells us we are in front again):
 * refuse.  After an acquire VT_RELDISP 0 is an error the kernel ignores. */
static void on_release(int sig)
{
	(void)sig;
	int saved = errno;
	int fd = atomic_load(&locked_fd);
	if (fd >= 0)
		vt_io(fd, VT_RELDISP, (void *)0);
	errno = saved;
}

/* The first real-time signal from SIGRTMIN+2 up that nobody handles (as
 * SDL >= 2.28 picks its own VT signals; it skips a handled one), or the one
 * taken before.  Not from the top: qemu-user cannot deliver the last ones. */
static int take_signal(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_release;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (release_sig)
		return sigaction(release_sig, &sa, NULL) == 0 ? release_sig : 0;
	for (int s = SIGRTMIN + 2; s <= SIGRTMAX; s++) {
		struct sigaction old;
		if (sigaction(s, NULL, &old) != 0 || old.sa_handler != SIG_DFL)
			continue;
		if (sigaction(s, &sa, NULL) == 0)
			return release_sig = s;
	}
	return 0;
}

/* After the lock a queued question may still arrive: ignore it, never let
 * the default action (terminate) have it. */
static void drop_signal(void)
{
	if (release_sig)
		signal(release_sig, SIG_IGN);
}

static void unlock_at_exit(void)
{
	vt_unlock();
}

bool vt_lock(int fd)
{
	if (atomic_load(&locked_fd) >= 0)
		return true;
	char what[32] = "stdin";
	if (fd != 0)
		snprintf(what, sizeof what, "fd %d", fd);
	struct stat st;
	if (fstat(fd, &st) != 0) {
		log_debug("vt", "%s is closed (%s): console switching left to the system", what, strerror(errno));
		return false;
	}
	const char *why = NULL;
	int n = vt_judge(&st, isatty(fd) == 1, &why);
	if (n == 0) {
		log_debug("vt", "%s is %s, not a virtual console: console switching left to the system", what, why);
		return false;
	}
	return vt_lock_console(fd, n);
}

bool vt_lock_console(int fd, int n)
{
	if (atomic_load(&locked_fd) >= 0)
		return true;
	struct vt_mode mode;
	memset(&mode, 0, sizeof mode);
	if (vt_io(fd, VT_GETMODE, &mode) != 0) {
		log_warn("vt", "tty%d: cannot read its switching mode (%s): console switching not locked", n,
		         strerror(errno));
		return false;
	}
	int sig = take_signal();
	if (!sig) {
		log_warn("vt", "tty%d: no free real-time signal: console switching not locked", n);
		return false;
	}
	memset(&mode, 0, sizeof mode);
	mode.mode = VT_PROCESS;
	mode.relsig = (short)sig;
	mode.acqsig = (short)sig;
	atomic_store(&locked_fd, fd); /* a question may come the moment the mode is set */
	if (vt_io(fd, VT_SETMODE, &mode) != 0) {
		int e = errno;
		atomic_store(&locked_fd, -1);
		drop_signal();
		log_warn("vt", "tty%d: the kernel refused to lock console switching (%s; balie must run with it as "
		         "its controlling terminal, as the unit's TTYPath= does): Ctrl+Alt+Fn may leave the kiosk",
		         n, strerror(e));
		return false;
	}
	locked_vt = n;
	if (!atexit_done) {
		atexit(unlock_at_exit);
		atexit_done = true;
	}
	log_info("vt", "tty%d locked: Ctrl+Alt+Fn and chvt cannot switch away while balie runs", n);
	return true;
}

void vt_unlock(void)
{
	int fd = atomic_load(&locked_fd);
	if (fd < 0)
		return;
	struct vt_mode mode;
	memset(&mode, 0, sizeof mode);
	mode.mode = VT_AUTO;
	if (vt_io(fd, VT_SETMODE, &mode) != 0)
		log_warn("vt", "tty%d: cannot unlock console switching (%s); the kernel does once balie has exited",
		         locked_vt, strerror(errno));
	else
		log_debug("vt", "tty%d unlocked: console switching is back to normal", locked_vt);
	atomic_store(&locked_fd, -1);
	drop_signal();
}

bool vt_locked(void)
{
	return atomic_load(&locked_fd) >= 0;
}
