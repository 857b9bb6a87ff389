/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of retentiond.conf parsing: defaults, every key, the errors
 * (FILE:LINE and key, legal minimums) and the all-or-nothing load.
 */
#include "config.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/conf.h"
#include "engine/engine.h"

static char dir[64];
static char path[128];
static struct config cfg;
static char err[1024];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test-conf-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/retentiond.conf", dir);
	cr_assert_eq(config_init_defaults(&cfg), 0);
	err[0] = '\0';
}

static void teardown(void)
{
	config_fini(&cfg);
	unlink(path);
	rmdir(dir);
}

TestSuite(conf, .init = setup, .fini = teardown);

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	cr_assert_eq(fputs(text, f) >= 0, true);
	cr_assert_eq(fclose(f), 0);
}

/* Load text into cfg; it must succeed. */
static void load_ok(const char *text)
{
	write_file(text);
	int rc = config_load(path, &cfg, err, sizeof(err));
	cr_assert_eq(rc, 0, "load failed (%d): %s\n--- file:\n%s", rc, err, text);
	cr_assert_str_eq(cfg.path, path);
}

/*
 * Load text into cfg; it must fail with -EINVAL, leave cfg exactly as it
 * was, and say "PATH:LINE: " then a message holding every `want` string.
 */
static void load_fails(const char *text, int line, ...)
{
	struct config before;
	char prefix[200];
	va_list ap;

	memcpy(&before, &cfg, sizeof(cfg));
	write_file(text);
	int rc = config_load(path, &cfg, err, sizeof(err));
	cr_assert_eq(rc, -EINVAL, "accepted (%d) --- file:\n%s", rc, text);
	cr_assert_eq(memcmp(&before, &cfg, sizeof(cfg)), 0,
		     "the caller's config was modified by a failed load");
	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	cr_assert_eq(strncmp(err, prefix, strlen(prefix)), 0,
		     "error '%s' does not start with '%s'", err, prefix);
	va_start(ap, line);
	for (const char *w = va_arg(ap, const char *); w; w = va_arg(ap, const char *))
		cr_assert_not_null(strstr(err, w), "error '%s' does not mention '%s'",
				   err, w);
	va_end(ap);
}

static const char *fingerprint(const struct config *c)
{
	static char fp[2][2048];
	static int which;

	which ^= 1;
	config_policy_fingerprint(c, fp[which], sizeof(fp[which]));
	return fp[which];
}

/* ------------------------------------------------------------ defaults */

Test(conf, defaults)
{
	cr_assert_null(cfg.path);
	cr_assert_str_eq(cfg.database, CONFIG_DEFAULT_DATABASE);
	cr_assert_str_eq(cfg.socket, CONFIG_DEFAULT_SOCKET);
	cr_assert_eq(cfg.socket_mode, 0660);
	cr_assert_gt(cfg.max_connections, 0);
	cr_assert_not_null(cfg.name);
	cr_assert_not_null(cfg.finess);
	cr_assert_null(cfg.timezone, "default: the system's time zone");
	cr_assert_gt(cfg.max_errors, 0);
	cr_assert_not(cfg.roles_set, "no [roles]: root and the daemon's user are admin");
	for (int r = 0; r < ROLE_COUNT; r++)
		cr_assert_null(cfg.roles[r]);
	/* The legal minimums of CSP R1112-7. */
	cr_assert_eq(cfg.policy.general_years, 20);
	cr_assert_eq(cfg.policy.minor_age, 28);
	cr_assert_eq(cfg.policy.death_years, 10);
	cr_assert_eq(cfg.policy.transfusion_years, 30);
	cr_assert_eq(cfg.policy.n_kinds, 3);
	cr_assert_geq(engine_policy_kind_find(&cfg.policy, "stay"), 0);
	cr_assert_geq(engine_policy_kind_find(&cfg.policy, "consultation"), 0);
	cr_assert_geq(engine_policy_kind_find(&cfg.policy, "emergency"), 0);
	cr_assert(cfg.policy.kinds[engine_policy_kind_find(&cfg.policy, "stay")].is_stay);
}

Test(conf, role_names)
{
	cr_assert_str_eq(config_role_name(ROLE_ARCHIVIST), "archivist");
	cr_assert_str_eq(config_role_name(ROLE_DIM), "dim");
	cr_assert_str_eq(config_role_name(ROLE_DIRECTOR), "director");
	cr_assert_str_eq(config_role_name(ROLE_ARCHIVES), "archives");
	cr_assert_str_eq(config_role_name(ROLE_ADMIN), "admin");
}

Test(conf, empty_file_keeps_the_defaults)
{
	struct config ref;

	cr_assert_eq(config_init_defaults(&ref), 0);
	load_ok("; nothing but a comment\n\n");
	cr_assert_str_eq(cfg.database, ref.database);
	cr_assert_str_eq(cfg.socket, ref.socket);
	cr_assert_eq(cfg.socket_mode, ref.socket_mode);
	cr_assert_str_eq(fingerprint(&cfg), fingerprint(&ref));
	config_fini(&ref);
}

/* The shipped sample says it shows every key with its default. */
Test(conf, sample_file_is_the_defaults)
{
	char sample[512];
	const char *srcdir = getenv("TESTS_SRCDIR");
	struct config ref;

	if (srcdir)
		snprintf(sample, sizeof(sample), "%s/../etc/retentiond.conf", srcdir);
	else
		snprintf(sample, sizeof(sample), "%.*s/../../etc/retentiond.conf",
			 (int)(strrchr(__FILE__, '/') - __FILE__), __FILE__);
	if (access(sample, R_OK) != 0)
		cr_skip_test("sample %s not found", sample);
	cr_assert_eq(config_init_defaults(&ref), 0);
	cr_assert_eq(config_load(sample, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.socket_mode, ref.socket_mode);
	cr_assert_eq(cfg.max_connections, ref.max_connections);
	cr_assert_str_eq(cfg.name, ref.name);
	cr_assert_str_eq(cfg.finess, ref.finess);
	cr_assert_eq(cfg.is_public, ref.is_public);
	cr_assert_eq(cfg.max_errors, ref.max_errors);
	cr_assert_str_eq(fingerprint(&cfg), fingerprint(&ref));
	cr_assert_not(cfg.roles_set);
	config_fini(&ref);
}

/* The examples of shared/design/interfaces.md, with their inline comments
 * ([report] is not implemented yet, so it is left out). */
Test(conf, interfaces_example)
{
	load_ok("[daemon]\n"
		"database    = /var/lib/retentiond/retention.db   ; SQLite file, created if missing\n"
		"socket      = /run/retentiond/retentiond.sock    ; admin socket\n"
		"socket_mode = 0660                               ; octal; who may connect at all\n"
		"                                                 ; (roles decide what they may do)\n"
		"[establishment]\n"
		"name   = Centre hospitalier de Exemple\n"
		"finess = 123456789\n"
		"public = yes          ; public or taking part in the public hospital service:\n"
		"                      ; eliminations need the archives' visa\n"
		"[roles]                       ; Unix users, or @groups, comma separated\n"
		"archivist = alice, @archives-medicales\n"
		"dim       = drmartin\n"
		"director  = @direction\n"
		"archives  = adarchiviste      ; the Archives d\xC3\xA9partementales' delegate\n"
		"admin     = root, @retentiond-admins\n");
	cr_assert_str_eq(cfg.database, "/var/lib/retentiond/retention.db");
	cr_assert_str_eq(cfg.socket, "/run/retentiond/retentiond.sock");
	cr_assert_eq(cfg.socket_mode, 0660);
	cr_assert_str_eq(cfg.name, "Centre hospitalier de Exemple");
	cr_assert_str_eq(cfg.finess, "123456789");
	cr_assert(cfg.is_public);
	cr_assert(cfg.roles_set);
	cr_assert_str_eq(cfg.roles[ROLE_ARCHIVIST], "alice, @archives-medicales");
	cr_assert_str_eq(cfg.roles[ROLE_DIM], "drmartin");
	cr_assert_str_eq(cfg.roles[ROLE_DIRECTOR], "@direction");
	cr_assert_str_eq(cfg.roles[ROLE_ARCHIVES], "adarchiviste");
	cr_assert_str_eq(cfg.roles[ROLE_ADMIN], "root, @retentiond-admins");
}

/* ------------------------------------------------------------ every key */

Test(conf, every_key)
{
	load_ok("[daemon]\n"
		"database = /srv/ret/r.db\n"
		"socket = /srv/ret/r.sock\n"
		"socket_mode = 0600\n"
		"max_connections = 8\n"
		"[establishment]\n"
		"name = CH de Montb\xC3\xA9liard\n"
		"finess = 250000015\n"
		"public = no\n"
		"timezone = Europe/Paris\n"
		"[policy]\n"
		"general_years = 25\n"
		"minor_age = 30\n"
		"death_years = 12\n"
		"transfusion_years = 40\n"
		"[kinds]\n"
		"radiotherapy = 35\n"
		"[import]\n"
		"max_errors = 7\n"
		"[roles]\n"
		"archivist = alice, @archives\n"
		"dim = drmartin\n"
		"director = @direction\n"
		"archives = ad25\n"
		"admin = root\n");
	cr_assert_str_eq(cfg.database, "/srv/ret/r.db");
	cr_assert_str_eq(cfg.socket, "/srv/ret/r.sock");
	cr_assert_eq(cfg.socket_mode, 0600);
	cr_assert_eq(cfg.max_connections, 8);
	cr_assert_str_eq(cfg.name, "CH de Montb\xC3\xA9liard");
	cr_assert_str_eq(cfg.finess, "250000015");
	cr_assert_not(cfg.is_public);
	cr_assert_str_eq(cfg.timezone, "Europe/Paris");
	cr_assert_eq(cfg.policy.general_years, 25);
	cr_assert_eq(cfg.policy.minor_age, 30);
	cr_assert_eq(cfg.policy.death_years, 12);
	cr_assert_eq(cfg.policy.transfusion_years, 40);
	int k = engine_policy_kind_find(&cfg.policy, "radiotherapy");
	cr_assert_geq(k, 3, "a new kind comes after the built-ins");
	cr_assert_eq(engine_policy_kind_years(&cfg.policy, k), 35);
	cr_assert_not(cfg.policy.kinds[k].is_stay);
	cr_assert_eq(cfg.max_errors, 7);
	cr_assert(cfg.roles_set);
	cr_assert_str_eq(cfg.roles[ROLE_ARCHIVIST], "alice, @archives");
	cr_assert_str_eq(cfg.roles[ROLE_DIM], "drmartin");
	cr_assert_str_eq(cfg.roles[ROLE_DIRECTOR], "@direction");
	cr_assert_str_eq(cfg.roles[ROLE_ARCHIVES], "ad25");
	cr_assert_str_eq(cfg.roles[ROLE_ADMIN], "root");
}

Test(conf, socket_mode_forms)
{
	load_ok("[daemon]\nsocket_mode = 0666\n");
	cr_assert_eq(cfg.socket_mode, 0666);
	load_ok("[daemon]\nsocket_mode = 600\n");
	cr_assert_eq(cfg.socket_mode, 0600, "read as octal even without the 0");
	load_ok("[daemon]\nsocket_mode = 0\n");
	cr_assert_eq(cfg.socket_mode, 0);
	load_ok("[daemon]\nsocket_mode = 0777\n");
	cr_assert_eq(cfg.socket_mode, 0777);
}

Test(conf, booleans)
{
	static const char *const yes[] = {"yes", "Yes", "TRUE", "on", "1"};
	static const char *const no[] = {"no", "NO", "false", "Off", "0"};
	char text[128];

	for (size_t i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "[establishment]\npublic = %s\n", no[i]);
		load_ok(text);
		cr_assert_not(cfg.is_public, "%s", no[i]);
		snprintf(text, sizeof(text), "[establishment]\npublic = %s\n", yes[i]);
		load_ok(text);
		cr_assert(cfg.is_public, "%s", yes[i]);
	}
}

Test(conf, finess_of_corsica)
{
	load_ok("[establishment]\nfiness = 2A0000105\n");
	cr_assert_str_eq(cfg.finess, "2A0000105");
	load_ok("[establishment]\nfiness = 2B0000046\n");
	cr_assert_str_eq(cfg.finess, "2B0000046");
}

Test(conf, name_of_150_characters)
{
	char text[400];
	char name[152];

	/* conf.c takes names up to 150 characters. */
	memset(name, 'n', 150);
	name[150] = '\0';
	snprintf(text, sizeof(text), "[establishment]\nname = %s\n", name);
	load_ok(text);
	cr_assert_str_eq(cfg.name, name);
	name[150] = 'n';
	name[151] = '\0';
	snprintf(text, sizeof(text), "[establishment]\nname = %s\n", name);
	load_fails(text, 2, "name", "150", NULL);
}

Test(conf, line_too_long_for_the_reader)
{
	char text[400];
	char name[240];

	/* inih reads at most 199 bytes a line: a longer one is refused,
	 * naming its line, rather than cut in two. */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(text, sizeof(text), "[establishment]\nname = %s\n[daemon]\n", name);
	load_fails(text, 2, "longer than", NULL);
}

Test(conf, long_role_list)
{
	char text[1100];
	char list[600] = "";

	char lines[1024] = "";

	/* A hospital's archivists: 40 logins, well under the 4096 limit,
	 * ten a line on indented continuation lines. */
	for (int i = 0; i < 40; i++) {
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%sarchiv%02d",
			 i ? ", " : "", i);
		snprintf(lines + strlen(lines), sizeof(lines) - strlen(lines), "%sarchiv%02d",
			 i % 10 == 0 ? (i ? "\n    " : "") : ", ", i);
	}
	snprintf(text, sizeof(text), "[roles]\narchivist = %s\nadmin = root\n", lines);
	load_ok(text);
	cr_assert_str_eq(cfg.roles[ROLE_ARCHIVIST], list);
	cr_assert_str_eq(cfg.roles[ROLE_ADMIN], "root");
}

Test(conf, long_comment_line)
{
	char text[600];
	char pad[260];

	/* A comment is a comment to the end of its line, however long; the
	 * text after the 200th byte must not be read as a key. */
	memset(pad, '-', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	snprintf(text, sizeof(text),
		 "[roles]\n"
		 "; %.196s admin = mallory\n"
		 "archivist = alice\n",
		 pad);
	load_ok(text);
	cr_assert_null(cfg.roles[ROLE_ADMIN], "admin = '%s' taken from a comment",
		       cfg.roles[ROLE_ADMIN]);
	cr_assert_str_eq(cfg.roles[ROLE_ARCHIVIST], "alice");
}

Test(conf, later_file_over_earlier_values)
{
	load_ok("[policy]\ngeneral_years = 25\n[establishment]\nname = A\n");
	load_ok("[establishment]\nname = B\n");
	cr_assert_str_eq(cfg.name, "B");
	cr_assert_eq(cfg.policy.general_years, 25,
		     "a load reads over the caller's configuration");
}

/* ------------------------------------------------------------ policy */

Test(conf, lengthened_policy_lands_in_cfg_policy)
{
	load_ok("[policy]\n"
		"general_years = 30\n"
		"minor_age = 29\n"
		"death_years = 11\n"
		"transfusion_years = 31\n");
	cr_assert_eq(cfg.policy.general_years, 30);
	cr_assert_eq(cfg.policy.minor_age, 29);
	cr_assert_eq(cfg.policy.death_years, 11);
	cr_assert_eq(cfg.policy.transfusion_years, 31);
	/* Kinds without their own duration follow the general one. */
	for (int k = 0; k < 3; k++)
		cr_assert_eq(engine_policy_kind_years(&cfg.policy, k), 30, "kind %d", k);
}

Test(conf, legal_minimums_themselves_accepted)
{
	load_ok("[policy]\n"
		"general_years = 20\n"
		"minor_age = 28\n"
		"death_years = 10\n"
		"transfusion_years = 30\n"
		"[kinds]\n"
		"dialysis = 20\n");
	cr_assert_eq(cfg.policy.general_years, 20);
	cr_assert_eq(cfg.policy.minor_age, 28);
	cr_assert_eq(cfg.policy.death_years, 10);
	cr_assert_eq(cfg.policy.transfusion_years, 30);
}

Test(conf, stay_like_kind)
{
	load_ok("[kinds]\nobstetrics = 30 stay\n");
	int k = engine_policy_kind_find(&cfg.policy, "obstetrics");
	cr_assert_geq(k, 3);
	cr_assert(cfg.policy.kinds[k].is_stay, "declared with 'stay'");
	cr_assert_eq(engine_policy_kind_years(&cfg.policy, k), 30);
}

Test(conf, kind_forms)
{
	load_ok("[kinds]\n"
		"imaging =\n"           /* the general duration, not stay-like */
		"day-hospital = stay\n" /* the general duration, stay-like */
		"consultation = 25\n"); /* a built-in lengthened */
	int img = engine_policy_kind_find(&cfg.policy, "imaging");
	int day = engine_policy_kind_find(&cfg.policy, "day-hospital");
	int con = engine_policy_kind_find(&cfg.policy, "consultation");
	cr_assert_geq(img, 3);
	cr_assert_geq(day, 3);
	cr_assert_not(cfg.policy.kinds[img].is_stay);
	cr_assert(cfg.policy.kinds[day].is_stay);
	cr_assert_eq(engine_policy_kind_years(&cfg.policy, img), 20);
	cr_assert_eq(engine_policy_kind_years(&cfg.policy, day), 20);
	cr_assert_eq(engine_policy_kind_years(&cfg.policy, con), 25);
	cr_assert_not(cfg.policy.kinds[con].is_stay);
	cr_assert_eq(cfg.policy.n_kinds, 5, "no built-in declared twice");
}

Test(conf, fingerprint_follows_the_policy)
{
	struct config other;
	char a[2048], b[2048];

	cr_assert_eq(config_init_defaults(&other), 0);
	config_policy_fingerprint(&cfg, a, sizeof(a));
	config_policy_fingerprint(&other, b, sizeof(b));
	cr_assert_str_eq(a, b, "same policy, same fingerprint");

	/* Not the policy: same fingerprint. */
	load_ok("[establishment]\nname = Autre\n[daemon]\nsocket_mode = 0600\n");
	cr_assert_str_eq(fingerprint(&cfg), b);

	static const char *const changes[] = {
		"[policy]\ngeneral_years = 21\n",
		"[policy]\nminor_age = 29\n",
		"[policy]\ndeath_years = 11\n",
		"[policy]\ntransfusion_years = 31\n",
		"[kinds]\nradiotherapy =\n",
		"[kinds]\nradiotherapy = 25\n",
		"[kinds]\nradiotherapy = 25 stay\n",
		"[kinds]\nconsultation = 21\n",
		"[kinds]\nemergency = stay\n",
	};
	char seen[sizeof(changes) / sizeof(changes[0]) + 1][2048];
	snprintf(seen[0], sizeof(seen[0]), "%s", b);
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		config_fini(&cfg);
		cr_assert_eq(config_init_defaults(&cfg), 0);
		load_ok(changes[i]);
		config_policy_fingerprint(&cfg, seen[i + 1], sizeof(seen[i + 1]));
		for (size_t j = 0; j <= i; j++)
			cr_assert_str_neq(seen[i + 1], seen[j],
					  "'%s' gives the fingerprint of change %zu", changes[i], j);
	}
	config_fini(&other);
}

/* Found by fuzz/fuzz_conf (corpus/conf/kinds-many-long.conf): with many
 * kinds of long names the daemon's 1024-byte buffer cut the fingerprint,
 * so a longer duration for one of the last kinds recomputed nothing. */
Test(conf, fingerprint_sees_the_last_kind)
{
	char kinds[2][4096], a[CONFIG_FINGERPRINT_SIZE], b[CONFIG_FINGERPRINT_SIZE];

	for (int v = 0; v < 2; v++) {
		size_t n = (size_t)snprintf(kinds[v], sizeof(kinds[v]), "[kinds]\n");
		for (int k = 3; k < ENGINE_MAX_KINDS; k++)
			n += (size_t)snprintf(kinds[v] + n, sizeof(kinds[v]) - n,
					      "k%02d_abcdefghijklmnopqrstuvwxyz = %d stay\n", k,
					      k == ENGINE_MAX_KINDS - 1 && v ? 199 : ENGINE_MAX_YEARS);
	}
	load_ok(kinds[0]);
	cr_assert_eq(cfg.policy.n_kinds, ENGINE_MAX_KINDS);
	config_policy_fingerprint(&cfg, a, sizeof(a));
	cr_assert_lt(strlen(a), sizeof(a) - 1, "the fingerprint fills its buffer");
	config_fini(&cfg);
	cr_assert_eq(config_init_defaults(&cfg), 0);
	load_ok(kinds[1]);
	config_policy_fingerprint(&cfg, b, sizeof(b));
	cr_assert_str_neq(a, b, "the last kind's duration is in the fingerprint");
}

Test(conf, fingerprint_is_stable)
{
	char a[2048], b[2048];

	load_ok("[policy]\ngeneral_years = 22\n[kinds]\nobstetrics = 30 stay\n");
	config_policy_fingerprint(&cfg, a, sizeof(a));
	config_policy_fingerprint(&cfg, b, sizeof(b));
	cr_assert_str_eq(a, b);
}

/* ------------------------------------------------------------ errors */

Test(conf, unknown_key)
{
	load_fails("[daemon]\n"
		   "database = /tmp/x.db\n"
		   "databse = /tmp/y.db\n",
		   3, "databse", NULL);
}

Test(conf, unknown_key_in_a_table_section)
{
	load_fails("[policy]\nadult_years = 25\n", 2, "adult_years", NULL);
	load_fails("[roles]\nsecretary = bob\n", 2, "secretary", NULL);
}

Test(conf, unknown_section)
{
	/* The error is on the section's own line, which names it. */
	load_fails("[daemon]\nsocket_mode = 0660\n\n[deamon]\ndatabase = /tmp/x.db\n",
		   4, "deamon", NULL);
	/* Even an unknown section with no key in it. */
	load_fails("[daemon]\nsocket_mode = 0660\n[deamon]\n", 3, "deamon", NULL);
}

Test(conf, key_given_twice)
{
	/* Which of two values would win is a guess: refused, naming both. */
	load_fails("[policy]\ngeneral_years = 25\n\ngeneral_years = 30\n", 4,
		   "general_years", "line 2", NULL);
	load_fails("[roles]\nadmin = root\ndim = x\nadmin = mallory\n", 4, "admin",
		   NULL);
}

Test(conf, key_outside_a_section)
{
	load_fails("; a comment\ndatabase = /tmp/x.db\n[daemon]\n", 2, "database",
		   NULL);
}

Test(conf, syntax_error)
{
	load_fails("[daemon]\nsocket_mode 0660\n", 2, NULL);
}

Test(conf, bad_socket_mode)
{
	load_fails("[daemon]\nsocket_mode = 0999\n", 2, "socket_mode", NULL);
	load_fails("[daemon]\nsocket_mode = rw-rw----\n", 2, "socket_mode", NULL);
	load_fails("[daemon]\nsocket_mode = 01000\n", 2, "socket_mode", NULL);
	load_fails("[daemon]\nsocket_mode = -1\n", 2, "socket_mode", NULL);
	load_fails("[daemon]\nsocket_mode =\n", 2, "socket_mode", NULL);
	load_fails("[daemon]\nsocket_mode = 0x1b6\n", 2, "socket_mode", NULL);
}

Test(conf, general_years_below_the_law)
{
	load_fails("[policy]\ngeneral_years = 19\n", 2, "general_years", "20", NULL);
	cr_assert_eq(cfg.policy.general_years, 20);
}

Test(conf, minor_age_below_the_law)
{
	load_fails("[policy]\nminor_age = 27\n", 2, "minor_age", "28", NULL);
}

Test(conf, death_years_below_the_law)
{
	load_fails("[policy]\ndeath_years = 9\n", 2, "death_years", "10", NULL);
}

Test(conf, transfusion_years_below_the_law)
{
	load_fails("[policy]\ntransfusion_years = 29\n", 2, "transfusion_years",
		   "30", NULL);
}

Test(conf, policy_values_that_are_not_numbers)
{
	load_fails("[policy]\ngeneral_years = twenty\n", 2, "general_years", NULL);
	load_fails("[policy]\ngeneral_years = 25.5\n", 2, "general_years", NULL);
	load_fails("[policy]\ngeneral_years = -25\n", 2, "general_years", NULL);
	load_fails("[policy]\ngeneral_years =\n", 2, "general_years", NULL);
	load_fails("[policy]\ngeneral_years = 99999999999999999999\n", 2,
		   "general_years", NULL);
}

Test(conf, kind_below_the_law)
{
	load_fails("[kinds]\nradiotherapy = 19\n", 2, "radiotherapy", "20", NULL);
	load_fails("[kinds]\nconsultation = 19\n", 2, "consultation", NULL);
}

Test(conf, bad_kind_name)
{
	load_fails("[kinds]\nObstetrics = 30\n", 2, "Obstetrics", NULL);
	load_fails("[kinds]\nobst\xC3\xA9trique = 30\n", 2, "obst", NULL);
	load_fails("[kinds]\nday.hospital = stay\n", 2, "day.hospital", NULL);
	load_fails("[kinds]\nabcdefghijabcdefghijabcdefghijab = 30\n", 2,
		   "abcdefghijabcdefghijabcdefghijab", NULL);
}

Test(conf, bad_kind_value)
{
	load_fails("[kinds]\nobstetrics = 30 ward\n", 2, "obstetrics", "ward", NULL);
	load_fails("[kinds]\nobstetrics = 30 40\n", 2, "obstetrics", NULL);
}

Test(conf, bad_bool)
{
	load_fails("[establishment]\npublic = maybe\n", 2, "public", NULL);
	load_fails("[establishment]\npublic =\n", 2, "public", NULL);
	load_fails("[establishment]\npublic = oui\n", 2, "public", NULL);
}

Test(conf, bad_finess)
{
	load_fails("[establishment]\nfiness = 12345678\n", 2, "finess", NULL);
	load_fails("[establishment]\nfiness = 1234567890\n", 2, "finess", NULL);
	load_fails("[establishment]\nfiness = 12345678X\n", 2, "finess", NULL);
	load_fails("[establishment]\nfiness =\n", 2, "finess", NULL);
}

Test(conf, unknown_timezone)
{
	load_fails("[establishment]\ntimezone = Europe/Atlantis\n", 2, "timezone",
		   "Europe/Atlantis", NULL);
	load_fails("[establishment]\ntimezone = ../../../etc/passwd\n", 2,
		   "timezone", NULL);
	load_fails("[establishment]\ntimezone = /etc/localtime\n", 2, "timezone",
		   NULL);
}

Test(conf, bad_numbers)
{
	load_fails("[import]\nmax_errors = 0\n", 2, "max_errors", NULL);
	load_fails("[daemon]\nmax_connections = 0\n", 2, "max_connections", NULL);
	load_fails("[daemon]\nmax_connections = lots\n", 2, "max_connections", NULL);
}

Test(conf, empty_paths)
{
	load_fails("[daemon]\ndatabase =\n", 2, "database", NULL);
	load_fails("[daemon]\nsocket =\n", 2, "socket", NULL);
}

Test(conf, socket_path_too_long_for_sun_path)
{
	char text[400];
	char p[160];

	memset(p, 'a', sizeof(p) - 1);
	p[0] = '/';
	p[sizeof(p) - 1] = '\0';
	snprintf(text, sizeof(text), "[daemon]\nsocket = %s\n", p);
	load_fails(text, 2, "socket", NULL);
}

Test(conf, the_first_error_is_reported)
{
	load_fails("[daemon]\n"
		   "; comment\n"
		   "\n"
		   "socket_mode = 0660\n"
		   "[policy]\n"
		   "death_years = 9\n"
		   "general_years = 19\n"
		   "[nowhere]\n",
		   6, "death_years", NULL);
}

Test(conf, failed_load_leaves_an_earlier_load_in_place)
{
	load_ok("[establishment]\nname = Premier\n[policy]\ngeneral_years = 25\n"
		"[kinds]\nobstetrics = 30 stay\n[roles]\nadmin = root\n");
	char fp[2048];
	config_policy_fingerprint(&cfg, fp, sizeof(fp));
	char *path_before = strdup(cfg.path);

	/* Good values first, then a bad one: none of them may land. */
	load_fails("[establishment]\nname = Second\n"
		   "[policy]\ngeneral_years = 40\n"
		   "[kinds]\nradiotherapy = 50\n"
		   "[roles]\nadmin = alice\n"
		   "[daemon]\nsocket_mode = 9\n",
		   10, "socket_mode", NULL);
	cr_assert_str_eq(cfg.name, "Premier");
	cr_assert_eq(cfg.policy.general_years, 25);
	cr_assert_lt(engine_policy_kind_find(&cfg.policy, "radiotherapy"), 0);
	cr_assert_str_eq(cfg.roles[ROLE_ADMIN], "root");
	cr_assert_str_eq(fingerprint(&cfg), fp);
	cr_assert_str_eq(cfg.path, path_before);
	free(path_before);
}

Test(conf, missing_file)
{
	char missing[200];
	struct config before;

	memcpy(&before, &cfg, sizeof(cfg));
	snprintf(missing, sizeof(missing), "%s/no-such.conf", dir);
	int rc = config_load(missing, &cfg, err, sizeof(err));
	cr_assert_eq(rc, -ENOENT);
	cr_assert_not_null(strstr(err, missing), "error '%s' does not name the file", err);
	cr_assert_eq(memcmp(&before, &cfg, sizeof(cfg)), 0);
}

Test(conf, directory_instead_of_a_file)
{
	struct config before;

	/* `--config /etc/retentiond/` by mistake: nothing can be read, so
	 * the daemon must not start on the defaults as if all were well. */
	memcpy(&before, &cfg, sizeof(cfg));
	int rc = config_load(dir, &cfg, err, sizeof(err));
	cr_assert_lt(rc, 0, "a directory was loaded as an empty configuration");
	cr_assert_not_null(strstr(err, dir), "error '%s' does not name it", err);
	cr_assert_eq(memcmp(&before, &cfg, sizeof(cfg)), 0);
}

Test(conf, error_message_fits_a_small_buffer)
{
	char small[24];

	write_file("[daemon]\nsocket_mode = 0999\n");
	memset(small, 'Z', sizeof(small));
	cr_assert_eq(config_load(path, &cfg, small, sizeof(small)), -EINVAL);
	cr_assert_lt(strlen(small), sizeof(small), "error truncated, NUL-terminated");
}
