/*
 * spot: resolve, lay out, load, build and draw one post.  See spot.h.
 *
 * A built card is a list of textured pieces and filled rectangles at fixed
 * places on the logical canvas; drawing it is a few RenderCopy calls, and
 * text is never rasterised per frame.  Only the relative time is
 * re-rendered, once a minute, and only when its words change.  Every piece
 * is flattened onto the colour under it and uploaded without alpha, so with
 * the software renderer a frame copies instead of blending, and a fading
 * card is one picture with one alpha (fade.h, docs/performance.md).
 */
#include "spot.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../base/log.h"
#include "../base/xmalloc.h"
#include "../layout/timefmt.h"
#include "../playlist/playlist.h"
#include "draw.h"

#define MAX_PIECES 16

typedef enum { P_AVATAR, P_NAME, P_ROLE, P_META, P_BOOST, P_CW, P_TEXT, P_MEDIA, P_CAPTION } part_t;

typedef struct {
	part_t part;
	SDL_Texture *tex;        /* opaque (RGB888): flattened onto what it sits on */
	SDL_Rect dst;
} piece_t;

typedef struct {
	SDL_Rect r;
	SDL_Color c;
} fill_t;

typedef struct {
	char *shortcode;
	uint64_t job;
	SDL_Surface *surface;
	bool done;
} cemoji_t;

struct spot {
	post_t *post;
	char *name, *role, *handle, *booster;
	char *text;              /* what the text region shows */
	bool text_is_post;       /* spans apply */
	char *caption;
	bool media_hidden;
	const media_t *media;    /* in post, or NULL */
	const char *media_file;  /* the file to load (media or link card image) */
	float fx, fy;
	unsigned flags;
	layout_card_t lay;

	uint64_t job_avatar, job_media;
	SDL_Surface *avatar_surf, *media_surf;
	bool avatar_done, media_done;
	cemoji_t *emoji;
	size_t n_emoji;

	piece_t pieces[MAX_PIECES];
	size_t n_pieces;
	fill_t fills[4];
	size_t n_fills;
	char time_str[96];
	bool built, initials;
	int missing;
	long chars;
};

static spot_stats_t stats;

const spot_stats_t *spot_stats(void)
{
	return &stats;
}

SDL_Texture *spot_upload(SDL_Renderer *ren, SDL_Surface *s)
{
	if (!s || !ren)
		return NULL;
	SDL_Texture *t = SDL_CreateTextureFromSurface(ren, s);
	stats.texture_uploads++;
	if (!t) {
		log_event("render-upload", LOG_LVL_WARN, "render", "texture upload failed: %s", SDL_GetError());
		return NULL;
	}
	SDL_SetTextureBlendMode(t, SDL_BLENDMODE_BLEND);
	return t;
}

/* An opaque surface (ARGB8888, every alpha 255) as a texture without an
 * alpha channel: drawn at full opacity it is a plain copy, faded a blend
 * with one constant alpha, the two fast paths of the software renderer. */
static SDL_Texture *upload_opaque(SDL_Renderer *ren, SDL_Surface *s)
{
	if (!s || !ren)
		return NULL;
	SDL_Texture *t = SDL_CreateTexture(ren, SDL_PIXELFORMAT_RGB888, SDL_TEXTUREACCESS_STATIC, s->w, s->h);
	stats.texture_uploads++;
	if (t && SDL_UpdateTexture(t, NULL, s->pixels, s->pitch) != 0) {
		SDL_DestroyTexture(t);
		t = NULL;
	}
	if (!t) {
		log_event("render-upload", LOG_LVL_WARN, "render", "texture upload failed: %s", SDL_GetError());
		return NULL;
	}
	return t;
}

/* A file name from the cache or the feed must be a plain name. */
static bool safe_name(const char *f)
{
	return f && *f && f[0] != '.' && !strchr(f, '/') && strlen(f) < 240;
}

static char *media_path(const spot_env_t *env, const char *file)
{
	if (!env->media_dir || !safe_name(file))
		return NULL;
	return xasprintf("%s/%s", env->media_dir, file);
}

static long utf8_chars(const char *s)
{
	long n = 0;
	for (; s && *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static bool blank(const char *s)
{
	for (; s && *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

static void submit(spot_t *c, const spot_env_t *env, uint64_t *job, const char *path,
                   load_mode_t mode, int w, int h, float fx, float fy, SDL_Surface **surf, bool *done)
{
	if (!path) {
		*done = true;
		return;
	}
	if (env->loader) {
		*job = loader_submit(env->loader, path, mode, w, h, fx, fy);
		return;
	}
	load_result_t r;
	loader_run(path, mode, w, h, fx, fy, &r);
	if (!r.surface)
		log_event(r.error ? r.error : "render-image", LOG_LVL_WARN, "render", "image not shown: %s",
		          r.error ? r.error : "?"); /* once per picture, not per showing */
	*surf = r.surface;
	free(r.error);
	*done = true;
	(void)c;
}

spot_t *spot_new(const spot_env_t *env, const post_t *post)
{
	spot_t *c = xcalloc(1, sizeof *c);
	c->post = post_clone(post);
	const post_t *p = c->post;
	const config_person_t *person = env->cfg ? config_person(env->cfg, p->person) : NULL;
	const char *name = person && person->name ? person->name : p->author.name;
	c->name = xstrdup(name && *name ? name : (p->author.handle ? p->author.handle : "?"));
	c->role = xstrdup(person ? person->role : NULL);
	c->handle = xstrdup(p->author.handle);
	if (p->booster)
		c->booster = xstrdup(p->booster->name && *p->booster->name ? p->booster->name
		                                                           : p->booster->handle);
	bool show_sensitive = env->cfg && env->cfg->display.show_sensitive_media;

	/* The first image, or the link card's picture. */
	for (size_t i = 0; i < p->n_media && !c->media; i++) {
		const media_t *m = &p->media[i];
		if (m->kind != MEDIA_AUDIO && m->file)
			c->media = m;
	}
	c->media_hidden = (p->cw || p->sensitive) && !show_sensitive &&
	                  (c->media || (p->card && p->card->image_file));
	if (!c->media_hidden) {
		if (c->media) {
			c->media_file = c->media->file;
			c->fx = c->media->focus_x;
			c->fy = c->media->focus_y;
			if (c->media->alt && !blank(c->media->alt))
				c->caption = xstrdup(c->media->alt);
		} else if (p->card && p->card->image_file) {
			c->media_file = p->card->image_file;
			if (p->card->title && !blank(p->card->title))
				c->caption = xstrdup(p->card->title);
		}
	}
	if (!blank(p->text)) {
		c->text = xstrdup(p->text);
		c->text_is_post = true;
	} else if (p->card && p->card->title && !blank(p->card->title) && !c->caption) {
		c->text = xstrdup(p->card->title);
	}
	c->chars = utf8_chars(c->text) + utf8_chars(p->cw) + utf8_chars(c->caption);

	char *mpath = c->media_file ? media_path(env, c->media_file) : NULL;
	c->flags = (mpath ? LAYOUT_MEDIA : 0) | (mpath && c->caption ? LAYOUT_CAPTION : 0) |
	           (c->booster ? LAYOUT_BOOST : 0) | (p->cw ? LAYOUT_CW : 0);
	layout_card(env->w, env->h, c->flags, &c->lay);

	/* Images: photo from the configuration first, then the cached avatar. */
	char *apath = NULL;
	if (person && person->photo && *person->photo)
		apath = xstrdup(person->photo);
	else if (p->author.avatar_file)
		apath = media_path(env, p->author.avatar_file);
	submit(c, env, &c->job_avatar, apath, LOAD_AVATAR, c->lay.avatar.w, c->lay.avatar.h, 0, 0,
	       &c->avatar_surf, &c->avatar_done);
	submit(c, env, &c->job_media, mpath, LOAD_MEDIA, c->lay.media.w, c->lay.media.h, c->fx, c->fy,
	       &c->media_surf, &c->media_done);
	free(apath);
	free(mpath);

	/* Custom emoji used in the text. */
	if (c->text_is_post) {
		int eh = c->lay.px_text_max * 2;
		for (size_t i = 0; i < p->n_spans; i++) {
			const span_t *s = &p->spans[i];
			if (s->kind != SPAN_EMOJI || !s->target)
				continue;
			bool seen = false;
			for (size_t k = 0; k < c->n_emoji && !seen; k++)
				seen = strcmp(c->emoji[k].shortcode, s->target) == 0;
			const emoji_t *e = NULL;
			for (size_t k = 0; k < p->n_emojis && !e; k++)
				if (p->emojis[k].shortcode && strcmp(p->emojis[k].shortcode, s->target) == 0)
					e = &p->emojis[k];
			char *epath = e ? media_path(env, e->file) : NULL;
			if (seen || !epath || c->n_emoji >= 32) {
				free(epath);
				continue;
			}
			c->emoji = xrealloc(c->emoji, (c->n_emoji + 1) * sizeof *c->emoji);
			cemoji_t *ce = &c->emoji[c->n_emoji++];
			memset(ce, 0, sizeof *ce);
			ce->shortcode = xstrdup(s->target);
			submit(c, env, &ce->job, epath, LOAD_FIT, eh, eh, 0, 0, &ce->surface, &ce->done);
			free(epath);
		}
	}
	return c;
}

bool spot_offer(spot_t *c, load_result_t *r)
{
	SDL_Surface **dst = NULL;
	bool *done = NULL;
	if (r->id == c->job_avatar && !c->avatar_done) {
		dst = &c->avatar_surf;
		done = &c->avatar_done;
	} else if (r->id == c->job_media && !c->media_done) {
		dst = &c->media_surf;
		done = &c->media_done;
	} else {
		for (size_t i = 0; i < c->n_emoji && !dst; i++)
			if (r->id == c->emoji[i].job && !c->emoji[i].done) {
				dst = &c->emoji[i].surface;
				done = &c->emoji[i].done;
			}
	}
	if (!dst)
		return false;
	if (!r->surface)
		log_event(r->error ? r->error : "render-image", LOG_LVL_WARN, "render", "image not shown: %s",
		          r->error ? r->error : "?");
	*dst = r->surface;
	*done = true;
	free(r->error);
	r->error = NULL;
	r->surface = NULL;
	return true;
}

bool spot_loading(const spot_t *c)
{
	if (!c->avatar_done || !c->media_done)
		return true;
	for (size_t i = 0; i < c->n_emoji; i++)
		if (!c->emoji[i].done)
			return true;
	return false;
}

bool spot_ready(const spot_t *c)
{
	return c->built;
}

static void add_piece(spot_t *c, part_t part, SDL_Texture *t, SDL_Rect dst)
{
	if (!t || c->n_pieces >= MAX_PIECES) {
		if (t)
			SDL_DestroyTexture(t);
		return;
	}
	c->pieces[c->n_pieces++] = (piece_t){ part, t, dst };
}

/* Every piece is flattened onto bg, the colour it always sits on, and kept
 * opaque: copied rather than blended (text is mostly transparent pixels, and
 * the software renderer would blend every one of them on every frame), and
 * a card fades as one picture (spot_draw()). */
static void add_flat_piece(spot_t *c, const spot_env_t *env, part_t part, SDL_Surface *s,
                           SDL_Color bg, SDL_Rect dst)
{
	draw_onto(s, bg);
	add_piece(c, part, upload_opaque(env->ren, s), dst);
}

static void drop_piece(spot_t *c, part_t part)
{
	for (size_t i = 0; i < c->n_pieces; i++)
		if (c->pieces[i].part == part) {
			SDL_DestroyTexture(c->pieces[i].tex);
			c->pieces[i] = c->pieces[--c->n_pieces];
			return;
		}
}

static text_style_t base_style(const spot_env_t *env, SDL_Color fg, int min_px, int max_px,
                               lrect_t box, int max_lines)
{
	const theme_t *th = env->theme;
	return (text_style_t){ .fg = fg, .link = th->link, .mention = th->mention, .hashtag = th->hashtag,
		               .min_px = min_px, .max_px = max_px, .max_w = box.w, .max_h = box.h,
		               .max_lines = max_lines,
		               .lang = env->cfg ? env->cfg->display.language : "nl" };
}

/* Render text into box: left aligned (right for RTL), vertically centred
 * when center_v.  Returns the rectangle used. */
static SDL_Rect put_text(spot_t *c, const spot_env_t *env, part_t part, const char *s,
                         const text_style_t *st, lrect_t box, bool center_v)
{
	text_block_t b;
	text_render(env->te, s, st, &b);
	c->missing += b.missing;
	SDL_Rect dst = { 0, 0, 0, 0 };
	if (!b.surface)
		return dst;
	stats.text_blocks++;
	dst = (SDL_Rect){ b.rtl ? box.x + box.w - b.w : box.x, box.y, b.w, b.h };
	/* The post text sits a little above the middle (optical centre). */
	if (center_v && b.h < box.h)
		dst.y = box.y + (box.h - b.h) / (part == P_TEXT ? 3 : 2);
	add_flat_piece(c, env, part, b.surface, part == P_CW ? env->theme->cw_bg : env->theme->panel,
	               dst);
	SDL_FreeSurface(b.surface);
	return dst;
}

/* Network colour and letter for the badge. */
static void badge_style(network_t n, SDL_Color *col, const char **letter)
{
	switch (n) {
	case NET_MASTODON: *col = (SDL_Color){ 0x63, 0x64, 0xFF, 255 }; *letter = "M"; break;
	case NET_BLUESKY: *col = (SDL_Color){ 0x11, 0x85, 0xFE, 255 }; *letter = "B"; break;
	case NET_RSS: *col = (SDL_Color){ 0xF2, 0x65, 0x22, 255 }; *letter = "R"; break;
	case NET_X: *col = (SDL_Color){ 0x20, 0x20, 0x20, 255 }; *letter = "X"; break;
	case NET_FACEBOOK: *col = (SDL_Color){ 0x18, 0x77, 0xF2, 255 }; *letter = "f"; break;
	case NET_LINKEDIN: *col = (SDL_Color){ 0x0A, 0x66, 0xC2, 255 }; *letter = "in"; break;
	case NET_NOTICE: *col = (SDL_Color){ 0x2E, 0x8B, 0x57, 255 }; *letter = "i"; break;
	default: *col = (SDL_Color){ 0x80, 0x80, 0x80, 255 }; *letter = "V"; break;
	}
}

SDL_Surface *spot_badge(text_engine_t *te, network_t n, int d)
{
	SDL_Color col;
	const char *letter;
	badge_style(n, &col, &letter);
	SDL_Surface *s = draw_surface(d, d);
	if (!s)
		return NULL;
	draw_fill_circle(s, d / 2.0, d / 2.0, d / 2.0, col);
	text_style_t st = { .fg = { 255, 255, 255, 255 }, .bold = true, .min_px = d * 4 / 10,
		            .max_px = d * 6 / 10, .max_w = d * 9 / 10, .max_h = d, .max_lines = 1,
		            .align = TEXT_ALIGN_CENTER };
	text_block_t b;
	text_render(te, letter, &st, &b);
	if (b.surface) {
		draw_over(s, b.surface, (d - b.w) / 2, (d - b.h) / 2, 255);
		SDL_FreeSurface(b.surface);
	}
	return s;
}

static void initials_of(const char *name, char *out, size_t n)
{
	/* First character of the first and of the last word. */
	const char *words[2] = { NULL, NULL };
	const char *p = name;
	while (*p) {
		while (*p && (isspace((unsigned char)*p) || *p == '@' || *p == '.'))
			p++;
		if (!*p)
			break;
		if (!words[0])
			words[0] = p;
		else
			words[1] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
	}
	size_t o = 0;
	for (int w = 0; w < 2; w++) {
		if (!words[w])
			continue;
		const unsigned char *u = (const unsigned char *)words[w];
		size_t len = *u < 0x80 ? 1 : *u < 0xE0 ? 2 : *u < 0xF0 ? 3 : 4;
		if (o + len + 1 > n)
			break;
		for (size_t k = 0; k < len && u[k]; k++)
			out[o++] = (char)(k == 0 && len == 1 ? toupper(u[0]) : u[k]);
	}
	out[o] = '\0';
}

static SDL_Surface *initials_disc(const spot_env_t *env, const char *name, int d)
{
	static const SDL_Color palette[] = {
		{ 0x3B, 0x6E, 0xA5, 255 }, { 0x2E, 0x8B, 0x57, 255 }, { 0x8E, 0x44, 0xAD, 255 },
		{ 0xC0, 0x58, 0x2F, 255 }, { 0x16, 0x7D, 0x7F, 255 }, { 0xA0, 0x3A, 0x5E, 255 },
	};
	unsigned h = 5381;
	for (const char *p = name; *p; p++)
		h = h * 33 + (unsigned char)*p;
	SDL_Surface *s = draw_surface(d, d);
	if (!s)
		return NULL;
	draw_fill_circle(s, d / 2.0, d / 2.0, d / 2.0, palette[h % (sizeof palette / sizeof *palette)]);
	char ini[16];
	initials_of(name, ini, sizeof ini);
	text_style_t st = { .fg = { 255, 255, 255, 255 }, .bold = true, .min_px = d / 5,
		            .max_px = d * 2 / 5, .max_w = d * 8 / 10, .max_h = d, .max_lines = 1,
		            .align = TEXT_ALIGN_CENTER };
	text_block_t b;
	text_render(env->te, ini, &st, &b);
	if (b.surface) {
		draw_over(s, b.surface, (d - b.w) / 2, (d - b.h) / 2, 255);
		SDL_FreeSurface(b.surface);
	}
	return s;
}

static void build_meta(spot_t *c, const spot_env_t *env)
{
	const post_t *p = c->post;
	const char *lang = env->cfg ? env->cfg->display.language : "nl";
	char when[64];
	if (p->created > 0)
		timefmt_relative(p->created, env->now, env->clock_good, lang, when, sizeof when);
	else
		when[0] = '\0';
	char *line;
	if (c->handle && *c->handle && *when)
		line = xasprintf("%s \xc2\xb7 %s", c->handle, when);
	else
		line = xstrdup(c->handle && *c->handle ? c->handle : when);
	snprintf(c->time_str, sizeof c->time_str, "%s", when);

	lrect_t box = c->lay.meta;
	int d = c->lay.px_meta * 5 / 4;
	int gap = d / 3;
	SDL_Surface *badge = spot_badge(env->te, p->network, d);
	lrect_t tbox = { box.x + d + gap, box.y, box.w - d - gap, box.h };
	text_style_t st = base_style(env, env->theme->muted, c->lay.px_meta * 4 / 5, c->lay.px_meta,
	                             tbox, 1);
	text_block_t b;
	text_render(env->te, line, &st, &b);
	c->missing += b.missing;
	free(line);
	int h = b.h > d ? b.h : d;
	SDL_Surface *s = draw_surface(d + gap + b.w, h);
	if (s && badge)
		draw_over(s, badge, 0, (h - d) / 2, 255);
	if (s && b.surface)
		draw_over(s, b.surface, d + gap, (h - b.h) / 2, 255);
	SDL_Rect dst = { box.x, box.y + (box.h - h) / 2, s ? s->w : 0, h };
	if (s)
		add_flat_piece(c, env, P_META, s, env->theme->panel, dst);
	SDL_FreeSurface(s);
	SDL_FreeSurface(badge);
	SDL_FreeSurface(b.surface);
	stats.text_blocks++;
}

void spot_build(spot_t *c, const spot_env_t *env)
{
	if (c->built || spot_loading(c))
		return;
	const theme_t *th = env->theme;
	const char *lang = env->cfg ? env->cfg->display.language : "nl";
	bool en = timefmt_is_english(lang);
	if (c->media_file && !c->media_surf && (c->flags & LAYOUT_MEDIA)) {
		/* Broken image: the text takes its place. */
		c->flags &= ~(unsigned)(LAYOUT_MEDIA | LAYOUT_CAPTION);
		layout_card(env->w, env->h, c->flags, &c->lay);
	}
	layout_card_t *L = &c->lay;
	c->missing = 0;
	if (!c->role || !*c->role) {
		/* No role: name and meta close up around the middle. */
		L->name.y += L->role.h / 2;
		L->meta.y -= L->role.h / 2;
		L->role.h = 0;
	}

	/* Avatar */
	SDL_Surface *av = c->avatar_surf;
	c->initials = !av;
	if (!av)
		av = initials_disc(env, c->name, L->avatar.w);
	if (av)
		add_flat_piece(c, env, P_AVATAR, av, th->panel,
		               (SDL_Rect){ L->avatar.x, L->avatar.y, L->avatar.w, L->avatar.h });
	if (av != c->avatar_surf)
		SDL_FreeSurface(av);

	/* Header */
	text_style_t st = base_style(env, th->text, L->px_name * 3 / 4, L->px_name, L->name, 1);
	st.bold = true;
	put_text(c, env, P_NAME, c->name, &st, L->name, true);
	if (c->role && *c->role) {
		st = base_style(env, th->muted, L->px_role * 3 / 4, L->px_role, L->role, 1);
		put_text(c, env, P_ROLE, c->role, &st, L->role, true);
	}
	build_meta(c, env);
	if (c->booster) {
		char *b = xasprintf("\xf0\x9f\x94\x81 %s %s", en ? "boosted by" : "gedeeld door", c->booster);
		st = base_style(env, th->muted, L->px_boost * 3 / 4, L->px_boost, L->boost, 1);
		put_text(c, env, P_BOOST, b, &st, L->boost, true);
		free(b);
	}
	if (c->post->cw) {
		c->fills[c->n_fills++] = (fill_t){ { L->cw.x, L->cw.y, L->cw.w, L->cw.h }, th->cw_bg };
		int inset = L->pad / 2;
		lrect_t in = { L->cw.x + inset, L->cw.y + inset / 2, L->cw.w - 2 * inset, L->cw.h - inset };
		char *w = xasprintf("\xe2\x9a\xa0\xef\xb8\x8f %s%s", c->post->cw,
		                    c->media_hidden ? (en ? " \xc2\xb7 image hidden" : " \xc2\xb7 afbeelding verborgen") : "");
		st = base_style(env, th->cw_text, L->px_cw * 3 / 4, L->px_cw, in, 2);
		st.bold = true;
		put_text(c, env, P_CW, w, &st, in, true);
		free(w);
	}

	/* Body */
	if (c->text) {
		text_image_t imgs[32];
		size_t ni = 0;
		for (size_t i = 0; i < c->n_emoji && ni < 32; i++)
			if (c->emoji[i].surface)
				imgs[ni++] = (text_image_t){ c->emoji[i].shortcode, c->emoji[i].surface };
		st = base_style(env, th->text, L->px_text_min, L->px_text_max, L->text, 0);
		if (c->text_is_post) {
			st.spans = c->post->spans;
			st.n_spans = c->post->n_spans;
			st.images = imgs;
			st.n_images = ni;
		}
		/* A short post stands in the middle of its box, not at the top. */
		put_text(c, env, P_TEXT, c->text, &st, L->text, !(c->flags & LAYOUT_MEDIA));
	}
	if (c->media_surf && (c->flags & LAYOUT_MEDIA)) {
		SDL_Surface *m = c->media_surf;
		SDL_Rect dst = { L->media.x + (L->media.w - m->w) / 2, L->media.y + (L->media.h - m->h) / 2,
			         m->w, m->h };
		/* a picture with transparent parts shows them on the placeholder */
		add_flat_piece(c, env, P_MEDIA, m, th->placeholder, dst);
		if (c->caption && (c->flags & LAYOUT_CAPTION)) {
			lrect_t cap = L->caption;
			if (m->w < cap.w) { /* under the image, as wide as the image */
				cap.x = dst.x;
				cap.w = m->w > cap.w / 2 ? m->w : cap.w;
				if (cap.x + cap.w > L->caption.x + L->caption.w)
					cap.x = L->caption.x + L->caption.w - cap.w;
			}
			st = base_style(env, th->muted, L->px_caption_min, L->px_caption_max, cap, 3);
			put_text(c, env, P_CAPTION, c->caption, &st, cap, false);
		}
	}
	SDL_FreeSurface(c->media_surf);
	c->media_surf = NULL;
	SDL_FreeSurface(c->avatar_surf);
	c->avatar_surf = NULL;
	for (size_t i = 0; i < c->n_emoji; i++) {
		SDL_FreeSurface(c->emoji[i].surface);
		c->emoji[i].surface = NULL;
	}
	c->built = true;
	stats.cards_built++;
}

void spot_set_time(spot_t *c, const spot_env_t *env)
{
	if (!c->built || c->post->created <= 0)
		return;
	char when[64];
	timefmt_relative(c->post->created, env->now, env->clock_good,
	                 env->cfg ? env->cfg->display.language : "nl", when, sizeof when);
	if (strcmp(when, c->time_str) == 0)
		return;
	drop_piece(c, P_META);
	build_meta(c, env);
}

/* The card's disjoint regions: every piece, and each fill less the pieces
 * on it.  -1 when more than max. */
int spot_regions(const spot_t *c, SDL_Rect *out, int max)
{
	int n = 0;
	SDL_Rect holes[MAX_PIECES];
	for (size_t i = 0; i < c->n_pieces; i++)
		holes[i] = c->pieces[i].dst;
	for (size_t i = 0; i < c->n_fills; i++) {
		int k = draw_rect_subtract(c->fills[i].r, holes, (int)c->n_pieces, out + n, max - n);
		if (k < 0)
			return -1;
		n += k;
	}
	for (size_t i = 0; i < c->n_pieces; i++) {
		if (n >= max)
			return -1;
		out[n++] = c->pieces[i].dst;
	}
	return n;
}

/* At full opacity everything is copied.  Fading, the card is drawn as one
 * picture with one alpha: the parts of a fill under a piece are left out,
 * so no pixel is blended twice (the pieces are opaque). */
void spot_draw(const spot_t *c, SDL_Renderer *ren, int dx, int dy, uint8_t alpha)
{
	if (!c || !c->built || alpha == 0)
		return;
	SDL_Rect holes[MAX_PIECES], parts[64];
	for (size_t i = 0; i < c->n_pieces; i++)
		holes[i] = c->pieces[i].dst;
	for (size_t i = 0; i < c->n_fills; i++) {
		const fill_t *f = &c->fills[i];
		uint8_t a = (uint8_t)(f->c.a * alpha / 255);
		SDL_SetRenderDrawBlendMode(ren, a == 255 ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND);
		SDL_SetRenderDrawColor(ren, f->c.r, f->c.g, f->c.b, a);
		int n = alpha == 255 ? -1 : draw_rect_subtract(f->r, holes, (int)c->n_pieces, parts, 64);
		if (n < 0) { /* at full opacity, or too many parts: all of it */
			n = 1;
			parts[0] = f->r;
		}
		for (int k = 0; k < n; k++) {
			SDL_Rect r = { parts[k].x + dx, parts[k].y + dy, parts[k].w, parts[k].h };
			SDL_RenderFillRect(ren, &r);
		}
	}
	for (size_t i = 0; i < c->n_pieces; i++) {
		const piece_t *p = &c->pieces[i];
		SDL_SetTextureBlendMode(p->tex, alpha == 255 ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND);
		SDL_SetTextureAlphaMod(p->tex, alpha);
		SDL_Rect r = { p->dst.x + dx, p->dst.y + dy, p->dst.w, p->dst.h };
		SDL_RenderCopy(ren, p->tex, NULL, &r);
	}
	SDL_SetRenderDrawBlendMode(ren, SDL_BLENDMODE_BLEND);
}

static SDL_Rect drawn(const spot_t *c, part_t part)
{
	for (size_t i = 0; i < c->n_pieces; i++)
		if (c->pieces[i].part == part)
			return c->pieces[i].dst;
	return (SDL_Rect){ 0, 0, 0, 0 };
}

SDL_Rect spot_drawn_text(const spot_t *c)
{
	return drawn(c, P_TEXT);
}

SDL_Rect spot_drawn_avatar(const spot_t *c)
{
	return drawn(c, P_AVATAR);
}

SDL_Rect spot_drawn_media(const spot_t *c)
{
	return drawn(c, P_MEDIA);
}

const char *spot_key(const spot_t *c)
{
	return c->post->key;
}

const layout_card_t *spot_layout(const spot_t *c)
{
	return &c->lay;
}

int64_t spot_dwell_ms(const spot_t *c, const config_display_t *d)
{
	return playlist_dwell_ms(c->chars, d->chars_per_second, d->dwell_min_s, d->dwell_max_s);
}

int spot_missing_glyphs(const spot_t *c)
{
	return c->missing;
}

bool spot_avatar_is_initials(const spot_t *c)
{
	return c->initials;
}

bool spot_has_media(const spot_t *c)
{
	return drawn(c, P_MEDIA).w > 0;
}

void spot_free(spot_t *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_pieces; i++)
		SDL_DestroyTexture(c->pieces[i].tex);
	SDL_FreeSurface(c->avatar_surf);
	SDL_FreeSurface(c->media_surf);
	for (size_t i = 0; i < c->n_emoji; i++) {
		SDL_FreeSurface(c->emoji[i].surface);
		free(c->emoji[i].shortcode);
	}
	free(c->emoji);
	free(c->name);
	free(c->role);
	free(c->handle);
	free(c->booster);
	free(c->text);
	free(c->caption);
	post_free(c->post);
	free(c);
}
