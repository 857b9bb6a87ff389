/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Streaming CSV importer: bytes in, upserts into the store out, in file
 * order, so a file of any size needs memory for a few batches of rows
 * only. Every bad row is recorded with its physical line number (up to a
 * cap, with the total); the caller commits only when csvimport_finish()
 * returns 0.
 *
 * One import at a time, driven from the thread that owns the store's
 * writer connection: by csvimport_feed, or by csvimport_pipe, which reads
 * on a second thread of its own.
 */
#ifndef RETENTIOND_DAEMON_CSVIMPORT_H
#define RETENTIOND_DAEMON_CSVIMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "store/store.h"

enum csv_kind {
	CSV_PATIENTS,
	CSV_ENCOUNTERS,
	CSV_TRANSFUSIONS,
	CSV_LITIGATIONS,
};

/* Bounds on what a file may hold. */
#define CSVIMPORT_MAX_COLUMNS 64
#define CSVIMPORT_MAX_FIELD 4096        /* bytes of one field */
#define CSVIMPORT_MAX_ID 64             /* bytes of an identifier */
#define CSVIMPORT_MAX_PENDING (1u << 20) /* bytes libcsv may buffer */

int csvimport_kind_from_name(const char *name); /* or -EINVAL */
const char *csvimport_kind_name(enum csv_kind kind);

struct csvimport_error {
	uint64_t line; /* 0: the file as a whole */
	char message[256];
};

struct csvimport;

/*
 * source names the file in messages (borrowed, must outlive ci). The store
 * must be inside a transaction; p gives the known encounter kinds.
 */
int csvimport_new(enum csv_kind kind, const char *source, struct store *st,
		  const struct engine_policy *p, size_t max_errors,
		  struct csvimport **out);

/*
 * Feed the next bytes. Returns 0 (bad rows are recorded, not fatal), or
 * -EINVAL once the file cannot be read further (bad header, malformed
 * quoting, field too long), or -EIO on a database error; csvimport_errors
 * then holds the reason.
 */
int csvimport_feed(struct csvimport *ci, const char *data, size_t len);

/* Where csvimport_pipe takes the file's bytes from. */
struct csvimport_source {
	/*
	 * The next bytes: 1 with *data and *len set, 0 at the end of the
	 * file, -1 when the import is cancelled. Called on the reading
	 * thread; the bytes stay valid until the next call.
	 */
	int (*next)(void *ctx, const char **data, size_t *len);
	/* After each batch of rows is applied, on the caller's thread (the
	 * progress of csvimport_rows); may be NULL. */
	void (*applied)(void *ctx);
	void *ctx;
};

/*
 * The whole input, read and parsed on a second thread while this one
 * applies the rows to the store, in file order: the outcome of
 * csvimport_feed on each piece, and of the end of input. Returns 0, the
 * error of csvimport_feed once the file cannot be read further (also at
 * its end: a quote left open; the input is still taken to its end), or
 * -ECANCELED when src->next said so. Then csvimport_finish, which
 * returns the outcome as after the last feed.
 */
int csvimport_pipe(struct csvimport *ci, const struct csvimport_source *src);

/*
 * End of input. Returns 0 when every row was valid and stored, -EINVAL when
 * some were not (see csvimport_errors), -EIO on a database error.
 */
int csvimport_finish(struct csvimport *ci);

uint64_t csvimport_rows(const struct csvimport *ci);    /* data rows read */
uint64_t csvimport_changed(const struct csvimport *ci); /* rows that changed */
uint64_t csvimport_error_count(const struct csvimport *ci);
const struct csvimport_error *csvimport_errors(const struct csvimport *ci,
					       size_t *n);
/*
 * Patients created for IPPs whose earlier dossier was destroyed (a new
 * dossier starts); *ipps = the first twenty, comma-separated.
 */
uint64_t csvimport_reborn(const struct csvimport *ci, const char **ipps);

/* Header columns that were not used, comma-separated ("" when none). */
const char *csvimport_ignored_columns(const struct csvimport *ci);

void csvimport_free(struct csvimport *ci);

#endif
