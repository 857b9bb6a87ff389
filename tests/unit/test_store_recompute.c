/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The recompute's paths give the same database: the streamed state and
 * the point queries, the streamed dirty recompute and the paged one, two
 * threads and one; and the nightly selection of anomalies misses none
 * that time can resolve. Each comparison runs two copies of one varied
 * database (random facts from a fixed seed: anomalies, holds, open stays,
 * litigations, deaths, minors, 29 February) and compares every table the
 * recompute writes.
 */
#include "config.h"

#include "store_fixture.h"

#include <errno.h>
#include <stdlib.h>

#include "store/store_internal.h"

#define N_PATIENTS 4200
#define SEED 0x2545F4914F6CDD1Dull
#define NOW 1700000000

static void setup(void)
{
	store_fixture_setup("test-recompute");
}

TestSuite(recompute, .init = setup, .fini = store_fixture_teardown);

/* ------------------------------------------------------------ generator */

static uint64_t rng_s;

static uint64_t rnd(void)
{
	rng_s ^= rng_s << 13;
	rng_s ^= rng_s >> 7;
	rng_s ^= rng_s << 17;
	return rng_s;
}

static int64_t range(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static bool chance(int num, int den)
{
	return range(0, den - 1) < num;
}

/* A day in [lo, hi], sometimes a 29 February. */
static rd_date day(rd_date lo, rd_date hi)
{
	if (hi <= lo)
		return lo;
	if (chance(1, 10)) {
		int y0, y1, m, d;
		rd_date f;

		date_to_ymd(lo, &y0, &m, &d);
		date_to_ymd(hi, &y1, &m, &d);
		int y = (int)range(y0, y1);
		y -= y % 4;
		if (date_from_ymd(y, 2, 29, &f) == 0 && f >= lo && f <= hi)
			return f;
	}
	return (rd_date)range(lo, hi);
}

static void policy1(struct engine_policy *p)
{
	engine_policy_init(p);
	cr_assert_eq(engine_policy_set(p, "general_years", 25), 0);
	cr_assert_geq(engine_policy_add_kind(p, "obstetrics", 30, true), 0);
}

/* The legal durations: dates move earlier than under policy1. */
static void policy2(struct engine_policy *p)
{
	engine_policy_init(p);
	cr_assert_geq(engine_policy_add_kind(p, "obstetrics", 30, true), 0);
}

static const char *const kinds[] = {"stay", "consultation", "emergency",
				    "obstetrics", "teleconsultation"};

/* n patients of every sort, in one transaction, then a few holds. */
static void varied(int n)
{
	const rd_date today = D("2026-11-21");
	char ipp[32], id[48];

	rng_s = SEED;
	cr_assert_eq(store_begin(st), 0);
	for (int i = 0; i < n; i++) {
		rd_date birth = DATE_NONE, death = DATE_NONE, lo;
		int ne = chance(1, 30) ? 0 : (int)range(1, 5);

		snprintf(ipp, sizeof(ipp), "P%05d", i);
		if (!chance(1, 40))
			birth = chance(1, 3) ? day(D("2000-01-01"), D("2020-12-31"))
					     : day(D("1920-01-01"), D("1999-12-31"));
		lo = birth == DATE_NONE ? D("1950-01-01") : birth;
		if (chance(1, 5))
			death = day(lo, today);
		else if (chance(1, 50))
			death = day(D("1900-01-01"), lo); /* before the birth */
		else if (chance(1, 60))
			death = day(today + 1, today + 40);
		cr_assert_geq(store_upsert_patient(st, ipp, birth, death), 0);
		for (int k = 0; k < ne; k++) {
			const char *kind = kinds[range(0, 4)];
			rd_date start = day(lo, death != DATE_NONE && death > lo
							? death : today);
			rd_date end;

			if (chance(1, 25)) /* in the future: an anomaly */
				start = day(today - 10, today + 40);
			if (strcmp(kind, "stay") == 0 ||
			    strcmp(kind, "obstetrics") == 0)
				end = chance(1, 20) ? DATE_NONE
						    : start + (rd_date)range(0, 30);
			else
				end = chance(1, 2) ? DATE_NONE : start;
			if (chance(1, 50) && end != DATE_NONE)
				end = start - 3; /* ends before it starts */
			snprintf(id, sizeof(id), "E%05d-%d", i, k);
			cr_assert_geq(store_upsert_encounter(st, id, ipp, kind,
							     start, end),
				      0, "%s", store_errmsg(st));
		}
		if (chance(1, 10)) {
			snprintf(id, sizeof(id), "T%05d", i);
			cr_assert_geq(store_upsert_transfusion(st, id, ipp,
							       day(lo, today)),
				      0);
		}
		if (chance(1, 12)) {
			rd_date o = day(lo, today), c;

			if (chance(1, 3))
				c = DATE_NONE;
			else if (chance(1, 30))
				c = o - 5;
			else if (chance(1, 30))
				c = today + 10;
			else
				c = o + (rd_date)range(0, 900);
			snprintf(id, sizeof(id), "L%05d", i);
			cr_assert_geq(store_upsert_litigation(st, id, ipp, o, c,
							      NULL),
				      0);
		}
	}
	cr_assert_eq(store_commit(st), 0);
	raw_exec("UPDATE patients SET hold_reason = 'audit', hold_since = 1"
		 " WHERE id % 37 = 0");
}

static void set_actor(void)
{
	const struct store_actor a = {"tester", 1000, "system"};

	store_set_actor(st, &a, NOW);
}

/*
 * Phase 1: the varied population computed in 2040 under policy1, and its
 * eligible dossiers proposed. Phase 2 (the runs compared) then computes
 * in 2026 under the legal durations: proposals are withdrawn, dates move
 * earlier, anomalies appear and vanish with today.
 */
static void phase1(void)
{
	struct engine_policy p1;
	int64_t batch;
	size_t n;

	policy1(&p1);
	varied(N_PATIENTS);
	set_actor();
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_recompute_dirty(st, &p1, D("2040-01-01"), NULL, NULL,
					   NULL),
		     0, "%s", store_errmsg(st));
	cr_assert_eq(store_propose(st, D("2040-01-01"), NOW, &batch, &n), 0);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_gt(n, 500, "proposed %zu", n);
}

/* ------------------------------------------------------------ comparison */

/* Every table a recompute writes, as text (malloc'd). */
static char *dump(const char *file)
{
	static const char *const queries[] = {
		"SELECT patient_id, status, retain_until, basis, computed_on,"
		" dirty, proposal_id FROM dossiers ORDER BY patient_id",
		"SELECT id, patient_id, state, reason, updated_at FROM proposals"
		" ORDER BY id",
		"SELECT id, at, user, action, target, details, hash FROM audit"
		" ORDER BY id",
		"SELECT id, ipp, old_until, new_until, at FROM earlier_dates"
		" ORDER BY id",
		"SELECT name, n FROM counts ORDER BY name",
	};
	sqlite3 *db = raw_open_at(file);
	size_t len = 0, cap = 1 << 20;
	char *out = malloc(cap);

	cr_assert_not_null(out);
	for (size_t q = 0; q < sizeof(queries) / sizeof(*queries); q++) {
		sqlite3_stmt *s = NULL;

		cr_assert_eq(sqlite3_prepare_v2(db, queries[q], -1, &s, NULL),
			     SQLITE_OK, "%s", sqlite3_errmsg(db));
		while (sqlite3_step(s) == SQLITE_ROW) {
			for (int c = 0; c < sqlite3_column_count(s); c++) {
				const unsigned char *t = sqlite3_column_text(s, c);
				size_t n = t ? strlen((const char *)t) : 4;

				while (len + n + 2 >= cap) {
					cap *= 2;
					out = realloc(out, cap);
					cr_assert_not_null(out);
				}
				memcpy(out + len, t ? (const char *)t : "NULL", n);
				len += n;
				out[len++] = c + 1 < sqlite3_column_count(s) ? '|' : '\n';
			}
		}
		sqlite3_finalize(s);
		out[len++] = '#';
	}
	out[len] = '\0';
	sqlite3_close(db);
	return out;
}

/* The same text, or fail showing the first line that differs. */
static void same_dump(const char *a, const char *b, const char *what)
{
	size_t i = 0, line = 0;

	while (a[i] && a[i] == b[i])
		i++;
	if (!a[i] && !b[i])
		return;
	while (line < i && a[i - line - 1] != '\n' && a[i - line - 1] != '#')
		line++;
	cr_assert_fail("%s: the databases differ at\n  %.120s\n  %.120s", what,
		       a + i - line, b + i - line);
}

/* Copy the closed database at path to path + suffix. */
static void copy_db(const char *to)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", path, to);
	cr_assert_eq(system(cmd), 0);
}

struct run_opts {
	int split, stream_dirty, bulk; /* the store's knobs: 1 on, -1 off */
	bool full;     /* store_recompute_all, else store_recompute_dirty */
	bool mark_all; /* store_mark_all_dirty first */
	bool upsert;   /* change a fact in the same transaction first */
	bool two_threads; /* expected to take them */
	int64_t chunk;     /* ids per chunk of a split (0: its choice) */
	bool helper_first; /* the helper takes the first chunk */
};

/* Phase 2 on the database at file; its stats. */
static struct store_recompute_stats phase2(const char *file, struct run_opts o)
{
	struct store_recompute_stats s = {0};
	struct engine_policy p2;
	struct store *db = NULL;

	policy2(&p2);
	cr_assert_eq(store_open(file, &db), 0);
	db->recompute_split = o.split;
	db->recompute_stream_dirty = o.stream_dirty;
	db->recompute_bulk_dossiers = o.bulk;
	db->recompute_split_chunk = o.chunk;
	db->recompute_split_helper_first = o.helper_first;
	store_set_actor(db, &(struct store_actor){"tester", 1000, "system"}, NOW);
	cr_assert_eq(store_begin(db), 0);
	if (o.mark_all)
		cr_assert_eq(store_mark_all_dirty(db), 0);
	if (o.upsert)
		cr_assert_eq(store_upsert_encounter(db, "NEW-1", "P04000",
						    "consultation",
						    D("2026-11-01"), DATE_NONE),
			     1, "%s", store_errmsg(db));
	if (o.full)
		cr_assert_eq(store_recompute_all(db, &p2, D("2026-11-21"), NULL,
						 NULL, &s),
			     0, "%s", store_errmsg(db));
	else
		cr_assert_eq(store_recompute_dirty(db, &p2, D("2026-11-21"),
						   NULL, NULL, &s),
			     0, "%s", store_errmsg(db));
	cr_assert_eq(store_commit(db), 0);
	cr_assert_eq(db->recompute_splits, o.two_threads ? 1u : 0u,
		     "split %u times", db->recompute_splits);
	if (o.helper_first) {
		/* The helper held the first chunk until the writer took the
		 * second, which the writer had to evaluate aside. */
		cr_assert_geq(db->recompute_chunks_helper, 1u);
		cr_assert_geq(db->recompute_chunks_aside, 1u);
	}
	store_close(db);
	/* The running totals agree with the rows (rows whose mark alone is
	 * cleared do not touch the status triggers). */
	sqlite3 *h = raw_open_at(file);
	sqlite3_stmt *q = NULL;
	cr_assert_eq(sqlite3_prepare_v2(h,
		"SELECT (SELECT n FROM counts WHERE name = 'dirty') ="
		"  (SELECT count(*) FROM dossiers WHERE dirty = 1)"
		" AND (SELECT group_concat(n) FROM (SELECT n FROM counts"
		"  WHERE name LIKE 'status.%' AND name <> 'status.none'"
		"  ORDER BY name)) IS"
		" (SELECT group_concat(c) FROM (SELECT count(*) c FROM dossiers"
		"  WHERE status IS NOT NULL GROUP BY status ORDER BY status))",
		-1, &q, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(q, 0), 1, "counts table out of step");
	sqlite3_finalize(q);
	/* The dossiers' indexes, dropped or not meanwhile, are all there
	 * and agree with the table. */
	cr_assert_eq(sqlite3_prepare_v2(h,
		"SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
		" AND tbl_name = 'dossiers' AND sql IS NOT NULL",
		-1, &q, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(q, 0), 3, "dossiers' indexes");
	sqlite3_finalize(q);
	cr_assert_eq(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &q,
					NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(q, 0), "ok");
	sqlite3_finalize(q);
	sqlite3_close(h);
	return s;
}

/* Run phase 2 on two copies of the phase-1 database and compare. */
static void compare(struct run_opts a, struct run_opts b, bool computed_on,
		    const char *what)
{
	char pa[160], pb[160];
	struct store_recompute_stats sa, sb;
	char *da, *db;

	store_close(st);
	st = NULL;
	snprintf(pa, sizeof(pa), "%s/a.db", dir);
	snprintf(pb, sizeof(pb), "%s/b.db", dir);
	copy_db(pa);
	copy_db(pb);
	sa = phase2(pa, a);
	sb = phase2(pb, b);
	cr_assert_eq(sa.recomputed, sb.recomputed, "%s: recomputed %zu, %zu",
		     what, sa.recomputed, sb.recomputed);
	cr_assert_eq(sa.changed, sb.changed, "%s: changed %zu, %zu", what,
		     sa.changed, sb.changed);
	cr_assert_eq(sa.withdrawn, sb.withdrawn, "%s", what);
	cr_assert_gt(sa.changed, 100, "%s: the scenario changes dossiers", what);
	cr_assert_gt(sa.withdrawn, 50, "%s: and withdraws proposals", what);
	if (!computed_on) {
		/* Only rows that change are rewritten by a full recompute,
		 * every dirty one by the other path: computed_on differs. */
		char sql[256];

		for (int i = 0; i < 2; i++) {
			snprintf(sql, sizeof(sql),
				 "UPDATE dossiers SET computed_on = 0");
			sqlite3 *h = raw_open_at(i ? pb : pa);
			cr_assert_eq(sqlite3_exec(h, sql, NULL, NULL, NULL),
				     SQLITE_OK);
			sqlite3_close(h);
		}
	}
	da = dump(pa);
	db = dump(pb);
	cr_assert_gt(raw_int("SELECT count(*) FROM earlier_dates") +
			     (int64_t)strlen(da),
		     0);
	same_dump(da, db, what);
	free(da);
	free(db);
	cr_assert_eq(store_open(path, &st), 0);
}

/* ------------------------------------------------------------ tests */

Test(recompute, streamed_state_matches_point_queries)
{
	phase1();
	/* The streamed full recompute against every dossier marked dirty and
	 * recomputed by point queries. */
	compare((struct run_opts){.split = -1, .full = true},
		(struct run_opts){.split = -1, .stream_dirty = -1,
				  .mark_all = true},
		false, "full streamed / point queries");
}

Test(recompute, dirty_streamed_matches_dirty_paged)
{
	phase1();
	raw_mark_dirty("(patient_id * 7919) % 10 < 3");
	compare((struct run_opts){.split = -1, .stream_dirty = 1},
		(struct run_opts){.split = -1, .stream_dirty = -1}, true,
		"dirty streamed / paged");
}

Test(recompute, dirty_with_indexes_dropped_matches_paged)
{
	phase1();
	raw_mark_dirty("(patient_id * 7919) % 10 < 6");
	compare((struct run_opts){.split = -1, .stream_dirty = 1, .bulk = 1},
		(struct run_opts){.split = -1, .stream_dirty = -1, .bulk = -1},
		true, "dirty, dossiers' indexes dropped / paged");
}

Test(recompute, dirty_split_with_indexes_dropped_matches_paged)
{
	phase1();
	raw_mark_dirty("(patient_id * 7919) % 10 < 6");
	/* Dropping an index is a schema change, not a row: the helper still
	 * sees what the writer sees. */
	compare((struct run_opts){.split = 1, .stream_dirty = 1, .bulk = 1,
				  .two_threads = true},
		(struct run_opts){.split = -1, .stream_dirty = -1, .bulk = -1},
		true, "dirty, two threads, indexes dropped / paged");
}

Test(recompute, dirty_streamed_after_a_write_in_the_transaction)
{
	phase1();
	raw_mark_dirty("(patient_id * 7919) % 10 < 3");
	/* The split must see the encounter written in the same transaction,
	 * which a second connection cannot: it stays on one thread. */
	compare((struct run_opts){.split = 1, .stream_dirty = 1, .upsert = true},
		(struct run_opts){.split = -1, .stream_dirty = -1, .upsert = true},
		true, "dirty after a write, split / paged");
}

Test(recompute, full_split_matches_serial)
{
	phase1();
	compare((struct run_opts){.split = 1, .full = true, .two_threads = true},
		(struct run_opts){.split = -1, .full = true}, true,
		"full, two threads / one");
}

Test(recompute, full_split_all_dirty_matches_serial)
{
	phase1();
	/* Every row is written: every chunk the helper takes keeps all
	 * its dossiers for the writer. */
	raw_mark_dirty("1");
	compare((struct run_opts){.split = 1, .full = true, .two_threads = true},
		(struct run_opts){.split = -1, .full = true}, true,
		"full all dirty, two threads / one");
}

/*
 * The chunks taken in turn: the helper holds the first, so the writer
 * evaluates the next ones aside and writes them after the helper's, in
 * id order. Chunks of 97 ids, 44 of them, with every dossier dirty: a
 * chunk evaluated aside keeps each of its dossiers for the writer.
 */
Test(recompute, full_split_chunks_aside_match_serial)
{
	phase1();
	raw_mark_dirty("1");
	compare((struct run_opts){.split = 1, .full = true, .two_threads = true,
				  .chunk = 97, .helper_first = true},
		(struct run_opts){.split = -1, .full = true}, true,
		"full all dirty, chunks aside / one thread");
}

Test(recompute, dirty_split_chunks_aside_match_paged)
{
	phase1();
	raw_mark_dirty("(patient_id * 7919) % 10 < 3");
	compare((struct run_opts){.split = 1, .stream_dirty = 1,
				  .two_threads = true, .chunk = 1000,
				  .helper_first = true},
		(struct run_opts){.split = -1, .stream_dirty = -1}, true,
		"dirty, chunks aside / paged");
}

/* Two chunks, usually one each: the writer settles its own as it goes,
 * then writes the helper's. */
Test(recompute, full_split_two_chunks_match_serial)
{
	phase1();
	compare((struct run_opts){.split = 1, .full = true, .two_threads = true,
				  .chunk = N_PATIENTS / 2 + 1},
		(struct run_opts){.split = -1, .full = true}, true,
		"full, two chunks / one thread");
}

Test(recompute, no_split_after_a_write_in_the_transaction)
{
	phase1();
	/* store_mark_all_dirty writes: the helper would not see it. */
	compare((struct run_opts){.split = 1, .full = true, .mark_all = true},
		(struct run_opts){.split = -1, .full = true, .mark_all = true},
		true, "full after a write, split asked / one thread");
}

Test(recompute, dirty_split_matches_paged)
{
	phase1();
	raw_mark_dirty("(patient_id * 7919) % 10 < 3");
	compare((struct run_opts){.split = 1, .stream_dirty = 1,
				  .two_threads = true},
		(struct run_opts){.split = -1, .stream_dirty = -1}, true,
		"dirty, two threads / paged");
}

/*
 * The nightly pass (dirty, then due) finds every dossier whose state
 * changed with time: a full recompute on the same day then changes
 * nothing. Days chosen so that future-dated facts (anomalies) pass.
 */
Test(recompute, due_misses_nothing_that_time_changes)
{
	static const char *const days[] = {"2026-11-21", "2026-11-22",
					   "2026-12-05", "2027-01-10",
					   "2031-06-01", "2045-01-01"};
	struct engine_policy p;

	policy2(&p);
	varied(N_PATIENTS);
	set_actor();
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_recompute_dirty(st, &p, D(days[0]), NULL, NULL, NULL),
		     0);
	cr_assert_eq(store_commit(st), 0);
	for (size_t i = 1; i < sizeof(days) / sizeof(*days); i++) {
		struct store_recompute_stats due = {0}, all = {0};

		cr_assert_eq(store_begin(st), 0);
		cr_assert_eq(store_recompute_dirty(st, &p, D(days[i]), NULL,
						   NULL, &due),
			     0);
		cr_assert_eq(store_recompute_due(st, &p, D(days[i]), NULL, NULL,
						 &due),
			     0, "%s", store_errmsg(st));
		cr_assert_eq(store_recompute_all(st, &p, D(days[i]), NULL, NULL,
						 &all),
			     0);
		cr_assert_eq(store_commit(st), 0);
		cr_assert_eq(all.changed, 0,
			     "%s: %zu dossiers changed that the nightly pass missed",
			     days[i], all.changed);
		cr_log_info("%s: nightly recomputed %zu, changed %zu", days[i],
			    due.recomputed, due.changed);
	}
}

/* The anomalies recomputed each night: those a passing day may resolve. */
Test(recompute, due_selects_the_anomalies_time_can_resolve)
{
	struct store_recompute_stats s = {0};
	struct engine_policy p;

	policy2(&p);
	cr_assert_eq(store_begin(st), 0);
	/* Permanent: an encounter before the birth; no encounter at all. */
	cr_assert_eq(store_upsert_patient(st, "BEFORE", D("1990-01-01"),
					  DATE_NONE),
		     1);
	cr_assert_eq(store_upsert_encounter(st, "B1", "BEFORE", "stay",
					    D("1980-01-01"), D("1980-01-02")),
		     1);
	cr_assert_eq(store_upsert_patient(st, "NONE", D("1990-01-01"),
					  DATE_NONE),
		     1);
	/* An encounter ending on 2026-12-01: resolved that day. */
	cr_assert_eq(store_upsert_patient(st, "SOON", D("1990-01-01"),
					  DATE_NONE),
		     1);
	cr_assert_eq(store_upsert_encounter(st, "S1", "SOON", "stay",
					    D("2026-11-20"), D("2026-12-01")),
		     1);
	/* A birth on 2027-03-01, and an encounter before it: both. */
	cr_assert_eq(store_upsert_patient(st, "BOTH", D("2027-03-01"),
					  DATE_NONE),
		     1);
	cr_assert_eq(store_upsert_encounter(st, "X1", "BOTH", "consultation",
					    D("2020-01-01"), DATE_NONE),
		     1);
	cr_assert_eq(store_recompute_dirty(st, &p, D("2026-11-21"), NULL, NULL,
					   NULL),
		     0);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(raw_int("SELECT count(*) FROM dossiers WHERE status = 3"), 4);

	/* Before any of the dates: nothing to recompute. */
	cr_assert_eq(store_recompute_due(st, &p, D("2026-11-30"), NULL, NULL, &s),
		     0);
	cr_assert_eq(s.recomputed, 0);
	/* SOON's encounter has ended: it alone is recomputed, and resolved. */
	cr_assert_eq(store_recompute_due(st, &p, D("2026-12-01"), NULL, NULL, &s),
		     0);
	cr_assert_eq(s.recomputed, 1);
	cr_assert_eq(s.changed, 1);
	cr_assert_eq(raw_int("SELECT d.status FROM dossiers d JOIN patients p"
			     " ON p.id = d.patient_id WHERE p.ipp = 'SOON'"),
		     ENGINE_RETAINED);
	/* BOTH is born: recomputed, and still an anomaly. */
	s = (struct store_recompute_stats){0};
	cr_assert_eq(store_recompute_due(st, &p, D("2027-03-01"), NULL, NULL, &s),
		     0);
	cr_assert_eq(s.recomputed, 1);
	cr_assert_eq(s.changed, 0);
	/* That check is recorded: not again the next day. */
	s = (struct store_recompute_stats){0};
	cr_assert_eq(store_recompute_due(st, &p, D("2027-03-02"), NULL, NULL, &s),
		     0);
	cr_assert_eq(s.recomputed, 0);
	/* A dirty anomaly is always recomputed. */
	raw_mark_dirty("patient_id ="
		       " (SELECT id FROM patients WHERE ipp = 'BEFORE')");
	s = (struct store_recompute_stats){0};
	cr_assert_eq(store_recompute_due(st, &p, D("2026-11-21"), NULL, NULL, &s),
		     0);
	cr_assert_eq(s.recomputed, 1);
}

static bool stop_at_once(void *ctx, size_t done)
{
	(void)done;
	return ++*(int *)ctx < 2;
}

/* Cancelling a recompute on two threads stops both and reports it. */
Test(recompute, split_cancelled)
{
	struct store_recompute_stats s = {0};
	int calls = 0;

	varied(N_PATIENTS);
	st->recompute_split = 1;
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_recompute_all(st, &pol, D("2026-11-21"), stop_at_once,
					 &calls, &s),
		     -ECANCELED);
	cr_assert_eq(st->recompute_splits, 1u);
	cr_assert_eq(s.recomputed, 0, "stats of a failed run are not added");
	cr_assert_eq(store_rollback(st), 0);
	cr_assert_eq(raw_int("SELECT count(*) FROM dossiers WHERE dirty = 0"), 0);
}
