/*
 * json: the typed, NULL-propagating cJSON getters every adapter reads
 * network answers and saved state with.
 *
 * Everything a server sends is untrusted, so a getter never assumes a type:
 * it returns the member only when it has the type asked for (and, for
 * numbers, lies in the range asked for), else NULL or the caller's default.
 * Any argument may be NULL or of the wrong type, so calls chain without
 * checks in between: json_str(json_object(root, "card"), "url").  Strings
 * returned are borrowed from the tree and live as long as it does.
 */
#ifndef BALIE_SOURCES_JSON_H
#define BALIE_SOURCES_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* Member name of object o, or NULL (o NULL or not an object).  Borrowed from o. */
const cJSON *json_get(const cJSON *o, const char *name);

/* Member name when it is an object, else NULL.  Borrowed from o. */
const cJSON *json_object(const cJSON *o, const char *name);

/* Member name when it is a string (maybe empty), else NULL.  Borrowed from o. */
const char *json_str(const cJSON *o, const char *name);

/* Member name when it is a non-empty string, else NULL.  Borrowed from o. */
const char *json_nstr(const cJSON *o, const char *name);

/* Member name when it is a non-empty string of at most max bytes, else NULL.  Borrowed from o. */
const char *json_text(const cJSON *o, const char *name, size_t max);

/* Member name when it is a whole number within [lo, hi], else dflt. */
long long json_int(const cJSON *o, const char *name, long long lo, long long hi, long long dflt);

/* Member name when it is a number within [lo, hi] (fraction kept), else dflt (also for NaN). */
double json_num(const cJSON *o, const char *name, double lo, double hi, double dflt);

/* True only when member name is the JSON literal true. */
bool json_true(const cJSON *o, const char *name);

/* True when text, after leading white space, starts an object or an array:
 * worth handing to the parser.  text is NUL-terminated. */
bool json_looks_like(const char *text);

/* Parse an answer body of len bytes that must be JSON (an object when
 * object_only, else an object or an array).  NULL with *err set to a short
 * message ("expected JSON, got an HTML page", ...) when it is not.  Caller
 * frees the tree (cJSON_Delete) and *err. */
cJSON *json_parse_body(const char *body, size_t len, bool object_only, char **err);

#endif
