/* The cross-fade (src/render/fade.h): the incoming card copied, the panel
 * over what only it covers, the outgoing card over all with one alpha.
 * Checked on real cards (a text card behind a content warning, whose box is
 * a fill under a piece, and a card with a photo) with SDL's software
 * renderer: every frame is the exact mix of the two cards (so never black,
 * never a hole or a pixel blended twice where the cards overlap), the ends
 * are the cards themselves, the middle differs from both.  Then the whole
 * screen: a fade produces frames in between (not a cut), none of them black. */
#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/base/log.h"
#include "../../src/base/xmalloc.h"
#include "../../src/cache/cache.h"
#include "../../src/config/config.h"
#include "../../src/net/poller.h"
#include "../../src/render/draw.h"
#include "../../src/render/fade.h"
#include "../../src/render/screen.h"
#include "../../src/render/spot.h"
#include "../../src/render/text.h"
#include "../../src/render/theme.h"
#include "test.h"

#define W 1280
#define H 720

static char dir[] = "/tmp/balie-fade-XXXXXX";
static SDL_Window *win;
static SDL_Renderer *ren;
static text_engine_t *te;
static config_t *cfg;
static const theme_t *theme;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

static spot_t *build(const post_t *p)
{
	spot_env_t e = { .ren = ren, .te = te, .theme = theme, .cfg = cfg, .media_dir = dir,
		         .w = W, .h = H, .now = 1710248700 + 180, .clock_good = true };
	spot_t *c = spot_new(&e, p);
	spot_build(c, &e);
	return c;
}

static void background(const spot_t *c)
{
	const layout_card_t *L = spot_layout(c);
	SDL_SetRenderDrawBlendMode(ren, SDL_BLENDMODE_NONE);
	SDL_SetRenderDrawColor(ren, theme->bg.r, theme->bg.g, theme->bg.b, 255);
	SDL_RenderClear(ren);
	SDL_SetRenderDrawColor(ren, theme->panel.r, theme->panel.g, theme->panel.b, 255);
	SDL_Rect card = { L->card.x, L->card.y, L->card.w, L->card.h };
	SDL_RenderFillRect(ren, &card);
}

static SDL_Surface *grab(void)
{
	SDL_Surface *s = draw_surface(W, H);
	SDL_RenderReadPixels(ren, NULL, SDL_PIXELFORMAT_ARGB8888, s->pixels, s->pitch);
	SDL_RenderPresent(ren);
	return s;
}

static uint32_t px(const SDL_Surface *s, int x, int y)
{
	return ((const uint32_t *)((const uint8_t *)s->pixels + (size_t)y * (size_t)s->pitch))[x];
}

static int chan(uint32_t p, int shift)
{
	return (int)((p >> shift) & 255);
}

/* Pixels where frame f is not (1 - e) * a + e * b within tol per channel. */
static long off_mix(const SDL_Surface *f, const SDL_Surface *a, const SDL_Surface *b, double e, int tol)
{
	long bad = 0;
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			uint32_t pf = px(f, x, y), pa = px(a, x, y), pb = px(b, x, y);
			for (int sh = 0; sh <= 16; sh += 8) {
				double want = (1 - e) * chan(pa, sh) + e * chan(pb, sh);
				if (abs(chan(pf, sh) - (int)(want + 0.5)) > tol) {
					bad++;
					break;
				}
			}
		}
	return bad;
}

/* Pixels that differ from both a and b by more than 16 in some channel. */
static long unlike_both(const SDL_Surface *f, const SDL_Surface *a, const SDL_Surface *b)
{
	long n = 0;
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			uint32_t pf = px(f, x, y), pa = px(a, x, y), pb = px(b, x, y);
			bool da = false, db = false;
			for (int sh = 0; sh <= 16; sh += 8) {
				da |= abs(chan(pf, sh) - chan(pa, sh)) > 16;
				db |= abs(chan(pf, sh) - chan(pb, sh)) > 16;
			}
			n += da && db;
		}
	return n;
}

/* Black pixels (all channels < 8). */
static long black(const SDL_Surface *s)
{
	long n = 0;
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			uint32_t p = px(s, x, y);
			n += chan(p, 16) < 8 && chan(p, 8) < 8 && chan(p, 0) < 8;
		}
	return n;
}

TEST(fade_is_the_exact_mix_of_the_two_cards)
{
	/* a photo-like image for the incoming card */
	SDL_Surface *img = draw_surface(640, 480);
	for (int y = 0; y < 480; y++)
		for (int x = 0; x < 640; x++)
			((uint32_t *)((uint8_t *)img->pixels + y * img->pitch))[x] =
			        0xFF000000u | (uint32_t)(x * 255 / 640) << 16 | (uint32_t)(y * 255 / 480) << 8 | 0x60;
	char *png = xasprintf("%s/photo.png", dir);
	CHECK(IMG_SavePNG(img, png) == 0);
	SDL_FreeSurface(img);
	free(png);
	post_t *pa = mkpost("a", "Anna de Vries",
	                    "De nieuwe fietsenstalling bij het station is open: 1200 plekken, "
	                    "bewaakt en de eerste 24 uur gratis. \xf0\x9f\x9a\xb2");
	pa->cw = xstrdup("Verkeer");
	post_t *pb = mkpost("b", "Pieter Jansen", "Op bezoek bij de voedselbank.");
	media_t *m = post_add_media(pb);
	m->kind = MEDIA_IMAGE;
	m->file = xstrdup("photo.png");
	spot_t *a = build(pa), *b = build(pb);
	CHECK(spot_ready(a) && spot_ready(b) && spot_has_media(b));

	background(a);
	spot_draw(a, ren, 0, 0, 255);
	SDL_Surface *sa = grab();
	background(b);
	spot_draw(b, ren, 0, 0, 255);
	SDL_Surface *sb = grab();

	SDL_Rect ra[64];
	CHECK(spot_regions(a, ra, 64) > 1);

	static const double steps[] = { 0.0, 0.25, 0.5, 0.75, 1.0 };
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
		double e = steps[i];
		background(b);
		fade_draw(ren, a, b, (uint8_t)(255 * (1 - e) + 0.5), theme->panel);
		SDL_Surface *sf = grab();
		long bad = off_mix(sf, sa, sb, e, 3);
		long dark = black(sf), dark_a = black(sa), dark_b = black(sb);
		long mid = unlike_both(sf, sa, sb);
		SDL_FreeSurface(sf);
		if (bad > 0)
			TEST_FAIL_("frame at %.2f: %ld pixels are not the mix of the two cards", e, bad);
		/* no black beyond the ink the cards themselves have */
		if (dark > (dark_a > dark_b ? dark_a : dark_b))
			TEST_FAIL_("frame at %.2f: %ld black pixels (cards: %ld, %ld)", e, dark, dark_a, dark_b);
		if (e == 0.5 && mid < 10000)
			TEST_FAIL_("the middle frame is too like one of the cards (%ld pixels unlike both)", mid);
	}
	SDL_FreeSurface(sa);
	SDL_FreeSurface(sb);
	spot_free(a);
	spot_free(b);
	post_free(pa);
	post_free(pb);
}

/* The whole screen with the sample feed: a card stands 1 s, then fades into
 * the next for 2 s.  The 20th frame only comes that soon when the fade draws
 * frames in between; its picture is a card, not black. */
TEST(screen_fades_through_frames_in_between)
{
	static const char conf[] = "[display]\norganisation = Gemeente Voorbeeldstad\nsample = true\n"
	                           "dwell_min_s = 1\ndwell_max_s = 1\ntransition_ms = 2000\n";
	char *err = NULL;
	config_t *c = config_parse(conf, strlen(conf), "test", &err);
	CHECK(c != NULL);
	char *cdir = xasprintf("%s/cache", dir);
	char *shot = xasprintf("%s/mid-fade.png", dir);
	cache_options_t o;
	cache_options_default(&o);
	cache_t *cache = cache_open(cdir, &o, true, &err);
	CHECK(cache != NULL);
	screen_options_t opt = { .width = W, .height = H, .rotate = -1, .screenshot = shot,
		                 .frames = 20, .assets_dir = "assets" };
	poller_set_sample_file("assets/sample-feed.json");
	double t0 = now_s();
	int rc = screen_run(c, cache, &opt); /* takes c */
	double dt = now_s() - t0;
	poller_set_sample_file(NULL);
	cache_close(cache);
	SDL_Surface *s = IMG_Load(shot);
	free(cdir);
	free(shot);
	CHECK_INT(rc, 0);
	CHECK(s != NULL);
	/* a cut every 3 s would need about 30 s for 20 frames */
	if (dt > 12.0)
		TEST_FAIL_("20 frames took %.1f s: the fade drew no frames in between", dt);
	CHECK(screen_stats().presents >= 20);
	SDL_Surface *argb = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0);
	long dark = 0;
	for (int y = 0; y < argb->h; y++)
		for (int x = 0; x < argb->w; x++) {
			uint32_t p = px(argb, x, y);
			dark += chan(p, 16) < 8 && chan(p, 8) < 8 && chan(p, 0) < 8;
		}
	SDL_FreeSurface(argb);
	SDL_FreeSurface(s);
	if (dark > (long)W * H / 10)
		TEST_FAIL_("a frame of the fade is %ld%% black", dark * 100 / ((long)W * H));
}

/* ---- a reload that changes the panel's colour ------------------------ */

/* Every piece is flattened onto the panel's colour: after a reload that
 * changes it, the card on screen must fade into a copy of itself made with
 * the new colour (the -v log says "showing" twice for the same post), not
 * keep rectangles of the old colour until the next card. */
static const char recolour_conf[] = "[display]\norganisation = Gemeente Voorbeeldstad\nsample = true\n"
                                    "dwell_min_s = 120\ndwell_max_s = 120\ntransition_ms = 200\n";
static bool recolour_same;

static config_t *recolour_cb(void *ctx)
{
	(void)ctx;
	char *text = xasprintf("%s%s", recolour_conf, recolour_same ? "" : "panel = #336699\n");
	char *err = NULL;
	config_t *c = config_parse(text, strlen(text), "test", &err);
	free(text);
	free(err);
	return c;
}

static void *reload_then_quit(void *arg)
{
	(void)arg;
	struct timespec ts = { 3, 0 };
	nanosleep(&ts, NULL); /* the first card stands */
	screen_request_reload();
	ts = (struct timespec){ 2, 0 };
	nanosleep(&ts, NULL);
	screen_request_quit();
	return NULL;
}

/* How often the log says "showing KEY" for the first key it names. */
static int showings(const char *log, char *key, size_t n)
{
	int count = 0;
	key[0] = '\0';
	for (const char *p = strstr(log, "showing "); p; p = strstr(p + 1, "showing ")) {
		const char *k = p + 8, *e = strchr(k, ' ');
		if (!e)
			break;
		if (!key[0])
			snprintf(key, n, "%.*s", (int)(e - k), k);
		if (strncmp(k, key, (size_t)(e - k)) == 0 && strlen(key) == (size_t)(e - k))
			count++;
	}
	return count;
}

static int run_reload(bool same, char *key, size_t n)
{
	recolour_same = same;
	char *err = NULL;
	config_t *c = config_parse(recolour_conf, strlen(recolour_conf), "test", &err);
	char *cdir = xasprintf("%s/cache-recolour-%d", dir, same);
	char *logp = xasprintf("%s/recolour-%d.log", dir, same);
	cache_options_t o;
	cache_options_default(&o);
	cache_t *cache = cache_open(cdir, &o, true, &err);
	FILE *lf = fopen(logp, "w+");
	if (!c || !cache || !lf)
		return -1;
	log_set_level(LOG_LVL_DEBUG);
	log_set_fd(fileno(lf));
	screen_options_t opt = { .width = W, .height = H, .rotate = -1, .assets_dir = "assets",
		                 .reload = recolour_cb };
	pthread_t th;
	pthread_create(&th, NULL, reload_then_quit, NULL);
	poller_set_sample_file("assets/sample-feed.json");
	int rc = screen_run(c, cache, &opt); /* takes c */
	poller_set_sample_file(NULL);
	pthread_join(th, NULL);
	log_set_fd(-1);
	log_set_level(LOG_LVL_INFO);
	cache_close(cache);
	fflush(lf);
	rewind(lf);
	static char text[1 << 16];
	size_t got = fread(text, 1, sizeof text - 1, lf);
	text[got] = '\0';
	fclose(lf);
	free(cdir);
	free(logp);
	return rc == 0 ? showings(text, key, n) : -1;
}

TEST(new_panel_colour_fades_the_card_into_itself)
{
	char key[512];
	CHECK_INT(run_reload(false, key, sizeof key), 2);
	CHECK(key[0] != '\0');
	/* the same colours: the card simply stays */
	CHECK_INT(run_reload(true, key, sizeof key), 1);
}

int main(void)
{
	setenv("SDL_VIDEODRIVER", "dummy", 0);
	if (!mkdtemp(dir) || SDL_Init(SDL_INIT_VIDEO) != 0 || TTF_Init() != 0) {
		printf("FAIL: %s: setup: %s\n", __FILE__, SDL_GetError());
		return 1;
	}
	static const char conf[] = "[display]\norganisation = Gemeente Voorbeeldstad\n";
	char *err = NULL;
	cfg = config_parse(conf, strlen(conf), "test", &err);
	te = text_engine_new(NULL, "assets");
	theme = theme_get("default", NULL);
	win = SDL_CreateWindow("fade", 0, 0, W, H, 0);
	ren = win ? SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE | SDL_RENDERER_TARGETTEXTURE) : NULL;
	if (!cfg || !te || !ren) {
		printf("FAIL: %s: setup: %s\n", __FILE__, err ? err : SDL_GetError());
		return 1;
	}
	RUN(fade_is_the_exact_mix_of_the_two_cards);
	text_engine_free(te);
	config_free(cfg);
	SDL_DestroyRenderer(ren);
	SDL_DestroyWindow(win);
	TTF_Quit();
	SDL_Quit();
	RUN(screen_fades_through_frames_in_between);
	RUN(new_panel_colour_fades_the_card_into_itself);
	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("warning: could not remove %s\n", dir);
	free(cmd);
	return test_summary();
}
