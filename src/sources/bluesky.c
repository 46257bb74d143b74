/*
 * bluesky: see bluesky.h.
 *
 * Account sources make one request per cycle: the first page of the
 * account's feed on the public AppView (no login, ETag revalidation).  That
 * page is authoritative from its oldest entry on (the whole feed when it has
 * no cursor), so a post deleted upstream disappears from the screen; the
 * page's keys and sort times are kept in the state, so that an entry gone
 * from it (a withdrawn repost of an old post) is reported deleted too.
 *
 * Hashtag sources need a session on the login server (network.bluesky_login):
 * the token file holds "handle\napp-password".  The session (access and
 * refresh JWT) lives in the source's saved state, in the cache directory
 * (mode 0700), so restarts do not log in again.  A cycle is a small state
 * machine: search with the access JWT while it is valid; else refresh it;
 * else create a session, but never more than once per five minutes
 * (Bluesky allows 30 logins per 5 minutes and 300 a day per account) and
 * never before a 429's reset.  A session the server rejects is refreshed
 * or recreated once per cycle, never in a loop.  After the search, a
 * re-check cycle asks app.bsky.feed.getPosts for the results shown before
 * (see bluesky.h); a failing re-check costs the cycle nothing but the
 * re-check.
 */
#include "bluesky.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/log.h"
#include "../base/strbuf.h"
#include "../base/url.h"
#include "../base/xmalloc.h"
#include "json.h"
#include "keylist.h"
#include "timeparse.h"
#include "wire.h"

#define DEFAULT_APPVIEW "https://public.api.bsky.app"
#define DEFAULT_LOGIN "https://bsky.social"
#define FEED_LIMIT 30
#define SEARCH_LIMIT 25
#define MAX_IMAGES 10
#define MAX_FACETS 256
#define LOGIN_MIN_INTERVAL_S 300
#define ACCESS_MARGIN_S 60
#define ACCESS_ASSUMED_S (90 * 60)   /* when the JWT's exp cannot be read */
#define MAX_STEPS_PER_CYCLE 5  /* session and search requests; re-checks are bounded by their list */
#define MAX_URI 1024           /* longer at-uris are not remembered */

/* ---- small JSON helpers -------------------------------------------------- */

static bool type_is(const cJSON *o, const char *t)
{
	const char *ty = json_str(o, "$type");
	return ty && strcmp(ty, t) == 0;
}

/* ---- time ---------------------------------------------------------------- */

static bool iso_time(const char *s, int64_t *out)
{
	return s && time_parse_iso8601(s, out);
}

/* ---- labels -------------------------------------------------------------- */

static bool value_hides(const char *v)
{
	static const char *const hide[] = { "!hide", "!no-unauthenticated", "porn", "sexual",
	                                     "graphic-media" };
	for (size_t i = 0; i < sizeof hide / sizeof *hide; i++)
		if (strcmp(v, hide[i]) == 0)
			return true;
	return false;
}

static bool value_warns(const char *v)
{
	return strcmp(v, "!warn") == 0 || strcmp(v, "nudity") == 0;
}

/* Whether an active label with a value for which pred() holds is present.
 * labels: an array of label objects, or a selfLabels object {values:[{val}]}. */
static bool labels_match(const cJSON *labels, int64_t now, bool (*pred)(const char *))
{
	if (cJSON_IsObject(labels))
		labels = json_get(labels, "values");
	if (!cJSON_IsArray(labels))
		return false;
	const cJSON *l;
	cJSON_ArrayForEach(l, labels) {
		const char *val = json_str(l, "val");
		if (!val || !pred(val) || json_true(l, "neg"))
			continue;
		int64_t exp;
		const char *e = json_str(l, "exp");
		if (e && iso_time(e, &exp) && exp <= now)
			continue;
		/* a later negation from the same labeler cancels it */
		const char *src = json_str(l, "src");
		bool negated = false;
		const cJSON *m;
		cJSON_ArrayForEach(m, labels) {
			const char *mval = json_str(m, "val"), *msrc = json_str(m, "src");
			if (m != l && json_true(m, "neg") && mval && strcmp(mval, val) == 0 &&
			    ((!src && !msrc) || (src && msrc && strcmp(src, msrc) == 0)))
				negated = true;
		}
		if (!negated)
			return true;
	}
	return false;
}

bool bluesky_labels_hide(const cJSON *labels, int64_t now)
{
	return labels_match(labels, now, value_hides);
}

static bool is_bot_label(const char *v)
{
	return strcmp(v, "bot") == 0;
}

/* ---- authors ------------------------------------------------------------- */

static char *trimmed_or_null(const char *s)
{
	if (!s)
		return NULL;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return n ? xstrndup(s, n) : NULL;
}

/* A handle, DID or record key for a bsky.app URL path: kept as is when it
 * holds only characters those may contain, else percent-encoded.  Caller frees. */
static char *path_part(const char *s)
{
	size_t n = strlen(s);
	if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:~") == n)
		return xstrdup(s);
	return url_encode(s);
}

/* profileViewBasic -> author; false when it has no did and no handle. */
static bool author_from(const cJSON *prof, int64_t now, author_t *a)
{
	const char *did = json_nstr(prof, "did"), *handle = json_nstr(prof, "handle");
	if (!did && !handle)
		return false;
	a->id = xstrdup(did);
	const char *h = handle && strcmp(handle, "handle.invalid") != 0 ? handle : NULL;
	a->handle = h ? xasprintf("@%s", h) : xstrdup(did);
	a->name = trimmed_or_null(json_str(prof, "displayName"));
	if (!a->name)
		a->name = xstrdup(h ? h : did);
	char *enc = path_part(h ? h : did);
	a->url = xasprintf("https://bsky.app/profile/%s", enc);
	free(enc);
	a->avatar_url = xstrdup(json_nstr(prof, "avatar"));
	a->bot = labels_match(json_get(prof, "labels"), now, is_bot_label);
	return true;
}

/* The DID part of "at://did:plc:x/collection/rkey", or NULL.  Caller frees. */
static char *uri_did(const char *uri)
{
	if (!uri || strncmp(uri, "at://", 5) != 0)
		return NULL;
	const char *d = uri + 5;
	size_t n = strcspn(d, "/");
	return n ? xstrndup(d, n) : NULL;
}

/* The record key (last path segment) of an at-uri, or NULL. */
static const char *uri_rkey(const char *uri)
{
	const char *slash = uri ? strrchr(uri, '/') : NULL;
	return slash && slash[1] ? slash + 1 : NULL;
}

static char *post_web_url(const author_t *a, const char *did, const char *uri)
{
	const char *rkey = uri_rkey(uri);
	if (!rkey)
		return NULL;
	const char *who = a->handle && a->handle[0] == '@' ? a->handle + 1 : did;
	if (!who)
		return NULL;
	char *ew = path_part(who), *er = path_part(rkey);
	char *u = xasprintf("https://bsky.app/profile/%s/post/%s", ew, er);
	free(ew);
	free(er);
	return u;
}

/* ---- facets -------------------------------------------------------------- */

typedef struct {
	uint32_t start, end;
	span_kind_t kind;
	const char *target;   /* borrowed from the JSON */
	char *owned;          /* when target had to be built */
	size_t order;
} facet_t;

static int facet_cmp(const void *a, const void *b)
{
	const facet_t *fa = a, *fb = b;
	if (fa->start != fb->start)
		return fa->start < fb->start ? -1 : 1;
	return fa->order < fb->order ? -1 : fa->order > fb->order;
}

static bool on_boundary(const char *text, size_t len, size_t i)
{
	return i == len || ((unsigned char)text[i] & 0xC0) != 0x80;
}

size_t bluesky_apply_facets(post_t *p, const cJSON *facets)
{
	if (!cJSON_IsArray(facets))
		return 0;
	size_t len = strlen(p->text), dropped = 0, n = 0;
	int count = cJSON_GetArraySize(facets);
	if (count <= 0)
		return 0;
	if (count > MAX_FACETS) {
		dropped += (size_t)count - MAX_FACETS;
		count = MAX_FACETS;
	}
	facet_t *fs = xcalloc((size_t)count, sizeof *fs);
	const cJSON *f;
	int seen = 0;
	cJSON_ArrayForEach(f, facets) {
		if (seen++ >= count)
			break;
		const cJSON *idx = json_get(f, "index");
		long long s = json_int(idx, "byteStart", 0, (long long)len, -1);
		long long e = json_int(idx, "byteEnd", 0, (long long)len, -1);
		if (s < 0 || e < 0 || s >= e || !on_boundary(p->text, len, (size_t)s) ||
		    !on_boundary(p->text, len, (size_t)e)) {
			dropped++;
			continue;
		}
		facet_t fc = { .start = (uint32_t)s, .end = (uint32_t)e, .order = n };
		bool known = false;
		const cJSON *feat;
		cJSON_ArrayForEach(feat, json_get(f, "features")) {
			const char *uri, *did, *tag;
			if (type_is(feat, "app.bsky.richtext.facet#link") && (uri = json_nstr(feat, "uri"))) {
				fc.kind = SPAN_LINK;
				fc.target = uri;
			} else if (type_is(feat, "app.bsky.richtext.facet#mention") && (did = json_nstr(feat, "did"))) {
				fc.kind = SPAN_MENTION;
				char *enc = path_part(did);
				fc.owned = xasprintf("https://bsky.app/profile/%s", enc);
				free(enc);
				fc.target = fc.owned;
			} else if (type_is(feat, "app.bsky.richtext.facet#tag") && (tag = json_nstr(feat, "tag"))) {
				fc.kind = SPAN_HASHTAG;
				fc.target = tag;
			} else {
				continue;
			}
			known = true;
			break;
		}
		if (!known) {
			dropped++;
			continue;
		}
		fs[n++] = fc;
	}
	qsort(fs, n, sizeof *fs, facet_cmp);
	uint32_t last_end = 0;
	for (size_t i = 0; i < n; i++) {
		if (fs[i].start < last_end) {
			dropped++; /* overlaps the one before: renderers drop it */
		} else {
			post_add_span(p, fs[i].kind, fs[i].start, fs[i].end, fs[i].target);
			last_end = fs[i].end;
		}
		free(fs[i].owned);
	}
	free(fs);
	return dropped;
}

/* ---- embeds -------------------------------------------------------------- */

static void add_image(post_t *p, media_kind_t kind, const char *url, const char *preview,
                      const char *alt, const cJSON *aspect)
{
	if (!url || p->n_media >= MAX_IMAGES)
		return;
	media_t *m = post_add_media(p);
	m->kind = kind;
	m->url = xstrdup(url);
	m->preview_url = xstrdup(preview);
	m->alt = xstrdup(alt && *alt ? alt : NULL);
	m->width = (int)json_int(aspect, "width", 1, 100000, 0);
	m->height = (int)json_int(aspect, "height", 1, 100000, 0);
}

static void card_set(post_t *p, const char *url, const char *title, const char *desc, const char *img)
{
	if (p->card || !url)
		return;
	p->card = xcalloc(1, sizeof *p->card);
	p->card->url = xstrdup(url);
	p->card->title = xstrdup(title && *title ? title : NULL);
	p->card->description = xstrdup(desc && *desc ? desc : NULL);
	p->card->image_url = xstrdup(img);
}

/* Images, video, gallery or an external card: the media part of an embed. */
static void embed_media(post_t *p, const cJSON *e)
{
	const cJSON *it;
	if (type_is(e, "app.bsky.embed.images#view")) {
		cJSON_ArrayForEach(it, json_get(e, "images"))
			add_image(p, MEDIA_IMAGE, json_nstr(it, "fullsize") ? json_nstr(it, "fullsize") : json_nstr(it, "thumb"),
			          json_nstr(it, "thumb"), json_str(it, "alt"), json_get(it, "aspectRatio"));
	} else if (type_is(e, "app.bsky.embed.gallery#view")) {
		cJSON_ArrayForEach(it, json_get(e, "items"))
			add_image(p, MEDIA_IMAGE, json_nstr(it, "fullsize") ? json_nstr(it, "fullsize") : json_nstr(it, "thumbnail"),
			          json_nstr(it, "thumbnail"), json_str(it, "alt"), json_get(it, "aspectRatio"));
	} else if (type_is(e, "app.bsky.embed.video#view")) {
		/* shown as its thumbnail: the screen plays no video */
		const char *thumb = json_nstr(e, "thumbnail");
		if (thumb)
			add_image(p, MEDIA_VIDEO, json_nstr(e, "playlist") ? json_nstr(e, "playlist") : thumb, thumb,
			          json_str(e, "alt"), json_get(e, "aspectRatio"));
	} else if (type_is(e, "app.bsky.embed.external#view")) {
		const cJSON *x = json_get(e, "external");
		card_set(p, json_nstr(x, "uri"), json_str(x, "title"), json_str(x, "description"), json_nstr(x, "thumb"));
	}
	/* anything else (new embed types): ignored */
}

/* First image URL of a quoted post's embeds, for its card. */
static const char *quote_image(const cJSON *embeds)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, embeds) {
		const cJSON *m = type_is(e, "app.bsky.embed.recordWithMedia#view") ? json_get(e, "media") : e;
		const cJSON *first;
		if (type_is(m, "app.bsky.embed.images#view") &&
		    (first = cJSON_GetArrayItem(json_get(m, "images"), 0)))
			return json_nstr(first, "thumb");
		if (type_is(m, "app.bsky.embed.gallery#view") &&
		    (first = cJSON_GetArrayItem(json_get(m, "items"), 0)))
			return json_nstr(first, "thumbnail");
		if (type_is(m, "app.bsky.embed.video#view"))
			return json_nstr(m, "thumbnail");
		if (type_is(m, "app.bsky.embed.external#view"))
			return json_nstr(json_get(m, "external"), "thumb");
	}
	return NULL;
}

/* Cut s to at most max bytes at a character boundary, adding "…". */
static char *cut_text(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return xstrdup(s);
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	while (max > 0 && (s[max - 1] == ' ' || s[max - 1] == '\n'))
		max--;
	return xasprintf("%.*s…", (int)max, s);
}

/* A quoted post (record#view holding a viewRecord) as a card "author: text". */
static void embed_quote(post_t *p, const cJSON *recview, int64_t now)
{
	const cJSON *rec = json_get(recview, "record");
	if (!type_is(rec, "app.bsky.embed.record#viewRecord"))
		return; /* not found, blocked, detached, feeds, lists...: nothing to show */
	const cJSON *auth = json_get(rec, "author");
	if (bluesky_labels_hide(json_get(rec, "labels"), now) || bluesky_labels_hide(json_get(auth, "labels"), now) ||
	    bluesky_labels_hide(json_get(json_get(rec, "value"), "labels"), now))
		return;
	author_t a = { 0 };
	if (!author_from(auth, now, &a))
		return;
	const char *uri = json_nstr(rec, "uri");
	char *url = post_web_url(&a, a.id, uri);
	const char *text = json_str(json_get(rec, "value"), "text");
	char *body = cut_text(text ? text : "", BLUESKY_QUOTE_MAX);
	char *title = *body ? xasprintf("%s: %s", a.name, body) : xstrdup(a.name);
	card_set(p, url, title, NULL, quote_image(json_get(rec, "embeds")));
	free(title);
	free(body);
	free(url);
	author_clear(&a);
}

static void apply_embed(post_t *p, const cJSON *e, int64_t now)
{
	if (!cJSON_IsObject(e))
		return;
	if (type_is(e, "app.bsky.embed.record#view")) {
		embed_quote(p, e, now);
	} else if (type_is(e, "app.bsky.embed.recordWithMedia#view")) {
		embed_quote(p, json_get(e, "record"), now);
		embed_media(p, json_get(e, "media"));
	} else {
		embed_media(p, e);
	}
}

/* ---- posts --------------------------------------------------------------- */

static void count(bluesky_stats_t *st, size_t *field)
{
	if (st)
		(*field)++;
}

post_t *bluesky_post_from_view(const cJSON *view, const source_spec_t *spec, int64_t now,
                               bluesky_stats_t *st)
{
	bluesky_stats_t dummy;
	if (!st) {
		memset(&dummy, 0, sizeof dummy);
		st = &dummy;
	}
	const char *uri = json_nstr(view, "uri");
	const cJSON *auth = json_get(view, "author"), *rec = json_get(view, "record");
	if (!uri || strncmp(uri, "at://", 5) != 0 || !cJSON_IsObject(auth) || !cJSON_IsObject(rec)) {
		count(st, &st->malformed);
		return NULL;
	}
	if (bluesky_labels_hide(json_get(view, "labels"), now) || bluesky_labels_hide(json_get(rec, "labels"), now) ||
	    bluesky_labels_hide(json_get(auth, "labels"), now)) {
		count(st, &st->hidden);
		return NULL;
	}
	post_t *p = post_new();
	if (!author_from(auth, now, &p->author)) {
		post_free(p);
		count(st, &st->malformed);
		return NULL;
	}
	p->network = NET_BLUESKY;
	p->key = xasprintf("bluesky:%s", uri);
	p->id = xstrdup(uri);
	p->url = post_web_url(&p->author, p->author.id, uri);
	p->visibility = VIS_PUBLIC;
	if (spec) {
		p->source = xstrdup(spec->key);
		p->person = xstrdup(spec->person);
	}

	/* sortAt = min(createdAt, indexedAt): createdAt is what the client
	 * claims and may lie in the future */
	int64_t created = 0, indexed = 0;
	bool hc = iso_time(json_str(rec, "createdAt"), &created);
	bool hi = iso_time(json_str(view, "indexedAt"), &indexed);
	if (hc && hi)
		p->created = created < indexed ? created : indexed;
	else if (hc || hi)
		p->created = hc ? created : indexed;
	else
		p->created = now;

	const char *text = json_str(rec, "text");
	free(p->text);
	p->text = xstrdup(text ? text : "");
	st->bad_facets += bluesky_apply_facets(p, json_get(rec, "facets"));

	const cJSON *langs = json_get(rec, "langs");
	const cJSON *l0 = cJSON_IsArray(langs) ? cJSON_GetArrayItem(langs, 0) : NULL;
	if (cJSON_IsString(l0) && l0->valuestring) {
		size_t n = strspn(l0->valuestring, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
		if (n >= 2 && n <= 3) {
			p->lang = xstrndup(l0->valuestring, n);
			for (char *c = p->lang; *c; c++)
				*c = (char)tolower((unsigned char)*c);
		}
	}
	p->sensitive = labels_match(json_get(view, "labels"), now, value_warns) ||
	               labels_match(json_get(rec, "labels"), now, value_warns);

	/* a reply to someone else; a reply in one's own thread is not */
	const cJSON *reply = json_get(rec, "reply");
	if (reply) {
		char *parent_did = uri_did(json_str(json_get(reply, "parent"), "uri"));
		p->reply = !parent_did || !p->author.id || strcmp(parent_did, p->author.id) != 0;
		free(parent_did);
	}
	apply_embed(p, json_get(view, "embed"), now);
	return p;
}

/* Keep p according to the spec's reply/boost choices. */
static bool spec_keeps(const source_spec_t *spec, const post_t *p, bluesky_stats_t *st)
{
	if (!spec)
		return true;
	if (p->reply && !spec->include_replies) {
		count(st, &st->replies);
		return false;
	}
	if (p->booster && !spec->include_boosts) {
		count(st, &st->reposts);
		return false;
	}
	return true;
}

/* Where an entry sorts in an author feed, also for entries we drop: the
 * repost time for reposts, else min(createdAt, indexedAt); 0 when unknown. */
static int64_t entry_time(const cJSON *item)
{
	int64_t t, c, i;
	const cJSON *reason = json_get(item, "reason"), *post = json_get(item, "post");
	if (type_is(reason, "app.bsky.feed.defs#reasonRepost") && iso_time(json_str(reason, "indexedAt"), &t))
		return t;
	bool hc = iso_time(json_str(json_get(post, "record"), "createdAt"), &c);
	bool hi = iso_time(json_str(post, "indexedAt"), &i);
	if (hc && hi)
		return c < i ? c : i;
	return hc ? c : hi ? i : 0;
}

static void note_oldest(bluesky_stats_t *st, int64_t t)
{
	if (t > 0 && (st->oldest == 0 || t < st->oldest))
		st->oldest = t;
}

/* bluesky_parse_author_feed(), also noting each returned post's key and
 * sort time in entries (may be NULL). */
static bool parse_author_feed(const char *body, size_t len, const source_spec_t *spec, int64_t now,
                              post_list_t *out, bluesky_stats_t *st, keylist_t *entries, char **err)
{
	bluesky_stats_t dummy;
	if (!st)
		st = &dummy;
	memset(st, 0, sizeof *st);
	cJSON *root = json_parse_body(body, len, false, err);
	if (!root)
		return false;
	const cJSON *feed = json_get(root, "feed");
	if (!cJSON_IsArray(feed)) {
		*err = xstrdup("the response has no \"feed\" list");
		cJSON_Delete(root);
		return false;
	}
	st->more = json_nstr(root, "cursor") != NULL;
	const cJSON *item;
	cJSON_ArrayForEach(item, feed) {
		const cJSON *reason = json_get(item, "reason");
		bool repost = type_is(reason, "app.bsky.feed.defs#reasonRepost");
		note_oldest(st, entry_time(item));
		post_t *p = bluesky_post_from_view(json_get(item, "post"), spec, now, st);
		if (!p)
			continue;
		if (repost) {
			author_t by = { 0 };
			if (author_from(json_get(reason, "by"), now, &by)) {
				p->booster = xcalloc(1, sizeof *p->booster);
				*p->booster = by;
			}
			const char *ruri = json_nstr(reason, "uri");
			free(p->key);
			if (ruri && strncmp(ruri, "at://", 5) == 0)
				p->key = xasprintf("bluesky:%s", ruri);
			else
				p->key = xasprintf("bluesky:%s#repost:%s", p->id,
				                   p->booster && p->booster->id ? p->booster->id : "?");
			/* created stays the original's, as for Mastodon boosts */
			p->reply = false;  /* someone else's reply, reposted: shown as a repost */
		}
		if (!spec_keeps(spec, p, st) || post_list_find(out, p->key) >= 0) {
			post_free(p);
			continue;
		}
		if (entries && strlen(p->key) <= MAX_URI)
			keylist_put(entries, p->key, entry_time(item), 2 * FEED_LIMIT);
		post_list_push(out, p);
		st->posts++;
	}
	cJSON_Delete(root);
	return true;
}

bool bluesky_parse_author_feed(const char *body, size_t len, const source_spec_t *spec,
                               int64_t now, post_list_t *out, bluesky_stats_t *st, char **err)
{
	return parse_author_feed(body, len, spec, now, out, st, NULL, err);
}

bool bluesky_parse_search(const char *body, size_t len, const source_spec_t *spec,
                          int64_t now, post_list_t *out, bluesky_stats_t *st, char **err)
{
	bluesky_stats_t dummy;
	if (!st)
		st = &dummy;
	memset(st, 0, sizeof *st);
	cJSON *root = json_parse_body(body, len, false, err);
	if (!root)
		return false;
	const cJSON *posts = json_get(root, "posts");
	if (!cJSON_IsArray(posts)) {
		*err = xstrdup("the response has no \"posts\" list");
		cJSON_Delete(root);
		return false;
	}
	const cJSON *item;
	cJSON_ArrayForEach(item, posts) {
		post_t *p = bluesky_post_from_view(item, spec, now, st);
		if (!p)
			continue;
		note_oldest(st, p->created);
		if ((spec && p->reply && !spec->include_replies) || post_list_find(out, p->key) >= 0) {
			if (p->reply)
				st->replies++;
			post_free(p);
			continue;
		}
		post_list_push(out, p);
		st->posts++;
	}
	cJSON_Delete(root);
	return true;
}

/* ---- JWT ----------------------------------------------------------------- */

static int b64url_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || c == '+')
		return 62;
	if (c == '_' || c == '/')
		return 63;
	return -1;
}

int64_t bluesky_jwt_exp(const char *jwt)
{
	if (!jwt)
		return 0;
	const char *dot = strchr(jwt, '.');
	if (!dot)
		return 0;
	const char *pl = dot + 1;
	size_t n = strcspn(pl, ".");
	if (n == 0 || n > 8192)
		return 0;
	char *out = xmalloc(n + 1);
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		if (pl[i] == '=')
			break;
		int v = b64url_val(pl[i]);
		if (v < 0) {
			free(out);
			return 0;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xFF);
		}
	}
	out[o] = '\0';
	cJSON *claims = cJSON_ParseWithLength(out, o);
	free(out);
	int64_t exp = (int64_t)json_int(claims, "exp", 1, 1LL << 40, 0);
	cJSON_Delete(claims);
	return exp;
}

/* ---- the adapter --------------------------------------------------------- */

typedef enum { PH_NONE, PH_FEED, PH_LOGIN, PH_REFRESH, PH_SEARCH, PH_RECHECK } phase_t;

typedef struct {
	bool hashtag;
	char *subject;          /* actor (handle or DID, no '@') or tag (no '#') */
	char *base;             /* AppView (accounts) or login server (hashtags) */
	char *etag;             /* of the last author-feed page */
	/* session (hashtags) */
	char *ident;            /* the identifier the session belongs to */
	char *did;
	char *access, *refresh;
	int64_t access_exp, refresh_exp;
	int64_t last_login;     /* wall time of the last createSession attempt */
	int64_t blocked_until;  /* no login before (429, or a failed login) */
	keylist_t page;         /* accounts: keys and sort times of the last feed page */
	keylist_t known;        /* hashtags: at-uris shown (and their dates), to re-check */
	/* this run */
	uint64_t cycles;
	/* cycle */
	phase_t phase;
	int steps;
	bool searched;          /* hashtags: the search of this cycle is done */
	bool recheck;           /* hashtags: re-check the known results this cycle */
	char **check;           /* at-uris to re-check this cycle */
	size_t n_check, cap_check, at_check, n_asked;
	source_status_t pending;  /* result when next_request has nothing to send */
	char *pending_msg;
} bsky_t;

static void check_clear(bsky_t *b)
{
	for (size_t i = 0; i < b->n_check; i++)
		free(b->check[i]);
	free(b->check);
	b->check = NULL;
	b->n_check = b->cap_check = b->at_check = b->n_asked = 0;
}

static void clear_session(bsky_t *b, bool all)
{
	if (b->access)
		memset(b->access, 0, strlen(b->access));
	free(b->access);
	b->access = NULL;
	b->access_exp = 0;
	if (all) {
		if (b->refresh)
			memset(b->refresh, 0, strlen(b->refresh));
		free(b->refresh);
		free(b->did);
		free(b->ident);
		b->refresh = b->did = b->ident = NULL;
		b->refresh_exp = 0;
	}
}

static char *state_str(const cJSON *state, const char *name)
{
	const char *v = json_nstr(state, name);
	return wire_header_safe(v, 16384) ? xstrdup(v) : NULL;
}

static void b_init(source_t *s, const cJSON *state)
{
	bsky_t *b = xcalloc(1, sizeof *b);
	s->priv = b;
	b->hashtag = s->spec->kind == SRC_HASHTAG;
	const char *h = s->spec->handle ? s->spec->handle : "";
	while (*h == '@' || *h == '#')
		h++;
	b->subject = xstrdup(h);
	const char *base = s->spec->server;
	b->base = url_base(base && *base ? base : (b->hashtag ? DEFAULT_LOGIN : DEFAULT_APPVIEW));
	b->etag = state_str(state, "etag");
	const cJSON *sess = json_get(state, "session");
	if (sess) {
		b->ident = state_str(sess, "identifier");
		b->did = state_str(sess, "did");
		b->access = state_str(sess, "access");
		b->refresh = state_str(sess, "refresh");
		b->access_exp = (int64_t)json_int(sess, "access_exp", 0, 1LL << 40, 0);
		b->refresh_exp = (int64_t)json_int(sess, "refresh_exp", 0, 1LL << 40, 0);
	}
	b->last_login = (int64_t)json_int(state, "last_login", 0, 1LL << 40, 0);
	b->blocked_until = (int64_t)json_int(state, "blocked_until", 0, 1LL << 40, 0);
	keylist_load(&b->page, json_get(state, "page"), 2 * FEED_LIMIT, MAX_URI);
	keylist_load(&b->known, json_get(state, "known"), BLUESKY_RECHECK_MAX, MAX_URI);
}

static void b_begin(source_t *s)
{
	bsky_t *b = s->priv;
	b->phase = PH_NONE;
	b->steps = 0;
	/* the first cycle after a start re-checks too: posts may have been
	 * deleted while balie was not running */
	b->recheck = b->hashtag && b->cycles % BLUESKY_RECHECK_EVERY == 0;
	b->cycles++;
	b->searched = false;
	check_clear(b);
	b->pending = SRC_DONE;
	free(b->pending_msg);
	b->pending_msg = NULL;
}

static void set_pending(bsky_t *b, source_status_t st, char *msg)
{
	b->pending = st;
	free(b->pending_msg);
	b->pending_msg = msg;
}

/* Credentials from the token file: "handle\napp-password" (or both on one
 * line separated by white space).  false when malformed. */
static bool credentials(const char *token, char **ident, char **password)
{
	*ident = *password = NULL;
	if (!token)
		return false;
	const char *p = token;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p == '@')
		p++;
	size_t n = strcspn(p, " \t\r\n");
	if (!n)
		return false;
	const char *q = p + n;
	while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
		q++;
	size_t m = strcspn(q, " \t\r\n");
	if (!m)
		return false;
	*ident = xstrndup(p, n);
	*password = xstrndup(q, m);
	return true;
}

static net_request_t *json_request(const char *url)
{
	net_request_t *r = net_request_new(url);
	net_request_add_header(r, "Accept", "application/json");
	return r;
}

static net_request_t *feed_request(source_t *s, bsky_t *b)
{
	char *actor = url_encode(b->subject);
	char *url = xasprintf("%s/xrpc/app.bsky.feed.getAuthorFeed?actor=%s&filter=%s&limit=%d", b->base,
	                      actor, s->spec->include_replies ? "posts_with_replies" : "posts_and_author_threads",
	                      FEED_LIMIT);
	net_request_t *r = json_request(url);
	if (b->etag)
		net_request_add_header(r, "If-None-Match", b->etag);
	free(actor);
	free(url);
	b->phase = PH_FEED;
	return r;
}

/* app.bsky.feed.getPosts for the next BLUESKY_GETPOSTS_MAX at-uris to re-check. */
static net_request_t *recheck_request(bsky_t *b)
{
	strbuf_t url = STRBUF_INIT;
	strbuf_addf(&url, "%s/xrpc/app.bsky.feed.getPosts?", b->base);
	b->n_asked = 0;
	for (size_t i = b->at_check; i < b->n_check && b->n_asked < BLUESKY_GETPOSTS_MAX; i++) {
		char *enc = url_encode(b->check[i]);
		strbuf_addf(&url, "%suris=%s", b->n_asked ? "&" : "", enc);
		free(enc);
		b->n_asked++;
	}
	char *u = strbuf_take(&url);
	net_request_t *r = json_request(u);
	free(u);
	wire_bearer(r, b->access);
	b->phase = PH_RECHECK;
	return r;
}

static net_request_t *session_step(source_t *s, bsky_t *b)
{
	const char *tag = b->subject;
	char *ident, *password;
	if (!credentials(s->token, &ident, &password)) {
		set_pending(b, SRC_ERR_CONFIG,
		            xasprintf("hashtag #%s on Bluesky needs an app password: set bluesky_password = FILE "
		                      "for it, a file (mode 600) holding your Bluesky handle on the first line "
		                      "and an app password (Settings > Privacy and security > App passwords) "
		                      "on the second", tag));
		return NULL;
	}
	if (b->ident && strcmp(b->ident, ident) != 0)
		clear_session(b, true); /* the token file now names another account */
	int64_t now = s->now;
	net_request_t *r = NULL;
	if (b->access && b->access_exp > now + ACCESS_MARGIN_S && b->searched) {
		if (b->at_check < b->n_check)
			r = recheck_request(b); /* else the cycle is complete */
	} else if (b->access && b->access_exp > now + ACCESS_MARGIN_S) {
		char *q = url_encode(tag);
		char *url = xasprintf("%s/xrpc/app.bsky.feed.searchPosts?q=%%23%s&sort=latest&limit=%d",
		                      b->base, q, SEARCH_LIMIT);
		r = json_request(url);
		wire_bearer(r, b->access);
		free(url);
		free(q);
		b->phase = PH_SEARCH;
	} else if (b->refresh && (b->refresh_exp == 0 || b->refresh_exp > now + ACCESS_MARGIN_S)) {
		char *url = xasprintf("%s/xrpc/com.atproto.server.refreshSession", b->base);
		r = json_request(url);
		wire_bearer(r, b->refresh);
		/* a procedure without input: empty body, no content type */
		net_request_add_header(r, "Content-Type", "");
		r->post_body = xstrdup("");
		free(url);
		b->phase = PH_REFRESH;
	} else if (now < b->blocked_until || (b->last_login && now < b->last_login + LOGIN_MIN_INTERVAL_S)) {
		int64_t at = b->blocked_until > b->last_login + LOGIN_MIN_INTERVAL_S
		                     ? b->blocked_until : b->last_login + LOGIN_MIN_INTERVAL_S;
		set_pending(b, SRC_ERR_RATE,
		            xasprintf("waiting %lld s before logging in to Bluesky again "
		                      "(at most one login per %d minutes)",
		                      (long long)(at - now), LOGIN_MIN_INTERVAL_S / 60));
	} else {
		char *url = xasprintf("%s/xrpc/com.atproto.server.createSession", b->base);
		r = json_request(url);
		cJSON *body = cJSON_CreateObject();
		cJSON_AddStringToObject(body, "identifier", ident);
		cJSON_AddStringToObject(body, "password", password);
		r->post_body = cJSON_PrintUnformatted(body);
		cJSON_Delete(body);
		free(url);
		b->last_login = now;
		b->phase = PH_LOGIN;
		free(b->ident);
		b->ident = xstrdup(ident);
	}
	memset(password, 0, strlen(password));
	free(password);
	free(ident);
	return r;
}

static net_request_t *b_next_request(source_t *s)
{
	bsky_t *b = s->priv;
	if (b->pending != SRC_DONE)
		return NULL;
	bool rechecking = b->searched && b->access && b->access_exp > s->now + ACCESS_MARGIN_S;
	if (!rechecking && b->steps >= MAX_STEPS_PER_CYCLE) {
		set_pending(b, SRC_ERR_DATA, xstrdup("Bluesky keeps rejecting the session; trying again later"));
		return NULL;
	}
	if (!rechecking)
		b->steps++;
	if (!b->base) {
		set_pending(b, SRC_ERR_CONFIG,
		            xasprintf("Bluesky service URL %s is not allowed (https only; http only to this machine)",
		                      s->spec->server ? s->spec->server : "(none)"));
		return NULL;
	}
	if (!*b->subject) {
		set_pending(b, SRC_ERR_CONFIG, xstrdup("no Bluesky handle or hashtag given"));
		return NULL;
	}
	if (!b->hashtag) {
		if (b->phase != PH_NONE)
			return NULL;
		return feed_request(s, b);
	}
	return session_step(s, b);
}

/* Retry time from RateLimit-Reset / Retry-After, or now + fallback. */
static int64_t retry_time(const net_response_t *r, int64_t now, int64_t fallback)
{
	const char *v = net_response_header(r, "ratelimit-reset");
	char *end;
	if (v) {
		long long t = strtoll(v, &end, 10);
		if (end != v && t > now && t < now + 86400 * 2)
			return t;
	}
	v = net_response_header(r, "retry-after");
	if (v) {
		long long d = strtoll(v, &end, 10);
		if (end != v && d > 0 && d < 86400 * 2)
			return now + d;
	}
	return now + fallback;
}

/* "InvalidRequest: Profile not found" from an XRPC error body, or a short
 * description of a non-JSON body.  Caller frees. */
static char *error_detail(const net_response_t *r)
{
	cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
	char *out = wire_problem(json_str(j, "error"), json_str(j, "message"), r->body, r->body_len,
	                         "an HTML error page");
	cJSON_Delete(j);
	return out;
}

static bool error_is(const net_response_t *r, const char *name)
{
	cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
	const char *e = json_str(j, "error");
	bool is = e && strcmp(e, name) == 0;
	cJSON_Delete(j);
	return is;
}

/* Transport failures, 5xx and 429: the same for every request. */
static bool common_failure(source_t *s, const net_response_t *r, source_batch_t *b, source_status_t *st)
{
	bsky_t *bs = s->priv;
	const char *what = bs->hashtag ? "Bluesky" : "the Bluesky AppView";
	if (r->error != NET_OK) {
		source_batch_message(b, "%s: %s%s%s", what, net_error_name(r->error),
		                     r->error_text ? ": " : "", r->error_text ? r->error_text : "");
		*st = SRC_ERR_NETWORK;
		return true;
	}
	if (r->status == 429) {
		b->retry_at = retry_time(r, s->now, 300);
		if (bs->phase == PH_LOGIN && b->retry_at > bs->blocked_until)
			bs->blocked_until = b->retry_at;
		source_batch_message(b, "%s is rate limiting us (HTTP 429); next try in %lld s", what,
		                     (long long)(b->retry_at - s->now));
		*st = SRC_ERR_RATE;
		return true;
	}
	if (r->status >= 500 || r->status == 0) {
		char *d = error_detail(r);
		source_batch_message(b, "%s: HTTP %d (%s)", what, r->status, d);
		free(d);
		*st = SRC_ERR_NETWORK;
		return true;
	}
	return false;
}

static source_status_t handle_feed(source_t *s, bsky_t *bs, const net_response_t *r, source_batch_t *b)
{
	if (r->status == 304)
		return SRC_NOT_MODIFIED;
	if (r->status == 400 || r->status == 404) {
		char *d = error_detail(r);
		bool missing = strstr(d, "not found") || strstr(d, "Profile not found") ||
		               strstr(d, "BlockedActor") || strstr(d, "BlockedByActor") || r->status == 404;
		source_batch_message(b, "Bluesky account @%s: %s", bs->subject, d);
		free(d);
		return missing ? SRC_ERR_NOT_FOUND : SRC_ERR_DATA;
	}
	if (r->status != 200) {
		char *d = error_detail(r);
		source_batch_message(b, "Bluesky AppView answered HTTP %d (%s)", r->status, d);
		free(d);
		return SRC_ERR_DATA;
	}
	char *err = NULL;
	bluesky_stats_t st;
	keylist_t entries = KEYLIST_INIT;
	if (!parse_author_feed(r->body, r->body_len, s->spec, s->now, &b->posts, &st, &entries, &err)) {
		source_batch_message(b, "Bluesky account @%s: %s", bs->subject, err);
		free(err);
		keylist_clear(&entries);
		return SRC_ERR_DATA;
	}
	const char *etag = net_response_header(r, "etag");
	free(bs->etag);
	bs->etag = wire_header_safe(etag, 512) ? xstrdup(etag) : NULL;
	if (st.oldest > 0) {
		/* every post of this account from the oldest entry on is in the
		 * page; without a cursor the page is the whole feed */
		b->authoritative = true;
		b->window_start = st.more ? st.oldest : INT64_MIN;
		/* what the last page showed in that window and this one lacks */
		for (size_t i = 0; i < bs->page.n; i++)
			if (keylist_find(&entries, bs->page.items[i].key) < 0 &&
			    (!st.more || bs->page.items[i].t >= st.oldest))
				source_batch_add_deleted(b, bs->page.items[i].key);
		keylist_clear(&bs->page);
		bs->page = entries;
	} else {
		keylist_clear(&entries); /* an empty page proves nothing */
	}
	source_batch_message(b, "%zu posts%s", st.posts,
	                     st.hidden ? " (some hidden by labels)" : "");
	if (st.malformed || st.bad_facets)
		log_debug("bluesky", "@%s: %zu malformed posts, %zu bad facets dropped", bs->subject,
		          st.malformed, st.bad_facets);
	return SRC_DONE;
}

static bool take_session(bsky_t *bs, const net_response_t *r, int64_t now)
{
	cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
	const char *access = json_nstr(j, "accessJwt"), *refresh = json_nstr(j, "refreshJwt");
	bool ok = wire_header_safe(access, 16384) && wire_header_safe(refresh, 16384);
	if (ok) {
		clear_session(bs, false);
		if (bs->refresh)
			memset(bs->refresh, 0, strlen(bs->refresh));
		free(bs->refresh);
		bs->access = xstrdup(access);
		bs->refresh = xstrdup(refresh);
		int64_t exp = bluesky_jwt_exp(access);
		bs->access_exp = exp > now ? exp : now + ACCESS_ASSUMED_S;
		bs->refresh_exp = bluesky_jwt_exp(refresh);
		const char *did = json_nstr(j, "did");
		if (wire_header_safe(did, 512)) {
			free(bs->did);
			bs->did = xstrdup(did);
		}
	}
	cJSON_Delete(j);
	return ok;
}

static source_status_t handle_session(source_t *s, bsky_t *bs, const net_response_t *r, source_batch_t *b)
{
	bool login = bs->phase == PH_LOGIN;
	if (r->status == 200) {
		if (take_session(bs, r, s->now))
			return SRC_CONTINUE;
		source_batch_message(b, "Bluesky %s answer holds no session", login ? "login" : "session refresh");
		clear_session(bs, true);
		return SRC_ERR_DATA;
	}
	char *d = error_detail(r);
	source_status_t st;
	if (!login && (r->status == 400 || r->status == 401)) {
		/* refresh token expired or revoked: log in afresh (rate-limited) */
		clear_session(bs, true);
		st = SRC_CONTINUE;
	} else if (login && (r->status == 400 || r->status == 401)) {
		clear_session(bs, true);
		bs->blocked_until = s->now + LOGIN_MIN_INTERVAL_S;
		if (error_is(r, "AuthFactorTokenRequired"))
			source_batch_message(b, "Bluesky login for hashtag #%s needs an e-mail code: "
			                        "use an app password, not the account password", bs->subject);
		else if (error_is(r, "AccountTakedown"))
			source_batch_message(b, "Bluesky account for hashtag #%s was taken down (%s)", bs->subject, d);
		else
			source_batch_message(b, "Bluesky login for hashtag #%s failed: %s; check the handle and "
			                        "app password in its bluesky_password file", bs->subject, d);
		st = SRC_ERR_AUTH;
	} else {
		source_batch_message(b, "Bluesky %s: HTTP %d (%s)", login ? "login" : "session refresh",
		                     r->status, d);
		st = SRC_ERR_DATA;
	}
	free(d);
	return st;
}

static source_status_t handle_search(source_t *s, bsky_t *bs, const net_response_t *r, source_batch_t *b)
{
	if (r->status == 401 || (r->status == 400 && (error_is(r, "ExpiredToken") || error_is(r, "InvalidToken")))) {
		clear_session(bs, false); /* refresh next */
		return SRC_CONTINUE;
	}
	if (r->status != 200) {
		char *d = error_detail(r);
		source_batch_message(b, "Bluesky search for #%s: HTTP %d (%s)", bs->subject, r->status, d);
		free(d);
		return SRC_ERR_DATA;
	}
	char *err = NULL;
	bluesky_stats_t st;
	if (!bluesky_parse_search(r->body, r->body_len, s->spec, s->now, &b->posts, &st, &err)) {
		source_batch_message(b, "Bluesky search for #%s: %s", bs->subject, err);
		free(err);
		return SRC_ERR_DATA;
	}
	source_batch_message(b, "%zu posts", st.posts);
	bs->searched = true;
	/* the results shown before and not in this answer are re-checked */
	if (bs->recheck)
		for (size_t i = 0; i < bs->known.n; i++) {
			char *key = xasprintf("bluesky:%s", bs->known.items[i].key);
			if (post_list_find(&b->posts, key) < 0) {
				XGROW(bs->check, bs->cap_check, bs->n_check + 1);
				bs->check[bs->n_check++] = xstrdup(bs->known.items[i].key);
			}
			free(key);
		}
	for (size_t i = 0; i < b->posts.len; i++) {
		const post_t *p = b->posts.items[i];
		if (p->id && strlen(p->id) <= MAX_URI)
			keylist_put(&bs->known, p->id, p->created, BLUESKY_RECHECK_MAX);
	}
	return bs->n_check ? SRC_CONTINUE : SRC_DONE;
}

/* The answer to a getPosts re-check: asked at-uris missing from it, or
 * hidden by a label now, were deleted.  Any failure only ends the re-check:
 * the search results of the cycle stand. */
static source_status_t handle_recheck(source_t *s, bsky_t *bs, const net_response_t *r, source_batch_t *b)
{
	if (r->error == NET_OK && (r->status == 401 || (r->status == 400 && (error_is(r, "ExpiredToken") ||
	                                                                      error_is(r, "InvalidToken"))))) {
		clear_session(bs, false); /* refresh, then the re-check goes on */
		return SRC_CONTINUE;
	}
	char *err = NULL;
	cJSON *root = r->error == NET_OK && r->status == 200 ? json_parse_body(r->body, r->body_len, true, &err) : NULL;
	const cJSON *posts = json_get(root, "posts");
	if (!cJSON_IsArray(posts)) {
		char *why;
		if (r->error != NET_OK)
			why = xstrdup(net_error_name(r->error));
		else if (r->status != 200)
			why = xasprintf("HTTP %d", r->status);
		else
			why = xstrdup(err ? err : "the response has no \"posts\" list");
		if (r->status == 429)
			b->retry_at = retry_time(r, s->now, 300);
		char *key = xasprintf("bluesky-recheck:%s", s->spec->key);
		log_event(key, LOG_LVL_WARN, "bluesky", "hashtag #%s: could not re-check %zu earlier posts for "
		          "deletion (%s); trying again in %d refreshes", bs->subject, bs->n_check - bs->at_check, why,
		          BLUESKY_RECHECK_EVERY);
		free(key);
		free(why);
		free(err);
		cJSON_Delete(root);
		return SRC_DONE;
	}
	size_t end = bs->at_check + bs->n_asked;
	for (size_t i = bs->at_check; i < end && i < bs->n_check; i++) {
		const cJSON *view = NULL, *it;
		cJSON_ArrayForEach(it, posts) {
			const char *uri = json_str(it, "uri");
			if (uri && strcmp(uri, bs->check[i]) == 0) {
				view = it;
				break;
			}
		}
		bool deleted = view == NULL;
		if (view) {
			bluesky_stats_t st = { 0 };
			post_t *p = bluesky_post_from_view(view, s->spec, s->now, &st);
			deleted = !p && st.hidden; /* a label hides it now */
			post_free(p);
		}
		if (deleted) {
			char *key = xasprintf("bluesky:%s", bs->check[i]);
			source_batch_add_deleted(b, key);
			free(key);
			keylist_remove(&bs->known, bs->check[i]);
		}
	}
	cJSON_Delete(root);
	bs->at_check = end;
	if (b->n_deleted)
		source_batch_message(b, "%zu posts; %zu earlier ones deleted or hidden since", b->posts.len, b->n_deleted);
	return bs->at_check < bs->n_check ? SRC_CONTINUE : SRC_DONE;
}

static source_status_t b_handle(source_t *s, const net_response_t *r, source_batch_t *b)
{
	bsky_t *bs = s->priv;
	if (!r) { /* next_request had nothing to send */
		if (bs->pending_msg)
			source_batch_message(b, "%s", bs->pending_msg);
		if (bs->pending == SRC_ERR_RATE)
			b->retry_at = bs->blocked_until > bs->last_login + LOGIN_MIN_INTERVAL_S
			                      ? bs->blocked_until : bs->last_login + LOGIN_MIN_INTERVAL_S;
		return bs->pending;
	}
	if (bs->phase == PH_RECHECK)
		return handle_recheck(s, bs, r, b);
	source_status_t st;
	if (common_failure(s, r, b, &st))
		return st;
	switch (bs->phase) {
	case PH_FEED:
		return handle_feed(s, bs, r, b);
	case PH_LOGIN:
	case PH_REFRESH:
		return handle_session(s, bs, r, b);
	case PH_SEARCH:
		return handle_search(s, bs, r, b);
	case PH_RECHECK: /* handled above */
	case PH_NONE:
		break;
	}
	source_batch_message(b, "unexpected response");
	return SRC_ERR_DATA;
}

static cJSON *b_save_state(source_t *s)
{
	bsky_t *b = s->priv;
	cJSON *o = cJSON_CreateObject();
	if (b->etag)
		cJSON_AddStringToObject(o, "etag", b->etag);
	if (b->refresh || b->access) {
		cJSON *sess = cJSON_AddObjectToObject(o, "session");
		if (b->ident)
			cJSON_AddStringToObject(sess, "identifier", b->ident);
		if (b->did)
			cJSON_AddStringToObject(sess, "did", b->did);
		if (b->access)
			cJSON_AddStringToObject(sess, "access", b->access);
		if (b->refresh)
			cJSON_AddStringToObject(sess, "refresh", b->refresh);
		cJSON_AddNumberToObject(sess, "access_exp", (double)b->access_exp);
		cJSON_AddNumberToObject(sess, "refresh_exp", (double)b->refresh_exp);
	}
	if (b->last_login)
		cJSON_AddNumberToObject(o, "last_login", (double)b->last_login);
	if (b->blocked_until)
		cJSON_AddNumberToObject(o, "blocked_until", (double)b->blocked_until);
	if (b->page.n)
		cJSON_AddItemToObject(o, "page", keylist_save(&b->page));
	if (b->known.n)
		cJSON_AddItemToObject(o, "known", keylist_save(&b->known));
	return o;
}

static void b_destroy(source_t *s)
{
	bsky_t *b = s->priv;
	if (!b)
		return;
	clear_session(b, true);
	free(b->subject);
	free(b->base);
	free(b->etag);
	free(b->pending_msg);
	keylist_clear(&b->page);
	keylist_clear(&b->known);
	check_clear(b);
	free(b);
	s->priv = NULL;
}

const source_ops_t bluesky_source_ops = {
	.name = "bluesky",
	.init = b_init,
	.begin = b_begin,
	.next_request = b_next_request,
	.handle = b_handle,
	.save_state = b_save_state,
	.destroy = b_destroy,
};
