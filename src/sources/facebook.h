/*
 * facebook: the municipality's own Facebook Page as a source (Graph API).
 *
 * A cycle is at most two requests: the Page's name and picture
 * (GET /{version}/{page}?fields=..., once, then daily; kept in the state) and
 * the newest posts (GET /{version}/{page}/posts with field expansion).  The
 * token travels as "Authorization: Bearer", never in the URL.  Errors are
 * classified from the JSON body, not the HTTP status (Graph sends 400 for
 * nearly everything): 190/102/104 and 10/200-299 are a dead, missing or weak token
 * (SRC_ERR_AUTH), 4/17/32/613/80001 a rate limit (SRC_ERR_RATE, exponential
 * back-off), 1/2 or is_transient a passing failure (SRC_ERR_NETWORK).  The
 * usage headers (X-App-Usage, X-Page-Usage, X-Business-Use-Case-Usage) are
 * read on every answer: above 80% the source holds its next cycle back.
 *
 * Posts become: message as text (with #hashtag and link spans), one hero
 * image or the album's photos as media (full-size URLs that expire: the poller
 * must download them at once), a link attachment as a card whose URL is the
 * real target (unshimmed_url, or the u= of an l.facebook.com/l.php shim).
 * Without a token the requests still go out and Graph's "token required"
 * answer becomes SRC_ERR_AUTH with the advice.  While the source pauses for a
 * usage limit next_request() returns NULL at once; handle(s, NULL, b) then
 * reports SRC_ERR_RATE with retry_at, for a poller that asks.
 * See docs/facebook-linkedin.md for the administrator's side.
 */
#ifndef BALIE_FACEBOOK_H
#define BALIE_FACEBOOK_H

#include <stdbool.h>

#include "source.h"

/* Graph API version used when none is configured. */
#define FACEBOOK_GRAPH_VERSION_DEFAULT "v25.0"
/* Base URL used when the spec has no server ([network] facebook_graph). */
#define FACEBOOK_GRAPH_DEFAULT "https://graph.facebook.com"

extern const source_ops_t facebook_source_ops;

/* Use Graph API version v ("v25.0") from now on for every Facebook source;
 * NULL restores the default.  Returns false (and changes nothing) when v is
 * not of the form vN.N.  Thread-safe; call it after loading the config
 * ([network] facebook_graph_version). */
bool facebook_set_graph_version(const char *v);

/* The real target of a Facebook link: for an l.facebook.com/l.php?u=...
 * (or lm.facebook.com) redirect the decoded u= parameter when that is an
 * http(s) URL; otherwise a copy of url.  NULL for NULL.  Caller frees. */
char *facebook_unshim_url(const char *url);

#endif
