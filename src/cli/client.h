/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * retentionctl's side of the control protocol: connect, send a request,
 * stream an import, wait for the reply while showing progress.
 */
#ifndef RETENTIOND_CLI_CLIENT_H
#define RETENTIOND_CLI_CLIENT_H

#include <stdio.h>

#include <jansson.h>

#include "common/proto.h"

/* Exit statuses of interfaces.md. */
enum {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
};

struct client {
	int fd;
	const char *path;
	struct proto_reader reader;
	/* Called for each PROGRESS frame (may be NULL). */
	void (*on_progress)(void *ctx, json_t *progress);
	void *ctx;
};

/* Connect to path. On failure prints one sentence and returns
 * EXIT_UNREACHABLE. */
int client_connect(struct client *c, const char *path);
void client_close(struct client *c);

/* Send req (its "v" is added) and wait for the reply. *reply is the whole
 * reply object. Returns 0, or EXIT_UNREACHABLE after printing why. */
int client_call(struct client *c, json_t *req, json_t **reply);

/* The same for an import: req, then the bytes of f as DATA frames, then
 * END. bytes_total (or -1 when unknown) lets progress show a percentage;
 * on_sent is told how many bytes went out. */
int client_import(struct client *c, json_t *req, FILE *f,
		  void (*on_sent)(void *ctx, long long sent), json_t **reply);

#endif
