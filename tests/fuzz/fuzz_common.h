/*
 * fuzz_common: what every balie fuzz target shares.
 *
 * Each tests/fuzz/fuzz_NAME.c feeds libFuzzer's bytes to one parser and then
 * checks what came out against the contracts in the headers (a post's spans
 * lie inside its text on character boundaries, its text is UTF-8, a batch
 * message is one line without the token...).  A broken contract calls
 * __builtin_trap(), so a logic bug is reported like a crash, with the input
 * that caused it.  Everything here is static inline: each target is one
 * object file linked with the core library (Makefile, "fuzzing").
 *
 * The adapter targets (Mastodon, Bluesky, X, RSS, Facebook, LinkedIn) also
 * drive the real source_ops_t cycle, the way the poller does, answering each
 * request with a piece of the input.  Input format of those targets:
 *
 *   input    = response { NUL response }     NUL separates the answers to
 *                                            successive requests (over all
 *                                            cycles); the last one answers
 *                                            every later request
 *   response = [ "HTTP" ["/" version] " " status ... "\n"
 *                { name ":" value "\n" } "\n" ] body
 *
 * Without the "HTTP " head a response is status 200 with the target's
 * default Content-Type.  So a recorded body is a seed as it is, and a seed
 * such as "HTTP 429\nRetry-After: 30\n\n{}" reaches the error paths (a
 * recorded tests/fixtures/...headers.txt file, a blank line and a body is one too).
 */
#ifndef BALIE_FUZZ_COMMON_H
#define BALIE_FUZZ_COMMON_H

/* Like cJSON's fuzzers: refuse to build a fuzz target without sanitizers,
 * whose reports are the whole point of running it. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_HAVE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_HAVE_ASAN 1
#endif
#ifndef FUZZ_HAVE_ASAN
#error "fuzz targets need AddressSanitizer: build them with `make build/fuzz/fuzz_NAME` (clang, -fsanitize=fuzzer-no-link,address,undefined)"
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../../src/base/log.h"
#include "../../src/base/xmalloc.h"
#include "../../src/feed/model.h"
#include "../../src/net/net.h"
#include "../../src/sources/source.h"

/* The libFuzzer entry points (defined by each target). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fixed wall clock for every target (2026-09-21 UTC): results must not
 * depend on the day the fuzzer runs. */
#define FUZZ_NOW ((int64_t)1790000000)

/* A broken contract: stop here so libFuzzer saves the input. */
#define FUZZ_ASSERT(cond)                                                      \
	do {                                                                   \
		if (!(cond))                                                   \
			__builtin_trap();                                      \
	} while (0)

/* A broken contract with a value worth showing: print it (escaped, for the
 * owner reading the report), then stop as FUZZ_ASSERT does.  To look past a
 * finding that is already reported, name its check in $BALIE_FUZZ_SKIP
 * (e.g. BALIE_FUZZ_SKIP=one-line); checks: one-line, header, token, schedule. */
static inline void fuzz_fail(const char *check, const char *what, const char *value)
{
	const char *skip = getenv("BALIE_FUZZ_SKIP");
	if (skip && strstr(skip, check))
		return;
	fprintf(stderr, "fuzz: broken contract (%s): %s: \"", check, what);
	for (const unsigned char *p = (const unsigned char *)value; p && *p; p++)
		fprintf(stderr, *p >= 0x20 && *p < 0x7F && *p != '"' && *p != '\\' ? "%c" : "\\x%02X", *p);
	fprintf(stderr, "\"\n");
	__builtin_trap();
}

/* Log lines go to /dev/null, but at debug level, so that every log call
 * still formats its arguments (a bad format argument is a finding too) and
 * nothing floods the terminal. */
static inline void fuzz_quiet_logs(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0)
		log_set_fd(fd);
	log_set_level(LOG_LVL_DEBUG);
}

/* A NUL-terminated copy of the input.  Caller frees. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	return xstrndup((const char *)data, size);
}

/* Whether s[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
static inline bool fuzz_utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned char c = u[i];
		size_t n;
		uint32_t cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			n = 1, cp = c & 0x1F, min = 0x80;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2, cp = c & 0x0F, min = 0x800;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((u[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (u[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

/* A byte offset that does not split a UTF-8 sequence of text (len bytes). */
static inline bool fuzz_on_boundary(const char *text, size_t len, uint32_t off)
{
	return off == len || (off < len && ((unsigned char)text[off] & 0xC0) != 0x80);
}

/* The contract of an author_t after parsing (model.h). */
static inline void fuzz_check_author(const author_t *a)
{
	FUZZ_ASSERT(a->name != NULL);
	FUZZ_ASSERT(a->n_emojis == 0 || a->emojis != NULL);
	for (size_t i = 0; i < a->n_emojis; i++)
		FUZZ_ASSERT(a->emojis[i].shortcode != NULL);
}

/* Spans of a text: [start, end) inside it and, when the text is UTF-8,
 * on character boundaries.  (The renderer shows invalid bytes as '?' at the
 * same offsets, so in a text that is not UTF-8 only the bounds matter.) */
static inline void fuzz_check_spans(const char *text, const span_t *spans, size_t n)
{
	FUZZ_ASSERT(text != NULL);
	FUZZ_ASSERT(n == 0 || spans != NULL);
	size_t len = strlen(text);
	bool utf8 = fuzz_utf8_valid(text, len);
	for (size_t i = 0; i < n; i++) {
		const span_t *s = &spans[i];
		FUZZ_ASSERT(s->start <= s->end);
		FUZZ_ASSERT(s->end <= len);
		FUZZ_ASSERT(!utf8 || fuzz_on_boundary(text, len, s->start));
		FUZZ_ASSERT(!utf8 || fuzz_on_boundary(text, len, s->end));
		FUZZ_ASSERT(s->kind == SPAN_LINK || s->kind == SPAN_MENTION || s->kind == SPAN_HASHTAG ||
		            s->kind == SPAN_EMOJI);
	}
}

/* Set by targets whose parser promises UTF-8 text whatever the input (text
 * that went through html.c, or expat, which refuses invalid UTF-8). */
static bool fuzz_text_is_utf8;

/* The contract of a post as a parser hands it on (model.h): a key, a text
 * whose spans lie inside it, an author with a name, media with a URL. */
static inline void fuzz_check_post(const post_t *p)
{
	FUZZ_ASSERT(p != NULL);
	FUZZ_ASSERT(p->key != NULL && p->key[0] != '\0');
	FUZZ_ASSERT(p->text != NULL);
	FUZZ_ASSERT(!fuzz_text_is_utf8 || fuzz_utf8_valid(p->text, strlen(p->text)));
	fuzz_check_spans(p->text, p->spans, p->n_spans);
	fuzz_check_author(&p->author);
	if (p->booster)
		fuzz_check_author(p->booster);
	FUZZ_ASSERT(p->n_media == 0 || p->media != NULL);
	for (size_t i = 0; i < p->n_media; i++)
		FUZZ_ASSERT(p->media[i].url != NULL);
	FUZZ_ASSERT(p->n_emojis == 0 || p->emojis != NULL);
	for (size_t i = 0; i < p->n_emojis; i++)
		FUZZ_ASSERT(p->emojis[i].shortcode != NULL);
	FUZZ_ASSERT((int)p->network >= 0 && p->network < NET__COUNT);
}

static inline void fuzz_check_list(const post_list_t *l)
{
	FUZZ_ASSERT(l->len <= l->cap);
	for (size_t i = 0; i < l->len; i++)
		fuzz_check_post(l->items[i]);
}

/* ---- a private directory for the targets that must use files -------------- */

static char fuzz_dir[128];

/* Remove every file in fuzz_dir (and in one level of subdirectories), and
 * with the directory itself when all is true. */
static inline void fuzz_dir_clean(bool all)
{
	DIR *d = opendir(fuzz_dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *path = xasprintf("%s/%s", fuzz_dir, e->d_name);
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (all) {
				DIR *sd = opendir(path);
				struct dirent *se;
				while (sd && (se = readdir(sd)) != NULL) {
					char *sp = xasprintf("%s/%s", path, se->d_name);
					if (se->d_name[0] != '.')
						unlink(sp);
					free(sp);
				}
				if (sd)
					closedir(sd);
				rmdir(path);
			}
		} else if (all || strstr(e->d_name, ".corrupt-")) {
			unlink(path);
		}
		free(path);
	}
	closedir(d);
	if (all)
		rmdir(fuzz_dir);
}

static inline void fuzz_dir_remove(void)
{
	fuzz_dir_clean(true);
}

/* Remove the directories of earlier runs that crashed (a crash skips the
 * atexit handler): "balie-fuzz-PID-*" of a process that no longer exists. */
static inline void fuzz_dir_remove_stale(const char *tmp)
{
	DIR *d = opendir(tmp);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		long pid = 0;
		if (sscanf(e->d_name, "balie-fuzz-%ld-", &pid) != 1 || pid <= 0 || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH || strlen(tmp) + strlen(e->d_name) + 2 > sizeof fuzz_dir)
			continue;
		snprintf(fuzz_dir, sizeof fuzz_dir, "%s/%s", tmp, e->d_name);
		fuzz_dir_clean(true);
	}
	closedir(d);
}

/* Make fuzz_dir, a new directory under $TMPDIR (or /tmp) removed at exit. */
static inline void fuzz_dir_make(void)
{
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp || strlen(tmp) > 40)
		tmp = "/tmp";
	fuzz_dir_remove_stale(tmp);
	snprintf(fuzz_dir, sizeof fuzz_dir, "%s/balie-fuzz-%ld-XXXXXX", tmp, (long)getpid());
	FUZZ_ASSERT(mkdtemp(fuzz_dir) != NULL);
	atexit(fuzz_dir_remove);
}

/* Replace fuzz_dir/name with the bytes (no fsync: speed matters here). */
static inline void fuzz_write_file(const char *name, const uint8_t *data, size_t size)
{
	char *path = xasprintf("%s/%s", fuzz_dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_ASSERT(fd >= 0);
	size_t off = 0;
	while (off < size) {
		ssize_t w = write(fd, data + off, size - off);
		FUZZ_ASSERT(w > 0);
		off += (size_t)w;
	}
	close(fd);
	free(path);
}

/* ---- driving an adapter ------------------------------------------------- */

/* A spec as the configuration would build it.  Strings copied; NULL allowed.
 * Caller frees with source_spec_free(). */
static inline source_spec_t *fuzz_spec(const char *key, network_t net, source_kind_t kind, const char *handle,
                                       const char *server, bool replies, bool boosts)
{
	source_spec_t *s = xcalloc(1, sizeof *s);
	s->key = xstrdup(key);
	s->network = net;
	s->kind = kind;
	s->person = kind == SRC_HASHTAG ? NULL : xstrdup("fuzz-person");
	s->handle = xstrdup(handle);
	s->server = xstrdup(server);
	s->token_file = xstrdup("/etc/balie/fuzz.token");
	s->interval_s = 60;
	s->include_replies = replies;
	s->include_boosts = boosts;
	s->public_only = !replies;
	return s;
}

typedef struct {
	const uint8_t *data;   /* the whole input */
	size_t size;
	const char *content_type; /* for responses without a head */
	const char *token;     /* s->token as the poller reads the token file (its first
	                        * line; LinkedIn and Bluesky: all of it), or NULL */
	const char *secret;    /* the part of it that must never show in a URL or message */
} fuzz_input_t;

/* Piece i of the input (NUL-separated); the last piece for i beyond it. */
static inline void fuzz_piece(const fuzz_input_t *in, size_t i, const char **p, size_t *n)
{
	const char *s = (const char *)in->data, *end = s + in->size;
	for (;;) {
		const char *nul = memchr(s, '\0', (size_t)(end - s));
		if (!nul || i == 0) {
			*p = s;
			*n = (size_t)((nul ? nul : end) - s);
			return;
		}
		s = nul + 1;
		i--;
	}
}

static inline void fuzz_add_header(net_response_t *r, const char *name, size_t nn, const char *value,
                                   size_t vn)
{
	r->headers = xrealloc(r->headers, (r->n_headers + 1) * sizeof *r->headers);
	r->headers[r->n_headers].name = xstrndup(name, nn);
	r->headers[r->n_headers].value = xstrndup(value, vn);
	r->n_headers++;
}

/* The response to request url: piece i of the input, parsed as above.
 * Caller frees with net_response_free(). */
static inline net_response_t *fuzz_response(const fuzz_input_t *in, size_t i, const char *url)
{
	const char *p;
	size_t n;
	fuzz_piece(in, i, &p, &n);
	net_response_t *r = xcalloc(1, sizeof *r);
	r->url = xstrdup(url);
	r->error = NET_OK;
	r->status = 200;
	const char *end = p + n;
	size_t at = 4; /* after "HTTP", skip a version such as "/1.1" or "/2" */
	if (n >= 4 && memcmp(p, "HTTP", 4) == 0 && at < n && p[at] == '/')
		while (at < n && at < 12 && p[at] != ' ')
			at++;
	if (n >= 4 && memcmp(p, "HTTP", 4) == 0 && n >= at + 4 && p[at] == ' ' && p[at + 1] >= '0' &&
	    p[at + 1] <= '9' && p[at + 2] >= '0' && p[at + 2] <= '9' && p[at + 3] >= '0' && p[at + 3] <= '9') {
		r->status = (p[at + 1] - '0') * 100 + (p[at + 2] - '0') * 10 + (p[at + 3] - '0');
		const char *line = memchr(p, '\n', n);
		line = line ? line + 1 : end;
		while (line < end) {
			const char *nl = memchr(line, '\n', (size_t)(end - line));
			const char *le = nl ? nl : end;
			const char *next = nl ? nl + 1 : end;
			if (le > line && le[-1] == '\r')
				le--;
			if (le == line) { /* the blank line: the body follows */
				line = next;
				break;
			}
			const char *colon = memchr(line, ':', (size_t)(le - line));
			if (colon && r->n_headers < 32) {
				const char *v = colon + 1;
				while (v < le && (*v == ' ' || *v == '\t'))
					v++;
				fuzz_add_header(r, line, (size_t)(colon - line), v, (size_t)(le - v));
			}
			line = next;
		}
		p = line;
	} else if (in->content_type) {
		fuzz_add_header(r, "Content-Type", 12, in->content_type, strlen(in->content_type));
	}
	r->body_len = (size_t)(end - p);
	r->body = xmalloc(r->body_len + 1);
	memcpy(r->body, p, r->body_len);
	r->body[r->body_len] = '\0';
	return r;
}

/* Whether needle occurs in the input (then finding it in the output is no leak). */
static inline bool fuzz_input_has(const fuzz_input_t *in, const char *needle)
{
	return memmem(in->data, in->size, needle, strlen(needle)) != NULL;
}

/* What a finished cycle must look like: valid posts, named deletions, a
 * one-line message without the token. */
static inline void fuzz_check_batch(const fuzz_input_t *in, const source_batch_t *b, source_status_t st)
{
	FUZZ_ASSERT(st >= SRC_CONTINUE && st <= SRC_ERR_CONFIG);
	fuzz_check_list(&b->posts);
	FUZZ_ASSERT(b->n_deleted == 0 || b->deleted != NULL);
	for (size_t i = 0; i < b->n_deleted; i++)
		FUZZ_ASSERT(b->deleted[i] != NULL);
	if (b->message) {
		if (strchr(b->message, '\n'))
			fuzz_fail("one-line", "batch message of more than one line", b->message);
		if (in->secret && !fuzz_input_has(in, in->secret) && strstr(b->message, in->secret))
			fuzz_fail("token", "batch message holds the token", b->message);
	}
}

/* A request the adapter built: header lines that cannot split (no CR or LF
 * from a response or a state file may inject a header: libcurl sends them
 * as given), and a URL without the token (tokens travel in headers only). */
static inline void fuzz_check_request(const fuzz_input_t *in, const net_request_t *req)
{
	FUZZ_ASSERT(req->url != NULL);
	FUZZ_ASSERT(req->n_headers == 0 || req->headers != NULL);
	for (size_t i = 0; i < req->n_headers; i++) {
		FUZZ_ASSERT(req->headers[i] != NULL);
		if (strpbrk(req->headers[i], "\r\n"))
			fuzz_fail("header", "request header with CR or LF", req->headers[i]);
	}
	if (in->secret && !fuzz_input_has(in, in->secret) && strstr(req->url, in->secret))
		fuzz_fail("token", "request URL holds the token", req->url);
}

/* One refresh cycle as the poller runs it (begin, then request/response
 * pairs until the adapter stops; at most 50 requests, the poller's limit).
 * *piece: the input piece that answers the next request (it carries on
 * from cycle to cycle).  Returns the last status. */
static inline source_status_t fuzz_cycle(source_t *s, const fuzz_input_t *in, size_t *piece)
{
	source_batch_t b;
	source_batch_init(&b);
	source_status_t st = SRC_DONE;
	if (s->ops->begin)
		s->ops->begin(s);
	for (size_t i = 0; i < 50; i++) {
		net_request_t *req = s->ops->next_request(s);
		if (!req)
			break;
		fuzz_check_request(in, req);
		net_response_t *r = fuzz_response(in, (*piece)++, req->url);
		net_request_free(req);
		st = s->ops->handle(s, r, &b);
		net_response_free(r);
		if (st != SRC_CONTINUE)
			break;
	}
	fuzz_check_batch(in, &b, st);
	source_batch_clear(&b);
	return st;
}

/* The adapter's state as the cache would keep it: printed, parsed back.
 * Caller frees (cJSON_Delete); NULL when the adapter keeps none. */
static inline cJSON *fuzz_saved_state(source_t *s)
{
	if (!s->ops->save_state)
		return NULL;
	cJSON *st = s->ops->save_state(s);
	if (!st)
		return NULL;
	char *text = cJSON_PrintUnformatted(st);
	cJSON_Delete(st);
	FUZZ_ASSERT(text != NULL);
	cJSON *back = cJSON_Parse(text);
	FUZZ_ASSERT(back != NULL); /* what we write we must be able to read */
	free(text);
	return back;
}

static inline source_t *fuzz_source_new(const source_ops_t *ops, const source_spec_t *spec, const char *token,
                                        const cJSON *state)
{
	source_t *s = xcalloc(1, sizeof *s);
	s->spec = source_spec_clone(spec);
	s->ops = ops;
	s->token = xstrdup(token);
	s->now = FUZZ_NOW;
	ops->init(s, state);
	return s;
}

static inline void fuzz_source_free(source_t *s)
{
	if (s->ops->destroy)
		s->ops->destroy(s);
	source_spec_free(s->spec);
	free(s->token);
	free(s);
}

/* The life of a source over the input: two cycles (the second one sees what
 * the first one learnt: ids, etags, sessions), then a restart from the saved
 * state and one more cycle. */
static inline void fuzz_drive(const source_ops_t *ops, const source_spec_t *spec, const fuzz_input_t *in)
{
	FUZZ_ASSERT(ops != NULL);
	size_t piece = 0;
	source_t *s = fuzz_source_new(ops, spec, in->token, NULL);
	fuzz_cycle(s, in, &piece);
	s->now += spec->interval_s;
	fuzz_cycle(s, in, &piece);
	cJSON *state = fuzz_saved_state(s);
	fuzz_source_free(s);

	s = fuzz_source_new(ops, spec, in->token, state);
	s->now += 2 * spec->interval_s;
	fuzz_cycle(s, in, &piece);
	cJSON *again = fuzz_saved_state(s);
	cJSON_Delete(again);
	fuzz_source_free(s);
	cJSON_Delete(state);
}

#endif
