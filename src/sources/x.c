/*
 * x: see x.h.
 *
 * A cycle is at most three requests: the user lookup (only until the id is
 * known; it is kept in the saved state), the timeline with since_id, and
 * once a day the deletion re-check of the posts delivered before (see x.h;
 * its failure never costs the timeline's posts).
 * Whatever X answers is bounded here: 429 waits for x-rate-limit-reset; the
 * usage cap (429 UsageCapExceeded, 403 usage-capped or client-not-enrolled)
 * stops all requests of this source until the reset (or a day when X gives
 * none) and is logged once; a 200 may carry errors[] next to data[]
 * (partial failure): the data is used, the first error reported.
 */
#include "x.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
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

#define DEFAULT_API "https://api.x.com"
#define FIRST_PAGE 10      /* first poll: a few recent posts, each one billed */
#define LATER_PAGE 100     /* with since_id only new posts come back */
#define MAX_ENTITIES 256
#define CAP_FALLBACK_S 86400

#define TWEET_FIELDS "created_at,entities,attachments,lang,possibly_sensitive,referenced_tweets,note_tweet"
#define EXPANSIONS "author_id,attachments.media_keys,referenced_tweets.id,referenced_tweets.id.author_id"
#define USER_FIELDS "profile_image_url,name,username"
#define MEDIA_FIELDS "url,preview_image_url,alt_text,width,height,type"

/* ---- JSON helpers -------------------------------------------------------- */

/* X ids are decimal strings; never trust anything else in a URL. */
static bool valid_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n > 0 && n <= 24 && strspn(s, "0123456789") == n;
}

/* Element of arr whose member name equals value. */
static const cJSON *find_by(const cJSON *arr, const char *name, const char *value)
{
	const cJSON *it;
	if (!value)
		return NULL;
	cJSON_ArrayForEach(it, arr) {
		const char *v = json_nstr(it, name);
		if (v && strcmp(v, value) == 0)
			return it;
	}
	return NULL;
}

void x_stats_clear(x_stats_t *st)
{
	free(st->first_error);
	free(st->newest_id);
	memset(st, 0, sizeof *st);
}

/* ---- text and entities --------------------------------------------------- */

typedef struct {
	size_t start, end;     /* code points */
	int kind;              /* 0 url, 1 mention, 2 hashtag */
	const cJSON *e;
} ent_t;

static int ent_cmp(const void *a, const void *b)
{
	const ent_t *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->kind - y->kind;
}

/* Byte offset of each code point (and of the end) of s; invalid UTF-8
 * bytes count as one code point each.  *n gets the number of code points. */
static size_t *code_points(const char *s, size_t len, size_t *n)
{
	size_t *off = xmalloc((len + 1) * sizeof *off);
	size_t i = 0, k = 0;
	while (i < len) {
		off[k++] = i;
		unsigned char c = (unsigned char)s[i];
		size_t w = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
		if (i + w > len)
			w = 1;
		for (size_t j = 1; j < w; j++)
			if (((unsigned char)s[i + j] & 0xC0) != 0x80)
				w = 1;
		i += w;
	}
	off[k] = len;
	*n = k;
	return off;
}

/* Append s[0..n) with the three entities X escapes (&amp; &lt; &gt;) decoded. */
static void append_x_text(strbuf_t *b, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (s[i] == '&') {
			static const struct { const char *ent; char ch; } ents[] = {
				{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&#39;", '\'' } };
			bool done = false;
			for (size_t k = 0; k < sizeof ents / sizeof *ents && !done; k++) {
				size_t el = strlen(ents[k].ent);
				if (i + el <= n && memcmp(s + i, ents[k].ent, el) == 0) {
					strbuf_add(b, &ents[k].ch, 1);
					i += el;
					done = true;
				}
			}
			if (done)
				continue;
		}
		strbuf_add(b, s + i, 1);
		i++;
	}
}

static bool media_link(const cJSON *u)
{
	if (json_nstr(u, "media_key"))
		return true;
	const char *x = json_nstr(u, "expanded_url");
	return x && (strstr(x, "/photo/") || strstr(x, "/video/")) && (strstr(x, "//x.com/") || strstr(x, "//twitter.com/"));
}

static bool quote_link(const cJSON *u, const char *quoted_id)
{
	const char *x = json_nstr(u, "expanded_url");
	if (!x || !quoted_id)
		return false;
	const char *at = strstr(x, "/status/");
	if (!at)
		return false;
	at += 8;
	size_t n = strlen(quoted_id);
	return strncmp(at, quoted_id, n) == 0 && !isdigit((unsigned char)at[n]);
}

size_t x_apply_entities(post_t *p, const char *text, const cJSON *entities, const char *quoted_id)
{
	size_t len = strlen(text), ncp, dropped = 0, n = 0;
	size_t *off = code_points(text, len, &ncp);
	static const char *const lists[] = { "urls", "mentions", "hashtags" };
	ent_t *es = NULL;
	size_t cap = 0;
	for (int kind = 0; kind < 3; kind++) {
		const cJSON *e;
		cJSON_ArrayForEach(e, json_get(entities, lists[kind])) {
			long long s = json_int(e, "start", 0, (long long)ncp, -1);
			long long en = json_int(e, "end", 0, (long long)ncp, -1);
			if (n >= MAX_ENTITIES || s < 0 || en <= s) {
				dropped++;
				continue;
			}
			XGROW(es, cap, n + 1);
			es[n++] = (ent_t){ (size_t)s, (size_t)en, kind, e };
		}
	}
	if (n > 1)
		qsort(es, n, sizeof *es, ent_cmp);

	strbuf_t b = STRBUF_INIT;
	for (size_t i = 0; i < p->n_spans; i++)
		free(p->spans[i].target);
	free(p->spans);
	p->spans = NULL;
	p->n_spans = 0;

	size_t pos = 0; /* code points consumed */
	for (size_t i = 0; i < n; i++) {
		const ent_t *e = &es[i];
		if (e->start < pos) {
			dropped++; /* overlaps the previous one */
			continue;
		}
		append_x_text(&b, text + off[pos], off[e->start] - off[pos]);
		const char *orig = text + off[e->start];
		size_t olen = off[e->end] - off[e->start];
		if (e->kind == 0) {
			if (media_link(e->e) || quote_link(e->e, quoted_id)) {
				/* shown as media or as the quote's card: drop, and the space
				 * before (never into a span) */
				size_t floor = 0;
				for (size_t k = 0; k < p->n_spans; k++)
					if (p->spans[k].end > floor)
						floor = p->spans[k].end;
				while (b.len > floor && b.buf[b.len - 1] == ' ')
					strbuf_truncate(&b, b.len - 1);
			} else {
				const char *target = json_nstr(e->e, "expanded_url");
				if (!target)
					target = json_nstr(e->e, "url");
				const char *shown = json_nstr(e->e, "display_url");
				uint32_t start = (uint32_t)b.len;
				if (shown)
					strbuf_adds(&b, shown);
				else if (target)
					strbuf_adds(&b, target);
				else
					strbuf_add(&b, orig, olen);
				post_add_span(p, SPAN_LINK, start, (uint32_t)b.len, target);
			}
		} else {
			uint32_t start = (uint32_t)b.len;
			strbuf_add(&b, orig, olen);
			if (e->kind == 1) {
				const char *user = json_nstr(e->e, "username");
				char *url = user ? xasprintf("https://x.com/%s", user) : NULL;
				post_add_span(p, SPAN_MENTION, start, (uint32_t)b.len, url);
				free(url);
			} else {
				post_add_span(p, SPAN_HASHTAG, start, (uint32_t)b.len, json_nstr(e->e, "tag"));
			}
		}
		pos = e->end;
	}
	append_x_text(&b, text + off[pos], len - off[pos]);
	/* trailing white space left by a dropped media link */
	size_t keep = b.len;
	while (keep && (b.buf[keep - 1] == ' ' || b.buf[keep - 1] == '\n'))
		keep--;
	bool span_past = false;
	for (size_t i = 0; i < p->n_spans; i++)
		if (p->spans[i].end > keep)
			span_past = true;
	if (!span_past)
		strbuf_truncate(&b, keep);
	free(p->text);
	p->text = strbuf_take(&b);
	free(es);
	free(off);
	return dropped;
}

/* ---- posts --------------------------------------------------------------- */

static void author_from(const cJSON *u, author_t *a, const char *fallback_id)
{
	const char *id = json_nstr(u, "id"), *name = json_nstr(u, "name"), *user = json_nstr(u, "username");
	a->id = xstrdup(id ? id : fallback_id);
	a->handle = user ? xasprintf("@%s", user) : NULL;
	a->name = xstrdup(name ? name : user ? user : id ? id : fallback_id ? fallback_id : "X");
	a->url = user ? xasprintf("https://x.com/%s", user) : NULL;
	const char *av = json_nstr(u, "profile_image_url");
	if (av) {
		/* "_normal" is 48 px; the 400x400 variant suits a large screen */
		const char *nm = strstr(av, "_normal.");
		a->avatar_url = nm ? xasprintf("%.*s_400x400%s", (int)(nm - av), av, nm + 7) : xstrdup(av);
	}
}

static const char *ref_of(const cJSON *tw, const char *type)
{
	const cJSON *r;
	cJSON_ArrayForEach(r, json_get(tw, "referenced_tweets")) {
		const char *t = json_nstr(r, "type");
		if (t && strcmp(t, type) == 0)
			return json_nstr(r, "id");
	}
	return NULL;
}

static void add_media(post_t *p, const cJSON *tw, const cJSON *includes)
{
	const cJSON *k;
	cJSON_ArrayForEach(k, json_get(json_get(tw, "attachments"), "media_keys")) {
		if (!cJSON_IsString(k) || p->n_media >= 10)
			continue;
		const cJSON *m = find_by(json_get(includes, "media"), "media_key", k->valuestring);
		if (!m)
			continue;
		const char *type = json_nstr(m, "type"), *url = json_nstr(m, "url"), *prev = json_nstr(m, "preview_image_url");
		media_kind_t kind = MEDIA_IMAGE;
		if (type && strcmp(type, "video") == 0)
			kind = MEDIA_VIDEO;
		else if (type && strcmp(type, "animated_gif") == 0)
			kind = MEDIA_GIFV;
		const char *main_url = kind == MEDIA_IMAGE ? (url ? url : prev) : (prev ? prev : url);
		if (!main_url)
			continue;
		media_t *md = post_add_media(p);
		md->kind = kind;
		md->url = xstrdup(main_url);
		md->preview_url = xstrdup(prev);
		md->alt = xstrdup(json_nstr(m, "alt_text"));
		md->width = (int)json_int(m, "width", 1, 100000, 0);
		md->height = (int)json_int(m, "height", 1, 100000, 0);
	}
}

static char *status_url(const author_t *a, const char *id)
{
	if (a->handle && a->handle[0] == '@')
		return xasprintf("https://x.com/%s/status/%s", a->handle + 1, id);
	return xasprintf("https://x.com/i/web/status/%s", id);
}

/* Text and entities of a tweet: the long form (note_tweet) when present. */
static void tweet_text(post_t *p, const cJSON *tw, const char *quoted_id, x_stats_t *st)
{
	const cJSON *note = json_get(tw, "note_tweet");
	const char *text = json_nstr(note, "text");
	const cJSON *ents = json_get(note, "entities");
	if (!text) {
		text = json_nstr(tw, "text");
		ents = json_get(tw, "entities");
	}
	st->bad_entities += x_apply_entities(p, text ? text : "", ents, quoted_id);
}

static void quote_card(post_t *p, const cJSON *quoted, const cJSON *includes)
{
	const char *qid = json_nstr(quoted, "id");
	if (!qid)
		return;
	author_t qa = { 0 };
	const char *aid = json_nstr(quoted, "author_id");
	author_from(find_by(json_get(includes, "users"), "id", aid), &qa, aid);
	post_t tmp = { 0 };
	tmp.text = xstrdup("");
	x_stats_t st = { 0 };
	tweet_text(&tmp, quoted, NULL, &st);
	p->card = xcalloc(1, sizeof *p->card);
	p->card->url = status_url(&qa, qid);
	size_t n = strlen(tmp.text);
	if (n > 280) {
		n = 280;
		while (n && ((unsigned char)tmp.text[n] & 0xC0) == 0x80)
			n--;
	}
	p->card->title = *tmp.text ? xasprintf("%s: %.*s%s", qa.name, (int)n, tmp.text,
	                                       n < strlen(tmp.text) ? "…" : "")
	                           : xstrdup(qa.name);
	free(tmp.text);
	for (size_t i = 0; i < tmp.n_spans; i++)
		free(tmp.spans[i].target);
	free(tmp.spans);
	x_stats_clear(&st);
	author_clear(&qa);
}

static char *lang_of(const cJSON *tw)
{
	const char *l = json_nstr(tw, "lang");
	if (!l)
		return NULL;
	size_t n = strspn(l, "abcdefghijklmnopqrstuvwxyz");
	if (n < 2 || n > 3 || l[n] || strcmp(l, "und") == 0 || strcmp(l, "zxx") == 0 || strcmp(l, "qme") == 0 ||
	    strcmp(l, "qht") == 0 || strcmp(l, "qam") == 0 || strcmp(l, "qct") == 0 || strcmp(l, "art") == 0)
		return NULL;
	return xstrdup(l);
}

/* One data[] entry as a post, or NULL when malformed or excluded. */
static post_t *post_from_tweet(const cJSON *tw, const cJSON *includes, const source_spec_t *spec,
                               x_stats_t *st)
{
	const char *id = json_nstr(tw, "id");
	if (!valid_id(id))
		return NULL;
	const cJSON *users = json_get(includes, "users"), *tweets = json_get(includes, "tweets");
	const char *rt_id = ref_of(tw, "retweeted");
	const cJSON *orig = rt_id ? find_by(tweets, "id", rt_id) : NULL;
	if (rt_id && spec && !spec->include_boosts)
		return NULL;
	const cJSON *shown = orig ? orig : tw; /* a repost shows the original post */

	post_t *p = post_new();
	p->network = NET_X;
	p->key = xasprintf("x:%s", id);
	p->id = xstrdup(id);
	p->visibility = VIS_PUBLIC;
	if (spec) {
		p->source = xstrdup(spec->key);
		p->person = xstrdup(spec->person);
	}
	const char *aid = json_nstr(shown, "author_id");
	author_from(find_by(users, "id", aid), &p->author, aid);
	if (orig) {
		const char *wid = json_nstr(tw, "author_id");
		p->booster = xcalloc(1, sizeof *p->booster);
		author_from(find_by(users, "id", wid), p->booster, wid);
	}
	const char *sid = json_nstr(shown, "id");
	p->url = status_url(&p->author, valid_id(sid) ? sid : id);
	/* a repost carries the original's time, as Mastodon boosts do */
	int64_t t;
	const char *ca = json_nstr(shown, "created_at");
	if (!ca)
		ca = json_nstr(tw, "created_at");
	if (!ca || !time_parse_iso8601(ca, &t)) {
		post_free(p);
		return NULL;
	}
	p->created = t;

	const char *qid = ref_of(shown, "quoted");
	tweet_text(p, shown, qid, st);
	const cJSON *quoted = qid ? find_by(tweets, "id", qid) : NULL;
	if (quoted)
		quote_card(p, quoted, includes);
	add_media(p, shown, includes);
	p->sensitive = json_true(shown, "possibly_sensitive");
	p->lang = lang_of(shown);

	const char *parent = ref_of(shown, "replied_to");
	if (parent && !orig) {
		const cJSON *pt = find_by(tweets, "id", parent);
		const char *pa = json_nstr(pt, "author_id");
		p->reply = !pa || !aid || strcmp(pa, aid) != 0;
	}
	if (p->reply && spec && !spec->include_replies) {
		post_free(p);
		return NULL;
	}
	return p;
}

static void note_errors(const cJSON *errors, const char *user_id, x_stats_t *st)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, errors) {
		st->errors++;
		const char *title = json_nstr(e, "title"), *detail = json_nstr(e, "detail");
		if (!st->first_error)
			st->first_error = xasprintf("%s%s%s", title ? title : "error", detail ? ": " : "",
			                            detail ? detail : "");
		const char *rt = json_nstr(e, "resource_type"), *val = json_nstr(e, "value"), *rid = json_nstr(e, "resource_id");
		if (user_id && rt && strcmp(rt, "user") == 0 &&
		    ((val && strcmp(val, user_id) == 0) || (rid && strcmp(rid, user_id) == 0)))
			st->user_gone = true;
	}
	if (st->first_error && strlen(st->first_error) > 200)
		st->first_error[200] = '\0';
	if (st->first_error)
		wire_one_line(st->first_error);
}

bool x_parse_tweets(const char *body, size_t len, const source_spec_t *spec, const char *user_id,
                    post_list_t *out, x_stats_t *st, char **err)
{
	memset(st, 0, sizeof *st);
	cJSON *root = json_parse_body(body, len, true, err);
	if (!root)
		return false;
	const cJSON *data = json_get(root, "data"), *includes = json_get(root, "includes");
	note_errors(json_get(root, "errors"), user_id, st);
	if (data && !cJSON_IsArray(data)) {
		*err = xstrdup("\"data\" is not a list");
		cJSON_Delete(root);
		return false;
	}
	const cJSON *tw;
	cJSON_ArrayForEach(tw, data) {
		const char *id = json_nstr(tw, "id");
		if (valid_id(id) && (!st->newest_id || id_compare(id, st->newest_id) > 0)) {
			free(st->newest_id);
			st->newest_id = xstrdup(id);
		}
		post_t *p = post_from_tweet(tw, includes, spec, st);
		if (!p || post_list_find(out, p->key) >= 0) {
			post_free(p);
			st->skipped++;
			continue;
		}
		post_list_push(out, p);
		st->posts++;
	}
	cJSON_Delete(root);
	return true;
}

char *x_parse_user(const char *body, size_t len, char **err)
{
	cJSON *root = json_parse_body(body, len, true, err);
	if (!root)
		return NULL;
	const char *id = json_nstr(json_get(root, "data"), "id");
	char *out = NULL;
	if (valid_id(id)) {
		out = xstrdup(id);
	} else {
		x_stats_t st = { 0 };
		note_errors(json_get(root, "errors"), NULL, &st);
		*err = xasprintf("not found: %s", st.first_error ? st.first_error : "no user in the answer");
		x_stats_clear(&st);
	}
	cJSON_Delete(root);
	return out;
}

bool x_usage_capped(int status, const char *body, size_t len)
{
	if (status != 429 && status != 403)
		return false;
	static const char *const marks[] = { "UsageCapExceeded", "usage-capped", "client-not-enrolled",
	                                     "Usage cap exceeded" };
	for (size_t i = 0; i < sizeof marks / sizeof *marks; i++)
		if (body && memmem(body, len, marks[i], strlen(marks[i])))
			return true;
	return false;
}

/* ---- deletion re-check --------------------------------------------------- */

static atomic_int recheck_hours = X_RECHECK_HOURS_DEFAULT;

void x_set_recheck_hours(int hours)
{
	atomic_store(&recheck_hours, hours < 0 || hours > 8760 ? X_RECHECK_HOURS_DEFAULT : hours);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool *x_parse_lookup(const char *body, size_t len, const char *const *asked, size_t n, char **err)
{
	cJSON *root = json_parse_body(body, len, true, err);
	if (!root)
		return NULL;
	const cJSON *data = json_get(root, "data"), *errors = json_get(root, "errors");
	if (!cJSON_IsArray(data) && !cJSON_IsArray(errors)) {
		*err = xstrdup("the answer has neither a \"data\" nor an \"errors\" list");
		cJSON_Delete(root);
		return NULL;
	}
	bool *gone = xcalloc(n ? n : 1, sizeof *gone);
	const cJSON *e;
	cJSON_ArrayForEach(e, errors) {
		const char *type = json_nstr(e, "type"), *rt = json_nstr(e, "resource_type");
		if (!type || !(ends_with(type, "/resource-not-found") || ends_with(type, "/not-authorized-for-resource")))
			continue;
		if (rt && strcmp(rt, "tweet") != 0)
			continue;
		const char *id = json_nstr(e, "resource_id");
		if (!id)
			id = json_nstr(e, "value");
		if (!valid_id(id) || find_by(data, "id", id))
			continue;
		for (size_t i = 0; i < n; i++)
			if (strcmp(asked[i], id) == 0)
				gone[i] = true;
	}
	cJSON_Delete(root);
	return gone;
}

/* ---- the adapter --------------------------------------------------------- */

typedef enum { XP_NONE, XP_USER, XP_TWEETS, XP_LOOKUP } xphase_t;

typedef struct {
	char *user;            /* user name without '@' */
	char *base;
	char *user_id;         /* resolved id, kept across restarts */
	char *id_for;          /* the user name user_id belongs to */
	char *since_id;
	int64_t blocked_until; /* usage cap or rate limit: no requests before */
	keylist_t known;       /* ids (and dates) of posts delivered, to re-check */
	int64_t rechecked;     /* wall time of the last re-check (or of the first post known) */
	xphase_t phase;
	bool done;
	char **check;          /* ids asked in this cycle's re-check */
	size_t n_check;
	source_status_t timeline; /* the timeline's result, while the re-check runs */
	source_status_t pending;
	char *pending_msg;
} x_t;

static void check_clear(x_t *x)
{
	for (size_t i = 0; i < x->n_check; i++)
		free(x->check[i]);
	free(x->check);
	x->check = NULL;
	x->n_check = 0;
}

static char *state_str(const cJSON *st, const char *name)
{
	return xstrdup(json_nstr(st, name));
}

static void x_init(source_t *s, const cJSON *state)
{
	x_t *x = xcalloc(1, sizeof *x);
	s->priv = x;
	const char *u = s->spec->handle ? s->spec->handle : "";
	if (*u == '@')
		u++;
	x->user = xstrdup(u);
	const char *base = s->spec->server;
	x->base = url_base(base && *base ? base : DEFAULT_API);
	x->id_for = state_str(state, "user");
	x->user_id = state_str(state, "user_id");
	if (!x->id_for || strcasecmp(x->id_for, x->user) != 0 || !valid_id(x->user_id)) {
		free(x->user_id);
		x->user_id = NULL; /* another account than the one configured now */
	} else {
		x->since_id = state_str(state, "since_id");
		if (!valid_id(x->since_id)) {
			free(x->since_id);
			x->since_id = NULL;
		}
		keylist_load(&x->known, json_get(state, "known"), X_RECHECK_MAX, 24);
		for (size_t i = x->known.n; i-- > 0;)
			if (!valid_id(x->known.items[i].key))
				keylist_remove(&x->known, x->known.items[i].key);
		x->rechecked = (int64_t)json_int(state, "rechecked", 0, 1LL << 40, 0);
	}
	x->blocked_until = (int64_t)json_int(state, "blocked_until", 0, 1LL << 40, 0);
}

static void x_begin(source_t *s)
{
	x_t *x = s->priv;
	x->phase = XP_NONE;
	x->done = false;
	check_clear(x);
	x->pending = SRC_DONE;
	free(x->pending_msg);
	x->pending_msg = NULL;
}

static void x_set_pending(x_t *x, source_status_t st, char *msg)
{
	x->pending = st;
	free(x->pending_msg);
	x->pending_msg = msg;
}

static net_request_t *x_request(source_t *s, const char *url)
{
	net_request_t *r = net_request_new(url);
	net_request_add_header(r, "Accept", "application/json");
	wire_bearer(r, s->token);
	return r;
}

/* GET /2/tweets?ids=... for this cycle's re-check. */
static net_request_t *lookup_request(source_t *s, x_t *x)
{
	strbuf_t url = STRBUF_INIT;
	strbuf_addf(&url, "%s/2/tweets?ids=", x->base);
	for (size_t i = 0; i < x->n_check; i++)
		strbuf_addf(&url, "%s%s", i ? "," : "", x->check[i]);
	char *u = strbuf_take(&url);
	net_request_t *r = x_request(s, u);
	free(u);
	x->phase = XP_LOOKUP;
	return r;
}

static net_request_t *x_next_request(source_t *s)
{
	x_t *x = s->priv;
	if (x->done && x->n_check && x->phase == XP_TWEETS)
		return lookup_request(s, x);
	if (x->done || x->pending != SRC_DONE)
		return NULL;
	if (!s->token || !*s->token) {
		x_set_pending(x, SRC_ERR_CONFIG,
		              xasprintf("X account @%s needs a bearer token: set x_token = FILE (mode 600) "
		                        "with the token of your X developer app", x->user));
		return NULL;
	}
	if (!x->base) {
		x_set_pending(x, SRC_ERR_CONFIG, xasprintf("X API URL %s is not allowed (https only; http only "
		                                           "to this machine)", s->spec->server));
		return NULL;
	}
	if (s->now < x->blocked_until) {
		x_set_pending(x, SRC_ERR_RATE, xasprintf("X API paused until the limit resets (in %lld s)",
		                                         (long long)(x->blocked_until - s->now)));
		return NULL;
	}
	char *url;
	if (!x->user_id) {
		if (x->phase == XP_USER)
			return NULL;
		char *u = url_encode(x->user);
		url = xasprintf("%s/2/users/by/username/%s?user.fields=" USER_FIELDS, x->base, u);
		free(u);
		x->phase = XP_USER;
	} else {
		char since[64] = "", exclude[40] = "";
		if (x->since_id)
			snprintf(since, sizeof since, "&since_id=%s", x->since_id);
		if (!s->spec->include_replies || !s->spec->include_boosts)
			snprintf(exclude, sizeof exclude, "&exclude=%s%s%s",
			         !s->spec->include_replies ? "replies" : "",
			         !s->spec->include_replies && !s->spec->include_boosts ? "," : "",
			         !s->spec->include_boosts ? "retweets" : "");
		url = xasprintf("%s/2/users/%s/tweets?max_results=%d%s%s&tweet.fields=" TWEET_FIELDS
		                "&expansions=" EXPANSIONS "&user.fields=" USER_FIELDS "&media.fields=" MEDIA_FIELDS,
		                x->base, x->user_id, x->since_id ? LATER_PAGE : FIRST_PAGE, since, exclude);
		x->phase = XP_TWEETS;
	}
	net_request_t *r = x_request(s, url);
	free(url);
	return r;
}

static int64_t reset_time(const net_response_t *r, int64_t now)
{
	const char *v = net_response_header(r, "x-rate-limit-reset");
	char *end;
	if (v) {
		long long t = strtoll(v, &end, 10);
		if (end != v && t > now && t < now + 40LL * 86400)
			return t;
	}
	return 0;
}

/* "title: detail" of a problem-details body, or a note on a non-JSON body. */
static char *problem(const net_response_t *r)
{
	cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
	const char *title = json_nstr(j, "title"), *detail = json_nstr(j, "detail");
	const cJSON *e0 = cJSON_GetArrayItem(json_get(j, "errors"), 0);
	if (!title && !detail && e0) {
		title = json_nstr(e0, "title");
		detail = json_nstr(e0, "message") ? json_nstr(e0, "message") : json_nstr(e0, "detail");
	}
	char *out = wire_problem(title, detail, r->body, r->body_len, "an HTML page");
	cJSON_Delete(j);
	return out;
}

static source_status_t x_failure(source_t *s, x_t *x, const net_response_t *r, source_batch_t *b)
{
	if (x_usage_capped(r->status, r->body, r->body_len)) {
		int64_t reset = reset_time(r, s->now);
		x->blocked_until = reset ? reset : s->now + CAP_FALLBACK_S;
		b->retry_at = x->blocked_until;
		char *d = problem(r);
		source_batch_message(b, "X API usage cap reached (%s); not polling @%s for %lld hours",
		                     d, x->user, (long long)((x->blocked_until - s->now + 3599) / 3600));
		log_event(s->spec->key, LOG_LVL_WARN, "x",
		          "X API: the project's usage cap is reached (HTTP %d: %s); @%s is not polled for "
		          "%lld hours", r->status, d, x->user, (long long)((x->blocked_until - s->now + 3599) / 3600));
		free(d);
		return SRC_ERR_RATE;
	}
	if (r->status == 429) {
		int64_t reset = reset_time(r, s->now);
		b->retry_at = reset ? reset : s->now + 15 * 60;
		x->blocked_until = b->retry_at;
		source_batch_message(b, "X API rate limit reached; next try in %lld s",
		                     (long long)(b->retry_at - s->now));
		return SRC_ERR_RATE;
	}
	char *d = problem(r);
	source_status_t st;
	if (r->status == 401 || r->status == 403) {
		source_batch_message(b, "X refused the bearer token (HTTP %d: %s); check the x_token file",
		                     r->status, d);
		st = SRC_ERR_AUTH;
	} else if (r->status == 404) {
		source_batch_message(b, "X account @%s: not found (%s)", x->user, d);
		free(x->user_id);
		x->user_id = NULL;
		st = SRC_ERR_NOT_FOUND;
	} else if (r->status >= 500 || r->status == 0) {
		source_batch_message(b, "X API: HTTP %d (%s)", r->status, d);
		st = SRC_ERR_NETWORK;
	} else {
		source_batch_message(b, "X API: HTTP %d (%s)", r->status, d);
		st = SRC_ERR_DATA;
	}
	free(d);
	return st;
}

/* Remember the posts of this cycle and, when a re-check is due, list the
 * ids to look up (the posts delivered before, not this cycle's).  True
 * when there is a lookup to make. */
static bool plan_recheck(source_t *s, x_t *x, source_batch_t *b)
{
	for (size_t i = 0; i < b->posts.len; i++) {
		const post_t *p = b->posts.items[i];
		if (valid_id(p->id))
			keylist_put(&x->known, p->id, p->created, X_RECHECK_MAX);
	}
	keylist_drop_before(&x->known, s->now - X_RECHECK_MAX_AGE_DAYS * 86400LL);
	if (!x->rechecked && x->known.n)
		x->rechecked = s->now; /* the first posts were just read: they exist */
	int hours = atomic_load(&recheck_hours);
	if (hours <= 0 || !x->known.n || s->now < x->rechecked + hours * 3600LL)
		return false;
	for (size_t i = 0; i < x->known.n; i++) {
		char *key = xasprintf("x:%s", x->known.items[i].key);
		if (post_list_find(&b->posts, key) < 0) {
			x->check = xrealloc(x->check, (x->n_check + 1) * sizeof *x->check);
			x->check[x->n_check++] = xstrdup(x->known.items[i].key);
		}
		free(key);
	}
	if (!x->n_check)
		x->rechecked = s->now; /* all of them just came back: nothing to ask */
	return x->n_check > 0;
}

/* The re-check's answer.  Whatever happens, the timeline's posts stand: a
 * failure is logged and the re-check is tried again later. */
static source_status_t handle_lookup(source_t *s, x_t *x, const net_response_t *r, source_batch_t *b)
{
	char *why = NULL;
	if (r->error != NET_OK) {
		why = xstrdup(net_error_name(r->error)); /* tried again next cycle */
	} else if (r->status == 429 || x_usage_capped(r->status, r->body, r->body_len)) {
		source_batch_t tmp;
		source_batch_init(&tmp);
		x_failure(s, x, r, &tmp); /* a rate limit or the usage cap pauses the source as always */
		why = xstrdup(tmp.message ? tmp.message : "rate limited");
		b->retry_at = tmp.retry_at;
		source_batch_clear(&tmp);
	} else if (r->status != 200) {
		char *d = problem(r);
		why = xasprintf("HTTP %d: %s", r->status, d);
		free(d);
		if (r->status < 500)
			x->rechecked = s->now; /* refused: not again before the next interval */
	} else {
		char *err = NULL;
		bool *gone = x_parse_lookup(r->body, r->body_len, (const char *const *)x->check, x->n_check, &err);
		x->rechecked = s->now;
		if (!gone) {
			why = err;
		} else {
			size_t n = 0;
			for (size_t i = 0; i < x->n_check; i++) {
				if (!gone[i])
					continue;
				char *key = xasprintf("x:%s", x->check[i]);
				source_batch_add_deleted(b, key);
				free(key);
				keylist_remove(&x->known, x->check[i]);
				n++;
			}
			free(gone);
			if (n)
				source_batch_message(b, "%s; %zu deleted on X since", b->message ? b->message : "ok", n);
		}
	}
	if (why) {
		char *key = xasprintf("x-recheck:%s", s->spec->key);
		log_event(key, LOG_LVL_WARN, "x", "X account @%s: could not check %zu earlier posts for deletion (%s)",
		          x->user, x->n_check, why);
		free(key);
		free(why);
	}
	check_clear(x);
	return b->posts.len || b->n_deleted ? SRC_DONE : x->timeline;
}

static source_status_t x_handle(source_t *s, const net_response_t *r, source_batch_t *b)
{
	x_t *x = s->priv;
	if (!r) {
		if (x->pending_msg)
			source_batch_message(b, "%s", x->pending_msg);
		if (x->pending == SRC_ERR_RATE)
			b->retry_at = x->blocked_until;
		return x->pending;
	}
	if (x->phase == XP_LOOKUP)
		return handle_lookup(s, x, r, b);
	if (r->error != NET_OK) {
		source_batch_message(b, "X API: %s%s%s", net_error_name(r->error), r->error_text ? ": " : "",
		                     r->error_text ? r->error_text : "");
		return SRC_ERR_NETWORK;
	}
	if (r->status != 200)
		return x_failure(s, x, r, b);
	char *err = NULL;
	if (x->phase == XP_USER) {
		char *id = x_parse_user(r->body, r->body_len, &err);
		if (!id) {
			bool nf = err && strncmp(err, "not found", 9) == 0;
			source_batch_message(b, "X account @%s: %s", x->user, err);
			free(err);
			return nf ? SRC_ERR_NOT_FOUND : SRC_ERR_DATA;
		}
		x->user_id = id;
		free(x->id_for);
		x->id_for = xstrdup(x->user);
		free(x->since_id);
		x->since_id = NULL;
		return SRC_CONTINUE;
	}
	x->done = true;
	x_stats_t st;
	if (!x_parse_tweets(r->body, r->body_len, s->spec, x->user_id, &b->posts, &st, &err)) {
		source_batch_message(b, "X account @%s: %s", x->user, err);
		free(err);
		return SRC_ERR_DATA;
	}
	source_status_t res = SRC_DONE;
	if (st.user_gone && !st.posts) {
		source_batch_message(b, "X account @%s: %s", x->user, st.first_error);
		free(x->user_id);
		x->user_id = NULL; /* look the name up again next time */
		res = SRC_ERR_NOT_FOUND;
	} else {
		if (st.newest_id && (!x->since_id || id_compare(st.newest_id, x->since_id) > 0)) {
			free(x->since_id);
			x->since_id = xstrdup(st.newest_id);
		}
		if (st.errors)
			source_batch_message(b, "%zu new posts; X reported %zu problem%s (first: %s)", st.posts,
			                     st.errors, st.errors == 1 ? "" : "s", st.first_error);
		else
			source_batch_message(b, "%zu new posts", st.posts);
		if (!st.posts && !st.errors)
			res = SRC_NOT_MODIFIED;
		if (plan_recheck(s, x, b)) {
			x->timeline = res;
			res = SRC_CONTINUE;
		}
	}
	x_stats_clear(&st);
	return res;
}

static cJSON *x_save_state(source_t *s)
{
	x_t *x = s->priv;
	cJSON *o = cJSON_CreateObject();
	if (x->user_id && x->id_for) {
		cJSON_AddStringToObject(o, "user", x->id_for);
		cJSON_AddStringToObject(o, "user_id", x->user_id);
	}
	if (x->since_id)
		cJSON_AddStringToObject(o, "since_id", x->since_id);
	if (x->blocked_until > s->now)
		cJSON_AddNumberToObject(o, "blocked_until", (double)x->blocked_until);
	if (x->user_id && x->known.n)
		cJSON_AddItemToObject(o, "known", keylist_save(&x->known));
	if (x->rechecked)
		cJSON_AddNumberToObject(o, "rechecked", (double)x->rechecked);
	return o;
}

static void x_destroy(source_t *s)
{
	x_t *x = s->priv;
	if (!x)
		return;
	free(x->user);
	free(x->base);
	free(x->user_id);
	free(x->id_for);
	free(x->since_id);
	free(x->pending_msg);
	keylist_clear(&x->known);
	check_clear(x);
	free(x);
	s->priv = NULL;
}

const source_ops_t x_source_ops = {
	.name = "x",
	.init = x_init,
	.begin = x_begin,
	.next_request = x_next_request,
	.handle = x_handle,
	.save_state = x_save_state,
	.destroy = x_destroy,
};
