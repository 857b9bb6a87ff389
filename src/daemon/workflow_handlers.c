/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The elimination procedure's commands: opinion, approve, refuse, visa,
 * destroyed, hold, release, litigation, bordereau, audit. Each decision
 * runs on the writer thread in one transaction with its audit entries.
 *
 * A command over several proposals takes every step that is allowed and
 * lists those that are not, with the reason (exit status 1 then): a
 * director approving a batch learns which lines still lack the DIM's
 * opinion, and the others are approved. A proposal whose dossier is no
 * longer eligible is withdrawn on the spot, whatever was asked.
 */
#include "config.h"

#include "daemon/workflow_handlers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/bordereau.h"
#include "daemon/clock.h"
#include "daemon/daemon.h"
#include "daemon/handlers.h"
#include "daemon/log.h"
#include "daemon/mailer.h"
#include "daemon/render.h"
#include "daemon/report.h"
#include "daemon/server.h"

#define MAX_TEXT 1000     /* comment, reason */
#define MAX_REF 200       /* visa reference, certificate, litigation reference */
#define MAX_IDS 100000    /* proposals named in one command */

struct step_args {
	enum wf_action action;
	enum wf_opinion opinion;
	bool override;
	char *reason;
	char *reference;
	char *comment;
	int64_t batch;
	int64_t *ids, *keep, *reject;
	size_t n_ids, n_keep, n_reject;
};

static void step_args_free(void *p)
{
	struct step_args *a = p;

	if (!a)
		return;
	free(a->reason);
	free(a->reference);
	free(a->comment);
	free(a->ids);
	free(a->keep);
	free(a->reject);
	free(a);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* An array of proposal ids under key; false (and *err) when malformed. */
static bool arg_ids(json_t *req, const char *key, int64_t **out, size_t *n, json_t **err)
{
	json_t *v = json_object_get(req, key);
	size_t i;
	json_t *x;

	*out = NULL;
	*n = 0;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_array(v) || json_array_size(v) > MAX_IDS) {
		*err = handlers_error("%s must be a list of at most %d proposal numbers", key,
				      MAX_IDS);
		return false;
	}
	*out = calloc(json_array_size(v) + 1, sizeof(**out));
	if (!*out) {
		*err = handlers_error("out of memory");
		return false;
	}
	json_array_foreach(v, i, x) {
		if (!json_is_integer(x) || json_integer_value(x) <= 0) {
			*err = handlers_error("%s: proposal numbers are positive integers", key);
			free(*out);
			*out = NULL;
			return false;
		}
		(*out)[i] = json_integer_value(x);
	}
	*n = json_array_size(v);
	return true;
}

static bool arg_batch(json_t *req, int64_t *out, json_t **err)
{
	json_t *v = json_object_get(req, "batch");

	*out = 0;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		*err = handlers_error("batch must be a positive integer");
		return false;
	}
	*out = json_integer_value(v);
	return true;
}

static bool contains(const int64_t *ids, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

static const char *outcome(int rc)
{
	switch (rc) {
	case 0:
		return "done";
	case -ESTALE:
		return "withdrawn";
	case -ENOENT:
		return "unknown";
	default:
		return "refused";
	}
}

/*
 * Visa and destruction act on a whole bordereau: every line must have
 * reached the state they need, or nothing is done (a partly destroyed
 * batch would not match its signed bordereau).
 */
static json_t *batch_ready(struct daemon *d, const struct step_args *a,
			   const struct store_batch *b, const int64_t *ids, size_t n)
{
	const int64_t undecided = b->by_state[WF_PROPOSED] + b->by_state[WF_REVIEWED];

	if (a->action == WF_ACT_VISA_ELIMINATE) {
		if (!d->cfg.is_public)
			return handlers_error("this establishment is not public ([establishment] "
					      "public = no): eliminations need no visa of the "
					      "archives administration");
		if (undecided)
			return handlers_error("batch %lld has %lld proposals the director has not "
					      "decided yet: the visa comes after the decision",
					      (long long)a->batch, (long long)undecided);
		if (!b->by_state[WF_APPROVED])
			return handlers_error("batch %lld has no approved proposal awaiting a visa",
					      (long long)a->batch);
		for (size_t i = 0; i < a->n_keep + a->n_reject; i++) {
			int64_t id = i < a->n_keep ? a->keep[i] : a->reject[i - a->n_keep];
			if (!contains(ids, n, id))
				return handlers_error("proposal %lld is not in batch %lld",
						      (long long)id, (long long)a->batch);
			if (contains(a->keep, a->n_keep, id) && contains(a->reject, a->n_reject, id))
				return handlers_error("proposal %lld cannot be both kept and rejected",
						      (long long)id);
		}
	}
	if (a->action == WF_ACT_DESTROY) {
		if (undecided)
			return handlers_error("batch %lld has %lld proposals the director has not "
					      "decided yet: nothing was destroyed",
					      (long long)a->batch, (long long)undecided);
		if (d->cfg.is_public && b->by_state[WF_APPROVED])
			return handlers_error("batch %lld has %lld approved proposals without the "
					      "visa of the archives administration (Code du "
					      "patrimoine R212-14): nothing was destroyed",
					      (long long)a->batch, (long long)b->by_state[WF_APPROVED]);
		if (!b->by_state[d->cfg.is_public ? WF_VISAED : WF_APPROVED])
			return handlers_error("batch %lld has nothing to destroy",
					      (long long)a->batch);
	}
	return NULL;
}

/* Runs on the writer thread. */
static json_t *run_steps(struct daemon *d, struct store *st, void *arg)
{
	struct step_args *a = arg;
	const rd_date today = clock_today();
	int64_t *batch_ids = NULL;
	const int64_t *ids = a->ids;
	size_t n = a->n_ids;
	size_t done = 0, refused = 0, withdrawn = 0;
	json_t *lines = json_array(), *reply = NULL;
	char msg[512];
	int rc;

	rc = store_begin(st);
	if (rc < 0) {
		json_decref(lines);
		return handlers_error("cannot start a transaction: %s", store_errmsg(st));
	}
	if (a->batch) {
		struct store_batch b;
		rc = store_batch_get(st, a->batch, &b);
		if (rc == -ENOENT) {
			reply = handlers_error("no batch %lld", (long long)a->batch);
			goto rollback;
		}
		if (rc < 0)
			goto fail;
		rc = store_batch_proposals(st, a->batch, &batch_ids, &n);
		if (rc < 0)
			goto fail;
		ids = batch_ids;
		reply = batch_ready(d, a, &b, ids, n);
		if (reply)
			goto rollback;
	}
	for (size_t i = 0; i < n; i++) {
		struct wf_request r = {
			.action = a->action,
			.opinion = a->opinion,
			.override_unfavorable = a->override,
			.reason = a->reason,
			.reference = a->reference,
			.is_public = d->cfg.is_public,
		};
		struct store_step s;

		if (a->action == WF_ACT_VISA_ELIMINATE) {
			if (contains(a->keep, a->n_keep, ids[i]))
				r.action = WF_ACT_VISA_KEEP;
			else if (contains(a->reject, a->n_reject, ids[i]))
				r.action = WF_ACT_VISA_REJECT;
		}
		rc = store_proposal_step(st, &d->cfg.policy, today, ids[i], &r, a->comment, &s);
		if (rc < 0)
			goto fail;
		/* Over a whole batch, lines already settled are not the
		 * command's business: skipped silently. */
		if (a->batch && s.rc == -EPERM && wf_state_is_final(s.from))
			continue;
		if (s.rc == 0)
			done++;
		else if (s.rc == -ESTALE)
			withdrawn++;
		else
			refused++;
		json_t *line = json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)s.proposal_id,
					 "ipp", s.ipp, "outcome", outcome(s.rc), "from",
					 wf_state_name(s.from), "to",
					 wf_state_name(s.rc == 0 ? s.to
						       : s.rc == -ESTALE ? WF_WITHDRAWN
									 : s.from));
		if (line && s.rc != 0)
			json_object_set_new(line, "why", json_string(s.why));
		json_array_append_new(lines, line);
	}
	if (a->batch && done && a->action == WF_ACT_VISA_ELIMINATE)
		rc = store_batch_set_visa(st, a->batch, a->reference);
	else if (a->batch && done && a->action == WF_ACT_DESTROY)
		rc = store_batch_set_certificate(st, a->batch, a->reference);
	if (rc < 0)
		goto fail;
	rc = store_commit(st);
	if (rc < 0)
		goto fail;
	free(batch_ids);

	json_t *result = json_pack("{s:s, s:I, s:I, s:I, s:o}", "action",
				   a->action == WF_ACT_VISA_ELIMINATE ? "visa"
								    : wf_action_name(a->action),
				   "done", (json_int_t)done,
				   "refused", (json_int_t)refused, "withdrawn",
				   (json_int_t)withdrawn, "lines", lines);
	if (a->batch && result)
		json_object_set_new(result, "batch", json_integer(a->batch));
	if (refused == 0)
		return handlers_ok(result);
	snprintf(msg, sizeof(msg), "%zu of %zu proposal%s refused (%zu done, %zu withdrawn)",
		 refused, done + refused + withdrawn, done + refused + withdrawn == 1 ? "" : "s",
		 done, withdrawn);
	return json_pack("{s:b, s:s, s:o}", "ok", 0, "error", msg, "result", result);

fail:
	reply = handlers_error("database error: %s", store_errmsg(st));
rollback:
	store_rollback(st);
	free(batch_ids);
	json_decref(lines);
	return reply;
}

/* Parse what every step command shares; NULL and *err on a bad request. */
static struct step_args *step_args(json_t *req, enum wf_action action, json_t **err)
{
	struct step_args *a = calloc(1, sizeof(*a));
	const char *reason, *reference, *comment;

	if (!a) {
		*err = handlers_error("out of memory");
		return NULL;
	}
	a->action = action;
	if (!handlers_arg_string(req, "reason", MAX_TEXT, &reason, err) ||
	    !handlers_arg_string(req, "reference", MAX_REF, &reference, err) ||
	    !handlers_arg_string(req, "comment", MAX_TEXT, &comment, err) ||
	    !arg_batch(req, &a->batch, err) || !arg_ids(req, "proposals", &a->ids, &a->n_ids, err) ||
	    !arg_ids(req, "keep", &a->keep, &a->n_keep, err) ||
	    !arg_ids(req, "reject", &a->reject, &a->n_reject, err))
		goto bad;
	a->reason = dup_or_null(reason);
	a->reference = dup_or_null(reference);
	a->comment = dup_or_null(comment);
	if (!a->batch == !a->n_ids) {
		*err = handlers_error("name either a batch or proposals, not both nor neither");
		goto bad;
	}
	return a;
bad:
	step_args_free(a);
	return NULL;
}

static json_t *h_opinion(struct daemon *d, struct conn *c, json_t *req)
{
	json_t *err = NULL;
	const char *op = json_string_value(json_object_get(req, "opinion"));
	int o = op ? wf_opinion_from_name(op) : -EINVAL;

	if (o != WF_OPINION_FAVORABLE && o != WF_OPINION_UNFAVORABLE)
		return handlers_error("the opinion is favorable or unfavorable");
	struct step_args *a = step_args(req, WF_ACT_OPINION, &err);
	if (!a)
		return err;
	a->opinion = (enum wf_opinion)o;
	return handlers_call(d, c, run_steps, a, step_args_free);
}

static json_t *h_approve(struct daemon *d, struct conn *c, json_t *req)
{
	json_t *err = NULL;
	struct step_args *a = step_args(req, WF_ACT_APPROVE, &err);

	if (!a)
		return err;
	if (!handlers_arg_bool(req, "override_unfavorable", &a->override, &err)) {
		step_args_free(a);
		return err;
	}
	if (a->override && (!a->reason || !*a->reason)) {
		step_args_free(a);
		return handlers_error("overriding an unfavourable opinion needs a reason");
	}
	return handlers_call(d, c, run_steps, a, step_args_free);
}

static json_t *h_refuse(struct daemon *d, struct conn *c, json_t *req)
{
	json_t *err = NULL;
	struct step_args *a = step_args(req, WF_ACT_REFUSE, &err);

	if (!a)
		return err;
	if (!a->reason || !*a->reason) {
		step_args_free(a);
		return handlers_error("refusing needs a reason");
	}
	return handlers_call(d, c, run_steps, a, step_args_free);
}

static json_t *h_visa(struct daemon *d, struct conn *c, json_t *req)
{
	json_t *err = NULL;
	struct step_args *a = step_args(req, WF_ACT_VISA_ELIMINATE, &err);

	if (!a)
		return err;
	if (!a->batch || !a->reference || !*a->reference) {
		step_args_free(a);
		return handlers_error("a visa is given on a batch, with the reference of the "
				      "archives' decision");
	}
	return handlers_call(d, c, run_steps, a, step_args_free);
}

static json_t *h_destroyed(struct daemon *d, struct conn *c, json_t *req)
{
	json_t *err = NULL;
	struct step_args *a = step_args(req, WF_ACT_DESTROY, &err);

	if (!a)
		return err;
	if (!a->batch || !a->reference || !*a->reference) {
		step_args_free(a);
		return handlers_error("a destruction is recorded for a batch, with the reference "
				      "of the certificate of destruction");
	}
	return handlers_call(d, c, run_steps, a, step_args_free);
}

/* ------------------------------------------------------------ facts */

enum fact_op { HOLD, RELEASE, LIT_OPEN, LIT_CLOSE };

struct fact_args {
	enum fact_op op;
	char *ipp, *id, *text;
	rd_date date;
};

static void fact_args_free(void *p)
{
	struct fact_args *a = p;

	if (!a)
		return;
	free(a->ipp);
	free(a->id);
	free(a->text);
	free(a);
}

static json_t *run_fact(struct daemon *d, struct store *st, void *arg)
{
	struct fact_args *a = arg;
	const rd_date today = clock_today();
	char day[DATE_STRLEN];
	int rc = store_begin(st);

	if (rc < 0)
		return handlers_error("cannot start a transaction: %s", store_errmsg(st));
	switch (a->op) {
	case HOLD:
		rc = store_hold(st, &d->cfg.policy, today, a->ipp, a->text);
		break;
	case RELEASE:
		rc = store_hold_release(st, &d->cfg.policy, today, a->ipp);
		break;
	case LIT_OPEN:
		rc = a->date > today ? -ERANGE
				     : store_litigation_open(st, &d->cfg.policy, today, a->id,
							     a->ipp, a->date, a->text);
		break;
	case LIT_CLOSE:
		rc = a->date > today ? -ERANGE
				     : store_litigation_close(st, &d->cfg.policy, today, a->id,
							      a->date);
		break;
	}
	if (rc < 0) {
		json_t *e;
		if (rc == -ENOENT && (a->op == HOLD || a->op == RELEASE || a->op == LIT_OPEN))
			e = handlers_error("no dossier with IPP '%s'", a->ipp);
		else if (rc == -ENOENT)
			e = handlers_error("no litigation '%s'", a->id);
		else if (rc == -EALREADY && a->op == HOLD)
			e = handlers_error("dossier %s is already held", a->ipp);
		else if (rc == -EALREADY && a->op == RELEASE)
			e = handlers_error("dossier %s is not held", a->ipp);
		else if (rc == -EALREADY)
			e = handlers_error("litigation '%s' is already closed", a->id);
		else if (rc == -EEXIST)
			e = handlers_error("a litigation '%s' already exists", a->id);
		else if (rc == -EINVAL)
			e = handlers_error("litigation '%s' cannot close before it opened", a->id);
		else if (rc == -ERANGE)
			e = handlers_error("%s is in the future (today is %s)",
					   date_format(a->date, day), date_format(today, day));
		else
			e = handlers_error("database error: %s", store_errmsg(st));
		store_rollback(st);
		return e;
	}
	rc = store_commit(st);
	if (rc < 0) {
		store_rollback(st);
		return handlers_error("commit failed: %s", store_errmsg(st));
	}
	static const char *const names[] = {"hold", "release", "litigation open",
					    "litigation close"};
	json_t *r = json_pack("{s:s}", "action", names[a->op]);
	if (a->ipp)
		json_object_set_new(r, "ipp", json_string(a->ipp));
	if (a->id)
		json_object_set_new(r, "litigation", json_string(a->id));
	return handlers_ok(r);
}

static json_t *fact_call(struct daemon *d, struct conn *c, json_t *req, enum fact_op op)
{
	const char *ipp = NULL, *id = NULL, *text = NULL;
	json_t *err = NULL;
	rd_date date = DATE_NONE;

	if (!handlers_arg_string(req, "ipp", 64, &ipp, &err) ||
	    !handlers_arg_string(req, "id", 64, &id, &err) ||
	    !handlers_arg_string(req, op == HOLD ? "reason" : "reference",
				 op == HOLD ? MAX_TEXT : MAX_REF, &text, &err) ||
	    !handlers_arg_date(req, "date", &date, &err))
		return err;
	if ((op != LIT_CLOSE) && (!ipp || !*ipp))
		return handlers_error("an IPP is needed");
	if ((op == LIT_OPEN || op == LIT_CLOSE) && (!id || !*id || date == DATE_NONE))
		return handlers_error("a litigation needs its identifier and a date");
	if (op == HOLD && (!text || !*text))
		return handlers_error("a hold needs a reason");
	struct fact_args *a = calloc(1, sizeof(*a));
	if (!a)
		return handlers_error("out of memory");
	a->op = op;
	a->ipp = dup_or_null(ipp);
	a->id = dup_or_null(id);
	a->text = dup_or_null(text);
	a->date = date;
	return handlers_call(d, c, run_fact, a, fact_args_free);
}

static json_t *h_hold(struct daemon *d, struct conn *c, json_t *req)
{
	return fact_call(d, c, req, HOLD);
}

static json_t *h_release(struct daemon *d, struct conn *c, json_t *req)
{
	return fact_call(d, c, req, RELEASE);
}

static json_t *h_litigation(struct daemon *d, struct conn *c, json_t *req)
{
	const char *what = json_string_value(json_object_get(req, "action"));

	if (what && strcmp(what, "open") == 0)
		return fact_call(d, c, req, LIT_OPEN);
	if (what && strcmp(what, "close") == 0)
		return fact_call(d, c, req, LIT_CLOSE);
	return handlers_error("litigation: the action is open or close");
}

/* ------------------------------------------------------------ reads */

static json_t *h_bordereau(struct daemon *d, struct conn *c, json_t *req)
{
	const char *format;
	json_t *err = NULL;
	int64_t batch;
	char *text = NULL;
	size_t len = 0;
	char msg[256];

	(void)c;
	if (!handlers_arg_string(req, "format", 8, &format, &err) || !arg_batch(req, &batch, &err))
		return err;
	if (!batch)
		return handlers_error("bordereau needs a batch number");
	enum bordereau_format f = BORDEREAU_HTML;
	if (format && strcmp(format, "csv") == 0)
		f = BORDEREAU_CSV;
	else if (format && strcmp(format, "html") != 0)
		return handlers_error("the bordereau format is csv or html");
	int rc = bordereau_render(d->reader, &d->cfg, batch, f, clock_now(), &text, &len, msg,
				  sizeof(msg));
	if (rc < 0)
		return handlers_error("%s", msg);
	json_t *r = json_pack("{s:I, s:s, s:s%}", "batch", (json_int_t)batch, "format",
			      f == BORDEREAU_CSV ? "csv" : "html", "content", text, len);
	free(text);
	return handlers_ok(r);
}

struct audit_ctx {
	json_t *arr;
};

static int add_entry(void *ctx, const struct store_audit_entry *e)
{
	struct audit_ctx *a = ctx;
	char at[64];

	clock_format_time(e->at, at, sizeof(at));
	json_t *details = e->details ? json_loads(e->details, 0, NULL) : NULL;
	json_t *o = json_pack("{s:I, s:s, s:s?, s:I, s:s?, s:s?, s:s?, s:o?, s:s?}", "id",
			      (json_int_t)e->id, "at", at, "user", e->user, "uid",
			      (json_int_t)e->uid, "role", e->role, "action", e->action, "target",
			      e->target, "details",
			      details ? details : (e->details ? json_string(e->details) : NULL),
			      "hash", e->hash);
	if (!o || json_array_append_new(a->arr, o) < 0)
		return -ENOMEM;
	return 0;
}

static json_t *h_audit(struct daemon *d, struct conn *c, json_t *req)
{
	rd_date since;
	json_t *err = NULL;
	struct audit_ctx a;
	json_t *lim = json_object_get(req, "limit");
	size_t limit = json_is_integer(lim) && json_integer_value(lim) > 0
			       ? (size_t)json_integer_value(lim)
			       : 0;

	(void)c;
	if (!handlers_arg_date(req, "since", &since, &err))
		return err;
	a.arr = json_array();
	int64_t from = since == DATE_NONE ? 0 : clock_midnight(since);
	int rc = store_audit_each(d->reader, from, limit, add_entry, &a);
	if (rc < 0) {
		json_decref(a.arr);
		return handlers_error("cannot read the audit journal: %s", store_errmsg(d->reader));
	}
	return handlers_ok(json_pack("{s:o}", "entries", a.arr));
}

static json_t *run_verify(struct daemon *d, struct store *st, void *arg)
{
	struct store_audit_check chk;

	(void)d;
	(void)arg;
	int rc = store_audit_verify(st, &chk);
	if (rc < 0)
		return handlers_error("cannot read the audit journal: %s", store_errmsg(st));
	json_t *r = json_pack("{s:b, s:I, s:o}", "ok", chk.first_bad == 0, "entries",
			      (json_int_t)chk.entries, "first_bad",
			      chk.first_bad ? json_integer(chk.first_bad) : json_null());
	if (chk.first_bad) {
		json_object_set_new(r, "reason", json_string(chk.reason));
		log_warnx("audit journal: entry %lld does not verify: %s", (long long)chk.first_bad,
			  chk.reason);
		return json_pack("{s:b, s:s, s:o}", "ok", 0, "error",
				 "the audit journal does not verify", "result", r);
	}
	return handlers_ok(r);
}

static json_t *h_audit_verify(struct daemon *d, struct conn *c, json_t *req)
{
	(void)req;
	return handlers_call(d, c, run_verify, NULL, NULL);
}

/* ------------------------------------------------------------ outbox */

#define OUTBOX_DEFAULT_LIMIT 50
#define OUTBOX_MAX_LIMIT 1000

struct outbox_ctx {
	json_t *arr;
};

static json_t *time_or_null(int64_t t)
{
	char buf[64];

	if (t <= 0)
		return json_null();
	clock_format_time(t, buf, sizeof(buf));
	return json_string(buf);
}

static int add_mail(void *ctx, const struct store_mail *m)
{
	struct outbox_ctx *o = ctx;
	const bool sent = strcmp(m->state, "sent") == 0;
	/* Recipients are shown, never the message: it names dossiers. */
	json_t *e = json_pack("{s:I, s:o, s:s, s:s, s:s, s:i, s:o, s:s?, s:o}", "id",
			      (json_int_t)m->id, "created_at", time_or_null(m->created_at),
			      "subject", m->subject, "recipients", m->recipients, "state",
			      m->state, "attempts", m->attempts, "next_attempt_at",
			      sent ? json_null() : time_or_null(m->next_attempt_at),
			      "last_error", m->last_error, "sent_at",
			      time_or_null(m->sent_at));
	if (!e || json_array_append_new(o->arr, e) < 0)
		return -ENOMEM;
	return 0;
}

/* What the outbox holds, newest first: a read on the loop thread. */
static json_t *h_outbox(struct daemon *d, struct conn *c, json_t *req)
{
	json_t *lim = json_object_get(req, "limit");
	size_t limit = OUTBOX_DEFAULT_LIMIT;
	struct outbox_ctx o;

	(void)c;
	if (lim && !json_is_null(lim)) {
		if (!json_is_integer(lim) || json_integer_value(lim) < 1 ||
		    json_integer_value(lim) > OUTBOX_MAX_LIMIT)
			return handlers_error("limit must be between 1 and %d", OUTBOX_MAX_LIMIT);
		limit = (size_t)json_integer_value(lim);
	}
	o.arr = json_array();
	if (!o.arr)
		return handlers_error("out of memory");
	int rc = store_outbox_each(d->reader, limit, add_mail, &o);
	if (rc < 0) {
		json_decref(o.arr);
		return handlers_error("cannot read the outbox: %s", store_errmsg(d->reader));
	}
	const int64_t now_sending = mailer_sending(d->mailer);
	return handlers_ok(json_pack("{s:o, s:b, s:o}", "messages", o.arr, "smtp_configured",
				     d->cfg.report_smtp_url != NULL, "sending_now",
				     now_sending ? json_integer(now_sending) : json_null()));
}

#define DECIDERS_DESTROY (WF_ROLE_ARCHIVIST | WF_ROLE_DIRECTOR)

const struct handler_command workflow_commands[] = {
	{"opinion", WF_ROLE_DIM, h_opinion},
	{"approve", WF_ROLE_DIRECTOR, h_approve},
	{"refuse", WF_ROLE_DIRECTOR, h_refuse},
	{"visa", WF_ROLE_ARCHIVES, h_visa},
	{"destroyed", DECIDERS_DESTROY, h_destroyed},
	{"hold", WF_ROLE_DIRECTOR, h_hold},
	{"release", WF_ROLE_DIRECTOR, h_release},
	{"litigation", WF_ROLE_ARCHIVIST | WF_ROLE_DIRECTOR, h_litigation},
	{"bordereau", ROLES_ALL, h_bordereau},
	{"audit", WF_ROLE_ADMIN | WF_ROLE_DIRECTOR, h_audit},
	{"audit_verify", WF_ROLE_ADMIN | WF_ROLE_DIRECTOR, h_audit_verify},
	/* preview: any role; send: report_command checks its own roles. */
	{"report", ROLES_ALL, report_command},
	{"outbox", WF_ROLE_ADMIN | WF_ROLE_ARCHIVIST | WF_ROLE_DIRECTOR, h_outbox},
};

const size_t workflow_commands_count =
	sizeof(workflow_commands) / sizeof(workflow_commands[0]);
