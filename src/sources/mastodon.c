/*
 * mastodon: the Mastodon adapter (an account, or a hashtag on one server)
 * and its status parser.
 *
 * A cycle is a small state machine that the poller drives one request at a
 * time:
 *   LOOKUP  GET /api/v1/accounts/lookup?acct=USER   only while the id is unknown
 *   NEWEST  GET <timeline>?limit=40                  first cycle after start and
 *           every 10th: the newest page, authoritative for deletions
 *   PAGE    GET <timeline>?limit=40&min_id=ID        gap-free catch-up from the
 *           newest id seen, until an empty page (at most 5 pages a cycle)
 * where <timeline> is /api/v1/accounts/ID/statuses or /api/v1/timelines/tag/TAG.
 * The newest id and the ETags are committed only when a cycle completes, so
 * a cycle that fails half-way is repeated instead of losing posts.  The
 * "seen up to" mark never passes a gap: when a NEWEST page shows more new
 * posts than the cycle's pages could reach from the old mark, the cycle
 * commits only how far min_id paging got, and the next cycle pages on from
 * there (the posts of the NEWEST page are merged at once all the same).  Every
 * field of every response is untrusted: a wrong type drops the field, a
 * status without key, author or time is skipped, never the page.
 */
#include "mastodon.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/log.h"
#include "../base/url.h"
#include "../base/xmalloc.h"
#include "html.h"
#include "json.h"
#include "timeparse.h"
#include "wire.h"

#define PAGE_LIMIT 40
#define MAX_PAGE_ITEMS 100     /* statuses read from one page; we ask for 40 */
#define MAX_PAGES 5            /* status pages per cycle */
#define RECONCILE_EVERY 10     /* cycles between authoritative fetches */
#define N_ETAGS 4              /* URLs whose ETag we remember */
#define MAX_ID 64
#define MAX_ETAG 256
#define MAX_KEY 2048
#define MAX_MEDIA 16
#define MAX_EMOJI 64
#define MAX_RETRY_S (30 * 86400) /* bounds a server's absurd wait; the poller waits a day at most */

/* ---- small helpers -------------------------------------------------------- */

static bool is_http_url(const char *u)
{
	if (!u || (strncasecmp(u, "https://", 8) != 0 && strncasecmp(u, "http://", 7) != 0))
		return false;
	if (strlen(u) > MAX_KEY)
		return false;
	for (const unsigned char *p = (const unsigned char *)u; *p; p++)
		if (*p <= 0x20 || *p == 0x7F)
			return false;
	return true;
}

/* An http(s) URL field, or NULL. */
static const char *url_field(const cJSON *o, const char *name)
{
	const char *u = json_str(o, name);
	return is_http_url(u) ? u : NULL;
}

/* Ids go into URLs and paging: non-empty, bounded, URL-safe (Mastodon sends
 * digits; GoToSocial and Akkoma send letters too). */
static bool valid_id(const char *id)
{
	if (!id || !*id || strlen(id) > MAX_ID)
		return false;
	for (const char *p = id; *p; p++) {
		char c = *p;
		bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          c == '-' || c == '_' || c == '.' || c == '~';
		if (!ok)
			return false;
	}
	return true;
}

static const char *id_field(const cJSON *o, const char *name)
{
	const char *id = json_str(o, name);
	return valid_id(id) ? id : NULL;
}

/* Plain text from the API (names, content warnings, alt text): valid UTF-8,
 * control characters as spaces, whitespace collapsed, trimmed, at most max
 * bytes (cut at a character boundary, ending in "…").  Line breaks survive
 * when keep_lines.  NULL when nothing is left.  Caller frees.  Reuses the
 * HTML converter by escaping the two characters that start markup. */
static char *plain_text(const char *s, size_t max, bool keep_lines)
{
	if (!s || !*s)
		return NULL;
	size_t n = strlen(s), cap = n * 5 + 1, len = 0;
	char *esc = xmalloc(cap);
	for (size_t i = 0; i < n; i++) {
		const char *rep = NULL;
		if (s[i] == '&')
			rep = "&amp;";
		else if (s[i] == '<')
			rep = "&lt;";
		else if (s[i] == '\n' && keep_lines)
			rep = "<br>";
		else if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
			rep = " "; /* a control character in a name is a space, not a glyph */
		if (rep) {
			memcpy(esc + len, rep, strlen(rep));
			len += strlen(rep);
		} else {
			esc[len++] = s[i];
		}
	}
	char *text = html_to_plain(esc, len);
	free(esc);
	size_t tl = strlen(text);
	if (tl > max) {
		size_t cut = max >= 3 ? max - 3 : 0;
		while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
			cut--;
		memcpy(text + cut, "\xE2\x80\xA6", 4); /* "…" and the NUL */
	}
	if (!*text) {
		free(text);
		return NULL;
	}
	return text;
}

/* A JSON number as a bounded int (a pixel size), or 0. */
static int dim_field(const cJSON *o, const char *name)
{
	return (int)json_num(o, name, 1, 100000, 0);
}

/* A focus coordinate: clamped to [-1, 1], 0 when absent or not finite. */
static float focus_coord(const cJSON *o, const char *name)
{
	const cJSON *v = json_get(o, name);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return 0.0f;
	double d = v->valuedouble;
	return (float)(d < -1.0 ? -1.0 : d > 1.0 ? 1.0 : d);
}

static bool valid_shortcode(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'))
			return false;
	}
	return true;
}

/* ISO 639 code with an optional region: "nl", "pt-BR", "gsw". */
static bool valid_lang(const char *s)
{
	if (!s)
		return false;
	size_t n = strlen(s), letters = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
	if (letters < 2 || letters > 3 || n > 35)
		return false;
	for (size_t i = letters; i < n; i++) {
		char c = s[i];
		if (!(c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return false;
	}
	return true;
}

/* ---- entities ------------------------------------------------------------- */

static void parse_emojis(const cJSON *arr, emoji_t **out, size_t *n)
{
	const cJSON *e;
	if (!cJSON_IsArray(arr))
		return;
	cJSON_ArrayForEach(e, arr) {
		if (*n >= MAX_EMOJI)
			break;
		const char *code = json_str(e, "shortcode");
		/* static_url: a lobby screen draws one frame, not an animation */
		const char *url = url_field(e, "static_url");
		if (!url)
			url = url_field(e, "url");
		if (!valid_shortcode(code) || !url)
			continue;
		bool dup = false;
		for (size_t i = 0; i < *n; i++)
			if (strcmp((*out)[i].shortcode, code) == 0)
				dup = true;
		if (!dup)
			emoji_list_add(out, n, code, url);
	}
}

bool mastodon_parse_account(const cJSON *a, const char *server_host, author_t *out)
{
	memset(out, 0, sizeof *out);
	if (!cJSON_IsObject(a))
		return false;
	const char *username = json_str(a, "username");
	const char *acct = json_str(a, "acct");
	if (!acct || !*acct)
		acct = username;
	if (acct && *acct == '@')
		acct++;
	char *clean = plain_text(acct, 300, false);
	if (!clean || strpbrk(clean, " ")) {
		free(clean);
		return false;
	}
	if (strchr(clean, '@') || !server_host || !*server_host)
		out->handle = xasprintf("@%s", clean);
	else
		out->handle = xasprintf("@%s@%s", clean, server_host);
	free(clean);
	const char *id = id_field(a, "id");
	out->id = xstrdup(id);
	out->name = plain_text(json_str(a, "display_name"), 200, false);
	if (!out->name)
		out->name = plain_text(username, 200, false);
	if (!out->name)
		out->name = xstrdup(out->handle + 1);
	out->url = xstrdup(url_field(a, "url"));
	const char *avatar = url_field(a, "avatar_static");
	out->avatar_url = xstrdup(avatar ? avatar : url_field(a, "avatar"));
	out->bot = json_true(a, "bot");
	parse_emojis(json_get(a, "emojis"), &out->emojis, &out->n_emojis);
	return true;
}

static void parse_media(const cJSON *arr, post_t *p)
{
	const cJSON *m;
	if (!cJSON_IsArray(arr))
		return;
	cJSON_ArrayForEach(m, arr) {
		if (p->n_media >= MAX_MEDIA)
			break;
		if (!cJSON_IsObject(m))
			continue;
		/* url is null while a remote file is not yet fetched */
		const char *url = url_field(m, "url");
		if (!url)
			url = url_field(m, "remote_url");
		if (!url)
			continue;
		media_t *md = post_add_media(p);
		md->kind = media_kind_from_name(json_str(m, "type"));
		md->url = xstrdup(url);
		md->preview_url = xstrdup(url_field(m, "preview_url"));
		md->alt = plain_text(json_str(m, "description"), 6000, true);
		const cJSON *meta = json_object(m, "meta");
		const cJSON *orig = json_object(meta, "original");
		md->width = dim_field(orig, "width");
		md->height = dim_field(orig, "height");
		if (!md->width || !md->height) {
			md->width = dim_field(meta, "width");
			md->height = dim_field(meta, "height");
		}
		if (!md->width || !md->height)
			md->width = md->height = 0;
		const cJSON *focus = json_object(meta, "focus");
		md->focus_x = focus_coord(focus, "x");
		md->focus_y = focus_coord(focus, "y");
	}
}

static card_t *parse_card(const cJSON *c)
{
	const char *url = url_field(c, "url");
	if (!cJSON_IsObject(c) || !url)
		return NULL;
	card_t *card = xcalloc(1, sizeof *card);
	card->url = xstrdup(url);
	card->title = plain_text(json_str(c, "title"), 300, false);
	card->description = plain_text(json_str(c, "description"), 600, false);
	card->image_url = xstrdup(url_field(c, "image"));
	return card;
}

/* VIS_* for the four Mastodon values, -1 for anything else ("local", missing). */
static int parse_visibility(const cJSON *st)
{
	static const char *const names[] = { [VIS_PUBLIC] = "public", [VIS_UNLISTED] = "unlisted",
	                                     [VIS_PRIVATE] = "private", [VIS_DIRECT] = "direct" };
	const char *v = json_str(st, "visibility");
	for (int i = 0; v && i < 4; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	return -1;
}

static bool valid_key_part(const char *s)
{
	if (!s || !*s || strlen(s) > MAX_KEY)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p == 0x7F)
			return false;
	return true;
}

static char *server_host(const source_spec_t *spec)
{
	return spec->server ? url_host(spec->server) : NULL;
}

mastodon_result_t mastodon_parse_status(const cJSON *st, const source_spec_t *spec,
                                        post_t **out, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	*out = NULL;
	if (!cJSON_IsObject(st)) {
		*why = "not an object";
		return MASTODON_INVALID;
	}
	/* a boost shows the boosted post; its wrapper only says who boosted it */
	const cJSON *reblog = json_object(st, "reblog");
	const cJSON *orig = reblog ? reblog : st;

	/* identity, time and author first: without them there is no post at all */
	const char *uri = json_str(orig, "uri"), *url = url_field(orig, "url"), *id = id_field(orig, "id");
	char *key = NULL;
	if (valid_key_part(uri))
		key = xasprintf("mastodon:%s", uri);
	else if (url)
		key = xasprintf("mastodon:%s", url);
	else if (id)
		key = xasprintf("mastodon:%s/statuses/%s", spec->server ? spec->server : "", id);
	if (!key) {
		*why = "no uri, url or id";
		return MASTODON_INVALID;
	}
	post_t *p = post_new();
	p->key = key;
	char *host = server_host(spec);
	mastodon_result_t result = MASTODON_INVALID;
	if (!time_parse_iso8601(json_str(orig, "created_at"), &p->created)) {
		*why = "no valid created_at";
		goto out;
	}
	if (!mastodon_parse_account(json_object(orig, "account"), host, &p->author)) {
		*why = "no valid account";
		goto out;
	}

	/* then what the spec does not want */
	result = MASTODON_FILTERED;
	if (reblog && !spec->include_boosts) {
		*why = "boost";
		goto out;
	}
	int vis = parse_visibility(orig);
	if (spec->public_only && (parse_visibility(st) != VIS_PUBLIC || vis != VIS_PUBLIC)) {
		*why = "not public";
		goto out;
	}
	const char *reply_to = json_str(orig, "in_reply_to_account_id");
	p->reply = reply_to && (!p->author.id || strcmp(reply_to, p->author.id) != 0);
	if (p->reply && !spec->include_replies) {
		*why = "reply to someone else";
		goto out;
	}

	if (reblog) {
		author_t booster;
		if (mastodon_parse_account(json_object(st, "account"), host, &booster)) {
			if (booster.id && p->author.id && strcmp(booster.id, p->author.id) == 0) {
				author_clear(&booster); /* a self-boost: just the post */
			} else {
				p->booster = xcalloc(1, sizeof *p->booster);
				*p->booster = booster;
			}
		}
	}
	p->network = NET_MASTODON;
	p->source = xstrdup(spec->key);
	p->person = xstrdup(spec->person);
	p->id = xstrdup(id);
	p->url = xstrdup(url);
	int64_t edited;
	if (time_parse_iso8601(json_str(orig, "edited_at"), &edited))
		p->edited = edited;
	p->visibility = vis >= 0 ? (visibility_t)vis : VIS_UNLISTED;
	p->cw = plain_text(json_str(orig, "spoiler_text"), 1000, false);
	p->sensitive = json_true(orig, "sensitive");
	const char *lang = json_str(orig, "language");
	if (valid_lang(lang))
		p->lang = xstrdup(lang);
	parse_emojis(json_get(orig, "emojis"), &p->emojis, &p->n_emojis);
	const char *content = json_str(orig, "content");
	if (content) {
		const cJSON *quote = json_get(orig, "quote");
		html_options_t opt = {
			.drop_quote_inline = quote && !cJSON_IsNull(quote),
			.emojis = p->emojis,
			.n_emojis = p->n_emojis,
		};
		html_to_post_text(content, strlen(content), &opt, p);
	}
	parse_media(json_get(orig, "media_attachments"), p);
	p->card = parse_card(json_get(orig, "card"));
	*why = NULL;
	*out = p;
	p = NULL;
	result = MASTODON_OK;
out:
	post_free(p);
	free(host);
	return result;
}

/* What a timeline page says about paging, besides its posts. */
typedef struct {
	size_t count;           /* statuses on the page, kept or not */
	size_t n_invalid;
	const char *newest_id;  /* highest id on the page (points into the JSON) */
	const char *oldest_id;
	int64_t oldest_created; /* of the statuses as listed (a boost: when boosted) */
	bool have_created;
} page_t;

static void parse_page(const cJSON *arr, const source_spec_t *spec, post_list_t *out, page_t *pg)
{
	memset(pg, 0, sizeof *pg);
	const cJSON *st;
	cJSON_ArrayForEach(st, arr) {
		if (pg->count >= MAX_PAGE_ITEMS) {
			log_debug("mastodon", "%s: page holds more than %d statuses; reading the first %d",
			          spec->key, MAX_PAGE_ITEMS, MAX_PAGE_ITEMS);
			break;
		}
		pg->count++;
		const char *id = id_field(st, "id");
		if (id && (!pg->newest_id || id_compare(id, pg->newest_id) > 0))
			pg->newest_id = id;
		if (id && (!pg->oldest_id || id_compare(id, pg->oldest_id) < 0))
			pg->oldest_id = id;
		int64_t t;
		if (time_parse_iso8601(json_str(st, "created_at"), &t) && (!pg->have_created || t < pg->oldest_created)) {
			pg->oldest_created = t;
			pg->have_created = true;
		}
		post_t *p;
		const char *why;
		mastodon_result_t r = mastodon_parse_status(st, spec, &p, &why);
		if (r == MASTODON_INVALID) {
			pg->n_invalid++;
			log_debug("mastodon", "%s: skipped status %s: %s", spec->key, id ? id : "(no id)", why);
		}
		if (r != MASTODON_OK)
			continue;
		if (post_list_find(out, p->key) >= 0)
			post_free(p); /* a self-boost, or a page overlapping the last */
		else
			post_list_push(out, p);
	}
}

bool mastodon_parse_statuses(const char *json, size_t len, const source_spec_t *spec,
                             post_list_t *out, size_t *n_invalid, char **err)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	if (!cJSON_IsArray(root)) {
		*err = xstrdup(root ? "expected a JSON array of statuses" : "not valid JSON");
		cJSON_Delete(root);
		return false;
	}
	page_t pg;
	parse_page(root, spec, out, &pg);
	if (n_invalid)
		*n_invalid = pg.n_invalid;
	cJSON_Delete(root);
	return true;
}

/* ---- the adapter ---------------------------------------------------------- */

typedef struct {
	char *url;
	char *etag;
} etag_t;

typedef enum { PH_LOOKUP, PH_NEWEST, PH_PAGE, PH_DONE } phase_t;

typedef struct {
	char *host;             /* spec->server's host, for local handles and messages */
	/* persisted */
	char *account_id;
	char *newest_id;        /* newest status id merged so far */
	uint64_t cycles;
	etag_t etags[N_ETAGS];  /* most recent first */
	/* this run */
	bool started;           /* a cycle began since init: later ones need no reconcile */
	bool warned_token, warned_spec;
	/* this cycle */
	phase_t phase;
	int pages;
	char *cursor;           /* min_id of the next PAGE request */
	char *stop_at;          /* reconcile gap-fill: oldest id of the newest page */
	bool gap_open;          /* a NEWEST page left a gap that paging has not closed yet */
	char *cycle_newest;
	char *url;              /* the request in flight */
	etag_t pending[MAX_PAGES + 1]; /* ETags to remember if the cycle completes */
	size_t n_pending;
	size_t n_invalid;
	bool limited;           /* X-RateLimit-Remaining hit 0 */
	int64_t limited_until;
} mstate_t;

static void set_str(char **dst, const char *src)
{
	char *copy = xstrdup(src);
	free(*dst);
	*dst = copy;
}

static void etag_clear(etag_t *e)
{
	free(e->url);
	free(e->etag);
	e->url = e->etag = NULL;
}

static void pending_clear(mstate_t *st)
{
	for (size_t i = 0; i < st->n_pending; i++)
		etag_clear(&st->pending[i]);
	st->n_pending = 0;
}

static bool valid_etag(const char *e)
{
	if (!e || !*e || strlen(e) > MAX_ETAG)
		return false;
	for (const unsigned char *p = (const unsigned char *)e; *p; p++)
		if (*p < 0x20 || *p >= 0x7F)
			return false; /* it goes back into a request header */
	return true;
}

static void etag_remember(mstate_t *st, const char *url, const char *etag)
{
	int at = N_ETAGS - 1;
	for (int i = 0; i < N_ETAGS; i++)
		if (st->etags[i].url && strcmp(st->etags[i].url, url) == 0)
			at = i;
	etag_clear(&st->etags[at]);
	memmove(&st->etags[1], &st->etags[0], (size_t)at * sizeof st->etags[0]);
	st->etags[0] = (etag_t){ xstrdup(url), xstrdup(etag) };
}

static const char *etag_for(const mstate_t *st, const char *url)
{
	for (int i = 0; i < N_ETAGS; i++)
		if (st->etags[i].url && strcmp(st->etags[i].url, url) == 0)
			return st->etags[i].etag;
	return NULL;
}

static bool same_str(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static void mastodon_init(source_t *s, const cJSON *state)
{
	mstate_t *st = xcalloc(1, sizeof *st);
	s->priv = st;
	st->host = server_host(s->spec);
	if (!cJSON_IsObject(state))
		return;
	/* state of another account or server (the config changed): start afresh */
	if (!same_str(json_str(state, "server"), s->spec->server) ||
	    !same_str(json_str(state, "handle"), s->spec->handle))
		return;
	st->account_id = xstrdup(id_field(state, "account_id"));
	st->newest_id = xstrdup(id_field(state, "newest_id"));
	const cJSON *cycles = json_get(state, "cycles");
	if (cJSON_IsNumber(cycles) && cycles->valuedouble >= 0 && cycles->valuedouble < 1e15)
		st->cycles = (uint64_t)cycles->valuedouble;
	const cJSON *etags = json_get(state, "etags"), *e;
	if (!cJSON_IsArray(etags))
		etags = NULL;
	size_t n = 0;
	size_t base_len = s->spec->server ? strlen(s->spec->server) : 0;
	cJSON_ArrayForEach(e, etags) {
		const char *url = json_str(e, "url"), *etag = json_str(e, "etag");
		if (n >= N_ETAGS || !is_http_url(url) || !valid_etag(etag) || !base_len ||
		    strncmp(url, s->spec->server, base_len) != 0)
			continue;
		st->etags[n++] = (etag_t){ xstrdup(url), xstrdup(etag) };
	}
}

static cJSON *mastodon_save_state(source_t *s)
{
	mstate_t *st = s->priv;
	cJSON *o = cJSON_CreateObject();
	if (s->spec->server)
		cJSON_AddStringToObject(o, "server", s->spec->server);
	if (s->spec->handle)
		cJSON_AddStringToObject(o, "handle", s->spec->handle);
	if (st->account_id)
		cJSON_AddStringToObject(o, "account_id", st->account_id);
	if (st->newest_id)
		cJSON_AddStringToObject(o, "newest_id", st->newest_id);
	cJSON_AddNumberToObject(o, "cycles", (double)st->cycles);
	cJSON *arr = cJSON_AddArrayToObject(o, "etags");
	for (int i = 0; i < N_ETAGS; i++) {
		if (!st->etags[i].url)
			continue;
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "url", st->etags[i].url);
		cJSON_AddStringToObject(e, "etag", st->etags[i].etag);
		cJSON_AddItemToArray(arr, e);
	}
	return o;
}

static void cycle_reset(mstate_t *st)
{
	free(st->cursor);
	free(st->stop_at);
	free(st->cycle_newest);
	free(st->url);
	st->cursor = st->stop_at = st->cycle_newest = st->url = NULL;
	pending_clear(st);
	st->pages = 0;
	st->gap_open = false;
	st->n_invalid = 0;
	st->limited = false;
	st->limited_until = 0;
}

static void mastodon_destroy(source_t *s)
{
	mstate_t *st = s->priv;
	if (!st)
		return;
	cycle_reset(st);
	for (int i = 0; i < N_ETAGS; i++)
		etag_clear(&st->etags[i]);
	free(st->host);
	free(st->account_id);
	free(st->newest_id);
	free(st);
	s->priv = NULL;
}

static bool spec_usable(const source_spec_t *spec)
{
	return spec->server && spec->handle && *spec->handle &&
	       (spec->kind == SRC_ACCOUNT || spec->kind == SRC_HASHTAG);
}

static void mastodon_begin(source_t *s)
{
	mstate_t *st = s->priv;
	cycle_reset(st);
	st->cycles++;
	bool reconcile = !st->started || st->cycles % RECONCILE_EVERY == 0;
	st->started = true;
	st->cursor = xstrdup(st->newest_id);
	st->cycle_newest = xstrdup(st->newest_id);
	if (!spec_usable(s->spec)) {
		if (!st->warned_spec)
			log_warn("mastodon", "%s: needs a server and an account or hashtag; not polling", s->spec->key);
		st->warned_spec = true;
		st->phase = PH_DONE;
	} else if (s->spec->kind == SRC_ACCOUNT && !st->account_id) {
		st->phase = PH_LOOKUP;
	} else {
		st->phase = reconcile || !st->newest_id ? PH_NEWEST : PH_PAGE;
	}
}

static char *timeline_url(const source_t *s, const char *min_id)
{
	const source_spec_t *spec = s->spec;
	const mstate_t *st = s->priv;
	char *min = min_id ? xasprintf("&min_id=%s", min_id) : xstrdup("");
	char *url;
	if (spec->kind == SRC_HASHTAG) {
		char *tag = url_encode(spec->handle + (spec->handle[0] == '#'));
		url = xasprintf("%s/api/v1/timelines/tag/%s?limit=%d%s", spec->server, tag, PAGE_LIMIT, min);
		free(tag);
	} else {
		/* exclude_replies keeps the author's own threads (Mastodon docs) */
		url = xasprintf("%s/api/v1/accounts/%s/statuses?limit=%d%s%s%s", spec->server, st->account_id,
		                PAGE_LIMIT, spec->include_replies ? "" : "&exclude_replies=true",
		                spec->include_boosts ? "" : "&exclude_reblogs=true", min);
	}
	free(min);
	return url;
}

/* The token as a header value: trimmed, and only when it cannot break the header. */
static char *token_value(source_t *s)
{
	mstate_t *st = s->priv;
	if (!s->token)
		return NULL;
	const char *a = s->token;
	while (*a == ' ' || *a == '\t' || *a == '\r' || *a == '\n')
		a++;
	size_t n = strlen(a);
	while (n && (a[n - 1] == ' ' || a[n - 1] == '\t' || a[n - 1] == '\r' || a[n - 1] == '\n'))
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];
		if (c <= 0x20 || c == 0x7F) {
			if (!st->warned_token)
				log_warn("mastodon", "%s: the token file holds spaces or control characters; sending no token",
				         s->spec->key);
			st->warned_token = true;
			return NULL;
		}
	}
	return n ? xstrndup(a, n) : NULL;
}

static net_request_t *mastodon_next_request(source_t *s)
{
	mstate_t *st = s->priv;
	char *url = NULL;
	switch (st->phase) {
	case PH_LOOKUP: {
		char *acct = url_encode(s->spec->handle + (s->spec->handle[0] == '@'));
		url = xasprintf("%s/api/v1/accounts/lookup?acct=%s", s->spec->server, acct);
		free(acct);
		break;
	}
	case PH_NEWEST: url = timeline_url(s, NULL); break;
	case PH_PAGE: url = timeline_url(s, st->cursor); break;
	case PH_DONE: return NULL;
	}
	net_request_t *req = net_request_new(url);
	net_request_add_header(req, "Accept", "application/json");
	char *token = token_value(s);
	wire_bearer(req, token);
	free(token);
	const char *etag = st->phase == PH_LOOKUP ? NULL : etag_for(st, url);
	if (etag)
		net_request_add_header(req, "If-None-Match", etag);
	free(st->url);
	st->url = url;
	return req;
}

/* The server's {"error": "..."} as a short printable quote, or NULL.  Caller frees. */
static char *server_error(const net_response_t *r)
{
	cJSON *root = cJSON_ParseWithLength(r->body, r->body_len);
	char *msg = plain_text(json_str(root, "error"), 120, false);
	cJSON_Delete(root);
	return msg;
}

static bool content_is_json(const net_response_t *r)
{
	const char *ct = net_response_header(r, "Content-Type");
	if (!ct)
		return true; /* no claim either way: let the parser decide */
	for (const char *p = ct; *p; p++)
		if (strncasecmp(p, "json", 4) == 0)
			return true;
	return false;
}

/* "text/html; charset=utf-8" as far as it is printable, for messages. */
static char *content_type(const net_response_t *r)
{
	const char *ct = net_response_header(r, "Content-Type");
	size_t n = 0;
	while (ct && ct[n] && n < 60 && (unsigned char)ct[n] >= 0x20 && (unsigned char)ct[n] < 0x7F)
		n++;
	return n ? xstrndup(ct, n) : xstrdup("no type");
}

static bool parse_uint(const char *s, int64_t *out)
{
	while (s && (*s == ' ' || *s == '\t'))
		s++;
	if (!s || !(*s >= '0' && *s <= '9'))
		return false;
	int64_t v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > 100000000000LL)
			return false;
		v = v * 10 + (*s - '0');
	}
	while (*s == ' ' || *s == '\t')
		s++;
	*out = v;
	return *s == '\0';
}

/* When the rate limit lifts, in local wall-clock seconds, from Retry-After
 * (seconds or an HTTP date) or X-RateLimit-Reset (ISO 8601); 0 when the
 * response does not say.  Absolute times are taken relative to the server's
 * Date header when there is one, so a wrong local clock (a Pi without a
 * real-time clock before NTP) does not stretch the wait.  Bounded at 30
 * days; the poller cuts every wait to a day and says so in the log. */
static int64_t retry_time(const source_t *s, const net_response_t *r)
{
	int64_t server_now = s->now, t, delta;
	bool known = false;
	if (time_parse_http_date(net_response_header(r, "Date"), &t))
		server_now = t;
	const char *ra = net_response_header(r, "Retry-After");
	if (parse_uint(ra, &delta)) {
		known = true;
	} else if (time_parse_http_date(ra, &t)) {
		delta = t - server_now;
		known = true;
	} else if (time_parse_iso8601(net_response_header(r, "X-RateLimit-Reset"), &t)) {
		delta = t - server_now;
		known = true;
	}
	if (!known)
		return 0;
	if (delta < 0)
		delta = 0;
	if (delta > MAX_RETRY_S)
		delta = MAX_RETRY_S;
	return s->now + delta;
}

/* Ends the cycle, committing what it learnt.  With a gap still open the
 * mark moves only as far as min_id paging got (the cursor): the posts between
 * there and the NEWEST page follow on the next cycle. */
static source_status_t cycle_complete(source_t *s, source_batch_t *b)
{
	mstate_t *st = s->priv;
	const char *mark = st->gap_open ? st->cursor : st->cycle_newest;
	if (mark && (!st->newest_id || id_compare(mark, st->newest_id) > 0))
		set_str(&st->newest_id, mark);
	/* an open gap forgets the NEWEST page's ETag: a restart's reconciling
	 * fetch must see the page again (not a 304) to find the gap again */
	for (size_t i = 0; i < st->n_pending && !st->gap_open; i++)
		etag_remember(st, st->pending[i].url, st->pending[i].etag);
	pending_clear(st);
	st->phase = PH_DONE;
	if (st->limited) {
		b->retry_at = st->limited_until;
		source_batch_message(b, "rate limit reached: no more requests until the server's reset");
	} else if (st->n_invalid) {
		source_batch_message(b, "skipped %zu malformed status%s", st->n_invalid, st->n_invalid == 1 ? "" : "es");
	}
	if (b->posts.len == 0 && !b->authoritative)
		return SRC_NOT_MODIFIED;
	return SRC_DONE;
}

static source_status_t cycle_failed(mstate_t *st, source_status_t status)
{
	pending_clear(st);
	st->phase = PH_DONE;
	return status;
}

static source_status_t handle_lookup(source_t *s, cJSON *root, source_batch_t *b)
{
	mstate_t *st = s->priv;
	const char *id = id_field(root, "id");
	if (!id) {
		source_batch_message(b, "account lookup for @%s@%s: no account id in the response", s->spec->handle,
		                     st->host ? st->host : "?");
		return cycle_failed(st, SRC_ERR_DATA);
	}
	set_str(&st->account_id, id);
	st->phase = PH_NEWEST;
	return SRC_CONTINUE;
}

static void raise_newest(mstate_t *st, const char *id)
{
	if (id && (!st->cycle_newest || id_compare(id, st->cycle_newest) > 0))
		set_str(&st->cycle_newest, id);
}

static source_status_t handle_page(source_t *s, const cJSON *root, const net_response_t *r, source_batch_t *b)
{
	mstate_t *st = s->priv;
	page_t pg;
	parse_page(root, s->spec, &b->posts, &pg);
	st->pages++;
	st->n_invalid += pg.n_invalid;
	const char *etag = net_response_header(r, "ETag");
	if (valid_etag(etag) && st->n_pending < sizeof st->pending / sizeof st->pending[0])
		st->pending[st->n_pending++] = (etag_t){ xstrdup(st->url), xstrdup(etag) };
	raise_newest(st, pg.newest_id);

	if (st->phase == PH_NEWEST) {
		/* An empty newest page would say "everything was deleted"; a server
		 * hiccup says that too, so only a non-empty page is authoritative.
		 * A page with malformed entries is not either: a cached post missing
		 * from it may be one of the entries that could not be read. */
		if (pg.count > 0 && pg.n_invalid == 0 && (pg.count < PAGE_LIMIT || pg.have_created)) {
			b->authoritative = true;
			b->window_start = pg.count < PAGE_LIMIT ? 0 : pg.oldest_created;
		}
		/* more new posts than one page since last time: fill the gap,
		 * from the old mark up to this page, now or in later cycles */
		st->gap_open = st->newest_id && pg.count >= PAGE_LIMIT && pg.oldest_id &&
		               id_compare(pg.oldest_id, st->newest_id) > 0;
		if (st->gap_open && !st->limited && st->pages < MAX_PAGES) {
			set_str(&st->stop_at, pg.oldest_id);
			set_str(&st->cursor, st->newest_id);
			st->phase = PH_PAGE;
			return SRC_CONTINUE;
		}
		return cycle_complete(s, b);
	}

	/* PH_PAGE: min_id paging until an empty page.  A server that has
	 * nothing above the cursor although the NEWEST page showed more (posts
	 * deleted meanwhile) has no gap left to fill. */
	if (pg.count == 0 || !pg.newest_id || (st->cursor && id_compare(pg.newest_id, st->cursor) <= 0)) {
		st->gap_open = false;
		return cycle_complete(s, b);
	}
	set_str(&st->cursor, pg.newest_id);
	if (st->stop_at && id_compare(pg.newest_id, st->stop_at) >= 0) {
		st->gap_open = false; /* paging reached the NEWEST page */
		return cycle_complete(s, b);
	}
	if (st->limited || st->pages >= MAX_PAGES)
		return cycle_complete(s, b);
	return SRC_CONTINUE;
}

static source_status_t handle_error_status(source_t *s, const net_response_t *r, source_batch_t *b)
{
	mstate_t *st = s->priv;
	const char *handle = s->spec->handle ? s->spec->handle : "?";
	const char *host = st->host ? st->host : "?";
	int code = r->status;
	char *detail = server_error(r);
	char *said = detail ? xasprintf("HTTP %d: \"%s\"", code, detail) : xasprintf("HTTP %d", code);
	free(detail);
	source_status_t status;
	if (code == 401 || code == 403 || code == 422) {
		if (s->token)
			source_batch_message(b, "%s rejected the token (%s)", host, said);
		else
			source_batch_message(b, "server requires a token: set mastodon_token = FILE (%s)", said);
		status = SRC_ERR_AUTH;
	} else if (code == 404 || code == 410) {
		if (s->spec->kind == SRC_HASHTAG && code == 404) {
			/* an unknown tag is a tag without posts */
			free(said);
			return cycle_complete(s, b);
		}
		if (st->phase == PH_LOOKUP) {
			source_batch_message(b, "account @%s not found on %s (%s)", handle, host, said);
		} else {
			source_batch_message(b, "account @%s@%s (id %s) no longer found (%s); will look it up again",
			                     handle, host, st->account_id ? st->account_id : "?", said);
			/* a new account id starts paging afresh */
			free(st->account_id);
			free(st->newest_id);
			st->account_id = st->newest_id = NULL;
		}
		status = SRC_ERR_NOT_FOUND;
	} else if (code == 429) {
		b->retry_at = retry_time(s, r);
		source_batch_message(b, "rate limited by %s (%s)", host, said);
		status = SRC_ERR_RATE;
	} else if (code >= 500 || code == 408) {
		source_batch_message(b, "server error from %s (%s)", host, said);
		status = SRC_ERR_NETWORK;
	} else {
		source_batch_message(b, "unexpected answer from %s (%s)", host, said);
		status = SRC_ERR_DATA;
	}
	free(said);
	return cycle_failed(st, status);
}

static source_status_t mastodon_handle(source_t *s, const net_response_t *r, source_batch_t *b)
{
	mstate_t *st = s->priv;
	if (!r) /* next_request() had nothing more to ask: the cycle is complete */
		return SRC_DONE;
	assert(st->phase != PH_DONE && "handle() without a request");
	if (r->error != NET_OK) {
		source_batch_message(b, "%s%s%s", net_error_name(r->error), r->error_text ? ": " : "",
		                     r->error_text ? r->error_text : "");
		return cycle_failed(st, r->error == NET_ERR_URL ? SRC_ERR_CONFIG : SRC_ERR_NETWORK);
	}
	int64_t remaining;
	if (parse_uint(net_response_header(r, "X-RateLimit-Remaining"), &remaining) && remaining == 0) {
		st->limited = true;
		st->limited_until = retry_time(s, r);
	}
	if (r->status == 304) {
		if (st->phase == PH_LOOKUP) {
			source_batch_message(b, "unexpected answer from %s (HTTP 304)", st->host ? st->host : "?");
			return cycle_failed(st, SRC_ERR_DATA);
		}
		return cycle_complete(s, b); /* the same page as last time: nothing new */
	}
	if (r->status < 200 || r->status > 299)
		return handle_error_status(s, r, b);
	if (!content_is_json(r)) {
		char *ct = content_type(r);
		source_batch_message(b, "expected JSON from %s but got %s (an error page?)", st->host ? st->host : "?", ct);
		free(ct);
		return cycle_failed(st, SRC_ERR_DATA);
	}
	cJSON *root = cJSON_ParseWithLength(r->body, r->body_len);
	source_status_t status;
	if (!root) {
		source_batch_message(b, "response from %s is not valid JSON (%zu bytes)", st->host ? st->host : "?",
		                     r->body_len);
		status = cycle_failed(st, SRC_ERR_DATA);
	} else if (st->phase == PH_LOOKUP) {
		status = handle_lookup(s, root, b);
	} else if (!cJSON_IsArray(root)) {
		char *detail = plain_text(json_str(root, "error"), 120, false);
		source_batch_message(b, "expected a list of statuses from %s%s%s%s", st->host ? st->host : "?",
		                     detail ? " (server said: \"" : "", detail ? detail : "", detail ? "\")" : "");
		free(detail);
		status = cycle_failed(st, SRC_ERR_DATA);
	} else {
		status = handle_page(s, root, r, b);
	}
	cJSON_Delete(root);
	return status;
}

const source_ops_t mastodon_source_ops = {
	.name = "mastodon",
	.init = mastodon_init,
	.begin = mastodon_begin,
	.next_request = mastodon_next_request,
	.handle = mastodon_handle,
	.save_state = mastodon_save_state,
	.destroy = mastodon_destroy,
};
