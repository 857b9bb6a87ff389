/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Reads: one dossier with its facts, state and proposal (in one
 * allocation), the counts of the status report, and the forecast of the
 * dossiers becoming eligible, read from the (status, retain_until) index.
 */
#include "config.h"

#include "store/store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ dossier */

/* Bump allocation in a block sized beforehand. */
struct arena {
	char *p;
	size_t used, cap;
};

static void *arena_take(struct arena *a, size_t n)
{
	void *q;

	if (n > a->cap - a->used)
		return NULL;
	q = a->p + a->used;
	a->used += n;
	return q;
}

static const char *arena_str(struct arena *a, const char *s)
{
	size_t n = strlen(s ? s : "") + 1;
	char *q = arena_take(a, n);

	if (q)
		memcpy(q, s ? s : "", n);
	return q;
}

/*
 * The child rows of a dossier are read twice under one savepoint: to size
 * the block, then to fill it. Column 0 of each query is the row's id.
 */
static const struct {
	enum store_stmt id;
	const char *sql;
	size_t elem;
} children[3] = {
	{STMT_LOAD_ENCOUNTERS,
	 "SELECT e.encounter_id, k.name, e.start_date, e.end_date"
	 " FROM encounters e JOIN kinds k ON k.id = e.kind_id"
	 " WHERE e.patient_id = ?1 ORDER BY e.start_date, e.encounter_id",
	 sizeof(struct engine_encounter)},
	{STMT_LOAD_TRANSFUSIONS,
	 "SELECT transfusion_id, act_date FROM transfusions"
	 " WHERE patient_id = ?1 ORDER BY act_date, transfusion_id",
	 sizeof(struct engine_transfusion)},
	{STMT_LOAD_LITIGATIONS,
	 "SELECT litigation_id, opened_on, closed_on FROM litigations"
	 " WHERE patient_id = ?1 ORDER BY opened_on, litigation_id",
	 sizeof(struct engine_litigation)},
};

static int child_open(struct store *st, int which, int64_t pid,
		      sqlite3_stmt **out)
{
	int r = store_stmt(st, children[which].id, children[which].sql, out);

	if (r < 0)
		return r;
	if (sqlite3_bind_int64(*out, 1, pid) != SQLITE_OK) {
		r = store_fail_bind(st);
		store_stmt_done(*out);
	}
	return r;
}

static int child_size(struct store *st, int which, int64_t pid, size_t *rows,
		      size_t *bytes)
{
	sqlite3_stmt *s = NULL;
	size_t n = 0, b = 0;
	int r, rc;

	r = child_open(st, which, pid, &s);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		sqlite3_column_text(s, 0);
		b += (size_t)sqlite3_column_bytes(s, 0) + 1;
		n++;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
	store_stmt_done(s);
	if (r < 0)
		return r;
	*rows = n;
	*bytes += n * children[which].elem + b;
	return 0;
}

static int child_fill(struct store *st, int which, int64_t pid,
		      const struct engine_policy *p, struct store_dossier *d,
		      size_t rows, struct arena *a)
{
	struct engine_encounter *enc = d->encounters;
	struct engine_transfusion *tr = d->transfusions;
	struct engine_litigation *lit = d->litigations;
	sqlite3_stmt *s = NULL;
	size_t i = 0;
	int r, rc;

	r = child_open(st, which, pid, &s);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && i < rows) {
		const char *id = arena_str(a, (const char *)sqlite3_column_text(s, 0));
		const char *kind;
		int k;

		if (!id)
			break;
		switch (which) {
		case 0:
			kind = (const char *)sqlite3_column_text(s, 1);
			k = p && kind ? engine_policy_kind_find(p, kind) : -1;
			enc[i] = (struct engine_encounter){
				.id = id,
				.kind = k < 0 ? -1 : k,
				.start = store_column_date(s, 2),
				.end = store_column_date(s, 3),
			};
			break;
		case 1:
			tr[i] = (struct engine_transfusion){
				.id = id,
				.act = store_column_date(s, 1),
			};
			break;
		default:
			lit[i] = (struct engine_litigation){
				.id = id,
				.opened = store_column_date(s, 1),
				.closed = store_column_date(s, 2),
			};
			break;
		}
		i++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = store_fail(st, rc);
	else if (i != rows || rc == SQLITE_ROW)
		/* Cannot happen under the savepoint; never overrun anyway. */
		r = store_error(st, -EIO, "dossier changed while loading");
	store_stmt_done(s);
	return r;
}

int store_dossier_load(struct store *st, const struct engine_policy *p,
		       const char *ipp, struct store_dossier **out)
{
	struct store_dossier *d = NULL;
	sqlite3_stmt *ps = NULL;
	size_t rows[3] = {0}, bytes = 0;
	struct arena a = {0};
	const char *hold;
	int64_t pid;
	int r, rc;

	if (!st || !ipp || !out)
		return -EINVAL;
	/* The dossier's dirty mark as written (held_marks.c). */
	r = store_held_write(st);
	if (r == 0)
		r = store_savepoint(st);
	if (r < 0)
		return r;
	r = store_stmt(st, STMT_LOAD_PATIENT,
		       "SELECT t.id, t.ipp, t.birth_date, t.death_date,"
		       "  t.hold_reason, d.status, d.retain_until, d.dirty,"
		       "  p.id, p.state, p.batch_id"
		       " FROM patients t"
		       " LEFT JOIN dossiers d ON d.patient_id = t.id"
		       " LEFT JOIN proposals p ON p.id = d.proposal_id"
		       " WHERE t.ipp = ?1",
		       &ps);
	if (r < 0)
		goto out;
	if (store_bind_text(ps, 1, ipp) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(ps);
	if (rc == SQLITE_DONE) {
		r = store_error(st, -ENOENT, "unknown patient");
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = store_fail(st, rc);
		goto out;
	}
	pid = sqlite3_column_int64(ps, 0);
	for (int i = 0; i < 3; i++) {
		r = child_size(st, i, pid, &rows[i], &bytes);
		if (r < 0)
			goto out;
	}
	hold = (const char *)sqlite3_column_text(ps, 4);
	bytes += strlen((const char *)sqlite3_column_text(ps, 1)) + 1;
	if (hold)
		bytes += strlen(hold) + 1;

	d = calloc(1, sizeof(*d));
	a.cap = bytes;
	a.p = d ? malloc(bytes) : NULL;
	if (!a.p) {
		r = -ENOMEM;
		goto out;
	}
	d->arena = a.p;
	/* Arrays first (pointer-aligned sizes), strings after. */
	d->encounters = arena_take(&a, rows[0] * children[0].elem);
	d->transfusions = arena_take(&a, rows[1] * children[1].elem);
	d->litigations = arena_take(&a, rows[2] * children[2].elem);
	d->id = pid;
	d->ipp = (char *)arena_str(&a, (const char *)sqlite3_column_text(ps, 1));
	d->hold_reason = hold ? (char *)arena_str(&a, hold) : NULL;
	d->has_state = sqlite3_column_type(ps, 5) != SQLITE_NULL;
	d->status = d->has_state
			    ? (enum engine_status)sqlite3_column_int(ps, 5)
			    : ENGINE_RETAINED;
	d->retain_until = store_column_date(ps, 6);
	d->dirty = sqlite3_column_type(ps, 7) == SQLITE_NULL ||
		   sqlite3_column_int(ps, 7) != 0;
	d->proposal_id = sqlite3_column_int64(ps, 8);
	if (d->proposal_id) {
		const char *state = (const char *)sqlite3_column_text(ps, 9);

		strncat(d->proposal_state, state ? state : "",
			sizeof(d->proposal_state) - 1);
		d->proposal_batch = sqlite3_column_int64(ps, 10);
	}
	d->facts = (struct engine_facts){
		.ipp = d->ipp,
		.birth = store_column_date(ps, 2),
		.death = store_column_date(ps, 3),
		.encounters = d->encounters,
		.n_encounters = rows[0],
		.transfusions = d->transfusions,
		.n_transfusions = rows[1],
		.litigations = d->litigations,
		.n_litigations = rows[2],
		.held = hold != NULL,
		.hold_reason = d->hold_reason,
	};
	for (int i = 0; i < 3; i++) {
		r = child_fill(st, i, pid, p, d, rows[i], &a);
		if (r < 0)
			goto out;
	}
	store_stmt_done(ps);
	ps = NULL;
	r = store_release(st);
	if (r < 0)
		goto out;
	*out = d;
	return 0;
out:
	store_stmt_done(ps);
	if (r < 0)
		store_savepoint_abort(st);
	store_dossier_free(d);
	return r;
}

void store_dossier_free(struct store_dossier *d)
{
	if (!d)
		return;
	free(d->arena);
	free(d);
}

/* ------------------------------------------------------------ counts */

static int state_index(const char *state)
{
	for (int i = 0; i < STORE_N_STATES; i++)
		if (state && strcmp(state, store_proposal_states[i]) == 0)
			return i;
	return -1;
}

/* The running totals of the counts table (schema v4): kept by triggers
 * for batches and proposals, by the store for the rest (store_count). */
static int counts_read(struct store *st, struct store_counts *c)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	r = store_stmt(st, STMT_COUNT_ROWS, "SELECT name, n FROM counts", &s);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		const int64_t n = sqlite3_column_int64(s, 1);
		int i;

		if (!name)
			continue;
		if (strcmp(name, "patients") == 0)
			c->patients = n;
		else if (strcmp(name, "encounters") == 0)
			c->encounters = n;
		else if (strcmp(name, "transfusions") == 0)
			c->transfusions = n;
		else if (strcmp(name, "litigations") == 0)
			c->litigations = n;
		else if (strcmp(name, "batches") == 0)
			c->batches = n;
		else if (strcmp(name, "dirty") == 0)
			c->dirty = n;
		else if (strncmp(name, "status.", 7) == 0 && name[7] >= '0' && name[7] <= '3' &&
			 !name[8])
			c->by_status[name[7] - '0'] = n;
		else if (strncmp(name, "proposals.", 10) == 0 &&
			 (i = state_index(name + 10)) >= 0)
			c->proposals[i] = n;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
	store_stmt_done(s);
	/* This connection's own uncommitted rows, as for every other read. */
	c->encounters += st->count_delta[STORE_FACT_ENCOUNTERS];
	c->transfusions += st->count_delta[STORE_FACT_TRANSFUSIONS];
	c->litigations += st->count_delta[STORE_FACT_LITIGATIONS];
	c->patients += st->count_delta[STORE_COUNT_PATIENTS];
	c->dirty += st->count_delta[STORE_COUNT_DIRTY];
	for (int i = 0; i < 4; i++)
		c->by_status[i] += st->count_delta[STORE_COUNT_STATUS + i];
	return r;
}

int store_counts(struct store *st, struct store_counts *out)
{
	struct store_counts c = {0};
	int r;

	if (!st || !out)
		return -EINVAL;
	r = store_held_write(st);
	if (r == 0)
		r = store_savepoint(st);
	if (r < 0)
		return r;
	r = counts_read(st, &c);
	if (r < 0) {
		store_savepoint_abort(st);
		return r;
	}
	r = store_release(st);
	if (r < 0)
		return r;
	*out = c;
	return 0;
}

/* ------------------------------------------------------------ forecast */

int store_forecast_months(struct store *st, rd_date today, rd_date until,
			  store_month_fn fn, void *ctx)
{
	sqlite3_stmt *s = NULL;
	int year = 0, month = 0, r, rc;
	int64_t count = 0;

	if (!st || !fn || today == DATE_NONE || until == DATE_NONE)
		return -EINVAL;
	r = store_stmt(st, STMT_FORECAST_MONTHS,
		       STORE_SQL_FORECAST_MONTHS, &s);
	if (r < 0)
		return r;
	if ((store_bind_date(s, 1, today) | store_bind_date(s, 2, until)) !=
	    SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int y, m, dd;

		/* Eligible from the day after the last day of retention. */
		date_to_ymd(store_column_date(s, 0) + 1, &y, &m, &dd);
		if (count && (y != year || m != month)) {
			r = fn(ctx, year, month, count);
			if (r != 0)
				goto out;
			count = 0;
		}
		year = y;
		month = m;
		count++;
	}
	if (rc != SQLITE_DONE) {
		r = store_fail(st, rc);
		goto out;
	}
	if (count)
		r = fn(ctx, year, month, count);
out:
	store_stmt_done(s);
	return r;
}

int store_forecast_each(struct store *st, rd_date today, rd_date until,
			size_t limit, store_due_fn fn, void *ctx)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if (!st || !fn || today == DATE_NONE || until == DATE_NONE)
		return -EINVAL;
	r = store_stmt(st, STMT_FORECAST_EACH,
		       STORE_SQL_FORECAST_EACH, &s);
	if (r < 0)
		return r;
	if ((store_bind_date(s, 1, today) | store_bind_date(s, 2, until) |
	     store_bind_limit(s, 3, limit)) !=
	    SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r = fn(ctx, (const char *)sqlite3_column_text(s, 0),
		       store_column_date(s, 1),
		       (const char *)sqlite3_column_text(s, 2));
		if (r != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
out:
	store_stmt_done(s);
	return r;
}
