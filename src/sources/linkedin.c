/*
 * linkedin: the LinkedIn organisation adapter.  See linkedin.h for the cycle.
 *
 * Posts name their images by URN only, so a cycle keeps the posts answer
 * (a cJSON tree) until one Images batch has turned the URNs into download
 * URLs, then builds the posts.  Download URLs are signed and expire
 * (downloadUrlExpiresAt), so they are remembered per URN until shortly before
 * they expire: the same post keeps the same URL from cycle to cycle (the
 * poller keeps its downloaded file) and the batch is asked only for what is
 * new or stale.  When the batch itself fails, posts that need an unresolved
 * image are held back for the next cycle rather than shown without it; when
 * LinkedIn answers but has no URL for an image, the post goes without it.
 * Everything from the network is type-checked and bounded.
 */
#include "linkedin.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/log.h"
#include "../base/strbuf.h"
#include "../base/url.h"
#include "../base/xmalloc.h"
#include "json.h"
#include "timeparse.h"
#include "wire.h"

#define LI_COUNT 20                 /* posts asked per cycle */
#define LI_MAX_POSTS 50             /* never take more from one answer */
#define LI_MAX_IMAGES 10            /* images kept per post */
#define LI_MAX_BATCH 50             /* URNs per Images batch */
#define LI_MAX_CACHE 256            /* remembered image URLs */
#define LI_MAX_TEXT (32 * 1024)
#define LI_MAX_FIELD 2048
#define LI_ORG_REFRESH_S 86400
#define LI_URL_MARGIN_S 600         /* re-resolve this long before a URL expires */
#define LI_URL_DEFAULT_TTL_S 86400  /* when LinkedIn gives no expiry */
#define LI_MISS_TTL_S 3600          /* an image LinkedIn had no URL for */
#define LI_LOGO_MISS_TTL_S 86400    /* the logo guess failed: try again tomorrow */

/* ---- LinkedIn-Version (process-wide, set from the config) ---------------- */

static wire_version_t li_version = WIRE_VERSION_INIT(LINKEDIN_VERSION_DEFAULT);

bool linkedin_set_version(const char *v)
{
	if (v) {
		size_t n = strlen(v);
		if ((n != 6 && n != 9) || strspn(v, "0123456789") != 6 ||
		    (n == 9 && (v[6] != '.' || strspn(v + 7, "0123456789") != 2)))
			return false;
		int month = (v[4] - '0') * 10 + (v[5] - '0');
		if (month < 1 || month > 12)
			return false;
	}
	wire_version_set(&li_version, v ? v : LINKEDIN_VERSION_DEFAULT);
	return true;
}

/* ---- small helpers --------------------------------------------------------- */

static const char *jtext(const cJSON *o, const char *k)
{
	return json_text(o, k, LI_MAX_FIELD);
}

/* Epoch milliseconds -> seconds; 0 when absent or out of range. */
static int64_t jmillis(const cJSON *o, const char *k)
{
	const cJSON *v = json_get(o, k);
	if (!cJSON_IsNumber(v) || !(v->valuedouble > 0 && v->valuedouble < 1e14))
		return 0;
	return (int64_t)(v->valuedouble / 1000);
}

static bool is_http_url(const char *u)
{
	return wire_http_url(u, LI_MAX_FIELD);
}

/* A URN we are willing to put in a URL: "urn:li:" and printable ASCII. */
static bool urn_ok(const char *u, const char *prefix)
{
	if (!u || strncmp(u, prefix, strlen(prefix)) != 0 || strlen(u) > 200)
		return false;
	for (const char *p = u; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return false;
	return true;
}

/* ---- token expiry -------------------------------------------------------- */

typedef enum { EXP_NONE, EXP_BAD, EXP_OK } expiry_kind_t;

/* Looks at the lines after the first.  EXP_OK fills *when (midnight UTC of
 * the date) and date ("YYYY-MM-DD"). */
static expiry_kind_t token_expiry(const char *text, int64_t *when, char date[11])
{
	if (!text)
		return EXP_NONE;
	const char *line = strpbrk(text, "\r\n");
	expiry_kind_t kind = EXP_NONE;
	while (line && *line) {
		line += strspn(line, "\r\n");
		size_t len = strcspn(line, "\r\n");
		const char *p = line;
		const char *end = line + len;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end) {
			line = end;
			continue;
		}
		kind = EXP_BAD;
		if ((size_t)(end - p) > 8 && strncasecmp(p, "expires", 7) == 0) {
			p += 7;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			if (p < end && (*p == '=' || *p == ':')) {
				p++;
				while (p < end && (*p == ' ' || *p == '\t'))
					p++;
				const char *q = end;
				while (q > p && (q[-1] == ' ' || q[-1] == '\t'))
					q--;
				int64_t t;
				char buf[11];
				if (q - p == 10 && p[4] == '-' && p[7] == '-') {
					memcpy(buf, p, 10);
					buf[10] = '\0';
					if (time_parse_iso8601(buf, &t)) {
						*when = t;
						memcpy(date, buf, 11);
						return EXP_OK;
					}
				}
			}
		}
		line = end;
	}
	return kind;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int days_between(int64_t now, int64_t when)
{
	int64_t d = floor_div(when, 86400) - floor_div(now, 86400);
	if (d > 100000)
		d = 100000;
	if (d < -100000)
		d = -100000;
	return (int)d;
}

int linkedin_token_days_left(const char *token_file_contents, int64_t now)
{
	int64_t when;
	char date[11];
	if (token_expiry(token_file_contents, &when, date) != EXP_OK)
		return LINKEDIN_DAYS_UNKNOWN;
	return days_between(now, when);
}

char *linkedin_token_warning(const char *token_file_contents, const char *token_file, int64_t now)
{
	int64_t when;
	char date[11];
	const char *file = token_file ? token_file : "the linkedin_token file";
	expiry_kind_t k = token_expiry(token_file_contents, &when, date);
	if (k == EXP_NONE)
		return NULL;
	if (k == EXP_BAD)
		return xasprintf("LinkedIn token file %s: the line after the token is not \"expires=YYYY-MM-DD\"; "
		                 "balie cannot warn before the token expires", file);
	int days = days_between(now, when);
	if (days > LINKEDIN_WARN_DAYS)
		return NULL;
	const char *todo = "sign in to LinkedIn again as a Page administrator (docs/facebook-linkedin.md), "
	                   "write the new token and its expires= line to";
	if (days < 0)
		return xasprintf("LinkedIn token in %s expired on %s (%d day%s ago): %s %s and reload balie",
		                 file, date, -days, days == -1 ? "" : "s", todo, file);
	if (days == 0)
		return xasprintf("LinkedIn token in %s expires today (%s): %s %s and reload balie", file, date, todo, file);
	return xasprintf("LinkedIn token in %s expires in %d day%s (%s): %s %s and reload balie", file, days,
	                 days == 1 ? "" : "s", date, todo, file);
}

/* ---- little text ------------------------------------------------------------ */

static bool reserved(char c)
{
	return c && strchr("\\|{}@[]()<>#*_~", c) != NULL;
}

/* Read escaped text from s up to (not including) the unescaped stop char;
 * returns the index of the stop char, or 0 when missing within max bytes. */
static size_t read_escaped(const char *s, size_t i, char stop, size_t max, strbuf_t *out)
{
	size_t start = i;
	while (s[i] && s[i] != stop) {
		if (i - start > max)
			return 0;
		if (s[i] == '\\' && reserved(s[i + 1])) {
			strbuf_add(out, s + i + 1, 1);
			i += 2;
		} else {
			strbuf_add(out, s + i, 1);
			i++;
		}
	}
	return s[i] == stop ? i : 0;
}

/* "@[Name](urn:li:...)" at s+i: the mention's name and URN; *end after ')'. */
static bool parse_mention(const char *s, size_t i, strbuf_t *name, strbuf_t *urn, size_t *end)
{
	size_t j = read_escaped(s, i + 2, ']', 300, name);
	if (!j || s[j + 1] != '(' || name->len == 0)
		return false;
	size_t k = read_escaped(s, j + 2, ')', 300, urn);
	if (!k || !urn_ok(urn->buf, "urn:li:"))
		return false;
	*end = k + 1;
	return true;
}

/* "{hashtag|#|tag}" (sign '#', '\#' or the full-width U+FF03) at s+i. */
static bool parse_hashtag(const char *s, size_t i, strbuf_t *tag, size_t *end)
{
	size_t j = i + 9; /* past "{hashtag|" */
	if (s[j] == '\\')
		j++;
	if (s[j] == '#')
		j++;
	else if ((unsigned char)s[j] == 0xEF && (unsigned char)s[j + 1] == 0xBC && (unsigned char)s[j + 2] == 0x83)
		j += 3;
	else
		return false;
	if (s[j] != '|')
		return false;
	size_t k = read_escaped(s, j + 1, '}', 300, tag);
	if (!k || tag->len == 0)
		return false;
	*end = k + 1;
	return true;
}

static char *mention_target(const char *urn)
{
	const char *org = "urn:li:organization:";
	if (strncmp(urn, org, strlen(org)) == 0 && strspn(urn + strlen(org), "0123456789") == strlen(urn + strlen(org)))
		return xasprintf("https://www.linkedin.com/company/%s/", urn + strlen(org));
	return xstrdup(urn);
}

void linkedin_little_to_post(const char *s, post_t *p)
{
	strbuf_t out = STRBUF_INIT;
	size_t i = 0;
	while (s && s[i]) {
		if (s[i] == '\\' && reserved(s[i + 1])) {
			strbuf_add(&out, s + i + 1, 1);
			i += 2;
			continue;
		}
		if (s[i] == '@' && s[i + 1] == '[') {
			strbuf_t name = STRBUF_INIT, urn = STRBUF_INIT;
			size_t end;
			if (parse_mention(s, i, &name, &urn, &end)) {
				uint32_t start = (uint32_t)out.len;
				strbuf_add(&out, name.buf, name.len);
				char *target = mention_target(urn.buf);
				post_add_span(p, SPAN_MENTION, start, (uint32_t)out.len, target);
				free(target);
				strbuf_free(&name);
				strbuf_free(&urn);
				i = end;
				continue;
			}
			strbuf_free(&name);
			strbuf_free(&urn);
		}
		if (s[i] == '{' && strncmp(s + i, "{hashtag|", 9) == 0) {
			strbuf_t tag = STRBUF_INIT;
			size_t end;
			if (parse_hashtag(s, i, &tag, &end)) {
				uint32_t start = (uint32_t)out.len;
				strbuf_adds(&out, "#");
				strbuf_add(&out, tag.buf, tag.len);
				char *enc = url_encode(tag.buf);
				char *target = xasprintf("https://www.linkedin.com/feed/hashtag/%s/", enc);
				post_add_span(p, SPAN_HASHTAG, start, (uint32_t)out.len, target);
				free(target);
				free(enc);
				strbuf_free(&tag);
				i = end;
				continue;
			}
			strbuf_free(&tag);
		}
		strbuf_add(&out, s + i, 1);
		i++;
	}
	size_t len = out.len;
	free(p->text);
	p->text = strbuf_take(&out);
	if (len > LI_MAX_TEXT) {
		wire_utf8_cut(p->text, LI_MAX_TEXT);
		size_t n = strlen(p->text);
		for (size_t k = p->n_spans; k-- > 0;)
			if (p->spans[k].end > n) { /* drop spans past the cut */
				free(p->spans[k].target);
				memmove(&p->spans[k], &p->spans[k + 1], (p->n_spans - k - 1) * sizeof *p->spans);
				p->n_spans--;
			}
	}
}

/* ---- adapter state ---------------------------------------------------------- */

typedef struct {
	char *urn;
	char *url;        /* NULL: LinkedIn had none (until expires) */
	int64_t expires;  /* wall seconds: ask again after this */
} img_t;

typedef enum { STEP_ORG, STEP_POSTS, STEP_IMAGES, STEP_END } step_t;

/* Image URNs to ask the batch about. */
typedef struct {
	char **urns;
	size_t n, cap;
	int64_t now;
} want_t;

typedef struct {
	char *org_id;       /* digits */
	char *base;
	char *org_name;
	char *org_vanity;
	char *logo_urn;     /* urn:li:image:... guessed from logoV2, or NULL */
	int64_t org_fetched;
	img_t *imgs;
	size_t n_imgs, cap_imgs;
	cJSON *posts_doc;   /* the posts answer, kept while images resolve */
	want_t asked;       /* URNs in the Images request in flight */
	bool batch_failed;  /* this cycle's Images batch got no answer */
	int64_t hold_until;
	step_t step;
} li_t;

static img_t *img_find(li_t *l, const char *urn)
{
	for (size_t i = 0; i < l->n_imgs; i++)
		if (strcmp(l->imgs[i].urn, urn) == 0)
			return &l->imgs[i];
	return NULL;
}

static void img_set(li_t *l, const char *urn, const char *url, int64_t expires)
{
	img_t *e = img_find(l, urn);
	if (!e) {
		if (l->n_imgs >= LI_MAX_CACHE)
			return;
		XGROW(l->imgs, l->cap_imgs, l->n_imgs + 1);
		e = &l->imgs[l->n_imgs++];
		*e = (img_t){ xstrdup(urn), NULL, 0 };
	}
	free(e->url);
	e->url = xstrdup(url);
	e->expires = expires;
}

static void img_remove(li_t *l, size_t i)
{
	free(l->imgs[i].urn);
	free(l->imgs[i].url);
	l->imgs[i] = l->imgs[--l->n_imgs];
}

/* Whether the batch must be asked about urn now. */
static bool img_needed(li_t *l, const char *urn, int64_t now)
{
	const img_t *e = img_find(l, urn);
	if (!e)
		return true;
	return e->url ? e->expires - LI_URL_MARGIN_S <= now : e->expires <= now;
}

/* The usable download URL for urn, or NULL. */
static const char *img_url(li_t *l, const char *urn, int64_t now)
{
	const img_t *e = img_find(l, urn);
	return e && e->url && e->expires > now ? e->url : NULL;
}

static void li_init(source_t *s, const cJSON *state)
{
	li_t *l = xcalloc(1, sizeof *l);
	s->priv = l;
	const char *h = s->spec->handle ? s->spec->handle : "";
	const char *org = "urn:li:organization:";
	if (strncmp(h, org, strlen(org)) == 0)
		h += strlen(org);
	size_t n = strlen(h);
	l->org_id = xstrdup(n > 0 && n <= 20 && strspn(h, "0123456789") == n ? h : "");
	const char *srv = s->spec->server && *s->spec->server ? s->spec->server : LINKEDIN_API_DEFAULT;
	l->base = xstrdup(srv);
	n = strlen(l->base);
	while (n > 0 && l->base[n - 1] == '/')
		l->base[--n] = '\0';
	l->step = STEP_END;
	if (!cJSON_IsObject(state))
		return;
	const cJSON *o = json_get(state, "org");
	if (cJSON_IsObject(o)) {
		l->org_name = xstrdup(jtext(o, "name"));
		const char *v = jtext(o, "vanity");
		l->org_vanity = v && strlen(v) < 200 && !strpbrk(v, "/?# ") ? xstrdup(v) : NULL;
		const char *logo = jtext(o, "logo");
		l->logo_urn = urn_ok(logo, "urn:li:image:") ? xstrdup(logo) : NULL;
		const cJSON *f = json_get(o, "fetched");
		if (cJSON_IsNumber(f) && f->valuedouble > 0 && f->valuedouble < 1e12)
			l->org_fetched = (int64_t)f->valuedouble;
	}
	const cJSON *imgs = json_get(state, "images");
	const cJSON *e;
	cJSON_ArrayForEach(e, (cJSON_IsObject(imgs) ? imgs : NULL)) {
		const char *url = json_str(e, "url");
		const cJSON *x = json_get(e, "expires");
		if (!urn_ok(e->string, "urn:li:image:") || (url && !is_http_url(url)) || !cJSON_IsNumber(x) ||
		    !(x->valuedouble > 0 && x->valuedouble < 1e12))
			continue;
		img_set(l, e->string, url, (int64_t)x->valuedouble);
	}
	const cJSON *hu = json_get(state, "hold_until");
	if (cJSON_IsNumber(hu) && hu->valuedouble > 0 && hu->valuedouble < 1e12)
		l->hold_until = (int64_t)hu->valuedouble;
}

static void li_begin(source_t *s)
{
	li_t *l = s->priv;
	cJSON_Delete(l->posts_doc);
	l->posts_doc = NULL;
	l->batch_failed = false;
	bool stale = !l->org_name || l->org_fetched <= 0 || s->now - l->org_fetched >= LI_ORG_REFRESH_S ||
	             l->org_fetched > s->now + LI_ORG_REFRESH_S;
	l->step = stale ? STEP_ORG : STEP_POSTS;
}

/* ---- which images a posts answer needs -------------------------------------- */

typedef void (*urn_fn)(li_t *l, const char *urn, void *ctx);

static bool wanted_post(const li_t *l, const cJSON *el)
{
	if (!cJSON_IsObject(el))
		return false;
	const char *state = json_str(el, "lifecycleState"), *vis = json_str(el, "visibility");
	const char *author = json_str(el, "author");
	char want[64];
	snprintf(want, sizeof want, "urn:li:organization:%s", l->org_id);
	return state && strcmp(state, "PUBLISHED") == 0 && vis && strcmp(vis, "PUBLIC") == 0 &&
	       (!author || strcmp(author, want) == 0);
}

/* Call fn for every image URN a post shows (media, multiImage, article thumbnail). */
static void post_image_urns(li_t *l, const cJSON *el, urn_fn fn, void *ctx)
{
	const cJSON *content = json_get(el, "content");
	if (!cJSON_IsObject(content))
		return;
	int n = 0;
	const char *mid = json_str(json_get(content, "media"), "id");
	if (urn_ok(mid, "urn:li:image:")) {
		fn(l, mid, ctx);
		n++;
	}
	const cJSON *imgs = json_get(json_get(content, "multiImage"), "images");
	const cJSON *im;
	cJSON_ArrayForEach(im, (cJSON_IsArray(imgs) ? imgs : NULL)) {
		const char *id = json_str(im, "id");
		if (n < LI_MAX_IMAGES && urn_ok(id, "urn:li:image:")) {
			fn(l, id, ctx);
			n++;
		}
	}
	const char *thumb = json_str(json_get(content, "article"), "thumbnail");
	if (urn_ok(thumb, "urn:li:image:"))
		fn(l, thumb, ctx);
}

static void want_add(li_t *l, const char *urn, void *ctx)
{
	want_t *w = ctx;
	if (w->n >= LI_MAX_BATCH || !img_needed(l, urn, w->now))
		return;
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->urns[i], urn) == 0)
			return;
	XGROW(w->urns, w->cap, w->n + 1);
	w->urns[w->n++] = xstrdup(urn);
}

static const cJSON *elements_of(const li_t *l)
{
	const cJSON *els = json_get(l->posts_doc, "elements");
	return cJSON_IsArray(els) ? els : NULL;
}

static void collect_wanted(source_t *s, want_t *w)
{
	li_t *l = s->priv;
	*w = (want_t){ .now = s->now };
	if (l->logo_urn)
		want_add(l, l->logo_urn, w);
	int k = 0;
	const cJSON *el;
	cJSON_ArrayForEach(el, elements_of(l)) {
		if (k++ >= LI_MAX_POSTS)
			break;
		if (wanted_post(l, el))
			post_image_urns(l, el, want_add, w);
	}
}

static void want_free(want_t *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->urns[i]);
	free(w->urns);
	*w = (want_t){ 0 };
}

/* ---- requests --------------------------------------------------------------- */

static net_request_t *li_next_request(source_t *s)
{
	li_t *l = s->priv;
	if (l->step == STEP_END || !*l->org_id || s->now < l->hold_until)
		return NULL;
	char *url = NULL;
	if (l->step == STEP_ORG) {
		url = xasprintf("%s/rest/organizations/%s", l->base, l->org_id);
	} else if (l->step == STEP_POSTS) {
		url = xasprintf("%s/rest/posts?author=urn%%3Ali%%3Aorganization%%3A%s&q=author&count=%d&sortBy=LAST_MODIFIED",
		                l->base, l->org_id, LI_COUNT);
	} else {
		want_free(&l->asked);
		collect_wanted(s, &l->asked);
		if (l->asked.n == 0) /* nothing left to resolve (cannot happen: handle() checked) */
			return NULL;
		strbuf_t b = STRBUF_INIT;
		strbuf_addf(&b, "%s/rest/images?ids=List(", l->base);
		for (size_t i = 0; i < l->asked.n; i++) {
			char *enc = url_encode(l->asked.urns[i]);
			strbuf_addf(&b, "%s%s", i ? "," : "", enc);
			free(enc);
		}
		strbuf_adds(&b, ")");
		url = strbuf_take(&b);
	}
	net_request_t *r = net_request_new(url);
	free(url);
	/* Without a token the request still goes out: LinkedIn's 401 becomes
	 * SRC_ERR_AUTH with the advice, instead of a silent source. */
	char *token = wire_token(s->token);
	wire_bearer(r, token);
	free(token);
	char ver[16];
	wire_version_get(&li_version, ver);
	net_request_add_header(r, "LinkedIn-Version", ver);
	net_request_add_header(r, "X-Restli-Protocol-Version", "2.0.0");
	net_request_add_header(r, "Accept", "application/json");
	return r;
}

/* ---- building posts ------------------------------------------------------------ */

static void fill_author(source_t *s, author_t *a)
{
	li_t *l = s->priv;
	a->id = xasprintf("urn:li:organization:%s", l->org_id);
	a->handle = xstrdup(l->org_vanity ? l->org_vanity : l->org_id);
	a->name = xstrdup(l->org_name ? l->org_name : a->handle);
	a->url = xasprintf("https://www.linkedin.com/company/%s/", l->org_vanity ? l->org_vanity : l->org_id);
	const char *logo = l->logo_urn ? img_url(l, l->logo_urn, s->now) : NULL;
	a->avatar_url = xstrdup(logo);
}

/* Adds the image for urn to p; false when the URL is unknown because the
 * batch failed (the post must wait). */
static bool add_image(source_t *s, post_t *p, const char *urn, const char *alt)
{
	li_t *l = s->priv;
	const char *url = img_url(l, urn, s->now);
	if (!url)
		return !(l->batch_failed && img_needed(l, urn, s->now));
	for (size_t i = 0; i < p->n_media; i++)
		if (strcmp(p->media[i].url, url) == 0)
			return true;
	media_t *m = post_add_media(p);
	m->kind = MEDIA_IMAGE;
	m->url = xstrdup(url);
	if (alt && *alt && strlen(alt) <= LI_MAX_FIELD)
		m->alt = xstrdup(alt);
	return true;
}

/* The post for element el; NULL when it must wait or has nothing to show. */
static post_t *build_post(source_t *s, const cJSON *el, bool *held)
{
	li_t *l = s->priv;
	const char *id = jtext(el, "id");
	int64_t created = jmillis(el, "publishedAt");
	if (!created)
		created = jmillis(el, "createdAt");
	post_t *p = post_new();
	p->key = xasprintf("linkedin:%s", id);
	p->source = xstrdup(s->spec->key);
	p->network = NET_LINKEDIN;
	p->id = xstrdup(id);
	p->url = xasprintf("https://www.linkedin.com/feed/update/%s/", id);
	p->created = created;
	if (json_true(json_get(el, "lifecycleStateInfo"), "isEditedByAuthor")) {
		int64_t mod = jmillis(el, "lastModifiedAt");
		p->edited = mod > created ? mod : 0;
	}
	fill_author(s, &p->author);
	p->person = xstrdup(s->spec->person);
	p->visibility = VIS_PUBLIC;
	const char *commentary = json_str(el, "commentary");
	if (commentary && strlen(commentary) <= 4 * LI_MAX_TEXT)
		linkedin_little_to_post(commentary, p);

	bool ok = true;
	const cJSON *content = json_get(el, "content");
	const cJSON *media = json_get(content, "media");
	const char *mid = json_str(media, "id");
	if (urn_ok(mid, "urn:li:image:"))
		ok &= add_image(s, p, mid, json_str(media, "altText"));
	const cJSON *imgs = json_get(json_get(content, "multiImage"), "images");
	const cJSON *im;
	cJSON_ArrayForEach(im, (cJSON_IsArray(imgs) ? imgs : NULL)) {
		const char *iid = json_str(im, "id");
		if (p->n_media < LI_MAX_IMAGES && urn_ok(iid, "urn:li:image:"))
			ok &= add_image(s, p, iid, json_str(im, "altText"));
	}
	const cJSON *art = json_get(content, "article");
	if (cJSON_IsObject(art)) {
		const char *src = jtext(art, "source");
		const char *title = jtext(art, "title");
		if (is_http_url(src) || title) {
			card_t *c = xcalloc(1, sizeof *c);
			c->url = is_http_url(src) ? xstrdup(src) : NULL;
			c->title = xstrdup(title);
			const char *d = jtext(art, "description");
			c->description = xstrdup(d);
			const char *thumb = json_str(art, "thumbnail");
			if (urn_ok(thumb, "urn:li:image:")) {
				c->image_url = xstrdup(img_url(l, thumb, s->now));
				if (!c->image_url && l->batch_failed && img_needed(l, thumb, s->now))
					ok = false;
			}
			p->card = c;
		}
	}
	if (!ok) {
		*held = true;
		post_free(p);
		return NULL;
	}
	if (!*p->text && p->n_media == 0 && !p->card) {
		post_free(p); /* a video or document without text: nothing to show */
		return NULL;
	}
	return p;
}

static void prune_images(source_t *s);

static source_status_t build_posts(source_t *s, source_batch_t *b)
{
	li_t *l = s->priv;
	const cJSON *els = elements_of(l);
	int seen = 0, bad = 0, held_back = 0;
	const cJSON *el;
	cJSON_ArrayForEach(el, els) {
		if (seen >= LI_MAX_POSTS)
			break;
		seen++;
		const char *id = cJSON_IsObject(el) ? jtext(el, "id") : NULL;
		if (!urn_ok(id, "urn:li:")) {
			bad++;
			continue;
		}
		if (!wanted_post(l, el)) {
			/* a draft, a post no longer public, or not ours: not on the screen */
			char *key = xasprintf("linkedin:%s", id);
			source_batch_add_deleted(b, key);
			free(key);
			continue;
		}
		if (!jmillis(el, "publishedAt") && !jmillis(el, "createdAt")) {
			bad++;
			continue;
		}
		bool held = false;
		post_t *p = build_post(s, el, &held);
		if (held)
			held_back++;
		if (p)
			post_list_push(&b->posts, p);
	}
	/* Only a short, complete answer lists every post the organisation has. */
	bool next = false;
	const cJSON *links = json_get(json_get(l->posts_doc, "paging"), "links");
	const cJSON *lk;
	cJSON_ArrayForEach(lk, (cJSON_IsArray(links) ? links : NULL)) {
		const char *rel = json_str(lk, "rel");
		if (rel && strcmp(rel, "next") == 0)
			next = true;
	}
	if (seen > 0 && seen < LI_COUNT && !next && !bad && !held_back) {
		b->authoritative = true;
		b->window_start = 0;
	}
	if (held_back)
		source_batch_message(b, "LinkedIn organisation %s: %d post(s) wait for their images (the Images API "
		                     "did not answer); next refresh", l->org_id, held_back);
	prune_images(s);
	cJSON_Delete(l->posts_doc);
	l->posts_doc = NULL;
	l->step = STEP_END;
	return SRC_DONE;
}

/* Forget URLs no current post (or the logo) uses. */
typedef struct {
	bool *used;
} mark_t;

static void mark_used(li_t *l, const char *urn, void *ctx)
{
	mark_t *m = ctx;
	for (size_t i = 0; i < l->n_imgs; i++)
		if (strcmp(l->imgs[i].urn, urn) == 0)
			m->used[i] = true;
}

static void prune_images(source_t *s)
{
	li_t *l = s->priv;
	if (!l->n_imgs)
		return;
	mark_t m = { xcalloc(l->n_imgs, sizeof(bool)) };
	if (l->logo_urn)
		mark_used(l, l->logo_urn, &m);
	int k = 0;
	const cJSON *el;
	cJSON_ArrayForEach(el, elements_of(l)) {
		if (k++ >= LI_MAX_POSTS)
			break;
		if (wanted_post(l, el))
			post_image_urns(l, el, mark_used, &m);
	}
	for (size_t i = l->n_imgs; i-- > 0;)
		if (!m.used[i])
			img_remove(l, i);
	free(m.used);
}

/* ---- answers --------------------------------------------------------------------- */

static void parse_org(source_t *s, const cJSON *o)
{
	li_t *l = s->priv;
	const char *name = jtext(o, "localizedName");
	if (!name) {
		const cJSON *loc = json_get(json_get(o, "name"), "localized");
		const cJSON *v;
		cJSON_ArrayForEach(v, (cJSON_IsObject(loc) ? loc : NULL)) {
			if (cJSON_IsString(v) && v->valuestring && *v->valuestring && strlen(v->valuestring) <= LI_MAX_FIELD) {
				name = v->valuestring;
				break;
			}
		}
	}
	if (name) {
		free(l->org_name);
		l->org_name = xstrdup(name);
		wire_utf8_cut(l->org_name, 200);
	}
	const char *vanity = jtext(o, "vanityName");
	if (vanity && strlen(vanity) < 200 && !strpbrk(vanity, "/?#% \t")) {
		free(l->org_vanity);
		l->org_vanity = xstrdup(vanity);
	}
	/* logoV2 names digitalmediaAsset URNs; the Images API is asked for the
	 * same id as an image URN (UNVERIFIED that LinkedIn resolves it; when it
	 * does not, the face simply has no picture). */
	const cJSON *logo = json_get(o, "logoV2");
	const char *asset = json_str(logo, "original");
	if (!asset)
		asset = json_str(logo, "cropped");
	const char *dma = "urn:li:digitalmediaAsset:";
	char *urn = NULL;
	if (urn_ok(asset, dma))
		urn = xasprintf("urn:li:image:%s", asset + strlen(dma));
	else if (urn_ok(asset, "urn:li:image:"))
		urn = xstrdup(asset);
	free(l->logo_urn);
	l->logo_urn = urn;
	l->org_fetched = s->now;
}

/* Images batch: {"results": {urn: {downloadUrl, downloadUrlExpiresAt}}, "errors": {...}}. */
static void parse_images(source_t *s, const cJSON *root, const want_t *asked)
{
	li_t *l = s->priv;
	const cJSON *results = json_get(root, "results");
	for (size_t i = 0; i < asked->n; i++) {
		const char *urn = asked->urns[i];
		const cJSON *r = json_get(results, urn);
		const char *url = jtext(r, "downloadUrl");
		if (is_http_url(url)) {
			int64_t exp = jmillis(r, "downloadUrlExpiresAt");
			if (exp <= s->now)
				exp = exp ? s->now + LI_URL_MARGIN_S + 60 : s->now + LI_URL_DEFAULT_TTL_S;
			img_set(l, urn, url, exp);
		} else {
			bool logo = l->logo_urn && strcmp(urn, l->logo_urn) == 0;
			img_set(l, urn, NULL, s->now + (logo ? LI_LOGO_MISS_TTL_S : LI_MISS_TTL_S));
		}
	}
}

static void error_parts(const cJSON *root, char *out, size_t n)
{
	const char *code = jtext(root, "code");
	const char *msg = json_str(root, "message");
	const cJSON *sec = json_get(root, "serviceErrorCode");
	char num[32] = "";
	if (cJSON_IsNumber(sec) && sec->valuedouble >= 0 && sec->valuedouble < 1e9)
		snprintf(num, sizeof num, " %ld", (long)sec->valuedouble);
	if (code && strlen(code) >= 64)
		code = NULL;
	snprintf(out, n, "%s%s%s%s%.200s", code ? " " : "", code ? code : "", num, msg ? ": " : "", msg ? msg : "");
}

static const char *token_place(const source_t *s)
{
	return s->spec->token_file ? s->spec->token_file : "the linkedin_token file";
}

static int64_t rate_retry_at(const source_t *s, const net_response_t *r)
{
	const char *ra = net_response_header(r, "Retry-After");
	int64_t t;
	if (ra) {
		char *end;
		long v = strtol(ra, &end, 10);
		if (end != ra && *end == '\0' && v > 0 && v <= 86400)
			return s->now + v;
		if (time_parse_http_date(ra, &t) && t > s->now && t <= s->now + 86400)
			return t;
	}
	int64_t midnight = (s->now / 86400 + 1) * 86400; /* LinkedIn's daily limits reset at 00:00 UTC */
	int64_t hour = s->now + 3600;
	return midnight < hour ? midnight : hour;
}

/* A non-2xx answer on the org or posts step.  *soft: go on without it. */
static source_status_t classify(source_t *s, const net_response_t *r, const cJSON *root, step_t step,
                                source_batch_t *b, bool *soft)
{
	li_t *l = s->priv;
	char d[320]; /* " CODE 65601: message", or "" */
	error_parts(root, d, sizeof d);
	*soft = false;
	if (r->status == 401) {
		char *token = wire_token(s->token);
		bool have = token != NULL;
		free(token);
		if (!have) {
			source_batch_message(b,
				"LinkedIn organisation %s: no usable token (%s): put the token on the first line of a file "
				"readable only by balie (and expires=YYYY-MM-DD on the second), set linkedin_token = FILE "
				"and reload balie (docs/facebook-linkedin.md)",
				l->org_id, s->spec->token_file ? s->spec->token_file : "no linkedin_token in the configuration");
			return SRC_ERR_AUTH;
		}
		char when[80] = "";
		int64_t exp;
		char date[11];
		if (token_expiry(s->token, &exp, date) == EXP_OK && days_between(s->now, exp) <= 0)
			snprintf(when, sizeof when, "; the token file says it expired on %s", date);
		source_batch_message(b,
			"LinkedIn organisation %s: the token was refused (HTTP 401%s)%s: the 60-day sign-in expired or "
			"was revoked; sign in again as a Page administrator (docs/facebook-linkedin.md), write the new "
			"token and its expires= line to %s and reload balie",
			l->org_id, d, when, token_place(s));
		return SRC_ERR_AUTH;
	}
	if (r->status == 426) {
		char ver[16];
		wire_version_get(&li_version, ver);
		source_batch_message(b,
			"LinkedIn no longer accepts LinkedIn-Version %s (HTTP 426%s): set linkedin_version in "
			"[network] to a current version (YYYYMM, see LinkedIn's API versioning page) or update balie, "
			"then reload", ver, d);
		return SRC_ERR_CONFIG;
	}
	if (r->status == 429) {
		b->retry_at = rate_retry_at(s, r);
		l->hold_until = b->retry_at;
		source_batch_message(b, "LinkedIn organisation %s: LinkedIn's request limit was reached (HTTP 429%s): "
		                     "next try in %lld min", l->org_id, d, (long long)((b->retry_at - s->now + 59) / 60));
		return SRC_ERR_RATE;
	}
	if (r->status >= 500) {
		source_batch_message(b, "LinkedIn organisation %s: server error (HTTP %d%s)", l->org_id, r->status, d);
		return SRC_ERR_NETWORK;
	}
	if (step == STEP_ORG && r->status != 404) {
		/* the name and logo need rw_organization_admin: without them the
		 * posts still show, under the organisation id */
		*soft = true;
		source_batch_message(b, "LinkedIn organisation %s: name and logo unavailable (HTTP %d%s)", l->org_id,
		                     r->status, d);
		return SRC_CONTINUE;
	}
	if (r->status == 403) {
		source_batch_message(b,
			"LinkedIn organisation %s: access denied (HTTP 403%s): the token needs r_organization_social "
			"and the person who signed in must be ADMINISTRATOR or CONTENT_ADMIN of the Page; sign in again "
			"(docs/facebook-linkedin.md), or, if LinkedIn did not approve the Community Management API, "
			"remove linkedin from the configuration", l->org_id, d);
		return SRC_ERR_AUTH;
	}
	if (r->status == 404) {
		source_batch_message(b, "LinkedIn organisation %s not found (HTTP 404%s): check linkedin = (the number "
		                     "in linkedin.com/company/ID/admin/) and [network] linkedin_api", l->org_id, d);
		return SRC_ERR_NOT_FOUND;
	}
	source_batch_message(b, "LinkedIn organisation %s: unexpected answer (HTTP %d%s)", l->org_id, r->status, d);
	return SRC_ERR_DATA;
}

static source_status_t after_posts(source_t *s, source_batch_t *b)
{
	li_t *l = s->priv;
	want_t w;
	collect_wanted(s, &w);
	bool need = w.n > 0;
	want_free(&w);
	if (need) {
		l->step = STEP_IMAGES;
		return SRC_CONTINUE;
	}
	return build_posts(s, b);
}

static source_status_t li_handle(source_t *s, const net_response_t *r, source_batch_t *b)
{
	li_t *l = s->priv;
	if (!r) { /* the cycle asked for nothing (see linkedin.h): say why */
		if (!*l->org_id) {
			source_batch_message(b, "linkedin = '%.100s' is not a LinkedIn organisation id (the number in "
			                     "linkedin.com/company/ID/admin/)", s->spec->handle ? s->spec->handle : "");
			return SRC_ERR_CONFIG;
		}
		if (s->now < l->hold_until) {
			b->retry_at = l->hold_until;
			source_batch_message(b, "LinkedIn organisation %s: waiting for LinkedIn's request limit, %lld min left",
			                     l->org_id, (long long)((l->hold_until - s->now + 59) / 60));
			return SRC_ERR_RATE;
		}
		return SRC_NOT_MODIFIED;
	}
	step_t step = l->step;
	cJSON *root = r->error == NET_OK && json_looks_like(r->body) ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
	bool ok2xx = r->error == NET_OK && r->status >= 200 && r->status <= 299;
	source_status_t st;

	if (step == STEP_IMAGES) {
		const want_t *w = &l->asked;
		if (r->error == NET_OK && (r->status == 401 || r->status == 426)) {
			bool soft;
			st = classify(s, r, root, step, b, &soft);
		} else if (ok2xx && cJSON_IsObject(root)) {
			parse_images(s, root, w);
			st = build_posts(s, b);
		} else if (r->error == NET_OK && r->status >= 400 && r->status < 500 && r->status != 429) {
			parse_images(s, NULL, w); /* LinkedIn will not give these: go without them */
			st = build_posts(s, b);
		} else {
			if (r->error == NET_OK && r->status == 429)
				l->hold_until = rate_retry_at(s, r);
			l->batch_failed = true;
			char *ru = url_redact(r->url);
			log_debug("linkedin", "images batch %s: %s, HTTP %d", ru, net_error_name(r->error), r->status);
			free(ru);
			st = build_posts(s, b);
		}
		want_free(&l->asked);
	} else if (r->error != NET_OK) {
		source_batch_message(b, "LinkedIn organisation %s: %s%s%s", l->org_id, net_error_name(r->error),
		                     r->error_text ? ": " : "", r->error_text ? r->error_text : "");
		st = SRC_ERR_NETWORK;
	} else if (!ok2xx) {
		bool soft;
		st = classify(s, r, root, step, b, &soft);
		if (soft) {
			char *key = xasprintf("linkedin-org:%s", s->spec->key);
			log_event(key, LOG_LVL_WARN, "linkedin", "%s; showing the organisation id as its name", b->message);
			free(key);
			free(b->message);
			b->message = NULL;
			l->org_fetched = s->now;
			l->step = STEP_POSTS;
			st = SRC_CONTINUE;
		}
	} else if (!cJSON_IsObject(root)) {
		if (step == STEP_ORG) {
			l->org_fetched = s->now;
			l->step = STEP_POSTS;
			st = SRC_CONTINUE;
		} else {
			source_batch_message(b, "LinkedIn organisation %s: the answer is not LinkedIn API JSON (HTTP %d, %zu bytes)",
			                     l->org_id, r->status, r->body_len);
			st = SRC_ERR_DATA;
		}
	} else if (step == STEP_ORG) {
		parse_org(s, root);
		l->step = STEP_POSTS;
		st = SRC_CONTINUE;
	} else {
		if (!cJSON_IsArray(json_get(root, "elements"))) {
			source_batch_message(b, "LinkedIn organisation %s: the answer has no list of posts", l->org_id);
			st = SRC_ERR_DATA;
		} else {
			cJSON_Delete(l->posts_doc);
			l->posts_doc = root;
			root = NULL;
			st = after_posts(s, b);
		}
	}
	if (st != SRC_CONTINUE) {
		l->step = STEP_END;
		cJSON_Delete(l->posts_doc);
		l->posts_doc = NULL;
	}
	cJSON_Delete(root);
	return st;
}

static cJSON *li_save_state(source_t *s)
{
	li_t *l = s->priv;
	cJSON *o = cJSON_CreateObject();
	if (l->org_name || l->org_fetched) {
		cJSON *org = cJSON_AddObjectToObject(o, "org");
		if (l->org_name)
			cJSON_AddStringToObject(org, "name", l->org_name);
		if (l->org_vanity)
			cJSON_AddStringToObject(org, "vanity", l->org_vanity);
		if (l->logo_urn)
			cJSON_AddStringToObject(org, "logo", l->logo_urn);
		cJSON_AddNumberToObject(org, "fetched", (double)l->org_fetched);
	}
	if (l->n_imgs) {
		cJSON *imgs = cJSON_AddObjectToObject(o, "images");
		for (size_t i = 0; i < l->n_imgs; i++) {
			if (l->imgs[i].expires <= s->now)
				continue;
			cJSON *e = cJSON_AddObjectToObject(imgs, l->imgs[i].urn);
			if (l->imgs[i].url)
				cJSON_AddStringToObject(e, "url", l->imgs[i].url);
			cJSON_AddNumberToObject(e, "expires", (double)l->imgs[i].expires);
		}
	}
	if (l->hold_until > s->now)
		cJSON_AddNumberToObject(o, "hold_until", (double)l->hold_until);
	return o;
}

static void li_destroy(source_t *s)
{
	li_t *l = s->priv;
	if (!l)
		return;
	free(l->org_id);
	free(l->base);
	free(l->org_name);
	free(l->org_vanity);
	free(l->logo_urn);
	while (l->n_imgs)
		img_remove(l, l->n_imgs - 1);
	free(l->imgs);
	cJSON_Delete(l->posts_doc);
	want_free(&l->asked);
	free(l);
	s->priv = NULL;
}

const source_ops_t linkedin_source_ops = {
	.name = "linkedin",
	.init = li_init,
	.begin = li_begin,
	.next_request = li_next_request,
	.handle = li_handle,
	.save_state = li_save_state,
	.destroy = li_destroy,
};
