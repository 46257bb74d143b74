/*
 * fuzz_linkedin: the LinkedIn organisation adapter under libFuzzer.
 *
 * linkedin.h exports no body parser of its own, so the input answers the
 * adapter's requests (format in fuzz_common.h): the organisation, its posts,
 * and the Images batch for the image URNs the posts name.  The input is also
 * read as LinkedIn's "little" commentary text (mentions, hashtags,
 * escapes), as a token file with an "expires=" line, and as a
 * LinkedIn-Version setting.
 */
#include "fuzz_common.h"

#include "../../src/sources/linkedin.h"

#define TOKEN "AQXfuzzSecretMemberToken"

static source_spec_t *spec;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	spec = fuzz_spec("linkedin:90000001", NET_LINKEDIN, SRC_ACCOUNT, "90000001", "https://api.linkedin.com",
	                 false, true);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	post_t *p = post_new();
	p->key = xstrdup("linkedin:urn:li:share:1");
	p->author.name = xstrdup("fuzz");
	linkedin_little_to_post(s, p);
	fuzz_check_post(p);
	post_free(p);
	(void)linkedin_token_days_left(s, FUZZ_NOW);
	char *w = linkedin_token_warning(s, "/etc/balie/linkedin.token", FUZZ_NOW);
	if (w)
		FUZZ_ASSERT(strchr(w, '\n') == NULL);
	free(w);
	(void)linkedin_set_version(s);
	linkedin_set_version(NULL);
	free(s);

	fuzz_input_t in = { data, size, "application/json", TOKEN "\nexpires=2026-10-30", TOKEN };
	fuzz_drive(&linkedin_source_ops, spec, &in);
	return 0;
}
