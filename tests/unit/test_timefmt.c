/* Relative times in Dutch and English on a fake clock, and the offline line. */
#include <stdlib.h>
#include <time.h>

#include "../../src/layout/timefmt.h"
#include "test.h"

/* 2024-03-12 14:05:00 in Amsterdam (CET, UTC+1) is 13:05:00 UTC. */
#define T0 1710248700LL

static char buf[128];

static const char *rel(int64_t then, int64_t now, bool good, const char *lang)
{
	return timefmt_relative(then, now, good, lang, buf, sizeof buf);
}

TEST(just_now)
{
	CHECK_STR(rel(T0 - 5, T0, true, "nl"), "zojuist");
	CHECK_STR(rel(T0 - 59, T0, true, "en"), "just now");
	CHECK_STR(rel(T0 + 60, T0, true, "nl"), "zojuist"); /* small clock skew */
}

TEST(minutes)
{
	CHECK_STR(rel(T0 - 60, T0, true, "nl"), "1 minuut geleden");
	CHECK_STR(rel(T0 - 180, T0, true, "nl"), "3 minuten geleden");
	CHECK_STR(rel(T0 - 180, T0, true, "en"), "3 minutes ago");
	CHECK_STR(rel(T0 - 60, T0, true, "en-GB"), "1 minute ago");
	CHECK_STR(rel(T0 - 3599, T0, true, "nl"), "59 minuten geleden");
}

TEST(hours_same_day)
{
	CHECK_STR(rel(T0 - 3600, T0, true, "nl"), "1 uur geleden");
	CHECK_STR(rel(T0 - 5 * 3600, T0, true, "nl"), "5 uur geleden");
	CHECK_STR(rel(T0 - 2 * 3600, T0, true, "en"), "2 hours ago");
}

TEST(yesterday_is_a_calendar_day)
{
	/* 23:30 yesterday local, 35 minutes before midnight: 14h35m ago */
	int64_t late = T0 - (14 * 3600 + 35 * 60);
	CHECK_STR(rel(late, T0, true, "nl"), "gisteren om 23:30");
	CHECK_STR(rel(late, T0, true, "en"), "yesterday at 23:30");
	/* 00:10 today is still "uur geleden", not yesterday */
	CHECK_STR(rel(T0 - (13 * 3600 + 55 * 60), T0, true, "nl"), "13 uur geleden");
}

TEST(weekday_then_date)
{
	/* Sunday 10 March 2024, 09:30 */
	CHECK_STR(rel(T0 - (2 * 86400 + 4 * 3600 + 35 * 60), T0, true, "nl"), "zondag om 09:30");
	CHECK_STR(rel(T0 - (2 * 86400 + 4 * 3600 + 35 * 60), T0, true, "en"), "Sunday at 09:30");
	CHECK_STR(rel(T0 - 20 * 86400, T0, true, "nl"), "21 februari om 14:05");
	CHECK_STR(rel(T0 - 20 * 86400, T0, true, "en"), "21 February at 14:05");
	CHECK_STR(rel(T0 - 400 * 86400, T0, true, "nl"), "6 februari 2023");
}

TEST(bad_clock_never_says_ago)
{
	CHECK_STR(rel(T0 - 180, T0, false, "nl"), "14:02");
	CHECK_STR(rel(T0 - 86400, T0, false, "nl"), "11 maart 14:05");
	CHECK_STR(rel(T0 - 86400, T0, false, "en"), "11 March 14:05");
	/* A Pi that booted in 1970 sees every post in the future. */
	CHECK_STR(rel(T0, 3600, true, "nl"), "12 maart 2024 14:05");
	CHECK(strstr(rel(T0 - 600, T0, false, "en"), "ago") == NULL);
}

TEST(clock_and_offline_line)
{
	CHECK_STR(timefmt_clock(T0, buf, sizeof buf), "14:05");
	CHECK_STR(timefmt_offline(T0, T0 + 600, "nl", buf, sizeof buf),
	          "Offline \xe2\x80\x94 berichten van 14:05");
	CHECK_STR(timefmt_offline(T0, T0 + 600, "en", buf, sizeof buf),
	          "Offline \xe2\x80\x94 posts from 14:05");
	CHECK_STR(timefmt_offline(T0, T0 + 86400, "nl", buf, sizeof buf),
	          "Offline \xe2\x80\x94 berichten van 12 maart 14:05");
	CHECK_STR(timefmt_offline(0, T0, "nl", buf, sizeof buf), "Offline");
}

TEST(truncates_safely)
{
	char small[6];
	timefmt_relative(T0 - 180, T0, true, "nl", small, sizeof small);
	CHECK_STR(small, "3 min");
}

int main(void)
{
	/* POSIX TZ string: needs no tzdata. */
	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	RUN(just_now);
	RUN(minutes);
	RUN(hours_same_day);
	RUN(yesterday_is_a_calendar_day);
	RUN(weekday_then_date);
	RUN(bad_clock_never_says_ago);
	RUN(clock_and_offline_line);
	RUN(truncates_safely);
	return test_summary();
}
