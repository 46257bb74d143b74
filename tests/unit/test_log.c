/*
 * test_log: log_event() folds repeats per key, and its table of keys stays
 * bounded when keys come and go (one per broken picture, for months).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../src/base/log.h"
#include "test.h"

/* Everything written to the log while fn runs, NUL-terminated. */
static size_t capture(void (*fn)(void), char *buf, size_t cap)
{
	FILE *f = tmpfile();
	if (!f)
		return 0;
	log_set_fd(fileno(f));
	fn();
	log_set_fd(-1);
	rewind(f);
	size_t n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void two_pictures_alternating(void)
{
	for (int i = 0; i < 10; i++) {
		log_event("a.jpg: damaged", LOG_LVL_WARN, "render", "image not shown: a.jpg: damaged");
		log_event("b.png: too big", LOG_LVL_WARN, "render", "image not shown: b.png: too big");
	}
}

TEST(each_key_is_logged_once_while_it_repeats)
{
	log_event_reset();
	static char buf[8192];
	capture(two_pictures_alternating, buf, sizeof buf);
	CHECK_INT((int)count(buf, "a.jpg: damaged"), 1);
	CHECK_INT((int)count(buf, "b.png: too big"), 1);
}

static void many_keys_then_the_first_again(void)
{
	char key[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "pic-%d", i);
		log_event(key, LOG_LVL_WARN, "render", "image not shown: %s", key);
	}
	/* a recent key is still remembered: not logged again */
	log_event("pic-4999", LOG_LVL_WARN, "render", "image not shown: pic-4999");
	/* the oldest was forgotten: logged once more, which is all it costs */
	log_event("pic-0", LOG_LVL_WARN, "render", "image not shown: pic-0");
}

TEST(the_table_of_keys_is_bounded)
{
	log_event_reset();
	static char buf[1 << 20];
	capture(many_keys_then_the_first_again, buf, sizeof buf);
	CHECK_INT((int)count(buf, "image not shown: pic-4999\n"), 1);
	CHECK_INT((int)count(buf, "image not shown: pic-0\n"), 2);
	log_event_reset();
}

int main(void)
{
	RUN(each_key_is_logged_once_while_it_repeats);
	RUN(the_table_of_keys_is_bounded);
	return test_summary();
}
