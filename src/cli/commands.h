/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * retentionctl's commands: parse the command's arguments, call the daemon,
 * render the reply for a person or as JSON.
 */
#ifndef RETENTIOND_CLI_COMMANDS_H
#define RETENTIOND_CLI_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

struct cli {
	const char *socket;
	bool json;
};

/* Run the command argv[0] with its arguments; returns the exit status. */
int commands_run(struct cli *cli, int argc, char **argv);

/* The list of commands, for --help. */
void commands_usage(FILE *f);

/* Shared by the command files. */
#include <jansson.h>
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *cli_str(json_t *o, const char *key); /* "-" when absent */
long long cli_num(json_t *o, const char *key);
int cli_parse_count(const char *s, long long *out); /* 0..1000000 */
/* Send req (consumed), render the reply; returns the exit status. */
int cli_call(struct cli *cli, json_t *req, void (*render)(json_t *result), bool progress);

/* The workflow commands (workflow_cmds.c). */
int cli_cmd_whoami(struct cli *cli, int argc, char **argv);
int cli_cmd_opinion(struct cli *cli, int argc, char **argv);
int cli_cmd_approve(struct cli *cli, int argc, char **argv);
int cli_cmd_refuse(struct cli *cli, int argc, char **argv);
int cli_cmd_visa(struct cli *cli, int argc, char **argv);
int cli_cmd_destroyed(struct cli *cli, int argc, char **argv);
int cli_cmd_hold(struct cli *cli, int argc, char **argv);
int cli_cmd_release(struct cli *cli, int argc, char **argv);
int cli_cmd_litigation(struct cli *cli, int argc, char **argv);
int cli_cmd_bordereau(struct cli *cli, int argc, char **argv);
int cli_cmd_audit(struct cli *cli, int argc, char **argv);
int cli_cmd_outbox(struct cli *cli, int argc, char **argv);
int cli_cmd_report(struct cli *cli, int argc, char **argv);

#endif
