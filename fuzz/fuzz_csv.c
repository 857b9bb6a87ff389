/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer harness of the CSV import (csvimport.c) on an in-memory store
 * holding a few patients, so that rows of encounters, transfusions and
 * litigations can reach the upserts. The first byte of an input picks the
 * kind of file (low 2 bits) and how the rest is cut into csvimport_feed()
 * calls (high 6 bits: 0 = one call, n = pieces of 1 to n bytes), so that
 * lines, quoted fields, CR LF pairs and the BOM arrive split. Every import
 * is rolled back: each input starts from the same database.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "common/date.h"
#include "daemon/csvimport.h"
#include "engine/engine.h"
#include "fuzz.h"
#include "store/store.h"

/* Small, so that the cap on kept errors is reached too. */
#define MAX_ERRORS 4
/* The most errors one row can add: one per column of the widest kind. */
#define MAX_ROW_ERRORS 5

static const char *const patients[] = {"EX-ADULT", "EX-CHILD", "EX-DEATH",
				       "EX-TRANSF", "EX-LITIG"};
#define N_PATIENTS (sizeof(patients) / sizeof(patients[0]))

static struct store *st;
static struct engine_policy pol;
static struct store_counts before;

static rd_date day(const char *s)
{
	rd_date d = DATE_NONE;

	FUZZ_CHECK(date_parse(s, strlen(s), &d) == 0);
	return d;
}

/* The one store of the process, and what it holds before any input. */
static void setup(void)
{
	engine_policy_init(&pol);
	/* WAL is refused in memory; store_open accepts the "memory" mode. */
	FUZZ_CHECK(store_open(":memory:", &st) == 0);
	FUZZ_CHECK(store_begin(st) == 0);
	for (size_t i = 0; i < N_PATIENTS; i++)
		FUZZ_CHECK(store_upsert_patient(st, patients[i], day("1950-01-01"),
						DATE_NONE) > 0);
	/* An existing fact, so that rows also take the update path. */
	FUZZ_CHECK(store_upsert_encounter(st, "E-ADULT-1", "EX-ADULT", "stay",
					  day("2000-03-01"), day("2000-03-15")) > 0);
	FUZZ_CHECK(store_commit(st) == 0);
	FUZZ_CHECK(store_counts(st, &before) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csvimport *ci = NULL;
	struct store_counts after;
	const struct csvimport_error *errs;
	size_t kept;
	int rc = 0;

	if (size == 0)
		return 0;
	if (!st)
		setup();
	const enum csv_kind kind = (enum csv_kind)(data[0] & 3);
	const size_t max_piece = data[0] >> 2;
	uint32_t seed = data[0] + 1u;
	const char *text = (const char *)data + 1;
	size_t left = size - 1;

	FUZZ_CHECK(store_begin(st) == 0);
	FUZZ_CHECK(csvimport_new(kind, "fuzz.csv", st, &pol, MAX_ERRORS, &ci) == 0);
	while (left > 0) {
		size_t n = fuzz_piece(&seed, max_piece, left);

		rc = csvimport_feed(ci, text, n);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -EIO);
		if (rc < 0)
			break;
		text += n;
		left -= n;
	}
	const int frc = csvimport_finish(ci);
	FUZZ_CHECK(frc == 0 || frc == -EINVAL || frc == -EIO);
	/* A failed feed is a failed import, with its reason recorded. */
	FUZZ_CHECK(rc == 0 || frc == rc);

	const uint64_t rows = csvimport_rows(ci);
	const uint64_t n_errors = csvimport_error_count(ci);
	errs = csvimport_errors(ci, &kept);
	if (fuzz_verbose()) {
		fprintf(stderr, "%s: finish %d, %llu rows, %llu changed, %llu errors\n",
			csvimport_kind_name(kind), frc, (unsigned long long)rows,
			(unsigned long long)csvimport_changed(ci),
			(unsigned long long)n_errors);
		for (size_t i = 0; i < kept; i++)
			fprintf(stderr, "  line %llu: %s\n",
				(unsigned long long)errs[i].line, errs[i].message);
	}
	FUZZ_CHECK((frc == 0) == (n_errors == 0));
	FUZZ_CHECK(csvimport_changed(ci) <= rows);
	/* Per row its columns, plus one for the header or the end of file. */
	FUZZ_CHECK(n_errors <= MAX_ROW_ERRORS * rows + 1);
	FUZZ_CHECK(kept == (n_errors < MAX_ERRORS ? n_errors : MAX_ERRORS));
	for (size_t i = 0; i < kept; i++) {
		/* One clean line per message, and a line inside the file. */
		FUZZ_CHECK(memchr(errs[i].message, '\0', sizeof(errs[i].message)));
		FUZZ_CHECK(!strpbrk(errs[i].message, "\r\n"));
		FUZZ_CHECK(errs[i].line <= size);
	}
	const char *ignored = csvimport_ignored_columns(ci);
	FUZZ_CHECK(!strpbrk(ignored, "\r\n"));
	csvimport_free(ci);

	FUZZ_CHECK(store_rollback(st) == 0);
	FUZZ_CHECK(store_counts(st, &after) == 0);
	FUZZ_CHECK(after.patients == before.patients);
	FUZZ_CHECK(after.encounters == before.encounters);
	FUZZ_CHECK(after.transfusions == before.transfusions);
	FUZZ_CHECK(after.litigations == before.litigations);
	for (int s = 0; s < 4; s++)
		FUZZ_CHECK(after.by_status[s] == before.by_status[s]);
	return 0;
}
