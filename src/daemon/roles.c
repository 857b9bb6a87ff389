/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Role resolution. A [roles] entry lists Unix users and @groups separated
 * by commas; membership is the user's primary group and supplementary
 * groups as the system's group database has them.
 */
#include "config.h"

#include "daemon/roles.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_GROUPS 256

static const struct {
	enum config_role conf;
	enum wf_role bit;
} role_map[ROLE_COUNT] = {
	{ROLE_ARCHIVIST, WF_ROLE_ARCHIVIST}, {ROLE_DIM, WF_ROLE_DIM},
	{ROLE_DIRECTOR, WF_ROLE_DIRECTOR},   {ROLE_ARCHIVES, WF_ROLE_ARCHIVES},
	{ROLE_ADMIN, WF_ROLE_ADMIN},
};

/* Whether the comma-separated list names the user or one of its groups. */
static bool listed(const char *list, const char *user, const char *const *groups,
		   size_t n_groups)
{
	const char *p = list;

	while (p && *p) {
		p += strspn(p, " \t,");
		size_t n = strcspn(p, ",");
		size_t len = n;
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len > 1 && p[0] == '@') {
			for (size_t g = 0; g < n_groups; g++)
				if (strlen(groups[g]) == len - 1 &&
				    memcmp(groups[g], p + 1, len - 1) == 0)
					return true;
		} else if (len > 0 && strlen(user) == len && memcmp(user, p, len) == 0) {
			return true;
		}
		p += n;
	}
	return false;
}

unsigned roles_match(const struct config *cfg, const char *user, uid_t uid,
		     const char *const *groups, size_t n_groups, uid_t daemon_uid)
{
	unsigned roles = 0;

	if (!cfg->roles_set)
		return (uid == 0 || uid == daemon_uid) ? WF_ROLE_ADMIN : 0;
	for (size_t i = 0; i < ROLE_COUNT; i++) {
		const char *list = cfg->roles[role_map[i].conf];
		if (list && listed(list, user, groups, n_groups))
			roles |= role_map[i].bit;
	}
	return roles;
}

void roles_resolve(const struct config *cfg, uid_t uid, gid_t gid,
		   struct caller *out)
{
	struct passwd pw, *pwp = NULL;
	char buf[16384];
	gid_t gids[MAX_GROUPS];
	int n = MAX_GROUPS;
	char *names[MAX_GROUPS] = {NULL};
	size_t n_names = 0;

	memset(out, 0, sizeof(*out));
	out->uid = uid;
	out->gid = gid;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp) {
		snprintf(out->user, sizeof(out->user), "uid %u", (unsigned)uid);
		out->roles = roles_match(cfg, "", uid, NULL, 0, geteuid());
		return;
	}
	snprintf(out->user, sizeof(out->user), "%s", pw.pw_name);
	if (getgrouplist(pw.pw_name, gid, gids, &n) < 0)
		n = MAX_GROUPS; /* more groups than room: the first ones */
	for (int i = 0; i < n && n_names < MAX_GROUPS; i++) {
		struct group gr, *grp = NULL;
		char gbuf[16384];
		if (getgrgid_r(gids[i], &gr, gbuf, sizeof(gbuf), &grp) == 0 && grp) {
			names[n_names] = strdup(gr.gr_name);
			if (names[n_names])
				n_names++;
		}
	}
	out->roles = roles_match(cfg, out->user, uid, (const char *const *)names,
				 n_names, geteuid());
	for (size_t i = 0; i < n_names; i++)
		free(names[i]);
}

bool roles_allow(unsigned have, unsigned need, const char **used)
{
	static const enum wf_role order[] = {WF_ROLE_DIRECTOR, WF_ROLE_DIM,
					     WF_ROLE_ARCHIVES, WF_ROLE_ARCHIVIST,
					     WF_ROLE_ADMIN};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (have & need & order[i]) {
			if (used)
				*used = wf_role_name(order[i]);
			return true;
		}
	}
	return false;
}

const char *roles_describe(unsigned roles, char *buf, size_t len)
{
	static const enum wf_role all[] = {WF_ROLE_ARCHIVIST, WF_ROLE_DIM,
					   WF_ROLE_DIRECTOR, WF_ROLE_ARCHIVES,
					   WF_ROLE_ADMIN};
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!(roles & all[i]))
			continue;
		int w = snprintf(buf + o, len - o, "%s%s", o ? ", " : "", wf_role_name(all[i]));
		if (w < 0 || (size_t)w >= len - o)
			break;
		o += (size_t)w;
	}
	if (!o)
		snprintf(buf, len, "none");
	return buf;
}
