/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers for the engine unit tests: a dossier builder, date literals, evaluation, and assertions that print dates as YYYY-MM-DD. */
#ifndef RETENTIOND_TESTS_ENGINE_FIXTURE_H
#define RETENTIOND_TESTS_ENGINE_FIXTURE_H

#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/date.h"
#include "engine/engine.h"

/* Room for records of each kind in one test dossier. */
#define FX_MAX 64
/* "today" of the worked examples of rules.md. */
#define FX_TODAY "2026-11-21"
/* Pass as the rule of FX_EXPECT to skip the basis check. */
#define FX_ANY_RULE (-1)

/* ------------------------------------------------------------ dates */

/* A date literal "YYYY-MM-DD"; NULL gives DATE_NONE. Fails the test on a typo. */
static inline rd_date D(const char *s)
{
	rd_date d = DATE_NONE;

	if (s == NULL)
		return DATE_NONE;
	cr_assert_eq(date_parse(s, strlen(s), &d), 0,
		     "test bug: bad date literal \"%s\"", s);
	return d;
}

/* The date as YYYY-MM-DD, or "none" for DATE_NONE. */
static inline const char *fx_fmt(rd_date d, char buf[DATE_STRLEN])
{
	if (d == DATE_NONE) {
		snprintf(buf, DATE_STRLEN, "none");
		return buf;
	}
	return date_format(d, buf);
}

/* ------------------------------------------------------------ names */

/* Our own names, so that messages do not depend on the code under test. */
static inline const char *fx_status_str(int s)
{
	static const char *const names[] = {"retained", "eligible", "held",
					    "anomaly"};

	if (s < 0 || s > 3)
		return "?status";
	return names[s];
}

static inline const char *fx_rule_str(int r)
{
	static const char *const names[] = {
		"general_20y", "minor_28",     "death_10y",
		"transfusion_30y", "litigation_suspension", "policy",
		"director_hold", "ongoing_stay", "anomaly",
	};

	if (r < 0 || r > 8)
		return "?rule";
	return names[r];
}

/* ------------------------------------------------------------ builder */

struct fx {
	struct engine_policy pol;
	rd_date today;
	rd_date birth;
	rd_date death;
	bool held;
	const char *hold_reason;
	struct engine_encounter enc[FX_MAX];
	size_t n_enc;
	struct engine_transfusion tr[FX_MAX];
	size_t n_tr;
	struct engine_litigation lit[FX_MAX];
	size_t n_lit;
	char enc_id[FX_MAX][8];
	char tr_id[FX_MAX][8];
	char lit_id[FX_MAX][8];
	struct engine_facts f;
	struct engine_result r;
};

/* Empty dossier (no birth date), legal policy, today = 2026-11-21. */
static inline void fx_init(struct fx *x)
{
	memset(x, 0, sizeof(*x));
	engine_policy_init(&x->pol);
	x->today = D(FX_TODAY);
	x->birth = DATE_NONE;
	x->death = DATE_NONE;
	for (size_t i = 0; i < FX_MAX; i++) {
		snprintf(x->enc_id[i], sizeof(x->enc_id[i]), "e%zu", i);
		snprintf(x->tr_id[i], sizeof(x->tr_id[i]), "t%zu", i);
		snprintf(x->lit_id[i], sizeof(x->lit_id[i]), "l%zu", i);
	}
}

static inline void fx_born(struct fx *x, const char *d) { x->birth = D(d); }
static inline void fx_died(struct fx *x, const char *d) { x->death = D(d); }
static inline void fx_today(struct fx *x, const char *d) { x->today = D(d); }

static inline void fx_hold(struct fx *x, const char *reason)
{
	x->held = true;
	x->hold_reason = reason;
}

/* Encounter of kind index kind; returns its index (id "e<index>"). */
static inline size_t fx_add_enc(struct fx *x, int kind, rd_date start,
				rd_date end)
{
	cr_assert_lt(x->n_enc, (size_t)FX_MAX, "test bug: too many encounters");
	size_t i = x->n_enc++;
	x->enc[i].id = x->enc_id[i];
	x->enc[i].kind = kind;
	x->enc[i].start = start;
	x->enc[i].end = end;
	return i;
}

static inline size_t fx_enc(struct fx *x, int kind, const char *start,
			    const char *end)
{
	return fx_add_enc(x, kind, D(start), D(end));
}

/* A stay; end NULL: still in hospital. */
static inline size_t fx_stay(struct fx *x, const char *start, const char *end)
{
	return fx_enc(x, ENGINE_KIND_STAY, start, end);
}

/* A consultation without an end date. */
static inline size_t fx_consult(struct fx *x, const char *date)
{
	return fx_enc(x, ENGINE_KIND_CONSULTATION, date, NULL);
}

/* An emergency visit without an end date. */
static inline size_t fx_emergency(struct fx *x, const char *date)
{
	return fx_enc(x, ENGINE_KIND_EMERGENCY, date, NULL);
}

static inline size_t fx_add_transfusion(struct fx *x, rd_date act)
{
	cr_assert_lt(x->n_tr, (size_t)FX_MAX, "test bug: too many transfusions");
	size_t i = x->n_tr++;
	x->tr[i].id = x->tr_id[i];
	x->tr[i].act = act;
	return i;
}

static inline size_t fx_transfusion(struct fx *x, const char *act)
{
	return fx_add_transfusion(x, D(act));
}

static inline size_t fx_add_litigation(struct fx *x, rd_date opened,
				       rd_date closed)
{
	cr_assert_lt(x->n_lit, (size_t)FX_MAX, "test bug: too many litigations");
	size_t i = x->n_lit++;
	x->lit[i].id = x->lit_id[i];
	x->lit[i].opened = opened;
	x->lit[i].closed = closed;
	return i;
}

/* A litigation; closed NULL: still open. */
static inline size_t fx_litigation(struct fx *x, const char *opened,
				   const char *closed)
{
	return fx_add_litigation(x, D(opened), D(closed));
}

/* Point the facts at the records (again: the struct may have been copied). */
static inline void fx_link(struct fx *x)
{
	for (size_t i = 0; i < x->n_enc; i++)
		x->enc[i].id = x->enc_id[i];
	for (size_t i = 0; i < x->n_tr; i++)
		x->tr[i].id = x->tr_id[i];
	for (size_t i = 0; i < x->n_lit; i++)
		x->lit[i].id = x->lit_id[i];
	x->f.ipp = "IPP-TEST";
	x->f.birth = x->birth;
	x->f.death = x->death;
	x->f.encounters = x->n_enc ? x->enc : NULL;
	x->f.n_encounters = x->n_enc;
	x->f.transfusions = x->n_tr ? x->tr : NULL;
	x->f.n_transfusions = x->n_tr;
	x->f.litigations = x->n_lit ? x->lit : NULL;
	x->f.n_litigations = x->n_lit;
	x->f.held = x->held;
	x->f.hold_reason = x->hold_reason;
}

/* Evaluate the dossier on x->today; the result is in x->r. */
static inline const struct engine_result *fx_eval(struct fx *x)
{
	fx_link(x);
	/* Garbage first: every field we read must have been written. */
	memset(&x->r, 0xA5, sizeof(x->r));
	engine_evaluate(&x->pol, &x->f, x->today, &x->r);
	return &x->r;
}

static inline const struct engine_result *fx_eval_on(struct fx *x,
						     const char *today)
{
	fx_today(x, today);
	return fx_eval(x);
}

/* ------------------------------------------------------------ steps */

static inline size_t fx_nsteps(const struct engine_result *r)
{
	return r->n_steps <= ENGINE_MAX_STEPS ? r->n_steps : 0;
}

/* First step of rule, or NULL. */
static inline const struct engine_step *fx_step(const struct engine_result *r,
						enum engine_rule rule)
{
	for (size_t i = 0; i < fx_nsteps(r); i++)
		if (r->steps[i].rule == rule)
			return &r->steps[i];
	return NULL;
}

static inline size_t fx_count(const struct engine_result *r,
			      enum engine_rule rule)
{
	size_t n = 0;

	for (size_t i = 0; i < fx_nsteps(r); i++)
		n += r->steps[i].rule == rule;
	return n;
}

static inline size_t fx_count_governing(const struct engine_result *r)
{
	size_t n = 0;

	for (size_t i = 0; i < fx_nsteps(r); i++)
		n += r->steps[i].governs;
	return n;
}

/* The governing step when there is exactly one, else NULL. */
static inline const struct engine_step *
fx_governing(const struct engine_result *r)
{
	const struct engine_step *g = NULL;

	for (size_t i = 0; i < fx_nsteps(r); i++) {
		if (!r->steps[i].governs)
			continue;
		if (g != NULL)
			return NULL;
		g = &r->steps[i];
	}
	return g;
}

/* The anomaly step with code a, or NULL. */
static inline const struct engine_step *
fx_anomaly(const struct engine_result *r, enum engine_anomaly a)
{
	for (size_t i = 0; i < fx_nsteps(r); i++)
		if (r->steps[i].rule == ENGINE_RULE_ANOMALY &&
		    r->steps[i].anomaly == a)
			return &r->steps[i];
	return NULL;
}

/* ------------------------------------------------------------ dumps */

__attribute__((format(printf, 3, 4))) static inline void
fx_cat(char *buf, size_t n, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= n)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, n - used, fmt, ap);
	va_end(ap);
}

#define FX_DUMP 4096

/* The result, readable, for failure messages. */
static inline const char *fx_dump_result(const struct engine_result *r,
					 char *buf, size_t n)
{
	char a[DATE_STRLEN], b[DATE_STRLEN], c[DATE_STRLEN];

	buf[0] = '\0';
	fx_cat(buf, n, "status=%s retain_until=%s basis=%s n_steps=%zu n_dropped=%zu",
	       fx_status_str((int)r->status), fx_fmt(r->retain_until, a),
	       fx_rule_str((int)r->basis), r->n_steps, r->n_dropped);
	for (size_t i = 0; i < fx_nsteps(r); i++) {
		const struct engine_step *s = &r->steps[i];

		fx_cat(buf, n,
		       "\n    [%s%s%s anomaly=%d start=%s base=%s until=%s years=%d days=%d kind=%d count=%zu ref=%s]",
		       fx_rule_str((int)s->rule), s->governs ? " GOVERNS" : "",
		       s->superseded ? " superseded" : "", (int)s->anomaly,
		       fx_fmt(s->start, a), fx_fmt(s->base_until, b),
		       fx_fmt(s->until, c), s->years, (int)s->suspended_days,
		       s->kind, s->count, s->ref ? s->ref : "(null)");
	}
	return buf;
}

/* The facts, readable, for failure messages. */
static inline const char *fx_dump_facts(const struct fx *x, char *buf,
					size_t n)
{
	char a[DATE_STRLEN], b[DATE_STRLEN], c[DATE_STRLEN];

	buf[0] = '\0';
	fx_cat(buf, n, "today=%s born=%s died=%s%s", fx_fmt(x->today, a),
	       fx_fmt(x->birth, b), fx_fmt(x->death, c),
	       x->held ? " HOLD" : "");
	if (x->pol.general_years != 20 || x->pol.minor_age != 28 ||
	    x->pol.death_years != 10 || x->pol.transfusion_years != 30 ||
	    x->pol.n_kinds != 3)
		fx_cat(buf, n, " policy(g=%d m=%d d=%d t=%d kinds=%zu)",
		       x->pol.general_years, x->pol.minor_age,
		       x->pol.death_years, x->pol.transfusion_years,
		       x->pol.n_kinds);
	for (size_t i = 0; i < x->n_enc; i++)
		fx_cat(buf, n, "\n    enc %s kind=%d %s..%s", x->enc_id[i],
		       x->enc[i].kind, fx_fmt(x->enc[i].start, a),
		       fx_fmt(x->enc[i].end, b));
	for (size_t i = 0; i < x->n_tr; i++)
		fx_cat(buf, n, "\n    transfusion %s %s", x->tr_id[i],
		       fx_fmt(x->tr[i].act, a));
	for (size_t i = 0; i < x->n_lit; i++)
		fx_cat(buf, n, "\n    litigation %s %s..%s", x->lit_id[i],
		       fx_fmt(x->lit[i].opened, a),
		       fx_fmt(x->lit[i].closed, b));
	return buf;
}

/* ------------------------------------------------------------ assertions */

static inline void fx_assert_date_at(rd_date got, rd_date want,
				     const char *what, const char *file,
				     int line)
{
	char g[DATE_STRLEN], w[DATE_STRLEN];

	cr_assert_eq(got, want, "%s:%d: %s: got %s, expected %s", file, line,
		     what, fx_fmt(got, g), fx_fmt(want, w));
}

/* Compare two rd_date values, printing both as YYYY-MM-DD on failure. */
#define FX_ASSERT_DATE(got, want) \
	fx_assert_date_at((got), (want), #got, __FILE__, __LINE__)

/*
 * The last result of x has this status and retain_until (NULL: DATE_NONE).
 * With a date: exactly one step governs, it has rule `rule` and its until is
 * retain_until, and basis is `rule`. Without: no step governs, and basis is
 * `rule` unless FX_ANY_RULE.
 */
static inline void fx_expect_at(const struct fx *x, enum engine_status status,
				const char *until, int rule, const char *file,
				int line)
{
	const struct engine_result *r = &x->r;
	char rb[FX_DUMP], fb[FX_DUMP], g[DATE_STRLEN], w[DATE_STRLEN];
	rd_date want = D(until);
	const struct engine_step *gov = fx_governing(r);

	fx_dump_result(r, rb, sizeof(rb));
	fx_dump_facts(x, fb, sizeof(fb));
	cr_assert(r->n_steps <= ENGINE_MAX_STEPS,
		  "%s:%d: n_steps %zu > ENGINE_MAX_STEPS", file, line,
		  r->n_steps);
	cr_assert(r->status == status && r->retain_until == want,
		  "%s:%d: expected %s until %s, got %s until %s\n  facts: %s\n  result: %s",
		  file, line, fx_status_str((int)status), fx_fmt(want, w),
		  fx_status_str((int)r->status), fx_fmt(r->retain_until, g), fb,
		  rb);
	if (want != DATE_NONE) {
		cr_assert(gov != NULL,
			  "%s:%d: expected exactly one governing step, got %zu\n  facts: %s\n  result: %s",
			  file, line, fx_count_governing(r), fb, rb);
		cr_assert((int)gov->rule == rule,
			  "%s:%d: expected %s to govern, got %s\n  facts: %s\n  result: %s",
			  file, line, fx_rule_str(rule),
			  fx_rule_str((int)gov->rule), fb, rb);
		cr_assert(gov->until == want,
			  "%s:%d: governing step until %s != retain_until %s\n  result: %s",
			  file, line, fx_fmt(gov->until, g), fx_fmt(want, w),
			  rb);
		cr_assert((int)r->basis == rule,
			  "%s:%d: basis %s, expected %s\n  result: %s", file,
			  line, fx_rule_str((int)r->basis), fx_rule_str(rule),
			  rb);
	} else {
		cr_assert(fx_count_governing(r) == 0,
			  "%s:%d: no step may govern without a date\n  facts: %s\n  result: %s",
			  file, line, fb, rb);
		cr_assert(rule == FX_ANY_RULE || (int)r->basis == rule,
			  "%s:%d: basis %s, expected %s\n  result: %s", file,
			  line, fx_rule_str((int)r->basis), fx_rule_str(rule),
			  rb);
	}
}

#define FX_EXPECT(x, status, until, rule) \
	fx_expect_at((x), (status), (until), (int)(rule), __FILE__, __LINE__)

/*
 * The boundary of a computed date: on until - 1 and until the dossier is
 * retained, from until + 1 eligible, with retain_until = until and rule
 * governing each time. Restores x->today.
 */
static inline void fx_boundary_at(struct fx *x, const char *until, int rule,
				  const char *file, int line)
{
	rd_date saved = x->today;
	rd_date u = D(until);

	x->today = date_add_days(u, -1);
	fx_eval(x);
	fx_expect_at(x, ENGINE_RETAINED, until, rule, file, line);
	x->today = u;
	fx_eval(x);
	fx_expect_at(x, ENGINE_RETAINED, until, rule, file, line);
	x->today = date_add_days(u, 1);
	fx_eval(x);
	fx_expect_at(x, ENGINE_ELIGIBLE, until, rule, file, line);
	x->today = saved;
}

#define FX_BOUNDARY(x, until, rule) \
	fx_boundary_at((x), (until), (int)(rule), __FILE__, __LINE__)

/* The step is there; fails with the dump otherwise. */
static inline const struct engine_step *
fx_need_step_at(const struct fx *x, enum engine_rule rule, const char *file,
		int line)
{
	char rb[FX_DUMP];
	const struct engine_step *s = fx_step(&x->r, rule);

	cr_assert(s != NULL, "%s:%d: no %s step\n  result: %s", file, line,
		  fx_rule_str((int)rule), fx_dump_result(&x->r, rb, sizeof(rb)));
	return s;
}

#define FX_NEED_STEP(x, rule) fx_need_step_at((x), (rule), __FILE__, __LINE__)

#endif
