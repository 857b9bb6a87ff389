/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The read-only queries of the nightly report: work waiting per proposal
 * state and batch, director's holds, open litigations, the data-quality
 * worklist (each anomaly re-evaluated by the engine to say why), the
 * dossiers due soon, the new batches and the dates moved earlier. Each
 * reads a small range of an index; none scans the dossiers. They run once
 * a night, so their statements are prepared per call rather than cached;
 * their SQL is in store_internal.h, where the unit test checks its plans.
 */
#include "config.h"

#include "store/store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int prepare(struct store *st, const char *sql, sqlite3_stmt **out)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, out, NULL);

	if (rc != SQLITE_OK) {
		sqlite3_finalize(*out);
		*out = NULL;
		return store_fail(st, rc);
	}
	return 0;
}

static const char *text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* The single integer of a count query whose parameters are bound. */
static int count_one(struct store *st, sqlite3_stmt *s, int64_t *out)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_ROW)
		return store_fail(st, rc);
	*out = sqlite3_column_int64(s, 0);
	return 0;
}

int store_report_pending(struct store *st, store_pending_fn fn, void *ctx)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if (!st || !fn)
		return -EINVAL;
	r = prepare(st, STORE_SQL_REPORT_PENDING, &s);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const struct store_pending p = {
			.state = text(s, 0),
			.batch = sqlite3_column_int64(s, 1),
			.count = sqlite3_column_int64(s, 2),
			.oldest = sqlite3_column_int64(s, 3),
		};
		r = fn(ctx, &p);
		if (r != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
out:
	sqlite3_finalize(s);
	return r;
}

int store_report_holds(struct store *st, size_t limit, store_hold_fn fn, void *ctx)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if (!st || !fn)
		return -EINVAL;
	r = prepare(st, STORE_SQL_REPORT_HOLDS, &s);
	if (r < 0)
		return r;
	if (store_bind_limit(s, 1, limit) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const struct store_hold_row h = {
			.ipp = text(s, 0),
			.reason = text(s, 1),
			.since = store_column_date(s, 2),
		};
		r = fn(ctx, &h);
		if (r != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
out:
	sqlite3_finalize(s);
	return r;
}

int store_report_open_litigations(struct store *st, size_t limit,
				  store_litigation_fn fn, void *ctx)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if (!st || !fn)
		return -EINVAL;
	r = prepare(st, STORE_SQL_REPORT_OPEN_LITIGATIONS, &s);
	if (r < 0)
		return r;
	if (store_bind_limit(s, 1, limit) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const struct store_litigation_row l = {
			.id = text(s, 0),
			.ipp = text(s, 1),
			.opened = store_column_date(s, 2),
			.reference = text(s, 3),
		};
		r = fn(ctx, &l);
		if (r != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
out:
	sqlite3_finalize(s);
	return r;
}

/*
 * The IPPs are read first, then each dossier is loaded and evaluated:
 * loading runs statements of its own, which is allowed while this one is
 * open, but a savepoint keeps the whole list one consistent read.
 */
int store_report_anomalies(struct store *st, const struct engine_policy *p,
			   rd_date today, size_t limit, store_anomaly_fn fn,
			   void *ctx, int64_t *total)
{
	sqlite3_stmt *s = NULL;
	int64_t n = 0;
	int r, rc;

	if (!st || !p || !fn || today == DATE_NONE)
		return -EINVAL;
	r = store_savepoint(st);
	if (r < 0)
		return r;
	r = prepare(st, STORE_SQL_REPORT_ANOMALY_COUNT, &s);
	if (r < 0)
		goto fail;
	r = count_one(st, s, &n);
	sqlite3_finalize(s);
	s = NULL;
	if (r < 0)
		goto fail;
	r = prepare(st, STORE_SQL_REPORT_ANOMALIES, &s);
	if (r < 0)
		goto fail;
	if (store_bind_limit(s, 1, limit) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto fail;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_dossier *d = NULL;
		struct engine_result res;

		r = store_dossier_load(st, p, text(s, 0), &d);
		if (r == -ENOENT) { /* destroyed meanwhile: nothing to fix */
			r = 0;
			continue;
		}
		if (r < 0)
			goto fail;
		engine_evaluate(p, &d->facts, today, &res);
		if (res.status == ENGINE_ANOMALY)
			r = fn(ctx, d->ipp, &res);
		store_dossier_free(d);
		if (r != 0)
			goto fail;
	}
	if (rc != SQLITE_DONE) {
		r = store_fail(st, rc);
		goto fail;
	}
	sqlite3_finalize(s);
	r = store_release(st);
	if (r == 0 && total)
		*total = n;
	return r;
fail:
	sqlite3_finalize(s);
	store_savepoint_abort(st);
	return r;
}

int store_report_count_due(struct store *st, rd_date today, rd_date until,
			   int64_t *n)
{
	sqlite3_stmt *s = NULL;
	int64_t v = 0;
	int r;

	if (!st || !n || today == DATE_NONE || until == DATE_NONE)
		return -EINVAL;
	r = prepare(st, STORE_SQL_REPORT_COUNT_DUE, &s);
	if (r < 0)
		return r;
	if ((store_bind_date(s, 1, today) | store_bind_date(s, 2, until)) != SQLITE_OK)
		r = store_fail_bind(st);
	else
		r = count_one(st, s, &v);
	sqlite3_finalize(s);
	if (r == 0)
		*n = v;
	return r;
}

int store_report_batches_since(struct store *st, int64_t since, int64_t **ids,
			       size_t *n)
{
	sqlite3_stmt *s = NULL;
	int64_t *v = NULL;
	size_t len = 0, cap = 0;
	int r, rc;

	if (!st || !ids || !n)
		return -EINVAL;
	r = prepare(st, STORE_SQL_REPORT_BATCHES_SINCE, &s);
	if (r < 0)
		return r;
	if (sqlite3_bind_int64(s, 1, since) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			int64_t *nv = realloc(v, ncap * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				goto out;
			}
			v = nv;
			cap = ncap;
		}
		v[len++] = sqlite3_column_int64(s, 0);
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
out:
	sqlite3_finalize(s);
	if (r < 0) {
		free(v);
		return r;
	}
	*ids = v;
	*n = len;
	return 0;
}

int store_report_earlier(struct store *st, int64_t after_id, size_t limit,
			 store_earlier_fn fn, void *ctx)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if (!st || !fn)
		return -EINVAL;
	r = prepare(st, STORE_SQL_REPORT_EARLIER, &s);
	if (r < 0)
		return r;
	if ((sqlite3_bind_int64(s, 1, after_id) | store_bind_limit(s, 2, limit)) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const struct store_earlier e = {
			.id = sqlite3_column_int64(s, 0),
			.ipp = text(s, 1),
			.old_until = store_column_date(s, 2),
			.new_until = store_column_date(s, 3),
			.at = sqlite3_column_int64(s, 4),
		};
		r = fn(ctx, &e);
		if (r != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
out:
	sqlite3_finalize(s);
	return r;
}
