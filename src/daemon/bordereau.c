/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Bordereau rendering. The lines are read twice from the store (a summary
 * pass for the header, then the table) rather than held in memory: a
 * batch can hold tens of thousands of dossiers.
 */
#include "config.h"

#include "daemon/bordereau.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"

struct summary {
	rd_date first, last;
	int64_t listed, withdrawn, kept, refused, destroyed;
	int64_t by_basis[6]; /* general, minor, death, transfusion, policy, other */
};

static int basis_index(const char *basis)
{
	static const char *const names[] = {"general_20y", "minor_28", "death_10y",
					    "transfusion_30y", "policy"};

	for (int i = 0; i < 5; i++)
		if (basis && strcmp(basis, names[i]) == 0)
			return i;
	return 5;
}

static const char *basis_label(int i)
{
	static const char *const labels[] = {
		"20 ans après le dernier passage (CSP R1112-7 al. 1)",
		"jusqu'au 28e anniversaire du patient (CSP R1112-7 al. 1)",
		"10 ans après le décès (CSP R1112-7 al. 1)",
		"30 ans après l'acte transfusionnel (instruction DHOS/E1/DAF/DPACI n° 2007-322)",
		"durée fixée par l'établissement (au-delà des minimums légaux)",
		"autre",
	};
	return labels[i];
}

static int summarise(void *ctx, const struct store_bordereau_line *l)
{
	struct summary *s = ctx;

	if (strcmp(l->state, "withdrawn") == 0) {
		s->withdrawn++;
		return 0;
	}
	s->listed++;
	if (l->first_date != DATE_NONE && (s->first == DATE_NONE || l->first_date < s->first))
		s->first = l->first_date;
	if (l->last_date != DATE_NONE && l->last_date > s->last)
		s->last = l->last_date;
	s->by_basis[basis_index(l->basis)]++;
	s->kept += strcmp(l->state, "kept") == 0;
	s->refused += strcmp(l->state, "refused") == 0;
	s->destroyed += strcmp(l->state, "destroyed") == 0;
	return 0;
}

/* ------------------------------------------------------------ cells */

void bordereau_csv_field(FILE *f, const char *s)
{
	bool quote = false;

	if (!s)
		s = "";
	for (const char *p = s; *p; p++)
		if (*p == ',' || *p == '"' || *p == '\n' || *p == '\r')
			quote = true;
	/* A spreadsheet would run a cell starting with these as a formula. */
	bool neutralise = strchr("=+-@\t\r", s[0]) && s[0];
	if (neutralise)
		quote = true;
	if (quote)
		fputc('"', f);
	if (neutralise)
		fputc('\'', f);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	if (quote)
		fputc('"', f);
}

void bordereau_html_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* French day: "21/11/2026". */
static const char *fr_date(rd_date d, char buf[16])
{
	int y, m, dd;

	if (d == DATE_NONE)
		return "";
	date_to_ymd(d, &y, &m, &dd);
	snprintf(buf, 16, "%02d/%02d/%04d", dd, m, y);
	return buf;
}

static const char *opinion_label(const struct store_bordereau_line *l)
{
	if (!l->opinion)
		return "";
	if (strcmp(l->opinion, "favorable") == 0)
		return "Favorable";
	if (strcmp(l->opinion, "unfavorable") == 0)
		return "Défavorable";
	return l->opinion;
}

static bool state_is(const struct store_bordereau_line *l, const char *s)
{
	return strcmp(l->state, s) == 0;
}

/* The director's decision, as the document says it. */
static const char *decision_label(const struct store_bordereau_line *l)
{
	if (state_is(l, "proposed") || state_is(l, "reviewed"))
		return "";
	if (state_is(l, "refused") && !l->visa_reference)
		return "Élimination refusée";
	return "Élimination autorisée";
}

/* The archives administration's column: empty until the visa. */
static const char *archives_label(const struct store_bordereau_line *l)
{
	if (!l->visa_reference)
		return "";
	if (state_is(l, "kept"))
		return "Conservation définitive";
	if (state_is(l, "refused"))
		return "Élimination refusée";
	return "Élimination acceptée";
}

static const char *state_label(const struct store_bordereau_line *l)
{
	static const struct {
		const char *state, *label;
	} map[] = {
		{"proposed", "proposé"},  {"reviewed", "avis rendu"},
		{"approved", "autorisé"}, {"refused", "refusé"},
		{"visaed", "visé"},       {"kept", "conservé"},
		{"destroyed", "détruit"}, {"withdrawn", "retiré"},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (state_is(l, map[i].state))
			return map[i].label;
	return l->state;
}

/* ------------------------------------------------------------ CSV */

struct render_ctx {
	FILE *f;
	const struct config *cfg;
	int64_t batch;
	int64_t n;
};

static int csv_line(void *ctx, const struct store_bordereau_line *l)
{
	struct render_ctx *r = ctx;
	char a[DATE_STRLEN], b[DATE_STRLEN], c[DATE_STRLEN], num[32];

	if (state_is(l, "withdrawn"))
		return 0;
	snprintf(num, sizeof(num), "%lld", (long long)l->proposal_id);
	const char *cells[] = {
		r->cfg->name, r->cfg->finess, NULL, num, l->ipp,
		date_format(l->first_date, a), date_format(l->last_date, b),
		date_format(l->retain_until, c), l->basis, opinion_label(l),
		l->opinion_comment, decision_label(l), archives_label(l), l->visa_reference,
		state_label(l), l->reason, l->certificate,
	};
	char batch[32];
	snprintf(batch, sizeof(batch), "%lld", (long long)r->batch);
	cells[2] = batch;
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
		if (i)
			fputc(',', r->f);
		bordereau_csv_field(r->f, cells[i]);
	}
	fputs("\r\n", r->f);
	return 0;
}

static int render_csv(struct store *st, struct render_ctx *r)
{
	static const char *const head[] = {
		"etablissement", "finess", "lot", "proposition", "ipp", "date_debut",
		"date_fin", "conserver_jusqu_au", "regle", "avis_dim", "commentaire_dim",
		"decision_directeur", "decision_archives", "visa_archives", "etat", "motif",
		"certificat",
	};

	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		fprintf(r->f, "%s%s", i ? "," : "", head[i]);
	fputs("\r\n", r->f);
	return store_bordereau_each(st, r->batch, csv_line, r);
}

/* ------------------------------------------------------------ HTML */

static const char css[] =
	"@page { size: A4; margin: 15mm 12mm; }\n"
	"body { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 9.5pt; "
	"color: #000; margin: 0; }\n"
	"h1 { font-size: 15pt; text-align: center; margin: 0 0 4mm; }\n"
	"h2 { font-size: 11pt; margin: 5mm 0 2mm; }\n"
	"table { border-collapse: collapse; width: 100%; }\n"
	"th, td { border: 0.3mm solid #000; padding: 1mm 1.5mm; vertical-align: top; "
	"text-align: left; }\n"
	"thead { display: table-header-group; }\n"
	"tr { page-break-inside: avoid; }\n"
	"table.meta th { width: 35%; background: #eee; }\n"
	"table.lines th { background: #eee; font-size: 8.5pt; }\n"
	"table.lines td { font-size: 8.5pt; }\n"
	"td.archives { min-width: 28mm; }\n"
	".attest { margin: 4mm 0; font-style: italic; }\n"
	".signatures { display: flex; gap: 4mm; page-break-inside: avoid; margin-top: 6mm; }\n"
	".signature { flex: 1; border: 0.3mm solid #000; padding: 2mm; min-height: 38mm; }\n"
	".signature h3 { font-size: 9.5pt; margin: 0 0 2mm; }\n"
	".footer { margin-top: 4mm; font-size: 8pt; color: #333; }\n";

static void meta_row(FILE *f, const char *label, const char *value)
{
	fputs("<tr><th>", f);
	bordereau_html_text(f, label);
	fputs("</th><td>", f);
	bordereau_html_text(f, value);
	fputs("</td></tr>\n", f);
}

static int html_line(void *ctx, const struct store_bordereau_line *l)
{
	struct render_ctx *r = ctx;
	char a[16], b[16], c[16];

	if (state_is(l, "withdrawn"))
		return 0;
	r->n++;
	fprintf(r->f, "<tr><td>%lld</td><td>", (long long)r->n);
	bordereau_html_text(r->f, l->ipp);
	fprintf(r->f, "</td><td>%s – %s</td><td>%s</td><td>", fr_date(l->first_date, a),
		fr_date(l->last_date, b), fr_date(l->retain_until, c));
	bordereau_html_text(r->f, l->basis);
	fputs("</td><td>", r->f);
	bordereau_html_text(r->f, opinion_label(l));
	if (l->opinion_comment && *l->opinion_comment) {
		fputs("<br>", r->f);
		bordereau_html_text(r->f, l->opinion_comment);
	}
	fputs("</td><td>", r->f);
	bordereau_html_text(r->f, decision_label(l));
	if (l->reason && *l->reason && !l->visa_reference) {
		fputs("<br>", r->f);
		bordereau_html_text(r->f, l->reason);
	}
	fputs("</td><td class=\"archives\">", r->f);
	bordereau_html_text(r->f, archives_label(l));
	if (state_is(l, "destroyed")) {
		fputs("<br>Détruit", r->f);
		if (l->certificate) {
			fputs(" (", r->f);
			bordereau_html_text(r->f, l->certificate);
			fputs(")", r->f);
		}
	}
	fputs("</td></tr>\n", r->f);
	return 0;
}

static void signature(FILE *f, const char *title, const char *what)
{
	fputs("<div class=\"signature\"><h3>", f);
	bordereau_html_text(f, title);
	fputs("</h3>", f);
	bordereau_html_text(f, what);
	fputs("<p>Nom :</p><p>Date :</p><p>Signature :</p></div>\n", f);
}

static int render_html(struct store *st, struct render_ctx *r, const struct store_batch *b,
		       const struct summary *s, int64_t now)
{
	FILE *f = r->f;
	char a[16], c[16], buf[512];
	time_t t = (time_t)now;
	struct tm tm;

	localtime_r(&t, &tm);
	fputs("<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n<title>",
	      f);
	fprintf(f, "Bordereau d'élimination, lot %lld</title>\n<style>\n%s</style>\n</head>\n<body>\n",
		(long long)r->batch, css);
	fputs("<h1>Bordereau d'élimination de dossiers médicaux</h1>\n", f);
	fputs("<table class=\"meta\">\n", f);
	meta_row(f, "Établissement producteur", r->cfg->name);
	meta_row(f, "N° FINESS", r->cfg->finess);
	meta_row(f, "Service producteur", r->cfg->service);
	meta_row(f, "Type de documents", "Dossiers médicaux de patients (CSP R1112-2, R1112-7)");
	snprintf(buf, sizeof(buf), "n° %lld, établi le %s", (long long)r->batch,
		 fr_date(b->created_on, a));
	meta_row(f, "Lot", buf);
	snprintf(buf, sizeof(buf), "%s – %s", fr_date(s->first, a), fr_date(s->last, c));
	meta_row(f, "Dates extrêmes", buf);
	buf[0] = '\0';
	for (int i = 0; i < 6; i++) {
		if (!s->by_basis[i])
			continue;
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof(buf) - n, "%s%s : %lld", n ? " ; " : "",
			 basis_label(i), (long long)s->by_basis[i]);
	}
	meta_row(f, "Règle de conservation appliquée", buf);
	snprintf(buf, sizeof(buf), "%lld dossier%s (métrage linéaire et nombre de boîtes à "
		 "compléter)", (long long)s->listed, s->listed == 1 ? "" : "s");
	meta_row(f, "Volume", buf);
	buf[0] = '\0';
	if (s->kept)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			 "%lld dossier%s conservé%s à titre définitif (échantillonnage). ",
			 (long long)s->kept, s->kept == 1 ? "" : "s", s->kept == 1 ? "" : "s");
	if (s->refused)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			 "%lld élimination%s refusée%s. ", (long long)s->refused,
			 s->refused == 1 ? "" : "s", s->refused == 1 ? "" : "s");
	if (s->withdrawn)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			 "%lld dossier%s retiré%s du lot (plus éligible%s). ",
			 (long long)s->withdrawn, s->withdrawn == 1 ? "" : "s",
			 s->withdrawn == 1 ? "" : "s", s->withdrawn == 1 ? "" : "s");
	if (b->visa_reference)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "Visa : %s. ",
			 b->visa_reference);
	if (b->certificate)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			 "Procès-verbal de destruction : %s.", b->certificate);
	meta_row(f, "Observations", buf);
	fputs("</table>\n", f);

	fputs("<h2>Liste des dossiers</h2>\n<table class=\"lines\">\n<thead><tr>"
	      "<th>N°</th><th>IPP</th><th>Dates extrêmes</th><th>Conservation "
	      "jusqu'au</th><th>Règle</th><th>Avis du médecin DIM</th><th>Décision du "
	      "directeur</th><th>Décision des Archives</th></tr></thead>\n<tbody>\n",
	      f);
	int rc = store_bordereau_each(st, r->batch, html_line, r);
	if (rc < 0)
		return rc;
	fputs("</tbody>\n</table>\n", f);
	fputs("<p class=\"attest\">Le directeur atteste qu'aucun recours gracieux ou contentieux "
	      "n'est en cours sur les dossiers énumérés ci-dessus.</p>\n",
	      f);
	fputs("<div class=\"signatures\">\n", f);
	signature(f, "Le médecin responsable de l'information médicale",
		  "Avis (CSP R1112-7 al. 4)");
	signature(f, "Le directeur", "Décision d'élimination (CSP R1112-7 al. 4)");
	if (r->cfg->is_public)
		signature(f, "Visa des Archives départementales",
			  "Code du patrimoine L212-2 et R212-14");
	fputs("</div>\n", f);
	strftime(buf, sizeof(buf), "%d/%m/%Y %H:%M", &tm);
	fprintf(f, "<p class=\"footer\">Édité par retentiond " PACKAGE_VERSION " le %s.</p>\n",
		buf);
	fputs("</body>\n</html>\n", f);
	return 0;
}

int bordereau_render(struct store *st, const struct config *cfg, int64_t batch,
		     enum bordereau_format format, int64_t now, char **out,
		     size_t *len, char *err, size_t errlen)
{
	struct store_batch b;
	struct summary s = {DATE_NONE, DATE_NONE, 0, 0, 0, 0, 0, {0}};
	char *buf = NULL;
	size_t size = 0;
	int rc = store_batch_get(st, batch, &b);

	if (rc == -ENOENT) {
		snprintf(err, errlen, "no batch %lld", (long long)batch);
		return rc;
	}
	if (rc == 0)
		rc = store_bordereau_each(st, batch, summarise, &s);
	if (rc < 0) {
		snprintf(err, errlen, "cannot read batch %lld: %s", (long long)batch,
			 store_errmsg(st));
		return rc;
	}
	FILE *f = open_memstream(&buf, &size);
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	struct render_ctx r = {f, cfg, batch, 0};
	rc = format == BORDEREAU_CSV ? render_csv(st, &r) : render_html(st, &r, &b, &s, now);
	if (fclose(f) != 0 && rc == 0)
		rc = -ENOMEM;
	if (rc < 0) {
		free(buf);
		snprintf(err, errlen, "cannot render batch %lld: %s", (long long)batch,
			 store_errmsg(st));
		return rc;
	}
	*out = buf;
	*len = size;
	return 0;
}
