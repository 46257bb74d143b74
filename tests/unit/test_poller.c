/*
 * test_poller: the poller's pacing rule, poller_next_wait(), on every kind of
 * outcome.  The rule is pure (status, failures in a row, interval, the
 * server's wait, a random number), so each bound is checked exactly: with the
 * smallest and the largest random number, and with many in between.
 */
#include <stdint.h>

#include "test.h"

#include "../../src/net/poller.h"

#define S 1000 /* ms */

/* The largest wait seen is within a fifth above nominal, and close to it. */
#define CHECK_TOP(hi, nominal) CHECK((hi) <= (nominal) + (nominal) / 5 && (hi) >= (nominal) + (nominal) / 6)

/* Smallest and largest wait over the extreme random numbers and a spread
 * of others. */
static void wait_range(source_status_t st, int failures, int interval_s, int64_t retry_in_ms,
                       int64_t *lo, int64_t *hi)
{
	static const uint32_t fixed[] = { 0, 1, 2, 7, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFEu, 0xFFFFFFFFu };
	*lo = INT64_MAX;
	*hi = INT64_MIN;
	uint32_t x = 2463534242u;
	for (int i = 0; i < 2000; i++) {
		uint32_t rnd;
		if (i < (int)(sizeof fixed / sizeof fixed[0])) {
			rnd = fixed[i];
		} else { /* xorshift32 */
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			rnd = x;
		}
		poller_wait_t w = poller_next_wait(st, failures, interval_s, retry_in_ms, rnd);
		if (w.wait_ms < *lo)
			*lo = w.wait_ms;
		if (w.wait_ms > *hi)
			*hi = w.wait_ms;
	}
}

TEST(regular_polls_wait_the_interval_plus_up_to_a_fifth_never_less)
{
	int64_t lo, hi;
	wait_range(SRC_DONE, 0, 15, 0, &lo, &hi);
	CHECK_INT(lo, 15 * S);
	CHECK_TOP(hi, 15 * S);
	wait_range(SRC_NOT_MODIFIED, 0, 60, 0, &lo, &hi);
	CHECK_INT(lo, 60 * S);
	CHECK_TOP(hi, 60 * S);
	CHECK(poller_next_wait(SRC_DONE, 0, 60, 0, 0).wait_ms == 60 * S);
	CHECK(poller_next_wait(SRC_DONE, 0, 60, 0, 12 * S).wait_ms == 72 * S);
	/* jittered: not every screen at the same moment */
	CHECK(poller_next_wait(SRC_DONE, 0, 60, 0, 5000).wait_ms == 65 * S);
}

TEST(an_interval_below_fifteen_seconds_is_raised_to_fifteen)
{
	int64_t lo, hi;
	wait_range(SRC_DONE, 0, 5, 0, &lo, &hi);
	CHECK_INT(lo, POLLER_MIN_INTERVAL_S * S);
	wait_range(SRC_DONE, 0, 0, 0, &lo, &hi);
	CHECK_INT(lo, POLLER_MIN_INTERVAL_S * S);
	wait_range(SRC_ERR_NETWORK, 1, -3, 0, &lo, &hi);
	CHECK_INT(lo, POLLER_MIN_INTERVAL_S * S);
}

TEST(back_off_doubles_from_the_interval_to_the_cap_never_below_the_interval)
{
	int64_t lo, hi;
	int64_t nominal = 15 * S;
	for (int f = 1; f <= 12; f++) {
		wait_range(SRC_ERR_NETWORK, f, 15, 0, &lo, &hi);
		int64_t want = nominal < POLLER_BACKOFF_CAP_S * S ? nominal : POLLER_BACKOFF_CAP_S * S;
		CHECK_INT(lo, want);
		CHECK_TOP(hi, want);
		nominal *= 2;
	}
	/* the first failure waits no less than a regular poll */
	wait_range(SRC_ERR_DATA, 1, 60, 0, &lo, &hi);
	CHECK_INT(lo, 60 * S);
	/* an interval longer than the cap: back-off never polls sooner than it */
	wait_range(SRC_ERR_NETWORK, 9, 3600, 0, &lo, &hi);
	CHECK_INT(lo, 3600 * S);
	CHECK_TOP(hi, 3600 * S);
	/* a 429 that does not say how long backs off the same way */
	wait_range(SRC_ERR_RATE, 2, 15, 0, &lo, &hi);
	CHECK_INT(lo, 30 * S);
	CHECK(!poller_next_wait(SRC_ERR_RATE, 2, 15, 0, 0).server_asked);
}

TEST(a_rejected_token_or_missing_account_is_tried_again_after_an_hour)
{
	int64_t lo, hi;
	wait_range(SRC_ERR_AUTH, 1, 15, 0, &lo, &hi);
	CHECK_INT(lo, POLLER_AUTH_RETRY_S * S);
	CHECK_TOP(hi, POLLER_AUTH_RETRY_S * S);
	wait_range(SRC_ERR_NOT_FOUND, 3, 60, 0, &lo, &hi);
	CHECK_INT(lo, 3600 * S);
	wait_range(SRC_ERR_CONFIG, 1, 7200, 0, &lo, &hi);
	CHECK_INT(lo, 7200 * S);
}

TEST(the_servers_wait_is_kept_to_beyond_an_hour_and_capped_at_a_day)
{
	/* Retry-After: 120 on a 429 */
	poller_wait_t w = poller_next_wait(SRC_ERR_RATE, 1, 15, 120 * S, 99);
	CHECK_INT(w.wait_ms, 120 * S);
	CHECK(w.server_asked && !w.capped);
	/* Retry-After: 5 is not a reason to poll sooner than the interval */
	w = poller_next_wait(SRC_ERR_RATE, 1, 60, 5 * S, 99);
	CHECK_INT(w.wait_ms, 60 * S);
	/* five hours: respected, not cut to one */
	w = poller_next_wait(SRC_ERR_RATE, 1, 60, 5 * 3600 * S, 0xFFFFFFFFu);
	CHECK_INT(w.wait_ms, 5 * 3600 * S);
	CHECK(w.server_asked && !w.capped);
	/* three days: a day at most */
	w = poller_next_wait(SRC_ERR_RATE, 1, 60, 3 * 86400LL * S, 0);
	CHECK_INT(w.wait_ms, POLLER_MAX_WAIT_S * (int64_t)S);
	CHECK(w.capped);
	/* a good answer that used up the limit: wait for its reset */
	w = poller_next_wait(SRC_DONE, 0, 60, 2 * 3600 * S, 0);
	CHECK_INT(w.wait_ms, 2 * 3600 * S);
	CHECK(w.server_asked && !w.capped);
	w = poller_next_wait(SRC_DONE, 0, 60, 40LL * 86400 * S, 0);
	CHECK_INT(w.wait_ms, POLLER_MAX_WAIT_S * (int64_t)S);
	CHECK(w.capped);
	/* a reset sooner than the next regular poll changes nothing */
	w = poller_next_wait(SRC_DONE, 0, 60, 10 * S, 0);
	CHECK_INT(w.wait_ms, 60 * S);
	CHECK(!w.server_asked);
	/* a reset already past */
	w = poller_next_wait(SRC_NOT_MODIFIED, 0, 60, -30 * S, 0);
	CHECK_INT(w.wait_ms, 60 * S);
	CHECK(!w.server_asked);
}

int main(void)
{
	RUN(regular_polls_wait_the_interval_plus_up_to_a_fifth_never_less);
	RUN(an_interval_below_fifteen_seconds_is_raised_to_fifteen);
	RUN(back_off_doubles_from_the_interval_to_the_cap_never_below_the_interval);
	RUN(a_rejected_token_or_missing_account_is_tried_again_after_an_hour);
	RUN(the_servers_wait_is_kept_to_beyond_an_hour_and_capped_at_a_day);
	return test_summary();
}
