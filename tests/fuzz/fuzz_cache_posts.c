/*
 * fuzz_cache_posts: loading posts.json under libFuzzer.
 *
 * The input is written to posts.json in a private cache directory (made
 * once; a writer, as balie opens it) and loaded with cache_load_posts(): a
 * corrupt file is moved aside, and the moved copies are deleted after each
 * input.  What loads must be valid posts with unique keys, newest first,
 * whose media names are well-formed cache names (never a path from the
 * file), and must survive a save and reload unchanged (post_to_json, then
 * post_from_json), or the next poll would lose what the cache held.  A
 * second load must give the same posts again: a damaged file that was
 * salvaged has been replaced by the recovered posts, and anything else has
 * been left as it was or moved aside.
 */
#include "fuzz_common.h"

#include "../../src/cache/cache.h"

static cache_t *cache;
static cache_options_t opt;

static void close_cache(void)
{
	cache_close(cache);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	/* A salvaged input is written back (two fsync'd files): on a disk that
	 * costs a flush per input and made this target ten times slower, so
	 * the directory goes on a tmpfs where there is one. */
	struct stat st;
	if (!getenv("TMPDIR") && stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
	    access("/dev/shm", W_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 0);
	fuzz_dir_make();
	cache_options_default(&opt);
	char *err = NULL;
	cache = cache_open(fuzz_dir, &opt, true, &err);
	FUZZ_ASSERT(cache != NULL);
	atexit(close_cache); /* runs before fuzz_dir_remove */
	return 0;
}

static void check_name(const char *name)
{
	FUZZ_ASSERT(name == NULL || cache_media_name_valid(name));
}

static void check_author_files(const author_t *a)
{
	check_name(a->avatar_file);
	for (size_t i = 0; i < a->n_emojis; i++)
		check_name(a->emojis[i].file);
}

static void check_files(const post_t *p)
{
	check_author_files(&p->author);
	if (p->booster)
		check_author_files(p->booster);
	for (size_t i = 0; i < p->n_media; i++)
		check_name(p->media[i].file);
	for (size_t i = 0; i < p->n_emojis; i++)
		check_name(p->emojis[i].file);
	if (p->card)
		check_name(p->card->image_file);
}

/* Saving a loaded post and loading it back gives the same post. */
static void round_trip(const post_t *p)
{
	cJSON *a = post_to_json(p);
	FUZZ_ASSERT(a != NULL);
	post_t *q = post_from_json(a);
	FUZZ_ASSERT(q != NULL);
	cJSON *b = post_to_json(q);
	FUZZ_ASSERT(cJSON_Compare(a, b, true));
	cJSON_Delete(b);
	post_free(q);
	cJSON_Delete(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_write_file("posts.json", data, size);
	post_list_t l;
	post_list_init(&l);
	size_t n = cache_load_posts(cache, &l);
	FUZZ_ASSERT(n == l.len);
	fuzz_check_list(&l);
	for (size_t i = 0; i < l.len; i++) {
		const post_t *p = l.items[i];
		FUZZ_ASSERT(post_list_find(&l, p->key) == (long)i); /* keys are unique */
		if (i > 0) /* newest first */
			FUZZ_ASSERT(l.items[i - 1]->created >= p->created);
		check_files(p);
		round_trip(p);
	}
	post_list_t again;
	post_list_init(&again);
	FUZZ_ASSERT(cache_load_posts(cache, &again) == n);
	for (size_t i = 0; i < n; i++) {
		cJSON *a = post_to_json(l.items[i]), *b = post_to_json(again.items[i]);
		FUZZ_ASSERT(cJSON_Compare(a, b, true));
		cJSON_Delete(a);
		cJSON_Delete(b);
	}
	post_list_clear(&again);
	cache_prune(&opt, &l, FUZZ_NOW);
	FUZZ_ASSERT(l.len <= (size_t)opt.max_posts);
	post_list_clear(&l);
	fuzz_dir_clean(false); /* the moved-aside copies */
	return 0;
}
