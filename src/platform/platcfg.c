/*
 * platcfg: see platcfg.h.  Plain string and number keys are checked here;
 * [schedule] keys go to schedule_set(), which owns their syntax.
 */
#include "platcfg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../base/xmalloc.h"

#define MAX_PATH_LEN 4096

platcfg_t *platcfg_new(void)
{
	platcfg_t *pc = xcalloc(1, sizeof *pc);
	pc->power = SCREENPOWER_AUTO;
	pc->burnin_px = -1;
	pc->burnin_step_s = -1;
	pc->schedule = schedule_new();
	return pc;
}

void platcfg_free(platcfg_t *pc)
{
	if (!pc)
		return;
	free(pc->board_profile);
	free(pc->boards_dir);
	free(pc->cec_ctl);
	free(pc->cec_device);
	free(pc->cec_active_source);
	schedule_free(pc->schedule);
	free(pc);
}

platcfg_t *platcfg_copy(const platcfg_t *pc)
{
	platcfg_t *c = xmalloc(sizeof *c);
	*c = *pc;
	c->board_profile = xstrdup(pc->board_profile);
	c->boards_dir = xstrdup(pc->boards_dir);
	c->cec_ctl = xstrdup(pc->cec_ctl);
	c->cec_device = xstrdup(pc->cec_device);
	c->cec_active_source = xstrdup(pc->cec_active_source);
	c->schedule = schedule_copy(pc->schedule);
	return c;
}

bool platcfg_handles(const char *section)
{
	return section && (strcmp(section, "board") == 0 || strcmp(section, "screen") == 0 ||
	                   strcmp(section, "schedule") == 0);
}

static bool set_path(char **field, const char *v, bool allow_none, char **err)
{
	if (allow_none && strcmp(v, "none") == 0) {
		free(*field);
		*field = xstrdup("");
		return true;
	}
	if (v[0] != '/' || strlen(v) > MAX_PATH_LEN) {
		*err = xasprintf("\"%.60s\": expected an absolute path%s", v,
		                 allow_none ? " or none" : "");
		return false;
	}
	free(*field);
	*field = xstrdup(v);
	return true;
}

static bool set_int(int *field, const char *v, int min, int max, char **err)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (!*v || *end || errno || n < min || n > max) {
		*err = xasprintf("\"%.40s\": expected a whole number from %d to %d", v, min, max);
		return false;
	}
	*field = (int)n;
	return true;
}

/* "1.0.0.0": four hex digits 0-f separated by dots. */
static bool valid_phys_addr(const char *v)
{
	if (strlen(v) != 7)
		return false;
	for (int i = 0; i < 7; i++) {
		char c = v[i];
		bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		if (i % 2 ? c != '.' : !hex)
			return false;
	}
	return true;
}

static bool valid_profile(const char *v)
{
	if (!*v || strlen(v) > 64)
		return false;
	for (const char *p = v; *p; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		          (*p >= '0' && *p <= '9') || *p == '-' || *p == '_';
		if (!ok)
			return false;
	}
	return true;
}

bool platcfg_set(platcfg_t *pc, const char *section, const char *key, const char *value,
                 char **err)
{
	const char *v = value ? value : "";
	if (section && strcmp(section, "schedule") == 0)
		return schedule_set(pc->schedule, key, v, err);

	if (section && strcmp(section, "board") == 0) {
		if (strcmp(key, "profile") == 0) {
			if (!valid_profile(v)) {
				*err = xasprintf("\"%.40s\": expected auto or a profile name such as pi4 "
				                 "(letters, digits, - and _)", v);
				return false;
			}
			free(pc->board_profile);
			pc->board_profile = strcmp(v, "auto") == 0 ? NULL : xstrdup(v);
			return true;
		}
		if (strcmp(key, "dir") == 0)
			return set_path(&pc->boards_dir, v, false, err);
		*err = xstrdup("unknown key (expected profile or dir)");
		return false;
	}

	if (section && strcmp(section, "screen") == 0) {
		if (strcmp(key, "power") == 0) {
			if (!screenpower_parse_mode(v, &pc->power)) {
				*err = xasprintf("\"%.40s\": expected auto, cec, blank or none", v);
				return false;
			}
			return true;
		}
		if (strcmp(key, "cec_device") == 0)
			return set_path(&pc->cec_device, v, true, err);
		if (strcmp(key, "cec_ctl") == 0)
			return set_path(&pc->cec_ctl, v, false, err);
		if (strcmp(key, "cec_active_source") == 0) {
			if (!valid_phys_addr(v)) {
				*err = xasprintf("\"%.40s\": expected an HDMI physical address such as 1.0.0.0", v);
				return false;
			}
			free(pc->cec_active_source);
			pc->cec_active_source = xstrdup(v);
			return true;
		}
		if (strcmp(key, "burnin_px") == 0)
			return set_int(&pc->burnin_px, v, 0, 64, err);
		if (strcmp(key, "burnin_step_s") == 0)
			return set_int(&pc->burnin_step_s, v, 1, 86400, err);
		*err = xstrdup("unknown key (expected power, cec_device, cec_ctl, cec_active_source, "
		               "burnin_px or burnin_step_s)");
		return false;
	}
	*err = xasprintf("section [%.40s] is not a platform section", section ? section : "");
	return false;
}

void platcfg_screenpower_opts(const platcfg_t *pc, const board_t *b, screenpower_opts_t *out)
{
	memset(out, 0, sizeof *out);
	out->mode = pc->power;
	out->cec_ctl = pc->cec_ctl;
	if (pc->cec_device)
		out->cec_device = *pc->cec_device ? pc->cec_device : NULL;
	else
		out->cec_device = b ? b->cec_device : NULL;
	out->active_source = pc->cec_active_source;
}

int platcfg_burnin_px(const platcfg_t *pc, const board_t *b)
{
	if (pc->burnin_px >= 0)
		return pc->burnin_px;
	return b ? b->burnin_px : 8;
}

int platcfg_burnin_step_s(const platcfg_t *pc, const board_t *b)
{
	if (pc->burnin_step_s >= 1)
		return pc->burnin_step_s;
	return b ? b->burnin_step_s : 120;
}
