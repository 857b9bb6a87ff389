/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of each retention rule of rules.md (20 years, 28th birthday, death, transfusions, ongoing stay, hold) at its boundaries. */
#include "engine_fixture.h"

/* Born 1950-01-01: an adult whatever the encounter dates below. */
static void adult(struct fx *x)
{
	fx_init(x);
	fx_born(x, "1950-01-01");
}

/* ------------------------------------------------------------ rule 1 */

Test(general, stay_counts_from_discharge)
{
	struct fx x;
	const struct engine_step *s;

	adult(&x);
	fx_stay(&x, "2000-03-01", "2000-03-15");
	FX_BOUNDARY(&x, "2020-03-15", ENGINE_RULE_GENERAL_20Y);
	fx_eval(&x);
	s = FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y);
	FX_ASSERT_DATE(s->start, D("2000-03-15"));
	FX_ASSERT_DATE(s->base_until, D("2020-03-15"));
	FX_ASSERT_DATE(s->until, D("2020-03-15"));
	cr_assert_eq(s->years, 20);
	cr_assert_eq(s->suspended_days, 0);
	cr_assert(s->governs);
	cr_assert_not(s->superseded);
}

Test(general, long_stay_counts_from_discharge_not_admission)
{
	struct fx x;

	adult(&x);
	fx_stay(&x, "1999-12-20", "2000-01-10");
	FX_BOUNDARY(&x, "2020-01-10", ENGINE_RULE_GENERAL_20Y);
}

Test(general, consultation_without_end_counts_from_its_date)
{
	struct fx x;

	adult(&x);
	fx_consult(&x, "2001-06-10");
	FX_BOUNDARY(&x, "2021-06-10", ENGINE_RULE_GENERAL_20Y);
	fx_eval(&x);
	FX_ASSERT_DATE(FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y)->start,
		       D("2001-06-10"));
}

Test(general, emergency_without_end_counts_from_its_date)
{
	struct fx x;

	adult(&x);
	fx_emergency(&x, "2002-07-14");
	FX_BOUNDARY(&x, "2022-07-14", ENGINE_RULE_GENERAL_20Y);
}

Test(general, consultation_with_end_counts_from_its_end)
{
	struct fx x;

	adult(&x);
	fx_enc(&x, ENGINE_KIND_CONSULTATION, "2001-06-10", "2001-06-11");
	FX_BOUNDARY(&x, "2021-06-11", ENGINE_RULE_GENERAL_20Y);
}

Test(general, last_encounter_across_all_kinds)
{
	struct fx x;

	adult(&x);
	fx_stay(&x, "1990-05-01", "1990-05-20");
	fx_consult(&x, "2003-05-05");
	fx_stay(&x, "2000-01-01", "2000-01-20");
	fx_enc(&x, ENGINE_KIND_EMERGENCY, "2002-01-01", "2002-01-02");
	FX_BOUNDARY(&x, "2023-05-05", ENGINE_RULE_GENERAL_20Y);
	fx_eval(&x);
	FX_ASSERT_DATE(FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y)->start,
		       D("2003-05-05"));
}

Test(general, emergency_can_be_the_last_passage)
{
	struct fx x;

	adult(&x);
	fx_stay(&x, "2000-01-01", "2000-01-20");
	fx_emergency(&x, "2010-10-10");
	fx_consult(&x, "2005-01-01");
	FX_BOUNDARY(&x, "2030-10-10", ENGINE_RULE_GENERAL_20Y);
}

Test(general, latest_end_not_latest_start)
{
	struct fx x;

	/* The consultation starts last, the stay ends last. */
	adult(&x);
	fx_consult(&x, "2001-06-01");
	fx_stay(&x, "2001-01-01", "2001-12-31");
	fx_emergency(&x, "2001-11-30");
	FX_BOUNDARY(&x, "2021-12-31", ENGINE_RULE_GENERAL_20Y);
	fx_eval(&x);
	FX_ASSERT_DATE(FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y)->start,
		       D("2001-12-31"));
}

/* ------------------------------------------------------------ rule 2 */

Test(minor, last_encounter_the_day_before_the_8th_birthday)
{
	struct fx x;
	const struct engine_step *m, *g;

	fx_init(&x);
	fx_born(&x, "2000-03-15");
	fx_consult(&x, "2008-03-14");
	/* 20 years end 2028-03-14, before the 28th birthday 2028-03-15. */
	FX_BOUNDARY(&x, "2028-03-15", ENGINE_RULE_MINOR_28);
	fx_eval_on(&x, "2030-01-01");
	m = FX_NEED_STEP(&x, ENGINE_RULE_MINOR_28);
	FX_ASSERT_DATE(m->base_until, D("2028-03-15"));
	FX_ASSERT_DATE(m->until, D("2028-03-15"));
	FX_ASSERT_DATE(m->start, D("2008-03-14"));
	cr_assert(m->governs);
	cr_assert_not(m->superseded);
	g = FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y);
	FX_ASSERT_DATE(g->until, D("2028-03-14"));
	cr_assert_not(g->governs);
}

Test(minor, last_encounter_on_the_8th_birthday)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "2000-03-15");
	fx_consult(&x, "2008-03-15");
	/* 20 years end on the 28th birthday itself: rule 1 is enough. */
	FX_BOUNDARY(&x, "2028-03-15", ENGINE_RULE_GENERAL_20Y);
	fx_eval_on(&x, "2030-01-01");
	cr_assert_eq(fx_count(&x.r, ENGINE_RULE_MINOR_28), 0,
		     "minor_28 is listed only when strictly later");
}

Test(minor, last_encounter_the_day_after_the_8th_birthday)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "2000-03-15");
	fx_consult(&x, "2008-03-16");
	FX_BOUNDARY(&x, "2028-03-16", ENGINE_RULE_GENERAL_20Y);
	fx_eval_on(&x, "2030-01-01");
	cr_assert_eq(fx_count(&x.r, ENGINE_RULE_MINOR_28), 0);
}

Test(minor, newborn)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "2010-05-05");
	fx_stay(&x, "2010-05-05", "2010-05-08");
	FX_BOUNDARY(&x, "2038-05-05", ENGINE_RULE_MINOR_28);
}

Test(minor, later_adult_encounter_ends_the_minor_rule)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "2000-03-15");
	fx_stay(&x, "2003-01-01", "2003-01-05");
	fx_consult(&x, "2019-06-01");
	FX_BOUNDARY(&x, "2039-06-01", ENGINE_RULE_GENERAL_20Y);
}

/* ------------------------------------------------------------ rule 3 */

static void early_death_base(struct fx *x)
{
	fx_init(x);
	fx_born(x, "1930-01-01");
	fx_stay(x, "2005-01-10", "2005-01-20");
}

Test(death, one_day_less_than_10_years_applies)
{
	struct fx x;
	const struct engine_step *d, *g;

	early_death_base(&x);
	fx_died(&x, "2015-01-19");
	FX_BOUNDARY(&x, "2025-01-19", ENGINE_RULE_DEATH_10Y);
	fx_eval(&x);
	d = FX_NEED_STEP(&x, ENGINE_RULE_DEATH_10Y);
	FX_ASSERT_DATE(d->start, D("2015-01-19"));
	FX_ASSERT_DATE(d->base_until, D("2025-01-19"));
	cr_assert_eq(d->years, 10);
	cr_assert_not(d->superseded);
	g = FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y);
	cr_assert(g->superseded, "the death rule replaces rule 1");
	cr_assert_not(g->governs);
	FX_ASSERT_DATE(g->until, D("2025-01-20"));
}

Test(death, exactly_10_years_does_not_apply)
{
	struct fx x;
	const struct engine_step *g, *d;

	early_death_base(&x);
	fx_died(&x, "2015-01-20");
	FX_BOUNDARY(&x, "2025-01-20", ENGINE_RULE_GENERAL_20Y);
	fx_eval(&x);
	g = FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y);
	cr_assert_not(g->superseded);
	d = fx_step(&x.r, ENGINE_RULE_DEATH_10Y);
	cr_assert(d == NULL || !d->governs);
}

Test(death, more_than_10_years_does_not_apply)
{
	struct fx x;

	early_death_base(&x);
	fx_died(&x, "2016-06-01");
	FX_BOUNDARY(&x, "2025-01-20", ENGINE_RULE_GENERAL_20Y);
}

Test(death, shortly_after_discharge)
{
	struct fx x;

	early_death_base(&x);
	fx_died(&x, "2005-02-01");
	FX_BOUNDARY(&x, "2015-02-01", ENGINE_RULE_DEATH_10Y);
}

Test(death, on_the_day_of_discharge)
{
	struct fx x;

	early_death_base(&x);
	fx_died(&x, "2005-01-20");
	FX_BOUNDARY(&x, "2015-01-20", ENGINE_RULE_DEATH_10Y);
}

Test(death, replaces_the_28th_birthday_of_a_deceased_minor)
{
	struct fx x;
	const struct engine_step *m, *g;

	fx_init(&x);
	fx_born(&x, "2000-01-01");
	fx_stay(&x, "2001-06-01", "2001-06-03");
	fx_died(&x, "2005-06-01");
	/* Shorter than both 2021-06-03 and the 28th birthday 2028-01-01. */
	FX_BOUNDARY(&x, "2015-06-01", ENGINE_RULE_DEATH_10Y);
	fx_eval(&x);
	cr_assert_eq(x.r.status, ENGINE_ELIGIBLE);
	m = FX_NEED_STEP(&x, ENGINE_RULE_MINOR_28);
	cr_assert(m->superseded);
	cr_assert_not(m->governs);
	FX_ASSERT_DATE(m->base_until, D("2028-01-01"));
	g = FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y);
	cr_assert(g->superseded);
	cr_assert_not(g->governs);
}

Test(death, deceased_minor_exactly_10_years_keeps_the_birthday)
{
	struct fx x;
	const struct engine_step *m;

	fx_init(&x);
	fx_born(&x, "2000-01-01");
	fx_stay(&x, "2001-06-01", "2001-06-03");
	fx_died(&x, "2011-06-03");
	FX_BOUNDARY(&x, "2028-01-01", ENGINE_RULE_MINOR_28);
	fx_eval(&x);
	m = FX_NEED_STEP(&x, ENGINE_RULE_MINOR_28);
	cr_assert_not(m->superseded);
}

Test(death, deceased_minor_one_day_less)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "2000-01-01");
	fx_stay(&x, "2001-06-01", "2001-06-03");
	fx_died(&x, "2011-06-02");
	FX_BOUNDARY(&x, "2021-06-02", ENGINE_RULE_DEATH_10Y);
}

Test(death, counts_from_the_last_encounter_of_any_kind)
{
	struct fx x;

	/* Stay ended 2000, but an emergency visit in 2006: the death in 2015
	 * is within 10 years of the last passage. */
	fx_init(&x);
	fx_born(&x, "1930-01-01");
	fx_stay(&x, "2000-01-01", "2000-01-05");
	fx_emergency(&x, "2006-01-01");
	fx_died(&x, "2015-12-31");
	FX_BOUNDARY(&x, "2025-12-31", ENGINE_RULE_DEATH_10Y);
}

/* ------------------------------------------------------------ rule 4 */

Test(transfusion, governs_when_later)
{
	struct fx x;
	const struct engine_step *t, *g;

	adult(&x);
	fx_stay(&x, "2000-03-01", "2000-03-15");
	fx_transfusion(&x, "2000-03-02");
	FX_BOUNDARY(&x, "2030-03-02", ENGINE_RULE_TRANSFUSION_30Y);
	fx_eval(&x);
	t = FX_NEED_STEP(&x, ENGINE_RULE_TRANSFUSION_30Y);
	FX_ASSERT_DATE(t->start, D("2000-03-02"));
	FX_ASSERT_DATE(t->base_until, D("2030-03-02"));
	cr_assert_eq(t->years, 30);
	cr_assert_eq(t->count, (size_t)1);
	cr_assert(t->ref != NULL && strcmp(t->ref, "t0") == 0);
	g = FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y);
	FX_ASSERT_DATE(g->until, D("2020-03-15"));
	cr_assert_not(g->governs);
	cr_assert_not(g->superseded);
}

Test(transfusion, does_not_govern_when_earlier)
{
	struct fx x;
	const struct engine_step *t;

	adult(&x);
	fx_transfusion(&x, "1985-01-01");
	fx_stay(&x, "2009-12-20", "2010-01-01");
	FX_BOUNDARY(&x, "2030-01-01", ENGINE_RULE_GENERAL_20Y);
	fx_eval(&x);
	t = FX_NEED_STEP(&x, ENGINE_RULE_TRANSFUSION_30Y);
	FX_ASSERT_DATE(t->until, D("2015-01-01"));
	cr_assert_not(t->governs);
}

Test(transfusion, tie_goes_to_the_legal_clock)
{
	struct fx x;

	adult(&x);
	fx_transfusion(&x, "1990-03-15");
	fx_stay(&x, "2000-03-01", "2000-03-15");
	FX_BOUNDARY(&x, "2020-03-15", ENGINE_RULE_GENERAL_20Y);
}

Test(transfusion, one_day_later_than_the_legal_clock)
{
	struct fx x;

	adult(&x);
	fx_transfusion(&x, "1990-03-16");
	fx_stay(&x, "2000-03-01", "2000-03-15");
	FX_BOUNDARY(&x, "2020-03-16", ENGINE_RULE_TRANSFUSION_30Y);
}

Test(transfusion, several_acts_latest_clock_and_count)
{
	struct fx x;
	const struct engine_step *t;

	adult(&x);
	fx_stay(&x, "2000-01-01", "2000-01-10");
	fx_transfusion(&x, "2000-01-02");
	fx_transfusion(&x, "2002-05-05");
	fx_transfusion(&x, "2001-01-01");
	FX_BOUNDARY(&x, "2032-05-05", ENGINE_RULE_TRANSFUSION_30Y);
	fx_eval(&x);
	t = FX_NEED_STEP(&x, ENGINE_RULE_TRANSFUSION_30Y);
	cr_assert_eq(t->count, (size_t)3);
	FX_ASSERT_DATE(t->start, D("2002-05-05"));
	cr_assert(t->ref != NULL && strcmp(t->ref, "t1") == 0,
		  "ref is the id of the act shown, got %s",
		  t->ref ? t->ref : "(null)");
	cr_assert_eq(fx_count(&x.r, ENGINE_RULE_TRANSFUSION_30Y), 1,
		     "one transfusion step for all the acts");
}

Test(transfusion, governs_over_the_death_rule)
{
	struct fx x;
	const struct engine_step *d, *g;

	fx_init(&x);
	fx_born(&x, "1930-01-01");
	fx_stay(&x, "2005-01-10", "2005-01-20");
	fx_transfusion(&x, "2005-01-15");
	fx_died(&x, "2008-02-01");
	FX_BOUNDARY(&x, "2035-01-15", ENGINE_RULE_TRANSFUSION_30Y);
	fx_eval(&x);
	d = FX_NEED_STEP(&x, ENGINE_RULE_DEATH_10Y);
	FX_ASSERT_DATE(d->until, D("2018-02-01"));
	cr_assert_not(d->governs);
	g = FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y);
	cr_assert(g->superseded);
}

/* ------------------------------------------------------------ 29 February */

Test(feb29, born_29feb_28th_birthday_in_1900_is_28feb)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "1872-02-29");
	fx_consult(&x, "1879-06-01");
	/* 1900 is not a leap year: the 28th birthday is 1900-02-28. */
	FX_BOUNDARY(&x, "1900-02-28", ENGINE_RULE_MINOR_28);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_ELIGIBLE, "1900-02-28", ENGINE_RULE_MINOR_28);
}

Test(feb29, born_29feb_28th_birthday_in_2100_is_28feb)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "2072-02-29");
	fx_consult(&x, "2079-01-01");
	FX_BOUNDARY(&x, "2100-02-28", ENGINE_RULE_MINOR_28);
}

Test(feb29, born_29feb_28th_birthday_in_a_leap_year_is_29feb)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "2000-02-29");
	fx_consult(&x, "2003-01-01");
	FX_BOUNDARY(&x, "2028-02-29", ENGINE_RULE_MINOR_28);
}

Test(feb29, born_29feb_8th_birthday_boundary)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "2000-02-29");
	fx_consult(&x, "2008-02-28");
	FX_BOUNDARY(&x, "2028-02-29", ENGINE_RULE_MINOR_28);

	fx_init(&x);
	fx_born(&x, "2000-02-29");
	fx_consult(&x, "2008-02-29");
	FX_BOUNDARY(&x, "2028-02-29", ENGINE_RULE_GENERAL_20Y);
}

Test(feb29, stay_ending_29feb_leap_target)
{
	struct fx x;

	adult(&x);
	fx_stay(&x, "2004-02-20", "2004-02-29");
	FX_BOUNDARY(&x, "2024-02-29", ENGINE_RULE_GENERAL_20Y);
}

Test(feb29, stay_ending_29feb_non_leap_target)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "1850-01-01");
	fx_stay(&x, "1880-02-20", "1880-02-29");
	FX_BOUNDARY(&x, "1900-02-28", ENGINE_RULE_GENERAL_20Y);
}

Test(feb29, death_on_29feb)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "1930-01-01");
	fx_stay(&x, "2005-01-10", "2005-01-20");
	fx_died(&x, "2008-02-29");
	FX_BOUNDARY(&x, "2018-02-28", ENGINE_RULE_DEATH_10Y);
}

Test(feb29, transfusion_on_29feb)
{
	struct fx x;

	adult(&x);
	fx_transfusion(&x, "2000-02-29");
	fx_stay(&x, "2000-02-28", "2000-03-15");
	FX_BOUNDARY(&x, "2030-02-28", ENGINE_RULE_TRANSFUSION_30Y);
}

Test(feb29, death_exactly_10_years_after_a_29feb_encounter)
{
	struct fx x;

	/* 10 years after 2004-02-29 end on 2014-02-28 (CPC art. 641). */
	adult(&x);
	fx_consult(&x, "2004-02-29");
	fx_died(&x, "2014-02-28");
	FX_BOUNDARY(&x, "2024-02-29", ENGINE_RULE_GENERAL_20Y);
}

Test(feb29, death_one_day_less_than_10_years_after_a_29feb_encounter)
{
	struct fx x;

	adult(&x);
	fx_consult(&x, "2004-02-29");
	fx_died(&x, "2014-02-27");
	FX_BOUNDARY(&x, "2024-02-27", ENGINE_RULE_DEATH_10Y);
}

Test(feb29, later_encounter_shortens_an_adult_by_one_day)
{
	struct fx x;

	/*
	 * The documented non-monotonicity, for an adult with the legal
	 * durations: the death 2014-02-28 is exactly 10 years after
	 * 2004-02-29 (2024-02-29 by rule 1); a consultation on the day of
	 * death brings rule 3 in: 2014-02-28 + 10 years = 2024-02-28.
	 */
	adult(&x);
	fx_consult(&x, "2004-02-29");
	fx_died(&x, "2014-02-28");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_ELIGIBLE, "2024-02-29", ENGINE_RULE_GENERAL_20Y);
	fx_consult(&x, "2014-02-28");
	FX_BOUNDARY(&x, "2024-02-28", ENGINE_RULE_DEATH_10Y);
}

/* ------------------------------------------------------------ ongoing stay */

Test(ongoing, stay_without_end)
{
	struct fx x;
	const struct engine_step *o;

	adult(&x);
	fx_stay(&x, "2026-11-01", NULL);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, NULL, ENGINE_RULE_ONGOING_STAY);
	o = FX_NEED_STEP(&x, ENGINE_RULE_ONGOING_STAY);
	FX_ASSERT_DATE(o->start, D("2026-11-01"));
	cr_assert(o->ref != NULL && strcmp(o->ref, "e0") == 0);
}

Test(ongoing, old_open_stay_even_when_other_dates_passed)
{
	struct fx x;
	const struct engine_step *o;

	adult(&x);
	fx_consult(&x, "1995-01-01");
	fx_stay(&x, "1990-01-01", NULL);
	fx_consult(&x, "1996-01-01");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, NULL, ENGINE_RULE_ONGOING_STAY);
	o = FX_NEED_STEP(&x, ENGINE_RULE_ONGOING_STAY);
	cr_assert(o->ref != NULL && strcmp(o->ref, "e1") == 0);
}

Test(ongoing, one_step_per_open_stay)
{
	struct fx x;

	adult(&x);
	fx_stay(&x, "2026-10-01", NULL);
	fx_stay(&x, "2020-01-01", "2020-01-05");
	fx_stay(&x, "2026-11-20", NULL);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, NULL, ENGINE_RULE_ONGOING_STAY);
	cr_assert_eq(fx_count(&x.r, ENGINE_RULE_ONGOING_STAY), 2);
}

Test(ongoing, many_open_stays_fit_the_step_table)
{
	struct fx x;

	adult(&x);
	for (int i = 0; i < 40; i++)
		fx_add_enc(&x, ENGINE_KIND_STAY,
			   date_add_days(D("2026-10-01"), i), DATE_NONE);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, NULL, ENGINE_RULE_ONGOING_STAY);
	cr_assert_leq(x.r.n_steps, (size_t)ENGINE_MAX_STEPS);
}

Test(ongoing, beats_a_later_transfusion_date)
{
	struct fx x;

	adult(&x);
	fx_transfusion(&x, "2026-01-01");
	fx_stay(&x, "2025-12-31", NULL);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, NULL, ENGINE_RULE_ONGOING_STAY);
}

Test(ongoing, consultation_without_end_is_not_ongoing)
{
	struct fx x;

	adult(&x);
	fx_consult(&x, "1990-01-01");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_ELIGIBLE, "2010-01-01", ENGINE_RULE_GENERAL_20Y);
	cr_assert_eq(fx_count(&x.r, ENGINE_RULE_ONGOING_STAY), 0);
}

Test(ongoing, emergency_without_end_is_not_ongoing)
{
	struct fx x;

	adult(&x);
	fx_emergency(&x, "2026-11-21");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, "2046-11-21", ENGINE_RULE_GENERAL_20Y);
	cr_assert_eq(fx_count(&x.r, ENGINE_RULE_ONGOING_STAY), 0);
}

/* ------------------------------------------------------------ hold */

Test(hold, director_hold_on_an_expired_dossier)
{
	struct fx x;
	const struct engine_step *h;

	adult(&x);
	fx_stay(&x, "2000-03-01", "2000-03-15");
	fx_hold(&x, "audit 2026");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_HELD, NULL, ENGINE_RULE_DIRECTOR_HOLD);
	h = FX_NEED_STEP(&x, ENGINE_RULE_DIRECTOR_HOLD);
	cr_assert(h->ref != NULL && strcmp(h->ref, "audit 2026") == 0,
		  "ref is the reason");
	/* The clocks stay listed, none governing, for the archivist. */
	FX_ASSERT_DATE(FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y)->until,
		       D("2020-03-15"));
}

Test(hold, director_hold_on_a_retained_dossier)
{
	struct fx x;

	adult(&x);
	fx_stay(&x, "2020-03-01", "2020-03-15");
	fx_hold(&x, "research");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_HELD, NULL, ENGINE_RULE_DIRECTOR_HOLD);
}

Test(hold, released_hold_gives_the_date_back)
{
	struct fx x;

	adult(&x);
	fx_stay(&x, "2000-03-01", "2000-03-15");
	fx_hold(&x, "audit");
	x.held = false;
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_ELIGIBLE, "2020-03-15", ENGINE_RULE_GENERAL_20Y);
	cr_assert_eq(fx_count(&x.r, ENGINE_RULE_DIRECTOR_HOLD), 0);
}

/* ------------------------------------------------------------ steps */

Test(steps, rule_names)
{
	cr_assert_str_eq(engine_rule_name(ENGINE_RULE_GENERAL_20Y), "general_20y");
	cr_assert_str_eq(engine_rule_name(ENGINE_RULE_MINOR_28), "minor_28");
	cr_assert_str_eq(engine_rule_name(ENGINE_RULE_DEATH_10Y), "death_10y");
	cr_assert_str_eq(engine_rule_name(ENGINE_RULE_TRANSFUSION_30Y),
			 "transfusion_30y");
	cr_assert_str_eq(engine_rule_name(ENGINE_RULE_LITIGATION_SUSPENSION),
			 "litigation_suspension");
	cr_assert_str_eq(engine_rule_name(ENGINE_RULE_POLICY), "policy");
	cr_assert_str_eq(engine_rule_name(ENGINE_RULE_DIRECTOR_HOLD),
			 "director_hold");
	cr_assert_str_eq(engine_rule_name(ENGINE_RULE_ONGOING_STAY),
			 "ongoing_stay");
	cr_assert_str_eq(engine_rule_name(ENGINE_RULE_ANOMALY), "anomaly");
}

Test(steps, citations)
{
	static const enum engine_rule r1112[] = {
		ENGINE_RULE_GENERAL_20Y, ENGINE_RULE_MINOR_28,
		ENGINE_RULE_DEATH_10Y, ENGINE_RULE_LITIGATION_SUSPENSION,
	};
	const char *c;

	for (size_t i = 0; i < sizeof(r1112) / sizeof(r1112[0]); i++) {
		c = engine_rule_citation(r1112[i]);
		cr_assert(c != NULL && strstr(c, "R1112-7") != NULL,
			  "%s cites R1112-7, got \"%s\"", fx_rule_str(r1112[i]),
			  c ? c : "(null)");
	}
	c = engine_rule_citation(ENGINE_RULE_TRANSFUSION_30Y);
	cr_assert(c != NULL && strstr(c, "2007-322") != NULL,
		  "transfusion cites instruction 2007-322, got \"%s\"",
		  c ? c : "(null)");
	c = engine_rule_citation(ENGINE_RULE_POLICY);
	cr_assert(c != NULL && c[0] != '\0');
	for (int r = ENGINE_RULE_GENERAL_20Y; r <= ENGINE_RULE_ANOMALY; r++)
		cr_assert(engine_rule_citation((enum engine_rule)r) != NULL,
			  "citation of %s", fx_rule_str(r));
}

Test(steps, status_names)
{
	static const char *const names[] = {"retained", "eligible", "held",
					    "anomaly"};

	for (int s = 0; s < 4; s++) {
		cr_assert_str_eq(engine_status_name((enum engine_status)s),
				 names[s]);
		cr_assert_eq(engine_status_from_name(names[s]), s);
	}
	cr_assert_eq(engine_status_from_name("kept"), -EINVAL);
	cr_assert_eq(engine_status_from_name(""), -EINVAL);
	cr_assert_eq(engine_status_from_name("Eligible"), -EINVAL);
}

Test(steps, anomaly_names)
{
	cr_assert_str_eq(engine_anomaly_name(ENGINE_ANOMALY_NO_BIRTH_DATE),
			 "no_birth_date");
	for (int a = ENGINE_ANOMALY_NO_BIRTH_DATE;
	     a <= ENGINE_ANOMALY_NO_ENCOUNTER; a++) {
		const char *n = engine_anomaly_name((enum engine_anomaly)a);

		cr_assert(n != NULL && n[0] != '\0', "name of anomaly %d", a);
		for (int b = ENGINE_ANOMALY_NO_BIRTH_DATE; b < a; b++)
			cr_assert_str_neq(n, engine_anomaly_name(
						     (enum engine_anomaly)b),
					  "anomalies %d and %d share a name", a,
					  b);
	}
}

Test(steps, exactly_one_governs_in_a_full_dossier)
{
	struct fx x;
	const struct engine_step *g;

	fx_init(&x);
	fx_born(&x, "2000-01-01");
	fx_stay(&x, "2001-06-01", "2001-06-03");
	fx_transfusion(&x, "2001-06-02");
	fx_litigation(&x, "2002-01-01", "2002-01-31");
	fx_died(&x, "2005-06-01");
	fx_eval(&x);
	/* death 2015-06-01, transfusion 2031-06-02 + 31 days = 2031-07-03. */
	FX_EXPECT(&x, ENGINE_RETAINED, "2031-07-03",
		  ENGINE_RULE_TRANSFUSION_30Y);
	g = fx_governing(&x.r);
	cr_assert_eq(g->suspended_days, 31);
	FX_ASSERT_DATE(g->base_until, D("2031-06-02"));
	for (size_t i = 0; i < x.r.n_steps; i++) {
		const struct engine_step *s = &x.r.steps[i];

		if (s->rule == ENGINE_RULE_GENERAL_20Y ||
		    s->rule == ENGINE_RULE_MINOR_28)
			cr_assert(s->superseded, "%s superseded",
				  fx_rule_str((int)s->rule));
		if (s->rule == ENGINE_RULE_DEATH_10Y ||
		    s->rule == ENGINE_RULE_TRANSFUSION_30Y)
			cr_assert_not(s->superseded);
	}
}
