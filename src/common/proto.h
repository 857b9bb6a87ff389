/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The control protocol between retentiond and retentionctl, shared by both
 * so that framing and limits cannot drift apart. See doc/protocol.md.
 *
 * A frame is an 8-byte header then a payload:
 *   byte 0    'R' (magic)
 *   byte 1    protocol version (PROTO_VERSION)
 *   byte 2    frame type (enum proto_type)
 *   byte 3    0
 *   bytes 4-7 payload length, big-endian
 * REQUEST, REPLY and PROGRESS carry one JSON object; DATA carries raw bytes
 * of an import; END (empty) closes a DATA stream.
 */
#ifndef RETENTIOND_COMMON_PROTO_H
#define RETENTIOND_COMMON_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define PROTO_MAGIC 'R'
#define PROTO_VERSION 1
#define PROTO_HEADER_SIZE 8

/* Size limits, checked on both sides before any allocation. */
#define PROTO_MAX_REQUEST (64u * 1024)        /* a command is small */
#define PROTO_MAX_REPLY (64u * 1024 * 1024)   /* proposal lists can be long */
#define PROTO_MAX_DATA (256u * 1024)          /* one chunk of an import */

enum proto_type {
	PROTO_REQUEST = 1,
	PROTO_REPLY = 2,
	PROTO_DATA = 3,
	PROTO_END = 4,
	PROTO_PROGRESS = 5,
};

/* Which side reads: the limits differ (a server never accepts a reply). */
enum proto_side {
	PROTO_SIDE_SERVER,
	PROTO_SIDE_CLIENT,
};

void proto_header_encode(uint8_t out[PROTO_HEADER_SIZE], enum proto_type type,
			 uint32_t len);

/*
 * Check a header read by `side`. 0, or -EPROTO (bad magic, reserved byte
 * or a type this side never receives), -EPROTONOSUPPORT (other version),
 * -EMSGSIZE (payload over the limit of its type).
 */
int proto_header_decode(const uint8_t in[PROTO_HEADER_SIZE],
			enum proto_side side, enum proto_type *type,
			uint32_t *len);

/* Incremental frame reader for non-blocking input (the daemon). */
struct proto_reader {
	enum proto_side side;
	uint8_t header[PROTO_HEADER_SIZE];
	size_t header_have;
	enum proto_type type;
	uint32_t len;
	uint8_t *payload; /* capacity len + 1, NUL-terminated when complete */
	size_t payload_have;
};

struct proto_frame {
	enum proto_type type;
	const uint8_t *payload; /* valid until the next proto_reader_feed */
	uint32_t len;
};

void proto_reader_init(struct proto_reader *r, enum proto_side side);
void proto_reader_fini(struct proto_reader *r);

/*
 * Consume bytes from data until one frame is complete or data runs out.
 * *consumed = bytes used. Returns 1 with *frame set when a frame is
 * complete, 0 when more bytes are needed, or a negative error of
 * proto_header_decode / -ENOMEM.
 */
int proto_reader_feed(struct proto_reader *r, const uint8_t *data, size_t len,
		      size_t *consumed, struct proto_frame *frame);

/* Blocking I/O on a stream socket (the CLI). 0 or a negative errno;
 * -ECONNRESET when the peer closed the connection. */
int proto_write_frame(int fd, enum proto_type type, const void *payload,
		      uint32_t len);
int proto_write_json(int fd, enum proto_type type, const json_t *obj);
int proto_read_frame(int fd, struct proto_reader *r, struct proto_frame *frame);

/*
 * Encode obj compactly into a malloc'd buffer with room for the header in
 * front: *out = header + JSON, *out_len = total. For writers that queue
 * buffers (the daemon). -EMSGSIZE over the type's limit, -ENOMEM.
 */
int proto_encode_json(enum proto_type type, const json_t *obj, uint8_t **out,
		      size_t *out_len);

/* Parse a JSON object payload; NULL when it is not a JSON object. */
json_t *proto_parse_json(const struct proto_frame *frame);

#endif
