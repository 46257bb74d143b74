/*
 * text: the text engine.  Turns a UTF-8 string with spans into one
 * ARGB8888 surface, using as many fonts as the text needs.
 *
 * SDL_ttf draws with one font per call and has no fallback, no bidi and no
 * line breaking across fonts, so this engine does it:
 *   1. clusters: a character with its combining marks, and emoji sequences
 *      (ZWJ, flags, skin tones, keycaps, VS16) as one unit;
 *   2. a font for each cluster: emoji-presentation clusters go to Noto Color
 *      Emoji as a whole (DejaVu also has a monochrome smiley, so "first font
 *      that has it" would never reach colour); everything else to the first
 *      font in the chain that provides it; a character no font has is drawn
 *      with the main font and counted (text_stats()->missing_glyphs);
 *   3. bidi levels per paragraph (fribidi), scripts (HarfBuzz needs "Arab"
 *      to join Arabic letters), and runs of one font, level, script, colour;
 *   4. line breaking with layout/wrap.c over libunibreak's opportunities,
 *      measuring each run with the font that will draw it;
 *   5. per line, runs reordered into visual order (UAX #9 rule L2), each
 *      drawn with TTF_RenderUTF8_Blended and composited onto the block;
 *      colour emoji are drawn at the font's only strike (109 px) and scaled
 *      down to the line; custom emoji images are placed inline.
 *
 * The font chain (documented in assets/fonts/README): display.font, then
 * every .ttf and .otf file in <assets>/fonts/, then fixed paths under
 * /usr/share/fonts (Noto Sans, Noto Sans Arabic, Hebrew, ..., DejaVu Sans
 * last).  No fontconfig.  Fonts are opened lazily and cached per size.
 * Must be used on the thread that owns SDL_ttf (the main thread).
 */
#ifndef BALIE_TEXT_H
#define BALIE_TEXT_H

#include <SDL.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../feed/model.h"

typedef struct text_engine text_engine_t;

/* Counters since the engine was made (for tests and the benchmark). */
typedef struct {
	uint64_t blocks;          /* text_render() calls that produced a surface */
	uint64_t runs;            /* TTF_Render* calls (glyph rasterisations) */
	uint64_t missing_glyphs;  /* characters no font in the chain provides */
	uint64_t fonts_opened;    /* TTF_OpenFont calls */
} text_stats_t;

/* main_font: display.font or NULL; assets_dir: directory with fonts/ or
 * NULL.  Returns NULL (and logs) when no usable font exists at all; SDL_ttf
 * must be initialised.  Free with text_engine_free(). */
text_engine_t *text_engine_new(const char *main_font, const char *assets_dir);
void text_engine_free(text_engine_t *te);

/* Counters; valid while te lives. */
const text_stats_t *text_stats(const text_engine_t *te);

/* Path of font i in the chain (0 = main font), NULL past the end. */
const char *text_font_path(const text_engine_t *te, size_t i);

/* An inline image for a custom emoji :shortcode:. Not owned. */
typedef struct {
	const char *shortcode;
	SDL_Surface *surface;  /* ARGB8888 */
} text_image_t;

enum { TEXT_ALIGN_START, TEXT_ALIGN_CENTER };

typedef struct {
	SDL_Color fg;
	SDL_Color link, mention, hashtag; /* colours for spans */
	bool bold;
	int min_px, max_px;      /* shrink between these to fit */
	int max_w, max_h;        /* box; max_h <= 0: no height limit */
	int max_lines;           /* 0 = no limit */
	int align;               /* TEXT_ALIGN_*; START follows the paragraph direction */
	const span_t *spans;     /* byte ranges of the text; may be NULL */
	size_t n_spans;
	const text_image_t *images; /* custom emoji; may be NULL */
	size_t n_images;
	const char *lang;        /* BCP 47 or NULL, for line breaking */
} text_style_t;

typedef struct {
	SDL_Surface *surface;    /* owned by the caller (SDL_FreeSurface); NULL for empty text */
	int w, h;                /* of the surface */
	int px;                  /* size chosen */
	int lines;
	bool truncated;          /* cut with an ellipsis */
	bool rtl;                /* first paragraph is right-to-left: align the block right */
	int missing;             /* characters no font provides */
} text_block_t;

/* Lay out and rasterise text (NUL-terminated UTF-8; invalid bytes are
 * shown as '?') in style st.  Always fills out; out->surface is NULL when
 * the text is empty or nothing could be drawn. */
void text_render(text_engine_t *te, const char *text, const text_style_t *st, text_block_t *out);

/* Width in pixels of one line of text at px (no wrapping). */
int text_width(text_engine_t *te, const char *text, int px, bool bold);

#endif
