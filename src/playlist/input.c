/*
 * input: a small table of allowed keys, and one exact match for quitting.
 * See input.h.  Everything not listed does nothing: a kiosk whitelists.
 */
#include "input.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LONG_PRESS_MS 700

static const struct {
	const char *key;
	input_action_t action;
} keys[] = {
	{ "Right", INPUT_NEXT },   { "Down", INPUT_NEXT }, { "PageDown", INPUT_NEXT },
	{ "Left", INPUT_PREV },    { "Up", INPUT_PREV },   { "PageUp", INPUT_PREV },
	{ "Space", INPUT_PAUSE },
};

const char *input_action_name(input_action_t a)
{
	switch (a) {
	case INPUT_NONE: return "none";
	case INPUT_NEXT: return "next";
	case INPUT_PREV: return "previous";
	case INPUT_PAUSE: return "pause";
	case INPUT_QUIT: return "quit";
	}
	return "?";
}

static void set_default(input_quit_t *q)
{
	snprintf(q->key, sizeof q->key, "Q");
	q->mods = INPUT_CTRL | INPUT_ALT | INPUT_SHIFT;
}

bool input_parse_quit(const char *spec, input_quit_t *out)
{
	set_default(out);
	if (!spec || !*spec)
		return true;
	input_quit_t q = { .key = "", .mods = 0 };
	const char *p = spec;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, "+");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		char tok[32];
		if (n == 0 || n >= sizeof tok)
			return false;
		memcpy(tok, p, n);
		tok[n] = '\0';
		if (!strcasecmp(tok, "ctrl") || !strcasecmp(tok, "control"))
			q.mods |= INPUT_CTRL;
		else if (!strcasecmp(tok, "alt"))
			q.mods |= INPUT_ALT;
		else if (!strcasecmp(tok, "shift"))
			q.mods |= INPUT_SHIFT;
		else if (!strcasecmp(tok, "super") || !strcasecmp(tok, "gui") || !strcasecmp(tok, "meta") ||
		         !strcasecmp(tok, "win"))
			q.mods |= INPUT_SUPER;
		else if (q.key[0] || n >= sizeof q.key)
			return false; /* two keys, or a name no key has */
		else
			memcpy(q.key, tok, n + 1);
		p += strcspn(p, "+");
		if (!*p)
			break;
		p++;
	}
	if (!q.key[0] || !q.mods)
		return false;
	*out = q;
	return true;
}

input_action_t input_key(const input_quit_t *quit, const char *key, unsigned mods, bool windowed,
                         bool repeat)
{
	if (!key || !*key || repeat)
		return INPUT_NONE;
	mods &= INPUT_CTRL | INPUT_ALT | INPUT_SHIFT | INPUT_SUPER;
	if (quit && quit->key[0] && strcasecmp(key, quit->key) == 0 && mods == quit->mods)
		return INPUT_QUIT;
	if (windowed && mods == 0 && strcasecmp(key, "Escape") == 0)
		return INPUT_QUIT;
	/* navigation only without Ctrl, Alt or Super: those combinations belong
	 * to the desktop or the console (Ctrl+Alt+Left, Alt+Tab, Super) */
	if (mods & ~(unsigned)INPUT_SHIFT)
		return INPUT_NONE;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcasecmp(key, keys[i].key) == 0)
			return keys[i].action;
	return INPUT_NONE;
}

input_action_t input_tap(double x, double w, uint32_t held_ms)
{
	if (held_ms >= LONG_PRESS_MS)
		return INPUT_PAUSE;
	return x >= w / 2.0 ? INPUT_NEXT : INPUT_PREV;
}

bool input_close_quits(bool windowed)
{
	return windowed;
}
