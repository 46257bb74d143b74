/*
 * schedule: see schedule.h.  A day plan is a short sorted list of disjoint
 * minute ranges [start, end) within 0..1440; an exception is a date number
 * (YYYYMMDD) with its own plan.  Questions are answered by converting a
 * time_t to local civil time; the next change is found by walking the
 * candidate minutes (midnight and every range edge) day by day, which is
 * exact because the state can only change at one of them.
 */
#include "schedule.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/xmalloc.h"

#define MAX_RANGES 8
#define MAX_VALUE 256
#define LOOKAHEAD_DAYS 400
#define DAY_MIN 1440

typedef struct {
	int16_t start, end; /* minutes after midnight, start < end <= 1440 */
} span_t;

typedef struct {
	bool set;           /* false: falls back to the default */
	unsigned char n;    /* 0 with set: closed all day */
	span_t r[MAX_RANGES];
} dayplan_t;

typedef struct {
	long ymd;           /* 20261225 */
	dayplan_t plan;
} exception_t;

struct schedule {
	dayplan_t week[7];  /* indexed like tm_wday: 0 = Sunday */
	bool any_day;
	bool trust_clock;
	exception_t *exc;
	size_t n_exc, cap_exc;
};

schedule_t *schedule_new(void)
{
	return xcalloc(1, sizeof(schedule_t));
}

void schedule_free(schedule_t *s)
{
	if (!s)
		return;
	free(s->exc);
	free(s);
}

schedule_t *schedule_copy(const schedule_t *s)
{
	schedule_t *c = xmalloc(sizeof *c);
	*c = *s;
	c->exc = NULL;
	c->cap_exc = 0;
	if (s->n_exc) {
		XGROW(c->exc, c->cap_exc, s->n_exc);
		memcpy(c->exc, s->exc, s->n_exc * sizeof *s->exc);
	}
	return c;
}

/* ---- parsing -------------------------------------------------------------- */

static void skip_space(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* "H:MM" or "HH:MM" into minutes; 24:00 only when allow_24. */
static bool parse_clock(const char **p, bool allow_24, int *out)
{
	const char *s = *p;
	int h = 0, digits = 0;
	while (isdigit((unsigned char)*s) && digits < 2) {
		h = h * 10 + (*s - '0');
		s++;
		digits++;
	}
	if (digits == 0 || *s != ':')
		return false;
	s++;
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return false;
	int m = (s[0] - '0') * 10 + (s[1] - '0');
	s += 2;
	if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow_24)))
		return false;
	*out = h * 60 + m;
	*p = s;
	return true;
}

static int span_cmp(const void *a, const void *b)
{
	const span_t *x = a, *y = b;
	return x->start - y->start;
}

static bool parse_plan(const char *value, dayplan_t *plan, char **err)
{
	const char *expect = "expected HH:MM-HH:MM (several separated by commas), \"open\" or \"closed\"";
	memset(plan, 0, sizeof *plan);
	plan->set = true;
	if (!value) {
		*err = xasprintf("missing value: %s", expect);
		return false;
	}
	size_t len = strlen(value);
	if (len > MAX_VALUE) {
		*err = xasprintf("value too long (%zu bytes, at most %d)", len, MAX_VALUE);
		return false;
	}
	char *v = xstrdup(value);
	/* trim */
	char *b = v;
	while (*b == ' ' || *b == '\t')
		b++;
	char *e = b + strlen(b);
	while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';

	bool ok = false;
	if (*b == '\0') {
		*err = xasprintf("empty value: %s", expect);
		goto out;
	}
	if (strcasecmp(b, "closed") == 0) {
		ok = true;
		goto out;
	}
	if (strcasecmp(b, "open") == 0) {
		plan->n = 1;
		plan->r[0] = (span_t){0, DAY_MIN};
		ok = true;
		goto out;
	}

	span_t tmp[MAX_RANGES];
	unsigned n = 0;
	const char *p = b;
	for (;;) {
		skip_space(&p);
		const char *item = p;
		int start, end;
		bool good = parse_clock(&p, false, &start);
		if (good) {
			skip_space(&p);
			good = *p == '-';
			if (good) {
				p++;
				skip_space(&p);
				good = parse_clock(&p, true, &end);
			}
		}
		if (good) {
			skip_space(&p);
			good = *p == ',' || *p == '\0';
		}
		if (!good) {
			size_t il = strcspn(item, ",");
			*err = xasprintf("\"%.*s\": %s", (int)(il > 40 ? 40 : il), item, expect);
			goto out;
		}
		if (end <= start) {
			size_t il = strcspn(item, ",");
			while (il > 0 && (item[il - 1] == ' ' || item[il - 1] == '\t'))
				il--;
			*err = xasprintf("\"%.*s\": the range must end after it starts "
			                 "(a range cannot cross midnight: end it at 24:00 and "
			                 "start the next day at 00:00)", (int)il, item);
			goto out;
		}
		if (n == MAX_RANGES) {
			*err = xasprintf("too many ranges (at most %d per day)", MAX_RANGES);
			goto out;
		}
		tmp[n++] = (span_t){(int16_t)start, (int16_t)end};
		if (*p == '\0')
			break;
		p++; /* ',' */
	}
	/* sort and merge overlapping or touching ranges */
	qsort(tmp, n, sizeof tmp[0], span_cmp);
	for (unsigned i = 0; i < n; i++) {
		if (plan->n > 0 && tmp[i].start <= plan->r[plan->n - 1].end) {
			if (tmp[i].end > plan->r[plan->n - 1].end)
				plan->r[plan->n - 1].end = tmp[i].end;
		} else
			plan->r[plan->n++] = tmp[i];
	}
	ok = true;
out:
	free(v);
	return ok;
}

static const struct {
	const char *name;
	unsigned mask; /* bit i = tm_wday i */
} day_names[] = {
	{"sunday", 1u << 0}, {"sun", 1u << 0}, {"zondag", 1u << 0}, {"zo", 1u << 0},
	{"monday", 1u << 1}, {"mon", 1u << 1}, {"maandag", 1u << 1}, {"ma", 1u << 1},
	{"tuesday", 1u << 2}, {"tue", 1u << 2}, {"dinsdag", 1u << 2}, {"di", 1u << 2},
	{"wednesday", 1u << 3}, {"wed", 1u << 3}, {"woensdag", 1u << 3}, {"wo", 1u << 3},
	{"thursday", 1u << 4}, {"thu", 1u << 4}, {"donderdag", 1u << 4}, {"do", 1u << 4},
	{"friday", 1u << 5}, {"fri", 1u << 5}, {"vrijdag", 1u << 5}, {"vr", 1u << 5},
	{"saturday", 1u << 6}, {"sat", 1u << 6}, {"zaterdag", 1u << 6}, {"za", 1u << 6},
	{"weekdays", 0x3eu}, {"werkdagen", 0x3eu},
	{"weekend", 0x41u},
	{"daily", 0x7fu}, {"dagelijks", 0x7fu},
};

static unsigned day_mask(const char *name)
{
	for (size_t i = 0; i < sizeof day_names / sizeof day_names[0]; i++)
		if (strcasecmp(name, day_names[i].name) == 0)
			return day_names[i].mask;
	return 0;
}

bool schedule_set_day(schedule_t *s, const char *weekday, const char *value, char **err)
{
	unsigned mask = weekday ? day_mask(weekday) : 0;
	if (!mask) {
		*err = xasprintf("\"%.40s\" is not a weekday (monday..sunday, mon..sun, "
		                 "weekdays, weekend or daily)", weekday ? weekday : "");
		return false;
	}
	dayplan_t plan;
	if (!parse_plan(value, &plan, err))
		return false;
	for (int d = 0; d < 7; d++)
		if (mask & (1u << d))
			s->week[d] = plan;
	s->any_day = true;
	return true;
}

static bool is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(long y, int m)
{
	static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* "YYYY-MM-DD" (exactly) into YYYYMMDD, or -1. */
static long parse_date(const char *s)
{
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return -1;
	long y = strtol(s, NULL, 10);
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return -1;
	return y * 10000 + m * 100 + d;
}

bool schedule_add_exception(schedule_t *s, const char *date, const char *value, char **err)
{
	long ymd = parse_date(date);
	if (ymd < 0) {
		*err = xasprintf("\"%.40s\" is not a date (expected YYYY-MM-DD, e.g. 2026-12-25)",
		                 date ? date : "");
		return false;
	}
	dayplan_t plan;
	if (!parse_plan(value, &plan, err))
		return false;
	for (size_t i = 0; i < s->n_exc; i++) {
		if (s->exc[i].ymd == ymd) {
			s->exc[i].plan = plan;
			return true;
		}
	}
	XGROW(s->exc, s->cap_exc, s->n_exc + 1);
	s->exc[s->n_exc++] = (exception_t){ymd, plan};
	return true;
}

static bool parse_bool(const char *v, bool *out)
{
	static const char *yes[] = {"yes", "true", "on", "1", "ja"};
	static const char *no[] = {"no", "false", "off", "0", "nee"};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

bool schedule_set(schedule_t *s, const char *key, const char *value, char **err)
{
	if (!key || !*key) {
		*err = xstrdup("missing key");
		return false;
	}
	if (strcasecmp(key, "trust_clock") == 0) {
		if (!value || !parse_bool(value, &s->trust_clock)) {
			*err = xasprintf("\"%.40s\": expected yes or no", value ? value : "");
			return false;
		}
		return true;
	}
	if (isdigit((unsigned char)key[0]))
		return schedule_add_exception(s, key, value, err);
	if (day_mask(key))
		return schedule_set_day(s, key, value, err);
	*err = xstrdup("unknown key (expected a weekday, YYYY-MM-DD or trust_clock)");
	return false;
}

bool schedule_trusts_clock(const schedule_t *s)
{
	return s->trust_clock;
}

bool schedule_is_configured(const schedule_t *s)
{
	return s->any_day || s->n_exc > 0;
}

/* ---- questions ------------------------------------------------------------ */

static bool plan_open(const schedule_t *s, const dayplan_t *plan, int minute)
{
	if (!plan->set)
		return !s->any_day;
	for (unsigned i = 0; i < plan->n; i++)
		if (minute >= plan->r[i].start && minute < plan->r[i].end)
			return true;
	return false;
}

static const dayplan_t *plan_for(const schedule_t *s, const struct tm *tm)
{
	long ymd = (long)(tm->tm_year + 1900) * 10000 + (tm->tm_mon + 1) * 100 + tm->tm_mday;
	for (size_t i = 0; i < s->n_exc; i++)
		if (s->exc[i].ymd == ymd)
			return &s->exc[i].plan;
	int wd = tm->tm_wday;
	if (wd < 0 || wd > 6)
		wd = 0;
	return &s->week[wd];
}

bool schedule_is_open(const schedule_t *s, time_t now)
{
	struct tm tm;
	if (!localtime_r(&now, &tm))
		return true; /* unrepresentable time: keep the screen on */
	return plan_open(s, plan_for(s, &tm), tm.tm_hour * 60 + tm.tm_min);
}

static int int_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* A candidate time that does not exist (the hour skipped when the clocks go
 * forward) is moved by mktime() past the jump, so the change really happens
 * at the jump itself: find the first second in (now, t] where the state
 * differs.  The jump is at most a few hours before t. */
static time_t first_change(const schedule_t *s, bool state, time_t now, time_t t)
{
	time_t lo = t - 4 * 3600 > now ? t - 4 * 3600 : now; /* state holds at lo */
	if (schedule_is_open(s, lo) != state)
		return t;
	time_t hi = t;
	while (hi - lo > 1) {
		time_t mid = lo + (hi - lo) / 2;
		if (schedule_is_open(s, mid) != state)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

time_t schedule_next_change(const schedule_t *s, time_t now)
{
	if (!schedule_is_configured(s))
		return (time_t)-1;
	bool state = schedule_is_open(s, now);
	struct tm base;
	if (!localtime_r(&now, &base))
		return (time_t)-1;

	for (int k = 0; k <= LOOKAHEAD_DAYS; k++) {
		/* the civil date k days ahead; noon avoids daylight-saving edges */
		struct tm day = {0};
		day.tm_year = base.tm_year;
		day.tm_mon = base.tm_mon;
		day.tm_mday = base.tm_mday + k;
		day.tm_hour = 12;
		day.tm_isdst = -1;
		if (mktime(&day) == (time_t)-1)
			return (time_t)-1;
		const dayplan_t *plan = plan_for(s, &day);

		int cand[1 + 2 * MAX_RANGES];
		int n = 0;
		cand[n++] = 0;
		if (plan->set) {
			for (unsigned i = 0; i < plan->n; i++) {
				cand[n++] = plan->r[i].start;
				if (plan->r[i].end < DAY_MIN)
					cand[n++] = plan->r[i].end;
			}
		}
		qsort(cand, (size_t)n, sizeof cand[0], int_cmp);
		for (int i = 0; i < n; i++) {
			struct tm at = {0};
			at.tm_year = day.tm_year;
			at.tm_mon = day.tm_mon;
			at.tm_mday = day.tm_mday;
			at.tm_hour = cand[i] / 60;
			at.tm_min = cand[i] % 60;
			at.tm_isdst = -1;
			time_t t = mktime(&at);
			if (t == (time_t)-1 || t <= now)
				continue;
			if (schedule_is_open(s, t) != state) {
				bool skipped = at.tm_hour != cand[i] / 60 || at.tm_min != cand[i] % 60;
				return skipped ? first_change(s, state, now, t) : t;
			}
		}
	}
	return (time_t)-1;
}
