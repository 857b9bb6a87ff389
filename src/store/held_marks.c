/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Marks held in memory. An import of the night's changes marks each
 * changed patient's dossier dirty, then recomputes the dirty dossiers and
 * writes their new state: each dossier's row was written twice, at places
 * spread over the table. With 10,000 changes over 10 million dossiers the
 * pages marked leave the writer's cache before the recompute comes back
 * to them, SQLite spills them to the log and reads them back from it,
 * and a page written twice in one transaction makes the commit rewrite
 * the checksums of every frame after it (doc/performance.md). Held here
 * instead, the marks cost nothing until store_recompute_dirty evaluates
 * their dossiers by id, which writes each row once.
 *
 * A mark held is a mark all the same: what reads the marks otherwise (a
 * full or due recompute, the totals, a dossier's row, the commit) writes
 * them first, so that no dossier whose facts changed is ever left
 * unmarked and unevaluated. The ids held are bounded: past HELD_MAX they
 * are written, as they would have been.
 */
#include "config.h"

#include "store/store_internal.h"

#include <stdlib.h>

/* 512 KiB of ids. */
#define HELD_MAX 65536

int store_held_add(struct store *st, int64_t pid)
{
	struct store_held *h = &st->held;
	size_t max = st->hold_marks > 0 ? (size_t)st->hold_marks : HELD_MAX;

	if (h->n >= max) {
		int r = store_held_write(st);

		if (r < 0)
			return r;
	}
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 256;
		int64_t *id = realloc(h->id, cap * sizeof(*id));

		if (!id)
			return store_mark_dirty_now(st, pid);
		h->id = id;
		h->cap = cap;
	}
	h->id[h->n++] = pid;
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

size_t store_held_sorted(struct store *st, const int64_t **ids)
{
	struct store_held *h = &st->held;
	size_t k = 0;

	if (h->n > 1)
		qsort(h->id, h->n, sizeof(*h->id), cmp_id);
	for (size_t i = 0; i < h->n; i++)
		if (k == 0 || h->id[k - 1] != h->id[i])
			h->id[k++] = h->id[i];
	h->n = k;
	*ids = h->id;
	return k;
}

/* In id order, each page of the table is written once. On an error they
 * all stay held: the transaction is rolled back anyway, and writing a
 * mark again changes nothing. */
int store_held_write(struct store *st)
{
	const int64_t *ids;
	size_t n = store_held_sorted(st, &ids);

	for (size_t i = 0; i < n; i++) {
		int r = store_mark_dirty_now(st, ids[i]);

		if (r < 0)
			return r;
	}
	st->held.n = 0;
	return 0;
}

void store_held_clear(struct store *st)
{
	st->held.n = 0;
}

void store_held_forget(struct store *st)
{
	free(st->held.id);
	st->held = (struct store_held){0};
}
