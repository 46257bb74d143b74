/*
 * theme: the screen's colours.  Two built-in themes: "default" (dark blue,
 * calm, good on LCD and OLED) and "high-contrast" (black, white, yellow;
 * WCAG AAA contrast for every text colour).  Chosen with display.theme.
 */
#ifndef BALIE_THEME_H
#define BALIE_THEME_H

#include <SDL.h>
#include <stdbool.h>

typedef struct {
	const char *name;
	SDL_Color bg;          /* behind everything */
	SDL_Color panel;       /* the card */
	SDL_Color text;        /* post text, names */
	SDL_Color muted;       /* role, handle, time, captions, status line */
	SDL_Color link, mention, hashtag;
	SDL_Color cw_bg, cw_text;
	SDL_Color offline;     /* the offline notice */
	SDL_Color sample_bg, sample_text; /* the "voorbeeld" label */
	SDL_Color placeholder; /* behind an image that is loading or broken */
} theme_t;

/* The theme called name; NULL or unknown names give "default" (unknown:
 * *known is false so the caller can warn).  Static; never freed. */
const theme_t *theme_get(const char *name, bool *known);

/* Copy of base with the configuration's colours ("#rrggbb" strings, NULL =
 * keep) applied: background, card panel, text, and accent (links, mentions,
 * hashtags).  Strings were validated by the configuration parser. */
theme_t theme_with_colours(const theme_t *base, const char *background, const char *panel,
                           const char *text, const char *accent);

#endif
