/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the files of the store share and nobody else sees: the connection
 * struct with its cache of prepared statements, the error helpers that turn
 * SQLite codes into negative errno values, and date binding (DATE_NONE is
 * SQL NULL).
 */
#ifndef RETENTIOND_STORE_INTERNAL_H
#define RETENTIOND_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store/store.h"

/*
 * Every statement the store runs, prepared on first use and kept for the
 * life of the connection. The SQL text lives next to the code that uses it.
 */
enum store_stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_SAVEPOINT,
	STMT_RELEASE,
	STMT_ROLLBACK_TO,
	STMT_META_GET,
	STMT_META_SET,
	/* upsert.c */
	STMT_PATIENT_ID,
	STMT_PATIENT_READ,
	STMT_PATIENT_INSERT,
	STMT_PATIENT_UPDATE,
	STMT_DOSSIER_CREATE,
	STMT_KIND_ID,
	STMT_KIND_ADD,
	/* append_patients.c */
	STMT_PATIENT_NEXT_ID,
	STMT_PATIENT_BATCH,
	STMT_DOSSIER_BATCH,
	/* append.c */
	STMT_ENCOUNTER_APPEND_BATCH,
	STMT_ENCOUNTER_LATE_BATCH,
	STMT_ENCOUNTER_LATE,
	STMT_TRANSFUSION_UPSERT,
	STMT_LITIGATION_UPSERT,
	/* recompute.c */
	STMT_KINDS_ALL,
	STMT_DIRTY_PAGE,
	STMT_DUE_PAGE,
	STMT_ANOMALY_PAGE,
	STMT_MARK_ALL_DIRTY,
	STMT_FACTS_PATIENT,
	STMT_FACTS_ENCOUNTERS,
	STMT_FACTS_TRANSFUSIONS,
	STMT_FACTS_LITIGATIONS,
	STMT_ALL_PATIENTS,
	STMT_ALL_ENCOUNTERS,
	STMT_ALL_TRANSFUSIONS,
	STMT_ALL_LITIGATIONS,
	STMT_STATE_GET,
	STMT_STATE_SET,
	STMT_STATE_CREATE,
	STMT_ALL_STATES,
	STMT_DOSSIERS_MAX,
	STMT_DIRTY_COUNT,
	STMT_PATIENTS_RANGE,
	STMT_ANOMALY_CHECKED,
	STMT_STATE_CLEAN,
	STMT_STATE_TOUCH,
	STMT_STATE_UPSERT,
	STMT_STATE_UPSERT_64,
	STMT_WITHDRAW_READ,
	STMT_WITHDRAW,
	/* proposals.c */
	STMT_UNPROPOSED_PAGE,
	STMT_BATCH_ADD,
	STMT_BATCH_SIZE,
	STMT_PROPOSAL_ADD,
	STMT_PROPOSALS_ALL,
	STMT_PROPOSALS_BY_STATE,
	STMT_PROPOSALS_BY_BATCH,
	/* workflow.c */
	STMT_STEP_READ,
	STMT_STEP_UPDATE,
	STMT_DESTROY_DOSSIER_READ,
	STMT_DESTROY_DOSSIER,
	STMT_DESTROY_ENCOUNTERS,
	STMT_DESTROY_TRANSFUSIONS,
	STMT_DESTROY_LITIGATIONS,
	STMT_DESTROY_PATIENT,
	STMT_BATCH_GET,
	STMT_BATCH_BY_STATE,
	STMT_BATCH_EXISTS,
	STMT_BATCH_IDS,
	STMT_BATCH_SET_VISA,
	STMT_BATCH_SET_CERTIFICATE,
	STMT_BORDEREAU,
	/* facts.c */
	STMT_HOLD_READ,
	STMT_HOLD_SET,
	STMT_LITIGATION_OPEN,
	STMT_LITIGATION_READ,
	STMT_LITIGATION_CLOSE,
	/* upsert.c */
	STMT_REGISTER_DESTROYED,
	/* audit.c */
	STMT_AUDIT_LAST,
	STMT_AUDIT_ADD,
	STMT_AUDIT_SINCE,
	STMT_AUDIT_ALL,
	STMT_AUDIT_VERIFY,
	/* queries.c */
	STMT_LOAD_PATIENT,
	STMT_LOAD_ENCOUNTERS,
	STMT_LOAD_TRANSFUSIONS,
	STMT_LOAD_LITIGATIONS,
	STMT_COUNT_ROWS,
	STMT_COUNT_ADD,
	STMT_FORECAST_MONTHS,
	STMT_FORECAST_EACH,
	/* outbox.c */
	STMT_OUTBOX_ADD,
	STMT_OUTBOX_NEXT_DUE,
	STMT_OUTBOX_NEXT_AT,
	STMT_OUTBOX_DUE_NOW,
	STMT_OUTBOX_ATTEMPT,
	STMT_OUTBOX_SENT,
	STMT_OUTBOX_FAILED,
	STMT_OUTBOX_STATE,
	STMT_OUTBOX_EACH,
	/* recompute.c: a date moved earlier */
	STMT_EARLIER_ADD,
	/* upsert.c: facts written and dossiers marked from C (schema v5) */
	STMT_MARK_DIRTY,
	STMT_ENCOUNTER_READ,
	STMT_ENCOUNTER_READ_KEY,
	STMT_ENCOUNTER_INSERT,
	STMT_ENCOUNTER_UPDATE,
	STMT_TRANSFUSION_OWNER,
	STMT_LITIGATION_OWNER,
	STMT_REGISTER_ANY_DESTROYED,
	STMT__COUNT
};

/*
 * The queries of the nightly scan and of the forecast, here so that the
 * unit test can check their plans (EXPLAIN QUERY PLAN: an index, never a
 * scan of dossiers). INDEXED BY makes a lost index an error at prepare
 * time rather than a silent full scan. Statuses are literals: partial
 * indexes only match literal terms.
 */
#define STORE_SQL_DIRTY_PAGE                                                \
	"SELECT patient_id FROM dossiers INDEXED BY dossiers_dirty"          \
	" WHERE dirty = 1 AND patient_id > ?1"                               \
	" ORDER BY patient_id LIMIT ?2"
/* Retained, date passed; paged by (retain_until, patient_id). */
#define STORE_SQL_DUE_PAGE                                                  \
	"SELECT patient_id, retain_until FROM dossiers"                      \
	" INDEXED BY dossiers_by_status"                                     \
	" WHERE status = 0 AND retain_until < ?1"                            \
	"  AND (retain_until, patient_id) > (?2, ?3)"                        \
	" ORDER BY retain_until, patient_id LIMIT ?4"
/*
 * The anomalies that the passing of time may have resolved (binds ?1
 * cursor, ?2 page size, ?3 today). An anomaly has no date (rules.md), so
 * the index is in patient_id order within it. Only these checks depend on
 * today, each "a stored date after today": birth, death, an encounter's
 * start or end, a transfusion, a litigation's opening or closing. The row
 * was written (computed_on, set by every write) from the dossier's current
 * facts, or it would be dirty; its anomalies that do not depend on today
 * are still there, and the ones that do were dates after computed_on. So
 * the dossier can only have changed when one of its dates lies in
 * (computed_on, today]: the others keep exactly the stored state. The
 * re-check of one that is still an anomaly sets computed_on (recompute.c)
 * so that it is not selected again for the same date.
 */
#define STORE_SQL_ANOMALY_DATE(col) \
	"(" col " > d.computed_on AND " col " <= ?3)"
#define STORE_SQL_ANOMALY_PAGE                                              \
	"SELECT d.patient_id FROM dossiers d INDEXED BY dossiers_by_status"  \
	" WHERE d.status = 3 AND d.retain_until IS NULL"                     \
	"  AND d.patient_id > ?1"                                            \
	"  AND (d.dirty = 1 OR d.computed_on IS NULL"                        \
	"   OR EXISTS (SELECT 1 FROM patients p WHERE p.id = d.patient_id"   \
	"    AND (" STORE_SQL_ANOMALY_DATE("p.birth_date")                   \
	"     OR " STORE_SQL_ANOMALY_DATE("p.death_date") "))"               \
	"   OR EXISTS (SELECT 1 FROM encounters e"                           \
	"    WHERE e.patient_id = d.patient_id"                              \
	"    AND (" STORE_SQL_ANOMALY_DATE("e.start_date")                   \
	"     OR " STORE_SQL_ANOMALY_DATE("e.end_date") "))"                 \
	"   OR EXISTS (SELECT 1 FROM transfusions t"                         \
	"    INDEXED BY transfusions_by_patient"                             \
	"    WHERE t.patient_id = d.patient_id"                              \
	"    AND " STORE_SQL_ANOMALY_DATE("t.act_date") ")"                  \
	"   OR EXISTS (SELECT 1 FROM litigations l"                          \
	"    INDEXED BY litigations_by_patient"                              \
	"    WHERE l.patient_id = d.patient_id"                              \
	"    AND (" STORE_SQL_ANOMALY_DATE("l.opened_on")                    \
	"     OR " STORE_SQL_ANOMALY_DATE("l.closed_on") ")))"               \
	" ORDER BY d.patient_id LIMIT ?2"
/* A dirty dossier's status is stale: it waits for its recompute. */
#define STORE_SQL_UNPROPOSED_PAGE                                           \
	"SELECT patient_id, retain_until, basis FROM dossiers"               \
	" INDEXED BY dossiers_unproposed"                                    \
	" WHERE status = 1 AND proposal_id IS NULL AND dirty = 0"            \
	"  AND patient_id > ?1"                                              \
	" ORDER BY patient_id LIMIT ?2"
#define STORE_SQL_FORECAST_MONTHS                                           \
	"SELECT retain_until FROM dossiers INDEXED BY dossiers_by_status"    \
	" WHERE status = 0 AND retain_until >= ?1 AND retain_until < ?2"     \
	" ORDER BY retain_until"
#define STORE_SQL_FORECAST_EACH                                             \
	"SELECT t.ipp, d.retain_until, d.basis"                              \
	" FROM dossiers d INDEXED BY dossiers_by_status"                     \
	" JOIN patients t ON t.id = d.patient_id"                            \
	" WHERE d.status = 0 AND d.retain_until >= ?1"                       \
	"  AND d.retain_until < ?2"                                          \
	" ORDER BY d.retain_until, t.ipp LIMIT ?3"

/* report.c: open proposals, the oldest waiting first. */
#define STORE_SQL_REPORT_PENDING                                            \
	"SELECT state, batch_id, count(*), min(updated_at) FROM proposals"  \
	" INDEXED BY proposals_by_state"                                    \
	" WHERE state IN ('proposed', 'reviewed', 'approved', 'visaed')"    \
	" GROUP BY state, batch_id"                                         \
	" ORDER BY min(updated_at), batch_id,"                              \
	"  CASE state WHEN 'proposed' THEN 0 WHEN 'reviewed' THEN 1"        \
	"   WHEN 'approved' THEN 2 ELSE 3 END"
/*
 * Held (2) and anomaly (3) dossiers: an open litigation makes a dossier
 * held unless its data is an anomaly, and a hold too. CROSS JOIN keeps
 * the dossiers' index range as the outer loop.
 */
#define STORE_SQL_REPORT_HOLDS                                              \
	"SELECT p.ipp, p.hold_reason, p.hold_since"                         \
	" FROM dossiers d INDEXED BY dossiers_by_status"                    \
	" CROSS JOIN patients p ON p.id = d.patient_id"                     \
	" WHERE d.status IN (2, 3) AND p.hold_reason IS NOT NULL"           \
	" ORDER BY p.hold_since, p.ipp LIMIT ?1"
#define STORE_SQL_REPORT_OPEN_LITIGATIONS                                   \
	"SELECT l.litigation_id, p.ipp, l.opened_on, l.reference"           \
	" FROM dossiers d INDEXED BY dossiers_by_status"                    \
	" CROSS JOIN litigations l ON l.patient_id = d.patient_id"          \
	" CROSS JOIN patients p ON p.id = d.patient_id"                     \
	" WHERE d.status IN (2, 3) AND l.closed_on IS NULL"                 \
	" ORDER BY l.opened_on, l.litigation_id LIMIT ?1"
#define STORE_SQL_REPORT_ANOMALIES                                          \
	"SELECT p.ipp FROM dossiers d INDEXED BY dossiers_by_status"        \
	" CROSS JOIN patients p ON p.id = d.patient_id"                     \
	" WHERE d.status = 3 ORDER BY p.ipp LIMIT ?1"
#define STORE_SQL_REPORT_ANOMALY_COUNT                                      \
	"SELECT count(*) FROM dossiers INDEXED BY dossiers_by_status"       \
	" WHERE status = 3"
#define STORE_SQL_REPORT_COUNT_DUE                                          \
	"SELECT count(*) FROM dossiers INDEXED BY dossiers_by_status"       \
	" WHERE status = 0 AND retain_until >= ?1 AND retain_until < ?2"
/* A scan, of one row per night at most (batches are never many). */
#define STORE_SQL_REPORT_BATCHES_SINCE                                      \
	"SELECT id FROM batches WHERE created_at > ?1 ORDER BY id"
#define STORE_SQL_REPORT_EARLIER                                            \
	"SELECT id, ipp, old_until, new_until, at FROM earlier_dates"       \
	" WHERE id > ?1 ORDER BY id LIMIT ?2"

/* Who acts (store_set_actor), copied: the caller's strings may go. */
struct store_actor_copy {
	bool set;
	char user[256];
	int64_t uid;
	char role[32];
	int64_t now;
};

/*
 * The running totals the store keeps itself (schema v6: no trigger), as
 * deltas of the open transaction that store_commit adds to the counts
 * table: the fact tables, the patients, the dirty dossiers and the
 * dossiers of each status (STORE_COUNT_STATUS + enum engine_status;
 * STORE_COUNT_STATUS_NONE for a dossier never computed).
 */
enum store_counter {
	STORE_FACT_ENCOUNTERS,
	STORE_FACT_TRANSFUSIONS,
	STORE_FACT_LITIGATIONS,
	STORE_N_FACTS,
	STORE_COUNT_PATIENTS = STORE_N_FACTS,
	STORE_COUNT_DIRTY,
	STORE_COUNT_STATUS_NONE,
	STORE_COUNT_STATUS,
	STORE_N_COUNTERS = STORE_COUNT_STATUS + 4,
};

/*
 * upsert.c: lookups remembered for the rest of the transaction. Only used
 * inside one (the write lock keeps other writers out), and forgotten at
 * its every boundary: a kind or patient created by a transaction that
 * rolls back is gone, and its id may be given to another row.
 */
#define STORE_CACHE_KEY 65 /* bytes of a cached IPP or kind name, NUL too */
#define STORE_CACHE_KINDS 32
struct store_upsert_cache {
	char ipp[STORE_CACHE_KEY]; /* "" when none */
	int64_t ipp_pid;
	struct {
		char name[STORE_CACHE_KEY];
		int64_t id;
	} kinds[STORE_CACHE_KINDS];
	size_t n_kinds;
	int destroyed_any; /* register holds a destroyed dossier: -1 unknown */
};

/* bulk.c: a table's own indexes, dropped for a bulk write and built
 * again by one sort each (store_indexes_drop, store_indexes_rebuild). */
#define STORE_BULK_MAX_INDEXES 4
struct store_index_set {
	char *sql[STORE_BULK_MAX_INDEXES]; /* to rebuild (sqlite3_free) */
	size_t n;
	size_t n_dropped; /* the first n_dropped of sql are dropped */
};

/* bulk.c: an import session of one table (store_import_begin). */
/*
 * Rows of a session before it turns bulk. Dropping and building an index
 * changes the schema, which costs every cached statement a new prepare
 * (tens of ms): worth it for a large first load only.
 */
#define STORE_BULK_AFTER 50000
/*
 * A bulk session's encounters wait here to be inserted STORE_APPEND_BATCH
 * at a time by one multi-row INSERT (append.c): SQLite's work per
 * statement (reset, the VDBE's start and halt) then comes once per batch
 * instead of once per row, a third of an append's cost
 * (doc/performance.md). An id longer than STORE_APPEND_ID bytes is
 * inserted alone, after the rows before it.
 */
#define STORE_APPEND_BATCH 64
#define STORE_APPEND_ID 64
/* The VALUES of a batch, r being one row's tuple. */
#define STORE_ROWS_4(r) r "," r "," r "," r
#define STORE_ROWS_16(r)                                                     \
	STORE_ROWS_4(r) "," STORE_ROWS_4(r) "," STORE_ROWS_4(r) ","          \
		STORE_ROWS_4(r)
#define STORE_ROWS_64(r)                                                     \
	STORE_ROWS_16(r) "," STORE_ROWS_16(r) "," STORE_ROWS_16(r) ","       \
		STORE_ROWS_16(r)
/* An encounter's columns but its id (upsert.c). */
struct store_encounter_row {
	int64_t pid, kid;
	rd_date start, end;
};
static inline bool store_encounter_same(const struct store_encounter_row *a,
					const struct store_encounter_row *b)
{
	return a->pid == b->pid && a->kid == b->kid && a->start == b->start &&
	       a->end == b->end;
}
struct store_append {
	size_t n;
	struct {
		char id[STORE_APPEND_ID + 1];
		struct store_encounter_row v;
		int64_t after; /* a row set aside: see struct store_import */
	} row[STORE_APPEND_BATCH];
};

struct store_import {
	bool active;
	int kind;          /* enum store_import_kind */
	bool fresh;        /* the table was empty at the start */
	bool eligible;     /* fresh, and may turn bulk */
	uint64_t rows;     /* rows upserted in the session */
	bool bulk;         /* indexes dropped, dirty marks set-based at the end */
	int64_t marked_pid; /* the dossier this session marked last, or 0 */
	struct store_index_set idx;
	/* A bulk session of encounters (append.c): the rows for the table,
	 * and those set aside, not yet inserted; the highest patient in the
	 * table, whether a row was set aside since it rose, whether the
	 * table of rows set aside exists; the repeats of a key that changed
	 * nothing, for store_import_end to return. */
	struct store_append app, late;
	int64_t last_pid;
	bool late_at_last;
	bool late_table;
	int64_t unchanged;
	/* Its dossiers evaluated from the rows (append_eval.c), or NULL. */
	struct store_load_eval *eval;
	/* A first load of patients (append_patients.c): the new patients not
	 * yet inserted, with the values of their rows. */
	struct {
		size_t n;
		struct {
			char ipp[STORE_APPEND_ID + 1];
			rd_date birth, death;
		} row[STORE_APPEND_BATCH];
	} pat;
};

struct store {
	sqlite3 *db;
	bool readonly;
	sqlite3_stmt *stmt[STMT__COUNT];
	char errmsg[256];
	struct store_actor_copy actor;

	/* store_batch_get's strings, valid until the next call. */
	char *batch_visa;
	char *batch_certificate;

	/* Scratch of the recompute, grown as needed, reused across dossiers. */
	struct engine_encounter *enc;
	size_t enc_cap;
	struct engine_transfusion *tr;
	size_t tr_cap;
	struct engine_litigation *lit;
	size_t lit_cap;
	int *kind_map; /* kinds.id -> index in the policy, or -1 */
	size_t kind_map_len;
	int64_t kind_top; /* the highest kinds.id when the map was loaded */

	/* How the recompute may run, for the tests: 0 as it sees fit, 1
	 * always, -1 never (a second thread; streaming the dirty dossiers). */
	int recompute_split;
	int recompute_stream_dirty;
	int recompute_bulk_dossiers; /* drop dossiers' indexes (recompute.c) */
	unsigned recompute_splits; /* recomputes that took two threads */
	/* Ids per chunk of a split recompute (0: its own choice), and
	 * whether the helper takes the first chunk and holds it until the
	 * writer has taken the second, which the writer then evaluates
	 * aside (recompute_split.c). */
	int64_t recompute_split_chunk;
	bool recompute_split_helper_first;
	/* Chunks of split recomputes evaluated aside, by the writer while
	 * the chunk due was the helper's, and by the helper. */
	unsigned recompute_chunks_aside, recompute_chunks_helper;
	/* sqlite3_total_changes64() when store_begin opened the transaction:
	 * while it is unchanged, the transaction has written nothing, and a
	 * second connection sees exactly what this one does. */
	int64_t changes_at_begin;
	int wal_frames; /* after the last commit (store_defer_checkpoints) */

	/* What the open transaction added to (or took from) each running
	 * total (enum store_counter), written to the counts table by
	 * store_commit. */
	int64_t count_delta[STORE_N_COUNTERS];

	struct store_upsert_cache uc;
	struct store_import imp;
	/* dossiers' indexes, dropped by a recompute that rewrites most rows
	 * (recompute.c), built again before the commit at the latest. */
	struct store_index_set dossier_idx;
	uint64_t bulk_after; /* STORE_BULK_AFTER; tests lower it */
	/* The kind (enum store_import_kind) of a bulk session whose owners
	 * are not marked yet (store_import_mark), or 0. */
	int mark_pending;
	/* store_evaluate_new, for the open transaction: the policy (NULL:
	 * new dossiers are left dirty) and day; for the next
	 * store_recompute_dirty to count, how many new dossiers were
	 * evaluated, less those marked dirty since (it evaluates and counts
	 * them itself), and how many were created (each a first result,
	 * changed); the first of them (0: none yet), ids being given in
	 * increasing order. */
	struct {
		const struct engine_policy *p;
		rd_date today;
		size_t evaluated, created;
		int64_t first_pid;
	} eval_new;
	/* What the first loads of encounters of the open transaction
	 * evaluated from their rows (append_eval.c), for the next
	 * store_recompute_dirty to count; whether they may (0, for the
	 * tests: -1 never). */
	struct store_recompute_stats load_eval_acc;
	int load_eval;
	/* Which dossiers it evaluated: bit (patient id - floor - 1). */
	struct store_load_done {
		uint8_t *bits;
		size_t cap; /* bytes */
		int64_t floor;
	} load_eval_done;
	/* The dossiers an import session of the open transaction marked
	 * dirty without writing the mark (held_marks.c); whether sessions
	 * may hold them, and how many (0: the default; for the tests, -1:
	 * none, n > 0: at most n). */
	struct store_held {
		int64_t *id;
		size_t n, cap;
	} held;
	int hold_marks;
};

/*
 * upsert.c: forget every cached lookup: at each transaction boundary (with
 * store_import_reset), and after anything that deletes patients or kinds
 * or undoes their creation.
 */
void store_upsert_forget(struct store *st);

/*
 * upsert.c: mark patient pid's dossier dirty: its facts changed (schema v5
 * has no trigger on the fact tables; every writer of them calls this).
 * Within an import session the mark is skipped when the session marked
 * this same dossier last, and left to store_import_end in bulk mode.
 */
int store_mark_dirty(struct store *st, int64_t pid);

/*
 * recompute_settle.c: the dossier row of patient pid, just created:
 * evaluated at once when store_evaluate_new gave a policy, else dirty.
 */
int store_dossier_create(struct store *st, int64_t pid, rd_date birth,
			 rd_date death);
/*
 * recompute_settle.c, for a new dossier written by other means
 * (append_patients.c): its first result, into *o, when store_evaluate_new
 * gave a policy (true), else false (the row is left dirty); then, once the
 * row is written, its count (o as the first call filled it, or NULL).
 */
struct recompute_outcome;
bool store_dossier_first(const struct store *st, rd_date birth, rd_date death,
			 struct recompute_outcome *o);
void store_dossier_counted(struct store *st, int64_t pid,
			   const struct recompute_outcome *o);

/*
 * upsert.c: a patient's row by its IPP, one at a time: 1 written, 0
 * unchanged, STORE_REBORN, or an error. store_upsert_patient without its
 * first checks, and without the batch of a first load.
 */
int store_patient_row(struct store *st, const char *ipp, rd_date birth,
		      rd_date death);
/*
 * append_patients.c: a new patient of a first load (an IPP of at most
 * STORE_APPEND_ID bytes), inserted with its dossier once
 * STORE_APPEND_BATCH of them wait: 1 or an error.
 */
int store_patient_append(struct store *st, const char *ipp, rd_date birth,
			 rd_date death);
/* append_patients.c: insert the new patients still waiting. 0 or an
 * error (then those not inserted still wait). */
int store_patients_flush(struct store *st);

/*
 * bulk.c: count a row of the session, turning it bulk at st->bulk_after
 * rows when the table was empty at its start. Called by the upserts
 * before they write; cheap unless it turns.
 */
int store_import_turn(struct store *st);
static inline int store_import_row(struct store *store)
{
	if (!store->imp.eligible)
		return 0;
	return store_import_turn(store);
}

/*
 * bulk.c: mark the owners of every row of the table a bulk session loaded
 * (st->mark_pending), which store_import_end leaves to the recompute after
 * a first load of encounters: when those rows are as many as the dossiers,
 * store_recompute_dirty evaluates every dossier instead and needs no mark.
 * Otherwise it, or store_commit, calls this. 0 or an error.
 */
int store_import_mark(struct store *st);

/* upsert.c: an encounter's row, read by id (pid 0) or by its key: 1
 * found, 0 none, or an error. */
int store_encounter_read(struct store *st, const char *id, int64_t pid,
			 struct store_encounter_row *out);
/* upsert.c: insert the row (old_pid 0), or update the one of key
 * (old_pid, id): 0 or an error. */
int store_encounter_write(struct store *st, int64_t old_pid, const char *id,
			  const struct store_encounter_row *row);
/* upsert.c: bind an encounter's five columns from parameter base + 1 on:
 * SQLITE_OK or an error of sqlite3_bind_*. */
int store_encounter_bind(sqlite3_stmt *s, int base, const char *id,
			 const struct store_encounter_row *row);

/* append.c: a row of a bulk session of encounters, into the table or set
 * aside: 1 (counted changed; store_import_end returns the repeats that
 * were not), or an error. */
int store_encounter_append(struct store *st, const char *id,
			   const struct store_encounter_row *row);
/* append.c: insert the bulk rows still waiting (struct store_append), and
 * merge those set aside into the table in its order: before anything
 * reads the table or builds its indexes. 0 or an error. */
int store_append_flush(struct store *st);
/* append.c: create the table of rows set aside, STORE_LATE_TABLE, if it
 * does not exist yet: 0 or an error. */
#define STORE_LATE_TABLE "temp.encounters_late"
int store_append_late_table(struct store *st);
/* append.c: drop the table of rows set aside, if any: 0 or an error. */
int store_append_end(struct store *st);

/*
 * append_eval.c: the dossiers of a bulk session of encounters evaluated
 * from its rows. _start, when the session turns bulk (last_pid set), if
 * store_evaluate_new gave a policy; then each row inserted in patient
 * order (_row), the patient of each row set aside (_late), of each row
 * that met its key (_repeat); _rows_end when the rows are all in, before
 * the rows set aside are merged; _end once the indexes are built, with
 * keep_all when an id came for two patients (every owner is then marked):
 * marks the patients left to the recompute, and adds the counts to
 * st->load_eval_acc. _free at the session's reset. 0 or an error.
 */
struct store_load_eval;
int store_load_eval_start(struct store *st);
int store_load_eval_row(struct store *st, const struct store_encounter_row *row);
void store_load_eval_late(struct store *st, int64_t pid);
int store_load_eval_repeat(struct store *st, int64_t pid);
int store_load_eval_rows_end(struct store *st);
int store_load_eval_end(struct store *st, bool keep_all);
void store_load_eval_free(struct store *st);
/* append_eval.c: whether pid's dossier was evaluated from the rows of a
 * load in the open transaction (its stored date was never committed). */
bool store_load_eval_unseen(const struct store *st, int64_t pid);

/* upsert.c: mark pid's dossier dirty, whatever the session: 0 or an
 * error. */
int store_mark_dirty_now(struct store *st, int64_t pid);

/*
 * Marks held (held_marks.c): an import session's dossiers to recompute,
 * kept in memory instead of written to their rows, so that the recompute
 * that follows writes each row once. store_held_add holds one (or writes
 * it, or all held so far, when memory says so); store_held_write writes
 * those held, for any reader of the marks but store_recompute_dirty;
 * store_held_sorted shows them to it, sorted and each once (n ids at
 * *ids, valid until the next call that holds or writes one), and
 * store_held_clear drops them once it has evaluated them all;
 * store_held_forget frees them with the transaction.
 */
int store_held_add(struct store *st, int64_t pid);
int store_held_write(struct store *st);
size_t store_held_sorted(struct store *st, const int64_t **ids);
void store_held_clear(struct store *st);
void store_held_forget(struct store *st);

/* bulk.c: drop the session without rebuilding anything (at a rollback,
 * which undid it; or after its end): active = false. */
void store_import_reset(struct store *st);

/*
 * bulk.c: drop table's own indexes (not a primary key's), in the open
 * transaction, adding their definitions to *set: 1 dropped, 0 left alone
 * (more than STORE_BULK_MAX_INDEXES in all), or an error (then the first
 * set->n_dropped are dropped). A rollback brings them back; otherwise
 * store_indexes_rebuild must run before the commit.
 */
int store_indexes_drop(struct store *st, const char *table,
		       struct store_index_set *set);

/* bulk.c: shrink the page cache for a sort of SQLite's (CREATE INDEX, an
 * ORDER BY without an index), which may take as much memory as the cache,
 * with or without a helper thread for the sort; then restore it. 0 or an
 * error. */
int store_sort_cache(struct store *st, bool helper);
int store_sort_cache_end(struct store *st);

/* bulk.c: build the dropped indexes again (a sort each, with a smaller
 * page cache beside it), then forget them: 0, -EEXIST when a unique index
 * met a key twice (it and those after it stay dropped), or an error. */
int store_indexes_rebuild(struct store *st, struct store_index_set *set);

/* bulk.c: forget the saved definitions (after a rollback). */
void store_indexes_free(struct store_index_set *set);

/* Add delta to running total c (enum store_counter) in the open
 * transaction. */
static inline void store_count(struct store *store, int c, int64_t delta)
{
	store->count_delta[c] += delta;
}

/* The counter of the dossiers of status (an enum engine_status, or -1
 * for a dossier never computed). */
static inline int store_status_counter(int status)
{
	return status < 0 ? STORE_COUNT_STATUS_NONE : STORE_COUNT_STATUS + status;
}

/* Rows handled between two checks of a long operation (progress, paging). */
#define STORE_PAGE 1000

#define STORE_STR_(x) #x
#define STORE_STR(x) STORE_STR_(x)
/*
 * The writer's page cache, and the smaller one it takes while CREATE INDEX
 * rebuilds an index after a bulk load (bulk.c): SQLite's sorter holds up
 * to the cache's size in memory on top of the cache itself, so the daemon
 * would peak at twice the cache (154 MB at 1M dossiers with 64 MiB). 32
 * MiB rather than 64 keeps the peak under 100 MB at 10M dossiers, for up
 * to 20% of a first load's speed (doc/performance.md). A sort with the
 * sorter's helper thread holds a run in memory for each thread: two runs
 * of STORE_SORT_HALF_KIB take what one took.
 */
#define STORE_CACHE_KIB 32768
#define STORE_SORT_CACHE_KIB 16384
#define STORE_SORT_HALF_KIB 8192

/* Open proposals: withdrawn when their dossier is no longer eligible. */
#define STORE_OPEN_STATES_SQL "('proposed','reviewed','approved','visaed')"

/*
 * The cached statement id, preparing it from sql on first use. The caller
 * resets it with store_stmt_done() before returning.
 */
int store_stmt(struct store *st, enum store_stmt id, const char *sql,
	       sqlite3_stmt **out);
/* Reset and clear bindings, so no bound pointer outlives the call. NULL ok. */
void store_stmt_done(sqlite3_stmt *s);

/* Record SQLite's message for rc and return it as a negative errno. */
int store_fail(struct store *st, int rc);
/* The same after a bind failed (the code is the connection's last error). */
int store_fail_bind(struct store *st);
/*
 * Finish a cached statement that returns no row, its parameters bound:
 * bound is the OR of the bind results. Steps it once unless a bind
 * failed, resets it, and returns 0 or the error (recorded as above).
 */
int store_step_once(struct store *st, sqlite3_stmt *s, int bound);
/* store.c: the first column of the first row of a cached query (id,
 * sql), into *out: 0, or an error (also when there is no row). */
int store_int_of(struct store *st, enum store_stmt id, const char *sql,
		 int64_t *out);
/*
 * store_step_once for a single-row INSERT, except that a violation of
 * constraint conflict (an extended result code, SQLITE_CONSTRAINT_UNIQUE
 * or _PRIMARYKEY) returns -EEXIST without recording an error: SQLite
 * checks a key before it writes anything, so the transaction goes on.
 */
int store_insert_once(struct store *st, sqlite3_stmt *s, int bound,
		      int conflict);
/* Record a message of our own and return err (a negative errno). */
int store_error(struct store *st, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Negative errno for a SQLite result code. */
int store_errno(int rc);

/* Run one statement that returns no rows (BEGIN, SAVEPOINT, ...). */
int store_exec_stmt(struct store *st, enum store_stmt id, const char *sql);
/* The same, binding ?1 to the integer v (a row's id, a time);
 * sqlite3_changes() tells what it wrote. */
int store_exec_id(struct store *st, enum store_stmt id, const char *sql,
		  int64_t v);

/* Savepoints make a multi-statement read consistent, in or out of a
 * caller's transaction. */
int store_savepoint(struct store *st);
int store_release(struct store *st);
void store_savepoint_abort(struct store *st);

static inline int store_bind_date(sqlite3_stmt *s, int i, rd_date d)
{
	return d == DATE_NONE ? sqlite3_bind_null(s, i) : sqlite3_bind_int(s, i, d);
}

static inline rd_date store_column_date(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL
		       ? DATE_NONE
		       : (rd_date)sqlite3_column_int(s, i);
}

/* A LIMIT where 0 means none (a negative LIMIT, to SQLite). */
static inline int store_bind_limit(sqlite3_stmt *s, int i, size_t limit)
{
	return sqlite3_bind_int64(s, i, limit ? (int64_t)limit : -1);
}

static inline int store_bind_text(sqlite3_stmt *s, int i, const char *t)
{
	return t ? sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC)
		 : sqlite3_bind_null(s, i);
}

/* schema.c: bring a read-write connection to STORE_SCHEMA_VERSION, telling
 * fn (if not NULL) as store_open_migrating says. */
int store_schema_migrate(struct store *st, store_migration_fn fn, void *ctx);
/* schema.c: PRAGMA user_version. */
int store_schema_version(struct store *st, int *out);
/* schema.c: the SQL taking the schema from version v to v + 1, or NULL
 * (for the migration test, which builds an old database by hand). */
const char *store_schema_migration(int v);

/* audit.c: the unix time of the current actor (time(NULL) without one). */
int64_t store_now(const struct store *st);

/*
 * audit.c: a JSON object built a member at a time, for the details of an
 * audit entry. Errors (no memory) stick and surface at store_json_end();
 * text is escaped, so reasons and comments may hold anything.
 */
struct store_json {
	char *p;
	size_t len, cap;
	int err;
};
void store_json_begin(struct store_json *j);
void store_json_str(struct store_json *j, const char *key, const char *v);
void store_json_int(struct store_json *j, const char *key, int64_t v);
void store_json_date(struct store_json *j, const char *key, rd_date d);
/* Close the object: 0 (j->p is the text) or -ENOMEM. */
int store_json_end(struct store_json *j);
void store_json_free(struct store_json *j);

/*
 * recompute.c: recompute one dossier by patient id now, as
 * store_recompute_dirty would (its open proposal withdrawn, and audited,
 * when it is no longer eligible). *res (may be NULL) gets the evaluation.
 */
int store_recompute_patient(struct store *st, const struct engine_policy *p,
			    rd_date today, int64_t pid,
			    struct engine_result *res,
			    struct store_recompute_stats *stats);
/* recompute.c: "no longer eligible: retained until ... (rule)". */
void store_withdraw_reason(const struct engine_result *res, char *buf,
			   size_t len);
/*
 * recompute.c: withdraw proposal id with reason if it is still open, and
 * audit it. 1 withdrawn, 0 it was not open.
 */
int store_proposal_withdraw(struct store *st, int64_t id, const char *reason,
			    int64_t now);

#endif
