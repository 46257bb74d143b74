/*
 * draw: straight-alpha compositing, area-average scaling and antialiased
 * shapes on ARGB8888 surfaces.  See draw.h.
 */
#include "draw.h"

#include <math.h>
#include <stdint.h>

static inline uint32_t *row(SDL_Surface *s, int y)
{
	return (uint32_t *)((uint8_t *)s->pixels + (size_t)y * (size_t)s->pitch);
}

SDL_Surface *draw_surface(int w, int h)
{
	if (w < 1)
		w = 1;
	if (h < 1)
		h = 1;
	SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
	if (s)
		SDL_FillRect(s, NULL, 0);
	return s;
}

SDL_Surface *draw_convert(SDL_Surface *src)
{
	if (!src)
		return NULL;
	return SDL_ConvertSurfaceFormat(src, SDL_PIXELFORMAT_ARGB8888, 0);
}

/* dst = src over dst, straight (non-premultiplied) alpha. */
static inline uint32_t over(uint32_t d, uint32_t s, int opacity)
{
	uint32_t sa = ((s >> 24) * (uint32_t)opacity + 127) / 255;
	if (sa == 0)
		return d;
	uint32_t da = d >> 24;
	if (sa == 255 || da == 0)
		return (sa << 24) | (s & 0xFFFFFF);
	/* out_a = sa + da(1 - sa);  out_c = (sc*sa + dc*da*(1-sa)) / out_a */
	uint32_t dw = da * (255 - sa) / 255;
	uint32_t oa = sa + dw;
	uint32_t r = (((s >> 16) & 255) * sa + ((d >> 16) & 255) * dw) / oa;
	uint32_t g = (((s >> 8) & 255) * sa + ((d >> 8) & 255) * dw) / oa;
	uint32_t b = ((s & 255) * sa + (d & 255) * dw) / oa;
	return (oa << 24) | (r << 16) | (g << 8) | b;
}

void draw_over(SDL_Surface *dst, SDL_Surface *src, int x, int y, int opacity)
{
	if (!dst || !src || opacity <= 0)
		return;
	if (opacity > 255)
		opacity = 255;
	SDL_LockSurface(dst);
	SDL_LockSurface(src);
	int x0 = x < 0 ? -x : 0, y0 = y < 0 ? -y : 0;
	int x1 = src->w, y1 = src->h;
	if (x + x1 > dst->w)
		x1 = dst->w - x;
	if (y + y1 > dst->h)
		y1 = dst->h - y;
	for (int j = y0; j < y1; j++) {
		uint32_t *d = row(dst, y + j) + x, *s = row(src, j);
		for (int i = x0; i < x1; i++)
			d[i] = over(d[i], s[i], opacity);
	}
	SDL_UnlockSurface(src);
	SDL_UnlockSurface(dst);
}

SDL_Surface *draw_scale(SDL_Surface *src, const SDL_Rect *crop, int w, int h)
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
		uint32_t *out = row(d, j);
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
				const uint32_t *srow = row(src, yy);
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

/* Coverage of pixel (x, y) by a disc, with 4x4 supersampling at the edge. */
static double disc_coverage(double x, double y, double cx, double cy, double r)
{
	double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
	double d = sqrt(dx * dx + dy * dy);
	if (d <= r - 1)
		return 1;
	if (d >= r + 1)
		return 0;
	int in = 0;
	for (int j = 0; j < 4; j++)
		for (int i = 0; i < 4; i++) {
			double px = x + (i + 0.5) / 4 - cx, py = y + (j + 0.5) / 4 - cy;
			in += px * px + py * py <= r * r;
		}
	return in / 16.0;
}

void draw_mask_circle(SDL_Surface *s)
{
	double r = (s->w < s->h ? s->w : s->h) / 2.0, cx = s->w / 2.0, cy = s->h / 2.0;
	SDL_LockSurface(s);
	for (int y = 0; y < s->h; y++) {
		uint32_t *p = row(s, y);
		for (int x = 0; x < s->w; x++) {
			double c = disc_coverage(x, y, cx, cy, r);
			uint32_t a = (uint32_t)lround((p[x] >> 24) * c);
			p[x] = (a << 24) | (p[x] & 0xFFFFFF);
		}
	}
	SDL_UnlockSurface(s);
}

static void blend_pixel(SDL_Surface *s, int x, int y, SDL_Color c, double cov)
{
	if (cov <= 0)
		return;
	uint32_t src = ((uint32_t)lround(c.a * cov) << 24) | ((uint32_t)c.r << 16) |
	               ((uint32_t)c.g << 8) | c.b;
	uint32_t *p = row(s, y) + x;
	*p = over(*p, src, 255);
}

void draw_fill_circle(SDL_Surface *s, double cx, double cy, double r, SDL_Color c)
{
	SDL_LockSurface(s);
	int y0 = (int)floor(cy - r - 1), y1 = (int)ceil(cy + r + 1);
	int x0 = (int)floor(cx - r - 1), x1 = (int)ceil(cx + r + 1);
	for (int y = y0 < 0 ? 0 : y0; y < y1 && y < s->h; y++)
		for (int x = x0 < 0 ? 0 : x0; x < x1 && x < s->w; x++)
			blend_pixel(s, x, y, c, disc_coverage(x, y, cx, cy, r));
	SDL_UnlockSurface(s);
}

void draw_fill_round_rect(SDL_Surface *s, SDL_Rect r, double rad, SDL_Color c)
{
	if (rad * 2 > r.w)
		rad = r.w / 2.0;
	if (rad * 2 > r.h)
		rad = r.h / 2.0;
	SDL_LockSurface(s);
	for (int y = r.y < 0 ? 0 : r.y; y < r.y + r.h && y < s->h; y++)
		for (int x = r.x < 0 ? 0 : r.x; x < r.x + r.w && x < s->w; x++) {
			/* Nearest point of the inner rectangle (shrunk by rad). */
			double ix = fmin(fmax(x + 0.5, r.x + rad), r.x + r.w - rad);
			double iy = fmin(fmax(y + 0.5, r.y + rad), r.y + r.h - rad);
			double cov = 1;
			if (ix != x + 0.5 || iy != y + 0.5)
				cov = disc_coverage(x, y, ix, iy, rad);
			blend_pixel(s, x, y, c, cov);
		}
	SDL_UnlockSurface(s);
}

bool draw_has_ink(SDL_Surface *s)
{
	if (!s)
		return false;
	SDL_LockSurface(s);
	bool ink = false;
	for (int y = 0; y < s->h && !ink; y++) {
		const uint32_t *p = row(s, y);
		for (int x = 0; x < s->w; x++)
			if (p[x] >> 24) {
				ink = true;
				break;
			}
	}
	SDL_UnlockSurface(s);
	return ink;
}
