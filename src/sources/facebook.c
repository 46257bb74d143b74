/*
 * facebook: the Facebook Page adapter.  See facebook.h for the cycle, the
 * error classes and the rate-limit rule.
 *
 * Paging: a cycle reads the newest page; when balie has seen the Page
 * before and that page does not reach back to the newest post it has (more
 * than a page was posted since), it asks for the next pages, at most
 * FB_MAX_PAGES in all.  Graph's paging.next is an absolute URL that carries
 * the access token in its query: it is never used, logged or stored; the
 * next request is rebuilt from the paging.cursors.after cursor, with the
 * token in the Authorization header as always.  The newest post and the
 * ETag are committed only when a cycle completes, so a cycle that fails
 * half-way is repeated whole.
 *
 * The design choice worth knowing: everything Graph says about trouble is in
 * the JSON body ("error": {code, error_subcode, message, fbtrace_id}) and in
 * usage headers, so handle() reads both on every answer, whatever the HTTP
 * status.  A field Graph does not know fails the whole request, so the
 * UNVERIFIED field unshimmed_url is dropped after one "nonexisting field"
 * answer (the u= of the redirect shim still gives the real link).  Nothing
 * here is trusted: every field is type-checked, every count bounded.
 */
#include "facebook.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/log.h"
#include "../base/url.h"
#include "../base/xmalloc.h"
#include "json.h"
#include "timeparse.h"
#include "wire.h"

#define FB_LIMIT 10               /* posts asked per page */
#define FB_MAX_PAGES 3            /* posts pages per cycle when catching up */
#define FB_MAX_CURSOR 512         /* bytes of a paging cursor */
#define FB_MAX_POSTS 25           /* never take more from one answer */
#define FB_MAX_MEDIA 10           /* photos kept from one album */
#define FB_MAX_TEXT (32 * 1024)   /* bytes of message kept */
#define FB_MAX_FIELD 2048         /* bytes of a title, name, URL */
#define FB_PAGE_REFRESH_S 86400   /* Page name and picture: daily */
#define FB_USAGE_HOLD_PCT 80      /* back off above this usage */
#define FB_RATE_MIN_S 900         /* first rate-limit back-off */
#define FB_RATE_MAX_S 7200        /* longest */

/* ---- Graph version (process-wide, set from the config) ------------------- */

static wire_version_t graph_version = WIRE_VERSION_INIT(FACEBOOK_GRAPH_VERSION_DEFAULT);

static bool version_valid(const char *v)
{
	if (!v || v[0] != 'v')
		return false;
	const char *p = v + 1;
	size_t n = strspn(p, "0123456789");
	if (n < 1 || n > 3 || p[n] != '.')
		return false;
	p += n + 1;
	n = strspn(p, "0123456789");
	return n >= 1 && n <= 3 && p[n] == '\0';
}

bool facebook_set_graph_version(const char *v)
{
	if (v && !version_valid(v))
		return false;
	wire_version_set(&graph_version, v ? v : FACEBOOK_GRAPH_VERSION_DEFAULT);
	return true;
}

/* ---- small helpers ------------------------------------------------------- */

/* A string field that is not empty and not absurdly long. */
static const char *jtext(const cJSON *o, const char *k)
{
	return json_text(o, k, FB_MAX_FIELD);
}

/* A number field as a long; dflt when absent, NaN or beyond a billion. */
static long jnum(const cJSON *o, const char *k, long dflt)
{
	return (long)json_num(o, k, -1e9, 1e9, (double)dflt);
}

static bool is_http_url(const char *u)
{
	return wire_http_url(u, FB_MAX_FIELD);
}

/* Graph's "2026-10-14T08:30:00+0000" -> Unix seconds; -1 when absent or malformed. */
static int64_t parse_graph_time(const char *s)
{
	int64_t t;
	return s && time_parse_iso8601(s, &t) ? t : -1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* ---- link shim ------------------------------------------------------------ */

char *facebook_unshim_url(const char *url)
{
	if (!url)
		return NULL;
	char *host = url_host(url);
	bool shim = host && (strncmp(host, "l.facebook.", 11) == 0 || strncmp(host, "lm.facebook.", 12) == 0);
	free(host);
	const char *path = shim ? strstr(url, "://") : NULL;
	if (path)
		path = strchr(path + 3, '/');
	if (!path || strncmp(path, "/l.php?", 7) != 0)
		return xstrdup(url);
	const char *q = path + 6; /* at '?' */
	const char *u = NULL;
	for (const char *p = q; p && *p && *p != '#'; p = strchr(p, '&')) {
		p++; /* past '?' or '&' */
		if (strncmp(p, "u=", 2) == 0) {
			u = p + 2;
			break;
		}
	}
	if (!u)
		return xstrdup(url);
	size_t n = strcspn(u, "&#");
	char *out = xmalloc(n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (u[i] == '%' && i + 2 < n && hexval((unsigned char)u[i + 1]) >= 0 &&
		    hexval((unsigned char)u[i + 2]) >= 0) {
			int c = hexval((unsigned char)u[i + 1]) * 16 + hexval((unsigned char)u[i + 2]);
			if (c < 0x21 || c == 0x7f) { /* no control characters or spaces in a link */
				free(out);
				return xstrdup(url);
			}
			*o++ = (char)c;
			i += 2;
		} else if (u[i] == '%') { /* a broken escape: not a link we can trust */
			free(out);
			return xstrdup(url);
		} else {
			*o++ = u[i];
		}
	}
	*o = '\0';
	if (!is_http_url(out)) {
		free(out);
		return xstrdup(url);
	}
	return out;
}

/* ---- adapter state -------------------------------------------------------- */

typedef enum { STEP_PAGE, STEP_POSTS, STEP_END } step_t;

typedef struct {
	char *page_id;        /* validated, or NULL when the configured id is unusable */
	char *base;           /* "https://graph.facebook.com" */
	char *page_name;
	char *page_picture;
	char *page_link;
	char *page_username;
	int64_t page_fetched; /* wall clock; 0 = never */
	char *etag;           /* of the last posts answer */
	int64_t hold_until;   /* no requests before this (usage or rate limit) */
	int rate_strikes;     /* consecutive rate-limit answers */
	bool lean_fields;     /* Graph rejected unshimmed_url: do without */
	char *newest_id;      /* newest post of the last complete cycle (persisted) */
	int64_t newest_created;
	step_t step;
	/* this cycle */
	int pages;            /* posts pages read */
	char *after;          /* cursor of the next page to ask for, or NULL */
	char *cycle_etag;     /* the first page's ETag, committed when the cycle completes */
	char *cycle_newest_id;
	int64_t cycle_newest_created;
	int64_t cycle_oldest; /* oldest created_time seen (INT64_MAX: none) */
	int cycle_seen, cycle_skipped;
} fb_t;

static bool page_id_valid(const char *id)
{
	if (!id || !*id || strlen(id) > 100)
		return false;
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			return false;
	return true;
}

static void fb_init(source_t *s, const cJSON *state)
{
	fb_t *f = xcalloc(1, sizeof *f);
	s->priv = f;
	f->page_id = xstrdup(s->spec->handle ? s->spec->handle : "");
	const char *srv = s->spec->server && *s->spec->server ? s->spec->server : FACEBOOK_GRAPH_DEFAULT;
	f->base = xstrdup(srv);
	size_t n = strlen(f->base);
	while (n > 0 && f->base[n - 1] == '/')
		f->base[--n] = '\0';
	f->step = STEP_END;
	if (!cJSON_IsObject(state))
		return;
	const cJSON *page = json_get(state, "page");
	if (cJSON_IsObject(page)) {
		f->page_name = xstrdup(jtext(page, "name"));
		const char *pic = jtext(page, "picture");
		f->page_picture = is_http_url(pic) ? xstrdup(pic) : NULL;
		const char *link = jtext(page, "link");
		f->page_link = is_http_url(link) ? xstrdup(link) : NULL;
		f->page_username = xstrdup(jtext(page, "username"));
		const cJSON *fe = json_get(page, "fetched");
		if (cJSON_IsNumber(fe) && fe->valuedouble > 0 && fe->valuedouble < 1e12)
			f->page_fetched = (int64_t)fe->valuedouble;
	}
	const char *etag = jtext(state, "etag");
	if (etag && strlen(etag) < 256 && !strpbrk(etag, "\r\n"))
		f->etag = xstrdup(etag);
	const cJSON *hu = json_get(state, "hold_until");
	if (cJSON_IsNumber(hu) && hu->valuedouble > 0 && hu->valuedouble < 1e12)
		f->hold_until = (int64_t)hu->valuedouble;
	long st = jnum(state, "rate_strikes", 0);
	f->rate_strikes = st > 0 && st < 16 ? (int)st : 0;
	f->lean_fields = json_true(state, "lean_fields");
	const cJSON *newest = json_get(state, "newest");
	const char *nid = jtext(newest, "id");
	int64_t nc = (int64_t)json_int(newest, "created", 1, 1LL << 40, 0);
	if (nid && strlen(nid) <= 200 && nc > 0) {
		f->newest_id = xstrdup(nid);
		f->newest_created = nc;
	}
}

static void cycle_clear(fb_t *f)
{
	f->pages = 0;
	free(f->after);
	free(f->cycle_etag);
	free(f->cycle_newest_id);
	f->after = f->cycle_etag = f->cycle_newest_id = NULL;
	f->cycle_newest_created = 0;
	f->cycle_oldest = INT64_MAX;
	f->cycle_seen = f->cycle_skipped = 0;
}

static void fb_begin(source_t *s)
{
	fb_t *f = s->priv;
	bool stale = !f->page_name || f->page_fetched <= 0 || s->now - f->page_fetched >= FB_PAGE_REFRESH_S ||
	             f->page_fetched > s->now + FB_PAGE_REFRESH_S;
	f->step = stale ? STEP_PAGE : STEP_POSTS;
	cycle_clear(f);
}

static const char *fields_full =
	"id,message,created_time,updated_time,permalink_url,full_picture,"
	"attachments{media_type,type,title,description,url,unshimmed_url,"
	"media{image{src,width,height}},target{id,url},"
	"subattachments{media_type,type,title,description,url,media{image{src,width,height}},target{id,url}}}";
static const char *fields_lean =
	"id,message,created_time,updated_time,permalink_url,full_picture,"
	"attachments{media_type,type,title,description,url,"
	"media{image{src,width,height}},target{id,url},"
	"subattachments{media_type,type,title,description,url,media{image{src,width,height}},target{id,url}}}";
static const char *fields_page = "id,name,link,username,picture.type(large){url}";

static net_request_t *fb_next_request(source_t *s)
{
	fb_t *f = s->priv;
	if (f->step == STEP_END || !*f->page_id || s->now < f->hold_until)
		return NULL;
	/* Without a token the request still goes out: Graph's answer (code 104)
	 * becomes SRC_ERR_AUTH with the advice, instead of a silent source. */
	char *token = wire_token(s->token);
	char ver[16];
	wire_version_get(&graph_version, ver);
	char *id = url_encode(f->page_id);
	char *fields = url_encode(f->step == STEP_PAGE ? fields_page : f->lean_fields ? fields_lean : fields_full);
	char *url;
	if (f->step == STEP_PAGE) {
		url = xasprintf("%s/%s/%s?fields=%s", f->base, ver, id, fields);
	} else if (f->after) { /* rebuilt from the cursor: never paging.next itself */
		char *after = url_encode(f->after);
		url = xasprintf("%s/%s/%s/posts?fields=%s&limit=%d&after=%s", f->base, ver, id, fields, FB_LIMIT, after);
		free(after);
	} else {
		url = xasprintf("%s/%s/%s/posts?fields=%s&limit=%d", f->base, ver, id, fields, FB_LIMIT);
	}
	net_request_t *r = net_request_new(url);
	wire_bearer(r, token);
	free(token);
	net_request_add_header(r, "Accept", "application/json");
	if (f->step == STEP_POSTS && f->etag && !f->after)
		net_request_add_header(r, "If-None-Match", f->etag);
	free(url);
	free(fields);
	free(id);
	return r;
}

/* ---- usage headers and errors --------------------------------------------- */

static int usage_of(const cJSON *o)
{
	int pct = 0;
	static const char *const keys[] = { "call_count", "total_cputime", "total_time" };
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		long v = jnum(o, keys[i], 0);
		if (v > pct)
			pct = v > 1000 ? 1000 : (int)v;
	}
	return pct;
}

/* Highest usage percentage in the usage headers and the longest
 * estimated_time_to_regain_access (minutes). */
static void read_usage(const net_response_t *r, int *pct, long *eta_min)
{
	*pct = 0;
	*eta_min = 0;
	static const char *const flat[] = { "X-App-Usage", "X-Page-Usage" };
	for (size_t i = 0; i < sizeof flat / sizeof *flat; i++) {
		const char *h = net_response_header(r, flat[i]);
		cJSON *o = h ? cJSON_Parse(h) : NULL;
		if (cJSON_IsObject(o)) {
			int u = usage_of(o);
			if (u > *pct)
				*pct = u;
		}
		cJSON_Delete(o);
	}
	const char *h = net_response_header(r, "X-Business-Use-Case-Usage");
	cJSON *o = h ? cJSON_Parse(h) : NULL;
	if (cJSON_IsObject(o)) {
		const cJSON *biz;
		cJSON_ArrayForEach(biz, o) {
			if (!cJSON_IsArray(biz))
				continue;
			const cJSON *e;
			cJSON_ArrayForEach(e, biz) {
				if (!cJSON_IsObject(e))
					continue;
				int u = usage_of(e);
				if (u > *pct)
					*pct = u;
				long eta = jnum(e, "estimated_time_to_regain_access", 0);
				if (eta > *eta_min)
					*eta_min = eta > 24 * 60 ? 24 * 60 : eta;
			}
		}
	}
	cJSON_Delete(o);
}

static void note_usage(source_t *s, const net_response_t *r)
{
	fb_t *f = s->priv;
	int pct;
	long eta;
	read_usage(r, &pct, &eta);
	if (pct <= FB_USAGE_HOLD_PCT && eta <= 0)
		return;
	int64_t wait = pct >= 100 ? 3600 : pct >= 90 ? 1800 : 900;
	if (eta * 60 > wait)
		wait = eta * 60;
	if (s->now + wait > f->hold_until) {
		f->hold_until = s->now + wait;
		char *key = xasprintf("facebook-usage:%s", s->spec->key);
		log_event(key, LOG_LVL_WARN, "facebook",
		          "Facebook Page %s: API usage at %d%% of Facebook's limit: pausing this source for %lld min",
		          f->page_id, pct, (long long)(wait / 60));
		free(key);
	}
}

static const char *token_place(const source_t *s)
{
	return s->spec->token_file ? s->spec->token_file : "the facebook_token file";
}

static const char *subcode_text(long sub)
{
	switch (sub) {
	case 458: return "the app was removed from the account";
	case 459: return "the account must pass a security check: log in to Facebook once";
	case 460: return "the password was changed or Facebook reset the session";
	case 463: return "the token expired";
	case 464: return "the account is not confirmed";
	case 467: return "the token is invalid";
	case 492: return "the session is invalid (often: the person lost their role on the Page)";
	default: return "the token was revoked or is invalid";
	}
}

/* A Graph error body -> status and one line for the administrator. */
static source_status_t classify_error(source_t *s, const cJSON *err, int http, source_batch_t *b)
{
	fb_t *f = s->priv;
	long code = jnum(err, "code", -1);
	long sub = jnum(err, "error_subcode", 0);
	const char *msg = json_str(err, "message");
	const char *trace = jtext(err, "fbtrace_id");
	char detail[256];
	snprintf(detail, sizeof detail, "%.200s", msg ? msg : "no message");
	char tr[80] = "";
	if (trace && strlen(trace) < 60)
		snprintf(tr, sizeof tr, " [fbtrace_id %s]", trace);

	char *token = wire_token(s->token);
	bool have_token = token != NULL;
	free(token);
	if (!have_token && (code == 104 || code == 190 || code == 102)) {
		source_batch_message(b,
			"Facebook Page %s: no usable token (%s): Graph needs a Page access token; put it on the "
			"first line of a file readable only by balie, set facebook_token = FILE in the section "
			"and reload balie (docs/facebook-linkedin.md)",
			f->page_id, s->spec->token_file ? s->spec->token_file : "no facebook_token in the configuration");
		return SRC_ERR_AUTH;
	}
	if (code == 190 || code == 102 || code == 104) {
		b->retry_at = 0;
		source_batch_message(b,
			"Facebook Page %s: the Page token no longer works (code %ld, subcode %ld: %s): "
			"make a new Page token (docs/facebook-linkedin.md), write it to %s and reload balie%s",
			f->page_id, code, sub, subcode_text(sub), token_place(s), tr);
		return SRC_ERR_AUTH;
	}
	if (code == 10 || (code >= 200 && code <= 299)) {
		source_batch_message(b,
			"Facebook Page %s: the token may not read this Page's posts (code %ld: %s): it needs "
			"pages_read_engagement from someone with a task on the Page; make a new Page token "
			"(docs/facebook-linkedin.md), write it to %s and reload balie%s",
			f->page_id, code, detail, token_place(s), tr);
		return SRC_ERR_AUTH;
	}
	if (code == 4 || code == 17 || code == 32 || code == 613 || code == 80001 || code == 341 ||
	    code == 368) {
		int64_t wait = FB_RATE_MIN_S;
		for (int i = 0; i < f->rate_strikes && wait < FB_RATE_MAX_S; i++)
			wait *= 2;
		if (code == 368 || wait > FB_RATE_MAX_S)
			wait = FB_RATE_MAX_S;
		if (f->hold_until - s->now > wait)
			wait = f->hold_until - s->now;
		if (f->rate_strikes < 8)
			f->rate_strikes++;
		f->hold_until = s->now + wait;
		b->retry_at = f->hold_until;
		source_batch_message(b, "Facebook Page %s: rate limit reached (code %ld: %s): next try in %lld min%s",
		                     f->page_id, code, detail, (long long)(wait / 60), tr);
		return SRC_ERR_RATE;
	}
	if (code == 1 || code == 2 || json_true(err, "is_transient")) {
		source_batch_message(b, "Facebook Page %s: Facebook is temporarily unavailable (code %ld: %s); retrying%s",
		                     f->page_id, code, detail, tr);
		return SRC_ERR_NETWORK;
	}
	if (code == 803 || (code == 100 && sub == 33)) {
		source_batch_message(b,
			"Facebook Page %s does not exist or this token cannot see it (code %ld: %s): "
			"check facebook = in the configuration (the numeric Page id)%s",
			f->page_id, code, detail, tr);
		return SRC_ERR_NOT_FOUND;
	}
	source_batch_message(b, "Facebook Page %s: Graph API error (HTTP %d, code %ld: %s)%s", f->page_id, http,
	                     code, detail, tr);
	return http >= 500 ? SRC_ERR_NETWORK : SRC_ERR_DATA;
}

/* ---- text ----------------------------------------------------------------- */

/* Decode one UTF-8 sequence at s; returns its length (1 for a stray byte). */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	int n = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 1;
	uint32_t c = n == 2 ? s[0] & 0x1Fu : n == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3Fu);
	}
	*cp = n == 1 ? 0xFFFD : c;
	return (size_t)n;
}

/* Letters and digits of any script may be in a hashtag; punctuation,
 * symbols and emoji end it. */
static bool tag_char(uint32_t c)
{
	if (c < 0x80)
		return isalnum((int)c) || c == '_';
	if (c == 0xFFFD || (c >= 0x2000 && c <= 0x2BFF) || (c >= 0x3000 && c <= 0x303F) ||
	    (c >= 0xFE00 && c <= 0xFE0F) || c >= 0x1F000 || c == 0xA0 || (c >= 0xA1 && c <= 0xBF) ||
	    c == 0xD7 || c == 0xF7)
		return false;
	return true;
}

/* Link and #hashtag spans in plain text. */
static void add_text_spans(post_t *p)
{
	const unsigned char *t = (const unsigned char *)p->text;
	size_t n = strlen(p->text);
	size_t i = 0;
	while (i < n) {
		bool word_start = i == 0 || t[i - 1] <= ' ' || t[i - 1] == '(' || t[i - 1] == '"';
		if (word_start && (strncasecmp((const char *)t + i, "https://", 8) == 0 ||
		                   strncasecmp((const char *)t + i, "http://", 7) == 0)) {
			size_t e = i;
			while (e < n && t[e] > ' ')
				e++;
			while (e > i && strchr(".,;:!?)\"'", t[e - 1]))
				e--;
			char *u = xstrndup((const char *)t + i, e - i);
			if (e - i > 8 && e - i <= FB_MAX_FIELD)
				post_add_span(p, SPAN_LINK, (uint32_t)i, (uint32_t)e, u);
			free(u);
			i = e > i ? e : i + 1;
			continue;
		}
		bool tag_start = i == 0 || !(isalnum(t[i - 1]) || t[i - 1] == '_' || t[i - 1] == '&' || t[i - 1] >= 0x80);
		if (t[i] == '#' && tag_start) {
			size_t e = i + 1;
			while (e < n) {
				uint32_t c;
				size_t l = utf8_decode(t + e, &c);
				if (e + l > n || !tag_char(c))
					break;
				e += l;
			}
			bool has_letter = false;
			for (size_t k = i + 1; k < e; k++)
				if (!isdigit(t[k]))
					has_letter = true;
			if (e > i + 1 && has_letter && e - i < 256) {
				char *tag = xstrndup((const char *)t + i + 1, e - i - 1);
				char *enc = url_encode(tag);
				char *target = xasprintf("https://www.facebook.com/hashtag/%s", enc);
				post_add_span(p, SPAN_HASHTAG, (uint32_t)i, (uint32_t)e, target);
				free(target);
				free(enc);
				free(tag);
				i = e;
				continue;
			}
		}
		i++;
	}
}

/* ---- posts ----------------------------------------------------------------- */

static media_kind_t kind_of(const cJSON *att)
{
	const char *mt = json_str(att, "media_type");
	if (!mt)
		mt = json_str(att, "type");
	if (mt && (strncmp(mt, "video", 5) == 0 || strcmp(mt, "native_templates") == 0))
		return MEDIA_VIDEO;
	return MEDIA_IMAGE;
}

/* media{image{src,width,height}} of an attachment, or NULL. */
static const cJSON *image_of(const cJSON *att)
{
	const cJSON *media = json_get(att, "media");
	const cJSON *img = json_get(media, "image");
	return cJSON_IsObject(img) && is_http_url(json_str(img, "src")) ? img : NULL;
}

/* One image of the post.  For a video Graph gives only a still here: it
 * becomes MEDIA_VIDEO with the still as url and preview (the screen shows
 * stills; a badge can say it is a video). */
static void add_image(post_t *p, const char *url, const cJSON *img, media_kind_t kind, const char *alt)
{
	if (!is_http_url(url) || p->n_media >= FB_MAX_MEDIA)
		return;
	for (size_t i = 0; i < p->n_media; i++)
		if (strcmp(p->media[i].url, url) == 0)
			return;
	media_t *m = post_add_media(p);
	m->kind = kind;
	m->url = xstrdup(url);
	if (kind == MEDIA_VIDEO)
		m->preview_url = xstrdup(url);
	if (alt && *alt && strlen(alt) <= FB_MAX_FIELD)
		m->alt = xstrdup(alt);
	if (img && strcmp(json_str(img, "src"), url) == 0) {
		long w = jnum(img, "width", 0), h = jnum(img, "height", 0);
		if (w > 0 && w < 100000 && h > 0 && h < 100000) {
			m->width = (int)w;
			m->height = (int)h;
		}
	}
}

/* The real link of an attachment: unshimmed_url, else the shim's u=, else url. */
static char *attachment_link(const cJSON *att)
{
	const char *u = jtext(att, "unshimmed_url");
	if (is_http_url(u))
		return xstrdup(u);
	u = jtext(att, "url");
	if (!is_http_url(u))
		u = jtext(json_get(att, "target"), "url");
	return is_http_url(u) ? facebook_unshim_url(u) : NULL;
}

static bool is_link_attachment(const cJSON *att)
{
	const char *mt = json_str(att, "media_type");
	const char *type = json_str(att, "type");
	if ((mt && strcmp(mt, "link") == 0) || (type && strcmp(type, "share") == 0) ||
	    jtext(att, "unshimmed_url"))
		return true;
	const char *u = jtext(att, "url");
	if (u) {
		char *real = facebook_unshim_url(u);
		bool shim = strcmp(real, u) != 0;
		free(real);
		return shim;
	}
	return false;
}

static void set_card(post_t *p, const cJSON *att, const char *fallback_image)
{
	char *link = attachment_link(att);
	const char *title = jtext(att, "title");
	if (!link && !title) {
		free(link);
		return;
	}
	card_t *c = xcalloc(1, sizeof *c);
	c->url = link;
	c->title = xstrdup(title);
	const char *d = json_str(att, "description");
	if (d && *d) {
		c->description = xstrdup(d);
		wire_utf8_cut(c->description, FB_MAX_FIELD);
	}
	const cJSON *img = image_of(att);
	const char *iu = img ? json_str(img, "src") : fallback_image;
	c->image_url = is_http_url(iu) ? xstrdup(iu) : NULL;
	p->card = c;
}

static void apply_attachments(post_t *p, const cJSON *item)
{
	const char *full = jtext(item, "full_picture");
	if (!is_http_url(full))
		full = NULL;
	const cJSON *atts = json_get(json_get(item, "attachments"), "data");
	const cJSON *att = cJSON_IsArray(atts) ? cJSON_GetArrayItem(atts, 0) : NULL;
	if (cJSON_IsObject(att)) {
		const cJSON *subs = json_get(json_get(att, "subattachments"), "data");
		if (cJSON_IsArray(subs) && cJSON_GetArraySize(subs) > 0) {
			const cJSON *sub;
			cJSON_ArrayForEach(sub, subs) {
				const cJSON *img = cJSON_IsObject(sub) ? image_of(sub) : NULL;
				if (img)
					add_image(p, json_str(img, "src"), img, kind_of(sub), NULL);
			}
			const cJSON *img = image_of(att);
			if (p->n_media == 0 && img)
				add_image(p, full ? full : json_str(img, "src"), img, kind_of(att), NULL);
		} else if (is_link_attachment(att)) {
			set_card(p, att, full);
		} else if (image_of(att)) {
			const cJSON *img = image_of(att);
			/* full_picture is the full-size version of the post's picture */
			add_image(p, full ? full : json_str(img, "src"), img, kind_of(att), NULL);
		} else {
			set_card(p, att, full); /* unknown kind without a picture: a card if it has a link or title */
		}
	}
	if (p->n_media == 0 && !p->card && full)
		add_image(p, full, NULL, MEDIA_IMAGE, NULL);
}

static void fill_author(source_t *s, author_t *a)
{
	fb_t *f = s->priv;
	a->id = xstrdup(f->page_id);
	a->handle = xstrdup(f->page_username ? f->page_username : f->page_id);
	a->name = xstrdup(f->page_name ? f->page_name : a->handle);
	a->url = f->page_link ? xstrdup(f->page_link) : xasprintf("https://www.facebook.com/%s", f->page_id);
	a->avatar_url = xstrdup(f->page_picture);
}

static post_t *parse_post(source_t *s, const cJSON *item, int64_t created)
{
	const char *id = jtext(item, "id");
	post_t *p = post_new();
	p->key = xasprintf("facebook:%s", id);
	p->source = xstrdup(s->spec->key);
	p->network = NET_FACEBOOK;
	p->id = xstrdup(id);
	const char *perma = jtext(item, "permalink_url");
	p->url = is_http_url(perma) ? xstrdup(perma) : xasprintf("https://www.facebook.com/%s", id);
	p->created = created;
	int64_t upd = parse_graph_time(json_str(item, "updated_time"));
	p->edited = upd > created ? upd : 0;
	fill_author(s, &p->author);
	p->person = xstrdup(s->spec->person);
	p->visibility = VIS_PUBLIC;
	const char *msg = json_str(item, "message");
	if (msg) {
		free(p->text);
		p->text = xstrdup(msg);
		wire_utf8_cut(p->text, FB_MAX_TEXT);
		add_text_spans(p);
	}
	apply_attachments(p, item);
	return p;
}

/* A paging cursor fit to go back into a URL, or NULL. */
static const char *cursor_of(const cJSON *root)
{
	const char *c = jtext(json_get(json_get(root, "paging"), "cursors"), "after");
	return c && strlen(c) <= FB_MAX_CURSOR && wire_header_safe(c, FB_MAX_CURSOR) ? c : NULL;
}

/* One page of posts into b.  Sets *reached when the page goes back to the
 * newest post of the last complete cycle (or beyond), *fresh to the number
 * of posts not already in this cycle's batch. */
static source_status_t parse_posts(source_t *s, const cJSON *root, source_batch_t *b, bool *reached, int *fresh)
{
	fb_t *f = s->priv;
	*reached = false;
	*fresh = 0;
	const cJSON *data = json_get(root, "data");
	if (!cJSON_IsArray(data)) {
		source_batch_message(b, "Facebook Page %s: the answer has no list of posts", f->page_id);
		return SRC_ERR_DATA;
	}
	int seen = 0;
	const cJSON *item;
	cJSON_ArrayForEach(item, data) {
		if (seen >= FB_MAX_POSTS)
			break;
		seen++;
		const char *id = cJSON_IsObject(item) ? jtext(item, "id") : NULL;
		if (!id || strlen(id) > 200) {
			f->cycle_skipped++;
			continue;
		}
		int64_t created = parse_graph_time(json_str(item, "created_time"));
		if (created > 0 && created < f->cycle_oldest)
			f->cycle_oldest = created;
		if (f->newest_id && (strcmp(id, f->newest_id) == 0 || (created > 0 && created <= f->newest_created)))
			*reached = true;
		char *key = xasprintf("facebook:%s", id);
		bool again = post_list_find(&b->posts, key) >= 0;
		if (json_true(item, "is_hidden") || json_true(item, "is_expired") ||
		    cJSON_IsFalse(json_get(item, "is_published"))) {
			source_batch_add_deleted(b, key);
			free(key);
			continue;
		}
		free(key);
		if (again)
			continue; /* a page that repeats itself: nothing new */
		if (created <= 0) {
			f->cycle_skipped++;
			continue;
		}
		(*fresh)++;
		post_t *p = parse_post(s, item, created);
		if (!*p->text && p->n_media == 0 && !p->card) {
			post_free(p); /* nothing to show */
			continue;
		}
		if (created > f->cycle_newest_created) {
			f->cycle_newest_created = created;
			free(f->cycle_newest_id);
			f->cycle_newest_id = xstrdup(id);
		}
		post_list_push(&b->posts, p);
	}
	f->cycle_seen += seen;
	f->pages++;
	return SRC_DONE;
}

/* After a page of posts: ask for the next one, or complete the cycle. */
static source_status_t posts_page_done(source_t *s, const cJSON *root, source_batch_t *b, bool reached, int fresh)
{
	fb_t *f = s->priv;
	bool more = cJSON_IsString(json_get(json_get(root, "paging"), "next"));
	const char *cursor = more ? cursor_of(root) : NULL;
	if (f->newest_id && !reached && cursor && fresh > 0 && f->pages < FB_MAX_PAGES &&
	    (!f->after || strcmp(cursor, f->after) != 0)) {
		/* more was posted than one page since the last cycle: catch up */
		free(f->after);
		f->after = xstrdup(cursor);
		return SRC_CONTINUE;
	}
	/* The answers are the Page's newest posts: what is missing inside their
	 * time window was deleted.  An empty answer proves nothing. */
	if (f->cycle_seen > 0 && f->cycle_skipped == 0 && f->cycle_oldest != INT64_MAX) {
		b->authoritative = true;
		b->window_start = more || f->cycle_seen >= FB_LIMIT * f->pages ? f->cycle_oldest : 0;
	}
	if (f->cycle_skipped)
		log_debug("facebook", "Facebook Page %s: %d post(s) without id or date skipped", f->page_id,
		          f->cycle_skipped);
	if (more && !reached && f->newest_id && f->pages >= FB_MAX_PAGES)
		log_info("facebook", "Facebook Page %s: more than %d pages of new posts; older ones are not fetched",
		         f->page_id, FB_MAX_PAGES);
	/* the cycle is complete: commit what the next one starts from */
	if (f->cycle_newest_id && f->cycle_newest_created >= f->newest_created) {
		free(f->newest_id);
		f->newest_id = f->cycle_newest_id;
		f->newest_created = f->cycle_newest_created;
		f->cycle_newest_id = NULL;
	}
	free(f->etag);
	f->etag = f->cycle_etag;
	f->cycle_etag = NULL;
	f->step = STEP_END;
	f->rate_strikes = 0;
	if (f->pages > 1)
		source_batch_message(b, "%zu posts from %d pages", b->posts.len, f->pages);
	return SRC_DONE;
}

static void parse_page(source_t *s, const cJSON *root)
{
	fb_t *f = s->priv;
	const char *name = jtext(root, "name");
	if (name) {
		free(f->page_name);
		f->page_name = xstrdup(name);
		wire_utf8_cut(f->page_name, 200);
	}
	const char *link = jtext(root, "link");
	if (is_http_url(link)) {
		free(f->page_link);
		f->page_link = xstrdup(link);
	}
	const char *user = jtext(root, "username");
	if (user && page_id_valid(user)) {
		free(f->page_username);
		f->page_username = xstrdup(user);
	}
	const cJSON *pic = json_get(root, "picture");
	const cJSON *pdata = json_get(pic, "data");
	const char *pu = jtext(cJSON_IsObject(pdata) ? pdata : pic, "url");
	if (is_http_url(pu) && !json_true(pdata, "is_silhouette")) {
		free(f->page_picture);
		f->page_picture = xstrdup(pu);
	}
	f->page_fetched = s->now;
}

static source_status_t fb_handle(source_t *s, const net_response_t *r, source_batch_t *b)
{
	fb_t *f = s->priv;
	if (!r) { /* the cycle asked for nothing (see facebook.h): say why */
		if (!page_id_valid(f->page_id)) {
			source_batch_message(b, "facebook = '%.100s' is not a Facebook Page id: use the Page's numeric id",
			                     f->page_id);
			return SRC_ERR_CONFIG;
		}
		if (s->now < f->hold_until) {
			b->retry_at = f->hold_until;
			source_batch_message(b, "Facebook Page %s: pausing for the API's usage limit, %lld min left",
			                     f->page_id, (long long)((f->hold_until - s->now + 59) / 60));
			return SRC_ERR_RATE;
		}
		return SRC_NOT_MODIFIED;
	}
	step_t step = f->step;
	if (r->error != NET_OK) {
		source_batch_message(b, "Facebook Page %s: %s%s%s", f->page_id, net_error_name(r->error),
		                     r->error_text ? ": " : "", r->error_text ? r->error_text : "");
		return SRC_ERR_NETWORK;
	}
	note_usage(s, r);
	if (r->status == 304 && step == STEP_POSTS && f->pages == 0) {
		f->step = STEP_END;
		f->rate_strikes = 0;
		return SRC_NOT_MODIFIED;
	}
	cJSON *root = json_looks_like(r->body) ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
	const cJSON *err = json_get(root, "error");
	source_status_t st;
	if (cJSON_IsObject(err)) {
		long code = jnum(err, "code", -1);
		const char *m = json_str(err, "message");
		if (step == STEP_POSTS && !f->lean_fields && code == 100 && m &&
		    (strstr(m, "nonexisting field") || strstr(m, "unshimmed_url"))) {
			/* this Graph version lacks unshimmed_url: ask again without it */
			f->lean_fields = true;
			log_info("facebook", "Facebook Page %s: Graph does not know unshimmed_url; using the redirect's target",
			         f->page_id);
			st = SRC_CONTINUE;
		} else {
			st = classify_error(s, err, r->status, b);
			if (step == STEP_PAGE && (st == SRC_ERR_DATA)) {
				/* the face is cosmetic: go on to the posts with a fallback name */
				char *key = xasprintf("facebook-page:%s", s->spec->key);
				log_event(key, LOG_LVL_WARN, "facebook", "%s; showing the Page id as its name", b->message);
				free(key);
				free(b->message);
				b->message = NULL;
				f->page_fetched = s->now;
				f->step = STEP_POSTS;
				st = SRC_CONTINUE;
			}
		}
	} else if (r->status >= 500) {
		source_batch_message(b, "Facebook Page %s: server error (HTTP %d)", f->page_id, r->status);
		st = SRC_ERR_NETWORK;
	} else if (r->status == 429) {
		b->retry_at = s->now + FB_RATE_MIN_S;
		f->hold_until = b->retry_at;
		source_batch_message(b, "Facebook Page %s: too many requests (HTTP 429)", f->page_id);
		st = SRC_ERR_RATE;
	} else if (r->status == 401 || r->status == 403) {
		source_batch_message(b, "Facebook Page %s: access refused (HTTP %d): check the token in %s",
		                     f->page_id, r->status, token_place(s));
		st = SRC_ERR_AUTH;
	} else if (r->status == 404) {
		source_batch_message(b, "Facebook Page %s not found (HTTP 404): check facebook = and [network] facebook_graph",
		                     f->page_id);
		st = SRC_ERR_NOT_FOUND;
	} else if (r->status < 200 || r->status > 299) {
		source_batch_message(b, "Facebook Page %s: unexpected HTTP %d", f->page_id, r->status);
		st = SRC_ERR_DATA;
	} else if (!cJSON_IsObject(root)) {
		source_batch_message(b, "Facebook Page %s: the answer is not Graph API JSON (HTTP %d, %zu bytes)",
		                     f->page_id, r->status, r->body_len);
		st = SRC_ERR_DATA;
	} else if (step == STEP_PAGE) {
		parse_page(s, root);
		f->step = STEP_POSTS;
		st = SRC_CONTINUE;
	} else {
		bool first = f->pages == 0, reached;
		int fresh;
		st = parse_posts(s, root, b, &reached, &fresh);
		if (st == SRC_DONE) {
			if (first) {
				const char *etag = net_response_header(r, "ETag");
				free(f->cycle_etag);
				f->cycle_etag = etag && strlen(etag) < 256 && !strpbrk(etag, "\r\n") ? xstrdup(etag) : NULL;
			}
			st = posts_page_done(s, root, b, reached, fresh);
		}
	}
	if (st != SRC_CONTINUE && st != SRC_DONE)
		f->step = STEP_END;
	cJSON_Delete(root);
	return st;
}

static cJSON *fb_save_state(source_t *s)
{
	fb_t *f = s->priv;
	cJSON *o = cJSON_CreateObject();
	if (f->page_name || f->page_picture) {
		cJSON *page = cJSON_AddObjectToObject(o, "page");
		if (f->page_name)
			cJSON_AddStringToObject(page, "name", f->page_name);
		if (f->page_picture)
			cJSON_AddStringToObject(page, "picture", f->page_picture);
		if (f->page_link)
			cJSON_AddStringToObject(page, "link", f->page_link);
		if (f->page_username)
			cJSON_AddStringToObject(page, "username", f->page_username);
		cJSON_AddNumberToObject(page, "fetched", (double)f->page_fetched);
	}
	if (f->etag)
		cJSON_AddStringToObject(o, "etag", f->etag);
	if (f->hold_until > s->now)
		cJSON_AddNumberToObject(o, "hold_until", (double)f->hold_until);
	if (f->rate_strikes)
		cJSON_AddNumberToObject(o, "rate_strikes", f->rate_strikes);
	if (f->lean_fields)
		cJSON_AddTrueToObject(o, "lean_fields");
	if (f->newest_id) {
		cJSON *newest = cJSON_AddObjectToObject(o, "newest");
		cJSON_AddStringToObject(newest, "id", f->newest_id);
		cJSON_AddNumberToObject(newest, "created", (double)f->newest_created);
	}
	return o;
}

static void fb_destroy(source_t *s)
{
	fb_t *f = s->priv;
	if (!f)
		return;
	free(f->page_id);
	free(f->base);
	free(f->page_name);
	free(f->page_picture);
	free(f->page_link);
	free(f->page_username);
	free(f->etag);
	free(f->newest_id);
	cycle_clear(f);
	free(f);
	s->priv = NULL;
}

const source_ops_t facebook_source_ops = {
	.name = "facebook",
	.init = fb_init,
	.begin = fb_begin,
	.next_request = fb_next_request,
	.handle = fb_handle,
	.save_state = fb_save_state,
	.destroy = fb_destroy,
};
