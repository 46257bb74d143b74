/*
 * fuzz_facebook: the Facebook Page adapter under libFuzzer.
 *
 * facebook.h exports no body parser of its own: the Graph JSON is parsed
 * inside the adapter, so the input answers the adapter's requests (format in
 * fuzz_common.h): the Page's name and picture, then its posts with
 * attachments, Graph error objects (codes, subcodes, is_transient) and the
 * usage headers (X-App-Usage, X-Page-Usage, X-Business-Use-Case-Usage),
 * which are JSON too.  The input is also read as a link to unshim and as a
 * Graph version setting.
 */
#include "fuzz_common.h"

#include "../../src/sources/facebook.h"

#define TOKEN "EAAfuzzSecretPageToken"

static source_spec_t *spec;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	spec = fuzz_spec("facebook:100000000000001", NET_FACEBOOK, SRC_ACCOUNT, "100000000000001",
	                 "https://graph.facebook.com", false, true);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	char *u = facebook_unshim_url(s);
	FUZZ_ASSERT(u != NULL);
	free(u);
	if (facebook_set_graph_version(s))
		FUZZ_ASSERT(s[0] == 'v');
	facebook_set_graph_version(NULL);
	free(s);

	fuzz_input_t in = { data, size, "application/json; charset=UTF-8", TOKEN, TOKEN };
	fuzz_drive(&facebook_source_ops, spec, &in);
	return 0;
}
