/* The loop order, new posts joining without interrupting, dwell times, and
 * the pacing of frames on a fake clock. */
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
	playlist_entry_t e[] = { { "n", 1000, 2000 }, { "b", 0, 0 }, { "a", 0, 0 } };
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

int main(void)
{
	RUN(loops_newest_first);
	RUN(new_posts_join_after_the_current_card);
	RUN(removed_posts_leave_the_loop);
	RUN(previous_goes_back_through_what_was_shown);
	RUN(notices_outside_their_window_are_skipped);
	RUN(dwell_follows_text_length_within_limits);
	RUN(no_frame_while_a_card_stands_still_but_the_minute);
	RUN(transition_frames_at_the_refresh_rate);
	RUN(transition_waits_for_the_next_card);
	RUN(pause_and_skip);
	return test_summary();
}
