/*
 * log: see log.h.  A single mutex guards the repeat table; lines are written
 * with one write(2) each so that threads never interleave inside a line.
 */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"

static enum log_level level = LOG_LVL_INFO;
static int out_fd = -1;
static int journal = -1;

struct event {
	char *key;
	char *last;
	unsigned long repeats;
	struct event *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct event *events;

void log_set_level(enum log_level lvl) { level = lvl; }
enum log_level log_get_level(void) { return level; }
void log_set_fd(int fd) { out_fd = fd; }

static const char *level_name(enum log_level lvl)
{
	switch (lvl) {
	case LOG_LVL_ERROR: return "error";
	case LOG_LVL_WARN: return "warning";
	case LOG_LVL_INFO: return "info";
	case LOG_LVL_DEBUG: return "debug";
	}
	return "?";
}

static void emit(enum log_level lvl, const char *module, const char *text)
{
	if (lvl > level)
		return;
	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;
	char line[2048];
	int n;
	if (journal)
		n = snprintf(line, sizeof line, "<%d>%s: %s\n", (int)lvl, module, text);
	else
		n = snprintf(line, sizeof line, "balie: %s: %s: %s\n", level_name(lvl), module, text);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line) {
		n = sizeof line - 1;
		line[n - 1] = '\n';
	}
	/* Control characters from network data must not forge log lines. */
	for (int i = 0; i < n - 1; i++)
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
			line[i] = ' ';
	ssize_t w = write(out_fd >= 0 ? out_fd : 2, line, (size_t)n);
	(void)w;
}

static char *vformat(const char *fmt, va_list ap)
{
	char buf[1536];
	vsnprintf(buf, sizeof buf, fmt, ap);
	return xstrdup(buf);
}

void log_msg(enum log_level lvl, const char *module, const char *fmt, ...)
{
	if (lvl > level)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *text = vformat(fmt, ap);
	va_end(ap);
	emit(lvl, module, text);
	free(text);
}

/* Keys may name things that come and go (a broken picture's file), so the
 * table is bounded: most recently used first, and past EVENTS_MAX the least
 * recently used key is forgotten (at worst its failure is logged once more). */
enum { EVENTS_MAX = 512 };

static struct event *find_event(const char *key, bool create)
{
	struct event **link = &events;
	size_t n = 0;
	for (struct event *e = events; e; link = &e->next, e = e->next, n++)
		if (strcmp(e->key, key) == 0) {
			*link = e->next; /* to the front */
			e->next = events;
			events = e;
			return e;
		}
	if (!create)
		return NULL;
	if (n >= EVENTS_MAX) {
		struct event **last = &events;
		while ((*last)->next)
			last = &(*last)->next;
		free((*last)->key);
		free((*last)->last);
		free(*last);
		*last = NULL;
	}
	struct event *e = xcalloc(1, sizeof *e);
	e->key = xstrdup(key);
	e->next = events;
	events = e;
	return e;
}

static void summarise(struct event *e, const char *module)
{
	if (e->repeats > 0) {
		char buf[128];
		snprintf(buf, sizeof buf, "(previous message repeated %lu more time%s)",
		         e->repeats, e->repeats == 1 ? "" : "s");
		emit(LOG_LVL_INFO, module, buf);
	}
	e->repeats = 0;
}

void log_event(const char *key, enum log_level lvl, const char *module, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = vformat(fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&lock);
	struct event *e = find_event(key, true);
	if (e->last && strcmp(e->last, text) == 0) {
		e->repeats++;
		free(text);
	} else {
		summarise(e, module);
		free(e->last);
		e->last = text;
		emit(lvl, module, text);
	}
	pthread_mutex_unlock(&lock);
}

void log_event_clear(const char *key, const char *module, const char *resolved_msg)
{
	pthread_mutex_lock(&lock);
	struct event *e = find_event(key, false);
	if (e && e->last) {
		summarise(e, module);
		if (resolved_msg)
			emit(LOG_LVL_INFO, module, resolved_msg);
		free(e->last);
		e->last = NULL;
	}
	pthread_mutex_unlock(&lock);
}

void log_event_reset(void)
{
	pthread_mutex_lock(&lock);
	while (events) {
		struct event *e = events;
		events = e->next;
		free(e->key);
		free(e->last);
		free(e);
	}
	pthread_mutex_unlock(&lock);
}
