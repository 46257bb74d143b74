/*
 * fuzz_config: the INI configuration parser under libFuzzer.
 *
 * The input is a configuration file (config_parse(), no disk).  A parse
 * either gives a config whose sources expand (config_sources) and map back
 * to their sections, or an error that is one line starting with the file
 * name ("FILE:LINE: [section] key: message").  The input is also tried as a
 * --account and a --hashtag argument and as a Mastodon handle.
 */
#include "fuzz_common.h"

#include "../../src/config/config.h"

#define NAME "/etc/balie/balie.conf"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	return 0;
}

/* A parse error is one line (an argument's error may quote the argument,
 * newlines and all: the log replaces control characters). */
static void check_error(char *err, bool one_line)
{
	FUZZ_ASSERT(err != NULL);
	FUZZ_ASSERT(!one_line || strchr(err, '\n') == NULL);
	free(err);
}

static void expand(const config_t *c)
{
	source_spec_t **specs = NULL;
	size_t n = config_sources(c, &specs);
	FUZZ_ASSERT(n == 0 || specs != NULL);
	for (size_t i = 0; i < n; i++) {
		const source_spec_t *s = specs[i];
		FUZZ_ASSERT(s->key != NULL && s->key[0] != '\0');
		FUZZ_ASSERT((int)s->network >= 0 && s->network < NET__COUNT);
		FUZZ_ASSERT(s->interval_s >= 15);
		for (size_t j = 0; j < i; j++) /* keys are unique */
			FUZZ_ASSERT(strcmp(specs[j]->key, s->key) != 0);
		if (s->person)
			FUZZ_ASSERT(config_person(c, s->person) != NULL);
		(void)config_hashtag_for_source(c, s->key);
		(void)config_feed_for_source(c, s->key);
	}
	config_sources_free(specs, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *err = NULL;
	config_t *c = config_parse((const char *)data, size, NAME, &err);
	if (c) {
		FUZZ_ASSERT(err == NULL);
		expand(c);
		config_free(c);
	} else {
		FUZZ_ASSERT(strncmp(err, NAME ":", strlen(NAME ":")) == 0);
		check_error(err, true);
	}

	char *arg = fuzz_cstr(data, size);
	c = config_new_default();
	err = NULL;
	if (!config_add_cli_account(c, arg, &err))
		check_error(err, false);
	err = NULL;
	if (!config_add_cli_hashtag(c, arg, &err))
		check_error(err, false);
	expand(c);
	config_free(c);
	char *user = NULL, *server = NULL;
	err = NULL;
	if (mastodon_handle_split(arg, &user, &server, &err)) {
		FUZZ_ASSERT(user != NULL && server != NULL && err == NULL);
	} else {
		check_error(err, false);
	}
	free(user);
	free(server);
	free(arg);
	return 0;
}
