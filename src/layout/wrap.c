/*
 * wrap: greedy line breaking over libunibreak's break opportunities, size
 * fitting by binary search, and cutting with an ellipsis.  See wrap.h.
 */
#include "wrap.h"

#include <linebreak.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../base/xmalloc.h"

static pthread_once_t unibreak_once = PTHREAD_ONCE_INIT;

static void unibreak_init(void)
{
	init_linebreak();
}

/* libunibreak 1.1 (Debian bookworm) aborts on an assertion for regional
 * indicators (flags, U+1F1E6..1F1FF) and U+FFFF: its tables know classes its
 * pair table does not.  Give it a copy with those replaced by characters of
 * the same length that it does handle (an ideograph, U+FFFD). */
static char *unibreak_safe_copy(const char *text, size_t len)
{
	char *c = NULL;
	const unsigned char *u = (const unsigned char *)text;
	for (size_t i = 0; i < len; i++) {
		bool ri = i + 3 < len && u[i] == 0xF0 && u[i + 1] == 0x9F && u[i + 2] == 0x87 &&
		          u[i + 3] >= 0xA6 && u[i + 3] <= 0xBF;
		bool ffff = i + 2 < len && u[i] == 0xEF && u[i + 1] == 0xBF && u[i + 2] == 0xBF;
		if (!ri && !ffff)
			continue;
		if (!c)
			c = xstrndup(text, len);
		if (ri)
			memcpy(c + i, "ð ", 4); /* U+20000 */
		else
			memcpy(c + i, "ï¿½", 3); /* U+FFFD */
	}
	return c;
}

void wrap_breaks(const char *text, size_t len, const char *lang, char *brk)
{
	if (len == 0)
		return;
	/* Bytes libunibreak does not reach (it stops at invalid UTF-8) stay
	 * plain character boundaries, so they can still be broken in an
	 * emergency. */
	memset(brk, WRAP_NO, len);
	pthread_once(&unibreak_once, unibreak_init);
	char *safe = unibreak_safe_copy(text, len);
	set_linebreaks_utf8((const utf8_t *)(safe ? safe : text), len, lang, brk);
	free(safe);
	for (size_t i = 0; i < len; i++)
		if (brk[i] != WRAP_MUST && brk[i] != WRAP_ALLOW && brk[i] != WRAP_NO &&
		    brk[i] != WRAP_INSIDE)
			brk[i] = WRAP_NO;
	brk[len - 1] = WRAP_MUST;
}

void wrap_result_free(wrap_result_t *r)
{
	free(r->lines);
	memset(r, 0, sizeof *r);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_newline(char c)
{
	return c == '\n' || c == '\r';
}

static size_t trim_end(const char *text, size_t start, size_t end)
{
	while (end > start && is_space(text[end - 1]))
		end--;
	return end;
}

/* End (exclusive) of the segment that starts at pos. */
static size_t segment_end(const char *brk, size_t len, size_t pos)
{
	size_t j = pos;
	while (j < len && brk[j] != WRAP_MUST && brk[j] != WRAP_ALLOW)
		j++;
	return j < len ? j + 1 : len;
}

static void push_line(wrap_result_t *out, size_t start, size_t end, int width)
{
	XGROW(out->lines, out->cap, out->n + 1);
	out->lines[out->n++] = (wrap_line_t){ .start = start, .end = end, .width = width };
	if (width > out->width)
		out->width = width;
}

static int measure(const wrap_measure_t *m, int px, size_t start, size_t end)
{
	return end > start ? m->measure(m->ctx, px, start, end) : 0;
}

/* The largest character boundary k in (start, limit] with
 * measure(start, k) + extra <= max_w; start when none fits. */
static size_t fit_chars(const char *brk, size_t start, size_t limit, int px, int max_w, int extra,
                        const wrap_measure_t *m, int *width)
{
	size_t *cand = NULL, n = 0, cap = 0;
	for (size_t k = start + 1; k <= limit; k++)
		if (brk[k - 1] != WRAP_INSIDE) {
			XGROW(cand, cap, n + 1);
			cand[n++] = k;
		}
	size_t best = start;
	*width = 0;
	size_t lo = 0, hi = n; /* answer: number of candidates that fit, in [lo, hi] */
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;
		int w = measure(m, px, start, cand[mid - 1]);
		if (w + extra <= max_w) {
			lo = mid;
			best = cand[mid - 1];
			*width = w;
		} else {
			hi = mid - 1;
		}
	}
	if (best != start && *width == 0)
		*width = measure(m, px, start, best);
	free(cand);
	return best;
}

void wrap_lines(const char *text, size_t len, const char *brk, int px, int max_w,
                const wrap_measure_t *m, wrap_result_t *out)
{
	out->n = 0;
	out->width = 0;
	out->truncated = false;
	out->px = px;
	out->line_h = m->line_height(m->ctx, px);
	size_t pos = 0;
	while (pos < len) {
		size_t ls = pos, vis_end = pos;
		int width = 0, vis_w = 0;
		bool have = false;
		for (;;) {
			size_t se = segment_end(brk, len, pos);
			bool hard = is_newline(text[se - 1]);
			size_t vis = trim_end(text, pos, se);
			size_t sp_end = se;
			while (sp_end > vis && is_newline(text[sp_end - 1]))
				sp_end--;
			int wv = measure(m, px, pos, vis);
			if (have && width + wv > max_w)
				break;
			if (!have && wv > max_w) {
				/* One segment wider than the line: break it between
				 * characters, keeping at least one. */
				int w;
				size_t k = fit_chars(brk, pos, vis, px, max_w, 0, m, &w);
				if (k == pos) {
					size_t first = pos + 1;
					while (first < vis && brk[first - 1] == WRAP_INSIDE)
						first++;
					k = first;
					w = measure(m, px, pos, k);
				}
				vis_end = k;
				vis_w = w;
				pos = k;
				have = true;
				break;
			}
			width += wv;
			vis_end = vis;
			vis_w = width;
			width += measure(m, px, vis, sp_end);
			pos = se;
			have = true;
			if (hard || pos >= len)
				break;
		}
		push_line(out, ls, vis_end, vis_w);
	}
	out->height = (int)out->n * out->line_h;
}

static bool fits(const wrap_result_t *r, int max_h, int max_lines)
{
	return r->height <= max_h && (max_lines <= 0 || (int)r->n <= max_lines);
}

/* Cut the text after r->lines[keep - 1], ending that line in "…". */
static void truncate_lines(const char *text, size_t len, const char *brk, int max_w, size_t keep,
                           const wrap_measure_t *m, wrap_result_t *r)
{
	int px = r->px;
	r->n = keep;
	wrap_line_t *last = &r->lines[keep - 1];
	size_t s = last->start, limit = s;
	while (limit < len && !is_newline(text[limit]))
		limit++;
	int ell = m->ellipsis(m->ctx, px);

	/* Largest word boundary that leaves room for the ellipsis. */
	size_t best = s, pos = s;
	int best_w = 0, width = 0;
	while (pos < limit) {
		size_t se = segment_end(brk, len, pos);
		if (se > limit)
			se = limit;
		size_t vis = trim_end(text, pos, se);
		int wv = measure(m, px, pos, vis);
		if (width + wv + ell > max_w)
			break;
		width += wv;
		if (vis > s) {
			best = vis;
			best_w = width;
		}
		width += measure(m, px, vis, se);
		pos = se;
	}
	if (best == s) {
		/* Not even one word: cut between characters. */
		best = fit_chars(brk, s, trim_end(text, s, limit), px, max_w, ell, m, &best_w);
	}
	last->end = best;
	last->width = best_w + ell;
	last->ellipsis = true;
	r->truncated = true;
	r->width = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->lines[i].width > r->width)
			r->width = r->lines[i].width;
	r->height = (int)r->n * r->line_h;
}

void wrap_fit(const char *text, size_t len, const char *brk, int min_px, int max_px, int max_w,
              int max_h, int max_lines, const wrap_measure_t *m, wrap_result_t *out)
{
	if (min_px < 1)
		min_px = 1;
	if (max_px < min_px)
		max_px = min_px;
	wrap_lines(text, len, brk, max_px, max_w, m, out);
	if (len == 0 || fits(out, max_h, max_lines))
		return;
	wrap_lines(text, len, brk, min_px, max_w, m, out);
	if (!fits(out, max_h, max_lines)) {
		size_t keep = out->line_h > 0 ? (size_t)(max_h / out->line_h) : 1;
		if (max_lines > 0 && keep > (size_t)max_lines)
			keep = (size_t)max_lines;
		if (keep < 1)
			keep = 1;
		if (keep > out->n)
			keep = out->n;
		truncate_lines(text, len, brk, max_w, keep, m, out);
		return;
	}
	/* min_px fits, max_px does not: find the largest that fits. */
	int lo = min_px, hi = max_px - 1;
	while (lo < hi) {
		int mid = lo + (hi - lo + 1) / 2;
		wrap_lines(text, len, brk, mid, max_w, m, out);
		if (fits(out, max_h, max_lines))
			lo = mid;
		else
			hi = mid - 1;
	}
	wrap_lines(text, len, brk, lo, max_w, m, out);
}
