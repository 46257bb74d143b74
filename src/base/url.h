/*
 * url: the few URL operations balie needs, and its URL policy.
 *
 * Policy (one place for every network): https:// is allowed everywhere;
 * http:// only to loopback hosts (127.0.0.0/8, ::1, localhost).  No other
 * scheme is ever fetched.  url_is_allowed() is that rule; it judges what an
 * operator may write in the configuration.
 *
 * This machine itself is reached only where the operator pointed balie:
 * url_may_fetch(), which the network worker asks before every request and
 * redirect, refuses any URL whose host is this machine (any spelling:
 * 127.x, ::1, localhost, 0.0.0.0, 2130706433, [::ffff:127.0.0.1]) unless
 * its port is the port of a configured source (url_allow_loopback()).  So a
 * post whose image names http://127.0.0.1:631/ (a printer daemon, a router
 * page) never makes the kiosk knock on that port; tests, which configure a
 * source at http://127.0.0.1:PORT, still work.  url_may_connect() is the same
 * rule at connect time, for names that only resolve to this machine.
 */
#ifndef BALIE_URL_H
#define BALIE_URL_H

#include <stdbool.h>
#include <stddef.h>

struct sockaddr;

/* True when url is https://HOST..., or http:// to a loopback host: what a
 * configuration may name.  Whether it may be fetched now is url_may_fetch(). */
bool url_is_allowed(const char *url);

/* Replace the loopback ports url_may_fetch() lets through with the ports of
 * those urls[0..n) whose host is this machine (http or https; a URL without
 * a port counts as 80 or 443; other URLs are ignored).  Default, and n == 0:
 * none.  main() passes every configured source's URL, at start-up and after a
 * reload.  Returns how many ports are allowed.  urls are read, not kept.
 * Thread-safe. */
size_t url_allow_loopback(const char *const *urls, size_t n);

/* True when the network worker may request url now: url_is_allowed(url) and,
 * when libcurl would connect to this machine, at a port url_allow_loopback()
 * allowed.  Thread-safe. */
bool url_may_fetch(const char *url);

/* The connect-time half of url_may_fetch(), for a resolved address sa of
 * len bytes (a host name can resolve to 127.0.0.1): false for an address of
 * this machine (127.0.0.0/8, 0.0.0.0/8, ::1, ::, their IPv4-mapped forms) at
 * a port url_allow_loopback() did not allow, and for anything that is not
 * IPv4 or IPv6.  Thread-safe. */
bool url_may_connect(const struct sockaddr *sa, size_t len);

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
