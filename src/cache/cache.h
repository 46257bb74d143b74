/*
 * cache: posts, source state and media on disk, crash-safe.
 *
 * Layout of the cache directory (documented in README, "Cache format"):
 *   posts.json          every kept post, versioned ("format": "balie-posts", "version": 1)
 *   state.json          per-source polling state and last status
 *   media/<sha256>.<ext> images, avatars, custom emoji; named by content hash,
 *                       never by anything from the network
 *   lock                flock(2) held by the writing process
 *   *.corrupt-<time>    files that failed to load, moved aside for inspection
 *                       (posts recovered from a damaged posts.json are saved
 *                       back as posts.json)
 *
 * Every write goes to a temp file in the same directory, is fsync'd, renamed
 * over the old file, and the directory is fsync'd: after a power cut a file is
 * either the old version or the new one.  posts.json and media/ are shaped so
 * they could be served as static files to other screens (see fleet notes).
 *
 * The cache never decides what to show; it stores.  All functions run on the
 * caller's thread and do blocking I/O: the screen calls them from a worker,
 * never from the render loop.
 */
#ifndef BALIE_CACHE_H
#define BALIE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "../feed/model.h"

typedef struct cache cache_t;

typedef struct {
	long long max_media_bytes;  /* LRU eviction above this; default 256 MiB */
	int max_age_days;           /* posts older than this are dropped; default 30 */
	int max_posts;              /* newest kept; default 500 */
} cache_options_t;

void cache_options_default(cache_options_t *o);

/* The cache directory to use: dir when not NULL, else $CACHE_DIRECTORY
 * (systemd; first entry), else $XDG_CACHE_HOME/balie, else ~/.cache/balie.
 * Caller frees. */
char *cache_default_dir(const char *dir);

/* Open (creating dir and dir/media as needed).  With writer true, take the
 * lock: a second writer gets NULL and *err "... is in use by process N".
 * Read-only opens (--list) take no lock.  On failure *err says why (caller
 * frees). */
cache_t *cache_open(const char *dir, const cache_options_t *opt, bool writer, char **err);
void cache_close(cache_t *c);
const char *cache_dir(const cache_t *c);

/* Load posts.json into out (appended, newest first; out owns the posts).
 * A file that is not valid JSON (truncated, damaged) is salvaged: every
 * complete, readable post in it is loaded, and a writer keeps the damaged
 * bytes as posts.json.corrupt-* and saves the recovered posts as posts.json
 * (a reader leaves the file alone).  Any other unusable file (wrong shape,
 * newer version, too big) is renamed aside and nothing is loaded.  Either
 * way one log line.  Returns the number of posts loaded. */
size_t cache_load_posts(cache_t *c, post_list_t *out);
/* Write every post in l atomically.  false (and one log line) on failure, in
 * which case the previous file is intact. */
bool cache_save_posts(cache_t *c, const post_list_t *l);

/* state.json: an object keyed by source key.  Load returns a new object
 * (empty when missing or corrupt; caller frees with cJSON_Delete). */
cJSON *cache_load_state(cache_t *c);
bool cache_save_state(cache_t *c, const cJSON *state);

/* Store bytes as media; returns the file name "<sha256>.<ext>" (caller frees)
 * or NULL on failure (disk full: logged once).  ext is derived from the bytes'
 * magic number (png, jpg, gif, webp, avif, svg, bin), never from the URL. */
char *cache_media_store(cache_t *c, const void *data, size_t len);
/* Full path of a stored media name, or NULL when name is not a valid
 * media name or the file is missing.  Marks it used (for LRU).  Caller frees. */
char *cache_media_path(cache_t *c, const char *name);
/* True when name is a well-formed media name: exactly 64 lowercase hex
 * digits, ".", and one of the extensions cache_media_ext() returns.  Names
 * read back from posts.json are checked with this before use. */
bool cache_media_name_valid(const char *name);
/* The extension for these bytes, from their magic number: "png", "jpg",
 * "gif", "webp", "avif", "heic", "svg" or "bin".  Static string. */
const char *cache_media_ext(const void *data, size_t len);
/* Delete least-recently-used media until the total is under the limit,
 * never deleting files referenced by posts in keep.  Returns bytes freed. */
long long cache_media_evict(cache_t *c, const post_list_t *keep);

/* Drop posts older than the age limit (relative to now) and beyond max_posts.
 * l must be sorted newest first. */
void cache_prune(const cache_options_t *o, post_list_t *l, int64_t now);

/* post <-> JSON in the cache format.  post_to_json returns a new object;
 * post_from_json returns NULL when obj lacks a key or text (bad input is
 * data: types are checked, not trusted). */
cJSON *post_to_json(const post_t *p);
post_t *post_from_json(const cJSON *obj);

#endif
