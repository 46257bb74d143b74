/*
 * test_x: the X API v2 parser on the documented shapes (tests/fixtures/x-*)
 * and edge cases (multibyte entity offsets, bad entities, long posts,
 * quotes), and the adapter's cycle (user lookup once, since_id, rate limit,
 * usage cap, partial errors, the daily re-check of deleted posts) driven by
 * hand-built responses.
 */
#include <stdint.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "test.h"
#include "../support/srctest.h"

#include "../../src/base/fsio.h"
#include "../../src/base/log.h"
#include "../../src/base/xmalloc.h"
#include "../../src/net/net.h"
#include "../../src/sources/source.h"
#include "../../src/sources/x.h"

#define NOW 1741000000 /* 2025-03-03 11:06:40 UTC */
#define API "http://127.0.0.1:9"
#define TOKEN "AAAAAAAAAAAAAAAAAAAAAsecretbearer"

static net_response_t *resp(int status, const char *body)
{
	return srctest_resp(API "/2/x", status, body);
}

static net_response_t *resp_fixture(int status, const char *name)
{
	return srctest_resp_fixture(API "/2/x", status, name);
}

static source_spec_t *spec_new(const char *user)
{
	source_spec_t *s = xcalloc(1, sizeof *s);
	s->network = NET_X;
	s->kind = SRC_ACCOUNT;
	s->key = xasprintf("x:@%s", user);
	s->person = xstrdup("gemeente");
	s->handle = xstrdup(user);
	s->server = xstrdup(API);
	s->interval_s = 300;
	s->include_boosts = true;
	s->public_only = true;
	return s;
}

static source_t *source_new(source_spec_t *spec, const char *token, const cJSON *state)
{
	return srctest_source_new(&x_source_ops, spec, token, state, NOW);
}

/* ---- parsing ------------------------------------------------------------- */

TEST(timeline_fixture_expands_links_and_drops_media_link)
{
	char *body = srctest_fixture("x-users-tweets.json", NULL);
	source_spec_t *spec = spec_new("gem_voorbeeldstad");
	post_list_t l;
	post_list_init(&l);
	x_stats_t st;
	char *err = NULL;
	CHECK(x_parse_tweets(body, strlen(body), spec, "1111111111", &l, &st, &err));
	free(body);
	CHECK_INT(l.len, 2);
	CHECK_STR(st.newest_id, "1896459812345678901");
	CHECK_INT(st.errors, 0);
	CHECK_INT(st.bad_entities, 0);
	const post_t *p = srctest_find(&l, "x:1896459812345678901");
	CHECK(p);
	CHECK_STR(p->text, "Vanaf maandag 3 maart is de Dorpsstraat afgesloten voor autoverkeer. Omleiding via de "
	                   "Kerklaan. Meer info: voorbeeldstad.nl/werkzaamheden/… #Voorbeeldstad");
	CHECK_INT(p->n_spans, 2);
	CHECK_INT(p->spans[0].kind, SPAN_LINK);
	CHECK_INT(p->spans[0].start, 107);
	CHECK_INT(p->spans[0].end, 141);
	CHECK_STR(p->spans[0].target, "https://www.voorbeeldstad.nl/werkzaamheden/dorpsstraat-riolering-2025");
	CHECK_INT(p->spans[1].kind, SPAN_HASHTAG);
	CHECK_INT(p->spans[1].start, 142);
	CHECK_INT(p->spans[1].end, 156);
	CHECK_STR(p->spans[1].target, "Voorbeeldstad");
	CHECK_STR(p->url, "https://x.com/gem_voorbeeldstad/status/1896459812345678901");
	CHECK_INT(p->created, 1740988872);
	CHECK_STR(p->author.name, "Gemeente Voorbeeldstad");
	CHECK_STR(p->author.handle, "@gem_voorbeeldstad");
	CHECK_STR(p->author.avatar_url, "https://pbs.twimg.com/profile_images/1700000000000000000/AbCdEfGh_400x400.jpg");
	CHECK_STR(p->person, "gemeente");
	CHECK_STR(p->source, "x:@gem_voorbeeldstad");
	CHECK_STR(p->lang, "nl");
	CHECK_INT(p->n_media, 1);
	CHECK_INT(p->media[0].kind, MEDIA_IMAGE);
	CHECK_STR(p->media[0].url, "https://pbs.twimg.com/media/GlAbCdEfXYZ.jpg");
	CHECK_STR(p->media[0].alt, "Kaart van de Dorpsstraat met de omleidingsroute in oranje via de Kerklaan.");
	CHECK_INT(p->media[0].width, 1600);
	CHECK(!p->booster && !p->reply && !p->sensitive);
	x_stats_clear(&st);
	post_list_clear(&l);
	source_spec_free(spec);
}

TEST(retweet_shows_the_original_with_booster)
{
	char *body = srctest_fixture("x-users-tweets.json", NULL);
	post_list_t l;
	post_list_init(&l);
	x_stats_t st;
	char *err = NULL;
	CHECK(x_parse_tweets(body, strlen(body), NULL, NULL, &l, &st, &err));
	free(body);
	const post_t *p = srctest_find(&l, "x:1896100000000000002");
	CHECK(p);
	CHECK_STR(p->author.name, "Veiligheidsregio Voorbeeld");
	CHECK(p->booster);
	CHECK_STR(p->booster->name, "Gemeente Voorbeeldstad");
	CHECK_STR(p->text, "Grote brand Industrieweg. Houd ramen en deuren gesloten. https://t.co/Qq11Ww22Ee");
	CHECK_STR(p->url, "https://x.com/vr_voorbeeld/status/1896099999999999999");
	CHECK_INT(p->created, 1740951600); /* the original's time */
	x_stats_clear(&st);
	post_list_clear(&l);

	/* with boosts off the repost is skipped */
	body = srctest_fixture("x-users-tweets.json", NULL);
	source_spec_t *spec = spec_new("gem_voorbeeldstad");
	spec->include_boosts = false;
	CHECK(x_parse_tweets(body, strlen(body), spec, NULL, &l, &st, &err));
	free(body);
	CHECK_INT(l.len, 1);
	CHECK_INT(st.skipped, 1);
	x_stats_clear(&st);
	post_list_clear(&l);
	source_spec_free(spec);
}

TEST(entity_offsets_count_code_points_not_bytes)
{
	/* "é" is 2 bytes, "🚧" 4: byte offsets would land mid-character */
	const char *json =
		"{\"data\":[{\"id\":\"1\",\"author_id\":\"9\",\"created_at\":\"2025-03-03T08:00:00.000Z\","
		"\"text\":\"🚧 Café &amp; terras @jan_v #één https://t.co/abc\","
		"\"entities\":{\"mentions\":[{\"start\":20,\"end\":26,\"username\":\"jan_v\"}],"
		"\"hashtags\":[{\"start\":27,\"end\":31,\"tag\":\"één\"}],"
		"\"urls\":[{\"start\":32,\"end\":48,\"url\":\"https://t.co/abc\",\"expanded_url\":\"https://café.nl/x\","
		"\"display_url\":\"café.nl/x\"}]}}],"
		"\"includes\":{\"users\":[{\"id\":\"9\",\"name\":\"Jan\",\"username\":\"jan_v\"}]}}";
	post_list_t l;
	post_list_init(&l);
	x_stats_t st;
	char *err = NULL;
	CHECK(x_parse_tweets(json, strlen(json), NULL, NULL, &l, &st, &err));
	CHECK_INT(l.len, 1);
	const post_t *p = l.items[0];
	CHECK_STR(p->text, "🚧 Café & terras @jan_v #één café.nl/x");
	CHECK_INT(p->n_spans, 3);
	char *a = srctest_span_text(p, 0), *b = srctest_span_text(p, 1), *c = srctest_span_text(p, 2);
	EXPECT(strcmp(a, "@jan_v") == 0);
	EXPECT(strcmp(b, "#één") == 0);
	EXPECT(strcmp(c, "café.nl/x") == 0);
	free(a), free(b), free(c);
	CHECK_STR(p->spans[0].target, "https://x.com/jan_v");
	CHECK_STR(p->spans[2].target, "https://café.nl/x");
	x_stats_clear(&st);
	post_list_clear(&l);
}

TEST(bad_entities_are_dropped_and_the_text_kept)
{
	const char *json =
		"{\"data\":[{\"id\":\"2\",\"author_id\":\"9\",\"created_at\":\"2025-03-03T08:00:00Z\","
		"\"text\":\"kort #x\","
		"\"entities\":{\"hashtags\":[{\"start\":5,\"end\":7,\"tag\":\"x\"},"
		"{\"start\":6,\"end\":7,\"tag\":\"overlap\"},{\"start\":5,\"end\":99,\"tag\":\"long\"},"
		"{\"start\":-1,\"end\":2},{\"start\":\"5\",\"end\":7},{\"start\":4,\"end\":4}],"
		"\"urls\":\"not a list\"}}]}";
	post_list_t l;
	post_list_init(&l);
	x_stats_t st;
	char *err = NULL;
	CHECK(x_parse_tweets(json, strlen(json), NULL, NULL, &l, &st, &err));
	CHECK_INT(l.len, 1);
	CHECK_STR(l.items[0]->text, "kort #x");
	CHECK_INT(l.items[0]->n_spans, 1);
	CHECK_INT(st.bad_entities, 5);
	CHECK_STR(l.items[0]->author.name, "9"); /* no includes: the id, never NULL */
	x_stats_clear(&st);
	post_list_clear(&l);
}

TEST(long_posts_quotes_video_and_replies)
{
	const char *json =
		"{\"data\":["
		"{\"id\":\"10\",\"author_id\":\"1\",\"created_at\":\"2025-03-03T08:00:00Z\",\"lang\":\"und\","
		" \"text\":\"Begin van een lang bericht… https://t.co/more\","
		" \"note_tweet\":{\"text\":\"Begin van een lang bericht over #afval dat verder gaat.\","
		"   \"entities\":{\"hashtags\":[{\"start\":32,\"end\":38,\"tag\":\"afval\"}]}},"
		" \"possibly_sensitive\":true},"
		"{\"id\":\"11\",\"author_id\":\"1\",\"created_at\":\"2025-03-03T09:00:00Z\","
		" \"text\":\"Lees dit https://t.co/q\","
		" \"referenced_tweets\":[{\"type\":\"quoted\",\"id\":\"50\"}],"
		" \"entities\":{\"urls\":[{\"start\":9,\"end\":23,\"url\":\"https://t.co/q\","
		"   \"expanded_url\":\"https://twitter.com/vr/status/50\",\"display_url\":\"twitter.com/vr/status/50\"}]}},"
		"{\"id\":\"12\",\"author_id\":\"1\",\"created_at\":\"2025-03-03T10:00:00Z\",\"text\":\"video\","
		" \"attachments\":{\"media_keys\":[\"7_1\",\"16_2\",\"missing\"]}},"
		"{\"id\":\"13\",\"author_id\":\"1\",\"created_at\":\"2025-03-03T10:30:00Z\",\"text\":\"@vr klopt\","
		" \"referenced_tweets\":[{\"type\":\"replied_to\",\"id\":\"50\"}]},"
		"{\"id\":\"14\",\"author_id\":\"1\",\"created_at\":\"2025-03-03T10:40:00Z\",\"text\":\"en verder\","
		" \"referenced_tweets\":[{\"type\":\"replied_to\",\"id\":\"12\"}]},"
		"{\"id\":\"x15\",\"text\":\"bad id\"},{\"id\":\"16\",\"text\":\"geen datum\"}"
		"],\"includes\":{"
		" \"users\":[{\"id\":\"1\",\"name\":\"Gemeente\",\"username\":\"gem\"},{\"id\":\"2\",\"name\":\"VR\",\"username\":\"vr\"}],"
		" \"tweets\":[{\"id\":\"50\",\"author_id\":\"2\",\"text\":\"Brand &amp; rook\",\"created_at\":\"2025-03-03T07:00:00Z\"},"
		"           {\"id\":\"12\",\"author_id\":\"1\",\"text\":\"video\"}],"
		" \"media\":[{\"media_key\":\"7_1\",\"type\":\"video\",\"preview_image_url\":\"https://pbs/v.jpg\"},"
		"           {\"media_key\":\"16_2\",\"type\":\"animated_gif\",\"preview_image_url\":\"https://pbs/g.jpg\"}]}}";
	source_spec_t *spec = spec_new("gem");
	spec->include_replies = true;
	post_list_t l;
	post_list_init(&l);
	x_stats_t st;
	char *err = NULL;
	CHECK(x_parse_tweets(json, strlen(json), spec, NULL, &l, &st, &err));
	CHECK_INT(l.len, 5);
	CHECK_INT(st.skipped, 2);
	const post_t *p = srctest_find(&l, "x:10");
	CHECK(p);
	CHECK_STR(p->text, "Begin van een lang bericht over #afval dat verder gaat.");
	CHECK_INT(p->n_spans, 1);
	CHECK(p->sensitive);
	CHECK(p->lang == NULL); /* "und" */
	p = srctest_find(&l, "x:11");
	CHECK(p);
	CHECK_STR(p->text, "Lees dit");
	CHECK(p->card);
	CHECK_STR(p->card->title, "VR: Brand & rook");
	CHECK_STR(p->card->url, "https://x.com/vr/status/50");
	p = srctest_find(&l, "x:12");
	CHECK(p);
	CHECK_INT(p->n_media, 2);
	CHECK_INT(p->media[0].kind, MEDIA_VIDEO);
	CHECK_STR(p->media[0].url, "https://pbs/v.jpg");
	CHECK_INT(p->media[1].kind, MEDIA_GIFV);
	p = srctest_find(&l, "x:13");
	CHECK(p && p->reply);   /* to someone else */
	p = srctest_find(&l, "x:14");
	CHECK(p && !p->reply);  /* a thread of one's own */
	x_stats_clear(&st);
	post_list_clear(&l);
	/* replies off: the reply to someone else goes */
	spec->include_replies = false;
	CHECK(x_parse_tweets(json, strlen(json), spec, NULL, &l, &st, &err));
	CHECK_INT(l.len, 4);
	CHECK(!srctest_find(&l, "x:13"));
	x_stats_clear(&st);
	post_list_clear(&l);
	source_spec_free(spec);
}

TEST(partial_error_and_user_lookup_shapes)
{
	char *body = srctest_fixture("x-partial-error-200.json", NULL);
	post_list_t l;
	post_list_init(&l);
	x_stats_t st;
	char *err = NULL;
	CHECK(x_parse_tweets(body, strlen(body), NULL, "9999999999", &l, &st, &err));
	CHECK_INT(l.len, 0);
	CHECK_INT(st.errors, 1);
	CHECK(st.user_gone);
	CHECK_STR(st.first_error, "Not Found Error: Could not find user with id: [9999999999].");
	x_stats_clear(&st);
	char *id = x_parse_user(body, strlen(body), &err);
	CHECK(!id);
	CHECK_STR(err, "not found: Not Found Error: Could not find user with id: [9999999999].");
	free(err);
	free(body);
	body = srctest_fixture("x-users-by-username.json", NULL);
	err = NULL;
	id = x_parse_user(body, strlen(body), &err);
	CHECK_STR(id, "1111111111");
	free(id);
	free(body);
	err = NULL;
	CHECK(!x_parse_tweets("<html>", 6, NULL, NULL, &l, &st, &err));
	CHECK_STR(err, "expected JSON, got an HTML page");
	free(err);
	x_stats_clear(&st);
}

TEST(usage_cap_is_recognised_in_both_forms)
{
	const char *cap429 = "{\"title\":\"UsageCapExceeded\",\"detail\":\"Usage cap exceeded: Monthly product cap\","
	                     "\"type\":\"https://api.twitter.com/2/problems/usage-capped\",\"period\":\"Monthly\"}";
	const char *enrol = "{\"client_id\":\"1\",\"reason\":\"client-not-enrolled\",\"title\":\"Client Forbidden\"}";
	char *limit = srctest_fixture("x-error-429-ratelimit.json", NULL);
	CHECK(x_usage_capped(429, cap429, strlen(cap429)));
	CHECK(x_usage_capped(403, enrol, strlen(enrol)));
	CHECK(!x_usage_capped(429, limit, strlen(limit)));
	CHECK(!x_usage_capped(200, cap429, strlen(cap429)));
	free(limit);
}

/* ---- the adapter --------------------------------------------------------- */

TEST(cycle_resolves_user_once_then_polls_with_since_id)
{
	source_t *s = source_new(spec_new("@gem_voorbeeldstad"), TOKEN, NULL);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	net_request_t *req = s->ops->next_request(s);
	CHECK(req);
	CHECK_STR(req->url, API "/2/users/by/username/gem_voorbeeldstad?user.fields=profile_image_url,name,username");
	CHECK_STR(srctest_req_header(req, "Authorization"), "Bearer " TOKEN);
	net_request_free(req);
	CHECK_INT(srctest_answer(s, resp_fixture(200, "x-users-by-username.json"), &b), SRC_CONTINUE);
	req = s->ops->next_request(s);
	CHECK(req);
	CHECK_STR(req->url, API "/2/users/1111111111/tweets?max_results=10&exclude=replies"
	                    "&tweet.fields=created_at,entities,attachments,lang,possibly_sensitive,referenced_tweets,note_tweet"
	                    "&expansions=author_id,attachments.media_keys,referenced_tweets.id,referenced_tweets.id.author_id"
	                    "&user.fields=profile_image_url,name,username"
	                    "&media.fields=url,preview_image_url,alt_text,width,height,type");
	net_request_free(req);
	net_response_t *r = resp_fixture(200, "x-users-tweets.json");
	srctest_resp_header(r, "x-rate-limit-remaining", "9998");
	CHECK_INT(srctest_answer(s, r, &b), SRC_DONE);
	CHECK_INT(b.posts.len, 2);
	CHECK(!b.authoritative);
	CHECK_STR(b.message, "2 new posts");
	CHECK(!s->ops->next_request(s));
	source_batch_clear(&b);

	/* a restart: no lookup (billed), since_id from the newest post */
	cJSON *state = s->ops->save_state(s);
	srctest_source_free(s);
	s = source_new(spec_new("gem_voorbeeldstad"), TOKEN, state);
	cJSON_Delete(state);
	s->ops->begin(s);
	req = s->ops->next_request(s);
	CHECK(req);
	CHECK(strstr(req->url, "/2/users/1111111111/tweets?max_results=100&since_id=1896459812345678901&exclude=replies"));
	net_request_free(req);
	CHECK_INT(srctest_answer(s, resp(200, "{\"meta\":{\"result_count\":0}}"), &b), SRC_NOT_MODIFIED);
	source_batch_clear(&b);
	srctest_source_free(s);

	/* configured for another account now: look it up again */
	state = NULL;
	{
		source_t *t = source_new(spec_new("gem_voorbeeldstad"), TOKEN, NULL);
		t->ops->begin(t);
		net_request_free(t->ops->next_request(t));
		CHECK_INT(srctest_answer(t, resp_fixture(200, "x-users-by-username.json"), &b), SRC_CONTINUE);
		state = t->ops->save_state(t);
		srctest_source_free(t);
	}
	s = source_new(spec_new("andere_gemeente"), TOKEN, state);
	cJSON_Delete(state);
	s->ops->begin(s);
	req = s->ops->next_request(s);
	CHECK(req && strstr(req->url, "/2/users/by/username/andere_gemeente"));
	net_request_free(req);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(exclusions_follow_the_spec)
{
	static const struct {
		bool replies, boosts;
		const char *want; /* NULL: no exclude parameter */
	} cases[] = {
		{ false, true, "&exclude=replies&" },
		{ false, false, "&exclude=replies,retweets&" },
		{ true, false, "&exclude=retweets&" },
		{ true, true, NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		source_spec_t *spec = spec_new("gem");
		spec->include_replies = cases[i].replies;
		spec->include_boosts = cases[i].boosts;
		cJSON *state = cJSON_Parse("{\"user\":\"gem\",\"user_id\":\"1111111111\"}");
		source_t *s = source_new(spec, TOKEN, state);
		cJSON_Delete(state);
		s->ops->begin(s);
		net_request_t *req = s->ops->next_request(s);
		CHECK(req);
		if (cases[i].want ? !strstr(req->url, cases[i].want) : strstr(req->url, "exclude=") != NULL)
			TEST_FAIL_("case %zu: %s", i, req->url);
		net_request_free(req);
		srctest_source_free(s);
	}
}

TEST(rate_limit_waits_for_reset_and_sends_nothing_before)
{
	cJSON *state = cJSON_Parse("{\"user\":\"gem\",\"user_id\":\"1111111111\",\"since_id\":\"5\"}");
	source_t *s = source_new(spec_new("gem"), TOKEN, state);
	cJSON_Delete(state);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	net_request_free(s->ops->next_request(s));
	net_response_t *r = resp_fixture(429, "x-error-429-ratelimit.json");
	srctest_resp_header(r, "x-rate-limit-reset", "1741000900");
	CHECK_INT(srctest_answer(s, r, &b), SRC_ERR_RATE);
	CHECK_INT(b.retry_at, 1741000900);
	CHECK_STR(b.message, "X API rate limit reached; next try in 900 s");
	source_batch_clear(&b);
	s->now = NOW + 60;
	s->ops->begin(s);
	CHECK(!s->ops->next_request(s));
	CHECK_INT(s->ops->handle(s, NULL, &b), SRC_ERR_RATE);
	CHECK_INT(b.retry_at, 1741000900);
	source_batch_clear(&b);
	s->now = 1741000901;
	s->ops->begin(s);
	net_request_t *req = s->ops->next_request(s);
	CHECK(req && strstr(req->url, "since_id=5"));
	net_request_free(req);
	srctest_source_free(s);
}

TEST(usage_cap_stops_polling_until_reset_and_logs_once)
{
	char path[] = "/tmp/balie-test-x-log-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	log_set_fd(fd);
	cJSON *state = cJSON_Parse("{\"user\":\"gem\",\"user_id\":\"1111111111\"}");
	source_t *s = source_new(spec_new("gem"), TOKEN, state);
	cJSON_Delete(state);
	source_batch_t b;
	source_batch_init(&b);
	const char *cap = "{\"title\":\"UsageCapExceeded\",\"detail\":\"Usage cap exceeded: Monthly product cap\","
	                  "\"type\":\"https://api.twitter.com/2/problems/usage-capped\"}";
	for (int round = 0; round < 2; round++) {
		s->ops->begin(s);
		net_request_free(s->ops->next_request(s));
		net_response_t *r = resp(429, cap);
		srctest_resp_header(r, "x-rate-limit-reset", "1741086400");
		CHECK_INT(srctest_answer(s, r, &b), SRC_ERR_RATE);
		CHECK_INT(b.retry_at, 1741086400);
		CHECK_STR(b.message, "X API usage cap reached (UsageCapExceeded: Usage cap exceeded: Monthly product "
		                     "cap); not polling @gem for 24 hours");
		source_batch_clear(&b);
		s->now = NOW + 3600;
		s->ops->begin(s);
		CHECK(!s->ops->next_request(s)); /* nothing is sent while capped */
		CHECK_INT(s->ops->handle(s, NULL, &b), SRC_ERR_RATE);
		source_batch_clear(&b);
		s->now = NOW; /* as if the same answer came again */
		cJSON *st = s->ops->save_state(s);
		srctest_source_free(s);
		cJSON_DeleteItemFromObject(st, "blocked_until");
		s = source_new(spec_new("gem"), TOKEN, st);
		cJSON_Delete(st);
	}
	/* 403 client-not-enrolled without a reset header: a day */
	s->ops->begin(s);
	net_request_free(s->ops->next_request(s));
	CHECK_INT(srctest_answer(s, resp(403, "{\"reason\":\"client-not-enrolled\",\"title\":\"Client Forbidden\","
	                              "\"detail\":\"This request must be made using an approved developer account\"}"), &b),
	          SRC_ERR_RATE);
	CHECK_INT(b.retry_at, NOW + 86400);
	source_batch_clear(&b);
	srctest_source_free(s);
	log_set_fd(-1);
	size_t len;
	char *logged = fsio_read_file(path, 1 << 16, &len);
	close(fd);
	unlink(path);
	CHECK(logged);
	size_t lines = 0;
	for (const char *p = logged; (p = strstr(p, "usage cap is reached")) != NULL; p++)
		lines++;
	CHECK_INT(lines, 2); /* the 429 twice: one line; then the 403: a new line */
	CHECK(!strstr(logged, TOKEN));
	free(logged);
	log_event_reset();
}

TEST(errors_map_to_statuses_with_messages)
{
	static const struct {
		int status;
		const char *fixture, *body;
		source_status_t want;
		const char *msg;
	} cases[] = {
		{ 401, "x-error-401.json", NULL, SRC_ERR_AUTH,
		  "X refused the bearer token (HTTP 401: Unauthorized: Unauthorized); check the x_token file" },
		{ 503, NULL, "<html>Service Unavailable</html>", SRC_ERR_NETWORK, "X API: HTTP 503 (an HTML page)" },
		{ 200, NULL, "<html>login</html>", SRC_ERR_DATA, "X account @gem: expected JSON, got an HTML page" },
		{ 400, NULL, "{\"title\":\"Invalid Request\",\"detail\":\"One or more parameters are invalid.\"}",
		  SRC_ERR_DATA, "X API: HTTP 400 (Invalid Request: One or more parameters are invalid.)" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		cJSON *state = cJSON_Parse("{\"user\":\"gem\",\"user_id\":\"1111111111\"}");
		source_t *s = source_new(spec_new("gem"), TOKEN, state);
		cJSON_Delete(state);
		source_batch_t b;
		source_batch_init(&b);
		s->ops->begin(s);
		net_request_free(s->ops->next_request(s));
		net_response_t *r = cases[i].fixture ? resp_fixture(cases[i].status, cases[i].fixture)
		                                     : resp(cases[i].status, cases[i].body);
		source_status_t st = srctest_answer(s, r, &b);
		if (st != cases[i].want || !b.message || strcmp(b.message, cases[i].msg) != 0)
			TEST_FAIL_("case %zu: %s \"%s\"", i, source_status_name(st), b.message ? b.message : "(null)");
		source_batch_clear(&b);
		srctest_source_free(s);
	}
}

TEST(deleted_user_is_not_found_and_looked_up_again)
{
	cJSON *state = cJSON_Parse("{\"user\":\"gem\",\"user_id\":\"9999999999\"}");
	source_t *s = source_new(spec_new("gem"), TOKEN, state);
	cJSON_Delete(state);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	net_request_free(s->ops->next_request(s));
	CHECK_INT(srctest_answer(s, resp_fixture(200, "x-partial-error-200.json"), &b), SRC_ERR_NOT_FOUND);
	CHECK_STR(b.message, "X account @gem: Not Found Error: Could not find user with id: [9999999999].");
	source_batch_clear(&b);
	s->ops->begin(s);
	net_request_t *req = s->ops->next_request(s);
	CHECK(req && strstr(req->url, "/2/users/by/username/gem"));
	net_request_free(req);
	/* the user name itself is gone */
	CHECK_INT(srctest_answer(s, resp_fixture(200, "x-partial-error-200.json"), &b), SRC_ERR_NOT_FOUND);
	CHECK(b.message && strstr(b.message, "X account @gem: not found"));
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(partial_errors_next_to_data_keep_the_data)
{
	cJSON *state = cJSON_Parse("{\"user\":\"gem\",\"user_id\":\"1111111111\"}");
	source_t *s = source_new(spec_new("gem"), TOKEN, state);
	cJSON_Delete(state);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	net_request_free(s->ops->next_request(s));
	const char *body =
		"{\"data\":[{\"id\":\"20\",\"author_id\":\"1111111111\",\"created_at\":\"2025-03-03T08:00:00Z\","
		"\"text\":\"hallo\",\"referenced_tweets\":[{\"type\":\"quoted\",\"id\":\"21\"}]}],"
		"\"errors\":[{\"value\":\"21\",\"detail\":\"Could not find tweet with referenced_tweets.id: [21].\","
		"\"title\":\"Not Found Error\",\"resource_type\":\"tweet\",\"parameter\":\"referenced_tweets.id\","
		"\"resource_id\":\"21\",\"type\":\"https://api.twitter.com/2/problems/resource-not-found\"}]}";
	CHECK_INT(srctest_answer(s, resp(200, body), &b), SRC_DONE);
	CHECK_INT(b.posts.len, 1);
	CHECK_STR(b.message, "1 new posts; X reported 1 problem (first: Not Found Error: Could not find tweet "
	                     "with referenced_tweets.id: [21].)");
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(missing_token_is_a_configuration_error)
{
	source_t *s = source_new(spec_new("gem"), NULL, NULL);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	CHECK(!s->ops->next_request(s));
	CHECK_INT(s->ops->handle(s, NULL, &b), SRC_ERR_CONFIG);
	CHECK_STR(b.message, "X account @gem needs a bearer token: set x_token = FILE (mode 600) with the token "
	                     "of your X developer app");
	source_batch_clear(&b);
	srctest_source_free(s);
}

/* ---- deleted posts -------------------------------------------------------- */

#define ID_A "1896459812345678901"
#define ID_B "1896100000000000002"
#define ID_C "1895000000000000003"

TEST(lookup_answer_names_the_posts_that_are_gone)
{
	char *body = srctest_fixture("x-tweets-lookup.json", NULL);
	const char *asked[] = { ID_A, ID_B, ID_C, "1894000000000000004" };
	char *err = NULL;
	bool *gone = x_parse_lookup(body, strlen(body), asked, 4, &err);
	free(body);
	CHECK(gone != NULL);
	CHECK(!gone[0]); /* in data */
	CHECK(gone[1]);  /* not found */
	CHECK(gone[2]);  /* not authorized: no longer public */
	CHECK(!gone[3]); /* not mentioned at all: nothing is known, so it stays */
	free(gone);

	/* other errors, other resources, an id also in data: not gone */
	const char *odd = "{\"data\":[{\"id\":\"1\"}],\"errors\":["
	                  "{\"resource_id\":\"1\",\"resource_type\":\"tweet\",\"type\":\"https://api.x.com/2/problems/resource-not-found\"},"
	                  "{\"resource_id\":\"2\",\"resource_type\":\"user\",\"type\":\"https://api.x.com/2/problems/resource-not-found\"},"
	                  "{\"resource_id\":\"3\",\"resource_type\":\"tweet\",\"type\":\"https://api.x.com/2/problems/resource-unavailable\"},"
	                  "{\"value\":\"4\",\"type\":\"https://api.x.com/2/problems/resource-not-found\"},"
	                  "{\"resource_id\":\"5 OR 1=1\",\"type\":\"https://api.x.com/2/problems/resource-not-found\"}]}";
	const char *ids[] = { "1", "2", "3", "4", "5" };
	gone = x_parse_lookup(odd, strlen(odd), ids, 5, &err);
	CHECK(gone != NULL);
	CHECK(!gone[0] && !gone[1] && !gone[2] && gone[3] && !gone[4]);
	free(gone);

	/* not an answer at all */
	CHECK(x_parse_lookup("<html>oops</html>", 17, ids, 5, &err) == NULL);
	CHECK(err != NULL);
	free(err);
	err = NULL;
	CHECK(x_parse_lookup("{\"meta\":{}}", 11, ids, 5, &err) == NULL);
	CHECK_STR(err, "the answer has neither a \"data\" nor an \"errors\" list");
	free(err);
}

/* One timeline cycle at time now answered with body (or the fixture when
 * body is NULL); the status. */
static source_status_t timeline_cycle(source_t *s, int64_t now, const char *body, source_batch_t *b)
{
	s->now = now;
	s->ops->begin(s);
	net_request_t *req = s->ops->next_request(s);
	bool timeline = req && strstr(req->url, "/2/users/1111111111/tweets?");
	net_request_free(req);
	if (!timeline)
		return (source_status_t)-1;
	return srctest_answer(s, body ? resp(200, body) : resp_fixture(200, "x-users-tweets.json"), b);
}

static source_t *known_user_source(void)
{
	cJSON *state = cJSON_Parse("{\"user\":\"gem\",\"user_id\":\"1111111111\"}");
	source_t *s = source_new(spec_new("gem"), TOKEN, state);
	cJSON_Delete(state);
	return s;
}

#define NOTHING_NEW "{\"meta\":{\"result_count\":0}}"

TEST(posts_deleted_on_x_are_found_once_a_day)
{
	source_t *s = known_user_source();
	source_batch_t b;
	source_batch_init(&b);
	CHECK_INT(timeline_cycle(s, NOW, NULL, &b), SRC_DONE);
	CHECK(!s->ops->next_request(s)); /* just read: nothing to check */
	source_batch_clear(&b);
	/* an hour later: no lookup (each post it returns is billed) */
	CHECK_INT(timeline_cycle(s, NOW + 3600, NOTHING_NEW, &b), SRC_NOT_MODIFIED);
	CHECK(!s->ops->next_request(s));
	source_batch_clear(&b);

	/* a day later, after a restart: the two posts are looked up */
	cJSON *state = s->ops->save_state(s);
	srctest_source_free(s);
	s = source_new(spec_new("gem"), TOKEN, state);
	cJSON_Delete(state);
	CHECK_INT(timeline_cycle(s, NOW + 86400, NOTHING_NEW, &b), SRC_CONTINUE);
	net_request_t *req = s->ops->next_request(s);
	CHECK(req);
	CHECK_STR(req->url, API "/2/tweets?ids=" ID_A "," ID_B);
	CHECK_STR(srctest_req_header(req, "Authorization"), "Bearer " TOKEN);
	net_request_free(req);
	CHECK_INT(srctest_answer(s, resp_fixture(200, "x-tweets-lookup.json"), &b), SRC_DONE);
	CHECK_INT(b.n_deleted, 1);
	CHECK_STR(b.deleted[0], "x:" ID_B);
	CHECK_STR(b.message, "0 new posts; 1 deleted on X since");
	CHECK(!s->ops->next_request(s));
	source_batch_clear(&b);

	/* the deleted one is forgotten; the next lookup is a day later */
	CHECK_INT(timeline_cycle(s, NOW + 86400 + 3600, NOTHING_NEW, &b), SRC_NOT_MODIFIED);
	source_batch_clear(&b);
	CHECK_INT(timeline_cycle(s, NOW + 2 * 86400 + 1, NOTHING_NEW, &b), SRC_CONTINUE);
	req = s->ops->next_request(s);
	CHECK(req);
	CHECK_STR(req->url, API "/2/tweets?ids=" ID_A);
	net_request_free(req);
	CHECK_INT(srctest_answer(s, resp(200, "{\"data\":[{\"id\":\"" ID_A "\",\"text\":\"x\"}]}"), &b),
	          SRC_NOT_MODIFIED);
	CHECK_INT(b.n_deleted, 0);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(recheck_skips_new_old_and_switched_off_posts)
{
	source_t *s = known_user_source();
	source_batch_t b;
	source_batch_init(&b);
	CHECK_INT(timeline_cycle(s, NOW, NULL, &b), SRC_DONE);
	source_batch_clear(&b);
	/* a day later the timeline brings a new post: only the others are asked */
	const char *one_new = "{\"data\":[{\"id\":\"1897000000000000001\",\"text\":\"Nieuw\","
	                      "\"created_at\":\"2025-03-04T09:00:00.000Z\",\"author_id\":\"1111111111\"}],"
	                      "\"meta\":{\"result_count\":1}}";
	CHECK_INT(timeline_cycle(s, NOW + 86400, one_new, &b), SRC_CONTINUE);
	net_request_t *req = s->ops->next_request(s);
	CHECK(req);
	CHECK_STR(req->url, API "/2/tweets?ids=" ID_A "," ID_B);
	net_request_free(req);
	/* X fails: the new post still comes through; no deletions */
	CHECK_INT(srctest_answer(s, resp(503, "{\"title\":\"Service Unavailable\"}"), &b), SRC_DONE);
	CHECK_INT(b.posts.len, 1);
	CHECK_INT(b.n_deleted, 0);
	source_batch_clear(&b);
	/* a server error is tried again at the next refresh */
	CHECK_INT(timeline_cycle(s, NOW + 86400 + 300, NOTHING_NEW, &b), SRC_CONTINUE);
	req = s->ops->next_request(s);
	CHECK(req && strstr(req->url, "/2/tweets?ids=" ID_A "," ID_B ",1897000000000000001"));
	net_request_free(req);
	/* the usage cap: the source pauses as always, the cycle keeps its result */
	net_response_t *r = resp(429, "{\"title\":\"UsageCapExceeded\",\"detail\":\"Usage cap exceeded: Monthly product cap\"}");
	srctest_resp_header(r, "x-rate-limit-reset", "1741186400");
	CHECK_INT(srctest_answer(s, r, &b), SRC_NOT_MODIFIED);
	CHECK_INT(b.retry_at, 1741186400);
	source_batch_clear(&b);
	s->now = NOW + 86400 + 600;
	s->ops->begin(s);
	CHECK(!s->ops->next_request(s));
	CHECK_INT(s->ops->handle(s, NULL, &b), SRC_ERR_RATE);
	source_batch_clear(&b);
	srctest_source_free(s);

	/* posts older than X_RECHECK_MAX_AGE_DAYS are not looked up any more */
	s = known_user_source();
	CHECK_INT(timeline_cycle(s, NOW, NULL, &b), SRC_DONE);
	source_batch_clear(&b);
	CHECK_INT(timeline_cycle(s, NOW + (X_RECHECK_MAX_AGE_DAYS + 1) * 86400LL, NOTHING_NEW, &b), SRC_NOT_MODIFIED);
	CHECK(!s->ops->next_request(s));
	source_batch_clear(&b);
	srctest_source_free(s);

	/* switched off: never */
	x_set_recheck_hours(0);
	s = known_user_source();
	CHECK_INT(timeline_cycle(s, NOW, NULL, &b), SRC_DONE);
	source_batch_clear(&b);
	CHECK_INT(timeline_cycle(s, NOW + 5 * 86400, NOTHING_NEW, &b), SRC_NOT_MODIFIED);
	CHECK(!s->ops->next_request(s));
	source_batch_clear(&b);
	/* every 6 hours */
	x_set_recheck_hours(6);
	CHECK_INT(timeline_cycle(s, NOW + 5 * 86400 + 6 * 3600, NOTHING_NEW, &b), SRC_CONTINUE);
	source_batch_clear(&b);
	srctest_source_free(s);
	x_set_recheck_hours(-1); /* back to the default */
	s = known_user_source();
	CHECK_INT(timeline_cycle(s, NOW, NULL, &b), SRC_DONE);
	source_batch_clear(&b);
	CHECK_INT(timeline_cycle(s, NOW + 23 * 3600, NOTHING_NEW, &b), SRC_NOT_MODIFIED);
	source_batch_clear(&b);
	CHECK_INT(timeline_cycle(s, NOW + 24 * 3600, NOTHING_NEW, &b), SRC_CONTINUE);
	source_batch_clear(&b);
	srctest_source_free(s);
}

int main(void)
{
	RUN(timeline_fixture_expands_links_and_drops_media_link);
	RUN(retweet_shows_the_original_with_booster);
	RUN(entity_offsets_count_code_points_not_bytes);
	RUN(bad_entities_are_dropped_and_the_text_kept);
	RUN(long_posts_quotes_video_and_replies);
	RUN(partial_error_and_user_lookup_shapes);
	RUN(usage_cap_is_recognised_in_both_forms);
	RUN(cycle_resolves_user_once_then_polls_with_since_id);
	RUN(exclusions_follow_the_spec);
	RUN(rate_limit_waits_for_reset_and_sends_nothing_before);
	RUN(usage_cap_stops_polling_until_reset_and_logs_once);
	RUN(errors_map_to_statuses_with_messages);
	RUN(deleted_user_is_not_found_and_looked_up_again);
	RUN(partial_errors_next_to_data_keep_the_data);
	RUN(missing_token_is_a_configuration_error);
	RUN(lookup_answer_names_the_posts_that_are_gone);
	RUN(posts_deleted_on_x_are_found_once_a_day);
	RUN(recheck_skips_new_old_and_switched_off_posts);
	return test_summary();
}
