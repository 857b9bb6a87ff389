/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Helpers shared by the engine's source files: reading an encounter's
 * effective end, filling the step table, and the anomaly checks that
 * engine_evaluate runs first.
 */
#ifndef RETENTIOND_ENGINE_INTERNAL_H
#define RETENTIOND_ENGINE_INTERNAL_H

#include "engine/engine.h"

/* Whether encounters of kind k without an end date are still open. */
static inline bool engine_kind_is_stay(const struct engine_policy *p, int k)
{
	/* A kind no longer configured: taken as an open stay (safer). */
	if (k < 0 || (size_t)k >= p->n_kinds)
		return true;
	return p->kinds[k].is_stay;
}

/* Last day of e, or DATE_NONE for a stay still open (doc/engine.md). */
static inline rd_date engine_effective_end(const struct engine_policy *p,
					   const struct engine_encounter *e)
{
	if (e->end != DATE_NONE)
		return e->end;
	return engine_kind_is_stay(p, e->kind) ? DATE_NONE : e->start;
}

/* A step of the given rule with every other field empty. */
struct engine_step engine_step_blank(enum engine_rule rule);

/* Append s to out, or count it in n_dropped when the table is full. */
void engine_step_push(struct engine_result *out, const struct engine_step *s);

/*
 * Run every anomaly check of rules.md and doc/engine.md, pushing one
 * anomaly step per finding into out. Returns the number of findings
 * (stored or dropped).
 */
size_t engine_check_anomalies(const struct engine_policy *p,
			      const struct engine_facts *f, rd_date today,
			      struct engine_result *out);

/*
 * engine_evaluate, with the fast path of the general and policy clocks
 * (no litigation that suspends: only the latest encounter's clock is
 * computed) allowed or not. Both give the same result; the general path
 * is kept for the tests that check it.
 */
void engine_evaluate_mode(const struct engine_policy *p,
			  const struct engine_facts *f, rd_date today,
			  bool allow_fast, struct engine_result *out);

#endif
