/*
 * test_bluesky: the Bluesky parser on the documented response shapes
 * (tests/fixtures/bluesky-*) plus edge cases, and the adapter's cycles
 * (author feed; hashtag search with login, refresh and login limits; the
 * reports of deleted posts) driven by hand-built responses, as the poller
 * would drive them.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "test.h"
#include "../support/srctest.h"

#include "../../src/base/strbuf.h"
#include "../../src/base/xmalloc.h"
#include "../../src/net/net.h"
#include "../../src/sources/bluesky.h"
#include "../../src/sources/source.h"

#define NOW 1741000000 /* 2025-03-03 11:06:40 UTC */
#define APPVIEW "http://127.0.0.1:9"
#define LOGIN "http://127.0.0.1:10"

/* ---- helpers ------------------------------------------------------------- */

static net_response_t *resp(int status, const char *body)
{
	return srctest_resp(APPVIEW "/xrpc/x", status, body);
}

static net_response_t *resp_fixture(int status, const char *name)
{
	return srctest_resp_fixture(APPVIEW "/xrpc/x", status, name);
}

static source_spec_t *spec_new(source_kind_t kind, const char *handle, const char *server)
{
	source_spec_t *s = xcalloc(1, sizeof *s);
	s->network = NET_BLUESKY;
	s->kind = kind;
	s->handle = xstrdup(handle);
	s->server = xstrdup(server);
	s->interval_s = 60;
	s->include_boosts = true;
	s->public_only = true;
	if (kind == SRC_ACCOUNT) {
		s->key = xasprintf("bluesky:@%s", handle);
		s->person = xstrdup("gemeente");
	} else {
		s->key = xasprintf("bluesky-tag:%s@127.0.0.1:10", handle);
	}
	return s;
}

static source_t *source_new(source_spec_t *spec, const char *token, const cJSON *state)
{
	return srctest_source_new(&bluesky_source_ops, spec, token, state, NOW);
}

static char *b64url(const char *s)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = strlen(s);
	char *o = xmalloc(n * 2 + 4), *q = o;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		*q++ = tbl[(v >> 18) & 63];
		*q++ = tbl[(v >> 12) & 63];
		if (i + 1 < n)
			*q++ = tbl[(v >> 6) & 63];
		if (i + 2 < n)
			*q++ = tbl[v & 63];
	}
	*q = '\0';
	return o;
}

static char *jwt(long long exp, const char *tag)
{
	char *claims = xasprintf("{\"scope\":\"%s\",\"sub\":\"did:plc:kiosk\",\"exp\":%lld}", tag, exp);
	char *pl = b64url(claims);
	char *t = xasprintf("eyJhbGciOiJIUzI1NiJ9.%s.c2lnbmF0dXJl", pl);
	free(claims);
	free(pl);
	return t;
}

static char *session_body(long long access_exp, long long refresh_exp)
{
	char *a = jwt(access_exp, "com.atproto.access"), *r = jwt(refresh_exp, "com.atproto.refresh");
	char *body = xasprintf("{\"did\":\"did:plc:kiosk\",\"handle\":\"balie.bsky.social\","
	                       "\"accessJwt\":\"%s\",\"refreshJwt\":\"%s\"}", a, r);
	free(a);
	free(r);
	return body;
}

#define KEY1 "bluesky:at://did:plc:v3xq7gemeentevbstad00000/app.bsky.feed.post/3ljxk2abcde2a"
#define KEY_QUOTE "bluesky:at://did:plc:v3xq7gemeentevbstad00000/app.bsky.feed.post/3ljquote000002"
#define KEY_REPOST "bluesky:at://did:plc:v3xq7gemeentevbstad00000/app.bsky.feed.repost/3ljwzrepost002"

/* ---- parsing ------------------------------------------------------------- */

TEST(author_feed_fixture_gives_text_facets_and_image)
{
	char *body = srctest_fixture("bluesky-getAuthorFeed.json", NULL);
	source_spec_t *spec = spec_new(SRC_ACCOUNT, "voorbeeldstad.nl", APPVIEW);
	post_list_t l;
	post_list_init(&l);
	bluesky_stats_t st;
	char *err = NULL;
	CHECK(bluesky_parse_author_feed(body, strlen(body), spec, NOW, &l, &st, &err));
	free(body);
	CHECK_INT(l.len, 3);        /* the graphic-media reply is left out */
	CHECK_INT(st.hidden, 1);
	CHECK_INT(st.bad_facets, 0);
	const post_t *p = srctest_find(&l, KEY1);
	CHECK(p);
	CHECK_INT(p->network, NET_BLUESKY);
	CHECK_STR(p->source, "bluesky:@voorbeeldstad.nl");
	CHECK_STR(p->person, "gemeente");
	CHECK_STR(p->url, "https://bsky.app/profile/voorbeeldstad.nl/post/3ljxk2abcde2a");
	CHECK_INT(p->created, 1740988872);
	CHECK_STR(p->author.name, "Gemeente Voorbeeldstad");
	CHECK_STR(p->author.handle, "@voorbeeldstad.nl");
	CHECK_STR(p->author.id, "did:plc:v3xq7gemeentevbstad00000");
	CHECK_STR(p->author.url, "https://bsky.app/profile/voorbeeldstad.nl");
	CHECK(p->author.avatar_url && strstr(p->author.avatar_url, "cdn.bsky.app/img/avatar"));
	CHECK_STR(p->lang, "nl");
	CHECK(!p->reply && !p->booster && !p->sensitive);
	CHECK_INT(strlen(p->text), 181);
	CHECK_INT(p->n_spans, 4);
	char *s0 = srctest_span_text(p, 0), *s1 = srctest_span_text(p, 1), *s2 = srctest_span_text(p, 2), *s3 = srctest_span_text(p, 3);
	EXPECT(strcmp(s0, "voorbeeldstad.nl/werkzaa…") == 0);
	EXPECT(strcmp(s1, "#wegwerkzaamheden") == 0);
	EXPECT(strcmp(s2, "#Voorbeeldstad") == 0);
	EXPECT(strcmp(s3, "@jdevries.voorbeeldstad.nl") == 0);
	free(s0), free(s1), free(s2), free(s3);
	CHECK_INT(p->spans[0].kind, SPAN_LINK);
	CHECK_STR(p->spans[0].target, "https://www.voorbeeldstad.nl/werkzaamheden/dorpsstraat-riolering-2025");
	CHECK_INT(p->spans[1].kind, SPAN_HASHTAG);
	CHECK_STR(p->spans[1].target, "wegwerkzaamheden");
	CHECK_INT(p->spans[3].kind, SPAN_MENTION);
	CHECK_STR(p->spans[3].target, "https://bsky.app/profile/did:plc:w7eth0uderjdevries000000");
	CHECK_INT(p->n_media, 1);
	CHECK_INT(p->media[0].kind, MEDIA_IMAGE);
	CHECK(strstr(p->media[0].url, "feed_fullsize"));
	CHECK(strstr(p->media[0].preview_url, "feed_thumbnail"));
	CHECK_STR(p->media[0].alt, "Kaart van de Dorpsstraat met de omleidingsroute in oranje via de Kerklaan.");
	CHECK_INT(p->media[0].width, 1600);
	CHECK_INT(p->media[0].height, 1067);
	CHECK(!p->card);
	/* the oldest entry in the page: the repost's indexedAt (21:44:10) is
	 * newer than the reply's 14:02, which was hidden but still counts */
	CHECK_INT(st.oldest, 1740837723);
	post_list_clear(&l);
	source_spec_free(spec);
}

TEST(quote_becomes_card_with_author_and_text)
{
	char *body = srctest_fixture("bluesky-getAuthorFeed.json", NULL);
	post_list_t l;
	post_list_init(&l);
	char *err = NULL;
	CHECK(bluesky_parse_author_feed(body, strlen(body), NULL, NOW, &l, NULL, &err));
	free(body);
	const post_t *p = srctest_find(&l, KEY_QUOTE);
	CHECK(p);
	CHECK_STR(p->text, "Update: de brand is onder controle. Zie ook 👇");
	CHECK(p->card);
	CHECK_STR(p->card->url, "https://bsky.app/profile/vr-voorbeeld.bsky.social/post/3ljwz7brandxx2");
	CHECK_STR(p->card->title, "Veiligheidsregio Voorbeeld: Grote brand Industrieweg. Houd ramen en deuren "
	                          "gesloten. www.example-crisis.nl/brand-ind…");
	CHECK(p->card->image_url && strstr(p->card->image_url, "bafkreiextthumb"));
	CHECK_INT(p->n_media, 0);
	post_list_clear(&l);
}

TEST(repost_has_booster_own_key_and_link_card)
{
	char *body = srctest_fixture("bluesky-getAuthorFeed.json", NULL);
	post_list_t l;
	post_list_init(&l);
	char *err = NULL;
	CHECK(bluesky_parse_author_feed(body, strlen(body), NULL, NOW, &l, NULL, &err));
	free(body);
	const post_t *p = srctest_find(&l, KEY_REPOST);
	CHECK(p);
	CHECK_STR(p->author.name, "Veiligheidsregio Voorbeeld");
	CHECK(p->booster);
	CHECK_STR(p->booster->name, "Gemeente Voorbeeldstad");
	CHECK_STR(p->id, "at://did:plc:vr4veiligheidsregio00000/app.bsky.feed.post/3ljwz7brandxx2");
	CHECK_STR(p->url, "https://bsky.app/profile/vr-voorbeeld.bsky.social/post/3ljwz7brandxx2");
	CHECK_INT(p->created, 1740951600); /* the original's time, as for Mastodon boosts */
	CHECK(p->card);
	CHECK_STR(p->card->url, "https://www.example-crisis.nl/brand-industrieweg");
	CHECK_STR(p->card->title, "Brand Industrieweg: houd ramen en deuren gesloten");
	CHECK(p->card->description && strstr(p->card->description, "Actuele informatie"));
	CHECK(p->card->image_url && strstr(p->card->image_url, "feed_thumbnail"));
	CHECK_INT(p->n_spans, 1);
	CHECK_STR(p->spans[0].target, "https://www.example-crisis.nl/brand-industrieweg");
	post_list_clear(&l);
}

TEST(reposts_left_out_when_boosts_are_off)
{
	char *body = srctest_fixture("bluesky-getAuthorFeed.json", NULL);
	source_spec_t *spec = spec_new(SRC_ACCOUNT, "voorbeeldstad.nl", APPVIEW);
	spec->include_boosts = false;
	post_list_t l;
	post_list_init(&l);
	bluesky_stats_t st;
	char *err = NULL;
	CHECK(bluesky_parse_author_feed(body, strlen(body), spec, NOW, &l, &st, &err));
	free(body);
	CHECK_INT(l.len, 2);
	CHECK_INT(st.reposts, 1);
	CHECK(!srctest_find(&l, KEY_REPOST));
	post_list_clear(&l);
	source_spec_free(spec);
}

/* A postView around a record, with labels and an embed given as JSON. */
static char *view(const char *did, const char *record_extra, const char *view_extra)
{
	return xasprintf("{\"uri\":\"at://%s/app.bsky.feed.post/3abc\",\"cid\":\"bafy\","
	                 "\"author\":{\"did\":\"%s\",\"handle\":\"jan.gemeente.nl\",\"displayName\":\"Jan\"},"
	                 "\"record\":{\"$type\":\"app.bsky.feed.post\",\"text\":\"Hallo\","
	                 "\"createdAt\":\"2025-03-03T08:00:00Z\"%s},"
	                 "\"indexedAt\":\"2025-03-03T08:00:01Z\"%s}",
	                 did, did, record_extra, view_extra);
}

static post_t *parse_view(const char *json, bluesky_stats_t *st)
{
	cJSON *v = cJSON_Parse(json);
	post_t *p = bluesky_post_from_view(v, NULL, NOW, st);
	cJSON_Delete(v);
	return p;
}

TEST(labels_hide_unless_negated_or_expired)
{
	static const struct {
		const char *labels;
		bool hidden;
	} cases[] = {
		{ ",\"labels\":[]", false },
		{ ",\"labels\":[{\"src\":\"did:plc:mod\",\"val\":\"porn\",\"cts\":\"2025-01-01T00:00:00Z\"}]", true },
		{ ",\"labels\":[{\"src\":\"did:plc:mod\",\"val\":\"sexual\"}]", true },
		{ ",\"labels\":[{\"src\":\"did:plc:mod\",\"val\":\"!hide\"}]", true },
		{ ",\"labels\":[{\"src\":\"did:plc:mod\",\"val\":\"graphic-media\"}]", true },
		/* negated in place, or by a later label from the same labeler */
		{ ",\"labels\":[{\"src\":\"did:plc:mod\",\"val\":\"porn\",\"neg\":true}]", false },
		{ ",\"labels\":[{\"src\":\"did:plc:mod\",\"val\":\"porn\"},{\"src\":\"did:plc:mod\",\"val\":\"porn\",\"neg\":true}]", false },
		/* a negation from another labeler does not cancel */
		{ ",\"labels\":[{\"src\":\"did:plc:mod\",\"val\":\"porn\"},{\"src\":\"did:plc:other\",\"val\":\"porn\",\"neg\":true}]", true },
		/* expired, and not yet expired */
		{ ",\"labels\":[{\"src\":\"did:plc:mod\",\"val\":\"porn\",\"exp\":\"2025-03-01T00:00:00Z\"}]", false },
		{ ",\"labels\":[{\"src\":\"did:plc:mod\",\"val\":\"porn\",\"exp\":\"2025-04-01T00:00:00Z\"}]", true },
		/* labels that do not hide */
		{ ",\"labels\":[{\"src\":\"did:plc:mod\",\"val\":\"nudity\"}]", false },
		{ ",\"labels\":[{\"val\":17},{\"src\":3}]", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *j = view("did:plc:jan", "", cases[i].labels);
		bluesky_stats_t st = { 0 };
		post_t *p = parse_view(j, &st);
		if (cases[i].hidden != (p == NULL))
			TEST_FAIL_("case %zu (%s): hidden=%d", i, cases[i].labels, p == NULL);
		EXPECT(st.hidden == (cases[i].hidden ? 1u : 0u));
		post_free(p);
		free(j);
	}
}

TEST(self_labels_and_author_labels_count)
{
	char *j = view("did:plc:jan", ",\"labels\":{\"$type\":\"com.atproto.label.defs#selfLabels\","
	                              "\"values\":[{\"val\":\"porn\"}]}", "");
	post_t *p = parse_view(j, NULL);
	CHECK(!p);
	free(j);
	/* an author labelled !hide hides all their posts */
	const char *json = "{\"uri\":\"at://did:plc:x/app.bsky.feed.post/1\",\"author\":{\"did\":\"did:plc:x\","
	                   "\"handle\":\"x.test\",\"labels\":[{\"src\":\"did:plc:mod\",\"val\":\"!hide\"}]},"
	                   "\"record\":{\"text\":\"hoi\",\"createdAt\":\"2025-03-03T08:00:00Z\"}}";
	p = parse_view(json, NULL);
	CHECK(!p);
	/* nudity and !warn only mark the post sensitive; "bot" marks the author */
	json = "{\"uri\":\"at://did:plc:x/app.bsky.feed.post/1\",\"author\":{\"did\":\"did:plc:x\","
	       "\"handle\":\"x.test\",\"labels\":[{\"src\":\"did:plc:x\",\"val\":\"bot\"}]},"
	       "\"labels\":[{\"src\":\"did:plc:mod\",\"val\":\"!warn\"}],"
	       "\"record\":{\"text\":\"hoi\",\"createdAt\":\"2025-03-03T08:00:00Z\"}}";
	p = parse_view(json, NULL);
	CHECK(p);
	CHECK(p->sensitive);
	CHECK(p->author.bot);
	post_free(p);
}

TEST(self_thread_reply_is_not_a_reply_but_a_reply_to_others_is)
{
	char *j = view("did:plc:jan", ",\"reply\":{\"root\":{\"uri\":\"at://did:plc:jan/app.bsky.feed.post/1\"},"
	                              "\"parent\":{\"uri\":\"at://did:plc:jan/app.bsky.feed.post/1\"}}", "");
	post_t *p = parse_view(j, NULL);
	CHECK(p);
	CHECK(!p->reply);
	post_free(p);
	free(j);
	j = view("did:plc:jan", ",\"reply\":{\"root\":{\"uri\":\"at://did:plc:piet/app.bsky.feed.post/1\"},"
	                        "\"parent\":{\"uri\":\"at://did:plc:piet/app.bsky.feed.post/1\"}}", "");
	p = parse_view(j, NULL);
	CHECK(p);
	CHECK(p->reply);
	post_free(p);
	free(j);
}

TEST(hidden_video_reply_shows_as_thumbnail_when_unlabelled)
{
	/* the fixture's fourth post, without its graphic-media labels */
	char *body = srctest_fixture("bluesky-getAuthorFeed.json", NULL);
	cJSON *root = cJSON_Parse(body);
	free(body);
	cJSON *item = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "feed"), 3);
	cJSON *post = cJSON_GetObjectItem(item, "post");
	cJSON_DeleteItemFromObject(post, "labels");
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(post, "record"), "labels");
	post_t *p = bluesky_post_from_view(post, NULL, NOW, NULL);
	cJSON_Delete(root);
	CHECK(p);
	CHECK(!p->reply); /* parent is its own (deleted) post: a self-thread */
	CHECK_INT(p->n_media, 1);
	CHECK_INT(p->media[0].kind, MEDIA_VIDEO);
	CHECK(strstr(p->media[0].preview_url, "thumbnail.jpg"));
	CHECK_STR(p->media[0].alt, "Omgewaaide bomen op het grasveld van het Stadspark.");
	CHECK_INT(p->media[0].width, 16);
	post_free(p);
}

TEST(facets_with_bad_bounds_split_characters_or_overlaps_are_dropped)
{
	post_t *p = post_new();
	free(p->text);
	p->text = xstrdup("🚧 café #één https://x.nl"); /* 🚧 = 4 bytes, é = 2 */
	/* byte offsets: "🚧"0-4, " "4, "café"5-10, " "10, "#één"11-17, " "17, link 18-30 */
	const char *facets =
		"["
		"{\"index\":{\"byteStart\":11,\"byteEnd\":17},\"features\":[{\"$type\":\"app.bsky.richtext.facet#tag\",\"tag\":\"één\"}]},"
		"{\"index\":{\"byteStart\":18,\"byteEnd\":30},\"features\":[{\"$type\":\"app.bsky.richtext.facet#link\",\"uri\":\"https://x.nl\"}]},"
		/* inside the 4-byte emoji */
		"{\"index\":{\"byteStart\":2,\"byteEnd\":4},\"features\":[{\"$type\":\"app.bsky.richtext.facet#tag\",\"tag\":\"a\"}]},"
		/* ends inside é */
		"{\"index\":{\"byteStart\":5,\"byteEnd\":9},\"features\":[{\"$type\":\"app.bsky.richtext.facet#tag\",\"tag\":\"b\"}]},"
		/* past the end, reversed, empty, negative, fractional, missing */
		"{\"index\":{\"byteStart\":18,\"byteEnd\":31},\"features\":[{\"$type\":\"app.bsky.richtext.facet#link\",\"uri\":\"https://y\"}]},"
		"{\"index\":{\"byteStart\":10,\"byteEnd\":5},\"features\":[{\"$type\":\"app.bsky.richtext.facet#tag\",\"tag\":\"c\"}]},"
		"{\"index\":{\"byteStart\":5,\"byteEnd\":5},\"features\":[{\"$type\":\"app.bsky.richtext.facet#tag\",\"tag\":\"d\"}]},"
		"{\"index\":{\"byteStart\":-1,\"byteEnd\":4},\"features\":[{\"$type\":\"app.bsky.richtext.facet#tag\",\"tag\":\"e\"}]},"
		"{\"index\":{\"byteStart\":0.5,\"byteEnd\":4},\"features\":[{\"$type\":\"app.bsky.richtext.facet#tag\",\"tag\":\"f\"}]},"
		"{\"features\":[{\"$type\":\"app.bsky.richtext.facet#tag\",\"tag\":\"g\"}]},"
		/* overlaps the #één facet: dropped, the first by byteStart wins */
		"{\"index\":{\"byteStart\":12,\"byteEnd\":20},\"features\":[{\"$type\":\"app.bsky.richtext.facet#tag\",\"tag\":\"h\"}]},"
		/* an unknown feature only */
		"{\"index\":{\"byteStart\":0,\"byteEnd\":4},\"features\":[{\"$type\":\"app.bsky.richtext.facet#future\"}]},"
		/* a mention without did */
		"{\"index\":{\"byteStart\":0,\"byteEnd\":4},\"features\":[{\"$type\":\"app.bsky.richtext.facet#mention\"}]}"
		"]";
	cJSON *f = cJSON_Parse(facets);
	size_t dropped = bluesky_apply_facets(p, f);
	cJSON_Delete(f);
	CHECK_INT(dropped, 11);
	CHECK_INT(p->n_spans, 2);
	char *a = srctest_span_text(p, 0), *b = srctest_span_text(p, 1);
	EXPECT(strcmp(a, "#één") == 0);
	EXPECT(strcmp(b, "https://x.nl") == 0);
	free(a);
	free(b);
	post_free(p);
}

TEST(missing_fields_drop_the_post_or_the_field_never_the_page)
{
	const char *body =
		"{\"feed\":["
		"{\"post\":{\"uri\":\"at://did:plc:a/app.bsky.feed.post/1\",\"author\":{\"did\":\"did:plc:a\",\"handle\":\"a.test\"},"
		"  \"record\":{\"createdAt\":\"2025-03-03T08:00:00Z\"}}},"                       /* no text: "" */
		"{\"post\":{\"uri\":\"at://did:plc:a/app.bsky.feed.post/2\",\"author\":{\"did\":\"did:plc:a\",\"handle\":\"a.test\"},"
		"  \"record\":{\"text\":\"geen datum\"},\"indexedAt\":\"2025-03-02T08:00:00Z\"}},"  /* indexedAt used */
		"{\"post\":{\"uri\":\"at://did:plc:a/app.bsky.feed.post/3\",\"author\":{\"did\":\"did:plc:a\",\"handle\":\"a.test\"},"
		"  \"record\":{\"text\":\"toekomst\",\"createdAt\":\"2030-01-01T00:00:00Z\"},\"indexedAt\":\"2025-03-03T09:00:00Z\"}},"
		"{\"post\":{\"uri\":\"at://did:plc:a/app.bsky.feed.post/4\",\"author\":{\"did\":\"did:plc:a\",\"handle\":\"a.test\"},"
		"  \"record\":{\"text\":\"rare embed\",\"createdAt\":\"2025-03-03T08:00:00Z\"},"
		"  \"embed\":{\"$type\":\"app.bsky.embed.hologram#view\",\"x\":1}}},"
		"{\"post\":{\"uri\":\"at://did:plc:a/app.bsky.feed.post/5\",\"author\":{\"did\":\"did:plc:a\",\"handle\":\"a.test\"},"
		"  \"record\":{\"text\":\"lege quote\",\"createdAt\":\"2025-03-03T08:00:00Z\"},"
		"  \"embed\":{\"$type\":\"app.bsky.embed.record#view\",\"record\":{\"$type\":\"app.bsky.embed.record#viewNotFound\","
		"  \"uri\":\"at://x\",\"notFound\":true}}}},"
		"{\"post\":{\"uri\":\"at://did:plc:a/app.bsky.feed.post/6\",\"record\":{\"text\":\"geen auteur\"}}},"
		"{\"post\":{\"author\":{\"did\":\"did:plc:a\"},\"record\":{\"text\":\"geen uri\"}}},"
		"{\"post\":{\"uri\":\"https://not-at/1\",\"author\":{\"did\":\"did:plc:a\"},\"record\":{\"text\":\"x\"}}},"
		"{\"post\":\"string\"}, 42, null,"
		"{\"post\":{\"uri\":\"at://did:plc:a/app.bsky.feed.post/7\",\"author\":{\"did\":\"did:plc:a\",\"handle\":\"a.test\"},"
		"  \"record\":{\"text\":\"galerij\",\"createdAt\":\"2025-03-03T08:00:00Z\"},"
		"  \"embed\":{\"$type\":\"app.bsky.embed.recordWithMedia#view\","
		"    \"media\":{\"$type\":\"app.bsky.embed.gallery#view\",\"items\":[{\"thumbnail\":\"https://cdn/t.jpg\",\"fullsize\":\"https://cdn/f.jpg\",\"alt\":\"\"}]},"
		"    \"record\":{\"record\":{\"$type\":\"app.bsky.embed.record#viewRecord\",\"uri\":\"at://did:plc:b/app.bsky.feed.post/9\","
		"      \"author\":{\"did\":\"did:plc:b\",\"handle\":\"b.test\"},\"value\":{\"text\":\"geciteerd\"}}}}}}"
		"]}";
	post_list_t l;
	post_list_init(&l);
	bluesky_stats_t st;
	char *err = NULL;
	CHECK(bluesky_parse_author_feed(body, strlen(body), NULL, NOW, &l, &st, &err));
	CHECK_INT(l.len, 6);
	CHECK_INT(st.malformed, 6);
	const post_t *p = srctest_find(&l, "bluesky:at://did:plc:a/app.bsky.feed.post/1");
	CHECK(p);
	CHECK_STR(p->text, "");
	CHECK_STR(p->author.name, "a.test"); /* no displayName: the handle */
	p = srctest_find(&l, "bluesky:at://did:plc:a/app.bsky.feed.post/2");
	CHECK(p);
	CHECK_INT(p->created, 1740902400);
	p = srctest_find(&l, "bluesky:at://did:plc:a/app.bsky.feed.post/3");
	CHECK(p);
	CHECK_INT(p->created, 1740992400); /* a future createdAt: indexedAt */
	p = srctest_find(&l, "bluesky:at://did:plc:a/app.bsky.feed.post/4");
	CHECK(p && !p->card && !p->n_media);
	p = srctest_find(&l, "bluesky:at://did:plc:a/app.bsky.feed.post/5");
	CHECK(p && !p->card);
	p = srctest_find(&l, "bluesky:at://did:plc:a/app.bsky.feed.post/7");
	CHECK(p);
	CHECK_INT(p->n_media, 1);
	CHECK_STR(p->media[0].url, "https://cdn/f.jpg");
	CHECK(p->media[0].alt == NULL);
	CHECK(p->card);
	CHECK_STR(p->card->title, "b.test: geciteerd");
	post_list_clear(&l);
}

TEST(html_error_page_and_wrong_shapes_are_errors)
{
	post_list_t l;
	post_list_init(&l);
	char *err = NULL;
	const char *html = "<!DOCTYPE html><html><body><h1>403 Forbidden</h1></body></html>";
	CHECK(!bluesky_parse_author_feed(html, strlen(html), NULL, NOW, &l, NULL, &err));
	CHECK_STR(err, "expected JSON, got an HTML page");
	free(err);
	err = NULL;
	CHECK(!bluesky_parse_author_feed("{\"feed\":{}}", 11, NULL, NOW, &l, NULL, &err));
	CHECK_STR(err, "the response has no \"feed\" list");
	free(err);
	err = NULL;
	CHECK(!bluesky_parse_search("{\"posts\":[", 10, NULL, NOW, &l, NULL, &err));
	CHECK_STR(err, "the response is not valid JSON");
	free(err);
	CHECK_INT(l.len, 0);
}

TEST(search_fixture_parses)
{
	char *body = srctest_fixture("bluesky-searchPosts.json", NULL);
	source_spec_t *spec = spec_new(SRC_HASHTAG, "wegwerkzaamheden", LOGIN);
	post_list_t l;
	post_list_init(&l);
	char *err = NULL;
	CHECK(bluesky_parse_search(body, strlen(body), spec, NOW, &l, NULL, &err));
	free(body);
	CHECK_INT(l.len, 1);
	CHECK_STR(l.items[0]->key, KEY1);
	CHECK(l.items[0]->person == NULL); /* hashtag posts: the feed decides */
	CHECK_INT(l.items[0]->n_spans, 4);
	post_list_clear(&l);
	source_spec_free(spec);
}

TEST(jwt_expiry_is_read)
{
	char *t = jwt(1741007200, "x");
	CHECK_INT(bluesky_jwt_exp(t), 1741007200);
	free(t);
	CHECK_INT(bluesky_jwt_exp("not-a-jwt"), 0);
	CHECK_INT(bluesky_jwt_exp("a.!!!.b"), 0);
	CHECK_INT(bluesky_jwt_exp("a.e30.b"), 0); /* {} */
	CHECK_INT(bluesky_jwt_exp(NULL), 0);
}

/* ---- the account adapter ------------------------------------------------- */

TEST(account_cycle_fetches_feed_and_revalidates_with_etag)
{
	source_t *s = source_new(spec_new(SRC_ACCOUNT, "@voorbeeldstad.nl", APPVIEW), NULL, NULL);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	net_request_t *req = s->ops->next_request(s);
	CHECK(req);
	CHECK_STR(req->url, APPVIEW "/xrpc/app.bsky.feed.getAuthorFeed?actor=voorbeeldstad.nl"
	                    "&filter=posts_and_author_threads&limit=30");
	CHECK(!srctest_req_header(req, "Authorization"));
	CHECK(!srctest_req_header(req, "If-None-Match"));
	CHECK(!req->post_body);
	net_request_free(req);
	net_response_t *r = resp_fixture(200, "bluesky-getAuthorFeed.json");
	srctest_resp_header(r, "ETag", "W/\"abc\"");
	CHECK_INT(srctest_answer(s, r, &b), SRC_DONE);
	CHECK_INT(b.posts.len, 3);
	CHECK(b.authoritative);
	CHECK_INT(b.window_start, 1740837723);
	CHECK(!s->ops->next_request(s)); /* one request per cycle */
	source_batch_clear(&b);

	/* the ETag survives a restart */
	cJSON *state = s->ops->save_state(s);
	srctest_source_free(s);
	s = source_new(spec_new(SRC_ACCOUNT, "voorbeeldstad.nl", APPVIEW), NULL, state);
	cJSON_Delete(state);
	s->ops->begin(s);
	req = s->ops->next_request(s);
	CHECK(req);
	CHECK_STR(srctest_req_header(req, "If-None-Match"), "W/\"abc\"");
	net_request_free(req);
	CHECK_INT(srctest_answer(s, resp(304, ""), &b), SRC_NOT_MODIFIED);
	CHECK_INT(b.posts.len, 0);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(account_replies_on_asks_for_replies)
{
	source_spec_t *spec = spec_new(SRC_ACCOUNT, "did:plc:v3xq7gemeentevbstad00000", APPVIEW);
	spec->include_replies = true;
	source_t *s = source_new(spec, NULL, NULL);
	s->ops->begin(s);
	net_request_t *req = s->ops->next_request(s);
	CHECK(req);
	CHECK_STR(req->url, APPVIEW "/xrpc/app.bsky.feed.getAuthorFeed?actor=did%3Aplc%3Av3xq7gemeentevbstad00000"
	                    "&filter=posts_with_replies&limit=30");
	net_request_free(req);
	srctest_source_free(s);
}

TEST(account_errors_map_to_statuses_with_messages)
{
	static const struct {
		int status;
		const char *body;
		source_status_t want;
		const char *msg;
	} cases[] = {
		{ 400, "{\"error\":\"InvalidRequest\",\"message\":\"Profile not found\"}", SRC_ERR_NOT_FOUND,
		  "Bluesky account @voorbeeldstad.nl: InvalidRequest: Profile not found" },
		{ 400, "{\"error\":\"BlockedActor\",\"message\":\"Requester has blocked actor\"}", SRC_ERR_NOT_FOUND,
		  "Bluesky account @voorbeeldstad.nl: BlockedActor: Requester has blocked actor" },
		{ 502, "<html><body>Bad gateway</body></html>", SRC_ERR_NETWORK,
		  "the Bluesky AppView: HTTP 502 (an HTML error page)" },
		{ 403, "<html>Request forbidden by administrative rules</html>", SRC_ERR_DATA,
		  "Bluesky AppView answered HTTP 403 (an HTML error page)" },
		{ 200, "<html>captive portal</html>", SRC_ERR_DATA,
		  "Bluesky account @voorbeeldstad.nl: expected JSON, got an HTML page" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		source_t *s = source_new(spec_new(SRC_ACCOUNT, "voorbeeldstad.nl", APPVIEW), NULL, NULL);
		source_batch_t b;
		source_batch_init(&b);
		s->ops->begin(s);
		net_request_free(s->ops->next_request(s));
		source_status_t st = srctest_answer(s, resp(cases[i].status, cases[i].body), &b);
		if (st != cases[i].want || !b.message || strcmp(b.message, cases[i].msg) != 0)
			TEST_FAIL_("case %zu: status %s, message \"%s\"", i, source_status_name(st),
			           b.message ? b.message : "(null)");
		source_batch_clear(&b);
		srctest_source_free(s);
	}
}

TEST(account_rate_limit_and_transport_failure)
{
	source_t *s = source_new(spec_new(SRC_ACCOUNT, "voorbeeldstad.nl", APPVIEW), NULL, NULL);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	net_request_free(s->ops->next_request(s));
	net_response_t *r = resp(429, "{\"error\":\"RateLimitExceeded\",\"message\":\"Rate Limit Exceeded\"}");
	srctest_resp_header(r, "ratelimit-reset", "1741000500");
	CHECK_INT(srctest_answer(s, r, &b), SRC_ERR_RATE);
	CHECK_INT(b.retry_at, 1741000500);
	CHECK_STR(b.message, "the Bluesky AppView is rate limiting us (HTTP 429); next try in 500 s");
	source_batch_clear(&b);

	s->ops->begin(s);
	net_request_free(s->ops->next_request(s));
	r = resp(0, "");
	r->error = NET_ERR_CONNECT;
	r->error_text = xstrdup("Connection refused");
	CHECK_INT(srctest_answer(s, r, &b), SRC_ERR_NETWORK);
	CHECK(b.message && strstr(b.message, "Connection refused"));
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(disallowed_service_url_is_a_configuration_error)
{
	source_t *s = source_new(spec_new(SRC_ACCOUNT, "voorbeeldstad.nl", "http://appview.example"), NULL, NULL);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	CHECK(!s->ops->next_request(s));
	CHECK_INT(s->ops->handle(s, NULL, &b), SRC_ERR_CONFIG);
	CHECK(b.message && strstr(b.message, "is not allowed"));
	source_batch_clear(&b);
	srctest_source_free(s);
}

/* ---- the hashtag adapter ------------------------------------------------- */

TEST(hashtag_without_app_password_is_a_configuration_error)
{
	source_t *s = source_new(spec_new(SRC_HASHTAG, "raad", LOGIN), NULL, NULL);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	CHECK(!s->ops->next_request(s));
	CHECK_INT(s->ops->handle(s, NULL, &b), SRC_ERR_CONFIG);
	CHECK(b.message);
	CHECK(strncmp(b.message, "hashtag #raad on Bluesky needs an app password: set bluesky_password = FILE",
	              strlen("hashtag #raad on Bluesky needs an app password: set bluesky_password = FILE")) == 0);
	source_batch_clear(&b);
	srctest_source_free(s);
	/* a token file with only a handle is just as unusable */
	s = source_new(spec_new(SRC_HASHTAG, "raad", LOGIN), "balie.bsky.social", NULL);
	s->ops->begin(s);
	CHECK(!s->ops->next_request(s));
	CHECK_INT(s->ops->handle(s, NULL, &b), SRC_ERR_CONFIG);
	source_batch_clear(&b);
	srctest_source_free(s);
}

#define CREDS "balie.bsky.social\nabcd-efgh-ijkl-mnop\n"

TEST(hashtag_logs_in_searches_and_keeps_the_session)
{
	source_t *s = source_new(spec_new(SRC_HASHTAG, "wegwerkzaamheden", LOGIN), CREDS, NULL);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	net_request_t *req = s->ops->next_request(s);
	CHECK(req);
	CHECK_STR(req->url, LOGIN "/xrpc/com.atproto.server.createSession");
	CHECK(req->post_body);
	cJSON *body = cJSON_Parse(req->post_body);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(body, "identifier")), "balie.bsky.social");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(body, "password")), "abcd-efgh-ijkl-mnop");
	cJSON_Delete(body);
	net_request_free(req);
	char *sess = session_body(NOW + 7200, NOW + 60 * 86400);
	CHECK_INT(srctest_answer(s, resp(200, sess), &b), SRC_CONTINUE);
	free(sess);

	req = s->ops->next_request(s);
	CHECK(req);
	CHECK_STR(req->url, LOGIN "/xrpc/app.bsky.feed.searchPosts?q=%23wegwerkzaamheden&sort=latest&limit=25");
	const char *auth = srctest_req_header(req, "Authorization");
	CHECK(auth && strncmp(auth, "Bearer eyJ", 10) == 0);
	net_request_free(req);
	CHECK_INT(srctest_answer(s, resp_fixture(200, "bluesky-searchPosts.json"), &b), SRC_DONE);
	CHECK_INT(b.posts.len, 1);
	CHECK(!b.authoritative); /* search results come and go */
	CHECK(!strstr(b.message, "abcd-efgh"));
	source_batch_clear(&b);

	/* a restart reuses the saved session: no second login */
	cJSON *state = s->ops->save_state(s);
	char *printed = cJSON_PrintUnformatted(state);
	CHECK(!strstr(printed, "abcd-efgh-ijkl-mnop")); /* never the app password */
	free(printed);
	srctest_source_free(s);
	s = source_new(spec_new(SRC_HASHTAG, "wegwerkzaamheden", LOGIN), CREDS, state);
	cJSON_Delete(state);
	s->now = NOW + 600;
	s->ops->begin(s);
	req = s->ops->next_request(s);
	CHECK(req);
	CHECK(strstr(req->url, "searchPosts"));
	net_request_free(req);
	srctest_source_free(s);
}

TEST(expired_access_token_is_refreshed_then_search_retried)
{
	source_t *s = source_new(spec_new(SRC_HASHTAG, "raad", LOGIN), CREDS, NULL);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	net_request_free(s->ops->next_request(s));
	char *sess = session_body(NOW + 7200, NOW + 60 * 86400);
	CHECK_INT(srctest_answer(s, resp(200, sess), &b), SRC_CONTINUE);
	free(sess);
	net_request_free(s->ops->next_request(s));
	CHECK_INT(srctest_answer(s, resp_fixture(200, "bluesky-searchPosts.json"), &b), SRC_DONE);
	source_batch_clear(&b);

	/* three hours later the access token has expired: refresh, then search */
	s->now = NOW + 3 * 3600;
	s->ops->begin(s);
	net_request_t *req = s->ops->next_request(s);
	CHECK(req);
	CHECK_STR(req->url, LOGIN "/xrpc/com.atproto.server.refreshSession");
	CHECK(req->post_body && !*req->post_body);
	CHECK(srctest_req_header(req, "Authorization"));
	net_request_free(req);
	sess = session_body(s->now + 7200, s->now + 60 * 86400);
	CHECK_INT(srctest_answer(s, resp(200, sess), &b), SRC_CONTINUE);
	free(sess);
	req = s->ops->next_request(s);
	CHECK(req && strstr(req->url, "searchPosts"));
	net_request_free(req);
	/* the server says the token expired anyway: refresh once more */
	CHECK_INT(srctest_answer(s, resp(400, "{\"error\":\"ExpiredToken\",\"message\":\"Token has expired\"}"), &b),
	          SRC_CONTINUE);
	req = s->ops->next_request(s);
	CHECK(req && strstr(req->url, "refreshSession"));
	net_request_free(req);
	/* the refresh token is revoked: a new login, but not within 5 minutes
	 * of the last one... which was three hours ago, so it is allowed */
	CHECK_INT(srctest_answer(s, resp(400, "{\"error\":\"ExpiredToken\",\"message\":\"Token has been revoked\"}"), &b),
	          SRC_CONTINUE);
	req = s->ops->next_request(s);
	CHECK(req && strstr(req->url, "createSession"));
	net_request_free(req);
	sess = session_body(s->now + 7200, s->now + 60 * 86400);
	CHECK_INT(srctest_answer(s, resp(200, sess), &b), SRC_CONTINUE);
	free(sess);
	/* the session is rejected yet again: the cycle ends, it does not loop */
	req = s->ops->next_request(s);
	CHECK(req && strstr(req->url, "searchPosts"));
	net_request_free(req);
	CHECK_INT(srctest_answer(s, resp(401, "{\"error\":\"AuthMissing\",\"message\":\"Authentication Required\"}"), &b),
	          SRC_CONTINUE);
	CHECK(!s->ops->next_request(s));
	CHECK_INT(s->ops->handle(s, NULL, &b), SRC_ERR_DATA);
	CHECK_STR(b.message, "Bluesky keeps rejecting the session; trying again later");
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(failed_login_is_auth_error_and_logins_are_spaced_five_minutes)
{
	source_t *s = source_new(spec_new(SRC_HASHTAG, "raad", LOGIN), "balie.bsky.social wrong-password", NULL);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	net_request_t *req = s->ops->next_request(s);
	CHECK(req && strstr(req->url, "createSession"));
	net_request_free(req);
	CHECK_INT(srctest_answer(s, resp(401, "{\"error\":\"AuthenticationRequired\",\"message\":\"Invalid identifier or password\"}"), &b),
	          SRC_ERR_AUTH);
	CHECK_STR(b.message, "Bluesky login for hashtag #raad failed: AuthenticationRequired: Invalid identifier "
	                     "or password; check the handle and app password in its bluesky_password file");
	CHECK(!strstr(b.message, "wrong-password"));
	source_batch_clear(&b);

	/* two minutes later (a reload): no login yet */
	s->now = NOW + 120;
	s->ops->begin(s);
	CHECK(!s->ops->next_request(s));
	CHECK_INT(s->ops->handle(s, NULL, &b), SRC_ERR_RATE);
	CHECK_INT(b.retry_at, NOW + 300);
	source_batch_clear(&b);

	/* after five minutes it may try again; a 429 pushes the next try to the reset */
	s->now = NOW + 301;
	s->ops->begin(s);
	req = s->ops->next_request(s);
	CHECK(req && strstr(req->url, "createSession"));
	net_request_free(req);
	net_response_t *r = resp(429, "{\"error\":\"RateLimitExceeded\"}");
	srctest_resp_header(r, "RateLimit-Reset", "1741003600");
	CHECK_INT(srctest_answer(s, r, &b), SRC_ERR_RATE);
	CHECK_INT(b.retry_at, 1741003600);
	source_batch_clear(&b);
	s->now = NOW + 1000;
	s->ops->begin(s);
	CHECK(!s->ops->next_request(s));
	CHECK_INT(s->ops->handle(s, NULL, &b), SRC_ERR_RATE);
	CHECK_INT(b.retry_at, 1741003600);
	source_batch_clear(&b);

	/* the limit is kept across restarts */
	cJSON *state = s->ops->save_state(s);
	srctest_source_free(s);
	s = source_new(spec_new(SRC_HASHTAG, "raad", LOGIN), CREDS, state);
	cJSON_Delete(state);
	s->now = NOW + 1100;
	s->ops->begin(s);
	CHECK(!s->ops->next_request(s));
	srctest_source_free(s);
}

TEST(two_factor_answer_says_use_an_app_password)
{
	source_t *s = source_new(spec_new(SRC_HASHTAG, "raad", LOGIN), CREDS, NULL);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	net_request_free(s->ops->next_request(s));
	CHECK_INT(srctest_answer(s, resp(401, "{\"error\":\"AuthFactorTokenRequired\",\"message\":\"A sign in code has been sent\"}"), &b),
	          SRC_ERR_AUTH);
	CHECK_STR(b.message, "Bluesky login for hashtag #raad needs an e-mail code: use an app password, "
	                     "not the account password");
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(another_handle_in_the_token_file_drops_the_old_session)
{
	source_t *s = source_new(spec_new(SRC_HASHTAG, "raad", LOGIN), CREDS, NULL);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	net_request_free(s->ops->next_request(s));
	char *sess = session_body(NOW + 7200, NOW + 60 * 86400);
	CHECK_INT(srctest_answer(s, resp(200, sess), &b), SRC_CONTINUE);
	free(sess);
	cJSON *state = s->ops->save_state(s);
	srctest_source_free(s);
	s = source_new(spec_new(SRC_HASHTAG, "raad", LOGIN), "other.bsky.social\nzzzz-zzzz-zzzz-zzzz", state);
	cJSON_Delete(state);
	s->now = NOW + 400;
	s->ops->begin(s);
	net_request_t *req = s->ops->next_request(s);
	CHECK(req && strstr(req->url, "createSession"));
	CHECK(strstr(req->post_body, "other.bsky.social"));
	net_request_free(req);
	source_batch_clear(&b);
	srctest_source_free(s);
}

/* ---- deleted posts ---------------------------------------------------------- */

#define DID "did:plc:kiosktest"
#define URI(rkey) "at://" DID "/app.bsky.feed.post/" rkey

/* A postView of post rkey written at when, with labels (a JSON array) or none. */
static char *pv(const char *rkey, const char *when, const char *labels)
{
	return xasprintf("{\"uri\":\"at://" DID "/app.bsky.feed.post/%s\",\"cid\":\"bafy%s\","
	                 "\"author\":{\"did\":\"" DID "\",\"handle\":\"wijk.bsky.social\"},"
	                 "\"record\":{\"$type\":\"app.bsky.feed.post\",\"text\":\"Bericht %s #raad\","
	                 "\"createdAt\":\"%s\"},\"indexedAt\":\"%s\"%s%s}",
	                 rkey, rkey, rkey, when, when, labels ? ",\"labels\":" : "", labels ? labels : "");
}

/* An author feed entry: the post, or a repost of it (repost rkey r at when). */
static char *entry(const char *rkey, const char *when, const char *repost, const char *repost_when)
{
	char *v = pv(rkey, when, NULL);
	char *e = repost ? xasprintf("{\"post\":%s,\"reason\":{\"$type\":\"app.bsky.feed.defs#reasonRepost\","
	                             "\"by\":{\"did\":\"" DID "\",\"handle\":\"wijk.bsky.social\"},"
	                             "\"uri\":\"at://" DID "/app.bsky.feed.repost/%s\",\"indexedAt\":\"%s\"}}",
	                             v, repost, repost_when)
	                 : xasprintf("{\"post\":%s}", v);
	free(v);
	return e;
}

/* {"feed":[entries...]} (or {"posts":[...]} for a list of views), with a
 * cursor or not; takes over the n strings. */
static char *wrap(const char *member, bool cursor, size_t n, char **items)
{
	strbuf_t sb = STRBUF_INIT;
	strbuf_addf(&sb, "{\"%s\":[", member);
	for (size_t i = 0; i < n; i++) {
		strbuf_addf(&sb, "%s%s", i ? "," : "", items[i]);
		free(items[i]);
	}
	strbuf_addf(&sb, "]%s}", cursor ? ",\"cursor\":\"2025-03-01T00:00:00.000Z\"" : "");
	return strbuf_take(&sb);
}

/* The keys in b->deleted, space-separated.  Caller frees. */
static char *deleted_keys(const source_batch_t *b)
{
	strbuf_t sb = STRBUF_INIT;
	for (size_t i = 0; i < b->n_deleted; i++)
		strbuf_addf(&sb, "%s%s", i ? " " : "", b->deleted[i]);
	return strbuf_take(&sb);
}

static source_status_t feed_cycle(source_t *s, char *body, source_batch_t *b)
{
	s->ops->begin(s);
	net_request_free(s->ops->next_request(s));
	source_status_t st = srctest_answer(s, resp(200, body), b);
	free(body);
	return st;
}

TEST(author_feed_reports_a_withdrawn_repost_and_posts_gone_from_a_short_feed)
{
	source_t *s = source_new(spec_new(SRC_ACCOUNT, "wijk.bsky.social", APPVIEW), NULL, NULL);
	source_batch_t b;
	source_batch_init(&b);
	/* a repost (at 2 March) of a post from January, between posts of 1 to 3 March */
	char *page1[] = {
		entry("p3", "2025-03-03T08:00:00Z", NULL, NULL),
		entry("old", "2025-01-05T08:00:00Z", "r1", "2025-03-02T12:00:00Z"),
		entry("p2", "2025-03-02T08:00:00Z", NULL, NULL),
		entry("p1", "2025-03-01T08:00:00Z", NULL, NULL),
	};
	CHECK_INT(feed_cycle(s, wrap("feed", true, 4, page1), &b), SRC_DONE);
	CHECK_INT(b.posts.len, 4);
	CHECK_INT(b.n_deleted, 0);
	source_batch_clear(&b);

	/* the repost was withdrawn: the window (from 1 March) would keep it,
	 * since the post it shows is from January, so it is reported */
	char *page2[] = {
		entry("p4", "2025-03-03T10:00:00Z", NULL, NULL),
		entry("p3", "2025-03-03T08:00:00Z", NULL, NULL),
		entry("p2", "2025-03-02T08:00:00Z", NULL, NULL),
		entry("p1", "2025-03-01T08:00:00Z", NULL, NULL),
	};
	CHECK_INT(feed_cycle(s, wrap("feed", true, 4, page2), &b), SRC_DONE);
	char *del = deleted_keys(&b);
	CHECK_STR(del, "bluesky:at://" DID "/app.bsky.feed.repost/r1");
	free(del);
	CHECK(b.authoritative);
	CHECK_INT(b.window_start, 1740816000); /* 2025-03-01 08:00: a cursor, so older posts exist */
	source_batch_clear(&b);

	/* after a restart, a page without a cursor is the whole feed: the two
	 * oldest posts were deleted, whatever their dates */
	cJSON *state = s->ops->save_state(s);
	srctest_source_free(s);
	s = source_new(spec_new(SRC_ACCOUNT, "wijk.bsky.social", APPVIEW), NULL, state);
	cJSON_Delete(state);
	char *page3[] = {
		entry("p4", "2025-03-03T10:00:00Z", NULL, NULL),
		entry("p3", "2025-03-03T08:00:00Z", NULL, NULL),
	};
	CHECK_INT(feed_cycle(s, wrap("feed", false, 2, page3), &b), SRC_DONE);
	del = deleted_keys(&b);
	CHECK_STR(del, "bluesky:" URI("p2") " bluesky:" URI("p1"));
	free(del);
	CHECK(b.authoritative);
	CHECK(b.window_start == INT64_MIN);
	source_batch_clear(&b);

	/* an empty feed deletes nothing (a hiccup says that too) */
	CHECK_INT(feed_cycle(s, xstrdup("{\"feed\":[]}"), &b), SRC_DONE);
	CHECK(!b.authoritative);
	CHECK_INT(b.n_deleted, 0);
	source_batch_clear(&b);
	/* ...and the last real page is still what the next one is compared with */
	char *page4[] = { entry("p4", "2025-03-03T10:00:00Z", NULL, NULL) };
	CHECK_INT(feed_cycle(s, wrap("feed", false, 1, page4), &b), SRC_DONE);
	del = deleted_keys(&b);
	CHECK_STR(del, "bluesky:" URI("p3"));
	free(del);
	source_batch_clear(&b);
	srctest_source_free(s);
}

/* A hashtag source with a fresh session (login answered). */
static source_t *tag_source(const cJSON *state, source_batch_t *b)
{
	source_t *s = source_new(spec_new(SRC_HASHTAG, "raad", LOGIN), CREDS, state);
	if (!state) {
		s->ops->begin(s);
		net_request_free(s->ops->next_request(s));
		char *sess = session_body(NOW + 30 * 86400, NOW + 60 * 86400);
		srctest_answer(s, resp(200, sess), b);
		free(sess);
	}
	return s;
}

/* Answer the search of the cycle in progress with views (taken over). */
static source_status_t search_answer(source_t *s, size_t n, char **views, source_batch_t *b)
{
	net_request_t *req = s->ops->next_request(s);
	bool search = req && strstr(req->url, "searchPosts");
	net_request_free(req);
	if (!search) {
		for (size_t i = 0; i < n; i++)
			free(views[i]);
		return (source_status_t)-1;
	}
	char *body = wrap("posts", false, n, views);
	source_status_t st = srctest_answer(s, resp(200, body), b);
	free(body);
	return st;
}

TEST(hashtag_results_gone_from_bluesky_are_found_by_a_recheck)
{
	source_batch_t b;
	source_batch_init(&b);
	source_t *s = tag_source(NULL, &b);
	/* first cycle: A and B found */
	char *first[] = { pv("a", "2025-03-03T09:00:00Z", NULL), pv("b", "2025-03-03T08:00:00Z", NULL) };
	CHECK_INT(search_answer(s, 2, first, &b), SRC_DONE); /* both just seen: nothing to re-check */
	source_batch_clear(&b);
	/* cycles 2 to 10: only B comes back (A dropped out of the newest
	 * results); no re-check yet */
	for (int c = 2; c <= BLUESKY_RECHECK_EVERY; c++) {
		s->ops->begin(s);
		char *only_b[] = { pv("b", "2025-03-03T08:00:00Z", NULL) };
		CHECK_INT(search_answer(s, 1, only_b, &b), SRC_DONE);
		CHECK(!s->ops->next_request(s));
		source_batch_clear(&b);
	}
	/* cycle 11: A is asked for with getPosts, with the session's token */
	s->ops->begin(s);
	char *only_b[] = { pv("b", "2025-03-03T08:00:00Z", NULL) };
	CHECK_INT(search_answer(s, 1, only_b, &b), SRC_CONTINUE);
	net_request_t *req = s->ops->next_request(s);
	CHECK(req);
	CHECK_STR(req->url, LOGIN "/xrpc/app.bsky.feed.getPosts?uris=at%3A%2F%2Fdid%3Aplc%3Akiosktest%2Fapp.bsky.feed.post%2Fa");
	const char *auth = srctest_req_header(req, "Authorization");
	CHECK(auth && strncmp(auth, "Bearer eyJ", 10) == 0);
	net_request_free(req);
	/* Bluesky no longer has it: deleted */
	CHECK_INT(srctest_answer(s, resp(200, "{\"posts\":[]}"), &b), SRC_DONE);
	char *del = deleted_keys(&b);
	CHECK_STR(del, "bluesky:" URI("a"));
	free(del);
	CHECK_INT(b.posts.len, 1); /* the search's own result stands */
	CHECK_STR(b.message, "1 posts; 1 earlier ones deleted or hidden since");
	source_batch_clear(&b);

	/* after a restart the first cycle re-checks at once; B now carries a
	 * label that hides it, C is fine */
	cJSON *state = s->ops->save_state(s);
	char *text = cJSON_PrintUnformatted(state);
	CHECK(strstr(text, "\"known\":[[\"" URI("b") "\",1740988800]]") != NULL);
	free(text);
	srctest_source_free(s);
	s = tag_source(state, &b);
	cJSON_Delete(state);
	s->ops->begin(s);
	char *c_only[] = { pv("c", "2025-03-03T10:00:00Z", NULL) };
	CHECK_INT(search_answer(s, 1, c_only, &b), SRC_CONTINUE);
	req = s->ops->next_request(s);
	CHECK(req && strstr(req->url, "getPosts?uris=at%3A%2F%2Fdid%3Aplc%3Akiosktest%2Fapp.bsky.feed.post%2Fb"));
	CHECK(strstr(req->url, "post%2Fc") == NULL); /* just seen: not asked */
	net_request_free(req);
	char *labelled[] = { pv("b", "2025-03-03T08:00:00Z", "[{\"src\":\"did:plc:mod\",\"val\":\"porn\"}]") };
	char *body = wrap("posts", false, 1, labelled);
	CHECK_INT(srctest_answer(s, resp(200, body), &b), SRC_DONE);
	free(body);
	del = deleted_keys(&b);
	CHECK_STR(del, "bluesky:" URI("b"));
	free(del);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(hashtag_recheck_asks_25_at_a_time_and_a_failure_keeps_the_results)
{
	source_batch_t b;
	source_batch_init(&b);
	source_t *s = tag_source(NULL, &b);
	/* 30 results shown, then none of them in the search any more */
	char *views[30];
	char rkey[16];
	for (int i = 0; i < 30; i++) {
		snprintf(rkey, sizeof rkey, "k%02d", i);
		views[i] = pv(rkey, "2025-03-02T08:00:00Z", NULL);
	}
	CHECK_INT(search_answer(s, 30, views, &b), SRC_DONE);
	source_batch_clear(&b);
	cJSON *state = s->ops->save_state(s);
	srctest_source_free(s);
	s = tag_source(state, &b);
	cJSON_Delete(state);
	s->ops->begin(s);
	CHECK_INT(search_answer(s, 0, NULL, &b), SRC_CONTINUE);
	net_request_t *req = s->ops->next_request(s);
	CHECK(req);
	size_t asked = 0;
	for (const char *q = strstr(req->url, "uris="); q; q = strstr(q + 1, "uris="))
		asked++;
	CHECK_INT(asked, 25);
	net_request_free(req);
	/* all 25 still there */
	char *alive[25];
	for (int i = 0; i < 25; i++) {
		snprintf(rkey, sizeof rkey, "k%02d", i);
		alive[i] = pv(rkey, "2025-03-02T08:00:00Z", NULL);
	}
	char *body = wrap("posts", false, 25, alive);
	CHECK_INT(srctest_answer(s, resp(200, body), &b), SRC_CONTINUE);
	free(body);
	CHECK_INT(b.n_deleted, 0);
	/* the token expired meanwhile: refresh, then the same request again */
	req = s->ops->next_request(s);
	CHECK(req && strstr(req->url, "uris=at%3A%2F%2Fdid%3Aplc%3Akiosktest%2Fapp.bsky.feed.post%2Fk25"));
	net_request_free(req);
	CHECK_INT(srctest_answer(s, resp(400, "{\"error\":\"ExpiredToken\",\"message\":\"Token has expired\"}"), &b),
	          SRC_CONTINUE);
	req = s->ops->next_request(s);
	CHECK(req && strstr(req->url, "refreshSession"));
	net_request_free(req);
	char *sess = session_body(NOW + 30 * 86400, NOW + 60 * 86400);
	CHECK_INT(srctest_answer(s, resp(200, sess), &b), SRC_CONTINUE);
	free(sess);
	req = s->ops->next_request(s);
	CHECK(req && strstr(req->url, "getPosts?uris=at%3A%2F%2Fdid%3Aplc%3Akiosktest%2Fapp.bsky.feed.post%2Fk25"));
	asked = 0;
	for (const char *q = strstr(req->url, "uris="); q; q = strstr(q + 1, "uris="))
		asked++;
	CHECK_INT(asked, 5);
	net_request_free(req);
	/* the last five fail on the server's side: nothing is deleted, the
	 * cycle still succeeds */
	CHECK_INT(srctest_answer(s, resp(502, "<html>Bad gateway</html>"), &b), SRC_DONE);
	CHECK_INT(b.n_deleted, 0);
	source_batch_clear(&b);
	srctest_source_free(s);
}

int main(void)
{
	RUN(author_feed_fixture_gives_text_facets_and_image);
	RUN(quote_becomes_card_with_author_and_text);
	RUN(repost_has_booster_own_key_and_link_card);
	RUN(reposts_left_out_when_boosts_are_off);
	RUN(labels_hide_unless_negated_or_expired);
	RUN(self_labels_and_author_labels_count);
	RUN(self_thread_reply_is_not_a_reply_but_a_reply_to_others_is);
	RUN(hidden_video_reply_shows_as_thumbnail_when_unlabelled);
	RUN(facets_with_bad_bounds_split_characters_or_overlaps_are_dropped);
	RUN(missing_fields_drop_the_post_or_the_field_never_the_page);
	RUN(html_error_page_and_wrong_shapes_are_errors);
	RUN(search_fixture_parses);
	RUN(jwt_expiry_is_read);
	RUN(account_cycle_fetches_feed_and_revalidates_with_etag);
	RUN(account_replies_on_asks_for_replies);
	RUN(account_errors_map_to_statuses_with_messages);
	RUN(account_rate_limit_and_transport_failure);
	RUN(disallowed_service_url_is_a_configuration_error);
	RUN(hashtag_without_app_password_is_a_configuration_error);
	RUN(hashtag_logs_in_searches_and_keeps_the_session);
	RUN(expired_access_token_is_refreshed_then_search_retried);
	RUN(failed_login_is_auth_error_and_logins_are_spaced_five_minutes);
	RUN(two_factor_answer_says_use_an_app_password);
	RUN(another_handle_in_the_token_file_drops_the_old_session);
	RUN(author_feed_reports_a_withdrawn_repost_and_posts_gone_from_a_short_feed);
	RUN(hashtag_results_gone_from_bluesky_are_found_by_a_recheck);
	RUN(hashtag_recheck_asks_25_at_a_time_and_a_failure_keeps_the_results);
	return test_summary();
}
