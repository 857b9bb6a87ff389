/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The consistency checks that come before any computation: data that
 * makes a deadline untrustworthy (rules.md, "Data that makes a dossier an
 * anomaly"). Every finding is listed, each naming the record concerned,
 * so that the data can be fixed in one pass.
 */
#include "config.h"

#include "engine/engine_internal.h"

#include <string.h>

struct engine_step engine_step_blank(enum engine_rule rule)
{
	struct engine_step s;

	memset(&s, 0, sizeof(s));
	s.rule = rule;
	s.anomaly = ENGINE_ANOMALY_NONE;
	s.start = DATE_NONE;
	s.base_until = DATE_NONE;
	s.until = DATE_NONE;
	s.kind = -1;
	return s;
}

void engine_step_push(struct engine_result *out, const struct engine_step *s)
{
	if (out->n_steps < ENGINE_MAX_STEPS)
		out->steps[out->n_steps++] = *s;
	else
		out->n_dropped++;
}

static void report(struct engine_result *out, size_t *found,
		   enum engine_anomaly a, rd_date date, const char *ref)
{
	struct engine_step s = engine_step_blank(ENGINE_RULE_ANOMALY);

	s.anomaly = a;
	s.start = date;
	s.ref = ref;
	engine_step_push(out, &s);
	(*found)++;
}

static void check_encounter(const struct engine_policy *p,
			    const struct engine_facts *f,
			    const struct engine_encounter *e, rd_date today,
			    struct engine_result *out, size_t *found)
{
	const rd_date end = engine_effective_end(p, e);

	if (f->birth != DATE_NONE && e->start < f->birth)
		report(out, found, ENGINE_ANOMALY_ENCOUNTER_BEFORE_BIRTH,
		       e->start, e->id);
	if (e->start > today)
		report(out, found, ENGINE_ANOMALY_ENCOUNTER_IN_FUTURE,
		       e->start, e->id);
	else if (e->end != DATE_NONE && e->end > today)
		report(out, found, ENGINE_ANOMALY_ENCOUNTER_IN_FUTURE, e->end,
		       e->id);
	if (e->end != DATE_NONE && e->end < e->start)
		report(out, found, ENGINE_ANOMALY_ENCOUNTER_ENDS_BEFORE_START,
		       e->end, e->id);
	/*
	 * An open stay of a deceased patient is left to the ongoing-stay
	 * state (doc/engine.md): its discharge is just not recorded yet.
	 * One admitted after the death cannot end on or before it.
	 */
	if (f->death != DATE_NONE) {
		const rd_date d = end != DATE_NONE ? end : e->start;

		if (d > f->death)
			report(out, found, ENGINE_ANOMALY_ENCOUNTER_AFTER_DEATH,
			       d, e->id);
	}
}

size_t engine_check_anomalies(const struct engine_policy *p,
			      const struct engine_facts *f, rd_date today,
			      struct engine_result *out)
{
	size_t found = 0;

	if (f->birth == DATE_NONE)
		report(out, &found, ENGINE_ANOMALY_NO_BIRTH_DATE, DATE_NONE,
		       NULL);
	else if (f->birth > today)
		report(out, &found, ENGINE_ANOMALY_BIRTH_IN_FUTURE, f->birth,
		       NULL);

	if (f->death != DATE_NONE) {
		if (f->birth != DATE_NONE && f->death < f->birth)
			report(out, &found, ENGINE_ANOMALY_DEATH_BEFORE_BIRTH,
			       f->death, NULL);
		if (f->death > today)
			report(out, &found, ENGINE_ANOMALY_DEATH_IN_FUTURE,
			       f->death, NULL);
	}

	for (size_t i = 0; i < f->n_encounters; i++)
		check_encounter(p, f, &f->encounters[i], today, out, &found);

	for (size_t i = 0; i < f->n_transfusions; i++) {
		const struct engine_transfusion *t = &f->transfusions[i];

		if (f->birth != DATE_NONE && t->act < f->birth)
			report(out, &found,
			       ENGINE_ANOMALY_TRANSFUSION_BEFORE_BIRTH, t->act,
			       t->id);
		if (f->death != DATE_NONE && t->act > f->death)
			report(out, &found,
			       ENGINE_ANOMALY_TRANSFUSION_AFTER_DEATH, t->act,
			       t->id);
		if (t->act > today)
			report(out, &found,
			       ENGINE_ANOMALY_TRANSFUSION_IN_FUTURE, t->act,
			       t->id);
	}

	for (size_t i = 0; i < f->n_litigations; i++) {
		const struct engine_litigation *l = &f->litigations[i];

		if (l->opened > today)
			report(out, &found, ENGINE_ANOMALY_LITIGATION_IN_FUTURE,
			       l->opened, l->id);
		if (l->closed != DATE_NONE && l->closed < l->opened)
			report(out, &found,
			       ENGINE_ANOMALY_LITIGATION_CLOSED_BEFORE_OPENED,
			       l->closed, l->id);
		if (l->closed != DATE_NONE && l->closed > today)
			report(out, &found,
			       ENGINE_ANOMALY_LITIGATION_CLOSED_IN_FUTURE,
			       l->closed, l->id);
	}

	if (f->n_encounters == 0)
		report(out, &found, ENGINE_ANOMALY_NO_ENCOUNTER, DATE_NONE,
		       NULL);
	return found;
}
