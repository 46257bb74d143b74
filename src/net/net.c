/*
 * net: one worker thread owns libcurl; see net.h for the contract.
 *
 * Callers never touch curl.  net_submit() appends to a locked queue and wakes
 * the worker with curl_multi_wakeup().  The worker checks each new request
 * against the URL policy at once (refused ones complete without a socket
 * being opened), keeps the rest in a FIFO, runs at most max_parallel of them
 * on its multi handle, sleeps in curl_multi_poll() until curl's next timer
 * (or, with nothing to do, until woken), and turns every finished
 * easy handle into an owned net_response_t on the done queue (mutex + condvar,
 * so net_wait() can block) before calling notify.
 *
 * Policy is enforced per transfer rather than trusted to callers: every
 * redirect target is checked when its Location header arrives, so a
 * disallowed one is never contacted, and the final URL is checked again; the
 * body is capped in the write callback and up front from Content-Length; the
 * headers of intermediate responses (redirects, 100 Continue) are dropped.
 * On any error the body is emptied so that no caller parses half a document;
 * status and headers are kept.  Error texts come from curl's error buffer
 * (which never holds request headers) with any URL query cut off.
 */
#include "net.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "../base/log.h"
#include "../base/url.h"
#include "../base/xmalloc.h"

#ifndef BALIE_VERSION
#define BALIE_VERSION "dev"
#endif

enum {
	MAX_HEADERS = 200,             /* response header lines kept per response */
	MAX_HEADER_BYTES = 64 * 1024,  /* and their total size */
	MAX_PARALLEL_LIMIT = 64,
	MAX_SLEEP_MS = 60 * 1000,      /* while transfers run: curl's timeout, capped */
	IDLE_SLEEP_MS = 10 * 60 * 1000, /* no transfer at all: new work wakes the worker */
};

static const char REFUSED_URL_TEXT[] =
	"refused URL: only https://, or http:// to this machine, is fetched";

typedef struct job {
	struct job *next, *prev;
	net_request_t *req;            /* owned */
	uint64_t id;
	CURL *easy;                    /* NULL until started */
	struct curl_slist *slist;
	size_t cap;                    /* body cap in bytes */
	char *body;
	size_t body_len, body_alloc;
	net_header_t *headers;         /* of the response now arriving */
	size_t n_headers, headers_alloc, header_bytes;
	int status;                    /* of the response now arriving */
	bool too_big, headers_too_big;
	unsigned long long announced;  /* Content-Length that was over the cap; 0 = none */
	char *refused_redirect;        /* "scheme://host" of a refused redirect */
	char errbuf[CURL_ERROR_SIZE];
} job_t;

typedef struct done_node {
	struct done_node *next;
	net_response_t *r;
} done_node_t;

struct net {
	net_options_t opt;
	char *ca_file;
	net_notify_fn notify;
	void *ctx;
	pthread_t thread;
	CURLM *multi;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping;                      /* under mu */
	uint64_t next_id;                   /* under mu */
	size_t pending;                     /* under mu */
	job_t *sub_head, *sub_tail;         /* under mu: submitted, not yet seen */
	done_node_t *done_head, *done_tail; /* under mu: finished, not collected */

	/* worker thread only */
	job_t *wait_head, *wait_tail;       /* allowed, waiting for a slot */
	job_t *running;                     /* doubly linked: on the multi handle */
	int n_running;
};

const char *net_error_name(net_error_t e)
{
	switch (e) {
	case NET_OK: return "ok";
	case NET_ERR_URL: return "refused URL";
	case NET_ERR_RESOLVE: return "host not found";
	case NET_ERR_CONNECT: return "could not connect";
	case NET_ERR_TIMEOUT: return "timed out";
	case NET_ERR_TLS: return "TLS failure";
	case NET_ERR_TOO_BIG: return "response too big";
	case NET_ERR_REDIRECTS: return "bad redirect";
	case NET_ERR_TRANSFER: return "transfer failed";
	case NET_ERR_CANCELLED: return "cancelled";
	}
	return "unknown error";
}

void net_options_default(net_options_t *o)
{
	*o = (net_options_t){
		.connect_timeout_s = 10,
		.total_timeout_s = 30,
		.low_speed_time_s = 20,
		.max_json = 4u << 20,
		.max_media = 16u << 20,
		.max_redirects = 5,
		.max_parallel = 4,
		.ca_file = NULL,
	};
}

/* Replace nonsense values (zero, negative) by the defaults. */
static void options_sanitise(net_options_t *o)
{
	net_options_t d;
	net_options_default(&d);
	if (o->connect_timeout_s <= 0)
		o->connect_timeout_s = d.connect_timeout_s;
	if (o->total_timeout_s <= 0)
		o->total_timeout_s = d.total_timeout_s;
	if (o->low_speed_time_s <= 0)
		o->low_speed_time_s = d.low_speed_time_s;
	if (o->max_json == 0)
		o->max_json = d.max_json;
	if (o->max_media == 0)
		o->max_media = d.max_media;
	if (o->max_redirects < 0)
		o->max_redirects = d.max_redirects;
	if (o->max_parallel <= 0)
		o->max_parallel = d.max_parallel;
	if (o->max_parallel > MAX_PARALLEL_LIMIT)
		o->max_parallel = MAX_PARALLEL_LIMIT;
}

/* ---- requests and responses ------------------------------------------- */

net_request_t *net_request_new(const char *url)
{
	net_request_t *r = xcalloc(1, sizeof *r);
	r->url = xstrdup(url);
	return r;
}

void net_request_add_header(net_request_t *r, const char *name, const char *value)
{
	r->headers = xrealloc(r->headers, (r->n_headers + 1) * sizeof *r->headers);
	/* curl drops "Name:" (empty value) lines; "Name;" sends an empty header */
	if (value && *value)
		r->headers[r->n_headers++] = xasprintf("%s: %s", name, value);
	else
		r->headers[r->n_headers++] = xasprintf("%s;", name);
}

void net_request_free(net_request_t *r)
{
	if (!r)
		return;
	free(r->url);
	for (size_t i = 0; i < r->n_headers; i++)
		free(r->headers[i]);
	free(r->headers);
	free(r->post_body);
	free(r);
}

static void headers_free(net_header_t *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
}

void net_response_free(net_response_t *r)
{
	if (!r)
		return;
	free(r->url);
	free(r->error_text);
	free(r->body);
	headers_free(r->headers, r->n_headers);
	free(r);
}

const char *net_response_header(const net_response_t *r, const char *name)
{
	for (size_t i = r->n_headers; i > 0; i--)
		if (strcasecmp(r->headers[i - 1].name, name) == 0)
			return r->headers[i - 1].value;
	return NULL;
}

/* ---- small helpers ------------------------------------------------------ */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Copy of curl's error text with the query of any URL in it cut off, and
 * trailing whitespace removed. */
static char *error_text_clean(const char *text)
{
	size_t n = strlen(text);
	char *out = xmalloc(n + 1);
	size_t o = 0;
	bool in_url = false, cut = false;
	for (size_t i = 0; i < n; i++) {
		char c = text[i];
		if (is_space(c) || c == '\'' || c == '"' || c == '<' || c == '>') {
			in_url = false;
			cut = false;
		} else if (!in_url && strncmp(text + i, "://", 3) == 0) {
			in_url = true;
		} else if (in_url && (c == '?' || c == '#')) {
			cut = true;
		}
		if (!cut)
			out[o++] = c;
	}
	while (o > 0 && is_space(out[o - 1]))
		o--;
	out[o] = '\0';
	return out;
}

/* ---- per-transfer callbacks (worker thread) ----------------------------- */

static void job_headers_reset(job_t *j)
{
	headers_free(j->headers, j->n_headers);
	j->headers = NULL;
	j->n_headers = j->headers_alloc = j->header_bytes = 0;
}

static const char *job_header(const job_t *j, const char *name)
{
	for (size_t i = j->n_headers; i > 0; i--)
		if (strcasecmp(j->headers[i - 1].name, name) == 0)
			return j->headers[i - 1].value;
	return NULL;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	job_t *j = userp;
	size_t n = size * nmemb;
	if (n > j->cap - j->body_len) {
		j->too_big = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	size_t need = j->body_len + n + 1;
	if (need > j->body_alloc) {
		size_t a = j->body_alloc ? j->body_alloc : 16384;
		while (a < need)
			a *= 2;
		if (a > j->cap + 1)
			a = j->cap + 1; /* need <= cap + 1 holds here */
		j->body = xrealloc(j->body, a);
		j->body_alloc = a;
	}
	memcpy(j->body + j->body_len, data, n);
	j->body_len += n;
	j->body[j->body_len] = '\0';
	return n;
}

static bool status_is_redirect(int status)
{
	return status >= 300 && status < 400 && status != 304;
}

/* A redirect is about to be followed to location (maybe relative): refuse it
 * unless the resolved target passes the URL policy. */
static bool redirect_allowed(job_t *j, const char *location)
{
	char *base = NULL;
	char *target = NULL, *scheme = NULL, *host = NULL;
	bool ok = false;
	CURLU *u = curl_url();
	if (!u)
		return false;
	curl_easy_getinfo(j->easy, CURLINFO_EFFECTIVE_URL, &base);
	unsigned flags = CURLU_NON_SUPPORT_SCHEME | CURLU_URLENCODE | CURLU_ALLOW_SPACE;
	if (base && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, location, flags) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &target, 0) == CURLUE_OK)
		ok = url_may_fetch(target);
	if (!ok) {
		free(j->refused_redirect);
		if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && target)
			j->refused_redirect = xasprintf("%s://%.200s", scheme, host);
		else
			j->refused_redirect = xstrdup("an unusable location");
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(target);
	curl_url_cleanup(u);
	return ok;
}

/* All headers of a response are in: refuse a body announced over the cap. */
static bool headers_complete(job_t *j)
{
	if (j->status < 200 || j->status == 204 || (j->status >= 300 && j->status < 400))
		return true;
	const char *cl = job_header(j, "Content-Length");
	if (!cl || !*cl)
		return true;
	unsigned long long v = 0;
	for (const char *p = cl; *p; p++) {
		if (*p < '0' || *p > '9')
			return true; /* malformed: curl decides; the write cap still holds */
		if (v > (~0ULL - 9) / 10)
			v = ~0ULL;
		else
			v = v * 10 + (unsigned long long)(*p - '0');
	}
	if (v > j->cap) {
		j->too_big = true;
		j->announced = v;
		return false;
	}
	return true;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	job_t *j = userp;
	size_t n = size * nmemb;
	size_t len = n;
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* a new response (after a redirect or 100 Continue): start over */
		job_headers_reset(j);
		const char *p = memchr(data, ' ', len);
		const char *end = data + len;
		int st = 0;
		for (p = p ? p + 1 : end; p < end && *p >= '0' && *p <= '9' && st < 1000; p++)
			st = st * 10 + (*p - '0');
		j->status = st;
		return n;
	}
	if (len == 0)
		return headers_complete(j) ? n : 0;
	if (j->n_headers >= MAX_HEADERS || j->header_bytes + len > MAX_HEADER_BYTES) {
		j->headers_too_big = true;
		return 0;
	}
	j->header_bytes += len;
	if ((data[0] == ' ' || data[0] == '\t') && j->n_headers > 0) {
		/* obsolete line folding: continue the previous value */
		size_t s = 0;
		while (s < len && is_space(data[s]))
			s++;
		net_header_t *h = &j->headers[j->n_headers - 1];
		char *more = xstrndup(data + s, len - s);
		char *joined = xasprintf("%s %s", h->value, more);
		free(more);
		free(h->value);
		h->value = joined;
		return n;
	}
	const char *colon = memchr(data, ':', len);
	if (!colon || colon == data)
		return n; /* not a header line: ignore */
	size_t name_len = (size_t)(colon - data);
	while (name_len > 0 && is_space(data[name_len - 1]))
		name_len--;
	const char *v = colon + 1;
	const char *end = data + len;
	while (v < end && is_space(*v))
		v++;
	while (end > v && is_space(end[-1]))
		end--;
	XGROW(j->headers, j->headers_alloc, j->n_headers + 1);
	net_header_t *h = &j->headers[j->n_headers++];
	h->name = xstrndup(data, name_len);
	h->value = xstrndup(v, (size_t)(end - v));
	if (status_is_redirect(j->status) && strcasecmp(h->name, "Location") == 0 && *h->value)
		return redirect_allowed(j, h->value) ? n : 0;
	return n;
}

/* ---- the queues ---------------------------------------------------------- */

static void job_free(job_t *j)
{
	if (j->easy)
		curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->slist);
	net_request_free(j->req);
	free(j->body);
	headers_free(j->headers, j->n_headers);
	free(j->refused_redirect);
	free(j);
}

/* Turn j into a response on the done queue (text is owned), free j, notify. */
static void job_complete(net_t *n, job_t *j, net_error_t err, char *text)
{
	net_response_t *r = xcalloc(1, sizeof *r);
	r->id = j->id;
	r->user = j->req->user;
	r->url = j->req->url;
	j->req->url = NULL;
	r->error = err;
	r->error_text = text;
	if (j->easy) {
		long code = 0;
		double secs = 0;
		curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_getinfo(j->easy, CURLINFO_TOTAL_TIME, &secs);
		r->status = code > 0 && code < 1000 ? (int)code : j->status;
		r->seconds = secs;
	}
	if (err == NET_OK && j->body) {
		r->body = j->body;
		r->body_len = j->body_len;
		j->body = NULL;
	} else {
		r->body = xstrdup("");
	}
	r->headers = j->headers;
	r->n_headers = j->n_headers;
	j->headers = NULL;
	j->n_headers = 0;

	if (log_get_level() >= LOG_LVL_DEBUG) {
		char *safe = url_redact(r->url);
		if (err == NET_OK)
			log_debug("net", "%s %s: HTTP %d, %zu bytes, %.2f s", j->req->post_body ? "POST" : "GET",
			          safe, r->status, r->body_len, r->seconds);
		else
			log_debug("net", "%s %s: %s (%s)", j->req->post_body ? "POST" : "GET", safe,
			          net_error_name(err), text ? text : "");
		free(safe);
	}
	job_free(j);

	done_node_t *d = xcalloc(1, sizeof *d);
	d->r = r;
	pthread_mutex_lock(&n->mu);
	if (n->done_tail)
		n->done_tail->next = d;
	else
		n->done_head = d;
	n->done_tail = d;
	pthread_cond_broadcast(&n->cv);
	pthread_mutex_unlock(&n->mu);
	if (n->notify)
		n->notify(n->ctx);
}

/* Every connection, whatever name led to it (a host name can resolve to
 * 127.0.0.1): this machine only at a configured port (url_may_connect()). */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)clientp;
	if (purpose != CURLSOCKTYPE_IPCXN || !url_may_connect(&a->addr, a->addrlen))
		return CURL_SOCKET_BAD;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static bool header_line_ok(const char *h)
{
	return h && !strpbrk(h, "\r\n");
}

/* A new request from the submit queue: refuse it now, or queue it for a slot. */
static void job_admit(net_t *n, job_t *j)
{
	if (!url_may_fetch(j->req->url)) {
		job_complete(n, j, NET_ERR_URL, xstrdup(REFUSED_URL_TEXT));
		return;
	}
	for (size_t i = 0; i < j->req->n_headers; i++) {
		if (!header_line_ok(j->req->headers[i])) {
			job_complete(n, j, NET_ERR_URL,
			             xstrdup("refused request: a header contains a line break"));
			return;
		}
	}
	j->next = NULL;
	if (n->wait_tail)
		n->wait_tail->next = j;
	else
		n->wait_head = j;
	n->wait_tail = j;
}

static void running_link(net_t *n, job_t *j)
{
	j->prev = NULL;
	j->next = n->running;
	if (n->running)
		n->running->prev = j;
	n->running = j;
	n->n_running++;
}

static void running_unlink(net_t *n, job_t *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		n->running = j->next;
	if (j->next)
		j->next->prev = j->prev;
	j->next = j->prev = NULL;
	n->n_running--;
}

/* Configure an easy handle for j and add it to the multi handle. */
static void job_start(net_t *n, job_t *j)
{
	const net_request_t *req = j->req;
	CURL *e = curl_easy_init();
	if (!e) {
		job_complete(n, j, NET_ERR_TRANSFER, xstrdup("could not create a transfer"));
		return;
	}
	j->easy = e;
	if (req->max_body == NET_MAX_BODY_MEDIA)
		j->cap = n->opt.max_media;
	else if (req->max_body)
		j->cap = req->max_body;
	else
		j->cap = n->opt.max_json;

	bool loopback = url_is_loopback(req->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)j);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, loopback ? "http,https" : "https");
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, n->opt.max_redirects);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (n->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, n->ca_file);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, n->opt.connect_timeout_s);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, n->opt.total_timeout_s);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, n->opt.low_speed_time_s);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "balie/" BALIE_VERSION);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)j);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, (void *)j);

	bool has_ctype = false;
	for (size_t i = 0; i < req->n_headers; i++) {
		j->slist = curl_slist_append(j->slist, req->headers[i]);
		if (strncasecmp(req->headers[i], "Content-Type:", 13) == 0)
			has_ctype = true;
	}
	if (req->post_body) {
		if (!has_ctype)
			j->slist = curl_slist_append(j->slist, "Content-Type: application/json");
		j->slist = curl_slist_append(j->slist, "Expect:"); /* no 100-continue round trip */
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(req->post_body));
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->post_body);
	}
	if (j->slist)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->slist);

	CURLMcode mc = curl_multi_add_handle(n->multi, e);
	if (mc != CURLM_OK) {
		job_complete(n, j, NET_ERR_TRANSFER, xstrdup(curl_multi_strerror(mc)));
		return;
	}
	running_link(n, j);
}

static net_error_t map_result(const job_t *j, CURLcode rc, long redirects)
{
	switch (rc) {
	case CURLE_OK:
		return NET_OK;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return redirects > 0 ? NET_ERR_REDIRECTS : NET_ERR_URL;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return NET_ERR_RESOLVE;
	case CURLE_COULDNT_CONNECT:
		return NET_ERR_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return NET_ERR_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_USE_SSL_FAILED:
		return NET_ERR_TLS;
	case CURLE_TOO_MANY_REDIRECTS:
		return NET_ERR_REDIRECTS;
	case CURLE_FILESIZE_EXCEEDED:
		return NET_ERR_TOO_BIG;
	case CURLE_WRITE_ERROR:
		if (j->too_big || j->headers_too_big)
			return NET_ERR_TOO_BIG;
		if (j->refused_redirect)
			return NET_ERR_REDIRECTS;
		return NET_ERR_TRANSFER;
	default:
		return NET_ERR_TRANSFER;
	}
}

/* An easy handle is done (already removed from the multi handle). */
static void job_finish(net_t *n, job_t *j, CURLcode rc)
{
	long redirects = 0;
	curl_easy_getinfo(j->easy, CURLINFO_REDIRECT_COUNT, &redirects);
	net_error_t err = map_result(j, rc, redirects);
	char *text = NULL;
	if (err == NET_OK) {
		char *eff = NULL;
		curl_easy_getinfo(j->easy, CURLINFO_EFFECTIVE_URL, &eff);
		if (eff && !url_may_fetch(eff)) {
			err = NET_ERR_REDIRECTS;
			text = xstrdup("redirect ended at a disallowed URL");
		}
	} else if (err == NET_ERR_TOO_BIG && j->headers_too_big) {
		text = xasprintf("response headers over the limit (%d lines, %d bytes)",
		                 MAX_HEADERS, MAX_HEADER_BYTES);
	} else if (err == NET_ERR_TOO_BIG && j->announced) {
		text = xasprintf("response of %llu bytes is over the %zu-byte limit", j->announced, j->cap);
	} else if (err == NET_ERR_TOO_BIG) {
		text = xasprintf("response body over the %zu-byte limit", j->cap);
	} else if (err == NET_ERR_REDIRECTS && j->refused_redirect) {
		text = xasprintf("redirect to %s refused: only https://, or http:// to this machine, is followed",
		                 j->refused_redirect);
	} else {
		text = error_text_clean(j->errbuf[0] ? j->errbuf : curl_easy_strerror(rc));
	}
	job_complete(n, j, err, text);
}

/* ---- the worker ------------------------------------------------------------ */

/* Collect finished transfers; true when any finished. */
static bool collect_done(net_t *n)
{
	bool any = false;
	for (;;) {
		int left = 0;
		CURLMsg *m = curl_multi_info_read(n->multi, &left);
		if (!m)
			break;
		if (m->msg != CURLMSG_DONE)
			continue;
		CURL *e = m->easy_handle;
		CURLcode rc = m->data.result;
		char *priv = NULL;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
		job_t *j = (job_t *)(void *)priv;
		assert(j && j->easy == e);
		curl_multi_remove_handle(n->multi, e); /* m is invalid from here on */
		running_unlink(n, j);
		job_finish(n, j, rc);
		any = true;
	}
	return any;
}

static void start_waiting(net_t *n)
{
	while (n->wait_head && n->n_running < n->opt.max_parallel) {
		job_t *j = n->wait_head;
		n->wait_head = j->next;
		if (!n->wait_head)
			n->wait_tail = NULL;
		j->next = NULL;
		job_start(n, j);
	}
}

static void cancel_all(net_t *n)
{
	while (n->running) {
		job_t *j = n->running;
		curl_multi_remove_handle(n->multi, j->easy);
		running_unlink(n, j);
		job_free(j);
	}
	while (n->wait_head) {
		job_t *j = n->wait_head;
		n->wait_head = j->next;
		job_free(j);
	}
	n->wait_tail = NULL;
}

/* How long the worker may sleep: until curl's next timer (connect, timeout,
 * low-speed check, retry) while transfers run; while none runs nothing is
 * due, and net_submit() and net_stop() wake it with curl_multi_wakeup(), so
 * an idle screen costs no wake-ups (the long cap is only a safety net). */
static int worker_sleep_ms(net_t *n)
{
	if (!n->running && !n->wait_head)
		return IDLE_SLEEP_MS;
	long t = -1;
	if (curl_multi_timeout(n->multi, &t) != CURLM_OK || t < 0 || t > MAX_SLEEP_MS)
		return MAX_SLEEP_MS;
	return (int)t;
}

static void *worker(void *arg)
{
	net_t *n = arg;
	for (;;) {
		pthread_mutex_lock(&n->mu);
		bool stop = n->stopping;
		job_t *batch = n->sub_head;
		n->sub_head = n->sub_tail = NULL;
		pthread_mutex_unlock(&n->mu);
		while (batch) {
			job_t *j = batch;
			batch = j->next;
			j->next = NULL;
			if (stop)
				job_free(j);
			else
				job_admit(n, j);
		}
		if (stop)
			break;
		start_waiting(n);
		int still = 0;
		CURLMcode mc = curl_multi_perform(n->multi, &still);
		if (mc != CURLM_OK)
			log_event("net-multi", LOG_LVL_WARN, "net", "curl_multi_perform: %s", curl_multi_strerror(mc));
		bool finished = collect_done(n);
		if (finished && n->wait_head && n->n_running < n->opt.max_parallel)
			continue; /* a slot is free: start the next one without sleeping */
		mc = curl_multi_poll(n->multi, NULL, 0, worker_sleep_ms(n), NULL);
		if (mc != CURLM_OK) {
			log_event("net-multi", LOG_LVL_WARN, "net", "curl_multi_poll: %s", curl_multi_strerror(mc));
			struct timespec ts = { 0, 100 * 1000 * 1000 };
			nanosleep(&ts, NULL); /* never spin */
		}
	}
	cancel_all(n);
	return NULL;
}

/* ---- public API ------------------------------------------------------------ */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		log_err("net", "curl_global_init failed: %s", curl_easy_strerror(rc));
		abort();
	}
}

net_t *net_start(const net_options_t *opt, net_notify_fn notify, void *ctx)
{
	pthread_once(&global_once, global_init);
	net_t *n = xcalloc(1, sizeof *n);
	if (opt)
		n->opt = *opt;
	else
		net_options_default(&n->opt);
	options_sanitise(&n->opt);
	n->ca_file = xstrdup(n->opt.ca_file);
	n->opt.ca_file = n->ca_file;
	n->notify = notify;
	n->ctx = ctx;
	n->multi = curl_multi_init();
	if (!n->multi) {
		log_err("net", "curl_multi_init failed");
		abort();
	}
	pthread_mutex_init(&n->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&n->cv, &ca);
	pthread_condattr_destroy(&ca);
	int rc = pthread_create(&n->thread, NULL, worker, n);
	if (rc != 0) {
		log_err("net", "cannot start the network thread: %s", strerror(rc));
		abort();
	}
	return n;
}

void net_stop(net_t *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	n->stopping = true;
	pthread_mutex_unlock(&n->mu);
	curl_multi_wakeup(n->multi);
	pthread_join(n->thread, NULL);

	while (n->sub_head) {
		job_t *j = n->sub_head;
		n->sub_head = j->next;
		job_free(j);
	}
	while (n->done_head) {
		done_node_t *d = n->done_head;
		n->done_head = d->next;
		net_response_free(d->r);
		free(d);
	}
	curl_multi_cleanup(n->multi);
	pthread_cond_destroy(&n->cv);
	pthread_mutex_destroy(&n->mu);
	free(n->ca_file);
	free(n);
}

uint64_t net_submit(net_t *n, net_request_t *req)
{
	assert(n && req);
	job_t *j = xcalloc(1, sizeof *j);
	j->req = req;
	pthread_mutex_lock(&n->mu);
	assert(!n->stopping);
	uint64_t id = ++n->next_id;
	req->id = id;
	j->id = id;
	if (n->sub_tail)
		n->sub_tail->next = j;
	else
		n->sub_head = j;
	n->sub_tail = j;
	n->pending++;
	pthread_mutex_unlock(&n->mu);
	curl_multi_wakeup(n->multi);
	return id;
}

/* Called with mu held. */
static net_response_t *done_pop(net_t *n)
{
	done_node_t *d = n->done_head;
	if (!d)
		return NULL;
	n->done_head = d->next;
	if (!n->done_head)
		n->done_tail = NULL;
	net_response_t *r = d->r;
	free(d);
	assert(n->pending > 0);
	n->pending--;
	return r;
}

net_response_t *net_poll(net_t *n)
{
	pthread_mutex_lock(&n->mu);
	net_response_t *r = done_pop(n);
	pthread_mutex_unlock(&n->mu);
	return r;
}

net_response_t *net_wait(net_t *n, int timeout_ms)
{
	struct timespec deadline;
	if (timeout_ms >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&n->mu);
	while (!n->done_head) {
		if (timeout_ms < 0) {
			pthread_cond_wait(&n->cv, &n->mu);
		} else {
			int rc = pthread_cond_timedwait(&n->cv, &n->mu, &deadline);
			if (rc == ETIMEDOUT)
				break;
		}
	}
	net_response_t *r = done_pop(n);
	pthread_mutex_unlock(&n->mu);
	return r;
}

size_t net_pending(net_t *n)
{
	pthread_mutex_lock(&n->mu);
	size_t p = n->pending;
	pthread_mutex_unlock(&n->mu);
	return p;
}
