/*
 * layout: where everything goes on the screen, for any size and rotation,
 * as pure arithmetic (no SDL, no fonts).
 *
 * All sizes derive from one unit, the shorter side of the logical canvas,
 * so a card keeps its proportions from 800x480 to 3840x2160 and in portrait;
 * text sizes are given as a range that the text engine fits into.  A margin
 * keeps everything inside the part of a TV that overscan does not cut.
 * Rotation is done by balie itself: the card is laid out on a logical canvas
 * (portrait for 90/270) that is turned when presented, and touch points are
 * mapped back with layout_to_logical().
 */
#ifndef BALIE_LAYOUT_H
#define BALIE_LAYOUT_H

#include <stdbool.h>

typedef struct {
	int x, y, w, h;
} lrect_t;

/* Which optional parts a card has. */
enum {
	LAYOUT_MEDIA = 1,   /* an image is shown */
	LAYOUT_CAPTION = 2, /* the image has alt text (with LAYOUT_MEDIA) */
	LAYOUT_BOOST = 4,   /* "gedeeld door ..." line */
	LAYOUT_CW = 8,      /* content-warning banner */
};

typedef struct {
	int w, h;           /* logical canvas */
	bool portrait;      /* h > w */
	int unit;           /* shorter side */
	int margin, pad, gap;
	lrect_t safe;       /* canvas minus the overscan margin; everything is inside */
	lrect_t status;     /* status line (organisation, offline notice, clock) */
	lrect_t card;       /* the card panel */
	lrect_t boost;      /* empty without LAYOUT_BOOST */
	lrect_t avatar;     /* square; drawn as a disc */
	lrect_t name, role, meta; /* header lines beside the avatar; meta = handle, network, time */
	lrect_t cw;         /* empty without LAYOUT_CW */
	lrect_t text;       /* the post's text */
	lrect_t media;      /* box for the image; empty without LAYOUT_MEDIA */
	lrect_t caption;    /* alt text under the image; empty without LAYOUT_CAPTION */
	int px_name, px_role, px_meta, px_boost, px_cw, px_status;
	int px_text_min, px_text_max;       /* the post text shrinks within this range */
	int px_caption_min, px_caption_max;
} layout_card_t;

/* Regions of a card on a w x h logical canvas.  w and h are clamped to at
 * least 64. */
void layout_card(int w, int h, unsigned flags, layout_card_t *out);

/* Estimated baseline distance for a font of px pixels (the text engine uses
 * real metrics; this sizes the boxes). */
int layout_line_height(int px);

/* True for 0, 90, 180, 270. */
bool layout_rotation_valid(int rotate);

/* The logical canvas for a physical output: w/h swapped for 90 and 270. */
void layout_canvas(int phys_w, int phys_h, int rotate, int *lw, int *lh);

/* Map a point on the physical output to the logical canvas that is shown
 * turned clockwise by rotate degrees, centred. */
void layout_to_logical(int rotate, int phys_w, int phys_h, double px, double py, double *lx,
                       double *ly);

/* The box inside `box` where an iw x ih image is shown: its own aspect,
 * limited to within a factor 1.6 of the box's, as large as fits, centred.
 * Unknown sizes (0) give the whole box. */
lrect_t layout_media_box(lrect_t box, int iw, int ih);

/* The part of an iw x ih image that covers a bw x bh box: the box's aspect,
 * centred on the focus point (fx, fy in -1..1, y up; Mastodon's
 * convention) as far as the image's edges allow.  Out-of-range or NaN focus
 * values count as 0. */
lrect_t layout_focus_crop(int iw, int ih, double fx, double fy, int bw, int bh);

/* True when a and b share any pixel (empty rectangles share none). */
bool lrect_overlaps(lrect_t a, lrect_t b);
/* True when inner lies within outer (an empty inner is inside anything). */
bool lrect_inside(lrect_t inner, lrect_t outer);
bool lrect_empty(lrect_t r);

#endif
