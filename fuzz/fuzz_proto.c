/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer harness of the control protocol (proto.c): the bytes a peer
 * sends, read by the incremental frame reader in pieces of random size as
 * a socket would deliver them, each frame's payload parsed as JSON, and
 * every object that parses encoded again and decoded to an equal object.
 * The same bytes then go through a pipe to the blocking reader of the CLI
 * (proto_read_frame), and objects back through proto_write_json.
 * The first byte picks the reading side (low bit) and the piece sizes
 * (the rest: 0 = one piece, n = 1 to 2n bytes).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/proto.h"
#include "fuzz.h"

static uint32_t limit(enum proto_type t)
{
	switch (t) {
	case PROTO_REQUEST:
		return PROTO_MAX_REQUEST;
	case PROTO_DATA:
		return PROTO_MAX_DATA;
	case PROTO_END:
		return 0;
	case PROTO_REPLY:
	case PROTO_PROGRESS:
		break;
	}
	return PROTO_MAX_REPLY;
}

/* A header as the other side reads it: valid, and a limit kept. */
static void check_header(const uint8_t *in, enum proto_side side)
{
	enum proto_type type;
	uint32_t len;
	int rc = proto_header_decode(in, side, &type, &len);

	FUZZ_CHECK(rc == 0 || rc == -EPROTO || rc == -EPROTONOSUPPORT ||
		   rc == -EMSGSIZE);
	if (rc == 0) {
		FUZZ_CHECK(in[0] == PROTO_MAGIC && in[1] == PROTO_VERSION);
		FUZZ_CHECK(type >= PROTO_REQUEST && type <= PROTO_PROGRESS);
		FUZZ_CHECK(len <= limit(type));
	}
}

/* What fits in a pipe's buffer can be written before it is read, by one
 * thread, without blocking (Linux: 64 KiB). */
#define PIPE_ROOM 60000

/* Write len bytes into a new pipe and close its writing end; the reading
 * end, or -1 when it does not fit. */
static int pipe_with(const uint8_t *data, size_t len)
{
	int p[2];

	if (len > PIPE_ROOM)
		return -1;
	FUZZ_CHECK(pipe2(p, O_CLOEXEC) == 0);
	FUZZ_CHECK(len == 0 || write(p[1], data, len) == (ssize_t)len);
	close(p[1]);
	return p[0];
}

/* encode(obj) then decode gives obj back, under both kinds of limit. */
static void round_trip(const json_t *obj, enum proto_type type)
{
	struct proto_frame frame;
	enum proto_type t;
	uint8_t *buf = NULL;
	size_t len = 0;
	uint32_t n;
	int rc = proto_encode_json(type, obj, &buf, &len);

	/* Compact output may still outgrow the input (1E2 is 100.0). */
	if (rc == -EMSGSIZE)
		return;
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(len > PROTO_HEADER_SIZE);
	FUZZ_CHECK(proto_header_decode(buf, type == PROTO_REQUEST ? PROTO_SIDE_SERVER
								  : PROTO_SIDE_CLIENT,
				       &t, &n) == 0);
	FUZZ_CHECK(t == type && n == len - PROTO_HEADER_SIZE);
	frame.type = t;
	frame.payload = buf + PROTO_HEADER_SIZE;
	frame.len = n;
	json_t *again = proto_parse_json(&frame);
	FUZZ_CHECK(again != NULL);
	FUZZ_CHECK(json_equal(obj, again));
	json_decref(again);

	/* The same frame written by proto_write_json, read back whole. */
	if (len <= PIPE_ROOM) {
		struct proto_reader r;
		int p[2];

		FUZZ_CHECK(pipe2(p, O_CLOEXEC) == 0);
		FUZZ_CHECK(proto_write_json(p[1], type, obj) == 0);
		close(p[1]);
		proto_reader_init(&r, type == PROTO_REQUEST ? PROTO_SIDE_SERVER
							    : PROTO_SIDE_CLIENT);
		FUZZ_CHECK(proto_read_frame(p[0], &r, &frame) == 0);
		FUZZ_CHECK(frame.type == type && frame.len == n);
		FUZZ_CHECK(memcmp(frame.payload, buf + PROTO_HEADER_SIZE, n) == 0);
		FUZZ_CHECK(proto_read_frame(p[0], &r, &frame) == -ECONNRESET);
		proto_reader_fini(&r);
		close(p[0]);
	}
	free(buf);
}

/* The CLI's blocking reader over the same bytes, until the end or an
 * error, as retentionctl reads a reply. */
static void blocking_read(const uint8_t *data, size_t size, enum proto_side side)
{
	struct proto_reader r;
	struct proto_frame frame;
	const int fd = pipe_with(data, size);
	int rc;

	if (fd < 0)
		return;
	proto_reader_init(&r, side);
	while ((rc = proto_read_frame(fd, &r, &frame)) == 0) {
		FUZZ_CHECK(frame.len <= limit(frame.type));
		FUZZ_CHECK(frame.payload[frame.len] == '\0');
	}
	FUZZ_CHECK(rc == -ECONNRESET || rc == -EPROTO || rc == -EPROTONOSUPPORT ||
		   rc == -EMSGSIZE);
	proto_reader_fini(&r);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_reader r;
	struct proto_frame frame;

	if (size == 0)
		return 0;
	const enum proto_side side = data[0] & 1 ? PROTO_SIDE_CLIENT : PROTO_SIDE_SERVER;
	const size_t max_piece = (size_t)(data[0] >> 1) * 2;
	uint32_t seed = data[0] + 1u;
	data++;
	size--;
	if (size >= PROTO_HEADER_SIZE) {
		check_header(data, PROTO_SIDE_SERVER);
		check_header(data, PROTO_SIDE_CLIENT);
	}

	proto_reader_init(&r, side);
	size_t pos = 0;
	int rc = 0;
	while (pos < size && rc >= 0) {
		const size_t n = fuzz_piece(&seed, max_piece, size - pos);
		size_t off = 0;

		/* A piece may hold several frames, or the end of one. */
		while (off < n) {
			size_t used = 0;

			rc = proto_reader_feed(&r, data + pos + off, n - off, &used, &frame);
			FUZZ_CHECK(used <= n - off);
			off += used;
			if (rc < 0) {
				FUZZ_CHECK(rc == -EPROTO || rc == -EPROTONOSUPPORT ||
					   rc == -EMSGSIZE);
				break; /* the daemon drops the connection */
			}
			if (rc == 0) {
				FUZZ_CHECK(off == n); /* it wants more: all was taken */
				break;
			}
			FUZZ_CHECK(rc == 1);
			FUZZ_CHECK(frame.len <= limit(frame.type));
			FUZZ_CHECK(frame.payload[frame.len] == '\0');
			json_t *obj = proto_parse_json(&frame);
			if (obj) {
				FUZZ_CHECK(json_is_object(obj));
				round_trip(obj, PROTO_REQUEST);
				round_trip(obj, PROTO_REPLY);
				json_decref(obj);
			}
		}
		pos += n;
	}
	proto_reader_fini(&r);
	blocking_read(data, size, side);
	return 0;
}
