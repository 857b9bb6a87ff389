/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of the litigation suspension (rules.md rule 5), through engine_suspend and through engine_evaluate. */
#include "engine_fixture.h"

/* The clock of the worked example: stay ending 2000-03-15, 20 years. */
#define S "2000-03-15"
#define U "2020-03-15"

/* engine_suspend(S, U, lits) must give want and first_counted first. */
static void check_suspend_at(const struct engine_litigation *lits, size_t n,
			     const char *want, const char *first,
			     const char *file, int line)
{
	rd_date fc = 0;
	rd_date got = engine_suspend(D(S), D(U), lits, n, &fc);
	char g[DATE_STRLEN], w[DATE_STRLEN];

	cr_assert_eq(got, D(want), "%s:%d: suspend(" S ", " U "): got %s, expected %s",
		     file, line, fx_fmt(got, g), fx_fmt(D(want), w));
	cr_assert_eq(fc, D(first), "%s:%d: first_counted: got %s, expected %s",
		     file, line, fx_fmt(fc, g), fx_fmt(D(first), w));
	/* first_counted may be NULL, with the same result. */
	got = engine_suspend(D(S), D(U), lits, n, NULL);
	cr_assert_eq(got, D(want), "%s:%d: with first_counted NULL: got %s",
		     file, line, fx_fmt(got, g));
}

#define CHECK_SUSPEND(lits, want, first)                                    \
	check_suspend_at((lits), sizeof(lits) / sizeof((lits)[0]), (want), \
			 (first), __FILE__, __LINE__)

static struct engine_litigation L(const char *opened, const char *closed)
{
	struct engine_litigation l = {NULL, D(opened), D(closed)};

	return l;
}

/* ------------------------------------------------------------ direct */

Test(suspend, no_litigation)
{
	rd_date fc = 0;

	FX_ASSERT_DATE(engine_suspend(D(S), D(U), NULL, 0, &fc), D(U));
	FX_ASSERT_DATE(fc, DATE_NONE);
}

Test(suspend, before_the_clock_start_does_not_count)
{
	struct engine_litigation l[] = {L("1999-01-01", "2000-03-14")};

	CHECK_SUSPEND(l, U, NULL);
}

Test(suspend, ending_on_the_start_day_counts_one_day)
{
	struct engine_litigation l[] = {L("1999-01-01", "2000-03-15")};

	CHECK_SUSPEND(l, "2020-03-16", S);
}

Test(suspend, straddling_the_start_counts_from_the_start)
{
	/* 2000-03-15 .. 2000-03-31: 17 days. */
	struct engine_litigation l[] = {L("2000-03-01", "2000-03-31")};

	CHECK_SUSPEND(l, "2020-04-01", S);
}

Test(suspend, opening_on_the_start_day)
{
	struct engine_litigation l[] = {L("2000-03-15", "2000-03-24")};

	CHECK_SUSPEND(l, "2020-03-25", S);
}

Test(suspend, inside_the_clock)
{
	/* The worked example: 365 days. */
	struct engine_litigation l[] = {L("2005-01-01", "2005-12-31")};

	CHECK_SUSPEND(l, "2021-03-15", "2005-01-01");
}

Test(suspend, leap_year_litigation_counts_366_days)
{
	struct engine_litigation l[] = {L("2004-01-01", "2004-12-31")};

	CHECK_SUSPEND(l, "2021-03-16", "2004-01-01");
}

Test(suspend, one_day_litigation_counts_one_day)
{
	struct engine_litigation l[] = {L("2005-05-05", "2005-05-05")};

	CHECK_SUSPEND(l, "2020-03-16", "2005-05-05");
}

Test(suspend, overlapping_periods_count_once)
{
	struct engine_litigation l[] = {L("2005-01-01", "2005-06-30"),
					L("2005-04-01", "2005-12-31")};

	CHECK_SUSPEND(l, "2021-03-15", "2005-01-01");
}

Test(suspend, contained_and_duplicate_periods_count_once)
{
	struct engine_litigation l[] = {L("2005-01-01", "2005-12-31"),
					L("2005-03-01", "2005-03-10"),
					L("2005-01-01", "2005-12-31")};

	CHECK_SUSPEND(l, "2021-03-15", "2005-01-01");
}

Test(suspend, adjacent_periods_count_once)
{
	struct engine_litigation l[] = {L("2005-01-01", "2005-06-30"),
					L("2005-07-01", "2005-12-31")};

	CHECK_SUSPEND(l, "2021-03-15", "2005-01-01");
}

Test(suspend, periods_sharing_a_day_count_it_once)
{
	struct engine_litigation l[] = {L("2005-01-01", "2005-07-01"),
					L("2005-07-01", "2005-12-31")};

	CHECK_SUSPEND(l, "2021-03-15", "2005-01-01");
}

Test(suspend, separate_periods_add_up)
{
	/* 10 + 20 days. */
	struct engine_litigation l[] = {L("2005-01-01", "2005-01-10"),
					L("2010-02-01", "2010-02-20")};

	CHECK_SUSPEND(l, "2020-04-14", "2005-01-01");
}

Test(suspend, chained_litigation_opening_after_the_original_date)
{
	/* 365 days push to 2021-03-15; the second opens after 2020-03-15
	 * but before 2021-03-15: 10 more days. */
	struct engine_litigation l[] = {L("2010-01-01", "2010-12-31"),
					L("2021-01-01", "2021-01-10")};

	CHECK_SUSPEND(l, "2021-03-25", "2010-01-01");
}

Test(suspend, opening_on_the_pushed_date_counts)
{
	struct engine_litigation l[] = {L("2010-01-01", "2010-12-31"),
					L("2021-03-15", "2021-03-16")};

	CHECK_SUSPEND(l, "2021-03-17", "2010-01-01");
}

Test(suspend, opening_after_the_pushed_date_does_not_count)
{
	struct engine_litigation l[] = {L("2010-01-01", "2010-12-31"),
					L("2021-03-16", "2021-03-20")};

	CHECK_SUSPEND(l, "2021-03-15", "2010-01-01");
}

Test(suspend, opening_on_the_original_date_counts)
{
	struct engine_litigation l[] = {L("2020-03-15", "2020-03-15")};

	CHECK_SUSPEND(l, "2020-03-16", "2020-03-15");
}

Test(suspend, opening_after_the_original_date_does_not_count)
{
	struct engine_litigation l[] = {L("2020-03-16", "2020-04-01")};

	CHECK_SUSPEND(l, U, NULL);
}

Test(suspend, unsorted_input)
{
	/* Sorted: 365 days -> 2021-03-15; 2021-03-10..12 -> 2021-03-18;
	 * 2021-03-18..19 opens on the pushed date -> 2021-03-20. */
	struct engine_litigation l[] = {L("2021-03-18", "2021-03-19"),
					L("2021-03-10", "2021-03-12"),
					L("2005-01-01", "2005-12-31")};

	CHECK_SUSPEND(l, "2021-03-20", "2005-01-01");
}

Test(suspend, unsorted_overlapping_input)
{
	struct engine_litigation l[] = {L("2005-04-01", "2005-12-31"),
					L("1999-06-01", "2000-03-16"),
					L("2005-01-01", "2005-06-30")};

	/* 2 days (03-15, 03-16) + 365 days. */
	CHECK_SUSPEND(l, "2021-03-17", S);
}

Test(suspend, open_litigations_are_ignored)
{
	struct engine_litigation l[] = {L("2005-01-01", NULL)};
	struct engine_litigation m[] = {L("2003-01-01", NULL),
					L("2005-01-01", "2005-12-31")};

	CHECK_SUSPEND(l, U, NULL);
	CHECK_SUSPEND(m, "2021-03-15", "2005-01-01");
}

Test(suspend, litigation_covering_the_whole_clock)
{
	/* From the start 2000-03-15 to 2019-12-31 inclusive: 7231 days. */
	struct engine_litigation l[] = {L("1999-01-01", "2019-12-31")};

	CHECK_SUSPEND(l, "2040-01-01", S);
}

Test(suspend, many_litigations)
{
	/* 300 one-day litigations, every 10 days from 2001-01-01, given in
	 * reverse order: 300 days. */
	static struct engine_litigation l[300];
	rd_date fc = 0;

	for (int i = 0; i < 300; i++) {
		l[299 - i].opened = date_add_days(D("2001-01-01"), 10 * i);
		l[299 - i].closed = l[299 - i].opened;
	}
	FX_ASSERT_DATE(engine_suspend(D(S), D(U), l, 300, &fc),
		       D("2021-01-09"));
	FX_ASSERT_DATE(fc, D("2001-01-01"));
}

/* ------------------------------------------------------------ evaluate */

static void adult_2000(struct fx *x)
{
	fx_init(x);
	fx_born(x, "1950-01-01");
	fx_stay(x, "2000-03-01", "2000-03-15");
}

Test(suspend_eval, worked_example_365_days)
{
	struct fx x;
	const struct engine_step *g, *l;

	adult_2000(&x);
	fx_litigation(&x, "2005-01-01", "2005-12-31");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_ELIGIBLE, "2021-03-15", ENGINE_RULE_GENERAL_20Y);
	g = FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y);
	FX_ASSERT_DATE(g->base_until, D("2020-03-15"));
	cr_assert_eq(g->suspended_days, 365);
	l = FX_NEED_STEP(&x, ENGINE_RULE_LITIGATION_SUSPENSION);
	FX_ASSERT_DATE(l->start, D("2005-01-01"));
	FX_ASSERT_DATE(l->until, D("2021-03-15"));
	cr_assert_eq(l->suspended_days, 365);
	cr_assert_not(l->governs);
	FX_BOUNDARY(&x, "2021-03-15", ENGINE_RULE_GENERAL_20Y);
}

Test(suspend_eval, before_the_clock_start_not_counted)
{
	struct fx x;

	adult_2000(&x);
	fx_litigation(&x, "1999-01-01", "2000-03-14");
	FX_BOUNDARY(&x, "2020-03-15", ENGINE_RULE_GENERAL_20Y);
}

Test(suspend_eval, straddling_the_start)
{
	struct fx x;
	const struct engine_step *l;

	adult_2000(&x);
	fx_litigation(&x, "2000-03-01", "2000-03-31");
	FX_BOUNDARY(&x, "2020-04-01", ENGINE_RULE_GENERAL_20Y);
	fx_eval(&x);
	l = FX_NEED_STEP(&x, ENGINE_RULE_LITIGATION_SUSPENSION);
	FX_ASSERT_DATE(l->start, D("2000-03-15"));
	cr_assert_eq(l->suspended_days, 17);
}

Test(suspend_eval, overlapping_and_adjacent)
{
	struct fx x;

	adult_2000(&x);
	fx_litigation(&x, "2005-07-01", "2005-12-31");
	fx_litigation(&x, "2005-01-01", "2005-06-30");
	fx_litigation(&x, "2005-03-01", "2005-08-01");
	FX_BOUNDARY(&x, "2021-03-15", ENGINE_RULE_GENERAL_20Y);
}

Test(suspend_eval, chained_and_too_late)
{
	struct fx x;

	adult_2000(&x);
	fx_litigation(&x, "2021-03-26", "2021-03-30"); /* after 2021-03-25 */
	fx_litigation(&x, "2021-01-01", "2021-01-10");
	fx_litigation(&x, "2010-01-01", "2010-12-31");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_ELIGIBLE, "2021-03-25", ENGINE_RULE_GENERAL_20Y);
	cr_assert_eq(FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y)->suspended_days,
		     375);
}

Test(suspend_eval, closed_after_the_date_opened_after_it)
{
	struct fx x;

	adult_2000(&x);
	fx_litigation(&x, "2022-01-01", "2022-02-01");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_ELIGIBLE, "2020-03-15", ENGINE_RULE_GENERAL_20Y);
}

Test(suspend_eval, one_day_litigation)
{
	struct fx x;

	adult_2000(&x);
	fx_litigation(&x, "2019-06-01", "2019-06-01");
	FX_BOUNDARY(&x, "2020-03-16", ENGINE_RULE_GENERAL_20Y);
}

Test(suspend_eval, open_litigation_holds_even_when_the_date_passed)
{
	struct fx x;
	const struct engine_step *l, *g;

	adult_2000(&x);
	fx_litigation(&x, "2005-01-01", "2005-12-31");
	fx_litigation(&x, "2024-01-01", NULL);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_HELD, NULL, ENGINE_RULE_LITIGATION_SUSPENSION);
	l = NULL;
	for (size_t i = 0; i < x.r.n_steps; i++)
		if (x.r.steps[i].rule == ENGINE_RULE_LITIGATION_SUSPENSION &&
		    x.r.steps[i].until == DATE_NONE)
			l = &x.r.steps[i];
	cr_assert(l != NULL, "a step for the open litigation");
	FX_ASSERT_DATE(l->start, D("2024-01-01"));
	cr_assert(l->ref != NULL && strcmp(l->ref, "l1") == 0);
	/* The clock of the closed litigations stays listed, not governing. */
	g = FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y);
	FX_ASSERT_DATE(g->until, D("2021-03-15"));
	cr_assert_not(g->governs);
}

Test(suspend_eval, open_litigation_opened_today)
{
	struct fx x;

	adult_2000(&x);
	fx_litigation(&x, FX_TODAY, NULL);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_HELD, NULL, ENGINE_RULE_LITIGATION_SUSPENSION);
}

Test(suspend_eval, open_litigation_before_the_clock_start_still_holds)
{
	struct fx x;

	adult_2000(&x);
	fx_litigation(&x, "1998-01-01", NULL);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_HELD, NULL, ENGINE_RULE_LITIGATION_SUSPENSION);
}

Test(suspend_eval, one_step_per_open_litigation)
{
	struct fx x;
	size_t open = 0;

	adult_2000(&x);
	fx_litigation(&x, "2024-01-01", NULL);
	fx_litigation(&x, "2010-01-01", "2010-01-31");
	fx_litigation(&x, "2025-01-01", NULL);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_HELD, NULL, ENGINE_RULE_LITIGATION_SUSPENSION);
	for (size_t i = 0; i < x.r.n_steps; i++)
		if (x.r.steps[i].rule == ENGINE_RULE_LITIGATION_SUSPENSION &&
		    x.r.steps[i].until == DATE_NONE)
			open++;
	cr_assert_eq(open, (size_t)2);
}

Test(suspend_eval, many_open_litigations_fit_the_step_table)
{
	struct fx x;

	adult_2000(&x);
	for (int i = 0; i < 40; i++)
		fx_add_litigation(&x, date_add_days(D("2020-01-01"), i),
				  DATE_NONE);
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_HELD, NULL, ENGINE_RULE_LITIGATION_SUSPENSION);
	cr_assert_leq(x.r.n_steps, (size_t)ENGINE_MAX_STEPS);
}

Test(suspend_eval, many_closed_litigations)
{
	struct fx x;

	/* 60 one-day litigations after the discharge: 60 days. */
	adult_2000(&x);
	for (int i = 0; i < 60; i++)
		fx_add_litigation(&x, date_add_days(D("2010-01-01"), 7 * i),
				  date_add_days(D("2010-01-01"), 7 * i));
	FX_BOUNDARY(&x, "2020-05-14", ENGINE_RULE_GENERAL_20Y);
}

Test(suspend_eval, closing_the_litigation_gives_the_date)
{
	struct fx x;

	adult_2000(&x);
	fx_litigation(&x, "2024-01-01", "2024-12-31");
	fx_eval(&x);
	/* Opened after 2020-03-15: not counted; the date had passed. */
	FX_EXPECT(&x, ENGINE_ELIGIBLE, "2020-03-15", ENGINE_RULE_GENERAL_20Y);
}

Test(suspend_eval, death_clock_counts_from_the_death)
{
	struct fx x;
	const struct engine_step *d, *g;

	fx_init(&x);
	fx_born(&x, "1930-01-01");
	fx_stay(&x, "2005-01-10", "2005-01-20");
	fx_died(&x, "2008-02-01");
	/* Before the death: only the (superseded) general clock counts it. */
	fx_litigation(&x, "2006-01-01", "2006-12-31");
	FX_BOUNDARY(&x, "2018-02-01", ENGINE_RULE_DEATH_10Y);
	fx_eval(&x);
	d = FX_NEED_STEP(&x, ENGINE_RULE_DEATH_10Y);
	cr_assert_eq(d->suspended_days, 0);
	g = FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y);
	cr_assert_eq(g->suspended_days, 365);
	FX_ASSERT_DATE(g->until, D("2026-01-20"));
	cr_assert(g->superseded);

	/* After the death: 31 days. */
	fx_litigation(&x, "2009-01-01", "2009-01-31");
	FX_BOUNDARY(&x, "2018-03-04", ENGINE_RULE_DEATH_10Y);
}

Test(suspend_eval, death_clock_straddling_the_death)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "1930-01-01");
	fx_stay(&x, "2005-01-10", "2005-01-20");
	fx_died(&x, "2008-02-01");
	fx_litigation(&x, "2008-01-01", "2008-02-10"); /* 10 days from death */
	FX_BOUNDARY(&x, "2018-02-11", ENGINE_RULE_DEATH_10Y);
}

Test(suspend_eval, transfusion_clock_counts_from_its_act)
{
	struct fx x;
	const struct engine_step *g, *l;

	fx_init(&x);
	fx_born(&x, "1950-01-01");
	fx_stay(&x, "2000-03-01", "2000-03-15");
	fx_transfusion(&x, "2000-03-02");
	/* After the act, before the discharge: 6 days for the transfusion. */
	fx_litigation(&x, "2000-03-05", "2000-03-10");
	FX_BOUNDARY(&x, "2030-03-08", ENGINE_RULE_TRANSFUSION_30Y);
	fx_eval(&x);
	g = FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y);
	FX_ASSERT_DATE(g->until, D("2020-03-15"));
	cr_assert_eq(g->suspended_days, 0);
	l = FX_NEED_STEP(&x, ENGINE_RULE_LITIGATION_SUSPENSION);
	FX_ASSERT_DATE(l->start, D("2000-03-05"));
	cr_assert_eq(l->suspended_days, 6);
	FX_ASSERT_DATE(l->until, D("2030-03-08"));
}

Test(suspend_eval, each_transfusion_act_suspended_on_its_own)
{
	struct fx x;
	const struct engine_step *t;

	/*
	 * Act t0 2000-02-28: 30 years to 2030-02-28, + 12 days (2000-02-28
	 * to 2000-03-10) = 2030-03-12. Act t1 2000-03-01: 2030-03-01 + 10
	 * days = 2030-03-11. The earlier act's clock ends last.
	 */
	fx_init(&x);
	fx_born(&x, "1950-01-01");
	fx_stay(&x, "2000-02-20", "2000-03-15");
	fx_transfusion(&x, "2000-02-28");
	fx_transfusion(&x, "2000-03-01");
	fx_litigation(&x, "2000-02-01", "2000-03-10");
	FX_BOUNDARY(&x, "2030-03-12", ENGINE_RULE_TRANSFUSION_30Y);
	fx_eval(&x);
	t = FX_NEED_STEP(&x, ENGINE_RULE_TRANSFUSION_30Y);
	FX_ASSERT_DATE(t->start, D("2000-02-28"));
	FX_ASSERT_DATE(t->base_until, D("2030-02-28"));
	cr_assert_eq(t->suspended_days, 12);
	cr_assert_eq(t->count, (size_t)2);
	cr_assert(t->ref != NULL && strcmp(t->ref, "t0") == 0);
}

Test(suspend_eval, general_clock_counts_from_the_last_encounter)
{
	struct fx x;

	/* Between the first and the last encounter: not counted. */
	fx_init(&x);
	fx_born(&x, "1950-01-01");
	fx_stay(&x, "2000-03-01", "2000-03-15");
	fx_consult(&x, "2003-03-15");
	fx_litigation(&x, "2001-01-01", "2001-12-31");
	FX_BOUNDARY(&x, "2023-03-15", ENGINE_RULE_GENERAL_20Y);
}

Test(suspend_eval, minor_clock_suspended)
{
	struct fx x;
	const struct engine_step *m;

	fx_init(&x);
	fx_born(&x, "2000-03-15");
	fx_consult(&x, "2008-03-14");
	fx_litigation(&x, "2010-01-01", "2010-01-10");
	fx_today(&x, "2029-01-01");
	FX_BOUNDARY(&x, "2028-03-25", ENGINE_RULE_MINOR_28);
	fx_eval(&x);
	m = FX_NEED_STEP(&x, ENGINE_RULE_MINOR_28);
	FX_ASSERT_DATE(m->base_until, D("2028-03-15"));
	cr_assert_eq(m->suspended_days, 10);
}

Test(suspend_eval, minor_clock_keeps_the_suspension_of_an_earlier_encounter)
{
	struct fx x;
	const struct engine_step *m;

	/* doc/engine.md: the 2005 litigation suspended the clock started by
	 * the 2001 encounter; the 2008 encounter does not take those ten days
	 * back (counted from 2008 alone the date would be 2028-03-15). */
	fx_init(&x);
	fx_born(&x, "2000-03-15");
	fx_consult(&x, "2001-01-01");
	fx_consult(&x, "2008-03-14");
	fx_litigation(&x, "2005-01-01", "2005-01-10");
	fx_today(&x, "2029-01-01");
	FX_BOUNDARY(&x, "2028-03-25", ENGINE_RULE_MINOR_28);
	fx_eval(&x);
	m = FX_NEED_STEP(&x, ENGINE_RULE_MINOR_28);
	FX_ASSERT_DATE(m->start, D("2001-01-01"));
	FX_ASSERT_DATE(m->base_until, D("2028-03-15"));
	cr_assert_eq(m->suspended_days, 10);
}

Test(suspend_eval, minor_clock_without_litigation_counts_from_the_last_encounter)
{
	struct fx x;
	const struct engine_step *m;

	/* Without litigation every clock of a child ends on the birthday:
	 * the latest encounter is the one shown. */
	fx_init(&x);
	fx_born(&x, "2000-03-15");
	fx_consult(&x, "2001-01-01");
	fx_consult(&x, "2008-03-14");
	fx_today(&x, "2029-01-01");
	FX_BOUNDARY(&x, "2028-03-15", ENGINE_RULE_MINOR_28);
	fx_eval(&x);
	m = FX_NEED_STEP(&x, ENGINE_RULE_MINOR_28);
	FX_ASSERT_DATE(m->start, D("2008-03-14"));
	cr_assert_eq(m->suspended_days, 0);
	FX_ASSERT_DATE(FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y)->until,
		       D("2028-03-14"));
}

Test(suspend_eval, child_earlier_suspended_clock_outlasts_the_last_encounter)
{
	struct fx x;

	/* Last encounter after the 8th birthday (2008-03-15): its own clock
	 * ends 2028-03-16; the clock of 2001 ends on the 28th birthday
	 * 2028-03-15 pushed by the 365 days of 2002: 2029-03-15. */
	fx_init(&x);
	fx_born(&x, "2000-03-15");
	fx_consult(&x, "2001-01-01");
	fx_consult(&x, "2008-03-16");
	fx_litigation(&x, "2002-01-01", "2002-12-31");
	fx_today(&x, "2030-01-01");
	FX_BOUNDARY(&x, "2029-03-15", ENGINE_RULE_MINOR_28);
}

Test(suspend_eval, adult_earlier_encounter_never_outlasts_the_last)
{
	struct fx x;

	/* For 20 years from each encounter, the litigation days between two
	 * encounters never exceed the gap: the last encounter governs. */
	fx_init(&x);
	fx_born(&x, "1950-01-01");
	fx_consult(&x, "2001-01-01");
	fx_consult(&x, "2003-01-01");
	fx_litigation(&x, "2002-01-01", "2002-12-31");
	fx_today(&x, "2030-01-01");
	FX_BOUNDARY(&x, "2023-01-01", ENGINE_RULE_GENERAL_20Y);
	fx_eval(&x);
	FX_ASSERT_DATE(FX_NEED_STEP(&x, ENGINE_RULE_GENERAL_20Y)->start,
		       D("2003-01-01"));
}

Test(suspend_eval, litigation_opening_on_the_28th_birthday)
{
	struct fx x;

	/* General 2028-03-14, minor 2028-03-15: a litigation opened on the
	 * birthday falls within the minor clock only. */
	fx_init(&x);
	fx_born(&x, "2000-03-15");
	fx_consult(&x, "2008-03-14");
	fx_litigation(&x, "2028-03-15", "2028-03-20");
	fx_today(&x, "2029-01-01");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_ELIGIBLE, "2028-03-21", ENGINE_RULE_MINOR_28);
}
