/* Line breaking, fitting and ellipsis with a fake fixed-advance font: every
 * character (code point) is px/2 wide, the ellipsis too, lines are px*5/4. */
#include <string.h>

#include "../../src/base/xmalloc.h"
#include "../../src/layout/wrap.h"
#include "test.h"

typedef struct {
	const char *text;
	long measured; /* bytes measured in total */
} fake_t;

static int fake_measure(void *ctx, int px, size_t start, size_t end)
{
	fake_t *f = ctx;
	f->measured += (long)(end - start);
	int n = 0;
	for (size_t i = start; i < end; i++)
		if (((unsigned char)f->text[i] & 0xC0) != 0x80)
			n++;
	return n * px / 2;
}

static int fake_ellipsis(void *ctx, int px)
{
	(void)ctx;
	return px / 2;
}

static int fake_line_height(void *ctx, int px)
{
	(void)ctx;
	return px * 5 / 4;
}

static fake_t fake;
static const wrap_measure_t M = { fake_measure, fake_ellipsis, fake_line_height, &fake };
static char brk[4096];
static char line[512];

static const char *line_text(const wrap_result_t *r, size_t i)
{
	const wrap_line_t *l = &r->lines[i];
	snprintf(line, sizeof line, "%.*s%s", (int)(l->end - l->start), fake.text + l->start,
	         l->ellipsis ? "\xe2\x80\xa6" : "");
	return line;
}

static void wrap(const char *text, int px, int max_w, wrap_result_t *r)
{
	fake.text = text;
	wrap_breaks(text, strlen(text), "nl", brk);
	wrap_lines(text, strlen(text), brk, px, max_w, &M, r);
}

TEST(breaks_at_spaces_and_keeps_words_whole)
{
	wrap_result_t r = { 0 };
	/* 10 px per char, 100 px = 10 chars per line */
	wrap("De raad vergadert vanavond over de nieuwe brug.", 20, 100, &r);
	EXPECT(r.n == 6);
	EXPECT(strcmp(line_text(&r, 0), "De raad") == 0);
	EXPECT(strcmp(line_text(&r, 1), "vergadert") == 0);
	EXPECT(strcmp(line_text(&r, 2), "vanavond") == 0);
	EXPECT(strcmp(line_text(&r, 3), "over de") == 0);
	EXPECT(strcmp(line_text(&r, 4), "nieuwe") == 0);
	EXPECT(strcmp(line_text(&r, 5), "brug.") == 0);
	wrap_result_free(&r);
	wrap("De raad vergadert vanavond over de nieuwe brug.", 20, 120, &r);
	CHECK_STR(line_text(&r, r.n - 1), "nieuwe brug."); /* exactly 120 px */
	for (size_t i = 0; i < r.n; i++)
		CHECK(r.lines[i].width <= 120);
	CHECK_INT(r.height, (int)r.n * 25);
	wrap_result_free(&r);
}

TEST(breaks_after_hyphens_and_slashes_not_only_spaces)
{
	wrap_result_t r = { 0 };
	/* UAX #14: a break opportunity after the hyphen */
	wrap("gemeente-informatiebijeenkomst", 20, 100, &r);
	CHECK_STR(line_text(&r, 0), "gemeente-");
	wrap_result_free(&r);
	/* Chinese has no spaces: every ideograph is a break opportunity. */
	wrap("市政厅今天开放参观欢迎", 20, 50, &r);
	CHECK_INT(r.n, 3);
	CHECK_STR(line_text(&r, 0), "市政厅今天");
	wrap_result_free(&r);
}

TEST(newlines_are_hard_breaks)
{
	wrap_result_t r = { 0 };
	wrap("Eerste regel\n\nDerde", 20, 1000, &r);
	CHECK_INT(r.n, 3);
	CHECK_STR(line_text(&r, 0), "Eerste regel");
	CHECK_STR(line_text(&r, 1), "");
	CHECK_STR(line_text(&r, 2), "Derde");
	wrap_result_free(&r);
	wrap("Slot\n", 20, 1000, &r);
	CHECK_INT(r.n, 1);
	wrap_result_free(&r);
}

TEST(a_long_word_is_broken_between_characters)
{
	wrap_result_t r = { 0 };
	wrap("https://www.voorbeeldstad.nl/nieuws/2024/afvalinzameling", 20, 100, &r);
	CHECK(r.n >= 6);
	for (size_t i = 0; i < r.n; i++) {
		CHECK(r.lines[i].width <= 100);
		CHECK(r.lines[i].end > r.lines[i].start);
	}
	/* Nothing lost: the lines cover the text. */
	size_t total = 0;
	for (size_t i = 0; i < r.n; i++)
		total += r.lines[i].end - r.lines[i].start;
	CHECK_INT(total, strlen(fake.text));
	wrap_result_free(&r);
	/* Even when not one character fits, each line takes one. */
	wrap("abc", 20, 5, &r);
	CHECK_INT(r.n, 3);
	wrap_result_free(&r);
}

TEST(clusters_marked_inside_are_never_split)
{
	/* "ab" + a 4-byte emoji + skin tone modifier (4 bytes) + "cd" */
	const char *t = "ab\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd" "cd";
	fake.text = t;
	size_t n = strlen(t);
	wrap_breaks(t, n, NULL, brk);
	for (size_t i = 2; i < 9; i++) /* keep the emoji and its modifier together */
		brk[i] = WRAP_INSIDE;
	wrap_result_t r = { 0 };
	wrap_lines(t, n, brk, 20, 10, &M, &r); /* one code point per line */
	for (size_t i = 0; i < r.n; i++)
		CHECK(!(r.lines[i].start > 2 && r.lines[i].start < 10));
	wrap_result_free(&r);
}

TEST(flags_and_noncharacters_do_not_abort_libunibreak)
{
	/* libunibreak 1.1 asserts on regional indicators and U+FFFF. */
	wrap_result_t r = { 0 };
	wrap("Nederland \xf0\x9f\x87\xb3\xf0\x9f\x87\xb1 en \xef\xbf\xbf einde", 20, 1000, &r);
	CHECK_INT(r.n, 1);
	CHECK_STR(line_text(&r, 0), fake.text);
	wrap_result_free(&r);
}

TEST(fit_picks_the_largest_size_that_fits)
{
	wrap_result_t r = { 0 };
	const char *t = "Kort bericht.";
	fake.text = t;
	wrap_breaks(t, strlen(t), "nl", brk);
	wrap_fit(t, strlen(t), brk, 10, 60, 1000, 500, 0, &M, &r);
	CHECK_INT(r.px, 60); /* short text: the maximum */
	CHECK_INT(r.n, 1);
	CHECK(!r.truncated);
	wrap_result_free(&r);

	/* 200 chars into 400x300: the answer must fit and one px more must not. */
	char longer[256];
	for (int i = 0; i < 200; i++)
		longer[i] = i % 6 == 5 ? ' ' : 'a' + i % 26;
	longer[200] = '\0';
	fake.text = longer;
	wrap_breaks(longer, 200, "nl", brk);
	wrap_fit(longer, 200, brk, 8, 60, 400, 300, 0, &M, &r);
	int px = r.px;
	CHECK(px > 8 && px < 60);
	CHECK(r.height <= 300 && r.width <= 400 && !r.truncated);
	wrap_result_t bigger = { 0 };
	wrap_lines(longer, 200, brk, px + 1, 400, &M, &bigger);
	CHECK(bigger.height > 300);
	wrap_result_free(&bigger);
	wrap_result_free(&r);
}

TEST(shrinks_then_cuts_with_an_ellipsis_at_a_word)
{
	wrap_result_t r = { 0 };
	const char *t = "een twee drie vier vijf zes zeven acht negen tien elf twaalf dertien";
	fake.text = t;
	wrap_breaks(t, strlen(t), "nl", brk);
	/* min 20 px = 10 px per char: 12 chars per line, 2 lines of 25 px */
	wrap_fit(t, strlen(t), brk, 20, 40, 120, 50, 0, &M, &r);
	CHECK_INT(r.px, 20);
	CHECK_INT(r.n, 2);
	CHECK(r.truncated);
	CHECK(r.lines[1].ellipsis && !r.lines[0].ellipsis);
	CHECK_STR(line_text(&r, 0), "een twee");
	CHECK_STR(line_text(&r, 1), "drie vier\xe2\x80\xa6");
	CHECK(r.lines[1].width <= 120);
	wrap_result_free(&r);
}

TEST(max_lines_and_single_line_titles)
{
	wrap_result_t r = { 0 };
	const char *t = "Wethouder Ruimtelijke Ordening en Duurzaamheid";
	fake.text = t;
	wrap_breaks(t, strlen(t), "nl", brk);
	wrap_fit(t, strlen(t), brk, 20, 20, 200, 1000, 1, &M, &r);
	CHECK_INT(r.n, 1);
	CHECK(r.truncated && r.lines[0].ellipsis && r.lines[0].width <= 200);
	CHECK_STR(line_text(&r, 0), "Wethouder\xe2\x80\xa6");
	wrap_result_free(&r);
	/* A single word longer than the line is cut between characters. */
	t = "Ruimtelijkeordeningsambtenaar";
	fake.text = t;
	wrap_breaks(t, strlen(t), "nl", brk);
	wrap_fit(t, strlen(t), brk, 20, 20, 100, 1000, 1, &M, &r);
	CHECK_STR(line_text(&r, 0), "Ruimtelij\xe2\x80\xa6");
	CHECK(r.lines[0].width <= 100);
	wrap_result_free(&r);
}

TEST(cut_never_passes_a_newline)
{
	wrap_result_t r = { 0 };
	const char *t = "kop\nen dan heel veel meer tekst die niet past";
	fake.text = t;
	wrap_breaks(t, strlen(t), "nl", brk);
	wrap_fit(t, strlen(t), brk, 20, 20, 1000, 25, 0, &M, &r);
	CHECK_INT(r.n, 1);
	CHECK_STR(line_text(&r, 0), "kop\xe2\x80\xa6");
	wrap_result_free(&r);
}

TEST(empty_and_invalid_text)
{
	wrap_result_t r = { 0 };
	wrap("", 20, 100, &r);
	CHECK_INT(r.n, 0);
	CHECK_INT(r.height, 0);
	wrap_result_free(&r);
	wrap("ab\xff\xfe cd \xc3", 20, 100, &r);
	CHECK(r.n >= 1);
	wrap_result_free(&r);
	fake.text = "";
	wrap_fit("", 0, brk, 10, 20, 100, 100, 0, &M, &r);
	CHECK_INT(r.n, 0);
	wrap_result_free(&r);
}

TEST(measuring_is_per_segment_not_quadratic)
{
	char t[2001];
	for (int i = 0; i < 2000; i++)
		t[i] = i % 5 == 4 ? ' ' : 'x';
	t[2000] = '\0';
	wrap_result_t r = { 0 };
	fake.measured = 0;
	wrap(t, 20, 300, &r);
	long measured = fake.measured;
	wrap_result_free(&r);
	/* Each word is measured about once (twice when it moves to the next
	 * line), never the whole line again for every word. */
	CHECK(measured <= 2 * 2000);
}

int main(void)
{
	RUN(breaks_at_spaces_and_keeps_words_whole);
	RUN(breaks_after_hyphens_and_slashes_not_only_spaces);
	RUN(newlines_are_hard_breaks);
	RUN(a_long_word_is_broken_between_characters);
	RUN(clusters_marked_inside_are_never_split);
	RUN(flags_and_noncharacters_do_not_abort_libunibreak);
	RUN(fit_picks_the_largest_size_that_fits);
	RUN(shrinks_then_cuts_with_an_ellipsis_at_a_word);
	RUN(max_lines_and_single_line_titles);
	RUN(cut_never_passes_a_newline);
	RUN(empty_and_invalid_text);
	RUN(measuring_is_per_segment_not_quadratic);
	return test_summary();
}
