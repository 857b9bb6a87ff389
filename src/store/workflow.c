/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The elimination procedure on stored proposals: each step re-checks its
 * dossier against current facts, is decided by the pure state machine
 * wf_step(), and is recorded with who, when and why, then audited. A
 * destruction deletes the dossier's facts; its proposal row stays as the
 * register entry. Also the batches (visa reference, destruction
 * certificate) and the lines of the bordereau d'élimination.
 */
#include "config.h"

#include "store/store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(WF_N_STATES == STORE_N_STATES, "one name per state");

static bool blank(const char *s)
{
	return !s || !*s;
}

static int state_index(const char *name)
{
	for (int i = 0; i < STORE_N_STATES; i++)
		if (name && strcmp(name, store_proposal_states[i]) == 0)
			return i;
	return -1;
}

/* The values of proposals.opinion (its CHECK constraint). */
static const char *opinion_name(enum wf_opinion o)
{
	switch (o) {
	case WF_OPINION_FAVORABLE:
		return "favorable";
	case WF_OPINION_UNFAVORABLE:
		return "unfavorable";
	default:
		return NULL;
	}
}

static enum wf_opinion opinion_of(const char *name)
{
	if (name && strcmp(name, "favorable") == 0)
		return WF_OPINION_FAVORABLE;
	if (name && strcmp(name, "unfavorable") == 0)
		return WF_OPINION_UNFAVORABLE;
	return WF_OPINION_NONE;
}

static void target_of(char *buf, size_t len, const char *what, int64_t id)
{
	snprintf(buf, len, "%s %lld", what, (long long)id);
}

/* ------------------------------------------------------------ steps */

/* A proposal as the step finds it. */
struct current {
	int64_t pid; /* 0: the dossier's facts are gone (destroyed) */
	char *ipp;   /* sqlite3_free */
	int64_t batch;
	enum wf_state state;
	enum wf_opinion opinion;
};

static int current_read(struct store *st, int64_t id, struct current *out)
{
	sqlite3_stmt *s = NULL;
	int r, rc, state;

	r = store_stmt(st, STMT_STEP_READ,
		       "SELECT patient_id, ipp, batch_id, state, opinion"
		       " FROM proposals WHERE id = ?1",
		       &s);
	if (r < 0)
		return r;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		r = store_error(st, -ENOENT, "no proposal %lld", (long long)id);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = store_fail(st, rc);
		goto out;
	}
	state = state_index((const char *)sqlite3_column_text(s, 3));
	if (state < 0) {
		r = store_error(st, -EIO, "proposal %lld: unknown state",
				(long long)id);
		goto out;
	}
	out->ipp = sqlite3_mprintf("%s", sqlite3_column_type(s, 1) == SQLITE_NULL
						 ? ""
						 : (const char *)sqlite3_column_text(s, 1));
	if (!out->ipp) {
		r = -ENOMEM;
		goto out;
	}
	out->pid = sqlite3_column_int64(s, 0);
	out->batch = sqlite3_column_int64(s, 2);
	out->state = (enum wf_state)state;
	out->opinion = opinion_of((const char *)sqlite3_column_text(s, 4));
out:
	store_stmt_done(s);
	return r;
}

/* What a step writes besides the state; NULL leaves a column alone. */
struct fields {
	const char *opinion, *comment;
	bool decided;
	const char *reason, *override_reason, *visa_reference, *certificate;
};

static void fields_of(const struct wf_request *r, const char *comment,
		      enum wf_opinion had, struct fields *f)
{
	const char *reason = blank(r->reason) ? NULL : r->reason;
	const char *reference = blank(r->reference) ? NULL : r->reference;

	*f = (struct fields){0};
	switch (r->action) {
	case WF_ACT_OPINION:
		f->opinion = opinion_name(r->opinion);
		f->comment = blank(comment) ? NULL : comment;
		break;
	case WF_ACT_APPROVE:
		f->decided = true;
		/* An override of a favourable opinion overrides nothing. */
		if (r->override_unfavorable && had == WF_OPINION_UNFAVORABLE)
			f->override_reason = reason;
		break;
	case WF_ACT_REFUSE:
		f->decided = true;
		f->reason = reason;
		break;
	case WF_ACT_VISA_ELIMINATE:
	case WF_ACT_VISA_KEEP:
	case WF_ACT_VISA_REJECT:
		f->visa_reference = reference;
		f->reason = reason; /* the archives' remark, if any */
		break;
	case WF_ACT_DESTROY:
		f->certificate = reference;
		break;
	default: /* WF_ACT_WITHDRAW */
		f->reason = reason;
		break;
	}
}

static int step_write(struct store *st, int64_t id, enum wf_state from,
		      enum wf_state to, const struct fields *f, int64_t now)
{
	const char *who = st->actor.set ? st->actor.user : "retentiond";
	sqlite3_stmt *s = NULL;
	int r, rc;

	/* The state in the WHERE clause makes a step taken twice a no-op
	 * that is caught below, never a silent overwrite. */
	r = store_stmt(st, STMT_STEP_UPDATE,
		       "UPDATE proposals SET state = ?2, updated_at = ?3,"
		       "  opinion = coalesce(?4, opinion),"
		       "  opinion_comment = CASE WHEN ?4 IS NULL"
		       "    THEN opinion_comment ELSE ?5 END,"
		       "  opinion_by = CASE WHEN ?4 IS NULL"
		       "    THEN opinion_by ELSE ?6 END,"
		       "  opinion_at = CASE WHEN ?4 IS NULL"
		       "    THEN opinion_at ELSE ?3 END,"
		       "  decided_by = CASE WHEN ?7 THEN ?6 ELSE decided_by END,"
		       "  decided_at = CASE WHEN ?7 THEN ?3 ELSE decided_at END,"
		       "  reason = coalesce(?8, reason),"
		       "  override_reason = coalesce(?9, override_reason),"
		       "  visa_reference = coalesce(?10, visa_reference),"
		       "  visa_at = CASE WHEN ?10 IS NULL"
		       "    THEN visa_at ELSE ?3 END,"
		       "  certificate = coalesce(?11, certificate),"
		       "  destroyed_at = CASE WHEN ?11 IS NULL"
		       "    THEN destroyed_at ELSE ?3 END"
		       " WHERE id = ?1 AND state = ?12",
		       &s);
	if (r < 0)
		return r;
	if ((sqlite3_bind_int64(s, 1, id) |
	     store_bind_text(s, 2, store_proposal_states[to]) |
	     sqlite3_bind_int64(s, 3, now) | store_bind_text(s, 4, f->opinion) |
	     store_bind_text(s, 5, f->comment) | store_bind_text(s, 6, who) |
	     sqlite3_bind_int(s, 7, f->decided) |
	     store_bind_text(s, 8, f->reason) |
	     store_bind_text(s, 9, f->override_reason) |
	     store_bind_text(s, 10, f->visa_reference) |
	     store_bind_text(s, 11, f->certificate) |
	     store_bind_text(s, 12, store_proposal_states[from])) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
	else if (sqlite3_changes(st->db) != 1)
		r = store_error(st, -EIO, "proposal %lld changed during the step",
				(long long)id);
out:
	store_stmt_done(s);
	return r;
}

/* The dossier's totals (status, dirty) leave with its row: 0 or error. */
static int uncount_dossier(struct store *st, int64_t pid)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	r = store_stmt(st, STMT_DESTROY_DOSSIER_READ,
		       "SELECT status, dirty FROM dossiers WHERE patient_id = ?1",
		       &s);
	if (r < 0)
		return r;
	if (sqlite3_bind_int64(s, 1, pid) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int status = sqlite3_column_type(s, 0) == SQLITE_NULL
				     ? -1
				     : sqlite3_column_int(s, 0);

		store_count(st, store_status_counter(status), -1);
		store_count(st, STORE_COUNT_DIRTY, -sqlite3_column_int(s, 1));
	} else if (rc != SQLITE_DONE) {
		r = store_fail(st, rc);
	}
out:
	store_stmt_done(s);
	return r;
}

/*
 * Delete a destroyed dossier's facts and computed row. The computed row
 * goes first, and nothing marks a dossier about to vanish dirty (schema v5
 * has no trigger on the facts; up to v4 they found no row to mark). Deleting the patient
 * sets patient_id NULL in its proposals (ON DELETE SET NULL): they stay,
 * with their copied IPP and dates, as the register.
 */
static int destroy_facts(struct store *st, int64_t pid)
{
	static const struct {
		enum store_stmt id;
		const char *sql;
		int counter; /* the total its rows leave (enum store_counter) */
	} del[] = {
		{STMT_DESTROY_DOSSIER, "DELETE FROM dossiers WHERE patient_id = ?1", -1},
		{STMT_DESTROY_ENCOUNTERS,
		 "DELETE FROM encounters WHERE patient_id = ?1", STORE_FACT_ENCOUNTERS},
		{STMT_DESTROY_TRANSFUSIONS,
		 "DELETE FROM transfusions WHERE patient_id = ?1", STORE_FACT_TRANSFUSIONS},
		{STMT_DESTROY_LITIGATIONS,
		 "DELETE FROM litigations WHERE patient_id = ?1", STORE_FACT_LITIGATIONS},
		{STMT_DESTROY_PATIENT, "DELETE FROM patients WHERE id = ?1",
		 STORE_COUNT_PATIENTS},
	};
	int r = uncount_dossier(st, pid);

	for (size_t i = 0; r == 0 && i < sizeof(del) / sizeof(del[0]); i++) {
		r = store_exec_id(st, del[i].id, del[i].sql, pid);
		if (r == 0 && del[i].counter >= 0)
			store_count(st, del[i].counter,
				    -(int64_t)sqlite3_changes(st->db));
	}
	/* The patient's id is gone: no cached lookup may return it. */
	store_upsert_forget(st);
	return r;
}

static int step_audit(struct store *st, int64_t id, const struct current *c,
		      const struct wf_request *r, const char *comment,
		      const struct fields *f, enum wf_state to)
{
	struct store_json j;
	char target[32];
	int ret;

	store_json_begin(&j);
	store_json_str(&j, "ipp", c->ipp);
	store_json_int(&j, "batch", c->batch);
	store_json_str(&j, "from", store_proposal_states[c->state]);
	store_json_str(&j, "to", store_proposal_states[to]);
	if (f->opinion)
		store_json_str(&j, "opinion", f->opinion);
	if (!blank(comment))
		store_json_str(&j, "comment", comment);
	if (f->override_reason)
		store_json_str(&j, "override_reason", f->override_reason);
	if (f->reason)
		store_json_str(&j, "reason", f->reason);
	if (f->visa_reference)
		store_json_str(&j, "visa_reference", f->visa_reference);
	if (f->certificate)
		store_json_str(&j, "certificate", f->certificate);
	ret = store_json_end(&j);
	if (ret == 0) {
		target_of(target, sizeof(target), "proposal", id);
		ret = store_audit_append(st, wf_action_name(r->action), target,
					 j.p);
	}
	store_json_free(&j);
	return ret;
}

int store_proposal_step(struct store *st, const struct engine_policy *p,
			rd_date today, int64_t proposal_id,
			const struct wf_request *r, const char *comment,
			struct store_step *out)
{
	struct store_step o = {.proposal_id = proposal_id};
	struct current c = {0};
	struct wf_proposal wp;
	struct fields f;
	enum wf_state next;
	int64_t now;
	int ret;

	if (!st || !p || today == DATE_NONE || !r || !out ||
	    (unsigned)r->action >= WF_N_ACTIONS)
		return -EINVAL;
	now = store_now(st);
	ret = current_read(st, proposal_id, &c);
	if (ret == -ENOENT) {
		o.rc = -ENOENT;
		snprintf(o.why, sizeof(o.why), "no proposal %lld",
			 (long long)proposal_id);
		*out = o;
		return 0;
	}
	if (ret < 0)
		return ret;
	snprintf(o.ipp, sizeof(o.ipp), "%s", c.ipp);
	o.from = o.to = c.state;

	/*
	 * An open proposal is re-checked on today's facts first, and its
	 * dossier's computed row brought up to date on the way: a dossier no
	 * longer eligible has its proposal withdrawn (recompute does it, and
	 * audits it) and the step is not taken. A final state needs no check:
	 * wf_step() refuses every step from it.
	 */
	wp = (struct wf_proposal){
		.state = c.state,
		.opinion = c.opinion,
		.eligible = true, /* or the step stops below */
	};
	if (!wf_state_is_final(c.state)) {
		struct engine_result res;

		/* Only a destroy deletes facts, and destroyed is final. */
		if (c.pid == 0) {
			ret = store_error(st, -EIO, "open proposal %lld has no "
					  "dossier", (long long)proposal_id);
			goto out;
		}
		ret = store_recompute_patient(st, p, today, c.pid, &res, NULL);
		if (ret < 0)
			goto out;
		if (res.status != ENGINE_ELIGIBLE) {
			store_withdraw_reason(&res, o.why, sizeof(o.why));
			/* The recompute withdrew it already, being the
			 * dossier's current proposal: this is a safety net. */
			ret = store_proposal_withdraw(st, proposal_id, o.why, now);
			if (ret < 0)
				goto out;
			ret = 0;
			o.rc = -ESTALE;
			o.to = WF_WITHDRAWN;
			goto done;
		}
	}

	o.rc = wf_step(&wp, r, &next, o.why, sizeof(o.why));
	if (o.rc < 0)
		goto done;
	o.why[0] = '\0';
	fields_of(r, comment, c.opinion, &f);
	ret = step_write(st, proposal_id, c.state, next, &f, now);
	if (ret < 0)
		goto out;
	if (next == WF_DESTROYED && c.pid) {
		ret = destroy_facts(st, c.pid);
		if (ret < 0)
			goto out;
	}
	ret = step_audit(st, proposal_id, &c, r, comment, &f, next);
	if (ret < 0)
		goto out;
	o.to = next;
done:
	*out = o;
out:
	sqlite3_free(c.ipp);
	return ret;
}

/* ------------------------------------------------------------ batches */

static int batch_exists(struct store *st, int64_t batch)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	r = store_stmt(st, STMT_BATCH_EXISTS,
		       "SELECT 1 FROM batches WHERE id = ?1", &s);
	if (r < 0)
		return r;
	if (sqlite3_bind_int64(s, 1, batch) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		r = store_error(st, -ENOENT, "no batch %lld", (long long)batch);
	else if (rc != SQLITE_ROW)
		r = store_fail(st, rc);
out:
	store_stmt_done(s);
	return r;
}

static char *column_dup(sqlite3_stmt *s, int i, bool *nomem)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	char *copy;

	if (!t)
		return NULL;
	copy = strdup(t);
	if (!copy)
		*nomem = true;
	return copy;
}

static int batch_read(struct store *st, int64_t batch, struct store_batch *b,
		      char **visa, char **certificate)
{
	sqlite3_stmt *s = NULL;
	bool nomem = false;
	int r, rc;

	r = store_stmt(st, STMT_BATCH_GET,
		       "SELECT created_on, created_at, size, visa_reference,"
		       "  certificate FROM batches WHERE id = ?1",
		       &s);
	if (r < 0)
		return r;
	if (sqlite3_bind_int64(s, 1, batch) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		r = store_error(st, -ENOENT, "no batch %lld", (long long)batch);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = store_fail(st, rc);
		goto out;
	}
	b->id = batch;
	b->created_on = store_column_date(s, 0);
	b->created_at = sqlite3_column_int64(s, 1);
	b->size = sqlite3_column_int64(s, 2);
	*visa = column_dup(s, 3, &nomem);
	*certificate = column_dup(s, 4, &nomem);
	if (nomem)
		r = -ENOMEM;
	store_stmt_done(s);
	if (r < 0)
		return r;

	r = store_stmt(st, STMT_BATCH_BY_STATE,
		       "SELECT state, count(*) FROM proposals"
		       " INDEXED BY proposals_by_batch"
		       " WHERE batch_id = ?1 GROUP BY state",
		       &s);
	if (r < 0)
		return r;
	if (sqlite3_bind_int64(s, 1, batch) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int i = state_index((const char *)sqlite3_column_text(s, 0));

		if (i >= 0)
			b->by_state[i] = sqlite3_column_int64(s, 1);
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
out:
	store_stmt_done(s);
	return r;
}

int store_batch_get(struct store *st, int64_t batch, struct store_batch *out)
{
	struct store_batch b = {0};
	char *visa = NULL, *certificate = NULL;
	int r;

	if (!st || !out)
		return -EINVAL;
	/* The batch row and its counts from one snapshot. */
	r = store_savepoint(st);
	if (r < 0)
		return r;
	r = batch_read(st, batch, &b, &visa, &certificate);
	if (r < 0) {
		store_savepoint_abort(st);
		goto fail;
	}
	r = store_release(st);
	if (r < 0)
		goto fail;
	free(st->batch_visa);
	free(st->batch_certificate);
	st->batch_visa = visa;
	st->batch_certificate = certificate;
	b.visa_reference = visa;
	b.certificate = certificate;
	*out = b;
	return 0;
fail:
	free(visa);
	free(certificate);
	return r;
}

int store_batch_proposals(struct store *st, int64_t batch, int64_t **ids,
			  size_t *n)
{
	int64_t *v = NULL, *nv;
	size_t len = 0, cap = 0;
	sqlite3_stmt *s = NULL;
	int r, rc;

	if (!st || !ids || !n)
		return -EINVAL;
	r = batch_exists(st, batch);
	if (r < 0)
		return r;
	r = store_stmt(st, STMT_BATCH_IDS,
		       "SELECT id FROM proposals INDEXED BY proposals_by_batch"
		       " WHERE batch_id = ?1 ORDER BY id",
		       &s);
	if (r < 0)
		return r;
	if (sqlite3_bind_int64(s, 1, batch) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				r = -ENOMEM;
				goto out;
			}
			v = nv;
		}
		v[len++] = sqlite3_column_int64(s, 0);
	}
	if (rc != SQLITE_DONE) {
		r = store_fail(st, rc);
		goto out;
	}
	*ids = v;
	*n = len;
	v = NULL;
out:
	store_stmt_done(s);
	free(v);
	return r;
}

/* Set the batch's visa reference or certificate (now) and audit it. */
static int batch_set(struct store *st, enum store_stmt id, const char *sql,
		     const char *action, const char *key, int64_t batch,
		     const char *value)
{
	struct store_json j;
	sqlite3_stmt *s = NULL;
	char target[32];
	int r, rc;

	if (!st || blank(value))
		return -EINVAL;
	r = store_stmt(st, id, sql, &s);
	if (r < 0)
		return r;
	if ((sqlite3_bind_int64(s, 1, batch) | store_bind_text(s, 2, value) |
	     sqlite3_bind_int64(s, 3, store_now(st))) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE) {
		r = store_fail(st, rc);
		goto out;
	}
	if (sqlite3_changes(st->db) == 0) {
		r = store_error(st, -ENOENT, "no batch %lld", (long long)batch);
		goto out;
	}
	store_stmt_done(s);
	s = NULL;
	store_json_begin(&j);
	store_json_str(&j, key, value);
	r = store_json_end(&j);
	if (r == 0) {
		target_of(target, sizeof(target), "batch", batch);
		r = store_audit_append(st, action, target, j.p);
	}
	store_json_free(&j);
out:
	store_stmt_done(s);
	return r;
}

int store_batch_set_visa(struct store *st, int64_t batch, const char *reference)
{
	return batch_set(st, STMT_BATCH_SET_VISA,
			 "UPDATE batches SET visa_reference = ?2, visa_at = ?3"
			 " WHERE id = ?1",
			 "batch_visa", "visa_reference", batch, reference);
}

int store_batch_set_certificate(struct store *st, int64_t batch,
				const char *certificate)
{
	return batch_set(st, STMT_BATCH_SET_CERTIFICATE,
			 "UPDATE batches SET certificate = ?2, destroyed_at = ?3"
			 " WHERE id = ?1",
			 "batch_certificate", "certificate", batch, certificate);
}

/* ------------------------------------------------------------ bordereau */

int store_bordereau_each(struct store *st, int64_t batch, store_line_fn fn,
			 void *ctx)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if (!st || !fn)
		return -EINVAL;
	r = batch_exists(st, batch);
	if (r < 0)
		return r;
	/* Read from the proposal rows alone: they outlive the dossiers. */
	r = store_stmt(st, STMT_BORDEREAU,
		       "SELECT id, ipp, first_date, last_date, retain_until,"
		       "  basis, state, opinion, opinion_comment,"
		       "  coalesce(reason, override_reason), visa_reference,"
		       "  certificate"
		       " FROM proposals INDEXED BY proposals_by_batch"
		       " WHERE batch_id = ?1 ORDER BY id",
		       &s);
	if (r < 0)
		return r;
	if (sqlite3_bind_int64(s, 1, batch) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_bordereau_line l = {
			.proposal_id = sqlite3_column_int64(s, 0),
			.ipp = (const char *)sqlite3_column_text(s, 1),
			.first_date = store_column_date(s, 2),
			.last_date = store_column_date(s, 3),
			.retain_until = store_column_date(s, 4),
			.basis = (const char *)sqlite3_column_text(s, 5),
			.state = (const char *)sqlite3_column_text(s, 6),
			.opinion = (const char *)sqlite3_column_text(s, 7),
			.opinion_comment = (const char *)sqlite3_column_text(s, 8),
			.reason = (const char *)sqlite3_column_text(s, 9),
			.visa_reference = (const char *)sqlite3_column_text(s, 10),
			.certificate = (const char *)sqlite3_column_text(s, 11),
		};

		r = fn(ctx, &l);
		if (r != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
out:
	store_stmt_done(s);
	return r;
}
