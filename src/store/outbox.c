/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The persistent outbox of the nightly report. A message is stored whole
 * (the RFC 5322 text the mailer sends as it is) before any try, so a
 * report survives a server that is down, a daemon that stops, and a
 * machine that reboots. States: queued (waiting for its next attempt),
 * sending (an attempt started: a crash leaves it so, and it is due again
 * at the next start), sent (accepted by a server: final). Every update
 * here is guarded by `state <> 'sent'`, so nothing can bring a sent
 * message back into the queue.
 */
#include "config.h"

#include "store/store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void store_mail_fini(struct store_mail *m)
{
	if (!m)
		return;
	free(m->subject);
	free(m->recipients);
	free(m->message);
	free(m->last_error);
	memset(m, 0, sizeof(*m));
}

int store_outbox_add(struct store *st, const char *subject,
		     const char *recipients, const char *message, size_t len,
		     int64_t now, int64_t *id)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if (!subject || !recipients || !*recipients || !message || len == 0)
		return -EINVAL;
	r = store_stmt(st, STMT_OUTBOX_ADD,
		       "INSERT INTO outbox(created_at, subject, recipients,"
		       "  message, state, attempts, next_attempt_at)"
		       " VALUES (?1, ?2, ?3, ?4, 'queued', 0, ?1)",
		       &s);
	if (r < 0)
		return r;
	if ((sqlite3_bind_int64(s, 1, now) | store_bind_text(s, 2, subject) |
	     store_bind_text(s, 3, recipients) |
	     sqlite3_bind_blob64(s, 4, message, (sqlite3_uint64)len,
				 SQLITE_STATIC)) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE) {
		r = store_fail(st, rc);
		goto out;
	}
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
out:
	store_stmt_done(s);
	return r;
}

static char *dup_column(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	return t ? strdup(t) : NULL;
}

/*
 * Fill *m from the row of s (columns of MAIL_COLUMNS); the message when
 * with_body. Strings are copied (owned by *m).
 */
#define MAIL_COLUMNS                                                        \
	"id, created_at, subject, recipients, state, attempts,"              \
	" next_attempt_at, last_error, coalesce(sent_at, 0)"
static int read_mail(sqlite3_stmt *s, bool with_body, struct store_mail *m)
{
	const char *state = (const char *)sqlite3_column_text(s, 4);

	memset(m, 0, sizeof(*m));
	m->id = sqlite3_column_int64(s, 0);
	m->created_at = sqlite3_column_int64(s, 1);
	m->subject = dup_column(s, 2);
	m->recipients = dup_column(s, 3);
	snprintf(m->state, sizeof(m->state), "%s", state ? state : "");
	m->attempts = sqlite3_column_int(s, 5);
	m->next_attempt_at = sqlite3_column_int64(s, 6);
	m->last_error = dup_column(s, 7);
	m->sent_at = sqlite3_column_int64(s, 8);
	if (!m->subject || !m->recipients ||
	    (sqlite3_column_type(s, 7) != SQLITE_NULL && !m->last_error))
		goto nomem;
	if (with_body) {
		/* Ask for the bytes first: the length is theirs after that. */
		const void *b = sqlite3_column_blob(s, 9);
		int n = sqlite3_column_bytes(s, 9);

		m->message = malloc((size_t)n + 1);
		if (!m->message)
			goto nomem;
		if (n > 0)
			memcpy(m->message, b, (size_t)n);
		m->message[n] = '\0';
		m->message_len = (size_t)n;
	}
	return 0;
nomem:
	store_mail_fini(m);
	return -ENOMEM;
}

int store_outbox_next_due(struct store *st, int64_t now, struct store_mail *out)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if (!out)
		return -EINVAL;
	/* Among the due ones the oldest first, so that reports go out in the
	 * order they were written; the due ones are an index range. */
	r = store_stmt(st, STMT_OUTBOX_NEXT_DUE,
		       "SELECT " MAIL_COLUMNS ", message FROM outbox"
		       " INDEXED BY outbox_due"
		       " WHERE state <> 'sent' AND next_attempt_at <= ?1"
		       " ORDER BY id LIMIT 1",
		       &s);
	if (r < 0)
		return r;
	if (sqlite3_bind_int64(s, 1, now) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		r = -ENOENT;
	else if (rc != SQLITE_ROW)
		r = store_fail(st, rc);
	else
		r = read_mail(s, true, out);
out:
	store_stmt_done(s);
	return r;
}

int store_outbox_due_now(struct store *st, int64_t now)
{
	return store_exec_id(st, STMT_OUTBOX_DUE_NOW,
			     "UPDATE outbox INDEXED BY outbox_due SET next_attempt_at = ?1"
			     " WHERE state <> 'sent' AND next_attempt_at > ?1",
			     now);
}

int store_outbox_next_at(struct store *st, int64_t *at)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if (!at)
		return -EINVAL;
	r = store_stmt(st, STMT_OUTBOX_NEXT_AT,
		       "SELECT min(next_attempt_at) FROM outbox"
		       " INDEXED BY outbox_due WHERE state <> 'sent'",
		       &s);
	if (r < 0)
		return r;
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW)
		r = store_fail(st, rc);
	else if (sqlite3_column_type(s, 0) == SQLITE_NULL)
		r = -ENOENT;
	else
		*at = sqlite3_column_int64(s, 0);
	store_stmt_done(s);
	return r;
}

/* After an update that changed nothing: -ENOENT or -EALREADY (sent). */
static int why_unchanged(struct store *st, int64_t id)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	r = store_stmt(st, STMT_OUTBOX_STATE, "SELECT state FROM outbox WHERE id = ?1",
		       &s);
	if (r < 0)
		return r;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		r = store_error(st, -ENOENT, "no message %lld in the outbox", (long long)id);
	else if (rc != SQLITE_ROW)
		r = store_fail(st, rc);
	else
		r = store_error(st, -EALREADY, "message %lld was already sent", (long long)id);
out:
	store_stmt_done(s);
	return r;
}

/* Run the cached update id (bound: ?1 the message, then a and b as the
 * caller's statement wants them), then say why when no row changed. */
static int update(struct store *st, enum store_stmt which, const char *sql,
		  int64_t id, const char *text, int64_t v)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	r = store_stmt(st, which, sql, &s);
	if (r < 0)
		return r;
	if ((sqlite3_bind_int64(s, 1, id) | sqlite3_bind_int64(s, 2, v) |
	     (sqlite3_bind_parameter_count(s) >= 3 ? store_bind_text(s, 3, text)
						   : SQLITE_OK)) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE) {
		r = store_fail(st, rc);
		goto out;
	}
	if (sqlite3_changes(st->db) == 0) {
		store_stmt_done(s);
		return why_unchanged(st, id);
	}
out:
	store_stmt_done(s);
	return r;
}

int store_outbox_attempt(struct store *st, int64_t id, int64_t now)
{
	return update(st, STMT_OUTBOX_ATTEMPT,
		      "UPDATE outbox SET attempts = attempts + 1, state = 'sending',"
		      "  next_attempt_at = ?2"
		      " WHERE id = ?1 AND state <> 'sent'",
		      id, NULL, now);
}

int store_outbox_sent(struct store *st, int64_t id, int64_t now)
{
	return update(st, STMT_OUTBOX_SENT,
		      "UPDATE outbox SET state = 'sent', sent_at = ?2,"
		      "  last_error = NULL"
		      " WHERE id = ?1 AND state <> 'sent'",
		      id, NULL, now);
}

int store_outbox_failed(struct store *st, int64_t id, const char *error,
			int64_t next_attempt_at)
{
	return update(st, STMT_OUTBOX_FAILED,
		      "UPDATE outbox SET state = 'queued', next_attempt_at = ?2,"
		      "  last_error = ?3"
		      " WHERE id = ?1 AND state <> 'sent'",
		      id, error ? error : "unknown error", next_attempt_at);
}

int store_outbox_each(struct store *st, size_t limit, store_mail_fn fn, void *ctx)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if (!fn)
		return -EINVAL;
	r = store_stmt(st, STMT_OUTBOX_EACH,
		       "SELECT " MAIL_COLUMNS " FROM outbox ORDER BY id DESC LIMIT ?1",
		       &s);
	if (r < 0)
		return r;
	/* LIMIT -1: SQLite's "no limit". */
	if (sqlite3_bind_int64(s, 1, limit ? (sqlite3_int64)limit : -1) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_mail m;

		r = read_mail(s, false, &m);
		if (r < 0)
			goto out;
		r = fn(ctx, &m);
		store_mail_fini(&m);
		if (r != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
out:
	store_stmt_done(s);
	return r;
}
