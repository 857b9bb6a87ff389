/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Blocking client. While an import streams, PROGRESS frames that the
 * daemon sends meanwhile are read between two chunks (poll with no wait),
 * so neither side's buffers fill up with the other's output.
 */
#include "config.h"

#include "cli/client.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int unreachable(const struct client *c, const char *what, int err)
{
	fprintf(stderr, "retentionctl: %s %s: %s\n", what, c->path, strerror(err));
	return EXIT_UNREACHABLE;
}

int client_connect(struct client *c, const char *path)
{
	struct sockaddr_un sa;

	c->path = path;
	proto_reader_init(&c->reader, PROTO_SIDE_CLIENT);
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "retentionctl: socket path too long: %s\n", path);
		return EXIT_UNREACHABLE;
	}
	/* A daemon that goes away mid-write must not kill us silently. */
	signal(SIGPIPE, SIG_IGN);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return unreachable(c, "cannot create a socket for", errno);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(c->fd);
		c->fd = -1;
		return unreachable(c, "cannot reach retentiond at", e);
	}
	return 0;
}

void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	proto_reader_fini(&c->reader);
}

static int read_one(struct client *c, json_t **reply)
{
	struct proto_frame f;
	int rc = proto_read_frame(c->fd, &c->reader, &f);

	if (rc == -ECONNRESET) {
		fprintf(stderr, "retentionctl: retentiond closed the connection before replying\n");
		return EXIT_UNREACHABLE;
	}
	if (rc < 0) {
		fprintf(stderr, "retentionctl: reading the reply from %s: %s\n", c->path,
			strerror(-rc));
		return EXIT_UNREACHABLE;
	}
	json_t *obj = proto_parse_json(&f);
	if (!obj) {
		fprintf(stderr, "retentionctl: retentiond sent a malformed reply\n");
		return EXIT_UNREACHABLE;
	}
	if (f.type == PROTO_PROGRESS) {
		if (c->on_progress)
			c->on_progress(c->ctx, obj);
		json_decref(obj);
		*reply = NULL;
		return 0;
	}
	*reply = obj;
	return 0;
}

static int wait_reply(struct client *c, json_t **reply)
{
	for (;;) {
		json_t *obj;
		int rc = read_one(c, &obj);
		if (rc)
			return rc;
		if (obj) {
			*reply = obj;
			return 0;
		}
	}
}

static int send_request(struct client *c, json_t *req)
{
	json_object_set_new(req, "v", json_integer(PROTO_VERSION));
	int rc = proto_write_json(c->fd, PROTO_REQUEST, req);
	if (rc == -EMSGSIZE) {
		fprintf(stderr, "retentionctl: request too large\n");
		return EXIT_USAGE;
	}
	if (rc < 0)
		return unreachable(c, "cannot send the request to", -rc);
	return 0;
}

int client_call(struct client *c, json_t *req, json_t **reply)
{
	int rc = send_request(c, req);

	return rc ? rc : wait_reply(c, reply);
}

/* Read whatever progress is already waiting, without blocking. A reply
 * that comes early (the daemon refused the import) ends the stream. */
static int drain(struct client *c, json_t **early)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};

	while (poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP))) {
		json_t *obj;
		int rc = read_one(c, &obj);
		if (rc)
			return rc;
		if (obj) {
			*early = obj;
			return 0;
		}
	}
	return 0;
}

int client_import(struct client *c, json_t *req, FILE *f,
		  void (*on_sent)(void *ctx, long long sent), json_t **reply)
{
	static char buf[PROTO_MAX_DATA];
	long long sent = 0;
	json_t *early = NULL;
	size_t n;
	int rc = send_request(c, req);

	if (rc)
		return rc;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		rc = drain(c, &early);
		if (rc)
			return rc;
		if (early) {
			*reply = early;
			return 0;
		}
		rc = proto_write_frame(c->fd, PROTO_DATA, buf, (uint32_t)n);
		if (rc == -ECONNRESET) {
			/* The daemon may have answered before closing. */
			return wait_reply(c, reply);
		}
		if (rc < 0)
			return unreachable(c, "cannot send the file to", -rc);
		sent += (long long)n;
		if (on_sent)
			on_sent(c->ctx, sent);
	}
	if (ferror(f)) {
		int e = errno;
		fprintf(stderr, "retentionctl: reading the file: %s\n", strerror(e));
		/* Closing without END makes the daemon drop the import. */
		return EXIT_REFUSED;
	}
	rc = proto_write_frame(c->fd, PROTO_END, NULL, 0);
	if (rc < 0 && rc != -ECONNRESET)
		return unreachable(c, "cannot send the file to", -rc);
	return wait_reply(c, reply);
}
