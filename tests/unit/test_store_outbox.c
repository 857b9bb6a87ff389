/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the outbox (src/store/outbox.c) and of schema version 3,
 * each on a throwaway database in its own directory under /tmp: adding,
 * which message is due next, the attempt / sent / failed transitions, a
 * sent message never due nor sendable again, the journal of dates moved
 * earlier written by a recompute, the migration of a version 2 database
 * with its data kept, and the mailer's backoff over the outbox. A second
 * sqlite3 handle looks at what the API does not show.
 */
#include "config.h"

#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/date.h"
#include "daemon/mailer.h"
#include "engine/engine.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "store_fixture.h"


#define NOW 1700000000

static void setup(void)
{
	store_fixture_setup("test-store-outbox");
}

TestSuite(store_outbox, .init = setup, .fini = store_fixture_teardown);

/* ------------------------------------------------------------ helpers */

static int64_t add(const char *subject, const char *body, int64_t now)
{
	int64_t id = 0;

	cr_assert_eq(store_outbox_add(st, subject, "a@example.org, b@example.org",
				      body, strlen(body), now, &id),
		     0, "%s", store_errmsg(st));
	cr_assert_gt(id, 0);
	return id;
}

/* The id of the message due at now, or 0 (-ENOENT). */
static int64_t due(int64_t now)
{
	struct store_mail m;
	int r = store_outbox_next_due(st, now, &m);

	if (r == -ENOENT)
		return 0;
	cr_assert_eq(r, 0, "%s", store_errmsg(st));
	int64_t id = m.id;
	store_mail_fini(&m);
	return id;
}

/* ------------------------------------------------------------ outbox */

Test(store_outbox, add_then_read_back_whole)
{
	/* A body with a NUL byte and CRLFs: stored as bytes, not as text. */
	static const char body[] = "Subject: x\r\n\r\nline\r\n\0after\r\n";
	struct store_mail m;
	int64_t id = 0;

	cr_assert_eq(store_outbox_add(st, "Rapport", "a@example.org", body,
				      sizeof(body) - 1, NOW, &id),
		     0);
	cr_assert_eq(store_outbox_next_due(st, NOW, &m), 0);
	cr_assert_eq(m.id, id);
	cr_assert_eq(m.created_at, NOW);
	cr_assert_str_eq(m.subject, "Rapport");
	cr_assert_str_eq(m.recipients, "a@example.org");
	cr_assert_str_eq(m.state, "queued");
	cr_assert_eq(m.attempts, 0);
	cr_assert_eq(m.next_attempt_at, NOW);
	cr_assert_null(m.last_error);
	cr_assert_eq(m.sent_at, 0);
	cr_assert_eq(m.message_len, sizeof(body) - 1);
	cr_assert_eq(memcmp(m.message, body, sizeof(body) - 1), 0);
	cr_assert_eq(m.message[m.message_len], '\0');
	store_mail_fini(&m);
	cr_assert_str_eq(raw_text("SELECT typeof(message) FROM outbox"), "blob");
}

Test(store_outbox, add_refuses_missing_fields)
{
	int64_t id = 0;

	cr_assert_eq(store_outbox_add(st, NULL, "a@x", "m", 1, NOW, &id), -EINVAL);
	cr_assert_eq(store_outbox_add(st, "s", NULL, "m", 1, NOW, &id), -EINVAL);
	cr_assert_eq(store_outbox_add(st, "s", "", "m", 1, NOW, &id), -EINVAL);
	cr_assert_eq(store_outbox_add(st, "s", "a@x", NULL, 1, NOW, &id), -EINVAL);
	cr_assert_eq(store_outbox_add(st, "s", "a@x", "m", 0, NOW, &id), -EINVAL);
	cr_assert_eq(raw_int("SELECT count(*) FROM outbox"), 0);
}

Test(store_outbox, nothing_due_when_empty)
{
	int64_t at = 0;

	cr_assert_eq(due(NOW), 0);
	cr_assert_eq(store_outbox_next_at(st, &at), -ENOENT);
}

Test(store_outbox, next_due_is_the_oldest_due)
{
	int64_t a = add("first", "1", NOW);
	int64_t b = add("second", "2", NOW + 10);
	int64_t c = add("third", "3", NOW + 20);
	int64_t at = 0;

	cr_assert_eq(due(NOW - 1), 0, "nothing is due before its time");
	cr_assert_eq(due(NOW), a);
	cr_assert_eq(due(NOW + 100), a, "the oldest first");
	/* a fails and waits: b, then c, are due before it. */
	cr_assert_eq(store_outbox_attempt(st, a, NOW + 100), 0);
	cr_assert_eq(store_outbox_failed(st, a, "down", NOW + 1000), 0);
	cr_assert_eq(due(NOW + 100), b);
	cr_assert_eq(store_outbox_attempt(st, b, NOW + 100), 0);
	cr_assert_eq(store_outbox_sent(st, b, NOW + 101), 0);
	cr_assert_eq(due(NOW + 100), c);
	cr_assert_eq(store_outbox_next_at(st, &at), 0);
	cr_assert_eq(at, NOW + 20);
	cr_assert_eq(store_outbox_attempt(st, c, NOW + 100), 0);
	cr_assert_eq(store_outbox_failed(st, c, "down", NOW + 2000), 0);
	cr_assert_eq(due(NOW + 100), 0);
	cr_assert_eq(store_outbox_next_at(st, &at), 0);
	cr_assert_eq(at, NOW + 1000, "when to look again: a's next attempt");
	/* When both are due again, the older goes first. */
	cr_assert_eq(due(NOW + 5000), a);
}

Test(store_outbox, due_now_skips_the_backoff_of_unsent_only)
{
	int64_t a = add("waiting", "1", NOW);
	int64_t b = add("sent", "2", NOW);
	int64_t at = 0;

	cr_assert_eq(store_outbox_attempt(st, a, NOW), 0);
	cr_assert_eq(store_outbox_failed(st, a, "down", NOW + 3600), 0);
	cr_assert_eq(store_outbox_attempt(st, b, NOW), 0);
	cr_assert_eq(store_outbox_sent(st, b, NOW + 1), 0);
	cr_assert_eq(due(NOW + 10), 0);
	cr_assert_eq(store_outbox_due_now(st, NOW + 10), 0);
	cr_assert_eq(due(NOW + 10), a);
	cr_assert_eq(store_outbox_next_at(st, &at), 0);
	cr_assert_eq(at, NOW + 10);
	cr_assert_str_eq(raw_text("SELECT state FROM outbox WHERE id = 2"), "sent");
	cr_assert_eq(raw_int("SELECT next_attempt_at FROM outbox WHERE id = 2"), NOW,
		     "a sent message is left alone");
	cr_assert_eq(raw_int("SELECT attempts FROM outbox WHERE id = 1"), 1);
}

Test(store_outbox, attempt_sent_failed_transitions)
{
	int64_t id = add("Rapport", "body", NOW);
	struct store_mail m;

	cr_assert_eq(store_outbox_attempt(st, id, NOW + 5), 0);
	cr_assert_str_eq(raw_text("SELECT state FROM outbox"), "sending");
	cr_assert_eq(raw_int("SELECT attempts FROM outbox"), 1);
	cr_assert_eq(raw_int("SELECT next_attempt_at FROM outbox"), NOW + 5);
	/* A crash now: at the next start it is due again at once. */
	cr_assert_eq(store_outbox_next_due(st, NOW + 6, &m), 0);
	cr_assert_str_eq(m.state, "sending");
	cr_assert_eq(m.attempts, 1);
	store_mail_fini(&m);

	cr_assert_eq(store_outbox_failed(st, id, "Couldn't connect to server", NOW + 65), 0);
	cr_assert_str_eq(raw_text("SELECT state FROM outbox"), "queued");
	cr_assert_str_eq(raw_text("SELECT last_error FROM outbox"), "Couldn't connect to server");
	cr_assert_eq(raw_int("SELECT next_attempt_at FROM outbox"), NOW + 65);
	cr_assert_eq(due(NOW + 64), 0);
	cr_assert_eq(due(NOW + 65), id);

	cr_assert_eq(store_outbox_attempt(st, id, NOW + 65), 0);
	cr_assert_eq(raw_int("SELECT attempts FROM outbox"), 2);
	cr_assert_eq(store_outbox_sent(st, id, NOW + 66), 0);
	cr_assert_str_eq(raw_text("SELECT state FROM outbox"), "sent");
	cr_assert_eq(raw_int("SELECT sent_at FROM outbox"), NOW + 66);
	cr_assert_str_eq(raw_text("SELECT last_error FROM outbox"), "(null)");
	cr_assert_eq(raw_int("SELECT attempts FROM outbox"), 2);
}

Test(store_outbox, sent_is_never_due_nor_sent_again)
{
	int64_t id = add("Rapport", "body", NOW);
	int64_t at = 0;

	cr_assert_eq(store_outbox_attempt(st, id, NOW), 0);
	cr_assert_eq(store_outbox_sent(st, id, NOW + 1), 0);
	cr_assert_eq(due(NOW + 1000000), 0);
	cr_assert_eq(store_outbox_next_at(st, &at), -ENOENT);
	cr_assert_eq(store_outbox_attempt(st, id, NOW + 2), -EALREADY);
	cr_assert_eq(store_outbox_failed(st, id, "late", NOW + 3), -EALREADY);
	cr_assert_eq(store_outbox_sent(st, id, NOW + 4), -EALREADY);
	cr_assert_str_eq(raw_text("SELECT state FROM outbox"), "sent");
	cr_assert_eq(raw_int("SELECT attempts FROM outbox"), 1);
	cr_assert_eq(raw_int("SELECT sent_at FROM outbox"), NOW + 1);
	/* Nor can the database itself be talked into another state. */
	sqlite3 *db = raw_open();
	cr_assert_neq(sqlite3_exec(db, "UPDATE outbox SET state = 'lost'", NULL, NULL, NULL),
		      SQLITE_OK);
	sqlite3_close(db);
}

Test(store_outbox, unknown_message)
{
	cr_assert_eq(store_outbox_attempt(st, 42, NOW), -ENOENT);
	cr_assert_eq(store_outbox_sent(st, 42, NOW), -ENOENT);
	cr_assert_eq(store_outbox_failed(st, 42, "x", NOW), -ENOENT);
}

struct listing {
	int n;
	int64_t ids[8];
	char states[8][12];
	bool bodies;
};

static int collect(void *ctx, const struct store_mail *m)
{
	struct listing *l = ctx;

	if (m->message)
		l->bodies = true;
	l->ids[l->n] = m->id;
	snprintf(l->states[l->n], sizeof(l->states[0]), "%s", m->state);
	l->n++;
	return 0;
}

static int stop_at_first(void *ctx, const struct store_mail *m)
{
	(void)m;
	++*(int *)ctx;
	return 7;
}

Test(store_outbox, each_newest_first_without_bodies)
{
	int64_t a = add("one", "1", NOW);
	int64_t b = add("two", "2", NOW + 1);
	int64_t c = add("three", "3", NOW + 2);
	struct listing l = {0};
	int calls = 0;

	cr_assert_eq(store_outbox_attempt(st, b, NOW + 3), 0);
	cr_assert_eq(store_outbox_sent(st, b, NOW + 4), 0);
	cr_assert_eq(store_outbox_each(st, 0, collect, &l), 0);
	cr_assert_eq(l.n, 3);
	cr_assert_eq(l.ids[0], c);
	cr_assert_eq(l.ids[1], b);
	cr_assert_eq(l.ids[2], a);
	cr_assert_str_eq(l.states[1], "sent");
	cr_assert_str_eq(l.states[2], "queued");
	cr_assert(!l.bodies, "the listing carries no message body");

	memset(&l, 0, sizeof(l));
	cr_assert_eq(store_outbox_each(st, 2, collect, &l), 0);
	cr_assert_eq(l.n, 2);
	cr_assert_eq(store_outbox_each(st, 0, stop_at_first, &calls), 7);
	cr_assert_eq(calls, 1);
}

Test(store_outbox, due_query_uses_its_index)
{
	sqlite3 *db = raw_open();
	sqlite3_stmt *s = NULL;
	char plan[1024] = "";

	cr_assert_eq(sqlite3_prepare_v2(db,
					"EXPLAIN QUERY PLAN SELECT id FROM outbox"
					" WHERE state <> 'sent' AND next_attempt_at <= 5"
					" ORDER BY id LIMIT 1",
					-1, &s, NULL),
		     SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		strncat(plan, (const char *)sqlite3_column_text(s, 3),
			sizeof(plan) - strlen(plan) - 2);
		strcat(plan, ";");
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	cr_assert(strstr(plan, "outbox_due") != NULL, "plan: %s", plan);
}

/* The mailer's schedule over the outbox: 60 s, doubled, capped at 1 h. */
Test(store_outbox, backoff_capped_exponential)
{
	cr_assert_eq(mailer_backoff(60, 3600, 1), 60);
	cr_assert_eq(mailer_backoff(60, 3600, 2), 120);
	cr_assert_eq(mailer_backoff(60, 3600, 3), 240);
	cr_assert_eq(mailer_backoff(60, 3600, 6), 1920);
	cr_assert_eq(mailer_backoff(60, 3600, 7), 3600);
	cr_assert_eq(mailer_backoff(60, 3600, 1000000), 3600, "no overflow");
	cr_assert_eq(mailer_backoff(1, 2, 0), 1);
	cr_assert_eq(mailer_backoff(1, 2, 5), 2);
	cr_assert_eq(mailer_backoff(5, 5, 3), 5);
}

/* ------------------------------------------------------------ earlier dates */

static void import_dossier(const char *ipp, const char *enc_start, const char *enc_end)
{
	cr_assert_eq(store_begin(st), 0);
	cr_assert_geq(store_upsert_patient(st, ipp, D("1950-01-01"), DATE_NONE), 0);
	cr_assert_geq(store_upsert_encounter(st, "E1", ipp, "stay", D("2000-01-01"),
					     D("2000-01-10")),
		      0);
	cr_assert_geq(store_upsert_encounter(st, "E2", ipp, "stay", D(enc_start), D(enc_end)),
		      0, "%s", store_errmsg(st));
	cr_assert_eq(store_commit(st), 0);
}

static void recompute(void)
{
	struct store_recompute_stats stats = {0};

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_recompute_dirty(st, &pol, D("2026-11-21"), NULL, NULL, &stats), 0,
		     "%s", store_errmsg(st));
	cr_assert_eq(store_commit(st), 0);
}

Test(store_outbox, earlier_date_recorded)
{
	struct store_actor a = {"alice", 1000, "archivist"};

	import_dossier("P1", "2010-01-01", "2010-01-05");
	recompute();
	cr_assert_eq(raw_int("SELECT retain_until FROM dossiers"), D("2030-01-05"));
	cr_assert_eq(raw_int("SELECT count(*) FROM earlier_dates"), 0,
		     "a first computation is no alert");

	/* The last stay was entered with a wrong year: corrected to 2005. */
	store_set_actor(st, &a, NOW + 50);
	import_dossier("P1", "2005-01-01", "2005-01-05");
	recompute();
	cr_assert_eq(raw_int("SELECT retain_until FROM dossiers"), D("2025-01-05"));
	cr_assert_eq(raw_int("SELECT count(*) FROM earlier_dates"), 1);
	cr_assert_str_eq(raw_text("SELECT ipp FROM earlier_dates"), "P1");
	cr_assert_eq(raw_int("SELECT old_until FROM earlier_dates"), D("2030-01-05"));
	cr_assert_eq(raw_int("SELECT new_until FROM earlier_dates"), D("2025-01-05"));
	cr_assert_eq(raw_int("SELECT at FROM earlier_dates"), NOW + 50);

	/* Later again: no alert. Unchanged: no alert either. */
	import_dossier("P1", "2012-01-01", "2012-01-05");
	recompute();
	cr_assert_eq(raw_int("SELECT retain_until FROM dossiers"), D("2032-01-05"));
	cr_assert_eq(store_mark_all_dirty(st), 0);
	recompute();
	cr_assert_eq(raw_int("SELECT count(*) FROM earlier_dates"), 1);
}

Test(store_outbox, earlier_date_not_recorded_without_a_date)
{
	/* A date vanishing (no birth date: an anomaly) is no "earlier". */
	import_dossier("P2", "2010-01-01", "2010-01-05");
	recompute();
	cr_assert_eq(store_begin(st), 0);
	cr_assert_geq(store_upsert_patient(st, "P2", DATE_NONE, DATE_NONE), 0);
	cr_assert_eq(store_commit(st), 0);
	recompute();
	cr_assert_eq(raw_int("SELECT count(*) FROM earlier_dates"), 0);
}

/* ------------------------------------------------------------ migration */

Test(store_outbox, migration_from_v2_keeps_data)
{
	char old[sizeof(path)];
	sqlite3 *db;
	char *err = NULL;
	char sql[1024];

	store_close(st);
	st = NULL;
	snprintf(old, sizeof(old), "%s/v2.db", dir);
	snprintf(path, sizeof(path), "%s", old); /* raw_* look at it now */
	db = raw_open();
	cr_assert_eq(sqlite3_exec(db, store_schema_migration(0), NULL, NULL, &err), SQLITE_OK,
		     "%s", err ? err : "");
	cr_assert_eq(sqlite3_exec(db, store_schema_migration(1), NULL, NULL, &err), SQLITE_OK,
		     "%s", err ? err : "");
	snprintf(sql, sizeof(sql),
		 "PRAGMA user_version = 2;"
		 "INSERT INTO kinds(id, name) VALUES (1, 'stay');"
		 "INSERT INTO patients(id, ipp, birth_date) VALUES (1, 'KEPT', %d);"
		 "INSERT INTO encounters VALUES ('E1', 1, 1, %d, %d);"
		 "INSERT INTO batches(id, created_on, created_at, size)"
		 " VALUES (1, %d, 1600000000, 1);"
		 "INSERT INTO proposals(id, patient_id, batch_id, state, created_at,"
		 " updated_at, ipp) VALUES (1, 1, 1, 'proposed', 1, 1, 'KEPT');"
		 "INSERT INTO meta VALUES ('policy', 'g20');",
		 D("1950-01-01"), D("2000-01-01"), D("2000-01-05"), D("2026-11-21"));
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &err), SQLITE_OK, "%s", err ? err : "");
	sqlite3_close(db);

	cr_assert_eq(store_open(old, &st), 0, "%s", store_errmsg(st));
	cr_assert_eq(raw_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);
	cr_assert_eq(raw_int("SELECT count(*) FROM patients WHERE ipp = 'KEPT'"), 1);
	cr_assert_eq(raw_int("SELECT count(*) FROM encounters"), 1);
	cr_assert_str_eq(raw_text("SELECT state FROM proposals WHERE id = 1"), "proposed");
	cr_assert_str_eq(raw_text("SELECT value FROM meta WHERE key = 'policy'"), "g20");
	cr_assert_eq(raw_int("SELECT count(*) FROM sqlite_master WHERE name IN"
			     " ('outbox', 'outbox_due', 'earlier_dates')"),
		     3);
	cr_assert_eq(raw_int("SELECT count(*) FROM outbox"), 0);
	cr_assert_eq(raw_int("SELECT count(*) FROM pragma_foreign_key_check"), 0);
	/* And it works: a message goes in and comes out. */
	int64_t id = add("after migration", "body", NOW);
	cr_assert_eq(due(NOW), id);
	/* A reader opens it now that it is current. */
	struct store *ro = NULL;
	cr_assert_eq(store_open_readonly(old, &ro), 0);
	store_close(ro);
}
