/*
 * post_json: post_t <-> the JSON object stored in posts.json (format in
 * README.md, "Cache format").
 *
 * Writing is a plain walk over the struct: strings as strings (a NULL string
 * is left out), times and counts as integers, enums by name, every array
 * always present.  Reading treats the file as untrusted input, because it is
 * (a bad SD card, a hand edit, a newer or older balie): every member is
 * looked up by name and type-checked, a member of the wrong type counts as
 * absent, numbers are range-checked, spans that do not fit the text are
 * dropped, and media file names must be well-formed cache names.  Only a
 * post without a key, text or recognisable network is refused as a whole.
 */
#include "cache.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/xmalloc.h"

/* cJSON reports allocation failure as NULL; balie treats OOM as fatal. */
static cJSON *jnew(cJSON *item)
{
	if (!item) {
		fputs("balie: out of memory (cJSON)\n", stderr);
		abort();
	}
	return item;
}

static void put(cJSON *obj, const char *name, cJSON *item)
{
	if (!cJSON_AddItemToObject(obj, name, jnew(item)))
		abort(); /* only fails on NULL arguments */
}

static void put_str(cJSON *obj, const char *name, const char *v)
{
	if (v)
		put(obj, name, cJSON_CreateString(v));
}

static void put_int(cJSON *obj, const char *name, int64_t v)
{
	put(obj, name, cJSON_CreateNumber((double)v));
}

/* The shortest decimal that reads back as exactly f, so that 0.3f is stored
 * as 0.3 rather than 0.30000001192092896. */
static void put_float(cJSON *obj, const char *name, float f)
{
	char buf[48];
	if (f != f || f > 1e30f || f < -1e30f)
		f = 0.0f;
	for (int prec = 1; prec <= 9; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
		if (strtof(buf, NULL) == f)
			break;
	}
	put(obj, name, cJSON_CreateNumber(strtod(buf, NULL)));
}

static const char *const span_kinds[] = {
	[SPAN_LINK] = "link", [SPAN_MENTION] = "mention",
	[SPAN_HASHTAG] = "hashtag", [SPAN_EMOJI] = "emoji",
};

static const char *const visibilities[] = {
	[VIS_PUBLIC] = "public", [VIS_UNLISTED] = "unlisted",
	[VIS_PRIVATE] = "private", [VIS_DIRECT] = "direct",
};

static cJSON *emojis_to_json(const emoji_t *e, size_t n)
{
	cJSON *arr = jnew(cJSON_CreateArray());
	for (size_t i = 0; i < n; i++) {
		cJSON *o = jnew(cJSON_CreateObject());
		put_str(o, "shortcode", e[i].shortcode);
		put_str(o, "url", e[i].url);
		put_str(o, "file", e[i].file);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *author_to_json(const author_t *a)
{
	cJSON *o = jnew(cJSON_CreateObject());
	put_str(o, "id", a->id);
	put_str(o, "name", a->name);
	put_str(o, "handle", a->handle);
	put_str(o, "url", a->url);
	put_str(o, "avatar_url", a->avatar_url);
	put_str(o, "avatar_file", a->avatar_file);
	put(o, "bot", cJSON_CreateBool(a->bot));
	put(o, "emojis", emojis_to_json(a->emojis, a->n_emojis));
	return o;
}

cJSON *post_to_json(const post_t *p)
{
	cJSON *o = jnew(cJSON_CreateObject());
	put_str(o, "key", p->key);
	put_str(o, "source", p->source);
	put_str(o, "network", network_name(p->network));
	put_str(o, "id", p->id);
	put_str(o, "url", p->url);
	put_int(o, "created", p->created);
	put_int(o, "edited", p->edited);
	put_int(o, "fetched", p->fetched);
	put(o, "author", author_to_json(&p->author));
	put_str(o, "person", p->person);
	if (p->booster)
		put(o, "booster", author_to_json(p->booster));
	put_str(o, "text", p->text ? p->text : "");

	cJSON *spans = jnew(cJSON_CreateArray());
	for (size_t i = 0; i < p->n_spans; i++) {
		const span_t *s = &p->spans[i];
		cJSON *so = jnew(cJSON_CreateObject());
		put_str(so, "kind", (unsigned)s->kind <= SPAN_EMOJI ? span_kinds[s->kind] : "link");
		put_int(so, "start", s->start);
		put_int(so, "end", s->end);
		put_str(so, "target", s->target);
		cJSON_AddItemToArray(spans, so);
	}
	put(o, "spans", spans);

	put_str(o, "cw", p->cw);
	put(o, "sensitive", cJSON_CreateBool(p->sensitive));
	put(o, "reply", cJSON_CreateBool(p->reply));
	put_str(o, "lang", p->lang);
	put_str(o, "visibility",
	        (unsigned)p->visibility <= VIS_DIRECT ? visibilities[p->visibility] : "direct");

	cJSON *media = jnew(cJSON_CreateArray());
	for (size_t i = 0; i < p->n_media; i++) {
		const media_t *m = &p->media[i];
		cJSON *mo = jnew(cJSON_CreateObject());
		put_str(mo, "kind", media_kind_name(m->kind));
		put_str(mo, "url", m->url);
		put_str(mo, "preview_url", m->preview_url);
		put_str(mo, "alt", m->alt);
		put_int(mo, "width", m->width);
		put_int(mo, "height", m->height);
		put_float(mo, "focus_x", m->focus_x);
		put_float(mo, "focus_y", m->focus_y);
		put_str(mo, "file", m->file);
		cJSON_AddItemToArray(media, mo);
	}
	put(o, "media", media);
	put(o, "emojis", emojis_to_json(p->emojis, p->n_emojis));

	if (p->card) {
		cJSON *co = jnew(cJSON_CreateObject());
		put_str(co, "url", p->card->url);
		put_str(co, "title", p->card->title);
		put_str(co, "description", p->card->description);
		put_str(co, "image_url", p->card->image_url);
		put_str(co, "image_file", p->card->image_file);
		put(o, "card", co);
	}
	put_int(o, "priority", p->priority);
	put_int(o, "show_from", p->show_from);
	put_int(o, "show_until", p->show_until);
	return o;
}

/* ---- reading ------------------------------------------------------------ */

static const cJSON *member(const cJSON *obj, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(obj, name);
}

/* A copy of the string member, or NULL when absent or not a string. */
static char *get_str(const cJSON *obj, const char *name)
{
	const cJSON *v = member(obj, name);
	return cJSON_IsString(v) && v->valuestring ? xstrdup(v->valuestring) : NULL;
}

/* A media file name member, accepted only when it is a valid cache name:
 * names on disk never come from anywhere else. */
static char *get_file(const cJSON *obj, const char *name)
{
	const cJSON *v = member(obj, name);
	if (cJSON_IsString(v) && cache_media_name_valid(v->valuestring))
		return xstrdup(v->valuestring);
	return NULL;
}

/* An integral number within [lo, hi]; false (out untouched) otherwise.  JSON
 * numbers are doubles, so integers beyond 2^53 are not exact: refuse them. */
static bool get_int(const cJSON *obj, const char *name, int64_t lo, int64_t hi, int64_t *out)
{
	const cJSON *v = member(obj, name);
	if (!cJSON_IsNumber(v))
		return false;
	double d = v->valuedouble;
	if (!(d >= -9007199254740992.0 && d <= 9007199254740992.0))
		return false; /* also rejects NaN */
	int64_t i = (int64_t)d;
	if ((double)i != d || i < lo || i > hi)
		return false;
	*out = i;
	return true;
}

static int64_t get_time(const cJSON *obj, const char *name)
{
	int64_t v = 0;
	get_int(obj, name, INT64_MIN, INT64_MAX, &v);
	return v;
}

static bool get_bool(const cJSON *obj, const char *name)
{
	return cJSON_IsTrue(member(obj, name));
}

static void emojis_from_json(const cJSON *arr, emoji_t **out, size_t *n)
{
	const cJSON *it;
	if (!cJSON_IsArray(arr))
		return;
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsObject(it))
			continue;
		const cJSON *sc = member(it, "shortcode");
		if (!cJSON_IsString(sc) || !sc->valuestring[0])
			continue;
		const cJSON *url = member(it, "url");
		emoji_list_add(out, n, sc->valuestring, cJSON_IsString(url) ? url->valuestring : NULL);
		(*out)[*n - 1].file = get_file(it, "file");
	}
}

static void author_from_json(const cJSON *o, author_t *a)
{
	memset(a, 0, sizeof *a);
	if (cJSON_IsObject(o)) {
		a->id = get_str(o, "id");
		a->name = get_str(o, "name");
		a->handle = get_str(o, "handle");
		a->url = get_str(o, "url");
		a->avatar_url = get_str(o, "avatar_url");
		a->avatar_file = get_file(o, "avatar_file");
		a->bot = get_bool(o, "bot");
		emojis_from_json(member(o, "emojis"), &a->emojis, &a->n_emojis);
	}
	if (!a->name) /* the model promises a name; fall back as the parsers do */
		a->name = xstrdup(a->handle ? a->handle : "");
}

/* True when offset off of text (length len) starts a UTF-8 sequence or is
 * the end: a span must never cut a character in half. */
static bool on_char_boundary(const char *text, size_t len, int64_t off)
{
	return off == (int64_t)len || ((unsigned char)text[off] & 0xC0) != 0x80;
}

static void spans_from_json(const cJSON *arr, post_t *p)
{
	const cJSON *it;
	size_t len = strlen(p->text);
	if (!cJSON_IsArray(arr))
		return;
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsObject(it))
			continue;
		const cJSON *kind = member(it, "kind");
		int64_t start, end;
		int k = -1;
		if (!cJSON_IsString(kind))
			continue;
		for (int i = 0; i <= SPAN_EMOJI; i++)
			if (strcmp(kind->valuestring, span_kinds[i]) == 0)
				k = i;
		if (k < 0 || !get_int(it, "start", 0, (int64_t)len, &start) ||
		    !get_int(it, "end", start, (int64_t)len, &end) ||
		    !on_char_boundary(p->text, len, start) || !on_char_boundary(p->text, len, end))
			continue;
		const cJSON *target = member(it, "target");
		post_add_span(p, (span_kind_t)k, (uint32_t)start, (uint32_t)end,
		              cJSON_IsString(target) ? target->valuestring : NULL);
	}
}

static float get_focus(const cJSON *obj, const char *name)
{
	const cJSON *v = member(obj, name);
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= -1.0 && v->valuedouble <= 1.0))
		return 0.0f;
	return (float)v->valuedouble;
}

static void media_from_json(const cJSON *arr, post_t *p)
{
	const cJSON *it;
	if (!cJSON_IsArray(arr))
		return;
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsObject(it))
			continue;
		const cJSON *url = member(it, "url");
		if (!cJSON_IsString(url))
			continue; /* the model promises an original URL */
		const cJSON *kind = member(it, "kind");
		int64_t w = 0, h = 0;
		media_t *m = post_add_media(p);
		m->kind = media_kind_from_name(cJSON_IsString(kind) ? kind->valuestring : NULL);
		m->url = xstrdup(url->valuestring);
		m->preview_url = get_str(it, "preview_url");
		m->alt = get_str(it, "alt");
		get_int(it, "width", 0, INT_MAX, &w);
		get_int(it, "height", 0, INT_MAX, &h);
		m->width = (int)w;
		m->height = (int)h;
		m->focus_x = get_focus(it, "focus_x");
		m->focus_y = get_focus(it, "focus_y");
		m->file = get_file(it, "file");
	}
}

/* The network from the "network" member, else from the key's prefix
 * ("mastodon:..."); -1 when neither names a known network. */
static int network_of(const cJSON *obj, const char *key)
{
	const cJSON *v = member(obj, "network");
	int n = cJSON_IsString(v) ? network_from_name(v->valuestring) : -1;
	const char *colon = strchr(key, ':');
	if (n < 0 && colon) {
		char *prefix = xstrndup(key, (size_t)(colon - key));
		n = network_from_name(prefix);
		free(prefix);
	}
	return n;
}

post_t *post_from_json(const cJSON *obj)
{
	if (!cJSON_IsObject(obj))
		return NULL;
	const cJSON *key = member(obj, "key"), *text = member(obj, "text");
	if (!cJSON_IsString(key) || !key->valuestring[0] || !cJSON_IsString(text))
		return NULL;
	int net = network_of(obj, key->valuestring);
	if (net < 0)
		return NULL;

	post_t *p = post_new();
	free(p->text);
	p->text = xstrdup(text->valuestring);
	p->key = xstrdup(key->valuestring);
	p->network = (network_t)net;
	p->source = get_str(obj, "source");
	p->id = get_str(obj, "id");
	p->url = get_str(obj, "url");
	p->created = get_time(obj, "created");
	p->edited = get_time(obj, "edited");
	p->fetched = get_time(obj, "fetched");
	author_from_json(member(obj, "author"), &p->author);
	p->person = get_str(obj, "person");
	const cJSON *booster = member(obj, "booster");
	if (cJSON_IsObject(booster)) {
		p->booster = xcalloc(1, sizeof *p->booster);
		author_from_json(booster, p->booster);
	}
	spans_from_json(member(obj, "spans"), p);
	p->cw = get_str(obj, "cw");
	p->sensitive = get_bool(obj, "sensitive");
	p->reply = get_bool(obj, "reply");
	p->lang = get_str(obj, "lang");

	/* Absent means public (the common case); anything unrecognised means
	 * direct, so a damaged file never makes a post more visible. */
	const cJSON *vis = member(obj, "visibility");
	p->visibility = VIS_PUBLIC;
	if (vis) {
		p->visibility = VIS_DIRECT;
		for (int i = 0; i <= VIS_DIRECT; i++)
			if (cJSON_IsString(vis) && strcmp(vis->valuestring, visibilities[i]) == 0)
				p->visibility = (visibility_t)i;
	}

	media_from_json(member(obj, "media"), p);
	emojis_from_json(member(obj, "emojis"), &p->emojis, &p->n_emojis);
	const cJSON *card = member(obj, "card");
	if (cJSON_IsObject(card)) {
		p->card = xcalloc(1, sizeof *p->card);
		p->card->url = get_str(card, "url");
		p->card->title = get_str(card, "title");
		p->card->description = get_str(card, "description");
		p->card->image_url = get_str(card, "image_url");
		p->card->image_file = get_file(card, "image_file");
	}
	int64_t prio = 0;
	get_int(obj, "priority", INT_MIN, INT_MAX, &prio);
	p->priority = (int)prio;
	p->show_from = get_time(obj, "show_from");
	p->show_until = get_time(obj, "show_until");
	return p;
}
