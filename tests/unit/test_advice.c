/*
 * test_advice: every network has a remedy for every failure, the remedies
 * name the right settings, and a working source gets none.
 */
#include <stdbool.h>

#include "test.h"

#include "../../src/sources/advice.h"

static const source_status_t failures[] = {
	SRC_ERR_NETWORK, SRC_ERR_RATE, SRC_ERR_AUTH, SRC_ERR_NOT_FOUND, SRC_ERR_DATA, SRC_ERR_CONFIG,
};
#define N_FAILURES (sizeof failures / sizeof *failures)

TEST(working_sources_get_no_advice)
{
	for (int n = 0; n < NET__COUNT; n++) {
		CHECK(source_advice((network_t)n, SRC_DONE) == NULL);
		CHECK(source_advice((network_t)n, SRC_NOT_MODIFIED) == NULL);
		CHECK(source_advice((network_t)n, SRC_CONTINUE) == NULL);
	}
}

TEST(every_network_and_failure_has_one_clean_line)
{
	for (int n = 0; n <= NET__COUNT; n++) { /* NET__COUNT: an unknown network still gets advice */
		for (size_t i = 0; i < N_FAILURES; i++) {
			const char *a = source_advice((network_t)n, failures[i]);
			CHECK(a != NULL);
			size_t len = strlen(a);
			CHECK(len > 40 && len < 600);
			CHECK(a[len - 1] == '.');
			for (const char *p = a; *p; p++)
				CHECK((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
		}
	}
	CHECK(source_advice((network_t)-1, SRC_ERR_AUTH) != NULL);
	CHECK(source_advice(NET_MASTODON, (source_status_t)99) != NULL);
}

TEST(remedies_differ_per_network_where_the_fix_differs)
{
	static const network_t social[] = { NET_MASTODON, NET_BLUESKY, NET_RSS, NET_X, NET_FACEBOOK, NET_LINKEDIN };
	for (size_t i = 0; i < sizeof social / sizeof *social; i++)
		for (size_t j = i + 1; j < sizeof social / sizeof *social; j++)
			for (size_t k = 0; k < N_FAILURES; k++)
				CHECK(strcmp(source_advice(social[i], failures[k]), source_advice(social[j], failures[k])) != 0);
	/* the failures of one network differ from each other */
	for (size_t k = 0; k < N_FAILURES; k++)
		for (size_t l = k + 1; l < N_FAILURES; l++)
			CHECK(strcmp(source_advice(NET_LINKEDIN, failures[k]), source_advice(NET_LINKEDIN, failures[l])) != 0);
}

TEST(remedies_name_the_settings_and_steps)
{
	static const struct {
		network_t n;
		source_status_t st;
		const char *says;
	} cases[] = {
		{ NET_MASTODON, SRC_ERR_AUTH, "mastodon_token = FILE" },
		{ NET_MASTODON, SRC_ERR_AUTH, "422" },
		{ NET_MASTODON, SRC_ERR_AUTH, "read:statuses" },
		{ NET_MASTODON, SRC_ERR_NOT_FOUND, "@user@server" },
		{ NET_BLUESKY, SRC_ERR_AUTH, "app password" },
		{ NET_BLUESKY, SRC_ERR_AUTH, "bluesky_password" },
		{ NET_RSS, SRC_ERR_DATA, "not an RSS or Atom feed" },
		{ NET_RSS, SRC_ERR_NOT_FOUND, "[feed] section" },
		{ NET_X, SRC_ERR_AUTH, "x_token" },
		{ NET_X, SRC_ERR_RATE, "credits" },
		{ NET_FACEBOOK, SRC_ERR_AUTH, "facebook_token" },
		{ NET_FACEBOOK, SRC_ERR_AUTH, "pages_read_engagement" },
		{ NET_FACEBOOK, SRC_ERR_AUTH, "docs/facebook-linkedin.md" },
		{ NET_FACEBOOK, SRC_ERR_AUTH, "cached posts stay on screen" },
		{ NET_FACEBOOK, SRC_ERR_NOT_FOUND, "numeric id" },
		{ NET_FACEBOOK, SRC_ERR_DATA, "facebook_graph_version" },
		{ NET_LINKEDIN, SRC_ERR_AUTH, "60 days" },
		{ NET_LINKEDIN, SRC_ERR_AUTH, "expires=YYYY-MM-DD" },
		{ NET_LINKEDIN, SRC_ERR_AUTH, "linkedin_token" },
		{ NET_LINKEDIN, SRC_ERR_AUTH, "front-desk notices" },
		{ NET_LINKEDIN, SRC_ERR_CONFIG, "426" },
		{ NET_LINKEDIN, SRC_ERR_CONFIG, "linkedin_version" },
		{ NET_LINKEDIN, SRC_ERR_RATE, "00:00 UTC" },
		{ NET_LINKEDIN, SRC_ERR_NOT_FOUND, "linkedin.com/company/ID/admin/" },
		{ NET_NOTICE, SRC_ERR_NOT_FOUND, "[notices] section" },
		{ NET_NOTICE, SRC_ERR_DATA, "FILE:LINE" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *a = source_advice(cases[i].n, cases[i].st);
		if (!a || !strstr(a, cases[i].says)) {
			printf("  %s / %s lacks \"%s\"\n", network_name(cases[i].n), source_status_name(cases[i].st),
			       cases[i].says);
			CHECK(0);
		}
	}
}

int main(void)
{
	RUN(working_sources_get_no_advice);
	RUN(every_network_and_failure_has_one_clean_line);
	RUN(remedies_differ_per_network_where_the_fix_differs);
	RUN(remedies_name_the_settings_and_steps);
	return test_summary();
}
