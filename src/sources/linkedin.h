/*
 * linkedin: the municipality's LinkedIn organisation page as a source
 * (LinkedIn REST API, Community Management product).
 *
 * A cycle: the organisation's name and logo (GET /rest/organizations/ID,
 * once, then daily; kept in the state), the newest posts (GET /rest/posts?
 * author=urn:li:organization:ID&q=author&count=20&sortBy=LAST_MODIFIED),
 * then one batch GET /rest/images?ids=List(...) for the image URNs whose
 * download URLs are not known yet or have expired.  Every request carries
 * Authorization: Bearer, LinkedIn-Version: YYYYMM and
 * X-Restli-Protocol-Version: 2.0.0.  Only PUBLISHED + PUBLIC posts are kept;
 * posts that turned into something else are reported deleted.
 *
 * The token file holds the token on its first line and may say when it
 * expires on a second line "expires=YYYY-MM-DD" (LinkedIn tokens live 60
 * days); the poller hands the whole file in s->token.  401 stops the source
 * with "sign in again"; 426 (a retired LinkedIn-Version) names the version
 * and the setting to change; 429 waits for LinkedIn's daily reset.
 *
 * commentary is LinkedIn's "little" text: backslash escapes, mentions
 * @[Name](urn:li:organization:N) and hashtags {hashtag|#|tag}; they become
 * plain text with SPAN_MENTION and SPAN_HASHTAG.
 */
#ifndef BALIE_LINKEDIN_H
#define BALIE_LINKEDIN_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "source.h"

/* LinkedIn-Version sent when none is configured. */
#define LINKEDIN_VERSION_DEFAULT "202609"
/* Base URL used when the spec has no server ([network] linkedin_api). */
#define LINKEDIN_API_DEFAULT "https://api.linkedin.com"
/* linkedin_token_days_left(): the file names no (valid) expiry date. */
#define LINKEDIN_DAYS_UNKNOWN INT_MAX
/* Warn this many days (or fewer) before the token expires. */
#define LINKEDIN_WARN_DAYS 7

extern const source_ops_t linkedin_source_ops;

/* Use LinkedIn-Version v ("202609" or "202609.01") from now on for every
 * LinkedIn source; NULL restores the default.  Returns false (and changes
 * nothing) when v is not YYYYMM[.RR].  Thread-safe; call it after loading the
 * config ([network] linkedin_version). */
bool linkedin_set_version(const char *v);

/* Whole days from now (UTC calendar days) until the date on the token file's
 * "expires=YYYY-MM-DD" line: 7 a week ahead, 0 on the day itself, negative
 * once past.  LINKEDIN_DAYS_UNKNOWN when the text has no such line or the
 * date is malformed.  token_file_contents may be NULL. */
int linkedin_token_days_left(const char *token_file_contents, int64_t now);

/* The warning line the poller logs (once a day) for a LinkedIn token file:
 * its expiry is LINKEDIN_WARN_DAYS days or fewer away or past, or its second
 * line is not a valid "expires=YYYY-MM-DD".  NULL when there is nothing to
 * say.  token_file names the file in the text (may be NULL).  Caller frees. */
char *linkedin_token_warning(const char *token_file_contents, const char *token_file, int64_t now);

/* Replace p->text with the plain text of little-format text s and append a
 * SPAN_MENTION (target: the organisation page URL, or the URN) per mention
 * and a SPAN_HASHTAG (target: the LinkedIn hashtag URL) per hashtag.
 * Malformed templates stay as literal text; never reads past the NUL. */
void linkedin_little_to_post(const char *s, post_t *p);

#endif
