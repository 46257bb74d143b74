/* model: constructors, destructors and list helpers for post_t.  See model.h. */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "../base/xmalloc.h"

static const char *const network_names[NET__COUNT] = {
	[NET_MASTODON] = "mastodon", [NET_BLUESKY] = "bluesky", [NET_RSS] = "rss",
	[NET_X] = "x", [NET_FACEBOOK] = "facebook", [NET_LINKEDIN] = "linkedin",
	[NET_NOTICE] = "notice", [NET_SAMPLE] = "sample",
};

const char *network_name(network_t n)
{
	return (unsigned)n < NET__COUNT ? network_names[n] : "unknown";
}

int network_from_name(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < NET__COUNT; i++)
		if (strcmp(network_names[i], name) == 0)
			return i;
	return -1;
}

static const char *const media_names[] = {
	[MEDIA_IMAGE] = "image", [MEDIA_GIFV] = "gifv", [MEDIA_VIDEO] = "video",
	[MEDIA_AUDIO] = "audio", [MEDIA_UNKNOWN] = "unknown",
};

const char *media_kind_name(media_kind_t k)
{
	return (unsigned)k <= MEDIA_UNKNOWN ? media_names[k] : "unknown";
}

media_kind_t media_kind_from_name(const char *name)
{
	if (name)
		for (int i = 0; i <= MEDIA_UNKNOWN; i++)
			if (strcmp(media_names[i], name) == 0)
				return (media_kind_t)i;
	return MEDIA_UNKNOWN;
}

post_t *post_new(void)
{
	post_t *p = xcalloc(1, sizeof *p);
	p->text = xstrdup("");
	return p;
}

static void emojis_free(emoji_t *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].shortcode);
		free(e[i].url);
		free(e[i].file);
	}
	free(e);
}

static emoji_t *emojis_copy(const emoji_t *e, size_t n)
{
	if (!n)
		return NULL;
	emoji_t *d = xcalloc(n, sizeof *d);
	for (size_t i = 0; i < n; i++) {
		d[i].shortcode = xstrdup(e[i].shortcode);
		d[i].url = xstrdup(e[i].url);
		d[i].file = xstrdup(e[i].file);
	}
	return d;
}

void author_clear(author_t *a)
{
	if (!a)
		return;
	free(a->id);
	free(a->name);
	free(a->handle);
	free(a->url);
	free(a->avatar_url);
	free(a->avatar_file);
	emojis_free(a->emojis, a->n_emojis);
	memset(a, 0, sizeof *a);
}

void author_copy(author_t *dst, const author_t *src)
{
	dst->id = xstrdup(src->id);
	dst->name = xstrdup(src->name);
	dst->handle = xstrdup(src->handle);
	dst->url = xstrdup(src->url);
	dst->avatar_url = xstrdup(src->avatar_url);
	dst->avatar_file = xstrdup(src->avatar_file);
	dst->bot = src->bot;
	dst->emojis = emojis_copy(src->emojis, src->n_emojis);
	dst->n_emojis = src->n_emojis;
}

void post_free(post_t *p)
{
	if (!p)
		return;
	free(p->key);
	free(p->source);
	free(p->id);
	free(p->url);
	author_clear(&p->author);
	free(p->person);
	if (p->booster) {
		author_clear(p->booster);
		free(p->booster);
	}
	free(p->text);
	for (size_t i = 0; i < p->n_spans; i++)
		free(p->spans[i].target);
	free(p->spans);
	free(p->cw);
	free(p->lang);
	for (size_t i = 0; i < p->n_media; i++) {
		free(p->media[i].url);
		free(p->media[i].preview_url);
		free(p->media[i].alt);
		free(p->media[i].file);
	}
	free(p->media);
	emojis_free(p->emojis, p->n_emojis);
	if (p->card) {
		free(p->card->url);
		free(p->card->title);
		free(p->card->description);
		free(p->card->image_url);
		free(p->card->image_file);
		free(p->card);
	}
	free(p);
}

post_t *post_clone(const post_t *s)
{
	post_t *p = xcalloc(1, sizeof *p);
	*p = *s; /* scalars; every pointer is replaced below */
	p->key = xstrdup(s->key);
	p->source = xstrdup(s->source);
	p->id = xstrdup(s->id);
	p->url = xstrdup(s->url);
	author_copy(&p->author, &s->author);
	p->person = xstrdup(s->person);
	if (s->booster) {
		p->booster = xcalloc(1, sizeof *p->booster);
		author_copy(p->booster, s->booster);
	}
	p->text = xstrdup(s->text ? s->text : "");
	p->spans = s->n_spans ? xcalloc(s->n_spans, sizeof *p->spans) : NULL;
	for (size_t i = 0; i < s->n_spans; i++) {
		p->spans[i] = s->spans[i];
		p->spans[i].target = xstrdup(s->spans[i].target);
	}
	p->cw = xstrdup(s->cw);
	p->lang = xstrdup(s->lang);
	p->media = s->n_media ? xcalloc(s->n_media, sizeof *p->media) : NULL;
	for (size_t i = 0; i < s->n_media; i++) {
		p->media[i] = s->media[i];
		p->media[i].url = xstrdup(s->media[i].url);
		p->media[i].preview_url = xstrdup(s->media[i].preview_url);
		p->media[i].alt = xstrdup(s->media[i].alt);
		p->media[i].file = xstrdup(s->media[i].file);
	}
	p->emojis = emojis_copy(s->emojis, s->n_emojis);
	if (s->card) {
		p->card = xcalloc(1, sizeof *p->card);
		p->card->url = xstrdup(s->card->url);
		p->card->title = xstrdup(s->card->title);
		p->card->description = xstrdup(s->card->description);
		p->card->image_url = xstrdup(s->card->image_url);
		p->card->image_file = xstrdup(s->card->image_file);
	}
	return p;
}

void post_add_span(post_t *p, span_kind_t kind, uint32_t start, uint32_t end, const char *target)
{
	p->spans = xrealloc(p->spans, (p->n_spans + 1) * sizeof *p->spans);
	p->spans[p->n_spans++] = (span_t){ .kind = kind, .start = start, .end = end,
	                                   .target = xstrdup(target) };
}

media_t *post_add_media(post_t *p)
{
	p->media = xrealloc(p->media, (p->n_media + 1) * sizeof *p->media);
	media_t *m = &p->media[p->n_media++];
	memset(m, 0, sizeof *m);
	return m;
}

void emoji_list_add(emoji_t **arr, size_t *n, const char *shortcode, const char *url)
{
	*arr = xrealloc(*arr, (*n + 1) * sizeof **arr);
	(*arr)[*n] = (emoji_t){ .shortcode = xstrdup(shortcode), .url = xstrdup(url) };
	(*n)++;
}

void post_list_init(post_list_t *l)
{
	memset(l, 0, sizeof *l);
}

void post_list_push(post_list_t *l, post_t *p)
{
	XGROW(l->items, l->cap, l->len + 1);
	l->items[l->len++] = p;
}

void post_list_clear(post_list_t *l)
{
	for (size_t i = 0; i < l->len; i++)
		post_free(l->items[i]);
	free(l->items);
	post_list_init(l);
}

static int newest_first(const void *a, const void *b)
{
	const post_t *pa = *(post_t *const *)a, *pb = *(post_t *const *)b;
	if (pa->created != pb->created)
		return pa->created > pb->created ? -1 : 1;
	return strcmp(pa->key ? pa->key : "", pb->key ? pb->key : "");
}

void post_list_sort(post_list_t *l)
{
	if (l->len > 1)
		qsort(l->items, l->len, sizeof *l->items, newest_first);
}

long post_list_find(const post_list_t *l, const char *key)
{
	if (!key)
		return -1;
	for (size_t i = 0; i < l->len; i++)
		if (l->items[i]->key && strcmp(l->items[i]->key, key) == 0)
			return (long)i;
	return -1;
}

void post_list_remove(post_list_t *l, size_t i)
{
	if (i >= l->len)
		return;
	post_free(l->items[i]);
	memmove(&l->items[i], &l->items[i + 1], (l->len - i - 1) * sizeof *l->items);
	l->len--;
}

int id_compare(const char *a, const char *b)
{
	size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0;
	if (la != lb)
		return la < lb ? -1 : 1;
	return la ? strcmp(a, b) : 0;
}
