/*
 * waiter: poll() on an eventfd and the input devices, or SDL's own wait.
 * See waiter.h.
 *
 * The eventfd is made once per process and never closed: waiter_poke() may
 * run in a signal handler or on another thread at any moment, also while a
 * screen stops, and must never write into a descriptor number that has
 * meanwhile been reused for something else.  A new waiter drains it first,
 * so a poke from before its time does not count twice.
 */
#include "waiter.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "../base/log.h"
#include "../base/xmalloc.h"

#define MAX_INPUTS 32

static pthread_once_t efd_once = PTHREAD_ONCE_INIT;
static atomic_int efd = -1;            /* the process's eventfd, -1 until made */
static atomic_bool wake_on_push;       /* a waiter in poll mode exists */
static atomic_bool exists;

typedef struct {
	int fd;
	char name[64];                 /* "event3" */
} input_t;

struct waiter {
	waiter_mode_t mode;
	uint32_t wake_event;
	char *input_dir;
	int ino;                       /* inotify on input_dir, or -1 */
	input_t inputs[MAX_INPUTS];
	size_t n_inputs;
	bool warned_open, warned_full;
	pthread_t thread;              /* SDL mode: pokes become SDL events */
	bool thread_started;
	atomic_bool stop;
};

static void efd_make(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		log_warn("screen", "cannot create an eventfd: %s; the screen wakes only at its deadlines "
		                   "or through SDL", strerror(errno));
	atomic_store(&efd, fd);
}

static void efd_drain(int fd)
{
	uint64_t v;
	while (read(fd, &v, sizeof v) > 0)
		;
}

void waiter_poke(void)
{
	int fd = atomic_load(&efd);
	if (fd >= 0) {
		uint64_t one = 1;
		if (write(fd, &one, sizeof one) < 0) {
			/* EAGAIN: the counter is full, a wake-up is pending anyway */
		}
	}
}

void waiter_pushed(void)
{
	if (atomic_load(&wake_on_push))
		waiter_poke();
}

/* ---- the choice ------------------------------------------------------------ */

waiter_mode_t waiter_mode_for(const char *driver, const char **input_dir)
{
	/* SDL 2.26's video drivers with a WaitEventTimeout of their own */
	static const char *const waits[] = { "x11", "wayland", "windows", "cocoa" };
	/* drivers that never deliver input */
	static const char *const no_input[] = { "dummy", "offscreen" };
	waiter_mode_t mode = WAITER_POLL;
	for (size_t i = 0; driver && i < sizeof waits / sizeof *waits; i++)
		if (strcasecmp(driver, waits[i]) == 0)
			mode = WAITER_SDL;
	const char *force = getenv("BALIE_EVENT_WAIT");
	if (force && strcmp(force, "sdl") == 0)
		mode = WAITER_SDL;
	else if (force && strcmp(force, "poll") == 0)
		mode = WAITER_POLL;
	else if (force && *force)
		log_warn("screen", "BALIE_EVENT_WAIT=%s: not \"sdl\" or \"poll\"; ignored", force);
	bool input = mode == WAITER_POLL;
	for (size_t i = 0; driver && i < sizeof no_input / sizeof *no_input; i++)
		if (strcasecmp(driver, no_input[i]) == 0)
			input = false;
	*input_dir = input ? "/dev/input" : NULL;
	return mode;
}

/* ---- input devices ------------------------------------------------------------ */

static void input_drop(waiter_t *w, size_t i)
{
	log_debug("screen", "input device %s/%s gone", w->input_dir, w->inputs[i].name);
	close(w->inputs[i].fd);
	w->inputs[i] = w->inputs[--w->n_inputs];
}

static bool input_known(const waiter_t *w, const char *name)
{
	for (size_t i = 0; i < w->n_inputs; i++)
		if (strcmp(w->inputs[i].name, name) == 0)
			return true;
	return false;
}

/* Open every input_dir/event* not open yet. */
static void inputs_scan(waiter_t *w)
{
	DIR *d = opendir(w->input_dir);
	if (!d) {
		log_debug("screen", "no input devices to watch: %s: %s", w->input_dir, strerror(errno));
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "event", 5) != 0 || strlen(e->d_name) >= sizeof w->inputs[0].name ||
		    input_known(w, e->d_name))
			continue;
		if (w->n_inputs >= MAX_INPUTS) {
			if (!w->warned_full)
				log_info("screen", "watching only the first %d input devices in %s", MAX_INPUTS,
				         w->input_dir);
			w->warned_full = true;
			break;
		}
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", w->input_dir, e->d_name);
		int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			/* SDL cannot read it either: this device gives no input at all */
			if (!w->warned_open)
				log_info("screen", "cannot read %s (%s): its keys and touches are not seen",
				         path, strerror(errno));
			w->warned_open = true;
			continue;
		}
		input_t *in = &w->inputs[w->n_inputs++];
		in->fd = fd;
		memcpy(in->name, e->d_name, strlen(e->d_name) + 1); /* length checked above */
		log_debug("screen", "watching input device %s", path);
	}
	closedir(d);
}

/* Throw away what arrived; false when the device is gone. */
static bool input_drain(int fd)
{
	char buf[24 * 64]; /* whole struct input_event records */
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
	}
}

static void inotify_drain(int fd)
{
	_Alignas(struct inotify_event) char buf[4096];
	while (read(fd, buf, sizeof buf) > 0)
		;
}

/* ---- the waiter ------------------------------------------------------------- */

static void *poke_thread(void *arg)
{
	waiter_t *w = arg;
	int fd = atomic_load(&efd);
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, -1) < 0 && errno != EINTR) {
			log_warn("screen", "the wake-up thread stops: poll: %s", strerror(errno));
			break;
		}
		efd_drain(fd);
		if (atomic_load(&w->stop))
			break;
		SDL_Event ev = { .type = w->wake_event };
		SDL_PushEvent(&ev);
	}
	return NULL;
}

waiter_t *waiter_new(waiter_mode_t mode, uint32_t wake_event, const char *input_dir)
{
	assert(!atomic_load(&exists));
	pthread_once(&efd_once, efd_make);
	int fd = atomic_load(&efd);
	if (fd < 0)
		return NULL;
	efd_drain(fd);
	waiter_t *w = xcalloc(1, sizeof *w);
	w->mode = mode;
	w->wake_event = wake_event;
	w->ino = -1;
	atomic_init(&w->stop, false);
	if (mode == WAITER_SDL) {
		if (pthread_create(&w->thread, NULL, poke_thread, w) != 0) {
			log_warn("screen", "cannot start the wake-up thread; waiting in SDL without it");
			free(w);
			return NULL;
		}
		w->thread_started = true;
	} else if (input_dir) {
		w->input_dir = xstrdup(input_dir);
		w->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (w->ino >= 0 &&
		    inotify_add_watch(w->ino, input_dir, IN_CREATE | IN_ATTRIB | IN_MOVED_TO) < 0) {
			close(w->ino);
			w->ino = -1;
		}
		inputs_scan(w);
	}
	atomic_store(&exists, true);
	atomic_store(&wake_on_push, mode == WAITER_POLL);
	return w;
}

void waiter_free(waiter_t *w)
{
	if (!w)
		return;
	atomic_store(&wake_on_push, false);
	atomic_store(&exists, false);
	if (w->thread_started) {
		atomic_store(&w->stop, true);
		waiter_poke();
		pthread_join(w->thread, NULL);
	}
	for (size_t i = 0; i < w->n_inputs; i++)
		close(w->inputs[i].fd);
	if (w->ino >= 0)
		close(w->ino);
	free(w->input_dir);
	free(w);
}

int waiter_wait(waiter_t *w, int timeout_ms, SDL_Event *ev)
{
	if (w->mode == WAITER_SDL)
		return timeout_ms < 0 ? SDL_WaitEvent(ev) : SDL_WaitEventTimeout(ev, timeout_ms);
	if (SDL_PollEvent(ev))
		return 1; /* already queued: pushed from this thread, or before the poke */
	int fd = atomic_load(&efd);
	struct pollfd p[2 + MAX_INPUTS];
	nfds_t n = 0;
	p[n++] = (struct pollfd){ fd, POLLIN, 0 };
	nfds_t ino_at = n;
	if (w->ino >= 0)
		p[n++] = (struct pollfd){ w->ino, POLLIN, 0 };
	nfds_t in_at = n;
	for (size_t i = 0; i < w->n_inputs; i++)
		p[n++] = (struct pollfd){ w->inputs[i].fd, POLLIN, 0 };
	int r = poll(p, n, timeout_ms);
	if (r > 0) {
		if (p[0].revents)
			efd_drain(fd);
		/* backwards: input_drop() moves the last device into the gap */
		for (size_t i = w->n_inputs; i-- > 0;) {
			short re = p[in_at + i].revents;
			if (re & (POLLERR | POLLHUP | POLLNVAL))
				input_drop(w, i);
			else if ((re & POLLIN) && !input_drain(w->inputs[i].fd))
				input_drop(w, i);
		}
		if (w->ino >= 0 && p[ino_at].revents) {
			inotify_drain(w->ino);
			inputs_scan(w);
		}
	} else if (r < 0 && errno != EINTR) {
		log_event("screen-poll", LOG_LVL_WARN, "screen", "poll: %s", strerror(errno));
		SDL_Delay(10); /* never spin */
	}
	return SDL_PollEvent(ev);
}

waiter_mode_t waiter_mode(const waiter_t *w)
{
	return w->mode;
}

size_t waiter_inputs(const waiter_t *w)
{
	return w->n_inputs;
}
