/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The streaming recompute: the patients in id order, merged with the three
 * fact tables read in patient_id order through their covering indexes and
 * with the stored state of the dossiers. No query per dossier: five
 * sequential reads over a range of patient ids.
 *
 * The stored state comes from the dossiers table, which the recompute
 * writes. SQLite leaves undefined what a statement sees of rows the same
 * connection changes under it, so that stream is read a page at a time,
 * each page read to its end and reset before any dossier of it is
 * written. The other streams read tables the recompute never writes.
 *
 * Dates are read with one call per column: the SQL turns NULL into
 * DATE_NONE (coalesce), rather than asking each column's type first.
 */
#include "config.h"

#include "store/recompute_internal.h"

#include <errno.h>
#include <stdlib.h>

/* DATE_NONE as an SQL literal, for coalesce(). */
#define SQL_NONE "-2147483648"
_Static_assert(DATE_NONE == -2147483647 - 1, "SQL_NONE is DATE_NONE");

/* One fact table read in patient_id order; pid: the current row's. */
struct stream {
	sqlite3_stmt *s;
	int rc;
	int64_t pid;
};

/* A page of stored states, read ahead of the patients. */
struct state_page {
	int64_t pid[STORE_PAGE];
	struct recompute_old old[STORE_PAGE];
	size_t n, i;
	int64_t cursor; /* the last id read */
	bool done;      /* no row after cursor within the range */
};

/* The five streams over a range of patient ids; c[0], the encounters,
 * is not opened for a load that brings them itself (append_eval.c). */
struct recompute_cursor {
	struct store *st;
	int64_t lo, hi;
	sqlite3_stmt *ps; /* the patients */
	int64_t pid;      /* ps's current row, 0 before the first */
	bool encounters;
	struct stream c[3];
	struct state_page page;
};

static const struct {
	enum store_stmt id;
	const char *sql;
} facts[3] = {
	{STMT_ALL_ENCOUNTERS,
	 "SELECT patient_id, kind_id, coalesce(start_date, " SQL_NONE "),"
	 "  coalesce(end_date, " SQL_NONE ")"
	 " FROM encounters WHERE patient_id BETWEEN ?1 AND ?2 ORDER BY patient_id"},
	{STMT_ALL_TRANSFUSIONS,
	 "SELECT patient_id, coalesce(act_date, " SQL_NONE ")"
	 " FROM transfusions INDEXED BY transfusions_by_patient"
	 " WHERE patient_id BETWEEN ?1 AND ?2 ORDER BY patient_id"},
	{STMT_ALL_LITIGATIONS,
	 "SELECT patient_id, coalesce(opened_on, " SQL_NONE "),"
	 "  coalesce(closed_on, " SQL_NONE ")"
	 " FROM litigations INDEXED BY litigations_by_patient"
	 " WHERE patient_id BETWEEN ?1 AND ?2 ORDER BY patient_id"},
};

static int stream_next(struct store *st, struct stream *c)
{
	c->rc = sqlite3_step(c->s);
	if (c->rc == SQLITE_ROW) {
		c->pid = sqlite3_column_int64(c->s, 0);
		return 0;
	}
	if (c->rc != SQLITE_DONE)
		return store_fail(st, c->rc);
	return 0;
}

/* Grow the scratch array of fact table `which` to hold i + 1 rows. */
static int room(struct store *st, int which, size_t i)
{
	switch (which) {
	case 0:
		return recompute_grow((void **)&st->enc, &st->enc_cap, i + 1,
				      sizeof(*st->enc));
	case 1:
		return recompute_grow((void **)&st->tr, &st->tr_cap, i + 1,
				      sizeof(*st->tr));
	default:
		return recompute_grow((void **)&st->lit, &st->lit_cap, i + 1,
				      sizeof(*st->lit));
	}
}

/*
 * Append the stream's rows of patient pid to the scratch arrays (*n of
 * them), or with n NULL step over them.
 */
static int stream_take(struct store *st, struct stream *c, int which,
		       int64_t pid, size_t *n)
{
	sqlite3_stmt *s = c->s;
	size_t i = 0;
	int r;

	/* Rows of an id below pid have no patient: foreign keys forbid it. */
	while (c->rc == SQLITE_ROW && c->pid < pid) {
		r = stream_next(st, c);
		if (r < 0)
			return r;
	}
	while (c->rc == SQLITE_ROW && c->pid == pid) {
		if (n) {
			r = room(st, which, i);
			if (r < 0)
				return r;
			if (which == 0)
				st->enc[i] = (struct engine_encounter){
					.kind = recompute_kind(
						st, sqlite3_column_int64(s, 1)),
					.start = sqlite3_column_int(s, 2),
					.end = sqlite3_column_int(s, 3),
				};
			else if (which == 1)
				st->tr[i] = (struct engine_transfusion){
					.act = sqlite3_column_int(s, 1),
				};
			else
				st->lit[i] = (struct engine_litigation){
					.opened = sqlite3_column_int(s, 1),
					.closed = sqlite3_column_int(s, 2),
				};
			i++;
		}
		r = stream_next(st, c);
		if (r < 0)
			return r;
	}
	if (n)
		*n = i;
	return 0;
}

/* Read the next page of stored states after page->cursor, then reset. */
static int page_fill(struct recompute_cursor *m)
{
	struct state_page *pg = &m->page;
	sqlite3_stmt *s = NULL;
	int r, rc;

	r = store_stmt(m->st, STMT_ALL_STATES,
		       "SELECT patient_id, status, coalesce(retain_until, "
		       SQL_NONE "), basis, dirty, proposal_id FROM dossiers"
		       " WHERE patient_id > ?1 AND patient_id <= ?2"
		       " ORDER BY patient_id LIMIT ?3",
		       &s);
	if (r < 0)
		return r;
	if ((sqlite3_bind_int64(s, 1, pg->cursor) |
	     sqlite3_bind_int64(s, 2, m->hi) |
	     sqlite3_bind_int(s, 3, STORE_PAGE)) != SQLITE_OK) {
		r = store_fail_bind(m->st);
		store_stmt_done(s);
		return r;
	}
	pg->n = pg->i = 0;
	while (pg->n < STORE_PAGE && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct recompute_old *o = &pg->old[pg->n];

		pg->pid[pg->n] = sqlite3_column_int64(s, 0);
		o->row = true;
		o->has = sqlite3_column_type(s, 1) != SQLITE_NULL;
		o->status = (enum engine_status)sqlite3_column_int(s, 1);
		o->until = sqlite3_column_int(s, 2);
		o->basis = recompute_basis_id(sqlite3_column_text(s, 3));
		o->dirty = sqlite3_column_int(s, 4) != 0;
		o->proposal_id = sqlite3_column_int64(s, 5);
		o->held = false;
		pg->n++;
	}
	if (pg->n < STORE_PAGE) {
		if (rc != SQLITE_DONE) {
			r = store_fail(m->st, rc);
			store_stmt_done(s);
			return r;
		}
		pg->done = true;
	}
	store_stmt_done(s);
	if (pg->n)
		pg->cursor = pg->pid[pg->n - 1];
	return 0;
}

/*
 * The stored state of pid (ids come in increasing order): 1, or 0 when it
 * has no row (*old is then recompute_old_none's).
 */
static int state_of(struct recompute_cursor *m, int64_t pid,
		    struct recompute_old *old)
{
	struct state_page *pg = &m->page;

	for (;;) {
		while (pg->i < pg->n && pg->pid[pg->i] < pid)
			pg->i++;
		if (pg->i < pg->n || pg->done)
			break;
		int r = page_fill(m);
		if (r < 0)
			return r;
	}
	if (pg->i < pg->n && pg->pid[pg->i] == pid) {
		*old = pg->old[pg->i++];
		return 1;
	}
	recompute_old_none(old);
	return 0;
}

static const char patients_sql[] =
	"SELECT id, coalesce(birth_date, " SQL_NONE "),"
	"  coalesce(death_date, " SQL_NONE "), hold_reason IS NOT NULL"
	" FROM patients WHERE id BETWEEN ?1 AND ?2 ORDER BY id";

int recompute_cursor_open(struct store *st, int64_t lo, int64_t hi,
			  bool encounters, struct recompute_cursor **out)
{
	struct recompute_cursor *m = calloc(1, sizeof(*m));
	int r;

	*out = m;
	if (!m)
		return store_error(st, -ENOMEM, "out of memory");
	*m = (struct recompute_cursor){.st = st, .lo = lo, .hi = hi,
				       .encounters = encounters};
	m->page.cursor = lo - 1; /* lo > INT64_MIN */
	r = store_stmt(st, STMT_PATIENTS_RANGE, patients_sql, &m->ps);
	if (r < 0)
		return r;
	if ((sqlite3_bind_int64(m->ps, 1, lo) | sqlite3_bind_int64(m->ps, 2, hi)) !=
	    SQLITE_OK)
		return store_fail_bind(st);
	for (int i = encounters ? 0 : 1; i < 3; i++) {
		r = store_stmt(st, facts[i].id, facts[i].sql, &m->c[i].s);
		if (r < 0)
			return r;
		if ((sqlite3_bind_int64(m->c[i].s, 1, lo) |
		     sqlite3_bind_int64(m->c[i].s, 2, hi)) != SQLITE_OK)
			return store_fail_bind(st);
		r = stream_next(st, &m->c[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

void recompute_cursor_close(struct recompute_cursor *m)
{
	if (!m)
		return;
	for (int i = 0; i < 3; i++)
		store_stmt_done(m->c[i].s);
	store_stmt_done(m->ps);
	free(m);
}

int recompute_cursor_next(struct recompute_cursor *m, int64_t *pid)
{
	int rc = sqlite3_step(m->ps);

	if (rc == SQLITE_ROW) {
		m->pid = *pid = sqlite3_column_int64(m->ps, 0);
		return 1;
	}
	return rc == SQLITE_DONE ? 0 : store_fail(m->st, rc);
}

int recompute_cursor_seek(struct recompute_cursor *m, int64_t pid)
{
	int64_t at = m->pid;
	int r = 1;

	while (r == 1 && at < pid)
		r = recompute_cursor_next(m, &at);
	if (r == 1 && at != pid)
		r = 0;
	return r;
}

int recompute_cursor_take(struct recompute_cursor *m, bool dirty_only,
			  struct engine_facts *f, struct recompute_old *old)
{
	struct store *st = m->st;
	const int64_t pid = m->pid;
	sqlite3_stmt *ps = m->ps;
	bool skip;
	int r;

	/* The engine reads neither the IPP nor the hold's reason here: they
	 * only fill the steps, which are not stored. */
	*f = (struct engine_facts){
		.birth = sqlite3_column_int(ps, 1),
		.death = sqlite3_column_int(ps, 2),
		.held = sqlite3_column_int(ps, 3) != 0,
	};
	r = state_of(m, pid, old);
	if (r < 0)
		return r;
	/* As the dirty index lists them: rows marked dirty. */
	skip = dirty_only && !(r == 1 && old->dirty);
	r = m->encounters ? stream_take(st, &m->c[0], 0, pid,
					skip ? NULL : &f->n_encounters)
			  : 0;
	if (r == 0)
		r = stream_take(st, &m->c[1], 1, pid,
				skip ? NULL : &f->n_transfusions);
	if (r == 0)
		r = stream_take(st, &m->c[2], 2, pid,
				skip ? NULL : &f->n_litigations);
	if (r < 0)
		return r;
	f->encounters = st->enc;
	f->transfusions = st->tr;
	f->litigations = st->lit;
	return !skip;
}

int recompute_merge(struct store *st, int64_t lo, int64_t hi, bool dirty_only,
		    const atomic_bool *stop, recompute_fn fn, void *arg)
{
	struct recompute_cursor *m;
	size_t seen = 0;
	int64_t pid = 0;
	int r;

	r = recompute_cursor_open(st, lo, hi, true, &m);
	while (r == 0 && (r = recompute_cursor_next(m, &pid)) == 1) {
		struct engine_facts f;
		struct recompute_old old;

		if (stop && (++seen & 255) == 0 && atomic_load(stop)) {
			r = store_error(st, -ECANCELED, "cancelled");
			break;
		}
		r = recompute_cursor_take(m, dirty_only, &f, &old);
		if (r == 1)
			r = fn(arg, pid, &f, &old);
		r = r < 0 ? r : 0;
	}
	recompute_cursor_close(m);
	return r;
}

static int settle_cb(void *arg, int64_t pid, const struct engine_facts *f,
		     const struct recompute_old *old)
{
	return recompute_settle(arg, pid, f, old);
}

int recompute_settle_range(struct recompute_run *run, int64_t lo, int64_t hi,
			   bool dirty_only)
{
	return recompute_merge(run->st, lo, hi, dirty_only, NULL, settle_cb,
			       run);
}

/* Serial: the whole range on this connection. */
int recompute_stream_serial(struct recompute_run *run, bool dirty_only)
{
	return recompute_settle_range(run, INT64_MIN + 1, INT64_MAX,
				      dirty_only);
}

int store_recompute_all(struct store *st, const struct engine_policy *p,
			rd_date today, store_progress_fn progress, void *ctx,
			struct store_recompute_stats *stats)
{
	struct recompute_run run;
	int r = recompute_run_start(&run, st, p, today, progress, ctx);

	/* The totals of dirty dossiers move by the marks as written. */
	if (r == 0)
		r = store_held_write(st);
	if (r == 0)
		r = recompute_streamed(&run, false);
	if (r == 0)
		recompute_run_end(&run, stats);
	return r;
}
