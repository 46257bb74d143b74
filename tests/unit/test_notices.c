/*
 * test_notices: the front-desk notices file: its forgiving format, its
 * error lines (FILE:LINE: message) that leave the other notices alone, local
 * times, and the adapter reading a real file in a temporary directory and
 * noticing when it changes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "../support/scratch.h"
#include "../support/srctest.h"

#include "../../src/base/fsio.h"
#include "../../src/base/xmalloc.h"
#include "../../src/sources/notices.h"
#include "../../src/sources/source.h"

#define NOW 1796000000

static source_spec_t *spec_new(const char *path)
{
	source_spec_t *s = xcalloc(1, sizeof *s);
	s->network = NET_NOTICE;
	s->kind = SRC_NOTICES;
	s->key = xasprintf("notice:%s", path);
	s->handle = xstrdup(path);
	s->interval_s = 15;
	return s;
}

static size_t parse(const char *text, post_list_t *out, notices_errors_t *errs)
{
	source_spec_t *spec = spec_new("/etc/balie/notices.txt");
	size_t n = notices_parse(text, strlen(text), "notices.txt", spec, 1790000000, out, errs);
	source_spec_free(spec);
	return n;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* ---- times --------------------------------------------------------------- */

TEST(times_are_local_and_forgiving)
{
	static const struct {
		const char *s;
		bool end;
		int64_t want; /* 0: refused */
	} cases[] = {
		{ "2026-12-01 08:00", false, 1796108400 },         /* CET, +01:00 */
		{ "2026-04-20 08:00", false, 1776664800 },         /* CEST, +02:00 */
		{ "  2026-12-01 08:00  ", false, 1796108400 },
		{ "2026-12-01T08:00", false, 1796108400 },
		{ "2026-12-01 8.00", false, 1796108400 },
		{ "1-12-2026 08:00", false, 1796108400 },          /* as written in the Netherlands */
		{ "01/12/2026 08:00", false, 1796108400 },
		{ "2026-12-24", true, 1798153199 },                /* a date alone, as an end: that whole day */
		{ "2026-04-27", true, 1777327199 },
		{ "27-4-2026 18:00", true, 1777305600 },           /* a time given: exactly that */
		{ "2026-12-01T08:00:00Z", false, 1796112000 },
		{ "2026-12-01T08:00:30+01:00", false, 1796108430 },
		{ "2026-02-30 08:00", false, 0 },
		{ "2026-12-01 25:00", false, 0 },
		{ "morgen", false, 0 },
		{ "2026-12-01 08:00 uur", false, 0 },
		{ "", false, 0 },
		{ "1969-12-31", false, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int64_t t = 0;
		bool ok = notices_parse_time(cases[i].s, cases[i].end, &t);
		if (cases[i].want ? !ok || t != cases[i].want : ok)
			TEST_FAIL_("case %zu \"%s\": ok=%d t=%lld", i, cases[i].s, ok, (long long)t);
	}
}

/* ---- parsing ------------------------------------------------------------- */

TEST(a_full_notice_becomes_a_post)
{
	const char *text =
		"# Mededelingen voor het scherm in de hal\n"
		"[notice]\n"
		"text = Het stadhuis is op 24 december vanaf 12:00 gesloten.\n"
		"from = 2026-12-01 08:00\n"
		"until = 2026-12-24\n"
		"priority = 3\n";
	post_list_t l;
	post_list_init(&l);
	notices_errors_t e = { 0 };
	CHECK_INT(parse(text, &l, &e), 1);
	CHECK_INT(e.len, 0);
	const post_t *p = l.items[0];
	CHECK_STR(p->text, "Het stadhuis is op 24 december vanaf 12:00 gesloten.");
	CHECK_INT(p->network, NET_NOTICE);
	CHECK(strncmp(p->key, "notice:", 7) == 0);
	CHECK_STR(p->source, "notice:/etc/balie/notices.txt");
	CHECK_INT(p->show_from, 1796108400);
	CHECK_INT(p->show_until, 1798153199);
	CHECK_INT(p->created, 1796108400);
	CHECK_INT(p->priority, 3);
	CHECK_INT(p->visibility, VIS_PUBLIC);
	CHECK_STR(p->author.name, "Balie");
	CHECK_INT(p->n_media, 0);
	post_list_clear(&l);
	notices_errors_clear(&e);
}

TEST(dutch_keys_colons_continuations_bom_and_implicit_start)
{
	const char *text =
		"\xEF\xBB\xBF"
		"tekst: Let op: de parkeergarage is dicht.\n"
		"   Gebruik de garage aan de Markt.\n"
		"\tTot ziens!\n"
		"van: 1-12-2026 08:00\n"
		"prioriteit = 0\n"
		"\n"
		"[melding \"kerst\"]\n"
		"  text = Fijne feestdagen\n"
		"  until = 2026-12-24\n"
		"\n"
		"; a second notice without times\n"
		"[notice]\n"
		"text = Altijd zichtbaar\n";
	post_list_t l;
	post_list_init(&l);
	notices_errors_t e = { 0 };
	CHECK_INT(parse(text, &l, &e), 3);
	CHECK_INT(e.len, 0);
	CHECK_STR(l.items[0]->text, "Let op: de parkeergarage is dicht.\nGebruik de garage aan de Markt.\nTot ziens!");
	CHECK_INT(l.items[0]->show_from, 1796108400);
	CHECK_INT(l.items[0]->priority, 0);
	CHECK_STR(l.items[1]->key, "notice:kerst");
	CHECK_STR(l.items[1]->text, "Fijne feestdagen"); /* indented keys are keys, not more text */
	CHECK_INT(l.items[1]->show_until, 1798153199);
	CHECK_INT(l.items[1]->created, 1790000000); /* no start: the file's time */
	CHECK_STR(l.items[2]->text, "Altijd zichtbaar");
	CHECK_INT(l.items[2]->show_from, 0);
	CHECK_INT(l.items[2]->show_until, 0);
	CHECK_INT(l.items[2]->priority, 1);
	post_list_clear(&l);
	notices_errors_clear(&e);
}

TEST(mistakes_are_reported_with_file_and_line_and_other_notices_kept)
{
	const char *text =
		"[notice]\n"                                   /* 1 */
		"text = Goed\n"                                /* 2 */
		"[notice]\n"                                   /* 3 */
		"text = Foute datum\n"                         /* 4 */
		"from = morgen\n"                              /* 5 */
		"[notice]\n"                                   /* 6 */
		"titel = Geen tekst\n"                         /* 7 */
		"[notice]\n"                                   /* 8 */
		"text = Omgekeerd\n"                           /* 9 */
		"from = 2026-12-02\n"                          /* 10 */
		"until = 2026-12-01 12:00\n"                   /* 11 */
		"[notice]\n"                                   /* 12 */
		"text = Rare prioriteit\n"                     /* 13 */
		"priority = hoog\n"                            /* 14 */
		"kleur = rood\n"                               /* 15 */
		"[display]\n"                                  /* 16 */
		"text = hoort niet bij een melding\n"          /* 17 */
		"[notice]\n"                                   /* 18 */
		"dit is geen sleutel\n"                        /* 19 */
		"text = Laatste\n"                             /* 20 */
		"text = Nog een tekst\n"                       /* 21 */
		"[notice\n";                                   /* 22 */
	post_list_t l;
	post_list_init(&l);
	notices_errors_t e = { 0 };
	CHECK_INT(parse(text, &l, &e), 3);
	CHECK_STR(l.items[0]->text, "Goed");
	CHECK_STR(l.items[1]->text, "Rare prioriteit");
	CHECK_INT(l.items[1]->priority, 1);
	CHECK_STR(l.items[2]->text, "Laatste");
	static const char *const want[] = {
		"notices.txt:5: from: \"morgen\" is not a time like 2026-12-01 08:00 or 2026-12-01; notice skipped",
		"notices.txt:7: unknown key \"titel\" (known: text, from, until, priority, image, alt); ignored",
		"notices.txt:6: notice has no text; skipped",
		"notices.txt:8: notice ends before it starts (until is not after from); skipped",
		"notices.txt:14: priority must be a whole number from 0 to 10; using 1",
		"notices.txt:15: unknown key \"kleur\" (known: text, from, until, priority, image, alt); ignored",
		"notices.txt:16: unknown section [display]; expected [notice]",
		"notices.txt:19: expected \"key = value\", got \"dit is geen sleutel\"",
		"notices.txt:21: second text in one notice; start a new one with [notice]",
		"notices.txt:22: section header must look like [notice]",
	};
	CHECK_INT(e.len, sizeof want / sizeof *want);
	for (size_t i = 0; i < e.len; i++)
		if (strcmp(e.lines[i], want[i]) != 0)
			TEST_FAIL_("error %zu: \"%s\", expected \"%s\"", i, e.lines[i], want[i]);
	post_list_clear(&l);
	notices_errors_clear(&e);
}

TEST(keys_are_stable_and_change_with_the_notice)
{
	post_list_t a, b, c;
	post_list_init(&a);
	post_list_init(&b);
	post_list_init(&c);
	notices_errors_t e = { 0 };
	parse("[notice]\ntext = Eén\nfrom = 2026-12-01\n", &a, &e);
	parse("# comment\n[notice]\n  text   =   Eén  \nfrom=2026-12-01\n", &b, &e);
	parse("[notice]\ntext = Twee\nfrom = 2026-12-01\n", &c, &e);
	CHECK_INT(e.len, 0);
	CHECK_STR(a.items[0]->key, b.items[0]->key);
	CHECK(strcmp(a.items[0]->key, c.items[0]->key) != 0);
	post_list_clear(&a);
	post_list_clear(&b);
	post_list_clear(&c);
}

TEST(duplicate_notices_are_reported_once)
{
	const char *text =
		"[notice]\ntext = Dubbel\n"
		"[notice]\ntext = Dubbel\n"
		"[notice \"a\"]\ntext = Een\n"
		"[notice \"a\"]\ntext = Twee\n";
	post_list_t l;
	post_list_init(&l);
	notices_errors_t e = { 0 };
	CHECK_INT(parse(text, &l, &e), 2);
	CHECK_INT(e.len, 2);
	CHECK_STR(e.lines[0], "notices.txt:3: the same notice is already in this file; skipped");
	CHECK_STR(e.lines[1], "notices.txt:7: a notice named \"a\" is already in this file; skipped");
	CHECK_STR(l.items[1]->text, "Een");
	post_list_clear(&l);
	notices_errors_clear(&e);
}

TEST(binary_and_huge_input_is_refused_line_by_line)
{
	char *big = xmalloc(6000);
	memset(big, 'x', 5999);
	big[5999] = '\0';
	char *text = xasprintf("[notice]\ntext = kort\n%s\n[notice]\ntext = a\n", big);
	free(big);
	text[strlen(text) - 2] = 'b';
	post_list_t l;
	post_list_init(&l);
	notices_errors_t e = { 0 };
	source_spec_t *spec = spec_new("n");
	size_t len = strlen(text);
	size_t n = notices_parse(text, len, "n.txt", spec, 0, &l, &e);
	CHECK_INT(n, 2);
	CHECK_INT(e.len, 1);
	CHECK_STR(e.lines[0], "n.txt:3: line longer than 4096 bytes; ignored");
	post_list_clear(&l);
	notices_errors_clear(&e);
	free(text);
	const char nul[] = "[notice]\ntext = a\0b\n";
	n = notices_parse(nul, sizeof nul - 1, "n.txt", spec, 0, &l, &e);
	CHECK_INT(n, 0);
	CHECK_STR(e.lines[0], "n.txt:2: line holds a NUL byte (not a text file?); ignored");
	post_list_clear(&l);
	notices_errors_clear(&e);
	source_spec_free(spec);
}

TEST(images_are_local_files_checked_for_existence)
{
	char *dir = scratch_dir("test-notices");
	CHECK(dir);
	char *img = xasprintf("%s/koningsdag.jpg", dir);
	write_file(img, "\xFF\xD8\xFF\xE0 not really a jpeg");
	char *path = xasprintf("%s/notices.txt", dir);
	const char *text =
		"[notice]\ntext = Met plaatje\nimage = koningsdag.jpg\nalt = Oranje vlaggen\n"
		"[notice]\ntext = Zonder plaatje\nimage = /nergens/weg.png\n";
	post_list_t l;
	post_list_init(&l);
	notices_errors_t e = { 0 };
	source_spec_t *spec = spec_new(path);
	CHECK_INT(notices_parse(text, strlen(text), path, spec, 0, &l, &e), 2);
	CHECK_INT(l.items[0]->n_media, 1);
	char *url = xasprintf("file://%s", img);
	CHECK_STR(l.items[0]->media[0].url, url);
	free(url);
	CHECK_STR(l.items[0]->media[0].alt, "Oranje vlaggen");
	CHECK_INT(l.items[1]->n_media, 0);
	CHECK_INT(e.len, 1);
	char *want = xasprintf("%s:5: image /nergens/weg.png: No such file or directory; the notice is shown without it", path);
	CHECK_STR(e.lines[0], want);
	free(want);
	post_list_clear(&l);
	notices_errors_clear(&e);
	source_spec_free(spec);
	free(img);
	free(path);
	scratch_remove(dir);
	free(dir);
}

/* ---- the adapter --------------------------------------------------------- */

static source_t *source_new(const char *path)
{
	return srctest_source_new(&notices_source_ops, spec_new(path), NULL, NULL, NOW);
}

/* One cycle the way the poller runs a source without requests. */
static source_status_t cycle(source_t *s, source_batch_t *b)
{
	source_batch_clear(b);
	s->ops->begin(s);
	net_request_t *req = s->ops->next_request(s);
	if (req) {
		net_request_free(req);
		return SRC_ERR_DATA; /* the notices adapter never asks the network */
	}
	return s->ops->handle(s, NULL, b);
}

TEST(adapter_reads_the_file_and_rereads_it_when_it_changes)
{
	char *dir = scratch_dir("test-notices");
	CHECK(dir);
	char *path = xasprintf("%s/notices.txt", dir);
	write_file(path, "[notice]\ntext = Eerste\n[notice]\ntext = Tweede\nfrom = kapot\n");
	source_t *s = source_new(path);
	source_batch_t b;
	source_batch_init(&b);
	CHECK_INT(cycle(s, &b), SRC_DONE);
	CHECK_INT(b.posts.len, 1);
	CHECK(b.authoritative);
	CHECK(b.window_start <= 0);
	char *want = xasprintf("1 notice, 1 problem (first: %s:5: from: \"kapot\" is not a time like "
	                       "2026-12-01 08:00 or 2026-12-01; notice skipped)", path);
	CHECK_STR(b.message, want);
	free(want);

	CHECK_INT(cycle(s, &b), SRC_NOT_MODIFIED);
	CHECK_INT(b.posts.len, 0);

	write_file(path, "[notice]\ntext = Eerste\n[notice]\ntext = Tweede, nu goed\nfrom = 2026-12-01\n");
	CHECK_INT(cycle(s, &b), SRC_DONE);
	CHECK_INT(b.posts.len, 2);
	CHECK_STR(b.message, "2 notices");

	/* emptied: no notices, and the batch says so (authoritative, empty) */
	write_file(path, "# niets\n");
	CHECK_INT(cycle(s, &b), SRC_DONE);
	CHECK_INT(b.posts.len, 0);
	CHECK(b.authoritative);

	unlink(path);
	CHECK_INT(cycle(s, &b), SRC_ERR_NOT_FOUND);
	want = xasprintf("notices file %s: No such file or directory", path);
	CHECK_STR(b.message, want);
	free(want);

	CHECK(mkdir(path, 0700) == 0);
	CHECK_INT(cycle(s, &b), SRC_ERR_DATA);
	want = xasprintf("notices file %s is not a regular file", path);
	CHECK_STR(b.message, want);
	free(want);
	source_batch_clear(&b);
	srctest_source_free(s);
	free(path);
	scratch_remove(dir);
	free(dir);
}

TEST(adapter_refuses_an_oversized_file)
{
	char *dir = scratch_dir("test-notices");
	CHECK(dir);
	char *path = xasprintf("%s/notices.txt", dir);
	FILE *f = fopen(path, "w");
	for (int i = 0; i < NOTICES_MAX_FILE / 10 + 10; i++)
		fputs("# padding\n", f);
	fclose(f);
	source_t *s = source_new(path);
	source_batch_t b;
	source_batch_init(&b);
	CHECK_INT(cycle(s, &b), SRC_ERR_DATA);
	char *want = xasprintf("notices file %s is larger than 256 KiB", path);
	CHECK_STR(b.message, want);
	free(want);
	source_batch_clear(&b);
	srctest_source_free(s);
	free(path);
	scratch_remove(dir);
	free(dir);
}

int main(void)
{
	setenv("TZ", "Europe/Amsterdam", 1);
	tzset();
	RUN(times_are_local_and_forgiving);
	RUN(a_full_notice_becomes_a_post);
	RUN(dutch_keys_colons_continuations_bom_and_implicit_start);
	RUN(mistakes_are_reported_with_file_and_line_and_other_notices_kept);
	RUN(keys_are_stable_and_change_with_the_notice);
	RUN(duplicate_notices_are_reported_once);
	RUN(binary_and_huge_input_is_refused_line_by_line);
	RUN(images_are_local_files_checked_for_existence);
	RUN(adapter_reads_the_file_and_rereads_it_when_it_changes);
	RUN(adapter_refuses_an_oversized_file);
	return test_summary();
}
