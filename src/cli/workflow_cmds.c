/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * retentionctl's commands of the elimination procedure. Roles are checked
 * by the daemon from the kernel's view of the caller; the CLI only parses,
 * sends and renders.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/table.h"
#include "common/date.h"

#define MAX_IDS 100000

/* ------------------------------------------------------------ whoami */

static void render_whoami(json_t *r)
{
	json_t *roles = json_object_get(r, "roles");
	size_t i;
	json_t *v;

	printf("%s (uid %lld): ", cli_str(r, "user"), cli_num(r, "uid"));
	if (!json_array_size(roles))
		printf("no role\n");
	json_array_foreach(roles, i, v)
		printf("%s%s", json_string_value(v), i + 1 < json_array_size(roles) ? ", " : "\n");
}

int cli_cmd_whoami(struct cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return cli_usage_error("whoami takes no argument");
	return cli_call(cli, json_pack("{s:s}", "cmd", "whoami"), render_whoami, false);
}

/* ------------------------------------------------------------ steps */

static void render_steps(json_t *r)
{
	json_t *lines = json_object_get(r, "lines");
	size_t i;
	json_t *l;

	if (json_array_size(lines)) {
		static const char *const h[] = {"PROPOSAL", "IPP", "OUTCOME", "STATE", "WHY"};
		static const bool right[] = {true, false, false, false, false};
		struct table *t = table_new(5, h, right);
		json_array_foreach(lines, i, l) {
			char id[32], st[48];
			snprintf(id, sizeof(id), "%lld", cli_num(l, "id"));
			if (strcmp(cli_str(l, "from"), cli_str(l, "to")) == 0)
				snprintf(st, sizeof(st), "%s", cli_str(l, "to"));
			else
				snprintf(st, sizeof(st), "%s -> %s", cli_str(l, "from"),
					 cli_str(l, "to"));
			const char *why = json_string_value(json_object_get(l, "why"));
			const char *row[] = {id, cli_str(l, "ipp"), cli_str(l, "outcome"), st,
					     why ? why : ""};
			table_add(t, row);
		}
		table_print(t, stdout);
		table_free(t);
	}
	printf("%s: %lld done, %lld refused, %lld withdrawn (no longer eligible)\n",
	       cli_str(r, "action"), cli_num(r, "done"), cli_num(r, "refused"),
	       cli_num(r, "withdrawn"));
}

struct step_opts {
	long long batch;
	const char *comment, *reason, *reference;
	bool override;
	json_t *ids, *keep, *reject;
};

static int parse_id(const char *s, json_t *into)
{
	char *copy = strdup(s), *save = NULL;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long long v;
		if (cli_parse_count(tok, &v) < 0 || v <= 0 || json_array_size(into) >= MAX_IDS) {
			rc = -EINVAL;
			break;
		}
		json_array_append_new(into, json_integer(v));
	}
	free(copy);
	return rc;
}

/*
 * Options of the step commands. Proposal numbers may be listed after the
 * command, after --keep or --reject, space- or comma-separated.
 */
static int parse_steps(int argc, char **argv, int first, struct step_opts *o,
		       const char *usage)
{
	json_t *into = o->ids;

	for (int i = first; i < argc; i++) {
		const char *a = argv[i];
		const bool has_next = i + 1 < argc;

		if (strcmp(a, "--batch") == 0 && has_next) {
			if (cli_parse_count(argv[++i], &o->batch) < 0 || o->batch <= 0)
				return cli_usage_error("--batch: '%s' is not a batch number", argv[i]);
		} else if (strcmp(a, "--comment") == 0 && has_next) {
			o->comment = argv[++i];
		} else if (strcmp(a, "--reason") == 0 && has_next) {
			o->reason = argv[++i];
		} else if ((strcmp(a, "--reference") == 0 || strcmp(a, "--certificate") == 0) &&
			   has_next) {
			o->reference = argv[++i];
		} else if (strcmp(a, "--override-unfavorable") == 0) {
			o->override = true;
		} else if (strcmp(a, "--keep") == 0) {
			into = o->keep;
		} else if (strcmp(a, "--reject") == 0) {
			into = o->reject;
		} else if (a[0] == '-') {
			return cli_usage_error("unknown option '%s'; usage: %s", a, usage);
		} else if (!into || parse_id(a, into) < 0) {
			return cli_usage_error("'%s' is not a proposal number; usage: %s", a, usage);
		}
	}
	return 0;
}

static json_t *step_request(const char *cmd, const struct step_opts *o)
{
	json_t *req = json_pack("{s:s}", "cmd", cmd);

	if (o->batch)
		json_object_set_new(req, "batch", json_integer(o->batch));
	if (json_array_size(o->ids))
		json_object_set(req, "proposals", o->ids);
	if (json_array_size(o->keep))
		json_object_set(req, "keep", o->keep);
	if (json_array_size(o->reject))
		json_object_set(req, "reject", o->reject);
	if (o->comment)
		json_object_set_new(req, "comment", json_string(o->comment));
	if (o->reason)
		json_object_set_new(req, "reason", json_string(o->reason));
	if (o->reference)
		json_object_set_new(req, "reference", json_string(o->reference));
	if (o->override)
		json_object_set_new(req, "override_unfavorable", json_true());
	return req;
}

static void step_opts_fini(struct step_opts *o)
{
	json_decref(o->ids);
	json_decref(o->keep);
	json_decref(o->reject);
}

static int step_command(struct cli *cli, int argc, char **argv, int first, const char *cmd,
			const char *usage, const char *opinion)
{
	struct step_opts o = {0, NULL, NULL, NULL, false, json_array(), NULL, NULL};
	int rc;

	if (strcmp(cmd, "visa") == 0) {
		o.keep = json_array();
		o.reject = json_array();
		json_decref(o.ids);
		o.ids = NULL; /* the visa is for a whole batch */
	}
	rc = parse_steps(argc, argv, first, &o, usage);
	if (rc == 0 && !o.batch == !json_array_size(o.ids))
		rc = cli_usage_error("name a batch (--batch B) or proposals, not both; usage: %s",
				     usage);
	if (rc == 0 && strcmp(cmd, "refuse") == 0 && !o.reason)
		rc = cli_usage_error("refuse needs --reason TEXT");
	if (rc == 0 && o.override && !o.reason)
		rc = cli_usage_error("--override-unfavorable needs --reason TEXT");
	if (rc == 0 && (strcmp(cmd, "visa") == 0 || strcmp(cmd, "destroyed") == 0) &&
	    (!o.batch || !o.reference))
		rc = cli_usage_error("usage: %s", usage);
	if (rc) {
		step_opts_fini(&o);
		return rc;
	}
	json_t *req = step_request(cmd, &o);
	if (opinion)
		json_object_set_new(req, "opinion", json_string(opinion));
	step_opts_fini(&o);
	return cli_call(cli, req, render_steps, false);
}

int cli_cmd_opinion(struct cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"opinion favorable|unfavorable (--batch B | PROPOSAL...) [--comment TEXT]";

	if (argc < 2 || (strcmp(argv[1], "favorable") != 0 && strcmp(argv[1], "unfavorable") != 0))
		return cli_usage_error("usage: %s", usage);
	return step_command(cli, argc, argv, 2, "opinion", usage, argv[1]);
}

int cli_cmd_approve(struct cli *cli, int argc, char **argv)
{
	return step_command(cli, argc, argv, 1, "approve",
			    "approve (--batch B | PROPOSAL...) [--override-unfavorable "
			    "--reason TEXT]",
			    NULL);
}

int cli_cmd_refuse(struct cli *cli, int argc, char **argv)
{
	return step_command(cli, argc, argv, 1, "refuse",
			    "refuse (--batch B | PROPOSAL...) --reason TEXT", NULL);
}

int cli_cmd_visa(struct cli *cli, int argc, char **argv)
{
	return step_command(cli, argc, argv, 1, "visa",
			    "visa --batch B --reference REF [--keep PROPOSAL...] "
			    "[--reject PROPOSAL...]",
			    NULL);
}

int cli_cmd_destroyed(struct cli *cli, int argc, char **argv)
{
	return step_command(cli, argc, argv, 1, "destroyed",
			    "destroyed --batch B --certificate REF", NULL);
}

/* ------------------------------------------------------------ facts */

static void render_fact(json_t *r)
{
	const char *action = cli_str(r, "action");

	if (json_is_string(json_object_get(r, "litigation")))
		printf("%s %s: done", action, cli_str(r, "litigation"));
	else
		printf("%s %s: done", action, cli_str(r, "ipp"));
	printf(" (an open proposal of the dossier is withdrawn when it is no longer "
	       "eligible)\n");
}

int cli_cmd_hold(struct cli *cli, int argc, char **argv)
{
	if (argc != 4 || strcmp(argv[2], "--reason") != 0)
		return cli_usage_error("usage: hold IPP --reason TEXT");
	return cli_call(cli,
			json_pack("{s:s, s:s, s:s}", "cmd", "hold", "ipp", argv[1], "reason",
				  argv[3]),
			render_fact, false);
}

int cli_cmd_release(struct cli *cli, int argc, char **argv)
{
	if (argc != 2)
		return cli_usage_error("usage: release IPP");
	return cli_call(cli, json_pack("{s:s, s:s}", "cmd", "release", "ipp", argv[1]),
			render_fact, false);
}

int cli_cmd_litigation(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "litigation open IPP --id ID --date YYYY-MM-DD "
				    "[--reference R] | litigation close ID --date YYYY-MM-DD";
	const char *id = NULL, *date = NULL, *reference = NULL;
	rd_date d;

	if (argc < 3 || (strcmp(argv[1], "open") != 0 && strcmp(argv[1], "close") != 0))
		return cli_usage_error("usage: %s", usage);
	const bool open = strcmp(argv[1], "open") == 0;
	for (int i = 3; i < argc; i++) {
		if (i + 1 >= argc)
			return cli_usage_error("usage: %s", usage);
		if (strcmp(argv[i], "--id") == 0 && open)
			id = argv[++i];
		else if (strcmp(argv[i], "--date") == 0)
			date = argv[++i];
		else if (strcmp(argv[i], "--reference") == 0 && open)
			reference = argv[++i];
		else
			return cli_usage_error("usage: %s", usage);
	}
	if (!open)
		id = argv[2];
	if (!id || !date)
		return cli_usage_error("usage: %s", usage);
	if (date_parse(date, strlen(date), &d) < 0)
		return cli_usage_error("--date: '%s' is not a date (YYYY-MM-DD)", date);
	json_t *req = json_pack("{s:s, s:s, s:s, s:s}", "cmd", "litigation", "action", argv[1],
				"id", id, "date", date);
	if (open)
		json_object_set_new(req, "ipp", json_string(argv[2]));
	if (reference)
		json_object_set_new(req, "reference", json_string(reference));
	return cli_call(cli, req, render_fact, false);
}

/* ------------------------------------------------------------ documents */

static void render_bordereau(json_t *r)
{
	const char *content = json_string_value(json_object_get(r, "content"));

	if (content)
		fwrite(content, 1, json_string_length(json_object_get(r, "content")), stdout);
}

int cli_cmd_bordereau(struct cli *cli, int argc, char **argv)
{
	const char *format = "html";
	long long batch;

	if (argc == 4 && strcmp(argv[2], "--format") == 0)
		format = argv[3];
	else if (argc != 2)
		return cli_usage_error("usage: bordereau BATCH [--format csv|html]");
	if (cli_parse_count(argv[1], &batch) < 0 || batch <= 0)
		return cli_usage_error("'%s' is not a batch number", argv[1]);
	if (strcmp(format, "csv") != 0 && strcmp(format, "html") != 0)
		return cli_usage_error("--format is csv or html");
	return cli_call(cli,
			json_pack("{s:s, s:I, s:s}", "cmd", "bordereau", "batch",
				  (json_int_t)batch, "format", format),
			render_bordereau, false);
}

static void render_audit(json_t *r)
{
	json_t *list = json_object_get(r, "entries");
	size_t i;
	json_t *e;

	static const char *const h[] = {"ID", "TIME", "USER", "ROLE", "ACTION", "TARGET"};
	static const bool right[] = {true, false, false, false, false, false};
	struct table *t = table_new(6, h, right);
	json_array_foreach(list, i, e) {
		char id[32];
		snprintf(id, sizeof(id), "%lld", cli_num(e, "id"));
		const char *row[] = {id, cli_str(e, "at"), cli_str(e, "user"), cli_str(e, "role"),
				     cli_str(e, "action"), cli_str(e, "target")};
		table_add(t, row);
	}
	table_print(t, stdout);
	table_free(t);
	printf("%zu entr%s\n", json_array_size(list), json_array_size(list) == 1 ? "y" : "ies");
}

static void render_verify(json_t *r)
{
	if (json_is_true(json_object_get(r, "ok")))
		printf("audit journal intact: %lld entries, every hash chained\n",
		       cli_num(r, "entries"));
	else
		printf("audit journal BROKEN at entry %lld of %lld: %s\n", cli_num(r, "first_bad"),
		       cli_num(r, "entries"), cli_str(r, "reason"));
}

int cli_cmd_audit(struct cli *cli, int argc, char **argv)
{
	const char *since = NULL;
	long long limit = 0;
	rd_date d;

	if (argc == 2 && strcmp(argv[1], "verify") == 0)
		return cli_call(cli, json_pack("{s:s}", "cmd", "audit_verify"), render_verify,
				false);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--since") == 0 && i + 1 < argc)
			since = argv[++i];
		else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc &&
			 cli_parse_count(argv[i + 1], &limit) == 0)
			i++;
		else
			return cli_usage_error("usage: audit [--since YYYY-MM-DD] [--limit N] | "
					       "audit verify");
	}
	if (since && date_parse(since, strlen(since), &d) < 0)
		return cli_usage_error("--since: '%s' is not a date (YYYY-MM-DD)", since);
	json_t *req = json_pack("{s:s, s:I}", "cmd", "audit", "limit", (json_int_t)limit);
	if (since)
		json_object_set_new(req, "since", json_string(since));
	return cli_call(cli, req, render_audit, false);
}

/* ------------------------------------------------------------ outbox */

/* "2026-11-21T02:00:00+0100" as "2026-11-21 02:00" in buf, or "-". */
static const char *short_time(json_t *o, const char *key, char buf[20])
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s || strlen(s) < 16)
		return "-";
	snprintf(buf, 20, "%.10s %.5s", s, s + 11);
	return buf;
}

static void render_outbox(json_t *r)
{
	json_t *list = json_object_get(r, "messages");
	size_t i;
	json_t *e;

	if (!json_is_true(json_object_get(r, "smtp_configured")))
		printf("No mail is sent: [report] smtp_url is not set in the configuration.\n");
	static const char *const h[] = {"ID",	"CREATED", "STATE",   "ATTEMPTS",
					"NEXT ATTEMPT", "SENT",	   "SUBJECT"};
	static const bool right[] = {true, false, false, true, false, false, false};
	struct table *t = table_new(7, h, right);
	json_array_foreach(list, i, e) {
		char id[32], n[32], c[20], na[20], s[20];
		snprintf(id, sizeof(id), "%lld", cli_num(e, "id"));
		snprintf(n, sizeof(n), "%lld", cli_num(e, "attempts"));
		const char *row[] = {id,
				     short_time(e, "created_at", c),
				     cli_str(e, "state"),
				     n,
				     short_time(e, "next_attempt_at", na),
				     short_time(e, "sent_at", s),
				     cli_str(e, "subject")};
		table_add(t, row);
	}
	table_print(t, stdout);
	table_free(t);
	/* Errors are long (the server's own words): under the table. */
	json_array_foreach(list, i, e) {
		const char *err = json_string_value(json_object_get(e, "last_error"));
		if (err)
			printf("message %lld, last error: %s\n", cli_num(e, "id"), err);
	}
	printf("%zu message%s\n", json_array_size(list), json_array_size(list) == 1 ? "" : "s");
}

int cli_cmd_outbox(struct cli *cli, int argc, char **argv)
{
	long long limit = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc &&
		    cli_parse_count(argv[i + 1], &limit) == 0 && limit >= 1 && limit <= 1000)
			i++;
		else
			return cli_usage_error("usage: outbox [--limit N] (N from 1 to 1000)");
	}
	json_t *req = json_pack("{s:s}", "cmd", "outbox");
	if (limit)
		json_object_set_new(req, "limit", json_integer(limit));
	return cli_call(cli, req, render_outbox, false);
}

/* ------------------------------------------------------------ report */

static void render_report_preview(json_t *r)
{
	json_t *content = json_object_get(r, "content");

	if (json_string_value(content))
		fwrite(json_string_value(content), 1, json_string_length(content), stdout);
}

static void render_report_send(json_t *r)
{
	printf("report queued for sending (outbox message %lld) to %s: %s\n",
	       cli_num(r, "outbox"), cli_str(r, "recipients"), cli_str(r, "subject"));
}

int cli_cmd_report(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "usage: report preview [--format text|html|csv] | report send";
	const char *format = "text";

	if (argc == 2 && strcmp(argv[1], "send") == 0)
		return cli_call(cli, json_pack("{s:s, s:s}", "cmd", "report", "action", "send"),
				render_report_send, false);
	if (argc < 2 || strcmp(argv[1], "preview") != 0)
		return cli_usage_error("%s", usage);
	if (argc == 4 && strcmp(argv[2], "--format") == 0)
		format = argv[3];
	else if (argc != 2)
		return cli_usage_error("%s", usage);
	if (strcmp(format, "text") != 0 && strcmp(format, "html") != 0 &&
	    strcmp(format, "csv") != 0)
		return cli_usage_error("--format is text, html or csv");
	return cli_call(cli,
			json_pack("{s:s, s:s, s:s}", "cmd", "report", "action", "preview",
				  "format", format),
			render_report_preview, false);
}
