/*
 * srctest: what the adapter tests need to play the poller without a server.
 *
 * An adapter (src/sources/) only builds requests and reads responses, so its
 * tests hand it recorded bodies from tests/fixtures/ wrapped in responses
 * made here, drive its cycle the way net/poller.c does, and look at the
 * requests it builds and the posts it makes.  Every unit and render test is
 * linked with this file (TEST_SUPPORT in the Makefile); it does not depend
 * on tests/test.h, so a test includes both.
 */
#ifndef BALIE_SRCTEST_H
#define BALIE_SRCTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "../../src/feed/model.h"
#include "../../src/net/net.h"
#include "../../src/sources/source.h"

/* ---- fixtures and fake responses ----------------------------------------- */

/* Contents of the fixture file name (in $BALIE_FIXTURES, default
 * tests/fixtures), NUL-terminated, at most 4 MiB; its size in *len unless
 * len is NULL.  Exits the test program (status 2) when it cannot be read.
 * Caller frees. */
char *srctest_fixture(const char *name, size_t *len);

/* A response to url as the network worker hands it over: status and a copy
 * of body (NULL: empty), no headers.  Caller frees (net_response_free). */
net_response_t *srctest_resp(const char *url, int status, const char *body);

/* Like srctest_resp() with len bytes of body, which may hold NUL bytes. */
net_response_t *srctest_resp_len(const char *url, int status, const char *body, size_t len);

/* Like srctest_resp() with the fixture file name as body. */
net_response_t *srctest_resp_fixture(const char *url, int status, const char *name);

/* Add the response header "name: value" to r (copies both). */
void srctest_resp_header(net_response_t *r, const char *name, const char *value);

/* Add the headers of a recorded response in the fixture file name to r: an
 * optional status line ("HTTP/2 429"), then "name: value" lines up to the
 * first blank line, '#' line or line without a colon.  The status in the
 * status line, or 0 when there is none (r->status is left alone). */
int srctest_resp_headers_fixture(net_response_t *r, const char *name);

/* The value of header name (any case) in a request an adapter built, or
 * NULL.  Borrowed from r. */
const char *srctest_req_header(const net_request_t *r, const char *name);

/* ---- driving an adapter -------------------------------------------------- */

/* A source of the adapter ops for spec (taken over), with a copy of token
 * (may be NULL), wall-clock time now, initialised from state (may be NULL;
 * not kept).  Free with srctest_source_free(). */
source_t *srctest_source_new(const source_ops_t *ops, source_spec_t *spec, const char *token,
                             const cJSON *state, int64_t now);

/* Destroy s, its spec and its token. */
void srctest_source_free(source_t *s);

/* Hand s the response r (freed here) as the poller would; its answer. */
source_status_t srctest_answer(source_t *s, net_response_t *r, source_batch_t *b);

/* One step of a cycle: ask s for its next request and answer it with r
 * (freed here either way).  The status, or -1 when s asked for nothing.  The
 * request goes to *req_out (caller frees) when req_out is not NULL, else it
 * is freed. */
int srctest_step(source_t *s, net_response_t *r, source_batch_t *b, net_request_t **req_out);

/* ---- looking at posts ---------------------------------------------------- */

/* The post with key in l, or NULL.  Borrowed from l. */
const post_t *srctest_find(const post_list_t *l, const char *key);

/* The text under span i of p.  Caller frees. */
char *srctest_span_text(const post_t *p, size_t i);

/* True when s (may be NULL) starts with prefix. */
bool srctest_starts_with(const char *s, const char *prefix);

#endif
