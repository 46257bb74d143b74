/*
 * json: typed cJSON getters for the adapters.  See json.h.
 *
 * One copy of what each adapter used to write for itself: look a member up
 * only in an object, check its type, bound it, and hand back NULL or a
 * default otherwise, so that a wrong type drops a field and never a page.
 */
#include "json.h"

#include <ctype.h>
#include <string.h>

#include "../base/xmalloc.h"

const cJSON *json_get(const cJSON *o, const char *name)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, name) : NULL;
}

const cJSON *json_object(const cJSON *o, const char *name)
{
	const cJSON *v = json_get(o, name);
	return cJSON_IsObject(v) ? v : NULL;
}

const char *json_str(const cJSON *o, const char *name)
{
	const cJSON *v = json_get(o, name);
	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

const char *json_nstr(const cJSON *o, const char *name)
{
	const char *s = json_str(o, name);
	return s && *s ? s : NULL;
}

const char *json_text(const cJSON *o, const char *name, size_t max)
{
	const char *s = json_nstr(o, name);
	return s && strlen(s) <= max ? s : NULL;
}

long long json_int(const cJSON *o, const char *name, long long lo, long long hi, long long dflt)
{
	const cJSON *v = json_get(o, name);
	if (!cJSON_IsNumber(v))
		return dflt;
	double d = v->valuedouble;
	if (!(d >= (double)lo && d <= (double)hi) || d != (double)(long long)d)
		return dflt;
	return (long long)d;
}

double json_num(const cJSON *o, const char *name, double lo, double hi, double dflt)
{
	const cJSON *v = json_get(o, name);
	if (!cJSON_IsNumber(v))
		return dflt;
	double d = v->valuedouble;
	return d >= lo && d <= hi ? d : dflt;
}

bool json_true(const cJSON *o, const char *name)
{
	return cJSON_IsTrue(json_get(o, name));
}

bool json_looks_like(const char *text)
{
	const char *p = text;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return *p == '{' || *p == '[';
}

cJSON *json_parse_body(const char *body, size_t len, bool object_only, char **err)
{
	size_t i = 0;
	while (i < len && isspace((unsigned char)body[i]))
		i++;
	if (i == len || (body[i] != '{' && (object_only || body[i] != '['))) {
		*err = xstrdup(i < len && body[i] == '<' ? "expected JSON, got an HTML page"
		               : object_only               ? "expected a JSON object"
		                                           : "expected JSON, got something else");
		return NULL;
	}
	/* the first byte decides the type: a tree that parses is an object or an array as asked */
	cJSON *root = cJSON_ParseWithLength(body, len);
	if (!root)
		*err = xstrdup("the response is not valid JSON");
	return root;
}
