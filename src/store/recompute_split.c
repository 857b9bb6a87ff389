/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A streaming recompute over every dossier, on two threads when it is
 * long: the calling thread (the writer, whose connection holds the write
 * transaction) merges and settles the lower half of the patient ids while
 * a helper thread, on a read-only connection of its own, merges and
 * evaluates the upper half. The helper writes nothing: it hands the
 * writer, through a bounded queue, only the dossiers whose outcome must
 * be stored (recompute_needs_apply), and the writer applies them after its
 * own half, in id order. The writes, the audit entries and the alerts are
 * thus made in the same order as on one thread, with the same results.
 *
 * Same data: a second connection sees the last committed state. It is
 * exactly what the writer sees when (a) the writer's transaction holds the
 * write lock, so nobody can commit until it does, and (b) it has written
 * nothing yet (sqlite3_total_changes64 unchanged since store_begin). The
 * writer commits only after the helper has finished, since it joins the
 * helper before returning. Otherwise (an import recomputing the dossiers
 * it just changed, a caller without a transaction) everything runs on the
 * calling thread. The helper's writes of its half's rows are the writer's
 * own, after its reads of them: a dossier's processing touches its own
 * dossiers row (and the global audit, earlier_dates, counts), which the
 * helper never reads.
 *
 * Synchronisation: the queue, its counters, `done` and the helper's error
 * are under `mu`; `stop` (the writer gives up) and `evaluated` (progress)
 * are atomics; the helper's connection and scratch are its own; the
 * policy is shared read-only; everything else of struct split is written
 * before pthread_create or read after pthread_join. Only the writer
 * thread calls the progress callback.
 *
 * Memory: the queue holds SPLIT_QUEUE items (128 KiB); the helper's
 * page cache is capped at 1 MiB (SPLIT_CACHE_PRAGMA).
 */
#include "config.h"

#include "store/recompute_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Below this many patients, a thread and a connection are not worth it. */
#define SPLIT_MIN_PATIENTS 50000
#define SPLIT_QUEUE 2048
/* Items the writer takes from the queue at a time. */
#define SPLIT_BATCH 256
/* Five sequential streams need a few pages each (a B-tree path). */
#define SPLIT_CACHE_PRAGMA "PRAGMA cache_size = -1024" /* KiB */

struct split_item {
	int64_t pid;
	struct recompute_old old;
	struct recompute_outcome o;
};

struct split {
	/* Set before the helper starts. */
	char *path;
	const struct engine_policy *p;
	rd_date today;
	int64_t lo; /* the helper's range: lo and above */
	bool dirty_only;

	pthread_mutex_t mu;
	pthread_cond_t can_put, can_take;
	struct split_item *q; /* ring of SPLIT_QUEUE */
	size_t head, len;
	bool done; /* the helper has finished, err says how */
	int err;
	char errmsg[256];

	atomic_bool stop;
	atomic_size_t evaluated;

	struct store *h; /* the helper's connection, its thread's only */
};

static int helper_open(struct split *sp)
{
	struct store *h = calloc(1, sizeof(*h));
	int rc;

	if (!h)
		return -ENOMEM;
	sp->h = h;
	h->readonly = true;
	rc = sqlite3_open_v2(sp->path, &h->db,
			     SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return store_fail(h, rc);
	sqlite3_extended_result_codes(h->db, 1);
	sqlite3_busy_timeout(h->db, 5000);
	rc = sqlite3_exec(h->db, SPLIT_CACHE_PRAGMA, NULL, NULL, NULL);
	/* One read transaction: every stream and page reads one snapshot. */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(h->db, "BEGIN", NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : store_fail(h, rc);
}

/* The helper's handling of one dossier: evaluate, queue what to store. */
static int helper_cb(void *arg, int64_t pid, const struct engine_facts *f,
		     const struct recompute_old *old)
{
	struct split *sp = arg;
	struct engine_result res;
	struct split_item it;
	bool stopped;

	engine_evaluate(sp->p, f, sp->today, &res);
	recompute_outcome_of(&res, &it.o);
	if (recompute_needs_apply(old, &it.o)) {
		it.pid = pid;
		it.old = *old;
		pthread_mutex_lock(&sp->mu);
		while (sp->len == SPLIT_QUEUE && !atomic_load(&sp->stop))
			pthread_cond_wait(&sp->can_put, &sp->mu);
		stopped = atomic_load(&sp->stop);
		if (!stopped) {
			sp->q[(sp->head + sp->len) % SPLIT_QUEUE] = it;
			sp->len++;
			pthread_cond_signal(&sp->can_take);
		}
		pthread_mutex_unlock(&sp->mu);
		if (stopped)
			return store_error(sp->h, -ECANCELED, "cancelled");
	}
	/* Counted once queued: the writer adds it to recomputed. */
	atomic_fetch_add(&sp->evaluated, 1);
	return 0;
}

static void *helper_main(void *arg)
{
	struct split *sp = arg;
	struct recompute_run run;
	int r = helper_open(sp);

	if (r == 0)
		r = recompute_run_start(&run, sp->h, sp->p, sp->today, NULL, NULL);
	if (r == 0)
		r = recompute_merge(sp->h, sp->lo, INT64_MAX, sp->dirty_only,
				    &sp->stop, helper_cb, sp);
	pthread_mutex_lock(&sp->mu);
	sp->done = true;
	sp->err = r;
	if (r < 0)
		snprintf(sp->errmsg, sizeof(sp->errmsg), "%s",
			 sp->h ? store_errmsg(sp->h) : "out of memory");
	pthread_cond_signal(&sp->can_take);
	pthread_mutex_unlock(&sp->mu);
	if (sp->h && sp->h->db)
		sqlite3_exec(sp->h->db, "COMMIT", NULL, NULL, NULL);
	store_close(sp->h);
	sp->h = NULL;
	return NULL;
}

/* Tell progress the dossiers evaluated by both threads. */
static int progress_poll(struct recompute_run *run)
{
	if (run->progress &&
	    !run->progress(run->ctx, run->acc.recomputed +
					     atomic_load(run->helper_done)))
		return store_error(run->st, -ECANCELED, "cancelled");
	return 0;
}

/* Apply the helper's items, in its order, until it has finished. */
static int drain(struct recompute_run *run, struct split *sp)
{
	struct split_item batch[SPLIT_BATCH];
	size_t since = 0;
	int r;

	for (;;) {
		size_t n = 0;
		bool done;

		pthread_mutex_lock(&sp->mu);
		while (sp->len == 0 && !sp->done) {
			struct timespec t;

			/* Wake now and then to report progress. */
			clock_gettime(CLOCK_REALTIME, &t);
			t.tv_nsec += 100 * 1000 * 1000;
			if (t.tv_nsec >= 1000 * 1000 * 1000) {
				t.tv_sec++;
				t.tv_nsec -= 1000 * 1000 * 1000;
			}
			if (pthread_cond_timedwait(&sp->can_take, &sp->mu, &t) ==
			    ETIMEDOUT)
				break;
		}
		while (n < SPLIT_BATCH && sp->len > 0) {
			batch[n++] = sp->q[sp->head];
			sp->head = (sp->head + 1) % SPLIT_QUEUE;
			sp->len--;
		}
		done = sp->done && sp->len == 0;
		if (n)
			pthread_cond_signal(&sp->can_put);
		pthread_mutex_unlock(&sp->mu);

		for (size_t i = 0; i < n; i++) {
			r = recompute_apply(run, batch[i].pid, &batch[i].old,
					    &batch[i].o);
			if (r < 0)
				return r;
		}
		since += n;
		if (n == 0 || since >= STORE_PAGE) {
			since = 0;
			r = progress_poll(run);
			if (r < 0)
				return r;
		}
		if (done)
			return 0;
	}
}

/*
 * Whether run may take two threads (see the top of this file), and the
 * first id of the helper's half.
 */
static int split_point(struct recompute_run *run, int64_t *mid)
{
	struct store *st = run->st;
	sqlite3_stmt *s = NULL;
	int64_t lo, hi;
	int rc;

	if (st->recompute_split < 0 || !sqlite3_threadsafe())
		return 0;
	if (st->recompute_split == 0 && sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return 0;
	if (sqlite3_txn_state(st->db, "main") != SQLITE_TXN_WRITE ||
	    sqlite3_total_changes64(st->db) != st->changes_at_begin)
		return 0;
	const char *file = sqlite3_db_filename(st->db, "main");
	if (!file || !*file)
		return 0; /* in memory: no second connection */
	rc = sqlite3_prepare_v2(st->db, "SELECT min(id), max(id) FROM patients",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, rc);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		rc = store_fail(st, rc);
		sqlite3_finalize(s);
		return rc;
	}
	lo = sqlite3_column_int64(s, 0);
	hi = sqlite3_column_int64(s, 1);
	sqlite3_finalize(s);
	if (hi - lo < 2 ||
	    (st->recompute_split == 0 && hi - lo + 1 < SPLIT_MIN_PATIENTS))
		return 0;
	/* Ids are dense (but for destructions), and so are the facts. */
	*mid = lo + (hi - lo) / 2 + 1;
	return 1;
}

static void split_free(struct split *sp)
{
	pthread_cond_destroy(&sp->can_take);
	pthread_cond_destroy(&sp->can_put);
	pthread_mutex_destroy(&sp->mu);
	free(sp->q);
	free(sp->path);
	free(sp);
}

static int settle_cb(void *arg, int64_t pid, const struct engine_facts *f,
		     const struct recompute_old *old)
{
	return recompute_settle(arg, pid, f, old);
}

int recompute_streamed(struct recompute_run *run, bool dirty_only)
{
	struct store *st = run->st;
	struct split *sp;
	pthread_t helper;
	int64_t mid = 0;
	int r = split_point(run, &mid);

	if (r <= 0)
		return r < 0 ? r : recompute_stream_serial(run, dirty_only);
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return recompute_stream_serial(run, dirty_only);
	sp->path = strdup(sqlite3_db_filename(st->db, "main"));
	sp->q = malloc(SPLIT_QUEUE * sizeof(*sp->q));
	sp->p = run->p;
	sp->today = run->today;
	sp->lo = mid;
	sp->dirty_only = dirty_only;
	atomic_init(&sp->stop, false);
	atomic_init(&sp->evaluated, 0);
	pthread_mutex_init(&sp->mu, NULL);
	pthread_cond_init(&sp->can_put, NULL);
	pthread_cond_init(&sp->can_take, NULL);
	if (!sp->path || !sp->q ||
	    pthread_create(&helper, NULL, helper_main, sp) != 0) {
		split_free(sp);
		return recompute_stream_serial(run, dirty_only);
	}
	st->recompute_splits++;
	run->helper_done = &sp->evaluated;

	r = recompute_merge(st, INT64_MIN + 1, mid - 1, dirty_only, NULL,
			    settle_cb, run);
	if (r == 0)
		r = drain(run, sp);
	if (r < 0) {
		pthread_mutex_lock(&sp->mu);
		atomic_store(&sp->stop, true);
		pthread_cond_signal(&sp->can_put);
		pthread_mutex_unlock(&sp->mu);
	}
	pthread_join(helper, NULL);
	if (r == 0 && sp->err < 0)
		r = store_error(st, sp->err, "%s", sp->errmsg);
	if (r == 0)
		run->acc.recomputed += atomic_load(&sp->evaluated);
	run->helper_done = NULL;
	split_free(sp);
	return r;
}
