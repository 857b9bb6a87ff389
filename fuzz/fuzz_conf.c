/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer harness of retentiond.conf (conf.c): the input is the file,
 * loaded over the defaults. config_load takes a path, so the input is
 * written to an anonymous memory file named through /proc/self/fd (no
 * file left behind, nothing written to disk). A load either fails with a
 * message naming the file and leaves the defaults as they were, or gives
 * values inside the ranges retentiond.conf(5) documents.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/conf.h"
#include "daemon/schedule.h"
#include "engine/engine.h"
#include "fuzz.h"

static int fd = -1;
static char path[64];

static void check_ranges(const struct config *c)
{
	const struct engine_policy *p = &c->policy;

	FUZZ_CHECK(c->path && strcmp(c->path, path) == 0);
	FUZZ_CHECK(c->database && *c->database);
	FUZZ_CHECK(c->socket && *c->socket && strlen(c->socket) < 108);
	FUZZ_CHECK(c->socket_mode <= 0777);
	FUZZ_CHECK(c->max_connections >= 1 && c->max_connections <= 1024);
	FUZZ_CHECK(c->name && c->service && c->finess);
	FUZZ_CHECK(c->max_errors >= 1 && c->max_errors <= 10000);
	FUZZ_CHECK(!c->spool || c->spool[0] == '/');
	FUZZ_CHECK(c->scan_at >= -1 && c->scan_at < 24 * 60);
	FUZZ_CHECK(c->report_at >= -1 && c->report_at < 24 * 60);
	FUZZ_CHECK(c->report_timeout >= 1 && c->report_timeout <= 3600);
	FUZZ_CHECK(c->report_retry_min >= 1 && c->report_retry_min <= 7 * 86400);
	FUZZ_CHECK(c->report_retry_max >= c->report_retry_min &&
		   c->report_retry_max <= 7 * 86400);
	FUZZ_CHECK(strcmp(c->report_language, "fr") == 0 ||
		   strcmp(c->report_language, "en") == 0);
	FUZZ_CHECK(c->report_starttls <= STARTTLS_NO);
	FUZZ_CHECK((c->report_n_to == 0) == (c->report_to_list == NULL));
	for (size_t i = 0; i < c->report_n_to; i++)
		FUZZ_CHECK(c->report_to_list[i] && *c->report_to_list[i]);
	/* The law's minimums (CSP R1112-7) can be lengthened, never cut. */
	FUZZ_CHECK(p->general_years >= ENGINE_LEGAL_GENERAL_YEARS &&
		   p->general_years <= ENGINE_MAX_YEARS);
	FUZZ_CHECK(p->minor_age >= ENGINE_LEGAL_MINOR_AGE &&
		   p->minor_age <= ENGINE_MAX_YEARS);
	FUZZ_CHECK(p->death_years >= ENGINE_LEGAL_DEATH_YEARS &&
		   p->death_years <= ENGINE_MAX_YEARS);
	FUZZ_CHECK(p->transfusion_years >= ENGINE_LEGAL_TRANSFUSION_YEARS &&
		   p->transfusion_years <= ENGINE_MAX_YEARS);
	FUZZ_CHECK(p->n_kinds >= 3 && p->n_kinds <= ENGINE_MAX_KINDS);
	for (size_t i = 0; i < p->n_kinds; i++) {
		const int y = engine_policy_kind_years(p, (int)i);

		FUZZ_CHECK(y >= ENGINE_LEGAL_GENERAL_YEARS && y <= ENGINE_MAX_YEARS);
		FUZZ_CHECK(engine_policy_kind_find(p, p->kinds[i].name) == (int)i);
	}
	/* The daemon's buffer holds the whole fingerprint: a cut one would
	 * miss a change in the last kinds. */
	char fp[CONFIG_FINGERPRINT_SIZE], whole[4 * CONFIG_FINGERPRINT_SIZE];
	config_policy_fingerprint(c, fp, sizeof(fp));
	config_policy_fingerprint(c, whole, sizeof(whole));
	FUZZ_CHECK(strcmp(fp, whole) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg, defaults;
	char err[1024];

	if (fd < 0) {
		fd = memfd_create("fuzz-conf", MFD_CLOEXEC);
		FUZZ_CHECK(fd >= 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	FUZZ_CHECK(ftruncate(fd, 0) == 0);
	FUZZ_CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);

	FUZZ_CHECK(config_init_defaults(&cfg) == 0);
	FUZZ_CHECK(config_init_defaults(&defaults) == 0);
	err[0] = '\0';
	const int rc = config_load(path, &cfg, err, sizeof(err));
	if (fuzz_verbose())
		fprintf(stderr, "config_load: %d %s\n", rc, err);
	if (rc == 0) {
		check_ranges(&cfg);
	} else {
		FUZZ_CHECK(rc == -EINVAL);
		/* "FILE:LINE: ...", one line; the defaults untouched. */
		FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0);
		FUZZ_CHECK(!strchr(err, '\n'));
		FUZZ_CHECK(cfg.path == NULL);
		FUZZ_CHECK(strcmp(cfg.database, defaults.database) == 0);
		FUZZ_CHECK(cfg.max_errors == defaults.max_errors);
		FUZZ_CHECK(cfg.policy.general_years == defaults.policy.general_years);
		FUZZ_CHECK(cfg.policy.n_kinds == defaults.policy.n_kinds);
	}
	config_fini(&cfg);
	config_fini(&defaults);
	return 0;
}
