/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A first load's dossiers evaluated from the rows as they come (append.c,
 * store.h: store_import_begin). While the rows of a bulk session of
 * encounters come in patient order, each patient's rows are gathered as
 * they are parsed; when the next patient's first row comes, the patient
 * is evaluated on them, with its birth, death, hold, transfusions,
 * litigations and stored state read by the recompute's sorted streams
 * (recompute_cursor) a step behind. The recompute after the load then
 * need not read fifty million rows back from the table just written.
 *
 * What keeps a dossier's facts whole: the table was empty when the session
 * began, and a session writes no other table of facts. A patient is left
 * to the recompute, marked dirty at the end of the session, when its rows
 * are not all known here:
 *  - it had rows before the session turned bulk (they marked it dirty one
 *    by one; `floor` is the highest of those patients);
 *  - a row of it was set aside (it came out of patient order): every
 *    patient of the table of rows set aside is marked;
 *  - a row of it met a row of the same key (an id given twice): `redo`;
 *  - an id came for two patients: the unique index fails to build, rows
 *    are deleted, and every owner is marked, as without this evaluation
 *    (bulk.c), evaluated here or not.
 * Nor is a patient evaluated here whose evaluation could leave anything
 * beside its row, should it be evaluated again: a dossier with a proposal
 * (to withdraw) or a date (an earlier date's alert). A first load of
 * encounters meets none (a dossier without encounters is an anomaly), but
 * the rule does not depend on it: such a patient goes to `redo`, as does
 * one whose id lies too far above the others for the record below.
 *
 * A dossier evaluated here and marked again is evaluated again by the
 * recompute, over a date that was never committed: no alert of an earlier
 * date then (store_load_eval_unseen; the date before the load was none).
 * It is counted once in the recompute's stats, as changed when either
 * evaluation changed it.
 */
#include "config.h"

#include "store/recompute_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The gathered rows' kinds are kinds.id, mapped when evaluated. */
struct gathered {
	int64_t kid;
	rd_date start, end;
};

struct store_load_eval {
	struct recompute_run run;
	struct recompute_cursor *cur;
	int64_t pid;       /* whose rows are gathered, or 0 */
	bool pid_late;     /* a row of pid was set aside */
	struct gathered *row;
	size_t n, cap;
	int64_t *redo;     /* patients to mark at the end */
	size_t n_redo, redo_cap;
	/* Dossier rows evaluated, written STORE_APPEND_BATCH at a time. */
	int64_t out_pid[STORE_APPEND_BATCH];
	struct recompute_outcome out[STORE_APPEND_BATCH];
	size_t n_out;
};

void store_load_eval_free(struct store *st)
{
	struct store_load_eval *ev = st->imp.eval;

	if (!ev)
		return;
	recompute_cursor_close(ev->cur);
	free(ev->row);
	free(ev->redo);
	free(ev);
	st->imp.eval = NULL;
}

int store_load_eval_start(struct store *st)
{
	struct store_load_eval *ev;
	int r;

	/* One first load of encounters per transaction, as the table was
	 * empty at its start. */
	if (!st->eval_new.p || st->load_eval < 0 || st->load_eval_done.bits)
		return 0;
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return store_error(st, -ENOMEM, "out of memory");
	st->imp.eval = ev;
	/* Patients up to the floor are left to the recompute. */
	st->load_eval_done.floor = st->imp.last_pid;
	r = recompute_run_start(&ev->run, st, st->eval_new.p,
				st->eval_new.today, NULL, NULL);
	/* Most dossiers will be written: their indexes are built again
	 * once, after the recompute (recompute.c), rather than each entry
	 * moved at a random place. Before the streams are open: a DROP
	 * fails while a statement reads. */
	if (r == 0 && st->dossier_idx.n == 0) {
		r = store_indexes_drop(st, "dossiers", &st->dossier_idx);
		r = r < 0 ? r : 0;
	}
	if (r == 0)
		r = recompute_cursor_open(st, st->load_eval_done.floor + 1,
					  INT64_MAX, false,
					  &ev->cur);
	return r;
}

/* pid is left to the recompute: marked at the end. */
static int remember_redo(struct store *st, struct store_load_eval *ev,
			 int64_t pid)
{
	if (recompute_grow((void **)&ev->redo, &ev->redo_cap, ev->n_redo + 1,
			   sizeof(*ev->redo)) < 0)
		return store_error(st, -ENOMEM, "out of memory");
	ev->redo[ev->n_redo++] = pid;
	return 0;
}

/* The transaction's record of the dossiers evaluated from the rows: a
 * bit per patient id above floor. Patient ids are SQLite's rowids, dense:
 * 1.25 MB for 10M; a patient further than DONE_BITS above the floor is
 * left to the recompute rather than grow it without bound. */
#define DONE_BITS ((uint64_t)1 << 32)
static int set_done(struct store *st, int64_t pid)
{
	struct store_load_done *d = &st->load_eval_done;
	uint64_t bit = (uint64_t)(pid - d->floor - 1);
	size_t byte = (size_t)(bit / 8);
	size_t old = d->cap;
	int r;

	r = recompute_grow((void **)&d->bits, &d->cap, byte + 1, 1);
	if (r < 0)
		return r;
	memset(d->bits + old, 0, d->cap - old);
	d->bits[byte] |= (uint8_t)(1u << (bit % 8));
	return 0;
}

bool store_load_eval_unseen(const struct store *st, int64_t pid)
{
	const struct store_load_done *d = &st->load_eval_done;
	uint64_t bit = (uint64_t)(pid - d->floor - 1);

	if (!d->bits || pid <= d->floor || bit / 8 >= d->cap)
		return false;
	return d->bits[bit / 8] & (1u << (bit % 8));
}

/* The kinds' map covers every kinds.id of the gathered rows (a kind may
 * be new since the map was loaded). */
static int kinds_known(struct store *st, struct store_load_eval *ev)
{
	for (size_t i = 0; i < ev->n; i++)
		if (ev->row[i].kid < 0 ||
		    (size_t)ev->row[i].kid >= st->kind_map_len ||
		    ev->row[i].kid > st->kind_top)
			return recompute_kinds_load(st, ev->run.p);
	return 0;
}

static int write_rows(struct store_load_eval *ev)
{
	int r = recompute_rows_write(&ev->run, ev->out_pid, ev->out, ev->n_out);

	if (r == 0)
		ev->n_out = 0;
	return r;
}

/* Store the evaluation of pid: its row with the next ones when that is
 * all it writes (recompute_row_only), else at once. */
static int store_outcome(struct store_load_eval *ev, int64_t pid,
			 const struct engine_facts *f,
			 const struct recompute_old *old)
{
	struct engine_result res;
	struct recompute_outcome o;
	int r = 0;

	engine_evaluate(ev->run.p, f, ev->run.today, &res);
	recompute_outcome_of(&res, &o);
	switch (recompute_row_only(&ev->run, old, &o)) {
	case RECOMPUTE_ROW_APPLY:
		r = recompute_apply(&ev->run, pid, old, &o);
		break;
	case RECOMPUTE_ROW_WRITE:
		ev->out_pid[ev->n_out] = pid;
		ev->out[ev->n_out++] = o;
		if (ev->n_out == STORE_APPEND_BATCH)
			r = write_rows(ev);
		break;
	case RECOMPUTE_ROW_NONE:
		break;
	}
	return r < 0 ? r : recompute_tally(&ev->run);
}

/* Evaluate the gathered patient, or leave it to the recompute. */
static int settle(struct store *st, struct store_load_eval *ev)
{
	const int64_t floor = st->load_eval_done.floor;
	struct engine_facts f;
	struct recompute_old old;
	int r;

	if (ev->pid <= floor || ev->n == 0 || ev->pid_late)
		return 0; /* marked dirty already, or at the end */
	r = recompute_cursor_seek(ev->cur, ev->pid);
	if (r == 0)
		r = store_error(st, -EIO, "dossier %lld has no patient",
				(long long)ev->pid);
	if (r == 1)
		r = recompute_cursor_take(ev->cur, false, &f, &old);
	if (r < 0)
		return r;
	if (old.proposal_id != 0 || (old.has && old.until != DATE_NONE) ||
	    (uint64_t)(ev->pid - floor - 1) >= DONE_BITS)
		return remember_redo(st, ev, ev->pid);
	r = kinds_known(st, ev);
	if (r == 0)
		r = recompute_grow((void **)&st->enc, &st->enc_cap, ev->n,
				   sizeof(*st->enc));
	if (r < 0)
		return r;
	for (size_t i = 0; i < ev->n; i++)
		st->enc[i] = (struct engine_encounter){
			.kind = recompute_kind(st, ev->row[i].kid),
			.start = ev->row[i].start,
			.end = ev->row[i].end,
		};
	f.encounters = st->enc;
	f.n_encounters = ev->n;
	r = store_outcome(ev, ev->pid, &f, &old);
	if (r == 0 && set_done(st, ev->pid) < 0)
		r = store_error(st, -ENOMEM, "out of memory");
	return r;
}

int store_load_eval_row(struct store *st, const struct store_encounter_row *row)
{
	struct store_load_eval *ev = st->imp.eval;
	int r;

	if (!ev)
		return 0;
	if (row->pid != ev->pid) {
		r = settle(st, ev);
		if (r < 0)
			return r;
		ev->pid = row->pid;
		ev->n = 0;
		ev->pid_late = false;
	}
	r = recompute_grow((void **)&ev->row, &ev->cap, ev->n + 1, sizeof(*ev->row));
	if (r < 0)
		return store_error(st, r, "out of memory");
	ev->row[ev->n++] = (struct gathered){row->kid, row->start, row->end};
	return 0;
}

void store_load_eval_late(struct store *st, int64_t pid)
{
	if (st->imp.eval && pid == st->imp.eval->pid)
		st->imp.eval->pid_late = true;
}

int store_load_eval_repeat(struct store *st, int64_t pid)
{
	struct store_load_eval *ev = st->imp.eval;

	if (!ev || pid <= st->load_eval_done.floor)
		return 0;
	return remember_redo(st, ev, pid);
}

int store_load_eval_rows_end(struct store *st)
{
	struct store_load_eval *ev = st->imp.eval;
	int r;

	if (!ev)
		return 0;
	r = settle(st, ev);
	if (r == 0)
		r = write_rows(ev);
	ev->pid = 0;
	/* Before anything else reads or sorts: the streams are done. */
	recompute_cursor_close(ev->cur);
	ev->cur = NULL;
	return r;
}

/* Mark one dossier dirty again; one evaluated here (and so clean until
 * this first mark) is counted once. */
static int mark_again(struct store *st, struct store_load_eval *ev, int64_t pid)
{
	int r = store_mark_dirty_now(st, pid);

	if (r == 0 && sqlite3_changes(st->db) > 0 &&
	    store_load_eval_unseen(st, pid) && ev->run.acc.recomputed > 0)
		ev->run.acc.recomputed--;
	return r;
}

/* Every patient of the rows set aside, marked; the count mended. */
static int mark_late(struct store *st, struct store_load_eval *ev)
{
	sqlite3_stmt *s = NULL;
	int rc, r = 0;

	if (!st->imp.late_table)
		return 0;
	rc = sqlite3_prepare_v2(st->db,
				"SELECT DISTINCT patient_id FROM " STORE_LATE_TABLE
				" ORDER BY patient_id",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, rc);
	/* The marks write dossiers, not the table read. */
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		r = mark_again(st, ev, sqlite3_column_int64(s, 0));
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail(st, rc);
	sqlite3_finalize(s);
	return r;
}

int store_load_eval_end(struct store *st, bool keep_all)
{
	struct store_load_eval *ev = st->imp.eval;
	int r = 0;

	if (!ev)
		return 0;
	if (keep_all) {
		/* Every owner marked (bulk.c) and evaluated again: counted
		 * there. */
		ev->run.acc.recomputed = 0;
	} else {
		for (size_t i = 0; r == 0 && i < ev->n_redo; i++)
			r = mark_again(st, ev, ev->redo[i]);
		if (r == 0)
			r = mark_late(st, ev);
	}
	if (r < 0)
		return r;
	recompute_run_end(&ev->run, &st->load_eval_acc);
	store_load_eval_free(st); /* counted once, should the end run again */
	return 0;
}
