/*
 * test_timeparse: ISO 8601, RFC 822 (RSS) and HTTP dates to Unix seconds.
 * Expected values were computed independently (Python datetime).
 */
#include <stdint.h>

#include "../../src/sources/timeparse.h"
#include "test.h"

static int64_t iso(const char *s)
{
	int64_t t = -1;
	return time_parse_iso8601(s, &t) ? t : -1;
}

static int64_t rfc(const char *s)
{
	int64_t t = -1;
	return time_parse_rfc822(s, &t) ? t : -1;
}

static int64_t http(const char *s)
{
	int64_t t = -1;
	return time_parse_http_date(s, &t) ? t : -1;
}

TEST(iso_mastodon_milliseconds_z)
{
	CHECK_INT(iso("2025-03-03T08:01:12.345Z"), 1740988872);
	CHECK_INT(iso("2025-03-01T14:02:03.004Z"), 1740837723);
	CHECK_INT(iso("1970-01-01T00:00:00Z"), 0);
}

TEST(iso_rate_limit_reset_microseconds)
{
	CHECK_INT(iso("2025-03-03T08:15:00.000000Z"), 1740989700);
}

TEST(iso_offsets)
{
	CHECK_INT(iso("2024-01-10T10:12:33.123+00:00"), 1704881553);
	CHECK_INT(iso("2025-03-03T10:01:12+02:00"), 1740988872);
	CHECK_INT(iso("2025-03-03T10:01:12+0200"), 1740988872);
	CHECK_INT(iso("2025-03-03T10:01:12+02"), 1740988872);
	CHECK_INT(iso("2025-03-03T02:31:12-05:30"), 1740988872);
}

TEST(iso_variants)
{
	CHECK_INT(iso("2025-03-03 08:01:12Z"), 1740988872);
	CHECK_INT(iso("2025-03-03t08:01:12z"), 1740988872);
	CHECK_INT(iso("20250303T080112Z"), 1740988872);
	CHECK_INT(iso("2025-03-03T08:01:12"), 1740988872);   /* no zone: UTC */
	CHECK_INT(iso("2025-03-03T08:01Z"), 1740988860);     /* no seconds */
	CHECK_INT(iso("2025-03-03"), 1740960000);            /* date only */
	CHECK_INT(iso("  2025-03-03T08:01:12,5Z \n"), 1740988872);
}

TEST(iso_calendar_edges)
{
	CHECK_INT(iso("2024-02-29T00:00:00Z"), 1709164800);
	CHECK_INT(iso("2000-02-29T12:00:00Z"), 951825600);
	CHECK_INT(iso("2024-12-31T24:00:00Z"), 1735689600);
	CHECK_INT(iso("1969-12-31T23:59:58Z"), -2); /* before the epoch is fine too */
	CHECK_INT(iso("2038-01-19T03:14:08Z"), 2147483648LL);
}

TEST(iso_rejects_garbage)
{
	static const char *const bad[] = {
		"", "2025", "2025-03", "2025-13-01", "2025-00-10", "2023-02-29", "1900-02-29T00:00:00Z",
		"2025-04-31", "2025-03-03T25:00:00Z", "2025-03-03T24:00:01Z", "2025-03-03T08:60:00Z",
		"2025-03-03T08:01:61Z", "2025-03-03T08:01:12+24:00", "2025-03-03T08:01:12.Z",
		"2025-03-03T08:01:12Zjunk", "2025-03-03T8:01:12Z", "25-03-03", "2025/03/03",
		"not a date", "2025-03-03T08:01:12+2", "2025-0303",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t t = 42;
		if (time_parse_iso8601(bad[i], &t))
			TEST_FAIL_("accepted \"%s\"", bad[i]);
		EXPECT(t == 42);
	}
	int64_t t;
	CHECK(!time_parse_iso8601(NULL, &t));
}

TEST(rfc822_rss_dates)
{
	CHECK_INT(rfc("Mon, 03 Mar 2025 08:01:12 +0000"), 1740988872);
	CHECK_INT(rfc("Mon, 03 Mar 2025 09:01:12 +0100"), 1740988872);
	CHECK_INT(rfc("Mon, 3 Mar 2025 09:01:12 +01:00"), 1740988872);
	CHECK_INT(rfc("03 Mar 2025 08:01:12 GMT"), 1740988872);
	CHECK_INT(rfc("Mon 03 Mar 2025 08:01 UT"), 1740988860);
	CHECK_INT(rfc("Monday, 03 March 2025 08:01:12 UTC"), 1740988872);
	CHECK_INT(rfc("mon, 03 MAR 2025 08:01:12 z"), 1740988872);
	CHECK_INT(rfc("Mon, 03 Mar 2025 08:01:12"), 1740988872);          /* no zone: UTC */
	CHECK_INT(rfc("Mon, 03 Mar 2025"), 1740960000);                   /* no time: midnight */
	CHECK_INT(rfc("Mon, 03 Mar 2025 08:01:12 +0000 (UTC)"), 1740988872);
}

TEST(rfc822_named_zones)
{
	CHECK_INT(rfc("Mon, 03 Mar 2025 03:01:12 EST"), 1740988872);
	CHECK_INT(rfc("Mon, 03 Mar 2025 04:01:12 EDT"), 1740988872);
	CHECK_INT(rfc("Mon, 03 Mar 2025 02:01:12 CST"), 1740988872);
	CHECK_INT(rfc("Mon, 03 Mar 2025 03:01:12 CDT"), 1740988872);
	CHECK_INT(rfc("Mon, 03 Mar 2025 01:01:12 MST"), 1740988872);
	CHECK_INT(rfc("Mon, 03 Mar 2025 02:01:12 MDT"), 1740988872);
	CHECK_INT(rfc("Mon, 03 Mar 2025 00:01:12 PST"), 1740988872);
	CHECK_INT(rfc("Mon, 03 Mar 2025 01:01:12 PDT"), 1740988872);
	CHECK_INT(rfc("Mon, 03 Mar 2025 09:01:12 CET"), 1740988872);
	CHECK_INT(rfc("Mon, 03 Mar 2025 10:01:12 CEST"), 1740988872);
}

TEST(rfc822_military_and_unknown_zones_are_utc)
{
	CHECK_INT(rfc("Mon, 03 Mar 2025 08:01:12 A"), 1740988872);
	CHECK_INT(rfc("Mon, 03 Mar 2025 08:01:12 M"), 1740988872);
	CHECK_INT(rfc("Mon, 03 Mar 2025 08:01:12 Y"), 1740988872);
	CHECK_INT(rfc("Mon, 03 Mar 2025 08:01:12 XYZ"), 1740988872);
}

TEST(rfc822_two_digit_years)
{
	CHECK_INT(rfc("Sun, 06 Nov 94 08:49:37 GMT"), 784111777);
	CHECK_INT(rfc("Mon, 03 Mar 25 08:01:12 GMT"), 1740988872);
}

TEST(rfc822_rejects_garbage)
{
	static const char *const bad[] = {
		"", "Mon, 32 Mar 2025 08:01:12 GMT", "Mon, 29 Feb 2025 08:01:12 GMT",
		"Mon, 03 Foo 2025 08:01:12 GMT", "Mon, 03 Mar 2025 25:01:12 GMT",
		"Mon, 03 Mar 2025 08:01:12 +2500", "Mon, 03 Mar 2025 08:01:12 GMT junk",
		"Mon, 03 Mar 2025 08:01:12 (unterminated", "2025-03-03T08:01:12Z", "yesterday",
		"Mon, 03 Ma 2025 08:01:12 GMT", "Mon, 03 Mar 12025 08:01:12 GMT",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t t = 42;
		if (time_parse_rfc822(bad[i], &t))
			TEST_FAIL_("accepted \"%s\"", bad[i]);
		EXPECT(t == 42);
	}
}

TEST(http_date_three_formats)
{
	CHECK_INT(http("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
	CHECK_INT(http("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
	CHECK_INT(http("Sun Nov  6 08:49:37 1994"), 784111777);
	CHECK_INT(http("Mon, 03 Mar 2025 08:10:00 GMT"), 1740989400);
	CHECK_INT(http("120"), -1); /* delta-seconds are the caller's business */
	CHECK_INT(http(NULL), -1);
}

TEST(time_from_utc_matches_epoch)
{
	CHECK_INT(time_from_utc(1970, 1, 1, 0, 0, 0), 0);
	CHECK_INT(time_from_utc(2025, 3, 3, 8, 1, 12), 1740988872);
	CHECK_INT(time_from_utc(1600, 3, 1, 0, 0, 0), -11670912000LL);
}

int main(void)
{
	RUN(iso_mastodon_milliseconds_z);
	RUN(iso_rate_limit_reset_microseconds);
	RUN(iso_offsets);
	RUN(iso_variants);
	RUN(iso_calendar_edges);
	RUN(iso_rejects_garbage);
	RUN(rfc822_rss_dates);
	RUN(rfc822_named_zones);
	RUN(rfc822_military_and_unknown_zones_are_utc);
	RUN(rfc822_two_digit_years);
	RUN(rfc822_rejects_garbage);
	RUN(http_date_three_formats);
	RUN(time_from_utc_matches_epoch);
	return test_summary();
}
