/*
 * playlist: the loop order, a queue of newly arrived posts, and a history
 * for "previous".  See playlist.h.
 *
 * The loop position is remembered as a key (the last loop card shown), not
 * an index, so that a snapshot inserting or removing posts above it does
 * not make the loop jump.  When that key itself disappears its old index is
 * used instead.
 *
 * Priority entries are scheduled by deadline.  Every card playlist_next()
 * shows is numbered (cards); an entry remembers the number of the card it
 * was last shown as (mark; for an entry that just joined, the current
 * number), so its deadline is mark + interval.  Before a plain card is
 * chosen for slot t, the waiting priority entries are checked in deadline
 * order: if the j-th earliest deadline is before t + j, waiting one more
 * card would make one of them late, so the earliest goes now.  Otherwise
 * the plain rotation goes on.  With the entries' share of the cards held
 * to one half, this meets every deadline (earliest deadline first).
 */
#include "playlist.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/xmalloc.h"

#define HISTORY_MAX 32

typedef struct {
	char *key;
	int64_t from, until;
	int priority;         /* clamped to 0..PLAYLIST_PRIORITY_MAX */
	uint64_t mark;        /* number of the card it was last shown as, or joined at */
} item_t;

struct playlist {
	item_t *items;        /* loop order: newest first */
	size_t n, cap;
	char **queue;         /* new posts to show next, oldest-queued first */
	size_t nq, capq;
	char *current;        /* on screen, or NULL */
	char *loop_key;       /* last card shown from the loop */
	size_t loop_index;    /* its index when last seen */
	char *history[HISTORY_MAX]; /* shown before current, most recent last */
	size_t nh;
	char **forward;       /* cards to go forward to after prev(), most recent last */
	size_t nf, capf;
	uint64_t cards;       /* cards shown by playlist_next() so far */
};

playlist_t *playlist_new(void)
{
	return xcalloc(1, sizeof(playlist_t));
}

static void items_clear(playlist_t *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		free(pl->items[i].key);
	pl->n = 0;
}

static void strv_clear(char **v, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free(v[i]);
	*n = 0;
}

void playlist_free(playlist_t *pl)
{
	if (!pl)
		return;
	items_clear(pl);
	free(pl->items);
	strv_clear(pl->queue, &pl->nq);
	free(pl->queue);
	strv_clear(pl->history, &pl->nh);
	strv_clear(pl->forward, &pl->nf);
	free(pl->forward);
	free(pl->current);
	free(pl->loop_key);
	free(pl);
}

static long find(const playlist_t *pl, const char *key)
{
	if (!key)
		return -1;
	for (size_t i = 0; i < pl->n; i++)
		if (strcmp(pl->items[i].key, key) == 0)
			return (long)i;
	return -1;
}

static bool visible(const item_t *it, int64_t now)
{
	return (it->from == 0 || now >= it->from) && (it->until == 0 || now < it->until);
}

static bool is_visible_key(const playlist_t *pl, const char *key, int64_t now)
{
	long i = find(pl, key);
	return i >= 0 && visible(&pl->items[i], now);
}

/* Drop keys no longer in the loop from a string vector. */
static void strv_filter(playlist_t *pl, char **v, size_t *n)
{
	size_t o = 0;
	for (size_t i = 0; i < *n; i++) {
		if (find(pl, v[i]) >= 0)
			v[o++] = v[i];
		else
			free(v[i]);
	}
	*n = o;
}

static void set_str(char **dst, const char *s)
{
	char *c = xstrdup(s);
	free(*dst);
	*dst = c;
}

bool playlist_update(playlist_t *pl, const playlist_entry_t *e, size_t n, int64_t now)
{
	/* Which keys are new?  (Not in the old loop.) */
	bool was_empty = pl->n == 0 && !pl->current;
	char **fresh = NULL;
	size_t nfresh = 0, capfresh = 0;
	for (size_t i = 0; i < n; i++) {
		if (!e[i].key || find(pl, e[i].key) >= 0)
			continue;
		XGROW(fresh, capfresh, nfresh + 1);
		fresh[nfresh++] = xstrdup(e[i].key);
	}
	long old_loop = find(pl, pl->loop_key);
	if (old_loop >= 0)
		pl->loop_index = (size_t)old_loop;

	/* When each entry was last shown survives the update (by key). */
	uint64_t *marks = xcalloc(n ? n : 1, sizeof *marks);
	for (size_t i = 0; i < n; i++) {
		long at = find(pl, e[i].key);
		marks[i] = at >= 0 ? pl->items[at].mark : pl->cards;
	}
	items_clear(pl);
	for (size_t i = 0; i < n; i++) {
		if (!e[i].key)
			continue;
		bool dup = false;
		for (size_t j = 0; j < pl->n && !dup; j++)
			dup = strcmp(pl->items[j].key, e[i].key) == 0;
		if (dup)
			continue;
		int prio = e[i].priority < 0 ? 0 : e[i].priority > PLAYLIST_PRIORITY_MAX ? PLAYLIST_PRIORITY_MAX
		                                                                      : e[i].priority;
		XGROW(pl->items, pl->cap, pl->n + 1);
		pl->items[pl->n++] = (item_t){ xstrdup(e[i].key), e[i].show_from, e[i].show_until, prio, marks[i] };
	}
	free(marks);
	strv_filter(pl, pl->queue, &pl->nq);
	strv_filter(pl, pl->history, &pl->nh);
	strv_filter(pl, pl->forward, &pl->nf);

	if (was_empty) {
		/* The first posts: start at the top, nothing is "new". */
		for (size_t i = 0; i < nfresh; i++)
			free(fresh[i]);
		free(fresh);
		free(pl->loop_key);
		pl->loop_key = NULL;
		pl->loop_index = 0;
		for (size_t i = 0; i < pl->n; i++)
			if (visible(&pl->items[i], now)) {
				set_str(&pl->current, pl->items[i].key);
				set_str(&pl->loop_key, pl->items[i].key);
				pl->loop_index = i;
				break;
			}
		return false;
	}
	for (size_t i = 0; i < nfresh; i++) {
		XGROW(pl->queue, pl->capq, pl->nq + 1);
		pl->queue[pl->nq++] = fresh[i];
	}
	free(fresh);
	if (pl->current && find(pl, pl->current) < 0) {
		/* The card on screen is gone; it stays current until the caller
		 * moves on, but can no longer be returned to. */
		return true;
	}
	return false;
}

const char *playlist_current(const playlist_t *pl)
{
	return pl->current;
}

size_t playlist_len(const playlist_t *pl)
{
	return pl->n;
}

static bool is_priority(const item_t *it)
{
	return it->priority >= PLAYLIST_PRIORITY_MIN;
}

static bool is_current(const playlist_t *pl, size_t i)
{
	return pl->current && strcmp(pl->items[i].key, pl->current) == 0;
}

/* Index of the next visible plain card after the loop position, or -1.  The
 * card on screen comes again only when it is the only plain card (a new
 * post shown from the queue can be the next one in the rotation too). */
static long next_plain_index(const playlist_t *pl, int64_t now)
{
	if (pl->n == 0)
		return -1;
	long at = find(pl, pl->loop_key);
	size_t start;
	if (at >= 0)
		start = (size_t)at + 1;
	else
		start = pl->loop_index; /* the loop card vanished: what took its place */
	long again = -1;
	for (size_t k = 0; k < pl->n; k++) {
		size_t i = (start + k) % pl->n;
		if (!visible(&pl->items[i], now) || is_priority(&pl->items[i]))
			continue;
		if (!is_current(pl, i))
			return (long)i;
		again = (long)i;
	}
	return again;
}

typedef struct {
	size_t index;
	uint64_t deadline;    /* number of the card it must be shown by */
} due_t;

static int due_cmp(const void *a, const void *b)
{
	const due_t *x = a, *y = b;
	if (x->deadline != y->deadline)
		return x->deadline < y->deadline ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Index of the loop card to show next (see the design note above), or -1
 * when nothing can be shown. */
static long next_loop_index(const playlist_t *pl, int64_t now)
{
	size_t n_visible = 0, n_plain = 0, n_prio = 0;
	double share = 0;
	for (size_t i = 0; i < pl->n; i++) {
		if (!visible(&pl->items[i], now))
			continue;
		n_visible++;
		if (is_priority(&pl->items[i]))
			n_prio++;
		else
			n_plain++;
	}
	long plain = next_plain_index(pl, now);
	if (n_prio == 0)
		return plain;

	/* interval per priority: max(2, ceil(N / P)) cards */
	uint64_t interval[PLAYLIST_PRIORITY_MAX + 1] = { 0 };
	for (int p = PLAYLIST_PRIORITY_MIN; p <= PLAYLIST_PRIORITY_MAX; p++) {
		uint64_t iv = (n_visible + (size_t)p - 1) / (size_t)p;
		interval[p] = iv < 2 ? 2 : iv;
	}
	for (size_t i = 0; i < pl->n; i++)
		if (visible(&pl->items[i], now) && is_priority(&pl->items[i]))
			share += 1.0 / (double)interval[pl->items[i].priority];
	if (share > 0.5 && n_plain > 0) /* stretched so that they take half of the cards */
		for (int p = PLAYLIST_PRIORITY_MIN; p <= PLAYLIST_PRIORITY_MAX; p++) {
			double iv = (double)interval[p] * 2.0 * share;
			interval[p] = (uint64_t)iv + ((double)(uint64_t)iv < iv);
		}

	due_t *due = xcalloc(n_prio, sizeof *due);
	size_t m = 0;
	for (size_t i = 0; i < pl->n; i++)
		if (visible(&pl->items[i], now) && is_priority(&pl->items[i]) && !is_current(pl, i))
			due[m++] = (due_t){ i, pl->items[i].mark + interval[pl->items[i].priority] };
	long pick = plain;
	if (m > 0) {
		qsort(due, m, sizeof *due, due_cmp);
		uint64_t slot = pl->cards + 1;
		bool forced = plain < 0 || is_current(pl, (size_t)plain);
		for (size_t j = 0; j < m && !forced; j++)
			forced = due[j].deadline < slot + j + 1;
		if (forced)
			pick = (long)due[0].index;
	} else if (plain < 0) {
		/* the only card that can be shown is the priority card on screen */
		for (size_t i = 0; i < pl->n && pick < 0; i++)
			if (visible(&pl->items[i], now) && is_current(pl, i))
				pick = (long)i;
	}
	free(due);
	return pick;
}

const char *playlist_peek_next(const playlist_t *pl, int64_t now)
{
	if (pl->nf > 0)
		return pl->forward[pl->nf - 1];
	for (size_t i = 0; i < pl->nq; i++)
		if (is_visible_key(pl, pl->queue[i], now))
			return pl->queue[i];
	long i = next_loop_index(pl, now);
	return i >= 0 ? pl->items[i].key : NULL;
}

static void push_history(playlist_t *pl, const char *key)
{
	if (!key || find(pl, key) < 0)
		return;
	if (pl->nh == HISTORY_MAX) {
		free(pl->history[0]);
		memmove(pl->history, pl->history + 1, (HISTORY_MAX - 1) * sizeof *pl->history);
		pl->nh--;
	}
	pl->history[pl->nh++] = xstrdup(key);
}

/* Make key (owned, taken over) the card on screen: the next card number. */
static const char *show(playlist_t *pl, char *key)
{
	push_history(pl, pl->current);
	free(pl->current);
	pl->current = key;
	pl->cards++;
	long at = find(pl, key);
	if (at >= 0)
		pl->items[at].mark = pl->cards;
	return pl->current;
}

const char *playlist_next(playlist_t *pl, int64_t now)
{
	if (pl->nf > 0)
		return show(pl, pl->forward[--pl->nf]);
	/* New posts first, in the order they arrived (newest first). */
	while (pl->nq > 0) {
		char *k = pl->queue[0];
		memmove(pl->queue, pl->queue + 1, (pl->nq - 1) * sizeof *pl->queue);
		pl->nq--;
		if (!is_visible_key(pl, k, now)) {
			free(k);
			continue;
		}
		return show(pl, k);
	}
	long i = next_loop_index(pl, now);
	if (i < 0) {
		if (pl->current && find(pl, pl->current) < 0) {
			free(pl->current);
			pl->current = NULL;
		}
		return pl->current;
	}
	if (!is_priority(&pl->items[i])) { /* the plain rotation moves on */
		set_str(&pl->loop_key, pl->items[i].key);
		pl->loop_index = (size_t)i;
	}
	return show(pl, xstrdup(pl->items[i].key));
}

const char *playlist_prev(playlist_t *pl)
{
	if (pl->nh == 0)
		return NULL;
	char *k = pl->history[--pl->nh];
	if (pl->current && find(pl, pl->current) >= 0) {
		XGROW(pl->forward, pl->capf, pl->nf + 1);
		pl->forward[pl->nf++] = pl->current;
	} else {
		free(pl->current);
	}
	pl->current = k;
	return pl->current;
}

int64_t playlist_dwell_ms(long chars, double cps, int min_s, int max_s)
{
	if (!(cps > 0.1 && cps < 1000))
		cps = 15;
	if (min_s <= 0 || min_s > 3600)
		min_s = 8;
	if (max_s < min_s || max_s > 3600)
		max_s = min_s > 25 ? min_s : 25;
	if (chars < 0)
		chars = 0;
	double ms = (double)chars * 1000.0 / cps;
	if (ms < min_s * 1000.0)
		ms = min_s * 1000.0;
	if (ms > max_s * 1000.0)
		ms = max_s * 1000.0;
	return (int64_t)ms;
}
