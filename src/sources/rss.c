/*
 * rss: see rss.h.
 *
 * expat streams the document through three callbacks.  The parser keeps a
 * depth counter and a few "inside X since depth N" markers (channel, item or
 * entry, channel image, Atom <source>), and captures the text of the one
 * element it wants at a time into a bounded buffer; Atom xhtml content is
 * re-serialised as HTML markup so that one HTML-to-text path serves every
 * format.  Element names arrive as "namespace-URI local", so prefixes never
 * matter.  Items are turned into posts when they close; the feed's author
 * (which may come after the items) is attached at the end.
 *
 * The adapter around it is one conditional GET per cycle (If-None-Match /
 * If-Modified-Since from the last 200), and remembers when it first saw
 * each undated item, so such an item keeps its place in the loop.
 *
 * Withdrawn items: the adapter also remembers the items of the last fetch
 * (keys in document order, with their dates).  An item that is no longer
 * in the feed has either been withdrawn or dropped off the end because
 * newer items pushed it out.  It is taken as withdrawn, and reported as
 * deleted, when the fetch brought no new item that could have pushed it
 * out, when it is dated no earlier than the oldest dated item still there,
 * or (undated) when an item listed after it is still there.  A feed that
 * parses but holds no items deletes nothing: an empty answer is too often
 * a passing fault of the site.
 */
#include "rss.h"

#include <ctype.h>
/* Debian's libexpat is built with DTD support (expat_config.h: XML_DTD 1);
 * expat.h declares the entity-amplification limits only when told so. */
#ifndef XML_DTD
#define XML_DTD 1
#endif
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/log.h"
#include "../base/sha256.h"
#include "../base/strbuf.h"
#include "../base/url.h"
#include "../base/xmalloc.h"
#include "html.h"
#include "json.h"
#include "keylist.h"
#include "timeparse.h"
#include "wire.h"

#define NS_ATOM "http://www.w3.org/2005/Atom"
#define NS_CONTENT "http://purl.org/rss/1.0/modules/content/"
#define NS_DC "http://purl.org/dc/elements/1.1/"
#define NS_MEDIA "http://search.yahoo.com/mrss/"
#define NS_RSS1 "http://purl.org/rss/1.0/"
#define NS_RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define NS_WEBFEEDS "http://webfeeds.org/rss/1.0"
#define NS_ITUNES "http://www.itunes.com/dtds/podcast-1.0.dtd"
#define NS_XML_LANG "http://www.w3.org/XML/1998/namespace lang"

#define MAX_DEPTH 64
#define MAX_FIELD (256 * 1024)   /* bytes of text kept per element */
#define MAX_URL 4096
#define MAX_FIRST_SEEN 500
#define MAX_ITEM_KEY 4096        /* longer item keys are not remembered */

/* ---- small helpers ------------------------------------------------------- */

/* Append text with & < > " escaped (for re-serialised xhtml). */
static void add_escaped(strbuf_t *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': strbuf_adds(b, "&amp;"); break;
		case '<': strbuf_adds(b, "&lt;"); break;
		case '>': strbuf_adds(b, "&gt;"); break;
		case '"': strbuf_adds(b, "&quot;"); break;
		default: strbuf_add(b, s + i, 1); break;
		}
	}
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Copy with runs of white space collapsed to one space, trimmed; NULL when empty. */
static char *collapse(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	char *o = xmalloc(n + 1);
	size_t k = 0;
	bool space = false;
	for (size_t i = 0; i < n; i++) {
		if (is_ws(s[i])) {
			space = k > 0;
			continue;
		}
		if (space)
			o[k++] = ' ';
		space = false;
		o[k++] = s[i];
	}
	o[k] = '\0';
	if (!k) {
		free(o);
		return NULL;
	}
	return o;
}

/* Printable, no spaces: what may stand in a URL we keep. */
static bool url_chars_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* "HTTPS://Host/..." -> "https://Host/...": the scheme in lower case. */
static char *scheme_lower(char *u)
{
	if (u)
		for (char *c = u; *c && *c != ':'; c++)
			*c = (char)tolower((unsigned char)*c);
	return u;
}

char *rss_resolve_url(const char *base, const char *ref)
{
	char *r = collapse(ref);
	if (!r)
		return NULL;
	if (strlen(r) > MAX_URL || !url_chars_ok(r)) {
		free(r);
		return NULL;
	}
	if (base && (strlen(base) > MAX_URL || !url_chars_ok(base)))
		base = NULL;
	if (strncasecmp(r, "https://", 8) == 0 || strncasecmp(r, "http://", 7) == 0)
		return scheme_lower(r);
	char *out = NULL;
	const char *b = base;
	bool https = b && strncasecmp(b, "https://", 8) == 0;
	bool http = b && strncasecmp(b, "http://", 7) == 0;
	if (strncmp(r, "//", 2) == 0) {
		out = xasprintf("%s:%s", http ? "http" : "https", r);
	} else if (strchr(r, ':') && strcspn(r, ":") < strcspn(r, "/?#")) {
		out = NULL; /* mailto:, javascript:, data:...: not a web link */
	} else if (https || http) {
		const char *host = b + (https ? 8 : 7);
		size_t hl = strcspn(host, "/?#");
		size_t origin = (size_t)(host - b) + hl;
		if (r[0] == '/') {
			out = xasprintf("%.*s%s", (int)origin, b, r);
		} else {
			/* relative to the base's directory */
			size_t path_end = origin + strcspn(b + origin, "?#");
			size_t dir = origin;
			for (size_t i = origin; i < path_end; i++)
				if (b[i] == '/')
					dir = i + 1;
			if (dir == origin)
				out = xasprintf("%.*s/%s", (int)origin, b, r);
			else
				out = xasprintf("%.*s%s", (int)dir, b, r);
		}
	}
	free(r);
	return scheme_lower(out);
}

/* ---- parse state --------------------------------------------------------- */

typedef enum {
	F_NONE, F_TITLE, F_LINK, F_GUID, F_ID, F_PUBDATE, F_DCDATE, F_PUBLISHED, F_UPDATED,
	F_DESC, F_CONTENT, F_MEDIA_DESC, F_MEDIA_RATING,
	F_CH_TITLE, F_CH_LINK, F_CH_IMAGE_URL, F_CH_ICON, F_CH_LOGO, F_CH_WEBICON, F_CH_LANG, F_CH_TTL,
} field_t;

typedef struct {
	char *title, *link, *guid, *id, *pubdate, *dcdate, *published, *updated;
	char *desc, *content, *media_desc, *media_rating;
	bool title_html, desc_html, content_html;
	char *media_url, *thumb_url, *enclosure_url;
	int media_w, media_h;
	bool have_alt_link;
} item_t;

typedef struct {
	XML_Parser xp;
	rss_feed_t *out;
	const char *feed_url;
	const source_spec_t *spec;
	int64_t now;
	int root;              /* 0 not yet, 1 RSS 2.0, 2 RSS 1.0 (RDF), 3 Atom */
	int depth;
	int channel_depth;     /* RSS <channel> / Atom <feed>, 0 = outside */
	int item_depth;        /* <item> / <entry> being read, 0 = none */
	bool item_skip;        /* beyond RSS_MAX_ITEMS */
	int image_depth;       /* RSS channel <image> */
	int ignore_depth;      /* Atom <source> or <author>: their children are not ours */
	field_t cap;           /* field being captured */
	int cap_depth;
	bool cap_xhtml;        /* re-serialise child elements as markup */
	bool cap_html;         /* the captured text is HTML */
	strbuf_t text;
	bool text_capped;
	item_t it;
	char *ch_title, *ch_link, *ch_image, *ch_icon, *ch_logo, *ch_webicon, *ch_lang;
	bool ch_title_html;
	char *err;
	size_t items;
} ctx_t;

static void item_clear(item_t *it)
{
	free(it->title);
	free(it->link);
	free(it->guid);
	free(it->id);
	free(it->pubdate);
	free(it->dcdate);
	free(it->published);
	free(it->updated);
	free(it->desc);
	free(it->content);
	free(it->media_desc);
	free(it->media_rating);
	free(it->media_url);
	free(it->thumb_url);
	free(it->enclosure_url);
	memset(it, 0, sizeof *it);
}

static void fail(ctx_t *c, char *msg)
{
	if (!c->err)
		c->err = msg;
	else
		free(msg);
	XML_StopParser(c->xp, XML_FALSE);
}

/* Split "uri local" into a namespace (normalised: RSS 1.0 = no namespace) and a local name. */
static const char *split_name(const char *name, char *ns, size_t nsz)
{
	const char *sp = strrchr(name, ' ');
	if (!sp) {
		ns[0] = '\0';
		return name;
	}
	size_t n = (size_t)(sp - name);
	if (n >= nsz)
		n = nsz - 1;
	memcpy(ns, name, n);
	ns[n] = '\0';
	if (strcmp(ns, NS_RSS1) == 0)
		ns[0] = '\0';
	return sp + 1;
}

static const char *attr(const XML_Char **atts, const char *name)
{
	for (size_t i = 0; atts[i]; i += 2)
		if (strcmp(atts[i], name) == 0)
			return atts[i + 1];
	return NULL;
}

static void set_once(char **dst, const char *val)
{
	if (!*dst && val && *val)
		*dst = xstrdup(val);
}

static bool is_image_type(const char *type)
{
	return type && strncasecmp(type, "image/", 6) == 0;
}

static bool looks_like_image_url(const char *u)
{
	if (!u)
		return false;
	size_t n = strcspn(u, "?#");
	static const char *const exts[] = { ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif" };
	for (size_t i = 0; i < sizeof exts / sizeof *exts; i++) {
		size_t el = strlen(exts[i]);
		if (n >= el && strncasecmp(u + n - el, exts[i], el) == 0)
			return true;
	}
	return false;
}

static void begin_capture(ctx_t *c, field_t f, bool html, bool xhtml)
{
	c->cap = f;
	c->cap_depth = c->depth;
	c->cap_html = html || xhtml;
	c->cap_xhtml = xhtml;
	strbuf_reset(&c->text);
	c->text_capped = false;
}

/* Atom text constructs: type text (default), html, xhtml. */
static void begin_atom_text(ctx_t *c, field_t f, const XML_Char **atts)
{
	const char *type = attr(atts, "type");
	if (attr(atts, "src"))
		return; /* out-of-line content: not fetched */
	if (!type || strcasecmp(type, "text") == 0 || strcasecmp(type, "text/plain") == 0)
		begin_capture(c, f, false, false);
	else if (strcasecmp(type, "html") == 0 || strcasecmp(type, "text/html") == 0)
		begin_capture(c, f, true, false);
	else if (strcasecmp(type, "xhtml") == 0 || strcasecmp(type, "application/xhtml+xml") == 0)
		begin_capture(c, f, true, true);
	/* other media types (base64 and the like): ignored */
}

/* ---- expat callbacks ----------------------------------------------------- */

static void start_item_child(ctx_t *c, const char *ns, const char *name, const XML_Char **atts)
{
	item_t *it = &c->it;
	bool plain = !*ns;
	bool atom = strcmp(ns, NS_ATOM) == 0;
	if (c->root == 3 && atom) {
		if (strcmp(name, "source") == 0 || strcmp(name, "author") == 0 ||
		    strcmp(name, "contributor") == 0) {
			c->ignore_depth = c->depth;
		} else if (strcmp(name, "title") == 0 && !it->title) {
			begin_atom_text(c, F_TITLE, atts);
		} else if (strcmp(name, "summary") == 0 && !it->desc) {
			begin_atom_text(c, F_DESC, atts);
		} else if (strcmp(name, "content") == 0 && !it->content) {
			begin_atom_text(c, F_CONTENT, atts);
		} else if (strcmp(name, "id") == 0) {
			begin_capture(c, F_ID, false, false);
		} else if (strcmp(name, "published") == 0) {
			begin_capture(c, F_PUBLISHED, false, false);
		} else if (strcmp(name, "updated") == 0) {
			begin_capture(c, F_UPDATED, false, false);
		} else if (strcmp(name, "link") == 0) {
			const char *rel = attr(atts, "rel"), *href = attr(atts, "href"), *type = attr(atts, "type");
			if (!rel || strcmp(rel, "alternate") == 0) {
				/* the first alternate, or a text/html one over another type */
				if (!it->have_alt_link || (type && strcasecmp(type, "text/html") == 0 && !it->link)) {
					free(it->link);
					it->link = xstrdup(href);
					it->have_alt_link = true;
				}
			} else if (strcmp(rel, "enclosure") == 0 && (is_image_type(type) || (!type && looks_like_image_url(href)))) {
				set_once(&it->enclosure_url, href);
			}
		}
		return;
	}
	if (plain && c->root != 3) {
		if (strcmp(name, "title") == 0 && !it->title)
			begin_capture(c, F_TITLE, true, false);
		else if (strcmp(name, "link") == 0)
			begin_capture(c, F_LINK, false, false);
		else if (strcmp(name, "guid") == 0)
			begin_capture(c, F_GUID, false, false);
		else if (strcmp(name, "pubDate") == 0)
			begin_capture(c, F_PUBDATE, false, false);
		else if (strcmp(name, "description") == 0 && !it->desc)
			begin_capture(c, F_DESC, true, false);
		else if (strcmp(name, "enclosure") == 0) {
			const char *url = attr(atts, "url"), *type = attr(atts, "type");
			if (is_image_type(type) || (!type && looks_like_image_url(url)))
				set_once(&it->enclosure_url, url);
		}
		return;
	}
	if (strcmp(ns, NS_CONTENT) == 0 && strcmp(name, "encoded") == 0 && !it->content) {
		begin_capture(c, F_CONTENT, true, false);
	} else if (strcmp(ns, NS_DC) == 0 && strcmp(name, "date") == 0) {
		begin_capture(c, F_DCDATE, false, false);
	} else if (strcmp(ns, NS_MEDIA) == 0) {
		if (strcmp(name, "content") == 0) {
			const char *url = attr(atts, "url"), *medium = attr(atts, "medium"), *type = attr(atts, "type");
			bool image = (medium && strcmp(medium, "image") == 0) || is_image_type(type) ||
			             (!medium && !type && looks_like_image_url(url));
			if (image && !it->media_url && url && *url) {
				it->media_url = xstrdup(url);
				const char *w = attr(atts, "width"), *h = attr(atts, "height");
				it->media_w = w ? atoi(w) : 0;
				it->media_h = h ? atoi(h) : 0;
				if (it->media_w < 0 || it->media_w > 100000)
					it->media_w = 0;
				if (it->media_h < 0 || it->media_h > 100000)
					it->media_h = 0;
			}
		} else if (strcmp(name, "thumbnail") == 0) {
			set_once(&it->thumb_url, attr(atts, "url"));
		} else if (strcmp(name, "description") == 0 && !it->media_desc) {
			const char *type = attr(atts, "type");
			begin_capture(c, F_MEDIA_DESC, type && strcasecmp(type, "html") == 0, false);
		} else if (strcmp(name, "rating") == 0) {
			begin_capture(c, F_MEDIA_RATING, false, false);
		}
	}
}

static void start_channel_child(ctx_t *c, const char *ns, const char *name, const XML_Char **atts)
{
	bool direct = c->depth == c->channel_depth + 1;
	if (c->root == 3) {
		if (strcmp(ns, NS_ATOM) != 0 || !direct)
			return;
		if (strcmp(name, "title") == 0) {
			begin_atom_text(c, F_CH_TITLE, atts);
			c->ch_title_html = c->cap_html;
		} else if (strcmp(name, "icon") == 0) {
			begin_capture(c, F_CH_ICON, false, false);
		} else if (strcmp(name, "logo") == 0) {
			begin_capture(c, F_CH_LOGO, false, false);
		} else if (strcmp(name, "link") == 0) {
			const char *rel = attr(atts, "rel");
			if (!rel || strcmp(rel, "alternate") == 0)
				set_once(&c->ch_link, attr(atts, "href"));
		} else if (strcmp(name, "author") == 0) {
			c->ignore_depth = c->depth;
		}
		return;
	}
	if (!*ns) {
		if (c->image_depth && strcmp(name, "url") == 0 && c->depth == c->image_depth + 1) {
			begin_capture(c, F_CH_IMAGE_URL, false, false);
		} else if (!direct) {
			return;
		} else if (strcmp(name, "title") == 0) {
			begin_capture(c, F_CH_TITLE, true, false);
			c->ch_title_html = true;
		} else if (strcmp(name, "link") == 0) {
			begin_capture(c, F_CH_LINK, false, false);
		} else if (strcmp(name, "language") == 0) {
			begin_capture(c, F_CH_LANG, false, false);
		} else if (strcmp(name, "ttl") == 0) {
			begin_capture(c, F_CH_TTL, false, false);
		} else if (strcmp(name, "image") == 0) {
			c->image_depth = c->depth;
		}
	} else if (direct && strcmp(ns, NS_WEBFEEDS) == 0 && strcmp(name, "icon") == 0) {
		begin_capture(c, F_CH_WEBICON, false, false);
	} else if (direct && strcmp(ns, NS_ITUNES) == 0 && strcmp(name, "image") == 0) {
		set_once(&c->ch_image, attr(atts, "href"));
	}
}

static void XMLCALL on_start(void *ud, const XML_Char *full, const XML_Char **atts)
{
	ctx_t *c = ud;
	c->depth++;
	if (c->depth > MAX_DEPTH)
		return;
	char ns[256];
	const char *name = split_name(full, ns, sizeof ns);

	if (c->cap != F_NONE) {
		if (c->cap_xhtml) {
			/* xhtml content: write the element back as markup */
			strbuf_adds(&c->text, "<");
			strbuf_adds(&c->text, name);
			for (size_t i = 0; atts[i]; i += 2) {
				const char *an = strrchr(atts[i], ' ');
				an = an ? an + 1 : atts[i];
				if (strcmp(an, "href") == 0 || strcmp(an, "src") == 0 || strcmp(an, "alt") == 0 ||
				    strcmp(an, "class") == 0) {
					strbuf_adds(&c->text, " ");
					strbuf_adds(&c->text, an);
					strbuf_adds(&c->text, "=\"");
					add_escaped(&c->text, atts[i + 1], strlen(atts[i + 1]));
					strbuf_adds(&c->text, "\"");
				}
			}
			strbuf_adds(&c->text, ">");
		}
		return;
	}
	if (c->depth == 1) {
		if (!*ns && strcmp(name, "rss") == 0)
			c->root = 1;
		else if (strcmp(ns, NS_RDF) == 0 && strcmp(name, "RDF") == 0)
			c->root = 2;
		else if (strcmp(ns, NS_ATOM) == 0 && strcmp(name, "feed") == 0)
			c->root = 3;
		else
			fail(c, xasprintf("not an RSS or Atom feed (the document is <%s>)", name));
		if (c->root == 3) {
			c->channel_depth = 1;
			set_once(&c->ch_lang, attr(atts, NS_XML_LANG));
		}
		return;
	}
	if (c->ignore_depth)
		return;
	if (c->item_depth) {
		if (!c->item_skip)
			start_item_child(c, ns, name, atts);
		return;
	}
	bool is_item = (c->root != 3 && !*ns && strcmp(name, "item") == 0) ||
	               (c->root == 3 && strcmp(ns, NS_ATOM) == 0 && strcmp(name, "entry") == 0 && c->depth == 2);
	if (is_item) {
		c->item_depth = c->depth;
		c->item_skip = c->items >= RSS_MAX_ITEMS;
		if (c->item_skip)
			c->out->skipped++;
		c->items++;
		item_clear(&c->it);
		return;
	}
	if (c->root != 3 && !*ns && strcmp(name, "channel") == 0 && !c->channel_depth) {
		c->channel_depth = c->depth;
		return;
	}
	if (c->channel_depth)
		start_channel_child(c, ns, name, atts);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	ctx_t *c = ud;
	if (c->cap == F_NONE || len <= 0 || c->depth > MAX_DEPTH)
		return;
	if (c->text.len + (size_t)len > MAX_FIELD) {
		c->text_capped = true;
		return;
	}
	if (c->cap_xhtml)
		add_escaped(&c->text, s, (size_t)len);
	else
		strbuf_add(&c->text, s, (size_t)len);
}

static char **field_slot(ctx_t *c, field_t f)
{
	item_t *it = &c->it;
	switch (f) {
	case F_TITLE: return &it->title;
	case F_LINK: return &it->link;
	case F_GUID: return &it->guid;
	case F_ID: return &it->id;
	case F_PUBDATE: return &it->pubdate;
	case F_DCDATE: return &it->dcdate;
	case F_PUBLISHED: return &it->published;
	case F_UPDATED: return &it->updated;
	case F_DESC: return &it->desc;
	case F_CONTENT: return &it->content;
	case F_MEDIA_DESC: return &it->media_desc;
	case F_MEDIA_RATING: return &it->media_rating;
	case F_CH_TITLE: return &c->ch_title;
	case F_CH_LINK: return &c->ch_link;
	case F_CH_IMAGE_URL: return &c->ch_image;
	case F_CH_ICON: return &c->ch_icon;
	case F_CH_LOGO: return &c->ch_logo;
	case F_CH_WEBICON: return &c->ch_webicon;
	case F_CH_LANG: return &c->ch_lang;
	case F_CH_TTL:
	case F_NONE: return NULL;
	}
	return NULL;
}

static void end_capture(ctx_t *c)
{
	field_t f = c->cap;
	c->cap = F_NONE;
	const char *t = strbuf_str(&c->text);
	if (f == F_CH_TTL) {
		long v = strtol(t, NULL, 10);
		c->out->ttl_min = v > 0 && v < 100000 ? (int)v : 0;
		return;
	}
	char **slot = field_slot(c, f);
	if (!slot || *slot)
		return; /* the first one counts */
	*slot = xstrdup(t);
	if (f == F_TITLE)
		c->it.title_html = c->cap_html;
	else if (f == F_DESC)
		c->it.desc_html = c->cap_html;
	else if (f == F_CONTENT)
		c->it.content_html = c->cap_html;
}

static void finish_item(ctx_t *c);

static void XMLCALL on_end(void *ud, const XML_Char *full)
{
	ctx_t *c = ud;
	if (c->depth > MAX_DEPTH) {
		c->depth--;
		return;
	}
	if (c->cap != F_NONE) {
		if (c->depth == c->cap_depth) {
			end_capture(c);
		} else if (c->cap_xhtml) {
			const char *sp = strrchr(full, ' ');
			strbuf_adds(&c->text, "</");
			strbuf_adds(&c->text, sp ? sp + 1 : full);
			strbuf_adds(&c->text, ">");
		}
	}
	if (c->depth == c->ignore_depth)
		c->ignore_depth = 0;
	if (c->depth == c->image_depth)
		c->image_depth = 0;
	if (c->depth == c->item_depth) {
		if (!c->item_skip)
			finish_item(c);
		item_clear(&c->it);
		c->item_depth = 0;
		c->item_skip = false;
	}
	if (c->depth == c->channel_depth && c->root != 3)
		c->channel_depth = 0;
	c->depth--;
}

/* Entities declared in the document are how "billion laughs" attacks work;
 * no feed needs them.  Refuse the document. */
static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
                                   int value_len, const XML_Char *base, const XML_Char *system_id,
                                   const XML_Char *public_id, const XML_Char *notation)
{
	(void)is_param, (void)value, (void)value_len, (void)base, (void)system_id, (void)public_id,
		(void)notation;
	ctx_t *c = ud;
	fail(c, xasprintf("the feed declares XML entities (<!ENTITY %.40s>); refused", name));
}

/* windows-1252 and ISO-8859-15, which expat does not know but Dutch
 * websites still send. */
static int XMLCALL on_unknown_encoding(void *data, const XML_Char *name, XML_Encoding *info)
{
	(void)data;
	static const unsigned short cp1252[32] = {
		0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
		0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
		0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178 };
	bool w1252 = strcasecmp(name, "windows-1252") == 0 || strcasecmp(name, "cp1252") == 0;
	bool l9 = strcasecmp(name, "iso-8859-15") == 0 || strcasecmp(name, "latin-9") == 0 ||
	          strcasecmp(name, "latin9") == 0;
	if (!w1252 && !l9)
		return XML_STATUS_ERROR;
	for (int i = 0; i < 256; i++)
		info->map[i] = i;
	if (w1252) {
		for (int i = 0; i < 32; i++)
			info->map[0x80 + i] = cp1252[i];
	} else {
		info->map[0xA4] = 0x20AC;
		info->map[0xA6] = 0x0160;
		info->map[0xA8] = 0x0161;
		info->map[0xB4] = 0x017D;
		info->map[0xB8] = 0x017E;
		info->map[0xBC] = 0x0152;
		info->map[0xBD] = 0x0153;
		info->map[0xBE] = 0x0178;
	}
	info->data = NULL;
	info->convert = NULL;
	info->release = NULL;
	return XML_STATUS_OK;
}

/* ---- items to posts ------------------------------------------------------ */

/* Date of an item: the formats the element should have first, then the other. */
static bool parse_date(const char *s, bool rfc822_first, int64_t *out)
{
	char *t = collapse(s);
	if (!t)
		return false;
	bool ok = rfc822_first ? (time_parse_rfc822(t, out) || time_parse_iso8601(t, out))
	                       : (time_parse_iso8601(t, out) || time_parse_rfc822(t, out));
	free(t);
	return ok;
}

/* src (and alt) of the first <img> in HTML, scanned loosely. */
static char *first_img(const char *html, char **alt)
{
	*alt = NULL;
	if (!html)
		return NULL;
	const char *p = html;
	while ((p = strcasestr(p, "<img")) != NULL) {
		p += 4;
		if (!is_ws(*p) && *p != '/')
			continue;
		const char *end = strchr(p, '>');
		if (!end)
			return NULL;
		char *tag = xstrndup(p, (size_t)(end - p));
		char *src = NULL;
		const char *names[2] = { "src", "alt" };
		char *vals[2] = { NULL, NULL };
		for (int k = 0; k < 2; k++) {
			const char *q = tag;
			while ((q = strcasestr(q, names[k])) != NULL) {
				bool word = q == tag || is_ws(q[-1]);
				q += strlen(names[k]);
				const char *v = q;
				while (is_ws(*v))
					v++;
				if (!word || *v != '=')
					continue;
				v++;
				while (is_ws(*v))
					v++;
				char quote = (*v == '"' || *v == '\'') ? *v++ : 0;
				size_t n = quote ? strcspn(v, quote == '"' ? "\"" : "'") : strcspn(v, " \t\r\n/");
				vals[k] = html_to_plain(v, n);
				break;
			}
		}
		free(tag);
		src = vals[0];
		if (src && *src) {
			*alt = vals[1] && *vals[1] ? vals[1] : NULL;
			if (!*alt)
				free(vals[1]);
			return src;
		}
		free(src);
		free(vals[1]);
		p = end;
	}
	return NULL;
}

/* Cut p's text to max bytes at a word boundary with "…"; spans past the cut
 * are dropped, spans across it shortened. */
static void cut_post_text(post_t *p, size_t max)
{
	size_t n = strlen(p->text);
	if (n <= max)
		return;
	size_t cut = max;
	while (cut > 0 && ((unsigned char)p->text[cut] & 0xC0) == 0x80)
		cut--;
	size_t word = cut;
	while (word > max / 2 && !is_ws(p->text[word]))
		word--;
	if (word > max / 2)
		cut = word;
	while (cut > 0 && is_ws(p->text[cut - 1]))
		cut--;
	char *t = xasprintf("%.*s…", (int)cut, p->text);
	free(p->text);
	p->text = t;
	size_t k = 0;
	for (size_t i = 0; i < p->n_spans; i++) {
		span_t s = p->spans[i];
		if (s.start >= cut) {
			free(s.target);
			continue;
		}
		if (s.end > cut)
			s.end = (uint32_t)cut;
		p->spans[k++] = s;
	}
	p->n_spans = k;
}

static void finish_item(ctx_t *c)
{
	item_t *it = &c->it;
	rss_feed_t *f = c->out;
	const char *base = c->ch_link ? c->ch_link : c->feed_url;

	/* title: RSS titles are "plain" but routinely carry escaped HTML */
	char *title = NULL;
	if (it->title)
		title = it->title_html ? html_to_plain(it->title, strlen(it->title)) : NULL;
	if (!title)
		title = xstrdup(it->title);
	char *t2 = collapse(title);
	free(title);
	title = t2;

	/* summary: the short form when there is one */
	const char *body = it->desc && *it->desc ? it->desc : it->content;
	bool body_html = it->desc && *it->desc ? it->desc_html : it->content_html;
	post_t *p = post_new();
	if (body) {
		if (body_html) {
			html_to_post_text(body, strlen(body), NULL, p);
		} else {
			char *b = collapse(body);
			free(p->text);
			p->text = b ? b : xstrdup("");
		}
		cut_post_text(p, RSS_MAX_SUMMARY);
	}
	if (title) {
		size_t tl = strlen(title);
		if (!*p->text) {
			free(p->text);
			p->text = xstrdup(title);
		} else if (strncmp(p->text, title, tl) != 0) {
			char *t = xasprintf("%s\n\n%s", title, p->text);
			free(p->text);
			p->text = t;
			for (size_t i = 0; i < p->n_spans; i++) {
				p->spans[i].start += (uint32_t)(tl + 2);
				p->spans[i].end += (uint32_t)(tl + 2);
			}
		}
	}

	/* image */
	char *img_alt = NULL;
	char *img = NULL;
	const char *img_src = it->media_url ? it->media_url : it->enclosure_url ? it->enclosure_url : it->thumb_url;
	if (img_src)
		img = rss_resolve_url(base, img_src);
	if (!img) {
		char *raw = first_img(it->content, &img_alt);
		if (!raw)
			raw = first_img(it->desc_html ? it->desc : NULL, &img_alt);
		img = raw ? rss_resolve_url(base, raw) : NULL;
		free(raw);
	}
	if (img) {
		media_t *m = post_add_media(p);
		m->kind = MEDIA_IMAGE;
		m->url = img;
		if (it->thumb_url && img_src != it->thumb_url)
			m->preview_url = rss_resolve_url(base, it->thumb_url);
		char *alt = it->media_desc ? collapse(it->media_desc) : NULL;
		m->alt = alt ? alt : img_alt;
		if (alt)
			free(img_alt);
		img_alt = NULL;
		if (img_src == it->media_url) {
			m->width = it->media_w;
			m->height = it->media_h;
		}
	}
	free(img_alt);

	if (!*p->text && !p->n_media) {
		f->skipped++;
		post_free(p);
		free(title);
		return;
	}

	p->network = NET_RSS;
	p->visibility = VIS_PUBLIC;
	char *link = it->link ? rss_resolve_url(base, it->link) : NULL;
	p->url = link;
	char *guid = collapse(it->guid), *id = collapse(it->id);
	char *ident;
	if (guid)
		ident = xstrdup(guid);
	else if (id)
		ident = xstrdup(id);
	else if (link)
		ident = xstrdup(link);
	else {
		char *basis = xasprintf("%s\x1f%s\x1f%s", title ? title : "", it->pubdate ? it->pubdate : "",
		                        p->text);
		char hex[SHA256_HEX_LEN + 1];
		sha256_hex(basis, strlen(basis), hex);
		free(basis);
		ident = xasprintf("sha256:%.32s", hex);
	}
	free(guid);
	free(id);
	p->key = xasprintf("rss:%s", ident);
	p->id = ident;

	int64_t t = 0, up = 0;
	bool dated = (it->pubdate && parse_date(it->pubdate, true, &t)) ||
	             (it->dcdate && parse_date(it->dcdate, false, &t)) ||
	             (it->published && parse_date(it->published, false, &t));
	bool has_up = it->updated && parse_date(it->updated, false, &up);
	if (!dated && has_up) {
		t = up;
		dated = true;
	} else if (dated && has_up && up > t) {
		p->edited = up;
	}
	if (dated) {
		p->created = t > c->now ? c->now : t;
	} else {
		p->created = 0;
		f->undated++;
	}
	if (it->media_rating) {
		char *r = collapse(it->media_rating);
		p->sensitive = r && strcasecmp(r, "adult") == 0;
		free(r);
	}
	if (c->spec) {
		p->source = xstrdup(c->spec->key);
		p->person = xstrdup(c->spec->person);
	}
	free(title);
	if (post_list_find(&f->posts, p->key) >= 0) {
		f->skipped++;
		post_free(p);
		return;
	}
	post_list_push(&f->posts, p);
}

/* ---- public -------------------------------------------------------------- */

void rss_feed_init(rss_feed_t *f)
{
	memset(f, 0, sizeof *f);
	post_list_init(&f->posts);
}

void rss_feed_clear(rss_feed_t *f)
{
	author_clear(&f->author);
	free(f->lang);
	post_list_clear(&f->posts);
	rss_feed_init(f);
}

static char *lang_code(const char *l)
{
	char *t = collapse(l);
	if (!t)
		return NULL;
	size_t n = strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
	char *out = NULL;
	if (n >= 2 && n <= 3 && (t[n] == '\0' || t[n] == '-' || t[n] == '_')) {
		out = xstrndup(t, n);
		for (char *q = out; *q; q++)
			*q = (char)tolower((unsigned char)*q);
	}
	free(t);
	return out;
}

static void ctx_free(ctx_t *c)
{
	item_clear(&c->it);
	strbuf_free(&c->text);
	free(c->ch_title);
	free(c->ch_link);
	free(c->ch_image);
	free(c->ch_icon);
	free(c->ch_logo);
	free(c->ch_webicon);
	free(c->ch_lang);
	free(c->err);
}

bool rss_parse(const char *xml, size_t len, const char *feed_url, const source_spec_t *spec,
               int64_t now, rss_feed_t *out, char **err)
{
	rss_feed_init(out);
	if (len > (size_t)INT32_MAX) {
		*err = xstrdup("the feed is too large");
		return false;
	}
	ctx_t c = { .out = out, .feed_url = feed_url, .spec = spec, .now = now };
	c.xp = XML_ParserCreateNS(NULL, ' ');
	if (!c.xp) {
		*err = xstrdup("cannot create an XML parser");
		return false;
	}
	XML_SetUserData(c.xp, &c);
	XML_SetElementHandler(c.xp, on_start, on_end);
	XML_SetCharacterDataHandler(c.xp, on_text);
	XML_SetEntityDeclHandler(c.xp, on_entity_decl);
	XML_SetUnknownEncodingHandler(c.xp, on_unknown_encoding, NULL);
	XML_SetParamEntityParsing(c.xp, XML_PARAM_ENTITY_PARSING_NEVER);
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 4)
	/* expat >= 2.4: cap entity expansion too (defence in depth) */
	XML_SetBillionLaughsAttackProtectionMaximumAmplification(c.xp, 20.0f);
	XML_SetBillionLaughsAttackProtectionActivationThreshold(c.xp, 1024 * 1024);
#endif
	enum XML_Status st = XML_Parse(c.xp, xml, (int)len, XML_TRUE);
	bool ok = true;
	if (c.err) {
		*err = c.err;
		c.err = NULL;
		ok = false;
	} else if (st != XML_STATUS_OK) {
		*err = xasprintf("XML error at line %lu: %s", (unsigned long)XML_GetCurrentLineNumber(c.xp),
		                 XML_ErrorString(XML_GetErrorCode(c.xp)));
		ok = false;
	} else if (c.root == 0) {
		*err = xstrdup("not an RSS or Atom feed (no document element)");
		ok = false;
	}
	if (ok) {
		out->atom = c.root == 3;
		char *name = c.ch_title ? (c.ch_title_html ? html_to_plain(c.ch_title, strlen(c.ch_title))
		                                           : xstrdup(c.ch_title))
		                        : NULL;
		out->author.name = collapse(name);
		free(name);
		char *site = c.ch_link ? rss_resolve_url(feed_url, c.ch_link) : NULL;
		if (!out->author.name) {
			char *host = url_host(site ? site : feed_url);
			out->author.name = host ? host : xstrdup("Feed");
		}
		out->author.url = site;
		char *host = url_host(site ? site : feed_url);
		out->author.handle = host;
		const char *icon = c.ch_image ? c.ch_image : c.ch_webicon ? c.ch_webicon : c.ch_icon ? c.ch_icon : c.ch_logo;
		out->author.avatar_url = icon ? rss_resolve_url(site ? site : feed_url, icon) : NULL;
		out->lang = lang_code(c.ch_lang);
		for (size_t i = 0; i < out->posts.len; i++) {
			post_t *p = out->posts.items[i];
			author_copy(&p->author, &out->author);
			p->lang = xstrdup(out->lang);
		}
	} else {
		rss_feed_clear(out);
	}
	XML_ParserFree(c.xp);
	ctx_free(&c);
	return ok;
}

/* ---- the adapter --------------------------------------------------------- */

typedef struct {
	char *key;
	int64_t when;
} seen_t;

typedef struct {
	char *url;
	char *etag, *last_modified;
	seen_t *seen;           /* first-seen times of undated items */
	size_t n_seen, cap_seen;
	keylist_t items;        /* the last fetch's items in document order; date or 0 */
	bool sent;
} rss_t;

static void keep_header(char **dst, const char *v, size_t max)
{
	free(*dst);
	*dst = wire_header_safe(v, max) ? xstrdup(v) : NULL;
}

static void r_init(source_t *s, const cJSON *state)
{
	rss_t *r = xcalloc(1, sizeof *r);
	s->priv = r;
	r->url = xstrdup(s->spec->handle);
	keep_header(&r->etag, json_str(state, "etag"), 512);
	keep_header(&r->last_modified, json_str(state, "last_modified"), 128);
	const cJSON *seen = json_get(state, "first_seen"), *it;
	cJSON_ArrayForEach(it, seen) {
		if (!cJSON_IsNumber(it) || !(it->valuedouble >= 0 && it->valuedouble < 1e12) || !it->string ||
		    strlen(it->string) > 4096 || r->n_seen >= MAX_FIRST_SEEN)
			continue;
		XGROW(r->seen, r->cap_seen, r->n_seen + 1);
		r->seen[r->n_seen++] = (seen_t){ xstrdup(it->string), (int64_t)it->valuedouble };
	}
	keylist_load(&r->items, json_get(state, "items"), RSS_MAX_ITEMS, MAX_ITEM_KEY);
}

static void r_begin(source_t *s)
{
	rss_t *r = s->priv;
	r->sent = false;
}

static net_request_t *r_next_request(source_t *s)
{
	rss_t *r = s->priv;
	if (r->sent)
		return NULL;
	r->sent = true;
	net_request_t *req = net_request_new(r->url ? r->url : "");
	net_request_add_header(req, "Accept",
	                       "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1");
	if (r->etag)
		net_request_add_header(req, "If-None-Match", r->etag);
	if (r->last_modified)
		net_request_add_header(req, "If-Modified-Since", r->last_modified);
	return req;
}

static int64_t first_seen(rss_t *r, const char *key, int64_t now)
{
	for (size_t i = 0; i < r->n_seen; i++)
		if (strcmp(r->seen[i].key, key) == 0)
			return r->seen[i].when;
	if (r->n_seen >= MAX_FIRST_SEEN) { /* forget the oldest entry */
		free(r->seen[0].key);
		memmove(r->seen, r->seen + 1, (r->n_seen - 1) * sizeof *r->seen);
		r->n_seen--;
	}
	XGROW(r->seen, r->cap_seen, r->n_seen + 1);
	r->seen[r->n_seen++] = (seen_t){ xstrdup(key), now };
	return now;
}

/* Whether an item listed after position i of the last fetch is in now. */
static bool later_item_stays(const keylist_t *before, size_t i, const keylist_t *now)
{
	for (size_t j = i + 1; j < before->n; j++)
		if (keylist_find(now, before->items[j].key) >= 0)
			return true;
	return false;
}

/* Report the items of the last fetch that were withdrawn (see the design
 * note at the top); now becomes the last fetch. */
static void report_withdrawn(rss_t *r, keylist_t *now, size_t fresh, int64_t oldest, source_batch_t *b)
{
	if (now->n > 0) {
		for (size_t i = 0; i < r->items.n; i++) {
			const keylist_item_t *g = &r->items.items[i];
			if (keylist_find(now, g->key) >= 0)
				continue;
			bool withdrawn = fresh == 0 || (g->t != 0 && oldest != 0 && g->t >= oldest) ||
			                 (g->t == 0 && later_item_stays(&r->items, i, now));
			if (withdrawn)
				source_batch_add_deleted(b, g->key);
		}
	}
	keylist_clear(&r->items);
	r->items = *now;
	*now = (keylist_t)KEYLIST_INIT;
}

static source_status_t r_handle(source_t *s, const net_response_t *resp, source_batch_t *b)
{
	rss_t *r = s->priv;
	char *shown = url_redact(r->url ? r->url : "");
	source_status_t st;
	if (!resp) {
		source_batch_message(b, "feed %s: nothing was fetched", shown);
		st = SRC_ERR_DATA;
	} else if (resp->error != NET_OK) {
		source_batch_message(b, "feed %s: %s%s%s", shown, net_error_name(resp->error),
		                     resp->error_text ? ": " : "", resp->error_text ? resp->error_text : "");
		st = resp->error == NET_ERR_URL ? SRC_ERR_CONFIG : SRC_ERR_NETWORK;
	} else if (resp->status == 304) {
		st = SRC_NOT_MODIFIED;
	} else if (resp->status == 404 || resp->status == 410) {
		source_batch_message(b, "feed %s: HTTP %d (no such feed)", shown, resp->status);
		st = SRC_ERR_NOT_FOUND;
	} else if (resp->status == 429) {
		const char *ra = net_response_header(resp, "retry-after");
		long long d = ra ? strtoll(ra, NULL, 10) : 0;
		int64_t when;
		if (d > 0 && d < 86400)
			b->retry_at = s->now + d;
		else if (ra && time_parse_http_date(ra, &when) && when > s->now)
			b->retry_at = when;
		source_batch_message(b, "feed %s: HTTP 429 (too many requests)", shown);
		st = SRC_ERR_RATE;
	} else if (resp->status == 401 || resp->status == 403) {
		source_batch_message(b, "feed %s: HTTP %d (access refused)", shown, resp->status);
		st = SRC_ERR_DATA;
	} else if (resp->status != 200) {
		source_batch_message(b, "feed %s: HTTP %d", shown, resp->status);
		st = resp->status >= 500 ? SRC_ERR_NETWORK : SRC_ERR_DATA;
	} else {
		rss_feed_t f;
		char *err = NULL;
		if (!rss_parse(resp->body, resp->body_len, r->url, s->spec, s->now, &f, &err)) {
			source_batch_message(b, "feed %s: %s", shown, err);
			free(err);
			st = SRC_ERR_DATA;
		} else {
			int64_t oldest = 0;
			keylist_t now_items = KEYLIST_INIT;
			size_t fresh = 0;
			for (size_t i = 0; i < f.posts.len; i++) {
				post_t *p = f.posts.items[i];
				if (strlen(p->key) <= MAX_ITEM_KEY)
					keylist_put(&now_items, p->key, p->created, RSS_MAX_ITEMS);
				if (keylist_find(&r->items, p->key) < 0)
					fresh++;
				if (!p->created)
					p->created = first_seen(r, p->key, s->now);
				else if (!oldest || p->created < oldest)
					oldest = p->created;
				post_list_push(&b->posts, p);
			}
			f.posts.len = 0;
			/* items removed from a feed while newer ones stay were withdrawn */
			if (!f.undated && oldest) {
				b->authoritative = true;
				b->window_start = oldest;
			}
			report_withdrawn(r, &now_items, fresh, oldest, b);
			if (b->n_deleted)
				source_batch_message(b, "%zu items, %zu withdrawn from the feed", b->posts.len, b->n_deleted);
			else
				source_batch_message(b, "%zu items", b->posts.len);
			rss_feed_clear(&f);
			keep_header(&r->etag, net_response_header(resp, "etag"), 512);
			keep_header(&r->last_modified, net_response_header(resp, "last-modified"), 128);
			st = SRC_DONE;
		}
	}
	free(shown);
	return st;
}

static cJSON *r_save_state(source_t *s)
{
	rss_t *r = s->priv;
	cJSON *o = cJSON_CreateObject();
	if (r->etag)
		cJSON_AddStringToObject(o, "etag", r->etag);
	if (r->last_modified)
		cJSON_AddStringToObject(o, "last_modified", r->last_modified);
	if (r->n_seen) {
		cJSON *seen = cJSON_AddObjectToObject(o, "first_seen");
		for (size_t i = 0; i < r->n_seen; i++)
			cJSON_AddNumberToObject(seen, r->seen[i].key, (double)r->seen[i].when);
	}
	if (r->items.n)
		cJSON_AddItemToObject(o, "items", keylist_save(&r->items));
	return o;
}

static void r_destroy(source_t *s)
{
	rss_t *r = s->priv;
	if (!r)
		return;
	free(r->url);
	free(r->etag);
	free(r->last_modified);
	for (size_t i = 0; i < r->n_seen; i++)
		free(r->seen[i].key);
	free(r->seen);
	keylist_clear(&r->items);
	free(r);
	s->priv = NULL;
}

const source_ops_t rss_source_ops = {
	.name = "rss",
	.init = r_init,
	.begin = r_begin,
	.next_request = r_next_request,
	.handle = r_handle,
	.save_state = r_save_state,
	.destroy = r_destroy,
};
