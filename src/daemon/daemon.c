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
#include "daemon/jobs.h"
#include "daemon/log.h"
#include "daemon/server.h"

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

/* A new policy changes results: every dossier is recomputed. */
static int check_policy(struct daemon *d)
{
	char fp[1024];
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

	log_info("received %s, stopping", strsignal(signum));
	daemon_stop(d);
}

void daemon_stop(struct daemon *d)
{
	if (d->stopping)
		return;
	d->stopping = true;
	server_close(d->server);
	jobs_shutdown(d->jobs);
	uv_close((uv_handle_t *)&d->sig_term, NULL);
	uv_close((uv_handle_t *)&d->sig_int, NULL);
}

int daemon_run(struct config *cfg)
{
	struct daemon d;
	char err[512];
	int rc, status = EXIT_FAILURE;

	memset(&d, 0, sizeof(d));
	d.lock_fd = -1;
	d.cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	d.loop = uv_default_loop();
	d.started_at = clock_now();
	signal(SIGPIPE, SIG_IGN);

	/* Both checks come before the database is opened: a refused second
	 * daemon must not touch it (not even to record its policy). */
	rc = server_check_other(d.cfg.socket, err, sizeof(err));
	if (rc < 0) {
		log_errx("%s", err);
		goto out;
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
	rc = store_open(d.cfg.database, &d.writer);
	if (rc < 0) {
		log_errx("%s: cannot open the database: %s", d.cfg.database,
			 d.writer ? store_errmsg(d.writer) : strerror(-rc));
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
	rc = make_parent(d.cfg.socket, 0755);
	if (rc < 0) {
		log_errx("%s: cannot create its directory: %s", d.cfg.socket, strerror(-rc));
		goto out;
	}
	rc = server_listen(d.server, d.cfg.socket, d.cfg.socket_mode, err, sizeof(err));
	if (rc < 0) {
		log_errx("%s", err);
		goto out;
	}
	uv_signal_init(d.loop, &d.sig_term);
	uv_signal_init(d.loop, &d.sig_int);
	d.sig_term.data = d.sig_int.data = &d;
	uv_signal_start(&d.sig_term, on_signal, SIGTERM);
	uv_signal_start(&d.sig_int, on_signal, SIGINT);

	/* Dossiers left dirty by a policy change or a crash, and those whose
	 * date passed while the daemon was down, are brought up to date in
	 * the background; the socket answers meanwhile. */
	jobs_recompute(d.jobs);
	if (clock_is_pinned()) {
		char a[DATE_STRLEN];
		log_warnx("today is pinned to %s by RETENTIOND_TODAY (tests only)",
			  date_format(clock_today(), a));
	}
	log_info("retentiond %s ready: database %s, socket %s", PACKAGE_VERSION,
		 d.cfg.database, d.cfg.socket);
	uv_run(d.loop, UV_RUN_DEFAULT);
	log_info("stopped");
	status = EXIT_SUCCESS;

out:
	if (!d.stopping && (d.server || d.jobs)) {
		/* Failed half-way: close what was opened, let the loop finish. */
		server_close(d.server);
		if (d.jobs)
			jobs_shutdown(d.jobs);
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
