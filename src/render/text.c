/*
 * text: font chain, clusters, bidi, wrapping and rasterisation.  See text.h
 * for the pipeline; this file follows it top to bottom.
 */
#include "text.h"

#include <SDL_ttf.h>
#include <dirent.h>
#include <fribidi.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/log.h"
#include "../base/xmalloc.h"
#include "../layout/wrap.h"
#include "draw.h"

#define MAX_FACES 40
/* Open fonts kept (LRU).  Each costs 200-300 KB (FreeType face, HarfBuzz
 * tables, glyph cache) and the shrink-to-fit search opens many sizes, so 40
 * grew the heap by several MiB; with 12 a card reopens a few (about 1 ms
 * each), docs/performance.md. */
#define FONT_CACHE 12
#define PROBE_PX 16

enum { FACE_EMOJI = -1, FACE_IMAGE = -2, FACE_ELLIPSIS = -3 };
enum { COL_FG, COL_LINK, COL_MENTION, COL_HASHTAG };

/* System fonts, in order, after display.font and <assets>/fonts/.  Bold
 * variants are found by replacing "-Regular" with "-Bold". */
static const char *const system_fonts[] = {
	"/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
	"/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf",
	"/usr/share/fonts/truetype/noto/NotoSansHebrew-Regular.ttf",
	"/usr/share/fonts/truetype/noto/NotoSansArmenian-Regular.ttf",
	"/usr/share/fonts/truetype/noto/NotoSansGeorgian-Regular.ttf",
	"/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf",
	"/usr/share/fonts/truetype/noto/NotoSansBengali-Regular.ttf",
	"/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf",
	"/usr/share/fonts/truetype/noto/NotoSansEthiopic-Regular.ttf",
	"/usr/share/fonts/truetype/noto/NotoSansTamil-Regular.ttf",
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/truetype/noto/NotoSansSymbols-Regular.ttf",
	"/usr/share/fonts/truetype/noto/NotoSansSymbols2-Regular.ttf",
	"/usr/share/fonts/truetype/noto/NotoSansMath-Regular.ttf",
	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
};
static const char *const emoji_font = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf";

typedef struct {
	char *path, *bold_path;  /* bold_path NULL: synthesise with TTF_STYLE_BOLD */
	TTF_Font *probe;         /* for TTF_GlyphIsProvided32 only */
	bool broken;             /* could not be opened */
} face_t;

typedef struct {
	int face, px;
	bool bold;
	TTF_Font *font;
	uint64_t used;
} cached_font_t;

struct text_engine {
	face_t faces[MAX_FACES];
	size_t n_faces;
	TTF_Font *emoji;         /* NULL when missing */
	int emoji_ascent, emoji_height;
	cached_font_t cache[FONT_CACHE];
	uint64_t tick;
	text_stats_t stats;
};

/* ---- font chain ---------------------------------------------------------- */

static bool readable(const char *path)
{
	return path && *path && access(path, R_OK) == 0;
}

static void add_face(text_engine_t *te, const char *path)
{
	if (te->n_faces >= MAX_FACES || !readable(path))
		return;
	for (size_t i = 0; i < te->n_faces; i++)
		if (strcmp(te->faces[i].path, path) == 0)
			return;
	face_t *f = &te->faces[te->n_faces++];
	memset(f, 0, sizeof *f);
	f->path = xstrdup(path);
	const char *reg = strstr(path, "-Regular.");
	if (reg) {
		char *b = xasprintf("%.*s-Bold.%s", (int)(reg - path), path, reg + strlen("-Regular."));
		if (readable(b))
			f->bold_path = b;
		else
			free(b);
	} else if (strstr(path, "DejaVuSans.ttf")) {
		const char *at = strstr(path, "DejaVuSans.ttf");
		char *b = xasprintf("%.*sDejaVuSans-Bold.ttf", (int)(at - path), path);
		if (readable(b))
			f->bold_path = b;
		else
			free(b);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_assets_fonts(text_engine_t *te, const char *assets_dir)
{
	if (!assets_dir)
		return;
	char *dir = xasprintf("%s/fonts", assets_dir);
	DIR *d = opendir(dir);
	if (!d) {
		free(dir);
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l < 5)
			continue;
		const char *ext = e->d_name + l - 4;
		if (strcasecmp(ext, ".ttf") && strcasecmp(ext, ".otf"))
			continue;
		XGROW(names, cap, n + 1);
		names[n++] = xasprintf("%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		/* A Bold file belongs to its regular face. */
		if (!strstr(names[i], "-Bold."))
			add_face(te, names[i]);
		free(names[i]);
	}
	free(names);
	free(dir);
}

text_engine_t *text_engine_new(const char *main_font, const char *assets_dir)
{
	text_engine_t *te = xcalloc(1, sizeof *te);
	if (main_font && !readable(main_font))
		log_warn("text", "display.font %s cannot be read; using the built-in fonts", main_font);
	add_face(te, main_font);
	add_assets_fonts(te, assets_dir);
	for (size_t i = 0; i < sizeof system_fonts / sizeof *system_fonts; i++)
		add_face(te, system_fonts[i]);
	if (te->n_faces == 0) {
		log_err("text", "no font found (install fonts-noto-core or fonts-dejavu-core, or set display.font)");
		free(te);
		return NULL;
	}
	if (readable(emoji_font)) {
		/* A bitmap font: "size" 0 selects its only strike (109 px). */
		te->emoji = TTF_OpenFont(emoji_font, 0);
		te->stats.fonts_opened++;
		if (te->emoji) {
			te->emoji_ascent = TTF_FontAscent(te->emoji);
			te->emoji_height = TTF_FontHeight(te->emoji);
			if (te->emoji_height <= 0)
				te->emoji_height = 128;
		} else {
			log_warn("text", "colour emoji font %s: %s", emoji_font, TTF_GetError());
		}
	} else {
		log_info("text", "no colour emoji font (install fonts-noto-color-emoji)");
	}
	return te;
}

void text_engine_free(text_engine_t *te)
{
	if (!te)
		return;
	for (size_t i = 0; i < FONT_CACHE; i++)
		if (te->cache[i].font)
			TTF_CloseFont(te->cache[i].font);
	for (size_t i = 0; i < te->n_faces; i++) {
		if (te->faces[i].probe)
			TTF_CloseFont(te->faces[i].probe);
		free(te->faces[i].path);
		free(te->faces[i].bold_path);
	}
	if (te->emoji)
		TTF_CloseFont(te->emoji);
	free(te);
}

const text_stats_t *text_stats(const text_engine_t *te)
{
	return &te->stats;
}

const char *text_font_path(const text_engine_t *te, size_t i)
{
	return i < te->n_faces ? te->faces[i].path : NULL;
}

static bool face_provides(text_engine_t *te, int face, uint32_t cp)
{
	face_t *f = &te->faces[face];
	if (f->broken)
		return false;
	if (!f->probe) {
		f->probe = TTF_OpenFont(f->path, PROBE_PX);
		te->stats.fonts_opened++;
		if (!f->probe) {
			log_warn("text", "font %s: %s; skipped", f->path, TTF_GetError());
			f->broken = true;
			return false;
		}
	}
	return TTF_GlyphIsProvided32(f->probe, cp) != 0;
}

/* The font for face at px (cached, LRU).  NULL when no font opens. */
static TTF_Font *get_font(text_engine_t *te, int face, int px, bool bold)
{
	if (px < 1)
		px = 1;
	te->tick++;
	for (size_t i = 0; i < FONT_CACHE; i++) {
		cached_font_t *c = &te->cache[i];
		if (c->font && c->face == face && c->px == px && c->bold == bold) {
			c->used = te->tick;
			return c->font;
		}
	}
	face_t *f = &te->faces[face];
	if (f->broken)
		return face == 0 ? NULL : get_font(te, 0, px, bold);
	const char *path = bold && f->bold_path ? f->bold_path : f->path;
	TTF_Font *font = TTF_OpenFont(path, px);
	te->stats.fonts_opened++;
	if (!font) {
		log_warn("text", "font %s: %s; skipped", path, TTF_GetError());
		f->broken = true;
		return face == 0 ? NULL : get_font(te, 0, px, bold);
	}
	if (bold && !f->bold_path)
		TTF_SetFontStyle(font, TTF_STYLE_BOLD);
	size_t victim = 0;
	for (size_t i = 0; i < FONT_CACHE; i++) {
		if (!te->cache[i].font) {
			victim = i;
			break;
		}
		if (te->cache[i].used < te->cache[victim].used)
			victim = i;
	}
	if (te->cache[victim].font)
		TTF_CloseFont(te->cache[victim].font);
	te->cache[victim] = (cached_font_t){ face, px, bold, font, te->tick };
	return font;
}

/* ---- characters ---------------------------------------------------------- */

/* Decode one UTF-8 character at s[*i] (already sanitised). */
static uint32_t utf8_next(const char *s, size_t len, size_t *i)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c = u[*i];
	size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	if (*i + n > len)
		n = 1;
	if (n == 1) {
		(*i)++;
		return c;
	}
	c &= (uint32_t)(0xFF >> (n + 1));
	for (size_t k = 1; k < n; k++)
		c = (c << 6) | (u[*i + k] & 0x3F);
	*i += n;
	return c;
}

/* Length of a valid UTF-8 sequence at s (or 0). */
static size_t utf8_valid(const unsigned char *s, size_t left)
{
	unsigned c = s[0];
	size_t n;
	uint32_t cp, min;
	if (c < 0x80)
		return 1;
	else if (c >= 0xC2 && c <= 0xDF)
		n = 2, cp = c & 0x1F, min = 0x80;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, cp = c & 0x0F, min = 0x800;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (n > left)
		return 0;
	for (size_t k = 1; k < n; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/* Copy of text with invalid bytes as '?' and control characters as spaces
 * (same length, so span offsets stay valid); trailing whitespace dropped. */
static char *sanitise(const char *text, size_t *len_out)
{
	size_t len = strlen(text);
	char *s = xstrndup(text, len);
	unsigned char *u = (unsigned char *)s;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_valid(u + i, len - i);
		if (n == 0) {
			u[i++] = '?';
			continue;
		}
		if (n == 1 && ((u[i] < 0x20 && u[i] != '\n') || u[i] == 0x7F))
			u[i] = ' ';
		else if (n == 2 && u[i] == 0xC2 && u[i + 1] < 0xA0) /* C1 controls */
			u[i] = ' ', u[i + 1] = ' ';
		i += n;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\n'))
		len--;
	s[len] = '\0';
	*len_out = len;
	return s;
}

typedef struct {
	uint32_t lo, hi;
} range_t;

static bool in_ranges(const range_t *r, size_t n, uint32_t c)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c < r[mid].lo)
			hi = mid;
		else if (c > r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* Emoji_Presentation=Yes (Unicode 15 emoji-data.txt), sorted. */
static const range_t emoji_presentation[] = {
	{ 0x231A, 0x231B },   { 0x23E9, 0x23EC },   { 0x23F0, 0x23F0 },   { 0x23F3, 0x23F3 },
	{ 0x25FD, 0x25FE },   { 0x2614, 0x2615 },   { 0x2648, 0x2653 },   { 0x267F, 0x267F },
	{ 0x2693, 0x2693 },   { 0x26A1, 0x26A1 },   { 0x26AA, 0x26AB },   { 0x26BD, 0x26BE },
	{ 0x26C4, 0x26C5 },   { 0x26CE, 0x26CE },   { 0x26D4, 0x26D4 },   { 0x26EA, 0x26EA },
	{ 0x26F2, 0x26F3 },   { 0x26F5, 0x26F5 },   { 0x26FA, 0x26FA },   { 0x26FD, 0x26FD },
	{ 0x2705, 0x2705 },   { 0x270A, 0x270B },   { 0x2728, 0x2728 },   { 0x274C, 0x274C },
	{ 0x274E, 0x274E },   { 0x2753, 0x2755 },   { 0x2757, 0x2757 },   { 0x2795, 0x2797 },
	{ 0x27B0, 0x27B0 },   { 0x27BF, 0x27BF },   { 0x2B1B, 0x2B1C },   { 0x2B50, 0x2B50 },
	{ 0x2B55, 0x2B55 },   { 0x1F004, 0x1F004 }, { 0x1F0CF, 0x1F0CF }, { 0x1F18E, 0x1F18E },
	{ 0x1F191, 0x1F19A }, { 0x1F1E6, 0x1F1FF }, { 0x1F201, 0x1F201 }, { 0x1F21A, 0x1F21A },
	{ 0x1F22F, 0x1F22F }, { 0x1F232, 0x1F236 }, { 0x1F238, 0x1F23A }, { 0x1F250, 0x1F251 },
	{ 0x1F300, 0x1F320 }, { 0x1F32D, 0x1F335 }, { 0x1F337, 0x1F37C }, { 0x1F37E, 0x1F393 },
	{ 0x1F3A0, 0x1F3CA }, { 0x1F3CF, 0x1F3D3 }, { 0x1F3E0, 0x1F3F0 }, { 0x1F3F4, 0x1F3F4 },
	{ 0x1F3F8, 0x1F43E }, { 0x1F440, 0x1F440 }, { 0x1F442, 0x1F4FC }, { 0x1F4FF, 0x1F53D },
	{ 0x1F54B, 0x1F54E }, { 0x1F550, 0x1F567 }, { 0x1F57A, 0x1F57A }, { 0x1F595, 0x1F596 },
	{ 0x1F5A4, 0x1F5A4 }, { 0x1F5FB, 0x1F64F }, { 0x1F680, 0x1F6C5 }, { 0x1F6CC, 0x1F6CC },
	{ 0x1F6D0, 0x1F6D2 }, { 0x1F6D5, 0x1F6D7 }, { 0x1F6DC, 0x1F6DF }, { 0x1F6EB, 0x1F6EC },
	{ 0x1F6F4, 0x1F6FC }, { 0x1F7E0, 0x1F7EB }, { 0x1F7F0, 0x1F7F0 }, { 0x1F90C, 0x1F93A },
	{ 0x1F93C, 0x1F945 }, { 0x1F947, 0x1F9FF }, { 0x1FA70, 0x1FA7C }, { 0x1FA80, 0x1FA88 },
	{ 0x1FA90, 0x1FABD }, { 0x1FABF, 0x1FAC5 }, { 0x1FACE, 0x1FADB }, { 0x1FAE0, 0x1FAE8 },
	{ 0x1FAF0, 0x1FAF8 },
};

/* Default_Ignorable_Code_Point (main ranges): never "missing". */
static const range_t ignorable[] = {
	{ 0x00AD, 0x00AD }, { 0x034F, 0x034F }, { 0x061C, 0x061C },   { 0x115F, 0x1160 },
	{ 0x17B4, 0x17B5 }, { 0x180B, 0x180F }, { 0x200B, 0x200F },   { 0x202A, 0x202E },
	{ 0x2060, 0x206F }, { 0x3164, 0x3164 }, { 0xFE00, 0xFE0F },   { 0xFEFF, 0xFEFF },
	{ 0xFFA0, 0xFFA0 }, { 0xFFF0, 0xFFF8 }, { 0x1BCA0, 0x1BCA3 }, { 0x1D173, 0x1D17A },
	{ 0xE0000, 0xE0FFF },
};

#define N_OF(a) (sizeof a / sizeof *a)

static bool is_ignorable(uint32_t c)
{
	return in_ranges(ignorable, N_OF(ignorable), c);
}

static bool is_regional(uint32_t c)
{
	return c >= 0x1F1E6 && c <= 0x1F1FF;
}

static bool is_skin_tone(uint32_t c)
{
	return c >= 0x1F3FB && c <= 0x1F3FF;
}

/* Attaches to the character before it. */
static bool is_extender(uint32_t c)
{
	if (c == 0x200D || c == 0x20E3 || is_skin_tone(c) || (c >= 0xFE00 && c <= 0xFE0F) ||
	    (c >= 0xE0020 && c <= 0xE007F) || (c >= 0xE0100 && c <= 0xE01EF))
		return true;
	if ((c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
	    (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
	    (c >= 0xFE20 && c <= 0xFE2F))
		return true;
	return c >= 0x0300 && fribidi_get_bidi_type(c) == FRIBIDI_TYPE_NSM;
}

/* ISO 15924 tag for HarfBuzz, or NULL for characters common to scripts. */
static const char *script_of(uint32_t c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) ||
	    (c >= 0x1E00 && c <= 0x1EFF))
		return "Latn";
	if (c >= 0x0370 && c <= 0x03FF)
		return "Grek";
	if (c >= 0x1F00 && c <= 0x1FFF)
		return "Grek";
	if (c >= 0x0400 && c <= 0x052F)
		return "Cyrl";
	if (c >= 0x0530 && c <= 0x058F)
		return "Armn";
	if ((c >= 0x0590 && c <= 0x05FF) || (c >= 0xFB1D && c <= 0xFB4F))
		return "Hebr";
	if ((c >= 0x0600 && c <= 0x06FF && !(c >= 0x660 && c <= 0x669)) || (c >= 0x0750 && c <= 0x077F) ||
	    (c >= 0x08A0 && c <= 0x08FF) || (c >= 0xFB50 && c <= 0xFDFF) || (c >= 0xFE70 && c <= 0xFEFF))
		return "Arab";
	if (c >= 0x0900 && c <= 0x097F)
		return "Deva";
	if (c >= 0x0980 && c <= 0x09FF)
		return "Beng";
	if (c >= 0x0B80 && c <= 0x0BFF)
		return "Taml";
	if (c >= 0x0E00 && c <= 0x0E7F)
		return "Thai";
	if (c >= 0x10A0 && c <= 0x10FF)
		return "Geor";
	if (c >= 0x1200 && c <= 0x139F)
		return "Ethi";
	if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF))
		return "Hani";
	if (c >= 0x3040 && c <= 0x309F)
		return "Hira";
	if (c >= 0x30A0 && c <= 0x30FF)
		return "Kana";
	if (c >= 0xAC00 && c <= 0xD7AF)
		return "Hang";
	return NULL;
}

/* ---- runs ---------------------------------------------------------------- */

typedef struct {
	size_t start, end;  /* bytes */
	int face;           /* index, FACE_EMOJI, FACE_IMAGE or FACE_ELLIPSIS */
	int level;          /* bidi embedding level */
	const char *script;
	int color;
	int image;          /* index into st->images for FACE_IMAGE */
} run_t;

typedef struct {
	size_t start, end;
	bool rtl;
} para_t;

typedef struct {
	text_engine_t *te;
	const text_style_t *st;
	const char *text;
	size_t len;
	run_t *runs;
	size_t n_runs, cap_runs;
	para_t *paras;
	size_t n_paras, cap_paras;
	char *brk;
	bool bold;
	bool used_faces[MAX_FACES];
	bool used_emoji, used_image;
	int missing;
	char *scratch;
	size_t scratch_cap;
} lay_t;

static int color_at(const text_style_t *st, size_t off)
{
	for (size_t i = 0; i < st->n_spans; i++) {
		const span_t *s = &st->spans[i];
		if (off >= s->start && off < s->end) {
			switch (s->kind) {
			case SPAN_LINK: return COL_LINK;
			case SPAN_MENTION: return COL_MENTION;
			case SPAN_HASHTAG: return COL_HASHTAG;
			default: break;
			}
		}
	}
	return COL_FG;
}

/* A custom emoji span starting at off with an image: its index and end. */
static int image_at(const lay_t *L, size_t off, size_t *end)
{
	const text_style_t *st = L->st;
	for (size_t i = 0; i < st->n_spans; i++) {
		const span_t *s = &st->spans[i];
		if (s->kind != SPAN_EMOJI || s->start != off || s->end <= s->start || s->end > L->len ||
		    !s->target)
			continue;
		for (size_t k = 0; k < st->n_images; k++)
			if (st->images[k].surface && st->images[k].shortcode &&
			    strcmp(st->images[k].shortcode, s->target) == 0 && st->images[k].surface->h > 0) {
				*end = s->end;
				return (int)k;
			}
	}
	return -1;
}

static void push_run(lay_t *L, run_t r)
{
	if (L->n_runs > 0) {
		run_t *p = &L->runs[L->n_runs - 1];
		if (p->end == r.start && p->face == r.face && r.face != FACE_IMAGE &&
		    p->level == r.level && p->color == r.color &&
		    (p->script == r.script || (p->script && r.script && strcmp(p->script, r.script) == 0))) {
			p->end = r.end;
			return;
		}
	}
	XGROW(L->runs, L->cap_runs, L->n_runs + 1);
	L->runs[L->n_runs++] = r;
}

/* Choose the face for a cluster of code points cps[0..n). */
static int choose_face(lay_t *L, const uint32_t *cps, size_t n, int prev_face)
{
	text_engine_t *te = L->te;
	uint32_t base = cps[0];
	bool emoji_like = in_ranges(emoji_presentation, N_OF(emoji_presentation), base) ||
	                  is_regional(base);
	bool text_vs = false;
	for (size_t i = 1; i < n; i++) {
		if (cps[i] == 0xFE0F || cps[i] == 0x20E3 || is_skin_tone(cps[i]) ||
		    (cps[i] == 0x200D && base >= 0x2000))
			emoji_like = true;
		if (cps[i] == 0xFE0E)
			text_vs = true;
	}
	if (emoji_like && !text_vs && te->emoji && TTF_GlyphIsProvided32(te->emoji, base))
		return FACE_EMOJI;
	if (base == ' ' || base == '\n' || is_ignorable(base)) {
		if (prev_face >= 0 && (base == '\n' || is_ignorable(base) || face_provides(te, prev_face, base)))
			return prev_face;
		return 0;
	}
	/* Punctuation and digits stay with the font around them. */
	if (!script_of(base) && prev_face >= 0 && face_provides(te, prev_face, base))
		return prev_face;
	int first_base = -1;
	for (size_t f = 0; f < te->n_faces; f++) {
		if (!face_provides(te, (int)f, base))
			continue;
		if (first_base < 0)
			first_base = (int)f;
		bool all = true;
		for (size_t i = 1; i < n && all; i++)
			if (!is_ignorable(cps[i]) && cps[i] != 0x200D && cps[i] != 0x20E3 && !is_skin_tone(cps[i]))
				all = face_provides(te, (int)f, cps[i]);
		if (all)
			return (int)f;
	}
	if (first_base >= 0)
		return first_base;
	L->missing++;
	return 0;
}

/* Bidi levels for code points cps[a..b) of one paragraph. */
static bool bidi_levels(const uint32_t *cps, size_t n, FriBidiLevel *levels)
{
	if (n == 0)
		return false;
	FriBidiCharType *types = xmalloc(n * sizeof *types);
	FriBidiBracketType *btypes = xmalloc(n * sizeof *btypes);
	fribidi_get_bidi_types(cps, (FriBidiStrIndex)n, types);
	fribidi_get_bracket_types(cps, (FriBidiStrIndex)n, types, btypes);
	FriBidiParType dir = FRIBIDI_PAR_ON;
	bool rtl = false;
	if (fribidi_get_par_embedding_levels_ex(types, btypes, (FriBidiStrIndex)n, &dir, levels) == 0)
		memset(levels, 0, n * sizeof *levels);
	else
		rtl = FRIBIDI_IS_RTL(dir);
	free(types);
	free(btypes);
	return rtl;
}

static void itemise(lay_t *L)
{
	const char *t = L->text;
	size_t len = L->len;
	uint32_t *cps = xmalloc((len + 1) * sizeof *cps);
	size_t *offs = xmalloc((len + 1) * sizeof *offs);
	size_t n = 0;
	for (size_t i = 0; i < len;) {
		offs[n] = i;
		cps[n++] = utf8_next(t, len, &i);
	}
	offs[n] = len;

	FriBidiLevel *levels = xcalloc(n + 1, sizeof *levels);
	for (size_t a = 0; a < n;) {
		size_t b = a;
		while (b < n && cps[b] != '\n')
			b++;
		bool rtl = bidi_levels(cps + a, b - a, levels + a);
		XGROW(L->paras, L->cap_paras, L->n_paras + 1);
		L->paras[L->n_paras++] = (para_t){ offs[a], offs[b], rtl };
		if (b < n)
			levels[b] = rtl ? 1 : 0;
		a = b + 1;
	}

	/* Break opportunities, closed inside clusters. */
	L->brk = xmalloc(len + 1);
	wrap_breaks(t, len, L->st->lang, L->brk);

	int prev_face = -1;
	const char *prev_script = NULL;
	for (size_t i = 0; i < n;) {
		size_t c0 = i, bstart = offs[i], bend;
		run_t r = { .start = bstart, .level = levels[i], .color = color_at(L->st, bstart), .image = -1 };
		int img = image_at(L, bstart, &bend);
		if (img >= 0) {
			while (i < n && offs[i] < bend)
				i++;
			r.face = FACE_IMAGE;
			r.image = img;
			r.script = prev_script;
			L->used_image = true;
		} else {
			i++;
			if (is_regional(cps[c0]) && i < n && is_regional(cps[i]))
				i++;
			while (i < n && (is_extender(cps[i]) || (is_ignorable(cps[i]) && cps[i] != 0x200B))) {
				bool zwj = cps[i] == 0x200D;
				i++;
				if (zwj && i < n && cps[i] != '\n')
					i++; /* the character joined by ZWJ */
			}
			r.face = choose_face(L, cps + c0, i - c0, prev_face);
			const char *sc = script_of(cps[c0]);
			r.script = sc ? sc : prev_script;
			if (r.face == FACE_EMOJI)
				L->used_emoji = true;
			else
				L->used_faces[r.face] = true;
		}
		r.end = offs[i];
		for (size_t k = r.start + 1; k < r.end; k++)
			L->brk[k - 1] = WRAP_INSIDE;
		if (r.face >= 0)
			prev_face = r.face;
		if (r.script)
			prev_script = r.script;
		push_run(L, r);
	}
	free(cps);
	free(offs);
	free(levels);
}

/* ---- measuring ----------------------------------------------------------- */

static int emoji_h(int px)
{
	return px * 6 / 5;
}

static const char *piece(lay_t *L, size_t s, size_t e)
{
	size_t n = e - s;
	if (n + 1 > L->scratch_cap) {
		L->scratch_cap = n + 64;
		L->scratch = xrealloc(L->scratch, L->scratch_cap);
	}
	memcpy(L->scratch, L->text + s, n);
	L->scratch[n] = '\0';
	return L->scratch;
}

static TTF_Font *prepare_font(lay_t *L, const run_t *r, int px)
{
	int face = r->face == FACE_ELLIPSIS ? 0 : r->face;
	TTF_Font *f = get_font(L->te, face, px, L->bold);
	if (f) {
		TTF_SetFontDirection(f, (r->level & 1) ? TTF_DIRECTION_RTL : TTF_DIRECTION_LTR);
		TTF_SetFontScriptName(f, r->script ? r->script : "Zyyy");
	}
	return f;
}

static int image_w(const lay_t *L, int image, int px)
{
	SDL_Surface *s = L->st->images[image].surface;
	int h = emoji_h(px);
	long w = (long)s->w * h / (s->h > 0 ? s->h : 1);
	if (w > 3L * h)
		w = 3L * h;
	return w < 1 ? 1 : (int)w;
}

/* Width of bytes [s, e) of run r at px. */
static int piece_width(lay_t *L, const run_t *r, size_t s, size_t e, int px)
{
	if (e <= s && r->face != FACE_ELLIPSIS)
		return 0;
	int w = 0, h = 0;
	if (r->face == FACE_IMAGE)
		return image_w(L, r->image, px);
	if (r->face == FACE_EMOJI) {
		if (TTF_SizeUTF8(L->te->emoji, piece(L, s, e), &w, &h) != 0)
			return 0;
		return (int)((long)w * emoji_h(px) / L->te->emoji_height);
	}
	TTF_Font *f = prepare_font(L, r, px);
	if (!f)
		return 0;
	const char *str = r->face == FACE_ELLIPSIS ? "\xe2\x80\xa6" : piece(L, s, e);
	if (TTF_SizeUTF8(f, str, &w, &h) != 0)
		return 0;
	return w;
}

static int measure_cb(void *ctx, int px, size_t s, size_t e)
{
	lay_t *L = ctx;
	int w = 0;
	for (size_t i = 0; i < L->n_runs; i++) {
		const run_t *r = &L->runs[i];
		if (r->end <= s || r->start >= e)
			continue;
		size_t a = r->start > s ? r->start : s, b = r->end < e ? r->end : e;
		w += piece_width(L, r, a, b, px);
	}
	return w;
}

static int ellipsis_cb(void *ctx, int px)
{
	lay_t *L = ctx;
	run_t r = { .face = FACE_ELLIPSIS, .script = "Zyyy" };
	return piece_width(L, &r, 0, 0, px);
}

typedef struct {
	int asc, desc, line_h;
} metrics_t;

static metrics_t metrics(lay_t *L, int px)
{
	metrics_t m = { 0, 0, 0 };
	int skip = 0;
	for (size_t f = 0; f < L->te->n_faces; f++) {
		if (!L->used_faces[f] && f != 0)
			continue;
		TTF_Font *font = get_font(L->te, (int)f, px, L->bold);
		if (!font)
			continue;
		if (TTF_FontAscent(font) > m.asc)
			m.asc = TTF_FontAscent(font);
		if (-TTF_FontDescent(font) > m.desc)
			m.desc = -TTF_FontDescent(font);
		if (TTF_FontLineSkip(font) > skip)
			skip = TTF_FontLineSkip(font);
	}
	int eh = emoji_h(px);
	if (L->used_emoji && L->te->emoji) {
		int ea = L->te->emoji_ascent * eh / L->te->emoji_height;
		if (ea > m.asc)
			m.asc = ea;
		if (eh - ea > m.desc)
			m.desc = eh - ea;
	}
	if (L->used_image) {
		int ia = eh * 4 / 5;
		if (ia > m.asc)
			m.asc = ia;
		if (eh - ia > m.desc)
			m.desc = eh - ia;
	}
	m.line_h = skip > m.asc + m.desc ? skip : m.asc + m.desc;
	if (m.line_h < 1)
		m.line_h = px;
	return m;
}

static int line_height_cb(void *ctx, int px)
{
	return metrics(ctx, px).line_h;
}

/* ---- drawing ------------------------------------------------------------- */

static SDL_Color run_color(const text_style_t *st, int c)
{
	switch (c) {
	case COL_LINK: return st->link;
	case COL_MENTION: return st->mention;
	case COL_HASHTAG: return st->hashtag;
	default: return st->fg;
	}
}

static void draw_piece(lay_t *L, SDL_Surface *dst, const run_t *r, size_t s, size_t e, int px,
                       int x, int baseline)
{
	text_engine_t *te = L->te;
	SDL_Surface *g = NULL;
	if (r->face == FACE_IMAGE) {
		SDL_Surface *img = L->st->images[r->image].surface;
		int h = emoji_h(px), w = image_w(L, r->image, px);
		SDL_Surface *sc = draw_scale(img, NULL, w, h);
		draw_over(dst, sc, x, baseline - h * 4 / 5, 255);
		SDL_FreeSurface(sc);
		return;
	}
	if (r->face == FACE_EMOJI) {
		g = TTF_RenderUTF8_Blended(te->emoji, piece(L, s, e), (SDL_Color){ 0, 0, 0, 255 });
		te->stats.runs++;
		if (!g)
			return;
		SDL_Surface *cv = g->format->format == SDL_PIXELFORMAT_ARGB8888 ? g : draw_convert(g);
		int eh = emoji_h(px);
		int w = (int)((long)cv->w * eh / te->emoji_height);
		SDL_Surface *sc = draw_scale(cv, NULL, w > 0 ? w : 1, (int)((long)cv->h * eh / te->emoji_height));
		draw_over(dst, sc, x, baseline - te->emoji_ascent * eh / te->emoji_height, 255);
		SDL_FreeSurface(sc);
		if (cv != g)
			SDL_FreeSurface(cv);
		SDL_FreeSurface(g);
		return;
	}
	TTF_Font *f = prepare_font(L, r, px);
	if (!f)
		return;
	const char *str = r->face == FACE_ELLIPSIS ? "\xe2\x80\xa6" : piece(L, s, e);
	g = TTF_RenderUTF8_Blended(f, str, run_color(L->st, r->color));
	te->stats.runs++;
	if (!g)
		return;
	SDL_Surface *cv = g->format->format == SDL_PIXELFORMAT_ARGB8888 ? g : draw_convert(g);
	draw_over(dst, cv, x, baseline - TTF_FontAscent(f), 255);
	if (cv != g)
		SDL_FreeSurface(cv);
	SDL_FreeSurface(g);
}

typedef struct {
	run_t run;
	size_t s, e;
	int w;
} piece_t;

/* UAX #9 L2: reverse runs from the highest level down to the lowest odd one. */
static void reorder(piece_t *p, size_t n)
{
	int maxl = 0, minl = 255;
	for (size_t i = 0; i < n; i++) {
		if (p[i].run.level > maxl)
			maxl = p[i].run.level;
		if (p[i].run.level < minl)
			minl = p[i].run.level;
	}
	int lowest_odd = (minl & 1) ? minl : minl + 1;
	for (int lev = maxl; lev >= lowest_odd; lev--) {
		for (size_t i = 0; i < n;) {
			if (p[i].run.level < lev) {
				i++;
				continue;
			}
			size_t j = i;
			while (j < n && p[j].run.level >= lev)
				j++;
			for (size_t a = i, b = j - 1; a < b; a++, b--) {
				piece_t t = p[a];
				p[a] = p[b];
				p[b] = t;
			}
			i = j;
		}
	}
}

static const para_t *para_of(const lay_t *L, size_t off)
{
	for (size_t i = 0; i < L->n_paras; i++)
		if (off >= L->paras[i].start && off <= L->paras[i].end)
			return &L->paras[i];
	return L->n_paras ? &L->paras[L->n_paras - 1] : NULL;
}

static void draw_line(lay_t *L, SDL_Surface *dst, const wrap_line_t *ln, int px, int block_w,
                      int baseline)
{
	piece_t *p = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < L->n_runs; i++) {
		const run_t *r = &L->runs[i];
		if (r->end <= ln->start || r->start >= ln->end)
			continue;
		XGROW(p, cap, n + 1);
		p[n].run = *r;
		p[n].s = r->start > ln->start ? r->start : ln->start;
		p[n].e = r->end < ln->end ? r->end : ln->end;
		n++;
	}
	const para_t *para = para_of(L, ln->start);
	bool rtl = para && para->rtl;
	if (ln->ellipsis) {
		XGROW(p, cap, n + 1);
		p[n++] = (piece_t){ .run = { .face = FACE_ELLIPSIS, .level = rtl ? 1 : 0,
			                     .script = "Zyyy", .color = COL_FG } };
	}
	reorder(p, n);
	int line_w = 0;
	for (size_t i = 0; i < n; i++) {
		p[i].w = piece_width(L, &p[i].run, p[i].s, p[i].e, px);
		line_w += p[i].w;
	}
	int x = 0;
	if (L->st->align == TEXT_ALIGN_CENTER)
		x = (block_w - line_w) / 2;
	else if (rtl)
		x = block_w - line_w;
	for (size_t i = 0; i < n; i++) {
		draw_piece(L, dst, &p[i].run, p[i].s, p[i].e, px, x, baseline);
		x += p[i].w;
	}
	free(p);
}

static void lay_free(lay_t *L)
{
	free(L->runs);
	free(L->paras);
	free(L->brk);
	free(L->scratch);
}

void text_render(text_engine_t *te, const char *text, const text_style_t *st, text_block_t *out)
{
	memset(out, 0, sizeof *out);
	out->px = st->max_px;
	if (!te || !text)
		return;
	lay_t L = { .te = te, .st = st, .bold = st->bold };
	char *clean = sanitise(text, &L.len);
	L.text = clean;
	if (L.len == 0) {
		free(clean);
		return;
	}
	itemise(&L);
	out->missing = L.missing;
	te->stats.missing_glyphs += (uint64_t)L.missing;
	out->rtl = L.n_paras > 0 && L.paras[0].rtl;

	wrap_measure_t m = { measure_cb, ellipsis_cb, line_height_cb, &L };
	wrap_result_t r = { 0 };
	int max_w = st->max_w > 0 ? st->max_w : 1;
	int max_h = st->max_h > 0 ? st->max_h : 1 << 28;
	wrap_fit(L.text, L.len, L.brk, st->min_px, st->max_px, max_w, max_h, st->max_lines, &m, &r);
	if (r.n == 0) {
		wrap_result_free(&r);
		lay_free(&L);
		free(clean);
		return;
	}
	metrics_t mt = metrics(&L, r.px);
	int block_w = r.width < max_w ? r.width : max_w;
	if (st->align == TEXT_ALIGN_CENTER || out->rtl)
		block_w = r.width < max_w ? r.width : max_w;
	int block_h = (int)r.n * mt.line_h;
	SDL_Surface *s = draw_surface(block_w, block_h);
	if (s) {
		for (size_t i = 0; i < r.n; i++)
			draw_line(&L, s, &r.lines[i], r.px, block_w, (int)i * mt.line_h + mt.asc +
			                                                 (mt.line_h - mt.asc - mt.desc) / 2);
		te->stats.blocks++;
	}
	out->surface = s;
	out->w = s ? s->w : 0;
	out->h = s ? s->h : 0;
	out->px = r.px;
	out->lines = (int)r.n;
	out->truncated = r.truncated;
	wrap_result_free(&r);
	lay_free(&L);
	free(clean);
}

int text_width(text_engine_t *te, const char *text, int px, bool bold)
{
	if (!te || !text)
		return 0;
	text_style_t st = { .min_px = px, .max_px = px };
	lay_t L = { .te = te, .st = &st, .bold = bold };
	char *clean = sanitise(text, &L.len);
	L.text = clean;
	int w = 0;
	if (L.len > 0) {
		itemise(&L);
		w = measure_cb(&L, px, 0, L.len);
	}
	lay_free(&L);
	free(clean);
	return w;
}
