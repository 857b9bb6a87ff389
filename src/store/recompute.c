/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Recompute: load a dossier's facts, run the engine, store status,
 * retain_until and basis, clear the dirty mark, and withdraw an open
 * proposal of a dossier that is no longer eligible (audited in the same
 * transaction, in the name of the connection's actor).
 *
 * This file holds the runs and the point-query paths: the dirty and due
 * sets are read a page of ids at a time through their index
 * (dossiers_dirty, dossiers_by_status), then each dossier is loaded by
 * point lookups: the pages are read to the end before anything is
 * written, since SQLite leaves undefined what a statement sees of rows the
 * same connection changes under it. A full recompute, and a dirty one when
 * many dossiers are dirty, stream instead (recompute_stream.c, on two
 * threads: recompute_split.c). What an evaluation writes:
 * recompute_settle.c.
 */
#include "config.h"

#include "store/recompute_internal.h"

#include <errno.h>
#include <stdlib.h>

/* The SQL spells statuses as literals (see store_internal.h). */
_Static_assert(ENGINE_RETAINED == 0 && ENGINE_ELIGIBLE == 1 &&
		       ENGINE_HELD == 2 && ENGINE_ANOMALY == 3,
	       "engine_status values are stored in the database");

int recompute_grow(void **buf, size_t *cap, size_t need, size_t elem)
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

int recompute_kinds_load(struct store *st, const struct engine_policy *p)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	for (size_t i = 0; i < st->kind_map_len; i++)
		st->kind_map[i] = -1;
	st->kind_top = 0;
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

			r = recompute_grow((void **)&st->kind_map, &cap, (size_t)id + 1,
				 sizeof(int));
			if (r < 0)
				goto out;
			for (size_t i = old; i < cap; i++)
				st->kind_map[i] = -1;
			st->kind_map_len = cap;
		}
		k = name ? engine_policy_kind_find(p, name) : -1;
		st->kind_map[id] = k < 0 ? -1 : k;
		if (id > st->kind_top)
			st->kind_top = id;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
out:
	store_stmt_done(s);
	return r;
}

static int state_get(struct store *st, int64_t pid, struct recompute_old *out)
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
	recompute_old_none(out);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		goto out; /* no row yet: state_set creates it */
	if (rc != SQLITE_ROW) {
		r = store_fail(st, rc);
		goto out;
	}
	out->row = true;
	out->has = sqlite3_column_type(s, 0) != SQLITE_NULL;
	out->status = (enum engine_status)sqlite3_column_int(s, 0);
	out->until = store_column_date(s, 1);
	out->basis = recompute_basis_id(sqlite3_column_text(s, 2));
	out->dirty = sqlite3_column_int(s, 3) != 0;
	out->proposal_id = sqlite3_column_int64(s, 4);
out:
	store_stmt_done(s);
	return r;
}

static void add_encounter(struct store *st, size_t i, sqlite3_stmt *s,
			  int col)
{
	st->enc[i] = (struct engine_encounter){
		.id = NULL,
		.kind = recompute_kind(st, sqlite3_column_int64(s, col)),
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
			r = recompute_grow((void **)&st->enc, &st->enc_cap, i + 1,
				 sizeof(*st->enc));
			if (r == 0)
				add_encounter(st, i, s, 0);
			break;
		case STMT_FACTS_TRANSFUSIONS:
			r = recompute_grow((void **)&st->tr, &st->tr_cap, i + 1,
				 sizeof(*st->tr));
			if (r == 0)
				add_transfusion(st, i, s, 0);
			break;
		default:
			r = recompute_grow((void **)&st->lit, &st->lit_cap, i + 1,
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
static int recompute_one(struct recompute_run *run, int64_t pid)
{
	struct store *st = run->st;
	struct engine_facts f = {0};
	struct recompute_old old;
	sqlite3_stmt *ps = NULL;
	int r, rc;

	r = state_get(st, pid, &old);
	if (r < 0)
		return r;
	if (run->held) {
		/* Gone with its patient since it was marked: as a written
		 * mark would have gone with the row. */
		if (!old.row)
			return 0;
		old.held = true;
	}
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
	r = recompute_settle(run, pid, &f, &old);
out:
	store_stmt_done(ps);
	return r;
}

int recompute_run_start(struct recompute_run *run, struct store *st,
			const struct engine_policy *p, rd_date today,
			store_progress_fn progress, void *ctx)
{
	if (!st || !p || today == DATE_NONE)
		return -EINVAL;
	*run = (struct recompute_run){
		.st = st,
		.p = p,
		.today = today,
		.now = store_now(st),
		.progress = progress,
		.ctx = ctx,
	};
	return recompute_kinds_load(st, p);
}

void recompute_run_end(const struct recompute_run *run,
		       struct store_recompute_stats *stats)
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

static int recompute_ids(struct recompute_run *run, const int64_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = recompute_one(run, ids[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

/* The dossiers whose marks an import held, in id order; they stay held
 * until all are evaluated. */
static int recompute_held(struct recompute_run *run)
{
	const int64_t *ids;
	size_t n = store_held_sorted(run->st, &ids);
	int r;

	run->held = true;
	r = recompute_ids(run, ids, n);
	run->held = false;
	if (r == 0)
		store_held_clear(run->st);
	return r;
}

int store_recompute_patient(struct store *st, const struct engine_policy *p,
			    rd_date today, int64_t pid,
			    struct engine_result *res,
			    struct store_recompute_stats *stats)
{
	struct engine_result scratch;
	struct recompute_run run;
	int r;

	r = recompute_run_start(&run, st, p, today, NULL, NULL);
	if (r == 0)
		r = store_held_write(st);
	if (r < 0)
		return r;
	run.last = &scratch;
	r = recompute_one(&run, pid);
	if (r < 0)
		return r;
	recompute_run_end(&run, stats);
	if (res)
		*res = scratch;
	return 0;
}

/*
 * Recompute every dossier a paged query yields, a page at a time (the
 * page is read whole before anything is written). Id-ordered queries bind
 * (?1 cursor, ?2 page size, and ?3 today when the query has it); with
 * `due`, the (retain_until, id) keyset of STORE_SQL_DUE_PAGE binds (?1
 * today, ?2 until, ?3 cursor, ?4 page size).
 */
static int recompute_paged(struct recompute_run *run, int stmt,
			   const char *sql, bool due)
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
			b = sqlite3_bind_int64(s, 1, cursor) |
			    sqlite3_bind_int(s, 2, STORE_PAGE) |
			    (sqlite3_bind_parameter_count(s) >= 3
				     ? store_bind_date(s, 3, run->today)
				     : SQLITE_OK);
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

/*
 * How to recompute the dirty dossiers. One pass over every dossier in id
 * order (recompute_stream.c) costs less than a point query per dirty one
 * once 1 in RECOMPUTE_STREAM_DIRTY_SHARE is dirty: about 30-40 us each
 * when their pages miss the cache, against about 1-2 us per dossier for
 * the sequential pass. When RECOMPUTE_BULK_SHARE or more are dirty (an
 * establishment's first load), most rows will be written, each moving
 * its entries in the dossiers' indexes at random places (2-3 us a row):
 * the indexes are then dropped and built again by one sort each. The
 * dirty total is the one the store keeps (exact, and free to read).
 */
static int dirty_share(struct store *st, bool *many, bool *most)
{
	int64_t n = 0, dirty = 0;
	int r;

	r = store_int_of(st, STMT_DOSSIERS_MAX,
			 "SELECT max(patient_id) FROM dossiers",
			 &n); /* ids are dense but for destructions */
	if (r == 0)
		r = store_int_of(st, STMT_DIRTY_COUNT,
				 "SELECT ifnull(sum(n), 0) FROM counts"
				 " WHERE name = 'dirty'",
				 &dirty);
	if (r < 0)
		return r;
	/* Those held, as many as were added (some perhaps twice). */
	dirty += st->count_delta[STORE_COUNT_DIRTY] + (int64_t)st->held.n;
	*many = dirty > 0 && dirty >= n / RECOMPUTE_STREAM_DIRTY_SHARE;
	*most = dirty > 0 && dirty >= n / RECOMPUTE_BULK_SHARE;
	if (st->recompute_stream_dirty != 0)
		*many = st->recompute_stream_dirty > 0;
	if (st->recompute_bulk_dossiers != 0)
		*most = st->recompute_bulk_dossiers > 0;
	*most = *most && *many;
	return 0;
}

/*
 * After a first load of encounters (st->mark_pending), whether to evaluate
 * every dossier rather than mark the owners first: when the rows are at
 * least as many as the dossiers, a stream over all of them costs less
 * than the load did, and the mark, a rewrite of each owner's row, is
 * spared. Otherwise the owners are marked now.
 */
static int pending_all(struct store *st, bool *all)
{
	int64_t n = 0;
	int r;

	*all = false;
	if (!st->mark_pending)
		return 0;
	r = store_int_of(st, STMT_DOSSIERS_MAX,
			 "SELECT max(patient_id) FROM dossiers", &n);
	if (r < 0)
		return r;
	*all = st->recompute_stream_dirty >= 0 &&
	       st->count_delta[STORE_FACT_ENCOUNTERS] >= n;
	return *all ? 0 : store_import_mark(st);
}

int store_recompute_dirty(struct store *st, const struct engine_policy *p,
			  rd_date today, store_progress_fn progress, void *ctx,
			  struct store_recompute_stats *stats)
{
	struct recompute_run run;
	bool many = false, most = false, all = false;
	int r = recompute_run_start(&run, st, p, today, progress, ctx);

	if (r == 0)
		r = pending_all(st, &all);
	if (r == 0 && all)
		most = st->recompute_bulk_dossiers >= 0;
	else if (r == 0)
		r = dirty_share(st, &many, &most);
	/* A stream reads the marks from the rows. */
	if (r == 0 && (many || all))
		r = store_held_write(st);
	/* The indexes come back before the commit (store_commit), or with
	 * the rollback of a failure. */
	if (r == 0 && most && st->dossier_idx.n == 0) {
		r = store_indexes_drop(st, "dossiers", &st->dossier_idx);
		r = r < 0 ? r : 0;
	}
	if (r == 0 && (many || all)) {
		r = recompute_streamed(&run, !all);
		if (r == 0)
			st->mark_pending = 0; /* every owner evaluated */
		if (r == 0)
			r = store_indexes_rebuild(st, &st->dossier_idx);
	} else if (r == 0) {
		/* Point queries need the indexes (a first load of patients
		 * may have dropped them: store_import_begin). */
		r = store_indexes_rebuild(st, &st->dossier_idx);
		if (r == 0)
			r = recompute_held(&run);
		if (r == 0)
			r = recompute_paged(&run, STMT_DIRTY_PAGE,
					    STORE_SQL_DIRTY_PAGE, false);
	}
	if (r == 0) {
		/* The new dossiers store_evaluate_new had evaluated: as
		 * if here, each a first result. */
		run.acc.recomputed += st->eval_new.evaluated;
		run.acc.changed += st->eval_new.created;
		st->eval_new.evaluated = 0;
		st->eval_new.created = 0;
		/* And those a first load of encounters evaluated from its
		 * rows (append_eval.c). */
		run.acc.recomputed += st->load_eval_acc.recomputed;
		run.acc.changed += st->load_eval_acc.changed;
		run.acc.withdrawn += st->load_eval_acc.withdrawn;
		st->load_eval_acc = (struct store_recompute_stats){0};
		recompute_run_end(&run, stats);
	}
	return r;
}

int store_recompute_due(struct store *st, const struct engine_policy *p,
			rd_date today, store_progress_fn progress, void *ctx,
			struct store_recompute_stats *stats)
{
	struct recompute_run run;
	int r = recompute_run_start(&run, st, p, today, progress, ctx);

	if (r == 0)
		r = store_held_write(st);
	/* Retained dossiers whose date has passed, by (retain_until, id);
	 * then the anomalies that a date now past may have resolved. */
	if (r == 0)
		r = recompute_paged(&run, STMT_DUE_PAGE, STORE_SQL_DUE_PAGE, true);
	if (r == 0) {
		run.anomaly_check = true;
		r = recompute_paged(&run, STMT_ANOMALY_PAGE,
				    STORE_SQL_ANOMALY_PAGE, false);
	}
	if (r == 0)
		recompute_run_end(&run, stats);
	return r;
}

int store_mark_all_dirty(struct store *st)
{
	int r = store_exec_stmt(st, STMT_MARK_ALL_DIRTY,
				"UPDATE dossiers SET dirty = 1 WHERE dirty = 0");

	if (r == 0)
		store_count(st, STORE_COUNT_DIRTY, sqlite3_changes64(st->db));
	return r;
}
