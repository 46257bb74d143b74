/*
 * fuzz_notices: the front-desk notices file parser under libFuzzer.
 *
 * The input is a notices file (notices_parse(), no read: the bytes are the
 * file).  Every notice that comes out is a valid post, the count returned is
 * the count added, and every problem is one line "FILE:LINE: message" (the
 * staff read these).  Local time is Europe/Amsterdam, so daylight-saving
 * gaps and overlaps are reachable.
 */
#include "fuzz_common.h"

#include <time.h>

#include "../../src/sources/notices.h"

#define PATH "/etc/balie/notices.txt"

static source_spec_t *spec;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	setenv("TZ", "Europe/Amsterdam", 1);
	tzset();
	spec = fuzz_spec("notice:" PATH, NET_NOTICE, SRC_NOTICES, PATH, NULL, false, true);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	post_list_t out;
	post_list_init(&out);
	notices_errors_t errs;
	memset(&errs, 0, sizeof errs);
	size_t n = notices_parse((const char *)data, size, PATH, spec, FUZZ_NOW, &out, &errs);
	FUZZ_ASSERT(n == out.len);
	FUZZ_ASSERT(n <= NOTICES_MAX);
	fuzz_check_list(&out);
	for (size_t i = 0; i < out.len; i++) {
		FUZZ_ASSERT(out.items[i]->network == NET_NOTICE);
		FUZZ_ASSERT(post_list_find(&out, out.items[i]->key) == (long)i); /* keys are unique */
	}
	for (size_t i = 0; i < errs.len; i++) {
		FUZZ_ASSERT(errs.lines[i] != NULL);
		FUZZ_ASSERT(strncmp(errs.lines[i], PATH ":", strlen(PATH ":")) == 0);
		FUZZ_ASSERT(strchr(errs.lines[i], '\n') == NULL);
	}
	notices_errors_clear(&errs);
	post_list_clear(&out);
	return 0;
}
