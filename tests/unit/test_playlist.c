/* The loop order, new posts joining without interrupting, notices of a
 * higher priority coming round more often, dwell times, and the pacing of
 * frames on a fake clock. */
#include <stdio.h>

#include "../../src/playlist/pacer.h"
#include "../../src/playlist/playlist.h"
#include "test.h"

static void set(playlist_t *pl, const char *const *keys, size_t n, int64_t now)
{
	playlist_entry_t e[16];
	for (size_t i = 0; i < n; i++)
		e[i] = (playlist_entry_t){ .key = keys[i] };
	playlist_update(pl, e, n, now);
}

TEST(loops_newest_first)
{
	playlist_t *pl = playlist_new();
	CHECK(playlist_current(pl) == NULL);
	CHECK(playlist_next(pl, 0) == NULL);
	const char *k[] = { "c", "b", "a" };
	set(pl, k, 3, 0);
	CHECK_STR(playlist_current(pl), "c");
	CHECK_STR(playlist_peek_next(pl, 0), "b");
	CHECK_STR(playlist_next(pl, 0), "b");
	CHECK_STR(playlist_next(pl, 0), "a");
	CHECK_STR(playlist_next(pl, 0), "c"); /* round again */
	CHECK_INT(playlist_len(pl), 3);
	playlist_free(pl);
}

TEST(new_posts_join_after_the_current_card)
{
	playlist_t *pl = playlist_new();
	const char *k1[] = { "c", "b", "a" };
	set(pl, k1, 3, 0);
	CHECK_STR(playlist_next(pl, 0), "b"); /* reading b */
	const char *k2[] = { "e", "d", "c", "b", "a" };
	playlist_entry_t e[5];
	for (int i = 0; i < 5; i++)
		e[i] = (playlist_entry_t){ .key = k2[i] };
	CHECK(!playlist_update(pl, e, 5, 0)); /* b is not interrupted */
	CHECK_STR(playlist_current(pl), "b");
	CHECK_STR(playlist_peek_next(pl, 0), "e");
	CHECK_STR(playlist_next(pl, 0), "e");
	CHECK_STR(playlist_next(pl, 0), "d");
	/* then the loop goes on where it was: after b comes a */
	CHECK_STR(playlist_next(pl, 0), "a");
	CHECK_STR(playlist_next(pl, 0), "e");
	playlist_free(pl);
}

TEST(removed_posts_leave_the_loop)
{
	playlist_t *pl = playlist_new();
	const char *k1[] = { "d", "c", "b", "a" };
	set(pl, k1, 4, 0);
	CHECK_STR(playlist_next(pl, 0), "c");
	const char *k2[] = { "d", "b", "a" }; /* c deleted while on screen */
	playlist_entry_t e[3];
	for (int i = 0; i < 3; i++)
		e[i] = (playlist_entry_t){ .key = k2[i] };
	CHECK(playlist_update(pl, e, 3, 0));
	CHECK_STR(playlist_next(pl, 0), "b");
	CHECK_STR(playlist_next(pl, 0), "a");
	CHECK_STR(playlist_next(pl, 0), "d");
	CHECK_STR(playlist_next(pl, 0), "b");
	/* Everything gone. */
	CHECK(playlist_update(pl, NULL, 0, 0));
	CHECK(playlist_next(pl, 0) == NULL);
	CHECK(playlist_current(pl) == NULL);
	playlist_free(pl);
}

TEST(previous_goes_back_through_what_was_shown)
{
	playlist_t *pl = playlist_new();
	const char *k[] = { "c", "b", "a" };
	set(pl, k, 3, 0);
	CHECK(playlist_prev(pl) == NULL);
	playlist_next(pl, 0);
	playlist_next(pl, 0); /* c b a */
	CHECK_STR(playlist_prev(pl), "b");
	CHECK_STR(playlist_prev(pl), "c");
	CHECK(playlist_prev(pl) == NULL);
	CHECK_STR(playlist_current(pl), "c");
	CHECK_STR(playlist_peek_next(pl, 0), "b");
	CHECK_STR(playlist_next(pl, 0), "b");
	CHECK_STR(playlist_next(pl, 0), "a");
	CHECK_STR(playlist_next(pl, 0), "c");
	playlist_free(pl);
}

TEST(notices_outside_their_window_are_skipped)
{
	playlist_t *pl = playlist_new();
	playlist_entry_t e[] = { { "n", 1000, 2000, 0 }, { "b", 0, 0, 0 }, { "a", 0, 0, 0 } };
	playlist_update(pl, e, 3, 500);
	CHECK_STR(playlist_current(pl), "b");
	CHECK_STR(playlist_next(pl, 500), "a");
	CHECK_STR(playlist_next(pl, 500), "b");
	CHECK_STR(playlist_next(pl, 1500), "a");
	CHECK_STR(playlist_next(pl, 1500), "n"); /* inside its window */
	CHECK_STR(playlist_next(pl, 2500), "b");
	CHECK_STR(playlist_next(pl, 2500), "a");
	CHECK_STR(playlist_next(pl, 2500), "b");
	playlist_free(pl);
}

TEST(dwell_follows_text_length_within_limits)
{
	CHECK_INT(playlist_dwell_ms(0, 15, 8, 25), 8000);
	CHECK_INT(playlist_dwell_ms(150, 15, 8, 25), 10000);
	CHECK_INT(playlist_dwell_ms(300, 15, 8, 25), 20000);
	CHECK_INT(playlist_dwell_ms(5000, 15, 8, 25), 25000);
	CHECK(playlist_dwell_ms(200, 15, 8, 25) > playlist_dwell_ms(160, 15, 8, 25));
	CHECK_INT(playlist_dwell_ms(100, 10, 5, 60), 10000);
	/* nonsense settings fall back to sane ones */
	CHECK_INT(playlist_dwell_ms(150, 0, 0, -3), 10000);
	CHECK_INT(playlist_dwell_ms(-5, 15, 8, 25), 8000);
}

/* ---- pacing on a fake clock ------------------------------------------- */

typedef struct {
	int64_t now;
	int presents, wakeups, begins, finishes, minutes;
} sim_t;

/* Run the screen's loop shape until `until`: sleep until the pacer's
 * deadline, tick, "present" when asked.  With vsync a present takes one
 * refresh (16 ms) of fake time. */
static void run(pacer_t *p, sim_t *s, int64_t until, bool next_ready, int64_t dwell_ms)
{
	while (s->now < until) {
		int64_t t = pacer_timeout(p, s->now, next_ready);
		if (t < 0 || s->now + t > until) {
			s->now = until;
			break;
		}
		s->now += t;
		s->wakeups++;
		unsigned act = pacer_tick(p, s->now, next_ready);
		if (act & PACER_BEGIN)
			s->begins++;
		if (act & PACER_FINISH) {
			s->finishes++;
			pacer_show(p, s->now, dwell_ms);
		}
		if (act & PACER_MINUTE)
			s->minutes++;
		if (act & PACER_FRAME) {
			s->presents++;
			if (p->vsync)
				s->now += 16;
			pacer_presented(p, s->now);
		}
	}
}

TEST(no_frame_while_a_card_stands_still_but_the_minute)
{
	pacer_t p;
	pacer_init(&p, 60, true, 600);
	sim_t s = { .now = 1000 };
	pacer_set_minute(&p, 1000 + 30000); /* the clock's minute changes in 30 s */
	pacer_show(&p, s.now, 3600 * 1000); /* one card, standing still */
	run(&p, &s, s.now + 1, false, 0);
	CHECK_INT(s.presents, 1); /* the card appears */
	s.presents = 0;
	s.wakeups = 0;
	run(&p, &s, s.now + 60000, false, 0); /* a simulated minute */
	CHECK_INT(s.presents, 1); /* only the clock's minute */
	CHECK_INT(s.minutes, 1);
	CHECK(s.wakeups <= 2);    /* slept, did not poll */
}

TEST(transition_frames_at_the_refresh_rate)
{
	/* Without vsync: frames spaced by the refresh interval. */
	pacer_t p;
	pacer_init(&p, 60, false, 600);
	sim_t s = { .now = 0 };
	pacer_show(&p, 0, 10000);
	run(&p, &s, 9999, true, 10000);
	CHECK_INT(s.begins, 0);
	s.presents = 0;
	run(&p, &s, 10000 + 600, true, 10000);
	CHECK_INT(s.begins, 1);
	CHECK_INT(s.finishes, 1);
	/* 600 ms at 60 Hz: 36 frames, give or take one */
	CHECK(s.presents >= 35 && s.presents <= 38);
	s.presents = 0;
	run(&p, &s, 19999, true, 10000); /* the next card dwells: silence */
	CHECK_INT(s.presents, 0);

	/* With vsync the present paces the loop: same count. */
	pacer_init(&p, 60, true, 600);
	sim_t v = { .now = 0 };
	pacer_show(&p, 0, 5000);
	run(&p, &v, 4999, true, 5000);
	v.presents = 0;
	run(&p, &v, 5000 + 620, true, 5000);
	CHECK(v.presents >= 35 && v.presents <= 39);
	CHECK_INT(v.finishes, 1);
}

TEST(transition_waits_for_the_next_card)
{
	pacer_t p;
	pacer_init(&p, 60, false, 600);
	sim_t s = { .now = 0 };
	pacer_show(&p, 0, 8000);
	run(&p, &s, 20000, false, 8000); /* next card not prepared */
	CHECK_INT(s.begins, 0);
	CHECK_INT(s.presents, 1);        /* the first card only: nothing moves */
	CHECK(pacer_tick(&p, 20000, true) & PACER_BEGIN); /* ready: it starts at once */
}

TEST(pause_and_skip)
{
	pacer_t p;
	pacer_init(&p, 60, false, 0);
	sim_t s = { .now = 0 };
	pacer_show(&p, 0, 10000);
	run(&p, &s, 4000, true, 10000);
	pacer_pause(&p, s.now, true);
	run(&p, &s, 60000, true, 10000);
	CHECK_INT(s.begins, 0); /* paused: the card stays */
	pacer_pause(&p, s.now, false);
	run(&p, &s, 60000 + 5999, true, 10000);
	CHECK_INT(s.begins, 0);
	run(&p, &s, 60000 + 6001, true, 10000); /* 4 s + 6 s = the full dwell */
	CHECK_INT(s.begins, 1);
	CHECK_INT(s.finishes, 1); /* transition_ms 0: cut */
	pacer_skip(&p, s.now);
	run(&p, &s, s.now + 1, true, 10000);
	CHECK_INT(s.begins, 2);
}

/* ---- priority ----------------------------------------------------------- */

#define LOOP 30
#define KL 16 /* room for a key */

/* A loop of LOOP posts, newest first: "p00".."p27" and two notices, "n2"
 * (priority 2) at position 5 and "n5" (priority 5) at position 20. */
static void priority_loop(playlist_t *pl, char keys[LOOP][KL], playlist_entry_t *e)
{
	int plain = 0;
	for (int i = 0; i < LOOP; i++) {
		if (i == 5)
			snprintf(keys[i], KL, "n2");
		else if (i == 20)
			snprintf(keys[i], KL, "n5");
		else
			snprintf(keys[i], KL, "p%02d", plain++);
		e[i] = (playlist_entry_t){ .key = keys[i], .priority = i == 5 ? 2 : i == 20 ? 5 : 0 };
	}
	playlist_update(pl, e, LOOP, 0);
}

/* Cards shown by `cards` calls of playlist_next(), with peek checked
 * against each. */
static int run_cards(playlist_t *pl, int cards, char shown[][KL])
{
	for (int c = 0; c < cards; c++) {
		const char *peek = playlist_peek_next(pl, 0);
		const char *k = playlist_next(pl, 0);
		if (!k || !peek || strcmp(peek, k) != 0)
			return c;
		snprintf(shown[c], KL, "%s", k);
	}
	return cards;
}

/* How often key comes round in shown[0..n), and the longest run of cards
 * between two of its turns (counting from the start, card 0 = first). */
static int count_key(char shown[][KL], int n, const char *key, int *longest_gap)
{
	int count = 0, last = 0;
	*longest_gap = 0;
	for (int c = 0; c < n; c++)
		if (strcmp(shown[c], key) == 0) {
			if (c + 1 - last > *longest_gap)
				*longest_gap = c + 1 - last;
			last = c + 1;
			count++;
		}
	return count;
}

TEST(priority_notices_come_round_at_their_interval)
{
	playlist_t *pl = playlist_new();
	char keys[LOOP][KL];
	playlist_entry_t e[LOOP];
	priority_loop(pl, keys, e);
	CHECK_STR(playlist_current(pl), "p00");
	static char shown[200][KL];
	CHECK_INT(run_cards(pl, 200, shown), 200);
	/* priority 5 in a loop of 30: at least every max(2, ceil(30 / 5)) = 6
	 * cards; priority 2: every ceil(30 / 2) = 15 */
	int gap5, gap2;
	int n5 = count_key(shown, 200, "n5", &gap5);
	int n2 = count_key(shown, 200, "n2", &gap2);
	CHECK(gap5 <= 6);
	CHECK(gap2 <= 15);
	CHECK(n5 >= 200 / 6 && n5 <= 200 / 6 + 1);
	CHECK(n2 >= 200 / 15 && n2 <= 200 / 15 + 1);
	/* never the same card twice in a row */
	for (int c = 1; c < 200; c++)
		CHECK(strcmp(shown[c], shown[c - 1]) != 0);
	/* the 28 other posts share the rest evenly, in loop order */
	int min = 1000, max = 0, g;
	for (int i = 0; i < LOOP; i++) {
		if (keys[i][0] != 'p')
			continue;
		int n = count_key(shown, 200, keys[i], &g);
		min = n < min ? n : min;
		max = n > max ? n : max;
	}
	CHECK(max - min <= 1);
	int plain_seen = 0;
	for (int c = 0; c < 200; c++)
		if (shown[c][0] == 'p') {
			char want[KL];
			snprintf(want, sizeof want, "p%02d", (plain_seen + 1) % 28);
			CHECK_STR(shown[c], want); /* p01, p02, ... p27, p00, p01 ... */
			plain_seen++;
		}
	CHECK_INT(plain_seen, 200 - n5 - n2);
	playlist_free(pl);
}

TEST(plain_priorities_zero_and_one_keep_the_rotation)
{
	/* a loop where every entry says priority 0 or 1 (and garbage below 0)
	 * runs exactly as before: newest first, once per round */
	playlist_t *pl = playlist_new();
	const char *k[] = { "d", "c", "b", "a" };
	playlist_entry_t e[4];
	for (int i = 0; i < 4; i++)
		e[i] = (playlist_entry_t){ .key = k[i], .priority = i == 1 ? 1 : i == 2 ? -7 : 0 };
	playlist_update(pl, e, 4, 0);
	const char *want[] = { "c", "b", "a", "d", "c", "b", "a", "d" };
	for (int i = 0; i < 8; i++)
		CHECK_STR(playlist_next(pl, 0), want[i]);
	playlist_free(pl);
}

TEST(new_posts_still_go_before_a_due_notice)
{
	playlist_t *pl = playlist_new();
	char keys[LOOP][KL];
	playlist_entry_t e[LOOP];
	priority_loop(pl, keys, e);
	static char shown[5][KL];
	CHECK_INT(run_cards(pl, 5, shown), 5); /* n5 is due at card 6 */
	CHECK_STR(shown[4], "p05");
	/* three new posts arrive now */
	playlist_entry_t e2[LOOP + 3];
	const char *fresh[] = { "new1", "new2", "new3" };
	for (int i = 0; i < 3; i++)
		e2[i] = (playlist_entry_t){ .key = fresh[i] };
	memcpy(e2 + 3, e, sizeof e);
	CHECK(!playlist_update(pl, e2, LOOP + 3, 0));
	CHECK_STR(playlist_peek_next(pl, 0), "new1");
	CHECK_STR(playlist_next(pl, 0), "new1");
	CHECK_STR(playlist_next(pl, 0), "new2");
	CHECK_STR(playlist_next(pl, 0), "new3");
	/* then the overdue notice, then the loop where it was */
	CHECK_STR(playlist_next(pl, 0), "n5");
	CHECK_STR(playlist_next(pl, 0), "p06");
	playlist_free(pl);
}

TEST(a_notice_is_never_shown_twice_in_a_row)
{
	/* a loop of a priority-10 notice and one post: they alternate */
	playlist_t *pl = playlist_new();
	playlist_entry_t e[] = { { .key = "n", .priority = 10 }, { .key = "a" } };
	playlist_update(pl, e, 2, 0);
	CHECK_STR(playlist_current(pl), "n");
	for (int i = 0; i < 6; i++) {
		CHECK_STR(playlist_next(pl, 0), "a");
		CHECK_STR(playlist_next(pl, 0), "n");
	}
	/* only notices: they take turns, the one waiting longest first */
	playlist_entry_t only[] = { { .key = "x", .priority = 3 }, { .key = "y", .priority = 9 } };
	CHECK(playlist_update(pl, only, 2, 0)); /* the card on screen is gone */
	char last[KL] = "";
	for (int i = 0; i < 6; i++) {
		const char *k = playlist_next(pl, 0);
		CHECK(k != NULL);
		CHECK(strcmp(k, last) != 0);
		snprintf(last, sizeof last, "%s", k);
	}
	/* a single notice: it stays (the loop has one card) */
	playlist_entry_t one[] = { { .key = "x", .priority = 3 } };
	playlist_update(pl, one, 1, 0);
	CHECK_STR(playlist_next(pl, 0), "x");
	CHECK_STR(playlist_next(pl, 0), "x");
	playlist_free(pl);
}

TEST(many_notices_take_at_most_half_of_the_cards)
{
	/* three priority-10 notices in a loop of 10 would each want every
	 * second card; together they get half, and every post still comes */
	playlist_t *pl = playlist_new();
	char keys[10][KL];
	playlist_entry_t e[10];
	for (int i = 0; i < 10; i++) {
		snprintf(keys[i], KL, i < 3 ? "n%d" : "p%d", i);
		e[i] = (playlist_entry_t){ .key = keys[i], .priority = i < 3 ? 10 : 0 };
	}
	playlist_update(pl, e, 10, 0);
	static char shown[140][KL];
	CHECK_INT(run_cards(pl, 140, shown), 140);
	int notices = 0, g;
	for (int c = 0; c < 140; c++)
		notices += shown[c][0] == 'n';
	CHECK(notices >= 140 / 2 - 3 && notices <= 140 / 2 + 1);
	for (int i = 3; i < 10; i++)
		CHECK(count_key(shown, 140, keys[i], &g) >= 9);
	for (int i = 0; i < 3; i++) {
		int n = count_key(shown, 140, keys[i], &g);
		CHECK(n >= 21 && n <= 25);
		CHECK(g <= 7); /* stretched interval: 2 x 3 x (1/2) x 2 = 6, give or take one */
	}
	for (int c = 1; c < 140; c++)
		CHECK(strcmp(shown[c], shown[c - 1]) != 0);
	playlist_free(pl);
}

TEST(notice_priority_survives_updates_and_windows)
{
	playlist_t *pl = playlist_new();
	char keys[LOOP][KL];
	playlist_entry_t e[LOOP];
	priority_loop(pl, keys, e);
	static char shown[12][KL];
	CHECK_INT(run_cards(pl, 4, shown), 4);
	/* a snapshot with the same posts (a poll) does not reset the notice's clock */
	playlist_update(pl, e, LOOP, 0);
	CHECK_INT(run_cards(pl, 2, shown + 4), 2);
	CHECK_STR(shown[5], "n5"); /* card 6, as without the update */
	/* outside its window a notice is not shown, however high its priority */
	e[20].show_from = 1000;
	playlist_update(pl, e, LOOP, 0);
	int g;
	static char later[40][KL];
	CHECK_INT(run_cards(pl, 40, later), 40);
	CHECK_INT(count_key(later, 40, "n5", &g), 0);
	playlist_free(pl);
}

int main(void)
{
	RUN(loops_newest_first);
	RUN(new_posts_join_after_the_current_card);
	RUN(removed_posts_leave_the_loop);
	RUN(previous_goes_back_through_what_was_shown);
	RUN(notices_outside_their_window_are_skipped);
	RUN(priority_notices_come_round_at_their_interval);
	RUN(plain_priorities_zero_and_one_keep_the_rotation);
	RUN(new_posts_still_go_before_a_due_notice);
	RUN(a_notice_is_never_shown_twice_in_a_row);
	RUN(many_notices_take_at_most_half_of_the_cards);
	RUN(notice_priority_survives_updates_and_windows);
	RUN(dwell_follows_text_length_within_limits);
	RUN(no_frame_while_a_card_stands_still_but_the_minute);
	RUN(transition_frames_at_the_refresh_rate);
	RUN(transition_waits_for_the_next_card);
	RUN(pause_and_skip);
	return test_summary();
}
