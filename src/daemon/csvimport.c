/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * CSV import on top of libcsv (strict RFC 4180). libcsv does not report
 * positions, so input is fed one physical line at a time: a record's line
 * number is the line on which it started, which stays right when a quoted
 * field spans several lines.
 */
#include "config.h"

#include "daemon/csvimport.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "common/utf8.h"

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

struct col_def {
	enum col col;
	const char *name;
	bool required;
};

#define MAX_DEFS 6

struct kind_def {
	const char *name;
	struct col_def cols[MAX_DEFS];
	size_t n_cols;
};

static const struct kind_def kinds[] = {
	[CSV_PATIENTS] = {"patients",
			  {{COL_IPP, "ipp", true},
			   {COL_BIRTH, "birth_date", false},
			   {COL_DEATH, "death_date", false}},
			  3},
	[CSV_ENCOUNTERS] = {"encounters",
			    {{COL_ID, "encounter_id", true},
			     {COL_IPP, "ipp", true},
			     {COL_KIND, "kind", true},
			     {COL_START, "start_date", true},
			     {COL_END, "end_date", false}},
			    5},
	[CSV_TRANSFUSIONS] = {"transfusions",
			      {{COL_ID, "transfusion_id", true},
			       {COL_IPP, "ipp", true},
			       {COL_ACT, "act_date", true}},
			      3},
	[CSV_LITIGATIONS] = {"litigations",
			     {{COL_ID, "litigation_id", true},
			      {COL_IPP, "ipp", true},
			      {COL_OPENED, "opened_on", true},
			      {COL_CLOSED, "closed_on", false},
			      {COL_REFERENCE, "reference", false}},
			     5},
};

struct field {
	size_t off, len;
	bool bad_utf8;
	bool too_long;
};

struct csvimport {
	enum csv_kind kind;
	const char *source;
	struct store *st;
	const struct engine_policy *policy;
	struct csv_parser parser;

	/* Position. */
	uint64_t line;         /* physical line being fed, 1-based */
	uint64_t record_line;  /* line where the current record started */
	bool record_open;
	bool header_done;
	bool pending_cr;  /* the last feed ended on CR: a LF next is its pair */
	bool bom_done;
	size_t bom_matched;

	/* The record being assembled. */
	struct field fields[CSVIMPORT_MAX_COLUMNS];
	size_t n_fields;
	size_t too_many; /* fields beyond CSVIMPORT_MAX_COLUMNS */
	char *buf;
	size_t buf_len, buf_cap;

	/* Header: which record column holds which of our columns. */
	int colmap[COL_COUNT]; /* -1: absent */
	size_t header_fields;
	char ignored[512];

	/* Outcome. */
	uint64_t rows, changed, n_errors;
	uint64_t reborn;
	char reborn_ipps[1400];
	struct csvimport_error *errors;
	size_t max_errors, errors_kept;
	int fatal; /* 0, -EINVAL or -EIO: stop reading */
	bool session; /* store_import_begin done, its end not yet */
};

int csvimport_kind_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return (int)i;
	return -EINVAL;
}

const char *csvimport_kind_name(enum csv_kind kind)
{
	return kinds[kind].name;
}

static void add_error(struct csvimport *ci, uint64_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add_error(struct csvimport *ci, uint64_t line, const char *fmt, ...)
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

/*
 * A value quoted in a message: bounded, and with anything unprintable
 * shown as '?', so a message is always one clean line.
 */
static const char *shown(const char *s, size_t len, char out[48])
{
	size_t n = 0;

	for (size_t i = 0; i < len && n < 40; i++) {
		unsigned char c = (unsigned char)s[i];
		out[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (len > 40) {
		/* Do not cut a UTF-8 sequence in the middle. */
		while (n > 0 && ((unsigned char)out[n - 1] & 0xC0) == 0x80)
			n--;
		if (n > 0 && ((unsigned char)out[n - 1] & 0xC0) == 0xC0)
			n--;
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

static const char *field_ptr(const struct csvimport *ci, const struct field *f)
{
	return ci->buf + f->off;
}

static void on_field(void *s, size_t len, void *data)
{
	struct csvimport *ci = data;
	const char *p = s ? s : "";

	if (ci->fatal)
		return;
	if (ci->n_fields >= CSVIMPORT_MAX_COLUMNS) {
		ci->too_many++;
		return;
	}
	struct field *f = &ci->fields[ci->n_fields++];
	f->off = ci->buf_len;
	f->bad_utf8 = !utf8_valid(p, len);
	f->too_long = len > CSVIMPORT_MAX_FIELD;
	if (f->too_long)
		len = 0;
	if (ci->buf_len + len + 1 > ci->buf_cap) {
		size_t cap = ci->buf_cap ? ci->buf_cap : 1024;
		while (cap < ci->buf_len + len + 1)
			cap *= 2;
		char *nb = realloc(ci->buf, cap);
		if (!nb) {
			ci->fatal = -EIO;
			add_error(ci, ci->record_line, "out of memory");
			return;
		}
		ci->buf = nb;
		ci->buf_cap = cap;
	}
	memcpy(ci->buf + ci->buf_len, p, len);
	ci->buf[ci->buf_len + len] = '\0';
	f->len = len;
	ci->buf_len += len + 1;
}

static void append_ignored(struct csvimport *ci, const char *name)
{
	size_t n = strlen(ci->ignored);

	if (n + strlen(name) + 3 >= sizeof(ci->ignored))
		return;
	snprintf(ci->ignored + n, sizeof(ci->ignored) - n, "%s%s",
		 n ? ", " : "", name);
}

/*
 * The store's import session (store_import_begin): dossiers marked once
 * per patient, and the bulk path when the table is empty. It ends in
 * csvimport_finish when the file is good; otherwise the caller's rollback
 * drops it.
 */
static void begin_session(struct csvimport *ci)
{
	static const enum store_import_kind session_kind[] = {
		[CSV_PATIENTS] = STORE_IMPORT_PATIENTS,
		[CSV_ENCOUNTERS] = STORE_IMPORT_ENCOUNTERS,
		[CSV_TRANSFUSIONS] = STORE_IMPORT_TRANSFUSIONS,
		[CSV_LITIGATIONS] = STORE_IMPORT_LITIGATIONS,
	};

	if (store_import_begin(ci->st, session_kind[ci->kind]) < 0) {
		ci->fatal = -EIO;
		add_error(ci, ci->record_line, "database error: %s",
			  store_errmsg(ci->st));
		return;
	}
	ci->session = true;
}

static void take_header(struct csvimport *ci)
{
	const struct kind_def *kd = &kinds[ci->kind];
	char tmp[48];

	ci->header_done = true;
	ci->header_fields = ci->n_fields;
	if (ci->too_many) {
		ci->fatal = -EINVAL;
		add_error(ci, ci->record_line, "the header has more than %d columns",
			  CSVIMPORT_MAX_COLUMNS);
		return;
	}
	for (size_t i = 0; i < ci->n_fields; i++) {
		const struct field *f = &ci->fields[i];
		const char *name = field_ptr(ci, f);
		if (f->bad_utf8 || f->too_long) {
			ci->fatal = -EINVAL;
			add_error(ci, ci->record_line,
				  "header column %zu is not valid UTF-8 text", i + 1);
			return;
		}
		bool used = false;
		for (size_t k = 0; k < kd->n_cols; k++) {
			if (strcmp(name, kd->cols[k].name) != 0)
				continue;
			if (ci->colmap[kd->cols[k].col] >= 0) {
				ci->fatal = -EINVAL;
				add_error(ci, ci->record_line,
					  "column '%s' appears twice in the header",
					  kd->cols[k].name);
				return;
			}
			ci->colmap[kd->cols[k].col] = (int)i;
			used = true;
		}
		if (!used && f->len > 0)
			append_ignored(ci, shown(name, f->len, tmp));
	}
	for (size_t k = 0; k < kd->n_cols; k++) {
		if (!kd->cols[k].required || ci->colmap[kd->cols[k].col] >= 0)
			continue;
		char need[128] = "";
		for (size_t j = 0; j < kd->n_cols; j++) {
			if (!kd->cols[j].required)
				continue;
			size_t n = strlen(need);
			snprintf(need + n, sizeof(need) - n, "%s%s", n ? ", " : "",
				 kd->cols[j].name);
		}
		ci->fatal = -EINVAL;
		add_error(ci, ci->record_line,
			  "missing column '%s' (an import of %s needs the columns %s)",
			  kd->cols[k].name, kd->name, need);
		return;
	}
	begin_session(ci);
}

/* Value of one of our columns in the current record; NULL when absent or
 * empty (an empty field is null). */
static const char *value(const struct csvimport *ci, enum col c, size_t *len)
{
	const int i = ci->colmap[c];

	if (i < 0 || (size_t)i >= ci->n_fields)
		return NULL;
	const struct field *f = &ci->fields[i];
	if (f->len == 0)
		return NULL;
	*len = f->len;
	return field_ptr(ci, f);
}

static const char *col_name(const struct csvimport *ci, enum col c)
{
	const struct kind_def *kd = &kinds[ci->kind];

	for (size_t k = 0; k < kd->n_cols; k++)
		if (kd->cols[k].col == c)
			return kd->cols[k].name;
	return "?";
}

/* Required identifier; false (and an error recorded) when unusable. */
static bool get_id(struct csvimport *ci, enum col c, const char **out)
{
	size_t len = 0;
	const char *v = value(ci, c, &len);
	char tmp[48];

	if (!v) {
		add_error(ci, ci->record_line, "field %s: required, but empty",
			  col_name(ci, c));
		return false;
	}
	if (len > CSVIMPORT_MAX_ID) {
		add_error(ci, ci->record_line,
			  "field %s: '%s' is longer than %d bytes", col_name(ci, c),
			  shown(v, len, tmp), CSVIMPORT_MAX_ID);
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)v[i];
		if (ch < 0x20 || ch == 0x7f) {
			add_error(ci, ci->record_line,
				  "field %s: '%s' contains a control character",
				  col_name(ci, c), shown(v, len, tmp));
			return false;
		}
	}
	*out = v;
	return true;
}

static bool get_date(struct csvimport *ci, enum col c, bool required,
		     rd_date *out)
{
	size_t len = 0;
	const char *v = value(ci, c, &len);
	char tmp[48];

	if (!v) {
		if (required) {
			add_error(ci, ci->record_line,
				  "field %s: required, but empty", col_name(ci, c));
			return false;
		}
		*out = DATE_NONE;
		return true;
	}
	if (date_parse(v, len, out) < 0) {
		add_error(ci, ci->record_line,
			  "field %s: '%s' is not a date (YYYY-MM-DD)",
			  col_name(ci, c), shown(v, len, tmp));
		return false;
	}
	return true;
}

static void store_result(struct csvimport *ci, int rc, const char *ipp)
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
		add_error(ci, ci->record_line,
			  "field ipp: unknown IPP '%s' (no such patient: import the patients first)",
			  shown(ipp, strlen(ipp), tmp));
	} else if (rc < 0) {
		ci->fatal = -EIO;
		add_error(ci, ci->record_line, "database error: %s",
			  store_errmsg(ci->st));
	}
}

static void take_row(struct csvimport *ci)
{
	const char *ipp = NULL, *id = NULL;
	rd_date d1 = DATE_NONE, d2 = DATE_NONE;
	bool ok = true;
	size_t len;
	char tmp[48];

	ci->rows++;
	if (ci->too_many || ci->n_fields != ci->header_fields) {
		add_error(ci, ci->record_line,
			  "%zu fields where the header has %zu",
			  ci->n_fields + ci->too_many, ci->header_fields);
		return;
	}
	for (size_t i = 0; i < ci->n_fields; i++) {
		const struct field *f = &ci->fields[i];
		if (f->bad_utf8) {
			add_error(ci, ci->record_line,
				  "field %zu is not valid UTF-8 (the file must be UTF-8 encoded)",
				  i + 1);
			return;
		}
		if (f->too_long) {
			add_error(ci, ci->record_line,
				  "field %zu is longer than %d bytes", i + 1,
				  CSVIMPORT_MAX_FIELD);
			return;
		}
	}

	switch (ci->kind) {
	case CSV_PATIENTS:
		ok = get_id(ci, COL_IPP, &ipp);
		ok = get_date(ci, COL_BIRTH, false, &d1) && ok;
		ok = get_date(ci, COL_DEATH, false, &d2) && ok;
		if (ok)
			store_result(ci, store_upsert_patient(ci->st, ipp, d1, d2), ipp);
		break;
	case CSV_ENCOUNTERS: {
		const char *kind = value(ci, COL_KIND, &len);
		ok = get_id(ci, COL_ID, &id);
		ok = get_id(ci, COL_IPP, &ipp) && ok;
		if (!kind) {
			add_error(ci, ci->record_line, "field kind: required, but empty");
			ok = false;
		} else if (engine_policy_kind_find(ci->policy, kind) < 0) {
			add_error(ci, ci->record_line,
				  "field kind: unknown encounter kind '%s' (known: stay, "
				  "consultation, emergency, and the kinds of [kinds])",
				  shown(kind, len, tmp));
			ok = false;
		}
		ok = get_date(ci, COL_START, true, &d1) && ok;
		ok = get_date(ci, COL_END, false, &d2) && ok;
		if (ok)
			store_result(ci, store_upsert_encounter(ci->st, id, ipp, kind, d1, d2),
				     ipp);
		break;
	}
	case CSV_TRANSFUSIONS:
		ok = get_id(ci, COL_ID, &id);
		ok = get_id(ci, COL_IPP, &ipp) && ok;
		ok = get_date(ci, COL_ACT, true, &d1) && ok;
		if (ok)
			store_result(ci, store_upsert_transfusion(ci->st, id, ipp, d1), ipp);
		break;
	case CSV_LITIGATIONS: {
		const char *ref = value(ci, COL_REFERENCE, &len);
		ok = get_id(ci, COL_ID, &id);
		ok = get_id(ci, COL_IPP, &ipp) && ok;
		ok = get_date(ci, COL_OPENED, true, &d1) && ok;
		ok = get_date(ci, COL_CLOSED, false, &d2) && ok;
		if (ref && len > 256) {
			add_error(ci, ci->record_line,
				  "field reference: longer than 256 bytes");
			ok = false;
		}
		if (ok && d2 != DATE_NONE && d2 < d1) {
			char a[DATE_STRLEN], b[DATE_STRLEN];
			add_error(ci, ci->record_line,
				  "field closed_on: %s is before opened_on %s",
				  date_format(d2, a), date_format(d1, b));
			ok = false;
		}
		if (ok)
			store_result(ci, store_upsert_litigation(ci->st, id, ipp, d1, d2, ref),
				     ipp);
		break;
	}
	}
}

static void on_record(int c, void *data)
{
	struct csvimport *ci = data;

	(void)c;
	if (!ci->fatal) {
		if (!ci->header_done)
			take_header(ci);
		else
			take_row(ci);
	}
	ci->n_fields = 0;
	ci->too_many = 0;
	ci->buf_len = 0;
	ci->record_open = false;
}

int csvimport_new(enum csv_kind kind, const char *source, struct store *st,
		  const struct engine_policy *p, size_t max_errors,
		  struct csvimport **out)
{
	struct csvimport *ci = calloc(1, sizeof(*ci));

	if (!ci)
		return -ENOMEM;
	if (max_errors == 0)
		max_errors = 1;
	ci->errors = calloc(max_errors, sizeof(*ci->errors));
	if (!ci->errors ||
	    csv_init(&ci->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		free(ci->errors);
		free(ci);
		return -ENOMEM;
	}
	ci->kind = kind;
	ci->source = source;
	ci->st = st;
	ci->policy = p;
	ci->max_errors = max_errors;
	ci->line = 1;
	for (int c = 0; c < COL_COUNT; c++)
		ci->colmap[c] = -1;
	*out = ci;
	return 0;
}

/* libcsv skips blank lines, spaces and tabs included: they start no
 * record. */
static bool has_content(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != '\r' && s[i] != '\n' && s[i] != ' ' && s[i] != '\t')
			return true;
	return false;
}

static int feed_segment(struct csvimport *ci, const char *s, size_t len)
{
	if (!ci->record_open && has_content(s, len)) {
		ci->record_open = true;
		ci->record_line = ci->line;
	}
	if (csv_parse(&ci->parser, s, len, on_field, on_record, ci) != len) {
		if (!ci->fatal) {
			ci->fatal = -EINVAL;
			add_error(ci, ci->record_line,
				  "malformed quoting (a quote inside an unquoted field, or "
				  "text after a closing quote)");
		}
		return ci->fatal;
	}
	if (!ci->fatal && csv_get_buffer_size(&ci->parser) > CSVIMPORT_MAX_PENDING) {
		ci->fatal = -EINVAL;
		add_error(ci, ci->record_line,
			  "a field runs over more than 1 MiB (an unterminated quote?)");
	}
	return ci->fatal;
}

static const char bom[3] = {'\xEF', '\xBB', '\xBF'};

/*
 * A UTF-8 byte order mark (spreadsheet exports write one) is dropped
 * before libcsv sees it, or a quoted first header would be malformed. It
 * may arrive split over several feeds.
 */
static int skip_bom(struct csvimport *ci, const char **data, size_t *len)
{
	while (!ci->bom_done && *len > 0) {
		if (**data == bom[ci->bom_matched]) {
			(*data)++;
			(*len)--;
			if (++ci->bom_matched == sizeof(bom))
				ci->bom_done = true;
			continue;
		}
		ci->bom_done = true;
		/* Not a BOM after all: what was held back is data. */
		if (ci->bom_matched > 0)
			return feed_segment(ci, bom, ci->bom_matched);
	}
	return 0;
}

/* Position of the first line break in s[0..len), or len. */
static size_t find_break(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\n' || s[i] == '\r')
			return i;
	return len;
}

int csvimport_feed(struct csvimport *ci, const char *data, size_t len)
{
	int rc = skip_bom(ci, &data, &len);

	if (rc < 0)
		return rc;
	/* Line breaks are CR LF, LF, or a lone CR (old spreadsheet
	 * exports): each counts one line, as libcsv ends records on them. */
	while (len > 0 && !ci->fatal) {
		if (ci->pending_cr) {
			ci->pending_cr = false;
			if (*data == '\n') {
				rc = feed_segment(ci, data, 1);
				if (rc < 0)
					return rc;
				data++;
				len--;
				continue;
			}
		}
		size_t i = find_break(data, len);
		size_t n = i < len ? i + 1 : len;
		if (i < len && data[i] == '\r') {
			if (i + 1 < len)
				n += data[i + 1] == '\n';
			else
				ci->pending_cr = true;
		}
		rc = feed_segment(ci, data, n);
		if (rc < 0)
			return rc;
		if (i < len)
			ci->line++;
		data += n;
		len -= n;
	}
	return ci->fatal;
}

int csvimport_finish(struct csvimport *ci)
{
	/* A file of one to two bytes of a BOM's beginning is data. */
	if (!ci->bom_done && ci->bom_matched > 0 && !ci->fatal) {
		ci->bom_done = true;
		feed_segment(ci, bom, ci->bom_matched);
	}
	if (ci->fatal)
		return ci->fatal;
	if (csv_fini(&ci->parser, on_field, on_record, ci) != 0 && !ci->fatal) {
		ci->fatal = -EINVAL;
		add_error(ci, ci->record_line,
			  "quoted field not closed before the end of the file");
	}
	if (ci->fatal)
		return ci->fatal;
	if (!ci->header_done) {
		add_error(ci, 0, "empty file: no header line");
		return -EINVAL;
	}
	if (ci->n_errors)
		return -EINVAL;
	if (ci->session) {
		ci->session = false;
		int repeats = store_import_end(ci->st);

		if (repeats < 0) {
			add_error(ci, 0, "database error: %s", store_errmsg(ci->st));
			return -EIO;
		}
		ci->changed -= (uint64_t)repeats;
	}
	return 0;
}

uint64_t csvimport_rows(const struct csvimport *ci)
{
	return ci->rows;
}

uint64_t csvimport_changed(const struct csvimport *ci)
{
	return ci->changed;
}

uint64_t csvimport_error_count(const struct csvimport *ci)
{
	return ci->n_errors;
}

const struct csvimport_error *csvimport_errors(const struct csvimport *ci,
					       size_t *n)
{
	*n = ci->errors_kept;
	return ci->errors;
}

const char *csvimport_ignored_columns(const struct csvimport *ci)
{
	return ci->ignored;
}

uint64_t csvimport_reborn(const struct csvimport *ci, const char **ipps)
{
	*ipps = ci->reborn_ipps;
	return ci->reborn;
}

void csvimport_free(struct csvimport *ci)
{
	if (!ci)
		return;
	csv_free(&ci->parser);
	free(ci->buf);
	free(ci->errors);
	free(ci);
}
