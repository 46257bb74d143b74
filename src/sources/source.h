/*
 * source: what every network adapter implements, and what the poller drives.
 *
 * A source is one thing to poll: a person's account on one network, a
 * hashtag on one server, a feed URL, the notices file.  The poller
 * (net/poller.c) runs a source's refresh as a *cycle*: it asks the adapter for
 * the next request, hands it to the network worker, gives the response back
 * to the adapter, and repeats until the adapter says the cycle is complete
 * (lookup an id, then page with min_id, then fetch images in a batch...).
 * Adapters never touch libcurl, the disk or the clock directly: they build
 * requests and parse responses, so they are tested by feeding them recorded
 * bodies, with no server at all.
 *
 * Each adapter lives in src/sources/<network>.c and exports one
 * `const source_ops_t <network>_source_ops`.
 */
#ifndef BALIE_SOURCE_H
#define BALIE_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "../feed/model.h"
#include "../net/net.h"

typedef enum { SRC_ACCOUNT, SRC_HASHTAG, SRC_FEED, SRC_NOTICES } source_kind_t;

/* What the configuration (or the command line) asks for.  All strings owned. */
typedef struct source_spec {
	char *key;          /* stable, unique: "mastodon:@jan@social.example", "mastodon-tag:#x@host" */
	network_t network;
	source_kind_t kind;
	char *person;       /* configured person/organisation id, or NULL (hashtag posts) */
	char *handle;       /* account handle without server ("jan"), tag without '#', feed URL, file path */
	char *server;       /* base URL "https://host" (url_base()), or NULL where not applicable */
	char *token_file;   /* file holding a token/credentials, or NULL */
	int interval_s;     /* poll interval, >= 15 */
	bool include_replies; /* keep replies to others (default false) */
	bool include_boosts;  /* keep boosts (default true) */
	bool public_only;     /* only visibility public (default true) */
} source_spec_t;

void source_spec_free(source_spec_t *s);
source_spec_t *source_spec_clone(const source_spec_t *s);

/* How a cycle (or one response) went. */
typedef enum {
	SRC_CONTINUE,       /* response consumed; call next_request() again */
	SRC_DONE,           /* cycle complete; batch is final */
	SRC_NOT_MODIFIED,   /* 304 or nothing new: cycle complete, nothing to merge */
	SRC_ERR_NETWORK,    /* transport failure or 5xx: retry with back-off */
	SRC_ERR_RATE,       /* 429 or limit reached: retry at batch->retry_at */
	SRC_ERR_AUTH,       /* token missing/expired/revoked/insufficient: stop until reload */
	SRC_ERR_NOT_FOUND,  /* account or feed does not exist */
	SRC_ERR_DATA,       /* body was not what we expect (HTML, bad JSON, wrong shape) */
	SRC_ERR_CONFIG,     /* the spec cannot work (e.g. hashtag needs credentials) */
} source_status_t;

const char *source_status_name(source_status_t s);

/* What a cycle produced.  The poller merges it into the cache. */
typedef struct {
	post_list_t posts;      /* new or updated posts (key, source, network, person filled) */
	char **deleted;         /* keys of posts known to be gone upstream */
	size_t n_deleted;
	/* When true, `posts` is the complete current set of this source's posts
	 * newer than window_start: cached posts of this source created at or
	 * after window_start that are absent were deleted upstream. */
	bool authoritative;
	int64_t window_start;
	int64_t retry_at;       /* wall-clock seconds; for SRC_ERR_RATE (0 = unknown) */
	char *message;          /* one-line detail for logs/status (no secrets), or NULL */
} source_batch_t;

void source_batch_init(source_batch_t *b);
void source_batch_clear(source_batch_t *b);
/* Set b->message (printf-style), replacing an earlier one.  Control
 * characters (a server's multi-line error text) become spaces: one line. */
void source_batch_message(source_batch_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void source_batch_add_deleted(source_batch_t *b, const char *key);

typedef struct source source_t;

typedef struct source_ops {
	const char *name;   /* "mastodon" */
	/* Prepare s->priv from s->spec and the persisted state (may be NULL). */
	void (*init)(source_t *s, const cJSON *state);
	/* Start a new cycle. */
	void (*begin)(source_t *s);
	/* Next request of this cycle, or NULL when the cycle needs none. Caller
	 * (the poller) owns the returned request.  Add auth headers here. */
	net_request_t *(*next_request)(source_t *s);
	/* Consume the response to the last request.  Adds to *b.  When
	 * next_request() returned NULL the poller calls handle(s, NULL, b) once
	 * instead, and its answer is the cycle's status (SRC_DONE when all went
	 * well; an adapter that did its work without the network, like the
	 * notices file, or that holds back for a rate limit, says so here). */
	source_status_t (*handle)(source_t *s, const net_response_t *r, source_batch_t *b);
	/* State to persist across restarts (ids, etags, cursors); caller frees. May be NULL. */
	cJSON *(*save_state)(source_t *s);
	void (*destroy)(source_t *s);
} source_ops_t;

struct source {
	source_spec_t *spec;      /* owned */
	const source_ops_t *ops;
	void *priv;               /* adapter's own state */
	int64_t now;              /* wall-clock seconds, set by the poller before each call */
	char *token;              /* token read from spec->token_file by the poller, or NULL; never log */
};

/* The adapters, one per file in src/sources/. */
extern const source_ops_t mastodon_source_ops;
extern const source_ops_t bluesky_source_ops;
extern const source_ops_t rss_source_ops;
extern const source_ops_t x_source_ops;
extern const source_ops_t notices_source_ops;
extern const source_ops_t facebook_source_ops;
extern const source_ops_t linkedin_source_ops;

/* Adapter for a network, or NULL when balie has none (yet). */
const source_ops_t *source_ops_for(network_t n, source_kind_t kind);

#endif
