/*
 * feed: see feed.h.  First version: visibility, replies, boosts and the
 * hidden list; the other filters and cross-post merging build on feed_keep().
 */
#include "feed.h"

#include <string.h>

static bool is_hidden(const post_t *p, const char *const *hidden, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p->key && strcmp(p->key, hidden[i]) == 0)
			return true;
		if (p->url && strcmp(p->url, hidden[i]) == 0)
			return true;
	}
	return false;
}

bool feed_keep(const config_t *cfg, const post_t *p, int64_t now)
{
	(void)now;
	if (p->reply && !cfg->filter.replies)
		return false;
	if (p->booster && !cfg->filter.boosts)
		return false;
	if (p->visibility != VIS_PUBLIC)
		return false;
	return true;
}

void feed_build(const config_t *cfg, const post_list_t *cached,
                const char *const *hidden, size_t n_hidden, int64_t now, post_list_t *out)
{
	for (size_t i = 0; i < cached->len; i++) {
		const post_t *p = cached->items[i];
		if (is_hidden(p, hidden, n_hidden) || !feed_keep(cfg, p, now))
			continue;
		post_list_push(out, post_clone(p));
	}
	post_list_sort(out);
}
