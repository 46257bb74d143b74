/*
 * draw: straight-alpha compositing, area-average scaling and antialiased
 * shapes on ARGB8888 surfaces.  See draw.h.
 */
#include "draw.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "../base/xmalloc.h"

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

/* One axis of the area average: output index i covers source indices
 * lo[i], lo[i] + 1, ... with the weights w[start[i]] .. w[start[i + 1] - 1]
 * (the overlap of the pixels; 1 each when enlarging), summing to sum[i]. */
typedef struct {
	int *lo, *start;
	double *w, *sum;
} axis_t;

static void axis_make(axis_t *a, int c0, int cn, int n)
{
	double s = (double)cn / n;
	int per = (int)ceil(s) + 2;
	a->lo = xmalloc((size_t)n * sizeof *a->lo);
	a->start = xmalloc(((size_t)n + 1) * sizeof *a->start);
	a->w = xmalloc((size_t)n * (size_t)per * sizeof *a->w);
	a->sum = xmalloc((size_t)n * sizeof *a->sum);
	int t = 0;
	for (int i = 0; i < n; i++) {
		double f0 = c0 + i * s, f1 = f0 + s;
		int i0 = (int)f0, i1 = (int)ceil(f1);
		if (i1 > c0 + cn)
			i1 = c0 + cn;
		if (i1 <= i0)
			i1 = i0 + 1;
		a->lo[i] = i0;
		a->start[i] = t;
		a->sum[i] = 0;
		for (int k = i0; k < i1 && t < n * per; k++) {
			double wk = s < 1 ? 1 : fmin(f1, k + 1.0) - fmax(f0, (double)k);
			a->w[t++] = wk;
			a->sum[i] += wk;
		}
	}
	a->start[n] = t;
}

static void axis_free(axis_t *a)
{
	free(a->lo);
	free(a->start);
	free(a->w);
	free(a->sum);
}

/* Source row y averaged along x: premultiplied (a, r*a, g*a, b*a) for every
 * output column, into out[4 * w]. */
static void scale_row(const SDL_Surface *src, int y, const axis_t *ax, int w, double *out)
{
	const uint32_t *srow = row((SDL_Surface *)src, y);
	for (int i = 0; i < w; i++) {
		double a = 0, r = 0, g = 0, b = 0;
		const double *wk = ax->w + ax->start[i];
		int n = ax->start[i + 1] - ax->start[i];
		const uint32_t *p = srow + ax->lo[i];
		for (int k = 0; k < n; k++) {
			double aw = (double)(p[k] >> 24) * wk[k];
			a += aw;
			r += ((p[k] >> 16) & 255) * aw;
			g += ((p[k] >> 8) & 255) * aw;
			b += (p[k] & 255) * aw;
		}
		out[4 * i] = a;
		out[4 * i + 1] = r;
		out[4 * i + 2] = g;
		out[4 * i + 3] = b;
	}
}

static uint32_t chan(double v)
{
	return v >= 254.5 ? 255u : (uint32_t)(v + 0.5);
}

/* Separable: each source row is averaged along x once (a row shared by two
 * output rows is kept in a two-row cache), then the rows are combined along
 * y.  The same sums as averaging each output pixel's box directly, in a
 * fraction of the work: images are scaled on every card. */
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
	axis_t ax, ay;
	axis_make(&ax, c.x, c.w, w);
	axis_make(&ay, c.y, c.h, h);
	double *acc = xmalloc((size_t)w * 4 * sizeof *acc);
	double *rows[2] = { xmalloc((size_t)w * 4 * sizeof(double)), xmalloc((size_t)w * 4 * sizeof(double)) };
	int cached[2] = { -1, -1 }, next_slot = 0;
	SDL_LockSurface(src);
	for (int j = 0; j < h; j++) {
		for (int i = 0; i < 4 * w; i++)
			acc[i] = 0;
		for (int t = ay.start[j]; t < ay.start[j + 1]; t++) {
			int y = ay.lo[j] + (t - ay.start[j]);
			const double *hr;
			if (cached[0] == y) {
				hr = rows[0];
			} else if (cached[1] == y) {
				hr = rows[1];
			} else {
				scale_row(src, y, &ax, w, rows[next_slot]);
				cached[next_slot] = y;
				hr = rows[next_slot];
				next_slot ^= 1;
			}
			double wy = ay.w[t];
			for (int i = 0; i < 4 * w; i++)
				acc[i] += wy * hr[i];
		}
		uint32_t *out = row(d, j);
		for (int i = 0; i < w; i++) {
			double a = acc[4 * i], wsum = ax.sum[i] * ay.sum[j];
			if (a <= 0 || wsum <= 0) {
				out[i] = 0;
				continue;
			}
			out[i] = chan(a / wsum) << 24 | chan(acc[4 * i + 1] / a) << 16 |
			         chan(acc[4 * i + 2] / a) << 8 | chan(acc[4 * i + 3] / a);
		}
	}
	SDL_UnlockSurface(src);
	free(acc);
	free(rows[0]);
	free(rows[1]);
	axis_free(&ax);
	axis_free(&ay);
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

void draw_onto(SDL_Surface *s, SDL_Color bg)
{
	if (!s)
		return;
	uint32_t b = 0xFF000000u | (uint32_t)bg.r << 16 | (uint32_t)bg.g << 8 | bg.b;
	SDL_LockSurface(s);
	for (int y = 0; y < s->h; y++) {
		uint32_t *p = row(s, y);
		for (int x = 0; x < s->w; x++)
			p[x] = over(b, p[x], 255);
	}
	SDL_UnlockSurface(s);
}

int draw_rect_subtract(SDL_Rect r, const SDL_Rect *holes, int n_holes, SDL_Rect *out, int max)
{
	if (r.w <= 0 || r.h <= 0)
		return 0;
	if (max < 1)
		return -1;
	int n = 1;
	out[0] = r;
	for (int h = 0; h < n_holes; h++) {
		const SDL_Rect *o = &holes[h];
		/* each rectangle so far loses its overlap with o: what is left of
		 * it is at most four bands (above, below, left, right) */
		for (int i = n - 1; i >= 0; i--) {
			SDL_Rect a = out[i], x;
			if (!SDL_IntersectRect(&a, o, &x))
				continue;
			SDL_Rect bands[4] = {
				{ a.x, a.y, a.w, x.y - a.y },
				{ a.x, x.y + x.h, a.w, a.y + a.h - (x.y + x.h) },
				{ a.x, x.y, x.x - a.x, x.h },
				{ x.x + x.w, x.y, a.x + a.w - (x.x + x.w), x.h },
			};
			out[i] = out[--n]; /* a is replaced by its bands */
			for (int b = 0; b < 4; b++) {
				if (bands[b].w <= 0 || bands[b].h <= 0)
					continue;
				if (n >= max)
					return -1;
				out[n++] = bands[b];
			}
		}
	}
	return n;
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
