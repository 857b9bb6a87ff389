/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The store: the SQLite database of facts (patients, encounters,
 * transfusions, litigations), the computed state of each dossier, and the
 * proposals and batches of the elimination workflow. No sqlite3 type leaves
 * this module.
 *
 * Threading: a struct store is one SQLite connection; use it from one thread
 * at a time. The daemon has one writer connection (worker thread) and one
 * reader (loop thread); WAL mode lets the reader see the last committed
 * state while the writer works. A long recompute may also run a helper
 * thread with a read-only connection of its own for its duration
 * (recompute_split.c); the caller sees none of it.
 *
 * Errors are negative errno values: -ENOENT (no such row), -EINVAL (bad
 * argument), -EBUSY (database locked), -ECANCELED (progress callback said
 * stop), -EIO (anything else SQLite reports; store_errmsg() says what).
 *
 * Dates are rd_date day numbers, stored as INTEGER; DATE_NONE is NULL.
 */
#ifndef RETENTIOND_STORE_H
#define RETENTIOND_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/date.h"
#include "engine/engine.h"
#include "engine/workflow.h"

/* Schema version reached by store_open() (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 8

struct store;

/*
 * Open (creating if missing) and migrate the database at path, in WAL mode
 * with foreign keys on. Read-only opens neither create nor migrate, and
 * fail with -EPROTO when the schema is not STORE_SCHEMA_VERSION.
 */
int store_open(const char *path, struct store **out);
int store_open_readonly(const char *path, struct store **out);

/*
 * store_open, telling fn while it migrates an existing database (from its
 * version, to STORE_SCHEMA_VERSION): once as the migration begins, then
 * every STORE_MIGRATION_TICK_S seconds or so while SQLite makes progress
 * (a copy of fifty million encounters takes minutes), so that a service
 * manager can be told the start-up goes on.
 */
#define STORE_MIGRATION_TICK_S 10
typedef void (*store_migration_fn)(void *ctx, int from, int to);
int store_open_migrating(const char *path, store_migration_fn fn, void *ctx,
			 struct store **out);
void store_close(struct store *st); /* NULL is fine */

/* The last SQLite error message of this connection (never NULL). */
const char *store_errmsg(const struct store *st);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int store_begin(struct store *st);
int store_commit(struct store *st);
int store_rollback(struct store *st);

/*
 * Checkpoints. By default SQLite copies the WAL back into the database in
 * the commit that takes it past 1000 pages, inside whatever job commits.
 * store_defer_checkpoints() turns that off for this connection, whose
 * owner then calls store_checkpoint() (PASSIVE: it never waits for
 * readers, and copies what no reader still needs) when it is idle.
 * wal_frames and copied (may be NULL) receive the WAL's frames and those
 * now in the database.
 */
int store_defer_checkpoints(struct store *st);
int store_checkpoint(struct store *st, int *wal_frames, int *copied);
/* The WAL's frames after this connection's last commit, once checkpoints
 * are deferred. Read it only where the connection is not in use. */
int store_wal_frames(const struct store *st);

/*
 * Who acts, for the audit journal: every mutation made through this
 * connection until the next call is recorded in the name of this actor,
 * at unix time now (copied). Without one (or after a call with a NULL),
 * entries name "retentiond", the effective uid, role "system" and the
 * time of the append.
 */
struct store_actor {
	const char *user; /* Unix user name */
	int64_t uid;
	const char *role; /* the role that allowed the action, or "system" */
};
void store_set_actor(struct store *st, const struct store_actor *a, int64_t now);

/* Key/value metadata (last scan, policy fingerprint...). *out malloc'd. */
int store_meta_get(struct store *st, const char *key, char **out);
int store_meta_set(struct store *st, const char *key, const char *value);

/* ------------------------------------------------------------ import
 *
 * Upserts by id, inside a transaction the caller opened. Each returns 1
 * when the row was inserted or changed (its dossier, and the previous
 * owner's when an encounter moves to another IPP, is then marked dirty),
 * 0 when it already held exactly these values, or a negative error:
 * -ENOENT when ipp is not a known patient. store_upsert_patient returns
 * STORE_REBORN instead of 1 when it creates a patient whose IPP belongs to
 * a destroyed dossier of the register: a new dossier starts (reported).
 */
#define STORE_REBORN 2
int store_upsert_patient(struct store *st, const char *ipp, rd_date birth,
			 rd_date death);
int store_upsert_encounter(struct store *st, const char *id, const char *ipp,
			   const char *kind, rd_date start, rd_date end);
int store_upsert_transfusion(struct store *st, const char *id,
			     const char *ipp, rd_date act);
int store_upsert_litigation(struct store *st, const char *id,
			    const char *ipp, rd_date opened, rd_date closed,
			    const char *reference);

/*
 * An import session of one table inside the caller's transaction: between
 * store_import_begin and store_import_end, only upserts of that kind run
 * (no recompute, no other writer of dossiers). A dossier is then marked
 * dirty once per run of rows of one patient, not once per row. The marks
 * are held in memory until the transaction's store_recompute_dirty, which
 * evaluates those dossiers by id, writing each row once; anything else
 * that reads the marks (the commit among them) writes them first.
 *
 * When a fact table is empty at store_import_begin (an establishment's
 * first load), the session turns bulk once it has written 50,000 rows: the
 * table's secondary indexes are dropped, to be built once, sorted, by
 * store_import_end, which then marks every dossier having rows set-based.
 * Encounters, clustered by patient, are appended to their table while the
 * rows come in patient order, the others set aside and merged in order by
 * store_import_end. When store_evaluate_new gave a policy, each patient's
 * dossier is evaluated from its rows as they come (its other facts read
 * beside them), and only the patients whose rows were not all seen
 * together (set aside, an id repeated, rows before the turn) are left
 * marked for store_recompute_dirty; such a dossier is counted once, and
 * raises no alert of an earlier date over the one evaluated from the
 * rows, which was never committed. Without a policy, or when an id came
 * for two patients, they leave the mark to store_recompute_dirty, which
 * evaluates every dossier instead when the rows are as many as the
 * dossiers (the next store_import_begin, or store_commit, marks them
 * otherwise).
 * A first load of patients drops the dossiers' indexes instead, which
 * store_recompute_dirty builds again once it has written every dossier
 * (unless its dossiers are evaluated as written, store_evaluate_new:
 * their index entries are then appended).
 * Everything stays in the caller's transaction, so a rollback restores the
 * indexes too. Outside a transaction, store_import_begin does nothing
 * (each row marks its dossier). store_commit, and the next
 * store_import_begin, end a session left open.
 *
 * A bulk session of encounters drops the unique index of encounter_id:
 * an id given twice for one patient meets its first row's key, one for
 * two patients is found when the index is built again. The last row of
 * each id is kept, as the row-by-row path keeps it, but each repeat was
 * counted changed (1) when written: store_import_end returns how many of
 * them repeated their key's previous row exactly, which row by row would
 * have returned 0. (An id that moves to another patient and back in one
 * file is the exception: its return is counted unchanged here, changed
 * row by row; the rows kept are the same.)
 */
enum store_import_kind {
	STORE_IMPORT_PATIENTS,
	STORE_IMPORT_ENCOUNTERS,
	STORE_IMPORT_TRANSFUSIONS,
	STORE_IMPORT_LITIGATIONS,
};
int store_import_begin(struct store *st, enum store_import_kind kind);
/* 0 or more (the repeats above), or an error. */
int store_import_end(struct store *st);
/* Whether the open session is bulk (for tests and logs). */
bool store_import_is_bulk(const struct store *st);

/* ------------------------------------------------------------ compute */

/* Return false to stop the operation (it then fails with -ECANCELED). */
typedef bool (*store_progress_fn)(void *ctx, size_t done);

struct store_recompute_stats {
	size_t recomputed; /* dossiers evaluated */
	size_t changed;    /* whose status or retain_until changed */
	size_t withdrawn;  /* open proposals withdrawn: no longer eligible */
};

/*
 * Evaluate dossiers with the engine and store status, retain_until and
 * basis; clears their dirty mark. A dossier with an open proposal that is
 * no longer eligible gets that proposal withdrawn, with the reason.
 * Callers wrap these in a transaction.
 *
 * _dirty: the dossiers marked dirty (by upserts or store_mark_all_dirty).
 * _due:   those whose state depends on today: retained with retain_until
 *         before today (an index range), and anomalies.
 * _all:   every dossier.
 * Stats are added to *stats (not reset), which may be NULL.
 */
int store_recompute_dirty(struct store *st, const struct engine_policy *p,
			  rd_date today, store_progress_fn progress, void *ctx,
			  struct store_recompute_stats *stats);
int store_recompute_due(struct store *st, const struct engine_policy *p,
			rd_date today, store_progress_fn progress, void *ctx,
			struct store_recompute_stats *stats);
int store_recompute_all(struct store *st, const struct engine_policy *p,
			rd_date today, store_progress_fn progress, void *ctx,
			struct store_recompute_stats *stats);
int store_mark_all_dirty(struct store *st);

/*
 * Evaluate each dossier that an upsert creates in the open transaction
 * as it is written, on policy p and day today, instead of leaving it
 * dirty for the recompute. A new patient has no facts yet (they
 * reference the patient), so its birth and death are all the engine
 * reads; the row is the one the recompute would write, and
 * store_recompute_dirty counts these dossiers in its stats as if it had
 * evaluated them: each is changed (a first result), and recomputed but
 * for those an upsert marked dirty again, which it evaluates and counts
 * itself. Two counts may then differ from the recompute's alone: such a
 * dossier counts as changed twice should its second result differ from
 * its first (never today: a dossier without facts is the anomaly "no
 * encounter", whatever its dates), and the set-based mark of a bulk
 * session is not seen (a new patient's facts in its own transaction,
 * which the daemon never writes, would have it recomputed twice). For
 * the open transaction only: call it after store_begin. p must outlive
 * the transaction.
 */
void store_evaluate_new(struct store *st, const struct engine_policy *p,
			rd_date today);

/*
 * Open one proposal, state "proposed", for every eligible dossier that has
 * no proposal other than withdrawn ones, all in one new batch created on
 * `today` at unix time `now`. *batch_id = the batch, or 0 when nothing was
 * eligible (no empty batch is created); *n = proposals opened.
 */
int store_propose(struct store *st, rd_date today, int64_t now,
		  int64_t *batch_id, size_t *n);

/* ------------------------------------------------------------ workflow
 *
 * Every function here runs inside the caller's transaction and appends
 * its audit entries to the journal in that same transaction.
 */

struct store_step {
	int64_t proposal_id;
	char ipp[65];
	enum wf_state from, to;
	/*
	 * 0 done; -EPERM refused by the state machine (why says what is
	 * missing); -ESTALE the dossier is no longer eligible on today's data:
	 * the proposal was withdrawn (why gives the reason) and the step not
	 * taken; -ENOENT no such proposal.
	 */
	int rc;
	char why[256];
};

/*
 * Take step r on one proposal: re-evaluate its dossier from current facts
 * (p, today) and withdraw the proposal if it is no longer eligible;
 * otherwise ask wf_step() and, when allowed, record the new state with
 * what the step carries (opinion and comment, decision reason, override,
 * visa reference, certificate, who and when) and audit it. A destroy also
 * deletes the dossier's facts (patient, encounters, transfusions,
 * litigations, computed state): the proposal row, which keeps the IPP, the
 * extreme dates, the rule and every decision, is the register entry that
 * stays for ever. Returns 0 with *out filled (out->rc says what happened),
 * or a negative error of the store (then roll back).
 */
int store_proposal_step(struct store *st, const struct engine_policy *p,
			rd_date today, int64_t proposal_id,
			const struct wf_request *r, const char *comment,
			struct store_step *out);

struct store_batch {
	int64_t id;
	rd_date created_on;
	int64_t created_at;
	int64_t size;
	int64_t by_state[WF_N_STATES];
	const char *visa_reference; /* NULL until visaed; valid until the
				       next call on this store */
	const char *certificate;    /* NULL until destroyed */
};
/* -ENOENT when there is no such batch. */
int store_batch_get(struct store *st, int64_t batch, struct store_batch *out);
/* The batch's proposal ids in id order; *ids malloc'd (free it). -ENOENT
 * when there is no such batch. */
int store_batch_proposals(struct store *st, int64_t batch, int64_t **ids,
			  size_t *n);
/* Record the visa reference / destruction certificate on the batch (at the
 * actor's time), audited; -ENOENT no such batch, -EINVAL empty value. */
int store_batch_set_visa(struct store *st, int64_t batch, const char *reference);
int store_batch_set_certificate(struct store *st, int64_t batch,
				const char *certificate);

/*
 * Director's hold on a dossier (reason required) and its release; the
 * dossier is recomputed at once (its open proposal withdrawn when it is
 * no longer eligible). -ENOENT unknown IPP, -EALREADY already held / not
 * held.
 */
int store_hold(struct store *st, const struct engine_policy *p, rd_date today,
	       const char *ipp, const char *reason);
int store_hold_release(struct store *st, const struct engine_policy *p,
			rd_date today, const char *ipp);

/*
 * Litigations from the command line (imports use store_upsert_litigation).
 * The dossier is recomputed at once. open: -ENOENT unknown IPP, -EEXIST id
 * already used. close: -ENOENT unknown id, -EALREADY already closed,
 * -EINVAL closing before the opening.
 */
int store_litigation_open(struct store *st, const struct engine_policy *p,
			  rd_date today, const char *id, const char *ipp,
			  rd_date opened, const char *reference);
int store_litigation_close(struct store *st, const struct engine_policy *p,
			   rd_date today, const char *id, rd_date closed);

/* One line of a bordereau d'élimination (strings valid during the call). */
struct store_bordereau_line {
	int64_t proposal_id;
	const char *ipp;
	rd_date first_date, last_date; /* extreme dates of the dossier */
	rd_date retain_until;
	const char *basis;
	const char *state;
	const char *opinion;         /* favorable, unfavorable, or NULL */
	const char *opinion_comment; /* may be NULL */
	const char *reason;          /* refusal (or the archives' remark),
					override or withdrawal */
	const char *visa_reference;
	const char *certificate;
};
typedef int (*store_line_fn)(void *ctx, const struct store_bordereau_line *l);
/* Every proposal of the batch by id, withdrawn ones included (the
 * renderer chooses), read from the register alone; -ENOENT no such batch. */
int store_bordereau_each(struct store *st, int64_t batch, store_line_fn fn,
			 void *ctx);

/* ------------------------------------------------------------ audit */

/*
 * Append an entry (inside the caller's transaction), in the name of the
 * current actor. details: a JSON object as text, or NULL. Each entry
 * carries hash = SHA-256 over its own fields and the previous entry's
 * hash, so editing, deleting or reordering rows breaks the chain.
 *
 * The store itself appends (action, target, details):
 *   propose            "batch N"     {count, created_on}
 *   opinion, approve, refuse, visa_eliminate, visa_keep, visa_reject,
 *   destroy, withdraw  "proposal N"  {ipp, batch, from, to, and what the
 *                      step carried: opinion, comment, reason,
 *                      override_reason, visa_reference, certificate}
 *   batch_visa, batch_certificate "batch N" {visa_reference | certificate}
 *   hold, release, litigation_open, litigation_close, reborn
 *                      "dossier IPP" {ipp, reason | id, opened, closed,
 *                      reference}
 * Withdrawals by a recompute are in the name of the current actor.
 */
int store_audit_append(struct store *st, const char *action,
		       const char *target, const char *details);

struct store_audit_entry {
	int64_t id;
	int64_t at;
	const char *user;
	int64_t uid;
	const char *role;
	const char *action;
	const char *target;
	const char *details;
	const char *hash; /* hex */
};
typedef int (*store_audit_fn)(void *ctx, const struct store_audit_entry *e);
/* Entries at or after unix time since (0: all), by id; at most limit. */
int store_audit_each(struct store *st, int64_t since, size_t limit,
		     store_audit_fn fn, void *ctx);

struct store_audit_check {
	int64_t entries;
	int64_t first_bad; /* id of the first entry that does not verify; 0 */
	char reason[160];
};
/*
 * Verify the whole chain; works on a read-only connection (offline).
 * Returns 0 with *out filled: entries counted, first_bad 0 when every entry
 * verifies, else the first that does not and why. Entries removed from the
 * end leave a valid chain: compare entries with an earlier verification.
 */
int store_audit_verify(struct store *st, struct store_audit_check *out);

/* ------------------------------------------------------------ report
 *
 * Read-only queries for the nightly report (src/store/report.c). Callback
 * strings are valid during the call only. Return non-zero from a callback
 * to stop (that value is returned).
 */

/* Work waiting for someone, per proposal state and batch. */
struct store_pending {
	const char *state; /* proposed (DIM opinion), reviewed (director),
			      approved (visa if public, else destruction),
			      visaed (destruction to record) */
	int64_t batch;
	int64_t count;
	int64_t oldest; /* unix time the oldest of them entered the state */
};
typedef int (*store_pending_fn)(void *ctx, const struct store_pending *p);
/* Oldest first. */
int store_report_pending(struct store *st, store_pending_fn fn, void *ctx);

struct store_hold_row {
	const char *ipp;
	const char *reason; /* free text typed by the director */
	rd_date since;      /* the day the hold was placed */
};
typedef int (*store_hold_fn)(void *ctx, const struct store_hold_row *h);
/* Director's holds, oldest first; at most limit (0: all). */
int store_report_holds(struct store *st, size_t limit, store_hold_fn fn, void *ctx);

struct store_litigation_row {
	const char *id;
	const char *ipp;
	rd_date opened;
	const char *reference;
};
typedef int (*store_litigation_fn)(void *ctx, const struct store_litigation_row *l);
/* Litigations still open, oldest first; at most limit (0: all). They are
 * found from the held and anomaly dossiers (an open litigation makes a
 * dossier held unless its data is an anomaly), an index range. */
int store_report_open_litigations(struct store *st, size_t limit,
				  store_litigation_fn fn, void *ctx);

/* Dossiers in anomaly, each re-evaluated to say why (the data-quality
 * worklist), by IPP; at most limit (0: all). *total gets their number.
 * A dossier whose evaluation today is no anomaly (its data changed and it
 * awaits its recompute) is not passed to fn. */
typedef int (*store_anomaly_fn)(void *ctx, const char *ipp,
				const struct engine_result *r);
int store_report_anomalies(struct store *st, const struct engine_policy *p,
			   rd_date today, size_t limit, store_anomaly_fn fn,
			   void *ctx, int64_t *total);

/* Dossiers now retained that become eligible by `until`: the dossiers
 * store_forecast_months counts (today <= retain_until < until). */
int store_report_count_due(struct store *st, rd_date today, rd_date until,
			   int64_t *n);

/* The batches created after unix time since (the new batches of the
 * night), by id; *ids malloc'd (free it), NULL when *n is 0. */
int store_report_batches_since(struct store *st, int64_t since, int64_t **ids,
			       size_t *n);

/* A dossier whose retain_until moved earlier (someone corrected a date):
 * recorded by every recompute that moves a date earlier. */
struct store_earlier {
	int64_t id;
	const char *ipp;
	rd_date old_until, new_until;
	int64_t at; /* unix time */
};
typedef int (*store_earlier_fn)(void *ctx, const struct store_earlier *e);
/* Entries with id > after_id, by id; at most limit (0: all). */
int store_report_earlier(struct store *st, int64_t after_id, size_t limit,
			 store_earlier_fn fn, void *ctx);

/* ------------------------------------------------------------ outbox
 *
 * The persistent outbox of the nightly report (src/store/outbox.c): a
 * message is stored first, then sent, retried until a server accepts it,
 * and never sent again once accepted.
 */
struct store_mail {
	int64_t id;
	int64_t created_at;
	char *subject;
	char *recipients; /* comma-separated */
	char *message;    /* the whole RFC 5322 message, CRLF line ends */
	size_t message_len;
	char state[12];   /* queued, sending, sent */
	int attempts;
	int64_t next_attempt_at;
	char *last_error; /* NULL */
	int64_t sent_at;  /* 0 until sent */
};
void store_mail_fini(struct store_mail *m);

int store_outbox_add(struct store *st, const char *subject,
		     const char *recipients, const char *message, size_t len,
		     int64_t now, int64_t *id);
/* The oldest message due at now (queued or sending, next_attempt_at <= now):
 * 0 and *out filled (owned), or -ENOENT. */
int store_outbox_next_due(struct store *st, int64_t now, struct store_mail *out);
/* Every message not yet sent becomes due at now, whatever its backoff:
 * the daemon restarted or its configuration changed, so the next attempt
 * need not wait for the cause of the last failure to have gone by itself. */
int store_outbox_due_now(struct store *st, int64_t now);
/* The earliest next_attempt_at of the messages not yet sent, due or not
 * (when to look again): 0 and *at, or -ENOENT when every one was sent. */
int store_outbox_next_at(struct store *st, int64_t *at);
/*
 * Before a try: attempts + 1, state sending, next_attempt_at = now (a
 * message left "sending" by a crash is due again at once). These three
 * return -ENOENT (no such message) or -EALREADY (it was sent: nothing
 * changes, so a message is never marked for sending again once accepted).
 */
int store_outbox_attempt(struct store *st, int64_t id, int64_t now);
/* The server accepted it: state sent, sent_at = now, last_error cleared. */
int store_outbox_sent(struct store *st, int64_t id, int64_t now);
/* The try failed: state queued again, with the error and the next time. */
int store_outbox_failed(struct store *st, int64_t id, const char *error,
			int64_t next_attempt_at);
typedef int (*store_mail_fn)(void *ctx, const struct store_mail *m);
/* Newest first, without the message body (message NULL); at most limit
 * (0: all). */
int store_outbox_each(struct store *st, size_t limit, store_mail_fn fn, void *ctx);

/* ------------------------------------------------------------ reads */

/* One dossier's facts and stored state, owned by the struct. */
struct store_dossier {
	int64_t id;
	char *ipp;
	struct engine_facts facts; /* points into the fields below */
	struct engine_encounter *encounters;
	struct engine_transfusion *transfusions;
	struct engine_litigation *litigations;
	char *hold_reason;
	/* Stored state (as of the last recompute). */
	bool has_state;
	enum engine_status status;
	rd_date retain_until;
	bool dirty;
	/* The dossier's current proposal (not withdrawn), if any. */
	int64_t proposal_id; /* 0: none */
	char proposal_state[16];
	int64_t proposal_batch;
	/* Everything the pointers above reference. */
	void *arena;
};

/*
 * Load the dossier of ipp; encounter kinds are mapped to indexes of p
 * (unknown names to -1). -ENOENT when there is no such patient.
 */
int store_dossier_load(struct store *st, const struct engine_policy *p,
		       const char *ipp, struct store_dossier **out);
void store_dossier_free(struct store_dossier *d); /* NULL is fine */

#define STORE_N_STATES WF_N_STATES
/* Proposal states, in workflow order (interfaces.md); wf_state_name(). */
extern const char *const store_proposal_states[STORE_N_STATES];

struct store_counts {
	int64_t patients, encounters, transfusions, litigations;
	int64_t by_status[4]; /* indexed by enum engine_status */
	int64_t dirty;        /* not yet recomputed */
	int64_t proposals[STORE_N_STATES]; /* by store_proposal_states */
	int64_t batches;
};
int store_counts(struct store *st, struct store_counts *out);

struct store_proposal {
	int64_t id;
	const char *ipp;
	const char *state;
	rd_date retain_until; /* as computed when proposed */
	const char *basis;    /* rule name, as computed when proposed */
	int64_t batch;
	int64_t created_at; /* unix time */
	const char *reason; /* why withdrawn or refused, or NULL */
	const char *opinion; /* the DIM's: favorable, unfavorable, or NULL */
};
/*
 * Return non-zero to stop (that value is returned). The strings are valid
 * during the call only. Callbacks of the *_each functions run while their
 * query is open: they may call other store functions, but not start the
 * same iteration again on this store.
 */
typedef int (*store_proposal_fn)(void *ctx, const struct store_proposal *p);

/* Proposals by id, all or those in state (NULL: all) and batch (0: all);
 * at most limit (0: no limit). */
int store_proposals_each(struct store *st, const char *state, int64_t batch,
			 size_t limit, store_proposal_fn fn, void *ctx);

/*
 * Forecast: dossiers now retained that become eligible by `until`, that is
 * with today <= retain_until < until. Per month of their first eligible day
 * (retain_until + 1), ascending.
 */
typedef int (*store_month_fn)(void *ctx, int year, int month, int64_t count);
int store_forecast_months(struct store *st, rd_date today, rd_date until,
			  store_month_fn fn, void *ctx);
/* The same dossiers one by one, by retain_until then ipp; at most limit. */
typedef int (*store_due_fn)(void *ctx, const char *ipp, rd_date retain_until,
			    const char *basis);
int store_forecast_each(struct store *st, rd_date today, rd_date until,
			size_t limit, store_due_fn fn, void *ctx);

#endif
