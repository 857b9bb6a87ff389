/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the store, each on a throwaway database in its own
 * directory under /tmp. A second sqlite3 handle on the same file checks
 * what the API does not show (schema version, query plans) and sets
 * proposal states the workflow does not produce yet.
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
	store_fixture_setup("test-store");
}

TestSuite(store, .init = setup, .fini = store_fixture_teardown);

/* ------------------------------------------------------------ helpers */

static void patient(const char *ipp, const char *birth, const char *death)
{
	cr_assert_geq(store_upsert_patient(st, ipp, D(birth),
					   death ? D(death) : DATE_NONE),
		      0);
}

static void encounter(const char *id, const char *ipp, const char *kind,
		      const char *start, const char *end)
{
	cr_assert_geq(store_upsert_encounter(st, id, ipp, kind, D(start),
					     end ? D(end) : DATE_NONE),
		      0, "%s: %s", id, store_errmsg(st));
}

/* The worked examples of rules.md, for today 2026-11-21. */
static void populate(void)
{
	cr_assert_eq(store_begin(st), 0);
	/* eligible, 2020-03-15 */
	patient("ADULT", "1950-01-01", NULL);
	encounter("E1", "ADULT", "stay", "2000-03-01", "2000-03-15");
	/* retained until the 28th birthday, 2029-04-30 */
	patient("CHILD", "2001-04-30", NULL);
	encounter("E2", "CHILD", "stay", "2004-05-01", "2004-05-03");
	/* eligible, death + 10 = 2018-02-01 */
	patient("DEAD", "1930-01-01", "2008-02-01");
	encounter("E3", "DEAD", "stay", "2005-01-10", "2005-01-20");
	/* retained, transfusion + 30 = 2030-03-02 */
	patient("BLOOD", "1950-01-01", NULL);
	encounter("E4", "BLOOD", "stay", "2000-03-01", "2000-03-15");
	cr_assert_eq(store_upsert_transfusion(st, "T1", "BLOOD",
					      D("2000-03-02")),
		     1);
	/* anomaly: no encounter */
	patient("EMPTY", "1970-01-01", NULL);
	cr_assert_eq(store_commit(st), 0);
}

static struct store_dossier *load(const char *ipp)
{
	struct store_dossier *d = NULL;

	cr_assert_eq(store_dossier_load(st, &pol, ipp, &d), 0, "%s: %s", ipp,
		     store_errmsg(st));
	return d;
}

static enum engine_status status_of(const char *ipp)
{
	struct store_dossier *d = load(ipp);
	enum engine_status s = d->status;

	cr_assert(d->has_state, "%s never computed", ipp);
	store_dossier_free(d);
	return s;
}

static bool dirty_of(const char *ipp)
{
	struct store_dossier *d = load(ipp);
	bool dirty = d->dirty;

	store_dossier_free(d);
	return dirty;
}

static struct store_recompute_stats recompute_dirty(rd_date today)
{
	struct store_recompute_stats stats = {0};

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_recompute_dirty(st, &pol, today, NULL, NULL, &stats),
		     0, "%s", store_errmsg(st));
	cr_assert_eq(store_commit(st), 0);
	return stats;
}

static void propose(int64_t *batch, size_t *n)
{
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_propose(st, TODAY, 1700000000, batch, n), 0, "%s",
		     store_errmsg(st));
	cr_assert_eq(store_commit(st), 0);
}

/* ------------------------------------------------------------ schema */

Test(store, schema_created_at_current_version)
{
	cr_assert_eq(raw_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);
	cr_assert_str_eq(raw_text("PRAGMA journal_mode"), "wal");
	cr_assert_eq(raw_int("SELECT count(*) FROM sqlite_master"
			     " WHERE name = 'dossiers_by_status'"),
		     1);
}

Test(store, reopen_keeps_data)
{
	struct store *ro = NULL;
	struct store_dossier *d = NULL;
	char *v = NULL;

	populate();
	cr_assert_eq(store_meta_set(st, "last_scan", "2026-11-20"), 0);
	store_close(st);
	st = NULL;
	cr_assert_eq(store_open(path, &st), 0);
	d = load("BLOOD");
	cr_assert_eq(d->facts.n_encounters, 1);
	cr_assert_eq(d->facts.n_transfusions, 1);
	store_dossier_free(d);
	cr_assert_eq(store_meta_get(st, "last_scan", &v), 0);
	cr_assert_str_eq(v, "2026-11-20");
	free(v);

	/* A reader sees the same, and cannot write. */
	cr_assert_eq(store_open_readonly(path, &ro), 0);
	cr_assert_eq(store_dossier_load(ro, &pol, "ADULT", &d), 0);
	cr_assert_str_eq(d->ipp, "ADULT");
	store_dossier_free(d);
	cr_assert_lt(store_upsert_patient(ro, "NEW", D("1990-01-01"),
					  DATE_NONE),
		     0);
	store_close(ro);
}

Test(store, newer_schema_refused)
{
	struct store *other = NULL;
	char sql[64];

	store_close(st);
	st = NULL;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		 STORE_SCHEMA_VERSION + 1);
	raw_exec(sql);
	cr_assert_eq(store_open(path, &other), -EPROTO);
	cr_assert_eq(store_open_readonly(path, &other), -EPROTO);
	cr_assert_null(other);
	/* Left as it was. */
	cr_assert_eq(raw_int("PRAGMA user_version"), STORE_SCHEMA_VERSION + 1);
}

Test(store, readonly_needs_a_migrated_database)
{
	struct store *ro = NULL;
	char other[200];

	snprintf(other, sizeof(other), "%s/none.db", dir);
	cr_assert_lt(store_open_readonly(other, &ro), 0);
	cr_assert_null(ro);
	cr_assert_eq(access(other, F_OK), -1, "read-only open created a file");
}

Test(store, meta_get_missing)
{
	char *v = NULL;

	cr_assert_eq(store_meta_get(st, "nothing", &v), -ENOENT);
	cr_assert_null(v);
	cr_assert_eq(store_meta_set(st, "k", "a"), 0);
	cr_assert_eq(store_meta_set(st, "k", "b"), 0);
	cr_assert_eq(store_meta_get(st, "k", &v), 0);
	cr_assert_str_eq(v, "b");
	free(v);
}

/* ------------------------------------------------------------ upserts */

Test(store, upsert_reports_changes)
{
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_upsert_patient(st, "P", D("1950-01-01"), DATE_NONE), 1);
	cr_assert_eq(store_upsert_patient(st, "P", D("1950-01-01"), DATE_NONE), 0);
	cr_assert_eq(store_upsert_patient(st, "P", D("1950-01-01"),
					  D("2020-01-01")),
		     1);
	cr_assert_eq(store_upsert_patient(st, "P", D("1950-01-01"),
					  D("2020-01-01")),
		     0);

	cr_assert_eq(store_upsert_encounter(st, "E", "P", "stay",
					    D("2000-01-01"), DATE_NONE),
		     1);
	cr_assert_eq(store_upsert_encounter(st, "E", "P", "stay",
					    D("2000-01-01"), DATE_NONE),
		     0);
	cr_assert_eq(store_upsert_encounter(st, "E", "P", "stay",
					    D("2000-01-01"), D("2000-01-05")),
		     1);
	cr_assert_eq(store_upsert_encounter(st, "E", "P", "consultation",
					    D("2000-01-01"), D("2000-01-05")),
		     1);
	cr_assert_eq(store_upsert_encounter(st, "E", "P", "consultation",
					    D("2000-01-01"), D("2000-01-05")),
		     0);

	cr_assert_eq(store_upsert_transfusion(st, "T", "P", D("2000-01-02")), 1);
	cr_assert_eq(store_upsert_transfusion(st, "T", "P", D("2000-01-02")), 0);
	cr_assert_eq(store_upsert_transfusion(st, "T", "P", D("2000-01-03")), 1);

	cr_assert_eq(store_upsert_litigation(st, "L", "P", D("2005-01-01"),
					     DATE_NONE, NULL),
		     1);
	cr_assert_eq(store_upsert_litigation(st, "L", "P", D("2005-01-01"),
					     DATE_NONE, NULL),
		     0);
	cr_assert_eq(store_upsert_litigation(st, "L", "P", D("2005-01-01"),
					     D("2005-12-31"), NULL),
		     1);
	cr_assert_eq(store_upsert_litigation(st, "L", "P", D("2005-01-01"),
					     D("2005-12-31"), "TA-42"),
		     1);
	cr_assert_eq(store_upsert_litigation(st, "L", "P", D("2005-01-01"),
					     D("2005-12-31"), "TA-42"),
		     0);
	cr_assert_eq(store_commit(st), 0);
}

Test(store, upsert_unknown_ipp)
{
	cr_assert_eq(store_upsert_encounter(st, "E", "NOPE", "stay",
					    D("2000-01-01"), DATE_NONE),
		     -ENOENT);
	cr_assert_eq(store_upsert_transfusion(st, "T", "NOPE", D("2000-01-01")),
		     -ENOENT);
	cr_assert_eq(store_upsert_litigation(st, "L", "NOPE", D("2000-01-01"),
					     DATE_NONE, NULL),
		     -ENOENT);
	cr_assert_eq(raw_int("SELECT count(*) FROM encounters"), 0);
}

Test(store, upsert_bad_arguments)
{
	cr_assert_eq(store_upsert_patient(st, "", D("2000-01-01"), DATE_NONE),
		     -EINVAL);
	cr_assert_eq(store_upsert_patient(st, NULL, D("2000-01-01"), DATE_NONE),
		     -EINVAL);
	patient("P", "1950-01-01", NULL);
	cr_assert_eq(store_upsert_encounter(st, "E", "P", "stay", DATE_NONE,
					    DATE_NONE),
		     -EINVAL);
	cr_assert_eq(store_upsert_encounter(st, "E", "P", NULL, D("2000-01-01"),
					    DATE_NONE),
		     -EINVAL);
}

Test(store, moved_encounter_marks_both_dirty)
{
	populate();
	recompute_dirty(TODAY);
	cr_assert_not(dirty_of("ADULT"));
	cr_assert_not(dirty_of("CHILD"));

	/* E1 was ADULT's; it now belongs to CHILD. */
	cr_assert_eq(store_upsert_encounter(st, "E1", "CHILD", "stay",
					    D("2000-03-01"), D("2000-03-15")),
		     1);
	cr_assert(dirty_of("ADULT"));
	cr_assert(dirty_of("CHILD"));
	cr_assert_not(dirty_of("DEAD"));

	struct store_recompute_stats s = recompute_dirty(TODAY);
	cr_assert_eq(s.recomputed, 2);
	/* ADULT lost its only encounter. */
	cr_assert_eq(status_of("ADULT"), ENGINE_ANOMALY);
}

Test(store, unchanged_upsert_leaves_dossier_clean)
{
	populate();
	recompute_dirty(TODAY);
	cr_assert_eq(store_upsert_encounter(st, "E1", "ADULT", "stay",
					    D("2000-03-01"), D("2000-03-15")),
		     0);
	cr_assert_eq(store_upsert_patient(st, "ADULT", D("1950-01-01"),
					  DATE_NONE),
		     0);
	cr_assert_not(dirty_of("ADULT"));
}

Test(store, rollback_leaves_nothing)
{
	struct store_counts c;

	cr_assert_eq(store_begin(st), 0);
	patient("P", "1950-01-01", NULL);
	encounter("E", "P", "stay", "2000-01-01", "2000-01-02");
	cr_assert_eq(store_rollback(st), 0);
	cr_assert_eq(store_counts(st, &c), 0);
	cr_assert_eq(c.patients, 0);
	cr_assert_eq(c.encounters, 0);
	cr_assert_eq(raw_int("SELECT count(*) FROM dossiers"), 0);
	cr_assert_eq(raw_int("SELECT count(*) FROM kinds"), 0);
	/* Rolling back with no transaction is harmless. */
	cr_assert_eq(store_rollback(st), 0);
}

/* ------------------------------------------------------------ compute */

Test(store, recompute_dirty_evaluates_exactly_the_dirty)
{
	struct store_recompute_stats s;
	struct store_dossier *d;

	populate();
	s = recompute_dirty(TODAY);
	cr_assert_eq(s.recomputed, 5);
	cr_assert_eq(s.changed, 5);

	d = load("ADULT");
	cr_assert_eq(d->status, ENGINE_ELIGIBLE);
	cr_assert_eq(d->retain_until, D("2020-03-15"));
	store_dossier_free(d);
	d = load("CHILD");
	cr_assert_eq(d->status, ENGINE_RETAINED);
	cr_assert_eq(d->retain_until, D("2029-04-30"));
	store_dossier_free(d);
	d = load("DEAD");
	cr_assert_eq(d->status, ENGINE_ELIGIBLE);
	cr_assert_eq(d->retain_until, D("2018-02-01"));
	store_dossier_free(d);
	d = load("BLOOD");
	cr_assert_eq(d->status, ENGINE_RETAINED);
	cr_assert_eq(d->retain_until, D("2030-03-02"));
	store_dossier_free(d);
	cr_assert_eq(status_of("EMPTY"), ENGINE_ANOMALY);
	cr_assert_str_eq(raw_text("SELECT basis FROM dossiers d JOIN patients p"
				  " ON p.id = d.patient_id WHERE ipp = 'CHILD'"),
			 "minor_28");

	/* Nothing dirty: nothing evaluated. */
	s = recompute_dirty(TODAY);
	cr_assert_eq(s.recomputed, 0);

	/* One change: one evaluation, which changes nothing for CHILD. */
	encounter("E9", "CHILD", "consultation", "2004-05-02", NULL);
	s = recompute_dirty(TODAY);
	cr_assert_eq(s.recomputed, 1);
	cr_assert_eq(s.changed, 0);
	cr_assert_eq(raw_int("SELECT count(*) FROM dossiers WHERE dirty = 1"), 0);
}

Test(store, stats_accumulate)
{
	struct store_recompute_stats s = {.recomputed = 10, .changed = 7};

	populate();
	cr_assert_eq(store_recompute_dirty(st, &pol, TODAY, NULL, NULL, &s), 0);
	cr_assert_eq(s.recomputed, 15);
	cr_assert_eq(s.changed, 12);
	cr_assert_eq(store_recompute_dirty(st, &pol, TODAY, NULL, NULL, NULL), 0);
}

Test(store, recompute_due_picks_passed_dates)
{
	struct store_recompute_stats s = {0};

	cr_assert_eq(store_begin(st), 0);
	/* Retained until 2026-05-02 seen from 2026-01-01. */
	patient("SOON", "1950-01-01", NULL);
	encounter("S1", "SOON", "consultation", "2006-05-02", NULL);
	/* Retained until 2030 whatever the day. */
	patient("LATER", "1950-01-01", NULL);
	encounter("L1", "LATER", "consultation", "2010-05-02", NULL);
	/* An encounter after 2026-01-01: an anomaly then, fine later. */
	patient("FUTURE", "1950-01-01", NULL);
	encounter("F1", "FUTURE", "consultation", "2026-03-01", NULL);
	cr_assert_eq(store_commit(st), 0);

	recompute_dirty(D("2026-01-01"));
	cr_assert_eq(status_of("SOON"), ENGINE_RETAINED);
	cr_assert_eq(status_of("FUTURE"), ENGINE_ANOMALY);

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_recompute_due(st, &pol, D("2026-05-02"), NULL, NULL,
					 &s),
		     0);
	cr_assert_eq(store_commit(st), 0);
	/* 2026-05-02 is still a day to keep; only the anomaly was due. */
	cr_assert_eq(s.recomputed, 1);
	cr_assert_eq(status_of("SOON"), ENGINE_RETAINED);
	cr_assert_eq(status_of("FUTURE"), ENGINE_RETAINED);

	s = (struct store_recompute_stats){0};
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_recompute_due(st, &pol, TODAY, NULL, NULL, &s), 0);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(s.recomputed, 1);
	cr_assert_eq(s.changed, 1);
	cr_assert_eq(status_of("SOON"), ENGINE_ELIGIBLE);
	cr_assert_eq(status_of("LATER"), ENGINE_RETAINED);
}

/* More than a page of due dossiers, many sharing a date, and of anomalies
 * that the passing days resolve: each is evaluated once. */
Test(store, recompute_due_pages)
{
	struct store_recompute_stats s = {0};
	char ipp[32], id[32];
	rd_date day = D("2006-05-02");

	cr_assert_eq(store_begin(st), 0);
	for (int i = 0; i < 2300; i++) {
		snprintf(ipp, sizeof(ipp), "P%05d", i);
		snprintf(id, sizeof(id), "E%05d", i);
		patient(ipp, "1950-01-01", NULL);
		/* The others: a consultation after 2026-01-01, an anomaly
		 * until that day comes. */
		cr_assert_eq(store_upsert_encounter(st, id, ipp, "consultation",
						    i < 1200 ? day + i % 3
							     : D("2026-06-01") + i % 3,
						    DATE_NONE),
			     1);
	}
	cr_assert_eq(store_commit(st), 0);
	recompute_dirty(D("2026-01-01"));

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_recompute_due(st, &pol, TODAY, NULL, NULL, &s), 0,
		     "%s", store_errmsg(st));
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(s.recomputed, 2300);
	cr_assert_eq(s.changed, 2300);
	cr_assert_eq(raw_int("SELECT count(*) FROM dossiers WHERE status = 1"),
		     1200);
}

static bool count_progress(void *ctx, size_t done)
{
	size_t *calls = ctx;

	cr_assert_eq(done % 1000, 0);
	(*calls)++;
	return true;
}

static bool stop_progress(void *ctx, size_t done)
{
	(void)ctx;
	(void)done;
	return false;
}

static void many_patients(int n)
{
	char ipp[32], id[32];

	cr_assert_eq(store_begin(st), 0);
	for (int i = 0; i < n; i++) {
		snprintf(ipp, sizeof(ipp), "P%05d", i);
		snprintf(id, sizeof(id), "E%05d", i);
		patient(ipp, "1950-01-01", NULL);
		/* Every third without encounter, every fifth with two. */
		if (i % 3)
			encounter(id, ipp, "stay", "2000-03-01", "2000-03-15");
		if (i % 5 == 0) {
			snprintf(id, sizeof(id), "F%05d", i);
			encounter(id, ipp, "consultation", "2010-01-01", NULL);
		}
		if (i % 7 == 0) {
			snprintf(id, sizeof(id), "T%05d", i);
			cr_assert_eq(store_upsert_transfusion(st, id, ipp,
							      D("2000-03-02")),
				     1);
		}
		if (i % 11 == 0) {
			snprintf(id, sizeof(id), "L%05d", i);
			cr_assert_eq(store_upsert_litigation(
					     st, id, ipp, D("2005-01-01"),
					     i % 2 ? DATE_NONE : D("2005-12-31"),
					     NULL),
				     1);
		}
	}
	cr_assert_eq(store_commit(st), 0);
}

Test(store, progress_and_cancel)
{
	struct store_recompute_stats s = {0};
	size_t calls = 0;

	many_patients(2500);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_recompute_dirty(st, &pol, TODAY, stop_progress, NULL,
					   &s),
		     -ECANCELED);
	cr_assert_eq(s.recomputed, 0, "stats of a failed run are not added");
	cr_assert_eq(store_rollback(st), 0);

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_recompute_dirty(st, &pol, TODAY, count_progress,
					   &calls, &s),
		     0);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(s.recomputed, 2500);
	cr_assert_eq(calls, 2);
}

/* A full recompute (merge of sorted streams) agrees with the engine run
 * on each dossier as store_dossier_load returns it. */
Test(store, recompute_all_matches_engine)
{
	struct store_recompute_stats s = {0};
	struct engine_result res;
	char ipp[32];

	many_patients(1500);
	/* A patient inserted after the others, with an older encounter id. */
	patient("ZLAST", "1990-01-01", NULL);
	encounter("A0", "ZLAST", "emergency", "2020-01-01", NULL);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_recompute_all(st, &pol, TODAY, NULL, NULL, &s), 0,
		     "%s", store_errmsg(st));
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(s.recomputed, 1501);
	cr_assert_eq(raw_int("SELECT count(*) FROM dossiers WHERE dirty = 1"), 0);

	for (int i = 0; i <= 1500; i++) {
		struct store_dossier *d;

		if (i < 1500)
			snprintf(ipp, sizeof(ipp), "P%05d", i);
		else
			snprintf(ipp, sizeof(ipp), "ZLAST");
		d = load(ipp);
		engine_evaluate(&pol, &d->facts, TODAY, &res);
		cr_assert_eq(d->status, res.status, "%s", ipp);
		cr_assert_eq(d->retain_until, res.retain_until, "%s", ipp);
		store_dossier_free(d);
	}

	/* Again: nothing changes, nothing is written. */
	s = (struct store_recompute_stats){0};
	cr_assert_eq(store_recompute_all(st, &pol, TODAY, NULL, NULL, &s), 0);
	cr_assert_eq(s.recomputed, 1501);
	cr_assert_eq(s.changed, 0);
}

Test(store, mark_all_dirty)
{
	struct store_counts c;

	populate();
	recompute_dirty(TODAY);
	cr_assert_eq(store_counts(st, &c), 0);
	cr_assert_eq(c.dirty, 0);
	cr_assert_eq(store_mark_all_dirty(st), 0);
	cr_assert_eq(store_counts(st, &c), 0);
	cr_assert_eq(c.dirty, 5);
	cr_assert_eq(recompute_dirty(TODAY).recomputed, 5);
}

/* ------------------------------------------------------------ proposals */

struct collected {
	int n;
	int64_t id[16];
	char ipp[16][16];
	char state[16][16];
	char reason[16][128];
	int64_t batch[16];
};

static int collect(void *ctx, const struct store_proposal *p)
{
	struct collected *c = ctx;

	cr_assert_lt(c->n, 16);
	c->id[c->n] = p->id;
	snprintf(c->ipp[c->n], sizeof(c->ipp[0]), "%s", p->ipp);
	snprintf(c->state[c->n], sizeof(c->state[0]), "%s", p->state);
	snprintf(c->reason[c->n], sizeof(c->reason[0]), "%s",
		 p->reason ? p->reason : "");
	c->batch[c->n] = p->batch;
	c->n++;
	return 0;
}

static int stop_after_one(void *ctx, const struct store_proposal *p)
{
	(void)p;
	++*(int *)ctx;
	return 42;
}

Test(store, propose_twice_opens_no_duplicate)
{
	struct collected c = {0};
	int64_t batch = -1;
	size_t n = 99;
	int calls = 0;

	/* Nothing eligible: no batch. */
	propose(&batch, &n);
	cr_assert_eq(batch, 0);
	cr_assert_eq(n, 0);

	populate();
	recompute_dirty(TODAY);
	propose(&batch, &n);
	cr_assert_gt(batch, 0);
	cr_assert_eq(n, 2); /* ADULT, DEAD */
	cr_assert_eq(raw_int("SELECT size FROM batches"), 2);

	propose(&batch, &n);
	cr_assert_eq(batch, 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(raw_int("SELECT count(*) FROM batches"), 1);

	cr_assert_eq(store_proposals_each(st, NULL, 0, 0, collect, &c), 0);
	cr_assert_eq(c.n, 2);
	cr_assert_str_eq(c.ipp[0], "ADULT");
	cr_assert_str_eq(c.ipp[1], "DEAD");
	cr_assert_str_eq(c.state[0], "proposed");
	cr_assert_lt(c.id[0], c.id[1]);

	c = (struct collected){0};
	cr_assert_eq(store_proposals_each(st, "approved", 0, 0, collect, &c), 0);
	cr_assert_eq(c.n, 0);
	cr_assert_eq(store_proposals_each(st, "bogus", 0, 0, collect, &c), -EINVAL);
	cr_assert_eq(store_proposals_each(st, "proposed", 0, 1, collect, &c), 0);
	cr_assert_eq(c.n, 1);
	cr_assert_eq(store_proposals_each(st, NULL, 0, 0, stop_after_one, &calls),
		     42);
	cr_assert_eq(calls, 1);
}

Test(store, dirty_eligible_waits_for_recompute)
{
	int64_t batch;
	size_t n;

	populate();
	recompute_dirty(TODAY);
	/* A new encounter of ADULT, not yet recomputed. */
	encounter("E10", "ADULT", "consultation", "2020-01-01", NULL);
	propose(&batch, &n);
	cr_assert_eq(n, 1); /* DEAD only */
}

Test(store, withdrawn_when_no_longer_eligible)
{
	struct store_recompute_stats s;
	struct collected c = {0};
	struct store_dossier *d;
	int64_t batch;
	size_t n;

	populate();
	recompute_dirty(TODAY);
	propose(&batch, &n);
	cr_assert_eq(n, 2);
	/* The director approved ADULT's; DEAD's was refused. */
	raw_exec("UPDATE proposals SET state = 'approved' WHERE patient_id ="
		 " (SELECT id FROM patients WHERE ipp = 'ADULT')");
	raw_exec("UPDATE proposals SET state = 'refused' WHERE patient_id ="
		 " (SELECT id FROM patients WHERE ipp = 'DEAD')");

	/* ADULT came back in 2011; DEAD's date changes but stays eligible
	 * anyway, and a refused proposal is not withdrawn. */
	encounter("E20", "ADULT", "consultation", "2011-05-02", NULL);
	encounter("E21", "DEAD", "consultation", "2006-01-01", NULL);
	s = recompute_dirty(TODAY);
	cr_assert_eq(s.recomputed, 2);
	cr_assert_eq(s.withdrawn, 1);

	cr_assert_eq(store_proposals_each(st, NULL, 0, 0, collect, &c), 0);
	cr_assert_eq(c.n, 2);
	cr_assert_str_eq(c.ipp[0], "ADULT");
	cr_assert_str_eq(c.state[0], "withdrawn");
	cr_assert_str_eq(c.reason[0],
			 "no longer eligible: retained until 2031-05-02"
			 " (general_20y)");
	cr_assert_str_eq(c.state[1], "refused");

	d = load("ADULT");
	cr_assert_eq(d->proposal_id, 0);
	store_dossier_free(d);
	d = load("DEAD");
	cr_assert_eq(d->proposal_id, c.id[1]);
	cr_assert_str_eq(d->proposal_state, "refused");
	store_dossier_free(d);

	/* The encounter was a typo: ADULT is eligible again, proposed anew;
	 * DEAD, refused, is not proposed again. */
	cr_assert_eq(store_upsert_encounter(st, "E20", "ADULT", "consultation",
					    D("2001-05-02"), DATE_NONE),
		     1);
	recompute_dirty(TODAY);
	propose(&batch, &n);
	cr_assert_eq(n, 1);
	d = load("ADULT");
	cr_assert_gt(d->proposal_id, c.id[1]);
	cr_assert_str_eq(d->proposal_state, "proposed");
	cr_assert_eq(d->proposal_batch, batch);
	store_dossier_free(d);
}

Test(store, withdrawn_when_held)
{
	struct store_recompute_stats s;
	struct collected c = {0};
	int64_t batch;
	size_t n;

	populate();
	recompute_dirty(TODAY);
	propose(&batch, &n);
	cr_assert_eq(store_upsert_litigation(st, "L1", "ADULT", D("2026-11-01"),
					     DATE_NONE, "TA Paris"),
		     1);
	s = recompute_dirty(TODAY);
	cr_assert_eq(s.withdrawn, 1);
	cr_assert_eq(status_of("ADULT"), ENGINE_HELD);
	cr_assert_eq(store_proposals_each(st, "withdrawn", 0, 0, collect, &c), 0);
	cr_assert_eq(c.n, 1);
	cr_assert(strncmp(c.reason[0], "no longer eligible: held (", 26) == 0,
		  "%s", c.reason[0]);
}

/* ------------------------------------------------------------ reads */

struct months {
	int n;
	int y[24], m[24];
	int64_t count[24];
};

static int month_cb(void *ctx, int year, int month, int64_t count)
{
	struct months *m = ctx;

	cr_assert_lt(m->n, 24);
	m->y[m->n] = year;
	m->m[m->n] = month;
	m->count[m->n] = count;
	m->n++;
	return 0;
}

struct dues {
	int n;
	char ipp[8][16];
	rd_date until[8];
	char basis[8][32];
};

static int due_cb(void *ctx, const char *ipp, rd_date until, const char *basis)
{
	struct dues *d = ctx;

	cr_assert_lt(d->n, 8);
	snprintf(d->ipp[d->n], sizeof(d->ipp[0]), "%s", ipp);
	d->until[d->n] = until;
	snprintf(d->basis[d->n], sizeof(d->basis[0]), "%s", basis ? basis : "");
	d->n++;
	return 0;
}

Test(store, forecast)
{
	struct months m = {0};
	struct dues d = {0};

	cr_assert_eq(store_begin(st), 0);
	/* retain_until 2027-01-31: eligible from February. */
	patient("FEB1", "1950-01-01", NULL);
	encounter("A", "FEB1", "consultation", "2007-01-31", NULL);
	patient("FEB2", "1950-01-01", NULL);
	encounter("B", "FEB2", "consultation", "2007-02-10", NULL);
	/* retain_until 2027-02-28, eligible from 2027-03-01. */
	patient("MAR", "1950-01-01", NULL);
	encounter("C", "MAR", "consultation", "2007-02-28", NULL);
	/* Beyond the window. */
	patient("FAR", "1950-01-01", NULL);
	encounter("E", "FAR", "consultation", "2015-01-01", NULL);
	/* Already eligible: not in the forecast. */
	patient("OLD", "1950-01-01", NULL);
	encounter("F", "OLD", "consultation", "2001-01-01", NULL);
	cr_assert_eq(store_commit(st), 0);
	recompute_dirty(TODAY);

	cr_assert_eq(store_forecast_months(st, TODAY, D("2027-11-21"), month_cb,
					   &m),
		     0);
	cr_assert_eq(m.n, 2);
	cr_assert_eq(m.y[0], 2027);
	cr_assert_eq(m.m[0], 2);
	cr_assert_eq(m.count[0], 2);
	cr_assert_eq(m.m[1], 3);
	cr_assert_eq(m.count[1], 1);

	cr_assert_eq(store_forecast_each(st, TODAY, D("2027-11-21"), 0, due_cb,
					 &d),
		     0);
	cr_assert_eq(d.n, 3);
	cr_assert_str_eq(d.ipp[0], "FEB1");
	cr_assert_eq(d.until[0], D("2027-01-31"));
	cr_assert_str_eq(d.basis[0], "general_20y");
	cr_assert_str_eq(d.ipp[1], "FEB2");
	cr_assert_str_eq(d.ipp[2], "MAR");

	d = (struct dues){0};
	cr_assert_eq(store_forecast_each(st, TODAY, D("2027-11-21"), 1, due_cb,
					 &d),
		     0);
	cr_assert_eq(d.n, 1);
}

Test(store, counts)
{
	struct store_counts c;
	int64_t batch;
	size_t n;

	populate();
	cr_assert_eq(store_counts(st, &c), 0);
	cr_assert_eq(c.patients, 5);
	cr_assert_eq(c.encounters, 4);
	cr_assert_eq(c.transfusions, 1);
	cr_assert_eq(c.litigations, 0);
	cr_assert_eq(c.dirty, 5);
	cr_assert_eq(c.by_status[ENGINE_ELIGIBLE], 0);

	recompute_dirty(TODAY);
	propose(&batch, &n);
	cr_assert_eq(store_counts(st, &c), 0);
	cr_assert_eq(c.dirty, 0);
	cr_assert_eq(c.by_status[ENGINE_RETAINED], 2);
	cr_assert_eq(c.by_status[ENGINE_ELIGIBLE], 2);
	cr_assert_eq(c.by_status[ENGINE_HELD], 0);
	cr_assert_eq(c.by_status[ENGINE_ANOMALY], 1);
	cr_assert_eq(c.proposals[0], 2); /* proposed */
	cr_assert_eq(c.proposals[7], 0); /* withdrawn */
	cr_assert_eq(c.batches, 1);
	cr_assert_str_eq(store_proposal_states[0], "proposed");
	cr_assert_str_eq(store_proposal_states[7], "withdrawn");
}

/* The running totals (schema v4 triggers) against counting the rows. */
static void expect_totals_match(void)
{
	struct store_counts c;
	char sql[160];

	cr_assert_eq(store_counts(st, &c), 0);
	cr_assert_eq(c.patients, raw_int("SELECT count(*) FROM patients"));
	cr_assert_eq(c.encounters, raw_int("SELECT count(*) FROM encounters"));
	cr_assert_eq(c.transfusions, raw_int("SELECT count(*) FROM transfusions"));
	cr_assert_eq(c.litigations, raw_int("SELECT count(*) FROM litigations"));
	cr_assert_eq(c.batches, raw_int("SELECT count(*) FROM batches"));
	cr_assert_eq(c.dirty, raw_int("SELECT count(*) FROM dossiers WHERE dirty = 1"));
	for (int i = 0; i < 4; i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM dossiers WHERE status = %d", i);
		cr_assert_eq(c.by_status[i], raw_int(sql), "status %d", i);
	}
	for (int i = 0; i < STORE_N_STATES; i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM proposals WHERE state = '%s'",
			 store_proposal_states[i]);
		cr_assert_eq(c.proposals[i], raw_int(sql), "state %s", store_proposal_states[i]);
	}
}

Test(store, running_totals_follow_every_change)
{
	int64_t batch;
	size_t n;

	expect_totals_match();
	populate();
	expect_totals_match();
	recompute_dirty(TODAY);
	propose(&batch, &n);
	expect_totals_match();
	/* Workflow states, an encounter moved, a transfusion removed, a new
	 * encounter making an eligible dossier retained (withdrawal). */
	raw_exec("UPDATE proposals SET state = 'reviewed' WHERE id = 1");
	expect_totals_match();
	cr_assert_eq(store_begin(st), 0);
	encounter("E-new", "ADULT", "consultation", "2026-01-01", NULL);
	cr_assert_eq(store_commit(st), 0);
	expect_totals_match();
	recompute_dirty(TODAY);
	expect_totals_match();
	/* Upserts that insert count, those that update do not. */
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_upsert_transfusion(st, "T-new", "ADULT", D("2001-01-01")), 1);
	cr_assert_eq(store_upsert_transfusion(st, "T-new", "ADULT", D("2001-01-02")), 1);
	cr_assert_eq(store_upsert_litigation(st, "L-new", "ADULT", D("2003-01-01"),
					     D("2003-02-01"), NULL), 1);
	encounter("E-new", "CHILD", "consultation", "2026-01-01", NULL); /* moved */
	cr_assert_eq(store_commit(st), 0);
	expect_totals_match();
	/* A rolled-back transaction counts nothing. */
	cr_assert_eq(store_begin(st), 0);
	encounter("E-gone", "ADULT", "consultation", "2025-01-01", NULL);
	cr_assert_eq(store_rollback(st), 0);
	expect_totals_match();
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_mark_all_dirty(st), 0);
	cr_assert_eq(store_commit(st), 0);
	expect_totals_match();
}

Test(store, dossier_load_contents)
{
	struct store_dossier *d = NULL;
	int obstetrics;

	obstetrics = engine_policy_add_kind(&pol, "obstetrics", 30, true);
	cr_assert_geq(obstetrics, 0);
	cr_assert_eq(store_begin(st), 0);
	patient("P1", "1960-06-15", "2020-02-02");
	encounter("E-b", "P1", "consultation", "2001-01-01", NULL);
	encounter("E-a", "P1", "obstetrics", "1990-01-01", "1990-01-05");
	encounter("E-c", "P1", "retired-kind", "2002-01-01", "2002-01-01");
	cr_assert_eq(store_upsert_transfusion(st, "T1", "P1", D("1990-01-02")), 1);
	cr_assert_eq(store_upsert_litigation(st, "L1", "P1", D("2003-01-01"),
					     D("2003-06-30"), "ref"),
		     1);
	cr_assert_eq(store_commit(st), 0);

	cr_assert_eq(store_dossier_load(st, &pol, "NOPE", &d), -ENOENT);
	cr_assert_null(d);

	d = load("P1");
	cr_assert_str_eq(d->ipp, "P1");
	cr_assert_str_eq(d->facts.ipp, "P1");
	cr_assert_eq(d->facts.birth, D("1960-06-15"));
	cr_assert_eq(d->facts.death, D("2020-02-02"));
	cr_assert_not(d->facts.held);
	cr_assert_null(d->hold_reason);
	cr_assert_not(d->has_state);
	cr_assert(d->dirty);
	cr_assert_eq(d->proposal_id, 0);
	cr_assert_eq(d->facts.n_encounters, 3);
	/* By start date. */
	cr_assert_str_eq(d->facts.encounters[0].id, "E-a");
	cr_assert_eq(d->facts.encounters[0].kind, obstetrics);
	cr_assert_eq(d->facts.encounters[0].end, D("1990-01-05"));
	cr_assert_str_eq(d->facts.encounters[1].id, "E-b");
	cr_assert_eq(d->facts.encounters[1].kind, ENGINE_KIND_CONSULTATION);
	cr_assert_eq(d->facts.encounters[1].end, DATE_NONE);
	cr_assert_eq(d->facts.encounters[2].kind, -1);
	cr_assert_eq(d->facts.n_transfusions, 1);
	cr_assert_str_eq(d->facts.transfusions[0].id, "T1");
	cr_assert_eq(d->facts.transfusions[0].act, D("1990-01-02"));
	cr_assert_eq(d->facts.n_litigations, 1);
	cr_assert_str_eq(d->facts.litigations[0].id, "L1");
	cr_assert_eq(d->facts.litigations[0].closed, D("2003-06-30"));
	store_dossier_free(d);

	/* A director's hold is a fact of the patient row. */
	raw_exec("UPDATE patients SET hold_reason = 'audit', hold_since = 1"
		 " WHERE ipp = 'P1'");
	recompute_dirty(TODAY);
	d = load("P1");
	cr_assert(d->facts.held);
	cr_assert_str_eq(d->hold_reason, "audit");
	cr_assert(d->has_state);
	cr_assert_not(d->dirty);
	cr_assert_eq(d->status, ENGINE_HELD);
	store_dossier_free(d);
	store_dossier_free(NULL);
}

/* ------------------------------------------------------------ plans */

/* The plan of sql, one detail per line. */
static void plan_of(sqlite3 *db, const char *sql, char *out, size_t len)
{
	char q[4096];
	sqlite3_stmt *s = NULL;
	size_t used = 0;

	snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", sql);
	cr_assert_eq(sqlite3_prepare_v2(db, q, -1, &s, NULL), SQLITE_OK,
		     "%s: %s", sql, sqlite3_errmsg(db));
	out[0] = '\0';
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(s, 3);

		used += (size_t)snprintf(out + used, len - used, "%s\n", detail);
		cr_assert_lt(used, len);
	}
	sqlite3_finalize(s);
}

Test(store, nightly_queries_use_indexes)
{
	static const struct {
		const char *sql, *index;
	} q[] = {
		{STORE_SQL_DIRTY_PAGE, "dossiers_dirty"},
		{STORE_SQL_DUE_PAGE, "dossiers_by_status"},
		{STORE_SQL_ANOMALY_PAGE, "dossiers_by_status"},
		{STORE_SQL_UNPROPOSED_PAGE, "dossiers_unproposed"},
		{STORE_SQL_FORECAST_MONTHS, "dossiers_by_status"},
		{STORE_SQL_FORECAST_EACH, "dossiers_by_status"},
	};
	char plan[2048];
	sqlite3 *db;

	/* Some data and statistics, so the planner has something to weigh. */
	many_patients(300);
	recompute_dirty(TODAY);
	raw_exec("ANALYZE");
	db = raw_open();
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		plan_of(db, q[i].sql, plan, sizeof(plan));
		cr_assert(strstr(plan, q[i].index), "%s\n%s", q[i].sql, plan);
		cr_assert_null(strstr(plan, "SCAN"), "%s\n%s", q[i].sql, plan);
		/* The due range and the dirty set come in index order. */
		if (i < 4)
			cr_assert_null(strstr(plan, "TEMP B-TREE"), "%s\n%s",
				       q[i].sql, plan);
	}
	/* A point lookup of a dossier's encounters reads the table by the
	 * first column of its key (schema v8: clustered by patient). */
	plan_of(db,
		"SELECT kind_id, start_date, end_date FROM encounters"
		" WHERE patient_id = 1",
		plan, sizeof(plan));
	cr_assert(strstr(plan, "SEARCH encounters USING PRIMARY KEY"
			       " (patient_id=?)"),
		  "%s", plan);
	sqlite3_close(db);
}
