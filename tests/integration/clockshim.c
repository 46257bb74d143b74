/*
 * clockshim: an LD_PRELOAD library that moves a process's wall clock, for
 * test_clock.py.  A Raspberry Pi has no real-time clock: it boots with a
 * clock years behind, and NTP later makes it jump.  This shim plays that to
 * the real balie binary without touching the machine's clock.
 *
 * The file named by BALIE_TEST_CLOCK_FILE holds two numbers: an offset in
 * seconds added to CLOCK_REALTIME, gettimeofday() and time() (what balie,
 * libcurl and OpenSSL read), and 0/1 for "NTP has synchronised", which is
 * what adjtimex() and ntp_adjtime() then report (TIME_ERROR and STA_UNSYNC
 * until then).  Rewrite the file and the process sees the jump within
 * 50 ms.  CLOCK_MONOTONIC is left alone, as the kernel does.
 *
 * Built by the test: cc -shared -fPIC -O2 -o clockshim.so clockshim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);
typedef int (*adjtimex_fn)(struct timex *);

static atomic_llong offset_s;
static atomic_int synced = 1;
static atomic_llong next_check_ns;

static clock_gettime_fn real_clock_gettime(void)
{
	static clock_gettime_fn fn;
	if (!fn)
		fn = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
	return fn;
}

/* Read the control file at most every 50 ms of monotonic time. */
static void refresh(void)
{
	struct timespec now;
	if (real_clock_gettime()(CLOCK_MONOTONIC, &now) != 0)
		return;
	long long ns = (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
	long long due = atomic_load(&next_check_ns);
	if (ns < due || !atomic_compare_exchange_strong(&next_check_ns, &due, ns + 50000000LL))
		return;
	const char *path = getenv("BALIE_TEST_CLOCK_FILE");
	FILE *f = path ? fopen(path, "re") : NULL;
	if (!f)
		return;
	long long off = 0;
	int sync = 1;
	if (fscanf(f, "%lld %d", &off, &sync) >= 1) {
		atomic_store(&offset_s, off);
		atomic_store(&synced, sync != 0);
	}
	fclose(f);
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	int rc = real_clock_gettime()(id, ts);
	if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) {
		refresh();
		ts->tv_sec += (time_t)atomic_load(&offset_s);
	}
	return rc;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	(void)tz;
	struct timespec ts;
	int rc = clock_gettime(CLOCK_REALTIME, &ts);
	if (rc == 0) {
		tv->tv_sec = ts.tv_sec;
		tv->tv_usec = ts.tv_nsec / 1000;
	}
	return rc;
}

time_t time(time_t *t)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}

static int fake_adjtimex(struct timex *tx)
{
	static adjtimex_fn real;
	if (!real)
		real = (adjtimex_fn)dlsym(RTLD_NEXT, "adjtimex");
	int rc = real ? real(tx) : TIME_OK;
	refresh();
	if (rc < 0)
		rc = TIME_OK; /* EPERM in a sandbox: the shim decides */
	if (atomic_load(&synced)) {
		tx->status &= ~STA_UNSYNC;
		return rc == TIME_ERROR ? TIME_OK : rc;
	}
	tx->status |= STA_UNSYNC;
	return TIME_ERROR;
}

int adjtimex(struct timex *tx)
{
	return fake_adjtimex(tx);
}

int ntp_adjtime(struct timex *tx)
{
	return fake_adjtimex(tx);
}
