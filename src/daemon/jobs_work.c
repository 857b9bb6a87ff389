/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The work of the writer jobs, on the libuv thread pool with the writer
 * connection: an import (from the client's stream or a spool file), a scan
 * or recompute, a short call. Each in one transaction, rolled back on any
 * failure or cancellation. Touches only its job's outcome fields, the
 * atomics, and the import stream under its mutex.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/proto.h"
#include "daemon/clock.h"
#include "daemon/csvimport.h"
#include "daemon/daemon.h"
#include "daemon/jobs_internal.h"
#include "daemon/log.h"
#include "daemon/priority.h"

struct chunk *jobs_stream_pop(struct job *job)
{
	struct chunk *c = NULL;
	bool wake = false;

	uv_mutex_lock(&job->mu);
	while (!job->head && !job->ended && !job->aborted)
		uv_cond_wait(&job->cv, &job->mu);
	if (job->head && !job->aborted) {
		c = job->head;
		job->head = c->next;
		if (!job->head)
			job->tail = NULL;
		job->queued -= c->len;
		if (job->paused && job->queued < STREAM_LOW) {
			job->paused = false;
			wake = true;
		}
	}
	uv_mutex_unlock(&job->mu);
	if (wake)
		uv_async_send(&job->js->async);
	return c;
}

static bool on_progress(void *ctx, size_t done)
{
	struct job *job = ctx;

	atomic_store(&job->dossiers, done);
	return !atomic_load(&job->cancel);
}

static void record_import_errors(struct job *job, struct csvimport *ci)
{
	size_t n;
	const struct csvimport_error *errs = csvimport_errors(ci, &n);

	job->errors = json_array();
	for (size_t i = 0; i < n && job->errors; i++) {
		json_t *e = json_pack("{s:I, s:s}", "line", (json_int_t)errs[i].line,
				      "message", errs[i].message);
		if (e)
			json_array_append_new(job->errors, e);
	}
	job->error_count = csvimport_error_count(ci);
}

/* One journal entry per imported file, in the import's transaction. */
static int audit_import(struct job *job, struct store *st)
{
	json_t *det = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "kind",
				csvimport_kind_name(job->csv_kind), "source", job->source,
				"rows", (json_int_t)job->n_rows, "changed",
				(json_int_t)job->n_changed, "recomputed",
				(json_int_t)job->stats.recomputed, "reborn",
				(json_int_t)job->reborn);
	char *text = det ? json_dumps(det, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int rc = text ? store_audit_append(st, "import", csvimport_kind_name(job->csv_kind),
					   text)
		      : -ENOMEM;

	free(text);
	json_decref(det);
	return rc;
}

/* The next bytes of the file: from the client's stream, or read from the
 * spool file. NULL at the end, or with *err set when a spool file could
 * not be read (an error must not pass for the end of the file). */
static struct chunk *next_chunk(struct job *job, int *err)
{
	if (!job->file)
		return jobs_stream_pop(job);
	if (atomic_load(&job->cancel))
		return NULL;
	struct chunk *c = malloc(sizeof(*c) + PROTO_MAX_DATA);
	if (!c) {
		*err = ENOMEM;
		return NULL;
	}
	c->next = NULL;
	c->len = fread(c->data, 1, PROTO_MAX_DATA, job->file);
	if (c->len == 0) {
		if (ferror(job->file))
			*err = errno ? errno : EIO;
		free(c);
		return NULL;
	}
	return c;
}

/* The bytes of an import, for csvimport_pipe's reading thread. */
struct import_source {
	struct job *job;
	struct csvimport *ci;
	struct chunk *c;   /* the piece being read */
	int read_errno;    /* a spool file could not be read to its end */
};

static int source_next(void *ctx, const char **data, size_t *len)
{
	struct import_source *src = ctx;
	struct job *job = src->job;

	free(src->c);
	src->c = NULL;
	if (atomic_load(&job->cancel))
		return -1;
	src->c = next_chunk(job, &src->read_errno);
	if (!src->c)
		return src->read_errno || atomic_load(&job->cancel) ? -1 : 0;
	*data = src->c->data;
	*len = src->c->len;
	return 1;
}

static void source_applied(void *ctx)
{
	struct import_source *src = ctx;

	atomic_store(&src->job->rows, csvimport_rows(src->ci));
}

static void write_error_file(struct job *job, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		log_warnx("spool: cannot write %s: %s", path, strerror(errno));
		return;
	}
	size_t i;
	json_t *e;
	json_array_foreach(job->errors, i, e) {
		long long line = (long long)json_integer_value(json_object_get(e, "line"));
		const char *msg = json_string_value(json_object_get(e, "message"));
		if (line > 0)
			fprintf(f, "%s, line %lld: %s\n", job->source, line, msg ? msg : "");
		else
			fprintf(f, "%s: %s\n", job->source, msg ? msg : "");
	}
	if (job->error_count > json_array_size(job->errors))
		fprintf(f, "... and %llu more errors not listed\n",
			(unsigned long long)(job->error_count - json_array_size(job->errors)));
	fprintf(f, "%s\n", job->error);
	fclose(f);
}

/* After a spool import: done/ or failed/, so that it is never read twice. */
static void settle_spool_file(struct job *job)
{
	char from[4096], to[4096], err[4200];
	const bool ok = job->rc == 0;

	if (job->rc == -ECANCELED)
		return; /* the daemon stops: it is read again at the next start */
	snprintf(from, sizeof(from), "%s/%s", job->spool_dir, job->source);
	snprintf(to, sizeof(to), "%s/%s/%s", job->spool_dir, ok ? "done" : "failed",
		 job->source);
	/* A file of the same name imported before keeps its copy: the new
	 * one gets a number (x.csv, x.csv.1, x.csv.2...). */
	char base[4096];
	snprintf(base, sizeof(base), "%s", to);
	int rc = renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
	for (int n = 1; rc < 0 && errno == EEXIST && n < 10000; n++) {
		snprintf(to, sizeof(to), "%.4080s.%d", base, n);
		rc = renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
	}
	if (rc < 0) {
		log_warnx("spool: cannot move %s to %s: %s", from, to, strerror(errno));
		return;
	}
	if (!ok) {
		snprintf(err, sizeof(err), "%s.error", to);
		write_error_file(job, err);
	}
}

/*
 * A spool file, opened as the file that was dropped: not through a
 * symbolic link (the daemon can read files that the spool's writers
 * cannot, and a refused import's errors quote its lines), and not a FIFO
 * or device swapped in since the scan (opening a FIFO would wait for a
 * writer). O_NONBLOCK only matters to those; a regular file ignores it.
 */
static int open_spool_file(struct job *job)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", job->spool_dir, job->source);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ELOOP) {
		jobs_set_error(job, -EINVAL,
			  "%s: is a symbolic link; the spool imports only files written into it",
			  job->source);
		return -1;
	}
	if (fd < 0) {
		jobs_set_error(job, -errno, "%s: cannot open: %s", job->source, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		jobs_set_error(job, -EINVAL, "%s: is not a regular file; not imported",
			  job->source);
		close(fd);
		return -1;
	}
	job->file = fdopen(fd, "rb");
	if (!job->file) {
		jobs_set_error(job, -errno, "%s: cannot open: %s", job->source, strerror(errno));
		close(fd);
		return -1;
	}
	return 0;
}

static void import_work(struct job *job)
{
	struct daemon *d = job->js->d;
	struct store *st = d->writer;
	struct csvimport *ci = NULL;
	struct import_source src = {.job = job};
	struct chunk *c;
	int rc;

	if (job->spool_dir && open_spool_file(job) < 0)
		return;

	rc = store_begin(st);
	if (rc < 0) {
		jobs_set_error(job, rc, "cannot start a transaction: %s", store_errmsg(st));
		/* Still drain the stream so the client gets its answer. */
		int unread = 0;
		while ((c = next_chunk(job, &unread)))
			free(c);
		return;
	}
	/* New patients get their first result as they are written. */
	store_evaluate_new(st, &d->cfg.policy, job->today);
	rc = csvimport_new(job->csv_kind, job->source, st, &d->cfg.policy,
			   d->cfg.max_errors, &ci);
	if (rc < 0) {
		jobs_set_error(job, rc, "out of memory");
		goto rollback;
	}
	atomic_store(&job->phase, PHASE_READING);
	src.ci = ci;
	rc = csvimport_pipe(ci, &(struct csvimport_source){source_next,
							   source_applied, &src});
	free(src.c);
	if (src.read_errno) {
		jobs_set_error(job, -src.read_errno,
			  "%s: cannot read: %s; nothing of it was kept", job->source,
			  strerror(src.read_errno));
		goto rollback;
	}
	if (rc == -ECANCELED || atomic_load(&job->cancel)) {
		jobs_set_error(job, -ECANCELED, "%s: import cancelled; nothing of it was kept",
			  job->source);
		goto rollback;
	}
	rc = csvimport_finish(ci);
	job->n_rows = csvimport_rows(ci);
	job->n_changed = csvimport_changed(ci);
	snprintf(job->ignored, sizeof(job->ignored), "%s", csvimport_ignored_columns(ci));
	if (rc < 0) {
		record_import_errors(job, ci);
		if (rc == -EIO)
			jobs_set_error(job, rc, "%s: database error; nothing of the file was kept",
				  job->source);
		else
			jobs_set_error(job, -EINVAL,
				  "%s: %llu error%s; nothing of the file was imported",
				  job->source, (unsigned long long)job->error_count,
				  job->error_count == 1 ? "" : "s");
		goto rollback;
	}
	const char *reborn;
	job->reborn = csvimport_reborn(ci, &reborn);
	snprintf(job->reborn_ipps, sizeof(job->reborn_ipps), "%s", reborn);
	atomic_store(&job->phase, PHASE_RECOMPUTING);
	rc = store_recompute_dirty(st, &d->cfg.policy, job->today, on_progress, job,
				   &job->stats);
	/* The journal records mutations: a file that changed nothing leaves
	 * the database exactly as it was (imports are idempotent). */
	if (rc >= 0 && job->n_changed > 0)
		rc = audit_import(job, st);
	if (rc < 0) {
		if (rc == -ECANCELED)
			jobs_set_error(job, rc, "%s: import cancelled; nothing of it was kept",
				  job->source);
		else
			jobs_set_error(job, rc, "%s: recomputing the dossiers failed: %s",
				  job->source, store_errmsg(st));
		goto rollback;
	}
	rc = store_commit(st);
	if (rc < 0) {
		jobs_set_error(job, rc, "%s: commit failed: %s", job->source, store_errmsg(st));
		goto rollback;
	}
	csvimport_free(ci);
	return;

rollback:
	store_rollback(st);
	csvimport_free(ci);
	/* Whatever the client still sends is dropped by the loop now. */
	if (!job->file)
		while ((c = jobs_stream_pop(job)))
			free(c);
}

static void scan_work(struct job *job)
{
	struct daemon *d = job->js->d;
	struct store *st = d->writer;
	int rc = store_begin(st);

	if (rc < 0) {
		jobs_set_error(job, rc, "cannot start a transaction: %s", store_errmsg(st));
		return;
	}
	atomic_store(&job->phase, PHASE_RECOMPUTING);
	if (job->full)
		rc = store_recompute_all(st, &d->cfg.policy, job->today, on_progress,
					 job, &job->stats);
	else {
		rc = store_recompute_dirty(st, &d->cfg.policy, job->today, on_progress,
					   job, &job->stats);
		if (rc >= 0)
			rc = store_recompute_due(st, &d->cfg.policy, job->today,
						 on_progress, job, &job->stats);
	}
	if (rc >= 0 && job->kind == JOB_SCAN) {
		atomic_store(&job->phase, PHASE_PROPOSING);
		rc = store_propose(st, job->today, job->now, &job->batch, &job->proposed);
	}
	if (rc >= 0 && job->kind == JOB_SCAN) {
		/* Kept for status after a restart; see daemon_load_last_scan. */
		char buf[160];
		snprintf(buf, sizeof(buf), "%lld %llu %lld %zu %zu %zu %zu",
			 (long long)clock_now(),
			 (unsigned long long)(clock_monotonic_ms() - job->start_ms),
			 (long long)job->batch, job->proposed, job->stats.recomputed,
			 job->stats.changed, job->stats.withdrawn);
		rc = store_meta_set(st, "last_scan", buf);
	}
	if (rc >= 0 && job->scheduled != DATE_NONE) {
		char day[DATE_STRLEN];
		rc = store_meta_set(st, "schedule.scan", date_format(job->scheduled, day));
	}
	if (rc >= 0)
		rc = store_commit(st);
	if (rc < 0) {
		if (rc == -ECANCELED)
			jobs_set_error(job, rc, "%s cancelled; nothing of it was kept",
				  job->kind == JOB_SCAN ? "scan" : "recompute");
		else
			jobs_set_error(job, rc, "%s failed: %s",
				  job->kind == JOB_SCAN ? "scan" : "recompute",
				  store_errmsg(st));
		store_rollback(st);
	}
}

static void checkpoint_work(struct job *job)
{
	struct store *st = job->js->d->writer;
	int frames = 0, copied = 0;

	if (store_checkpoint(st, &frames, &copied) < 0)
		jobs_set_error(job, -EIO, "checkpoint failed: %s", store_errmsg(st));
	else if (frames > 0)
		log_debug("checkpoint: %d of %d WAL frames in the database, %llu ms", copied,
			  frames, (unsigned long long)(clock_monotonic_ms() - job->start_ms));
}

void jobs_work(uv_work_t *req)
{
	struct job *job = req->data;
	struct daemon *d = job->js->d;
	struct store_actor a = {"retentiond", (int64_t)geteuid(), "system"};

	priority_job_thread();

	if (job->has_actor) {
		a.user = job->actor.user;
		a.uid = job->actor.uid;
		a.role = job->actor.role;
	}
	store_set_actor(d->writer, &a, job->now);
	if (job->kind == JOB_IMPORT) {
		import_work(job);
		if (job->file) {
			fclose(job->file);
			job->file = NULL;
		}
		if (job->spool_dir)
			settle_spool_file(job);
	} else if (job->kind == JOB_CALL)
		job->call_reply = job->fn(d, d->writer, job->arg);
	else if (job->kind == JOB_CHECKPOINT)
		checkpoint_work(job);
	else
		scan_work(job);
}

/* ------------------------------------------------------------ loop side */
