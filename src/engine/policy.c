/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The establishment's retention policy: the legal durations, which the
 * configuration may lengthen but never shorten (R1112-7 sets minimums),
 * and the table of encounter kinds.
 */
#include "config.h"

#include "engine/engine_internal.h"

#include <errno.h>
#include <string.h>

static void set_kind(struct engine_kind *k, const char *name, int years,
		     bool is_stay)
{
	memset(k, 0, sizeof(*k));
	strcpy(k->name, name);
	k->years = years;
	k->years_set = false;
	k->is_stay = is_stay;
}

void engine_policy_init(struct engine_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->general_years = ENGINE_LEGAL_GENERAL_YEARS;
	p->minor_age = ENGINE_LEGAL_MINOR_AGE;
	p->death_years = ENGINE_LEGAL_DEATH_YEARS;
	p->transfusion_years = ENGINE_LEGAL_TRANSFUSION_YEARS;
	set_kind(&p->kinds[ENGINE_KIND_STAY], "stay", p->general_years, true);
	set_kind(&p->kinds[ENGINE_KIND_CONSULTATION], "consultation",
		 p->general_years, false);
	set_kind(&p->kinds[ENGINE_KIND_EMERGENCY], "emergency",
		 p->general_years, false);
	p->n_kinds = 3;
}

int engine_policy_set(struct engine_policy *p, const char *key, int value)
{
	static const struct {
		const char *key;
		size_t offset;
		int minimum;
	} keys[] = {
		{"general_years", offsetof(struct engine_policy, general_years),
		 ENGINE_LEGAL_GENERAL_YEARS},
		{"minor_age", offsetof(struct engine_policy, minor_age),
		 ENGINE_LEGAL_MINOR_AGE},
		{"death_years", offsetof(struct engine_policy, death_years),
		 ENGINE_LEGAL_DEATH_YEARS},
		{"transfusion_years",
		 offsetof(struct engine_policy, transfusion_years),
		 ENGINE_LEGAL_TRANSFUSION_YEARS},
	};

	if (!key)
		return -ENOENT;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(key, keys[i].key) != 0)
			continue;
		if (value < keys[i].minimum || value > ENGINE_MAX_YEARS)
			return -ERANGE;
		*(int *)((char *)p + keys[i].offset) = value;
		if (keys[i].offset == offsetof(struct engine_policy, general_years)) {
			for (size_t k = 0; k < p->n_kinds; k++)
				if (!p->kinds[k].years_set)
					p->kinds[k].years = value;
		}
		return 0;
	}
	return -ENOENT;
}

static bool valid_kind_name(const char *name)
{
	size_t len;

	if (!name)
		return false;
	len = strlen(name);
	if (len == 0 || len >= ENGINE_KIND_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		const char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

int engine_policy_add_kind(struct engine_policy *p, const char *name,
			   int years, bool is_stay)
{
	struct engine_kind *k;
	int idx;

	if (!valid_kind_name(name))
		return -EINVAL;
	if (years >= 0 &&
	    (years < ENGINE_LEGAL_GENERAL_YEARS || years > ENGINE_MAX_YEARS))
		return -ERANGE;

	idx = engine_policy_kind_find(p, name);
	if (idx >= 0) {
		k = &p->kinds[idx];
		/* Never turn a stay-like kind into a punctual one: an open
		 * stay would then silently count as ended on admission. */
		k->is_stay = k->is_stay || is_stay;
	} else {
		if (p->n_kinds >= ENGINE_MAX_KINDS)
			return -ENOSPC;
		idx = (int)p->n_kinds++;
		k = &p->kinds[idx];
		set_kind(k, name, p->general_years, is_stay);
	}
	if (years >= 0) {
		k->years = years;
		k->years_set = true;
	} else {
		k->years = p->general_years;
		k->years_set = false;
	}
	return idx;
}

int engine_policy_kind_find(const struct engine_policy *p, const char *name)
{
	if (!name)
		return -ENOENT;
	for (size_t i = 0; i < p->n_kinds; i++)
		if (strcmp(p->kinds[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

int engine_policy_kind_years(const struct engine_policy *p, int k)
{
	if (k < 0 || (size_t)k >= p->n_kinds || !p->kinds[k].years_set)
		return p->general_years;
	return p->kinds[k].years > p->general_years ? p->kinds[k].years
						    : p->general_years;
}
