/*
 * url: the few URL operations balie needs, and its URL policy.
 *
 * Policy (one place for every network): https:// is allowed everywhere;
 * http:// only to loopback hosts (127.0.0.0/8, ::1, localhost), for tests and
 * services on the same machine.  No other scheme is ever fetched.
 */
#ifndef BALIE_URL_H
#define BALIE_URL_H

#include <stdbool.h>
#include <stddef.h>

/* True when url is https://HOST..., or http:// to a loopback host. */
bool url_is_allowed(const char *url);
/* True when the URL's host is a loopback address or "localhost". */
bool url_is_loopback(const char *url);

/* Host part of an http(s) URL (without port or brackets), or NULL.  Caller frees. */
char *url_host(const char *url);

/* "https://host" from "host", "host:port", "https://host/", "http://127.0.0.1:8970";
 * NULL when the result would not be allowed (url_is_allowed()).  No trailing slash.
 * Caller frees. */
char *url_base(const char *server);

/* Percent-encode a string for a query component or path segment.  Caller frees. */
char *url_encode(const char *s);

/* Copy of url with the values of query parameters that may hold secrets
 * (access_token, token, key, secret, password, ...) and any user:password@
 * before the host replaced by "REDACTED".
 * Use it for every URL that reaches a log.  Caller frees. */
char *url_redact(const char *url);

#endif
