/*
 * spot: one post as the spotlight card: its layout, its images and its
 * text, prepared once into a handful of textures and then only copied.
 *
 * Life of a card: spot_new() resolves what to show (the configured
 * person's name and photo win over the account's), lays it out and asks
 * the loader for its images; spot_offer() hands it loader results;
 * once nothing is pending spot_build() rasterises the text and uploads
 * everything (main thread, while the previous card is being read);
 * spot_draw() copies the textures each frame, with an opacity and offset
 * for transitions.  A missing, broken or oversized image never stops a
 * card: the avatar becomes initials on a coloured disc, the media box
 * goes away and the text takes its place.
 */
#ifndef BALIE_SPOT_H
#define BALIE_SPOT_H

#include <SDL.h>
#include <stdbool.h>
#include <stdint.h>

#include "../config/config.h"
#include "../feed/model.h"
#include "../layout/layout.h"
#include "loader.h"
#include "text.h"
#include "theme.h"

typedef struct {
	SDL_Renderer *ren;
	text_engine_t *te;
	loader_t *loader;       /* NULL: images are decoded synchronously (tests) */
	const theme_t *theme;
	const config_t *cfg;
	const char *media_dir;  /* directory holding post media files, or NULL */
	int w, h;               /* logical canvas */
	int64_t now;            /* wall-clock seconds, for "3 minuten geleden" */
	bool clock_good;        /* the wall clock is known to be right */
} spot_env_t;

typedef struct spot spot_t;

/* Start preparing a card for post (copied).  Never NULL. */
spot_t *spot_new(const spot_env_t *env, const post_t *post);
void spot_free(spot_t *c);

/* A finished loader job: when it is this card's, the card takes the
 * surface (and frees the result's error) and returns true. */
bool spot_offer(spot_t *c, load_result_t *r);

/* True when images are still being decoded. */
bool spot_loading(const spot_t *c);

/* Rasterise and upload (once; needs !spot_loading()). */
void spot_build(spot_t *c, const spot_env_t *env);
bool spot_ready(const spot_t *c);

/* Re-render the relative time when its text changed (the minute tick). */
void spot_set_time(spot_t *c, const spot_env_t *env);

/* Draw at offset (dx, dy) with opacity 0..255, as one picture: every piece
 * is opaque (flattened onto the panel, or the content warning's box, it sits
 * on), and no pixel is drawn twice. */
void spot_draw(const spot_t *c, SDL_Renderer *ren, int dx, int dy, uint8_t alpha);

/* The rectangles the card draws (logical canvas), disjoint, at most max
 * into out; their number, or -1 when there are more (not with the cards
 * spot_build() makes: at most 16 pieces and 4 fills). */
int spot_regions(const spot_t *c, SDL_Rect *out, int max);

const char *spot_key(const spot_t *c);
const layout_card_t *spot_layout(const spot_t *c);
/* How long the card stays, from its text length and the display settings. */
int64_t spot_dwell_ms(const spot_t *c, const config_display_t *d);
/* Characters no font could draw, over all the card's text. */
int spot_missing_glyphs(const spot_t *c);
/* Whether the avatar is the initials disc (no photo, or it failed). */
bool spot_avatar_is_initials(const spot_t *c);
/* Whether an image is shown. */
bool spot_has_media(const spot_t *c);
/* Where a part was drawn (logical canvas); empty when not drawn. */
SDL_Rect spot_drawn_text(const spot_t *c);
SDL_Rect spot_drawn_avatar(const spot_t *c);
SDL_Rect spot_drawn_media(const spot_t *c);

typedef struct {
	uint64_t cards_built;     /* spot_build() calls that did work */
	uint64_t texture_uploads; /* SDL_CreateTextureFromSurface calls */
	uint64_t text_blocks;     /* text blocks rasterised for cards */
} spot_stats_t;

/* Process-wide counters (main thread only). */
const spot_stats_t *spot_stats(void);

/* A small surface with a round network badge (letter on the network's
 * colour) of diameter d; caller frees. */
SDL_Surface *spot_badge(text_engine_t *te, network_t n, int d);

/* Upload a surface as a blended texture (counted); NULL when s is NULL. */
SDL_Texture *spot_upload(SDL_Renderer *ren, SDL_Surface *s);

#endif
