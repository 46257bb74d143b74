/*
 * test_facebook: the Facebook Page adapter driven by hand-built responses.
 *
 * Each test runs the adapter's cycle the way the poller does (begin,
 * next_request, handle, ...) and answers each request with a recorded body
 * from tests/fixtures/facebook-* or a small inline JSON document, so the
 * state machine (page, posts, paging, errors, usage back-off, ETag) and the
 * parser are checked without a server.  tests/integration/test_sources.py
 * runs the paging against the fake server.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "test.h"
#include "../support/srctest.h"

#include "../../src/base/xmalloc.h"
#include "../../src/net/net.h"
#include "../../src/sources/facebook.h"
#include "../../src/sources/source.h"

#define NOW 1792000000 /* 2026-10-14 17:46:40 UTC */
#define TOKEN "EAABsecretPageToken123"
#define TOKEN_FILE "/etc/balie/facebook.token"
#define BASE "http://127.0.0.1:9"

static net_response_t *resp(int status, const char *body)
{
	return srctest_resp(BASE "/v25.0/100000000000001/posts", status, body);
}

static net_response_t *resp_fixture(int status, const char *name)
{
	return srctest_resp_fixture(BASE "/v25.0/100000000000001/posts", status, name);
}

static source_t *fb_new(const char *token, const cJSON *state)
{
	source_spec_t *spec = xcalloc(1, sizeof *spec);
	spec->key = xstrdup("facebook:100000000000001");
	spec->network = NET_FACEBOOK;
	spec->kind = SRC_ACCOUNT;
	spec->person = xstrdup("gemeente");
	spec->handle = xstrdup("100000000000001");
	spec->server = xstrdup(BASE);
	spec->token_file = xstrdup(TOKEN_FILE);
	spec->interval_s = 300;
	return srctest_source_new(&facebook_source_ops, spec, token, state, NOW);
}

/* A source whose Page name and picture are already known (no page request). */
static cJSON *known_page_state(void)
{
	cJSON *st = cJSON_CreateObject();
	cJSON *page = cJSON_AddObjectToObject(st, "page");
	cJSON_AddStringToObject(page, "name", "Gemeente Voorbeeldstad");
	cJSON_AddStringToObject(page, "picture", "https://scontent.example.invalid/p.jpg");
	cJSON_AddNumberToObject(page, "fetched", NOW - 60);
	return st;
}

/* One posts cycle on a source with a known Page, answered with body. */
static int posts_cycle(source_t *s, int status, const char *body, source_batch_t *b)
{
	s->ops->begin(s);
	return srctest_step(s, resp(status, body), b, NULL);
}

TEST(fixture_cycle_reads_page_then_posts)
{
	source_t *s = fb_new(TOKEN "\n", NULL);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	net_request_t *req = NULL;
	CHECK_INT(srctest_step(s, resp_fixture(200, "facebook-page.json"), &b, &req), SRC_CONTINUE);
	CHECK_STR(req->url, BASE "/v25.0/100000000000001?fields=id%2Cname%2Clink%2Cusername%2Cpicture.type%28large%29%7Burl%7D");
	CHECK_STR(srctest_req_header(req, "Authorization"), "Bearer " TOKEN);
	net_request_free(req);

	CHECK_INT(srctest_step(s, resp_fixture(200, "facebook-page-posts.json"), &b, &req), SRC_DONE);
	CHECK(srctest_starts_with(req->url, BASE "/v25.0/100000000000001/posts?fields=id%2Cmessage%2Ccreated_time"));
	CHECK(strstr(req->url, "unshimmed_url") != NULL);
	CHECK(strstr(req->url, "&limit=10") != NULL);
	CHECK(strstr(req->url, "access_token") == NULL);
	CHECK(strstr(req->url, TOKEN) == NULL);
	CHECK_STR(srctest_req_header(req, "Authorization"), "Bearer " TOKEN);
	net_request_free(req);

	CHECK_INT(b.posts.len, 4);
	post_t *p = b.posts.items[0];
	CHECK_STR(p->key, "facebook:100000000000001_200000000000011");
	CHECK_STR(p->id, "100000000000001_200000000000011");
	CHECK_INT(p->network, NET_FACEBOOK);
	CHECK_STR(p->source, "facebook:100000000000001");
	CHECK_STR(p->person, "gemeente");
	CHECK_STR(p->url, "https://www.facebook.example.invalid/100000000000001/posts/200000000000011");
	CHECK_INT(p->created, 1791966600);
	CHECK_INT(p->edited, 1791966672);
	CHECK(srctest_starts_with(p->text, "Vanaf maandag 19 oktober is de hal van het stadhuis verbouwd \xe2\x80\x93 de nieuwe"));
	CHECK(strstr(p->text, "uur.\n\nKom gerust kijken! \xf0\x9f\x8f\x9b\xef\xb8\x8f") != NULL);
	CHECK_STR(p->author.name, "Gemeente Voorbeeldstad");
	CHECK_STR(p->author.url, "https://www.facebook.example.invalid/gemeentevoorbeeldstad");
	CHECK(strstr(p->author.avatar_url, "fake_profile_100000000000001.jpg") != NULL);
	CHECK_INT(p->n_media, 1);
	CHECK_INT(p->media[0].kind, MEDIA_IMAGE);
	CHECK(strstr(p->media[0].url, "fake_photo_300000000000021_n.jpg?stp=dst-jpg_s720x720&oh=00_FAKEPHOTO1") != NULL);
	CHECK_INT(p->media[0].width, 720);
	CHECK_INT(p->media[0].height, 480);
	CHECK(p->card == NULL);

	p = b.posts.items[1];
	CHECK_INT(p->n_media, 0);
	CHECK(p->card != NULL);
	CHECK_STR(p->card->url, "https://www.voorbeeldstad.example.invalid/afvalkalender-2027?fbclid=FAKE");
	CHECK_STR(p->card->title, "Afvalkalender 2027 | Gemeente Voorbeeldstad");
	CHECK(srctest_starts_with(p->card->description, "Zoek op postcode"));
	CHECK(strstr(p->card->image_url, "fake_link_preview") != NULL);
	CHECK_INT(p->edited, 0);

	p = b.posts.items[2];
	CHECK_INT(p->n_media, 0);
	CHECK(p->card == NULL);
	CHECK_INT(p->created, 1791799200);
	CHECK_INT(p->edited, 1791804000);

	p = b.posts.items[3];
	CHECK_INT(p->n_media, 2);
	CHECK(strstr(p->media[0].url, "fake_photo_300000000000031_n.jpg") != NULL);
	CHECK(strstr(p->media[1].url, "fake_photo_300000000000032_n.jpg") != NULL);
	CHECK_INT(p->media[1].width, 540);
	CHECK_INT(p->media[1].height, 720);
	CHECK(p->card == NULL);

	/* there is a next page: only the window of these four proves deletions */
	CHECK(b.authoritative);
	CHECK_INT(b.window_start, 1791709200);
	CHECK(s->ops->next_request(s) == NULL);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(redirect_shim_decodes_to_the_real_link)
{
	char *u = facebook_unshim_url("https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.example.nl%2Fa%3Fb%3D1%26c%3D2&h=AT0x&s=1");
	CHECK_STR(u, "https://www.example.nl/a?b=1&c=2");
	free(u);
	u = facebook_unshim_url("https://lm.facebook.com/l.php?h=x&u=http%3A%2F%2Fexample.org%2F");
	CHECK_STR(u, "http://example.org/");
	free(u);
	/* not a shim, or a shim whose target is no web link: unchanged */
	static const char *const same[] = {
		"https://www.example.nl/l.php?u=https%3A%2F%2Fevil.example",
		"https://l.facebook.com/l.php?u=javascript%3Aalert(1)",
		"https://l.facebook.com/l.php?u=https%3A%2F%2Fa.example%2F%0Ax",
		"https://l.facebook.com/l.php?h=only",
		"https://l.facebook.com/other?u=https%3A%2F%2Fa.example",
		"https://l.facebook.com/l.php?u=https%3A%2F%2Fa.example%2",
	};
	for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
		u = facebook_unshim_url(same[i]);
		CHECK_STR(u, same[i]);
		free(u);
	}
	CHECK(facebook_unshim_url(NULL) == NULL);
}

TEST(link_without_unshimmed_url_uses_the_shim_target)
{
	cJSON *st = known_page_state();
	source_t *s = fb_new(TOKEN, st);
	cJSON_Delete(st);
	source_batch_t b;
	source_batch_init(&b);
	const char *body =
		"{\"data\":[{\"id\":\"1_2\",\"created_time\":\"2026-10-13T15:05:00+0000\","
		"\"attachments\":{\"data\":[{\"media_type\":\"link\",\"title\":\"Nieuws\","
		"\"url\":\"https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.voorbeeldstad.nl%2Fnieuws&h=AT1\"}]},"
		"\"full_picture\":\"https://external.example.invalid/safe_image.jpg\"}]}";
	CHECK_INT(posts_cycle(s, 200, body, &b), SRC_DONE);
	CHECK_INT(b.posts.len, 1);
	post_t *p = b.posts.items[0];
	CHECK_STR(p->text, "");
	CHECK(p->card != NULL);
	CHECK_STR(p->card->url, "https://www.voorbeeldstad.nl/nieuws");
	CHECK_STR(p->card->title, "Nieuws");
	CHECK_STR(p->card->image_url, "https://external.example.invalid/safe_image.jpg");
	CHECK_INT(p->n_media, 0);
	CHECK_STR(p->url, "https://www.facebook.com/1_2");
	/* a single post and no next page: the whole set */
	CHECK(b.authoritative);
	CHECK_INT(b.window_start, 0);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(absent_and_broken_fields_are_data_not_crashes)
{
	cJSON *st = known_page_state();
	source_t *s = fb_new(TOKEN, st);
	cJSON_Delete(st);
	source_batch_t b;
	source_batch_init(&b);
	const char *body =
		"{\"data\":[{\"message\":\"geen id\",\"created_time\":\"2026-10-13T15:05:00+0000\"},"
		"{\"id\":\"1_3\",\"message\":\"geen datum\"},"
		"{\"id\":\"1_4\",\"message\":\"kapotte datum\",\"created_time\":\"2026-13-45T99:00:00+0000\"},"
		"{\"id\":\"1_5\",\"created_time\":\"2026-10-13T15:05:00+0000\"},"
		"{\"id\":6,\"message\":7,\"created_time\":8},"
		"\"not an object\","
		"{\"id\":\"1_7\",\"message\":\"Blij \\ud83d\\ude00!\",\"created_time\":\"2026-10-13T15:06:00Z\","
		"\"attachments\":{\"data\":\"oops\"},\"full_picture\":\"file:///etc/passwd\"}]}";
	CHECK_INT(posts_cycle(s, 200, body, &b), SRC_DONE);
	CHECK_INT(b.posts.len, 1);
	post_t *p = b.posts.items[0];
	CHECK_STR(p->key, "facebook:1_7");
	CHECK_STR(p->text, "Blij \xf0\x9f\x98\x80!");
	CHECK_INT(p->created, 1791903960);
	CHECK_INT(p->n_media, 0);
	CHECK(p->card == NULL);
	CHECK(!b.authoritative); /* posts were skipped: the answer proves no deletions */
	source_batch_clear(&b);

	/* a lone surrogate makes the JSON invalid: a data error, nothing kept */
	CHECK_INT(posts_cycle(s, 200, "{\"data\":[{\"id\":\"1\",\"message\":\"\\ud83d\"}]}", &b), SRC_ERR_DATA);
	CHECK_INT(b.posts.len, 0);
	CHECK(strstr(b.message, "not Graph API JSON") != NULL);
	source_batch_clear(&b);

	CHECK_INT(posts_cycle(s, 200, "{\"paging\":{}}", &b), SRC_ERR_DATA);
	CHECK(strstr(b.message, "no list of posts") != NULL);
	source_batch_clear(&b);

	CHECK_INT(posts_cycle(s, 200, "<html><body>Log in</body></html>", &b), SRC_ERR_DATA);
	CHECK(strstr(b.message, "HTTP 200") != NULL);
	source_batch_clear(&b);

	/* an empty list proves nothing about deletions */
	CHECK_INT(posts_cycle(s, 200, "{\"data\":[]}", &b), SRC_DONE);
	CHECK_INT(b.posts.len, 0);
	CHECK(!b.authoritative);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(unknown_media_types_degrade_to_image_card_or_still)
{
	cJSON *st = known_page_state();
	source_t *s = fb_new(TOKEN, st);
	cJSON_Delete(st);
	source_batch_t b;
	source_batch_init(&b);
	const char *body =
		"{\"data\":["
		"{\"id\":\"1_1\",\"message\":\"Evenement\",\"created_time\":\"2026-10-13T10:00:00+0000\","
		"\"attachments\":{\"data\":[{\"media_type\":\"event\",\"title\":\"Markt\","
		"\"media\":{\"image\":{\"src\":\"https://cdn.example.invalid/event.jpg\",\"width\":800,\"height\":450}}}]}},"
		"{\"id\":\"1_2\",\"message\":\"Iets nieuws\",\"created_time\":\"2026-10-13T09:00:00+0000\","
		"\"attachments\":{\"data\":[{\"media_type\":\"hologram\",\"title\":\"Nieuw soort\","
		"\"url\":\"https://www.example.invalid/x\"}]}},"
		"{\"id\":\"1_3\",\"message\":\"Video\",\"created_time\":\"2026-10-13T08:00:00+0000\","
		"\"attachments\":{\"data\":[{\"media_type\":\"video\",\"url\":\"https://www.facebook.example.invalid/v/1\","
		"\"media\":{\"image\":{\"src\":\"https://cdn.example.invalid/still.jpg\",\"width\":1280,\"height\":720}}}]}},"
		"{\"id\":\"1_4\",\"message\":\"Verborgen\",\"created_time\":\"2026-10-13T07:00:00+0000\",\"is_hidden\":true},"
		"{\"id\":\"1_5\",\"message\":\"Geheim type\",\"created_time\":\"2026-10-13T06:00:00+0000\","
		"\"attachments\":{\"data\":[{\"media_type\":42,\"media\":{\"image\":{\"src\":17}}}]}}"
		"]}";
	CHECK_INT(posts_cycle(s, 200, body, &b), SRC_DONE);
	CHECK_INT(b.posts.len, 4);
	post_t *p = b.posts.items[0];
	CHECK_INT(p->n_media, 1);
	CHECK_INT(p->media[0].kind, MEDIA_IMAGE);
	CHECK_STR(p->media[0].url, "https://cdn.example.invalid/event.jpg");
	CHECK_INT(p->media[0].width, 800);
	p = b.posts.items[1];
	CHECK_INT(p->n_media, 0);
	CHECK(p->card != NULL);
	CHECK_STR(p->card->url, "https://www.example.invalid/x");
	CHECK_STR(p->card->title, "Nieuw soort");
	p = b.posts.items[2];
	CHECK_INT(p->n_media, 1);
	CHECK_INT(p->media[0].kind, MEDIA_VIDEO);
	CHECK_STR(p->media[0].url, "https://cdn.example.invalid/still.jpg");
	CHECK_STR(p->media[0].preview_url, "https://cdn.example.invalid/still.jpg");
	p = b.posts.items[3];
	CHECK_STR(p->text, "Geheim type");
	CHECK_INT(p->n_media, 0);
	CHECK(p->card == NULL);
	CHECK_INT(b.n_deleted, 1);
	CHECK_STR(b.deleted[0], "facebook:1_4");
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(message_gets_link_and_hashtag_spans)
{
	cJSON *st = known_page_state();
	source_t *s = fb_new(TOKEN, st);
	cJSON_Delete(st);
	source_batch_t b;
	source_batch_init(&b);
	const char *body =
		"{\"data\":[{\"id\":\"1_1\",\"created_time\":\"2026-10-13T10:00:00+0000\","
		"\"message\":\"Kijk op https://example.org/a. #Stadhuis2026 en #123, #\\u00e9t\\u00e9!\"}]}";
	CHECK_INT(posts_cycle(s, 200, body, &b), SRC_DONE);
	CHECK_INT(b.posts.len, 1);
	post_t *p = b.posts.items[0];
	CHECK_INT(p->n_spans, 3);
	CHECK_INT(p->spans[0].kind, SPAN_LINK);
	CHECK_INT(p->spans[0].start, 8);
	CHECK_INT(p->spans[0].end, 29);
	CHECK_STR(p->spans[0].target, "https://example.org/a");
	CHECK_INT(p->spans[1].kind, SPAN_HASHTAG);
	CHECK_INT(p->spans[1].start, 31);
	CHECK_INT(p->spans[1].end, 44);
	CHECK_STR(p->spans[1].target, "https://www.facebook.com/hashtag/Stadhuis2026");
	CHECK_INT(p->spans[2].kind, SPAN_HASHTAG);
	CHECK_INT(p->spans[2].end - p->spans[2].start, 6); /* "#été" is 6 bytes; "!" not in it */
	CHECK_STR(p->spans[2].target, "https://www.facebook.com/hashtag/%C3%A9t%C3%A9");
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(token_death_mid_run_stops_with_a_clear_message)
{
	static const struct {
		const char *fixture;
		const char *says;
	} cases[] = {
		{ "facebook-error-190-expired.json", "subcode 463: the token expired" },
		{ "facebook-error-190-invalidated.json", "subcode 460: the password was changed" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		cJSON *st = known_page_state();
		source_t *s = fb_new(TOKEN "\n", st);
		cJSON_Delete(st);
		source_batch_t b;
		source_batch_init(&b);
		/* a first cycle works */
		s->ops->begin(s);
		CHECK_INT(srctest_step(s, resp_fixture(200, "facebook-page-posts.json"), &b, NULL), SRC_DONE);
		CHECK_INT(b.posts.len, 4);
		source_batch_clear(&b);
		/* the token dies before the next one */
		s->now += 300;
		s->ops->begin(s);
		CHECK_INT(srctest_step(s, resp_fixture(400, cases[i].fixture), &b, NULL), SRC_ERR_AUTH);
		CHECK(b.message != NULL);
		CHECK(strstr(b.message, "Facebook Page 100000000000001: the Page token no longer works (code 190") != NULL);
		CHECK(strstr(b.message, cases[i].says) != NULL);
		CHECK(strstr(b.message, "write it to " TOKEN_FILE " and reload balie") != NULL);
		CHECK(strstr(b.message, "fbtrace_id AFaKeTrAcEiD") != NULL);
		CHECK(strstr(b.message, TOKEN) == NULL);
		CHECK_INT(b.posts.len, 0);
		CHECK(s->ops->next_request(s) == NULL);
		source_batch_clear(&b);
		srctest_source_free(s);
	}
}

TEST(missing_permission_is_auth_with_the_permission_named)
{
	static const char *const bodies[] = {
		"{\"error\":{\"message\":\"(#10) This endpoint requires the 'pages_read_engagement' permission\","
		"\"type\":\"OAuthException\",\"code\":10}}",
		"{\"error\":{\"message\":\"(#200) Permissions error\",\"type\":\"OAuthException\",\"code\":200}}",
		"{\"error\":{\"message\":\"(#283) Requires pages_read_user_content\",\"code\":283}}",
	};
	for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
		cJSON *st = known_page_state();
		source_t *s = fb_new(TOKEN, st);
		cJSON_Delete(st);
		source_batch_t b;
		source_batch_init(&b);
		CHECK_INT(posts_cycle(s, 403, bodies[i], &b), SRC_ERR_AUTH);
		CHECK(strstr(b.message, "the token may not read this Page's posts") != NULL);
		CHECK(strstr(b.message, "pages_read_engagement from someone with a task on the Page") != NULL);
		CHECK(strstr(b.message, TOKEN_FILE) != NULL);
		source_batch_clear(&b);
		srctest_source_free(s);
	}
}

TEST(rate_limit_codes_back_off_exponentially)
{
	cJSON *st = known_page_state();
	source_t *s = fb_new(TOKEN, st);
	cJSON_Delete(st);
	source_batch_t b;
	source_batch_init(&b);
	char *body = srctest_fixture("facebook-error-32-page-ratelimit.json", NULL);
	CHECK_INT(posts_cycle(s, 400, body, &b), SRC_ERR_RATE);
	CHECK_INT(b.retry_at, NOW + 900);
	CHECK(strstr(b.message, "rate limit reached (code 32: (#32) Page request limit reached): next try in 15 min") != NULL);
	source_batch_clear(&b);

	/* before retry_at the source asks nothing and says why */
	s->now = NOW + 600;
	s->ops->begin(s);
	CHECK(s->ops->next_request(s) == NULL);
	CHECK_INT(s->ops->handle(s, NULL, &b), SRC_ERR_RATE);
	CHECK_INT(b.retry_at, NOW + 900);
	CHECK(strstr(b.message, "5 min left") != NULL);
	source_batch_clear(&b);

	/* the second limit in a row waits twice as long */
	s->now = NOW + 900;
	CHECK_INT(posts_cycle(s, 400, "{\"error\":{\"message\":\"(#4) Application request limit reached\",\"code\":4}}", &b),
	          SRC_ERR_RATE);
	CHECK_INT(b.retry_at, NOW + 900 + 1800);
	int64_t retry = b.retry_at;
	source_batch_clear(&b);
	for (int i = 0; i < 6; i++) { /* 3600, 7200, then capped at 2 h */
		s->now = retry;
		CHECK_INT(posts_cycle(s, 400, "{\"error\":{\"message\":\"limit\",\"code\":613}}", &b), SRC_ERR_RATE);
		retry = b.retry_at;
		CHECK(retry - s->now <= 7200);
		source_batch_clear(&b);
	}
	CHECK_INT(retry - s->now, 7200);

	/* a good answer resets the back-off */
	s->now = retry;
	CHECK_INT(posts_cycle(s, 200, "{\"data\":[]}", &b), SRC_DONE);
	source_batch_clear(&b);
	CHECK_INT(posts_cycle(s, 400, body, &b), SRC_ERR_RATE);
	CHECK_INT(b.retry_at - s->now, 900);
	source_batch_clear(&b);
	free(body);
	srctest_source_free(s);
}

TEST(usage_headers_above_80_percent_hold_the_next_cycle)
{
	cJSON *st = known_page_state();
	source_t *s = fb_new(TOKEN, st);
	cJSON_Delete(st);
	source_batch_t b;
	source_batch_init(&b);

	/* the recorded headers (3% usage) change nothing */
	s->ops->begin(s);
	net_response_t *r = resp(200, "{\"data\":[]}");
	srctest_resp_headers_fixture(r, "facebook-ratelimit.headers.txt");
	CHECK(net_response_header(r, "x-business-use-case-usage") != NULL);
	CHECK_INT(srctest_step(s, r, &b, NULL), SRC_DONE);
	source_batch_clear(&b);
	s->now += 60;
	s->ops->begin(s);
	net_request_t *req = s->ops->next_request(s);
	CHECK(req != NULL);
	net_request_free(req);

	/* 85% app usage: the posts still count, the next cycle waits 15 min */
	s->ops->begin(s);
	r = resp(200, "{\"data\":[{\"id\":\"1_1\",\"message\":\"x\",\"created_time\":\"2026-10-13T10:00:00+0000\"}]}");
	srctest_resp_header(r, "x-app-usage", "{\"call_count\":85,\"total_cputime\":10,\"total_time\":12}");
	CHECK_INT(srctest_step(s, r, &b, NULL), SRC_DONE);
	CHECK_INT(b.posts.len, 1);
	source_batch_clear(&b);
	int64_t t0 = s->now;
	s->now += 300;
	s->ops->begin(s);
	CHECK(s->ops->next_request(s) == NULL);
	CHECK_INT(s->ops->handle(s, NULL, &b), SRC_ERR_RATE);
	CHECK_INT(b.retry_at, t0 + 900);
	source_batch_clear(&b);

	/* the business use case header's estimated_time_to_regain_access (minutes) wins when longer */
	s->now = t0 + 900;
	s->ops->begin(s);
	r = resp(200, "{\"data\":[]}");
	srctest_resp_header(r, "X-Business-Use-Case-Usage",
	            "{\"100000000000001\":[{\"type\":\"pages\",\"call_count\":95,\"total_cputime\":5,"
	            "\"total_time\":5,\"estimated_time_to_regain_access\":45}]}");
	CHECK_INT(srctest_step(s, r, &b, NULL), SRC_DONE);
	source_batch_clear(&b);
	s->now += 60;
	s->ops->begin(s);
	CHECK(s->ops->next_request(s) == NULL);
	CHECK_INT(s->ops->handle(s, NULL, &b), SRC_ERR_RATE);
	CHECK_INT(b.retry_at, t0 + 900 + 45 * 60);
	source_batch_clear(&b);

	/* broken usage headers are ignored */
	s->now = t0 + 900 + 45 * 60;
	s->ops->begin(s);
	r = resp(200, "{\"data\":[]}");
	srctest_resp_header(r, "X-App-Usage", "{\"call_count\":\"lots\"");
	srctest_resp_header(r, "X-Business-Use-Case-Usage", "[1,2,3]");
	CHECK_INT(srctest_step(s, r, &b, NULL), SRC_DONE);
	source_batch_clear(&b);
	s->ops->begin(s);
	req = s->ops->next_request(s);
	CHECK(req != NULL);
	net_request_free(req);
	srctest_source_free(s);
}

TEST(transient_failures_are_network_errors)
{
	cJSON *st = known_page_state();
	source_t *s = fb_new(TOKEN, st);
	cJSON_Delete(st);
	source_batch_t b;
	source_batch_init(&b);
	CHECK_INT(posts_cycle(s, 500, "{\"error\":{\"message\":\"An unknown error has occurred.\",\"code\":1}}", &b),
	          SRC_ERR_NETWORK);
	CHECK(strstr(b.message, "temporarily unavailable (code 1: An unknown error has occurred.)") != NULL);
	source_batch_clear(&b);
	CHECK_INT(posts_cycle(s, 400, "{\"error\":{\"message\":\"Service temporarily unavailable\",\"code\":2}}", &b),
	          SRC_ERR_NETWORK);
	source_batch_clear(&b);
	CHECK_INT(posts_cycle(s, 400, "{\"error\":{\"message\":\"x\",\"code\":9999,\"is_transient\":true}}", &b),
	          SRC_ERR_NETWORK);
	source_batch_clear(&b);
	CHECK_INT(posts_cycle(s, 502, "<html>Bad Gateway</html>", &b), SRC_ERR_NETWORK);
	CHECK(strstr(b.message, "server error (HTTP 502)") != NULL);
	source_batch_clear(&b);

	s->ops->begin(s);
	net_response_t *r = resp(0, "");
	r->error = NET_ERR_TIMEOUT;
	r->error_text = xstrdup("no answer within 30 s");
	CHECK_INT(srctest_step(s, r, &b, NULL), SRC_ERR_NETWORK);
	CHECK(strstr(b.message, "no answer within 30 s") != NULL);
	CHECK(strstr(b.message, net_error_name(NET_ERR_TIMEOUT)) != NULL);
	source_batch_clear(&b);

	/* an unknown Graph error on a 4xx is a data error with the details */
	CHECK_INT(posts_cycle(s, 400, "{\"error\":{\"message\":\"Something odd\",\"code\":12345}}", &b), SRC_ERR_DATA);
	CHECK(strstr(b.message, "Graph API error (HTTP 400, code 12345: Something odd)") != NULL);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(no_token_sends_no_auth_header_and_reports_the_setting)
{
	cJSON *st = known_page_state();
	source_t *s = fb_new(NULL, st);
	cJSON_Delete(st);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	net_request_t *req = NULL;
	CHECK_INT(srctest_step(s, resp(400, "{\"error\":{\"message\":\"An access token is required to request this resource.\","
	                            "\"type\":\"OAuthException\",\"code\":104}}"), &b, &req), SRC_ERR_AUTH);
	CHECK(srctest_req_header(req, "Authorization") == NULL);
	net_request_free(req);
	CHECK(strstr(b.message, "no usable token (" TOKEN_FILE ")") != NULL);
	CHECK(strstr(b.message, "set facebook_token = FILE") != NULL);
	source_batch_clear(&b);
	srctest_source_free(s);

	/* a token line with a control character is never put in a header */
	st = known_page_state();
	s = fb_new("abc\001def", st);
	cJSON_Delete(st);
	s->ops->begin(s);
	req = s->ops->next_request(s);
	CHECK(req != NULL);
	CHECK(srctest_req_header(req, "Authorization") == NULL);
	net_request_free(req);
	srctest_source_free(s);
}

TEST(unknown_page_is_not_found)
{
	static const char *const bodies[] = {
		"{\"error\":{\"message\":\"(#803) Some of the aliases you requested do not exist: nope\",\"code\":803}}",
		"{\"error\":{\"message\":\"Unsupported get request. Object with ID 'x' does not exist\","
		"\"code\":100,\"error_subcode\":33}}",
	};
	for (size_t i = 0; i < 2; i++) {
		cJSON *st = known_page_state();
		source_t *s = fb_new(TOKEN, st);
		cJSON_Delete(st);
		source_batch_t b;
		source_batch_init(&b);
		CHECK_INT(posts_cycle(s, 400, bodies[i], &b), SRC_ERR_NOT_FOUND);
		CHECK(strstr(b.message, "check facebook = in the configuration") != NULL);
		source_batch_clear(&b);
		srctest_source_free(s);
	}
}

TEST(unknown_field_unshimmed_url_is_dropped_once)
{
	cJSON *st = known_page_state();
	source_t *s = fb_new(TOKEN, st);
	cJSON_Delete(st);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp(400, "{\"error\":{\"message\":\"(#100) Tried accessing nonexisting field (unshimmed_url) "
	                            "on node type (StoryAttachment)\",\"code\":100}}"), &b, NULL), SRC_CONTINUE);
	net_request_t *req = NULL;
	CHECK_INT(srctest_step(s, resp_fixture(200, "facebook-page-posts.json"), &b, &req), SRC_DONE);
	CHECK(strstr(req->url, "unshimmed_url") == NULL);
	CHECK(strstr(req->url, "subattachments") != NULL);
	net_request_free(req);
	CHECK_INT(b.posts.len, 4);
	/* the link still points at the real target, through the shim's u= */
	CHECK_STR(b.posts.items[1]->card->url, "https://www.voorbeeldstad.example.invalid/afvalkalender-2027?fbclid=FAKE");
	source_batch_clear(&b);
	cJSON *saved = s->ops->save_state(s);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(saved, "lean_fields")));
	cJSON_Delete(saved);
	/* a second such error is not retried forever */
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp(400, "{\"error\":{\"message\":\"(#100) Tried accessing nonexisting field (media)\","
	                            "\"code\":100}}"), &b, NULL), SRC_ERR_DATA);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(etag_gives_not_modified)
{
	cJSON *st = known_page_state();
	source_t *s = fb_new(TOKEN, st);
	cJSON_Delete(st);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	net_response_t *r = resp_fixture(200, "facebook-page-posts.json");
	srctest_resp_header(r, "ETag", "\"abc123\"");
	CHECK_INT(srctest_step(s, r, &b, NULL), SRC_DONE);
	source_batch_clear(&b);
	s->now += 300;
	s->ops->begin(s);
	net_request_t *req = NULL;
	CHECK_INT(srctest_step(s, resp(304, ""), &b, &req), SRC_NOT_MODIFIED);
	CHECK_STR(srctest_req_header(req, "If-None-Match"), "\"abc123\"");
	net_request_free(req);
	CHECK_INT(b.posts.len, 0);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(state_keeps_the_page_face_across_restarts)
{
	source_t *s = fb_new(TOKEN, NULL);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp_fixture(200, "facebook-page.json"), &b, NULL), SRC_CONTINUE);
	CHECK_INT(srctest_step(s, resp(200, "{\"data\":[]}"), &b, NULL), SRC_DONE);
	source_batch_clear(&b);
	cJSON *saved = s->ops->save_state(s);
	char *text = cJSON_PrintUnformatted(saved);
	CHECK(strstr(text, TOKEN) == NULL);
	free(text);
	srctest_source_free(s);

	s = fb_new(TOKEN, saved);
	cJSON_Delete(saved);
	s->now = NOW + 3600;
	s->ops->begin(s);
	net_request_t *req = NULL;
	CHECK_INT(srctest_step(s, resp_fixture(200, "facebook-page-posts.json"), &b, &req), SRC_DONE);
	CHECK(strstr(req->url, "/posts?") != NULL); /* no page request: the face was kept */
	net_request_free(req);
	CHECK_STR(b.posts.items[0]->author.name, "Gemeente Voorbeeldstad");
	CHECK(strstr(b.posts.items[0]->author.avatar_url, "fake_profile_100000000000001.jpg") != NULL);
	source_batch_clear(&b);

	/* a day later the face is asked again */
	s->now = NOW + 86400 + 1;
	s->ops->begin(s);
	req = s->ops->next_request(s);
	CHECK(strstr(req->url, "/posts?") == NULL);
	net_request_free(req);
	srctest_source_free(s);

	/* garbage state is ignored */
	cJSON *junk = cJSON_Parse("{\"page\":{\"name\":5,\"picture\":\"javascript:x\",\"fetched\":\"no\"},"
	                          "\"etag\":\"a\\r\\nInjected: 1\",\"hold_until\":-5,\"rate_strikes\":1e9}");
	s = fb_new(TOKEN, junk);
	cJSON_Delete(junk);
	s->ops->begin(s);
	req = s->ops->next_request(s);
	CHECK(req != NULL);
	CHECK(strstr(req->url, "/posts?") == NULL);
	net_request_free(req);
	srctest_source_free(s);
}

TEST(page_failure_falls_back_to_the_page_id)
{
	source_t *s = fb_new(TOKEN, NULL);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp(400, "{\"error\":{\"message\":\"(#100) Unknown fields: username\",\"code\":100}}"), &b, NULL),
	          SRC_CONTINUE);
	CHECK(b.message == NULL);
	CHECK_INT(srctest_step(s, resp_fixture(200, "facebook-page-posts.json"), &b, NULL), SRC_DONE);
	CHECK_STR(b.posts.items[0]->author.name, "100000000000001");
	CHECK_STR(b.posts.items[0]->author.url, "https://www.facebook.com/100000000000001");
	CHECK(b.posts.items[0]->author.avatar_url == NULL);
	source_batch_clear(&b);
	srctest_source_free(s);

	/* but a dead token on the page request stops the cycle there */
	s = fb_new(TOKEN, NULL);
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp_fixture(400, "facebook-error-190-expired.json"), &b, NULL), SRC_ERR_AUTH);
	CHECK(s->ops->next_request(s) == NULL);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(graph_version_is_configurable)
{
	CHECK(!facebook_set_graph_version("26.0"));
	CHECK(!facebook_set_graph_version("v26"));
	CHECK(!facebook_set_graph_version("v26.0/../x"));
	CHECK(!facebook_set_graph_version(""));
	CHECK(facebook_set_graph_version("v26.0"));
	cJSON *st = known_page_state();
	source_t *s = fb_new(TOKEN, st);
	cJSON_Delete(st);
	s->ops->begin(s);
	net_request_t *req = s->ops->next_request(s);
	CHECK(srctest_starts_with(req->url, BASE "/v26.0/100000000000001/posts?"));
	net_request_free(req);
	CHECK(facebook_set_graph_version(NULL));
	req = s->ops->next_request(s);
	CHECK(strstr(req->url, "/" FACEBOOK_GRAPH_VERSION_DEFAULT "/") != NULL);
	net_request_free(req);
	srctest_source_free(s);
}

/* ---- paging ----------------------------------------------------------------- */

#define CURSOR1 "QVFIUmZAGQUtFQUZURVJfQ1VSU09SX0ZBS0U" /* paging.cursors.after of the first fixture page */

/* A known Page whose last complete cycle ended at post id, created at t. */
static cJSON *known_newest_state(const char *id, int64_t t)
{
	cJSON *st = known_page_state();
	cJSON *newest = cJSON_AddObjectToObject(st, "newest");
	cJSON_AddStringToObject(newest, "id", id);
	cJSON_AddNumberToObject(newest, "created", (double)t);
	return st;
}

/* A Page whose last complete cycle ended at post ..16 (2026-10-09 11:00),
 * in a cycle whose first page (the fixture: four posts, 11 to 14 October,
 * ETag "page1") does not reach back to it.  The status of that page; the
 * request for it in *req (caller frees). */
static int paging_begun(source_t **s, source_batch_t *b, net_request_t **req)
{
	cJSON *st = known_newest_state("100000000000001_200000000000016", 1791544800);
	*s = fb_new(TOKEN, st);
	cJSON_Delete(st);
	source_batch_init(b);
	(*s)->ops->begin(*s);
	net_response_t *r = resp_fixture(200, "facebook-page-posts.json");
	srctest_resp_header(r, "ETag", "\"page1\"");
	return srctest_step(*s, r, b, req);
}

TEST(paging_follows_the_cursor_until_the_newest_known_post)
{
	source_t *s;
	source_batch_t b;
	net_request_t *req = NULL;
	CHECK_INT(paging_begun(&s, &b, &req), SRC_CONTINUE);
	CHECK(strstr(req->url, "&after=") == NULL);
	net_request_free(req);
	CHECK_INT(b.posts.len, 4);

	/* the second request is rebuilt from the cursor: same host, fields and
	 * limit, the token only in the header, never paging.next's query */
	CHECK_INT(srctest_step(s, resp_fixture(200, "facebook-page-posts-2.json"), &b, &req), SRC_DONE);
	CHECK(srctest_starts_with(req->url, BASE "/v25.0/100000000000001/posts?fields=id%2Cmessage%2Ccreated_time"));
	CHECK(strstr(req->url, "&limit=10&after=" CURSOR1) != NULL);
	CHECK(strstr(req->url, "graph.example.invalid") == NULL);
	CHECK(strstr(req->url, "access_token") == NULL);
	CHECK(strstr(req->url, "REDACTED") == NULL);
	CHECK(strstr(req->url, TOKEN) == NULL);
	CHECK_STR(srctest_req_header(req, "Authorization"), "Bearer " TOKEN);
	CHECK(srctest_req_header(req, "If-None-Match") == NULL);
	net_request_free(req);
	CHECK(s->ops->next_request(s) == NULL);

	/* both pages' posts, each once */
	CHECK_INT(b.posts.len, 7);
	CHECK(srctest_find(&b.posts, "facebook:100000000000001_200000000000015") != NULL);
	const post_t *p = srctest_find(&b.posts, "facebook:100000000000001_200000000000016");
	CHECK(p != NULL);
	CHECK_INT(p->n_media, 1);
	CHECK(strstr(p->media[0].url, "fake_photo_300000000000061_n.jpg") != NULL);
	CHECK(srctest_find(&b.posts, "facebook:100000000000001_200000000000017") != NULL);
	/* the last page has no next: the answers are the whole set */
	CHECK(b.authoritative);
	CHECK_INT(b.window_start, 0);
	CHECK_STR(b.message, "7 posts from 2 pages");
	source_batch_clear(&b);

	/* the cycle completed: the newest post and the first page's ETag are
	 * kept, the cursor and the token are not */
	cJSON *saved = s->ops->save_state(s);
	char *text = cJSON_PrintUnformatted(saved);
	CHECK(strstr(text, "\"newest\":{\"id\":\"100000000000001_200000000000011\",\"created\":1791966600}") != NULL);
	CHECK(strstr(text, "\"etag\":\"\\\"page1\\\"\"") != NULL);
	CHECK(strstr(text, CURSOR1) == NULL);
	CHECK(strstr(text, TOKEN) == NULL);
	free(text);
	cJSON_Delete(saved);

	/* next cycle: the first page holds the newest known post: one request */
	s->now += 300;
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp_fixture(200, "facebook-page-posts.json"), &b, NULL), SRC_DONE);
	CHECK(s->ops->next_request(s) == NULL);
	/* a first page with a next link proves deletions only down to its oldest post */
	CHECK(b.authoritative);
	CHECK_INT(b.window_start, 1791709200);
	source_batch_clear(&b);
	srctest_source_free(s);
}

/* A page of posts id prefix 1_<first>..1_<first+n-1>, one hour apart going
 * back from t, with a next link (carrying a token) and cursor when cursor is
 * not NULL. */
static char *page_json(int first, int n, int64_t t, const char *cursor)
{
	char *out = xstrdup("{\"data\":[");
	for (int i = 0; i < n; i++) {
		time_t when = (time_t)(t - 3600 * i);
		struct tm tm;
		gmtime_r(&when, &tm);
		char iso[40];
		strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S+0000", &tm);
		char *more = xasprintf("%s%s{\"id\":\"1_%d\",\"message\":\"Bericht %d\",\"created_time\":\"%s\"}", out,
		                       i ? "," : "", first + i, first + i, iso);
		free(out);
		out = more;
	}
	char *done = cursor ? xasprintf("%s],\"paging\":{\"cursors\":{\"after\":\"%s\"},\"next\":"
	                                "\"https://graph.facebook.com/v25.0/1/posts?access_token=SECRETINNEXT&after=%s\"}}",
	                                out, cursor, cursor)
	                    : xasprintf("%s]}", out);
	free(out);
	return done;
}

TEST(paging_stops_after_three_pages)
{
	/* a long outage: the newest known post is far behind */
	cJSON *st = known_newest_state("1_999", NOW - 40 * 86400);
	source_t *s = fb_new(TOKEN, st);
	cJSON_Delete(st);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	net_request_t *req = NULL;
	for (int page = 0; page < 3; page++) {
		char cursor[16];
		snprintf(cursor, sizeof cursor, "CUR%d", page + 1);
		char *body = page_json(100 + 10 * page, 10, NOW - 3600 - 36000 * page, cursor);
		int st_page = srctest_step(s, resp(200, body), &b, &req);
		free(body);
		CHECK_INT(st_page, page < 2 ? SRC_CONTINUE : SRC_DONE);
		if (page > 0) {
			char want[32];
			snprintf(want, sizeof want, "&after=CUR%d", page);
			CHECK(strstr(req->url, want) != NULL);
		}
		CHECK(strstr(req->url, "SECRETINNEXT") == NULL);
		net_request_free(req);
	}
	CHECK(s->ops->next_request(s) == NULL); /* the fourth page is not asked for */
	CHECK_INT(b.posts.len, 30);
	/* three pages and more behind them: deletions only inside their window */
	CHECK(b.authoritative);
	CHECK_INT(b.window_start, NOW - 3600 - 36000 * 2 - 3600 * 9);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(paging_never_asks_on_a_first_cycle_or_a_bad_cursor)
{
	/* no newest post known (a first start): one page, whatever it links to */
	cJSON *st = known_page_state();
	source_t *s = fb_new(TOKEN, st);
	cJSON_Delete(st);
	source_batch_t b;
	source_batch_init(&b);
	char *body = page_json(1, 10, NOW - 60, "CUR1");
	CHECK_INT(posts_cycle(s, 200, body, &b), SRC_DONE);
	free(body);
	CHECK(s->ops->next_request(s) == NULL);
	source_batch_clear(&b);
	srctest_source_free(s);

	/* a cursor that could not go into a URL safely: no next request */
	char huge[600];
	memset(huge, 'Q', sizeof huge - 1);
	huge[sizeof huge - 1] = '\0';
	const char *const bad[] = { "a\\r\\nHost: evil", "", huge };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		st = known_newest_state("1_999", NOW - 40 * 86400);
		s = fb_new(TOKEN, st);
		cJSON_Delete(st);
		body = page_json(1, 10, NOW - 60, bad[i]);
		CHECK_INT(posts_cycle(s, 200, body, &b), SRC_DONE);
		free(body);
		CHECK(s->ops->next_request(s) == NULL);
		CHECK_INT(b.posts.len, 10);
		source_batch_clear(&b);
		srctest_source_free(s);
	}
	/* a page that repeats the one before (a server that ignores the cursor) ends the paging */
	st = known_newest_state("1_999", NOW - 40 * 86400);
	s = fb_new(TOKEN, st);
	cJSON_Delete(st);
	body = page_json(1, 10, NOW - 60, "SAME");
	CHECK_INT(posts_cycle(s, 200, body, &b), SRC_CONTINUE);
	CHECK_INT(srctest_step(s, resp(200, body), &b, NULL), SRC_DONE);
	free(body);
	CHECK_INT(b.posts.len, 10);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(a_failing_later_page_repeats_the_whole_cycle)
{
	source_t *s;
	source_batch_t b;
	CHECK_INT(paging_begun(&s, &b, NULL), SRC_CONTINUE);
	CHECK_INT(srctest_step(s, resp(500, "{\"error\":{\"message\":\"An unexpected error has occurred.\","
	                                    "\"code\":2,\"is_transient\":true}}"), &b, NULL), SRC_ERR_NETWORK);
	CHECK(strstr(b.message, "temporarily unavailable") != NULL);
	source_batch_clear(&b);
	/* nothing was committed: the next cycle starts again at the top, and not
	 * with the new first page's ETag (a 304 would hide the pages still missing) */
	cJSON *saved = s->ops->save_state(s);
	char *text = cJSON_PrintUnformatted(saved);
	CHECK(strstr(text, "page1") == NULL);
	CHECK(strstr(text, "\"id\":\"100000000000001_200000000000016\"") != NULL);
	free(text);
	cJSON_Delete(saved);
	s->now += 60;
	s->ops->begin(s);
	net_request_t *req = NULL;
	CHECK_INT(srctest_step(s, resp_fixture(200, "facebook-page-posts.json"), &b, &req), SRC_CONTINUE);
	CHECK(strstr(req->url, "&after=") == NULL);
	CHECK(srctest_req_header(req, "If-None-Match") == NULL);
	net_request_free(req);
	CHECK_INT(srctest_step(s, resp_fixture(200, "facebook-page-posts-2.json"), &b, NULL), SRC_DONE);
	CHECK_INT(b.posts.len, 7);
	source_batch_clear(&b);
	srctest_source_free(s);
}

int main(void)
{
	RUN(fixture_cycle_reads_page_then_posts);
	RUN(redirect_shim_decodes_to_the_real_link);
	RUN(link_without_unshimmed_url_uses_the_shim_target);
	RUN(absent_and_broken_fields_are_data_not_crashes);
	RUN(unknown_media_types_degrade_to_image_card_or_still);
	RUN(message_gets_link_and_hashtag_spans);
	RUN(token_death_mid_run_stops_with_a_clear_message);
	RUN(missing_permission_is_auth_with_the_permission_named);
	RUN(rate_limit_codes_back_off_exponentially);
	RUN(usage_headers_above_80_percent_hold_the_next_cycle);
	RUN(transient_failures_are_network_errors);
	RUN(no_token_sends_no_auth_header_and_reports_the_setting);
	RUN(unknown_page_is_not_found);
	RUN(unknown_field_unshimmed_url_is_dropped_once);
	RUN(etag_gives_not_modified);
	RUN(state_keeps_the_page_face_across_restarts);
	RUN(page_failure_falls_back_to_the_page_id);
	RUN(graph_version_is_configurable);
	RUN(paging_follows_the_cursor_until_the_newest_known_post);
	RUN(paging_stops_after_three_pages);
	RUN(paging_never_asks_on_a_first_cycle_or_a_bad_cursor);
	RUN(a_failing_later_page_repeats_the_whole_cycle);
	return test_summary();
}
