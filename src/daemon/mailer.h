/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The mailer: sends the messages of the outbox (store.h, "outbox") over
 * SMTP with libcurl, one at a time, retrying a failure with a capped
 * exponential backoff ([report] retry_min doubled after each failure, up
 * to retry_max) until a server accepts it, across restarts. A message a
 * server accepted is never sent again (but see mailer.c on the crash
 * window). Without [report] smtp_url nothing is sent: messages stay
 * queued until it is set (a reload is enough).
 *
 * Loop thread only. The outbox is read and updated by short jobs on the
 * writer (jobs_call), the SMTP session runs on the libuv thread pool.
 */
#ifndef RETENTIOND_DAEMON_MAILER_H
#define RETENTIOND_DAEMON_MAILER_H

#include <stdbool.h>
#include <stdint.h>

struct daemon;
struct mailer;

/* Start, and try at once what a previous run left unsent. */
int mailer_start(struct daemon *d, struct mailer **out);

/* Something was queued: look now. NULL is fine (the daemon is stopping). */
void mailer_kick(struct mailer *m);

/* The configuration was reloaded: every message not yet sent is due at
 * once, whatever its backoff (the reload may have fixed the cause), and
 * the new settings apply from the next attempt. NULL is fine. */
void mailer_reconfigured(struct mailer *m);

/*
 * Stop: no new attempt starts; a session in progress is aborted, its
 * outcome still recorded, and the mailer frees itself once its timer is
 * closed and its last job or session has ended (the loop must run).
 * NULL is fine.
 */
void mailer_stop(struct mailer *m);

/* The id of the message being sent now, or 0 (for `outbox`). */
int64_t mailer_sending(const struct mailer *m);

/* The wait before the attempt after `attempts` failed ones:
 * min(retry_min * 2^(attempts - 1), retry_max) seconds. */
int64_t mailer_backoff(unsigned retry_min, unsigned retry_max, int attempts);

#endif
