/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_evaluate: one dossier's facts to its status, retain_until and the
 * steps that explain them (rules.md, read as doc/engine.md settles it).
 * Precedence: anomaly, held, ongoing stay, then the computed date.
 */
#include "config.h"

#include "engine/engine_internal.h"

#include <string.h>

/* General, minor, death, transfusion, then one per kind at most. */
#define MAX_CLOCKS (4 + ENGINE_MAX_KINDS)

struct clocks {
	struct engine_step step[MAX_CLOCKS];
	rd_date first_counted[MAX_CLOCKS];
	size_t n;
	size_t governing;
};

static rd_date last_end(const struct engine_policy *p,
			const struct engine_facts *f)
{
	rd_date last = DATE_NONE;

	for (size_t i = 0; i < f->n_encounters; i++) {
		const rd_date end = engine_effective_end(p, &f->encounters[i]);

		if (end > last)
			last = end;
	}
	return last;
}

static size_t add_clock(struct clocks *c, enum engine_rule rule,
			rd_date start, int years, rd_date base, rd_date until,
			rd_date first)
{
	const size_t i = c->n++;
	struct engine_step *s = &c->step[i];

	*s = engine_step_blank(rule);
	s->start = start;
	s->years = years;
	s->base_until = base;
	s->until = until;
	s->suspended_days = until - base;
	c->first_counted[i] = first;
	return i;
}

#define ANY_KIND (-2)

/* One encounter's clock: its years, and the birthday when that is later. */
struct enc_clock {
	rd_date start;
	rd_date base, until, first;
	bool minor; /* the birthday ends this clock later than the years */
	rd_date minor_base, minor_until, minor_first;
};

static rd_date clock_end(const struct enc_clock *k)
{
	return k->minor ? k->minor_until : k->until;
}

/* The clock of one encounter whose effective end is end. */
static void enc_clock_at(const struct engine_facts *f, rd_date end, int years,
			 rd_date birthday, struct enc_clock *c)
{
	c->start = end;
	c->base = date_add_years(end, years);
	c->until = engine_suspend(end, c->base, f->litigations,
				  f->n_litigations, &c->first);
	c->minor = false;
	c->minor_base = c->minor_until = c->minor_first = DATE_NONE;
	if (birthday != DATE_NONE && birthday > c->base) {
		c->minor_base = birthday;
		c->minor_until = engine_suspend(end, birthday, f->litigations,
						f->n_litigations,
						&c->minor_first);
		c->minor = c->minor_until > c->until;
	}
}

/*
 * Whether a litigation can suspend a clock (engine_suspend counts only
 * closed periods that do not close before they open). Without one, every
 * clock ends on max(end + years, birthday): a non-decreasing function of
 * the encounter's end, since date_add_years is (29 February maps to
 * 28 February, never before it).
 */
static bool any_suspension(const struct engine_facts *f)
{
	for (size_t i = 0; i < f->n_litigations; i++) {
		const struct engine_litigation *l = &f->litigations[i];

		if (l->closed != DATE_NONE && l->closed >= l->opened)
			return true;
	}
	return false;
}

/*
 * The clock that ends last among the encounters of kind k (ANY_KIND: all),
 * each started at its effective end and suspended from there. Counting
 * every encounter, not only the last, is what keeps a new encounter from
 * dropping litigation days that already suspended a fixed-date clock (the
 * 28th birthday): see doc/engine.md. Ties go to the latest encounter.
 *
 * fast: no litigation can suspend (any_suspension). The clock ending last
 * is then the latest encounter's (the end is non-decreasing in the
 * encounter's end, and ties go to the latest encounter anyway), so only
 * that one is computed: the same clock the loop below would keep, by the
 * same function. Otherwise a clock depends on its encounter's end alone,
 * so encounters ending on the same day as the previous one reuse it.
 */
static bool latest_clock(const struct engine_policy *p,
			 const struct engine_facts *f, int k, int years,
			 rd_date birthday, bool fast, struct enc_clock *best)
{
	rd_date latest = DATE_NONE, prev = DATE_NONE;
	struct enc_clock c;
	bool found = false;

	for (size_t i = 0; i < f->n_encounters; i++) {
		const struct engine_encounter *e = &f->encounters[i];
		const rd_date end = engine_effective_end(p, e);

		if ((k != ANY_KIND && e->kind != k) || end == DATE_NONE)
			continue;
		if (fast) {
			if (end > latest)
				latest = end;
			found = true;
			continue;
		}
		if (end != prev) {
			enc_clock_at(f, end, years, birthday, &c);
			prev = end;
		}
		if (!found || clock_end(&c) > clock_end(best) ||
		    (clock_end(&c) == clock_end(best) && end > best->start)) {
			*best = c;
			found = true;
		}
	}
	if (fast && found)
		enc_clock_at(f, latest, years, birthday, best);
	return found;
}

/* Every clock of doc/engine.md; no encounter is open and there is one. */
static void compute_clocks(const struct engine_policy *p,
			   const struct engine_facts *f, bool allow_fast,
			   struct clocks *c)
{
	const rd_date last = last_end(p, f);
	const bool fast = allow_fast && !any_suspension(f);
	struct enc_clock g;
	size_t legal, trans = MAX_CLOCKS;

	c->n = 0;
	latest_clock(p, f, ANY_KIND, p->general_years,
		     date_add_years(f->birth, p->minor_age), fast, &g);
	legal = add_clock(c, ENGINE_RULE_GENERAL_20Y, g.start,
			  p->general_years, g.base, g.until, g.first);
	/* The minor clock is part of the general one: listed only when it
	 * makes it later. */
	if (g.minor) {
		legal = add_clock(c, ENGINE_RULE_MINOR_28, g.start,
				  p->minor_age, g.minor_base, g.minor_until,
				  g.minor_first);
	}

	/* The trigger stays at the legal 10 years whatever the policy: a
	 * longer one could shorten a minor's retention below the law. */
	if (f->death != DATE_NONE &&
	    f->death < date_add_years(last, ENGINE_LEGAL_DEATH_YEARS)) {
		const rd_date base = date_add_years(f->death, p->death_years);
		rd_date first;
		const rd_date until = engine_suspend(f->death, base,
						     f->litigations,
						     f->n_litigations, &first);

		for (size_t i = 0; i < c->n; i++)
			c->step[i].superseded = true;
		legal = add_clock(c, ENGINE_RULE_DEATH_10Y, f->death,
				  p->death_years, base, until, first);
	}

	for (size_t i = 0; i < f->n_transfusions; i++) {
		const rd_date act = f->transfusions[i].act;
		rd_date first;
		const rd_date base = date_add_years(act, p->transfusion_years);
		const rd_date until = engine_suspend(
			act, base, f->litigations, f->n_litigations, &first);

		if (trans == MAX_CLOCKS) {
			trans = add_clock(c, ENGINE_RULE_TRANSFUSION_30Y, act,
					  p->transfusion_years, base, until,
					  first);
		} else if (until > c->step[trans].until) {
			c->step[trans].start = act;
			c->step[trans].base_until = base;
			c->step[trans].until = until;
			c->step[trans].suspended_days = until - base;
			c->first_counted[trans] = first;
		} else {
			continue;
		}
		c->step[trans].ref = f->transfusions[i].id;
		c->step[trans].count = f->n_transfusions;
	}

	c->governing = legal;
	for (size_t k = 0; k < p->n_kinds; k++) {
		const int years = engine_policy_kind_years(p, (int)k);
		struct enc_clock kc;
		size_t i;

		if (years <= p->general_years)
			continue;
		if (!latest_clock(p, f, (int)k, years, DATE_NONE, fast, &kc))
			continue;
		i = add_clock(c, ENGINE_RULE_POLICY, kc.start, years, kc.base,
			      kc.until, kc.first);
		c->step[i].kind = (int)k;
		if (c->step[i].until > c->step[c->governing].until)
			c->governing = i;
	}
	/* Ties go to the legal clock, then policy, then transfusion. */
	if (trans != MAX_CLOCKS &&
	    c->step[trans].until > c->step[c->governing].until)
		c->governing = trans;
}

/*
 * List the clocks, and with a date, the suspension that pushed the
 * governing one. When the table cannot hold them all, the policy clocks
 * that do not govern give way first.
 */
static void push_clocks(struct engine_result *out, struct clocks *c,
			bool with_date)
{
	const struct engine_step *g = &c->step[c->governing];
	const bool suspended = with_date && g->suspended_days > 0;
	const size_t used = out->n_steps + (suspended ? 1 : 0);
	size_t excess = used + c->n > ENGINE_MAX_STEPS
				? used + c->n - ENGINE_MAX_STEPS
				: 0;
	bool skip[MAX_CLOCKS] = {false};

	for (size_t i = c->n; i-- > 0 && excess > 0;) {
		if (c->step[i].rule == ENGINE_RULE_POLICY &&
		    i != c->governing) {
			skip[i] = true;
			excess--;
			out->n_dropped++;
		}
	}
	for (size_t i = 0; i < c->n; i++) {
		c->step[i].governs = with_date && i == c->governing;
		if (!skip[i])
			engine_step_push(out, &c->step[i]);
	}
	if (suspended) {
		struct engine_step s =
			engine_step_blank(ENGINE_RULE_LITIGATION_SUSPENSION);

		s.start = c->first_counted[c->governing];
		s.base_until = g->base_until;
		s.until = g->until;
		s.suspended_days = g->suspended_days;
		s.kind = g->kind;
		engine_step_push(out, &s);
	}
}

void engine_evaluate_mode(const struct engine_policy *p,
			  const struct engine_facts *f, rd_date today,
			  bool allow_fast, struct engine_result *out)
{
	struct clocks c;
	bool held = f->held, ongoing = false;

	memset(out, 0, sizeof(*out));
	out->retain_until = DATE_NONE;

	if (engine_check_anomalies(p, f, today, out) > 0) {
		out->status = ENGINE_ANOMALY;
		out->basis = ENGINE_RULE_ANOMALY;
		return;
	}

	if (f->held) {
		struct engine_step s =
			engine_step_blank(ENGINE_RULE_DIRECTOR_HOLD);

		s.ref = f->hold_reason;
		engine_step_push(out, &s);
	}
	for (size_t i = 0; i < f->n_litigations; i++) {
		const struct engine_litigation *l = &f->litigations[i];
		struct engine_step s;

		if (l->closed != DATE_NONE)
			continue;
		s = engine_step_blank(ENGINE_RULE_LITIGATION_SUSPENSION);
		s.start = l->opened;
		s.ref = l->id;
		engine_step_push(out, &s);
		held = true;
	}
	if (held) {
		out->status = ENGINE_HELD;
		out->basis = f->held ? ENGINE_RULE_DIRECTOR_HOLD
				     : ENGINE_RULE_LITIGATION_SUSPENSION;
	}

	for (size_t i = 0; i < f->n_encounters; i++) {
		const struct engine_encounter *e = &f->encounters[i];
		struct engine_step s;

		if (engine_effective_end(p, e) != DATE_NONE)
			continue;
		s = engine_step_blank(ENGINE_RULE_ONGOING_STAY);
		s.start = e->start;
		s.ref = e->id;
		engine_step_push(out, &s);
		ongoing = true;
	}
	if (ongoing) {
		/* The last encounter is not known yet: no clock to show. */
		if (!held) {
			out->status = ENGINE_RETAINED;
			out->basis = ENGINE_RULE_ONGOING_STAY;
		}
		return;
	}

	compute_clocks(p, f, allow_fast, &c);
	push_clocks(out, &c, !held);
	if (held)
		return;
	out->retain_until = c.step[c.governing].until;
	out->basis = c.step[c.governing].rule;
	out->status = out->retain_until < today ? ENGINE_ELIGIBLE
						: ENGINE_RETAINED;
}

void engine_evaluate(const struct engine_policy *p,
		     const struct engine_facts *f, rd_date today,
		     struct engine_result *out)
{
	engine_evaluate_mode(p, f, today, true, out);
}
