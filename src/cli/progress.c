/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Progress line. The percentage of an import is that of the bytes sent,
 * the only total known before the daemon has read the file.
 */
#include "config.h"

#include "cli/progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/table.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_init(struct progress *p, bool enabled, long long total)
{
	memset(p, 0, sizeof(*p));
	p->enabled = enabled;
	p->total = total;
	p->started = now();
}

void progress_on_sent(void *ctx, long long sent)
{
	struct progress *p = ctx;

	p->sent = sent;
}

void progress_on_frame(void *ctx, json_t *frame)
{
	struct progress *p = ctx;
	const char *phase = json_string_value(json_object_get(frame, "phase"));
	long long rows = (long long)json_integer_value(json_object_get(frame, "rows"));
	long long dossiers = (long long)json_integer_value(json_object_get(frame, "dossiers"));
	double elapsed = now() - p->started;
	char a[32], b[32];

	if (!p->enabled)
		return;
	if (phase && strcmp(phase, "reading") == 0) {
		double rate = elapsed > 0 ? (double)rows / elapsed : 0;
		fprintf(stderr, "\r\033[K  %s rows, %s rows/s", table_num(rows, a),
			table_num((long long)rate, b));
		if (p->total > 0 && p->sent > 0) {
			double frac = (double)p->sent / (double)p->total;
			double left = frac > 0 ? elapsed / frac - elapsed : 0;
			fprintf(stderr, ", %.0f%%, about %.0f s left", frac * 100, left);
		}
	} else {
		fprintf(stderr, "\r\033[K  %s: %s dossiers, %.1f s", phase ? phase : "working",
			table_num(dossiers, a), elapsed);
	}
	p->drawn = true;
}

void progress_done(struct progress *p)
{
	if (p->drawn)
		fputs("\r\033[K", stderr);
	p->drawn = false;
}
