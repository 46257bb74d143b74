/*
 * Opening hours: parsing, the open/closed answer at minute edges, dated
 * exceptions, the next change (across weekends, midnight and a daylight-
 * saving switch) and every error message a person editing balie.conf can
 * see.  All times are Europe/Amsterdam local time, as on a Dutch town hall's
 * Pi.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/platform/schedule.h"
#include "test.h"

/* Local time -> time_t (mktime decides whether DST applies). */
static time_t at(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {0};
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* "YYYY-MM-DD HH:MM" of t in local time, in a static buffer. */
static const char *show(time_t t)
{
	static char buf[32];
	struct tm tm;
	if (t == (time_t)-1)
		return "never";
	localtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
	return buf;
}

static schedule_t *office(void)
{
	schedule_t *s = schedule_new();
	char *err = NULL;
	if (!schedule_set(s, "weekdays", "08:30-17:00", &err) ||
	    !schedule_set(s, "saturday", "09:00-12:00", &err)) {
		printf("setup failed: %s\n", err);
		free(err);
	}
	return s;
}

TEST(default_is_always_open)
{
	schedule_t *s = schedule_new();
	EXPECT(!schedule_is_configured(s));
	EXPECT(schedule_is_open(s, at(2026, 11, 30, 3, 0)));
	EXPECT(schedule_is_open(s, at(2026, 12, 6, 23, 59)));
	EXPECT(schedule_next_change(s, at(2026, 11, 30, 3, 0)) == (time_t)-1);
	schedule_free(s);
}

TEST(weekday_range_edges)
{
	schedule_t *s = office();
	/* 2026-11-30 is a Monday */
	EXPECT(!schedule_is_open(s, at(2026, 11, 30, 8, 29)));
	EXPECT(schedule_is_open(s, at(2026, 11, 30, 8, 30)));
	EXPECT(schedule_is_open(s, at(2026, 11, 30, 16, 59)));
	EXPECT(!schedule_is_open(s, at(2026, 11, 30, 17, 0)));
	EXPECT(schedule_is_open(s, at(2026, 12, 4, 12, 0)));   /* Friday */
	EXPECT(schedule_is_open(s, at(2026, 12, 5, 11, 59)));  /* Saturday */
	EXPECT(!schedule_is_open(s, at(2026, 12, 5, 12, 0)));
	/* Sunday was never set: closed once any weekday is set */
	EXPECT(!schedule_is_open(s, at(2026, 12, 6, 12, 0)));
	EXPECT(schedule_is_configured(s));
	schedule_free(s);
}

TEST(later_keys_override_earlier_ones)
{
	schedule_t *s = office();
	char *err = NULL;
	CHECK(schedule_set(s, "wed", "closed", &err));
	EXPECT(!schedule_is_open(s, at(2026, 12, 2, 12, 0)));
	EXPECT(schedule_is_open(s, at(2026, 12, 1, 12, 0)));
	CHECK(schedule_set(s, "Sunday", "open", &err));
	EXPECT(schedule_is_open(s, at(2026, 12, 6, 0, 0)));
	EXPECT(schedule_is_open(s, at(2026, 12, 6, 23, 59)));
	schedule_free(s);
}

TEST(dutch_day_names)
{
	schedule_t *s = schedule_new();
	char *err = NULL;
	CHECK(schedule_set(s, "werkdagen", "08:00-12:00", &err));
	CHECK(schedule_set(s, "zaterdag", "10:00-11:00", &err));
	EXPECT(schedule_is_open(s, at(2026, 12, 1, 9, 0)));
	EXPECT(schedule_is_open(s, at(2026, 12, 5, 10, 30)));
	EXPECT(!schedule_is_open(s, at(2026, 12, 6, 10, 30)));
	schedule_free(s);
}

TEST(split_day_and_merged_ranges)
{
	schedule_t *s = schedule_new();
	char *err = NULL;
	CHECK(schedule_set(s, "daily", " 13:00-17:00 ,08:30 - 12:00 ", &err));
	EXPECT(schedule_is_open(s, at(2026, 12, 1, 11, 59)));
	EXPECT(!schedule_is_open(s, at(2026, 12, 1, 12, 30)));
	EXPECT(schedule_is_open(s, at(2026, 12, 1, 13, 0)));
	CHECK_STR(show(schedule_next_change(s, at(2026, 12, 1, 12, 30))), "2026-12-01 13:00");
	/* overlapping and touching ranges merge: no change at 10:00 */
	CHECK(schedule_set(s, "daily", "08:00-10:00, 10:00-11:00, 09:00-09:30", &err));
	CHECK_STR(show(schedule_next_change(s, at(2026, 12, 1, 8, 0))), "2026-12-01 11:00");
	schedule_free(s);
}

TEST(exceptions_override_the_weekday)
{
	schedule_t *s = office();
	char *err = NULL;
	CHECK(schedule_set(s, "2026-12-25", "closed", &err));       /* a Friday */
	CHECK(schedule_set(s, "2026-12-24", "08:30-12:00", &err));  /* Thursday */
	CHECK(schedule_set(s, "2026-12-27", "14:00-16:00", &err));  /* a Sunday */
	EXPECT(!schedule_is_open(s, at(2026, 12, 25, 10, 0)));
	EXPECT(schedule_is_open(s, at(2026, 12, 24, 11, 0)));
	EXPECT(!schedule_is_open(s, at(2026, 12, 24, 13, 0)));
	EXPECT(schedule_is_open(s, at(2026, 12, 27, 15, 0)));
	/* the same weekday a week later follows the normal plan */
	EXPECT(schedule_is_open(s, at(2027, 1, 1, 10, 0)));
	/* a second exception for the same date replaces the first */
	CHECK(schedule_set(s, "2026-12-25", "10:00-11:00", &err));
	EXPECT(schedule_is_open(s, at(2026, 12, 25, 10, 30)));
	schedule_free(s);
}

TEST(next_change_over_weekend_and_holidays)
{
	schedule_t *s = office();
	char *err = NULL;
	/* Friday 17:00 -> Saturday 09:00 opens */
	CHECK_STR(show(schedule_next_change(s, at(2026, 12, 4, 17, 0))), "2026-12-05 09:00");
	/* Saturday noon -> Monday 08:30 */
	CHECK_STR(show(schedule_next_change(s, at(2026, 12, 5, 12, 0))), "2026-12-07 08:30");
	/* open now -> when it closes */
	CHECK_STR(show(schedule_next_change(s, at(2026, 12, 7, 8, 30))), "2026-12-07 17:00");
	/* Christmas: closed Thursday afternoon through the weekend */
	CHECK(schedule_set(s, "2026-12-24", "08:30-12:00", &err));
	CHECK(schedule_set(s, "2026-12-25", "closed", &err));
	CHECK(schedule_set(s, "2026-12-26", "closed", &err));
	CHECK_STR(show(schedule_next_change(s, at(2026, 12, 24, 9, 0))), "2026-12-24 12:00");
	CHECK_STR(show(schedule_next_change(s, at(2026, 12, 24, 12, 0))), "2026-12-28 08:30");
	schedule_free(s);
}

TEST(ranges_meeting_at_midnight_do_not_change)
{
	schedule_t *s = schedule_new();
	char *err = NULL;
	CHECK(schedule_set(s, "fri", "18:00-24:00", &err));
	CHECK(schedule_set(s, "sat", "00:00-02:00", &err));
	EXPECT(schedule_is_open(s, at(2026, 12, 4, 23, 59)));
	EXPECT(schedule_is_open(s, at(2026, 12, 5, 0, 0)));
	EXPECT(!schedule_is_open(s, at(2026, 12, 5, 2, 0)));
	CHECK_STR(show(schedule_next_change(s, at(2026, 12, 4, 19, 0))), "2026-12-05 02:00");
	schedule_free(s);
}

TEST(next_change_across_daylight_saving)
{
	schedule_t *s = schedule_new();
	char *err = NULL;
	CHECK(schedule_set(s, "daily", "08:00-20:00", &err));
	/* Summer time starts on Sunday 2027-03-28 at 02:00 in the Netherlands:
	 * from Saturday 21:00 to Sunday 08:00 is 10 hours, not 11. */
	time_t from = at(2027, 3, 27, 21, 0);
	time_t next = schedule_next_change(s, from);
	CHECK_STR(show(next), "2027-03-28 08:00");
	CHECK_INT(next - from, 10 * 3600);
	/* and back on 2027-10-31: 13 hours */
	from = at(2027, 10, 30, 20, 0);
	next = schedule_next_change(s, from);
	CHECK_STR(show(next), "2027-10-31 08:00");
	CHECK_INT(next - from, 13 * 3600);
	schedule_free(s);
}

TEST(never_changing_schedules)
{
	schedule_t *s = schedule_new();
	char *err = NULL;
	CHECK(schedule_set(s, "daily", "closed", &err));
	EXPECT(!schedule_is_open(s, at(2026, 12, 1, 12, 0)));
	EXPECT(schedule_next_change(s, at(2026, 12, 1, 12, 0)) == (time_t)-1);
	CHECK(schedule_set(s, "daily", "open", &err));
	EXPECT(schedule_next_change(s, at(2026, 12, 1, 12, 0)) == (time_t)-1);
	/* ... but an exception a year ahead is found */
	CHECK(schedule_set(s, "2027-11-01", "closed", &err));
	CHECK_STR(show(schedule_next_change(s, at(2026, 12, 1, 12, 0))), "2027-11-01 00:00");
	schedule_free(s);
}

TEST(trust_clock)
{
	schedule_t *s = schedule_new();
	char *err = NULL;
	EXPECT(!schedule_trusts_clock(s));
	CHECK(schedule_set(s, "trust_clock", "yes", &err));
	EXPECT(schedule_trusts_clock(s));
	CHECK(!schedule_set(s, "trust_clock", "maybe", &err));
	CHECK_STR(err, "\"maybe\": expected yes or no");
	free(err);
	EXPECT(schedule_trusts_clock(s));
	schedule_free(s);
}

/* Each bad value gives exactly this message and leaves the schedule as it was. */
static void expect_error(const char *key, const char *value, const char *msg)
{
	schedule_t *s = office();
	char *err = NULL;
	bool ok = schedule_set(s, key, value, &err);
	EXPECT(!ok);
	if (!ok && strcmp(err ? err : "", msg) != 0)
		TEST_FAIL_("%s = %s: got \"%s\", expected \"%s\"", key, value, err, msg);
	/* unchanged: Monday 10:00 still open, Sunday still closed */
	EXPECT(schedule_is_open(s, at(2026, 11, 30, 10, 0)));
	EXPECT(!schedule_is_open(s, at(2026, 12, 6, 10, 0)));
	free(err);
	schedule_free(s);
}

TEST(error_messages)
{
	const char *expect = "expected HH:MM-HH:MM (several separated by commas), \"open\" or \"closed\"";
	char buf[256];
	snprintf(buf, sizeof buf, "\"8.30-17:00\": %s", expect);
	expect_error("monday", "8.30-17:00", buf);
	snprintf(buf, sizeof buf, "\"25:00-26:00\": %s", expect);
	expect_error("monday", "25:00-26:00", buf);
	snprintf(buf, sizeof buf, "\"08:60-09:00\": %s", expect);
	expect_error("monday", "08:60-09:00", buf);
	snprintf(buf, sizeof buf, "\"24:00-24:00\": %s", expect);
	expect_error("monday", "24:00-24:00", buf);
	snprintf(buf, sizeof buf, "\"08:00-12:00 13:00-17:00\": %s", expect);
	expect_error("monday", "08:00-12:00 13:00-17:00", buf);
	snprintf(buf, sizeof buf, "\"\": %s", expect);
	expect_error("monday", "08:00-12:00,", buf);
	snprintf(buf, sizeof buf, "empty value: %s", expect);
	expect_error("monday", "  ", buf);
	expect_error("sunday", "22:00-02:00",
	             "\"22:00-02:00\": the range must end after it starts (a range cannot cross "
	             "midnight: end it at 24:00 and start the next day at 00:00)");
	expect_error("sunday", "01:00-02:00,3:00-4:00,5:00-6:00,7:00-8:00,9:00-10:00,"
	                       "11:00-12:00,13:00-14:00,15:00-16:00,17:00-18:00",
	             "too many ranges (at most 8 per day)");
	expect_error("funday", "closed", "unknown key (expected a weekday, YYYY-MM-DD or trust_clock)");
	expect_error("2026-02-30", "closed",
	             "\"2026-02-30\" is not a date (expected YYYY-MM-DD, e.g. 2026-12-25)");
	expect_error("2026-13-01", "closed",
	             "\"2026-13-01\" is not a date (expected YYYY-MM-DD, e.g. 2026-12-25)");
	expect_error("2026-1-5", "closed",
	             "\"2026-1-5\" is not a date (expected YYYY-MM-DD, e.g. 2026-12-25)");
	char *err = NULL;
	schedule_t *s = schedule_new();
	CHECK(!schedule_set_day(s, "someday", "closed", &err));
	CHECK_STR(err, "\"someday\" is not a weekday (monday..sunday, mon..sun, weekdays, weekend or daily)");
	free(err);
	/* a leap day is a date */
	CHECK(schedule_set(s, "2028-02-29", "closed", &err));
	char big[400];
	memset(big, '1', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CHECK(!schedule_set(s, "monday", big, &err));
	CHECK_STR(err, "value too long (399 bytes, at most 256)");
	free(err);
	schedule_free(s);
}

TEST(copy_is_independent)
{
	schedule_t *s = office();
	char *err = NULL;
	CHECK(schedule_set(s, "2026-12-25", "closed", &err));
	schedule_t *c = schedule_copy(s);
	CHECK(schedule_set(s, "2026-12-25", "open", &err));
	CHECK(schedule_set(s, "monday", "closed", &err));
	EXPECT(!schedule_is_open(c, at(2026, 12, 25, 10, 0)));
	EXPECT(schedule_is_open(c, at(2026, 11, 30, 10, 0)));
	EXPECT(schedule_is_open(s, at(2026, 12, 25, 10, 0)));
	schedule_free(c);
	schedule_free(s);
}

/* Found by fuzz_platform: on the night the clocks go forward, 02:30 does
 * not exist; a range ending then closes at the jump (03:00 CEST), not at
 * mktime()'s 03:30. */
TEST(range_ending_in_the_skipped_hour_closes_at_the_jump)
{
	schedule_t *s = schedule_new();
	char *err = NULL;
	CHECK(schedule_set(s, "sunday", "00:00-02:30", &err));
	time_t before = 1774745400; /* 2026-03-29 01:50 CET */
	EXPECT(schedule_is_open(s, before));
	CHECK_INT(schedule_next_change(s, before), 1774746000); /* 03:00 CEST */
	schedule_free(s);
}

int main(void)
{
	setenv("TZ", "Europe/Amsterdam", 1);
	tzset();
	RUN(range_ending_in_the_skipped_hour_closes_at_the_jump);
	RUN(default_is_always_open);
	RUN(weekday_range_edges);
	RUN(later_keys_override_earlier_ones);
	RUN(dutch_day_names);
	RUN(split_day_and_merged_ranges);
	RUN(exceptions_override_the_weekday);
	RUN(next_change_over_weekend_and_holidays);
	RUN(ranges_meeting_at_midnight_do_not_change);
	RUN(next_change_across_daylight_saving);
	RUN(never_changing_schedules);
	RUN(trust_clock);
	RUN(error_messages);
	RUN(copy_is_independent);
	return test_summary();
}
