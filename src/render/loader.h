/*
 * loader: decodes images off the main thread.
 *
 * The main thread submits a job (a file, what to make of it, the size it
 * will be shown at); one worker thread checks the header (imghdr: at most
 * 40 megapixels, known formats only), decodes with IMG_Load, and crops and
 * scales to exactly the size on screen, so textures are never larger than
 * what is drawn.  Finished jobs wait in a queue; the worker pushes an SDL
 * event of the given type so the main loop wakes up and takes them
 * (loader_take) and uploads them.  Results for cards that are gone are
 * simply dropped by the caller.
 */
#ifndef BALIE_LOADER_H
#define BALIE_LOADER_H

#include <SDL.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
	LOAD_AVATAR, /* square crop from the centre, w x h, masked to a disc */
	LOAD_MEDIA,  /* the box layout_media_box() gives in w x h, filled around the focus point */
	LOAD_FIT,    /* fit inside w x h keeping the aspect (logos, custom emoji) */
} load_mode_t;

typedef struct {
	uint64_t id;
	SDL_Surface *surface; /* ARGB8888, caller frees; NULL on failure */
	char *error;          /* why it failed (for the log), caller frees; NULL on success */
	int src_w, src_h;     /* the image's own size (0 when unknown) */
} load_result_t;

typedef struct loader loader_t;

/* Start the worker.  event_type: an SDL user event pushed when a job is done
 * (0: none; poll loader_take).  Free with loader_free(). */
loader_t *loader_new(uint32_t event_type);
/* Stop the worker (waits for the job in progress) and drop everything. */
void loader_free(loader_t *l);

/* Queue a job; returns its id (never 0).  path is copied. */
uint64_t loader_submit(loader_t *l, const char *path, load_mode_t mode, int w, int h, float focus_x,
                       float focus_y);

/* Take one finished job; false when none is waiting. */
bool loader_take(loader_t *l, load_result_t *out);

/* Do a job on the calling thread (tests, and the one-off logo). */
void loader_run(const char *path, load_mode_t mode, int w, int h, float fx, float fy,
                load_result_t *out);

/* The board's limits (cache_budget_mb and max_texture of its profile): a
 * picture whose decoded pixels would take more than max_decode_bytes is
 * refused from its header, and no result is larger than max_side on either
 * side.  0 keeps a limit at its default (40 megapixels; no side limit).
 * Process-wide, for every loader and loader_run(); call before the first job. */
void loader_set_limits(long long max_decode_bytes, int max_side);

/* Jobs decoded so far and bytes of pixels they produced (counters). */
uint64_t loader_decoded(const loader_t *l);

#endif
