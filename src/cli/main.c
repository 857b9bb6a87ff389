/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * retentionctl: global options, then the command.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/client.h"
#include "cli/commands.h"

#define DEFAULT_SOCKET RUNSTATEDIR "/retentiond/retentiond.sock"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: retentionctl [--socket PATH] [--json] COMMAND [ARGS]\n"
		"\n"
		"Administers retentiond, the retention of hospital medical dossiers.\n"
		"\n"
		"Options:\n"
		"  -s, --socket PATH  daemon socket (default: $RETENTIOND_SOCKET, then %s)\n"
		"  -j, --json         print one JSON document on standard output\n"
		"  -h, --help         this help\n"
		"  -V, --version      print the version\n"
		"\n"
		"Commands:\n",
		DEFAULT_SOCKET);
	commands_usage(f);
	fprintf(f, "\nExit status: 0 done, 1 refused or failed, 2 usage error, "
		   "3 daemon unreachable.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct cli cli = {NULL, false};
	int c;

	/* "+": stop at the command, whose options are its own. */
	while ((c = getopt_long(argc, argv, "+s:jhV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			cli.socket = optarg;
			break;
		case 'j':
			cli.json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("retentionctl %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!cli.socket)
		cli.socket = getenv("RETENTIOND_SOCKET");
	if (!cli.socket || !*cli.socket)
		cli.socket = DEFAULT_SOCKET;
	return commands_run(&cli, argc - optind, argv + optind);
}
