/*
 * advice: what an administrator should do when a source does not work.
 *
 * `balie --check-sources` polls every configured source once and prints, per
 * source, whether it works and, when not, one of these texts.  They are
 * written per network because the remedy differs: a Mastodon server that
 * wants a login needs a user token, Bluesky hashtags need an app password, a
 * Facebook Page token is re-minted by hand, a LinkedIn sign-in lapses every
 * 60 days.  The adapter's own message (source_batch_t.message) says what
 * happened; this text says what to do next.  Plain English, one line, no
 * secrets, names the configuration keys as config.c spells them.
 */
#ifndef BALIE_ADVICE_H
#define BALIE_ADVICE_H

#include "../feed/model.h"
#include "source.h"

/* Advice for a source of network n that ended a check with status st: a
 * static one-line string, or NULL when st means the source works
 * (SRC_DONE, SRC_NOT_MODIFIED, SRC_CONTINUE). */
const char *source_advice(network_t n, source_status_t st);

#endif
