/*
 * platform: what balie tells systemd, and whether the wall clock can be trusted.
 *
 * The unit (firmware/balie.service) is Type=notify with WatchdogSec=, so the
 * process says READY=1 once its first frame is on screen and WATCHDOG=1 from
 * the main loop at least every WATCHDOG_USEC/2: a hung render loop stops the
 * pings and systemd restarts it.  sd_notify is one datagram to the AF_UNIX
 * socket named in $NOTIFY_SOCKET (a path, or "@name" for the abstract
 * namespace), so this is written out here instead of linking libsystemd.
 * Outside systemd (no NOTIFY_SOCKET) every call is a cheap no-op.
 *
 * A Pi has no real-time clock: until NTP has synchronised, the wall clock may
 * be years off, so anything that acts on the time of day (the screen
 * schedule) asks platform_clock_good() first.
 *
 * Call platform_init() once at start-up, before any thread is started.
 */
#ifndef BALIE_PLATFORM_H
#define BALIE_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

/* Read NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from the environment
 * (again: tests call it after changing them).  Not thread-safe; call before
 * starting threads.  The other functions call it lazily if it was not. */
void platform_init(void);

/* Send one raw sd_notify state ("KEY=value\n..."); true when a datagram was
 * sent, false when not under systemd or on a send error (logged once). */
bool platform_notify(const char *state);

/* READY=1, sent once per process (later calls do nothing).  Call it when the
 * first frame is on screen, from cached content if need be. */
void platform_ready(void);

/* STATUS=text for `systemctl status balie`; newlines become spaces and the
 * text is cut at 200 bytes.  Sent only when it differs from the last one. */
void platform_status(const char *text);

/* STOPPING=1 at orderly shutdown; RELOADING=1 at the start of a SIGHUP
 * reload, then READY=1 again from platform_reload_done(). */
void platform_stopping(void);
void platform_reloading(void);
void platform_reload_done(void);

/* WATCHDOG=1, rate-limited to one per WATCHDOG_USEC/2.  Call it on every
 * main-loop iteration; cheap when nothing is due. */
void platform_watchdog_kick(void);

/* A frame reached the screen: a watchdog kick.  (READY=1 comes from
 * platform_ready(), which the screen calls after the first complete card.) */
void platform_frame_presented(void);

/* The longest the main loop may sleep between kicks, in milliseconds
 * (WATCHDOG_USEC/2, at least 1); -1 when no watchdog is active. */
int64_t platform_watchdog_interval_ms(void);

/* True when the wall clock is known good: /run/systemd/timesync/synchronized
 * exists, or adjtimex() reports a synchronised kernel clock.  Once true it
 * stays true for the life of the process (time only moves on from there). */
bool platform_clock_good(void);

/* The judgement behind platform_clock_good(), without the side effects, for
 * tests: flag_path is the timesyncd flag file (may be NULL), adj_rc and
 * adj_status what adjtimex() returned and left in timex.status. */
bool platform_clock_judge(const char *flag_path, int adj_rc, int adj_status);

#endif
