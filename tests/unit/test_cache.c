/*
 * test_cache: posts.json, state.json, media, the lock and pruning, on real
 * directories.
 *
 * Round trips compare every field of post_t.  Damaged files are made from a
 * real saved file: cut at many offsets, a NUL block, broken braces and
 * commas, one post swallowing the next; every post outside the damage must
 * come back byte for byte and no other, with one log line, and a writer
 * must keep the damaged bytes aside and save the recovered posts.  Random
 * garbage, a damaged header and valid JSON of the wrong shape must be moved
 * aside with one log line and load as empty.  The lock test forks, so the lock is held by another
 * process as in real life.  Disk full and read-only use a real tmpfs (root
 * only; otherwise "SKIP:" lines say so).  Log lines are captured through
 * log_set_fd() and checked word for word where a user reads them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../src/base/fsio.h"
#include "../../src/base/log.h"
#include "../../src/base/sha256.h"
#include "../../src/base/xmalloc.h"
#include "../../src/cache/cache.h"
#include "test.h"
#include "../support/scratch.h"

/* ---- helpers --------------------------------------------------------------- */

static bool write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return false;
	bool ok = fwrite(data, 1, len, f) == len;
	return fclose(f) == 0 && ok;
}

static char *path_in(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* Number of entries in dir whose name starts with prefix; the first match's
 * name in *first (caller frees) when first is not NULL. */
static int count_prefix(const char *dir, const char *prefix, char **first)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	if (first)
		*first = NULL;
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
			if (first && !*first)
				*first = xstrdup(e->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

static int count_entries(const char *dir)
{
	return count_prefix(dir, "", NULL);
}

/* Log capture: everything balie logs goes to a temp file until capture_end. */
static int cap_fd = -1;
static char cap_path[64];

static void capture_begin(void)
{
	snprintf(cap_path, sizeof cap_path, "/tmp/balie-cache-log-XXXXXX");
	cap_fd = mkstemp(cap_path);
	log_set_fd(cap_fd);
}

static char *capture_end(void)
{
	log_set_fd(-1);
	char *s = fsio_read_file(cap_path, 1 << 20, NULL);
	close(cap_fd);
	unlink(cap_path);
	return s ? s : xstrdup("");
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static char *media_name(const char *seed, const char *ext)
{
	char hex[SHA256_HEX_LEN + 1];
	sha256_hex(seed, strlen(seed), hex);
	return xasprintf("%s.%s", hex, ext);
}

static void set_author(author_t *a, const char *who, bool with_emoji)
{
	a->id = xasprintf("id-%s", who);
	a->name = xasprintf("%s 🎉 :party:", who);
	a->handle = xasprintf("@%s@social.example", who);
	a->url = xasprintf("https://social.example/@%s", who);
	a->avatar_url = xasprintf("https://files.social.example/%s.png", who);
	a->avatar_file = media_name(who, "png");
	a->bot = with_emoji;
	if (with_emoji) {
		emoji_list_add(&a->emojis, &a->n_emojis, "party", "https://files.social.example/party.gif");
		a->emojis[0].file = media_name("party", "gif");
	}
}

/* A post with every field set to something other than its zero value. */
static post_t *full_post(const char *key, int64_t created)
{
	post_t *p = post_new();
	free(p->text);
	p->key = xstrdup(key);
	p->source = xstrdup("mastodon:@gemeente@social.example");
	p->network = NET_MASTODON;
	p->id = xstrdup("112233445566778899");
	p->url = xstrdup("https://social.example/@gemeente/112233445566778899");
	p->created = created;
	p->edited = created + 3600;
	p->fetched = created + 60;
	set_author(&p->author, "gemeente", true);
	p->person = xstrdup("burgemeester");
	p->booster = xcalloc(1, sizeof *p->booster);
	set_author(p->booster, "wethouder", false);
	p->text = xstrdup("Nieuw: \"stadhuis\" 🏛️ open\n#opendag @jansen https://example.nl\\x :vlag: \x01");
	post_add_span(p, SPAN_HASHTAG, 31, 39, "https://social.example/tags/opendag");
	post_add_span(p, SPAN_MENTION, 40, 47, "https://social.example/@jansen");
	post_add_span(p, SPAN_LINK, 48, 68, "https://example.nl\\x");
	post_add_span(p, SPAN_EMOJI, 69, 75, "vlag");
	post_add_span(p, SPAN_LINK, 0, 0, NULL);
	p->cw = xstrdup("Let op: werkzaamheden");
	p->sensitive = true;
	p->reply = true;
	p->lang = xstrdup("nl");
	p->visibility = VIS_UNLISTED;
	media_t *m = post_add_media(p);
	m->kind = MEDIA_IMAGE;
	m->url = xstrdup("https://files.social.example/a.jpg");
	m->preview_url = xstrdup("https://files.social.example/small/a.jpg");
	m->alt = xstrdup("Het stadhuis, gezien vanaf de markt");
	m->width = 1600;
	m->height = 900;
	m->focus_x = -0.25f;
	m->focus_y = 0.3f;
	m->file = media_name("photo", "jpg");
	m = post_add_media(p);
	m->kind = MEDIA_VIDEO;
	m->url = xstrdup("https://files.social.example/b.mp4");
	m->preview_url = xstrdup("https://files.social.example/b.jpg");
	m->width = 1280;
	m->height = 720;
	m->focus_x = 0.123456f;
	m->focus_y = -1.0f;
	emoji_list_add(&p->emojis, &p->n_emojis, "vlag", "https://files.social.example/vlag.png");
	p->emojis[0].file = media_name("vlag", "png");
	p->card = xcalloc(1, sizeof *p->card);
	p->card->url = xstrdup("https://example.nl/opendag");
	p->card->title = xstrdup("Open dag");
	p->card->description = xstrdup("Kom kijken ✨");
	p->card->image_url = xstrdup("https://example.nl/og.webp");
	p->card->image_file = media_name("card", "webp");
	p->priority = -7;
	p->show_from = created - 100;
	p->show_until = (int64_t)1 << 40;
	return p;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static const char *emojis_diff(const emoji_t *a, size_t na, const emoji_t *b, size_t nb)
{
	if (na != nb)
		return "n_emojis";
	for (size_t i = 0; i < na; i++) {
		if (!str_eq(a[i].shortcode, b[i].shortcode))
			return "emoji.shortcode";
		if (!str_eq(a[i].url, b[i].url))
			return "emoji.url";
		if (!str_eq(a[i].file, b[i].file))
			return "emoji.file";
	}
	return NULL;
}

static const char *author_diff(const author_t *a, const author_t *b)
{
	if (!str_eq(a->id, b->id)) return "author.id";
	if (!str_eq(a->name, b->name)) return "author.name";
	if (!str_eq(a->handle, b->handle)) return "author.handle";
	if (!str_eq(a->url, b->url)) return "author.url";
	if (!str_eq(a->avatar_url, b->avatar_url)) return "author.avatar_url";
	if (!str_eq(a->avatar_file, b->avatar_file)) return "author.avatar_file";
	if (a->bot != b->bot) return "author.bot";
	return emojis_diff(a->emojis, a->n_emojis, b->emojis, b->n_emojis);
}

/* The first field in which a and b differ, or NULL when equal. */
static const char *post_diff(const post_t *a, const post_t *b)
{
	const char *d;
	if (!str_eq(a->key, b->key)) return "key";
	if (!str_eq(a->source, b->source)) return "source";
	if (a->network != b->network) return "network";
	if (!str_eq(a->id, b->id)) return "id";
	if (!str_eq(a->url, b->url)) return "url";
	if (a->created != b->created) return "created";
	if (a->edited != b->edited) return "edited";
	if (a->fetched != b->fetched) return "fetched";
	if ((d = author_diff(&a->author, &b->author))) return d;
	if (!str_eq(a->person, b->person)) return "person";
	if (!a->booster != !b->booster) return "booster";
	if (a->booster && (d = author_diff(a->booster, b->booster))) return "booster.*";
	if (!str_eq(a->text, b->text)) return "text";
	if (a->n_spans != b->n_spans) return "n_spans";
	for (size_t i = 0; i < a->n_spans; i++) {
		if (a->spans[i].kind != b->spans[i].kind) return "span.kind";
		if (a->spans[i].start != b->spans[i].start) return "span.start";
		if (a->spans[i].end != b->spans[i].end) return "span.end";
		if (!str_eq(a->spans[i].target, b->spans[i].target)) return "span.target";
	}
	if (!str_eq(a->cw, b->cw)) return "cw";
	if (a->sensitive != b->sensitive) return "sensitive";
	if (a->reply != b->reply) return "reply";
	if (!str_eq(a->lang, b->lang)) return "lang";
	if (a->visibility != b->visibility) return "visibility";
	if (a->n_media != b->n_media) return "n_media";
	for (size_t i = 0; i < a->n_media; i++) {
		const media_t *x = &a->media[i], *y = &b->media[i];
		if (x->kind != y->kind) return "media.kind";
		if (!str_eq(x->url, y->url)) return "media.url";
		if (!str_eq(x->preview_url, y->preview_url)) return "media.preview_url";
		if (!str_eq(x->alt, y->alt)) return "media.alt";
		if (x->width != y->width) return "media.width";
		if (x->height != y->height) return "media.height";
		if (x->focus_x != y->focus_x) return "media.focus_x";
		if (x->focus_y != y->focus_y) return "media.focus_y";
		if (!str_eq(x->file, y->file)) return "media.file";
	}
	if ((d = emojis_diff(a->emojis, a->n_emojis, b->emojis, b->n_emojis))) return d;
	if (!a->card != !b->card) return "card";
	if (a->card) {
		if (!str_eq(a->card->url, b->card->url)) return "card.url";
		if (!str_eq(a->card->title, b->card->title)) return "card.title";
		if (!str_eq(a->card->description, b->card->description)) return "card.description";
		if (!str_eq(a->card->image_url, b->card->image_url)) return "card.image_url";
		if (!str_eq(a->card->image_file, b->card->image_file)) return "card.image_file";
	}
	if (a->priority != b->priority) return "priority";
	if (a->show_from != b->show_from) return "show_from";
	if (a->show_until != b->show_until) return "show_until";
	return NULL;
}

#define CHECK_SAME_POST(a, b)                                                  \
	do {                                                                   \
		const char *diff_ = post_diff((a), (b));                       \
		if (diff_) {                                                   \
			TEST_FAIL_("posts differ in %s", diff_);               \
			return;                                                \
		}                                                              \
	} while (0)

static cache_t *open_writer(const char *dir)
{
	char *err = NULL;
	cache_t *c = cache_open(dir, NULL, true, &err);
	if (!c)
		fprintf(stderr, "cache_open: %s\n", err ? err : "?");
	free(err);
	return c;
}

/* ---- posts.json round trips ---------------------------------------------- */

TEST(round_trip_every_field)
{
	char *dir = scratch_dir("cache");
	CHECK(dir);
	cache_t *c = open_writer(dir);
	CHECK(c);
	CHECK_STR(cache_dir(c), dir);
	post_list_t l, got;
	post_list_init(&l);
	post_list_init(&got);
	post_list_push(&l, full_post("mastodon:https://social.example/1", 1717243200));
	post_list_push(&l, full_post("mastodon:https://social.example/0", 1717000000));
	CHECK(cache_save_posts(c, &l));
	CHECK_INT(cache_load_posts(c, &got), 2);
	CHECK_INT(got.len, 2);
	CHECK_SAME_POST(got.items[0], l.items[0]);
	CHECK_SAME_POST(got.items[1], l.items[1]);

	/* post_to_json/post_from_json alone, too. */
	cJSON *j = post_to_json(l.items[0]);
	post_t *back = post_from_json(j);
	cJSON_Delete(j);
	CHECK(back);
	const char *diff = post_diff(back, l.items[0]);
	post_free(back);
	CHECK(diff == NULL);
	post_list_clear(&l);
	post_list_clear(&got);
	cache_close(c);
	scratch_remove(dir);
	free(dir);
}

TEST(round_trip_edge_cases)
{
	char *dir = scratch_dir("cache");
	CHECK(dir);
	cache_t *c = open_writer(dir);
	CHECK(c);
	post_list_t l, got;
	post_list_init(&l);
	post_list_init(&got);

	/* Minimal: key, network and empty text; every pointer NULL, every list empty. */
	post_t *p = post_new();
	p->key = xstrdup("rss:https://example.nl/feed#1");
	p->network = NET_RSS;
	p->author.name = xstrdup("");
	post_list_push(&l, p);

	/* UTF-8 everywhere, control characters, quotes, extreme numbers. */
	p = post_new();
	free(p->text);
	p->key = xstrdup("bluesky:at://did:plc:😀/app.bsky.feed.post/1");
	p->network = NET_BLUESKY;
	p->text = xstrdup("Goedemorgen ☀️🇳🇱 — café «quote» \"dq\" \\ \t\r\n\x7f 𝄞 end");
	p->author.name = xstrdup("Zoë 👩🏽‍💻");
	p->author.handle = xstrdup("@zoe.bsky.social");
	p->lang = xstrdup("");
	p->created = -86400;
	p->edited = 999999999999999; /* 15 digits: the exact limit of cJSON's printing */
	p->fetched = -999999999999999;
	p->priority = 2147483647;
	p->visibility = VIS_DIRECT;
	media_t *m = post_add_media(p);
	m->kind = MEDIA_UNKNOWN;
	m->url = xstrdup("https://cdn.bsky.app/x");
	m->focus_x = 1.0f;
	m->focus_y = -0.999999f;
	post_add_span(p, SPAN_EMOJI, 12, 18, "☀️");
	post_list_push(&l, p);

	/* A notice and the sample network. */
	p = post_new();
	free(p->text);
	p->key = xstrdup("notice:1");
	p->network = NET_NOTICE;
	p->text = xstrdup("Gesloten");
	p->author.name = xstrdup("Receptie");
	p->priority = -2147483647 - 1;
	p->visibility = VIS_PRIVATE;
	post_list_push(&l, p);
	p = post_new();
	p->key = xstrdup("sample:1");
	p->network = NET_SAMPLE;
	p->author.name = xstrdup("Voorbeeld");
	post_list_push(&l, p);

	CHECK(cache_save_posts(c, &l));
	CHECK_INT(cache_load_posts(c, &got), 4);
	post_list_sort(&l);
	for (size_t i = 0; i < l.len; i++)
		CHECK_SAME_POST(got.items[i], l.items[i]);

	/* An empty list is a valid file too. */
	post_list_clear(&got);
	post_list_t empty;
	post_list_init(&empty);
	CHECK(cache_save_posts(c, &empty));
	CHECK_INT(cache_load_posts(c, &got), 0);
	CHECK_INT(count_prefix(dir, "posts.json.corrupt", NULL), 0);
	post_list_clear(&l);
	cache_close(c);
	scratch_remove(dir);
	free(dir);
}

TEST(author_name_falls_back_to_handle)
{
	cJSON *j = cJSON_Parse("{\"key\":\"mastodon:x\",\"network\":\"mastodon\",\"text\":\"t\","
	                       "\"author\":{\"handle\":\"@a@b.example\"}}");
	post_t *p = post_from_json(j);
	cJSON_Delete(j);
	CHECK(p);
	CHECK_STR(p->author.name, "@a@b.example");
	post_free(p);
	j = cJSON_Parse("{\"key\":\"mastodon:x\",\"text\":\"t\"}");
	p = post_from_json(j);
	cJSON_Delete(j);
	CHECK(p);
	CHECK_INT(p->network, NET_MASTODON); /* from the key's prefix */
	CHECK_STR(p->author.name, "");
	CHECK_INT(p->visibility, VIS_PUBLIC);
	post_free(p);
	CHECK(post_from_json(NULL) == NULL);
}

TEST(file_has_documented_shape)
{
	char *dir = scratch_dir("cache");
	CHECK(dir);
	cache_t *c = open_writer(dir);
	CHECK(c);
	post_list_t l;
	post_list_init(&l);
	post_t *p = post_new();
	free(p->text);
	p->key = xstrdup("mastodon:https://social.example/9");
	p->network = NET_MASTODON;
	p->id = xstrdup("9007199254740993"); /* more than a double holds: must stay a string */
	p->text = xstrdup("Hallo wereld");
	p->created = 1717243200;
	p->author.name = xstrdup("A");
	post_add_span(p, SPAN_LINK, 0, 5, "https://example.nl");
	media_t *m = post_add_media(p);
	m->url = xstrdup("https://example.nl/a.png");
	m->focus_x = 0.3f;
	post_list_push(&l, p);
	time_t before = time(NULL);
	CHECK(cache_save_posts(c, &l));
	post_list_clear(&l);

	char *path = path_in(dir, "posts.json");
	size_t len;
	char *text = fsio_read_file(path, 1 << 20, &len);
	free(path);
	CHECK(text);
	CHECK(len > 0 && text[len - 1] == '\n');
	CHECK(strchr(text, '\n') == text + len - 1); /* compact: one line */
	CHECK(strstr(text, "\"spans\":[{\"kind\":\"link\",\"start\":0,\"end\":5,"
	                   "\"target\":\"https://example.nl\"}]"));
	CHECK(strstr(text, "\"id\":\"9007199254740993\""));
	CHECK(strstr(text, "\"focus_x\":0.3,"));
	CHECK(strstr(text, "\"created\":1717243200,"));
	cJSON *root = cJSON_Parse(text);
	free(text);
	CHECK(root);
	CHECK_STR(cJSON_GetObjectItem(root, "format")->valuestring, "balie-posts");
	CHECK(cJSON_GetObjectItem(root, "version")->valuedouble == 1);
	double saved = cJSON_GetObjectItem(root, "saved")->valuedouble;
	EXPECT(saved >= (double)before && saved <= (double)time(NULL));
	const cJSON *post = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "posts"), 0);
	EXPECT(cJSON_IsString(cJSON_GetObjectItem(post, "network")));
	EXPECT(cJSON_IsString(cJSON_GetObjectItem(post, "visibility")));
	EXPECT(cJSON_IsArray(cJSON_GetObjectItem(post, "emojis")));
	EXPECT(cJSON_IsObject(cJSON_GetObjectItem(post, "author")));
	EXPECT(cJSON_GetObjectItem(post, "url") == NULL); /* NULL strings are left out */
	EXPECT(cJSON_GetObjectItem(post, "card") == NULL);
	EXPECT(cJSON_IsFalse(cJSON_GetObjectItem(post, "sensitive")));
	cJSON_Delete(root);
	cache_close(c);
	scratch_remove(dir);
	free(dir);
}

TEST(documented_v1_fixture_loads)
{
	char *dir = scratch_dir("cache");
	CHECK(dir);
	char *src = xasprintf("%s/cache-posts-v1.json", test_fixture_dir());
	size_t len;
	char *text = fsio_read_file(src, 1 << 20, &len);
	free(src);
	CHECK(text);
	char *dst = path_in(dir, "posts.json");
	CHECK(write_file(dst, text, len));
	free(text);
	free(dst);
	cache_t *c = open_writer(dir);
	CHECK(c);
	post_list_t got;
	post_list_init(&got);
	capture_begin();
	size_t n = cache_load_posts(c, &got);
	char *log = capture_end();
	CHECK_STR(log, "");
	free(log);
	CHECK_INT(n, 2);
	const post_t *p = got.items[0];
	CHECK_STR(p->key, "mastodon:https://social.example/users/gemeente/statuses/112233445566778899");
	CHECK_INT(p->network, NET_MASTODON);
	CHECK_INT(p->created, 1717243200);
	CHECK_STR(p->author.emojis[0].file,
	          "73f4a96321f52d2a2562de51278bb050e2616e55883a38e9fb8f450eda953473.png");
	CHECK(p->booster);
	CHECK_STR(p->booster->handle, "@jansen@social.example");
	CHECK_INT(p->n_spans, 4);
	CHECK_INT(p->spans[3].kind, SPAN_EMOJI);
	CHECK(strncmp(p->text + p->spans[3].start, ":vlag:", 6) == 0);
	CHECK(strncmp(p->text + p->spans[0].start, "#opendag", 8) == 0);
	CHECK_INT(p->n_media, 1);
	CHECK(p->media[0].focus_x == -0.25f && p->media[0].focus_y == 0.5f);
	CHECK_INT(p->media[0].width, 1600);
	CHECK(p->card);
	CHECK_STR(p->card->image_file,
	          "8367cd66fdd136bba8ba23f8805bb050dd6289401c8ec3b0be44a3c233eef90d.webp");
	CHECK(p->sensitive && !p->reply);
	const post_t *q = got.items[1];
	CHECK_INT(q->network, NET_NOTICE);
	CHECK_INT(q->priority, 5);
	CHECK_INT(q->show_until, 1717257600);
	CHECK(q->url == NULL && q->booster == NULL && q->card == NULL);

	/* Saving what was loaded and loading again changes nothing. */
	post_list_t again;
	post_list_init(&again);
	CHECK(cache_save_posts(c, &got));
	CHECK_INT(cache_load_posts(c, &again), 2);
	CHECK_SAME_POST(again.items[0], got.items[0]);
	CHECK_SAME_POST(again.items[1], got.items[1]);
	post_list_clear(&again);
	post_list_clear(&got);
	cache_close(c);
	scratch_remove(dir);
	free(dir);
}

TEST(load_appends_newest_first)
{
	char *dir = scratch_dir("cache");
	CHECK(dir);
	cache_t *c = open_writer(dir);
	CHECK(c);
	post_list_t l, out;
	post_list_init(&l);
	post_list_init(&out);
	for (int i = 0; i < 5; i++) {
		post_t *p = post_new();
		p->key = xasprintf("rss:%d", i);
		p->network = NET_RSS;
		p->created = 1717000000 + (i * 7919) % 5 * 100;
		p->author.name = xstrdup("x");
		post_list_push(&l, p);
	}
	CHECK(cache_save_posts(c, &l));
	post_t *already = post_new();
	already->key = xstrdup("keep:me");
	post_list_push(&out, already);
	CHECK_INT(cache_load_posts(c, &out), 5);
	CHECK_INT(out.len, 6);
	CHECK(out.items[0] == already);
	for (size_t i = 2; i < out.len; i++)
		CHECK(out.items[i - 1]->created >= out.items[i]->created);
	post_list_clear(&l);
	post_list_clear(&out);
	cache_close(c);
	scratch_remove(dir);
	free(dir);
}

/* ---- damaged files ------------------------------------------------------- */

/* Write bytes as posts.json, load, and expect: 0 posts, the file moved aside
 * (with exactly these bytes), one log line naming reason.  Returns NULL on
 * success or a description of what went wrong (caller frees). */
static char *expect_moved_aside(const char *dir, const void *bytes, size_t len, const char *reason)
{
	char *path = path_in(dir, "posts.json");
	char *problem = NULL, *aside = NULL, *log = NULL, *aside_path = NULL, *moved = NULL;
	if (!write_file(path, bytes, len)) {
		problem = xstrdup("cannot write test file");
		goto out;
	}
	cache_t *c = open_writer(dir);
	if (!c) {
		problem = xstrdup("open failed");
		goto out;
	}
	post_list_t got;
	post_list_init(&got);
	capture_begin();
	size_t n = cache_load_posts(c, &got);
	log = capture_end();
	cache_close(c);
	post_list_clear(&got);
	if (n != 0) {
		problem = xasprintf("loaded %zu posts", n);
		goto out;
	}
	if (count_prefix(dir, "posts.json.corrupt-", &aside) != 1) {
		problem = xasprintf("%d files moved aside", count_prefix(dir, "posts.json.corrupt-", NULL));
		goto out;
	}
	if (access(path, F_OK) == 0) {
		problem = xstrdup("posts.json still there");
		goto out;
	}
	aside_path = path_in(dir, aside);
	size_t mlen = 0;
	moved = fsio_read_file(aside_path, 1 << 24, &mlen);
	if (!moved || mlen != len || memcmp(moved, bytes, len) != 0) {
		problem = xstrdup("moved file differs from the original");
		goto out;
	}
	if (reason && !strchr(reason, '*')) {
		char *want = xasprintf("balie: warning: cache: %s: %s; moved aside to %s; "
		                       "starting with an empty list\n", path, reason, aside_path);
		if (strcmp(log, want) != 0)
			problem = xasprintf("log was \"%s\", expected \"%s\"", log, want);
		free(want);
	} else if (reason) {
		/* "before*after": a number in place of the star, at most the file size. */
		const char *star = strchr(reason, '*');
		char *head = xasprintf("balie: warning: cache: %s: %.*s", path, (int)(star - reason), reason);
		char *tail = xasprintf("%s; moved aside to %s; starting with an empty list\n", star + 1,
		                       aside_path);
		size_t hl = strlen(head), ll = strlen(log);
		char *num_end = NULL;
		unsigned long at = 0;
		if (ll > hl && strncmp(log, head, hl) == 0)
			at = strtoul(log + hl, &num_end, 10);
		if (!num_end || num_end == log + hl || *num_end != ' ' || at > len ||
		    strcmp(num_end + 1, tail) != 0)
			problem = xasprintf("log was \"%s\", expected \"%s%s\"", log, head, tail);
		free(head);
		free(tail);
	} else {
		/* Any reason, but the rest of the line exactly. */
		char *head = xasprintf("balie: warning: cache: %s: corrupt (", path);
		char *tail = xasprintf("); moved aside to %s; starting with an empty list\n", aside_path);
		size_t ll = strlen(log), tl = strlen(tail);
		if (strncmp(log, head, strlen(head)) != 0 || ll < tl ||
		    strcmp(log + ll - tl, tail) != 0 || count_lines(log) != 1)
			problem = xasprintf("log was \"%s\"", log);
		free(head);
		free(tail);
	}
	unlink(aside_path);
out:
	free(path);
	free(aside);
	free(aside_path);
	free(log);
	free(moved);
	return problem;
}

/* ---- salvaging a damaged posts.json ----------------------------------------- */

/* A real posts.json of n posts (saved through the API), the posts it holds
 * (file order, newest first) and where each post's element starts; ends[k]
 * is one past its closing brace. */
typedef struct {
	char *text;
	size_t len;
	post_list_t posts;
	size_t starts[16], ends[16];
	size_t n;
} sample_t;

static bool sample_make(sample_t *s, size_t n)
{
	memset(s, 0, sizeof *s);
	post_list_init(&s->posts);
	if (n > 16)
		return false;
	char *dir = scratch_dir("cache");
	cache_t *c = dir ? open_writer(dir) : NULL;
	if (!c)
		return false;
	for (size_t i = 0; i < n; i++) {
		char key[32];
		snprintf(key, sizeof key, "mastodon:p%zu", i);
		post_t *p = full_post(key, 1717243200 - (int64_t)i * 60);
		/* Lengths differ, so damage at one offset hits different spots. */
		char *longer = xasprintf("%s %zu %.*s", p->text, i, (int)(i * 41 % 300),
		                         "Gemeente Voorbeeld zoekt vrijwilligers voor de open dag. "
		                         "Gemeente Voorbeeld zoekt vrijwilligers voor de open dag. "
		                         "Gemeente Voorbeeld zoekt vrijwilligers voor de open dag. "
		                         "Gemeente Voorbeeld zoekt vrijwilligers voor de open dag. "
		                         "Gemeente Voorbeeld zoekt vrijwilligers voor de open dag. "
		                         "Gemeente Voorbeeld zoekt vrijwilligers voor de open dag.");
		free(p->text);
		p->text = longer;
		if (i % 3 == 1) { /* not every post has every part */
			free(p->cw);
			p->cw = NULL;
		}
		post_list_push(&s->posts, p);
	}
	bool ok = cache_save_posts(c, &s->posts);
	cache_close(c);
	char *path = path_in(dir, "posts.json");
	s->text = ok ? fsio_read_file(path, 1 << 24, &s->len) : NULL;
	free(path);
	scratch_remove(dir);
	free(dir);
	if (!s->text)
		return false;
	for (size_t i = 0; i < n; i++) {
		char *head = xasprintf("{\"key\":\"mastodon:p%zu\"", i);
		const char *at = strstr(s->text, head);
		free(head);
		if (!at)
			return false;
		s->starts[i] = (size_t)(at - s->text);
	}
	for (size_t i = 0; i + 1 < n; i++)
		s->ends[i] = s->starts[i + 1] - 1; /* the comma */
	s->ends[n - 1] = s->len - 3;            /* "]}\n" */
	s->n = n;
	for (size_t i = 0; i < n; i++)
		if (s->text[s->ends[i] - 1] != '}' || (i > 0 && s->starts[i] <= s->starts[i - 1]))
			return false;
	return true;
}

static void sample_free(sample_t *s)
{
	free(s->text);
	post_list_clear(&s->posts);
}

/* Compare what was loaded with the sample: exactly the posts whose element
 * is in want[] (true = expected back), each equal to the original in every
 * field and printed back to the very bytes of its element.  NULL when right,
 * else what differs (caller frees). */
static char *check_recovered(const sample_t *s, const bool *want, const post_list_t *got)
{
	size_t n_want = 0;
	for (size_t k = 0; k < s->n; k++)
		n_want += want[k];
	if (got->len != n_want)
		return xasprintf("%zu posts loaded, expected %zu", got->len, n_want);
	for (size_t k = 0, g = 0; k < s->n; k++) {
		if (!want[k])
			continue;
		const post_t *p = got->items[g++]; /* newest first, as in the file */
		const post_t *o = s->posts.items[k];
		const char *d = post_diff(p, o);
		if (d)
			return xasprintf("post %zu (%s) differs in %s", k, p->key, d);
		cJSON *j = post_to_json(p);
		char *text = cJSON_PrintUnformatted(j);
		cJSON_Delete(j);
		size_t el = s->ends[k] - s->starts[k];
		bool same = strlen(text) == el && memcmp(text, s->text + s->starts[k], el) == 0;
		free(text);
		if (!same)
			return xasprintf("post %zu prints to other bytes than its element", k);
	}
	return NULL;
}

/* Check that log is exactly
 *   "balie: warning: cache: PATH: corrupt (invalid JSON at byte X of LEN); MIDDLE; TAIL\n"
 * with X <= LEN.  NULL when it is, else why (caller frees). */
static char *check_salvage_line(const char *log, const char *path, size_t len, const char *middle,
                                const char *tail)
{
	char *head = xasprintf("balie: warning: cache: %s: corrupt (invalid JSON at byte ", path);
	char *rest = xasprintf(" of %zu); %s; %s\n", len, middle, tail);
	size_t hl = strlen(head);
	char *num_end = NULL;
	unsigned long at = 0;
	if (strncmp(log, head, hl) == 0)
		at = strtoul(log + hl, &num_end, 10);
	char *problem = NULL;
	if (!num_end || num_end == log + hl || at > len || strcmp(num_end, rest) != 0)
		problem = xasprintf("log was \"%s\", expected \"%sN%s\"", log, head, rest);
	free(head);
	free(rest);
	return problem;
}

/* Truncation at every 29th byte and at every byte around where a post
 * starts or ends, read as --list does (no lock, nothing written): the posts
 * that were whole before the cut all come back, byte for byte, and no
 * others; the log line counts them. */
TEST(truncated_anywhere_keeps_every_complete_post)
{
	sample_t s;
	CHECK(sample_make(&s, 6));
	char *dir = scratch_dir("cache");
	CHECK(dir);
	char *path = path_in(dir, "posts.json");
	cache_t *c = cache_open(dir, NULL, false, NULL);
	CHECK(c);
	int tried = 0, with_posts = 0;
	for (size_t cut = 0; cut + 3 <= s.len; cut++) {
		bool near = false;
		for (size_t k = 0; k < s.n; k++)
			near = near || (cut + 3 >= s.starts[k] && cut <= s.starts[k] + 8) ||
			       (cut + 3 >= s.ends[k] && cut <= s.ends[k] + 3);
		if (cut % 29 != 0 && !near)
			continue;
		if (!write_file(path, s.text, cut)) {
			TEST_FAIL_("cannot write %s", path);
			break;
		}
		post_list_t got;
		post_list_init(&got);
		capture_begin();
		size_t n = cache_load_posts(c, &got);
		char *log = capture_end();
		bool want[16] = { false };
		size_t complete = 0, begun = 0;
		for (size_t k = 0; k < s.n; k++) {
			want[k] = cut >= s.ends[k];
			complete += want[k];
			begun += cut > s.starts[k];
		}
		char *problem = n == got.len ? check_recovered(&s, want, &got) : xstrdup("count");
		if (!problem && cut == 0) {
			char *line = xasprintf("balie: warning: cache: %s: corrupt (empty file); left in place "
			                       "(read-only open); starting with an empty list\n", path);
			if (strcmp(log, line) != 0)
				problem = xasprintf("log was \"%s\"", log);
			free(line);
		} else if (!problem && complete == 0) {
			problem = check_salvage_line(log, path, cut, "left in place (read-only open)",
			                             "starting with an empty list");
		} else if (!problem) {
			char *tail = xasprintf("recovered %zu of %zu posts from it", complete, begun);
			problem = check_salvage_line(log, path, cut, "left in place (read-only open)", tail);
			free(tail);
			with_posts++;
		}
		size_t flen = 0;
		char *now = fsio_read_file(path, 1 << 24, &flen);
		if (!problem && (!now || flen != cut || memcmp(now, s.text, cut) != 0 || count_entries(dir) != 1))
			problem = xstrdup("the reader changed the directory");
		free(now);
		free(log);
		post_list_clear(&got);
		if (problem) {
			TEST_FAIL_("cut at %zu of %zu: %s", cut, s.len, problem);
			free(problem);
			break;
		}
		tried++;
	}
	EXPECT(tried > 400);
	EXPECT(with_posts > tried / 2);
	cache_close(c);
	free(path);
	sample_free(&s);
	scratch_remove(dir);
	free(dir);
}

/* A writer keeps the damaged bytes as posts.json.corrupt-* and saves what it
 * recovered as posts.json, which then loads whole and quietly. */
TEST(salvaged_posts_replace_the_damaged_file)
{
	sample_t s;
	CHECK(sample_make(&s, 8));
	char *dir = scratch_dir("cache");
	CHECK(dir);
	char *path = path_in(dir, "posts.json");
	size_t cut = s.len * 8 / 10; /* the audit's case: 80 % of the file */
	size_t complete = 0, begun = 0;
	bool want[16] = { false };
	for (size_t k = 0; k < s.n; k++) {
		want[k] = cut >= s.ends[k];
		complete += want[k];
		begun += cut > s.starts[k];
	}
	CHECK(complete >= 5 && complete < s.n);
	CHECK(write_file(path, s.text, cut));
	cache_t *c = open_writer(dir);
	CHECK(c);
	post_list_t got, again;
	post_list_init(&got);
	post_list_init(&again);
	capture_begin();
	size_t n = cache_load_posts(c, &got);
	char *log = capture_end();
	char *aside = NULL;
	CHECK_INT(count_prefix(dir, "posts.json.corrupt-", &aside), 1);
	char *aside_path = path_in(dir, aside);
	char *middle = xasprintf("moved aside to %s", aside_path);
	char *tail = xasprintf("recovered %zu of %zu posts from it", complete, begun);
	char *problem = check_salvage_line(log, path, cut, middle, tail);
	if (!problem)
		problem = check_recovered(&s, want, &got);
	size_t alen = 0;
	char *kept = fsio_read_file(aside_path, 1 << 24, &alen);
	if (!problem && (!kept || alen != cut || memcmp(kept, s.text, cut) != 0))
		problem = xstrdup("the copy kept aside is not the damaged file byte for byte");
	if (problem) {
		TEST_FAIL_("%s", problem);
		free(problem);
	}
	CHECK_INT(n, complete);
	/* posts.json is the recovered set now: whole, and loads without a word. */
	capture_begin();
	size_t n2 = cache_load_posts(c, &again);
	char *log2 = capture_end();
	CHECK_STR(log2, "");
	CHECK_INT(n2, complete);
	problem = check_recovered(&s, want, &again);
	if (problem) {
		TEST_FAIL_("after the write-back: %s", problem);
		free(problem);
	}
	CHECK_INT(count_entries(dir), 4); /* posts.json, the copy, lock, media */
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
	free(log);
	free(log2);
	free(kept);
	free(middle);
	free(tail);
	free(aside);
	free(aside_path);
	post_list_clear(&got);
	post_list_clear(&again);
	cache_close(c);
	free(path);
	sample_free(&s);
	scratch_remove(dir);
	free(dir);
}

/* Damage inside the file costs only the posts it touches: the walk goes on
 * at the next post.  Each case damages a copy of the same sample. */
TEST(damage_in_the_middle_costs_only_the_posts_it_touches)
{
	sample_t s;
	CHECK(sample_make(&s, 8));
	char *dir = scratch_dir("cache");
	CHECK(dir);
	char *path = path_in(dir, "posts.json");
	cache_t *c = cache_open(dir, NULL, false, NULL);
	CHECK(c);
	enum { BRACE, SWALLOW, NUL_BLOCK, NUL_IN_TEXT, GARBAGE, COMMA, TRAILER, LAST };
	static const char *const names[] = {
		"the brace closing post 3's author", "post 2 swallowing post 3 as a member",
		"4 KiB of NUL bytes from post 3 on", "a NUL byte in post 4's text (cJSON would cut it)",
		"garbage inside post 5",
		"the comma after post 1", "the closing brace of the file",
	};
	for (int how = 0; how < LAST; how++) {
		char *b = xmalloc(s.len + 8);
		memcpy(b, s.text, s.len + 1);
		size_t len = s.len;
		bool want[16];
		size_t begun = s.n, nul_at = s.starts[3] + 100;
		for (size_t k = 0; k < s.n; k++)
			want[k] = true;
		switch (how) {
		case BRACE: {
			char *a = strstr(b + s.starts[3], "\"bot\":true,\"emojis\":[{");
			a = a ? strstr(a, "]}") : NULL;
			if (a)
				a[1] = '>';
			want[3] = false;
			break;
		}
		case SWALLOW: /* "...},{post 3}" becomes "...,"x":{post 3}": cJSON fails
		               * only at post 4, past the start of post 3 */
			memmove(b + s.ends[2] + 4, b + s.ends[2] + 1, s.len - s.ends[2]);
			memcpy(b + s.ends[2] - 1, ",\"x\":", 5);
			len += 3;
			want[2] = false;
			break;
		case NUL_BLOCK: {
			size_t from = s.starts[3] + 100, to = from + 4096;
			if (to > s.len - 3)
				to = s.len - 3;
			memset(b + from, 0, to - from);
			begun = 0;
			for (size_t k = 0; k < s.n; k++) {
				want[k] = s.ends[k] <= from || s.starts[k] >= to;
				begun += s.starts[k] < from || s.starts[k] >= to;
			}
			break;
		}
		case NUL_IN_TEXT:
			nul_at = (size_t)(strstr(b + s.starts[4], "\"text\":\"") - b) + 12;
			b[nul_at] = '\0';
			want[4] = false;
			break;
		case GARBAGE:
			memcpy(b + s.starts[5] + 300, "}]}\"{{[,,", 9);
			want[5] = false;
			break;
		case COMMA:
			b[s.ends[1]] = ';';
			break;
		case TRAILER:
			len -= 2; /* "]}\n" -> "]" */
			break;
		}
		char *problem = NULL;
		if (!write_file(path, b, len))
			problem = xstrdup("cannot write");
		post_list_t got;
		post_list_init(&got);
		capture_begin();
		cache_load_posts(c, &got);
		char *log = capture_end();
		size_t n_want = 0;
		for (size_t k = 0; k < s.n; k++)
			n_want += want[k];
		if (!problem)
			problem = check_recovered(&s, want, &got);
		if (!problem) {
			char *tail = xasprintf("recovered %zu of %zu posts from it", n_want, begun);
			if (how == NUL_BLOCK || how == NUL_IN_TEXT) {
				char *line = xasprintf("balie: warning: cache: %s: corrupt (NUL byte at offset "
				                       "%zu); left in place (read-only open); %s\n", path,
				                       nul_at, tail);
				if (strcmp(log, line) != 0)
					problem = xasprintf("log was \"%s\", expected \"%s\"", log, line);
				free(line);
			} else {
				problem = check_salvage_line(log, path, len, "left in place (read-only open)",
				                             tail);
			}
			free(tail);
		}
		if (problem) {
			TEST_FAIL_("%s: %s", names[how], problem);
			free(problem);
		}
		post_list_clear(&got);
		free(log);
		free(b);
	}
	EXPECT(s.starts[3] + 100 + 4096 < s.starts[6]); /* the block spares posts 6 and 7 */
	cache_close(c);
	free(path);
	sample_free(&s);
	scratch_remove(dir);
	free(dir);
}

/* Salvage needs the header to say what the posts are: damaged before the
 * posts array, or naming a newer version or no format, nothing is taken
 * and the file is moved aside as before. */
TEST(damaged_header_or_newer_version_recovers_nothing)
{
	sample_t s;
	CHECK(sample_make(&s, 3));
	char *dir = scratch_dir("cache");
	CHECK(dir);
	size_t cut = s.ends[1] + 10; /* two whole posts */
	static const struct {
		const char *from, *to, *what;
	} cases[] = {
		{ "\"format\":", "\"format\";", "damaged header" },
		{ "\"version\":1,", "\"version\":2,", "newer version" },
		{ "\"format\":\"balie-posts\",", "", "no format" },
		{ "\"version\":1,", "\"version\":1.5,", "fractional version" },
		{ "\"posts\":[", "\"posts\" [", "damaged posts member" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *at = strstr(s.text, cases[i].from);
		CHECK(at && (size_t)(at - s.text) < s.starts[0]);
		size_t pre = (size_t)(at - s.text), fl = strlen(cases[i].from);
		char *b = xasprintf("%.*s%s%.*s", (int)pre, s.text, cases[i].to, (int)(cut - pre - fl),
		                    at + fl);
		char *problem = expect_moved_aside(dir, b, strlen(b), NULL);
		if (problem) {
			TEST_FAIL_("%s: %s", cases[i].what, problem);
			free(problem);
		}
		free(b);
	}
	sample_free(&s);
	scratch_remove(dir);
	free(dir);
}

TEST(random_garbage_moves_aside)
{
	char *dir = scratch_dir("cache");
	CHECK(dir);
	srand(1234);
	for (int round = 0; round < 20; round++) {
		size_t len = 1 + (size_t)(rand() % 4000);
		unsigned char *buf = xmalloc(len);
		for (size_t i = 0; i < len; i++) {
			buf[i] = (unsigned char)rand();
			if (buf[i] == 0)
				buf[i] = '{';
		}
		buf[0] = round % 2 ? '{' : '\xff'; /* half of them look like JSON at first */
		char *problem = expect_moved_aside(dir, buf, len, NULL);
		free(buf);
		if (problem) {
			TEST_FAIL_("round %d: %s", round, problem);
			free(problem);
			break;
		}
	}
	scratch_remove(dir);
	free(dir);
}

TEST(wrong_shapes_move_aside_with_reason)
{
	static const struct {
		const char *json, *reason;
	} cases[] = {
		{ "[]", "corrupt (not a JSON object)" },
		{ "\"posts\"", "corrupt (not a JSON object)" },
		{ "null", "corrupt (not a JSON object)" },
		{ "{}", "corrupt (\"format\" is not \"balie-posts\")" },
		{ "{\"format\":\"balie-feed\",\"version\":1,\"posts\":[]}",
		  "corrupt (\"format\" is not \"balie-posts\")" },
		{ "{\"format\":\"balie-posts\",\"posts\":[]}",
		  "corrupt (\"version\" is not a positive integer)" },
		{ "{\"format\":\"balie-posts\",\"version\":\"1\",\"posts\":[]}",
		  "corrupt (\"version\" is not a positive integer)" },
		{ "{\"format\":\"balie-posts\",\"version\":0,\"posts\":[]}",
		  "corrupt (\"version\" is not a positive integer)" },
		{ "{\"format\":\"balie-posts\",\"version\":1.5,\"posts\":[]}",
		  "corrupt (\"version\" is not a positive integer)" },
		{ "{\"format\":\"balie-posts\",\"version\":1e300,\"posts\":[]}",
		  "corrupt (\"version\" is not a positive integer)" },
		{ "{\"format\":\"balie-posts\",\"version\":1}", "corrupt (\"posts\" is not an array)" },
		{ "{\"format\":\"balie-posts\",\"version\":1,\"posts\":{}}",
		  "corrupt (\"posts\" is not an array)" },
		{ "{\"format\":\"balie-posts\",\"version\":1,\"posts\":[]}}",
		  "corrupt (invalid JSON at byte 47 of 48)" },
		{ "   \n", "corrupt (invalid JSON at byte 4 of 4)" },
	};
	char *dir = scratch_dir("cache");
	CHECK(dir);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *problem = expect_moved_aside(dir, cases[i].json, strlen(cases[i].json),
		                                   cases[i].reason);
		if (problem) {
			TEST_FAIL_("%s: %s", cases[i].json, problem);
			free(problem);
			break;
		}
	}
	/* A NUL byte inside an otherwise valid file. */
	static const char nul[] = "{\"format\":\"balie-posts\",\"version\":1,\"posts\":[]}\0junk";
	char *problem = expect_moved_aside(dir, nul, sizeof nul - 1, "corrupt (NUL byte at offset 47)");
	if (problem) {
		TEST_FAIL_("NUL: %s", problem);
		free(problem);
	}
	scratch_remove(dir);
	free(dir);
}

TEST(future_version_is_moved_aside_not_overwritten)
{
	char *dir = scratch_dir("cache");
	CHECK(dir);
	static const char v2[] = "{\"format\":\"balie-posts\",\"version\":2,\"posts\":"
	                         "[{\"key\":\"mastodon:x\",\"network\":\"mastodon\",\"text\":\"v2\"}],"
	                         "\"new_field\":{}}";
	char *problem = expect_moved_aside(dir, v2, strlen(v2),
	                                   "format version 2 is newer than this balie reads (1)");
	if (problem) {
		TEST_FAIL_("%s", problem);
		free(problem);
		return;
	}
	/* Now again, keeping the file moved aside: a save must not touch it. */
	char *path = path_in(dir, "posts.json");
	CHECK(write_file(path, v2, strlen(v2)));
	cache_t *c = open_writer(dir);
	CHECK(c);
	post_list_t got;
	post_list_init(&got);
	capture_begin();
	CHECK_INT(cache_load_posts(c, &got), 0);
	free(capture_end());
	post_list_push(&got, full_post("mastodon:new", 1717243200));
	CHECK(cache_save_posts(c, &got));
	post_list_clear(&got);
	char *aside;
	CHECK_INT(count_prefix(dir, "posts.json.corrupt-", &aside), 1);
	char *aside_path = path_in(dir, aside);
	char *kept = fsio_read_file(aside_path, 1 << 20, NULL);
	CHECK(kept);
	CHECK_STR(kept, v2);
	CHECK_INT(cache_load_posts(c, &got), 1);
	post_list_clear(&got);
	free(kept);
	free(aside);
	free(aside_path);
	free(path);
	cache_close(c);
	scratch_remove(dir);
	free(dir);
}

TEST(corrupt_files_get_distinct_aside_names)
{
	char *dir = scratch_dir("cache");
	CHECK(dir);
	char *path = path_in(dir, "posts.json");
	for (int i = 0; i < 3; i++) { /* same second: -1, -2 suffixes */
		CHECK(write_file(path, "{", 1));
		cache_t *c = open_writer(dir);
		CHECK(c);
		post_list_t got;
		post_list_init(&got);
		capture_begin();
		cache_load_posts(c, &got);
		free(capture_end());
		cache_close(c);
	}
	CHECK_INT(count_prefix(dir, "posts.json.corrupt-", NULL), 3);
	free(path);
	scratch_remove(dir);
	free(dir);
}

TEST(bad_individual_posts_are_skipped_and_counted)
{
	char *dir = scratch_dir("cache");
	CHECK(dir);
	char *src = xasprintf("%s/cache-posts-bad-entries.json", test_fixture_dir());
	size_t len;
	char *text = fsio_read_file(src, 1 << 20, &len);
	free(src);
	CHECK(text);
	char *path = path_in(dir, "posts.json");
	CHECK(write_file(path, text, len));
	free(text);
	cache_t *c = open_writer(dir);
	CHECK(c);
	post_list_t got;
	post_list_init(&got);
	capture_begin();
	size_t n = cache_load_posts(c, &got);
	char *log = capture_end();
	char *want = xasprintf("balie: warning: cache: %s: skipped 10 of 14 posts "
	                       "(9 unreadable, 1 duplicate keys)\n", path);
	CHECK_STR(log, want);
	free(want);
	free(log);
	free(path);
	CHECK_INT(n, 4);
	CHECK_INT(count_prefix(dir, "posts.json.corrupt", NULL), 0);

	/* Newest first: the bluesky post (key-derived network), the first of
	 * the duplicates, the handle-only author, the all-wrong-types post. */
	CHECK_STR(got.items[0]->key, "bluesky:at://did:plc:abc/app.bsky.feed.post/3k");
	CHECK_INT(got.items[0]->network, NET_BLUESKY);
	CHECK_STR(got.items[1]->key, "rss:https://example.nl/a");
	CHECK_STR(got.items[1]->text, "Goed");
	CHECK_STR(got.items[2]->author.name, "@x.bsky.social");
	CHECK(got.items[2]->author.avatar_file == NULL); /* "abc.png" is not a media name */

	const post_t *p = got.items[3];
	CHECK_STR(p->key, "mastodon:wrong-types");
	CHECK_STR(p->text, "Hallo 🌍 wereld");
	CHECK(!p->source && !p->id && !p->url && !p->person && !p->booster && !p->cw && !p->lang);
	CHECK(p->created == 0 && p->edited == 0 && p->fetched == 0);
	CHECK_STR(p->author.name, "");
	CHECK(!p->sensitive && !p->reply);
	CHECK_INT(p->visibility, VIS_DIRECT);
	CHECK_INT(p->n_spans, 2);
	CHECK_INT(p->spans[0].kind, SPAN_LINK);
	CHECK_INT(p->spans[0].start, 0);
	CHECK_INT(p->spans[0].end, 5);
	CHECK_STR(p->spans[0].target, "https://ok.example");
	CHECK_INT(p->spans[1].kind, SPAN_EMOJI);
	CHECK_INT(p->spans[1].start, 6);
	CHECK_INT(p->spans[1].end, 10);
	CHECK(p->spans[1].target == NULL);
	CHECK_INT(p->n_media, 1);
	CHECK_INT(p->media[0].kind, MEDIA_UNKNOWN);
	CHECK_STR(p->media[0].url, "https://ok.example/a.png");
	CHECK(p->media[0].width == 0 && p->media[0].height == 0);
	CHECK(p->media[0].focus_x == 0.0f && p->media[0].focus_y == -0.5f);
	CHECK(p->media[0].alt == NULL && p->media[0].file == NULL);
	CHECK_INT(p->n_emojis, 1);
	CHECK_STR(p->emojis[0].shortcode, "ok");
	CHECK(p->emojis[0].url == NULL && p->emojis[0].file == NULL);
	CHECK(p->card == NULL);
	CHECK(p->priority == 0 && p->show_from == 0 && p->show_until == 0);
	post_list_clear(&got);
	cache_close(c);
	scratch_remove(dir);
	free(dir);
}

TEST(unreadable_posts_file_is_reported_and_left_alone)
{
	char *dir = scratch_dir("cache");
	CHECK(dir);
	char *path = path_in(dir, "posts.json");
	CHECK(mkdir(path, 0755) == 0); /* EISDIR: not corrupt, just unreadable */
	cache_t *c = open_writer(dir);
	CHECK(c);
	post_list_t got;
	post_list_init(&got);
	capture_begin();
	CHECK_INT(cache_load_posts(c, &got), 0);
	char *log = capture_end();
	char *want = xasprintf("balie: warning: cache: %s: cannot read (Is a directory); "
	                       "starting with an empty list\n", path);
	CHECK_STR(log, want);
	free(want);
	free(log);
	struct stat st;
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK_INT(count_prefix(dir, "posts.json.corrupt", NULL), 0);
	free(path);
	cache_close(c);
	scratch_remove(dir);
	free(dir);
}

TEST(oversized_posts_file_is_moved_aside)
{
	char *dir = scratch_dir("cache");
	CHECK(dir);
	char *path = path_in(dir, "posts.json");
	int fd = open(path, O_WRONLY | O_CREAT, 0644); /* sparse: costs no disk */
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, (off_t)(64 << 20) + 1) == 0);
	close(fd);
	cache_t *c = open_writer(dir);
	CHECK(c);
	post_list_t got;
	post_list_init(&got);
	capture_begin();
	CHECK_INT(cache_load_posts(c, &got), 0);
	char *log = capture_end();
	cache_close(c);
	char *aside;
	CHECK_INT(count_prefix(dir, "posts.json.corrupt-", &aside), 1);
	char *want = xasprintf("balie: warning: cache: %s: corrupt (larger than 64 MiB); moved aside "
	                       "to %s/%s; starting with an empty list\n", path, dir, aside);
	CHECK_STR(log, want);
	free(want);
	free(log);
	free(aside);
	free(path);
	scratch_remove(dir);
	free(dir);
}

/* ---- readers --------------------------------------------------------------- */

TEST(reader_creates_nothing_but_the_directory)
{
	char *base = scratch_dir("cache");
	CHECK(base);
	char *dir = path_in(base, "sub/cache");
	char *err = NULL;
	cache_t *c = cache_open(dir, NULL, false, &err);
	CHECK(c);
	CHECK(err == NULL);
	post_list_t got;
	post_list_init(&got);
	CHECK_INT(cache_load_posts(c, &got), 0);
	cJSON *st = cache_load_state(c);
	CHECK(cJSON_IsObject(st) && cJSON_GetArraySize(st) == 0);
	cJSON_Delete(st);
	CHECK(cache_media_path(c, "0000000000000000000000000000000000000000000000000000000000000000.png") == NULL);
	cache_close(c);
	struct stat sb;
	CHECK(stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode));
	CHECK_INT(count_entries(dir), 0);
	free(dir);
	scratch_remove(base);
	free(base);
}

TEST(reader_leaves_corrupt_file_in_place)
{
	char *dir = scratch_dir("cache");
	CHECK(dir);
	char *path = path_in(dir, "posts.json");
	CHECK(write_file(path, "{\"format\":", 10));
	cache_t *c = cache_open(dir, NULL, false, NULL);
	CHECK(c);
	post_list_t got;
	post_list_init(&got);
	capture_begin();
	CHECK_INT(cache_load_posts(c, &got), 0);
	char *log = capture_end();
	char *want = xasprintf("balie: warning: cache: %s: corrupt (invalid JSON at byte 10 of 10); "
	                       "left in place (read-only open); starting with an empty list\n", path);
	CHECK_STR(log, want);
	free(want);
	free(log);
	CHECK(access(path, F_OK) == 0);
	CHECK_INT(count_entries(dir), 1);
	free(path);
	cache_close(c);
	scratch_remove(dir);
	free(dir);
}

/* ---- the lock ---------------------------------------------------------------- */

TEST(second_writer_is_refused_while_another_process_holds_the_lock)
{
	char *dir = scratch_dir("cache");
	CHECK(dir);
	int ready[2], go[2];
	CHECK(pipe(ready) == 0 && pipe(go) == 0);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		cache_t *c = cache_open(dir, NULL, true, NULL);
		char b = c ? 'y' : 'n';
		if (write(ready[1], &b, 1) != 1)
			_exit(2);
		if (read(go[0], &b, 1) < 0)
			_exit(3);
		cache_close(c);
		_exit(0);
	}
	char b = 0;
	CHECK(read(ready[0], &b, 1) == 1);
	CHECK(b == 'y');

	char *err = NULL;
	cache_t *c = cache_open(dir, NULL, true, &err);
	EXPECT(c == NULL);
	char *want = xasprintf("cache %s is in use by another balie (pid %ld)", dir, (long)pid);
	EXPECT(err && strcmp(err, want) == 0);
	if (err && strcmp(err, want) != 0)
		printf("      got \"%s\"\n", err);
	free(want);
	free(err);
	cache_close(c);

	/* A reader is not refused. */
	cache_t *r = cache_open(dir, NULL, false, NULL);
	EXPECT(r != NULL);
	cache_close(r);

	/* Once the holder is gone (here: killed), the lock is free. */
	kill(pid, SIGKILL);
	int status;
	waitpid(pid, &status, 0);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	err = NULL;
	c = cache_open(dir, NULL, true, &err);
	CHECK(c);
	CHECK(err == NULL);
	char *lock = path_in(dir, "lock");
	char *pidtext = fsio_read_file(lock, 100, NULL);
	char *mine = xasprintf("%ld\n", (long)getpid());
	CHECK(pidtext);
	CHECK_STR(pidtext, mine);
	free(pidtext);
	free(mine);
	free(lock);
	cache_close(c);
	scratch_remove(dir);
	free(dir);
}

TEST(writer_open_removes_stale_temp_files)
{
	char *dir = scratch_dir("cache");
	CHECK(dir);
	char *media = path_in(dir, "media");
	CHECK(mkdir(media, 0755) == 0);
	char *t1 = path_in(dir, "posts.json.tmp.99999.3");
	char *t2 = xasprintf("%s/%s.png.tmp.99999.4", media,
	                     "55c64d0fcd6f9d5f7c828093857e3fdfda68478bb4e9bd24d481ef391c7804e8");
	char *other = path_in(dir, "notes.txt");
	CHECK(write_file(t1, "{\"format\":\"bal", 14));
	CHECK(write_file(t2, "\x89PNG", 4));
	CHECK(write_file(other, "mine", 4));

	cache_t *r = cache_open(dir, NULL, false, NULL); /* readers leave them */
	CHECK(r);
	cache_close(r);
	CHECK(access(t1, F_OK) == 0 && access(t2, F_OK) == 0);

	capture_begin();
	cache_t *c = open_writer(dir);
	char *log = capture_end();
	CHECK(c);
	EXPECT(access(t1, F_OK) != 0);
	EXPECT(access(t2, F_OK) != 0);
	EXPECT(access(other, F_OK) == 0);
	EXPECT(count_lines(log) == 2);
	EXPECT(strstr(log, "posts.json.tmp.99999.3: removed a temp file left by an interrupted write"));
	free(log);
	cache_close(c);
	free(t1);
	free(t2);
	free(other);
	free(media);
	scratch_remove(dir);
	free(dir);
}

/* ---- state.json ---------------------------------------------------------------- */

TEST(state_round_trip_and_corrupt_state)
{
	char *dir = scratch_dir("cache");
	CHECK(dir);
	cache_t *c = open_writer(dir);
	CHECK(c);
	cJSON *st = cache_load_state(c);
	CHECK(cJSON_IsObject(st) && cJSON_GetArraySize(st) == 0);
	cJSON_Delete(st);

	cJSON *s = cJSON_Parse("{\"mastodon:@gemeente@social.example\":{\"since_id\":\"1122\","
	                       "\"etag\":\"W/\\\"abc\\\"\",\"failures\":2},\"rss:https://x\":{}}");
	CHECK(s);
	CHECK(cache_save_state(c, s));
	st = cache_load_state(c);
	CHECK(cJSON_Compare(st, s, true));
	struct stat sb;
	char *sp = path_in(dir, "state.json");
	CHECK(stat(sp, &sb) == 0);
	free(sp);
	CHECK_INT(sb.st_mode & 0777, 0600); /* holds session tokens */
	char *pp = path_in(dir, "posts.json");
	post_list_t none;
	post_list_init(&none);
	CHECK(cache_save_posts(c, &none));
	CHECK(stat(pp, &sb) == 0);
	free(pp);
	CHECK_INT(sb.st_mode & 0777, 0644); /* public posts */
	cJSON_Delete(st);
	cJSON_Delete(s);

	char *path = path_in(dir, "state.json");
	static const char *bad[] = { "[1,2]", "{\"a\":", "" };
	static const char *reasons[] = { "corrupt (not a JSON object)",
	                                 "corrupt (invalid JSON at byte 5 of 5)",
	                                 "corrupt (empty file)" };
	for (int i = 0; i < 3; i++) {
		CHECK(write_file(path, bad[i], strlen(bad[i])));
		capture_begin();
		st = cache_load_state(c);
		char *log = capture_end();
		CHECK(cJSON_IsObject(st) && cJSON_GetArraySize(st) == 0);
		cJSON_Delete(st);
		char *aside;
		CHECK_INT(count_prefix(dir, "state.json.corrupt-", &aside), 1);
		char *want = xasprintf("balie: warning: cache: %s: %s; moved aside to %s/%s; "
		                       "starting with empty source state\n", path, reasons[i], dir, aside);
		CHECK_STR(log, want);
		free(want);
		free(log);
		char *ap = path_in(dir, aside);
		unlink(ap);
		free(ap);
		free(aside);
	}
	free(path);
	cache_close(c);
	scratch_remove(dir);
	free(dir);
}

/* ---- media --------------------------------------------------------------------- */

static const unsigned char png_bytes[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
                                           'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1 };

TEST(media_ext_from_magic_bytes)
{
#define EXT(lit) cache_media_ext(lit, sizeof lit - 1)
	CHECK_STR(cache_media_ext(png_bytes, sizeof png_bytes), "png");
	CHECK_STR(EXT("\xff\xd8\xff\xe0\0\x10JFIF"), "jpg");
	CHECK_STR(EXT("GIF89a\1\0\1\0"), "gif");
	CHECK_STR(EXT("GIF87a"), "gif");
	CHECK_STR(EXT("RIFF\x24\0\0\0WEBPVP8 "), "webp");
	CHECK_STR(EXT("\0\0\0\x18" "ftypavif\0\0\0\0avifmif1"), "avif");
	CHECK_STR(EXT("\0\0\0\x18" "ftypmif1\0\0\0\0mif1avif"), "avif");
	CHECK_STR(EXT("\0\0\0\x14" "ftypheic\0\0\0\0mif1"), "heic");
	CHECK_STR(EXT("\0\0\0\x14" "ftypmif1\0\0\0\0heic"), "heic");
	CHECK_STR(EXT("\0\0\0\x14" "ftypisom\0\0\0\0mp41"), "bin");
	/* A box size larger than the data must not be trusted. */
	CHECK_STR(EXT("\xff\xff\xff\xff" "ftypmif1\0\0\0\0mif"), "heic");
	CHECK_STR(EXT("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), "svg");
	CHECK_STR(EXT("\xef\xbb\xbf \n<?xml version=\"1.0\"?><svg/>"), "svg");
	CHECK_STR(EXT("<html>"), "bin");
	CHECK_STR(EXT("\x89PN"), "bin");
	CHECK_STR(EXT("RIFF\0\0\0\0WAVE"), "bin");
	CHECK_STR(EXT(""), "bin");
	CHECK_STR(cache_media_ext(NULL, 0), "bin");
	CHECK_STR(EXT("   "), "bin");
	CHECK_STR(EXT("<sv"), "bin");
#undef EXT
}

TEST(media_names_are_validated)
{
	static const char *bad[] = {
		"", "../x", "abc.png", "../../etc/passwd",
		"55C64D0FCD6F9D5F7C828093857E3FDFDA68478BB4E9BD24D481EF391C7804E8.png",
		"55c64d0fcd6f9d5f7c828093857e3fdfda68478bb4e9bd24d481ef391c7804e8.exe",
		"55c64d0fcd6f9d5f7c828093857e3fdfda68478bb4e9bd24d481ef391c7804e8/png",
		"55c64d0fcd6f9d5f7c828093857e3fdfda68478bb4e9bd24d481ef391c7804e.png",
		"55c64d0fcd6f9d5f7c828093857e3fdfda68478bb4e9bd24d481ef391c7804e88.png",
		"55c64d0fcd6f9d5f7c828093857e3fdfda68478bb4e9bd24d481ef391c7804e8.png/../../x",
		"55c64d0fcd6f9d5f7c828093857e3fdfda68478bb4e9bd24d481ef391c7804e8.",
		"55c64d0fcd6f9d5f7c828093857e3fdfda68478bb4e9bd24d481ef391c7804e8.pngx",
		"55c64d0fcd6f9d5f7c828093857e3fdfda68478bb4e9bd24d481ef391c7804e8.png.tmp.1.2",
		"/55c64d0fcd6f9d5f7c828093857e3fdfda68478bb4e9bd24d481ef391c7804e8.png",
		"55c64d0fcd6f9d5f7c828093857e3fdfda68478bb4e9bd24d481ef391c7804g8.png",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (cache_media_name_valid(bad[i])) {
			TEST_FAIL_("accepted \"%s\"", bad[i]);
			return;
		}
	CHECK(!cache_media_name_valid(NULL));
	static const char *exts[] = { "png", "jpg", "gif", "webp", "avif", "heic", "svg", "bin" };
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
		char *n = xasprintf("55c64d0fcd6f9d5f7c828093857e3fdfda68478bb4e9bd24d481ef391c7804e8.%s", exts[i]);
		bool ok = cache_media_name_valid(n);
		free(n);
		CHECK(ok);
	}

	/* cache_media_path refuses them too, even when such a file exists. */
	char *dir = scratch_dir("cache");
	CHECK(dir);
	cache_t *c = open_writer(dir);
	CHECK(c);
	char *evil = xasprintf("%s/media/abc.png", dir);
	CHECK(write_file(evil, "x", 1));
	CHECK(cache_media_path(c, "abc.png") == NULL);
	CHECK(cache_media_path(c, "../lock") == NULL);
	CHECK(cache_media_path(c, NULL) == NULL);
	free(evil);
	cache_close(c);
	scratch_remove(dir);
	free(dir);
}

static void set_mtime(const char *path, time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };
	utimensat(AT_FDCWD, path, ts, 0);
}

static time_t mtime_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_mtime : -1;
}

TEST(media_store_is_content_addressed_and_idempotent)
{
	char *dir = scratch_dir("cache");
	CHECK(dir);
	cache_t *c = open_writer(dir);
	CHECK(c);
	char *name = cache_media_store(c, png_bytes, sizeof png_bytes);
	CHECK(name);
	char hex[65];
	sha256_hex(png_bytes, sizeof png_bytes, hex);
	char *want = xasprintf("%s.png", hex);
	CHECK_STR(name, want);
	free(want);
	char *path = cache_media_path(c, name);
	CHECK(path);
	char *expect_path = xasprintf("%s/media/%s", dir, name);
	CHECK_STR(path, expect_path);
	free(expect_path);
	size_t len;
	char *got = fsio_read_file(path, 1 << 20, &len);
	CHECK(got);
	CHECK(len == sizeof png_bytes && memcmp(got, png_bytes, len) == 0);
	free(got);
	struct stat a, b;
	CHECK(stat(path, &a) == 0);
	CHECK_INT(a.st_mode & 0777, 0644);

	/* Again: same name, same inode (not rewritten), mtime refreshed. */
	set_mtime(path, 1000000000);
	char *again = cache_media_store(c, png_bytes, sizeof png_bytes);
	CHECK(again);
	CHECK_STR(again, name);
	CHECK(stat(path, &b) == 0);
	CHECK(a.st_ino == b.st_ino);
	CHECK(b.st_mtime > 1000000000);
	free(again);

	/* A damaged copy (wrong size) is replaced. */
	CHECK(write_file(path, "x", 1));
	again = cache_media_store(c, png_bytes, sizeof png_bytes);
	CHECK(again);
	got = fsio_read_file(path, 1 << 20, &len);
	CHECK(got && len == sizeof png_bytes);
	free(got);
	free(again);

	/* Other bytes, other names; unknown bytes become .bin. */
	char *svg = cache_media_store(c, "<svg/>", 6);
	char *bin = cache_media_store(c, "hello", 5);
	CHECK(svg && bin);
	CHECK(strcmp(svg + 65, "svg") == 0);
	CHECK_STR(bin, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824.bin");
	char *media = path_in(dir, "media");
	int in_media = count_entries(media);
	free(media);
	CHECK_INT(in_media, 3);
	free(svg);
	free(bin);

	/* Missing file: NULL. */
	CHECK(unlink(path) == 0);
	CHECK(cache_media_path(c, name) == NULL);
	free(path);
	free(name);
	cache_close(c);
	scratch_remove(dir);
	free(dir);
}

TEST(media_path_marks_use_for_lru)
{
	char *dir = scratch_dir("cache");
	CHECK(dir);
	cache_t *c = open_writer(dir);
	CHECK(c);
	char *name = cache_media_store(c, "GIF89a-one", 10);
	CHECK(name);
	char *full = xasprintf("%s/media/%s", dir, name);
	set_mtime(full, 1000000000);
	char *p = cache_media_path(c, name);
	CHECK(p);
	CHECK(mtime_of(full) > 1000000000);
	free(p);

	/* A reader does not touch it. */
	set_mtime(full, 1000000000);
	cache_t *r = cache_open(dir, NULL, false, NULL);
	CHECK(r);
	p = cache_media_path(r, name);
	CHECK(p);
	CHECK(mtime_of(full) == 1000000000);
	free(p);
	cache_close(r);
	free(full);
	free(name);
	cache_close(c);
	scratch_remove(dir);
	free(dir);
}

/* Store n distinct 1000-byte blobs with mtimes 1e9 + i; names in out[]. */
static bool store_blobs(cache_t *c, const char *dir, int n, char **out)
{
	for (int i = 0; i < n; i++) {
		char blob[1000];
		memset(blob, 'a' + i, sizeof blob);
		blob[0] = (char)0xff; /* .bin */
		out[i] = cache_media_store(c, blob, sizeof blob);
		if (!out[i])
			return false;
		char *full = xasprintf("%s/media/%s", dir, out[i]);
		set_mtime(full, 1000000000 + i);
		free(full);
	}
	return true;
}

static bool media_exists(const char *dir, const char *name)
{
	char *full = xasprintf("%s/media/%s", dir, name);
	bool ok = access(full, F_OK) == 0;
	free(full);
	return ok;
}

TEST(evict_deletes_least_recently_used_first)
{
	char *dir = scratch_dir("cache");
	CHECK(dir);
	cache_options_t o;
	cache_options_default(&o);
	o.max_media_bytes = 2500;
	cache_t *c = cache_open(dir, &o, true, NULL);
	CHECK(c);
	char *n[5];
	CHECK(store_blobs(c, dir, 5, n));
	/* Using #0 makes it the newest. */
	char *p = cache_media_path(c, n[0]);
	free(p);
	/* A file that is not a media name is neither counted nor deleted. */
	char *junk = xasprintf("%s/media/README", dir);
	CHECK(write_file(junk, "keep me", 7));
	CHECK_INT(cache_media_evict(c, NULL), 3000);
	CHECK(media_exists(dir, n[0]));
	CHECK(!media_exists(dir, n[1]));
	CHECK(!media_exists(dir, n[2]));
	CHECK(!media_exists(dir, n[3]));
	CHECK(media_exists(dir, n[4]));
	CHECK(access(junk, F_OK) == 0);
	CHECK_INT(cache_media_evict(c, NULL), 0); /* under the limit: nothing to do */
	free(junk);
	for (int i = 0; i < 5; i++)
		free(n[i]);
	cache_close(c);
	scratch_remove(dir);
	free(dir);
}

TEST(evict_never_deletes_referenced_files)
{
	char *dir = scratch_dir("cache");
	CHECK(dir);
	cache_options_t o;
	cache_options_default(&o);
	o.max_media_bytes = 0;
	cache_t *c = cache_open(dir, &o, true, NULL);
	CHECK(c);
	char *n[8];
	CHECK(store_blobs(c, dir, 8, n));
	/* The six oldest are each referenced in a different way. */
	post_list_t keep;
	post_list_init(&keep);
	post_t *a = post_new(), *b = post_new();
	a->key = xstrdup("mastodon:a");
	a->author.avatar_file = xstrdup(n[0]);
	media_t *m = post_add_media(a);
	m->url = xstrdup("https://x/1");
	m->file = xstrdup(n[1]);
	emoji_list_add(&a->emojis, &a->n_emojis, "e", NULL);
	a->emojis[0].file = xstrdup(n[2]);
	b->key = xstrdup("mastodon:b");
	emoji_list_add(&b->author.emojis, &b->author.n_emojis, "f", NULL);
	b->author.emojis[0].file = xstrdup(n[3]);
	b->card = xcalloc(1, sizeof *b->card);
	b->card->image_file = xstrdup(n[4]);
	b->booster = xcalloc(1, sizeof *b->booster);
	b->booster->avatar_file = xstrdup(n[5]);
	post_list_push(&keep, a);
	post_list_push(&keep, b);
	CHECK_INT(cache_media_evict(c, &keep), 2000);
	for (int i = 0; i < 6; i++)
		if (!media_exists(dir, n[i])) {
			TEST_FAIL_("referenced file #%d was deleted", i);
			return;
		}
	CHECK(!media_exists(dir, n[6]));
	CHECK(!media_exists(dir, n[7]));
	post_list_clear(&keep);
	for (int i = 0; i < 8; i++)
		free(n[i]);
	cache_close(c);
	scratch_remove(dir);
	free(dir);
}

/* ---- prune ----------------------------------------------------------------------- */

static void push_at(post_list_t *l, const char *key, int64_t created)
{
	post_t *p = post_new();
	p->key = xstrdup(key);
	p->created = created;
	post_list_push(l, p);
}

TEST(prune_by_age_and_count)
{
	const int64_t now = 1748736000; /* 2025-06-01 */
	const int64_t day = 86400;
	cache_options_t o;
	cache_options_default(&o);
	CHECK_INT(o.max_age_days, 30);
	CHECK_INT(o.max_posts, 500);
	CHECK_INT(o.max_media_bytes, 256LL * 1024 * 1024);

	post_list_t l;
	post_list_init(&l);
	push_at(&l, "future", now + 10 * day); /* clock skew on the other side: keep */
	push_at(&l, "today", now);
	push_at(&l, "29d", now - 29 * day);
	push_at(&l, "30d", now - 30 * day);
	push_at(&l, "31d", now - 31 * day);
	push_at(&l, "1y", now - 365 * day);
	cache_prune(&o, &l, now);
	CHECK_INT(l.len, 4);
	CHECK_STR(l.items[0]->key, "future");
	CHECK_STR(l.items[3]->key, "30d");

	/* An unset clock (a Pi without RTC) drops nothing by age. */
	push_at(&l, "old", now - 365 * day);
	cache_prune(&o, &l, 1000);
	CHECK_INT(l.len, 5);
	cache_prune(&o, &l, 1704067200); /* exactly 2024-01-01 is not "after" */
	CHECK_INT(l.len, 5);

	/* Count: the newest max_posts stay. */
	o.max_posts = 2;
	cache_prune(&o, &l, 1000);
	CHECK_INT(l.len, 2);
	CHECK_STR(l.items[0]->key, "future");
	CHECK_STR(l.items[1]->key, "today");

	/* Zero means no limit. */
	o.max_posts = 0;
	o.max_age_days = 0;
	push_at(&l, "ancient", 0);
	cache_prune(&o, &l, now);
	CHECK_INT(l.len, 3);
	post_list_clear(&l);
	cache_prune(&o, &l, now); /* empty list is fine */
	CHECK_INT(l.len, 0);
}

/* ---- directories ----------------------------------------------------------------- */

static void default_dir_order_(void);

TEST(default_dir_order)
{
	/* The environment is the process's: put it back whatever happens. */
	const char *names[] = { "CACHE_DIRECTORY", "XDG_CACHE_HOME", "HOME" };
	char *saved[3];
	for (int i = 0; i < 3; i++)
		saved[i] = xstrdup(getenv(names[i]));
	default_dir_order_();
	for (int i = 0; i < 3; i++) {
		if (saved[i])
			setenv(names[i], saved[i], 1);
		else
			unsetenv(names[i]);
		free(saved[i]);
	}
}

static void default_dir_order_(void)
{
	char *s;
	setenv("CACHE_DIRECTORY", "/var/cache/balie:/var/cache/other", 1);
	setenv("XDG_CACHE_HOME", "/home/k/.xdg", 1);
	setenv("HOME", "/home/k", 1);
	s = cache_default_dir("/srv/balie");
	CHECK_STR(s, "/srv/balie");
	free(s);
	s = cache_default_dir(NULL);
	CHECK_STR(s, "/var/cache/balie");
	free(s);
	s = cache_default_dir("");
	CHECK_STR(s, "/var/cache/balie");
	free(s);
	unsetenv("CACHE_DIRECTORY");
	s = cache_default_dir(NULL);
	CHECK_STR(s, "/home/k/.xdg/balie");
	free(s);
	setenv("XDG_CACHE_HOME", "relative/path", 1); /* invalid per the XDG spec */
	s = cache_default_dir(NULL);
	CHECK_STR(s, "/home/k/.cache/balie");
	free(s);
	unsetenv("XDG_CACHE_HOME");
	s = cache_default_dir(NULL);
	CHECK_STR(s, "/home/k/.cache/balie");
	free(s);
	setenv("CACHE_DIRECTORY", "", 1);
	s = cache_default_dir(NULL);
	CHECK_STR(s, "/home/k/.cache/balie");
	free(s);
	unsetenv("CACHE_DIRECTORY");
	/* Without HOME, the password database's home directory. */
	unsetenv("HOME");
	struct passwd *pw = getpwuid(getuid());
	s = cache_default_dir(NULL);
	CHECK(s);
	if (pw && pw->pw_dir && *pw->pw_dir) {
		char *want = xasprintf("%s/.cache/balie", pw->pw_dir);
		CHECK_STR(s, want);
		free(want);
	}
	free(s);
}

TEST(open_fails_with_clear_message_when_dir_cannot_be_made)
{
	char *base = scratch_dir("cache");
	CHECK(base);
	char *file = path_in(base, "file");
	CHECK(write_file(file, "x", 1));
	char *dir = path_in(base, "file/cache");
	char *err = NULL;
	cache_t *c = cache_open(dir, NULL, true, &err);
	CHECK(c == NULL);
	char *want = xasprintf("cannot create cache directory %s: Not a directory", dir);
	CHECK(err);
	CHECK_STR(err, want);
	free(want);
	free(err);
	/* A reader of it finds nothing, without failing. */
	c = cache_open(dir, NULL, false, NULL);
	CHECK(c);
	post_list_t got;
	post_list_init(&got);
	capture_begin();
	size_t n = cache_load_posts(c, &got);
	char *log = capture_end();
	cache_close(c);
	CHECK_INT(n, 0);
	want = xasprintf("balie: warning: cache: %s/posts.json: cannot read (Not a directory); "
	                 "starting with an empty list\n", dir);
	CHECK_STR(log, want);
	free(want);
	free(log);
	free(dir);
	free(file);
	scratch_remove(base);
	free(base);
}

TEST(directory_removed_while_running)
{
	char *dir = scratch_dir("cache");
	CHECK(dir);
	cache_t *c = open_writer(dir);
	CHECK(c);
	post_list_t l;
	post_list_init(&l);
	post_list_push(&l, full_post("mastodon:a", 1717243200));
	CHECK(cache_save_posts(c, &l));
	scratch_remove(dir);
	capture_begin();
	bool saved = cache_save_posts(c, &l);
	bool saved_again = cache_save_posts(c, &l);
	char *name = cache_media_store(c, png_bytes, sizeof png_bytes);
	cJSON *st = cache_load_state(c);
	bool state_saved = cache_save_state(c, st);
	long long freed = cache_media_evict(c, &l);
	post_list_t got;
	post_list_init(&got);
	size_t n = cache_load_posts(c, &got);
	cache_close(c); /* summarises the repeated failure */
	char *log = capture_end();
	cJSON_Delete(st);
	CHECK(!saved && !saved_again && !name && !state_saved);
	CHECK_INT(freed, 0);
	CHECK_INT(n, 0);
	char *want = xasprintf(
		"balie: warning: cache: %s/posts.json: cannot save posts (No such file or directory); "
		"the previous file is kept\n"
		"balie: warning: cache: %s/media: cannot store media (No such file or directory); "
		"images are fetched again later\n"
		"balie: warning: cache: %s/state.json: cannot save source state (No such file or "
		"directory); the previous file is kept\n"
		"balie: info: cache: (previous message repeated 1 more time)\n",
		dir, dir, dir);
	CHECK_STR(log, want);
	free(want);
	free(log);
	post_list_clear(&l);
	free(dir);
}

/* Disk full: the save fails with one line, the previous posts.json loads. */
TEST(disk_full_keeps_previous_posts)
{
	char *dir = scratch_tmpfs("cache", "size=64k,mode=0755");
	CHECK(dir);
	cache_t *c = open_writer(dir);
	if (!c)
		scratch_tmpfs_free(dir);
	CHECK(c);
	post_list_t small, big, got;
	post_list_init(&small);
	post_list_init(&big);
	post_list_init(&got);
	post_list_push(&small, full_post("mastodon:small", 1717243200));
	for (int i = 0; i < 100; i++) {
		char key[32];
		snprintf(key, sizeof key, "mastodon:%d", i);
		post_list_push(&big, full_post(key, 1717243200 - i));
	}
	bool ok_small = cache_save_posts(c, &small);
	capture_begin();
	bool ok_big = cache_save_posts(c, &big);
	bool ok_big2 = cache_save_posts(c, &big);
	/* Fill what is left, then media fail too (logged once for two). */
	char *filler = path_in(dir, "filler");
	FILE *f = fopen(filler, "wb");
	char block[4096] = { 0 };
	while (f && fwrite(block, 1, sizeof block, f) == sizeof block && fflush(f) == 0)
		;
	if (f)
		fclose(f);
	char *m1 = cache_media_store(c, png_bytes, sizeof png_bytes);
	char *m2 = cache_media_store(c, "GIF89a", 6);
	size_t n = cache_load_posts(c, &got);
	int entries = count_entries(dir);
	int media_entries = count_prefix(dir, "media", NULL);
	char *media = path_in(dir, "media");
	int in_media = count_entries(media);
	free(media);
	unlink(filler);
	free(filler);
	cache_close(c);
	char *log = capture_end();
	char *want = xasprintf(
		"balie: warning: cache: %s/posts.json: cannot save posts (No space left on device); "
		"the previous file is kept\n"
		"balie: warning: cache: %s/media: cannot store media (No space left on device); "
		"images are fetched again later\n"
		"balie: info: cache: (previous message repeated 1 more time)\n"
		"balie: info: cache: (previous message repeated 1 more time)\n", dir, dir);
	bool log_ok = strcmp(log, want) == 0;
	if (!log_ok)
		printf("      log: %s", log);
	free(want);
	free(log);
	scratch_tmpfs_free(dir);
	CHECK(ok_small);
	CHECK(!ok_big && !ok_big2);
	CHECK(!m1 && !m2);
	CHECK(log_ok);
	CHECK_INT(n, 1);
	CHECK_SAME_POST(got.items[0], small.items[0]);
	CHECK_INT(entries, 4); /* posts.json lock media filler: no temp files */
	CHECK_INT(media_entries, 1);
	CHECK_INT(in_media, 0);
	post_list_clear(&small);
	post_list_clear(&big);
	post_list_clear(&got);
}

/* Read-only: a card remounted read-only under a running balie, and a balie
 * started on one. */
TEST(read_only_disk_keeps_serving_what_it_has)
{
	char *dir = scratch_tmpfs("cache", "size=1m,mode=0755");
	CHECK(dir);
	cache_t *c = open_writer(dir);
	if (!c)
		scratch_tmpfs_free(dir);
	CHECK(c);
	post_list_t l, got, got2;
	post_list_init(&l);
	post_list_init(&got);
	post_list_init(&got2);
	post_list_push(&l, full_post("mastodon:a", 1717243200));
	bool saved = cache_save_posts(c, &l);
	char *name = cache_media_store(c, png_bytes, sizeof png_bytes);
	bool ro = scratch_tmpfs_remount(dir, true);
	capture_begin();
	bool saved_ro = cache_save_posts(c, &l);
	bool saved_ro2 = cache_save_posts(c, &l);
	char *path = cache_media_path(c, name);
	size_t n = cache_load_posts(c, &got);
	bool rw = scratch_tmpfs_remount(dir, false);
	bool saved_rw = cache_save_posts(c, &l);
	char *log1 = capture_end();
	cache_close(c);

	/* A new writer on a read-only disk opens, shows, saves nothing. */
	bool ro2 = scratch_tmpfs_remount(dir, true);
	capture_begin();
	char *err = NULL;
	cache_t *c2 = cache_open(dir, NULL, true, &err);
	bool opened2 = c2 != NULL;
	size_t n2 = c2 ? cache_load_posts(c2, &got2) : 0;
	bool saved2 = c2 ? cache_save_posts(c2, &l) : true;
	char *log2 = capture_end();
	cache_close(c2);
	scratch_tmpfs_remount(dir, false);

	char *want1 = xasprintf(
		"balie: warning: cache: %s/posts.json: cannot save posts (Read-only file system); "
		"the previous file is kept\n"
		"balie: info: cache: (previous message repeated 1 more time)\n"
		"balie: info: cache: %s/posts.json: saving works again\n", dir, dir);
	char *want2 = xasprintf(
		"balie: warning: cache: %s/posts.json: cannot save posts (Read-only file system); "
		"the previous file is kept\n", dir);
	scratch_tmpfs_free(dir);
	CHECK(saved);
	CHECK(name);
	CHECK(ro);
	CHECK(!saved_ro && !saved_ro2);
	CHECK(path);
	CHECK_INT(n, 1);
	CHECK(rw && saved_rw);
	CHECK_STR(log1, want1);
	CHECK(ro2);
	CHECK(opened2);
	CHECK(err == NULL);
	CHECK_INT(n2, 1);
	CHECK(!saved2);
	CHECK_STR(log2, want2);
	free(want1);
	free(want2);
	free(log1);
	free(log2);
	free(path);
	free(name);
	post_list_clear(&l);
	post_list_clear(&got);
	post_list_clear(&got2);
}

/* A balie started on a read-only disk that has no lock file: it opens,
 * says so once, shows what is there and saves nothing. */
TEST(writer_on_read_only_disk_without_lock_file)
{
	char *dir = scratch_tmpfs("cache", "size=1m,mode=0755");
	CHECK(dir);
	cache_t *c = open_writer(dir);
	post_list_t l, got;
	post_list_init(&l);
	post_list_init(&got);
	post_list_push(&l, full_post("mastodon:a", 1717243200));
	bool saved = c && cache_save_posts(c, &l);
	cache_close(c);
	char *lock = path_in(dir, "lock");
	unlink(lock);
	free(lock);
	char *posts = path_in(dir, "posts.json");
	CHECK(write_file(posts, "{\"format\":\"balie-posts\"", 23)); /* and a corrupt file */
	bool ro = scratch_tmpfs_remount(dir, true);
	capture_begin();
	char *err = NULL;
	c = cache_open(dir, NULL, true, &err);
	bool opened = c != NULL;
	size_t n = c ? cache_load_posts(c, &got) : 99;
	bool saved2 = c ? cache_save_posts(c, &l) : true;
	cache_close(c);
	char *log = capture_end();
	int entries = count_entries(dir);
	scratch_tmpfs_remount(dir, false);
	char *want = xasprintf(
		"balie: warning: cache: %s is not writable (Read-only file system): showing what it "
		"holds, saving nothing\n"
		"balie: warning: cache: %s: corrupt (invalid JSON at byte 23 of 23); could not move it "
		"aside (Read-only file system); starting with an empty list\n"
		"balie: warning: cache: %s: cannot save posts (Read-only file system); the previous "
		"file is kept\n", dir, posts, posts);
	bool log_ok = strcmp(log, want) == 0;
	if (!log_ok)
		printf("      log: %s", log);
	free(want);
	free(log);
	free(posts);
	scratch_tmpfs_free(dir);
	CHECK(saved && ro);
	CHECK(opened);
	CHECK(err == NULL);
	CHECK_INT(n, 0);
	CHECK(!saved2);
	CHECK(log_ok);
	CHECK_INT(entries, 2); /* posts.json media: nothing created, nothing moved */
	post_list_clear(&l);
	post_list_clear(&got);
}

/* On a full disk a salvaging writer changes nothing on disk: either no copy
 * of the damaged file fits, or the copy fits and the recovered posts do not
 * (then the copy is removed again).  posts.json stays the damaged file for
 * the next start to salvage, the recovered posts load all the same, and one
 * line says so. */
TEST(salvage_on_a_full_disk_changes_nothing)
{
	sample_t s;
	CHECK(sample_make(&s, 4));
	size_t cut = s.ends[1] + 10;
	bool want[16] = { true, true, false, false };
	char *dir = scratch_tmpfs("cache", "size=256k,mode=0755");
	CHECK(dir);
	char *path = path_in(dir, "posts.json");
	char *filler = path_in(dir, "filler");
	cache_t *c = write_file(path, s.text, cut) ? open_writer(dir) : NULL;
	int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	off_t size = 0;
	static const char block[4096];
	while (fd >= 0 && write(fd, block, sizeof block) == (ssize_t)sizeof block)
		size += (off_t)sizeof block;
	static const char *const why[] = { "no copy could be kept",
		                           "the recovered posts could not be saved" };
	char *problem = c && fd >= 0 ? NULL : xstrdup("setting up the full disk failed");
	for (int room = 0; room < 2 && !problem; room++) {
		/* room 1: exactly the pages the copy needs */
		off_t pages = (off_t)((cut + 4095) / 4096);
		if (room == 1 && ftruncate(fd, size - pages * 4096) != 0) {
			problem = xstrdup("ftruncate failed");
			break;
		}
		post_list_t got;
		post_list_init(&got);
		capture_begin();
		size_t n = cache_load_posts(c, &got);
		char *log = capture_end();
		char *middle = xasprintf("left in place, %s (No space left on device)", why[room]);
		problem = check_salvage_line(log, path, cut, middle, "recovered 2 of 3 posts from it");
		if (!problem)
			problem = check_recovered(&s, want, &got);
		size_t flen = 0;
		char *now = fsio_read_file(path, 1 << 24, &flen);
		if (!problem && (!now || flen != cut || memcmp(now, s.text, cut) != 0))
			problem = xstrdup("posts.json was changed");
		if (!problem && count_entries(dir) != 4) /* posts.json lock media filler */
			problem = xasprintf("%d files in the cache, expected 4", count_entries(dir));
		if (problem) {
			char *p2 = xasprintf("room for the copy %d: %s", room, problem);
			free(problem);
			problem = p2;
		}
		EXPECT(n == 2);
		free(now);
		free(middle);
		free(log);
		post_list_clear(&got);
	}
	if (fd >= 0)
		close(fd);
	cache_close(c);
	free(path);
	free(filler);
	sample_free(&s);
	scratch_tmpfs_free(dir);
	if (problem) {
		TEST_FAIL_("%s", problem);
		free(problem);
	}
}

int main(void)
{
	RUN(round_trip_every_field);
	RUN(round_trip_edge_cases);
	RUN(author_name_falls_back_to_handle);
	RUN(file_has_documented_shape);
	RUN(documented_v1_fixture_loads);
	RUN(load_appends_newest_first);
	RUN(truncated_anywhere_keeps_every_complete_post);
	RUN(salvaged_posts_replace_the_damaged_file);
	RUN(damage_in_the_middle_costs_only_the_posts_it_touches);
	RUN(damaged_header_or_newer_version_recovers_nothing);
	RUN(random_garbage_moves_aside);
	RUN(wrong_shapes_move_aside_with_reason);
	RUN(future_version_is_moved_aside_not_overwritten);
	RUN(corrupt_files_get_distinct_aside_names);
	RUN(bad_individual_posts_are_skipped_and_counted);
	RUN(unreadable_posts_file_is_reported_and_left_alone);
	RUN(oversized_posts_file_is_moved_aside);
	RUN(reader_creates_nothing_but_the_directory);
	RUN(reader_leaves_corrupt_file_in_place);
	RUN(second_writer_is_refused_while_another_process_holds_the_lock);
	RUN(writer_open_removes_stale_temp_files);
	RUN(state_round_trip_and_corrupt_state);
	RUN(media_ext_from_magic_bytes);
	RUN(media_names_are_validated);
	RUN(media_store_is_content_addressed_and_idempotent);
	RUN(media_path_marks_use_for_lru);
	RUN(evict_deletes_least_recently_used_first);
	RUN(evict_never_deletes_referenced_files);
	RUN(prune_by_age_and_count);
	RUN(default_dir_order);
	RUN(open_fails_with_clear_message_when_dir_cannot_be_made);
	RUN(directory_removed_while_running);
	char *probe = scratch_tmpfs("cache", "size=64k");
	if (probe) {
		scratch_tmpfs_free(probe);
		RUN(disk_full_keeps_previous_posts);
		RUN(read_only_disk_keeps_serving_what_it_has);
		RUN(writer_on_read_only_disk_without_lock_file);
		RUN(salvage_on_a_full_disk_changes_nothing);
	} else {
		printf("SKIP: %s: disk_full_keeps_previous_posts, read_only_disk_keeps_serving_what_it_has, "
		       "writer_on_read_only_disk_without_lock_file, salvage_on_a_full_disk_changes_nothing: "
		       "cannot mount a tmpfs here (%s); run as root\n", __FILE__, strerror(errno));
	}
	log_event_reset();
	return test_summary();
}
