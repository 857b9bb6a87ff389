/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of the data anomalies of rules.md, the boundary cases that are not anomalies, and the precedence of the states. */
#include "engine_fixture.h"

/* A sound dossier (eligible 2020-03-15), to break one fact at a time. */
static void base(struct fx *x)
{
	fx_init(x);
	fx_born(x, "1950-01-01");
	fx_stay(x, "2000-03-01", "2000-03-15");
}

static size_t count_anomalies(const struct engine_result *r)
{
	return fx_count(r, ENGINE_RULE_ANOMALY);
}

/*
 * The result is an anomaly without a date, with a step for code a whose ref
 * is ref (unless NULL); alone: the only anomaly.
 */
static void expect_anomaly_at(struct fx *x, enum engine_anomaly a,
			      const char *ref, bool alone, const char *file,
			      int line)
{
	char rb[FX_DUMP], fb[FX_DUMP];
	const struct engine_step *s;

	fx_eval(x);
	fx_expect_at(x, ENGINE_ANOMALY, NULL, ENGINE_RULE_ANOMALY, file, line);
	fx_dump_result(&x->r, rb, sizeof(rb));
	fx_dump_facts(x, fb, sizeof(fb));
	s = fx_anomaly(&x->r, a);
	cr_assert(s != NULL, "%s:%d: no anomaly step with code %d\n  facts: %s\n  result: %s",
		  file, line, (int)a, fb, rb);
	if (ref != NULL)
		cr_assert(s->ref != NULL && strcmp(s->ref, ref) == 0,
			  "%s:%d: anomaly %d: ref %s, expected %s\n  result: %s",
			  file, line, (int)a, s->ref ? s->ref : "(null)", ref,
			  rb);
	if (alone)
		cr_assert(count_anomalies(&x->r) == 1 && x->r.n_dropped == 0,
			  "%s:%d: expected anomaly %d alone\n  facts: %s\n  result: %s",
			  file, line, (int)a, fb, rb);
}

#define EXPECT_ANOMALY(x, a, ref) \
	expect_anomaly_at((x), (a), (ref), true, __FILE__, __LINE__)
#define EXPECT_ANOMALY_AMONG(x, a, ref) \
	expect_anomaly_at((x), (a), (ref), false, __FILE__, __LINE__)

Test(anomaly, base_dossier_is_sound)
{
	struct fx x;

	base(&x);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_ELIGIBLE, "2020-03-15", ENGINE_RULE_GENERAL_20Y);
	cr_assert_eq(count_anomalies(&x.r), 0);
}

/* ------------------------------------------------------------ birth */

Test(anomaly, no_birth_date)
{
	struct fx x;

	base(&x);
	x.birth = DATE_NONE;
	EXPECT_ANOMALY(&x, ENGINE_ANOMALY_NO_BIRTH_DATE, NULL);
}

Test(anomaly, birth_in_the_future)
{
	struct fx x;

	/* Every encounter then starts before the birth too. */
	base(&x);
	fx_born(&x, "2026-11-22");
	EXPECT_ANOMALY_AMONG(&x, ENGINE_ANOMALY_BIRTH_IN_FUTURE, NULL);
}

Test(not_anomaly, born_today_seen_today)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, FX_TODAY);
	fx_stay(&x, FX_TODAY, FX_TODAY);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, "2054-11-21", ENGINE_RULE_MINOR_28);
}

/* ------------------------------------------------------------ death */

Test(anomaly, death_before_birth)
{
	struct fx x;

	/* The encounters, after the birth, then end after the death too. */
	base(&x);
	fx_died(&x, "1949-12-31");
	EXPECT_ANOMALY_AMONG(&x, ENGINE_ANOMALY_DEATH_BEFORE_BIRTH, NULL);
}

Test(anomaly, death_in_the_future)
{
	struct fx x;

	base(&x);
	fx_died(&x, "2026-11-22");
	EXPECT_ANOMALY(&x, ENGINE_ANOMALY_DEATH_IN_FUTURE, NULL);
}

Test(not_anomaly, death_today)
{
	struct fx x;

	base(&x);
	fx_stay(&x, "2026-11-01", FX_TODAY);
	fx_died(&x, FX_TODAY);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, "2036-11-21", ENGINE_RULE_DEATH_10Y);
}

Test(not_anomaly, death_on_the_birth_day)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "2020-05-05");
	fx_stay(&x, "2020-05-05", "2020-05-05");
	fx_died(&x, "2020-05-05");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, "2030-05-05", ENGINE_RULE_DEATH_10Y);
}

/* ------------------------------------------------------------ encounters */

Test(anomaly, encounter_starting_before_birth)
{
	struct fx x;

	base(&x);
	fx_consult(&x, "1949-12-31");
	EXPECT_ANOMALY(&x, ENGINE_ANOMALY_ENCOUNTER_BEFORE_BIRTH, "e1");
}

Test(anomaly, stay_starting_before_birth_ending_after)
{
	struct fx x;

	base(&x);
	fx_stay(&x, "1949-12-31", "1950-01-05");
	EXPECT_ANOMALY(&x, ENGINE_ANOMALY_ENCOUNTER_BEFORE_BIRTH, "e1");
}

Test(not_anomaly, encounter_on_the_birth_day)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "2010-06-01");
	fx_stay(&x, "2010-06-01", "2010-06-04");
	fx_consult(&x, "2010-06-01");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, "2038-06-01", ENGINE_RULE_MINOR_28);
}

Test(anomaly, encounter_starting_in_the_future)
{
	struct fx x;

	base(&x);
	fx_consult(&x, "2026-11-22");
	EXPECT_ANOMALY(&x, ENGINE_ANOMALY_ENCOUNTER_IN_FUTURE, "e1");
}

Test(anomaly, open_stay_starting_in_the_future)
{
	struct fx x;

	/* An anomaly, not an ongoing stay. */
	base(&x);
	fx_stay(&x, "2027-01-01", NULL);
	EXPECT_ANOMALY(&x, ENGINE_ANOMALY_ENCOUNTER_IN_FUTURE, "e1");
}

Test(anomaly, encounter_ending_in_the_future)
{
	struct fx x;

	base(&x);
	fx_stay(&x, "2026-11-01", "2026-11-22");
	EXPECT_ANOMALY(&x, ENGINE_ANOMALY_ENCOUNTER_IN_FUTURE, "e1");
}

Test(not_anomaly, encounter_ending_today)
{
	struct fx x;

	base(&x);
	fx_stay(&x, "2026-11-01", FX_TODAY);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, "2046-11-21", ENGINE_RULE_GENERAL_20Y);
}

Test(anomaly, encounter_ending_before_it_starts)
{
	struct fx x;

	base(&x);
	fx_stay(&x, "2005-03-15", "2005-03-14");
	EXPECT_ANOMALY(&x, ENGINE_ANOMALY_ENCOUNTER_ENDS_BEFORE_START, "e1");
}

Test(not_anomaly, one_day_stay)
{
	struct fx x;

	base(&x);
	fx_stay(&x, "2005-03-15", "2005-03-15");
	FX_BOUNDARY(&x, "2025-03-15", ENGINE_RULE_GENERAL_20Y);
}

Test(anomaly, stay_ending_after_the_death)
{
	struct fx x;

	base(&x);
	fx_stay(&x, "2005-01-10", "2005-01-20");
	fx_died(&x, "2005-01-19");
	EXPECT_ANOMALY(&x, ENGINE_ANOMALY_ENCOUNTER_AFTER_DEATH, "e1");
}

Test(anomaly, consultation_after_the_death)
{
	struct fx x;

	base(&x);
	fx_died(&x, "2005-01-19");
	fx_consult(&x, "2005-01-20");
	EXPECT_ANOMALY(&x, ENGINE_ANOMALY_ENCOUNTER_AFTER_DEATH, "e1");
}

Test(not_anomaly, stay_ending_on_the_day_of_death)
{
	struct fx x;

	base(&x);
	fx_stay(&x, "2005-01-10", "2005-01-20");
	fx_died(&x, "2005-01-20");
	FX_BOUNDARY(&x, "2015-01-20", ENGINE_RULE_DEATH_10Y);
	fx_eval(&x);
	cr_assert_eq(count_anomalies(&x.r), 0);
}

Test(not_anomaly, open_stay_of_a_deceased_patient_is_ongoing)
{
	struct fx x;

	base(&x);
	fx_stay(&x, "2005-01-10", NULL);
	fx_died(&x, "2005-01-20");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, NULL, ENGINE_RULE_ONGOING_STAY);
	cr_assert_eq(count_anomalies(&x.r), 0);
}

/* ------------------------------------------------------------ transfusions */

Test(anomaly, transfusion_before_birth)
{
	struct fx x;

	base(&x);
	fx_transfusion(&x, "1949-12-31");
	EXPECT_ANOMALY(&x, ENGINE_ANOMALY_TRANSFUSION_BEFORE_BIRTH, "t0");
}

Test(not_anomaly, transfusion_on_the_birth_day)
{
	struct fx x;

	base(&x);
	fx_transfusion(&x, "1950-01-01");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_ELIGIBLE, "2020-03-15", ENGINE_RULE_GENERAL_20Y);
}

Test(anomaly, transfusion_after_the_death)
{
	struct fx x;

	base(&x);
	fx_died(&x, "2005-01-20");
	fx_transfusion(&x, "2005-01-21");
	EXPECT_ANOMALY(&x, ENGINE_ANOMALY_TRANSFUSION_AFTER_DEATH, "t0");
}

Test(not_anomaly, transfusion_on_the_day_of_death)
{
	struct fx x;

	base(&x);
	fx_stay(&x, "2005-01-10", "2005-01-20");
	fx_transfusion(&x, "2005-01-20");
	fx_died(&x, "2005-01-20");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, "2035-01-20",
		  ENGINE_RULE_TRANSFUSION_30Y);
}

Test(anomaly, transfusion_in_the_future)
{
	struct fx x;

	base(&x);
	fx_transfusion(&x, "2026-11-22");
	EXPECT_ANOMALY(&x, ENGINE_ANOMALY_TRANSFUSION_IN_FUTURE, "t0");
}

Test(not_anomaly, transfusion_today)
{
	struct fx x;

	base(&x);
	fx_transfusion(&x, FX_TODAY);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, "2056-11-21",
		  ENGINE_RULE_TRANSFUSION_30Y);
}

/* ------------------------------------------------------------ litigations */

Test(anomaly, litigation_opened_in_the_future)
{
	struct fx x;

	/* An anomaly, not held. */
	base(&x);
	fx_litigation(&x, "2026-11-22", NULL);
	EXPECT_ANOMALY(&x, ENGINE_ANOMALY_LITIGATION_IN_FUTURE, "l0");
}

Test(anomaly, litigation_closed_before_it_opened)
{
	struct fx x;

	base(&x);
	fx_litigation(&x, "2005-01-02", "2005-01-01");
	EXPECT_ANOMALY(&x, ENGINE_ANOMALY_LITIGATION_CLOSED_BEFORE_OPENED,
		       "l0");
}

Test(anomaly, litigation_closed_in_the_future)
{
	struct fx x;

	base(&x);
	fx_litigation(&x, "2026-11-01", "2026-11-22");
	EXPECT_ANOMALY(&x, ENGINE_ANOMALY_LITIGATION_CLOSED_IN_FUTURE, "l0");
}

Test(not_anomaly, litigation_opened_today_is_held)
{
	struct fx x;

	base(&x);
	fx_litigation(&x, FX_TODAY, NULL);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_HELD, NULL, ENGINE_RULE_LITIGATION_SUSPENSION);
	cr_assert_eq(count_anomalies(&x.r), 0);
}

Test(not_anomaly, litigation_opened_and_closed_today)
{
	struct fx x;

	/* Opens after 2020-03-15: not counted. */
	base(&x);
	fx_litigation(&x, FX_TODAY, FX_TODAY);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_ELIGIBLE, "2020-03-15", ENGINE_RULE_GENERAL_20Y);
}

Test(not_anomaly, litigation_before_birth)
{
	struct fx x;

	/* rules.md lists no such anomaly; it cannot count either. */
	base(&x);
	fx_litigation(&x, "1940-01-01", "1940-12-31");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_ELIGIBLE, "2020-03-15", ENGINE_RULE_GENERAL_20Y);
}

/* ------------------------------------------------------------ no encounter */

Test(anomaly, no_encounter_at_all)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "1950-01-01");
	EXPECT_ANOMALY(&x, ENGINE_ANOMALY_NO_ENCOUNTER, NULL);
}

Test(anomaly, no_encounter_but_a_transfusion)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "1950-01-01");
	fx_transfusion(&x, "2000-01-01");
	EXPECT_ANOMALY(&x, ENGINE_ANOMALY_NO_ENCOUNTER, NULL);
}

/* ------------------------------------------------------------ precedence */

Test(precedence, anomaly_beats_everything)
{
	struct fx x;

	base(&x);
	fx_stay(&x, "2026-11-01", NULL);         /* ongoing */
	fx_litigation(&x, "2026-01-01", NULL);   /* held */
	fx_hold(&x, "audit");                    /* held */
	fx_transfusion(&x, "2026-12-01");        /* anomaly */
	EXPECT_ANOMALY(&x, ENGINE_ANOMALY_TRANSFUSION_IN_FUTURE, "t0");
}

Test(precedence, anomaly_beats_a_hold)
{
	struct fx x;

	base(&x);
	x.birth = DATE_NONE;
	fx_hold(&x, "audit");
	EXPECT_ANOMALY(&x, ENGINE_ANOMALY_NO_BIRTH_DATE, NULL);
}

Test(precedence, hold_beats_ongoing_stay)
{
	struct fx x;

	base(&x);
	fx_stay(&x, "2026-11-01", NULL);
	fx_hold(&x, "audit");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_HELD, NULL, ENGINE_RULE_DIRECTOR_HOLD);
}

Test(precedence, open_litigation_beats_ongoing_stay)
{
	struct fx x;

	base(&x);
	fx_stay(&x, "2026-11-01", NULL);
	fx_litigation(&x, "2026-01-01", NULL);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_HELD, NULL, ENGINE_RULE_LITIGATION_SUSPENSION);
}

Test(precedence, hold_and_open_litigation_both_listed)
{
	struct fx x;

	base(&x);
	fx_litigation(&x, "2026-01-01", NULL);
	fx_hold(&x, "audit");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_HELD, NULL, FX_ANY_RULE);
	FX_NEED_STEP(&x, ENGINE_RULE_DIRECTOR_HOLD);
	FX_NEED_STEP(&x, ENGINE_RULE_LITIGATION_SUSPENSION);
}

Test(precedence, ongoing_stay_beats_the_date)
{
	struct fx x;

	base(&x);
	fx_stay(&x, "2010-01-01", NULL);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, NULL, ENGINE_RULE_ONGOING_STAY);
}

/* ------------------------------------------------------------ several */

Test(several, all_listed)
{
	struct fx x;

	base(&x);
	fx_died(&x, "2026-11-22");                      /* death in future */
	fx_stay(&x, "2005-03-15", "2005-03-14");        /* e1 ends before */
	fx_transfusion(&x, "1949-06-01");               /* t0 before birth */
	fx_litigation(&x, "2005-01-02", "2005-01-01");  /* l0 closed before */
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_ANOMALY, NULL, ENGINE_RULE_ANOMALY);
	cr_assert_eq(count_anomalies(&x.r), 4);
	cr_assert_eq(x.r.n_dropped, 0);
	EXPECT_ANOMALY_AMONG(&x, ENGINE_ANOMALY_DEATH_IN_FUTURE, NULL);
	EXPECT_ANOMALY_AMONG(&x, ENGINE_ANOMALY_ENCOUNTER_ENDS_BEFORE_START,
			     "e1");
	EXPECT_ANOMALY_AMONG(&x, ENGINE_ANOMALY_TRANSFUSION_BEFORE_BIRTH, "t0");
	EXPECT_ANOMALY_AMONG(&x, ENGINE_ANOMALY_LITIGATION_CLOSED_BEFORE_OPENED,
			     "l0");
}

Test(several, same_anomaly_on_several_records)
{
	struct fx x;
	bool seen1 = false, seen3 = false;

	base(&x);
	fx_consult(&x, "2027-01-01");
	fx_consult(&x, "2020-01-01");
	fx_consult(&x, "2028-01-01");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_ANOMALY, NULL, ENGINE_RULE_ANOMALY);
	cr_assert_eq(count_anomalies(&x.r), 2);
	for (size_t i = 0; i < x.r.n_steps; i++) {
		const struct engine_step *s = &x.r.steps[i];

		if (s->rule != ENGINE_RULE_ANOMALY || s->ref == NULL)
			continue;
		seen1 |= strcmp(s->ref, "e1") == 0;
		seen3 |= strcmp(s->ref, "e3") == 0;
	}
	cr_assert(seen1 && seen3, "both encounters named");
}

Test(several, more_than_the_step_table_holds_are_counted)
{
	struct fx x;

	base(&x);
	for (int i = 0; i < 40; i++)
		fx_add_transfusion(&x, date_add_days(D("2026-11-22"), i));
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_ANOMALY, NULL, ENGINE_RULE_ANOMALY);
	cr_assert_leq(x.r.n_steps, (size_t)ENGINE_MAX_STEPS);
	cr_assert_eq(count_anomalies(&x.r) + x.r.n_dropped, (size_t)40,
		     "%zu listed + %zu dropped", count_anomalies(&x.r),
		     x.r.n_dropped);
}
