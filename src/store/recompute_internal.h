/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the recompute's files share (recompute.c: the runs and the point
 * queries; recompute_settle.c: what one evaluation writes;
 * recompute_stream.c: the merge of sorted streams; recompute_split.c: the
 * second thread of a long recompute).
 */
#ifndef RETENTIOND_STORE_RECOMPUTE_INTERNAL_H
#define RETENTIOND_STORE_RECOMPUTE_INTERNAL_H

#include <stdatomic.h>

#include "store/store_internal.h"

/* The stored state of a dossier before this evaluation. */
struct recompute_old {
	bool has; /* computed at least once */
	enum engine_status status;
	rd_date until;
	int basis; /* enum engine_rule; -1: none, or a name we do not know */
	bool dirty;
	int64_t proposal_id; /* 0: none */
	bool row; /* the dossier has a row (every patient has one) */
	bool held; /* marked dirty, the mark held (held_marks.c), not written */
};

/* What is stored of an evaluation (and said when withdrawing). */
struct recompute_outcome {
	enum engine_status status;
	rd_date until;
	enum engine_rule basis;
	enum engine_anomaly anomaly; /* the first one found, or NONE */
};

struct recompute_run {
	struct store *st;
	const struct engine_policy *p;
	rd_date today;
	int64_t now;
	store_progress_fn progress;
	void *ctx;
	struct store_recompute_stats acc;
	struct engine_result *last; /* gets each evaluation, or NULL */
	/* Dossiers evaluated by a helper thread, added to what progress is
	 * told (recompute_split.c); NULL without one. */
	const atomic_size_t *helper_done;
	/* The nightly re-check of anomalies: one still an anomaly gets
	 * computed_on = today (see STORE_SQL_ANOMALY_PAGE). */
	bool anomaly_check;
	/* The dossiers evaluated are those whose marks were held. */
	bool held;
};

/* Grow *buf to hold need elements of elem bytes (doubling). */
int recompute_grow(void **buf, size_t *cap, size_t need, size_t elem);

/* The policy's index of kinds.id, for this run (-1: unknown). */
static inline int recompute_kind(const struct store *st, int64_t id)
{
	if (id < 0 || (size_t)id >= st->kind_map_len)
		return -1;
	return st->kind_map[id];
}

/* Load st's map of kinds.id to the policy's kinds (and kind_top). */
int recompute_kinds_load(struct store *st, const struct engine_policy *p);

/* Set up a run on st (loads st's kind map); 0 or a negative errno. */
int recompute_run_start(struct recompute_run *run, struct store *st,
			const struct engine_policy *p, rd_date today,
			store_progress_fn progress, void *ctx);

/* Add the run's counts to *stats (may be NULL). */
void recompute_run_end(const struct recompute_run *run,
		       struct store_recompute_stats *stats);

/* store_recompute_dirty streams when at least 1 dossier in this many is
 * dirty (after a large import), and queries each one otherwise. */
#define RECOMPUTE_STREAM_DIRTY_SHARE 16
/* ... and drops the dossiers' indexes meanwhile when at least 1 in this
 * many is dirty (recompute.c, dirty_share). */
#define RECOMPUTE_BULK_SHARE 4

/* The state of a dossier that has no row yet (state_set creates it). */
void recompute_old_none(struct recompute_old *old);

/* Stored basis text to a rule id (-1 for NULL or an unknown name). */
int recompute_basis_id(const unsigned char *text);

void recompute_outcome_of(const struct engine_result *res,
			  struct recompute_outcome *o);

/* Whether storing o over old writes anything (row, alert, withdrawal). */
bool recompute_needs_apply(const struct recompute_old *old,
			   const struct recompute_outcome *o);

/*
 * Store o over old for dossier pid: the row when it changed (or was dirty
 * or had another basis), the earlier-date alert, the withdrawal. Counts
 * changed and withdrawn, not recomputed (see recompute_tally).
 */
int recompute_apply(struct recompute_run *run, int64_t pid,
		    const struct recompute_old *old,
		    const struct recompute_outcome *o);

/*
 * For a writer that gathers dossier rows (append_eval.c): what storing o
 * over old takes. RECOMPUTE_ROW_NONE, nothing; RECOMPUTE_ROW_WRITE, the
 * row alone, already counted (changed and the totals) as if written;
 * RECOMPUTE_ROW_APPLY, more than the row (an alert, a withdrawal, a row to
 * create, the anomalies' check): recompute_apply must do it.
 */
enum recompute_row { RECOMPUTE_ROW_NONE, RECOMPUTE_ROW_WRITE, RECOMPUTE_ROW_APPLY };
enum recompute_row recompute_row_only(struct recompute_run *run,
				      const struct recompute_old *old,
				      const struct recompute_outcome *o);

/* Write the rows of n outcomes (pid[i] gets o[i]), which
 * recompute_row_only said were rows alone: 0 or an error. */
int recompute_rows_write(struct recompute_run *run, const int64_t *pid,
			 const struct recompute_outcome *o, size_t n);

/* One more dossier evaluated; calls progress every STORE_PAGE of them. */
int recompute_tally(struct recompute_run *run);

/* Evaluate the loaded facts of pid and apply the outcome, then tally. */
int recompute_settle(struct recompute_run *run, int64_t pid,
		     const struct engine_facts *f,
		     const struct recompute_old *old);

/* Called by the merge for each dossier it evaluates (facts loaded). */
typedef int (*recompute_fn)(void *arg, int64_t pid,
			    const struct engine_facts *f,
			    const struct recompute_old *old);

/*
 * recompute_stream.c: the sorted streams of a range of patient ids lo..hi,
 * read forward: the patients, their facts (the encounters only with
 * `encounters`), their stored state. _next moves to the next patient (1,
 * 0 at the end, or an error), _seek to patient pid, skipping those before
 * it (1, 0 when there is no such patient). _take then loads the current
 * patient's facts into st's scratch arrays (those of the streams opened),
 * and its stored state: 1, or 0 when dirty_only and the dossier is not
 * marked dirty (facts not loaded), or an error. The state is read a page
 * ahead, so a dossier may be written once taken, not before.
 */
struct recompute_cursor;
int recompute_cursor_open(struct store *st, int64_t lo, int64_t hi,
			  bool encounters, struct recompute_cursor **out);
int recompute_cursor_next(struct recompute_cursor *m, int64_t *pid);
int recompute_cursor_seek(struct recompute_cursor *m, int64_t pid);
int recompute_cursor_take(struct recompute_cursor *m, bool dirty_only,
			  struct engine_facts *f, struct recompute_old *old);
void recompute_cursor_close(struct recompute_cursor *m); /* NULL is fine */

/*
 * recompute_stream.c: every dossier of patient ids lo..hi, in id order,
 * from five sequential reads (patients, the three fact tables through
 * their covering indexes, the stored state a page at a time); dirty_only
 * passes fn only the dossiers marked dirty. stop (may be NULL) is polled:
 * when set, the merge ends with -ECANCELED.
 */
int recompute_merge(struct store *st, int64_t lo, int64_t hi, bool dirty_only,
		    const atomic_bool *stop, recompute_fn fn, void *arg);

/* recompute_stream.c: recompute_merge over the patient ids lo..hi,
 * settling each dossier on run's connection (recompute_settle). */
int recompute_settle_range(struct recompute_run *run, int64_t lo, int64_t hi,
			   bool dirty_only);

/* recompute_stream.c: recompute_settle_range over every patient id. */
int recompute_stream_serial(struct recompute_run *run, bool dirty_only);

/*
 * recompute_split.c: recompute_merge over every patient id for run, on
 * two threads when that is allowed and worth it (see there), otherwise on
 * this one. Identical results either way.
 */
int recompute_streamed(struct recompute_run *run, bool dirty_only);

#endif
