/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Upserts of the facts, by their id. Each is one INSERT ... ON CONFLICT DO
 * UPDATE whose update only happens when a value differs, so the number of
 * changed rows says whether anything changed; the triggers of the schema
 * then mark the dossiers concerned dirty (both owners when a row moves to
 * another patient). A patient created under the IPP of a dossier the
 * register records as destroyed starts a new dossier: that is reported
 * (STORE_REBORN) and audited.
 */
#include "config.h"

#include "store/store_internal.h"

#include <errno.h>
#include <stdio.h>

static bool blank(const char *s)
{
	return !s || !*s;
}

/* patients.id of ipp, or -ENOENT. */
static int patient_id(struct store *st, const char *ipp, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	r = store_stmt(st, STMT_PATIENT_ID,
		       "SELECT id FROM patients WHERE ipp = ?1", &s);
	if (r < 0)
		return r;
	if (store_bind_text(s, 1, ipp) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE)
		r = store_error(st, -ENOENT, "unknown patient");
	else
		r = store_fail(st, rc);
out:
	store_stmt_done(s);
	return r;
}

/* kinds.id of the kind named name, created when new. */
static int kind_id(struct store *st, const char *name, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

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
		store_count_facts(st, fact, 1);
	return r;
}

/* 1 when the register holds a destroyed dossier of ipp, else 0. */
static int destroyed_before(struct store *st, const char *ipp)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

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

int store_upsert_patient(struct store *st, const char *ipp, rd_date birth,
			 rd_date death)
{
	sqlite3_stmt *s = NULL;
	bool inserted;
	int r;

	if (blank(ipp))
		return -EINVAL;
	r = store_stmt(st, STMT_PATIENT_UPSERT,
		       "INSERT INTO patients(ipp, birth_date, death_date)"
		       " VALUES (?1, ?2, ?3)"
		       " ON CONFLICT(ipp) DO UPDATE SET"
		       "  birth_date = excluded.birth_date,"
		       "  death_date = excluded.death_date"
		       " WHERE birth_date IS NOT excluded.birth_date"
		       "  OR death_date IS NOT excluded.death_date",
		       &s);
	if (r < 0)
		return r;
	if ((store_bind_text(s, 1, ipp) | store_bind_date(s, 2, birth) |
	     store_bind_date(s, 3, death)) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	/*
	 * An upsert turned update leaves the last insert rowid alone, and so
	 * does the trigger's insert into dossiers once it ends: a non-zero
	 * rowid after the step means a patient was created.
	 */
	sqlite3_set_last_insert_rowid(st->db, 0);
	r = upsert_step(st, s);
	inserted = r == 1 && sqlite3_last_insert_rowid(st->db) != 0;
	store_stmt_done(s);
	s = NULL;
	if (inserted) {
		r = destroyed_before(st, ipp);
		if (r > 0)
			r = reborn(st, ipp);
		else if (r == 0)
			r = 1;
	}
out:
	store_stmt_done(s);
	return r;
}

int store_upsert_encounter(struct store *st, const char *id, const char *ipp,
			   const char *kind, rd_date start, rd_date end)
{
	sqlite3_stmt *s = NULL;
	int64_t pid = 0, kid = 0;
	int r;

	if (blank(id) || blank(ipp) || blank(kind) || start == DATE_NONE)
		return -EINVAL;
	r = patient_id(st, ipp, &pid);
	if (r < 0)
		return r;
	r = kind_id(st, kind, &kid);
	if (r < 0)
		return r;
	r = store_stmt(st, STMT_ENCOUNTER_UPSERT,
		       "INSERT INTO encounters(encounter_id, patient_id, kind_id,"
		       "  start_date, end_date) VALUES (?1, ?2, ?3, ?4, ?5)"
		       " ON CONFLICT(encounter_id) DO UPDATE SET"
		       "  patient_id = excluded.patient_id,"
		       "  kind_id = excluded.kind_id,"
		       "  start_date = excluded.start_date,"
		       "  end_date = excluded.end_date"
		       " WHERE patient_id IS NOT excluded.patient_id"
		       "  OR kind_id IS NOT excluded.kind_id"
		       "  OR start_date IS NOT excluded.start_date"
		       "  OR end_date IS NOT excluded.end_date",
		       &s);
	if (r < 0)
		return r;
	if ((store_bind_text(s, 1, id) | sqlite3_bind_int64(s, 2, pid) |
	     sqlite3_bind_int64(s, 3, kid) | store_bind_date(s, 4, start) |
	     store_bind_date(s, 5, end)) != SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	r = fact_upsert_step(st, s, STORE_FACT_ENCOUNTERS);
out:
	store_stmt_done(s);
	return r;
}

int store_upsert_transfusion(struct store *st, const char *id,
			     const char *ipp, rd_date act)
{
	sqlite3_stmt *s = NULL;
	int64_t pid = 0;
	int r;

	if (blank(id) || blank(ipp) || act == DATE_NONE)
		return -EINVAL;
	r = patient_id(st, ipp, &pid);
	if (r < 0)
		return r;
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
out:
	store_stmt_done(s);
	return r;
}

int store_upsert_litigation(struct store *st, const char *id,
			    const char *ipp, rd_date opened, rd_date closed,
			    const char *reference)
{
	sqlite3_stmt *s = NULL;
	int64_t pid = 0;
	int r;

	if (blank(id) || blank(ipp) || opened == DATE_NONE)
		return -EINVAL;
	r = patient_id(st, ipp, &pid);
	if (r < 0)
		return r;
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
out:
	store_stmt_done(s);
	return r;
}
