/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Table rendering: rows are kept until print, to know the column widths.
 */
#include "config.h"

#include "cli/table.h"

#include <stdlib.h>
#include <string.h>

struct table {
	size_t n;
	char *headers[TABLE_MAX_COLS];
	bool right[TABLE_MAX_COLS];
	char **cells; /* rows * n */
	size_t rows, cap;
};

static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

struct table *table_new(size_t n, const char *const *headers, const bool *right)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t || n > TABLE_MAX_COLS) {
		free(t);
		return NULL;
	}
	t->n = n;
	for (size_t i = 0; i < n; i++) {
		t->headers[i] = strdup(headers[i]);
		t->right[i] = right ? right[i] : false;
	}
	return t;
}

int table_add(struct table *t, const char *const *cells)
{
	if (t->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **nc = realloc(t->cells, cap * t->n * sizeof(*nc));
		if (!nc)
			return -1;
		t->cells = nc;
		t->cap = cap;
	}
	for (size_t i = 0; i < t->n; i++)
		t->cells[t->rows * t->n + i] = strdup(cells[i] ? cells[i] : "-");
	t->rows++;
	return 0;
}

static void cell(FILE *f, const char *s, size_t w, bool right, bool last)
{
	size_t pad = w - width(s);

	if (right)
		fprintf(f, "%*s%s", (int)pad, "", s);
	else if (last)
		fputs(s, f);
	else
		fprintf(f, "%s%*s", s, (int)pad, "");
}

/* One row, without the blanks an empty last column would leave. */
static void row(FILE *out, const struct table *t, const size_t *w, char *const *cells)
{
	char *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);

	if (!f)
		return;
	for (size_t i = 0; i < t->n; i++) {
		cell(f, cells[i] ? cells[i] : "", w[i], t->right[i], i + 1 == t->n);
		if (i + 1 < t->n)
			fputs("  ", f);
	}
	fclose(f);
	while (len > 0 && line[len - 1] == ' ')
		len--;
	fprintf(out, "%.*s\n", (int)len, line);
	free(line);
}

void table_print(const struct table *t, FILE *f)
{
	size_t w[TABLE_MAX_COLS];

	for (size_t i = 0; i < t->n; i++) {
		w[i] = width(t->headers[i]);
		for (size_t r = 0; r < t->rows; r++) {
			const char *s = t->cells[r * t->n + i];
			size_t x = s ? width(s) : 0;
			if (x > w[i])
				w[i] = x;
		}
	}
	row(f, t, w, t->headers);
	for (size_t r = 0; r < t->rows; r++)
		row(f, t, w, &t->cells[r * t->n]);
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->headers[i]);
	for (size_t k = 0; k < t->rows * t->n; k++)
		free(t->cells[k]);
	free(t->cells);
	free(t);
}

const char *table_num(long long v, char buf[32])
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%lld", v < 0 ? -v : v);
	size_t o = 0;

	if (v < 0)
		buf[o++] = '-';
	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}
