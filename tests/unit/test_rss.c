/*
 * test_rss: the RSS/Atom parser on the documented shapes (sample-rss.xml,
 * sample-atom.xml, mastodon-account.rss.xml) and on hostile or sloppy feeds
 * (rss-billion-laughs.xml, rss-external-entity.xml, rss-edge-cases.xml,
 * rss-windows-1252.xml, HTML where a feed was expected), and the adapter's
 * conditional GET cycle and its report of withdrawn items, driven by
 * hand-built responses.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "test.h"
#include "../support/srctest.h"

#include "../../src/base/xmalloc.h"
#include "../../src/net/net.h"
#include "../../src/sources/rss.h"
#include "../../src/sources/source.h"

#define NOW 1741000000 /* 2025-03-03 11:06:40 UTC */
#define FEED_URL "http://127.0.0.1:9/nieuws/rss.xml"

static bool parse_fixture(const char *name, rss_feed_t *f, char **err)
{
	size_t len;
	char *xml = srctest_fixture(name, &len);
	bool ok = rss_parse(xml, len, FEED_URL, NULL, NOW, f, err);
	free(xml);
	return ok;
}

static net_response_t *resp(int status, const char *body, size_t len)
{
	return srctest_resp_len(FEED_URL, status, body, len);
}

static source_t *source_new(const char *url, const cJSON *state)
{
	source_spec_t *spec = xcalloc(1, sizeof *spec);
	spec->network = NET_RSS;
	spec->kind = SRC_FEED;
	spec->key = xstrdup("rss:nieuws");
	spec->handle = xstrdup(url);
	spec->interval_s = 300;
	return srctest_source_new(&rss_source_ops, spec, NULL, state, NOW);
}

/* ---- parsing ------------------------------------------------------------- */

TEST(rss_fixture_items_become_posts_with_the_feed_as_author)
{
	rss_feed_t f;
	char *err = NULL;
	CHECK(parse_fixture("sample-rss.xml", &f, &err));
	CHECK(!f.atom);
	CHECK_STR(f.author.name, "Nieuws – Gemeente Voorbeeldstad");
	CHECK_STR(f.author.url, "https://www.voorbeeldstad.example/nieuws");
	CHECK_STR(f.author.avatar_url, "https://www.voorbeeldstad.example/themes/custom/logo-144.png");
	CHECK_STR(f.author.handle, "www.voorbeeldstad.example");
	CHECK_STR(f.lang, "nl");
	CHECK_INT(f.ttl_min, 30);
	CHECK_INT(f.posts.len, 3);
	CHECK_INT(f.undated, 0);

	const post_t *p = srctest_find(&f.posts, "rss:node-12345");
	CHECK(p);
	CHECK_INT(p->network, NET_RSS);
	CHECK_STR(p->url, "https://www.voorbeeldstad.example/nieuws/dorpsstraat-afgesloten-vanaf-3-maart");
	CHECK_INT(p->created, 1740988800); /* 09:00 +0100 */
	CHECK_STR(p->text, "Dorpsstraat afgesloten vanaf 3 maart\n\nVanaf maandag 3 maart is de Dorpsstraat "
	                   "afgesloten voor autoverkeer. Fietsers en voetgangers kunnen er langs.");
	CHECK_STR(p->author.name, "Nieuws – Gemeente Voorbeeldstad");
	CHECK_STR(p->author.avatar_url, "https://www.voorbeeldstad.example/themes/custom/logo-144.png");
	CHECK_STR(p->lang, "nl");
	CHECK_INT(p->n_media, 1);
	CHECK_STR(p->media[0].url, "https://www.voorbeeldstad.example/sites/default/files/2025-03/dorpsstraat.jpg");
	CHECK_STR(p->media[0].alt, "Kaart met de omleidingsroute via de Kerklaan");
	CHECK_INT(p->media[0].width, 1200);
	CHECK_INT(p->media[0].height, 800);
	CHECK_INT(p->visibility, VIS_PUBLIC);

	p = srctest_find(&f.posts, "rss:https://www.voorbeeldstad.example/nieuws/inloopavond-stationskwartier");
	CHECK(p);
	CHECK_INT(p->created, 1740756600); /* GMT */
	CHECK(strncmp(p->text, "Inloopavond nieuwbouw Stationskwartier & Spoorzone\n\nOp woensdag 12 maart", 70) == 0);
	CHECK_INT(p->n_spans, 1);
	CHECK_INT(p->spans[0].kind, SPAN_LINK);
	CHECK_STR(p->spans[0].target, "https://www.voorbeeldstad.example/stationskwartier");
	char *linked = xstrndup(p->text + p->spans[0].start, p->spans[0].end - p->spans[0].start);
	EXPECT(strcmp(linked, "Lees meer") == 0);
	free(linked);
	CHECK_INT(p->n_media, 0);

	p = srctest_find(&f.posts, "rss:https://www.voorbeeldstad.example/nieuws/afval-koningsdag");
	CHECK(p);
	CHECK_STR(p->text, "Afvalinzameling op Koningsdag gewijzigd");
	CHECK_INT(p->created, 1740646800);
	rss_feed_clear(&f);
}

TEST(atom_fixture_with_text_html_and_xhtml_content)
{
	rss_feed_t f;
	char *err = NULL;
	CHECK(parse_fixture("sample-atom.xml", &f, &err));
	CHECK(f.atom);
	CHECK_STR(f.author.name, "Gemeente Voorbeeldstad – Nieuws");
	CHECK_STR(f.author.url, "https://www.voorbeeldstad.example/nieuws");
	CHECK_STR(f.author.avatar_url, "https://www.voorbeeldstad.example/favicon.png");
	CHECK_STR(f.lang, "nl");
	CHECK_INT(f.posts.len, 2);
	const post_t *p = srctest_find(&f.posts, "rss:tag:voorbeeldstad.example,2025:nieuws/12345");
	CHECK(p);
	CHECK_STR(p->text, "Dorpsstraat afgesloten vanaf 3 maart\n\nVanaf maandag 3 maart is de Dorpsstraat "
	                   "afgesloten voor autoverkeer.");
	CHECK_INT(p->created, 1740988800);
	CHECK_INT(p->edited, 1740989520);
	CHECK_STR(p->url, "https://www.voorbeeldstad.example/nieuws/dorpsstraat-afgesloten-vanaf-3-maart");
	CHECK_INT(p->n_media, 1);
	CHECK_STR(p->media[0].url, "https://www.voorbeeldstad.example/sites/default/files/2025-03/dorpsstraat.jpg");
	p = srctest_find(&f.posts, "rss:tag:voorbeeldstad.example,2025:nieuws/12340");
	CHECK(p);
	CHECK_STR(p->text, "Inloopavond Stationskwartier\n\nOp woensdag 12 maart bent u welkom in het stadhuis.");
	CHECK_INT(p->created, 1740756600);
	CHECK_STR(p->url, "https://www.voorbeeldstad.example/nieuws/inloopavond-stationskwartier");
	rss_feed_clear(&f);
}

TEST(mastodon_account_rss_without_titles)
{
	rss_feed_t f;
	char *err = NULL;
	CHECK(parse_fixture("mastodon-account.rss.xml", &f, &err));
	CHECK_INT(f.posts.len, 1);
	const post_t *p = f.posts.items[0];
	CHECK_STR(p->key, "rss:https://social.overheid.example/@gemeentevoorbeeldstad/114098765432100003");
	CHECK_STR(p->text, "Vanaf maandag 3 maart is de Dorpsstraat afgesloten voor autoverkeer.");
	CHECK_INT(p->created, 1740988872);
	CHECK_STR(p->author.name, "Gemeente Voorbeeldstad");
	CHECK(strstr(p->author.avatar_url, "/avatars/"));
	CHECK_INT(p->n_media, 1);
	CHECK(strstr(p->media[0].url, "/original/"));
	CHECK(strstr(p->media[0].preview_url, "/small/"));
	CHECK_STR(p->media[0].alt, "Kaart van de Dorpsstraat met de omleidingsroute in oranje via de Kerklaan.");
	CHECK(!p->sensitive); /* nonadult */
	rss_feed_clear(&f);
}

TEST(sloppy_feed_dates_links_images_and_ratings)
{
	rss_feed_t f;
	char *err = NULL;
	CHECK(parse_fixture("rss-edge-cases.xml", &f, &err));
	CHECK_STR(f.author.name, "Gemeente & Co");
	CHECK_STR(f.lang, "nl");
	CHECK_INT(f.posts.len, 5);
	CHECK_INT(f.skipped, 1);  /* the empty item */
	CHECK_INT(f.undated, 2);

	const post_t *p = srctest_find(&f.posts, "rss:https://www.gemeente.example/nieuws/iso");
	CHECK(p);
	CHECK_INT(p->created, 1740819600); /* ISO 8601 in pubDate is read too */
	CHECK(strncmp(p->text, "ISO-datum in pubDate\n\nMet een", 29) == 0);
	CHECK_INT(p->n_media, 1);
	CHECK_STR(p->media[0].url, "https://www.gemeente.example/beelden/iso.png");
	CHECK_STR(p->media[0].alt, "Plattegrond");

	p = srctest_find(&f.posts, "rss:https://www.gemeente.example/nieuws/nl");
	CHECK(p);
	CHECK_INT(p->created, 0); /* "maandag 3 maart 2025": no date; the adapter dates it */

	p = srctest_find(&f.posts, "rss:item-geen-datum");
	CHECK(p);
	CHECK_STR(p->text, "Geen datum");
	CHECK(!p->url);

	p = srctest_find(&f.posts, "rss:https://www.gemeente.example/nieuws/toekomst");
	CHECK(p);
	CHECK_INT(p->created, NOW); /* a date in the future is shown as now */

	p = srctest_find(&f.posts, "rss:https://www.gemeente.example/nieuws/beeld.html");
	CHECK(p);
	CHECK(p->sensitive);
	CHECK_INT(p->created, 1740830400);
	CHECK_STR(p->media[0].url, "https://cdn.gemeente.example/a.jpg");
	rss_feed_clear(&f);
}

TEST(windows_1252_feed_is_decoded)
{
	rss_feed_t f;
	char *err = NULL;
	CHECK(parse_fixture("rss-windows-1252.xml", &f, &err));
	CHECK_STR(f.author.name, "Café Nieuws");
	CHECK_INT(f.posts.len, 1);
	CHECK_STR(f.posts.items[0]->text, "Prijs: € 5 – koffie");
	rss_feed_clear(&f);
	const char *unknown = "<?xml version=\"1.0\" encoding=\"x-klingon\"?><rss/>";
	CHECK(!rss_parse(unknown, strlen(unknown), NULL, NULL, NOW, &f, &err));
	CHECK(strstr(err, "XML error at line 1"));
	free(err);
}

TEST(billion_laughs_is_refused_quickly)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rss_feed_t f;
	char *err = NULL;
	CHECK(!parse_fixture("rss-billion-laughs.xml", &f, &err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECK(s < 1.0);
	CHECK_STR(err, "the feed declares XML entities (<!ENTITY lol>); refused");
	CHECK_INT(f.posts.len, 0);
	free(err);
}

TEST(external_entities_are_never_loaded)
{
	rss_feed_t f;
	char *err = NULL;
	CHECK(!parse_fixture("rss-external-entity.xml", &f, &err));
	CHECK_STR(err, "the feed declares XML entities (<!ENTITY secret>); refused");
	CHECK_INT(f.posts.len, 0);
	free(err);
	/* a reference to an undeclared external DTD entity is not fetched either */
	const char *xml = "<?xml version=\"1.0\"?><!DOCTYPE rss SYSTEM \"file:///etc/passwd\">"
	                  "<rss version=\"2.0\"><channel><title>T</title><item><title>a &nbsp; b</title>"
	                  "<link>https://x.nl/1</link></item></channel></rss>";
	err = NULL;
	if (rss_parse(xml, strlen(xml), NULL, NULL, NOW, &f, &err)) {
		CHECK_INT(f.posts.len, 1);
		CHECK(!strstr(f.posts.items[0]->text, "root:"));
		rss_feed_clear(&f);
	} else {
		CHECK(strstr(err, "XML error"));
		free(err);
	}
}

TEST(html_pages_and_broken_xml_are_errors_with_a_reason)
{
	static const struct {
		const char *body, *err;
	} cases[] = {
		{ "<!DOCTYPE html>\n<html><head><title>Niet gevonden</title></head><body></body></html>",
		  "not an RSS or Atom feed (the document is <html>)" },
		{ "<?xml version=\"1.0\"?><rss><channel><item></channel></rss>", "XML error at line 1: mismatched tag" },
		{ "", "XML error at line 1: no element found" },
		{ "{\"feed\":[]}", "XML error at line 1: not well-formed (invalid token)" },
		{ "<feed xmlns=\"http://example.com/not-atom\"/>", "not an RSS or Atom feed (the document is <feed>)" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		rss_feed_t f;
		char *err = NULL;
		bool ok = rss_parse(cases[i].body, strlen(cases[i].body), NULL, NULL, NOW, &f, &err);
		if (ok || !err || strcmp(err, cases[i].err) != 0)
			TEST_FAIL_("case %zu: ok=%d err=\"%s\"", i, ok, err ? err : "(null)");
		if (ok)
			rss_feed_clear(&f);
		free(err);
	}
}

TEST(items_are_capped_and_long_summaries_cut)
{
	char *xml = xstrdup("<rss version=\"2.0\"><channel><title>Veel</title>");
	for (int i = 0; i < RSS_MAX_ITEMS + 50; i++) {
		char *n = xasprintf("%s<item><title>Item %d</title><link>https://x.nl/%d</link></item>", xml, i, i);
		free(xml);
		xml = n;
	}
	char *n = xasprintf("%s</channel></rss>", xml);
	free(xml);
	xml = n;
	rss_feed_t f;
	char *err = NULL;
	CHECK(rss_parse(xml, strlen(xml), NULL, NULL, NOW, &f, &err));
	free(xml);
	CHECK_INT(f.posts.len, RSS_MAX_ITEMS);
	CHECK_INT(f.skipped, 50);
	CHECK_STR(f.posts.items[0]->text, "Item 0");
	rss_feed_clear(&f);

	char *words = xstrdup("");
	for (int i = 0; i < 300; i++) {
		char *w = xasprintf("%swoord%d ", words, i);
		free(words);
		words = w;
	}
	xml = xasprintf("<rss><channel><item><title>Lang</title><description>%s</description>"
	                "<link>https://x.nl/lang</link></item></channel></rss>", words);
	free(words);
	CHECK(rss_parse(xml, strlen(xml), NULL, NULL, NOW, &f, &err));
	free(xml);
	const char *t = f.posts.items[0]->text;
	CHECK(strlen(t) <= strlen("Lang\n\n") + RSS_MAX_SUMMARY + strlen("…"));
	CHECK(strlen(t) > RSS_MAX_SUMMARY / 2);
	CHECK(strcmp(t + strlen(t) - strlen("…"), "…") == 0);
	CHECK(t[strlen(t) - strlen("…") - 1] != ' ');
	rss_feed_clear(&f);
}

TEST(relative_urls_are_resolved)
{
	static const struct {
		const char *base, *ref, *want;
	} cases[] = {
		{ "https://a.nl/nieuws/", "item.html", "https://a.nl/nieuws/item.html" },
		{ "https://a.nl/nieuws/index.xml", "item.html", "https://a.nl/nieuws/item.html" },
		{ "https://a.nl/nieuws/", "/beeld.png", "https://a.nl/beeld.png" },
		{ "https://a.nl", "beeld.png", "https://a.nl/beeld.png" },
		{ "http://127.0.0.1:9/x/y", "//cdn.nl/z.png", "http://cdn.nl/z.png" },
		{ "https://a.nl/", "  https://b.nl/c  ", "https://b.nl/c" },
		{ "https://a.nl/", "javascript:alert(1)", NULL },
		{ "https://a.nl/", "mailto:x@a.nl", NULL },
		{ NULL, "item.html", NULL },
		{ "https://a.nl/", "", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *got = rss_resolve_url(cases[i].base, cases[i].ref);
		bool ok = cases[i].want ? got && strcmp(got, cases[i].want) == 0 : got == NULL;
		if (!ok)
			TEST_FAIL_("case %zu: \"%s\" + \"%s\" = \"%s\"", i, cases[i].base ? cases[i].base : "(null)",
			           cases[i].ref, got ? got : "(null)");
		free(got);
	}
}

/* ---- the adapter --------------------------------------------------------- */

TEST(conditional_get_sends_etag_and_last_modified)
{
	source_t *s = source_new(FEED_URL, NULL);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	net_request_t *req = s->ops->next_request(s);
	CHECK(req);
	CHECK_STR(req->url, FEED_URL);
	CHECK(!srctest_req_header(req, "If-None-Match"));
	CHECK(!srctest_req_header(req, "If-Modified-Since"));
	net_request_free(req);
	size_t len;
	char *xml = srctest_fixture("sample-rss.xml", &len);
	net_response_t *r = resp(200, xml, len);
	free(xml);
	srctest_resp_header(r, "ETag", "\"rss-v1\"");
	srctest_resp_header(r, "Last-Modified", "Mon, 03 Mar 2025 08:15:00 GMT");
	CHECK_INT(s->ops->handle(s, r, &b), SRC_DONE);
	net_response_free(r);
	CHECK_INT(b.posts.len, 3);
	CHECK_STR(b.posts.items[0]->source, "rss:nieuws");
	CHECK(b.authoritative);
	CHECK_INT(b.window_start, 1740646800);
	CHECK_STR(b.message, "3 items");
	CHECK(!s->ops->next_request(s));
	source_batch_clear(&b);

	cJSON *state = s->ops->save_state(s);
	srctest_source_free(s);
	s = source_new(FEED_URL, state);
	cJSON_Delete(state);
	s->ops->begin(s);
	req = s->ops->next_request(s);
	CHECK(req);
	CHECK_STR(srctest_req_header(req, "If-None-Match"), "\"rss-v1\"");
	CHECK_STR(srctest_req_header(req, "If-Modified-Since"), "Mon, 03 Mar 2025 08:15:00 GMT");
	net_request_free(req);
	r = resp(304, "", 0);
	CHECK_INT(s->ops->handle(s, r, &b), SRC_NOT_MODIFIED);
	net_response_free(r);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(undated_items_keep_their_first_seen_time)
{
	source_t *s = source_new("https://www.gemeente.example/rss", NULL);
	source_batch_t b;
	source_batch_init(&b);
	size_t len;
	char *xml = srctest_fixture("rss-edge-cases.xml", &len);
	s->ops->begin(s);
	net_request_free(s->ops->next_request(s));
	net_response_t *r = resp(200, xml, len);
	CHECK_INT(s->ops->handle(s, r, &b), SRC_DONE);
	net_response_free(r);
	CHECK(!b.authoritative); /* undated items: deletions cannot be told */
	long i = post_list_find(&b.posts, "rss:item-geen-datum");
	CHECK(i >= 0);
	CHECK_INT(b.posts.items[i]->created, NOW);
	source_batch_clear(&b);

	/* an hour later, after a restart, the item still has its first time */
	cJSON *state = s->ops->save_state(s);
	srctest_source_free(s);
	s = source_new("https://www.gemeente.example/rss", state);
	cJSON_Delete(state);
	s->now = NOW + 3600;
	s->ops->begin(s);
	net_request_free(s->ops->next_request(s));
	r = resp(200, xml, len);
	CHECK_INT(s->ops->handle(s, r, &b), SRC_DONE);
	net_response_free(r);
	i = post_list_find(&b.posts, "rss:item-geen-datum");
	CHECK(i >= 0);
	CHECK_INT(b.posts.items[i]->created, NOW);
	free(xml);
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(http_failures_map_to_statuses_with_messages)
{
	static const struct {
		int status;
		const char *body;
		net_error_t error;
		source_status_t want;
		const char *msg;
	} cases[] = {
		{ 404, "<html>weg</html>", NET_OK, SRC_ERR_NOT_FOUND, "feed " FEED_URL ": HTTP 404 (no such feed)" },
		{ 500, "", NET_OK, SRC_ERR_NETWORK, "feed " FEED_URL ": HTTP 500" },
		{ 403, "", NET_OK, SRC_ERR_DATA, "feed " FEED_URL ": HTTP 403 (access refused)" },
		{ 200, "<html><body>Inloggen</body></html>", NET_OK, SRC_ERR_DATA,
		  "feed " FEED_URL ": not an RSS or Atom feed (the document is <html>)" },
		{ 0, "", NET_ERR_TIMEOUT, SRC_ERR_NETWORK, NULL },
		{ 429, "", NET_OK, SRC_ERR_RATE, "feed " FEED_URL ": HTTP 429 (too many requests)" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		source_t *s = source_new(FEED_URL, NULL);
		source_batch_t b;
		source_batch_init(&b);
		s->ops->begin(s);
		net_request_free(s->ops->next_request(s));
		net_response_t *r = resp(cases[i].status, cases[i].body, strlen(cases[i].body));
		r->error = cases[i].error;
		if (cases[i].status == 429)
			srctest_resp_header(r, "Retry-After", "120");
		source_status_t st = s->ops->handle(s, r, &b);
		net_response_free(r);
		bool ok = st == cases[i].want && b.message &&
		          (cases[i].msg ? strcmp(b.message, cases[i].msg) == 0 : strstr(b.message, FEED_URL) != NULL);
		if (!ok)
			TEST_FAIL_("case %zu: %s \"%s\"", i, source_status_name(st), b.message ? b.message : "(null)");
		if (cases[i].status == 429)
			EXPECT(b.retry_at == NOW + 120);
		source_batch_clear(&b);
		srctest_source_free(s);
	}
}

TEST(feed_url_secrets_are_redacted_in_messages)
{
	source_t *s = source_new("https://news.example/rss?token=s3cr3t&page=1", NULL);
	source_batch_t b;
	source_batch_init(&b);
	s->ops->begin(s);
	net_request_t *req = s->ops->next_request(s);
	CHECK_STR(req->url, "https://news.example/rss?token=s3cr3t&page=1");
	net_request_free(req);
	net_response_t *r = resp(500, "", 0);
	CHECK_INT(s->ops->handle(s, r, &b), SRC_ERR_NETWORK);
	net_response_free(r);
	CHECK(b.message && !strstr(b.message, "s3cr3t"));
	source_batch_clear(&b);
	srctest_source_free(s);
}

/* ---- withdrawn items ------------------------------------------------------ */

/* An RSS document with one item per character of spec: an upper-case
 * letter is an item dated that many hours before NOW ('A' = 1 h), a
 * lower-case one an undated item.  guid = the letter. */
static char *feed_of(const char *spec)
{
	char *out = xstrdup("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Nieuws</title>"
	                    "<link>https://www.gemeente.example/</link>");
	for (const char *c = spec; *c; c++) {
		char date[64] = "";
		if (*c >= 'A' && *c <= 'Z') {
			time_t t = (time_t)(NOW - 3600 * (*c - 'A' + 1));
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(date, sizeof date, "<pubDate>%a, %d %b %Y %H:%M:%S GMT</pubDate>", &tm);
		}
		char *more = xasprintf("%s<item><title>Bericht %c</title><guid isPermaLink=\"false\">%c</guid>%s</item>",
		                       out, *c, *c, date);
		free(out);
		out = more;
	}
	char *done = xasprintf("%s</channel></rss>", out);
	free(out);
	return done;
}

/* One cycle of s on the feed spec, into b (cleared first): the keys
 * reported deleted, as "rss:X rss:Y" ("(failed)" when the cycle failed).
 * The text is valid until the next call. */
static const char *fetch(source_t *s, const char *spec, source_batch_t *b)
{
	static char deleted[256];
	source_batch_clear(b);
	char *xml = feed_of(spec);
	s->ops->begin(s);
	net_request_free(s->ops->next_request(s));
	net_response_t *r = resp(200, xml, strlen(xml));
	free(xml);
	source_status_t st = s->ops->handle(s, r, b);
	net_response_free(r);
	deleted[0] = '\0';
	for (size_t i = 0; i < b->n_deleted; i++)
		snprintf(deleted + strlen(deleted), sizeof deleted - strlen(deleted), "%s%s", i ? " " : "", b->deleted[i]);
	return st == SRC_DONE ? deleted : "(failed)";
}

/* Save s's state and start it again from it, as after a restart. */
static source_t *restart(source_t *s)
{
	cJSON *state = s->ops->save_state(s);
	srctest_source_free(s);
	s = source_new(FEED_URL, state);
	cJSON_Delete(state);
	return s;
}

TEST(an_item_withdrawn_from_the_feed_is_reported_deleted)
{
	source_t *s = source_new(FEED_URL, NULL);
	source_batch_t b;
	source_batch_init(&b);
	CHECK_STR(fetch(s, "ABC", &b), ""); /* nothing known before */
	s = restart(s); /* what was in the feed survives a restart */

	/* B is gone between A and C, nothing new came: withdrawn */
	CHECK_STR(fetch(s, "AC", &b), "rss:B");
	CHECK_STR(b.message, "2 items, 1 withdrawn from the feed");
	CHECK_INT(b.posts.len, 2);

	/* the oldest item goes and nothing new arrives: withdrawn as well */
	CHECK_STR(fetch(s, "A", &b), "rss:C");
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(an_item_pushed_off_the_end_by_new_ones_is_kept)
{
	source_t *s = source_new(FEED_URL, NULL);
	source_batch_t b;
	source_batch_init(&b);
	CHECK_STR(fetch(s, "BCD", &b), "");
	/* a new item A on top, D (the oldest) dropped off the bottom: a feed of
	 * three items moved on; D stays on the screen for its time */
	CHECK_STR(fetch(s, "ABC", &b), "");
	CHECK(b.authoritative);
	CHECK_INT(b.window_start, NOW - 3 * 3600); /* the poller keeps D (older) */
	/* a new item and a withdrawn one at once: the withdrawn one is newer than
	 * the oldest item still there, so it did not drop off the end */
	CHECK_STR(fetch(s, "@AC", &b), "rss:B"); /* '@' = dated 0 h: newer than A */
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(undated_feeds_use_the_order_of_the_items)
{
	source_t *s = source_new(FEED_URL, NULL);
	source_batch_t b;
	source_batch_init(&b);
	CHECK_STR(fetch(s, "xyz", &b), "");
	CHECK(!b.authoritative); /* no dates: the window rule cannot be used */
	s = restart(s);
	/* y is gone while z, listed after it, stays: withdrawn */
	CHECK_STR(fetch(s, "xz", &b), "rss:y");
	/* a new item w on top and z gone from the bottom: pushed off, kept */
	CHECK_STR(fetch(s, "wx", &b), "");
	/* the same feed again: nothing new, nothing gone */
	CHECK_STR(fetch(s, "wx", &b), "");
	source_batch_clear(&b);
	srctest_source_free(s);
}

TEST(an_empty_feed_or_a_broken_state_deletes_nothing)
{
	source_t *s = source_new(FEED_URL, NULL);
	source_batch_t b;
	source_batch_init(&b);
	CHECK_STR(fetch(s, "ABC", &b), "");
	/* a feed that parses but has no items: a site fault, not a deletion */
	CHECK_STR(fetch(s, "", &b), "");
	CHECK(!b.authoritative);
	CHECK_INT(b.posts.len, 0);
	source_batch_clear(&b);
	srctest_source_free(s);

	/* a damaged state file: wrong types, huge keys, duplicates are dropped */
	char *big = xmalloc(5000);
	memset(big, 'k', 4999);
	big[4999] = '\0';
	char *json = xasprintf("{\"items\":[[\"rss:A\",%d],[\"rss:A\",2],[5,1],[\"rss:B\"],\"rss:C\",[\"%s\",1],"
	                       "[\"rss:D\",1.5],[\"rss:E\",1e300],[\"rss:F\",%d]]}", NOW - 3600, big, NOW - 7200);
	free(big);
	cJSON *state = cJSON_Parse(json);
	free(json);
	CHECK(state != NULL);
	s = source_new(FEED_URL, state);
	cJSON_Delete(state);
	/* only rss:A (its first time) and rss:F were remembered: both gone now,
	 * and both newer than G, the item still there */
	CHECK_STR(fetch(s, "G", &b), "rss:A rss:F");
	cJSON *saved = s->ops->save_state(s);
	char *text = cJSON_PrintUnformatted(saved);
	CHECK(strstr(text, "\"items\":[[\"rss:G\",") != NULL);
	free(text);
	cJSON_Delete(saved);
	source_batch_clear(&b);
	srctest_source_free(s);
}

int main(void)
{
	RUN(rss_fixture_items_become_posts_with_the_feed_as_author);
	RUN(atom_fixture_with_text_html_and_xhtml_content);
	RUN(mastodon_account_rss_without_titles);
	RUN(sloppy_feed_dates_links_images_and_ratings);
	RUN(windows_1252_feed_is_decoded);
	RUN(billion_laughs_is_refused_quickly);
	RUN(external_entities_are_never_loaded);
	RUN(html_pages_and_broken_xml_are_errors_with_a_reason);
	RUN(items_are_capped_and_long_summaries_cut);
	RUN(relative_urls_are_resolved);
	RUN(conditional_get_sends_etag_and_last_modified);
	RUN(undated_items_keep_their_first_seen_time);
	RUN(http_failures_map_to_statuses_with_messages);
	RUN(feed_url_secrets_are_redacted_in_messages);
	RUN(an_item_withdrawn_from_the_feed_is_reported_deleted);
	RUN(an_item_pushed_off_the_end_by_new_ones_is_kept);
	RUN(undated_feeds_use_the_order_of_the_items);
	RUN(an_empty_feed_or_a_broken_state_deletes_nothing);
	return test_summary();
}
