/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The elimination procedure as a state machine (rules.md, "The elimination
 * procedure"; R1112-7 al. 4; Code du patrimoine L212-2, R212-14): which
 * step may follow which, who takes it, and what is missing when it may
 * not. Pure functions: the store persists the states, the daemon checks the
 * caller's roles; this module only says yes or no, and why.
 *
 *   proposed --opinion--> reviewed --approve--> approved
 *   reviewed --opinion--> reviewed            (the DIM may revise it)
 *   approved --visa eliminate--> visaed       (public establishments)
 *   approved --visa keep--> kept              (kept for ever: sampling)
 *   approved --visa reject--> refused         (the archives refuse the line)
 *   approved --destroy--> destroyed           (private: no visa)
 *   visaed   --destroy--> destroyed           (public)
 *   proposed, reviewed, approved, visaed --refuse--> refused (director)
 *   proposed, reviewed, approved, visaed --withdraw--> withdrawn
 *            (the dossier is no longer eligible; automatic)
 *
 * refused, kept, destroyed and withdrawn are final.
 */
#ifndef RETENTIOND_ENGINE_WORKFLOW_H
#define RETENTIOND_ENGINE_WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>

enum wf_state {
	WF_PROPOSED = 0,
	WF_REVIEWED,
	WF_APPROVED,
	WF_REFUSED,
	WF_VISAED,
	WF_KEPT,
	WF_DESTROYED,
	WF_WITHDRAWN,
	WF_N_STATES,
};

enum wf_opinion {
	WF_OPINION_NONE = 0,
	WF_OPINION_FAVORABLE,
	WF_OPINION_UNFAVORABLE,
};

enum wf_action {
	WF_ACT_OPINION,       /* DIM physician: favourable or unfavourable */
	WF_ACT_APPROVE,       /* director */
	WF_ACT_REFUSE,        /* director */
	WF_ACT_VISA_ELIMINATE, /* archives administration */
	WF_ACT_VISA_KEEP,
	WF_ACT_VISA_REJECT,
	WF_ACT_DESTROY,       /* archivist or director: certificate recorded */
	WF_ACT_WITHDRAW,      /* the system: no longer eligible */
	WF_N_ACTIONS,
};

/* Roles of interfaces.md ("[roles]"), as a bit set. */
enum wf_role {
	WF_ROLE_ARCHIVIST = 1 << 0,
	WF_ROLE_DIM = 1 << 1,
	WF_ROLE_DIRECTOR = 1 << 2,
	WF_ROLE_ARCHIVES = 1 << 3,
	WF_ROLE_ADMIN = 1 << 4,
	WF_ROLE_SYSTEM = 1 << 5, /* the daemon itself (withdrawals) */
};

/* What is known of a proposal when a step is asked for. */
struct wf_proposal {
	enum wf_state state;
	enum wf_opinion opinion;
	/* Re-checked from current data just before the step: a dossier no
	 * longer eligible can only be withdrawn. */
	bool eligible;
};

struct wf_request {
	enum wf_action action;
	enum wf_opinion opinion;      /* WF_ACT_OPINION */
	bool override_unfavorable;    /* WF_ACT_APPROVE */
	const char *reason;           /* refuse; approve with override */
	const char *reference;        /* visa reference; destroy certificate */
	bool is_public;               /* [establishment] public */
};

/*
 * Decide one step. Returns 0 and *next, or -EPERM with one sentence in
 * why[] saying what is missing (e.g. "the DIM physician has not given an
 * opinion yet"); -EINVAL when the request itself lacks a required field
 * (reason, reference, opinion). `why` may be NULL.
 */
int wf_step(const struct wf_proposal *p, const struct wf_request *r,
	    enum wf_state *next, char *why, size_t whylen);

/* Roles allowed to ask for an action (a bit set of enum wf_role). */
unsigned wf_action_roles(enum wf_action a);

/* True for refused, kept, destroyed, withdrawn. */
bool wf_state_is_final(enum wf_state s);

/* Stable names: "proposed"..., "favorable"/"unfavorable"/"none",
 * "opinion"..., "archivist"... Parsing returns -EINVAL when unknown; a
 * value out of range (or not one role bit) has no name: NULL. */
const char *wf_state_name(enum wf_state s);
int wf_state_from_name(const char *name);
const char *wf_opinion_name(enum wf_opinion o);
int wf_opinion_from_name(const char *name);
const char *wf_action_name(enum wf_action a);
const char *wf_role_name(enum wf_role r); /* one bit */

#endif
