/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Daemon start-up and shutdown: a linear initialisation with one cleanup
 * path in reverse order (in the manner of chrony's main.c), and a stop that
 * lets the running job roll back before the loop ends.
 */
#include "config.h"

#include "daemon/daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/clock.h"
#include "daemon/i18n.h"
#include "daemon/jobs.h"
#include "daemon/log.h"
#include "daemon/mailer.h"
#include "daemon/priority.h"
#include "daemon/report.h"
#include "daemon/server.h"
#include "daemon/spool.h"
#include "daemon/systemd.h"

#include <syslog.h>

/* mkdir -p of the directory holding path (mode for what it creates). */
static int make_parent(const char *path, mode_t mode)
{
	char dir[4096];
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * One daemon per database, whatever its socket: an exclusive flock on a
 * file beside the database, held until exit. Not on the database itself:
 * closing any descriptor of it would drop SQLite's own POSIX locks.
 */
static int lock_database(struct daemon *d, char *err, size_t errlen)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s.lock", d->cfg.database) >= (int)sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", d->cfg.database);
		return -ENAMETOOLONG;
	}
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lock_fd < 0) {
		int e = errno;
		snprintf(err, errlen, "%.400s: cannot open: %s", path, strerror(e));
		return -e;
	}
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		if (e == EWOULDBLOCK)
			snprintf(err, errlen,
				 "another retentiond uses the database %s; not starting",
				 d->cfg.database);
		else
			snprintf(err, errlen, "%.400s: cannot lock: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

static void load_last_scan(struct daemon *d)
{
	char *v = NULL;
	long long at, batch;
	unsigned long long ms, proposed, recomputed, changed, withdrawn;

	if (store_meta_get(d->writer, "last_scan", &v) < 0 || !v)
		return;
	if (sscanf(v, "%lld %llu %lld %llu %llu %llu %llu", &at, &ms, &batch, &proposed,
		   &recomputed, &changed, &withdrawn) == 7) {
		d->last_scan = (struct scan_summary){
			.valid = true, .at = at, .duration_ms = ms, .batch = batch,
			.proposed = proposed, .recomputed = recomputed,
			.changed = changed, .withdrawn = withdrawn,
		};
	}
	free(v);
}

/*
 * While store_open migrates an existing database: say so once in the log,
 * and keep the unit's TimeoutStartSec from killing a migration that makes
 * progress (schema v8 copies the encounters: minutes at 10M dossiers).
 * Each call, about every STORE_MIGRATION_TICK_S seconds while SQLite
 * works, moves the start-up's deadline to MIGRATION_EXTEND_S from now:
 * far enough for one long step of SQLite's (a sort of fifty million
 * keys) between two calls, near enough that a migration that stopped
 * moving is still killed and retried.
 */
#define MIGRATION_EXTEND_S 180
static void on_migration(void *ctx, int from, int to)
{
	struct daemon *d = ctx;

	if (!d->migrating) {
		d->migrating = true;
		log_notice("%s: migrating the database from schema version %d to %d "
			   "(minutes on a large database)",
			   d->cfg.database, from, to);
	}
	sdw_extend_timeout((uint64_t)MIGRATION_EXTEND_S * 1000000);
	sdw_status("migrating the database from schema version %d to %d", from,
		   to);
}

/* A new policy changes results: every dossier is recomputed. */
static int check_policy(struct daemon *d)
{
	char fp[CONFIG_FINGERPRINT_SIZE];
	char *old = NULL;
	int rc;

	config_policy_fingerprint(&d->cfg, fp, sizeof(fp));
	rc = store_meta_get(d->writer, "policy", &old);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (old && strcmp(old, fp) == 0) {
		free(old);
		return 0;
	}
	rc = store_begin(d->writer);
	if (rc == 0 && old)
		rc = store_mark_all_dirty(d->writer);
	if (rc == 0)
		rc = store_meta_set(d->writer, "policy", fp);
	if (rc == 0)
		rc = store_commit(d->writer);
	else
		store_rollback(d->writer);
	if (rc == 0 && old)
		log_notice("retention policy changed: every dossier will be recomputed");
	free(old);
	return rc;
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	log_event(LOG_INFO, "stop", "received %s, stopping", strsignal(signum));
	daemon_stop(d);
}

void daemon_stop(struct daemon *d)
{
	if (d->stopping)
		return;
	d->stopping = true;
	sdw_stopping();
	spool_stop(d->spool);
	d->spool = NULL;
	/* Before the jobs: its queued jobs then end without sending more. */
	mailer_stop(d->mailer);
	d->mailer = NULL;
	server_close(d->server);
	jobs_shutdown(d->jobs);
	uv_close((uv_handle_t *)&d->sig_term, NULL);
	uv_close((uv_handle_t *)&d->sig_int, NULL);
	uv_close((uv_handle_t *)&d->sig_hup, NULL);
	uv_close((uv_handle_t *)&d->tick, NULL);
	uv_close((uv_handle_t *)&d->watchdog, NULL);
	if (d->pending) {
		config_fini(d->pending);
		free(d->pending);
		d->pending = NULL;
	}
}

static void update_status(struct daemon *d)
{
	char next[8], at[64];

	if (d->scan_schedule.at < 0)
		snprintf(next, sizeof(next), "off");
	else
		schedule_format_time(d->scan_schedule.at, next);
	if (!d->last_scan.valid) {
		sdw_status("ready; no scan yet; nightly scan at %s", next);
		return;
	}
	clock_format_time(d->last_scan.at, at, sizeof(at));
	sdw_status("ready; last scan %s: %llu proposed (batch %lld), %llu recomputed in "
		   "%.1f s; nightly scan at %s",
		   at, (unsigned long long)d->last_scan.proposed, (long long)d->last_scan.batch,
		   (unsigned long long)d->last_scan.recomputed,
		   (double)d->last_scan.duration_ms / 1000.0, next);
}

void daemon_scan_done(struct daemon *d)
{
	update_status(d);
}

/* ------------------------------------------------------------ schedule */

static void on_tick(uv_timer_t *t)
{
	struct daemon *d = t->data;
	const int64_t now = clock_now();

	char day[DATE_STRLEN];

	if (d->stopping)
		return;
	if (d->scan_schedule.at >= 0 && schedule_due(&d->scan_schedule, now)) {
		rd_date occurrence = schedule_occurrence(&d->scan_schedule, now);
		if (jobs_scan_scheduled(d->jobs, occurrence) == 0) {
			log_event(LOG_INFO, "scan", "nightly scan of %s queued",
				  date_format(occurrence, day));
			schedule_ran(&d->scan_schedule, now);
		}
	}
	/* After the scan when both are due (a daemon catching up): the
	 * report tells what the scan found. Without recipients, nothing. */
	if (d->report_schedule.at >= 0 && report_enabled(&d->cfg) &&
	    schedule_due(&d->report_schedule, now)) {
		rd_date occurrence = schedule_occurrence(&d->report_schedule, now);
		if (report_queue_scheduled(d, occurrence) == 0) {
			log_event(LOG_INFO, "report", "nightly report of %s queued",
				  date_format(occurrence, day));
			schedule_ran(&d->report_schedule, now);
		}
	}
}

static void on_watchdog(uv_timer_t *t)
{
	(void)t;
	/* From the loop thread: a loop that stops turning stops the pings. */
	sdw_watchdog();
}

/* A daily job's time, and the occurrence its last run recorded in meta. */
static void load_one(struct daemon *d, struct schedule *s, int at, const char *key)
{
	char *v = NULL;
	rd_date day;

	s->at = at;
	s->last_run = DATE_NONE;
	if (store_meta_get(d->writer, key, &v) == 0 && v &&
	    date_parse(v, strlen(v), &day) == 0)
		s->last_run = day;
	free(v);
}

static void load_schedule(struct daemon *d)
{
	load_one(d, &d->scan_schedule, d->cfg.scan_at, "schedule.scan");
	load_one(d, &d->report_schedule, d->cfg.report_at, "schedule.report");
}

/* ------------------------------------------------------------ reload */

/* Runs on the writer thread: a new policy makes every date stale. */
static json_t *run_policy_change(struct daemon *d, struct store *st, void *arg)
{
	char fp[CONFIG_FINGERPRINT_SIZE];
	int rc;

	(void)arg;
	config_policy_fingerprint(&d->cfg, fp, sizeof(fp));
	rc = store_begin(st);
	if (rc == 0)
		rc = store_mark_all_dirty(st);
	if (rc == 0)
		rc = store_meta_set(st, "policy", fp);
	if (rc == 0)
		rc = store_commit(st);
	if (rc < 0) {
		store_rollback(st);
		log_errx("policy change: %s", store_errmsg(st));
	}
	return json_pack("{s:b}", "ok", rc == 0);
}

static void keep_old(const char *key, char **newv, const char *oldv)
{
	if ((!*newv && !oldv) || (*newv && oldv && strcmp(*newv, oldv) == 0))
		return;
	log_warnx("reload: %s changes only at restart; keeping %s", key, oldv ? oldv : "the system's");
	free(*newv);
	*newv = oldv ? strdup(oldv) : NULL;
}

/* The idle hook: no job runs, so nothing reads d->cfg but this thread. */
static void apply_pending(void *arg)
{
	struct daemon *d = arg;
	struct config *n = d->pending;
	char fp_old[CONFIG_FINGERPRINT_SIZE], fp_new[CONFIG_FINGERPRINT_SIZE];

	if (!n || d->stopping)
		return;
	d->pending = NULL;
	keep_old("[daemon] database", &n->database, d->cfg.database);
	keep_old("[daemon] socket", &n->socket, d->cfg.socket);
	keep_old("[establishment] timezone", &n->timezone, d->cfg.timezone);
	if (n->socket_mode != d->cfg.socket_mode) {
		log_warnx("reload: [daemon] socket_mode changes only at restart");
		n->socket_mode = d->cfg.socket_mode;
	}
	config_policy_fingerprint(&d->cfg, fp_old, sizeof(fp_old));
	config_policy_fingerprint(n, fp_new, sizeof(fp_new));
	const bool spool_changed = (!n->spool != !d->cfg.spool) ||
				   (n->spool && strcmp(n->spool, d->cfg.spool) != 0);
	config_fini(&d->cfg);
	d->cfg = *n;
	free(n);
	d->scan_schedule.at = d->cfg.scan_at;
	d->report_schedule.at = d->cfg.report_at;
	if (spool_changed) {
		spool_stop(d->spool);
		d->spool = NULL;
		if (d->cfg.spool) {
			int rc = spool_start(d, d->cfg.spool, &d->spool);
			if (rc < 0)
				log_errx("spool %s: %s", d->cfg.spool, strerror(-rc));
		}
	}
	if (strcmp(fp_old, fp_new) != 0) {
		log_notice("retention policy changed: every dossier will be recomputed");
		jobs_call(d->jobs, run_policy_change, NULL, NULL, NULL, NULL, NULL);
		jobs_recompute(d->jobs);
	}
	update_status(d);
	/* A new smtp_url, password or retry delays apply from now. */
	mailer_reconfigured(d->mailer);
	sdw_ready();
	log_event(LOG_INFO, "reload", "configuration reloaded from %s",
		  d->cfg.path ? d->cfg.path : "(embedded defaults)");
}

static void on_hup(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;
	struct config *n = calloc(1, sizeof(*n));
	char err[1024];
	const char *path = d->cfg.path;

	(void)signum;
	sdw_reloading();
	if (!n || config_init_defaults(n) < 0) {
		free(n);
		log_errx("reload: out of memory; keeping the running configuration");
		sdw_ready();
		return;
	}
	/* All or nothing: a file with any error changes nothing. */
	if (path && config_load(path, n, err, sizeof(err)) < 0) {
		log_event(LOG_ERR, "reload", "reload refused, the running configuration stays: %s",
			  err);
		config_fini(n);
		free(n);
		sdw_ready();
		return;
	}
	if (d->pending) {
		config_fini(d->pending);
		free(d->pending);
	}
	d->pending = n;
	if (!jobs_busy(d->jobs))
		apply_pending(d);
}

int daemon_run(struct config *cfg)
{
	struct daemon d;
	char err[512];
	int rc, status = EXIT_FAILURE, activated = -ENOENT;

	memset(&d, 0, sizeof(d));
	d.lock_fd = -1;
	d.cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	d.loop = uv_default_loop();
	d.started_at = clock_now();
	signal(SIGPIPE, SIG_IGN);
	/* Both before any other thread: the threads started later keep the
	 * default time slice; i18n_init sets LANGUAGE (see i18n.h). */
	priority_loop_thread();
	if (i18n_init() < 0)
		log_warnx("no C.UTF-8 locale: the report will be in English");
	else if (i18n_lang_from_name(d.cfg.report_language) == I18N_FR &&
		 !i18n_available(I18N_FR))
		log_warnx("no French catalogue for the report under %s: it will be in English",
			  getenv("RETENTIOND_LOCALEDIR") ? getenv("RETENTIOND_LOCALEDIR")
							 : LOCALEDIR);

	/* Socket activation, or our own socket: then both checks come before
	 * the database is opened, as a refused second daemon must not touch
	 * it (not even to record its policy). */
	activated = sdw_listen_fd(err, sizeof(err));
	if (activated < 0 && activated != -ENOENT) {
		log_errx("%s", err);
		goto out;
	}
	if (activated < 0) {
		rc = server_check_other(d.cfg.socket, err, sizeof(err));
		if (rc < 0) {
			log_errx("%s", err);
			goto out;
		}
	}
	rc = make_parent(d.cfg.database, 0750);
	if (rc < 0) {
		log_errx("%s: cannot create its directory: %s", d.cfg.database, strerror(-rc));
		goto out;
	}
	rc = lock_database(&d, err, sizeof(err));
	if (rc < 0) {
		log_errx("%s", err);
		goto out;
	}
	rc = store_open_migrating(d.cfg.database, on_migration, &d, &d.writer);
	if (rc < 0) {
		log_errx("%s: cannot open the database: %s", d.cfg.database,
			 d.writer ? store_errmsg(d.writer) : strerror(-rc));
		goto out;
	}
	/* Checkpoints run as jobs of their own, when the queue is idle. */
	rc = store_defer_checkpoints(d.writer);
	if (rc < 0) {
		log_errx("%s: %s", d.cfg.database, store_errmsg(d.writer));
		goto out;
	}
	rc = check_policy(&d);
	if (rc < 0) {
		log_errx("%s: %s", d.cfg.database, store_errmsg(d.writer));
		goto out;
	}
	load_last_scan(&d);
	rc = store_open_readonly(d.cfg.database, &d.reader);
	if (rc < 0) {
		log_errx("%s: cannot open the database for reading: %s", d.cfg.database,
			 strerror(-rc));
		goto out;
	}
	rc = jobs_new(&d, &d.jobs);
	if (rc == 0)
		rc = server_new(&d, &d.server);
	if (rc < 0) {
		log_errx("cannot initialise: %s", strerror(-rc));
		goto out;
	}
	if (activated >= 0) {
		rc = server_adopt(d.server, activated, err, sizeof(err));
	} else {
		rc = make_parent(d.cfg.socket, 0755);
		if (rc < 0) {
			log_errx("%s: cannot create its directory: %s", d.cfg.socket,
				 strerror(-rc));
			goto out;
		}
		rc = server_listen(d.server, d.cfg.socket, d.cfg.socket_mode, err, sizeof(err));
	}
	if (rc < 0) {
		log_errx("%s", err);
		goto out;
	}
	jobs_set_idle_hook(d.jobs, apply_pending, &d);
	uv_signal_init(d.loop, &d.sig_term);
	uv_signal_init(d.loop, &d.sig_int);
	uv_signal_init(d.loop, &d.sig_hup);
	d.sig_term.data = d.sig_int.data = d.sig_hup.data = &d;
	uv_signal_start(&d.sig_term, on_signal, SIGTERM);
	uv_signal_start(&d.sig_int, on_signal, SIGINT);
	uv_signal_start(&d.sig_hup, on_hup, SIGHUP);
	uv_timer_init(d.loop, &d.tick);
	uv_timer_init(d.loop, &d.watchdog);
	d.tick.data = d.watchdog.data = &d;
	load_schedule(&d);
	const uint64_t wd = sdw_watchdog_usec();
	if (wd) {
		uint64_t ms = wd / 2000;
		uv_timer_start(&d.watchdog, on_watchdog, 0, ms ? ms : 1);
	}
	if (d.cfg.spool) {
		rc = spool_start(&d, d.cfg.spool, &d.spool);
		if (rc < 0) {
			log_errx("spool %s: cannot watch: %s", d.cfg.spool, strerror(-rc));
			goto out;
		}
	}

	/* Dossiers left dirty by a policy change or a crash, and those whose
	 * date passed while the daemon was down, are brought up to date in
	 * the background; the socket answers meanwhile. */
	jobs_recompute(d.jobs);
	/* Reports left queued by a previous run are sent after it. */
	rc = mailer_start(&d, &d.mailer);
	if (rc < 0) {
		log_errx("cannot start the mailer: %s", strerror(-rc));
		goto out;
	}
	if (clock_is_pinned()) {
		char a[DATE_STRLEN];
		log_warnx("today is pinned to %s by RETENTIOND_TODAY (tests only)",
			  date_format(clock_today(), a));
	}
	/* The schedule is checked now (a missed night is caught up) and then
	 * every 15 s, which is the precision of "scan_at". */
	uv_timer_start(&d.tick, on_tick, 0, 15 * 1000);
	log_event(LOG_INFO, "start", "retentiond %s ready: database %s, socket %s%s",
		  PACKAGE_VERSION, d.cfg.database,
		  activated >= 0 ? "passed by systemd" : d.cfg.socket, "");
	update_status(&d);
	sdw_ready();
	uv_run(d.loop, UV_RUN_DEFAULT);
	log_event(LOG_INFO, "stop", "stopped");
	status = EXIT_SUCCESS;

out:
	if (!d.stopping && (d.server || d.jobs)) {
		/* Failed half-way: close what was opened, let the loop finish. */
		spool_stop(d.spool);
		mailer_stop(d.mailer);
		d.mailer = NULL;
		server_close(d.server);
		if (d.jobs)
			jobs_shutdown(d.jobs);
		if (uv_is_active((uv_handle_t *)&d.sig_term) || d.tick.loop) {
			uv_close((uv_handle_t *)&d.sig_term, NULL);
			uv_close((uv_handle_t *)&d.sig_int, NULL);
			uv_close((uv_handle_t *)&d.sig_hup, NULL);
			uv_close((uv_handle_t *)&d.tick, NULL);
			uv_close((uv_handle_t *)&d.watchdog, NULL);
		}
		uv_run(d.loop, UV_RUN_DEFAULT);
	}
	server_free(d.server);
	jobs_free(d.jobs);
	store_close(d.reader);
	store_close(d.writer);
	uv_loop_close(d.loop);
	if (d.lock_fd >= 0)
		close(d.lock_fd);
	config_fini(&d.cfg);
	return status;
}
