/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Import sessions, and the bulk path of an establishment's first load
 * (store.h). Fifty million encounters inserted one by one into their table
 * and the unique index of encounter_id pay a B-tree descent in each per
 * row, at random places; CREATE INDEX afterwards sorts them once, and the
 * table, clustered by patient, is appended to in its order (append.c). A
 * dossier then needs no mark per row either: all those with rows are
 * marked by one statement, or evaluated all.
 *
 * The index definitions are read back from sqlite_schema before the drop
 * and executed again as they were, so this file does not repeat the
 * schema. Nothing here commits: a rollback of the caller's transaction
 * restores the indexes with the rows.
 */
#include "config.h"

#include "store/store_internal.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

/*
 * A fact table's name, whether it is empty (1 or 0), the bulk marking,
 * and for encounters, whose unique index on encounter_id is dropped, what
 * to do when an id came for two patients: delete every row of the id but
 * the one that came last in the file, which row by row would have moved
 * the first. The order of the file is (2 * patient_id, 0) for a row the
 * session inserted directly, (2 * after + 1, seq) for one it set aside
 * (append.c); rows of the same key are one row already.
 */
static const struct {
	const char *table;
	const char *probe;
	const char *mark;
	const char *keep_last;
} tables[] = {
	/* Patients keep their index (the IPP is looked up); their first
	 * load drops the dossiers' indexes instead (session_indexes). */
	[STORE_IMPORT_PATIENTS] =
		{NULL, "SELECT NOT EXISTS (SELECT 1 FROM patients)", NULL, NULL},
	[STORE_IMPORT_ENCOUNTERS] =
		{"encounters", "SELECT NOT EXISTS (SELECT 1 FROM encounters)",
		 "UPDATE dossiers SET dirty = 1 WHERE dirty = 0"
		 " AND patient_id IN (SELECT patient_id FROM encounters)",
		 "DELETE FROM encounters WHERE (patient_id, encounter_id) IN"
		 " (SELECT patient_id, encounter_id FROM"
		 "  (SELECT e.patient_id, e.encounter_id, row_number() OVER"
		 "    (PARTITION BY e.encounter_id ORDER BY"
		 "     coalesce(2 * l.after + 1, 2 * e.patient_id) DESC,"
		 "     coalesce(l.seq, 0) DESC) AS n"
		 "   FROM encounters e LEFT JOIN"
		 "    (SELECT patient_id, encounter_id, max(after) AS after,"
		 "      max(seq) AS seq FROM " STORE_LATE_TABLE
		 "     GROUP BY patient_id, encounter_id) l"
		 "    ON l.patient_id = e.patient_id"
		 "    AND l.encounter_id = e.encounter_id"
		 "   WHERE e.encounter_id IN (SELECT encounter_id FROM encounters"
		 "    GROUP BY encounter_id HAVING count(*) > 1))"
		 "  WHERE n > 1)"},
	[STORE_IMPORT_TRANSFUSIONS] =
		{"transfusions", "SELECT NOT EXISTS (SELECT 1 FROM transfusions)",
		 "UPDATE dossiers SET dirty = 1 WHERE dirty = 0"
		 " AND patient_id IN (SELECT patient_id FROM transfusions)",
		 NULL},
	[STORE_IMPORT_LITIGATIONS] =
		{"litigations", "SELECT NOT EXISTS (SELECT 1 FROM litigations)",
		 "UPDATE dossiers SET dirty = 1 WHERE dirty = 0"
		 " AND patient_id IN (SELECT patient_id FROM litigations)",
		 NULL},
};

void store_indexes_free(struct store_index_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		sqlite3_free(set->sql[i]);
	memset(set, 0, sizeof(*set));
}

void store_import_reset(struct store *st)
{
	store_load_eval_free(st);
	store_indexes_free(&st->imp.idx);
	memset(&st->imp, 0, sizeof(st->imp));
}

bool store_import_is_bulk(const struct store *st)
{
	return st && st->imp.active && st->imp.bulk;
}

static int exec(struct store *st, const char *sql)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_fail(st, rc);
}

/* The value of a query's single row, or an error. */
static int64_t query_int(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v;
	int rc;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, rc);
	rc = sqlite3_step(s);
	v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : store_fail(st, rc);
	sqlite3_finalize(s);
	return v;
}

/*
 * Save the definitions of table's own indexes (not the primary key's, whose
 * sql is NULL: upserts need it) and their names, to drop them once the read
 * of sqlite_schema is over. 1 saved, 0 too many to bother, or an error.
 */
static int save_indexes(struct store *st, const char *table,
			struct store_index_set *set,
			char *names[STORE_BULK_MAX_INDEXES])
{
	sqlite3_stmt *s = NULL;
	int rc, r = 1;

	rc = sqlite3_prepare_v2(st->db,
				"SELECT name, sql FROM sqlite_schema"
				" WHERE type = 'index' AND tbl_name = ?1"
				" AND sql IS NOT NULL ORDER BY name",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, rc);
	if (store_bind_text(s, 1, table) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		size_t n = set->n;

		if (n == STORE_BULK_MAX_INDEXES) {
			r = 0;
			break;
		}
		names[n] = sqlite3_mprintf("%s", sqlite3_column_text(s, 0));
		set->sql[n] = sqlite3_mprintf("%s", sqlite3_column_text(s, 1));
		if (!names[n] || !set->sql[n]) {
			sqlite3_free(names[n]);
			names[n] = NULL;
			sqlite3_free(set->sql[n]);
			r = -ENOMEM;
			break;
		}
		set->n++;
	}
	if (r == 1 && rc != SQLITE_DONE)
		r = store_fail(st, rc);
out:
	sqlite3_finalize(s);
	return r;
}

int store_indexes_drop(struct store *st, const char *table,
		       struct store_index_set *set)
{
	char *names[STORE_BULK_MAX_INDEXES] = {0};
	size_t n0 = set->n; /* already dropped, every one */
	int r = save_indexes(st, table, set, names);

	for (size_t i = n0; r == 1 && i < set->n; i++) {
		/* An identifier cannot be bound; %w quotes it. */
		char *sql = sqlite3_mprintf("DROP INDEX \"%w\"", names[i]);

		r = sql ? exec(st, sql) : -ENOMEM;
		sqlite3_free(sql);
		if (r == 0) {
			set->n_dropped++;
			r = 1;
		}
	}
	for (size_t i = 0; i < STORE_BULK_MAX_INDEXES; i++)
		sqlite3_free(names[i]);
	/* The set keeps what is dropped only: none of the new ones when
	 * there are too many (0), those before an error. */
	for (size_t i = set->n_dropped; i < set->n; i++) {
		sqlite3_free(set->sql[i]);
		set->sql[i] = NULL;
	}
	set->n = set->n_dropped;
	return r;
}

int store_import_begin(struct store *st, enum store_import_kind kind)
{
	int r;

	if (!st || (unsigned)kind > STORE_IMPORT_LITIGATIONS)
		return -EINVAL;
	/* A session left open (a file refused, but not rolled back): ended
	 * properly, so that its table gets its indexes back. */
	r = store_import_end(st);
	if (r >= 0) /* one pending mark at a time */
		r = store_import_mark(st);
	if (r < 0)
		return r;
	/* Outside a transaction nothing keeps a recompute from clearing a
	 * mark between two rows, and a DROP INDEX would commit at once. */
	if (sqlite3_get_autocommit(st->db))
		return 0;
	st->imp.active = true;
	st->imp.kind = kind;
	r = (int)query_int(st, tables[kind].probe);
	if (r < 0)
		return r;
	st->imp.fresh = r == 1;
	/* A first load of patients has no dossier row yet either. Left
	 * dirty, every dossier would be rewritten by the recompute that
	 * follows: the load drops the dossiers' indexes, which that
	 * recompute would drop anyway, and builds them again at its end.
	 * Evaluated as they are written (store_evaluate_new), the rows come
	 * in id order with one status, so their entries are appended to the
	 * indexes, which cost less kept than built again. */
	st->imp.eligible = r == 1 && (tables[kind].table ||
				      (st->dossier_idx.n == 0 && !st->eval_new.p));
	return st->bulk_after == 0 ? store_import_row(st) : 0;
}

/* The indexes a bulk session drops: its table's, or the dossiers'. */
static struct store_index_set *session_indexes(struct store *st,
					       const char **table)
{
	if (tables[st->imp.kind].table) {
		*table = tables[st->imp.kind].table;
		return &st->imp.idx;
	}
	*table = "dossiers";
	return &st->dossier_idx;
}

/*
 * Turning bulk midway is as exact as from the start: the rows written so
 * far marked their dossiers one by one, and the set-based mark at the end
 * covers them again. A previous owner needs no mark after the turn, since
 * the table was empty when the session began: a row can only move from an
 * owner this session gave it, whose facts end as they started.
 */
int store_import_turn(struct store *st)
{
	int r;

	if (st->imp.bulk || ++st->imp.rows < st->bulk_after)
		return 0;
	const char *table;
	struct store_index_set *set = session_indexes(st, &table);

	st->imp.eligible = false;
	r = store_indexes_drop(st, table, set);
	if (r < 0) {
		/* The caller rolls back. Should it commit instead, the
		 * indexes already dropped are built again first. */
		st->imp.bulk = set->n_dropped > 0;
		return r;
	}
	/* 0: too many indexes, none dropped: stay row by row. */
	st->imp.bulk = r == 1;
	/* The rows written so far, one per id, count as inserted directly
	 * (append.c): every later row in the table comes after them. */
	if (st->imp.bulk && st->imp.kind == STORE_IMPORT_ENCOUNTERS) {
		int64_t max = query_int(st, "SELECT coalesce(max(patient_id), 0)"
					    " FROM encounters");

		if (max < 0)
			return (int)max;
		st->imp.last_pid = max;
		return store_load_eval_start(st);
	}
	return 0;
}

/*
 * A sort of SQLite's takes as much memory as the page cache is allowed:
 * before one, the cache shrinks to STORE_SORT_CACHE_KIB (store_internal.h),
 * its pages written to the WAL first (still inside the transaction) so
 * that they are clean and can be freed for the sort rather than kept
 * beside it. With helper, the sort also gets a helper thread, which sorts
 * and writes one run of keys while this thread gathers the next, and
 * merges beside it at the end: two runs in memory at once, so each gets
 * half. 0 or an error; store_sort_cache_end restores both.
 */
int store_sort_cache(struct store *st, bool helper)
{
	int rc = sqlite3_db_cacheflush(st->db);

	if (rc != SQLITE_OK)
		return store_fail(st, rc);
	if (!helper)
		return exec(st, "PRAGMA cache_size = -" STORE_STR(
					STORE_SORT_CACHE_KIB));
	return exec(st, "PRAGMA threads = 1;"
			"PRAGMA cache_size = -" STORE_STR(STORE_SORT_HALF_KIB));
}

int store_sort_cache_end(struct store *st)
{
	return exec(st, "PRAGMA threads = 0;"
			"PRAGMA cache_size = -" STORE_STR(STORE_CACHE_KIB));
}

/*
 * Re-create the dropped indexes, each by a sort, with the smaller cache.
 * The dossiers' three, built from a scan of short rows, are built in 0.7
 * of the time with the sorter's helper thread; encounters_by_id, from the
 * encounters' table, gains nothing from it (doc/performance.md).
 */
int store_indexes_rebuild(struct store *st, struct store_index_set *set)
{
	int r, r2;

	if (set->n_dropped == 0) {
		store_indexes_free(set);
		return 0;
	}
	r = store_sort_cache(st, set == &st->dossier_idx);
	/* On an error the set keeps the index that failed and those after
	 * it: what was built is built, and a commit must not happen (the
	 * caller rolls back, or builds them again). */
	while (r == 0 && set->n_dropped > 0) {
		r = exec(st, set->sql[set->n - set->n_dropped]);
		if (r == 0)
			set->n_dropped--;
		else if (sqlite3_extended_errcode(st->db) ==
			 SQLITE_CONSTRAINT_UNIQUE)
			r = -EEXIST;
	}
	r2 = store_sort_cache_end(st);
	if (r == 0 && r2 == 0)
		store_indexes_free(set);
	return r < 0 ? r : r2;
}

/*
 * A unique index failed to build: an id came for two patients in the
 * file, and each row was kept. Keep the one that came last, as the
 * updates of the row-by-row path would have; the others changed something
 * (the patient) when they came, so none is taken back from the changed
 * rows. Rare (a first load contradicting itself), so more sorts of the
 * table are fine. The mark that follows finds the owners of the rows kept;
 * an owner that lost its only row ends as it began the session, with none.
 */
static int keep_last_rows(struct store *st)
{
	int r = store_append_late_table(st);

	if (r == 0)
		r = exec(st, tables[st->imp.kind].keep_last);
	if (r < 0)
		return r;
	store_count(st, STORE_FACT_ENCOUNTERS, -sqlite3_changes64(st->db));
	return 0;
}

/* mark_pending's 0 is none: patients, which have no mark. */
_Static_assert(STORE_IMPORT_PATIENTS == 0, "store_import_kind");

int store_import_mark(struct store *st)
{
	int r;

	if (!st->mark_pending)
		return 0;
	r = exec(st, tables[st->mark_pending].mark);
	if (r < 0)
		return r;
	st->mark_pending = 0;
	store_count(st, STORE_COUNT_DIRTY, sqlite3_changes64(st->db));
	return 0;
}

int store_import_end(struct store *st)
{
	int64_t unchanged;
	int r = 0;

	if (!st)
		return -EINVAL;
	if (!st->imp.active)
		return 0;
	r = store_patients_flush(st);
	if (r < 0)
		return r;
	/* The dossiers' indexes stay dropped for the recompute that follows
	 * the patients (store_recompute_dirty), or until the commit. */
	if (st->imp.bulk && tables[st->imp.kind].table) {
		bool from_rows = st->imp.eval != NULL, keep_all = false;

		/* On an error the session stays open: a commit then fails
		 * too, rather than keep a table without its indexes. */
		r = store_load_eval_rows_end(st);
		if (r == 0)
			r = store_append_flush(st);
		if (r == 0)
			r = store_indexes_rebuild(st, &st->imp.idx);
		if (r == -EEXIST && tables[st->imp.kind].keep_last) {
			keep_all = true;
			r = keep_last_rows(st);
			if (r == 0)
				r = store_indexes_rebuild(st, &st->imp.idx);
		}
		/* The dossiers evaluated from the rows: only those left to
		 * the recompute are marked (before the rows set aside go). */
		if (r == 0)
			r = store_load_eval_end(st, keep_all);
		if (r == 0)
			r = store_append_end(st);
		if (r < 0)
			return r;
		if (!from_rows || keep_all)
			st->mark_pending = st->imp.kind;
		/* A first load of encounters leaves it to the recompute that
		 * follows, which may evaluate every dossier instead. */
		if (st->imp.kind != STORE_IMPORT_ENCOUNTERS)
			r = store_import_mark(st);
		if (r < 0)
			return r;
	}
	unchanged = st->imp.unchanged;
	store_import_reset(st);
	return unchanged > INT_MAX ? INT_MAX : (int)unchanged;
}
