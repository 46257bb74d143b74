/*
 * screenpower: see screenpower.h.
 *
 * Two states are tracked: what the schedule wants (want_on) and what the TV
 * was last successfully told (tv).  When they differ and no command is
 * running, a "job" of one or two cec-ctl commands starts for want_on; each
 * command is spawned, and a later update reaps it and starts the next.  A
 * failure leaves tv unknown and schedules a retry; a change of want_on in the
 * meantime is picked up as soon as the running command ends.
 */
#include "screenpower.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../base/log.h"
#include "../base/xmalloc.h"

#define DEFAULT_CEC_CTL "/usr/bin/cec-ctl"
#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_RETRY_MS 300000
#define LOG_KEY "screenpower.cec"
#define UNTRUSTED_LOOK_MS 60000      /* clock not trusted yet: look again */
#define SAFETY_MS (15 * 60 * 1000)  /* opening hours: look at least this often */

enum tv_state { TV_UNKNOWN, TV_ON, TV_OFF };

struct screenpower {
	screenpower_mode_t mode;
	char *cec_ctl;
	char *cec_device;
	char *active_source;
	int timeout_ms, retry_ms;

	bool evaluated;      /* want_on has been computed once */
	bool want_on;
	enum tv_state tv;

	bool job_on;         /* state the current job applies */
	int step, n_steps;   /* command index within the job */
	pid_t pid;           /* running command, 0 = none */
	int64_t started_ms;
	int64_t retry_at_ms; /* -1 = no retry pending */

	bool warned_clock, warned_nocec;

	/* what the last update learnt, for screenpower_next_due_ms() */
	bool scheduled;      /* opening hours configured and followed */
	bool trusted;        /* ... and the wall clock may be acted on */
	int64_t edge_ms;     /* monotonic time of the next open/closed change; -1 = none */
};

bool screenpower_parse_mode(const char *s, screenpower_mode_t *out)
{
	static const struct {
		const char *name;
		screenpower_mode_t mode;
	} modes[] = {
		{"auto", SCREENPOWER_AUTO},
		{"cec", SCREENPOWER_CEC},
		{"blank", SCREENPOWER_BLANK},
		{"none", SCREENPOWER_NONE},
	};
	for (size_t i = 0; s && i < sizeof modes / sizeof modes[0]; i++) {
		if (strcmp(s, modes[i].name) == 0) {
			*out = modes[i].mode;
			return true;
		}
	}
	return false;
}

screenpower_t *screenpower_new(const screenpower_opts_t *o)
{
	screenpower_t *sp = xcalloc(1, sizeof *sp);
	sp->mode = o->mode;
	sp->cec_ctl = xstrdup(o->cec_ctl && *o->cec_ctl ? o->cec_ctl : DEFAULT_CEC_CTL);
	sp->cec_device = o->cec_device && *o->cec_device ? xstrdup(o->cec_device) : NULL;
	sp->active_source = o->active_source && *o->active_source ? xstrdup(o->active_source) : NULL;
	sp->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	sp->retry_ms = o->retry_ms > 0 ? o->retry_ms : DEFAULT_RETRY_MS;
	sp->want_on = true;
	sp->tv = TV_UNKNOWN;
	sp->retry_at_ms = -1;
	sp->edge_ms = -1;
	return sp;
}

void screenpower_free(screenpower_t *sp)
{
	if (!sp)
		return;
	if (sp->pid > 0) {
		kill(sp->pid, SIGKILL);
		int st;
		while (waitpid(sp->pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	free(sp->cec_ctl);
	free(sp->cec_device);
	free(sp->active_source);
	free(sp);
}

/* ---- commands -------------------------------------------------------------- */

/* The job for state on has this many commands. */
static int job_steps(const screenpower_t *sp, bool on)
{
	return on && sp->active_source ? 2 : 1;
}

/* What step of a job does, for argv and for log lines. */
static const char *step_verb(bool on, int step)
{
	if (!on)
		return "--standby";
	return step == 0 ? "--image-view-on" : "--active-source";
}

/* Start command `step` of the job for state on; false on failure (logged). */
static bool spawn_step(screenpower_t *sp, bool on, int step, int64_t mono_ms)
{
	char phys[64];
	const char *argv[16];
	int n = 0;
	argv[n++] = sp->cec_ctl;
	argv[n++] = "-d";
	argv[n++] = sp->cec_device;
	argv[n++] = "--skip-info";
	argv[n++] = "--playback";
	argv[n++] = "--osd-name";
	argv[n++] = "balie";
	argv[n++] = "--to";
	argv[n++] = "0";
	argv[n++] = step_verb(on, step);
	if (on && step == 1) {
		snprintf(phys, sizeof phys, "phys-addr=%s", sp->active_source);
		argv[n++] = phys;
	}
	argv[n] = NULL;

	static const char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};

	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&attr);
	sigset_t none, dfl;
	sigemptyset(&none);
	sigemptyset(&dfl);
	int sigs[] = {SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD, SIGALRM};
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(&dfl, sigs[i]);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

	pid_t pid = 0;
	int rc;
	if (access(sp->cec_ctl, X_OK) != 0)
		rc = errno;
	else
		rc = posix_spawn(&pid, sp->cec_ctl, &fa, &attr, (char *const *)argv, (char *const *)envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		log_event(LOG_KEY, LOG_LVL_WARN, "screen",
		          "cannot run %s: %s (is v4l-utils installed?); blanking the picture instead",
		          sp->cec_ctl, strerror(rc));
		return false;
	}
	sp->pid = pid;
	sp->started_ms = mono_ms;
	return true;
}

static void job_failed(screenpower_t *sp, int64_t mono_ms)
{
	sp->tv = TV_UNKNOWN;
	sp->retry_at_ms = mono_ms + sp->retry_ms;
}

/* Start the job for state on at its first command. */
static void job_start(screenpower_t *sp, bool on, int64_t mono_ms)
{
	sp->job_on = on;
	sp->step = 0;
	sp->n_steps = job_steps(sp, on);
	sp->retry_at_ms = -1;
	if (!spawn_step(sp, on, 0, mono_ms))
		job_failed(sp, mono_ms);
}

/* Reap the running command if it ended (or kill it when overdue), and go on
 * with the job. */
static void job_poll(screenpower_t *sp, int64_t mono_ms)
{
	if (sp->pid <= 0)
		return;
	int st = 0;
	pid_t r = waitpid(sp->pid, &st, WNOHANG);
	bool timed_out = false;
	if (r == 0) {
		if (mono_ms - sp->started_ms < sp->timeout_ms)
			return;
		kill(sp->pid, SIGKILL);
		while ((r = waitpid(sp->pid, &st, 0)) < 0 && errno == EINTR)
			;
		timed_out = true;
	}
	const char *verb = step_verb(sp->job_on, sp->step);
	sp->pid = 0;
	if (r < 0) {
		log_event(LOG_KEY, LOG_LVL_WARN, "screen", "lost track of cec-ctl %s: %s",
		          verb, strerror(errno));
		job_failed(sp, mono_ms);
		return;
	}
	if (timed_out || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char why[64];
		if (timed_out)
			snprintf(why, sizeof why, "no answer within %d s", sp->timeout_ms / 1000);
		else if (WIFEXITED(st))
			snprintf(why, sizeof why, "exit status %d", WEXITSTATUS(st));
		else
			snprintf(why, sizeof why, "killed by signal %d", WTERMSIG(st));
		log_event(LOG_KEY, LOG_LVL_WARN, "screen",
		          "cec-ctl %s on %s failed (%s); %s; retrying in %d min", verb, sp->cec_device, why,
		          sp->job_on ? "the TV may stay in standby" : "blanking the picture instead",
		          sp->retry_ms / 60000 > 0 ? sp->retry_ms / 60000 : 1);
		job_failed(sp, mono_ms);
		return;
	}
	sp->step++;
	if (sp->step < sp->n_steps && sp->job_on == sp->want_on) {
		if (!spawn_step(sp, sp->job_on, sp->step, mono_ms))
			job_failed(sp, mono_ms);
		return;
	}
	if (sp->step >= sp->n_steps) {
		sp->tv = sp->job_on ? TV_ON : TV_OFF;
		log_event_clear(LOG_KEY, "screen", "cec-ctl works again");
		log_info("screen", "TV %s via HDMI-CEC", sp->job_on ? "switched on" : "put in standby");
	}
}

/* ---- decisions ------------------------------------------------------------- */

static bool cec_usable(screenpower_t *sp)
{
	if (sp->mode != SCREENPOWER_AUTO && sp->mode != SCREENPOWER_CEC)
		return false;
	struct stat st;
	const char *why = NULL;
	if (!sp->cec_device)
		why = "no CEC device configured for this board";
	else if (stat(sp->cec_device, &st) != 0)
		why = "the CEC device is missing";
	if (!why)
		return true;
	if (!sp->warned_nocec) {
		sp->warned_nocec = true;
		if (sp->mode == SCREENPOWER_CEC)
			log_warn("screen", "%s%s%s; blanking the picture outside opening hours instead",
			         why, sp->cec_device ? ": " : "", sp->cec_device ? sp->cec_device : "");
		else
			log_info("screen", "%s%s%s; outside opening hours the picture is blanked",
			         why, sp->cec_device ? ": " : "", sp->cec_device ? sp->cec_device : "");
	}
	return false;
}

static void log_change(const schedule_t *sched, bool on, time_t wall_now)
{
	char when[64] = "";
	time_t next = schedule_next_change(sched, wall_now);
	struct tm tm;
	if (next != (time_t)-1 && localtime_r(&next, &tm))
		strftime(when, sizeof when, "%a %Y-%m-%d %H:%M", &tm);
	if (on)
		log_info("screen", "opening hours: open%s%s", *when ? " until " : "", when);
	else
		log_info("screen", "opening hours: closed%s%s; screen off", *when ? " until " : "", when);
}

void screenpower_update(screenpower_t *sp, const schedule_t *sched, bool clock_good,
                        time_t wall_now, int64_t mono_ms)
{
	job_poll(sp, mono_ms);

	bool want = true;
	sp->scheduled = sp->mode != SCREENPOWER_NONE && sched && schedule_is_configured(sched);
	sp->trusted = false;
	sp->edge_ms = -1;
	if (sp->scheduled) {
		if (clock_good || schedule_trusts_clock(sched)) {
			sp->trusted = true;
			want = schedule_is_open(sched, wall_now);
			if (!sp->evaluated || want != sp->want_on)
				log_change(sched, want, wall_now);
			time_t next = schedule_next_change(sched, wall_now);
			if (next != (time_t)-1 && next > wall_now)
				sp->edge_ms = mono_ms + ((int64_t)next - (int64_t)wall_now) * 1000;
		} else if (!sp->warned_clock) {
			sp->warned_clock = true;
			log_info("screen", "the clock is not synchronised yet; the screen stays on "
			                   "until it is (set [schedule] trust_clock = yes for a board with an RTC)");
		}
	}
	if (sp->evaluated && want != sp->want_on)
		sp->retry_at_ms = -1; /* a new state gets a fresh attempt */
	sp->want_on = want;
	sp->evaluated = true;

	if (sp->pid > 0 || sp->mode == SCREENPOWER_NONE)
		return;
	enum tv_state goal = want ? TV_ON : TV_OFF;
	if (sp->tv == goal)
		return;
	if (sp->retry_at_ms >= 0 && mono_ms < sp->retry_at_ms)
		return;
	if (!cec_usable(sp))
		return;
	job_start(sp, want, mono_ms);
}

bool screenpower_blanked(const screenpower_t *sp)
{
	return sp->mode != SCREENPOWER_NONE && !sp->want_on;
}

bool screenpower_busy(const screenpower_t *sp)
{
	return sp->pid > 0;
}

bool screenpower_cec_ok(const screenpower_t *sp)
{
	return sp->tv == (sp->want_on ? TV_ON : TV_OFF);
}

static int64_t earliest(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/* A still screen should sleep (docs/performance.md), so this asks only for
 * what is due: a running cec-ctl is reaped soon, a failed one retried at its
 * time, and the schedule looked at again at its next edge.  Without opening
 * hours nothing is ever due.  The edge comes from the wall clock, which can
 * jump (NTP, a manual set): the main loop calls screenpower_update() at every
 * wake-up anyway, at least at the status line's minute, and a look every
 * SAFETY_MS bounds the rest.  Until the clock may be trusted, a look a
 * minute notices the synchronisation. */
int64_t screenpower_next_due_ms(const screenpower_t *sp, int64_t mono_ms)
{
	if (sp->pid > 0)
		return mono_ms + 100;
	if (!sp->evaluated)
		return mono_ms;
	int64_t due = sp->retry_at_ms;
	if (sp->scheduled && !sp->trusted)
		due = earliest(due, mono_ms + UNTRUSTED_LOOK_MS);
	else if (sp->scheduled)
		due = earliest(due, earliest(sp->edge_ms, mono_ms + SAFETY_MS));
	return due;
}
