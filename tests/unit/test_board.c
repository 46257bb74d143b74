/*
 * Board profiles: the shipped boards/ profiles all parse, each Raspberry Pi
 * model string picks the right one (device-tree files written as the kernel
 * writes them, NUL-terminated), a PC falls back to pc.conf, the DRM card
 * hint resolves through a by-path symlink, and bad profiles give clear
 * messages.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/base/log.h"
#include "../../src/platform/board.h"
#include "test.h"

static char tmpdir[64];

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fwrite(data, 1, len, f);
	fclose(f);
}

/* Write a device-tree model file (with its trailing NUL) and return its path. */
static const char *model_file(const char *model)
{
	static char path[128];
	snprintf(path, sizeof path, "%s/model", tmpdir);
	write_file(path, model, strlen(model) + 1);
	return path;
}

/* The id of the profile chosen for a model string. */
static char *pick(const char *model)
{
	char *err = NULL;
	char *m = board_read_model(model_file(model));
	board_t *b = board_match("boards", m, &err);
	free(m);
	if (!b) {
		char *r = malloc(strlen(err) + 8);
		sprintf(r, "(none: %s)", err);
		free(err);
		return r;
	}
	char *id = strdup(b->id);
	board_free(b);
	return id;
}

TEST(shipped_profiles_parse)
{
	const char *ids[] = {"pi-zero-2w", "pi3", "pi4", "pi5", "pc"};
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		char *err = NULL;
		board_t *b = board_load("boards", ids[i], &err);
		if (!b) {
			TEST_FAIL_("%s: %s", ids[i], err);
			free(err);
			return;
		}
		EXPECT(b->n_match > 0);
		EXPECT(b->texture_budget_mb >= 8);
		EXPECT(b->burnin_px > 0);
		board_free(b);
	}
}

TEST(pi_profiles_have_the_expected_data)
{
	char *err = NULL;
	board_t *b = board_load("boards", "pi5", &err);
	CHECK(b);
	CHECK_STR(b->name, "Raspberry Pi 5");
	CHECK_STR(b->video_driver, "kmsdrm");
	CHECK_STR(b->render_driver, "opengles2");
	CHECK_STR(b->cec_device, "/dev/cec0");
	CHECK(b->drm_card != NULL);
	board_free(b);
	b = board_load("boards", "pc", &err);
	CHECK(b);
	CHECK(b->video_driver == NULL);   /* empty value: SDL chooses */
	CHECK(b->cec_device == NULL);     /* no CEC: blank instead */
	CHECK_INT(b->width, 0);
	board_free(b);
	b = board_load("boards", "pi-zero-2w", &err);
	CHECK(b);
	CHECK(b->texture_budget_mb < 64);
	CHECK_INT(b->max_texture, 2048);
	board_free(b);
}

TEST(model_strings_pick_the_right_board)
{
	static const struct {
		const char *model, *id;
	} cases[] = {
		{"Raspberry Pi 5 Model B Rev 1.0", "pi5"},
		{"Raspberry Pi 500 Rev 1.0", "pi5"},
		{"Raspberry Pi Compute Module 5 Rev 1.0", "pi5"},
		{"Raspberry Pi 4 Model B Rev 1.4", "pi4"},
		{"Raspberry Pi 4 Model B Rev 1.5", "pi4"},
		{"Raspberry Pi 400 Rev 1.0", "pi4"},
		{"Raspberry Pi Compute Module 4 Rev 1.0", "pi4"},
		{"Raspberry Pi 3 Model B Rev 1.2", "pi3"},
		{"Raspberry Pi 3 Model B Plus Rev 1.3", "pi3"},
		{"Raspberry Pi 3 Model A Plus Rev 1.0", "pi3"},
		{"Raspberry Pi Zero 2 W Rev 1.0", "pi-zero-2w"},
		/* unsupported boards fall back to the generic profile */
		{"Raspberry Pi Model B Rev 2", "pc"},
		{"Raspberry Pi Zero W Rev 1.1", "pc"},
		{"Pine64 RockPro64 v2.1", "pc"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *id = pick(cases[i].model);
		if (strcmp(id, cases[i].id) != 0)
			TEST_FAIL_("\"%s\" picked %s, expected %s", cases[i].model, id, cases[i].id);
		free(id);
	}
}

TEST(no_device_tree_is_a_pc)
{
	char path[128];
	snprintf(path, sizeof path, "%s/does-not-exist", tmpdir);
	CHECK(board_read_model(path) == NULL);
	char *err = NULL;
	board_t *b = board_match("boards", NULL, &err);
	CHECK(b);
	CHECK_STR(b->id, "pc");
	board_free(b);
	b = board_select("boards", "auto", path);
	CHECK_STR(b->id, "pc");
	board_free(b);
}

TEST(read_model_cleans_the_string)
{
	char *m = board_read_model(model_file("  Raspberry Pi 4 Model B Rev 1.4\n"));
	CHECK_STR(m, "Raspberry Pi 4 Model B Rev 1.4");
	free(m);
	/* control characters are dropped, and the string stops at the NUL */
	char path[128];
	snprintf(path, sizeof path, "%s/model2", tmpdir);
	static const char dirty[] = "Raspberry\x1b[2J Pi\0junk";
	write_file(path, dirty, sizeof dirty - 1);
	m = board_read_model(path);
	CHECK_STR(m, "Raspberry[2J Pi");
	free(m);
	/* long strings are cut at 127 bytes */
	char big[300];
	memset(big, 'x', sizeof big);
	write_file(path, big, sizeof big);
	m = board_read_model(path);
	CHECK(m);
	CHECK_INT(strlen(m), 127);
	free(m);
	write_file(path, "\0", 1);
	CHECK(board_read_model(path) == NULL);
}

TEST(longest_pattern_wins_over_file_order)
{
	char dir[128], path[160];
	snprintf(dir, sizeof dir, "%s/boards", tmpdir);
	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%s/a-any-pi.conf", dir);
	write_file(path, "match = Raspberry Pi*\n", 22);
	snprintf(path, sizeof path, "%s/z-pi4.conf", dir);
	write_file(path, "match = Raspberry Pi 4 *\nmatch = nothing\n", 41);
	snprintf(path, sizeof path, "%s/broken.conf", dir);
	write_file(path, "colour = red\n", 13);
	char *err = NULL;
	board_t *b = board_match(dir, "Raspberry Pi 4 Model B Rev 1.1", &err);
	CHECK(b);
	CHECK_STR(b->id, "z-pi4");
	CHECK_STR(b->name, "z-pi4");
	board_free(b);
	b = board_match(dir, "Raspberry Pi 3 Model B Rev 1.2", &err);
	CHECK(b);
	CHECK_STR(b->id, "a-any-pi");
	board_free(b);
	b = board_match(dir, "ODROID-C4", &err);
	CHECK(b == NULL);
	char want[256];
	snprintf(want, sizeof want, "%s: no board profile matches the model \"ODROID-C4\"", dir);
	CHECK_STR(err, want);
	free(err);
	CHECK(board_match("/nonexistent", "x", &err) == NULL);
	CHECK_STR(err, "/nonexistent: cannot read the board profiles: No such file or directory");
	free(err);
}

TEST(parse_errors)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"match = *\ncolour = red\n", "t:2: colour: unknown key"},
		{"match = *\nrotate = 45\n", "t:2: rotate: 45: rotate must be 0, 90, 180 or 270"},
		{"match = *\nrotate = 360\n", "t:2: rotate: 360 is out of range (0..270)"},
		{"match = *\ntexture_budget_mb = lots\n", "t:2: texture_budget_mb: \"lots\" is not a whole number"},
		{"match = *\ntexture_budget_mb = 99999999999999999999\n",
		 "t:2: texture_budget_mb: \"99999999999999999999\" is not a whole number"},
		{"# comment\n; comment\n\nmatch = *\njust words\n", "t:5: expected \"key = value\""},
		{"name = x\n", "t: no \"match =\" line"},
		{"match =\n", "t:1: match: empty pattern"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *err = NULL;
		board_t *b = board_parse(cases[i].text, strlen(cases[i].text), "t", &err);
		if (b) {
			TEST_FAIL_("case %zu parsed", i);
			board_free(b);
			continue;
		}
		if (strcmp(err, cases[i].msg) != 0)
			TEST_FAIL_("case %zu: got \"%s\", expected \"%s\"", i, err, cases[i].msg);
		free(err);
	}
	char *err = NULL;
	CHECK(board_parse("match = *\0x", 11, "t", &err) == NULL);
	CHECK_STR(err, "t: NUL byte in profile");
	free(err);
	/* CRLF line endings and spaces are fine */
	const char *crlf = "match = x*\r\n  rotate=90 \r\n";
	board_t *b = board_parse(crlf, strlen(crlf), "t", &err);
	CHECK(b);
	CHECK_INT(b->rotate, 90);
	board_free(b);
}

TEST(load_errors)
{
	char *err = NULL;
	CHECK(board_load("boards", "pi9", &err) == NULL);
	CHECK_STR(err, "boards/pi9.conf: cannot read: No such file or directory");
	free(err);
	CHECK(board_load("boards", "../etc/passwd", &err) == NULL);
	CHECK_STR(err, "\"../etc/passwd\" is not a board profile name (letters, digits, - and _)");
	free(err);
	char path[160];
	snprintf(path, sizeof path, "%s/huge.conf", tmpdir);
	char *big = calloc(20000, 1);
	memset(big, '#', 19999);
	write_file(path, big, 19999);
	free(big);
	CHECK(board_load(tmpdir, "huge", &err) == NULL);
	char want[200];
	snprintf(want, sizeof want, "%s/huge.conf: cannot read: larger than 16 KiB", tmpdir);
	CHECK_STR(err, want);
	free(err);
}

TEST(select_logs_and_falls_back)
{
	char logpath[128];
	snprintf(logpath, sizeof logpath, "%s/log", tmpdir);
	FILE *lf = fopen(logpath, "w+");
	CHECK(lf);
	log_set_fd(fileno(lf));
	board_t *b = board_select("boards", "pi9", "/nonexistent");
	log_set_fd(-1);
	CHECK_STR(b->id, "generic");
	CHECK(b->video_driver == NULL);
	board_free(b);
	char buf[512] = "";
	rewind(lf);
	size_t n = fread(buf, 1, sizeof buf - 1, lf);
	buf[n] = '\0';
	fclose(lf);
	CHECK(strstr(buf, "board: boards/pi9.conf: cannot read: No such file or directory; "
	                  "using generic defaults") != NULL);

	b = board_select("boards", "pi3", "/nonexistent");
	CHECK_STR(b->id, "pi3");
	board_free(b);
	b = board_select("boards", NULL, model_file("Raspberry Pi 5 Model B Rev 1.0"));
	CHECK_STR(b->id, "pi5");
	board_free(b);
}

TEST(drm_card_resolves_through_symlinks)
{
	char card[160], bypath[160], link[200];
	snprintf(card, sizeof card, "%s/card2", tmpdir);
	write_file(card, "", 0);
	snprintf(bypath, sizeof bypath, "%s/by-path", tmpdir);
	mkdir(bypath, 0755);
	snprintf(link, sizeof link, "%s/platform-axi:gpu-card", bypath);
	unlink(link);
	CHECK(symlink("../card2", link) == 0);

	board_t *b = board_new_default();
	CHECK_INT(board_drm_index(b), -1);
	b->drm_card = strdup(link);
	CHECK_INT(board_drm_index(b), 2);
	/* a missing link falls back to drm_device_index */
	free(b->drm_card);
	b->drm_card = strdup("/nonexistent/platform-axi:gpu-card");
	b->drm_device_index = 1;
	CHECK_INT(board_drm_index(b), 1);
	/* a link to something that is not cardN is ignored */
	free(b->drm_card);
	b->drm_card = strdup(bypath);
	CHECK_INT(board_drm_index(b), 1);
	board_free(b);
}

TEST(export_env_respects_the_person)
{
	unsetenv("SDL_VIDEODRIVER");
	unsetenv("SDL_RENDER_DRIVER");
	unsetenv("SDL_KMSDRM_DEVICE_INDEX");
	setenv("SDL_RENDER_DRIVER", "software", 1);
	char *err = NULL;
	board_t *b = board_load("boards", "pi4", &err);
	CHECK(b);
	free(b->drm_card);
	b->drm_card = NULL;
	b->drm_device_index = 1;
	board_export_env(b);
	CHECK_STR(getenv("SDL_VIDEODRIVER"), "kmsdrm");
	CHECK_STR(getenv("SDL_RENDER_DRIVER"), "software");
	CHECK_STR(getenv("SDL_KMSDRM_DEVICE_INDEX"), "1");
	board_free(b);
	unsetenv("SDL_VIDEODRIVER");
	unsetenv("SDL_KMSDRM_DEVICE_INDEX");
	b = board_load("boards", "pc", &err);
	CHECK(b);
	board_export_env(b);
	CHECK(getenv("SDL_VIDEODRIVER") == NULL);
	CHECK(getenv("SDL_KMSDRM_DEVICE_INDEX") == NULL);
	board_free(b);
}

int main(void)
{
	strcpy(tmpdir, "/tmp/balie-board-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	unsetenv("BALIE_BOARDS_DIR");
	RUN(shipped_profiles_parse);
	RUN(pi_profiles_have_the_expected_data);
	RUN(model_strings_pick_the_right_board);
	RUN(no_device_tree_is_a_pc);
	RUN(read_model_cleans_the_string);
	RUN(longest_pattern_wins_over_file_order);
	RUN(parse_errors);
	RUN(load_errors);
	RUN(select_logs_and_falls_back);
	RUN(drm_card_resolves_through_symlinks);
	RUN(export_env_respects_the_person);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return test_summary();
}
