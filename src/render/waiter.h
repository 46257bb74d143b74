/*
 * waiter: how the screen's main loop sleeps until its next deadline or an
 * event.
 *
 * SDL_WaitEventTimeout() sleeps in the kernel only when the video driver has
 * a wait function of its own; in SDL 2.26 that is x11, wayland, windows and
 * cocoa.  With every other driver (dummy, offscreen, and KMSDRM on a Pi
 * console) SDL loops over SDL_PumpEvents() and SDL_Delay(1): about 900
 * wake-ups a second while nothing happens.  For those drivers the waiter
 * sleeps in poll() itself, on
 *   - an eventfd that every other thread writes after its SDL_PushEvent()
 *     (waiter_pushed()) and that signal handlers write (waiter_poke()),
 *   - the input devices (input_dir/event*), opened read-only only to learn
 *     that something arrived: SDL reads its own copy of every input event in
 *     SDL_PumpEvents(); what the waiter reads is thrown away.  inotify on the
 *     directory picks up devices plugged in later,
 * and calls SDL_PumpEvents()/SDL_PollEvent() only when it wakes.  With a
 * driver that has a real wait, SDL_WaitEventTimeout() is used, and a small
 * thread turns waiter_poke() into an SDL event.
 *
 * BALIE_EVENT_WAIT=sdl or =poll in the environment overrides the choice (for
 * measurements and for a driver this table does not know).
 */
#ifndef BALIE_WAITER_H
#define BALIE_WAITER_H

#include <SDL.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
	WAITER_SDL,  /* SDL_WaitEventTimeout(): the driver sleeps in the kernel */
	WAITER_POLL, /* poll() on the waiter's own descriptors */
} waiter_mode_t;

/* The way to wait for SDL video driver `driver` (SDL_GetCurrentVideoDriver(),
 * may be NULL), after BALIE_EVENT_WAIT.  *input_dir is set to the directory
 * of input devices to watch ("/dev/input" for drivers that read evdev
 * themselves, such as KMSDRM), or NULL when input needs no watching (SDL
 * mode, dummy, offscreen).  A static string, not owned. */
waiter_mode_t waiter_mode_for(const char *driver, const char **input_dir);

typedef struct waiter waiter_t;

/* The one waiter of the process (SDL video initialised, main thread).
 * wake_event: an SDL event type that waiter_poke() produces in SDL mode.
 * input_dir: see waiter_mode_for() (WAITER_POLL only; NULL = none).  Returns
 * NULL only when the eventfd or, in SDL mode, its thread cannot be made
 * (logged); the caller then falls back to SDL_WaitEventTimeout().  Free with
 * waiter_free(). */
waiter_t *waiter_new(waiter_mode_t mode, uint32_t wake_event, const char *input_dir);
void waiter_free(waiter_t *w);

/* Wait at most timeout_ms real milliseconds (-1: until something happens)
 * for an SDL event.  1 with *ev filled; 0 on timeout or when woken without
 * an SDL event (waiter_poke(), input that SDL turned into nothing). */
int waiter_wait(waiter_t *w, int timeout_ms, SDL_Event *ev);

/* Wake the waiting loop.  Async-signal-safe and thread-safe; a no-op while
 * no waiter exists. */
void waiter_poke(void);

/* Call after SDL_PushEvent() from a thread other than the main one, so that
 * a loop sleeping in poll() sees the event at once.  Thread-safe; a no-op in
 * SDL mode and while no waiter exists. */
void waiter_pushed(void);

waiter_mode_t waiter_mode(const waiter_t *w);
/* Input devices being watched now. */
size_t waiter_inputs(const waiter_t *w);

#endif
