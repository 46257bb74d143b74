/*
 * fuzz_html: HTML to text (html_to_post_text, html_to_plain) under
 * libFuzzer.
 *
 * The input is HTML as Mastodon servers and feeds send it, converted three
 * ways: with no options, with quote-inline removal and custom emoji, and to
 * plain text.  Whatever the bytes, the output must be UTF-8, and every span
 * must lie within the text on character boundaries (a logic bug there
 * traps, so libFuzzer keeps the input).  The input buffer is not
 * NUL-terminated: html.h promises never to read past len.
 */
#include "fuzz_common.h"

#include "../../src/sources/html.h"

static const emoji_t emojis[] = {
	{ (char *)"blobcat", (char *)"https://social.example/emoji/blobcat.png", NULL },
	{ (char *)"a", (char *)"https://social.example/emoji/a.png", NULL },
	{ (char *)"gemeente_logo", (char *)"https://social.example/emoji/logo.png", NULL },
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	fuzz_text_is_utf8 = true;
	return 0;
}

static void to_post(const uint8_t *data, size_t size, const html_options_t *opt)
{
	post_t *p = post_new();
	p->key = xstrdup("mastodon:https://social.example/s/1");
	p->author.name = xstrdup("fuzz");
	html_to_post_text((const char *)data, size, opt, p);
	FUZZ_ASSERT(p->text != NULL);
	FUZZ_ASSERT(fuzz_utf8_valid(p->text, strlen(p->text)));
	fuzz_check_spans(p->text, p->spans, p->n_spans);
	for (size_t i = 0; i < p->n_spans; i++) {
		const span_t *s = &p->spans[i];
		if (s->kind == SPAN_EMOJI) /* an emoji span names a known shortcode */
			FUZZ_ASSERT(s->target != NULL && opt && opt->n_emojis > 0);
	}
	/* the same bytes give the same text (no state kept between calls) */
	char *first = xstrdup(p->text);
	size_t n_first = p->n_spans;
	html_to_post_text((const char *)data, size, opt, p);
	FUZZ_ASSERT(strcmp(first, p->text) == 0 && p->n_spans == 2 * n_first);
	free(first);
	post_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	to_post(data, size, NULL);
	html_options_t opt = { true, emojis, sizeof emojis / sizeof *emojis };
	to_post(data, size, &opt);
	char *plain = html_to_plain((const char *)data, size);
	FUZZ_ASSERT(plain != NULL);
	FUZZ_ASSERT(fuzz_utf8_valid(plain, strlen(plain)));
	free(plain);
	return 0;
}
