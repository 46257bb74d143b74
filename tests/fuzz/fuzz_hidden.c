/*
 * fuzz_hidden: loading hidden.txt (posts hidden with --hide) under
 * libFuzzer.
 *
 * The input is written to hidden.txt in a private directory (made once) and
 * read with hidden_load(), as the feed does on every rebuild; the file is
 * edited by hand too, so anything may be in it.  Every entry loaded must be
 * non-empty, within HIDDEN_MAX_ENTRY, at most HIDDEN_MAX_ENTRIES of them,
 * and found again by hidden_contains().
 */
#include "fuzz_common.h"

#include "../../src/feed/hidden.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	fuzz_dir_make();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_write_file("hidden.txt", data, size);
	hidden_list_t l;
	hidden_init(&l);
	char *err = NULL;
	bool ok = hidden_load(fuzz_dir, &l, &err);
	FUZZ_ASSERT(ok ? err == NULL : err != NULL);
	FUZZ_ASSERT(l.len <= HIDDEN_MAX_ENTRIES);
	for (size_t i = 0; i < l.len; i++) {
		FUZZ_ASSERT(l.items[i] != NULL && l.items[i][0] != '\0');
		FUZZ_ASSERT(strlen(l.items[i]) <= HIDDEN_MAX_ENTRY);
		FUZZ_ASSERT(hidden_contains(&l, l.items[i]));
	}
	free(err);
	hidden_clear(&l);
	return 0;
}
