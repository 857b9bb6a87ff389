/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Long work off the loop thread. Jobs that write (import, scan, recompute)
 * run one at a time, in order, on the libuv thread pool with the writer
 * connection, each in one transaction: committed whole, or rolled back when
 * it fails, is cancelled, or the daemon stops.
 *
 * An import job consumes the file's bytes as the client sends them: the
 * loop thread queues DATA frames into the job's stream and stops reading
 * from the client while too much is queued, so memory stays bounded
 * whatever the size of the file.
 */
#ifndef RETENTIOND_DAEMON_JOBS_H
#define RETENTIOND_DAEMON_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/date.h"

struct daemon;
struct job;
struct jobs;

/* Called on the loop thread when a job ends: reply (ok, or error with
 * `error` and for imports `errors`). result is borrowed. */
typedef void (*job_done_fn)(void *owner, struct job *job, json_t *reply);
/* Called on the loop thread to let the owner send progress. */
typedef void (*job_progress_fn)(void *owner, struct job *job, json_t *progress);
/* Called on the loop thread when the import stream has room again. */
typedef void (*job_resume_fn)(void *owner, struct job *job);

/* Who asked, for the audit journal (copied into the job). */
struct job_actor {
	char user[64];
	int64_t uid;
	char role[16];
};

/*
 * A short write run on the writer thread: it opens and ends its own
 * transaction on st and returns the reply ({"ok": ...}), never NULL.
 */
struct store;
typedef json_t *(*job_fn)(struct daemon *d, struct store *st, void *arg);

struct job_owner {
	void *owner;
	job_done_fn done;
	job_progress_fn progress; /* may be NULL */
	job_resume_fn resume;     /* imports only */
};

int jobs_new(struct daemon *d, struct jobs **out);
/* Cancel the running job, fail the queued ones; the loop keeps running
 * until the running job has rolled back. */
void jobs_shutdown(struct jobs *js);
void jobs_free(struct jobs *js);

/* Queue an import of kind (csvimport kind) named source. */
int jobs_import(struct jobs *js, int kind, const char *source,
		const struct job_actor *actor, const struct job_owner *owner,
		struct job **out);
/*
 * Queue the import of a file of the spool directory dir, in the daemon's
 * own name. After the transaction the file is moved to dir/done/, or to
 * dir/failed/ with name.error holding the messages the CLI would print.
 */
int jobs_import_spool(struct jobs *js, int kind, const char *dir, const char *name,
		      const struct job_owner *owner);
/* Queue a scan (recompute what changed and propose); full: recompute all. */
int jobs_scan(struct jobs *js, bool full, const struct job_actor *actor,
	      const struct job_owner *owner, struct job **out);
/* The nightly scan for the schedule's occurrence of day `occurrence`,
 * which the scan's transaction records as done (meta schedule.scan). */
int jobs_scan_scheduled(struct jobs *js, rd_date occurrence);
/* Queue fn(arg); free_arg(arg) after it ran (may be NULL). The store's
 * actor is set to *actor before fn runs. */
int jobs_call(struct jobs *js, job_fn fn, void *arg, void (*free_arg)(void *),
	      const struct job_actor *actor, const struct job_owner *owner,
	      struct job **out);
/* Queue the start-up recompute of dirty and due dossiers (no owner). */
int jobs_recompute(struct jobs *js);

/*
 * Stream of an import, from the loop thread. push copies the bytes and
 * returns true when the caller should stop reading until resume is called.
 */
bool job_stream_push(struct job *job, const void *data, size_t len);
void job_stream_end(struct job *job);

/* The owner goes away (client disconnected): an import in progress is
 * cancelled; no callback will be made to the owner any more. */
void job_detach(struct job *job);

/* Called on the loop thread whenever no job runs, before the next one
 * starts: the moment to change what jobs read (a reloaded config). */
void jobs_set_idle_hook(struct jobs *js, void (*fn)(void *arg), void *arg);

/* What runs now, for status: NULL or an object. New reference. */
json_t *jobs_describe(struct jobs *js);
bool jobs_busy(const struct jobs *js);

#endif
