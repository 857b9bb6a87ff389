/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The throwaway database the store tests share: a fresh file in a mkdtemp
 * directory per test, and a second, raw sqlite3 handle for what the store
 * API does not do (tampering, plans, states the workflow does not reach).
 * Header-only: each test file is its own program.
 */
#ifndef RETENTIOND_TESTS_STORE_FIXTURE_H
#define RETENTIOND_TESTS_STORE_FIXTURE_H

#include <criterion/criterion.h>

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/date.h"
#include "engine/engine.h"
#include "store/store.h"

static char dir[64];
static char path[128];
static struct store *st;
static struct engine_policy pol;

static inline rd_date D(const char *s)
{
	rd_date d = DATE_NONE;

	cr_assert_eq(date_parse(s, strlen(s), &d), 0, "bad literal %s", s);
	return d;
}

/* A new database in /tmp/NAME-XXXXXX, opened, with the legal policy. */
static inline void store_fixture_setup(const char *name)
{
	snprintf(dir, sizeof(dir), "/tmp/%s-XXXXXX", name);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/retention.db", dir);
	cr_assert_eq(store_open(path, &st), 0);
	engine_policy_init(&pol);
}

/* Close, and remove the directory with everything in it (WAL, copies). */
static inline void store_fixture_teardown(void)
{
	struct dirent *e;
	DIR *d;

	store_close(st);
	st = NULL;
	d = opendir(dir);
	if (d) {
		while ((e = readdir(d))) {
			char f[400];

			if (e->d_name[0] == '.')
				continue;
			snprintf(f, sizeof(f), "%s/%s", dir, e->d_name);
			unlink(f);
		}
		closedir(d);
	}
	rmdir(dir);
}

static inline sqlite3 *raw_open_at(const char *p)
{
	sqlite3 *db = NULL;

	cr_assert_eq(sqlite3_open(p, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static inline sqlite3 *raw_open(void)
{
	return raw_open_at(path);
}

static inline void raw_exec(const char *sql)
{
	sqlite3 *db = raw_open();
	char *err = NULL;

	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &err), SQLITE_OK,
		     "%s: %s", sql, err ? err : "");
	sqlite3_close(db);
}

/*
 * Mark dossiers dirty behind the store's back (as an operator's SQL
 * would), keeping the running total the store keeps in step (schema v6:
 * no trigger does), so that the tests' checks of the totals still hold.
 */
static inline void raw_mark_dirty(const char *where)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "UPDATE dossiers SET dirty = 1 WHERE dirty = 0 AND (%s);"
		 " UPDATE counts SET n = (SELECT count(*) FROM dossiers"
		 "  WHERE dirty = 1) WHERE name = 'dirty';",
		 where);
	raw_exec(sql);
}

/* The first column of the first row. */
static inline int64_t raw_int(const char *sql)
{
	sqlite3 *db = raw_open();
	sqlite3_stmt *s = NULL;
	int64_t v;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK,
		     "%s: %s", sql, sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "%s", sql);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* The same as text, "(null)" for NULL (static buffer). */
static inline const char *raw_text(const char *sql)
{
	static char buf[512];
	sqlite3 *db = raw_open();
	sqlite3_stmt *s = NULL;
	const unsigned char *t;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK,
		     "%s: %s", sql, sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "%s", sql);
	t = sqlite3_column_text(s, 0);
	snprintf(buf, sizeof(buf), "%s", t ? (const char *)t : "(null)");
	sqlite3_finalize(s);
	sqlite3_close(db);
	return buf;
}

/* Every row of each query on the database at db_path, as text: columns
 * ended by '|', rows by a newline (sqlite3_free it). */
static inline char *raw_dump(const char *db_path, const char *const *queries,
			     size_t n_queries)
{
	sqlite3 *db = raw_open_at(db_path);
	char *out = sqlite3_mprintf("");

	for (size_t q = 0; q < n_queries; q++) {
		sqlite3_stmt *s = NULL;

		cr_assert_eq(sqlite3_prepare_v2(db, queries[q], -1, &s, NULL),
			     SQLITE_OK, "%s", queries[q]);
		while (sqlite3_step(s) == SQLITE_ROW) {
			for (int c = 0; c < sqlite3_column_count(s); c++) {
				const unsigned char *t = sqlite3_column_text(s, c);
				char *n = sqlite3_mprintf("%s%s|", out,
							  t ? (const char *)t : "NULL");
				sqlite3_free(out);
				out = n;
			}
			char *n = sqlite3_mprintf("%s\n", out);
			sqlite3_free(out);
			out = n;
		}
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return out;
}

#endif
