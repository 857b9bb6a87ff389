/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * retentiond.conf: a typed table of sections and keys with their defaults
 * and ranges (in the manner of Knot DNS's schema). Parsing is all or
 * nothing: the first error names the file, line and key, and the caller's
 * configuration is left untouched.
 */
#ifndef RETENTIOND_DAEMON_CONF_H
#define RETENTIOND_DAEMON_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "engine/engine.h"

#define CONFIG_DEFAULT_PATH SYSCONFDIR "/retentiond/retentiond.conf"
#define CONFIG_DEFAULT_DATABASE LOCALSTATEDIR "/lib/retentiond/retention.db"
#define CONFIG_DEFAULT_SOCKET RUNSTATEDIR "/retentiond/retentiond.sock"

/* [report] starttls: how smtp:// protects the session (smtps:// is TLS
 * from the first byte whatever this says). */
enum config_starttls {
	STARTTLS_REQUIRED,      /* STARTTLS or no mail (the default) */
	STARTTLS_OPPORTUNISTIC, /* STARTTLS when the server offers it */
	STARTTLS_NO,            /* plain text (a relay on the same host) */
};

enum config_role {
	ROLE_ARCHIVIST,
	ROLE_DIM,
	ROLE_DIRECTOR,
	ROLE_ARCHIVES,
	ROLE_ADMIN,
	ROLE_COUNT,
};

struct config {
	char *path; /* file read, or NULL for the embedded defaults */
	/* [daemon] */
	char *database;
	char *socket;
	mode_t socket_mode;
	unsigned max_connections;
	/* [establishment] */
	char *name;
	char *service; /* producing service, on the bordereau */
	char *finess;
	bool is_public;
	char *timezone; /* NULL: the system's */
	/* [policy] and [kinds] */
	struct engine_policy policy;
	/* [import] */
	unsigned max_errors;
	char *spool; /* NULL: no spool directory */
	/* [schedule] */
	int scan_at; /* minutes after local midnight; -1: off */
	int report_at; /* the nightly report, likewise (report.c) */
	/* [report]: sending the nightly report (mailer.c) */
	char *report_smtp_url;       /* NULL: no mail is sent (kept queued) */
	char *report_from;           /* NULL until set */
	char *report_to;             /* "a, b": the addresses, normalised */
	char **report_to_list;       /* the same one by one */
	size_t report_n_to;
	enum config_starttls report_starttls;
	char *report_username;       /* NULL: no AUTH */
	char *report_password_file;  /* the password: its first line */
	char *report_cafile;         /* NULL: the system's CAs */
	unsigned report_timeout;     /* seconds, per attempt */
	unsigned report_retry_min;   /* seconds before the 2nd attempt, doubled */
	unsigned report_retry_max;   /* after each failure up to this */
	char report_language[4];     /* "fr" (the default) or "en" */
	/* [roles]: comma-separated users and @groups, as written */
	char *roles[ROLE_COUNT];
	bool roles_set;
};

/* The embedded defaults (what runs without a configuration file). */
int config_init_defaults(struct config *cfg);

/*
 * Read path over the defaults. On error returns a negative errno, leaves
 * *cfg untouched and writes one sentence into err: "FILE:LINE: ...".
 */
int config_load(const char *path, struct config *cfg, char *err,
		size_t errlen);

void config_fini(struct config *cfg);

const char *config_role_name(enum config_role r);

/* A stable digest of what changes computed results (the policy), so the
 * daemon knows when every dossier must be recomputed. A buffer of
 * CONFIG_FINGERPRINT_SIZE holds that of any policy whole: "g m d t" then
 * " NAME:YEARS[s]" per kind, years at most 3 digits (ENGINE_MAX_YEARS). A
 * shorter one cuts it, and a policy change in the kinds cut off would go
 * unseen (no recompute). */
#define CONFIG_FINGERPRINT_SIZE                                             \
	(sizeof("g200 m200 d200 t200") +                                    \
	 ENGINE_MAX_KINDS * (sizeof(" :200s") - 1 + ENGINE_KIND_NAME_MAX - 1))
void config_policy_fingerprint(const struct config *cfg, char *out,
			       size_t outlen);

#endif
