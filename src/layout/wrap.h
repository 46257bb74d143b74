/*
 * wrap: line breaking, fitting and ellipsis for any font, without SDL.
 *
 * Break opportunities come from libunibreak (Unicode line breaking, UAX #14),
 * so lines break at word boundaries in every script, not only at spaces.
 * Widths come from a measuring callback: the text engine (render/text.c)
 * measures with real fonts, the unit tests with a fake fixed-advance font.
 *
 * Wrapping is greedy, segment by segment (a segment runs from one break
 * opportunity to the next; its width is measured once).  A segment wider
 * than the line is broken at character boundaries.  Fitting looks for the
 * largest size between a minimum and a maximum at which the text fits the
 * box (binary search); when even the minimum does not fit, the text is cut
 * after the last line that fits, at a word boundary, and ends in "…".
 */
#ifndef BALIE_WRAP_H
#define BALIE_WRAP_H

#include <stdbool.h>
#include <stddef.h>

/* Per byte of text: may a line break after this byte?  The values are
 * libunibreak's LINEBREAK_* constants. */
enum {
	WRAP_MUST = 0,   /* hard break (newline; also the last byte) */
	WRAP_ALLOW = 1,  /* break opportunity */
	WRAP_NO = 2,     /* a character boundary without a break opportunity */
	WRAP_INSIDE = 3, /* inside a character or a cluster that must stay whole */
};

/* Fill brk[0..len) with the break class after each byte of UTF-8 text.
 * lang may be NULL.  Invalid UTF-8 is treated as one character per byte. */
void wrap_breaks(const char *text, size_t len, const char *lang, char *brk);

/* The measuring callback.  All widths and heights in pixels at size px. */
typedef struct {
	/* Advance width of text[start, end).  Required. */
	int (*measure)(void *ctx, int px, size_t start, size_t end);
	/* Width of the ellipsis "…".  Required. */
	int (*ellipsis)(void *ctx, int px);
	/* Distance between baselines.  Required. */
	int (*line_height)(void *ctx, int px);
	void *ctx;
} wrap_measure_t;

typedef struct {
	size_t start, end;  /* visible bytes [start, end): trailing spaces and newline excluded */
	int width;          /* of the visible bytes, plus the ellipsis when set */
	bool ellipsis;      /* the text was cut: draw "…" after end */
} wrap_line_t;

/* Result of wrapping.  Owns lines; free with wrap_result_free(). */
typedef struct {
	wrap_line_t *lines;
	size_t n, cap;
	int px;             /* size used */
	int line_h;         /* baseline distance at px */
	int width;          /* widest line */
	int height;         /* n * line_h */
	bool truncated;     /* cut with an ellipsis */
} wrap_result_t;

void wrap_result_free(wrap_result_t *r);

/* Greedy wrap of text (with breaks brk from wrap_breaks(), possibly with
 * clusters marked WRAP_INSIDE) at size px into lines at most max_w wide.
 * Replaces out's previous contents.  Empty text gives zero lines. */
void wrap_lines(const char *text, size_t len, const char *brk, int px, int max_w,
                const wrap_measure_t *m, wrap_result_t *out);

/* Fit text into max_w x max_h (and at most max_lines lines when > 0): the
 * largest px in [min_px, max_px] at which all of it fits; else min_px, cut
 * after the last line that fits with an ellipsis.  At least one line is
 * always kept when the text is not empty. */
void wrap_fit(const char *text, size_t len, const char *brk, int min_px, int max_px, int max_w,
              int max_h, int max_lines, const wrap_measure_t *m, wrap_result_t *out);

#endif
