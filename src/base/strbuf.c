/*
 * strbuf: see strbuf.h.  One growth path (reserve) keeps the invariant that
 * a non-NULL buf has room for len bytes plus the terminating NUL.
 */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/* Room for n more bytes and the NUL after them. */
static void reserve(strbuf_t *sb, size_t n)
{
	XGROW(sb->buf, sb->cap, sb->len + n + 1);
}

void strbuf_add(strbuf_t *sb, const void *bytes, size_t n)
{
	reserve(sb, n);
	if (n)
		memcpy(sb->buf + sb->len, bytes, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void strbuf_adds(strbuf_t *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_add_cp(strbuf_t *sb, uint32_t cp)
{
	unsigned char b[4];
	size_t n;
	if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		cp = 0xFFFD;
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xF0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	strbuf_add(sb, b, n);
}

void strbuf_addf(strbuf_t *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0) {
		reserve(sb, 0); /* an empty result (or a format error) appends nothing */
		sb->buf[sb->len] = '\0';
		return;
	}
	reserve(sb, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void strbuf_truncate(strbuf_t *sb, size_t n)
{
	if (n >= sb->len)
		return;
	sb->len = n;
	sb->buf[n] = '\0';
}

const char *strbuf_str(const strbuf_t *sb)
{
	return sb->buf ? sb->buf : "";
}

char *strbuf_take(strbuf_t *sb)
{
	char *s = sb->buf ? sb->buf : xstrdup("");
	*sb = (strbuf_t)STRBUF_INIT;
	return s;
}

void strbuf_reset(strbuf_t *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

void strbuf_free(strbuf_t *sb)
{
	free(sb->buf);
	*sb = (strbuf_t)STRBUF_INIT;
}
