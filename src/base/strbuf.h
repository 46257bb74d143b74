/*
 * strbuf: a growing byte string for building text piece by piece.
 *
 * The parsers rebuild text as they read it (X's t.co links, LinkedIn's
 * "little text", HTML to plain text, re-serialised Atom xhtml); this is the
 * one buffer they share.  The buffer grows through XGROW, so appending never
 * fails (out of memory aborts, as everywhere in balie).  Once anything was
 * appended, buf is always NUL-terminated at len, so it can be read as a C
 * string while it is being built; it may also hold NUL bytes of its own.
 *
 *   strbuf_t sb = STRBUF_INIT;
 *   strbuf_adds(&sb, "#");
 *   strbuf_add(&sb, tag, n);
 *   char *text = strbuf_take(&sb);   // caller frees; sb is empty again
 */
#ifndef BALIE_STRBUF_H
#define BALIE_STRBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	char *buf;      /* owned; NULL until the first append, then NUL-terminated at len */
	size_t len;     /* bytes in buf, not counting the terminating NUL */
	size_t cap;     /* bytes allocated */
} strbuf_t;

#define STRBUF_INIT { NULL, 0, 0 }

/* Append n bytes of bytes (which may hold NUL bytes; may be NULL when n is 0). */
void strbuf_add(strbuf_t *sb, const void *bytes, size_t n);

/* Append the C string s. */
void strbuf_adds(strbuf_t *sb, const char *s);

/* Append code point cp as UTF-8.  Surrogates (U+D800..U+DFFF) and values
 * above U+10FFFF are not characters: they become U+FFFD. */
void strbuf_add_cp(strbuf_t *sb, uint32_t cp);

/* Append printf-style. */
void strbuf_addf(strbuf_t *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Cut the text to its first n bytes (n larger than len: no change); the
 * memory is kept for reuse. */
void strbuf_truncate(strbuf_t *sb, size_t n);

/* The text so far, NUL-terminated ("" when nothing was appended).  Borrowed:
 * valid until the next call that changes sb. */
const char *strbuf_str(const strbuf_t *sb);

/* Hand the text over: a NUL-terminated string the caller frees ("" when
 * nothing was appended, never NULL).  sb is empty afterwards and can be used
 * again. */
char *strbuf_take(strbuf_t *sb);

/* Empty sb, keeping its memory for reuse. */
void strbuf_reset(strbuf_t *sb);

/* Free what sb holds; sb is empty (STRBUF_INIT) afterwards. */
void strbuf_free(strbuf_t *sb);

#endif
