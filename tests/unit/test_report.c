/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the nightly report (src/daemon/report.c, report_render.c,
 * i18n.c): each section rendered from hand-made data in French and in
 * English, an empty night (every section present, saying there is nothing
 * to report), the subject, HTML escaping, the inline SVG chart and the
 * absence of any external resource, the CSV and its neutralised formulas,
 * and report_gather on a throwaway database: what it reads, what it keeps
 * out of the email (free text typed by people), "since the last report",
 * imports of the journal and failed spool files.
 *
 * The French catalogue comes from the build tree (RETENTIOND_LOCALEDIR, set
 * by make check); times are shown in UTC here.
 */
#include "config.h"

#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/date.h"
#include "daemon/conf.h"
#include "daemon/i18n.h"
#include "daemon/report.h"
#include "store/store.h"

static rd_date D(const char *s)
{
	rd_date d = DATE_NONE;

	cr_assert_eq(date_parse(s, strlen(s), &d), 0, "bad literal %s", s);
	return d;
}

#define TODAY D("2026-11-21")
/* 2026-11-21T06:30:00Z */
#define NOW ((int64_t)1795242600)
#define DAY 86400

static void init(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	cr_assert_eq(i18n_init(), 0, "the C.UTF-8 locale is missing");
	cr_assert(i18n_available(I18N_FR),
		  "no French catalogue under RETENTIOND_LOCALEDIR=%s (run through make check)",
		  getenv("RETENTIOND_LOCALEDIR") ? getenv("RETENTIOND_LOCALEDIR") : "(unset)");
}

TestSuite(report, .init = init);

/* ------------------------------------------------------------ helpers */

static void base(struct report_data *r)
{
	report_data_init(r, TODAY, NOW);
	snprintf(r->establishment, sizeof(r->establishment), "Centre hospitalier de Test");
	snprintf(r->finess, sizeof(r->finess), "123456789");
	r->is_public = true;
	r->since = NOW - DAY;
	r->window_start = r->since;
	r->started_at = NOW - 30 * DAY;
}

#define has(hay, needle) cr_assert(strstr(hay, needle), "'%s' not in:\n%s", needle, hay)
#define hasnt(hay, needle) cr_assert_null(strstr(hay, needle), "'%s' in:\n%s", needle, hay)

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Every renderer of r in lang: text, html, csv, subject (to free). */
struct docs {
	char *text, *html, *csv, *subject;
};

static struct docs render(const struct report_data *r, enum i18n_lang lang)
{
	struct docs d = {
		report_render_text(r, lang),
		report_render_html(r, lang),
		report_render_csv(r, lang),
		report_render_subject(r, lang),
	};
	cr_assert(d.text && d.html && d.csv && d.subject);
	return d;
}

static void docs_free(struct docs *d)
{
	free(d->text);
	free(d->html);
	free(d->csv);
	free(d->subject);
}

/* ------------------------------------------------------------ i18n */

Test(report, languages)
{
	cr_assert_eq(i18n_lang_from_name("fr"), I18N_FR);
	cr_assert_eq(i18n_lang_from_name("en"), I18N_EN);
	cr_assert_eq(i18n_lang_from_name("de"), -EINVAL);
	cr_assert_eq(i18n_lang_from_name(NULL), -EINVAL);
	cr_assert_str_eq(i18n_gettext(I18N_FR, "Summary"), "Synthèse");
	cr_assert_str_eq(i18n_gettext(I18N_EN, "Summary"), "Summary");
	/* French: 0 and 1 are singular. */
	cr_assert_str_eq(i18n_ngettext(I18N_FR, "%s error", "%s errors", 0), "%s erreur");
	cr_assert_str_eq(i18n_ngettext(I18N_FR, "%s error", "%s errors", 2), "%s erreurs");
	cr_assert_str_eq(i18n_ngettext(I18N_EN, "%s error", "%s errors", 0), "%s errors");
	cr_assert_str_eq(i18n_gettext(I18N_FR, "no such message"), "no such message");
}

/* The rest of the process stays in the C locale (strerror, logs). */
Test(report, process_locale_untouched)
{
	cr_assert_str_eq(strerror(ENOENT), "No such file or directory");
	(void)i18n_gettext(I18N_FR, "Summary");
	cr_assert_str_eq(strerror(ENOENT), "No such file or directory");
}

/* ------------------------------------------------------------ empty night */

Test(report, empty_night_french)
{
	struct report_data r;
	base(&r);
	struct docs d = render(&r, I18N_FR);
	static const char *const sections[] = {
		"1. Synthèse", "2. Nouveau lot", "3. Travail en attente",
		"4. Suspensions et contentieux en cours",
		"5. Anomalies à corriger dans le système d’information patient",
		"6. Prévisions", "7. Dates avancées", "8. État du service",
	};
	for (size_t i = 0; i < 8; i++) {
		has(d.text, sections[i]);
		has(d.html, sections[i] + 3);
	}
	has(d.text, "Pas de nouveau lot");
	has(d.text, "Rien n’est en attente");
	has(d.text, "Aucun dossier n’est suspendu");
	has(d.text, "Aucun contentieux en cours.");
	has(d.text, "Aucune anomalie");
	has(d.text, "0 d’ici 30 jours, 0 d’ici 90 jours, 0 d’ici 365 jours");
	has(d.text, "Aucune date de conservation n’a été avancée");
	has(d.text, "Aucune erreur ni aucun avertissement");
	has(d.text, "Aucun répertoire de dépôt n’est configuré.");
	has(d.text, "Dernière analyse\u00a0: aucune");
	has(d.text, "Imports depuis le dernier rapport\u00a0: aucun.");
	has(d.text, "Depuis le dernier rapport, envoyé le 20/11/2026 à 06:30.");
	hasnt(d.text, "the ");
	/* The CSV has its header alone. */
	cr_assert_eq(count_of(d.csv, "\r\n"), 1);
	has(d.csv, "type,lot,proposition,ipp,date_debut");
	/* The chart is drawn for 12 empty months. */
	cr_assert_eq(count_of(d.html, "<svg"), 1);
	cr_assert_eq(count_of(d.html, "<rect"), 0);
	cr_assert_str_eq(d.subject, "[retentiond] Rapport du 21/11/2026 — Centre hospitalier de Test");
	docs_free(&d);
}

Test(report, empty_night_english)
{
	struct report_data r;
	base(&r);
	r.since = 0;
	struct docs d = render(&r, I18N_EN);
	static const char *const sections[] = {
		"1. Summary", "2. New batch", "3. Work waiting", "4. Holds and open litigations",
		"5. Anomalies to correct in the patient record system", "6. Forecast",
		"7. Dates moved earlier", "8. Health of the daemon",
	};
	for (size_t i = 0; i < 8; i++)
		has(d.text, sections[i]);
	has(d.text, "First report: the last 24 hours.");
	has(d.text, "No new batch");
	has(d.text, "Nothing waits");
	has(d.text, "No anomaly");
	has(d.text, "No retention date moved earlier");
	has(d.html, "<html lang=\"en\">");
	cr_assert_str_eq(d.subject, "[retentiond] Report of 2026-11-21 — Centre hospitalier de Test");
	has(d.csv, "type,batch,proposal,ipp,first_date,last_date,retain_until,rule,anomaly,"
		   "anomaly_code,anomaly_date,related_id\r\n");
	docs_free(&d);
}

/* ------------------------------------------------------------ sections */

Test(report, summary)
{
	struct report_data r;
	base(&r);
	r.by_status[ENGINE_RETAINED] = 1234567;
	r.by_status[ENGINE_ELIGIBLE] = 3;
	r.by_status[ENGINE_HELD] = 2;
	r.by_status[ENGINE_ANOMALY] = 1;
	r.scan_valid = true;
	r.scan_at = NOW - 4 * 3600 - 30 * 60; /* 02:00 */
	r.scan_ms = 1234;
	r.scan_recomputed = 1500;
	r.scan_proposed = 3;
	r.imports = 2;
	r.import_rows = 15;
	struct docs fr = render(&r, I18N_FR), en = render(&r, I18N_EN);
	has(fr.text, "conservés\u00a0: 1\u202f234\u202f567");
	has(fr.text, "éliminables\u00a0: 3");
	has(fr.text, "en anomalie\u00a0: 1");
	has(fr.text, "total\u00a0: 1\u202f234\u202f573");
	has(fr.text, "Dernière analyse\u00a0: 21/11/2026 à 02:00, en 1,2 s (dossiers "
		     "recalculés\u00a0: 1\u202f500, proposés\u00a0: 3, retirés\u00a0: 0).");
	has(fr.text, "Imports depuis le dernier rapport\u00a0: 2 fichiers (lignes modifiées\u00a0: 15).");
	has(en.text, "retained: 1,234,567");
	has(en.text, "Last scan: 2026-11-21 at 02:00, in 1.2 s (dossiers recomputed: 1,500, "
		     "proposed: 3, withdrawn: 0).");
	has(en.text, "Imports since the last report: 2 files (rows changed: 15).");
	docs_free(&fr);
	docs_free(&en);
}

Test(report, new_batch)
{
	struct report_data r;
	struct report_batch b = {.id = 7, .created_on = TODAY, .size = 3, .listed = 3,
				 .first = D("2000-03-01"), .last = D("2005-01-20")};
	struct report_line lines[2] = {
		{.batch = 7, .proposal = 21, .ipp = "EX-ADULT", .first = D("2000-03-01"),
		 .last = D("2000-03-15"), .retain_until = D("2020-03-15"), .basis = "general_20y"},
		{.batch = 7, .proposal = 22, .ipp = "=1+2", .first = D("2005-01-10"),
		 .last = D("2005-01-20"), .retain_until = D("2018-02-01"), .basis = "death_10y"},
	};
	base(&r);
	r.batches = &b;
	r.n_batches = 1;
	r.lines = lines;
	r.n_lines = 2;
	struct docs fr = render(&r, I18N_FR), en = render(&r, I18N_EN);
	has(fr.text, "Lot 7 du 21/11/2026\u00a0: 3 dossiers, dates extrêmes du 01/03/2000 au "
		     "20/01/2005.");
	has(fr.text, "fichier CSV joint");
	has(en.text, "Batch 7 of 2026-11-21: 3 dossiers, extreme dates 2000-03-01 to 2005-01-20.");
	/* One dossier: singular. */
	b.listed = 1;
	char *one = report_render_text(&r, I18N_FR);
	has(one, "Lot 7 du 21/11/2026\u00a0: 1 dossier, dates");
	free(one);
	/* The lines are in the CSV, not in the body. */
	hasnt(fr.text, "EX-ADULT");
	has(fr.csv, "nouveau_lot,7,21,EX-ADULT,2000-03-01,2000-03-15,2020-03-15,general_20y,,,,\r\n");
	/* A cell that a spreadsheet would run as a formula is neutralised. */
	has(fr.csv, "nouveau_lot,7,22,\"'=1+2\",2005-01-10");
	hasnt(fr.csv, ",=1+2");
	docs_free(&fr);
	docs_free(&en);
}

Test(report, work_waiting_oldest_first_with_age)
{
	struct report_data r;
	struct report_pending p[4] = {
		{"proposed", 3, 12, NOW - 12 * DAY},
		{"reviewed", 2, 1, NOW - 5 * DAY},
		{"approved", 1, 4, NOW - DAY},
		{"visaed", 1, 2, NOW - 3600},
	};
	base(&r);
	r.pending = p;
	r.n_pending = 4;
	struct docs fr = render(&r, I18N_FR), en = render(&r, I18N_EN);
	has(fr.text, "Les plus anciens d’abord");
	has(fr.text, "Avis du médecin DIM\u00a0: lot 3, 12 propositions, en attente depuis "
		     "12 jours (le 09/11/2026).");
	has(fr.text, "Décision du directeur\u00a0: lot 2, 1 proposition, en attente depuis "
		     "5 jours");
	has(fr.text, "Visa de l’administration des archives\u00a0: lot 1, 4 propositions, en "
		     "attente depuis 1 jour");
	has(fr.text, "Destruction à enregistrer\u00a0: lot 1, 2 propositions, en attente depuis "
		     "moins d’un jour");
	/* In the order given (the store's: oldest first). */
	cr_assert_lt(strstr(fr.text, "Avis du médecin"), strstr(fr.text, "Décision du"));
	cr_assert_lt(strstr(fr.text, "Décision du"), strstr(fr.text, "Visa de l’"));
	has(en.text, "Opinion of the DIM physician: batch 3, 12 proposals, waiting for 12 days "
		     "(since 2026-11-09).");
	has(en.text, "Decision of the director: batch 2, 1 proposal, waiting for 5 days");
	docs_free(&fr);
	docs_free(&en);
	/* A private establishment: approved means a destruction to record. */
	r.is_public = false;
	r.n_pending = 1;
	p[0] = (struct report_pending){"approved", 1, 4, NOW - DAY};
	char *t = report_render_text(&r, I18N_EN);
	has(t, "Destruction to record: batch 1, 4 proposals");
	hasnt(t, "Visa");
	free(t);
}

Test(report, holds_and_litigations)
{
	struct report_data r;
	struct report_hold h[1] = {{"IPP-HELD", D("2026-01-15")}};
	struct report_litigation l[2] = {{"L-1", "IPP-LIT", D("2025-05-05")},
					 {"L-2", "IPP-X", D("2026-02-01")}};
	base(&r);
	r.holds = h;
	r.n_holds = 1;
	r.total_holds = 1;
	r.litigations = l;
	r.n_litigations = 2;
	r.total_litigations = 5;
	struct docs fr = render(&r, I18N_FR), en = render(&r, I18N_EN);
	has(fr.text, "1 dossier suspendu par le directeur (le motif n’est pas envoyé par courriel");
	has(fr.text, "IPP IPP-HELD, suspendu depuis le 15/01/2026");
	has(fr.text, "5 contentieux en cours\u00a0:");
	has(fr.text, "contentieux L-1, IPP IPP-LIT, ouvert le 05/05/2025");
	has(fr.text, "… et 3 autres");
	has(en.text, "litigation L-2, IPP IPP-X, opened on 2026-02-01");
	has(en.text, "... and 3 more");
	docs_free(&fr);
	docs_free(&en);
}

Test(report, anomalies_with_reasons)
{
	struct report_data r;
	struct report_anomaly a[2] = {
		{.ipp = "P-1", .n_reasons = 1,
		 .reasons = {{ENGINE_ANOMALY_NO_BIRTH_DATE, DATE_NONE, ""}}},
		{.ipp = "=HYPERLINK(\"x\")", .n_reasons = 2,
		 .reasons = {{ENGINE_ANOMALY_ENCOUNTER_ENDS_BEFORE_START, D("2020-01-05"), "E-9"},
			     {ENGINE_ANOMALY_NO_ENCOUNTER, DATE_NONE, ""}}},
	};
	base(&r);
	r.anomalies = a;
	r.n_anomalies = 2;
	r.total_anomalies = 2;
	struct docs fr = render(&r, I18N_FR), en = render(&r, I18N_EN);
	has(fr.text, "2 dossiers en anomalie\u00a0: ils ne seront jamais proposés");
	has(fr.text, "IPP P-1\u00a0: date de naissance absente");
	has(fr.text, "venue qui se termine avant de commencer (E-9, 05/01/2020); aucune venue");
	has(en.text, "IPP P-1: no birth date");
	has(en.text, "encounter ending before it starts (E-9, 2020-01-05); no encounter");
	/* CSV: one line per reason, with the stable code. */
	has(fr.csv, "anomalie,,,P-1,,,,,date de naissance absente,no_birth_date,,\r\n");
	has(fr.csv, "anomalie,,,\"'=HYPERLINK(\"\"x\"\")\",,,,,venue qui se termine avant de "
		    "commencer,encounter_ends_before_start,2020-01-05,E-9\r\n");
	has(en.csv, "anomaly,,,P-1,,,,,no birth date,no_birth_date,,\r\n");
	cr_assert_eq(count_of(fr.csv, "\r\n"), 4);
	docs_free(&fr);
	docs_free(&en);
}

Test(report, forecast_and_chart)
{
	struct report_data r;
	base(&r);
	r.due30 = 1;
	r.due90 = 12;
	r.due365 = 1500;
	r.months[0].count = 1;
	r.months[2].count = 11;
	r.months[11].count = 40;
	struct docs fr = render(&r, I18N_FR), en = render(&r, I18N_EN);
	has(fr.text, "1 d’ici 30 jours, 12 d’ici 90 jours, 1\u202f500 d’ici 365 jours");
	has(fr.text, "nov. 2026\u00a0: 1");
	has(fr.text, "janv. 2027\u00a0: 11");
	has(fr.text, "oct. 2027\u00a0: 40");
	has(en.text, "1 within 30 days, 12 within 90 days, 1,500 within 365 days");
	has(en.text, "Jan 2027: 11");
	/* The chart: one bar per month with dossiers, the tallest full height. */
	char *svg = report_render_svg(&r, I18N_FR);
	has(svg, "<svg ");
	has(svg, "</svg>");
	cr_assert_eq(count_of(svg, "<rect"), 3);
	has(svg, "height=\"110\" fill=");
	has(svg, "<title>Dossiers devenant éliminables, par mois</title>");
	has(svg, ">janv.</text>");
	has(svg, ">2027</text>");
	/* 12 month labels, 12 counts, and the years of the first bar and of
	 * January. */
	cr_assert_eq(count_of(svg, "<text"), 12 + 12 + 2);
	free(svg);
	has(fr.html, "<svg ");
	/* A table of the same numbers for clients that do not draw SVG. */
	has(fr.html, "<table");
	docs_free(&fr);
	docs_free(&en);
}

Test(report, dates_moved_earlier_alert)
{
	struct report_data r;
	struct report_earlier e[1] = {
		{"IPP-FIX", D("2030-03-02"), D("2020-03-15"), NOW - 3 * 3600}};
	base(&r);
	r.earlier = e;
	r.n_earlier = 1;
	r.total_earlier = 1;
	struct docs fr = render(&r, I18N_FR), en = render(&r, I18N_EN);
	has(fr.text, "/!\\ Alerte\u00a0: la date de conservation de 1 dossier a été avancée");
	has(fr.text, "IPP IPP-FIX\u00a0: conservé jusqu’au 02/03/2030, désormais jusqu’au "
		     "15/03/2020 (recalculé le 21/11/2026 à 03:30)");
	has(fr.html, "color:#b00020");
	has(en.text, "Alert: the retention date of 1 dossier moved earlier");
	has(en.text, "IPP IPP-FIX: kept until 2030-03-02, now until 2020-03-15");
	docs_free(&fr);
	docs_free(&en);
}

Test(report, health)
{
	struct report_data r;
	struct report_file f[1] = {{"patients-2026-11-20.csv", NOW - 3600}};
	base(&r);
	r.started_at = NOW - 3600;
	r.errors = 2;
	r.warnings = 1;
	r.spool = true;
	r.failed = f;
	r.n_failed = 1;
	r.total_failed = 1;
	struct docs fr = render(&r, I18N_FR), en = render(&r, I18N_EN);
	has(fr.text, "Le service a redémarré le 21/11/2026 à 05:30.");
	has(fr.text, "Journalisé depuis le dernier rapport\u00a0: 2 erreurs, 1 avertissement");
	has(fr.text, "1 fichier du répertoire de dépôt en échec depuis le dernier rapport");
	has(fr.text, "  - patients-2026-11-20.csv\n");
	has(en.text, "Logged since the last report: 2 errors, 1 warning");
	has(en.text, "1 spool file failed since the last report");
	docs_free(&fr);
	docs_free(&en);
	r.n_failed = 0;
	r.total_failed = 0;
	char *t = report_render_text(&r, I18N_EN);
	has(t, "No spool file failed since the last report.");
	free(t);
}

/* ------------------------------------------------------------ HTML */

Test(report, html_escapes_everything_and_loads_nothing)
{
	struct report_data r;
	struct report_hold h[1] = {{"<script>alert(1)</script>", D("2026-01-15")}};
	struct report_anomaly a[1] = {
		{.ipp = "A&B\"'", .n_reasons = 1,
		 .reasons = {{ENGINE_ANOMALY_TRANSFUSION_IN_FUTURE, D("2027-01-01"), "<T1>"}}}};
	base(&r);
	snprintf(r.establishment, sizeof(r.establishment), "CH <Saint & Jean>");
	r.holds = h;
	r.n_holds = 1;
	r.total_holds = 1;
	r.anomalies = a;
	r.n_anomalies = 1;
	r.total_anomalies = 1;
	r.months[3].count = 5;
	struct docs fr = render(&r, I18N_FR);
	hasnt(fr.html, "<script>");
	has(fr.html, "&lt;script&gt;alert(1)&lt;/script&gt;");
	has(fr.html, "CH &lt;Saint &amp; Jean&gt;");
	has(fr.html, "A&amp;B&quot;&#39;");
	has(fr.html, "(&lt;T1&gt;, 01/01/2027)");
	has(fr.html, "<meta charset=\"utf-8\">");
	/* Nothing fetched from anywhere: no URL, image, style sheet or font. */
	hasnt(fr.html, "http:");
	hasnt(fr.html, "https:");
	hasnt(fr.html, "<img");
	hasnt(fr.html, "src=");
	hasnt(fr.html, "href=");
	hasnt(fr.html, "url(");
	hasnt(fr.html, "@import");
	hasnt(fr.html, "<link");
	hasnt(fr.html, "<script");
	/* Balanced lists and paragraphs. */
	cr_assert_eq(count_of(fr.html, "<ul"), count_of(fr.html, "</ul>"));
	cr_assert_eq(count_of(fr.html, "<p "), count_of(fr.html, "</p>"));
	cr_assert_eq(count_of(fr.html, "<h2"), 8);
	docs_free(&fr);
}

/* ------------------------------------------------------------ gather */

static char dir[64];
static char dbpath[128];

static void rm_tree(const char *p)
{
	DIR *d = opendir(p);
	struct dirent *e;

	if (!d) {
		unlink(p);
		return;
	}
	while ((e = readdir(d))) {
		char f[512];
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(f, sizeof(f), "%s/%s", p, e->d_name);
		rm_tree(f);
	}
	closedir(d);
	rmdir(p);
}

static struct store *open_db(void)
{
	struct store *st = NULL;

	snprintf(dir, sizeof(dir), "/tmp/test-report-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(dbpath, sizeof(dbpath), "%s/retention.db", dir);
	cr_assert_eq(store_open(dbpath, &st), 0);
	return st;
}

static void close_db(struct store *st)
{
	store_close(st);
	rm_tree(dir);
}

static void populate(struct store *st, const struct engine_policy *p)
{
	int64_t batch;
	size_t n;

	const struct store_actor a = {"alice", 1000, "archivist"};
	store_set_actor(st, &a, NOW - 2 * 3600);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_geq(store_upsert_patient(st, "ADULT", D("1950-01-01"), DATE_NONE), 0);
	cr_assert_geq(store_upsert_encounter(st, "E1", "ADULT", "stay", D("2000-03-01"),
					     D("2000-03-15")), 0);
	cr_assert_geq(store_upsert_patient(st, "=CMD()", D("1950-01-01"), DATE_NONE), 0);
	cr_assert_geq(store_upsert_encounter(st, "E2", "=CMD()", "stay", D("2001-03-01"),
					     D("2001-03-15")), 0);
	cr_assert_geq(store_upsert_patient(st, "SOON", D("1950-01-01"), DATE_NONE), 0);
	cr_assert_geq(store_upsert_encounter(st, "E3", "SOON", "stay", D("2006-11-20"),
					     D("2006-12-01")), 0);
	cr_assert_geq(store_upsert_patient(st, "HELD", D("1950-01-01"), DATE_NONE), 0);
	cr_assert_geq(store_upsert_encounter(st, "E4", "HELD", "stay", D("2000-01-01"),
					     D("2000-01-02")), 0);
	cr_assert_geq(store_upsert_patient(st, "LIT", D("1950-01-01"), DATE_NONE), 0);
	cr_assert_geq(store_upsert_encounter(st, "E5", "LIT", "stay", D("2000-01-01"),
					     D("2000-01-02")), 0);
	cr_assert_geq(store_upsert_litigation(st, "L-77", "LIT", D("2024-01-01"), DATE_NONE,
					      "Plainte de la famille, diagnostic X"), 0);
	cr_assert_geq(store_upsert_patient(st, "NOBIRTH", DATE_NONE, DATE_NONE), 0);
	cr_assert_geq(store_upsert_encounter(st, "E6", "NOBIRTH", "stay", D("2001-01-01"),
					     D("2001-01-02")), 0);
	cr_assert_eq(store_recompute_dirty(st, p, TODAY, NULL, NULL, NULL), 0);
	cr_assert_eq(store_audit_append(st, "import", "patients",
					"{\"kind\":\"patients\",\"rows\":6,\"changed\":6}"), 0);
	cr_assert_eq(store_hold(st, p, TODAY, "HELD", "patient VIH, secret médical"), 0);
	cr_assert_eq(store_propose(st, TODAY, NOW - 3600, &batch, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(store_commit(st), 0);
}

Test(report, gather_reads_the_store_and_keeps_free_text_out)
{
	struct config cfg;
	struct report_data r;
	struct store *st = open_db();

	cr_assert_eq(config_init_defaults(&cfg), 0);
	populate(st, &cfg.policy);
	const struct report_source src = {
		.cfg = &cfg, .today = TODAY, .now = NOW, .started_at = NOW - DAY,
		.warnings = 1, .errors = 0,
	};
	cr_assert_eq(report_gather(st, &src, &r), 0, "%s", store_errmsg(st));
	cr_assert_eq(r.since, 0, "no report yet");
	cr_assert_eq(r.window_start, NOW - DAY);
	cr_assert_eq(r.by_status[ENGINE_ELIGIBLE], 2);
	cr_assert_eq(r.by_status[ENGINE_RETAINED], 1);
	cr_assert_eq(r.by_status[ENGINE_HELD], 2);
	cr_assert_eq(r.by_status[ENGINE_ANOMALY], 1);
	cr_assert_eq(r.imports, 1);
	cr_assert_eq(r.import_rows, 6);
	cr_assert_eq(r.n_batches, 1);
	cr_assert_eq(r.batches[0].listed, 2);
	cr_assert_eq(r.batches[0].first, D("2000-03-01"));
	cr_assert_eq(r.batches[0].last, D("2001-03-15"));
	cr_assert_eq(r.n_lines, 2);
	cr_assert_eq(r.n_pending, 1);
	cr_assert_str_eq(r.pending[0].state, "proposed");
	cr_assert_eq(r.pending[0].count, 2);
	cr_assert_eq(r.pending[0].oldest, NOW - 3600);
	cr_assert_eq(r.total_holds, 1);
	cr_assert_str_eq(r.holds[0].ipp, "HELD");
	cr_assert_eq(r.total_litigations, 1);
	cr_assert_str_eq(r.litigations[0].id, "L-77");
	cr_assert_eq(r.total_anomalies, 1);
	cr_assert_str_eq(r.anomalies[0].ipp, "NOBIRTH");
	cr_assert_eq(r.anomalies[0].reasons[0].anomaly, ENGINE_ANOMALY_NO_BIRTH_DATE);
	cr_assert_eq(r.due30, 1);
	cr_assert_eq(r.months[0].count, 0);
	cr_assert_eq(r.months[1].count, 1, "SOON: eligible from 2026-12-02");
	cr_assert_eq(r.warnings, 1);

	/* The hold's reason and the litigation's reference are typed by
	 * people: they stay out of every part of the email. */
	struct docs d = render(&r, I18N_FR);
	const char *parts[] = {d.text, d.html, d.csv, d.subject};
	for (size_t i = 0; i < 4; i++) {
		hasnt(parts[i], "VIH");
		hasnt(parts[i], "secret");
		hasnt(parts[i], "Plainte");
		hasnt(parts[i], "diagnostic");
	}
	has(d.text, "IPP HELD, suspendu depuis le 21/11/2026");
	has(d.text, "contentieux L-77, IPP LIT, ouvert le 01/01/2024");
	has(d.csv, ",\"'=CMD()\",2001-03-01,");
	docs_free(&d);
	report_data_fini(&r);
	config_fini(&cfg);
	close_db(st);
}

Test(report, gather_since_the_last_report)
{
	struct config cfg;
	struct report_data r;
	struct store *st = open_db();

	cr_assert_eq(config_init_defaults(&cfg), 0);
	populate(st, &cfg.policy);
	/* A report went out after the batch and the import. */
	cr_assert_eq(store_meta_set(st, "report.last_at", "1795240000"), 0);
	const struct report_source src = {.cfg = &cfg, .today = TODAY, .now = NOW};
	cr_assert_eq(report_gather(st, &src, &r), 0);
	cr_assert_eq(r.since, 1795240000);
	cr_assert_eq(r.n_batches, 0, "the batch was in the previous report");
	cr_assert_eq(r.imports, 0);
	cr_assert_eq(r.n_pending, 1, "work waiting is listed every night");
	report_data_fini(&r);

	/* A date moved earlier, and one already reported. */
	cr_assert_eq(store_begin(st), 0);
	cr_assert_geq(store_upsert_encounter(st, "E3", "SOON", "stay", D("2005-11-20"),
					     D("2005-12-01")), 0);
	cr_assert_eq(store_recompute_dirty(st, &cfg.policy, TODAY, NULL, NULL, NULL), 0);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(report_gather(st, &src, &r), 0);
	cr_assert_eq(r.total_earlier, 1);
	cr_assert_str_eq(r.earlier[0].ipp, "SOON");
	cr_assert_eq(r.earlier[0].old_until, D("2026-12-01"));
	cr_assert_eq(r.earlier[0].new_until, D("2025-12-01"));
	const int64_t seen = r.last_earlier_id;
	cr_assert_gt(seen, 0);
	report_data_fini(&r);
	char v[32];
	snprintf(v, sizeof(v), "%lld", (long long)seen);
	cr_assert_eq(store_meta_set(st, "report.earlier_id", v), 0);
	cr_assert_eq(report_gather(st, &src, &r), 0);
	cr_assert_eq(r.total_earlier, 0);
	cr_assert_eq(r.last_earlier_id, seen);
	report_data_fini(&r);
	config_fini(&cfg);
	close_db(st);
}

Test(report, gather_failed_spool_files)
{
	struct config cfg;
	struct report_data r;
	struct store *st = open_db();
	char spool[128], p[256];

	cr_assert_eq(config_init_defaults(&cfg), 0);
	snprintf(spool, sizeof(spool), "%s/spool", dir);
	snprintf(p, sizeof(p), "%s/failed", spool);
	cr_assert_eq(mkdir(spool, 0700), 0);
	cr_assert_eq(mkdir(p, 0700), 0);
	static const char *const files[] = {"b-patients.csv", "b-patients.csv.error",
					    "a-encounters.csv", ".hidden"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/failed/%s", spool, files[i]);
		FILE *f = fopen(p, "w");
		cr_assert_not_null(f);
		fclose(f);
	}
	cfg.spool = strdup(spool);
	const struct report_source src = {.cfg = &cfg, .today = TODAY, .now = time(NULL)};
	cr_assert_eq(report_gather(st, &src, &r), 0);
	cr_assert(r.spool);
	cr_assert_eq(r.total_failed, 2);
	cr_assert_str_eq(r.failed[0].name, "a-encounters.csv");
	cr_assert_str_eq(r.failed[1].name, "b-patients.csv");
	report_data_fini(&r);
	/* Files that failed before the last report are not counted again. */
	char v[32];
	snprintf(v, sizeof(v), "%lld", (long long)time(NULL) + 5);
	cr_assert_eq(store_meta_set(st, "report.last_at", v), 0);
	cr_assert_eq(report_gather(st, &src, &r), 0);
	cr_assert_eq(r.total_failed, 0);
	report_data_fini(&r);
	config_fini(&cfg);
	close_db(st);
}

/* ------------------------------------------------------------ configuration */

static int load_conf(const char *text, struct config *cfg, char *err, size_t len)
{
	char p[64];

	snprintf(p, sizeof(p), "/tmp/test-report-conf-XXXXXX");
	int fd = mkstemp(p);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cr_assert_eq(config_init_defaults(cfg), 0);
	int rc = config_load(p, cfg, err, len);
	unlink(p);
	return rc;
}

Test(report, configuration)
{
	struct config cfg;
	char err[512];

	cr_assert_eq(config_init_defaults(&cfg), 0);
	cr_assert_eq(cfg.report_at, 6 * 60 + 30, "report_at defaults to 06:30");
	cr_assert_str_eq(cfg.report_language, "fr", "French by default");
	cr_assert_not(report_enabled(&cfg), "no recipients, no nightly report");
	config_fini(&cfg);

	cr_assert_eq(load_conf("[schedule]\nreport_at = 07:15\n[report]\nlanguage = en\n"
			       "from = r@h.example\nto = a@h.example, b@h.example\n",
			       &cfg, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(cfg.report_at, 7 * 60 + 15);
	cr_assert_str_eq(cfg.report_language, "en");
	cr_assert(report_enabled(&cfg));
	config_fini(&cfg);

	cr_assert_eq(load_conf("[schedule]\nreport_at = off\n", &cfg, err, sizeof(err)), 0);
	cr_assert_eq(cfg.report_at, -1);
	cr_assert_eq(cfg.scan_at, 2 * 60, "scan_at untouched by report_at");
	config_fini(&cfg);

	cr_assert_lt(load_conf("[report]\nlanguage = de\n", &cfg, err, sizeof(err)), 0);
	has(err, ":2: language: 'de' is not a language of the report (fr or en)");
	config_fini(&cfg);
	cr_assert_lt(load_conf("[schedule]\nreport_at = 25:00\n", &cfg, err, sizeof(err)), 0);
	has(err, ":2: report_at:");
	config_fini(&cfg);
}
