/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The running totals of store_counts() against the rows they count. `status`
 * and the nightly report read these totals instead of counting millions of
 * rows, so a total that drifts once stays wrong for ever. A safety net for
 * any change to how they are kept (triggers, deltas added at commit, ...):
 * it writes through the public API only, as the daemon does, and counts
 * with COUNT(*) on a read-only connection of its own, after every commit or
 * rollback of one long scenario. The only internals touched are the knobs
 * that choose a path (bulk threshold, two threads, streamed recompute).
 */
#include "config.h"

#include "store_fixture.h"

#include <errno.h>
#include <stdlib.h>

#include "engine/workflow.h"
#include "store/store_internal.h"

#define TODAY D("2026-11-21")
#define LATER D("2060-01-01")
#define NOW 1700000000
/* P00..P12 have encounters, old for even numbers (eligible), recent for odd
 * ones (retained); P13 has none (an anomaly). */
#define N_PATIENTS 14

static void setup(void)
{
	store_fixture_setup("test-store-counts");
}

TestSuite(store_counts, .init = setup, .fini = store_fixture_teardown);

/* ------------------------------------------------------------ the check */

static const char *stage; /* what was just done, named by every failure */
static bool status_seen[4], state_seen[STORE_N_STATES];

/* A total as the writer and a fresh reader (what `status` reads) see it,
 * and the number of rows it counts. */
static void same(const char *total, int64_t writer, int64_t reader, int64_t rows)
{
	cr_assert(writer == rows && reader == rows,
		  "%s: total %s is %lld (%lld read by another connection), the rows"
		  " count %lld", stage, total, (long long)writer, (long long)reader,
		  (long long)rows);
}

static int64_t count_rows(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t n;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s", sql);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "%s", sql);
	n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* Every total of store_counts() against COUNT(*) on a read-only connection
 * of our own. Called between transactions: the writer's totals include its
 * own uncommitted rows, which no other connection sees. */
static void assert_counts_exact(struct store *s)
{
	struct store_counts w, r;
	struct store *reader = NULL;
	sqlite3 *db = NULL;
	char sql[128], name[40];

	cr_assert_eq(store_counts(s, &w), 0, "%s: %s", stage, store_errmsg(s));
	cr_assert_eq(store_open_readonly(path, &reader), 0, "%s", stage);
	cr_assert_eq(store_counts(reader, &r), 0, "%s: %s", stage, store_errmsg(reader));
	store_close(reader);
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
#define SAME(f, rows) same(#f, w.f, r.f, count_rows(db, "SELECT count(*) FROM " rows))
	SAME(patients, "patients");
	SAME(encounters, "encounters");
	SAME(transfusions, "transfusions");
	SAME(litigations, "litigations");
	SAME(batches, "batches");
	SAME(dirty, "dossiers WHERE dirty = 1");
#undef SAME
	/* A dossier never computed has status NULL: in none of the four. */
	for (int i = 0; i < 4; i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM dossiers WHERE status = %d", i);
		snprintf(name, sizeof(name), "by_status[%s]",
			 engine_status_name((enum engine_status)i));
		same(name, w.by_status[i], r.by_status[i], count_rows(db, sql));
		status_seen[i] |= w.by_status[i] > 0;
	}
	for (int i = 0; i < STORE_N_STATES; i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM proposals WHERE state = '%s'",
			 store_proposal_states[i]);
		snprintf(name, sizeof(name), "proposals[%s]", store_proposal_states[i]);
		same(name, w.proposals[i], r.proposals[i], count_rows(db, sql));
		state_seen[i] |= w.proposals[i] > 0;
	}
	sqlite3_close(db);
}

#define CHECK(what) (stage = (what), assert_counts_exact(st))

/* ------------------------------------------------------------ helpers */

static void begin(void)
{
	cr_assert_eq(store_begin(st), 0, "%s: %s", stage, store_errmsg(st));
}

/* Commit, then check every total. */
static void done(const char *what)
{
	cr_assert_eq(store_commit(st), 0, "%s: %s", what, store_errmsg(st));
	CHECK(what);
}

static void session(enum store_import_kind kind)
{
	cr_assert_eq(store_import_begin(st, kind), 0, "%s: %s", stage, store_errmsg(st));
}

static const char *ipp_of(int i)
{
	static char buf[16];

	snprintf(buf, sizeof(buf), "P%02d", i);
	return buf;
}

/* A stay; expect is the upsert's result (1 written, 0 unchanged). */
static void stay(const char *id, const char *ipp, const char *start,
		 const char *end, int expect)
{
	cr_assert_eq(store_upsert_encounter(st, id, ipp, "stay", D(start), D(end)),
		     expect, "%s: encounter %s: %s", stage, id, store_errmsg(st));
}

static void recompute(bool all, rd_date today, const char *what)
{
	begin();
	cr_assert_eq(all ? store_recompute_all(st, &pol, today, NULL, NULL, NULL)
			 : store_recompute_dirty(st, &pol, today, NULL, NULL, NULL),
		     0, "%s: %s", what, store_errmsg(st));
	done(what);
}

/* What the daemon's scan does (jobs_work.c): the dirty and due recomputes,
 * then proposals. Returns the new batch, or 0. */
static int64_t scan(const char *what)
{
	int64_t batch = -1;
	size_t n;

	begin();
	cr_assert_eq(store_recompute_dirty(st, &pol, TODAY, NULL, NULL, NULL), 0);
	cr_assert_eq(store_recompute_due(st, &pol, TODAY, NULL, NULL, NULL), 0);
	cr_assert_eq(store_propose(st, TODAY, NOW, &batch, &n), 0, "%s: %s", what,
		     store_errmsg(st));
	done(what);
	return batch;
}

/* The id of the open proposal of ipp (a string literal). */
#define PROPOSAL_OF(ipp) \
	raw_int("SELECT id FROM proposals WHERE ipp = '" ipp "' AND state <> 'withdrawn'")

/*
 * One action over a whole batch in one transaction, as the daemon's batch
 * commands do (workflow_handlers.c): lines already final are skipped, the
 * visa keeps the proposal `keep` (0: none). A public establishment.
 */
static void batch_step(int64_t batch, enum wf_action a, const char *ref, int64_t keep,
		       const char *what)
{
	int64_t *ids = NULL;
	size_t n = 0;

	begin();
	cr_assert_eq(store_batch_proposals(st, batch, &ids, &n), 0);
	for (size_t i = 0; i < n; i++) {
		struct wf_request r = {.action = ids[i] == keep ? WF_ACT_VISA_KEEP : a,
				       .opinion = WF_OPINION_FAVORABLE,
				       .reference = ref,
				       .is_public = true};
		struct store_step s;

		cr_assert_eq(store_proposal_step(st, &pol, TODAY, ids[i], &r, NULL, &s), 0,
			     "%s: %s", what, store_errmsg(st));
		cr_assert(s.rc == 0 || (s.rc == -EPERM && wf_state_is_final(s.from)),
			  "%s: proposal %lld: %s", what, (long long)ids[i], s.why);
	}
	if (a == WF_ACT_VISA_ELIMINATE)
		cr_assert_eq(store_batch_set_visa(st, batch, ref), 0);
	if (a == WF_ACT_DESTROY)
		cr_assert_eq(store_batch_set_certificate(st, batch, ref), 0);
	free(ids);
	done(what);
}

/* ------------------------------------------------------------ scenario */

/* 1. A first patients file (new dossiers: dirty, no status yet), computed,
 * then the same file again with a birth and a death date changed. */
static void import_patients(void)
{
	for (int pass = 0; pass < 2; pass++) {
		begin();
		session(STORE_IMPORT_PATIENTS);
		for (int i = 0; i < N_PATIENTS; i++) {
			rd_date birth = D("1940-01-01") + 400 * i + (pass && i == 1 ? 33 : 0);
			rd_date death = pass && i == 2 ? D("2010-05-05") : DATE_NONE;

			cr_assert_eq(store_upsert_patient(st, ipp_of(i), birth, death),
				     pass ? i == 1 || i == 2 : 1, "%s", ipp_of(i));
		}
		cr_assert_eq(store_import_end(st), 0);
		done(pass ? "patients re-imported, two changed" : "patients imported");
		if (!pass) /* anomalies: no encounter yet */
			recompute(false, TODAY, "patients computed");
	}
}

/* 2. The facts: a first encounters load that turns bulk, a second one row
 * by row with a row moved to another patient, transfusions, litigations
 * by import and from the command line (which recomputes at once). */
static void import_facts(void)
{
	char id[16];

	st->bulk_after = 10; /* 26 rows: bulk from the tenth */
	begin();
	session(STORE_IMPORT_ENCOUNTERS);
	for (int i = 0; i < N_PATIENTS - 1; i++) {
		snprintf(id, sizeof(id), "E%02da", i);
		stay(id, ipp_of(i), i % 2 ? "2015-06-01" : "1995-03-01",
		     i % 2 ? "2015-06-05" : "1995-03-10", 1);
		snprintf(id, sizeof(id), "E%02db", i);
		stay(id, ipp_of(i), i % 2 ? "2016-01-01" : "1996-01-01",
		     i % 2 ? "2016-01-03" : "1996-01-03", 1);
	}
	cr_assert(store_import_is_bulk(st), "the first load takes the bulk path");
	done("encounters, bulk load"); /* the commit ends the session */

	begin();
	session(STORE_IMPORT_ENCOUNTERS);
	cr_assert_not(store_import_is_bulk(st));
	stay("E03a", "P05", "2015-06-01", "2015-06-05", 1); /* moved from P03 */
	stay("E05b", "P05", "2016-01-01", "2016-01-02", 1); /* changed */
	stay("E01a", "P01", "2015-06-01", "2015-06-05", 0); /* the same */
	stay("E04c", "P04", "1997-01-01", "1997-01-02", 1); /* new */
	cr_assert_eq(store_import_end(st), 0);
	done("encounters, row by row with a move");

	begin();
	session(STORE_IMPORT_TRANSFUSIONS);
	cr_assert_eq(store_upsert_transfusion(st, "T00", "P00", D("1990-01-02")), 1);
	cr_assert_eq(store_upsert_transfusion(st, "T03", "P03", D("2016-01-01")), 1);
	session(STORE_IMPORT_LITIGATIONS);
	cr_assert_eq(store_upsert_litigation(st, "L02", "P02", D("1996-01-01"),
					     D("1996-06-01"), NULL), 1);
	cr_assert_eq(store_upsert_litigation(st, "L07", "P07", D("2024-01-01"),
					     DATE_NONE, "TJ-7"), 1); /* open: held */
	cr_assert_eq(store_import_end(st), 0);
	done("transfusions and litigations imported");

	begin();
	cr_assert_eq(store_litigation_open(st, &pol, TODAY, "L09", "P09",
					   D("2025-01-01"), "TJ-9"), 0);
	done("litigation opened from the command line");
}

/* 3. Every recompute: dirty (the path the store picks, then streamed),
 * full on one thread at a later day (retained dossiers turn eligible),
 * full on two threads back at today (which needs a transaction that has
 * written nothing yet). */
static void recompute_paths(void)
{
	unsigned splits;

	recompute(false, TODAY, "dirty recompute");
	begin();
	cr_assert_eq(store_mark_all_dirty(st), 0);
	done("every dossier marked dirty");
	st->recompute_stream_dirty = 1;
	recompute(false, TODAY, "dirty recompute, streamed");
	st->recompute_split = -1;
	recompute(true, LATER, "full recompute, one thread, in 2060");
	splits = st->recompute_splits;
	st->recompute_split = 1;
	recompute(true, TODAY, "full recompute, two threads, back to today");
	cr_assert_eq(st->recompute_splits, splits + 1, "took two threads");
	st->recompute_split = st->recompute_stream_dirty = 0;
}

/* 4. Files refused halfway: everything rolled back, every total as it
 * was. Meanwhile the writer counts its own rows, as any read on a
 * connection sees its own writes. */
static void rolled_back(void)
{
	struct store_counts before, during, after;

	cr_assert_eq(store_counts(st, &before), 0);
	begin();
	session(STORE_IMPORT_PATIENTS);
	cr_assert_eq(store_upsert_patient(st, "GHOST", D("1980-01-01"), DATE_NONE), 1);
	cr_assert_eq(store_upsert_patient(st, "P05", D("1942-02-05"), DATE_NONE), 1);
	session(STORE_IMPORT_ENCOUNTERS);
	stay("EG1", "GHOST", "2001-01-01", "2001-01-02", 1);
	stay("EG2", "GHOST", "2002-01-01", "2002-01-02", 1);
	stay("E06a", "GHOST", "2002-01-01", "2002-01-02", 1); /* moved */
	cr_assert_eq(store_upsert_transfusion(st, "TG", "GHOST", D("2001-01-01")), 1);
	cr_assert_eq(store_upsert_litigation(st, "LG", "P05", D("2020-01-01"),
					     DATE_NONE, NULL), 1);
	cr_assert_eq(store_mark_all_dirty(st), 0);
	cr_assert_eq(store_counts(st, &during), 0);
	cr_assert(during.patients == before.patients + 1 &&
		  during.encounters == before.encounters + 2 &&
		  during.transfusions == before.transfusions + 1 &&
		  during.litigations == before.litigations + 1 &&
		  during.dirty == during.patients, "the writer sees its own rows");
	cr_assert_eq(store_rollback(st), 0);
	CHECK("rolled back");
	cr_assert_eq(store_counts(st, &after), 0);
	cr_assert(memcmp(&before, &after, sizeof(before)) == 0,
		  "a rollback leaves every total as it was");
}

/* 5. The workflow: a scan opens a batch; proposals withdrawn by a hold and
 * by the scan after a new encounter; a release and a closed litigation; a
 * refusal; the batch reviewed, approved, visaed (one line kept) and
 * destroyed, which deletes dossiers, patients and every kind of fact. */
static void workflow(void)
{
	const struct wf_request refuse = {.action = WF_ACT_REFUSE, .reason = "research"};
	const int64_t first = scan("scan: first batch");
	struct store_step s;

	cr_assert_gt(first, 0);
	begin();
	cr_assert_eq(store_hold(st, &pol, TODAY, "P04", "inquiry"), 0);
	done("P04 held, its proposal withdrawn");
	begin();
	stay("E06c", "P06", "2020-02-02", "2020-02-03", 1);
	done("a new encounter for P06");
	cr_assert_eq(scan("scan: P06 retained again, its proposal withdrawn"), 0);

	begin();
	cr_assert_eq(store_hold_release(st, &pol, TODAY, "P04"), 0);
	cr_assert_eq(store_litigation_close(st, &pol, TODAY, "L09", D("2025-06-01")), 0);
	done("P04 released, L09 closed");
	cr_assert_gt(scan("scan: second batch, P04 again"), first);

	begin();
	cr_assert_eq(store_proposal_step(st, &pol, TODAY, PROPOSAL_OF("P08"), &refuse,
					 NULL, &s), 0);
	cr_assert_eq(s.rc, 0, "%s", s.why);
	done("P08 refused");
	batch_step(first, WF_ACT_OPINION, NULL, 0, "first batch reviewed");
	batch_step(first, WF_ACT_APPROVE, NULL, 0, "first batch approved");
	batch_step(first, WF_ACT_VISA_ELIMINATE, "AD-2026-1", PROPOSAL_OF("P10"),
		   "first batch visaed, P10 kept");
	batch_step(first, WF_ACT_DESTROY, "PV-2026-1", 0, "first batch destroyed");
	cr_assert_eq(raw_int("SELECT count(*) FROM patients"
			     " WHERE ipp IN ('P00', 'P02', 'P12')"), 0, "destroyed");
}

/* 6. A destroyed IPP comes back in a patients file: a new dossier. */
static void reborn(void)
{
	begin();
	session(STORE_IMPORT_PATIENTS);
	cr_assert_eq(store_upsert_patient(st, "P00", D("1940-01-01"), DATE_NONE),
		     STORE_REBORN);
	session(STORE_IMPORT_ENCOUNTERS);
	stay("E00new", "P00", "2024-03-01", "2024-03-02", 1);
	cr_assert_eq(store_import_end(st), 0);
	done("P00 reborn");
	scan("scan after the rebirth");
}

Test(store_counts, totals_equal_the_rows_after_every_write)
{
	CHECK("empty database");
	import_patients();
	import_facts();
	recompute_paths();
	rolled_back();
	workflow();
	reborn();
	/* The scenario reached every total it is meant to test. */
	for (int i = 0; i < 4; i++)
		cr_assert(status_seen[i], "no dossier was ever %s",
			  engine_status_name((enum engine_status)i));
	for (int i = 0; i < STORE_N_STATES; i++)
		cr_assert(state_seen[i], "no proposal was ever %s", store_proposal_states[i]);
}
