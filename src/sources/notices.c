/*
 * notices: the front-desk notices file (format in notices.h).
 *
 * Parsing is a line loop with one "current notice" being filled; a notice is
 * finished at the next [notice] line or at the end of the file, checked, and
 * either becomes a post or one error line.  Nothing in the file can stop the
 * other notices from showing.  The adapter stats the file each cycle and
 * parses only when it changed; the posts carry show_from/show_until, so the
 * feed (not this adapter) decides what is on screen at a given moment.
 */
#include "notices.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/fsio.h"
#include "../base/log.h"
#include "../base/sha256.h"
#include "../base/xmalloc.h"

#define MAX_LINE 4096
#define MAX_TEXT 4000
#define PRIORITY_DEFAULT 1
#define PRIORITY_MAX 10

void notices_errors_clear(notices_errors_t *e)
{
	for (size_t i = 0; i < e->len; i++)
		free(e->lines[i]);
	free(e->lines);
	memset(e, 0, sizeof *e);
}

static void add_error(notices_errors_t *e, const char *path, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add_error(notices_errors_t *e, const char *path, size_t line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	for (char *c = msg; *c; c++) /* one line, whatever the file holds */
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	XGROW(e->lines, e->cap, e->len + 1);
	e->lines[e->len++] = xasprintf("%s:%zu: %s", path, line, msg);
}

/* At most max bytes of s for a message, cut at a character boundary.
 * Returns buf (of at least max + 1 bytes). */
static const char *clip(const char *s, char *buf, size_t max)
{
	size_t n = strlen(s);
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

/* ---- times --------------------------------------------------------------- */

/* Read 1..max digits; false when none. */
static bool read_int(const char **p, int max, int *out)
{
	int v = 0, n = 0;
	while (n < max && isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*out = v;
	return n > 0;
}

static int days_in_month(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

bool notices_parse_time(const char *s, bool end_of_day, int64_t *out)
{
	const char *p = s;
	while (*p == ' ' || *p == '\t')
		p++;
	int a, b, c;
	const char *start = p;
	if (!read_int(&p, 4, &a))
		return false;
	size_t first_len = (size_t)(p - start);
	char sep = *p;
	if (sep != '-' && sep != '/' && sep != '.')
		return false;
	p++;
	if (!read_int(&p, 2, &b) || *p != sep)
		return false;
	p++;
	if (!read_int(&p, 4, &c))
		return false;
	int y, mo, d;
	if (first_len == 4) { /* 2026-12-01 */
		y = a;
		mo = b;
		d = c;
	} else {              /* 1-12-2026, as people in the Netherlands write it */
		d = a;
		mo = b;
		y = c;
	}
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return false;
	int h = 0, mi = 0, sec = 0;
	bool have_time = false;
	if (*p == ' ' || *p == 'T' || *p == 't') {
		const char *q = p + 1;
		while (*q == ' ')
			q++;
		if (*q) {
			if (!read_int(&q, 2, &h) || (*q != ':' && *q != '.'))
				return false;
			q++;
			if (!read_int(&q, 2, &mi))
				return false;
			if (*q == ':') {
				q++;
				if (!read_int(&q, 2, &sec))
					return false;
				if (*q == '.' || *q == ',') { /* fraction: ignored */
					q++;
					while (isdigit((unsigned char)*q))
						q++;
				}
			}
			have_time = true;
		}
		p = q;
	}
	if (h > 23 || mi > 59 || sec > 60)
		return false;
	if (!have_time && end_of_day) {
		h = 23;
		mi = 59;
		sec = 59;
	}
	bool zoned = false;
	int offset = 0;
	while (*p == ' ')
		p++;
	if (*p == 'Z' || *p == 'z') {
		zoned = true;
		p++;
	} else if ((*p == '+' || *p == '-') && have_time) {
		int sign = *p == '-' ? -1 : 1, oh, om = 0;
		p++;
		const char *oh_start = p;
		if (!read_int(&p, 2, &oh) || p - oh_start != 2)
			return false;
		if (*p == ':')
			p++;
		if (isdigit((unsigned char)*p) && !read_int(&p, 2, &om))
			return false;
		if (oh > 14 || om > 59)
			return false;
		offset = sign * (oh * 3600 + om * 60);
		zoned = true;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p)
		return false;

	struct tm tm = { 0 };
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	time_t t;
	if (zoned) {
		t = timegm(&tm);
		if (t == (time_t)-1)
			return false;
		*out = (int64_t)t - offset;
	} else {
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t == (time_t)-1)
			return false;
		*out = (int64_t)t;
	}
	return true;
}

/* ---- parsing ------------------------------------------------------------- */

typedef enum { K_TEXT, K_FROM, K_UNTIL, K_PRIORITY, K_IMAGE, K_ALT, K_UNKNOWN } notice_key_t;

static notice_key_t key_of(const char *k)
{
	static const struct { const char *name; notice_key_t key; } keys[] = {
		{ "text", K_TEXT }, { "tekst", K_TEXT },
		{ "from", K_FROM }, { "start", K_FROM }, { "van", K_FROM }, { "vanaf", K_FROM },
		{ "until", K_UNTIL }, { "end", K_UNTIL }, { "tot", K_UNTIL }, { "totenmet", K_UNTIL },
		{ "t/m", K_UNTIL },
		{ "priority", K_PRIORITY }, { "prioriteit", K_PRIORITY },
		{ "image", K_IMAGE }, { "afbeelding", K_IMAGE }, { "foto", K_IMAGE },
		{ "alt", K_ALT }, { "beschrijving", K_ALT },
	};
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		if (strcasecmp(keys[i].name, k) == 0)
			return keys[i].key;
	return K_UNKNOWN;
}

typedef struct {
	bool open;         /* a notice is being filled */
	bool bad;          /* a fatal mistake was reported: skip it */
	size_t line;       /* where it started */
	char *name;        /* [notice "name"] or NULL */
	char *text;
	size_t text_len;
	bool text_capped;
	int64_t from, until;
	int priority;
	char *image;
	char *alt;
	notice_key_t last_key;   /* for continuation lines */
} pending_t;

typedef struct {
	const char *path;
	const source_spec_t *spec;
	int64_t mtime;
	post_list_t *out;
	notices_errors_t *errs;
	size_t added;
	bool cap_reported;
} ctx_t;

static void pending_reset(pending_t *n)
{
	free(n->name);
	free(n->text);
	free(n->image);
	free(n->alt);
	memset(n, 0, sizeof *n);
	n->priority = PRIORITY_DEFAULT;
	n->last_key = K_UNKNOWN;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static void text_append(ctx_t *c, pending_t *n, const char *s, size_t line)
{
	size_t add = strlen(s);
	size_t sep = n->text ? 1 : 0;
	if (n->text_len + sep + add > MAX_TEXT) {
		if (!n->text_capped)
			add_error(c->errs, c->path, line, "text is longer than %d bytes; the rest is left out", MAX_TEXT);
		n->text_capped = true;
		return;
	}
	n->text = xrealloc(n->text, n->text_len + sep + add + 1);
	if (sep)
		n->text[n->text_len++] = '\n';
	memcpy(n->text + n->text_len, s, add + 1);
	n->text_len += add;
}

/* Directory part of path ("." when none).  Caller frees. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	return xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
}

static void finish(ctx_t *c, pending_t *n)
{
	if (!n->open)
		return;
	if (n->bad)
		goto out;
	if (!n->text || !*n->text) {
		add_error(c->errs, c->path, n->line, "notice has no text; skipped");
		goto out;
	}
	if (n->from && n->until && n->until <= n->from) {
		add_error(c->errs, c->path, n->line, "notice ends before it starts (until is not after from); skipped");
		goto out;
	}
	if (c->added >= NOTICES_MAX) {
		if (!c->cap_reported)
			add_error(c->errs, c->path, n->line, "more than %d notices; the rest is skipped", NOTICES_MAX);
		c->cap_reported = true;
		goto out;
	}

	post_t *p = post_new();
	free(p->text);
	p->text = xstrdup(n->text);
	char *ident;
	if (n->name) {
		ident = xstrdup(n->name);
	} else {
		char *basis = xasprintf("%s\x1f%lld\x1f%lld\x1f%s", n->text, (long long)n->from,
		                        (long long)n->until, n->image ? n->image : "");
		char hex[SHA256_HEX_LEN + 1];
		sha256_hex(basis, strlen(basis), hex);
		free(basis);
		ident = xstrndup(hex, 16);
	}
	p->key = xasprintf("notice:%s", ident);
	p->id = ident;
	if (post_list_find(c->out, p->key) >= 0) {
		if (n->name)
			add_error(c->errs, c->path, n->line, "a notice named \"%s\" is already in this file; skipped",
			          n->name);
		else
			add_error(c->errs, c->path, n->line, "the same notice is already in this file; skipped");
		post_free(p);
		goto out;
	}
	p->source = xstrdup(c->spec ? c->spec->key : NULL);
	p->person = xstrdup(c->spec ? c->spec->person : NULL);
	p->network = NET_NOTICE;
	p->visibility = VIS_PUBLIC;
	p->created = n->from ? n->from : c->mtime;
	p->show_from = n->from;
	p->show_until = n->until;
	p->priority = n->priority;
	/* the screen shows the organisation (display.organisation) as author;
	 * the feed fills it in, this is only the fallback */
	p->author.name = xstrdup("Balie");
	if (n->image) {
		char *abs;
		if (n->image[0] == '/') {
			abs = xstrdup(n->image);
		} else {
			char *dir = dir_of(c->path);
			abs = xasprintf("%s/%s", dir, n->image);
			free(dir);
		}
		if (access(abs, R_OK) != 0) {
			add_error(c->errs, c->path, n->line, "image %s: %s; the notice is shown without it",
			          abs, strerror(errno));
		} else {
			media_t *m = post_add_media(p);
			m->kind = MEDIA_IMAGE;
			m->url = xasprintf("file://%s", abs);
			m->alt = xstrdup(n->alt);
		}
		free(abs);
	}
	post_list_push(c->out, p);
	c->added++;
out:
	pending_reset(n);
}

/* "[notice]", "[notice name]", "[notice "name"]"; returns false for another section. */
static bool section_notice(char *inner, char **name)
{
	*name = NULL;
	inner = trim(inner);
	size_t kw = strcspn(inner, " \t\"");
	bool ok = (kw == 6 && strncasecmp(inner, "notice", 6) == 0) ||
	          (kw == 7 && strncasecmp(inner, "melding", 7) == 0);
	if (!ok)
		return false;
	char *rest = trim(inner + kw);
	size_t n = strlen(rest);
	if (n >= 2 && rest[0] == '"' && rest[n - 1] == '"') {
		rest[n - 1] = '\0';
		rest++;
	}
	rest = trim(rest);
	if (*rest)
		*name = xstrdup(rest);
	return true;
}

/* "from = ..." with a known key: an indented key line, not more text. */
static bool looks_like_key(const char *s)
{
	size_t k = strcspn(s, "=:");
	if (!s[k] || k == 0 || k > 20)
		return false;
	char key[24];
	memcpy(key, s, k);
	key[k] = '\0';
	return key_of(trim(key)) != K_UNKNOWN;
}

static bool name_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (!isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
			return false;
	return strlen(s) <= 64;
}

size_t notices_parse(const char *text, size_t len, const char *path, const source_spec_t *spec,
                     int64_t mtime, post_list_t *out, notices_errors_t *errs)
{
	ctx_t c = { .path = path ? path : "notices", .spec = spec, .mtime = mtime, .out = out, .errs = errs };
	pending_t n;
	memset(&n, 0, sizeof n);
	pending_reset(&n);
	bool in_other = false; /* inside an unknown [section] */
	size_t line = 0;
	const char *p = text, *end = text + len;

	/* a UTF-8 byte order mark from a Windows editor */
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t ll = (size_t)(le - p);
		line++;
		const char *next = nl ? nl + 1 : end;
		if (ll > MAX_LINE) {
			add_error(errs, c.path, line, "line longer than %d bytes; ignored", MAX_LINE);
			p = next;
			continue;
		}
		if (memchr(p, '\0', ll)) {
			add_error(errs, c.path, line, "line holds a NUL byte (not a text file?); ignored");
			p = next;
			continue;
		}
		char *buf = xstrndup(p, ll);
		bool continuation = ll > 0 && (buf[0] == ' ' || buf[0] == '\t');
		char *s = trim(buf);
		p = next;

		if (!*s) {
			n.last_key = K_UNKNOWN; /* a blank line ends a multi-line text */
		} else if (*s == '#' || *s == ';') {
			/* comment */
		} else if (continuation && n.open && !in_other && n.last_key == K_TEXT && !looks_like_key(s)) {
			text_append(&c, &n, s, line);
		} else if (*s == '[') {
			char *close = strrchr(s, ']');
			finish(&c, &n);
			if (!close || close[1]) {
				add_error(errs, c.path, line, "section header must look like [notice]");
				in_other = true;
			} else {
				*close = '\0';
				char *name;
				if (section_notice(s + 1, &name)) {
					in_other = false;
					n.open = true;
					n.line = line;
					if (name && !name_ok(name)) {
						char cb[48];
						add_error(errs, c.path, line, "notice name \"%s\" may only hold letters, "
						          "digits, '-', '_' and '.'; ignored", clip(name, cb, 40));
						free(name);
						name = NULL;
					}
					n.name = name;
				} else {
					char cb[48];
					add_error(errs, c.path, line, "unknown section [%s]; expected [notice]",
					          clip(trim(s + 1), cb, 40));
					in_other = true;
				}
			}
		} else if (in_other) {
			/* already reported at the section header */
		} else {
			size_t k = strcspn(s, "=:");
			if (!s[k]) {
				char cb[48];
				add_error(errs, c.path, line, "expected \"key = value\", got \"%s\"", clip(s, cb, 40));
				free(buf);
				continue;
			}
			s[k] = '\0';
			char *key = trim(s), *val = trim(s + k + 1);
			if (!n.open) { /* keys before the first [notice] start one */
				n.open = true;
				n.line = line;
			}
			notice_key_t kk = key_of(key);
			n.last_key = kk;
			char cb[48];
			switch (kk) {
			case K_TEXT:
				if (n.text) {
					add_error(errs, c.path, line, "second text in one notice; start a new one with [notice]");
					n.last_key = K_UNKNOWN;
				} else {
					text_append(&c, &n, val, line);
				}
				break;
			case K_FROM:
			case K_UNTIL: {
				int64_t t;
				if (!*val) {
					if (kk == K_FROM)
						n.from = 0;
					else
						n.until = 0;
				} else if (!notices_parse_time(val, kk == K_UNTIL, &t)) {
					add_error(errs, c.path, line,
					          "%s: \"%s\" is not a time like 2026-12-01 08:00 or 2026-12-01; notice skipped",
					          key, clip(val, cb, 40));
					n.bad = true;
				} else if (kk == K_FROM) {
					n.from = t;
				} else {
					n.until = t;
				}
				break;
			}
			case K_PRIORITY: {
				char *e;
				errno = 0;
				long v = strtol(val, &e, 10);
				if (!*val || *trim(e) || errno || v < 0 || v > PRIORITY_MAX) {
					add_error(errs, c.path, line, "priority must be a whole number from 0 to %d; using %d",
					          PRIORITY_MAX, PRIORITY_DEFAULT);
					n.priority = PRIORITY_DEFAULT;
				} else {
					n.priority = (int)v;
				}
				break;
			}
			case K_IMAGE:
				free(n.image);
				n.image = *val ? xstrdup(val) : NULL;
				break;
			case K_ALT:
				free(n.alt);
				n.alt = *val ? xstrdup(val) : NULL;
				break;
			case K_UNKNOWN:
				add_error(errs, c.path, line,
				          "unknown key \"%s\" (known: text, from, until, priority, image, alt); ignored",
				          clip(key, cb, 40));
				break;
			}
		}
		free(buf);
	}
	finish(&c, &n);
	pending_reset(&n);
	return c.added;
}

/* ---- the adapter --------------------------------------------------------- */

typedef struct {
	bool have_stat;
	struct stat st;      /* of the last successful read */
	char *last_message;
} notices_priv_t;

static void n_init(source_t *s, const cJSON *state)
{
	(void)state; /* nothing worth keeping: the file is the state */
	s->priv = xcalloc(1, sizeof(notices_priv_t));
}

static void n_begin(source_t *s)
{
	(void)s;
}

/* No network: the poller asks, gets NULL, and the cycle's result comes from
 * handle(s, NULL, b), which reads the file. */
static net_request_t *n_next_request(source_t *s)
{
	(void)s;
	return NULL;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static source_status_t n_run(source_t *s, source_batch_t *b)
{
	notices_priv_t *np = s->priv;
	const char *path = s->spec->handle;
	if (!path || !*path) {
		source_batch_message(b, "[notices] has no file = PATH");
		return SRC_ERR_CONFIG;
	}
	struct stat st;
	if (stat(path, &st) != 0) {
		source_batch_message(b, "notices file %s: %s", path, strerror(errno));
		return errno == ENOENT ? SRC_ERR_NOT_FOUND : SRC_ERR_DATA;
	}
	if (!S_ISREG(st.st_mode)) {
		source_batch_message(b, "notices file %s is not a regular file", path);
		return SRC_ERR_DATA;
	}
	if (np->have_stat && same_file(&st, &np->st)) {
		if (np->last_message)
			source_batch_message(b, "%s", np->last_message);
		return SRC_NOT_MODIFIED;
	}
	size_t len;
	char *text = fsio_read_file(path, NOTICES_MAX_FILE, &len);
	if (!text) {
		if (errno == EFBIG)
			source_batch_message(b, "notices file %s is larger than %d KiB", path, NOTICES_MAX_FILE / 1024);
		else
			source_batch_message(b, "notices file %s: %s", path, strerror(errno));
		return SRC_ERR_DATA;
	}
	notices_errors_t errs = { 0 };
	size_t n = notices_parse(text, len, path, s->spec, (int64_t)st.st_mtim.tv_sec, &b->posts, &errs);
	free(text);
	for (size_t i = 0; i < errs.len; i++)
		log_warn("notices", "%s", errs.lines[i]);
	if (errs.len)
		source_batch_message(b, "%zu notice%s, %zu problem%s (first: %s)", n, n == 1 ? "" : "s",
		                     errs.len, errs.len == 1 ? "" : "s", errs.lines[0]);
	else
		source_batch_message(b, "%zu notice%s", n, n == 1 ? "" : "s");
	notices_errors_clear(&errs);
	free(np->last_message);
	np->last_message = xstrdup(b->message);
	np->st = st;
	np->have_stat = true;
	b->authoritative = true;
	b->window_start = INT64_MIN;
	return SRC_DONE;
}

static source_status_t n_handle(source_t *s, const net_response_t *r, source_batch_t *b)
{
	(void)r; /* never a network response: see n_next_request */
	return n_run(s, b);
}

static void n_destroy(source_t *s)
{
	notices_priv_t *np = s->priv;
	if (np)
		free(np->last_message);
	free(np);
	s->priv = NULL;
}

const source_ops_t notices_source_ops = {
	.name = "notices",
	.init = n_init,
	.begin = n_begin,
	.next_request = n_next_request,
	.handle = n_handle,
	.save_state = NULL,
	.destroy = n_destroy,
};
