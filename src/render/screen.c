/*
 * screen: SDL setup, the event loop, transitions, the status line,
 * input, reload and screenshots.  See screen.h.
 *
 * Cards: at most two exist at a time, `shown` (on screen) and `next`
 * (being prepared, or fading in).  The playlist says which post comes
 * next; the pacer says when to draw.  The loop is
 *
 *   sleep until pacer_timeout() or an event
 *   take events: input, new snapshot, decoded images, reload/quit requests
 *   prepare: create/build the cards the playlist wants
 *   pacer_tick(): begin/finish a transition, minute tick, draw a frame
 *
 * Wake-ups from other threads are SDL user events: the poller's notify
 * callback and the loader push them and then call waiter_pushed(); signal
 * handlers cannot (SDL_PushEvent is not async-signal-safe), so
 * screen_request_*() set a flag and waiter_poke().  How the loop sleeps
 * depends on the video driver (waiter.h): SDL's own wait where it sleeps in
 * the kernel (x11, wayland), else poll() on the waiter's eventfd and the
 * input devices (dummy, KMSDRM on a Pi), because SDL 2.26 would wake up a
 * thousand times a second there.  A cross-fade draws each card as one
 * picture of opaque pieces (fade.h); with the software renderer at most 30
 * frames a second.
 *
 * For the benchmark (make bench, docs/performance.md): with BALIE_STATS=1 in
 * the environment, or with --verbose, screen_run() logs one line at exit,
 *   screen: stats: presents=N cards_built=N cards_shown=N text_blocks=N
 *   glyph_runs=N texture_uploads=N missing_glyphs=N images_decoded=N
 *   fonts_opened=N first_frame_us=T first_card_us=T
 * where the T are CLOCK_MONOTONIC microseconds (unscaled, comparable across
 * processes) of the first present and of the first present of a complete
 * card; 0 when it never happened.
 */
#include "screen.h"

#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>
#include <ctype.h>
#include <math.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../base/clock.h"
#include "../base/log.h"
#include "../base/xmalloc.h"
#include "../layout/layout.h"
#include "../layout/timefmt.h"
#include "../net/poller.h"
#include "../platform/kiosk.h"
#include "../platform/platform.h"
#include "../playlist/input.h"
#include "../playlist/pacer.h"
#include "../playlist/playlist.h"
#include "draw.h"
#include "fade.h"
#include "loader.h"
#include "spot.h"
#include "text.h"
#include "theme.h"
#include "waiter.h"

#define SCREENSHOT_TIMEOUT_MS 20000
#define SOFT_FADE_HZ 30

static atomic_int req_quit, req_reload;
static screen_stats_t last_stats;
/* benchmark figures beyond screen_stats_t (see the stats line above) */
static uint64_t cards_shown, fonts_opened;
static int64_t first_frame_us, first_card_us;

enum { EV_POLLER, EV_LOADER, EV_WAKE, EV__COUNT };

typedef struct {
	SDL_Texture *tex;
	SDL_Rect dst;
} tex_t;

typedef struct {
	config_t *cfg;
	cache_t *cache;
	const screen_options_t *opt;
	SDL_Window *win;
	SDL_Renderer *ren;
	SDL_Texture *canvas;     /* logical canvas when rotated */
	int phys_w, phys_h, lw, lh, rotate;
	bool windowed, vsync;
	bool soft;               /* SDL's software renderer: fades at SOFT_FADE_HZ */
	text_engine_t *te;
	loader_t *loader;
	const theme_t *theme;    /* points at theme_buf */
	theme_t theme_buf;       /* the chosen theme with the configured colours */
	uint32_t ev_base;

	poller_t *poller;
	feed_snapshot_t *snap;
	bool snap_pending;
	char *media_dir;
	playlist_t *pl;
	pacer_t pacer;
	spot_t *shown, *next, *out; /* out: fading away during a transition */
	bool next_is_prev;       /* next was chosen by "previous": no playlist_next() on begin */
	bool paused;

	layout_card_t frame;     /* card and status rectangles (flags 0) */
	char status_key[512];
	tex_t st_left, st_mid, st_right, st_sample, empty[2];
	bool empty_built;
	SDL_Texture *logo;
	SDL_Rect logo_dst;
	uint64_t logo_job;
	bool logo_done;

	input_quit_t quit_keys;  /* what a key press may do: playlist/input.h */
	SDL_FingerID finger;
	bool finger_down;
	uint32_t finger_t0;
	float finger_x, finger_y;

	kiosk_t *kiosk;          /* watchdog, opening hours, burn-in drift */
	waiter_t *waiter;        /* how the loop sleeps (waiter.h); NULL: SDL_WaitEventTimeout */

	bool quit, relayout;
	bool ready_sent;
	int rc;
	int64_t start_ms;
} scr_t;

/* ---- requests from other threads ------------------------------------- */

void screen_request_reload(void)
{
	atomic_store(&req_reload, 1);
	waiter_poke();
}

void screen_request_quit(void)
{
	atomic_store(&req_quit, 1);
	waiter_poke();
}

static void poller_notify(void *ctx)
{
	SDL_Event ev = { .type = *(uint32_t *)ctx };
	SDL_PushEvent(&ev);
	waiter_pushed();
}

/* ---- helpers ------------------------------------------------------------ */

static const char *lang(const scr_t *S)
{
	return S->cfg->display.language ? S->cfg->display.language : "nl";
}

/* "3 minuten geleden" only with a clock known to be right: synchronised
 * (platform_clock_good(): timesyncd's flag or adjtimex) and not before 2024
 * (a Pi without RTC that has not synced, or BALIE_FAKE_NOW in tests). */
static bool clock_good(int64_t wall)
{
	return wall >= 1704067200 && platform_clock_good();
}

static spot_env_t env_of(scr_t *S)
{
	int64_t wall = clock_wall();
	return (spot_env_t){ .ren = S->ren, .te = S->te, .loader = S->loader, .theme = S->theme,
		             .cfg = S->cfg, .media_dir = S->media_dir, .w = S->lw, .h = S->lh,
		             .now = wall, .clock_good = clock_good(wall) };
}

static void tex_free(tex_t *t)
{
	if (t->tex)
		SDL_DestroyTexture(t->tex);
	memset(t, 0, sizeof *t);
}

static void parse_quit_keys(scr_t *S, const char *spec)
{
	input_quit_t q;
	bool ok = input_parse_quit(spec, &q);
	/* a name SDL has no key for could never be pressed: keep the default */
	if (ok && SDL_GetKeyFromName(q.key) == SDLK_UNKNOWN) {
		ok = false;
		input_parse_quit(NULL, &q);
	}
	if (!ok)
		log_warn("screen", "display.quit_keys \"%s\": not modifiers and one key; using ctrl+alt+shift+q",
		         spec);
	S->quit_keys = q;
}

static unsigned mods_of(Uint16 m)
{
	return ((m & KMOD_CTRL) ? (unsigned)INPUT_CTRL : 0u) | ((m & KMOD_ALT) ? (unsigned)INPUT_ALT : 0u) |
	       ((m & KMOD_SHIFT) ? (unsigned)INPUT_SHIFT : 0u) | ((m & KMOD_GUI) ? (unsigned)INPUT_SUPER : 0u);
}

/* ---- snapshots and cards ------------------------------------------------- */

static const post_t *find_post(const scr_t *S, const char *key)
{
	if (!S->snap || !key)
		return NULL;
	long i = post_list_find(&S->snap->posts, key);
	return i >= 0 ? S->snap->posts.items[i] : NULL;
}

/* -v: which card goes on screen and the time it shows (tests read this). */
static void log_shown(scr_t *S)
{
	if (log_get_level() < LOG_LVL_DEBUG || !S->shown)
		return;
	const post_t *p = find_post(S, spot_key(S->shown));
	spot_env_t env = env_of(S);
	char when[64] = "";
	if (p && p->created > 0)
		timefmt_relative(p->created, env.now, env.clock_good, lang(S), when, sizeof when);
	log_debug("screen", "showing %s (%s)", spot_key(S->shown), when);
}

static void drop_cards(scr_t *S)
{
	spot_free(S->shown);
	spot_free(S->next);
	spot_free(S->out);
	S->shown = S->next = S->out = NULL;
	pacer_empty(&S->pacer);
}

static void take_snapshot(scr_t *S)
{
	S->snap_pending = false;
	feed_snapshot_t *s = S->poller ? poller_snapshot(S->poller) : NULL;
	if (!s)
		return;
	if (S->snap && s->generation == S->snap->generation) {
		feed_snapshot_unref(s);
		return;
	}
	feed_snapshot_unref(S->snap);
	S->snap = s;
	free(S->media_dir);
	S->media_dir = s->cache_dir ? xasprintf("%s/media", s->cache_dir) : NULL;
	size_t n = s->posts.len;
	playlist_entry_t *e = xcalloc(n ? n : 1, sizeof *e);
	for (size_t i = 0; i < n; i++) {
		const post_t *p = s->posts.items[i];
		e[i] = (playlist_entry_t){ .key = p->key, .show_from = p->show_from,
		                           .show_until = p->show_until, .priority = p->priority };
	}
	int64_t now = clock_mono_ms();
	if (playlist_update(S->pl, e, n, clock_wall())) {
		/* The post on screen was removed (deleted, hidden): move on now,
		 * or show the empty screen when nothing is left. */
		if (playlist_len(S->pl) == 0 && !S->out)
			drop_cards(S);
		else
			pacer_skip(&S->pacer, now);
	}
	free(e);
	/* A prepared card that is no longer what comes next is redone. */
	if (S->next && !S->next_is_prev) {
		const char *want = playlist_peek_next(S->pl, clock_wall());
		if (!want || strcmp(want, spot_key(S->next)) != 0) {
			spot_free(S->next);
			S->next = NULL;
		}
	}
	pacer_dirty(&S->pacer); /* status line (offline, sample) may change */
}

static void take_loaded(scr_t *S)
{
	load_result_t r;
	while (loader_take(S->loader, &r)) {
		if (r.id == S->logo_job) {
			S->logo_done = true;
			if (r.surface) {
				S->logo = spot_upload(S->ren, r.surface);
				S->logo_dst = (SDL_Rect){ 0, 0, r.surface->w, r.surface->h };
				S->status_key[0] = '\0';
				pacer_dirty(&S->pacer);
			} else {
				log_warn("screen", "display.logo not shown: %s", r.error ? r.error : "?");
			}
		} else if (!(S->shown && spot_offer(S->shown, &r)) && !(S->next && spot_offer(S->next, &r))) {
			/* a card that is gone: drop */
		}
		SDL_FreeSurface(r.surface);
		free(r.error);
	}
}

/* Create and build the cards the playlist wants. */
static void prepare(scr_t *S)
{
	int64_t wall = clock_wall();
	if (!S->shown && !S->out) {
		const post_t *p = find_post(S, playlist_current(S->pl));
		if (p) {
			spot_env_t env = env_of(S);
			S->shown = spot_new(&env, p);
			cards_shown++;
			log_shown(S);
		} else if (S->snap && S->pacer.phase != PACER_EMPTY) {
			pacer_empty(&S->pacer);
		}
	}
	if (S->shown && !spot_ready(S->shown) && !spot_loading(S->shown)) {
		spot_env_t env = env_of(S);
		spot_build(S->shown, &env);
		if (!S->out)
			pacer_show(&S->pacer, clock_mono_ms(), spot_dwell_ms(S->shown, &S->cfg->display));
	}
	/* The next card, only while nothing moves. */
	if (S->shown && spot_ready(S->shown) && !S->out && S->pacer.phase == PACER_DWELL) {
		if (!S->next) {
			const char *k = playlist_peek_next(S->pl, wall);
			const post_t *p = k && strcmp(k, spot_key(S->shown)) != 0 ? find_post(S, k) : NULL;
			if (p) {
				spot_env_t env = env_of(S);
				S->next = spot_new(&env, p);
				S->next_is_prev = false;
			}
		}
		if (S->next && !spot_ready(S->next) && !spot_loading(S->next)) {
			spot_env_t env = env_of(S);
			spot_build(S->next, &env);
		}
	}
}

/* ---- status line --------------------------------------------------------- */

static tex_t text_tex(scr_t *S, const char *s, SDL_Color fg, int px, bool bold, int max_w)
{
	text_style_t st = { .fg = fg, .link = fg, .mention = fg, .hashtag = fg, .bold = bold,
		            .min_px = px * 3 / 4, .max_px = px, .max_w = max_w, .max_h = px * 3,
		            .max_lines = 1, .lang = lang(S) };
	text_block_t b;
	text_render(S->te, s, &st, &b);
	tex_t t = { 0 };
	if (b.surface) {
		t.tex = spot_upload(S->ren, b.surface);
		t.dst = (SDL_Rect){ 0, 0, b.w, b.h };
		SDL_FreeSurface(b.surface);
	}
	return t;
}

static void build_status(scr_t *S, bool force)
{
	const layout_card_t *L = &S->frame;
	int64_t wall = clock_wall();
	bool en = timefmt_is_english(lang(S));
	char clock[16], mid[128] = "";
	timefmt_clock(wall, clock, sizeof clock);
	if (S->snap && S->snap->offline_since)
		timefmt_offline(S->snap->last_success, wall, lang(S), mid, sizeof mid);
	else if (S->paused)
		snprintf(mid, sizeof mid, "%s", en ? "Paused" : "Gepauzeerd");
	const char *org = S->cfg->display.organisation ? S->cfg->display.organisation : "";
	bool sample = S->snap && S->snap->sample;
	char key[512];
	snprintf(key, sizeof key, "%s|%s|%s|%d|%p|%d", org, clock, mid, sample, (void *)S->logo, L->w);
	if (!force && strcmp(key, S->status_key) == 0)
		return;
	snprintf(S->status_key, sizeof S->status_key, "%s", key);
	log_debug("screen", "status line: %s%s | %s", sample ? "[sample] " : "", mid, clock);
	tex_free(&S->st_left);
	tex_free(&S->st_mid);
	tex_free(&S->st_right);
	tex_free(&S->st_sample);
	lrect_t r = L->status;
	int px = L->px_status;
	S->st_right = text_tex(S, clock, S->theme->text, px, true, r.w / 4);
	S->st_right.dst.x = r.x + r.w - S->st_right.dst.w;
	S->st_right.dst.y = r.y + (r.h - S->st_right.dst.h) / 2;
	int left_end = r.x;
	if (S->logo) {
		double sc = fmin(1.0, (double)r.h / (S->logo_dst.h > 0 ? S->logo_dst.h : 1));
		S->logo_dst.w = (int)(S->logo_dst.w * sc);
		S->logo_dst.h = (int)(S->logo_dst.h * sc);
		S->logo_dst.x = r.x;
		S->logo_dst.y = r.y + (r.h - S->logo_dst.h) / 2;
		left_end = r.x + S->logo_dst.w;
	} else if (*org) {
		S->st_left = text_tex(S, org, S->theme->text, px, true, r.w * 2 / 5);
		S->st_left.dst.x = r.x;
		S->st_left.dst.y = r.y + (r.h - S->st_left.dst.h) / 2;
		left_end = r.x + S->st_left.dst.w;
	}
	if (sample) {
		S->st_sample = text_tex(S, en ? "SAMPLE" : "VOORBEELD", S->theme->sample_text, px * 3 / 4,
		                        true, r.w / 4);
		S->st_sample.dst.x = left_end + px;
		S->st_sample.dst.y = r.y + (r.h - S->st_sample.dst.h) / 2;
		left_end = S->st_sample.dst.x + S->st_sample.dst.w + px / 2;
	}
	if (*mid) {
		int avail = S->st_right.dst.x - px - left_end - px;
		SDL_Color c = S->snap && S->snap->offline_since ? S->theme->offline : S->theme->muted;
		S->st_mid = text_tex(S, mid, c, px, false, avail > px ? avail : px);
		S->st_mid.dst.x = S->st_right.dst.x - px - S->st_mid.dst.w;
		S->st_mid.dst.y = r.y + (r.h - S->st_mid.dst.h) / 2;
	}
}

static void build_empty(scr_t *S)
{
	if (S->empty_built)
		return;
	S->empty_built = true;
	const layout_card_t *L = &S->frame;
	bool en = timefmt_is_english(lang(S));
	const char *org = S->cfg->display.organisation ? S->cfg->display.organisation : "";
	S->empty[0] = text_tex(S, *org ? org : "balie", S->theme->text, L->px_name * 3 / 2, true,
	                       L->card.w - 2 * L->pad);
	S->empty[1] = text_tex(S, en ? "No posts yet" : "Nog geen berichten", S->theme->muted,
	                       L->px_role, false, L->card.w - 2 * L->pad);
	int total = S->empty[0].dst.h + S->empty[1].dst.h;
	int y = L->card.y + (L->card.h - total) / 2;
	for (int i = 0; i < 2; i++) {
		S->empty[i].dst.x = L->card.x + (L->card.w - S->empty[i].dst.w) / 2;
		S->empty[i].dst.y = y;
		y += S->empty[i].dst.h;
	}
}

static void draw_tex(SDL_Renderer *ren, const tex_t *t)
{
	if (t->tex)
		SDL_RenderCopy(ren, t->tex, NULL, &t->dst);
}

/* ---- frames ------------------------------------------------------------- */

static double smooth(double t)
{
	return t * t * (3 - 2 * t);
}

static bool save_screenshot(scr_t *S)
{
	SDL_Surface *s = draw_surface(S->phys_w, S->phys_h);
	if (!s)
		return false;
	bool ok = SDL_RenderReadPixels(S->ren, NULL, SDL_PIXELFORMAT_ARGB8888, s->pixels, s->pitch) == 0;
	if (ok) {
		/* The frame is opaque; the read-back alpha may not be. */
		for (int y = 0; y < s->h; y++) {
			uint32_t *p = (uint32_t *)((uint8_t *)s->pixels + (size_t)y * (size_t)s->pitch);
			for (int x = 0; x < s->w; x++)
				p[x] |= 0xFF000000u;
		}
		ok = IMG_SavePNG(s, S->opt->screenshot) == 0;
	}
	if (!ok)
		fprintf(stderr, "balie: cannot write the screenshot %s: %s\n", S->opt->screenshot,
		        SDL_GetError());
	SDL_FreeSurface(s);
	return ok;
}

static void draw_frame(scr_t *S, double t, bool complete)
{
	SDL_Renderer *ren = S->ren;
	const theme_t *th = S->theme;
	if (S->kiosk && kiosk_blanked(S->kiosk) && !S->opt->screenshot) {
		/* outside opening hours without CEC: a black picture */
		SDL_SetRenderTarget(ren, NULL);
		SDL_RenderSetViewport(ren, NULL);
		SDL_SetRenderDrawColor(ren, 0, 0, 0, 255);
		SDL_RenderClear(ren);
		SDL_RenderPresent(ren);
		last_stats.presents++;
		platform_frame_presented();
		/* Started at night (a restart, a power cut): the dark picture is
		 * what should be on screen, so systemd hears READY=1 now; without
		 * it Type=notify would restart balie every TimeoutStartSec. */
		if (!S->ready_sent) {
			S->ready_sent = true;
			platform_ready();
		}
		return;
	}
	int dx = 0, dy = 0; /* burn-in drift; none in screenshots */
	if (S->kiosk && !S->opt->screenshot)
		kiosk_offset(S->kiosk, clock_mono_ms(), &dx, &dy);
	SDL_SetRenderTarget(ren, S->canvas);
	/* The panel everywhere, then the background around the card: every
	 * pixel written once, where background-then-panel wrote the card's
	 * million and a half twice (it counts with the software renderer). */
	SDL_SetRenderDrawBlendMode(ren, SDL_BLENDMODE_NONE);
	SDL_SetRenderDrawColor(ren, th->panel.r, th->panel.g, th->panel.b, 255);
	SDL_RenderClear(ren);
	const layout_card_t *L = &S->frame;
	int ox = S->canvas ? 0 : dx, oy = S->canvas ? 0 : dy;
	int W = S->canvas ? S->lw : S->phys_w, H = S->canvas ? S->lh : S->phys_h;
	SDL_Rect c = { L->card.x + ox, L->card.y + oy, L->card.w, L->card.h };
	SDL_Rect around[4] = {
		{ 0, 0, W, c.y },
		{ 0, c.y + c.h, W, H - c.y - c.h },
		{ 0, c.y, c.x, c.h },
		{ c.x + c.w, c.y, W - c.x - c.w, c.h },
	};
	SDL_SetRenderDrawColor(ren, th->bg.r, th->bg.g, th->bg.b, 255);
	for (int i = 0; i < 4; i++)
		if (around[i].w > 0 && around[i].h > 0)
			SDL_RenderFillRect(ren, &around[i]);
	if (!S->canvas) {
		SDL_Rect vp = { dx, dy, S->phys_w, S->phys_h };
		SDL_RenderSetViewport(ren, &vp);
	}
	if (S->out) {
		fade_draw(ren, S->out, S->shown, (uint8_t)lround(255 * (1 - smooth(t))), th->panel);
	} else if (S->shown && spot_ready(S->shown)) {
		spot_draw(S->shown, ren, 0, 0, 255);
	} else if (S->snap && playlist_len(S->pl) == 0) {
		build_empty(S);
		draw_tex(ren, &S->empty[0]);
		draw_tex(ren, &S->empty[1]);
	}
	build_status(S, false);
	if (S->logo)
		SDL_RenderCopy(ren, S->logo, NULL, &S->logo_dst);
	draw_tex(ren, &S->st_left);
	if (S->st_sample.tex) {
		SDL_Rect pill = S->st_sample.dst;
		int pad = pill.h / 4;
		pill.x -= pad;
		pill.w += 2 * pad;
		SDL_SetRenderDrawColor(ren, th->sample_bg.r, th->sample_bg.g, th->sample_bg.b, 255);
		SDL_RenderFillRect(ren, &pill);
		draw_tex(ren, &S->st_sample);
	}
	draw_tex(ren, &S->st_mid);
	draw_tex(ren, &S->st_right);
	if (S->canvas) {
		SDL_SetRenderTarget(ren, NULL);
		SDL_SetRenderDrawColor(ren, 0, 0, 0, 255);
		SDL_RenderClear(ren);
		SDL_Rect dst = { (S->phys_w - S->lw) / 2 + dx, (S->phys_h - S->lh) / 2 + dy, S->lw, S->lh };
		SDL_RenderCopyEx(ren, S->canvas, NULL, &dst, S->rotate, NULL, SDL_FLIP_NONE);
	}
	if (S->opt->screenshot) {
		bool due = S->opt->frames > 0 ? S->pacer.frames + 1 >= (unsigned)S->opt->frames : complete;
		if (!due && clock_mono_ms() - S->start_ms > SCREENSHOT_TIMEOUT_MS) {
			log_warn("screen", "no complete card after %d s; writing the screenshot anyway",
			         SCREENSHOT_TIMEOUT_MS / 1000);
			due = true;
		}
		if (due) {
			S->rc = save_screenshot(S) ? 0 : 1;
			S->quit = true;
		}
	}
	SDL_RenderPresent(ren);
	last_stats.presents++;
	if (!first_frame_us || (complete && !first_card_us)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
		if (!first_frame_us)
			first_frame_us = us;
		if (complete && !first_card_us)
			first_card_us = us;
	}
	platform_frame_presented();
	if (complete && !S->ready_sent) {
		S->ready_sent = true;
		platform_ready();
	}
}

/* The benchmark's line (see the top of this file). */
static void log_stats(void)
{
	const char *env = getenv("BALIE_STATS");
	bool asked = env && *env && strcmp(env, "0") != 0;
	const screen_stats_t *st = &last_stats;
	log_msg(asked ? LOG_LVL_INFO : LOG_LVL_DEBUG, "screen",
	        "stats: presents=%" PRIu64 " cards_built=%" PRIu64 " cards_shown=%" PRIu64
	        " text_blocks=%" PRIu64 " glyph_runs=%" PRIu64 " texture_uploads=%" PRIu64
	        " missing_glyphs=%" PRIu64 " images_decoded=%" PRIu64 " fonts_opened=%" PRIu64
	        " first_frame_us=%" PRId64 " first_card_us=%" PRId64,
	        st->presents, st->cards_built, cards_shown, st->text_blocks, st->glyph_runs,
	        st->texture_uploads, st->missing_glyphs, st->images_decoded, fonts_opened,
	        first_frame_us, first_card_us);
}

/* Both clocks run at BALIE_TIME_SCALE, so the wall clock's next minute is
 * simply that many (scaled) milliseconds away on the monotonic one. */
static void schedule_minute(scr_t *S)
{
	int64_t wall = clock_wall();
	int64_t ms = (60 - wall % 60) * 1000;
	pacer_set_minute(&S->pacer, clock_mono_ms() + (ms > 0 ? ms : 1));
}

/* The pacer's (scaled) milliseconds as real ones to sleep, rounded up so the
 * loop never wakes before its deadline and spins; capped at a minute. */
static int real_timeout(int64_t scaled_ms)
{
	if (scaled_ms < 0)
		return -1;
	double scale = clock_scale() >= 1 ? clock_scale() : 1;
	double real = ceil((double)scaled_ms / scale);
	return real > 60000 ? 60000 : (int)real;
}

/* ---- setup --------------------------------------------------------------- */

static bool setup_canvas(scr_t *S)
{
	if (S->canvas) {
		SDL_DestroyTexture(S->canvas);
		S->canvas = NULL;
	}
	SDL_GetRendererOutputSize(S->ren, &S->phys_w, &S->phys_h);
	layout_canvas(S->phys_w, S->phys_h, S->rotate, &S->lw, &S->lh);
	if (S->rotate != 0) {
		S->canvas = SDL_CreateTexture(S->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_TARGET,
		                              S->lw, S->lh);
		if (!S->canvas) {
			log_err("screen", "cannot rotate (no render target: %s); showing unrotated",
			        SDL_GetError());
			S->rotate = 0;
			S->lw = S->phys_w;
			S->lh = S->phys_h;
		}
	}
	layout_card(S->lw, S->lh, 0, &S->frame);
	S->status_key[0] = '\0';
	tex_free(&S->empty[0]);
	tex_free(&S->empty[1]);
	S->empty_built = false;
	return true;
}

static void request_logo(scr_t *S)
{
	S->logo_job = 0;
	S->logo_done = true;
	if (S->logo) {
		SDL_DestroyTexture(S->logo);
		S->logo = NULL;
	}
	const char *logo = S->cfg->display.logo;
	if (logo && *logo) {
		S->logo_done = false;
		S->logo_job = loader_submit(S->loader, logo, LOAD_FIT, S->frame.status.w / 3,
		                            S->frame.status.h, 0, 0);
	}
}

static bool open_display(scr_t *S)
{
	const config_display_t *d = &S->cfg->display;
	const char *driver = SDL_GetCurrentVideoDriver();
	bool dummy = driver && (strcmp(driver, "dummy") == 0 || strcmp(driver, "offscreen") == 0);
	/* size and rotation: the command line, the configuration, the board
	 * profile, in that order (a profile is data, in boards/) */
	const board_t *bd = S->opt->board;
	int w = S->opt->width > 0 ? S->opt->width : d->width > 0 ? d->width : bd ? bd->width : 0;
	int h = S->opt->height > 0 ? S->opt->height : d->height > 0 ? d->height : bd ? bd->height : 0;
	Uint32 flags = SDL_WINDOW_SHOWN;
	S->windowed = S->opt->windowed || !d->fullscreen;
	if (dummy || S->opt->screenshot) {
		/* No real display: a window of the asked size (default 1080p). */
		if (w <= 0 || h <= 0)
			w = 1920, h = 1080;
	} else if (S->windowed) {
		if (w <= 0 || h <= 0)
			w = 1280, h = 720;
		flags |= SDL_WINDOW_RESIZABLE;
	} else {
		flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
		if (w <= 0 || h <= 0)
			w = 1920, h = 1080; /* ignored by FULLSCREEN_DESKTOP */
	}
	S->win = SDL_CreateWindow("balie", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, w, h, flags);
	if (!S->win) {
		fprintf(stderr, "balie: cannot open the display (%s driver): %s\n",
		        driver ? driver : "no", SDL_GetError());
		return false;
	}
	if (!dummy && !S->opt->screenshot)
		S->ren = SDL_CreateRenderer(S->win, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC |
		                                            SDL_RENDERER_TARGETTEXTURE);
	if (!S->ren)
		S->ren = SDL_CreateRenderer(S->win, -1, SDL_RENDERER_SOFTWARE);
	if (!S->ren) {
		fprintf(stderr, "balie: cannot create a renderer: %s\n", SDL_GetError());
		return false;
	}
	SDL_RendererInfo info;
	SDL_GetRendererInfo(S->ren, &info);
	/* The software renderer reports vsync but presents at once. */
	S->soft = (info.flags & SDL_RENDERER_SOFTWARE) != 0 || strcmp(info.name, "software") == 0;
	S->vsync = (info.flags & SDL_RENDERER_PRESENTVSYNC) != 0 && !S->soft;
	int rot = S->opt->rotate >= 0 ? S->opt->rotate : d->rotate >= 0 ? d->rotate : bd ? bd->rotate : 0;
	if (!layout_rotation_valid(rot)) {
		log_warn("screen", "rotation %d is not 0, 90, 180 or 270; using 0", rot);
		rot = 0;
	}
	S->rotate = rot;
	setup_canvas(S);
	log_info("screen", "%s driver, %s renderer%s, %dx%d, rotated %d", driver ? driver : "?",
	         info.name, S->vsync ? " with vsync" : "", S->phys_w, S->phys_h, S->rotate);
	if (!S->windowed) {
		SDL_ShowCursor(SDL_DISABLE);
	}
	SDL_StopTextInput();
	return true;
}

/* How the loop sleeps: see waiter.h; logged at -v. */
static void open_waiter(scr_t *S)
{
	const char *driver = SDL_GetCurrentVideoDriver();
	const char *input_dir = NULL;
	waiter_mode_t mode = waiter_mode_for(driver, &input_dir);
	const char *forced = getenv("BALIE_EVENT_WAIT");
	char why[160];
	if (forced && *forced)
		snprintf(why, sizeof why, "BALIE_EVENT_WAIT=%s", forced);
	else if (mode == WAITER_SDL)
		snprintf(why, sizeof why, "the %s driver sleeps in the kernel", driver ? driver : "?");
	else
		snprintf(why, sizeof why, "SDL 2.26's %s driver has no wait of its own and would poll "
		         "every millisecond", driver ? driver : "?");
	S->waiter = waiter_new(mode, S->ev_base + EV_WAKE, input_dir);
	if (!S->waiter)
		log_debug("screen", "events: SDL_WaitEventTimeout (no eventfd for a waiter of our own)");
	else if (mode == WAITER_SDL)
		log_debug("screen", "events: SDL_WaitEventTimeout (%s)", why);
	else if (input_dir)
		log_debug("screen", "events: poll() on a wake-up eventfd and %zu input devices in %s (%s)",
		          waiter_inputs(S->waiter), input_dir, why);
	else
		log_debug("screen", "events: poll() on a wake-up eventfd, no input devices (%s)", why);
}

static int refresh_rate(scr_t *S)
{
	SDL_DisplayMode m;
	if (SDL_GetWindowDisplayMode(S->win, &m) == 0 && m.refresh_rate > 0)
		return m.refresh_rate;
	return 60;
}

/* Frames a second during a transition: the display's refresh, but at most
 * SOFT_FADE_HZ with the software renderer, where every frame is blended by
 * the CPU (docs/performance.md); a 0.6 s fade still gets 18 frames. */
static int fade_rate(scr_t *S)
{
	int hz = refresh_rate(S);
	if (S->soft && hz > SOFT_FADE_HZ) {
		log_debug("screen", "software renderer: cross-fades at %d frames a second", SOFT_FADE_HZ);
		hz = SOFT_FADE_HZ;
	}
	return hz;
}

/* ---- input --------------------------------------------------------------- */

static void user_next(scr_t *S)
{
	if (S->out)
		return; /* a transition is running */
	pacer_skip(&S->pacer, clock_mono_ms());
}

static void user_prev(scr_t *S)
{
	if (S->out || !S->shown)
		return;
	const char *k = playlist_prev(S->pl);
	const post_t *p = find_post(S, k);
	if (!p)
		return;
	spot_free(S->next);
	spot_env_t env = env_of(S);
	S->next = spot_new(&env, p);
	S->next_is_prev = true;
	pacer_skip(&S->pacer, clock_mono_ms());
}

static void user_pause(scr_t *S)
{
	S->paused = !S->paused;
	pacer_pause(&S->pacer, clock_mono_ms(), S->paused);
}

static void act(scr_t *S, input_action_t a)
{
	switch (a) {
	case INPUT_NEXT: user_next(S); break;
	case INPUT_PREV: user_prev(S); break;
	case INPUT_PAUSE: user_pause(S); break;
	case INPUT_QUIT:
		log_info("screen", "quit key pressed");
		S->quit = true;
		break;
	case INPUT_NONE: break;
	}
}

static void tap(scr_t *S, double fx, double fy, uint32_t held)
{
	double lx, ly;
	layout_to_logical(S->rotate, S->phys_w, S->phys_h, fx * S->phys_w, fy * S->phys_h, &lx, &ly);
	act(S, input_tap(lx, S->lw, held));
}

static void handle_event(scr_t *S, const SDL_Event *ev)
{
	if (ev->type >= S->ev_base && ev->type < S->ev_base + EV__COUNT) {
		switch (ev->type - S->ev_base) {
		case EV_POLLER: S->snap_pending = true; break;
		case EV_LOADER: take_loaded(S); break;
		default: break; /* EV_WAKE: flags are checked by the loop */
		}
		return;
	}
	switch (ev->type) {
	case SDL_QUIT:
		if (input_close_quits(S->windowed))
			S->quit = true;
		break;
	case SDL_KEYDOWN:
		/* only next, previous, pause and the quit combination: input.h */
		act(S, input_key(&S->quit_keys, SDL_GetKeyName(ev->key.keysym.sym), mods_of(ev->key.keysym.mod),
		                 S->windowed, ev->key.repeat != 0));
		break;
	case SDL_FINGERDOWN:
		S->finger = ev->tfinger.fingerId;
		S->finger_down = true;
		S->finger_t0 = ev->tfinger.timestamp;
		S->finger_x = ev->tfinger.x;
		S->finger_y = ev->tfinger.y;
		break;
	case SDL_FINGERUP:
		if (S->finger_down && ev->tfinger.fingerId == S->finger) {
			S->finger_down = false;
			float dx = ev->tfinger.x - S->finger_x, dy = ev->tfinger.y - S->finger_y;
			if (dx * dx + dy * dy < 0.05f * 0.05f)
				tap(S, S->finger_x, S->finger_y, ev->tfinger.timestamp - S->finger_t0);
		}
		break;
	case SDL_MOUSEBUTTONUP:
		if (S->windowed && ev->button.which != SDL_TOUCH_MOUSEID && ev->button.button == SDL_BUTTON_LEFT &&
		    S->phys_w > 0 && S->phys_h > 0) {
			int ww, wh;
			SDL_GetWindowSize(S->win, &ww, &wh);
			tap(S, ww > 0 ? (double)ev->button.x / ww : 0, wh > 0 ? (double)ev->button.y / wh : 0, 0);
		}
		break;
	case SDL_WINDOWEVENT:
		if (ev->window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
			S->relayout = true;
		else if (ev->window.event == SDL_WINDOWEVENT_EXPOSED)
			pacer_dirty(&S->pacer);
		break;
	default: break;
	}
}

static void do_reload(scr_t *S)
{
	atomic_store(&req_reload, 0);
	if (!S->opt->reload)
		return;
	config_t *n = S->opt->reload(S->opt->reload_ctx);
	if (!n)
		return;
	platform_reloading();
	if (S->poller)
		poller_reload(S->poller, n);
	if (S->kiosk)
		kiosk_reconfigure(S->kiosk, n->platform, S->opt->board);
	platform_reload_done();
	/* Cards copy what they show, so the old configuration can go now;
	 * display settings apply from the next card on. */
	config_free(S->cfg);
	S->cfg = n;
	bool known;
	theme_t was = S->theme_buf;
	S->theme_buf = theme_with_colours(theme_get(n->display.theme, &known), n->display.background,
	                                  n->display.panel, n->display.text_color, n->display.accent);
	S->theme = &S->theme_buf;
	if (!known)
		log_warn("screen", "display.theme \"%s\" unknown; using default", n->display.theme);
	parse_quit_keys(S, n->display.quit_keys);
	S->pacer.transition_ms = n->display.transition_ms < 0 ? 0 : n->display.transition_ms;
	S->status_key[0] = '\0';
	tex_free(&S->empty[0]);
	tex_free(&S->empty[1]);
	S->empty_built = false;
	request_logo(S);
	if (S->next && !S->out) {
		spot_free(S->next);
		S->next = NULL;
	}
	/* The card on screen is flattened onto the panel's colours (spot.c):
	 * when they changed, it fades into a fresh copy of itself. */
	const theme_t *t = &S->theme_buf;
	bool recolour = memcmp(&was.panel, &t->panel, sizeof t->panel) != 0 ||
	                memcmp(&was.cw_bg, &t->cw_bg, sizeof t->cw_bg) != 0;
	const post_t *p = recolour && S->shown && !S->out && !S->next ? find_post(S, spot_key(S->shown)) : NULL;
	if (p) {
		spot_env_t env = env_of(S);
		S->next = spot_new(&env, p);
		S->next_is_prev = true;
		pacer_skip(&S->pacer, clock_mono_ms());
	}
	pacer_dirty(&S->pacer);
}

/* ---- the loop ------------------------------------------------------------ */

static void loop(scr_t *S)
{
	while (!S->quit) {
		int64_t now = clock_mono_ms();
		bool next_ready = S->next && spot_ready(S->next);
		int64_t to = pacer_timeout(&S->pacer, now, next_ready);
		if (S->opt->screenshot && (to < 0 || to > 100))
			to = 100; /* headless: watch the screenshot deadline */
		int64_t kt = S->kiosk ? kiosk_timeout_ms(S->kiosk, now) : -1;
		if (kt >= 0 && (to < 0 || kt < to))
			to = kt; /* the watchdog, the opening hours and the drift wake us too */
		SDL_Event ev;
		int real = real_timeout(to);
		int got;
		if (S->waiter)
			got = waiter_wait(S->waiter, real, &ev);
		else
			got = real < 0 ? SDL_WaitEvent(&ev) : SDL_WaitEventTimeout(&ev, real);
		if (got) {
			handle_event(S, &ev);
			while (!S->quit && SDL_PollEvent(&ev))
				handle_event(S, &ev);
		}
		if (atomic_load(&req_quit))
			S->quit = true;
		if (S->quit)
			break;
		if (atomic_load(&req_reload))
			do_reload(S);
		if (S->relayout) {
			S->relayout = false;
			setup_canvas(S);
			drop_cards(S);
			request_logo(S);
			pacer_dirty(&S->pacer);
		}
		if (S->kiosk) {
			int64_t w = clock_wall();
			if (kiosk_tick(S->kiosk, clock_mono_ms(), w, clock_good(w)))
				pacer_dirty(&S->pacer);
		}
		if (S->snap_pending)
			take_snapshot(S);
		if (!S->out)
			prepare(S);

		now = clock_mono_ms();
		next_ready = S->next && spot_ready(S->next);
		unsigned act = pacer_tick(&S->pacer, now, next_ready);
		if (act & PACER_BEGIN) {
			if (!S->next_is_prev)
				playlist_next(S->pl, clock_wall());
			S->out = S->shown;
			S->shown = S->next;
			if (S->shown)
				cards_shown++;
			log_shown(S);
			S->next = NULL;
			S->next_is_prev = false;
		}
		if (act & PACER_FINISH) {
			spot_free(S->out);
			S->out = NULL;
			if (S->shown)
				pacer_show(&S->pacer, now, spot_dwell_ms(S->shown, &S->cfg->display));
			/* start on the card after this one now, while this one dwells,
			 * not at some later wake-up */
			prepare(S);
		}
		if (act & PACER_MINUTE) {
			spot_env_t env = env_of(S);
			if (S->shown)
				spot_set_time(S->shown, &env);
			schedule_minute(S);
		}
		if (act & PACER_FRAME) {
			bool complete = !S->out && ((S->shown && spot_ready(S->shown)) ||
			                            (S->snap && playlist_len(S->pl) == 0));
			draw_frame(S, pacer_progress(&S->pacer, now), complete);
			pacer_presented(&S->pacer, clock_mono_ms());
		}
	}
}

int screen_run(config_t *cfg, cache_t *cache, const screen_options_t *opt)
{
	scr_t S = { .cfg = cfg, .cache = cache, .opt = opt };
	memset(&last_stats, 0, sizeof last_stats);
	cards_shown = fonts_opened = 0;
	first_frame_us = first_card_us = 0;
	S.start_ms = clock_mono_ms();
	int rc = 4;

	SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
	SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
	SDL_SetHint(SDL_HINT_TOUCH_MOUSE_EVENTS, "0");
	SDL_SetHint(SDL_HINT_VIDEO_MINIMIZE_ON_FOCUS_LOSS, "0");
	if (opt->screenshot && !getenv("SDL_RENDER_DRIVER"))
		SDL_SetHint(SDL_HINT_RENDER_DRIVER, "software");
	if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
		fprintf(stderr, "balie: cannot start SDL: %s\n", SDL_GetError());
		config_free(cfg);
		return 4;
	}
	if (TTF_Init() != 0) {
		fprintf(stderr, "balie: cannot start SDL_ttf: %s\n", TTF_GetError());
		SDL_Quit();
		config_free(cfg);
		return 4;
	}
	IMG_Init(IMG_INIT_PNG | IMG_INIT_JPG | IMG_INIT_WEBP);
	S.ev_base = SDL_RegisterEvents(EV__COUNT);

	bool known;
	S.theme_buf = theme_with_colours(theme_get(cfg->display.theme, &known), cfg->display.background,
	                                 cfg->display.panel, cfg->display.text_color, cfg->display.accent);
	S.theme = &S.theme_buf;
	if (!known)
		log_warn("screen", "display.theme \"%s\" unknown; using default", cfg->display.theme);
	parse_quit_keys(&S, cfg->display.quit_keys);
	S.te = text_engine_new(cfg->display.font, opt->assets_dir);
	if (!S.te) {
		fprintf(stderr, "balie: no usable font; install fonts-noto-core or set display.font\n");
		goto out;
	}
	if (!open_display(&S))
		goto out;
	if (opt->board) /* a Zero 2 W decodes smaller pictures than a PC */
		loader_set_limits((long long)opt->board->cache_budget_mb << 20, opt->board->max_texture);
	S.loader = loader_new(S.ev_base + EV_LOADER);
	if (!S.loader) {
		fprintf(stderr, "balie: cannot start the image loader thread\n");
		goto out;
	}
	open_waiter(&S);
	S.pl = playlist_new();
	pacer_init(&S.pacer, fade_rate(&S), S.vsync, cfg->display.transition_ms);
	schedule_minute(&S);
	request_logo(&S);
	uint32_t poller_ev = S.ev_base + EV_POLLER;
	if (cache)
		S.poller = poller_start(cfg, cache, poller_notify, &poller_ev);
	S.kiosk = kiosk_new(cfg->platform, opt->board);
	S.snap_pending = true;
	pacer_dirty(&S.pacer);
	S.rc = 0;
	loop(&S);
	platform_stopping();
	rc = S.rc;

out:
	if (S.poller)
		poller_stop(S.poller);
	kiosk_free(S.kiosk);
	spot_free(S.shown);
	spot_free(S.next);
	spot_free(S.out);
	if (S.loader)
		last_stats.images_decoded = loader_decoded(S.loader);
	loader_free(S.loader);
	waiter_free(S.waiter); /* after every thread that pushes events */
	playlist_free(S.pl);
	feed_snapshot_unref(S.snap);
	free(S.media_dir);
	tex_free(&S.st_left);
	tex_free(&S.st_mid);
	tex_free(&S.st_right);
	tex_free(&S.st_sample);
	tex_free(&S.empty[0]);
	tex_free(&S.empty[1]);
	if (S.logo)
		SDL_DestroyTexture(S.logo);
	if (S.canvas)
		SDL_DestroyTexture(S.canvas);
	if (S.te) {
		const text_stats_t *ts = text_stats(S.te);
		last_stats.glyph_runs = ts->runs;
		fonts_opened = ts->fonts_opened;
		last_stats.missing_glyphs = ts->missing_glyphs;
	}
	last_stats.cards_built = spot_stats()->cards_built;
	last_stats.text_blocks = spot_stats()->text_blocks;
	last_stats.texture_uploads = spot_stats()->texture_uploads;
	log_stats();
	text_engine_free(S.te);
	if (S.ren)
		SDL_DestroyRenderer(S.ren);
	if (S.win)
		SDL_DestroyWindow(S.win);
	IMG_Quit();
	TTF_Quit();
	SDL_Quit();
	config_free(S.cfg);
	atomic_store(&req_quit, 0);
	atomic_store(&req_reload, 0);
	return rc;
}

screen_stats_t screen_stats(void)
{
	return last_stats;
}
