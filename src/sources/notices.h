/*
 * notices: front-desk announcements from a file the staff edit by hand.
 *
 *   # comments start with # or ;
 *   [notice]
 *   text     = Het stadhuis is op Koningsdag gesloten.
 *              Indented lines continue the text on a new line.
 *   from     = 2026-04-20 08:00        (local time; a date alone means 00:00)
 *   until    = 2026-04-27              (a date alone means the end of that day)
 *   priority = 2                       (0..10, default 1: higher shows more often)
 *   image    = /etc/balie/koningsdag.jpg   (absolute, or relative to this file)
 *   alt      = Oranje vlaggetjes op het stadhuisplein
 *
 * Dutch keys work too (tekst, van, tot, prioriteit, afbeelding,
 * beschrijving, and [melding] for [notice]), ':' may replace '=', and keys
 * before the first [notice] start one.  Two identical notices, or two with
 * the same name ([notice "kerst"]), are one notice.  A mistake is reported as "FILE:LINE: message" and only the
 * notice it is in is affected: a notice with a bad time or no text is skipped,
 * an unknown key is ignored, every other notice is kept.
 *
 * This is the one adapter that reads the disk: next_request() returns NULL
 * and handle(s, NULL, b) reads the file when its modification time, size or
 * inode changed, and reports the whole set (authoritative), so an edited or
 * deleted notice disappears.
 */
#ifndef BALIE_NOTICES_H
#define BALIE_NOTICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../feed/model.h"
#include "source.h"

/* Largest notices file read, and most notices kept from it. */
#define NOTICES_MAX_FILE (256 * 1024)
#define NOTICES_MAX (200)

/* Error lines of one parse ("FILE:LINE: message"), owned. */
typedef struct {
	char **lines;
	size_t len, cap;
} notices_errors_t;

/* Free every line; e is empty afterwards. */
void notices_errors_clear(notices_errors_t *e);

/* Parse text[0..len) (the contents of path) into posts appended to out
 * (owned by out; key "notice:...", network NET_NOTICE, person and source from
 * spec).  mtime is the file's modification time, used as the creation time
 * of notices without a start.  Problems are appended to errs.  Times are
 * local time (TZ).  Returns the number of notices added. */
size_t notices_parse(const char *text, size_t len, const char *path, const source_spec_t *spec,
                     int64_t mtime, post_list_t *out, notices_errors_t *errs);

/* "2026-12-01 08:00", "2026-12-01T08:00:30", "2026-12-01" or full ISO 8601
 * with a zone ("2026-12-01T08:00:00+01:00", "...Z") to Unix seconds; local
 * time unless a zone is given.  A date alone is 00:00, or with end_of_day
 * 23:59:59.  false when s is not such a time. */
bool notices_parse_time(const char *s, bool end_of_day, int64_t *out);

#endif
