/*
 * burnin: a slow drift of the whole picture against burn-in.
 *
 * A wall shows the same frame (header, status line, card edges) for months.
 * Moving everything by a pixel every few minutes spreads the static edges
 * over a small square so no pixel of the panel holds one value for long, and
 * a pixel step now and then is invisible to people walking by.
 *
 * The offset walks a snake path over every point of the square
 * [-max_px, max_px]²: along a row one pixel at a time, down one row, back
 * along the next, and at the last row the same path backwards.  Each step
 * moves exactly one pixel along one axis (never a jump), every offset is
 * visited equally often, and the whole cycle repeats.  It is a pure function
 * of the monotonic clock, so it needs no state and survives nothing.
 */
#ifndef BALIE_BURNIN_H
#define BALIE_BURNIN_H

#include <stdint.h>

/* Offset for monotonic time mono_ms: one step every step_s seconds (at least
 * 1), |dx|, |dy| <= max_px.  max_px <= 0 gives (0, 0).  The renderer keeps a
 * margin of max_px around the layout. */
void burnin_offset(int64_t mono_ms, int max_px, int step_s, int *dx, int *dy);

/* Monotonic time of the next step after mono_ms (when to redraw next), or
 * -1 when max_px <= 0 (the picture never moves). */
int64_t burnin_next_step_ms(int64_t mono_ms, int max_px, int step_s);

#endif
