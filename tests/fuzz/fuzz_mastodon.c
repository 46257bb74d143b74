/*
 * fuzz_mastodon: the Mastodon parsers and adapter under libFuzzer.
 *
 * The input is a timeline body (or an account, or a status) for the pure
 * parsers, read twice with opposite filter choices, and then the answers to
 * the adapter's requests (format in fuzz_common.h): an account source does
 * lookup, newest page, min_id paging with ETags and rate-limit headers; a
 * hashtag source pages the tag timeline.  Every post that comes out is
 * checked against the model's contract.
 */
#include "fuzz_common.h"

#include "../../src/sources/mastodon.h"

#define TOKEN "fuzz-secret-mastodon-token"

static source_spec_t *account_spec, *tag_spec;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	fuzz_text_is_utf8 = true; /* statuses are HTML, and html.c writes UTF-8 */
	account_spec = fuzz_spec("mastodon:@jan@social.example", NET_MASTODON, SRC_ACCOUNT, "jan",
	                         "https://social.example", false, true);
	tag_spec = fuzz_spec("mastodon-tag:#balie@social.example", NET_MASTODON, SRC_HASHTAG, "balie",
	                     "https://social.example", true, false);
	return 0;
}

static void parse_list(const uint8_t *data, size_t size, const source_spec_t *spec)
{
	post_list_t out;
	post_list_init(&out);
	size_t invalid = 0;
	char *err = NULL;
	bool ok = mastodon_parse_statuses((const char *)data, size, spec, &out, &invalid, &err);
	FUZZ_ASSERT(ok ? err == NULL : err != NULL && out.len == 0);
	fuzz_check_list(&out);
	for (size_t i = 0; i < out.len; i++) /* no key twice */
		FUZZ_ASSERT(post_list_find(&out, out.items[i]->key) == (long)i);
	free(err);
	post_list_clear(&out);
}

static void parse_one(const cJSON *root, const source_spec_t *spec)
{
	post_t *p = (post_t *)1;
	const char *why = NULL;
	mastodon_result_t r = mastodon_parse_status(root, spec, &p, &why);
	if (r == MASTODON_OK) {
		fuzz_check_post(p);
		post_free(p);
	} else {
		FUZZ_ASSERT(r == MASTODON_FILTERED || r == MASTODON_INVALID);
		FUZZ_ASSERT(p == NULL && why != NULL);
	}
	author_t a;
	if (mastodon_parse_account(root, "social.example", &a)) {
		fuzz_check_author(&a);
		author_clear(&a);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_list(data, size, account_spec);
	parse_list(data, size, tag_spec);
	cJSON *root = cJSON_ParseWithLength((const char *)data, size);
	if (cJSON_IsObject(root)) {
		parse_one(root, account_spec);
		parse_one(root, tag_spec);
	}
	cJSON_Delete(root);

	fuzz_input_t in = { data, size, "application/json; charset=utf-8", TOKEN, TOKEN };
	fuzz_drive(&mastodon_source_ops, account_spec, &in);
	fuzz_drive(&mastodon_source_ops, tag_spec, &in);
	return 0;
}
