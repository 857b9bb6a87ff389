/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Aligned text tables for people (scripts use --json). Widths count
 * characters, not bytes, so accented names line up.
 */
#ifndef RETENTIOND_CLI_TABLE_H
#define RETENTIOND_CLI_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define TABLE_MAX_COLS 8

struct table;

/* headers: n column titles; right: which columns are right-aligned. */
struct table *table_new(size_t n, const char *const *headers, const bool *right);
/* Add a row of n cells (copied; NULL shows as "-"). */
int table_add(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *f);
void table_free(struct table *t);

/* 1234567 -> "1,234,567" (English digit grouping). */
const char *table_num(long long v, char buf[32]);

#endif
