/*
 * platcfg: the [board], [screen] and [schedule] sections of balie.conf.
 *
 * The configuration parser (src/config/) owns the file format; it hands
 * every key of these three sections to platcfg_set() and keeps the result in
 * its config.  Keeping the keys here means the platform modules define their
 * own settings and messages, and a reload parses into a fresh platcfg_t that
 * replaces the old one only when the whole file is valid.
 *
 *   [board]
 *   profile = auto            auto (from /proc/device-tree/model) or a file
 *                             name in the boards directory: pi4, pi5, pc, ...
 *   dir = /etc/balie/boards   where the profiles live (default: installed ones)
 *
 *   [screen]
 *   power = auto              auto | cec | blank | none
 *   cec_device = /dev/cec0    default: the board profile's; "none" = no CEC
 *   cec_ctl = /usr/bin/cec-ctl
 *   cec_active_source = 1.0.0.0   announce this HDMI address on wake (optional)
 *   burnin_px = 8             default: the board profile's; 0 = no drift
 *   burnin_step_s = 120
 *
 *   [schedule]                see schedule.h
 *   weekdays = 08:30-17:00
 *   saturday = 09:00-12:00
 *   2026-12-25 = closed
 *   trust_clock = no
 */
#ifndef BALIE_PLATCFG_H
#define BALIE_PLATCFG_H

#include <stdbool.h>

#include "board.h"
#include "schedule.h"
#include "screenpower.h"

typedef struct platcfg {
	char *board_profile;      /* NULL = auto */
	char *boards_dir;         /* NULL = board_default_dir() */
	screenpower_mode_t power; /* SCREENPOWER_AUTO */
	char *cec_ctl;            /* NULL = /usr/bin/cec-ctl */
	char *cec_device;         /* NULL = the board's; "" = none */
	char *cec_active_source;  /* NULL = none */
	int burnin_px;            /* -1 = the board's */
	int burnin_step_s;        /* -1 = the board's */
	schedule_t *schedule;     /* never NULL; always open by default */
} platcfg_t;

/* Defaults as described above.  Caller frees with platcfg_free(). */
platcfg_t *platcfg_new(void);
void platcfg_free(platcfg_t *pc);
/* Deep copy.  Caller frees. */
platcfg_t *platcfg_copy(const platcfg_t *pc);

/* True for the sections handled here: "board", "screen", "schedule". */
bool platcfg_handles(const char *section);

/* Set one key of one of those sections.  On error returns false, leaves pc
 * as it was for that key and sets *err (caller frees) to a message without
 * file, line, section or key, which the caller prefixes ("unknown key",
 * "\"x\": expected auto, cec, blank or none", ...). */
bool platcfg_set(platcfg_t *pc, const char *section, const char *key, const char *value,
                 char **err);

/* Screen power options from the settings and the board profile; the strings
 * point into pc and b and live as long as both. */
void platcfg_screenpower_opts(const platcfg_t *pc, const board_t *b, screenpower_opts_t *out);

/* The burn-in drift to use: the setting, else the board's. */
int platcfg_burnin_px(const platcfg_t *pc, const board_t *b);
int platcfg_burnin_step_s(const platcfg_t *pc, const board_t *b);

#endif
