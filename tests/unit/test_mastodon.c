/*
 * test_mastodon: the Mastodon status parser on the recorded fixtures and on
 * hand-made bad input (tests/fixtures/mastodon-edge-cases.json), and the
 * adapter's cycle state machine driven with hand-built responses: lookup,
 * min_id paging, reconciling fetches, ETags, rate limits, errors, state.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "../../src/base/xmalloc.h"
#include "../../src/net/net.h"
#include "../../src/sources/mastodon.h"
#include "test.h"
#include "../support/srctest.h"

#define SERVER "https://social.overheid.example"
#define ACCOUNT_ID "110712345678901234"
#define STATUSES SERVER "/api/v1/accounts/" ACCOUNT_ID "/statuses?limit=40&exclude_replies=true"
#define ELLIPSIS "\xE2\x80\xA6"

/* ---- fixtures and specs --------------------------------------------------- */

static source_spec_t *spec_new(source_kind_t kind, const char *handle)
{
	source_spec_t *s = xcalloc(1, sizeof *s);
	s->network = NET_MASTODON;
	s->kind = kind;
	s->handle = xstrdup(handle);
	s->server = xstrdup(SERVER);
	s->key = kind == SRC_HASHTAG ? xasprintf("mastodon-tag:#%s@social.overheid.example", handle)
	                             : xasprintf("mastodon:@%s@social.overheid.example", handle);
	s->person = kind == SRC_HASHTAG ? NULL : xstrdup("gemeente");
	s->interval_s = 60;
	s->include_boosts = true;
	s->public_only = true;
	return s;
}

/* Everything a test allocates lives here, so a failed CHECK leaks nothing. */
static struct {
	source_spec_t *spec;
	post_list_t posts;
	cJSON *json;
	source_t *src;
	source_batch_t batch;
	net_request_t *req;
	net_response_t *resp;
	post_t *post;
} T;

static void reset(void)
{
	if (T.src)
		srctest_source_free(T.src);
	source_spec_free(T.spec);
	post_list_clear(&T.posts);
	cJSON_Delete(T.json);
	source_batch_clear(&T.batch);
	net_request_free(T.req);
	net_response_free(T.resp);
	post_free(T.post);
	memset(&T, 0, sizeof T);
	post_list_init(&T.posts);
	source_batch_init(&T.batch);
}

/* ---- parsing the fixtures ------------------------------------------------- */

static size_t parse_fixture(const char *name, size_t *n_invalid)
{
	size_t len;
	char *json = srctest_fixture(name, &len), *err = NULL;
	bool ok = mastodon_parse_statuses(json, len, T.spec, &T.posts, n_invalid, &err);
	free(json);
	free(err);
	return ok ? T.posts.len : (size_t)-1;
}

TEST(fixture_public_only_keeps_two_of_three)
{
	reset();
	T.spec = spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad");
	size_t invalid = 99;
	CHECK_INT(parse_fixture("mastodon-account-statuses.json", &invalid), 2);
	CHECK_INT(invalid, 0);
	CHECK_STR(T.posts.items[0]->id, "114098765432100003");
	CHECK_STR(T.posts.items[1]->id, "114098100000000009");
}

TEST(fixture_edited_post_with_image_link_mention_hashtags_emoji)
{
	reset();
	T.spec = spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad");
	CHECK_INT(parse_fixture("mastodon-account-statuses.json", NULL), 2);
	post_t *p = T.posts.items[0];
	CHECK_STR(p->key, "mastodon:https://social.overheid.example/users/gemeentevoorbeeldstad/statuses/114098765432100003");
	CHECK_STR(p->source, "mastodon:@gemeentevoorbeeldstad@social.overheid.example");
	CHECK_STR(p->person, "gemeente");
	CHECK_INT(p->network, NET_MASTODON);
	CHECK_STR(p->url, "https://social.overheid.example/@gemeentevoorbeeldstad/114098765432100003");
	CHECK_INT(p->created, 1740988872);
	CHECK_INT(p->edited, 1740989140);
	CHECK_STR(p->lang, "nl");
	CHECK_INT(p->visibility, VIS_PUBLIC);
	CHECK(!p->reply && !p->sensitive && !p->cw && !p->booster && !p->card);
	/* author */
	CHECK_STR(p->author.id, ACCOUNT_ID);
	CHECK_STR(p->author.name, "Gemeente Voorbeeldstad :vlag_voorbeeldstad:");
	CHECK_STR(p->author.handle, "@gemeentevoorbeeldstad@social.overheid.example");
	CHECK_STR(p->author.url, "https://social.overheid.example/@gemeentevoorbeeldstad");
	CHECK_STR(p->author.avatar_url, "https://files.social.overheid.example/accounts/avatars/110/712/345/678/901/234/original/4f0c1d2e3b4a5968.png");
	CHECK(!p->author.bot);
	CHECK_INT(p->author.n_emojis, 1);
	CHECK_STR(p->author.emojis[0].shortcode, "vlag_voorbeeldstad");
	CHECK_STR(p->author.emojis[0].url, "https://files.social.overheid.example/custom_emojis/images/000/000/042/static/vlag.png");
	/* text and spans: truncated link with ellipsis, mention, &amp;, emoji, hashtags */
	CHECK_STR(p->text,
	          "Vanaf maandag 3 maart is de Dorpsstraat afgesloten voor autoverkeer vanwege "
	          "rioleringswerk. :vlag_voorbeeldstad: Meer info: voorbeeldstad.nl/werkzaamheden" ELLIPSIS "\n\n"
	          "Vragen? Wethouder @j_devries licht het toe tijdens het inloopspreekuur.\n"
	          "Tot dan & bedankt voor uw begrip!\n\n"
	          "#Voorbeeldstad #wegwerkzaamheden");
	CHECK_INT(p->n_spans, 5);
	CHECK_INT(p->spans[0].kind, SPAN_EMOJI);
	CHECK_INT(p->spans[0].start, 92);
	CHECK_STR(p->spans[0].target, "vlag_voorbeeldstad");
	CHECK_INT(p->spans[1].kind, SPAN_LINK);
	CHECK_INT(p->spans[1].end, 157);
	CHECK_STR(p->spans[1].target, "https://www.voorbeeldstad.nl/werkzaamheden/dorpsstraat-riolering-2025");
	CHECK_INT(p->spans[2].kind, SPAN_MENTION);
	CHECK_INT(p->spans[2].start, 177);
	CHECK_INT(p->spans[3].kind, SPAN_HASHTAG);
	CHECK_INT(p->spans[4].kind, SPAN_HASHTAG);
	CHECK_INT(p->n_emojis, 1);
	CHECK_STR(p->emojis[0].shortcode, "vlag_voorbeeldstad");
	/* image with alt text and focus */
	CHECK_INT(p->n_media, 1);
	media_t *m = &p->media[0];
	CHECK_INT(m->kind, MEDIA_IMAGE);
	CHECK_STR(m->url, "https://files.social.overheid.example/media_attachments/files/114/098/765/400/000/001/original/1a2b3c4d5e6f7a8b.jpg");
	CHECK_STR(m->preview_url, "https://files.social.overheid.example/media_attachments/files/114/098/765/400/000/001/small/1a2b3c4d5e6f7a8b.jpg");
	CHECK_STR(m->alt, "Kaart van de Dorpsstraat met de omleidingsroute in oranje via de Kerklaan.");
	CHECK_INT(m->width, 1600);
	CHECK_INT(m->height, 1067);
	CHECK(fabsf(m->focus_x) < 1e-6f);
	CHECK(fabsf(m->focus_y - 0.1f) < 1e-6f);
	CHECK(m->file == NULL);
}

TEST(fixture_reblog_becomes_the_original_with_booster)
{
	reset();
	T.spec = spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad");
	CHECK_INT(parse_fixture("mastodon-account-statuses.json", NULL), 2);
	post_t *p = T.posts.items[1];
	CHECK_STR(p->key, "mastodon:https://mastodon.example/users/veiligheidsregio/statuses/114098099999999999");
	CHECK_STR(p->url, "https://mastodon.example/@veiligheidsregio/114098099999999999");
	CHECK_INT(p->created, 1740951600);
	CHECK_INT(p->edited, 0);
	CHECK_STR(p->author.name, "Veiligheidsregio Voorbeeld");
	CHECK_STR(p->author.handle, "@veiligheidsregio@mastodon.example");
	CHECK_STR(p->author.id, "110800000000000001");
	CHECK(p->booster != NULL);
	CHECK_STR(p->booster->name, "Gemeente Voorbeeldstad :vlag_voorbeeldstad:");
	CHECK_STR(p->booster->handle, "@gemeentevoorbeeldstad@social.overheid.example");
	CHECK_STR(p->text, "Grote brand bij bedrijfspand aan de Industrieweg. Houd ramen en deuren gesloten. "
	                   "Meer informatie: example-crisis.nl/brand-industrieweg");
	CHECK_INT(p->n_spans, 1);
	CHECK(p->card != NULL);
	CHECK_STR(p->card->url, "https://www.example-crisis.nl/brand-industrieweg");
	CHECK_STR(p->card->title, "Brand Industrieweg: houd ramen en deuren gesloten");
	CHECK_STR(p->card->description, "Actuele informatie over de brand aan de Industrieweg in Voorbeeldstad.");
	CHECK_STR(p->card->image_url, "https://files.social.overheid.example/cache/preview_cards/images/000/123/456/original/0f1e2d3c4b5a6978.jpg");
	CHECK_STR(p->source, "mastodon:@gemeentevoorbeeldstad@social.overheid.example");
	CHECK_STR(p->person, "gemeente");
}

TEST(fixture_boosts_dropped_when_not_wanted)
{
	reset();
	T.spec = spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad");
	T.spec->include_boosts = false;
	CHECK_INT(parse_fixture("mastodon-account-statuses.json", NULL), 1);
	CHECK_STR(T.posts.items[0]->id, "114098765432100003");
}

TEST(fixture_unlisted_self_reply_with_cw_and_video)
{
	reset();
	T.spec = spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad");
	T.spec->public_only = false;
	CHECK_INT(parse_fixture("mastodon-account-statuses.json", NULL), 3);
	post_t *p = T.posts.items[2];
	CHECK_STR(p->key, "mastodon:https://social.overheid.example/users/gemeentevoorbeeldstad/statuses/114090000000000001");
	CHECK_INT(p->visibility, VIS_UNLISTED);
	CHECK(!p->reply); /* a reply to its own post: a thread */
	CHECK_STR(p->cw, "Foto's van stormschade");
	CHECK(p->sensitive);
	CHECK_INT(p->created, 1740837723);
	CHECK_STR(p->text, "Update (2/2): de omgewaaide bomen in het Stadspark worden vandaag geruimd. "
	                   "Het park blijft tot en met zondag gesloten.");
	CHECK_INT(p->n_media, 1);
	CHECK_INT(p->media[0].kind, MEDIA_VIDEO);
	CHECK(p->media[0].alt == NULL);
	CHECK_STR(p->media[0].url, "https://files.social.overheid.example/media_attachments/files/114/089/990/000/000/002/original/c0ffee00c0ffee00.mp4");
	CHECK_STR(p->media[0].preview_url, "https://files.social.overheid.example/media_attachments/files/114/089/990/000/000/002/small/c0ffee00c0ffee00.png");
	CHECK_INT(p->media[0].width, 1280);
	CHECK_INT(p->media[0].height, 720);
}

TEST(fixture_tag_timeline_local_and_remote_authors)
{
	reset();
	T.spec = spec_new(SRC_HASHTAG, "Voorbeeldstad");
	CHECK_INT(parse_fixture("mastodon-tag-timeline.json", NULL), 2);
	CHECK_STR(T.posts.items[0]->author.handle, "@bewoner@mastodon.example");
	CHECK_STR(T.posts.items[0]->author.name, "Een Bewoner \xF0\x9F\x8C\xB7");
	CHECK(T.posts.items[0]->person == NULL);
	CHECK_STR(T.posts.items[0]->source, "mastodon-tag:#Voorbeeldstad@social.overheid.example");
	CHECK_STR(T.posts.items[1]->author.handle, "@gemeentevoorbeeldstad@social.overheid.example");
}

/* ---- parsing bad input ---------------------------------------------------- */

/* Status i of mastodon-edge-cases.json through mastodon_parse_status(). */
static mastodon_result_t edge(int i, const char **why)
{
	if (!T.json) {
		size_t len;
		char *s = srctest_fixture("mastodon-edge-cases.json", &len);
		T.json = cJSON_ParseWithLength(s, len);
		free(s);
	}
	post_free(T.post);
	T.post = NULL;
	return mastodon_parse_status(cJSON_GetArrayItem(T.json, i), T.spec, &T.post, why);
}

TEST(edge_unusable_statuses_are_skipped_with_a_reason)
{
	reset();
	T.spec = spec_new(SRC_ACCOUNT, "x");
	const char *why;
	CHECK_INT(edge(0, &why), MASTODON_INVALID);
	CHECK_STR(why, "not an object");
	CHECK_INT(edge(1, &why), MASTODON_INVALID);
	CHECK_STR(why, "no uri, url or id");
	CHECK_INT(edge(5, &why), MASTODON_INVALID);
	CHECK_STR(why, "no valid account");
	CHECK_INT(edge(6, &why), MASTODON_INVALID);
	CHECK_STR(why, "no valid created_at");
	CHECK_INT(edge(7, &why), MASTODON_INVALID);
	CHECK(T.post == NULL);
}

TEST(edge_whole_page_survives_bad_statuses)
{
	reset();
	T.spec = spec_new(SRC_ACCOUNT, "x");
	size_t invalid = 0;
	/* 17 statuses: 5 invalid, 9 (local), 10 (reply) and 13 (unlisted boost) filtered;
	 * 12 is a self-boost of status 1 of another key */
	CHECK_INT(parse_fixture("mastodon-edge-cases.json", &invalid), 9);
	CHECK_INT(invalid, 5);
}

TEST(edge_null_fields)
{
	reset();
	T.spec = spec_new(SRC_ACCOUNT, "x");
	CHECK_INT(edge(2, NULL), MASTODON_OK);
	post_t *p = T.post;
	CHECK_STR(p->key, "mastodon:https://social.example/users/nul/statuses/200000000000000002");
	CHECK_STR(p->text, "");
	CHECK(!p->url && !p->cw && !p->lang && !p->card && !p->sensitive);
	CHECK_INT(p->edited, 0);
	CHECK_INT(p->n_media + p->n_emojis + p->n_spans, 0);
	CHECK_STR(p->author.name, "nul"); /* empty display_name: the username */
	CHECK_STR(p->author.handle, "@nul@social.overheid.example");
	CHECK_STR(p->author.avatar_url, "https://files.social.example/nul.png"); /* avatar_static null */
	CHECK(!p->author.url && !p->author.bot);
}

TEST(edge_missing_fields)
{
	reset();
	T.spec = spec_new(SRC_ACCOUNT, "x");
	CHECK_INT(edge(3, NULL), MASTODON_OK);
	post_t *p = T.post;
	CHECK_STR(p->key, "mastodon:https://social.example/@min/200000000000000003");
	CHECK_INT(p->created, 1741082580);
	CHECK_STR(p->author.name, "min");
	CHECK_STR(p->author.handle, "@min@social.overheid.example");
	CHECK(p->author.id == NULL && p->author.avatar_url == NULL);
	CHECK_STR(p->text, "");
}

TEST(edge_wrong_types_are_ignored)
{
	reset();
	T.spec = spec_new(SRC_ACCOUNT, "x");
	CHECK_INT(edge(4, NULL), MASTODON_OK);
	post_t *p = T.post;
	CHECK_STR(p->key, "mastodon:https://social.example/@typ/4");
	CHECK(p->id == NULL);          /* a number, not a string */
	CHECK_STR(p->text, "");        /* content was an object */
	CHECK(!p->cw && !p->lang && !p->sensitive && !p->reply && !p->booster && !p->card);
	CHECK_INT(p->edited, 0);
	CHECK_INT(p->n_media, 0);
	CHECK_INT(p->n_emojis, 0);
	CHECK(p->author.id == NULL);
	CHECK_STR(p->author.name, "typ");
	CHECK(p->author.avatar_url == NULL); /* javascript: and a number */
	CHECK(!p->author.bot);               /* "true" is a string */
	CHECK_INT(p->author.n_emojis, 1);    /* only the valid one, once */
	CHECK_STR(p->author.emojis[0].shortcode, "good");
	CHECK_STR(p->author.emojis[0].url, "https://e.example/good.png");
}

TEST(edge_media_oddities)
{
	reset();
	T.spec = spec_new(SRC_ACCOUNT, "x");
	CHECK_INT(edge(8, NULL), MASTODON_OK);
	post_t *p = T.post;
	CHECK_INT(p->n_media, 3);
	CHECK_INT(p->media[0].kind, MEDIA_IMAGE);
	CHECK_STR(p->media[0].url, "https://remote.example/m1.jpg");
	CHECK(p->media[0].preview_url == NULL);
	CHECK_STR(p->media[0].alt, "Alt\nmet regels");
	CHECK_INT(p->media[0].width, 0);
	CHECK_INT(p->media[1].kind, MEDIA_AUDIO);
	CHECK(p->media[1].alt == NULL);
	CHECK_INT(p->media[1].width, 0);
	CHECK_INT(p->media[1].height, 0);
	CHECK(p->media[1].focus_x == 1.0f && p->media[1].focus_y == 0.0f);
	CHECK_INT(p->media[2].kind, MEDIA_UNKNOWN);
	CHECK(p->media[2].preview_url == NULL); /* ftp: */
	CHECK_INT(p->media[2].width, 640);
	CHECK_INT(p->media[2].height, 480);
	CHECK(p->media[2].focus_x == -0.5f && p->media[2].focus_y == -1.0f);
}

TEST(edge_non_public_visibility)
{
	reset();
	T.spec = spec_new(SRC_ACCOUNT, "x");
	const char *why;
	CHECK_INT(edge(9, &why), MASTODON_FILTERED);
	CHECK_STR(why, "not public");
	CHECK_INT(edge(13, &why), MASTODON_FILTERED); /* a boost of an unlisted post */
	T.spec->public_only = false;
	CHECK_INT(edge(9, NULL), MASTODON_OK);
	CHECK_INT(T.post->visibility, VIS_UNLISTED);
	CHECK_INT(edge(13, NULL), MASTODON_OK);
	CHECK_INT(T.post->visibility, VIS_UNLISTED);
	CHECK_STR(T.post->author.handle, "@r@remote.example");
}

TEST(edge_reply_to_someone_else)
{
	reset();
	T.spec = spec_new(SRC_ACCOUNT, "x");
	const char *why;
	CHECK_INT(edge(10, &why), MASTODON_FILTERED);
	CHECK_STR(why, "reply to someone else");
	T.spec->include_replies = true;
	CHECK_INT(edge(10, NULL), MASTODON_OK);
	CHECK(T.post->reply);
	CHECK_STR(T.post->text, "@o ja");
	CHECK_INT(T.post->spans[0].kind, SPAN_MENTION);
}

TEST(edge_public_self_reply_is_kept)
{
	reset();
	T.spec = spec_new(SRC_ACCOUNT, "x");
	CHECK_INT(edge(16, NULL), MASTODON_OK);
	CHECK(!T.post->reply);
	CHECK_STR(T.post->text, "2/2");
}

TEST(edge_quote_inline_removed_emoji_and_cw)
{
	reset();
	T.spec = spec_new(SRC_ACCOUNT, "x");
	CHECK_INT(edge(11, NULL), MASTODON_OK);
	post_t *p = T.post;
	CHECK_STR(p->text, "Eens :blobcat:");
	CHECK_INT(p->n_spans, 1);
	CHECK_INT(p->spans[0].kind, SPAN_EMOJI);
	CHECK_INT(p->spans[0].start, 5);
	CHECK_INT(p->spans[0].end, 14);
	CHECK_INT(p->n_emojis, 1);
	CHECK_STR(p->emojis[0].url, "https://e.example/blobcat.png");
	CHECK_STR(p->cw, "Politiek");
	CHECK(p->sensitive);
	CHECK_STR(p->author.name, "Q :blobcat:");
	CHECK_INT(p->author.n_emojis, 1);
}

TEST(edge_self_boost_has_no_booster)
{
	reset();
	T.spec = spec_new(SRC_ACCOUNT, "x");
	CHECK_INT(edge(12, NULL), MASTODON_OK);
	CHECK_STR(T.post->key, "mastodon:https://social.example/users/x/statuses/200000000000000001");
	CHECK(T.post->booster == NULL);
	CHECK_STR(T.post->text, "eigen post");
}

TEST(edge_names_are_cleaned_and_bounded)
{
	reset();
	T.spec = spec_new(SRC_ACCOUNT, "x");
	CHECK_INT(edge(14, NULL), MASTODON_OK);
	CHECK_STR(T.post->author.name, "Jan de Vries");
	CHECK_STR(T.post->author.handle, "@jan@remote.example");
	CHECK_INT(edge(15, NULL), MASTODON_OK);
	CHECK_INT(strlen(T.post->author.name), 200);
	CHECK(strcmp(T.post->author.name + 197, ELLIPSIS) == 0);
	CHECK(strncmp(T.post->author.name, "WWWWWWWW", 8) == 0);
}

TEST(parse_statuses_rejects_what_is_not_a_list)
{
	reset();
	T.spec = spec_new(SRC_ACCOUNT, "x");
	char *err = NULL;
	CHECK(!mastodon_parse_statuses("{\"error\":\"Record not found\"}", 28, T.spec, &T.posts, NULL, &err));
	CHECK_STR(err, "expected a JSON array of statuses");
	free(err);
	err = NULL;
	CHECK(!mastodon_parse_statuses("[{\"id\":", 7, T.spec, &T.posts, NULL, &err));
	CHECK_STR(err, "not valid JSON");
	free(err);
	err = NULL;
	CHECK(mastodon_parse_statuses("[]", 2, T.spec, &T.posts, NULL, &err));
	CHECK(err == NULL);
	CHECK_INT(T.posts.len, 0);
}

/* ---- the adapter ---------------------------------------------------------- */

static void src_start(source_spec_t *spec, const cJSON *state, const char *token)
{
	T.src = srctest_source_new(&mastodon_source_ops, spec, token, state, 1000000);
}

static void begin(void)
{
	source_batch_clear(&T.batch);
	T.src->ops->begin(T.src);
}

static net_request_t *next(void)
{
	net_request_free(T.req);
	T.req = T.src->ops->next_request(T.src);
	return T.req;
}

/* Value of header name in the request, or NULL. */
static const char *req_header(const char *name)
{
	return T.req ? srctest_req_header(T.req, name) : NULL;
}

/* A response to the last request, with a Content-Type unless ctype is NULL. */
static net_response_t *resp(int status, const char *ctype, const char *body, size_t len)
{
	net_response_t *r = srctest_resp_len(T.req ? T.req->url : "", status, body, len);
	if (ctype)
		srctest_resp_header(r, "Content-Type", ctype);
	return r;
}

static net_response_t *json_resp(int status, const char *body)
{
	return resp(status, "application/json; charset=utf-8", body, strlen(body));
}

static net_response_t *fixture_resp(int status, const char *name)
{
	size_t len;
	char *body = srctest_fixture(name, &len);
	net_response_t *r = resp(status, "application/json; charset=utf-8", body, len);
	free(body);
	return r;
}

/* A recorded response: the status and headers of a .headers.txt fixture, with body. */
static net_response_t *recorded_resp(const char *headers_file, const char *body)
{
	net_response_t *r = resp(0, NULL, body, strlen(body));
	r->status = srctest_resp_headers_fixture(r, headers_file);
	return r;
}

static source_status_t answer(net_response_t *r)
{
	net_response_free(T.resp);
	T.resp = r;
	return T.src->ops->handle(T.src, r, &T.batch);
}

static void iso_time(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

/* A page of n statuses, newest first: ids newest, newest-1, ..., created a
 * minute apart ending at t_newest.  Caller frees. */
static char *page(uint64_t newest, int n, int64_t t_newest)
{
	size_t cap = 64 + (size_t)n * 400, len = 0;
	char *s = xmalloc(cap);
	len += (size_t)snprintf(s + len, cap - len, "[");
	for (int i = 0; i < n; i++) {
		char when[40];
		unsigned long long id = newest - (uint64_t)i;
		iso_time(t_newest - 60 * i, when, sizeof when);
		len += (size_t)snprintf(s + len, cap - len,
		                        "%s{\"id\":\"%llu\",\"created_at\":\"%s\",\"visibility\":\"public\","
		                        "\"uri\":\"" SERVER "/users/g/statuses/%llu\",\"content\":\"<p>post %llu</p>\","
		                        "\"account\":{\"id\":\"1\",\"username\":\"g\",\"acct\":\"g\"}}",
		                        i ? "," : "", id, when, id, id);
	}
	snprintf(s + len, cap - len, "]");
	return s;
}

static net_response_t *page_resp(uint64_t newest, int n, int64_t t_newest)
{
	char *body = page(newest, n, t_newest);
	net_response_t *r = json_resp(200, body);
	free(body);
	return r;
}

/* State for an account whose id and newest status are known. */
static cJSON *known_state(const char *newest, double cycles)
{
	cJSON *st = cJSON_CreateObject();
	cJSON_AddStringToObject(st, "server", SERVER);
	cJSON_AddStringToObject(st, "handle", "gemeentevoorbeeldstad");
	cJSON_AddStringToObject(st, "account_id", ACCOUNT_ID);
	cJSON_AddStringToObject(st, "newest_id", newest);
	cJSON_AddNumberToObject(st, "cycles", cycles);
	return st;
}

/* A source past its first (reconciling) cycle: the next cycle pages with min_id. */
static void src_known(const char *newest)
{
	T.json = known_state(newest, 1);
	src_start(spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad"), T.json, NULL);
	begin();
	next();
	answer(json_resp(200, "[]"));
	begin();
}

TEST(account_cycle_looks_up_then_fetches_statuses)
{
	reset();
	src_start(spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad"), NULL, NULL);
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, SERVER "/api/v1/accounts/lookup?acct=gemeentevoorbeeldstad");
	CHECK_STR(req_header("Accept"), "application/json");
	CHECK(req_header("Authorization") == NULL);
	CHECK_INT(answer(fixture_resp(200, "mastodon-account-lookup.json")), SRC_CONTINUE);
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES);
	CHECK_INT(answer(fixture_resp(200, "mastodon-account-statuses.json")), SRC_DONE);
	CHECK_INT(T.batch.posts.len, 2);
	CHECK(T.batch.authoritative);
	CHECK_INT(T.batch.window_start, 0); /* 3 < 40: the page holds everything */
	CHECK(T.batch.message == NULL);
	CHECK(next() == NULL);
}

TEST(min_id_paging_until_an_empty_page)
{
	reset();
	src_known("114100000000000000");
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES "&min_id=114100000000000000");
	CHECK_INT(answer(page_resp(114100000000000002ULL, 2, 1741000000)), SRC_CONTINUE);
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES "&min_id=114100000000000002");
	CHECK_INT(answer(json_resp(200, "[]")), SRC_DONE);
	CHECK_INT(T.batch.posts.len, 2);
	CHECK(!T.batch.authoritative);
	CHECK(next() == NULL);
	/* the next cycle goes on from the newest seen, and nothing new is "not modified" */
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES "&min_id=114100000000000002");
	CHECK_INT(answer(json_resp(200, "[]")), SRC_NOT_MODIFIED);
	CHECK_INT(T.batch.posts.len, 0);
}

TEST(paging_stops_after_five_pages)
{
	reset();
	src_known("114100000000000000");
	uint64_t newest = 114100000000000000ULL;
	for (int i = 0; i < 5; i++) {
		CHECK(next());
		newest += 40;
		source_status_t st = answer(page_resp(newest, 40, 1741000000 + i * 3600));
		CHECK_INT(st, i < 4 ? SRC_CONTINUE : SRC_DONE);
	}
	CHECK_INT(T.batch.posts.len, 200);
	CHECK(next() == NULL);
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES "&min_id=114100000000000200");
}

TEST(reconcile_on_first_cycle_and_every_tenth)
{
	reset();
	T.json = known_state("114100000000000000", 0);
	src_start(spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad"), T.json, NULL);
	for (int cycle = 1; cycle <= 20; cycle++) {
		begin();
		CHECK(next());
		bool reconcile = cycle == 1 || cycle % 10 == 0;
		if (reconcile)
			CHECK_STR(T.req->url, STATUSES);
		else
			CHECK_STR(T.req->url, STATUSES "&min_id=114100000000000003");
		source_status_t st = answer(page_resp(114100000000000003ULL, reconcile ? 3 : 0, 1741000000));
		CHECK_INT(st, reconcile ? SRC_DONE : SRC_NOT_MODIFIED);
		CHECK_INT(T.batch.authoritative, reconcile);
	}
}

TEST(reconcile_full_page_sets_window_and_fills_the_gap)
{
	reset();
	/* cycle 10 of a source that last saw ...000: 100 posts arrived since */
	T.json = known_state("114100000000000000", 9);
	src_start(spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad"), T.json, NULL);
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES);
	CHECK_INT(answer(page_resp(114100000000000100ULL, 40, 1741000000)), SRC_CONTINUE);
	CHECK(T.batch.authoritative);
	CHECK_INT(T.batch.window_start, 1741000000 - 39 * 60);
	/* the gap (ids 1..60) is filled from the old newest id, up to the page */
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES "&min_id=114100000000000000");
	CHECK_INT(answer(page_resp(114100000000000040ULL, 40, 1740990000)), SRC_CONTINUE);
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES "&min_id=114100000000000040");
	CHECK_INT(answer(page_resp(114100000000000080ULL, 40, 1740995000)), SRC_DONE);
	CHECK_INT(T.batch.posts.len, 100); /* 120 received, 20 twice */
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES "&min_id=114100000000000100");
}

TEST(empty_newest_page_is_not_authoritative)
{
	reset();
	T.json = known_state("114100000000000000", 0);
	src_start(spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad"), T.json, NULL);
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES);
	CHECK_INT(answer(json_resp(200, "[]")), SRC_NOT_MODIFIED);
	CHECK(!T.batch.authoritative);
}

TEST(etag_sent_on_identical_request_and_304_is_not_modified)
{
	reset();
	src_known("114100000000000000");
	CHECK(next());
	CHECK(req_header("If-None-Match") == NULL);
	net_response_t *r = recorded_resp("mastodon-account-statuses.headers.txt", "[]");
	CHECK_INT(r->status, 200);
	CHECK_INT(answer(r), SRC_NOT_MODIFIED);
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES "&min_id=114100000000000000");
	CHECK_STR(req_header("If-None-Match"), "W/\"5d41402abc4b2a76b9719d911017c592\"");
	CHECK_INT(answer(json_resp(304, "")), SRC_NOT_MODIFIED);
	CHECK(next() == NULL);
}

TEST(failed_cycle_commits_neither_newest_id_nor_etag)
{
	reset();
	src_known("114100000000000000");
	CHECK(next());
	net_response_t *r = page_resp(114100000000000002ULL, 2, 1741000000);
	srctest_resp_header(r, "ETag", "W/\"page1\"");
	CHECK_INT(answer(r), SRC_CONTINUE);
	CHECK(next());
	net_response_t *fail = resp(0, NULL, "", 0);
	fail->error = NET_ERR_TIMEOUT;
	fail->error_text = xstrdup("operation timed out after 30000 ms");
	CHECK_INT(answer(fail), SRC_ERR_NETWORK);
	CHECK_STR(T.batch.message, "timed out: operation timed out after 30000 ms");
	CHECK(next() == NULL);
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES "&min_id=114100000000000000");
	CHECK(req_header("If-None-Match") == NULL);
}

TEST(rate_limited_429_with_retry_after_seconds)
{
	reset();
	src_known("114100000000000000");
	CHECK(next());
	net_response_t *r = fixture_resp(429, "mastodon-error-429.json");
	srctest_resp_header(r, "Retry-After", "120");
	CHECK_INT(answer(r), SRC_ERR_RATE);
	CHECK_INT(T.batch.retry_at, 1000000 + 120);
	CHECK_STR(T.batch.message, "rate limited by social.overheid.example (HTTP 429: \"Too many requests\")");
}

TEST(rate_limited_429_reset_relative_to_server_date)
{
	reset();
	src_known("114100000000000000");
	CHECK(next());
	net_response_t *r = recorded_resp("mastodon-429.headers.txt", "{\"error\":\"Too many requests\"}");
	CHECK_INT(r->status, 429);
	srctest_resp_header(r, "Date", "Mon, 03 Mar 2025 08:10:00 GMT");
	/* our clock says 1970 (no RTC yet); the server's reset is 5 minutes after its Date */
	CHECK_INT(answer(r), SRC_ERR_RATE);
	CHECK_INT(T.batch.retry_at, 1000000 + 300);
}

TEST(rate_limited_429_retry_after_http_date_and_cap)
{
	reset();
	src_known("114100000000000000");
	CHECK(next());
	net_response_t *r = json_resp(429, "{}");
	srctest_resp_header(r, "Date", "Mon, 03 Mar 2025 08:10:00 GMT");
	srctest_resp_header(r, "Retry-After", "Mon, 03 Mar 2025 08:11:30 GMT");
	CHECK_INT(answer(r), SRC_ERR_RATE);
	CHECK_INT(T.batch.retry_at, 1000000 + 90);
	CHECK_STR(T.batch.message, "rate limited by social.overheid.example (HTTP 429)");
	begin();
	CHECK(next());
	r = json_resp(429, "{}");
	srctest_resp_header(r, "Retry-After", "99999999");
	CHECK_INT(answer(r), SRC_ERR_RATE);
	CHECK_INT(T.batch.retry_at, 1000000 + 30 * 86400);
	begin();
	CHECK(next());
	CHECK_INT(answer(json_resp(429, "{}")), SRC_ERR_RATE);
	CHECK_INT(T.batch.retry_at, 0); /* the server did not say */
}

TEST(remaining_zero_on_200_stops_paging_and_sets_retry_at)
{
	reset();
	src_known("114100000000000000");
	CHECK(next());
	net_response_t *r = page_resp(114100000000000002ULL, 2, 1741000000);
	srctest_resp_header(r, "X-RateLimit-Remaining", "0");
	srctest_resp_header(r, "X-RateLimit-Reset", "2025-03-03T08:15:00.000000Z");
	srctest_resp_header(r, "Date", "Mon, 03 Mar 2025 08:14:00 GMT");
	CHECK_INT(answer(r), SRC_DONE);
	CHECK_INT(T.batch.posts.len, 2);
	CHECK_INT(T.batch.retry_at, 1000000 + 60);
	CHECK_STR(T.batch.message, "rate limit reached: no more requests until the server's reset");
	CHECK(next() == NULL);
}

TEST(unauthorised_401_without_token_says_a_token_is_needed)
{
	reset();
	src_start(spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad"), NULL, NULL);
	begin();
	CHECK(next());
	CHECK_INT(answer(fixture_resp(401, "mastodon-error-401-whitelist.json")), SRC_ERR_AUTH);
	CHECK_STR(T.batch.message, "server requires a token: set mastodon_token = FILE "
	                           "(HTTP 401: \"This API requires an authenticated user\")");
	CHECK(next() == NULL);
}

TEST(token_sent_and_rejection_reported_without_it)
{
	reset();
	src_start(spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad"), NULL, "s3cr3t-token\n");
	begin();
	CHECK(next());
	CHECK_STR(req_header("Authorization"), "Bearer s3cr3t-token");
	CHECK_INT(answer(fixture_resp(401, "mastodon-error-401.json")), SRC_ERR_AUTH);
	CHECK_STR(T.batch.message, "social.overheid.example rejected the token (HTTP 401: \"The access token is invalid\")");
	CHECK(strstr(T.batch.message, "s3cr3t") == NULL);
}

TEST(token_with_control_characters_is_not_sent)
{
	reset();
	src_start(spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad"), NULL, "abc\r\nX-Evil: 1");
	begin();
	CHECK(next());
	CHECK(req_header("Authorization") == NULL);
	CHECK_INT(T.req->n_headers, 1);
}

TEST(app_token_422_and_403_are_auth_errors)
{
	reset();
	src_start(spec_new(SRC_HASHTAG, "Voorbeeldstad"), NULL, "apptoken");
	begin();
	CHECK(next());
	CHECK_INT(answer(fixture_resp(422, "mastodon-error-422-user-required.json")), SRC_ERR_AUTH);
	CHECK_STR(T.batch.message, "social.overheid.example rejected the token "
	                           "(HTTP 422: \"This method requires an authenticated user\")");
	begin();
	CHECK(next());
	CHECK_INT(answer(json_resp(403, "{\"error\":\"This action is not allowed\"}")), SRC_ERR_AUTH);
}

TEST(lookup_404_is_not_found)
{
	reset();
	src_start(spec_new(SRC_ACCOUNT, "niemand"), NULL, NULL);
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, SERVER "/api/v1/accounts/lookup?acct=niemand");
	CHECK_INT(answer(fixture_resp(404, "mastodon-error-404.json")), SRC_ERR_NOT_FOUND);
	CHECK_STR(T.batch.message, "account @niemand not found on social.overheid.example (HTTP 404: \"Record not found\")");
}

TEST(statuses_404_forgets_the_account_id)
{
	reset();
	src_known("114100000000000000");
	CHECK(next());
	CHECK_INT(answer(fixture_resp(404, "mastodon-error-404.json")), SRC_ERR_NOT_FOUND);
	CHECK_STR(T.batch.message, "account @gemeentevoorbeeldstad@social.overheid.example (id " ACCOUNT_ID
	                           ") no longer found (HTTP 404: \"Record not found\"); will look it up again");
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, SERVER "/api/v1/accounts/lookup?acct=gemeentevoorbeeldstad");
	CHECK_INT(answer(fixture_resp(200, "mastodon-account-lookup.json")), SRC_CONTINUE);
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES); /* a fresh start: no min_id */
}

TEST(lookup_without_id_is_a_data_error)
{
	reset();
	src_start(spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad"), NULL, NULL);
	begin();
	CHECK(next());
	CHECK_INT(answer(json_resp(200, "{\"id\":12345,\"username\":\"x\"}")), SRC_ERR_DATA);
	CHECK_STR(T.batch.message, "account lookup for @gemeentevoorbeeldstad@social.overheid.example: "
	                           "no account id in the response");
}

TEST(html_error_page_is_a_data_error)
{
	reset();
	src_known("114100000000000000");
	CHECK(next());
	const char *html = "<!DOCTYPE html><html><body><h1>We're sorry, but something went wrong.</h1></body></html>";
	CHECK_INT(answer(resp(200, "text/html; charset=utf-8", html, strlen(html))), SRC_ERR_DATA);
	CHECK_STR(T.batch.message, "expected JSON from social.overheid.example but got text/html; charset=utf-8 (an error page?)");
	CHECK_INT(T.batch.posts.len, 0);
}

TEST(truncated_json_is_a_data_error)
{
	reset();
	src_known("114100000000000000");
	CHECK(next());
	size_t len;
	char *body = srctest_fixture("mastodon-account-statuses.json", &len);
	CHECK(body);
	net_response_t *r = resp(200, "application/json", body, len / 2);
	free(body);
	CHECK_INT(answer(r), SRC_ERR_DATA);
	char want[128];
	snprintf(want, sizeof want, "response from social.overheid.example is not valid JSON (%zu bytes)", len / 2);
	CHECK_STR(T.batch.message, want);
	CHECK_INT(T.batch.posts.len, 0);
}

TEST(object_instead_of_a_list_is_a_data_error)
{
	reset();
	src_known("114100000000000000");
	CHECK(next());
	CHECK_INT(answer(json_resp(200, "{\"error\":\"Something odd\"}")), SRC_ERR_DATA);
	CHECK_STR(T.batch.message, "expected a list of statuses from social.overheid.example (server said: \"Something odd\")");
	begin();
	CHECK(next());
	CHECK_INT(answer(json_resp(200, "\"just a string\"")), SRC_ERR_DATA);
	CHECK_STR(T.batch.message, "expected a list of statuses from social.overheid.example");
}

TEST(server_errors_are_network_errors_other_4xx_data)
{
	reset();
	src_known("114100000000000000");
	CHECK(next());
	CHECK_INT(answer(json_resp(503, "{\"error\":\"Remote data could not be fetched\"}")), SRC_ERR_NETWORK);
	CHECK_STR(T.batch.message, "server error from social.overheid.example (HTTP 503: \"Remote data could not be fetched\")");
	begin();
	CHECK(next());
	CHECK_INT(answer(resp(502, "text/html", "<h1>Bad gateway</h1>", 20)), SRC_ERR_NETWORK);
	CHECK_STR(T.batch.message, "server error from social.overheid.example (HTTP 502)");
	begin();
	CHECK(next());
	CHECK_INT(answer(json_resp(400, "{}")), SRC_ERR_DATA);
	CHECK_STR(T.batch.message, "unexpected answer from social.overheid.example (HTTP 400)");
}

TEST(refused_url_is_a_config_error)
{
	reset();
	src_known("114100000000000000");
	CHECK(next());
	net_response_t *r = resp(0, NULL, "", 0);
	r->error = NET_ERR_URL;
	CHECK_INT(answer(r), SRC_ERR_CONFIG);
	CHECK_STR(T.batch.message, "refused URL");
}

TEST(state_saved_and_restored)
{
	reset();
	src_start(spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad"), NULL, NULL);
	begin();
	next();
	CHECK_INT(answer(fixture_resp(200, "mastodon-account-lookup.json")), SRC_CONTINUE);
	next();
	net_response_t *r = fixture_resp(200, "mastodon-account-statuses.json");
	srctest_resp_header(r, "etag", "W/\"newest\"");
	CHECK_INT(answer(r), SRC_DONE);
	T.json = T.src->ops->save_state(T.src);
	CHECK(T.json);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(T.json, "account_id")), ACCOUNT_ID);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(T.json, "newest_id")), "114098765432100003");
	/* a restart: no lookup, a reconciling fetch with the remembered ETag */
	T.src->ops->destroy(T.src);
	source_spec_free(T.src->spec);
	free(T.src->token);
	free(T.src);
	T.src = NULL;
	char *text = cJSON_PrintUnformatted(T.json);
	cJSON_Delete(T.json);
	T.json = cJSON_Parse(text);
	free(text);
	src_start(spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad"), T.json, NULL);
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES);
	CHECK_STR(req_header("If-None-Match"), "W/\"newest\"");
	CHECK_INT(answer(json_resp(304, "")), SRC_NOT_MODIFIED);
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES "&min_id=114098765432100003");
}

TEST(foreign_or_corrupt_state_is_ignored)
{
	reset();
	T.json = known_state("114100000000000000", 3);
	cJSON_ReplaceItemInObject(T.json, "handle", cJSON_CreateString("someone-else"));
	src_start(spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad"), T.json, NULL);
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, SERVER "/api/v1/accounts/lookup?acct=gemeentevoorbeeldstad");
	reset();
	T.json = cJSON_Parse("{\"server\":\"" SERVER "\",\"handle\":\"gemeentevoorbeeldstad\",\"account_id\":5,"
	                     "\"newest_id\":\"../../etc\",\"cycles\":-3,\"etags\":[{\"url\":\"https://evil.example/x\","
	                     "\"etag\":\"e\"},{\"url\":\"" SERVER "/x\",\"etag\":\"a\\r\\nX: y\"},7]}");
	CHECK(T.json);
	src_start(spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad"), T.json, NULL);
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, SERVER "/api/v1/accounts/lookup?acct=gemeentevoorbeeldstad");
	cJSON *saved = T.src->ops->save_state(T.src);
	CHECK(saved);
	bool clean = !cJSON_GetObjectItem(saved, "account_id") && !cJSON_GetObjectItem(saved, "newest_id") &&
	             cJSON_GetArraySize(cJSON_GetObjectItem(saved, "etags")) == 0;
	cJSON_Delete(saved);
	CHECK(clean);
}

TEST(hashtag_cycle_and_unknown_tags)
{
	reset();
	src_start(spec_new(SRC_HASHTAG, "Voorbeeldstad"), NULL, NULL);
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, SERVER "/api/v1/timelines/tag/Voorbeeldstad?limit=40");
	CHECK_INT(answer(fixture_resp(200, "mastodon-tag-timeline.json")), SRC_DONE);
	CHECK_INT(T.batch.posts.len, 2);
	CHECK(T.batch.authoritative);
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, SERVER "/api/v1/timelines/tag/Voorbeeldstad?limit=40&min_id=114098765432100003");
	CHECK_INT(answer(json_resp(200, "[]")), SRC_NOT_MODIFIED);
	reset();
	src_start(spec_new(SRC_HASHTAG, "#bestaat niet"), NULL, NULL);
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, SERVER "/api/v1/timelines/tag/bestaat%20niet?limit=40");
	CHECK_INT(answer(fixture_resp(404, "mastodon-error-404.json")), SRC_NOT_MODIFIED);
	CHECK(T.batch.message == NULL);
}

TEST(request_follows_the_spec_filters)
{
	reset();
	source_spec_t *spec = spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad");
	spec->include_replies = true;
	spec->include_boosts = false;
	T.json = known_state("114100000000000000", 0);
	src_start(spec, T.json, NULL);
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, SERVER "/api/v1/accounts/" ACCOUNT_ID "/statuses?limit=40&exclude_reblogs=true");
}

TEST(loopback_server_and_remote_handle)
{
	reset();
	source_spec_t *spec = spec_new(SRC_ACCOUNT, "jan@elders.example");
	free(spec->server);
	spec->server = xstrdup("http://127.0.0.1:8970");
	src_start(spec, NULL, NULL);
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, "http://127.0.0.1:8970/api/v1/accounts/lookup?acct=jan%40elders.example");
}

/* ---- a long outage: gap-free catch-up ------------------------------------ */

#define GAP_BASE 114100000000000000ULL
#define GAP_T0 1741000000

/* A Mastodon server holding statuses GAP_BASE+1 .. GAP_BASE+n of the account,
 * answering the request in T.req as Mastodon does: without min_id the newest
 * 40, with min_id the 40 just above it (newest first either way).  With
 * etags, every page carries an ETag and a matching If-None-Match gets a 304. */
static net_response_t *timeline_answer(int n, bool etags)
{
	const char *q = strstr(T.req->url, "min_id=");
	uint64_t newest = GAP_BASE + (uint64_t)n;
	int count = n < 40 ? n : 40;
	if (q) {
		uint64_t min = strtoull(q + 7, NULL, 10);
		uint64_t top = min + 40 < newest ? min + 40 : newest;
		newest = top;
		count = top > min ? (int)(top - min) : 0;
	}
	char etag[64];
	snprintf(etag, sizeof etag, "W/\"%llu-%d\"", (unsigned long long)newest, count);
	const char *inm = req_header("If-None-Match");
	if (etags && inm && strcmp(inm, etag) == 0)
		return json_resp(304, "");
	net_response_t *r = page_resp(newest, count, GAP_T0 + (int64_t)(newest - GAP_BASE) * 60);
	if (etags)
		srctest_resp_header(r, "ETag", etag);
	return r;
}

/* Run one cycle against the server; mark the ids it brought in seen[1..n]. */
static source_status_t gap_cycle(int n, bool etags, bool *seen, int *requests)
{
	begin();
	source_status_t st = SRC_CONTINUE;
	while (st == SRC_CONTINUE && next()) {
		(*requests)++;
		st = answer(timeline_answer(n, etags));
	}
	for (size_t i = 0; i < T.batch.posts.len; i++) {
		uint64_t id = strtoull(T.batch.posts.items[i]->id, NULL, 10);
		if (id > GAP_BASE && id <= GAP_BASE + (uint64_t)n)
			seen[id - GAP_BASE] = true;
	}
	return st;
}

static int count_seen(const bool *seen, int from, int to)
{
	int k = 0;
	for (int i = from; i <= to; i++)
		k += seen[i];
	return k;
}

/* A restart: the adapter's state saved, a fresh source made from it. */
static void gap_restart(void)
{
	cJSON *state = T.src->ops->save_state(T.src);
	srctest_source_free(T.src);
	T.src = NULL;
	cJSON_Delete(T.json);
	T.json = state;
	src_start(spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad"), T.json, NULL);
}

TEST(long_outage_300_new_posts_all_fetched_over_the_next_cycles)
{
	reset();
	/* balie saw up to GAP_BASE+10, was off while 300 more arrived */
	bool seen[311] = { false };
	char mark[32];
	snprintf(mark, sizeof mark, "%llu", GAP_BASE + 10);
	T.json = known_state(mark, 0);
	src_start(spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad"), T.json, NULL);
	int requests = 0;
	/* the first cycle after the restart reconciles: the newest page, then
	 * min_id paging up from the old mark, five requests in all */
	CHECK_INT(gap_cycle(310, false, seen, &requests), SRC_DONE);
	CHECK_INT(requests, 5);
	CHECK_INT(count_seen(seen, 271, 310), 40); /* the newest page */
	CHECK_INT(count_seen(seen, 11, 170), 160); /* four pages from the mark */
	CHECK_INT(count_seen(seen, 171, 270), 0);  /* not yet: the gap */
	/* the next cycle goes on where paging stopped, not from the newest */
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES "&min_id=114100000000000170");
	net_request_free(T.req);
	T.req = NULL;
	requests = 0;
	CHECK_INT(gap_cycle(310, false, seen, &requests), SRC_DONE);
	CHECK_INT(count_seen(seen, 11, 310), 300);
	CHECK_INT(gap_cycle(310, false, seen, &requests), SRC_NOT_MODIFIED);
}

TEST(long_outage_caught_up_across_restarts_with_etags)
{
	reset();
	/* every cycle is the first after a start (balie --once from cron, or a
	 * screen restarted often): each reconciles, and the server sends ETags */
	bool seen[321] = { false };
	T.json = known_state("114100000000000020", 0);
	src_start(spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad"), T.json, NULL);
	int requests = 0, cycles = 0;
	source_status_t st = SRC_DONE;
	while (st == SRC_DONE && cycles < 10) {
		st = gap_cycle(320, true, seen, &requests);
		cycles++;
		gap_restart();
	}
	CHECK_INT(st, SRC_NOT_MODIFIED);
	CHECK_INT(count_seen(seen, 21, 320), 300);
	CHECK(cycles <= 4);
}

TEST(rate_limit_on_the_newest_page_keeps_the_mark_below_the_gap)
{
	reset();
	T.json = known_state("114100000000000000", 0);
	src_start(spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad"), T.json, NULL);
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES);
	net_response_t *r = page_resp(114100000000000100ULL, 40, 1741000000);
	srctest_resp_header(r, "X-RateLimit-Remaining", "0");
	srctest_resp_header(r, "ETag", "W/\"newest\"");
	CHECK_INT(answer(r), SRC_DONE); /* the newest page is shown at once */
	CHECK_INT(T.batch.posts.len, 40);
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES "&min_id=114100000000000000"); /* ids 1..60 still to come */
	/* after a restart the reconciling fetch must see the page (no 304), to
	 * find the gap again */
	net_request_free(T.req);
	T.req = NULL;
	gap_restart();
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES);
	CHECK(req_header("If-None-Match") == NULL);
}

TEST(gap_that_empties_while_paging_is_closed)
{
	reset();
	/* the posts between the mark and the newest page were deleted meanwhile */
	T.json = known_state("114100000000000000", 0);
	src_start(spec_new(SRC_ACCOUNT, "gemeentevoorbeeldstad"), T.json, NULL);
	begin();
	CHECK(next());
	CHECK_INT(answer(page_resp(114100000000000100ULL, 40, 1741000000)), SRC_CONTINUE);
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES "&min_id=114100000000000000");
	CHECK_INT(answer(json_resp(200, "[]")), SRC_DONE);
	begin();
	CHECK(next());
	CHECK_STR(T.req->url, STATUSES "&min_id=114100000000000100");
}

int main(void)
{
	RUN(fixture_public_only_keeps_two_of_three);
	RUN(fixture_edited_post_with_image_link_mention_hashtags_emoji);
	RUN(fixture_reblog_becomes_the_original_with_booster);
	RUN(fixture_boosts_dropped_when_not_wanted);
	RUN(fixture_unlisted_self_reply_with_cw_and_video);
	RUN(fixture_tag_timeline_local_and_remote_authors);
	RUN(edge_unusable_statuses_are_skipped_with_a_reason);
	RUN(edge_whole_page_survives_bad_statuses);
	RUN(edge_null_fields);
	RUN(edge_missing_fields);
	RUN(edge_wrong_types_are_ignored);
	RUN(edge_media_oddities);
	RUN(edge_non_public_visibility);
	RUN(edge_reply_to_someone_else);
	RUN(edge_public_self_reply_is_kept);
	RUN(edge_quote_inline_removed_emoji_and_cw);
	RUN(edge_self_boost_has_no_booster);
	RUN(edge_names_are_cleaned_and_bounded);
	RUN(parse_statuses_rejects_what_is_not_a_list);
	RUN(account_cycle_looks_up_then_fetches_statuses);
	RUN(min_id_paging_until_an_empty_page);
	RUN(paging_stops_after_five_pages);
	RUN(reconcile_on_first_cycle_and_every_tenth);
	RUN(reconcile_full_page_sets_window_and_fills_the_gap);
	RUN(empty_newest_page_is_not_authoritative);
	RUN(etag_sent_on_identical_request_and_304_is_not_modified);
	RUN(failed_cycle_commits_neither_newest_id_nor_etag);
	RUN(rate_limited_429_with_retry_after_seconds);
	RUN(rate_limited_429_reset_relative_to_server_date);
	RUN(rate_limited_429_retry_after_http_date_and_cap);
	RUN(remaining_zero_on_200_stops_paging_and_sets_retry_at);
	RUN(unauthorised_401_without_token_says_a_token_is_needed);
	RUN(token_sent_and_rejection_reported_without_it);
	RUN(token_with_control_characters_is_not_sent);
	RUN(app_token_422_and_403_are_auth_errors);
	RUN(lookup_404_is_not_found);
	RUN(statuses_404_forgets_the_account_id);
	RUN(lookup_without_id_is_a_data_error);
	RUN(html_error_page_is_a_data_error);
	RUN(truncated_json_is_a_data_error);
	RUN(object_instead_of_a_list_is_a_data_error);
	RUN(server_errors_are_network_errors_other_4xx_data);
	RUN(refused_url_is_a_config_error);
	RUN(state_saved_and_restored);
	RUN(foreign_or_corrupt_state_is_ignored);
	RUN(hashtag_cycle_and_unknown_tags);
	RUN(request_follows_the_spec_filters);
	RUN(loopback_server_and_remote_handle);
	RUN(long_outage_300_new_posts_all_fetched_over_the_next_cycles);
	RUN(long_outage_caught_up_across_restarts_with_etags);
	RUN(rate_limit_on_the_newest_page_keeps_the_mark_below_the_gap);
	RUN(gap_that_empties_while_paging_is_closed);
	reset();
	return test_summary();
}
