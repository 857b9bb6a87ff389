/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * retentiond: command line, configuration, then daemon_run().
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/clock.h"
#include "daemon/conf.h"
#include "daemon/daemon.h"
#include "daemon/log.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: retentiond [--config FILE] [--check-config] [--debug]\n"
		"\n"
		"Keeps the retention of hospital medical dossiers (CSP R1112-7).\n"
		"\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"      --check-config  parse the configuration, report, and exit\n"
		"  -d, --debug         log debug messages\n"
		"  -h, --help          this help\n"
		"  -V, --version       print the version\n",
		CONFIG_DEFAULT_PATH);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 'C'},
		{"debug", no_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *path = NULL;
	bool check = false, debug = false;
	struct config cfg;
	char err[1024];
	int c;

	while ((c = getopt_long(argc, argv, "c:dhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'C':
			check = true;
			break;
		case 'd':
			debug = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("retentiond %s\n", PACKAGE_VERSION);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* journald sets JOURNAL_STREAM when stderr is its stream. */
	log_init(getenv("JOURNAL_STREAM") != NULL, debug);

	if (config_init_defaults(&cfg) < 0) {
		log_errx("out of memory");
		return EXIT_FAILURE;
	}
	/* Without --config, a missing default file means the embedded
	 * defaults; a file named on the command line must exist. */
	if (path || access(CONFIG_DEFAULT_PATH, F_OK) == 0) {
		if (config_load(path ? path : CONFIG_DEFAULT_PATH, &cfg, err, sizeof(err)) < 0) {
			log_errx("%s", err);
			config_fini(&cfg);
			return EXIT_FAILURE;
		}
	}
	if (clock_init(cfg.timezone) < 0) {
		log_errx("RETENTIOND_TODAY: '%s' is not a date (YYYY-MM-DD)",
			 getenv("RETENTIOND_TODAY"));
		config_fini(&cfg);
		return EXIT_FAILURE;
	}
	if (check) {
		printf("%s: configuration OK\n", cfg.path ? cfg.path : "(embedded defaults)");
		config_fini(&cfg);
		return EXIT_SUCCESS;
	}
	return daemon_run(&cfg);
}
