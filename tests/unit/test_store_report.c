/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the nightly report's queries (src/store/report.c), each on
 * a throwaway database under /tmp: work waiting per state and batch with
 * its age, holds, open litigations (held and anomaly dossiers alike), the
 * data-quality worklist with the engine's reasons, the dossiers due soon,
 * the new batches, the dates moved earlier, limits and callbacks that stop,
 * and the query plans (index ranges, never a scan of the dossiers).
 */
#include "config.h"

#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/date.h"
#include "engine/engine.h"
#include "engine/workflow.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "store_fixture.h"


#define TODAY D("2026-11-21")
#define NOW 1700000000

static void setup(void)
{
	store_fixture_setup("test-store-report");
	const struct store_actor a = {"tester", 1000, "archivist"};
	store_set_actor(st, &a, NOW);
}

TestSuite(store_report, .init = setup, .fini = store_fixture_teardown);

/* ------------------------------------------------------------ helpers */

static void patient(const char *ipp, const char *birth, const char *death)
{
	cr_assert_geq(store_upsert_patient(st, ipp, birth ? D(birth) : DATE_NONE,
					   death ? D(death) : DATE_NONE),
		      0, "%s: %s", ipp, store_errmsg(st));
}

static void encounter(const char *id, const char *ipp, const char *start, const char *end)
{
	cr_assert_geq(store_upsert_encounter(st, id, ipp, "stay", D(start),
					     end ? D(end) : DATE_NONE),
		      0, "%s: %s", id, store_errmsg(st));
}

static void litigation(const char *id, const char *ipp, const char *opened,
		       const char *closed, const char *ref)
{
	cr_assert_geq(store_upsert_litigation(st, id, ipp, D(opened),
					      closed ? D(closed) : DATE_NONE, ref),
		      0, "%s: %s", id, store_errmsg(st));
}

static void begin(void)
{
	cr_assert_eq(store_begin(st), 0, "%s", store_errmsg(st));
}

static void commit(void)
{
	cr_assert_eq(store_commit(st), 0, "%s", store_errmsg(st));
}

static void recompute(void)
{
	begin();
	cr_assert_eq(store_recompute_dirty(st, &pol, TODAY, NULL, NULL, NULL), 0, "%s",
		     store_errmsg(st));
	commit();
}

static int64_t propose(size_t expect)
{
	int64_t batch = -1;
	size_t n = 99;

	begin();
	cr_assert_eq(store_propose(st, TODAY, NOW, &batch, &n), 0, "%s", store_errmsg(st));
	commit();
	cr_assert_eq(n, expect);
	return batch;
}

/*
 * ADULT1, ADULT2: eligible (stays of 2000); SOON: retained until
 * 2026-12-01 (eligible within 30 days); LATER: retained until 2027-06-30;
 * FAR: retained until 2030-01-10; HELD: held by the director; LITIG: an
 * open litigation; NOBIRTH: anomaly (no birth date) with an open
 * litigation opened in the future (a second anomaly).
 */
static void populate(void)
{
	begin();
	patient("ADULT1", "1950-01-01", NULL);
	encounter("E1", "ADULT1", "2000-03-01", "2000-03-15");
	patient("ADULT2", "1951-01-01", NULL);
	encounter("E2", "ADULT2", "2001-03-01", "2001-04-15");
	patient("SOON", "1950-01-01", NULL);
	encounter("E3", "SOON", "2006-11-20", "2006-12-01");
	patient("LATER", "1950-01-01", NULL);
	encounter("E4", "LATER", "2007-06-01", "2007-06-30");
	patient("FAR", "1950-01-01", NULL);
	encounter("E5", "FAR", "2010-01-01", "2010-01-10");
	patient("HELD", "1950-01-01", NULL);
	encounter("E6", "HELD", "2000-01-01", "2000-01-10");
	patient("LITIG", "1950-01-01", NULL);
	encounter("E7", "LITIG", "2000-01-01", "2000-01-10");
	litigation("L1", "LITIG", "2020-05-05", NULL, "TA-2020-12");
	litigation("L0", "LITIG", "2010-01-01", "2010-02-01", "closed one");
	patient("NOBIRTH", NULL, NULL);
	encounter("E8", "NOBIRTH", "2001-01-01", "2001-01-02");
	litigation("L2", "NOBIRTH", "2027-01-01", NULL, NULL);
	commit();
	recompute();
	begin();
	cr_assert_eq(store_hold(st, &pol, TODAY, "HELD", "free text of the director"), 0, "%s",
		     store_errmsg(st));
	commit();
}

/* ------------------------------------------------------------ pending */

struct pending_list {
	struct {
		char state[16];
		int64_t batch, count, oldest;
	} rows[16];
	size_t n;
	int stop_after; /* 0: never */
};

static int on_pending(void *ctx, const struct store_pending *p)
{
	struct pending_list *l = ctx;

	cr_assert_lt(l->n, 16);
	snprintf(l->rows[l->n].state, sizeof(l->rows[0].state), "%s", p->state);
	l->rows[l->n].batch = p->batch;
	l->rows[l->n].count = p->count;
	l->rows[l->n].oldest = p->oldest;
	l->n++;
	return l->stop_after && (int)l->n >= l->stop_after ? 42 : 0;
}

Test(store_report, pending_empty_database)
{
	struct pending_list l = {0};

	cr_assert_eq(store_report_pending(st, on_pending, &l), 0);
	cr_assert_eq(l.n, 0);
}

Test(store_report, pending_per_state_and_batch_oldest_first)
{
	struct pending_list l = {0};
	struct store_step step;

	populate();
	const int64_t b1 = propose(2); /* ADULT1, ADULT2 at NOW */
	/* The DIM's opinion on ADULT1, a day later. */
	const struct store_actor dim = {"drmartin", 1001, "dim"};
	store_set_actor(st, &dim, NOW + 86400);
	const struct wf_request r = {.action = WF_ACT_OPINION,
				     .opinion = WF_OPINION_FAVORABLE,
				     .is_public = true};
	int64_t id = 0;
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT id FROM proposals WHERE ipp = 'ADULT1'", -1,
					&s, NULL),
		     SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	begin();
	cr_assert_eq(store_proposal_step(st, &pol, TODAY, id, &r, NULL, &step), 0);
	cr_assert_eq(step.rc, 0, "%s", step.why);
	commit();

	cr_assert_eq(store_report_pending(st, on_pending, &l), 0, "%s", store_errmsg(st));
	cr_assert_eq(l.n, 2);
	cr_assert_str_eq(l.rows[0].state, "proposed");
	cr_assert_eq(l.rows[0].batch, b1);
	cr_assert_eq(l.rows[0].count, 1);
	cr_assert_eq(l.rows[0].oldest, NOW);
	cr_assert_str_eq(l.rows[1].state, "reviewed");
	cr_assert_eq(l.rows[1].batch, b1);
	cr_assert_eq(l.rows[1].count, 1);
	cr_assert_eq(l.rows[1].oldest, NOW + 86400, "the age counts from the opinion");

	/* A callback's non-zero return stops and is returned. */
	struct pending_list one = {.stop_after = 1};
	cr_assert_eq(store_report_pending(st, on_pending, &one), 42);
	cr_assert_eq(one.n, 1);
}

Test(store_report, pending_excludes_final_states)
{
	struct pending_list l = {0};
	struct store_step step;

	populate();
	propose(2);
	const struct wf_request refuse = {.action = WF_ACT_REFUSE, .reason = "non",
					  .is_public = true};
	begin();
	for (int64_t id = 1; id <= 2; id++) {
		cr_assert_eq(store_proposal_step(st, &pol, TODAY, id, &refuse, NULL, &step), 0);
		cr_assert_eq(step.rc, 0, "%s", step.why);
	}
	commit();
	cr_assert_eq(store_report_pending(st, on_pending, &l), 0);
	cr_assert_eq(l.n, 0, "refused proposals wait for nobody");
}

/* ------------------------------------------------------------ holds */

struct rows {
	char a[8][80], b[8][80];
	rd_date d[8];
	size_t n;
};

static int on_hold(void *ctx, const struct store_hold_row *h)
{
	struct rows *r = ctx;

	cr_assert_lt(r->n, 8);
	snprintf(r->a[r->n], 80, "%s", h->ipp);
	snprintf(r->b[r->n], 80, "%s", h->reason ? h->reason : "");
	r->d[r->n++] = h->since;
	return 0;
}

static int on_litigation(void *ctx, const struct store_litigation_row *l)
{
	struct rows *r = ctx;

	cr_assert_lt(r->n, 8);
	snprintf(r->a[r->n], 80, "%s", l->id);
	snprintf(r->b[r->n], 80, "%s", l->ipp);
	r->d[r->n++] = l->opened;
	return 0;
}

Test(store_report, holds)
{
	struct rows r = {0};

	cr_assert_eq(store_report_holds(st, 0, on_hold, &r), 0);
	cr_assert_eq(r.n, 0);
	populate();
	cr_assert_eq(store_report_holds(st, 0, on_hold, &r), 0, "%s", store_errmsg(st));
	cr_assert_eq(r.n, 1);
	cr_assert_str_eq(r.a[0], "HELD");
	cr_assert_str_eq(r.b[0], "free text of the director");
	cr_assert_eq(r.d[0], TODAY, "the day the hold was placed");

	/* Released: gone. */
	begin();
	cr_assert_eq(store_hold_release(st, &pol, TODAY, "HELD"), 0);
	commit();
	memset(&r, 0, sizeof(r));
	cr_assert_eq(store_report_holds(st, 0, on_hold, &r), 0);
	cr_assert_eq(r.n, 0);
}

Test(store_report, holds_limit)
{
	struct rows r = {0};

	populate();
	begin();
	cr_assert_eq(store_hold(st, &pol, TODAY, "FAR", "x"), 0);
	commit();
	cr_assert_eq(store_report_holds(st, 1, on_hold, &r), 0);
	cr_assert_eq(r.n, 1);
	memset(&r, 0, sizeof(r));
	cr_assert_eq(store_report_holds(st, 0, on_hold, &r), 0);
	cr_assert_eq(r.n, 2);
}

Test(store_report, open_litigations_of_held_and_anomaly_dossiers)
{
	struct rows r = {0};

	populate();
	cr_assert_eq(store_report_open_litigations(st, 0, on_litigation, &r), 0, "%s",
		     store_errmsg(st));
	/* L0 is closed; L2 belongs to a dossier in anomaly; oldest first. */
	cr_assert_eq(r.n, 2);
	cr_assert_str_eq(r.a[0], "L1");
	cr_assert_str_eq(r.b[0], "LITIG");
	cr_assert_eq(r.d[0], D("2020-05-05"));
	cr_assert_str_eq(r.a[1], "L2");
	cr_assert_str_eq(r.b[1], "NOBIRTH");

	memset(&r, 0, sizeof(r));
	cr_assert_eq(store_report_open_litigations(st, 1, on_litigation, &r), 0);
	cr_assert_eq(r.n, 1);

	/* Closed: no longer listed. */
	begin();
	cr_assert_eq(store_litigation_close(st, &pol, TODAY, "L1", D("2021-01-01")), 0, "%s",
		     store_errmsg(st));
	commit();
	memset(&r, 0, sizeof(r));
	cr_assert_eq(store_report_open_litigations(st, 0, on_litigation, &r), 0);
	cr_assert_eq(r.n, 1);
	cr_assert_str_eq(r.a[0], "L2");
}

/* ------------------------------------------------------------ anomalies */

struct anomaly_list {
	char ipp[8][80];
	enum engine_anomaly first[8];
	size_t reasons[8];
	size_t n;
};

static int on_anomaly(void *ctx, const char *ipp, const struct engine_result *res)
{
	struct anomaly_list *l = ctx;

	cr_assert_lt(l->n, 8);
	cr_assert_eq(res->status, ENGINE_ANOMALY);
	snprintf(l->ipp[l->n], 80, "%s", ipp);
	l->first[l->n] = ENGINE_ANOMALY_NONE;
	for (size_t i = 0; i < res->n_steps; i++) {
		if (res->steps[i].rule != ENGINE_RULE_ANOMALY)
			continue;
		if (!l->reasons[l->n])
			l->first[l->n] = res->steps[i].anomaly;
		l->reasons[l->n]++;
	}
	l->n++;
	return 0;
}

Test(store_report, anomalies_with_their_reasons)
{
	struct anomaly_list l = {0};
	int64_t total = -1;

	cr_assert_eq(store_report_anomalies(st, &pol, TODAY, 0, on_anomaly, &l, &total), 0);
	cr_assert_eq(total, 0);
	cr_assert_eq(l.n, 0);

	populate();
	begin();
	patient("AAA-DEATH", "1960-01-01", "1950-01-01");
	encounter("E9", "AAA-DEATH", "1961-01-01", "1961-01-02");
	commit();
	recompute();
	cr_assert_eq(store_report_anomalies(st, &pol, TODAY, 0, on_anomaly, &l, &total), 0,
		     "%s", store_errmsg(st));
	cr_assert_eq(total, 2);
	cr_assert_eq(l.n, 2);
	/* By IPP. */
	cr_assert_str_eq(l.ipp[0], "AAA-DEATH");
	cr_assert_eq(l.first[0], ENGINE_ANOMALY_DEATH_BEFORE_BIRTH);
	cr_assert_str_eq(l.ipp[1], "NOBIRTH");
	cr_assert_eq(l.first[1], ENGINE_ANOMALY_NO_BIRTH_DATE);
	cr_assert_geq(l.reasons[1], 2, "no birth date, and the litigation in the future");

	/* A limit lists fewer, the total stays whole. */
	memset(&l, 0, sizeof(l));
	cr_assert_eq(store_report_anomalies(st, &pol, TODAY, 1, on_anomaly, &l, &total), 0);
	cr_assert_eq(l.n, 1);
	cr_assert_eq(total, 2);
}

/* ------------------------------------------------------------ forecast */

Test(store_report, count_due)
{
	int64_t n = -1;

	cr_assert_eq(store_report_count_due(st, TODAY, TODAY + 30, &n), 0);
	cr_assert_eq(n, 0);
	populate();
	/* SOON: until 2026-12-01, eligible from 2026-12-02 (11 days). */
	cr_assert_eq(store_report_count_due(st, TODAY, TODAY + 30, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(store_report_count_due(st, TODAY, D("2026-12-01"), &n), 0);
	cr_assert_eq(n, 0, "retain_until < until: the last day of retention is not due");
	cr_assert_eq(store_report_count_due(st, TODAY, D("2026-12-02"), &n), 0);
	cr_assert_eq(n, 1);
	/* LATER: until 2027-06-30. */
	cr_assert_eq(store_report_count_due(st, TODAY, TODAY + 365, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(store_report_count_due(st, TODAY, D("2040-01-01"), &n), 0);
	cr_assert_eq(n, 3, "FAR too; eligible, held and anomaly dossiers never");
	cr_assert_eq(store_report_count_due(st, TODAY, DATE_NONE, &n), -EINVAL);
}

/* ------------------------------------------------------------ batches */

Test(store_report, batches_since)
{
	int64_t *ids = NULL;
	size_t n = 99;

	cr_assert_eq(store_report_batches_since(st, 0, &ids, &n), 0);
	cr_assert_eq(n, 0);
	cr_assert_null(ids);
	populate();
	const int64_t b = propose(2);
	cr_assert_eq(store_report_batches_since(st, NOW - 1, &ids, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(ids[0], b);
	free(ids);
	ids = NULL;
	cr_assert_eq(store_report_batches_since(st, NOW, &ids, &n), 0);
	cr_assert_eq(n, 0, "created after since, strictly");
	free(ids);
}

/* ------------------------------------------------------------ earlier */

struct earlier_list {
	int64_t id[8];
	char ipp[8][80];
	rd_date old_until[8], new_until[8];
	int64_t at[8];
	size_t n;
};

static int on_earlier(void *ctx, const struct store_earlier *e)
{
	struct earlier_list *l = ctx;

	cr_assert_lt(l->n, 8);
	l->id[l->n] = e->id;
	snprintf(l->ipp[l->n], 80, "%s", e->ipp);
	l->old_until[l->n] = e->old_until;
	l->new_until[l->n] = e->new_until;
	l->at[l->n++] = e->at;
	return 0;
}

Test(store_report, dates_moved_earlier)
{
	struct earlier_list l = {0};

	populate();
	cr_assert_eq(store_report_earlier(st, 0, 0, on_earlier, &l), 0, "%s", store_errmsg(st));
	cr_assert_eq(l.n, 0, "first computations are no alert");

	/* Someone corrects FAR's discharge: 2010 -> 2005. And LATER's moves
	 * later: no alert. */
	store_set_actor(st, NULL, 0);
	const struct store_actor a = {"import", 0, "archivist"};
	store_set_actor(st, &a, NOW + 500);
	begin();
	encounter("E5", "FAR", "2005-01-01", "2005-01-10");
	encounter("E4", "LATER", "2008-06-01", "2008-06-30");
	commit();
	recompute();
	cr_assert_eq(store_report_earlier(st, 0, 0, on_earlier, &l), 0);
	cr_assert_eq(l.n, 1);
	cr_assert_str_eq(l.ipp[0], "FAR");
	cr_assert_eq(l.old_until[0], D("2030-01-10"));
	cr_assert_eq(l.new_until[0], D("2025-01-10"));
	cr_assert_eq(l.at[0], NOW + 500);

	/* After the last one seen: nothing new. */
	struct earlier_list none = {0};
	cr_assert_eq(store_report_earlier(st, l.id[0], 0, on_earlier, &none), 0);
	cr_assert_eq(none.n, 0);

	/* Another correction: only it comes after the first. */
	begin();
	encounter("E3", "SOON", "2003-11-20", "2003-12-01");
	commit();
	recompute();
	memset(&none, 0, sizeof(none));
	cr_assert_eq(store_report_earlier(st, l.id[0], 0, on_earlier, &none), 0);
	cr_assert_eq(none.n, 1);
	cr_assert_str_eq(none.ipp[0], "SOON");
	memset(&l, 0, sizeof(l));
	cr_assert_eq(store_report_earlier(st, 0, 1, on_earlier, &l), 0);
	cr_assert_eq(l.n, 1, "limit");
}

Test(store_report, bad_arguments)
{
	int64_t n;

	cr_assert_eq(store_report_pending(st, NULL, NULL), -EINVAL);
	cr_assert_eq(store_report_holds(NULL, 0, on_hold, NULL), -EINVAL);
	cr_assert_eq(store_report_anomalies(st, &pol, DATE_NONE, 0, on_anomaly, NULL, &n),
		     -EINVAL);
	cr_assert_eq(store_report_earlier(st, 0, 0, NULL, NULL), -EINVAL);
}

/* ------------------------------------------------------------ plans */

static void plan_of(sqlite3 *db, const char *sql, char *out, size_t len)
{
	char q[1024];
	sqlite3_stmt *s = NULL;
	size_t used = 0;

	snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", sql);
	cr_assert_eq(sqlite3_prepare_v2(db, q, -1, &s, NULL), SQLITE_OK, "%s: %s", sql,
		     sqlite3_errmsg(db));
	out[0] = '\0';
	while (sqlite3_step(s) == SQLITE_ROW) {
		used += (size_t)snprintf(out + used, len - used, "%s\n",
					 (const char *)sqlite3_column_text(s, 3));
		cr_assert_lt(used, len);
	}
	sqlite3_finalize(s);
}

Test(store_report, queries_use_indexes)
{
	static const struct {
		const char *sql, *index;
	} q[] = {
		{STORE_SQL_REPORT_PENDING, "proposals_by_state"},
		{STORE_SQL_REPORT_HOLDS, "dossiers_by_status"},
		{STORE_SQL_REPORT_OPEN_LITIGATIONS, "dossiers_by_status"},
		{STORE_SQL_REPORT_ANOMALIES, "dossiers_by_status"},
		{STORE_SQL_REPORT_ANOMALY_COUNT, "dossiers_by_status"},
		{STORE_SQL_REPORT_COUNT_DUE, "dossiers_by_status"},
		{STORE_SQL_REPORT_EARLIER, "PRIMARY KEY"},
	};
	char plan[2048];
	sqlite3 *db;

	/* Enough rows, and statistics, for the planner to weigh. */
	begin();
	for (int i = 0; i < 300; i++) {
		char ipp[16], enc[16];
		snprintf(ipp, sizeof(ipp), "P%04d", i);
		snprintf(enc, sizeof(enc), "E%04d", i);
		patient(ipp, "1950-01-01", NULL);
		encounter(enc, ipp, "2000-01-01", i % 2 ? "2000-01-05" : "2010-01-05");
	}
	commit();
	populate();
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "ANALYZE", NULL, NULL, NULL), SQLITE_OK);
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		plan_of(db, q[i].sql, plan, sizeof(plan));
		cr_assert(strstr(plan, q[i].index), "%s\n%s", q[i].sql, plan);
		cr_assert_null(strstr(plan, "SCAN"), "%s\n%s", q[i].sql, plan);
	}
	sqlite3_close(db);
}
