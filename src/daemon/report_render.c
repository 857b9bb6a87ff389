/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The nightly report rendered from its data: plain text, HTML and CSV, in
 * French or English. Text and HTML are written by the same section code
 * through a small sink (heading, paragraph, list item, alert), so both
 * always carry the same content; the HTML adds the forecast chart as
 * inline SVG, with a table of the same numbers for clients that do not
 * draw SVG. Nothing external: no image, style sheet, font or link.
 *
 * Every user-facing string is an English msgid translated through
 * i18n_gettext (xgettext keywords: _, NG_:1,2, N_); formats are checked
 * by the compiler through format_arg. In HTML every piece of text,
 * translated or not, is escaped once it is formatted.
 */
#include "config.h"

#include "daemon/report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/bordereau.h"
#include "daemon/i18n.h"

/* Translation in the sink's language (o must be in scope). */
#define _(s) tr(o->lang, s)
#define NG_(s, p, n) trn(o->lang, s, p, n)

static const char *tr(enum i18n_lang lang, const char *msgid)
	__attribute__((format_arg(2)));
static const char *trn(enum i18n_lang lang, const char *s, const char *p, int64_t n)
	__attribute__((format_arg(2))) __attribute__((format_arg(3)));

static const char *tr(enum i18n_lang lang, const char *msgid)
{
	return i18n_gettext(lang, msgid);
}

static const char *trn(enum i18n_lang lang, const char *s, const char *p, int64_t n)
{
	return i18n_ngettext(lang, s, p, n < 0 ? 0 : (unsigned long)n);
}

/* ------------------------------------------------------------ values */

struct lang_ctx {
	enum i18n_lang lang;
};

/* Short fixed-size buffers for the values of one line. */
typedef char numbuf[48]; /* 20 digits, 6 separators of 3 bytes */
typedef char datebuf[24];
typedef char timebuf[48];

/* 1234567 as "1 234 567" (narrow no-break spaces) or "1,234,567". */
static const char *fmt_count(enum i18n_lang lang, int64_t n, numbuf buf)
{
	char digits[24];
	const char *sep = lang == I18N_FR ? "\u202f" : ",";
	const size_t seplen = strlen(sep);
	size_t o = 0;

	if (n < 0)
		buf[o++] = '-';
	const uint64_t v = n < 0 ? -(uint64_t)n : (uint64_t)n;
	int len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0) {
			memcpy(buf + o, sep, seplen);
			o += seplen;
		}
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

/* 2026-11-21 as "21/11/2026" in French, ISO 8601 in English. */
static const char *fmt_date(enum i18n_lang lang, rd_date d, datebuf buf)
{
	int y, m, dd;

	if (d == DATE_NONE) {
		snprintf(buf, sizeof(datebuf), "?");
		return buf;
	}
	date_to_ymd(d, &y, &m, &dd);
	if (lang == I18N_FR)
		snprintf(buf, sizeof(datebuf), "%02d/%02d/%04d", dd, m, y);
	else
		snprintf(buf, sizeof(datebuf), "%04d-%02d-%02d", y, m, dd);
	return buf;
}

static rd_date local_date(int64_t t, int *hour, int *minute)
{
	struct tm tm;
	time_t tt = (time_t)t;
	rd_date d = DATE_NONE;

	if (!localtime_r(&tt, &tm))
		return DATE_NONE;
	date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, &d);
	if (hour)
		*hour = tm.tm_hour;
	if (minute)
		*minute = tm.tm_min;
	return d;
}

/* A unix time as a local date and time: "21/11/2026 à 06:30". */
static const char *fmt_time(enum i18n_lang lang, int64_t t, timebuf buf)
{
	const struct lang_ctx lc = {lang}, *o = &lc;
	int h = 0, mi = 0;
	datebuf d;
	char hm[8];

	fmt_date(o->lang, local_date(t, &h, &mi), d);
	snprintf(hm, sizeof(hm), "%02d:%02d", h % 100, mi % 100);
	snprintf(buf, sizeof(timebuf), _("%s at %s"), d, hm);
	return buf;
}

/* A duration: "1.2 s" ("1,2 s"), "3 min 05 s". */
static const char *fmt_duration(enum i18n_lang lang, uint64_t ms, timebuf buf)
{
	if (ms < 60000) {
		snprintf(buf, sizeof(timebuf), "%.1f s", (double)ms / 1000.0);
		char *dot = strchr(buf, '.');
		if (dot && lang == I18N_FR)
			*dot = ',';
	} else {
		snprintf(buf, sizeof(timebuf), "%llu min %02llu s",
			 (unsigned long long)(ms / 60000),
			 (unsigned long long)(ms / 1000 % 60));
	}
	return buf;
}

/* ------------------------------------------------------------ sink */

enum sink_kind { SINK_TEXT, SINK_HTML };

struct sink {
	enum i18n_lang lang;
	enum sink_kind kind;
	FILE *f;
	bool in_list;
	int section;
};

static void html_escape(FILE *f, const char *s)
{
	bordereau_html_text(f, s);
}

static char *vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

static void end_list(struct sink *o)
{
	if (!o->in_list)
		return;
	if (o->kind == SINK_HTML)
		fputs("</ul>\n", o->f);
	o->in_list = false;
}

/* A numbered section title. */
static void heading(struct sink *o, const char *title)
{
	end_list(o);
	o->section++;
	if (o->kind == SINK_HTML) {
		fprintf(o->f, "<h2 style=\"font-size:16px;margin:20px 0 6px 0;"
			      "border-bottom:1px solid #ccc\">%d. ", o->section);
		html_escape(o->f, title);
		fputs("</h2>\n", o->f);
		return;
	}
	char line[256];
	size_t width = 0;

	snprintf(line, sizeof(line), "%d. %s", o->section, title);
	fprintf(o->f, "\n%s\n", line);
	/* Underlined by characters, not bytes (titles are UTF-8). */
	for (const char *p = line; *p; p++)
		width += ((unsigned char)*p & 0xc0) != 0x80;
	for (size_t i = 0; i < width; i++)
		fputc('-', o->f);
	fputc('\n', o->f);
}

static void vline(struct sink *o, const char *style, const char *prefix, const char *fmt,
		  va_list ap) __attribute__((format(printf, 4, 0)));

static void vline(struct sink *o, const char *style, const char *prefix, const char *fmt,
		  va_list ap)
{
	char *s = vformat(fmt, ap);

	if (!s)
		return;
	if (o->kind == SINK_TEXT) {
		fprintf(o->f, "%s%s\n", prefix, s);
	} else {
		fprintf(o->f, "<p style=\"margin:4px 0%s\">", style);
		html_escape(o->f, s);
		fputs("</p>\n", o->f);
	}
	free(s);
}

static void para(struct sink *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void para(struct sink *o, const char *fmt, ...)
{
	va_list ap;

	end_list(o);
	va_start(ap, fmt);
	vline(o, "", "", fmt, ap);
	va_end(ap);
}

/* Something to act on (a date moved earlier): stands out. */
static void alert(struct sink *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void alert(struct sink *o, const char *fmt, ...)
{
	va_list ap;

	end_list(o);
	va_start(ap, fmt);
	vline(o, ";color:#b00020;font-weight:bold", "/!\\ ", fmt, ap);
	va_end(ap);
}

static void item(struct sink *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void item(struct sink *o, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vformat(fmt, ap);
	va_end(ap);
	if (!s)
		return;
	if (!o->in_list && o->kind == SINK_HTML)
		fputs("<ul style=\"margin:4px 0;padding-left:22px\">\n", o->f);
	o->in_list = true;
	if (o->kind == SINK_TEXT) {
		fprintf(o->f, "  - %s\n", s);
	} else {
		fputs("<li>", o->f);
		html_escape(o->f, s);
		fputs("</li>\n", o->f);
	}
	free(s);
}

/* "... and 12 more" after a list cut at its limit. */
static void more(struct sink *o, int64_t total, size_t shown)
{
	numbuf n;

	if (total > (int64_t)shown)
		item(o, NG_("... and %s more", "... and %s more", total - (int64_t)shown),
		     fmt_count(o->lang, total - (int64_t)shown, n));
}

/* ------------------------------------------------------------ labels */

static const char *anomaly_label(const struct sink *o, enum engine_anomaly a)
{
	switch (a) {
	case ENGINE_ANOMALY_NO_BIRTH_DATE:
		return _("no birth date");
	case ENGINE_ANOMALY_BIRTH_IN_FUTURE:
		return _("birth date in the future");
	case ENGINE_ANOMALY_DEATH_BEFORE_BIRTH:
		return _("death before the birth");
	case ENGINE_ANOMALY_DEATH_IN_FUTURE:
		return _("death date in the future");
	case ENGINE_ANOMALY_ENCOUNTER_BEFORE_BIRTH:
		return _("encounter before the birth");
	case ENGINE_ANOMALY_ENCOUNTER_IN_FUTURE:
		return _("encounter in the future");
	case ENGINE_ANOMALY_ENCOUNTER_ENDS_BEFORE_START:
		return _("encounter ending before it starts");
	case ENGINE_ANOMALY_ENCOUNTER_AFTER_DEATH:
		return _("encounter ending after the death");
	case ENGINE_ANOMALY_TRANSFUSION_BEFORE_BIRTH:
		return _("transfusion before the birth");
	case ENGINE_ANOMALY_TRANSFUSION_AFTER_DEATH:
		return _("transfusion after the death");
	case ENGINE_ANOMALY_TRANSFUSION_IN_FUTURE:
		return _("transfusion in the future");
	case ENGINE_ANOMALY_LITIGATION_IN_FUTURE:
		return _("litigation opened in the future");
	case ENGINE_ANOMALY_LITIGATION_CLOSED_BEFORE_OPENED:
		return _("litigation closed before it opened");
	case ENGINE_ANOMALY_LITIGATION_CLOSED_IN_FUTURE:
		return _("litigation closed in the future");
	case ENGINE_ANOMALY_NO_ENCOUNTER:
		return _("no encounter");
	case ENGINE_ANOMALY_NONE:
		break;
	}
	return _("inconsistent data");
}

/* Whose work an open proposal state is. */
static const char *pending_label(const struct sink *o, const char *state, bool is_public)
{
	if (strcmp(state, "proposed") == 0)
		return _("Opinion of the DIM physician");
	if (strcmp(state, "reviewed") == 0)
		return _("Decision of the director");
	if (strcmp(state, "approved") == 0 && is_public)
		return _("Visa of the archives administration");
	return _("Destruction to record");
}

static const char *month_abbrev(const struct sink *o, int month)
{
	static const char *const names[12] = {
		N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"),
		N_("Jul"), N_("Aug"), N_("Sep"), N_("Oct"), N_("Nov"), N_("Dec"),
	};
	return month >= 1 && month <= 12 ? tr(o->lang, names[month - 1]) : "?";
}

/* ------------------------------------------------------------ sections */

static void section_summary(struct sink *o, const struct report_data *r)
{
	numbuf a, b, c;
	timebuf t, u;

	heading(o, _("Summary"));
	const int64_t total = r->by_status[0] + r->by_status[1] + r->by_status[2] +
			      r->by_status[3];
	para(o, _("Dossiers by status:"));
	item(o, _("retained: %s"), fmt_count(o->lang, r->by_status[ENGINE_RETAINED], a));
	item(o, _("eligible for elimination: %s"),
	     fmt_count(o->lang, r->by_status[ENGINE_ELIGIBLE], a));
	item(o, _("held (director's hold or open litigation): %s"),
	     fmt_count(o->lang, r->by_status[ENGINE_HELD], a));
	item(o, _("in anomaly: %s"), fmt_count(o->lang, r->by_status[ENGINE_ANOMALY], a));
	item(o, _("total: %s"), fmt_count(o->lang, total, a));
	if (r->dirty > 0)
		item(o, _("waiting for their recompute: %s"), fmt_count(o->lang, r->dirty, a));
	if (r->scan_valid)
		para(o, _("Last scan: %s, in %s (dossiers recomputed: %s, proposed: %s, "
			  "withdrawn: %s)."),
		     fmt_time(o->lang, r->scan_at, t),
		     fmt_duration(o->lang, r->scan_ms, u), fmt_count(o->lang, (int64_t)r->scan_recomputed, a),
		     fmt_count(o->lang, (int64_t)r->scan_proposed, b),
		     fmt_count(o->lang, (int64_t)r->scan_withdrawn, c));
	else
		para(o, _("Last scan: none since the daemon started."));
	if (r->imports > 0)
		para(o, NG_("Imports since the last report: %s file (rows changed: %s).",
			    "Imports since the last report: %s files (rows changed: %s).", r->imports),
		     fmt_count(o->lang, r->imports, a), fmt_count(o->lang, r->import_rows, b));
	else
		para(o, _("Imports since the last report: none."));
}

static void section_batch(struct sink *o, const struct report_data *r)
{
	numbuf n;
	char id[24];
	datebuf d1, d2, d3;

	heading(o, _("New batch"));
	if (!r->n_batches) {
		para(o, _("No new batch: no dossier became eligible since the last report."));
		return;
	}
	for (size_t i = 0; i < r->n_batches; i++) {
		const struct report_batch *b = &r->batches[i];
		snprintf(id, sizeof(id), "%lld", (long long)b->id);
		item(o, NG_("Batch %s of %s: %s dossier, extreme dates %s to %s.",
			    "Batch %s of %s: %s dossiers, extreme dates %s to %s.", b->listed),
		     id,
		     fmt_date(o->lang, b->created_on, d1), fmt_count(o->lang, b->listed, n),
		     fmt_date(o->lang, b->first, d2), fmt_date(o->lang, b->last, d3));
	}
	para(o, _("The dossiers are listed in the attached CSV file."));
}

static void section_pending(struct sink *o, const struct report_data *r)
{
	numbuf n, days;
	char id[24];
	datebuf since;

	heading(o, _("Work waiting"));
	if (!r->n_pending) {
		para(o, _("Nothing waits: no proposal awaits an opinion, a decision, a visa or a "
			  "destruction."));
		return;
	}
	para(o, _("Oldest first:"));
	for (size_t i = 0; i < r->n_pending; i++) {
		const struct report_pending *p = &r->pending[i];
		int64_t age = p->oldest > 0 && r->now > p->oldest ? (r->now - p->oldest) / 86400 : 0;
		snprintf(id, sizeof(id), "%lld", (long long)p->batch);
		/* "for 3 days": the count and its noun in one plural form. */
		char waited[96];
		if (age > 0)
			snprintf(waited, sizeof(waited), NG_("%s day", "%s days", age),
				 fmt_count(o->lang, age, days));
		else
			snprintf(waited, sizeof(waited), "%s", _("less than a day"));
		item(o, NG_("%s: batch %s, %s proposal, waiting for %s (since %s).",
			    "%s: batch %s, %s proposals, waiting for %s (since %s).", p->count),
		     pending_label(o, p->state, r->is_public), id, fmt_count(o->lang, p->count, n),
		     waited, fmt_date(o->lang, local_date(p->oldest, NULL, NULL), since));
	}
}

static void section_holds(struct sink *o, const struct report_data *r)
{
	numbuf n;
	datebuf d;

	heading(o, _("Holds and open litigations"));
	if (!r->total_holds)
		para(o, _("No dossier is held by the director."));
	else
		para(o, NG_("%s dossier held by the director (the reason is not sent by email: "
			    "see retentionctl explain):",
			    "%s dossiers held by the director (the reasons are not sent by email: "
			    "see retentionctl explain):", r->total_holds),
		     fmt_count(o->lang, r->total_holds, n));
	for (size_t i = 0; i < r->n_holds; i++)
		item(o, _("IPP %s, held since %s"), r->holds[i].ipp,
		     fmt_date(o->lang, r->holds[i].since, d));
	more(o, r->total_holds, r->n_holds);
	if (!r->total_litigations)
		para(o, _("No litigation is open."));
	else
		para(o, NG_("%s litigation open:", "%s litigations open:", r->total_litigations),
		     fmt_count(o->lang, r->total_litigations, n));
	for (size_t i = 0; i < r->n_litigations; i++)
		item(o, _("litigation %s, IPP %s, opened on %s"), r->litigations[i].id,
		     r->litigations[i].ipp, fmt_date(o->lang, r->litigations[i].opened, d));
	more(o, r->total_litigations, r->n_litigations);
}

static void section_anomalies(struct sink *o, const struct report_data *r)
{
	numbuf n;
	datebuf d;

	heading(o, _("Anomalies to correct in the patient record system"));
	if (!r->total_anomalies) {
		para(o, _("No anomaly: every dossier's data is consistent."));
		return;
	}
	para(o, NG_("%s dossier in anomaly: it will never be proposed until its data is "
		    "corrected at the source.",
		    "%s dossiers in anomaly: they will never be proposed until their data is "
		    "corrected at the source.", r->total_anomalies),
	     fmt_count(o->lang, r->total_anomalies, n));
	for (size_t i = 0; i < r->n_anomalies; i++) {
		const struct report_anomaly *a = &r->anomalies[i];
		char reasons[1200];
		size_t len = 0;

		reasons[0] = '\0';
		for (size_t k = 0; k < a->n_reasons && len < sizeof(reasons); k++) {
			const struct report_reason *why = &a->reasons[k];
			char detail[120] = "";
			if (why->ref[0] && why->date != DATE_NONE)
				snprintf(detail, sizeof(detail), " (%s, %s)", why->ref,
					 fmt_date(o->lang, why->date, d));
			else if (why->ref[0])
				snprintf(detail, sizeof(detail), " (%s)", why->ref);
			else if (why->date != DATE_NONE)
				snprintf(detail, sizeof(detail), " (%s)",
					 fmt_date(o->lang, why->date, d));
			int w = snprintf(reasons + len, sizeof(reasons) - len, "%s%s%s",
					 k ? "; " : "", anomaly_label(o, why->anomaly), detail);
			if (w > 0)
				len += (size_t)w;
		}
		if (a->more_reasons && len < sizeof(reasons))
			snprintf(reasons + len, sizeof(reasons) - len, "; …");
		item(o, _("IPP %s: %s"), a->ipp, reasons);
	}
	more(o, r->total_anomalies, r->n_anomalies);
}

/* The bar chart of the forecast months, inline SVG: 12 bars, the count
 * above each, the month below (and the year under January and the first
 * month). Heights are relative to the largest month. */
static void write_svg(FILE *f, const struct report_data *r, const struct sink *o)
{
	enum { W = 480, H = 170, LEFT = 8, TOP = 18, PLOT = 110, SLOT = 38, BAR = 26 };
	int64_t max = 0;

	for (int i = 0; i < REPORT_MONTHS; i++)
		if (r->months[i].count > max)
			max = r->months[i].count;
	fprintf(f, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		   "aria-label=\"", W, H, W, H);
	html_escape(f, _("Dossiers becoming eligible per month"));
	fputs("\" style=\"font-family:sans-serif\">\n<title>", f);
	html_escape(f, _("Dossiers becoming eligible per month"));
	fputs("</title>\n", f);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\" "
		   "stroke-width=\"1\"/>\n", LEFT, TOP + PLOT, LEFT + SLOT * REPORT_MONTHS,
		TOP + PLOT);
	for (int i = 0; i < REPORT_MONTHS; i++) {
		const struct report_month *m = &r->months[i];
		const int h = max ? (int)((m->count * PLOT + max - 1) / max) : 0;
		const int x = LEFT + i * SLOT + (SLOT - BAR) / 2;
		const int cx = LEFT + i * SLOT + SLOT / 2;
		numbuf n;

		if (h > 0)
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
				   "fill=\"#3b6ea5\"/>\n", x, TOP + PLOT - h, BAR, h);
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\" "
			   "fill=\"#222\">%s</text>\n", cx, TOP + PLOT - h - 4,
			fmt_count(o->lang, m->count, n));
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\" "
			   "fill=\"#222\">", cx, TOP + PLOT + 14);
		html_escape(f, month_abbrev(o, m->month));
		fputs("</text>\n", f);
		if (i == 0 || m->month == 1)
			fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" "
				   "text-anchor=\"middle\" fill=\"#666\">%04d</text>\n",
				cx, TOP + PLOT + 27, m->year % 10000);
	}
	fputs("</svg>\n", f);
}

static void month_table(struct sink *o, const struct report_data *r)
{
	numbuf n;

	fputs("<table style=\"border-collapse:collapse;font-size:12px;margin-top:6px\">"
	      "<tr>", o->f);
	for (int i = 0; i < REPORT_MONTHS; i++) {
		fputs("<th style=\"padding:2px 6px;border:1px solid #ddd;font-weight:normal\">",
		      o->f);
		html_escape(o->f, month_abbrev(o, r->months[i].month));
		fprintf(o->f, " %02d</th>", r->months[i].year % 100);
	}
	fputs("</tr>\n<tr>", o->f);
	for (int i = 0; i < REPORT_MONTHS; i++)
		fprintf(o->f, "<td style=\"padding:2px 6px;border:1px solid #ddd;"
			      "text-align:right\">%s</td>",
			fmt_count(o->lang, r->months[i].count, n));
	fputs("</tr></table>\n", o->f);
}

static void section_forecast(struct sink *o, const struct report_data *r)
{
	numbuf a, b, c;

	heading(o, _("Forecast"));
	para(o, _("Dossiers becoming eligible, for shelf planning: %s within 30 days, %s "
		  "within 90 days, %s within 365 days."),
	     fmt_count(o->lang, r->due30, a), fmt_count(o->lang, r->due90, b),
	     fmt_count(o->lang, r->due365, c));
	para(o, _("Per month:"));
	if (o->kind == SINK_HTML) {
		write_svg(o->f, r, o);
		month_table(o, r);
		return;
	}
	for (int i = 0; i < REPORT_MONTHS; i++)
		item(o, _("%s %04d: %s"), month_abbrev(o, r->months[i].month),
		     r->months[i].year % 10000, fmt_count(o->lang, r->months[i].count, a));
}

static void section_earlier(struct sink *o, const struct report_data *r)
{
	numbuf n;
	datebuf d1, d2;
	timebuf t;

	heading(o, _("Dates moved earlier"));
	if (!r->total_earlier) {
		para(o, _("No retention date moved earlier since the last report."));
		return;
	}
	alert(o, NG_("Alert: the retention date of %s dossier moved earlier since the last "
		     "report. Someone corrected a date: check that the correction is right.",
		     "Alert: the retention date of %s dossiers moved earlier since the last "
		     "report. Someone corrected a date: check that the correction is right.",
		     r->total_earlier),
	      fmt_count(o->lang, r->total_earlier, n));
	for (size_t i = 0; i < r->n_earlier; i++) {
		const struct report_earlier *e = &r->earlier[i];
		item(o, _("IPP %s: kept until %s, now until %s (recomputed on %s)"), e->ipp,
		     fmt_date(o->lang, e->old_until, d1), fmt_date(o->lang, e->new_until, d2),
		     fmt_time(o->lang, e->at, t));
	}
	more(o, r->total_earlier, r->n_earlier);
}

static void section_health(struct sink *o, const struct report_data *r)
{
	numbuf a, b;
	char errors[64], warnings[64];
	timebuf t;

	heading(o, _("Health of the daemon"));
	if (r->started_at > r->since && r->since > 0)
		para(o, _("The daemon restarted on %s."),
		     fmt_time(o->lang, r->started_at, t));
	if (!r->errors && !r->warnings)
		para(o, _("No error or warning logged since the last report."));
	else {
		snprintf(errors, sizeof(errors), NG_("%s error", "%s errors", (int64_t)r->errors),
			 fmt_count(o->lang, (int64_t)r->errors, a));
		snprintf(warnings, sizeof(warnings),
			 NG_("%s warning", "%s warnings", (int64_t)r->warnings),
			 fmt_count(o->lang, (int64_t)r->warnings, b));
		para(o, _("Logged since the last report: %s, %s (see the journal: journalctl -u "
			  "retentiond)."), errors, warnings);
	}
	if (!r->spool) {
		para(o, _("No spool directory is configured."));
		return;
	}
	if (!r->total_failed) {
		para(o, _("No spool file failed since the last report."));
		return;
	}
	para(o, NG_("%s spool file failed since the last report (its .error file says why):",
		    "%s spool files failed since the last report (their .error files say why):",
		    r->total_failed),
	     fmt_count(o->lang, r->total_failed, a));
	for (size_t i = 0; i < r->n_failed; i++)
		item(o, "%s", r->failed[i].name);
	more(o, r->total_failed, r->n_failed);
}

static void write_body(struct sink *o, const struct report_data *r)
{
	section_summary(o, r);
	section_batch(o, r);
	section_pending(o, r);
	section_holds(o, r);
	section_anomalies(o, r);
	section_forecast(o, r);
	section_earlier(o, r);
	section_health(o, r);
	end_list(o);
}

/* ------------------------------------------------------------ documents */

static char *title(const struct sink *o, const struct report_data *r)
{
	datebuf d;
	char *s = NULL;

	if (asprintf(&s, _("Nightly report of %s"), fmt_date(o->lang, r->today, d)) < 0)
		return NULL;
	return s;
}

/* Close the memory stream: only then is *buf final. */
static char *finish(FILE *f, char **buf)
{
	if (fclose(f) != 0) {
		free(*buf);
		return NULL;
	}
	return *buf;
}

char *report_render_text(const struct report_data *r, enum i18n_lang lang)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sink sk = {.lang = lang, .kind = SINK_TEXT, .f = f};
	struct sink *o = &sk;
	timebuf t;

	if (!f)
		return NULL;
	char *head = title(o, r);
	fprintf(f, "retentiond — %s\n", head ? head : "");
	free(head);
	fprintf(f, "%s (FINESS %s)\n", r->establishment, r->finess);
	if (r->since > 0)
		fprintf(f, _("Since the last report, on %s."), fmt_time(o->lang, r->since, t));
	else
		fputs(_("First report: the last 24 hours."), f);
	fputc('\n', f);
	write_body(o, r);
	fprintf(f, "\n-- \n%s\n",
		_("Sent by retentiond. Identifiers and dates only: no clinical content."));
	return finish(f, &buf);
}

char *report_render_html(const struct report_data *r, enum i18n_lang lang)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sink sk = {.lang = lang, .kind = SINK_HTML, .f = f};
	struct sink *o = &sk;
	timebuf t;

	if (!f)
		return NULL;
	char *head = title(o, r);
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<title>", i18n_lang_name(lang));
	html_escape(f, head ? head : "");
	fputs("</title>\n</head>\n<body style=\"font-family:sans-serif;font-size:14px;"
	      "color:#222;max-width:760px\">\n<h1 style=\"font-size:19px;margin:0 0 4px 0\">",
	      f);
	html_escape(f, head ? head : "");
	free(head);
	fputs("</h1>\n<p style=\"margin:0;color:#555\">", f);
	html_escape(f, r->establishment);
	fputs(" (FINESS ", f);
	html_escape(f, r->finess);
	fputs(")<br>", f);
	char *since = NULL;
	if (r->since > 0 ? asprintf(&since, _("Since the last report, on %s."),
				    fmt_time(o->lang, r->since, t)) >= 0
			 : (since = strdup(_("First report: the last 24 hours."))) != NULL)
		html_escape(f, since);
	free(since);
	fputs("</p>\n", f);
	write_body(o, r);
	fputs("<p style=\"margin-top:24px;font-size:12px;color:#777\">", f);
	html_escape(f, _("Sent by retentiond. Identifiers and dates only: no clinical content."));
	fputs("</p>\n</body>\n</html>\n", f);
	return finish(f, &buf);
}

char *report_render_svg(const struct report_data *r, enum i18n_lang lang)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sink sk = {.lang = lang, .kind = SINK_HTML, .f = f};

	if (!f)
		return NULL;
	write_svg(f, r, &sk);
	return finish(f, &buf);
}

static void csv_row(FILE *f, const char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		bordereau_csv_field(f, cells[i]);
	}
	fputs("\r\n", f);
}

char *report_render_csv(const struct report_data *r, enum i18n_lang lang)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const struct lang_ctx lc = {lang}, *o = &lc;

	if (!f)
		return NULL;
	/* Column names for a spreadsheet: words without spaces or accents. */
	const char *head[] = {
		_("type"), _("batch"), _("proposal"), _("ipp"), _("first_date"),
		_("last_date"), _("retain_until"), _("rule"), _("anomaly"),
		_("anomaly_code"), _("anomaly_date"), _("related_id"),
	};
	enum { NCOL = sizeof(head) / sizeof(head[0]) };
	csv_row(f, head, NCOL);
	for (size_t i = 0; i < r->n_lines; i++) {
		const struct report_line *l = &r->lines[i];
		char batch[24], prop[24], a[DATE_STRLEN], b[DATE_STRLEN], c[DATE_STRLEN];
		snprintf(batch, sizeof(batch), "%lld", (long long)l->batch);
		snprintf(prop, sizeof(prop), "%lld", (long long)l->proposal);
		const char *cells[NCOL] = {
			_("new_batch"), batch, prop, l->ipp, date_format(l->first, a),
			date_format(l->last, b), date_format(l->retain_until, c), l->basis,
			"", "", "", "",
		};
		csv_row(f, cells, NCOL);
	}
	const struct sink sk = {.lang = lang};
	for (size_t i = 0; i < r->n_anomalies; i++) {
		const struct report_anomaly *an = &r->anomalies[i];
		for (size_t k = 0; k < an->n_reasons; k++) {
			const struct report_reason *why = &an->reasons[k];
			char d[DATE_STRLEN];
			const char *cells[NCOL] = {
				_("anomaly"), "", "", an->ipp, "", "", "", "",
				anomaly_label(&sk, why->anomaly), engine_anomaly_name(why->anomaly),
				date_format(why->date, d), why->ref,
			};
			csv_row(f, cells, NCOL);
		}
	}
	return finish(f, &buf);
}

char *report_render_subject(const struct report_data *r, enum i18n_lang lang)
{
	const struct lang_ctx lc = {lang}, *o = &lc;
	datebuf d;
	char *s = NULL;

	if (asprintf(&s, _("[retentiond] Report of %s — %s"), fmt_date(lang, r->today, d),
		     r->establishment) < 0)
		return NULL;
	return s;
}
