/*
 * fuzz_rss: the RSS / Atom parser (expat) and the feed adapter under
 * libFuzzer.
 *
 * The input is a feed document, parsed with and without a feed URL (for
 * relative links) and a spec; every item must come out as a valid post
 * whose text is UTF-8 (expat refuses invalid UTF-8, html.c writes it).  The
 * input also answers the adapter's one request per cycle (format in
 * fuzz_common.h: ETag / Last-Modified, 304, 429 with Retry-After), and its
 * first line and the rest are tried as a base URL and a reference for
 * rss_resolve_url().
 */
#include "fuzz_common.h"

#include "../../src/sources/rss.h"

#define FEED_URL "https://www.voorbeeldstad.example/nieuws/feed.xml"

static source_spec_t *spec;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	fuzz_text_is_utf8 = true;
	spec = fuzz_spec("rss:" FEED_URL, NET_RSS, SRC_FEED, FEED_URL, NULL, false, true);
	return 0;
}

static void parse(const uint8_t *data, size_t size, const char *url, const source_spec_t *sp)
{
	rss_feed_t f;
	char *err = NULL;
	bool ok = rss_parse((const char *)data, size, url, sp, FUZZ_NOW, &f, &err);
	if (!ok) {
		FUZZ_ASSERT(err != NULL && strchr(err, '\n') == NULL);
		free(err);
		return;
	}
	FUZZ_ASSERT(err == NULL);
	fuzz_check_author(&f.author);
	fuzz_check_list(&f.posts);
	FUZZ_ASSERT(f.posts.len <= RSS_MAX_ITEMS);
	for (size_t i = 0; i < f.posts.len; i++)
		FUZZ_ASSERT(f.posts.items[i]->created <= FUZZ_NOW); /* future dates are clamped */
	rss_feed_clear(&f);
}

static void resolve(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	if (!nl)
		return;
	char *base = xstrndup((const char *)data, (size_t)(nl - data));
	char *ref = xstrndup((const char *)nl + 1, size - (size_t)(nl - data) - 1);
	char *u = rss_resolve_url(base, ref);
	if (u)
		FUZZ_ASSERT(strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0);
	free(u);
	free(ref);
	free(base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse(data, size, FEED_URL, spec);
	parse(data, size, NULL, NULL);
	resolve(data, size);

	fuzz_input_t in = { data, size, "application/rss+xml; charset=utf-8", NULL, NULL };
	fuzz_drive(&rss_source_ops, spec, &in);
	return 0;
}
