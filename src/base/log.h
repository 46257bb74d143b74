/*
 * log: one line per event on stderr, with a level.
 *
 * Under systemd (JOURNAL_STREAM set) each line starts with a syslog
 * priority prefix "<N>" so journald records the level; elsewhere lines read
 * "balie: warning: module: text".  journald adds time and unit itself.
 *
 * A failure that repeats (the same source failing every poll) is logged once:
 * log_event() remembers the last message per key, suppresses repeats and
 * summarises them when the message changes or log_event_clear() is called.
 *
 * Never pass a token, or a URL that may carry one, to these functions; use
 * url_redact() (base/url.h) for URLs.
 */
#ifndef BALIE_LOG_H
#define BALIE_LOG_H

enum log_level { LOG_LVL_ERROR = 3, LOG_LVL_WARN = 4, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

/* Messages above this level are dropped.  Default LOG_LVL_INFO. */
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);

/* Send log lines to a file descriptor other than stderr (tests).  -1 restores stderr. */
void log_set_fd(int fd);

void log_msg(enum log_level lvl, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Log under a key, once: a message equal to the key's previous one is
 * counted, not printed.  When a different message arrives, or on
 * log_event_clear(), a summary "(previous message repeated N times)" is
 * printed first.  Thread-safe. */
void log_event(const char *key, enum log_level lvl, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The condition under key is over: summarise repeats and, when resolved_msg
 * is not NULL and a failure was logged, log it at INFO.  Thread-safe. */
void log_event_clear(const char *key, const char *module, const char *resolved_msg);
/* Forget every key (frees memory; at exit). */
void log_event_reset(void);

#define log_err(mod, ...) log_msg(LOG_LVL_ERROR, mod, __VA_ARGS__)
#define log_warn(mod, ...) log_msg(LOG_LVL_WARN, mod, __VA_ARGS__)
#define log_info(mod, ...) log_msg(LOG_LVL_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...) log_msg(LOG_LVL_DEBUG, mod, __VA_ARGS__)

#endif
