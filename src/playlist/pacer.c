/*
 * pacer: a small state machine over three deadlines (dwell end, next
 * transition frame, next minute).  See pacer.h.
 */
#include "pacer.h"

#include <string.h>

void pacer_init(pacer_t *p, int refresh_hz, bool vsync, int transition_ms)
{
	memset(p, 0, sizeof *p);
	if (refresh_hz <= 0 || refresh_hz > 1000)
		refresh_hz = 60;
	p->frame_ms = 1000.0 / refresh_hz;
	p->vsync = vsync;
	p->transition_ms = transition_ms < 0 ? 0 : transition_ms > 10000 ? 10000 : transition_ms;
	p->phase = PACER_EMPTY;
	p->last_frame = -1000000;
}

void pacer_show(pacer_t *p, int64_t now, int64_t dwell_ms)
{
	/* After PACER_FINISH the frame asked for in the same tick shows the
	 * card; only a card appearing from nothing needs a frame of its own. */
	if (p->phase == PACER_EMPTY)
		p->dirty = true;
	p->phase = PACER_DWELL;
	if (p->paused) {
		p->paused_left = dwell_ms;
		p->dwell_until = INT64_MAX;
	} else {
		p->dwell_until = now + dwell_ms;
	}
}

void pacer_empty(pacer_t *p)
{
	p->phase = PACER_EMPTY;
	p->dirty = true;
}

void pacer_set_minute(pacer_t *p, int64_t t)
{
	p->next_minute = t;
}

void pacer_dirty(pacer_t *p)
{
	p->dirty = true;
}

void pacer_skip(pacer_t *p, int64_t now)
{
	if (p->phase != PACER_DWELL)
		return;
	if (p->paused)
		p->paused_left = 0;
	else
		p->dwell_until = now;
}

void pacer_pause(pacer_t *p, int64_t now, bool paused)
{
	if (paused == p->paused)
		return;
	p->paused = paused;
	if (paused) {
		p->paused_left = p->dwell_until > now ? p->dwell_until - now : 0;
		p->dwell_until = INT64_MAX;
	} else {
		p->dwell_until = now + p->paused_left;
	}
	p->dirty = true;
}

double pacer_progress(const pacer_t *p, int64_t now)
{
	if (p->phase != PACER_TRANSITION || p->transition_ms <= 0)
		return 1.0;
	double t = (double)(now - p->trans_start) / p->transition_ms;
	return t < 0 ? 0 : t > 1 ? 1 : t;
}

unsigned pacer_tick(pacer_t *p, int64_t now, bool next_ready)
{
	unsigned act = 0;
	if (p->next_minute > 0 && now >= p->next_minute) {
		act |= PACER_MINUTE | PACER_FRAME;
		while (p->next_minute <= now)
			p->next_minute += 60000;
	}
	if (p->phase == PACER_DWELL && !p->paused && now >= p->dwell_until && next_ready) {
		p->phase = PACER_TRANSITION;
		p->trans_start = now;
		p->next_frame = (double)now + p->frame_ms;
		act |= PACER_BEGIN | PACER_FRAME;
		if (p->transition_ms == 0) {
			p->phase = PACER_DWELL;
			p->dwell_until = INT64_MAX; /* until pacer_show() */
			act |= PACER_FINISH;
		}
		p->dirty = false;
		return act;
	}
	if (p->phase == PACER_TRANSITION) {
		if (now - p->trans_start >= p->transition_ms) {
			p->phase = PACER_DWELL;
			p->dwell_until = INT64_MAX;
			act |= PACER_FINISH | PACER_FRAME;
		} else if (p->vsync || (double)now >= p->next_frame - 0.5) {
			act |= PACER_FRAME;
			p->next_frame += p->frame_ms;
			if (p->next_frame < (double)now)
				p->next_frame = (double)now + p->frame_ms; /* fell behind: no burst */
		}
	}
	if (p->dirty)
		act |= PACER_FRAME;
	p->dirty = false;
	return act;
}

void pacer_presented(pacer_t *p, int64_t now)
{
	p->last_frame = now;
	p->frames++;
}

static int64_t min_deadline(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

int64_t pacer_timeout(const pacer_t *p, int64_t now, bool next_ready)
{
	if (p->dirty)
		return 0;
	int64_t t = -1;
	if (p->next_minute > 0)
		t = p->next_minute > now ? p->next_minute - now : 0;
	if (p->phase == PACER_TRANSITION) {
		if (p->vsync)
			return 0;
		int64_t next = (int64_t)(p->next_frame + 0.5);
		int64_t end = p->trans_start + p->transition_ms;
		if (end < next)
			next = end;
		t = min_deadline(t, next > now ? next - now : 0);
	} else if (p->phase == PACER_DWELL && !p->paused && next_ready) {
		t = min_deadline(t, p->dwell_until > now ? p->dwell_until - now : 0);
	}
	return t;
}
