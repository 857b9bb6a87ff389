/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of the establishment policy (rules.md rule 6): legal minimums, lengthened durations and declared encounter kinds. */
#include "engine_fixture.h"

/* ------------------------------------------------------------ init */

Test(policy_init, legal_defaults)
{
	struct engine_policy p;

	memset(&p, 0x5A, sizeof(p));
	engine_policy_init(&p);
	cr_assert_eq(p.general_years, 20);
	cr_assert_eq(p.minor_age, 28);
	cr_assert_eq(p.death_years, 10);
	cr_assert_eq(p.transfusion_years, 30);
	cr_assert_eq(p.n_kinds, (size_t)3);
	cr_assert_str_eq(p.kinds[ENGINE_KIND_STAY].name, "stay");
	cr_assert_str_eq(p.kinds[ENGINE_KIND_CONSULTATION].name, "consultation");
	cr_assert_str_eq(p.kinds[ENGINE_KIND_EMERGENCY].name, "emergency");
	cr_assert(p.kinds[ENGINE_KIND_STAY].is_stay);
	cr_assert_not(p.kinds[ENGINE_KIND_CONSULTATION].is_stay);
	cr_assert_not(p.kinds[ENGINE_KIND_EMERGENCY].is_stay);
	for (int k = 0; k < 3; k++) {
		cr_assert_not(p.kinds[k].years_set);
		cr_assert_eq(engine_policy_kind_years(&p, k), 20);
	}
	cr_assert_eq(engine_policy_kind_find(&p, "stay"), ENGINE_KIND_STAY);
	cr_assert_eq(engine_policy_kind_find(&p, "consultation"),
		     ENGINE_KIND_CONSULTATION);
	cr_assert_eq(engine_policy_kind_find(&p, "emergency"),
		     ENGINE_KIND_EMERGENCY);
	cr_assert_eq(engine_policy_kind_find(&p, "obstetrics"), -ENOENT);
	cr_assert_eq(engine_policy_kind_find(&p, ""), -ENOENT);
}

/* ------------------------------------------------------------ set */

static void check_minimum(const char *key, int legal)
{
	struct engine_policy p;

	engine_policy_init(&p);
	cr_assert_eq(engine_policy_set(&p, key, legal - 1), -ERANGE,
		     "%s = %d is below the law", key, legal - 1);
	cr_assert_eq(engine_policy_set(&p, key, 0), -ERANGE, "%s = 0", key);
	cr_assert_eq(engine_policy_set(&p, key, -5), -ERANGE, "%s = -5", key);
	cr_assert_eq(engine_policy_set(&p, key, ENGINE_MAX_YEARS + 1), -ERANGE,
		     "%s above ENGINE_MAX_YEARS", key);
	cr_assert_eq(engine_policy_set(&p, key, legal), 0, "%s = %d", key,
		     legal);
	cr_assert_eq(engine_policy_set(&p, key, legal + 5), 0, "%s = %d", key,
		     legal + 5);
	cr_assert_eq(engine_policy_set(&p, key, ENGINE_MAX_YEARS), 0,
		     "%s = ENGINE_MAX_YEARS", key);
}

Test(policy_set, general_years_minimum_20)
{
	check_minimum("general_years", 20);
}

Test(policy_set, minor_age_minimum_28)
{
	check_minimum("minor_age", 28);
}

Test(policy_set, death_years_minimum_10)
{
	check_minimum("death_years", 10);
}

Test(policy_set, transfusion_years_minimum_30)
{
	check_minimum("transfusion_years", 30);
}

Test(policy_set, stores_the_value)
{
	struct engine_policy p;

	engine_policy_init(&p);
	cr_assert_eq(engine_policy_set(&p, "general_years", 25), 0);
	cr_assert_eq(engine_policy_set(&p, "minor_age", 30), 0);
	cr_assert_eq(engine_policy_set(&p, "death_years", 15), 0);
	cr_assert_eq(engine_policy_set(&p, "transfusion_years", 40), 0);
	cr_assert_eq(p.general_years, 25);
	cr_assert_eq(p.minor_age, 30);
	cr_assert_eq(p.death_years, 15);
	cr_assert_eq(p.transfusion_years, 40);
	/* The kinds follow the general duration. */
	cr_assert_eq(engine_policy_kind_years(&p, ENGINE_KIND_STAY), 25);
	cr_assert_eq(engine_policy_kind_years(&p, ENGINE_KIND_EMERGENCY), 25);
}

Test(policy_set, refused_value_leaves_the_policy_unchanged)
{
	struct engine_policy p;

	engine_policy_init(&p);
	cr_assert_eq(engine_policy_set(&p, "general_years", 19), -ERANGE);
	cr_assert_eq(engine_policy_set(&p, "death_years", 9), -ERANGE);
	cr_assert_eq(engine_policy_set(&p, "minor_age", 27), -ERANGE);
	cr_assert_eq(engine_policy_set(&p, "transfusion_years", 29), -ERANGE);
	cr_assert_eq(p.general_years, 20);
	cr_assert_eq(p.death_years, 10);
	cr_assert_eq(p.minor_age, 28);
	cr_assert_eq(p.transfusion_years, 30);
}

Test(policy_set, unknown_key)
{
	struct engine_policy p;

	engine_policy_init(&p);
	cr_assert_eq(engine_policy_set(&p, "general", 25), -ENOENT);
	cr_assert_eq(engine_policy_set(&p, "", 25), -ENOENT);
	cr_assert_eq(engine_policy_set(&p, "General_years", 25), -ENOENT);
	cr_assert_eq(engine_policy_set(&p, "general_years ", 25), -ENOENT);
	cr_assert_eq(engine_policy_set(&p, "obstetrics", 30), -ENOENT);
	cr_assert_eq(p.general_years, 20);
}

/* ------------------------------------------------------------ durations */

Test(policy_dates, general_25_years)
{
	struct fx x;
	const struct engine_step *g;

	fx_init(&x);
	cr_assert_eq(engine_policy_set(&x.pol, "general_years", 25), 0);
	fx_born(&x, "1950-01-01");
	fx_stay(&x, "2000-03-01", "2000-03-15");
	FX_BOUNDARY(&x, "2025-03-15", ENGINE_RULE_GENERAL_20Y);
	fx_eval(&x);
	g = FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y);
	cr_assert_eq(g->years, 25);
	cr_assert_eq(fx_count(&x.r, ENGINE_RULE_POLICY), 0,
		     "the lengthened general duration is not a kind policy");
}

Test(policy_dates, general_21_years_from_29feb)
{
	struct fx x;

	fx_init(&x);
	cr_assert_eq(engine_policy_set(&x.pol, "general_years", 21), 0);
	fx_born(&x, "1950-01-01");
	fx_stay(&x, "2004-02-20", "2004-02-29");
	FX_BOUNDARY(&x, "2025-02-28", ENGINE_RULE_GENERAL_20Y);
}

Test(policy_dates, minor_age_30)
{
	struct fx x;

	fx_init(&x);
	cr_assert_eq(engine_policy_set(&x.pol, "minor_age", 30), 0);
	fx_born(&x, "2000-02-29");
	fx_consult(&x, "2005-01-01");
	/* 30th birthday, 2030 is not leap. */
	FX_BOUNDARY(&x, "2030-02-28", ENGINE_RULE_MINOR_28);
}

Test(policy_dates, minor_age_30_general_wins_from_the_10th_birthday)
{
	struct fx x;

	fx_init(&x);
	cr_assert_eq(engine_policy_set(&x.pol, "minor_age", 30), 0);
	fx_born(&x, "2000-06-15");
	fx_consult(&x, "2010-06-16");
	FX_BOUNDARY(&x, "2030-06-16", ENGINE_RULE_GENERAL_20Y);
}

Test(policy_dates, death_15_years)
{
	struct fx x;
	const struct engine_step *d;

	fx_init(&x);
	cr_assert_eq(engine_policy_set(&x.pol, "death_years", 15), 0);
	fx_born(&x, "1930-01-01");
	fx_stay(&x, "2005-01-10", "2005-01-20");
	fx_died(&x, "2008-02-01");
	/* 15 years from the death, although rule 1 would give 2025-01-20. */
	FX_BOUNDARY(&x, "2023-02-01", ENGINE_RULE_DEATH_10Y);
	fx_eval(&x);
	d = FX_NEED_STEP(&x, ENGINE_RULE_DEATH_10Y);
	cr_assert_eq(d->years, 15);
}

Test(policy_dates, death_15_years_trigger_stays_at_10_years)
{
	struct fx x;

	/*
	 * doc/engine.md: born 2000, last encounter 2001, death 2012. The law
	 * keeps until the 28th birthday 2028; a 15-year trigger would give
	 * 2012 + 15 = 2027.
	 */
	fx_init(&x);
	cr_assert_eq(engine_policy_set(&x.pol, "death_years", 15), 0);
	fx_born(&x, "2000-06-01");
	fx_consult(&x, "2001-06-01");
	fx_died(&x, "2012-06-01");
	FX_BOUNDARY(&x, "2028-06-01", ENGINE_RULE_MINOR_28);
}

Test(policy_dates, death_15_years_trigger_exactly_10_years)
{
	struct fx x;

	fx_init(&x);
	cr_assert_eq(engine_policy_set(&x.pol, "death_years", 15), 0);
	fx_born(&x, "1930-01-01");
	fx_stay(&x, "2005-01-10", "2005-01-20");
	fx_died(&x, "2015-01-20");
	FX_BOUNDARY(&x, "2025-01-20", ENGINE_RULE_GENERAL_20Y);

	fx_died(&x, "2015-01-19");
	FX_BOUNDARY(&x, "2030-01-19", ENGINE_RULE_DEATH_10Y);
}

Test(policy_dates, death_12_years_from_29feb)
{
	struct fx x;

	fx_init(&x);
	cr_assert_eq(engine_policy_set(&x.pol, "death_years", 12), 0);
	fx_born(&x, "1930-01-01");
	fx_stay(&x, "2005-01-10", "2005-01-20");
	fx_died(&x, "2008-02-29");
	FX_BOUNDARY(&x, "2020-02-29", ENGINE_RULE_DEATH_10Y);
}

Test(policy_dates, transfusion_35_years)
{
	struct fx x;
	const struct engine_step *t;

	fx_init(&x);
	cr_assert_eq(engine_policy_set(&x.pol, "transfusion_years", 35), 0);
	fx_born(&x, "1950-01-01");
	fx_stay(&x, "2000-03-01", "2000-03-15");
	fx_transfusion(&x, "2000-03-02");
	FX_BOUNDARY(&x, "2035-03-02", ENGINE_RULE_TRANSFUSION_30Y);
	fx_eval(&x);
	t = FX_NEED_STEP(&x, ENGINE_RULE_TRANSFUSION_30Y);
	cr_assert_eq(t->years, 35);
}

/* ------------------------------------------------------------ kinds */

Test(policy_kind, declared_kind_30_years_governs)
{
	struct fx x;
	int k;
	const struct engine_step *s;

	fx_init(&x);
	k = engine_policy_add_kind(&x.pol, "obstetrics", 30, true);
	cr_assert_eq(k, 3);
	cr_assert_eq(x.pol.n_kinds, (size_t)4);
	cr_assert_eq(engine_policy_kind_find(&x.pol, "obstetrics"), 3);
	cr_assert_eq(engine_policy_kind_years(&x.pol, k), 30);
	fx_born(&x, "1970-01-01");
	fx_enc(&x, k, "2000-01-01", "2000-01-05");
	fx_consult(&x, "2005-01-01");
	/* General 2025-01-01; obstetrics 30 years from its own end. */
	FX_BOUNDARY(&x, "2030-01-05", ENGINE_RULE_POLICY);
	fx_eval(&x);
	s = FX_NEED_STEP(&x, ENGINE_RULE_POLICY);
	cr_assert_eq(s->kind, k);
	cr_assert_eq(s->years, 30);
	FX_ASSERT_DATE(s->start, D("2000-01-05"));
	FX_ASSERT_DATE(s->base_until, D("2030-01-05"));
	FX_ASSERT_DATE(FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y)->until,
		       D("2025-01-01"));
}

Test(policy_kind, survives_the_death_rule)
{
	struct fx x;
	int k;
	const struct engine_step *s;

	fx_init(&x);
	k = engine_policy_add_kind(&x.pol, "obstetrics", 30, true);
	cr_assert_geq(k, 3);
	fx_born(&x, "1970-01-01");
	fx_enc(&x, k, "2000-01-01", "2000-01-05");
	fx_died(&x, "2005-01-01");
	/* Death 2015-01-01 replaces rule 1, not the establishment's rule. */
	FX_BOUNDARY(&x, "2030-01-05", ENGINE_RULE_POLICY);
	fx_eval(&x);
	s = FX_NEED_STEP(&x, ENGINE_RULE_POLICY);
	cr_assert_not(s->superseded);
	FX_ASSERT_DATE(FX_NEED_STEP(&x, ENGINE_RULE_DEATH_10Y)->until,
		       D("2015-01-01"));
	cr_assert(FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y)->superseded);
}

Test(policy_kind, tie_with_the_legal_clock_goes_to_the_law)
{
	struct fx x;
	int k;

	fx_init(&x);
	k = engine_policy_add_kind(&x.pol, "obstetrics", 25, true);
	cr_assert_geq(k, 3);
	fx_born(&x, "1970-01-01");
	fx_enc(&x, k, "2000-01-01", "2000-01-05");
	fx_consult(&x, "2005-01-05");
	FX_BOUNDARY(&x, "2025-01-05", ENGINE_RULE_GENERAL_20Y);
}

Test(policy_kind, tie_with_transfusion_goes_to_policy)
{
	struct fx x;
	int k;

	fx_init(&x);
	k = engine_policy_add_kind(&x.pol, "obstetrics", 30, true);
	cr_assert_geq(k, 3);
	fx_born(&x, "1970-01-01");
	fx_enc(&x, k, "2000-01-01", "2000-01-05");
	fx_transfusion(&x, "2000-01-05");
	FX_BOUNDARY(&x, "2030-01-05", ENGINE_RULE_POLICY);
}

Test(policy_kind, policy_clock_suspended_on_its_own)
{
	struct fx x;
	int k;

	fx_init(&x);
	k = engine_policy_add_kind(&x.pol, "obstetrics", 30, true);
	cr_assert_geq(k, 3);
	fx_born(&x, "1970-01-01");
	fx_enc(&x, k, "2000-01-01", "2000-01-05");
	fx_consult(&x, "2005-01-01");
	/* After the obstetrics stay, before the consultation: 10 days. */
	fx_litigation(&x, "2003-01-01", "2003-01-10");
	FX_BOUNDARY(&x, "2030-01-15", ENGINE_RULE_POLICY);
}

Test(policy_kind, general_length_kind_has_no_policy_clock)
{
	struct fx x;
	int k;

	fx_init(&x);
	k = engine_policy_add_kind(&x.pol, "day_care", -1, false);
	cr_assert_eq(k, 3);
	cr_assert_eq(engine_policy_kind_years(&x.pol, k), 20);
	k = engine_policy_add_kind(&x.pol, "imaging", 20, false);
	cr_assert_eq(k, 4);
	cr_assert_eq(engine_policy_kind_years(&x.pol, k), 20);
	fx_born(&x, "1970-01-01");
	fx_enc(&x, 3, "2000-01-01", NULL);
	fx_enc(&x, 4, "2001-01-01", NULL);
	FX_BOUNDARY(&x, "2021-01-01", ENGINE_RULE_GENERAL_20Y);
	fx_eval(&x);
	cr_assert_eq(fx_count(&x.r, ENGINE_RULE_POLICY), 0);
}

Test(policy_kind, kind_follows_a_lengthened_general_duration)
{
	struct engine_policy p;
	int k;

	engine_policy_init(&p);
	k = engine_policy_add_kind(&p, "obstetrics", 22, true);
	cr_assert_geq(k, 3);
	cr_assert_eq(engine_policy_kind_years(&p, k), 22);
	cr_assert_eq(engine_policy_set(&p, "general_years", 25), 0);
	cr_assert_eq(engine_policy_kind_years(&p, k), 25,
		     "general_years unless set longer");
	k = engine_policy_add_kind(&p, "dialysis", -1, true);
	cr_assert_eq(engine_policy_kind_years(&p, k), 25);
}

Test(policy_kind, below_20_years_refused)
{
	struct engine_policy p;

	engine_policy_init(&p);
	cr_assert_eq(engine_policy_add_kind(&p, "obstetrics", 19, true),
		     -ERANGE);
	cr_assert_eq(engine_policy_add_kind(&p, "obstetrics", 0, true),
		     -ERANGE);
	cr_assert_eq(engine_policy_add_kind(&p, "stay", 10, true), -ERANGE);
	cr_assert_eq(engine_policy_add_kind(&p, "obstetrics",
					    ENGINE_MAX_YEARS + 1, true),
		     -ERANGE);
	cr_assert_eq(p.n_kinds, (size_t)3);
	cr_assert_eq(engine_policy_kind_years(&p, ENGINE_KIND_STAY), 20);
	cr_assert_eq(engine_policy_kind_find(&p, "obstetrics"), -ENOENT);
	cr_assert_geq(engine_policy_add_kind(&p, "obstetrics", ENGINE_MAX_YEARS,
					     true),
		      3);
}

Test(policy_kind, bad_names_refused)
{
	struct engine_policy p;
	char longest[ENGINE_KIND_NAME_MAX];
	char too_long[ENGINE_KIND_NAME_MAX + 1];

	engine_policy_init(&p);
	cr_assert_eq(engine_policy_add_kind(&p, "", 30, true), -EINVAL);
	cr_assert_eq(engine_policy_add_kind(&p, "Obstetrics", 30, true), -EINVAL);
	cr_assert_eq(engine_policy_add_kind(&p, "day care", 30, true), -EINVAL);
	cr_assert_eq(engine_policy_add_kind(&p, "obst\xc3\xa9trique", 30, true),
		     -EINVAL);
	cr_assert_eq(engine_policy_add_kind(&p, "a.b", 30, true), -EINVAL);
	cr_assert_eq(engine_policy_add_kind(&p, "a/b", 30, true), -EINVAL);
	cr_assert_eq(engine_policy_add_kind(&p, "a\nb", 30, true), -EINVAL);
	memset(too_long, 'a', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	cr_assert_eq(engine_policy_add_kind(&p, too_long, 30, true), -EINVAL,
		     "%zu characters do not fit name[%d]", strlen(too_long),
		     ENGINE_KIND_NAME_MAX);
	cr_assert_eq(p.n_kinds, (size_t)3);
	memset(longest, 'b', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	cr_assert_eq(engine_policy_add_kind(&p, longest, 30, true), 3,
		     "%zu characters fit name[%d]", strlen(longest),
		     ENGINE_KIND_NAME_MAX);
	cr_assert_eq(engine_policy_add_kind(&p, "day-care_2", 30, false), 4);
	cr_assert_eq(engine_policy_kind_find(&p, "day-care_2"), 4);
}

Test(policy_kind, table_full)
{
	struct engine_policy p;
	char name[16];

	engine_policy_init(&p);
	for (int i = 3; i < ENGINE_MAX_KINDS; i++) {
		snprintf(name, sizeof(name), "k%02d", i);
		cr_assert_eq(engine_policy_add_kind(&p, name, 25, false), i,
			     "kind %s", name);
	}
	cr_assert_eq(p.n_kinds, (size_t)ENGINE_MAX_KINDS);
	cr_assert_eq(engine_policy_add_kind(&p, "one_more", 25, false),
		     -ENOSPC);
	cr_assert_eq(p.n_kinds, (size_t)ENGINE_MAX_KINDS);
	/* A built-in kind is still there to lengthen. */
	cr_assert_eq(engine_policy_add_kind(&p, "stay", 25, true),
		     ENGINE_KIND_STAY);
}

Test(policy_kind, declared_stay_like_kind_without_end_is_ongoing)
{
	struct fx x;
	int k;
	const struct engine_step *o;

	fx_init(&x);
	k = engine_policy_add_kind(&x.pol, "psychiatry", 30, true);
	cr_assert_geq(k, 3);
	cr_assert(x.pol.kinds[k].is_stay);
	fx_born(&x, "1970-01-01");
	fx_consult(&x, "2000-01-01");
	fx_enc(&x, k, "2001-01-01", NULL);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, NULL, ENGINE_RULE_ONGOING_STAY);
	o = FX_NEED_STEP(&x, ENGINE_RULE_ONGOING_STAY);
	cr_assert(o->ref != NULL && strcmp(o->ref, "e1") == 0);
}

Test(policy_kind, declared_non_stay_kind_without_end_ends_on_its_start)
{
	struct fx x;
	int k;

	fx_init(&x);
	k = engine_policy_add_kind(&x.pol, "teleconsultation", 30, false);
	cr_assert_geq(k, 3);
	cr_assert_not(x.pol.kinds[k].is_stay);
	fx_born(&x, "1970-01-01");
	fx_enc(&x, k, "2001-02-03", NULL);
	FX_BOUNDARY(&x, "2031-02-03", ENGINE_RULE_POLICY);
}

Test(policy_kind, builtin_redeclared_longer)
{
	struct fx x;
	int k;

	fx_init(&x);
	k = engine_policy_add_kind(&x.pol, "consultation", 25, false);
	cr_assert_eq(k, ENGINE_KIND_CONSULTATION);
	cr_assert_eq(x.pol.n_kinds, (size_t)3);
	cr_assert_eq(engine_policy_kind_years(&x.pol, k), 25);
	cr_assert_not(x.pol.kinds[k].is_stay);
	fx_born(&x, "1970-01-01");
	fx_consult(&x, "2001-02-03");
	fx_stay(&x, "2002-01-01", "2002-01-05");
	FX_BOUNDARY(&x, "2026-02-03", ENGINE_RULE_POLICY);
}

Test(policy_kind, builtin_redeclared_keeps_is_stay)
{
	struct engine_policy p;

	engine_policy_init(&p);
	cr_assert_eq(engine_policy_add_kind(&p, "stay", 25, false),
		     ENGINE_KIND_STAY);
	cr_assert(p.kinds[ENGINE_KIND_STAY].is_stay,
		  "is_stay false does not turn stays into visits");
	cr_assert_eq(engine_policy_add_kind(&p, "emergency", 25, true),
		     ENGINE_KIND_EMERGENCY);
	cr_assert(p.kinds[ENGINE_KIND_EMERGENCY].is_stay,
		  "is_stay true makes the built-in stay-like");
}

Test(policy_kind, builtin_made_stay_like_without_end_is_ongoing)
{
	struct fx x;

	fx_init(&x);
	cr_assert_eq(engine_policy_add_kind(&x.pol, "emergency", -1, true),
		     ENGINE_KIND_EMERGENCY);
	fx_born(&x, "1970-01-01");
	fx_emergency(&x, "2026-11-20");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, NULL, ENGINE_RULE_ONGOING_STAY);
}

Test(policy_kind, redeclared_stay_without_end_still_ongoing)
{
	struct fx x;

	fx_init(&x);
	cr_assert_eq(engine_policy_add_kind(&x.pol, "stay", 25, false),
		     ENGINE_KIND_STAY);
	fx_born(&x, "1970-01-01");
	fx_stay(&x, "2026-11-20", NULL);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, NULL, ENGINE_RULE_ONGOING_STAY);
}

/* ------------------------------------------------------------ unknown kind */

Test(policy_kind, unknown_kind_index_with_end_counts_with_general_duration)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "1970-01-01");
	fx_consult(&x, "2000-01-01");
	fx_enc(&x, 17, "2003-04-01", "2003-04-02");
	FX_BOUNDARY(&x, "2023-04-02", ENGINE_RULE_GENERAL_20Y);
	cr_assert_eq(fx_count(&x.r, ENGINE_RULE_POLICY), 0);
}

Test(policy_kind, unknown_kind_index_with_lengthened_general)
{
	struct fx x;

	fx_init(&x);
	cr_assert_eq(engine_policy_set(&x.pol, "general_years", 22), 0);
	fx_born(&x, "1970-01-01");
	fx_enc(&x, 5, "2003-04-01", "2003-04-02");
	FX_BOUNDARY(&x, "2025-04-02", ENGINE_RULE_GENERAL_20Y);
}

Test(policy_kind, unknown_kind_index_without_end_is_an_open_stay)
{
	struct fx x;
	const struct engine_step *o;

	fx_init(&x);
	fx_born(&x, "1970-01-01");
	fx_consult(&x, "2000-01-01");
	fx_enc(&x, 17, "2003-04-01", NULL);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, NULL, ENGINE_RULE_ONGOING_STAY);
	o = FX_NEED_STEP(&x, ENGINE_RULE_ONGOING_STAY);
	FX_ASSERT_DATE(o->start, D("2003-04-01"));
	cr_assert(o->ref != NULL && strcmp(o->ref, "e1") == 0);
}

Test(policy_kind, negative_kind_index_is_unknown_too)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "1970-01-01");
	fx_enc(&x, -1, "2003-04-01", NULL);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, NULL, ENGINE_RULE_ONGOING_STAY);
}

Test(policy_kind, removed_kind_index_beyond_n_kinds)
{
	struct fx x;
	int k;

	/* Index 3 exists in the table's storage but not in n_kinds. */
	fx_init(&x);
	k = engine_policy_add_kind(&x.pol, "obstetrics", 40, false);
	cr_assert_eq(k, 3);
	x.pol.n_kinds = 3;
	fx_born(&x, "1970-01-01");
	fx_enc(&x, 3, "2003-04-01", "2003-04-02");
	FX_BOUNDARY(&x, "2023-04-02", ENGINE_RULE_GENERAL_20Y);
}
