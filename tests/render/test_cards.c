/* Cards drawn with SDL's dummy video driver and the software renderer, and
 * checked for structure (not pixels): every part inside its region and the
 * screen, avatar and text really drawn, every glyph found in some font,
 * images loaded or replaced, text rasterised once and not per frame.
 * Images are real files written to a temporary directory. */
#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/base/xmalloc.h"
#include "../../src/config/config.h"
#include "../../src/layout/layout.h"
#include "../../src/render/draw.h"
#include "../../src/render/imghdr.h"
#include "../../src/render/loader.h"
#include "../../src/render/spot.h"
#include "../../src/render/text.h"
#include "../../src/render/theme.h"
#include "test.h"

static char dir[] = "/tmp/balie-cards-XXXXXX";
static text_engine_t *te;
static config_t *cfg;
static const theme_t *theme;
static SDL_Window *win;
static SDL_Renderer *ren;
static int cur_w, cur_h;

static void screen(int w, int h)
{
	if (w == cur_w && h == cur_h)
		return;
	if (ren)
		SDL_DestroyRenderer(ren);
	if (win)
		SDL_DestroyWindow(win);
	win = SDL_CreateWindow("test", 0, 0, w, h, 0);
	ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
	cur_w = w;
	cur_h = h;
}

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* A photo-like test image: a gradient with a bright square at (fx, fy). */
static void write_png(const char *name, int w, int h)
{
	SDL_Surface *s = draw_surface(w, h);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			((uint32_t *)((uint8_t *)s->pixels + y * s->pitch))[x] =
			        0xFF000000u | (uint32_t)(x * 255 / w) << 16 | (uint32_t)(y * 255 / h) << 8 | 0x60;
	char *p = path_in(name);
	IMG_SavePNG(s, p);
	free(p);
	SDL_FreeSurface(s);
}

static void write_bytes(const char *name, const void *data, size_t n)
{
	char *p = path_in(name);
	FILE *f = fopen(p, "wb");
	fwrite(data, 1, n, f);
	fclose(f);
	free(p);
}

static post_t *mkpost(const char *key, const char *name, const char *text)
{
	post_t *p = post_new();
	p->key = xstrdup(key);
	p->network = NET_MASTODON;
	p->author.name = xstrdup(name);
	p->author.handle = xstrdup("@iemand@social.voorbeeldstad.nl");
	free(p->text);
	p->text = xstrdup(text);
	p->created = 1710248700;
	return p;
}

static spot_env_t env(int w, int h)
{
	return (spot_env_t){ .ren = ren, .te = te, .loader = NULL, .theme = theme, .cfg = cfg,
		             .media_dir = dir, .w = w, .h = h, .now = 1710248700 + 180, .clock_good = true };
}

static spot_t *build(const post_t *p, int w, int h)
{
	screen(w, h);
	spot_env_t e = env(w, h);
	spot_t *c = spot_new(&e, p);
	spot_build(c, &e);
	return c;
}

/* Draw the card alone (background + panel + card) and read the pixels. */
static SDL_Surface *shoot(const spot_t *c)
{
	const layout_card_t *L = spot_layout(c);
	SDL_SetRenderDrawBlendMode(ren, SDL_BLENDMODE_NONE);
	SDL_SetRenderDrawColor(ren, theme->bg.r, theme->bg.g, theme->bg.b, 255);
	SDL_RenderClear(ren);
	SDL_SetRenderDrawColor(ren, theme->panel.r, theme->panel.g, theme->panel.b, 255);
	SDL_Rect card = { L->card.x, L->card.y, L->card.w, L->card.h };
	SDL_RenderFillRect(ren, &card);
	spot_draw(c, ren, 0, 0, 255);
	SDL_Surface *s = draw_surface(cur_w, cur_h);
	SDL_RenderReadPixels(ren, NULL, SDL_PIXELFORMAT_ARGB8888, s->pixels, s->pitch);
	SDL_RenderPresent(ren);
	return s;
}

static bool near(uint32_t p, SDL_Color c)
{
	int r = (int)((p >> 16) & 255) - c.r, g = (int)((p >> 8) & 255) - c.g, b = (int)(p & 255) - c.b;
	return abs(r) < 12 && abs(g) < 12 && abs(b) < 12;
}

/* Fraction of pixels in r that are not colour c. */
static double ink(SDL_Surface *s, lrect_t r, SDL_Color c)
{
	long n = 0, diff = 0;
	for (int y = r.y; y < r.y + r.h; y++)
		for (int x = r.x; x < r.x + r.w; x++) {
			uint32_t p = ((uint32_t *)((uint8_t *)s->pixels + y * s->pitch))[x];
			n++;
			diff += !near(p, c);
		}
	return n ? (double)diff / n : 0;
}

/* Pixels with strong colour (emoji), as opposed to white or grey text. */
static long colourful(SDL_Surface *s, lrect_t r)
{
	long n = 0;
	for (int y = r.y; y < r.y + r.h; y++)
		for (int x = r.x; x < r.x + r.w; x++) {
			uint32_t p = ((uint32_t *)((uint8_t *)s->pixels + y * s->pitch))[x];
			int R = (p >> 16) & 255, G = (p >> 8) & 255, B = p & 255;
			int mx = R > G ? (R > B ? R : B) : (G > B ? G : B);
			int mn = R < G ? (R < B ? R : B) : (G < B ? G : B);
			n += mx - mn > 90;
		}
	return n;
}

static lrect_t lr(SDL_Rect r)
{
	return (lrect_t){ r.x, r.y, r.w, r.h };
}

/* Common structure checks: returns the number of problems (printed). */
static int structure(const spot_t *c, SDL_Surface *s, const char *what)
{
	const layout_card_t *L = spot_layout(c);
	int bad = 0;
	lrect_t screen_r = { 0, 0, cur_w, cur_h };
	lrect_t av = lr(spot_drawn_avatar(c)), tx = lr(spot_drawn_text(c)), md = lr(spot_drawn_media(c));
	if (lrect_empty(av) || !lrect_inside(av, L->avatar)) {
		printf("    %s: avatar not in its region\n", what);
		bad++;
	} else if (ink(s, L->avatar, theme->panel) < 0.5) {
		printf("    %s: avatar region is empty (%.2f)\n", what, ink(s, L->avatar, theme->panel));
		bad++;
	}
	if (!lrect_empty(tx) && (!lrect_inside(tx, L->text) || !lrect_inside(tx, L->safe))) {
		printf("    %s: text %d,%d %dx%d outside its region %d,%d %dx%d\n", what, tx.x, tx.y, tx.w,
		       tx.h, L->text.x, L->text.y, L->text.w, L->text.h);
		bad++;
	}
	if (!lrect_empty(tx) && ink(s, tx, theme->panel) < 0.02) {
		printf("    %s: text region has no ink\n", what);
		bad++;
	}
	if (!lrect_empty(md) && (!lrect_inside(md, L->media) || !lrect_inside(md, screen_r))) {
		printf("    %s: media outside its region\n", what);
		bad++;
	}
	/* Nothing drawn outside the card panel: the margins are background. */
	lrect_t top = { 0, 0, cur_w, L->card.y }, left = { 0, 0, L->card.x, cur_h };
	lrect_t below = { 0, L->card.y + L->card.h, cur_w, cur_h - L->card.y - L->card.h };
	lrect_t right = { L->card.x + L->card.w, 0, cur_w - L->card.x - L->card.w, cur_h };
	if (ink(s, top, theme->bg) > 0 || ink(s, left, theme->bg) > 0 || ink(s, below, theme->bg) > 0 ||
	    ink(s, right, theme->bg) > 0) {
		printf("    %s: drawn outside the card\n", what);
		bad++;
	}
	if (spot_missing_glyphs(c) != 0) {
		printf("    %s: %d glyphs in no font\n", what, spot_missing_glyphs(c));
		bad++;
	}
	return bad;
}

TEST(long_text_shrinks_and_stays_in_its_box)
{
	char text[3000] = "";
	for (int i = 0; i < 40; i++)
		strcat(text, "De gemeenteraad bespreekt het nieuwe afvalbeleid voor de binnenstad. ");
	post_t *p = mkpost("long", "Gemeente Voorbeeldstad", text);
	spot_t *c = build(p, 1920, 1080);
	SDL_Surface *s = shoot(c);
	int bad = structure(c, s, "long");
	const layout_card_t *L = spot_layout(c);
	SDL_Rect t = spot_drawn_text(c);
	EXPECT(t.h <= L->text.h && t.h > L->text.h / 2); /* filled, not overflowing */
	SDL_FreeSurface(s);
	spot_free(c);
	post_free(p);
	CHECK_INT(bad, 0);
}

TEST(emoji_in_colour_and_every_glyph_found)
{
	post_t *p = mkpost("emoji", "Lotte Visser",
	                   "Buurtborrel \xe2\x98\x80\xef\xb8\x8f\xf0\x9f\x91\x8f\xf0\x9f\x8f\xbd "
	                   "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb \xf0\x9f\x87\xb3\xf0\x9f\x87\xb1 "
	                   "\xe2\x9d\xa4\xef\xb8\x8f 1\xef\xb8\x8f\xe2\x83\xa3");
	uint64_t runs0 = text_stats(te)->runs;
	spot_t *c = build(p, 1280, 720);
	SDL_Surface *s = shoot(c);
	int bad = structure(c, s, "emoji");
	EXPECT(colourful(s, lr(spot_drawn_text(c))) > 500);
	EXPECT(text_stats(te)->runs > runs0);
	SDL_FreeSurface(s);
	spot_free(c);
	post_free(p);
	CHECK_INT(bad, 0);
}

TEST(arabic_right_to_left_and_other_scripts)
{
	post_t *p = mkpost("ar", "Karim El Amrani",
	                   "مرحبا بكم في دار البلدية! مكتب الاستقبال مفتوح من الاثنين إلى الجمعة.");
	spot_t *c = build(p, 1920, 1080);
	SDL_Surface *s = shoot(c);
	int bad = structure(c, s, "arabic");
	const layout_card_t *L = spot_layout(c);
	SDL_Rect t = spot_drawn_text(c);
	EXPECT(t.x + t.w == L->text.x + L->text.w); /* right-aligned */
	SDL_FreeSurface(s);
	spot_free(c);
	post_free(p);
	CHECK_INT(bad, 0);

	p = mkpost("multi", "Yusuf Demir",
	           "Türkçe: İğdır şehri, Ελληνικά: Καλημέρα, Русский: Добрый день, עברית: שלום, "
	           "Polski: Łódź, Čeština: Příliš žluťoučký kůň.");
	c = build(p, 1024, 600);
	s = shoot(c);
	bad = structure(c, s, "scripts");
	SDL_FreeSurface(s);
	spot_free(c);
	post_free(p);
	CHECK_INT(bad, 0);
}

TEST(image_with_alt_text_at_every_size)
{
	write_png("photo.png", 1200, 800);
	static const int sizes[][2] = { { 800, 480 },   { 1024, 600 },  { 1280, 720 },
		                        { 1920, 1080 }, { 2560, 1440 }, { 3840, 2160 } };
	int bad = 0;
	for (int i = 0; i < 6; i++)
		for (int o = 0; o < 2; o++) {
			int w = o ? sizes[i][1] : sizes[i][0], h = o ? sizes[i][0] : sizes[i][1];
			post_t *p = mkpost("img", "Pieter Jansen", "Op bezoek bij de voedselbank.");
			media_t *m = post_add_media(p);
			m->kind = MEDIA_IMAGE;
			m->file = xstrdup("photo.png");
			m->alt = xstrdup("Vrijwilligers sorteren kratten met groente in een lichte hal");
			m->focus_x = 0.5f;
			m->focus_y = 0.5f;
			spot_t *c = build(p, w, h);
			SDL_Surface *s = shoot(c);
			char what[64];
			snprintf(what, sizeof what, "image %dx%d", w, h);
			bad += structure(c, s, what);
			const layout_card_t *L = spot_layout(c);
			if (!spot_has_media(c) || ink(s, L->caption, theme->panel) < 0.01) {
				printf("    %s: image or caption missing\n", what);
				bad++;
			}
			/* Texture no bigger than what is drawn. */
			SDL_Rect md = spot_drawn_media(c);
			if (md.w > L->media.w || md.h > L->media.h)
				bad++;
			SDL_FreeSurface(s);
			spot_free(c);
			post_free(p);
		}
	CHECK_INT(bad, 0);
}

TEST(content_warning_hides_media)
{
	write_png("cw.png", 400, 300);
	post_t *p = mkpost("cw", "Pieter Jansen", "Gisteren op bezoek bij de voedselbank.");
	p->cw = xstrdup("Armoede en schulden");
	p->sensitive = true;
	media_t *m = post_add_media(p);
	m->kind = MEDIA_IMAGE;
	m->file = xstrdup("cw.png");
	spot_t *c = build(p, 1920, 1080);
	SDL_Surface *s = shoot(c);
	int bad = structure(c, s, "cw");
	const layout_card_t *L = spot_layout(c);
	EXPECT(!spot_has_media(c));
	EXPECT(lrect_empty(L->media));
	EXPECT(!lrect_empty(L->cw) && ink(s, L->cw, theme->panel) > 0.5); /* the banner */
	SDL_FreeSurface(s);
	spot_free(c);
	/* ... unless the configuration shows sensitive media. */
	cfg->display.show_sensitive_media = true;
	c = build(p, 1920, 1080);
	EXPECT(spot_has_media(c));
	cfg->display.show_sensitive_media = false;
	spot_free(c);
	post_free(p);
	CHECK_INT(bad, 0);
}

TEST(boost_says_who_shared_it)
{
	post_t *p = mkpost("boost", "Sanne Bakker", "De gemeenteraad vergadert donderdag.");
	p->booster = xcalloc(1, sizeof *p->booster);
	p->booster->name = xstrdup("Gemeente Voorbeeldstad");
	spot_t *c = build(p, 1080, 1920);
	SDL_Surface *s = shoot(c);
	int bad = structure(c, s, "boost");
	const layout_card_t *L = spot_layout(c);
	EXPECT(!lrect_empty(L->boost) && ink(s, L->boost, theme->panel) > 0.01);
	SDL_FreeSurface(s);
	spot_free(c);
	post_free(p);
	CHECK_INT(bad, 0);
}

TEST(no_avatar_and_broken_avatar_become_initials)
{
	post_t *p = mkpost("noav", "Anna de Vries", "Goedemorgen!");
	spot_t *c = build(p, 800, 480);
	SDL_Surface *s = shoot(c);
	int bad = structure(c, s, "no avatar");
	EXPECT(spot_avatar_is_initials(c));
	SDL_FreeSurface(s);
	spot_free(c);
	post_free(p);

	write_bytes("broken.png", "\x89PNG\r\n\x1a\nthis is not an image at all", 36);
	p = mkpost("brokenav", "Anna de Vries", "Goedemorgen!");
	p->author.avatar_file = xstrdup("broken.png");
	c = build(p, 800, 480);
	s = shoot(c);
	bad += structure(c, s, "broken avatar");
	EXPECT(spot_avatar_is_initials(c));
	SDL_FreeSurface(s);
	spot_free(c);
	post_free(p);

	/* A real avatar is used, and a configured photo wins over it. */
	write_png("avatar.png", 300, 300);
	p = mkpost("av", "Anna de Vries", "Goedemorgen!");
	p->author.avatar_file = xstrdup("avatar.png");
	c = build(p, 800, 480);
	EXPECT(!spot_avatar_is_initials(c));
	spot_free(c);
	p->person = xstrdup("anna");
	free(p->author.avatar_file);
	p->author.avatar_file = xstrdup("broken.png");
	c = build(p, 800, 480);
	EXPECT(!spot_avatar_is_initials(c)); /* the photo from the configuration */
	spot_free(c);
	post_free(p);
	CHECK_INT(bad, 0);
}

TEST(board_limits_refuse_big_pictures_and_cap_the_size)
{
	/* a Zero 2 W's profile: 24 MiB for decoded pictures, textures up to 2048 */
	loader_set_limits(24LL << 20, 2048);
	unsigned char six[33] = "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x0b\xb8\0\0\x09\xc4\x08\x06\0\0\0"; /* 3000x2500 */
	write_bytes("six.png", six, sizeof six);
	load_result_t r;
	char *sp = path_in("six.png");
	loader_run(sp, LOAD_MEDIA, 100, 100, 0, 0, &r);
	free(sp);
	EXPECT(!r.surface && r.error && strstr(r.error, "3000x2500 pixels, over the 6.291 megapixel limit"));
	free(r.error);
	/* no side larger than the board's largest texture */
	loader_set_limits(0, 64);
	write_png("wide.png", 400, 200);
	char *wp = path_in("wide.png");
	loader_run(wp, LOAD_FIT, 400, 200, 0, 0, &r);
	free(wp);
	CHECK(r.surface);
	EXPECT(r.surface->w <= 64 && r.surface->h <= 64 && r.surface->w == 2 * r.surface->h);
	SDL_FreeSurface(r.surface);
	free(r.error);
	loader_set_limits(0, 0); /* back to the defaults for the other tests */
}

TEST(broken_oversized_and_unsafe_images_leave_a_good_card)
{
	/* A PNG header claiming 10000 x 10000 pixels: refused before decoding. */
	unsigned char big[33] = "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x27\x10\0\0\x27\x10\x08\x06\0\0\0";
	write_bytes("huge.png", big, sizeof big);
	load_result_t r;
	char *hp = path_in("huge.png");
	loader_run(hp, LOAD_MEDIA, 100, 100, 0, 0, &r);
	free(hp);
	EXPECT(!r.surface && r.error && strstr(r.error, "40 megapixel"));
	free(r.error);

	const char *files[] = { "huge.png", "broken.png", "../etc/passwd", "missing.png" };
	int bad = 0;
	for (int i = 0; i < 4; i++) {
		post_t *p = mkpost("badimg", "Gemeente Voorbeeldstad", "Er hoort een foto bij dit bericht.");
		media_t *m = post_add_media(p);
		m->kind = MEDIA_IMAGE;
		m->file = xstrdup(files[i]);
		m->alt = xstrdup("Een foto");
		spot_t *c = build(p, 1280, 720);
		SDL_Surface *s = shoot(c);
		bad += structure(c, s, files[i]);
		if (spot_has_media(c) || !lrect_empty(spot_layout(c)->media))
			bad++;
		SDL_FreeSurface(s);
		spot_free(c);
		post_free(p);
	}
	CHECK_INT(bad, 0);
}

TEST(empty_text_and_custom_emoji)
{
	post_t *p = mkpost("empty", "Gemeente Voorbeeldstad", "");
	spot_t *c = build(p, 1920, 1080);
	SDL_Surface *s = shoot(c);
	int bad = structure(c, s, "empty");
	EXPECT(spot_drawn_text(c).w == 0);
	SDL_FreeSurface(s);
	spot_free(c);
	post_free(p);

	write_png("blobcat.png", 64, 64);
	p = mkpost("custom", "Lotte Visser", "Feest :blobcat: vandaag");
	post_add_span(p, SPAN_EMOJI, 6, 15, "blobcat");
	emoji_list_add(&p->emojis, &p->n_emojis, "blobcat", "https://example.invalid/blobcat.png");
	p->emojis[0].file = xstrdup("blobcat.png");
	c = build(p, 1920, 1080);
	s = shoot(c);
	bad += structure(c, s, "custom emoji");
	/* The image (red/green gradient) is drawn inline: colourful pixels. */
	EXPECT(colourful(s, lr(spot_drawn_text(c))) > 100);
	SDL_FreeSurface(s);
	spot_free(c);
	post_free(p);
	CHECK_INT(bad, 0);
}

TEST(text_is_rasterised_once_not_per_frame)
{
	post_t *p = mkpost("once", "Anna de Vries", "Een bericht dat vaak getekend wordt \xf0\x9f\x9a\xb2");
	spot_t *c = build(p, 1920, 1080);
	uint64_t runs = text_stats(te)->runs, uploads = spot_stats()->texture_uploads;
	for (int i = 0; i < 30; i++) {
		spot_draw(c, ren, 0, 0, (uint8_t)(i * 8));
		SDL_RenderPresent(ren);
	}
	CHECK_INT(text_stats(te)->runs, runs);
	CHECK_INT(spot_stats()->texture_uploads, uploads);
	/* The minute tick re-renders only the time line, and only when it changed. */
	spot_env_t e = env(1920, 1080);
	spot_set_time(c, &e);
	CHECK_INT(spot_stats()->texture_uploads, uploads);
	e.now += 3600;
	spot_set_time(c, &e);
	CHECK_INT(spot_stats()->texture_uploads, uploads + 1);
	spot_free(c);
	post_free(p);
}

TEST(images_decode_on_the_loader_thread)
{
	write_png("threaded.png", 640, 480);
	uint32_t ev = SDL_RegisterEvents(1);
	loader_t *l = loader_new(ev);
	CHECK(l != NULL);
	post_t *p = mkpost("thr", "Anna de Vries", "Met foto");
	media_t *m = post_add_media(p);
	m->kind = MEDIA_IMAGE;
	m->file = xstrdup("threaded.png");
	screen(1280, 720);
	spot_env_t e = env(1280, 720);
	e.loader = l;
	spot_t *c = spot_new(&e, p);
	EXPECT(spot_loading(c));
	uint32_t t0 = SDL_GetTicks();
	while (spot_loading(c) && SDL_GetTicks() - t0 < 10000) {
		SDL_Event evt;
		if (SDL_WaitEventTimeout(&evt, 100) && evt.type == ev) {
			load_result_t r;
			while (loader_take(l, &r)) {
				if (!spot_offer(c, &r)) {
					SDL_FreeSurface(r.surface);
					free(r.error);
				}
			}
		}
	}
	CHECK(!spot_loading(c));
	spot_build(c, &e);
	EXPECT(spot_has_media(c));
	EXPECT(loader_decoded(l) == 1);
	spot_free(c);
	post_free(p);
	loader_free(l);
}

TEST(image_headers)
{
	int w, h;
	unsigned char png[24] = "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x01\x00\0\0\x00\x80";
	CHECK_STR(imghdr_size(png, sizeof png, &w, &h), "png");
	CHECK(w == 256 && h == 128);
	unsigned char gif[10] = { 'G', 'I', 'F', '8', '9', 'a', 0x20, 0x03, 0x58, 0x02 };
	CHECK_STR(imghdr_size(gif, sizeof gif, &w, &h), "gif");
	CHECK(w == 800 && h == 600);
	/* JPEG: SOI, an APP0 segment, then SOF0 with 480 x 640 */
	unsigned char jpg[] = { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x11,
		                0x08, 0x01, 0xE0, 0x02, 0x80, 0x03 };
	CHECK_STR(imghdr_size(jpg, sizeof jpg, &w, &h), "jpeg");
	CHECK(w == 640 && h == 480);
	unsigned char webp[30] = "RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0\x1f\x03\0\x57\x02\0";
	CHECK_STR(imghdr_size(webp, sizeof webp, &w, &h), "webp");
	CHECK(w == 800 && h == 600);
	CHECK(imghdr_size((const unsigned char *)"<svg>", 5, &w, &h) == NULL);
	CHECK(imghdr_size(png, 12, &w, &h) == NULL); /* cut short */
	unsigned char jcut[] = { 0xFF, 0xD8, 0xFF, 0xE0, 0x7F, 0xFF };
	CHECK(imghdr_size(jcut, sizeof jcut, &w, &h) == NULL);
}

int main(void)
{
	setenv("SDL_VIDEODRIVER", "dummy", 0);
	if (!mkdtemp(dir) || SDL_Init(SDL_INIT_VIDEO) != 0 || TTF_Init() != 0) {
		printf("FAIL: %s: setup: %s\n", __FILE__, SDL_GetError());
		return 1;
	}
	char *photo = path_in("anna.png");
	char *conf = xasprintf("[person \"anna\"]\nname = Anna de Vries\nrole = Wethouder Mobiliteit\n"
	                       "photo = %s\n[display]\norganisation = Gemeente Voorbeeldstad\n", photo);
	write_png("anna.png", 200, 260);
	char *err = NULL;
	cfg = config_parse(conf, strlen(conf), "test", &err);
	if (!cfg) {
		printf("FAIL: %s: config: %s\n", __FILE__, err ? err : "?");
		return 1;
	}
	te = text_engine_new(NULL, "assets");
	theme = theme_get("default", NULL);
	if (!te) {
		printf("FAIL: %s: no fonts\n", __FILE__);
		return 1;
	}
	RUN(long_text_shrinks_and_stays_in_its_box);
	RUN(emoji_in_colour_and_every_glyph_found);
	RUN(arabic_right_to_left_and_other_scripts);
	RUN(image_with_alt_text_at_every_size);
	RUN(content_warning_hides_media);
	RUN(boost_says_who_shared_it);
	RUN(no_avatar_and_broken_avatar_become_initials);
	RUN(board_limits_refuse_big_pictures_and_cap_the_size);
	RUN(broken_oversized_and_unsafe_images_leave_a_good_card);
	RUN(empty_text_and_custom_emoji);
	RUN(text_is_rasterised_once_not_per_frame);
	RUN(images_decode_on_the_loader_thread);
	RUN(image_headers);
	text_engine_free(te);
	config_free(cfg);
	SDL_DestroyRenderer(ren);
	SDL_DestroyWindow(win);
	TTF_Quit();
	SDL_Quit();
	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("warning: could not remove %s\n", dir);
	free(cmd);
	free(conf);
	free(photo);
	free(err);
	return test_summary();
}
