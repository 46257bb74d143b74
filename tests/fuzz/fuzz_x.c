/*
 * fuzz_x: the X API v2 parsers and adapter under libFuzzer.
 *
 * The input is read as a timeline (or search) body with and without a spec,
 * as a user lookup, as a usage-cap answer, and as a tweet object whose text
 * and entities (code-point offsets) are rebuilt into text and spans; then it
 * answers the adapter's requests (format in fuzz_common.h): user lookup,
 * timeline with since_id, rate-limit and usage-cap answers.
 */
#include "fuzz_common.h"

#include "../../src/sources/x.h"

#define TOKEN "fuzz-secret-x-bearer-token"

static source_spec_t *spec;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	spec = fuzz_spec("x:@gemeente", NET_X, SRC_ACCOUNT, "gemeente", "https://api.x.com", false, true);
	return 0;
}

static void parse_tweets(const uint8_t *data, size_t size, const source_spec_t *sp, const char *user_id)
{
	post_list_t out;
	post_list_init(&out);
	x_stats_t st;
	memset(&st, 0, sizeof st);
	char *err = NULL;
	bool ok = x_parse_tweets((const char *)data, size, sp, user_id, &out, &st, &err);
	FUZZ_ASSERT(ok ? err == NULL : err != NULL);
	fuzz_check_list(&out);
	FUZZ_ASSERT(!ok || st.posts == out.len);
	free(err);
	x_stats_clear(&st);
	post_list_clear(&out);
}

static void apply_entities(const cJSON *root)
{
	const cJSON *text = cJSON_GetObjectItemCaseSensitive(root, "text");
	if (!cJSON_IsString(text) || !text->valuestring)
		return;
	post_t *p = post_new();
	p->key = xstrdup("x:1");
	p->author.name = xstrdup("fuzz");
	const cJSON *q = cJSON_GetObjectItemCaseSensitive(root, "quoted_id");
	(void)x_apply_entities(p, text->valuestring, cJSON_GetObjectItemCaseSensitive(root, "entities"),
	                       cJSON_IsString(q) ? q->valuestring : NULL);
	fuzz_check_post(p);
	post_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_tweets(data, size, spec, "1234567890");
	parse_tweets(data, size, NULL, NULL);
	char *err = NULL;
	char *id = x_parse_user((const char *)data, size, &err);
	FUZZ_ASSERT(id ? err == NULL : err != NULL);
	free(id);
	free(err);
	(void)x_usage_capped(429, (const char *)data, size);
	(void)x_usage_capped(403, (const char *)data, size);
	cJSON *root = cJSON_ParseWithLength((const char *)data, size);
	if (cJSON_IsObject(root))
		apply_entities(root);
	cJSON_Delete(root);

	fuzz_input_t in = { data, size, "application/json; charset=utf-8", TOKEN, TOKEN };
	fuzz_drive(&x_source_ops, spec, &in);
	return 0;
}
