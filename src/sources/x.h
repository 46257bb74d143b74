/*
 * x: a person's X account through the X API v2 with an app-only bearer
 * token.  Every post read is billed by X, so the adapter asks only for posts
 * newer than the newest it has (since_id), resolves the user name to an id
 * once and keeps it, and stops polling until the reset when X says the
 * usage cap is reached.
 *
 * X sends plain text with t.co links and entities whose offsets count
 * Unicode code points.  The parsers below rebuild the text with each t.co
 * link replaced by its display form (span target: the expanded URL), drop
 * the links of attached media and quoted posts (shown as media and as a
 * card), and turn mentions and hashtags into spans, all in byte offsets.
 * Pure functions: JSON in, posts out (tests and fuzzers use them directly).
 *
 * Deleted posts: since_id never shows a post again, so a deleted one would
 * stay.  The adapter remembers the ids of the newest X_RECHECK_MAX posts it
 * delivered (those of the last X_RECHECK_MAX_AGE_DAYS days) and, once per
 * re-check interval (a day unless x_set_recheck_hours() says otherwise),
 * looks them up with GET /2/tweets?ids=...: the ids X answers "not found"
 * or "not authorized" for (deleted, or the account went private or was
 * suspended) are reported deleted.  X bills every post that lookup
 * returns, so it is rare by design.
 */
#ifndef BALIE_X_H
#define BALIE_X_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "../feed/model.h"
#include "source.h"

/* Posts re-checked for deletion: at most this many, of at most this age. */
#define X_RECHECK_MAX 100
#define X_RECHECK_MAX_AGE_DAYS 30
#define X_RECHECK_HOURS_DEFAULT 24

/* Re-check delivered posts for deletion every hours hours from now on, for
 * every X source (0: never; negative or above 8760: the default).
 * Thread-safe; meant for a configuration setting. */
void x_set_recheck_hours(int hours);

/* The ids of a GET /2/tweets?ids= answer that X says are gone: not found,
 * or no longer visible (errors[] of type resource-not-found or
 * not-authorized-for-resource naming one of the asked ids, which are not in
 * data[]).  asked: n decimal ids.  Returns a malloc'ed array of flags, one
 * per asked id (caller frees), or NULL with *err set (caller frees) when the
 * body is not a JSON object with a data or errors list. */
bool *x_parse_lookup(const char *body, size_t len, const char *const *asked, size_t n, char **err);

typedef struct {
	size_t posts;         /* posts returned */
	size_t skipped;       /* malformed entries, replies or reposts the spec excludes */
	size_t bad_entities;  /* entities dropped (out of range or overlapping) */
	size_t errors;        /* entries in the response's errors[] (partial failures) */
	char *first_error;    /* "title: detail" of the first of them, or NULL; caller frees */
	bool user_gone;       /* an error says the timeline's user does not exist (any more) */
	char *newest_id;      /* highest post id in data[], or NULL; caller frees */
} x_stats_t;

/* Free first_error and newest_id; st is zeroed. */
void x_stats_clear(x_stats_t *st);

/* Parse a GET /2/users/:id/tweets (or search) body into posts appended to
 * out.  user_id: the timeline's user (for user_gone), may be NULL.  spec
 * gives source, person and the reply/repost choices; may be NULL (keep all).
 * false with *err set (caller frees) when the body is not a JSON object. */
bool x_parse_tweets(const char *body, size_t len, const source_spec_t *spec, const char *user_id,
                    post_list_t *out, x_stats_t *st, char **err);

/* Parse GET /2/users/by/username/:u: the user's id (caller frees), or NULL
 * with *err set ("not found: ..." when X reports no such user). */
char *x_parse_user(const char *body, size_t len, char **err);

/* Replace p's text and spans with an X text and its entities object (code
 * point offsets).  Links of attached media (media_key set, or a
 * /photo/ or /video/ link) and the link to the quoted post quoted_id (may be
 * NULL) are removed.  Returns the number of entities dropped as invalid. */
size_t x_apply_entities(post_t *p, const char *text, const cJSON *entities, const char *quoted_id);

/* Whether an HTTP status and body say the project's monthly usage cap is
 * reached or the app is not enrolled (X answers 429 "UsageCapExceeded" or
 * 403 "usage-capped" / "client-not-enrolled"). */
bool x_usage_capped(int status, const char *body, size_t len);

#endif
