/*
 * timefmt: the times a person reads on the screen, in Dutch or English.
 *
 * Post times are relative while they are recent ("zojuist", "3 minuten
 * geleden", "gisteren om 14:05") and become dates when older.  A Pi has no
 * real-time clock: until the clock is known to be right (clock_good), "ago"
 * would be a lie, so only the post's own time or date is shown.  Every
 * function takes "now" as an argument so tests run on a fake clock; local
 * time comes from localtime_r() (TZ).
 */
#ifndef BALIE_TIMEFMT_H
#define BALIE_TIMEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Time of a post, relative to now: "zojuist", "3 minuten geleden",
 * "2 uur geleden", "gisteren om 14:05", "dinsdag om 09:30", "12 maart om
 * 14:05", "12 maart 2023"; English when lang is "en".  With !clock_good:
 * "14:05" (same day) or "12 maart 14:05", never relative.  Writes at most n
 * bytes (always NUL-terminated); returns buf. */
char *timefmt_relative(int64_t then, int64_t now, bool clock_good, const char *lang, char *buf,
                       size_t n);

/* "HH:MM" of t in local time. Returns buf. */
char *timefmt_clock(int64_t t, char *buf, size_t n);

/* The status line's offline notice: "Offline — berichten van 14:05"
 * ("Offline — posts from 14:05"), with the date when last_success was not
 * today; just "Offline" when last_success is 0. Returns buf. */
char *timefmt_offline(int64_t last_success, int64_t now, const char *lang, char *buf, size_t n);

/* True for "en" / "en-GB" ..., false (Dutch) for everything else. */
bool timefmt_is_english(const char *lang);

#endif
