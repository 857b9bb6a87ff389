/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The VFS that gathers the writes of the WAL and of statement journals
 * (walbuf.c). The same random workload (spills from a tiny cache, frames
 * rewritten, savepoints and statements rolled back, checkpoints that
 * restart the log) must leave the same rows through it as through the
 * default VFS, with fewer write calls; a commit must be in the file when
 * COMMIT returns, even if the process dies right after; uncommitted frames
 * lost with a process, or a write that fails, must leave the database as
 * its last commit; the frames a large commit reads back come 64 KiB at a
 * time; and the store's connections open through it.
 */
#include "config.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store_internal.h"
#include "store/walbuf.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test-walbuf-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(walbuf_register(), 0);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(walbuf, .init = setup, .fini = teardown);

/* ------------------------------------------------------------ helpers */

static void db_path(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

static sqlite3 *open_db(const char *name, const char *vfs)
{
	char p[128];
	sqlite3 *db = NULL;

	db_path(p, sizeof(p), name);
	cr_assert_eq(sqlite3_open_v2(p, &db,
				     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
				     vfs),
		     SQLITE_OK, "open %s", p);
	return db;
}

static void exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);

	cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, err ? err : "?");
}

static char *text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	char *out;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK,
		     "%s: %s", sql, sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "%s", sql);
	out = strdup(sqlite3_column_text(s, 0) ? (const char *)sqlite3_column_text(s, 0) : "");
	sqlite3_finalize(s);
	return out;
}

static long long number(sqlite3 *db, const char *sql)
{
	char *t = text(db, sql);
	long long n = atoll(t);

	free(t);
	return n;
}

/* Every row, in order, as one string. */
static char *digest(sqlite3 *db)
{
	return text(db, "SELECT count(*) || '|' || coalesce(group_concat(k || ':' ||"
			" u || ':' || length(v) || ':' || hex(substr(v, 1, 4)), ','), '')"
			" FROM (SELECT * FROM t ORDER BY k)");
}

static void assert_intact(sqlite3 *db)
{
	char *ok = text(db, "PRAGMA integrity_check");

	cr_assert_str_eq(ok, "ok");
	free(ok);
}

/* A tiny cache, so that pages spill to the log mid-transaction and are
 * read back from it; small pages, so that there are many frames. */
static void configure_pages(sqlite3 *db, int page_size)
{
	char sql[64];

	/* Before the first table; later, a no-op. */
	snprintf(sql, sizeof(sql), "PRAGMA page_size = %d", page_size);
	exec(db, sql);
	exec(db, "PRAGMA journal_mode = WAL;"
		 " PRAGMA synchronous = NORMAL; PRAGMA cache_size = 8;"
		 " PRAGMA wal_autocheckpoint = 64");
	exec(db, "CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY,"
		 " u TEXT NOT NULL UNIQUE, v BLOB)");
}

static void configure(sqlite3 *db)
{
	configure_pages(db, 1024);
}

/* The write and read calls the default VFS makes to a WAL (os_unix.c's
 * pwrite and pread). */
static long writes, reads;
static sqlite3_syscall_ptr real_pwrite, real_pwrite64, real_pread,
	real_pread64;

static void count(int fd, long *calls)
{
	char link[64], target[256];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n > 4 && memcmp(target + n - 4, "-wal", 4) == 0)
		(*calls)++;
}

static ssize_t count_pwrite(int fd, const void *b, size_t n, off_t off)
{
	count(fd, &writes);
	return ((ssize_t(*)(int, const void *, size_t, off_t))real_pwrite)(
		fd, b, n, off);
}

static ssize_t count_pwrite64(int fd, const void *b, size_t n, off_t off)
{
	count(fd, &writes);
	return ((ssize_t(*)(int, const void *, size_t, off_t))real_pwrite64)(
		fd, b, n, off);
}

static ssize_t count_pread(int fd, void *b, size_t n, off_t off)
{
	count(fd, &reads);
	return ((ssize_t(*)(int, void *, size_t, off_t))real_pread)(fd, b, n,
								      off);
}

static ssize_t count_pread64(int fd, void *b, size_t n, off_t off)
{
	count(fd, &reads);
	return ((ssize_t(*)(int, void *, size_t, off_t))real_pread64)(fd, b, n,
									off);
}

static void count_calls(void)
{
	sqlite3_vfs *unix_vfs = sqlite3_vfs_find("unix");

	cr_assert_not_null(unix_vfs);
	real_pwrite = unix_vfs->xGetSystemCall(unix_vfs, "pwrite");
	real_pwrite64 = unix_vfs->xGetSystemCall(unix_vfs, "pwrite64");
	if (real_pwrite)
		unix_vfs->xSetSystemCall(unix_vfs, "pwrite",
					 (sqlite3_syscall_ptr)count_pwrite);
	if (real_pwrite64)
		unix_vfs->xSetSystemCall(unix_vfs, "pwrite64",
					 (sqlite3_syscall_ptr)count_pwrite64);
	real_pread = unix_vfs->xGetSystemCall(unix_vfs, "pread");
	real_pread64 = unix_vfs->xGetSystemCall(unix_vfs, "pread64");
	if (real_pread)
		unix_vfs->xSetSystemCall(unix_vfs, "pread",
					 (sqlite3_syscall_ptr)count_pread);
	if (real_pread64)
		unix_vfs->xSetSystemCall(unix_vfs, "pread64",
					 (sqlite3_syscall_ptr)count_pread64);
	cr_assert(real_pwrite || real_pwrite64);
	cr_assert(real_pread || real_pread64);
}

static unsigned next(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 8) & 0xffffff;
}

/* Run sql, which must fail with a constraint error (a statement rolled
 * back from its journal, the transaction going on). */
static void exec_fails(sqlite3 *db, const char *sql)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	cr_assert_eq(rc & 0xff, SQLITE_CONSTRAINT, "%s: %d", sql, rc);
}

/*
 * Transactions of large multi-row inserts (each statement journaled, as
 * the daemon's 64-row INSERTs are), updates that grow rows, deletes,
 * savepoints released or rolled back, statements failing on their last
 * row, and whole transactions rolled back. Deterministic for a seed.
 */
static void workload(sqlite3 *db, unsigned seed)
{
	char sql[512];

	for (int tx = 0; tx < 24; tx++) {
		int lo = (int)(next(&seed) % 4000);
		int n = 50 + (int)(next(&seed) % 700);

		exec(db, "BEGIN");
		snprintf(sql, sizeof(sql),
			 "WITH RECURSIVE c(i) AS (SELECT %d UNION ALL SELECT i + 1"
			 " FROM c WHERE i < %d) INSERT OR REPLACE INTO t(k, u, v)"
			 " SELECT i, 'u' || i || '-' || %d,"
			 " CAST(i || hex(zeroblob(%u)) AS BLOB) FROM c",
			 lo, lo + n, tx, 20 + next(&seed) % 300);
		exec(db, sql);
		snprintf(sql, sizeof(sql),
			 "UPDATE t SET v = v || zeroblob(%u) WHERE k %% %u = %u",
			 next(&seed) % 200, 2 + next(&seed) % 5, next(&seed) % 2);
		exec(db, sql);
		exec(db, "SAVEPOINT s");
		snprintf(sql, sizeof(sql), "DELETE FROM t WHERE k BETWEEN %u AND %u",
			 next(&seed) % 4000, next(&seed) % 4000);
		exec(db, sql);
		exec(db, next(&seed) % 2 ? "ROLLBACK TO s; RELEASE s" : "RELEASE s");
		/* Its last row's u is taken: the statement's rows go back. */
		snprintf(sql, sizeof(sql),
			 "WITH RECURSIVE c(i) AS (SELECT 100000 UNION ALL SELECT"
			 " i + 1 FROM c WHERE i < 100400) INSERT INTO t(k, u, v)"
			 " SELECT i, CASE WHEN i = 100400 THEN (SELECT u FROM t"
			 " LIMIT 1) ELSE 'x' || i END, zeroblob(200) FROM c");
		if (number(db, "SELECT count(*) FROM t") > 0)
			exec_fails(db, sql);
		exec(db, next(&seed) % 5 == 0 ? "ROLLBACK" : "COMMIT");
	}
}

/* The content a workload leaves, and the write calls it made. */
static char *run(const char *name, const char *vfs, long *calls)
{
	sqlite3 *db = open_db(name, vfs);
	char *d;

	configure(db);
	writes = 0;
	workload(db, 42);
	*calls = writes;
	assert_intact(db);
	d = digest(db);
	cr_assert_eq(sqlite3_close(db), SQLITE_OK);
	return d;
}

/* ------------------------------------------------------------ tests */

Test(walbuf, same_rows_as_the_default_vfs)
{
	long plain, gathered, small;
	char *a, *b, *c;

	count_calls();
	a = run("plain.db", NULL, &plain);
	b = run("gathered.db", WALBUF_VFS, &gathered);
	/* A buffer of less than two frames of 1 KiB pages: most frames cross
	 * its end, and some do not fit at all. */
	walbuf_set_size(1500);
	c = run("small.db", WALBUF_VFS, &small);
	walbuf_set_size(0);
	cr_assert(strlen(a) > 1000, "the workload left rows: %.40s", a);
	cr_assert_str_eq(b, a, "gathered writes changed the content");
	cr_assert_str_eq(c, a, "a small buffer changed the content");
	/* Pages rewritten in place and checksums rewritten at each commit
	 * are single writes at scattered places; the rest is gathered. */
	cr_assert(gathered < plain, "%ld write calls gathered, %ld plain",
		  gathered, plain);
	free(a);
	free(b);
	free(c);
}

/* The frames of one commit that spilled nothing, in one call per 64 KiB;
 * also from a buffer larger than the default VFS writes in one call. */
Test(walbuf, a_commit_is_written_in_few_calls)
{
	const char *name[3] = {"plain.db", "gathered.db", "large.db"};
	size_t size[3] = {0, 0, 300 * 1024};
	long calls[3];

	count_calls();
	for (int i = 0; i < 3; i++) {
		sqlite3 *db = open_db(name[i], i ? WALBUF_VFS : NULL);

		walbuf_set_size(size[i]);
		configure(db);
		exec(db, "PRAGMA cache_size = 4000");
		writes = 0;
		exec(db, "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT"
			 " i + 1 FROM c WHERE i < 5000) INSERT INTO t(k, u, v)"
			 " SELECT i, 'c' || i, zeroblob(300) FROM c");
		calls[i] = writes;
		cr_assert_eq(number(db, "SELECT count(*) FROM t"), 5000);
		assert_intact(db);
		cr_assert_eq(sqlite3_close(db), SQLITE_OK);
	}
	walbuf_set_size(0);
	/* About 2,000 frames of 1,048 bytes: two calls each, or 33 calls. */
	cr_assert(calls[0] > 3000, "%ld write calls without the VFS", calls[0]);
	cr_assert(calls[1] * 50 < calls[0], "%ld write calls gathered, %ld plain",
		  calls[1], calls[0]);
	cr_assert(calls[2] * 50 < calls[0], "%ld write calls from 300 KiB, %ld plain",
		  calls[2], calls[0]);
}

/*
 * A transaction that spills frames and writes some of them again: at its
 * commit SQLite reads every frame from the first one written again, to
 * chain their checksums anew, and writes each frame's header. Through the
 * VFS those reads come 64 KiB at a time, the headers go out with them,
 * and the same rows are left (that the checksums are right is what
 * a_commit_is_in_the_file_when_commit_returns checks, by a recovery).
 */
/* One transaction of 20,000 rows with pages of page_size bytes, through
 * vfs: the reads and writes its commit made, and the rows it left. */
static char *commit_calls(const char *name, const char *vfs, int page_size,
			  long *read_calls, long *write_calls)
{
	sqlite3 *db = open_db(name, vfs);
	char *rows;

	configure_pages(db, page_size);
	exec(db, "PRAGMA wal_autocheckpoint = 0");
	exec(db, "BEGIN");
	exec(db, "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT"
		 " i + 1 FROM c WHERE i < 20000) INSERT INTO t(k, u, v)"
		 " SELECT i, 'c' || i, zeroblob(300) FROM c");
	reads = writes = 0;
	exec(db, "COMMIT");
	*read_calls = reads;
	*write_calls = writes;
	rows = digest(db);
	assert_intact(db);
	cr_assert_eq(sqlite3_close(db), SQLITE_OK);
	return rows;
}

Test(walbuf, checksums_rewritten_from_frames_read_ahead)
{
	long plain, gathered, plain_w, gathered_w;
	char *a, *b;

	count_calls();
	a = commit_calls("plain.db", NULL, 1024, &plain, &plain_w);
	b = commit_calls("gathered.db", WALBUF_VFS, 1024, &gathered, &gathered_w);
	cr_assert(plain > 1000, "%ld reads at the commit without the VFS", plain);
	cr_assert(gathered * 10 < plain, "%ld reads at the commit, %ld plain",
		  gathered, plain);
	/* The headers: one call each without the VFS, a few per 64 KiB
	 * through it. */
	cr_assert(plain_w > 1000, "%ld writes at the commit without the VFS", plain_w);
	cr_assert(gathered_w * 10 < plain_w, "%ld writes at the commit, %ld plain",
		  gathered_w, plain_w);
	cr_assert_str_eq(b, a);
	free(a);
	free(b);
}

enum child { BIG_COMMIT, SMALL_COMMIT, NO_COMMIT, WRITE_FAILS };

/*
 * A child process writes through the VFS and dies without closing, so
 * that what it kept buffered is lost. BIG_COMMIT and NO_COMMIT write
 * 20,000 rows in one transaction, which spills frames and writes some of
 * them again (the cache holds 8 pages), and commit it or not: SQLite then
 * rewrites the frames' checksums, the commit frame's header last.
 * SMALL_COMMIT commits one row, spilling nothing: the commit frame's page
 * is the last write. With WRITE_FAILS its files may grow by 2 MiB only:
 * the big transaction fails, is rolled back, and a new connection of the
 * child still writes.
 */
static void child_writes(enum child what)
{
	pid_t pid = fork();
	int status = 0;

	cr_assert_neq(pid, -1);
	if (pid == 0) {
		sqlite3 *db = open_db("t.db", WALBUF_VFS);
		int rc;

		if (what == WRITE_FAILS) {
			struct rlimit lim;
			struct stat sb;
			char p[128];

			db_path(p, sizeof(p), "t.db-wal");
			signal(SIGXFSZ, SIG_IGN);
			lim.rlim_cur = lim.rlim_max =
				(stat(p, &sb) == 0 ? (rlim_t)sb.st_size : 0) +
				(2 << 20);
			if (setrlimit(RLIMIT_FSIZE, &lim) != 0)
				_exit(3);
		}
		configure(db);
		/* A checkpoint would read the log, and so write out the
		 * buffer, whatever the commit did. */
		exec(db, "PRAGMA wal_autocheckpoint = 0");
		if (what == SMALL_COMMIT) {
			rc = sqlite3_exec(db, "INSERT INTO t(k, u) VALUES (5, 'last')",
					  NULL, NULL, NULL);
			_exit(rc == SQLITE_OK ? 0 : 2);
		}
		exec(db, "BEGIN");
		rc = sqlite3_exec(db,
				  "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT"
				  " i + 1 FROM c WHERE i < 20000) INSERT INTO t(k, u, v)"
				  " SELECT i + 1000, 'c' || i, randomblob(300) FROM c",
				  NULL, NULL, NULL);
		if (what == WRITE_FAILS) {
			if (rc == SQLITE_OK)
				rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
			if (rc == SQLITE_OK)
				_exit(4);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			sqlite3_close(db);
			db = open_db("t.db", WALBUF_VFS);
			if (sqlite3_exec(db, "INSERT INTO t(k, u) VALUES (999, 'after')",
					 NULL, NULL, NULL) != SQLITE_OK)
				_exit(5);
			_exit(0);
		}
		if (rc != SQLITE_OK)
			_exit(2);
		if (what == BIG_COMMIT &&
		    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			_exit(2);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the child failed (status %d)", status);
}

static void one_commit_pages(int page_size)
{
	sqlite3 *db = open_db("t.db", NULL);

	configure_pages(db, page_size);
	exec(db, "INSERT INTO t(k, u, v) VALUES (1, 'first', x'01')");
	cr_assert_eq(sqlite3_close(db), SQLITE_OK);
}

static void one_commit(void)
{
	one_commit_pages(1024);
}

/* Open with the default VFS after the wal-index is removed: SQLite
 * rebuilds it from the log, keeping the frames up to the last commit
 * whose checksums hold, as after a crash of the machine. */
static sqlite3 *recover(void)
{
	char p[128];

	db_path(p, sizeof(p), "t.db-shm");
	cr_assert(unlink(p) == 0 || errno == ENOENT);
	return open_db("t.db", NULL);
}

/* The table holds n rows, and the database is whole. */
static void rows_are(sqlite3 *db, long long n)
{
	cr_assert_eq(number(db, "SELECT count(*) FROM t"), n);
	assert_intact(db);
}

Test(walbuf, a_commit_is_in_the_file_when_commit_returns)
{
	sqlite3 *db;

	one_commit();
	child_writes(BIG_COMMIT);
	db = recover();
	rows_are(db, 20001);
	cr_assert_eq(sqlite3_close(db), SQLITE_OK);
	child_writes(SMALL_COMMIT);
	db = recover();
	rows_are(db, 20002);
	exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	rows_are(db, 20002);
	sqlite3_close(db);
}

Test(walbuf, frames_lost_with_their_process_leave_the_last_commit)
{
	sqlite3 *db;

	one_commit();
	child_writes(NO_COMMIT);
	db = recover();
	rows_are(db, 1);
	exec(db, "INSERT INTO t(k, u) VALUES (2, 'second')");
	rows_are(db, 2);
	sqlite3_close(db);
}

Test(walbuf, a_failed_write_rolls_back_and_writing_goes_on)
{
	sqlite3 *db;

	one_commit();
	child_writes(WRITE_FAILS);
	db = recover();
	cr_assert_eq(number(db, "SELECT count(*) FROM t"), 2);
	cr_assert_eq(number(db, "SELECT count(*) FROM t WHERE u = 'after'"), 1);
	assert_intact(db);
	sqlite3_close(db);
}

Test(walbuf, the_store_opens_through_it)
{
	char p[128];
	struct store *st = NULL;
	sqlite3_vfs *vfs = NULL;

	db_path(p, sizeof(p), "store.db");
	cr_assert_eq(store_open(p, &st), 0);
	cr_assert_eq(sqlite3_file_control(st->db, "main", SQLITE_FCNTL_VFS_POINTER,
					  &vfs),
		     SQLITE_OK);
	cr_assert_not_null(vfs);
	cr_assert_str_eq(vfs->zName, WALBUF_VFS);
	store_close(st);
}

/* A frame of 64 KiB pages is larger than what is read ahead: read alone,
 * and its checksums, rewritten, hold at a recovery. */
Test(walbuf, frames_larger_than_the_read_ahead)
{
	long plain, gathered, plain_w, gathered_w;
	char *a, *b;
	sqlite3 *db;

	count_calls();
	a = commit_calls("plain.db", NULL, 65536, &plain, &plain_w);
	b = commit_calls("gathered.db", WALBUF_VFS, 65536, &gathered, &gathered_w);
	cr_assert(plain > 0, "the commit rewrote no checksum");
	cr_assert_str_eq(b, a);
	free(a);
	free(b);
	one_commit_pages(65536);
	child_writes(BIG_COMMIT);
	db = recover();
	rows_are(db, 20001);
	cr_assert_eq(number(db, "PRAGMA page_size"), 65536);
	sqlite3_close(db);
}
