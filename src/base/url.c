/* url: see url.h.  Deliberately small: balie builds URLs, it does not parse the web. */
#include "url.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
