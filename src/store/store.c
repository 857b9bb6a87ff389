/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The connection: open (WAL, foreign keys, migration) and close, the cache
 * of prepared statements, error reporting, transactions and the key/value
 * metadata table.
 */
#include "config.h"

#include "store/store_internal.h"
#include "store/walbuf.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUSY_TIMEOUT_MS 5000
/* Imports and scans walk indexes far larger than SQLite's 2 MiB default. */
#define CACHE_SIZE_PRAGMA "PRAGMA cache_size = -" STORE_STR(STORE_CACHE_KIB)
#define WAL_SIZE_LIMIT 67108864 /* bytes */

int store_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
	case SQLITE_TOOBIG:
		return -EINVAL;
	default:
		return -EIO;
	}
}

int store_error(struct store *st, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->errmsg, sizeof(st->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

int store_fail(struct store *st, int rc)
{
	int err = store_errno(rc);

	if (err == 0) /* a row or "done" where the caller expected otherwise */
		err = -EIO;
	snprintf(st->errmsg, sizeof(st->errmsg), "%s", sqlite3_errmsg(st->db));
	return err;
}

int store_fail_bind(struct store *st)
{
	return store_fail(st, sqlite3_errcode(st->db));
}

int store_stmt(struct store *st, enum store_stmt id, const char *sql,
	       sqlite3_stmt **out)
{
	if (!st->stmt[id]) {
		int rc = sqlite3_prepare_v3(st->db, sql, -1,
					    SQLITE_PREPARE_PERSISTENT,
					    &st->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			st->stmt[id] = NULL;
			return store_fail(st, rc);
		}
	}
	*out = st->stmt[id];
	return 0;
}

void store_stmt_done(sqlite3_stmt *s)
{
	if (!s)
		return;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

int store_exec_stmt(struct store *st, enum store_stmt id, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	r = store_stmt(st, id, sql, &s);
	if (r < 0)
		return r;
	rc = sqlite3_step(s);
	r = rc == SQLITE_DONE ? 0 : store_fail(st, rc);
	store_stmt_done(s);
	return r;
}

int store_exec_id(struct store *st, enum store_stmt id, const char *sql,
		  int64_t v)
{
	sqlite3_stmt *s = NULL;
	int r = store_stmt(st, id, sql, &s);

	return r < 0 ? r : store_step_once(st, s, sqlite3_bind_int64(s, 1, v));
}

int store_savepoint(struct store *st)
{
	return store_exec_stmt(st, STMT_SAVEPOINT, "SAVEPOINT store_read");
}

int store_release(struct store *st)
{
	int r = store_exec_stmt(st, STMT_RELEASE, "RELEASE store_read");

	/* A savepoint opened outside a transaction was one, now over. */
	if (sqlite3_get_autocommit(st->db))
		store_upsert_forget(st);
	return r;
}

void store_savepoint_abort(struct store *st)
{
	/* Keep the first error's message, not the cleanup's. */
	char keep[sizeof(st->errmsg)];

	memcpy(keep, st->errmsg, sizeof(keep));
	/* What the savepoint created is undone: forget its ids, and the
	 * dirty mark an import session believes made. */
	store_upsert_forget(st);
	st->imp.marked_pid = 0;
	store_exec_stmt(st, STMT_ROLLBACK_TO, "ROLLBACK TO store_read");
	store_release(st);
	memcpy(st->errmsg, keep, sizeof(keep));
}

/* Run a PRAGMA and copy its first column as text (out may be NULL). */
static int pragma(struct store *st, const char *sql, char *out, size_t len)
{
	sqlite3_stmt *s = NULL;
	int r = 0, rc;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, rc);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (out) {
			const char *t = (const char *)sqlite3_column_text(s, 0);
			snprintf(out, len, "%s", t ? t : "");
		}
	} else if (rc != SQLITE_DONE) {
		r = store_fail(st, rc);
	}
	sqlite3_finalize(s);
	return r;
}

/*
 * SQLite's allocation statistics take a global mutex on every malloc and
 * free (~6% of an import's CPU, doc/performance.md); nothing reads them.
 * The setting is process-wide and only accepted before SQLite initialises,
 * so it is made once, before the first connection. A failure (SQLite
 * already initialised by someone else) only leaves the statistics on.
 */
static void sqlite_global_config(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int open_db(const char *path, int flags, struct store **out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct store *st;
	int rc, r;

	if (!path || !out)
		return -EINVAL;
	pthread_once(&once, sqlite_global_config);
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	store_upsert_forget(st);
	st->bulk_after = STORE_BULK_AFTER;
	/* Without the VFS (it could not be registered), the default one
	 * writes the log a page at a time. */
	rc = sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX,
			     walbuf_register() == 0 ? WALBUF_VFS : NULL);
	if (rc != SQLITE_OK) {
		int sys = st->db ? sqlite3_system_errno(st->db) : 0;

		r = (rc & 0xff) == SQLITE_CANTOPEN && sys > 0 ? -sys
							      : store_errno(rc);
		if (r == 0)
			r = -EIO;
		store_close(st);
		return r;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	st->readonly = (flags & SQLITE_OPEN_READONLY) != 0;
	*out = st;
	return 0;
}

int store_open(const char *path, struct store **out)
{
	return store_open_migrating(path, NULL, NULL, out);
}

int store_open_migrating(const char *path, store_migration_fn fn, void *ctx,
			 struct store **out)
{
	struct store *st = NULL;
	char mode[32];
	int r, version;

	r = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &st);
	if (r < 0)
		return r;
	r = pragma(st, "PRAGMA foreign_keys = ON", NULL, 0);
	if (r < 0)
		goto fail;
	/* Refuse a newer database before changing anything in it. */
	r = store_schema_version(st, &version);
	if (r < 0)
		goto fail;
	if (version > STORE_SCHEMA_VERSION) {
		r = -EPROTO;
		goto fail;
	}
	r = pragma(st, "PRAGMA journal_mode = WAL", mode, sizeof(mode));
	if (r < 0)
		goto fail;
	if (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0) {
		r = -EIO;
		goto fail;
	}
	r = pragma(st, "PRAGMA synchronous = NORMAL", NULL, 0);
	if (r < 0)
		goto fail;
	r = pragma(st, CACHE_SIZE_PRAGMA, NULL, 0);
	if (r < 0)
		goto fail;
	/* An import is one transaction, so the WAL grows to its size (3.7 GB
	 * for 50M encounters); without a limit it keeps that size for ever
	 * once checkpointed. */
	r = pragma(st, "PRAGMA journal_size_limit = " STORE_STR(WAL_SIZE_LIMIT), NULL, 0);
	if (r < 0)
		goto fail;
	r = store_schema_migrate(st, fn, ctx);
	if (r < 0)
		goto fail;
	*out = st;
	return 0;
fail:
	store_close(st);
	return r;
}

int store_open_readonly(const char *path, struct store **out)
{
	struct store *st = NULL;
	int r, version;

	r = open_db(path, SQLITE_OPEN_READONLY, &st);
	if (r < 0)
		return r;
	r = store_schema_version(st, &version);
	if (r < 0)
		goto fail;
	if (version != STORE_SCHEMA_VERSION) {
		r = -EPROTO;
		goto fail;
	}
	*out = st;
	return 0;
fail:
	store_close(st);
	return r;
}

/* Lookups cached by upserts hold within one transaction only. */
static void forget_transaction(struct store *st)
{
	memset(st->count_delta, 0, sizeof(st->count_delta));
	store_upsert_forget(st);
	store_import_reset(st);
	store_indexes_free(&st->dossier_idx);
	st->mark_pending = 0;
	memset(&st->eval_new, 0, sizeof(st->eval_new));
	st->load_eval_acc = (struct store_recompute_stats){0};
	free(st->load_eval_done.bits);
	memset(&st->load_eval_done, 0, sizeof(st->load_eval_done));
	store_held_forget(st);
}

void store_close(struct store *st)
{
	if (!st)
		return;
	/* What a transaction left, first: an import's streams reset cached
	 * statements. */
	forget_transaction(st);
	for (size_t i = 0; i < STMT__COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st->enc);
	free(st->tr);
	free(st->lit);
	free(st->kind_map);
	free(st->batch_visa);
	free(st->batch_certificate);
	free(st);
}

const char *store_errmsg(const struct store *st)
{
	if (!st)
		return "no database";
	return st->errmsg[0] ? st->errmsg : "no error";
}

int store_begin(struct store *st)
{
	forget_transaction(st);
	st->changes_at_begin = sqlite3_total_changes64(st->db);
	return store_exec_stmt(st, STMT_BEGIN, "BEGIN IMMEDIATE");
}

/* The counts table's name of each enum store_counter. */
static const char *const counter_names[STORE_N_COUNTERS] = {
	[STORE_FACT_ENCOUNTERS] = "encounters",
	[STORE_FACT_TRANSFUSIONS] = "transfusions",
	[STORE_FACT_LITIGATIONS] = "litigations",
	[STORE_COUNT_PATIENTS] = "patients",
	[STORE_COUNT_DIRTY] = "dirty",
	[STORE_COUNT_STATUS_NONE] = "status.none",
	[STORE_COUNT_STATUS + 0] = "status.0",
	[STORE_COUNT_STATUS + 1] = "status.1",
	[STORE_COUNT_STATUS + 2] = "status.2",
	[STORE_COUNT_STATUS + 3] = "status.3",
};

_Static_assert(ENGINE_ANOMALY == 3, "four statuses, counted as status.0-3");

/* The running totals, added once per transaction. */
static int flush_totals(struct store *st)
{
	for (int i = 0; i < STORE_N_COUNTERS; i++) {
		sqlite3_stmt *s = NULL;
		int r, rc;

		if (!st->count_delta[i])
			continue;
		r = store_stmt(st, STMT_COUNT_ADD,
			       "INSERT INTO counts(name, n) VALUES (?1, ?2)"
			       " ON CONFLICT(name) DO UPDATE SET n = n + excluded.n",
			       &s);
		if (r < 0)
			return r;
		if ((store_bind_text(s, 1, counter_names[i]) |
		     sqlite3_bind_int64(s, 2, st->count_delta[i])) != SQLITE_OK) {
			r = store_fail_bind(st);
		} else if ((rc = sqlite3_step(s)) != SQLITE_DONE) {
			r = store_fail(st, rc);
		}
		store_stmt_done(s);
		if (r < 0)
			return r;
		st->count_delta[i] = 0;
	}
	return 0;
}

int store_commit(struct store *st)
{
	/* Never commit a bulk table without its indexes. */
	int r = store_import_end(st);

	if (r >= 0)
		r = store_import_mark(st);
	if (r == 0)
		r = store_held_write(st);
	if (r == 0)
		r = store_indexes_rebuild(st, &st->dossier_idx);
	if (r == 0)
		r = flush_totals(st);
	if (r == 0)
		r = store_exec_stmt(st, STMT_COMMIT, "COMMIT");
	if (r == 0)
		forget_transaction(st);
	return r;
}

int store_rollback(struct store *st)
{
	/* The rollback undoes the kinds and patients created, and a bulk
	 * session's dropped indexes come back with it. */
	forget_transaction(st);
	/* SQLite may already have rolled back (a full disk, an I/O error). */
	if (sqlite3_get_autocommit(st->db))
		return 0;
	return store_exec_stmt(st, STMT_ROLLBACK, "ROLLBACK");
}

/* Called by SQLite after each commit with the WAL's length in frames. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	(void)db;
	(void)name;
	((struct store *)arg)->wal_frames = frames;
	return SQLITE_OK;
}

int store_defer_checkpoints(struct store *st)
{
	/* A WAL hook replaces SQLite's automatic checkpoint, which is one. */
	sqlite3_wal_hook(st->db, wal_hook, st);
	return 0;
}

int store_wal_frames(const struct store *st)
{
	return st->wal_frames;
}

int store_checkpoint(struct store *st, int *wal_frames, int *copied)
{
	int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
					   wal_frames, copied);

	/* SQLITE_BUSY: another connection is checkpointing; nothing lost. */
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return store_fail(st, rc);
	return 0;
}

int store_meta_get(struct store *st, const char *key, char **out)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if (!key || !out)
		return -EINVAL;
	r = store_stmt(st, STMT_META_GET, "SELECT value FROM meta WHERE key = ?1",
		       &s);
	if (r < 0)
		return r;
	if (store_bind_text(s, 1, key) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		r = -ENOENT;
	} else if (rc != SQLITE_ROW) {
		r = store_fail(st, rc);
	} else {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		char *copy = strdup(v ? v : "");

		if (!copy) {
			r = -ENOMEM;
			goto out;
		}
		*out = copy;
	}
out:
	store_stmt_done(s);
	return r;
}

int store_step_once(struct store *st, sqlite3_stmt *s, int bound)
{
	int rc, r = 0;

	if (bound != SQLITE_OK)
		r = store_fail_bind(st);
	else if ((rc = sqlite3_step(s)) != SQLITE_DONE)
		r = store_fail(st, rc);
	store_stmt_done(s);
	return r;
}

int store_int_of(struct store *st, enum store_stmt id, const char *sql,
		 int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	r = store_stmt(st, id, sql, &s);
	if (r < 0)
		return r;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else
		r = store_fail(st, rc);
	store_stmt_done(s);
	return r;
}

int store_insert_once(struct store *st, sqlite3_stmt *s, int bound,
		      int conflict)
{
	int rc, r = 0;

	if (bound != SQLITE_OK)
		r = store_fail_bind(st);
	else if ((rc = sqlite3_step(s)) == conflict)
		r = -EEXIST;
	else if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
	store_stmt_done(s);
	return r;
}

int store_meta_set(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *s = NULL;
	int r;

	if (!key || !value)
		return -EINVAL;
	r = store_stmt(st, STMT_META_SET,
		       "INSERT INTO meta(key, value) VALUES (?1, ?2) "
		       "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
		       &s);
	if (r < 0)
		return r;
	return store_step_once(st, s,
			       store_bind_text(s, 1, key) |
			       store_bind_text(s, 2, value));
}
