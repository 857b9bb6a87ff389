/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The rows of a bulk session of encounters (bulk.c): a first load, during
 * which the unique index of encounter_id is dropped. The table is
 * clustered by (patient_id, encounter_id) (schema.c, version 8); a row is
 * appended to it while the rows come in patient order, STORE_APPEND_BATCH
 * at a time by one multi-row INSERT.
 *
 * A row that does not come in that order (its patient is before the
 * highest one in the table, or is that one again after a row was set
 * aside) is set aside in a temporary table, appended to as well, and the
 * rows set aside are merged into the table in its order at the end of the
 * session. A file in another order (by encounter number, by date) then
 * costs a sort, not a descent to a random place of a large B-tree per row.
 *
 * An id may come twice, since its unique index is dropped. For the same
 * patient, the repeat meets the first row's key: its batch fails as a
 * whole and the batch's rows are written one at a time, the repeat
 * updating the row or counted as unchanged. For two patients, the index
 * fails to build at the end, and bulk.c keeps the row that came last in
 * the file, which this order tells apart:
 *  - the rows inserted into the table directly came in patient order, so
 *    the higher patient came later;
 *  - a row set aside came after every direct row whose patient is at most
 *    its `after` (the highest patient in the table when it came), before
 *    every other one; and the rows set aside came in the order of seq.
 * A row's place in the file is thus (2 * patient_id, 0) when it was
 * inserted directly, (2 * after + 1, seq) when it was set aside.
 */
#include "config.h"

#include "store/store_internal.h"

#include <errno.h>
#include <string.h>

_Static_assert(STORE_APPEND_BATCH == 64, "STORE_ROWS_64 spells the batch");

#define LATE_INSERT                                                          \
	"INSERT INTO " STORE_LATE_TABLE "(encounter_id, patient_id,"        \
	" kind_id, start_date, end_date, after) VALUES "

int store_append_late_table(struct store *st)
{
	int rc;

	if (st->imp.late_table)
		return 0;
	/* seq, the rowid, numbers the rows in the order they are set aside. */
	rc = sqlite3_exec(st->db,
			  "CREATE TABLE " STORE_LATE_TABLE " ("
			  "  seq          INTEGER PRIMARY KEY,"
			  "  after        INTEGER NOT NULL,"
			  "  encounter_id TEXT NOT NULL,"
			  "  patient_id   INTEGER NOT NULL,"
			  "  kind_id      INTEGER NOT NULL,"
			  "  start_date   INTEGER NOT NULL,"
			  "  end_date     INTEGER)",
			  NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, rc);
	st->imp.late_table = true;
	return 0;
}

int store_append_end(struct store *st)
{
	int rc;

	if (!st->imp.late_table)
		return 0;
	rc = sqlite3_exec(st->db, "DROP TABLE " STORE_LATE_TABLE, NULL, NULL,
			  NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, rc);
	st->imp.late_table = false;
	return 0;
}

/* A row for the table, one at a time: by its key, inserted, updated, or
 * counted unchanged (a repeat in the file). 0 or an error. */
static int table_row(struct store *st, const char *id,
		     const struct store_encounter_row *row)
{
	struct store_encounter_row old;
	int found = store_encounter_read(st, id, row->pid, &old);

	if (found < 0)
		return found;
	if (found) {
		/* Its patient's rows are not those gathered. */
		int r = store_load_eval_repeat(st, row->pid);

		if (r < 0)
			return r;
	}
	if (found && store_encounter_same(&old, row)) {
		st->imp.unchanged++;
		return 0;
	}
	return store_encounter_write(st, found ? row->pid : 0, id, row);
}

/* A row set aside, one at a time. 0 or an error. */
static int late_row(struct store *st, const char *id,
		    const struct store_encounter_row *row, int64_t after)
{
	sqlite3_stmt *s = NULL;
	int r;

	r = store_stmt(st, STMT_ENCOUNTER_LATE,
		       LATE_INSERT "(?1, ?2, ?3, ?4, ?5, ?6)", &s);
	if (r < 0)
		return r;
	return store_step_once(st, s,
			       store_encounter_bind(s, 0, id, row) |
				       sqlite3_bind_int64(s, 6, after));
}

/*
 * A full batch in one statement: 0, -EEXIST when a row of the table met a
 * key already there (the statement then wrote nothing), or an error. The
 * ids are bound, not copied: the rows stay put until the statement is
 * reset.
 */
static int insert_batch(struct store *st, bool late)
{
	struct store_append *a = late ? &st->imp.late : &st->imp.app;
	int cols = late ? 6 : 5, bound = SQLITE_OK;
	sqlite3_stmt *s = NULL;
	int r;

	if (late)
		r = store_stmt(st, STMT_ENCOUNTER_LATE_BATCH,
			       LATE_INSERT STORE_ROWS_64("(?,?,?,?,?,?)"), &s);
	else
		r = store_stmt(st, STMT_ENCOUNTER_APPEND_BATCH,
			       "INSERT INTO encounters(encounter_id, patient_id,"
			       "  kind_id, start_date, end_date)"
			       " VALUES " STORE_ROWS_64("(?,?,?,?,?)"),
			       &s);
	if (r < 0)
		return r;
	for (size_t i = 0; i < a->n; i++) {
		bound |= store_encounter_bind(s, cols * (int)i, a->row[i].id,
					      &a->row[i].v);
		if (late)
			bound |= sqlite3_bind_int64(s, cols * (int)i + 6,
						    a->row[i].after);
	}
	return store_insert_once(st, s, bound, SQLITE_CONSTRAINT_PRIMARYKEY);
}

/* Insert the rows waiting in one buffer: one statement for a full batch,
 * else each; the rows inserted leave the batch, the others stay for
 * another try. */
static int flush(struct store *st, bool late)
{
	struct store_append *a = late ? &st->imp.late : &st->imp.app;
	size_t done = 0;
	int r = 0;

	if (a->n == STORE_APPEND_BATCH) {
		r = insert_batch(st, late);
		if (r == 0) {
			if (!late)
				store_count(st, STORE_FACT_ENCOUNTERS,
					    STORE_APPEND_BATCH);
			done = a->n;
		} else if (r == -EEXIST) {
			r = 0; /* a key met again: one row at a time */
		}
	}
	while (r == 0 && done < a->n) {
		const char *id = a->row[done].id;

		r = late ? late_row(st, id, &a->row[done].v, a->row[done].after)
			 : table_row(st, id, &a->row[done].v);
		if (r == 0)
			done++;
	}
	memmove(a->row, a->row + done, (a->n - done) * sizeof(a->row[0]));
	a->n -= done;
	return r;
}

/* Add a row to a buffer, inserting it when full. 0 or an error. */
static int push(struct store *st, bool late, const char *id,
		const struct store_encounter_row *row, int64_t after)
{
	struct store_append *a = late ? &st->imp.late : &st->imp.app;
	size_t len = strlen(id);
	int r = 0;

	/* A full batch here is one whose flush failed: tried again. */
	if (len > STORE_APPEND_ID || a->n == STORE_APPEND_BATCH)
		r = flush(st, late);
	if (r < 0)
		return r;
	if (len > STORE_APPEND_ID) {
		/* Rare: this row alone, after the rows waiting (the batch
		 * keeps copies of short ids only). */
		return late ? late_row(st, id, row, after)
			    : table_row(st, id, row);
	}
	memcpy(a->row[a->n].id, id, len + 1);
	a->row[a->n].v = *row;
	a->row[a->n].after = after;
	return ++a->n == STORE_APPEND_BATCH ? flush(st, late) : 0;
}

int store_encounter_append(struct store *st, const char *id,
			   const struct store_encounter_row *row)
{
	struct store_import *imp = &st->imp;
	int r;

	if (row->pid > imp->last_pid ||
	    (row->pid == imp->last_pid && !imp->late_at_last)) {
		imp->last_pid = row->pid;
		imp->late_at_last = false;
		r = store_load_eval_row(st, row);
		if (r == 0)
			r = push(st, false, id, row, 0);
	} else {
		store_load_eval_late(st, row->pid);
		r = store_append_late_table(st);
		imp->late_at_last = true;
		if (r == 0)
			r = push(st, true, id, row, imp->last_pid);
	}
	return r < 0 ? r : 1;
}

/* Merge the rows set aside into the table, in its order (a repeat of a
 * key after the one it repeats), sorted with the smaller cache. Run again
 * after an error, it ends with the same rows (each key's last row set
 * aside wins again). 0 or an error. */
static int merge(struct store *st)
{
	sqlite3_stmt *s = NULL;
	int rc, r, r2;

	r = store_sort_cache(st, false);
	if (r < 0)
		return r;
	rc = sqlite3_prepare_v2(st->db,
				"SELECT encounter_id, patient_id, kind_id,"
				"  start_date, end_date FROM " STORE_LATE_TABLE
				" ORDER BY patient_id, encounter_id, seq",
				-1, &s, NULL);
	if (rc != SQLITE_OK) {
		r = store_fail(st, rc);
		goto out;
	}
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(s, 0);
		struct store_encounter_row row = {
			.pid = sqlite3_column_int64(s, 1),
			.kid = sqlite3_column_int64(s, 2),
			.start = store_column_date(s, 3),
			.end = store_column_date(s, 4),
		};

		r = id ? push(st, false, id, &row, 0) : -ENOMEM;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail(st, rc);
	sqlite3_finalize(s);
	if (r == 0)
		r = flush(st, false);
out:
	r2 = store_sort_cache_end(st);
	return r < 0 ? r : r2;
}

int store_append_flush(struct store *st)
{
	int r = flush(st, false);

	if (r == 0)
		r = flush(st, true);
	if (r == 0 && st->imp.late_table)
		r = merge(st);
	return r;
}
