/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The nightly report: what the night produced and what waits for whom,
 * mailed each morning to the archivists (architecture.md, "Report").
 *
 * Three steps. report_gather() reads everything from the store and from
 * what the daemon knows into a struct report_data; the renderers turn
 * that data into plain text, HTML (with the forecast as an inline SVG bar
 * chart) and CSV (the new batch and the anomalies), pure functions of the
 * data and a language; the job builds the MIME message and stores it in
 * the outbox, in one transaction with the report's bookkeeping and a
 * journal entry (action "report", target "outbox N": who mailed a list of
 * dossiers, to whom).
 *
 * Identifiers and dates only: IPPs, proposal, batch and litigation
 * numbers, dates, counts, rule names and the engine's anomaly codes. No
 * free text typed by a person reaches the email (hold reasons, litigation
 * references, opinions, refusal reasons), as nothing guarantees it holds
 * no clinical content: `retentionctl explain IPP` shows them.
 *
 * "Since the last report" is the time of the last report queued for
 * sending (meta report.last_at), and for the dates moved earlier the last
 * entry it listed (meta report.earlier_id), so it survives restarts. A
 * preview changes neither.
 */
#ifndef RETENTIOND_DAEMON_REPORT_H
#define RETENTIOND_DAEMON_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/date.h"
#include "daemon/i18n.h"
#include "engine/engine.h"

struct config;
struct conn;
struct daemon;
struct store;

/* What the email lists at most (counts are always whole). */
#define REPORT_MAX_LIST 100       /* holds, litigations, dates moved, files */
#define REPORT_MAX_ANOMALIES 500  /* the data-quality worklist (and CSV) */
#define REPORT_MAX_REASONS 8      /* reasons shown per anomaly */
#define REPORT_MAX_CSV_LINES 50000 /* new batch lines in the CSV */
#define REPORT_MONTHS 12          /* the forecast chart */
#define REPORT_ID_MAX 65          /* IPPs and fact ids: 64 bytes at most */

struct report_batch {
	int64_t id;
	rd_date created_on;
	int64_t size;          /* proposals opened (withdrawn ones included) */
	int64_t listed;        /* not withdrawn */
	rd_date first, last;   /* extreme dates of its dossiers */
};

/* One dossier of a new batch (CSV). */
struct report_line {
	int64_t batch;
	int64_t proposal;
	char ipp[REPORT_ID_MAX];
	rd_date first, last, retain_until;
	char basis[32];
};

/* Open proposals of one state and batch: somebody's work. */
struct report_pending {
	char state[16]; /* proposed, reviewed, approved, visaed */
	int64_t batch;
	int64_t count;
	int64_t oldest; /* unix time the oldest entered the state */
};

struct report_hold {
	char ipp[REPORT_ID_MAX];
	rd_date since;
};

struct report_litigation {
	char id[REPORT_ID_MAX];
	char ipp[REPORT_ID_MAX];
	rd_date opened;
};

struct report_reason {
	enum engine_anomaly anomaly;
	rd_date date;               /* the date concerned, or DATE_NONE */
	char ref[REPORT_ID_MAX];    /* the encounter, transfusion or litigation */
};

struct report_anomaly {
	char ipp[REPORT_ID_MAX];
	struct report_reason reasons[REPORT_MAX_REASONS];
	size_t n_reasons;
	size_t more_reasons; /* not kept */
};

struct report_month {
	int year, month;
	int64_t count;
};

struct report_earlier {
	char ipp[REPORT_ID_MAX];
	rd_date old_until, new_until;
	int64_t at;
};

struct report_file {
	char name[256];
	int64_t at; /* when it was moved to failed/ */
};

struct report_data {
	/* Heading. */
	char establishment[160];
	char finess[16];
	bool is_public; /* eliminations need the archives' visa */
	rd_date today;
	int64_t now;
	int64_t since;        /* the previous report, 0: none */
	int64_t window_start; /* since, or 24 h before now without one */

	/* Summary. */
	int64_t by_status[4];  /* enum engine_status */
	int64_t dirty;         /* waiting for their recompute */
	bool scan_valid;
	int64_t scan_at;
	uint64_t scan_ms;
	uint64_t scan_recomputed, scan_proposed, scan_withdrawn;
	int64_t imports;       /* imported files that changed something */
	int64_t import_rows;   /* rows they changed */

	/* The new batches (created since the last report). */
	struct report_batch *batches;
	size_t n_batches;
	struct report_line *lines;
	size_t n_lines;
	int64_t lines_dropped; /* over REPORT_MAX_CSV_LINES */

	/* Work waiting, oldest first. */
	struct report_pending *pending;
	size_t n_pending;

	/* Holds and open litigations. */
	struct report_hold *holds;
	size_t n_holds;
	int64_t total_holds;
	struct report_litigation *litigations;
	size_t n_litigations;
	int64_t total_litigations;

	/* The data-quality worklist. */
	struct report_anomaly *anomalies;
	size_t n_anomalies;
	int64_t total_anomalies;

	/* Forecast: retained dossiers eligible within 30, 90, 365 days, and
	 * per month for REPORT_MONTHS months from the current one. */
	int64_t due30, due90, due365;
	struct report_month months[REPORT_MONTHS];

	/* Dates moved earlier since the last report. */
	struct report_earlier *earlier;
	size_t n_earlier;
	int64_t total_earlier;
	int64_t last_earlier_id;

	/* The daemon's health since the last report. */
	int64_t started_at;
	uint64_t warnings, errors;
	bool spool;            /* a spool directory is configured */
	struct report_file *failed;
	size_t n_failed;
	int64_t total_failed;
};

/* An empty report of today at unix time now: every count 0, every list
 * empty, the forecast months named from today's month on. */
void report_data_init(struct report_data *r, rd_date today, int64_t now);

/* Free what report_gather allocated (NULL is fine). */
void report_data_fini(struct report_data *r);

/* What the daemon knows, for report_gather. */
struct report_source {
	const struct config *cfg;
	rd_date today;
	int64_t now;
	int64_t started_at;
	bool scan_valid;
	int64_t scan_at;
	uint64_t scan_ms, scan_recomputed, scan_proposed, scan_withdrawn;
	uint64_t warnings, errors; /* logged since the last report */
};

/*
 * Read the report of src->now from st (inside the caller's transaction or
 * not) into *out. Returns 0 or a negative errno (the store's message in
 * store_errmsg). On failure *out is left empty.
 */
int report_gather(struct store *st, const struct report_source *src,
		  struct report_data *out);

/* ------------------------------------------------------------ renderers
 * Pure: the same data and language give the same bytes (times are shown
 * in the process's time zone). Each returns a malloc'd NUL-terminated
 * string, or NULL when out of memory.
 */
char *report_render_text(const struct report_data *r, enum i18n_lang lang);
char *report_render_html(const struct report_data *r, enum i18n_lang lang);
/* CRLF line ends; every cell through bordereau_csv_field (formulas). */
char *report_render_csv(const struct report_data *r, enum i18n_lang lang);
/* "[retentiond] Rapport du 22/11/2026 — Centre hospitalier X" */
char *report_render_subject(const struct report_data *r, enum i18n_lang lang);
/* The inline SVG chart of r->months, alone (for tests). */
char *report_render_svg(const struct report_data *r, enum i18n_lang lang);

/* ------------------------------------------------------------ daemon */

/*
 * Whether the nightly report can be sent: [report] from and to are set.
 * Without them nothing is built at night (a report nobody receives is no
 * alarm); `report preview` works all the same.
 */
bool report_enabled(const struct config *cfg);

/* Queue the nightly report of the schedule's occurrence (loop thread);
 * its transaction records the occurrence as done (meta schedule.report). */
int report_queue_scheduled(struct daemon *d, rd_date occurrence);

/* The "report" command: action "preview" (any role) or "send" (admin,
 * archivist, director; checked here as the table allows every role). */
json_t *report_command(struct daemon *d, struct conn *c, json_t *req);

#endif
