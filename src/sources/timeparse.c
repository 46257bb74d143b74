/*
 * timeparse: see timeparse.h.
 *
 * Each format is a small cursor-based recursive-descent parser over a
 * NUL-terminated string: read fixed-width digit groups, names and zones,
 * then check the fields together and convert with days_from_civil()
 * (Howard Hinnant's algorithm), which needs neither the C library's time
 * zone nor its locale.
 */
#include "timeparse.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

typedef struct {
	const char *p;
} cur_t;

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

static void skip_space(cur_t *c)
{
	while (is_space(*c->p))
		c->p++;
}

/* Exactly n digits. */
static bool digits(cur_t *c, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!is_digit(c->p[i]))
			return false;
		v = v * 10 + (c->p[i] - '0');
	}
	c->p += n;
	*out = v;
	return true;
}

/* Between min and max digits; returns the count read (0 = none). */
static int digits_range(cur_t *c, int min, int max, int *out)
{
	int n = 0, v = 0;
	while (n < max && is_digit(c->p[n])) {
		v = v * 10 + (c->p[n] - '0');
		n++;
	}
	if (n < min || is_digit(c->p[n]))
		return 0;
	c->p += n;
	*out = v;
	return n;
}

static bool accept(cur_t *c, char ch)
{
	if (*c->p != ch)
		return false;
	c->p++;
	return true;
}

static bool at_end(cur_t *c)
{
	skip_space(c);
	return *c->p == '\0';
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t time_from_utc(int64_t year, int month, int day, int hour, int min, int sec)
{
	return days_from_civil(year, month, day) * 86400 + (int64_t)hour * 3600 + (int64_t)min * 60 + sec;
}

static int days_in_month(int64_t y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

/* Validate and convert; offset_s is the zone's offset east of UTC. */
static bool finish(int64_t y, int mo, int d, int h, int mi, int s, int offset_s, int64_t *out)
{
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return false;
	if (h > 24 || mi > 59 || s > 60 || (h == 24 && (mi || s)))
		return false;
	*out = time_from_utc(y, mo, d, h, mi, s) - offset_s;
	return true;
}

/* "+02:00", "+0200", "+02", "-05:30"; *c at the sign. */
static bool numeric_zone(cur_t *c, bool colon_ok, int *offset_s)
{
	int sign = *c->p == '-' ? -1 : 1;
	if (*c->p != '+' && *c->p != '-')
		return false;
	c->p++;
	int hh, mm = 0;
	if (!digits(c, 2, &hh))
		return false;
	if (colon_ok && *c->p == ':') {
		c->p++;
		if (!digits(c, 2, &mm))
			return false;
	} else if (is_digit(*c->p)) {
		if (!digits(c, 2, &mm))
			return false;
	}
	if (hh > 23 || mm > 59)
		return false;
	*offset_s = sign * (hh * 3600 + mm * 60);
	return true;
}

bool time_parse_iso8601(const char *s, int64_t *out)
{
	if (!s)
		return false;
	cur_t c = { s };
	skip_space(&c);
	int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
	if (!digits(&c, 4, &y))
		return false;
	bool extended = accept(&c, '-');
	if (!digits(&c, 2, &mo) || (extended && !accept(&c, '-')) || !digits(&c, 2, &d))
		return false;
	if (*c.p == 'T' || *c.p == 't' || (*c.p == ' ' && is_digit(c.p[1]))) {
		c.p++;
		if (!digits(&c, 2, &h))
			return false;
		if (extended && !accept(&c, ':'))
			return false;
		if (!digits(&c, 2, &mi))
			return false;
		bool have_sec = extended ? accept(&c, ':') : is_digit(*c.p);
		if (have_sec) {
			if (!digits(&c, 2, &sec))
				return false;
			if (*c.p == '.' || *c.p == ',') {
				c.p++;
				if (!is_digit(*c.p))
					return false;
				while (is_digit(*c.p))
					c.p++;
			}
		}
		if (*c.p == 'Z' || *c.p == 'z')
			c.p++;
		else if (*c.p == '+' || *c.p == '-') {
			if (!numeric_zone(&c, true, &off))
				return false;
		}
	}
	if (!at_end(&c))
		return false;
	return finish(y, mo, d, h, mi, sec, off, out);
}

/* Month from a name: the first three letters decide ("Mar", "MARCH", "march"),
 * a longer word must continue the full name. 0 when unknown. */
static int month_from_name(const char *w, size_t n)
{
	static const char *const names[12] = { "january", "february", "march", "april", "may", "june",
		"july", "august", "september", "october", "november", "december" };
	if (n < 3)
		return 0;
	for (int i = 0; i < 12; i++) {
		size_t full = strlen(names[i]);
		if (n > full)
			continue;
		if (strncasecmp(w, names[i], n) == 0)
			return i + 1;
	}
	return 0;
}

static size_t word(cur_t *c)
{
	size_t n = 0;
	while (is_alpha(c->p[n]))
		n++;
	return n;
}

/* Alphabetic zone name to offset; unknown names count as +0000 (RFC 2822 4.3). */
static int alpha_zone_offset(const char *w, size_t n)
{
	static const struct {
		const char *name;
		int hours;
	} zones[] = {
		{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
		{ "EST", -5 }, { "EDT", -4 }, { "CST", -6 }, { "CDT", -5 },
		{ "MST", -7 }, { "MDT", -6 }, { "PST", -8 }, { "PDT", -7 },
		{ "WET", 0 }, { "WEST", 1 }, { "BST", 1 }, { "CET", 1 }, { "CEST", 2 },
		{ "MET", 1 }, { "MEST", 2 }, { "EET", 2 }, { "EEST", 3 },
	};
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
		if (strlen(zones[i].name) == n && strncasecmp(zones[i].name, w, n) == 0)
			return zones[i].hours * 3600;
	return 0; /* military letters and anything unknown */
}

/* "08:49" or "08:49:37" */
static bool clock(cur_t *c, int *h, int *mi, int *s)
{
	if (!digits_range(c, 1, 2, h) || !accept(c, ':') || !digits(c, 2, mi))
		return false;
	*s = 0;
	if (accept(c, ':') && !digits(c, 2, s))
		return false;
	return true;
}

static int64_t full_year(int y, int ndigits)
{
	if (ndigits == 2)
		return y < 50 ? 2000 + y : 1900 + y;
	if (ndigits == 3)
		return 1900 + y;
	return y;
}

/* Optional zone and "(comment)" up to the end of the string. */
static bool zone_and_end(cur_t *c, int *off)
{
	skip_space(c);
	*off = 0;
	if (*c->p == '+' || *c->p == '-') {
		if (!numeric_zone(c, true, off))
			return false;
	} else if (is_alpha(*c->p)) {
		size_t n = word(c);
		if (n > 5)
			return false;
		*off = alpha_zone_offset(c->p, n);
		c->p += n;
	}
	skip_space(c);
	if (*c->p == '(') {
		const char *close = strchr(c->p, ')');
		if (!close)
			return false;
		c->p = close + 1;
	}
	return at_end(c);
}

bool time_parse_rfc822(const char *s, int64_t *out)
{
	if (!s)
		return false;
	cur_t c = { s };
	skip_space(&c);
	size_t n = word(&c);
	if (n) { /* weekday */
		if (n < 3)
			return false;
		c.p += n;
		skip_space(&c);
		accept(&c, ',');
		skip_space(&c);
	}
	int d, y, h, mi, sec, off;
	if (!digits_range(&c, 1, 2, &d))
		return false;
	if (!accept(&c, '-'))
		skip_space(&c);
	n = word(&c);
	int mo = month_from_name(c.p, n);
	if (!mo)
		return false;
	c.p += n;
	accept(&c, '.');
	if (!accept(&c, '-'))
		skip_space(&c);
	int ny = digits_range(&c, 2, 4, &y);
	if (!ny)
		return false;
	if (at_end(&c)) /* a date without a time: midnight UTC */
		return finish(full_year(y, ny), mo, d, 0, 0, 0, 0, out);
	if (!clock(&c, &h, &mi, &sec))
		return false;
	if (!zone_and_end(&c, &off))
		return false;
	return finish(full_year(y, ny), mo, d, h, mi, sec, off, out);
}

/* asctime: "Sun Nov  6 08:49:37 1994" */
static bool parse_asctime(const char *s, int64_t *out)
{
	cur_t c = { s };
	skip_space(&c);
	size_t n = word(&c);
	if (n != 3)
		return false;
	c.p += n;
	skip_space(&c);
	n = word(&c);
	int mo = month_from_name(c.p, n);
	if (!mo)
		return false;
	c.p += n;
	skip_space(&c);
	int d, h, mi, sec, y;
	if (!digits_range(&c, 1, 2, &d))
		return false;
	skip_space(&c);
	if (!clock(&c, &h, &mi, &sec))
		return false;
	skip_space(&c);
	if (!digits(&c, 4, &y) || !at_end(&c))
		return false;
	return finish(y, mo, d, h, mi, sec, 0, out);
}

bool time_parse_http_date(const char *s, int64_t *out)
{
	if (!s)
		return false;
	return time_parse_rfc822(s, out) || parse_asctime(s, out);
}
