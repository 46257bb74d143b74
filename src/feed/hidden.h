/*
 * hidden: posts an administrator hid for good (`balie --hide URL`).
 *
 * One file, hidden.txt in the cache directory, one entry per line: a post's
 * key ("bluesky:at://...") or its permalink as people copy it from a browser.
 * Blank lines and lines starting with '#' are comments, so the file can be
 * edited by hand.  The file is small, read whole, bounded, and rewritten
 * atomically (fsio_write_atomic), so a power cut never loses the list.  The
 * feed drops every post whose key or URL is listed (feed_build()).
 */
#ifndef BALIE_HIDDEN_H
#define BALIE_HIDDEN_H

#include <stdbool.h>
#include <stddef.h>

/* The list in memory.  Owns every string. */
typedef struct {
	char **items;
	size_t len, cap;
} hidden_list_t;

/* Longest entry accepted (bytes); the file is capped at HIDDEN_MAX_ENTRIES lines. */
#define HIDDEN_MAX_ENTRY 2048
#define HIDDEN_MAX_ENTRIES 10000

/* An empty list. */
void hidden_init(hidden_list_t *l);
/* Frees every entry; l is empty afterwards. */
void hidden_clear(hidden_list_t *l);

/* "<dir>/hidden.txt".  Caller frees. */
char *hidden_path(const char *dir);

/* Append the entries of dir/hidden.txt to l.  A missing file is an empty
 * list (true).  Over-long lines are skipped with a warning.  On a read error
 * returns false with *err set ("PATH: reason"; caller frees) and l unchanged. */
bool hidden_load(const char *dir, hidden_list_t *l, char **err);

/* Whether entry (a key or URL) is in l. */
bool hidden_contains(const hidden_list_t *l, const char *entry);

/* Add entry (surrounding whitespace trimmed) to dir/hidden.txt, keeping what
 * is there; adding an entry already listed changes nothing and succeeds.
 * Refuses an empty entry, one with control characters or longer than
 * HIDDEN_MAX_ENTRY.  false with *err set (caller frees) on failure; the file
 * is then unchanged. */
bool hidden_add(const char *dir, const char *entry, char **err);

/* Remove entry from dir/hidden.txt (comments kept).  *removed tells whether
 * it was listed.  false with *err set on failure. */
bool hidden_remove(const char *dir, const char *entry, bool *removed, char **err);

#endif
