/*
 * feed: from every cached post to the list the screen shows.
 *
 * The cache keeps what the sources brought (per source, unfiltered apart from
 * visibility); the feed applies the public-screen filters of the
 * configuration (sensitive, bots, replies, boosts, blocked words, languages,
 * maximum age, hashtag posts limited to configured people; [filter] with the
 * settings of each post's source section over it), hides posts hidden by an
 * administrator (--hide), shows one person's accounts on several networks as
 * that person with one name and one face, collapses a post cross-posted to
 * two networks into one, and orders the result newest first.  Pure: no I/O,
 * no clock.
 */
#ifndef BALIE_FEED_H
#define BALIE_FEED_H

#include <stdbool.h>
#include <stdint.h>

#include "../config/config.h"
#include "model.h"

/* Fill out (appended; clones, caller owns) with the posts to show, newest
 * first, each configured person's posts with that person's one name and
 * avatar.  hidden: keys or URLs hidden for good; may be NULL.  now: wall
 * clock. */
void feed_build(const config_t *cfg, const post_list_t *cached,
                const char *const *hidden, size_t n_hidden, int64_t now, post_list_t *out);

/* Whether one post passes the filters that hold for its source ([filter],
 * overridden by the settings of the source's section).  Exposed for tests. */
bool feed_keep(const config_t *cfg, const post_t *p, int64_t now);

/* The words of p's text as cross-post detection compares them: folded to
 * lower case, links, mentions, '#' and punctuation left out, single spaces.
 * Caller frees.  (Exposed for tests.) */
char *feed_normalise_text(const post_t *p);

#endif
