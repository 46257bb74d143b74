/*
 * rss: RSS 2.0, RSS 1.0 (RDF) and Atom feeds, parsed with expat.
 *
 * Every item becomes a post (network NET_RSS): its title and a summary as
 * plain text (the HTML of description / summary / content:encoded through
 * html_to_post_text), its link, its date (RFC 822 or RFC 3339, any zone), an
 * image from media:content, enclosure, media:thumbnail, an Atom enclosure
 * link or the first <img> of its HTML, and a key "rss:" + guid / id / link.
 * The feed's own title, link and image (channel image, Atom logo or icon,
 * webfeeds:icon) are the author of every item.
 *
 * The XML is untrusted: no external entity or DTD is ever loaded, a document
 * that declares entities is refused (no billion laughs), expat's
 * amplification limit is set as well, the element depth, the text kept per
 * element and the number of items are bounded.
 */
#ifndef BALIE_RSS_H
#define BALIE_RSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../feed/model.h"
#include "source.h"

#define RSS_MAX_ITEMS 100
#define RSS_MAX_SUMMARY 600   /* bytes of summary text kept per item (cut at a word, "…") */

typedef struct {
	author_t author;      /* name = feed title (never NULL), url = site, avatar_url = image */
	char *lang;           /* ISO 639-1 of the feed, or NULL */
	int ttl_min;          /* RSS <ttl>, 0 when absent */
	bool atom;            /* an Atom feed (else RSS) */
	post_list_t posts;    /* in document order; created = 0 for items without a valid date */
	size_t undated;       /* items without a readable date */
	size_t skipped;       /* items without any content, or beyond RSS_MAX_ITEMS */
} rss_feed_t;

/* An empty feed.  rss_feed_clear() frees everything f owns (author, lang,
 * posts) and leaves it empty. */
void rss_feed_init(rss_feed_t *f);
void rss_feed_clear(rss_feed_t *f);

/* Parse xml[0..len) fetched from feed_url (for relative links; may be NULL).
 * Posts get source and person from spec (may be NULL), the feed as author, and
 * created clamped to now (a date in the future is shown as now).  false with
 * *err set (caller frees), e.g. "not an RSS or Atom feed (the document is
 * <html>)" or "XML error at line 3: mismatched tag". */
bool rss_parse(const char *xml, size_t len, const char *feed_url, const source_spec_t *spec,
               int64_t now, rss_feed_t *out, char **err);

/* An absolute http(s) URL for ref relative to base, or NULL when there is
 * none (other schemes, empty).  Caller frees. */
char *rss_resolve_url(const char *base, const char *ref);

#endif
