/*
 * keylist: a small bounded list of keys, each with a time, that an adapter
 * keeps in its saved state to notice posts that are gone upstream.
 *
 * An adapter never sees the cache, so to tell the poller "these posts were
 * deleted" (source_batch_add_deleted) it must remember what it delivered:
 * the entries of the last page (Bluesky author feeds, RSS items in document
 * order), or the posts to re-check later (Bluesky hashtag results, X posts).
 * The list keeps insertion order; when it is full the entry with the oldest
 * time goes.  In the state it is an array of [key, time] pairs; loading
 * checks every type and bound, so a damaged state file only forgets keys.
 * Linear searches: the lists hold at most a few hundred keys.
 */
#ifndef BALIE_SOURCES_KEYLIST_H
#define BALIE_SOURCES_KEYLIST_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

typedef struct {
	char *key;      /* owned */
	int64_t t;      /* the adapter's time for it (a post's date, 0 = none) */
} keylist_item_t;

typedef struct {
	keylist_item_t *items;  /* owned, in insertion order */
	size_t n, cap;
} keylist_t;

#define KEYLIST_INIT { NULL, 0, 0 }

/* Free every key; l is empty (and reusable) afterwards. */
void keylist_clear(keylist_t *l);

/* Index of key in l, or -1. */
long keylist_find(const keylist_t *l, const char *key);

/* Add key (copied) with time t at the end, or set the time of the key when
 * it is already there.  When l then holds more than max keys, the one with
 * the oldest time (the first of them on a tie) is dropped. */
void keylist_put(keylist_t *l, const char *key, int64_t t, size_t max);

/* Remove key when present (order kept). */
void keylist_remove(keylist_t *l, const char *key);

/* Remove every key whose time is below t. */
void keylist_drop_before(keylist_t *l, int64_t t);

/* Replace l's contents by the [key, time] pairs of the state array arr (may
 * be NULL or of any type).  Pairs that are not [non-empty string of at most
 * max_key bytes, whole number] are skipped, duplicates too; at most max are
 * kept (the first ones). */
void keylist_load(keylist_t *l, const cJSON *arr, size_t max, size_t max_key);

/* l as a state array of [key, time] pairs.  Caller frees (cJSON_Delete). */
cJSON *keylist_save(const keylist_t *l);

#endif
