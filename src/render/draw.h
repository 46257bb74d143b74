/*
 * draw: software operations on ARGB8888 surfaces that SDL lacks or does
 * poorly, used while a card is prepared (never per frame).
 *
 * SDL's own blits treat a transparent destination as black (text edges
 * turn dark) and scale with nearest neighbour (photos and the 136 px emoji
 * alias badly), so compositing uses straight-alpha "over" and scaling is an
 * area average.  Shapes are antialiased by coverage.
 */
#ifndef BALIE_DRAW_H
#define BALIE_DRAW_H

#include <SDL.h>
#include <stdbool.h>

/* A transparent w x h ARGB8888 surface (w, h clamped to >= 1); caller frees
 * with SDL_FreeSurface().  NULL only when SDL cannot allocate. */
SDL_Surface *draw_surface(int w, int h);

/* The same pixels as ARGB8888 (a new surface, or NULL); src is not freed. */
SDL_Surface *draw_convert(SDL_Surface *src);

/* Composite src over dst at (x, y), clipped, straight alpha, with an extra
 * opacity 0..255.  Both ARGB8888. */
void draw_over(SDL_Surface *dst, SDL_Surface *src, int x, int y, int opacity);

/* Area-average resample of the crop rectangle of src (ARGB8888; NULL crop =
 * all of it) to w x h.  Returns a new surface or NULL. */
SDL_Surface *draw_scale(SDL_Surface *src, const SDL_Rect *crop, int w, int h);

/* Multiply alpha by an antialiased disc inscribed in the surface. */
void draw_mask_circle(SDL_Surface *s);

/* Fill an antialiased disc (centre cx, cy, radius r) with colour c. */
void draw_fill_circle(SDL_Surface *s, double cx, double cy, double r, SDL_Color c);

/* Fill an antialiased rounded rectangle with colour c. */
void draw_fill_round_rect(SDL_Surface *s, SDL_Rect r, double radius, SDL_Color c);

/* Flatten s (ARGB8888) onto the colour bg in place: every pixel becomes s
 * over bg, fully opaque.  NULL is ignored. */
void draw_onto(SDL_Surface *s, SDL_Color bg);

/* r less every rectangle in holes, as disjoint rectangles into out (at most
 * max).  Returns their number (0 when nothing is left), or -1 when more than
 * max would be needed. */
int draw_rect_subtract(SDL_Rect r, const SDL_Rect *holes, int n_holes, SDL_Rect *out, int max);

/* True when the surface has pixels that differ from transparent. */
bool draw_has_ink(SDL_Surface *s);

#endif
