/* kiosk: see kiosk.h.  Glue over platform.c, screenpower.c and burnin.c. */
#include "kiosk.h"

#include <stdlib.h>

#include "../base/xmalloc.h"
#include "burnin.h"
#include "platform.h"
#include "screenpower.h"

struct kiosk {
	screenpower_t *sp;
	schedule_t *schedule;
	int burnin_px, burnin_step_s;
	bool blanked;
	int dx, dy;
};

static void configure(kiosk_t *k, const platcfg_t *pc, const board_t *b)
{
	board_t *def = b ? NULL : board_new_default();
	const board_t *bb = b ? b : def;
	screenpower_opts_t o;
	platcfg_screenpower_opts(pc, bb, &o);
	screenpower_free(k->sp);
	k->sp = screenpower_new(&o);
	schedule_free(k->schedule);
	k->schedule = schedule_copy(pc->schedule);
	k->burnin_px = platcfg_burnin_px(pc, bb);
	k->burnin_step_s = platcfg_burnin_step_s(pc, bb);
	board_free(def);
}

kiosk_t *kiosk_new(const platcfg_t *pc, const board_t *b)
{
	kiosk_t *k = xcalloc(1, sizeof *k);
	configure(k, pc, b);
	return k;
}

void kiosk_reconfigure(kiosk_t *k, const platcfg_t *pc, const board_t *b)
{
	configure(k, pc, b);
}

void kiosk_free(kiosk_t *k)
{
	if (!k)
		return;
	screenpower_free(k->sp);
	schedule_free(k->schedule);
	free(k);
}

bool kiosk_tick(kiosk_t *k, int64_t mono_ms, int64_t wall, bool clock_good)
{
	platform_watchdog_kick();
	screenpower_update(k->sp, k->schedule, clock_good, (time_t)wall, mono_ms);
	bool changed = false;
	bool blank = screenpower_blanked(k->sp);
	if (blank != k->blanked) {
		k->blanked = blank;
		changed = true;
	}
	int dx, dy;
	burnin_offset(mono_ms, k->burnin_px, k->burnin_step_s, &dx, &dy);
	if (dx != k->dx || dy != k->dy) {
		k->dx = dx;
		k->dy = dy;
		changed = true;
	}
	return changed;
}

bool kiosk_blanked(const kiosk_t *k)
{
	return k->blanked;
}

void kiosk_offset(const kiosk_t *k, int64_t mono_ms, int *dx, int *dy)
{
	burnin_offset(mono_ms, k->burnin_px, k->burnin_step_s, dx, dy);
}

static int64_t earliest(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

int64_t kiosk_timeout_ms(const kiosk_t *k, int64_t mono_ms)
{
	int64_t to = platform_watchdog_interval_ms();
	int64_t sp = screenpower_next_due_ms(k->sp, mono_ms);
	if (sp >= 0)
		to = earliest(to, sp > mono_ms ? sp - mono_ms : 0);
	int64_t step = burnin_next_step_ms(mono_ms, k->burnin_px, k->burnin_step_s);
	if (step >= 0)
		to = earliest(to, step > mono_ms ? step - mono_ms : 0);
	return to;
}
