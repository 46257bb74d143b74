/*
 * platform: sd_notify without libsystemd, the watchdog rate limit, and the
 * "is the clock synchronised" test.  See platform.h for the why.
 *
 * Each notification opens a datagram socket, sends and closes it: it happens
 * at most a few times a minute (the watchdog interval is seconds), and no
 * descriptor stays open to leak into spawned helpers.  State lives in a few
 * statics because there is one systemd and one main loop per process.
 */
#include "platform.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../base/log.h"

#define TIMESYNC_FLAG "/run/systemd/timesync/synchronized"
#define STATUS_MAX 200

static bool inited;
static char notify_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static size_t notify_len;      /* 0: not under systemd (or a bad NOTIFY_SOCKET) */
static int64_t watchdog_us;    /* 0: no watchdog */
static int64_t last_kick_us = -1;
static bool ready_sent;
static bool clock_known_good;
static char last_status[STATUS_MAX + 1];
static bool status_sent;

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A decimal environment value in [min, max], or -1. */
static long long env_number(const char *name, long long min, long long max)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	return v;
}

void platform_init(void)
{
	inited = true;
	notify_len = 0;
	watchdog_us = 0;
	last_kick_us = -1;
	ready_sent = false;
	status_sent = false;

	const char *p = getenv("NOTIFY_SOCKET");
	if (p && *p) {
		size_t n = strlen(p);
		if (n >= sizeof notify_path || (p[0] != '/' && p[0] != '@'))
			log_warn("platform", "ignoring NOTIFY_SOCKET: not an absolute path or abstract name");
		else {
			memcpy(notify_path, p, n);
			notify_len = n;
		}
	}

	/* sd_watchdog_enabled(3): WATCHDOG_PID, when set, names the process
	 * that must ping; a child that inherited the variables must not. */
	long long pid = env_number("WATCHDOG_PID", 1, 0x7fffffff);
	bool ours = getenv("WATCHDOG_PID") == NULL || pid == (long long)getpid();
	long long usec = env_number("WATCHDOG_USEC", 1, (long long)1 << 50);
	if (ours && usec > 0)
		watchdog_us = usec;
	else if (getenv("WATCHDOG_USEC") && usec <= 0)
		log_warn("platform", "ignoring WATCHDOG_USEC: not a positive number");
}

static void ensure_init(void)
{
	if (!inited)
		platform_init();
}

bool platform_notify(const char *state)
{
	ensure_init();
	if (notify_len == 0 || !state)
		return false;

	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, notify_path, notify_len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + notify_len);

	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_event("platform.notify", LOG_LVL_WARN, "platform",
		          "cannot create the notify socket: %s", strerror(errno));
		return false;
	}
	ssize_t r = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	int e = errno;
	close(fd);
	if (r < 0) {
		log_event("platform.notify", LOG_LVL_WARN, "platform",
		          "sd_notify to %s failed: %s; systemd may restart balie", notify_path, strerror(e));
		return false;
	}
	log_event_clear("platform.notify", "platform", "sd_notify works again");
	return true;
}

void platform_ready(void)
{
	ensure_init();
	if (ready_sent)
		return;
	ready_sent = true;
	platform_notify("READY=1");
}

void platform_status(const char *text)
{
	char buf[STATUS_MAX + 1];
	size_t n = 0;
	for (const char *s = text ? text : ""; *s && n < STATUS_MAX; s++)
		buf[n++] = ((unsigned char)*s < 0x20) ? ' ' : *s;
	buf[n] = '\0';
	if (status_sent && strcmp(buf, last_status) == 0)
		return;
	memcpy(last_status, buf, n + 1);
	status_sent = true;
	char msg[STATUS_MAX + 8];
	snprintf(msg, sizeof msg, "STATUS=%s", buf);
	platform_notify(msg);
}

void platform_stopping(void)
{
	platform_notify("STOPPING=1");
}

void platform_reloading(void)
{
	platform_notify("RELOADING=1");
}

void platform_reload_done(void)
{
	platform_notify("READY=1");
}

int64_t platform_watchdog_interval_ms(void)
{
	ensure_init();
	if (watchdog_us <= 0)
		return -1;
	int64_t ms = watchdog_us / 2000;
	return ms > 0 ? ms : 1;
}

void platform_watchdog_kick(void)
{
	ensure_init();
	if (watchdog_us <= 0 || notify_len == 0)
		return;
	int64_t now = mono_us();
	if (last_kick_us >= 0 && now - last_kick_us < watchdog_us / 2)
		return;
	last_kick_us = now;
	platform_notify("WATCHDOG=1");
}

void platform_frame_presented(void)
{
	/* READY=1 is the screen's to send, after the first complete card: the
	 * first frame may be the status line alone. */
	platform_watchdog_kick();
}

bool platform_clock_judge(const char *flag_path, int adj_rc, int adj_status)
{
	struct stat st;
	if (flag_path && stat(flag_path, &st) == 0)
		return true;
	/* adjtimex(2): TIME_ERROR means "clock not synchronized"; STA_UNSYNC is
	 * the same news in the status word (set again by the kernel when the
	 * error estimate grows past 16 s without an update). */
	if (adj_rc < 0 || adj_rc == TIME_ERROR)
		return false;
	return (adj_status & STA_UNSYNC) == 0;
}

bool platform_clock_good(void)
{
	if (clock_known_good)
		return true;
	struct timex tx;
	memset(&tx, 0, sizeof tx); /* modes 0: read only */
	int rc = adjtimex(&tx);    /* fails with EPERM under ProtectClock=; the flag file remains */
	clock_known_good = platform_clock_judge(TIMESYNC_FLAG, rc, tx.status);
	return clock_known_good;
}
