/* The whole screen, headless: screen_run() with the dummy video driver, a
 * real cache directory, the poller and the bundled sample feed, writing
 * --screenshot files; plus every card of the sample feed built and checked. */
#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/base/fsio.h"
#include "../../src/base/xmalloc.h"
#include "../../src/cache/cache.h"
#include "../../src/config/config.h"
#include "../../src/net/poller.h"
#include "../../src/render/screen.h"
#include "../../src/render/spot.h"
#include "../../src/render/text.h"
#include "../../src/render/theme.h"
#include "test.h"

static char dir[] = "/tmp/balie-screen-XXXXXX";

static config_t *sample_config(const char *extra)
{
	char *text = xasprintf("[display]\norganisation = Gemeente Voorbeeldstad\nsample = true\n%s",
	                       extra ? extra : "");
	char *err = NULL;
	config_t *c = config_parse(text, strlen(text), "test", &err);
	if (!c)
		printf("    config: %s\n", err ? err : "?");
	free(err);
	free(text);
	return c;
}

/* Run the screen once into a screenshot; returns screen_run's status. */
static int shoot(const char *name, int w, int h, int rotate, int frames, const char *extra,
                 SDL_Surface **out)
{
	config_t *cfg = sample_config(extra);
	if (!cfg)
		return -1;
	char *cdir = xasprintf("%s/cache-%s", dir, name);
	char *err = NULL;
	cache_options_t o;
	cache_options_default(&o);
	cache_t *cache = cache_open(cdir, &o, true, &err);
	if (!cache) {
		printf("    cache: %s\n", err ? err : "?");
		free(err);
		free(cdir);
		config_free(cfg);
		return -1;
	}
	char *png = xasprintf("%s/%s.png", dir, name);
	screen_options_t opt = { .width = w, .height = h, .rotate = rotate, .screenshot = png,
		                 .frames = frames, .assets_dir = "assets" };
	poller_set_sample_file("assets/sample-feed.json");
	int rc = screen_run(cfg, cache, &opt); /* takes cfg */
	poller_set_sample_file(NULL);
	cache_close(cache);
	*out = IMG_Load(png);
	free(png);
	free(cdir);
	return rc;
}

static uint32_t pixel(SDL_Surface *s, int x, int y)
{
	SDL_Surface *c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0);
	uint32_t p = ((uint32_t *)((uint8_t *)c->pixels + y * c->pitch))[x];
	SDL_FreeSurface(c);
	return p & 0xFFFFFF;
}

static uint32_t rgb(SDL_Color c)
{
	return (uint32_t)c.r << 16 | (uint32_t)c.g << 8 | c.b;
}

TEST(screenshot_of_the_first_card)
{
	SDL_Surface *s = NULL;
	int rc = shoot("landscape", 1920, 1080, 0, 0, NULL, &s);
	CHECK_INT(rc, 0);
	CHECK(s != NULL);
	CHECK(s->w == 1920 && s->h == 1080);
	const theme_t *th = theme_get("default", NULL);
	/* The card panel is there (left middle), and so is a card (avatar disc
	 * near the top-left is not panel colour). */
	CHECK_INT(pixel(s, 60, 540), rgb(th->panel));
	CHECK(pixel(s, 160, 170) != rgb(th->panel));
	screen_stats_t st = screen_stats();
	CHECK(st.presents >= 1);
	CHECK(st.cards_built >= 1);
	CHECK_INT(st.missing_glyphs, 0);
	SDL_FreeSurface(s);
}

TEST(rotation_is_done_inside_balie)
{
	SDL_Surface *s = NULL;
	int rc = shoot("rot90", 1920, 1080, 90, 0, NULL, &s);
	CHECK_INT(rc, 0);
	CHECK(s != NULL);
	CHECK(s->w == 1920 && s->h == 1080); /* the physical output */
	const theme_t *th = theme_get("default", NULL);
	/* Turned clockwise, the logical bottom (status line) is on the left:
	 * the left edge is background, not panel; the right half is panel. */
	CHECK(pixel(s, 60, 540) != rgb(th->panel));
	CHECK_INT(pixel(s, 1870, 540), rgb(th->panel));
	SDL_FreeSurface(s);
}

TEST(frames_option_and_high_contrast_theme)
{
	SDL_Surface *s = NULL;
	int rc = shoot("hc", 800, 480, 0, 3, "theme = high-contrast\nlanguage = en\n", &s);
	CHECK_INT(rc, 0);
	CHECK(s != NULL);
	CHECK(s->w == 800 && s->h == 480);
	CHECK_INT(pixel(s, 2, 2), 0x000000);
	CHECK(screen_stats().presents >= 3);
	SDL_FreeSurface(s);
}

TEST(unwritable_screenshot_is_an_error)
{
	config_t *cfg = sample_config(NULL);
	char *cdir = xasprintf("%s/cache-bad", dir);
	cache_options_t o;
	cache_options_default(&o);
	char *err = NULL;
	cache_t *cache = cache_open(cdir, &o, true, &err);
	CHECK(cache != NULL);
	screen_options_t opt = { .width = 640, .height = 480, .rotate = -1,
		                 .screenshot = "/nonexistent-dir/x.png", .assets_dir = "assets" };
	poller_set_sample_file("assets/sample-feed.json");
	int rc = screen_run(cfg, cache, &opt);
	poller_set_sample_file(NULL);
	cache_close(cache);
	free(cdir);
	CHECK_INT(rc, 1);
}

TEST(every_sample_card_renders_completely)
{
	size_t len;
	char *json = fsio_read_file("assets/sample-feed.json", 1 << 20, &len);
	CHECK(json != NULL);
	cJSON *root = cJSON_Parse(json);
	free(json);
	CHECK(root != NULL);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(root, "format")), "balie-posts");
	SDL_Init(SDL_INIT_VIDEO);
	TTF_Init();
	SDL_Window *win = SDL_CreateWindow("t", 0, 0, 1080, 1920, 0);
	SDL_Renderer *ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
	text_engine_t *te = text_engine_new(NULL, "assets");
	config_t *cfg = sample_config(NULL);
	spot_env_t env = { .ren = ren, .te = te, .theme = theme_get("default", NULL), .cfg = cfg,
		           .w = 1080, .h = 1920, .now = 1717000000, .clock_good = true };
	const cJSON *it;
	int n = 0, missing = 0, kinds = 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(root, "posts")) {
		post_t *p = post_from_json(it);
		if (!p)
			continue;
		kinds |= (p->cw ? 1 : 0) | (p->booster ? 2 : 0) | (strlen(p->text) > 400 ? 4 : 0) |
		         (strstr(p->text, "\xd9\x85") ? 8 : 0) | (strstr(p->text, "\xf0\x9f") ? 16 : 0);
		spot_t *c = spot_new(&env, p);
		spot_build(c, &env);
		if (!spot_ready(c) || spot_drawn_text(c).w == 0)
			printf("    %s: not complete\n", p->key);
		else
			n++;
		missing += spot_missing_glyphs(c);
		spot_free(c);
		post_free(p);
	}
	text_engine_free(te);
	config_free(cfg);
	SDL_DestroyRenderer(ren);
	SDL_DestroyWindow(win);
	TTF_Quit();
	SDL_Quit();
	cJSON_Delete(root);
	CHECK(n >= 8);
	CHECK_INT(missing, 0);
	CHECK_INT(kinds, 31); /* CW, boost, long, Arabic, emoji are all there */
}

int main(void)
{
	setenv("SDL_VIDEODRIVER", "dummy", 0);
	if (!mkdtemp(dir)) {
		printf("FAIL: %s: mkdtemp\n", __FILE__);
		return 1;
	}
	RUN(screenshot_of_the_first_card);
	RUN(rotation_is_done_inside_balie);
	RUN(frames_option_and_high_contrast_theme);
	RUN(unwritable_screenshot_is_an_error);
	RUN(every_sample_card_renders_completely);
	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("warning: could not remove %s\n", dir);
	free(cmd);
	return test_summary();
}
