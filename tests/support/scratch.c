/*
 * scratch: temporary directories and tmpfs mounts for tests.  See scratch.h.
 *
 * The tests of the cache, fsio, the hidden list and the notices file each
 * had their own copy of these; removal goes through rm -rf because the
 * trees tests leave behind (read-only files, nested media) are not worth a
 * hand-written walk.
 */
#include "scratch.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include "../../src/base/xmalloc.h"

char *scratch_dir(const char *name)
{
	char *tmpl = xasprintf("/tmp/balie-%s-XXXXXX", name);
	char *d = mkdtemp(tmpl);
	if (!d)
		free(tmpl);
	return d;
}

void scratch_remove(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cmd);
}

char *scratch_tmpfs(const char *name, const char *opts)
{
	char *d = scratch_dir(name);
	if (d && mount("tmpfs", d, "tmpfs", 0, opts) != 0) {
		rmdir(d);
		free(d);
		return NULL;
	}
	return d;
}

void scratch_tmpfs_free(char *d)
{
	umount2(d, MNT_DETACH);
	rmdir(d);
	free(d);
}

bool scratch_tmpfs_remount(const char *d, bool ro)
{
	return mount("tmpfs", d, "tmpfs", MS_REMOUNT | (ro ? MS_RDONLY : 0), NULL) == 0;
}
