/*
 * xmalloc: allocation that cannot fail.
 *
 * Running out of memory on a kiosk is not a recoverable condition: the
 * watchdog restarts us.  These wrappers abort with a message instead of
 * returning NULL, so ordinary code is not buried in malloc checks
 * (house style, practice 4).  All returned memory is freed with free().
 */
#ifndef BALIE_XMALLOC_H
#define BALIE_XMALLOC_H

#include <stddef.h>

/* Never NULL.  Caller frees. */
void *xmalloc(size_t n);
/* Zeroed; never NULL.  Caller frees. */
void *xcalloc(size_t nmemb, size_t size);
/* Never NULL (for n > 0).  Caller frees the result; p is consumed. */
void *xrealloc(void *p, size_t n);
/* Copy of s, or NULL when s is NULL.  Caller frees. */
char *xstrdup(const char *s);
/* Copy of the first n bytes of s plus a NUL; s may lack a NUL.  Caller frees. */
char *xstrndup(const char *s, size_t n);
/* printf into a new string.  Caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *arr (of element size elem) so that it holds at least need elements;
 * *cap tracks the capacity.  Amortised doubling. */
void xgrow(void **arr, size_t *cap, size_t need, size_t elem);

#define XGROW(arr, cap, need) xgrow((void **)&(arr), &(cap), (need), sizeof(*(arr)))

#endif
