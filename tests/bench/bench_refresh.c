/*
 * bench_refresh: what one refresh costs the poller thread, in milliseconds.
 *
 * A refresh that brings news is: parse the timeline page (JSON, HTML to text,
 * spans), merge the new posts into the cached list, sort and prune it back to
 * its limit, build the feed the screen shows (filters, people, cross-posts),
 * and write posts.json (atomically, with fsync).  This program times those
 * steps separately on the benchmark's data: a page of 40 new Mastodon
 * statuses (tests/bench/gen_data.py, page40.json) against the 500-post cache,
 * starting each run from a fresh copy of the 500 posts.  The merge repeats
 * what src/net/poller.c does for new posts (find by key, replace or append,
 * sort, cache_prune) through the public functions, since poller.c keeps its
 * merge private.
 *
 *   bench_refresh CONFIG CACHE_DIR PAGE.json WORK_DIR [RUNS]
 *
 * CONFIG gives the people (feed_build), CACHE_DIR is read only, the cache is
 * written to WORK_DIR.  Prints one line per step,
 *   refresh: STEP median=MS min=MS max=MS runs=N
 * and exits 0; 1 with a message when the data is not what the benchmark
 * expects (the page did not give 40 new posts, the list did not prune to
 * 500, a save failed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/base/clock.h"
#include "../../src/base/fsio.h"
#include "../../src/base/xmalloc.h"
#include "../../src/cache/cache.h"
#include "../../src/config/config.h"
#include "../../src/feed/feed.h"
#include "../../src/feed/model.h"
#include "../../src/sources/mastodon.h"
#include "../../src/sources/source.h"

enum { ST_PARSE, ST_MERGE, ST_FEED, ST_SAVE, ST_TOTAL, ST__COUNT };
static const char *const step_names[ST__COUNT] = { "parse", "merge", "feed", "save",
	                                           "parse+merge+feed" };

#define MAX_RUNS 1000
#define MAX_PAGE (8 << 20)

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void report(const char *name, double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	printf("refresh: %s median=%.3f min=%.3f max=%.3f runs=%d\n", name, med, v[0], v[n - 1], n);
}

static int fail(const char *msg, const char *detail)
{
	fprintf(stderr, "bench_refresh: %s%s%s\n", msg, detail ? ": " : "", detail ? detail : "");
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: bench_refresh CONFIG CACHE_DIR PAGE.json WORK_DIR [RUNS]\n");
		return 2;
	}
	int runs = argc == 6 ? atoi(argv[5]) : 50;
	if (runs < 1 || runs > MAX_RUNS)
		return fail("RUNS must be from 1 to 1000", argv[5]);

	char *err = NULL;
	config_t *cfg = config_load(argv[1], &err);
	if (!cfg)
		return fail("configuration", err);
	cache_options_t opt;
	cache_options_default(&opt);
	opt.max_posts = cfg->cache.max_posts;
	opt.max_age_days = cfg->cache.max_age_days;
	cache_t *src = cache_open(argv[2], &opt, false, &err);
	if (!src)
		return fail("cannot open the generated cache", err);
	post_list_t base;
	post_list_init(&base);
	cache_load_posts(src, &base);
	cache_close(src);
	if (base.len != 500)
		return fail("the generated cache does not hold 500 posts", argv[2]);
	cache_t *work = cache_open(argv[4], &opt, true, &err);
	if (!work)
		return fail("cannot open the work cache", err);
	size_t page_len;
	char *page = fsio_read_file(argv[3], MAX_PAGE, &page_len);
	if (!page)
		return fail("cannot read the page", argv[3]);

	source_spec_t spec = { .key = xstrdup("mastodon:@b01@gemeente.example"),
		               .network = NET_MASTODON, .kind = SRC_ACCOUNT, .person = xstrdup("p01"),
		               .handle = xstrdup("b01"), .server = xstrdup("https://gemeente.example"),
		               .interval_s = 60, .include_boosts = true, .public_only = true };
	double *t[ST__COUNT];
	for (int s = 0; s < ST__COUNT; s++)
		t[s] = xcalloc((size_t)runs, sizeof(double));
	int64_t wall = clock_wall();

	for (int r = 0; r < runs; r++) {
		post_list_t all, batch, shown;
		post_list_init(&all);
		post_list_init(&batch);
		post_list_init(&shown);
		for (size_t i = 0; i < base.len; i++)
			post_list_push(&all, post_clone(base.items[i]));

		double t0 = now_ms();
		size_t invalid = 0;
		if (!mastodon_parse_statuses(page, page_len, &spec, &batch, &invalid, &err))
			return fail("the page does not parse", err);
		double t1 = now_ms();
		size_t added = 0;
		for (size_t i = 0; i < batch.len; i++) {
			post_t *np = batch.items[i];
			batch.items[i] = NULL;
			long at = post_list_find(&all, np->key);
			if (at >= 0) {
				post_free(all.items[at]);
				all.items[at] = np;
			} else {
				np->fetched = wall;
				post_list_push(&all, np);
				added++;
			}
		}
		batch.len = 0;
		post_list_sort(&all);
		cache_prune(&opt, &all, wall);
		double t2 = now_ms();
		feed_build(cfg, &all, NULL, 0, wall, &shown);
		double t3 = now_ms();
		bool saved = cache_save_posts(work, &all);
		double t4 = now_ms();

		if (added != 40 || invalid != 0) {
			char d[64];
			snprintf(d, sizeof d, "%zu added, %zu invalid", added, invalid);
			return fail("the page did not bring 40 new posts", d);
		}
		if (all.len != 500 || shown.len != 500)
			return fail("the merged list was not pruned back to 500 posts", NULL);
		if (!saved)
			return fail("writing posts.json failed", argv[4]);
		t[ST_PARSE][r] = t1 - t0;
		t[ST_MERGE][r] = t2 - t1;
		t[ST_FEED][r] = t3 - t2;
		t[ST_SAVE][r] = t4 - t3;
		t[ST_TOTAL][r] = t3 - t0;
		post_list_clear(&all);
		post_list_clear(&batch);
		post_list_clear(&shown);
	}
	for (int s = 0; s < ST__COUNT; s++) {
		report(step_names[s], t[s], runs);
		free(t[s]);
	}
	free(page);
	free(spec.key);
	free(spec.person);
	free(spec.handle);
	free(spec.server);
	cache_close(work);
	post_list_clear(&base);
	config_free(cfg);
	return 0;
}
