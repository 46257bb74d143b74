/*
 * mastodon: the pure parsing half of the Mastodon adapter, for tests and
 * fuzzers.  The adapter itself is `mastodon_source_ops` (source.h); it builds
 * requests and feeds response bodies through these functions.
 *
 * Everything here treats its input as untrusted: a field of the wrong type
 * is ignored, a status without identity, author or time is skipped, and a
 * page is never rejected for one bad status.
 */
#ifndef BALIE_MASTODON_H
#define BALIE_MASTODON_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "../feed/model.h"
#include "source.h"

typedef enum {
	MASTODON_OK,        /* *out holds the post */
	MASTODON_FILTERED,  /* a valid status the spec does not want (boost, reply, not public) */
	MASTODON_INVALID,   /* not a usable status (no key, author or created_at) */
} mastodon_result_t;

/* Parse one Status entity.  A boost becomes the boosted post with
 * post->booster set; spec decides what is filtered (include_boosts,
 * include_replies, public_only) and fills post->source, post->person and the
 * host of local handles (spec->server).  On MASTODON_OK *out is a new post
 * (caller frees); otherwise *out is NULL.  *why (may be NULL) gets a static
 * reason for a skipped status. */
mastodon_result_t mastodon_parse_status(const cJSON *status, const source_spec_t *spec,
                                        post_t **out, const char **why);

/* Parse an Account entity into *out (fields owned by *out; free with
 * author_clear()).  server_host (may be NULL) completes local handles:
 * acct "jan" becomes "@jan@server_host".  False (and *out zeroed) when the
 * account has no usable acct/username. */
bool mastodon_parse_account(const cJSON *account, const char *server_host, author_t *out);

/* Parse a timeline body (a JSON array of statuses) and append the kept posts
 * to out, skipping keys already in out.  Returns false with *err set (caller
 * frees) when the body is not a JSON array; *n_invalid (may be NULL) counts
 * statuses skipped as MASTODON_INVALID. */
bool mastodon_parse_statuses(const char *json, size_t len, const source_spec_t *spec,
                             post_list_t *out, size_t *n_invalid, char **err);

#endif
