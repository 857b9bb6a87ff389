/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * CSV import on top of libcsv (strict RFC 4180): the reader, which parses
 * and checks each row and hands what it found to the writer as items of a
 * batch (csvimport_internal.h). libcsv does not report positions, so input
 * is fed one physical line at a time: a record's line number is the line
 * on which it started, which stays right when a quoted field spans several
 * lines.
 */
#include "config.h"

#include "daemon/csvimport_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"

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

/* The reader stopped, or the writer told it to. */
static bool stopped(const struct csvimport *ci)
{
	return ci->read_fatal ||
	       atomic_load_explicit(&ci->stop, memory_order_relaxed);
}

/* Copy s into the batch's text: its offset, or CSVI_NO_TEXT when out of
 * memory. */
static uint32_t put_text(struct csvimport *ci, const char *s, size_t len)
{
	struct csvi_batch *b = ci->out;

	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap * 2;
		while (cap < b->len + len + 1)
			cap *= 2;
		char *t = realloc(b->text, cap);
		if (!t)
			return CSVI_NO_TEXT;
		b->text = t;
		b->cap = cap;
	}
	uint32_t off = (uint32_t)b->len;
	memcpy(b->text + off, s, len);
	b->text[off + len] = '\0';
	b->len += len + 1;
	return off;
}

/* The next item of the batch; a data row's first counts the row. */
static struct csvi_item *new_item(struct csvimport *ci, enum csvi_type type,
				  uint64_t line)
{
	struct csvi_item *it = &ci->out->items[ci->out->n];

	memset(it, 0, sizeof(*it));
	for (int i = 0; i < CSVI_TEXTS; i++)
		it->text[i] = CSVI_NO_TEXT;
	it->type = (uint8_t)type;
	it->line = line;
	it->row = ci->row_open;
	ci->row_open = false;
	return it;
}

/* The item is complete: hand the batch over when it is full. The item's
 * pointer is not valid after this. */
static void item_done(struct csvimport *ci)
{
	struct csvi_batch *b = ci->out;

	b->n++;
	if (b->n == CSVI_BATCH_ITEMS || b->len >= CSVI_BATCH_TEXT)
		ci->hand_over(ci);
}

static void add_error(struct csvimport *ci, uint64_t line, int fatal,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * An error, for the writer to count and keep. Its message is formatted
 * only while the reader's own errors are under the cap: once they reach
 * it, so has the total, which counts the writer's too. fatal (-EINVAL,
 * -EIO) stops the reading.
 */
static void add_error(struct csvimport *ci, uint64_t line, int fatal,
		      const char *fmt, ...)
{
	struct csvi_item *it = new_item(ci, CSVI_ERROR, line);
	char msg[sizeof(((struct csvimport_error *)0)->message)];
	va_list ap;

	if (ci->read_errors++ < ci->max_errors) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		it->text[0] = put_text(ci, msg, strlen(msg));
		if (it->text[0] == CSVI_NO_TEXT)
			fatal = -EIO; /* the writer says "out of memory" */
	}
	it->fatal = fatal;
	if (fatal)
		ci->read_fatal = fatal;
	item_done(ci);
}

/*
 * A value quoted in a message: bounded, and with anything unprintable
 * shown as '?', so a message is always one clean line.
 */
const char *csvi_shown(const char *s, size_t len, char out[48])
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

	if (stopped(ci))
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
			add_error(ci, ci->record_line, -EIO, "out of memory");
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

static void take_header(struct csvimport *ci)
{
	const struct kind_def *kd = &kinds[ci->kind];
	char tmp[48];

	ci->header_done = true;
	ci->header_fields = ci->n_fields;
	if (ci->too_many) {
		add_error(ci, ci->record_line, -EINVAL,
			  "the header has more than %d columns",
			  CSVIMPORT_MAX_COLUMNS);
		return;
	}
	for (size_t i = 0; i < ci->n_fields; i++) {
		const struct field *f = &ci->fields[i];
		const char *name = field_ptr(ci, f);
		if (f->bad_utf8 || f->too_long) {
			add_error(ci, ci->record_line, -EINVAL,
				  "header column %zu is not valid UTF-8 text", i + 1);
			return;
		}
		bool used = false;
		for (size_t k = 0; k < kd->n_cols; k++) {
			if (strcmp(name, kd->cols[k].name) != 0)
				continue;
			if (ci->colmap[kd->cols[k].col] >= 0) {
				add_error(ci, ci->record_line, -EINVAL,
					  "column '%s' appears twice in the header",
					  kd->cols[k].name);
				return;
			}
			ci->colmap[kd->cols[k].col] = (int)i;
			used = true;
		}
		if (!used && f->len > 0)
			append_ignored(ci, csvi_shown(name, f->len, tmp));
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
		add_error(ci, ci->record_line, -EINVAL,
			  "missing column '%s' (an import of %s needs the columns %s)",
			  kd->cols[k].name, kd->name, need);
		return;
	}
	/* The writer starts the store's import session before any row. */
	new_item(ci, CSVI_BEGIN, ci->record_line);
	item_done(ci);
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
static bool get_id(struct csvimport *ci, enum col c, const char **out,
		   size_t *out_len)
{
	size_t len = 0;
	const char *v = value(ci, c, &len);
	char tmp[48];

	if (!v) {
		add_error(ci, ci->record_line, 0, "field %s: required, but empty",
			  col_name(ci, c));
		return false;
	}
	if (len > CSVIMPORT_MAX_ID) {
		add_error(ci, ci->record_line, 0,
			  "field %s: '%s' is longer than %d bytes", col_name(ci, c),
			  csvi_shown(v, len, tmp), CSVIMPORT_MAX_ID);
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)v[i];
		if (ch < 0x20 || ch == 0x7f) {
			add_error(ci, ci->record_line, 0,
				  "field %s: '%s' contains a control character",
				  col_name(ci, c), csvi_shown(v, len, tmp));
			return false;
		}
	}
	*out = v;
	*out_len = len;
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
			add_error(ci, ci->record_line, 0,
				  "field %s: required, but empty", col_name(ci, c));
			return false;
		}
		*out = DATE_NONE;
		return true;
	}
	if (date_parse(v, len, out) < 0) {
		add_error(ci, ci->record_line, 0,
			  "field %s: '%s' is not a date (YYYY-MM-DD)",
			  col_name(ci, c), csvi_shown(v, len, tmp));
		return false;
	}
	return true;
}

/* A row's values, as read from the record. */
struct row {
	const char *s[CSVI_TEXTS];
	size_t len[CSVI_TEXTS];
	rd_date d1, d2;
};

/* Check a data record's values by kind; false when an error was recorded. */
static bool check_row(struct csvimport *ci, struct row *r)
{
	bool ok = true;
	char tmp[48];

	switch (ci->kind) {
	case CSV_PATIENTS:
		ok = get_id(ci, COL_IPP, &r->s[CSVI_IPP], &r->len[CSVI_IPP]);
		ok = get_date(ci, COL_BIRTH, false, &r->d1) && ok;
		ok = get_date(ci, COL_DEATH, false, &r->d2) && ok;
		break;
	case CSV_ENCOUNTERS: {
		const char *kind = value(ci, COL_KIND, &r->len[CSVI_KIND]);
		ok = get_id(ci, COL_ID, &r->s[CSVI_ID], &r->len[CSVI_ID]);
		ok = get_id(ci, COL_IPP, &r->s[CSVI_IPP], &r->len[CSVI_IPP]) && ok;
		if (!kind) {
			add_error(ci, ci->record_line, 0,
				  "field kind: required, but empty");
			ok = false;
		} else if (engine_policy_kind_find(ci->policy, kind) < 0) {
			add_error(ci, ci->record_line, 0,
				  "field kind: unknown encounter kind '%s' (known: stay, "
				  "consultation, emergency, and the kinds of [kinds])",
				  csvi_shown(kind, r->len[CSVI_KIND], tmp));
			ok = false;
		}
		r->s[CSVI_KIND] = kind;
		ok = get_date(ci, COL_START, true, &r->d1) && ok;
		ok = get_date(ci, COL_END, false, &r->d2) && ok;
		break;
	}
	case CSV_TRANSFUSIONS:
		ok = get_id(ci, COL_ID, &r->s[CSVI_ID], &r->len[CSVI_ID]);
		ok = get_id(ci, COL_IPP, &r->s[CSVI_IPP], &r->len[CSVI_IPP]) && ok;
		ok = get_date(ci, COL_ACT, true, &r->d1) && ok;
		break;
	case CSV_LITIGATIONS: {
		size_t len = 0;
		const char *ref = value(ci, COL_REFERENCE, &len);
		ok = get_id(ci, COL_ID, &r->s[CSVI_ID], &r->len[CSVI_ID]);
		ok = get_id(ci, COL_IPP, &r->s[CSVI_IPP], &r->len[CSVI_IPP]) && ok;
		ok = get_date(ci, COL_OPENED, true, &r->d1) && ok;
		ok = get_date(ci, COL_CLOSED, false, &r->d2) && ok;
		if (ref && len > 256) {
			add_error(ci, ci->record_line, 0,
				  "field reference: longer than 256 bytes");
			ok = false;
		}
		if (ok && r->d2 != DATE_NONE && r->d2 < r->d1) {
			char a[DATE_STRLEN], b[DATE_STRLEN];
			add_error(ci, ci->record_line, 0,
				  "field closed_on: %s is before opened_on %s",
				  date_format(r->d2, a), date_format(r->d1, b));
			ok = false;
		}
		r->s[CSVI_REF] = ref;
		r->len[CSVI_REF] = ref ? len : 0;
		break;
	}
	}
	return ok;
}

static void take_row(struct csvimport *ci)
{
	struct row r = {.d1 = DATE_NONE, .d2 = DATE_NONE};

	ci->row_open = true;
	if (ci->too_many || ci->n_fields != ci->header_fields) {
		add_error(ci, ci->record_line, 0,
			  "%zu fields where the header has %zu",
			  ci->n_fields + ci->too_many, ci->header_fields);
		return;
	}
	for (size_t i = 0; i < ci->n_fields; i++) {
		const struct field *f = &ci->fields[i];
		if (f->bad_utf8) {
			add_error(ci, ci->record_line, 0,
				  "field %zu is not valid UTF-8 (the file must be UTF-8 encoded)",
				  i + 1);
			return;
		}
		if (f->too_long) {
			add_error(ci, ci->record_line, 0,
				  "field %zu is longer than %d bytes", i + 1,
				  CSVIMPORT_MAX_FIELD);
			return;
		}
	}
	if (!check_row(ci, &r))
		return;

	struct csvi_item *it = new_item(ci, CSVI_DATA, ci->record_line);
	it->d1 = r.d1;
	it->d2 = r.d2;
	for (int i = 0; i < CSVI_TEXTS; i++) {
		if (!r.s[i])
			continue;
		it->text[i] = put_text(ci, r.s[i], r.len[i]);
		if (it->text[i] == CSVI_NO_TEXT) {
			/* The row is dropped with the reading. */
			for (int j = 0; j < CSVI_TEXTS; j++)
				it->text[j] = CSVI_NO_TEXT;
			it->type = CSVI_ERROR;
			it->fatal = -EIO;
			ci->read_fatal = -EIO;
			ci->read_errors++;
			break;
		}
	}
	item_done(ci);
}

static void on_record(int c, void *data)
{
	struct csvimport *ci = data;

	(void)c;
	if (!stopped(ci)) {
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

void csvi_apply_out(struct csvimport *ci)
{
	csvi_apply(ci, ci->out);
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
	ci->out = csvi_batch_new();
	if (!ci->errors || !ci->out ||
	    csv_init(&ci->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		csvi_batch_free(ci->out);
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
	ci->hand_over = csvi_apply_out;
	atomic_init(&ci->stop, false);
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

static void feed_segment(struct csvimport *ci, const char *s, size_t len)
{
	if (!ci->record_open && has_content(s, len)) {
		ci->record_open = true;
		ci->record_line = ci->line;
	}
	if (csv_parse(&ci->parser, s, len, on_field, on_record, ci) != len) {
		if (!stopped(ci))
			add_error(ci, ci->record_line, -EINVAL,
				  "malformed quoting (a quote inside an unquoted field, or "
				  "text after a closing quote)");
		return;
	}
	if (!stopped(ci) && csv_get_buffer_size(&ci->parser) > CSVIMPORT_MAX_PENDING)
		add_error(ci, ci->record_line, -EINVAL,
			  "a field runs over more than 1 MiB (an unterminated quote?)");
}

static const char bom[3] = {'\xEF', '\xBB', '\xBF'};

/*
 * A UTF-8 byte order mark (spreadsheet exports write one) is dropped
 * before libcsv sees it, or a quoted first header would be malformed. It
 * may arrive split over several feeds.
 */
static void skip_bom(struct csvimport *ci, const char **data, size_t *len)
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
			feed_segment(ci, bom, ci->bom_matched);
	}
}

/* Position of the first line break in s[0..len), or len. */
static size_t find_break(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\n' || s[i] == '\r')
			return i;
	return len;
}

void csvi_read(struct csvimport *ci, const char *data, size_t len)
{
	if (stopped(ci))
		return;
	skip_bom(ci, &data, &len);
	/* Line breaks are CR LF, LF, or a lone CR (old spreadsheet
	 * exports): each counts one line, as libcsv ends records on them. */
	while (len > 0 && !stopped(ci)) {
		if (ci->pending_cr) {
			ci->pending_cr = false;
			if (*data == '\n') {
				feed_segment(ci, data, 1);
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
		feed_segment(ci, data, n);
		if (i < len)
			ci->line++;
		data += n;
		len -= n;
	}
}

void csvi_read_end(struct csvimport *ci)
{
	ci->read_to_end = true;
	/* A file of one to two bytes of a BOM's beginning is data. */
	if (!ci->bom_done && ci->bom_matched > 0 && !stopped(ci)) {
		ci->bom_done = true;
		feed_segment(ci, bom, ci->bom_matched);
	}
	if (stopped(ci))
		return;
	if (csv_fini(&ci->parser, on_field, on_record, ci) != 0 && !stopped(ci))
		add_error(ci, ci->record_line, -EINVAL,
			  "quoted field not closed before the end of the file");
	if (!stopped(ci) && !ci->header_done)
		add_error(ci, 0, 0, "empty file: no header line");
}

int csvimport_feed(struct csvimport *ci, const char *data, size_t len)
{
	if (ci->fatal)
		return ci->fatal;
	csvi_read(ci, data, len);
	ci->hand_over(ci);
	return ci->fatal;
}

void csvi_read_end_here(struct csvimport *ci)
{
	if (!ci->read_to_end && !ci->fatal) {
		csvi_read_end(ci);
		ci->hand_over(ci);
	}
}

int csvimport_finish(struct csvimport *ci)
{
	csvi_read_end_here(ci);
	return csvi_apply_end(ci);
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
	csvi_batch_free(ci->out);
	free(ci->buf);
	free(ci->errors);
	free(ci);
}
