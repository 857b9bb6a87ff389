/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The importer in two halves. The reader (csvimport.c) parses and checks
 * each row and writes what it found, in file order, as items into a batch:
 * a row's values, an error, the start of the store's session. The writer
 * (csvimport_apply.c) applies a batch's items to the store, and alone
 * touches the store and the outcome. Each half owns its own fields below,
 * so the two can run on two threads (csvimport_pipe.c), one batch handed
 * over at a time; on one thread, a batch is applied as soon as it is full
 * and at the end of each csvimport_feed.
 */
#ifndef RETENTIOND_DAEMON_CSVIMPORT_INTERNAL_H
#define RETENTIOND_DAEMON_CSVIMPORT_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <csv.h>

#include "common/date.h"
#include "daemon/csvimport.h"

enum col {
	COL_IPP,
	COL_BIRTH,
	COL_DEATH,
	COL_ID,
	COL_KIND,
	COL_START,
	COL_END,
	COL_ACT,
	COL_OPENED,
	COL_CLOSED,
	COL_REFERENCE,
	COL_COUNT,
};

#define CSVI_NO_TEXT UINT32_MAX

/* Values of a row (CSVI_DATA), in text[]. */
enum { CSVI_IPP, CSVI_ID, CSVI_KIND, CSVI_REF, CSVI_TEXTS };

enum csvi_type {
	CSVI_DATA,  /* a good row: its values */
	CSVI_ERROR, /* an error: text[0] its message, or CSVI_NO_TEXT when
		     * the cap was reached before it (counted only) */
	CSVI_BEGIN, /* the header is good: the store's session starts */
};

struct csvi_item {
	uint64_t line;
	uint32_t text[CSVI_TEXTS]; /* offsets into the batch's text */
	rd_date d1, d2;
	int fatal;   /* CSVI_ERROR: 0, or why the reading stopped */
	uint8_t type;
	bool row;    /* counts as one data row (a row's first item) */
};

/* Bounds of one batch: items, and text before it is handed over. */
#define CSVI_BATCH_ITEMS 1024
#define CSVI_BATCH_TEXT (256u << 10)

struct csvi_batch {
	struct csvi_item *items;
	size_t n;
	char *text;
	size_t len, cap;
	struct csvi_batch *next;
};

struct csvi_pipe;

struct field {
	size_t off, len;
	bool bad_utf8;
	bool too_long;
};

struct csvimport {
	/* Set at creation, read by both halves. */
	enum csv_kind kind;
	const char *source;
	const struct engine_policy *policy;
	size_t max_errors;

	/* ---- The reader's. */
	struct csv_parser parser;
	uint64_t line;         /* physical line being fed, 1-based */
	uint64_t record_line;  /* line where the current record started */
	bool record_open;
	bool row_open;         /* a data row whose first item is not out */
	bool header_done;
	bool pending_cr;  /* the last feed ended on CR: a LF next is its pair */
	bool bom_done;
	bool read_to_end; /* the end of input was parsed */
	size_t bom_matched;
	struct field fields[CSVIMPORT_MAX_COLUMNS];
	size_t n_fields;
	size_t too_many; /* fields beyond CSVIMPORT_MAX_COLUMNS */
	char *buf;
	size_t buf_len, buf_cap;
	int colmap[COL_COUNT]; /* -1: absent */
	size_t header_fields;
	char ignored[512];
	uint64_t read_errors; /* errors the reader found */
	int read_fatal;       /* the reader stopped: -EINVAL or -EIO */
	struct csvi_batch *out; /* the batch being filled */
	/* Hand the full batch over, and get an empty one in ci->out. */
	void (*hand_over)(struct csvimport *ci);
	struct csvi_pipe *pipe;

	/* Set by the writer on a fatal error, read by the reader: stop. */
	atomic_bool stop;

	/* ---- The writer's. */
	struct store *st;
	uint64_t rows, changed, n_errors;
	uint64_t reborn;
	char reborn_ipps[1400];
	struct csvimport_error *errors;
	size_t errors_kept;
	int fatal;    /* 0, -EINVAL or -EIO: nothing more is applied */
	bool session; /* store_import_begin done, its end not yet */
};

/* csvimport.c: the reader. */
/* A value quoted in a message: bounded, one clean line. */
const char *csvi_shown(const char *s, size_t len, char out[48]);
void csvi_read(struct csvimport *ci, const char *data, size_t len);
void csvi_read_end(struct csvimport *ci);
/* On one thread: read the end of input, once, and apply what it found. */
void csvi_read_end_here(struct csvimport *ci);
/* The hand-over on one thread: the batch is applied at once, and reused. */
void csvi_apply_out(struct csvimport *ci);

/* csvimport_apply.c: the writer. */
void csvi_apply(struct csvimport *ci, struct csvi_batch *b);
int csvi_apply_end(struct csvimport *ci);
struct csvi_batch *csvi_batch_new(void);
void csvi_batch_free(struct csvi_batch *b);

#endif
