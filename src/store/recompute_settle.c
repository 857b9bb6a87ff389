/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Settling one evaluated dossier: what its outcome writes over the stored
 * state (the dossiers row, the alert of a date moved earlier, the
 * withdrawal of its open proposal, audited), and the run's counts and
 * progress. Every path of the recompute ends here, on the writer's
 * connection.
 */
#include "config.h"

#include "store/recompute_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void recompute_old_none(struct recompute_old *old)
{
	*old = (struct recompute_old){
		.has = false,
		.until = DATE_NONE,
		.basis = -1,
		.dirty = true,
		.row = false,
	};
}

int recompute_basis_id(const unsigned char *text)
{
	int r = engine_rule_from_name((const char *)text);

	return r < 0 ? -1 : r;
}

/* Bind parameters base + 1 to base + 5: the dossier, the outcome's
 * status, date and basis, the day it was computed. */
static int bind_outcome(sqlite3_stmt *s, int base, int64_t pid,
			const struct recompute_outcome *o, rd_date today)
{
	return sqlite3_bind_int64(s, base + 1, pid) |
	       sqlite3_bind_int(s, base + 2, o->status) |
	       store_bind_date(s, base + 3, o->until) |
	       store_bind_text(s, base + 4, engine_rule_name(o->basis)) |
	       store_bind_date(s, base + 5, today);
}

/* Run a cached statement of bind_outcome's five parameters. */
static int exec_outcome(struct store *st, int64_t pid,
			const struct recompute_outcome *o, rd_date today,
			enum store_stmt id, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int r;

	r = store_stmt(st, id, sql, &s);
	if (r < 0)
		return r;
	return store_step_once(st, s, bind_outcome(s, 0, pid, o, today));
}

#define STATE_CREATE_SQL                                                     \
	"INSERT INTO dossiers(patient_id, status, retain_until, basis,"      \
	"  computed_on, dirty) VALUES (?1, ?2, ?3, ?4, ?5, 0)"

/* A dossier row holding outcome o, computed on today, and its count. */
static int state_create(struct store *st, int64_t pid,
			const struct recompute_outcome *o, rd_date today)
{
	int r = exec_outcome(st, pid, o, today, STMT_STATE_CREATE,
			     STATE_CREATE_SQL);

	if (r == 0)
		store_count(st, store_status_counter((int)o->status), 1);
	return r;
}

/*
 * Write the outcome over the dossier's row, and move it between the
 * totals by what old says it was: old was read on this transaction's
 * snapshot, and nothing but this run has written the row since. Every
 * patient has a row (created with it); one without is created all the
 * same, rather than lose the outcome.
 */
static int state_set(struct recompute_run *run, int64_t pid,
		     const struct recompute_old *old,
		     const struct recompute_outcome *o)
{
	struct store *st = run->st;
	int r;

	r = exec_outcome(st, pid, o, run->today, STMT_STATE_SET,
			 "UPDATE dossiers SET status = ?2, retain_until = ?3,"
			 "  basis = ?4, computed_on = ?5, dirty = 0"
			 " WHERE patient_id = ?1");
	if (r < 0)
		return r;
	if (sqlite3_changes(st->db) == 0)
		return state_create(st, pid, o, run->today);
	store_count(st, store_status_counter(old->has ? (int)old->status : -1), -1);
	store_count(st, store_status_counter((int)o->status), 1);
	if (old->dirty)
		store_count(st, STORE_COUNT_DIRTY, -1);
	return 0;
}

/* Run a cached statement binding ?1 the dossier and ?2 the run's today. */
static int exec_pid_today(struct recompute_run *run, int64_t pid,
			  enum store_stmt id, const char *sql)
{
	struct store *st = run->st;
	sqlite3_stmt *s = NULL;
	int r;

	r = store_stmt(st, id, sql, &s);
	if (r < 0)
		return r;
	return store_step_once(st, s, sqlite3_bind_int64(s, 1, pid) |
			       store_bind_date(s, 2, run->today));
}

/*
 * A dirty dossier whose stored status, date and basis stand: only the mark
 * is cleared (and computed_on set, as state_set would). Setting status and
 * retain_until again, even to the same values, would rewrite their index
 * entries (dossiers_by_status, dossiers_unproposed): SQLite updates the
 * indexes of every column an UPDATE sets. A mark held was never written:
 * computed_on alone.
 */
static int state_clean(struct recompute_run *run, int64_t pid,
		       const struct recompute_old *old)
{
	int r;

	if (!old->dirty)
		return exec_pid_today(run, pid, STMT_STATE_TOUCH,
				      "UPDATE dossiers SET computed_on = ?2"
				      " WHERE patient_id = ?1");
	r = exec_pid_today(run, pid, STMT_STATE_CLEAN,
			   "UPDATE dossiers SET dirty = 0, computed_on = ?2"
			   " WHERE patient_id = ?1 AND dirty = 1");
	if (r == 0)
		store_count(run->st, STORE_COUNT_DIRTY,
			    -(int64_t)sqlite3_changes(run->st->db));
	return r;
}

void recompute_outcome_of(const struct engine_result *res,
			  struct recompute_outcome *o)
{
	*o = (struct recompute_outcome){
		.status = res->status,
		.until = res->retain_until,
		.basis = res->basis,
		.anomaly = ENGINE_ANOMALY_NONE,
	};
	if (res->status != ENGINE_ANOMALY)
		return;
	for (size_t i = 0; i < res->n_steps; i++) {
		if (res->steps[i].rule == ENGINE_RULE_ANOMALY) {
			o->anomaly = res->steps[i].anomaly;
			break;
		}
	}
}

static void outcome_reason(const struct recompute_outcome *o, char *buf,
			   size_t len)
{
	const char *why = engine_rule_name(o->basis);
	char date[DATE_STRLEN];

	if (o->status == ENGINE_ANOMALY && o->anomaly != ENGINE_ANOMALY_NONE)
		why = engine_anomaly_name(o->anomaly);
	if (o->until != DATE_NONE)
		snprintf(buf, len, "no longer eligible: %s until %s (%s)",
			 engine_status_name(o->status),
			 date_format(o->until, date), why);
	else
		snprintf(buf, len, "no longer eligible: %s (%s)",
			 engine_status_name(o->status), why);
}

/* "no longer eligible: retained until 2031-05-02 (general_20y)". */
void store_withdraw_reason(const struct engine_result *res, char *buf,
			   size_t len)
{
	struct recompute_outcome o;

	recompute_outcome_of(res, &o);
	outcome_reason(&o, buf, len);
}

/*
 * The audit details of withdrawing proposal id, or 0 when it is not open
 * (then nothing is built). Read before the update, for the state it left.
 */
static int withdraw_details(struct store *st, int64_t id, const char *reason,
			    struct store_json *j)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	r = store_stmt(st, STMT_WITHDRAW_READ,
		       "SELECT ipp, batch_id, state FROM proposals"
		       " WHERE id = ?1 AND state IN " STORE_OPEN_STATES_SQL,
		       &s);
	if (r < 0)
		return r;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		goto out;
	if (rc != SQLITE_ROW) {
		r = store_fail(st, rc);
		goto out;
	}
	store_json_begin(j);
	store_json_str(j, "ipp", (const char *)sqlite3_column_text(s, 0));
	store_json_int(j, "batch", sqlite3_column_int64(s, 1));
	store_json_str(j, "from", (const char *)sqlite3_column_text(s, 2));
	store_json_str(j, "to", "withdrawn");
	store_json_str(j, "reason", reason);
	r = store_json_end(j);
	if (r < 0)
		store_json_free(j);
	else
		r = 1;
out:
	store_stmt_done(s);
	return r;
}

int store_proposal_withdraw(struct store *st, int64_t id, const char *reason,
			    int64_t now)
{
	struct store_json j = {0};
	sqlite3_stmt *s = NULL;
	char target[32];
	int r, rc;

	r = withdraw_details(st, id, reason, &j);
	if (r <= 0)
		return r;
	r = store_stmt(st, STMT_WITHDRAW,
		       "UPDATE proposals SET state = 'withdrawn', reason = ?2,"
		       "  updated_at = ?3"
		       " WHERE id = ?1 AND state IN " STORE_OPEN_STATES_SQL,
		       &s);
	if (r < 0)
		goto out;
	if ((sqlite3_bind_int64(s, 1, id) | store_bind_text(s, 2, reason) |
	     sqlite3_bind_int64(s, 3, now)) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE) {
		r = store_fail(st, rc);
		goto out;
	}
	store_stmt_done(s);
	s = NULL;
	snprintf(target, sizeof(target), "proposal %lld", (long long)id);
	r = store_audit_append(st, "withdraw", target, j.p);
	if (r == 0)
		r = 1;
out:
	store_stmt_done(s);
	store_json_free(&j);
	return r;
}

/*
 * The dossier's retain_until moved from old_until to the earlier
 * new_until: someone corrected a date (or the policy was shortened), and
 * the nightly report says so. The IPP is copied, not referenced: the entry
 * outlives a destroyed dossier, like the register.
 */
static int earlier_add(struct recompute_run *run, int64_t pid,
		       rd_date old_until, rd_date new_until)
{
	struct store *st = run->st;
	sqlite3_stmt *s = NULL;
	int r;

	r = store_stmt(st, STMT_EARLIER_ADD,
		       "INSERT INTO earlier_dates(ipp, old_until, new_until, at)"
		       " SELECT ipp, ?2, ?3, ?4 FROM patients WHERE id = ?1",
		       &s);
	if (r < 0)
		return r;
	return store_step_once(st, s,
			       sqlite3_bind_int64(s, 1, pid) |
			       store_bind_date(s, 2, old_until) |
			       store_bind_date(s, 3, new_until) |
			       sqlite3_bind_int64(s, 4, run->now));
}

static bool is_changed(const struct recompute_old *old,
		       const struct recompute_outcome *o)
{
	return !old->has || old->status != o->status || old->until != o->until;
}

/* A full recompute leaves unchanged rows alone: no write, no WAL. */
static bool needs_row(const struct recompute_old *old,
		      const struct recompute_outcome *o)
{
	return is_changed(old, o) || old->dirty || old->held ||
	       old->basis != (int)o->basis;
}

/* From a date to an earlier date only: a first computation, a date
 * appearing or vanishing (an anomaly), or a later date is no alert. */
static bool is_earlier(const struct recompute_old *old,
		       const struct recompute_outcome *o)
{
	return old->has && old->until != DATE_NONE && o->until != DATE_NONE &&
	       o->until < old->until;
}

static bool to_withdraw(const struct recompute_old *old,
			const struct recompute_outcome *o)
{
	return old->proposal_id != 0 && o->status != ENGINE_ELIGIBLE;
}

bool recompute_needs_apply(const struct recompute_old *old,
			   const struct recompute_outcome *o)
{
	return needs_row(old, o) || is_earlier(old, o) || to_withdraw(old, o);
}

enum recompute_row recompute_row_only(struct recompute_run *run,
				      const struct recompute_old *old,
				      const struct recompute_outcome *o)
{
	struct store *st = run->st;

	if (!old->row || run->anomaly_check || is_earlier(old, o) ||
	    to_withdraw(old, o))
		return RECOMPUTE_ROW_APPLY;
	if (is_changed(old, o))
		run->acc.changed++;
	if (!needs_row(old, o))
		return RECOMPUTE_ROW_NONE;
	/* The totals as state_set and state_clean move them. */
	if (!old->has || is_changed(old, o) || old->basis != (int)o->basis) {
		store_count(st, store_status_counter(old->has ? (int)old->status : -1),
			    -1);
		store_count(st, store_status_counter((int)o->status), 1);
	}
	if (old->dirty)
		store_count(st, STORE_COUNT_DIRTY, -1);
	return RECOMPUTE_ROW_WRITE;
}

/* The dossier's row as state_set writes it, by an upsert: a statement of
 * 64 rows costs less than 64 statements. */
_Static_assert(STORE_APPEND_BATCH == 64, "STORE_ROWS_64 spells the batch");
#define ROW_UPSERT(values)                                                   \
	"INSERT INTO dossiers(patient_id, status, retain_until, basis,"      \
	"  computed_on, dirty) VALUES " values                               \
	" ON CONFLICT(patient_id) DO UPDATE SET status = excluded.status,"   \
	"  retain_until = excluded.retain_until, basis = excluded.basis,"    \
	"  computed_on = excluded.computed_on, dirty = 0"

int recompute_rows_write(struct recompute_run *run, const int64_t *pid,
			 const struct recompute_outcome *o, size_t n)
{
	struct store *st = run->st;
	sqlite3_stmt *s = NULL;
	size_t i = 0;
	int r = 0, bound = SQLITE_OK;

	if (n == STORE_APPEND_BATCH) {
		r = store_stmt(st, STMT_STATE_UPSERT_64,
			       ROW_UPSERT(STORE_ROWS_64("(?,?,?,?,?,0)")), &s);
		for (; r == 0 && i < n; i++)
			bound |= bind_outcome(s, 5 * (int)i, pid[i], &o[i],
					      run->today);
		return r < 0 ? r : store_step_once(st, s, bound);
	}
	for (; r == 0 && i < n; i++)
		r = exec_outcome(st, pid[i], &o[i], run->today, STMT_STATE_UPSERT,
				 ROW_UPSERT("(?1, ?2, ?3, ?4, ?5, 0)"));
	return r;
}

/* The anomaly of pid was checked today (see STORE_SQL_ANOMALY_PAGE). */
static int anomaly_checked(struct recompute_run *run, int64_t pid)
{
	return exec_pid_today(run, pid, STMT_ANOMALY_CHECKED,
			      "UPDATE dossiers SET computed_on = ?2"
			      " WHERE patient_id = ?1 AND computed_on IS NOT ?2");
}

int recompute_apply(struct recompute_run *run, int64_t pid,
		    const struct recompute_old *old,
		    const struct recompute_outcome *o)
{
	int r;

	if (needs_row(old, o)) {
		/* has: the row exists and was computed (status not NULL). */
		if (old->has && !is_changed(old, o) &&
		    old->basis == (int)o->basis)
			r = state_clean(run, pid, old);
		else
			r = state_set(run, pid, old, o);
		if (r < 0)
			return r;
	} else if (run->anomaly_check && o->status == ENGINE_ANOMALY) {
		r = anomaly_checked(run, pid);
		if (r < 0)
			return r;
	}
	/* A date evaluated from a load's rows in this transaction was never
	 * committed: no one saw it move. */
	if (is_earlier(old, o) && !store_load_eval_unseen(run->st, pid)) {
		r = earlier_add(run, pid, old->until, o->until);
		if (r < 0)
			return r;
	}
	if (to_withdraw(old, o)) {
		char reason[128];

		outcome_reason(o, reason, sizeof(reason));
		r = store_proposal_withdraw(run->st, old->proposal_id, reason,
					    run->now);
		if (r < 0)
			return r;
		run->acc.withdrawn += (size_t)r;
	}
	if (is_changed(old, o))
		run->acc.changed++;
	return 0;
}

int recompute_tally(struct recompute_run *run)
{
	size_t done;

	run->acc.recomputed++;
	if (!run->progress || run->acc.recomputed % STORE_PAGE != 0)
		return 0;
	done = run->acc.recomputed;
	if (run->helper_done)
		done += atomic_load(run->helper_done);
	if (!run->progress(run->ctx, done))
		return store_error(run->st, -ECANCELED, "cancelled");
	return 0;
}

int recompute_settle(struct recompute_run *run, int64_t pid,
		     const struct engine_facts *f,
		     const struct recompute_old *old)
{
	struct engine_result res;
	struct recompute_outcome o;
	int r;

	engine_evaluate(run->p, f, run->today, &res);
	if (run->last)
		*run->last = res;
	recompute_outcome_of(&res, &o);
	r = recompute_apply(run, pid, old, &o);
	return r < 0 ? r : recompute_tally(run);
}

void store_evaluate_new(struct store *st, const struct engine_policy *p,
			rd_date today)
{
	st->eval_new.p = p;
	st->eval_new.today = today;
	st->eval_new.evaluated = 0;
	st->eval_new.created = 0;
	st->eval_new.first_pid = 0;
}

/*
 * What the recompute would write for a dossier with no facts, written
 * with the row instead of after it: a first load of 10 million patients
 * then writes each dossier row once, not twice. The facts are birth and
 * death alone: the fact tables reference patients, so no row can name a
 * patient just created, and a new patient is not held.
 */
bool store_dossier_first(const struct store *st, rd_date birth, rd_date death,
			 struct recompute_outcome *o)
{
	const struct engine_facts f = {.birth = birth, .death = death};
	struct engine_result res;

	if (!st->eval_new.p)
		return false;
	engine_evaluate(st->eval_new.p, &f, st->eval_new.today, &res);
	recompute_outcome_of(&res, o);
	return true;
}

void store_dossier_counted(struct store *st, int64_t pid,
			   const struct recompute_outcome *o)
{
	if (!o) {
		store_count(st, STORE_COUNT_STATUS_NONE, 1);
		store_count(st, STORE_COUNT_DIRTY, 1);
		return;
	}
	store_count(st, store_status_counter((int)o->status), 1);
	st->eval_new.evaluated++;
	st->eval_new.created++;
	if (st->eval_new.first_pid == 0)
		st->eval_new.first_pid = pid;
}

int store_dossier_create(struct store *st, int64_t pid, rd_date birth,
			 rd_date death)
{
	struct recompute_outcome o;
	bool evaluated = store_dossier_first(st, birth, death, &o);
	int r;

	if (evaluated)
		r = exec_outcome(st, pid, &o, st->eval_new.today,
				 STMT_STATE_CREATE, STATE_CREATE_SQL);
	else
		r = store_exec_id(st, STMT_DOSSIER_CREATE,
				  "INSERT INTO dossiers(patient_id, dirty)"
				  " VALUES (?1, 1)",
				  pid);
	if (r < 0)
		return r;
	store_dossier_counted(st, pid, evaluated ? &o : NULL);
	return 0;
}
