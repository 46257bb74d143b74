/*
 * poller: drives every source, merges what they bring into the cache, and
 * publishes snapshots of the feed for the screen.
 *
 *   sources --(requests)--> net worker --(responses)--> poller --> cache
 *                                                         |
 *                                               feed_snapshot_t --> screen
 *
 * The poller runs in its own thread (poller_start) so that parsing, merging
 * and disk writes never happen on the render thread; --once runs the same
 * code synchronously (poller_once).  Each refresh that changes the feed
 * publishes a new immutable, reference-counted snapshot; the screen takes the
 * newest with poller_snapshot() when notified.
 */
#ifndef BALIE_POLLER_H
#define BALIE_POLLER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../cache/cache.h"
#include "../config/config.h"
#include "../feed/model.h"

/* An immutable view of the feed.  Never modify; share with feed_snapshot_ref(). */
typedef struct feed_snapshot {
	post_list_t posts;        /* filtered, newest first; media/avatars may be downloaded (file set) */
	char *cache_dir;          /* media paths are <cache_dir>/media/<file> */
	int64_t last_success;     /* wall time of the last refresh where some source answered; 0 = never */
	int64_t offline_since;    /* wall time the sources started failing; 0 when online */
	bool sample;              /* posts are the bundled sample feed ("voorbeeld") */
	uint64_t generation;      /* increases with every published snapshot */
	int refs_;                /* private */
} feed_snapshot_t;

feed_snapshot_t *feed_snapshot_ref(feed_snapshot_t *s);
/* Drop a reference; frees at zero.  NULL is fine. */
void feed_snapshot_unref(feed_snapshot_t *s);

typedef struct poller poller_t;

/* Start the poller thread.  It loads the cache first (publishing a snapshot
 * at once), then polls.  notify is called from the poller thread whenever a
 * new snapshot is ready.  cfg is copied by reference: the caller keeps it
 * alive until poller_reload() replaces it or poller_stop(). */
poller_t *poller_start(const config_t *cfg, cache_t *cache, void (*notify)(void *), void *ctx);
/* Newest snapshot (a new reference; caller unrefs), or NULL before the first. */
feed_snapshot_t *poller_snapshot(poller_t *p);
/* Use a new configuration from now on (SIGHUP).  The old one may be freed by
 * the caller once this returns. */
void poller_reload(poller_t *p, const config_t *cfg);
/* Stop the thread and free p. */
void poller_stop(poller_t *p);

/* The bundled sample feed (posts.json format) shown while the cache is empty
 * and the configuration asks for it (display.sample).  Call before
 * poller_start(); path copied. */
void poller_set_sample_file(const char *path);

/* --once: poll every source once, update the cache, print one status line
 * per source to out.  Returns 0 when every source answered, 1 otherwise. */
int poller_once(const config_t *cfg, cache_t *cache, FILE *out);

#endif
