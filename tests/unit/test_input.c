/* The kiosk's keyboard and touch: next, previous, pause and the configured
 * quit combination, nothing else; the escapes people try do nothing. */
#include "../../src/playlist/input.h"
#include "test.h"

static input_quit_t def(void)
{
	input_quit_t q;
	input_parse_quit(NULL, &q);
	return q;
}

TEST(default_quit_is_ctrl_alt_shift_q_exactly)
{
	input_quit_t q = def();
	CHECK_STR(q.key, "Q");
	CHECK_INT(q.mods, INPUT_CTRL | INPUT_ALT | INPUT_SHIFT);
	CHECK_INT(input_key(&q, "Q", INPUT_CTRL | INPUT_ALT | INPUT_SHIFT, false, false), INPUT_QUIT);
	CHECK_INT(input_key(&q, "q", INPUT_CTRL | INPUT_ALT | INPUT_SHIFT, false, false), INPUT_QUIT);
	/* a subset or a superset of the modifiers is not the combination */
	CHECK_INT(input_key(&q, "Q", INPUT_CTRL | INPUT_ALT, false, false), INPUT_NONE);
	CHECK_INT(input_key(&q, "Q", INPUT_CTRL, false, false), INPUT_NONE);
	CHECK_INT(input_key(&q, "Q", 0, false, false), INPUT_NONE);
	CHECK_INT(input_key(&q, "Q", INPUT_CTRL | INPUT_ALT | INPUT_SHIFT | INPUT_SUPER, false, false), INPUT_NONE);
	/* a held key's repeats never act */
	CHECK_INT(input_key(&q, "Q", INPUT_CTRL | INPUT_ALT | INPUT_SHIFT, false, true), INPUT_NONE);
}

TEST(kiosk_escapes_do_nothing)
{
	input_quit_t q = def();
	static const struct {
		const char *key;
		unsigned mods;
	} tries[] = {
		{ "Escape", 0 },
		{ "F4", INPUT_ALT },                                  /* Alt+F4 */
		{ "C", INPUT_CTRL },                                  /* Ctrl+C */
		{ "D", INPUT_CTRL },                                  /* Ctrl+D */
		{ "Z", INPUT_CTRL },                                  /* Ctrl+Z */
		{ "\\", INPUT_CTRL },                                 /* Ctrl+\ */
		{ "Q", INPUT_CTRL },                                  /* Ctrl+Q */
		{ "W", INPUT_CTRL },                                  /* Ctrl+W */
		{ "Delete", INPUT_CTRL | INPUT_ALT },                 /* Ctrl+Alt+Del */
		{ "Backspace", INPUT_CTRL | INPUT_ALT },              /* Ctrl+Alt+Backspace */
		{ "F1", INPUT_CTRL | INPUT_ALT },                     /* Ctrl+Alt+F1: a console */
		{ "F2", INPUT_CTRL | INPUT_ALT },
		{ "T", INPUT_CTRL | INPUT_ALT },                      /* a terminal on desktops */
		{ "Tab", INPUT_ALT },                                 /* Alt+Tab */
		{ "Left", INPUT_CTRL | INPUT_ALT },                   /* switch workspace */
		{ "Right", INPUT_SUPER },
		{ "Left GUI", INPUT_SUPER },                          /* the Super key itself */
		{ "F2", INPUT_ALT },                                  /* run dialog */
		{ "SysReq", INPUT_ALT },
		{ "Return", 0 },
		{ "F11", 0 },
		{ "Menu", 0 },
		{ "Q", INPUT_ALT | INPUT_SHIFT },
		{ "", 0 },
	};
	for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
		input_action_t a = input_key(&q, tries[i].key, tries[i].mods, false, false);
		if (a != INPUT_NONE) {
			TEST_FAIL_("key \"%s\" with mods %u does %s in the kiosk", tries[i].key, tries[i].mods,
			           input_action_name(a));
			return;
		}
	}
	CHECK_INT(input_key(&q, NULL, 0, false, false), INPUT_NONE);
	CHECK(!input_close_quits(false)); /* the window manager's close, Alt+F4 on a desktop */
}

TEST(navigation_keys)
{
	input_quit_t q = def();
	CHECK_INT(input_key(&q, "Right", 0, false, false), INPUT_NEXT);
	CHECK_INT(input_key(&q, "Down", 0, false, false), INPUT_NEXT);
	CHECK_INT(input_key(&q, "PageDown", 0, false, false), INPUT_NEXT);
	CHECK_INT(input_key(&q, "Left", 0, false, false), INPUT_PREV);
	CHECK_INT(input_key(&q, "Up", 0, false, false), INPUT_PREV);
	CHECK_INT(input_key(&q, "PageUp", 0, false, false), INPUT_PREV);
	CHECK_INT(input_key(&q, "Space", 0, false, false), INPUT_PAUSE);
	CHECK_INT(input_key(&q, "Right", INPUT_SHIFT, false, false), INPUT_NEXT);
	/* repeats of a held arrow do not race through the posts */
	CHECK_INT(input_key(&q, "Right", 0, false, true), INPUT_NONE);
	CHECK_INT(input_key(&q, "Space", 0, false, true), INPUT_NONE);
}

TEST(windowed_adds_escape_and_close)
{
	input_quit_t q = def();
	CHECK_INT(input_key(&q, "Escape", 0, true, false), INPUT_QUIT);
	CHECK_INT(input_key(&q, "Escape", INPUT_CTRL, true, false), INPUT_NONE);
	CHECK_INT(input_key(&q, "F4", INPUT_ALT, true, false), INPUT_NONE); /* that is the WM's close */
	CHECK(input_close_quits(true));
	CHECK_INT(input_key(&q, "Right", 0, true, false), INPUT_NEXT);
}

TEST(configured_quit_keys)
{
	input_quit_t q;
	CHECK(input_parse_quit("ctrl+alt+F12", &q));
	CHECK_STR(q.key, "F12");
	CHECK_INT(q.mods, INPUT_CTRL | INPUT_ALT);
	CHECK_INT(input_key(&q, "F12", INPUT_CTRL | INPUT_ALT, false, false), INPUT_QUIT);
	CHECK_INT(input_key(&q, "Q", INPUT_CTRL | INPUT_ALT | INPUT_SHIFT, false, false), INPUT_NONE);
	CHECK(input_parse_quit(" Control + Super + x ", &q));
	CHECK_STR(q.key, "x");
	CHECK_INT(q.mods, INPUT_CTRL | INPUT_SUPER);
	CHECK_INT(input_key(&q, "X", INPUT_CTRL | INPUT_SUPER, false, false), INPUT_QUIT);
	/* no modifier, no key, two keys: refused, and the default stays */
	static const char *const bad[] = { "q", "ctrl+alt", "ctrl+q+w", "ctrl++q", "+q", "ctrl+",
		                           "ctrl+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (input_parse_quit(bad[i], &q)) {
			TEST_FAIL_("\"%s\" accepted as a quit combination", bad[i]);
			return;
		}
		CHECK_STR(q.key, "Q");
		CHECK_INT(q.mods, INPUT_CTRL | INPUT_ALT | INPUT_SHIFT);
	}
	CHECK(input_parse_quit("", &q));
	CHECK_STR(q.key, "Q");
}

TEST(touch)
{
	CHECK_INT(input_tap(700, 800, 100), INPUT_NEXT);
	CHECK_INT(input_tap(400, 800, 0), INPUT_NEXT);
	CHECK_INT(input_tap(399, 800, 0), INPUT_PREV);
	CHECK_INT(input_tap(10, 800, 699), INPUT_PREV);
	CHECK_INT(input_tap(10, 800, 700), INPUT_PAUSE);
	CHECK_INT(input_tap(790, 800, 5000), INPUT_PAUSE);
}

int main(void)
{
	RUN(default_quit_is_ctrl_alt_shift_q_exactly);
	RUN(kiosk_escapes_do_nothing);
	RUN(navigation_keys);
	RUN(windowed_adds_escape_and_close);
	RUN(configured_quit_keys);
	RUN(touch);
	return test_summary();
}
