/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Command handlers: one function per protocol command. Reads run on the
 * loop thread with the reader connection (fast, indexed queries); writes
 * become jobs that reply when they finish.
 */
#ifndef RETENTIOND_DAEMON_HANDLERS_H
#define RETENTIOND_DAEMON_HANDLERS_H

#include <jansson.h>

#include "common/date.h"

#include <stdbool.h>
#include <stddef.h>

#include "daemon/jobs.h"

struct daemon;
struct conn;

struct handler_command {
	const char *name;
	/* Roles allowed (enum wf_role bits); 0: anyone who can connect. */
	unsigned roles;
	json_t *(*fn)(struct daemon *d, struct conn *c, json_t *req);
};

/* The workflow commands (workflow_handlers.c). */
extern const struct handler_command workflow_commands[];
extern const size_t workflow_commands_count;

/* Helpers shared by the handler files. */
json_t *handlers_ok(json_t *result);
bool handlers_arg_string(json_t *req, const char *key, size_t max,
			 const char **out, json_t **err);
bool handlers_arg_date(json_t *req, const char *key, rd_date *out, json_t **err);
/* An optional boolean argument, false when absent or null. */
bool handlers_arg_bool(json_t *req, const char *key, bool *out, json_t **err);
/* The caller as the audit journal names it. */
void handlers_actor(const struct conn *c, struct job_actor *out);
/* Queue fn on the writer with c as the owner; NULL or an error reply. */
json_t *handlers_call(struct daemon *d, struct conn *c, job_fn fn, void *arg,
		      void (*free_arg)(void *));

/* Handle one request of c. Returns the reply (new reference), or NULL when
 * the reply will come later from a job. */
json_t *handlers_dispatch(struct daemon *d, struct conn *c, json_t *req);

/* Build {"ok": false, "error": ...}. */
json_t *handlers_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
