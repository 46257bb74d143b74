/*
 * test_hidden: the list of posts hidden for good (hidden.txt), on real files
 * in a temporary directory: adding, duplicates, comments kept, bad entries
 * refused with a message, removal, and what an unwritable place reports.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "../support/scratch.h"

#include "../../src/base/fsio.h"
#include "../../src/base/xmalloc.h"
#include "../../src/feed/hidden.h"

static char *read_all(const char *dir)
{
	char *path = hidden_path(dir);
	size_t len;
	char *t = fsio_read_file(path, 1 << 20, &len);
	free(path);
	return t;
}

#define URL1 "https://social.overheid.nl/@gemeente/114098765432100003"
#define KEY2 "bluesky:at://did:plc:abc/app.bsky.feed.post/3ljxk2abcde2a"

TEST(a_missing_file_is_an_empty_list)
{
	char *dir = scratch_dir("test-hidden");
	CHECK(dir);
	hidden_list_t l;
	hidden_init(&l);
	char *err = NULL;
	CHECK(hidden_load(dir, &l, &err));
	CHECK_INT(l.len, 0);
	CHECK(!err);
	scratch_remove(dir);
	free(dir);
}

TEST(added_entries_are_kept_on_disk_once)
{
	char *dir = scratch_dir("test-hidden");
	CHECK(dir);
	char *err = NULL;
	CHECK(hidden_add(dir, URL1, &err));
	CHECK(hidden_add(dir, "  " KEY2 "\n", &err)); /* trimmed */
	CHECK(hidden_add(dir, URL1, &err));          /* already there: unchanged */
	hidden_list_t l;
	hidden_init(&l);
	CHECK(hidden_load(dir, &l, &err));
	CHECK_INT(l.len, 2);
	CHECK_STR(l.items[0], URL1);
	CHECK_STR(l.items[1], KEY2);
	CHECK(hidden_contains(&l, KEY2));
	CHECK(!hidden_contains(&l, "https://social.overheid.nl/@gemeente/1"));
	hidden_clear(&l);
	char *text = read_all(dir);
	CHECK(text);
	CHECK(strncmp(text, "# Posts hidden from the screen", 30) == 0);
	CHECK(strstr(text, "\n" URL1 "\n" KEY2 "\n"));
	free(text);
	/* written atomically: no temp files left behind */
	char *cmd = xasprintf("test $(ls -A '%s' | wc -l) -eq 1", dir);
	CHECK(system(cmd) == 0);
	free(cmd);
	scratch_remove(dir);
	free(dir);
}

TEST(hand_edits_and_comments_survive)
{
	char *dir = scratch_dir("test-hidden");
	CHECK(dir);
	char *path = hidden_path(dir);
	FILE *f = fopen(path, "w");
	fputs("# verborgen op verzoek van de griffie\n\n   " URL1 "   \r\n# nog een\n" URL1 "\nzonder-einde", f);
	fclose(f);
	hidden_list_t l;
	hidden_init(&l);
	char *err = NULL;
	CHECK(hidden_load(dir, &l, &err));
	CHECK_INT(l.len, 2);
	CHECK_STR(l.items[0], URL1);
	CHECK_STR(l.items[1], "zonder-einde");
	hidden_clear(&l);
	CHECK(hidden_add(dir, KEY2, &err));
	char *text = read_all(dir);
	CHECK(strstr(text, "# verborgen op verzoek van de griffie\n"));
	CHECK(strstr(text, "zonder-einde\n" KEY2 "\n"));
	free(text);

	bool removed = false;
	CHECK(hidden_remove(dir, URL1, &removed, &err));
	CHECK(removed);
	CHECK(hidden_load(dir, &l, &err));
	CHECK_INT(l.len, 2);
	CHECK(!hidden_contains(&l, URL1));
	hidden_clear(&l);
	text = read_all(dir);
	CHECK(strstr(text, "# nog een\n"));
	free(text);
	CHECK(hidden_remove(dir, "niet-aanwezig", &removed, &err));
	CHECK(!removed);
	free(path);
	scratch_remove(dir);
	free(dir);
}

TEST(bad_entries_are_refused_with_a_reason)
{
	char *dir = scratch_dir("test-hidden");
	CHECK(dir);
	static const struct {
		const char *entry, *err;
	} cases[] = {
		{ "", "nothing to hide: give a post's URL or key" },
		{ "   \t ", "nothing to hide: give a post's URL or key" },
		{ "https://a.nl/1\nhttps://a.nl/2", "entry contains control characters or line breaks" },
		{ "https://a.nl/\x1b[31m", "entry contains control characters or line breaks" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *err = NULL;
		if (hidden_add(dir, cases[i].entry, &err) || !err || strcmp(err, cases[i].err) != 0)
			TEST_FAIL_("case %zu: \"%s\"", i, err ? err : "(null)");
		free(err);
	}
	char *longe = xmalloc(HIDDEN_MAX_ENTRY + 2);
	memset(longe, 'a', HIDDEN_MAX_ENTRY + 1);
	longe[HIDDEN_MAX_ENTRY + 1] = '\0';
	char *err = NULL;
	CHECK(!hidden_add(dir, longe, &err));
	CHECK_STR(err, "entry is longer than 2048 bytes");
	free(err);
	free(longe);
	/* nothing was written */
	char *path = hidden_path(dir);
	CHECK(access(path, F_OK) != 0);
	free(path);
	scratch_remove(dir);
	free(dir);
}

TEST(over_long_lines_in_the_file_are_skipped)
{
	char *dir = scratch_dir("test-hidden");
	CHECK(dir);
	char *path = hidden_path(dir);
	FILE *f = fopen(path, "w");
	for (int i = 0; i < HIDDEN_MAX_ENTRY + 10; i++)
		fputc('x', f);
	fputs("\n" URL1 "\n", f);
	fclose(f);
	hidden_list_t l;
	hidden_init(&l);
	char *err = NULL;
	CHECK(hidden_load(dir, &l, &err));
	CHECK_INT(l.len, 1);
	CHECK_STR(l.items[0], URL1);
	hidden_clear(&l);
	free(path);
	scratch_remove(dir);
	free(dir);
}

TEST(an_unusable_directory_is_reported)
{
	char *err = NULL;
	CHECK(!hidden_add("/nonexistent-balie-dir/sub", URL1, &err));
	CHECK_STR(err, "/nonexistent-balie-dir/sub/hidden.txt: No such file or directory");
	free(err);
	/* a directory where the file should be */
	char *dir = scratch_dir("test-hidden");
	CHECK(dir);
	char *path = hidden_path(dir);
	CHECK(mkdir(path, 0700) == 0);
	hidden_list_t l;
	hidden_init(&l);
	err = NULL;
	CHECK(!hidden_load(dir, &l, &err));
	CHECK(err && strncmp(err, path, strlen(path)) == 0);
	free(err);
	free(path);
	scratch_remove(dir);
	free(dir);
}

int main(void)
{
	RUN(a_missing_file_is_an_empty_list);
	RUN(added_entries_are_kept_on_disk_once);
	RUN(hand_edits_and_comments_survive);
	RUN(bad_entries_are_refused_with_a_reason);
	RUN(over_long_lines_in_the_file_are_skipped);
	RUN(an_unusable_directory_is_reported);
	return test_summary();
}
