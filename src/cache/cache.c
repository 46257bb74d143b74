/*
 * cache: see cache.h for the layout and README.md ("Cache format") for the files.
 *
 * The idea in five lines: every file is replaced whole through
 * fsio_write_atomic(), so a reader (or a balie restarted after a crash or a
 * power cut) sees either the old or the new file; a file that still fails to
 * load is moved aside, never overwritten; media are named by the SHA-256 of
 * their bytes, so nothing from the network ever becomes a path; one flock(2)
 * keeps two writers out of one directory.
 *
 * A damaged posts.json (cut short, a bad block, flipped bits) is salvaged
 * before it is moved aside: every post outside the damage is read back, a
 * copy of the damaged bytes is kept as posts.json.corrupt-*, and the
 * recovered posts replace posts.json, so the screen starts with them instead
 * of empty.  No older generation (posts.json.prev) is kept: the atomic
 * writes already rule out a torn file after a power cut, salvage covers
 * partial damage, and an older copy would bring back posts deleted or
 * hidden since.
 *
 * A cache_t does not change after cache_open(), so its functions may be
 * called from several threads.  Failures to save are reported through
 * log_event(), so a full or read-only disk gives one line, not one per poll.
 */
#include "cache.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/fsio.h"
#include "../base/log.h"
#include "../base/sha256.h"
#include "../base/xmalloc.h"

#define POSTS_FORMAT "balie-posts"
#define POSTS_VERSION 1
#define MAX_FILE_BYTES ((size_t)64 << 20)
/* 2024-01-01T00:00:00Z: a clock before this is not set yet (a Pi has no RTC). */
#define PLAUSIBLE_NOW 1704067200

struct cache {
	char *dir, *media_dir;
	char *posts_path, *state_path, *lock_path;
	char *posts_event, *state_event, *media_event; /* log_event keys */
	char *posts_ok, *state_ok, *media_ok;          /* ... and their "resolved" lines */
	cache_options_t opt;
	bool writer;    /* opened for writing (may still be on a read-only disk) */
	int lock_fd;    /* holds the flock; -1 for readers and unwritable dirs */
};

void cache_options_default(cache_options_t *o)
{
	o->max_media_bytes = 256LL << 20;
	o->max_age_days = 30;
	o->max_posts = 500;
}

char *cache_default_dir(const char *dir)
{
	if (dir && *dir)
		return xstrdup(dir);
	const char *v = getenv("CACHE_DIRECTORY");
	if (v && *v && *v != ':') /* systemd: "a:b" when several are configured */
		return xstrndup(v, strcspn(v, ":"));
	v = getenv("XDG_CACHE_HOME");
	if (v && *v == '/') /* the XDG spec says relative paths are invalid */
		return xasprintf("%s/balie", v);
	v = getenv("HOME");
	if (!v || !*v) {
		struct passwd *pw = getpwuid(getuid());
		v = pw ? pw->pw_dir : NULL;
	}
	if (!v || !*v) {
		/* No home at all: a directory here, so that cache_open() reports a
		 * clear error rather than anyone dereferencing NULL. */
		log_warn("cache", "no cache directory configured and no home directory; "
		         "using ./balie-cache");
		return xstrdup("balie-cache");
	}
	return xasprintf("%s/.cache/balie", v);
}

const char *cache_dir(const cache_t *c)
{
	return c->dir;
}

/* Remove temp files a killed writer left in dir.  Only the lock holder calls
 * this, so no live writer owns them. */
static void remove_stale_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (!fsio_is_temp_name(e->d_name))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			log_info("cache", "%s/%s: removed a temp file left by an interrupted write", dir,
			         e->d_name);
	}
	closedir(d);
}

/* Take the writer's lock.  Returns the fd, -1 with *err set when another
 * process holds it, or -2 when the directory cannot be written at all (the
 * cache then opens read-only in effect: it shows what it holds).
 *
 * The lock is held on a read-only descriptor (flock does not care) and the
 * pid is written through a second, short-lived one: a process holding a file
 * open for writing would stop the file system from being remounted
 * read-only, which an administrator may want to do under a running balie. */
static int take_lock(cache_t *c, char **err)
{
	int fd = open(c->lock_path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
	if (fd < 0) {
		if (errno == EROFS || errno == EACCES || errno == EPERM || errno == ENOENT)
			return -2; /* ENOENT: the directory vanished under us */
		*err = xasprintf("cannot open lock file %s: %s", c->lock_path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		if (e == EWOULDBLOCK) {
			char buf[32] = "";
			ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
			long pid = n > 0 ? strtol(buf, NULL, 10) : 0;
			if (pid > 0)
				*err = xasprintf("cache %s is in use by another balie (pid %ld)", c->dir, pid);
			else
				*err = xasprintf("cache %s is in use by another balie", c->dir);
		} else {
			*err = xasprintf("cannot lock %s: %s", c->lock_path, strerror(e));
		}
		close(fd);
		return -1;
	}
	int w = open(c->lock_path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (w >= 0) {
		char pid[32];
		int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
		ssize_t wr = write(w, pid, (size_t)n);
		(void)wr; /* without the pid, a second balie's message is less precise */
		close(w);
	}
	return fd;
}

cache_t *cache_open(const char *dir, const cache_options_t *opt, bool writer, char **err)
{
	assert(dir && *dir);
	char *dummy = NULL;
	if (!err)
		err = &dummy;
	*err = NULL;

	cache_t *c = xcalloc(1, sizeof *c);
	c->dir = xstrdup(dir);
	c->media_dir = xasprintf("%s/media", dir);
	c->posts_path = xasprintf("%s/posts.json", dir);
	c->state_path = xasprintf("%s/state.json", dir);
	c->lock_path = xasprintf("%s/lock", dir);
	c->posts_event = xasprintf("cache:%s:posts", dir);
	c->state_event = xasprintf("cache:%s:state", dir);
	c->media_event = xasprintf("cache:%s:media", dir);
	c->posts_ok = xasprintf("%s: saving works again", c->posts_path);
	c->state_ok = xasprintf("%s: saving works again", c->state_path);
	c->media_ok = xasprintf("%s: storing media works again", c->media_dir);
	if (opt)
		c->opt = *opt;
	else
		cache_options_default(&c->opt);
	c->writer = writer;
	c->lock_fd = -1;

	if (!fsio_mkdirs(dir, 0755)) {
		if (!writer)
			return c; /* a reader of a missing cache simply finds nothing */
		*err = xasprintf("cannot create cache directory %s: %s", dir, strerror(errno));
		free(dummy);
		cache_close(c);
		return NULL;
	}
	if (!writer)
		return c;

	int fd = take_lock(c, err);
	if (fd == -1) {
		free(dummy);
		cache_close(c);
		return NULL;
	}
	if (fd == -2) {
		log_warn("cache", "%s is not writable (%s): showing what it holds, saving nothing", dir,
		         strerror(errno));
		return c;
	}
	c->lock_fd = fd;
	if (!fsio_mkdirs(c->media_dir, 0755))
		log_warn("cache", "cannot create %s: %s; images will not be kept", c->media_dir,
		         strerror(errno));
	remove_stale_temps(dir);
	remove_stale_temps(c->media_dir);
	return c;
}

void cache_close(cache_t *c)
{
	if (!c)
		return;
	if (c->lock_fd >= 0)
		close(c->lock_fd); /* releases the flock */
	/* Summarise suppressed repeats now; a later cache_open starts afresh. */
	log_event_clear(c->posts_event, "cache", NULL);
	log_event_clear(c->state_event, "cache", NULL);
	log_event_clear(c->media_event, "cache", NULL);
	free(c->posts_ok);
	free(c->state_ok);
	free(c->media_ok);
	free(c->dir);
	free(c->media_dir);
	free(c->posts_path);
	free(c->state_path);
	free(c->lock_path);
	free(c->posts_event);
	free(c->state_event);
	free(c->media_event);
	free(c);
}

/* ---- loading with "move aside" ------------------------------------------- */

/* A free name "<path>.corrupt-<unixtime>" (with "-N" appended if that
 * exists) for a damaged file.  Caller frees. */
static char *aside_name(const char *path)
{
	long long now = (long long)time(NULL);
	char *aside = xasprintf("%s.corrupt-%lld", path, now);
	struct stat st;
	for (int i = 1; lstat(aside, &st) == 0 && i < 1000; i++) {
		free(aside);
		aside = xasprintf("%s.corrupt-%lld-%d", path, now, i);
	}
	return aside;
}

/* Rename path to aside_name(path).  Returns the new name (caller frees) or
 * NULL with errno set. */
static char *move_aside(const char *path)
{
	char *aside = aside_name(path);
	if (rename(path, aside) != 0) {
		int e = errno;
		free(aside);
		errno = e;
		return NULL;
	}
	return aside;
}

/* One log line for a file that cannot be loaded: what, why, where it went
 * and what happens next. */
static void report_unloadable(const cache_t *c, const char *path, const char *problem,
                              const char *next)
{
	if (!c->writer) {
		log_warn("cache", "%s: %s; left in place (read-only open); %s", path, problem, next);
		return;
	}
	char *aside = move_aside(path);
	if (aside)
		log_warn("cache", "%s: %s; moved aside to %s; %s", path, problem, aside, next);
	else
		log_warn("cache", "%s: %s; could not move it aside (%s); %s", path, problem,
		         strerror(errno), next);
	free(aside);
}

/* Read a cache file whole.  NULL with *problem set (caller frees) when it is
 * too big to be ours; NULL with *problem NULL when missing or unreadable (an
 * unreadable file has been logged).  Otherwise a NUL-terminated buffer
 * (caller frees) of *len bytes. */
static char *read_cache_file(const char *path, const char *next, size_t *len, char **problem)
{
	*problem = NULL;
	*len = 0;
	char *buf = fsio_read_file(path, MAX_FILE_BYTES, len);
	if (!buf) {
		if (errno == EFBIG)
			*problem = xasprintf("corrupt (larger than %zu MiB)", MAX_FILE_BYTES >> 20);
		else if (errno != ENOENT)
			log_warn("cache", "%s: cannot read (%s); %s", path, strerror(errno), next);
	}
	return buf;
}

/* Parse a whole cache file.  NULL with *problem set (caller frees) when it is
 * not one JSON document. */
static cJSON *parse_document(const char *buf, size_t len, char **problem)
{
	const char *nul = memchr(buf, '\0', len);
	if (nul) {
		*problem = xasprintf("corrupt (NUL byte at offset %zu)", (size_t)(nul - buf));
		return NULL;
	}
	const char *end = NULL;
	/* len + 1 includes the terminating NUL, which cJSON wants to see when
	 * asked to reject trailing garbage. */
	cJSON *root = cJSON_ParseWithLengthOpts(buf, len + 1, &end, 1);
	if (!root) {
		size_t at = end && end >= buf && end <= buf + len ? (size_t)(end - buf) : len;
		if (len == 0)
			*problem = xstrdup("corrupt (empty file)");
		else
			*problem = xasprintf("corrupt (invalid JSON at byte %zu of %zu)", at, len);
	}
	return root;
}

/* read_cache_file() and parse_document() in one. */
static cJSON *read_json(const char *path, const char *next, char **problem)
{
	size_t len = 0;
	char *buf = read_cache_file(path, next, &len, problem);
	if (!buf)
		return NULL;
	cJSON *root = parse_document(buf, len, problem);
	free(buf);
	return root;
}

/* Why posts.json's "format" and "version" members make it unreadable for
 * this balie, or NULL when they are right.  Caller frees. */
static char *header_problem(const cJSON *format, const cJSON *version)
{
	if (!cJSON_IsString(format) || strcmp(format->valuestring, POSTS_FORMAT) != 0)
		return xstrdup("corrupt (\"format\" is not \"" POSTS_FORMAT "\")");
	if (!cJSON_IsNumber(version) || !(version->valuedouble >= 1 && version->valuedouble <= 1e9) ||
	    version->valuedouble != (double)(long)version->valuedouble)
		return xstrdup("corrupt (\"version\" is not a positive integer)");
	if (version->valuedouble > POSTS_VERSION)
		return xasprintf("format version %.0f is newer than this balie reads (%d)",
		                 version->valuedouble, POSTS_VERSION);
	return NULL;
}

/* ---- writing ------------------------------------------------------------ */

/* Write a document atomically; one log line (per distinct failure) on
 * error.  Compact output: posts.json is rewritten after every poll on an SD
 * card, and `jq .` makes it readable when a person needs to. */
static bool save_text(const char *path, unsigned mode, const char *event, const char *ok_msg,
                      const char *text, size_t len, const char *what)
{
	bool ok = fsio_write_atomic_mode(path, text, len, mode);
	int e = errno;
	if (!ok) {
		log_event(event, LOG_LVL_WARN, "cache", "%s: cannot save %s (%s); the previous file is kept",
		          path, what, strerror(e));
		errno = e;
		return false;
	}
	log_event_clear(event, "cache", ok_msg);
	return true;
}

/* The compact JSON text, newline-terminated.  Caller frees. */
static char *json_text(const cJSON *root, size_t *len)
{
	char *text = cJSON_PrintUnformatted(root);
	if (!text) {
		fputs("balie: out of memory (cJSON)\n", stderr);
		abort();
	}
	*len = strlen(text);
	text = xrealloc(text, *len + 2);
	text[(*len)++] = '\n';
	text[*len] = '\0';
	return text;
}

/* The posts.json document for l, as above.  Caller frees. */
static char *posts_text(const post_list_t *l, size_t *len)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *arr = cJSON_CreateArray();
	if (!root || !arr) {
		fputs("balie: out of memory (cJSON)\n", stderr);
		abort();
	}
	cJSON_AddStringToObject(root, "format", POSTS_FORMAT);
	cJSON_AddNumberToObject(root, "version", POSTS_VERSION);
	cJSON_AddNumberToObject(root, "saved", (double)time(NULL));
	for (size_t i = 0; i < l->len; i++)
		cJSON_AddItemToArray(arr, post_to_json(l->items[i]));
	cJSON_AddItemToObject(root, "posts", arr);
	char *text = json_text(root, len);
	cJSON_Delete(root);
	return text;
}

/* ---- salvaging a damaged posts.json ---------------------------------------- */

/* A posts.json that does not parse as a whole (cut short, a damaged block,
 * bytes flipped) still holds every post outside the damage.  Salvage walks
 * it as balie writes it: the header members up to "posts" (which must name
 * this format and a version this balie reads, or the posts could be
 * misread), then the array one element at a time, each parsed by cJSON on
 * its own and checked by post_from_json() like any post.  After a damaged
 * element the walk goes on at the next '{"key":' (post_to_json() writes
 * "key" first; inside a JSON string a quote is always escaped, so text can
 * never look like that).  Only complete elements are taken, so a recovered
 * post is one that was written whole. */

static size_t skip_ws(const char *b, size_t len, size_t i)
{
	while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
		i++;
	return i;
}

/* Parse the one JSON value that starts at b[i].  Returns it (caller deletes)
 * with *end just past it, or NULL with *end where cJSON stopped.  A value
 * with a NUL byte inside is refused: cJSON would end a string there. */
static cJSON *parse_at(const char *b, size_t len, size_t i, size_t *end)
{
	const char *stop = NULL;
	cJSON *v = cJSON_ParseWithLengthOpts(b + i, len - i, &stop, 0);
	*end = stop && stop >= b + i && stop <= b + len ? (size_t)(stop - b) : len;
	if (v && memchr(b + i, '\0', *end - i)) {
		cJSON_Delete(v);
		v = NULL;
	}
	return v;
}

/* True when b[i] starts a post as balie writes one: '{' and the member "key". */
static bool starts_post(const char *b, size_t len, size_t i)
{
	if (i >= len || b[i] != '{')
		return false;
	i = skip_ws(b, len, i + 1);
	if (len - i < 5 || memcmp(b + i, "\"key\"", 5) != 0)
		return false;
	i = skip_ws(b, len, i + 5);
	return i < len && b[i] == ':';
}

/* The first post start at or after i, or len. */
static size_t next_post_start(const char *b, size_t len, size_t i)
{
	while (i < len) {
		const char *brace = memchr(b + i, '{', len - i);
		if (!brace)
			break;
		i = (size_t)(brace - b);
		if (starts_post(b, len, i))
			return i;
		i++;
	}
	return len;
}

/* Walk the top-level object up to the member "posts".  Returns the index of
 * its value, or len when the header is damaged or names a format or version
 * this balie does not read. */
static size_t salvage_header(const char *b, size_t len)
{
	cJSON *format = NULL, *version = NULL;
	size_t i = skip_ws(b, len, 0), end = 0, at = len;
	if (i >= len || b[i] != '{')
		return len;
	for (i++;; i++) {
		i = skip_ws(b, len, i);
		if (i >= len || b[i] != '"')
			break;
		cJSON *name = parse_at(b, len, i, &end);
		if (!name)
			break;
		i = skip_ws(b, len, end);
		if (i >= len || b[i] != ':') {
			cJSON_Delete(name);
			break;
		}
		i = skip_ws(b, len, i + 1);
		if (strcmp(name->valuestring, "posts") == 0) {
			char *problem = header_problem(format, version);
			if (!problem)
				at = i;
			free(problem);
			cJSON_Delete(name);
			break;
		}
		cJSON *value = parse_at(b, len, i, &end);
		/* The first of duplicate members counts, as for a whole file. */
		if (value && !format && strcmp(name->valuestring, "format") == 0)
			format = value;
		else if (value && !version && strcmp(name->valuestring, "version") == 0)
			version = value;
		else
			cJSON_Delete(value);
		cJSON_Delete(name);
		if (!value)
			break;
		i = skip_ws(b, len, end);
		if (i >= len || b[i] != ',')
			break;
	}
	cJSON_Delete(format);
	cJSON_Delete(version);
	return at;
}

/* Append to got every readable post of the damaged file b; *found counts the
 * elements that were begun (readable or not, whole or not).  cJSON may look
 * at each byte a few times (a damaged element is retried from the next post
 * start inside it); a budget bounds that for a hostile file. */
static void salvage_posts(const char *b, size_t len, post_list_t *got, size_t *found)
{
	size_t budget = 4 * len + ((size_t)1 << 16);
	size_t i = salvage_header(b, len);
	*found = 0;
	if (i < len && b[i] == '[')
		i++;
	else
		i = next_post_start(b, len, i);
	while (i < len) {
		i = skip_ws(b, len, i);
		if (i >= len || b[i] == ']')
			break;
		if (b[i] != '{') {
			i = next_post_start(b, len, i);
			continue;
		}
		size_t end = 0;
		cJSON *item = parse_at(b, len, i, &end);
		(*found)++;
		if (end - i + 1 > budget) {
			cJSON_Delete(item);
			break;
		}
		budget -= end - i + 1;
		if (!item) {
			i = next_post_start(b, len, i + 1);
			continue;
		}
		post_t *p = post_from_json(item);
		cJSON_Delete(item);
		if (p)
			post_list_push(got, p);
		i = skip_ws(b, len, end);
		if (i < len && b[i] == ',')
			i++;
		else if (i < len && b[i] == ']')
			break;
		else
			i = next_post_start(b, len, i);
	}
}

/* A writer keeps a copy of the damaged bytes as posts.json.corrupt-* and
 * then replaces posts.json with the recovered posts, so that a restart or a
 * power cut before the next save still finds them; at every moment
 * posts.json is either the damaged file or the recovered one.  When either
 * write fails the file is left as it is (the next start salvages it again).
 * A reader only reports.  One log line. */
static void keep_salvaged(const cache_t *c, const char *buf, size_t len, const char *problem,
                          const post_list_t *l, size_t found)
{
	const char *path = c->posts_path;
	char *what = xasprintf("recovered %zu of %zu posts from it", l->len, found);
	if (!c->writer) {
		log_warn("cache", "%s: %s; left in place (read-only open); %s", path, problem, what);
		free(what);
		return;
	}
	char *aside = aside_name(path);
	size_t tlen = 0;
	char *text = posts_text(l, &tlen);
	if (!fsio_write_atomic(aside, buf, len)) {
		log_warn("cache", "%s: %s; left in place, no copy could be kept (%s); %s", path, problem,
		         strerror(errno), what);
	} else if (!fsio_write_atomic(path, text, tlen)) {
		int e = errno;
		unlink(aside); /* posts.json is still the damaged file */
		log_warn("cache", "%s: %s; left in place, the recovered posts could not be saved (%s); %s",
		         path, problem, strerror(e), what);
	} else {
		log_warn("cache", "%s: %s; moved aside to %s; %s", path, problem, aside, what);
	}
	free(text);
	free(aside);
	free(what);
}

typedef struct {
	post_t *p;
	size_t index;
} keyed_t;

static int by_key_then_index(const void *a, const void *b)
{
	const keyed_t *x = a, *y = b;
	int r = strcmp(x->p->key, y->p->key);
	if (r)
		return r;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Duplicate keys would show one post twice: keep the first of each, in
 * O(n log n) because a damaged file may hold very many.  Returns how many
 * were dropped; the order of the rest is kept. */
static size_t drop_duplicate_keys(post_list_t *l)
{
	if (l->len < 2)
		return 0;
	keyed_t *k = xcalloc(l->len, sizeof *k);
	for (size_t i = 0; i < l->len; i++)
		k[i] = (keyed_t){ l->items[i], i };
	qsort(k, l->len, sizeof *k, by_key_then_index);
	size_t dropped = 0, first = 0; /* first: the kept post of the current run */
	for (size_t i = 1; i < l->len; i++) {
		if (strcmp(k[i].p->key, k[first].p->key) != 0) {
			first = i;
		} else {
			post_free(l->items[k[i].index]);
			l->items[k[i].index] = NULL;
			dropped++;
		}
	}
	free(k);
	size_t w = 0;
	for (size_t i = 0; i < l->len; i++)
		if (l->items[i])
			l->items[w++] = l->items[i];
	l->len = w;
	return dropped;
}

size_t cache_load_posts(cache_t *c, post_list_t *out)
{
	static const char next[] = "starting with an empty list";
	assert(c && out);
	char *problem = NULL;
	size_t len = 0;
	char *buf = read_cache_file(c->posts_path, next, &len, &problem);
	cJSON *root = buf ? parse_document(buf, len, &problem) : NULL;
	const cJSON *posts = NULL;
	if (root) {
		posts = cJSON_GetObjectItemCaseSensitive(root, "posts");
		if (!cJSON_IsObject(root))
			problem = xstrdup("corrupt (not a JSON object)");
		else
			problem = header_problem(cJSON_GetObjectItemCaseSensitive(root, "format"),
			                         cJSON_GetObjectItemCaseSensitive(root, "version"));
		if (!problem && !cJSON_IsArray(posts))
			problem = xstrdup("corrupt (\"posts\" is not an array)");
	}

	post_list_t got;
	post_list_init(&got);
	size_t total = 0, bad = 0, dup = 0;
	if (root && !problem) {
		const cJSON *it;
		cJSON_ArrayForEach(it, posts) {
			post_t *p = post_from_json(it);
			total++;
			if (p)
				post_list_push(&got, p);
			else
				bad++;
		}
	} else if (buf && !root) {
		/* Not one JSON document: damage, not a file of another shape. */
		salvage_posts(buf, len, &got, &total);
	}
	cJSON_Delete(root);
	dup = drop_duplicate_keys(&got);
	post_list_sort(&got);

	if (problem && got.len == 0)
		report_unloadable(c, c->posts_path, problem, next);
	else if (problem)
		keep_salvaged(c, buf, len, problem, &got, total);
	else if (bad || dup)
		log_warn("cache", "%s: skipped %zu of %zu posts (%zu unreadable, %zu duplicate keys)",
		         c->posts_path, bad + dup, total, bad, dup);
	free(problem);
	free(buf);

	for (size_t i = 0; i < got.len; i++)
		post_list_push(out, got.items[i]);
	size_t n = got.len;
	free(got.items);
	return n;
}

bool cache_save_posts(cache_t *c, const post_list_t *l)
{
	assert(c && l && c->writer);
	size_t len = 0;
	char *text = posts_text(l, &len);
	/* Public posts: readable by all, so they can be served to other screens. */
	bool ok = save_text(c->posts_path, 0644, c->posts_event, c->posts_ok, text, len, "posts");
	free(text);
	return ok;
}

cJSON *cache_load_state(cache_t *c)
{
	static const char next[] = "starting with empty source state";
	assert(c);
	char *problem = NULL;
	cJSON *root = read_json(c->state_path, next, &problem);
	if (root && !cJSON_IsObject(root))
		problem = xstrdup("corrupt (not a JSON object)");
	if (problem) {
		report_unloadable(c, c->state_path, problem, next);
		free(problem);
		cJSON_Delete(root);
		root = NULL;
	}
	if (!root)
		root = cJSON_CreateObject();
	if (!root) {
		fputs("balie: out of memory (cJSON)\n", stderr);
		abort();
	}
	return root;
}

bool cache_save_state(cache_t *c, const cJSON *state)
{
	assert(c && c->writer && cJSON_IsObject(state));
	/* Sources keep sessions here (Bluesky's access and refresh tokens): owner only. */
	size_t len = 0;
	char *text = json_text(state, &len);
	bool ok = save_text(c->state_path, 0600, c->state_event, c->state_ok, text, len, "source state");
	free(text);
	return ok;
}

/* ---- media ----------------------------------------------------------------- */

static const char *const media_exts[] = { "png", "jpg", "gif", "webp", "avif", "heic", "svg", "bin" };

const char *cache_media_ext(const void *data, size_t len)
{
	const unsigned char *b = data;
	if (!b)
		return "bin";
	if (len >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "png";
	if (len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
		return "jpg";
	if (len >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0))
		return "gif";
	if (len >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
		return "webp";
	if (len >= 12 && memcmp(b + 4, "ftyp", 4) == 0) {
		/* ISO BMFF: the major brand, then (for "mif1"/"msf1") the
		 * compatible brands within the ftyp box say AVIF or HEIC. */
		size_t box = (size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3];
		if (box > len)
			box = len;
		const unsigned char *brand = b + 8;
		if (memcmp(brand, "avif", 4) == 0 || memcmp(brand, "avis", 4) == 0)
			return "avif";
		for (size_t off = 16; off + 4 <= box; off += 4)
			if (memcmp(b + off, "avif", 4) == 0 || memcmp(b + off, "avis", 4) == 0)
				return "avif";
		static const char heic[][5] = { "heic", "heix", "heim", "heis", "hevc", "hevx",
		                                "mif1", "msf1" };
		for (size_t i = 0; i < sizeof heic / sizeof heic[0]; i++)
			if (memcmp(brand, heic[i], 4) == 0)
				return "heic";
		return "bin"; /* MP4 and friends */
	}
	/* SVG is text: skip a UTF-8 BOM and leading white space. */
	size_t i = 0;
	if (len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
		i = 3;
	while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
		i++;
	if ((len - i >= 4 && memcmp(b + i, "<svg", 4) == 0) ||
	    (len - i >= 5 && memcmp(b + i, "<?xml", 5) == 0))
		return "svg";
	return "bin";
}

bool cache_media_name_valid(const char *name)
{
	if (!name)
		return false;
	for (int i = 0; i < SHA256_HEX_LEN; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false; /* also stops at a short name's NUL */
	if (name[SHA256_HEX_LEN] != '.')
		return false;
	for (size_t i = 0; i < sizeof media_exts / sizeof media_exts[0]; i++)
		if (strcmp(name + SHA256_HEX_LEN + 1, media_exts[i]) == 0)
			return true;
	return false;
}

static void touch(const char *path)
{
	/* LRU by mtime; failure (read-only disk) only weakens eviction order. */
	(void)utimensat(AT_FDCWD, path, NULL, 0);
}

char *cache_media_store(cache_t *c, const void *data, size_t len)
{
	assert(c && c->writer && (data || len == 0));
	char hex[SHA256_HEX_LEN + 1];
	sha256_hex(data, len, hex);
	char *name = xasprintf("%s.%s", hex, cache_media_ext(data, len));
	char *path = xasprintf("%s/%s", c->media_dir, name);
	struct stat st;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len) {
		touch(path); /* the same bytes are already there */
		free(path);
		return name;
	}
	if (!fsio_write_atomic(path, data, len)) {
		log_event(c->media_event, LOG_LVL_WARN, "cache",
		          "%s: cannot store media (%s); images are fetched again later", c->media_dir,
		          strerror(errno));
		free(path);
		free(name);
		return NULL;
	}
	log_event_clear(c->media_event, "cache", c->media_ok);
	free(path);
	return name;
}

char *cache_media_path(cache_t *c, const char *name)
{
	assert(c);
	if (!cache_media_name_valid(name))
		return NULL;
	char *path = xasprintf("%s/%s", c->media_dir, name);
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		free(path);
		return NULL;
	}
	if (c->writer)
		touch(path);
	return path;
}

typedef struct {
	char name[SHA256_HEX_LEN + 8];
	long long size;
	struct timespec mtime;
} media_entry_t;

static int oldest_first(const void *a, const void *b)
{
	const media_entry_t *x = a, *y = b;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

typedef struct {
	const char **names;
	size_t len, cap;
} name_set_t;

static void name_add(name_set_t *s, const char *name)
{
	if (!name)
		return;
	XGROW(s->names, s->cap, s->len + 1);
	s->names[s->len++] = name;
}

static void names_of_author(name_set_t *s, const author_t *a)
{
	name_add(s, a->avatar_file);
	for (size_t i = 0; i < a->n_emojis; i++)
		name_add(s, a->emojis[i].file);
}

static void names_of_post(name_set_t *s, const post_t *p)
{
	names_of_author(s, &p->author);
	if (p->booster)
		names_of_author(s, p->booster);
	for (size_t i = 0; i < p->n_media; i++)
		name_add(s, p->media[i].file);
	for (size_t i = 0; i < p->n_emojis; i++)
		name_add(s, p->emojis[i].file);
	if (p->card)
		name_add(s, p->card->image_file);
}

long long cache_media_evict(cache_t *c, const post_list_t *keep)
{
	assert(c && c->writer);
	if (c->opt.max_media_bytes < 0)
		return 0; /* no limit */
	DIR *d = opendir(c->media_dir);
	if (!d)
		return 0;
	media_entry_t *ents = NULL;
	size_t n = 0, cap = 0;
	long long total = 0, freed = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		if (!cache_media_name_valid(e->d_name) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		XGROW(ents, cap, n + 1);
		size_t len = strlen(e->d_name); /* a valid name fits, see the check above */
		assert(len < sizeof ents[n].name);
		memcpy(ents[n].name, e->d_name, len + 1);
		ents[n].size = (long long)st.st_size;
		ents[n].mtime = st.st_mtim;
		total += ents[n].size;
		n++;
	}
	if (total > c->opt.max_media_bytes) {
		name_set_t kept = { 0 };
		for (size_t i = 0; keep && i < keep->len; i++)
			names_of_post(&kept, keep->items[i]);
		if (kept.len)
			qsort(kept.names, kept.len, sizeof *kept.names, str_cmp);
		if (n)
			qsort(ents, n, sizeof *ents, oldest_first);
		for (size_t i = 0; i < n && total > c->opt.max_media_bytes; i++) {
			const char *key = ents[i].name;
			if (kept.len && bsearch(&key, kept.names, kept.len, sizeof *kept.names, str_cmp))
				continue;
			if (unlinkat(dirfd(d), ents[i].name, 0) == 0) {
				total -= ents[i].size;
				freed += ents[i].size;
			} else {
				log_event(c->media_event, LOG_LVL_WARN, "cache",
				          "%s: cannot remove old media (%s); the cache may grow past its limit",
				          c->media_dir, strerror(errno));
			}
		}
		free(kept.names);
	}
	free(ents);
	closedir(d);
	return freed;
}

/* ---- pruning --------------------------------------------------------------- */

void cache_prune(const cache_options_t *o, post_list_t *l, int64_t now)
{
	assert(o && l);
	/* Age only with a clock that has been set: a Pi without RTC boots in
	 * 1970 or at the last shutdown's time, and must not drop its posts. */
	bool by_age = o->max_age_days > 0 && now > PLAUSIBLE_NOW;
	int64_t cutoff = now - (int64_t)o->max_age_days * 86400;
	size_t w = 0;
	for (size_t i = 0; i < l->len; i++) {
		post_t *p = l->items[i];
		bool drop = (by_age && p->created < cutoff) ||
		            (o->max_posts > 0 && w >= (size_t)o->max_posts);
		if (drop)
			post_free(p);
		else
			l->items[w++] = p;
	}
	l->len = w;
}
