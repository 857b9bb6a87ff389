/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The stable names of statuses, rules and anomalies (the contract seen by
 * the CLI, the reports and the database), and the legal citation that
 * `explain` prints for each rule.
 */
#include "config.h"

#include "engine/engine_internal.h"

#include <errno.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const status_names[] = {
	[ENGINE_RETAINED] = "retained",
	[ENGINE_ELIGIBLE] = "eligible",
	[ENGINE_HELD] = "held",
	[ENGINE_ANOMALY] = "anomaly",
};

static const char *const rule_names[] = {
	[ENGINE_RULE_GENERAL_20Y] = "general_20y",
	[ENGINE_RULE_MINOR_28] = "minor_28",
	[ENGINE_RULE_DEATH_10Y] = "death_10y",
	[ENGINE_RULE_TRANSFUSION_30Y] = "transfusion_30y",
	[ENGINE_RULE_LITIGATION_SUSPENSION] = "litigation_suspension",
	[ENGINE_RULE_POLICY] = "policy",
	[ENGINE_RULE_DIRECTOR_HOLD] = "director_hold",
	[ENGINE_RULE_ONGOING_STAY] = "ongoing_stay",
	[ENGINE_RULE_ANOMALY] = "anomaly",
};

static const char *const rule_citations[] = {
	[ENGINE_RULE_GENERAL_20Y] = "CSP R1112-7 al. 1",
	[ENGINE_RULE_MINOR_28] = "CSP R1112-7 al. 1",
	[ENGINE_RULE_DEATH_10Y] = "CSP R1112-7 al. 1",
	[ENGINE_RULE_TRANSFUSION_30Y] =
		("Instruction DHOS/E1/DAF/DPACI n° 2007-322 du 14 août 2007; "
		 "CSP R1112-2 1° l"),
	[ENGINE_RULE_LITIGATION_SUSPENSION] = "CSP R1112-7 al. 1",
	[ENGINE_RULE_POLICY] = "Établissement (R1112-7: durées minimales)",
	[ENGINE_RULE_DIRECTOR_HOLD] = "Décision du directeur",
	[ENGINE_RULE_ONGOING_STAY] = "CSP R1112-7 al. 1 (séjour en cours)",
	[ENGINE_RULE_ANOMALY] = "Données incohérentes",
};

static const char *const anomaly_names[] = {
	[ENGINE_ANOMALY_NONE] = "none",
	[ENGINE_ANOMALY_NO_BIRTH_DATE] = "no_birth_date",
	[ENGINE_ANOMALY_BIRTH_IN_FUTURE] = "birth_in_future",
	[ENGINE_ANOMALY_DEATH_BEFORE_BIRTH] = "death_before_birth",
	[ENGINE_ANOMALY_DEATH_IN_FUTURE] = "death_in_future",
	[ENGINE_ANOMALY_ENCOUNTER_BEFORE_BIRTH] = "encounter_before_birth",
	[ENGINE_ANOMALY_ENCOUNTER_IN_FUTURE] = "encounter_in_future",
	[ENGINE_ANOMALY_ENCOUNTER_ENDS_BEFORE_START] =
		"encounter_ends_before_start",
	[ENGINE_ANOMALY_ENCOUNTER_AFTER_DEATH] = "encounter_after_death",
	[ENGINE_ANOMALY_TRANSFUSION_BEFORE_BIRTH] = "transfusion_before_birth",
	[ENGINE_ANOMALY_TRANSFUSION_AFTER_DEATH] = "transfusion_after_death",
	[ENGINE_ANOMALY_TRANSFUSION_IN_FUTURE] = "transfusion_in_future",
	[ENGINE_ANOMALY_LITIGATION_IN_FUTURE] = "litigation_in_future",
	[ENGINE_ANOMALY_LITIGATION_CLOSED_BEFORE_OPENED] =
		"litigation_closed_before_opened",
	[ENGINE_ANOMALY_LITIGATION_CLOSED_IN_FUTURE] =
		"litigation_closed_in_future",
	[ENGINE_ANOMALY_NO_ENCOUNTER] = "no_encounter",
};

/* The enums are cast from stored integers: never index out of bounds. */
static const char *lookup(const char *const *table, size_t n, int i)
{
	if (i < 0 || (size_t)i >= n || !table[i])
		return "unknown";
	return table[i];
}

const char *engine_status_name(enum engine_status s)
{
	return lookup(status_names, COUNT(status_names), (int)s);
}

int engine_status_from_name(const char *name)
{
	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < COUNT(status_names); i++)
		if (strcmp(name, status_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

const char *engine_rule_name(enum engine_rule r)
{
	return lookup(rule_names, COUNT(rule_names), (int)r);
}

int engine_rule_from_name(const char *name)
{
	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < COUNT(rule_names); i++)
		if (rule_names[i] && strcmp(name, rule_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

const char *engine_rule_citation(enum engine_rule r)
{
	return lookup(rule_citations, COUNT(rule_citations), (int)r);
}

const char *engine_anomaly_name(enum engine_anomaly a)
{
	return lookup(anomaly_names, COUNT(anomaly_names), (int)a);
}
