/*
 * bluesky: a person's Bluesky account (app.bsky.feed.getAuthorFeed on the
 * public AppView, no login) and Bluesky hashtags (app.bsky.feed.searchPosts,
 * which needs a login with an app password).
 *
 * The parsers below are pure: JSON in, posts out, used by the adapter
 * (bluesky_source_ops, declared in source.h) and by tests and fuzzers.
 * Posts keep Bluesky's text as is; facets (UTF-8 byte ranges) become spans
 * after their bounds and character boundaries are checked and overlapping
 * ones dropped.  Posts labelled porn, sexual, graphic-media, !hide or
 * !no-unauthenticated (on the post, in its record, or on its author) are
 * not returned at all; negated and expired labels do not count.
 *
 * Deleted posts: an author feed's first page is authoritative from its
 * oldest entry on (from the beginning when it has no cursor), and the
 * adapter reports the entries of the previous page that are gone (a
 * withdrawn repost keeps its original's date, so the window alone would
 * miss it).  Hashtag results come and go, so the adapter remembers the
 * newest BLUESKY_RECHECK_MAX results it showed and asks for them again
 * with app.bsky.feed.getPosts (25 per request) on the first cycle after a
 * start and every BLUESKY_RECHECK_EVERY cycles: those missing from the
 * answer, or now hidden by a label, are reported deleted.
 */
#ifndef BALIE_BLUESKY_H
#define BALIE_BLUESKY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "../feed/model.h"
#include "source.h"

/* Text of a quoted post is cut to this many bytes in its card's title. */
#define BLUESKY_QUOTE_MAX 280
/* Hashtag results re-checked for deletion, and how often (in cycles). */
#define BLUESKY_RECHECK_MAX 100
#define BLUESKY_RECHECK_EVERY 10
/* URIs per app.bsky.feed.getPosts request (the API's limit). */
#define BLUESKY_GETPOSTS_MAX 25

/* Counts of what a parse left out, for logs and tests. */
typedef struct {
	size_t posts;        /* posts returned */
	size_t hidden;       /* dropped for a label */
	size_t malformed;    /* dropped: required fields missing or of the wrong type */
	size_t replies;      /* dropped: replies to others and spec->include_replies false */
	size_t reposts;      /* dropped: reposts and spec->include_boosts false */
	size_t bad_facets;   /* facets dropped (out of bounds, split characters, overlaps) */
	int64_t oldest;      /* sort time of the oldest feed entry seen (0 = none) */
	bool more;           /* the answer has a cursor: older entries exist */
} bluesky_stats_t;

/* Parse an app.bsky.feed.getAuthorFeed body ({"feed":[feedViewPost...]})
 * into posts appended to out (owned by out).  spec gives source, person and
 * the reply/repost choices; may be NULL (tests: keep everything, no person).
 * now is for label expiry.  false with *err set (caller frees) when the body
 * is not JSON of that shape. */
bool bluesky_parse_author_feed(const char *body, size_t len, const source_spec_t *spec,
                               int64_t now, post_list_t *out, bluesky_stats_t *st, char **err);

/* Same for app.bsky.feed.searchPosts ({"posts":[postView...]}). */
bool bluesky_parse_search(const char *body, size_t len, const source_spec_t *spec,
                          int64_t now, post_list_t *out, bluesky_stats_t *st, char **err);

/* One postView as a post (key "bluesky:<at-uri>"), or NULL when it is
 * hidden by a label or malformed (st says which; st may be NULL). */
post_t *bluesky_post_from_view(const cJSON *view, const source_spec_t *spec, int64_t now,
                               bluesky_stats_t *st);

/* Whether an array of com.atproto.label.defs#label (or a selfLabels object)
 * holds an active label that hides a post on a public screen. */
bool bluesky_labels_hide(const cJSON *labels, int64_t now);

/* Add spans for the facets of a record whose text is p->text.  Returns the
 * number of facets dropped as invalid or overlapping. */
size_t bluesky_apply_facets(post_t *p, const cJSON *facets);

/* The "exp" claim of a JWT (no signature check: we only schedule a
 * refresh), or 0 when it cannot be read. */
int64_t bluesky_jwt_exp(const char *jwt);

#endif
