/*
 * fsio: the one way balie writes a file: temp file in the same directory,
 * write, fsync, rename over the target, fsync the directory (as Redis does
 * for its dumps).  After a crash or power cut the target is either its old
 * contents or its new contents, never a mixture.
 */
#ifndef BALIE_FSIO_H
#define BALIE_FSIO_H

#include <stdbool.h>
#include <stddef.h>

/* Atomically replace path with data.  On failure returns false, sets errno,
 * removes the temp file and leaves path untouched. */
bool fsio_write_atomic(const char *path, const void *data, size_t len);

/* The same with the new file's permission bits (before umask): 0600 for
 * anything secret.  fsio_write_atomic() uses 0644. */
bool fsio_write_atomic_mode(const char *path, const void *data, size_t len, unsigned mode);

/* True when name (a file name without directory) is one of the temp files
 * fsio_write_atomic*() creates, "<target>.tmp.<pid>.<n>": a writer that was
 * killed leaves these behind, and the directory's owner removes them. */
bool fsio_is_temp_name(const char *name);

/* Read a whole file (up to max bytes; larger files fail with EFBIG).
 * Returns a NUL-terminated buffer (caller frees) and its length in *len. */
char *fsio_read_file(const char *path, size_t max, size_t *len);

/* mkdir -p with mode; true when the directory exists afterwards. */
bool fsio_mkdirs(const char *path, unsigned mode);

#endif
