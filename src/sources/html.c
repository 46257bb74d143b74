/*
 * html: see html.h.
 *
 * One pass over the bytes, no DOM.  A tokenizer (text, character references,
 * tags, comments) feeds a writer that collapses whitespace the way a browser
 * lays out normal text and turns block elements into line breaks; a stack of
 * open elements says what their content means (dropped, preformatted, a link
 * to record, an ellipsis to add).  Spans are byte offsets recorded while
 * writing, trimmed when their element closes and clamped by the final trim;
 * custom emoji are found in the finished text.  Everything is bounded by len
 * and the stack by MAX_DEPTH; markup that does not parse is written as text.
 */
#include "html.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/strbuf.h"
#include "../base/xmalloc.h"

#define MAX_DEPTH 256
#define REPLACEMENT 0xFFFDu

/* ---- character references ------------------------------------------------ */

/* HTML 4.01's 252 named references plus &apos; (sorted by strcmp for bsearch).
 * Mastodon itself only escapes & < > " '; other servers and feeds use the rest. */
typedef struct {
	const char *name;
	uint32_t cp;
} entity_t;

static const entity_t entities[] = {
	{ "AElig", 0x00C6 }, { "Aacute", 0x00C1 }, { "Acirc", 0x00C2 }, { "Agrave", 0x00C0 },
	{ "Alpha", 0x0391 }, { "Aring", 0x00C5 }, { "Atilde", 0x00C3 }, { "Auml", 0x00C4 },
	{ "Beta", 0x0392 }, { "Ccedil", 0x00C7 }, { "Chi", 0x03A7 }, { "Dagger", 0x2021 },
	{ "Delta", 0x0394 }, { "ETH", 0x00D0 }, { "Eacute", 0x00C9 }, { "Ecirc", 0x00CA },
	{ "Egrave", 0x00C8 }, { "Epsilon", 0x0395 }, { "Eta", 0x0397 }, { "Euml", 0x00CB },
	{ "Gamma", 0x0393 }, { "Iacute", 0x00CD }, { "Icirc", 0x00CE }, { "Igrave", 0x00CC },
	{ "Iota", 0x0399 }, { "Iuml", 0x00CF }, { "Kappa", 0x039A }, { "Lambda", 0x039B },
	{ "Mu", 0x039C }, { "Ntilde", 0x00D1 }, { "Nu", 0x039D }, { "OElig", 0x0152 },
	{ "Oacute", 0x00D3 }, { "Ocirc", 0x00D4 }, { "Ograve", 0x00D2 }, { "Omega", 0x03A9 },
	{ "Omicron", 0x039F }, { "Oslash", 0x00D8 }, { "Otilde", 0x00D5 }, { "Ouml", 0x00D6 },
	{ "Phi", 0x03A6 }, { "Pi", 0x03A0 }, { "Prime", 0x2033 }, { "Psi", 0x03A8 },
	{ "Rho", 0x03A1 }, { "Scaron", 0x0160 }, { "Sigma", 0x03A3 }, { "THORN", 0x00DE },
	{ "Tau", 0x03A4 }, { "Theta", 0x0398 }, { "Uacute", 0x00DA }, { "Ucirc", 0x00DB },
	{ "Ugrave", 0x00D9 }, { "Upsilon", 0x03A5 }, { "Uuml", 0x00DC }, { "Xi", 0x039E },
	{ "Yacute", 0x00DD }, { "Yuml", 0x0178 }, { "Zeta", 0x0396 }, { "aacute", 0x00E1 },
	{ "acirc", 0x00E2 }, { "acute", 0x00B4 }, { "aelig", 0x00E6 }, { "agrave", 0x00E0 },
	{ "alefsym", 0x2135 }, { "alpha", 0x03B1 }, { "amp", 0x0026 }, { "and", 0x2227 },
	{ "ang", 0x2220 }, { "apos", 0x0027 }, { "aring", 0x00E5 }, { "asymp", 0x2248 },
	{ "atilde", 0x00E3 }, { "auml", 0x00E4 }, { "bdquo", 0x201E }, { "beta", 0x03B2 },
	{ "brvbar", 0x00A6 }, { "bull", 0x2022 }, { "cap", 0x2229 }, { "ccedil", 0x00E7 },
	{ "cedil", 0x00B8 }, { "cent", 0x00A2 }, { "chi", 0x03C7 }, { "circ", 0x02C6 },
	{ "clubs", 0x2663 }, { "cong", 0x2245 }, { "copy", 0x00A9 }, { "crarr", 0x21B5 },
	{ "cup", 0x222A }, { "curren", 0x00A4 }, { "dArr", 0x21D3 }, { "dagger", 0x2020 },
	{ "darr", 0x2193 }, { "deg", 0x00B0 }, { "delta", 0x03B4 }, { "diams", 0x2666 },
	{ "divide", 0x00F7 }, { "eacute", 0x00E9 }, { "ecirc", 0x00EA }, { "egrave", 0x00E8 },
	{ "empty", 0x2205 }, { "emsp", 0x2003 }, { "ensp", 0x2002 }, { "epsilon", 0x03B5 },
	{ "equiv", 0x2261 }, { "eta", 0x03B7 }, { "eth", 0x00F0 }, { "euml", 0x00EB },
	{ "euro", 0x20AC }, { "exist", 0x2203 }, { "fnof", 0x0192 }, { "forall", 0x2200 },
	{ "frac12", 0x00BD }, { "frac14", 0x00BC }, { "frac34", 0x00BE }, { "frasl", 0x2044 },
	{ "gamma", 0x03B3 }, { "ge", 0x2265 }, { "gt", 0x003E }, { "hArr", 0x21D4 },
	{ "harr", 0x2194 }, { "hearts", 0x2665 }, { "hellip", 0x2026 }, { "iacute", 0x00ED },
	{ "icirc", 0x00EE }, { "iexcl", 0x00A1 }, { "igrave", 0x00EC }, { "image", 0x2111 },
	{ "infin", 0x221E }, { "int", 0x222B }, { "iota", 0x03B9 }, { "iquest", 0x00BF },
	{ "isin", 0x2208 }, { "iuml", 0x00EF }, { "kappa", 0x03BA }, { "lArr", 0x21D0 },
	{ "lambda", 0x03BB }, { "lang", 0x2329 }, { "laquo", 0x00AB }, { "larr", 0x2190 },
	{ "lceil", 0x2308 }, { "ldquo", 0x201C }, { "le", 0x2264 }, { "lfloor", 0x230A },
	{ "lowast", 0x2217 }, { "loz", 0x25CA }, { "lrm", 0x200E }, { "lsaquo", 0x2039 },
	{ "lsquo", 0x2018 }, { "lt", 0x003C }, { "macr", 0x00AF }, { "mdash", 0x2014 },
	{ "micro", 0x00B5 }, { "middot", 0x00B7 }, { "minus", 0x2212 }, { "mu", 0x03BC },
	{ "nabla", 0x2207 }, { "nbsp", 0x00A0 }, { "ndash", 0x2013 }, { "ne", 0x2260 },
	{ "ni", 0x220B }, { "not", 0x00AC }, { "notin", 0x2209 }, { "nsub", 0x2284 },
	{ "ntilde", 0x00F1 }, { "nu", 0x03BD }, { "oacute", 0x00F3 }, { "ocirc", 0x00F4 },
	{ "oelig", 0x0153 }, { "ograve", 0x00F2 }, { "oline", 0x203E }, { "omega", 0x03C9 },
	{ "omicron", 0x03BF }, { "oplus", 0x2295 }, { "or", 0x2228 }, { "ordf", 0x00AA },
	{ "ordm", 0x00BA }, { "oslash", 0x00F8 }, { "otilde", 0x00F5 }, { "otimes", 0x2297 },
	{ "ouml", 0x00F6 }, { "para", 0x00B6 }, { "part", 0x2202 }, { "permil", 0x2030 },
	{ "perp", 0x22A5 }, { "phi", 0x03C6 }, { "pi", 0x03C0 }, { "piv", 0x03D6 },
	{ "plusmn", 0x00B1 }, { "pound", 0x00A3 }, { "prime", 0x2032 }, { "prod", 0x220F },
	{ "prop", 0x221D }, { "psi", 0x03C8 }, { "quot", 0x0022 }, { "rArr", 0x21D2 },
	{ "radic", 0x221A }, { "rang", 0x232A }, { "raquo", 0x00BB }, { "rarr", 0x2192 },
	{ "rceil", 0x2309 }, { "rdquo", 0x201D }, { "real", 0x211C }, { "reg", 0x00AE },
	{ "rfloor", 0x230B }, { "rho", 0x03C1 }, { "rlm", 0x200F }, { "rsaquo", 0x203A },
	{ "rsquo", 0x2019 }, { "sbquo", 0x201A }, { "scaron", 0x0161 }, { "sdot", 0x22C5 },
	{ "sect", 0x00A7 }, { "shy", 0x00AD }, { "sigma", 0x03C3 }, { "sigmaf", 0x03C2 },
	{ "sim", 0x223C }, { "spades", 0x2660 }, { "sub", 0x2282 }, { "sube", 0x2286 },
	{ "sum", 0x2211 }, { "sup", 0x2283 }, { "sup1", 0x00B9 }, { "sup2", 0x00B2 },
	{ "sup3", 0x00B3 }, { "supe", 0x2287 }, { "szlig", 0x00DF }, { "tau", 0x03C4 },
	{ "there4", 0x2234 }, { "theta", 0x03B8 }, { "thetasym", 0x03D1 }, { "thinsp", 0x2009 },
	{ "thorn", 0x00FE }, { "tilde", 0x02DC }, { "times", 0x00D7 }, { "trade", 0x2122 },
	{ "uArr", 0x21D1 }, { "uacute", 0x00FA }, { "uarr", 0x2191 }, { "ucirc", 0x00FB },
	{ "ugrave", 0x00F9 }, { "uml", 0x00A8 }, { "upsih", 0x03D2 }, { "upsilon", 0x03C5 },
	{ "uuml", 0x00FC }, { "weierp", 0x2118 }, { "xi", 0x03BE }, { "yacute", 0x00FD },
	{ "yen", 0x00A5 }, { "yuml", 0x00FF }, { "zeta", 0x03B6 }, { "zwj", 0x200D },
	{ "zwnj", 0x200C },
};

static int entity_cmp(const void *key, const void *elem)
{
	return strcmp((const char *)key, ((const entity_t *)elem)->name);
}

/* Code point of a named reference, 0 when unknown. */
static uint32_t entity_lookup(const char *name, size_t n)
{
	char key[16];
	if (n == 0 || n >= sizeof key)
		return 0;
	memcpy(key, name, n);
	key[n] = '\0';
	const entity_t *e = bsearch(key, entities, sizeof entities / sizeof entities[0],
	                            sizeof entities[0], entity_cmp);
	return e ? e->cp : 0;
}

/* Numeric references 0x80-0x9F mean windows-1252 (HTML5 tokenizer). */
static const uint16_t cp1252[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

static bool is_ws(uint32_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

static char to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* What may reach the text: controls (other than whitespace), C1, surrogates
 * and values beyond Unicode become U+FFFD. */
static uint32_t sanitize_cp(uint32_t cp)
{
	if (is_ws(cp))
		return cp;
	if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
		return REPLACEMENT;
	if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return REPLACEMENT;
	return cp;
}

static int digit_value(char c, bool hex)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (hex && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (hex && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A character reference at s[i] == '&'.  Returns the bytes it spans and sets
 * *cp, or 0 when it is not one (the '&' is then literal text).  Named
 * references need their ';' except the Latin-1 ones, which browsers also
 * accept bare when no letter, digit (or, in attributes, '=') follows. */
static size_t char_ref(const char *s, size_t len, size_t i, bool in_attr, uint32_t *cp)
{
	size_t j = i + 1;
	if (j < len && s[j] == '#') {
		j++;
		bool hex = j < len && (s[j] == 'x' || s[j] == 'X');
		if (hex)
			j++;
		size_t start = j;
		uint32_t v = 0;
		bool overflow = false;
		int dv;
		while (j < len && (dv = digit_value(s[j], hex)) >= 0) {
			if (v > 0x10FFFF)
				overflow = true;
			else
				v = v * (hex ? 16u : 10u) + (uint32_t)dv;
			j++;
		}
		if (j == start)
			return 0;
		if (j < len && s[j] == ';')
			j++;
		if (overflow || v == 0 || v > 0x10FFFF)
			*cp = REPLACEMENT;
		else if (v >= 0x80 && v <= 0x9F)
			*cp = cp1252[v - 0x80] ? cp1252[v - 0x80] : REPLACEMENT;
		else
			*cp = sanitize_cp(v);
		return j - i;
	}
	size_t start = j;
	while (j < len && j - start < 16 && is_alnum(s[j]))
		j++;
	uint32_t v = entity_lookup(s + start, j - start);
	if (!v)
		return 0;
	if (j < len && s[j] == ';') {
		*cp = v;
		return j + 1 - i;
	}
	if (v > 0xFF || v == '\'')
		return 0;
	if (j < len && (is_alnum(s[j]) || (in_attr && s[j] == '=')))
		return 0;
	*cp = v;
	return j - i;
}

/* One code point from UTF-8 at s[i]; invalid input yields U+FFFD for each
 * maximal ill-formed subpart (Unicode 15, section 3.9).  Returns bytes used. */
static size_t utf8_next(const char *str, size_t len, size_t i, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str + i;
	size_t avail = len - i;
	unsigned char b = s[0];
	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	size_t need;
	uint32_t v;
	unsigned char lo = 0x80, hi = 0xBF;
	if (b >= 0xC2 && b <= 0xDF) {
		need = 1;
		v = b & 0x1F;
	} else if (b >= 0xE0 && b <= 0xEF) {
		need = 2;
		v = b & 0x0F;
		if (b == 0xE0)
			lo = 0xA0;
		if (b == 0xED)
			hi = 0x9F;
	} else if (b >= 0xF0 && b <= 0xF4) {
		need = 3;
		v = b & 0x07;
		if (b == 0xF0)
			lo = 0x90;
		if (b == 0xF4)
			hi = 0x8F;
	} else {
		*cp = REPLACEMENT;
		return 1;
	}
	for (size_t k = 1; k <= need; k++) {
		if (k >= avail || s[k] < lo || s[k] > hi) {
			*cp = REPLACEMENT;
			return k;
		}
		v = (v << 6) | (s[k] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = v;
	return need + 1;
}

/* ---- the writer ----------------------------------------------------------- */

enum { EF_DROP = 1, EF_ELLIPSIS = 2, EF_PRE = 4, EF_HCARD = 8, EF_LINK = 16, EF_PSCOPE = 32, EF_LISCOPE = 64 };

/* Elements that start tags close implicitly (<p>, <li>, <a>), counted while open. */
enum { TR_NONE, TR_P, TR_LI, TR_A, TR__COUNT };

/* How an element lays out. */
typedef enum {
	K_INLINE, K_PARA, K_LINE, K_LIST, K_LI, K_PRE, K_CELL, K_BR, K_HR, K_VOID, K_RAW, K_HIDDEN
} kind_t;

typedef struct {
	char name[24];       /* lower case; longer names are cut (no known name is that long) */
	uint32_t hash;       /* of name, to find end tags quickly */
	kind_t kind;
	int tracked;         /* TR_* */
	unsigned flags;
	span_kind_t span;    /* for EF_LINK */
	char *href;          /* owned, for EF_LINK */
	size_t start;        /* text offset at the start tag */
} elem_t;

typedef struct {
	uint32_t start, end;
	span_kind_t kind;
	char *target;        /* owned */
} rspan_t;

typedef struct {
	const html_options_t *opt;
	bool want_spans;
	strbuf_t out;        /* the text so far */
	int newlines;        /* '\n' at the end of buf */
	bool pending_space;  /* collapsed whitespace not yet written */
	bool pre_first;      /* a newline right after <pre> is not content */
	int drop;            /* open elements whose content is dropped */
	int pre;             /* open <pre> elements */
	elem_t stack[MAX_DEPTH];
	int depth;
	int open[TR__COUNT]; /* open elements per TR_* */
	rspan_t *spans;
	size_t n_spans, cap_spans;
} ctx_t;

/* One character of content (already sanitized; CR already folded to LF). */
static void text_cp(ctx_t *c, uint32_t cp)
{
	if (c->drop)
		return;
	if (c->pre) {
		bool first = c->pre_first;
		c->pre_first = false;
		if (cp == '\n') {
			if (!first) {
				strbuf_add(&c->out, "\n", 1);
				c->newlines++;
			}
			return;
		}
		strbuf_add_cp(&c->out, cp);
		c->newlines = 0;
		return;
	}
	if (is_ws(cp)) {
		if (c->out.len && !c->newlines)
			c->pending_space = true;
		return;
	}
	if (c->pending_space) {
		strbuf_add(&c->out, " ", 1);
		c->pending_space = false;
	}
	strbuf_add_cp(&c->out, cp);
	c->newlines = 0;
}

/* End the line: at least n newlines at the end (1 = new line, 2 = blank line).
 * Nothing at the start of the text: the result is trimmed anyway. */
static void break_lines(ctx_t *c, int n)
{
	if (c->drop)
		return;
	c->pending_space = false;
	if (!c->out.len)
		return;
	while (c->newlines < n) {
		strbuf_add(&c->out, "\n", 1);
		c->newlines++;
	}
}

/* <br>: a line break of its own; more than one blank line in a row is
 * squeezed (a lobby screen has no room for empty lines) except in <pre>. */
static void hard_break(ctx_t *c)
{
	if (c->drop)
		return;
	c->pending_space = false;
	if (!c->out.len)
		return;
	if (c->newlines < 2 || c->pre) {
		strbuf_add(&c->out, "\n", 1);
		c->newlines++;
	}
}

static void add_span(ctx_t *c, span_kind_t kind, size_t start, size_t end, char *target)
{
	while (start < end && (c->out.buf[start] == ' ' || c->out.buf[start] == '\n'))
		start++;
	while (end > start && (c->out.buf[end - 1] == ' ' || c->out.buf[end - 1] == '\n'))
		end--;
	if (start >= end || end > UINT32_MAX) {
		free(target);
		return;
	}
	XGROW(c->spans, c->cap_spans, c->n_spans + 1);
	c->spans[c->n_spans++] = (rspan_t){ .start = (uint32_t)start, .end = (uint32_t)end,
	                                    .kind = kind, .target = target };
}

/* ---- elements ------------------------------------------------------------- */

/* What the tokenizer needs to know about an element name. */
typedef struct {
	const char *name;
	kind_t kind;
	int tracked;         /* TR_*: elements implied end tags look for */
	unsigned scope;      /* EF_PSCOPE / EF_LISCOPE: where those searches stop */
} element_info_t;

static int info_cmp(const void *key, const void *elem)
{
	return strcmp((const char *)key, ((const element_info_t *)elem)->name);
}

static element_info_t element_info(const char *name)
{
	static const element_info_t table[] = { /* sorted by name for bsearch */
		{ "a", K_INLINE, TR_A, 0 },
		{ "address", K_LINE, TR_NONE, 0 },
		{ "area", K_VOID, TR_NONE, 0 },
		{ "article", K_LINE, TR_NONE, 0 },
		{ "aside", K_LINE, TR_NONE, 0 },
		{ "base", K_VOID, TR_NONE, 0 },
		{ "blockquote", K_PARA, TR_NONE, 0 },
		{ "br", K_BR, TR_NONE, 0 },
		{ "button", K_INLINE, TR_NONE, EF_PSCOPE },
		{ "caption", K_LINE, TR_NONE, EF_PSCOPE },
		{ "center", K_LINE, TR_NONE, 0 },
		{ "col", K_VOID, TR_NONE, 0 },
		{ "dd", K_LINE, TR_NONE, 0 },
		{ "details", K_LINE, TR_NONE, 0 },
		{ "div", K_LINE, TR_NONE, 0 },
		{ "dl", K_PARA, TR_NONE, 0 },
		{ "dt", K_LINE, TR_NONE, 0 },
		{ "embed", K_VOID, TR_NONE, 0 },
		{ "fieldset", K_LINE, TR_NONE, 0 },
		{ "figcaption", K_LINE, TR_NONE, 0 },
		{ "figure", K_PARA, TR_NONE, 0 },
		{ "footer", K_LINE, TR_NONE, 0 },
		{ "form", K_LINE, TR_NONE, 0 },
		{ "h1", K_PARA, TR_NONE, 0 },
		{ "h2", K_PARA, TR_NONE, 0 },
		{ "h3", K_PARA, TR_NONE, 0 },
		{ "h4", K_PARA, TR_NONE, 0 },
		{ "h5", K_PARA, TR_NONE, 0 },
		{ "h6", K_PARA, TR_NONE, 0 },
		{ "header", K_LINE, TR_NONE, 0 },
		{ "hgroup", K_LINE, TR_NONE, 0 },
		{ "hr", K_HR, TR_NONE, 0 },
		{ "iframe", K_RAW, TR_NONE, 0 },
		{ "img", K_VOID, TR_NONE, 0 },
		{ "input", K_VOID, TR_NONE, 0 },
		{ "keygen", K_VOID, TR_NONE, 0 },
		{ "legend", K_LINE, TR_NONE, 0 },
		{ "li", K_LI, TR_LI, 0 },
		{ "link", K_VOID, TR_NONE, 0 },
		{ "listing", K_PRE, TR_NONE, 0 },
		{ "main", K_LINE, TR_NONE, 0 },
		{ "menu", K_LIST, TR_NONE, EF_LISCOPE },
		{ "meta", K_VOID, TR_NONE, 0 },
		{ "nav", K_LINE, TR_NONE, 0 },
		{ "noembed", K_RAW, TR_NONE, 0 },
		{ "noframes", K_RAW, TR_NONE, 0 },
		{ "noscript", K_RAW, TR_NONE, 0 },
		{ "ol", K_LIST, TR_NONE, EF_LISCOPE },
		{ "p", K_PARA, TR_P, 0 },
		{ "param", K_VOID, TR_NONE, 0 },
		{ "pre", K_PRE, TR_NONE, 0 },
		{ "script", K_RAW, TR_NONE, 0 },
		{ "section", K_LINE, TR_NONE, 0 },
		{ "source", K_VOID, TR_NONE, 0 },
		{ "style", K_RAW, TR_NONE, 0 },
		{ "summary", K_LINE, TR_NONE, 0 },
		{ "table", K_PARA, TR_NONE, EF_PSCOPE | EF_LISCOPE },
		{ "td", K_CELL, TR_NONE, EF_PSCOPE | EF_LISCOPE },
		{ "template", K_HIDDEN, TR_NONE, EF_PSCOPE },
		{ "textarea", K_RAW, TR_NONE, 0 },
		{ "th", K_CELL, TR_NONE, EF_PSCOPE | EF_LISCOPE },
		{ "title", K_RAW, TR_NONE, 0 },
		{ "tr", K_LINE, TR_NONE, 0 },
		{ "track", K_VOID, TR_NONE, 0 },
		{ "ul", K_LIST, TR_NONE, EF_LISCOPE },
		{ "wbr", K_VOID, TR_NONE, 0 },
	};
	const element_info_t *e = bsearch(name, table, sizeof table / sizeof table[0], sizeof table[0], info_cmp);
	return e ? *e : (element_info_t){ name, K_INLINE, TR_NONE, 0 };
}

static bool is_block(kind_t k)
{
	return k == K_PARA || k == K_LINE || k == K_LIST || k == K_LI || k == K_PRE || k == K_HR;
}

/* Inside a list item, a nested list starts on the next line, not after a blank one. */
static int list_gap(const ctx_t *c)
{
	return c->open[TR_LI] ? 1 : 2;
}

static void pop_element(ctx_t *c)
{
	elem_t *e = &c->stack[--c->depth];
	c->open[e->tracked]--;
	if (e->flags & EF_DROP)
		c->drop--;
	if (e->flags & EF_PRE)
		c->pre--;
	if (e->flags & EF_ELLIPSIS)
		text_cp(c, 0x2026);
	if (e->flags & EF_LINK) {
		add_span(c, e->span, e->start, c->out.len, e->href);
		e->href = NULL;
	}
	switch (e->kind) {
	case K_PARA: case K_PRE: break_lines(c, 2); break;
	case K_LIST: break_lines(c, list_gap(c)); break;
	case K_LINE: case K_LI: break_lines(c, 1); break;
	default: break;
	}
}

static uint32_t name_hash(const char *name)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

/* Index of the innermost open element called name, or -1. */
static int find_open(const ctx_t *c, const char *name)
{
	uint32_t h = name_hash(name);
	for (int i = c->depth - 1; i >= 0; i--)
		if (c->stack[i].hash == h && strcmp(c->stack[i].name, name) == 0)
			return i;
	return -1;
}

/* Index of the innermost open TR_* element, searching outwards until an
 * element with the scope flag; -1 when none. */
static int find_tracked(const ctx_t *c, int tracked, unsigned scope)
{
	if (!c->open[tracked])
		return -1;
	for (int i = c->depth - 1; i >= 0; i--) {
		if (c->stack[i].tracked == tracked)
			return i;
		if (c->stack[i].flags & scope)
			return -1;
	}
	return -1;
}

static void close_to(ctx_t *c, int index)
{
	while (index >= 0 && c->depth > index)
		pop_element(c);
}

typedef struct {
	const char *p;
	size_t n;
} slice_t;

typedef struct {
	char name[24];
	slice_t cls, href, rel;
	bool have_cls, have_href, have_rel;
	bool self_closing;
} tag_t;

/* Decode an attribute value (references, invalid UTF-8).  Caller frees. */
static char *attr_value(slice_t v)
{
	strbuf_t sb = STRBUF_INIT;
	for (size_t i = 0; i < v.n;) {
		uint32_t cp;
		size_t n = 0;
		if (v.p[i] == '&')
			n = char_ref(v.p, v.n, i, true, &cp);
		if (!n)
			n = utf8_next(v.p, v.n, i, &cp);
		strbuf_add_cp(&sb, sanitize_cp(cp));
		i += n;
	}
	return strbuf_take(&sb);
}

/* Whether a whitespace-separated attribute value holds token (ASCII case-insensitive). */
static bool has_token(slice_t v, const char *token)
{
	size_t tl = strlen(token);
	size_t i = 0;
	while (i < v.n) {
		while (i < v.n && is_ws((unsigned char)v.p[i]))
			i++;
		size_t start = i;
		while (i < v.n && !is_ws((unsigned char)v.p[i]))
			i++;
		if (i - start == tl && strncasecmp(v.p + start, token, tl) == 0)
			return true;
	}
	return false;
}

static bool http_url(const char *u)
{
	return strncasecmp(u, "https://", 8) == 0 || strncasecmp(u, "http://", 7) == 0;
}

static void open_element(ctx_t *c, const tag_t *t)
{
	element_info_t info = element_info(t->name);
	kind_t kind = info.kind;
	if (kind == K_BR) {
		hard_break(c);
		return;
	}
	if (is_block(kind))
		close_to(c, find_tracked(c, TR_P, EF_PSCOPE));
	if (kind == K_HR) {
		break_lines(c, 2);
		return;
	}
	if (kind == K_VOID)
		return;
	if (kind == K_LI)
		close_to(c, find_tracked(c, TR_LI, EF_LISCOPE));
	if (info.tracked == TR_A)
		close_to(c, find_tracked(c, TR_A, 0));

	switch (kind) {
	case K_PARA: case K_PRE: break_lines(c, 2); break;
	case K_LIST: break_lines(c, list_gap(c)); break;
	case K_LINE: case K_LI: break_lines(c, 1); break;
	case K_CELL:
		if (!c->drop && c->out.len && !c->newlines)
			c->pending_space = true;
		break;
	default: break;
	}
	if (c->depth >= MAX_DEPTH)
		return;

	elem_t *e = &c->stack[c->depth++];
	memset(e, 0, sizeof *e);
	memcpy(e->name, t->name, sizeof e->name);
	e->hash = name_hash(e->name);
	e->kind = kind;
	e->tracked = info.tracked;
	e->flags = info.scope;
	c->open[info.tracked]++;
	e->start = c->out.len;
	if (t->have_cls) {
		if (has_token(t->cls, "invisible"))
			e->flags |= EF_DROP;
		if (has_token(t->cls, "quote-inline") && c->opt && c->opt->drop_quote_inline)
			e->flags |= EF_DROP;
		if (has_token(t->cls, "ellipsis"))
			e->flags |= EF_ELLIPSIS;
		if (has_token(t->cls, "h-card"))
			e->flags |= EF_HCARD;
	}
	if (kind == K_HIDDEN)
		e->flags |= EF_DROP;
	if (e->flags & EF_DROP)
		c->drop++;
	if (kind == K_PRE) {
		e->flags |= EF_PRE;
		c->pre++;
		c->pre_first = true;
	}
	if (c->want_spans && info.tracked == TR_A && t->have_href) {
		char *href = attr_value(t->href);
		/* trim the ASCII whitespace URL parsers ignore */
		size_t a = 0, b = strlen(href);
		while (a < b && is_ws((unsigned char)href[a]))
			a++;
		while (b > a && is_ws((unsigned char)href[b - 1]))
			b--;
		memmove(href, href + a, b - a);
		href[b - a] = '\0';
		if (http_url(href)) {
			bool in_hcard = false;
			for (int i = 0; i < c->depth; i++)
				if (c->stack[i].flags & EF_HCARD)
					in_hcard = true;
			e->flags |= EF_LINK;
			e->href = href;
			if ((t->have_cls && has_token(t->cls, "hashtag")) || (t->have_rel && has_token(t->rel, "tag")))
				e->span = SPAN_HASHTAG;
			else if ((t->have_cls && has_token(t->cls, "mention")) || in_hcard)
				e->span = SPAN_MENTION;
			else
				e->span = SPAN_LINK;
		} else {
			free(href);
		}
	}
	if (kind == K_LI) {
		text_cp(c, 0x2022);
		text_cp(c, ' ');
	}
	if (t->self_closing)
		pop_element(c);
}

static void close_element(ctx_t *c, const char *name)
{
	if (strcmp(name, "br") == 0) { /* browsers read </br> as <br> */
		hard_break(c);
		return;
	}
	int i = find_open(c, name);
	if (i < 0) {
		if (strcmp(name, "p") == 0) /* a stray </p> is an empty paragraph */
			break_lines(c, 2);
		return;
	}
	close_to(c, i);
}

/* ---- the tokenizer -------------------------------------------------------- */

/* A tag at s[i] ('<' or "</").  Returns the bytes it spans, 0 when it does
 * not end before len (the caller then writes the '<' as text). */
static size_t parse_tag(const char *s, size_t len, size_t i, bool end, tag_t *t)
{
	memset(t, 0, sizeof *t);
	size_t j = i + (end ? 2 : 1);
	size_t n = 0;
	while (j < len && !is_ws((unsigned char)s[j]) && s[j] != '/' && s[j] != '>') {
		if (n < sizeof t->name - 1)
			t->name[n++] = to_lower(s[j]);
		j++;
	}
	t->name[n] = '\0';
	for (;;) {
		while (j < len && (is_ws((unsigned char)s[j]) || s[j] == '/')) {
			t->self_closing = s[j] == '/' && j + 1 < len && s[j + 1] == '>';
			j++;
		}
		if (j >= len)
			return 0;
		if (s[j] == '>')
			return j + 1 - i;
		t->self_closing = false;
		size_t an = j;
		if (s[j] == '=')
			j++;
		while (j < len && !is_ws((unsigned char)s[j]) && s[j] != '/' && s[j] != '>' && s[j] != '=')
			j++;
		slice_t name = { s + an, j - an };
		while (j < len && is_ws((unsigned char)s[j]))
			j++;
		slice_t val = { s + j, 0 };
		if (j < len && s[j] == '=') {
			j++;
			while (j < len && is_ws((unsigned char)s[j]))
				j++;
			if (j >= len)
				return 0;
			if (s[j] == '"' || s[j] == '\'') {
				const char *q = memchr(s + j + 1, s[j], len - j - 1);
				if (!q)
					return 0;
				val = (slice_t){ s + j + 1, (size_t)(q - (s + j + 1)) };
				j = (size_t)(q - s) + 1;
			} else {
				size_t vs = j;
				while (j < len && !is_ws((unsigned char)s[j]) && s[j] != '>')
					j++;
				val = (slice_t){ s + vs, j - vs };
			}
		}
		/* the first of duplicate attributes wins, as in browsers */
		if (name.n == 5 && strncasecmp(name.p, "class", 5) == 0 && !t->have_cls) {
			t->cls = val;
			t->have_cls = true;
		} else if (name.n == 4 && strncasecmp(name.p, "href", 4) == 0 && !t->have_href) {
			t->href = val;
			t->have_href = true;
		} else if (name.n == 3 && strncasecmp(name.p, "rel", 3) == 0 && !t->have_rel) {
			t->rel = val;
			t->have_rel = true;
		}
	}
}

/* Offset of needle (ASCII case-insensitive) in s[from..len), or len. */
static size_t find_ci(const char *s, size_t len, size_t from, const char *needle)
{
	size_t nl = strlen(needle);
	for (size_t i = from; i + nl <= len; i++)
		if (strncasecmp(s + i, needle, nl) == 0)
			return i;
	return len;
}

/* Skip the content of a raw-text element (script, style...) that started
 * at s[i]; returns where parsing goes on: after its end tag, or len. */
static size_t skip_raw_text(const char *s, size_t len, size_t i, const char *name)
{
	char close[32];
	int cl = snprintf(close, sizeof close, "</%s", name);
	for (size_t k = i;; k++) {
		k = find_ci(s, len, k, close);
		if (k >= len)
			return len;
		size_t after = k + (size_t)cl;
		if (after < len && !is_ws((unsigned char)s[after]) && s[after] != '/' && s[after] != '>')
			continue;
		tag_t t;
		size_t n = parse_tag(s, len, k, true, &t);
		return n ? k + n : len;
	}
}

/* Markup at s[i] == '<': returns the bytes consumed, 0 when the '<' is text. */
static size_t markup(ctx_t *c, const char *s, size_t len, size_t i)
{
	if (i + 1 >= len)
		return 0;
	char n1 = s[i + 1];
	if (n1 == '!' && i + 3 < len && s[i + 2] == '-' && s[i + 3] == '-') {
		size_t k = i + 2; /* "<!-->" is an empty comment */
		for (; k + 3 <= len; k++)
			if (s[k] == '-' && s[k + 1] == '-' && s[k + 2] == '>')
				return k + 3 - i;
		return len - i; /* a comment runs to the end */
	}
	if (n1 == '!' || n1 == '?' || (n1 == '/' && i + 2 < len && !is_alpha(s[i + 2]))) {
		const char *gt = memchr(s + i + 1, '>', len - i - 1);
		return gt ? (size_t)(gt - (s + i)) + 1 : 0; /* doctype, CDATA, "</ >": ignored */
	}
	bool end = n1 == '/';
	if (end ? i + 2 >= len || !is_alpha(s[i + 2]) : !is_alpha(n1))
		return 0;
	tag_t t;
	size_t n = parse_tag(s, len, i, end, &t);
	if (!n)
		return 0;
	if (end) {
		close_element(c, t.name);
		return n;
	}
	if (element_info(t.name).kind == K_RAW) {
		if (t.self_closing)
			return n;
		return skip_raw_text(s, len, i + n, t.name) - i;
	}
	open_element(c, &t);
	return n;
}

static void run(ctx_t *c, const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		char ch = s[i];
		uint32_t cp;
		size_t n;
		if (ch == '<') {
			n = markup(c, s, len, i);
			if (n) {
				i += n;
				continue;
			}
			text_cp(c, '<');
			i++;
		} else if (ch == '&') {
			n = char_ref(s, len, i, false, &cp);
			text_cp(c, n ? cp : '&');
			i += n ? n : 1;
		} else if (ch == '\r') { /* CR LF and lone CR are newlines */
			text_cp(c, '\n');
			i += i + 1 < len && s[i + 1] == '\n' ? 2 : 1;
		} else {
			n = utf8_next(s, len, i, &cp);
			if (!(i == 0 && cp == 0xFEFF)) /* byte order mark */
				text_cp(c, sanitize_cp(cp));
			i += n;
		}
	}
	while (c->depth)
		pop_element(c);
}

/* ---- results -------------------------------------------------------------- */

static bool trim_byte(char b)
{
	return b == ' ' || b == '\n' || b == '\t' || b == '\f';
}

/* Trim the text, clamping the spans to what is left. Returns the text (owned). */
static char *finish_text(ctx_t *c)
{
	size_t lead = 0, end = c->out.len;
	while (lead < end && trim_byte(c->out.buf[lead]))
		lead++;
	while (end > lead && trim_byte(c->out.buf[end - 1]))
		end--;
	size_t kept = 0;
	for (size_t i = 0; i < c->n_spans; i++) {
		rspan_t sp = c->spans[i];
		size_t a = sp.start > lead ? sp.start : lead;
		size_t b = sp.end < end ? sp.end : end;
		if (a >= b) {
			free(sp.target);
			continue;
		}
		sp.start = (uint32_t)(a - lead);
		sp.end = (uint32_t)(b - lead);
		c->spans[kept++] = sp;
	}
	c->n_spans = kept;
	char *text = xstrndup(strbuf_str(&c->out) + lead, end - lead);
	strbuf_free(&c->out);
	return text;
}

static bool emoji_boundary(char b)
{
	return !is_alnum(b) && b != ':';
}

static bool shortcode_char(char b)
{
	return is_alnum(b) || b == '_';
}

/* ":code:" for each known custom emoji, as Mastodon matches them: not glued to
 * a letter, digit or colon on either side.  A match that would cross another
 * span's edge is left alone. */
static void find_emoji(ctx_t *c, const char *text)
{
	const html_options_t *o = c->opt;
	if (!o || !o->n_emojis || !o->emojis)
		return;
	size_t n_links = c->n_spans, len = strlen(text);
	for (size_t i = 0; i < len; i++) {
		if (text[i] != ':' || (i > 0 && !emoji_boundary(text[i - 1])))
			continue;
		size_t j = i + 1;
		while (j < len && shortcode_char(text[j]))
			j++;
		if (j == i + 1 || j >= len || text[j] != ':')
			continue;
		if (j + 1 < len && !emoji_boundary(text[j + 1]))
			continue;
		size_t n = j - i - 1;
		const emoji_t *hit = NULL;
		for (size_t k = 0; k < o->n_emojis && !hit; k++) {
			const char *sc = o->emojis[k].shortcode;
			if (sc && strlen(sc) == n && memcmp(sc, text + i + 1, n) == 0)
				hit = &o->emojis[k];
		}
		bool crosses = false;
		for (size_t k = 0; k < n_links; k++) {
			size_t a = c->spans[k].start, b = c->spans[k].end;
			bool overlap = i < b && j + 1 > a, inside = i >= a && j + 1 <= b;
			if (overlap && !inside)
				crosses = true;
		}
		if (!hit || crosses || j + 1 > UINT32_MAX)
			continue;
		XGROW(c->spans, c->cap_spans, c->n_spans + 1);
		c->spans[c->n_spans++] = (rspan_t){ .start = (uint32_t)i, .end = (uint32_t)(j + 1),
		                                    .kind = SPAN_EMOJI, .target = xstrdup(hit->shortcode) };
		i = j;
	}
}

static int span_order(const void *a, const void *b)
{
	const rspan_t *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1; /* outer first */
	return (int)x->kind - (int)y->kind;
}

static ctx_t *convert(const char *html, size_t len, const html_options_t *opt, bool spans)
{
	ctx_t *c = xcalloc(1, sizeof *c);
	c->opt = opt;
	c->want_spans = spans;
	run(c, html ? html : "", html ? len : 0);
	return c;
}

void html_to_post_text(const char *html, size_t len, const html_options_t *opt, post_t *p)
{
	ctx_t *c = convert(html, len, opt, true);
	char *text = finish_text(c);
	find_emoji(c, text);
	if (c->n_spans > 1)
		qsort(c->spans, c->n_spans, sizeof *c->spans, span_order);
	for (size_t i = 0; i < c->n_spans; i++) {
		post_add_span(p, c->spans[i].kind, c->spans[i].start, c->spans[i].end, c->spans[i].target);
		free(c->spans[i].target);
	}
	free(c->spans);
	free(p->text);
	p->text = text;
	free(c);
}

char *html_to_plain(const char *html, size_t len)
{
	ctx_t *c = convert(html, len, NULL, false);
	char *text = finish_text(c);
	free(c->spans);
	free(c);
	return text;
}
