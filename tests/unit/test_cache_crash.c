/*
 * test_cache_crash: kill -9 a writer at random moments; the cache must
 * always load, with a version the writer really wrote.
 *
 * 100 rounds.  In each, a forked child opens the cache through the real API
 * and loops: store a media blob, save posts.json, save state.json, evict
 * media.  Every round of that loop is a "generation" g; the post list of
 * generation g is a pure function of g (1..60 posts, growing and shrinking,
 * each post carrying g and referencing the blob of g), so the parent can
 * rebuild exactly what the child could have written.  The parent SIGKILLs
 * the child at a random moment, reopens the cache as the writer (which must
 * remove any temp files the child left) and checks:
 *   - posts.json parses, and equals make_list(g) for one g, field by field;
 *   - g never goes backwards between rounds (old or new content, nothing else);
 *   - every save the child finished before the kill is there, and at most
 *     the one it was in the middle of besides (the child reports each
 *     finished step through a pipe);
 *   - state.json (written after posts.json) is never ahead of posts.json,
 *     never goes backwards, and lags by at most one generation when the
 *     child completed a whole loop in that round;
 *   - every file in media/ is complete (its SHA-256 is its name) and the
 *     blob posts.json references exists;
 *   - no *.corrupt-* files, no temp files, no warnings in the log.
 * The child continues from the generation it finds, so the rounds build on
 * each other.  BALIE_CRASH_SEED=N repeats a run.
 *
 * The moment of the kill is counted in the child's own progress, not only
 * in time: the parent waits for 0-6 of its reported steps (opened, media
 * stored, posts saved, state saved, evicted, ...) and then 0-30 ms more.  A
 * kill by the clock alone depended on how fast the child ran: on a loaded
 * machine a child that had not even opened the cache in 30 ms made whole
 * runs without a write, and the check that the writer got work done failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../src/base/fsio.h"
#include "../../src/base/log.h"
#include "../../src/base/sha256.h"
#include "../../src/base/xmalloc.h"
#include "../../src/cache/cache.h"
#include "test.h"

#define ROUNDS 100
#define MAX_DELAY_US 30000
#define MAX_WAIT_STEPS 6
/* Only a stuck child takes this long to report one step. */
#define STEP_TIMEOUT_MS 60000

/* The child's progress reports, one byte per finished step. */
enum { STEP_OPENED = 'o', STEP_MEDIA = 'm', STEP_POSTS = 'p', STEP_STATE = 's', STEP_EVICTED = 'e' };

static int progress_fd = -1;

/* Report a finished step; never blocks (a full pipe only loses reports the
 * parent does not wait for: it reads them all after the kill). */
static void report(char step)
{
	ssize_t n = write(progress_fd, &step, 1);
	(void)n;
}

static char *blob_of(long g, size_t *len)
{
	/* 1 KiB .. 193 KiB, so that some writes are caught half-way. */
	*len = 1024 + (size_t)(g * 7919 % 193) * 1024;
	unsigned char *b = xmalloc(*len);
	for (size_t i = 0; i < *len; i++)
		b[i] = (unsigned char)(g * 31 + i * 17 + (i >> 8));
	b[0] = 0xff; /* never mistaken for an image type: .bin */
	return (char *)b;
}

static char *blob_name(long g)
{
	size_t len;
	char *b = blob_of(g, &len);
	char hex[SHA256_HEX_LEN + 1];
	sha256_hex(b, len, hex);
	free(b);
	return xasprintf("%s.bin", hex);
}

/* The post list of generation g. */
static void make_list(long g, post_list_t *l)
{
	int n = 1 + (int)(g * 37 % 60);
	char *media = blob_name(g);
	for (int i = 0; i < n; i++) {
		post_t *p = post_new();
		free(p->text);
		p->key = xasprintf("mastodon:https://social.example/statuses/%d", i);
		p->network = NET_MASTODON;
		p->id = xasprintf("%ld", g);
		p->created = 1717000000 - i * 60;
		p->fetched = 1717000000 + g;
		p->author.name = xasprintf("Auteur %d", i % 5);
		size_t pad = (size_t)((g * 13 + i * 7) % 2000);
		char *filler = xmalloc(pad + 1);
		memset(filler, 'a' + (int)(g % 26), pad);
		filler[pad] = '\0';
		p->text = xasprintf("generatie %ld bericht %d van %d 🎉 %s", g, i, n, filler);
		free(filler);
		post_add_span(p, SPAN_HASHTAG, 0, 9, "https://social.example/tags/generatie");
		media_t *m = post_add_media(p);
		m->url = xasprintf("https://files.social.example/%ld.bin", g);
		m->file = xstrdup(media);
		post_list_push(l, p);
	}
	free(media);
}

static long generation_of(const post_list_t *l)
{
	if (l->len == 0 || !l->items[0]->id)
		return 0;
	return strtol(l->items[0]->id, NULL, 10);
}

/* The child: write generations until killed. */
static void child_main(const char *dir, cache_options_t *o)
{
	log_set_level(LOG_LVL_ERROR);
	cache_t *c = cache_open(dir, o, true, NULL);
	if (!c)
		_exit(3);
	post_list_t cur;
	post_list_init(&cur);
	cache_load_posts(c, &cur);
	long g = generation_of(&cur);
	post_list_clear(&cur);
	report(STEP_OPENED);
	for (int rounds = 0; rounds < 100000; rounds++) {
		g++;
		size_t len;
		char *b = blob_of(g, &len);
		char *name = cache_media_store(c, b, len);
		free(b);
		if (!name)
			_exit(4);
		free(name);
		report(STEP_MEDIA);
		post_list_t l;
		post_list_init(&l);
		make_list(g, &l);
		if (!cache_save_posts(c, &l))
			_exit(5);
		report(STEP_POSTS);
		cJSON *st = cJSON_CreateObject();
		cJSON *src = cJSON_AddObjectToObject(st, "mastodon:@gemeente@social.example");
		cJSON_AddNumberToObject(src, "generation", (double)g);
		if (!cache_save_state(c, st))
			_exit(6);
		cJSON_Delete(st);
		report(STEP_STATE);
		cache_media_evict(c, &l);
		post_list_clear(&l);
		report(STEP_EVICTED);
	}
	_exit(0);
}

/* Read the child's reports until want steps have come (or, with want < 0,
 * until it is gone), counting saves.  Returns false when a step took longer
 * than STEP_TIMEOUT_MS or the child went away first. */
static bool read_steps(int fd, int want, int *steps, int *posts_saved, int *states_saved)
{
	while (want < 0 || *steps < want) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, STEP_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		char buf[256];
		ssize_t n = read(fd, buf, want < 0 ? sizeof buf : (size_t)(want - *steps));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return want < 0; /* end of file: the child is gone */
		for (ssize_t i = 0; i < n; i++) {
			*posts_saved += buf[i] == STEP_POSTS;
			*states_saved += buf[i] == STEP_STATE;
		}
		*steps += (int)n;
	}
	return true;
}

static int count_matching(const char *dir, bool (*match)(const char *))
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += match(e->d_name);
	closedir(d);
	return n;
}

static bool is_corrupt(const char *name)
{
	return strstr(name, ".corrupt-") != NULL;
}

static bool is_temp(const char *name)
{
	return fsio_is_temp_name(name);
}

/* Every media file's SHA-256 equals its name; returns the number of files,
 * or -1 (with *bad set to the name) when one is wrong. */
static int check_media(const char *media_dir, char **bad)
{
	DIR *d = opendir(media_dir);
	struct dirent *e;
	int n = 0;
	*bad = NULL;
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *path = xasprintf("%s/%s", media_dir, e->d_name);
		size_t len = 0;
		char *data = fsio_read_file(path, 1 << 24, &len);
		free(path);
		char hex[SHA256_HEX_LEN + 1] = "";
		if (data)
			sha256_hex(data, len, hex);
		free(data);
		if (!cache_media_name_valid(e->d_name) || strncmp(hex, e->d_name, SHA256_HEX_LEN) != 0) {
			*bad = xstrdup(e->d_name);
			n = -1;
			break;
		}
		n++;
	}
	closedir(d);
	return n;
}

static bool lists_equal(const post_list_t *a, const post_list_t *b)
{
	if (a->len != b->len)
		return false;
	for (size_t i = 0; i < a->len; i++) {
		cJSON *x = post_to_json(a->items[i]), *y = post_to_json(b->items[i]);
		bool same = cJSON_Compare(x, y, true);
		cJSON_Delete(x);
		cJSON_Delete(y);
		if (!same)
			return false;
	}
	return true;
}

TEST(killed_writer_never_leaves_a_broken_cache)
{
	char tmpl[] = "/tmp/balie-crash-XXXXXX";
	char *dir = mkdtemp(tmpl);
	CHECK(dir);
	char *media_dir = xasprintf("%s/media", dir);
	cache_options_t o;
	cache_options_default(&o);
	o.max_media_bytes = 600 * 1024; /* evict during the run, too */

	unsigned seed = (unsigned)time(NULL);
	if (getenv("BALIE_CRASH_SEED"))
		seed = (unsigned)strtoul(getenv("BALIE_CRASH_SEED"), NULL, 10);
	srand(seed);
	printf("seed %u (BALIE_CRASH_SEED=%u repeats this run)\n", seed, seed);

	long last_g = 0, last_state_g = 0;
	int rounds_with_temps = 0, rounds_advanced = 0, rounds_must_advance = 0;
	char log_path[] = "/tmp/balie-crash-log-XXXXXX";
	int log_fd = mkstemp(log_path);
	CHECK(log_fd >= 0);
	for (int round = 0; round < ROUNDS; round++) {
		int wait_steps = rand() % (MAX_WAIT_STEPS + 1);
		useconds_t delay = (useconds_t)(rand() % (MAX_DELAY_US + 1));
		int pfd[2];
		CHECK(pipe(pfd) == 0);
		fflush(stdout);
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			close(pfd[0]);
			progress_fd = pfd[1];
			fcntl(progress_fd, F_SETFL, O_NONBLOCK);
			child_main(dir, &o);
		}
		close(pfd[1]);
		int steps = 0, posts_saved = 0, states_saved = 0;
		bool came = read_steps(pfd[0], wait_steps, &steps, &posts_saved, &states_saved);
		if (came)
			usleep(delay);
		kill(pid, SIGKILL);
		int status = 0;
		CHECK(waitpid(pid, &status, 0) == pid);
		/* Whatever the child reported before it died is in the pipe. */
		bool drained = read_steps(pfd[0], -1, &steps, &posts_saved, &states_saved);
		close(pfd[0]);
		if (!came || !drained) {
			TEST_FAIL_("round %d: the writer reported %d of %d steps, then nothing for %d s",
			           round, steps, wait_steps, STEP_TIMEOUT_MS / 1000);
			break;
		}
		if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
			TEST_FAIL_("round %d: the writer stopped by itself (status %d)", round, status);
			break;
		}
		int temps = count_matching(dir, is_temp) + count_matching(media_dir, is_temp);
		rounds_with_temps += temps > 0;

		log_set_fd(log_fd);
		char *err = NULL;
		cache_t *c = cache_open(dir, &o, true, &err);
		if (!c) {
			log_set_fd(-1);
			TEST_FAIL_("round %d: open: %s", round, err ? err : "?");
			free(err);
			break;
		}
		post_list_t got;
		post_list_init(&got);
		cache_load_posts(c, &got);
		cJSON *st = cache_load_state(c);
		cache_close(c);
		log_set_fd(-1);

		long g = generation_of(&got);
		post_list_t want;
		post_list_init(&want);
		if (g > 0)
			make_list(g, &want);
		bool equal = lists_equal(&got, &want);
		const cJSON *src = cJSON_GetObjectItem(st, "mastodon:@gemeente@social.example");
		const cJSON *sg = cJSON_GetObjectItem(src, "generation");
		long state_g = cJSON_IsNumber(sg) ? (long)sg->valuedouble : 0;
		char *ref = g > 0 ? xasprintf("%s/%s", media_dir, want.items[0]->media[0].file) : NULL;
		bool ref_ok = !ref || access(ref, F_OK) == 0;
		free(ref);
		char *bad = NULL;
		int media = check_media(media_dir, &bad);
		int corrupt = count_matching(dir, is_corrupt);
		int left = count_matching(dir, is_temp) + count_matching(media_dir, is_temp);
		post_list_clear(&got);
		post_list_clear(&want);
		cJSON_Delete(st);

		bool state_ok = state_g <= g && state_g >= last_state_g &&
		                (g - last_g < 2 || state_g >= g - 1) &&
		                (states_saved == 0 || state_g >= last_g + states_saved);
		/* The child started from last_g; its k-th save wrote last_g + k. */
		bool saves_kept = g >= last_g + posts_saved && g <= last_g + posts_saved + 1;
		if (!equal || g < last_g || !state_ok || !saves_kept || !ref_ok || media < 0 || corrupt ||
		    left) {
			TEST_FAIL_("round %d: generation %ld (before %ld, %d saves finished), state %ld "
			           "(%d saves finished), equal %d, referenced media present %d, bad media %s, "
			           "corrupt files %d, temp files left %d",
			           round, g, last_g, posts_saved, state_g, states_saved, equal, ref_ok,
			           bad ? bad : "none", corrupt, left);
			free(bad);
			break;
		}
		rounds_advanced += g > last_g;
		rounds_must_advance += posts_saved > 0;
		last_g = g;
		last_state_g = state_g;
	}
	close(log_fd);
	char *log = fsio_read_file(log_path, 1 << 24, NULL);
	unlink(log_path);
	printf("%d rounds, reached generation %ld, advanced in %d rounds (%d waited for a save), "
	       "temp files left by the killed writer in %d rounds\n",
	       ROUNDS, last_g, rounds_advanced, rounds_must_advance, rounds_with_temps);

	/* Nothing but "removed a temp file" lines may have been logged. */
	bool log_ok = true;
	for (char *line = log; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!strstr(line, ": removed a temp file left by an interrupted write")) {
			printf("unexpected log line: %s\n", line);
			log_ok = false;
		}
		line = nl ? nl + 1 : line + strlen(line);
	}
	free(log);
	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("could not remove %s\n", dir);
	free(cmd);
	free(media_dir);
	CHECK(log_ok);
	/* The test means something only if the writer got work done: the
	 * rounds that waited for three steps or more saw posts.json saved. */
	CHECK(rounds_must_advance >= ROUNDS / 10);
	CHECK(rounds_advanced >= rounds_must_advance);
}

int main(void)
{
	RUN(killed_writer_never_leaves_a_broken_cache);
	log_event_reset();
	return test_summary();
}
