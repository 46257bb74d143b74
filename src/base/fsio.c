/*
 * fsio: see fsio.h.  The write path is the classic one (Redis rdb.c does the
 * same): a fresh temp file next to the target, opened O_EXCL so that it is
 * never someone else's, every byte written (EINTR and short writes retried),
 * fsync, close (which can report a deferred write error on NFS), rename, and
 * fsync of the directory so the rename itself survives a power cut.  Every
 * failure before the rename unlinks the temp file and keeps errno, so a full
 * disk leaves nothing behind and the old file intact.
 *
 * Temp names carry the pid and a process-wide counter, so threads and
 * processes never collide; the directory's owner (the cache) removes the
 * ones a killed writer left, recognised by fsio_is_temp_name().
 */
#include "fsio.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "xmalloc.h"

static atomic_uint temp_counter;

static bool write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len > (size_t)SSIZE_MAX ? (size_t)SSIZE_MAX : len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		if (n == 0) { /* not expected for regular files; never loop forever */
			errno = EIO;
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Make a completed rename durable.  The new contents are already visible,
 * so a failure here is logged but does not make the write a failure: the
 * caller's "old file intact" promise would be false either way. */
static void sync_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		/* EINVAL: a file system that cannot sync directories (nothing to do). */
		if (errno != EINVAL)
			log_warn("fsio", "%s: cannot sync directory after writing %s: %s", dir,
			         path, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	free(dir);
}

bool fsio_write_atomic_mode(const char *path, const void *data, size_t len, unsigned mode)
{
	assert(path && *path);
	assert(data || len == 0);
	char *tmp = NULL;
	int fd = -1;
	for (int tries = 0; tries < 100; tries++) {
		free(tmp);
		tmp = xasprintf("%s.tmp.%ld.%u", path, (long)getpid(),
		                atomic_fetch_add(&temp_counter, 1u));
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, (mode_t)mode);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		int e = errno;
		free(tmp);
		errno = e;
		return false;
	}
	bool ok = write_all(fd, data, len) && fsync(fd) == 0;
	int e = errno;
	if (close(fd) != 0 && ok) {
		ok = false;
		e = errno;
	}
	if (ok && rename(tmp, path) != 0) {
		ok = false;
		e = errno;
	}
	if (!ok) {
		unlink(tmp);
		free(tmp);
		errno = e;
		return false;
	}
	free(tmp);
	sync_parent_dir(path);
	return true;
}

bool fsio_write_atomic(const char *path, const void *data, size_t len)
{
	return fsio_write_atomic_mode(path, data, len, 0644);
}

static bool all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool fsio_is_temp_name(const char *name)
{
	/* "<target>.tmp.<digits>.<digits>" with a non-empty target. */
	const char *last = strrchr(name, '.');
	if (!last || last == name || !all_digits(last + 1, strlen(last + 1)))
		return false;
	const char *p = last; /* find the dot before the pid */
	while (p > name && p[-1] != '.')
		p--;
	if (p == name || !all_digits(p, (size_t)(last - p)))
		return false;
	p--; /* the '.' before the pid */
	return (size_t)(p - name) > 4 && strncmp(p - 4, ".tmp", 4) == 0;
}

char *fsio_read_file(const char *path, size_t max, size_t *len)
{
	assert(path);
	if (len)
		*len = 0;
	/* O_NONBLOCK: opening a FIFO must not block; cleared once we know the
	 * file is regular. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL; /* a FIFO would block */
		return NULL;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	if (st.st_size < 0 || (uintmax_t)st.st_size > max) {
		close(fd);
		errno = EFBIG;
		return NULL;
	}
	/* The file may change size while we read: size the buffer from fstat,
	 * grow it if needed, and stop at max + 1 bytes. */
	size_t cap = (size_t)st.st_size + 1, got = 0;
	char *buf = xmalloc(cap + 1);
	for (;;) {
		if (got == cap) {
			if (cap > max) {
				free(buf);
				close(fd);
				errno = EFBIG;
				return NULL;
			}
			cap = cap * 2 > max + 1 || cap * 2 < cap ? max + 1 : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
		ssize_t n = read(fd, buf + got, cap - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return NULL;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got > max) {
		free(buf);
		errno = EFBIG;
		return NULL;
	}
	buf[got] = '\0';
	if (len)
		*len = got;
	return buf;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool fsio_mkdirs(const char *path, unsigned mode)
{
	assert(path && *path);
	char *buf = xstrdup(path);
	bool ok = true;
	for (char *p = buf + 1; ok; p++) {
		bool end = *p == '\0';
		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST) {
			/* EACCES or EROFS on an existing parent is fine. */
			int e = errno;
			ok = is_dir(buf);
			errno = e;
		} else if (!is_dir(buf)) {
			ok = false;
			errno = ENOTDIR;
		}
		if (end)
			break;
		*p = '/';
	}
	if (ok && !is_dir(path)) {
		ok = false;
		errno = ENOTDIR;
	}
	int e = errno;
	free(buf);
	errno = e;
	return ok;
}
