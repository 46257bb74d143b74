/*
 * schedule: opening hours, as pure data and arithmetic.
 *
 * A week of day plans ("08:30-17:00", "08:30-12:00, 13:00-17:00", "closed",
 * "open") plus dated exceptions ("2026-12-25" = closed).  The question it
 * answers is "is the building open at this moment, and when does that next
 * change?"; the screen is switched by screenpower.c, which also decides what
 * to do while the clock is not yet trusted.
 *
 * Times are local wall-clock times (localtime_r and mktime, so the TZ of the
 * process and daylight saving apply); minutes are the resolution.  A range
 * ends before its end minute ("08:30-17:00" is open at 16:59, closed at
 * 17:00), "24:00" is allowed as an end, and a range never crosses midnight:
 * write "fri = 22:00-24:00" and "sat = 00:00-02:00" instead.
 *
 * Defaults: with no weekday set the building is always open (the screen is
 * always on).  As soon as one weekday is set, weekdays left unset are closed.
 * Exceptions override the weekday plan for that date only.
 */
#ifndef BALIE_SCHEDULE_H
#define BALIE_SCHEDULE_H

#include <stdbool.h>
#include <time.h>

typedef struct schedule schedule_t;

/* A schedule that is always open.  Caller frees with schedule_free(). */
schedule_t *schedule_new(void);
void schedule_free(schedule_t *s);
/* Deep copy (for a config reload).  Caller frees. */
schedule_t *schedule_copy(const schedule_t *s);

/* Set the plan of one weekday ("monday".."sunday", "mon".."sun") or a group
 * ("weekdays" = mon-fri, "weekend" = sat+sun, "daily" = all seven).  value is
 * "closed", "open" (all day), or up to 8 comma-separated ranges "HH:MM-HH:MM".
 * On error returns false, leaves s unchanged and sets *err (caller frees) to
 * a message without file or line. */
bool schedule_set_day(schedule_t *s, const char *weekday, const char *value, char **err);

/* An exception for one date "YYYY-MM-DD" (a real calendar date); value as for
 * schedule_set_day.  A second exception for the same date replaces the
 * first.  Errors as for schedule_set_day. */
bool schedule_add_exception(schedule_t *s, const char *date, const char *value, char **err);

/* One key of a [schedule] section: a weekday or group name, a date, or
 * "trust_clock" (yes/no: act on the wall clock even when NTP has not
 * confirmed it, for a board with a battery-backed RTC).  Errors as above;
 * an unknown key gives "unknown key (expected a weekday, YYYY-MM-DD or
 * trust_clock)". */
bool schedule_set(schedule_t *s, const char *key, const char *value, char **err);

/* True when trust_clock was set to yes. */
bool schedule_trusts_clock(const schedule_t *s);
/* True when any weekday or exception was set (the schedule can close). */
bool schedule_is_configured(const schedule_t *s);

/* Is it open at now (local time of the process's TZ)? */
bool schedule_is_open(const schedule_t *s, time_t now);

/* The first moment after now at which schedule_is_open() changes, looking up
 * to 400 days ahead; (time_t)-1 when it never changes in that window. */
time_t schedule_next_change(const schedule_t *s, time_t now);

#endif
