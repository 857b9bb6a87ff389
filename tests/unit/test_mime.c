/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the report's Internet message (src/daemon/mime.c). The
 * message is parsed back here, by a small reader written for the test
 * rather than by the code under test: every line ends in CRLF and stays
 * within the limits, the structure is multipart/mixed { multipart/
 * alternative { text/plain, text/html }, text/csv attachment }, each part
 * decodes (base64) to exactly its input in canonical form, a non-ASCII
 * subject is RFC 2047 encoded and decodes back, the Date is RFC 5322, the
 * Message-ID unique, and an address or a subject carrying CR or LF is
 * refused.
 */
#include "config.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "daemon/mime.h"

static const char *const two_to[] = {"archives@hopital.example", "dim@hopital.example"};

#define NOV21 1795222800 /* 2026-11-21 02:00:00 in Europe/Paris (+0100) */
#define JUL04 1783123200 /* 2026-07-04 02:00:00 in Europe/Paris (+0200) */

static void setup(void)
{
	setenv("TZ", "Europe/Paris", 1);
	tzset();
}

TestSuite(mime, .init = setup);

static struct mime_report sample(void)
{
	return (struct mime_report){
		.from = "retentiond@hopital.example",
		.to = two_to,
		.n_to = 2,
		.subject = "Rapport de conservation du 21/11/2026 — 3 dossiers éligibles",
		.date = NOV21,
		.text = "Rapport de la nuit\nÉligibles : 3\n\nFin.\n",
		.html = "<html><body><p>Éligibles : 3</p>\n<svg width=\"10\"></svg></body></html>\n",
		.csv = "section,ipp,date\nheld,123456,2026-11-21\n",
		.csv_filename = "retentiond-2026-11-21.csv",
	};
}

static char *build(const struct mime_report *r, size_t *len)
{
	char *out = NULL;
	int rc = mime_build_report(r, &out, len);

	cr_assert_eq(rc, 0, "mime_build_report: %d", rc);
	cr_assert_not_null(out);
	cr_assert_eq(strlen(out), *len, "no NUL byte inside the message");
	return out;
}

/* ------------------------------------------------------------ a reader */

/* Every line ends in CRLF (no bare CR or LF); the longest line. */
static size_t check_crlf(const char *m, size_t len)
{
	size_t longest = 0, col = 0;

	cr_assert_gt(len, 2);
	cr_assert(m[len - 2] == '\r' && m[len - 1] == '\n', "ends with CRLF");
	for (size_t i = 0; i < len; i++) {
		if (m[i] == '\r') {
			cr_assert(i + 1 < len && m[i + 1] == '\n', "bare CR at byte %zu", i);
			if (col > longest)
				longest = col;
			col = 0;
			i++;
		} else {
			cr_assert_neq(m[i], '\n', "bare LF at byte %zu", i);
			cr_assert((unsigned char)m[i] < 0x80, "8-bit byte at %zu", i);
			col++;
		}
	}
	return longest;
}

/* The unfolded value of header name in the header block h (up to the
 * first empty line), malloc'd, or NULL. */
static char *header(const char *h, const char *name)
{
	size_t nl = strlen(name);
	const char *end = strstr(h, "\r\n\r\n");
	const char *p = h;

	cr_assert_not_null(end, "a header block ends with an empty line");
	while (p < end + 2) {
		const char *eol = strstr(p, "\r\n");
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			char *v = malloc((size_t)(end - p) + 1);
			size_t k = 0;
			const char *q = p + nl + 1;
			while (*q == ' ')
				q++;
			for (;;) {
				eol = strstr(q, "\r\n");
				memcpy(v + k, q, (size_t)(eol - q));
				k += (size_t)(eol - q);
				/* A folded line goes on after CRLF and a space. */
				if (eol[2] == ' ' || eol[2] == '\t')
					q = eol + 2;
				else
					break;
			}
			v[k] = '\0';
			return v;
		}
		p = eol + 2;
	}
	return NULL;
}

/* The parameter param="..." of a header value, malloc'd. */
static char *param(const char *value, const char *param)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "%s=\"", param);
	p = strstr(value, key);
	cr_assert_not_null(p, "%s has %s", value, param);
	p += strlen(key);
	const char *e = strchr(p, '"');
	cr_assert_not_null(e);
	return strndup(p, (size_t)(e - p));
}

struct part {
	const char *start; /* its headers */
	size_t len;        /* headers and body */
};

/* The parts of a multipart body between delimiters of boundary: checks
 * the closing delimiter and that the boundary occurs nowhere else. */
static size_t split(const char *body, size_t len, const char *boundary, struct part *parts,
		    size_t max)
{
	char delim[128], close_[128];
	size_t n = 0;
	const char *p = body, *end = body + len;

	snprintf(delim, sizeof(delim), "--%s\r\n", boundary);
	snprintf(close_, sizeof(close_), "--%s--\r\n", boundary);
	/* The first delimiter: at the start of a line. */
	p = strstr(p, delim);
	cr_assert_not_null(p, "the first delimiter of %s", boundary);
	cr_assert(p == body || p[-1] == '\n');
	for (;;) {
		const char *start = p + strlen(delim);
		char nd[130];
		snprintf(nd, sizeof(nd), "\r\n--%s", boundary);
		const char *next = strstr(start, nd);
		cr_assert_not_null(next, "a delimiter after part %zu", n);
		cr_assert(next < end);
		cr_assert_lt(n, max);
		parts[n].start = start;
		parts[n].len = (size_t)(next - start) + 2; /* the CRLF before belongs to the delimiter */
		n++;
		p = next + 2;
		if (strncmp(p, close_, strlen(close_)) == 0)
			break;
		cr_assert(strncmp(p, delim, strlen(delim)) == 0, "a delimiter line");
	}
	/* Nothing but the epilogue after the closing delimiter: no other
	 * occurrence of the boundary. */
	cr_assert_null(strstr(p + strlen(close_), boundary));
	return n;
}

static int b64v(char c)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(a, c) : NULL;
	return p ? (int)(p - a) : -1;
}

/* Decode base64 in s[0..n) (CRLF ignored), strictly: malloc'd, *out_len. */
static char *unbase64(const char *s, size_t n, size_t *out_len)
{
	char *o = malloc(n + 1);
	unsigned v = 0;
	int bits = 0, pad = 0;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		cr_assert_eq(pad, 0, "data after padding");
		int d = b64v(c);
		cr_assert_geq(d, 0, "not base64: %c", c);
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[k++] = (char)((v >> bits) & 0xff);
		}
	}
	o[k] = '\0';
	*out_len = k;
	return o;
}

/* Check a leaf part: its type, base64, lines of at most 76, and that it
 * decodes to expected (with CRLF line ends). */
static void check_leaf(const struct part *p, const char *type, const char *expected)
{
	char *ct = header(p->start, "Content-Type");
	char *cte = header(p->start, "Content-Transfer-Encoding");

	cr_assert_not_null(ct);
	cr_assert_eq(strncmp(ct, type, strlen(type)), 0, "%s is %s", ct, type);
	cr_assert_not_null(strstr(ct, "charset=UTF-8"), "%s", ct);
	cr_assert_not_null(cte);
	cr_assert_str_eq(cte, "base64");
	const char *body = strstr(p->start, "\r\n\r\n") + 4;
	size_t blen = p->len - (size_t)(body - p->start);
	for (const char *l = body; l < body + blen;) {
		const char *e = strstr(l, "\r\n");
		cr_assert_leq((size_t)(e - l), 76, "a base64 line of at most 76");
		l = e + 2;
	}
	size_t dlen;
	char *dec = unbase64(body, blen, &dlen);
	/* The input in canonical form: LF becomes CRLF. */
	char canon[8192];
	size_t k = 0;
	for (const char *q = expected; *q; q++) {
		if (*q == '\n')
			canon[k++] = '\r';
		canon[k++] = *q;
	}
	canon[k] = '\0';
	cr_assert_eq(dlen, k, "decoded %zu bytes, expected %zu", dlen, k);
	cr_assert_eq(memcmp(dec, canon, k), 0, "part %s decodes to its input", type);
	free(dec);
	free(ct);
	free(cte);
}

/* The decoded text of an RFC 2047 header value made of B encoded words. */
static char *decode_words(const char *v)
{
	char *out = calloc(1, strlen(v) + 1);
	size_t k = 0;
	const char *p = v;

	while (*p) {
		cr_assert_eq(strncmp(p, "=?UTF-8?B?", 10), 0, "an encoded word at '%s'", p);
		const char *e = strstr(p + 10, "?=");
		cr_assert_not_null(e);
		cr_assert_leq((size_t)(e + 2 - p), 75, "an encoded word of at most 75");
		size_t n;
		char *d = unbase64(p + 10, (size_t)(e - (p + 10)), &n);
		memcpy(out + k, d, n);
		k += n;
		free(d);
		p = e + 2;
		/* Words on folded lines: the folding whitespace between two
		 * encoded words is not part of the text (RFC 2047 6.2). */
		while (*p == ' ')
			p++;
	}
	out[k] = '\0';
	return out;
}

/* ------------------------------------------------------------ tests */

Test(mime, structure_and_round_trip)
{
	struct mime_report r = sample();
	size_t len;
	char *m = build(&r, &len);
	struct part outer[4], inner[4];

	cr_assert_leq(check_crlf(m, len), 78, "every line within 78 characters");

	char *v = header(m, "MIME-Version");
	cr_assert_str_eq(v, "1.0");
	free(v);
	v = header(m, "From");
	cr_assert_str_eq(v, "retentiond@hopital.example");
	free(v);
	v = header(m, "To");
	cr_assert_str_eq(v, "archives@hopital.example, dim@hopital.example");
	free(v);
	char *ct = header(m, "Content-Type");
	cr_assert_eq(strncmp(ct, "multipart/mixed;", 16), 0, "%s", ct);
	char *mix = param(ct, "boundary");
	free(ct);

	const char *body = strstr(m, "\r\n\r\n") + 4;
	size_t n = split(body, len - (size_t)(body - m), mix, outer, 4);
	cr_assert_eq(n, 2, "the alternative and the attachment");

	ct = header(outer[0].start, "Content-Type");
	cr_assert_eq(strncmp(ct, "multipart/alternative;", 22), 0, "%s", ct);
	char *alt = param(ct, "boundary");
	free(ct);
	cr_assert_str_neq(alt, mix);
	const char *abody = strstr(outer[0].start, "\r\n\r\n") + 4;
	n = split(abody, outer[0].len - (size_t)(abody - outer[0].start), alt, inner, 4);
	cr_assert_eq(n, 2, "plain text and HTML");
	check_leaf(&inner[0], "text/plain", r.text);
	check_leaf(&inner[1], "text/html", r.html);

	check_leaf(&outer[1], "text/csv", r.csv);
	char *cd = header(outer[1].start, "Content-Disposition");
	cr_assert_not_null(cd);
	cr_assert_eq(strncmp(cd, "attachment;", 11), 0, "%s", cd);
	char *fn = param(cd, "filename");
	cr_assert_str_eq(fn, "retentiond-2026-11-21.csv");
	free(fn);
	free(cd);
	free(alt);
	free(mix);
	free(m);
}

Test(mime, non_ascii_subject_encoded)
{
	struct mime_report r = sample();
	size_t len;
	char *m = build(&r, &len);
	char *v = header(m, "Subject");

	cr_assert_not_null(v);
	cr_assert_eq(strncmp(v, "=?UTF-8?B?", 10), 0, "encoded: %s", v);
	char *d = decode_words(v);
	cr_assert_str_eq(d, r.subject);
	free(d);
	free(v);
	free(m);
}

Test(mime, long_subject_cut_on_characters)
{
	struct mime_report r = sample();
	char subject[600] = "";
	size_t len;

	/* 2-byte and 3-byte characters across many encoded words. */
	for (int i = 0; i < 40; i++)
		strcat(subject, i % 2 ? "é€" : "ab—");
	r.subject = subject;
	char *m = build(&r, &len);
	cr_assert_leq(check_crlf(m, len), 78);
	char *v = header(m, "Subject");
	char *d = decode_words(v);
	cr_assert_str_eq(d, subject);
	free(d);
	free(v);
	free(m);
}

Test(mime, short_ascii_subject_plain)
{
	struct mime_report r = sample();
	size_t len;

	r.subject = "Nightly retention report";
	char *m = build(&r, &len);
	char *v = header(m, "Subject");
	cr_assert_str_eq(v, "Nightly retention report");
	free(v);
	free(m);
}

Test(mime, long_lines_and_many_recipients)
{
	struct mime_report r = sample();
	static char text[6000];
	const char *to[12];
	char addr[12][64];
	size_t len;

	memset(text, 'x', sizeof(text) - 2);
	text[sizeof(text) - 2] = '\n';
	r.text = text;
	r.html = text;
	for (int i = 0; i < 12; i++) {
		snprintf(addr[i], sizeof(addr[i]), "someone.quite.long%02d@hopital.example", i);
		to[i] = addr[i];
	}
	r.to = to;
	r.n_to = 12;
	char *m = build(&r, &len);
	cr_assert_leq(check_crlf(m, len), 78);
	cr_assert_leq(check_crlf(m, len), 998);
	char *v = header(m, "To");
	for (int i = 0; i < 12; i++)
		cr_assert_not_null(strstr(v, addr[i]));
	free(v);
	free(m);
}

Test(mime, date_rfc5322)
{
	struct mime_report r = sample();
	regex_t re;
	size_t len;
	char *m, *v;

	m = build(&r, &len);
	v = header(m, "Date");
	cr_assert_str_eq(v, "Sat, 21 Nov 2026 02:00:00 +0100");
	free(v);
	free(m);

	r.date = JUL04;
	m = build(&r, &len);
	v = header(m, "Date");
	cr_assert_str_eq(v, "Sat, 4 Jul 2026 02:00:00 +0200");
	cr_assert_eq(regcomp(&re,
			     "^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2} "
			     "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
			     "[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}$",
			     REG_EXTENDED | REG_NOSUB),
		     0);
	cr_assert_eq(regexec(&re, v, 0, NULL, 0), 0, "%s", v);
	regfree(&re);
	free(v);
	free(m);
}

Test(mime, message_id_unique)
{
	struct mime_report r = sample();
	size_t len;
	char *a = build(&r, &len);
	char *b = build(&r, &len);
	char *ia = header(a, "Message-ID");
	char *ib = header(b, "Message-ID");

	cr_assert_not_null(ia);
	cr_assert_eq(ia[0], '<');
	cr_assert_eq(ia[strlen(ia) - 1], '>');
	cr_assert_not_null(strstr(ia, "@hopital.example>"));
	cr_assert_str_neq(ia, ib, "two messages, two Message-IDs");
	free(ia);
	free(ib);
	free(a);
	free(b);
}

Test(mime, without_attachment)
{
	struct mime_report r = sample();
	struct part outer[4];
	size_t len;

	r.csv = NULL;
	char *m = build(&r, &len);
	char *ct = header(m, "Content-Type");
	char *mix = param(ct, "boundary");
	const char *body = strstr(m, "\r\n\r\n") + 4;
	cr_assert_eq(split(body, len - (size_t)(body - m), mix, outer, 4), 1);
	cr_assert_null(strstr(m, "text/csv"));
	free(mix);
	free(ct);
	free(m);
}

Test(mime, text_line_ends_canonical)
{
	struct mime_report r = sample();
	struct part outer[4], inner[4];
	size_t len;

	/* CRLF, lone CR and LF all become CRLF. */
	r.text = "a\r\nb\rc\nd";
	char *m = build(&r, &len);
	char *ct = header(m, "Content-Type");
	char *mix = param(ct, "boundary");
	const char *body = strstr(m, "\r\n\r\n") + 4;
	split(body, len - (size_t)(body - m), mix, outer, 4);
	char *act = header(outer[0].start, "Content-Type");
	char *alt = param(act, "boundary");
	const char *abody = strstr(outer[0].start, "\r\n\r\n") + 4;
	split(abody, outer[0].len - (size_t)(abody - outer[0].start), alt, inner, 4);
	check_leaf(&inner[0], "text/plain", "a\nb\nc\nd");
	free(alt);
	free(act);
	free(mix);
	free(ct);
	free(m);
}

Test(mime, injection_refused)
{
	static const char *const bad_to[] = {"dim@hopital.example\r\nBcc: evil@example.org"};
	static const char *const bad_to2[] = {"dim@hopital.example", "x@y.example\n"};
	static const char *const odd_to[] = {"Dim <dim@hopital.example>"};
	struct mime_report r;
	char *out = NULL;
	size_t len;

	r = sample();
	r.from = "retentiond@hopital.example\r\nBcc: evil@example.org";
	cr_assert_eq(mime_build_report(&r, &out, &len), -EINVAL);
	r = sample();
	r.to = bad_to;
	r.n_to = 1;
	cr_assert_eq(mime_build_report(&r, &out, &len), -EINVAL);
	r = sample();
	r.to = bad_to2;
	r.n_to = 2;
	cr_assert_eq(mime_build_report(&r, &out, &len), -EINVAL);
	r = sample();
	r.to = odd_to;
	r.n_to = 1;
	cr_assert_eq(mime_build_report(&r, &out, &len), -EINVAL);
	r = sample();
	r.subject = "Rapport\r\nBcc: evil@example.org";
	cr_assert_eq(mime_build_report(&r, &out, &len), -EINVAL);
	r = sample();
	r.subject = "Rapport\n";
	cr_assert_eq(mime_build_report(&r, &out, &len), -EINVAL);
	r = sample();
	r.csv_filename = "a\"\r\nX-Evil: 1.csv";
	cr_assert_eq(mime_build_report(&r, &out, &len), -EINVAL);
	cr_assert_null(out, "nothing built");
}

Test(mime, missing_fields_refused)
{
	struct mime_report r;
	char *out = NULL;
	size_t len;

	r = sample();
	r.from = NULL;
	cr_assert_eq(mime_build_report(&r, &out, &len), -EINVAL);
	r = sample();
	r.n_to = 0;
	cr_assert_eq(mime_build_report(&r, &out, &len), -EINVAL);
	r = sample();
	r.subject = "";
	cr_assert_eq(mime_build_report(&r, &out, &len), -EINVAL);
	r = sample();
	r.text = NULL;
	cr_assert_eq(mime_build_report(&r, &out, &len), -EINVAL);
	r = sample();
	r.html = NULL;
	cr_assert_eq(mime_build_report(&r, &out, &len), -EINVAL);
	r = sample();
	r.text = "\xff\xfe not UTF-8";
	cr_assert_eq(mime_build_report(&r, &out, &len), -EINVAL);
}

Test(mime, address_syntax)
{
	cr_assert(mime_address_valid("archives@hopital.example"));
	cr_assert(mime_address_valid("a.b+c@d-e.example"));
	cr_assert(!mime_address_valid(NULL));
	cr_assert(!mime_address_valid(""));
	cr_assert(!mime_address_valid("archives"));
	cr_assert(!mime_address_valid("@hopital.example"));
	cr_assert(!mime_address_valid("archives@"));
	cr_assert(!mime_address_valid("a@b@c"));
	cr_assert(!mime_address_valid("a b@c.example"));
	cr_assert(!mime_address_valid("a@c.example, d@e.example"));
	cr_assert(!mime_address_valid("<a@c.example>"));
	cr_assert(!mime_address_valid("a@c.example\r\n"));
	cr_assert(!mime_address_valid("é@c.example"));
}
