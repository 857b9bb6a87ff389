/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Configuration parsing with inih. Every key is declared in one table with
 * its parser, so unknown keys, bad values and the legal minimums are
 * checked in one place, and the error message always has the same shape.
 */
#include "config.h"

#include "daemon/conf.h"

#include <ctype.h>
#include <stdarg.h>
#include <strings.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "daemon/mime.h"
#include "daemon/schedule.h"

#define MAX_SEEN 128

struct parse_state {
	struct config cfg;
	char msg[512]; /* first error, without the FILE:LINE prefix */
	bool failed;
	/* Our own reading of the file, under inih (see reader()). */
	FILE *f;
	char *buf;
	size_t cap;
	unsigned line;
	unsigned reader_error_line; /* an error found by reader(), or 0 */
	/* "section.key" already given, with its line, to refuse repeats. */
	char *seen[MAX_SEEN];
	unsigned seen_line[MAX_SEEN];
	size_t n_seen;
	char last_key[96]; /* for role lists continued on the next line */
	/* [report]: lines of the keys the checks after parsing name. */
	unsigned smtp_url_line, username_line, password_file_line, retry_line;
};

typedef int (*key_parser)(struct parse_state *ps, const char *section,
			  const char *key, const char *value);

static int fail(struct parse_state *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parse_state *ps, const char *fmt, ...)
{
	va_list ap;

	if (!ps->failed) {
		va_start(ap, fmt);
		vsnprintf(ps->msg, sizeof(ps->msg), fmt, ap);
		va_end(ap);
		ps->failed = true;
	}
	return 0; /* inih: stop, and report this line */
}

static int parse_ulong(const char *value, unsigned long min, unsigned long max,
		       int base, unsigned long *out)
{
	char *end;

	if (!*value || !(isdigit((unsigned char)*value)))
		return -EINVAL;
	errno = 0;
	unsigned long v = strtoul(value, &end, base);
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int set_string(char **slot, const char *value)
{
	char *copy = strdup(value);

	if (!copy)
		return -ENOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

static int p_path(struct parse_state *ps, const char *section, const char *key,
		  const char *value)
{
	char **slot = strcmp(key, "database") == 0 ? &ps->cfg.database
						     : &ps->cfg.socket;

	(void)section;
	if (!*value)
		return fail(ps, "%s: empty path", key);
	if (strcmp(key, "socket") == 0 && strlen(value) >= 108)
		return fail(ps, "socket: path longer than 107 bytes (the limit of a Unix socket address)");
	if (set_string(slot, value) < 0)
		return fail(ps, "%s: out of memory", key);
	return 1;
}

static int p_socket_mode(struct parse_state *ps, const char *section,
			 const char *key, const char *value)
{
	unsigned long v;

	(void)section;
	if (parse_ulong(value, 0, 0777, 8, &v) < 0)
		return fail(ps, "%s: '%s' is not an octal mode between 0000 and 0777", key, value);
	ps->cfg.socket_mode = (mode_t)v;
	return 1;
}

static int p_max_connections(struct parse_state *ps, const char *section,
			     const char *key, const char *value)
{
	unsigned long v;

	(void)section;
	if (parse_ulong(value, 1, 1024, 10, &v) < 0)
		return fail(ps, "%s: '%s' is not a number between 1 and 1024", key, value);
	ps->cfg.max_connections = (unsigned)v;
	return 1;
}

static int p_name(struct parse_state *ps, const char *section, const char *key,
		  const char *value)
{
	char **slot = strcmp(key, "service") == 0 ? &ps->cfg.service : &ps->cfg.name;

	(void)section;
	if (!*value)
		return fail(ps, "%s: empty", key);
	if (strlen(value) > 150)
		return fail(ps, "%s: longer than 150 characters", key);
	if (set_string(slot, value) < 0)
		return fail(ps, "%s: out of memory", key);
	return 1;
}

static int p_finess(struct parse_state *ps, const char *section,
		    const char *key, const char *value)
{
	(void)section;
	/* 9 characters: digits, with 2A/2B for Corsica. */
	bool ok = strlen(value) == 9;
	for (size_t i = 0; ok && i < 9; i++)
		ok = isdigit((unsigned char)value[i]) ||
		     (i == 1 && (value[i] == 'A' || value[i] == 'B'));
	if (!ok)
		return fail(ps, "%s: '%s' is not a FINESS number (9 digits)", key, value);
	if (set_string(&ps->cfg.finess, value) < 0)
		return fail(ps, "%s: out of memory", key);
	return 1;
}

static int parse_bool(const char *value, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int p_public(struct parse_state *ps, const char *section,
		    const char *key, const char *value)
{
	(void)section;
	if (parse_bool(value, &ps->cfg.is_public) < 0)
		return fail(ps, "%s: '%s' is not yes or no", key, value);
	return 1;
}

static int p_timezone(struct parse_state *ps, const char *section,
		      const char *key, const char *value)
{
	char path[PATH_MAX];

	(void)section;
	if (!*value || strstr(value, "..") || value[0] == '/')
		return fail(ps, "%s: '%s' is not a time zone name such as Europe/Paris", key, value);
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", value);
	if (access(path, R_OK) != 0)
		return fail(ps, "%s: unknown time zone '%s' (no %s)", key, value, path);
	if (set_string(&ps->cfg.timezone, value) < 0)
		return fail(ps, "%s: out of memory", key);
	return 1;
}

static int p_policy(struct parse_state *ps, const char *section,
		    const char *key, const char *value)
{
	unsigned long v;
	int legal = 0;

	(void)section;
	if (parse_ulong(value, 0, ENGINE_MAX_YEARS, 10, &v) < 0)
		return fail(ps, "%s: '%s' is not a number of years (at most %d)",
			    key, value, ENGINE_MAX_YEARS);
	if (strcmp(key, "general_years") == 0)
		legal = ENGINE_LEGAL_GENERAL_YEARS;
	else if (strcmp(key, "minor_age") == 0)
		legal = ENGINE_LEGAL_MINOR_AGE;
	else if (strcmp(key, "death_years") == 0)
		legal = ENGINE_LEGAL_DEATH_YEARS;
	else
		legal = ENGINE_LEGAL_TRANSFUSION_YEARS;
	int rc = engine_policy_set(&ps->cfg.policy, key, (int)v);
	if (rc == -ERANGE)
		return fail(ps, "%s = %lu is below the legal minimum of %d (CSP R1112-7: "
			    "an establishment may lengthen retention, never shorten it)",
			    key, v, legal);
	if (rc < 0)
		return fail(ps, "%s: cannot be set (%s)", key, strerror(-rc));
	/* Kinds that follow the general duration follow it here too. */
	return 1;
}

static int p_kind(struct parse_state *ps, const char *section, const char *key,
		  const char *value)
{
	char buf[64];
	int years = -1;
	bool is_stay = false;

	(void)section;
	if (strlen(value) >= sizeof(buf))
		return fail(ps, "kind %s: value too long", key);
	strcpy(buf, value);
	for (char *save, *tok = strtok_r(buf, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		unsigned long v;
		if (strcmp(tok, "stay") == 0) {
			is_stay = true;
		} else if (parse_ulong(tok, 0, ENGINE_MAX_YEARS, 10, &v) == 0 &&
			   years < 0) {
			years = (int)v;
		} else {
			return fail(ps, "kind %s: '%s' is not a number of years or 'stay'",
				    key, tok);
		}
	}
	int rc = engine_policy_add_kind(&ps->cfg.policy, key, years, is_stay);
	if (rc == -ERANGE)
		return fail(ps, "kind %s = %d years is below the legal minimum of %d years "
			    "(CSP R1112-7)", key, years, ENGINE_LEGAL_GENERAL_YEARS);
	if (rc == -EINVAL)
		return fail(ps, "kind '%s': a kind name is 1 to %d characters among a-z, 0-9, _ and -",
			    key, ENGINE_KIND_NAME_MAX - 1);
	if (rc == -ENOSPC)
		return fail(ps, "kind %s: too many kinds (at most %d)", key, ENGINE_MAX_KINDS);
	if (rc < 0)
		return fail(ps, "kind %s: %s", key, strerror(-rc));
	return 1;
}

static int p_time_of_day(struct parse_state *ps, const char *section,
			 const char *key, const char *value)
{
	int minutes;

	int *slot = strcmp(key, "report_at") == 0 ? &ps->cfg.report_at : &ps->cfg.scan_at;

	(void)section;
	if (strcmp(value, "off") == 0) {
		*slot = -1;
		return 1;
	}
	if (schedule_parse_time(value, &minutes) < 0)
		return fail(ps, "%s: '%s' is not a time of day HH:MM (00:00 to 23:59) or off",
			    key, value);
	*slot = minutes;
	return 1;
}

/* [report] language: the report's, through gettext (i18n.c). */
static int p_report_language(struct parse_state *ps, const char *section,
			     const char *key, const char *value)
{
	(void)section;
	if (strcmp(value, "fr") != 0 && strcmp(value, "en") != 0)
		return fail(ps, "%s: '%.40s' is not a language of the report (fr or en)", key,
			    value);
	snprintf(ps->cfg.report_language, sizeof(ps->cfg.report_language), "%s", value);
	return 1;
}

static int p_spool(struct parse_state *ps, const char *section, const char *key,
		   const char *value)
{
	(void)section;
	if (!*value) {
		free(ps->cfg.spool);
		ps->cfg.spool = NULL;
		return 1;
	}
	if (value[0] != '/')
		return fail(ps, "%s: '%s' is not an absolute path", key, value);
	if (strlen(value) > 3000)
		return fail(ps, "%s: path too long", key);
	if (set_string(&ps->cfg.spool, value) < 0)
		return fail(ps, "%s: out of memory", key);
	return 1;
}

static int p_max_errors(struct parse_state *ps, const char *section,
			const char *key, const char *value)
{
	unsigned long v;

	(void)section;
	if (parse_ulong(value, 1, 10000, 10, &v) < 0)
		return fail(ps, "%s: '%s' is not a number between 1 and 10000", key, value);
	ps->cfg.max_errors = (unsigned)v;
	return 1;
}

/* ------------------------------------------------------------ [report] */

/* printable ASCII, no space: what may go into a URL or a user name. */
static bool token_ok(const char *v, size_t max)
{
	size_t n = strlen(v);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f)
			return false;
	return true;
}

static int p_smtp_url(struct parse_state *ps, const char *section, const char *key,
		      const char *value)
{
	const char *host;

	(void)section;
	ps->smtp_url_line = ps->line;
	if (!*value) {
		free(ps->cfg.report_smtp_url);
		ps->cfg.report_smtp_url = NULL;
		return 1;
	}
	if (strncasecmp(value, "smtp://", 7) == 0)
		host = value + 7;
	else if (strncasecmp(value, "smtps://", 8) == 0)
		host = value + 8;
	else
		return fail(ps, "%s: '%.100s' is not an smtp:// or smtps:// URL", key, value);
	if (!token_ok(value, 1000) || !*host || *host == '/' || *host == ':')
		return fail(ps, "%s: '%.100s' is not a URL smtp://HOST[:PORT] or smtps://HOST[:PORT]",
			    key, value);
	/* A password in the URL would be in a file many can read, and in
	 * every message that prints the URL. */
	const char *slash = strchr(host, '/');
	const char *at = strchr(host, '@');
	if (at && (!slash || at < slash))
		return fail(ps, "%s: no user name or password in the URL: use username and "
			    "password_file", key);
	if (set_string(&ps->cfg.report_smtp_url, value) < 0)
		return fail(ps, "%s: out of memory", key);
	return 1;
}

static int p_from(struct parse_state *ps, const char *section, const char *key,
		  const char *value)
{
	(void)section;
	if (!mime_address_valid(value))
		return fail(ps, "%s: '%.100s' is not a mail address such as "
			    "retentiond@hopital.example", key, value);
	if (set_string(&ps->cfg.report_from, value) < 0)
		return fail(ps, "%s: out of memory", key);
	return 1;
}

#define MAX_RECIPIENTS 50

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static int p_to(struct parse_state *ps, const char *section, const char *key,
		const char *value)
{
	char **list = NULL;
	size_t n = 0, joined_len = 0;
	const char *p = value;

	(void)section;
	list = calloc(MAX_RECIPIENTS, sizeof(*list));
	if (!list)
		return fail(ps, "%s: out of memory", key);
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		char addr[256];
		snprintf(addr, sizeof(addr), "%.*s", (int)(len < 255 ? len : 255), p);
		if (len > 254 || !mime_address_valid(addr)) {
			free_list(list, n);
			return fail(ps, "%s: '%.100s' is not a mail address (a comma-separated "
				    "list of addresses such as archives@hopital.example)", key, addr);
		}
		if (n == MAX_RECIPIENTS) {
			free_list(list, n);
			return fail(ps, "%s: more than %d addresses", key, MAX_RECIPIENTS);
		}
		list[n] = strdup(addr);
		if (!list[n]) {
			free_list(list, n);
			return fail(ps, "%s: out of memory", key);
		}
		joined_len += len + 2;
		n++;
		if (!comma)
			break;
		p = comma + 1;
	}
	char *joined = malloc(joined_len + 1);
	if (!joined) {
		free_list(list, n);
		return fail(ps, "%s: out of memory", key);
	}
	joined[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(joined, ", ");
		strcat(joined, list[i]);
	}
	free(ps->cfg.report_to);
	free_list(ps->cfg.report_to_list, ps->cfg.report_n_to);
	ps->cfg.report_to = joined;
	ps->cfg.report_to_list = list;
	ps->cfg.report_n_to = n;
	return 1;
}

static int p_starttls(struct parse_state *ps, const char *section, const char *key,
		      const char *value)
{
	(void)section;
	if (strcmp(value, "required") == 0)
		ps->cfg.report_starttls = STARTTLS_REQUIRED;
	else if (strcmp(value, "opportunistic") == 0)
		ps->cfg.report_starttls = STARTTLS_OPPORTUNISTIC;
	else if (strcmp(value, "no") == 0)
		ps->cfg.report_starttls = STARTTLS_NO;
	else
		return fail(ps, "%s: '%.40s' is not required, opportunistic or no", key, value);
	return 1;
}

static int p_username(struct parse_state *ps, const char *section, const char *key,
		      const char *value)
{
	(void)section;
	ps->username_line = ps->line;
	if (!token_ok(value, 256))
		return fail(ps, "%s: a user name is 1 to 256 printable characters without spaces",
			    key);
	if (set_string(&ps->cfg.report_username, value) < 0)
		return fail(ps, "%s: out of memory", key);
	return 1;
}

static int p_report_file(struct parse_state *ps, const char *section, const char *key,
			 const char *value)
{
	char **slot = strcmp(key, "cafile") == 0 ? &ps->cfg.report_cafile
						 : &ps->cfg.report_password_file;

	(void)section;
	if (slot == &ps->cfg.report_password_file)
		ps->password_file_line = ps->line;
	if (value[0] != '/')
		return fail(ps, "%s: '%.100s' is not an absolute path", key, value);
	if (strlen(value) > 3000)
		return fail(ps, "%s: path too long", key);
	if (set_string(slot, value) < 0)
		return fail(ps, "%s: out of memory", key);
	return 1;
}

static int p_report_seconds(struct parse_state *ps, const char *section, const char *key,
			    const char *value)
{
	unsigned long v, max = strcmp(key, "timeout") == 0 ? 3600 : 7 * 86400;
	unsigned *slot = strcmp(key, "timeout") == 0	 ? &ps->cfg.report_timeout
			 : strcmp(key, "retry_min") == 0 ? &ps->cfg.report_retry_min
							 : &ps->cfg.report_retry_max;

	(void)section;
	if (slot != &ps->cfg.report_timeout)
		ps->retry_line = ps->line;
	if (parse_ulong(value, 1, max, 10, &v) < 0)
		return fail(ps, "%s: '%.40s' is not a number of seconds between 1 and %lu", key,
			    value, max);
	*slot = (unsigned)v;
	return 1;
}

/*
 * What no single key can say, once the whole file is read: *line and the
 * message of the first problem, or 0.
 */
static int check_report(struct parse_state *ps, unsigned *line)
{
	const struct config *c = &ps->cfg;

	if (c->report_smtp_url && (!c->report_from || !c->report_n_to)) {
		*line = ps->smtp_url_line;
		fail(ps, "smtp_url: the report is sent from `from` to `to`: set both in [report]");
	} else if (c->report_username && !c->report_password_file) {
		*line = ps->username_line;
		fail(ps, "username: give the password in a file, with password_file");
	} else if (c->report_password_file && !c->report_username) {
		*line = ps->password_file_line;
		fail(ps, "password_file: a password needs its username");
	} else if (c->report_retry_max < c->report_retry_min) {
		/* (only when one of them is in the file: the defaults agree) */
		*line = ps->retry_line;
		fail(ps, "retry_max (%u s) is less than retry_min (%u s)", c->report_retry_max,
		     c->report_retry_min);
	} else {
		return 0;
	}
	return -EINVAL;
}

static const char *const role_names[ROLE_COUNT] = {
	"archivist", "dim", "director", "archives", "admin",
};

const char *config_role_name(enum config_role r)
{
	return r < ROLE_COUNT ? role_names[r] : "?";
}

static int p_role(struct parse_state *ps, const char *section, const char *key,
		  const char *value)
{
	(void)section;
	for (int r = 0; r < ROLE_COUNT; r++) {
		if (strcmp(key, role_names[r]) != 0)
			continue;
		/* A long list goes on indented lines, which inih hands over
		 * as the same key again: they are joined. */
		const char *old = ps->cfg.roles[r];
		size_t len = (old ? strlen(old) + 2 : 0) + strlen(value);
		if (len > 4096)
			return fail(ps, "%s: list longer than 4096 characters", key);
		char *joined = malloc(len + 1);
		if (!joined)
			return fail(ps, "%s: out of memory", key);
		size_t o = 0;
		if (old) {
			memcpy(joined, old, strlen(old));
			o = strlen(old);
			memcpy(joined + o, ", ", 2);
			o += 2;
		}
		memcpy(joined + o, value, strlen(value) + 1);
		free(ps->cfg.roles[r]);
		ps->cfg.roles[r] = joined;
		ps->cfg.roles_set = true;
		return 1;
	}
	return fail(ps, "unknown role '%s' in section [roles] (roles: archivist, dim, "
		    "director, archives, admin)", key);
}

struct key_def {
	const char *section;
	const char *key; /* NULL: any key of the section */
	key_parser parse;
};

static const struct key_def keys[] = {
	{"daemon", "database", p_path},
	{"daemon", "socket", p_path},
	{"daemon", "socket_mode", p_socket_mode},
	{"daemon", "max_connections", p_max_connections},
	{"establishment", "name", p_name},
	{"establishment", "service", p_name},
	{"establishment", "finess", p_finess},
	{"establishment", "public", p_public},
	{"establishment", "timezone", p_timezone},
	{"policy", "general_years", p_policy},
	{"policy", "minor_age", p_policy},
	{"policy", "death_years", p_policy},
	{"policy", "transfusion_years", p_policy},
	{"kinds", NULL, p_kind},
	{"import", "max_errors", p_max_errors},
	{"import", "spool", p_spool},
	{"schedule", "scan_at", p_time_of_day},
	{"schedule", "report_at", p_time_of_day},
	{"report", "language", p_report_language},
	{"report", "smtp_url", p_smtp_url},
	{"report", "from", p_from},
	{"report", "to", p_to},
	{"report", "starttls", p_starttls},
	{"report", "username", p_username},
	{"report", "password_file", p_report_file},
	{"report", "cafile", p_report_file},
	{"report", "timeout", p_report_seconds},
	{"report", "retry_min", p_report_seconds},
	{"report", "retry_max", p_report_seconds},
	{"roles", NULL, p_role},
};

static bool section_known(const char *section);

/* A key given twice is an error (which one would win is a guess), except
 * the continuation lines of a role list. */
static bool repeated(struct parse_state *ps, const char *section, const char *key)
{
	char id[96];

	snprintf(id, sizeof(id), "%s.%s", section, key);
	if (strcmp(section, "roles") == 0 && strcmp(id, ps->last_key) == 0)
		return false;
	snprintf(ps->last_key, sizeof(ps->last_key), "%s", id);
	for (size_t i = 0; i < ps->n_seen; i++) {
		if (strcmp(ps->seen[i], id) == 0) {
			fail(ps, "key '%s' in section [%s] given twice (first on line %u)",
			     key, section, ps->seen_line[i]);
			return true;
		}
	}
	if (ps->n_seen < MAX_SEEN) {
		ps->seen[ps->n_seen] = strdup(id);
		ps->seen_line[ps->n_seen++] = ps->line;
	}
	return false;
}

static int handler(void *user, const char *section, const char *key,
		   const char *value)
{
	struct parse_state *ps = user;
	bool section_known = false;

	if (ps->failed)
		return 0;
	if (repeated(ps, section, key))
		return 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(section, keys[i].section) != 0)
			continue;
		section_known = true;
		if (keys[i].key && strcmp(key, keys[i].key) != 0)
			continue;
		return keys[i].parse(ps, section, key, value);
	}
	if (!*section)
		return fail(ps, "key '%s' outside any section", key);
	if (!section_known)
		return fail(ps, "unknown section [%s]", section);
	return fail(ps, "unknown key '%s' in section [%s]", key, section);
}

int config_init_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->database = strdup(CONFIG_DEFAULT_DATABASE);
	cfg->socket = strdup(CONFIG_DEFAULT_SOCKET);
	cfg->name = strdup("Établissement");
	cfg->service = strdup("Département d'information médicale");
	cfg->finess = strdup("000000000");
	if (!cfg->database || !cfg->socket || !cfg->name || !cfg->service || !cfg->finess) {
		config_fini(cfg);
		return -ENOMEM;
	}
	cfg->socket_mode = 0660;
	cfg->max_connections = 64;
	cfg->is_public = true;
	cfg->max_errors = 100;
	cfg->scan_at = 2 * 60;
	cfg->report_at = 6 * 60 + 30;
	snprintf(cfg->report_language, sizeof(cfg->report_language), "fr");
	cfg->report_starttls = STARTTLS_REQUIRED;
	cfg->report_timeout = 30;
	cfg->report_retry_min = 60;
	cfg->report_retry_max = 3600;
	engine_policy_init(&cfg->policy);
	return 0;
}

static void move_config(struct config *dst, struct config *src)
{
	config_fini(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

static int copy_config(struct config *dst, const struct config *src)
{
	*dst = *src;
	dst->path = NULL;
	dst->database = src->database ? strdup(src->database) : NULL;
	dst->socket = src->socket ? strdup(src->socket) : NULL;
	dst->name = src->name ? strdup(src->name) : NULL;
	dst->service = src->service ? strdup(src->service) : NULL;
	dst->finess = src->finess ? strdup(src->finess) : NULL;
	dst->timezone = src->timezone ? strdup(src->timezone) : NULL;
	dst->spool = src->spool ? strdup(src->spool) : NULL;
	for (int r = 0; r < ROLE_COUNT; r++)
		dst->roles[r] = src->roles[r] ? strdup(src->roles[r]) : NULL;
	dst->report_smtp_url = src->report_smtp_url ? strdup(src->report_smtp_url) : NULL;
	dst->report_from = src->report_from ? strdup(src->report_from) : NULL;
	dst->report_to = src->report_to ? strdup(src->report_to) : NULL;
	dst->report_to_list = NULL;
	dst->report_n_to = 0;
	if (src->report_n_to) {
		dst->report_to_list = calloc(src->report_n_to, sizeof(char *));
		if (dst->report_to_list) {
			for (size_t i = 0; i < src->report_n_to; i++)
				dst->report_to_list[i] = strdup(src->report_to_list[i]);
			dst->report_n_to = src->report_n_to;
		}
	}
	dst->report_username = src->report_username ? strdup(src->report_username) : NULL;
	dst->report_password_file =
		src->report_password_file ? strdup(src->report_password_file) : NULL;
	dst->report_cafile = src->report_cafile ? strdup(src->report_cafile) : NULL;
	return 0;
}

static bool section_known(const char *section)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(section, keys[i].section) == 0)
			return true;
	return false;
}

static char *reader_fail(struct parse_state *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static char *reader_fail(struct parse_state *ps, const char *fmt, ...)
{
	va_list ap;

	if (!ps->failed) {
		va_start(ap, fmt);
		vsnprintf(ps->msg, sizeof(ps->msg), fmt, ap);
		va_end(ap);
		ps->failed = true;
		ps->reader_error_line = ps->line;
	}
	return NULL; /* inih sees the end of the file */
}

/*
 * inih's reader, so that what inih cannot say is said: a line too long
 * for its buffer (inih would cut it and read the rest as a new line, so a
 * long comment could become a key), a read error (a directory), and a
 * section header of no known section (inih never reports section lines).
 */
static char *reader(char *str, int num, void *stream)
{
	struct parse_state *ps = stream;
	ssize_t n = getline(&ps->buf, &ps->cap, ps->f);

	if (n < 0) {
		if (ferror(ps->f))
			return reader_fail(ps, "cannot be read: %s", strerror(errno ? errno : EIO));
		return NULL;
	}
	ps->line++;
	if (ps->failed)
		return NULL;
	const char *p = ps->buf + strspn(ps->buf, " \t");
	if (*p == ';' || *p == '#') {
		/* A comment, however long, is read as an empty line. */
		snprintf(str, (size_t)num, "\n");
		return str;
	}
	if (n >= num)
		return reader_fail(ps, "line longer than %d characters (continue a long "
				   "role list on indented lines)", num - 2);
	if (*p == '[') {
		const char *end = strchr(p, ']');
		if (end) {
			char name[64];
			snprintf(name, sizeof(name), "%.*s", (int)(end - p - 1), p + 1);
			if (!section_known(name))
				return reader_fail(ps, "unknown section [%s] (sections: daemon, "
						   "establishment, policy, kinds, import, schedule, report, roles)",
						   name);
			ps->last_key[0] = '\0';
		}
	}
	memcpy(str, ps->buf, (size_t)n + 1);
	return str;
}

static void parse_state_fini(struct parse_state *ps)
{
	for (size_t i = 0; i < ps->n_seen; i++)
		free(ps->seen[i]);
	free(ps->buf);
	config_fini(&ps->cfg);
}

int config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	struct parse_state ps;
	struct stat st;

	memset(&ps, 0, sizeof(ps));
	copy_config(&ps.cfg, cfg);
	FILE *f = fopen(path, "r");
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
		parse_state_fini(&ps);
		return -e;
	}
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		fclose(f);
		parse_state_fini(&ps);
		return -EINVAL;
	}
	ps.f = f;
	int line = ini_parse_stream(reader, &ps, handler, &ps);
	fclose(f);
	if (ps.reader_error_line)
		line = (int)ps.reader_error_line;
	unsigned check_line = 0;
	if (line == 0 && !ps.failed && check_report(&ps, &check_line) < 0)
		line = (int)check_line;
	if (line != 0 || ps.failed) {
		if (line > 0 && ps.failed)
			snprintf(err, errlen, "%s:%d: %s", path, line, ps.msg);
		else if (line > 0)
			snprintf(err, errlen, "%s:%d: syntax error (expected [section] or key = value)",
				 path, line);
		else
			snprintf(err, errlen, "%s: cannot be read", path);
		parse_state_fini(&ps);
		return -EINVAL;
	}
	ps.cfg.path = strdup(path);
	move_config(cfg, &ps.cfg);
	parse_state_fini(&ps);
	return 0;
}

void config_fini(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->database);
	free(cfg->socket);
	free(cfg->name);
	free(cfg->service);
	free(cfg->finess);
	free(cfg->timezone);
	free(cfg->spool);
	for (int r = 0; r < ROLE_COUNT; r++)
		free(cfg->roles[r]);
	free(cfg->report_smtp_url);
	free(cfg->report_from);
	free(cfg->report_to);
	free_list(cfg->report_to_list, cfg->report_n_to);
	free(cfg->report_username);
	free(cfg->report_password_file);
	free(cfg->report_cafile);
	memset(cfg, 0, sizeof(*cfg));
}

/* CONFIG_FINGERPRINT_SIZE counts 3 digits a duration. */
_Static_assert(ENGINE_MAX_YEARS <= 999, "CONFIG_FINGERPRINT_SIZE is too small");

void config_policy_fingerprint(const struct config *cfg, char *out,
			       size_t outlen)
{
	const struct engine_policy *p = &cfg->policy;
	size_t n = (size_t)snprintf(out, outlen, "g%d m%d d%d t%d",
				    p->general_years, p->minor_age,
				    p->death_years, p->transfusion_years);

	for (size_t i = 0; i < p->n_kinds && n < outlen; i++)
		n += (size_t)snprintf(out + n, outlen - n, " %s:%d%s",
				      p->kinds[i].name,
				      engine_policy_kind_years(p, (int)i),
				      p->kinds[i].is_stay ? "s" : "");
}
