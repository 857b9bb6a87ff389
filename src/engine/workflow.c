/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The elimination procedure as a pure state machine (workflow.h): given a
 * proposal's state and a requested step, say whether the step is lawful and,
 * when it is not, what is missing, in one sentence. Checks run in a fixed
 * order: the request's own fields (-EINVAL, the same answer for every
 * proposal of a batch), then final states, eligibility, the establishment
 * kind and the state (-EPERM). No I/O, no allocation, no mutable state.
 */
#include "config.h"

#include "engine/workflow.h"

#include <errno.h>
#include <string.h>

static const char *const state_names[WF_N_STATES] = {
	[WF_PROPOSED] = "proposed",
	[WF_REVIEWED] = "reviewed",
	[WF_APPROVED] = "approved",
	[WF_REFUSED] = "refused",
	[WF_VISAED] = "visaed",
	[WF_KEPT] = "kept",
	[WF_DESTROYED] = "destroyed",
	[WF_WITHDRAWN] = "withdrawn",
};

static const char *const opinion_names[] = {
	[WF_OPINION_NONE] = "none",
	[WF_OPINION_FAVORABLE] = "favorable",
	[WF_OPINION_UNFAVORABLE] = "unfavorable",
};

#define N_OPINIONS (sizeof(opinion_names) / sizeof(opinion_names[0]))

static const char *const action_names[WF_N_ACTIONS] = {
	[WF_ACT_OPINION] = "opinion",
	[WF_ACT_APPROVE] = "approve",
	[WF_ACT_REFUSE] = "refuse",
	[WF_ACT_VISA_ELIMINATE] = "visa_eliminate",
	[WF_ACT_VISA_KEEP] = "visa_keep",
	[WF_ACT_VISA_REJECT] = "visa_reject",
	[WF_ACT_DESTROY] = "destroy",
	[WF_ACT_WITHDRAW] = "withdraw",
};

/* interfaces.md, "Workflow commands": no action lists ADMIN. */
static const unsigned action_roles[WF_N_ACTIONS] = {
	[WF_ACT_OPINION] = WF_ROLE_DIM,
	[WF_ACT_APPROVE] = WF_ROLE_DIRECTOR,
	[WF_ACT_REFUSE] = WF_ROLE_DIRECTOR,
	[WF_ACT_VISA_ELIMINATE] = WF_ROLE_ARCHIVES,
	[WF_ACT_VISA_KEEP] = WF_ROLE_ARCHIVES,
	[WF_ACT_VISA_REJECT] = WF_ROLE_ARCHIVES,
	[WF_ACT_DESTROY] = WF_ROLE_ARCHIVIST | WF_ROLE_DIRECTOR,
	[WF_ACT_WITHDRAW] = WF_ROLE_SYSTEM,
};

static const struct {
	enum wf_role role;
	const char *name;
} role_names[] = {
	{ WF_ROLE_ARCHIVIST, "archivist" },
	{ WF_ROLE_DIM, "dim" },
	{ WF_ROLE_DIRECTOR, "director" },
	{ WF_ROLE_ARCHIVES, "archives" },
	{ WF_ROLE_ADMIN, "admin" },
	{ WF_ROLE_SYSTEM, "system" },
};

/* Why nothing more can happen to a proposal in a final state. */
static const char *const final_why[WF_N_STATES] = {
	[WF_REFUSED] = "the elimination was refused, which is final",
	[WF_KEPT] = "the archives administration selected this dossier to "
		    "keep for ever, which is final",
	[WF_DESTROYED] = "the dossier has already been destroyed",
	[WF_WITHDRAWN] = "the proposal was withdrawn because the dossier was "
			 "no longer eligible, which is final",
};

#define WHY_NOT_ELIGIBLE                                                   \
	"the dossier is no longer eligible for elimination (its facts "    \
	"changed since the proposal): it can only be withdrawn"
#define WHY_NO_OPINION                                                     \
	"the DIM physician has not given an opinion yet (R1112-7: the "    \
	"director decides after the DIM's opinion)"
#define WHY_NOT_APPROVED                                                   \
	"the director has not approved the elimination yet"
#define WHY_NO_VISA                                                        \
	"the archives administration has not given its visa (Code du "     \
	"patrimoine R212-14: no elimination without it)"

static int say(char *why, size_t whylen, int rc, const char *msg)
{
	if (why != NULL && whylen > 0) {
		size_t n = strlen(msg);

		if (n >= whylen)
			n = whylen - 1;
		memcpy(why, msg, n);
		why[n] = '\0';
	}
	return rc;
}

/* A reason or reference of blanks only proves nothing: treat it as absent. */
static bool blank(const char *s)
{
	if (s == NULL)
		return true;
	for (; *s != '\0'; s++)
		if (strchr(" \t\r\n\v\f", *s) == NULL)
			return false;
	return true;
}

/* The request's own completeness, whatever the proposal. */
static const char *request_missing(const struct wf_request *r)
{
	switch (r->action) {
	case WF_ACT_OPINION:
		if (r->opinion != WF_OPINION_FAVORABLE &&
		    r->opinion != WF_OPINION_UNFAVORABLE)
			return "an opinion must be favorable or unfavorable";
		return NULL;
	case WF_ACT_APPROVE:
		if (r->override_unfavorable && blank(r->reason))
			return "overriding the DIM's unfavourable opinion "
			       "needs a reason";
		return NULL;
	case WF_ACT_REFUSE:
		if (blank(r->reason))
			return "refusing an elimination needs a reason";
		return NULL;
	case WF_ACT_VISA_ELIMINATE:
	case WF_ACT_VISA_KEEP:
	case WF_ACT_VISA_REJECT:
		if (blank(r->reference))
			return "a visa needs the reference of the visaed "
			       "bordereau";
		return NULL;
	case WF_ACT_DESTROY:
		if (blank(r->reference))
			return "a destruction needs the reference of its "
			       "certificate (proces-verbal de destruction)";
		return NULL;
	case WF_ACT_WITHDRAW:
	case WF_N_ACTIONS:
		break;
	}
	return NULL;
}

static int opinion_step(const struct wf_proposal *p, enum wf_state *to,
			const char **why)
{
	switch (p->state) {
	case WF_PROPOSED:
	case WF_REVIEWED: /* a revision: the latest opinion counts */
		*to = WF_REVIEWED;
		return 0;
	default:
		*why = "the director has already decided: the DIM's opinion "
		       "can no longer be changed";
		return -EPERM;
	}
}

static int approve_step(const struct wf_proposal *p, const struct wf_request *r,
			enum wf_state *to, const char **why)
{
	switch (p->state) {
	case WF_PROPOSED:
		*why = WHY_NO_OPINION;
		return -EPERM;
	case WF_REVIEWED:
		break;
	case WF_APPROVED:
		*why = "the director has already approved the elimination";
		return -EPERM;
	default: /* WF_VISAED */
		*why = "the director has already approved the elimination "
		       "and the archives administration has given its visa";
		return -EPERM;
	}
	switch (p->opinion) {
	case WF_OPINION_FAVORABLE:
		break;
	case WF_OPINION_UNFAVORABLE:
		/* A blank reason was refused with the request already. */
		if (!r->override_unfavorable) {
			*why = "the DIM's opinion is unfavourable: approving "
			       "needs --override-unfavorable and a reason";
			return -EPERM;
		}
		break;
	default: /* reviewed without an opinion: inconsistent, stay safe */
		*why = WHY_NO_OPINION;
		return -EPERM;
	}
	*to = WF_APPROVED;
	return 0;
}

static int visa_step(const struct wf_proposal *p, const struct wf_request *r,
		     enum wf_state *to, const char **why)
{
	if (!r->is_public) {
		*why = "the establishment is not public: no visa of the "
		       "archives administration is needed";
		return -EPERM;
	}
	switch (p->state) {
	case WF_PROPOSED:
	case WF_REVIEWED:
		*why = WHY_NOT_APPROVED;
		return -EPERM;
	case WF_APPROVED:
		break;
	default: /* WF_VISAED */
		*why = "the archives administration has already given its visa";
		return -EPERM;
	}
	switch (r->action) {
	case WF_ACT_VISA_ELIMINATE:
		*to = WF_VISAED;
		break;
	case WF_ACT_VISA_KEEP:
		*to = WF_KEPT;
		break;
	default: /* WF_ACT_VISA_REJECT */
		*to = WF_REFUSED;
		break;
	}
	return 0;
}

static int destroy_step(const struct wf_proposal *p, const struct wf_request *r,
			enum wf_state *to, const char **why)
{
	switch (p->state) {
	case WF_PROPOSED:
		*why = "the DIM physician has not given an opinion and the "
		       "director has not approved the elimination yet";
		return -EPERM;
	case WF_REVIEWED:
		*why = WHY_NOT_APPROVED;
		return -EPERM;
	case WF_APPROVED:
		if (r->is_public) {
			*why = WHY_NO_VISA;
			return -EPERM;
		}
		break;
	default: /* WF_VISAED: only reachable when public, harmless if not */
		break;
	}
	*to = WF_DESTROYED;
	return 0;
}

int wf_step(const struct wf_proposal *p, const struct wf_request *r,
	    enum wf_state *next, char *why, size_t whylen)
{
	const char *msg = NULL;
	enum wf_state to = WF_N_STATES;
	int rc;

	if (p == NULL || r == NULL ||
	    (unsigned)p->state >= (unsigned)WF_N_STATES ||
	    (unsigned)r->action >= (unsigned)WF_N_ACTIONS)
		return say(why, whylen, -EINVAL, "invalid proposal or request");

	msg = request_missing(r);
	if (msg != NULL)
		return say(why, whylen, -EINVAL, msg);

	if (wf_state_is_final(p->state))
		return say(why, whylen, -EPERM, final_why[p->state]);

	if (!p->eligible && r->action != WF_ACT_WITHDRAW)
		return say(why, whylen, -EPERM, WHY_NOT_ELIGIBLE);

	switch (r->action) {
	case WF_ACT_OPINION:
		rc = opinion_step(p, &to, &msg);
		break;
	case WF_ACT_APPROVE:
		rc = approve_step(p, r, &to, &msg);
		break;
	case WF_ACT_REFUSE:
		/* Not eliminating is the safe direction: allowed until the
		 * end, even after an approval or a visa. */
		to = WF_REFUSED;
		rc = 0;
		break;
	case WF_ACT_DESTROY:
		rc = destroy_step(p, r, &to, &msg);
		break;
	case WF_ACT_WITHDRAW:
		to = WF_WITHDRAWN;
		rc = 0;
		break;
	default:
		rc = visa_step(p, r, &to, &msg);
		break;
	}
	if (rc < 0)
		return say(why, whylen, rc, msg);
	if (next != NULL)
		*next = to;
	return say(why, whylen, 0, "");
}

unsigned wf_action_roles(enum wf_action a)
{
	if ((unsigned)a >= (unsigned)WF_N_ACTIONS)
		return 0;
	return action_roles[a];
}

bool wf_state_is_final(enum wf_state s)
{
	return s == WF_REFUSED || s == WF_KEPT || s == WF_DESTROYED ||
	       s == WF_WITHDRAWN;
}

const char *wf_state_name(enum wf_state s)
{
	if ((unsigned)s >= (unsigned)WF_N_STATES)
		return NULL;
	return state_names[s];
}

int wf_state_from_name(const char *name)
{
	if (name == NULL)
		return -EINVAL;
	for (int i = 0; i < WF_N_STATES; i++)
		if (strcmp(name, state_names[i]) == 0)
			return i;
	return -EINVAL;
}

const char *wf_opinion_name(enum wf_opinion o)
{
	if ((unsigned)o >= N_OPINIONS)
		return NULL;
	return opinion_names[o];
}

int wf_opinion_from_name(const char *name)
{
	if (name == NULL)
		return -EINVAL;
	for (size_t i = 0; i < N_OPINIONS; i++)
		if (strcmp(name, opinion_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

const char *wf_action_name(enum wf_action a)
{
	if ((unsigned)a >= (unsigned)WF_N_ACTIONS)
		return NULL;
	return action_names[a];
}

const char *wf_role_name(enum wf_role r)
{
	for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (role_names[i].role == r)
			return role_names[i].name;
	return NULL;
}
