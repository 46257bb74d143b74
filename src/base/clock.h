/*
 * clock: the two clocks balie uses, behind one seam so tests and the soak
 * run can accelerate time.
 *
 * Timers (poll intervals, back-off, dwell) use the monotonic clock; only what
 * a person reads (post times, "offline since") uses the wall clock.  Setting
 * BALIE_TIME_SCALE=N in the environment makes both clocks run N times faster
 * from the moment of the first call (soak tests); BALIE_FAKE_NOW=unix sets the
 * wall clock's starting point (clock tests: a Pi without RTC boots in 1970).
 */
#ifndef BALIE_CLOCK_H
#define BALIE_CLOCK_H

#include <stdint.h>

/* Milliseconds on the monotonic clock (scaled). */
int64_t clock_mono_ms(void);
/* Wall-clock Unix seconds (scaled, offset). */
int64_t clock_wall(void);
/* The time scale factor (1 unless BALIE_TIME_SCALE is set). */
double clock_scale(void);

#endif
