/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the bordereau d'élimination: cell escaping, CSV and HTML. */
#include "config.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/bordereau.h"
#include "daemon/conf.h"
#include "store/store.h"

static char *field(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	bordereau_csv_field(f, s);
	fclose(f);
	return buf;
}

static char *html(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	bordereau_html_text(f, s);
	fclose(f);
	return buf;
}

#define EXPECT_FIELD(in, out)                           \
	do {                                            \
		char *got = field(in);                  \
		cr_expect_str_eq(got, out, "field(%s)", in); \
		free(got);                              \
	} while (0)

Test(bordereau, csv_fields_are_quoted_when_needed)
{
	EXPECT_FIELD("plain", "plain");
	EXPECT_FIELD("", "");
	EXPECT_FIELD("a,b", "\"a,b\"");
	EXPECT_FIELD("say \"hi\"", "\"say \"\"hi\"\"\"");
	EXPECT_FIELD("two\nlines", "\"two\nlines\"");
}

Test(bordereau, csv_formulas_are_neutralised)
{
	EXPECT_FIELD("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"");
	EXPECT_FIELD("+1", "\"'+1\"");
	EXPECT_FIELD("-1+2", "\"'-1+2\"");
	EXPECT_FIELD("@SUM(A1)", "\"'@SUM(A1)\"");
	EXPECT_FIELD("\tx", "\"'\tx\"");
	/* Only the first character matters. */
	EXPECT_FIELD("a=b", "a=b");
}

Test(bordereau, html_text_is_escaped)
{
	char *got = html("<b>A & B's \"x\"</b>");

	cr_assert_str_eq(got, "&lt;b&gt;A &amp; B&#39;s &quot;x&quot;&lt;/b&gt;");
	free(got);
}

/* ------------------------------------------------------------ rendering */

static char dir[64];
static char db[128];
static struct store *st;
static struct config cfg;
static struct engine_policy pol;
static rd_date today;

static rd_date D(const char *s)
{
	rd_date d;

	cr_assert_eq(date_parse(s, strlen(s), &d), 0);
	return d;
}

static void setup(void)
{
	int64_t batch;
	size_t n;

	snprintf(dir, sizeof(dir), "/tmp/test-bordereau-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/db", dir);
	cr_assert_eq(store_open(db, &st), 0);
	cr_assert_eq(config_init_defaults(&cfg), 0);
	free(cfg.name);
	cfg.name = strdup("Centre hospitalier <Test> & Cie");
	free(cfg.finess);
	cfg.finess = strdup("123456789");
	engine_policy_init(&pol);
	today = D("2026-11-21");
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_upsert_patient(st, "=1+1", D("1950-01-01"), DATE_NONE), 1);
	cr_assert_eq(store_upsert_patient(st, "P2", D("1940-01-01"), DATE_NONE), 1);
	cr_assert_eq(store_upsert_patient(st, "P3", D("1960-01-01"), DATE_NONE), 1);
	cr_assert_eq(store_upsert_encounter(st, "E1", "=1+1", "stay", D("1990-01-01"),
					    D("1990-01-10")), 1);
	cr_assert_eq(store_upsert_encounter(st, "E2", "P2", "consultation", D("1995-06-01"),
					    DATE_NONE), 1);
	cr_assert_eq(store_upsert_encounter(st, "E3", "P3", "stay", D("2001-02-03"),
					    D("2001-02-05")), 1);
	cr_assert_eq(store_recompute_dirty(st, &pol, today, NULL, NULL, NULL), 0);
	cr_assert_eq(store_propose(st, today, 1763700000, &batch, &n), 0);
	cr_assert_eq(batch, 1);
	cr_assert_eq(n, 3u);
	cr_assert_eq(store_commit(st), 0);
}

static void teardown(void)
{
	store_close(st);
	config_fini(&cfg);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static char *render(enum bordereau_format f)
{
	char *out = NULL, err[256];
	size_t len = 0;

	cr_assert_eq(bordereau_render(st, &cfg, 1, f, 1763700000, &out, &len, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(strlen(out), len);
	return out;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void step(int64_t id, enum wf_action a, enum wf_opinion o, const char *text)
{
	struct wf_request r = {.action = a, .opinion = o, .reason = text, .reference = text,
			       .is_public = true};
	struct store_step s;

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_proposal_step(st, &pol, today, id, &r, NULL, &s), 0);
	cr_assert_eq(s.rc, 0, "step %d on %lld: %s", a, (long long)id, s.why);
	cr_assert_eq(store_commit(st), 0);
}

TestSuite(render, .init = setup, .fini = teardown);

Test(render, csv_has_one_line_per_dossier_with_the_establishment)
{
	char *csv = render(BORDEREAU_CSV);

	cr_assert_eq(count(csv, "\r\n"), 4u, "header + 3 lines:\n%s", csv);
	cr_assert(strncmp(csv, "etablissement,finess,lot,proposition,ipp,", 41) == 0);
	cr_assert_eq(count(csv, "\"Centre hospitalier <Test> & Cie\",123456789,1,"), 0u);
	cr_assert_eq(count(csv, "Centre hospitalier <Test> & Cie,123456789,1,"), 3u, "%s", csv);
	/* The IPP "=1+1" is data, not a formula. */
	cr_assert_eq(count(csv, ",\"'=1+1\","), 1u, "%s", csv);
	cr_assert_eq(count(csv, ",P2,1995-06-01,1995-06-01,2015-06-01,general_20y,"), 1u, "%s",
		     csv);
	free(csv);
}

Test(render, html_prints_on_a4_with_every_block)
{
	char *h = render(BORDEREAU_HTML);

	cr_assert(strstr(h, "@page { size: A4;"));
	cr_assert(strstr(h, "Bordereau d'élimination de dossiers médicaux"));
	cr_assert(strstr(h, "Centre hospitalier &lt;Test&gt; &amp; Cie"), "name escaped");
	cr_assert(strstr(h, "123456789"));
	cr_assert(strstr(h, "Dates extrêmes</th><td>01/01/1990 – 05/02/2001"), "%s", h);
	cr_assert(strstr(h, "3 dossiers"));
	cr_assert_eq(count(h, "<tr><td>"), 3u, "one row per dossier");
	cr_assert(strstr(h, "Le directeur</h3>"));
	cr_assert(strstr(h, "information médicale</h3>"));
	cr_assert(strstr(h, "Visa des Archives départementales"), "public: the visa block");
	cr_assert(strstr(h, "aucun recours gracieux ou contentieux"));
	free(h);
	cfg.is_public = false;
	h = render(BORDEREAU_HTML);
	cr_assert_null(strstr(h, "Visa des Archives départementales"), "private: no visa block");
	free(h);
}

Test(render, decisions_fill_their_columns)
{
	step(1, WF_ACT_OPINION, WF_OPINION_FAVORABLE, NULL);
	step(2, WF_ACT_OPINION, WF_OPINION_UNFAVORABLE, NULL);
	step(1, WF_ACT_APPROVE, WF_OPINION_NONE, NULL);
	step(2, WF_ACT_REFUSE, WF_OPINION_NONE, "dossier de recherche");
	step(1, WF_ACT_VISA_KEEP, WF_OPINION_NONE, "AD-75-2026-1");
	char *csv = render(BORDEREAU_CSV);
	cr_assert_eq(count(csv, "Favorable,,Élimination autorisée,Conservation définitive,AD-75-2026-1,conservé"),
		     1u, "%s", csv);
	cr_assert_eq(count(csv, "Défavorable,,Élimination refusée,,,refusé,dossier de recherche"),
		     1u, "%s", csv);
	free(csv);
	char *h = render(BORDEREAU_HTML);
	cr_assert(strstr(h, "1 dossier conservé à titre définitif"), "%s", h);
	free(h);
}

Test(render, unknown_batch)
{
	char *out = NULL, err[256];
	size_t len;

	cr_assert_eq(bordereau_render(st, &cfg, 9, BORDEREAU_CSV, 0, &out, &len, err,
				      sizeof(err)),
		     -ENOENT);
	cr_assert(strstr(err, "no batch 9"));
}
