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

#endif
