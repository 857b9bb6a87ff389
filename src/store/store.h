/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The store: the SQLite database of facts (patients, encounters,
 * transfusions, litigations), the computed state of each dossier, and the
 * proposals and batches of the elimination workflow. No sqlite3 type leaves
 * this module.
 *
 * Threading: a struct store is one SQLite connection; use it from one thread
 * at a time. The daemon has one writer connection (worker thread) and one
 * reader (loop thread); WAL mode lets the reader see the last committed
 * state while the writer works.
 *
 * Errors are negative errno values: -ENOENT (no such row), -EINVAL (bad
 * argument), -EBUSY (database locked), -ECANCELED (progress callback said
 * stop), -EIO (anything else SQLite reports; store_errmsg() says what).
 *
 * Dates are rd_date day numbers, stored as INTEGER; DATE_NONE is NULL.
 */
#ifndef RETENTIOND_STORE_H
#define RETENTIOND_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/date.h"
#include "engine/engine.h"

/* Schema version reached by store_open() (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 1

struct store;

/*
 * Open (creating if missing) and migrate the database at path, in WAL mode
 * with foreign keys on. Read-only opens neither create nor migrate, and
 * fail with -EPROTO when the schema is not STORE_SCHEMA_VERSION.
 */
int store_open(const char *path, struct store **out);
int store_open_readonly(const char *path, struct store **out);
void store_close(struct store *st); /* NULL is fine */

/* The last SQLite error message of this connection (never NULL). */
const char *store_errmsg(const struct store *st);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int store_begin(struct store *st);
int store_commit(struct store *st);
int store_rollback(struct store *st);

/* Key/value metadata (last scan, policy fingerprint...). *out malloc'd. */
int store_meta_get(struct store *st, const char *key, char **out);
int store_meta_set(struct store *st, const char *key, const char *value);

/* ------------------------------------------------------------ import
 *
 * Upserts by id, inside a transaction the caller opened. Each returns 1
 * when the row was inserted or changed (its dossier, and the previous
 * owner's when an encounter moves to another IPP, is then marked dirty),
 * 0 when it already held exactly these values, or a negative error:
 * -ENOENT when ipp is not a known patient.
 */
int store_upsert_patient(struct store *st, const char *ipp, rd_date birth,
			 rd_date death);
int store_upsert_encounter(struct store *st, const char *id, const char *ipp,
			   const char *kind, rd_date start, rd_date end);
int store_upsert_transfusion(struct store *st, const char *id,
			     const char *ipp, rd_date act);
int store_upsert_litigation(struct store *st, const char *id,
			    const char *ipp, rd_date opened, rd_date closed,
			    const char *reference);

/* ------------------------------------------------------------ compute */

/* Return false to stop the operation (it then fails with -ECANCELED). */
typedef bool (*store_progress_fn)(void *ctx, size_t done);

struct store_recompute_stats {
	size_t recomputed; /* dossiers evaluated */
	size_t changed;    /* whose status or retain_until changed */
	size_t withdrawn;  /* open proposals withdrawn: no longer eligible */
};

/*
 * Evaluate dossiers with the engine and store status, retain_until and
 * basis; clears their dirty mark. A dossier with an open proposal that is
 * no longer eligible gets that proposal withdrawn, with the reason.
 * Callers wrap these in a transaction.
 *
 * _dirty: the dossiers marked dirty (by upserts or store_mark_all_dirty).
 * _due:   those whose state depends on today: retained with retain_until
 *         before today (an index range), and anomalies.
 * _all:   every dossier.
 * Stats are added to *stats (not reset), which may be NULL.
 */
int store_recompute_dirty(struct store *st, const struct engine_policy *p,
			  rd_date today, store_progress_fn progress, void *ctx,
			  struct store_recompute_stats *stats);
int store_recompute_due(struct store *st, const struct engine_policy *p,
			rd_date today, store_progress_fn progress, void *ctx,
			struct store_recompute_stats *stats);
int store_recompute_all(struct store *st, const struct engine_policy *p,
			rd_date today, store_progress_fn progress, void *ctx,
			struct store_recompute_stats *stats);
int store_mark_all_dirty(struct store *st);

/*
 * Open one proposal, state "proposed", for every eligible dossier that has
 * no proposal other than withdrawn ones, all in one new batch created on
 * `today` at unix time `now`. *batch_id = the batch, or 0 when nothing was
 * eligible (no empty batch is created); *n = proposals opened.
 */
int store_propose(struct store *st, rd_date today, int64_t now,
		  int64_t *batch_id, size_t *n);

/* ------------------------------------------------------------ reads */

/* One dossier's facts and stored state, owned by the struct. */
struct store_dossier {
	int64_t id;
	char *ipp;
	struct engine_facts facts; /* points into the fields below */
	struct engine_encounter *encounters;
	struct engine_transfusion *transfusions;
	struct engine_litigation *litigations;
	char *hold_reason;
	/* Stored state (as of the last recompute). */
	bool has_state;
	enum engine_status status;
	rd_date retain_until;
	bool dirty;
	/* The dossier's current proposal (not withdrawn), if any. */
	int64_t proposal_id; /* 0: none */
	char proposal_state[16];
	int64_t proposal_batch;
	/* Everything the pointers above reference. */
	void *arena;
};

/*
 * Load the dossier of ipp; encounter kinds are mapped to indexes of p
 * (unknown names to -1). -ENOENT when there is no such patient.
 */
int store_dossier_load(struct store *st, const struct engine_policy *p,
		       const char *ipp, struct store_dossier **out);
void store_dossier_free(struct store_dossier *d); /* NULL is fine */

#define STORE_N_STATES 8
/* Proposal states, in workflow order (interfaces.md). */
extern const char *const store_proposal_states[STORE_N_STATES];

struct store_counts {
	int64_t patients, encounters, transfusions, litigations;
	int64_t by_status[4]; /* indexed by enum engine_status */
	int64_t dirty;        /* not yet recomputed */
	int64_t proposals[STORE_N_STATES]; /* by store_proposal_states */
	int64_t batches;
};
int store_counts(struct store *st, struct store_counts *out);

struct store_proposal {
	int64_t id;
	const char *ipp;
	const char *state;
	rd_date retain_until; /* as computed when proposed */
	const char *basis;    /* rule name, as computed when proposed */
	int64_t batch;
	int64_t created_at; /* unix time */
	const char *reason; /* why withdrawn, or NULL */
};
/*
 * Return non-zero to stop (that value is returned). The strings are valid
 * during the call only. Callbacks of the *_each functions run while their
 * query is open: they may call other store functions, but not start the
 * same iteration again on this store.
 */
typedef int (*store_proposal_fn)(void *ctx, const struct store_proposal *p);

/* Proposals by id, all or those in state (NULL: all); at most limit (0: no
 * limit). */
int store_proposals_each(struct store *st, const char *state, size_t limit,
			 store_proposal_fn fn, void *ctx);

/*
 * Forecast: dossiers now retained that become eligible by `until`, that is
 * with today <= retain_until < until. Per month of their first eligible day
 * (retain_until + 1), ascending.
 */
typedef int (*store_month_fn)(void *ctx, int year, int month, int64_t count);
int store_forecast_months(struct store *st, rd_date today, rd_date until,
			  store_month_fn fn, void *ctx);
/* The same dossiers one by one, by retain_until then ipp; at most limit. */
typedef int (*store_due_fn)(void *ctx, const char *ipp, rd_date retain_until,
			    const char *basis);
int store_forecast_each(struct store *st, rd_date today, rd_date until,
			size_t limit, store_due_fn fn, void *ctx);

#endif
