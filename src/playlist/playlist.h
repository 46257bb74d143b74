/*
 * playlist: which card comes next, and for how long each one stays.
 *
 * The loop runs through the feed newest first and starts again at the top.
 * Posts that were not there before (a new snapshot) do not interrupt the
 * card being read: they queue up to be shown right after it, newest first,
 * and then the loop goes on where it was.  Posts that disappear (deleted,
 * hidden, filtered) leave the loop at once.  A short history makes
 * "previous" go back to what was really shown.  Notices outside their
 * show_from/show_until window are skipped.
 *
 * Priority (front-desk notices): an entry of priority P >= 2 leaves the
 * plain rotation and comes back at least every max(2, ceil(N / P)) cards,
 * N being the posts in the loop that may be shown now; it is never shown
 * twice in a row while anything else can be shown.  Priority 0 and 1 are
 * the plain rotation: once per round, like every post.  When the priority
 * entries together would take more than half of the cards, their intervals
 * are stretched in proportion so that they take half.  New posts still go
 * first.  Between deadlines the plain rotation goes on where it was.
 *
 * Pure: keys are strings, time is an argument, nothing here knows about SDL.
 */
#ifndef BALIE_PLAYLIST_H
#define BALIE_PLAYLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	const char *key;      /* post key; copied */
	int64_t show_from;    /* wall seconds; 0 = open */
	int64_t show_until;   /* wall seconds; 0 = open */
	int priority;         /* 0..10 (clamped); >= 2 comes round more often; 0 = plain */
} playlist_entry_t;

/* Entries of at least this priority are scheduled by their interval. */
#define PLAYLIST_PRIORITY_MIN 2
#define PLAYLIST_PRIORITY_MAX 10

typedef struct playlist playlist_t;

/* An empty playlist.  Free with playlist_free(). */
playlist_t *playlist_new(void);
void playlist_free(playlist_t *pl);

/* Replace the posts (entries newest first; keys are copied).  Returns true
 * when the card on screen is no longer among them (the caller should move
 * on).  The first update of an empty playlist makes the newest post
 * current (subject to its window at now). */
bool playlist_update(playlist_t *pl, const playlist_entry_t *e, size_t n, int64_t now);

/* Key of the card on screen, or NULL when there is none.  Valid until the
 * next call that changes the playlist. */
const char *playlist_current(const playlist_t *pl);

/* Key of the card playlist_next() would show, or NULL; so it can be
 * prepared while the current one is read.  A result equal to the current
 * key means the loop has one card. */
const char *playlist_peek_next(const playlist_t *pl, int64_t now);

/* Move to the next card (the queue of new posts first, then the loop) and
 * return its key, or NULL when empty. */
const char *playlist_next(playlist_t *pl, int64_t now);

/* Go back to the card shown before the current one; NULL (and no change)
 * when there is no history. */
const char *playlist_prev(playlist_t *pl);

/* Number of posts in the loop. */
size_t playlist_len(const playlist_t *pl);

/* How long a card with chars characters to read stays, in ms: reading
 * time at chars_per_second, clamped to [min_s, max_s].  Nonsense settings
 * fall back to 15 characters per second, 8 and 25 seconds. */
int64_t playlist_dwell_ms(long chars, double chars_per_second, int min_s, int max_s);

#endif
