/*
 * screen: the lobby screen's main loop.
 *
 * Opens the display (KMSDRM on a Pi console, X11/Wayland on a desktop, the
 * dummy driver for --screenshot), starts the poller, and shows one post at
 * a time as a spotlight card with a status line under it.  Rendering is on
 * demand: the loop sleeps in the kernel until the next deadline
 * (playlist/pacer.h) or an event (waiter.h) and draws only when something
 * changes or a transition runs.  Images are decoded by a loader thread; the next card is prepared
 * while the current one is read.  Rotation is done here: the card is drawn
 * on a logical canvas (a target texture) that is turned when presented.
 *
 * Input: arrows/PageUp/PageDown next and previous, space pause; a tap on
 * the right or left half, a long press pauses.  Quitting only with
 * display.quit_keys (default ctrl+alt+shift+q); with --windowed also
 * Escape and closing the window.
 */
#ifndef BALIE_SCREEN_H
#define BALIE_SCREEN_H

#include <stdbool.h>
#include <stdint.h>

#include "../cache/cache.h"
#include "../config/config.h"
#include "../platform/board.h"

typedef struct screen_options {
	bool windowed;          /* --windowed (else display.fullscreen) */
	int width, height;      /* --size; 0 = from config / display mode */
	int rotate;             /* --rotate; -1 = from config */
	const char *screenshot; /* --screenshot FILE.png or NULL */
	int frames;             /* --frames N (0 = first complete card) */
	const char *assets_dir; /* directory with fonts/, sample-feed.json, icons */
	config_t *(*reload)(void *ctx); /* SIGHUP: returns a new config or NULL (keep current); called on the main thread */
	const board_t *board;   /* board profile (src/platform/board.h), or NULL for the generic one */
	void *reload_ctx;
} screen_options_t;

/* Run the screen until quit: starts the poller itself, shows cards from
 * poller_snapshot(), returns the exit status (0; 4 when the display or the
 * fonts cannot be opened; 1 when --screenshot could not be written).
 * Takes ownership of cfg. */
int screen_run(config_t *cfg, cache_t *cache, const screen_options_t *opt);

/* Thread-safe and async-signal-safe: ask the running screen to reload
 * (SIGHUP) or quit (SIGTERM).  Without a running screen they only set a
 * flag that the next screen_run() sees. */
void screen_request_reload(void);
void screen_request_quit(void);

/* The screen tells systemd (src/platform/platform.h) on the main thread:
 * platform_frame_presented() after every SDL_RenderPresent and at least at
 * each wake-up (watchdog keep-alive), platform_ready() once, after the first
 * complete card is presented.  Strong calls: weak references would not pull
 * platform.o out of the core archive and the calls would silently vanish. */

/* Counters for tests and the benchmark (main thread). */
typedef struct {
	uint64_t presents;         /* SDL_RenderPresent calls */
	uint64_t cards_built;      /* cards prepared (text rasterised, textures uploaded) */
	uint64_t text_blocks;      /* text blocks rasterised (spot_stats) */
	uint64_t glyph_runs;       /* TTF_Render calls (text_stats) */
	uint64_t texture_uploads;
	uint64_t missing_glyphs;   /* characters no font could draw */
	uint64_t images_decoded;
} screen_stats_t;

/* Counters of the last or running screen_run(). */
screen_stats_t screen_stats(void);

#endif
