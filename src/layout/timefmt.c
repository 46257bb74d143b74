/*
 * timefmt: relative and absolute times in Dutch and English.  See timefmt.h.
 *
 * Calendar questions ("was it yesterday?") are answered on local dates, not
 * by dividing seconds, so "gisteren" means the previous calendar day even
 * across midnight and DST changes.
 */
#include "timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const nl_months[12] = { "januari", "februari", "maart",     "april",
	                                   "mei",     "juni",     "juli",      "augustus",
	                                   "september", "oktober", "november", "december" };
static const char *const en_months[12] = { "January", "February", "March",     "April",
	                                   "May",     "June",     "July",      "August",
	                                   "September", "October", "November", "December" };
static const char *const nl_days[7] = { "zondag",   "maandag", "dinsdag", "woensdag",
	                                "donderdag", "vrijdag", "zaterdag" };
static const char *const en_days[7] = { "Sunday",   "Monday", "Tuesday", "Wednesday",
	                                "Thursday", "Friday", "Saturday" };

bool timefmt_is_english(const char *lang)
{
	return lang && (lang[0] == 'e' || lang[0] == 'E') && (lang[1] == 'n' || lang[1] == 'N') &&
	       (lang[2] == '\0' || lang[2] == '-' || lang[2] == '_');
}

static bool local_tm(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;
	if (!localtime_r(&tt, tm)) {
		memset(tm, 0, sizeof *tm);
		return false;
	}
	return true;
}

/* Days from 1970-01-01 of a local calendar date (proleptic Gregorian). */
static long day_number(const struct tm *tm)
{
	long y = tm->tm_year + 1900L, m = tm->tm_mon + 1L, d = tm->tm_mday;
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

char *timefmt_clock(int64_t t, char *buf, size_t n)
{
	struct tm tm;
	local_tm(t, &tm);
	snprintf(buf, n, "%02d:%02d", tm.tm_hour, tm.tm_min);
	return buf;
}

/* "12 maart 14:05", "12 maart 2023 14:05" (year only when it differs). */
static void date_time(const struct tm *t, const struct tm *nw, bool en, char *buf, size_t n)
{
	const char *month = (en ? en_months : nl_months)[t->tm_mon % 12];
	if (t->tm_year != nw->tm_year)
		snprintf(buf, n, "%d %s %d %02d:%02d", t->tm_mday, month, t->tm_year + 1900, t->tm_hour,
		         t->tm_min);
	else
		snprintf(buf, n, "%d %s %02d:%02d", t->tm_mday, month, t->tm_hour, t->tm_min);
}

char *timefmt_relative(int64_t then, int64_t now, bool clock_good, const char *lang, char *buf,
                       size_t n)
{
	bool en = timefmt_is_english(lang);
	struct tm t, nw;
	if (n == 0)
		return buf;
	buf[0] = '\0';
	local_tm(then, &t);
	local_tm(now, &nw);
	long days = day_number(&nw) - day_number(&t);
	int64_t diff = now - then;

	if (!clock_good || diff < -300) {
		/* The clock (ours or theirs) cannot be trusted for "ago". */
		if (days == 0)
			snprintf(buf, n, "%02d:%02d", t.tm_hour, t.tm_min);
		else
			date_time(&t, &nw, en, buf, n);
		return buf;
	}
	if (diff < 60) {
		snprintf(buf, n, "%s", en ? "just now" : "zojuist");
	} else if (diff < 3600) {
		long m = (long)(diff / 60);
		if (en)
			snprintf(buf, n, "%ld minute%s ago", m, m == 1 ? "" : "s");
		else
			snprintf(buf, n, "%ld %s geleden", m, m == 1 ? "minuut" : "minuten");
	} else if (days == 0) {
		long h = (long)(diff / 3600);
		if (en)
			snprintf(buf, n, "%ld hour%s ago", h, h == 1 ? "" : "s");
		else
			snprintf(buf, n, "%ld uur geleden", h);
	} else if (days == 1) {
		snprintf(buf, n, en ? "yesterday at %02d:%02d" : "gisteren om %02d:%02d", t.tm_hour,
		         t.tm_min);
	} else if (days < 7) {
		snprintf(buf, n, en ? "%s at %02d:%02d" : "%s om %02d:%02d",
		         (en ? en_days : nl_days)[t.tm_wday % 7], t.tm_hour, t.tm_min);
	} else if (t.tm_year == nw.tm_year) {
		snprintf(buf, n, en ? "%d %s at %02d:%02d" : "%d %s om %02d:%02d", t.tm_mday,
		         (en ? en_months : nl_months)[t.tm_mon % 12], t.tm_hour, t.tm_min);
	} else {
		snprintf(buf, n, "%d %s %d", t.tm_mday, (en ? en_months : nl_months)[t.tm_mon % 12],
		         t.tm_year + 1900);
	}
	return buf;
}

char *timefmt_offline(int64_t last_success, int64_t now, const char *lang, char *buf, size_t n)
{
	bool en = timefmt_is_english(lang);
	if (last_success <= 0) {
		snprintf(buf, n, "Offline");
		return buf;
	}
	struct tm t, nw;
	local_tm(last_success, &t);
	local_tm(now, &nw);
	char when[64];
	if (day_number(&nw) == day_number(&t))
		snprintf(when, sizeof when, "%02d:%02d", t.tm_hour, t.tm_min);
	else
		date_time(&t, &nw, en, when, sizeof when);
	/* U+2014 EM DASH */
	snprintf(buf, n, en ? "Offline \xe2\x80\x94 posts from %s" : "Offline \xe2\x80\x94 berichten van %s",
	         when);
	return buf;
}
