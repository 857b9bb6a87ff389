/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The nightly report as an Internet message. Every body part is base64:
 * its lines are 76 characters whatever the report holds (a long CSV line,
 * a long HTML line), it passes any relay unchanged (no 8BITMIME needed),
 * and no base64 line can ever look like a boundary, since the boundaries
 * start with "=_", which base64 never writes. Text is first brought to
 * its canonical form (CRLF line ends, RFC 2046 4.1.1). Headers are ASCII:
 * a subject that is not is written as RFC 2047 encoded words, cut on
 * character boundaries. Addresses are checked, not encoded: an address
 * with CR, LF or anything else outside its syntax is refused, so no field
 * of a report can add a header or a recipient.
 */
#include "config.h"

#include "daemon/mime.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/utf8.h"

/* Bytes of the subject per encoded word: 52 base64 characters, so that
 * "Subject: " and the first word stay within 78 characters. */
#define SUBJECT_CHUNK 39
#define MAX_SUBJECT 2000
#define MAX_FILENAME 120

struct buf {
	char *p;
	size_t len, cap;
	int err;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->err = b->err ? b->err : -EINVAL;
		return;
	}
	put(b, tmp, (size_t)n);
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* n bytes of s as base64, without line breaks. */
static void put_base64(struct buf *b, const unsigned char *s, size_t n)
{
	char q[4];

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		q[0] = b64[(v >> 18) & 63];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		put(b, q, 4);
	}
}

/* A body: base64 in lines of 76 characters, each ended by CRLF. */
static void put_base64_body(struct buf *b, const unsigned char *s, size_t n)
{
	/* 57 bytes make exactly 76 characters. */
	for (size_t i = 0; i < n; i += 57) {
		put_base64(b, s + i, n - i < 57 ? n - i : 57);
		puts_(b, "\r\n");
	}
}

/* Text with CRLF line ends whatever it had (LF, CR, CRLF): *out malloc'd. */
static int canonical_text(const char *s, char **out, size_t *len)
{
	size_t n = strlen(s), extra = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i] == '\n' || s[i] == '\r')
			extra++;
	char *o = malloc(n + extra + 1);
	if (!o)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r' || s[i] == '\n') {
			if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
				i++;
			o[k++] = '\r';
			o[k++] = '\n';
		} else {
			o[k++] = s[i];
		}
	}
	o[k] = '\0';
	*out = o;
	*len = k;
	return 0;
}

bool mime_address_valid(const char *a)
{
	const char *at;
	size_t n;

	if (!a)
		return false;
	n = strlen(a);
	if (n < 3 || n > 254)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];
		if (c <= 0x20 || c >= 0x7f || strchr("<>()[],;:\\\"", c))
			return false;
	}
	at = strchr(a, '@');
	/* One @, with something on each side. */
	return at && at != a && at[1] && !strchr(at + 1, '@');
}

/* Printable, valid UTF-8, no control character: fit for a header once
 * encoded. */
static bool header_text_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > MAX_SUBJECT || !utf8_valid(s, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static bool plain_ascii(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max || strstr(s, "=?"))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* "Subject: ..." with CRLF: as it is when short plain ASCII, else RFC 2047
 * B encoded words of whole UTF-8 characters, one per folded line. */
static void put_subject(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	puts_(b, "Subject: ");
	/* 78 - strlen("Subject: ") - 1: the line stays within 78. */
	if (plain_ascii(s, 68)) {
		puts_(b, s);
		puts_(b, "\r\n");
		return;
	}
	for (size_t i = 0; i < n;) {
		size_t k = n - i < SUBJECT_CHUNK ? n - i : SUBJECT_CHUNK;
		/* Back off to the start of a character (a byte that is not
		 * 10xxxxxx), unless the chunk is the end of the text. */
		while (i + k < n && k > 0 && ((unsigned char)s[i + k] & 0xc0) == 0x80)
			k--;
		if (i)
			puts_(b, "\r\n ");
		puts_(b, "=?UTF-8?B?");
		put_base64(b, (const unsigned char *)s + i, k);
		puts_(b, "?=");
		i += k;
	}
	puts_(b, "\r\n");
}

/* "To: a, b" folded so that no line passes 78 characters. */
static void put_to(struct buf *b, const char *const *to, size_t n)
{
	size_t col = 4;

	puts_(b, "To: ");
	for (size_t i = 0; i < n; i++) {
		size_t w = strlen(to[i]) + (i + 1 < n ? 1 : 0);
		if (i) {
			if (col + 1 + w > 78) {
				puts_(b, "\r\n ");
				col = 1;
			} else {
				puts_(b, " ");
				col++;
			}
		}
		puts_(b, to[i]);
		if (i + 1 < n)
			puts_(b, ",");
		col += w;
	}
	puts_(b, "\r\n");
}

/* RFC 5322 3.3 date-time in the local zone, with English names whatever
 * the locale: "Sat, 21 Nov 2026 02:00:00 +0100". */
static void put_date(struct buf *b, int64_t t)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm)) {
		b->err = b->err ? b->err : -EINVAL;
		return;
	}
	long off = tm.tm_gmtoff / 60;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	putf(b, "Date: %s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld\r\n", days[tm.tm_wday % 7],
	     tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	     tm.tm_sec, sign, off / 60, off % 60);
}

/* 16 hexadecimal digits of the kernel's random numbers (a clock and the
 * pid as a fallback: uniqueness, not secrecy, is what is needed). */
static void random_hex(char out[17])
{
	static unsigned counter;
	unsigned char r[8];

	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		unsigned long long v = (unsigned long long)ts.tv_nsec ^
				       ((unsigned long long)ts.tv_sec << 20) ^ ++counter;
		memcpy(r, &v, sizeof(r));
	}
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

/* The headers of a text part, then its body. */
static int put_text_part(struct buf *b, const char *boundary, const char *type,
			 const char *text)
{
	char *canon = NULL;
	size_t n = 0;
	int r = canonical_text(text, &canon, &n);

	if (r < 0)
		return r;
	putf(b, "--%s\r\n", boundary);
	putf(b, "Content-Type: %s; charset=UTF-8\r\n", type);
	puts_(b, "Content-Transfer-Encoding: base64\r\n\r\n");
	put_base64_body(b, (const unsigned char *)canon, n);
	free(canon);
	return 0;
}

static bool filename_valid(const char *f)
{
	size_t n = strlen(f);

	if (n == 0 || n > MAX_FILENAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)f[i];
		if (c < 0x21 || c > 0x7e || c == '"' || c == '\\' || c == '/')
			return false;
	}
	return true;
}

int mime_build_report(const struct mime_report *r, char **out, size_t *len)
{
	struct buf b = {0};
	char mix[40], alt[40], id[17], host_id[17];
	const char *filename;
	int rc;

	if (!r || !out || !len || !r->subject || !r->text || !r->html || !r->to ||
	    r->n_to == 0 || !mime_address_valid(r->from))
		return -EINVAL;
	for (size_t i = 0; i < r->n_to; i++)
		if (!mime_address_valid(r->to[i]))
			return -EINVAL;
	if (!header_text_valid(r->subject))
		return -EINVAL;
	if (!utf8_valid(r->text, strlen(r->text)) || !utf8_valid(r->html, strlen(r->html)) ||
	    (r->csv && !utf8_valid(r->csv, strlen(r->csv))))
		return -EINVAL;
	filename = r->csv_filename ? r->csv_filename : "retentiond.csv";
	if (r->csv && !filename_valid(filename))
		return -EINVAL;

	random_hex(id);
	random_hex(host_id);
	snprintf(mix, sizeof(mix), "=_rtd_mix_%s", id);
	snprintf(alt, sizeof(alt), "=_rtd_alt_%s", id);

	put_date(&b, r->date);
	putf(&b, "From: %s\r\n", r->from);
	put_to(&b, r->to, r->n_to);
	put_subject(&b, r->subject);
	/* Unique, and kept with the message in the outbox: a retry sends the
	 * same one, so a copy delivered twice is recognised as such. */
	putf(&b, "Message-ID: <%lld.%s%s@%s>\r\n", (long long)r->date, id, host_id,
	     strchr(r->from, '@') + 1);
	puts_(&b, "MIME-Version: 1.0\r\n");
	/* RFC 3834: no vacation auto-replies to a robot. */
	puts_(&b, "Auto-Submitted: auto-generated\r\n");
	putf(&b, "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n\r\n", mix);
	puts_(&b, "This is a message in MIME format.\r\n\r\n");

	putf(&b, "--%s\r\n", mix);
	putf(&b, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n\r\n", alt);
	rc = put_text_part(&b, alt, "text/plain", r->text);
	if (rc == 0)
		rc = put_text_part(&b, alt, "text/html", r->html);
	if (rc < 0)
		goto fail;
	putf(&b, "--%s--\r\n\r\n", alt);

	if (r->csv) {
		char *canon = NULL;
		size_t n = 0;

		rc = canonical_text(r->csv, &canon, &n);
		if (rc < 0)
			goto fail;
		putf(&b, "--%s\r\n", mix);
		putf(&b, "Content-Type: text/csv; charset=UTF-8; header=present;\r\n name=\"%s\"\r\n",
		     filename);
		putf(&b, "Content-Disposition: attachment;\r\n filename=\"%s\"\r\n", filename);
		puts_(&b, "Content-Transfer-Encoding: base64\r\n\r\n");
		put_base64_body(&b, (const unsigned char *)canon, n);
		free(canon);
	}
	putf(&b, "--%s--\r\n", mix);
	if (b.err) {
		rc = b.err;
		goto fail;
	}
	*out = b.p;
	*len = b.len;
	return 0;
fail:
	free(b.p);
	return rc;
}
