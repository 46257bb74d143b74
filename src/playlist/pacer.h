/*
 * pacer: when the screen draws a frame, and how long it may sleep.
 *
 * The screen renders on demand.  While a card is read nothing moves, so no
 * frame is drawn until the next deadline: the end of the dwell time, the
 * clock's next minute (status-line clock, "3 minuten geleden"), or an
 * explicit change (pacer_dirty).  During a transition a frame is drawn for
 * every display refresh.  With vsync the present itself waits for the
 * refresh, so the pacer asks for the next frame at once; without it (the
 * dummy driver, screenshots) it spaces frames by 1000/refresh_hz ms.
 *
 * A transition only starts when the next card is prepared; until then the
 * current card simply stays (never a blank or half-drawn frame).
 *
 * Pure: the caller passes monotonic milliseconds in, so tests run the loop
 * on a fake clock and count frames.
 */
#ifndef BALIE_PACER_H
#define BALIE_PACER_H

#include <stdbool.h>
#include <stdint.h>

typedef enum { PACER_EMPTY, PACER_DWELL, PACER_TRANSITION } pacer_phase_t;

/* What pacer_tick() asks the caller to do, in this order. */
enum {
	PACER_BEGIN = 1,  /* start the transition to the prepared next card */
	PACER_FINISH = 2, /* the transition is over: drop the old card, call pacer_show() */
	PACER_MINUTE = 4, /* the minute changed: update the clock and relative times */
	PACER_FRAME = 8,  /* draw a frame (at pacer_progress()) and present it */
};

typedef struct {
	double frame_ms;       /* spacing of transition frames without vsync */
	double next_frame;     /* when the next transition frame is due */
	bool vsync;            /* present waits for the refresh */
	int transition_ms;
	pacer_phase_t phase;
	int64_t dwell_until;   /* end of the current card's dwell */
	int64_t trans_start;
	int64_t last_frame;    /* when the last frame was presented */
	int64_t next_minute;   /* when the wall clock's minute changes; 0 = unknown */
	bool dirty;            /* something changed: draw once */
	bool paused;
	int64_t paused_left;   /* dwell left when paused */
	unsigned frames;       /* frames presented (pacer_presented calls) */
} pacer_t;

/* refresh_hz <= 0 means 60. */
void pacer_init(pacer_t *p, int refresh_hz, bool vsync, int transition_ms);

/* A card is on screen from now, for dwell_ms (the first card, or after
 * PACER_FINISH, whose tick also asks for the frame).  The first card after
 * nothing (PACER_EMPTY) marks dirty. */
void pacer_show(pacer_t *p, int64_t now, int64_t dwell_ms);

/* Nothing to show (empty feed): no dwell, no transition. */
void pacer_empty(pacer_t *p);

/* The wall clock's next minute falls at mono time t. */
void pacer_set_minute(pacer_t *p, int64_t t);

/* Something on screen changed: draw one frame. */
void pacer_dirty(pacer_t *p);

/* End the dwell now (next/previous from the keyboard or a tap). */
void pacer_skip(pacer_t *p, int64_t now);

/* Pause or resume the dwell (the remaining time is kept). */
void pacer_pause(pacer_t *p, int64_t now, bool paused);

/* Decide what to do at now; next_ready tells whether the next card is
 * prepared.  Returns PACER_* flags. */
unsigned pacer_tick(pacer_t *p, int64_t now, bool next_ready);

/* Transition progress 0..1 at now (1 outside a transition). */
double pacer_progress(const pacer_t *p, int64_t now);

/* Record that a frame was presented at now. */
void pacer_presented(pacer_t *p, int64_t now);

/* How long the caller may sleep from now, in ms (0 = do not sleep; -1 =
 * until an event arrives).  next_ready as for pacer_tick(): while the next
 * card is not ready the end of the dwell is not a deadline (its arrival is
 * an event). */
int64_t pacer_timeout(const pacer_t *p, int64_t now, bool next_ready);

#endif
