/* The string buffer the parsers build text with: bytes, strings, code points
 * as UTF-8, printf, truncation, and handing the result over. */
#include <stdint.h>

#include "../../src/base/strbuf.h"
#include "test.h"

TEST(empty_buffer_reads_and_hands_over_an_empty_string)
{
	strbuf_t sb = STRBUF_INIT;
	CHECK_STR(strbuf_str(&sb), "");
	CHECK_INT(sb.len, 0);
	char *s = strbuf_take(&sb);
	CHECK_STR(s, "");
	free(s);
	CHECK(sb.buf == NULL);
	strbuf_free(&sb); /* freeing an empty buffer is fine */
	strbuf_free(&sb);
}

TEST(appends_bytes_and_strings_in_order_and_stays_terminated)
{
	strbuf_t sb = STRBUF_INIT;
	strbuf_adds(&sb, "raad");
	CHECK_STR(sb.buf, "raad"); /* terminated at every step */
	strbuf_add(&sb, "svergadering!!", 12);
	CHECK_STR(strbuf_str(&sb), "raadsvergadering");
	CHECK_INT(sb.len, 16);
	strbuf_add(&sb, NULL, 0);
	CHECK_INT(sb.len, 16);
	/* bytes may hold NULs; len counts them */
	strbuf_add(&sb, "a\0b", 3);
	CHECK_INT(sb.len, 19);
	CHECK(memcmp(sb.buf + 16, "a\0b", 4) == 0);
	strbuf_free(&sb);
	CHECK(sb.buf == NULL && sb.len == 0 && sb.cap == 0);
}

TEST(grows_past_many_doublings)
{
	strbuf_t sb = STRBUF_INIT;
	for (int i = 0; i < 10000; i++)
		strbuf_add(&sb, "0123456789", (size_t)(i % 10) + 1);
	size_t want = 0;
	for (int i = 0; i < 10000; i++)
		want += (size_t)(i % 10) + 1;
	CHECK_INT(sb.len, want);
	CHECK_INT(strlen(sb.buf), want);
	CHECK(sb.cap > sb.len);
	CHECK(memcmp(sb.buf, "001012012301234", 15) == 0);
	strbuf_free(&sb);
}

TEST(code_points_become_utf8)
{
	strbuf_t sb = STRBUF_INIT;
	strbuf_add_cp(&sb, 'A');        /* 1 byte */
	strbuf_add_cp(&sb, 0xE9);       /* é: 2 bytes */
	strbuf_add_cp(&sb, 0x20AC);     /* €: 3 bytes */
	strbuf_add_cp(&sb, 0x1F3DB);    /* 🏛: 4 bytes */
	CHECK_STR(sb.buf, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x8f\x9b");
	strbuf_reset(&sb);
	/* the edges of each length */
	strbuf_add_cp(&sb, 0x7F);
	strbuf_add_cp(&sb, 0x80);
	strbuf_add_cp(&sb, 0x7FF);
	strbuf_add_cp(&sb, 0x800);
	strbuf_add_cp(&sb, 0xFFFF);
	strbuf_add_cp(&sb, 0x10000);
	strbuf_add_cp(&sb, 0x10FFFF);
	CHECK_STR(sb.buf, "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
	strbuf_reset(&sb);
	/* not characters: the replacement character */
	strbuf_add_cp(&sb, 0xD800);
	strbuf_add_cp(&sb, 0xDFFF);
	strbuf_add_cp(&sb, 0x110000);
	strbuf_add_cp(&sb, UINT32_MAX);
	CHECK_STR(sb.buf, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* U+0000 is a byte of its own */
	strbuf_reset(&sb);
	strbuf_add_cp(&sb, 0);
	CHECK_INT(sb.len, 1);
	CHECK(sb.buf[0] == '\0' && sb.buf[1] == '\0');
	strbuf_free(&sb);
}

TEST(printf_appends_formatted_text_of_any_length)
{
	strbuf_t sb = STRBUF_INIT;
	strbuf_adds(&sb, "ids=List(");
	strbuf_addf(&sb, "%s,%d", "urn%3Ali%3Aimage%3AC1", 42);
	strbuf_addf(&sb, "%s", "");
	strbuf_adds(&sb, ")");
	CHECK_STR(sb.buf, "ids=List(urn%3Ali%3Aimage%3AC1,42)");
	char big[3000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	strbuf_addf(&sb, "[%s]", big);
	CHECK_INT(sb.len, 34 + 2 + 2999);
	CHECK(sb.buf[sb.len - 1] == ']' && sb.buf[sb.len] == '\0');
	strbuf_free(&sb);
	strbuf_addf(&sb, "%s", ""); /* empty result on an empty buffer: still a string */
	CHECK_STR(sb.buf, "");
	strbuf_free(&sb);
}

TEST(truncate_and_reset_keep_the_memory)
{
	strbuf_t sb = STRBUF_INIT;
	strbuf_adds(&sb, "Meer info: https://t.co/x  ");
	char *mem = sb.buf;
	strbuf_truncate(&sb, 10);
	CHECK_STR(sb.buf, "Meer info:");
	strbuf_truncate(&sb, 50); /* longer than the text: nothing changes */
	CHECK_STR(sb.buf, "Meer info:");
	CHECK_INT(sb.len, 10);
	strbuf_reset(&sb);
	CHECK_STR(strbuf_str(&sb), "");
	CHECK(sb.buf == mem);
	strbuf_adds(&sb, "opnieuw");
	CHECK(sb.buf == mem);
	CHECK_STR(sb.buf, "opnieuw");
	strbuf_free(&sb);
}

TEST(take_hands_over_and_leaves_the_buffer_reusable)
{
	strbuf_t sb = STRBUF_INIT;
	strbuf_adds(&sb, "eerste");
	char *a = strbuf_take(&sb);
	CHECK(sb.buf == NULL && sb.len == 0 && sb.cap == 0);
	strbuf_adds(&sb, "tweede");
	char *b = strbuf_take(&sb);
	CHECK_STR(a, "eerste");
	CHECK_STR(b, "tweede");
	CHECK(a != b);
	free(a);
	free(b);
}

int main(void)
{
	RUN(empty_buffer_reads_and_hands_over_an_empty_string);
	RUN(appends_bytes_and_strings_in_order_and_stays_terminated);
	RUN(grows_past_many_doublings);
	RUN(code_points_become_utf8);
	RUN(printf_appends_formatted_text_of_any_length);
	RUN(truncate_and_reset_keep_the_memory);
	RUN(take_hands_over_and_leaves_the_buffer_reusable);
	return test_summary();
}
