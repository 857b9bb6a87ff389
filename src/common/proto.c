/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Frame codec of the control protocol (see proto.h for the layout).
 */
#include "config.h"

#include "common/proto.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint32_t max_len(enum proto_type type)
{
	switch (type) {
	case PROTO_REQUEST:
		return PROTO_MAX_REQUEST;
	case PROTO_REPLY:
	case PROTO_PROGRESS:
		return PROTO_MAX_REPLY;
	case PROTO_DATA:
		return PROTO_MAX_DATA;
	case PROTO_END:
		return 0;
	}
	return 0;
}

static bool side_receives(enum proto_side side, enum proto_type type)
{
	if (side == PROTO_SIDE_SERVER)
		return type == PROTO_REQUEST || type == PROTO_DATA ||
		       type == PROTO_END;
	return type == PROTO_REPLY || type == PROTO_PROGRESS;
}

void proto_header_encode(uint8_t out[PROTO_HEADER_SIZE], enum proto_type type,
			 uint32_t len)
{
	out[0] = PROTO_MAGIC;
	out[1] = PROTO_VERSION;
	out[2] = (uint8_t)type;
	out[3] = 0;
	out[4] = (uint8_t)(len >> 24);
	out[5] = (uint8_t)(len >> 16);
	out[6] = (uint8_t)(len >> 8);
	out[7] = (uint8_t)len;
}

int proto_header_decode(const uint8_t in[PROTO_HEADER_SIZE],
			enum proto_side side, enum proto_type *type,
			uint32_t *len)
{
	if (in[0] != PROTO_MAGIC || in[3] != 0)
		return -EPROTO;
	if (in[1] != PROTO_VERSION)
		return -EPROTONOSUPPORT;
	const enum proto_type t = (enum proto_type)in[2];
	if (t < PROTO_REQUEST || t > PROTO_PROGRESS || !side_receives(side, t))
		return -EPROTO;
	const uint32_t n = (uint32_t)in[4] << 24 | (uint32_t)in[5] << 16 |
			   (uint32_t)in[6] << 8 | (uint32_t)in[7];
	if (n > max_len(t))
		return -EMSGSIZE;
	*type = t;
	*len = n;
	return 0;
}

void proto_reader_init(struct proto_reader *r, enum proto_side side)
{
	memset(r, 0, sizeof(*r));
	r->side = side;
}

void proto_reader_fini(struct proto_reader *r)
{
	free(r->payload);
	r->payload = NULL;
}

int proto_reader_feed(struct proto_reader *r, const uint8_t *data, size_t len,
		      size_t *consumed, struct proto_frame *frame)
{
	size_t used = 0;

	/* A frame handed out last time is finished with now. */
	if (r->header_have == PROTO_HEADER_SIZE && r->payload_have == r->len &&
	    r->payload) {
		free(r->payload);
		r->payload = NULL;
		r->header_have = 0;
		r->payload_have = 0;
	}
	if (r->header_have < PROTO_HEADER_SIZE) {
		size_t n = PROTO_HEADER_SIZE - r->header_have;
		if (n > len)
			n = len;
		memcpy(r->header + r->header_have, data, n);
		r->header_have += n;
		used += n;
		if (r->header_have < PROTO_HEADER_SIZE) {
			*consumed = used;
			return 0;
		}
		int rc = proto_header_decode(r->header, r->side, &r->type, &r->len);
		if (rc < 0) {
			*consumed = used;
			return rc;
		}
		r->payload = malloc((size_t)r->len + 1);
		if (!r->payload) {
			*consumed = used;
			return -ENOMEM;
		}
		r->payload_have = 0;
	}
	size_t n = r->len - r->payload_have;
	if (n > len - used)
		n = len - used;
	memcpy(r->payload + r->payload_have, data + used, n);
	r->payload_have += n;
	used += n;
	*consumed = used;
	if (r->payload_have < r->len)
		return 0;
	r->payload[r->len] = '\0';
	frame->type = r->type;
	frame->payload = r->payload;
	frame->len = r->len;
	return 1;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EPIPE ? -ECONNRESET : -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int proto_write_frame(int fd, enum proto_type type, const void *payload,
		      uint32_t len)
{
	uint8_t header[PROTO_HEADER_SIZE];

	if (len > max_len(type))
		return -EMSGSIZE;
	proto_header_encode(header, type, len);
	int rc = write_all(fd, header, sizeof(header));
	if (rc == 0 && len > 0)
		rc = write_all(fd, payload, len);
	return rc;
}

int proto_encode_json(enum proto_type type, const json_t *obj, uint8_t **out,
		      size_t *out_len)
{
	const size_t n = json_dumpb(obj, NULL, 0, JSON_COMPACT);

	if (n == 0)
		return -EINVAL;
	if (n > max_len(type))
		return -EMSGSIZE;
	uint8_t *buf = malloc(PROTO_HEADER_SIZE + n);
	if (!buf)
		return -ENOMEM;
	if (json_dumpb(obj, (char *)buf + PROTO_HEADER_SIZE, n, JSON_COMPACT) != n) {
		free(buf);
		return -EINVAL;
	}
	proto_header_encode(buf, type, (uint32_t)n);
	*out = buf;
	*out_len = PROTO_HEADER_SIZE + n;
	return 0;
}

int proto_write_json(int fd, enum proto_type type, const json_t *obj)
{
	uint8_t *buf;
	size_t len;
	int rc = proto_encode_json(type, obj, &buf, &len);

	if (rc < 0)
		return rc;
	rc = write_all(fd, buf, len);
	free(buf);
	return rc;
}

static int read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ECONNRESET;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int proto_read_frame(int fd, struct proto_reader *r, struct proto_frame *frame)
{
	uint8_t header[PROTO_HEADER_SIZE];
	enum proto_type type;
	uint32_t len;

	free(r->payload);
	r->payload = NULL;
	r->header_have = 0;
	r->payload_have = 0;
	int rc = read_all(fd, header, sizeof(header));
	if (rc < 0)
		return rc;
	rc = proto_header_decode(header, r->side, &type, &len);
	if (rc < 0)
		return rc;
	r->payload = malloc((size_t)len + 1);
	if (!r->payload)
		return -ENOMEM;
	rc = read_all(fd, r->payload, len);
	if (rc < 0)
		return rc;
	r->payload[len] = '\0';
	frame->type = type;
	frame->payload = r->payload;
	frame->len = len;
	return 0;
}

json_t *proto_parse_json(const struct proto_frame *frame)
{
	json_t *v = json_loadb((const char *)frame->payload, frame->len,
			       JSON_REJECT_DUPLICATES, NULL);

	if (v && !json_is_object(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}
