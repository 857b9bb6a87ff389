/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the elimination state machine (src/engine/workflow.c):
 * every state x every action, public and private, eligible or not, against
 * tables written from the diagram of workflow.h; then each refusal's
 * reason, the request fields, the roles and the names.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "engine/workflow.h"

#define X (-1) /* refused: -EPERM */
#define SENTINEL ((enum wf_state)77)

/* Rows: states in enum order; columns: actions in enum order. */
static const int public_table[WF_N_STATES][WF_N_ACTIONS] = {
	/*              opinion      approve      refuse      visa_elim  visa_keep visa_rej    destroy       withdraw */
	[WF_PROPOSED] = { WF_REVIEWED, X, WF_REFUSED, X, X, X, X, WF_WITHDRAWN },
	[WF_REVIEWED] = { WF_REVIEWED, WF_APPROVED, WF_REFUSED, X, X, X, X, WF_WITHDRAWN },
	[WF_APPROVED] = { X, X, WF_REFUSED, WF_VISAED, WF_KEPT, WF_REFUSED, X, WF_WITHDRAWN },
	[WF_REFUSED] = { X, X, X, X, X, X, X, X },
	[WF_VISAED] = { X, X, WF_REFUSED, X, X, X, WF_DESTROYED, WF_WITHDRAWN },
	[WF_KEPT] = { X, X, X, X, X, X, X, X },
	[WF_DESTROYED] = { X, X, X, X, X, X, X, X },
	[WF_WITHDRAWN] = { X, X, X, X, X, X, X, X },
};

static const int private_table[WF_N_STATES][WF_N_ACTIONS] = {
	[WF_PROPOSED] = { WF_REVIEWED, X, WF_REFUSED, X, X, X, X, WF_WITHDRAWN },
	[WF_REVIEWED] = { WF_REVIEWED, WF_APPROVED, WF_REFUSED, X, X, X, X, WF_WITHDRAWN },
	[WF_APPROVED] = { X, X, WF_REFUSED, X, X, X, WF_DESTROYED, WF_WITHDRAWN },
	[WF_REFUSED] = { X, X, X, X, X, X, X, X },
	/* Cannot arise in a private establishment; destroying is harmless. */
	[WF_VISAED] = { X, X, WF_REFUSED, X, X, X, WF_DESTROYED, WF_WITHDRAWN },
	[WF_KEPT] = { X, X, X, X, X, X, X, X },
	[WF_DESTROYED] = { X, X, X, X, X, X, X, X },
	[WF_WITHDRAWN] = { X, X, X, X, X, X, X, X },
};

static struct wf_proposal prop(enum wf_state s, enum wf_opinion o)
{
	struct wf_proposal p = { .state = s, .opinion = o, .eligible = true };

	return p;
}

/* A complete, well-formed request for action a. */
static struct wf_request req(enum wf_action a, bool is_public)
{
	struct wf_request r = {
		.action = a,
		.opinion = WF_OPINION_FAVORABLE,
		.override_unfavorable = false,
		.reason = "the family asked to keep it",
		.reference = "REF-2024-001",
		.is_public = is_public,
	};

	return r;
}

static void expect_sentence(const char *why, const char *what)
{
	cr_expect_gt(strlen(why), 0, "%s: empty reason", what);
	cr_expect_null(strchr(why, '\n'), "%s: reason has a newline: %s", what,
		       why);
}

/* Step; check the invariants every call keeps; return rc. */
static int step(const struct wf_proposal *p, const struct wf_request *r,
		enum wf_state *next, char *why, size_t whylen)
{
	enum wf_state got = SENTINEL;
	int rc;

	memset(why, 'x', whylen);
	rc = wf_step(p, r, &got, why, whylen);
	cr_assert(rc == 0 || rc == -EPERM || rc == -EINVAL, "rc %d", rc);
	cr_assert_not_null(memchr(why, '\0', whylen), "why not terminated");
	if (rc < 0) {
		cr_expect_eq(got, SENTINEL, "next touched on failure");
		expect_sentence(why, "failure");
	} else {
		cr_expect_lt((int)got, WF_N_STATES);
	}
	*next = got;
	return rc;
}

static void check_table(const int table[WF_N_STATES][WF_N_ACTIONS],
			bool is_public, bool eligible)
{
	for (int s = 0; s < WF_N_STATES; s++) {
		for (int a = 0; a < WF_N_ACTIONS; a++) {
			struct wf_proposal p =
				prop((enum wf_state)s, WF_OPINION_FAVORABLE);
			struct wf_request r =
				req((enum wf_action)a, is_public);
			enum wf_state next;
			char why[256];
			int want = table[s][a];
			int rc;

			p.eligible = eligible;
			if (!eligible && a != WF_ACT_WITHDRAW)
				want = X;
			rc = step(&p, &r, &next, why, sizeof(why));
			if (want == X) {
				cr_expect_eq(rc, -EPERM,
					     "%s %s (%s%s): rc %d, want -EPERM",
					     wf_state_name(p.state),
					     wf_action_name(r.action),
					     is_public ? "public" : "private",
					     eligible ? "" : ", ineligible", rc);
			} else {
				cr_expect_eq(rc, 0, "%s %s (%s%s): rc %d (%s)",
					     wf_state_name(p.state),
					     wf_action_name(r.action),
					     is_public ? "public" : "private",
					     eligible ? "" : ", ineligible", rc,
					     why);
				cr_expect_eq((int)next, want,
					     "%s %s: next %s, want %s",
					     wf_state_name(p.state),
					     wf_action_name(r.action),
					     wf_state_name(next),
					     wf_state_name((enum wf_state)want));
				cr_expect_str_empty(why);
			}
		}
	}
}

/* Refused with -EPERM (or rc) and a reason containing `part`. */
static void expect_refused(const struct wf_proposal *p,
			   const struct wf_request *r, int rc_want,
			   const char *part)
{
	enum wf_state next;
	char why[256];
	int rc = step(p, r, &next, why, sizeof(why));

	cr_expect_eq(rc, rc_want, "%s %s: rc %d, want %d (%s)",
		     wf_state_name(p->state), wf_action_name(r->action), rc,
		     rc_want, why);
	cr_expect_not_null(strstr(why, part), "%s %s: \"%s\" lacks \"%s\"",
			   wf_state_name(p->state), wf_action_name(r->action),
			   why, part);
}

static enum wf_state expect_allowed(const struct wf_proposal *p,
				    const struct wf_request *r)
{
	enum wf_state next;
	char why[256];
	int rc = step(p, r, &next, why, sizeof(why));

	cr_expect_eq(rc, 0, "%s %s: rc %d (%s)", wf_state_name(p->state),
		     wf_action_name(r->action), rc, why);
	return next;
}

Test(table, public_eligible) { check_table(public_table, true, true); }
Test(table, private_eligible) { check_table(private_table, false, true); }
Test(table, public_ineligible) { check_table(public_table, true, false); }
Test(table, private_ineligible) { check_table(private_table, false, false); }

Test(final, states)
{
	for (int s = 0; s < WF_N_STATES; s++) {
		bool want = s == WF_REFUSED || s == WF_KEPT ||
			    s == WF_DESTROYED || s == WF_WITHDRAWN;

		cr_expect_eq(wf_state_is_final((enum wf_state)s), want, "%s",
			     wf_state_name((enum wf_state)s));
	}
}

Test(final, reasons)
{
	static const struct {
		enum wf_state s;
		const char *part;
	} cases[] = {
		{ WF_REFUSED, "refused" },
		{ WF_KEPT, "keep for ever" },
		{ WF_DESTROYED, "already been destroyed" },
		{ WF_WITHDRAWN, "withdrawn" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (int a = 0; a < WF_N_ACTIONS; a++) {
			struct wf_proposal p =
				prop(cases[i].s, WF_OPINION_FAVORABLE);
			struct wf_request r = req((enum wf_action)a, true);

			expect_refused(&p, &r, -EPERM, cases[i].part);
		}
}

Test(opinion, records_and_revises)
{
	struct wf_proposal p = prop(WF_PROPOSED, WF_OPINION_NONE);
	struct wf_request r = req(WF_ACT_OPINION, true);

	r.opinion = WF_OPINION_UNFAVORABLE;
	cr_expect_eq(expect_allowed(&p, &r), WF_REVIEWED);
	p = prop(WF_REVIEWED, WF_OPINION_UNFAVORABLE);
	r.opinion = WF_OPINION_FAVORABLE;
	cr_expect_eq(expect_allowed(&p, &r), WF_REVIEWED);
}

Test(opinion, needs_an_opinion)
{
	struct wf_proposal p = prop(WF_PROPOSED, WF_OPINION_NONE);
	struct wf_request r = req(WF_ACT_OPINION, true);

	r.opinion = WF_OPINION_NONE;
	expect_refused(&p, &r, -EINVAL, "favorable or unfavorable");
	r.opinion = (enum wf_opinion)9;
	expect_refused(&p, &r, -EINVAL, "favorable or unfavorable");
}

Test(opinion, too_late_after_the_decision)
{
	struct wf_request r = req(WF_ACT_OPINION, true);
	struct wf_proposal p = prop(WF_APPROVED, WF_OPINION_FAVORABLE);

	expect_refused(&p, &r, -EPERM, "the director has already decided");
	p.state = WF_VISAED;
	expect_refused(&p, &r, -EPERM, "the director has already decided");
}

Test(approve, needs_the_opinion_first)
{
	struct wf_proposal p = prop(WF_PROPOSED, WF_OPINION_NONE);
	struct wf_request r = req(WF_ACT_APPROVE, true);

	expect_refused(&p, &r, -EPERM,
		       "the DIM physician has not given an opinion yet "
		       "(R1112-7: the director decides after the DIM's "
		       "opinion)");
	/* Reviewed without an opinion is inconsistent: stay safe. */
	p.state = WF_REVIEWED;
	expect_refused(&p, &r, -EPERM, "has not given an opinion yet");
}

Test(approve, favourable)
{
	struct wf_proposal p = prop(WF_REVIEWED, WF_OPINION_FAVORABLE);
	struct wf_request r = req(WF_ACT_APPROVE, true);

	r.reason = NULL;
	cr_expect_eq(expect_allowed(&p, &r), WF_APPROVED);
	/* An override on a favourable opinion is harmless. */
	r.override_unfavorable = true;
	r.reason = "batch with mixed opinions";
	cr_expect_eq(expect_allowed(&p, &r), WF_APPROVED);
}

Test(approve, unfavourable_needs_override_and_reason)
{
	struct wf_proposal p = prop(WF_REVIEWED, WF_OPINION_UNFAVORABLE);
	struct wf_request r = req(WF_ACT_APPROVE, true);

	expect_refused(&p, &r, -EPERM,
		       "the DIM's opinion is unfavourable: approving needs "
		       "--override-unfavorable and a reason");
	r.reason = NULL;
	expect_refused(&p, &r, -EPERM, "--override-unfavorable");

	r.override_unfavorable = true;
	r.reason = NULL;
	expect_refused(&p, &r, -EINVAL, "needs a reason");
	r.reason = "";
	expect_refused(&p, &r, -EINVAL, "needs a reason");
	r.reason = " \t ";
	expect_refused(&p, &r, -EINVAL, "needs a reason");

	r.reason = "the litigation was settled";
	cr_expect_eq(expect_allowed(&p, &r), WF_APPROVED);
}

Test(approve, already_decided)
{
	struct wf_request r = req(WF_ACT_APPROVE, true);
	struct wf_proposal p = prop(WF_APPROVED, WF_OPINION_FAVORABLE);

	expect_refused(&p, &r, -EPERM, "already approved");
	p.state = WF_VISAED;
	expect_refused(&p, &r, -EPERM, "already approved");
}

Test(refuse, needs_a_reason)
{
	struct wf_proposal p = prop(WF_REVIEWED, WF_OPINION_FAVORABLE);
	struct wf_request r = req(WF_ACT_REFUSE, true);

	r.reason = NULL;
	expect_refused(&p, &r, -EINVAL, "needs a reason");
	r.reason = "";
	expect_refused(&p, &r, -EINVAL, "needs a reason");
	r.reason = "\n";
	expect_refused(&p, &r, -EINVAL, "needs a reason");
}

Test(refuse, allowed_until_destroyed)
{
	static const enum wf_state from[] = { WF_PROPOSED, WF_REVIEWED,
					      WF_APPROVED, WF_VISAED };

	for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++)
		for (int pub = 0; pub < 2; pub++) {
			struct wf_proposal p =
				prop(from[i], WF_OPINION_UNFAVORABLE);
			struct wf_request r = req(WF_ACT_REFUSE, pub);

			cr_expect_eq(expect_allowed(&p, &r), WF_REFUSED);
		}
}

Test(visa, only_public)
{
	static const enum wf_action visas[] = {
		WF_ACT_VISA_ELIMINATE, WF_ACT_VISA_KEEP, WF_ACT_VISA_REJECT
	};

	for (size_t i = 0; i < 3; i++) {
		struct wf_proposal p = prop(WF_APPROVED, WF_OPINION_FAVORABLE);
		struct wf_request r = req(visas[i], false);

		expect_refused(&p, &r, -EPERM,
			       "the establishment is not public");
	}
}

Test(visa, outcomes)
{
	struct wf_proposal p = prop(WF_APPROVED, WF_OPINION_FAVORABLE);
	struct wf_request r = req(WF_ACT_VISA_ELIMINATE, true);

	cr_expect_eq(expect_allowed(&p, &r), WF_VISAED);
	r.action = WF_ACT_VISA_KEEP;
	cr_expect_eq(expect_allowed(&p, &r), WF_KEPT);
	r.action = WF_ACT_VISA_REJECT;
	cr_expect_eq(expect_allowed(&p, &r), WF_REFUSED);
}

Test(visa, needs_a_reference)
{
	struct wf_proposal p = prop(WF_APPROVED, WF_OPINION_FAVORABLE);
	struct wf_request r = req(WF_ACT_VISA_KEEP, true);

	r.reference = NULL;
	expect_refused(&p, &r, -EINVAL, "reference");
	r.reference = "  ";
	expect_refused(&p, &r, -EINVAL, "reference");
}

Test(visa, only_after_approval)
{
	struct wf_request r = req(WF_ACT_VISA_ELIMINATE, true);
	struct wf_proposal p = prop(WF_PROPOSED, WF_OPINION_NONE);

	expect_refused(&p, &r, -EPERM, "has not approved");
	p = prop(WF_REVIEWED, WF_OPINION_FAVORABLE);
	expect_refused(&p, &r, -EPERM, "has not approved");
	p.state = WF_VISAED;
	expect_refused(&p, &r, -EPERM, "already given its visa");
}

Test(destroy, needs_a_certificate)
{
	struct wf_proposal p = prop(WF_VISAED, WF_OPINION_FAVORABLE);
	struct wf_request r = req(WF_ACT_DESTROY, true);

	r.reference = NULL;
	expect_refused(&p, &r, -EINVAL, "certificate");
	r.reference = "";
	expect_refused(&p, &r, -EINVAL, "certificate");
}

Test(destroy, public_needs_the_visa)
{
	struct wf_proposal p = prop(WF_APPROVED, WF_OPINION_FAVORABLE);
	struct wf_request r = req(WF_ACT_DESTROY, true);

	expect_refused(&p, &r, -EPERM,
		       "the archives administration has not given its visa "
		       "(Code du patrimoine R212-14: no elimination without "
		       "it)");
	p.state = WF_VISAED;
	cr_expect_eq(expect_allowed(&p, &r), WF_DESTROYED);
}

Test(destroy, private_after_approval)
{
	struct wf_proposal p = prop(WF_APPROVED, WF_OPINION_FAVORABLE);
	struct wf_request r = req(WF_ACT_DESTROY, false);

	cr_expect_eq(expect_allowed(&p, &r), WF_DESTROYED);
	p.state = WF_VISAED;
	cr_expect_eq(expect_allowed(&p, &r), WF_DESTROYED);
}

Test(destroy, says_what_is_missing)
{
	for (int pub = 0; pub < 2; pub++) {
		struct wf_request r = req(WF_ACT_DESTROY, pub);
		struct wf_proposal p = prop(WF_PROPOSED, WF_OPINION_NONE);

		expect_refused(&p, &r, -EPERM, "has not given an opinion");
		p = prop(WF_REVIEWED, WF_OPINION_FAVORABLE);
		expect_refused(&p, &r, -EPERM, "has not approved");
	}
}

Test(withdraw, from_every_open_state)
{
	static const enum wf_state from[] = { WF_PROPOSED, WF_REVIEWED,
					      WF_APPROVED, WF_VISAED };

	for (size_t i = 0; i < 4; i++)
		for (int elig = 0; elig < 2; elig++) {
			struct wf_proposal p =
				prop(from[i], WF_OPINION_FAVORABLE);
			struct wf_request r = req(WF_ACT_WITHDRAW, true);

			p.eligible = elig;
			r.reason = NULL;
			r.reference = NULL;
			cr_expect_eq(expect_allowed(&p, &r), WF_WITHDRAWN);
		}
}

Test(eligibility, ineligible_can_only_be_withdrawn)
{
	for (int a = 0; a < WF_N_ACTIONS; a++) {
		struct wf_proposal p = prop(WF_VISAED, WF_OPINION_FAVORABLE);
		struct wf_request r = req((enum wf_action)a, true);

		if (a == WF_ACT_WITHDRAW)
			continue;
		p.eligible = false;
		expect_refused(&p, &r, -EPERM, "no longer eligible");
		p.state = WF_REVIEWED;
		expect_refused(&p, &r, -EPERM, "no longer eligible");
	}
}

/* Whatever comes in, nothing gets to destroyed without the procedure. */
Test(invariants, exhaustive)
{
	static const char *const texts[] = { NULL, "", " ", "why" };

	for (int s = 0; s < WF_N_STATES; s++)
	for (int a = 0; a < WF_N_ACTIONS; a++)
	for (int o = 0; o < 3; o++)
	for (int ro = 0; ro < 3; ro++)
	for (int bits = 0; bits < 8; bits++)
	for (int t = 0; t < 4; t++) {
		struct wf_proposal p = prop((enum wf_state)s,
					    (enum wf_opinion)o);
		struct wf_request r = req((enum wf_action)a, bits & 1);
		enum wf_state next;
		char why[256];
		int rc;

		p.eligible = bits & 2;
		r.override_unfavorable = bits & 4;
		r.opinion = (enum wf_opinion)ro;
		r.reason = texts[t];
		r.reference = texts[t];
		rc = step(&p, &r, &next, why, sizeof(why));
		if (rc != 0)
			continue;
		cr_assert(!wf_state_is_final(p.state));
		cr_assert(p.eligible || next == WF_WITHDRAWN);
		if (next == WF_DESTROYED) {
			cr_assert(r.is_public ? p.state == WF_VISAED
					      : p.state == WF_APPROVED ||
							p.state == WF_VISAED);
			cr_assert_eq(t, 3);
		}
		if (next == WF_APPROVED) {
			cr_assert_eq(p.state, WF_REVIEWED);
			cr_assert(p.opinion == WF_OPINION_FAVORABLE ||
				  (p.opinion == WF_OPINION_UNFAVORABLE &&
				   r.override_unfavorable && t == 3));
		}
		if (next == WF_VISAED || next == WF_KEPT)
			cr_assert(r.is_public && p.state == WF_APPROVED);
	}
}

Test(why, may_be_null_or_short)
{
	struct wf_proposal p = prop(WF_PROPOSED, WF_OPINION_NONE);
	struct wf_request r = req(WF_ACT_APPROVE, true);
	enum wf_state next = SENTINEL;
	char small[8];

	cr_expect_eq(wf_step(&p, &r, &next, NULL, 0), -EPERM);
	cr_expect_eq(wf_step(&p, &r, &next, NULL, 100), -EPERM);
	cr_expect_eq(next, SENTINEL);

	memset(small, 'x', sizeof(small));
	cr_expect_eq(wf_step(&p, &r, &next, small, sizeof(small)), -EPERM);
	cr_expect_str_eq(small, "the DIM");

	small[0] = 'x';
	cr_expect_eq(wf_step(&p, &r, &next, small, 1), -EPERM);
	cr_expect_eq(small[0], '\0');

	small[0] = 'x';
	cr_expect_eq(wf_step(&p, &r, &next, small, 0), -EPERM);
	cr_expect_eq(small[0], 'x');

	r.action = WF_ACT_WITHDRAW;
	cr_expect_eq(wf_step(&p, &r, &next, NULL, 0), 0);
	cr_expect_eq(next, WF_WITHDRAWN);
}

Test(why, bad_arguments)
{
	struct wf_proposal p = prop(WF_PROPOSED, WF_OPINION_NONE);
	struct wf_request r = req(WF_ACT_WITHDRAW, true);
	enum wf_state next = SENTINEL;
	char why[64];

	cr_expect_eq(wf_step(NULL, &r, &next, why, sizeof(why)), -EINVAL);
	cr_expect_eq(wf_step(&p, NULL, &next, why, sizeof(why)), -EINVAL);
	p.state = WF_N_STATES;
	cr_expect_eq(wf_step(&p, &r, &next, why, sizeof(why)), -EINVAL);
	p.state = WF_PROPOSED;
	r.action = WF_N_ACTIONS;
	cr_expect_eq(wf_step(&p, &r, &next, why, sizeof(why)), -EINVAL);
	expect_sentence(why, "bad action");
	cr_expect_eq(next, SENTINEL);
}

Test(roles, per_action)
{
	cr_expect_eq(wf_action_roles(WF_ACT_OPINION), WF_ROLE_DIM);
	cr_expect_eq(wf_action_roles(WF_ACT_APPROVE), WF_ROLE_DIRECTOR);
	cr_expect_eq(wf_action_roles(WF_ACT_REFUSE), WF_ROLE_DIRECTOR);
	cr_expect_eq(wf_action_roles(WF_ACT_VISA_ELIMINATE), WF_ROLE_ARCHIVES);
	cr_expect_eq(wf_action_roles(WF_ACT_VISA_KEEP), WF_ROLE_ARCHIVES);
	cr_expect_eq(wf_action_roles(WF_ACT_VISA_REJECT), WF_ROLE_ARCHIVES);
	cr_expect_eq(wf_action_roles(WF_ACT_DESTROY),
		     (unsigned)(WF_ROLE_ARCHIVIST | WF_ROLE_DIRECTOR));
	cr_expect_eq(wf_action_roles(WF_ACT_WITHDRAW), WF_ROLE_SYSTEM);
	cr_expect_eq(wf_action_roles(WF_N_ACTIONS), 0);
}

Test(roles, admin_decides_nothing)
{
	for (int a = 0; a < WF_N_ACTIONS; a++)
		cr_expect_eq(wf_action_roles((enum wf_action)a) & WF_ROLE_ADMIN,
			     0, "admin may %s", wf_action_name((enum wf_action)a));
}

Test(names, states)
{
	static const char *const want[WF_N_STATES] = {
		"proposed", "reviewed", "approved",  "refused",
		"visaed",   "kept",     "destroyed", "withdrawn",
	};

	for (int s = 0; s < WF_N_STATES; s++) {
		cr_expect_str_eq(wf_state_name((enum wf_state)s), want[s]);
		cr_expect_eq(wf_state_from_name(want[s]), s);
	}
	cr_expect_null(wf_state_name(WF_N_STATES));
	cr_expect_eq(wf_state_from_name("Proposed"), -EINVAL);
	cr_expect_eq(wf_state_from_name("visa"), -EINVAL);
	cr_expect_eq(wf_state_from_name(""), -EINVAL);
	cr_expect_eq(wf_state_from_name(NULL), -EINVAL);
}

Test(names, opinions)
{
	static const char *const want[] = { "none", "favorable",
					    "unfavorable" };

	for (int o = 0; o < 3; o++) {
		cr_expect_str_eq(wf_opinion_name((enum wf_opinion)o), want[o]);
		cr_expect_eq(wf_opinion_from_name(want[o]), o);
	}
	cr_expect_null(wf_opinion_name((enum wf_opinion)3));
	cr_expect_eq(wf_opinion_from_name("favourable"), -EINVAL);
	cr_expect_eq(wf_opinion_from_name(NULL), -EINVAL);
}

Test(names, actions)
{
	static const char *const want[WF_N_ACTIONS] = {
		"opinion",   "approve",     "refuse",  "visa_eliminate",
		"visa_keep", "visa_reject", "destroy", "withdraw",
	};

	for (int a = 0; a < WF_N_ACTIONS; a++)
		cr_expect_str_eq(wf_action_name((enum wf_action)a), want[a]);
	cr_expect_null(wf_action_name(WF_N_ACTIONS));
}

Test(names, roles)
{
	cr_expect_str_eq(wf_role_name(WF_ROLE_ARCHIVIST), "archivist");
	cr_expect_str_eq(wf_role_name(WF_ROLE_DIM), "dim");
	cr_expect_str_eq(wf_role_name(WF_ROLE_DIRECTOR), "director");
	cr_expect_str_eq(wf_role_name(WF_ROLE_ARCHIVES), "archives");
	cr_expect_str_eq(wf_role_name(WF_ROLE_ADMIN), "admin");
	cr_expect_str_eq(wf_role_name(WF_ROLE_SYSTEM), "system");
	cr_expect_null(wf_role_name((enum wf_role)0));
	cr_expect_null(
		wf_role_name((enum wf_role)(WF_ROLE_DIM | WF_ROLE_DIRECTOR)));
}
