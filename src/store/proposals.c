/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Proposals of elimination: opening tonight's batch for the eligible
 * dossiers never proposed (found through the partial index
 * dossiers_unproposed, not by a scan), and listing proposals. A proposal
 * copies the IPP and the extreme dates of the dossier when it is opened:
 * it is the register entry that outlives the dossier.
 */
#include "config.h"

#include "store/store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const store_proposal_states[STORE_N_STATES] = {
	"proposed", "reviewed", "approved",  "refused",
	"visaed",   "kept",     "destroyed", "withdrawn",
};

struct candidate {
	int64_t pid;
	rd_date until;
	char basis[32];
};

static int create_batch(struct store *st, rd_date today, int64_t now,
			int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	r = store_stmt(st, STMT_BATCH_ADD,
		       "INSERT INTO batches(created_on, created_at, size)"
		       " VALUES (?1, ?2, 0)",
		       &s);
	if (r < 0)
		return r;
	if ((store_bind_date(s, 1, today) | sqlite3_bind_int64(s, 2, now)) !=
	    SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE) {
		r = store_fail(st, rc);
		goto out;
	}
	*out = sqlite3_last_insert_rowid(st->db);
out:
	store_stmt_done(s);
	return r;
}

static int set_batch_size(struct store *st, int64_t batch, size_t n)
{
	sqlite3_stmt *s = NULL;
	int r;

	r = store_stmt(st, STMT_BATCH_SIZE,
		       "UPDATE batches SET size = ?2 WHERE id = ?1", &s);
	if (r < 0)
		return r;
	return store_step_once(st, s, sqlite3_bind_int64(s, 1, batch) |
			       sqlite3_bind_int64(s, 2, (int64_t)n));
}

static int add_proposal(struct store *st, int64_t batch, int64_t now,
			const struct candidate *c)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	/* The trigger proposals_ai records it as the dossier's proposal. The
	 * extreme dates come from the dossier's rows of encounters, adjacent
	 * in that table's key order. */
	r = store_stmt(st, STMT_PROPOSAL_ADD,
		       "INSERT INTO proposals(patient_id, batch_id, state,"
		       "  retain_until, basis, created_at, updated_at, ipp,"
		       "  first_date, last_date)"
		       " SELECT ?1, ?2, 'proposed', ?3, ?4, ?5, ?5, t.ipp,"
		       "  (SELECT min(start_date) FROM encounters"
		       "    WHERE patient_id = ?1),"
		       "  (SELECT max(coalesce(end_date, start_date))"
		       "    FROM encounters WHERE patient_id = ?1)"
		       " FROM patients t WHERE t.id = ?1",
		       &s);
	if (r < 0)
		return r;
	if ((sqlite3_bind_int64(s, 1, c->pid) | sqlite3_bind_int64(s, 2, batch) |
	     store_bind_date(s, 3, c->until) |
	     store_bind_text(s, 4, c->basis[0] ? c->basis : NULL) |
	     sqlite3_bind_int64(s, 5, now)) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
	else if (sqlite3_changes(st->db) != 1)
		r = store_error(st, -EIO, "dossier %lld has no patient",
				(long long)c->pid);
out:
	store_stmt_done(s);
	return r;
}

static int audit_batch(struct store *st, int64_t batch, rd_date today,
		       size_t n)
{
	struct store_json j;
	char target[32];
	int r;

	store_json_begin(&j);
	store_json_int(&j, "count", (int64_t)n);
	store_json_date(&j, "created_on", today);
	r = store_json_end(&j);
	if (r == 0) {
		snprintf(target, sizeof(target), "batch %lld", (long long)batch);
		r = store_audit_append(st, "propose", target, j.p);
	}
	store_json_free(&j);
	return r;
}

/* Up to STORE_PAGE candidates with an id above cursor. */
static int read_candidates(struct store *st, int64_t cursor,
			   struct candidate *c, size_t *n)
{
	sqlite3_stmt *s = NULL;
	size_t i = 0;
	int r, rc;

	r = store_stmt(st, STMT_UNPROPOSED_PAGE,
		       STORE_SQL_UNPROPOSED_PAGE, &s);
	if (r < 0)
		return r;
	if ((sqlite3_bind_int64(s, 1, cursor) |
	     sqlite3_bind_int(s, 2, STORE_PAGE)) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && i < STORE_PAGE) {
		const char *basis = (const char *)sqlite3_column_text(s, 2);

		c[i].pid = sqlite3_column_int64(s, 0);
		c[i].until = store_column_date(s, 1);
		c[i].basis[0] = '\0';
		if (basis)
			strncat(c[i].basis, basis, sizeof(c[i].basis) - 1);
		i++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		r = store_fail(st, rc);
		goto out;
	}
	*n = i;
out:
	store_stmt_done(s);
	return r;
}

int store_propose(struct store *st, rd_date today, int64_t now,
		  int64_t *batch_id, size_t *n)
{
	struct candidate *page = NULL;
	int64_t batch = 0, cursor = 0;
	size_t total = 0, got;
	int r;

	if (!st || today == DATE_NONE || !batch_id || !n)
		return -EINVAL;
	page = malloc(STORE_PAGE * sizeof(*page));
	if (!page)
		return -ENOMEM;
	/* Read a page to its end before inserting: each insert changes the
	 * index the page is read from. */
	do {
		r = read_candidates(st, cursor, page, &got);
		if (r < 0)
			goto out;
		if (got && !batch) {
			r = create_batch(st, today, now, &batch);
			if (r < 0)
				goto out;
		}
		for (size_t i = 0; i < got; i++) {
			r = add_proposal(st, batch, now, &page[i]);
			if (r < 0)
				goto out;
		}
		total += got;
		if (got)
			cursor = page[got - 1].pid;
	} while (got == STORE_PAGE);
	if (batch) {
		r = set_batch_size(st, batch, total);
		if (r < 0)
			goto out;
		r = audit_batch(st, batch, today, total);
		if (r < 0)
			goto out;
	}
	*batch_id = batch;
	*n = total;
out:
	free(page);
	return r;
}

static bool known_state(const char *state)
{
	for (size_t i = 0; i < STORE_N_STATES; i++)
		if (strcmp(state, store_proposal_states[i]) == 0)
			return true;
	return false;
}

#define PROPOSAL_COLUMNS                                                    \
	"SELECT id, ipp, state, retain_until, basis, batch_id, created_at,"  \
	"  reason, opinion FROM proposals"

int store_proposals_each(struct store *st, const char *state, int64_t batch,
			 size_t limit, store_proposal_fn fn, void *ctx)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if (!st || !fn || (state && !known_state(state)) || batch < 0)
		return -EINVAL;
	/* One statement per index, so each filter reads only its rows, in id
	 * order (an index entry ends with the rowid): no sort. Each names ?1
	 * to ?3, so that the same bindings fit all three. */
	if (batch)
		r = store_stmt(st, STMT_PROPOSALS_BY_BATCH,
			       PROPOSAL_COLUMNS
			       " INDEXED BY proposals_by_batch"
			       " WHERE batch_id = ?3 AND (?1 IS NULL OR state = ?1)"
			       " ORDER BY id LIMIT ?2",
			       &s);
	else if (state)
		r = store_stmt(st, STMT_PROPOSALS_BY_STATE,
			       PROPOSAL_COLUMNS
			       " INDEXED BY proposals_by_state"
			       " WHERE state = ?1 AND ?3 = 0"
			       " ORDER BY id LIMIT ?2",
			       &s);
	else
		r = store_stmt(st, STMT_PROPOSALS_ALL,
			       PROPOSAL_COLUMNS
			       " WHERE ?1 IS NULL AND ?3 = 0"
			       " ORDER BY id LIMIT ?2",
			       &s);
	if (r < 0)
		return r;
	if ((store_bind_text(s, 1, state) |
	     store_bind_limit(s, 2, limit) |
	     sqlite3_bind_int64(s, 3, batch)) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_proposal prop = {
			.id = sqlite3_column_int64(s, 0),
			.ipp = (const char *)sqlite3_column_text(s, 1),
			.state = (const char *)sqlite3_column_text(s, 2),
			.retain_until = store_column_date(s, 3),
			.basis = (const char *)sqlite3_column_text(s, 4),
			.batch = sqlite3_column_int64(s, 5),
			.created_at = sqlite3_column_int64(s, 6),
			.reason = (const char *)sqlite3_column_text(s, 7),
			.opinion = (const char *)sqlite3_column_text(s, 8),
		};

		r = fn(ctx, &prop);
		if (r != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
out:
	store_stmt_done(s);
	return r;
}
