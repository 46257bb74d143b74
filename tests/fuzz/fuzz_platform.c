/*
 * fuzz_platform: the board profile parser and the opening-hours schedule
 * under libFuzzer.
 *
 * The input is read as a board profile (boards/NAME.conf, board_parse())
 * and, line by line, as "key = value" settings of a [schedule] section
 * (schedule_set()).  The schedule is then asked what the screen asks: is the
 * building open now, and when does that change?  With TZ=Europe/Amsterdam
 * (daylight saving included) the answer must hold: the change comes after
 * now, the state differs there, and it is the same a second before.
 */
#include "fuzz_common.h"

#include <time.h>

#include "../../src/platform/board.h"
#include "../../src/platform/schedule.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	setenv("TZ", "Europe/Amsterdam", 1);
	tzset();
	return 0;
}

static void board(const uint8_t *data, size_t size)
{
	char *err = NULL;
	board_t *b = board_parse((const char *)data, size, "fuzz", &err);
	if (b) {
		FUZZ_ASSERT(err == NULL && b->name != NULL);
		board_free(b);
	} else {
		FUZZ_ASSERT(err != NULL && strncmp(err, "fuzz:", 5) == 0);
		free(err);
	}
}

/* "key = value" lines into s; at most 64 of them. */
static void settings(schedule_t *s, const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	char *save = NULL;
	int n = 0;
	for (char *line = strtok_r(text, "\n", &save); line && n < 64; line = strtok_r(NULL, "\n", &save), n++) {
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		char *key = line, *value = eq + 1;
		while (*key == ' ' || *key == '\t')
			key++;
		for (char *e = eq; e > key && (e[-1] == ' ' || e[-1] == '\t'); e--)
			e[-1] = '\0';
		while (*value == ' ' || *value == '\t')
			value++;
		char *err = NULL;
		if (!schedule_set(s, key, value, &err))
			FUZZ_ASSERT(err != NULL);
		free(err);
	}
	free(text);
}

/* The schedule's answer at now, checked against itself. */
static void ask(const schedule_t *s, time_t now)
{
	bool open = schedule_is_open(s, now);
	time_t t = schedule_next_change(s, now);
	if (t == (time_t)-1)
		return;
	FUZZ_ASSERT(t > now);
	FUZZ_ASSERT(t - now <= 401 * 86400);
	char when[64];
	struct tm tm;
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", localtime_r(&t, &tm));
	if (schedule_is_open(s, t) == open)
		fuzz_fail("schedule", "nothing changes at schedule_next_change()", when);
	if (schedule_is_open(s, t - 1) != open)
		fuzz_fail("schedule", "it changed before schedule_next_change()", when);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	board(data, size);
	schedule_t *s = schedule_new();
	settings(s, data, size);
	schedule_t *copy = schedule_copy(s);
	FUZZ_ASSERT(schedule_is_open(copy, (time_t)FUZZ_NOW) == schedule_is_open(s, (time_t)FUZZ_NOW));
	schedule_free(copy);
	ask(s, (time_t)FUZZ_NOW);               /* 2026-09-21 16:13 CEST, a Monday */
	ask(s, (time_t)1774745400);             /* 2026-03-29 01:50 CET: ten minutes before the clocks jump */
	ask(s, (time_t)1792886400);             /* 2026-10-25 02:00 CEST: the hour that happens twice */
	schedule_free(s);
	return 0;
}
