/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The new patients of a first load (no patient when the import session
 * began), STORE_APPEND_BATCH at a time: the patients by one multi-row
 * INSERT, then their dossiers, each with its first result
 * (store_dossier_first), by another. SQLite's work per statement (the
 * VDBE's start and halt, a cursor opened and closed per B-tree) then comes
 * once per batch: it was about half of a patient's cost, two statements
 * of one row each (doc/performance.md).
 *
 * The ids are given here, the next after the largest, as SQLite would
 * give them one row at a time: the database is the same as row by row.
 *
 * An IPP the file repeats stops the patients' INSERT at its row: OR FAIL
 * keeps the rows before it, which get their dossiers one at a time, and
 * the rest of the batch goes row by row (store_patient_row), the repeat
 * updating the patient or counted unchanged. OR FAIL, not the default
 * ABORT, so that SQLite keeps no statement journal (a copy of each page
 * the statement changes, to take a failed statement back): with IPPs in
 * no order, 64 rows may touch as many pages of the IPP's index.
 */
#include "config.h"

#include "store/recompute_internal.h"
#include "store/store_internal.h"

#include <errno.h>
#include <string.h>

_Static_assert(STORE_APPEND_BATCH == 64, "STORE_ROWS_64 spells the batch");

/* The batch's patients, ids from first: how many went in (all, or those
 * before a repeated IPP), or an error. */
static int insert_patients(struct store *st, int64_t first)
{
	sqlite3_stmt *s = NULL;
	int bound = SQLITE_OK, r;

	r = store_stmt(st, STMT_PATIENT_BATCH,
		       "INSERT OR FAIL INTO patients(id, ipp, birth_date,"
		       "  death_date) VALUES " STORE_ROWS_64("(?,?,?,?)"),
		       &s);
	if (r < 0)
		return r;
	for (int i = 0; i < STORE_APPEND_BATCH; i++) {
		const int c = 4 * i;

		bound |= sqlite3_bind_int64(s, c + 1, first + i) |
			 store_bind_text(s, c + 2, st->imp.pat.row[i].ipp) |
			 store_bind_date(s, c + 3, st->imp.pat.row[i].birth) |
			 store_bind_date(s, c + 4, st->imp.pat.row[i].death);
	}
	r = store_insert_once(st, s, bound, SQLITE_CONSTRAINT_UNIQUE);
	if (r == -EEXIST) /* what OR FAIL kept */
		return sqlite3_changes(st->db);
	return r < 0 ? r : STORE_APPEND_BATCH;
}

/* The dossiers of the whole batch, just inserted with ids from first. */
static int insert_dossiers(struct store *st, int64_t first)
{
	struct recompute_outcome o[STORE_APPEND_BATCH];
	bool evaluated = false; /* the same for every row: a policy or none */
	sqlite3_stmt *s = NULL;
	int bound = SQLITE_OK, r;

	r = store_stmt(st, STMT_DOSSIER_BATCH,
		       "INSERT INTO dossiers(patient_id, status, retain_until,"
		       "  basis, computed_on, dirty)"
		       " VALUES " STORE_ROWS_64("(?,?,?,?,?,?)"),
		       &s);
	if (r < 0)
		return r;
	for (int i = 0; i < STORE_APPEND_BATCH; i++) {
		const int c = 6 * i;

		evaluated = store_dossier_first(st, st->imp.pat.row[i].birth,
						st->imp.pat.row[i].death, &o[i]);
		bound |= sqlite3_bind_int64(s, c + 1, first + i) |
			 sqlite3_bind_int(s, c + 6, !evaluated);
		if (evaluated)
			bound |= sqlite3_bind_int(s, c + 2, o[i].status) |
				 store_bind_date(s, c + 3, o[i].until) |
				 store_bind_text(s, c + 4,
						 engine_rule_name(o[i].basis)) |
				 store_bind_date(s, c + 5, st->eval_new.today);
		else
			bound |= sqlite3_bind_null(s, c + 2) |
				 sqlite3_bind_null(s, c + 3) |
				 sqlite3_bind_null(s, c + 4) |
				 sqlite3_bind_null(s, c + 5);
	}
	r = store_step_once(st, s, bound);
	if (r < 0)
		return r;
	for (int i = 0; i < STORE_APPEND_BATCH; i++)
		store_dossier_counted(st, first + i, evaluated ? &o[i] : NULL);
	return 0;
}

/* The first k patients of the batch, inserted with ids from first, get
 * their dossiers one at a time. */
static int dossiers_one_by_one(struct store *st, int64_t first, int k)
{
	for (int i = 0; i < k; i++) {
		int r = store_dossier_create(st, first + i,
					     st->imp.pat.row[i].birth,
					     st->imp.pat.row[i].death);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A full batch: how many of its rows are written (all, or those before a
 * repeated IPP), or an error. */
static int insert_batch(struct store *st)
{
	int64_t first = 0;
	int k, r = store_int_of(st, STMT_PATIENT_NEXT_ID,
				"SELECT coalesce(max(id), 0) + 1 FROM patients",
				&first);

	if (r < 0)
		return r;
	k = insert_patients(st, first);
	if (k < 0)
		return k;
	r = k == STORE_APPEND_BATCH ? insert_dossiers(st, first)
				    : dossiers_one_by_one(st, first, k);
	if (r < 0)
		return r;
	store_count(st, STORE_COUNT_PATIENTS, k);
	return k;
}

int store_patients_flush(struct store *st)
{
	size_t n = st->imp.pat.n, done = 0;
	int r = 0;

	if (n == STORE_APPEND_BATCH) {
		r = insert_batch(st);
		if (r > 0)
			done = (size_t)r;
	}
	/* A short batch (the end of the file), or the rest of one that met
	 * a repeat: the row was counted written when it was appended. */
	while (r >= 0 && done < n) {
		r = store_patient_row(st, st->imp.pat.row[done].ipp,
				      st->imp.pat.row[done].birth,
				      st->imp.pat.row[done].death);
		if (r == 0)
			st->imp.unchanged++;
		if (r >= 0)
			done++;
	}
	memmove(st->imp.pat.row, st->imp.pat.row + done,
		(n - done) * sizeof(st->imp.pat.row[0]));
	st->imp.pat.n = n - done;
	return r < 0 ? r : 0;
}

int store_patient_append(struct store *st, const char *ipp, rd_date birth,
			 rd_date death)
{
	size_t n = st->imp.pat.n;
	int r = 0;

	/* A full batch here is one whose flush failed: tried again. */
	if (n == STORE_APPEND_BATCH) {
		r = store_patients_flush(st);
		n = st->imp.pat.n;
	}
	if (r < 0)
		return r;
	memcpy(st->imp.pat.row[n].ipp, ipp, strlen(ipp) + 1);
	st->imp.pat.row[n].birth = birth;
	st->imp.pat.row[n].death = death;
	st->imp.pat.n = n + 1;
	if (st->imp.pat.n == STORE_APPEND_BATCH)
		r = store_patients_flush(st);
	return r < 0 ? r : 1;
}
