/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Facts changed from the command line rather than by an import: the
 * director's hold and its release, litigations opened and closed. Each is
 * audited, then its dossier is recomputed at once, so that an open
 * proposal of a dossier no longer eligible is withdrawn (and audited) in
 * the same transaction instead of waiting for the next scan.
 */
#include "config.h"

#include "store/store_internal.h"

#include <errno.h>

static bool blank(const char *s)
{
	return !s || !*s;
}

/* Audit action on "dossier IPP" with details j (ended here), then free j. */
static int audit_dossier(struct store *st, const char *action,
			 const char *ipp, struct store_json *j)
{
	char *target = NULL;
	int r = store_json_end(j);

	if (r == 0) {
		target = sqlite3_mprintf("dossier %s", ipp);
		r = target ? store_audit_append(st, action, target, j->p)
			   : -ENOMEM;
	}
	sqlite3_free(target);
	store_json_free(j);
	return r;
}

/* patients.id of ipp and whether it is held; -ENOENT when unknown. */
static int hold_read(struct store *st, const char *ipp, int64_t *pid,
		     bool *held)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	r = store_stmt(st, STMT_HOLD_READ,
		       "SELECT id, hold_reason IS NOT NULL FROM patients"
		       " WHERE ipp = ?1",
		       &s);
	if (r < 0)
		return r;
	if (store_bind_text(s, 1, ipp) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*pid = sqlite3_column_int64(s, 0);
		*held = sqlite3_column_int(s, 1) != 0;
	} else if (rc == SQLITE_DONE) {
		r = store_error(st, -ENOENT, "unknown patient");
	} else {
		r = store_fail(st, rc);
	}
out:
	store_stmt_done(s);
	return r;
}

/* Set (reason) or clear (NULL) the hold, and mark the dossier dirty. */
static int hold_set(struct store *st, int64_t pid, const char *reason,
		    rd_date since)
{
	sqlite3_stmt *s = NULL;
	int r;

	r = store_stmt(st, STMT_HOLD_SET,
		       "UPDATE patients SET hold_reason = ?2, hold_since = ?3"
		       " WHERE id = ?1",
		       &s);
	if (r < 0)
		return r;
	r = store_step_once(st, s, sqlite3_bind_int64(s, 1, pid) |
			    store_bind_text(s, 2, reason) |
			    store_bind_date(s, 3, reason ? since : DATE_NONE));
	return r < 0 ? r : store_mark_dirty(st, pid);
}

static int hold_change(struct store *st, const struct engine_policy *p,
		       rd_date today, const char *ipp, const char *reason)
{
	struct store_json j;
	int64_t pid = 0;
	bool held = false;
	int r;

	r = hold_read(st, ipp, &pid, &held);
	if (r < 0)
		return r;
	if (held == (reason != NULL))
		return store_error(st, -EALREADY, held ? "already held"
						       : "not held");
	r = hold_set(st, pid, reason, today);
	if (r < 0)
		return r;
	store_json_begin(&j);
	store_json_str(&j, "ipp", ipp);
	if (reason)
		store_json_str(&j, "reason", reason);
	r = audit_dossier(st, reason ? "hold" : "release", ipp, &j);
	if (r < 0)
		return r;
	return store_recompute_patient(st, p, today, pid, NULL, NULL);
}

int store_hold(struct store *st, const struct engine_policy *p, rd_date today,
	       const char *ipp, const char *reason)
{
	if (!st || !p || today == DATE_NONE || blank(ipp) || blank(reason))
		return -EINVAL;
	return hold_change(st, p, today, ipp, reason);
}

int store_hold_release(struct store *st, const struct engine_policy *p,
		       rd_date today, const char *ipp)
{
	if (!st || !p || today == DATE_NONE || blank(ipp))
		return -EINVAL;
	return hold_change(st, p, today, ipp, NULL);
}

int store_litigation_open(struct store *st, const struct engine_policy *p,
			  rd_date today, const char *id, const char *ipp,
			  rd_date opened, const char *reference)
{
	struct store_json j;
	sqlite3_stmt *s = NULL;
	int64_t pid = 0;
	bool held;
	int r, rc;

	if (!st || !p || today == DATE_NONE || blank(id) || blank(ipp) ||
	    opened == DATE_NONE)
		return -EINVAL;
	r = hold_read(st, ipp, &pid, &held);
	if (r < 0)
		return r;
	/* DO NOTHING: an id already used is reported, never overwritten. */
	r = store_stmt(st, STMT_LITIGATION_OPEN,
		       "INSERT INTO litigations(litigation_id, patient_id,"
		       "  opened_on, reference) VALUES (?1, ?2, ?3, ?4)"
		       " ON CONFLICT(litigation_id) DO NOTHING",
		       &s);
	if (r < 0)
		return r;
	if ((store_bind_text(s, 1, id) | sqlite3_bind_int64(s, 2, pid) |
	     store_bind_date(s, 3, opened) |
	     store_bind_text(s, 4, blank(reference) ? NULL : reference)) !=
	    SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE) {
		r = store_fail(st, rc);
		goto out;
	}
	if (sqlite3_changes(st->db) == 0) {
		r = store_error(st, -EEXIST, "litigation id already used");
		goto out;
	}
	store_count(st, STORE_FACT_LITIGATIONS, 1);
	store_stmt_done(s);
	s = NULL;
	/* No trigger marks it (schema v5); the recompute below clears it. */
	r = store_mark_dirty(st, pid);
	if (r < 0)
		goto out;
	store_json_begin(&j);
	store_json_str(&j, "ipp", ipp);
	store_json_str(&j, "id", id);
	store_json_date(&j, "opened", opened);
	store_json_str(&j, "reference", blank(reference) ? NULL : reference);
	r = audit_dossier(st, "litigation_open", ipp, &j);
	if (r < 0)
		goto out;
	r = store_recompute_patient(st, p, today, pid, NULL, NULL);
out:
	store_stmt_done(s);
	return r;
}

/* The litigation's owner, dates and IPP (*ipp: sqlite3_free it). */
static int litigation_read(struct store *st, const char *id, int64_t *pid,
			   rd_date *opened, rd_date *closed, char **ipp)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	r = store_stmt(st, STMT_LITIGATION_READ,
		       "SELECT l.patient_id, l.opened_on, l.closed_on, t.ipp"
		       " FROM litigations l JOIN patients t"
		       "  ON t.id = l.patient_id"
		       " WHERE l.litigation_id = ?1",
		       &s);
	if (r < 0)
		return r;
	if (store_bind_text(s, 1, id) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		r = store_error(st, -ENOENT, "unknown litigation");
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = store_fail(st, rc);
		goto out;
	}
	*ipp = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(s, 3));
	if (!*ipp) {
		r = -ENOMEM;
		goto out;
	}
	*pid = sqlite3_column_int64(s, 0);
	*opened = store_column_date(s, 1);
	*closed = store_column_date(s, 2);
out:
	store_stmt_done(s);
	return r;
}

int store_litigation_close(struct store *st, const struct engine_policy *p,
			   rd_date today, const char *id, rd_date closed)
{
	rd_date opened = DATE_NONE, was = DATE_NONE;
	struct store_json j;
	sqlite3_stmt *s = NULL;
	char *ipp = NULL;
	int64_t pid = 0;
	int r, rc;

	if (!st || !p || today == DATE_NONE || blank(id) || closed == DATE_NONE)
		return -EINVAL;
	r = litigation_read(st, id, &pid, &opened, &was, &ipp);
	if (r < 0)
		return r;
	if (was != DATE_NONE) {
		r = store_error(st, -EALREADY, "litigation already closed");
		goto out;
	}
	if (closed < opened) {
		r = store_error(st, -EINVAL, "closed before it was opened");
		goto out;
	}
	r = store_stmt(st, STMT_LITIGATION_CLOSE,
		       "UPDATE litigations SET closed_on = ?2"
		       " WHERE litigation_id = ?1",
		       &s);
	if (r < 0)
		goto out;
	if ((store_bind_text(s, 1, id) | store_bind_date(s, 2, closed)) !=
	    SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE) {
		r = store_fail(st, rc);
		goto out;
	}
	store_stmt_done(s);
	s = NULL;
	r = store_mark_dirty(st, pid);
	if (r < 0)
		goto out;
	store_json_begin(&j);
	store_json_str(&j, "ipp", ipp);
	store_json_str(&j, "id", id);
	store_json_date(&j, "opened", opened);
	store_json_date(&j, "closed", closed);
	r = audit_dossier(st, "litigation_close", ipp, &j);
	if (r < 0)
		goto out;
	r = store_recompute_patient(st, p, today, pid, NULL, NULL);
out:
	store_stmt_done(s);
	sqlite3_free(ipp);
	return r;
}
