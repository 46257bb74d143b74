/*
 * fuzz_bluesky: the Bluesky parsers and adapter under libFuzzer.
 *
 * The input is read as a getAuthorFeed body and as a searchPosts body (with
 * and without a spec), as a single postView, labels array and record with
 * facets, and as a JWT; then it answers the adapter's requests (format in
 * fuzz_common.h): the account source asks the public AppView, the hashtag
 * source logs in (createSession / refreshSession) and searches, so session
 * bodies and their JWTs are parsed too.
 */
#include "fuzz_common.h"

#include "../../src/sources/bluesky.h"

#define PASSWORD "fuzz-app-password-xyzw"

static source_spec_t *account_spec, *tag_spec;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	account_spec = fuzz_spec("bluesky:@jan.bsky.social", NET_BLUESKY, SRC_ACCOUNT, "jan.bsky.social",
	                         "https://public.api.bsky.app", false, true);
	tag_spec = fuzz_spec("bluesky-tag:#balie@https://bsky.social", NET_BLUESKY, SRC_HASHTAG, "balie",
	                     "https://bsky.social", true, false);
	return 0;
}

typedef bool (*parse_fn)(const char *, size_t, const source_spec_t *, int64_t, post_list_t *,
                         bluesky_stats_t *, char **);

static void parse_body(parse_fn fn, const uint8_t *data, size_t size, const source_spec_t *spec)
{
	post_list_t out;
	post_list_init(&out);
	bluesky_stats_t st;
	memset(&st, 0, sizeof st);
	char *err = NULL;
	bool ok = fn((const char *)data, size, spec, FUZZ_NOW, &out, &st, &err);
	FUZZ_ASSERT(ok ? err == NULL : err != NULL);
	fuzz_check_list(&out);
	FUZZ_ASSERT(!ok || st.posts == out.len);
	free(err);
	post_list_clear(&out);
}

static void parse_object(const cJSON *root)
{
	post_t *p = bluesky_post_from_view(root, account_spec, FUZZ_NOW, NULL);
	if (p) {
		fuzz_check_post(p);
		post_free(p);
	}
	(void)bluesky_labels_hide(root, FUZZ_NOW);
	(void)bluesky_labels_hide(cJSON_GetObjectItemCaseSensitive(root, "labels"), FUZZ_NOW);
	/* a record: its text with its facets */
	const cJSON *text = cJSON_GetObjectItemCaseSensitive(root, "text");
	if (cJSON_IsString(text) && text->valuestring) {
		p = post_new();
		free(p->text);
		p->text = xstrdup(text->valuestring);
		p->key = xstrdup("bluesky:at://fuzz");
		p->author.name = xstrdup("fuzz");
		(void)bluesky_apply_facets(p, cJSON_GetObjectItemCaseSensitive(root, "facets"));
		fuzz_check_post(p);
		post_free(p);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_body(bluesky_parse_author_feed, data, size, account_spec);
	parse_body(bluesky_parse_author_feed, data, size, NULL);
	parse_body(bluesky_parse_search, data, size, tag_spec);
	cJSON *root = cJSON_ParseWithLength((const char *)data, size);
	if (cJSON_IsObject(root) || cJSON_IsArray(root))
		parse_object(root);
	cJSON_Delete(root);
	char *jwt = fuzz_cstr(data, size);
	(void)bluesky_jwt_exp(jwt);
	free(jwt);

	fuzz_input_t in = { data, size, "application/json; charset=utf-8", NULL, PASSWORD };
	fuzz_drive(&bluesky_source_ops, account_spec, &in);
	/* the token file as the poller hands it over: handle, newline, app password */
	in.token = "jan.bsky.social\n" PASSWORD;
	fuzz_drive(&bluesky_source_ops, tag_spec, &in);
	return 0;
}
