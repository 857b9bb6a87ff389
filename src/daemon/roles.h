/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Who is calling, and with which roles: the Unix user and groups the
 * kernel gives for a connection (SO_PEERCRED), mapped to the roles of the
 * [roles] section. Nothing the client says about itself is believed.
 */
#ifndef RETENTIOND_DAEMON_ROLES_H
#define RETENTIOND_DAEMON_ROLES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "daemon/conf.h"
#include "engine/workflow.h"

#define ROLES_ALL (WF_ROLE_ARCHIVIST | WF_ROLE_DIM | WF_ROLE_DIRECTOR | \
		   WF_ROLE_ARCHIVES | WF_ROLE_ADMIN)

struct caller {
	uid_t uid;
	gid_t gid;
	char user[64];   /* "uid 1234" when the uid has no name */
	unsigned roles;  /* enum wf_role bits */
};

/*
 * The roles of a user named user (uid), member of groups[0..n), under cfg.
 * Pure (no system lookup), for tests. daemon_uid: the daemon's own uid,
 * admin like root when the configuration has no [roles] section.
 */
unsigned roles_match(const struct config *cfg, const char *user, uid_t uid,
		     const char *const *groups, size_t n_groups, uid_t daemon_uid);

/* Look the uid up (passwd, group) and fill *out. Never fails: an unknown
 * uid simply has the roles its number gives (none, or admin as root). */
void roles_resolve(const struct config *cfg, uid_t uid, gid_t gid,
		   struct caller *out);

/*
 * Whether have allows something needing one of need; *used = the name of
 * the role that allows it (the first of need's roles the caller has, in
 * the order director, dim, archives, archivist, admin).
 */
bool roles_allow(unsigned have, unsigned need, const char **used);

/* "archivist, dim" (or "none"). */
const char *roles_describe(unsigned roles, char *buf, size_t len);

#endif
