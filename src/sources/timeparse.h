/*
 * timeparse: the date formats that APIs and feeds send, to Unix seconds (UTC).
 *
 * Hand-written instead of strptime()/timegm(): those depend on the locale and
 * the process time zone, accept less than feeds send, and are not
 * thread-safe everywhere.  Each parser takes the whole string (surrounding
 * whitespace allowed), validates every field (month 1-12, day within the
 * month, 00:00:00-24:00:00, zone offset below 24h) and refuses trailing
 * garbage, so bad input is an error value, never a wrong time.
 */
#ifndef BALIE_TIMEPARSE_H
#define BALIE_TIMEPARSE_H

#include <stdbool.h>
#include <stdint.h>

/* ISO 8601 / RFC 3339: "2025-03-03T08:01:12.345Z", "...+02:00", "...+0200",
 * "...+02", basic "20250303T080112Z", a space or 't' for 'T', date only
 * "2025-03-03" (midnight UTC), any number of fractional digits (truncated).
 * No zone means UTC.  False (and *out untouched) when s is not such a date. */
bool time_parse_iso8601(const char *s, int64_t *out);

/* RFC 822 / RFC 2822 dates as RSS pubDate uses them:
 * "Mon, 03 Mar 2025 08:01:12 +0100".  Lenient where feeds are: optional
 * weekday (not checked against the date), 1 or 2 digit day, month names in
 * any case and full length ("March"), '-' or spaces between the parts,
 * 2-digit years (00-49 = 20xx, 50-99 = 19xx), optional seconds, zones
 * +hhmm / +hh:mm, GMT, UT, UTC, Z, EST/EDT/CST/CDT/MST/MDT/PST/PDT, a few
 * European abbreviations (CET, CEST, ...), single-letter military zones and
 * unknown alphabetic zones as +0000 (RFC 2822 section 4.3), no zone as UTC,
 * and a trailing "(comment)".  False when s is not such a date. */
bool time_parse_rfc822(const char *s, int64_t *out);

/* HTTP dates (RFC 9110 section 5.6.7): IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT",
 * obsolete RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime
 * "Sun Nov  6 08:49:37 1994" (all UTC), plus everything time_parse_rfc822()
 * takes.  False when s is not such a date. */
bool time_parse_http_date(const char *s, int64_t *out);

/* Unix seconds for a UTC civil time; no range checks (proleptic Gregorian,
 * any year).  For parsers of other formats. */
int64_t time_from_utc(int64_t year, int month, int day, int hour, int min, int sec);

#endif
