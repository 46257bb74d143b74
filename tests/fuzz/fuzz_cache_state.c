/*
 * fuzz_cache_state: loading state.json, and every adapter reading its part
 * of it, under libFuzzer.
 *
 * The input is written to state.json in a private cache directory (made
 * once; moved-aside copies deleted after each input) and loaded with
 * cache_load_state(), which must give an object whatever the file holds.
 * The poller hands each source the "adapter" object of the member under its
 * key (net/poller.c); here that of every member is handed to every network
 * adapter's init(), and the
 * adapter then builds its first request (ids, cursors, ETags and sessions
 * from the state end up in URLs and headers: no CR or LF may get there)
 * and saves its state again.
 */
#include "fuzz_common.h"

#include "../../src/cache/cache.h"

#define MAX_MEMBERS 8

static cache_t *cache;

typedef struct {
	const source_ops_t *ops;
	source_spec_t *spec;
	const char *token;
} adapter_t;

static adapter_t adapters[8];
static size_t n_adapters;

static void close_cache(void)
{
	cache_close(cache);
	for (size_t i = 0; i < n_adapters; i++)
		source_spec_free(adapters[i].spec);
}

static void add(const source_ops_t *ops, source_spec_t *spec, const char *token)
{
	adapters[n_adapters++] = (adapter_t){ ops, spec, token };
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	fuzz_dir_make();
	char *err = NULL;
	cache = cache_open(fuzz_dir, NULL, true, &err);
	FUZZ_ASSERT(cache != NULL);
	atexit(close_cache);
	add(&mastodon_source_ops, fuzz_spec("mastodon:@jan@social.example", NET_MASTODON, SRC_ACCOUNT, "jan",
	                                    "https://social.example", false, true), "mastodon-token");
	add(&mastodon_source_ops, fuzz_spec("mastodon-tag:#balie@social.example", NET_MASTODON, SRC_HASHTAG,
	                                    "balie", "https://social.example", true, false), NULL);
	add(&bluesky_source_ops, fuzz_spec("bluesky:@jan.bsky.social", NET_BLUESKY, SRC_ACCOUNT, "jan.bsky.social",
	                                   "https://public.api.bsky.app", false, true), NULL);
	add(&bluesky_source_ops, fuzz_spec("bluesky-tag:#balie", NET_BLUESKY, SRC_HASHTAG, "balie",
	                                   "https://bsky.social", true, false), "jan.bsky.social\napp-password");
	add(&x_source_ops, fuzz_spec("x:@gemeente", NET_X, SRC_ACCOUNT, "gemeente", "https://api.x.com", false, true),
	    "x-bearer-token");
	add(&rss_source_ops, fuzz_spec("rss:https://e.example/feed.xml", NET_RSS, SRC_FEED,
	                               "https://e.example/feed.xml", NULL, false, true), NULL);
	add(&facebook_source_ops, fuzz_spec("facebook:100000000000001", NET_FACEBOOK, SRC_ACCOUNT, "100000000000001",
	                                    "https://graph.facebook.com", false, true), "EAAtoken");
	add(&linkedin_source_ops, fuzz_spec("linkedin:90000001", NET_LINKEDIN, SRC_ACCOUNT, "90000001",
	                                    "https://api.linkedin.com", false, true), "AQXtoken\nexpires=2026-10-30");
	return 0;
}

/* A source restored from this state: its first request, then its state. */
static void restore(const adapter_t *a, const cJSON *state)
{
	fuzz_input_t in = { NULL, 0, NULL, a->token, NULL };
	source_t *s = fuzz_source_new(a->ops, a->spec, a->token, state);
	if (s->ops->begin)
		s->ops->begin(s);
	net_request_t *req = s->ops->next_request(s);
	if (req) {
		fuzz_check_request(&in, req);
		net_request_free(req);
	}
	cJSON *saved = fuzz_saved_state(s);
	cJSON_Delete(saved);
	fuzz_source_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_write_file("state.json", data, size);
	cJSON *state = cache_load_state(cache);
	FUZZ_ASSERT(cJSON_IsObject(state));
	size_t members = 0;
	const cJSON *m;
	cJSON_ArrayForEach(m, state) {
		if (!cJSON_IsObject(m))
			continue;
		if (++members > MAX_MEMBERS)
			break;
		/* what the poller hands to init(): the member's "adapter", whatever it is */
		const cJSON *adapter = cJSON_GetObjectItemCaseSensitive(m, "adapter");
		for (size_t i = 0; i < n_adapters; i++)
			restore(&adapters[i], adapter);
	}
	cJSON_Delete(state);
	fuzz_dir_clean(false); /* the moved-aside copies */
	return 0;
}
