/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One-line progress of long operations on a terminal's standard error:
 * rows done, rate, and time left when the total is known.
 */
#ifndef RETENTIOND_CLI_PROGRESS_H
#define RETENTIOND_CLI_PROGRESS_H

#include <stdbool.h>

#include <jansson.h>

struct progress {
	bool enabled;       /* stderr is a terminal and not --json */
	long long total;    /* bytes of the file, -1 unknown */
	long long sent;     /* bytes sent so far */
	double started;     /* seconds, monotonic */
	bool drawn;
};

void progress_init(struct progress *p, bool enabled, long long total);
/* Callbacks for client.h. */
void progress_on_sent(void *ctx, long long sent);
void progress_on_frame(void *ctx, json_t *frame);
/* Erase the line before the result is printed. */
void progress_done(struct progress *p);

#endif
