/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Recompute: load a dossier's facts, run the engine, store status,
 * retain_until and basis, clear the dirty mark, and withdraw an open
 * proposal of a dossier that is no longer eligible (audited in the same
 * transaction, in the name of the connection's actor).
 *
 * The dirty and due sets are read a page of ids at a time through their
 * index (dossiers_dirty, dossiers_by_status), then each dossier is loaded
 * by point lookups: the pages are read to the end before anything is
 * written, since SQLite leaves undefined what a statement sees of rows the
 * same connection changes under it. A full recompute instead streams
 * patients in id order and merges the fact tables read in patient_id order
 * through their covering indexes: four sequential reads, no query per
 * dossier but the lookup of its stored state.
 */
#include "config.h"

#include "store/store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SQL spells statuses as literals (see store_internal.h). */
_Static_assert(ENGINE_RETAINED == 0 && ENGINE_ELIGIBLE == 1 &&
		       ENGINE_HELD == 2 && ENGINE_ANOMALY == 3,
	       "engine_status values are stored in the database");

/* The stored state of a dossier before this evaluation. */
struct old_state {
	bool has; /* computed at least once */
	enum engine_status status;
	rd_date until;
	char basis[32];
	bool dirty;
	int64_t proposal_id; /* 0: none */
};

struct run {
	struct store *st;
	const struct engine_policy *p;
	rd_date today;
	int64_t now;
	store_progress_fn progress;
	void *ctx;
	struct store_recompute_stats acc;
	struct engine_result *last; /* gets each evaluation, or NULL */
};

static int grow(void **buf, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 16;
	void *nb;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	nb = realloc(*buf, n * elem);
	if (!nb)
		return -ENOMEM;
	*buf = nb;
	*cap = n;
	return 0;
}

/* Map kinds.id to the policy's kind indexes, for this run. */
static int load_kinds(struct store *st, const struct engine_policy *p)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	for (size_t i = 0; i < st->kind_map_len; i++)
		st->kind_map[i] = -1;
	r = store_stmt(st, STMT_KINDS_ALL, "SELECT id, name FROM kinds", &s);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const char *name = (const char *)sqlite3_column_text(s, 1);
		int k;

		if (id < 0 || id > 1000000)
			continue; /* never created by us; counts as unknown */
		if ((size_t)id >= st->kind_map_len) {
			size_t old = st->kind_map_len, cap = old;

			r = grow((void **)&st->kind_map, &cap, (size_t)id + 1,
				 sizeof(int));
			if (r < 0)
				goto out;
			for (size_t i = old; i < cap; i++)
				st->kind_map[i] = -1;
			st->kind_map_len = cap;
		}
		k = name ? engine_policy_kind_find(p, name) : -1;
		st->kind_map[id] = k < 0 ? -1 : k;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
out:
	store_stmt_done(s);
	return r;
}

static int kind_index(const struct store *st, int64_t id)
{
	if (id < 0 || (size_t)id >= st->kind_map_len)
		return -1;
	return st->kind_map[id];
}

static int state_get(struct store *st, int64_t pid, struct old_state *out)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	r = store_stmt(st, STMT_STATE_GET,
		       "SELECT status, retain_until, basis, dirty, proposal_id"
		       " FROM dossiers WHERE patient_id = ?1",
		       &s);
	if (r < 0)
		return r;
	if (sqlite3_bind_int64(s, 1, pid) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	memset(out, 0, sizeof(*out));
	out->until = DATE_NONE;
	out->dirty = true;
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		goto out; /* no row yet: state_set creates it */
	if (rc != SQLITE_ROW) {
		r = store_fail(st, rc);
		goto out;
	}
	out->has = sqlite3_column_type(s, 0) != SQLITE_NULL;
	out->status = (enum engine_status)sqlite3_column_int(s, 0);
	out->until = store_column_date(s, 1);
	if (sqlite3_column_type(s, 2) != SQLITE_NULL)
		snprintf(out->basis, sizeof(out->basis), "%s",
			 (const char *)sqlite3_column_text(s, 2));
	out->dirty = sqlite3_column_int(s, 3) != 0;
	out->proposal_id = sqlite3_column_int64(s, 4);
out:
	store_stmt_done(s);
	return r;
}

static int state_set(struct run *run, int64_t pid,
		     const struct engine_result *res, const char *basis)
{
	struct store *st = run->st;
	sqlite3_stmt *s = NULL;
	int r, rc;

	r = store_stmt(st, STMT_STATE_SET,
		       "INSERT INTO dossiers(patient_id, status, retain_until,"
		       "  basis, computed_on, dirty)"
		       " VALUES (?1, ?2, ?3, ?4, ?5, 0)"
		       " ON CONFLICT(patient_id) DO UPDATE SET"
		       "  status = excluded.status,"
		       "  retain_until = excluded.retain_until,"
		       "  basis = excluded.basis,"
		       "  computed_on = excluded.computed_on,"
		       "  dirty = 0",
		       &s);
	if (r < 0)
		return r;
	if ((sqlite3_bind_int64(s, 1, pid) | sqlite3_bind_int(s, 2, res->status) |
	     store_bind_date(s, 3, res->retain_until) |
	     store_bind_text(s, 4, basis) |
	     store_bind_date(s, 5, run->today)) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
out:
	store_stmt_done(s);
	return r;
}

/* "no longer eligible: retained until 2031-05-02 (general_20y)". */
void store_withdraw_reason(const struct engine_result *res, char *buf,
			   size_t len)
{
	const char *why = engine_rule_name(res->basis);
	char date[DATE_STRLEN];

	if (res->status == ENGINE_ANOMALY) {
		for (size_t i = 0; i < res->n_steps; i++) {
			if (res->steps[i].rule == ENGINE_RULE_ANOMALY) {
				why = engine_anomaly_name(res->steps[i].anomaly);
				break;
			}
		}
	}
	if (res->retain_until != DATE_NONE)
		snprintf(buf, len, "no longer eligible: %s until %s (%s)",
			 engine_status_name(res->status),
			 date_format(res->retain_until, date), why);
	else
		snprintf(buf, len, "no longer eligible: %s (%s)",
			 engine_status_name(res->status), why);
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
static int earlier_add(struct run *run, int64_t pid, rd_date old_until,
		       rd_date new_until)
{
	struct store *st = run->st;
	sqlite3_stmt *s = NULL;
	int r, rc;

	r = store_stmt(st, STMT_EARLIER_ADD,
		       "INSERT INTO earlier_dates(ipp, old_until, new_until, at)"
		       " SELECT ipp, ?2, ?3, ?4 FROM patients WHERE id = ?1",
		       &s);
	if (r < 0)
		return r;
	if ((sqlite3_bind_int64(s, 1, pid) | store_bind_date(s, 2, old_until) |
	     store_bind_date(s, 3, new_until) |
	     sqlite3_bind_int64(s, 4, run->now)) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
out:
	store_stmt_done(s);
	return r;
}

/* Evaluate one dossier whose facts are loaded, and store the outcome. */
static int settle(struct run *run, int64_t pid, const struct engine_facts *f)
{
	struct engine_result res;
	struct old_state old;
	const char *basis;
	bool changed;
	int r;

	r = state_get(run->st, pid, &old);
	if (r < 0)
		return r;
	engine_evaluate(run->p, f, run->today, &res);
	if (run->last)
		*run->last = res;
	basis = engine_rule_name(res.basis);
	changed = !old.has || old.status != res.status ||
		  old.until != res.retain_until;
	/* A full recompute leaves unchanged rows alone: no write, no WAL. */
	if (changed || old.dirty || strcmp(old.basis, basis) != 0) {
		r = state_set(run, pid, &res, basis);
		if (r < 0)
			return r;
	}
	/* From a date to an earlier date only: a first computation, a date
	 * appearing or vanishing (an anomaly), or a later date is no alert. */
	if (old.has && old.until != DATE_NONE && res.retain_until != DATE_NONE &&
	    res.retain_until < old.until) {
		r = earlier_add(run, pid, old.until, res.retain_until);
		if (r < 0)
			return r;
	}
	if (old.proposal_id != 0 && res.status != ENGINE_ELIGIBLE) {
		char reason[128];

		store_withdraw_reason(&res, reason, sizeof(reason));
		r = store_proposal_withdraw(run->st, old.proposal_id, reason,
					    run->now);
		if (r < 0)
			return r;
		run->acc.withdrawn += (size_t)r;
	}
	run->acc.recomputed++;
	if (changed)
		run->acc.changed++;
	if (run->progress && run->acc.recomputed % STORE_PAGE == 0 &&
	    !run->progress(run->ctx, run->acc.recomputed))
		return store_error(run->st, -ECANCELED, "cancelled");
	return 0;
}

static void add_encounter(struct store *st, size_t i, sqlite3_stmt *s,
			  int col)
{
	st->enc[i] = (struct engine_encounter){
		.id = NULL,
		.kind = kind_index(st, sqlite3_column_int64(s, col)),
		.start = store_column_date(s, col + 1),
		.end = store_column_date(s, col + 2),
	};
}

static void add_transfusion(struct store *st, size_t i, sqlite3_stmt *s,
			    int col)
{
	st->tr[i] = (struct engine_transfusion){
		.id = NULL,
		.act = store_column_date(s, col),
	};
}

static void add_litigation(struct store *st, size_t i, sqlite3_stmt *s,
			   int col)
{
	st->lit[i] = (struct engine_litigation){
		.id = NULL,
		.opened = store_column_date(s, col),
		.closed = store_column_date(s, col + 1),
	};
}

/* Fill f's fact arrays from one statement's rows (patient_id bound as ?1). */
static int load_rows(struct store *st, enum store_stmt id, const char *sql,
		     int64_t pid, size_t *n)
{
	sqlite3_stmt *s = NULL;
	size_t i = 0;
	int r, rc;

	r = store_stmt(st, id, sql, &s);
	if (r < 0)
		return r;
	if (sqlite3_bind_int64(s, 1, pid) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		switch (id) {
		case STMT_FACTS_ENCOUNTERS:
			r = grow((void **)&st->enc, &st->enc_cap, i + 1,
				 sizeof(*st->enc));
			if (r == 0)
				add_encounter(st, i, s, 0);
			break;
		case STMT_FACTS_TRANSFUSIONS:
			r = grow((void **)&st->tr, &st->tr_cap, i + 1,
				 sizeof(*st->tr));
			if (r == 0)
				add_transfusion(st, i, s, 0);
			break;
		default:
			r = grow((void **)&st->lit, &st->lit_cap, i + 1,
				 sizeof(*st->lit));
			if (r == 0)
				add_litigation(st, i, s, 0);
			break;
		}
		if (r < 0)
			goto out;
		i++;
	}
	if (rc != SQLITE_DONE) {
		r = store_fail(st, rc);
		goto out;
	}
	*n = i;
out:
	store_stmt_done(s);
	return r;
}

/* Load, evaluate and store one dossier by patient id. */
static int recompute_one(struct run *run, int64_t pid)
{
	struct store *st = run->st;
	struct engine_facts f = {0};
	sqlite3_stmt *ps = NULL;
	int r, rc;

	r = store_stmt(st, STMT_FACTS_PATIENT,
		       "SELECT ipp, birth_date, death_date, hold_reason"
		       " FROM patients WHERE id = ?1",
		       &ps);
	if (r < 0)
		return r;
	if (sqlite3_bind_int64(ps, 1, pid) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(ps);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE
			    ? store_error(st, -EIO, "dossier %lld has no patient",
					  (long long)pid)
			    : store_fail(st, rc);
		goto out;
	}
	/* The texts stay valid until ps is stepped or reset, below. */
	f.ipp = (const char *)sqlite3_column_text(ps, 0);
	f.birth = store_column_date(ps, 1);
	f.death = store_column_date(ps, 2);
	f.held = sqlite3_column_type(ps, 3) != SQLITE_NULL;
	f.hold_reason = (const char *)sqlite3_column_text(ps, 3);

	r = load_rows(st, STMT_FACTS_ENCOUNTERS,
		      "SELECT kind_id, start_date, end_date FROM encounters"
		      " WHERE patient_id = ?1",
		      pid, &f.n_encounters);
	if (r < 0)
		goto out;
	r = load_rows(st, STMT_FACTS_TRANSFUSIONS,
		      "SELECT act_date FROM transfusions WHERE patient_id = ?1",
		      pid, &f.n_transfusions);
	if (r < 0)
		goto out;
	r = load_rows(st, STMT_FACTS_LITIGATIONS,
		      "SELECT opened_on, closed_on FROM litigations"
		      " WHERE patient_id = ?1",
		      pid, &f.n_litigations);
	if (r < 0)
		goto out;
	f.encounters = st->enc;
	f.transfusions = st->tr;
	f.litigations = st->lit;
	r = settle(run, pid, &f);
out:
	store_stmt_done(ps);
	return r;
}

static int run_start(struct run *run, struct store *st,
		     const struct engine_policy *p, rd_date today,
		     store_progress_fn progress, void *ctx)
{
	if (!st || !p || today == DATE_NONE)
		return -EINVAL;
	*run = (struct run){
		.st = st,
		.p = p,
		.today = today,
		.now = store_now(st),
		.progress = progress,
		.ctx = ctx,
	};
	return load_kinds(st, p);
}

static void run_end(const struct run *run, struct store_recompute_stats *stats)
{
	if (!stats)
		return;
	stats->recomputed += run->acc.recomputed;
	stats->changed += run->acc.changed;
	stats->withdrawn += run->acc.withdrawn;
}

/*
 * Read one page of ids from a statement whose parameters are bound, then
 * reset it. *last_until gets the second column of the last row, if any.
 */
static int read_page(struct store *st, sqlite3_stmt *s, int64_t *ids,
		     size_t *n, rd_date *last_until)
{
	size_t i = 0;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW && i < STORE_PAGE) {
		ids[i] = sqlite3_column_int64(s, 0);
		if (last_until)
			*last_until = store_column_date(s, 1);
		i++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		rc = store_fail(st, rc);
		store_stmt_done(s);
		return rc;
	}
	store_stmt_done(s);
	*n = i;
	return 0;
}

static int recompute_ids(struct run *run, const int64_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = recompute_one(run, ids[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

int store_recompute_patient(struct store *st, const struct engine_policy *p,
			    rd_date today, int64_t pid,
			    struct engine_result *res,
			    struct store_recompute_stats *stats)
{
	struct engine_result scratch;
	struct run run;
	int r;

	r = run_start(&run, st, p, today, NULL, NULL);
	if (r < 0)
		return r;
	run.last = &scratch;
	r = recompute_one(&run, pid);
	if (r < 0)
		return r;
	run_end(&run, stats);
	if (res)
		*res = scratch;
	return 0;
}

/*
 * Recompute every dossier a paged query yields, a page at a time (the
 * page is read whole before anything is written). Id-ordered queries bind
 * (?1 cursor, ?2 page size); with `due`, the (retain_until, id) keyset of
 * STORE_SQL_DUE_PAGE binds (?1 today, ?2 until, ?3 cursor, ?4 page size).
 */
static int recompute_paged(struct run *run, int stmt, const char *sql, bool due)
{
	struct store *st = run->st;
	int64_t ids[STORE_PAGE], cursor = 0;
	rd_date until = INT32_MIN + 1;
	sqlite3_stmt *s = NULL;
	size_t n;
	int r, b;

	do {
		r = store_stmt(st, stmt, sql, &s);
		if (r < 0)
			return r;
		if (due)
			b = store_bind_date(s, 1, run->today) | sqlite3_bind_int(s, 2, until) |
			    sqlite3_bind_int64(s, 3, cursor) | sqlite3_bind_int(s, 4, STORE_PAGE);
		else
			b = sqlite3_bind_int64(s, 1, cursor) | sqlite3_bind_int(s, 2, STORE_PAGE);
		if (b != SQLITE_OK) {
			r = store_fail_bind(st);
			store_stmt_done(s);
			return r;
		}
		r = read_page(st, s, ids, &n, due ? &until : NULL);
		if (r < 0)
			return r;
		r = recompute_ids(run, ids, n);
		if (r < 0)
			return r;
		if (n)
			cursor = ids[n - 1];
	} while (n == STORE_PAGE);
	return 0;
}

int store_recompute_dirty(struct store *st, const struct engine_policy *p,
			  rd_date today, store_progress_fn progress, void *ctx,
			  struct store_recompute_stats *stats)
{
	struct run run;
	int r = run_start(&run, st, p, today, progress, ctx);

	if (r == 0)
		r = recompute_paged(&run, STMT_DIRTY_PAGE, STORE_SQL_DIRTY_PAGE, false);
	if (r == 0)
		run_end(&run, stats);
	return r;
}

int store_recompute_due(struct store *st, const struct engine_policy *p,
			rd_date today, store_progress_fn progress, void *ctx,
			struct store_recompute_stats *stats)
{
	struct run run;
	int r = run_start(&run, st, p, today, progress, ctx);

	/* Retained dossiers whose date has passed, by (retain_until, id);
	 * then anomalies: "in the future" ones may have resolved themselves. */
	if (r == 0)
		r = recompute_paged(&run, STMT_DUE_PAGE, STORE_SQL_DUE_PAGE, true);
	if (r == 0)
		r = recompute_paged(&run, STMT_ANOMALY_PAGE, STORE_SQL_ANOMALY_PAGE, false);
	if (r == 0)
		run_end(&run, stats);
	return r;
}

/* One fact table read in patient_id order, merged with the patients. */
struct stream {
	sqlite3_stmt *s;
	int rc;
};

static int stream_next(struct store *st, struct stream *c)
{
	c->rc = sqlite3_step(c->s);
	if (c->rc != SQLITE_ROW && c->rc != SQLITE_DONE)
		return store_fail(st, c->rc);
	return 0;
}

/* Append the stream's rows of patient pid to the scratch arrays. */
static int stream_take(struct store *st, struct stream *c, int which,
		       int64_t pid, size_t *n)
{
	size_t i = 0;
	int r;

	/* Rows of an id below pid have no patient: foreign keys forbid it. */
	while (c->rc == SQLITE_ROW && sqlite3_column_int64(c->s, 0) < pid) {
		r = stream_next(st, c);
		if (r < 0)
			return r;
	}
	while (c->rc == SQLITE_ROW && sqlite3_column_int64(c->s, 0) == pid) {
		switch (which) {
		case 0:
			r = grow((void **)&st->enc, &st->enc_cap, i + 1,
				 sizeof(*st->enc));
			if (r == 0)
				add_encounter(st, i, c->s, 1);
			break;
		case 1:
			r = grow((void **)&st->tr, &st->tr_cap, i + 1,
				 sizeof(*st->tr));
			if (r == 0)
				add_transfusion(st, i, c->s, 1);
			break;
		default:
			r = grow((void **)&st->lit, &st->lit_cap, i + 1,
				 sizeof(*st->lit));
			if (r == 0)
				add_litigation(st, i, c->s, 1);
			break;
		}
		if (r < 0)
			return r;
		i++;
		r = stream_next(st, c);
		if (r < 0)
			return r;
	}
	*n = i;
	return 0;
}

int store_recompute_all(struct store *st, const struct engine_policy *p,
			rd_date today, store_progress_fn progress, void *ctx,
			struct store_recompute_stats *stats)
{
	static const struct {
		enum store_stmt id;
		const char *sql;
	} facts[3] = {
		{STMT_ALL_ENCOUNTERS,
		 "SELECT patient_id, kind_id, start_date, end_date"
		 " FROM encounters INDEXED BY encounters_by_patient"
		 " ORDER BY patient_id"},
		{STMT_ALL_TRANSFUSIONS,
		 "SELECT patient_id, act_date"
		 " FROM transfusions INDEXED BY transfusions_by_patient"
		 " ORDER BY patient_id"},
		{STMT_ALL_LITIGATIONS,
		 "SELECT patient_id, opened_on, closed_on"
		 " FROM litigations INDEXED BY litigations_by_patient"
		 " ORDER BY patient_id"},
	};
	struct stream c[3] = {{0}};
	sqlite3_stmt *ps = NULL;
	struct run run;
	int r, rc;

	r = run_start(&run, st, p, today, progress, ctx);
	if (r < 0)
		return r;
	r = store_stmt(st, STMT_ALL_PATIENTS,
		       "SELECT id, ipp, birth_date, death_date, hold_reason"
		       " FROM patients ORDER BY id",
		       &ps);
	if (r < 0)
		return r;
	for (int i = 0; i < 3; i++) {
		r = store_stmt(st, facts[i].id, facts[i].sql, &c[i].s);
		if (r < 0)
			goto out;
		r = stream_next(st, &c[i]);
		if (r < 0)
			goto out;
	}
	while ((rc = sqlite3_step(ps)) == SQLITE_ROW) {
		int64_t pid = sqlite3_column_int64(ps, 0);
		struct engine_facts f = {
			.ipp = (const char *)sqlite3_column_text(ps, 1),
			.birth = store_column_date(ps, 2),
			.death = store_column_date(ps, 3),
			.held = sqlite3_column_type(ps, 4) != SQLITE_NULL,
			.hold_reason = (const char *)sqlite3_column_text(ps, 4),
		};

		r = stream_take(st, &c[0], 0, pid, &f.n_encounters);
		if (r < 0)
			goto out;
		r = stream_take(st, &c[1], 1, pid, &f.n_transfusions);
		if (r < 0)
			goto out;
		r = stream_take(st, &c[2], 2, pid, &f.n_litigations);
		if (r < 0)
			goto out;
		f.encounters = st->enc;
		f.transfusions = st->tr;
		f.litigations = st->lit;
		r = settle(&run, pid, &f);
		if (r < 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		r = store_fail(st, rc);
		goto out;
	}
	run_end(&run, stats);
out:
	for (int i = 0; i < 3; i++)
		store_stmt_done(c[i].s);
	store_stmt_done(ps);
	return r;
}

int store_mark_all_dirty(struct store *st)
{
	return store_exec_stmt(st, STMT_MARK_ALL_DIRTY,
			       "UPDATE dossiers SET dirty = 1 WHERE dirty = 0");
}
