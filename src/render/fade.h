/*
 * fade: the cross-fade of two cards, exact and cheap.
 *
 * The first cross-fade drew the outgoing card at opacity 1 - e and the
 * incoming one at e over it, every texture with per-pixel alpha and an
 * alpha modulation: SDL's software renderer blends that in its slowest,
 * generic per-pixel loop (155 million instructions per frame for a text
 * card and an image card at 1920x1080, docs/performance.md), and where the
 * two cards overlap the panel showed through mid-fade.
 *
 * Now every piece of a card is opaque (spot.c flattens it onto the colour it
 * sits on and uploads it without an alpha channel), so a frame is
 *   1. the incoming card at full opacity: plain copies;
 *   2. the panel colour at 1 - e over what only the incoming card covers;
 *   3. the outgoing card at 1 - e over everything: one constant alpha per
 *      piece, SDL's fast blend.
 * Every pixel is then exactly (1 - e) * outgoing + e * incoming, each card
 * on its panel, with no extra memory.  The same on a GPU renderer (the Pi's
 * OpenGL ES), where it is just fewer blended pixels.
 */
#ifndef BALIE_FADE_H
#define BALIE_FADE_H

#include <SDL.h>
#include <stdint.h>

#include "spot.h"

/* One frame of the fade from out to in at opacity 255 - out_alpha of the
 * incoming card (out_alpha 255: out alone; 0: in alone).  The caller has
 * drawn the background and the panel (colour panel) under both cards. */
void fade_draw(SDL_Renderer *ren, const spot_t *out, const spot_t *in, uint8_t out_alpha,
               SDL_Color panel);

#endif
