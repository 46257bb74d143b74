/*
 * wire: small checks the adapters apply to text that crosses the network,
 * in either direction: a token read from a file before it goes into a
 * header, a saved ETag before it goes back, a URL or a name from an answer
 * before it is stored, a server's words before they reach a log line.
 *
 * Also the process-wide API version setting (Graph's v25.0, LinkedIn's
 * 202510) that the configuration sets and the poller thread reads.
 */
#ifndef BALIE_SOURCES_WIRE_H
#define BALIE_SOURCES_WIRE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "../net/net.h"

/* The first line of a token file, trimmed of spaces and tabs; NULL when it
 * is empty, longer than 4096 bytes or holds anything but printable ASCII (it
 * goes into a header line).  Caller frees; never log it. */
char *wire_token(const char *text);

/* Add "Authorization: Bearer token" to r; nothing when token is NULL.  The
 * temporary copy is wiped; the caller still owns token. */
void wire_bearer(net_request_t *r, const char *token);

/* True when s is non-empty, at most max bytes and printable ASCII (space
 * included), so that it can go into a request header without splitting it. */
bool wire_header_safe(const char *s, size_t max);

/* True when u is an http(s) URL (either case) of at most max bytes without
 * space, tab, CR or LF.  The URL policy itself is url_is_allowed(). */
bool wire_http_url(const char *u, size_t max);

/* A server's complaint for a message: "title: detail" (either may be NULL);
 * when both are NULL, html_note when the body of len bytes looks like an
 * HTML page (a '<' in its first 64 bytes), else "no details".  At most 200
 * bytes, on one line (wire_one_line()).  Caller frees. */
char *wire_problem(const char *title, const char *detail, const char *body, size_t len, const char *html_note);

/* Control characters in s become spaces (in place), for one-line messages. */
void wire_one_line(char *s);

/* Cut s to at most max bytes, in place, on a UTF-8 character boundary. */
void wire_utf8_cut(char *s, size_t max);

/* A process-wide API version: set while the configuration loads, read by
 * the poller thread for every request.  Initialise with WIRE_VERSION_INIT. */
typedef struct {
	pthread_mutex_t lock;
	char value[16];
} wire_version_t;

#define WIRE_VERSION_INIT(value) { PTHREAD_MUTEX_INITIALIZER, value }

/* Store a copy of value (cut to 15 bytes); the caller has validated it. */
void wire_version_set(wire_version_t *v, const char *value);

/* Copy the current value into out. */
void wire_version_get(wire_version_t *v, char out[16]);

#endif
