/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the import path of schema v5: dossiers marked dirty by the
 * store rather than by triggers (both owners of a moved row, nothing for
 * an unchanged one), the lookups cached within a transaction and forgotten
 * when it rolls back, the migrations from v4 (v5, v6), and the bulk path
 * of a first load, which must leave exactly the dossiers the row-by-row
 * path leaves, and nothing at all when it fails.
 */
#include "config.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/date.h"
#include "engine/engine.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "store_fixture.h"

#define TODAY D("2026-11-21")

static void setup(void)
{
	store_fixture_setup("test-store-import");
	st->bulk_after = 0; /* bulk from the first row of an empty table */
}

TestSuite(store_import, .init = setup, .fini = store_fixture_teardown);

/* ------------------------------------------------------------ helpers */

static void begin(void)
{
	cr_assert_eq(store_begin(st), 0, "%s", store_errmsg(st));
}

static void commit(void)
{
	cr_assert_eq(store_commit(st), 0, "%s", store_errmsg(st));
}

static void patient(const char *ipp, const char *birth)
{
	cr_assert_geq(store_upsert_patient(st, ipp, D(birth), DATE_NONE), 0,
		      "%s: %s", ipp, store_errmsg(st));
}

static int enc(const char *id, const char *ipp, const char *kind,
	       const char *start, const char *end)
{
	return store_upsert_encounter(st, id, ipp, kind, D(start),
				      end ? D(end) : DATE_NONE);
}

static int64_t dirty_of(const char *ipp)
{
	char sql[200];

	snprintf(sql, sizeof(sql),
		 "SELECT d.dirty FROM dossiers d JOIN patients p"
		 " ON p.id = d.patient_id WHERE p.ipp = '%s'",
		 ipp);
	return raw_int(sql);
}

static void recompute_dirty(void)
{
	begin();
	cr_assert_eq(store_recompute_dirty(st, &pol, TODAY, NULL, NULL, NULL), 0,
		     "%s", store_errmsg(st));
	commit();
}

/* Three patients, one encounter, transfusion and litigation for A, all
 * computed: every dossier clean. */
static void base(void)
{
	begin();
	patient("A", "1950-01-01");
	patient("B", "1960-01-01");
	patient("C", "1970-01-01");
	cr_assert_eq(enc("E1", "A", "stay", "2000-03-01", "2000-03-15"), 1);
	cr_assert_eq(enc("E2", "C", "stay", "2001-03-01", "2001-03-15"), 1);
	cr_assert_eq(store_upsert_transfusion(st, "T1", "A", D("2000-03-02")), 1);
	cr_assert_eq(store_upsert_litigation(st, "L1", "A", D("2001-01-01"),
					     D("2002-01-01"), "ref"),
		     1);
	commit();
	recompute_dirty();
	cr_assert_eq(raw_int("SELECT count(*) FROM dossiers WHERE dirty = 1"), 0);
	cr_assert_eq(raw_int("SELECT n FROM counts WHERE name = 'dirty'"), 0);
}

/* ------------------------------------------------------------ marking */

Test(store_import, schema_v6_has_no_triggers_on_facts_and_dossiers)
{
	/* Any trigger would bring back the statement journal (schema.c). */
	cr_assert_eq(raw_int("SELECT count(*) FROM sqlite_schema WHERE type ="
			     " 'trigger' AND tbl_name IN ('patients', 'dossiers',"
			     " 'encounters', 'transfusions', 'litigations')"),
		     0);
}

/* Each fact kind, in and out of an import session, in a transaction. */
static void moved_marks_both(bool session, enum store_import_kind kind)
{
	base();
	begin();
	if (session)
		cr_assert_eq(store_import_begin(st, kind), 0);
	cr_assert_not(store_import_is_bulk(st), "tables are not empty");
	switch (kind) {
	case STORE_IMPORT_ENCOUNTERS:
		cr_assert_eq(enc("E1", "B", "stay", "2000-03-01", "2000-03-15"), 1);
		break;
	case STORE_IMPORT_TRANSFUSIONS:
		cr_assert_eq(store_upsert_transfusion(st, "T1", "B", D("2000-03-02")), 1);
		break;
	default:
		cr_assert_eq(store_upsert_litigation(st, "L1", "B", D("2001-01-01"),
						     D("2002-01-01"), "ref"),
			     1);
		break;
	}
	if (session)
		cr_assert_eq(store_import_end(st), 0);
	commit();
	cr_assert_eq(dirty_of("A"), 1, "the previous owner");
	cr_assert_eq(dirty_of("B"), 1, "the new owner");
	cr_assert_eq(dirty_of("C"), 0);
	cr_assert_eq(raw_int("SELECT n FROM counts WHERE name = 'dirty'"), 2);
}

Test(store_import, moved_encounter_marks_both_in_a_session)
{
	moved_marks_both(true, STORE_IMPORT_ENCOUNTERS);
}

Test(store_import, moved_encounter_marks_both_without_a_session)
{
	moved_marks_both(false, STORE_IMPORT_ENCOUNTERS);
}

Test(store_import, moved_transfusion_marks_both)
{
	moved_marks_both(true, STORE_IMPORT_TRANSFUSIONS);
}

Test(store_import, moved_litigation_marks_both)
{
	moved_marks_both(true, STORE_IMPORT_LITIGATIONS);
}

Test(store_import, moved_and_back_in_one_session_marks_both)
{
	/* The mark skipped for "the same patient as last time" must not skip
	 * the move back to A after B was marked. */
	base();
	begin();
	cr_assert_eq(store_import_begin(st, STORE_IMPORT_ENCOUNTERS), 0);
	cr_assert_eq(enc("E1", "B", "stay", "2000-03-01", "2000-03-15"), 1);
	cr_assert_eq(enc("E1", "A", "stay", "2000-03-01", "2000-03-16"), 1);
	cr_assert_eq(store_import_end(st), 0);
	commit();
	cr_assert_eq(dirty_of("A"), 1);
	cr_assert_eq(dirty_of("B"), 1);
	cr_assert_eq(dirty_of("C"), 0);
}

Test(store_import, unchanged_rows_mark_nothing)
{
	base();
	begin();
	cr_assert_eq(store_import_begin(st, STORE_IMPORT_ENCOUNTERS), 0);
	cr_assert_eq(enc("E1", "A", "stay", "2000-03-01", "2000-03-15"), 0);
	cr_assert_eq(enc("E2", "C", "stay", "2001-03-01", "2001-03-15"), 0);
	cr_assert_eq(store_import_end(st), 0);
	cr_assert_eq(store_upsert_transfusion(st, "T1", "A", D("2000-03-02")), 0);
	cr_assert_eq(store_upsert_litigation(st, "L1", "A", D("2001-01-01"),
					     D("2002-01-01"), "ref"),
		     0);
	commit();
	cr_assert_eq(raw_int("SELECT count(*) FROM dossiers WHERE dirty = 1"), 0);
	cr_assert_eq(raw_int("SELECT n FROM counts WHERE name = 'dirty'"), 0);
	cr_assert_eq(raw_int("SELECT n FROM counts WHERE name = 'encounters'"), 2);
}

Test(store_import, changed_row_marks_its_owner_only)
{
	base();
	begin();
	cr_assert_eq(store_import_begin(st, STORE_IMPORT_ENCOUNTERS), 0);
	cr_assert_eq(enc("E2", "C", "stay", "2001-03-01", NULL), 1);
	cr_assert_eq(enc("E3", "C", "consultation", "2003-01-01", NULL), 1);
	cr_assert_eq(store_import_end(st), 0);
	commit();
	cr_assert_eq(dirty_of("A"), 0);
	cr_assert_eq(dirty_of("C"), 1);
	cr_assert_eq(raw_int("SELECT end_date IS NULL FROM encounters"
			     " WHERE encounter_id = 'E2'"),
		     1);
	cr_assert_eq(raw_int("SELECT n FROM counts WHERE name = 'encounters'"), 3);
}

Test(store_import, litigation_closed_from_the_cli_is_recomputed)
{
	base();
	begin();
	cr_assert_eq(store_litigation_open(st, &pol, TODAY, "L2", "C",
					   D("2020-01-01"), NULL),
		     0, "%s", store_errmsg(st));
	commit();
	/* Open litigation: held. */
	cr_assert_eq(raw_int("SELECT status FROM dossiers d JOIN patients p"
			     " ON p.id = d.patient_id WHERE p.ipp = 'C'"),
		     ENGINE_HELD);
	begin();
	cr_assert_eq(store_litigation_close(st, &pol, TODAY, "L2", D("2021-01-01")),
		     0, "%s", store_errmsg(st));
	commit();
	cr_assert_neq(raw_int("SELECT status FROM dossiers d JOIN patients p"
			      " ON p.id = d.patient_id WHERE p.ipp = 'C'"),
		      ENGINE_HELD);
	cr_assert_eq(raw_int("SELECT count(*) FROM dossiers WHERE dirty = 1"), 0);
}

/* ------------------------------------------------------------ caches */

static const char *kind_of(const char *id)
{
	char sql[200];

	snprintf(sql, sizeof(sql),
		 "SELECT k.name FROM encounters e JOIN kinds k ON k.id = e.kind_id"
		 " WHERE e.encounter_id = '%s'",
		 id);
	return raw_text(sql);
}

static const char *owner_of(const char *id)
{
	char sql[200];

	snprintf(sql, sizeof(sql),
		 "SELECT p.ipp FROM encounters e JOIN patients p"
		 " ON p.id = e.patient_id WHERE e.encounter_id = '%s'",
		 id);
	return raw_text(sql);
}

Test(store_import, kind_created_in_a_rolled_back_transaction_is_forgotten)
{
	begin();
	patient("A", "1950-01-01");
	commit();

	begin();
	cr_assert_eq(enc("E1", "A", "stay", "2000-01-01", NULL), 1); /* kind 1 */
	cr_assert_eq(store_rollback(st), 0);
	cr_assert_eq(raw_int("SELECT count(*) FROM kinds"), 0);

	/* Kind id 1 now goes to another name: "stay" must not reuse it. */
	begin();
	cr_assert_eq(enc("E0", "A", "emergency", "2000-01-01", NULL), 1);
	cr_assert_eq(enc("E1", "A", "stay", "2000-01-01", NULL), 1);
	commit();
	cr_assert_str_eq(kind_of("E0"), "emergency");
	cr_assert_str_eq(kind_of("E1"), "stay");
}

Test(store_import, patient_created_in_a_rolled_back_transaction_is_forgotten)
{
	begin();
	patient("A", "1950-01-01");
	commit();

	begin();
	patient("NEW", "1980-01-01");
	cr_assert_eq(enc("E1", "NEW", "stay", "2000-01-01", NULL), 1);
	cr_assert_eq(store_rollback(st), 0);

	/* NEW's id goes to OTHER, then NEW gets the next one. */
	begin();
	patient("OTHER", "1990-01-01");
	patient("NEW", "1980-01-01");
	cr_assert_eq(enc("E1", "NEW", "stay", "2000-01-01", NULL), 1);
	commit();
	cr_assert_str_eq(owner_of("E1"), "NEW");
}

Test(store_import, rolled_back_rows_leave_an_unknown_ipp_unknown)
{
	begin();
	patient("NEW", "1980-01-01");
	cr_assert_eq(enc("E1", "NEW", "stay", "2000-01-01", NULL), 1);
	cr_assert_eq(store_rollback(st), 0);
	begin();
	cr_assert_eq(enc("E1", "NEW", "stay", "2000-01-01", NULL), -ENOENT);
	cr_assert_eq(store_rollback(st), 0);
}

/* ------------------------------------------------------------ migration */

Test(store_import, migration_from_v4_keeps_data_and_totals)
{
	char old[sizeof(path)], sql[2048];
	sqlite3 *db;
	char *err = NULL;

	store_close(st);
	st = NULL;
	snprintf(old, sizeof(old), "%s/v4.db", dir);
	snprintf(path, sizeof(path), "%s", old); /* raw_* look at it now */
	db = raw_open();
	for (int v = 0; v < 4; v++)
		cr_assert_eq(sqlite3_exec(db, store_schema_migration(v), NULL, NULL, &err),
			     SQLITE_OK, "v%d: %s", v + 1, err ? err : "");
	/* Written through the v4 triggers: A and B dirty, C computed. */
	snprintf(sql, sizeof(sql),
		 "PRAGMA user_version = 4;"
		 "INSERT INTO kinds(id, name) VALUES (1, 'stay');"
		 "INSERT INTO patients(id, ipp, birth_date) VALUES"
		 " (1, 'A', %d), (2, 'B', %d), (3, 'C', %d);"
		 "UPDATE dossiers SET status = 1, retain_until = %d,"
		 " basis = 'general_20y', dirty = 0 WHERE patient_id = 3;"
		 "INSERT INTO encounters VALUES ('E1', 1, 1, %d, %d),"
		 " ('E2', 2, 1, %d, NULL);"
		 "INSERT INTO transfusions VALUES ('T1', 2, %d);"
		 "INSERT INTO litigations VALUES ('L1', 1, %d, NULL, 'x');"
		 "UPDATE counts SET n = 2 WHERE name = 'encounters';"
		 "UPDATE counts SET n = 1 WHERE name = 'transfusions';"
		 "INSERT INTO counts VALUES ('litigations', 1)"
		 " ON CONFLICT(name) DO UPDATE SET n = 1;",
		 D("1950-01-01"), D("1960-01-01"), D("1970-01-01"),
		 D("2020-01-01"), D("2000-01-01"), D("2000-01-05"),
		 D("2001-01-01"), D("2001-02-02"), D("2003-01-01"));
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &err), SQLITE_OK, "%s",
		     err ? err : "");
	sqlite3_close(db);
	cr_assert_eq(raw_int("SELECT count(*) FROM sqlite_schema"
			     " WHERE name = 'encounters_ai'"),
		     1);

	cr_assert_eq(store_open(old, &st), 0, "%s", store_errmsg(st));
	cr_assert_eq(raw_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);
	cr_assert_eq(raw_int("SELECT count(*) FROM sqlite_schema WHERE type ="
			     " 'trigger' AND tbl_name IN ('encounters',"
			     " 'transfusions', 'litigations')"),
		     0);
	cr_assert_eq(raw_int("SELECT count(*) FROM encounters"), 2);
	cr_assert_eq(raw_int("SELECT count(*) FROM transfusions"), 1);
	cr_assert_eq(raw_int("SELECT count(*) FROM litigations"), 1);
	cr_assert_eq(raw_int("SELECT count(*) FROM sqlite_schema"
			     " WHERE name = 'encounters_by_patient'"),
		     0, "v8: the table is its own covering index");
	cr_assert_eq(raw_int("SELECT count(*) FROM sqlite_schema"
			     " WHERE name = 'encounters'"
			     " AND sql LIKE '%PRIMARY KEY (patient_id, encounter_id)"
			     "%WITHOUT ROWID'"),
		     1);
	cr_assert_eq(raw_int("SELECT dirty FROM dossiers WHERE patient_id = 1"), 1);
	cr_assert_eq(raw_int("SELECT dirty FROM dossiers WHERE patient_id = 3"), 0);
	cr_assert_eq(raw_int("SELECT retain_until FROM dossiers"
			     " WHERE patient_id = 3"),
		     D("2020-01-01"));
	struct store_counts c;
	cr_assert_eq(store_counts(st, &c), 0);
	cr_assert_eq(c.encounters, 2);
	cr_assert_eq(c.dirty, 2);
	/* v7, v8: encounter_id a unique index, rows as they were. */
	cr_assert_eq(raw_int("SELECT count(*) FROM sqlite_schema"
			     " WHERE name = 'encounters_by_id'"
			     " AND sql LIKE 'CREATE UNIQUE INDEX%'"),
		     1);
	cr_assert_eq(raw_int("SELECT count(*) FROM sqlite_schema"
			     " WHERE tbl_name = 'encounters' AND sql IS NULL"),
		     0, "no primary key index left");
	cr_assert_eq(raw_int("SELECT end_date FROM encounters"
			     " WHERE encounter_id = 'E1' AND patient_id = 1"
			     " AND kind_id = 1 AND start_date = 10957"),
		     D("2000-01-05"));
	cr_assert_eq(raw_int("SELECT count(*) FROM encounters"
			     " WHERE encounter_id = 'E2' AND end_date IS NULL"),
		     1);

	/* And the store now marks what the triggers marked. */
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_recompute_dirty(st, &pol, TODAY, NULL, NULL, NULL), 0);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(dirty_of("C"), 0);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(enc("E1", "C", "stay", "2000-01-01", "2000-01-05"), 1);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(dirty_of("A"), 1);
	cr_assert_eq(dirty_of("C"), 1);
	cr_assert_eq(dirty_of("B"), 0);

	/* v6: the totals the triggers kept carry on, kept by the store. */
	cr_assert_eq(raw_int("SELECT count(*) FROM sqlite_schema WHERE type ="
			     " 'trigger' AND tbl_name IN ('patients', 'dossiers')"),
		     0);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_upsert_patient(st, "D", D("1980-01-01"), DATE_NONE), 1);
	cr_assert_eq(store_upsert_patient(st, "B", D("1960-01-01"),
					  D("2020-02-02")),
		     1);
	cr_assert_eq(store_recompute_dirty(st, &pol, TODAY, NULL, NULL, NULL), 0);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(store_counts(st, &c), 0);
	cr_assert_eq(c.patients, 4);
	cr_assert_eq(c.patients, raw_int("SELECT count(*) FROM patients"));
	cr_assert_eq(c.dirty, 0);
	for (int i = 0; i < 4; i++) {
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM dossiers WHERE status = %d", i);
		cr_assert_eq(c.by_status[i], raw_int(sql), "status %d", i);
	}
}

/* ------------------------------------------------------------ bulk */

/*
 * A population with what a real export holds: rows of a patient together
 * and scattered, an id repeated with other values (the last wins, and one
 * moves to another patient and back), open stays, and patients with no
 * facts. The same calls in the same order, with or without a session.
 */
#define N_PATIENTS 60

static void load_all(bool sessions, uint64_t bulk_after)
{
	char ipp[16], id[16], other[16];

	st->bulk_after = bulk_after;
	begin();
	if (sessions)
		cr_assert_eq(store_import_begin(st, STORE_IMPORT_PATIENTS), 0);
	for (int i = 0; i < N_PATIENTS; i++) {
		snprintf(ipp, sizeof(ipp), "P%03d", i);
		cr_assert_geq(store_upsert_patient(st, ipp,
						   D("1930-01-01") + i * 400,
						   i % 7 == 3 ? D("2010-06-01") + i
							      : DATE_NONE),
			      0);
	}
	/* Repeated IPPs (a first load inserts without a lookup, and the
	 * INSERT finds the repeat): the same values change nothing, others
	 * win, and the patient keeps its id. A session's first load takes
	 * them as new rows (1) and counts the unchanged repeat at its end. */
	cr_assert_eq(store_upsert_patient(st, "P003", D("1930-01-01") + 3 * 400,
					  D("2010-06-01") + 3),
		     sessions, "%s", store_errmsg(st));
	cr_assert_eq(store_upsert_patient(st, "P004", D("1931-01-01"), DATE_NONE),
		     1, "%s", store_errmsg(st));
	if (sessions)
		cr_assert_eq(store_import_end(st), 1, "%s", store_errmsg(st));
	/* Patients first, computed (anomalies: no encounter), so that only
	 * the marks of the facts' loads bring them back. */
	cr_assert_eq(store_recompute_dirty(st, &pol, TODAY, NULL, NULL, NULL), 0);
	commit();
	cr_assert_eq(raw_int("SELECT count(*) FROM dossiers WHERE dirty = 1"), 0);
	cr_assert_eq(raw_int("SELECT count(*) FROM patients"), N_PATIENTS);
	cr_assert_eq(raw_int("SELECT birth_date FROM patients WHERE id ="
			     " (SELECT id FROM patients WHERE ipp = 'P004')"
			     " AND id = 5"),
		     D("1931-01-01"));

	begin();
	if (sessions) {
		cr_assert_eq(store_import_begin(st, STORE_IMPORT_ENCOUNTERS), 0);
		cr_assert_eq(store_import_is_bulk(st), bulk_after == 0);
	}
	for (int i = 0; i < N_PATIENTS * 5; i++) {
		int p = i % 9 == 0 ? (i * 7) % N_PATIENTS : i / 5;

		if (p % 11 == 10)
			continue; /* patients without encounters */
		snprintf(ipp, sizeof(ipp), "P%03d", p);
		snprintf(id, sizeof(id), "E%04d", i);
		rd_date start = D("1995-01-01") + (i * 37) % 9000;
		cr_assert_geq(store_upsert_encounter(st, id, ipp,
						     i % 3 ? "stay" : "consultation",
						     start,
						     i % 13 == 0 ? DATE_NONE : start + i % 20),
			      0, "%s", store_errmsg(st));
	}
	if (sessions) {
		cr_assert_eq(store_import_is_bulk(st), bulk_after < 200);
		cr_assert_eq(raw_int("SELECT count(*) FROM sqlite_schema"
				     " WHERE name = 'encounters_by_id'"),
			     1, "the drop is not committed");
	}
	/* Repeated ids: changed values, a move, a move back, and a repeat
	 * of the same values. Bulk appends each (1) and finds the repeats
	 * when it builds the unique index: its end takes the exact one
	 * back, so that both paths report the same changes. */
	bool bulk = store_import_is_bulk(st);
	cr_assert_eq(enc("E0005", "P001", "stay", "2019-01-01", "2019-01-02"), 1);
	cr_assert_eq(enc("E0006", "P030", "stay", "2001-01-01", NULL), 1);
	cr_assert_eq(enc("E0007", "P031", "stay", "2002-01-01", "2002-01-03"), 1);
	cr_assert_eq(enc("E0007", "P001", "stay", "2002-01-01", "2002-01-03"), 1);
	cr_assert_eq(enc("E0006", "P030", "stay", "2001-01-01", NULL), bulk);
	/* An id longer than a slot of the bulk path's batch is inserted
	 * alone, after the rows waiting (upsert.c): it too keeps its last
	 * row, here a changed one. */
	char long_id[STORE_APPEND_ID + 8];

	memset(long_id, 'X', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	cr_assert_eq(enc(long_id, "P002", "stay", "2003-01-01", "2003-01-02"), 1);
	cr_assert_eq(enc("E0008", "P002", "stay", "2003-02-01", "2003-02-02"), 1);
	cr_assert_eq(enc(long_id, "P002", "stay", "2004-01-01", "2004-01-02"), 1);
	if (sessions) {
		cr_assert_eq(store_import_end(st), bulk, "%s", store_errmsg(st));
		cr_assert_eq(store_import_begin(st, STORE_IMPORT_TRANSFUSIONS), 0);
		cr_assert_eq(store_import_is_bulk(st), bulk_after == 0);
	}
	for (int i = 0; i < N_PATIENTS; i += 4) {
		snprintf(ipp, sizeof(ipp), "P%03d", i);
		snprintf(id, sizeof(id), "T%04d", i);
		cr_assert_eq(store_upsert_transfusion(st, id, ipp,
						      D("2000-01-01") + i * 50),
			     1);
	}
	if (sessions) {
		cr_assert_eq(store_import_end(st), 0);
		cr_assert_eq(store_import_begin(st, STORE_IMPORT_LITIGATIONS), 0);
		cr_assert_eq(store_import_is_bulk(st), bulk_after == 0);
	}
	for (int i = 1; i < N_PATIENTS; i += 6) {
		snprintf(ipp, sizeof(ipp), "P%03d", i);
		snprintf(other, sizeof(other), "P%03d", (i + 1) % N_PATIENTS);
		snprintf(id, sizeof(id), "L%04d", i);
		cr_assert_eq(store_upsert_litigation(st, id, ipp, D("2015-01-01") + i,
						     i % 4 ? D("2016-01-01") : DATE_NONE,
						     NULL),
			     1);
		if (i % 5 == 0) /* moved to another patient within the file */
			cr_assert_eq(store_upsert_litigation(st, id, other,
							     D("2015-01-01") + i,
							     DATE_NONE, "moved"),
				     1);
	}
	if (sessions)
		cr_assert_eq(store_import_end(st), 0);
	cr_assert_eq(store_recompute_dirty(st, &pol, TODAY, NULL, NULL, NULL), 0,
		     "%s", store_errmsg(st));
	commit();
}

/* Everything of the database the import and recompute write, as text. */
static char *dump(const char *db_path)
{
	static const char *const queries[] = {
		"SELECT * FROM patients ORDER BY id",
		"SELECT patient_id, status, retain_until, basis, computed_on,"
		" dirty, proposal_id FROM dossiers ORDER BY patient_id",
		"SELECT * FROM encounters ORDER BY encounter_id",
		"SELECT * FROM transfusions ORDER BY transfusion_id",
		"SELECT * FROM litigations ORDER BY litigation_id",
		"SELECT * FROM kinds ORDER BY id",
		"SELECT * FROM counts ORDER BY name",
		"SELECT name, sql FROM sqlite_schema WHERE type = 'index'"
		" ORDER BY name",
	};
	return raw_dump(db_path, queries, sizeof(queries) / sizeof(queries[0]));
}

/* Load the population with sessions turning bulk after bulk_after rows,
 * and without sessions into another database: the same everything. */
static void same_as_row_by_row(uint64_t bulk_after)
{
	char row_path[sizeof(path)];
	char *bulk, *rows;

	load_all(true, bulk_after);
	bulk = dump(path);
	store_close(st);

	snprintf(row_path, sizeof(row_path), "%s/rows.db", dir);
	cr_assert_eq(store_open(row_path, &st), 0);
	snprintf(path, sizeof(path), "%s", row_path); /* raw_* look at it now */
	load_all(false, bulk_after);
	rows = dump(row_path);

	cr_assert_gt(strlen(bulk), 1000);
	cr_assert_str_eq(bulk, rows);
	sqlite3_free(bulk);
	sqlite3_free(rows);
	cr_assert_eq(raw_int("SELECT count(*) FROM dossiers WHERE dirty = 1"), 0);
	cr_assert_eq(raw_int("SELECT count(*) FROM sqlite_schema"
			     " WHERE name = 'encounters_by_id'"),
		     1);
}

Test(store_import, bulk_path_gives_the_same_dossiers_as_row_by_row)
{
	same_as_row_by_row(0);
}

/* Turning bulk in the middle of the encounters (row 100 of some 270),
 * before the repeated ids move rows again. */
Test(store_import, turning_bulk_midway_gives_the_same_dossiers)
{
	same_as_row_by_row(100);
}

Test(store_import, a_small_first_load_stays_row_by_row)
{
	same_as_row_by_row(1000000);
}

/*
 * A first load of patients drops the dossiers' indexes; the recompute
 * builds them again, whether it streams or, told to, recomputes dossier
 * by dossier (which needs dossiers_dirty, so it builds them first).
 */
static void first_patients_load(int stream)
{
	char ipp[16];

	st->bulk_after = 0;
	st->recompute_stream_dirty = stream;
	begin();
	cr_assert_eq(store_import_begin(st, STORE_IMPORT_PATIENTS), 0);
	cr_assert(store_import_is_bulk(st));
	for (int i = 0; i < 40; i++) {
		snprintf(ipp, sizeof(ipp), "P%03d", i);
		cr_assert_eq(store_upsert_patient(st, ipp, D("1950-01-01") + i,
						  DATE_NONE),
			     1, "%s", store_errmsg(st));
	}
	cr_assert_eq(store_import_end(st), 0);
	cr_assert_eq(store_recompute_dirty(st, &pol, TODAY, NULL, NULL, NULL),
		     0, "%s", store_errmsg(st));
	commit();
	cr_assert_eq(raw_int("SELECT count(*) FROM sqlite_schema WHERE type ="
			     " 'index' AND tbl_name = 'dossiers'"),
		     3);
	cr_assert_eq(raw_int("SELECT count(*) FROM dossiers WHERE dirty = 0"
			     " AND status IS NOT NULL"),
		     40);
	cr_assert_str_eq(raw_text("PRAGMA integrity_check"), "ok");
}

Test(store_import, first_patients_load_streamed_rebuilds_the_dossiers_indexes)
{
	first_patients_load(1);
}

Test(store_import, first_patients_load_paged_rebuilds_the_dossiers_indexes)
{
	first_patients_load(-1);
}

/*
 * New dossiers evaluated as their rows are written (store_evaluate_new)
 * hold exactly what the recompute would write: for every sort of birth
 * and death (the engine's only facts for a new patient), on a first load
 * and on a later import that also changes a patient, against the same
 * loads left dirty (the first turning bulk, the dossiers' indexes
 * dropped, or row by row). The recompute that follows has only the
 * changed ones left to evaluate, and still counts them all. A first
 * load evaluated so keeps the dossiers' indexes (its entries come in
 * order).
 */
static const struct {
	const char *birth, *death;
} lives[] = {
	{"1950-01-01", NULL},
	{NULL, NULL},                 /* birth unknown */
	{"2026-11-22", NULL},         /* born tomorrow */
	{"2026-11-21", NULL},         /* born today */
	{"2000-02-29", NULL},
	{"1998-11-21", NULL},         /* 28 today */
	{"1940-05-05", "2016-11-20"}, /* dead ten years and a day ago */
	{"1940-05-05", "2016-11-21"},
	{"1960-01-01", "1959-12-31"}, /* dead before birth */
	{"1960-01-01", "2026-11-22"}, /* dead tomorrow */
	{NULL, "2010-01-01"},
};

#define N_LIVES (sizeof(lives) / sizeof(lives[0]))

/* The first column of sql on the store's own connection, which sees the
 * open transaction. */
static int64_t own_int(const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v;

	cr_assert_eq(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK,
		     "%s", sqlite3_errmsg(st->db));
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Patients P<first>..P<first+n-1>, their lives taken in turn. */
static void new_patients(int first, int n)
{
	char ipp[16];

	for (int i = first; i < first + n; i++) {
		const char *b = lives[i % N_LIVES].birth;
		const char *d = lives[i % N_LIVES].death;

		snprintf(ipp, sizeof(ipp), "P%03d", i);
		cr_assert_eq(store_upsert_patient(st, ipp, b ? D(b) : DATE_NONE,
						  d ? D(d) : DATE_NONE),
			     1, "%s: %s", ipp, store_errmsg(st));
	}
}

/* Two imports into st's database; whether the new dossiers are
 * evaluated as written. The second also changes a patient's birth. */
static void load_new(bool evaluate, uint64_t bulk_after,
		     struct store_recompute_stats stats[2])
{
	st->bulk_after = bulk_after;
	begin();
	if (evaluate)
		store_evaluate_new(st, &pol, TODAY);
	cr_assert_eq(store_import_begin(st, STORE_IMPORT_PATIENTS), 0);
	new_patients(0, 4 * (int)N_LIVES);
	cr_assert_eq(store_import_is_bulk(st), !evaluate && bulk_after == 0);
	/* An IPP the file gives again, with another birth: evaluated when
	 * created, then dirty, and evaluated (and counted) once more. */
	cr_assert_eq(store_upsert_patient(st, "P001", D("1952-02-02"), DATE_NONE),
		     1);
	cr_assert_eq(store_import_end(st), 0);
	/* The marks as rows hold them (a session holds its own). */
	cr_assert_eq(store_held_write(st), 0);
	cr_assert_eq(own_int("SELECT count(*) FROM dossiers WHERE dirty = 1"),
		     evaluate ? 1 : 4 * (int)N_LIVES);
	cr_assert_eq(store_recompute_dirty(st, &pol, TODAY, NULL, NULL, &stats[0]),
		     0, "%s", store_errmsg(st));
	commit();

	begin();
	if (evaluate)
		store_evaluate_new(st, &pol, TODAY);
	cr_assert_eq(store_import_begin(st, STORE_IMPORT_PATIENTS), 0);
	cr_assert(!store_import_is_bulk(st));
	new_patients(4 * (int)N_LIVES, (int)N_LIVES);
	cr_assert_eq(store_upsert_patient(st, "P000", D("1951-01-01"), DATE_NONE),
		     1);
	cr_assert_eq(store_import_end(st), 0);
	cr_assert_eq(store_held_write(st), 0);
	cr_assert_eq(own_int("SELECT count(*) FROM dossiers WHERE dirty = 1"),
		     evaluate ? 1 : 1 + (int)N_LIVES);
	cr_assert_eq(store_recompute_dirty(st, &pol, TODAY, NULL, NULL, &stats[1]),
		     0, "%s", store_errmsg(st));
	commit();
}

static void evaluated_as_written(uint64_t bulk_after)
{
	struct store_recompute_stats ev[2] = {0}, rc[2] = {0};
	char later_path[sizeof(path)];
	char *a, *b;

	load_new(true, bulk_after, ev);
	a = dump(path);
	store_close(st);

	snprintf(later_path, sizeof(later_path), "%s/later.db", dir);
	cr_assert_eq(store_open(later_path, &st), 0);
	snprintf(path, sizeof(path), "%s", later_path); /* raw_* look at it now */
	load_new(false, bulk_after, rc);
	b = dump(later_path);

	cr_assert_str_eq(a, b);
	sqlite3_free(a);
	sqlite3_free(b);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(ev[i].recomputed, rc[i].recomputed, "import %d", i);
		cr_assert_eq(ev[i].changed, rc[i].changed, "import %d", i);
	}
	cr_assert_eq(rc[0].recomputed, 4 * N_LIVES);
	cr_assert_eq(rc[1].recomputed, N_LIVES + 1);
	/* Today a dossier without facts is the anomaly "no encounter",
	 * whatever the lives; they vary so that the comparison still holds
	 * should the engine ever read them. */
	char sql[128];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM dossiers WHERE status = %d"
		 " AND computed_on = %d AND dirty = 0",
		 ENGINE_ANOMALY, (int)TODAY);
	cr_assert_eq(raw_int(sql), 5 * (int)N_LIVES);
	cr_assert_str_eq(raw_text("PRAGMA integrity_check"), "ok");
}

Test(store_import, new_dossiers_evaluated_as_written_match_the_recompute)
{
	evaluated_as_written(0);
}

Test(store_import, new_dossiers_evaluated_as_written_match_the_recompute_row_by_row)
{
	evaluated_as_written(1000000);
}

/*
 * A first load of patients by batches of STORE_APPEND_BATCH (a session,
 * with or without the evaluation of new dossiers), or row by row (no
 * session), into st's database: 200 rows, so three full batches and a
 * short one, in which come an IPP repeated within its batch with the
 * same values (kept unchanged), one of an earlier batch with other values
 * (which win), the same again (unchanged), and an IPP too long for a
 * batch's slot (written alone, after the rows waiting). Returns what the
 * session's end counted unchanged.
 */
#define N_BATCHED 200
static int load_batched(bool session, bool evaluate)
{
	char ipp[STORE_APPEND_ID + 8];
	int unchanged = 0;

	begin();
	if (evaluate)
		store_evaluate_new(st, &pol, TODAY);
	if (session)
		cr_assert_eq(store_import_begin(st, STORE_IMPORT_PATIENTS), 0);
	for (int i = 0; i < N_BATCHED; i++) {
		const char *id = ipp;
		rd_date birth = D("1930-01-01") + i * 97, death = DATE_NONE;
		int r;

		snprintf(ipp, sizeof(ipp), "B%03d", i);
		if (i == 20) { /* P010 again, in its own batch */
			id = "B010";
			birth = D("1930-01-01") + 10 * 97;
		} else if (i == 70 || i == 71) { /* an earlier batch's, changed */
			id = "B005";
			birth = D("1931-02-03");
			death = D("2001-01-01");
		} else if (i == 130) {
			memset(ipp, 'L', sizeof(ipp) - 1);
			ipp[sizeof(ipp) - 1] = '\0';
		} else if (i % 9 == 4) {
			death = D("2012-01-01") + i;
		}
		r = store_upsert_patient(st, id, birth, death);
		cr_assert_geq(r, 0, "row %d: %s", i, store_errmsg(st));
		/* Row by row a repeat that changes nothing is 0; a batch
		 * takes each row as new and counts it at the end. */
		cr_assert_eq(r, session || (i != 20 && i != 71), "row %d", i);
	}
	if (session)
		unchanged = store_import_end(st);
	cr_assert_geq(unchanged, 0, "%s", store_errmsg(st));
	cr_assert_eq(store_recompute_dirty(st, &pol, TODAY, NULL, NULL, NULL), 0,
		     "%s", store_errmsg(st));
	commit();
	return unchanged;
}

static void batched_as_row_by_row(bool evaluate)
{
	char rows_path[sizeof(path)];
	char *a, *b;

	cr_assert_eq(load_batched(true, evaluate), 2);
	a = dump(path);
	store_close(st);
	snprintf(rows_path, sizeof(rows_path), "%s/rows.db", dir);
	cr_assert_eq(store_open(rows_path, &st), 0);
	snprintf(path, sizeof(path), "%s", rows_path); /* raw_* look at it now */
	cr_assert_eq(load_batched(false, evaluate), 0);
	b = dump(rows_path);
	cr_assert_str_eq(a, b);
	sqlite3_free(a);
	sqlite3_free(b);
	/* Each IPP once, the ids in file order, the changed repeat's values. */
	cr_assert_eq(raw_int("SELECT count(*) FROM patients"), N_BATCHED - 3);
	cr_assert_eq(raw_int("SELECT max(id) FROM patients"), N_BATCHED - 3);
	cr_assert_eq(raw_int("SELECT id FROM patients WHERE ipp = 'B021'"), 21);
	cr_assert_eq(raw_int("SELECT death_date FROM patients WHERE ipp = 'B005'"),
		     D("2001-01-01"));
	cr_assert_eq(raw_int("SELECT n FROM counts WHERE name = 'patients'"),
		     N_BATCHED - 3);
	cr_assert_eq(raw_int("SELECT count(*) FROM dossiers WHERE dirty = 0"
			     " AND status IS NOT NULL"),
		     N_BATCHED - 3);
	cr_assert_str_eq(raw_text("PRAGMA integrity_check"), "ok");
}

Test(store_import, first_patients_by_batches_as_row_by_row_evaluated)
{
	st->bulk_after = 1000000; /* the dossiers' indexes kept */
	batched_as_row_by_row(true);
}

Test(store_import, first_patients_by_batches_as_row_by_row_left_dirty)
{
	st->bulk_after = 1000000;
	batched_as_row_by_row(false);
}

/* n patients P000..., computed and committed; then a transaction with a
 * session of encounters open, bulk from its first row. */
static void patients_then_encounters_session(int n)
{
	char ipp[16];

	begin();
	for (int i = 0; i < n; i++) {
		snprintf(ipp, sizeof(ipp), "P%03d", i);
		patient(ipp, "1950-01-01");
	}
	commit();
	recompute_dirty();
	begin();
	cr_assert_eq(store_import_begin(st, STORE_IMPORT_ENCOUNTERS), 0);
	cr_assert(store_import_is_bulk(st));
}

/*
 * A first load of encounters leaves its marks to the recompute that
 * follows: with at least as many rows as dossiers, the recompute evaluates
 * every dossier and needs none; with fewer, it marks the owners and
 * evaluates those only. Either way the owners get their dates and nothing
 * stays dirty (the same dossiers as row by row: the tests above).
 */
static void first_encounters_load(int rows, size_t evaluated)
{
	struct store_recompute_stats stats = {0};
	char ipp[16], id[16];

	patients_then_encounters_session(20);
	for (int i = 0; i < rows; i++) {
		snprintf(ipp, sizeof(ipp), "P%03d", i % 10); /* half of them */
		snprintf(id, sizeof(id), "E%04d", i);
		cr_assert_eq(enc(id, ipp, "stay", "2001-01-01", "2001-01-02"), 1);
	}
	cr_assert_eq(store_import_end(st), 0);
	cr_assert_eq(store_recompute_dirty(st, &pol, TODAY, NULL, NULL, &stats),
		     0, "%s", store_errmsg(st));
	cr_assert_eq(stats.recomputed, evaluated);
	commit();
	cr_assert_eq(raw_int("SELECT count(*) FROM dossiers WHERE dirty = 1"), 0);
	cr_assert_eq(raw_int("SELECT n FROM counts WHERE name = 'dirty'"), 0);
	char sql[100];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM dossiers WHERE retain_until = %d",
		 (int)D("2021-01-02"));
	cr_assert_eq(raw_int(sql), 10);
	cr_assert_str_eq(raw_text("PRAGMA integrity_check"), "ok");
}

Test(store_import, first_encounters_load_as_many_as_dossiers_evaluates_all)
{
	first_encounters_load(20, 20);
}

Test(store_import, first_encounters_load_fewer_than_dossiers_marks_owners)
{
	first_encounters_load(19, 10);
}

/* Whether name exists in the schema table of schema ("main" or "temp"),
 * as the store's own connection sees it (inside its transaction). */
static bool in_schema(const char *schema, const char *name)
{
	char sql[96];
	sqlite3_stmt *s = NULL;
	bool found;

	snprintf(sql, sizeof(sql), "SELECT 1 FROM %s.sqlite_schema WHERE name = ?1",
		 schema);
	cr_assert_eq(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

/*
 * A first load of encounters appends to the table, clustered by patient,
 * while the rows come in patient order, and sets the others aside in a
 * temporary table, merged in order at the end: here every row but the
 * first comes before the previous one. The commit has every row, the
 * unique index of encounter_id, and no temporary table.
 */
Test(store_import, encounters_out_of_patient_order_are_set_aside_and_merged)
{
	char ipp[16], id[16];

	patients_then_encounters_session(100);
	for (int i = 0; i < 100; i++) {
		cr_assert_eq(in_schema("temp", "encounters_late"), i >= 2, "%d", i);
		cr_assert_not(in_schema("main", "encounters_by_id"));
		snprintf(ipp, sizeof(ipp), "P%03d", 99 - i);
		snprintf(id, sizeof(id), "E%04d", i);
		cr_assert_eq(enc(id, ipp, "stay", "2001-01-01", NULL), 1,
			     "%s", store_errmsg(st));
	}
	cr_assert_eq(store_import_end(st), 0);
	cr_assert_not(in_schema("temp", "encounters_late"));
	cr_assert(in_schema("main", "encounters_by_id"));
	cr_assert_eq(store_recompute_dirty(st, &pol, TODAY, NULL, NULL, NULL),
		     0, "%s", store_errmsg(st));
	commit();
	cr_assert_str_eq(raw_text("PRAGMA integrity_check"), "ok");
	cr_assert_eq(raw_int("SELECT count(*) FROM encounters e JOIN patients p"
			     " ON p.id = e.patient_id WHERE p.ipp ="
			     " printf('P%03d', 99 - substr(e.encounter_id, 2))"),
		     100);
	cr_assert_eq(raw_int("SELECT n FROM counts WHERE name = 'encounters'"),
		     100);
	cr_assert_eq(raw_int("SELECT count(*) FROM dossiers WHERE dirty = 1"), 0);
}

/*
 * An id given to two patients in a first load: the row that came last in
 * the file wins, as row by row, whether each came in patient order (into
 * the table) or not (set aside). X: set aside after a row in the table of
 * a higher patient; W: in the table after a row set aside of a lower
 * patient; V: the highest patient again once a row was set aside, which
 * must be set aside too, or it would seem to come before the row set
 * aside before it.
 */
Test(store_import, an_id_given_to_two_patients_keeps_the_row_that_came_last)
{
	static const struct {
		const char *id, *ipp;
	} file[] = {
		{"X", "P005"}, {"Y", "P002"}, {"X", "P007"}, {"X", "P003"},
		{"W", "P001"}, {"W", "P008"}, {"V", "P004"}, {"V", "P008"},
		{"V", "P008"}, /* the same again: unchanged */
	};

	for (int pass = 0; pass < 2; pass++) {
		/* raw_* look at the fixture's path */
		snprintf(path, sizeof(path), "%s/two%d.db", dir, pass);
		store_close(st);
		cr_assert_eq(store_open(path, &st), 0);
		st->bulk_after = 0;
		patients_then_encounters_session(10);
		if (pass == 1) { /* row by row, for reference */
			cr_assert_eq(store_import_end(st), 0);
			cr_assert_not(store_import_is_bulk(st));
		}
		int changed = 0;

		for (size_t i = 0; i < sizeof(file) / sizeof(file[0]); i++) {
			int r = enc(file[i].id, file[i].ipp, "stay",
				    "2001-01-01", NULL);

			cr_assert_geq(r, 0, "%s", store_errmsg(st));
			changed += r;
		}
		if (pass == 0)
			changed -= store_import_end(st);
		cr_assert_eq(changed, 8, "pass %d", pass);
		commit();
		cr_assert_str_eq(owner_of("X"), "P003", "pass %d", pass);
		cr_assert_str_eq(owner_of("Y"), "P002", "pass %d", pass);
		cr_assert_str_eq(owner_of("W"), "P008", "pass %d", pass);
		cr_assert_str_eq(owner_of("V"), "P008", "pass %d", pass);
		cr_assert_eq(raw_int("SELECT count(*) FROM encounters"), 4);
		cr_assert_eq(raw_int("SELECT n FROM counts"
				     " WHERE name = 'encounters'"),
			     4);
		cr_assert_str_eq(raw_text("PRAGMA integrity_check"), "ok");
	}
}

/* A session turning bulk midway: the rows written before the turn, one
 * per id, came before every row after it, even of a lower patient. */
Test(store_import, a_row_after_the_turn_comes_after_those_before_it)
{
	begin();
	patient("P001", "1950-01-01");
	patient("P009", "1950-01-01");
	commit();
	recompute_dirty();
	st->bulk_after = 2;
	begin();
	cr_assert_eq(store_import_begin(st, STORE_IMPORT_ENCOUNTERS), 0);
	cr_assert_eq(enc("U", "P009", "stay", "2001-01-01", NULL), 1);
	cr_assert_not(store_import_is_bulk(st));
	cr_assert_eq(enc("U", "P001", "stay", "2001-01-01", NULL), 1);
	cr_assert(store_import_is_bulk(st));
	cr_assert_eq(store_import_end(st), 0, "%s", store_errmsg(st));
	commit();
	cr_assert_str_eq(owner_of("U"), "P001");
	cr_assert_eq(raw_int("SELECT count(*) FROM encounters"), 1);
	cr_assert_eq(raw_int("SELECT n FROM counts WHERE name = 'encounters'"), 1);
	cr_assert_eq(dirty_of("P001"), 1);
	cr_assert_eq(dirty_of("P009"), 1);
}

/* A pending mark is not lost when another session follows in the same
 * transaction (the tests' load_all does so too). */
Test(store_import, a_pending_mark_survives_the_next_session)
{
	begin();
	patient("A", "1950-01-01");
	patient("B", "1950-01-01");
	commit();
	recompute_dirty();
	begin();
	cr_assert_eq(store_import_begin(st, STORE_IMPORT_ENCOUNTERS), 0);
	cr_assert_eq(enc("E1", "A", "stay", "2000-01-01", NULL), 1);
	cr_assert_eq(store_import_end(st), 0);
	cr_assert_eq(store_import_begin(st, STORE_IMPORT_TRANSFUSIONS), 0);
	cr_assert_eq(store_upsert_transfusion(st, "T1", "B", D("2001-01-01")), 1);
	cr_assert_eq(store_import_end(st), 0);
	commit();
	cr_assert_eq(dirty_of("A"), 1);
	cr_assert_eq(dirty_of("B"), 1);
}

Test(store_import, a_second_load_is_not_bulk)
{
	base();
	begin();
	cr_assert_eq(store_import_begin(st, STORE_IMPORT_ENCOUNTERS), 0);
	cr_assert_not(store_import_is_bulk(st));
	cr_assert_eq(store_import_end(st), 0);
	/* Outside a transaction: no session at all. */
	commit();
	cr_assert_eq(store_import_begin(st, STORE_IMPORT_TRANSFUSIONS), 0);
	cr_assert_not(store_import_is_bulk(st));
}

Test(store_import, bulk_failure_rolls_everything_back)
{
	struct store_counts c;

	begin();
	patient("A", "1950-01-01");
	patient("B", "1960-01-01");
	commit();
	recompute_dirty();

	begin();
	cr_assert_eq(store_import_begin(st, STORE_IMPORT_ENCOUNTERS), 0);
	cr_assert(store_import_is_bulk(st));
	cr_assert_eq(enc("E1", "A", "stay", "2000-01-01", NULL), 1);
	cr_assert_eq(enc("E2", "B", "stay", "2000-01-01", NULL), 1);
	/* The last row fails: the caller rolls back. */
	cr_assert_eq(enc("E3", "NOBODY", "stay", "2000-01-01", NULL), -ENOENT);
	cr_assert_eq(store_rollback(st), 0);

	cr_assert_not(store_import_is_bulk(st));
	cr_assert_eq(raw_int("SELECT count(*) FROM encounters"), 0);
	cr_assert_eq(raw_int("SELECT count(*) FROM kinds"), 0);
	cr_assert_eq(raw_int("SELECT count(*) FROM sqlite_schema"
			     " WHERE name = 'encounters_by_id'"),
		     1);
	cr_assert_eq(raw_int("SELECT count(*) FROM dossiers WHERE dirty = 1"), 0);
	cr_assert_eq(store_counts(st, &c), 0);
	cr_assert_eq(c.encounters, 0);
	cr_assert_eq(c.dirty, 0);

	/* A later import works, in bulk again. */
	begin();
	cr_assert_eq(store_import_begin(st, STORE_IMPORT_ENCOUNTERS), 0);
	cr_assert(store_import_is_bulk(st));
	cr_assert_eq(enc("E1", "A", "stay", "2000-01-01", NULL), 1);
	cr_assert_eq(store_import_end(st), 0);
	commit();
	cr_assert_eq(raw_int("SELECT count(*) FROM encounters"), 1);
	cr_assert_eq(dirty_of("A"), 1);
	cr_assert_eq(dirty_of("B"), 0);
	cr_assert_eq(raw_int("SELECT n FROM counts WHERE name = 'dirty'"), 1);
	cr_assert_eq(raw_int("SELECT count(*) FROM sqlite_schema"
			     " WHERE name = 'encounters_by_id'"),
		     1);
}

/* A rollback takes the table of rows set aside with it: the next first
 * load sets rows aside again, in a table of its own. */
Test(store_import, a_rollback_drops_the_rows_set_aside)
{
	begin();
	patient("A", "1950-01-01");
	patient("B", "1960-01-01");
	commit();
	recompute_dirty();
	for (int i = 0; i < 2; i++) {
		begin();
		cr_assert_eq(store_import_begin(st, STORE_IMPORT_ENCOUNTERS), 0);
		cr_assert(store_import_is_bulk(st));
		cr_assert_eq(enc("E1", "B", "stay", "2000-01-01", NULL), 1);
		cr_assert_eq(enc("E2", "A", "stay", "2000-01-01", NULL), 1,
			     "%s", store_errmsg(st));
		cr_assert(in_schema("temp", "encounters_late"));
		if (i == 0) {
			cr_assert_eq(store_rollback(st), 0);
			cr_assert_not(in_schema("temp", "encounters_late"));
		}
	}
	cr_assert_eq(store_import_end(st), 0, "%s", store_errmsg(st));
	commit();
	cr_assert_str_eq(owner_of("E1"), "B");
	cr_assert_str_eq(owner_of("E2"), "A");
	cr_assert_eq(raw_int("SELECT n FROM counts WHERE name = 'encounters'"), 2);
}

Test(store_import, commit_ends_an_open_bulk_session)
{
	begin();
	patient("A", "1950-01-01");
	cr_assert_eq(store_import_begin(st, STORE_IMPORT_ENCOUNTERS), 0);
	cr_assert(store_import_is_bulk(st));
	cr_assert_eq(enc("E1", "A", "stay", "2000-01-01", NULL), 1);
	commit(); /* no store_import_end */
	cr_assert_eq(raw_int("SELECT count(*) FROM sqlite_schema"
			     " WHERE name = 'encounters_by_id'"),
		     1);
	cr_assert_eq(dirty_of("A"), 1);
}
