/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Explanations as JSON. Each step carries an English note so that a script
 * reading the JSON and the CLI printing it say the same thing; the fields
 * beside it let a program check every date.
 */
#include "config.h"

#include "daemon/render.h"

#include <stdio.h>
#include <string.h>

json_t *render_date(rd_date d)
{
	char buf[DATE_STRLEN];

	if (d == DATE_NONE)
		return json_null();
	return json_string(date_format(d, buf));
}

static const char *kind_name(const struct engine_policy *p, int k)
{
	if (k >= 0 && (size_t)k < p->n_kinds)
		return p->kinds[k].name;
	return "unknown";
}

static const char *anomaly_note(enum engine_anomaly a)
{
	switch (a) {
	case ENGINE_ANOMALY_NONE:
		return "no anomaly";
	case ENGINE_ANOMALY_NO_BIRTH_DATE:
		return "the patient has no birth date";
	case ENGINE_ANOMALY_BIRTH_IN_FUTURE:
		return "the birth date is in the future";
	case ENGINE_ANOMALY_DEATH_BEFORE_BIRTH:
		return "the death date is before the birth";
	case ENGINE_ANOMALY_DEATH_IN_FUTURE:
		return "the death date is in the future";
	case ENGINE_ANOMALY_ENCOUNTER_BEFORE_BIRTH:
		return "an encounter starts before the birth";
	case ENGINE_ANOMALY_ENCOUNTER_IN_FUTURE:
		return "an encounter starts or ends in the future";
	case ENGINE_ANOMALY_ENCOUNTER_ENDS_BEFORE_START:
		return "an encounter ends before it starts";
	case ENGINE_ANOMALY_ENCOUNTER_AFTER_DEATH:
		return "an encounter ends after the death";
	case ENGINE_ANOMALY_TRANSFUSION_BEFORE_BIRTH:
		return "a transfusion is dated before the birth";
	case ENGINE_ANOMALY_TRANSFUSION_AFTER_DEATH:
		return "a transfusion is dated after the death";
	case ENGINE_ANOMALY_TRANSFUSION_IN_FUTURE:
		return "a transfusion is dated in the future";
	case ENGINE_ANOMALY_LITIGATION_IN_FUTURE:
		return "a litigation opens in the future";
	case ENGINE_ANOMALY_LITIGATION_CLOSED_BEFORE_OPENED:
		return "a litigation closes before it opened";
	case ENGINE_ANOMALY_LITIGATION_CLOSED_IN_FUTURE:
		return "a litigation closes in the future";
	case ENGINE_ANOMALY_NO_ENCOUNTER:
		return "the dossier has no encounter";
	}
	return "inconsistent data";
}

/* The date the legal clocks (death, or general and minor) end on. */
static rd_date legal_until(const struct engine_result *r)
{
	rd_date best = DATE_NONE;

	for (size_t i = 0; i < r->n_steps; i++) {
		const struct engine_step *s = &r->steps[i];
		if ((s->rule == ENGINE_RULE_GENERAL_20Y || s->rule == ENGINE_RULE_MINOR_28 ||
		     s->rule == ENGINE_RULE_DEATH_10Y) &&
		    !s->superseded && s->until > best)
			best = s->until;
	}
	return best;
}

/* End of the last encounter. Only called for dated results, where no
 * encounter is open: a missing end means a one-day encounter. */
static rd_date last_encounter(const struct engine_facts *f)
{
	rd_date last = DATE_NONE;

	for (size_t i = 0; i < f->n_encounters; i++) {
		const struct engine_encounter *e = &f->encounters[i];
		const rd_date end = e->end != DATE_NONE ? e->end : e->start;
		if (end > last)
			last = end;
	}
	return last;
}

/* The general and minor clocks start at some encounter: the last one
 * unless an earlier one's clock, suspended by litigation, ends later. */
static int clock_origin(const struct engine_facts *f, const struct engine_step *s,
			char *buf, size_t len)
{
	char a[DATE_STRLEN], b[DATE_STRLEN];
	const rd_date last = last_encounter(f);

	if (s->start == last)
		return snprintf(buf, len, "the last encounter, which ended on %s",
				date_format(s->start, a));
	return snprintf(buf, len,
			"the encounter that ended on %s (each encounter starts a clock; "
			"this one, suspended by litigation, ends after that of the last "
			"encounter, which ended on %s)",
			date_format(s->start, a), date_format(last, b));
}

static void note(const struct engine_policy *p, const struct engine_facts *f,
		 const struct engine_result *r, const struct engine_step *s, char *buf,
		 size_t len)
{
	char a[DATE_STRLEN], b[DATE_STRLEN], origin[320];

	switch (s->rule) {
	case ENGINE_RULE_GENERAL_20Y:
		clock_origin(f, s, origin, sizeof(origin));
		snprintf(buf, len, "%d years after %s%s", s->years, origin,
			 s->superseded ? "; replaced by the death rule" : "");
		break;
	case ENGINE_RULE_MINOR_28:
		clock_origin(f, s, origin, sizeof(origin));
		snprintf(buf, len,
			 "until the %dth birthday (%s), later than %d years after %s%s",
			 p->minor_age, date_format(s->base_until, b), p->general_years,
			 origin, s->superseded ? "; replaced by the death rule" : "");
		break;
	case ENGINE_RULE_DEATH_10Y:
		snprintf(buf, len,
			 "died on %s, less than 10 years after the last encounter: "
			 "kept %d years after the death, instead of the general rule",
			 date_format(s->start, a), s->years);
		break;
	case ENGINE_RULE_TRANSFUSION_30Y: {
		rd_date legal = legal_until(r);
		int n = snprintf(buf, len, "%d years after the transfusion act of %s (%zu act%s)",
				 s->years, date_format(s->start, a), s->count,
				 s->count == 1 ? "" : "s");
		if (s->governs && legal != DATE_NONE && n > 0 && (size_t)n < len)
			snprintf(buf + n, len - (size_t)n,
				 "; the whole dossier is kept for the transfusion mentions, "
				 "the rest of it expired on %s", date_format(legal, b));
		break;
	}
	case ENGINE_RULE_LITIGATION_SUSPENSION:
		if (s->until == DATE_NONE)
			snprintf(buf, len,
				 "litigation open since %s: the dossier is held until it is closed",
				 date_format(s->start, a));
		else
			snprintf(buf, len, "clock suspended %d day%s by litigation, from %s",
				 (int)s->suspended_days, s->suspended_days == 1 ? "" : "s",
				 date_format(s->start, a));
		break;
	case ENGINE_RULE_POLICY:
		snprintf(buf, len,
			 "establishment policy: %d years after the last '%s' encounter, "
			 "which ended on %s", s->years, kind_name(p, s->kind),
			 date_format(s->start, a));
		break;
	case ENGINE_RULE_DIRECTOR_HOLD:
		snprintf(buf, len, "held by decision of the director");
		break;
	case ENGINE_RULE_ONGOING_STAY:
		snprintf(buf, len, "stay started on %s has no discharge date: "
			 "the retention cannot start yet", date_format(s->start, a));
		break;
	case ENGINE_RULE_ANOMALY:
		snprintf(buf, len, "%s", anomaly_note(s->anomaly));
		break;
	}
}

json_t *render_step(const struct engine_policy *p, const struct engine_facts *f,
		    const struct engine_result *r, const struct engine_step *s)
{
	char text[768];
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "rule", json_string(engine_rule_name(s->rule)));
	json_object_set_new(o, "start", render_date(s->start));
	json_object_set_new(o, "retain_until", render_date(s->until));
	json_object_set_new(o, "citation", json_string(engine_rule_citation(s->rule)));
	switch (s->rule) {
	case ENGINE_RULE_GENERAL_20Y:
	case ENGINE_RULE_MINOR_28:
	case ENGINE_RULE_DEATH_10Y:
	case ENGINE_RULE_TRANSFUSION_30Y:
	case ENGINE_RULE_POLICY:
		json_object_set_new(o, "years", json_integer(s->years));
		json_object_set_new(o, "base_until", render_date(s->base_until));
		json_object_set_new(o, "suspended_days", json_integer(s->suspended_days));
		json_object_set_new(o, "governs", json_boolean(s->governs));
		json_object_set_new(o, "superseded", json_boolean(s->superseded));
		break;
	case ENGINE_RULE_LITIGATION_SUSPENSION:
		json_object_set_new(o, "suspended_days", json_integer(s->suspended_days));
		break;
	default:
		break;
	}
	if (s->rule == ENGINE_RULE_TRANSFUSION_30Y)
		json_object_set_new(o, "count", json_integer((json_int_t)s->count));
	if (s->rule == ENGINE_RULE_POLICY)
		json_object_set_new(o, "kind", json_string(kind_name(p, s->kind)));
	if (s->rule == ENGINE_RULE_ANOMALY)
		json_object_set_new(o, "anomaly", json_string(engine_anomaly_name(s->anomaly)));
	if (s->ref) {
		json_t *ref = json_string(s->ref);
		json_object_set_new(o, s->rule == ENGINE_RULE_DIRECTOR_HOLD ? "reason" : "ref",
				    ref ? ref : json_null());
	}
	note(p, f, r, s, text, sizeof(text));
	json_object_set_new(o, "note", json_string(text));
	return o;
}

json_t *render_explain(const struct engine_policy *p,
		       const struct store_dossier *d,
		       const struct engine_result *r, rd_date today)
{
	json_t *o = json_object();
	json_t *rules = json_array();

	if (!o || !rules) {
		json_decref(o);
		json_decref(rules);
		return NULL;
	}
	json_object_set_new(o, "ipp", json_string(d->ipp));
	json_object_set_new(o, "status", json_string(engine_status_name(r->status)));
	json_object_set_new(o, "retain_until", render_date(r->retain_until));
	json_object_set_new(o, "eligible_from",
			    render_date(r->retain_until == DATE_NONE
						? DATE_NONE
						: date_add_days(r->retain_until, 1)));
	json_object_set_new(o, "basis", json_string(engine_rule_name(r->basis)));
	json_object_set_new(o, "today", render_date(today));
	for (size_t i = 0; i < r->n_steps; i++) {
		json_t *s = render_step(p, &d->facts, r, &r->steps[i]);
		if (s)
			json_array_append_new(rules, s);
	}
	json_object_set_new(o, "rules", rules);
	if (r->n_dropped)
		json_object_set_new(o, "rules_not_shown", json_integer((json_int_t)r->n_dropped));
	json_object_set_new(o, "facts",
			    json_pack("{s:o, s:o, s:I, s:I, s:I}", "birth_date",
				      render_date(d->facts.birth), "death_date",
				      render_date(d->facts.death), "encounters",
				      (json_int_t)d->facts.n_encounters, "transfusions",
				      (json_int_t)d->facts.n_transfusions, "litigations",
				      (json_int_t)d->facts.n_litigations));
	if (d->has_state)
		json_object_set_new(o, "stored",
				    json_pack("{s:s, s:o, s:b}", "status",
					      engine_status_name(d->status), "retain_until",
					      render_date(d->retain_until), "dirty", d->dirty));
	if (d->proposal_id)
		json_object_set_new(o, "proposal",
				    json_pack("{s:I, s:s, s:I}", "id", (json_int_t)d->proposal_id,
					      "state", d->proposal_state, "batch",
					      (json_int_t)d->proposal_batch));
	else
		json_object_set_new(o, "proposal", json_null());
	return o;
}
