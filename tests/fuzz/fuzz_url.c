/*
 * fuzz_url: balie's URL helpers (base/url.h) under libFuzzer.
 *
 * Every URL from a configuration or a response goes through these: the
 * policy check (https, or http to loopback), the host, the base URL of a
 * server, percent-encoding, and url_redact() before anything is logged.
 * The input is one URL.  Checked: a base URL is allowed by the policy and
 * is scheme://host[:port] only, encoding uses only unreserved characters
 * and %XX and decodes back to the input, and after redaction no query
 * parameter with a secret's name keeps its value.
 */
#include "fuzz_common.h"

#include <ctype.h>
#include <strings.h>

#include "../../src/base/url.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void check_encode(const char *s)
{
	char *e = url_encode(s);
	size_t n = 0;
	for (const char *p = e; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '%') {
			FUZZ_ASSERT(hexval(p[1]) >= 0 && hexval(p[2]) >= 0);
			FUZZ_ASSERT((char)(hexval(p[1]) * 16 + hexval(p[2])) == s[n]);
			p += 2;
		} else {
			FUZZ_ASSERT(isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~');
			FUZZ_ASSERT(c == (unsigned char)s[n]);
		}
		n++;
	}
	FUZZ_ASSERT(s[n] == '\0');
	free(e);
}

/* The names url.c treats as secrets (url.h: access_token, token, key,
 * secret, password, ...). */
static bool secret_name(const char *p, size_t n)
{
	static const char *const names[] = { "access_token", "token", "key", "api_key", "secret",
		"client_secret", "password", "appsecret_proof", "refresh_token", "code" };
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strlen(names[i]) == n && strncasecmp(names[i], p, n) == 0)
			return true;
	return false;
}

static void check_redact(const char *s)
{
	char *r = url_redact(s);
	FUZZ_ASSERT(r != NULL);
	/* user:password@ before the host is replaced as a whole */
	const char *h = s;
	if (isalpha((unsigned char)*h))
		while (isalnum((unsigned char)*h) || *h == '+' || *h == '-' || *h == '.')
			h++;
	if (h > s && strncmp(h, "://", 3) == 0 && memchr(h + 3, '@', strcspn(h + 3, "/?#"))) {
		FUZZ_ASSERT(strstr(r, "://REDACTED@") != NULL);
		free(r);
		return;
	}
	const char *q = strchr(s, '?'), *rq = strchr(r, '?');
	if (!q) {
		FUZZ_ASSERT(strcmp(r, s) == 0);
	} else {
		FUZZ_ASSERT(rq && rq - r == q - s && strncmp(r, s, (size_t)(q - s)) == 0);
		for (const char *p = rq + 1; *p && *p != '#';) {
			size_t plen = strcspn(p, "&#"), nlen = strcspn(p, "=&#");
			if (nlen < plen && secret_name(p, nlen))
				FUZZ_ASSERT(plen - nlen - 1 == 8 && strncmp(p + nlen + 1, "REDACTED", 8) == 0);
			p += plen;
			if (*p == '&')
				p++;
		}
	}
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	(void)url_is_allowed(s);
	(void)url_is_loopback(s);
	char *h = url_host(s);
	free(h);
	char *b = url_base(s);
	if (b) {
		FUZZ_ASSERT(url_is_allowed(b));
		size_t n = strlen(b);
		FUZZ_ASSERT(n > 0 && b[n - 1] != '/');
		const char *host = strstr(b, "://");
		FUZZ_ASSERT(host && strpbrk(host + 3, "/?#") == NULL);
	}
	free(b);
	check_encode(s);
	check_redact(s);
	free(s);
	return 0;
}
