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
 * the caller once this returns, which is at once: a request that hangs does
 * not hold up the caller.  The sources are rebuilt from cfg as soon as the
 * refreshes running now have ended ("configuration reloaded: N sources"). */
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

/* Pacing.  A source is never asked more often than every POLLER_MIN_INTERVAL_S
 * seconds, nor earlier than its interval after an answer; jitter only ever
 * lengthens a wait (up to +20 %), so screens and sources drift apart without
 * polling early.  A wait the server asks for (Retry-After, a rate-limit
 * reset) is kept to, up to POLLER_MAX_WAIT_S. */
#define POLLER_MIN_INTERVAL_S 15
#define POLLER_BACKOFF_CAP_S (15 * 60)
#define POLLER_AUTH_RETRY_S (60 * 60)
#define POLLER_MAX_WAIT_S (24 * 60 * 60)

typedef struct {
	int64_t wait_ms;   /* from the end of this refresh to the next */
	bool server_asked; /* the wait is the server's rate limit, not balie's own pacing */
	bool capped;       /* the server asked for more than POLLER_MAX_WAIT_S */
} poller_wait_t;

/* The wait after a refresh of a source polled every interval_s seconds that
 * ended in st, the failures-th failure in a row (0 after a success); the
 * server asked to wait retry_in_ms (0 or less: it did not say).  rnd is a
 * random number that picks the jitter.  Pure; the poller's own rule,
 * exposed for tests. */
poller_wait_t poller_next_wait(source_status_t st, int failures, int interval_s, int64_t retry_in_ms,
                               uint32_t rnd);

#endif
