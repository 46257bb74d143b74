/*
 * html: the HTML that social networks and feeds send, turned into plain
 * text plus spans (links, mentions, hashtags, custom emoji).
 *
 * Follows Mastodon's own PlainTextFormatter and adds what a display needs:
 * <p> and <br> become line breaks (a blank line between paragraphs), entities
 * (named and numeric) are decoded, span.invisible is dropped and span.ellipsis
 * gets "…", .quote-inline is removed when the post carries a quote, <li>
 * becomes "• ", unknown tags are stripped, <script>/<style> contents are
 * dropped, and broken markup degrades to text.  Never reads past len.
 */
#ifndef BALIE_HTML_H
#define BALIE_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "../feed/model.h"

typedef struct {
	bool drop_quote_inline;   /* the post has a quote: remove .quote-inline elements */
	const emoji_t *emojis;    /* custom emoji: ":code:" in the text becomes a SPAN_EMOJI */
	size_t n_emojis;
} html_options_t;

/* Replace p->text and append to p->spans from html[0..len).  opt may be NULL.
 * Links get SPAN_LINK (target = href), a.mention.hashtag gets SPAN_HASHTAG,
 * a.mention (or inside .h-card) gets SPAN_MENTION. */
void html_to_post_text(const char *html, size_t len, const html_options_t *opt, post_t *p);

/* Plain text only (names, summaries, alt text that may hold entities).
 * Caller frees. */
char *html_to_plain(const char *html, size_t len);

#endif
