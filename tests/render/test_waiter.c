/* How the screen's loop sleeps (src/render/waiter.h), with SDL's dummy video
 * driver, whose own SDL_WaitEventTimeout() wakes about 900 times a second:
 * the waiter must sleep in the kernel, wake at once for an event pushed by
 * another thread, a poke (signals), a decoded image and input, and the whole
 * screen must stand still without waking.  Sleeping is judged by the
 * thread's voluntary context switches in /proc (each is one sleep), never by
 * timing alone.  Input devices are stood in for by FIFOs named event*. */
#include <SDL.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../src/base/xmalloc.h"
#include "../../src/cache/cache.h"
#include "../../src/config/config.h"
#include "../../src/net/poller.h"
#include "../../src/render/draw.h"
#include "../../src/render/loader.h"
#include "../../src/render/screen.h"
#include "../../src/render/waiter.h"
#include <SDL_image.h>
#include "test.h"

static char dir[] = "/tmp/balie-waiter-XXXXXX";
static uint32_t ev_type;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static long gettid_(void)
{
	return (long)syscall(SYS_gettid);
}

/* voluntary_ctxt_switches of thread tid of this process. */
static long switches(long tid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/self/task/%ld/status", tid);
	FILE *f = fopen(path, "r");
	long v = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/* CPU time of thread tid in nanoseconds (schedstat), -1 when unknown. */
static long long cpu_ns(long tid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%ld/schedstat", tid);
	FILE *f = fopen(path, "r");
	long long v = -1;
	if (f && fscanf(f, "%lld", &v) != 1)
		v = -1;
	if (f)
		fclose(f);
	return v;
}

/* ---- a helper thread that does one thing after a delay ------------------ */

typedef enum { DO_PUSH, DO_POKE, DO_WRITE } what_t;

typedef struct {
	what_t what;
	int delay_ms;
	const char *path; /* DO_WRITE: a FIFO, kept open until the thread is joined */
	int fd;
	pthread_t th;
} later_t;

static void *later_main(void *arg)
{
	later_t *l = arg;
	sleep_ms(l->delay_ms);
	if (l->what == DO_PUSH) {
		SDL_Event ev = { .type = ev_type };
		SDL_PushEvent(&ev);
		waiter_pushed();
	} else if (l->what == DO_POKE) {
		waiter_poke();
	} else {
		char rec[24] = { 1 };
		if (write(l->fd, rec, sizeof rec) != (ssize_t)sizeof rec)
			printf("    write to %s failed\n", l->path);
	}
	return NULL;
}

static void later(later_t *l, what_t what, int delay_ms, const char *fifo)
{
	memset(l, 0, sizeof *l);
	l->what = what;
	l->delay_ms = delay_ms;
	l->path = fifo;
	l->fd = -1;
	if (fifo) /* O_RDWR: does not wait for a reader, and never hangs up */
		l->fd = open(fifo, O_RDWR | O_CLOEXEC);
	pthread_create(&l->th, NULL, later_main, l);
}

static void later_join(later_t *l)
{
	pthread_join(l->th, NULL);
}

/* ---- the choice ---------------------------------------------------------- */

TEST(drivers_without_a_wait_are_polled_by_balie)
{
	const char *in = "x";
	const char *env = getenv("BALIE_EVENT_WAIT");
	char *saved = env ? xstrdup(env) : NULL;
	unsetenv("BALIE_EVENT_WAIT");
	CHECK_INT(waiter_mode_for("dummy", &in), WAITER_POLL);
	CHECK(in == NULL);
	CHECK_INT(waiter_mode_for("offscreen", &in), WAITER_POLL);
	CHECK(in == NULL);
	CHECK_INT(waiter_mode_for("KMSDRM", &in), WAITER_POLL);
	CHECK_STR(in, "/dev/input");
	CHECK_INT(waiter_mode_for("x11", &in), WAITER_SDL);
	CHECK(in == NULL);
	CHECK_INT(waiter_mode_for("wayland", &in), WAITER_SDL);
	CHECK(in == NULL);
	CHECK_INT(waiter_mode_for(NULL, &in), WAITER_POLL);
	setenv("BALIE_EVENT_WAIT", "sdl", 1);
	CHECK_INT(waiter_mode_for("KMSDRM", &in), WAITER_SDL);
	CHECK(in == NULL);
	setenv("BALIE_EVENT_WAIT", "poll", 1);
	CHECK_INT(waiter_mode_for("x11", &in), WAITER_POLL);
	CHECK_STR(in, "/dev/input");
	if (saved)
		setenv("BALIE_EVENT_WAIT", saved, 1);
	else
		unsetenv("BALIE_EVENT_WAIT");
	free(saved);
}

/* ---- poll mode ----------------------------------------------------------- */

TEST(timeout_sleeps_in_the_kernel)
{
	waiter_t *w = waiter_new(WAITER_POLL, ev_type, NULL);
	CHECK(w != NULL);
	SDL_Event ev;
	while (SDL_PollEvent(&ev))
		; /* the window's own events */
	long tid = gettid_();
	long v0 = switches(tid);
	double t0 = now_s();
	int got = waiter_wait(w, 1000, &ev);
	double dt = now_s() - t0;
	long v1 = switches(tid);
	waiter_free(w);
	CHECK_INT(got, 0);
	EXPECT(dt >= 0.95);
	/* SDL_WaitEventTimeout() with this driver: about 900 */
	if (v1 - v0 > 3)
		TEST_FAIL_("woke %ld times in one second of waiting", v1 - v0);
}

TEST(pushed_event_wakes_at_once)
{
	waiter_t *w = waiter_new(WAITER_POLL, ev_type, NULL);
	CHECK(w != NULL);
	later_t l;
	later(&l, DO_PUSH, 200, NULL);
	SDL_Event ev;
	double t0 = now_s();
	int got = waiter_wait(w, 10000, &ev);
	double dt = now_s() - t0;
	later_join(&l);
	waiter_free(w);
	CHECK_INT(got, 1);
	CHECK_INT(ev.type, ev_type);
	if (dt > 2.0)
		TEST_FAIL_("the pushed event arrived after %.2f s", dt);
}

TEST(poke_wakes_without_an_event)
{
	waiter_t *w = waiter_new(WAITER_POLL, ev_type, NULL);
	CHECK(w != NULL);
	later_t l;
	later(&l, DO_POKE, 200, NULL);
	SDL_Event ev;
	double t0 = now_s();
	int got = waiter_wait(w, 10000, &ev);
	double dt = now_s() - t0;
	later_join(&l);
	/* the poke was consumed: the next wait sleeps its time */
	double t1 = now_s();
	int again = waiter_wait(w, 300, &ev);
	double dt2 = now_s() - t1;
	waiter_free(w);
	CHECK_INT(got, 0);
	if (dt > 2.0)
		TEST_FAIL_("woken after %.2f s", dt);
	CHECK_INT(again, 0);
	EXPECT(dt2 >= 0.25);
}

/* A poke before the waiter exists (a SIGTERM during start-up) is not a
 * wake-up for the new one: screen_request_quit() sets its flag, which the
 * loop reads anyway. */
TEST(stale_poke_is_dropped)
{
	waiter_poke();
	waiter_t *w = waiter_new(WAITER_POLL, ev_type, NULL);
	CHECK(w != NULL);
	SDL_Event ev;
	double t0 = now_s();
	int got = waiter_wait(w, 300, &ev);
	double dt = now_s() - t0;
	waiter_free(w);
	CHECK_INT(got, 0);
	EXPECT(dt >= 0.25);
}

TEST(decoded_image_wakes_the_loop)
{
	char *png = xasprintf("%s/pic.png", dir);
	SDL_Surface *s = draw_surface(64, 64);
	CHECK(IMG_SavePNG(s, png) == 0);
	SDL_FreeSurface(s);
	waiter_t *w = waiter_new(WAITER_POLL, ev_type, NULL);
	uint32_t loaded = SDL_RegisterEvents(1);
	loader_t *l = loader_new(loaded);
	CHECK(w != NULL && l != NULL);
	SDL_Event ev;
	while (SDL_PollEvent(&ev))
		;
	double t0 = now_s();
	loader_submit(l, png, LOAD_FIT, 32, 32, 0, 0);
	int got = waiter_wait(w, 10000, &ev);
	double dt = now_s() - t0;
	load_result_t r;
	bool took = loader_take(l, &r);
	if (took) {
		SDL_FreeSurface(r.surface);
		free(r.error);
	}
	loader_free(l);
	waiter_free(w);
	free(png);
	CHECK_INT(got, 1);
	CHECK_INT(ev.type, loaded);
	CHECK(took);
	if (dt > 5.0)
		TEST_FAIL_("the loader's event arrived after %.2f s", dt);
}

TEST(input_device_wakes_and_is_drained)
{
	char *in = xasprintf("%s/input", dir);
	char *ev0 = xasprintf("%s/event0", in);
	char *ev1 = xasprintf("%s/event1", in);
	char *other = xasprintf("%s/mouse0", in);
	CHECK(mkdir(in, 0700) == 0);
	CHECK(mkfifo(ev0, 0600) == 0);
	CHECK(mkfifo(other, 0600) == 0);
	waiter_t *w = waiter_new(WAITER_POLL, ev_type, in);
	CHECK(w != NULL);
	CHECK_INT(waiter_inputs(w), 1); /* event0, not mouse0 */

	later_t l;
	later(&l, DO_WRITE, 200, ev0);
	SDL_Event ev;
	double t0 = now_s();
	int got = waiter_wait(w, 10000, &ev);
	double dt = now_s() - t0;
	later_join(&l);
	EXPECT(got == 0);
	if (dt > 2.0)
		TEST_FAIL_("input woke the wait after %.2f s", dt);
	/* drained: the next wait sleeps */
	t0 = now_s();
	got = waiter_wait(w, 300, &ev);
	EXPECT(got == 0 && now_s() - t0 >= 0.25);

	/* a device plugged in later is watched too (inotify) */
	CHECK(mkfifo(ev1, 0600) == 0);
	t0 = now_s();
	waiter_wait(w, 5000, &ev);
	EXPECT(now_s() - t0 < 2.0);
	CHECK_INT(waiter_inputs(w), 2);
	later_t l1;
	later(&l1, DO_WRITE, 200, ev1);
	t0 = now_s();
	waiter_wait(w, 10000, &ev);
	dt = now_s() - t0;
	later_join(&l1);
	if (dt > 2.0)
		TEST_FAIL_("the new device woke the wait after %.2f s", dt);

	/* a device that goes away (its writer side closes: a hang-up, as an
	 * unplugged evdev device reports) is dropped, not polled in a loop */
	int wfd = open(ev0, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	close(l.fd);
	close(l1.fd);
	CHECK(wfd >= 0);
	close(wfd);
	waiter_wait(w, 300, &ev);
	EXPECT(waiter_inputs(w) < 2);
	waiter_free(w);
	free(in);
	free(ev0);
	free(ev1);
	free(other);
}

/* ---- SDL mode ------------------------------------------------------------ */

TEST(sdl_mode_turns_a_poke_into_an_event)
{
	waiter_t *w = waiter_new(WAITER_SDL, ev_type, NULL);
	CHECK(w != NULL);
	SDL_Event ev;
	while (SDL_PollEvent(&ev))
		;
	later_t l;
	later(&l, DO_POKE, 100, NULL);
	int got = waiter_wait(w, 10000, &ev);
	later_join(&l);
	waiter_free(w);
	CHECK_INT(got, 1);
	CHECK_INT(ev.type, ev_type);
}

/* ---- the whole screen ---------------------------------------------------- */

typedef struct {
	long tid;
	long woke;
	long long cpu;
	double quit_at;
	atomic_int reloads;
} watch_t;

static watch_t watch;

static void *watch_main(void *arg)
{
	(void)arg;
	sleep_ms(3000); /* start-up: fonts, the sample feed, the first card */
	long v0 = switches(watch.tid);
	long long c0 = cpu_ns(watch.tid);
	sleep_ms(2000);
	long v1 = switches(watch.tid);
	long long c1 = cpu_ns(watch.tid);
	watch.woke = v0 >= 0 && v1 >= v0 ? v1 - v0 : -1;
	watch.cpu = c0 >= 0 && c1 >= c0 ? c1 - c0 : -1;
	/* a request from another thread (SIGHUP, SIGTERM) wakes the still loop */
	screen_request_reload();
	sleep_ms(500);
	watch.quit_at = now_s();
	screen_request_quit();
	return NULL;
}

static config_t *reload_cb(void *ctx)
{
	(void)ctx;
	atomic_fetch_add(&watch.reloads, 1);
	return NULL; /* keep the running configuration */
}

TEST(still_screen_sleeps_and_wakes_for_requests)
{
	static const char conf[] = "[display]\norganisation = Gemeente Voorbeeldstad\nsample = true\n"
	                           "dwell_min_s = 120\ndwell_max_s = 120\n";
	char *err = NULL;
	config_t *cfg = config_parse(conf, strlen(conf), "test", &err);
	CHECK(cfg != NULL);
	char *cdir = xasprintf("%s/cache", dir);
	cache_options_t o;
	cache_options_default(&o);
	cache_t *cache = cache_open(cdir, &o, true, &err);
	CHECK(cache != NULL);
	screen_options_t opt = { .width = 1280, .height = 720, .rotate = -1, .assets_dir = "assets",
		                 .reload = reload_cb };
	memset(&watch, 0, sizeof watch);
	watch.tid = gettid_();
	pthread_t th;
	pthread_create(&th, NULL, watch_main, NULL);
	poller_set_sample_file("assets/sample-feed.json");
	int rc = screen_run(cfg, cache, &opt); /* takes cfg */
	double ended = now_s();
	poller_set_sample_file(NULL);
	pthread_join(th, NULL);
	cache_close(cache);
	free(cdir);
	CHECK_INT(rc, 0);
	CHECK(screen_stats().cards_built >= 1);
	CHECK(watch.woke >= 0);
	CHECK(watch.cpu >= 0);
	printf("    the loop woke %ld times in 2 s, %.1f ms CPU\n", watch.woke, watch.cpu / 1e6);
	/* a minute tick or a burn-in step may fall in the window; SDL's own
	 * wait would have woken about 1800 times */
	if (watch.woke >= 20)
		TEST_FAIL_("the screen's loop woke %ld times in 2 s with one card standing still",
		           watch.woke);
	/* and it does not spin instead: 2 % of 2 s, generous for ASan */
	if (watch.cpu > 40 * 1000 * 1000)
		TEST_FAIL_("the screen's loop used %.0f ms of CPU in 2 s with one card standing still",
		           watch.cpu / 1e6);
	CHECK_INT(atomic_load(&watch.reloads), 1);
	if (ended - watch.quit_at > 1.0)
		TEST_FAIL_("the loop took %.2f s to see the quit request", ended - watch.quit_at);
}

int main(void)
{
	setenv("SDL_VIDEODRIVER", "dummy", 0);
	if (!mkdtemp(dir)) {
		printf("FAIL: %s: mkdtemp\n", __FILE__);
		return 1;
	}
	if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
		printf("FAIL: %s: SDL_Init: %s\n", __FILE__, SDL_GetError());
		return 1;
	}
	ev_type = SDL_RegisterEvents(1);
	RUN(drivers_without_a_wait_are_polled_by_balie);
	RUN(timeout_sleeps_in_the_kernel);
	RUN(pushed_event_wakes_at_once);
	RUN(poke_wakes_without_an_event);
	RUN(stale_poke_is_dropped);
	RUN(decoded_image_wakes_the_loop);
	RUN(input_device_wakes_and_is_drained);
	RUN(sdl_mode_turns_a_poke_into_an_event);
	SDL_Quit();
	RUN(still_screen_sleeps_and_wakes_for_requests);
	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("warning: could not remove %s\n", dir);
	free(cmd);
	return test_summary();
}
