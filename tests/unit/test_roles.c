/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the mapping from Unix users and groups to retentiond roles. */
#include "config.h"

#include <criterion/criterion.h>

#include <string.h>

#include "daemon/conf.h"
#include "daemon/roles.h"

static struct config cfg;

static void setup(void)
{
	cr_assert_eq(config_init_defaults(&cfg), 0);
}

static void teardown(void)
{
	config_fini(&cfg);
}

static void set_role(enum config_role r, const char *list)
{
	free(cfg.roles[r]);
	cfg.roles[r] = strdup(list);
	cfg.roles_set = true;
}

TestSuite(roles, .init = setup, .fini = teardown);

Test(roles, without_a_roles_section_root_and_the_daemon_user_are_admin)
{
	cr_assert_eq(roles_match(&cfg, "root", 0, NULL, 0, 999), WF_ROLE_ADMIN);
	cr_assert_eq(roles_match(&cfg, "retentiond", 999, NULL, 0, 999), WF_ROLE_ADMIN);
	cr_assert_eq(roles_match(&cfg, "alice", 1000, NULL, 0, 999), 0u);
}

Test(roles, users_and_groups_are_matched_exactly)
{
	const char *groups[] = {"staff", "archives-medicales"};
	const char *other[] = {"archives"};

	set_role(ROLE_ARCHIVIST, "alice, @archives-medicales");
	set_role(ROLE_DIM, "drmartin");
	set_role(ROLE_DIRECTOR, "@direction");
	set_role(ROLE_ADMIN, " root ,@retentiond-admins");
	cr_assert_eq(roles_match(&cfg, "alice", 1000, NULL, 0, 999), WF_ROLE_ARCHIVIST);
	cr_assert_eq(roles_match(&cfg, "bob", 1001, groups, 2, 999), WF_ROLE_ARCHIVIST);
	/* A prefix of a name or of a group is not the name. */
	cr_assert_eq(roles_match(&cfg, "alic", 1002, other, 1, 999), 0u);
	cr_assert_eq(roles_match(&cfg, "alicea", 1002, NULL, 0, 999), 0u);
	cr_assert_eq(roles_match(&cfg, "drmartin", 1003, NULL, 0, 999), WF_ROLE_DIM);
	cr_assert_eq(roles_match(&cfg, "root", 0, NULL, 0, 999), WF_ROLE_ADMIN);
	/* A group name is not a user name. */
	cr_assert_eq(roles_match(&cfg, "direction", 1004, NULL, 0, 999), 0u);
	const char *dir[] = {"direction"};
	cr_assert_eq(roles_match(&cfg, "x", 1004, dir, 1, 999), WF_ROLE_DIRECTOR);
}

Test(roles, with_a_roles_section_root_is_only_what_it_lists)
{
	set_role(ROLE_DIRECTOR, "carole");
	cr_assert_eq(roles_match(&cfg, "root", 0, NULL, 0, 999), 0u);
	cr_assert_eq(roles_match(&cfg, "retentiond", 999, NULL, 0, 999), 0u);
}

Test(roles, a_user_may_hold_several_roles)
{
	set_role(ROLE_ARCHIVIST, "alice");
	set_role(ROLE_DIRECTOR, "alice");
	cr_assert_eq(roles_match(&cfg, "alice", 1, NULL, 0, 999),
		     WF_ROLE_ARCHIVIST | WF_ROLE_DIRECTOR);
}

Test(roles, allow_names_the_role_used)
{
	const char *used = NULL;

	cr_assert(roles_allow(WF_ROLE_ARCHIVIST | WF_ROLE_DIRECTOR,
			      WF_ROLE_ARCHIVIST | WF_ROLE_DIRECTOR, &used));
	cr_assert_str_eq(used, "director");
	cr_assert(roles_allow(WF_ROLE_ARCHIVIST, WF_ROLE_ARCHIVIST | WF_ROLE_DIRECTOR, &used));
	cr_assert_str_eq(used, "archivist");
	cr_assert_not(roles_allow(WF_ROLE_ADMIN, WF_ROLE_DIRECTOR, &used));
	cr_assert_not(roles_allow(0, ROLES_ALL, &used));
}

Test(roles, the_workflow_roles_match_the_state_machine)
{
	/* The daemon's command table and the engine must agree. */
	cr_assert_eq(wf_action_roles(WF_ACT_OPINION), (unsigned)WF_ROLE_DIM);
	cr_assert_eq(wf_action_roles(WF_ACT_APPROVE), (unsigned)WF_ROLE_DIRECTOR);
	cr_assert_eq(wf_action_roles(WF_ACT_VISA_ELIMINATE), (unsigned)WF_ROLE_ARCHIVES);
	cr_assert_eq(wf_action_roles(WF_ACT_DESTROY),
		     (unsigned)(WF_ROLE_ARCHIVIST | WF_ROLE_DIRECTOR));
	cr_assert_not(roles_allow(WF_ROLE_ADMIN, wf_action_roles(WF_ACT_APPROVE), NULL));
}

Test(roles, describe)
{
	char buf[128];

	cr_assert_str_eq(roles_describe(0, buf, sizeof(buf)), "none");
	cr_assert_str_eq(roles_describe(WF_ROLE_DIM | WF_ROLE_ADMIN, buf, sizeof(buf)),
			 "dim, admin");
}

Test(roles, resolve_root_from_the_system)
{
	struct caller c;

	roles_resolve(&cfg, 0, 0, &c);
	cr_assert_str_eq(c.user, "root");
	cr_assert_eq(c.roles, WF_ROLE_ADMIN);
	/* A uid nobody has: named by its number, no role. */
	roles_resolve(&cfg, 4000000000u, 4000000000u, &c);
	cr_assert_str_eq(c.user, "uid 4000000000");
	cr_assert_eq(c.roles, 0u);
}
