/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer harness of the control protocol (proto.c): the bytes a peer
 * sends, read by the incremental frame reader in pieces of random size as
 * a socket would deliver them, each frame's payload parsed as JSON, and
 * every object that parses encoded again and decoded to an equal object.
 * The first byte picks the reading side (low bit) and the piece sizes
 * (the rest: 0 = one piece, n = 1 to 2n bytes).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

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
	free(buf);
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
	return 0;
}
