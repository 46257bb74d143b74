/*
 * test_html: HTML to plain text plus spans, on the shapes Mastodon really
 * sends (taken from tests/fixtures/mastodon-*.json) and on every rule of
 * src/sources/html.h, one test per rule, with exact text and byte offsets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../src/base/fsio.h"
#include "../../src/base/xmalloc.h"
#include "../../src/sources/html.h"
#include "test.h"

/* The post of the current test; freed by the next conversion and at exit,
 * so that a failing CHECK does not leak. */
static post_t *cur;

static post_t *conv_opt(const char *html, const html_options_t *opt)
{
	post_free(cur);
	cur = post_new();
	html_to_post_text(html, strlen(html), opt, cur);
	return cur;
}

static post_t *conv(const char *html)
{
	return conv_opt(html, NULL);
}

/* Copy of the text a span covers (a static buffer; for CHECK_STR). */
static const char *span_text(const post_t *p, size_t i)
{
	static char buf[512];
	const span_t *s = &p->spans[i];
	size_t n = s->end - s->start;
	if (n >= sizeof buf)
		n = sizeof buf - 1;
	memcpy(buf, p->text + s->start, n);
	buf[n] = '\0';
	return buf;
}

#define CHECK_SPAN(p, i, k, s, e, t)                                           \
	do {                                                                   \
		CHECK((p)->n_spans > (size_t)(i));                             \
		CHECK_INT((p)->spans[i].kind, k);                              \
		CHECK_INT((p)->spans[i].start, s);                             \
		CHECK_INT((p)->spans[i].end, e);                               \
		CHECK_STR((p)->spans[i].target, t);                            \
	} while (0)

/* content of status i (and of its reblog when reblog) in a fixture file. */
static char *fixture_content(const char *file, int i, bool reblog)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", test_fixture_dir(), file);
	size_t len;
	char *json = fsio_read_file(path, 1 << 22, &len);
	if (!json)
		return NULL;
	cJSON *root = cJSON_ParseWithLength(json, len);
	free(json);
	cJSON *st = cJSON_GetArrayItem(root, i);
	if (reblog)
		st = cJSON_GetObjectItem(st, "reblog");
	const char *c = cJSON_GetStringValue(cJSON_GetObjectItem(st, "content"));
	char *out = xstrdup(c);
	cJSON_Delete(root);
	return out;
}

/* ---- Mastodon's real shapes ---------------------------------------------- */

TEST(fixture_local_status_text_and_spans)
{
	char *html = fixture_content("mastodon-account-statuses.json", 0, false);
	CHECK(html);
	emoji_t em = { .shortcode = (char *)"vlag_voorbeeldstad" };
	html_options_t opt = { .emojis = &em, .n_emojis = 1 };
	post_t *p = conv_opt(html, &opt);
	free(html);
	CHECK_STR(p->text,
	          "Vanaf maandag 3 maart is de Dorpsstraat afgesloten voor autoverkeer vanwege "
	          "rioleringswerk. :vlag_voorbeeldstad: Meer info: voorbeeldstad.nl/werkzaamheden\xE2\x80\xA6\n"
	          "\n"
	          "Vragen? Wethouder @j_devries licht het toe tijdens het inloopspreekuur.\n"
	          "Tot dan & bedankt voor uw begrip!\n"
	          "\n"
	          "#Voorbeeldstad #wegwerkzaamheden");
	CHECK_INT(p->n_spans, 5);
	CHECK_SPAN(p, 0, SPAN_EMOJI, 92, 112, "vlag_voorbeeldstad");
	CHECK_SPAN(p, 1, SPAN_LINK, 124, 157, "https://www.voorbeeldstad.nl/werkzaamheden/dorpsstraat-riolering-2025");
	CHECK_STR(span_text(p, 1), "voorbeeldstad.nl/werkzaamheden\xE2\x80\xA6");
	CHECK_SPAN(p, 2, SPAN_MENTION, 177, 187, "https://mastodon.example/@j_devries");
	CHECK_STR(span_text(p, 2), "@j_devries");
	CHECK_SPAN(p, 3, SPAN_HASHTAG, 266, 280, "https://social.overheid.example/tags/Voorbeeldstad");
	CHECK_SPAN(p, 4, SPAN_HASHTAG, 281, 298, "https://social.overheid.example/tags/wegwerkzaamheden");
	CHECK_STR(span_text(p, 4), "#wegwerkzaamheden");
}

TEST(fixture_remote_link_not_cut_has_no_ellipsis)
{
	char *html = fixture_content("mastodon-account-statuses.json", 1, true);
	CHECK(html);
	post_t *p = conv(html);
	free(html);
	CHECK_STR(p->text, "Grote brand bij bedrijfspand aan de Industrieweg. Houd ramen en deuren gesloten. "
	                   "Meer informatie: example-crisis.nl/brand-industrieweg");
	CHECK_INT(p->n_spans, 1);
	CHECK_SPAN(p, 0, SPAN_LINK, 98, 134, "https://www.example-crisis.nl/brand-industrieweg");
}

TEST(fixture_empty_reblog_wrapper_content)
{
	char *html = fixture_content("mastodon-account-statuses.json", 1, false);
	CHECK(html);
	post_t *p = conv(html);
	free(html);
	CHECK_STR(p->text, "");
	CHECK_INT(p->n_spans, 0);
}

TEST(fixture_tag_timeline_hashtag_with_target_blank)
{
	char *html = fixture_content("mastodon-tag-timeline.json", 0, false);
	CHECK(html);
	post_t *p = conv(html);
	free(html);
	CHECK_STR(p->text, "Mooie opkomst bij de opening van de nieuwe bibliotheek! #Voorbeeldstad");
	CHECK_INT(p->n_spans, 1);
	CHECK_SPAN(p, 0, SPAN_HASHTAG, 56, 70, "https://mastodon.example/tags/Voorbeeldstad");
}

/* ---- line structure ------------------------------------------------------- */

TEST(paragraphs_get_a_blank_line)
{
	CHECK_STR(conv("<p>een</p><p>twee</p><p>drie</p>")->text, "een\n\ntwee\n\ndrie");
}

TEST(br_is_a_line_break)
{
	CHECK_STR(conv("<p>a<br>b<br />c<BR/>d</p>")->text, "a\nb\nc\nd");
}

TEST(br_runs_keep_at_most_one_blank_line)
{
	CHECK_STR(conv("a<br><br><br><br>b")->text, "a\n\nb");
	CHECK_STR(conv("<p>a<br></p><p>b</p>")->text, "a\n\nb");
}

TEST(stray_end_p_and_end_br)
{
	CHECK_STR(conv("a</p>b</br>c")->text, "a\n\nb\nc");
}

TEST(list_items_get_bullets)
{
	CHECK_STR(conv("<p>Lijst:</p><ul><li>een</li><li>twee</li></ul><p>klaar</p>")->text,
	          "Lijst:\n\n\xE2\x80\xA2 een\n\xE2\x80\xA2 twee\n\nklaar");
}

TEST(nested_and_unclosed_list_items)
{
	CHECK_STR(conv("<ol><li>a<ul><li>a1<li>a2</ul></li><li>b</ol>")->text,
	          "\xE2\x80\xA2 a\n\xE2\x80\xA2 a1\n\xE2\x80\xA2 a2\n\xE2\x80\xA2 b");
}

TEST(block_elements_break_lines)
{
	CHECK_STR(conv("<h1>Kop</h1><div>a</div><div>b</div><blockquote>c</blockquote>d<hr>e")->text,
	          "Kop\n\na\nb\n\nc\n\nd\n\ne");
}

TEST(table_cells_are_separated)
{
	CHECK_STR(conv("<table><tr><td>a</td><td>b</td></tr><tr><th>c</th></tr></table>z")->text,
	          "a b\nc\n\nz");
}

TEST(whitespace_collapses_like_a_browser)
{
	CHECK_STR(conv("<p>  a \n\t b  </p>\n\n<p>\n c </p>")->text, "a b\n\nc");
	CHECK_STR(conv("x <b> y </b> z")->text, "x y z");
	CHECK_STR(conv("line\r\nnext")->text, "line next");
}

TEST(pre_keeps_whitespace)
{
	CHECK_STR(conv("<p>x</p><pre>\na  b\n  c</pre><p>y</p>")->text, "x\n\na  b\n  c\n\ny");
	CHECK_STR(conv("<pre>a\r\nb\rc</pre>")->text, "a\nb\nc");
}

TEST(result_is_trimmed)
{
	CHECK_STR(conv("  <p>  </p> <p> a </p>  <br> \n")->text, "a");
	CHECK_STR(conv("")->text, "");
	CHECK_STR(conv("<p></p><br><br>")->text, "");
}

/* ---- entities ------------------------------------------------------------- */

TEST(named_entities_common)
{
	CHECK_STR(conv("&amp; &lt; &gt; &quot; &apos; &hellip; &mdash; &ndash;")->text,
	          "& < > \" ' \xE2\x80\xA6 \xE2\x80\x94 \xE2\x80\x93");
	CHECK_STR(conv("&lsquo;a&rsquo; &ldquo;b&rdquo; &euro; &copy;")->text,
	          "\xE2\x80\x98" "a" "\xE2\x80\x99 \xE2\x80\x9C" "b" "\xE2\x80\x9D \xE2\x82\xAC \xC2\xA9");
}

TEST(named_entities_accented_latin)
{
	CHECK_STR(conv("&eacute;&Eacute;&euml;&uuml;&ccedil;&ntilde;&oslash;&aring;&szlig;&iuml;")->text,
	          "\xC3\xA9\xC3\x89\xC3\xAB\xC3\xBC\xC3\xA7\xC3\xB1\xC3\xB8\xC3\xA5\xC3\x9F\xC3\xAF");
}

TEST(nbsp_is_kept_not_collapsed)
{
	CHECK_STR(conv("a&nbsp;&nbsp;b")->text, "a\xC2\xA0\xC2\xA0" "b");
}

TEST(numeric_entities_decimal_hex_astral)
{
	CHECK_STR(conv("&#39;&#x27;&#X41;&#65;&#x1F600;&#128512;&#233")->text,
	          "''AA\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xC3\xA9");
}

TEST(invalid_numbers_become_replacement_character)
{
	CHECK_STR(conv("&#0;|&#xD800;|&#x110000;|&#99999999999999999999;|&#1;")->text,
	          "\xEF\xBF\xBD|\xEF\xBF\xBD|\xEF\xBF\xBD|\xEF\xBF\xBD|\xEF\xBF\xBD");
}

TEST(numeric_c1_range_means_windows_1252)
{
	CHECK_STR(conv("&#150;&#128;&#129;")->text, "\xE2\x80\x93\xE2\x82\xAC\xEF\xBF\xBD");
}

TEST(unknown_or_incomplete_references_stay_text)
{
	CHECK_STR(conv("&bogus; & a &#; &#x; &")->text, "&bogus; & a &#; &#x; &");
}

TEST(legacy_entities_without_semicolon)
{
	CHECK_STR(conv("&amp &copy 2024 &ampx &hellip")->text, "& \xC2\xA9 2024 &ampx &hellip");
}

TEST(entities_in_href_are_decoded)
{
	post_t *p = conv("<a href=\"https://x.example/?a=1&amp;b=2&#38;c=3\">x</a>");
	CHECK_SPAN(p, 0, SPAN_LINK, 0, 1, "https://x.example/?a=1&b=2&c=3");
}

/* ---- Mastodon's classes --------------------------------------------------- */

TEST(invisible_dropped_and_ellipsis_added)
{
	post_t *p = conv("<a href=\"https://www.example.org/a/long/path\"><span class=\"invisible\">https://www.</span>"
	                 "<span class=\"ellipsis\">example.org/a/lo</span><span class=\"invisible\">ng/path</span></a>");
	CHECK_STR(p->text, "example.org/a/lo\xE2\x80\xA6");
	CHECK_INT(p->n_spans, 1);
	CHECK_SPAN(p, 0, SPAN_LINK, 0, 19, "https://www.example.org/a/long/path");
}

TEST(invisible_class_among_others)
{
	CHECK_STR(conv("a<span class=\"foo  invisible bar\">hidden<b>x</b></span>b")->text, "ab");
	CHECK_STR(conv("a<span class=\"invisibleish\">shown</span>b")->text, "ashownb");
}

TEST(hashtag_span)
{
	post_t *p = conv("<p>Zie <a href=\"https://h.example/tags/Raad\" class=\"mention hashtag\" rel=\"tag\">#<span>Raad</span></a>.</p>");
	CHECK_STR(p->text, "Zie #Raad.");
	CHECK_INT(p->n_spans, 1);
	CHECK_SPAN(p, 0, SPAN_HASHTAG, 4, 9, "https://h.example/tags/Raad");
}

TEST(hashtag_by_rel_tag)
{
	post_t *p = conv("<a href=\"https://h.example/tag/x\" rel=\"nofollow tag\">#x</a>");
	CHECK_SPAN(p, 0, SPAN_HASHTAG, 0, 2, "https://h.example/tag/x");
}

TEST(mention_by_class)
{
	post_t *p = conv("hoi <a href=\"https://m.example/@bob\" class=\"u-url mention\">@<span>bob</span></a>!");
	CHECK_STR(p->text, "hoi @bob!");
	CHECK_SPAN(p, 0, SPAN_MENTION, 4, 8, "https://m.example/@bob");
}

TEST(mention_inside_h_card)
{
	post_t *p = conv("<span class=\"h-card\" translate=\"no\"><a href=\"https://m.example/@eve\" class=\"u-url\">@eve</a></span> zegt");
	CHECK_STR(p->text, "@eve zegt");
	CHECK_SPAN(p, 0, SPAN_MENTION, 0, 4, "https://m.example/@eve");
}

TEST(plain_link_span)
{
	post_t *p = conv("<p>Lees <a href=\"https://example.org/x\" target=\"_blank\">example.org/x</a> nu</p>");
	CHECK_STR(p->text, "Lees example.org/x nu");
	CHECK_SPAN(p, 0, SPAN_LINK, 5, 18, "https://example.org/x");
}

TEST(link_span_excludes_surrounding_whitespace)
{
	post_t *p = conv("<p>see <a href='https://x.example'> link </a> now</p>");
	CHECK_STR(p->text, "see link now");
	CHECK_SPAN(p, 0, SPAN_LINK, 4, 8, "https://x.example");
}

TEST(non_http_links_get_no_span)
{
	post_t *p = conv("<a href=\"javascript:alert(1)\">x</a> <a href=\"/relative\">y</a> <a>z</a>");
	CHECK_STR(p->text, "x y z");
	CHECK_INT(p->n_spans, 0);
}

TEST(nested_a_closes_the_first)
{
	post_t *p = conv("<a href='https://a.example'>a<a href='https://b.example'>b</a></a>");
	CHECK_STR(p->text, "ab");
	CHECK_INT(p->n_spans, 2);
	CHECK_SPAN(p, 0, SPAN_LINK, 0, 1, "https://a.example");
	CHECK_SPAN(p, 1, SPAN_LINK, 1, 2, "https://b.example");
}

TEST(quote_inline_removed_when_asked)
{
	const char *html = "<p class=\"quote-inline\">RE: <a href=\"https://q.example/s/1\">q.example/s/1</a></p><p>Eens!</p>";
	html_options_t opt = { .drop_quote_inline = true };
	post_t *p = conv_opt(html, &opt);
	CHECK_STR(p->text, "Eens!");
	CHECK_INT(p->n_spans, 0);
	p = conv(html);
	CHECK_STR(p->text, "RE: q.example/s/1\n\nEens!");
	CHECK_SPAN(p, 0, SPAN_LINK, 4, 17, "https://q.example/s/1");
}

/* ---- custom emoji --------------------------------------------------------- */

TEST(custom_emoji_spans)
{
	emoji_t em[2] = { { .shortcode = (char *)"blobcat" }, { .shortcode = (char *)"x_y2" } };
	html_options_t opt = { .emojis = em, .n_emojis = 2 };
	post_t *p = conv_opt("<p>:blobcat: hoi :unknown: :x_y2:</p>", &opt);
	CHECK_STR(p->text, ":blobcat: hoi :unknown: :x_y2:");
	CHECK_INT(p->n_spans, 2);
	CHECK_SPAN(p, 0, SPAN_EMOJI, 0, 9, "blobcat");
	CHECK_SPAN(p, 1, SPAN_EMOJI, 24, 30, "x_y2");
}

TEST(custom_emoji_needs_boundaries)
{
	emoji_t em = { .shortcode = (char *)"blobcat" };
	html_options_t opt = { .emojis = &em, .n_emojis = 1 };
	post_t *p = conv_opt("a:blobcat: :blobcat:b ::blobcat: (:blobcat:)", &opt);
	CHECK_INT(p->n_spans, 1);
	CHECK_SPAN(p, 0, SPAN_EMOJI, 34, 43, "blobcat");
}

TEST(custom_emoji_without_list_is_text)
{
	CHECK_INT(conv(":blobcat:")->n_spans, 0);
}

TEST(custom_emoji_inside_link_nests)
{
	emoji_t em = { .shortcode = (char *)"ok" };
	html_options_t opt = { .emojis = &em, .n_emojis = 1 };
	post_t *p = conv_opt("<a href=\"https://l.example\">go :ok: now</a>", &opt);
	CHECK_INT(p->n_spans, 2);
	CHECK_SPAN(p, 0, SPAN_LINK, 0, 11, "https://l.example");
	CHECK_SPAN(p, 1, SPAN_EMOJI, 3, 7, "ok");
}

/* ---- robustness ----------------------------------------------------------- */

TEST(unknown_tags_stripped)
{
	CHECK_STR(conv("<p>a <b>vet</b> <em>x</em> <custom-tag foo=bar>y</custom-tag> <ruby>z<rt>w</rt></ruby></p>")->text,
	          "a vet x y zw");
}

TEST(script_and_style_contents_dropped)
{
	CHECK_STR(conv("<p>a<script>if (a < b) { x = '</p>'; }</script>b<style>p { color: red }</style>c</p>")->text, "abc");
	CHECK_STR(conv("a<SCRIPT type=x>never</ScRiPt >b<script>unterminated")->text, "ab");
	CHECK_STR(conv("a<script/>b<title>t</title><template><p>t</p></template>c")->text, "abc");
}

TEST(comments_and_doctype_dropped)
{
	CHECK_STR(conv("<!DOCTYPE html>a<!-- <p>hidden</p> -->b<!---->c<!-->d<?xml x?>e")->text, "abcde");
	CHECK_STR(conv("a<!-- runs to the end")->text, "a");
}

TEST(lone_less_than_is_text)
{
	CHECK_STR(conv("<p>a < b</p>")->text, "a < b");
	CHECK_STR(conv("<p>a <3 b</p>")->text, "a <3 b");
	CHECK_STR(conv("<")->text, "<");
	CHECK_STR(conv("a<")->text, "a<");
	CHECK_STR(conv("a</")->text, "a</");
	CHECK_STR(conv("x </ y> z")->text, "x z");
}

TEST(unterminated_tags_are_text)
{
	CHECK_STR(conv("hello <a href=\"x")->text, "hello <a href=\"x");
	CHECK_STR(conv("a <b c")->text, "a <b c");
	CHECK_STR(conv("<p>x</p")->text, "x</p");
	CHECK_STR(conv("<a href=\"x> <b>vet</b>")->text, "<a href=\"x> vet");
}

TEST(unquoted_and_single_quoted_attributes)
{
	post_t *p = conv("<a href=https://e.example/?a=1&amp;b=2 class=mention>@x</a> <a class='mention hashtag' href='https://e.example/tags/t'>#t</a>");
	CHECK_STR(p->text, "@x #t");
	CHECK_INT(p->n_spans, 2);
	CHECK_SPAN(p, 0, SPAN_MENTION, 0, 2, "https://e.example/?a=1&b=2");
	CHECK_SPAN(p, 1, SPAN_HASHTAG, 3, 5, "https://e.example/tags/t");
}

TEST(self_closing_and_attribute_oddities)
{
	CHECK_STR(conv("<p/>a<br/>b<span class=x/>c<div =odd a=b =>d")->text, "a\nbc\nd");
}

TEST(invalid_utf8_replaced)
{
	/* maximal subparts: one U+FFFD for "\xE2\x82", three for "\xED\xA0\x80" (a surrogate) */
	CHECK_STR(conv("a\xFF b\xC3 c\xE2\x82 d\xED\xA0\x80 e\xC0\xAF f\xF4\x90\x80\x80")->text,
	          "a\xEF\xBF\xBD b\xEF\xBF\xBD c\xEF\xBF\xBD d\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD "
	          "e\xEF\xBF\xBD\xEF\xBF\xBD f\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	CHECK_STR(conv("ok \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80")->text, "ok \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
}

TEST(nul_and_control_characters_replaced)
{
	post_free(cur);
	cur = post_new();
	html_to_post_text("a\0b\x01" "c\x7F", 6, NULL, cur);
	CHECK_STR(cur->text, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD");
}

TEST(byte_order_mark_dropped)
{
	CHECK_STR(conv("\xEF\xBB\xBFhallo")->text, "hallo");
}

TEST(never_reads_past_len)
{
	/* heap copies without a terminating NUL: ASan reports any read past len */
	static const char *const cuts[] = { "a &amp; b", "<a href=\"https://x.example\">x</a>", "&#x1F600;",
	                                    "<!-- c -->", "<script>x</script>", "\xF0\x9F\x98\x80", "<p class=" };
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		size_t n = strlen(cuts[i]);
		for (size_t len = 0; len <= n; len++) {
			char *buf = xmalloc(len ? len : 1);
			memcpy(buf, cuts[i], len);
			post_t *p = post_new();
			html_to_post_text(buf, len, NULL, p);
			EXPECT(p->text != NULL);
			for (size_t k = 0; k < p->n_spans; k++)
				EXPECT(p->spans[k].end <= strlen(p->text));
			post_free(p);
			free(buf);
		}
	}
	CHECK_STR(conv("a &amp; b")->text, "a & b");
	post_free(cur);
	cur = post_new();
	html_to_post_text("a &amp; b", 4, NULL, cur);
	CHECK_STR(cur->text, "a &a");
}

TEST(deep_nesting_is_bounded)
{
	size_t depth = 5000;
	char *html = xmalloc(depth * 13 + 16);
	char *w = html;
	for (size_t i = 0; i < depth; i++)
		w += sprintf(w, "<span>");
	w += sprintf(w, "x");
	for (size_t i = 0; i < depth; i++)
		w += sprintf(w, "</span>");
	post_t *p = conv(html);
	free(html);
	CHECK_STR(p->text, "x");
}

TEST(replaces_previous_text)
{
	post_free(cur);
	cur = post_new();
	html_to_post_text("<p>een</p>", 10, NULL, cur);
	html_to_post_text("<p>twee</p>", 11, NULL, cur);
	CHECK_STR(cur->text, "twee");
}

TEST(plain_text_only)
{
	char *s = html_to_plain("Caf&eacute; <b>x</b><br>  y", 27);
	CHECK_STR(s, "Caf\xC3\xA9 x\ny");
	free(s);
	s = html_to_plain(NULL, 0);
	CHECK_STR(s, "");
	free(s);
	s = html_to_plain("<a href=\"https://x.example\">link</a>", 36);
	CHECK_STR(s, "link");
	free(s);
}

int main(void)
{
	RUN(fixture_local_status_text_and_spans);
	RUN(fixture_remote_link_not_cut_has_no_ellipsis);
	RUN(fixture_empty_reblog_wrapper_content);
	RUN(fixture_tag_timeline_hashtag_with_target_blank);
	RUN(paragraphs_get_a_blank_line);
	RUN(br_is_a_line_break);
	RUN(br_runs_keep_at_most_one_blank_line);
	RUN(stray_end_p_and_end_br);
	RUN(list_items_get_bullets);
	RUN(nested_and_unclosed_list_items);
	RUN(block_elements_break_lines);
	RUN(table_cells_are_separated);
	RUN(whitespace_collapses_like_a_browser);
	RUN(pre_keeps_whitespace);
	RUN(result_is_trimmed);
	RUN(named_entities_common);
	RUN(named_entities_accented_latin);
	RUN(nbsp_is_kept_not_collapsed);
	RUN(numeric_entities_decimal_hex_astral);
	RUN(invalid_numbers_become_replacement_character);
	RUN(numeric_c1_range_means_windows_1252);
	RUN(unknown_or_incomplete_references_stay_text);
	RUN(legacy_entities_without_semicolon);
	RUN(entities_in_href_are_decoded);
	RUN(invisible_dropped_and_ellipsis_added);
	RUN(invisible_class_among_others);
	RUN(hashtag_span);
	RUN(hashtag_by_rel_tag);
	RUN(mention_by_class);
	RUN(mention_inside_h_card);
	RUN(plain_link_span);
	RUN(link_span_excludes_surrounding_whitespace);
	RUN(non_http_links_get_no_span);
	RUN(nested_a_closes_the_first);
	RUN(quote_inline_removed_when_asked);
	RUN(custom_emoji_spans);
	RUN(custom_emoji_needs_boundaries);
	RUN(custom_emoji_without_list_is_text);
	RUN(custom_emoji_inside_link_nests);
	RUN(unknown_tags_stripped);
	RUN(script_and_style_contents_dropped);
	RUN(comments_and_doctype_dropped);
	RUN(lone_less_than_is_text);
	RUN(unterminated_tags_are_text);
	RUN(unquoted_and_single_quoted_attributes);
	RUN(self_closing_and_attribute_oddities);
	RUN(invalid_utf8_replaced);
	RUN(nul_and_control_characters_replaced);
	RUN(byte_order_mark_dropped);
	RUN(never_reads_past_len);
	RUN(deep_nesting_is_bounded);
	RUN(replaces_previous_text);
	RUN(plain_text_only);
	post_free(cur);
	return test_summary();
}
