/* clock: see clock.h. */
#include "clock.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static double scale = 1.0;
static int64_t mono0_ms, wall0_ms, fake_wall0_ms;

static int64_t raw_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void init(void)
{
	const char *s = getenv("BALIE_TIME_SCALE");
	if (s) {
		double v = strtod(s, NULL);
		if (v >= 1.0 && v <= 1e6)
			scale = v;
	}
	mono0_ms = raw_ms(CLOCK_MONOTONIC);
	wall0_ms = raw_ms(CLOCK_REALTIME);
	fake_wall0_ms = wall0_ms;
	const char *f = getenv("BALIE_FAKE_NOW");
	if (f)
		fake_wall0_ms = strtoll(f, NULL, 10) * 1000;
}

double clock_scale(void)
{
	pthread_once(&once, init);
	return scale;
}

int64_t clock_mono_ms(void)
{
	pthread_once(&once, init);
	int64_t d = raw_ms(CLOCK_MONOTONIC) - mono0_ms;
	return mono0_ms + (int64_t)((double)d * scale);
}

int64_t clock_wall(void)
{
	pthread_once(&once, init);
	if (scale == 1.0 && fake_wall0_ms == wall0_ms)
		return raw_ms(CLOCK_REALTIME) / 1000;
	/* scaled or faked: advance from the start point at the monotonic rate */
	int64_t d = raw_ms(CLOCK_MONOTONIC) - mono0_ms;
	return (fake_wall0_ms + (int64_t)((double)d * scale)) / 1000;
}
