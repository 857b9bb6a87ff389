/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the control protocol codec: the frame header, the limits
 * of each side, the incremental reader, blocking I/O over a socketpair and
 * the JSON payloads.
 */
#include "config.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/proto.h"

static void header(uint8_t h[PROTO_HEADER_SIZE], uint8_t magic, uint8_t version,
		   uint8_t type, uint8_t reserved, uint32_t len)
{
	h[0] = magic;
	h[1] = version;
	h[2] = type;
	h[3] = reserved;
	h[4] = (uint8_t)(len >> 24);
	h[5] = (uint8_t)(len >> 16);
	h[6] = (uint8_t)(len >> 8);
	h[7] = (uint8_t)len;
}

/* Decode a header built from its fields; the outputs get sentinels so a
 * failing decode can be checked not to have written them. */
static int decode(enum proto_side side, uint8_t type, uint32_t len,
		  enum proto_type *t, uint32_t *l)
{
	uint8_t h[PROTO_HEADER_SIZE];

	header(h, 'R', 1, type, 0, len);
	*t = (enum proto_type)99;
	*l = 0xDEADBEEF;
	return proto_header_decode(h, side, t, l);
}

/* ------------------------------------------------------------ header */

Test(header, encode_layout)
{
	uint8_t h[PROTO_HEADER_SIZE];

	/* doc/protocol.md: 'R', version 1, type, 0, length big-endian. */
	proto_header_encode(h, PROTO_DATA, 0x01020304u);
	const uint8_t want[PROTO_HEADER_SIZE] = {'R', 1, 3, 0, 1, 2, 3, 4};
	cr_assert_arr_eq(h, want, sizeof(want));
	cr_assert_eq(PROTO_REQUEST, 1);
	cr_assert_eq(PROTO_REPLY, 2);
	cr_assert_eq(PROTO_DATA, 3);
	cr_assert_eq(PROTO_END, 4);
	cr_assert_eq(PROTO_PROGRESS, 5);
}

Test(header, round_trip)
{
	static const struct {
		enum proto_side side;
		enum proto_type type;
		uint32_t len;
	} cases[] = {
		{PROTO_SIDE_SERVER, PROTO_REQUEST, 0},
		{PROTO_SIDE_SERVER, PROTO_REQUEST, 17},
		{PROTO_SIDE_SERVER, PROTO_REQUEST, PROTO_MAX_REQUEST},
		{PROTO_SIDE_SERVER, PROTO_DATA, 1},
		{PROTO_SIDE_SERVER, PROTO_DATA, 0x1234},
		{PROTO_SIDE_SERVER, PROTO_DATA, PROTO_MAX_DATA},
		{PROTO_SIDE_SERVER, PROTO_END, 0},
		{PROTO_SIDE_CLIENT, PROTO_REPLY, 0},
		{PROTO_SIDE_CLIENT, PROTO_REPLY, 0x00ABCDEF},
		{PROTO_SIDE_CLIENT, PROTO_REPLY, PROTO_MAX_REPLY},
		{PROTO_SIDE_CLIENT, PROTO_PROGRESS, 42},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t h[PROTO_HEADER_SIZE];
		enum proto_type t = (enum proto_type)0;
		uint32_t l = 0xDEADBEEF;

		proto_header_encode(h, cases[i].type, cases[i].len);
		cr_assert_eq(proto_header_decode(h, cases[i].side, &t, &l), 0,
			     "case %zu", i);
		cr_assert_eq(t, cases[i].type, "case %zu", i);
		cr_assert_eq(l, cases[i].len, "case %zu", i);
	}
}

Test(header, bad_magic)
{
	uint8_t h[PROTO_HEADER_SIZE];
	enum proto_type t = (enum proto_type)99;
	uint32_t l = 7;

	header(h, 'r', 1, PROTO_REQUEST, 0, 2);
	cr_assert_eq(proto_header_decode(h, PROTO_SIDE_SERVER, &t, &l), -EPROTO);
	header(h, 0, 1, PROTO_REQUEST, 0, 2);
	cr_assert_eq(proto_header_decode(h, PROTO_SIDE_SERVER, &t, &l), -EPROTO);
	/* An HTTP client or a stray process writing text. */
	memcpy(h, "GET / HT", 8);
	cr_assert_eq(proto_header_decode(h, PROTO_SIDE_SERVER, &t, &l), -EPROTO);
	cr_assert_eq(t, (enum proto_type)99, "outputs untouched on failure");
	cr_assert_eq(l, 7);
}

Test(header, bad_reserved_byte)
{
	uint8_t h[PROTO_HEADER_SIZE];
	enum proto_type t;
	uint32_t l;

	for (int v = 1; v < 256; v++) {
		header(h, 'R', 1, PROTO_REQUEST, (uint8_t)v, 2);
		cr_assert_eq(proto_header_decode(h, PROTO_SIDE_SERVER, &t, &l),
			     -EPROTO, "reserved byte %d", v);
	}
}

Test(header, other_version)
{
	uint8_t h[PROTO_HEADER_SIZE];
	enum proto_type t = (enum proto_type)99;
	uint32_t l = 7;

	for (int v = 0; v < 256; v++) {
		if (v == PROTO_VERSION)
			continue;
		header(h, 'R', (uint8_t)v, PROTO_REQUEST, 0, 2);
		cr_assert_eq(proto_header_decode(h, PROTO_SIDE_SERVER, &t, &l),
			     -EPROTONOSUPPORT, "version %d", v);
		header(h, 'R', (uint8_t)v, PROTO_REPLY, 0, 2);
		cr_assert_eq(proto_header_decode(h, PROTO_SIDE_CLIENT, &t, &l),
			     -EPROTONOSUPPORT, "version %d", v);
	}
	cr_assert_eq(t, (enum proto_type)99);
	cr_assert_eq(l, 7);
}

Test(header, type_not_received_by_the_side)
{
	enum proto_type t;
	uint32_t l;

	/* A server never receives a reply or progress... */
	cr_assert_eq(decode(PROTO_SIDE_SERVER, PROTO_REPLY, 2, &t, &l), -EPROTO);
	cr_assert_eq(decode(PROTO_SIDE_SERVER, PROTO_PROGRESS, 2, &t, &l), -EPROTO);
	/* ...a client never receives a request, data or end. */
	cr_assert_eq(decode(PROTO_SIDE_CLIENT, PROTO_REQUEST, 2, &t, &l), -EPROTO);
	cr_assert_eq(decode(PROTO_SIDE_CLIENT, PROTO_DATA, 2, &t, &l), -EPROTO);
	cr_assert_eq(decode(PROTO_SIDE_CLIENT, PROTO_END, 0, &t, &l), -EPROTO);
	cr_assert_eq(t, (enum proto_type)99);
	cr_assert_eq(l, 0xDEADBEEF);
}

Test(header, unknown_types)
{
	enum proto_type t;
	uint32_t l;

	cr_assert_eq(decode(PROTO_SIDE_SERVER, 0, 2, &t, &l), -EPROTO);
	cr_assert_eq(decode(PROTO_SIDE_CLIENT, 0, 2, &t, &l), -EPROTO);
	for (int type = 6; type < 256; type++) {
		cr_assert_eq(decode(PROTO_SIDE_SERVER, (uint8_t)type, 2, &t, &l),
			     -EPROTO, "type %d", type);
		cr_assert_eq(decode(PROTO_SIDE_CLIENT, (uint8_t)type, 2, &t, &l),
			     -EPROTO, "type %d", type);
	}
}

Test(header, lengths_over_the_limit)
{
	enum proto_type t;
	uint32_t l;

	cr_assert_eq(PROTO_MAX_REQUEST, 64u * 1024, "doc/protocol.md: 64 KiB");
	cr_assert_eq(PROTO_MAX_DATA, 256u * 1024, "doc/protocol.md: 256 KiB");
	cr_assert_eq(PROTO_MAX_REPLY, 64u * 1024 * 1024, "doc/protocol.md: 64 MiB");

	cr_assert_eq(decode(PROTO_SIDE_SERVER, PROTO_REQUEST, PROTO_MAX_REQUEST + 1,
			    &t, &l), -EMSGSIZE);
	cr_assert_eq(decode(PROTO_SIDE_SERVER, PROTO_REQUEST, UINT32_MAX, &t, &l),
		     -EMSGSIZE);
	cr_assert_eq(decode(PROTO_SIDE_SERVER, PROTO_DATA, PROTO_MAX_DATA + 1,
			    &t, &l), -EMSGSIZE);
	cr_assert_eq(decode(PROTO_SIDE_SERVER, PROTO_DATA, UINT32_MAX, &t, &l),
		     -EMSGSIZE);
	cr_assert_eq(decode(PROTO_SIDE_SERVER, PROTO_END, 1, &t, &l), -EMSGSIZE,
		     "END is empty");
	cr_assert_eq(decode(PROTO_SIDE_CLIENT, PROTO_REPLY, PROTO_MAX_REPLY + 1,
			    &t, &l), -EMSGSIZE);
	cr_assert_eq(decode(PROTO_SIDE_CLIENT, PROTO_REPLY, UINT32_MAX, &t, &l),
		     -EMSGSIZE);
	cr_assert_eq(t, (enum proto_type)99);
	cr_assert_eq(l, 0xDEADBEEF);
	/* A request as long as the largest data chunk is still over its own
	 * limit: each type has its own. */
	cr_assert_eq(decode(PROTO_SIDE_SERVER, PROTO_REQUEST, PROTO_MAX_DATA, &t, &l),
		     -EMSGSIZE);
}

/* ------------------------------------------------------------ reader */

/* Append one frame (header + payload) to buf at *pos. */
static void put_frame(uint8_t *buf, size_t *pos, enum proto_type type,
		      const char *payload, uint32_t len)
{
	proto_header_encode(buf + *pos, type, len);
	*pos += PROTO_HEADER_SIZE;
	memcpy(buf + *pos, payload, len);
	*pos += len;
}

struct got {
	enum proto_type type;
	char payload[128];
	uint32_t len;
};

/* Feed buf to a reader in pieces of `step` bytes (0: all at once),
 * calling proto_reader_feed until each piece is used; collect frames. */
static size_t feed_all(enum proto_side side, const uint8_t *buf, size_t len,
		       size_t step, struct got *out, size_t max)
{
	struct proto_reader r;
	size_t n = 0, pos = 0;

	proto_reader_init(&r, side);
	while (pos < len) {
		size_t piece = step && len - pos > step ? step : len - pos;
		const uint8_t *p = buf + pos;

		pos += piece;
		while (piece > 0) {
			struct proto_frame f;
			size_t used = 0;
			int rc = proto_reader_feed(&r, p, piece, &used, &f);

			cr_assert_geq(rc, 0, "feed failed: %d", rc);
			cr_assert_leq(used, piece);
			if (rc == 1) {
				cr_assert_lt(n, max);
				cr_assert_lt(f.len, sizeof(out[n].payload));
				out[n].type = f.type;
				out[n].len = f.len;
				memcpy(out[n].payload, f.payload, f.len);
				cr_assert_eq(f.payload[f.len], '\0',
					     "payload NUL-terminated");
				out[n].payload[f.len] = '\0';
				n++;
			} else {
				cr_assert_eq(used, piece,
					     "0 (need more) only once the input is used up");
			}
			p += used;
			piece -= used;
		}
	}
	proto_reader_fini(&r);
	return n;
}

static void check_three_frames(size_t step)
{
	uint8_t buf[256];
	size_t len = 0;
	struct got got[8];

	put_frame(buf, &len, PROTO_REQUEST, "{\"cmd\":\"import\"}", 16);
	put_frame(buf, &len, PROTO_DATA, "ipp,birth_date\n1,2000-01-01\n", 28);
	put_frame(buf, &len, PROTO_END, "", 0);

	size_t n = feed_all(PROTO_SIDE_SERVER, buf, len, step, got, 8);
	cr_assert_eq(n, 3, "step %zu: %zu frames", step, n);
	cr_assert_eq(got[0].type, PROTO_REQUEST);
	cr_assert_eq(got[0].len, 16);
	cr_assert_str_eq(got[0].payload, "{\"cmd\":\"import\"}");
	cr_assert_eq(got[1].type, PROTO_DATA);
	cr_assert_eq(got[1].len, 28);
	cr_assert_str_eq(got[1].payload, "ipp,birth_date\n1,2000-01-01\n");
	cr_assert_eq(got[2].type, PROTO_END);
	cr_assert_eq(got[2].len, 0);
}

Test(reader, several_frames_in_one_block)
{
	check_three_frames(0);
}

Test(reader, byte_by_byte)
{
	check_three_frames(1);
}

Test(reader, every_piece_size)
{
	for (size_t step = 2; step < 80; step++)
		check_three_frames(step);
}

Test(reader, zero_length_end_frame_alone)
{
	struct proto_reader r;
	struct proto_frame f;
	uint8_t h[PROTO_HEADER_SIZE];
	size_t used = 0;

	proto_reader_init(&r, PROTO_SIDE_SERVER);
	proto_header_encode(h, PROTO_END, 0);
	/* Seven bytes: not yet a frame. */
	cr_assert_eq(proto_reader_feed(&r, h, 7, &used, &f), 0);
	cr_assert_eq(used, 7);
	cr_assert_eq(proto_reader_feed(&r, h + 7, 1, &used, &f), 1,
		     "the 8th byte completes an empty frame");
	cr_assert_eq(used, 1);
	cr_assert_eq(f.type, PROTO_END);
	cr_assert_eq(f.len, 0);
	/* And the reader starts over after it. */
	proto_header_encode(h, PROTO_END, 0);
	cr_assert_eq(proto_reader_feed(&r, h, 8, &used, &f), 1);
	cr_assert_eq(used, 8);
	cr_assert_eq(f.type, PROTO_END);
	proto_reader_fini(&r);
}

Test(reader, stops_at_the_end_of_one_frame)
{
	uint8_t buf[64];
	size_t len = 0, used = 0;
	struct proto_reader r;
	struct proto_frame f;

	put_frame(buf, &len, PROTO_DATA, "abc", 3);
	put_frame(buf, &len, PROTO_DATA, "defg", 4);
	proto_reader_init(&r, PROTO_SIDE_SERVER);
	cr_assert_eq(proto_reader_feed(&r, buf, len, &used, &f), 1);
	cr_assert_eq(used, PROTO_HEADER_SIZE + 3, "only the first frame is consumed");
	cr_assert_eq(f.len, 3);
	cr_assert_arr_eq(f.payload, "abc", 3);
	cr_assert_eq(proto_reader_feed(&r, buf + used, len - used, &used, &f), 1);
	cr_assert_eq(used, PROTO_HEADER_SIZE + 4);
	cr_assert_arr_eq(f.payload, "defg", 4);
	proto_reader_fini(&r);
}

Test(reader, refuses_what_the_side_does_not_receive)
{
	struct proto_reader r;
	struct proto_frame f;
	uint8_t h[PROTO_HEADER_SIZE];
	size_t used = 0;

	proto_reader_init(&r, PROTO_SIDE_SERVER);
	proto_header_encode(h, PROTO_REPLY, 2);
	cr_assert_eq(proto_reader_feed(&r, h, sizeof(h), &used, &f), -EPROTO);
	proto_reader_fini(&r);

	proto_reader_init(&r, PROTO_SIDE_CLIENT);
	proto_header_encode(h, PROTO_DATA, 2);
	cr_assert_eq(proto_reader_feed(&r, h, sizeof(h), &used, &f), -EPROTO);
	proto_reader_fini(&r);
}

Test(reader, over_limit_refused_from_the_header_alone)
{
	struct proto_reader r;
	struct proto_frame f;
	uint8_t h[PROTO_HEADER_SIZE];
	size_t used = 0;

	/* No payload bytes follow: the length alone must be refused. */
	proto_reader_init(&r, PROTO_SIDE_SERVER);
	proto_header_encode(h, PROTO_REQUEST, PROTO_MAX_REQUEST + 1);
	cr_assert_eq(proto_reader_feed(&r, h, sizeof(h), &used, &f), -EMSGSIZE);
	proto_reader_fini(&r);

	proto_reader_init(&r, PROTO_SIDE_SERVER);
	proto_header_encode(h, PROTO_DATA, PROTO_MAX_DATA + 1);
	cr_assert_eq(proto_reader_feed(&r, h, sizeof(h), &used, &f), -EMSGSIZE);
	proto_reader_fini(&r);

	proto_reader_init(&r, PROTO_SIDE_CLIENT);
	proto_header_encode(h, PROTO_REPLY, PROTO_MAX_REPLY + 1);
	cr_assert_eq(proto_reader_feed(&r, h, sizeof(h), &used, &f), -EMSGSIZE);
	proto_reader_fini(&r);
}

Test(reader, bad_version_in_the_stream)
{
	struct proto_reader r;
	struct proto_frame f;
	uint8_t h[PROTO_HEADER_SIZE];
	size_t used = 0;

	header(h, 'R', 2, PROTO_REQUEST, 0, 2);
	proto_reader_init(&r, PROTO_SIDE_SERVER);
	cr_assert_eq(proto_reader_feed(&r, h, sizeof(h), &used, &f),
		     -EPROTONOSUPPORT);
	proto_reader_fini(&r);
}

/* ------------------------------------------------------------ socketpair */

struct pair {
	int fd[2];
};

static struct pair pair_open(void)
{
	struct pair p;

	signal(SIGPIPE, SIG_IGN); /* as retentionctl and retentiond do */
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, p.fd), 0);
	return p;
}

static void pair_close(struct pair *p)
{
	for (int i = 0; i < 2; i++)
		if (p->fd[i] >= 0)
			close(p->fd[i]);
}

Test(socket, json_round_trip)
{
	struct pair p = pair_open();
	struct proto_reader r;
	struct proto_frame f;
	json_t *req = json_pack("{s:i, s:s, s:s}", "v", 1, "cmd", "explain",
				"ipp", "Montb\xC3\xA9liard-42");

	cr_assert_eq(proto_write_json(p.fd[0], PROTO_REQUEST, req), 0);
	proto_reader_init(&r, PROTO_SIDE_SERVER);
	cr_assert_eq(proto_read_frame(p.fd[1], &r, &f), 0);
	cr_assert_eq(f.type, PROTO_REQUEST);
	json_t *back = proto_parse_json(&f);
	cr_assert_not_null(back);
	cr_assert(json_equal(req, back), "decoded object differs");
	json_decref(back);
	json_decref(req);
	proto_reader_fini(&r);
	pair_close(&p);
}

Test(socket, reply_and_progress_to_the_client)
{
	struct pair p = pair_open();
	struct proto_reader r;
	struct proto_frame f;
	json_t *prog = json_pack("{s:s, s:i}", "phase", "import", "rows", 1000);
	json_t *rep = json_pack("{s:b, s:{}}", "ok", 1, "result");

	cr_assert_eq(proto_write_json(p.fd[1], PROTO_PROGRESS, prog), 0);
	cr_assert_eq(proto_write_json(p.fd[1], PROTO_REPLY, rep), 0);
	proto_reader_init(&r, PROTO_SIDE_CLIENT);
	cr_assert_eq(proto_read_frame(p.fd[0], &r, &f), 0);
	cr_assert_eq(f.type, PROTO_PROGRESS);
	json_t *a = proto_parse_json(&f);
	cr_assert(json_equal(a, prog));
	cr_assert_eq(proto_read_frame(p.fd[0], &r, &f), 0);
	cr_assert_eq(f.type, PROTO_REPLY);
	json_t *b = proto_parse_json(&f);
	cr_assert(json_equal(b, rep));
	json_decref(a);
	json_decref(b);
	json_decref(prog);
	json_decref(rep);
	proto_reader_fini(&r);
	pair_close(&p);
}

Test(socket, data_and_end_frames)
{
	struct pair p = pair_open();
	struct proto_reader r;
	struct proto_frame f;
	static const char csv[] = "ipp,birth_date\n42,2001-02-03\n";

	cr_assert_eq(proto_write_frame(p.fd[0], PROTO_DATA, csv, sizeof(csv) - 1), 0);
	cr_assert_eq(proto_write_frame(p.fd[0], PROTO_END, NULL, 0), 0);
	proto_reader_init(&r, PROTO_SIDE_SERVER);
	cr_assert_eq(proto_read_frame(p.fd[1], &r, &f), 0);
	cr_assert_eq(f.type, PROTO_DATA);
	cr_assert_eq(f.len, sizeof(csv) - 1);
	cr_assert_arr_eq(f.payload, csv, sizeof(csv) - 1);
	cr_assert_eq(proto_read_frame(p.fd[1], &r, &f), 0);
	cr_assert_eq(f.type, PROTO_END);
	cr_assert_eq(f.len, 0);
	proto_reader_fini(&r);
	pair_close(&p);
}

Test(socket, written_bytes_are_what_the_incremental_reader_reads)
{
	struct pair p = pair_open();
	json_t *req = json_pack("{s:i, s:s}", "v", 1, "cmd", "status");
	uint8_t buf[256];

	cr_assert_eq(proto_write_json(p.fd[0], PROTO_REQUEST, req), 0);
	close(p.fd[0]);
	p.fd[0] = -1;
	ssize_t n = read(p.fd[1], buf, sizeof(buf));
	cr_assert_gt(n, PROTO_HEADER_SIZE);
	/* Same bytes as proto_encode_json gives. */
	uint8_t *enc = NULL;
	size_t enc_len = 0;
	cr_assert_eq(proto_encode_json(PROTO_REQUEST, req, &enc, &enc_len), 0);
	cr_assert_eq((size_t)n, enc_len);
	cr_assert_arr_eq(buf, enc, enc_len);
	struct got got[2];
	cr_assert_eq(feed_all(PROTO_SIDE_SERVER, buf, (size_t)n, 1, got, 2), 1);
	cr_assert_eq(got[0].len, (uint32_t)n - PROTO_HEADER_SIZE);
	free(enc);
	json_decref(req);
	pair_close(&p);
}

Test(socket, over_limit_write_sends_nothing)
{
	struct pair p = pair_open();
	char *big = malloc(PROTO_MAX_DATA + 1);
	uint8_t b;

	cr_assert_not_null(big);
	memset(big, 'x', PROTO_MAX_DATA + 1);
	big[PROTO_MAX_REQUEST - 1] = '\0';
	/* {"s":"xxx..."} is over 64 KiB once quoted. */
	json_t *req = json_pack("{s:s}", "s", big);
	cr_assert_eq(proto_write_json(p.fd[0], PROTO_REQUEST, req), -EMSGSIZE);
	cr_assert_eq(proto_write_frame(p.fd[0], PROTO_DATA, big, PROTO_MAX_DATA + 1),
		     -EMSGSIZE);
	cr_assert_eq(proto_write_frame(p.fd[0], PROTO_END, big, 1), -EMSGSIZE);
	cr_assert_eq(recv(p.fd[1], &b, 1, MSG_DONTWAIT), -1, "nothing was sent");
	cr_assert(errno == EAGAIN || errno == EWOULDBLOCK);
	json_decref(req);
	free(big);
	pair_close(&p);
}

Test(socket, over_limit_read_refused)
{
	struct pair p = pair_open();
	struct proto_reader r;
	struct proto_frame f;
	uint8_t h[PROTO_HEADER_SIZE];

	proto_header_encode(h, PROTO_REQUEST, PROTO_MAX_REQUEST + 1);
	cr_assert_eq(write(p.fd[0], h, sizeof(h)), (ssize_t)sizeof(h));
	proto_reader_init(&r, PROTO_SIDE_SERVER);
	cr_assert_eq(proto_read_frame(p.fd[1], &r, &f), -EMSGSIZE);
	proto_reader_fini(&r);

	proto_header_encode(h, PROTO_REPLY, PROTO_MAX_REPLY + 1);
	cr_assert_eq(write(p.fd[1], h, sizeof(h)), (ssize_t)sizeof(h));
	proto_reader_init(&r, PROTO_SIDE_CLIENT);
	cr_assert_eq(proto_read_frame(p.fd[0], &r, &f), -EMSGSIZE);
	proto_reader_fini(&r);
	pair_close(&p);
}

Test(socket, peer_closed)
{
	struct pair p = pair_open();
	struct proto_reader r;
	struct proto_frame f;
	uint8_t h[PROTO_HEADER_SIZE];

	/* A header promising 10 bytes, 3 sent, then the peer goes away. */
	proto_header_encode(h, PROTO_REPLY, 10);
	cr_assert_eq(write(p.fd[1], h, sizeof(h)), (ssize_t)sizeof(h));
	cr_assert_eq(write(p.fd[1], "{\"o", 3), 3);
	close(p.fd[1]);
	p.fd[1] = -1;
	proto_reader_init(&r, PROTO_SIDE_CLIENT);
	cr_assert_eq(proto_read_frame(p.fd[0], &r, &f), -ECONNRESET);
	/* Nothing at all: closed before a header. */
	cr_assert_eq(proto_read_frame(p.fd[0], &r, &f), -ECONNRESET);
	/* Writing to a closed peer. */
	json_t *o = json_object();
	cr_assert_eq(proto_write_json(p.fd[0], PROTO_REQUEST, o), -ECONNRESET);
	json_decref(o);
	proto_reader_fini(&r);
	pair_close(&p);
}

/* ------------------------------------------------------------ JSON */

static json_t *parse(const char *s)
{
	struct proto_frame f = {
		.type = PROTO_REQUEST,
		.payload = (const uint8_t *)s,
		.len = (uint32_t)strlen(s),
	};

	return proto_parse_json(&f);
}

Test(json, objects_parse)
{
	json_t *v = parse("{\"v\":1,\"cmd\":\"status\"}");

	cr_assert_not_null(v);
	cr_assert_str_eq(json_string_value(json_object_get(v, "cmd")), "status");
	json_decref(v);
	v = parse(" { } ");
	cr_assert_not_null(v);
	json_decref(v);
}

Test(json, refuses_non_objects)
{
	static const char *const bad[] = {
		"[]", "[{\"v\":1}]", "\"status\"", "1", "true", "null", "",
		"   ", "{", "{\"v\":1", "{\"v\":}", "{} {}", "{}x", "nul",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *v = parse(bad[i]);
		cr_assert_null(v, "accepted '%s'", bad[i]);
	}
}

Test(json, refuses_duplicate_keys)
{
	cr_assert_null(parse("{\"cmd\":\"status\",\"cmd\":\"scan\"}"));
	cr_assert_null(parse("{\"a\":{\"x\":1,\"x\":2}}"), "nested too");
}

Test(json, payload_length_bounds_the_text)
{
	/* The frame's length, not a NUL, ends the JSON. */
	const char *s = "{\"v\":1}garbage";
	struct proto_frame f = {.type = PROTO_REQUEST,
				.payload = (const uint8_t *)s, .len = 7};
	json_t *v = proto_parse_json(&f);

	cr_assert_not_null(v);
	json_decref(v);
	/* A NUL inside the payload is not JSON. */
	struct proto_frame g = {.type = PROTO_REQUEST,
				.payload = (const uint8_t *)"{}\0{}", .len = 5};
	cr_assert_null(proto_parse_json(&g));
}

Test(json, encode_json_layout)
{
	json_t *o = json_pack("{s:i}", "v", 1);
	uint8_t *buf = NULL;
	size_t len = 0;

	cr_assert_eq(proto_encode_json(PROTO_REPLY, o, &buf, &len), 0);
	cr_assert_eq(len, PROTO_HEADER_SIZE + 7, "compact: {\"v\":1}");
	const uint8_t want[] = {'R', 1, PROTO_REPLY, 0, 0, 0, 0, 7};
	cr_assert_arr_eq(buf, want, sizeof(want));
	cr_assert_arr_eq(buf + PROTO_HEADER_SIZE, "{\"v\":1}", 7);
	free(buf);
	json_decref(o);
}
