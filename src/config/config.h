/*
 * config: balie's INI configuration, organised around people.
 *
 *   [person "jan"]            a person or organisation account
 *   name = Jan de Vries
 *   role = Wethouder Wonen
 *   photo = /etc/balie/jan.jpg
 *   mastodon = @jan@social.overheid.nl
 *
 *   [hashtag "twitampt"]      a hashtag and the servers to ask
 *   servers = social.overheid.nl, mastodon.social
 *
 *   [organisation "x"], [feed "nieuws"] (url), [notices] (file)
 *   [display] [cache] [network] [filter]   settings (see README.md, "Configuration")
 *
 * Source sections may also set interval_s and the [filter] keys for their
 * own posts (config_source_opts_t).
 * Every key has a default.  Unknown sections and keys are errors; errors read
 * "FILE:LINE: [section] key: message".  Parsing never touches global state:
 * config_load() builds a fresh config_t, so a reload (SIGHUP) can parse into
 * a new copy and swap it in only when valid.
 */
#ifndef BALIE_CONFIG_H
#define BALIE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "../platform/platcfg.h"
#include "../sources/source.h"

/* Settings of one source section ([person], [organisation], [hashtag],
 * [feed]) over the global ones: zero everywhere means "as [network] and
 * [filter] say", so a section that sets nothing follows the globals. */
typedef enum { CONFIG_INHERIT = 0, CONFIG_OFF, CONFIG_ON } config_switch_t;

typedef struct {
	int interval_s;            /* seconds between polls; 0 = [network] interval_s */
	config_switch_t replies, boosts, sensitive, bots, public_only;
	bool max_age_set;          /* max_age_days below replaces [filter]'s */
	int max_age_days;          /* 0 = no limit */
	bool languages_set;        /* languages below replace [filter]'s (empty = all) */
	char **languages;
	size_t n_languages;
	char **blocked_words;      /* hidden as well as [filter]'s */
	size_t n_blocked_words;
} config_source_opts_t;

/* One account of a person on one network. */
typedef struct {
	network_t network;
	char *handle;        /* as written: "@jan@social.overheid.nl", "@jan.bsky.social", page id... */
	char *token_file;    /* NULL when none */
	char *key;           /* its source key (source_spec_t.key); set by the parser */
} config_account_t;

typedef struct {
	char *id;            /* section name: [person "jan"] -> "jan" */
	char *name;          /* display name; defaults to the account's own name (NULL) */
	char *role;          /* "Wethouder Wonen"; may be NULL */
	char *photo;         /* local image path; may be NULL */
	bool organisation;   /* [organisation "x"] instead of [person "x"] */
	config_account_t *accounts;
	size_t n_accounts;
	config_source_opts_t opts;  /* for every account of the section */
} config_person_t;

typedef struct {
	char *tag;           /* without '#' */
	char **servers;      /* base URLs (url_base()) */
	size_t n_servers;
	network_t network;   /* NET_MASTODON (default) */
	bool anyone;         /* show posts by anyone, not only configured people (default true for CLI) */
	char *id;            /* section name: [hashtag "twitampt"] -> "twitampt"; "TAG@SERVER" for --hashtag */
	char *token_file;    /* mastodon_token (one server only) or bluesky_password; NULL when none */
	config_source_opts_t opts;  /* for every server of the section */
} config_hashtag_t;

typedef struct {
	char *id;            /* [feed "nieuws"] */
	char *url;
	char *name;          /* shown as author; NULL = the feed's own title */
	config_source_opts_t opts;
} config_feed_t;

typedef struct {
	bool fullscreen;     /* default true */
	int width, height;   /* 0 = the display's mode */
	int rotate;          /* 0, 90, 180, 270; -1 (default) = the board profile's */
	char *language;      /* "nl" (default) or "en" */
	char *organisation;  /* name in the status line; default "Gemeente" */
	char *logo;          /* image path or NULL */
	char *theme;         /* "default" or "high-contrast" */
	char *background, *panel, *text_color, *accent; /* "#rrggbb" overriding the theme, or NULL */
	char *font;          /* main font file or NULL for the built-in choice */
	double chars_per_second; /* reading speed for dwell time; default 15 */
	int dwell_min_s;     /* default 8 */
	int dwell_max_s;     /* default 25 */
	int transition_ms;   /* default 600 */
	bool show_sensitive_media; /* default false */
	bool sample;         /* show the bundled sample feed until real posts exist; default false */
	char *quit_keys;     /* key combination that quits, e.g. "ctrl+alt+q"; default "ctrl+alt+shift+q" */
} config_display_t;

typedef struct {
	char *dir;           /* NULL = $CACHE_DIRECTORY, $XDG_CACHE_HOME/balie, ~/.cache/balie */
	long max_media_mb;   /* default 256 */
	int max_age_days;    /* default 30 */
	int max_posts;       /* default 500 */
} config_cache_t;

typedef struct {
	int interval_s;      /* default poll interval, default 60, minimum 15 */
	int connect_timeout_s; /* default 10 */
	int timeout_s;       /* default 30 */
	long max_json_kb;    /* default 4096 */
	long max_media_kb;   /* default 16384 */
	char *ca_file;       /* extra CA bundle or NULL */
	char *bluesky_appview; /* default https://public.api.bsky.app */
	char *bluesky_login;   /* default https://bsky.social */
	char *x_api;           /* default https://api.x.com */
	char *facebook_graph;  /* default https://graph.facebook.com */
	char *linkedin_api;    /* default https://api.linkedin.com */
	char *facebook_graph_version; /* "v25.0"; NULL = the adapter's default */
	char *linkedin_version;       /* LinkedIn-Version "202609"; NULL = the adapter's default */
	int x_recheck_hours;          /* X deletion look-up every N hours; default 24, 0 = never */
} config_network_t;

typedef struct {
	bool replies;        /* show replies to others; default false */
	bool boosts;         /* show boosts; default true */
	bool sensitive;      /* show posts marked sensitive (with CW); default true */
	bool bots;           /* show bot accounts; default true */
	char **blocked_words;
	size_t n_blocked_words;
	char **languages;    /* empty = all */
	size_t n_languages;
	int max_age_days;    /* 0 = no limit (the cache's age limit still applies) */
	bool public_only;    /* only posts with visibility public; default true */
} config_filter_t;

typedef struct config {
	char *path;          /* file it came from, or NULL for built-in defaults */
	config_person_t *people;
	size_t n_people;
	config_hashtag_t *hashtags;
	size_t n_hashtags;
	config_feed_t *feeds;
	size_t n_feeds;
	config_display_t display;
	config_cache_t cache;
	config_network_t network;
	config_filter_t filter;
	char *notices_file;  /* [notices] file: front-desk notices, or NULL */
	platcfg_t *platform; /* [board], [screen], [schedule]: see src/platform/platcfg.h; never NULL */
} config_t;

/* A config with every default and no sources.  Caller frees with config_free(). */
config_t *config_new_default(void);

/* Parse path into a fresh config.  On error returns NULL and sets *err to a
 * message "FILE:LINE: [section] key: message" (caller frees); nothing global
 * changes.  A missing file is an error here (the caller decides whether a
 * missing default path is fine).  Relative paths in the file (photo, logo,
 * token files...) are taken relative to the file's own directory. */
config_t *config_load(const char *path, char **err);

/* Same, from a string (tests, fuzzers); name is used in messages. */
config_t *config_parse(const char *text, size_t len, const char *name, char **err);

void config_free(config_t *c);

/* Add a source from the command line: "--account @user@server" (Mastodon
 * handle; a server may be a URL such as http://127.0.0.1:8970) or
 * "--hashtag tag@server".  Returns false with *err set on a bad value. */
bool config_add_cli_account(config_t *c, const char *handle, char **err);
bool config_add_cli_hashtag(config_t *c, const char *spec, char **err);

/* Person by id, or NULL. */
const config_person_t *config_person(const config_t *c, const char *id);

/* The [hashtag] or [feed] section a source key (source_spec_t.key, post_t.source)
 * came from, or NULL.  Valid while c lives. */
const config_hashtag_t *config_hashtag_for_source(const config_t *c, const char *source_key);
const config_feed_t *config_feed_for_source(const config_t *c, const char *source_key);

/* The settings of the section a source key (source_spec_t.key, post_t.source)
 * came from, or NULL (the command line's sources, the notices file, a key
 * no section has).  Valid while c lives. */
const config_source_opts_t *config_source_opts(const config_t *c, const char *source_key);

/* The filter that holds for the posts of one source: [filter] with the
 * settings of the source's section over it (opts may be NULL: [filter]
 * alone).  Lists are borrowed from c; blocked words of the section come on
 * top of [filter]'s and are not in *out (check both). */
void config_filter_for(const config_t *c, const config_source_opts_t *opts, config_filter_t *out);

/* Expand the configuration into the list of sources to poll (one per
 * account, one per hashtag and server, one per feed).  *out is an owned
 * array of owned specs; free with config_sources_free(). */
size_t config_sources(const config_t *c, source_spec_t ***out);
void config_sources_free(source_spec_t **specs, size_t n);

/* Split a Mastodon handle "@user@server" (server may be a URL) into the user
 * and a base URL (url_base()).  Returns false with *err set when malformed or
 * when the server URL is not allowed (plain http to a non-loopback host). */
bool mastodon_handle_split(const char *handle, char **user, char **server, char **err);

#endif
