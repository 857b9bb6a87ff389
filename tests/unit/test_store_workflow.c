/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the store's elimination workflow (src/store/workflow.c,
 * facts.c, audit.c) and of schema version 2, each on a throwaway database
 * in its own directory under /tmp: the whole procedure for a public and a
 * private establishment, withdrawals, the register that outlives a
 * destroyed dossier, the audit chain and its tampering, and the migration
 * of a version 1 database. A second sqlite3 handle looks at what the API
 * does not show and plays the tamperer.
 */
#include "config.h"

#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/date.h"
#include "engine/engine.h"
#include "engine/workflow.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "store_fixture.h"


#define TODAY D("2026-11-21")
#define NOW 1700000000

static void setup(void)
{
	store_fixture_setup("test-store-wf");
}

TestSuite(store_workflow, .init = setup, .fini = store_fixture_teardown);

/* ------------------------------------------------------------ helpers */

static void patient(const char *ipp, const char *birth, const char *death)
{
	cr_assert_geq(store_upsert_patient(st, ipp, D(birth),
					   death ? D(death) : DATE_NONE),
		      0, "%s: %s", ipp, store_errmsg(st));
}

static void encounter(const char *id, const char *ipp, const char *kind,
		      const char *start, const char *end)
{
	cr_assert_geq(store_upsert_encounter(st, id, ipp, kind, D(start),
					     end ? D(end) : DATE_NONE),
		      0, "%s: %s", id, store_errmsg(st));
}

/*
 * ADULT: eligible (general_20y until 2020-03-15), two encounters.
 * DEAD: eligible (death_10y until 2018-02-01), one transfusion-free stay.
 * CHILD: retained.
 */
static void populate(void)
{
	cr_assert_eq(store_begin(st), 0);
	patient("ADULT", "1950-01-01", NULL);
	encounter("E1", "ADULT", "stay", "2000-03-01", "2000-03-15");
	encounter("E1b", "ADULT", "consultation", "1998-06-10", NULL);
	patient("DEAD", "1930-01-01", "2008-02-01");
	encounter("E3", "DEAD", "stay", "2005-01-10", "2005-01-20");
	patient("CHILD", "2001-04-30", NULL);
	encounter("E2", "CHILD", "stay", "2004-05-01", "2004-05-03");
	cr_assert_eq(store_commit(st), 0);
}

static void recompute(void)
{
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_recompute_dirty(st, &pol, TODAY, NULL, NULL, NULL),
		     0, "%s", store_errmsg(st));
	cr_assert_eq(store_commit(st), 0);
}

static int64_t propose(size_t expect)
{
	int64_t batch = -1;
	size_t n = 99;

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_propose(st, TODAY, NOW, &batch, &n), 0, "%s",
		     store_errmsg(st));
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(n, expect);
	return batch;
}

/* populate, recompute, propose: the batch of ADULT and DEAD. */
static int64_t ready(void)
{
	populate();
	recompute();
	return propose(2);
}

/* The id of ipp's latest proposal that is not withdrawn. */
static int64_t proposal_of(const char *ipp)
{
	char sql[200];

	snprintf(sql, sizeof(sql),
		 "SELECT id FROM proposals WHERE ipp = '%s'"
		 " AND state <> 'withdrawn' ORDER BY id DESC LIMIT 1",
		 ipp);
	return raw_int(sql);
}

static const char *state_of(int64_t id)
{
	char sql[100];

	snprintf(sql, sizeof(sql), "SELECT state FROM proposals WHERE id = %lld",
		 (long long)id);
	return raw_text(sql);
}

static const char *column_of(int64_t id, const char *column)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT %s FROM proposals WHERE id = %lld",
		 column, (long long)id);
	return raw_text(sql);
}

static void act_as(const char *user, int64_t uid, const char *role)
{
	struct store_actor a = {.user = user, .uid = uid, .role = role};

	store_set_actor(st, &a, NOW + 100);
}

/* One step in its own transaction. */
static struct store_step step(int64_t id, struct wf_request r,
			      const char *comment)
{
	struct store_step out;

	memset(&out, 0x5a, sizeof(out));
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_proposal_step(st, &pol, TODAY, id, &r, comment, &out),
		     0, "%s", store_errmsg(st));
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(out.proposal_id, id);
	return out;
}

static struct wf_request opinion(enum wf_opinion o)
{
	return (struct wf_request){.action = WF_ACT_OPINION, .opinion = o};
}

static struct wf_request action(enum wf_action a, const char *reference,
				bool is_public)
{
	return (struct wf_request){
		.action = a, .reference = reference, .is_public = is_public};
}

static void expect_step(struct store_step s, enum wf_state from,
			enum wf_state to)
{
	cr_assert_eq(s.rc, 0, "rc %d: %s", s.rc, s.why);
	cr_assert_eq(s.from, from, "from %d", s.from);
	cr_assert_eq(s.to, to, "to %d", s.to);
}

static int64_t audit_count(void)
{
	return raw_int("SELECT count(*) FROM audit");
}

static struct store_audit_check verify(struct store *on)
{
	struct store_audit_check c;

	memset(&c, 0x5a, sizeof(c));
	cr_assert_eq(store_audit_verify(on, &c), 0, "%s", store_errmsg(on));
	return c;
}

static void expect_ok(struct store_audit_check c, int64_t entries)
{
	cr_assert_eq(c.first_bad, 0, "%s", c.reason);
	cr_assert_eq(c.entries, entries);
}

/* ------------------------------------------------------------ the path */

Test(store_workflow, public_path_to_destroyed)
{
	struct store_batch b;
	struct store_step s;
	int64_t batch = ready(), id = proposal_of("ADULT");

	act_as("drmartin", 1001, "dim");
	s = step(id, opinion(WF_OPINION_FAVORABLE), "nothing to keep");
	expect_step(s, WF_PROPOSED, WF_REVIEWED);
	cr_assert_str_eq(s.ipp, "ADULT");
	cr_assert_str_eq(state_of(id), "reviewed");
	cr_assert_str_eq(column_of(id, "opinion"), "favorable");
	cr_assert_str_eq(column_of(id, "opinion_comment"), "nothing to keep");
	cr_assert_str_eq(column_of(id, "opinion_by"), "drmartin");
	cr_assert_eq(atoll(column_of(id, "opinion_at")), NOW + 100);

	act_as("dupont", 1002, "director");
	expect_step(step(id, action(WF_ACT_APPROVE, NULL, true), NULL),
		    WF_REVIEWED, WF_APPROVED);
	cr_assert_str_eq(column_of(id, "decided_by"), "dupont");

	act_as("adarchiviste", 1003, "archives");
	expect_step(step(id, action(WF_ACT_VISA_ELIMINATE, "AD75-2026-12", true),
			 NULL),
		    WF_APPROVED, WF_VISAED);
	cr_assert_str_eq(column_of(id, "visa_reference"), "AD75-2026-12");
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_batch_set_visa(st, batch, "AD75-2026-12"), 0);
	cr_assert_eq(store_commit(st), 0);

	act_as("alice", 1004, "archivist");
	expect_step(step(id, action(WF_ACT_DESTROY, "PV-2026-001", true), NULL),
		    WF_VISAED, WF_DESTROYED);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_batch_set_certificate(st, batch, "PV-2026-001"), 0);
	cr_assert_eq(store_commit(st), 0);

	cr_assert_str_eq(state_of(id), "destroyed");
	cr_assert_str_eq(column_of(id, "certificate"), "PV-2026-001");
	cr_assert_eq(atoll(column_of(id, "destroyed_at")), NOW + 100);

	cr_assert_eq(store_batch_get(st, batch, &b), 0);
	cr_assert_eq(b.id, batch);
	cr_assert_eq(b.size, 2);
	cr_assert_eq(b.created_on, TODAY);
	cr_assert_eq(b.created_at, NOW);
	cr_assert_eq(b.by_state[WF_DESTROYED], 1);
	cr_assert_eq(b.by_state[WF_PROPOSED], 1);
	cr_assert_str_eq(b.visa_reference, "AD75-2026-12");
	cr_assert_str_eq(b.certificate, "PV-2026-001");
	cr_assert_eq(store_batch_get(st, batch + 1, &b), -ENOENT);
	cr_assert_eq(b.id, batch, "written on failure");

	/* The running totals lost the destroyed dossier's rows too. */
	struct store_counts c;
	cr_assert_eq(store_counts(st, &c), 0);
	cr_assert_eq(c.patients, raw_int("SELECT count(*) FROM patients"));
	cr_assert_eq(c.encounters, raw_int("SELECT count(*) FROM encounters"));
	cr_assert_eq(c.transfusions, raw_int("SELECT count(*) FROM transfusions"));
	cr_assert_eq(c.litigations, raw_int("SELECT count(*) FROM litigations"));
	cr_assert_eq(c.proposals[WF_DESTROYED], 1);
}

Test(store_workflow, private_path_without_visa)
{
	struct store_step s;
	int64_t id;

	ready();
	id = proposal_of("DEAD");
	act_as("drmartin", 1001, "dim");
	expect_step(step(id, opinion(WF_OPINION_FAVORABLE), NULL), WF_PROPOSED,
		    WF_REVIEWED);
	act_as("dupont", 1002, "director");
	expect_step(step(id, action(WF_ACT_APPROVE, NULL, false), NULL),
		    WF_REVIEWED, WF_APPROVED);
	/* No visa in a private establishment. */
	act_as("adarchiviste", 1003, "archives");
	s = step(id, action(WF_ACT_VISA_ELIMINATE, "AD-1", false), NULL);
	cr_assert_eq(s.rc, -EPERM);
	cr_assert_str_eq(state_of(id), "approved");
	act_as("dupont", 1002, "director");
	expect_step(step(id, action(WF_ACT_DESTROY, "PV-7", false), NULL),
		    WF_APPROVED, WF_DESTROYED);
	cr_assert_eq(raw_int("SELECT count(*) FROM patients WHERE ipp = 'DEAD'"),
		     0);
	cr_assert_str_eq(column_of(id, "visa_reference"), "(null)");
}

Test(store_workflow, refused_steps_change_nothing)
{
	struct store_step s;
	int64_t id, before;

	ready();
	id = proposal_of("ADULT");
	before = audit_count();

	/* No opinion yet. */
	s = step(id, action(WF_ACT_APPROVE, NULL, true), NULL);
	cr_assert_eq(s.rc, -EPERM);
	cr_assert_eq(s.from, WF_PROPOSED);
	cr_assert_eq(s.to, WF_PROPOSED);
	cr_assert(strstr(s.why, "opinion"), "%s", s.why);
	/* A refusal needs a reason. */
	s = step(id, action(WF_ACT_REFUSE, NULL, true), NULL);
	cr_assert_eq(s.rc, -EINVAL);
	/* Public: approved but no visa, so no destruction. */
	step(id, opinion(WF_OPINION_FAVORABLE), NULL);
	step(id, action(WF_ACT_APPROVE, NULL, true), NULL);
	before += 2;
	s = step(id, action(WF_ACT_DESTROY, "PV-1", true), NULL);
	cr_assert_eq(s.rc, -EPERM);
	cr_assert(strstr(s.why, "visa"), "%s", s.why);
	cr_assert_str_eq(state_of(id), "approved");
	cr_assert_eq(raw_int("SELECT count(*) FROM patients WHERE ipp = 'ADULT'"),
		     1);
	/* An unknown proposal. */
	s = step(id + 100, action(WF_ACT_REFUSE, NULL, true), NULL);
	cr_assert_eq(s.rc, -ENOENT);
	cr_assert_eq(audit_count(), before, "a refused step was audited");
}

Test(store_workflow, unfavorable_opinion_needs_override)
{
	struct store_step s;
	struct wf_request r = {.action = WF_ACT_APPROVE, .is_public = true};
	int64_t id;

	ready();
	id = proposal_of("ADULT");
	step(id, opinion(WF_OPINION_UNFAVORABLE), "still useful");
	s = step(id, r, NULL);
	cr_assert_eq(s.rc, -EPERM);
	r.override_unfavorable = true;
	r.reason = "research protocol ended";
	expect_step(step(id, r, NULL), WF_REVIEWED, WF_APPROVED);
	cr_assert_str_eq(column_of(id, "override_reason"),
			 "research protocol ended");
}

Test(store_workflow, refused_and_kept_block_reproposal)
{
	struct wf_request refuse = {.action = WF_ACT_REFUSE,
				    .reason = "family asked"};
	int64_t id;

	ready();
	id = proposal_of("DEAD");
	expect_step(step(id, refuse, NULL), WF_PROPOSED, WF_REFUSED);
	cr_assert_str_eq(column_of(id, "reason"), "family asked");
	cr_assert_str_eq(column_of(id, "decided_by"), "retentiond");

	id = proposal_of("ADULT");
	step(id, opinion(WF_OPINION_FAVORABLE), NULL);
	step(id, action(WF_ACT_APPROVE, NULL, true), NULL);
	expect_step(step(id, action(WF_ACT_VISA_KEEP, "AD-3", true), NULL),
		    WF_APPROVED, WF_KEPT);

	/* A final state allows nothing more. */
	cr_assert_eq(step(id, refuse, NULL).rc, -EPERM);
	cr_assert_str_eq(state_of(id), "kept");

	store_mark_all_dirty(st);
	recompute();
	propose(0);
}

/* ------------------------------------------------------------ withdrawals */

Test(store_workflow, new_encounter_after_approval_is_stale)
{
	struct store_step s;
	int64_t id;

	ready();
	id = proposal_of("ADULT");
	step(id, opinion(WF_OPINION_FAVORABLE), NULL);
	step(id, action(WF_ACT_APPROVE, NULL, true), NULL);
	/* ADULT came back in 2011: retained until 2031. No recompute. */
	cr_assert_eq(store_begin(st), 0);
	encounter("E20", "ADULT", "consultation", "2011-05-02", NULL);
	cr_assert_eq(store_commit(st), 0);

	act_as("adarchiviste", 1003, "archives");
	s = step(id, action(WF_ACT_VISA_ELIMINATE, "AD-9", true), NULL);
	cr_assert_eq(s.rc, -ESTALE);
	cr_assert_eq(s.from, WF_APPROVED);
	cr_assert_eq(s.to, WF_WITHDRAWN);
	cr_assert_str_eq(s.why, "no longer eligible: retained until 2031-05-02"
				" (general_20y)");
	cr_assert_str_eq(state_of(id), "withdrawn");
	cr_assert_str_eq(column_of(id, "reason"), s.why);
	cr_assert_str_eq(column_of(id, "visa_reference"), "(null)");
	/* Audited as a withdrawal, in the name of whoever tried. */
	cr_assert_str_eq(raw_text("SELECT action FROM audit"
				  " ORDER BY id DESC LIMIT 1"),
			 "withdraw");
	cr_assert_str_eq(raw_text("SELECT user FROM audit"
				  " ORDER BY id DESC LIMIT 1"),
			 "adarchiviste");
	/* The dossier's computed row was brought up to date too. */
	cr_assert_eq(raw_int("SELECT d.status FROM dossiers d JOIN patients t"
			     " ON t.id = d.patient_id WHERE t.ipp = 'ADULT'"),
		     ENGINE_RETAINED);
	/* Withdrawn is final. */
	cr_assert_eq(step(id, action(WF_ACT_VISA_ELIMINATE, "AD-9", true), NULL)
			     .rc,
		     -EPERM);
}

Test(store_workflow, hold_and_release)
{
	struct store_dossier *d = NULL;
	int64_t id, before;

	ready();
	id = proposal_of("ADULT");
	before = audit_count();
	act_as("dupont", 1002, "director");
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_hold(st, &pol, TODAY, "ADULT", "inquiry"), 0, "%s",
		     store_errmsg(st));
	cr_assert_eq(store_hold(st, &pol, TODAY, "ADULT", "again"), -EALREADY);
	cr_assert_eq(store_hold(st, &pol, TODAY, "NOBODY", "x"), -ENOENT);
	cr_assert_eq(store_hold(st, &pol, TODAY, "ADULT", ""), -EINVAL);
	cr_assert_eq(store_commit(st), 0);

	/* Withdrawn at once, without a scan. */
	cr_assert_str_eq(state_of(id), "withdrawn");
	cr_assert(strncmp(column_of(id, "reason"), "no longer eligible: held",
			  24) == 0,
		  "%s", column_of(id, "reason"));
	cr_assert_eq(audit_count(), before + 2);
	cr_assert_str_eq(raw_text("SELECT group_concat(action, ',') FROM"
				  " (SELECT action FROM audit ORDER BY id)"),
			 "propose,hold,withdraw");
	cr_assert_str_eq(raw_text("SELECT details FROM audit WHERE"
				  " action = 'hold'"),
			 "{\"ipp\":\"ADULT\",\"reason\":\"inquiry\"}");
	cr_assert_str_eq(raw_text("SELECT target FROM audit WHERE"
				  " action = 'hold'"),
			 "dossier ADULT");
	cr_assert_eq(store_dossier_load(st, &pol, "ADULT", &d), 0);
	cr_assert_eq(d->status, ENGINE_HELD);
	cr_assert_str_eq(d->hold_reason, "inquiry");
	cr_assert_eq(d->proposal_id, 0);
	store_dossier_free(d);

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_hold_release(st, &pol, TODAY, "ADULT"), 0);
	cr_assert_eq(store_hold_release(st, &pol, TODAY, "ADULT"), -EALREADY);
	cr_assert_eq(store_hold_release(st, &pol, TODAY, "NOBODY"), -ENOENT);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(store_dossier_load(st, &pol, "ADULT", &d), 0);
	cr_assert_eq(d->status, ENGINE_ELIGIBLE);
	cr_assert_null(d->hold_reason);
	store_dossier_free(d);

	/* A withdrawn proposal does not block a new one. */
	propose(1);
	cr_assert_gt(proposal_of("ADULT"), id);
}

Test(store_workflow, litigation_open_and_close)
{
	int64_t id;

	ready();
	id = proposal_of("DEAD");
	step(id, opinion(WF_OPINION_FAVORABLE), NULL);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_litigation_open(st, &pol, TODAY, "L1", "DEAD",
					   D("2026-10-01"), "TA Paris"),
		     0, "%s", store_errmsg(st));
	cr_assert_eq(store_litigation_open(st, &pol, TODAY, "L1", "ADULT",
					   D("2026-10-01"), NULL),
		     -EEXIST);
	cr_assert_eq(store_litigation_open(st, &pol, TODAY, "L2", "NOBODY",
					   D("2026-10-01"), NULL),
		     -ENOENT);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_str_eq(state_of(id), "withdrawn");
	cr_assert_str_eq(state_of(proposal_of("ADULT")), "proposed");
	cr_assert_eq(raw_int("SELECT count(*) FROM litigations"), 1);

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_litigation_close(st, &pol, TODAY, "L1",
					    D("2026-09-30")),
		     -EINVAL);
	cr_assert_eq(store_litigation_close(st, &pol, TODAY, "L9",
					    D("2026-11-01")),
		     -ENOENT);
	cr_assert_eq(store_litigation_close(st, &pol, TODAY, "L1",
					    D("2026-11-01")),
		     0, "%s", store_errmsg(st));
	cr_assert_eq(store_litigation_close(st, &pol, TODAY, "L1",
					    D("2026-11-02")),
		     -EALREADY);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_str_eq(raw_text("SELECT group_concat(action, ',') FROM"
				  " (SELECT action FROM audit ORDER BY id)"),
			 "propose,opinion,litigation_open,withdraw,"
			 "litigation_close");
	/* Eligible again: death + 10 is long past. */
	propose(1);
	cr_assert_gt(proposal_of("DEAD"), id);
}

Test(store_workflow, scan_withdrawal_is_audited)
{
	struct store_recompute_stats s = {0};
	int64_t id;

	ready();
	id = proposal_of("ADULT");
	cr_assert_eq(store_begin(st), 0);
	encounter("E20", "ADULT", "consultation", "2011-05-02", NULL);
	cr_assert_eq(store_recompute_dirty(st, &pol, TODAY, NULL, NULL, &s), 0);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(s.withdrawn, 1);
	cr_assert_str_eq(raw_text("SELECT user || '/' || role || ' ' || action"
				  " || ' ' || target FROM audit"
				  " ORDER BY id DESC LIMIT 1"),
			 "retentiond/system withdraw proposal 1");
	cr_assert_str_eq(raw_text("SELECT details FROM audit"
				  " ORDER BY id DESC LIMIT 1"),
			 "{\"ipp\":\"ADULT\",\"batch\":1,\"from\":\"proposed\","
			 "\"to\":\"withdrawn\",\"reason\":\"no longer eligible:"
			 " retained until 2031-05-02 (general_20y)\"}");
	cr_assert_eq(id, 1);
}

/* ------------------------------------------------------------ register */

struct lines {
	int n;
	int64_t id[8];
	char ipp[8][16], state[8][16], opinion[8][16], comment[8][64],
		reason[8][64], visa[8][32], cert[8][32], basis[8][32];
	rd_date first[8], last[8], until[8];
};

static const char *or_null(const char *s)
{
	return s ? s : "(null)";
}

static int collect_line(void *ctx, const struct store_bordereau_line *l)
{
	struct lines *c = ctx;
	int i = c->n++;

	cr_assert_lt(i, 8);
	c->id[i] = l->proposal_id;
	snprintf(c->ipp[i], sizeof(c->ipp[i]), "%s", or_null(l->ipp));
	snprintf(c->state[i], sizeof(c->state[i]), "%s", or_null(l->state));
	snprintf(c->opinion[i], sizeof(c->opinion[i]), "%s",
		 or_null(l->opinion));
	snprintf(c->comment[i], sizeof(c->comment[i]), "%s",
		 or_null(l->opinion_comment));
	snprintf(c->reason[i], sizeof(c->reason[i]), "%s", or_null(l->reason));
	snprintf(c->visa[i], sizeof(c->visa[i]), "%s",
		 or_null(l->visa_reference));
	snprintf(c->cert[i], sizeof(c->cert[i]), "%s", or_null(l->certificate));
	snprintf(c->basis[i], sizeof(c->basis[i]), "%s", or_null(l->basis));
	c->first[i] = l->first_date;
	c->last[i] = l->last_date;
	c->until[i] = l->retain_until;
	return 0;
}

Test(store_workflow, destroy_keeps_the_register)
{
	struct wf_request refuse = {.action = WF_ACT_REFUSE,
				    .reason = "still under study"};
	struct lines c = {0};
	struct store_dossier *d = NULL;
	int64_t batch = ready(), adult = proposal_of("ADULT"), *ids = NULL;
	size_t n = 0;

	step(adult, opinion(WF_OPINION_FAVORABLE), "ok");
	step(adult, action(WF_ACT_APPROVE, NULL, true), NULL);
	step(adult, action(WF_ACT_VISA_ELIMINATE, "AD-1", true), NULL);
	step(proposal_of("DEAD"), refuse, NULL);
	expect_step(step(adult, action(WF_ACT_DESTROY, "PV-1", true), NULL),
		    WF_VISAED, WF_DESTROYED);

	/* Every fact of ADULT is gone, the others' are not. */
	cr_assert_eq(store_dossier_load(st, &pol, "ADULT", &d), -ENOENT);
	cr_assert_eq(raw_int("SELECT count(*) FROM patients"), 2);
	cr_assert_eq(raw_int("SELECT count(*) FROM encounters"), 2);
	cr_assert_eq(raw_int("SELECT count(*) FROM dossiers"), 2);
	cr_assert_eq(raw_int("SELECT count(*) FROM dossiers WHERE dirty = 1"), 0);
	cr_assert_str_eq(column_of(adult, "patient_id"), "(null)");
	cr_assert_eq(raw_int("SELECT count(*) FROM pragma_foreign_key_check"), 0);

	cr_assert_eq(store_batch_proposals(st, batch, &ids, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(ids[0], adult);
	free(ids);
	cr_assert_eq(store_batch_proposals(st, batch + 1, &ids, &n), -ENOENT);

	cr_assert_eq(store_bordereau_each(st, batch, collect_line, &c), 0);
	cr_assert_eq(c.n, 2);
	cr_assert_eq(c.id[0], adult);
	cr_assert_str_eq(c.ipp[0], "ADULT");
	cr_assert_eq(c.first[0], D("1998-06-10"));
	cr_assert_eq(c.last[0], D("2000-03-15"));
	cr_assert_eq(c.until[0], D("2020-03-15"));
	cr_assert_str_eq(c.basis[0], "general_20y");
	cr_assert_str_eq(c.state[0], "destroyed");
	cr_assert_str_eq(c.opinion[0], "favorable");
	cr_assert_str_eq(c.comment[0], "ok");
	cr_assert_str_eq(c.reason[0], "(null)");
	cr_assert_str_eq(c.visa[0], "AD-1");
	cr_assert_str_eq(c.cert[0], "PV-1");
	cr_assert_str_eq(c.ipp[1], "DEAD");
	cr_assert_str_eq(c.state[1], "refused");
	cr_assert_str_eq(c.reason[1], "still under study");
	cr_assert_str_eq(c.opinion[1], "(null)");
	cr_assert_eq(c.first[1], D("2005-01-10"));
	cr_assert_eq(c.last[1], D("2005-01-20"));
	cr_assert_eq(store_bordereau_each(st, batch + 1, collect_line, &c),
		     -ENOENT);
}

Test(store_workflow, destroyed_ipp_is_reborn)
{
	int64_t old, batch;

	ready();
	old = proposal_of("ADULT");
	step(old, opinion(WF_OPINION_FAVORABLE), NULL);
	step(old, action(WF_ACT_APPROVE, NULL, false), NULL);
	step(old, action(WF_ACT_DESTROY, "PV-1", false), NULL);

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_upsert_patient(st, "ADULT", D("1950-01-01"),
					  DATE_NONE),
		     STORE_REBORN);
	/* Once created, it is an ordinary patient again. */
	cr_assert_eq(store_upsert_patient(st, "ADULT", D("1950-01-01"),
					  DATE_NONE),
		     0);
	cr_assert_eq(store_upsert_patient(st, "ADULT", D("1950-01-02"),
					  DATE_NONE),
		     1);
	/* Never destroyed: a plain new patient. */
	cr_assert_eq(store_upsert_patient(st, "NEW", D("1960-01-01"), DATE_NONE),
		     1);
	encounter("E40", "ADULT", "consultation", "2001-02-03", NULL);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_str_eq(raw_text("SELECT target FROM audit WHERE"
				  " action = 'reborn'"),
			 "dossier ADULT");

	recompute();
	batch = propose(1);
	cr_assert_str_eq(raw_text("SELECT group_concat(state, ',') FROM"
				  " (SELECT state FROM proposals"
				  "  WHERE ipp = 'ADULT' ORDER BY id)"),
			 "destroyed,proposed");
	cr_assert_gt(proposal_of("ADULT"), old);
	cr_assert_eq(raw_int("SELECT batch_id FROM proposals WHERE ipp = 'ADULT'"
			     " AND state = 'proposed'"),
		     batch);
	cr_assert_str_eq(column_of(proposal_of("ADULT"), "first_date"),
			 column_of(proposal_of("ADULT"), "last_date"));
}

/*
 * Every dossier destroyed leaves the patients' table empty and the
 * register not: the next patients' import is a first load, whose batches
 * would not check each IPP against the register. It goes row by row, and
 * the IPPs destroyed come back reborn.
 */
Test(store_workflow, first_load_after_every_dossier_destroyed_finds_reborn)
{
	static const char *const gone[] = {"ADULT", "DEAD"};

	cr_assert_eq(store_begin(st), 0);
	patient("ADULT", "1950-01-01", NULL);
	encounter("E1", "ADULT", "stay", "2000-03-01", "2000-03-15");
	patient("DEAD", "1930-01-01", "2008-02-01");
	encounter("E3", "DEAD", "stay", "2005-01-10", "2005-01-20");
	cr_assert_eq(store_commit(st), 0);
	recompute();
	propose(2);
	for (size_t i = 0; i < 2; i++) {
		int64_t id = proposal_of(gone[i]);

		step(id, opinion(WF_OPINION_FAVORABLE), NULL);
		step(id, action(WF_ACT_APPROVE, NULL, false), NULL);
		step(id, action(WF_ACT_DESTROY, "PV-1", false), NULL);
	}
	cr_assert_eq(raw_int("SELECT count(*) FROM patients"), 0);

	cr_assert_eq(store_begin(st), 0);
	store_evaluate_new(st, &pol, TODAY);
	cr_assert_eq(store_import_begin(st, STORE_IMPORT_PATIENTS), 0);
	cr_assert_eq(store_upsert_patient(st, "NEW", D("1960-01-01"), DATE_NONE),
		     1, "%s", store_errmsg(st));
	cr_assert_eq(store_upsert_patient(st, "DEAD", D("1930-01-01"),
					  D("2008-02-01")),
		     STORE_REBORN);
	cr_assert_eq(store_upsert_patient(st, "ADULT", D("1950-01-01"),
					  DATE_NONE),
		     STORE_REBORN);
	cr_assert_geq(store_import_end(st), 0, "%s", store_errmsg(st));
	cr_assert_eq(store_commit(st), 0);
	cr_assert_str_eq(raw_text("SELECT group_concat(target, ',') FROM"
				  " (SELECT target FROM audit"
				  "  WHERE action = 'reborn' ORDER BY id)"),
			 "dossier DEAD,dossier ADULT");
	cr_assert_eq(raw_int("SELECT count(*) FROM patients p JOIN dossiers d"
			     " ON d.patient_id = p.id"),
		     3);
}

/* ------------------------------------------------------------ listing */

struct seen {
	int n;
	int64_t id[8], batch[8];
	char ipp[8][16], opinion[8][16];
};

static int collect_proposal(void *ctx, const struct store_proposal *p)
{
	struct seen *c = ctx;
	int i = c->n++;

	cr_assert_lt(i, 8);
	c->id[i] = p->id;
	c->batch[i] = p->batch;
	snprintf(c->ipp[i], sizeof(c->ipp[i]), "%s", or_null(p->ipp));
	snprintf(c->opinion[i], sizeof(c->opinion[i]), "%s",
		 or_null(p->opinion));
	return 0;
}

Test(store_workflow, proposals_by_batch)
{
	struct seen c = {0};
	int64_t first = ready(), second;

	cr_assert_eq(store_begin(st), 0);
	patient("LATE", "1940-01-01", NULL);
	encounter("E50", "LATE", "stay", "1999-01-01", "1999-01-02");
	cr_assert_eq(store_commit(st), 0);
	recompute();
	second = propose(1);
	cr_assert_gt(second, first);
	step(proposal_of("ADULT"), opinion(WF_OPINION_UNFAVORABLE), NULL);

	cr_assert_eq(store_proposals_each(st, NULL, first, 0, collect_proposal,
					  &c),
		     0);
	cr_assert_eq(c.n, 2);
	cr_assert_str_eq(c.ipp[0], "ADULT");
	cr_assert_str_eq(c.opinion[0], "unfavorable");
	cr_assert_str_eq(c.opinion[1], "(null)");
	c = (struct seen){0};
	cr_assert_eq(store_proposals_each(st, "proposed", first, 0,
					  collect_proposal, &c),
		     0);
	cr_assert_eq(c.n, 1);
	cr_assert_str_eq(c.ipp[0], "DEAD");
	c = (struct seen){0};
	cr_assert_eq(store_proposals_each(st, "proposed", 0, 0,
					  collect_proposal, &c),
		     0);
	cr_assert_eq(c.n, 2);
	cr_assert_eq(c.batch[1], second);
	c = (struct seen){0};
	cr_assert_eq(store_proposals_each(st, NULL, second, 0, collect_proposal,
					  &c),
		     0);
	cr_assert_eq(c.n, 1);
	cr_assert_str_eq(c.ipp[0], "LATE");
	c = (struct seen){0};
	cr_assert_eq(store_proposals_each(st, NULL, 99, 0, collect_proposal, &c),
		     0);
	cr_assert_eq(c.n, 0);
}

/* ------------------------------------------------------------ audit */

struct entries {
	int n;
	char line[32][200];
};

static int collect_entry(void *ctx, const struct store_audit_entry *e)
{
	struct entries *c = ctx;

	cr_assert_lt(c->n, 32);
	cr_assert_eq(strlen(e->hash), 64);
	snprintf(c->line[c->n++], sizeof(c->line[0]), "%lld %lld %s %lld %s %s %s",
		 (long long)e->id, (long long)e->at, e->user, (long long)e->uid,
		 e->role, e->action, or_null(e->target));
	return 0;
}

/* A batch taken to destroyed, with a hold on the way: many entries. */
static void busy_journal(void)
{
	int64_t batch, id;

	store_set_actor(st, &(struct store_actor){"retentiond", 0, "system"},
			NOW);
	batch = ready();
	id = proposal_of("ADULT");

	act_as("drmartin", 1001, "dim");
	step(id, opinion(WF_OPINION_FAVORABLE), "fine");
	act_as("dupont", 1002, "director");
	step(id, action(WF_ACT_APPROVE, NULL, true), NULL);
	act_as("adarchiviste", 1003, "archives");
	step(id, action(WF_ACT_VISA_ELIMINATE, "AD-1", true), NULL);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_batch_set_visa(st, batch, "AD-1"), 0);
	cr_assert_eq(store_commit(st), 0);
	act_as("alice", 1004, "archivist");
	step(id, action(WF_ACT_DESTROY, "PV-1", true), NULL);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_batch_set_certificate(st, batch, "PV-1"), 0);
	cr_assert_eq(store_commit(st), 0);
	act_as("dupont", 1002, "director");
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_hold(st, &pol, TODAY, "DEAD", "press \"inquiry\"\n"),
		     0);
	cr_assert_eq(store_commit(st), 0);
	store_set_actor(st, NULL, 0);
}

Test(store_workflow, audit_records_every_mutation)
{
	struct entries c = {0};
	struct store *ro = NULL;

	busy_journal();
	cr_assert_eq(store_audit_each(st, 0, 0, collect_entry, &c), 0);
	cr_assert_eq(c.n, 9);
	cr_assert_str_eq(c.line[0], "1 1700000000 retentiond 0 system propose"
				    " batch 1");
	cr_assert_str_eq(c.line[1], "2 1700000100 drmartin 1001 dim opinion"
				    " proposal 1");
	cr_assert_str_eq(c.line[2], "3 1700000100 dupont 1002 director approve"
				    " proposal 1");
	cr_assert_str_eq(c.line[3], "4 1700000100 adarchiviste 1003 archives"
				    " visa_eliminate proposal 1");
	cr_assert_str_eq(c.line[4], "5 1700000100 adarchiviste 1003 archives"
				    " batch_visa batch 1");
	cr_assert_str_eq(c.line[5], "6 1700000100 alice 1004 archivist destroy"
				    " proposal 1");
	cr_assert_str_eq(c.line[6], "7 1700000100 alice 1004 archivist"
				    " batch_certificate batch 1");
	cr_assert_str_eq(c.line[7], "8 1700000100 dupont 1002 director hold"
				    " dossier DEAD");
	cr_assert_str_eq(c.line[8], "9 1700000100 dupont 1002 director withdraw"
				    " proposal 2");
	cr_assert_str_eq(raw_text("SELECT details FROM audit WHERE id = 2"),
			 "{\"ipp\":\"ADULT\",\"batch\":1,\"from\":\"proposed\","
			 "\"to\":\"reviewed\",\"opinion\":\"favorable\","
			 "\"comment\":\"fine\"}");
	cr_assert_str_eq(raw_text("SELECT details FROM audit WHERE id = 8"),
			 "{\"ipp\":\"DEAD\",\"reason\":\"press \\\"inquiry\\\"\\n\"}");
	cr_assert_str_eq(raw_text("SELECT prev_hash FROM audit WHERE id = 1"),
			 "00000000000000000000000000000000"
			 "00000000000000000000000000000000");
	cr_assert_eq(raw_int("SELECT count(*) FROM audit a JOIN audit b"
			     " ON b.id = a.id + 1 WHERE b.prev_hash <> a.hash"),
		     0);

	/* since and limit. */
	c = (struct entries){0};
	cr_assert_eq(store_audit_each(st, 1700000100, 3, collect_entry, &c), 0);
	cr_assert_eq(c.n, 3);
	cr_assert(strncmp(c.line[0], "2 ", 2) == 0);

	expect_ok(verify(st), 9);
	cr_assert_eq(store_open_readonly(path, &ro), 0);
	expect_ok(verify(ro), 9);
	c = (struct entries){0};
	cr_assert_eq(store_audit_each(ro, 0, 0, collect_entry, &c), 0);
	cr_assert_eq(c.n, 9);
	store_close(ro);
}

Test(store_workflow, audit_empty_journal_verifies)
{
	expect_ok(verify(st), 0);
}

Test(store_workflow, audit_rolled_back_with_the_transaction)
{
	ready();
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_hold(st, &pol, TODAY, "ADULT", "x"), 0);
	cr_assert_eq(store_rollback(st), 0);
	cr_assert_eq(audit_count(), 1);
	expect_ok(verify(st), 1);
	/* And the chain goes on from what was committed. */
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_audit_append(st, "note", NULL, NULL), 0);
	cr_assert_eq(store_audit_append(st, "", NULL, NULL), -EINVAL);
	cr_assert_eq(store_commit(st), 0);
	expect_ok(verify(st), 2);
}

static void expect_bad(int64_t id, const char *why)
{
	struct store_audit_check c = verify(st);
	struct store *ro = NULL;

	cr_assert_eq(c.entries, raw_int("SELECT count(*) FROM audit"));
	cr_assert_eq(c.first_bad, id, "first_bad %lld: %s",
		     (long long)c.first_bad, c.reason);
	cr_assert(strstr(c.reason, why), "%s", c.reason);
	/* Offline, the same answer. */
	cr_assert_eq(store_open_readonly(path, &ro), 0);
	c = verify(ro);
	cr_assert_eq(c.first_bad, id);
	store_close(ro);
}

Test(store_workflow, audit_tamper_edit)
{
	busy_journal();
	raw_exec("UPDATE audit SET details = '{\"ipp\":\"OTHER\"}' WHERE id = 5");
	expect_bad(5, "contents");
}

Test(store_workflow, audit_tamper_edit_any_field)
{
	static const char *const edits[] = {
		"UPDATE audit SET at = at + 1 WHERE id = 4",
		"UPDATE audit SET user = 'mallory' WHERE id = 4",
		"UPDATE audit SET uid = 0 WHERE id = 4",
		"UPDATE audit SET role = 'director' WHERE id = 4",
		"UPDATE audit SET action = 'visa_keep' WHERE id = 4",
		"UPDATE audit SET target = 'proposal 2' WHERE id = 4",
		"UPDATE audit SET details = NULL WHERE id = 4",
		"UPDATE audit SET prev_hash = (SELECT hash FROM audit"
		" WHERE id = 2) WHERE id = 4",
		"UPDATE audit SET hash = (SELECT hash FROM audit WHERE id = 2)"
		" WHERE id = 4",
		"UPDATE audit SET uid = '1003' WHERE id = 4", /* no change */
	};

	busy_journal();
	raw_exec("CREATE TABLE keep AS SELECT * FROM audit");
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		struct store_audit_check c;

		raw_exec(edits[i]);
		c = verify(st);
		if (i + 1 < sizeof(edits) / sizeof(edits[0]))
			cr_assert_eq(c.first_bad, 4, "%s: %lld", edits[i],
				     (long long)c.first_bad);
		else /* INTEGER affinity: the same value, still valid */
			cr_assert_eq(c.first_bad, 0, "%s", c.reason);
		raw_exec("DELETE FROM audit; INSERT INTO audit SELECT * FROM keep");
		expect_ok(verify(st), 9);
	}
	raw_exec("DROP TABLE keep");
}

Test(store_workflow, audit_tamper_delete_middle)
{
	busy_journal();
	raw_exec("DELETE FROM audit WHERE id = 4");
	expect_bad(5, "removed");
}

Test(store_workflow, audit_tamper_delete_first)
{
	busy_journal();
	raw_exec("DELETE FROM audit WHERE id = 1");
	expect_bad(2, "removed");
}

Test(store_workflow, audit_tamper_swap)
{
	busy_journal();
	/* Every column but the id, so each row keeps its place. */
	raw_exec("CREATE TEMP TABLE t AS SELECT * FROM audit WHERE id IN (3, 6);"
		 "UPDATE audit SET (at, user, uid, role, action, target, details,"
		 "  prev_hash, hash) = (SELECT at, user, uid, role, action, target,"
		 "  details, prev_hash, hash FROM t"
		 "  WHERE t.id = 9 - audit.id) WHERE id IN (3, 6);");
	cr_assert_str_eq(raw_text("SELECT action FROM audit WHERE id = 3"),
			 "destroy");
	expect_bad(3, "contents");
}

Test(store_workflow, audit_tamper_swap_keeping_hashes)
{
	busy_journal();
	/* The hashes stay in place: the contents no longer match them. */
	raw_exec("CREATE TEMP TABLE t AS SELECT * FROM audit WHERE id IN (2, 3);"
		 "UPDATE audit SET (at, user, uid, role, action, target, details)"
		 " = (SELECT at, user, uid, role, action, target, details FROM t"
		 "  WHERE t.id = 5 - audit.id) WHERE id IN (2, 3);");
	expect_bad(2, "contents");
}

Test(store_workflow, audit_tamper_rewrite_tail_detected)
{
	/* Recomputing one hash is not enough: the next entry's link breaks. */
	busy_journal();
	raw_exec("UPDATE audit SET prev_hash = 'x' WHERE id = 7");
	expect_bad(7, "contents");
}

/* ------------------------------------------------------------ migration */

Test(store_workflow, migration_from_v1)
{
	char old[sizeof(path)];
	struct store_dossier *d = NULL;
	struct store_step s;
	sqlite3 *db;
	char *err = NULL;

	store_close(st);
	st = NULL;
	snprintf(old, sizeof(old), "%s/v1.db", dir);
	db = raw_open_at(old);
	cr_assert_not_null(store_schema_migration(0));
	cr_assert_null(store_schema_migration(STORE_SCHEMA_VERSION));
	cr_assert_eq(sqlite3_exec(db, store_schema_migration(0), NULL, NULL,
				  &err),
		     SQLITE_OK, "%s", err ? err : "");
	/* Day numbers of rd_date: computed, not guessed. */
	{
		char sql[2048];

		snprintf(sql, sizeof(sql),
			 "PRAGMA foreign_keys = ON;"
			 "PRAGMA user_version = 1;"
			 "INSERT INTO kinds(id, name) VALUES (1, 'stay');"
			 "INSERT INTO patients(id, ipp, birth_date) VALUES"
			 " (1, 'ADULT', %d), (2, 'DEAD', %d), (3, 'CHILD', %d);"
			 "INSERT INTO encounters VALUES"
			 " ('E1', 1, 1, %d, %d), ('E0', 1, 1, %d, %d),"
			 " ('E3', 2, 1, %d, %d), ('E2', 3, 1, %d, %d);"
			 "UPDATE patients SET death_date = %d WHERE id = 2;"
			 "INSERT INTO batches VALUES (1, %d, 1600000000, 2);"
			 "INSERT INTO proposals(id, patient_id, batch_id, state,"
			 " retain_until, basis, created_at, updated_at, reason)"
			 " VALUES (1, 1, 1, 'withdrawn', %d, 'general_20y', 1, 2,"
			 "  'no longer eligible'),"
			 " (2, 1, 1, 'proposed', %d, 'general_20y', 3, 3, NULL),"
			 " (3, 2, 1, 'refused', %d, 'death_10y', 3, 4, NULL);"
			 "UPDATE dossiers SET status = 1, dirty = 0"
			 " WHERE patient_id IN (1, 2);",
			 D("1950-01-01"), D("1930-01-01"), D("2001-04-30"),
			 D("2000-03-01"), D("2000-03-15"), D("1999-12-01"),
			 D("1999-12-05"), D("2005-01-10"), D("2005-01-20"), D("2004-05-01"),
			 D("2004-05-03"), D("2008-02-01"), TODAY,
			 D("2020-03-15"), D("2020-03-15"), D("2018-02-01"));
		cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &err), SQLITE_OK,
			     "%s", err ? err : "");
	}
	sqlite3_close(db);

	cr_assert_eq(store_open(old, &st), 0);
	snprintf(path, sizeof(path), "%s", old); /* raw_* look at it now */
	cr_assert_eq(raw_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);
	cr_assert_eq(raw_int("SELECT count(*) FROM patients"), 3);
	cr_assert_eq(raw_int("SELECT count(*) FROM encounters"), 4);
	cr_assert_eq(raw_int("SELECT count(*) FROM proposals"), 3);
	cr_assert_str_eq(raw_text("SELECT group_concat(ipp || ':' || state, ',')"
				  " FROM (SELECT * FROM proposals ORDER BY id)"),
			 "ADULT:withdrawn,ADULT:proposed,DEAD:refused");
	cr_assert_eq(raw_int("SELECT first_date FROM proposals WHERE id = 2"),
		     D("1999-12-01"));
	cr_assert_eq(raw_int("SELECT last_date FROM proposals WHERE id = 2"),
		     D("2000-03-15"));
	cr_assert_eq(raw_int("SELECT count(*) FROM batches"
			     " WHERE visa_reference IS NULL"),
		     1);
	cr_assert_eq(raw_int("SELECT count(*) FROM audit"), 0);
	cr_assert_str_eq(raw_text("SELECT on_delete FROM"
				  " pragma_foreign_key_list('proposals')"
				  " WHERE \"table\" = 'patients'"),
			 "SET NULL");
	cr_assert_eq(raw_int("SELECT \"notnull\" FROM pragma_table_info("
			     "'proposals') WHERE name = 'patient_id'"),
		     0);
	cr_assert_eq(raw_int("SELECT count(*) FROM sqlite_master WHERE name IN"
			     " ('proposals_current', 'proposals_by_batch',"
			     "  'proposals_by_state', 'proposals_by_ipp',"
			     "  'proposals_ai', 'proposals_withdrawn')"),
		     6);
	cr_assert_eq(raw_int("SELECT count(*) FROM pragma_foreign_key_check"), 0);

	/* The unique index still holds: one open proposal per patient. */
	db = raw_open_at(path);
	cr_assert_neq(sqlite3_exec(db,
				   "INSERT INTO proposals(patient_id, batch_id,"
				   " state, created_at, updated_at)"
				   " VALUES (1, 1, 'proposed', 0, 0)",
				   NULL, NULL, NULL),
		      SQLITE_OK);
	sqlite3_close(db);

	/* The dossier still knows its proposal, and the workflow goes on. */
	cr_assert_eq(store_dossier_load(st, &pol, "ADULT", &d), 0);
	cr_assert_eq(d->proposal_id, 2);
	store_dossier_free(d);
	s = step(2, opinion(WF_OPINION_FAVORABLE), NULL);
	expect_step(s, WF_PROPOSED, WF_REVIEWED);
	s = step(2, action(WF_ACT_APPROVE, NULL, false), NULL);
	s = step(2, action(WF_ACT_DESTROY, "PV-1", false), NULL);
	expect_step(s, WF_APPROVED, WF_DESTROYED);
	cr_assert_eq(raw_int("SELECT count(*) FROM proposals"
			     " WHERE patient_id IS NULL"),
		     2);
	expect_ok(verify(st), 3);

	/* Reopening a migrated database changes nothing. */
	store_close(st);
	st = NULL;
	cr_assert_eq(store_open(old, &st), 0);
	cr_assert_eq(raw_int("SELECT count(*) FROM proposals"), 3);
	/* Refused DEAD is not proposed again; nothing else is eligible. */
	recompute();
	propose(0);
}
