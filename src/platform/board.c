/*
 * board: see board.h.  A tiny table-driven parser: each known key names its
 * kind (string, int with bounds, repeatable glob) and its field.  Matching
 * reads every *.conf in the directory (there are a handful) and keeps the
 * profile with the longest glob that fits the model string.
 */
/* 32-bit userland on a 64-bit kernel (Pi OS armhf on a Pi 4/5): without
 * 64-bit offsets readdir() fails with EOVERFLOW on ext4's 64-bit directory
 * cookies, and no profile would ever be found. */
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif
#include "board.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../base/fsio.h"
#include "../base/log.h"
#include "../base/xmalloc.h"

#define MAX_FILE (16 * 1024)
#define MAX_MODEL 127
#define MAX_STR 256
#define MAX_MATCH 32

#ifndef BALIE_DATADIR
#define BALIE_DATADIR "/usr/local/share/balie"
#endif

board_t *board_new_default(void)
{
	board_t *b = xcalloc(1, sizeof *b);
	b->id = xstrdup("generic");
	b->name = xstrdup("generic");
	b->drm_device_index = -1;
	b->texture_budget_mb = 256;
	b->cache_budget_mb = 256;
	b->max_texture = 4096;
	b->burnin_px = 8;
	b->burnin_step_s = 120;
	return b;
}

void board_free(board_t *b)
{
	if (!b)
		return;
	free(b->id);
	free(b->name);
	for (size_t i = 0; i < b->n_match; i++)
		free(b->match[i]);
	free(b->match);
	free(b->video_driver);
	free(b->render_driver);
	free(b->cec_device);
	free(b->drm_card);
	free(b);
}

enum kind { K_STR, K_INT, K_MATCH };

static const struct key {
	const char *name;
	enum kind kind;
	size_t off;
	int min, max;
} keys[] = {
	{"name", K_STR, offsetof(board_t, name), 0, 0},
	{"match", K_MATCH, 0, 0, 0},
	{"video_driver", K_STR, offsetof(board_t, video_driver), 0, 0},
	{"render_driver", K_STR, offsetof(board_t, render_driver), 0, 0},
	{"cec_device", K_STR, offsetof(board_t, cec_device), 0, 0},
	{"drm_card", K_STR, offsetof(board_t, drm_card), 0, 0},
	{"drm_device_index", K_INT, offsetof(board_t, drm_device_index), -1, 15},
	{"texture_budget_mb", K_INT, offsetof(board_t, texture_budget_mb), 8, 65536},
	{"cache_budget_mb", K_INT, offsetof(board_t, cache_budget_mb), 8, 65536},
	{"max_texture", K_INT, offsetof(board_t, max_texture), 256, 65536},
	{"width", K_INT, offsetof(board_t, width), 0, 16384},
	{"height", K_INT, offsetof(board_t, height), 0, 16384},
	{"rotate", K_INT, offsetof(board_t, rotate), 0, 270},
	{"burnin_px", K_INT, offsetof(board_t, burnin_px), 0, 64},
	{"burnin_step_s", K_INT, offsetof(board_t, burnin_step_s), 1, 86400},
};

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Set one key; returns NULL or an error message (caller frees). */
static char *set_key(board_t *b, const char *k, const char *v)
{
	const struct key *key = NULL;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(keys[i].name, k) == 0)
			key = &keys[i];
	if (!key)
		return xstrdup("unknown key");
	if (strlen(v) > MAX_STR)
		return xasprintf("value too long (at most %d bytes)", MAX_STR);
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20)
			return xstrdup("control character in value");

	switch (key->kind) {
	case K_STR: {
		char **field = (char **)((char *)b + key->off);
		free(*field);
		*field = *v ? xstrdup(v) : NULL;
		return NULL;
	}
	case K_MATCH:
		if (!*v)
			return xstrdup("empty pattern");
		if (b->n_match == MAX_MATCH)
			return xasprintf("too many match lines (at most %d)", MAX_MATCH);
		b->match = xrealloc(b->match, (b->n_match + 1) * sizeof *b->match);
		b->match[b->n_match++] = xstrdup(v);
		return NULL;
	case K_INT: {
		char *end;
		errno = 0;
		long n = strtol(v, &end, 10);
		if (!*v || *end || errno)
			return xasprintf("\"%.40s\" is not a whole number", v);
		if (n < key->min || n > key->max)
			return xasprintf("%ld is out of range (%d..%d)", n, key->min, key->max);
		if (key->off == offsetof(board_t, rotate) && n % 90 != 0)
			return xasprintf("%ld: rotate must be 0, 90, 180 or 270", n);
		*(int *)((char *)b + key->off) = (int)n;
		return NULL;
	}
	}
	return xstrdup("unknown key kind");
}

board_t *board_parse(const char *text, size_t len, const char *id, char **err)
{
	board_t *b = board_new_default();
	free(b->id);
	free(b->name);
	b->id = xstrdup(id);
	b->name = NULL;

	char *buf = xstrndup(text, len);
	if (strlen(buf) != len) {
		*err = xasprintf("%s: NUL byte in profile", id);
		goto fail;
	}
	int lineno = 0;
	char *save = NULL;
	for (char *line = buf; line; line = save) {
		char *nl = strchr(line, '\n');
		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		char *s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			*err = xasprintf("%s:%d: expected \"key = value\"", id, lineno);
			goto fail;
		}
		*eq = '\0';
		char *k = trim(s), *v = trim(eq + 1);
		char *msg = set_key(b, k, v);
		if (msg) {
			*err = xasprintf("%s:%d: %.40s: %s", id, lineno, k, msg);
			free(msg);
			goto fail;
		}
	}
	if (b->n_match == 0) {
		*err = xasprintf("%s: no \"match =\" line", id);
		goto fail;
	}
	if (!b->name)
		b->name = xstrdup(id);
	free(buf);
	return b;
fail:
	free(buf);
	board_free(b);
	return NULL;
}

static bool valid_id(const char *id)
{
	if (!id || !*id || strlen(id) > 64)
		return false;
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return false;
	return true;
}

board_t *board_load(const char *dir, const char *id, char **err)
{
	if (!valid_id(id)) {
		*err = xasprintf("\"%.64s\" is not a board profile name (letters, digits, - and _)",
		                 id ? id : "");
		return NULL;
	}
	char *path = xasprintf("%s/%s.conf", dir, id);
	size_t len;
	char *text = fsio_read_file(path, MAX_FILE, &len);
	if (!text) {
		*err = xasprintf("%s: cannot read: %s", path,
		                 errno == EFBIG ? "larger than 16 KiB" : strerror(errno));
		free(path);
		return NULL;
	}
	board_t *b = board_parse(text, len, id, err);
	free(text);
	free(path);
	return b;
}

char *board_read_model(const char *model_path)
{
	FILE *f = fopen(model_path, "rb");
	if (!f)
		return NULL;
	char raw[MAX_MODEL + 1];
	size_t n = fread(raw, 1, MAX_MODEL, f);
	fclose(f);
	char out[MAX_MODEL + 1];
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)raw[i];
		if (c == '\0')
			break; /* device-tree strings end with NUL */
		if (c < 0x20 || c == 0x7f)
			continue;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	char *t = trim(out);
	return *t ? xstrdup(t) : NULL;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

board_t *board_match(const char *dir, const char *model, char **err)
{
	DIR *d = opendir(dir);
	if (!d) {
		*err = xasprintf("%s: cannot read the board profiles: %s", dir, strerror(errno));
		return NULL;
	}
	/* sorted ids, so ties between equally long patterns are deterministic */
	char **ids = NULL;
	size_t n_ids = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l <= 5 || strcmp(de->d_name + l - 5, ".conf") != 0)
			continue;
		char *id = xstrndup(de->d_name, l - 5);
		if (!valid_id(id)) {
			free(id);
			continue;
		}
		XGROW(ids, cap, n_ids + 1);
		ids[n_ids++] = id;
	}
	closedir(d);
	if (n_ids)
		qsort(ids, n_ids, sizeof *ids, name_cmp);

	const char *m = model ? model : "";
	board_t *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < n_ids; i++) {
		char *perr = NULL;
		board_t *b = board_load(dir, ids[i], &perr);
		if (!b) {
			log_warn("board", "skipping profile %s", perr);
			free(perr);
			continue;
		}
		size_t len = 0;
		bool hit = false;
		for (size_t j = 0; j < b->n_match; j++) {
			if (fnmatch(b->match[j], m, 0) == 0 && (!hit || strlen(b->match[j]) > len)) {
				hit = true;
				len = strlen(b->match[j]);
			}
		}
		if (hit && (!best || len > best_len)) {
			board_free(best);
			best = b;
			best_len = len;
		} else
			board_free(b);
	}
	for (size_t i = 0; i < n_ids; i++)
		free(ids[i]);
	free(ids);
	if (!best)
		*err = xasprintf("%s: no board profile matches the model \"%s\"", dir,
		                 model ? model : "(no device tree)");
	return best;
}

board_t *board_select(const char *dir, const char *profile, const char *model_path)
{
	char *err = NULL;
	board_t *b;
	if (!profile || !*profile || strcmp(profile, "auto") == 0) {
		char *model = board_read_model(model_path);
		b = board_match(dir, model, &err);
		if (b)
			log_info("board", "model \"%s\": using board profile %s (%s)",
			         model ? model : "(no device tree)", b->id, b->name);
		free(model);
	} else {
		b = board_load(dir, profile, &err);
		if (b)
			log_info("board", "using board profile %s (%s) from the configuration", b->id, b->name);
	}
	if (!b) {
		log_warn("board", "%s; using generic defaults", err);
		free(err);
		b = board_new_default();
	}
	return b;
}

const char *board_default_dir(void)
{
	const char *env = getenv("BALIE_BOARDS_DIR");
	if (env && *env)
		return env;
	struct stat st;
	if (stat(BALIE_DATADIR "/boards", &st) == 0 && S_ISDIR(st.st_mode))
		return BALIE_DATADIR "/boards";
	return "boards";
}

int board_drm_index(const board_t *b)
{
	if (b->drm_card) {
		char *real = realpath(b->drm_card, NULL);
		if (real) {
			const char *base = strrchr(real, '/');
			base = base ? base + 1 : real;
			char *end;
			long n = -1;
			if (strncmp(base, "card", 4) == 0 && base[4] >= '0' && base[4] <= '9') {
				n = strtol(base + 4, &end, 10);
				if (*end || n > 63)
					n = -1;
			}
			free(real);
			if (n >= 0)
				return (int)n;
		}
	}
	return b->drm_device_index;
}

void board_export_env(const board_t *b)
{
	if (b->video_driver)
		setenv("SDL_VIDEODRIVER", b->video_driver, 0);
	if (b->render_driver)
		setenv("SDL_RENDER_DRIVER", b->render_driver, 0);
	int idx = board_drm_index(b);
	if (idx >= 0) {
		char buf[16];
		snprintf(buf, sizeof buf, "%d", idx);
		setenv("SDL_KMSDRM_DEVICE_INDEX", buf, 0);
	}
}
