/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Upserts of the facts, by their id. A write only happens when a value
 * differs, so the result says whether anything changed. Since schema v5
 * the fact tables have no triggers: the dossiers concerned are marked
 * dirty here (both owners when a row moves to another patient), once per
 * run of one patient's rows within an import session, since a file
 * usually holds a patient's rows together. Since v6 patients have no
 * trigger either: a new patient's dossier row is created here, a changed
 * one marked dirty, and the totals counted (store_count).
 *
 * Patients and encounters, written by the million, are written by plain
 * INSERTs and UPDATEs of one row rather than upserts (ON CONFLICT ... DO
 * UPDATE), for which SQLite keeps a statement journal: a copy of every
 * page the statement changes (schema.c, version 6). The small files of
 * transfusions and litigations keep their upserts.
 * A patient created under the IPP of a dossier the register records as
 * destroyed starts a new dossier: that is reported (STORE_REBORN) and
 * audited.
 *
 * Within a transaction, the last IPP's patient id and the kinds' ids are
 * remembered (two statements saved per encounter); see
 * store_upsert_forget for when they are dropped.
 */
#include "config.h"

#include "store/store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool blank(const char *s)
{
	return !s || !*s;
}

void store_upsert_forget(struct store *st)
{
	st->uc.ipp[0] = '\0';
	st->uc.n_kinds = 0;
	st->uc.destroyed_any = -1;
}

/* Caches hold only within a transaction: outside one, each statement is
 * its own, and another connection may write in between. */
static bool cache_usable(const struct store *st)
{
	return !sqlite3_get_autocommit(st->db);
}

static bool cache_key_fits(const char *key)
{
	return strlen(key) < STORE_CACHE_KEY;
}

/*
 * An import session holds its marks (held_marks.c), but for a dossier
 * created in this transaction: its first result is counted apart
 * (eval_new), which only a written mark corrects.
 */
static bool may_hold(const struct store *st, int64_t pid)
{
	return st->hold_marks >= 0 &&
	       !(st->eval_new.first_pid && pid >= st->eval_new.first_pid);
}

int store_mark_dirty(struct store *st, int64_t pid)
{
	int r;

	if (!st->imp.active)
		return store_mark_dirty_now(st, pid);
	if (st->imp.bulk || st->imp.marked_pid == pid)
		return 0;
	r = may_hold(st, pid) ? store_held_add(st, pid)
			      : store_mark_dirty_now(st, pid);
	if (r == 0)
		st->imp.marked_pid = pid;
	return r;
}

int store_mark_dirty_now(struct store *st, int64_t pid)
{
	int r = store_exec_id(st, STMT_MARK_DIRTY,
			  "UPDATE dossiers SET dirty = 1"
			  " WHERE patient_id = ?1 AND dirty = 0",
			  pid);
	if (r < 0)
		return r;
	if (sqlite3_changes(st->db) > 0) {
		store_count(st, STORE_COUNT_DIRTY, 1);
		/* A dossier evaluated as created in this transaction (every
		 * id from the first one is new) is the recompute's to count
		 * now. */
		if (st->eval_new.first_pid && pid >= st->eval_new.first_pid &&
		    st->eval_new.evaluated > 0)
			st->eval_new.evaluated--;
	}
	return 0;
}

/* Mark the owner of a changed row, and its previous owner when it moved. */
static int mark_owners(struct store *st, int64_t pid, bool had_owner,
		       int64_t old_pid)
{
	int r = 0;

	if (had_owner && old_pid != pid)
		r = store_mark_dirty(st, old_pid);
	return r < 0 ? r : store_mark_dirty(st, pid);
}

/* patients.id of ipp, or -ENOENT. */
static int patient_id(struct store *st, const char *ipp, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if (cache_usable(st) && strcmp(st->uc.ipp, ipp) == 0 && st->uc.ipp[0]) {
		*out = st->uc.ipp_pid;
		return 0;
	}

	r = store_stmt(st, STMT_PATIENT_ID,
		       "SELECT id FROM patients WHERE ipp = ?1", &s);
	if (r < 0)
		return r;
	if (store_bind_text(s, 1, ipp) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		if (cache_usable(st) && cache_key_fits(ipp)) {
			snprintf(st->uc.ipp, sizeof(st->uc.ipp), "%s", ipp);
			st->uc.ipp_pid = *out;
		}
	} else if (rc == SQLITE_DONE)
		r = store_error(st, -ENOENT, "unknown patient");
	else
		r = store_fail(st, rc);
out:
	store_stmt_done(s);
	return r;
}

/* Remember a kind's id; a full cache just stops growing (kinds are few). */
static void kind_remember(struct store *st, const char *name, int64_t id)
{
	struct store_upsert_cache *c = &st->uc;

	if (!cache_usable(st) || !cache_key_fits(name) ||
	    c->n_kinds >= STORE_CACHE_KINDS)
		return;
	snprintf(c->kinds[c->n_kinds].name, sizeof(c->kinds[0].name), "%s", name);
	c->kinds[c->n_kinds++].id = id;
}

/* kinds.id of the kind named name, created when new. */
static int kind_id(struct store *st, const char *name, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if (cache_usable(st)) {
		for (size_t i = 0; i < st->uc.n_kinds; i++) {
			if (strcmp(st->uc.kinds[i].name, name) == 0) {
				*out = st->uc.kinds[i].id;
				return 0;
			}
		}
	}

	r = store_stmt(st, STMT_KIND_ID, "SELECT id FROM kinds WHERE name = ?1",
		       &s);
	if (r < 0)
		return r;
	if (store_bind_text(s, 1, name) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		kind_remember(st, name, *out);
		goto out;
	}
	if (rc != SQLITE_DONE) {
		r = store_fail(st, rc);
		goto out;
	}
	store_stmt_done(s);

	r = store_stmt(st, STMT_KIND_ADD, "INSERT INTO kinds(name) VALUES (?1)",
		       &s);
	if (r < 0)
		return r;
	if (store_bind_text(s, 1, name) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE) {
		r = store_fail(st, rc);
		goto out;
	}
	*out = sqlite3_last_insert_rowid(st->db);
	kind_remember(st, name, *out);
out:
	store_stmt_done(s);
	return r;
}

/* Step an upsert whose parameters are bound: 1 changed, 0 not. */
static int upsert_step(struct store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE)
		return store_fail(st, rc);
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

/*
 * An upsert of a fact row, counted when it inserts: an upsert that updates
 * leaves sqlite3_last_insert_rowid() as it was (and the triggers' own
 * inserts do not leak out of them), so with it set to 0 (no rowid is 0)
 * beforehand, a rowid afterwards means a new row.
 */
static int fact_upsert_step(struct store *st, sqlite3_stmt *s, int fact)
{
	sqlite3_set_last_insert_rowid(st->db, 0);
	int r = upsert_step(st, s);

	if (r > 0 && sqlite3_last_insert_rowid(st->db) != 0)
		store_count(st, fact, 1);
	return r;
}

/* 1 when the register holds any destroyed dossier, else 0; asked once
 * per transaction, as most registers hold none while imports create
 * patients by the million. */
static int destroyed_any(struct store *st)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if (cache_usable(st) && st->uc.destroyed_any >= 0)
		return st->uc.destroyed_any;
	r = store_stmt(st, STMT_REGISTER_ANY_DESTROYED,
		       "SELECT 1 FROM proposals INDEXED BY proposals_by_state"
		       " WHERE state = 'destroyed' LIMIT 1",
		       &s);
	if (r < 0)
		return r;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		r = 1;
	else if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
	store_stmt_done(s);
	if (r >= 0 && cache_usable(st))
		st->uc.destroyed_any = r;
	return r;
}

/* 1 when the register holds a destroyed dossier of ipp, else 0. */
static int destroyed_before(struct store *st, const char *ipp)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	r = destroyed_any(st);
	if (r <= 0)
		return r;
	r = store_stmt(st, STMT_REGISTER_DESTROYED,
		       "SELECT 1 FROM proposals INDEXED BY proposals_by_ipp"
		       " WHERE ipp = ?1 AND state = 'destroyed' LIMIT 1",
		       &s);
	if (r < 0)
		return r;
	if (store_bind_text(s, 1, ipp) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		r = 1;
	else if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
out:
	store_stmt_done(s);
	return r;
}

static int reborn(struct store *st, const char *ipp)
{
	struct store_json j;
	char *target;
	int r;

	store_json_begin(&j);
	store_json_str(&j, "ipp", ipp);
	r = store_json_end(&j);
	target = r == 0 ? sqlite3_mprintf("dossier %s", ipp) : NULL;
	if (r == 0 && !target)
		r = -ENOMEM;
	if (r == 0)
		r = store_audit_append(st, "reborn", target, j.p);
	sqlite3_free(target);
	store_json_free(&j);
	return r < 0 ? r : STORE_REBORN;
}

struct patient_row {
	int64_t id;
	rd_date birth, death;
};

/* The stored patient of ipp: 1 found, 0 none. */
static int patient_read(struct store *st, const char *ipp,
			struct patient_row *out)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	r = store_stmt(st, STMT_PATIENT_READ,
		       "SELECT id, birth_date, death_date FROM patients"
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
		out->id = sqlite3_column_int64(s, 0);
		out->birth = store_column_date(s, 1);
		out->death = store_column_date(s, 2);
		r = 1;
	} else if (rc != SQLITE_DONE) {
		r = store_fail(st, rc);
	}
out:
	store_stmt_done(s);
	return r;
}

/*
 * A new patient and its dossier row (store_dossier_create), or -EEXIST
 * (nothing written, no error set) when the IPP is taken: the UNIQUE check
 * fails before the INSERT writes anything.
 */
static int patient_insert(struct store *st, const char *ipp, rd_date birth,
			  rd_date death)
{
	sqlite3_stmt *s = NULL;
	int64_t pid;
	int r;

	r = store_stmt(st, STMT_PATIENT_INSERT,
		       "INSERT INTO patients(ipp, birth_date, death_date)"
		       " VALUES (?1, ?2, ?3)",
		       &s);
	if (r < 0)
		return r;
	r = store_insert_once(st, s,
			      store_bind_text(s, 1, ipp) |
			      store_bind_date(s, 2, birth) |
			      store_bind_date(s, 3, death),
			      SQLITE_CONSTRAINT_UNIQUE);
	if (r < 0)
		return r;
	pid = sqlite3_last_insert_rowid(st->db);
	r = store_dossier_create(st, pid, birth, death);
	if (r < 0)
		return r;
	store_count(st, STORE_COUNT_PATIENTS, 1);
	return 0;
}

static int patient_update(struct store *st, const struct patient_row *row)
{
	sqlite3_stmt *s = NULL;
	int r;

	r = store_stmt(st, STMT_PATIENT_UPDATE,
		       "UPDATE patients SET birth_date = ?2, death_date = ?3"
		       " WHERE id = ?1",
		       &s);
	if (r < 0)
		return r;
	r = store_step_once(st, s, sqlite3_bind_int64(s, 1, row->id) |
			    store_bind_date(s, 2, row->birth) |
			    store_bind_date(s, 3, row->death));
	return r < 0 ? r : store_mark_dirty(st, row->id);
}

/* A first load: no patient when the session began. */
static bool first_load(const struct store *st)
{
	return st->imp.active && st->imp.fresh &&
	       st->imp.kind == STORE_IMPORT_PATIENTS;
}

int store_upsert_patient(struct store *st, const char *ipp, rd_date birth,
			 rd_date death)
{
	int r;

	if (blank(ipp))
		return -EINVAL;
	r = store_import_row(st);
	if (r < 0)
		return r;
	/* A first load's patients go in by batches, unless the register of
	 * destroyed dossiers has an entry, which each IPP would be checked
	 * against (a dossier reborn is reported by its row). */
	if (first_load(st)) {
		r = strlen(ipp) <= STORE_APPEND_ID ? destroyed_any(st) : 1;
		if (r == 0)
			return store_patient_append(st, ipp, birth, death);
		if (r > 0)
			r = store_patients_flush(st);
		if (r < 0)
			return r;
	}
	return store_patient_row(st, ipp, birth, death);
}

int store_patient_row(struct store *st, const char *ipp, rd_date birth,
		      rd_date death)
{
	struct patient_row old = {0};
	int r;

	/* A first load: every IPP is new but one the file repeats, which
	 * the INSERT finds itself. */
	if (first_load(st))
		r = patient_insert(st, ipp, birth, death);
	else
		r = -EEXIST;
	if (r == -EEXIST) {
		r = patient_read(st, ipp, &old);
		if (r < 0)
			return r;
		if (r == 1) {
			if (old.birth == birth && old.death == death)
				return 0;
			old.birth = birth;
			old.death = death;
			r = patient_update(st, &old);
			return r < 0 ? r : 1;
		}
		r = patient_insert(st, ipp, birth, death);
	}
	if (r < 0)
		return r == -EEXIST ? store_error(st, -EIO, "IPP taken but not found")
				    : r;
	r = destroyed_before(st, ipp);
	if (r > 0)
		return reborn(st, ipp);
	return r < 0 ? r : 1;
}

int store_encounter_read(struct store *st, const char *id, int64_t pid,
			 struct store_encounter_row *out)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if (pid)
		r = store_stmt(st, STMT_ENCOUNTER_READ_KEY,
			       "SELECT patient_id, kind_id, start_date, end_date"
			       " FROM encounters"
			       " WHERE patient_id = ?2 AND encounter_id = ?1",
			       &s);
	else
		r = store_stmt(st, STMT_ENCOUNTER_READ,
			       "SELECT patient_id, kind_id, start_date, end_date"
			       " FROM encounters WHERE encounter_id = ?1",
			       &s);
	if (r < 0)
		return r;
	if (store_bind_text(s, 1, id) != SQLITE_OK ||
	    (pid && sqlite3_bind_int64(s, 2, pid) != SQLITE_OK)) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->pid = sqlite3_column_int64(s, 0);
		out->kid = sqlite3_column_int64(s, 1);
		out->start = store_column_date(s, 2);
		out->end = store_column_date(s, 3);
		r = 1;
	} else if (rc != SQLITE_DONE) {
		r = store_fail(st, rc);
	}
out:
	store_stmt_done(s);
	return r;
}

int store_encounter_bind(sqlite3_stmt *s, int base, const char *id,
			 const struct store_encounter_row *row)
{
	return store_bind_text(s, base + 1, id) |
	       sqlite3_bind_int64(s, base + 2, row->pid) |
	       sqlite3_bind_int64(s, base + 3, row->kid) |
	       store_bind_date(s, base + 4, row->start) |
	       store_bind_date(s, base + 5, row->end);
}

/* An update finds the row by its key, the table's own order (schema.c,
 * version 8), even when it moves the row to another patient. */
int store_encounter_write(struct store *st, int64_t old_pid, const char *id,
			  const struct store_encounter_row *row)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if (old_pid)
		r = store_stmt(st, STMT_ENCOUNTER_UPDATE,
			       "UPDATE encounters SET patient_id = ?2,"
			       "  kind_id = ?3, start_date = ?4, end_date = ?5"
			       " WHERE patient_id = ?6 AND encounter_id = ?1",
			       &s);
	else
		r = store_stmt(st, STMT_ENCOUNTER_INSERT,
			       "INSERT INTO encounters(encounter_id, patient_id,"
			       "  kind_id, start_date, end_date)"
			       " VALUES (?1, ?2, ?3, ?4, ?5)",
			       &s);
	if (r < 0)
		return r;
	if (store_encounter_bind(s, 0, id, row) != SQLITE_OK ||
	    (old_pid && sqlite3_bind_int64(s, 6, old_pid) != SQLITE_OK)) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
	else if (!old_pid)
		store_count(st, STORE_FACT_ENCOUNTERS, 1);
out:
	store_stmt_done(s);
	return r;
}

/*
 * Read, compare in C, then write only what differs: an unchanged row costs
 * one lookup, and a changed one tells its previous owner, which an upsert
 * would not (RETURNING gives the new values only).
 */
int store_upsert_encounter(struct store *st, const char *id, const char *ipp,
			   const char *kind, rd_date start, rd_date end)
{
	struct store_encounter_row row = {.start = start, .end = end}, old = {0};
	int r, found;

	if (blank(id) || blank(ipp) || blank(kind) || start == DATE_NONE)
		return -EINVAL;
	r = patient_id(st, ipp, &row.pid);
	if (r < 0)
		return r;
	r = kind_id(st, kind, &row.kid);
	if (r < 0)
		return r;
	r = store_import_row(st);
	if (r < 0)
		return r;
	if (st->imp.active && st->imp.bulk)
		return store_encounter_append(st, id, &row);
	found = store_encounter_read(st, id, 0, &old);
	if (found < 0)
		return found;
	if (found && store_encounter_same(&old, &row))
		return 0;
	r = store_encounter_write(st, found ? old.pid : 0, id, &row);
	if (r < 0)
		return r;
	r = mark_owners(st, row.pid, found, old.pid);
	return r < 0 ? r : 1;
}

/* The current owner of a transfusion or litigation row: 1 found, 0 none. */
static int fact_owner(struct store *st, enum store_stmt sid, const char *sql,
		      const char *id, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if (st->imp.active && st->imp.bulk)
		return 0; /* nothing existed before the session */
	r = store_stmt(st, sid, sql, &s);
	if (r < 0)
		return r;
	if (store_bind_text(s, 1, id) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		r = 1;
	} else if (rc != SQLITE_DONE) {
		r = store_fail(st, rc);
	}
out:
	store_stmt_done(s);
	return r;
}

int store_upsert_transfusion(struct store *st, const char *id,
			     const char *ipp, rd_date act)
{
	sqlite3_stmt *s = NULL;
	int64_t pid = 0, old_pid = 0;
	int r, had;

	if (blank(id) || blank(ipp) || act == DATE_NONE)
		return -EINVAL;
	r = patient_id(st, ipp, &pid);
	if (r < 0)
		return r;
	r = store_import_row(st);
	if (r < 0)
		return r;
	had = fact_owner(st, STMT_TRANSFUSION_OWNER,
			 "SELECT patient_id FROM transfusions"
			 " WHERE transfusion_id = ?1",
			 id, &old_pid);
	if (had < 0)
		return had;
	r = store_stmt(st, STMT_TRANSFUSION_UPSERT,
		       "INSERT INTO transfusions(transfusion_id, patient_id,"
		       "  act_date) VALUES (?1, ?2, ?3)"
		       " ON CONFLICT(transfusion_id) DO UPDATE SET"
		       "  patient_id = excluded.patient_id,"
		       "  act_date = excluded.act_date"
		       " WHERE patient_id IS NOT excluded.patient_id"
		       "  OR act_date IS NOT excluded.act_date",
		       &s);
	if (r < 0)
		return r;
	if ((store_bind_text(s, 1, id) | sqlite3_bind_int64(s, 2, pid) |
	     store_bind_date(s, 3, act)) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	r = fact_upsert_step(st, s, STORE_FACT_TRANSFUSIONS);
	if (r > 0) {
		int m = mark_owners(st, pid, had == 1, old_pid);
		if (m < 0)
			r = m;
	}
out:
	store_stmt_done(s);
	return r;
}

int store_upsert_litigation(struct store *st, const char *id,
			    const char *ipp, rd_date opened, rd_date closed,
			    const char *reference)
{
	sqlite3_stmt *s = NULL;
	int64_t pid = 0, old_pid = 0;
	int r, had;

	if (blank(id) || blank(ipp) || opened == DATE_NONE)
		return -EINVAL;
	r = patient_id(st, ipp, &pid);
	if (r < 0)
		return r;
	r = store_import_row(st);
	if (r < 0)
		return r;
	had = fact_owner(st, STMT_LITIGATION_OWNER,
			 "SELECT patient_id FROM litigations"
			 " WHERE litigation_id = ?1",
			 id, &old_pid);
	if (had < 0)
		return had;
	r = store_stmt(st, STMT_LITIGATION_UPSERT,
		       "INSERT INTO litigations(litigation_id, patient_id,"
		       "  opened_on, closed_on, reference)"
		       " VALUES (?1, ?2, ?3, ?4, ?5)"
		       " ON CONFLICT(litigation_id) DO UPDATE SET"
		       "  patient_id = excluded.patient_id,"
		       "  opened_on = excluded.opened_on,"
		       "  closed_on = excluded.closed_on,"
		       "  reference = excluded.reference"
		       " WHERE patient_id IS NOT excluded.patient_id"
		       "  OR opened_on IS NOT excluded.opened_on"
		       "  OR closed_on IS NOT excluded.closed_on"
		       "  OR reference IS NOT excluded.reference",
		       &s);
	if (r < 0)
		return r;
	if ((store_bind_text(s, 1, id) | sqlite3_bind_int64(s, 2, pid) |
	     store_bind_date(s, 3, opened) | store_bind_date(s, 4, closed) |
	     store_bind_text(s, 5, blank(reference) ? NULL : reference)) !=
	    SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	r = fact_upsert_step(st, s, STORE_FACT_LITIGATIONS);
	if (r > 0) {
		int m = mark_owners(st, pid, had == 1, old_pid);
		if (m < 0)
			r = m;
	}
out:
	store_stmt_done(s);
	return r;
}
