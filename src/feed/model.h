/*
 * model: the post, as every network's parser produces it and every later
 * stage (cache, playlist, layout, render) consumes it.
 *
 * One shape for all networks.  Text is plain UTF-8 with spans marking links,
 * mentions, hashtags and custom emoji by byte offset; HTML, facets and
 * entities are turned into this shape by the source parsers.  Times are Unix
 * seconds (UTC).  IDs are opaque strings, never numbers.
 *
 * Ownership: a post_t owns every string and array it points to.  post_free()
 * frees all of it.  A post_list_t owns its posts.
 */
#ifndef BALIE_MODEL_H
#define BALIE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
	NET_MASTODON,
	NET_BLUESKY,
	NET_RSS,
	NET_X,
	NET_FACEBOOK,
	NET_LINKEDIN,
	NET_NOTICE,  /* front-desk notices file */
	NET_SAMPLE,  /* bundled sample feed ("voorbeeld") */
	NET__COUNT
} network_t;

/* "mastodon", "bluesky", ...; static string. */
const char *network_name(network_t n);
/* Inverse of network_name(); -1 when unknown. */
int network_from_name(const char *name);

typedef enum { SPAN_LINK, SPAN_MENTION, SPAN_HASHTAG, SPAN_EMOJI } span_kind_t;

/* [start, end) byte range of post_t.text.  target: the link URL, the mention's
 * profile URL, the hashtag URL or name, or for SPAN_EMOJI the emoji's shortcode
 * (look it up in post_t.emojis).  May be NULL. */
typedef struct {
	span_kind_t kind;
	uint32_t start, end;
	char *target;
} span_t;

typedef enum { MEDIA_IMAGE, MEDIA_GIFV, MEDIA_VIDEO, MEDIA_AUDIO, MEDIA_UNKNOWN } media_kind_t;

/* "image", "gifv", ...; static. */
const char *media_kind_name(media_kind_t k);
media_kind_t media_kind_from_name(const char *name);

typedef struct {
	media_kind_t kind;
	char *url;          /* original */
	char *preview_url;  /* small version or video thumbnail; may be NULL */
	char *alt;          /* alt text / description; may be NULL */
	int width, height;  /* 0 when unknown */
	float focus_x, focus_y; /* -1..1, Mastodon convention; 0,0 = centre */
	char *file;         /* name in the cache's media/ directory, NULL until downloaded */
} media_t;

/* A custom emoji (Mastodon) used as :shortcode: in text or names. */
typedef struct {
	char *shortcode;    /* without colons */
	char *url;
	char *file;         /* cached media name or NULL */
} emoji_t;

typedef struct {
	char *id;           /* network account id; may be NULL */
	char *name;         /* display name; never NULL after parsing (falls back to handle) */
	char *handle;       /* "@user@host" (Mastodon), "@x.bsky.social", feed title... */
	char *url;          /* profile URL; may be NULL */
	char *avatar_url;   /* may be NULL */
	char *avatar_file;  /* cached media name or NULL */
	bool bot;
	emoji_t *emojis;    /* custom emoji in name */
	size_t n_emojis;
} author_t;

typedef struct {
	char *url;
	char *title;
	char *description;
	char *image_url;
	char *image_file;
} card_t;

typedef enum { VIS_PUBLIC, VIS_UNLISTED, VIS_PRIVATE, VIS_DIRECT } visibility_t;

typedef struct post {
	char *key;          /* unique across networks: "mastodon:<uri>", "bluesky:<at-uri>", ... */
	char *source;       /* key of the source that brought it (source_spec_t.key) */
	network_t network;
	char *id;           /* native id, used for paging (min_id, since_id) */
	char *url;          /* permalink for people; may be NULL */
	int64_t created;    /* Unix seconds */
	int64_t edited;     /* 0 when never edited */
	int64_t fetched;    /* when we first stored it */
	author_t author;
	char *person;       /* configured person/organisation id, or NULL */
	author_t *booster;  /* who boosted/reposted it, or NULL */
	char *text;         /* plain UTF-8, '\n' for line breaks; never NULL */
	span_t *spans;
	size_t n_spans;
	char *cw;           /* content warning, NULL when none */
	bool sensitive;
	bool reply;         /* a reply to someone else (self-threads are not) */
	char *lang;         /* ISO 639-1 or NULL */
	visibility_t visibility;
	media_t *media;
	size_t n_media;
	emoji_t *emojis;
	size_t n_emojis;
	card_t *card;       /* link card or NULL */
	int priority;       /* notices: higher shows more often; 0 otherwise */
	int64_t show_from, show_until; /* notices: window; 0 = open */
} post_t;

typedef struct {
	post_t **items;
	size_t len, cap;
} post_list_t;

/* A zeroed post with text "".  Caller frees with post_free(). */
post_t *post_new(void);
/* Frees p and all it owns.  NULL is fine. */
void post_free(post_t *p);
/* Deep copy.  Caller frees. */
post_t *post_clone(const post_t *p);
/* Frees what a author_t owns (not the struct itself). */
void author_clear(author_t *a);
void author_copy(author_t *dst, const author_t *src);
/* Appends a span; target is copied. */
void post_add_span(post_t *p, span_kind_t kind, uint32_t start, uint32_t end, const char *target);
/* Appends a zeroed media entry and returns it (owned by p). */
media_t *post_add_media(post_t *p);
/* Appends a custom emoji (strings copied) to an emoji array. */
void emoji_list_add(emoji_t **arr, size_t *n, const char *shortcode, const char *url);

void post_list_init(post_list_t *l);
/* Takes ownership of p. */
void post_list_push(post_list_t *l, post_t *p);
/* Frees every post and the array; l is empty afterwards. */
void post_list_clear(post_list_t *l);
/* Sort newest first (created, then key for a stable order). */
void post_list_sort(post_list_t *l);
/* Index of the post with this key, or -1. */
long post_list_find(const post_list_t *l, const char *key);
/* Remove and free the post at index i (order kept). */
void post_list_remove(post_list_t *l, size_t i);

/* Compare two native ids as Mastodon recommends: by length, then bytes.
 * Works for any decimal snowflake ids (Mastodon, X). */
int id_compare(const char *a, const char *b);

#endif
