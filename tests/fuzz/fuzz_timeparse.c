/*
 * fuzz_timeparse: the date parsers under libFuzzer.
 *
 * The input is one date string for each parser (ISO 8601, RFC 822, HTTP
 * dates, the notices file's local times).  Besides crashes it checks what
 * timeparse.h promises: a refused string leaves *out untouched, a date
 * read as RFC 822 reads the same as an HTTP date, and a parsed time printed
 * back in the canonical form parses to the same second (so no field is
 * silently wrapped or misread).
 */
#include "fuzz_common.h"

#include <stdio.h>
#include <time.h>

#include "../../src/sources/notices.h"
#include "../../src/sources/timeparse.h"

#define UNTOUCHED ((int64_t)0x5A5A5A5A5A5A5A5ALL)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	setenv("TZ", "Europe/Amsterdam", 1);
	tzset();
	return 0;
}

/* Howard Hinnant's civil_from_days: the inverse of timeparse's conversion,
 * written independently of it. */
static void civil(int64_t t, int64_t *y, int *mo, int *d, int *h, int *mi, int *s)
{
	int64_t days = t / 86400, rem = t % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	*h = (int)(rem / 3600);
	*mi = (int)(rem / 60 % 60);
	*s = (int)(rem % 60);
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*mo = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*mo <= 2);
}

static const char *const month_names[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static void round_trip(int64_t t)
{
	int64_t y;
	int mo, d, h, mi, s;
	civil(t, &y, &mo, &d, &h, &mi, &s);
	if (y < 1000 || y > 9999)
		return; /* the canonical forms have four-digit years */
	char buf[64];
	int64_t back = UNTOUCHED;
	snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, mo, d, h, mi, s);
	FUZZ_ASSERT(time_parse_iso8601(buf, &back) && back == t);
	back = UNTOUCHED;
	snprintf(buf, sizeof buf, "%02d %s %04lld %02d:%02d:%02d +0000", d, month_names[mo - 1], (long long)y, h,
	         mi, s);
	FUZZ_ASSERT(time_parse_rfc822(buf, &back) && back == t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	int64_t t = UNTOUCHED;
	if (time_parse_iso8601(s, &t))
		round_trip(t);
	else
		FUZZ_ASSERT(t == UNTOUCHED);

	int64_t r = UNTOUCHED, h = UNTOUCHED;
	bool rfc = time_parse_rfc822(s, &r);
	bool http = time_parse_http_date(s, &h);
	if (rfc) {
		FUZZ_ASSERT(http && h == r); /* HTTP dates take every RFC 822 date */
		round_trip(r);
	}
	if (http && !rfc)
		round_trip(h);

	int64_t start = UNTOUCHED, end = UNTOUCHED;
	bool a = notices_parse_time(s, false, &start);
	bool b = notices_parse_time(s, true, &end);
	FUZZ_ASSERT(a == b);
	if (a)
		FUZZ_ASSERT(end >= start);
	free(s);
	return 0;
}
