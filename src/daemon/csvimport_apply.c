/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The importer's writer: applies the reader's items (csvimport_internal.h)
 * to the store in file order, keeps the errors up to the cap with their
 * total, and counts the rows and changes. Only this half touches the
 * store, so it runs on the thread that owns the writer connection.
 */
#include "config.h"

#include "daemon/csvimport_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct csvi_batch *csvi_batch_new(void)
{
	struct csvi_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->items = malloc(CSVI_BATCH_ITEMS * sizeof(*b->items));
	b->cap = 64u << 10;
	b->text = malloc(b->cap);
	if (!b->items || !b->text) {
		csvi_batch_free(b);
		return NULL;
	}
	return b;
}

void csvi_batch_free(struct csvi_batch *b)
{
	if (!b)
		return;
	free(b->items);
	free(b->text);
	free(b);
}

static void keep_error(struct csvimport *ci, uint64_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void keep_error(struct csvimport *ci, uint64_t line, const char *fmt, ...)
{
	va_list ap;

	ci->n_errors++;
	if (ci->errors_kept >= ci->max_errors)
		return;
	struct csvimport_error *e = &ci->errors[ci->errors_kept++];
	e->line = line;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

static void fail(struct csvimport *ci, int fatal)
{
	ci->fatal = fatal;
	atomic_store(&ci->stop, true);
}

/*
 * The store's import session (store_import_begin): dossiers marked once
 * per patient, and the bulk path when the table is empty. It ends in
 * csvi_apply_end when the file is good; otherwise the caller's rollback
 * drops it.
 */
static void begin_session(struct csvimport *ci, uint64_t line)
{
	static const enum store_import_kind session_kind[] = {
		[CSV_PATIENTS] = STORE_IMPORT_PATIENTS,
		[CSV_ENCOUNTERS] = STORE_IMPORT_ENCOUNTERS,
		[CSV_TRANSFUSIONS] = STORE_IMPORT_TRANSFUSIONS,
		[CSV_LITIGATIONS] = STORE_IMPORT_LITIGATIONS,
	};

	if (store_import_begin(ci->st, session_kind[ci->kind]) < 0) {
		keep_error(ci, line, "database error: %s", store_errmsg(ci->st));
		fail(ci, -EIO);
		return;
	}
	ci->session = true;
}

static void store_result(struct csvimport *ci, int rc, const char *ipp,
			 uint64_t line)
{
	char tmp[48];

	if (rc == STORE_REBORN) {
		/* A destroyed dossier's IPP again: a new dossier, reported. */
		ci->changed++;
		ci->reborn++;
		size_t n = strlen(ci->reborn_ipps);
		if (ci->reborn <= 20 && n + strlen(ipp) + 3 < sizeof(ci->reborn_ipps))
			snprintf(ci->reborn_ipps + n, sizeof(ci->reborn_ipps) - n, "%s%s",
				 n ? ", " : "", ipp);
	} else if (rc > 0) {
		ci->changed++;
	} else if (rc == -ENOENT) {
		keep_error(ci, line,
			   "field ipp: unknown IPP '%s' (no such patient: import the patients first)",
			   csvi_shown(ipp, strlen(ipp), tmp));
	} else if (rc < 0) {
		keep_error(ci, line, "database error: %s", store_errmsg(ci->st));
		fail(ci, -EIO);
	}
}

static void apply_row(struct csvimport *ci, const struct csvi_batch *b,
		      const struct csvi_item *it)
{
	const char *s[CSVI_TEXTS];
	int rc = 0;

	for (int i = 0; i < CSVI_TEXTS; i++)
		s[i] = it->text[i] == CSVI_NO_TEXT ? NULL : b->text + it->text[i];
	switch (ci->kind) {
	case CSV_PATIENTS:
		rc = store_upsert_patient(ci->st, s[CSVI_IPP], it->d1, it->d2);
		break;
	case CSV_ENCOUNTERS:
		rc = store_upsert_encounter(ci->st, s[CSVI_ID], s[CSVI_IPP],
					    s[CSVI_KIND], it->d1, it->d2);
		break;
	case CSV_TRANSFUSIONS:
		rc = store_upsert_transfusion(ci->st, s[CSVI_ID], s[CSVI_IPP], it->d1);
		break;
	case CSV_LITIGATIONS:
		rc = store_upsert_litigation(ci->st, s[CSVI_ID], s[CSVI_IPP], it->d1,
					     it->d2, s[CSVI_REF]);
		break;
	}
	store_result(ci, rc, s[CSVI_IPP], it->line);
}

static void apply_item(struct csvimport *ci, const struct csvi_batch *b,
		       const struct csvi_item *it)
{
	ci->rows += it->row;
	switch (it->type) {
	case CSVI_DATA:
		apply_row(ci, b, it);
		break;
	case CSVI_BEGIN:
		begin_session(ci, it->line);
		break;
	case CSVI_ERROR:
		if (it->text[0] != CSVI_NO_TEXT)
			keep_error(ci, it->line, "%s", b->text + it->text[0]);
		else if (it->fatal == -EIO)
			keep_error(ci, it->line, "out of memory");
		else
			ci->n_errors++; /* past the cap: counted only */
		if (it->fatal)
			fail(ci, it->fatal);
		break;
	}
}

void csvi_apply(struct csvimport *ci, struct csvi_batch *b)
{
	for (size_t i = 0; i < b->n && !ci->fatal; i++)
		apply_item(ci, b, &b->items[i]);
	b->n = 0;
	b->len = 0;
}

int csvi_apply_end(struct csvimport *ci)
{
	if (ci->fatal)
		return ci->fatal;
	if (ci->n_errors)
		return -EINVAL;
	if (ci->session) {
		ci->session = false;
		int repeats = store_import_end(ci->st);

		if (repeats < 0) {
			keep_error(ci, 0, "database error: %s", store_errmsg(ci->st));
			return -EIO;
		}
		ci->changed -= (uint64_t)repeats;
	}
	return 0;
}
