/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The worked examples of rules.md (today = 2026-11-21): status, retain_until and governing rule of each. */
#include "engine_fixture.h"

Test(examples, adult)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "1950-01-01");
	fx_stay(&x, "2000-03-01", "2000-03-15");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_ELIGIBLE, "2020-03-15", ENGINE_RULE_GENERAL_20Y);
}

Test(examples, child)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "2001-04-30");
	fx_stay(&x, "2004-05-01", "2004-05-03");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, "2029-04-30", ENGINE_RULE_MINOR_28);
}

Test(examples, early_death)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "1930-01-01");
	fx_stay(&x, "2005-01-10", "2005-01-20");
	fx_died(&x, "2008-02-01");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_ELIGIBLE, "2018-02-01", ENGINE_RULE_DEATH_10Y);
}

Test(examples, transfusion)
{
	struct fx x;

	fx_init(&x);
	fx_born(&x, "1950-01-01");
	fx_stay(&x, "2000-03-01", "2000-03-15");
	fx_transfusion(&x, "2000-03-02");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_RETAINED, "2030-03-02",
		  ENGINE_RULE_TRANSFUSION_30Y);
}

Test(examples, litigation)
{
	struct fx x;
	const struct engine_step *l;

	fx_init(&x);
	fx_born(&x, "1950-01-01");
	fx_stay(&x, "2000-03-01", "2000-03-15");
	fx_litigation(&x, "2005-01-01", "2005-12-31");
	fx_eval(&x);
	FX_EXPECT(&x, ENGINE_ELIGIBLE, "2021-03-15", ENGINE_RULE_GENERAL_20Y);
	l = FX_NEED_STEP(&x, ENGINE_RULE_LITIGATION_SUSPENSION);
	cr_assert_eq(l->suspended_days, 365);
	cr_assert_eq(fx_governing(&x.r)->suspended_days, 365);
}
