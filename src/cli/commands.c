/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The commands of retentionctl. Each one builds a request, calls the
 * daemon, and renders the reply; errors print one sentence on standard
 * error (and, with --json, the reply object on standard output too).
 */
#include "config.h"

#include "cli/commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/client.h"
#include "cli/progress.h"
#include "cli/table.h"
#include "common/date.h"

#define MAX_IPP 64

struct command {
	const char *name;
	const char *args;
	const char *help;
	int (*run)(struct cli *cli, int argc, char **argv);
};

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("retentionctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see retentionctl --help)\n", stderr);
	return EXIT_USAGE;
}

const char *cli_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

long long cli_num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static void print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', stdout);
}

/*
 * Common ending: on success hand the result to render (or print it as
 * JSON); on refusal print the sentence, and every listed error line.
 */
static int finish(struct cli *cli, json_t *reply, void (*render)(json_t *result))
{
	int status = EXIT_OK;
	json_t *result = json_object_get(reply, "result");

	/* A refusal may come with a result too (the lines of a batch that
	 * were done and those that were not): it is shown all the same. */
	if (cli->json && result)
		print_json(result);
	else if (result && render)
		render(result);
	if (!json_is_true(json_object_get(reply, "ok"))) {
		json_t *errors = json_object_get(reply, "errors");
		const char *source = NULL;
		size_t i;
		json_t *e;

		json_array_foreach(errors, i, e) {
			long long line = cli_num(e, "line");
			if (!source) {
				/* "file: N errors; ..." names the file first. */
				const char *msg = cli_str(reply, "error");
				const char *colon = strstr(msg, ": ");
				static char buf[256];
				snprintf(buf, sizeof(buf), "%.*s",
					 colon ? (int)(colon - msg) : 0, msg);
				source = buf;
			}
			if (line > 0)
				fprintf(stderr, "retentionctl: %s, line %lld: %s\n", source, line,
					cli_str(e, "message"));
			else
				fprintf(stderr, "retentionctl: %s: %s\n", source, cli_str(e, "message"));
		}
		long long count = cli_num(reply, "error_count");
		if (count > (long long)json_array_size(errors))
			fprintf(stderr, "retentionctl: ... and %lld more errors not listed\n",
				count - (long long)json_array_size(errors));
		fprintf(stderr, "retentionctl: %s\n", cli_str(reply, "error"));
		if (cli->json && !result)
			print_json(reply);
		status = EXIT_REFUSED;
	}
	return status;
}

int cli_call(struct cli *cli, json_t *req, void (*render)(json_t *), bool progress)
{
	struct client c;
	struct progress p;
	json_t *reply = NULL;
	int rc = client_connect(&c, cli->socket);

	if (rc) {
		json_decref(req);
		return rc;
	}
	progress_init(&p, progress && !cli->json && isatty(STDERR_FILENO), -1);
	if (p.enabled) {
		json_object_set_new(req, "progress", json_true());
		c.on_progress = progress_on_frame;
		c.ctx = &p;
	}
	rc = client_call(&c, req, &reply);
	progress_done(&p);
	json_decref(req);
	client_close(&c);
	if (rc)
		return rc;
	rc = finish(cli, reply, render);
	json_decref(reply);
	return rc;
}

/* getopt over a command's own arguments; argv[0] is the command. */
static void reset_getopt(void)
{
	optind = 1;
	opterr = 0;
}

/* ------------------------------------------------------------ status */

static void render_status(json_t *r)
{
	char a[32];
	json_t *est = json_object_get(r, "establishment");
	json_t *scan = json_object_get(r, "last_scan");
	json_t *job = json_object_get(json_object_get(r, "job"), "running");

	printf("retentiond %s (pid %lld), running since %s\n", cli_str(r, "version"), cli_num(r, "pid"),
	       cli_str(r, "started_at"));
	printf("Establishment  %s (FINESS %s, %s)\n", cli_str(est, "name"), cli_str(est, "finess"),
	       json_is_true(json_object_get(est, "public")) ? "public: eliminations need the archives' visa"
							    : "private");
	printf("Database       %s\n", cli_str(r, "database"));
	printf("Today          %s%s\n", cli_str(r, "today"),
	       json_is_true(json_object_get(r, "today_pinned")) ? " (pinned by RETENTIOND_TODAY)" : "");
	printf("Facts          %s patients, ", table_num(cli_num(r, "patients"), a));
	printf("%s encounters, ", table_num(cli_num(r, "encounters"), a));
	printf("%s transfusions, ", table_num(cli_num(r, "transfusions"), a));
	printf("%s litigations\n", table_num(cli_num(r, "litigations"), a));
	if (cli_num(r, "pending_recompute"))
		printf("Pending        %s dossiers to recompute\n",
		       table_num(cli_num(r, "pending_recompute"), a));
	putchar('\n');

	static const char *const h1[] = {"DOSSIERS", "COUNT"};
	static const bool right[] = {false, true};
	struct table *t = table_new(2, h1, right);
	static const char *const statuses[] = {"retained", "eligible", "held", "anomaly"};
	for (size_t i = 0; i < 4; i++) {
		const char *row[] = {statuses[i],
				     table_num(cli_num(json_object_get(r, "dossiers"), statuses[i]), a)};
		table_add(t, row);
	}
	table_print(t, stdout);
	table_free(t);
	putchar('\n');

	static const char *const h2[] = {"PROPOSALS", "COUNT"};
	t = table_new(2, h2, right);
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(r, "proposals"), key, v) {
		const char *row[] = {key, table_num((long long)json_integer_value(v), a)};
		table_add(t, row);
	}
	table_print(t, stdout);
	table_free(t);
	putchar('\n');

	if (json_is_object(scan)) {
		printf("Last scan      %s: %s proposed", cli_str(scan, "at"),
		       table_num(cli_num(scan, "proposed"), a));
		if (json_is_integer(json_object_get(scan, "batch")))
			printf(" (batch %lld)", cli_num(scan, "batch"));
		printf(", %s recomputed, %.1f s\n", table_num(cli_num(scan, "recomputed"), a),
		       (double)cli_num(scan, "duration_ms") / 1000.0);
	} else {
		printf("Last scan      never\n");
	}
	if (json_is_object(job))
		printf("Running        %s%s%s: %s, %s rows, %s dossiers\n", cli_str(job, "kind"),
		       json_object_get(job, "source") ? " " : "",
		       json_object_get(job, "source") ? cli_str(job, "source") : "", cli_str(job, "phase"),
		       table_num(cli_num(job, "rows"), a), table_num(cli_num(job, "dossiers"), a));
}

static int cmd_status(struct cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return cli_usage_error("status takes no argument");
	return cli_call(cli, json_pack("{s:s}", "cmd", "status"), render_status, false);
}

/* ------------------------------------------------------------ import */

static void render_import(json_t *r)
{
	char a[32], b[32], c[32];

	printf("%s: %s rows imported as %s (%s new or changed), %s dossiers recomputed",
	       cli_str(r, "source"), table_num(cli_num(r, "rows"), a), cli_str(r, "kind"),
	       table_num(cli_num(r, "rows_changed"), b), table_num(cli_num(r, "recomputed"), c));
	if (cli_num(r, "withdrawn"))
		printf(", %lld proposals withdrawn", cli_num(r, "withdrawn"));
	printf(", %.1f s\n", (double)cli_num(r, "duration_ms") / 1000.0);
	if (*cli_str(r, "ignored_columns") && strcmp(cli_str(r, "ignored_columns"), "-") != 0)
		printf("Ignored columns: %s\n", cli_str(r, "ignored_columns"));
	if (cli_num(r, "reborn"))
		printf("New dossiers for %lld IPP%s whose earlier dossier was destroyed "
		       "(the register keeps the old one): %s%s\n",
		       cli_num(r, "reborn"), cli_num(r, "reborn") == 1 ? "" : "s",
		       cli_str(r, "reborn_ipps"), cli_num(r, "reborn") > 20 ? ", ..." : "");
}

static int cmd_import(struct cli *cli, int argc, char **argv)
{
	static const char *const kinds[] = {"patients", "encounters", "transfusions",
					    "litigations"};
	struct client c;
	struct progress p;
	json_t *reply = NULL;
	FILE *f;
	const char *source;
	long long total = -1;
	bool known = false;
	int rc;

	if (argc != 3)
		return cli_usage_error("usage: import KIND FILE|- (KIND: patients, encounters, "
				   "transfusions, litigations)");
	for (size_t i = 0; i < 4; i++)
		known |= strcmp(argv[1], kinds[i]) == 0;
	if (!known)
		return cli_usage_error("unknown import kind '%s' (patients, encounters, "
				   "transfusions, litigations)", argv[1]);
	if (strcmp(argv[2], "-") == 0) {
		f = stdin;
		source = "stdin";
	} else {
		struct stat st;
		f = fopen(argv[2], "rb");
		if (!f) {
			fprintf(stderr, "retentionctl: %s: %s\n", argv[2], strerror(errno));
			return EXIT_REFUSED;
		}
		if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
			total = (long long)st.st_size;
		source = strrchr(argv[2], '/') ? strrchr(argv[2], '/') + 1 : argv[2];
	}
	rc = client_connect(&c, cli->socket);
	if (rc) {
		if (f != stdin)
			fclose(f);
		return rc;
	}
	progress_init(&p, !cli->json && isatty(STDERR_FILENO), total);
	c.ctx = &p;
	json_t *req = json_pack("{s:s, s:s, s:s}", "cmd", "import", "kind", argv[1], "source",
				source);
	if (p.enabled) {
		json_object_set_new(req, "progress", json_true());
		c.on_progress = progress_on_frame;
	}
	rc = client_import(&c, req, f, progress_on_sent, &reply);
	progress_done(&p);
	json_decref(req);
	client_close(&c);
	if (f != stdin)
		fclose(f);
	if (rc)
		return rc;
	rc = finish(cli, reply, render_import);
	json_decref(reply);
	return rc;
}

/* ------------------------------------------------------------ explain */

static void render_explain(json_t *r)
{
	json_t *facts = json_object_get(r, "facts");
	json_t *prop = json_object_get(r, "proposal");
	const char *status = cli_str(r, "status");
	size_t i;
	json_t *s;

	printf("Dossier %s: %s", cli_str(r, "ipp"), status);
	if (strcmp(status, "eligible") == 0)
		printf(", may be eliminated since %s", cli_str(r, "eligible_from"));
	else if (json_is_string(json_object_get(r, "retain_until")))
		printf(", to be kept until %s inclusive", cli_str(r, "retain_until"));
	else if (strcmp(status, "retained") == 0)
		printf(", no date yet");
	printf("\n");
	printf("  today %s; basis %s\n", cli_str(r, "today"), cli_str(r, "basis"));
	printf("  born %s", cli_str(facts, "birth_date"));
	if (json_is_string(json_object_get(facts, "death_date")))
		printf(", died %s", cli_str(facts, "death_date"));
	printf("; %lld encounter%s, %lld transfusion%s, %lld litigation%s\n",
	       cli_num(facts, "encounters"), cli_num(facts, "encounters") == 1 ? "" : "s",
	       cli_num(facts, "transfusions"), cli_num(facts, "transfusions") == 1 ? "" : "s",
	       cli_num(facts, "litigations"), cli_num(facts, "litigations") == 1 ? "" : "s");
	if (json_is_object(prop))
		printf("  proposal %lld: %s (batch %lld)\n", cli_num(prop, "id"), cli_str(prop, "state"),
		       cli_num(prop, "batch"));
	else
		printf("  no proposal\n");
	printf("\n");

	static const char *const h[] = {"RULE", "START", "UNTIL", "CITATION"};
	struct table *t = table_new(4, h, NULL);
	json_array_foreach(json_object_get(r, "rules"), i, s) {
		char name[64];
		snprintf(name, sizeof(name), "%s%s%s", cli_str(s, "rule"),
			 json_is_string(json_object_get(s, "anomaly")) ? ": " : "",
			 json_is_string(json_object_get(s, "anomaly")) ? cli_str(s, "anomaly") : "");
		if (json_is_true(json_object_get(s, "governs")))
			strncat(name, " *", sizeof(name) - strlen(name) - 1);
		const char *row[] = {name, cli_str(s, "start"), cli_str(s, "retain_until"),
				     cli_str(s, "citation")};
		table_add(t, row);
	}
	table_print(t, stdout);
	table_free(t);
	printf("\n");
	json_array_foreach(json_object_get(r, "rules"), i, s) {
		printf("  %s", cli_str(s, "rule"));
		if (json_is_string(json_object_get(s, "ref")))
			printf(" [%s]", cli_str(s, "ref"));
		if (json_is_string(json_object_get(s, "reason")))
			printf(" [%s]", cli_str(s, "reason"));
		printf(": %s\n", cli_str(s, "note"));
	}
	if (cli_num(r, "rules_not_shown"))
		printf("  ... and %lld more not shown\n", cli_num(r, "rules_not_shown"));
	printf("\n  * the rule that sets the date\n");
}

static int cmd_explain(struct cli *cli, int argc, char **argv)
{
	if (argc != 2)
		return cli_usage_error("usage: explain IPP");
	if (strlen(argv[1]) == 0 || strlen(argv[1]) > MAX_IPP)
		return cli_usage_error("an IPP is 1 to %d bytes", MAX_IPP);
	return cli_call(cli, json_pack("{s:s, s:s}", "cmd", "explain", "ipp", argv[1]),
		    render_explain, false);
}

/* ------------------------------------------------------------ scan */

static void render_scan(json_t *r)
{
	char a[32], b[32], c[32];

	printf("Scan: %s dossiers recomputed (%s changed), %s proposed",
	       table_num(cli_num(r, "recomputed"), a), table_num(cli_num(r, "changed"), b),
	       table_num(cli_num(r, "proposed"), c));
	if (json_is_integer(json_object_get(r, "batch")))
		printf(" in batch %lld", cli_num(r, "batch"));
	if (cli_num(r, "withdrawn"))
		printf(", %lld proposals withdrawn", cli_num(r, "withdrawn"));
	printf(", %.1f s\n", (double)cli_num(r, "duration_ms") / 1000.0);
}

static int cmd_scan(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"full", no_argument, NULL, 'f'},
					     {NULL, 0, NULL, 0}};
	bool full = false;
	int c;

	reset_getopt();
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c != 'f')
			return cli_usage_error("usage: scan [--full]");
		full = true;
	}
	if (optind != argc)
		return cli_usage_error("usage: scan [--full]");
	return cli_call(cli, json_pack("{s:s, s:b}", "cmd", "scan", "full", full), render_scan,
		    true);
}

/* ------------------------------------------------------------ proposals */

static void render_proposals(json_t *r)
{
	json_t *list = json_object_get(r, "proposals");
	size_t i;
	json_t *p;
	char a[32];

	if (json_array_size(list) == 0) {
		printf("No proposal.\n");
		return;
	}
	static const char *const h[] = {"ID", "IPP", "STATE", "RETAIN UNTIL", "RULE", "BATCH"};
	static const bool right[] = {true, false, false, false, false, true};
	struct table *t = table_new(6, h, right);
	json_array_foreach(list, i, p) {
		char id[32], batch[32];
		snprintf(id, sizeof(id), "%lld", cli_num(p, "id"));
		snprintf(batch, sizeof(batch), "%lld", cli_num(p, "batch"));
		const char *row[] = {id, cli_str(p, "ipp"), cli_str(p, "state"), cli_str(p, "retain_until"),
				     cli_str(p, "basis"), batch};
		table_add(t, row);
	}
	table_print(t, stdout);
	table_free(t);
	printf("%s proposal%s\n", table_num((long long)json_array_size(list), a),
	       json_array_size(list) == 1 ? "" : "s");
}

int cli_parse_count(const char *s, long long *out)
{
	char *end;

	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < 0 || v > 1000000)
		return -1;
	*out = v;
	return 0;
}

static int cmd_proposals(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"state", required_argument, NULL, 's'},
					     {"limit", required_argument, NULL, 'l'},
					     {"batch", required_argument, NULL, 'b'},
					     {NULL, 0, NULL, 0}};
	const char *state = NULL;
	long long limit = 0, batch = 0;
	int c;

	reset_getopt();
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 's')
			state = optarg;
		else if (c == 'l' && cli_parse_count(optarg, &limit) == 0)
			continue;
		else if (c == 'b' && cli_parse_count(optarg, &batch) == 0 && batch > 0)
			continue;
		else
			return cli_usage_error("usage: proposals [--state STATE] [--batch B] [--limit N]");
	}
	if (optind != argc)
		return cli_usage_error("usage: proposals [--state STATE] [--batch B] [--limit N]");
	json_t *req = json_pack("{s:s, s:I}", "cmd", "proposals", "limit", (json_int_t)limit);
	if (state)
		json_object_set_new(req, "state", json_string(state));
	if (batch)
		json_object_set_new(req, "batch", json_integer(batch));
	return cli_call(cli, req, render_proposals, false);
}

/* ------------------------------------------------------------ forecast */

static void render_forecast(json_t *r)
{
	char a[32], b[32];
	size_t i;
	json_t *m;
	long long max = 1;

	printf("%s dossiers become eligible from %s to %s (%s already eligible).\n",
	       table_num(cli_num(r, "total"), a), cli_str(r, "today"), cli_str(r, "until"),
	       table_num(cli_num(r, "already_eligible"), b));
	json_array_foreach(json_object_get(r, "months"), i, m)
		if (cli_num(m, "count") > max)
			max = cli_num(m, "count");
	if (json_array_size(json_object_get(r, "months"))) {
		static const char *const h[] = {"MONTH", "DOSSIERS", ""};
		static const bool right[] = {false, true, false};
		struct table *t = table_new(3, h, right);
		json_array_foreach(json_object_get(r, "months"), i, m) {
			char bar[41];
			size_t n = (size_t)(cli_num(m, "count") * 40 / max);
			memset(bar, '#', n);
			bar[n] = '\0';
			const char *row[] = {cli_str(m, "month"), table_num(cli_num(m, "count"), a), bar};
			table_add(t, row);
		}
		printf("\n");
		table_print(t, stdout);
		table_free(t);
	}
	json_t *list = json_object_get(r, "dossiers");
	if (json_array_size(list)) {
		static const char *const h[] = {"IPP", "RETAIN UNTIL", "ELIGIBLE FROM", "RULE"};
		struct table *t = table_new(4, h, NULL);
		json_array_foreach(list, i, m) {
			const char *row[] = {cli_str(m, "ipp"), cli_str(m, "retain_until"),
					     cli_str(m, "eligible_from"), cli_str(m, "basis")};
			table_add(t, row);
		}
		printf("\n");
		table_print(t, stdout);
		table_free(t);
	}
}

static int cmd_forecast(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"until", required_argument, NULL, 'u'},
					     {"list", no_argument, NULL, 'L'},
					     {"limit", required_argument, NULL, 'l'},
					     {NULL, 0, NULL, 0}};
	const char *until = NULL;
	bool list = false;
	long long limit = 0;
	rd_date d;
	int c;

	reset_getopt();
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'u')
			until = optarg;
		else if (c == 'L')
			list = true;
		else if (c == 'l' && cli_parse_count(optarg, &limit) == 0)
			continue;
		else
			return cli_usage_error("usage: forecast --until YYYY-MM-DD [--list] [--limit N]");
	}
	if (optind != argc || !until)
		return cli_usage_error("usage: forecast --until YYYY-MM-DD [--list] [--limit N]");
	if (date_parse(until, strlen(until), &d) < 0)
		return cli_usage_error("--until: '%s' is not a date (YYYY-MM-DD)", until);
	return cli_call(cli,
		    json_pack("{s:s, s:s, s:b, s:I}", "cmd", "forecast", "until", until, "list",
			      list, "limit", (json_int_t)limit),
		    render_forecast, false);
}

/* ------------------------------------------------------------ table */

static const struct command commands[] = {
	{"status", "", "the daemon, the dossiers by status, the proposals by state", cmd_status},
	{"import", "KIND FILE|-", "import patients, encounters, transfusions or litigations",
	 cmd_import},
	{"explain", "IPP", "the retention of one dossier, rule by rule", cmd_explain},
	{"scan", "[--full]", "recompute and propose the newly eligible dossiers", cmd_scan},
	{"proposals", "[--state S] [--batch B] [--limit N]", "the proposals for elimination",
	 cmd_proposals},
	{"forecast", "--until DATE [--list] [--limit N]",
	 "the dossiers that become eligible by DATE", cmd_forecast},
	{"whoami", "", "your Unix user and your roles", cli_cmd_whoami},
	{"opinion", "favorable|unfavorable (--batch B | P...) [--comment T]",
	 "the DIM physician's opinion", cli_cmd_opinion},
	{"approve", "(--batch B | P...) [--override-unfavorable --reason T]",
	 "the director's decision to eliminate", cli_cmd_approve},
	{"refuse", "(--batch B | P...) --reason T", "the director's refusal", cli_cmd_refuse},
	{"visa", "--batch B --reference R [--keep P...] [--reject P...]",
	 "the visa of the archives administration", cli_cmd_visa},
	{"destroyed", "--batch B --certificate R", "record the destruction of a batch",
	 cli_cmd_destroyed},
	{"hold", "IPP --reason T", "keep a dossier whatever its dates (director)", cli_cmd_hold},
	{"release", "IPP", "lift the director's hold", cli_cmd_release},
	{"litigation", "open IPP --id ID --date D [--reference R] | close ID --date D",
	 "a litigation suspends the retention", cli_cmd_litigation},
	{"bordereau", "B [--format csv|html]", "the bordereau d'élimination of a batch",
	 cli_cmd_bordereau},
	{"audit", "[--since DATE] [--limit N] | verify", "the audit journal", cli_cmd_audit},
	{"outbox", "[--limit N]", "the report mails: queued, attempts, last error, sent",
	 cli_cmd_outbox},
	{"report", "preview [--format text|html|csv] | send",
	 "tonight's report: print it, or queue it for sending now", cli_cmd_report},
};

void commands_usage(FILE *f)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		/* Long synopses take their own line, the help under them. */
		int w = fprintf(f, "  %s %s", commands[i].name, commands[i].args);
		if (w > 46)
			fprintf(f, "\n  %-44s %s\n", "", commands[i].help);
		else
			fprintf(f, "%*s %s\n", 46 - w, "", commands[i].help);
	}
}

int commands_run(struct cli *cli, int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			return commands[i].run(cli, argc, argv);
	return cli_usage_error("unknown command '%s'", argv[0]);
}
