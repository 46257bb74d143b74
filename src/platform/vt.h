/*
 * vt: the public's keyboard stays on balie's own virtual console.
 *
 * Under the unit (firmware/balie.service) balie's stdin is /dev/tty1, its
 * controlling terminal.  SDL 2.26 mutes that console's keyboard (KDSKBMODE
 * K_OFF), and in that mode the kernel ignores Ctrl+Alt+Fn, Alt+arrows and
 * Ctrl+Alt+Del; but only while SDL holds it, and a `chvt` still switches.
 * vt adds a lock that holds whatever the keyboard mode: VT_SETMODE
 * VT_PROCESS makes the kernel ask balie before it switches away from tty1,
 * and balie always answers no (VT_RELDISP 0).
 *
 * The lock never outlives balie: vt_unlock(), also run by exit(), puts
 * VT_AUTO back; if balie dies without exiting (SIGKILL, a crash), the
 * kernel's question goes to a process that no longer exists, and the
 * kernel then resets the console to VT_AUTO itself (vt_ioctl.c).
 *
 * Anything that is not a virtual console (a pipe, a pseudo-terminal under
 * ssh or a desktop, /dev/null, a serial line, /dev/tty0) is left alone, and
 * -v says why.  Not tried on a real console in this repository's tests: the
 * tests drive the decision and the ioctl sequence through vt_set_ioctl().
 */
#ifndef BALIE_VT_H
#define BALIE_VT_H

#include <stdbool.h>
#include <sys/stat.h>

/* Which virtual console a terminal is: 1..63 when st (fstat() of it)
 * describes /dev/ttyN, else 0 with *why set to a static phrase saying what it
 * is instead ("a pipe", "/dev/tty0 (whichever console is in front)", ...).
 * is_tty is isatty()'s answer for the same file.  Pure. */
int vt_judge(const struct stat *st, bool is_tty, const char **why);

/* Lock console switching away from the virtual console open on fd (0: stdin).
 * True when locked.  When fd is not a virtual console, does nothing and logs
 * why at debug level (-v); when the kernel refuses (not balie's controlling
 * terminal), logs a warning and does nothing.  Call once, from the main
 * thread; the release signal it takes (a free real-time signal) must not be
 * blocked in every thread.  fd must stay open until vt_unlock(). */
bool vt_lock(int fd);

/* The second half of vt_lock(), once fd is known to be /dev/ttyN: take a
 * release signal, VT_SETMODE VT_PROCESS, register the exit hook.  Tests call
 * it with a stand-in fd and vt_set_ioctl(). */
bool vt_lock_console(int fd, int n);

/* Put back VT_AUTO on the locked console: switching works again.  Does
 * nothing when not locked; safe to call more than once.  exit() calls it. */
void vt_unlock(void);

/* True between a successful vt_lock() and vt_unlock(). */
bool vt_locked(void);

/* Tests only: make the VT ioctls (VT_GETMODE, VT_SETMODE, VT_RELDISP) call fn
 * instead of ioctl(2); NULL puts ioctl(2) back.  fn may run in a signal
 * handler, so it must be async-signal-safe. */
typedef int (*vt_ioctl_fn)(int fd, unsigned long request, void *arg);
void vt_set_ioctl(vt_ioctl_fn fn);

#endif
