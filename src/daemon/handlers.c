/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The protocol commands (doc/protocol.md). Every argument is checked for
 * type and size here, before it reaches the store.
 */
#include "config.h"

#include "daemon/handlers.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/clock.h"
#include "daemon/csvimport.h"
#include "daemon/daemon.h"
#include "daemon/jobs.h"
#include "daemon/log.h"
#include "daemon/render.h"
#include "daemon/server.h"

#define MAX_IPP 64
#define MAX_SOURCE 200
#define MAX_LIST 1000000

json_t *handlers_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

json_t *handlers_ok(json_t *result)
{
	if (!result)
		return handlers_error("out of memory");
	return json_pack("{s:b, s:o}", "ok", 1, "result", result);
}

/* An optional string argument; false (and *err) when it is not a string
 * of at most max bytes. */
bool handlers_arg_string(json_t *req, const char *key, size_t max,
			 const char **out, json_t **err)
{
	json_t *v = json_object_get(req, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_string(v) || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		*err = handlers_error("argument '%s' must be a string of at most %zu bytes",
				      key, max);
		return false;
	}
	*out = json_string_value(v);
	return true;
}

bool handlers_arg_bool(json_t *req, const char *key, bool *out, json_t **err)
{
	json_t *v = json_object_get(req, key);

	*out = false;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_boolean(v)) {
		*err = handlers_error("argument '%s' must be true or false", key);
		return false;
	}
	*out = json_is_true(v);
	return true;
}

bool handlers_arg_date(json_t *req, const char *key, rd_date *out, json_t **err)
{
	const char *s;

	*out = DATE_NONE;
	if (!handlers_arg_string(req, key, 10, &s, err))
		return false;
	if (s && date_parse(s, strlen(s), out) < 0) {
		*err = handlers_error("%s: '%s' is not a date (YYYY-MM-DD)", key, s);
		return false;
	}
	return true;
}

static bool arg_limit(json_t *req, size_t *out, json_t **err)
{
	json_t *v = json_object_get(req, "limit");

	*out = 0;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > MAX_LIST) {
		*err = handlers_error("limit must be an integer between 0 and %d", MAX_LIST);
		return false;
	}
	*out = (size_t)json_integer_value(v);
	return true;
}

/* ------------------------------------------------------------ reads */

static json_t *h_status(struct daemon *d, struct conn *c, json_t *req)
{
	struct store_counts n;
	char buf[64];
	int rc;

	(void)c;
	(void)req;
	rc = store_counts(d->reader, &n);
	if (rc < 0)
		return handlers_error("cannot read the database: %s", store_errmsg(d->reader));
	json_t *dossiers = json_object();
	for (int s = 0; s < 4; s++)
		json_object_set_new(dossiers, engine_status_name(s),
				    json_integer(n.by_status[s]));
	json_t *proposals = json_object();
	for (int s = 0; s < STORE_N_STATES; s++)
		json_object_set_new(proposals, store_proposal_states[s],
				    json_integer(n.proposals[s]));
	json_t *r = json_object();
	json_object_set_new(r, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(r, "pid", json_integer(getpid()));
	clock_format_time(d->started_at, buf, sizeof(buf));
	json_object_set_new(r, "started_at", json_string(buf));
	json_object_set_new(r, "today", render_date(clock_today()));
	json_object_set_new(r, "today_pinned", json_boolean(clock_is_pinned()));
	json_object_set_new(r, "establishment",
			    json_pack("{s:s, s:s, s:b}", "name", d->cfg.name, "finess",
				      d->cfg.finess, "public", d->cfg.is_public));
	json_object_set_new(r, "database", json_string(d->cfg.database));
	json_object_set_new(r, "config",
			    d->cfg.path ? json_string(d->cfg.path) : json_null());
	json_object_set_new(r, "patients", json_integer(n.patients));
	json_object_set_new(r, "encounters", json_integer(n.encounters));
	json_object_set_new(r, "transfusions", json_integer(n.transfusions));
	json_object_set_new(r, "litigations", json_integer(n.litigations));
	json_object_set_new(r, "dossiers", dossiers);
	json_object_set_new(r, "pending_recompute", json_integer(n.dirty));
	json_object_set_new(r, "proposals", proposals);
	json_object_set_new(r, "batches", json_integer(n.batches));
	if (d->last_scan.valid) {
		clock_format_time(d->last_scan.at, buf, sizeof(buf));
		json_object_set_new(
			r, "last_scan",
			json_pack("{s:s, s:I, s:o, s:I, s:I, s:I, s:I}", "at", buf,
				  "duration_ms", (json_int_t)d->last_scan.duration_ms,
				  "batch",
				  d->last_scan.batch ? json_integer(d->last_scan.batch)
						     : json_null(),
				  "proposed", (json_int_t)d->last_scan.proposed,
				  "recomputed", (json_int_t)d->last_scan.recomputed,
				  "changed", (json_int_t)d->last_scan.changed,
				  "withdrawn", (json_int_t)d->last_scan.withdrawn));
	} else {
		json_object_set_new(r, "last_scan", json_null());
	}
	json_object_set_new(r, "job", jobs_describe(d->jobs));
	return handlers_ok(r);
}

static json_t *h_explain(struct daemon *d, struct conn *c, json_t *req)
{
	struct store_dossier *dos = NULL;
	struct engine_result res;
	const char *ipp;
	json_t *err = NULL;

	(void)c;
	if (!handlers_arg_string(req, "ipp", MAX_IPP, &ipp, &err))
		return err;
	if (!ipp || !*ipp)
		return handlers_error("explain needs an IPP");
	int rc = store_dossier_load(d->reader, &d->cfg.policy, ipp, &dos);
	if (rc == -ENOENT)
		return handlers_error("no dossier with IPP '%s'", ipp);
	if (rc < 0)
		return handlers_error("cannot read the database: %s", store_errmsg(d->reader));
	const rd_date today = clock_today();
	engine_evaluate(&d->cfg.policy, &dos->facts, today, &res);
	json_t *r = render_explain(&d->cfg.policy, dos, &res, today);
	store_dossier_free(dos);
	return handlers_ok(r);
}

struct list_ctx {
	json_t *arr;
};

static int add_proposal(void *ctx, const struct store_proposal *p)
{
	struct list_ctx *l = ctx;
	json_t *o = json_pack("{s:I, s:s, s:s, s:o, s:s?, s:I, s:s?, s:s?}", "id",
			      (json_int_t)p->id, "ipp", p->ipp, "state", p->state,
			      "retain_until", render_date(p->retain_until), "basis", p->basis,
			      "batch", (json_int_t)p->batch, "reason", p->reason, "opinion",
			      p->opinion);

	if (!o || json_array_append_new(l->arr, o) < 0)
		return -ENOMEM;
	return 0;
}

static bool valid_state(const char *s)
{
	for (int i = 0; i < STORE_N_STATES; i++)
		if (strcmp(s, store_proposal_states[i]) == 0)
			return true;
	return false;
}

static json_t *h_proposals(struct daemon *d, struct conn *c, json_t *req)
{
	const char *state;
	size_t limit;
	json_t *err = NULL;
	struct list_ctx l;

	(void)c;
	if (!handlers_arg_string(req, "state", 16, &state, &err) || !arg_limit(req, &limit, &err))
		return err;
	if (state && !valid_state(state))
		return handlers_error("unknown proposal state '%s' (states: proposed, reviewed, "
				      "approved, refused, visaed, kept, destroyed, withdrawn)",
				      state);
	l.arr = json_array();
	if (!l.arr)
		return handlers_error("out of memory");
	json_t *b = json_object_get(req, "batch");
	if (b && !json_is_null(b) && (!json_is_integer(b) || json_integer_value(b) <= 0)) {
		json_decref(l.arr);
		return handlers_error("batch must be a positive integer");
	}
	int rc = store_proposals_each(d->reader, state, b ? json_integer_value(b) : 0, limit,
				      add_proposal, &l);
	if (rc < 0) {
		json_decref(l.arr);
		return handlers_error("cannot read the proposals: %s", store_errmsg(d->reader));
	}
	return handlers_ok(json_pack("{s:o}", "proposals", l.arr));
}

static int add_month(void *ctx, int year, int month, int64_t count)
{
	struct list_ctx *l = ctx;
	char buf[16];

	snprintf(buf, sizeof(buf), "%04d-%02d", year, month);
	json_t *o = json_pack("{s:s, s:I}", "month", buf, "count", (json_int_t)count);
	if (!o || json_array_append_new(l->arr, o) < 0)
		return -ENOMEM;
	return 0;
}

static int add_due(void *ctx, const char *ipp, rd_date until, const char *basis)
{
	struct list_ctx *l = ctx;
	json_t *o = json_pack("{s:s, s:o, s:o, s:s?}", "ipp", ipp, "retain_until",
			      render_date(until), "eligible_from",
			      render_date(date_add_days(until, 1)), "basis", basis);

	if (!o || json_array_append_new(l->arr, o) < 0)
		return -ENOMEM;
	return 0;
}

static json_t *h_forecast(struct daemon *d, struct conn *c, json_t *req)
{
	rd_date until;
	size_t limit;
	json_t *err = NULL;
	struct list_ctx months, list = {NULL};
	struct store_counts n;
	const rd_date today = clock_today();

	(void)c;
	bool want_list;

	if (!handlers_arg_date(req, "until", &until, &err) || !arg_limit(req, &limit, &err) ||
	    !handlers_arg_bool(req, "list", &want_list, &err))
		return err;
	if (until == DATE_NONE)
		return handlers_error("forecast needs a date: --until YYYY-MM-DD");
	if (until <= today) {
		char a[DATE_STRLEN];
		return handlers_error("the forecast date must be after today (%s)",
				      date_format(today, a));
	}
	months.arr = json_array();
	int rc = store_forecast_months(d->reader, today, until, add_month,
				       &months);
	if (rc >= 0 && want_list) {
		list.arr = json_array();
		rc = store_forecast_each(d->reader, today, until, limit,
					 add_due, &list);
	}
	if (rc >= 0)
		rc = store_counts(d->reader, &n);
	if (rc < 0) {
		json_decref(months.arr);
		json_decref(list.arr);
		return handlers_error("cannot read the database: %s", store_errmsg(d->reader));
	}
	json_int_t total = 0;
	size_t i;
	json_t *m;
	json_array_foreach(months.arr, i, m)
		total += json_integer_value(json_object_get(m, "count"));
	json_t *r = json_pack("{s:o, s:o, s:I, s:I, s:o}", "today", render_date(today),
			      "until", render_date(until), "total", total,
			      "already_eligible", (json_int_t)n.by_status[ENGINE_ELIGIBLE],
			      "months", months.arr);
	if (r && list.arr)
		json_object_set_new(r, "dossiers", list.arr);
	return handlers_ok(r);
}

/* ------------------------------------------------------------ jobs */

static void job_done(void *owner, struct job *job, json_t *reply)
{
	struct conn *c = owner;

	(void)job;
	c->job = NULL;
	conn_send(c, PROTO_REPLY, reply);
	if (c->close_after_reply)
		conn_close_after_writes(c);
}

static void job_progress(void *owner, struct job *job, json_t *progress)
{
	struct conn *c = owner;

	(void)job;
	if (c->want_progress)
		conn_send(c, PROTO_PROGRESS, progress);
}

static void job_resume(void *owner, struct job *job)
{
	struct conn *c = owner;

	(void)job;
	conn_resume(c);
}

void handlers_actor(const struct conn *c, struct job_actor *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->user, sizeof(out->user), "%s", c->caller.user);
	out->uid = (int64_t)c->uid;
	snprintf(out->role, sizeof(out->role), "%s", c->role_used ? c->role_used : "none");
}

json_t *handlers_call(struct daemon *d, struct conn *c, job_fn fn, void *arg,
		      void (*free_arg)(void *))
{
	struct job *job;
	struct job_actor actor;
	struct job_owner owner = {c, job_done, job_progress, NULL};

	handlers_actor(c, &actor);
	int rc = jobs_call(d->jobs, fn, arg, free_arg, &actor, &owner, &job);
	if (rc < 0)
		return handlers_error("cannot run the command: %s", strerror(-rc));
	c->job = job;
	return NULL;
}

static json_t *h_import(struct daemon *d, struct conn *c, json_t *req)
{
	const char *kind, *source;
	json_t *err = NULL;
	struct job *job;
	struct job_owner owner = {c, job_done, job_progress, job_resume};

	if (!handlers_arg_string(req, "kind", 32, &kind, &err) ||
	    !handlers_arg_string(req, "source", MAX_SOURCE, &source, &err))
		return err;
	int k = kind ? csvimport_kind_from_name(kind) : -EINVAL;
	if (k < 0)
		return handlers_error("unknown import kind '%s' (kinds: patients, encounters, "
				      "transfusions, litigations)", kind ? kind : "");
	struct job_actor actor;
	handlers_actor(c, &actor);
	int rc = jobs_import(d->jobs, k, source && *source ? source : "stdin", &actor, &owner,
			     &job);
	if (rc < 0)
		return handlers_error("cannot start the import: %s", strerror(-rc));
	c->job = job;
	c->streaming = true;
	return NULL;
}

static json_t *h_scan(struct daemon *d, struct conn *c, json_t *req)
{
	struct job *job;
	struct job_owner owner = {c, job_done, job_progress, NULL};
	struct job_actor actor;
	json_t *err = NULL;
	bool full;

	if (!handlers_arg_bool(req, "full", &full, &err))
		return err;
	handlers_actor(c, &actor);
	int rc = jobs_scan(d->jobs, full, &actor, &owner, &job);

	if (rc < 0)
		return handlers_error("cannot start the scan: %s", strerror(-rc));
	c->job = job;
	return NULL;
}

static json_t *h_whoami(struct daemon *d, struct conn *c, json_t *req)
{
	static const enum wf_role all[] = {WF_ROLE_ARCHIVIST, WF_ROLE_DIM, WF_ROLE_DIRECTOR,
					   WF_ROLE_ARCHIVES, WF_ROLE_ADMIN};
	json_t *roles = json_array();

	(void)d;
	(void)req;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (c->caller.roles & all[i])
			json_array_append_new(roles, json_string(wf_role_name(all[i])));
	return handlers_ok(json_pack("{s:s, s:I, s:I, s:o}", "user", c->caller.user, "uid",
				     (json_int_t)c->uid, "gid", (json_int_t)c->gid, "roles",
				     roles));
}

#define READERS ROLES_ALL
#define FEEDERS (WF_ROLE_ADMIN | WF_ROLE_ARCHIVIST)

static const struct handler_command commands[] = {
	{"whoami", 0, h_whoami},
	{"status", READERS, h_status},
	{"explain", READERS, h_explain},
	{"proposals", READERS, h_proposals},
	{"forecast", READERS, h_forecast},
	{"import", FEEDERS, h_import},
	{"scan", FEEDERS, h_scan},
};

static const struct handler_command *find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	for (size_t i = 0; i < workflow_commands_count; i++)
		if (strcmp(name, workflow_commands[i].name) == 0)
			return &workflow_commands[i];
	return NULL;
}

/* "director" or "archivist or director". */
static const char *needed(unsigned roles, char *buf, size_t len)
{
	char list[128];
	char *last;

	roles_describe(roles, list, sizeof(list));
	last = strrchr(list, ',');
	if (last)
		snprintf(buf, len, "%.*s or%s", (int)(last - list), list, last + 1);
	else
		snprintf(buf, len, "%s", list);
	return buf;
}

json_t *handlers_dispatch(struct daemon *d, struct conn *c, json_t *req)
{
	const char *name = json_string_value(json_object_get(req, "cmd"));
	const struct handler_command *cmd;
	char need[160], have[128];

	if (!name)
		return handlers_error("request without a command");
	cmd = find(name);
	if (!cmd)
		return handlers_error("unknown command '%.40s'", name);
	c->role_used = NULL;
	/* The role is checked here, from the kernel's uid, whatever the
	 * client checked on its side. */
	if (cmd->roles && !roles_allow(c->caller.roles, cmd->roles, &c->role_used)) {
		log_notice("refused %s to %s (uid %u): needs %s", name, c->caller.user,
			   (unsigned)c->uid, needed(cmd->roles, need, sizeof(need)));
		return handlers_error("permission denied: '%s' needs the role %s (you are %s, "
				      "with the roles: %s)",
				      name, needed(cmd->roles, need, sizeof(need)),
				      c->caller.user,
				      roles_describe(c->caller.roles, have, sizeof(have)));
	}
	return cmd->fn(d, c, req);
}
