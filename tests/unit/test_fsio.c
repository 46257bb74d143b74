/*
 * test_fsio: the atomic write, the capped read and mkdir -p, on real files.
 *
 * Failure cases use real failing file systems where the kernel allows it: a
 * 64 KiB tmpfs filled to the brim for ENOSPC, and a tmpfs remounted
 * read-only for EROFS (chmod does not stop root).  When mounting is not
 * possible (not root, no CAP_SYS_ADMIN) those tests print "SKIP:" instead of
 * passing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/base/fsio.h"
#include "../../src/base/log.h"
#include "test.h"
#include "../support/scratch.h"

/* Names in dir other than "." and "..", joined with spaces. */
static void list_dir(const char *dir, char *out, size_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	out[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		size_t l = strlen(out);
		snprintf(out + l, cap - l, "%s%s", l ? " " : "", e->d_name);
	}
	closedir(d);
}

static char *slurp(const char *path, size_t *len)
{
	return fsio_read_file(path, 1 << 24, len);
}

TEST(write_creates_file_with_contents_and_mode)
{
	char *d = scratch_dir("fsio");
	CHECK(d);
	char path[256], names[1024];
	snprintf(path, sizeof path, "%s/posts.json", d);
	mode_t old = umask(022);
	bool ok = fsio_write_atomic(path, "{\"a\":1}\n", 8);
	umask(old);
	CHECK(ok);
	size_t len;
	char *got = slurp(path, &len);
	CHECK(got);
	CHECK_INT(len, 8);
	CHECK_STR(got, "{\"a\":1}\n");
	free(got);
	struct stat st;
	CHECK(stat(path, &st) == 0);
	CHECK_INT(st.st_mode & 0777, 0644);
	list_dir(d, names, sizeof names);
	CHECK_STR(names, "posts.json"); /* no temp file left */
	scratch_remove(d);
	free(d);
}

TEST(write_replaces_existing_and_mode_variant_sets_0600)
{
	char *d = scratch_dir("fsio");
	CHECK(d);
	char path[256], names[1024];
	snprintf(path, sizeof path, "%s/secret", d);
	CHECK(fsio_write_atomic(path, "old contents, longer than the new", 33));
	CHECK(fsio_write_atomic_mode(path, "new", 3, 0600));
	size_t len;
	char *got = slurp(path, &len);
	CHECK(got);
	CHECK_INT(len, 3);
	CHECK_STR(got, "new");
	free(got);
	struct stat st;
	CHECK(stat(path, &st) == 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK(fsio_write_atomic(path, "", 0)); /* empty is a valid file */
	got = slurp(path, &len);
	CHECK(got);
	CHECK_INT(len, 0);
	free(got);
	list_dir(d, names, sizeof names);
	CHECK_STR(names, "secret");
	scratch_remove(d);
	free(d);
}

TEST(write_into_missing_directory_fails_with_enoent)
{
	char *d = scratch_dir("fsio");
	CHECK(d);
	char path[256];
	snprintf(path, sizeof path, "%s/missing/posts.json", d);
	errno = 0;
	CHECK(!fsio_write_atomic(path, "x", 1));
	CHECK_INT(errno, ENOENT);
	scratch_remove(d);
	free(d);
}

TEST(write_over_a_directory_fails_and_removes_temp)
{
	char *d = scratch_dir("fsio");
	CHECK(d);
	char path[256], names[1024];
	snprintf(path, sizeof path, "%s/target", d);
	CHECK(mkdir(path, 0755) == 0);
	errno = 0;
	CHECK(!fsio_write_atomic(path, "data", 4));
	CHECK(errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST);
	list_dir(d, names, sizeof names);
	CHECK_STR(names, "target");
	struct stat st;
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	scratch_remove(d);
	free(d);
}

TEST(disk_full_fails_cleanly_and_keeps_old_file)
{
	char *d = scratch_tmpfs("fsio", "size=64k,mode=0755");
	CHECK(d);
	char path[256], names[1024];
	snprintf(path, sizeof path, "%s/posts.json", d);
	CHECK(fsio_write_atomic(path, "previous", 8));
	size_t big = 256 * 1024;
	char *buf = malloc(big);
	CHECK(buf);
	memset(buf, 'x', big);
	errno = 0;
	bool ok = fsio_write_atomic(path, buf, big);
	int e = errno;
	free(buf);
	if (ok) {
		scratch_tmpfs_free(d);
		CHECK(!ok);
	}
	EXPECT(e == ENOSPC);
	size_t len;
	char *got = slurp(path, &len);
	EXPECT(got && strcmp(got, "previous") == 0);
	free(got);
	list_dir(d, names, sizeof names);
	EXPECT(strcmp(names, "posts.json") == 0); /* no half-written temp file */
	/* The space came back: a small write works again. */
	EXPECT(fsio_write_atomic(path, "next", 4));
	scratch_tmpfs_free(d);
}

TEST(read_only_file_system_fails_with_erofs_and_keeps_old_file)
{
	char *d = scratch_tmpfs("fsio", "size=64k,mode=0755");
	CHECK(d);
	char path[256];
	snprintf(path, sizeof path, "%s/state.json", d);
	CHECK(fsio_write_atomic(path, "{}", 2));
	if (!scratch_tmpfs_remount(d, true)) {
		scratch_tmpfs_free(d);
		CHECK(!"remount read-only failed");
	}
	errno = 0;
	bool ok = fsio_write_atomic(path, "{\"new\":1}", 9);
	int e = errno;
	size_t len;
	char *got = slurp(path, &len);
	scratch_tmpfs_free(d);
	CHECK(!ok);
	CHECK_INT(e, EROFS);
	CHECK(got);
	CHECK_STR(got, "{}");
	free(got);
}

TEST(read_caps_size_and_reports_errors)
{
	char *d = scratch_dir("fsio");
	CHECK(d);
	char path[256];
	snprintf(path, sizeof path, "%s/f", d);
	CHECK(fsio_write_atomic(path, "0123456789", 10));
	size_t len = 99;
	char *got = fsio_read_file(path, 10, &len);
	CHECK(got);
	CHECK_INT(len, 10);
	CHECK_STR(got, "0123456789");
	free(got);
	errno = 0;
	len = 99;
	CHECK(fsio_read_file(path, 9, &len) == NULL);
	CHECK_INT(errno, EFBIG);
	CHECK_INT(len, 0);

	/* Binary data with NULs keeps its length. */
	CHECK(fsio_write_atomic(path, "a\0b\0", 4));
	got = fsio_read_file(path, 100, &len);
	CHECK(got);
	CHECK_INT(len, 4);
	CHECK(memcmp(got, "a\0b\0", 5) == 0);
	free(got);

	errno = 0;
	snprintf(path, sizeof path, "%s/missing", d);
	CHECK(fsio_read_file(path, 100, &len) == NULL);
	CHECK_INT(errno, ENOENT);
	errno = 0;
	CHECK(fsio_read_file(d, 100, &len) == NULL);
	CHECK_INT(errno, EISDIR);
	snprintf(path, sizeof path, "%s/fifo", d);
	CHECK(mkfifo(path, 0644) == 0);
	errno = 0;
	/* Opening a FIFO for reading blocks until a writer comes; open it
	 * non-blocking from here by giving it a writer first. */
	int w = open(path, O_RDWR);
	CHECK(w >= 0);
	CHECK(fsio_read_file(path, 100, &len) == NULL);
	CHECK_INT(errno, EINVAL);
	close(w);
	scratch_remove(d);
	free(d);
}

TEST(mkdirs_creates_nested_and_refuses_files)
{
	char *d = scratch_dir("fsio");
	CHECK(d);
	char path[256];
	snprintf(path, sizeof path, "%s/a/b/c/", d);
	CHECK(fsio_mkdirs(path, 0755));
	struct stat st;
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(fsio_mkdirs(path, 0755)); /* existing is fine */
	snprintf(path, sizeof path, "%s/file", d);
	CHECK(fsio_write_atomic(path, "x", 1));
	errno = 0;
	CHECK(!fsio_mkdirs(path, 0755));
	CHECK_INT(errno, ENOTDIR);
	snprintf(path, sizeof path, "%s/file/sub", d);
	errno = 0;
	CHECK(!fsio_mkdirs(path, 0755));
	CHECK_INT(errno, ENOTDIR);
	scratch_remove(d);
	free(d);
}

TEST(temp_names_are_recognised)
{
	CHECK(fsio_is_temp_name("posts.json.tmp.123.0"));
	CHECK(fsio_is_temp_name("x.tmp.1.22"));
	CHECK(fsio_is_temp_name("0123abcd.png.tmp.99999.4294967295"));
	CHECK(!fsio_is_temp_name("posts.json"));
	CHECK(!fsio_is_temp_name("posts.json.corrupt-1700000000"));
	CHECK(!fsio_is_temp_name(".tmp.1.2"));
	CHECK(!fsio_is_temp_name("posts.json.tmp.1"));
	CHECK(!fsio_is_temp_name("posts.json.tmp.12a.0"));
	CHECK(!fsio_is_temp_name("posts.json.tmp.1."));
	CHECK(!fsio_is_temp_name("posts.json.tmp..1"));
	CHECK(!fsio_is_temp_name("posts.jsontmp.1.2"));
	CHECK(!fsio_is_temp_name(""));
}

/* The temp name must be unique across threads writing the same target. */
struct writer_arg {
	const char *path;
	int id;
	int failures;
};

static void *writer_thread(void *p)
{
	struct writer_arg *a = p;
	char buf[64];
	for (int i = 0; i < 200; i++) {
		int n = snprintf(buf, sizeof buf, "writer %d round %d", a->id, i);
		if (!fsio_write_atomic(a->path, buf, (size_t)n))
			a->failures++;
	}
	return NULL;
}

TEST(concurrent_writers_never_collide_or_mix)
{
	char *d = scratch_dir("fsio");
	CHECK(d);
	char path[256], names[1024];
	snprintf(path, sizeof path, "%s/shared", d);
	pthread_t t[4];
	struct writer_arg a[4];
	for (int i = 0; i < 4; i++) {
		a[i] = (struct writer_arg){ path, i, 0 };
		CHECK(pthread_create(&t[i], NULL, writer_thread, &a[i]) == 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 4; i++)
		CHECK_INT(a[i].failures, 0);
	char *got = slurp(path, NULL);
	CHECK(got);
	CHECK(strstr(got, "round 199") != NULL); /* each thread's last write is whole */
	int id = -1, round = -1;
	CHECK(sscanf(got, "writer %d round %d", &id, &round) == 2);
	free(got);
	list_dir(d, names, sizeof names);
	CHECK_STR(names, "shared");
	scratch_remove(d);
	free(d);
}

int main(void)
{
	log_set_level(LOG_LVL_ERROR);
	RUN(write_creates_file_with_contents_and_mode);
	RUN(write_replaces_existing_and_mode_variant_sets_0600);
	RUN(write_into_missing_directory_fails_with_enoent);
	RUN(write_over_a_directory_fails_and_removes_temp);
	char *probe = scratch_tmpfs("fsio", "size=64k");
	if (probe) {
		scratch_tmpfs_free(probe);
		RUN(disk_full_fails_cleanly_and_keeps_old_file);
		RUN(read_only_file_system_fails_with_erofs_and_keeps_old_file);
	} else {
		printf("SKIP: %s: disk_full and read_only tests: cannot mount a tmpfs here (%s); "
		       "run as root to test ENOSPC and EROFS\n", __FILE__, strerror(errno));
	}
	RUN(read_caps_size_and_reports_errors);
	RUN(mkdirs_creates_nested_and_refuses_files);
	RUN(temp_names_are_recognised);
	RUN(concurrent_writers_never_collide_or_mix);
	return test_summary();
}
