/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the two halves of the job queue share: jobs.c (the queue, on the
 * loop thread) and jobs_work.c (the work itself, on the thread pool).
 * Not for other modules: they use jobs.h.
 */
#ifndef RETENTIOND_DAEMON_JOBS_INTERNAL_H
#define RETENTIOND_DAEMON_JOBS_INTERNAL_H

#include <stdatomic.h>
#include <stdio.h>

#include <uv.h>

#include "daemon/jobs.h"
#include "store/store.h"

/* Bytes of an import queued before the client is paused, and resumed. */
#define STREAM_HIGH (4u << 20)
#define STREAM_LOW (1u << 20)
#define PROGRESS_INTERVAL_MS 250
/* The WAL is checkpointed once the queue has been idle this long, or
 * before the next job once it holds this many frames (1 GiB of 4 KiB
 * pages). Not less: at 10M dossiers the import of 10,000 changed
 * encounters alone leaves ~160 MB of WAL, and the nightly scan queued
 * behind it would wait for its copy (0.8 s). */
#define CHECKPOINT_IDLE_MS 1000
#define CHECKPOINT_MAX_FRAMES 262144

enum job_kind { JOB_IMPORT, JOB_SCAN, JOB_RECOMPUTE, JOB_CALL, JOB_CHECKPOINT };

enum job_phase { PHASE_QUEUED, PHASE_READING, PHASE_RECOMPUTING, PHASE_PROPOSING };

extern const char *const jobs_phase_names[];

struct chunk {
	struct chunk *next;
	size_t len;
	char data[];
};

struct job {
	struct jobs *js;
	enum job_kind kind;
	uv_work_t work;
	struct job *next;
	struct job_owner owner;
	bool attached;
	struct job_actor actor;
	bool has_actor;
	job_fn fn;
	void *arg;
	void (*free_arg)(void *);
	json_t *call_reply;

	atomic_bool cancel;
	atomic_int phase;
	atomic_uint_fast64_t rows;
	atomic_uint_fast64_t dossiers;
	uint64_t sent_rows, sent_dossiers;
	int sent_phase;
	uint64_t start_ms;
	rd_date today;
	int64_t now;

	/* Import stream, or a spool file. */
	int csv_kind;
	char source[256];
	char *spool_dir; /* a spool import: the directory holding source */
	FILE *file;
	rd_date scheduled; /* a scheduled scan: its occurrence, else DATE_NONE */
	uv_mutex_t mu;
	uv_cond_t cv;
	struct chunk *head, *tail;
	size_t queued;
	bool ended, aborted, paused;

	/* Outcome, written by the worker. */
	bool full;
	int rc;
	char error[512];
	json_t *errors;
	uint64_t error_count, n_rows, n_changed;
	char ignored[512];
	uint64_t reborn;
	char reborn_ipps[1400];
	struct store_recompute_stats stats;
	int64_t batch;
	size_t proposed;
};

struct jobs {
	struct daemon *d;
	struct job *running;
	struct job *head, *tail;
	uv_async_t async;
	uv_timer_t timer;
	uv_timer_t idle_timer;
	bool wal_dirty; /* a job ran since the last checkpoint */
	bool shutting_down;
	bool handles_closed;
	void (*idle_hook)(void *arg);
	void *idle_arg;
};

/* Worker side (jobs_work.c). */
void jobs_work(uv_work_t *req);

/* Both sides. */
struct chunk *jobs_stream_pop(struct job *job);
void jobs_set_error(struct job *job, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
