/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Suspension of a retention clock by litigations (R1112-7 al. 1, rules.md
 * rule 5): the union of the closed litigation periods, visited in order of
 * opening, pushes the clock's end by every litigation day inside it.
 */
#include "config.h"

#include "engine/engine_internal.h"

/*
 * Open periods make the dossier held, and a period closed before it opened
 * is an anomaly: neither is a period to count. An unknown opening date
 * sorts below every date (as DATE_NONE does), so such a period counts from
 * the clock's start, the longer reading.
 */
static bool countable(const struct engine_litigation *l)
{
	return l->closed != DATE_NONE && l->closed >= l->opened;
}

/*
 * The union is walked component by component without a buffer (the engine
 * does not allocate and n is unbounded): the next component starts at the
 * earliest opening among the periods not yet covered, then grows over every
 * period that overlaps or touches it. Quadratic, and n is a handful.
 */
rd_date engine_suspend(rd_date start, rd_date until,
		       const struct engine_litigation *lits, size_t n,
		       rd_date *first_counted)
{
	rd_date first = DATE_NONE;
	rd_date covered = DATE_NONE; /* end of the last component visited */
	bool visited = false;

	while (until != DATE_NONE) {
		rd_date a = DATE_NONE, b = DATE_NONE, lo;
		bool found = false, grew;

		for (size_t i = 0; i < n; i++) {
			if (!countable(&lits[i]) ||
			    (visited && lits[i].closed <= covered))
				continue;
			if (!found || lits[i].opened < a) {
				a = lits[i].opened;
				b = lits[i].closed;
				found = true;
			}
		}
		if (!found)
			break;
		do {
			grew = false;
			for (size_t i = 0; i < n; i++) {
				if (countable(&lits[i]) &&
				    lits[i].opened <= b + 1 &&
				    lits[i].closed > b) {
					b = lits[i].closed;
					grew = true;
				}
			}
		} while (grew);
		covered = b;
		visited = true;

		if (a > until)
			break;
		lo = a < start ? start : a;
		if (lo == DATE_NONE || b < lo)
			continue;
		if (first == DATE_NONE)
			first = lo;
		until += b - lo + 1;
	}
	if (first_counted)
		*first_counted = first;
	return until;
}
