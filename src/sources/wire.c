/*
 * wire: checks for text that crosses the network.  See wire.h.
 *
 * Each of these was written more than once, in the adapter that first
 * needed it; one copy here keeps the rules the same for every network.
 */
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/xmalloc.h"

char *wire_token(const char *text)
{
	const char *t = text;
	if (!t)
		return NULL;
	while (*t == ' ' || *t == '\t')
		t++;
	size_t n = strcspn(t, "\r\n");
	while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		n--;
	if (n == 0 || n > 4096)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] < 0x21 || (unsigned char)t[i] > 0x7e)
			return NULL;
	return xstrndup(t, n);
}

void wire_bearer(net_request_t *r, const char *token)
{
	if (!token)
		return;
	char *auth = xasprintf("Bearer %s", token);
	net_request_add_header(r, "Authorization", auth);
	memset(auth, 0, strlen(auth));
	free(auth);
}

bool wire_header_safe(const char *s, size_t max)
{
	if (!s || !*s)
		return false;
	for (size_t n = 0; s[n]; n++)
		if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e || n >= max)
			return false;
	return true;
}

bool wire_http_url(const char *u, size_t max)
{
	return u && (strncasecmp(u, "https://", 8) == 0 || strncasecmp(u, "http://", 7) == 0) &&
	       strlen(u) <= max && !strpbrk(u, " \t\r\n");
}

char *wire_problem(const char *title, const char *detail, const char *body, size_t len, const char *html_note)
{
	char *out;
	if (title || detail)
		out = xasprintf("%s%s%s", title ? title : "", title && detail ? ": " : "", detail ? detail : "");
	else if (len && memchr(body, '<', len < 64 ? len : 64))
		out = xstrdup(html_note);
	else
		out = xstrdup("no details");
	if (strlen(out) > 200)
		out[200] = '\0';
	wire_one_line(out);
	return out;
}

void wire_one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

void wire_utf8_cut(char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	s[max] = '\0';
}

void wire_version_set(wire_version_t *v, const char *value)
{
	pthread_mutex_lock(&v->lock);
	snprintf(v->value, sizeof v->value, "%s", value);
	pthread_mutex_unlock(&v->lock);
}

void wire_version_get(wire_version_t *v, char out[16])
{
	pthread_mutex_lock(&v->lock);
	memcpy(out, v->value, sizeof v->value);
	pthread_mutex_unlock(&v->lock);
}
