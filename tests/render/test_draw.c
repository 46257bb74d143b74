/* draw.c's image scaling (every avatar and photo on every card goes through
 * it) against the straightforward area average it replaced, kept here as the
 * reference: for each output pixel, the premultiplied average of the source
 * pixels under it, weighted by their overlap.  The separable version must
 * give the same picture to within rounding (one level per channel) at every
 * kind of size: shrinking, enlarging, cropping, odd and tiny sizes, with
 * transparent and translucent pixels. */
#include <SDL.h>
#include <math.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>

#include "../../src/render/draw.h"
#include "test.h"

static uint32_t *ref_row(SDL_Surface *s, int y)
{
	return (uint32_t *)((uint8_t *)s->pixels + (size_t)y * (size_t)s->pitch);
}

/* The area average as it was before the separable version (draw.c). */
static SDL_Surface *ref_scale(SDL_Surface *src, const SDL_Rect *crop, int w, int h)
{
	if (!src || w < 1 || h < 1)
		return NULL;
	SDL_Rect c = crop ? *crop : (SDL_Rect){ 0, 0, src->w, src->h };
	if (c.x < 0)
		c.x = 0;
	if (c.y < 0)
		c.y = 0;
	if (c.x + c.w > src->w)
		c.w = src->w - c.x;
	if (c.y + c.h > src->h)
		c.h = src->h - c.y;
	if (c.w < 1 || c.h < 1)
		return NULL;
	SDL_Surface *d = draw_surface(w, h);
	if (!d)
		return NULL;
	SDL_LockSurface(src);
	double sx = (double)c.w / w, sy = (double)c.h / h;
	for (int j = 0; j < h; j++) {
		double fy0 = c.y + j * sy, fy1 = fy0 + sy;
		int iy0 = (int)fy0, iy1 = (int)ceil(fy1);
		if (iy1 > c.y + c.h)
			iy1 = c.y + c.h;
		if (iy1 <= iy0)
			iy1 = iy0 + 1;
		uint32_t *out = ref_row(d, j);
		for (int i = 0; i < w; i++) {
			double fx0 = c.x + i * sx, fx1 = fx0 + sx;
			int ix0 = (int)fx0, ix1 = (int)ceil(fx1);
			if (ix1 > c.x + c.w)
				ix1 = c.x + c.w;
			if (ix1 <= ix0)
				ix1 = ix0 + 1;
			/* Premultiplied accumulation, so transparent pixels do not
			 * darken the edges. */
			double acc_a = 0, acc_r = 0, acc_g = 0, acc_b = 0, wsum = 0;
			for (int yy = iy0; yy < iy1; yy++) {
				double wy = fmin(fy1, yy + 1.0) - fmax(fy0, (double)yy);
				if (sy < 1)
					wy = 1;
				const uint32_t *srow = ref_row(src, yy);
				for (int xx = ix0; xx < ix1; xx++) {
					double wx = fmin(fx1, xx + 1.0) - fmax(fx0, (double)xx);
					if (sx < 1)
						wx = 1;
					double wgt = wx * wy;
					uint32_t p = srow[xx];
					double a = (p >> 24) * wgt;
					acc_a += a;
					acc_r += ((p >> 16) & 255) * a;
					acc_g += ((p >> 8) & 255) * a;
					acc_b += (p & 255) * a;
					wsum += wgt;
				}
			}
			if (acc_a <= 0 || wsum <= 0) {
				out[i] = 0;
				continue;
			}
			uint32_t a = (uint32_t)lround(acc_a / wsum);
			uint32_t r = (uint32_t)lround(acc_r / acc_a), g = (uint32_t)lround(acc_g / acc_a);
			uint32_t b = (uint32_t)lround(acc_b / acc_a);
			out[i] = (a > 255 ? 255u : a) << 24 | (r > 255 ? 255u : r) << 16 |
			         (g > 255 ? 255u : g) << 8 | (b > 255 ? 255u : b);
		}
	}
	SDL_UnlockSurface(src);
	return d;
}


static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/* A picture with smooth areas, noise, a transparent band and translucent
 * pixels. */
static SDL_Surface *picture(int w, int h)
{
	SDL_Surface *s = draw_surface(w, h);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint32_t a = y < h / 5 ? 0 : y < h / 3 ? rnd() % 256 : 255;
			uint32_t r = (uint32_t)(x * 255 / (w > 1 ? w - 1 : 1)), g = rnd() % 256;
			uint32_t b = (uint32_t)(y * 255 / (h > 1 ? h - 1 : 1));
			ref_row(s, y)[x] = a << 24 | r << 16 | g << 8 | b;
		}
	return s;
}

/* Largest difference of any channel between the two surfaces. */
static int max_diff(SDL_Surface *a, SDL_Surface *b)
{
	int m = 0;
	for (int y = 0; y < a->h; y++)
		for (int x = 0; x < a->w; x++) {
			uint32_t p = ref_row(a, y)[x], q = ref_row(b, y)[x];
			for (int sh = 0; sh < 32; sh += 8) {
				int d = abs((int)((p >> sh) & 255) - (int)((q >> sh) & 255));
				/* colour of a fully transparent pixel does not matter */
				if (sh < 24 && ((p >> 24) == 0 || (q >> 24) == 0))
					d = 0;
				if (d > m)
					m = d;
			}
		}
	return m;
}

TEST(scaling_matches_the_area_average)
{
	static const struct {
		int sw, sh, cx, cy, cw, ch, w, h;
	} cases[] = {
		{ 1280, 853, 0, 0, 0, 0, 800, 533 },   /* a photo into the media box */
		{ 400, 400, 50, 0, 300, 400, 200, 266 }, /* a cropped avatar */
		{ 400, 400, 0, 0, 0, 0, 137, 137 },
		{ 64, 48, 0, 0, 0, 0, 200, 150 },      /* enlarged */
		{ 109, 109, 0, 0, 0, 0, 37, 37 },      /* a colour emoji to a line */
		{ 7, 5, 0, 0, 0, 0, 3, 2 },
		{ 1, 1, 0, 0, 0, 0, 5, 5 },
		{ 300, 20, 10, 3, 250, 15, 1, 1 },
		{ 33, 777, 0, 0, 0, 0, 31, 91 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		SDL_Surface *src = picture(cases[i].sw, cases[i].sh);
		SDL_Rect crop = { cases[i].cx, cases[i].cy, cases[i].cw, cases[i].ch };
		const SDL_Rect *cp = cases[i].cw ? &crop : NULL;
		SDL_Surface *want = ref_scale(src, cp, cases[i].w, cases[i].h);
		SDL_Surface *got = draw_scale(src, cp, cases[i].w, cases[i].h);
		CHECK(want && got);
		CHECK(got->w == cases[i].w && got->h == cases[i].h);
		int d = max_diff(want, got);
		if (d > 1)
			TEST_FAIL_("case %zu (%dx%d to %dx%d): a channel differs by %d", i, cases[i].sw,
			           cases[i].sh, cases[i].w, cases[i].h, d);
		SDL_FreeSurface(want);
		SDL_FreeSurface(got);
		SDL_FreeSurface(src);
	}
}

TEST(scaling_refuses_nonsense)
{
	SDL_Surface *src = picture(10, 10);
	SDL_Rect outside = { 20, 20, 5, 5 };
	CHECK(draw_scale(src, &outside, 5, 5) == NULL);
	CHECK(draw_scale(src, NULL, 0, 5) == NULL);
	CHECK(draw_scale(NULL, NULL, 5, 5) == NULL);
	SDL_FreeSurface(src);
}

/* Every point of r outside the holes is in exactly one result rectangle,
 * and no other point is in any; on random rectangles. */
TEST(rectangle_minus_holes_is_covered_once)
{
	for (int round = 0; round < 300; round++) {
		SDL_Rect r = { (int)(rnd() % 20), (int)(rnd() % 20), (int)(rnd() % 30), (int)(rnd() % 30) };
		SDL_Rect holes[6];
		int nh = (int)(rnd() % 7);
		for (int i = 0; i < nh; i++)
			holes[i] = (SDL_Rect){ (int)(rnd() % 40) - 5, (int)(rnd() % 40) - 5, (int)(rnd() % 25),
				               (int)(rnd() % 25) };
		SDL_Rect out[64];
		int n = draw_rect_subtract(r, holes, nh, out, 64);
		CHECK(n >= 0);
		for (int y = -6; y < 56; y++)
			for (int x = -6; x < 56; x++) {
				SDL_Point p = { x, y };
				bool want = SDL_PointInRect(&p, &r);
				for (int i = 0; i < nh && want; i++)
					want = !SDL_PointInRect(&p, &holes[i]);
				int got = 0;
				for (int i = 0; i < n; i++)
					got += SDL_PointInRect(&p, &out[i]);
				if (got != (want ? 1 : 0))
					TEST_FAIL_("round %d: (%d,%d) covered %d times, want %d", round, x, y, got, want);
				if (test_cur_failed)
					return;
			}
	}
	SDL_Rect one[1];
	SDL_Rect r = { 0, 0, 10, 10 }, hole = { 4, 4, 2, 2 };
	CHECK(draw_rect_subtract(r, &hole, 1, one, 1) == -1); /* needs four */
	CHECK(draw_rect_subtract(r, &r, 1, one, 1) == 0);
}

int main(void)
{
	RUN(scaling_matches_the_area_average);
	RUN(scaling_refuses_nonsense);
	RUN(rectangle_minus_holes_is_covered_once);
	return test_summary();
}
