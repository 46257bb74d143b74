/*
 * scratch: throw-away directories for tests that work on real files.
 *
 * Each test makes its own directory under /tmp and removes it at the end;
 * tests of disk-full and read-only paths get a real tmpfs instead (root
 * only: without the permission they get NULL and say "SKIP:").  Every unit
 * and render test is linked with this file (TEST_SUPPORT in the Makefile).
 */
#ifndef BALIE_SCRATCH_H
#define BALIE_SCRATCH_H

#include <stdbool.h>

/* A new empty directory /tmp/balie-NAME-XXXXXX, or NULL.  Caller frees the
 * path and removes the directory (scratch_remove()). */
char *scratch_dir(const char *name);

/* Remove dir and everything in it (rm -rf); a note on stderr when that
 * fails.  dir is not freed. */
void scratch_remove(const char *dir);

/* A tmpfs mounted with opts ("size=64k") on a new scratch_dir(name), or
 * NULL when mounting is not permitted.  Free with scratch_tmpfs_free(). */
char *scratch_tmpfs(const char *name, const char *opts);

/* Unmount (lazily) and remove the tmpfs d, and free d. */
void scratch_tmpfs_free(char *d);

/* Remount the tmpfs d read-only (ro) or read-write; false when that fails. */
bool scratch_tmpfs_remount(const char *d, bool ro);

#endif
