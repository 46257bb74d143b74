/*
 * screenpower: the TV follows the opening hours.
 *
 * Outside opening hours the TV goes to standby through HDMI-CEC, by running
 * `cec-ctl -d /dev/cec0 --playback --to 0 --standby` (and `--image-view-on`
 * to wake it), and the renderer blanks the picture: it draws black and stops
 * animating.  Where there is no CEC device (a monitor, a PC) blanking is all
 * that happens.  `vcgencmd display_power` no longer works under KMS, and
 * libcec crashes there, so cec-ctl from v4l-utils is the tool.
 *
 * cec-ctl is started with posix_spawn (never through a shell, with a fixed
 * minimal environment, stdout to /dev/null, stderr to the journal) and reaped
 * with waitpid(WNOHANG) on later calls, so the main thread never waits for
 * the TV.  A command that fails or runs longer than the timeout is logged
 * once, the picture stays blanked, and the command is retried later.
 *
 * Until the wall clock is known good (platform_clock_good(), or the
 * schedule's trust_clock) the screen stays on: a Pi without RTC boots in the
 * past and would otherwise switch the TV off at noon.
 */
#ifndef BALIE_SCREENPOWER_H
#define BALIE_SCREENPOWER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "schedule.h"

typedef enum {
	SCREENPOWER_AUTO,  /* CEC when the device exists, else blank (default) */
	SCREENPOWER_CEC,   /* CEC and blank */
	SCREENPOWER_BLANK, /* blank only */
	SCREENPOWER_NONE,  /* ignore the schedule: always on */
} screenpower_mode_t;

typedef struct {
	screenpower_mode_t mode;
	const char *cec_ctl;       /* absolute path; NULL = /usr/bin/cec-ctl */
	const char *cec_device;    /* "/dev/cec0"; NULL = no CEC (blank only) */
	const char *active_source; /* physical address "1.0.0.0" to announce on
	                              wake (the TV switches to our input); NULL = don't */
	int timeout_ms;            /* per command; 0 = 10000 */
	int retry_ms;              /* after a failure; 0 = 300000 */
} screenpower_opts_t;

typedef struct screenpower screenpower_t;

/* Strings in opts are copied.  Caller frees with screenpower_free(). */
screenpower_t *screenpower_new(const screenpower_opts_t *opts);

/* Kills and reaps a command still running. */
void screenpower_free(screenpower_t *sp);

/* Parse "auto", "cec", "blank" or "none"; false on anything else. */
bool screenpower_parse_mode(const char *s, screenpower_mode_t *out);

/* Decide and act: compare the schedule at wall_now (when clock_good or the
 * schedule trusts the clock) with the state the TV was last put in, start a
 * cec-ctl command when they differ, reap a finished one.  sched may be NULL
 * (always on).  Never blocks.  Call it from the main loop at least every
 * screenpower_next_due_ms(). */
void screenpower_update(screenpower_t *sp, const schedule_t *sched, bool clock_good,
                        time_t wall_now, int64_t mono_ms);

/* True when the renderer should show black (outside opening hours). */
bool screenpower_blanked(const screenpower_t *sp);

/* True while a cec-ctl command is running. */
bool screenpower_busy(const screenpower_t *sp);

/* True when the last CEC command for the current state succeeded. */
bool screenpower_cec_ok(const screenpower_t *sp);

/* Monotonic time by which screenpower_update() should run again; -1 when
 * nothing is due (no opening hours). */
int64_t screenpower_next_due_ms(const screenpower_t *sp, int64_t mono_ms);

#endif
