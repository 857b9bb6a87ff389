/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The writer job queue, on the loop thread: queueing, one job at a time on
 * the thread pool, the import streams' loop side, progress, replies, and
 * shutdown. The work itself is in jobs_work.c.
 */
#include "config.h"

#include "daemon/jobs.h"
#include "daemon/jobs_internal.h"

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

const char *const jobs_phase_names[] = {"queued", "reading", "recomputing",
					"proposing"};

void jobs_set_idle_hook(struct jobs *js, void (*fn)(void *arg), void *arg)
{
	js->idle_hook = fn;
	js->idle_arg = arg;
}

static void start_next(struct jobs *js);

/* ------------------------------------------------------------ stream */


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

void jobs_set_error(struct job *job, int rc, const char *fmt, ...)
{
	va_list ap;

	job->rc = rc;
	va_start(ap, fmt);
	vsnprintf(job->error, sizeof(job->error), fmt, ap);
	va_end(ap);
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
	uv_close((uv_handle_t *)&js->idle_timer, NULL);
}

static void after_cb(uv_work_t *req, int status)
{
	struct job *job = req->data;
	struct jobs *js = job->js;
	const uint64_t ms = clock_monotonic_ms() - job->start_ms;

	if (status == UV_ECANCELED && job->rc == 0)
		jobs_set_error(job, -ECANCELED, "cancelled: the daemon is stopping");
	js->running = NULL;
	js->wal_dirty = job->kind != JOB_CHECKPOINT;
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

static struct job *job_new(struct jobs *js, enum job_kind kind,
			   const struct job_actor *actor,
			   const struct job_owner *owner);

static void on_idle_timer(uv_timer_t *h)
{
	struct jobs *js = h->data;

	if (js->running || js->head || !js->wal_dirty || js->shutting_down)
		return;
	struct job *job = job_new(js, JOB_CHECKPOINT, NULL, NULL);
	if (!job)
		return; /* the next job's end tries again */
	js->head = js->tail = job;
	start_next(js);
}

/*
 * The writer defers its checkpoints (store_defer_checkpoints) so that no
 * job pays for copying the WAL of the jobs before it: the copy runs as a
 * job of its own once the queue is idle. Under a queue that never empties
 * it goes first once the WAL passes CHECKPOINT_MAX_FRAMES, so the WAL
 * stays bounded. No job runs: the writer connection is free to ask.
 */
static void plan_checkpoint(struct jobs *js)
{
	if (!js->wal_dirty)
		return;
	if (!js->head) {
		uv_timer_start(&js->idle_timer, on_idle_timer, CHECKPOINT_IDLE_MS, 0);
		return;
	}
	if (store_wal_frames(js->d->writer) < CHECKPOINT_MAX_FRAMES)
		return;
	struct job *job = job_new(js, JOB_CHECKPOINT, NULL, NULL);
	if (!job)
		return;
	job->next = js->head;
	js->head = job;
}

static void start_next(struct jobs *js)
{
	struct job *job;

	if (js->running || js->shutting_down)
		return;
	/* The hook may queue jobs of its own, and so start one. */
	if (js->idle_hook)
		js->idle_hook(js->idle_arg);
	if (js->running)
		return;
	plan_checkpoint(js);
	job = js->head;
	if (!job)
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
	int rc = uv_queue_work(js->d->loop, &job->work, jobs_work, after_cb);
	if (rc < 0) {
		jobs_set_error(job, -EIO, "cannot start work: %s", uv_strerror(rc));
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
	json_t *p = json_pack("{s:s, s:I, s:I, s:I}", "phase", jobs_phase_names[phase], "rows",
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
	uv_timer_init(d->loop, &js->idle_timer);
	js->idle_timer.data = js;
	uv_unref((uv_handle_t *)&js->idle_timer);
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
		jobs_set_error(job, -ESHUTDOWN, "the daemon is stopping; nothing was done");
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
	static const char *const kinds[] = {"import", "scan", "recompute", "command",
					    "checkpoint"};
	struct job *job = js->running;
	size_t queued = 0;

	for (struct job *q = js->head; q; q = q->next)
		queued++;
	if (!job)
		return json_pack("{s:n, s:I}", "running", "queued", (json_int_t)queued);
	json_t *r = json_pack("{s:s, s:s, s:I, s:I, s:I}", "kind", kinds[job->kind],
			      "phase", jobs_phase_names[atomic_load(&job->phase)], "rows",
			      (json_int_t)atomic_load(&job->rows), "dossiers",
			      (json_int_t)atomic_load(&job->dossiers), "elapsed_ms",
			      (json_int_t)(clock_monotonic_ms() - job->start_ms));
	if (r && job->kind == JOB_IMPORT)
		json_object_set_new(r, "source", json_string(job->source));
	return json_pack("{s:o, s:I}", "running", r, "queued", (json_int_t)queued);
}
