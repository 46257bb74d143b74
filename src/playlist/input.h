/*
 * input: what a key press or a touch may do on the lobby screen.
 *
 * The screen stands in a public hall; a keyboard may be plugged in, the
 * panel may be a touch screen.  Whatever is pressed, the only effects are
 * next, previous and pause, plus quitting with the one configured
 * combination (display.quit_keys, all its modifiers and no others).  In the
 * kiosk (full screen) nothing else quits: not Escape, not Alt+F4 or the
 * window manager's close, not Ctrl+C (a key press, not a signal, under SDL).
 * With --windowed, Escape and closing the window quit too (a desktop test).
 *
 * Pure: keys are named as SDL_GetKeyName() names them ("Q", "Right",
 * "Escape", "F4"), modifiers are INPUT_* bits, so unit tests need no SDL.
 */
#ifndef BALIE_INPUT_H
#define BALIE_INPUT_H

#include <stdbool.h>
#include <stdint.h>

typedef enum { INPUT_NONE, INPUT_NEXT, INPUT_PREV, INPUT_PAUSE, INPUT_QUIT } input_action_t;

/* Modifier bits (left or right key alike). */
enum { INPUT_CTRL = 1, INPUT_ALT = 2, INPUT_SHIFT = 4, INPUT_SUPER = 8 };

/* The quit combination: a key name and the exact modifiers. */
typedef struct {
	char key[24];
	unsigned mods;
} input_quit_t;

/* Parse display.quit_keys ("ctrl+alt+shift+q": modifiers ctrl/control, alt,
 * shift, super/gui/meta/win, then one key name).  NULL or "" gives the
 * default ctrl+alt+shift+q.  Returns false, and sets the default, when the
 * text names no key or no modifier (a bare key would quit on one press). */
bool input_parse_quit(const char *spec, input_quit_t *out);

/* Short name of an action for logs ("next", ...); static. */
const char *input_action_name(input_action_t a);

/* What a key press does.  key: SDL_GetKeyName() of the key (may be NULL or
 * ""); mods: INPUT_* bits held; windowed: --windowed; repeat: an auto-repeat
 * of a held key (repeats never quit, pause or skip). */
input_action_t input_key(const input_quit_t *quit, const char *key, unsigned mods, bool windowed,
                         bool repeat);

/* A tap at logical x on a screen w wide, held held_ms: a long press pauses,
 * the right half is next, the left half previous. */
input_action_t input_tap(double x, double w, uint32_t held_ms);

/* The window's close button or the window manager's Alt+F4 (SDL_QUIT):
 * true when it quits, which is only with --windowed. */
bool input_close_quits(bool windowed);

#endif
