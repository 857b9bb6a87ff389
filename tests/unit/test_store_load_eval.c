/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A first load of encounters evaluates its dossiers from the rows as they
 * come (append_eval.c). Property: on pseudo-random populations, the
 * database it leaves (every dossier's status, date, basis and mark, the
 * running totals, the indexes) is the one the recompute leaves after the
 * same load without it, and the one the row-by-row path leaves; and the
 * dossiers it evaluated are counted once. The populations hold what makes
 * a patient's rows incomplete as they come: rows out of patient order, an
 * id given twice, rows before the session turned bulk; and what a
 * dossier's other facts can be: transfusions, litigations, holds, deaths,
 * a kind first seen late, one the policy does not know.
 */
#include "config.h"

#include <criterion/criterion.h>

#include <stdlib.h>

#include "store/store_internal.h"
#include "store_fixture.h"

#define TODAY D("2026-11-21")

static void setup(void)
{
	store_fixture_setup("test-store-load-eval");
}

TestSuite(store_load_eval, .init = setup, .fini = store_fixture_teardown);

struct pop {
	unsigned seed;
	int patients;
	int late_every;   /* a row of an earlier patient every n rows (0: none) */
	int repeat_every; /* an id of the same patient again (0: none) */
	bool cross;       /* an id given to two patients */
	bool facts;       /* transfusions, litigations, holds before */
	bool dated;       /* dossiers given a date before (by hand) */
	bool dirty;       /* dossiers left dirty before */
	uint64_t bulk_after;
};

enum mode { ROW_BY_ROW, SESSION, SESSION_EVAL };

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 8) & 0xffffff;
}

static void begin(void)
{
	cr_assert_eq(store_begin(st), 0, "%s", store_errmsg(st));
}

static void recompute_commit(struct store_recompute_stats *stats)
{
	cr_assert_eq(store_recompute_dirty(st, &pol, TODAY, NULL, NULL, stats),
		     0, "%s", store_errmsg(st));
	cr_assert_eq(store_commit(st), 0, "%s", store_errmsg(st));
}

static void load_patients(const struct pop *o)
{
	unsigned s = o->seed;
	char ipp[16];

	begin();
	store_evaluate_new(st, &pol, TODAY);
	for (int i = 0; i < o->patients; i++) {
		rd_date birth = D("1920-01-01") + (rd_date)(rnd(&s) % 38000);
		rd_date death = DATE_NONE;

		if (rnd(&s) % 8 == 0)
			death = birth + (rd_date)(rnd(&s) % (unsigned)(TODAY - birth + 1));
		snprintf(ipp, sizeof(ipp), "P%04d", i);
		cr_assert_geq(store_upsert_patient(st, ipp, birth, death), 0);
	}
	recompute_commit(NULL);
}

/* Transfusions, litigations (open and closed) and holds, computed. */
static void load_facts(const struct pop *o)
{
	unsigned s = o->seed ^ 0x5a5a;
	char ipp[16], id[16];

	begin();
	for (int i = 0; i < o->patients; i++) {
		snprintf(ipp, sizeof(ipp), "P%04d", i);
		if (rnd(&s) % 12 == 0) {
			snprintf(id, sizeof(id), "T%04d", i);
			cr_assert_eq(store_upsert_transfusion(
					     st, id, ipp,
					     D("1985-01-01") + (rd_date)(rnd(&s) % 14000)),
				     1);
		}
		if (rnd(&s) % 15 == 0) {
			rd_date opened = D("1990-01-01") + (rd_date)(rnd(&s) % 12000);

			snprintf(id, sizeof(id), "L%04d", i);
			cr_assert_eq(store_upsert_litigation(
					     st, id, ipp, opened,
					     rnd(&s) % 2 ? opened + 400 : DATE_NONE,
					     NULL),
				     1);
		}
	}
	recompute_commit(NULL);
	for (int i = 3; i < o->patients; i += 23) {
		snprintf(ipp, sizeof(ipp), "P%04d", i);
		begin();
		cr_assert_eq(store_hold(st, &pol, TODAY, ipp, "audit"), 0, "%s",
			     store_errmsg(st));
		cr_assert_eq(store_commit(st), 0);
	}
}

static const char *kind_at(unsigned r, int row, int rows)
{
	/* "emergency" only in the second half: a kinds.id created after the
	 * session turned bulk; "telemedicine" is no kind of the policy. */
	if (row > rows / 2 && r % 7 == 0)
		return "emergency";
	if (r % 29 == 0)
		return "telemedicine";
	return r % 3 ? "stay" : "consultation";
}

/*
 * The encounters, in patient order but for what o asks, then the
 * recompute; the stats of the recompute, and how many dossiers the load
 * evaluated from its rows.
 */
static void load_encounters(const struct pop *o, enum mode m,
			    struct store_recompute_stats *stats, size_t *from_rows)
{
	unsigned s = o->seed ^ 0xa5a5;
	char ipp[16], id[24];
	int row = 0, rows = o->patients * 4, prev_who = -1;
	const char *prev_kind = NULL;
	rd_date prev_start = 0, prev_end = 0;

	st->bulk_after = o->bulk_after;
	begin();
	store_evaluate_new(st, &pol, TODAY);
	if (m == SESSION_EVAL)
		st->load_eval = 0;
	else
		st->load_eval = -1;
	if (m != ROW_BY_ROW)
		cr_assert_eq(store_import_begin(st, STORE_IMPORT_ENCOUNTERS), 0);
	for (int p = 0; p < o->patients; p++) {
		int n = (int)(rnd(&s) % 8) - 1; /* some have none */

		for (int k = 0; k < n; k++, row++) {
			unsigned r = rnd(&s);
			int who = p;
			const char *kind = kind_at(r, row, rows);
			rd_date start = D("1975-01-01") + (rd_date)(r % 18500);
			rd_date end = r % 10 == 0 ? DATE_NONE : start + (rd_date)(r % 30);

			if (o->late_every && row % o->late_every == o->late_every - 1)
				who = p > 5 ? p - 1 - (int)(r % 5) : p;
			if (r % 41 == 0)
				start = end = D("2004-02-29");
			snprintf(ipp, sizeof(ipp), "P%04d", who);
			snprintf(id, sizeof(id), "E%05d", row);
			/* The previous row's id again, for the same patient:
			 * with other values, or (one in two) the same. */
			if (o->repeat_every && row % o->repeat_every == 0 &&
			    prev_who == who) {
				snprintf(id, sizeof(id), "E%05d", row - 1);
				if (r % 2) {
					kind = prev_kind;
					start = prev_start;
					end = prev_end;
				}
			}
			cr_assert_geq(store_upsert_encounter(st, id, ipp, kind,
							     start, end),
				      0, "%s", store_errmsg(st));
			prev_who = who;
			prev_kind = kind;
			prev_start = start;
			prev_end = end;
		}
	}
	if (o->cross) {
		/* An id first given to one patient, then to another. */
		cr_assert_eq(store_upsert_encounter(st, "X1", "P0001", "stay",
						    D("2001-01-01"), DATE_NONE),
			     1);
		cr_assert_eq(store_upsert_encounter(st, "X1", "P0002", "stay",
						    D("2001-01-01"), DATE_NONE),
			     1);
	}
	if (m != ROW_BY_ROW)
		cr_assert_geq(store_import_end(st), 0, "%s", store_errmsg(st));
	*from_rows = st->load_eval_acc.recomputed;
	recompute_commit(stats);
}

static char *dump(void)
{
	static const char *const queries[] = {
		"SELECT patient_id, status, retain_until, basis, computed_on,"
		" dirty, proposal_id FROM dossiers ORDER BY patient_id",
		"SELECT * FROM encounters ORDER BY encounter_id",
		"SELECT * FROM counts ORDER BY name",
		"SELECT ipp, old_until, new_until FROM earlier_dates ORDER BY ipp",
		"SELECT name, sql FROM sqlite_schema WHERE type = 'index'"
		" ORDER BY name",
		"PRAGMA integrity_check",
	};
	return raw_dump(path, queries, sizeof(queries) / sizeof(queries[0]));
}

struct outcome {
	char *dump;
	struct store_recompute_stats stats;
	size_t from_rows;
};

/* The population o loaded in mode m into a new database of dir. */
static void run(const struct pop *o, enum mode m, struct outcome *out)
{
	store_close(st);
	snprintf(path, sizeof(path), "%s/s%u-m%d.db", dir, o->seed, (int)m);
	cr_assert_eq(store_open(path, &st), 0);
	load_patients(o);
	if (o->facts)
		load_facts(o);
	/* No dossier without encounters has a date; one given by hand
	 * must not be evaluated from the rows, whose result would hide an
	 * earlier date's alert should the recompute evaluate it again. */
	if (o->dirty)
		raw_mark_dirty("patient_id % 7 = 0");
	if (o->dated)
		raw_exec("UPDATE dossiers SET status = 0, basis = 'general_20y',"
			 " retain_until = 25000 WHERE patient_id % 13 = 0");
	*out = (struct outcome){0};
	load_encounters(o, m, &out->stats, &out->from_rows);
	out->dump = dump();
}

/* The three modes agree; returns how many the load evaluated. */
static size_t same_three_ways(const struct pop *o)
{
	struct outcome r[3];

	for (int m = ROW_BY_ROW; m <= SESSION_EVAL; m++)
		run(o, (enum mode)m, &r[m]);
	cr_assert_gt(strlen(r[0].dump), 1000);
	/* The session without the evaluation evaluates every dossier,
	 * which undoes a date given by hand to one without rows. */
	if (!o->dated)
		cr_assert_str_eq(r[SESSION].dump, r[ROW_BY_ROW].dump, "seed %u",
				 o->seed);
	cr_assert_str_eq(r[SESSION_EVAL].dump, r[ROW_BY_ROW].dump, "seed %u",
			 o->seed);
	cr_assert_eq(r[SESSION].from_rows, 0);
	/* Each dossier having rows counted once, however it was evaluated,
	 * as row by row; when an id came for two patients, every dossier,
	 * as the session without the evaluation. */
	enum mode like = o->cross ? SESSION : ROW_BY_ROW;

	cr_assert_eq(r[SESSION_EVAL].stats.recomputed, r[like].stats.recomputed,
		     "seed %u: %zu against %zu", o->seed,
		     r[SESSION_EVAL].stats.recomputed, r[like].stats.recomputed);
	cr_assert_eq(r[SESSION_EVAL].stats.withdrawn, 0);
	/* Rows all in order and each id once: every count the same. */
	if (!o->late_every && !o->repeat_every && !o->cross)
		cr_assert_eq(r[SESSION_EVAL].stats.changed,
			     r[ROW_BY_ROW].stats.changed, "seed %u", o->seed);
	size_t n = r[SESSION_EVAL].from_rows;

	for (int m = 0; m < 3; m++)
		sqlite3_free(r[m].dump);
	return n;
}

Test(store_load_eval, rows_in_order_are_evaluated_as_they_come)
{
	for (unsigned seed = 1; seed <= 4; seed++) {
		struct pop o = {.seed = seed, .patients = 300};
		size_t n = same_three_ways(&o);

		/* Nearly every patient has rows; all of them evaluated. */
		cr_assert_gt(n, 200, "seed %u: %zu", seed, n);
	}
}

Test(store_load_eval, other_facts_holds_and_deaths_are_read_beside_the_rows)
{
	for (unsigned seed = 11; seed <= 14; seed++) {
		struct pop o = {.seed = seed, .patients = 300, .facts = true,
				.dirty = true};

		cr_assert_gt(same_three_ways(&o), 150, "seed %u", seed);
	}
}

Test(store_load_eval, rows_out_of_order_leave_their_patients_to_the_recompute)
{
	for (unsigned seed = 21; seed <= 24; seed++) {
		struct pop o = {.seed = seed, .patients = 300, .facts = true,
				.late_every = 9, .dated = true};

		cr_assert_gt(same_three_ways(&o), 50, "seed %u", seed);
	}
}

Test(store_load_eval, an_id_given_twice_leaves_its_patient_to_the_recompute)
{
	for (unsigned seed = 31; seed <= 34; seed++) {
		struct pop o = {.seed = seed, .patients = 300, .facts = true,
				.repeat_every = 7, .late_every = 50};

		cr_assert_gt(same_three_ways(&o), 50, "seed %u", seed);
	}
}

Test(store_load_eval, an_id_for_two_patients_evaluates_every_owner_again)
{
	struct pop o = {.seed = 41, .patients = 300, .facts = true, .cross = true};

	same_three_ways(&o);
}

Test(store_load_eval, rows_before_the_turn_are_left_to_the_recompute)
{
	for (unsigned seed = 51; seed <= 53; seed++) {
		struct pop o = {.seed = seed, .patients = 300, .facts = true,
				.late_every = 40, .bulk_after = 7 * seed};

		cr_assert_gt(same_three_ways(&o), 50, "seed %u", seed);
	}
}
