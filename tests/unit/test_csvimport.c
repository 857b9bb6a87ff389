/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the streaming CSV importer against a real store on a
 * throwaway database: each kind of file, the RFC 4180 forms, every row
 * error with its physical line number, fatal header errors, the error cap,
 * and input split at any byte boundary.
 */
#include "config.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/date.h"
#include "daemon/csvimport.h"
#include "engine/engine.h"
#include "store/store.h"
#include "store/store_internal.h" /* bulk_after */

static char dir[64];
static char path[128];
static struct store *st;
static struct engine_policy pol;
static bool in_tx;

/* A transaction the teardown rolls back if a test leaves it open. */
static void begin(void)
{
	cr_assert_eq(store_begin(st), 0);
	in_tx = true;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test-csvimport-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/retention.db", dir);
	cr_assert_eq(store_open(path, &st), 0);
	engine_policy_init(&pol);
	begin();
}

static void teardown(void)
{
	char f[160];

	if (in_tx)
		store_rollback(st);
	store_close(st);
	st = NULL;
	unlink(path);
	snprintf(f, sizeof(f), "%s-wal", path);
	unlink(f);
	snprintf(f, sizeof(f), "%s-shm", path);
	unlink(f);
	rmdir(dir);
}

TestSuite(csv, .init = setup, .fini = teardown);

static rd_date D(const char *s)
{
	rd_date d = DATE_NONE;

	cr_assert_eq(date_parse(s, strlen(s), &d), 0, "bad literal %s", s);
	return d;
}

/* ------------------------------------------------------------ running */

#define MAX_KEPT 64

struct run {
	int feed_rc;   /* first negative csvimport_feed result, or 0 */
	int finish_rc; /* csvimport_finish */
	uint64_t rows, changed, n_errors;
	size_t kept;
	struct csvimport_error errors[MAX_KEPT];
	char ignored[512];
};

#ifdef TEST_CSVIMPORT_PIPE
/* The pieces of a text, as csvimport_pipe's source. */
struct pieces {
	const char *text;
	size_t len, chunk, pos;
	int cancel_at; /* the call (from 0) that cancels; -1: none */
	int calls;
	bool ended;    /* next said 0: the input was taken to its end */
	int applied;
};

static int pieces_next(void *ctx, const char **data, size_t *len)
{
	struct pieces *p = ctx;

	if (p->calls++ == p->cancel_at)
		return -1;
	if (p->pos >= p->len) {
		p->ended = true;
		return 0;
	}
	*data = p->text + p->pos;
	*len = p->chunk && p->len - p->pos > p->chunk ? p->chunk : p->len - p->pos;
	p->pos += *len;
	return 1;
}

static void pieces_applied(void *ctx)
{
	((struct pieces *)ctx)->applied++;
}
#endif

/*
 * Import len bytes of text, in pieces of `chunk` bytes (0: at once): fed
 * one by one on this thread, or, in the build of this file for the pipe
 * (test_csvimport_pipe), read by csvimport_pipe's second thread. Every
 * test then holds for both.
 */
static void import_chunks(enum csv_kind kind, const char *text, size_t len,
			  size_t chunk, size_t max_errors, struct run *out)
{
	struct csvimport *ci = NULL;
	const struct csvimport_error *errs;

	memset(out, 0, sizeof(*out));
	cr_assert_eq(csvimport_new(kind, "test.csv", st, &pol, max_errors, &ci), 0);
#ifdef TEST_CSVIMPORT_PIPE
	struct pieces p = {.text = text, .len = len, .chunk = chunk, .cancel_at = -1};
	out->feed_rc = csvimport_pipe(ci, &(struct csvimport_source){
						  pieces_next, pieces_applied, &p});
	cr_assert_leq(out->feed_rc, 0);
	cr_assert_neq(out->feed_rc, -ECANCELED);
	cr_assert(p.ended, "the input is taken to its end, also after an error");
#else
	for (size_t pos = 0; pos < len;) {
		size_t n = chunk && len - pos > chunk ? chunk : len - pos;
		int rc = csvimport_feed(ci, text + pos, n);
		cr_assert_leq(rc, 0);
		if (rc < 0) {
			out->feed_rc = rc;
			break;
		}
		pos += n;
	}
#endif
	out->finish_rc = csvimport_finish(ci);
	out->rows = csvimport_rows(ci);
	out->changed = csvimport_changed(ci);
	out->n_errors = csvimport_error_count(ci);
	errs = csvimport_errors(ci, &out->kept);
	cr_assert_leq(out->kept, MAX_KEPT);
	cr_assert_leq(out->kept, out->n_errors);
	memcpy(out->errors, errs, out->kept * sizeof(*errs));
	snprintf(out->ignored, sizeof(out->ignored), "%s", csvimport_ignored_columns(ci));
	csvimport_free(ci);
}

static void import(enum csv_kind kind, const char *text, struct run *out)
{
	import_chunks(kind, text, strlen(text), 0, 100, out);
}

static void dump_errors(const struct run *r, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->kept && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "\n  line %llu: %s",
				      (unsigned long long)r->errors[i].line,
				      r->errors[i].message);
}

/* Import that must succeed. */
static void import_ok(enum csv_kind kind, const char *text, uint64_t rows)
{
	struct run r;
	char e[4096];

	import(kind, text, &r);
	dump_errors(&r, e, sizeof(e));
	cr_assert_eq(r.finish_rc, 0, "import failed (%d):%s", r.finish_rc, e);
	cr_assert_eq(r.feed_rc, 0);
	cr_assert_eq(r.n_errors, 0, "errors:%s", e);
	cr_assert_eq(r.rows, rows, "%llu rows, want %llu",
		     (unsigned long long)r.rows, (unsigned long long)rows);
}

/* Is there an error on `line` whose message holds every non-NULL word? */
static bool has_error(const struct run *r, uint64_t line, const char *w1,
		      const char *w2)
{
	for (size_t i = 0; i < r->kept; i++) {
		if (r->errors[i].line != line)
			continue;
		if (w1 && !strstr(r->errors[i].message, w1))
			continue;
		if (w2 && !strstr(r->errors[i].message, w2))
			continue;
		return true;
	}
	return false;
}

#define assert_error(r, line, w1, w2)                                        \
	do {                                                                 \
		char e_[4096];                                               \
		dump_errors((r), e_, sizeof(e_));                            \
		cr_assert(has_error((r), (line), (w1), (w2)),                \
			  "no error on line %d mentioning '%s' '%s'; got:%s", \
			  (int)(line), (w1) ? (w1) : "", (w2) ? (w2) : "", e_); \
	} while (0)

/* Import that must be refused row by row (finish -EINVAL, feed fine). */
static void import_bad(enum csv_kind kind, const char *text, struct run *r)
{
	import(kind, text, r);
	cr_assert_eq(r->feed_rc, 0, "a bad row must not stop the reading");
	cr_assert_eq(r->finish_rc, -EINVAL);
	cr_assert_gt(r->n_errors, 0);
}

static struct store_counts counts(void)
{
	struct store_counts c;

	cr_assert_eq(store_counts(st, &c), 0);
	return c;
}

static struct store_dossier *load(const char *ipp)
{
	struct store_dossier *d = NULL;

	cr_assert_eq(store_dossier_load(st, &pol, ipp, &d), 0, "no dossier %s", ipp);
	return d;
}

static void commit(void)
{
	cr_assert_eq(store_commit(st), 0);
	in_tx = false;
}

/* One text column of the committed database, read with a second handle. */
static char *raw_text(const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char *out = NULL;

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s",
		     sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		out = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return out;
}

static long long raw_int(const char *sql)
{
	char *t = raw_text(sql);
	long long v;

	cr_assert_not_null(t, "no value for %s", sql);
	v = atoll(t);
	free(t);
	return v;
}

static const char patients[] =
	"ipp,birth_date,death_date\n"
	"P1,1950-01-01,\n"
	"P2,2001-04-30,\n"
	"P3,1930-01-01,2008-02-01\n";

/* ------------------------------------------------------------ kinds */

Test(csv, kind_names)
{
	cr_assert_eq(csvimport_kind_from_name("patients"), CSV_PATIENTS);
	cr_assert_eq(csvimport_kind_from_name("encounters"), CSV_ENCOUNTERS);
	cr_assert_eq(csvimport_kind_from_name("transfusions"), CSV_TRANSFUSIONS);
	cr_assert_eq(csvimport_kind_from_name("litigations"), CSV_LITIGATIONS);
	cr_assert_eq(csvimport_kind_from_name("patient"), -EINVAL);
	cr_assert_eq(csvimport_kind_from_name(""), -EINVAL);
	for (int k = CSV_PATIENTS; k <= CSV_LITIGATIONS; k++)
		cr_assert_eq(csvimport_kind_from_name(csvimport_kind_name(k)), k);
}

Test(csv, patients)
{
	import_ok(CSV_PATIENTS, patients, 3);
	cr_assert_eq(counts().patients, 3);

	struct store_dossier *d = load("P3");
	cr_assert_eq(d->facts.birth, D("1930-01-01"));
	cr_assert_eq(d->facts.death, D("2008-02-01"));
	store_dossier_free(d);
	d = load("P1");
	cr_assert_eq(d->facts.birth, D("1950-01-01"));
	cr_assert_eq(d->facts.death, DATE_NONE, "empty death_date is null");
	store_dossier_free(d);
}

Test(csv, patients_upsert)
{
	struct run r;

	import(CSV_PATIENTS, patients, &r);
	cr_assert_eq(r.finish_rc, 0);
	cr_assert_eq(r.changed, 3);
	/* The same file again changes nothing. */
	import(CSV_PATIENTS, patients, &r);
	cr_assert_eq(r.finish_rc, 0);
	cr_assert_eq(r.rows, 3);
	cr_assert_eq(r.changed, 0);
	cr_assert_eq(counts().patients, 3);
	/* One row changed, one new. */
	import(CSV_PATIENTS,
	       "ipp,birth_date,death_date\n"
	       "P1,1950-01-01,2020-06-01\n"
	       "P2,2001-04-30,\n"
	       "P4,1999-09-09,\n",
	       &r);
	cr_assert_eq(r.finish_rc, 0);
	cr_assert_eq(r.changed, 2);
	cr_assert_eq(counts().patients, 4);
	struct store_dossier *d = load("P1");
	cr_assert_eq(d->facts.death, D("2020-06-01"));
	store_dossier_free(d);
	/* A date emptied again becomes null again. */
	import(CSV_PATIENTS, "ipp,birth_date,death_date\nP1,1950-01-01,\n", &r);
	cr_assert_eq(r.finish_rc, 0);
	d = load("P1");
	cr_assert_eq(d->facts.death, DATE_NONE);
	store_dossier_free(d);
}

Test(csv, encounters)
{
	struct run r;

	import_ok(CSV_PATIENTS, patients, 3);
	import_ok(CSV_ENCOUNTERS,
		  "encounter_id,ipp,kind,start_date,end_date\n"
		  "E1,P1,stay,2000-03-01,2000-03-15\n"
		  "E2,P1,consultation,2001-01-10,\n"
		  "E3,P2,emergency,2004-05-01,2004-05-01\n"
		  "E4,P2,stay,2005-06-01,\n",
		  4);
	cr_assert_eq(counts().encounters, 4);

	struct store_dossier *d = load("P1");
	cr_assert_eq(d->facts.n_encounters, 2);
	cr_assert_str_eq(d->facts.encounters[0].id, "E1");
	cr_assert_eq(d->facts.encounters[0].kind, ENGINE_KIND_STAY);
	cr_assert_eq(d->facts.encounters[0].start, D("2000-03-01"));
	cr_assert_eq(d->facts.encounters[0].end, D("2000-03-15"));
	cr_assert_str_eq(d->facts.encounters[1].id, "E2");
	cr_assert_eq(d->facts.encounters[1].kind, ENGINE_KIND_CONSULTATION);
	cr_assert_eq(d->facts.encounters[1].end, DATE_NONE, "empty end_date is null");
	store_dossier_free(d);

	/* Upsert by encounter_id: moved to P2 with a new end. */
	import(CSV_ENCOUNTERS,
	       "encounter_id,ipp,kind,start_date,end_date\n"
	       "E1,P2,stay,2000-03-01,2000-03-16\n"
	       "E2,P1,consultation,2001-01-10,\n",
	       &r);
	cr_assert_eq(r.finish_rc, 0);
	cr_assert_eq(r.changed, 1);
	cr_assert_eq(counts().encounters, 4);
	d = load("P1");
	cr_assert_eq(d->facts.n_encounters, 1);
	store_dossier_free(d);
	d = load("P2");
	cr_assert_eq(d->facts.n_encounters, 3);
	cr_assert_str_eq(d->facts.encounters[0].id, "E1");
	cr_assert_eq(d->facts.encounters[0].end, D("2000-03-16"));
	store_dossier_free(d);
}

Test(csv, encounter_kind_declared_in_the_configuration)
{
	int k = engine_policy_add_kind(&pol, "obstetrics", 30, true);

	cr_assert_geq(k, 3);
	import_ok(CSV_PATIENTS, patients, 3);
	import_ok(CSV_ENCOUNTERS,
		  "encounter_id,ipp,kind,start_date,end_date\n"
		  "E1,P1,obstetrics,2000-03-01,\n",
		  1);
	struct store_dossier *d = load("P1");
	cr_assert_eq(d->facts.encounters[0].kind, k);
	store_dossier_free(d);
}

Test(csv, transfusions)
{
	struct run r;

	import_ok(CSV_PATIENTS, patients, 3);
	import_ok(CSV_TRANSFUSIONS,
		  "transfusion_id,ipp,act_date\n"
		  "T1,P1,2000-03-02\n"
		  "T2,P1,1999-01-01\n"
		  "T3,P3,2005-05-05\n",
		  3);
	cr_assert_eq(counts().transfusions, 3);
	struct store_dossier *d = load("P1");
	cr_assert_eq(d->facts.n_transfusions, 2);
	cr_assert_str_eq(d->facts.transfusions[0].id, "T2");
	cr_assert_eq(d->facts.transfusions[0].act, D("1999-01-01"));
	cr_assert_eq(d->facts.transfusions[1].act, D("2000-03-02"));
	store_dossier_free(d);

	import(CSV_TRANSFUSIONS, "transfusion_id,ipp,act_date\nT3,P3,2005-05-06\n", &r);
	cr_assert_eq(r.finish_rc, 0);
	cr_assert_eq(r.changed, 1);
	cr_assert_eq(counts().transfusions, 3);
	d = load("P3");
	cr_assert_eq(d->facts.transfusions[0].act, D("2005-05-06"));
	store_dossier_free(d);
}

Test(csv, litigations)
{
	struct run r;

	import_ok(CSV_PATIENTS, patients, 3);
	import_ok(CSV_LITIGATIONS,
		  "litigation_id,ipp,opened_on,closed_on,reference\n"
		  "L1,P1,2005-01-01,2005-12-31,TA-05-0001\n"
		  "L2,P2,2010-02-02,,\n"
		  "L3,P1,2006-01-01,2006-01-01,\n",
		  3);
	cr_assert_eq(counts().litigations, 3);
	struct store_dossier *d = load("P1");
	cr_assert_eq(d->facts.n_litigations, 2);
	cr_assert_str_eq(d->facts.litigations[0].id, "L1");
	cr_assert_eq(d->facts.litigations[0].opened, D("2005-01-01"));
	cr_assert_eq(d->facts.litigations[0].closed, D("2005-12-31"));
	cr_assert_eq(d->facts.litigations[1].closed, D("2006-01-01"),
		     "closed the day it opened is fine");
	store_dossier_free(d);
	d = load("P2");
	cr_assert_eq(d->facts.litigations[0].closed, DATE_NONE, "still open");
	store_dossier_free(d);

	/* Closing L2 is an upsert. */
	import(CSV_LITIGATIONS,
	       "litigation_id,ipp,opened_on,closed_on\nL2,P2,2010-02-02,2012-03-03\n", &r);
	cr_assert_eq(r.finish_rc, 0);
	cr_assert_eq(r.changed, 1);
	d = load("P2");
	cr_assert_eq(d->facts.litigations[0].closed, D("2012-03-03"));
	store_dossier_free(d);

	commit();
	char *ref = raw_text("SELECT reference FROM litigations WHERE litigation_id = 'L1'");
	cr_assert_str_eq(ref, "TA-05-0001");
	free(ref);
	ref = raw_text("SELECT reference FROM litigations WHERE litigation_id = 'L3'");
	cr_assert_null(ref, "empty reference is null, got '%s'", ref);
}

Test(csv, failed_import_rolled_back_leaves_nothing)
{
	struct run r;

	import_bad(CSV_PATIENTS,
		   "ipp,birth_date\nP1,1950-01-01\nP2,1950-02-30\nP3,1950-03-03\n", &r);
	cr_assert_eq(r.rows, 3);
	cr_assert_eq(store_rollback(st), 0);
	in_tx = false;
	cr_assert_eq(counts().patients, 0);
}

/* A first load of encounters takes the bulk path (its index dropped
 * inside the transaction): a bad last row must leave nothing either. */
Test(csv, failed_bulk_import_rolled_back_leaves_nothing)
{
	static const char good[] =
		"encounter_id,ipp,kind,start_date,end_date\n"
		"E1,P1,stay,2000-01-01,2000-01-05\n"
		"E2,P2,stay,2010-01-01,\n";
	char bad[256];
	struct run r;
	char *idx;

	import_ok(CSV_PATIENTS, patients, 3);
	commit();
	begin();
	cr_assert_eq(store_recompute_dirty(st, &pol, D("2026-11-21"), NULL, NULL, NULL), 0);
	commit();

	begin();
	st->bulk_after = 1;
	snprintf(bad, sizeof(bad), "%sE3,P1,stay,2000-13-01,\n", good);
	import_bad(CSV_ENCOUNTERS, bad, &r);
	cr_assert_eq(r.rows, 3);
	cr_assert_eq(r.n_errors, 1);
	cr_assert(store_import_is_bulk(st), "the session left open is bulk");
	cr_assert_eq(store_rollback(st), 0);
	in_tx = false;
	cr_assert_eq(counts().encounters, 0);
	cr_assert_eq(counts().dirty, 0);
	idx = raw_text("SELECT sql FROM sqlite_schema WHERE name = 'encounters_by_id'");
	cr_assert_not_null(idx, "the index dropped for the bulk load is back");
	free(idx);

	/* The same file without its bad row then loads. */
	begin();
	import_ok(CSV_ENCOUNTERS, good, 2);
	commit();
	cr_assert_eq(counts().encounters, 2);
	cr_assert_eq(counts().dirty, 2);
	idx = raw_text("SELECT sql FROM sqlite_schema WHERE name = 'encounters_by_id'");
	cr_assert_not_null(idx);
	free(idx);
}

/*
 * A first load repeating ids, in bulk (the unique index of encounter_id
 * dropped): the last row of each id wins and the changes are those of the
 * row-by-row path, which an exact repeat does not count.
 */
Test(csv, bulk_load_with_repeated_ids_keeps_the_last_row)
{
	struct run r;
	char *idx;

	import_ok(CSV_PATIENTS, patients, 3);
	commit();
	begin();
	st->bulk_after = 1;
	import(CSV_ENCOUNTERS,
	       "encounter_id,ipp,kind,start_date,end_date\n"
	       "E1,P1,stay,2000-01-01,2000-01-05\n"
	       "E2,P2,stay,2010-01-01,\n"
	       "E1,P1,stay,2000-01-01,2000-01-05\n" /* the same: unchanged */
	       "E2,P3,consultation,2007-01-01,\n"  /* moved, changed */
	       "E3,P1,emergency,2001-02-03,2001-02-03\n"
	       "E2,P3,consultation,2007-01-01,\n", /* the same again */
	       &r);
	cr_assert_eq(r.finish_rc, 0);
	cr_assert_eq(r.rows, 6);
	cr_assert_eq(r.changed, 4);
	commit();
	cr_assert_eq(counts().encounters, 3);
	cr_assert_eq(raw_int("SELECT count(*) FROM encounters"), 3);
	cr_assert_eq(raw_int("SELECT count(*) FROM encounters e JOIN patients p"
			     " ON p.id = e.patient_id WHERE encounter_id = 'E2'"
			     " AND p.ipp = 'P3' AND start_date = 13514"),
		     1, "E2 as its last row gave it");
	idx = raw_text("SELECT sql FROM sqlite_schema WHERE name = 'encounters_by_id'");
	cr_assert_not_null(idx, "the index is built again");
	free(idx);
	struct store_dossier *d = load("P2");
	cr_assert_eq(d->facts.n_encounters, 0);
	store_dossier_free(d);
	d = load("P1");
	cr_assert_eq(d->facts.n_encounters, 2);
	store_dossier_free(d);
}

/* ------------------------------------------------------------ forms */

Test(csv, columns_in_any_order_and_extra_columns)
{
	struct run r;

	import(CSV_PATIENTS,
	       "service,death_date,ipp,commentaire,birth_date\n"
	       "cardio,2008-02-01,P1,vu,1930-01-01\n"
	       "pneumo,,P2,,1950-01-01\n",
	       &r);
	cr_assert_eq(r.finish_rc, 0);
	cr_assert_eq(r.rows, 2);
	struct store_dossier *d = load("P1");
	cr_assert_eq(d->facts.birth, D("1930-01-01"));
	cr_assert_eq(d->facts.death, D("2008-02-01"));
	store_dossier_free(d);

	/* "service" and "commentaire" were not used, in header order. */
	char *a = strstr(r.ignored, "service");
	char *b = strstr(r.ignored, "commentaire");
	cr_assert(a && b && a < b, "ignored columns: '%s'", r.ignored);
	cr_assert_not_null(strchr(r.ignored, ','), "comma-separated: '%s'", r.ignored);
	cr_assert_null(strstr(r.ignored, "ipp"), "'%s'", r.ignored);
	cr_assert_null(strstr(r.ignored, "birth_date"), "'%s'", r.ignored);
	cr_assert_null(strstr(r.ignored, "death_date"), "'%s'", r.ignored);

	import(CSV_ENCOUNTERS,
	       "end_date,start_date,kind,ipp,encounter_id\n"
	       "2000-03-15,2000-03-01,stay,P1,E1\n",
	       &r);
	cr_assert_eq(r.finish_rc, 0);
	cr_assert_str_eq(r.ignored, "", "nothing ignored");
	d = load("P1");
	cr_assert_str_eq(d->facts.encounters[0].id, "E1");
	cr_assert_eq(d->facts.encounters[0].start, D("2000-03-01"));
	cr_assert_eq(d->facts.encounters[0].end, D("2000-03-15"));
	store_dossier_free(d);
}

Test(csv, optional_columns_may_be_absent)
{
	import_ok(CSV_PATIENTS, "ipp\nP1\nP2\n", 2);
	struct store_dossier *d = load("P1");
	cr_assert_eq(d->facts.birth, DATE_NONE);
	cr_assert_eq(d->facts.death, DATE_NONE);
	store_dossier_free(d);
	import_ok(CSV_ENCOUNTERS, "encounter_id,ipp,kind,start_date\nE1,P1,stay,2000-01-01\n", 1);
	import_ok(CSV_LITIGATIONS, "litigation_id,ipp,opened_on\nL1,P1,2000-01-01\n", 1);
}

Test(csv, utf8_bom_on_the_header)
{
	import_ok(CSV_PATIENTS, "\xEF\xBB\xBFipp,birth_date\nP1,1950-01-01\n", 1);
	struct store_dossier *d = load("P1");
	cr_assert_eq(d->facts.birth, D("1950-01-01"));
	store_dossier_free(d);
}

Test(csv, utf8_bom_before_a_quoted_header)
{
	/* What Windows PowerShell's Export-Csv writes: a BOM, then every
	 * field quoted. The BOM is not part of the first field. */
	import_ok(CSV_PATIENTS,
		  "\xEF\xBB\xBF\"ipp\",\"birth_date\"\r\n\"P1\",\"1950-01-01\"\r\n", 1);
}

Test(csv, bom_only_at_the_start)
{
	/* A BOM inside the file is data: here it makes an unknown IPP-like
	 * id, which is legal UTF-8, so check it is kept as is. */
	import_ok(CSV_PATIENTS, "ipp\n\xEF\xBB\xBFP1\n", 1);
	struct store_dossier *d = NULL;
	cr_assert_eq(store_dossier_load(st, &pol, "P1", &d), -ENOENT);
	cr_assert_eq(store_dossier_load(st, &pol, "\xEF\xBB\xBFP1", &d), 0);
	store_dossier_free(d);
}

Test(csv, crlf_line_endings)
{
	struct run r;

	import_ok(CSV_PATIENTS,
		  "ipp,birth_date,death_date\r\n"
		  "P1,1950-01-01,\r\n"
		  "P2,1960-01-01,2000-01-01\r\n",
		  2);
	struct store_dossier *d = load("P1");
	cr_assert_eq(d->facts.death, DATE_NONE, "the CR is not part of the last field");
	store_dossier_free(d);
	d = load("P2");
	cr_assert_eq(d->facts.death, D("2000-01-01"));
	store_dossier_free(d);

	import_bad(CSV_PATIENTS,
		   "ipp,birth_date\r\nP3,1950-01-01\r\nP4,bad\r\nP5,1950-01-01\r\n", &r);
	cr_assert_eq(r.rows, 3);
	cr_assert_eq(r.n_errors, 1);
	assert_error(&r, 3, "birth_date", NULL);
}

Test(csv, no_newline_at_the_end)
{
	import_ok(CSV_PATIENTS, "ipp,birth_date\nP1,1950-01-01\nP2,1950-01-02", 2);
	struct store_dossier *d = load("P2");
	cr_assert_eq(d->facts.birth, D("1950-01-02"));
	store_dossier_free(d);
}

Test(csv, blank_lines_are_skipped)
{
	struct run r;

	import_bad(CSV_PATIENTS, "ipp,birth_date\n\nP1,1950-01-01\n\n\nP2,bad\n\n", &r);
	cr_assert_eq(r.rows, 2);
	cr_assert_eq(r.n_errors, 1);
	assert_error(&r, 6, "birth_date", NULL);
}

Test(csv, whitespace_only_line_does_not_shift_line_numbers)
{
	struct run r;

	import_bad(CSV_PATIENTS, "ipp,birth_date\nP1,1950-01-01\n   \nP2,bad\n", &r);
	cr_assert_eq(r.n_errors, 1);
	assert_error(&r, 4, "birth_date", NULL);
}

Test(csv, quoted_fields)
{
	import_ok(CSV_PATIENTS, patients, 3);
	import_ok(CSV_LITIGATIONS,
		  "reference,litigation_id,ipp,closed_on,opened_on\n"
		  "\"TA Exemple, req. n\xC2\xB0 05-0001 \"\"recours\"\"\",L1,P1,2005-12-31,2005-01-01\n"
		  "\"ligne 1\nligne 2\r\nligne 3\",\"L2\",\"P2\",\"\",\"2010-01-01\"\n"
		  "\"\",L3,\"P3\",,2011-01-01\n",
		  3);
	struct store_dossier *d = load("P2");
	cr_assert_eq(d->facts.litigations[0].closed, DATE_NONE, "quoted empty is null");
	store_dossier_free(d);
	commit();
	char *ref = raw_text("SELECT reference FROM litigations WHERE litigation_id = 'L1'");
	cr_assert_str_eq(ref, "TA Exemple, req. n\xC2\xB0 05-0001 \"recours\"");
	free(ref);
	ref = raw_text("SELECT reference FROM litigations WHERE litigation_id = 'L2'");
	cr_assert_str_eq(ref, "ligne 1\nligne 2\r\nligne 3");
	free(ref);
	ref = raw_text("SELECT reference FROM litigations WHERE litigation_id = 'L3'");
	cr_assert_null(ref);
}

Test(csv, quoted_ids_with_commas_and_quotes)
{
	import_ok(CSV_PATIENTS, "ipp,birth_date\n\"A,1\",1950-01-01\n\"B\"\"2\",1950-01-01\n", 2);
	store_dossier_free(load("A,1"));
	store_dossier_free(load("B\"2"));
}

Test(csv, line_numbers_after_multiline_fields)
{
	struct run r;

	import_ok(CSV_PATIENTS, patients, 3);
	import_bad(CSV_LITIGATIONS,
		   "litigation_id,ipp,opened_on,closed_on,reference\n"      /* 1 */
		   "L1,P1,2005-01-01,,\"a\nb\nc\"\n"                       /* 2-4 */
		   "L2,P1,2005-13-01,,\n"                                  /* 5 */
		   "L3,P1,2005-01-01,,\"x\r\n\r\ny\"\n"                    /* 6-8 */
		   "\"L4\",\"P1\",\"2005-01-01\",\"2004-01-01\",\"\n\"\n" /* 9-10 */
		   "L5,NOPE,2005-01-01,,\n",                               /* 11 */
		   &r);
	cr_assert_eq(r.rows, 5);
	cr_assert_eq(r.n_errors, 3);
	assert_error(&r, 5, "opened_on", NULL);
	assert_error(&r, 9, "closed_on", NULL);
	assert_error(&r, 11, "NOPE", NULL);
}

/* ------------------------------------------------------------ row errors */

Test(csv, required_field_empty)
{
	struct run r;

	import_ok(CSV_PATIENTS, patients, 3);
	import_bad(CSV_ENCOUNTERS,
		   "encounter_id,ipp,kind,start_date,end_date\n"
		   ",P1,stay,2000-01-01,\n"
		   "E2,,stay,2000-01-01,\n"
		   "E3,P1,,2000-01-01,\n"
		   "E4,P1,stay,,\n"
		   "E5,P1,stay,\"\",\n"
		   "E6,P1,stay,2000-01-01,\n",
		   &r);
	cr_assert_eq(r.rows, 6);
	assert_error(&r, 2, "encounter_id", NULL);
	assert_error(&r, 3, "ipp", NULL);
	assert_error(&r, 4, "kind", NULL);
	assert_error(&r, 5, "start_date", NULL);
	assert_error(&r, 6, "start_date", NULL);
	cr_assert_eq(r.n_errors, 5);

	import_bad(CSV_PATIENTS, "ipp,birth_date\n,1950-01-01\n", &r);
	assert_error(&r, 2, "ipp", NULL);
	import_bad(CSV_TRANSFUSIONS, "transfusion_id,ipp,act_date\nT1,P1,\n", &r);
	assert_error(&r, 2, "act_date", NULL);
	import_bad(CSV_LITIGATIONS, "litigation_id,ipp,opened_on\nL1,P1,\n", &r);
	assert_error(&r, 2, "opened_on", NULL);
}

Test(csv, bad_dates)
{
	static const char *const bad[] = {
		"2023-02-30", "2023-13-01", "2023-00-10", "2023-1-5", "05/01/2023",
		"2023-01-01T10:00", "20230101", "2023-01-01 x", "yesterday", "0000-01-01",
	};
	char text[256];
	struct run r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "ipp,birth_date\nP1,1950-01-01\nP2,%s\n", bad[i]);
		import_bad(CSV_PATIENTS, text, &r);
		cr_assert_eq(r.n_errors, 1, "%s", bad[i]);
		assert_error(&r, 3, "birth_date", NULL);
	}
	import_bad(CSV_PATIENTS, "ipp,death_date\nP1,2024-02-30\n", &r);
	assert_error(&r, 2, "death_date", "2024-02-30");
	/* 29 February of a leap year is a date. */
	import_ok(CSV_PATIENTS, "ipp,birth_date\nP1,2024-02-29\n", 1);
}

Test(csv, unknown_ipp)
{
	struct run r;

	import_ok(CSV_PATIENTS, patients, 3);
	import_bad(CSV_ENCOUNTERS,
		   "encounter_id,ipp,kind,start_date,end_date\n"
		   "E1,P1,stay,2000-01-01,\n"
		   "E2,P99,stay,2000-01-01,\n",
		   &r);
	cr_assert_eq(r.n_errors, 1);
	assert_error(&r, 3, "P99", NULL);
	import_bad(CSV_TRANSFUSIONS, "transfusion_id,ipp,act_date\nT1,P98,2000-01-01\n", &r);
	assert_error(&r, 2, "P98", NULL);
	import_bad(CSV_LITIGATIONS, "litigation_id,ipp,opened_on\nL1,P97,2000-01-01\n", &r);
	assert_error(&r, 2, "P97", NULL);
}

Test(csv, unknown_encounter_kind)
{
	struct run r;

	import_ok(CSV_PATIENTS, patients, 3);
	import_bad(CSV_ENCOUNTERS,
		   "encounter_id,ipp,kind,start_date\n"
		   "E1,P1,stay,2000-01-01\n"
		   "E2,P1,obstetrics,2000-01-01\n"
		   "E3,P1,Stay,2000-01-01\n",
		   &r);
	cr_assert_eq(r.n_errors, 2);
	assert_error(&r, 3, "kind", "obstetrics");
	assert_error(&r, 4, "kind", "Stay");
}

Test(csv, litigation_closed_before_opened)
{
	struct run r;

	import_ok(CSV_PATIENTS, patients, 3);
	import_bad(CSV_LITIGATIONS,
		   "litigation_id,ipp,opened_on,closed_on\n"
		   "L1,P1,2005-01-02,2005-01-02\n"
		   "L2,P1,2005-01-02,2005-01-01\n",
		   &r);
	cr_assert_eq(r.n_errors, 1);
	assert_error(&r, 3, "closed_on", NULL);
}

Test(csv, wrong_number_of_fields)
{
	struct run r;

	import_bad(CSV_PATIENTS,
		   "ipp,birth_date,death_date\n"
		   "P1,1950-01-01\n"
		   "P2,1950-01-01,,\n"
		   "P3,1950-01-01,\n"
		   "P4\n",
		   &r);
	cr_assert_eq(r.rows, 4);
	cr_assert_eq(r.n_errors, 3);
	assert_error(&r, 2, "2", "3");
	assert_error(&r, 3, "4", "3");
	assert_error(&r, 5, "1", "3");
}

Test(csv, more_fields_than_the_column_limit)
{
	char *text = malloc(4096);
	struct run r;
	size_t n;

	cr_assert_not_null(text);
	n = (size_t)snprintf(text, 4096, "ipp,birth_date\nP1");
	for (int i = 0; i < CSVIMPORT_MAX_COLUMNS + 5; i++)
		n += (size_t)snprintf(text + n, 4096 - n, ",");
	snprintf(text + n, 4096 - n, "\nP2,1950-01-01\n");
	import_bad(CSV_PATIENTS, text, &r);
	cr_assert_eq(r.n_errors, 1);
	assert_error(&r, 2, NULL, NULL);
	cr_assert_eq(r.rows, 2);
	free(text);
}

Test(csv, non_utf8_field)
{
	struct run r;

	import_bad(CSV_PATIENTS,
		   "ipp,birth_date\n"
		   "EX-LATIN-1,1960-05-05\n"
		   "EX-LATIN-\xE9,1961-06-06\n"
		   "\"EX-\xC3\xA9\",1962-07-07\n"
		   "EX-4,\"1963-08-08\xC0\x80\"\n",
		   &r);
	cr_assert_eq(r.n_errors, 2);
	assert_error(&r, 3, "UTF-8", NULL);
	assert_error(&r, 5, "UTF-8", NULL);
	/* Invalid bytes in an ignored column make the row bad all the same. */
	import_bad(CSV_PATIENTS, "ipp,note\nP1,caf\xE9\n", &r);
	assert_error(&r, 2, "UTF-8", NULL);
	/* A NUL byte is not text. */
	static const char nul[] = "ipp,birth_date\nP\0" "1,1950-01-01\nP2,1950-01-01\n";
	import_chunks(CSV_PATIENTS, nul, sizeof(nul) - 1, 0, 100, &r);
	cr_assert_eq(r.finish_rc, -EINVAL);
	cr_assert_eq(r.n_errors, 1);
	assert_error(&r, 2, NULL, NULL);
}

Test(csv, field_longer_than_the_limit)
{
	size_t big = CSVIMPORT_MAX_FIELD + 1;
	char *text = malloc(big + 256);
	struct run r;
	size_t n;

	cr_assert_not_null(text);
	n = (size_t)sprintf(text, "ipp,note\nP1,ok\nP2,");
	memset(text + n, 'x', big);
	n += big;
	n += (size_t)sprintf(text + n, "\nP3,ok\nP4,bad\xE9\n");
	import_chunks(CSV_PATIENTS, text, n, 0, 100, &r);
	cr_assert_eq(r.feed_rc, 0, "a long field is a bad row, not the end of the file");
	cr_assert_eq(r.finish_rc, -EINVAL);
	cr_assert_eq(r.rows, 4);
	cr_assert_eq(r.n_errors, 2);
	assert_error(&r, 3, NULL, NULL);
	assert_error(&r, 5, "UTF-8", NULL);

	/* The limit itself is fine. */
	n = (size_t)sprintf(text, "ipp,note\nP1,");
	memset(text + n, 'x', CSVIMPORT_MAX_FIELD);
	n += CSVIMPORT_MAX_FIELD;
	text[n++] = '\n';
	import_chunks(CSV_PATIENTS, text, n, 0, 100, &r);
	cr_assert_eq(r.finish_rc, 0);
	free(text);
}

Test(csv, identifier_longer_than_the_limit)
{
	char text[256];
	char id[CSVIMPORT_MAX_ID + 2];
	struct run r;

	memset(id, 'I', CSVIMPORT_MAX_ID + 1);
	id[CSVIMPORT_MAX_ID + 1] = '\0';
	snprintf(text, sizeof(text), "ipp\n%s\n", id);
	import_bad(CSV_PATIENTS, text, &r);
	assert_error(&r, 2, "ipp", NULL);
	id[CSVIMPORT_MAX_ID] = '\0';
	snprintf(text, sizeof(text), "ipp\n%s\n", id);
	import_ok(CSV_PATIENTS, text, 1);
}

Test(csv, all_bad_rows_reported_not_only_the_first)
{
	struct run r;

	import_ok(CSV_PATIENTS, patients, 3);
	import_bad(CSV_ENCOUNTERS,
		   "encounter_id,ipp,kind,start_date,end_date\n"
		   "E1,P1,stay,2000-01-01,\n"
		   "E2,P1,stay,2000-02-30,\n"
		   "E3,P1,stay,2000-01-01,\n"
		   "E4,NOPE,stay,2000-01-01,\n"
		   "E5,P1,ward,2000-01-01,\n"
		   "E6,P1,stay,2000-01-01\n",
		   &r);
	cr_assert_eq(r.rows, 6);
	cr_assert_eq(r.n_errors, 4);
	assert_error(&r, 3, "start_date", NULL);
	assert_error(&r, 5, "NOPE", NULL);
	assert_error(&r, 6, "ward", NULL);
	assert_error(&r, 7, NULL, NULL);
	for (size_t i = 1; i < r.kept; i++)
		cr_assert_lt(r.errors[i - 1].line, r.errors[i].line, "in file order");
}

/* ------------------------------------------------------------ fatal */

Test(csv, missing_required_column)
{
	struct run r;

	import(CSV_ENCOUNTERS,
	       "encounter_id,ipp,kind,end_date\n"
	       "E1,P1,stay,2010-06-20\n",
	       &r);
	cr_assert_eq(r.feed_rc, -EINVAL);
	cr_assert_eq(r.finish_rc, -EINVAL);
	cr_assert_eq(r.rows, 0, "no row read after a bad header");
	assert_error(&r, 1, "start_date", NULL);

	import(CSV_PATIENTS, "birth_date,death_date\n1950-01-01,\n", &r);
	cr_assert_eq(r.finish_rc, -EINVAL);
	assert_error(&r, 1, "ipp", NULL);
	import(CSV_TRANSFUSIONS, "transfusion_id,ipp\nT1,P1\n", &r);
	cr_assert_eq(r.finish_rc, -EINVAL);
	assert_error(&r, 1, "act_date", NULL);
	import(CSV_LITIGATIONS, "ipp,opened_on\nP1,2000-01-01\n", &r);
	cr_assert_eq(r.finish_rc, -EINVAL);
	assert_error(&r, 1, "litigation_id", NULL);
	/* A header-like name is not the column: case counts. */
	import(CSV_PATIENTS, "IPP\nP1\n", &r);
	cr_assert_eq(r.finish_rc, -EINVAL);
	assert_error(&r, 1, "ipp", NULL);
}

Test(csv, duplicate_header_column)
{
	struct run r;

	import(CSV_PATIENTS, "ipp,birth_date,ipp\nP1,1950-01-01,P2\n", &r);
	cr_assert_eq(r.finish_rc, -EINVAL);
	cr_assert_eq(r.rows, 0);
	assert_error(&r, 1, "ipp", NULL);
	import(CSV_PATIENTS, "ipp,birth_date,birth_date\nP1,1950-01-01,1950-01-02\n", &r);
	cr_assert_eq(r.finish_rc, -EINVAL);
	assert_error(&r, 1, "birth_date", NULL);
}

Test(csv, header_with_too_many_columns)
{
	char text[1024];
	size_t n = (size_t)snprintf(text, sizeof(text), "ipp");
	struct run r;

	for (int i = 1; i < CSVIMPORT_MAX_COLUMNS + 1; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, ",c%d", i);
	snprintf(text + n, sizeof(text) - n, "\nP1\n");
	import(CSV_PATIENTS, text, &r);
	cr_assert_eq(r.feed_rc, -EINVAL);
	cr_assert_eq(r.finish_rc, -EINVAL);
	cr_assert_eq(r.rows, 0);
	assert_error(&r, 1, NULL, NULL);

	/* The limit itself is fine. */
	n = (size_t)snprintf(text, sizeof(text), "ipp");
	for (int i = 1; i < CSVIMPORT_MAX_COLUMNS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, ",c%d", i);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\nP1");
	for (int i = 1; i < CSVIMPORT_MAX_COLUMNS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, ",");
	snprintf(text + n, sizeof(text) - n, "\n");
	import_ok(CSV_PATIENTS, text, 1);
}

Test(csv, empty_input)
{
	struct run r;

	import_chunks(CSV_PATIENTS, "", 0, 0, 100, &r);
	cr_assert_eq(r.finish_rc, -EINVAL);
	cr_assert_eq(r.rows, 0);
	cr_assert_eq(r.n_errors, 1);
	cr_assert_eq(r.kept, 1);
	cr_assert_not_null(strstr(r.errors[0].message, "empty file"), "'%s'",
			   r.errors[0].message);
	/* Blank lines only: still no header. */
	import(CSV_PATIENTS, "\n\r\n\n", &r);
	cr_assert_eq(r.finish_rc, -EINVAL);
	cr_assert_not_null(strstr(r.errors[0].message, "empty file"));
}

Test(csv, header_only)
{
	struct run r;

	import(CSV_PATIENTS, "ipp,birth_date,death_date\n", &r);
	cr_assert_eq(r.finish_rc, 0);
	cr_assert_eq(r.rows, 0);
	cr_assert_eq(r.n_errors, 0);
	import(CSV_PATIENTS, "ipp,birth_date,death_date", &r);
	cr_assert_eq(r.finish_rc, 0, "a header without its newline");
	cr_assert_eq(r.rows, 0);
	cr_assert_eq(counts().patients, 0);
}

Test(csv, truncated_quoted_field_at_end_of_file)
{
	struct run r;

	import_ok(CSV_PATIENTS, patients, 3);
	import(CSV_LITIGATIONS,
	       "litigation_id,ipp,opened_on,closed_on,reference\n"
	       "L1,P1,2010-01-01,2010-02-01,REF-1\n"
	       "L2,P1,2011-01-01,2011-02-01,\"REF-2 never clo\nsed",
	       &r);
#ifdef TEST_CSVIMPORT_PIPE
	/* The pipe reads the end of the input too, and sees the error. */
	cr_assert_eq(r.feed_rc, -EINVAL);
#else
	cr_assert_eq(r.feed_rc, 0);
#endif
	cr_assert_eq(r.finish_rc, -EINVAL);
	assert_error(&r, 3, "quote", NULL);
}

Test(csv, malformed_quoting)
{
	struct run r;

	import(CSV_PATIENTS, "ipp,birth_date\nP1,1950-01-01\nP\"2,1950-01-01\nP3,x\n", &r);
	cr_assert_eq(r.finish_rc, -EINVAL);
	assert_error(&r, 3, NULL, NULL);
	import(CSV_PATIENTS, "ipp,birth_date\n\"P1\"x,1950-01-01\n", &r);
	cr_assert_eq(r.finish_rc, -EINVAL);
	assert_error(&r, 2, NULL, NULL);
}

/* ------------------------------------------------------------ cap */

Test(csv, error_cap)
{
	char text[4096];
	size_t n = (size_t)snprintf(text, sizeof(text), "ipp,birth_date\n");
	struct run r;

	for (int i = 0; i < 25; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "P%d,not-a-date\n", i);
	import_chunks(CSV_PATIENTS, text, n, 0, 7, &r);
	cr_assert_eq(r.finish_rc, -EINVAL);
	cr_assert_eq(r.rows, 25);
	cr_assert_eq(r.kept, 7, "csvimport_errors keeps max_errors entries");
	cr_assert_eq(r.n_errors, 25, "csvimport_error_count counts them all");
	for (size_t i = 0; i < r.kept; i++)
		cr_assert_eq(r.errors[i].line, i + 2, "the first ones, in order");

	/* max_errors exactly reached. */
	import_chunks(CSV_PATIENTS, text, n, 0, 25, &r);
	cr_assert_eq(r.kept, 25);
	cr_assert_eq(r.n_errors, 25);
}

/* ------------------------------------------------------------ chunking */

/* A small file with a BOM, CRLF, quoted and multi-line fields, a blank
 * line and bad rows; no newline at the end. */
static const char chunk_file[] =
	"\xEF\xBB\xBFipp,birth_date,death_date\r\n" /* 1 */
	"P1,2000-01-01,\r\n"                       /* 2 */
	"\"P2\",\"1990-05-06\",\"\"\r\n"           /* 3 */
	"P3,1980-13-01,\r\n"                       /* 4: bad date */
	"\"P,4\",1970-01-01,\"2020-02-02\"\r\n"    /* 5 */
	"\r\n"                                     /* 6: blank */
	"\"P\"\"5\",1960-01-01,\r\n"               /* 7 */
	",1950-01-01,\r\n"                         /* 8: no ipp */
	"P6,1940-01-01\r\n"                        /* 9: two fields */
	"P7,1930-01-01,1935-01-01\r\n"             /* 10 */
	"\"P\n8\",1920-01-01,\r\n"                 /* 11-12: control char */
	"P9,bad,\r\n"                              /* 13 */
	"P10,2001-01-01,2000-12-31";               /* 14 */

static void check_chunk_run(const struct run *r, const char *how)
{
	static const uint64_t lines[] = {4, 8, 9, 11, 13};
	char e[4096];

	dump_errors(r, e, sizeof(e));
	cr_assert_eq(r->feed_rc, 0, "%s", how);
	cr_assert_eq(r->finish_rc, -EINVAL, "%s", how);
	cr_assert_eq(r->rows, 11, "%s: %llu rows", how, (unsigned long long)r->rows);
	cr_assert_eq(r->n_errors, 5, "%s:%s", how, e);
	for (size_t i = 0; i < 5; i++)
		cr_assert_eq(r->errors[i].line, lines[i], "%s: error %zu:%s", how, i, e);
	cr_assert_eq(r->changed, 6, "%s", how);
}

Test(csv, chunk_file_in_one_block)
{
	struct run r;

	import_chunks(CSV_PATIENTS, chunk_file, sizeof(chunk_file) - 1, 0, 100, &r);
	check_chunk_run(&r, "one block");
	/* The valid rows reached the store, as written, once the session
	 * the refused file left open is ended, as the next import would
	 * (a first load's patients wait in batches until then). */
	cr_assert_geq(store_import_end(st), 0, "%s", store_errmsg(st));
	store_dossier_free(load("P2"));
	store_dossier_free(load("P,4"));
	store_dossier_free(load("P\"5"));
	struct store_dossier *d = load("P10");
	cr_assert_eq(d->facts.death, D("2000-12-31"));
	store_dossier_free(d);
	cr_assert_eq(counts().patients, 6);
}

Test(csv, chunk_file_in_small_pieces)
{
	static const size_t sizes[] = {1, 2, 3, 4, 5, 7, 11, 13, 64};
	struct run r, ref;
	char how[64];

	import_chunks(CSV_PATIENTS, chunk_file, sizeof(chunk_file) - 1, 0, 100, &ref);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		cr_assert_eq(store_rollback(st), 0);
		cr_assert_eq(store_begin(st), 0);
		import_chunks(CSV_PATIENTS, chunk_file, sizeof(chunk_file) - 1, sizes[i],
			      100, &r);
		snprintf(how, sizeof(how), "pieces of %zu", sizes[i]);
		check_chunk_run(&r, how);
		for (size_t k = 0; k < r.kept; k++)
			cr_assert_str_eq(r.errors[k].message, ref.errors[k].message, "%s", how);
	}
}

Test(csv, chunk_file_split_at_every_byte)
{
	const size_t len = sizeof(chunk_file) - 1;
	struct run r;
	char how[64];

	for (size_t cut = 1; cut < len; cut++) {
		struct csvimport *ci = NULL;
		const struct csvimport_error *errs;

		cr_assert_eq(store_rollback(st), 0);
		cr_assert_eq(store_begin(st), 0);
		cr_assert_eq(csvimport_new(CSV_PATIENTS, "t.csv", st, &pol, 100, &ci), 0);
		memset(&r, 0, sizeof(r));
		r.feed_rc = csvimport_feed(ci, chunk_file, cut);
		if (r.feed_rc == 0)
			r.feed_rc = csvimport_feed(ci, chunk_file + cut, len - cut);
		r.finish_rc = csvimport_finish(ci);
		r.rows = csvimport_rows(ci);
		r.changed = csvimport_changed(ci);
		r.n_errors = csvimport_error_count(ci);
		errs = csvimport_errors(ci, &r.kept);
		memcpy(r.errors, errs, r.kept * sizeof(*errs));
		csvimport_free(ci);
		snprintf(how, sizeof(how), "cut at %zu", cut);
		check_chunk_run(&r, how);
	}
}

Test(csv, error_lines_in_pieces_for_every_kind_of_error)
{
	static const char text[] =
		"litigation_id,ipp,opened_on,closed_on,reference\n" /* 1 */
		"L1,P1,2005-01-01,,\"multi\nline\"\n"              /* 2-3 */
		"L2,NOPE,2005-01-01,,\n"                            /* 4 */
		"L3,P1,2005-01-02,2005-01-01,\n"                    /* 5 */
		"L4,P1,2005-01-01\n"                                /* 6 */
		"L5,P1,2005-01-01,,caf\xE9\n"                      /* 7 */
		"L6,P1,,,\n"                                        /* 8 */
		"L7,P1,2005-01-01,,\"a\r\nb\r\n\"\r\n"             /* 9-11 */
		"L8,P1,2005-02-30,,\n";                             /* 12 */
	static const uint64_t lines[] = {4, 5, 6, 7, 8, 12};
	struct run r;

	import_ok(CSV_PATIENTS, patients, 3);
	for (size_t chunk = 0; chunk <= 9; chunk++) {
		import_chunks(CSV_LITIGATIONS, text, sizeof(text) - 1, chunk, 100, &r);
		cr_assert_eq(r.finish_rc, -EINVAL);
		cr_assert_eq(r.rows, 8, "chunk %zu", chunk);
		cr_assert_eq(r.n_errors, 6, "chunk %zu", chunk);
		for (size_t i = 0; i < 6; i++)
			cr_assert_eq(r.errors[i].line, lines[i], "chunk %zu, error %zu: line %llu",
				     chunk, i, (unsigned long long)r.errors[i].line);
	}
}

/* ---------------------------------------------- batches (and the pipe) */

/*
 * Thousands of rows make several batches (of 1,024 items), handed from the
 * reader to the writer (over two threads in the pipe's build). The errors
 * of both halves, the reader's bad dates and the writer's unknown IPPs,
 * come out in file order, and the cap keeps the first ones: the 50 kept
 * span the first three batches.
 */
Test(csv, errors_of_both_halves_in_file_order_over_many_batches)
{
	enum { N = 5000, CAP = 50 };
	static const size_t chunks[] = {0, 7, 1000, 65536};
	char *text = malloc(N * 48 + 64);
	size_t len = 0;
	struct run r;

	cr_assert_not_null(text);
	import_ok(CSV_PATIENTS, patients, 3);
	len += (size_t)sprintf(text, "encounter_id,ipp,kind,start_date,end_date\n");
	for (int i = 1; i <= N; i++) {
		char ipp[16] = "P1";
		if (i % 97 == 0)
			snprintf(ipp, sizeof(ipp), "NOPE%d", i);
		len += (size_t)sprintf(text + len, "E%d,%s,stay,%s,\n", i, ipp,
				       i % 89 == 0 ? "2005-13-01" : "2005-01-01");
	}
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		import_chunks(CSV_ENCOUNTERS, text, len, chunks[c], CAP, &r);
		cr_assert_eq(r.feed_rc, 0, "chunk %zu", chunks[c]);
		cr_assert_eq(r.finish_rc, -EINVAL);
		cr_assert_eq(r.rows, N, "chunk %zu: %llu rows", chunks[c],
			     (unsigned long long)r.rows);
		cr_assert_eq(r.kept, CAP);
		size_t k = 0;
		uint64_t total = 0;
		for (int i = 1; i <= N; i++) {
			if (i % 89 && i % 97)
				continue;
			total++;
			if (k == CAP)
				continue;
			cr_assert_eq(r.errors[k].line, (uint64_t)i + 1,
				     "chunk %zu, error %zu: line %llu", chunks[c], k,
				     (unsigned long long)r.errors[k].line);
			cr_assert_not_null(strstr(r.errors[k].message,
						  i % 89 ? "unknown IPP" : "not a date"),
					   "line %d: %s", i + 1, r.errors[k].message);
			k++;
		}
		cr_assert_gt(r.errors[CAP - 1].line, 2 * 1024, "the kept span batches");
		cr_assert_eq(r.n_errors, total, "chunk %zu: %llu errors, want %llu",
			     chunks[c], (unsigned long long)r.n_errors,
			     (unsigned long long)total);
	}
	free(text);
}

/*
 * A fatal error in the middle (malformed quoting) stops the rows there;
 * the rows before it were counted, none after. In the pipe's build,
 * import_chunks also checks that the input was still taken to its end.
 */
Test(csv, fatal_error_midway_stops_the_rows)
{
	enum { N = 3000, BAD = 2500 };
	char *text = malloc(N * 40 + 64);
	size_t len = 0;
	struct run r;

	cr_assert_not_null(text);
	len += (size_t)sprintf(text, "ipp,birth_date,death_date\n");
	for (int i = 1; i <= N; i++)
		len += (size_t)sprintf(text + len, "Q%d,%s,\n", i,
				       i == BAD ? "19\"80-01-01" : "1980-01-01");
	import_chunks(CSV_PATIENTS, text, len, 4096, 100, &r);
	cr_assert_eq(r.feed_rc, -EINVAL);
	cr_assert_eq(r.finish_rc, -EINVAL);
	cr_assert_eq(r.rows, BAD - 1, "%llu rows", (unsigned long long)r.rows);
	cr_assert_eq(r.n_errors, 1);
	assert_error(&r, BAD + 1, "malformed quoting", NULL);
	free(text);
}

#ifdef TEST_CSVIMPORT_PIPE
/* A cancellation ends the reading at once: no further piece is asked for,
 * and the pipe says it was cancelled. */
Test(csv, pipe_cancelled_stops_asking_for_input)
{
	enum { N = 20000 };
	char *text = malloc(N * 40 + 64);
	size_t len = 0;
	struct csvimport *ci = NULL;

	cr_assert_not_null(text);
	len += (size_t)sprintf(text, "ipp,birth_date,death_date\n");
	for (int i = 1; i <= N; i++)
		len += (size_t)sprintf(text + len, "C%d,1980-01-01,\n", i);
	struct pieces p = {.text = text, .len = len, .chunk = 1000, .cancel_at = 300};
	cr_assert_eq(csvimport_new(CSV_PATIENTS, "t.csv", st, &pol, 100, &ci), 0);
	cr_assert_eq(csvimport_pipe(ci, &(struct csvimport_source){pieces_next,
								      pieces_applied, &p}),
		     -ECANCELED);
	cr_assert_eq(p.calls, 301);
	cr_assert(!p.ended);
	/* What was read before is applied (the caller rolls it back). */
	cr_assert_gt(csvimport_rows(ci), 0);
	cr_assert_lt(csvimport_rows(ci), N);
	cr_assert_gt(p.applied, 0);
	csvimport_free(ci);
	free(text);
}
#endif
