/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The daemon as a whole: configuration, the libuv loop, the two store
 * connections (the reader on the loop thread, the writer lent to one job
 * at a time on the thread pool), the control server and the job queue.
 */
#ifndef RETENTIOND_DAEMON_DAEMON_H
#define RETENTIOND_DAEMON_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "daemon/conf.h"
#include "daemon/schedule.h"
#include "store/store.h"

struct server;
struct jobs;
struct spool;
struct mailer;

struct scan_summary {
	bool valid;
	int64_t at;          /* unix time it finished */
	uint64_t duration_ms;
	int64_t batch;       /* 0: none opened */
	uint64_t proposed, recomputed, changed, withdrawn;
};

struct daemon {
	uv_loop_t *loop;
	struct config cfg;
	struct store *reader;
	struct store *writer;
	struct server *server;
	struct jobs *jobs;
	uv_signal_t sig_term, sig_int, sig_hup;
	uv_timer_t tick;     /* the schedule */
	uv_timer_t watchdog; /* WATCHDOG=1, when systemd asks for it */
	bool watchdog_on;
	struct schedule scan_schedule;
	struct spool *spool;
	struct mailer *mailer;  /* sends the outbox; NULL once stopping */
	struct schedule report_schedule;
	struct config *pending; /* a reloaded configuration, applied between jobs */
	char *config_path;      /* what SIGHUP reads again; NULL: embedded defaults */
	bool stopping;
	bool migrating; /* store_open told us it migrates the database */
	int lock_fd; /* flock of DATABASE.lock, held while running */
	int64_t started_at;
	struct scan_summary last_scan;
};

/* Run until SIGTERM/SIGINT. cfg is moved into the daemon. Returns the
 * process exit status. */
int daemon_run(struct config *cfg);

/* Begin an orderly stop (also used by the signal handlers). */
void daemon_stop(struct daemon *d);

/* A scan finished (d->last_scan is set): tell systemd. */
void daemon_scan_done(struct daemon *d);

#endif
