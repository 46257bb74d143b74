/*
 * burnin: see burnin.h.  With side = 2*max_px+1 the snake visits side*side
 * points in side*side-1 steps; walking it forth and back gives a cycle of
 * 2*(side*side-1) steps.  Position p along the snake: row p / side, and the
 * column runs left to right on even rows, right to left on odd ones.
 */
#include "burnin.h"

void burnin_offset(int64_t mono_ms, int max_px, int step_s, int *dx, int *dy)
{
	*dx = 0;
	*dy = 0;
	if (max_px <= 0)
		return;
	if (max_px > 1000)
		max_px = 1000;
	if (step_s < 1)
		step_s = 1;
	if (mono_ms < 0)
		mono_ms = 0;

	int64_t side = 2 * (int64_t)max_px + 1;
	int64_t points = side * side;
	int64_t cycle = 2 * (points - 1);
	int64_t k = (mono_ms / ((int64_t)step_s * 1000)) % cycle;
	int64_t p = k < points ? k : cycle - k; /* forth, then back */

	int64_t row = p / side;
	int64_t col = p % side;
	if (row % 2 == 1)
		col = side - 1 - col;
	*dx = (int)(col - max_px);
	*dy = (int)(row - max_px);
}

int64_t burnin_next_step_ms(int64_t mono_ms, int max_px, int step_s)
{
	if (max_px <= 0)
		return -1;
	if (step_s < 1)
		step_s = 1;
	if (mono_ms < 0)
		mono_ms = 0;
	int64_t step_ms = (int64_t)step_s * 1000;
	return (mono_ms / step_ms + 1) * step_ms;
}
