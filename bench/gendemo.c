/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * gendemo: writes a synthetic, reproducible population of dossiers as the
 * four CSV files of interfaces.md, for the README demo and the benchmarks.
 * About 5 encounters per patient, 2% with transfusions, 0.5% with
 * litigations (some still open), deaths, and a few anomalies. Synthetic
 * identifiers only: no real patient data.
 *
 *   gendemo DIR N [SEED] [TODAY]
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/date.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: fast, and the same sequence on every machine. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static int32_t range(int32_t lo, int32_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int32_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static int chance(unsigned per_10000)
{
	return rnd() % 10000 < per_10000;
}

static FILE *open_csv(const char *dir, const char *name, const char *header)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "gendemo: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	fprintf(f, "%s\n", header);
	return f;
}

static const char *d2s(rd_date d, char buf[DATE_STRLEN])
{
	return date_format(d, buf);
}

int main(int argc, char **argv)
{
	char a[DATE_STRLEN], b[DATE_STRLEN];
	rd_date today, d1900;
	long long n;
	uint64_t enc_id = 0, tr_id = 0, lit_id = 0;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: gendemo DIR N [SEED] [TODAY]\n");
		return 2;
	}
	n = atoll(argv[2]);
	rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 42;
	if (rng_state == 0)
		rng_state = 42;
	if (argc > 4) {
		if (date_parse(argv[4], strlen(argv[4]), &today) < 0) {
			fprintf(stderr, "gendemo: bad date %s\n", argv[4]);
			return 2;
		}
	} else {
		date_from_ymd(2026, 11, 21, &today);
	}
	date_from_ymd(1920, 1, 1, &d1900);

	FILE *pf = open_csv(argv[1], "patients.csv", "ipp,birth_date,death_date");
	FILE *ef = open_csv(argv[1], "encounters.csv",
			    "encounter_id,ipp,kind,start_date,end_date");
	FILE *tf = open_csv(argv[1], "transfusions.csv", "transfusion_id,ipp,act_date");
	FILE *lf = open_csv(argv[1], "litigations.csv",
			    "litigation_id,ipp,opened_on,closed_on,reference");
	static const char *const kinds[] = {"stay", "consultation", "emergency"};

	for (long long i = 1; i <= n; i++) {
		char ipp[32];
		rd_date birth = range(d1900, today - 1);
		rd_date death = DATE_NONE;
		rd_date last = birth;
		int anomaly = chance(20); /* 0.2% */

		snprintf(ipp, sizeof(ipp), "%09lld", i);
		if (chance(1200))
			death = range(birth, today - 1);
		rd_date horizon = death != DATE_NONE ? death : today - 1;
		int n_enc = 1 + (int)(rnd() % 9); /* 1..9, mean 5 */
		if (anomaly && chance(5000))
			fprintf(pf, "%s,,\n", ipp);
		else
			fprintf(pf, "%s,%s,%s\n", ipp, d2s(birth, a),
				death != DATE_NONE ? d2s(death, b) : "");
		for (int k = 0; k < n_enc; k++) {
			int kind = (int)(rnd() % 3);
			rd_date start = range(birth, horizon);
			rd_date end = kind == 0 ? start + range(0, 20) : DATE_NONE;
			if (end != DATE_NONE && end > horizon)
				end = horizon;
			/* A few stays still open, at most in the last months. */
			if (kind == 0 && death == DATE_NONE && start > today - 60 && chance(3000))
				end = DATE_NONE;
			if (anomaly && k == 0 && end != DATE_NONE)
				end = start - 1;
			fprintf(ef, "E%llu,%s,%s,%s,%s\n", (unsigned long long)++enc_id, ipp,
				kinds[kind], d2s(start, a), end != DATE_NONE ? d2s(end, b) : "");
			if (start > last)
				last = start;
		}
		if (chance(200)) {
			int nt = 1 + (int)(rnd() % 3);
			for (int k = 0; k < nt; k++)
				fprintf(tf, "T%llu,%s,%s\n", (unsigned long long)++tr_id, ipp,
					d2s(range(birth, horizon), a));
		}
		if (chance(50)) {
			rd_date opened = range(last, today - 1);
			int open = chance(3000);
			rd_date closed = open ? DATE_NONE : range(opened, today - 1);
			lit_id++;
			fprintf(lf, "L%llu,%s,%s,%s,REF-%llu\n", (unsigned long long)lit_id, ipp,
				d2s(opened, a), closed != DATE_NONE ? d2s(closed, b) : "",
				(unsigned long long)lit_id);
		}
	}
	fclose(pf);
	fclose(ef);
	fclose(tf);
	fclose(lf);
	return 0;
}
