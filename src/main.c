/*
 * main: balie's command line.
 *
 * Reads the configuration (or builds one from --account/--hashtag), opens
 * the cache, and then does one of: show the screen (default), fetch every
 * source once (--once), print the cache (--list), test every source
 * (--check-sources), or hide a post for good (--hide).  Signals are taken by
 * one thread with sigwait(): SIGHUP reloads the configuration (parsed into a
 * fresh copy, swapped in only when valid), SIGTERM/SIGINT quit cleanly.
 *
 * Exit status: 0 fine; 1 --once/--check-sources: a source failed;
 * 2 bad command line or configuration; 3 cache unusable (locked by another
 * balie, not writable); 4 the screen could not start.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/url.h"
#include "base/xmalloc.h"
#include "cache/cache.h"
#include "config/config.h"
#include "feed/feed.h"
#include "feed/hidden.h"
#include "net/poller.h"
#include "platform/board.h"
#include "platform/platform.h"
#include "platform/vt.h"
#include "render/screen.h"

#define DEFAULT_CONFIG "/etc/balie/balie.conf"

enum { EXIT_SOURCES = 1, EXIT_USAGE = 2, EXIT_CACHE = 3, EXIT_SCREEN = 4 };

typedef struct {
	const char *config_path;
	bool config_given;
	const char **accounts;
	size_t n_accounts;
	const char **hashtags;
	size_t n_hashtags;
	const char *cache_dir;
	const char *hide;
	bool once, list, check, verbose;
	screen_options_t screen;
} cli_t;

static cli_t cli;

static void usage(FILE *f)
{
	fputs("Usage: balie [OPTION]...\n"
	      "Show public posts of an organisation's people on a lobby screen.\n"
	      "\n"
	      "Sources:\n"
	      "  -c, --config FILE       configuration file (default " DEFAULT_CONFIG ", if it exists)\n"
	      "  -a, --account HANDLE    show a Mastodon account, e.g. @gemeente@social.overheid.nl\n"
	      "                          (repeatable; the server may be a URL: @x@http://127.0.0.1:8970)\n"
	      "  -t, --hashtag TAG@SERVER  show a Mastodon hashtag from SERVER (repeatable)\n"
	      "      --cache-dir DIR     cache directory (default $CACHE_DIRECTORY,\n"
	      "                          $XDG_CACHE_HOME/balie or ~/.cache/balie)\n"
	      "\n"
	      "Actions (default: show the screen):\n"
	      "      --once              fetch every source once, update the cache, print one\n"
	      "                          status line per source, exit\n"
	      "      --list              print the cached posts, newest first, and exit\n"
	      "      --check-sources     test every source once and say what to do if one fails\n"
	      "      --hide URL          never show the post with this URL (or key) again\n"
	      "\n"
	      "Screen:\n"
	      "      --windowed          a window instead of full screen\n"
	      "      --size WxH          window or render size, e.g. 1920x1080\n"
	      "      --rotate DEG        0, 90, 180 or 270\n"
	      "      --screenshot FILE   write the first complete card as PNG and exit\n"
	      "      --frames N          with --screenshot: the frame after N frames instead\n"
	      "\n"
	      "  -v, --verbose           log debug messages\n"
	      "      --version           print the version and exit\n"
	      "  -h, --help              this text\n"
	      "\n"
	      "Exit status: 0 fine; 1 a source failed (--once, --check-sources);\n"
	      "2 bad command line or configuration; 3 cache unusable; 4 screen failed.\n",
	      f);
}

static void push(const char ***arr, size_t *n, const char *v)
{
	*arr = xrealloc(*arr, (*n + 1) * sizeof **arr);
	(*arr)[(*n)++] = v;
}

static int parse_int(const char *s, const char *opt, int lo, int hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi) {
		fprintf(stderr, "balie: %s: expected a number from %d to %d, got '%s'\n", opt, lo, hi, s);
		exit(EXIT_USAGE);
	}
	return (int)v;
}

static void parse_args(int argc, char **argv)
{
	enum { O_CACHE = 256, O_ONCE, O_LIST, O_CHECK, O_HIDE, O_WINDOWED, O_SIZE, O_ROTATE,
	       O_SHOT, O_FRAMES, O_VERSION };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "account", required_argument, NULL, 'a' },
		{ "hashtag", required_argument, NULL, 't' },
		{ "cache-dir", required_argument, NULL, O_CACHE },
		{ "once", no_argument, NULL, O_ONCE },
		{ "list", no_argument, NULL, O_LIST },
		{ "check-sources", no_argument, NULL, O_CHECK },
		{ "hide", required_argument, NULL, O_HIDE },
		{ "windowed", no_argument, NULL, O_WINDOWED },
		{ "size", required_argument, NULL, O_SIZE },
		{ "rotate", required_argument, NULL, O_ROTATE },
		{ "screenshot", required_argument, NULL, O_SHOT },
		{ "frames", required_argument, NULL, O_FRAMES },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, O_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	cli.config_path = DEFAULT_CONFIG;
	cli.screen.rotate = -1;
	int c;
	while ((c = getopt_long(argc, argv, "c:a:t:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cli.config_path = optarg; cli.config_given = true; break;
		case 'a': push(&cli.accounts, &cli.n_accounts, optarg); break;
		case 't': push(&cli.hashtags, &cli.n_hashtags, optarg); break;
		case O_CACHE: cli.cache_dir = optarg; break;
		case O_ONCE: cli.once = true; break;
		case O_LIST: cli.list = true; break;
		case O_CHECK: cli.check = true; break;
		case O_HIDE: cli.hide = optarg; break;
		case O_WINDOWED: cli.screen.windowed = true; break;
		case O_SIZE: {
			int w = 0, h = 0;
			char tail;
			if (sscanf(optarg, "%dx%d%c", &w, &h, &tail) != 2 || w < 320 || h < 240 ||
			    w > 7680 || h > 7680) {
				fprintf(stderr, "balie: --size: expected WIDTHxHEIGHT such as 1920x1080, got '%s'\n", optarg);
				exit(EXIT_USAGE);
			}
			cli.screen.width = w;
			cli.screen.height = h;
			break;
		}
		case O_ROTATE:
			cli.screen.rotate = parse_int(optarg, "--rotate", 0, 270);
			if (cli.screen.rotate % 90) {
				fprintf(stderr, "balie: --rotate: expected 0, 90, 180 or 270, got '%s'\n", optarg);
				exit(EXIT_USAGE);
			}
			break;
		case O_SHOT: cli.screen.screenshot = optarg; break;
		case O_FRAMES: cli.screen.frames = parse_int(optarg, "--frames", 0, 100000); break;
		case 'v': cli.verbose = true; break;
		case O_VERSION: printf("balie %s\n", BALIE_VERSION); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(EXIT_USAGE);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "balie: unexpected argument '%s' (see --help)\n", argv[optind]);
		exit(EXIT_USAGE);
	}
	if ((cli.once + cli.list + cli.check + (cli.hide != NULL)) > 1) {
		fprintf(stderr, "balie: --once, --list, --check-sources and --hide exclude each other\n");
		exit(EXIT_USAGE);
	}
}

/* Add the command line's --account and --hashtag sources to cfg; false with
 * *err set (caller frees) on a bad value.  Shared by start-up and SIGHUP. */
static bool add_cli_sources(config_t *cfg, char **err)
{
	for (size_t i = 0; i < cli.n_accounts; i++)
		if (!config_add_cli_account(cfg, cli.accounts[i], err))
			return false;
	for (size_t i = 0; i < cli.n_hashtags; i++)
		if (!config_add_cli_hashtag(cfg, cli.hashtags[i], err))
			return false;
	return true;
}

/* This machine may be fetched from only at the ports of configured sources
 * (a test server, a local service): the operator's choice, never network
 * data's.  Replaces the previous set, so call it for every configuration
 * that takes effect (start-up, reload). */
static void allow_configured_loopback(const config_t *cfg)
{
	source_spec_t **specs = NULL;
	size_t n = config_sources(cfg, &specs);
	const char **urls = xcalloc(2 * n + 1, sizeof *urls);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (specs[i]->server)
			urls[k++] = specs[i]->server;
		if (specs[i]->kind == SRC_FEED)
			urls[k++] = specs[i]->handle;
	}
	size_t ports = url_allow_loopback(urls, k);
	if (ports)
		log_debug("main", "this machine may be fetched from at %zu configured port(s)", ports);
	free(urls);
	config_sources_free(specs, n);
}

/* The configuration: the file (given, or the default path if it exists),
 * else built-in defaults; then the command line's sources.  NULL with a
 * message printed on error. */
static config_t *load_config(bool quiet_missing_default)
{
	config_t *cfg = NULL;
	char *err = NULL;
	struct stat st;
	bool have_file = cli.config_given || stat(cli.config_path, &st) == 0;
	if (have_file) {
		cfg = config_load(cli.config_path, &err);
		if (!cfg) {
			fprintf(stderr, "%s\n", err);
			free(err);
			return NULL;
		}
	} else {
		if (!quiet_missing_default && !cli.n_accounts && !cli.n_hashtags)
			log_info("main", "no configuration file at %s and no sources given: "
			         "using built-in defaults (showing the cache)", cli.config_path);
		cfg = config_new_default();
	}
	if (add_cli_sources(cfg, &err))
		return cfg;
	fprintf(stderr, "balie: %s\n", err);
	free(err);
	config_free(cfg);
	return NULL;
}

/* SIGHUP on the screen's main thread: parse into a fresh copy; keep the
 * running configuration when the file is bad. */
static config_t *reload_config(void *ctx)
{
	(void)ctx;
	char *err = NULL;
	config_t *cfg;
	if (!cli.config_given && access(cli.config_path, R_OK) != 0)
		cfg = config_new_default(); /* sources from the command line only */
	else
		cfg = config_load(cli.config_path, &err);
	if (!cfg) {
		log_err("main", "configuration not reloaded, keeping the running one: %s", err);
		free(err);
		return NULL;
	}
	if (add_cli_sources(cfg, &err)) {
		log_info("main", "configuration %s reloaded", cli.config_path);
		allow_configured_loopback(cfg);
		return cfg;
	}
	log_err("main", "configuration not reloaded: %s", err);
	free(err);
	config_free(cfg);
	return NULL;
}

static char *cache_dir_for(const config_t *cfg)
{
	return cache_default_dir(cli.cache_dir ? cli.cache_dir : cfg->cache.dir);
}

static cache_t *open_cache(const config_t *cfg, bool writer)
{
	char *dir = cache_dir_for(cfg);
	cache_options_t o;
	cache_options_default(&o);
	o.max_media_bytes = (long long)cfg->cache.max_media_mb * 1024 * 1024;
	o.max_age_days = cfg->cache.max_age_days;
	o.max_posts = cfg->cache.max_posts;
	char *err = NULL;
	cache_t *c = cache_open(dir, &o, writer, &err);
	if (!c) {
		fprintf(stderr, "balie: %s\n", err ? err : "cannot open the cache");
		free(err);
	}
	free(dir);
	return c;
}

/* ---- --list -------------------------------------------------------------- */

static void print_indented(const char *prefix, const char *text)
{
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, "\n");
		printf("%s%.*s\n", prefix, (int)n, p);
		p += n;
		if (*p == '\n')
			p++;
	}
}

static void print_post(const config_t *cfg, const post_t *p, const char *cdir)
{
	char when[32] = "(no date)";
	time_t t = (time_t)p->created;
	struct tm tm;
	if (p->created > 0 && localtime_r(&t, &tm))
		strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
	const config_person_t *person = config_person(cfg, p->person);
	const char *name = person && person->name ? person->name : p->author.name;
	printf("%s  %-9s %s", when, network_name(p->network), name ? name : "(unknown)");
	if (person && person->role)
		printf(" — %s", person->role);
	if (p->author.handle)
		printf("  %s", p->author.handle);
	printf("\n");
	if (p->booster)
		printf("    boosted by %s\n", p->booster->name ? p->booster->name : "?");
	if (p->cw)
		printf("    CW: %s\n", p->cw);
	print_indented("    ", p->text);
	for (size_t i = 0; i < p->n_media; i++) {
		const media_t *m = &p->media[i];
		printf("    [%s] %s", media_kind_name(m->kind), m->alt && *m->alt ? m->alt : "(no alt text)");
		if (m->file)
			printf("  (cached: %s/media/%s)", cdir, m->file);
		printf("\n");
	}
	if (p->card && p->card->title)
		printf("    [link] %s  %s\n", p->card->title, p->card->url ? p->card->url : "");
	if (p->url)
		printf("    %s\n", p->url);
	printf("\n");
}

static int do_list(const config_t *cfg)
{
	cache_t *c = open_cache(cfg, false);
	if (!c)
		return EXIT_CACHE;
	post_list_t all, shown;
	post_list_init(&all);
	post_list_init(&shown);
	cache_load_posts(c, &all);
	hidden_list_t hidden;
	hidden_init(&hidden);
	char *err = NULL;
	if (!hidden_load(cache_dir(c), &hidden, &err)) {
		fprintf(stderr, "balie: %s\n", err);
		free(err);
	}
	feed_build(cfg, &all, (const char *const *)hidden.items, hidden.len, clock_wall(), &shown);
	hidden_clear(&hidden);
	for (size_t i = 0; i < shown.len; i++)
		print_post(cfg, shown.items[i], cache_dir(c));
	printf("%zu posts shown, %zu cached (%zu left out by filters)\n", shown.len, all.len,
	       all.len - shown.len);
	post_list_clear(&all);
	post_list_clear(&shown);
	cache_close(c);
	return 0;
}

/* ---- --hide ------------------------------------------------------------- */

/* The pid in the cache's lock file when a balie holds the lock, else 0. */
static pid_t running_balie(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/lock", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	long pid = 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 1 || pid == (long)getpid() || kill((pid_t)pid, 0) != 0)
		return 0;
	return (pid_t)pid;
}

static int do_hide(const config_t *cfg)
{
	char *dir = cache_dir_for(cfg);
	char *err = NULL;
	int rc = 0;
	if (!hidden_add(dir, cli.hide, &err)) {
		fprintf(stderr, "balie: --hide: %s\n", err);
		free(err);
		rc = EXIT_CACHE;
	} else {
		printf("hidden for good: %s (listed in %s/hidden.txt)\n", cli.hide, dir);
		/* a running screen reloads and drops the post at once */
		pid_t pid = running_balie(dir);
		if (pid && kill(pid, SIGHUP) == 0)
			printf("told the running balie (pid %ld) to reload\n", (long)pid);
	}
	free(dir);
	return rc;
}

/* ---- signals ------------------------------------------------------------- */

static void *signal_thread(void *arg)
{
	sigset_t *set = arg;
	for (;;) {
		int sig;
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			screen_request_reload();
		} else {
			screen_request_quit();
			return NULL;
		}
	}
}

static int run_screen(config_t *cfg)
{
	cache_t *c = open_cache(cfg, true);
	if (!c) {
		config_free(cfg);
		return EXIT_CACHE;
	}
	/* the board profile picks SDL's video and render drivers: before SDL_Init
	 * and before any thread starts (it sets environment variables) */
	const platcfg_t *pc = cfg->platform;
	board_t *board = board_select(pc->boards_dir ? pc->boards_dir : board_default_dir(),
	                              pc->board_profile, "/proc/device-tree/model");
	log_info("main", "board profile: %s", board->name ? board->name : board->id);
	board_export_env(board);
	platform_init();
	cli.screen.board = board;
	static sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread started later inherits this */
	pthread_t sig_thread;
	pthread_create(&sig_thread, NULL, signal_thread, &set);
	pthread_detach(sig_thread);

	cli.screen.reload = reload_config;
	cli.screen.reload_ctx = NULL;
	vt_lock(0); /* under the unit stdin is tty1: Ctrl+Alt+Fn stays on it */
	int rc = screen_run(cfg, c, &cli.screen);
	vt_unlock();
	cache_close(c);
	board_free(board);
	return rc;
}

static const char *find_assets(void)
{
	static const char *const dirs[] = { "assets", BALIE_DATADIR, "/usr/share/balie" };
	const char *env = getenv("BALIE_ASSETS");
	if (env)
		return env;
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		char path[512];
		snprintf(path, sizeof path, "%s/sample-feed.json", dirs[i]);
		if (access(path, R_OK) == 0)
			return dirs[i];
	}
	return "assets";
}

int main(int argc, char **argv)
{
	/* A fixed mmap threshold: image surfaces of a few MiB are allocated on the
	 * loader thread and freed on the main one, and glibc's adaptive threshold
	 * would then keep serving them from the heap, whose pages stay resident
	 * (docs/performance.md: peak 58.7 -> 47.7 MiB in the 60 s loop). */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	parse_args(argc, argv);
	tzset(); /* local time for the clock and the opening hours */
	signal(SIGPIPE, SIG_IGN); /* a closed socket is an error value, never a death */
	if (cli.verbose)
		log_set_level(LOG_LVL_DEBUG);

	config_t *cfg = load_config(cli.list);
	if (!cfg)
		return EXIT_USAGE;
	allow_configured_loopback(cfg);

	int rc;
	if (cli.list) {
		rc = do_list(cfg);
	} else if (cli.once || cli.check) {
		cache_t *c = open_cache(cfg, true);
		if (!c) {
			rc = EXIT_CACHE;
		} else {
			rc = poller_once(cfg, c, stdout);
			cache_close(c);
		}
	} else if (cli.hide) {
		rc = do_hide(cfg);
	} else {
		cli.screen.assets_dir = find_assets();
		char sample[600];
		snprintf(sample, sizeof sample, "%s/sample-feed.json", cli.screen.assets_dir);
		poller_set_sample_file(sample);
		rc = run_screen(cfg); /* takes cfg */
		cfg = NULL;
		poller_set_sample_file(NULL);
	}
	config_free(cfg);
	free(cli.accounts);
	free(cli.hashtags);
	log_event_reset();
	return rc;
}
