/*
 * Burn-in drift: stays within ±N px, moves one pixel along one axis per step
 * (never jumps, also when the cycle wraps), holds still between steps, and
 * visits every offset of the square.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/platform/burnin.h"
#include "test.h"

TEST(holds_still_within_a_step)
{
	int x0, y0, x1, y1;
	burnin_offset(0, 8, 120, &x0, &y0);
	burnin_offset(119999, 8, 120, &x1, &y1);
	CHECK_INT(x0, x1);
	CHECK_INT(y0, y1);
	burnin_offset(120000, 8, 120, &x1, &y1);
	CHECK_INT(abs(x1 - x0) + abs(y1 - y0), 1);
	CHECK_INT(burnin_next_step_ms(0, 8, 120), 120000);
	CHECK_INT(burnin_next_step_ms(119999, 8, 120), 120000);
	CHECK_INT(burnin_next_step_ms(120000, 8, 120), 240000);
}

/* Over two full cycles: bounded, one-pixel moves, every point visited. */
static void walk(int n, int step_s)
{
	int side = 2 * n + 1;
	int64_t cycle = 2 * ((int64_t)side * side - 1);
	char *seen = calloc((size_t)(side * side), 1);
	int px, py;
	burnin_offset(0, n, step_s, &px, &py);
	for (int64_t k = 1; k <= 2 * cycle; k++) {
		int x, y;
		burnin_offset(k * step_s * 1000 + 17, n, step_s, &x, &y);
		if (x < -n || x > n || y < -n || y > n) {
			TEST_FAIL_("n=%d step %lld: offset (%d,%d) out of range", n, (long long)k, x, y);
			break;
		}
		if (abs(x - px) + abs(y - py) != 1) {
			TEST_FAIL_("n=%d step %lld: moved from (%d,%d) to (%d,%d)", n, (long long)k, px, py, x, y);
			break;
		}
		seen[(y + n) * side + (x + n)] = 1;
		px = x;
		py = y;
	}
	for (int i = 0; i < side * side; i++) {
		if (!seen[i]) {
			TEST_FAIL_("n=%d: offset (%d,%d) never visited", n, i % side - n, i / side - n);
			break;
		}
	}
	free(seen);
}

TEST(bounded_smooth_and_covering)
{
	walk(1, 60);
	walk(8, 120);
	walk(3, 1);
}

TEST(disabled_and_odd_inputs)
{
	int x = 5, y = 5;
	burnin_offset(123456789, 0, 120, &x, &y);
	CHECK_INT(x, 0);
	CHECK_INT(y, 0);
	CHECK_INT(burnin_next_step_ms(5, 0, 120), -1);
	burnin_offset(-5000, 4, 0, &x, &y); /* negative time, zero step: no crash, in range */
	CHECK(x >= -4 && x <= 4 && y >= -4 && y <= 4);
	/* a kiosk that has been up for a year */
	burnin_offset((int64_t)365 * 86400 * 1000, 8, 120, &x, &y);
	CHECK(x >= -8 && x <= 8 && y >= -8 && y <= 8);
}

int main(void)
{
	RUN(holds_still_within_a_step);
	RUN(bounded_smooth_and_covering);
	RUN(disabled_and_odd_inputs);
	return test_summary();
}
