/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of utf8_valid(): well-formed sequences of RFC 3629 pass, and
 * overlongs, surrogates, code points above U+10FFFF, truncated sequences,
 * stray continuation bytes, NUL and Latin-1 bytes are refused.
 */
#include "config.h"

#include <criterion/criterion.h>

#include <stdint.h>
#include <string.h>

#include "common/utf8.h"

/* Test literals are C strings: their length is what strlen says, unless
 * they hold a NUL on purpose (then the length is given). */
static bool valid(const char *s)
{
	return utf8_valid(s, strlen(s));
}

/* ------------------------------------------------------------ accepted */

Test(utf8, empty_is_valid)
{
	cr_assert(utf8_valid("", 0));
}

Test(utf8, ascii)
{
	cr_assert(valid("ipp,birth_date,death_date"));
	cr_assert(valid("\x01\x7f"), "every ASCII byte but NUL is valid");
	char all[127];
	for (int i = 0; i < 127; i++)
		all[i] = (char)(i + 1);
	cr_assert(utf8_valid(all, sizeof(all)));
}

Test(utf8, two_byte)
{
	cr_assert(valid("\xC3\xA9"), "é U+00E9");
	cr_assert(valid("Centre hospitalier de Montb\xC3\xA9liard"));
	cr_assert(valid("\xC2\x80"), "U+0080, smallest two-byte code point");
	cr_assert(valid("\xDF\xBF"), "U+07FF, largest two-byte code point");
}

Test(utf8, three_byte)
{
	cr_assert(valid("\xE0\xA0\x80"), "U+0800, smallest three-byte");
	cr_assert(valid("\xE2\x82\xAC"), "€ U+20AC");
	cr_assert(valid("\xED\x9F\xBF"), "U+D7FF, just below the surrogates");
	cr_assert(valid("\xEE\x80\x80"), "U+E000, just above the surrogates");
	cr_assert(valid("\xEF\xBB\xBF"), "U+FEFF, the byte order mark");
	cr_assert(valid("\xEF\xBF\xBF"), "U+FFFF");
}

Test(utf8, four_byte)
{
	cr_assert(valid("\xF0\x90\x80\x80"), "U+10000, smallest four-byte");
	cr_assert(valid("\xF0\x9F\x98\x80"), "U+1F600");
	cr_assert(valid("\xF3\xBF\xBF\xBF"), "U+FFFFF");
	cr_assert(valid("\xF4\x8F\xBF\xBF"), "U+10FFFF, the last code point");
}

Test(utf8, mixed_text)
{
	cr_assert(valid("a\xC3\xA9" "b\xE2\x82\xAC" "c\xF0\x9F\x98\x80" "d"));
}

/* ------------------------------------------------------------ refused */

Test(utf8, overlongs)
{
	cr_assert_not(valid("\xC0\x80"), "overlong NUL (two bytes)");
	cr_assert_not(valid("\xC1\xBF"), "overlong U+007F");
	cr_assert_not(valid("\xE0\x80\x80"), "overlong NUL (three bytes)");
	cr_assert_not(valid("\xE0\x9F\xBF"), "overlong U+07FF");
	cr_assert_not(valid("\xF0\x80\x80\x80"), "overlong NUL (four bytes)");
	cr_assert_not(valid("\xF0\x8F\xBF\xBF"), "overlong U+FFFF");
}

Test(utf8, surrogates)
{
	cr_assert_not(valid("\xED\xA0\x80"), "U+D800");
	cr_assert_not(valid("\xED\xAF\xBF"), "U+DBFF");
	cr_assert_not(valid("\xED\xB0\x80"), "U+DC00");
	cr_assert_not(valid("\xED\xBF\xBF"), "U+DFFF");
	cr_assert_not(valid("\xED\xA0\xBD\xED\xB8\x80"),
		      "a CESU-8 surrogate pair");
}

Test(utf8, above_u10ffff)
{
	cr_assert_not(valid("\xF4\x90\x80\x80"), "U+110000");
	cr_assert_not(valid("\xF5\x80\x80\x80"));
	cr_assert_not(valid("\xF7\xBF\xBF\xBF"));
	cr_assert_not(valid("\xF8\x88\x80\x80\x80"), "old five-byte form");
	cr_assert_not(valid("\xFC\x84\x80\x80\x80\x80"), "old six-byte form");
	cr_assert_not(valid("\xFE"));
	cr_assert_not(valid("\xFF"));
}

Test(utf8, truncated_at_end)
{
	cr_assert_not(valid("abc\xC3"));
	cr_assert_not(valid("abc\xE2\x82"));
	cr_assert_not(valid("abc\xE2"));
	cr_assert_not(valid("abc\xF0\x9F\x98"));
	cr_assert_not(valid("abc\xF0\x9F"));
	cr_assert_not(valid("abc\xF0"));
	/* The length bounds the check, not a NUL: a sequence cut by len is
	 * truncated even if the bytes after it would complete it. */
	cr_assert_not(utf8_valid("\xE2\x82\xAC", 2));
	cr_assert_not(utf8_valid("\xF0\x9F\x98\x80", 3));
	cr_assert(utf8_valid("\xE2\x82\xAC" "x", 3));
}

Test(utf8, truncated_in_the_middle)
{
	cr_assert_not(valid("\xC3" "a"));
	cr_assert_not(valid("\xE2\x82" "a"));
	cr_assert_not(valid("\xF0\x9F\x98" "a"));
	cr_assert_not(valid("\xE2\x82\xC3\xA9"), "a new lead byte instead of a continuation");
}

Test(utf8, stray_continuation_bytes)
{
	cr_assert_not(valid("\x80"));
	cr_assert_not(valid("\xBF"));
	cr_assert_not(valid("a\x80" "b"));
	cr_assert_not(valid("\xC3\xA9\xA9"), "one continuation too many");
	cr_assert_not(valid("\xE2\x82\xAC\x80"));
}

Test(utf8, nul_rejected)
{
	cr_assert_not(utf8_valid("\0", 1));
	cr_assert_not(utf8_valid("a\0b", 3));
	cr_assert_not(utf8_valid("abc\0", 4), "a NUL at the end counts too");
}

Test(utf8, latin1_rejected)
{
	cr_assert_not(valid("\xE9"), "é in Latin-1");
	cr_assert_not(valid("Montb\xE9liard"));
	cr_assert_not(valid("caf\xE9"), "Latin-1 é at the end (a lead byte with nothing after it)");
	cr_assert_not(valid("\xE9t\xE9"));
}

Test(utf8, bytes_after_the_length_are_not_read)
{
	/* An invalid byte just past len must not matter. */
	cr_assert(utf8_valid("ab\xFF", 2));
	cr_assert(utf8_valid("\xC3\xA9\x80", 2));
}

/* ------------------------------------------------------------ exhaustive
 *
 * An independent reference: decode by the bit patterns of RFC 3629 and
 * check the decoded value (shortest form, not a surrogate, at most
 * U+10FFFF), rather than by the byte ranges the implementation uses.
 */
static bool reference_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		size_t n;
		uint32_t cp, min;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			n = 2;
			cp = c & 0x1F;
			min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			n = 3;
			cp = c & 0x0F;
			min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			n = 4;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return false;
		}
		if (i + n > len)
			return false;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n;
	}
	return true;
}

Test(utf8, every_sequence_of_up_to_three_bytes)
{
	unsigned char b[3];

	for (unsigned x = 0; x < 256; x++) {
		b[0] = (unsigned char)x;
		cr_assert_eq(utf8_valid((char *)b, 1), reference_valid(b, 1),
			     "%02X", x);
		for (unsigned y = 0; y < 256; y++) {
			b[1] = (unsigned char)y;
			cr_assert_eq(utf8_valid((char *)b, 2), reference_valid(b, 2),
				     "%02X %02X", x, y);
			for (unsigned z = 0; z < 256; z++) {
				b[2] = (unsigned char)z;
				if (utf8_valid((char *)b, 3) != reference_valid(b, 3))
					cr_assert_fail("%02X %02X %02X: got %d", x, y, z,
						       utf8_valid((char *)b, 3));
			}
		}
	}
}

Test(utf8, every_four_byte_sequence_with_a_four_byte_lead)
{
	unsigned char b[4];

	for (unsigned w = 0xF0; w < 0x100; w++)
		for (unsigned x = 0; x < 256; x++)
			for (unsigned y = 0x70; y < 0xD0; y++)
				for (unsigned z = 0x70; z < 0xD0; z++) {
					b[0] = (unsigned char)w;
					b[1] = (unsigned char)x;
					b[2] = (unsigned char)y;
					b[3] = (unsigned char)z;
					if (utf8_valid((char *)b, 4) != reference_valid(b, 4))
						cr_assert_fail("%02X %02X %02X %02X: got %d",
							       w, x, y, z,
							       utf8_valid((char *)b, 4));
				}
}
