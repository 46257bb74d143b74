/* kiosk: the main loop's platform duties, on a fake clock. */
#include <stdlib.h>
#include <time.h>

#include "../../src/base/log.h"
#include "../../src/platform/burnin.h"
#include "../../src/platform/kiosk.h"
#include "../../src/platform/platform.h"
#include "../../src/platform/platcfg.h"
#include "test.h"

static platcfg_t *cfg(const char *power, const char *daily, const char *burnin)
{
	platcfg_t *pc = platcfg_new();
	char *err = NULL;
	if (!platcfg_set(pc, "screen", "power", power, &err) ||
	    (daily && !platcfg_set(pc, "schedule", "daily", daily, &err)) ||
	    !platcfg_set(pc, "screen", "burnin_px", burnin, &err) ||
	    !platcfg_set(pc, "schedule", "trust_clock", "yes", &err)) {
		printf("      platcfg: %s\n", err);
		free(err);
	}
	return pc;
}

/* 2026-12-01 (a Tuesday) at hh:mm UTC */
static int64_t at(int hh, int mm)
{
	return 1764547200 + hh * 3600 + mm * 60;
}

TEST(blanks_outside_opening_hours_and_wakes_again)
{
	platcfg_t *pc = cfg("blank", "08:00-17:00", "0");
	kiosk_t *k = kiosk_new(pc, NULL);
	int64_t mono = 1000;
	kiosk_tick(k, mono, at(12, 0), true);
	EXPECT(!kiosk_blanked(k));
	EXPECT(kiosk_tick(k, mono += 1000, at(17, 1), true)); /* closing: a change to draw */
	EXPECT(kiosk_blanked(k));
	EXPECT(!kiosk_tick(k, mono += 1000, at(20, 0), true)); /* nothing new */
	kiosk_tick(k, mono += 1000, at(8, 0) + 86400, true);
	EXPECT(!kiosk_blanked(k));
	kiosk_free(k);
	platcfg_free(pc);
}

TEST(power_none_ignores_the_schedule)
{
	platcfg_t *pc = cfg("none", "08:00-17:00", "0");
	kiosk_t *k = kiosk_new(pc, NULL);
	kiosk_tick(k, 1000, at(23, 0), true);
	EXPECT(!kiosk_blanked(k));
	kiosk_free(k);
	platcfg_free(pc);
}

TEST(drift_moves_and_sets_the_wakeup)
{
	platcfg_t *pc = cfg("none", NULL, "4");
	char *err = NULL;
	CHECK(platcfg_set(pc, "screen", "burnin_step_s", "60", &err));
	kiosk_t *k = kiosk_new(pc, NULL);
	int dx0, dy0, dx1, dy1;
	kiosk_offset(k, 0, &dx0, &dy0);
	int64_t step = burnin_next_step_ms(0, 4, 60);
	CHECK(step > 0 && step <= 60000);
	CHECK(kiosk_timeout_ms(k, 0) <= step); /* the loop wakes up for the step */
	int64_t to = step;
	kiosk_offset(k, to, &dx1, &dy1);
	EXPECT(abs(dx1 - dx0) + abs(dy1 - dy0) == 1); /* one pixel per step */
	EXPECT(dx1 >= -4 && dx1 <= 4 && dy1 >= -4 && dy1 <= 4);
	EXPECT(kiosk_tick(k, to, at(12, 0), true)); /* a step is a change to draw */
	kiosk_free(k);
	platcfg_free(pc);
}

TEST(the_watchdog_bounds_the_sleep)
{
	setenv("NOTIFY_SOCKET", "/nonexistent/notify", 1);
	setenv("WATCHDOG_USEC", "4000000", 1); /* WatchdogSec=4 */
	platform_init();
	platcfg_t *pc = cfg("none", NULL, "0");
	kiosk_t *k = kiosk_new(pc, NULL);
	kiosk_tick(k, 1000, at(12, 0), true);
	int64_t to = kiosk_timeout_ms(k, 1000);
	EXPECT(to >= 0 && to <= 2000); /* a hung loop misses two kicks and is restarted */
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	platform_init();
	kiosk_free(k);
	platcfg_free(pc);
}

int main(void)
{
	log_set_level(LOG_LVL_WARN);
	setenv("TZ", "UTC", 1);
	tzset();
	RUN(blanks_outside_opening_hours_and_wakes_again);
	RUN(power_none_ignores_the_schedule);
	RUN(drift_moves_and_sets_the_wakeup);
	RUN(the_watchdog_bounds_the_sleep);
	return test_summary();
}
