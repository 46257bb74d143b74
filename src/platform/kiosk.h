/*
 * kiosk: the platform duties of the screen's main loop, in one object.
 *
 * The loop calls kiosk_tick() at every wake-up.  It kicks the systemd
 * watchdog (so a hung loop gets restarted), applies the opening hours
 * (HDMI-CEC standby through an asynchronous cec-ctl, or blanking), and tells
 * the loop the burn-in drift offset and the latest time it must wake up
 * again.  Pure logic over the monotonic and wall clocks passed in; no SDL,
 * so tests drive it with a fake clock.
 */
#ifndef BALIE_KIOSK_H
#define BALIE_KIOSK_H

#include <stdbool.h>
#include <stdint.h>

#include "board.h"
#include "platcfg.h"

typedef struct kiosk kiosk_t;

/* pc and b are read now (strings copied); b may be NULL (generic board). */
kiosk_t *kiosk_new(const platcfg_t *pc, const board_t *b);
void kiosk_free(kiosk_t *k);

/* Use new settings (SIGHUP).  The schedule is copied. */
void kiosk_reconfigure(kiosk_t *k, const platcfg_t *pc, const board_t *b);

/* One wake-up of the main loop: watchdog, screen power.  Returns true when
 * what the screen must show changed (blanking on/off or a drift step), so the
 * loop redraws. */
bool kiosk_tick(kiosk_t *k, int64_t mono_ms, int64_t wall, bool clock_good);

/* The screen must show black (outside opening hours). */
bool kiosk_blanked(const kiosk_t *k);

/* Burn-in drift of the whole picture at mono_ms, in pixels. */
void kiosk_offset(const kiosk_t *k, int64_t mono_ms, int *dx, int *dy);

/* Milliseconds until the loop must call kiosk_tick() again (watchdog, next
 * schedule check, next drift step); -1 when nothing is due. */
int64_t kiosk_timeout_ms(const kiosk_t *k, int64_t mono_ms);

#endif
