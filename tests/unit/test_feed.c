/*
 * test_feed: the public-screen filters (each checked both ways: kept when
 * off, dropped when on), hidden posts, hashtag posts limited to configured
 * people, one person on several networks, cross-post collapsing and the
 * order of the loop.  Configurations come from real config text.
 */
#include <stdint.h>

#include "test.h"

#include "../../src/base/xmalloc.h"
#include "../../src/config/config.h"
#include "../../src/feed/feed.h"

#define NOW 1796000000
#define DAY 86400

static const char conf_text[] =
	"[person \"jan\"]\n"
	"name = Jan de Vries\n"
	"role = Wethouder\n"
	"mastodon = @jan@social.overheid.nl\n"
	"bluesky = @jan.gemeente.nl\n"
	"x = @JanDeVries\n"
	"x_token = /etc/balie/x.token\n"
	"\n"
	"[organisation \"gemeente\"]\n"
	"mastodon = @gemeente@social.overheid.nl\n"
	"\n"
	"[hashtag \"raad\"]\n"
	"servers = social.overheid.nl\n"
	"\n"
	"[hashtag \"opendag\"]\n"
	"servers = social.overheid.nl\n"
	"anyone = yes\n"
	"\n"
	"[feed \"nieuws\"]\n"
	"url = https://www.gemeente.example/rss\n"
	"name = Nieuws van de gemeente\n"
	"\n"
	"[display]\n"
	"organisation = Gemeente Voorbeeld\n";

static config_t *conf(const char *extra)
{
	char *text = xasprintf("%s%s", conf_text, extra ? extra : "");
	char *err = NULL;
	config_t *c = config_parse(text, strlen(text), "test.conf", &err);
	if (!c) {
		fprintf(stderr, "config: %s\n", err);
		exit(2);
	}
	free(text);
	return c;
}

/* The source key config_sources() gives a hashtag (the feed matches on it). */
static char *tag_source(const config_t *c, const char *tag)
{
	source_spec_t **specs;
	size_t n = config_sources(c, &specs);
	char *key = NULL;
	for (size_t i = 0; i < n && !key; i++)
		if (specs[i]->kind == SRC_HASHTAG && strcmp(specs[i]->handle, tag) == 0)
			key = xstrdup(specs[i]->key);
	config_sources_free(specs, n);
	return key;
}

static post_t *mk(network_t net, const char *key, const char *text, int64_t created)
{
	post_t *p = post_new();
	p->network = net;
	p->key = xstrdup(key);
	free(p->text);
	p->text = xstrdup(text);
	p->created = created;
	p->author.name = xstrdup("Iemand");
	p->author.handle = xstrdup("@iemand@example.nl");
	p->visibility = VIS_PUBLIC;
	return p;
}

static bool keeps(const config_t *c, const post_t *p)
{
	return feed_keep(c, p, NOW);
}

/* ---- filters, both ways -------------------------------------------------- */

TEST(replies_boosts_sensitive_bots_and_visibility_both_ways)
{
	config_t *c = conf(NULL);
	post_t *p = mk(NET_MASTODON, "m:1", "Hallo", NOW - 60);
	CHECK(keeps(c, p));

	p->reply = true;
	c->filter.replies = true;
	CHECK(keeps(c, p));
	c->filter.replies = false;
	CHECK(!keeps(c, p));
	p->reply = false;

	p->booster = xcalloc(1, sizeof *p->booster);
	p->booster->name = xstrdup("Gemeente");
	c->filter.boosts = true;
	CHECK(keeps(c, p));
	c->filter.boosts = false;
	CHECK(!keeps(c, p));
	c->filter.boosts = true;

	p->sensitive = true;
	c->filter.sensitive = true;
	CHECK(keeps(c, p));
	c->filter.sensitive = false;
	CHECK(!keeps(c, p));
	p->sensitive = false;
	p->cw = xstrdup("Spoiler");
	CHECK(!keeps(c, p));
	c->filter.sensitive = true;
	CHECK(keeps(c, p));

	p->author.bot = true;
	c->filter.bots = true;
	CHECK(keeps(c, p));
	c->filter.bots = false;
	CHECK(!keeps(c, p));
	p->author.bot = false;
	p->booster->bot = true;  /* a bot that boosts: also a bot's doing */
	CHECK(!keeps(c, p));
	p->booster->bot = false;

	p->visibility = VIS_UNLISTED;
	c->filter.public_only = false;
	CHECK(keeps(c, p));
	c->filter.public_only = true;
	CHECK(!keeps(c, p));
	post_free(p);
	config_free(c);
}

TEST(blocked_words_match_whole_words_in_every_visible_field)
{
	config_t *off = conf(NULL);
	config_t *c = conf("[filter]\nblocked_words = rat, café, slecht woord, ÉÉN\n");
	static const struct {
		const char *text;
		bool blocked;
	} cases[] = {
		{ "Een RAT in de kelder", true },
		{ "rat", true },
		{ "Pas op: #rat!", true },
		{ "(rat)", true },
		{ "De gemeenteraad vergadert", false },
		{ "Ratatouille op het menu", false },
		{ "pirate", false },
		{ "CAFÉ open", true },
		{ "Café open", true },
		{ "cafés open", false },
		{ "cafe open", false },  /* accents matter: "een" is not "één" */
		{ "Dit is een slecht woord.", true },
		{ "slecht, woord", false },
		{ "één keer", true },
		{ "ÉÉN keer", true },
		{ "een keer", false },
		{ "raté", false },
		{ "rat\u2026", true },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		post_t *p = mk(NET_MASTODON, "m:1", cases[i].text, NOW);
		if (keeps(c, p) == cases[i].blocked)
			TEST_FAIL_("case %zu \"%s\": blocked=%d", i, cases[i].text, !keeps(c, p));
		EXPECT(keeps(off, p)); /* no blocked words: everything stays */
		post_free(p);
	}
	post_t *p = mk(NET_MASTODON, "m:2", "Niets aan de hand", NOW);
	CHECK(keeps(c, p));
	p->cw = xstrdup("over een rat");
	CHECK(!keeps(c, p));
	free(p->cw);
	p->cw = NULL;
	free(p->author.name);
	p->author.name = xstrdup("Rat Fan");
	CHECK(!keeps(c, p));
	free(p->author.name);
	p->author.name = xstrdup("Iemand");
	media_t *m = post_add_media(p);
	m->url = xstrdup("https://x/a.jpg");
	m->alt = xstrdup("Een rat op straat");
	CHECK(!keeps(c, p));
	free(m->alt);
	m->alt = xstrdup("Een kat op straat");
	CHECK(keeps(c, p));
	p->card = xcalloc(1, sizeof *p->card);
	p->card->url = xstrdup("https://x");
	p->card->title = xstrdup("Veiligheidsregio: rat gesignaleerd");
	CHECK(!keeps(c, p));
	CHECK(keeps(off, p));
	post_free(p);
	config_free(c);
	config_free(off);
}

TEST(languages_both_ways)
{
	config_t *all = conf(NULL);
	config_t *nl = conf("[filter]\nlanguages = nl\n");
	post_t *p = mk(NET_BLUESKY, "b:1", "Hello", NOW);
	p->lang = xstrdup("en");
	CHECK(keeps(all, p));
	CHECK(!keeps(nl, p));
	free(p->lang);
	p->lang = xstrdup("nl");
	CHECK(keeps(nl, p));
	free(p->lang);
	p->lang = NULL; /* unknown: kept */
	CHECK(keeps(nl, p));
	post_free(p);
	config_free(all);
	config_free(nl);
}

TEST(maximum_age_both_ways_and_notices_exempt)
{
	config_t *c = conf("[filter]\nmax_age_days = 7\n");
	config_t *off = conf(NULL);
	post_t *old = mk(NET_MASTODON, "m:1", "Oud", NOW - 8 * DAY);
	post_t *young = mk(NET_MASTODON, "m:2", "Jong", NOW - 6 * DAY);
	CHECK(keeps(off, old));
	CHECK(!keeps(c, old));
	CHECK(keeps(c, young));
	old->network = NET_NOTICE;
	CHECK(keeps(c, old));
	post_free(old);
	post_free(young);
	config_free(c);
	config_free(off);
}

TEST(notices_show_only_inside_their_window)
{
	config_t *c = conf(NULL);
	post_t *p = mk(NET_NOTICE, "notice:1", "Gesloten", NOW - DAY);
	CHECK(keeps(c, p));
	p->show_from = NOW + 60;
	CHECK(!keeps(c, p));
	p->show_from = NOW - 60;
	p->show_until = NOW + 60;
	CHECK(keeps(c, p));
	p->show_until = NOW;
	CHECK(!keeps(c, p));
	post_free(p);
	config_free(c);
}

TEST(hashtag_posts_only_by_configured_people_unless_anyone)
{
	config_t *c = conf(NULL);
	char *raad = tag_source(c, "raad"), *open = tag_source(c, "opendag");
	CHECK(raad && open);
	post_t *stranger = mk(NET_MASTODON, "m:1", "#raad vanavond", NOW);
	stranger->source = xstrdup(raad);
	CHECK(!keeps(c, stranger));
	free(stranger->source);
	stranger->source = xstrdup(open);
	CHECK(keeps(c, stranger)); /* anyone = yes */

	post_t *jan = mk(NET_MASTODON, "m:2", "#raad ik ben er", NOW);
	free(jan->author.handle);
	jan->author.handle = xstrdup("@Jan@social.overheid.nl");
	jan->source = xstrdup(raad);
	CHECK(keeps(c, jan));

	/* in the feed Jan's hashtag post is Jan's: the screen shows his photo and role */
	post_list_t in, out;
	post_list_init(&in);
	post_list_init(&out);
	post_list_push(&in, stranger);
	post_list_push(&in, jan);
	feed_build(c, &in, NULL, 0, NOW, &out);
	CHECK_INT(out.len, 2);
	long i = post_list_find(&out, "m:2");
	CHECK(i >= 0);
	CHECK_STR(out.items[i]->person, "jan");
	i = post_list_find(&out, "m:1");
	CHECK(i >= 0);
	CHECK(out.items[i]->person == NULL);
	post_list_clear(&in);
	post_list_clear(&out);
	free(raad);
	free(open);
	config_free(c);
}

/* ---- the feed ------------------------------------------------------------ */

TEST(hidden_posts_by_key_or_url)
{
	config_t *c = conf(NULL);
	post_list_t in, out;
	post_list_init(&in);
	post_list_init(&out);
	post_t *a = mk(NET_MASTODON, "mastodon:https://s/1", "een", NOW - 10);
	post_t *b = mk(NET_BLUESKY, "bluesky:at://x/2", "twee", NOW - 20);
	b->url = xstrdup("https://bsky.app/profile/x/post/2");
	post_t *d = mk(NET_X, "x:3", "drie", NOW - 30);
	post_list_push(&in, a);
	post_list_push(&in, b);
	post_list_push(&in, d);
	const char *hidden[] = { "mastodon:https://s/1", "https://bsky.app/profile/x/post/2" };
	feed_build(c, &in, hidden, 2, NOW, &out);
	CHECK_INT(out.len, 1);
	CHECK_STR(out.items[0]->key, "x:3");
	post_list_clear(&out);
	feed_build(c, &in, NULL, 0, NOW, &out);
	CHECK_INT(out.len, 3);
	post_list_clear(&out);
	post_list_clear(&in);
	config_free(c);
}

TEST(cross_posts_by_one_person_show_once)
{
	config_t *c = conf(NULL);
	post_list_t in, out;
	post_list_init(&in);
	post_list_init(&out);
	post_t *m = mk(NET_MASTODON, "mastodon:1", "Vanaf maandag is de #Dorpsstraat dicht. Meer: https://example.nl/dorpsstraat",
	               NOW - 3600);
	m->person = xstrdup("jan");
	post_add_span(m, SPAN_LINK, 46, 76, "https://example.nl/dorpsstraat");
	post_t *b = mk(NET_BLUESKY, "bluesky:1", "Vanaf maandag is de Dorpsstraat dicht!  Meer: example.nl/dorpsst… @jan.gemeente.nl",
	               NOW - 3600 + 120);
	b->person = xstrdup("jan");
	media_t *img = post_add_media(b);
	img->url = xstrdup("https://cdn/kaart.jpg");
	post_t *x = mk(NET_X, "x:1", "VANAF MAANDAG is de Dorpsstraat dicht. Meer: https://t.co/abc", NOW - 3600 + 300);
	x->person = xstrdup("jan");
	post_list_push(&in, m);
	post_list_push(&in, b);
	post_list_push(&in, x);
	char *nm = feed_normalise_text(m), *nb = feed_normalise_text(b);
	CHECK_STR(nm, "vanaf maandag is de dorpsstraat dicht meer");
	CHECK_STR(nb, nm);
	free(nm);
	free(nb);
	feed_build(c, &in, NULL, 0, NOW, &out);
	CHECK_INT(out.len, 1);
	CHECK_STR(out.items[0]->key, "bluesky:1"); /* the one with the picture */
	post_list_clear(&out);

	/* without media: the earliest */
	post_list_remove(&in, 1);
	feed_build(c, &in, NULL, 0, NOW, &out);
	CHECK_INT(out.len, 1);
	CHECK_STR(out.items[0]->key, "mastodon:1");
	post_list_clear(&out);

	/* more than ten minutes apart: two posts */
	in.items[1]->created = NOW - 3600 + 11 * 60;
	feed_build(c, &in, NULL, 0, NOW, &out);
	CHECK_INT(out.len, 2);
	post_list_clear(&out);

	/* another person, or the same network: two posts */
	in.items[1]->created = NOW - 3600 + 60;
	free(in.items[1]->person);
	in.items[1]->person = xstrdup("gemeente");
	feed_build(c, &in, NULL, 0, NOW, &out);
	CHECK_INT(out.len, 2);
	post_list_clear(&out);
	free(in.items[1]->person);
	in.items[1]->person = xstrdup("jan");
	in.items[1]->network = NET_MASTODON;
	feed_build(c, &in, NULL, 0, NOW, &out);
	CHECK_INT(out.len, 2);
	post_list_clear(&out);
	post_list_clear(&in);
	config_free(c);
}

TEST(a_text_cut_short_on_one_network_still_matches)
{
	config_t *c = conf(NULL);
	post_list_t in, out;
	post_list_init(&in);
	post_list_init(&out);
	post_t *m = mk(NET_MASTODON, "mastodon:9", "De gemeenteraad vergadert donderdag over de begroting van "
	               "volgend jaar en de plannen voor het centrum.", NOW - 100);
	m->person = xstrdup("jan");
	post_t *x = mk(NET_X, "x:9", "De gemeenteraad vergadert donderdag over de begroting van volgend ja…", NOW - 90);
	x->person = xstrdup("jan");
	post_t *shorty = mk(NET_BLUESKY, "bluesky:9", "De gemeenteraad", NOW - 80); /* too short to judge */
	shorty->person = xstrdup("jan");
	post_list_push(&in, m);
	post_list_push(&in, x);
	post_list_push(&in, shorty);
	feed_build(c, &in, NULL, 0, NOW, &out);
	CHECK_INT(out.len, 2);
	CHECK(post_list_find(&out, "mastodon:9") >= 0);
	CHECK(post_list_find(&out, "bluesky:9") >= 0);
	post_list_clear(&out);
	post_list_clear(&in);
	config_free(c);
}

TEST(a_repost_of_a_post_shown_anyway_shows_once)
{
	config_t *c = conf(NULL);
	post_list_t in, out;
	post_list_init(&in);
	post_list_init(&out);
	post_t *orig = mk(NET_BLUESKY, "bluesky:at://org/post/1", "Brand", NOW - 600);
	orig->url = xstrdup("https://bsky.app/profile/vr/post/1");
	orig->person = xstrdup("gemeente");
	post_t *rp = mk(NET_BLUESKY, "bluesky:at://jan/repost/1", "Brand", NOW - 600);
	rp->url = xstrdup("https://bsky.app/profile/vr/post/1");
	rp->person = xstrdup("jan");
	rp->booster = xcalloc(1, sizeof *rp->booster);
	rp->booster->name = xstrdup("Jan");
	post_list_push(&in, rp);
	post_list_push(&in, orig);
	feed_build(c, &in, NULL, 0, NOW, &out);
	CHECK_INT(out.len, 1);
	CHECK_STR(out.items[0]->key, "bluesky:at://org/post/1");
	post_list_clear(&out);
	post_list_clear(&in);
	config_free(c);
}

TEST(one_person_on_several_networks_and_authors_from_the_configuration)
{
	config_t *c = conf(NULL);
	post_list_t in, out;
	post_list_init(&in);
	post_list_init(&out);
	post_t *b = mk(NET_BLUESKY, "bluesky:2", "Bluesky van Jan", NOW - 300);
	free(b->author.handle);
	b->author.handle = xstrdup("@jan.gemeente.nl");
	post_t *x = mk(NET_X, "x:2", "X van Jan", NOW - 200);
	free(x->author.handle);
	x->author.handle = xstrdup("@jandevries"); /* X user names are case-insensitive */
	post_t *n = mk(NET_NOTICE, "notice:1", "Balie dicht", NOW - 100);
	post_t *r = mk(NET_RSS, "rss:1", "Nieuws", NOW - 50);
	r->source = xstrdup("rss:nieuws");
	post_list_push(&in, b);
	post_list_push(&in, x);
	post_list_push(&in, n);
	post_list_push(&in, r);
	feed_build(c, &in, NULL, 0, NOW, &out);
	CHECK_INT(out.len, 4);
	/* newest first */
	CHECK_STR(out.items[0]->key, "rss:1");
	CHECK_STR(out.items[1]->key, "notice:1");
	CHECK_STR(out.items[2]->key, "x:2");
	CHECK_STR(out.items[3]->key, "bluesky:2");
	CHECK_STR(out.items[3]->person, "jan");
	CHECK_STR(out.items[2]->person, "jan");
	CHECK_STR(out.items[1]->author.name, "Gemeente Voorbeeld");
	CHECK_STR(out.items[0]->author.name, "Nieuws van de gemeente");
	/* the cache's own copies are untouched */
	CHECK(in.items[0]->person == NULL);
	post_list_clear(&out);
	post_list_clear(&in);
	config_free(c);
}

/* ---- per-source settings ------------------------------------------------- */

static const char per_source_text[] =
	"[person \"jan\"]\n"
	"mastodon = @jan@social.overheid.nl\n"
	"bluesky = @jan.gemeente.nl\n"
	"replies = yes\n"
	"boosts = no\n"
	"sensitive = no\n"
	"bots = no\n"
	"public_only = no\n"
	"languages = en\n"
	"max_age_days = 2\n"
	"blocked_words = peiling\n"
	"\n"
	"[organisation \"gemeente\"]\n"
	"mastodon = @gemeente@social.overheid.nl\n"
	"\n"
	"[hashtag \"raad\"]\n"
	"servers = social.overheid.nl\n"
	"anyone = yes\n"
	"sensitive = no\n"
	"\n"
	"[feed \"nieuws\"]\n"
	"url = https://www.gemeente.example/rss\n"
	"max_age_days = 1\n"
	"\n"
	"[filter]\n"
	"replies = no\n"
	"boosts = yes\n"
	"sensitive = yes\n"
	"bots = yes\n"
	"public_only = yes\n"
	"languages = nl\n"
	"max_age_days = 30\n"
	"blocked_words = spam\n";

static config_t *parse_text(const char *text)
{
	char *err = NULL;
	config_t *c = config_parse(text, strlen(text), "test.conf", &err);
	if (!c) {
		fprintf(stderr, "config: %s\n", err);
		exit(2);
	}
	return c;
}

/* A Dutch post of one source, as the adapter would have stored it. */
static post_t *from(const char *source, const char *key, const char *text)
{
	post_t *p = mk(NET_MASTODON, key, text, NOW - 60);
	p->source = xstrdup(source);
	p->lang = xstrdup("nl");
	return p;
}

TEST(per_source_filters_override_the_global_ones_both_ways)
{
	config_t *c = parse_text(per_source_text);
	const char *jan_src = "mastodon:@jan@social.overheid.nl", *gem_src = "mastodon:@gemeente@social.overheid.nl";
	post_t *j = from(jan_src, "m:j", "Hallo");
	post_t *g = from(gem_src, "m:g", "Hallo");
	free(j->lang);
	j->lang = xstrdup("en"); /* Jan's section shows English only */
	CHECK(keeps(c, j) && keeps(c, g));

	j->reply = g->reply = true;           /* replies = yes for Jan, no globally */
	CHECK(keeps(c, j) && !keeps(c, g));
	j->reply = g->reply = false;

	j->booster = xcalloc(1, sizeof *j->booster);
	g->booster = xcalloc(1, sizeof *g->booster);
	CHECK(!keeps(c, j) && keeps(c, g));   /* boosts = no for Jan */
	author_clear(j->booster);
	author_clear(g->booster);
	free(j->booster);
	free(g->booster);
	j->booster = g->booster = NULL;

	j->sensitive = g->sensitive = true;   /* sensitive = no for Jan */
	CHECK(!keeps(c, j) && keeps(c, g));
	j->sensitive = g->sensitive = false;

	j->author.bot = g->author.bot = true; /* bots = no for Jan */
	CHECK(!keeps(c, j) && keeps(c, g));
	j->author.bot = g->author.bot = false;

	j->visibility = g->visibility = VIS_UNLISTED; /* public_only = no for Jan */
	CHECK(keeps(c, j) && !keeps(c, g));
	j->visibility = g->visibility = VIS_PUBLIC;

	free(g->lang);
	g->lang = xstrdup("en");              /* languages: en for Jan, nl globally */
	CHECK(!keeps(c, g));
	free(j->lang);
	j->lang = xstrdup("nl");
	CHECK(!keeps(c, j));
	free(j->lang);
	j->lang = xstrdup("en");
	free(g->lang);
	g->lang = xstrdup("nl");

	j->created = g->created = NOW - 3 * DAY; /* max_age_days: 2 for Jan, 30 globally */
	CHECK(!keeps(c, j) && keeps(c, g));
	j->created = g->created = NOW - 60;

	free(j->text);
	free(g->text);
	j->text = xstrdup("Nieuwe peiling");   /* blocked for Jan only */
	g->text = xstrdup("Nieuwe peiling");
	CHECK(!keeps(c, j) && keeps(c, g));
	free(j->text);
	free(g->text);
	j->text = xstrdup("Geen spam hier");   /* [filter]'s words hold for Jan too */
	g->text = xstrdup("Geen spam hier");
	CHECK(!keeps(c, j) && !keeps(c, g));
	free(j->text);
	free(g->text);
	j->text = xstrdup("Hallo");
	g->text = xstrdup("Hallo");
	CHECK(keeps(c, j) && keeps(c, g));

	/* a hashtag's settings: its sensitive posts hidden, Jan's own shown */
	source_spec_t **specs;
	size_t n = config_sources(c, &specs);
	const char *raad = NULL;
	for (size_t i = 0; i < n; i++)
		if (specs[i]->kind == SRC_HASHTAG)
			raad = specs[i]->key;
	CHECK(raad);
	post_t *t = from(raad, "m:t", "#raad vanavond");
	t->sensitive = true;
	g->sensitive = true;
	EXPECT(!keeps(c, t) && keeps(c, g));
	t->sensitive = false;
	EXPECT(keeps(c, t));
	post_free(t);
	config_sources_free(specs, n);

	/* a feed's own age limit */
	post_t *r = mk(NET_RSS, "rss:1", "Nieuws", NOW - 2 * DAY);
	r->source = xstrdup("rss:nieuws");
	CHECK(!keeps(c, r));
	r->created = NOW - DAY / 2;
	CHECK(keeps(c, r));
	post_free(r);

	/* and through feed_build, by each post's own source */
	post_list_t in, out;
	post_list_init(&in);
	post_list_init(&out);
	j->reply = g->reply = true;
	g->sensitive = false;
	post_list_push(&in, j);
	post_list_push(&in, g);
	feed_build(c, &in, NULL, 0, NOW, &out);
	CHECK_INT(out.len, 1);
	CHECK_STR(out.items[0]->key, "m:j");
	post_list_clear(&out);
	post_list_clear(&in);
	config_free(c);
}

/* ---- one person, one face -------------------------------------------------- */

static const char faces_text[] =
	"[person \"piet\"]\n"
	"bluesky = @piet.gemeente.nl\n"
	"mastodon = @piet@social.overheid.nl\n"
	"x = @pietp\n"
	"x_token = /etc/balie/x.token\n"
	"\n"
	"[person \"anna\"]\n"
	"name = Anna Bakker\n"
	"photo = /etc/balie/anna.jpg\n"
	"mastodon = @anna@social.overheid.nl\n"
	"bluesky = @anna.gemeente.nl\n"
	"\n"
	"[hashtag \"raad\"]\n"
	"servers = social.overheid.nl\n";

/* A post by one of a person's accounts: its own name and avatar. */
static post_t *by(network_t net, const char *key, const char *person, const char *name, const char *handle,
                  const char *avatar, const char *file, int64_t created)
{
	post_t *p = mk(net, key, key, created);
	p->person = xstrdup(person);
	free(p->author.name);
	free(p->author.handle);
	p->author.name = xstrdup(name);
	p->author.handle = xstrdup(handle);
	p->author.avatar_url = xstrdup(avatar);
	p->author.avatar_file = xstrdup(file);
	return p;
}

static const post_t *find(const post_list_t *l, const char *key)
{
	long i = post_list_find(l, key);
	return i >= 0 ? l->items[i] : NULL;
}

TEST(one_person_one_face_the_first_listed_account_wins)
{
	config_t *c = parse_text(faces_text);
	post_list_t in, out;
	post_list_init(&in);
	post_list_init(&out);
	post_t *m = by(NET_MASTODON, "m:1", "piet", "Piet :vlag:", "@piet@social.overheid.nl",
	               "https://m/piet.png", "mfile.png", NOW - 400);
	emoji_list_add(&m->author.emojis, &m->author.n_emojis, "vlag", "https://m/vlag.png");
	post_t *b_old = by(NET_BLUESKY, "b:1", "piet", "Piet oud", "@piet.gemeente.nl", "https://b/old.png",
	                   "bold.png", NOW - 900);
	post_t *b_new = by(NET_BLUESKY, "b:2", "piet", "Piet Pietersen", "@piet.gemeente.nl", "https://b/new.png",
	                   "bnew.png", NOW - 800);
	post_t *x = by(NET_X, "x:1", "piet", "Piet op X", "@pietp", "https://x/p.jpg", NULL, NOW - 300);
	/* Piet's repost on Bluesky: the booster is Piet, the author someone else */
	post_t *rp = by(NET_BLUESKY, "b:3", "piet", "Ander", "@ander.example", "https://b/ander.png", NULL,
	                NOW - 1000);
	rp->booster = xcalloc(1, sizeof *rp->booster);
	rp->booster->name = xstrdup("Piet (toen nog)");
	rp->booster->handle = xstrdup("@piet.gemeente.nl");
	rp->booster->avatar_url = xstrdup("https://b/older.png");
	/* a hashtag post by Piet's Mastodon account: Piet's too */
	post_t *tag = by(NET_MASTODON, "m:2", NULL, "Piet :vlag:", "@piet@social.overheid.nl", "https://m/piet.png",
	                 NULL, NOW - 100);
	emoji_list_add(&tag->author.emojis, &tag->author.n_emojis, "vlag", "https://m/vlag.png");
	free(tag->person);
	tag->person = NULL;
	tag->source = tag_source(c, "raad");
	/* Anna has a name and a photo in the configuration: her posts keep their own */
	post_t *a = by(NET_BLUESKY, "b:9", "anna", "anna b.", "@anna.gemeente.nl", "https://b/anna.png", NULL,
	               NOW - 50);
	post_t *am = by(NET_MASTODON, "m:9", "anna", "Anna", "@anna@social.overheid.nl", "https://m/anna.png", NULL,
	                NOW - 40);
	post_list_push(&in, m);
	post_list_push(&in, b_old);
	post_list_push(&in, b_new);
	post_list_push(&in, x);
	post_list_push(&in, rp);
	post_list_push(&in, tag);
	post_list_push(&in, a);
	post_list_push(&in, am);
	feed_build(c, &in, NULL, 0, NOW, &out);
	CHECK_INT(out.len, 8);
	/* Bluesky is listed first: its newest name and avatar on every network */
	const char *piet[] = { "m:1", "b:1", "b:2", "x:1", "m:2" };
	for (size_t i = 0; i < 5; i++) {
		const post_t *p = find(&out, piet[i]);
		CHECK(p);
		CHECK_STR(p->person, "piet");
		CHECK_STR(p->author.name, "Piet Pietersen");
		CHECK_STR(p->author.avatar_url, "https://b/new.png");
		CHECK_STR(p->author.avatar_file, "bnew.png");
		CHECK_INT(p->author.n_emojis, 0);
	}
	/* each network keeps its own handle (the card's network mark) */
	CHECK_STR(find(&out, "x:1")->author.handle, "@pietp");
	CHECK_STR(find(&out, "m:1")->author.handle, "@piet@social.overheid.nl");
	/* the repost: Piet as the booster, the author left alone */
	const post_t *p = find(&out, "b:3");
	CHECK(p && p->booster);
	CHECK_STR(p->booster->name, "Piet Pietersen");
	CHECK_STR(p->booster->avatar_url, "https://b/new.png");
	CHECK_STR(p->author.name, "Ander");
	CHECK_STR(p->author.avatar_url, "https://b/ander.png");
	/* configured name and photo: left to the configuration */
	CHECK_STR(find(&out, "b:9")->author.name, "anna b.");
	CHECK_STR(find(&out, "m:9")->author.avatar_url, "https://m/anna.png");
	/* the cache's own copies are untouched */
	CHECK_STR(m->author.name, "Piet :vlag:");
	post_list_clear(&out);

	/* no Bluesky post cached: the next account listed, Mastodon, with the
	 * custom emoji of its name */
	post_list_remove(&in, 4);
	post_list_remove(&in, 2);
	post_list_remove(&in, 1);
	feed_build(c, &in, NULL, 0, NOW, &out);
	CHECK_INT(out.len, 5);
	p = find(&out, "x:1");
	CHECK(p);
	CHECK_STR(p->author.name, "Piet :vlag:");
	CHECK_INT(p->author.n_emojis, 1);
	CHECK_STR(p->author.emojis[0].shortcode, "vlag");
	CHECK_STR(p->author.avatar_url, "https://m/piet.png");
	CHECK_STR(p->author.avatar_file, "mfile.png");
	post_list_clear(&out);

	/* a blocked word in the one name hides the person's posts everywhere */
	config_t *blocked = parse_text("[person \"piet\"]\nmastodon = @piet@social.overheid.nl\nx = @pietp\n"
	                               "x_token = /etc/balie/x.token\n[filter]\nblocked_words = vlag\n");
	feed_build(blocked, &in, NULL, 0, NOW, &out);
	CHECK(find(&out, "x:1") == NULL && find(&out, "m:1") == NULL);
	CHECK(find(&out, "b:9") != NULL);
	post_list_clear(&out);
	config_free(blocked);
	post_list_clear(&in);
	config_free(c);
}

int main(void)
{
	RUN(replies_boosts_sensitive_bots_and_visibility_both_ways);
	RUN(blocked_words_match_whole_words_in_every_visible_field);
	RUN(languages_both_ways);
	RUN(maximum_age_both_ways_and_notices_exempt);
	RUN(notices_show_only_inside_their_window);
	RUN(hashtag_posts_only_by_configured_people_unless_anyone);
	RUN(hidden_posts_by_key_or_url);
	RUN(cross_posts_by_one_person_show_once);
	RUN(a_text_cut_short_on_one_network_still_matches);
	RUN(a_repost_of_a_post_shown_anyway_shows_once);
	RUN(one_person_on_several_networks_and_authors_from_the_configuration);
	RUN(per_source_filters_override_the_global_ones_both_ways);
	RUN(one_person_one_face_the_first_listed_account_wins);
	return test_summary();
}
