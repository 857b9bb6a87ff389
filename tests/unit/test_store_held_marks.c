/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * An import session holds its dirty marks in memory (held_marks.c), and
 * the recompute that follows evaluates those dossiers by id. Property: on
 * pseudo-random populations and nights of changes (new and changed
 * encounters, an encounter moved to another patient, transfusions,
 * litigations, changed and new patients), the database the night leaves
 * (every dossier's status, date, basis, mark and day computed, the
 * proposals withdrawn and their audit entries, the earlier-date alerts,
 * the running totals) and the recompute's counts are those of the same
 * night with every mark written at once. Also when dossiers were left
 * dirty before, when the recompute streams, when the marks held overflow
 * their bound, when something reads the marks before the recompute, and
 * when the transaction commits without one.
 */
#include "config.h"

#include <criterion/criterion.h>

#include <stdlib.h>

#include "store/store_internal.h"
#include "store_fixture.h"

#define TODAY D("2026-11-21")
/* The load's day: a dossier the night evaluates is computed on TODAY. */
#define LOAD_DAY D("2026-10-21")
#define PATIENTS 400

static void setup(void)
{
	store_fixture_setup("test-store-held-marks");
}

TestSuite(store_held_marks, .init = setup, .fini = store_fixture_teardown);

struct night {
	unsigned seed;
	int changes;      /* patients changed */
	int hold;         /* st->hold_marks */
	int stream;       /* st->recompute_stream_dirty */
	bool dirty;       /* dossiers left dirty before the night */
	bool dated;       /* dossiers given a later date by hand before */
	bool read_first;  /* the totals or a dossier read before the recompute */
	bool no_recompute; /* committed without a recompute */
};

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 8) & 0xffffff;
}

static void begin(void)
{
	cr_assert_eq(store_begin(st), 0, "%s", store_errmsg(st));
}

static void commit(void)
{
	cr_assert_eq(store_commit(st), 0, "%s", store_errmsg(st));
}

static void recompute_on(rd_date day, struct store_recompute_stats *stats)
{
	cr_assert_eq(store_recompute_dirty(st, &pol, day, NULL, NULL, stats),
		     0, "%s", store_errmsg(st));
}

static void recompute(struct store_recompute_stats *stats)
{
	recompute_on(TODAY, stats);
}

static void ipp_of(char *buf, size_t len, int i)
{
	snprintf(buf, len, "P%04d", i);
}

/* Patients, their encounters, some transfusions and litigations; then a
 * scan's proposals, for the night to withdraw. */
static void load(unsigned seed)
{
	unsigned s = seed;
	char ipp[16], id[32];
	int64_t batch;
	size_t proposed;

	begin();
	store_evaluate_new(st, &pol, LOAD_DAY);
	for (int i = 0; i < PATIENTS; i++) {
		rd_date birth = D("1920-01-01") + (rd_date)(rnd(&s) % 36000);
		rd_date death = rnd(&s) % 9 == 0
					? birth + (rd_date)(rnd(&s) % (unsigned)(LOAD_DAY - birth + 1))
					: DATE_NONE;

		ipp_of(ipp, sizeof(ipp), i);
		cr_assert_geq(store_upsert_patient(st, ipp, birth, death), 0);
	}
	recompute_on(LOAD_DAY, NULL);
	commit();
	begin();
	for (int i = 0; i < PATIENTS; i++) {
		int n = (int)(rnd(&s) % 6);

		ipp_of(ipp, sizeof(ipp), i);
		for (int k = 0; k < n; k++) {
			unsigned r = rnd(&s);
			rd_date start = D("1980-01-01") + (rd_date)(r % 13000);

			snprintf(id, sizeof(id), "E%d-%d", i, k);
			cr_assert_geq(store_upsert_encounter(st, id, ipp,
							     r % 3 ? "stay" : "consultation",
							     start, start + (rd_date)(r % 20)),
				      0, "%s", store_errmsg(st));
		}
		if (rnd(&s) % 14 == 0) {
			snprintf(id, sizeof(id), "T%d", i);
			cr_assert_eq(store_upsert_transfusion(
					     st, id, ipp, D("1990-01-01") + (rd_date)(rnd(&s) % 9000)),
				     1);
		}
	}
	recompute_on(LOAD_DAY, NULL);
	cr_assert_eq(store_propose(st, LOAD_DAY, 1000, &batch, &proposed), 0, "%s",
		     store_errmsg(st));
	commit();
	cr_assert_gt(proposed, 20, "seed %u: %zu proposed", seed, proposed);
}

/* The night's changes, each kind in its own session, one transaction. */
static void night_imports(const struct night *o)
{
	unsigned s = o->seed ^ 0x77;
	char ipp[16], other[16], id[32];

	cr_assert_eq(store_import_begin(st, STORE_IMPORT_PATIENTS), 0);
	for (int c = 0; c < o->changes / 4; c++) {
		int i = (int)(rnd(&s) % PATIENTS);

		ipp_of(ipp, sizeof(ipp), i);
		/* A death recorded (a date earlier, or none moves), a birth
		 * corrected. */
		cr_assert_geq(store_upsert_patient(st, ipp,
						   D("1930-01-01") + (rd_date)(rnd(&s) % 30000),
						   rnd(&s) % 2 ? D("2020-06-01") : DATE_NONE),
			      0, "%s", store_errmsg(st));
	}
	/* New patients, and one of them again: a mark on a new dossier. */
	cr_assert_eq(store_upsert_patient(st, "NEW1", D("1950-01-01"), DATE_NONE), 1);
	cr_assert_eq(store_upsert_patient(st, "NEW2", D("1960-01-01"), DATE_NONE), 1);
	cr_assert_eq(store_upsert_patient(st, "NEW1", D("1950-01-02"), DATE_NONE), 1);
	cr_assert_geq(store_import_end(st), 0);

	cr_assert_eq(store_import_begin(st, STORE_IMPORT_ENCOUNTERS), 0);
	for (int c = 0; c < o->changes; c++) {
		int i = (int)(rnd(&s) % PATIENTS);
		unsigned r = rnd(&s);

		ipp_of(ipp, sizeof(ipp), i);
		switch (r % 4) {
		case 0: /* a new stay this month */
			snprintf(id, sizeof(id), "N%d", c);
			cr_assert_geq(store_upsert_encounter(st, id, ipp, "stay",
							     D("2026-11-02"), D("2026-11-05")),
				      0, "%s", store_errmsg(st));
			break;
		case 1: /* an encounter's dates corrected, maybe earlier */
			snprintf(id, sizeof(id), "E%d-0", i);
			cr_assert_geq(store_upsert_encounter(st, id, ipp, "consultation",
							     D("1981-01-01") + (rd_date)(r % 9000),
							     DATE_NONE),
				      0, "%s", store_errmsg(st));
			break;
		case 2: /* moved to another patient: both owners marked */
			snprintf(id, sizeof(id), "E%d-1", i);
			ipp_of(other, sizeof(other), (i + 1) % PATIENTS);
			cr_assert_geq(store_upsert_encounter(st, id, other, "stay",
							     D("2003-03-03"), D("2003-03-04")),
				      0, "%s", store_errmsg(st));
			break;
		default: /* a few rows of one patient in a row */
			for (int k = 0; k < 3; k++) {
				snprintf(id, sizeof(id), "R%d-%d", c, k);
				cr_assert_geq(store_upsert_encounter(
						      st, id, ipp, "consultation",
						      D("2010-01-01") + (rd_date)(k * 40), DATE_NONE),
					      0, "%s", store_errmsg(st));
			}
		}
	}
	cr_assert_geq(store_import_end(st), 0);

	cr_assert_eq(store_import_begin(st, STORE_IMPORT_TRANSFUSIONS), 0);
	for (int c = 0; c < o->changes / 5; c++) {
		ipp_of(ipp, sizeof(ipp), (int)(rnd(&s) % PATIENTS));
		snprintf(id, sizeof(id), "NT%d", c);
		cr_assert_geq(store_upsert_transfusion(st, id, ipp, D("2025-02-28")), 0);
	}
	cr_assert_geq(store_import_end(st), 0);

	cr_assert_eq(store_import_begin(st, STORE_IMPORT_LITIGATIONS), 0);
	for (int c = 0; c < o->changes / 8; c++) {
		ipp_of(ipp, sizeof(ipp), (int)(rnd(&s) % PATIENTS));
		snprintf(id, sizeof(id), "NL%d", c);
		cr_assert_geq(store_upsert_litigation(st, id, ipp, D("2024-02-29"),
						      c % 2 ? D("2025-03-01") : DATE_NONE,
						      NULL),
			      0);
	}
	cr_assert_geq(store_import_end(st), 0);
}

static char *dump(void)
{
	static const char *const queries[] = {
		"SELECT patient_id, status, retain_until, basis, computed_on,"
		" dirty, proposal_id FROM dossiers ORDER BY patient_id",
		"SELECT id, patient_id, state, reason FROM proposals ORDER BY id",
		"SELECT action, target, details FROM audit ORDER BY target, id",
		"SELECT ipp, old_until, new_until FROM earlier_dates ORDER BY ipp",
		"SELECT * FROM counts ORDER BY name",
		"PRAGMA integrity_check",
	};
	return raw_dump(path, queries, sizeof(queries) / sizeof(queries[0]));
}

struct outcome {
	char *dump;
	struct store_recompute_stats stats;
	struct store_counts counts; /* read before the recompute */
	int64_t held;               /* marks still held after the imports */
};

static void run(const struct night *o, bool hold, struct outcome *out)
{
	store_close(st);
	snprintf(path, sizeof(path), "%s/s%u-%d.db", dir, o->seed, (int)hold);
	cr_assert_eq(store_open(path, &st), 0);
	load(o->seed);
	if (o->dirty)
		raw_mark_dirty("patient_id % 11 = 0");
	if (o->dated)
		raw_exec("UPDATE dossiers SET retain_until = retain_until + 400"
			 " WHERE patient_id % 7 = 0 AND retain_until IS NOT NULL"
			 " AND status = 0");
	*out = (struct outcome){0};
	st->hold_marks = hold ? o->hold : -1;
	st->recompute_stream_dirty = o->stream;
	begin();
	store_evaluate_new(st, &pol, TODAY);
	night_imports(o);
	out->held = (int64_t)st->held.n;
	if (o->read_first) {
		/* Either read first: each must write the marks. */
		struct store_dossier *d = NULL;

		if (o->seed % 2)
			cr_assert_eq(store_dossier_load(st, &pol, "P0002", &d), 0);
		else
			cr_assert_eq(store_counts(st, &out->counts), 0, "%s",
				     store_errmsg(st));
		cr_assert_eq(st->held.n, 0, "a read left marks held");
		store_dossier_free(d);
	}
	if (!o->no_recompute) {
		recompute(&out->stats);
		cr_assert_eq(st->held.n, 0, "marks still held after the recompute");
	}
	commit();
	out->dump = dump();
}

/* The night with marks held and with every mark written agree; returns
 * how many marks were held after the imports. */
static int64_t same_both_ways(const struct night *o)
{
	struct outcome a, b;

	run(o, false, &a);
	run(o, true, &b);
	cr_assert_eq(a.held, 0);
	cr_assert_gt(strlen(a.dump), 1000);
	cr_assert_str_eq(b.dump, a.dump, "seed %u", o->seed);
	cr_assert_eq(b.stats.recomputed, a.stats.recomputed, "seed %u: %zu against %zu",
		     o->seed, b.stats.recomputed, a.stats.recomputed);
	cr_assert_eq(b.stats.changed, a.stats.changed, "seed %u", o->seed);
	cr_assert_eq(b.stats.withdrawn, a.stats.withdrawn, "seed %u", o->seed);
	cr_assert_eq(b.counts.dirty, a.counts.dirty, "seed %u", o->seed);
	/* Not vacuous: dossiers evaluated, and proposals withdrawn. */
	if (!o->no_recompute) {
		cr_assert_gt(a.stats.recomputed, (size_t)o->changes / 2, "seed %u", o->seed);
		cr_assert_gt(a.stats.withdrawn, 0, "seed %u", o->seed);
	}
	sqlite3_free(a.dump);
	sqlite3_free(b.dump);
	return b.held;
}

Test(store_held_marks, a_night_recomputed_from_marks_held)
{
	for (unsigned seed = 1; seed <= 4; seed++) {
		struct night o = {.seed = seed, .changes = 60, .stream = -1};

		cr_assert_gt(same_both_ways(&o), 40, "seed %u", seed);
	}
}

Test(store_held_marks, with_dossiers_dirty_and_dates_moved_before)
{
	for (unsigned seed = 11; seed <= 14; seed++) {
		struct night o = {.seed = seed, .changes = 60, .stream = -1,
				  .dirty = true, .dated = true};

		cr_assert_gt(same_both_ways(&o), 40, "seed %u", seed);
	}
}

Test(store_held_marks, a_recompute_that_streams_writes_them_first)
{
	for (unsigned seed = 21; seed <= 23; seed++) {
		struct night o = {.seed = seed, .changes = 120, .stream = 1,
				  .dirty = true};

		same_both_ways(&o);
	}
}

Test(store_held_marks, past_their_bound_they_are_written)
{
	for (unsigned seed = 31; seed <= 33; seed++) {
		struct night o = {.seed = seed, .changes = 80, .stream = -1,
				  .hold = 7, .dated = true};

		/* Written by sevens: fewer than seven are held at the end. */
		cr_assert_lt(same_both_ways(&o), 8, "seed %u", seed);
	}
}

Test(store_held_marks, a_read_of_the_marks_writes_them)
{
	for (unsigned seed = 41; seed <= 43; seed++) {
		struct night o = {.seed = seed, .changes = 60, .stream = -1,
				  .read_first = true, .dirty = true};

		same_both_ways(&o);
	}
}

Test(store_held_marks, a_commit_without_recompute_writes_them)
{
	for (unsigned seed = 51; seed <= 53; seed++) {
		struct night o = {.seed = seed, .changes = 60, .stream = -1,
				  .no_recompute = true};

		cr_assert_gt(same_both_ways(&o), 40, "seed %u", seed);
		/* And they are marks: the dirty dossiers are there. */
		cr_assert_gt(raw_int("SELECT count(*) FROM dossiers WHERE dirty = 1"), 40);
	}
}
