/*
 * config: a table-driven INI parser that builds a fresh config_t.
 *
 * The file is checked as a whole first (no NUL, valid UTF-8, no control
 * characters), then read line by line.  Each section type has a table of
 * keys; each key names a handler that checks the value and stores it at an
 * offset in the section's struct (as foot's config.c does).  A section is
 * "finished" when the next header or the end of the file arrives: that is
 * where checks across keys live (a token needs its account, a hashtag needs
 * servers).  Every source a line asks for is "claimed" under the same key
 * config_sources() will give it, so two sections asking for one account
 * fail at parse time, naming both lines.  Source sections share one table
 * of keys (OPT_KEYS) for their own interval and filters; these are stored
 * as overrides and resolved against [network] and [filter] only when used
 * (config_filter_for), so the order of sections in the file does not
 * matter.  Parsing stops at the first error and frees what it built;
 * nothing global is touched, so a reload can parse into a new copy and keep
 * the old one when this fails.
 */
#include "config.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "../base/fsio.h"
#include "../base/url.h"
#include "../base/xmalloc.h"

#define CONFIG_MAX_FILE (1024 * 1024) /* a config is a few KiB; refuse to read a disk image */
#define CONFIG_MAX_LINE 65536
#define CONFIG_MAX_NAME 128           /* section names, tags */
#define SHOWN_MAX 60                  /* bytes of a value quoted in a message */

/* ---- small string helpers ------------------------------------------------ */

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

static char ascii_lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

static bool is_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* Lower-cased copy (ASCII letters only, so UTF-8 stays intact).  Caller frees. */
static char *lower_dup(const char *s)
{
	char *d = xstrdup(s);
	for (char *q = d; *q; q++)
		*q = ascii_lower(*q);
	return d;
}

/* Trim spaces and tabs in place; returns the new start. */
static char *trim(char *s)
{
	while (is_space(*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && is_space(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* A value for a message: at most SHOWN_MAX bytes, cut on a UTF-8 boundary. */
static const char *shown(char *buf, size_t size, const char *v)
{
	size_t n = strlen(v);
	if (n <= SHOWN_MAX || size < SHOWN_MAX + 4) {
		snprintf(buf, size, "%s", v);
		return buf;
	}
	n = SHOWN_MAX;
	while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
		n--;
	snprintf(buf, size, "%.*s\xE2\x80\xA6", (int)n, v); /* U+2026 ellipsis */
	return buf;
}

/* Optimal string alignment distance (edits and swaps), for "did you mean". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 99;
	size_t d[64][64];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* ---- a small string -> int map (duplicate sections, claimed sources) ---- */

typedef struct {
	char **keys;
	int *vals;
	size_t cap, n;
} strmap_t;

static size_t str_hash(const char *s)
{
	/* FNV-1a, 64-bit on every target (size_t is 32 bits on armhf) */
	uint64_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return (size_t)h;
}

static int strmap_get(const strmap_t *m, const char *key)
{
	if (!m->cap)
		return -1;
	for (size_t i = str_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i])
			return -1;
		if (strcmp(m->keys[i], key) == 0)
			return m->vals[i];
	}
}

/* Takes ownership of key, which must not be in the map yet. */
static void strmap_put(strmap_t *m, char *key, int val)
{
	if ((m->n + 1) * 2 > m->cap) {
		strmap_t g = { 0 };
		g.cap = m->cap ? m->cap * 2 : 64;
		g.keys = xcalloc(g.cap, sizeof *g.keys);
		g.vals = xcalloc(g.cap, sizeof *g.vals);
		for (size_t i = 0; i < m->cap; i++)
			if (m->keys[i])
				strmap_put(&g, m->keys[i], m->vals[i]);
		free(m->keys);
		free(m->vals);
		*m = g;
	}
	size_t i = str_hash(key) & (m->cap - 1);
	while (m->keys[i])
		i = (i + 1) & (m->cap - 1);
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
}

static void strmap_free(strmap_t *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	*m = (strmap_t){ 0 };
}

/* ---- servers, handles and the keys of sources ---------------------------- */

/* True when base (from url_base()) is scheme://host[:port] with a plain
 * host name, an IPv4 or a bracketed IPv6 address, and a numeric port. */
static bool base_is_clean(const char *base)
{
	const char *h = strstr(base, "://");
	if (!h)
		return false;
	h += 3;
	if (*h == '[') {
		h++;
		size_t n = strspn(h, "0123456789abcdefABCDEF:.");
		if (n == 0 || h[n] != ']')
			return false;
		h += n + 1;
	} else {
		size_t n = 0;
		while (is_alnum(h[n]) || h[n] == '.' || h[n] == '-')
			n++;
		if (n == 0 || h[0] == '.' || h[0] == '-')
			return false;
		h += n;
	}
	if (*h == '\0')
		return true;
	if (*h != ':')
		return false;
	h++;
	size_t digits = strspn(h, "0123456789");
	if (digits == 0 || digits > 5 || h[digits] != '\0')
		return false;
	long port = strtol(h, NULL, 10);
	return port >= 1 && port <= 65535;
}

/* Base URL of a server written as a host, host:port or URL; NULL with *err. */
static char *server_base(const char *server, char **err)
{
	char *base = server && *server && !strchr(server, '@') ? url_base(server) : NULL;
	if (base && base_is_clean(base))
		return base;
	free(base);
	char vb[SHOWN_MAX + 8];
	if (server && strncasecmp(server, "http://", 7) == 0) {
		char *host = url_host(server);
		if (host && *host && !url_is_loopback(server)) {
			free(host);
			*err = xstrdup("plain http is only allowed to loopback addresses; use https://");
			return NULL;
		}
		free(host);
	}
	*err = xasprintf("'%s' is not a server (expected a host name such as social.example, "
	                 "or an https:// URL)", shown(vb, sizeof vb, server ? server : ""));
	return NULL;
}

/* How a server appears in source keys: the host for https, the URL otherwise. */
static const char *server_shown(const char *base)
{
	return strncmp(base, "https://", 8) == 0 ? base + 8 : base;
}

static bool valid_mastodon_user(const char *u, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(u[i]) && u[i] != '_' && u[i] != '.' && u[i] != '-')
			return false;
	return true;
}

bool mastodon_handle_split(const char *handle, char **user, char **server, char **err)
{
	assert(user && server && err);
	*user = *server = NULL;
	char vb[SHOWN_MAX + 8];
	const char *h = handle ? handle : "";
	const char *s = h[0] == '@' ? h + 1 : h;
	const char *at = strchr(s, '@');
	if (!at || !valid_mastodon_user(s, (size_t)(at - s)) || at[1] == '\0') {
		*err = xasprintf("'%s' is not a Mastodon handle (expected @user@server)",
		                 shown(vb, sizeof vb, h));
		return false;
	}
	char *base = server_base(at + 1, err);
	if (!base)
		return false;
	*user = xstrndup(s, (size_t)(at - s));
	*server = base;
	return true;
}

/* A hashtag without '#': letters (any script), digits and '_'. */
static bool valid_tag(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > CONFIG_MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)t[i];
		if (ch < 0x80 && !is_alnum((char)ch) && ch != '_')
			return false;
	}
	return true;
}

/* "@jan.bsky.social" / "jan.bsky.social" / "did:plc:..." */
static bool valid_bluesky(const char *h)
{
	if (strncmp(h, "did:plc:", 8) == 0 || strncmp(h, "did:web:", 8) == 0) {
		const char *r = h + 8;
		if (!*r)
			return false;
		for (; *r; r++)
			if (!is_alnum(*r) && *r != '.' && *r != '-' && *r != ':' && *r != '_')
				return false;
		return true;
	}
	size_t n = strlen(h), label = 0, dots = 0;
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (h[i] == '.') {
			if (label == 0 || h[i - 1] == '-')
				return false;
			dots++;
			label = 0;
		} else if (is_alnum(h[i]) || (h[i] == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return dots > 0 && label > 0 && h[n - 1] != '-';
}

static bool valid_x(const char *h)
{
	size_t n = strlen(h);
	if (n == 0 || n > 15)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(h[i]) && h[i] != '_')
			return false;
	return true;
}

static bool valid_facebook(const char *h)
{
	size_t n = strlen(h);
	if (n == 0 || n > 100)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(h[i]) && h[i] != '.')
			return false;
	return true;
}

static bool valid_linkedin(const char *h)
{
	size_t n = strlen(h);
	return n > 0 && n <= 20 && strspn(h, "0123456789") == n;
}

/* The account id as the network's API wants it: no leading '@' for Bluesky and X. */
static const char *account_id(network_t n, const char *handle)
{
	if ((n == NET_BLUESKY || n == NET_X) && handle[0] == '@')
		return handle + 1;
	return handle;
}

/* Check a handle for its network; NULL when fine, else a message (caller frees). */
static char *account_check(network_t n, const char *handle)
{
	char vb[SHOWN_MAX + 8];
	const char *id = account_id(n, handle);
	switch (n) {
	case NET_MASTODON: {
		char *user, *server, *err = NULL;
		if (!mastodon_handle_split(handle, &user, &server, &err))
			return err;
		free(user);
		free(server);
		return NULL;
	}
	case NET_BLUESKY:
		if (valid_bluesky(id))
			return NULL;
		return xasprintf("'%s' is not a Bluesky handle (expected @name.bsky.social, "
		                 "@name.example.nl or a did:plc: id)", shown(vb, sizeof vb, handle));
	case NET_X:
		if (valid_x(id))
			return NULL;
		return xasprintf("'%s' is not an X user name (expected @name: letters, digits "
		                 "and _, at most 15)", shown(vb, sizeof vb, handle));
	case NET_FACEBOOK:
		if (valid_facebook(id))
			return NULL;
		return xasprintf("'%s' is not a Facebook Page id (expected the Page's number "
		                 "or user name)", shown(vb, sizeof vb, handle));
	case NET_LINKEDIN:
		if (valid_linkedin(id))
			return NULL;
		return xasprintf("'%s' is not a LinkedIn organisation id (expected the number "
		                 "in linkedin.com/company/ID/admin/)", shown(vb, sizeof vb, handle));
	default:
		return xasprintf("accounts on %s are not supported", network_name(n));
	}
}

/* The source key of an account; NULL when the handle is not valid. Caller frees. */
static char *account_key(network_t n, const char *handle)
{
	char *k = NULL;
	if (n == NET_MASTODON) {
		char *user, *server, *err = NULL;
		if (!mastodon_handle_split(handle, &user, &server, &err)) {
			free(err);
			return NULL;
		}
		k = xasprintf("mastodon:@%s@%s", user, server_shown(server));
		free(user);
		free(server);
	} else {
		const char *at = n == NET_BLUESKY || n == NET_X ? "@" : "";
		k = xasprintf("%s:%s%s", network_name(n), at, account_id(n, handle));
	}
	char *l = lower_dup(k);
	free(k);
	return l;
}

static char *tag_key(network_t n, const char *tag, const char *server)
{
	char *k = xasprintf("%s-tag:%s@%s", network_name(n), tag, server_shown(server));
	char *l = lower_dup(k);
	free(k);
	return l;
}

/* ---- defaults and freeing ----------------------------------------------- */

static void set_defaults(config_t *c)
{
	c->display = (config_display_t){
		.fullscreen = true,
		.rotate = -1, /* the board profile's */
		.language = xstrdup("nl"),
		.organisation = xstrdup("Gemeente"),
		.theme = xstrdup("default"),
		.chars_per_second = 15,
		.dwell_min_s = 8,
		.dwell_max_s = 25,
		.transition_ms = 600,
		.quit_keys = xstrdup("ctrl+alt+shift+q"),
	};
	c->cache = (config_cache_t){ .max_media_mb = 256, .max_age_days = 30, .max_posts = 500 };
	c->network = (config_network_t){
		.interval_s = 60,
		.connect_timeout_s = 10,
		.timeout_s = 30,
		.max_json_kb = 4096,
		.max_media_kb = 16384,
		.bluesky_appview = xstrdup("https://public.api.bsky.app"),
		.bluesky_login = xstrdup("https://bsky.social"),
		.x_api = xstrdup("https://api.x.com"),
		.facebook_graph = xstrdup("https://graph.facebook.com"),
		.linkedin_api = xstrdup("https://api.linkedin.com"),
		.x_recheck_hours = 24,
	};
	c->filter = (config_filter_t){ .boosts = true, .sensitive = true, .bots = true,
	                               .public_only = true };
}

config_t *config_new_default(void)
{
	config_t *c = xcalloc(1, sizeof *c);
	set_defaults(c);
	c->platform = platcfg_new();
	return c;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void opts_clear(config_source_opts_t *o)
{
	free_strv(o->languages, o->n_languages);
	free_strv(o->blocked_words, o->n_blocked_words);
}

static void person_clear(config_person_t *p)
{
	free(p->id);
	free(p->name);
	free(p->role);
	free(p->photo);
	for (size_t i = 0; i < p->n_accounts; i++) {
		free(p->accounts[i].handle);
		free(p->accounts[i].token_file);
		free(p->accounts[i].key);
	}
	free(p->accounts);
	opts_clear(&p->opts);
}

static void hashtag_clear(config_hashtag_t *h)
{
	free(h->tag);
	free(h->id);
	free(h->token_file);
	free_strv(h->servers, h->n_servers);
	opts_clear(&h->opts);
}

void config_free(config_t *c)
{
	if (!c)
		return;
	platcfg_free(c->platform);
	free(c->path);
	for (size_t i = 0; i < c->n_people; i++)
		person_clear(&c->people[i]);
	free(c->people);
	for (size_t i = 0; i < c->n_hashtags; i++)
		hashtag_clear(&c->hashtags[i]);
	free(c->hashtags);
	for (size_t i = 0; i < c->n_feeds; i++) {
		free(c->feeds[i].id);
		free(c->feeds[i].url);
		free(c->feeds[i].name);
		opts_clear(&c->feeds[i].opts);
	}
	free(c->feeds);
	config_display_t *d = &c->display;
	free(d->language);
	free(d->organisation);
	free(d->logo);
	free(d->theme);
	free(d->background);
	free(d->panel);
	free(d->text_color);
	free(d->accent);
	free(d->font);
	free(d->quit_keys);
	free(c->cache.dir);
	config_network_t *n = &c->network;
	free(n->ca_file);
	free(n->bluesky_appview);
	free(n->bluesky_login);
	free(n->x_api);
	free(n->facebook_graph);
	free(n->linkedin_api);
	free(n->facebook_graph_version);
	free(n->linkedin_version);
	free_strv(c->filter.blocked_words, c->filter.n_blocked_words);
	free_strv(c->filter.languages, c->filter.n_languages);
	free(c->notices_file);
	free(c);
}

/* ---- the parser ----------------------------------------------------------- */

typedef enum {
	SEC_PERSON, SEC_ORGANISATION, SEC_HASHTAG, SEC_FEED, SEC_NOTICES,
	SEC_DISPLAY, SEC_CACHE, SEC_NETWORK, SEC_FILTER,
	SEC_BOARD, SEC_SCREEN, SEC_SCHEDULE, /* keys owned by src/platform/platcfg.c */
	SEC__COUNT
} sec_t;

typedef struct parser parser_t;
typedef struct key_def key_def_t;

/* Check val and store it in the section's struct at base. */
typedef bool (*key_fn)(parser_t *p, const key_def_t *k, const char *val, void *base);

struct key_def {
	const char *name;
	key_fn fn;
	size_t off;                 /* field in the section's struct */
	size_t off2;                /* count field of a list */
	long min, max;              /* integer range; the network for account keys */
	const char *const *choices; /* NULL-terminated, for h_choice */
};

typedef struct {
	const char *name;
	bool named;                 /* [person "id"] rather than [display] */
	const key_def_t *keys;
} sec_def_t;

typedef struct {
	const char *name;           /* points into a key table */
	int line;
} seen_key_t;

typedef struct {
	int line;
	char *label;
} claim_t;

struct parser {
	config_t *c;
	const char *file;
	int line;
	char *err;
	/* the current section */
	const sec_def_t *sec;
	sec_t type;
	char *label;                /* "person \"jan\"", "display" */
	int sec_line;
	void *base;
	seen_key_t keys[32];
	size_t n_keys;
	int token_line[NET__COUNT]; /* person: <network>_token lines */
	char *token[NET__COUNT];
	/* the whole file */
	strmap_t sections;          /* "person:jan" -> line */
	strmap_t claims;            /* source key -> index in claimv */
	claim_t *claimv;
	size_t n_claims, cap_claims;
	size_t cap_people, cap_hashtags, cap_feeds;
};

/* Record the first error as "FILE:LINE: [section] key: message". */
static bool fail(parser_t *p, int line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool fail(parser_t *p, int line, const char *key, const char *fmt, ...)
{
	if (p->err)
		return false;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (p->label && key)
		p->err = xasprintf("%s:%d: [%s] %s: %s", p->file, line, p->label, key, msg);
	else if (p->label)
		p->err = xasprintf("%s:%d: [%s]: %s", p->file, line, p->label, msg);
	else
		p->err = xasprintf("%s:%d: %s", p->file, line, msg);
	return false;
}

/* A syntax error: "FILE:LINE: message" even inside a section. */
static bool fail_syntax(parser_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail_syntax(parser_t *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	char *label = p->label;
	p->label = NULL;
	fail(p, p->line, NULL, "%s", msg);
	p->label = label;
	return false;
}

/* An error message made elsewhere (e.g. by server_base()); consumes msg. */
static bool fail_msg(parser_t *p, int line, const char *key, char *msg)
{
	fail(p, line, key, "%s", msg);
	free(msg);
	return false;
}

static int key_line(const parser_t *p, const char *name)
{
	for (size_t i = 0; i < p->n_keys; i++)
		if (strcmp(p->keys[i].name, name) == 0)
			return p->keys[i].line;
	return 0;
}

/* The line asks for the source with this key; two lines asking for one is an
 * error naming both.  Consumes key. */
static bool claim(parser_t *p, int line, char *key, const char *what, const char *cfgkey)
{
	int i = strmap_get(&p->claims, key);
	if (i >= 0) {
		const claim_t *first = &p->claimv[i];
		free(key);
		return fail(p, line, cfgkey, "%s is already configured in [%s] at line %d",
		            what, first->label, first->line);
	}
	XGROW(p->claimv, p->cap_claims, p->n_claims + 1);
	p->claimv[p->n_claims] = (claim_t){ .line = line, .label = xstrdup(p->label) };
	strmap_put(&p->claims, key, (int)p->n_claims++);
	return true;
}

/* ---- value handlers --------------------------------------------------------- */

#define FIELD(base, k, type) ((type *)(void *)((char *)(base) + (k)->off))

static bool parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static bool h_bool(parser_t *p, const key_def_t *k, const char *v, void *base)
{
	char vb[SHOWN_MAX + 8];
	if (!parse_bool(v, FIELD(base, k, bool)))
		return fail(p, p->line, k->name, "'%s' is not a boolean (use true or false)",
		            shown(vb, sizeof vb, v));
	return true;
}

/* A boolean of a source section that overrides a global one. */
static bool h_switch(parser_t *p, const key_def_t *k, const char *v, void *base)
{
	char vb[SHOWN_MAX + 8];
	bool on;
	if (!parse_bool(v, &on))
		return fail(p, p->line, k->name, "'%s' is not a boolean (use true or false)",
		            shown(vb, sizeof vb, v));
	*FIELD(base, k, config_switch_t) = on ? CONFIG_ON : CONFIG_OFF;
	return true;
}

static bool parse_integer(parser_t *p, const key_def_t *k, const char *v, long *out)
{
	char vb[SHOWN_MAX + 8];
	const char *d = v[0] == '-' || v[0] == '+' ? v + 1 : v;
	size_t n = strspn(d, "0123456789");
	if (n == 0 || d[n] != '\0')
		return fail(p, p->line, k->name, "'%s' is not a whole number", shown(vb, sizeof vb, v));
	errno = 0;
	long x = strtol(v, NULL, 10);
	if (errno == ERANGE)
		x = v[0] == '-' ? LONG_MIN : LONG_MAX;
	if (x < k->min)
		return fail(p, p->line, k->name, "%s is too small (minimum %ld)",
		            shown(vb, sizeof vb, v), k->min);
	if (x > k->max)
		return fail(p, p->line, k->name, "%s is too large (maximum %ld)",
		            shown(vb, sizeof vb, v), k->max);
	*out = x;
	return true;
}

static bool h_int(parser_t *p, const key_def_t *k, const char *v, void *base)
{
	long x = 0;
	if (!parse_integer(p, k, v, &x))
		return false;
	*FIELD(base, k, int) = (int)x;
	return true;
}

static bool h_long(parser_t *p, const key_def_t *k, const char *v, void *base)
{
	return parse_integer(p, k, v, FIELD(base, k, long));
}

static bool h_rotate(parser_t *p, const key_def_t *k, const char *v, void *base)
{
	char vb[SHOWN_MAX + 8];
	long x = -1;
	if (strspn(v, "0123456789") == strlen(v) && strlen(v) <= 3)
		x = strtol(v, NULL, 10);
	if (x != 0 && x != 90 && x != 180 && x != 270)
		return fail(p, p->line, k->name, "must be 0, 90, 180 or 270 (got '%s')",
		            shown(vb, sizeof vb, v));
	*FIELD(base, k, int) = (int)x;
	return true;
}

static bool h_double(parser_t *p, const key_def_t *k, const char *v, void *base)
{
	char vb[SHOWN_MAX + 8];
	size_t n = strspn(v, "0123456789"), frac = 0;
	if (v[n] == '.')
		frac = strspn(v + n + 1, "0123456789");
	if (n == 0 || n > 9 || (v[n] == '.' && frac == 0) || v[n + (v[n] == '.' ? 1 + frac : 0)] != '\0')
		return fail(p, p->line, k->name, "'%s' is not a number (e.g. 15 or 12.5)",
		            shown(vb, sizeof vb, v));
	double x = strtod(v, NULL);
	if (x < (double)k->min)
		return fail(p, p->line, k->name, "%s is too small (minimum %ld)", v, k->min);
	if (x > (double)k->max)
		return fail(p, p->line, k->name, "%s is too large (maximum %ld)", v, k->max);
	*FIELD(base, k, double) = x;
	return true;
}

static bool h_string(parser_t *p, const key_def_t *k, const char *v, void *base)
{
	(void)p;
	char **dst = FIELD(base, k, char *);
	free(*dst);
	*dst = xstrdup(v);
	return true;
}

static bool h_choice(parser_t *p, const key_def_t *k, const char *v, void *base)
{
	char vb[SHOWN_MAX + 8], list[128] = "";
	for (size_t i = 0; k->choices[i]; i++) {
		if (strcmp(v, k->choices[i]) == 0)
			return h_string(p, k, v, base);
	}
	for (size_t i = 0; k->choices[i]; i++) {
		size_t len = strlen(list);
		const char *sep = i == 0 ? "" : k->choices[i + 1] ? ", " : " or ";
		snprintf(list + len, sizeof list - len, "%s%s", sep, k->choices[i]);
	}
	return fail(p, p->line, k->name, "must be %s (got '%s')", list, shown(vb, sizeof vb, v));
}

/* A service base URL ([network] bluesky_appview...). */
static bool h_url(parser_t *p, const key_def_t *k, const char *v, void *base)
{
	char *err = NULL;
	char *b = server_base(v, &err);
	if (!b)
		return fail_msg(p, p->line, k->name, err);
	char **dst = FIELD(base, k, char *);
	free(*dst);
	*dst = b;
	return true;
}

/* A colour "#rrggbb" (the organisation's house style over the theme). */
static bool h_colour(parser_t *p, const key_def_t *k, const char *v, void *base)
{
	char vb[SHOWN_MAX + 8];
	bool ok = strlen(v) == 7 && v[0] == '#';
	for (size_t i = 1; ok && i < 7; i++)
		ok = isxdigit((unsigned char)v[i]) != 0;
	if (!ok)
		return fail(p, p->line, k->name, "must be a colour #rrggbb such as #1d3557 (got '%s')",
		            shown(vb, sizeof vb, v));
	return h_string(p, k, v, base);
}

/* API versions: Facebook Graph "vN.N", LinkedIn "YYYYMM" or "YYYYMM.RR".
 * Checked here so a typo is a config error, not a failing source. */
static bool h_api_version(parser_t *p, const key_def_t *k, const char *v, void *base)
{
	char vb[SHOWN_MAX + 8];
	bool ok;
	if (strcmp(k->name, "facebook_graph_version") == 0) {
		unsigned a, b;
		char tail;
		ok = sscanf(v, "v%u.%u%c", &a, &b, &tail) == 2 && a < 1000 && b < 1000;
		if (!ok)
			return fail(p, p->line, k->name, "must look like v25.0 (got '%s')", shown(vb, sizeof vb, v));
	} else {
		size_t n = strlen(v);
		ok = (n == 6 || (n == 9 && v[6] == '.'));
		for (size_t i = 0; ok && i < n; i++)
			ok = i == 6 ? v[i] == '.' : (v[i] >= '0' && v[i] <= '9');
		if (!ok)
			return fail(p, p->line, k->name, "must look like 202609 or 202609.01 (got '%s')",
			            shown(vb, sizeof vb, v));
	}
	return h_string(p, k, v, base);
}

/* Split a comma-separated list into trimmed items; an empty value is an empty list. */
static bool split_list(parser_t *p, const char *key, const char *v, char ***items, size_t *n)
{
	*items = NULL;
	*n = 0;
	if (!*v)
		return true;
	char *copy = xstrdup(v);
	size_t cap = 0;
	bool ok = true;
	for (char *s = copy;;) {
		char *comma = strchr(s, ',');
		if (comma)
			*comma = '\0';
		char *item = trim(s);
		if (!*item) {
			ok = fail(p, p->line, key, "empty item in the list (items are separated by commas)");
			break;
		}
		XGROW(*items, cap, *n + 1);
		(*items)[(*n)++] = xstrdup(item);
		if (!comma)
			break;
		s = comma + 1;
	}
	free(copy);
	if (!ok) {
		free_strv(*items, *n);
		*items = NULL;
		*n = 0;
	}
	return ok;
}

static bool h_list(parser_t *p, const key_def_t *k, const char *v, void *base)
{
	char ***dst = FIELD(base, k, char **);
	size_t *count = (size_t *)(void *)((char *)base + k->off2);
	char **items;
	size_t n;
	if (!split_list(p, k->name, v, &items, &n))
		return false;
	free_strv(*dst, *count);
	*dst = items;
	*count = n;
	return true;
}

/* ISO 639 codes: "nl, en, fy". */
static bool h_languages(parser_t *p, const key_def_t *k, const char *v, void *base)
{
	char vb[SHOWN_MAX + 8];
	if (!h_list(p, k, v, base))
		return false;
	char **items = *FIELD(base, k, char **);
	size_t n = *(size_t *)(void *)((char *)base + k->off2);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(items[i]);
		bool ok = len >= 2 && len <= 3;
		for (size_t j = 0; j < len; j++) {
			items[i][j] = ascii_lower(items[i][j]);
			ok = ok && items[i][j] >= 'a' && items[i][j] <= 'z';
		}
		if (!ok)
			return fail(p, p->line, k->name, "'%s' is not a language code (expected two "
			            "letters such as nl or en)", shown(vb, sizeof vb, items[i]));
	}
	return true;
}

/* "ctrl+alt+shift+q": at least one modifier, then one key. */
static bool h_quit_keys(parser_t *p, const key_def_t *k, const char *v, void *base)
{
	static const char *const mods[] = { "ctrl", "alt", "shift", "super" };
	char vb[SHOWN_MAX + 8];
	char *l = lower_dup(v);
	bool seen[4] = { false };
	size_t n_mods = 0;
	bool ok = true;
	char *s = l;
	for (;;) {
		char *plus = strchr(s, '+');
		size_t len = plus ? (size_t)(plus - s) : strlen(s);
		bool is_mod = false;
		for (size_t i = 0; i < 4; i++) {
			if (strlen(mods[i]) == len && strncmp(s, mods[i], len) == 0) {
				is_mod = true;
				ok = ok && !seen[i];
				seen[i] = true;
			}
		}
		if (!plus) {
			ok = ok && !is_mod && len > 0 && len <= 16;
			for (size_t i = 0; i < len; i++)
				ok = ok && is_alnum(s[i]);
			break;
		}
		ok = ok && is_mod;
		n_mods++;
		s = plus + 1;
	}
	if (!ok || n_mods == 0) {
		free(l);
		return fail(p, p->line, k->name, "'%s' is not a key combination (expected modifiers "
		            "ctrl, alt, shift or super and a key, e.g. ctrl+alt+shift+q)",
		            shown(vb, sizeof vb, v));
	}
	char **dst = FIELD(base, k, char *);
	free(*dst);
	*dst = l;
	return true;
}

/* person: "mastodon = @jan@social.example" (k->min is the network). */
static bool h_account(parser_t *p, const key_def_t *k, const char *v, void *base)
{
	config_person_t *person = base;
	network_t n = (network_t)k->min;
	char *err = account_check(n, v);
	if (err)
		return fail_msg(p, p->line, k->name, err);
	char *key = account_key(n, v);
	assert(key);
	char *key_copy = xstrdup(key);
	char vb[SHOWN_MAX + 8];
	char *what = xasprintf("the %s account %s", network_name(n), shown(vb, sizeof vb, v));
	bool ok = claim(p, p->line, key, what, k->name);
	free(what);
	if (!ok) {
		free(key_copy);
		return false;
	}
	person->accounts = xrealloc(person->accounts, (person->n_accounts + 1) * sizeof *person->accounts);
	person->accounts[person->n_accounts++] =
		(config_account_t){ .network = n, .handle = xstrdup(v), .key = key_copy };
	return true;
}

/* person: "mastodon_token = FILE"; attached to the account when the section ends. */
static bool h_token(parser_t *p, const key_def_t *k, const char *v, void *base)
{
	(void)base;
	network_t n = (network_t)k->min;
	free(p->token[n]);
	p->token[n] = xstrdup(v);
	p->token_line[n] = p->line;
	return true;
}

static bool h_servers(parser_t *p, const key_def_t *k, const char *v, void *base)
{
	config_hashtag_t *h = base;
	char **items;
	size_t n;
	if (!split_list(p, k->name, v, &items, &n))
		return false;
	bool ok = true;
	for (size_t i = 0; i < n && ok; i++) {
		char *err = NULL;
		char *b = server_base(items[i], &err);
		if (!b) {
			ok = fail_msg(p, p->line, k->name, err);
			break;
		}
		for (size_t j = 0; j < h->n_servers; j++) {
			if (strcasecmp(h->servers[j], b) == 0) {
				char vb[SHOWN_MAX + 8];
				ok = fail(p, p->line, k->name, "%s is listed twice",
				          shown(vb, sizeof vb, items[i]));
			}
		}
		if (!ok) {
			free(b);
			break;
		}
		h->servers = xrealloc(h->servers, (h->n_servers + 1) * sizeof *h->servers);
		h->servers[h->n_servers++] = b;
	}
	free_strv(items, n);
	return ok;
}

static bool h_hnetwork(parser_t *p, const key_def_t *k, const char *v, void *base)
{
	char vb[SHOWN_MAX + 8];
	config_hashtag_t *h = base;
	if (strcmp(v, "mastodon") == 0)
		h->network = NET_MASTODON;
	else if (strcmp(v, "bluesky") == 0)
		h->network = NET_BLUESKY;
	else
		return fail(p, p->line, k->name, "must be mastodon or bluesky (got '%s')",
		            shown(vb, sizeof vb, v));
	return true;
}

static bool h_tag(parser_t *p, const key_def_t *k, const char *v, void *base)
{
	char vb[SHOWN_MAX + 8];
	config_hashtag_t *h = base;
	const char *t = v[0] == '#' ? v + 1 : v;
	if (!valid_tag(t))
		return fail(p, p->line, k->name, "'%s' is not a hashtag (letters, digits and _)",
		            shown(vb, sizeof vb, v));
	free(h->tag);
	h->tag = xstrdup(t);
	return true;
}

static bool h_feed_url(parser_t *p, const key_def_t *k, const char *v, void *base)
{
	char vb[SHOWN_MAX + 8];
	if (!url_is_allowed(v)) {
		if (strncasecmp(v, "http://", 7) == 0 && !url_is_loopback(v)) {
			char *host = url_host(v);
			bool has_host = host && *host;
			free(host);
			if (has_host)
				return fail(p, p->line, k->name,
				            "plain http is only allowed to loopback addresses; use https://");
		}
		return fail(p, p->line, k->name, "'%s' is not an https:// URL", shown(vb, sizeof vb, v));
	}
	return h_string(p, k, v, base);
}

/* ---- the key tables --------------------------------------------------------- */

static const char *const languages[] = { "nl", "en", NULL };
static const char *const themes[] = { "default", "high-contrast", NULL };

/* Keys every source section has: its own interval and filters (see
 * config_source_opts_t), next to the section's other keys. */
#define OPT_KEYS(T)                                                                             \
	{ "interval_s", h_int, offsetof(T, opts.interval_s), 0, 15, 86400, NULL },              \
	{ "replies", h_switch, offsetof(T, opts.replies), 0, 0, 0, NULL },                      \
	{ "boosts", h_switch, offsetof(T, opts.boosts), 0, 0, 0, NULL },                        \
	{ "sensitive", h_switch, offsetof(T, opts.sensitive), 0, 0, 0, NULL },                  \
	{ "bots", h_switch, offsetof(T, opts.bots), 0, 0, 0, NULL },                            \
	{ "public_only", h_switch, offsetof(T, opts.public_only), 0, 0, 0, NULL },              \
	{ "blocked_words", h_list, offsetof(T, opts.blocked_words),                             \
	  offsetof(T, opts.n_blocked_words), 0, 0, NULL },                                       \
	{ "languages", h_languages, offsetof(T, opts.languages), offsetof(T, opts.n_languages), \
	  0, 0, NULL },                                                                          \
	{ "max_age_days", h_int, offsetof(T, opts.max_age_days), 0, 0, 3650, NULL }

#define P_KEYS(T)                                                                               \
	{ "name", h_string, offsetof(T, name), 0, 0, 0, NULL },                                 \
	{ "role", h_string, offsetof(T, role), 0, 0, 0, NULL },                                 \
	{ "photo", h_string, offsetof(T, photo), 0, 0, 0, NULL },                               \
	{ "mastodon", h_account, 0, 0, NET_MASTODON, 0, NULL },                                 \
	{ "mastodon_token", h_token, 0, 0, NET_MASTODON, 0, NULL },                             \
	{ "bluesky", h_account, 0, 0, NET_BLUESKY, 0, NULL },                                   \
	{ "bluesky_password", h_token, 0, 0, NET_BLUESKY, 0, NULL },                            \
	{ "x", h_account, 0, 0, NET_X, 0, NULL },                                               \
	{ "x_token", h_token, 0, 0, NET_X, 0, NULL },                                           \
	{ "facebook", h_account, 0, 0, NET_FACEBOOK, 0, NULL },                                 \
	{ "facebook_token", h_token, 0, 0, NET_FACEBOOK, 0, NULL },                             \
	{ "linkedin", h_account, 0, 0, NET_LINKEDIN, 0, NULL },                                 \
	{ "linkedin_token", h_token, 0, 0, NET_LINKEDIN, 0, NULL },                             \
	OPT_KEYS(T),                                                                            \
	{ NULL, NULL, 0, 0, 0, 0, NULL }

static const key_def_t person_keys[] = { P_KEYS(config_person_t) };

#define H(T, f) offsetof(T, f)
static const key_def_t hashtag_keys[] = {
	{ "servers", h_servers, 0, 0, 0, 0, NULL },
	{ "network", h_hnetwork, 0, 0, 0, 0, NULL },
	{ "anyone", h_bool, H(config_hashtag_t, anyone), 0, 0, 0, NULL },
	{ "tag", h_tag, 0, 0, 0, 0, NULL },
	{ "mastodon_token", h_string, H(config_hashtag_t, token_file), 0, 0, 0, NULL },
	{ "bluesky_password", h_string, H(config_hashtag_t, token_file), 0, 0, 0, NULL },
	OPT_KEYS(config_hashtag_t),
	{ NULL, NULL, 0, 0, 0, 0, NULL },
};

static const key_def_t feed_keys[] = {
	{ "url", h_feed_url, H(config_feed_t, url), 0, 0, 0, NULL },
	{ "name", h_string, H(config_feed_t, name), 0, 0, 0, NULL },
	OPT_KEYS(config_feed_t),
	{ NULL, NULL, 0, 0, 0, 0, NULL },
};

static const key_def_t notices_keys[] = {
	{ "file", h_string, H(config_t, notices_file), 0, 0, 0, NULL },
	{ NULL, NULL, 0, 0, 0, 0, NULL },
};

#define D(f) H(config_display_t, f)
static const key_def_t display_keys[] = {
	{ "fullscreen", h_bool, D(fullscreen), 0, 0, 0, NULL },
	{ "width", h_int, D(width), 0, 0, 16384, NULL },
	{ "height", h_int, D(height), 0, 0, 16384, NULL },
	{ "rotate", h_rotate, D(rotate), 0, 0, 0, NULL },
	{ "language", h_choice, D(language), 0, 0, 0, languages },
	{ "organisation", h_string, D(organisation), 0, 0, 0, NULL },
	{ "logo", h_string, D(logo), 0, 0, 0, NULL },
	{ "theme", h_choice, D(theme), 0, 0, 0, themes },
	{ "background", h_colour, D(background), 0, 0, 0, NULL },
	{ "panel", h_colour, D(panel), 0, 0, 0, NULL },
	{ "text_color", h_colour, D(text_color), 0, 0, 0, NULL },
	{ "accent", h_colour, D(accent), 0, 0, 0, NULL },
	{ "font", h_string, D(font), 0, 0, 0, NULL },
	{ "chars_per_second", h_double, D(chars_per_second), 0, 1, 100, NULL },
	{ "dwell_min_s", h_int, D(dwell_min_s), 0, 1, 3600, NULL },
	{ "dwell_max_s", h_int, D(dwell_max_s), 0, 1, 3600, NULL },
	{ "transition_ms", h_int, D(transition_ms), 0, 0, 10000, NULL },
	{ "show_sensitive_media", h_bool, D(show_sensitive_media), 0, 0, 0, NULL },
	{ "sample", h_bool, D(sample), 0, 0, 0, NULL },
	{ "quit_keys", h_quit_keys, D(quit_keys), 0, 0, 0, NULL },
	{ NULL, NULL, 0, 0, 0, 0, NULL },
};

#define C(f) H(config_cache_t, f)
static const key_def_t cache_keys[] = {
	{ "dir", h_string, C(dir), 0, 0, 0, NULL },
	{ "max_media_mb", h_long, C(max_media_mb), 0, 1, 1048576, NULL },
	{ "max_age_days", h_int, C(max_age_days), 0, 1, 3650, NULL },
	{ "max_posts", h_int, C(max_posts), 0, 1, 100000, NULL },
	{ NULL, NULL, 0, 0, 0, 0, NULL },
};

#define N(f) H(config_network_t, f)
static const key_def_t network_keys[] = {
	{ "interval_s", h_int, N(interval_s), 0, 15, 86400, NULL },
	{ "connect_timeout_s", h_int, N(connect_timeout_s), 0, 1, 300, NULL },
	{ "timeout_s", h_int, N(timeout_s), 0, 1, 3600, NULL },
	{ "max_json_kb", h_long, N(max_json_kb), 0, 16, 1048576, NULL },
	{ "max_media_kb", h_long, N(max_media_kb), 0, 16, 1048576, NULL },
	{ "ca_file", h_string, N(ca_file), 0, 0, 0, NULL },
	{ "bluesky_appview", h_url, N(bluesky_appview), 0, 0, 0, NULL },
	{ "bluesky_login", h_url, N(bluesky_login), 0, 0, 0, NULL },
	{ "x_api", h_url, N(x_api), 0, 0, 0, NULL },
	{ "facebook_graph", h_url, N(facebook_graph), 0, 0, 0, NULL },
	{ "linkedin_api", h_url, N(linkedin_api), 0, 0, 0, NULL },
	{ "facebook_graph_version", h_api_version, N(facebook_graph_version), 0, 0, 0, NULL },
	{ "linkedin_version", h_api_version, N(linkedin_version), 0, 0, 0, NULL },
	{ "x_recheck_hours", h_int, N(x_recheck_hours), 0, 0, 8760, NULL },
	{ NULL, NULL, 0, 0, 0, 0, NULL },
};

#define F(f) H(config_filter_t, f)
static const key_def_t filter_keys[] = {
	{ "replies", h_bool, F(replies), 0, 0, 0, NULL },
	{ "boosts", h_bool, F(boosts), 0, 0, 0, NULL },
	{ "sensitive", h_bool, F(sensitive), 0, 0, 0, NULL },
	{ "bots", h_bool, F(bots), 0, 0, 0, NULL },
	{ "public_only", h_bool, F(public_only), 0, 0, 0, NULL },
	{ "blocked_words", h_list, F(blocked_words), F(n_blocked_words), 0, 0, NULL },
	{ "languages", h_languages, F(languages), F(n_languages), 0, 0, NULL },
	{ "max_age_days", h_int, F(max_age_days), 0, 0, 3650, NULL },
	{ NULL, NULL, 0, 0, 0, 0, NULL },
};

/* [board], [screen] and [schedule] keys are defined by the platform module
 * (platcfg_set); schedule keys include dates, so there is no fixed table. */
static const key_def_t platform_keys[] = {
	{ NULL, NULL, 0, 0, 0, 0, NULL },
};

static const sec_def_t sections[SEC__COUNT] = {
	[SEC_PERSON] = { "person", true, person_keys },
	[SEC_ORGANISATION] = { "organisation", true, person_keys },
	[SEC_HASHTAG] = { "hashtag", true, hashtag_keys },
	[SEC_FEED] = { "feed", true, feed_keys },
	[SEC_NOTICES] = { "notices", false, notices_keys },
	[SEC_DISPLAY] = { "display", false, display_keys },
	[SEC_CACHE] = { "cache", false, cache_keys },
	[SEC_NETWORK] = { "network", false, network_keys },
	[SEC_FILTER] = { "filter", false, filter_keys },
	[SEC_BOARD] = { "board", false, platform_keys },
	[SEC_SCREEN] = { "screen", false, platform_keys },
	[SEC_SCHEDULE] = { "schedule", false, platform_keys },
};

static bool key_allows_empty(const key_def_t *k)
{
	return k->fn == h_list || k->fn == h_languages || k->fn == h_servers;
}

/* ---- sections -------------------------------------------------------------- */

/* The source settings of the current section, or NULL for a settings section. */
static config_source_opts_t *section_opts(parser_t *p)
{
	switch (p->type) {
	case SEC_PERSON:
	case SEC_ORGANISATION: return &((config_person_t *)p->base)->opts;
	case SEC_HASHTAG: return &((config_hashtag_t *)p->base)->opts;
	case SEC_FEED: return &((config_feed_t *)p->base)->opts;
	default: return NULL;
	}
}

/* Checks across the keys of the section that just ended. */
static bool finish_section(parser_t *p)
{
	if (!p->sec)
		return true;
	config_t *c = p->c;
	config_source_opts_t *opts = section_opts(p);
	if (opts) {
		/* 0 and an empty list are values here, not "unset" */
		opts->max_age_set = key_line(p, "max_age_days") != 0;
		opts->languages_set = key_line(p, "languages") != 0;
	}
	switch (p->type) {
	case SEC_PERSON:
	case SEC_ORGANISATION: {
		config_person_t *person = p->base;
		for (int n = 0; n < NET__COUNT; n++) {
			if (!p->token[n])
				continue;
			config_account_t *acct = NULL;
			for (size_t i = 0; i < person->n_accounts; i++)
				if (person->accounts[i].network == (network_t)n)
					acct = &person->accounts[i];
			const char *key = n == NET_BLUESKY ? "bluesky_password" : NULL;
			char kb[32];
			if (!key) {
				snprintf(kb, sizeof kb, "%s_token", network_name((network_t)n));
				key = kb;
			}
			if (!acct)
				return fail(p, p->token_line[n], key, "there is no %s account in this "
				            "section (add %s = ...)", network_name((network_t)n),
				            network_name((network_t)n));
			acct->token_file = p->token[n];
			p->token[n] = NULL;
		}
		break;
	}
	case SEC_HASHTAG: {
		config_hashtag_t *h = p->base;
		char vb[SHOWN_MAX + 8];
		if (!h->tag) {
			const char *t = h->id[0] == '#' ? h->id + 1 : h->id;
			if (!valid_tag(t))
				return fail(p, p->sec_line, NULL, "'%s' is not a hashtag (letters, digits "
				            "and _); name the section after the tag or set tag = ...",
				            shown(vb, sizeof vb, h->id));
			h->tag = xstrdup(t);
		}
		int servers_line = key_line(p, "servers");
		int mtok = key_line(p, "mastodon_token"), bpw = key_line(p, "bluesky_password");
		if (h->network == NET_BLUESKY) {
			if (servers_line)
				return fail(p, servers_line, "servers", "Bluesky hashtags are searched through "
				            "[network] bluesky_login; servers is for Mastodon hashtags");
			if (mtok)
				return fail(p, mtok, "mastodon_token", "this is a Bluesky hashtag; "
				            "use bluesky_password = FILE");
			if (!bpw)
				return fail(p, p->sec_line, NULL, "a Bluesky hashtag needs an app password: "
				            "set bluesky_password = FILE");
			char *key = xasprintf("bluesky-tag:%s", h->tag);
			char *lk = lower_dup(key);
			free(key);
			char *what = xasprintf("the Bluesky hashtag #%s", h->tag);
			bool ok = claim(p, p->sec_line, lk, what, NULL);
			free(what);
			return ok;
		}
		if (bpw)
			return fail(p, bpw, "bluesky_password", "bluesky_password is for Bluesky hashtags "
			            "(network = bluesky); a Mastodon server takes mastodon_token = FILE");
		if (h->n_servers == 0)
			return fail(p, servers_line ? servers_line : p->sec_line, servers_line ? "servers" : NULL,
			            "no servers to ask: set servers = HOST, ... (e.g. social.overheid.nl)");
		if (mtok && h->n_servers > 1)
			return fail(p, mtok, "mastodon_token", "a token belongs to one server, but %zu "
			            "servers are listed: give each server its own [hashtag] section "
			            "with tag = %s", h->n_servers, h->tag);
		for (size_t i = 0; i < h->n_servers; i++) {
			char *what = xasprintf("the hashtag #%s on %s", h->tag, server_shown(h->servers[i]));
			bool ok = claim(p, servers_line, tag_key(NET_MASTODON, h->tag, h->servers[i]), what,
			                "servers");
			free(what);
			if (!ok)
				return false;
		}
		break;
	}
	case SEC_FEED: {
		config_feed_t *f = p->base;
		if (!f->url)
			return fail(p, p->sec_line, NULL, "no url: set url = https://...");
		break;
	}
	case SEC_NOTICES:
		if (!c->notices_file)
			return fail(p, p->sec_line, NULL, "no file: set file = PATH");
		break;
	case SEC_DISPLAY: {
		config_display_t *d = &c->display;
		if (d->dwell_min_s > d->dwell_max_s) {
			int lmax = key_line(p, "dwell_max_s");
			if (lmax)
				return fail(p, lmax, "dwell_max_s", "%d is less than dwell_min_s (%d)",
				            d->dwell_max_s, d->dwell_min_s);
			return fail(p, key_line(p, "dwell_min_s"), "dwell_min_s",
			            "%d is more than dwell_max_s (%d)", d->dwell_min_s, d->dwell_max_s);
		}
		break;
	}
	default:
		break;
	}
	return true;
}

static void reset_section(parser_t *p)
{
	for (int n = 0; n < NET__COUNT; n++) {
		free(p->token[n]);
		p->token[n] = NULL;
		p->token_line[n] = 0;
	}
	free(p->label);
	p->label = NULL;
	p->sec = NULL;
	p->base = NULL;
	p->n_keys = 0;
}

static void suggest(char *out, size_t size, const char *name, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t bd = 3;
	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(name, cands[i]);
		if (d < bd && d < strlen(name)) {
			bd = d;
			best = cands[i];
		}
	}
	if (best)
		snprintf(out, size, " (did you mean '%s'?)", best);
	else
		out[0] = '\0';
}

/* "[person \"jan\"]", "[display]".  s is the trimmed line. */
static bool begin_section(parser_t *p, char *s)
{
	if (!finish_section(p))
		return false;
	reset_section(p);
	char *close = strrchr(s, ']');
	if (!close)
		return fail(p, p->line, NULL, "missing ']' at the end of the section header");
	if (close[1] != '\0')
		return fail(p, p->line, NULL, "unexpected text after ']' in the section header");
	*close = '\0';
	char *in = trim(s + 1);
	size_t tl = 0;
	while (in[tl] && !is_space(in[tl]) && in[tl] != '"')
		tl++;
	if (tl == 0)
		return fail(p, p->line, NULL, "empty section header");
	char *type = xstrndup(in, tl);
	char *rest = in + tl;
	while (is_space(*rest))
		rest++;
	char *name = NULL;
	if (*rest) {
		if (*rest != '"' || strlen(rest) < 2 || rest[strlen(rest) - 1] != '"') {
			bool ok = fail(p, p->line, NULL, "the name in a section header is quoted: "
			               "[%s \"name\"]", type);
			free(type);
			return ok;
		}
		name = xstrndup(rest + 1, strlen(rest) - 2);
		if (strchr(name, '"')) {
			free(type);
			free(name);
			return fail(p, p->line, NULL, "a section name cannot contain '\"'");
		}
	}
	if (name && strlen(name) > CONFIG_MAX_NAME) {
		free(type);
		free(name);
		return fail(p, p->line, NULL, "the section name is longer than %d bytes", CONFIG_MAX_NAME);
	}
	char tb[SHOWN_MAX + 8];
	shown(tb, sizeof tb, type);
	p->label = name ? xasprintf("%s \"%s\"", tb, name) : xstrdup(tb);
	p->sec_line = p->line;

	int found = -1;
	for (int i = 0; i < SEC__COUNT; i++)
		if (strcmp(type, sections[i].name) == 0)
			found = i;
	if (found < 0) {
		const char *names[SEC__COUNT];
		for (int i = 0; i < SEC__COUNT; i++)
			names[i] = sections[i].name;
		char sug[96];
		suggest(sug, sizeof sug, type, names, SEC__COUNT);
		free(type);
		free(name);
		return fail(p, p->line, NULL, "unknown section%s", sug);
	}
	const sec_def_t *def = &sections[found];
	if (def->named && (!name || !*name)) {
		free(name);
		bool ok = fail(p, p->line, NULL, "needs a name: [%s \"ID\"]", type);
		free(type);
		return ok;
	}
	if (!def->named && name) {
		free(name);
		bool ok = fail(p, p->line, NULL, "takes no name: write [%s]", type);
		free(type);
		return ok;
	}
	free(type);

	/* persons and organisations share one namespace: both are config_person() ids */
	sec_t t = (sec_t)found;
	char *dkey;
	if (t == SEC_PERSON || t == SEC_ORGANISATION) {
		dkey = xasprintf("person:%s", name);
	} else if (t == SEC_HASHTAG) { /* "#Tag" and "tag" name one hashtag */
		char *l = lower_dup(name[0] == '#' ? name + 1 : name);
		dkey = xasprintf("hashtag:%s", l);
		free(l);
	} else {
		dkey = xasprintf("%s:%s", def->name, name ? name : "");
	}
	int first = strmap_get(&p->sections, dkey);
	if (first >= 0) {
		free(dkey);
		free(name);
		return fail(p, p->line, NULL, "duplicate section (first at line %d)", first);
	}
	strmap_put(&p->sections, dkey, p->line);

	config_t *c = p->c;
	p->sec = def;
	p->type = t;
	switch (t) {
	case SEC_PERSON:
	case SEC_ORGANISATION: {
		XGROW(c->people, p->cap_people, c->n_people + 1);
		config_person_t *person = &c->people[c->n_people++];
		*person = (config_person_t){ .id = name, .organisation = t == SEC_ORGANISATION };
		p->base = person;
		return true;
	}
	case SEC_HASHTAG: {
		XGROW(c->hashtags, p->cap_hashtags, c->n_hashtags + 1);
		config_hashtag_t *h = &c->hashtags[c->n_hashtags++];
		*h = (config_hashtag_t){ .id = name, .network = NET_MASTODON };
		p->base = h;
		return true;
	}
	case SEC_FEED: {
		XGROW(c->feeds, p->cap_feeds, c->n_feeds + 1);
		config_feed_t *f = &c->feeds[c->n_feeds++];
		*f = (config_feed_t){ .id = name };
		p->base = f;
		return true;
	}
	case SEC_NOTICES: p->base = c; break;
	case SEC_DISPLAY: p->base = &c->display; break;
	case SEC_CACHE: p->base = &c->cache; break;
	case SEC_NETWORK: p->base = &c->network; break;
	case SEC_FILTER: p->base = &c->filter; break;
	case SEC_BOARD:
	case SEC_SCREEN:
	case SEC_SCHEDULE: p->base = c->platform; break;
	default: break;
	}
	free(name);
	return true;
}

/* An unknown key: suggest the closest key of this section, or name the section it belongs in. */
static bool unknown_key(parser_t *p, const char *key)
{
	const char *names[32];
	size_t n = 0;
	for (const key_def_t *k = p->sec->keys; k->name && n < 32; k++)
		names[n++] = k->name;
	char sug[128];
	suggest(sug, sizeof sug, key, names, n);
	if (!sug[0]) {
		/* settings sections first: a source section's interval_s or
		 * replies is an override, [network] and [filter] are their home */
		char where[96] = "";
		for (int named = 0; named < 2 && !where[0]; named++) {
			for (int i = 0; i < SEC__COUNT; i++) {
				if (i == SEC_ORGANISATION || sections[i].keys == p->sec->keys ||
				    sections[i].named != (named == 1))
					continue;
				for (const key_def_t *k = sections[i].keys; k->name; k++) {
					if (strcmp(k->name, key) != 0)
						continue;
					size_t len = strlen(where);
					snprintf(where + len, sizeof where - len, "%s[%s%s]", len ? " or " : "",
					         sections[i].name, sections[i].named ? " \"ID\"" : "");
				}
			}
		}
		if (where[0])
			snprintf(sug, sizeof sug, " (it belongs in %s)", where);
	}
	char kb[SHOWN_MAX + 8];
	return fail(p, p->line, shown(kb, sizeof kb, key), "unknown key%s", sug);
}

static bool parse_key(parser_t *p, char *s)
{
	char vb[SHOWN_MAX + 8];
	char *eq = strchr(s, '=');
	if (!p->sec) {
		if (eq)
			*eq = '\0';
		return fail(p, p->line, NULL, "'%s' is outside a section: put a section header "
		            "such as [display] above it", shown(vb, sizeof vb, trim(s)));
	}
	if (!eq)
		return fail_syntax(p, "expected key = value, got '%s'", shown(vb, sizeof vb, s));
	*eq = '\0';
	char *key = trim(s);
	char *val = trim(eq + 1);
	if (!*key)
		return fail_syntax(p, "missing key before '='");
	size_t vl = strlen(val);
	if (vl > 0 && val[0] == '"') {
		if (vl < 2 || val[vl - 1] != '"')
			return fail(p, p->line, key, "missing closing '\"'");
		val[vl - 1] = '\0';
		val++;
	}
	if (p->sec->keys == platform_keys) {
		char *dk = xasprintf("key:%s:%s", p->sec->name, key);
		int first = strmap_get(&p->sections, dk);
		if (first >= 0) {
			free(dk);
			return fail(p, p->line, shown(vb, sizeof vb, key), "duplicate key (first set at line %d)", first);
		}
		strmap_put(&p->sections, dk, p->line);
		char *err = NULL;
		if (!platcfg_set(p->c->platform, p->sec->name, key, val, &err))
			return fail_msg(p, p->line, shown(vb, sizeof vb, key), err);
		return true;
	}
	const key_def_t *k = NULL;
	for (const key_def_t *d = p->sec->keys; d->name; d++)
		if (strcmp(d->name, key) == 0)
			k = d;
	if (!k)
		return unknown_key(p, key);
	int first = key_line(p, k->name);
	if (first)
		return fail(p, p->line, k->name, "duplicate key (first set at line %d)", first);
	assert(p->n_keys < sizeof p->keys / sizeof p->keys[0]);
	p->keys[p->n_keys++] = (seen_key_t){ .name = k->name, .line = p->line };
	if (!*val && !key_allows_empty(k))
		return fail(p, p->line, k->name, "empty value (leave the key out to use the default)");
	return k->fn(p, k, val, p->base);
}

/* NUL bytes, invalid UTF-8 and control characters, with the line they are on. */
static bool check_bytes(parser_t *p, const unsigned char *s, size_t len)
{
	int line = 1;
	for (size_t i = 0; i < len;) {
		unsigned char ch = s[i];
		if (ch == '\n') {
			line++;
			i++;
			continue;
		}
		if (ch == 0)
			return fail(p, line, NULL, "NUL byte in the file (is this a text file?)");
		if (ch < 0x80) {
			bool crlf = ch == '\r' && (i + 1 == len || s[i + 1] == '\n');
			if ((ch < 0x20 && ch != '\t' && !crlf) ||
			    ch == 0x7f)
				return fail(p, line, NULL, "control character 0x%02X in the file", ch);
			i++;
			continue;
		}
		size_t n;
		unsigned cp;
		if (ch >= 0xC2 && ch <= 0xDF) {
			n = 1;
			cp = ch & 0x1F;
		} else if (ch >= 0xE0 && ch <= 0xEF) {
			n = 2;
			cp = ch & 0x0F;
		} else if (ch >= 0xF0 && ch <= 0xF4) {
			n = 3;
			cp = ch & 0x07;
		} else {
			return fail(p, line, NULL, "invalid UTF-8 (save the file as UTF-8)");
		}
		for (size_t j = 1; j <= n; j++) {
			if (i + j >= len || (s[i + j] & 0xC0) != 0x80)
				return fail(p, line, NULL, "invalid UTF-8 (save the file as UTF-8)");
			cp = (cp << 6) | (s[i + j] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return fail(p, line, NULL, "invalid UTF-8 (save the file as UTF-8)");
		i += n + 1;
	}
	return true;
}

static void parser_free(parser_t *p)
{
	reset_section(p);
	strmap_free(&p->sections);
	strmap_free(&p->claims);
	for (size_t i = 0; i < p->n_claims; i++)
		free(p->claimv[i].label);
	free(p->claimv);
}

config_t *config_parse(const char *text, size_t len, const char *name, char **err)
{
	assert(err);
	*err = NULL;
	parser_t p = { .file = name ? name : "(config)" };
	p.c = config_new_default();
	const unsigned char *u = (const unsigned char *)(text ? text : "");
	if (!text)
		len = 0;
	if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) { /* a BOM from Notepad */
		u += 3;
		len -= 3;
	}
	bool ok = check_bytes(&p, u, len);
	char *buf = ok ? xstrndup((const char *)u, len) : NULL;
	char *s = buf;
	while (ok && s && s < buf + len) {
		p.line++;
		char *nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		size_t ll = strlen(s);
		if (ll > 0 && s[ll - 1] == '\r')
			s[--ll] = '\0';
		if (ll > CONFIG_MAX_LINE) {
			ok = fail_syntax(&p, "line is longer than %d bytes", CONFIG_MAX_LINE);
			break;
		}
		char *t = trim(s);
		if (*t == '[')
			ok = begin_section(&p, t);
		else if (*t && *t != '#' && *t != ';')
			ok = parse_key(&p, t);
		s = nl ? nl + 1 : NULL;
	}
	if (ok)
		ok = finish_section(&p);
	free(buf);
	config_t *c = p.c;
	if (!ok) {
		*err = p.err ? p.err : xasprintf("%s: cannot parse", p.file);
		p.err = NULL;
		config_free(c);
		c = NULL;
	}
	parser_free(&p);
	return c;
}

/* ---- loading from a file ---------------------------------------------------- */

/* The whole file, or NULL with *err "PATH: cannot read: why". */
static char *read_all(const char *path, size_t *len, char **err)
{
	/* open() on a FIFO would block until a writer comes: refuse it first */
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	} else {
		char *text = fsio_read_file(path, CONFIG_MAX_FILE, len);
		if (text)
			return text;
	}
	if (errno == EFBIG)
		*err = xasprintf("%s: cannot read: larger than %d KiB, not a configuration file",
		                 path, CONFIG_MAX_FILE / 1024);
	else if (errno == EINVAL)
		*err = xasprintf("%s: cannot read: not a regular file", path);
	else
		*err = xasprintf("%s: cannot read: %s", path, strerror(errno));
	return NULL;
}

/* Make a relative path relative to dir (the config file's directory). */
static void rebase(char **path, const char *dir)
{
	if (!*path || (*path)[0] == '/' || !dir)
		return;
	char *abs = xasprintf("%s/%s", dir, *path);
	free(*path);
	*path = abs;
}

config_t *config_load(const char *path, char **err)
{
	assert(path && err);
	*err = NULL;
	size_t len = 0;
	char *text = read_all(path, &len, err);
	if (!text)
		return NULL;
	config_t *c = config_parse(text, len, path, err);
	free(text);
	if (!c)
		return NULL;
	c->path = xstrdup(path);
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : NULL;
	if (dir && strcmp(dir, "/") == 0) {
		free(dir);
		dir = xstrdup("");
	}
	for (size_t i = 0; i < c->n_people; i++) {
		rebase(&c->people[i].photo, dir);
		for (size_t j = 0; j < c->people[i].n_accounts; j++)
			rebase(&c->people[i].accounts[j].token_file, dir);
	}
	for (size_t i = 0; i < c->n_hashtags; i++)
		rebase(&c->hashtags[i].token_file, dir);
	rebase(&c->notices_file, dir);
	rebase(&c->display.logo, dir);
	rebase(&c->display.font, dir);
	rebase(&c->cache.dir, dir);
	rebase(&c->network.ca_file, dir);
	free(dir);
	return c;
}

/* ---- lookups and the command line ----------------------------------------- */

const config_person_t *config_person(const config_t *c, const char *id)
{
	if (!c || !id)
		return NULL;
	for (size_t i = 0; i < c->n_people; i++)
		if (strcmp(c->people[i].id, id) == 0)
			return &c->people[i];
	return NULL;
}

/* True when some configured account or hashtag already has this source key. */
static bool key_taken(const config_t *c, const char *key)
{
	bool taken = false;
	for (size_t i = 0; i < c->n_people && !taken; i++) {
		for (size_t j = 0; j < c->people[i].n_accounts && !taken; j++) {
			char *k = account_key(c->people[i].accounts[j].network, c->people[i].accounts[j].handle);
			taken = k && strcmp(k, key) == 0;
			free(k);
		}
	}
	for (size_t i = 0; i < c->n_hashtags && !taken; i++) {
		const config_hashtag_t *h = &c->hashtags[i];
		for (size_t j = 0; j < h->n_servers && !taken && h->network == NET_MASTODON; j++) {
			char *k = tag_key(h->network, h->tag, h->servers[j]);
			taken = strcmp(k, key) == 0;
			free(k);
		}
	}
	return taken;
}

bool config_add_cli_account(config_t *c, const char *handle, char **err)
{
	assert(c && err);
	char *user, *server, *e = NULL;
	if (!mastodon_handle_split(handle, &user, &server, &e)) {
		*err = xasprintf("--account: %s", e);
		free(e);
		return false;
	}
	char *key = account_key(NET_MASTODON, handle);
	bool taken = key_taken(c, key);
	free(key);
	char *id = xasprintf("%s@%s", user, server_shown(server));
	free(user);
	free(server);
	if (taken || config_person(c, id)) {
		*err = xasprintf("--account: %s is already configured", handle);
		free(id);
		return false;
	}
	c->people = xrealloc(c->people, (c->n_people + 1) * sizeof *c->people);
	config_person_t *p = &c->people[c->n_people++];
	*p = (config_person_t){ .id = id, .n_accounts = 1 };
	p->accounts = xcalloc(1, sizeof *p->accounts);
	p->accounts[0] = (config_account_t){ .network = NET_MASTODON, .handle = xstrdup(handle),
	                                     .key = account_key(NET_MASTODON, handle) };
	return true;
}

bool config_add_cli_hashtag(config_t *c, const char *spec, char **err)
{
	assert(c && err);
	char vb[SHOWN_MAX + 8];
	const char *s = spec ? spec : "";
	const char *at = strchr(s, '@');
	char *tag = at ? xstrndup(s[0] == '#' ? s + 1 : s, (size_t)(at - s) - (s[0] == '#')) : NULL;
	if (!tag || !valid_tag(tag)) {
		*err = xasprintf("--hashtag: '%s' is not TAG@SERVER (e.g. twitampt@social.overheid.nl)",
		                 shown(vb, sizeof vb, s));
		free(tag);
		return false;
	}
	char *e = NULL;
	char *base = server_base(at + 1, &e);
	if (!base) {
		*err = xasprintf("--hashtag: %s", e);
		free(e);
		free(tag);
		return false;
	}
	char *key = tag_key(NET_MASTODON, tag, base);
	bool taken = key_taken(c, key);
	free(key);
	if (taken) {
		*err = xasprintf("--hashtag: #%s on %s is already configured", tag, server_shown(base));
		free(tag);
		free(base);
		return false;
	}
	c->hashtags = xrealloc(c->hashtags, (c->n_hashtags + 1) * sizeof *c->hashtags);
	config_hashtag_t *h = &c->hashtags[c->n_hashtags++];
	*h = (config_hashtag_t){ .tag = tag, .id = xstrdup(s), .network = NET_MASTODON,
	                         .anyone = true, .n_servers = 1 };
	h->servers = xcalloc(1, sizeof *h->servers);
	h->servers[0] = base;
	return true;
}

/* ---- sources ---------------------------------------------------------------- */

static bool switch_or(config_switch_t sw, bool global)
{
	return sw == CONFIG_INHERIT ? global : sw == CONFIG_ON;
}

void config_filter_for(const config_t *c, const config_source_opts_t *opts, config_filter_t *out)
{
	assert(c && out);
	*out = c->filter;
	if (!opts)
		return;
	out->replies = switch_or(opts->replies, out->replies);
	out->boosts = switch_or(opts->boosts, out->boosts);
	out->sensitive = switch_or(opts->sensitive, out->sensitive);
	out->bots = switch_or(opts->bots, out->bots);
	out->public_only = switch_or(opts->public_only, out->public_only);
	if (opts->max_age_set)
		out->max_age_days = opts->max_age_days;
	if (opts->languages_set) {
		out->languages = opts->languages;
		out->n_languages = opts->n_languages;
	}
}

/* Whether a's source key is key. */
static bool account_has_key(const config_account_t *a, const char *key)
{
	if (a->key)
		return strcmp(a->key, key) == 0;
	char *k = account_key(a->network, a->handle); /* a hand-built config */
	bool same = k && strcmp(k, key) == 0;
	free(k);
	return same;
}

const config_source_opts_t *config_source_opts(const config_t *c, const char *source_key)
{
	if (!c || !source_key)
		return NULL;
	for (size_t i = 0; i < c->n_people; i++)
		for (size_t j = 0; j < c->people[i].n_accounts; j++)
			if (account_has_key(&c->people[i].accounts[j], source_key))
				return &c->people[i].opts;
	const config_hashtag_t *h = config_hashtag_for_source(c, source_key);
	if (h)
		return &h->opts;
	const config_feed_t *f = config_feed_for_source(c, source_key);
	return f ? &f->opts : NULL;
}

static source_spec_t *spec_new(const config_t *c, const config_source_opts_t *opts, source_kind_t kind,
                               network_t n)
{
	source_spec_t *s = xcalloc(1, sizeof *s);
	config_filter_t f;
	config_filter_for(c, opts, &f);
	s->kind = kind;
	s->network = n;
	int interval = opts && opts->interval_s ? opts->interval_s : c->network.interval_s;
	s->interval_s = interval >= 15 ? interval : 15;
	s->include_replies = f.replies;
	s->include_boosts = f.boosts;
	s->public_only = f.public_only;
	return s;
}

static const char *service_url(const config_t *c, network_t n)
{
	switch (n) {
	case NET_BLUESKY: return c->network.bluesky_appview;
	case NET_X: return c->network.x_api;
	case NET_FACEBOOK: return c->network.facebook_graph;
	case NET_LINKEDIN: return c->network.linkedin_api;
	default: return NULL;
	}
}

static void push(source_spec_t ***v, size_t *n, size_t *cap, source_spec_t *s)
{
	XGROW(*v, *cap, *n + 1);
	(*v)[(*n)++] = s;
}

size_t config_sources(const config_t *c, source_spec_t ***out)
{
	assert(c && out);
	source_spec_t **v = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < c->n_people; i++) {
		const config_person_t *p = &c->people[i];
		for (size_t j = 0; j < p->n_accounts; j++) {
			const config_account_t *a = &p->accounts[j];
			char *key = account_key(a->network, a->handle);
			if (!key)
				continue; /* only a hand-built config can hold a bad handle */
			source_spec_t *s = spec_new(c, &p->opts, SRC_ACCOUNT, a->network);
			s->key = key;
			s->person = xstrdup(p->id);
			s->token_file = xstrdup(a->token_file);
			if (a->network == NET_MASTODON) {
				char *e = NULL;
				bool ok = mastodon_handle_split(a->handle, &s->handle, &s->server, &e);
				assert(ok);
				(void)ok;
				free(e);
			} else {
				s->handle = xstrdup(account_id(a->network, a->handle));
				s->server = xstrdup(service_url(c, a->network));
			}
			push(&v, &n, &cap, s);
		}
	}
	for (size_t i = 0; i < c->n_hashtags; i++) {
		const config_hashtag_t *h = &c->hashtags[i];
		if (h->network == NET_BLUESKY) {
			source_spec_t *s = spec_new(c, &h->opts, SRC_HASHTAG, NET_BLUESKY);
			s->key = tag_key(NET_BLUESKY, h->tag, c->network.bluesky_login);
			s->handle = xstrdup(h->tag);
			s->server = xstrdup(c->network.bluesky_login);
			s->token_file = xstrdup(h->token_file);
			push(&v, &n, &cap, s);
			continue;
		}
		for (size_t j = 0; j < h->n_servers; j++) {
			source_spec_t *s = spec_new(c, &h->opts, SRC_HASHTAG, h->network);
			s->key = tag_key(h->network, h->tag, h->servers[j]);
			s->handle = xstrdup(h->tag);
			s->server = xstrdup(h->servers[j]);
			s->token_file = xstrdup(h->token_file);
			push(&v, &n, &cap, s);
		}
	}
	for (size_t i = 0; i < c->n_feeds; i++) {
		source_spec_t *s = spec_new(c, &c->feeds[i].opts, SRC_FEED, NET_RSS);
		s->key = xasprintf("rss:%s", c->feeds[i].id);
		s->handle = xstrdup(c->feeds[i].url);
		push(&v, &n, &cap, s);
	}
	if (c->notices_file) {
		source_spec_t *s = spec_new(c, NULL, SRC_NOTICES, NET_NOTICE);
		s->key = xasprintf("notice:%s", c->notices_file);
		s->handle = xstrdup(c->notices_file);
		s->interval_s = 15; /* a stat(2) of a local file: a front-desk edit shows within seconds */
		push(&v, &n, &cap, s);
	}
	*out = v;
	return n;
}

void config_sources_free(source_spec_t **specs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		source_spec_free(specs[i]);
	free(specs);
}

const config_hashtag_t *config_hashtag_for_source(const config_t *c, const char *source_key)
{
	if (!c || !source_key)
		return NULL;
	const config_hashtag_t *found = NULL;
	for (size_t i = 0; i < c->n_hashtags && !found; i++) {
		const config_hashtag_t *h = &c->hashtags[i];
		size_t ns = h->network == NET_BLUESKY ? 1 : h->n_servers;
		for (size_t j = 0; j < ns && !found; j++) {
			const char *srv = h->network == NET_BLUESKY ? c->network.bluesky_login : h->servers[j];
			char *k = tag_key(h->network, h->tag, srv);
			if (strcmp(k, source_key) == 0)
				found = h;
			free(k);
		}
	}
	return found;
}

const config_feed_t *config_feed_for_source(const config_t *c, const char *source_key)
{
	if (!c || !source_key || strncmp(source_key, "rss:", 4) != 0)
		return NULL;
	for (size_t i = 0; i < c->n_feeds; i++)
		if (strcmp(c->feeds[i].id, source_key + 4) == 0)
			return &c->feeds[i];
	return NULL;
}
