/*
 * test_config: the configuration parser, its messages and the source list.
 *
 * Good input is checked field by field against a real file
 * (tests/fixtures/config-full.conf); every error a user can meet is checked
 * verbatim, because the message is the interface.  The last test feeds
 * truncated and mutated files to config_parse() so the sanitizers can catch
 * a crash or leak on bad bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/base/xmalloc.h"
#include "../../src/config/config.h"
#include "test.h"

/* Parse text; returns the error message (caller frees) or NULL on success. */
static char *parse_err(const char *text)
{
	char *err = NULL;
	config_t *c = config_parse(text, strlen(text), "t.conf", &err);
	config_free(c);
	return c ? NULL : err;
}

/* The error for text must be exactly want. */
#define CHECK_ERR(text, want)                                                  \
	do {                                                                   \
		char *e_ = parse_err(text);                                    \
		if (!e_ || strcmp(e_, want) != 0) {                            \
			TEST_FAIL_("error \"%s\", expected \"%s\"", e_ ? e_ : "(none)", want); \
			free(e_);                                              \
			return;                                                \
		}                                                              \
		free(e_);                                                      \
	} while (0)

static config_t *parse_ok(const char *text)
{
	char *err = NULL;
	config_t *c = config_parse(text, strlen(text), "t.conf", &err);
	if (!c) {
		printf("      unexpected error: %s\n", err);
		free(err);
	}
	return c;
}

static char *fixture(const char *name)
{
	return xasprintf("%s/%s", test_fixture_dir(), name);
}

/* ---- good files ------------------------------------------------------------ */

TEST(full_file_parses_into_expected_structure)
{
	char *path = fixture("config-full.conf");
	char *err = NULL;
	config_t *c = config_load(path, &err);
	if (!c)
		printf("      %s\n", err);
	CHECK(c);
	CHECK_STR(c->path, path);

	CHECK_INT(c->n_people, 2);
	const config_person_t *jan = config_person(c, "jan");
	CHECK(jan);
	CHECK_STR(jan->name, "Jan de Vri\xC3\xA9s");
	CHECK_STR(jan->role, "Wethouder Wonen & Zorg");
	char *photo = xasprintf("%s/photos/jan.jpg", test_fixture_dir());
	EXPECT(strcmp(jan->photo, photo) == 0); /* relative to the file's directory */
	free(photo);
	CHECK(!jan->organisation);
	CHECK_INT(jan->n_accounts, 3);
	CHECK_INT(jan->accounts[0].network, NET_MASTODON);
	CHECK_STR(jan->accounts[0].handle, "@Jan@social.overheid.nl");
	CHECK_STR(jan->accounts[0].token_file, "/etc/balie/tokens/overheid");
	CHECK_INT(jan->accounts[1].network, NET_BLUESKY);
	CHECK_STR(jan->accounts[1].handle, "@jan.gemeente.nl");
	CHECK(jan->accounts[1].token_file == NULL);
	CHECK_INT(jan->accounts[2].network, NET_X);
	char *xtok = xasprintf("%s/tokens/x", test_fixture_dir());
	EXPECT(strcmp(jan->accounts[2].token_file, xtok) == 0);
	free(xtok);

	const config_person_t *g = config_person(c, "gemeente");
	CHECK(g);
	CHECK(g->organisation);
	CHECK(g->role == NULL && g->photo == NULL);
	CHECK_INT(g->n_accounts, 3);
	CHECK_INT(g->accounts[0].network, NET_FACEBOOK);
	CHECK_STR(g->accounts[0].handle, "123456789");
	CHECK_STR(g->accounts[0].token_file, "/etc/balie/tokens/facebook");
	CHECK_INT(g->accounts[1].network, NET_LINKEDIN);
	CHECK_STR(g->accounts[1].token_file, "/etc/balie/tokens/linkedin");
	CHECK_STR(g->accounts[2].handle, "gemeente@http://127.0.0.1:8970");
	CHECK(config_person(c, "nobody") == NULL);

	CHECK_INT(c->n_hashtags, 2);
	const config_hashtag_t *h = &c->hashtags[0];
	CHECK_STR(h->tag, "twitampt");
	CHECK_STR(h->id, "twitampt");
	CHECK_INT(h->network, NET_MASTODON);
	CHECK(h->anyone);
	CHECK_INT(h->n_servers, 3);
	CHECK_STR(h->servers[0], "https://social.overheid.nl");
	CHECK_STR(h->servers[1], "https://mastodon.social");
	CHECK_STR(h->servers[2], "http://127.0.0.1:8970");
	h = &c->hashtags[1];
	CHECK_STR(h->tag, "raad");
	CHECK_INT(h->network, NET_BLUESKY);
	CHECK(!h->anyone);
	CHECK_STR(h->token_file, "/etc/balie/tokens/bsky-app-password");

	CHECK_INT(c->n_feeds, 1);
	CHECK_STR(c->feeds[0].id, "nieuws");
	CHECK_STR(c->feeds[0].url, "https://www.example.nl/nieuws.rss");
	CHECK_STR(c->feeds[0].name, "Nieuws van de gemeente");
	char *notices = xasprintf("%s/notices.txt", test_fixture_dir());
	EXPECT(strcmp(c->notices_file, notices) == 0);
	free(notices);

	const config_display_t *d = &c->display;
	CHECK(!d->fullscreen);
	CHECK_INT(d->width, 1920);
	CHECK_INT(d->height, 1080);
	CHECK_INT(d->rotate, 90);
	CHECK_STR(d->language, "en");
	CHECK_STR(d->organisation, "Gemeente Voorbeeld");
	CHECK_STR(d->logo, "/usr/share/balie/logo.png");
	CHECK_STR(d->theme, "high-contrast");
	CHECK_STR(d->font, "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf");
	CHECK(d->chars_per_second > 12.49 && d->chars_per_second < 12.51);
	CHECK_INT(d->dwell_min_s, 6);
	CHECK_INT(d->dwell_max_s, 30);
	CHECK_INT(d->transition_ms, 400);
	CHECK(d->show_sensitive_media);
	CHECK(d->sample);
	CHECK_STR(d->quit_keys, "ctrl+alt+q");

	CHECK_STR(c->cache.dir, "/var/cache/balie");
	CHECK_INT(c->cache.max_media_mb, 512);
	CHECK_INT(c->cache.max_age_days, 14);
	CHECK_INT(c->cache.max_posts, 800);

	const config_network_t *n = &c->network;
	CHECK_INT(n->interval_s, 120);
	CHECK_INT(n->connect_timeout_s, 5);
	CHECK_INT(n->timeout_s, 20);
	CHECK_INT(n->max_json_kb, 2048);
	CHECK_INT(n->max_media_kb, 8192);
	CHECK_STR(n->ca_file, "/etc/ssl/extra.pem");
	CHECK_STR(n->bluesky_appview, "http://127.0.0.1:8971");
	CHECK_STR(n->bluesky_login, "https://pds.example.nl");
	CHECK_STR(n->x_api, "https://api.x.example");
	CHECK_STR(n->facebook_graph, "https://graph.example:8443");
	CHECK_STR(n->linkedin_api, "https://[::1]:8443");

	const config_filter_t *f = &c->filter;
	CHECK(f->replies);
	CHECK(!f->boosts);
	CHECK(!f->sensitive);
	CHECK(!f->bots);
	CHECK(!f->public_only);
	CHECK_INT(f->n_blocked_words, 3);
	CHECK_STR(f->blocked_words[0], "spam");
	CHECK_STR(f->blocked_words[1], "reclame");
	CHECK_STR(f->blocked_words[2], "casino");
	CHECK_INT(f->n_languages, 3);
	CHECK_STR(f->languages[1], "en");
	CHECK_STR(f->languages[2], "fy");
	CHECK_INT(f->max_age_days, 7);
	config_free(c);
	free(path);
}

static void check_defaults(const config_t *c)
{
	const config_display_t *d = &c->display;
	EXPECT(d->fullscreen);
	EXPECT(d->width == 0 && d->height == 0 && d->rotate == -1);
	EXPECT(strcmp(d->language, "nl") == 0);
	EXPECT(strcmp(d->organisation, "Gemeente") == 0);
	EXPECT(strcmp(d->theme, "default") == 0);
	EXPECT(d->logo == NULL && d->font == NULL);
	EXPECT(d->chars_per_second == 15);
	EXPECT(d->dwell_min_s == 8 && d->dwell_max_s == 25);
	EXPECT(d->transition_ms == 600);
	EXPECT(!d->show_sensitive_media && !d->sample);
	EXPECT(strcmp(d->quit_keys, "ctrl+alt+shift+q") == 0);
	EXPECT(c->cache.dir == NULL);
	EXPECT(c->cache.max_media_mb == 256 && c->cache.max_age_days == 30 && c->cache.max_posts == 500);
	const config_network_t *n = &c->network;
	EXPECT(n->interval_s == 60 && n->connect_timeout_s == 10 && n->timeout_s == 30);
	EXPECT(n->max_json_kb == 4096 && n->max_media_kb == 16384);
	EXPECT(n->ca_file == NULL);
	EXPECT(strcmp(n->bluesky_appview, "https://public.api.bsky.app") == 0);
	EXPECT(strcmp(n->bluesky_login, "https://bsky.social") == 0);
	EXPECT(strcmp(n->x_api, "https://api.x.com") == 0);
	EXPECT(strcmp(n->facebook_graph, "https://graph.facebook.com") == 0);
	EXPECT(strcmp(n->linkedin_api, "https://api.linkedin.com") == 0);
	const config_filter_t *f = &c->filter;
	EXPECT(!f->replies && f->boosts && f->sensitive && f->bots && f->public_only);
	EXPECT(f->n_blocked_words == 0 && f->n_languages == 0 && f->max_age_days == 0);
}

TEST(defaults_when_sections_absent)
{
	config_t *c = config_new_default();
	CHECK(c);
	check_defaults(c);
	CHECK(c->path == NULL && c->n_people == 0 && c->n_hashtags == 0 && c->n_feeds == 0);
	CHECK(c->notices_file == NULL);
	config_free(c);

	c = parse_ok("# only a person\n[person \"piet\"]\nname = Piet\n");
	CHECK(c);
	check_defaults(c);
	CHECK_INT(c->n_people, 1);
	CHECK_INT(c->people[0].n_accounts, 0); /* photo/name only is allowed */
	config_free(c);

	c = parse_ok("");
	CHECK(c);
	check_defaults(c);
	config_free(c);
}

TEST(values_trimmed_quoted_and_utf8_verbatim)
{
	config_t *c = parse_ok("[person \"anne\"]\n"
	                       "   name   =   \"  Anne-Marie Çelik  \"   \n"
	                       "role = Burgemeester \xF0\x9F\x8F\x9B\n"
	                       "[display]\n"
	                       "organisation = Gemeente \"Súdwest-Fryslân\"\n");
	CHECK(c);
	CHECK_STR(c->people[0].name, "  Anne-Marie \xC3\x87" "elik  ");
	CHECK_STR(c->people[0].role, "Burgemeester \xF0\x9F\x8F\x9B");
	CHECK_STR(c->display.organisation, "Gemeente \"S\xC3\xBA" "dwest-Frysl\xC3\xA2n\"");
	config_free(c);
}

TEST(comments_crlf_and_bom)
{
	config_t *c = parse_ok("\xEF\xBB\xBF# comment\r\n"
	                       "; another\r\n"
	                       "   # indented comment\r\n"
	                       "[display]\r\n"
	                       "organisation = Stad # not a comment here\r\n"
	                       "rotate = 180\r\n");
	CHECK(c);
	CHECK_STR(c->display.organisation, "Stad # not a comment here");
	CHECK_INT(c->display.rotate, 180);
	config_free(c);
}

TEST(booleans_in_every_spelling)
{
	static const char *const yes[] = { "true", "yes", "on", "1", "TRUE", "Yes" };
	static const char *const no[] = { "false", "no", "off", "0", "False", "OFF" };
	for (size_t i = 0; i < 6; i++) {
		char *t = xasprintf("[display]\nsample = %s\nfullscreen = %s\n", yes[i], no[i]);
		config_t *c = parse_ok(t);
		free(t);
		CHECK(c);
		EXPECT(c->display.sample);
		EXPECT(!c->display.fullscreen);
		config_free(c);
	}
}

TEST(empty_list_and_languages_lowercased)
{
	config_t *c = parse_ok("[filter]\nblocked_words =\nlanguages = NL,En\n");
	CHECK(c);
	CHECK_INT(c->filter.n_blocked_words, 0);
	CHECK_INT(c->filter.n_languages, 2);
	CHECK_STR(c->filter.languages[0], "nl");
	CHECK_STR(c->filter.languages[1], "en");
	config_free(c);
}

/* ---- error messages, verbatim ------------------------------------------------ */

TEST(error_unknown_section_suggests)
{
	CHECK_ERR("[displya]\n", "t.conf:1: [displya]: unknown section (did you mean 'display'?)");
	CHECK_ERR("\n[persoon \"jan\"]\n",
	          "t.conf:2: [persoon \"jan\"]: unknown section (did you mean 'person'?)");
	CHECK_ERR("[organization \"g\"]\n",
	          "t.conf:1: [organization \"g\"]: unknown section (did you mean 'organisation'?)");
	CHECK_ERR("[scren]\n", "t.conf:1: [scren]: unknown section (did you mean 'screen'?)");
	CHECK_ERR("[monitor]\n", "t.conf:1: [monitor]: unknown section");
}

TEST(platform_sections_go_to_the_platform_module)
{
	char *err = NULL;
	const char *good = "[schedule]\nweekdays = 08:30-17:00\nsaturday = closed\n2026-12-25 = closed\n"
	                   "[screen]\npower = cec\n[board]\nprofile = pi4\n";
	config_t *c = config_parse(good, strlen(good), "t.conf", &err);
	CHECK(c != NULL);
	EXPECT(c->platform && c->platform->board_profile && strcmp(c->platform->board_profile, "pi4") == 0);
	EXPECT(c->platform->power == SCREENPOWER_CEC);
	config_free(c);
	CHECK_ERR("[schedule]\nweekdays = 8-17\n", "t.conf:2: [schedule] weekdays: \"8-17\": expected "
	          "HH:MM-HH:MM (several separated by commas), \"open\" or \"closed\"");
	CHECK_ERR("[screen]\npower = cec\npower = cec\n",
	          "t.conf:3: [screen] power: duplicate key (first set at line 2)");
}

TEST(error_unknown_key_suggests)
{
	CHECK_ERR("[network]\nintervl_s = 60\n",
	          "t.conf:2: [network] intervl_s: unknown key (did you mean 'interval_s'?)");
	CHECK_ERR("[network]\ninetrval_s = 60\n",
	          "t.conf:2: [network] inetrval_s: unknown key (did you mean 'interval_s'?)");
	CHECK_ERR("[person \"jan\"]\nmastadon = @jan@social.example\n",
	          "t.conf:2: [person \"jan\"] mastadon: unknown key (did you mean 'mastodon'?)");
	CHECK_ERR("[display]\ncolour = red\n", "t.conf:2: [display] colour: unknown key");
}

TEST(error_unknown_key_names_its_section)
{
	CHECK_ERR("[display]\ninterval_s = 60\n",
	          "t.conf:2: [display] interval_s: unknown key (it belongs in [network])");
	CHECK_ERR("[display]\nmastodon = @a@b.example\n",
	          "t.conf:2: [display] mastodon: unknown key (it belongs in [person \"ID\"])");
}

TEST(error_bad_integer)
{
	CHECK_ERR("[network]\ninterval_s = sixty\n",
	          "t.conf:2: [network] interval_s: 'sixty' is not a whole number");
	CHECK_ERR("[network]\ninterval_s = 60s\n",
	          "t.conf:2: [network] interval_s: '60s' is not a whole number");
	CHECK_ERR("[network]\ninterval_s = 60 # seconds\n",
	          "t.conf:2: [network] interval_s: '60 # seconds' is not a whole number");
	CHECK_ERR("[display]\nchars_per_second = fast\n",
	          "t.conf:2: [display] chars_per_second: 'fast' is not a number (e.g. 15 or 12.5)");
}

TEST(error_out_of_range)
{
	CHECK_ERR("[network]\ninterval_s = 5\n",
	          "t.conf:2: [network] interval_s: 5 is too small (minimum 15)");
	CHECK_ERR("[network]\ninterval_s = 86401\n",
	          "t.conf:2: [network] interval_s: 86401 is too large (maximum 86400)");
	CHECK_ERR("[network]\ninterval_s = 99999999999999999999999\n",
	          "t.conf:2: [network] interval_s: 99999999999999999999999 is too large (maximum 86400)");
	CHECK_ERR("[cache]\nmax_posts = -1\n", "t.conf:2: [cache] max_posts: -1 is too small (minimum 1)");
	CHECK_ERR("[display]\nchars_per_second = 0.5\n",
	          "t.conf:2: [display] chars_per_second: 0.5 is too small (minimum 1)");
	CHECK_ERR("[display]\ndwell_min_s = 30\n",
	          "t.conf:2: [display] dwell_min_s: 30 is more than dwell_max_s (25)");
	CHECK_ERR("[display]\ndwell_min_s = 10\ndwell_max_s = 9\n",
	          "t.conf:3: [display] dwell_max_s: 9 is less than dwell_min_s (10)");
}

TEST(error_bad_bool)
{
	CHECK_ERR("[display]\nsample = maybe\n",
	          "t.conf:2: [display] sample: 'maybe' is not a boolean (use true or false)");
	CHECK_ERR("[hashtag \"x\"]\nservers = a.example\nanyone = ja\n",
	          "t.conf:3: [hashtag \"x\"] anyone: 'ja' is not a boolean (use true or false)");
}

TEST(error_bad_rotate_language_theme)
{
	CHECK_ERR("[display]\nrotate = 45\n",
	          "t.conf:2: [display] rotate: must be 0, 90, 180 or 270 (got '45')");
	CHECK_ERR("[display]\nrotate = -90\n",
	          "t.conf:2: [display] rotate: must be 0, 90, 180 or 270 (got '-90')");
	CHECK_ERR("[display]\nlanguage = de\n", "t.conf:2: [display] language: must be nl or en (got 'de')");
	CHECK_ERR("[display]\ntheme = dark\n",
	          "t.conf:2: [display] theme: must be default or high-contrast (got 'dark')");
	CHECK_ERR("[display]\nquit_keys = q\n",
	          "t.conf:2: [display] quit_keys: 'q' is not a key combination (expected modifiers "
	          "ctrl, alt, shift or super and a key, e.g. ctrl+alt+shift+q)");
	CHECK_ERR("[display]\nquit_keys = ctrl+ctrl+q\n",
	          "t.conf:2: [display] quit_keys: 'ctrl+ctrl+q' is not a key combination (expected "
	          "modifiers ctrl, alt, shift or super and a key, e.g. ctrl+alt+shift+q)");
	CHECK_ERR("[filter]\nlanguages = nl, dutch\n",
	          "t.conf:2: [filter] languages: 'dutch' is not a language code (expected two letters "
	          "such as nl or en)");
}

TEST(api_versions_checked_and_kept)
{
	CHECK_ERR("[network]\nfacebook_graph_version = 25.0\n",
	          "t.conf:2: [network] facebook_graph_version: must look like v25.0 (got '25.0')");
	CHECK_ERR("[network]\nlinkedin_version = 2026-09\n",
	          "t.conf:2: [network] linkedin_version: must look like 202609 or 202609.01 (got '2026-09')");
	char *err = NULL;
	const char *good = "[network]\nfacebook_graph_version = v26.0\nlinkedin_version = 202610.01\n";
	config_t *c = config_parse(good, strlen(good), "t.conf", &err);
	CHECK(c != NULL);
	EXPECT(strcmp(c->network.facebook_graph_version, "v26.0") == 0);
	EXPECT(strcmp(c->network.linkedin_version, "202610.01") == 0);
	config_free(c);
	c = config_new_default();
	EXPECT(c->network.facebook_graph_version == NULL && c->network.linkedin_version == NULL);
	config_free(c);
}

TEST(house_colours_checked_and_kept)
{
	CHECK_ERR("[display]\naccent = red\n",
	          "t.conf:2: [display] accent: must be a colour #rrggbb such as #1d3557 (got 'red')");
	CHECK_ERR("[display]\nbackground = #12345g\n",
	          "t.conf:2: [display] background: must be a colour #rrggbb such as #1d3557 (got '#12345g')");
	char *err = NULL;
	const char *good = "[display]\nbackground = #FFFFFF\naccent = #c8102e\n";
	config_t *c = config_parse(good, strlen(good), "t.conf", &err);
	CHECK(c != NULL);
	EXPECT(strcmp(c->display.background, "#FFFFFF") == 0 && strcmp(c->display.accent, "#c8102e") == 0);
	EXPECT(c->display.panel == NULL && c->display.text_color == NULL);
	config_free(c);
}

TEST(error_duplicate_key)
{
	CHECK_ERR("[display]\nrotate = 90\n\nrotate = 180\n",
	          "t.conf:4: [display] rotate: duplicate key (first set at line 2)");
	CHECK_ERR("[person \"jan\"]\nmastodon = @jan@a.example\nmastodon = @jan@b.example\n",
	          "t.conf:3: [person \"jan\"] mastodon: duplicate key (first set at line 2)");
}

TEST(error_duplicate_section)
{
	CHECK_ERR("[display]\n[cache]\n[display]\n", "t.conf:3: [display]: duplicate section (first at line 1)");
	CHECK_ERR("[person \"jan\"]\n[organisation \"jan\"]\n",
	          "t.conf:2: [organisation \"jan\"]: duplicate section (first at line 1)");
	CHECK_ERR("[hashtag \"Raad\"]\nservers = a.example\n[hashtag \"#raad\"]\n",
	          "t.conf:3: [hashtag \"#raad\"]: duplicate section (first at line 1)");
}

TEST(error_section_header_syntax)
{
	CHECK_ERR("[display\n", "t.conf:1: missing ']' at the end of the section header");
	CHECK_ERR("# x\n[person \"jan\"\n", "t.conf:2: missing ']' at the end of the section header");
	CHECK_ERR("[display] # screen\n", "t.conf:1: unexpected text after ']' in the section header");
	CHECK_ERR("[]\n", "t.conf:1: empty section header");
	CHECK_ERR("[person jan]\n", "t.conf:1: the name in a section header is quoted: [person \"name\"]");
	CHECK_ERR("[person]\n", "t.conf:1: [person]: needs a name: [person \"ID\"]");
	CHECK_ERR("[display \"big\"]\n", "t.conf:1: [display \"big\"]: takes no name: write [display]");
}

TEST(error_key_outside_section)
{
	CHECK_ERR("# hello\ninterval_s = 60\n",
	          "t.conf:2: 'interval_s' is outside a section: put a section header such as [display] above it");
	CHECK_ERR("[display]\nfullscreen\n", "t.conf:2: expected key = value, got 'fullscreen'");
	CHECK_ERR("[display]\n= 3\n", "t.conf:2: missing key before '='");
}

TEST(error_empty_value_and_quote)
{
	CHECK_ERR("[person \"jan\"]\nphoto =\n",
	          "t.conf:2: [person \"jan\"] photo: empty value (leave the key out to use the default)");
	CHECK_ERR("[person \"jan\"]\nx_token = \"\"\n",
	          "t.conf:2: [person \"jan\"] x_token: empty value (leave the key out to use the default)");
	CHECK_ERR("[person \"jan\"]\nname = \"Jan\n", "t.conf:2: [person \"jan\"] name: missing closing '\"'");
}

TEST(error_hashtag_without_servers)
{
	CHECK_ERR("[hashtag \"twitampt\"]\nanyone = true\n\n[display]\n",
	          "t.conf:1: [hashtag \"twitampt\"]: no servers to ask: set servers = HOST, ... "
	          "(e.g. social.overheid.nl)");
	CHECK_ERR("[hashtag \"twitampt\"]\nservers =\n",
	          "t.conf:2: [hashtag \"twitampt\"] servers: no servers to ask: set servers = HOST, ... "
	          "(e.g. social.overheid.nl)");
	CHECK_ERR("[hashtag \"twitampt\"]\nservers = a.example, , b.example\n",
	          "t.conf:2: [hashtag \"twitampt\"] servers: empty item in the list (items are separated by commas)");
	CHECK_ERR("[hashtag \"x\"]\nservers = a.example, https://A.example/\n",
	          "t.conf:2: [hashtag \"x\"] servers: https://A.example/ is listed twice");
	CHECK_ERR("[hashtag \"twit ampt\"]\nservers = a.example\n",
	          "t.conf:1: [hashtag \"twit ampt\"]: 'twit ampt' is not a hashtag (letters, digits and _); "
	          "name the section after the tag or set tag = ...");
}

TEST(hashtag_tokens_and_bluesky)
{
	CHECK_ERR("[hashtag \"raad\"]\nnetwork = bluesky\n",
	          "t.conf:1: [hashtag \"raad\"]: a Bluesky hashtag needs an app password: set bluesky_password = FILE");
	CHECK_ERR("[hashtag \"raad\"]\nnetwork = bluesky\nservers = bsky.social\nbluesky_password = p\n",
	          "t.conf:3: [hashtag \"raad\"] servers: Bluesky hashtags are searched through [network] "
	          "bluesky_login; servers is for Mastodon hashtags");
	CHECK_ERR("[hashtag \"raad\"]\nnetwork = threads\n",
	          "t.conf:2: [hashtag \"raad\"] network: must be mastodon or bluesky (got 'threads')");
	CHECK_ERR("[hashtag \"raad\"]\nservers = a.example, b.example\nmastodon_token = t\n",
	          "t.conf:3: [hashtag \"raad\"] mastodon_token: a token belongs to one server, but 2 servers "
	          "are listed: give each server its own [hashtag] section with tag = raad");
	CHECK_ERR("[hashtag \"raad\"]\nservers = a.example\nbluesky_password = t\n",
	          "t.conf:3: [hashtag \"raad\"] bluesky_password: bluesky_password is for Bluesky hashtags "
	          "(network = bluesky); a Mastodon server takes mastodon_token = FILE");

	/* one tag, a token per server: two sections with tag = */
	config_t *c = parse_ok("[hashtag \"raad-a\"]\ntag = #Raad\nservers = a.example\nmastodon_token = /t/a\n"
	                       "[hashtag \"raad-b\"]\ntag = raad\nservers = b.example\n");
	CHECK(c);
	CHECK_INT(c->n_hashtags, 2);
	CHECK_STR(c->hashtags[0].tag, "Raad");
	CHECK_STR(c->hashtags[0].token_file, "/t/a");
	CHECK(c->hashtags[1].token_file == NULL);
	config_free(c);
	CHECK_ERR("[hashtag \"raad-a\"]\ntag = raad\nservers = a.example\n"
	          "[hashtag \"raad-b\"]\ntag = RAAD\nservers = b.example, a.example\n",
	          "t.conf:6: [hashtag \"raad-b\"] servers: the hashtag #RAAD on a.example is already "
	          "configured in [hashtag \"raad-a\"] at line 3");
}

TEST(error_http_to_non_loopback)
{
	CHECK_ERR("[person \"jan\"]\nmastodon = @jan@http://social.example\n",
	          "t.conf:2: [person \"jan\"] mastodon: plain http is only allowed to loopback addresses; use https://");
	CHECK_ERR("[hashtag \"x\"]\nservers = http://10.0.0.5:3000\n",
	          "t.conf:2: [hashtag \"x\"] servers: plain http is only allowed to loopback addresses; use https://");
	CHECK_ERR("[network]\nx_api = http://api.x.com\n",
	          "t.conf:2: [network] x_api: plain http is only allowed to loopback addresses; use https://");
	CHECK_ERR("[network]\nx_api = http://127.evil.example\n",
	          "t.conf:2: [network] x_api: plain http is only allowed to loopback addresses; use https://");
	CHECK_ERR("[feed \"n\"]\nurl = http://www.example.nl/rss\n",
	          "t.conf:2: [feed \"n\"] url: plain http is only allowed to loopback addresses; use https://");
	CHECK_ERR("[network]\nx_api = https://api.x.com/2\n",
	          "t.conf:2: [network] x_api: 'https://api.x.com/2' is not a server (expected a host name "
	          "such as social.example, or an https:// URL)");
	CHECK_ERR("[network]\nx_api = ftp://api.x.com\n",
	          "t.conf:2: [network] x_api: 'ftp://api.x.com' is not a server (expected a host name "
	          "such as social.example, or an https:// URL)");
	CHECK_ERR("[network]\nx_api = https://host:99999\n",
	          "t.conf:2: [network] x_api: 'https://host:99999' is not a server (expected a host name "
	          "such as social.example, or an https:// URL)");
	/* loopback over plain http is fine */
	config_t *c = parse_ok("[network]\nx_api = http://localhost:9000/\n"
	                       "[feed \"n\"]\nurl = http://127.0.0.1:8000/feed.xml\n");
	CHECK(c);
	CHECK_STR(c->network.x_api, "http://localhost:9000");
	CHECK_STR(c->feeds[0].url, "http://127.0.0.1:8000/feed.xml");
	config_free(c);
}

TEST(error_bad_handles)
{
	CHECK_ERR("[person \"jan\"]\nmastodon = jan\n",
	          "t.conf:2: [person \"jan\"] mastodon: 'jan' is not a Mastodon handle (expected @user@server)");
	CHECK_ERR("[person \"jan\"]\nmastodon = @jan@social example\n",
	          "t.conf:2: [person \"jan\"] mastodon: 'social example' is not a server (expected a host "
	          "name such as social.example, or an https:// URL)");
	CHECK_ERR("[person \"jan\"]\nbluesky = @jan\n",
	          "t.conf:2: [person \"jan\"] bluesky: '@jan' is not a Bluesky handle (expected "
	          "@name.bsky.social, @name.example.nl or a did:plc: id)");
	CHECK_ERR("[person \"jan\"]\nx = @jan.devries\n",
	          "t.conf:2: [person \"jan\"] x: '@jan.devries' is not an X user name (expected @name: "
	          "letters, digits and _, at most 15)");
	CHECK_ERR("[organisation \"g\"]\nlinkedin = gemeente-voorbeeld\n",
	          "t.conf:2: [organisation \"g\"] linkedin: 'gemeente-voorbeeld' is not a LinkedIn "
	          "organisation id (expected the number in linkedin.com/company/ID/admin/)");
	CHECK_ERR("[organisation \"g\"]\nfacebook = https://facebook.com/gemeente\n",
	          "t.conf:2: [organisation \"g\"] facebook: 'https://facebook.com/gemeente' is not a "
	          "Facebook Page id (expected the Page's number or user name)");
}

TEST(error_token_without_account)
{
	CHECK_ERR("[person \"jan\"]\nx_token = /etc/balie/x\nmastodon = @jan@a.example\n",
	          "t.conf:2: [person \"jan\"] x_token: there is no x account in this section (add x = ...)");
	CHECK_ERR("[person \"jan\"]\nbluesky_password = /p\n[display]\n",
	          "t.conf:2: [person \"jan\"] bluesky_password: there is no bluesky account in this section "
	          "(add bluesky = ...)");
	/* the token may come before its account */
	config_t *c = parse_ok("[person \"jan\"]\nx_token = /etc/balie/x\nx = jan\n");
	CHECK(c);
	CHECK_STR(c->people[0].accounts[0].token_file, "/etc/balie/x");
	config_free(c);
}

TEST(error_feed_and_notices_incomplete)
{
	CHECK_ERR("[feed \"nieuws\"]\nname = Nieuws\n", "t.conf:1: [feed \"nieuws\"]: no url: set url = https://...");
	CHECK_ERR("[notices]\n", "t.conf:1: [notices]: no file: set file = PATH");
	CHECK_ERR("[feed \"n\"]\nurl = www.example.nl/rss\n",
	          "t.conf:2: [feed \"n\"] url: 'www.example.nl/rss' is not an https:// URL");
}

TEST(error_invalid_utf8_nul_and_control)
{
	CHECK_ERR("[person \"jan\"]\nname = Jan\nrole = Wethouder \xE9\n",
	          "t.conf:3: invalid UTF-8 (save the file as UTF-8)");
	CHECK_ERR("[display]\norganisation = \xC0\xAF\n", "t.conf:2: invalid UTF-8 (save the file as UTF-8)");
	CHECK_ERR("[display]\norganisation = \xED\xA0\x80\n", "t.conf:2: invalid UTF-8 (save the file as UTF-8)");
	CHECK_ERR("[display]\norganisation = \xED\xBF\xBF\n", "t.conf:2: invalid UTF-8 (save the file as UTF-8)");
	CHECK_ERR("[display]\norganisation = \xF4\x90\x80\x80\n", "t.conf:2: invalid UTF-8 (save the file as UTF-8)");
	CHECK_ERR("[display]\norganisation = \xF0\x9F\x8F\n", "t.conf:2: invalid UTF-8 (save the file as UTF-8)");
	CHECK_ERR("[display]\norganisation = a\x1b[31mred\n", "t.conf:2: control character 0x1B in the file");
	char *err = NULL;
	static const char nul[] = "[display]\n\norganisation = a\0b\n";
	config_t *c = config_parse(nul, sizeof nul - 1, "t.conf", &err);
	CHECK(c == NULL);
	CHECK_STR(err, "t.conf:3: NUL byte in the file (is this a text file?)");
	free(err);
}

TEST(error_same_account_twice)
{
	CHECK_ERR("[person \"jan\"]\nmastodon = @jan@social.example\n\n"
	          "[person \"piet\"]\nname = Piet\nmastodon = jan@https://Social.Example/\n",
	          "t.conf:6: [person \"piet\"] mastodon: the mastodon account jan@https://Social.Example/ "
	          "is already configured in [person \"jan\"] at line 2");
	CHECK_ERR("[person \"a\"]\nbluesky = @jan.bsky.social\n[organisation \"b\"]\nbluesky = Jan.bsky.social\n",
	          "t.conf:4: [organisation \"b\"] bluesky: the bluesky account Jan.bsky.social is already "
	          "configured in [person \"a\"] at line 2");
	/* the same user on two servers are two accounts */
	config_t *c = parse_ok("[person \"a\"]\nmastodon = @jan@a.example\n[person \"b\"]\nmastodon = @jan@b.example\n");
	CHECK(c);
	config_free(c);
}

TEST(error_long_value_is_shortened_in_message)
{
	char *long_value = xmalloc(301);
	memset(long_value, 'a', 300);
	long_value[300] = '\0';
	char *text = xasprintf("[network]\ninterval_s = %s\n", long_value);
	char *want = xasprintf("t.conf:2: [network] interval_s: '%.60s\xE2\x80\xA6' is not a whole number", long_value);
	char *e = parse_err(text);
	free(long_value);
	free(text);
	EXPECT(e && strcmp(e, want) == 0);
	if (e && strcmp(e, want) != 0)
		printf("      got %s\n", e);
	free(e);
	free(want);
}

TEST(error_limits)
{
	char *big = xmalloc(70000);
	memset(big, 'a', 69999);
	big[69999] = '\0';
	char *text = xasprintf("[display]\norganisation = %s\n", big), *text2;
	char *e = parse_err(text);
	EXPECT(e && strcmp(e, "t.conf:2: line is longer than 65536 bytes") == 0);
	free(e);
	free(text);
	big[129] = '\0';
	text = xasprintf("\n[person \"%s\"]\n", big);
	e = parse_err(text);
	EXPECT(e && strcmp(e, "t.conf:2: the section name is longer than 128 bytes") == 0);
	free(e);
	big[200] = 'a';
	big[300] = '\0';
	text2 = xasprintf("[%s]\n", big);
	e = parse_err(text2);
	char *want = xasprintf("t.conf:1: [%.60s\xE2\x80\xA6]: unknown section", big);
	EXPECT(e && strcmp(e, want) == 0);
	free(want);
	free(e);
	free(text2);
	free(text);
	free(big);
	CHECK_ERR("[person \"a\"b\"]\n", "t.conf:1: a section name cannot contain '\"'");
	CHECK_ERR("[display]\nchars_per_second = 250\n",
	          "t.conf:2: [display] chars_per_second: 250 is too large (maximum 100)");
	CHECK_ERR("[hashtag \"raad\"]\nnetwork = bluesky\nmastodon_token = /t\n",
	          "t.conf:3: [hashtag \"raad\"] mastodon_token: this is a Bluesky hashtag; use bluesky_password = FILE");
}

/* ---- files -------------------------------------------------------------------- */

TEST(load_missing_file)
{
	char *err = NULL;
	config_t *c = config_load("/nonexistent/balie.conf", &err);
	CHECK(c == NULL);
	CHECK_STR(err, "/nonexistent/balie.conf: cannot read: No such file or directory");
	free(err);
	c = config_load(test_fixture_dir(), &err);
	CHECK(c == NULL);
	char *want = xasprintf("%s: cannot read: %s", test_fixture_dir(), strerror(EISDIR));
	EXPECT(strcmp(err, want) == 0);
	free(want);
	free(err);

	/* a FIFO is refused instead of blocking; a huge file is refused unread */
	char dir[] = "/tmp/balie-test-config-XXXXXX";
	CHECK(mkdtemp(dir));
	char *fifo = xasprintf("%s/fifo.conf", dir), *huge = xasprintf("%s/huge.conf", dir);
	CHECK(mkfifo(fifo, 0600) == 0);
	alarm(10); /* a regression would block in open(): fail instead of hanging the run */
	c = config_load(fifo, &err);
	alarm(0);
	want = xasprintf("%s: cannot read: not a regular file", fifo);
	EXPECT(c == NULL && err && strcmp(err, want) == 0);
	free(want);
	free(err);
	FILE *f = fopen(huge, "w");
	CHECK(f);
	for (int i = 0; i < 40000; i++)
		fputs("# a comment line that pads the file out\n", f);
	fclose(f);
	c = config_load(huge, &err);
	want = xasprintf("%s: cannot read: larger than 1024 KiB, not a configuration file", huge);
	EXPECT(c == NULL && err && strcmp(err, want) == 0);
	free(want);
	free(err);
	unlink(fifo);
	unlink(huge);
	rmdir(dir);
	free(fifo);
	free(huge);
}

TEST(load_reports_file_name_and_line)
{
	char dir[] = "/tmp/balie-test-config-XXXXXX";
	CHECK(mkdtemp(dir));
	char *path = xasprintf("%s/bad.conf", dir);
	FILE *f = fopen(path, "w");
	CHECK(f);
	fputs("[display]\nrotate = 90\n[network]\ninterval_s = 10\n", f);
	fclose(f);
	char *err = NULL;
	config_t *c = config_load(path, &err);
	char *want = xasprintf("%s:4: [network] interval_s: 10 is too small (minimum 15)", path);
	EXPECT(c == NULL);
	EXPECT(err && strcmp(err, want) == 0);
	free(err);
	free(want);
	config_free(c);

	/* relative paths are rebased on the file's directory, absolute ones kept */
	f = fopen(path, "w");
	CHECK(f);
	fputs("[person \"a\"]\nphoto = a.png\n[display]\nlogo = /abs/logo.png\nfont = fonts/x.ttf\n", f);
	fclose(f);
	c = config_load(path, &err);
	CHECK(c);
	char *photo = xasprintf("%s/a.png", dir), *font = xasprintf("%s/fonts/x.ttf", dir);
	EXPECT(strcmp(c->people[0].photo, photo) == 0);
	EXPECT(strcmp(c->display.font, font) == 0);
	EXPECT(strcmp(c->display.logo, "/abs/logo.png") == 0);
	free(photo);
	free(font);
	config_free(c);
	unlink(path);
	rmdir(dir);
	free(path);
}

TEST(bundled_configs_parse)
{
	static const char *const files[] = { "assets/balie.conf", "assets/balie.conf.example" };
	for (size_t i = 0; i < 2; i++) {
		char *err = NULL;
		config_t *c = config_load(files[i], &err);
		if (!c)
			printf("      %s\n", err);
		EXPECT(c != NULL);
		free(err);
		if (c && i == 0) {
			EXPECT(c->display.sample);
			EXPECT(c->n_people == 10); /* 3 real accounts, 7 people of the sample feed */
			EXPECT(config_person(c, "digitale-overheid") != NULL);
		}
		if (c && i == 1) {
			/* the example shows every setting with its default value */
			check_defaults(c);
			EXPECT(c->n_people == 2 && c->n_hashtags == 2 && c->n_feeds == 1);
			EXPECT(c->notices_file != NULL);
		}
		config_free(c);
	}
}

/* ---- handles and the command line ------------------------------------------------ */

TEST(mastodon_handle_split_forms)
{
	static const struct { const char *in, *user, *server; } ok[] = {
		{ "@jan@social.overheid.nl", "jan", "https://social.overheid.nl" },
		{ "jan@social.overheid.nl", "jan", "https://social.overheid.nl" },
		{ "@gemeente@http://127.0.0.1:8970", "gemeente", "http://127.0.0.1:8970" },
		{ "@a_b@https://social.example:8443/", "a_b", "https://social.example:8443" },
		{ "@x@localhost:3000", "x", "https://localhost:3000" },
		{ "@x@http://[::1]:8080", "x", "http://[::1]:8080" },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		char *u = NULL, *s = NULL, *e = NULL;
		bool r = mastodon_handle_split(ok[i].in, &u, &s, &e);
		if (!r)
			printf("      %s: %s\n", ok[i].in, e);
		CHECK(r);
		CHECK_STR(u, ok[i].user);
		CHECK_STR(s, ok[i].server);
		free(u);
		free(s);
	}
	static const struct { const char *in, *err; } bad[] = {
		{ "@jan", "'@jan' is not a Mastodon handle (expected @user@server)" },
		{ "", "'' is not a Mastodon handle (expected @user@server)" },
		{ "@@social.example", "'@@social.example' is not a Mastodon handle (expected @user@server)" },
		{ "@jan@", "'@jan@' is not a Mastodon handle (expected @user@server)" },
		{ "@j an@social.example", "'@j an@social.example' is not a Mastodon handle (expected @user@server)" },
		{ "@jan@http://social.example", "plain http is only allowed to loopback addresses; use https://" },
		{ "@jan@a@b", "'a@b' is not a server (expected a host name such as social.example, or an https:// URL)" },
		{ "@jan@https://social.example/@jan", "'https://social.example/@jan' is not a server (expected a "
		  "host name such as social.example, or an https:// URL)" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *u = (char *)"x", *s = (char *)"x", *e = NULL;
		CHECK(!mastodon_handle_split(bad[i].in, &u, &s, &e));
		CHECK(u == NULL && s == NULL);
		CHECK_STR(e, bad[i].err);
		free(e);
	}
}

TEST(cli_account_builds_a_person)
{
	config_t *c = config_new_default();
	char *err = NULL;
	CHECK(config_add_cli_account(c, "@gemeente@http://127.0.0.1:8970", &err));
	CHECK(config_add_cli_account(c, "jan@social.overheid.nl", &err));
	CHECK_INT(c->n_people, 2);
	const config_person_t *p = config_person(c, "gemeente@http://127.0.0.1:8970");
	CHECK(p);
	CHECK(p->name == NULL && p->role == NULL && p->photo == NULL && !p->organisation);
	CHECK_INT(p->n_accounts, 1);
	CHECK_INT(p->accounts[0].network, NET_MASTODON);
	CHECK_STR(p->accounts[0].handle, "@gemeente@http://127.0.0.1:8970");
	CHECK(p->accounts[0].token_file == NULL);
	CHECK(config_person(c, "jan@social.overheid.nl"));

	CHECK(!config_add_cli_account(c, "@jan@http://social.overheid.nl", &err));
	CHECK_STR(err, "--account: plain http is only allowed to loopback addresses; use https://");
	free(err);
	CHECK(!config_add_cli_account(c, "jan", &err));
	CHECK_STR(err, "--account: 'jan' is not a Mastodon handle (expected @user@server)");
	free(err);
	CHECK(!config_add_cli_account(c, "@JAN@https://social.overheid.nl", &err));
	CHECK_STR(err, "--account: @JAN@https://social.overheid.nl is already configured");
	free(err);
	CHECK_INT(c->n_people, 2);
	config_free(c);
}

TEST(cli_account_next_to_config_file)
{
	config_t *c = parse_ok("[person \"jan\"]\nmastodon = @jan@social.example\n");
	CHECK(c);
	char *err = NULL;
	CHECK(!config_add_cli_account(c, "jan@social.example", &err));
	CHECK_STR(err, "--account: jan@social.example is already configured");
	free(err);
	CHECK(config_add_cli_account(c, "@piet@social.example", &err));
	CHECK_INT(c->n_people, 2);
	config_free(c);
}

TEST(cli_hashtag_builds_a_hashtag)
{
	config_t *c = config_new_default();
	char *err = NULL;
	CHECK(config_add_cli_hashtag(c, "twitampt@social.overheid.nl", &err));
	CHECK(config_add_cli_hashtag(c, "#TwitAmpt@http://127.0.0.1:8970", &err));
	CHECK_INT(c->n_hashtags, 2);
	const config_hashtag_t *h = &c->hashtags[0];
	CHECK_STR(h->tag, "twitampt");
	CHECK_INT(h->network, NET_MASTODON);
	CHECK(h->anyone);
	CHECK_INT(h->n_servers, 1);
	CHECK_STR(h->servers[0], "https://social.overheid.nl");
	CHECK(h->token_file == NULL);
	h = &c->hashtags[1];
	CHECK_STR(h->tag, "TwitAmpt");
	CHECK_STR(h->servers[0], "http://127.0.0.1:8970");

	CHECK(!config_add_cli_hashtag(c, "twitampt@http://10.1.2.3", &err));
	CHECK_STR(err, "--hashtag: plain http is only allowed to loopback addresses; use https://");
	free(err);
	CHECK(!config_add_cli_hashtag(c, "twitampt", &err));
	CHECK_STR(err, "--hashtag: 'twitampt' is not TAG@SERVER (e.g. twitampt@social.overheid.nl)");
	free(err);
	CHECK(!config_add_cli_hashtag(c, "twit-ampt@social.example", &err));
	CHECK_STR(err, "--hashtag: 'twit-ampt@social.example' is not TAG@SERVER (e.g. twitampt@social.overheid.nl)");
	free(err);
	CHECK(!config_add_cli_hashtag(c, "TWITAMPT@https://social.overheid.nl/", &err));
	CHECK_STR(err, "--hashtag: #TWITAMPT on social.overheid.nl is already configured");
	free(err);
	CHECK_INT(c->n_hashtags, 2);
	config_free(c);
}

/* ---- sources ------------------------------------------------------------------- */

static const source_spec_t *find_spec(source_spec_t **v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i]->key, key) == 0)
			return v[i];
	return NULL;
}

TEST(sources_expand_every_account_hashtag_feed_and_notices)
{
	char *path = fixture("config-full.conf");
	char *err = NULL;
	config_t *c = config_load(path, &err);
	free(path);
	CHECK(c);
	source_spec_t **v = NULL;
	size_t n = config_sources(c, &v);
	/* 3 + 3 accounts, 3 Mastodon tag servers + 1 Bluesky tag, 1 feed, notices */
	CHECK_INT(n, 12);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++)
			CHECK(strcmp(v[i]->key, v[j]->key) != 0);
		/* the notices file is a local stat(2): polled every 15 s */
		EXPECT(v[i]->interval_s == (v[i]->kind == SRC_NOTICES ? 15 : 120));
		EXPECT(v[i]->include_replies && !v[i]->include_boosts && !v[i]->public_only);
	}

	const source_spec_t *s = find_spec(v, n, "mastodon:@jan@social.overheid.nl");
	CHECK(s);
	CHECK_INT(s->kind, SRC_ACCOUNT);
	CHECK_INT(s->network, NET_MASTODON);
	CHECK_STR(s->person, "jan");
	CHECK_STR(s->handle, "Jan");
	CHECK_STR(s->server, "https://social.overheid.nl");
	CHECK_STR(s->token_file, "/etc/balie/tokens/overheid");

	s = find_spec(v, n, "bluesky:@jan.gemeente.nl");
	CHECK(s);
	CHECK_STR(s->handle, "jan.gemeente.nl");
	CHECK_STR(s->server, "http://127.0.0.1:8971");
	CHECK(s->token_file == NULL);

	s = find_spec(v, n, "x:@jandevries");
	CHECK(s);
	CHECK_STR(s->handle, "JanDeVries");
	CHECK_STR(s->server, "https://api.x.example");
	CHECK(s->token_file && strstr(s->token_file, "/tokens/x"));

	s = find_spec(v, n, "facebook:123456789");
	CHECK(s);
	CHECK_STR(s->person, "gemeente");
	CHECK_STR(s->handle, "123456789");
	CHECK_STR(s->server, "https://graph.example:8443");
	CHECK_STR(s->token_file, "/etc/balie/tokens/facebook");

	s = find_spec(v, n, "linkedin:98765");
	CHECK(s);
	CHECK_STR(s->server, "https://[::1]:8443");
	CHECK_STR(s->token_file, "/etc/balie/tokens/linkedin");

	s = find_spec(v, n, "mastodon:@gemeente@http://127.0.0.1:8970");
	CHECK(s);
	CHECK_STR(s->handle, "gemeente");
	CHECK_STR(s->server, "http://127.0.0.1:8970");

	s = find_spec(v, n, "mastodon-tag:twitampt@social.overheid.nl");
	CHECK(s);
	CHECK_INT(s->kind, SRC_HASHTAG);
	CHECK(s->person == NULL);
	CHECK_STR(s->handle, "twitampt");
	CHECK_STR(s->server, "https://social.overheid.nl");
	CHECK(find_spec(v, n, "mastodon-tag:twitampt@mastodon.social"));
	s = find_spec(v, n, "mastodon-tag:twitampt@http://127.0.0.1:8970");
	CHECK(s);
	CHECK_STR(s->server, "http://127.0.0.1:8970");

	s = find_spec(v, n, "bluesky-tag:raad@pds.example.nl");
	CHECK(s);
	CHECK_INT(s->network, NET_BLUESKY);
	CHECK_STR(s->handle, "raad");
	CHECK_STR(s->server, "https://pds.example.nl");
	CHECK_STR(s->token_file, "/etc/balie/tokens/bsky-app-password");

	s = find_spec(v, n, "rss:nieuws");
	CHECK(s);
	CHECK_INT(s->kind, SRC_FEED);
	CHECK_INT(s->network, NET_RSS);
	CHECK_STR(s->handle, "https://www.example.nl/nieuws.rss");
	CHECK(s->server == NULL && s->person == NULL);

	CHECK_INT(v[n - 1]->kind, SRC_NOTICES);
	CHECK_INT(v[n - 1]->network, NET_NOTICE);
	CHECK(strncmp(v[n - 1]->key, "notice:", 7) == 0);
	CHECK_STR(v[n - 1]->key + 7, c->notices_file);
	CHECK_STR(v[n - 1]->handle, c->notices_file);

	/* lookups from a source key back to its section */
	const config_hashtag_t *h = config_hashtag_for_source(c, "mastodon-tag:twitampt@mastodon.social");
	CHECK(h == &c->hashtags[0]);
	CHECK(config_hashtag_for_source(c, "bluesky-tag:raad@pds.example.nl") == &c->hashtags[1]);
	CHECK(config_hashtag_for_source(c, "mastodon-tag:other@mastodon.social") == NULL);
	CHECK(config_feed_for_source(c, "rss:nieuws") == &c->feeds[0]);
	CHECK(config_feed_for_source(c, "rss:other") == NULL);
	CHECK(config_feed_for_source(c, "mastodon:@jan@social.overheid.nl") == NULL);

	config_sources_free(v, n);
	config_free(c);
}

TEST(sources_defaults_and_cli)
{
	config_t *c = config_new_default();
	source_spec_t **v = NULL;
	CHECK_INT(config_sources(c, &v), 0);
	config_sources_free(v, 0);

	char *err = NULL;
	CHECK(config_add_cli_account(c, "@gemeente@http://127.0.0.1:8970", &err));
	CHECK(config_add_cli_hashtag(c, "raad@http://127.0.0.1:8970", &err));
	size_t n = config_sources(c, &v);
	CHECK_INT(n, 2);
	CHECK_STR(v[0]->key, "mastodon:@gemeente@http://127.0.0.1:8970");
	CHECK_STR(v[0]->person, "gemeente@http://127.0.0.1:8970");
	CHECK_STR(v[0]->handle, "gemeente");
	CHECK_STR(v[0]->server, "http://127.0.0.1:8970");
	CHECK_INT(v[0]->interval_s, 60);
	CHECK(!v[0]->include_replies && v[0]->include_boosts && v[0]->public_only);
	CHECK_STR(v[1]->key, "mastodon-tag:raad@http://127.0.0.1:8970");
	CHECK(config_hashtag_for_source(c, v[1]->key)->anyone);
	config_sources_free(v, n);
	config_free(c);
}

/* ---- per-source settings --------------------------------------------------------- */

/* Source sections first, the global sections after them: a section's
 * settings override the globals wherever either stands in the file. */
static const char per_source_conf[] =
	"[person \"jan\"]\n"
	"mastodon = @jan@social.overheid.nl\n"
	"bluesky = @jan.gemeente.nl\n"
	"interval_s = 300\n"
	"replies = yes\n"
	"boosts = no\n"
	"languages =\n"
	"blocked_words = verkiezingen, peiling\n"
	"max_age_days = 0\n"
	"\n"
	"[organisation \"gemeente\"]\n"
	"mastodon = @gemeente@social.overheid.nl\n"
	"\n"
	"[hashtag \"raad\"]\n"
	"servers = social.overheid.nl, mastodon.social\n"
	"interval_s = 900\n"
	"sensitive = false\n"
	"public_only = false\n"
	"\n"
	"[feed \"nieuws\"]\n"
	"url = https://www.example.nl/nieuws.rss\n"
	"bots = off\n"
	"languages = en\n"
	"max_age_days = 3\n"
	"\n"
	"[network]\n"
	"interval_s = 120\n"
	"\n"
	"[filter]\n"
	"replies = false\n"
	"boosts = true\n"
	"languages = nl, fy\n"
	"blocked_words = spam\n"
	"max_age_days = 14\n";

TEST(source_sections_set_their_own_interval_and_filters)
{
	config_t *c = parse_ok(per_source_conf);
	CHECK(c);
	source_spec_t **v = NULL;
	size_t n = config_sources(c, &v);
	CHECK_INT(n, 6);
	/* the person's settings hold for each of their accounts */
	const char *jan[] = { "mastodon:@jan@social.overheid.nl", "bluesky:@jan.gemeente.nl" };
	for (size_t i = 0; i < 2; i++) {
		const source_spec_t *s = find_spec(v, n, jan[i]);
		CHECK(s);
		CHECK_INT(s->interval_s, 300);
		CHECK(s->include_replies && !s->include_boosts && s->public_only);
	}
	/* a section that sets nothing follows [network] and [filter] */
	const source_spec_t *s = find_spec(v, n, "mastodon:@gemeente@social.overheid.nl");
	CHECK(s);
	CHECK_INT(s->interval_s, 120);
	CHECK(!s->include_replies && s->include_boosts && s->public_only);
	/* a hashtag's settings hold for every server */
	const char *raad[] = { "mastodon-tag:raad@social.overheid.nl", "mastodon-tag:raad@mastodon.social" };
	for (size_t i = 0; i < 2; i++) {
		s = find_spec(v, n, raad[i]);
		CHECK(s);
		CHECK_INT(s->interval_s, 900);
		CHECK(!s->include_replies && s->include_boosts && !s->public_only);
	}
	s = find_spec(v, n, "rss:nieuws");
	CHECK(s);
	CHECK_INT(s->interval_s, 120);
	config_sources_free(v, n);

	/* the filters the feed applies to each source's posts */
	config_filter_t f;
	const config_source_opts_t *o = config_source_opts(c, "bluesky:@jan.gemeente.nl");
	CHECK(o && o == config_source_opts(c, "mastodon:@jan@social.overheid.nl"));
	config_filter_for(c, o, &f);
	CHECK(f.replies && !f.boosts && f.sensitive && f.bots && f.public_only);
	CHECK_INT(f.n_languages, 0);   /* "languages =": every language, over [filter]'s nl, fy */
	CHECK_INT(f.max_age_days, 0);  /* 0 set here: no limit, over [filter]'s 14 */
	CHECK_INT(f.n_blocked_words, 1); /* [filter]'s, and the section's on top */
	CHECK_STR(f.blocked_words[0], "spam");
	CHECK_INT(o->n_blocked_words, 2);
	CHECK_STR(o->blocked_words[1], "peiling");

	o = config_source_opts(c, "mastodon-tag:raad@mastodon.social");
	CHECK(o && o == &c->hashtags[0].opts);
	config_filter_for(c, o, &f);
	CHECK(!f.replies && f.boosts && !f.sensitive && f.bots && !f.public_only);
	CHECK_INT(f.n_languages, 2);
	CHECK_INT(f.max_age_days, 14);

	o = config_source_opts(c, "rss:nieuws");
	CHECK(o && o == &c->feeds[0].opts);
	config_filter_for(c, o, &f);
	CHECK(!f.bots && f.sensitive);
	CHECK_INT(f.n_languages, 1);
	CHECK_STR(f.languages[0], "en");
	CHECK_INT(f.max_age_days, 3);

	o = config_source_opts(c, "mastodon:@gemeente@social.overheid.nl");
	CHECK(o);
	config_filter_for(c, o, &f);
	CHECK(!f.replies && f.boosts && f.max_age_days == 14 && f.n_languages == 2);

	/* sources without a section: the command line's, unknown keys */
	CHECK(config_source_opts(c, "mastodon:@niemand@social.overheid.nl") == NULL);
	CHECK(config_source_opts(c, NULL) == NULL);
	config_filter_for(c, NULL, &f);
	CHECK(!f.replies && f.max_age_days == 14);
	char *err = NULL;
	CHECK(config_add_cli_account(c, "@piet@social.overheid.nl", &err));
	CHECK(config_source_opts(c, "mastodon:@piet@social.overheid.nl") == &c->people[c->n_people - 1].opts);
	config_free(c);
}

TEST(error_source_section_settings_are_checked_like_the_globals)
{
	CHECK_ERR("[person \"jan\"]\nmastodon = @jan@s.example\ninterval_s = 5\n",
	          "t.conf:3: [person \"jan\"] interval_s: 5 is too small (minimum 15)");
	CHECK_ERR("[organisation \"g\"]\ninterval_s = 100000\n",
	          "t.conf:2: [organisation \"g\"] interval_s: 100000 is too large (maximum 86400)");
	CHECK_ERR("[person \"jan\"]\nreplies = soms\n",
	          "t.conf:2: [person \"jan\"] replies: 'soms' is not a boolean (use true or false)");
	CHECK_ERR("[feed \"n\"]\nurl = https://n.example/rss\nlanguages = nederlands\n",
	          "t.conf:3: [feed \"n\"] languages: 'nederlands' is not a language code (expected two "
	          "letters such as nl or en)");
	CHECK_ERR("[hashtag \"raad\"]\nservers = s.example\nmax_age_days = 4000\n",
	          "t.conf:3: [hashtag \"raad\"] max_age_days: 4000 is too large (maximum 3650)");
	CHECK_ERR("[hashtag \"raad\"]\nservers = s.example\nblocked_words = a,,b\n",
	          "t.conf:3: [hashtag \"raad\"] blocked_words: empty item in the list (items are separated by commas)");
	CHECK_ERR("[person \"jan\"]\nboosts = no\nboosts = yes\n",
	          "t.conf:3: [person \"jan\"] boosts: duplicate key (first set at line 2)");
	CHECK_ERR("[person \"jan\"]\ninterval_s =\n",
	          "t.conf:2: [person \"jan\"] interval_s: empty value (leave the key out to use the default)");
	/* unknown keys are still errors, with the closest name */
	CHECK_ERR("[person \"jan\"]\nreplys = yes\n",
	          "t.conf:2: [person \"jan\"] replys: unknown key (did you mean 'replies'?)");
	CHECK_ERR("[feed \"n\"]\nintervall_s = 60\n",
	          "t.conf:2: [feed \"n\"] intervall_s: unknown key (did you mean 'interval_s'?)");
	CHECK_ERR("[hashtag \"raad\"]\nmax_age = 3\n",
	          "t.conf:2: [hashtag \"raad\"] max_age: unknown key");
	CHECK_ERR("[notices]\nreplies = yes\n",
	          "t.conf:2: [notices] replies: unknown key (it belongs in [filter])");
	CHECK_ERR("[display]\nboosts = no\n",
	          "t.conf:2: [display] boosts: unknown key (it belongs in [filter])");
}

/* ---- robustness ------------------------------------------------------------------ */

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

TEST(truncated_and_mutated_files_never_crash)
{
	char *path = fixture("config-full.conf");
	FILE *f = fopen(path, "rb");
	free(path);
	CHECK(f);
	char buf[8192];
	size_t len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	CHECK(len > 1000);
	size_t parsed = 0, failed = 0;
	/* every prefix */
	for (size_t cut = 0; cut <= len; cut++) {
		char *err = NULL;
		char *copy = xmalloc(cut ? cut : 1); /* exact size, no NUL: ASan sees over-reads */
		memcpy(copy, buf, cut);
		config_t *c = config_parse(copy, cut, "t.conf", &err);
		if (c) {
			source_spec_t **v;
			size_t n = config_sources(c, &v);
			config_sources_free(v, n);
			parsed++;
		} else {
			CHECK(err && strncmp(err, "t.conf:", 7) == 0);
			failed++;
		}
		free(err);
		config_free(c);
		free(copy);
	}
	/* random byte mutations */
	static const char alphabet[] = "[]\"=#;,@:/ \n\r\t\x00\xC3\xA9\xFF" "az09_-";
	for (int round = 0; round < 3000; round++) {
		char *copy = xmalloc(len);
		memcpy(copy, buf, len);
		int edits = 1 + (int)(rng() % 8);
		for (int e = 0; e < edits; e++)
			copy[rng() % len] = alphabet[rng() % (sizeof alphabet - 1)];
		char *err = NULL;
		config_t *c = config_parse(copy, len, "t.conf", &err);
		if (c) {
			source_spec_t **v;
			size_t n = config_sources(c, &v);
			config_sources_free(v, n);
		} else {
			CHECK(err != NULL);
		}
		free(err);
		config_free(c);
		free(copy);
	}
	CHECK(parsed > 0 && failed > 0);
}

int main(void)
{
	RUN(full_file_parses_into_expected_structure);
	RUN(defaults_when_sections_absent);
	RUN(values_trimmed_quoted_and_utf8_verbatim);
	RUN(comments_crlf_and_bom);
	RUN(booleans_in_every_spelling);
	RUN(empty_list_and_languages_lowercased);
	RUN(error_unknown_section_suggests);
	RUN(error_unknown_key_suggests);
	RUN(error_unknown_key_names_its_section);
	RUN(error_bad_integer);
	RUN(error_out_of_range);
	RUN(error_bad_bool);
	RUN(error_bad_rotate_language_theme);
	RUN(api_versions_checked_and_kept);
	RUN(house_colours_checked_and_kept);
	RUN(platform_sections_go_to_the_platform_module);
	RUN(error_duplicate_key);
	RUN(error_duplicate_section);
	RUN(error_section_header_syntax);
	RUN(error_key_outside_section);
	RUN(error_empty_value_and_quote);
	RUN(error_hashtag_without_servers);
	RUN(hashtag_tokens_and_bluesky);
	RUN(error_http_to_non_loopback);
	RUN(error_bad_handles);
	RUN(error_token_without_account);
	RUN(error_feed_and_notices_incomplete);
	RUN(error_invalid_utf8_nul_and_control);
	RUN(error_same_account_twice);
	RUN(error_long_value_is_shortened_in_message);
	RUN(error_limits);
	RUN(load_missing_file);
	RUN(load_reports_file_name_and_line);
	RUN(bundled_configs_parse);
	RUN(mastodon_handle_split_forms);
	RUN(cli_account_builds_a_person);
	RUN(cli_account_next_to_config_file);
	RUN(cli_hashtag_builds_a_hashtag);
	RUN(sources_expand_every_account_hashtag_feed_and_notices);
	RUN(sources_defaults_and_cli);
	RUN(source_sections_set_their_own_interval_and_filters);
	RUN(error_source_section_settings_are_checked_like_the_globals);
	RUN(truncated_and_mutated_files_never_crash);
	return test_summary();
}
