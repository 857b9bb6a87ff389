/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Internet messages for the nightly report (RFC 5322, MIME RFC 2045-2049):
 * a multipart/mixed message holding a multipart/alternative of plain text
 * and HTML, and a CSV attachment. UTF-8 throughout; headers encoded per
 * RFC 2047 where they are not ASCII; bodies in base64 or quoted-printable,
 * lines of at most 76 characters; CRLF line ends (what SMTP sends).
 */
#ifndef RETENTIOND_DAEMON_MIME_H
#define RETENTIOND_DAEMON_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mime_report {
	const char *from;            /* address */
	const char *const *to;       /* addresses */
	size_t n_to;
	const char *subject;         /* UTF-8 */
	int64_t date;                /* unix time, for the Date: header */
	const char *text;            /* text/plain body, UTF-8 */
	const char *html;            /* text/html body, UTF-8 */
	const char *csv;             /* attachment body, UTF-8; NULL: none */
	const char *csv_filename;    /* e.g. "retentiond-2026-11-22.csv" */
};

/*
 * Build the whole message into a malloc'd *out of *len bytes, with a
 * unique Message-ID. Returns 0, -EINVAL (a field missing, or an address
 * with CR/LF), -ENOMEM.
 */
int mime_build_report(const struct mime_report *r, char **out, size_t *len);

/*
 * An address we put in a header and give to SMTP as it is: local@domain,
 * printable ASCII without spaces nor the characters that would start a
 * display name, a comment, a list or a new line ("<>()[],;:\"), at most
 * 254 bytes. The configuration checks its addresses with it.
 */
bool mime_address_valid(const char *a);

#endif
