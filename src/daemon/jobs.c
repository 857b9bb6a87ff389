/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The writer job queue. The loop thread owns the queue and every callback;
 * the worker thread touches only its job's outcome fields, the atomics, and
 * the import stream (under the stream mutex).
 */
#include "config.h"

#include "daemon/jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <uv.h>

#include "common/proto.h"
#include "daemon/clock.h"
#include "daemon/csvimport.h"
#include "daemon/daemon.h"
#include "daemon/log.h"

/* Bytes of an import queued before the client is paused, and resumed. */
#define STREAM_HIGH (4u << 20)
#define STREAM_LOW (1u << 20)
#define PROGRESS_INTERVAL_MS 250

enum job_kind { JOB_IMPORT, JOB_SCAN, JOB_RECOMPUTE, JOB_CALL };

enum job_phase { PHASE_QUEUED, PHASE_READING, PHASE_RECOMPUTING, PHASE_PROPOSING };

static const char *const phase_names[] = {"queued", "reading", "recomputing",
					  "proposing"};

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
	bool shutting_down;
	bool handles_closed;
	void (*idle_hook)(void *arg);
	void *idle_arg;
};

void jobs_set_idle_hook(struct jobs *js, void (*fn)(void *arg), void *arg)
{
	js->idle_hook = fn;
	js->idle_arg = arg;
}

static void start_next(struct jobs *js);

/* ------------------------------------------------------------ stream */

static struct chunk *stream_pop(struct job *job)
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

bool job_stream_push(struct job *job, const void *data, size_t len)
{
	struct chunk *c = malloc(sizeof(*c) + len);
	bool pause;

	uv_mutex_lock(&job->mu);
	if (!c || job->aborted || job->ended) {
		uv_mutex_unlock(&job->mu);
		free(c);
		return false;
	}
	c->next = NULL;
	c->len = len;
	memcpy(c->data, data, len);
	if (job->tail)
		job->tail->next = c;
	else
		job->head = c;
	job->tail = c;
	job->queued += len;
	if (job->queued > STREAM_HIGH)
		job->paused = true;
	pause = job->paused;
	uv_cond_signal(&job->cv);
	uv_mutex_unlock(&job->mu);
	return pause;
}

void job_stream_end(struct job *job)
{
	uv_mutex_lock(&job->mu);
	job->ended = true;
	uv_cond_signal(&job->cv);
	uv_mutex_unlock(&job->mu);
}

static void stream_abort(struct job *job)
{
	uv_mutex_lock(&job->mu);
	job->aborted = true;
	uv_cond_signal(&job->cv);
	uv_mutex_unlock(&job->mu);
}

static void stream_free(struct job *job)
{
	struct chunk *c = job->head;

	while (c) {
		struct chunk *n = c->next;
		free(c);
		c = n;
	}
	job->head = job->tail = NULL;
}

/* ------------------------------------------------------------ worker */

static bool on_progress(void *ctx, size_t done)
{
	struct job *job = ctx;

	atomic_store(&job->dossiers, done);
	return !atomic_load(&job->cancel);
}

static void set_error(struct job *job, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_error(struct job *job, int rc, const char *fmt, ...)
{
	va_list ap;

	job->rc = rc;
	va_start(ap, fmt);
	vsnprintf(job->error, sizeof(job->error), fmt, ap);
	va_end(ap);
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
 * spool file. NULL at the end. */
static struct chunk *next_chunk(struct job *job)
{
	if (!job->file)
		return stream_pop(job);
	if (atomic_load(&job->cancel))
		return NULL;
	struct chunk *c = malloc(sizeof(*c) + PROTO_MAX_DATA);
	if (!c)
		return NULL;
	c->next = NULL;
	c->len = fread(c->data, 1, PROTO_MAX_DATA, job->file);
	if (c->len == 0) {
		free(c);
		return NULL;
	}
	return c;
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

static void import_work(struct job *job)
{
	struct daemon *d = job->js->d;
	struct store *st = d->writer;
	struct csvimport *ci = NULL;
	struct chunk *c;
	bool discarding = false;
	int rc;

	if (job->spool_dir) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", job->spool_dir, job->source);
		job->file = fopen(path, "rb");
		if (!job->file) {
			set_error(job, -errno, "%s: cannot open: %s", job->source, strerror(errno));
			return;
		}
	}

	rc = store_begin(st);
	if (rc < 0) {
		set_error(job, rc, "cannot start a transaction: %s", store_errmsg(st));
		/* Still drain the stream so the client gets its answer. */
		while ((c = next_chunk(job)))
			free(c);
		return;
	}
	rc = csvimport_new(job->csv_kind, job->source, st, &d->cfg.policy,
			   d->cfg.max_errors, &ci);
	if (rc < 0) {
		set_error(job, rc, "out of memory");
		goto rollback;
	}
	atomic_store(&job->phase, PHASE_READING);
	while ((c = next_chunk(job))) {
		if (!discarding) {
			rc = csvimport_feed(ci, c->data, c->len);
			atomic_store(&job->rows, csvimport_rows(ci));
			/* A file that cannot be read further is still read to its
			 * end, so the client's sends complete and it gets the
			 * reply. */
			if (rc < 0)
				discarding = true;
		}
		free(c);
		if (atomic_load(&job->cancel))
			break;
	}
	if (atomic_load(&job->cancel)) {
		set_error(job, -ECANCELED, "%s: import cancelled; nothing of it was kept",
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
			set_error(job, rc, "%s: database error; nothing of the file was kept",
				  job->source);
		else
			set_error(job, -EINVAL,
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
			set_error(job, rc, "%s: import cancelled; nothing of it was kept",
				  job->source);
		else
			set_error(job, rc, "%s: recomputing the dossiers failed: %s",
				  job->source, store_errmsg(st));
		goto rollback;
	}
	rc = store_commit(st);
	if (rc < 0) {
		set_error(job, rc, "%s: commit failed: %s", job->source, store_errmsg(st));
		goto rollback;
	}
	csvimport_free(ci);
	return;

rollback:
	store_rollback(st);
	csvimport_free(ci);
	/* Whatever the client still sends is dropped by the loop now. */
	if (!job->file)
		while ((c = stream_pop(job)))
			free(c);
}

static void scan_work(struct job *job)
{
	struct daemon *d = job->js->d;
	struct store *st = d->writer;
	int rc = store_begin(st);

	if (rc < 0) {
		set_error(job, rc, "cannot start a transaction: %s", store_errmsg(st));
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
			set_error(job, rc, "%s cancelled; nothing of it was kept",
				  job->kind == JOB_SCAN ? "scan" : "recompute");
		else
			set_error(job, rc, "%s failed: %s",
				  job->kind == JOB_SCAN ? "scan" : "recompute",
				  store_errmsg(st));
		store_rollback(st);
	}
}

static void work_cb(uv_work_t *req)
{
	struct job *job = req->data;
	struct daemon *d = job->js->d;
	struct store_actor a = {"retentiond", (int64_t)geteuid(), "system"};

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
	else
		scan_work(job);
}

/* ------------------------------------------------------------ loop side */

static json_t *stats_json(const struct job *job)
{
	return json_pack("{s:I, s:I, s:I}", "recomputed", (json_int_t)job->stats.recomputed,
			 "changed", (json_int_t)job->stats.changed, "withdrawn",
			 (json_int_t)job->stats.withdrawn);
}

static json_t *build_reply(struct job *job, uint64_t ms)
{
	if (job->kind == JOB_CALL && job->rc == 0) {
		json_t *r = job->call_reply;
		job->call_reply = NULL;
		return r ? r : json_pack("{s:b, s:s}", "ok", 0, "error", "out of memory");
	}
	if (job->rc < 0) {
		json_t *r = json_pack("{s:b, s:s}", "ok", 0, "error", job->error);
		if (r && job->errors) {
			json_object_set(r, "errors", job->errors);
			json_object_set_new(r, "error_count", json_integer((json_int_t)job->error_count));
		}
		return r;
	}
	json_t *res = stats_json(job);
	if (!res)
		return NULL;
	json_object_set_new(res, "duration_ms", json_integer((json_int_t)ms));
	if (job->kind == JOB_IMPORT) {
		json_object_set_new(res, "kind", json_string(csvimport_kind_name(job->csv_kind)));
		json_object_set_new(res, "source", json_string(job->source));
		json_object_set_new(res, "rows", json_integer((json_int_t)job->n_rows));
		json_object_set_new(res, "rows_changed", json_integer((json_int_t)job->n_changed));
		json_object_set_new(res, "ignored_columns", json_string(job->ignored));
		json_object_set_new(res, "reborn", json_integer((json_int_t)job->reborn));
		if (job->reborn)
			json_object_set_new(res, "reborn_ipps", json_string(job->reborn_ipps));
	} else {
		json_object_set_new(res, "batch", job->batch ? json_integer(job->batch) : json_null());
		json_object_set_new(res, "proposed", json_integer((json_int_t)job->proposed));
		json_object_set_new(res, "full", json_boolean(job->full));
	}
	return json_pack("{s:b, s:o}", "ok", 1, "result", res);
}

static void remember_scan(struct jobs *js, struct job *job, uint64_t ms)
{
	struct scan_summary *s = &js->d->last_scan;

	s->valid = true;
	s->at = clock_now();
	s->duration_ms = ms;
	s->batch = job->batch;
	s->proposed = job->proposed;
	s->recomputed = job->stats.recomputed;
	s->changed = job->stats.changed;
	s->withdrawn = job->stats.withdrawn;
}

static void job_free(struct job *job)
{
	free(job->spool_dir);
	if (job->file)
		fclose(job->file);
	if (job->free_arg)
		job->free_arg(job->arg);
	json_decref(job->call_reply);
	stream_free(job);
	json_decref(job->errors);
	uv_mutex_destroy(&job->mu);
	uv_cond_destroy(&job->cv);
	free(job);
}

static void close_handles(struct jobs *js)
{
	if (js->handles_closed)
		return;
	js->handles_closed = true;
	uv_close((uv_handle_t *)&js->async, NULL);
	uv_close((uv_handle_t *)&js->timer, NULL);
}

static void after_cb(uv_work_t *req, int status)
{
	struct job *job = req->data;
	struct jobs *js = job->js;
	const uint64_t ms = clock_monotonic_ms() - job->start_ms;

	if (status == UV_ECANCELED && job->rc == 0)
		set_error(job, -ECANCELED, "cancelled: the daemon is stopping");
	js->running = NULL;
	if (job->rc < 0)
		log_event(LOG_WARNING, job->kind == JOB_IMPORT ? "import" : "job", "%s",
			  job->error);
	if (job->kind == JOB_IMPORT && job->rc == 0)
		log_event(LOG_INFO, "import",
			 "import %s%s (%s): %llu rows, %llu changed, %zu dossiers recomputed, "
			 "%zu withdrawn, %llu ms", job->spool_dir ? "of spool file " : "",
			 job->source, csvimport_kind_name(job->csv_kind),
			 (unsigned long long)job->n_rows, (unsigned long long)job->n_changed,
			 job->stats.recomputed, job->stats.withdrawn, (unsigned long long)ms);
	if (job->kind == JOB_SCAN && job->rc == 0) {
		remember_scan(js, job, ms);
		daemon_scan_done(js->d);
		log_event(LOG_INFO, "scan",
			 "%sscan: %zu dossiers recomputed, %zu proposed (batch %lld), "
			 "%zu withdrawn, %llu ms", job->scheduled != DATE_NONE ? "nightly " : "",
			 job->stats.recomputed, job->proposed, (long long)job->batch,
			 job->stats.withdrawn, (unsigned long long)ms);
	}
	if (job->kind == JOB_RECOMPUTE && job->rc == 0 && job->stats.recomputed)
		log_info("start-up recompute: %zu dossiers, %llu ms", job->stats.recomputed,
			 (unsigned long long)ms);
	if (job->attached) {
		json_t *reply = build_reply(job, ms);
		job->owner.done(job->owner.owner, job, reply);
		json_decref(reply);
	}
	job_free(job);
	if (js->shutting_down)
		close_handles(js);
	else
		start_next(js);
}

static void start_next(struct jobs *js)
{
	struct job *job;

	if (js->running || js->shutting_down)
		return;
	/* The hook may queue jobs of its own, and so start one. */
	if (js->idle_hook)
		js->idle_hook(js->idle_arg);
	job = js->head;
	if (js->running || !job)
		return;
	js->head = job->next;
	if (!js->head)
		js->tail = NULL;
	job->next = NULL;
	js->running = job;
	job->start_ms = clock_monotonic_ms();
	job->today = clock_today();
	job->now = clock_now();
	job->work.data = job;
	int rc = uv_queue_work(js->d->loop, &job->work, work_cb, after_cb);
	if (rc < 0) {
		set_error(job, -EIO, "cannot start work: %s", uv_strerror(rc));
		js->running = NULL;
		if (job->attached) {
			json_t *reply = build_reply(job, 0);
			job->owner.done(job->owner.owner, job, reply);
			json_decref(reply);
		}
		job_free(job);
	}
}

static void on_async(uv_async_t *h)
{
	struct jobs *js = h->data;
	struct job *job = js->running;

	/* Any queued import may be waiting for room too, but only the
	 * running one drains its stream. */
	if (job && job->attached && job->owner.resume)
		job->owner.resume(job->owner.owner, job);
}

static void on_timer(uv_timer_t *h)
{
	struct jobs *js = h->data;
	struct job *job = js->running;

	if (!job || !job->attached || !job->owner.progress)
		return;
	uint64_t rows = atomic_load(&job->rows);
	uint64_t dossiers = atomic_load(&job->dossiers);
	int phase = atomic_load(&job->phase);
	if (rows == job->sent_rows && dossiers == job->sent_dossiers &&
	    phase == job->sent_phase)
		return;
	job->sent_rows = rows;
	job->sent_dossiers = dossiers;
	job->sent_phase = phase;
	json_t *p = json_pack("{s:s, s:I, s:I, s:I}", "phase", phase_names[phase], "rows",
			      (json_int_t)rows, "dossiers", (json_int_t)dossiers,
			      "elapsed_ms",
			      (json_int_t)(clock_monotonic_ms() - job->start_ms));
	if (p) {
		job->owner.progress(job->owner.owner, job, p);
		json_decref(p);
	}
}

int jobs_new(struct daemon *d, struct jobs **out)
{
	struct jobs *js = calloc(1, sizeof(*js));
	int rc;

	if (!js)
		return -ENOMEM;
	js->d = d;
	rc = uv_async_init(d->loop, &js->async, on_async);
	if (rc < 0) {
		free(js);
		return rc;
	}
	js->async.data = js;
	uv_timer_init(d->loop, &js->timer);
	js->timer.data = js;
	uv_timer_start(&js->timer, on_timer, PROGRESS_INTERVAL_MS, PROGRESS_INTERVAL_MS);
	uv_unref((uv_handle_t *)&js->timer);
	*out = js;
	return 0;
}

static struct job *job_new(struct jobs *js, enum job_kind kind,
			   const struct job_actor *actor,
			   const struct job_owner *owner)
{
	struct job *job = calloc(1, sizeof(*job));

	if (!job)
		return NULL;
	if (uv_mutex_init(&job->mu) < 0) {
		free(job);
		return NULL;
	}
	if (uv_cond_init(&job->cv) < 0) {
		uv_mutex_destroy(&job->mu);
		free(job);
		return NULL;
	}
	job->js = js;
	job->kind = kind;
	job->sent_phase = -1;
	job->scheduled = DATE_NONE;
	if (actor) {
		job->actor = *actor;
		job->has_actor = true;
	}
	if (owner) {
		job->owner = *owner;
		job->attached = true;
	}
	return job;
}

static int enqueue(struct jobs *js, struct job *job)
{
	if (js->shutting_down) {
		job_free(job);
		return -ESHUTDOWN;
	}
	if (js->tail)
		js->tail->next = job;
	else
		js->head = job;
	js->tail = job;
	start_next(js);
	return 0;
}

int jobs_import(struct jobs *js, int kind, const char *source,
		const struct job_actor *actor, const struct job_owner *owner,
		struct job **out)
{
	struct job *job = job_new(js, JOB_IMPORT, actor, owner);

	if (!job)
		return -ENOMEM;
	job->csv_kind = kind;
	snprintf(job->source, sizeof(job->source), "%s", source);
	*out = job;
	return enqueue(js, job);
}

int jobs_import_spool(struct jobs *js, int kind, const char *dir, const char *name,
		      const struct job_owner *owner)
{
	struct job *job = job_new(js, JOB_IMPORT, NULL, owner);

	if (!job)
		return -ENOMEM;
	job->csv_kind = kind;
	snprintf(job->source, sizeof(job->source), "%s", name);
	job->spool_dir = strdup(dir);
	if (!job->spool_dir) {
		job_free(job);
		return -ENOMEM;
	}
	return enqueue(js, job);
}

int jobs_scan_scheduled(struct jobs *js, rd_date occurrence)
{
	struct job *job = job_new(js, JOB_SCAN, NULL, NULL);

	if (!job)
		return -ENOMEM;
	job->scheduled = occurrence;
	return enqueue(js, job);
}

int jobs_scan(struct jobs *js, bool full, const struct job_actor *actor,
	      const struct job_owner *owner, struct job **out)
{
	struct job *job = job_new(js, JOB_SCAN, actor, owner);

	if (!job)
		return -ENOMEM;
	job->full = full;
	if (out)
		*out = job;
	return enqueue(js, job);
}

int jobs_call(struct jobs *js, job_fn fn, void *arg, void (*free_arg)(void *),
	      const struct job_actor *actor, const struct job_owner *owner,
	      struct job **out)
{
	struct job *job = job_new(js, JOB_CALL, actor, owner);

	if (!job) {
		if (free_arg)
			free_arg(arg);
		return -ENOMEM;
	}
	job->fn = fn;
	job->arg = arg;
	job->free_arg = free_arg;
	if (out)
		*out = job;
	return enqueue(js, job);
}

int jobs_recompute(struct jobs *js)
{
	struct job *job = job_new(js, JOB_RECOMPUTE, NULL, NULL);

	if (!job)
		return -ENOMEM;
	return enqueue(js, job);
}

void job_detach(struct job *job)
{
	job->attached = false;
	if (job->kind == JOB_IMPORT) {
		atomic_store(&job->cancel, true);
		stream_abort(job);
	}
}

void jobs_shutdown(struct jobs *js)
{
	struct job *job;

	js->shutting_down = true;
	while ((job = js->head)) {
		js->head = job->next;
		set_error(job, -ESHUTDOWN, "the daemon is stopping; nothing was done");
		if (job->attached) {
			json_t *reply = build_reply(job, 0);
			job->owner.done(job->owner.owner, job, reply);
			json_decref(reply);
		}
		job_free(job);
	}
	js->tail = NULL;
	if (js->running) {
		atomic_store(&js->running->cancel, true);
		stream_abort(js->running);
	} else {
		close_handles(js);
	}
}

void jobs_free(struct jobs *js)
{
	free(js);
}

bool jobs_busy(const struct jobs *js)
{
	return js->running != NULL;
}

json_t *jobs_describe(struct jobs *js)
{
	static const char *const kinds[] = {"import", "scan", "recompute", "command"};
	struct job *job = js->running;
	size_t queued = 0;

	for (struct job *q = js->head; q; q = q->next)
		queued++;
	if (!job)
		return json_pack("{s:n, s:I}", "running", "queued", (json_int_t)queued);
	json_t *r = json_pack("{s:s, s:s, s:I, s:I, s:I}", "kind", kinds[job->kind],
			      "phase", phase_names[atomic_load(&job->phase)], "rows",
			      (json_int_t)atomic_load(&job->rows), "dossiers",
			      (json_int_t)atomic_load(&job->dossiers), "elapsed_ms",
			      (json_int_t)(clock_monotonic_ms() - job->start_ms));
	if (r && job->kind == JOB_IMPORT)
		json_object_set_new(r, "source", json_string(job->source));
	return json_pack("{s:o, s:I}", "running", r, "queued", (json_int_t)queued);
}
