/* keylist: see keylist.h. */
#include "keylist.h"

#include <stdlib.h>
#include <string.h>

#include "../base/xmalloc.h"

void keylist_clear(keylist_t *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].key);
	free(l->items);
	*l = (keylist_t)KEYLIST_INIT;
}

long keylist_find(const keylist_t *l, const char *key)
{
	if (!key)
		return -1;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].key, key) == 0)
			return (long)i;
	return -1;
}

static void remove_at(keylist_t *l, size_t i)
{
	free(l->items[i].key);
	memmove(l->items + i, l->items + i + 1, (l->n - i - 1) * sizeof *l->items);
	l->n--;
}

void keylist_put(keylist_t *l, const char *key, int64_t t, size_t max)
{
	long at = keylist_find(l, key);
	if (at >= 0) {
		l->items[at].t = t;
		return;
	}
	XGROW(l->items, l->cap, l->n + 1);
	l->items[l->n++] = (keylist_item_t){ xstrdup(key), t };
	while (l->n > max) {
		size_t oldest = 0;
		for (size_t i = 1; i < l->n; i++)
			if (l->items[i].t < l->items[oldest].t)
				oldest = i;
		remove_at(l, oldest);
	}
}

void keylist_remove(keylist_t *l, const char *key)
{
	long at = keylist_find(l, key);
	if (at >= 0)
		remove_at(l, (size_t)at);
}

void keylist_drop_before(keylist_t *l, int64_t t)
{
	for (size_t i = l->n; i-- > 0;)
		if (l->items[i].t < t)
			remove_at(l, i);
}

void keylist_load(keylist_t *l, const cJSON *arr, size_t max, size_t max_key)
{
	keylist_clear(l);
	if (!cJSON_IsArray(arr))
		return;
	const cJSON *pair;
	cJSON_ArrayForEach(pair, arr) {
		if (l->n >= max)
			break;
		const cJSON *k = cJSON_GetArrayItem(pair, 0), *t = cJSON_GetArrayItem(pair, 1);
		if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2 || !cJSON_IsString(k) || !k->valuestring ||
		    !*k->valuestring || strlen(k->valuestring) > max_key || !cJSON_IsNumber(t))
			continue;
		double v = t->valuedouble;
		/* whole seconds within +-2^50: anything else is not a time balie wrote */
		if (!(v >= -1125899906842624.0 && v <= 1125899906842624.0) || v != (double)(int64_t)v)
			continue;
		if (keylist_find(l, k->valuestring) >= 0)
			continue;
		XGROW(l->items, l->cap, l->n + 1);
		l->items[l->n++] = (keylist_item_t){ xstrdup(k->valuestring), (int64_t)v };
	}
}

cJSON *keylist_save(const keylist_t *l)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < l->n; i++) {
		cJSON *pair = cJSON_CreateArray();
		cJSON_AddItemToArray(pair, cJSON_CreateString(l->items[i].key));
		cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)l->items[i].t));
		cJSON_AddItemToArray(arr, pair);
	}
	return arr;
}
