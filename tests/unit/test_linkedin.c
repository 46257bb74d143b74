/*
 * test_linkedin: the LinkedIn organisation adapter driven by hand-built
 * responses, the little-text parser, and the token expiry helpers.
 *
 * The cycle (organisation, posts, one Images batch) is answered with the
 * recorded bodies in tests/fixtures/linkedin-* or small inline documents, the
 * way the poller would, so requests, headers, parsing and every error path
 * are checked without a server.
 */
#include <stdint.h>

#include <cjson/cJSON.h>

#include "test.h"
#include "../support/srctest.h"

#include "../../src/base/xmalloc.h"
#include "../../src/net/net.h"
#include "../../src/sources/linkedin.h"
#include "../../src/sources/source.h"
#include "../../src/sources/timeparse.h"

#define NOW 1792000000 /* 2026-10-14 17:46:40 UTC; the fixture's URLs expire 2026-10-21 08:30 */
#define TOKEN "AQXsecretMemberToken456"
#define TOKEN_FILE "/etc/balie/linkedin.token"
#define BASE "http://127.0.0.1:9"
#define ORG "90000001"

#define IMG_LOGO "urn:li:image:C4D0BAQFaKeLoGo01"
#define IMG_1 "urn:li:image:D4E10AQFaKeImG0001"
#define IMG_THUMB "urn:li:image:D4E10AQFaKeThUmB02"
#define IMG_M1 "urn:li:image:D4E10AQFaKeMuLt01"
#define IMG_M2 "urn:li:image:D4E10AQFaKeMuLt02"
#define URL_1 "https://media.licdn.example.invalid/dms/image/v2/D4E10AQFaKeImG0001/feedshare-shrink_2048_1536/0/1791903900000?e=1792571400&v=beta&t=FaKeSiGnAtUrE"
#define URL_THUMB "https://media.licdn.example.invalid/dms/image/v2/D4E10AQFaKeThUmB02/article-cover_image-shrink_720_1280/0/1791799200000?e=1792571400&v=beta&t=FaKeSiGnAtUrE2"
#define EXPIRES 1792571400

static net_response_t *resp(int status, const char *body)
{
	return srctest_resp(BASE "/rest/posts", status, body);
}

static net_response_t *resp_fixture(int status, const char *name)
{
	return srctest_resp_fixture(BASE "/rest/posts", status, name);
}

static source_t *li_new(const char *token, const cJSON *state)
{
	source_spec_t *spec = xcalloc(1, sizeof *spec);
	spec->key = xstrdup("linkedin:" ORG);
	spec->network = NET_LINKEDIN;
	spec->kind = SRC_ACCOUNT;
	spec->person = xstrdup("gemeente");
	spec->handle = xstrdup(ORG);
	spec->server = xstrdup(BASE);
	spec->token_file = xstrdup(TOKEN_FILE);
	spec->interval_s = 900;
	return srctest_source_new(&linkedin_source_ops, spec, token, state, NOW);
}

static cJSON *known_org_state(void)
{
	cJSON *st = cJSON_CreateObject();
	cJSON *org = cJSON_AddObjectToObject(st, "org");
	cJSON_AddStringToObject(org, "name", "Gemeente Voorbeeldstad");
	cJSON_AddStringToObject(org, "vanity", "gemeente-voorbeeldstad");
	cJSON_AddNumberToObject(org, "fetched", NOW - 60);
	return st;
}

/* A batch answer that resolves every image of the posts fixture (and the logo). */
static char *full_batch(void)
{
	return xasprintf(
		"{\"results\":{"
		"\"" IMG_LOGO "\":{\"id\":\"" IMG_LOGO "\",\"downloadUrl\":\"https://media.licdn.example.invalid/logo.png\","
		"\"downloadUrlExpiresAt\":%lld000},"
		"\"" IMG_1 "\":{\"id\":\"" IMG_1 "\",\"downloadUrl\":\"" URL_1 "\",\"downloadUrlExpiresAt\":%lld000},"
		"\"" IMG_THUMB "\":{\"id\":\"" IMG_THUMB "\",\"downloadUrl\":\"" URL_THUMB "\",\"downloadUrlExpiresAt\":%lld000},"
		"\"" IMG_M1 "\":{\"downloadUrl\":\"https://media.licdn.example.invalid/m1.jpg\",\"downloadUrlExpiresAt\":%lld000},"
		"\"" IMG_M2 "\":{\"downloadUrl\":\"https://media.licdn.example.invalid/m2.jpg\"}"
		"},\"statuses\":{},\"errors\":{}}",
		(long long)EXPIRES, (long long)EXPIRES, (long long)EXPIRES, (long long)EXPIRES);
}

/* ---- little text ---------------------------------------------------------- */

TEST(little_text_of_the_fixture_becomes_text_and_spans)
{
	char *body = srctest_fixture("linkedin-posts-by-author.json", NULL);
	cJSON *doc = cJSON_Parse(body);
	free(body);
	const cJSON *el = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "elements"), 0);
	const char *little = cJSON_GetObjectItem(el, "commentary")->valuestring;
	post_t *p = post_new();
	linkedin_little_to_post(little, p);
	cJSON_Delete(doc);
	const char *want =
		"Vanavond om 19.30 uur is de raadsvergadering live te volgen. Met dank aan Bibliotheek Voorbeeldstad "
		"voor de locatie (zaal 2). #Gemeenteraad #Voorbeeldstad\n\nVragen? Mail naar raad@voorbeeldstad.example.invalid";
	CHECK_STR(p->text, want);
	CHECK_INT(p->n_spans, 3);
	const char *m = strstr(want, "Bibliotheek");
	CHECK_INT(p->spans[0].kind, SPAN_MENTION);
	CHECK_INT(p->spans[0].start, m - want);
	CHECK_INT(p->spans[0].end, m - want + strlen("Bibliotheek Voorbeeldstad"));
	CHECK_STR(p->spans[0].target, "https://www.linkedin.com/company/90000002/");
	const char *h = strstr(want, "#Gemeenteraad");
	CHECK_INT(p->spans[1].kind, SPAN_HASHTAG);
	CHECK_INT(p->spans[1].start, h - want);
	CHECK_INT(p->spans[1].end, h - want + strlen("#Gemeenteraad"));
	CHECK_STR(p->spans[1].target, "https://www.linkedin.com/feed/hashtag/Gemeenteraad/");
	CHECK_INT(p->spans[2].kind, SPAN_HASHTAG);
	CHECK_INT(p->spans[2].start, strstr(want, "#Voorbeeldstad") - want);
	post_free(p);
}

TEST(little_text_edge_cases)
{
	static const struct {
		const char *in, *out;
		size_t spans;
	} cases[] = {
		{ "", "", 0 },
		{ "plain text", "plain text", 0 },
		{ "a \\(b\\) \\[c\\] \\{d\\} \\<e\\> \\*f\\* \\_g\\_ \\~h\\~ \\| \\@ \\# \\\\", "a (b) [c] {d} <e> *f* _g_ ~h~ | @ # \\", 0 },
		{ "keep \\q and a trailing \\", "keep \\q and a trailing \\", 0 },
		{ "@[A\\]B \\(C\\)](urn:li:person:x1) zegt", "A]B (C) zegt", 1 },
		{ "{hashtag|#|unescaped}", "#unescaped", 1 },
		{ "{hashtag|\xef\xbc\x83|breed}", "#breed", 1 },
		{ "{hashtag|\\\xef\xbc\x83|breed}", "#breed", 1 },
		{ "{hashtag|\\#|with\\_escape}", "#with_escape", 1 },
		{ "{hashtag|#|unterminated", "{hashtag|#|unterminated", 0 },
		{ "{hashtag|x|wrongsign}", "{hashtag|x|wrongsign}", 0 },
		{ "{hashtag|#|}", "{hashtag|#|}", 0 },
		{ "{other|#|x}", "{other|#|x}", 0 },
		{ "@[no close", "@[no close", 0 },
		{ "@[Name](not-an-urn)", "@[Name](not-an-urn)", 0 },
		{ "@[Name](urn:li:organization:1", "@[Name](urn:li:organization:1", 0 },
		{ "@[](urn:li:person:1)", "@[](urn:li:person:1)", 0 },
		{ "@[Caf\xc3\xa9](urn:li:organization:7) \xf0\x9f\x98\x80", "Caf\xc3\xa9 \xf0\x9f\x98\x80", 1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		post_t *p = post_new();
		linkedin_little_to_post(cases[i].in, p);
		if (strcmp(p->text, cases[i].out) != 0 || p->n_spans != cases[i].spans) {
			printf("  case %zu: \"%s\" -> \"%s\" (%zu spans)\n", i, cases[i].in, p->text, p->n_spans);
			post_free(p);
			CHECK(0);
		}
		for (size_t k = 0; k < p->n_spans; k++)
			CHECK(p->spans[k].start < p->spans[k].end && p->spans[k].end <= strlen(p->text));
		post_free(p);
	}
	post_t *p = post_new();
	linkedin_little_to_post("@[A\\]B](urn:li:person:x1)", p);
	CHECK_STR(p->spans[0].target, "urn:li:person:x1");
	CHECK_INT(p->spans[0].end, 3);
	post_free(p);
	p = post_new();
	linkedin_little_to_post(NULL, p);
	CHECK_STR(p->text, "");
	post_free(p);
}

/* ---- cycle ------------------------------------------------------------------ */

TEST(fixture_cycle_org_posts_images)
{
	source_t *s = li_new(TOKEN "\nexpires=2026-12-01", NULL);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	net_request_t *req = NULL;
	CHECK_INT(srctest_step(s, resp_fixture(200, "linkedin-organization.json"), &b, &req), SRC_CONTINUE);
	CHECK_STR(req->url, BASE "/rest/organizations/" ORG);
	CHECK_STR(srctest_req_header(req, "Authorization"), "Bearer " TOKEN);
	CHECK_STR(srctest_req_header(req, "LinkedIn-Version"), LINKEDIN_VERSION_DEFAULT);
	CHECK_STR(srctest_req_header(req, "X-Restli-Protocol-Version"), "2.0.0");
	net_request_free(req);

	CHECK_INT(srctest_step(s, resp_fixture(200, "linkedin-posts-by-author.json"), &b, &req), SRC_CONTINUE);
	CHECK_STR(req->url, BASE "/rest/posts?author=urn%3Ali%3Aorganization%3A" ORG "&q=author&count=20&sortBy=LAST_MODIFIED");
	CHECK_STR(srctest_req_header(req, "Authorization"), "Bearer " TOKEN);
	net_request_free(req);
	CHECK_INT(b.posts.len, 0); /* posts wait for their images */

	CHECK_INT(srctest_step(s, resp_fixture(200, "linkedin-images-batch.json"), &b, &req), SRC_DONE);
	CHECK_STR(req->url, BASE "/rest/images?ids=List(urn%3Ali%3Aimage%3AC4D0BAQFaKeLoGo01,"
	                    "urn%3Ali%3Aimage%3AD4E10AQFaKeImG0001,urn%3Ali%3Aimage%3AD4E10AQFaKeThUmB02,"
	                    "urn%3Ali%3Aimage%3AD4E10AQFaKeMuLt01,urn%3Ali%3Aimage%3AD4E10AQFaKeMuLt02)");
	CHECK_STR(srctest_req_header(req, "LinkedIn-Version"), LINKEDIN_VERSION_DEFAULT);
	net_request_free(req);
	CHECK(s->ops->next_request(s) == NULL);

	CHECK_INT(b.posts.len, 4);
	const post_t *p = srctest_find(&b.posts, "linkedin:urn:li:share:7300000000000000001");
	CHECK(p != NULL);
	CHECK_STR(p->id, "urn:li:share:7300000000000000001");
	CHECK_STR(p->url, "https://www.linkedin.com/feed/update/urn:li:share:7300000000000000001/");
	CHECK_INT(p->network, NET_LINKEDIN);
	CHECK_STR(p->source, "linkedin:" ORG);
	CHECK_STR(p->person, "gemeente");
	CHECK_INT(p->created, 1791966601);
	CHECK_INT(p->edited, 0);
	CHECK(srctest_starts_with(p->text, "Vanavond om 19.30 uur"));
	CHECK_INT(p->n_spans, 3);
	CHECK_INT(p->n_media, 0);
	CHECK_STR(p->author.name, "Gemeente Voorbeeldstad");
	CHECK_STR(p->author.handle, "gemeente-voorbeeldstad");
	CHECK_STR(p->author.url, "https://www.linkedin.com/company/gemeente-voorbeeldstad/");
	CHECK_STR(p->author.id, "urn:li:organization:" ORG);
	CHECK(p->author.avatar_url == NULL); /* the logo guess was not in the batch answer */

	p = srctest_find(&b.posts, "linkedin:urn:li:share:7300000000000000002");
	CHECK(p != NULL);
	CHECK_INT(p->n_media, 1);
	CHECK_INT(p->media[0].kind, MEDIA_IMAGE);
	CHECK_STR(p->media[0].url, URL_1);
	CHECK_STR(p->media[0].alt, "Kinderen op de nieuwe klimtoren in de Parkwijk");

	p = srctest_find(&b.posts, "linkedin:urn:li:share:7300000000000000003");
	CHECK(p != NULL);
	CHECK_INT(p->edited, 1791804000); /* isEditedByAuthor */
	CHECK(p->card != NULL);
	CHECK_STR(p->card->url, "https://www.voorbeeldstad.example.invalid/afvalkalender-2027");
	CHECK_STR(p->card->title, "Afvalkalender 2027");
	CHECK(srctest_starts_with(p->card->description, "Zoek op postcode"));
	CHECK_STR(p->card->image_url, URL_THUMB);

	/* the recorded batch has no URLs for the multi-image post: it shows its text */
	p = srctest_find(&b.posts, "linkedin:urn:li:ugcPost:7300000000000000004");
	CHECK(p != NULL);
	CHECK_STR(p->text, "Open dag brandweerkazerne: een impressie.");
	CHECK_INT(p->n_media, 0);

	CHECK(!b.authoritative); /* paging has a next link */
	CHECK(b.message == NULL);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(image_urls_are_reused_until_they_expire)
{
	cJSON *st = known_org_state();
	source_t *s = li_new(TOKEN, st);
	cJSON_Delete(st);
	source_batch_t b;
	source_batch_init(&b);
	char *batch = full_batch();
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp_fixture(200, "linkedin-posts-by-author.json"), &b, NULL), SRC_CONTINUE);
	net_request_t *req = NULL;
	CHECK_INT(srctest_step(s, resp(200, batch), &b, &req), SRC_DONE);
	CHECK(strstr(req->url, "C4D0BAQFaKeLoGo01") == NULL); /* no logo known for this org */
	net_request_free(req);
	const post_t *p = srctest_find(&b.posts, "linkedin:urn:li:ugcPost:7300000000000000004");
	CHECK_INT(p->n_media, 2);
	CHECK_STR(p->media[0].url, "https://media.licdn.example.invalid/m1.jpg");
	CHECK_STR(p->media[0].alt, "Brandweerwagen met open deuren");
	CHECK_STR(p->media[1].url, "https://media.licdn.example.invalid/m2.jpg");
	source_batch_clear(&b);

	/* 5 minutes later: no Images request, the same URLs */
	s->now = NOW + 300;
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp_fixture(200, "linkedin-posts-by-author.json"), &b, NULL), SRC_DONE);
	CHECK_INT(b.posts.len, 4);
	CHECK_STR(srctest_find(&b.posts, "linkedin:urn:li:share:7300000000000000002")->media[0].url, URL_1);
	CHECK_STR(srctest_find(&b.posts, "linkedin:urn:li:share:7300000000000000003")->card->image_url, URL_THUMB);
	source_batch_clear(&b);

	/* the state carries them across a restart */
	cJSON *saved = s->ops->save_state(s);
	srctest_source_free(s);
	s = li_new(TOKEN, saved);
	cJSON_Delete(saved);
	s->now = NOW + 600;
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp_fixture(200, "linkedin-posts-by-author.json"), &b, NULL), SRC_DONE);
	CHECK_STR(srctest_find(&b.posts, "linkedin:urn:li:share:7300000000000000002")->media[0].url, URL_1);
	source_batch_clear(&b);

	/* an URL without downloadUrlExpiresAt is kept a day, then asked again alone */
	s->now = NOW + 86000;
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp_fixture(200, "linkedin-posts-by-author.json"), &b, NULL), SRC_CONTINUE);
	req = s->ops->next_request(s);
	CHECK_STR(req->url, BASE "/rest/images?ids=List(urn%3Ali%3Aimage%3AD4E10AQFaKeMuLt02)");
	net_request_free(req);

	/* shortly before downloadUrlExpiresAt the others are asked again */
	s->now = EXPIRES - 300;
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp_fixture(200, "linkedin-organization.json"), &b, NULL), SRC_CONTINUE);
	CHECK_INT(srctest_step(s, resp_fixture(200, "linkedin-posts-by-author.json"), &b, NULL), SRC_CONTINUE);
	req = s->ops->next_request(s);
	CHECK(req != NULL);
	CHECK(strstr(req->url, "C4D0BAQFaKeLoGo01") != NULL); /* the logo guess, now that the org is known */
	CHECK(strstr(req->url, "D4E10AQFaKeImG0001") != NULL);
	CHECK(strstr(req->url, "D4E10AQFaKeThUmB02") != NULL);
	net_request_free(req);
	free(batch);
	srctest_source_free(s);
}

TEST(failed_image_batch_holds_posts_back)
{
	cJSON *st = known_org_state();
	source_t *s = li_new(TOKEN, st);
	cJSON_Delete(st);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp_fixture(200, "linkedin-posts-by-author.json"), &b, NULL), SRC_CONTINUE);
	CHECK_INT(srctest_step(s, resp(503, "<html>Service Unavailable</html>"), &b, NULL), SRC_DONE);
	CHECK_INT(b.posts.len, 1);
	CHECK(srctest_find(&b.posts, "linkedin:urn:li:share:7300000000000000001") != NULL);
	CHECK(!b.authoritative);
	CHECK(strstr(b.message, "3 post(s) wait for their images") != NULL);
	source_batch_clear(&b);

	/* a transport failure of the batch is the same */
	s->now += 900;
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp_fixture(200, "linkedin-posts-by-author.json"), &b, NULL), SRC_CONTINUE);
	net_response_t *r = resp(0, "");
	r->error = NET_ERR_RESOLVE;
	CHECK_INT(srctest_step(s, r, &b, NULL), SRC_DONE);
	CHECK_INT(b.posts.len, 1);
	source_batch_clear(&b);

	/* an image LinkedIn refuses (404) is left out, the post is shown */
	s->now += 900;
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp_fixture(200, "linkedin-posts-by-author.json"), &b, NULL), SRC_CONTINUE);
	CHECK_INT(srctest_step(s, resp(404, "{\"status\":404,\"message\":\"Not found\"}"), &b, NULL), SRC_DONE);
	CHECK_INT(b.posts.len, 4);
	CHECK_INT(srctest_find(&b.posts, "linkedin:urn:li:share:7300000000000000002")->n_media, 0);
	CHECK(srctest_find(&b.posts, "linkedin:urn:li:share:7300000000000000003")->card->image_url == NULL);
	source_batch_clear(&b);
	/* and is not asked again within the hour */
	s->now += 900;
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp_fixture(200, "linkedin-posts-by-author.json"), &b, NULL), SRC_DONE);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(only_published_public_posts_of_the_organisation)
{
	cJSON *st = known_org_state();
	source_t *s = li_new(TOKEN, st);
	cJSON_Delete(st);
	source_batch_t b;
	source_batch_init(&b);
	const char *body =
		"{\"paging\":{\"start\":0,\"count\":20,\"links\":[]},\"elements\":["
		"{\"id\":\"urn:li:share:1\",\"author\":\"urn:li:organization:" ORG "\",\"commentary\":\"Concept\","
		"\"visibility\":\"PUBLIC\",\"lifecycleState\":\"DRAFT\",\"createdAt\":1791966600000},"
		"{\"id\":\"urn:li:share:2\",\"author\":\"urn:li:organization:" ORG "\",\"commentary\":\"Alleen volgers\","
		"\"visibility\":\"CONNECTIONS\",\"lifecycleState\":\"PUBLISHED\",\"createdAt\":1791966600000},"
		"{\"id\":\"urn:li:share:3\",\"author\":\"urn:li:organization:123\",\"commentary\":\"Andere organisatie\","
		"\"visibility\":\"PUBLIC\",\"lifecycleState\":\"PUBLISHED\",\"createdAt\":1791966600000},"
		"{\"id\":\"urn:li:share:4\",\"commentary\":\"Wel\",\"visibility\":\"PUBLIC\","
		"\"lifecycleState\":\"PUBLISHED\",\"createdAt\":1791966600000},"
		"{\"id\":\"urn:li:share:5\",\"visibility\":\"PUBLIC\",\"lifecycleState\":\"PUBLISHED\","
		"\"createdAt\":1791966600000,\"content\":{\"media\":{\"id\":\"urn:li:video:C5F1\"}}}"
		"]}";
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp(200, body), &b, NULL), SRC_DONE);
	CHECK_INT(b.posts.len, 1);
	CHECK_STR(b.posts.items[0]->key, "linkedin:urn:li:share:4");
	CHECK_INT(b.posts.items[0]->created, 1791966600);
	CHECK_INT(b.n_deleted, 3);
	CHECK_STR(b.deleted[0], "linkedin:urn:li:share:1");
	CHECK_STR(b.deleted[1], "linkedin:urn:li:share:2");
	CHECK_STR(b.deleted[2], "linkedin:urn:li:share:3");
	/* a short answer without a next link is the organisation's whole list */
	CHECK(b.authoritative);
	CHECK_INT(b.window_start, 0);
	source_batch_clear(&b);

	/* broken elements are skipped, and then the answer proves nothing */
	body = "{\"elements\":[{\"id\":7},\"x\",{\"id\":\"urn:li:share:8\",\"visibility\":\"PUBLIC\","
	       "\"lifecycleState\":\"PUBLISHED\"},{\"id\":\"urn:li:share:9\",\"visibility\":\"PUBLIC\","
	       "\"lifecycleState\":\"PUBLISHED\",\"createdAt\":\"soon\",\"publishedAt\":1791966600000,"
	       "\"commentary\":5,\"content\":{\"article\":{\"source\":\"javascript:alert(1)\",\"title\":\"T\"},"
	       "\"multiImage\":{\"images\":\"none\"}}}]}";
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp(200, body), &b, NULL), SRC_DONE);
	CHECK_INT(b.posts.len, 1);
	CHECK_STR(b.posts.items[0]->text, "");
	CHECK(b.posts.items[0]->card != NULL);
	CHECK(b.posts.items[0]->card->url == NULL);
	CHECK_STR(b.posts.items[0]->card->title, "T");
	CHECK(!b.authoritative);
	source_batch_clear(&b);

	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp(200, "{\"paging\":{}}"), &b, NULL), SRC_ERR_DATA);
	CHECK(strstr(b.message, "no list of posts") != NULL);
	source_batch_clear(&b);
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp(200, "<!DOCTYPE html><title>Sign in</title>"), &b, NULL), SRC_ERR_DATA);
	CHECK(strstr(b.message, "not LinkedIn API JSON") != NULL);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(token_death_mid_run_is_auth_with_sign_in_advice)
{
	cJSON *st = known_org_state();
	source_t *s = li_new(TOKEN "\nexpires=2026-10-14\n", st);
	cJSON_Delete(st);
	source_batch_t b;
	source_batch_init(&b);
	char *batch = full_batch();
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp_fixture(200, "linkedin-posts-by-author.json"), &b, NULL), SRC_CONTINUE);
	CHECK_INT(srctest_step(s, resp(200, batch), &b, NULL), SRC_DONE);
	CHECK_INT(b.posts.len, 4);
	source_batch_clear(&b);

	s->now = NOW + 86400;
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp_fixture(401, "linkedin-error-401.json"), &b, NULL), SRC_ERR_AUTH);
	CHECK(strstr(b.message, "LinkedIn organisation " ORG ": the token was refused (HTTP 401 REVOKED_ACCESS_TOKEN 65601: "
	                        "The token used in the request has been revoked by the user)") != NULL);
	CHECK(strstr(b.message, "the token file says it expired on 2026-10-14") != NULL);
	CHECK(strstr(b.message, "sign in again as a Page administrator") != NULL);
	CHECK(strstr(b.message, TOKEN_FILE) != NULL);
	CHECK(strstr(b.message, TOKEN) == NULL);
	CHECK_INT(b.posts.len, 0);
	CHECK(s->ops->next_request(s) == NULL);
	source_batch_clear(&b);

	free(batch);
	srctest_source_free(s);

	/* the token can also die between the posts and the Images batch */
	st = known_org_state();
	s = li_new(TOKEN, st);
	cJSON_Delete(st);
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp_fixture(200, "linkedin-posts-by-author.json"), &b, NULL), SRC_CONTINUE);
	net_request_t *req = NULL;
	CHECK_INT(srctest_step(s, resp_fixture(401, "linkedin-error-401.json"), &b, &req), SRC_ERR_AUTH);
	CHECK(srctest_starts_with(req->url, BASE "/rest/images?ids=List("));
	net_request_free(req);
	CHECK_INT(b.posts.len, 0);
	CHECK(strstr(b.message, "expired on") == NULL); /* no expiry line in this token */
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(missing_permission_and_missing_token)
{
	cJSON *st = known_org_state();
	source_t *s = li_new(TOKEN, st);
	cJSON_Delete(st);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp_fixture(403, "linkedin-error-403.json"), &b, NULL), SRC_ERR_AUTH);
	CHECK(strstr(b.message, "access denied (HTTP 403 ACCESS_DENIED 100: Not enough permissions") != NULL);
	CHECK(strstr(b.message, "r_organization_social") != NULL);
	CHECK(strstr(b.message, "remove linkedin from the configuration") != NULL);
	source_batch_clear(&b);
	srctest_source_free(s);

	st = known_org_state();
	s = li_new(NULL, st);
	cJSON_Delete(st);
	s->ops->begin(s);
	net_request_t *req = NULL;
	CHECK_INT(srctest_step(s, resp(401, "{\"message\":\"Empty oauth2_access_token\",\"serviceErrorCode\":401,\"status\":401}"),
	               &b, &req), SRC_ERR_AUTH);
	CHECK(srctest_req_header(req, "Authorization") == NULL);
	CHECK_STR(srctest_req_header(req, "LinkedIn-Version"), LINKEDIN_VERSION_DEFAULT);
	net_request_free(req);
	CHECK(strstr(b.message, "no usable token (" TOKEN_FILE ")") != NULL);
	CHECK(strstr(b.message, "set linkedin_token = FILE") != NULL);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(retired_version_426_names_the_version)
{
	cJSON *st = known_org_state();
	source_t *s = li_new(TOKEN, st);
	cJSON_Delete(st);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp_fixture(426, "linkedin-error-426-version.json"), &b, NULL), SRC_ERR_CONFIG);
	CHECK(strstr(b.message, "LinkedIn no longer accepts LinkedIn-Version " LINKEDIN_VERSION_DEFAULT
	                        " (HTTP 426 NONEXISTENT_VERSION: Requested version 202409 is not active)") != NULL);
	CHECK(strstr(b.message, "set linkedin_version in [network]") != NULL);
	source_batch_clear(&b);

	CHECK(!linkedin_set_version("2026-11"));
	CHECK(!linkedin_set_version("202613"));
	CHECK(!linkedin_set_version("20261"));
	CHECK(!linkedin_set_version("202611.1"));
	CHECK(!linkedin_set_version("202611\r\nX-Evil: 1"));
	CHECK(linkedin_set_version("202611.01"));
	CHECK(linkedin_set_version("202611"));
	s->ops->begin(s);
	net_request_t *req = NULL;
	CHECK_INT(srctest_step(s, resp_fixture(426, "linkedin-error-426-version.json"), &b, &req), SRC_ERR_CONFIG);
	CHECK_STR(srctest_req_header(req, "LinkedIn-Version"), "202611");
	net_request_free(req);
	CHECK(strstr(b.message, "LinkedIn-Version 202611 ") != NULL);
	source_batch_clear(&b);
	CHECK(linkedin_set_version(NULL));
	req = s->ops->next_request(s);
	CHECK(req == NULL); /* the cycle ended */
	s->ops->begin(s);
	req = s->ops->next_request(s);
	CHECK_STR(srctest_req_header(req, "LinkedIn-Version"), LINKEDIN_VERSION_DEFAULT);
	net_request_free(req);
	srctest_source_free(s);
}

TEST(rate_limit_429_waits_for_the_daily_reset)
{
	cJSON *st = known_org_state();
	source_t *s = li_new(TOKEN, st);
	cJSON_Delete(st);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp_fixture(429, "linkedin-error-429.json"), &b, NULL), SRC_ERR_RATE);
	CHECK_INT(b.retry_at, NOW + 3600); /* 17:46 UTC: an hour comes before midnight */
	CHECK(strstr(b.message, "TOO_MANY_REQUESTS 101: Resource level throttle") != NULL);
	source_batch_clear(&b);

	s->now = NOW + 600;
	s->ops->begin(s);
	CHECK(s->ops->next_request(s) == NULL);
	CHECK_INT(s->ops->handle(s, NULL, &b), SRC_ERR_RATE);
	CHECK_INT(b.retry_at, NOW + 3600);
	source_batch_clear(&b);

	/* at 23:30 UTC the reset at midnight comes first */
	int64_t late = time_from_utc(2026, 10, 14, 23, 30, 0);
	s->now = late;
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp(429, "{}"), &b, NULL), SRC_ERR_RATE);
	CHECK_INT(b.retry_at, time_from_utc(2026, 10, 15, 0, 0, 0));
	source_batch_clear(&b);

	/* Retry-After wins when LinkedIn sends it */
	s->now = late + 3600;
	s->ops->begin(s);
	net_response_t *r = resp(429, "{}");
	srctest_resp_header(r, "Retry-After", "120");
	CHECK_INT(srctest_step(s, r, &b, NULL), SRC_ERR_RATE);
	CHECK_INT(b.retry_at, late + 3600 + 120);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(server_and_transport_errors)
{
	cJSON *st = known_org_state();
	source_t *s = li_new(TOKEN, st);
	cJSON_Delete(st);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp(502, "<html>Bad gateway</html>"), &b, NULL), SRC_ERR_NETWORK);
	CHECK(strstr(b.message, "server error (HTTP 502)") != NULL);
	source_batch_clear(&b);
	s->ops->begin(s);
	net_response_t *r = resp(0, "");
	r->error = NET_ERR_CONNECT;
	r->error_text = xstrdup("connection refused");
	CHECK_INT(srctest_step(s, r, &b, NULL), SRC_ERR_NETWORK);
	CHECK(strstr(b.message, "connection refused") != NULL);
	source_batch_clear(&b);
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp(404, "{\"status\":404,\"message\":\"Not found\"}"), &b, NULL), SRC_ERR_NOT_FOUND);
	CHECK(strstr(b.message, "check linkedin = ") != NULL);
	source_batch_clear(&b);
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp(400, "{\"status\":400,\"message\":\"Invalid param\"}"), &b, NULL), SRC_ERR_DATA);
	CHECK(strstr(b.message, "unexpected answer (HTTP 400: Invalid param)") != NULL);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(organisation_face_and_its_failures)
{
	/* no name and logo permission: the posts still come, under the id */
	source_t *s = li_new(TOKEN, NULL);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp(403, "{\"status\":403,\"message\":\"Not enough permissions\"}"), &b, NULL), SRC_CONTINUE);
	CHECK(b.message == NULL);
	const char *body = "{\"elements\":[{\"id\":\"urn:li:share:4\",\"commentary\":\"Wel\",\"visibility\":\"PUBLIC\","
	                   "\"lifecycleState\":\"PUBLISHED\",\"createdAt\":1791966600000}]}";
	CHECK_INT(srctest_step(s, resp(200, body), &b, NULL), SRC_DONE);
	CHECK_STR(b.posts.items[0]->author.name, ORG);
	CHECK_STR(b.posts.items[0]->author.url, "https://www.linkedin.com/company/" ORG "/");
	source_batch_clear(&b);
	srctest_source_free(s);

	/* an organisation named only in name.localized, with a logo LinkedIn resolves */
	s = li_new(TOKEN, NULL);
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp(200, "{\"id\":90000001,\"name\":{\"localized\":{\"nl_NL\":\"Gemeente Lokaal\"}},"
	                            "\"logoV2\":{\"original\":\"urn:li:digitalmediaAsset:LOGO9\"}}"), &b, NULL),
	          SRC_CONTINUE);
	CHECK_INT(srctest_step(s, resp(200, body), &b, NULL), SRC_CONTINUE);
	net_request_t *req = NULL;
	CHECK_INT(srctest_step(s, resp(200, "{\"results\":{\"urn:li:image:LOGO9\":{\"downloadUrl\":\"https://media.licdn.example.invalid/l.png\","
	                            "\"downloadUrlExpiresAt\":1792571400000}}}"), &b, &req), SRC_DONE);
	CHECK_STR(req->url, BASE "/rest/images?ids=List(urn%3Ali%3Aimage%3ALOGO9)");
	net_request_free(req);
	CHECK_STR(b.posts.items[0]->author.name, "Gemeente Lokaal");
	CHECK_STR(b.posts.items[0]->author.avatar_url, "https://media.licdn.example.invalid/l.png");
	source_batch_clear(&b);

	/* the face is kept a day, then asked again */
	s->now = NOW + 3600;
	s->ops->begin(s);
	req = s->ops->next_request(s);
	CHECK(strstr(req->url, "/rest/posts?") != NULL);
	net_request_free(req);
	s->now = NOW + 86400;
	s->ops->begin(s);
	req = s->ops->next_request(s);
	CHECK_STR(req->url, BASE "/rest/organizations/" ORG);
	net_request_free(req);
	srctest_source_free(s);

	/* an organisation that does not exist */
	s = li_new(TOKEN, NULL);
	s->ops->begin(s);
	CHECK_INT(srctest_step(s, resp(404, "{\"status\":404,\"message\":\"Not found\"}"), &b, NULL), SRC_ERR_NOT_FOUND);
	source_batch_clear(&b);
	srctest_source_free(s);

	/* a malformed id never reaches the network */
	source_spec_t *spec = xcalloc(1, sizeof *spec);
	spec->key = xstrdup("linkedin:x");
	spec->network = NET_LINKEDIN;
	spec->handle = xstrdup("../../admin");
	s = xcalloc(1, sizeof *s);
	s->spec = spec;
	s->ops = &linkedin_source_ops;
	s->now = NOW;
	s->ops->init(s, NULL);
	s->ops->begin(s);
	CHECK(s->ops->next_request(s) == NULL);
	CHECK_INT(s->ops->handle(s, NULL, &b), SRC_ERR_CONFIG);
	CHECK(strstr(b.message, "is not a LinkedIn organisation id") != NULL);
	source_batch_clear(&b);
	s->ops->destroy(s);
	source_spec_free(spec);
	free(s);
}

/* ---- token expiry ------------------------------------------------------------ */

TEST(token_days_left)
{
	int64_t noon = time_from_utc(2026, 11, 24, 12, 0, 0);
	CHECK_INT(linkedin_token_days_left("tok\nexpires=2026-12-01", noon), 7);
	CHECK_INT(linkedin_token_days_left("tok\r\nexpires=2026-12-01\r\n", noon), 7);
	CHECK_INT(linkedin_token_days_left("tok\n\n  expires = 2026-12-01  \n", noon), 7);
	CHECK_INT(linkedin_token_days_left("tok\nEXPIRES=2026-11-24", noon), 0);
	CHECK_INT(linkedin_token_days_left("tok\nexpires=2026-11-20", noon), -4);
	CHECK_INT(linkedin_token_days_left("tok\nexpires=2027-01-23", noon), 60);
	CHECK_INT(linkedin_token_days_left("tok\nexpires=2026-12-01", time_from_utc(2026, 11, 24, 23, 59, 59)), 7);
	CHECK_INT(linkedin_token_days_left("tok\nexpires=2026-12-01", time_from_utc(2026, 11, 25, 0, 0, 0)), 6);
	CHECK_INT(linkedin_token_days_left("tok", noon), LINKEDIN_DAYS_UNKNOWN);
	CHECK_INT(linkedin_token_days_left(NULL, noon), LINKEDIN_DAYS_UNKNOWN);
	CHECK_INT(linkedin_token_days_left("tok\nexpires=2026-02-30", noon), LINKEDIN_DAYS_UNKNOWN);
	CHECK_INT(linkedin_token_days_left("tok\nexpires=01-12-2026", noon), LINKEDIN_DAYS_UNKNOWN);
	CHECK_INT(linkedin_token_days_left("tok\nexpires=2026-12-01x", noon), LINKEDIN_DAYS_UNKNOWN);
	CHECK_INT(linkedin_token_days_left("tok\nexpires2026-12-01", noon), LINKEDIN_DAYS_UNKNOWN);
	CHECK_INT(linkedin_token_days_left("expires=2026-12-01", noon), LINKEDIN_DAYS_UNKNOWN); /* line 1 is the token */
}

TEST(token_warning_lines)
{
	int64_t noon = time_from_utc(2026, 11, 24, 12, 0, 0);
	CHECK(linkedin_token_warning("tok\nexpires=2026-12-02", TOKEN_FILE, noon) == NULL);
	CHECK(linkedin_token_warning("tok", TOKEN_FILE, noon) == NULL);
	char *w = linkedin_token_warning("tok\nexpires=2026-12-01", TOKEN_FILE, noon);
	CHECK_STR(w, "LinkedIn token in " TOKEN_FILE " expires in 7 days (2026-12-01): sign in to LinkedIn again as a "
	             "Page administrator (docs/facebook-linkedin.md), write the new token and its expires= line to "
	             TOKEN_FILE " and reload balie");
	free(w);
	w = linkedin_token_warning("tok\nexpires=2026-11-25", TOKEN_FILE, noon);
	CHECK(srctest_starts_with(w, "LinkedIn token in " TOKEN_FILE " expires in 1 day (2026-11-25): "));
	free(w);
	w = linkedin_token_warning("tok\nexpires=2026-11-24", NULL, noon);
	CHECK(srctest_starts_with(w, "LinkedIn token in the linkedin_token file expires today (2026-11-24): "));
	free(w);
	w = linkedin_token_warning("tok\nexpires=2026-11-20", TOKEN_FILE, noon);
	CHECK(srctest_starts_with(w, "LinkedIn token in " TOKEN_FILE " expired on 2026-11-20 (4 days ago): "));
	free(w);
	w = linkedin_token_warning("tok\nsecret-on-line-two", TOKEN_FILE, noon);
	CHECK_STR(w, "LinkedIn token file " TOKEN_FILE ": the line after the token is not \"expires=YYYY-MM-DD\"; "
	             "balie cannot warn before the token expires");
	CHECK(strstr(w, "secret") == NULL);
	free(w);
	/* the token never appears in a warning */
	w = linkedin_token_warning(TOKEN "\nexpires=2026-11-20", TOKEN_FILE, noon);
	CHECK(strstr(w, TOKEN) == NULL);
	free(w);
}

TEST(state_survives_garbage)
{
	cJSON *junk = cJSON_Parse("{\"org\":{\"name\":[1],\"vanity\":\"../x\",\"logo\":\"http://evil\",\"fetched\":1e300},"
	                          "\"images\":{\"urn:li:image:A\":{\"url\":\"file:///etc/passwd\",\"expires\":1},"
	                          "\"not-an-urn\":{\"url\":\"https://x.example\",\"expires\":1792571400},"
	                          "\"urn:li:image:B\":5},\"hold_until\":\"later\"}");
	source_t *s = li_new(TOKEN, junk);
	cJSON_Delete(junk);
	s->ops->begin(s);
	net_request_t *req = s->ops->next_request(s);
	CHECK(req != NULL);
	CHECK_STR(req->url, BASE "/rest/organizations/" ORG);
	net_request_free(req);
	cJSON *saved = s->ops->save_state(s);
	char *text = cJSON_PrintUnformatted(saved);
	CHECK(strstr(text, "evil") == NULL);
	CHECK(strstr(text, "passwd") == NULL);
	CHECK(strstr(text, TOKEN) == NULL);
	free(text);
	cJSON_Delete(saved);
	srctest_source_free(s);
}

int main(void)
{
	RUN(little_text_of_the_fixture_becomes_text_and_spans);
	RUN(little_text_edge_cases);
	RUN(fixture_cycle_org_posts_images);
	RUN(image_urls_are_reused_until_they_expire);
	RUN(failed_image_batch_holds_posts_back);
	RUN(only_published_public_posts_of_the_organisation);
	RUN(token_death_mid_run_is_auth_with_sign_in_advice);
	RUN(missing_permission_and_missing_token);
	RUN(retired_version_426_names_the_version);
	RUN(rate_limit_429_waits_for_the_daily_reset);
	RUN(server_and_transport_errors);
	RUN(organisation_face_and_its_failures);
	RUN(token_days_left);
	RUN(token_warning_lines);
	RUN(state_survives_garbage);
	return test_summary();
}
