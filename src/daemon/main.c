/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * retentiond: command line, configuration, then daemon_run().
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#ifdef HAVE_MALLOC_H
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/clock.h"
#include "daemon/conf.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/systemd.h"
#include "store/store.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: retentiond [--config FILE] [--check-config] [--debug]\n"
		"\n"
		"Keeps the retention of hospital medical dossiers (CSP R1112-7).\n"
		"\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"      --check-config  parse the configuration, report, and exit\n"
		"      --verify-audit DATABASE\n"
		"                      check the audit journal's hash chain in a database\n"
		"                      file (a copy will do; no daemon needed), and exit\n"
		"      --json          with --verify-audit: print one JSON document\n"
		"  -d, --debug         log debug messages\n"
		"  -h, --help          this help\n"
		"  -V, --version       print the version\n",
		CONFIG_DEFAULT_PATH);
}

/* The offline check: read-only, on any copy of the database file. */
static int verify_audit(const char *file, bool json)
{
	struct store *st = NULL;
	struct store_audit_check chk;
	int rc = store_open_readonly(file, &st);

	if (rc == 0)
		rc = store_audit_verify(st, &chk);
	if (rc < 0) {
		fprintf(stderr, "retentiond: %s: cannot read the audit journal: %s\n", file,
			rc == -EPROTO ? "not a retentiond database of this version"
			: st          ? store_errmsg(st)
				      : strerror(-rc));
		store_close(st);
		return EXIT_FAILURE;
	}
	store_close(st);
	if (json && chk.first_bad)
		printf("{\"ok\": false, \"entries\": %lld, \"first_bad\": %lld}\n",
		       (long long)chk.entries, (long long)chk.first_bad);
	else if (json)
		printf("{\"ok\": true, \"entries\": %lld, \"first_bad\": null}\n",
		       (long long)chk.entries);
	else if (chk.first_bad)
		printf("%s: audit journal BROKEN at entry %lld of %lld: %s\n", file,
		       (long long)chk.first_bad, (long long)chk.entries, chk.reason);
	else
		printf("%s: audit journal intact: %lld entries, every hash chained\n", file,
		       (long long)chk.entries);
	return chk.first_bad ? EXIT_FAILURE : EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 'C'},
		{"verify-audit", required_argument, NULL, 'A'},
		{"json", no_argument, NULL, 'J'},
		{"debug", no_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *path = NULL, *verify = NULL;
	bool check = false, debug = false, json = false;
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
		case 'A':
			verify = optarg;
			break;
		case 'J':
			json = true;
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
	if (verify)
		return verify_audit(verify, json);
#ifdef M_ARENA_MAX
	/* One malloc arena. SQLite's page cache is allocated by whichever
	 * pool thread runs a job, and glibc gives each thread its own arena:
	 * a cache refilled from another thread left the old copy resident,
	 * 160 MB instead of 94 at 1M dossiers (doc/performance.md). */
	mallopt(M_ARENA_MAX, 1);
#endif
	/* Under systemd, entries go to the journal with their fields. */
	log_init(sdw_stderr_is_journal(), debug);

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
