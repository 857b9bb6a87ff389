/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The nightly report: gathering its data from the store and the daemon,
 * and the jobs that preview it or queue it in the outbox. Both run on the
 * writer thread (report building is long work, off the loop); a queued
 * report is stored in one transaction with the bookkeeping that makes the
 * next one start where it ends (meta report.last_at, report.earlier_id,
 * and for the nightly one schedule.report), then the mailer is woken on
 * the loop thread.
 */
#include "config.h"

#include "daemon/report.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/clock.h"
#include "daemon/conf.h"
#include "daemon/daemon.h"
#include "daemon/handlers.h"
#include "daemon/jobs.h"
#include "daemon/log.h"
#include "daemon/mailer.h"
#include "daemon/mime.h"
#include "daemon/roles.h"
#include "daemon/server.h"
#include "store/store.h"

#include <syslog.h>

#define META_LAST_AT "report.last_at"
#define META_EARLIER_ID "report.earlier_id"
#define META_SCHEDULE "schedule.report"

/* Roles that may queue a report now. */
#define REPORT_SENDERS (WF_ROLE_ADMIN | WF_ROLE_ARCHIVIST | WF_ROLE_DIRECTOR)

void report_data_fini(struct report_data *r)
{
	if (!r)
		return;
	free(r->batches);
	free(r->lines);
	free(r->pending);
	free(r->holds);
	free(r->litigations);
	free(r->anomalies);
	free(r->earlier);
	free(r->failed);
	memset(r, 0, sizeof(*r));
}

void report_data_init(struct report_data *r, rd_date today, int64_t now)
{
	int y, m, dd;

	memset(r, 0, sizeof(*r));
	r->today = today;
	r->now = now;
	r->window_start = now - 24 * 3600;
	r->last_earlier_id = 0;
	date_to_ymd(today, &y, &m, &dd);
	for (int i = 0; i < REPORT_MONTHS; i++) {
		r->months[i].year = y + (m - 1 + i) / 12;
		r->months[i].month = (m - 1 + i) % 12 + 1;
	}
}

/* Append one element to a growing array; -ENOMEM. */
static int grow(void **arr, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		void *p = realloc(*arr, ncap * size);
		if (!p)
			return -ENOMEM;
		*arr = p;
		*cap = ncap;
	}
	memset((char *)*arr + *n * size, 0, size);
	(*n)++;
	return 0;
}

#define PUSH(arr, n, cap) grow((void **)&(arr), &(n), &(cap), sizeof(*(arr)))

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static int64_t meta_int(struct store *st, const char *key)
{
	char *v = NULL;
	long long x = 0;

	if (store_meta_get(st, key, &v) == 0 && v)
		x = strtoll(v, NULL, 10);
	free(v);
	return x > 0 ? (int64_t)x : 0;
}

static int meta_set_int(struct store *st, const char *key, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return store_meta_set(st, key, buf);
}

/* ------------------------------------------------------------ gather */

struct gather {
	struct report_data *r;
	size_t cap_batches, cap_lines, cap_pending, cap_holds, cap_lits, cap_anom,
		cap_earlier, cap_failed;
	struct report_batch *batch; /* the batch being read */
};

/* Imports of the journal: those that changed something. */
static int count_import(void *ctx, const struct store_audit_entry *e)
{
	struct report_data *r = ctx;

	if (!e->action || strcmp(e->action, "import") != 0)
		return 0;
	r->imports++;
	json_t *det = e->details ? json_loads(e->details, 0, NULL) : NULL;
	r->import_rows += json_integer_value(json_object_get(det, "changed"));
	json_decref(det);
	return 0;
}

static int add_line(void *ctx, const struct store_bordereau_line *l)
{
	struct gather *g = ctx;
	struct report_data *r = g->r;
	struct report_batch *b = g->batch;

	if (l->state && strcmp(l->state, "withdrawn") == 0)
		return 0;
	b->listed++;
	if (l->first_date != DATE_NONE && (b->first == DATE_NONE || l->first_date < b->first))
		b->first = l->first_date;
	if (l->last_date != DATE_NONE && (b->last == DATE_NONE || l->last_date > b->last))
		b->last = l->last_date;
	if (r->n_lines >= REPORT_MAX_CSV_LINES) {
		r->lines_dropped++;
		return 0;
	}
	if (PUSH(r->lines, r->n_lines, g->cap_lines) < 0)
		return -ENOMEM;
	struct report_line *x = &r->lines[r->n_lines - 1];
	x->batch = b->id;
	x->proposal = l->proposal_id;
	copy(x->ipp, sizeof(x->ipp), l->ipp);
	x->first = l->first_date;
	x->last = l->last_date;
	x->retain_until = l->retain_until;
	copy(x->basis, sizeof(x->basis), l->basis);
	return 0;
}

static int gather_batches(struct store *st, struct gather *g)
{
	struct report_data *r = g->r;
	int64_t *ids = NULL;
	size_t n = 0;
	int rc = store_report_batches_since(st, r->window_start, &ids, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct store_batch sb;
		rc = store_batch_get(st, ids[i], &sb);
		if (rc < 0)
			break;
		rc = PUSH(r->batches, r->n_batches, g->cap_batches);
		if (rc < 0)
			break;
		g->batch = &r->batches[r->n_batches - 1];
		g->batch->id = sb.id;
		g->batch->created_on = sb.created_on;
		g->batch->size = sb.size;
		g->batch->first = g->batch->last = DATE_NONE;
		rc = store_bordereau_each(st, ids[i], add_line, g);
	}
	free(ids);
	return rc;
}

static int add_pending(void *ctx, const struct store_pending *p)
{
	struct gather *g = ctx;
	struct report_data *r = g->r;

	if (PUSH(r->pending, r->n_pending, g->cap_pending) < 0)
		return -ENOMEM;
	struct report_pending *x = &r->pending[r->n_pending - 1];
	copy(x->state, sizeof(x->state), p->state);
	x->batch = p->batch;
	x->count = p->count;
	x->oldest = p->oldest;
	return 0;
}

/* The reason is free text typed by the director: not copied (report.h). */
static int add_hold(void *ctx, const struct store_hold_row *h)
{
	struct gather *g = ctx;
	struct report_data *r = g->r;

	r->total_holds++;
	if (r->n_holds >= REPORT_MAX_LIST)
		return 0;
	if (PUSH(r->holds, r->n_holds, g->cap_holds) < 0)
		return -ENOMEM;
	copy(r->holds[r->n_holds - 1].ipp, REPORT_ID_MAX, h->ipp);
	r->holds[r->n_holds - 1].since = h->since;
	return 0;
}

/* The litigation's reference is free text too: only its id is copied. */
static int add_litigation(void *ctx, const struct store_litigation_row *l)
{
	struct gather *g = ctx;
	struct report_data *r = g->r;

	r->total_litigations++;
	if (r->n_litigations >= REPORT_MAX_LIST)
		return 0;
	if (PUSH(r->litigations, r->n_litigations, g->cap_lits) < 0)
		return -ENOMEM;
	struct report_litigation *x = &r->litigations[r->n_litigations - 1];
	copy(x->id, sizeof(x->id), l->id);
	copy(x->ipp, sizeof(x->ipp), l->ipp);
	x->opened = l->opened;
	return 0;
}

static int add_anomaly(void *ctx, const char *ipp, const struct engine_result *res)
{
	struct gather *g = ctx;
	struct report_data *r = g->r;

	if (PUSH(r->anomalies, r->n_anomalies, g->cap_anom) < 0)
		return -ENOMEM;
	struct report_anomaly *a = &r->anomalies[r->n_anomalies - 1];
	copy(a->ipp, sizeof(a->ipp), ipp);
	for (size_t i = 0; i < res->n_steps; i++) {
		const struct engine_step *s = &res->steps[i];
		if (s->rule != ENGINE_RULE_ANOMALY)
			continue;
		if (a->n_reasons == REPORT_MAX_REASONS) {
			a->more_reasons++;
			continue;
		}
		struct report_reason *why = &a->reasons[a->n_reasons++];
		why->anomaly = s->anomaly;
		why->date = s->start;
		copy(why->ref, sizeof(why->ref), s->ref);
	}
	a->more_reasons += res->n_dropped;
	return 0;
}

static int add_month(void *ctx, int year, int month, int64_t count)
{
	struct report_data *r = ctx;

	for (int i = 0; i < REPORT_MONTHS; i++)
		if (r->months[i].year == year && r->months[i].month == month)
			r->months[i].count += count;
	return 0;
}

static int add_earlier(void *ctx, const struct store_earlier *e)
{
	struct gather *g = ctx;
	struct report_data *r = g->r;

	r->total_earlier++;
	if (e->id > r->last_earlier_id)
		r->last_earlier_id = e->id;
	if (r->n_earlier >= REPORT_MAX_LIST)
		return 0;
	if (PUSH(r->earlier, r->n_earlier, g->cap_earlier) < 0)
		return -ENOMEM;
	struct report_earlier *x = &r->earlier[r->n_earlier - 1];
	copy(x->ipp, sizeof(x->ipp), e->ipp);
	x->old_until = e->old_until;
	x->new_until = e->new_until;
	x->at = e->at;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct report_file *)a)->name,
		      ((const struct report_file *)b)->name);
}

/* Files moved to the spool's failed/ since the window started (rename
 * sets their change time). Their .error companions are not counted. */
static int gather_failed(const char *spool, struct gather *g)
{
	struct report_data *r = g->r;
	char dir[4096];
	struct dirent *e;

	snprintf(dir, sizeof(dir), "%s/failed", spool);
	DIR *dp = opendir(dir);
	if (!dp)
		return 0; /* not created yet: nothing failed */
	while ((e = readdir(dp))) {
		const size_t len = strlen(e->d_name);
		char path[4400];
		struct stat sb;

		if (e->d_name[0] == '.' ||
		    (len > 6 && strcmp(e->d_name + len - 6, ".error") == 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode) ||
		    (int64_t)sb.st_ctime <= r->window_start)
			continue;
		r->total_failed++;
		if (r->n_failed >= REPORT_MAX_LIST)
			continue;
		if (PUSH(r->failed, r->n_failed, g->cap_failed) < 0) {
			closedir(dp);
			return -ENOMEM;
		}
		copy(r->failed[r->n_failed - 1].name, sizeof(r->failed[0].name), e->d_name);
		r->failed[r->n_failed - 1].at = (int64_t)sb.st_ctime;
	}
	closedir(dp);
	if (r->n_failed > 1)
		qsort(r->failed, r->n_failed, sizeof(r->failed[0]), by_name);
	return 0;
}

int report_gather(struct store *st, const struct report_source *src,
		  struct report_data *out)
{
	struct report_data r;
	struct gather g = {.r = &r};
	struct store_counts counts;
	const struct config *cfg = src->cfg;
	int rc;

	report_data_init(&r, src->today, src->now);
	copy(r.establishment, sizeof(r.establishment), cfg->name);
	copy(r.finess, sizeof(r.finess), cfg->finess);
	r.is_public = cfg->is_public;
	r.since = meta_int(st, META_LAST_AT);
	r.window_start = r.since > 0 ? r.since : r.now - 24 * 3600;
	r.last_earlier_id = meta_int(st, META_EARLIER_ID);
	r.started_at = src->started_at;
	r.warnings = src->warnings;
	r.errors = src->errors;
	r.scan_valid = src->scan_valid;
	r.scan_at = src->scan_at;
	r.scan_ms = src->scan_ms;
	r.scan_recomputed = src->scan_recomputed;
	r.scan_proposed = src->scan_proposed;
	r.scan_withdrawn = src->scan_withdrawn;

	rc = store_counts(st, &counts);
	if (rc < 0)
		goto fail;
	memcpy(r.by_status, counts.by_status, sizeof(r.by_status));
	r.dirty = counts.dirty;
	rc = store_audit_each(st, r.window_start + 1, 0, count_import, &r);
	if (rc == 0)
		rc = gather_batches(st, &g);
	if (rc == 0)
		rc = store_report_pending(st, add_pending, &g);
	if (rc == 0)
		rc = store_report_holds(st, 0, add_hold, &g);
	if (rc == 0)
		rc = store_report_open_litigations(st, 0, add_litigation, &g);
	if (rc == 0)
		rc = store_report_anomalies(st, &cfg->policy, r.today, REPORT_MAX_ANOMALIES,
					    add_anomaly, &g, &r.total_anomalies);
	if (rc == 0)
		rc = store_report_count_due(st, r.today, date_add_days(r.today, 30), &r.due30);
	if (rc == 0)
		rc = store_report_count_due(st, r.today, date_add_days(r.today, 90), &r.due90);
	if (rc == 0)
		rc = store_report_count_due(st, r.today, date_add_days(r.today, 365), &r.due365);
	if (rc < 0)
		goto fail;

	/* Months by first eligible day (retain_until + 1), from the current
	 * month: eligible before the first day of the 13th month. */
	int y, m, dd;
	date_to_ymd(r.today, &y, &m, &dd);
	rd_date end = DATE_NONE;
	date_from_ymd(y + (m - 1 + REPORT_MONTHS) / 12, (m - 1 + REPORT_MONTHS) % 12 + 1, 1, &end);
	rc = store_forecast_months(st, r.today, date_add_days(end, -1), add_month, &r);
	if (rc == 0)
		rc = store_report_earlier(st, r.last_earlier_id, 0, add_earlier, &g);
	if (rc < 0)
		goto fail;
	r.spool = cfg->spool != NULL;
	if (cfg->spool) {
		rc = gather_failed(cfg->spool, &g);
		if (rc < 0)
			goto fail;
	}
	*out = r;
	return 0;
fail:
	report_data_fini(&r);
	return rc;
}

/* ------------------------------------------------------------ jobs */

bool report_enabled(const struct config *cfg)
{
	return cfg->report_from && cfg->report_n_to > 0;
}

enum report_format { FORMAT_TEXT, FORMAT_HTML, FORMAT_CSV };

struct report_job {
	struct daemon *d;
	bool send;
	enum report_format format;      /* preview */
	rd_date occurrence;             /* nightly: the schedule's day */
	bool queued;                    /* set by the worker */
};

/*
 * The warnings and errors counted when the last report was queued: the
 * next one tells those logged since. Read and written by report jobs only,
 * which run one at a time.
 */
static uint64_t base_warnings, base_errors;

static void report_job_free(void *p)
{
	struct report_job *a = p;

	if (!a)
		return;
	/* job_free runs on the loop thread once the job is over, replied to
	 * or not: the moment to wake the mailer for what was queued. */
	if (a->queued && !a->d->stopping && a->d->mailer)
		mailer_kick(a->d->mailer);
	free(a);
}

/* w, e: the warnings and errors logged since start-up (log_counts). */
static void source_of(struct daemon *d, uint64_t w, uint64_t e, struct report_source *src)
{
	memset(src, 0, sizeof(*src));
	src->cfg = &d->cfg;
	src->today = clock_today();
	src->now = clock_now();
	src->started_at = d->started_at;
	src->scan_valid = d->last_scan.valid;
	src->scan_at = d->last_scan.at;
	src->scan_ms = d->last_scan.duration_ms;
	src->scan_recomputed = d->last_scan.recomputed;
	src->scan_proposed = d->last_scan.proposed;
	src->scan_withdrawn = d->last_scan.withdrawn;
	src->warnings = w >= base_warnings ? w - base_warnings : w;
	src->errors = e >= base_errors ? e - base_errors : e;
}

static enum i18n_lang report_lang(const struct config *cfg)
{
	int l = i18n_lang_from_name(cfg->report_language);

	return l < 0 ? I18N_FR : (enum i18n_lang)l;
}

static json_t *preview(struct report_job *a, const struct report_data *data,
		       enum i18n_lang lang)
{
	char *subject = report_render_subject(data, lang);
	char *body = a->format == FORMAT_HTML ? report_render_html(data, lang)
		     : a->format == FORMAT_CSV ? report_render_csv(data, lang)
					       : report_render_text(data, lang);
	json_t *r = NULL;

	if (subject && body)
		r = json_pack("{s:s, s:s, s:s, s:s}", "subject", subject, "language",
			      i18n_lang_name(lang), "format",
			      a->format == FORMAT_HTML ? "html"
			      : a->format == FORMAT_CSV ? "csv" : "text",
			      "content", body);
	free(subject);
	free(body);
	return r ? handlers_ok(r) : handlers_error("out of memory");
}

/* Who mailed a list of dossiers, to whom, is in the journal. */
static int audit_report(struct store *st, int64_t id, const char *to, rd_date occurrence)
{
	char target[40];
	json_t *det = json_pack("{s:I, s:s, s:b}", "outbox", (json_int_t)id, "recipients", to,
				"nightly", occurrence != DATE_NONE);
	char *text = det ? json_dumps(det, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int rc = -ENOMEM;

	snprintf(target, sizeof(target), "outbox %lld", (long long)id);
	if (text)
		rc = store_audit_append(st, "report", target, text);
	free(text);
	json_decref(det);
	return rc;
}

/* Build the message and store it, with the bookkeeping and its journal
 * entry, in the caller's transaction. *id the outbox message. */
static int queue_message(struct daemon *d, struct store *st, const struct report_data *data,
			 enum i18n_lang lang, rd_date occurrence, int64_t *id, char **subject,
			 char *err, size_t errlen)
{
	const struct config *cfg = &d->cfg;
	char *text = report_render_text(data, lang);
	char *html = report_render_html(data, lang);
	char *csv = report_render_csv(data, lang);
	char *msg = NULL, filename[64], day[DATE_STRLEN];
	size_t len = 0;
	int rc;

	*subject = report_render_subject(data, lang);
	if (!text || !html || !csv || !*subject) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	snprintf(filename, sizeof(filename), "retentiond-%s.csv", date_format(data->today, day));
	const struct mime_report m = {
		.from = cfg->report_from,
		.to = (const char *const *)cfg->report_to_list,
		.n_to = cfg->report_n_to,
		.subject = *subject,
		.date = data->now,
		.text = text,
		.html = html,
		.csv = csv,
		.csv_filename = filename,
	};
	rc = mime_build_report(&m, &msg, &len);
	if (rc < 0) {
		snprintf(err, errlen, "cannot build the message: %s", strerror(-rc));
		goto out;
	}
	rc = store_outbox_add(st, *subject, cfg->report_to, msg, len, data->now, id);
	if (rc == 0)
		rc = audit_report(st, *id, cfg->report_to, occurrence);
	if (rc == 0)
		rc = meta_set_int(st, META_LAST_AT, data->now);
	if (rc == 0)
		rc = meta_set_int(st, META_EARLIER_ID, data->last_earlier_id);
	if (rc == 0 && occurrence != DATE_NONE)
		rc = store_meta_set(st, META_SCHEDULE, date_format(occurrence, day));
	if (rc < 0)
		snprintf(err, errlen, "cannot queue the report: %s", store_errmsg(st));
out:
	free(text);
	free(html);
	free(csv);
	free(msg);
	if (rc < 0) {
		free(*subject);
		*subject = NULL;
	}
	return rc;
}

/* Runs on the writer thread. */
static json_t *run_report(struct daemon *d, struct store *st, void *arg)
{
	struct report_job *a = arg;
	const enum i18n_lang lang = report_lang(&d->cfg);
	struct report_source src;
	struct report_data data;
	char err[256] = "", day[DATE_STRLEN];
	char *subject = NULL;
	int64_t id = 0;
	uint64_t w, e;
	int rc;

	if (a->send && !report_enabled(&d->cfg))
		return handlers_error("no report is sent without recipients: set from and to "
				      "in the [report] section of the configuration");
	log_counts(&w, &e);
	source_of(d, w, e, &src);
	/* One transaction: what is reported is what the next report starts
	 * after (a preview's transaction only gives it a consistent read). */
	rc = store_begin(st);
	if (rc < 0)
		return handlers_error("cannot start a transaction: %s", store_errmsg(st));
	rc = report_gather(st, &src, &data);
	if (rc < 0) {
		json_t *reply = handlers_error("cannot read the report: %s", store_errmsg(st));
		if (a->send)
			log_errx("report: cannot read it: %s", store_errmsg(st));
		store_rollback(st);
		return reply;
	}
	if (!a->send) {
		json_t *reply = preview(a, &data, lang);
		store_rollback(st);
		report_data_fini(&data);
		return reply;
	}
	rc = queue_message(d, st, &data, lang, a->occurrence, &id, &subject, err, sizeof(err));
	if (rc == 0)
		rc = store_commit(st);
	if (rc < 0) {
		if (!err[0])
			snprintf(err, sizeof(err), "cannot queue the report: %s", store_errmsg(st));
		store_rollback(st);
		free(subject);
		report_data_fini(&data);
		log_errx("report: %s", err);
		return handlers_error("%s", err);
	}
	base_warnings = w;
	base_errors = e;
	a->queued = true;
	log_event(LOG_INFO, "report", "%sreport of %s queued for sending (outbox message %lld)",
		  a->occurrence != DATE_NONE ? "nightly " : "",
		  date_format(data.today, day), (long long)id);
	json_t *r = json_pack("{s:I, s:s, s:s, s:s}", "outbox", (json_int_t)id, "subject",
			      subject, "recipients", d->cfg.report_to, "language",
			      i18n_lang_name(lang));
	free(subject);
	report_data_fini(&data);
	return handlers_ok(r);
}

int report_queue_scheduled(struct daemon *d, rd_date occurrence)
{
	struct report_job *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->d = d;
	a->send = true;
	a->occurrence = occurrence;
	return jobs_call(d->jobs, run_report, a, report_job_free, NULL, NULL, NULL);
}

/* ------------------------------------------------------------ command */

json_t *report_command(struct daemon *d, struct conn *c, json_t *req)
{
	const char *action = NULL, *format = NULL;
	json_t *err = NULL;
	char need[128], have[128];

	if (!handlers_arg_string(req, "action", 16, &action, &err) ||
	    !handlers_arg_string(req, "format", 8, &format, &err))
		return err;
	const bool send = action && strcmp(action, "send") == 0;
	if (!action || (!send && strcmp(action, "preview") != 0))
		return handlers_error("report: the action is preview or send");
	enum report_format f = FORMAT_TEXT;
	if (format && strcmp(format, "html") == 0)
		f = FORMAT_HTML;
	else if (format && strcmp(format, "csv") == 0)
		f = FORMAT_CSV;
	else if (format && strcmp(format, "text") != 0)
		return handlers_error("report preview: the format is text, html or csv");
	if (send) {
		/* Every role may preview; queueing mail is for these. */
		if (!roles_allow(c->caller.roles, REPORT_SENDERS, &c->role_used)) {
			log_notice("refused report send to %s (uid %u): needs director, archivist "
				   "or admin", c->caller.user, (unsigned)c->uid);
			return handlers_error("permission denied: 'report send' needs the role %s "
					      "(you are %s, with the roles: %s)",
					      roles_describe(REPORT_SENDERS, need, sizeof(need)),
					      c->caller.user,
					      roles_describe(c->caller.roles, have, sizeof(have)));
		}
		if (!report_enabled(&d->cfg))
			return handlers_error("no report is sent without recipients: set from and "
					      "to in the [report] section of the configuration");
	}
	struct report_job *a = calloc(1, sizeof(*a));
	if (!a)
		return handlers_error("out of memory");
	a->d = d;
	a->send = send;
	a->format = f;
	a->occurrence = DATE_NONE;
	return handlers_call(d, c, run_report, a, report_job_free);
}
