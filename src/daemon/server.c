/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Control socket server on libuv. Connection memory is freed only in the
 * uv_close callback, as libuv requires.
 */
#include "config.h"

#include "daemon/server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/clock.h"
#include "daemon/daemon.h"
#include "daemon/handlers.h"
#include "daemon/jobs.h"
#include "daemon/log.h"

#define READ_BUFFER (64u * 1024)
#define MAX_PER_USER 16
#define IDLE_TIMEOUT_MS (120u * 1000)
#define SWEEP_INTERVAL_MS (5u * 1000)

struct server {
	struct daemon *d;
	uv_pipe_t listener;
	bool listening;
	uv_timer_t sweep;
	struct conn *conns;
	unsigned n_conns;
	char path[108];
	bool closed;
};

struct write_req {
	uv_write_t req;
	uint8_t *buf;
};

static void on_write(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;

	(void)status; /* a client gone away is noticed by its read side */
	free(w->buf);
	free(w);
}

static void send_buffer(struct conn *c, uint8_t *buf, size_t len)
{
	struct write_req *w;

	if (c->closing) {
		free(buf);
		return;
	}
	w = malloc(sizeof(*w));
	if (!w) {
		free(buf);
		return;
	}
	w->buf = buf;
	uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
	if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_write) < 0) {
		free(buf);
		free(w);
	}
}

void conn_send(struct conn *c, enum proto_type type, json_t *obj)
{
	uint8_t *buf;
	size_t len;
	int rc = proto_encode_json(type, obj, &buf, &len);

	if (rc == -EMSGSIZE) {
		json_t *e = handlers_error("the reply would exceed %u bytes; "
					   "narrow the request", PROTO_MAX_REPLY);
		rc = proto_encode_json(type, e, &buf, &len);
		json_decref(e);
	}
	if (rc < 0) {
		log_warnx("cannot encode a reply: %s", strerror(-rc));
		return;
	}
	send_buffer(c, buf, len);
}

void conn_send_error(struct conn *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_t *e = json_pack("{s:b, s:s}", "ok", 0, "error", msg);
	if (e) {
		conn_send(c, PROTO_REPLY, e);
		json_decref(e);
	}
}

static void on_conn_closed(uv_handle_t *h)
{
	struct conn *c = (struct conn *)h;

	proto_reader_fini(&c->reader);
	free(c);
}

void conn_close(struct conn *c)
{
	struct server *srv = c->srv;

	if (c->closing)
		return;
	c->closing = true;
	if (c->job) {
		job_detach(c->job);
		c->job = NULL;
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->n_conns--;
	uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	(void)suggested;
	buf->base = malloc(READ_BUFFER);
	buf->len = buf->base ? READ_BUFFER : 0;
}

static const char *proto_error(int rc)
{
	switch (rc) {
	case -EPROTONOSUPPORT:
		return "protocol version not supported (retentionctl and retentiond differ)";
	case -EMSGSIZE:
		return "frame larger than the protocol allows";
	case -ENOMEM:
		return "out of memory";
	default:
		return "malformed frame";
	}
}

static void handle_request(struct conn *c, const struct proto_frame *f)
{
	struct daemon *d = c->srv->d;
	json_t *req, *reply;

	if (c->job || c->streaming) {
		conn_send_error(c, "one request at a time on a connection");
		conn_close(c);
		return;
	}
	req = proto_parse_json(f);
	if (!req) {
		conn_send_error(c, "request is not a JSON object");
		conn_close(c);
		return;
	}
	json_t *v = json_object_get(req, "v");
	if (!json_is_integer(v) || json_integer_value(v) != PROTO_VERSION) {
		conn_send_error(c, "request without protocol version %d", PROTO_VERSION);
		json_decref(req);
		conn_close(c);
		return;
	}
	json_t *progress = json_object_get(req, "progress");
	if (progress && !json_is_boolean(progress) && !json_is_null(progress)) {
		conn_send_error(c, "argument 'progress' must be true or false");
		json_decref(req);
		return;
	}
	c->want_progress = json_is_true(progress);
	/* Roles as the configuration says now (a reload may have changed
	 * them), for the uid the kernel gave at accept. */
	roles_resolve(&d->cfg, c->uid, c->gid, &c->caller);
	reply = handlers_dispatch(d, c, req);
	json_decref(req);
	if (reply) {
		conn_send(c, PROTO_REPLY, reply);
		json_decref(reply);
	}
}

static void handle_frame(struct conn *c, const struct proto_frame *f)
{
	switch (f->type) {
	case PROTO_REQUEST:
		handle_request(c, f);
		break;
	case PROTO_DATA:
		if (!c->streaming) {
			conn_send_error(c, "data sent outside an import");
			conn_close(c);
			return;
		}
		/* A job already finished (failed early) drops the rest. */
		if (c->job && job_stream_push(c->job, f->payload, f->len) && !c->paused) {
			uv_read_stop((uv_stream_t *)&c->pipe);
			c->paused = true;
		}
		break;
	case PROTO_END:
		if (!c->streaming) {
			conn_send_error(c, "end of data outside an import");
			conn_close(c);
			return;
		}
		c->streaming = false;
		if (c->job)
			job_stream_end(c->job);
		break;
	default:
		conn_close(c);
		break;
	}
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = (struct conn *)stream;
	size_t off = 0;

	if (nread < 0) {
		conn_close(c);
		goto out;
	}
	c->last_activity_ms = clock_monotonic_ms();
	while (off < (size_t)nread && !c->closing) {
		struct proto_frame f;
		size_t used;
		int rc = proto_reader_feed(&c->reader, (const uint8_t *)buf->base + off,
					   (size_t)nread - off, &used, &f);
		off += used;
		if (rc < 0) {
			conn_send_error(c, "%s", proto_error(rc));
			conn_close(c);
			break;
		}
		if (rc == 1)
			handle_frame(c, &f);
	}
out:
	free(buf->base);
}

void conn_resume(struct conn *c)
{
	if (c->paused && !c->closing) {
		c->paused = false;
		uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
	}
}

static unsigned conns_of(const struct server *srv, uid_t uid)
{
	unsigned n = 0;

	for (const struct conn *c = srv->conns; c; c = c->next)
		n += c->uid == uid;
	return n;
}

static void on_connection(uv_stream_t *listener, int status)
{
	struct server *srv = listener->data;
	struct conn *c;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uv_os_fd_t fd;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->srv = srv;
	proto_reader_init(&c->reader, PROTO_SIDE_SERVER);
	uv_pipe_init(srv->d->loop, &c->pipe, 0);
	if (uv_accept(listener, (uv_stream_t *)&c->pipe) < 0) {
		uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
		return;
	}
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->n_conns++;
	c->last_activity_ms = clock_monotonic_ms();

	/* Identity from the kernel, never from what the client says. */
	if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		conn_send_error(c, "cannot read the peer credentials");
		conn_close(c);
		return;
	}
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->pid = cred.pid;
	roles_resolve(&srv->d->cfg, c->uid, c->gid, &c->caller);
	if (srv->n_conns > srv->d->cfg.max_connections) {
		conn_send_error(c, "too many connections (at most %u)",
				srv->d->cfg.max_connections);
		conn_close(c);
		return;
	}
	if (conns_of(srv, c->uid) > MAX_PER_USER) {
		conn_send_error(c, "too many connections from this user (at most %d)",
				MAX_PER_USER);
		conn_close(c);
		return;
	}
	uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

static void on_sweep(uv_timer_t *t)
{
	struct server *srv = t->data;
	const uint64_t now = clock_monotonic_ms();
	struct conn *c = srv->conns;

	while (c) {
		struct conn *next = c->next;
		/* Waiting for a job or paused by us is not idleness. */
		if (!c->job && !c->paused && now - c->last_activity_ms > IDLE_TIMEOUT_MS) {
			conn_send_error(c, "idle for too long");
			conn_close(c);
		}
		c = next;
	}
}

int server_new(struct daemon *d, struct server **out)
{
	struct server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return -ENOMEM;
	srv->d = d;
	uv_timer_init(d->loop, &srv->sweep);
	srv->sweep.data = srv;
	uv_timer_start(&srv->sweep, on_sweep, SWEEP_INTERVAL_MS, SWEEP_INTERVAL_MS);
	uv_unref((uv_handle_t *)&srv->sweep);
	*out = srv;
	return 0;
}

/* 1 when something accepts connections on path, 0 when nothing does. */
static int someone_answers(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc == 0)
		rc = 1;
	else if (errno == ECONNREFUSED || errno == ENOENT)
		rc = 0;
	else
		rc = -errno;
	close(fd);
	return rc;
}

int server_check_other(const char *path, char *err, size_t errlen)
{
	int rc;

	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return -ENAMETOOLONG;
	}
	rc = someone_answers(path);
	if (rc == 1) {
		snprintf(err, errlen, "another retentiond answers on %s; not starting", path);
		return -EADDRINUSE;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot check the socket: %s", path, strerror(-rc));
		return rc;
	}
	return 0;
}

int server_listen(struct server *srv, const char *path, mode_t mode, char *err,
		  size_t errlen)
{
	struct stat st;
	int rc;

	rc = server_check_other(path, err, errlen);
	if (rc < 0)
		return rc;
	/* Nothing answers: a socket left by a crash is stale, anything else
	 * is not ours to remove. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", path);
			return -EEXIST;
		}
		unlink(path);
	}
	uv_pipe_init(srv->d->loop, &srv->listener, 0);
	srv->listener.data = srv;
	/* The socket must never exist with wider rights than configured. */
	mode_t old = umask((mode_t)(~mode & 0777));
	rc = uv_pipe_bind(&srv->listener, path);
	umask(old);
	if (rc == 0 && chmod(path, mode) < 0)
		rc = -errno;
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&srv->listener, 64, on_connection);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot listen: %s", path, uv_strerror(rc));
		uv_close((uv_handle_t *)&srv->listener, NULL);
		return rc;
	}
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	srv->listening = true;
	return 0;
}

int server_adopt(struct server *srv, int fd, char *err, size_t errlen)
{
	int rc;

	uv_pipe_init(srv->d->loop, &srv->listener, 0);
	srv->listener.data = srv;
	rc = uv_pipe_open(&srv->listener, fd);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&srv->listener, 64, on_connection);
	if (rc < 0) {
		snprintf(err, errlen, "cannot listen on the socket passed by systemd: %s",
			 uv_strerror(rc));
		uv_close((uv_handle_t *)&srv->listener, NULL);
		return rc;
	}
	/* systemd owns the socket file: it is not ours to unlink. */
	srv->path[0] = '\0';
	srv->listening = true;
	return 0;
}

void server_close(struct server *srv)
{
	if (!srv || srv->closed)
		return;
	srv->closed = true;
	if (srv->listening) {
		uv_close((uv_handle_t *)&srv->listener, NULL);
		if (srv->path[0])
			unlink(srv->path);
	}
	uv_close((uv_handle_t *)&srv->sweep, NULL);
	for (struct conn *c = srv->conns, *next; c; c = next) {
		next = c->next;
		if (c->job) {
			c->close_after_reply = true;
			uv_read_stop((uv_stream_t *)&c->pipe);
		} else {
			conn_close(c);
		}
	}
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct conn *c = req->data;

	(void)status;
	free(req);
	conn_close(c);
}

void conn_close_after_writes(struct conn *c)
{
	uv_shutdown_t *req = malloc(sizeof(*req));

	if (c->closing)
		return;
	if (!req || uv_shutdown(req, (uv_stream_t *)&c->pipe, on_shutdown) < 0) {
		free(req);
		conn_close(c);
		return;
	}
	req->data = c;
}

void server_free(struct server *srv)
{
	free(srv);
}
