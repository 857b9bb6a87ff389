/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * JSON renderings of engine results, as fixed by interfaces.md (explain).
 */
#ifndef RETENTIOND_DAEMON_RENDER_H
#define RETENTIOND_DAEMON_RENDER_H

#include <jansson.h>

#include "engine/engine.h"
#include "store/store.h"

/* A date as a JSON string, or null for DATE_NONE. New reference. */
json_t *render_date(rd_date d);

/* One step of an explanation (rule, dates, citation, note). */
json_t *render_step(const struct engine_policy *p, const struct engine_facts *f,
		    const struct engine_result *r, const struct engine_step *s);

/* The whole `explain` object for dossier d evaluated into r on today. */
json_t *render_explain(const struct engine_policy *p,
		       const struct store_dossier *d,
		       const struct engine_result *r, rd_date today);

#endif
