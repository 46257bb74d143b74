/*
 * board: per-board defaults as data (boards/<name>.conf), not code.
 *
 * A profile says how to drive the screen on one kind of board: SDL video and
 * render driver, the DRM card index where SDL's scan is unreliable (Pi 5),
 * memory budgets for textures and the image cache, the default resolution and
 * rotation, the CEC device and the anti-burn-in drift.  balie picks the
 * profile whose `match =` glob best fits /proc/device-tree/model ("Raspberry
 * Pi 4 Model B Rev 1.4"), or the one named in the configuration.  The
 * longest matching pattern wins, so `match = *` in pc.conf is the fallback.
 *
 * File format: "key = value" lines, '#' or ';' comments, no sections:
 *
 *   name = Raspberry Pi 4          human name for logs
 *   match = Raspberry Pi 4 *       fnmatch(3) glob; repeatable
 *   video_driver = kmsdrm          SDL_VIDEODRIVER, empty = SDL's choice
 *   render_driver = opengles2      SDL_RENDER_DRIVER, empty = SDL's choice
 *   drm_card = /dev/dri/by-path/platform-axi:gpu-card
 *                                  stable udev name of the HDMI card; resolved
 *                                  to cardN at start (the numbers move between
 *                                  boots on a Pi 5); ignored when missing
 *   drm_device_index = -1          SDL_KMSDRM_DEVICE_INDEX, -1 = let SDL scan
 *   texture_budget_mb = 192        GPU memory for textures: read and checked,
 *                                  not enforced (balie holds at most three
 *                                  cards; see docs/performance.md)
 *   cache_budget_mb = 128          memory one decoded picture may take (RGBA):
 *                                  larger pictures are refused from their
 *                                  header (at most 40 megapixels on any board)
 *   max_texture = 4096             largest picture side the loader produces
 *   width = 1920                   window size when the configuration and the
 *                                  command line give none; 0 = the display's own
 *   height = 1080
 *   rotate = 0                     0, 90, 180 or 270
 *   cec_device = /dev/cec0         empty = no CEC: blank the picture instead
 *   burnin_px = 8                  drift amplitude, 0 = off
 *   burnin_step_s = 120            seconds per one-pixel step
 */
#ifndef BALIE_BOARD_H
#define BALIE_BOARD_H

#include <stdbool.h>
#include <stddef.h>

typedef struct board {
	char *id;             /* file name without .conf: "pi4" */
	char *name;           /* "Raspberry Pi 4"; defaults to id */
	char **match;         /* globs against the device-tree model */
	size_t n_match;
	char *video_driver;   /* NULL = SDL's choice */
	char *render_driver;  /* NULL = SDL's choice */
	char *drm_card;       /* path resolving to /dev/dri/cardN, or NULL */
	int drm_device_index; /* -1 = SDL scans /dev/dri */
	int texture_budget_mb;
	int cache_budget_mb;
	int max_texture;
	int width, height;    /* 0 = the display's mode */
	int rotate;
	char *cec_device;     /* NULL = none */
	int burnin_px;
	int burnin_step_s;
} board_t;

/* A profile with the generic defaults (no drivers forced, 256/256 MB, 4096,
 * no CEC, 8 px every 120 s) and id "generic".  Caller frees with board_free(). */
board_t *board_new_default(void);
void board_free(board_t *b);

/* Parse a profile from text; id names it, the messages read
 * "ID:LINE: key: message".  NULL on error with *err set (caller frees). */
board_t *board_parse(const char *text, size_t len, const char *id, char **err);

/* Load dir/ID.conf (files are at most 16 KiB).  Errors as board_parse, or
 * "PATH: cannot read: reason". */
board_t *board_load(const char *dir, const char *id, char **err);

/* The device-tree model string from model_path (normally
 * /proc/device-tree/model; NUL-terminated there), trimmed, control
 * characters dropped, at most 127 bytes; NULL when unreadable or empty.
 * Caller frees. */
char *board_read_model(const char *model_path);

/* The profile in dir whose match globs fit model best (longest pattern);
 * model NULL (no device tree: a PC) is matched as "".  Profiles that fail to
 * parse are skipped with a warning.  NULL with *err set when none matches or
 * dir cannot be read.  Caller frees. */
board_t *board_match(const char *dir, const char *model, char **err);

/* What balie uses at start: profile "auto" (or NULL) reads model_path and
 * calls board_match; any other value loads that profile by id.  Never NULL:
 * on any error it logs why and returns board_new_default(). */
board_t *board_select(const char *dir, const char *profile, const char *model_path);

/* Directory holding the installed profiles: $BALIE_BOARDS_DIR, else
 * BALIE_DATADIR/boards when it exists, else "boards" (running from the
 * source tree).  Static string. */
const char *board_default_dir(void);

/* The DRM card index to force: N when drm_card resolves (through symlinks)
 * to a file named cardN, else drm_device_index (-1 = let SDL scan). */
int board_drm_index(const board_t *b);

/* Export the profile's SDL hints (SDL_VIDEODRIVER, SDL_RENDER_DRIVER,
 * SDL_KMSDRM_DEVICE_INDEX from board_drm_index()) to the environment, leaving
 * any variable that is already set alone so a person can override them.
 * Call before SDL_Init and before any thread starts. */
void board_export_env(const board_t *b);

#endif
