/* source: shared helpers for source specs and batches, and the adapter table.  See source.h. */
#include "source.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "../base/xmalloc.h"

void source_spec_free(source_spec_t *s)
{
	if (!s)
		return;
	free(s->key);
	free(s->person);
	free(s->handle);
	free(s->server);
	free(s->token_file);
	free(s);
}

source_spec_t *source_spec_clone(const source_spec_t *s)
{
	source_spec_t *d = xcalloc(1, sizeof *d);
	*d = *s;
	d->key = xstrdup(s->key);
	d->person = xstrdup(s->person);
	d->handle = xstrdup(s->handle);
	d->server = xstrdup(s->server);
	d->token_file = xstrdup(s->token_file);
	return d;
}

const char *source_status_name(source_status_t s)
{
	switch (s) {
	case SRC_CONTINUE: return "in progress";
	case SRC_DONE: return "ok";
	case SRC_NOT_MODIFIED: return "ok (not modified)";
	case SRC_ERR_NETWORK: return "network error";
	case SRC_ERR_RATE: return "rate limited";
	case SRC_ERR_AUTH: return "not authorised";
	case SRC_ERR_NOT_FOUND: return "not found";
	case SRC_ERR_DATA: return "bad response";
	case SRC_ERR_CONFIG: return "configuration error";
	}
	return "?";
}

void source_batch_init(source_batch_t *b)
{
	*b = (source_batch_t){ 0 };
	post_list_init(&b->posts);
}

void source_batch_clear(source_batch_t *b)
{
	post_list_clear(&b->posts);
	for (size_t i = 0; i < b->n_deleted; i++)
		free(b->deleted[i]);
	free(b->deleted);
	free(b->message);
	source_batch_init(b);
}

void source_batch_message(source_batch_t *b, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	/* Messages quote servers' error texts: one line, no control characters,
	 * whatever a server sends (they end up in logs and status lines). */
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	free(b->message);
	b->message = xstrdup(buf);
}

void source_batch_add_deleted(source_batch_t *b, const char *key)
{
	b->deleted = xrealloc(b->deleted, (b->n_deleted + 1) * sizeof *b->deleted);
	b->deleted[b->n_deleted++] = xstrdup(key);
}

const source_ops_t *source_ops_for(network_t n, source_kind_t kind)
{
	(void)kind;
	const source_ops_t *ops = NULL;
	switch (n) {
	case NET_MASTODON: ops = &mastodon_source_ops; break;
	case NET_BLUESKY: ops = &bluesky_source_ops; break;
	case NET_RSS: ops = &rss_source_ops; break;
	case NET_X: ops = &x_source_ops; break;
	case NET_NOTICE: ops = &notices_source_ops; break;
	case NET_FACEBOOK: ops = &facebook_source_ops; break;
	case NET_LINKEDIN: ops = &linkedin_source_ops; break;
	default: break;
	}
	return ops; /* NULL: no adapter for this network (NET_SAMPLE) */
}
