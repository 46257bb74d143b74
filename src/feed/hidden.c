/*
 * hidden: see hidden.h.  The file is read whole (bounded), split into lines,
 * trimmed; comments are kept verbatim when the file is rewritten, so an
 * administrator's notes survive `balie --hide`.
 */
#include "hidden.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../base/fsio.h"
#include "../base/log.h"
#include "../base/xmalloc.h"

#define HIDDEN_MAX_FILE ((size_t)HIDDEN_MAX_ENTRIES * (HIDDEN_MAX_ENTRY + 2))

static const char header[] =
	"# Posts hidden from the screen for good (balie --hide).\n"
	"# One post key or URL per line; lines starting with # are comments.\n";

void hidden_init(hidden_list_t *l)
{
	memset(l, 0, sizeof *l);
}

void hidden_clear(hidden_list_t *l)
{
	for (size_t i = 0; i < l->len; i++)
		free(l->items[i]);
	free(l->items);
	hidden_init(l);
}

char *hidden_path(const char *dir)
{
	return xasprintf("%s/hidden.txt", dir && *dir ? dir : ".");
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Trimmed copy of s[0..n).  Caller frees. */
static char *trim_dup(const char *s, size_t n)
{
	while (n && is_space(*s)) {
		s++;
		n--;
	}
	while (n && is_space(s[n - 1]))
		n--;
	return xstrndup(s, n);
}

bool hidden_contains(const hidden_list_t *l, const char *entry)
{
	if (!entry)
		return false;
	for (size_t i = 0; i < l->len; i++)
		if (strcmp(l->items[i], entry) == 0)
			return true;
	return false;
}

/* Read the file; NULL with errno ENOENT when missing.  *len set. */
static char *read_text(const char *path, size_t *len)
{
	return fsio_read_file(path, HIDDEN_MAX_FILE, len);
}

/* Parse text into l (appending entries not yet present). */
static void parse(const char *path, const char *text, size_t len, hidden_list_t *l)
{
	size_t line = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		line++;
		char *e = trim_dup(p, (size_t)(le - p));
		if (!*e || *e == '#') {
			free(e);
		} else if (strlen(e) > HIDDEN_MAX_ENTRY || memchr(p, '\0', (size_t)(le - p))) {
			log_warn("hidden", "%s:%zu: entry too long or not text; ignored", path, line);
			free(e);
		} else if (l->len >= HIDDEN_MAX_ENTRIES) {
			log_warn("hidden", "%s:%zu: more than %d entries; the rest is ignored", path, line,
			         HIDDEN_MAX_ENTRIES);
			free(e);
			break;
		} else if (hidden_contains(l, e)) {
			free(e);
		} else {
			XGROW(l->items, l->cap, l->len + 1);
			l->items[l->len++] = e;
		}
		p = nl ? nl + 1 : end;
	}
}

bool hidden_load(const char *dir, hidden_list_t *l, char **err)
{
	char *path = hidden_path(dir);
	size_t len = 0;
	char *text = read_text(path, &len);
	if (!text) {
		bool missing = errno == ENOENT;
		if (!missing)
			*err = xasprintf("%s: %s", path, strerror(errno));
		free(path);
		return missing;
	}
	parse(path, text, len, l);
	free(text);
	free(path);
	return true;
}

static bool entry_valid(const char *e, char **err)
{
	if (!*e) {
		*err = xstrdup("nothing to hide: give a post's URL or key");
		return false;
	}
	if (strlen(e) > HIDDEN_MAX_ENTRY) {
		*err = xasprintf("entry is longer than %d bytes", HIDDEN_MAX_ENTRY);
		return false;
	}
	for (const unsigned char *c = (const unsigned char *)e; *c; c++)
		if (*c < 0x20 || *c == 0x7f) {
			*err = xstrdup("entry contains control characters or line breaks");
			return false;
		}
	return true;
}

static bool write_text(const char *path, const char *text, size_t len, char **err)
{
	if (!fsio_write_atomic(path, text, len)) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

bool hidden_add(const char *dir, const char *entry, char **err)
{
	char *e = trim_dup(entry ? entry : "", entry ? strlen(entry) : 0);
	if (!entry_valid(e, err)) {
		free(e);
		return false;
	}
	char *path = hidden_path(dir);
	size_t len = 0;
	char *text = read_text(path, &len);
	if (!text && errno != ENOENT) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		free(path);
		free(e);
		return false;
	}
	hidden_list_t l;
	hidden_init(&l);
	if (text)
		parse(path, text, len, &l);
	bool ok = true;
	if (!hidden_contains(&l, e)) {
		if (l.len >= HIDDEN_MAX_ENTRIES) {
			*err = xasprintf("%s already holds %d entries; remove some first", path,
			                 HIDDEN_MAX_ENTRIES);
			ok = false;
		} else {
			const char *old = text ? text : header;
			size_t olen = text ? len : strlen(header);
			bool nl = olen == 0 || old[olen - 1] == '\n';
			char *out = xasprintf("%.*s%s%s\n", (int)olen, old, nl ? "" : "\n", e);
			ok = write_text(path, out, strlen(out), err);
			free(out);
		}
	}
	hidden_clear(&l);
	free(text);
	free(path);
	free(e);
	return ok;
}

bool hidden_remove(const char *dir, const char *entry, bool *removed, char **err)
{
	*removed = false;
	char *e = trim_dup(entry ? entry : "", entry ? strlen(entry) : 0);
	char *path = hidden_path(dir);
	size_t len = 0;
	char *text = read_text(path, &len);
	if (!text) {
		bool missing = errno == ENOENT;
		if (!missing)
			*err = xasprintf("%s: %s", path, strerror(errno));
		free(path);
		free(e);
		return missing;
	}
	char *out = xmalloc(len + 1);
	size_t olen = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl + 1 : end;
		char *t = trim_dup(p, (size_t)(le - p));
		if (*e && strcmp(t, e) == 0) {
			*removed = true;
		} else {
			memcpy(out + olen, p, (size_t)(le - p));
			olen += (size_t)(le - p);
		}
		free(t);
		p = le;
	}
	bool ok = !*removed || write_text(path, out, olen, err);
	free(out);
	free(text);
	free(path);
	free(e);
	return ok;
}
