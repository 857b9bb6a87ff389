/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The bordereau d'élimination of a batch (rules.md, "The elimination
 * procedure"): the list submitted to the director, the DIM physician and
 * the archives administration, as CSV for spreadsheets or as HTML that
 * prints on A4. The document is French, as the administration reads it.
 */
#ifndef RETENTIOND_DAEMON_BORDEREAU_H
#define RETENTIOND_DAEMON_BORDEREAU_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "daemon/conf.h"
#include "store/store.h"

enum bordereau_format {
	BORDEREAU_CSV,
	BORDEREAU_HTML,
};

/*
 * Render batch into a malloc'd *out of *len bytes, dated now. Returns 0,
 * or a negative errno with one sentence in err (-ENOENT: no such batch).
 */
int bordereau_render(struct store *st, const struct config *cfg, int64_t batch,
		     enum bordereau_format format, int64_t now, char **out,
		     size_t *len, char *err, size_t errlen);

/* Write s as one CSV field: quoted when needed, and a leading = + - @ tab
 * or CR neutralised with an apostrophe (formula injection). */
void bordereau_csv_field(FILE *f, const char *s);

/* Write s with & < > " ' escaped for HTML. */
void bordereau_html_text(FILE *f, const char *s);

#endif
