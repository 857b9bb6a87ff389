/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * UTF-8 validation of untrusted bytes (CSV fields, protocol strings).
 */
#ifndef RETENTIOND_COMMON_UTF8_H
#define RETENTIOND_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True when s[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). NUL bytes are rejected too: no field
 * of ours may carry one.
 */
bool utf8_valid(const char *s, size_t len);

#endif
