/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The schema and its migrations. PRAGMA user_version is the number of
 * migrations applied; store_open() applies the missing ones in one
 * transaction and refuses a database written by a newer version.
 *
 * Facts:
 *   patients(id, ipp UNIQUE, birth_date, death_date, hold_reason, hold_since)
 *   kinds(id, name UNIQUE)   encounter kinds, so that an encounter row and
 *                            its index entry carry a small integer, not text
 *   encounters(encounter_id UNIQUE, patient_id, kind_id, start_date,
 *              end_date)   clustered by (patient_id, encounter_id) since
 *                          version 8: the table is its own covering index
 *   transfusions(transfusion_id PK, patient_id, act_date)
 *   litigations(litigation_id PK, patient_id, opened_on, closed_on, reference)
 * Each other fact table has an index on patient_id that covers the columns
 * the engine needs, so loading a dossier, or streaming every fact in
 * patient order for a full recompute, reads one B-tree per table.
 *
 * Computed state, one row per patient (created with the patient; up to
 * version 5 by a trigger):
 *   dossiers(patient_id, status (enum engine_status), retain_until, basis
 *            (rule name), computed_on (day of the evaluation that last
 *            wrote the row or cleared its mark, or of an anomaly's last
 *            nightly re-check: never later than the facts it reflects),
 *            dirty, proposal_id)
 * proposal_id is the dossier's proposal other than a withdrawn one, kept by
 * triggers on proposals; with the partial index dossiers_unproposed it finds
 * "eligible and never proposed" without a scan. dossiers_dirty and
 * dossiers_by_status(status, retain_until) serve the nightly scan and the
 * forecast. Up to version 4, triggers on the fact tables marked the dossier
 * dirty; since version 5 the store does (store_mark_dirty), once per
 * patient rather than once per row; since version 6 also when the patient
 * row itself changes (a date, a hold).
 *
 * Workflow, the register of eliminations (version 2):
 *   batches(id, created_on, created_at, size, visa_reference, visa_at,
 *           certificate, destroyed_at)
 *   proposals(id, patient_id, batch_id, state, retain_until, basis,
 *             created_at, updated_at, reason, ipp, first_date, last_date,
 *             opinion, opinion_comment, opinion_by, opinion_at, decided_by,
 *             decided_at, override_reason, visa_reference, visa_at,
 *             certificate, destroyed_at)
 * A proposal row is the permanent entry of the register: it copies the IPP
 * and the extreme dates of the dossier's encounters when it is opened, and
 * records every decision, so that it still proves what was eliminated,
 * when and on whose word after a destruction deleted the dossier's facts
 * (patient_id is then set NULL by the foreign key). At most one proposal
 * other than a withdrawn one per patient (unique partial index): a refused
 * or kept dossier is never proposed again, a withdrawn one may be.
 *   audit(id, at, user, uid, role, action, target, details, prev_hash,
 *         hash): the journal, chained by SHA-256 (audit.c).
 *   meta(key, value)
 *
 * The nightly report (version 3):
 *   outbox(id, created_at, subject, recipients, message, state, attempts,
 *          next_attempt_at, last_error, sent_at): the persistent outbox,
 *          each message stored whole before it is sent (outbox.c);
 *          outbox_due finds the next unsent message due without a scan.
 *   earlier_dates(id, ipp, old_until, new_until, at): every recompute that
 *          moved a dossier's retain_until to an earlier date (recompute.c),
 *          for the report's alert; the IPP is copied, so an entry outlives
 *          a destroyed dossier.
 *
 * Dates are rd_date day numbers, NULL for DATE_NONE; times are unix seconds.
 */
#include "config.h"

#include "store/store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

#define MARK_DIRTY(row)                                                     \
	"UPDATE dossiers SET dirty = 1 WHERE patient_id = " row              \
	".patient_id AND dirty = 0;"

#define FACT_TRIGGERS(table)                                                \
	"CREATE TRIGGER " table "_ai AFTER INSERT ON " table " BEGIN "     \
	MARK_DIRTY("new") " END;\n"                                   \
	"CREATE TRIGGER " table "_au AFTER UPDATE ON " table " BEGIN "     \
	MARK_DIRTY("old") " " MARK_DIRTY("new") " END;\n"      \
	"CREATE TRIGGER " table "_ad AFTER DELETE ON " table " BEGIN "     \
	MARK_DIRTY("old") " END;\n"

static const char schema_v1[] =
	"CREATE TABLE patients (\n"
	"  id          INTEGER PRIMARY KEY,\n"
	"  ipp         TEXT NOT NULL UNIQUE,\n"
	"  birth_date  INTEGER,\n"
	"  death_date  INTEGER,\n"
	"  hold_reason TEXT,\n"
	"  hold_since  INTEGER\n"
	");\n"
	"CREATE TABLE kinds (\n"
	"  id   INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE\n"
	");\n"
	"CREATE TABLE encounters (\n"
	"  encounter_id TEXT PRIMARY KEY,\n"
	"  patient_id   INTEGER NOT NULL REFERENCES patients(id),\n"
	"  kind_id      INTEGER NOT NULL REFERENCES kinds(id),\n"
	"  start_date   INTEGER NOT NULL,\n"
	"  end_date     INTEGER\n"
	");\n"
	"CREATE INDEX encounters_by_patient\n"
	"  ON encounters(patient_id, kind_id, start_date, end_date);\n"
	"CREATE TABLE transfusions (\n"
	"  transfusion_id TEXT PRIMARY KEY,\n"
	"  patient_id     INTEGER NOT NULL REFERENCES patients(id),\n"
	"  act_date       INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX transfusions_by_patient\n"
	"  ON transfusions(patient_id, act_date);\n"
	"CREATE TABLE litigations (\n"
	"  litigation_id TEXT PRIMARY KEY,\n"
	"  patient_id    INTEGER NOT NULL REFERENCES patients(id),\n"
	"  opened_on     INTEGER NOT NULL,\n"
	"  closed_on     INTEGER,\n"
	"  reference     TEXT\n"
	");\n"
	"CREATE INDEX litigations_by_patient\n"
	"  ON litigations(patient_id, opened_on, closed_on);\n"
	"CREATE TABLE batches (\n"
	"  id         INTEGER PRIMARY KEY,\n"
	"  created_on INTEGER NOT NULL,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  size       INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE TABLE proposals (\n"
	"  id           INTEGER PRIMARY KEY,\n"
	"  patient_id   INTEGER NOT NULL REFERENCES patients(id),\n"
	"  batch_id     INTEGER NOT NULL REFERENCES batches(id),\n"
	"  state        TEXT NOT NULL CHECK (state IN ('proposed', 'reviewed',\n"
	"                 'approved', 'refused', 'visaed', 'kept', 'destroyed',\n"
	"                 'withdrawn')),\n"
	"  retain_until INTEGER,\n"
	"  basis        TEXT,\n"
	"  created_at   INTEGER NOT NULL,\n"
	"  updated_at   INTEGER NOT NULL,\n"
	"  reason       TEXT\n"
	");\n"
	"CREATE UNIQUE INDEX proposals_current\n"
	"  ON proposals(patient_id) WHERE state <> 'withdrawn';\n"
	"CREATE INDEX proposals_by_batch ON proposals(batch_id);\n"
	"CREATE INDEX proposals_by_state ON proposals(state);\n"
	"CREATE TABLE dossiers (\n"
	"  patient_id   INTEGER PRIMARY KEY REFERENCES patients(id),\n"
	"  status       INTEGER CHECK (status BETWEEN 0 AND 3),\n"
	"  retain_until INTEGER,\n"
	"  basis        TEXT,\n"
	"  computed_on  INTEGER,\n"
	"  dirty        INTEGER NOT NULL DEFAULT 1,\n"
	"  proposal_id  INTEGER REFERENCES proposals(id)\n"
	");\n"
	"CREATE INDEX dossiers_by_status ON dossiers(status, retain_until);\n"
	"CREATE INDEX dossiers_dirty ON dossiers(patient_id) WHERE dirty = 1;\n"
	"CREATE INDEX dossiers_unproposed ON dossiers(patient_id)\n"
	"  WHERE status = 1 AND proposal_id IS NULL;\n"
	"CREATE TABLE meta (\n"
	"  key   TEXT PRIMARY KEY,\n"
	"  value TEXT NOT NULL\n"
	") WITHOUT ROWID;\n"
	"CREATE TRIGGER patients_ai AFTER INSERT ON patients BEGIN\n"
	"  INSERT INTO dossiers(patient_id) VALUES (new.id);\n"
	"END;\n"
	"CREATE TRIGGER patients_au AFTER UPDATE ON patients BEGIN\n"
	"  UPDATE dossiers SET dirty = 1 WHERE patient_id = new.id AND dirty = 0;\n"
	"END;\n"
	FACT_TRIGGERS("encounters")
	FACT_TRIGGERS("transfusions")
	FACT_TRIGGERS("litigations")
	"CREATE TRIGGER proposals_ai AFTER INSERT ON proposals\n"
	"  WHEN new.state <> 'withdrawn' BEGIN\n"
	"  UPDATE dossiers SET proposal_id = new.id\n"
	"    WHERE patient_id = new.patient_id;\n"
	"END;\n"
	"CREATE TRIGGER proposals_withdrawn AFTER UPDATE OF state ON proposals\n"
	"  WHEN new.state = 'withdrawn' AND old.state <> 'withdrawn' BEGIN\n"
	"  UPDATE dossiers SET proposal_id = NULL\n"
	"    WHERE patient_id = new.patient_id AND proposal_id = new.id;\n"
	"END;\n";

/*
 * Version 2: the register and the journal. SQLite cannot change a column's
 * constraints in place, so proposals is rebuilt (create, copy, drop,
 * rename; its indexes and triggers go with the old table and are made
 * again), with foreign keys off around the migration as SQLite's ALTER
 * TABLE documentation prescribes and checked before the commit. The IPP
 * and extreme dates of existing proposals are taken from the facts as
 * they are now, the best that is known.
 */
static const char schema_v2[] =
	"CREATE TABLE proposals_v2 (\n"
	"  id              INTEGER PRIMARY KEY,\n"
	"  patient_id      INTEGER REFERENCES patients(id) ON DELETE SET NULL,\n"
	"  batch_id        INTEGER NOT NULL REFERENCES batches(id),\n"
	"  state           TEXT NOT NULL CHECK (state IN ('proposed',\n"
	"                    'reviewed', 'approved', 'refused', 'visaed', 'kept',\n"
	"                    'destroyed', 'withdrawn')),\n"
	"  retain_until    INTEGER,\n"
	"  basis           TEXT,\n"
	"  created_at      INTEGER NOT NULL,\n"
	"  updated_at      INTEGER NOT NULL,\n"
	"  reason          TEXT,\n"
	"  ipp             TEXT,\n"
	"  first_date      INTEGER,\n"
	"  last_date       INTEGER,\n"
	"  opinion         TEXT CHECK (opinion IN ('favorable', 'unfavorable')),\n"
	"  opinion_comment TEXT,\n"
	"  opinion_by      TEXT,\n"
	"  opinion_at      INTEGER,\n"
	"  decided_by      TEXT,\n"
	"  decided_at      INTEGER,\n"
	"  override_reason TEXT,\n"
	"  visa_reference  TEXT,\n"
	"  visa_at         INTEGER,\n"
	"  certificate     TEXT,\n"
	"  destroyed_at    INTEGER\n"
	");\n"
	"INSERT INTO proposals_v2(id, patient_id, batch_id, state, retain_until,\n"
	"  basis, created_at, updated_at, reason, ipp, first_date, last_date)\n"
	"  SELECT p.id, p.patient_id, p.batch_id, p.state, p.retain_until,\n"
	"    p.basis, p.created_at, p.updated_at, p.reason, t.ipp,\n"
	"    (SELECT min(start_date) FROM encounters e\n"
	"      WHERE e.patient_id = p.patient_id),\n"
	"    (SELECT max(coalesce(end_date, start_date)) FROM encounters e\n"
	"      WHERE e.patient_id = p.patient_id)\n"
	"  FROM proposals p LEFT JOIN patients t ON t.id = p.patient_id;\n"
	"DROP TABLE proposals;\n"
	"ALTER TABLE proposals_v2 RENAME TO proposals;\n"
	"CREATE UNIQUE INDEX proposals_current ON proposals(patient_id)\n"
	"  WHERE patient_id IS NOT NULL AND state <> 'withdrawn';\n"
	"CREATE INDEX proposals_by_batch ON proposals(batch_id);\n"
	"CREATE INDEX proposals_by_state ON proposals(state);\n"
	/* A re-imported IPP is looked up in the register (STORE_REBORN). */
	"CREATE INDEX proposals_by_ipp ON proposals(ipp, state);\n"
	"CREATE TRIGGER proposals_ai AFTER INSERT ON proposals\n"
	"  WHEN new.state <> 'withdrawn' BEGIN\n"
	"  UPDATE dossiers SET proposal_id = new.id\n"
	"    WHERE patient_id = new.patient_id;\n"
	"END;\n"
	"CREATE TRIGGER proposals_withdrawn AFTER UPDATE OF state ON proposals\n"
	"  WHEN new.state = 'withdrawn' AND old.state <> 'withdrawn' BEGIN\n"
	"  UPDATE dossiers SET proposal_id = NULL\n"
	"    WHERE patient_id = new.patient_id AND proposal_id = new.id;\n"
	"END;\n"
	"ALTER TABLE batches ADD COLUMN visa_reference TEXT;\n"
	"ALTER TABLE batches ADD COLUMN visa_at INTEGER;\n"
	"ALTER TABLE batches ADD COLUMN certificate TEXT;\n"
	"ALTER TABLE batches ADD COLUMN destroyed_at INTEGER;\n"
	/* The explicit id is hashed: never reused, never AUTOINCREMENT's
	 * sqlite_sequence, which is one more thing to tamper with. */
	"CREATE TABLE audit (\n"
	"  id        INTEGER PRIMARY KEY,\n"
	"  at        INTEGER NOT NULL,\n"
	"  user      TEXT NOT NULL,\n"
	"  uid       INTEGER NOT NULL,\n"
	"  role      TEXT NOT NULL,\n"
	"  action    TEXT NOT NULL,\n"
	"  target    TEXT,\n"
	"  details   TEXT,\n"
	"  prev_hash TEXT NOT NULL,\n"
	"  hash      TEXT NOT NULL\n"
	");\n"
	"CREATE INDEX audit_by_at ON audit(at);\n";

/*
 * Version 3: the outbox of the nightly report and the journal of dates
 * moved earlier. New tables only: existing rows are untouched. The partial
 * index holds the unsent messages alone, so "what is due" stays an index
 * range however many reports were sent over the years; queries name the
 * state as `state <> 'sent'` so that SQLite can use it.
 */
static const char schema_v3[] =
	"CREATE TABLE outbox (\n"
	"  id              INTEGER PRIMARY KEY,\n"
	"  created_at      INTEGER NOT NULL,\n"
	"  subject         TEXT NOT NULL,\n"
	"  recipients      TEXT NOT NULL,\n"
	"  message         BLOB NOT NULL,\n"
	"  state           TEXT NOT NULL DEFAULT 'queued'\n"
	"                    CHECK (state IN ('queued', 'sending', 'sent')),\n"
	"  attempts        INTEGER NOT NULL DEFAULT 0,\n"
	"  next_attempt_at INTEGER NOT NULL,\n"
	"  last_error      TEXT,\n"
	"  sent_at         INTEGER\n"
	");\n"
	"CREATE INDEX outbox_due ON outbox(next_attempt_at, id)\n"
	"  WHERE state <> 'sent';\n"
	"CREATE TABLE earlier_dates (\n"
	"  id        INTEGER PRIMARY KEY,\n"
	"  ipp       TEXT NOT NULL,\n"
	"  old_until INTEGER NOT NULL,\n"
	"  new_until INTEGER NOT NULL,\n"
	"  at        INTEGER NOT NULL\n"
	");\n";

/*
 * Version 4: running totals, so that `status` reads a handful of rows
 * instead of counting ten million (COUNT(*) visits every index entry).
 * Triggers keep those of the tables that change a row per dossier; the
 * fact tables, which an import fills by the million, are counted by the
 * store itself and added once per transaction (store_commit), since a
 * trigger per row made imports 40% slower (doc/performance.md).
 */
#define BUMP(key, delta)                                                     \
	"INSERT INTO counts(name, n) VALUES (" key ", " delta ")"             \
	" ON CONFLICT(name) DO UPDATE SET n = n + excluded.n;"
#define ROW_COUNTER(table, key)                                              \
	"CREATE TRIGGER cnt_" table "_ai AFTER INSERT ON " table " BEGIN "  \
	BUMP("'" key "'", "1") " END;\n"                                      \
	"CREATE TRIGGER cnt_" table "_ad AFTER DELETE ON " table " BEGIN "  \
	BUMP("'" key "'", "-1") " END;\n"
#define STATUS_KEY(row) "'status.' || ifnull(" row ".status, 'none')"

static const char schema_v4[] =
	"CREATE TABLE counts (\n"
	"  name TEXT PRIMARY KEY,\n"
	"  n    INTEGER NOT NULL\n"
	") WITHOUT ROWID;\n"
	"INSERT INTO counts SELECT 'patients', count(*) FROM patients;\n"
	"INSERT INTO counts SELECT 'encounters', count(*) FROM encounters;\n"
	"INSERT INTO counts SELECT 'transfusions', count(*) FROM transfusions;\n"
	"INSERT INTO counts SELECT 'litigations', count(*) FROM litigations;\n"
	"INSERT INTO counts SELECT 'batches', count(*) FROM batches;\n"
	"INSERT INTO counts SELECT 'dirty', count(*) FROM dossiers WHERE dirty = 1;\n"
	"INSERT INTO counts SELECT 'status.' || ifnull(status, 'none'), count(*)\n"
	"  FROM dossiers GROUP BY status;\n"
	"INSERT INTO counts SELECT 'proposals.' || state, count(*)\n"
	"  FROM proposals GROUP BY state;\n"
	ROW_COUNTER("patients", "patients")
	ROW_COUNTER("batches", "batches")
	"CREATE TRIGGER cnt_dossiers_ai AFTER INSERT ON dossiers BEGIN "
	BUMP(STATUS_KEY("new"), "1") BUMP("'dirty'", "new.dirty") " END;\n"
	"CREATE TRIGGER cnt_dossiers_ad AFTER DELETE ON dossiers BEGIN "
	BUMP(STATUS_KEY("old"), "-1") BUMP("'dirty'", "-old.dirty") " END;\n"
	"CREATE TRIGGER cnt_dossiers_status AFTER UPDATE OF status ON dossiers\n"
	"  WHEN old.status IS NOT new.status BEGIN "
	BUMP(STATUS_KEY("old"), "-1") BUMP(STATUS_KEY("new"), "1") " END;\n"
	"CREATE TRIGGER cnt_dossiers_dirty AFTER UPDATE OF dirty ON dossiers\n"
	"  WHEN old.dirty <> new.dirty BEGIN "
	BUMP("'dirty'", "new.dirty - old.dirty") " END;\n"
	"CREATE TRIGGER cnt_proposals_ai AFTER INSERT ON proposals BEGIN "
	BUMP("'proposals.' || new.state", "1") " END;\n"
	"CREATE TRIGGER cnt_proposals_ad AFTER DELETE ON proposals BEGIN "
	BUMP("'proposals.' || old.state", "-1") " END;\n"
	"CREATE TRIGGER cnt_proposals_state AFTER UPDATE OF state ON proposals\n"
	"  WHEN old.state <> new.state BEGIN "
	BUMP("'proposals.' || old.state", "-1") BUMP("'proposals.' || new.state", "1")
	" END;\n";

/*
 * Version 5: the fact tables lose their dirty-marking triggers, a
 * sub-program run for every row an import writes. The store marks the
 * dossiers itself (upsert.c, facts.c; a destruction deletes the dossier
 * first), once per run of a patient's rows, or set-based after a bulk load
 * (bulk.c). Marks already made stay: no row changes.
 */
#define DROP_FACT_TRIGGERS(table)                                            \
	"DROP TRIGGER " table "_ai;\n"                                        \
	"DROP TRIGGER " table "_au;\n"                                        \
	"DROP TRIGGER " table "_ad;\n"

static const char schema_v5[] =
	DROP_FACT_TRIGGERS("encounters")
	DROP_FACT_TRIGGERS("transfusions")
	DROP_FACT_TRIGGERS("litigations");

/*
 * Version 6: no trigger is left on patients and dossiers. A trigger makes
 * its statement a multi-row write that may abort halfway, for which SQLite
 * keeps a statement journal: the original of every page the statement
 * changes, copied and allocated anew, then written to a temporary file
 * for the rest of the transaction once one statement outgrew 64 KiB. That
 * copy was a third of an import's time (doc/performance.md). The store
 * now creates the dossier row with its patient, marks the dossier dirty
 * when the patient changes (upsert.c, facts.c), and keeps the totals of
 * patients, dirty dossiers and dossiers by status in C (store_count), as
 * it has kept the fact tables' since version 4. The totals are right when
 * the migration runs (the triggers kept them) and carry on from there.
 * Batches and proposals, written a row at a time by the workflow, keep
 * their triggers.
 */
static const char schema_v6[] =
	"DROP TRIGGER patients_ai;\n"
	"DROP TRIGGER patients_au;\n"
	"DROP TRIGGER cnt_patients_ai;\n"
	"DROP TRIGGER cnt_patients_ad;\n"
	"DROP TRIGGER cnt_dossiers_ai;\n"
	"DROP TRIGGER cnt_dossiers_ad;\n"
	"DROP TRIGGER cnt_dossiers_status;\n"
	"DROP TRIGGER cnt_dossiers_dirty;\n";

/*
 * Version 7: encounter_id, the text primary key of encounters, becomes a
 * unique index on a rowid table. A primary key is part of its table and
 * cannot be dropped, so a first load of fifty million encounters inserted
 * each id at a random place of a 1 GB B-tree (ids sort as text, and a
 * file is ordered by patient); an index can be dropped with the covering
 * one and built again by a sort (bulk.c), and the rows are appended. A
 * lookup by id then reads the index and the row, two B-trees instead of
 * one, but the index is smaller, built full rather than split at random.
 * The migration copies the table: about a minute per 10 million dossiers,
 * once.
 */
static const char schema_v7[] =
	"CREATE TABLE encounters_v7 (\n"
	"  encounter_id TEXT NOT NULL,\n"
	"  patient_id   INTEGER NOT NULL REFERENCES patients(id),\n"
	"  kind_id      INTEGER NOT NULL REFERENCES kinds(id),\n"
	"  start_date   INTEGER NOT NULL,\n"
	"  end_date     INTEGER\n"
	");\n"
	"INSERT INTO encounters_v7 SELECT encounter_id, patient_id, kind_id,"
	" start_date, end_date FROM encounters;\n"
	"DROP TABLE encounters;\n"
	"ALTER TABLE encounters_v7 RENAME TO encounters;\n"
	"CREATE UNIQUE INDEX encounters_by_id ON encounters(encounter_id);\n"
	"CREATE INDEX encounters_by_patient\n"
	"  ON encounters(patient_id, kind_id, start_date, end_date);\n";

/*
 * Version 8: encounters clustered by patient, a WITHOUT ROWID table keyed
 * by (patient_id, encounter_id), with the unique index of encounter_id
 * beside it. The table then holds its rows in the order of the covering
 * index it replaces: a row goes into two B-trees instead of three, a first
 * load sorted by patient appends to the table, and a nightly change dirties
 * one page less. A lookup by id reads the index, then the table by its key.
 * Rows out of patient order in a first load are set aside and merged in
 * order at its end (append.c). The copy is made in key order, so that the
 * new table is appended to.
 */
static const char schema_v8[] =
	"CREATE TABLE encounters_v8 (\n"
	"  encounter_id TEXT NOT NULL,\n"
	"  patient_id   INTEGER NOT NULL REFERENCES patients(id),\n"
	"  kind_id      INTEGER NOT NULL REFERENCES kinds(id),\n"
	"  start_date   INTEGER NOT NULL,\n"
	"  end_date     INTEGER,\n"
	"  PRIMARY KEY (patient_id, encounter_id)\n"
	") WITHOUT ROWID;\n"
	"INSERT INTO encounters_v8 SELECT encounter_id, patient_id, kind_id,"
	" start_date, end_date FROM encounters ORDER BY patient_id, encounter_id;\n"
	"DROP TABLE encounters;\n"
	"ALTER TABLE encounters_v8 RENAME TO encounters;\n"
	"CREATE UNIQUE INDEX encounters_by_id ON encounters(encounter_id);\n";

/* migrations[i] takes the schema from version i to version i + 1. */
static const char *const migrations[] = {
	schema_v1,
	schema_v2,
	schema_v3,
	schema_v4,
	schema_v5,
	schema_v6,
	schema_v7,
	schema_v8,
};

const char *store_schema_migration(int v)
{
	if (v < 0 || v >= STORE_SCHEMA_VERSION)
		return NULL;
	return migrations[v];
}

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
		       STORE_SCHEMA_VERSION,
	       "one migration per schema version");

int store_schema_version(struct store *st, int *out)
{
	sqlite3_stmt *s = NULL;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, rc);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		r = store_fail(st, rc);
		goto out;
	}
	*out = sqlite3_column_int(s, 0);
out:
	sqlite3_finalize(s);
	return r;
}

static int exec(struct store *st, const char *sql)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_fail(st, rc);
}

/* After a rebuild: every foreign key still points at a row. */
static int check_foreign_keys(struct store *st)
{
	sqlite3_stmt *s = NULL;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(st->db, "PRAGMA foreign_key_check", -1, &s,
				NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, rc);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		r = store_error(st, -EIO,
				"migration broke a foreign key of table %s",
				(const char *)sqlite3_column_text(s, 0));
	else if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
	sqlite3_finalize(s);
	return r;
}

/* Who is told while a migration runs, and when next. */
struct migration_watch {
	store_migration_fn fn;
	void *ctx;
	int from;
	struct timespec next;
};

static void watch_tell(struct migration_watch *w)
{
	w->fn(w->ctx, w->from, STORE_SCHEMA_VERSION);
	clock_gettime(CLOCK_MONOTONIC, &w->next);
	w->next.tv_sec += STORE_MIGRATION_TICK_S;
}

/* SQLite's progress handler: called between virtual machine steps, so
 * it is told only while SQLite works (a long sort, in one step, delays
 * it: the service manager's extension must outlast one). */
static int watch_progress(void *arg)
{
	struct migration_watch *w = arg;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > w->next.tv_sec ||
	    (now.tv_sec == w->next.tv_sec && now.tv_nsec >= w->next.tv_nsec))
		watch_tell(w);
	return 0;
}

int store_schema_migrate(struct store *st, store_migration_fn fn, void *ctx)
{
	struct migration_watch w = {.fn = fn, .ctx = ctx};
	char sql[64];
	int r, version;

	r = store_schema_version(st, &version);
	if (r < 0)
		return r;
	if (version == STORE_SCHEMA_VERSION)
		return 0;

	/* A table rebuild must not fire foreign key actions or checks (a
	 * no-op inside a transaction, hence before BEGIN). */
	r = exec(st, "PRAGMA foreign_keys = OFF");
	if (r < 0)
		return r;
	r = exec(st, "BEGIN IMMEDIATE");
	if (r < 0)
		goto fail;
	/* Another process may have migrated while we waited for the lock. */
	r = store_schema_version(st, &version);
	if (r < 0)
		goto fail;
	if (version > STORE_SCHEMA_VERSION || version < 0) {
		r = store_error(st, -EPROTO,
				"database schema version %d, this program "
				"knows up to %d",
				version, STORE_SCHEMA_VERSION);
		goto fail;
	}
	/* An existing database (version 0 is a new one, created at once). */
	if (fn && version > 0) {
		w.from = version;
		watch_tell(&w);
		sqlite3_progress_handler(st->db, 10000, watch_progress, &w);
	}
	for (int v = version; v < STORE_SCHEMA_VERSION; v++) {
		r = exec(st, migrations[v]);
		if (r < 0)
			goto fail;
	}
	/* A PRAGMA takes no parameter; the value is our own constant. */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		 STORE_SCHEMA_VERSION);
	r = exec(st, sql);
	if (r < 0)
		goto fail;
	r = check_foreign_keys(st);
	if (r < 0)
		goto fail;
	r = exec(st, "COMMIT");
	if (r < 0)
		goto fail;
	sqlite3_progress_handler(st->db, 0, NULL, NULL);
	return exec(st, "PRAGMA foreign_keys = ON");
fail:
	sqlite3_progress_handler(st->db, 0, NULL, NULL);
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_exec(st->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	return r;
}
