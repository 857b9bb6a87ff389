/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The fuzz corpora as regression tests, in every build (gcc included, no
 * libFuzzer): each file of the corpus directory FUZZ_CORPUS goes through
 * the harness's LLVMFuzzerTestOneInput in a child process of its own, so
 * that a crash (or a sanitizer report, or a broken invariant) fails that
 * input alone and the others still run. One TAP line per input, which the
 * CI counts: "ok - NAME: FILE" or "not ok - NAME: FILE (why)".
 *
 * FUZZ_NAME and FUZZ_CORPUS come from fuzz/Makemodule.am. A directory may
 * be given on the command line instead (to replay a crash found by hand).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

#define MAX_FILE (1u << 20) /* libFuzzer's default -max_len is far below */

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read path whole; NULL (and errno) on failure or when too large. */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	struct stat st;

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) < 0 || st.st_size > MAX_FILE) {
		errno = EFBIG;
		goto out;
	}
	/* One byte more, so that an empty file is not a NULL buffer. */
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto out;
	*len = fread(buf, 1, (size_t)st.st_size, f);
	if (*len != (size_t)st.st_size) {
		free(buf);
		buf = NULL;
		errno = EIO;
	}
out:
	fclose(f);
	return buf;
}

/* Run one input in a child: 0 when it returned, else a reason in why. */
static int run_one(const char *path, char *why, size_t whylen)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		size_t len = 0;
		uint8_t *data = slurp(path, &len);

		if (!data) {
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			_exit(2);
		}
		LLVMFuzzerTestOneInput(data, len);
		free(data);
		/* exit, not _exit: LeakSanitizer checks at exit. */
		exit(0);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(why, whylen, "waitpid: %s", strerror(errno));
			return -1;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		snprintf(why, whylen, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(why, whylen, "exit status %d", WEXITSTATUS(status));
	return -1;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : FUZZ_CORPUS;
	char **names = NULL;
	size_t n = 0, cap = 0, failed = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			char **nn = realloc(names, cap * sizeof(*names));
			if (!nn)
				return 1;
			names = nn;
		}
		names[n] = strdup(e->d_name);
		if (!names[n])
			return 1;
		n++;
	}
	closedir(d);
	if (n == 0) {
		fprintf(stderr, "%s: an empty corpus tests nothing\n", dir);
		return 1;
	}
	qsort(names, n, sizeof(*names), by_name);

	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		char path[4096], why[128];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (run_one(path, why, sizeof(why)) == 0) {
			printf("ok - %s: %s\n", FUZZ_NAME, names[i]);
		} else {
			printf("not ok - %s: %s (%s)\n", FUZZ_NAME, names[i], why);
			failed++;
		}
		free(names[i]);
	}
	free(names);
	return failed ? 1 : 0;
}
