/*
 * srctest: fixtures, fake responses and a hand-driven poller for the
 * adapter tests.  See srctest.h.
 *
 * Written once here instead of in every test_<network>.c.  It uses only
 * the core library, so it links into every test program, and it does not
 * include tests/test.h (whose static state belongs to each test).
 */
#include "srctest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../src/base/fsio.h"
#include "../../src/base/xmalloc.h"

char *srctest_fixture(const char *name, size_t *len)
{
	const char *dir = getenv("BALIE_FIXTURES"); /* as test_fixture_dir() in test.h */
	char *path = xasprintf("%s/%s", dir ? dir : "tests/fixtures", name);
	size_t n;
	char *text = fsio_read_file(path, 1 << 22, &n);
	if (!text) {
		fprintf(stderr, "cannot read fixture %s\n", path);
		exit(2);
	}
	free(path);
	if (len)
		*len = n;
	return text;
}

net_response_t *srctest_resp_len(const char *url, int status, const char *body, size_t len)
{
	net_response_t *r = xcalloc(1, sizeof *r);
	r->url = xstrdup(url);
	r->status = status;
	r->body = xmalloc(len + 1);
	memcpy(r->body, body, len);
	r->body[len] = '\0';
	r->body_len = len;
	return r;
}

net_response_t *srctest_resp(const char *url, int status, const char *body)
{
	const char *b = body ? body : "";
	return srctest_resp_len(url, status, b, strlen(b));
}

net_response_t *srctest_resp_fixture(const char *url, int status, const char *name)
{
	char *body = srctest_fixture(name, NULL);
	net_response_t *r = srctest_resp(url, status, body);
	free(body);
	return r;
}

void srctest_resp_header(net_response_t *r, const char *name, const char *value)
{
	r->headers = xrealloc(r->headers, (r->n_headers + 1) * sizeof *r->headers);
	r->headers[r->n_headers].name = xstrdup(name);
	r->headers[r->n_headers].value = xstrdup(value);
	r->n_headers++;
}

int srctest_resp_headers_fixture(net_response_t *r, const char *name)
{
	char *text = srctest_fixture(name, NULL);
	int status = 0;
	char *line = text;
	while (*line) {
		size_t n = strcspn(line, "\n");
		char *next = line[n] ? line + n + 1 : line + n;
		line[n] = '\0';
		char *colon = strchr(line, ':');
		if (line == text && strncmp(line, "HTTP/", 5) == 0) {
			sscanf(line, "HTTP/%*s %d", &status);
		} else {
			if (!*line || *line == '#' || !colon)
				break;
			*colon = '\0';
			const char *v = colon + 1;
			while (*v == ' ')
				v++;
			srctest_resp_header(r, line, v);
		}
		line = next;
	}
	free(text);
	return status;
}

const char *srctest_req_header(const net_request_t *r, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < r->n_headers; i++)
		if (strncasecmp(r->headers[i], name, n) == 0 && r->headers[i][n] == ':')
			return r->headers[i] + n + 2;
	return NULL;
}

source_t *srctest_source_new(const source_ops_t *ops, source_spec_t *spec, const char *token,
                             const cJSON *state, int64_t now)
{
	source_t *s = xcalloc(1, sizeof *s);
	s->spec = spec;
	s->ops = ops;
	s->now = now;
	s->token = xstrdup(token);
	s->ops->init(s, state);
	return s;
}

void srctest_source_free(source_t *s)
{
	s->ops->destroy(s);
	source_spec_free(s->spec);
	free(s->token);
	free(s);
}

source_status_t srctest_answer(source_t *s, net_response_t *r, source_batch_t *b)
{
	source_status_t st = s->ops->handle(s, r, b);
	net_response_free(r);
	return st;
}

int srctest_step(source_t *s, net_response_t *r, source_batch_t *b, net_request_t **req_out)
{
	net_request_t *req = s->ops->next_request(s);
	if (!req) {
		net_response_free(r);
		return -1;
	}
	source_status_t st = s->ops->handle(s, r, b);
	if (req_out)
		*req_out = req;
	else
		net_request_free(req);
	net_response_free(r);
	return st;
}

const post_t *srctest_find(const post_list_t *l, const char *key)
{
	long i = post_list_find(l, key);
	return i >= 0 ? l->items[i] : NULL;
}

char *srctest_span_text(const post_t *p, size_t i)
{
	return xstrndup(p->text + p->spans[i].start, p->spans[i].end - p->spans[i].start);
}

bool srctest_starts_with(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}
