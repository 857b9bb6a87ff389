/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The retention engine: turns one dossier's facts into its status, the last
 * day it must be kept, and the list of rules that led there (CSP R1112-7,
 * see shared/design/rules.md). Pure functions: no I/O, no allocation, no
 * global state; safe to call from any thread.
 */
#ifndef RETENTIOND_ENGINE_H
#define RETENTIOND_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/date.h"

/* ------------------------------------------------------------ policy */

/* Legal minimums (R1112-7 and the 2007 transfusion instruction). */
#define ENGINE_LEGAL_GENERAL_YEARS 20
#define ENGINE_LEGAL_MINOR_AGE 28
#define ENGINE_LEGAL_DEATH_YEARS 10
#define ENGINE_LEGAL_TRANSFUSION_YEARS 30
/* Upper bound of any configured duration, to keep dates in 1..9999. */
#define ENGINE_MAX_YEARS 200

#define ENGINE_MAX_KINDS 32
#define ENGINE_KIND_NAME_MAX 32

/* Indexes of the built-in encounter kinds in engine_policy.kinds. */
enum {
	ENGINE_KIND_STAY = 0,
	ENGINE_KIND_CONSULTATION = 1,
	ENGINE_KIND_EMERGENCY = 2,
};

struct engine_kind {
	char name[ENGINE_KIND_NAME_MAX];
	/*
	 * Retention of this kind's encounters, from their end. Equal to the
	 * general duration unless the establishment set a longer one; a longer
	 * one is an establishment rule ("policy") that holds in every case,
	 * even after the death rule replaced rules 1 and 2.
	 */
	int years;
	bool years_set; /* configured explicitly (else follows general_years) */
	/* A stay-like kind: no end date means the patient is still there. */
	bool is_stay;
};

struct engine_policy {
	int general_years;     /* rule 1, >= 20 */
	int minor_age;         /* rule 2, >= 28 */
	int death_years;       /* rule 3, >= 10 */
	int transfusion_years; /* rule 4, >= 30 */
	struct engine_kind kinds[ENGINE_MAX_KINDS];
	size_t n_kinds; /* the three built-ins first */
};

/* Legal durations and the built-in kinds stay, consultation, emergency. */
void engine_policy_init(struct engine_policy *p);

/*
 * Lengthen a legal duration. key: "general_years", "minor_age",
 * "death_years", "transfusion_years". Returns 0, -ENOENT for an unknown key,
 * -ERANGE when below the legal minimum or above ENGINE_MAX_YEARS.
 */
int engine_policy_set(struct engine_policy *p, const char *key, int value);

/*
 * Declare an encounter kind, or give a built-in one a longer duration.
 * years < 0 means "the general duration". Returns the kind's index, or
 * -EINVAL (empty name, too long, or not [a-z0-9_-]), -ERANGE (below the
 * general legal minimum or above ENGINE_MAX_YEARS), -ENOSPC (table full).
 * Re-declaring a built-in kind keeps its is_stay unless is_stay is true.
 */
int engine_policy_add_kind(struct engine_policy *p, const char *name,
			   int years, bool is_stay);

/* Index of the kind named name, or -ENOENT. */
int engine_policy_kind_find(const struct engine_policy *p, const char *name);

/* Years that apply to kind k under p (general_years unless set longer). */
int engine_policy_kind_years(const struct engine_policy *p, int k);

/* ------------------------------------------------------------ facts */

struct engine_encounter {
	const char *id; /* borrowed; may be NULL in tests */
	/*
	 * Index into engine_policy.kinds. Out of range (a kind no longer in
	 * the configuration): the general duration, and a missing end date
	 * is taken as a stay still open (the safer reading).
	 */
	int kind;
	rd_date start;
	rd_date end; /* DATE_NONE: for a stay, still in hospital;
			otherwise the encounter ends on its start date */
};

struct engine_transfusion {
	const char *id;
	rd_date act;
};

struct engine_litigation {
	const char *id;
	rd_date opened;
	rd_date closed; /* DATE_NONE while open */
};

struct engine_facts {
	const char *ipp;
	rd_date birth; /* DATE_NONE: unknown (an anomaly) */
	rd_date death; /* DATE_NONE: alive, or not known to be dead */
	const struct engine_encounter *encounters;
	size_t n_encounters;
	const struct engine_transfusion *transfusions;
	size_t n_transfusions;
	const struct engine_litigation *litigations;
	size_t n_litigations;
	bool held;               /* director's hold */
	const char *hold_reason; /* borrowed */
};

/* ------------------------------------------------------------ result */

enum engine_status {
	ENGINE_RETAINED = 0,
	ENGINE_ELIGIBLE = 1,
	ENGINE_HELD = 2,
	ENGINE_ANOMALY = 3,
};

enum engine_rule {
	ENGINE_RULE_GENERAL_20Y,
	ENGINE_RULE_MINOR_28,
	ENGINE_RULE_DEATH_10Y,
	ENGINE_RULE_TRANSFUSION_30Y,
	ENGINE_RULE_LITIGATION_SUSPENSION,
	ENGINE_RULE_POLICY,
	ENGINE_RULE_DIRECTOR_HOLD,
	ENGINE_RULE_ONGOING_STAY,
	ENGINE_RULE_ANOMALY,
};

enum engine_anomaly {
	ENGINE_ANOMALY_NONE = 0,
	ENGINE_ANOMALY_NO_BIRTH_DATE,
	ENGINE_ANOMALY_BIRTH_IN_FUTURE,
	ENGINE_ANOMALY_DEATH_BEFORE_BIRTH,
	ENGINE_ANOMALY_DEATH_IN_FUTURE,
	ENGINE_ANOMALY_ENCOUNTER_BEFORE_BIRTH,
	ENGINE_ANOMALY_ENCOUNTER_IN_FUTURE,        /* starts or ends after today */
	ENGINE_ANOMALY_ENCOUNTER_ENDS_BEFORE_START,
	ENGINE_ANOMALY_ENCOUNTER_AFTER_DEATH,      /* ends after the death */
	ENGINE_ANOMALY_TRANSFUSION_BEFORE_BIRTH,
	ENGINE_ANOMALY_TRANSFUSION_AFTER_DEATH,
	ENGINE_ANOMALY_TRANSFUSION_IN_FUTURE,
	ENGINE_ANOMALY_LITIGATION_IN_FUTURE,       /* opened after today */
	ENGINE_ANOMALY_LITIGATION_CLOSED_BEFORE_OPENED,
	ENGINE_ANOMALY_LITIGATION_CLOSED_IN_FUTURE,
	ENGINE_ANOMALY_NO_ENCOUNTER,
};

/*
 * One line of the explanation. Which fields are meaningful depends on rule:
 *
 * general_20y, minor_28, death_10y, transfusion_30y, policy (a kind's
 *   longer duration): a clock. start = when it starts (last encounter,
 *   death, transfusion act, last encounter of the kind); years = duration;
 *   base_until = start + years (for minor_28: the 28th birthday);
 *   suspended_days = litigation days added; until = base_until + those days.
 *   superseded: replaced by the death rule (general_20y, minor_28).
 *   count (transfusion_30y): number of transfusion acts; the step shows the
 *   act whose clock ends last; ref = its id. policy: kind = kind index.
 * litigation_suspension: start = first day counted, until = the governing
 *   date after suspension, suspended_days = days added to it; or, for an
 *   open litigation (status held), start = opened, until = DATE_NONE,
 *   ref = litigation id.
 * director_hold: ref = the reason.
 * ongoing_stay: start = admission, ref = encounter id.
 * anomaly: anomaly = which inconsistency, start = the date concerned (or
 *   DATE_NONE), ref = id of the encounter/transfusion/litigation concerned.
 *
 * governs: this step's until is the dossier's retain_until.
 */
struct engine_step {
	enum engine_rule rule;
	enum engine_anomaly anomaly;
	rd_date start;
	rd_date base_until;
	rd_date until;
	int years;
	int32_t suspended_days;
	int kind;
	size_t count;
	bool governs;
	bool superseded;
	const char *ref; /* borrowed from the facts */
};

#define ENGINE_MAX_STEPS 32

struct engine_result {
	enum engine_status status;
	rd_date retain_until; /* last day to keep; DATE_NONE when unknown */
	enum engine_rule basis; /* rule of the governing step, or of the
				   status (anomaly, director_hold, ...) */
	struct engine_step steps[ENGINE_MAX_STEPS];
	size_t n_steps;
	size_t n_dropped; /* steps not stored for lack of room (anomalies) */
};

/*
 * Evaluate one dossier on the civil date today. Always fills *out (every
 * input is valid input: inconsistent data gives status anomaly).
 * Precedence: anomaly, then held (open litigation or director's hold), then
 * an ongoing stay (retained, no date), then the computed date; eligible
 * exactly when retain_until < today.
 */
void engine_evaluate(const struct engine_policy *p,
		     const struct engine_facts *f, rd_date today,
		     struct engine_result *out);

/*
 * The suspension algorithm of rules.md, rule 5: the clock that started on
 * start and ends on until, pushed by every litigation day that falls in
 * it. Open litigations (closed == DATE_NONE) are ignored here (they make
 * the dossier held). *first_counted (may be NULL) gets the first day that
 * was counted, DATE_NONE if none. Returns the pushed date.
 */
rd_date engine_suspend(rd_date start, rd_date until,
		       const struct engine_litigation *lits, size_t n,
		       rd_date *first_counted);

/* Stable names of the contract ("general_20y", ..., "no_birth_date"...). */
const char *engine_status_name(enum engine_status s);
int engine_status_from_name(const char *name); /* or -EINVAL */
const char *engine_rule_name(enum engine_rule r);
int engine_rule_from_name(const char *name); /* or -EINVAL */
const char *engine_rule_citation(enum engine_rule r);
const char *engine_anomaly_name(enum engine_anomaly a);

#endif
