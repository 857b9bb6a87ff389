/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A streaming recompute over every dossier, on two threads when it is
 * long: the calling thread (the writer, whose connection holds the write
 * transaction) and a helper thread, on a read-only connection of its own,
 * take the patient ids chunk after chunk, in id order, whichever is free.
 * The helper writes nothing: it keeps, for each chunk it evaluates, only
 * the dossiers whose outcome must be stored (recompute_needs_apply), and
 * the writer applies them. The writes, the audit entries and the alerts
 * are made chunk after chunk in id order, as on one thread, with the same
 * results: the writer settles a chunk as it goes when every chunk before
 * it is applied, and otherwise evaluates it aside too (the chunk due is
 * the helper's, still running), to apply once those before are.
 *
 * Why chunks rather than halves: this machine slows one thread or the
 * other at random (doc/performance.md), and with a fixed half each the
 * slowed one finished last; chunks taken in turn let the other take more.
 * At most SPLIT_AHEAD chunks are claimed and not yet applied (the chunk
 * due among them), which bounds what waits in memory.
 *
 * Same data: a second connection sees the last committed state. It is
 * exactly what the writer sees when (a) the writer's transaction holds the
 * write lock, so nobody can commit until it does, and (b) it had written
 * nothing when the recompute began (sqlite3_total_changes64 unchanged
 * since store_begin). The writer commits only after the helper has
 * finished, since it joins the helper before returning. Otherwise (an
 * import recomputing the dossiers it just changed, a caller without a
 * transaction) everything runs on the calling thread. The writer's own
 * writes do not change what either thread reads afterwards: a dossier's
 * processing writes its own dossiers row (and the global audit,
 * earlier_dates, counts), which no other dossier's evaluation reads.
 *
 * Synchronisation: the chunks' claims and completions, `next`, `applied`,
 * `done` and the helper's error are under `mu`; a chunk's items are
 * written by the thread that claimed it, then read by the writer once
 * the chunk is marked done (under `mu`); `stop` (the writer gives up) and
 * `evaluated` (progress) are atomics; the helper's connection and scratch
 * are its own; the policy is shared read-only; everything else of struct
 * split is written before pthread_create or read after pthread_join.
 * Only the writer thread calls the progress callback.
 *
 * Memory: at most SPLIT_AHEAD chunks' items wait (SPLIT_CHUNKS chunks of
 * the ids, so about 2 MB a chunk at 10 million dossiers if every outcome
 * changes); the helper's page cache is capped at 1 MiB
 * (SPLIT_CACHE_PRAGMA).
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
/* The ids are cut into this many chunks, of SPLIT_CHUNK_MIN ids at least:
 * enough for the threads to end together, few enough that a chunk's
 * statements (bound and stepped again) cost nothing beside its work. */
#define SPLIT_CHUNKS 256
#define SPLIT_CHUNK_MIN 4096
/* Chunks claimed and not yet applied, at most: a thread slowed to a
 * third of the other's speed still keeps it busy. */
#define SPLIT_AHEAD 4
/* Five sequential streams need a few pages each (a B-tree path). */
#define SPLIT_CACHE_PRAGMA "PRAGMA cache_size = -1024" /* KiB */

struct split_item {
	int64_t pid;
	struct recompute_old old;
	struct recompute_outcome o;
};

/* A chunk evaluated aside: what its dossiers need stored, in id order. */
struct split_chunk {
	struct split_item *items;
	size_t n, cap;
	bool done; /* evaluated: items complete */
};

struct split {
	/* Set before the helper starts. */
	char *path;
	const struct engine_policy *p;
	rd_date today;
	bool dirty_only;
	int64_t lo, size; /* chunk c holds the ids lo + c * size onwards */
	size_t n_chunks;
	bool helper_first; /* test knob (store_internal.h) */

	pthread_mutex_t mu;
	pthread_cond_t cv; /* a chunk done or applied, the helper done */
	struct split_chunk *ch;
	size_t next;    /* the first chunk nobody has claimed */
	size_t applied; /* chunks before it are applied (written) */
	unsigned aside_chunks, helper_chunks; /* for the tests */
	bool done; /* the helper has finished, err says how */
	int err;
	char errmsg[256];

	atomic_bool stop;
	atomic_size_t evaluated; /* dossiers evaluated aside, both threads */

	struct store *h; /* the helper's connection, its thread's only */
};

/* The ids of chunk c: the first and the last take every id below and
 * above the range read at the start, which no patient has anyway. */
static int64_t chunk_lo(const struct split *sp, size_t c)
{
	return c == 0 ? INT64_MIN + 1 : sp->lo + (int64_t)c * sp->size;
}

static int64_t chunk_hi(const struct split *sp, size_t c)
{
	return c + 1 == sp->n_chunks ? INT64_MAX : chunk_lo(sp, c + 1) - 1;
}

/* Whether a thread may claim the next chunk to evaluate aside: one is
 * left, and fewer than SPLIT_AHEAD are claimed and not yet applied.
 * Under sp->mu. */
static bool may_claim(const struct split *sp)
{
	return sp->next < sp->n_chunks && sp->next < sp->applied + SPLIT_AHEAD;
}

/* Claim the next chunk to evaluate aside, counted in *count (for the
 * tests); under sp->mu. The broadcast is for helper_first, which waits
 * for the writer's claim. */
static size_t claim(struct split *sp, unsigned *count)
{
	(*count)++;
	pthread_cond_broadcast(&sp->cv);
	return sp->next++;
}

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

/* A chunk evaluated aside (by either thread), and by what. */
struct aside {
	struct split *sp;
	struct split_chunk *c;
	struct store *st; /* the evaluating thread's connection */
};

/* One dossier of a chunk evaluated aside: keep what must be stored. */
static int aside_cb(void *arg, int64_t pid, const struct engine_facts *f,
		    const struct recompute_old *old)
{
	struct aside *a = arg;
	struct split_chunk *c = a->c;
	struct engine_result res;
	struct split_item it;

	engine_evaluate(a->sp->p, f, a->sp->today, &res);
	recompute_outcome_of(&res, &it.o);
	if (recompute_needs_apply(old, &it.o)) {
		if (recompute_grow((void **)&c->items, &c->cap, c->n + 1,
				   sizeof(*c->items)) < 0)
			return store_error(a->st, -ENOMEM, "out of memory");
		it.pid = pid;
		it.old = *old;
		c->items[c->n++] = it;
	}
	/* The writer adds these to recomputed when it is over. */
	atomic_fetch_add(&a->sp->evaluated, 1);
	return 0;
}

/* Evaluate chunk c aside on st's connection, then mark it done. */
static int evaluate_aside(struct split *sp, struct store *st, size_t c,
			  const atomic_bool *stop)
{
	struct aside a = {sp, &sp->ch[c], st};
	int r = recompute_merge(st, chunk_lo(sp, c), chunk_hi(sp, c),
				sp->dirty_only, stop, aside_cb, &a);

	if (r < 0)
		return r;
	pthread_mutex_lock(&sp->mu);
	sp->ch[c].done = true;
	pthread_cond_broadcast(&sp->cv);
	pthread_mutex_unlock(&sp->mu);
	return 0;
}

static void *helper_main(void *arg)
{
	struct split *sp = arg;
	struct recompute_run run;
	int r = helper_open(sp);

	if (r == 0)
		r = recompute_run_start(&run, sp->h, sp->p, sp->today, NULL, NULL);
	while (r == 0) {
		size_t c;

		pthread_mutex_lock(&sp->mu);
		while (!atomic_load(&sp->stop) && sp->next < sp->n_chunks &&
		       !may_claim(sp))
			pthread_cond_wait(&sp->cv, &sp->mu);
		if (atomic_load(&sp->stop) || !may_claim(sp)) {
			pthread_mutex_unlock(&sp->mu);
			break;
		}
		c = claim(sp, &sp->helper_chunks);
		while (sp->helper_first && c == 0 && sp->next < 2 &&
		       sp->n_chunks > 1 && !atomic_load(&sp->stop))
			pthread_cond_wait(&sp->cv, &sp->mu);
		pthread_mutex_unlock(&sp->mu);
		r = evaluate_aside(sp, sp->h, c, &sp->stop);
	}
	pthread_mutex_lock(&sp->mu);
	sp->done = true;
	sp->err = r;
	if (r < 0)
		snprintf(sp->errmsg, sizeof(sp->errmsg), "%s",
			 sp->h ? store_errmsg(sp->h) : "out of memory");
	pthread_cond_broadcast(&sp->cv);
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

/* Apply what chunk c's evaluation aside kept, in id order. */
static int apply_aside(struct recompute_run *run, struct split_chunk *c)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < c->n; i++)
		r = recompute_apply(run, c->items[i].pid, &c->items[i].old,
				    &c->items[i].o);
	free(c->items);
	c->items = NULL;
	c->n = c->cap = 0;
	return r;
}

/* One more chunk written: the helper may run one further. */
static void chunk_applied(struct split *sp)
{
	pthread_mutex_lock(&sp->mu);
	sp->applied++;
	pthread_cond_broadcast(&sp->cv);
	pthread_mutex_unlock(&sp->mu);
}

/* Wait on cv for a change, or 100 ms (to report progress). */
static void wait_a_while(struct split *sp)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec += 100 * 1000 * 1000;
	if (t.tv_nsec >= 1000 * 1000 * 1000) {
		t.tv_sec++;
		t.tv_nsec -= 1000 * 1000 * 1000;
	}
	pthread_cond_timedwait(&sp->cv, &sp->mu, &t);
}

enum writer_step {
	STEP_SETTLE, /* the chunk due, unclaimed: settle it as it goes */
	STEP_APPLY,  /* the chunk due, evaluated aside: apply it */
	STEP_ASIDE,  /* the chunk due is the helper's: evaluate a later one */
	STEP_WAIT,   /* ... and none may be taken: wait */
	STEP_FAILED, /* ... and the helper has stopped on an error */
	STEP_OVER,
};

/* What the writer does next, and with which chunk; under sp->mu. */
static enum writer_step next_step(struct split *sp, size_t *c)
{
	if (sp->applied == sp->n_chunks)
		return STEP_OVER;
	*c = sp->applied;
	if (sp->next == sp->applied) {
		sp->next++;
		return STEP_SETTLE;
	}
	if (sp->ch[*c].done)
		return STEP_APPLY;
	if (may_claim(sp)) {
		*c = claim(sp, &sp->aside_chunks);
		return STEP_ASIDE;
	}
	/* A helper that ended without error finished what it claimed. */
	return sp->done ? STEP_FAILED : STEP_WAIT;
}

/*
 * The writer's part: every chunk written in id order, each settled as it
 * is evaluated, or applied from its evaluation aside (by the helper, or
 * by the writer itself while the chunk due was the helper's).
 */
static int write_chunks(struct recompute_run *run, struct split *sp)
{
	struct store *st = run->st;
	int r = 0;

	pthread_mutex_lock(&sp->mu);
	while (sp->helper_first && sp->next == 0 && !sp->done)
		pthread_cond_wait(&sp->cv, &sp->mu);
	pthread_mutex_unlock(&sp->mu);
	for (;;) {
		enum writer_step step;
		size_t c = 0;

		pthread_mutex_lock(&sp->mu);
		step = next_step(sp, &c);
		if (step == STEP_WAIT)
			wait_a_while(sp);
		if (step == STEP_FAILED) /* never 0: a chunk is missing */
			r = store_error(st, sp->err < 0 ? sp->err : -EIO, "%s",
					sp->errmsg);
		pthread_mutex_unlock(&sp->mu);
		switch (step) {
		case STEP_SETTLE:
			r = recompute_settle_range(run, chunk_lo(sp, c),
						   chunk_hi(sp, c),
						   sp->dirty_only);
			if (r == 0)
				chunk_applied(sp);
			break;
		case STEP_APPLY:
			r = apply_aside(run, &sp->ch[c]);
			if (r == 0)
				chunk_applied(sp);
			if (r == 0)
				r = progress_poll(run);
			break;
		case STEP_ASIDE:
			r = evaluate_aside(sp, st, c, NULL);
			break;
		case STEP_WAIT:
			r = progress_poll(run);
			break;
		case STEP_FAILED:
			return r;
		case STEP_OVER:
			return 0;
		}
		if (r < 0)
			return r;
	}
}

/*
 * Whether run may take two threads (see the top of this file), and the
 * range of patient ids to cut into chunks.
 */
static int split_range(struct recompute_run *run, int64_t *lo, int64_t *hi)
{
	struct store *st = run->st;
	sqlite3_stmt *s = NULL;
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
	*lo = sqlite3_column_int64(s, 0);
	*hi = sqlite3_column_int64(s, 1);
	sqlite3_finalize(s);
	if (*hi - *lo < 2 ||
	    (st->recompute_split == 0 && *hi - *lo + 1 < SPLIT_MIN_PATIENTS))
		return 0;
	return 1;
}

/*
 * Cut lo..hi into chunks: ids are dense (but for destructions), and so
 * are the facts, so equal ranges are about equal work. The tests' forced
 * split (recompute_split 1) takes chunks of any size, or the size they
 * set, to have many on a small population.
 */
static void split_chunks(const struct store *st, struct split *sp, int64_t lo,
			 int64_t hi)
{
	const int64_t n = hi - lo + 1;
	int64_t size = (n + SPLIT_CHUNKS - 1) / SPLIT_CHUNKS;

	if (st->recompute_split_chunk > 0)
		size = st->recompute_split_chunk;
	else if (st->recompute_split == 0 && size < SPLIT_CHUNK_MIN)
		size = SPLIT_CHUNK_MIN;
	sp->lo = lo;
	sp->size = size;
	sp->n_chunks = (size_t)((n + size - 1) / size);
}

static void split_free(struct split *sp)
{
	for (size_t c = 0; sp->ch && c < sp->n_chunks; c++)
		free(sp->ch[c].items);
	pthread_cond_destroy(&sp->cv);
	pthread_mutex_destroy(&sp->mu);
	free(sp->ch);
	free(sp->path);
	free(sp);
}

int recompute_streamed(struct recompute_run *run, bool dirty_only)
{
	struct store *st = run->st;
	struct split *sp;
	pthread_t helper;
	int64_t lo = 0, hi = 0;
	int r = split_range(run, &lo, &hi);

	if (r <= 0)
		return r < 0 ? r : recompute_stream_serial(run, dirty_only);
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return recompute_stream_serial(run, dirty_only);
	split_chunks(st, sp, lo, hi);
	sp->path = strdup(sqlite3_db_filename(st->db, "main"));
	sp->ch = calloc(sp->n_chunks, sizeof(*sp->ch));
	sp->p = run->p;
	sp->today = run->today;
	sp->dirty_only = dirty_only;
	sp->helper_first = st->recompute_split_helper_first;
	atomic_init(&sp->stop, false);
	atomic_init(&sp->evaluated, 0);
	pthread_mutex_init(&sp->mu, NULL);
	pthread_cond_init(&sp->cv, NULL);
	if (!sp->path || !sp->ch ||
	    pthread_create(&helper, NULL, helper_main, sp) != 0) {
		split_free(sp);
		return recompute_stream_serial(run, dirty_only);
	}
	st->recompute_splits++;
	run->helper_done = &sp->evaluated;

	r = write_chunks(run, sp);
	if (r < 0) {
		pthread_mutex_lock(&sp->mu);
		atomic_store(&sp->stop, true);
		pthread_cond_broadcast(&sp->cv);
		pthread_mutex_unlock(&sp->mu);
	}
	pthread_join(helper, NULL);
	/* Every chunk written: a helper that failed before it took one
	 * (its connection) left them all to the writer, with the same
	 * results. */
	if (r == 0)
		run->acc.recomputed += atomic_load(&sp->evaluated);
	st->recompute_chunks_aside += sp->aside_chunks;
	st->recompute_chunks_helper += sp->helper_chunks;
	run->helper_done = NULL;
	split_free(sp);
	return r;
}
