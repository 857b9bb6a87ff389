/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The control socket: a Unix stream socket speaking the framed protocol of
 * common/proto.h. Learns each client's credentials from the kernel on
 * accept, bounds connections (in all and per user), frame sizes and idle
 * time, and refuses to start when another instance answers on the path.
 */
#ifndef RETENTIOND_DAEMON_SERVER_H
#define RETENTIOND_DAEMON_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>
#include <uv.h>

#include "common/proto.h"
#include "daemon/roles.h"

struct daemon;
struct job;
struct server;

struct conn {
	uv_pipe_t pipe; /* first: the handle's address is the conn's */
	struct server *srv;
	struct conn *prev, *next;
	struct proto_reader reader;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	struct caller caller; /* user, groups and roles, from the kernel's uid */
	uint64_t last_activity_ms;
	struct job *job;   /* a job replying to this connection later */
	bool streaming;    /* DATA frames go to job's stream */
	bool paused;       /* reading stopped for backpressure */
	bool want_progress;
	bool closing;
	bool close_after_reply; /* the daemon stops: close once replied */
	const char *role_used;  /* the role that allowed the current request */
};

int server_new(struct daemon *d, struct server **out);

/*
 * Bind and listen on path with the given mode. Fails with a sentence in
 * err when another instance answers there, or the path cannot be used.
 */
int server_listen(struct server *srv, const char *path, mode_t mode, char *err,
		  size_t errlen);

/*
 * Fails with a sentence in err when another instance answers on path
 * (done before anything else at start-up, so that a refused second daemon
 * touches nothing).
 */
int server_check_other(const char *path, char *err, size_t errlen);

/* Listen on a socket handed over by systemd (socket activation). */
int server_adopt(struct server *srv, int fd, char *err, size_t errlen);

/*
 * Stop accepting and close the connections. One waiting for a job stays
 * until the job's reply is written (the job is being cancelled), so a
 * client learns why its command did not happen.
 */
void server_close(struct server *srv);
void server_free(struct server *srv);

/* Send a REPLY or PROGRESS frame (the object is not consumed). */
void conn_send(struct conn *c, enum proto_type type, json_t *obj);

/* Send an error reply: {"ok": false, "error": message}. */
void conn_send_error(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void conn_close(struct conn *c);

/* Close once every queued write has gone out. */
void conn_close_after_writes(struct conn *c);

/* Read again from a connection paused for backpressure. */
void conn_resume(struct conn *c);

#endif
