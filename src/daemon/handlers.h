/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Command handlers: one function per protocol command. Reads run on the
 * loop thread with the reader connection (fast, indexed queries); writes
 * become jobs that reply when they finish.
 */
#ifndef RETENTIOND_DAEMON_HANDLERS_H
#define RETENTIOND_DAEMON_HANDLERS_H

#include <jansson.h>

struct daemon;
struct conn;

/* Handle one request of c. Returns the reply (new reference), or NULL when
 * the reply will come later from a job. */
json_t *handlers_dispatch(struct daemon *d, struct conn *c, json_t *req);

/* Build {"ok": false, "error": ...}. */
json_t *handlers_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
