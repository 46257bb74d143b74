/* url: see url.h.  Deliberately small: balie builds URLs, it does not parse the web.
 * The one exception is url_may_fetch(): it reads a URL's host and port with
 * libcurl's own parser, so the check sees exactly the address libcurl will
 * connect to (curl turns "0x7f.1", "2130706433" and "%31%32%37.0.0.1" into
 * 127.0.0.1; a hand-written parser that disagrees is how such checks leak). */
#include "url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "xmalloc.h"

/* Points past "scheme://" for http(s) URLs; sets *https. NULL otherwise. */
static const char *after_scheme(const char *url, bool *https)
{
	if (!url)
		return NULL;
	if (strncasecmp(url, "https://", 8) == 0) {
		*https = true;
		return url + 8;
	}
	if (strncasecmp(url, "http://", 7) == 0) {
		*https = false;
		return url + 7;
	}
	return NULL;
}

char *url_host(const char *url)
{
	bool https;
	const char *h = after_scheme(url, &https);
	if (!h)
		return NULL;
	size_t end = strcspn(h, "/?#");
	const char *at = memchr(h, '@', end); /* userinfo is never used; skip it */
	if (at) {
		end -= (size_t)(at + 1 - h);
		h = at + 1;
	}
	if (*h == '[') {
		const char *close = memchr(h, ']', end);
		if (!close)
			return NULL;
		return xstrndup(h + 1, (size_t)(close - h - 1));
	}
	size_t hl = strcspn(h, ":/?#");
	if (hl > end)
		hl = end;
	if (hl == 0)
		return NULL;
	char *host = xstrndup(h, hl);
	for (char *p = host; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return host;
}

bool url_is_loopback(const char *url)
{
	char *host = url_host(url);
	if (!host)
		return false;
	bool lo = strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
	          strncmp(host, "127.", 4) == 0;
	if (lo && strncmp(host, "127.", 4) == 0) {
		/* must be a dotted quad, not "127.evil.example" */
		for (const char *p = host; *p; p++)
			if (!isdigit((unsigned char)*p) && *p != '.')
				lo = false;
	}
	free(host);
	return lo;
}

bool url_is_allowed(const char *url)
{
	bool https;
	const char *h = after_scheme(url, &https);
	if (!h)
		return false;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return false; /* no spaces or control characters in a URL we send */
	char *host = url_host(url);
	if (!host)
		return false;
	free(host);
	return https || url_is_loopback(url);
}

/* ---- this machine: only at the ports of configured sources ---------------- */

#define MAX_LOOPBACK_PORTS 64

static pthread_mutex_t ports_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned short allowed_ports[MAX_LOOPBACK_PORTS];
static size_t n_allowed_ports;

static bool port_allowed(unsigned port)
{
	bool ok = false;
	pthread_mutex_lock(&ports_lock);
	for (size_t i = 0; i < n_allowed_ports && !ok; i++)
		ok = allowed_ports[i] == port;
	pthread_mutex_unlock(&ports_lock);
	return ok;
}

/* 127.0.0.0/8 (loopback) and 0.0.0.0/8 ("this host": Linux connects it to
 * loopback); addr in network byte order. */
static bool ipv4_is_local(uint32_t addr)
{
	uint32_t a = ntohl(addr);
	return (a >> 24) == 127 || (a >> 24) == 0;
}

static bool ipv6_is_local(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_UNSPECIFIED(a))
		return true;
	if (IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a)) {
		uint32_t v4;
		memcpy(&v4, &a->s6_addr[12], 4);
		return ipv4_is_local(v4);
	}
	return false;
}

/* A host as libcurl's URL parser gives it: "127.0.0.1", "[::1]", "localhost". */
static bool host_is_local(const char *host)
{
	char buf[256];
	size_t n = strlen(host);
	if (n == 0 || n >= sizeof buf)
		return false;
	if (host[0] == '[' && host[n - 1] == ']') {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		char *zone = strchr(buf, '%');
		if (zone)
			*zone = '\0';
		struct in6_addr a6;
		return inet_pton(AF_INET6, buf, &a6) == 1 && ipv6_is_local(&a6);
	}
	memcpy(buf, host, n + 1);
	if (n > 1 && buf[n - 1] == '.')
		buf[--n] = '\0'; /* "localhost." is localhost */
	static const char suffix[] = ".localhost"; /* curl answers *.localhost itself */
	size_t sl = sizeof suffix - 1;
	if (strcasecmp(buf, "localhost") == 0 || (n > sl && strcasecmp(buf + n - sl, suffix) == 0))
		return true;
	struct in_addr a4;
	return inet_aton(buf, &a4) != 0 && ipv4_is_local(a4.s_addr);
}

/* Host (curl_free()) and port of url as libcurl reads it; false when libcurl
 * cannot parse it. */
static bool curl_host_port(const char *url, char **host, unsigned *port)
{
	CURLU *u = curl_url();
	if (!u)
		return false;
	char *h = NULL, *p = NULL;
	bool ok = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	          curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
	          curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK;
	long v = ok ? strtol(p, NULL, 10) : 0;
	if (ok && v > 0 && v <= 65535) {
		*host = h;
		*port = (unsigned)v;
	} else {
		ok = false;
		curl_free(h);
	}
	curl_free(p);
	curl_url_cleanup(u);
	return ok;
}

size_t url_allow_loopback(const char *const *urls, size_t n)
{
	unsigned short ports[MAX_LOOPBACK_PORTS];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char *host = NULL;
		unsigned port;
		bool https;
		if (!urls[i] || !after_scheme(urls[i], &https) || !curl_host_port(urls[i], &host, &port))
			continue;
		bool local = host_is_local(host);
		curl_free(host);
		bool seen = false;
		for (size_t j = 0; j < k && !seen; j++)
			seen = ports[j] == port;
		if (local && !seen && k < MAX_LOOPBACK_PORTS)
			ports[k++] = (unsigned short)port;
	}
	pthread_mutex_lock(&ports_lock);
	memcpy(allowed_ports, ports, k * sizeof *ports);
	n_allowed_ports = k;
	pthread_mutex_unlock(&ports_lock);
	return k;
}

bool url_may_fetch(const char *url)
{
	if (!url_is_allowed(url))
		return false;
	char *host = NULL;
	unsigned port;
	if (!curl_host_port(url, &host, &port))
		return false; /* libcurl would refuse it too */
	bool ok = !host_is_local(host) || port_allowed(port);
	curl_free(host);
	return ok;
}

bool url_may_connect(const struct sockaddr *sa, size_t len)
{
	if (!sa || len < sizeof sa->sa_family)
		return false;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in in;
		memcpy(&in, sa, sizeof in);
		return !ipv4_is_local(in.sin_addr.s_addr) || port_allowed(ntohs(in.sin_port));
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 in6;
		memcpy(&in6, sa, sizeof in6);
		return !ipv6_is_local(&in6.sin6_addr) || port_allowed(ntohs(in6.sin6_port));
	}
	return false;
}

/* ---- building URLs ------------------------------------------------------------- */

char *url_base(const char *server)
{
	if (!server || !*server)
		return NULL;
	char *s;
	bool https;
	if (after_scheme(server, &https))
		s = xstrdup(server);
	else
		s = xasprintf("https://%s", server);
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	/* a base is scheme://host[:port] only */
	const char *h = after_scheme(s, &https);
	if (!h || strcspn(h, "/?#") != strlen(h) || !url_is_allowed(s)) {
		free(s);
		return NULL;
	}
	return s;
}

char *url_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = xmalloc(n * 3 + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

static bool secret_param(const char *name, size_t len)
{
	static const char *const secrets[] = { "access_token", "token", "key", "api_key",
		"secret", "client_secret", "password", "appsecret_proof", "refresh_token", "code" };
	for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++)
		if (strlen(secrets[i]) == len && strncasecmp(secrets[i], name, len) == 0)
			return true;
	return false;
}

/* "scheme://user:pass@host/..." -> "scheme://REDACTED@host/...".  Caller frees. */
static char *redact_userinfo(const char *url)
{
	/* only a scheme at the very start: "://" later (in a query) is data */
	const char *h = url;
	if (!isalpha((unsigned char)*h))
		return xstrdup(url);
	while (isalnum((unsigned char)*h) || *h == '+' || *h == '-' || *h == '.')
		h++;
	if (strncmp(h, "://", 3) != 0)
		return xstrdup(url);
	h += 3;
	size_t auth = strcspn(h, "/?#");
	const char *at = memchr(h, '@', auth);
	if (!at)
		return xstrdup(url);
	return xasprintf("%.*sREDACTED%s", (int)(h - url), url, at);
}

char *url_redact(const char *in)
{
	if (!in)
		return xstrdup("(null)");
	char *copy = redact_userinfo(in);
	const char *url = copy;
	const char *q = strchr(url, '?');
	if (!q)
		return copy;
	size_t cap = strlen(url) + 64, len = 0;
	char *out = xmalloc(cap);
	len = (size_t)(q + 1 - url);
	memcpy(out, url, len);
	const char *p = q + 1;
	while (*p && *p != '#') {
		size_t plen = strcspn(p, "&#");
		size_t nlen = strcspn(p, "=&#");
		bool redact = nlen < plen && secret_param(p, nlen);
		const char *piece = p;
		size_t piece_len = redact ? nlen + 1 : plen;
		XGROW(out, cap, len + piece_len + 16);
		memcpy(out + len, piece, piece_len);
		len += piece_len;
		if (redact) {
			memcpy(out + len, "REDACTED", 8);
			len += 8;
		}
		p += plen;
		if (*p == '&') {
			out[len++] = '&';
			p++;
		}
	}
	XGROW(out, cap, len + 1);
	out[len] = '\0';
	free(copy);
	return out;
}
