/*
 * net: the one thread that owns libcurl.
 *
 * Callers hand requests to net_submit() and later collect owned responses
 * with net_poll() (the screen, never blocking) or net_wait() (--once).  The
 * worker drives a curl multi handle with curl_multi_poll() and is woken by
 * curl_multi_wakeup() when work arrives.  When a response is queued the
 * worker calls the notify callback (from the worker thread): the screen pushes
 * an SDL user event there, so the main loop wakes without polling.
 *
 * Policy lives here, once, for every network: TLS verification always on,
 * https only (plain http only to loopback addresses, for tests and local
 * services), connect timeout, total timeout, body caps, a redirect limit,
 * compressed transfers, User-Agent "balie/VERSION".  Request headers may carry
 * tokens; they are never logged, and URLs are logged only through url_redact().
 */
#ifndef BALIE_NET_H
#define BALIE_NET_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
	NET_OK = 0,          /* a response arrived (any HTTP status) */
	NET_ERR_URL,         /* refused before sending: bad or disallowed URL / scheme */
	NET_ERR_RESOLVE,     /* DNS failure */
	NET_ERR_CONNECT,     /* refused, unreachable */
	NET_ERR_TIMEOUT,     /* connect or total timeout, or a stalled transfer */
	NET_ERR_TLS,         /* certificate or handshake failure */
	NET_ERR_TOO_BIG,     /* body over the cap */
	NET_ERR_REDIRECTS,   /* too many redirects, or a redirect to a disallowed URL */
	NET_ERR_TRANSFER,    /* reset mid-body, truncated, protocol error */
	NET_ERR_CANCELLED,   /* net_stop() while in flight */
} net_error_t;

/* Short English phrase for logs and status lines; static. */
const char *net_error_name(net_error_t e);

typedef struct {
	char *name;
	char *value;
} net_header_t;

typedef struct net_request {
	uint64_t id;          /* set by net_submit() */
	char *url;            /* absolute URL */
	char **headers;       /* extra "Name: value" lines (may hold secrets: never logged) */
	size_t n_headers;
	char *post_body;      /* NULL for GET; else POSTed as application/json */
	size_t max_body;      /* cap in bytes; 0 = the JSON cap from net_options_t */
	void *user;           /* opaque; returned in the response */
} net_request_t;

/* max_body value meaning "the media cap" (net_options_t.max_media), for images. */
#define NET_MAX_BODY_MEDIA SIZE_MAX

typedef struct net_response {
	uint64_t id;
	void *user;
	char *url;            /* the requested URL (caller redacts before logging) */
	net_error_t error;
	char *error_text;     /* human-readable detail (no secrets), or NULL */
	int status;           /* HTTP status, 0 when no response */
	char *body;           /* NUL-terminated; body_len excludes the NUL; never NULL */
	size_t body_len;
	net_header_t *headers; /* response headers of the final response */
	size_t n_headers;
	double seconds;       /* total transfer time */
} net_response_t;

typedef struct {
	long connect_timeout_s;   /* default 10 */
	long total_timeout_s;     /* default 30 */
	long low_speed_time_s;    /* abort when below 1 byte/s this long; default 20 */
	size_t max_json;          /* default 4 MiB */
	size_t max_media;         /* default 16 MiB */
	long max_redirects;       /* default 5 */
	int max_parallel;         /* concurrent transfers; default 4 */
	const char *ca_file;      /* extra CA bundle (tests); NULL = system store */
} net_options_t;

/* Fill o with the defaults above. */
void net_options_default(net_options_t *o);

typedef struct net net_t;
typedef void (*net_notify_fn)(void *ctx);

/* Start the worker thread.  notify (may be NULL) is called from the worker
 * thread each time a response is queued.  opt is copied. */
net_t *net_start(const net_options_t *opt, net_notify_fn notify, void *ctx);
/* Stop and join the worker; in-flight transfers are cancelled and their
 * responses freed.  Frees n.  NULL is fine. */
void net_stop(net_t *n);

/* Queue a request.  Takes ownership of req (and everything it points to).
 * Returns the request id (never 0).  Thread-safe. */
uint64_t net_submit(net_t *n, net_request_t *req);
/* Next finished response, or NULL when none is ready.  Caller frees it with
 * net_response_free().  Never blocks. */
net_response_t *net_poll(net_t *n);
/* As net_poll(), but waits up to timeout_ms (-1: forever) for a response. */
net_response_t *net_wait(net_t *n, int timeout_ms);
/* Number of requests submitted and not yet collected. */
size_t net_pending(net_t *n);

/* Build a request: url copied, no headers.  Caller owns it until net_submit(). */
net_request_t *net_request_new(const char *url);
/* Append a header line "Name: value" (copied). */
void net_request_add_header(net_request_t *r, const char *name, const char *value);
void net_request_free(net_request_t *r);
void net_response_free(net_response_t *r);

/* Value of the last header with this name (case-insensitive), or NULL.
 * Valid as long as r. */
const char *net_response_header(const net_response_t *r, const char *name);

#endif
