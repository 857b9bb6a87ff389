/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of the civil date arithmetic (src/common/date.c) the retention rules rely on. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "common/date.h"

static rd_date ymd(int y, int m, int d)
{
	rd_date out = DATE_NONE;

	cr_assert_eq(date_from_ymd(y, m, d, &out), 0, "test bug: %04d-%02d-%02d",
		     y, m, d);
	return out;
}

static int parse(const char *s, rd_date *out)
{
	return date_parse(s, strlen(s), out);
}

static void expect_date(rd_date got, int y, int m, int d, const char *what)
{
	char buf[DATE_STRLEN];
	int gy = 0, gm = 0, gd = 0;

	cr_assert_neq(got, DATE_NONE, "%s: got no date, expected %04d-%02d-%02d",
		      what, y, m, d);
	date_to_ymd(got, &gy, &gm, &gd);
	cr_assert(gy == y && gm == m && gd == d,
		  "%s: got %s, expected %04d-%02d-%02d", what,
		  date_format(got, buf), y, m, d);
}

/*
 * Independent days-from-civil (proleptic Gregorian), to check date.c
 * against something other than itself.
 */
static long ref_days(long y, long m, long d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* ------------------------------------------------------------ calendar */

Test(date, leap_years)
{
	cr_assert(date_is_leap(2000));
	cr_assert(date_is_leap(2024));
	cr_assert(date_is_leap(2004));
	cr_assert(date_is_leap(2400));
	cr_assert_not(date_is_leap(1900));
	cr_assert_not(date_is_leap(2100));
	cr_assert_not(date_is_leap(2023));
	cr_assert_not(date_is_leap(2026));
}

Test(date, days_in_month)
{
	cr_assert_eq(date_days_in_month(2024, 2), 29);
	cr_assert_eq(date_days_in_month(2023, 2), 28);
	cr_assert_eq(date_days_in_month(1900, 2), 28);
	cr_assert_eq(date_days_in_month(2000, 2), 29);
	cr_assert_eq(date_days_in_month(2023, 1), 31);
	cr_assert_eq(date_days_in_month(2023, 4), 30);
	cr_assert_eq(date_days_in_month(2023, 12), 31);
}

Test(date, epoch_and_neighbours)
{
	cr_assert_eq(ymd(1970, 1, 1), 0);
	cr_assert_eq(ymd(1970, 1, 2), 1);
	cr_assert_eq(ymd(1969, 12, 31), -1);
	cr_assert_eq(ymd(2000, 1, 1), 10957);
}

Test(date, from_ymd_rejects)
{
	rd_date d = 0;

	cr_assert_eq(date_from_ymd(2023, 2, 29, &d), -EINVAL);
	cr_assert_eq(date_from_ymd(2024, 13, 1, &d), -EINVAL);
	cr_assert_eq(date_from_ymd(2024, 0, 1, &d), -EINVAL);
	cr_assert_eq(date_from_ymd(2024, 1, 0, &d), -EINVAL);
	cr_assert_eq(date_from_ymd(2024, 4, 31, &d), -EINVAL);
	cr_assert_eq(date_from_ymd(0, 1, 1, &d), -EINVAL);
	cr_assert_eq(date_from_ymd(10000, 1, 1, &d), -EINVAL);
	cr_assert_eq(date_from_ymd(1900, 2, 29, &d), -EINVAL);
	cr_assert_eq(date_from_ymd(2000, 2, 29, &d), 0);
}

/* ------------------------------------------------------------ parse */

Test(date_parse, valid)
{
	rd_date d = DATE_NONE;

	cr_assert_eq(parse("2000-03-15", &d), 0);
	expect_date(d, 2000, 3, 15, "2000-03-15");
	cr_assert_eq(parse("1970-01-01", &d), 0);
	cr_assert_eq(d, 0);
	cr_assert_eq(parse("1969-12-31", &d), 0);
	cr_assert_eq(d, -1);
	cr_assert_eq(parse("2024-02-29", &d), 0);
	expect_date(d, 2024, 2, 29, "2024-02-29");
	cr_assert_eq(parse("2000-02-29", &d), 0);
	expect_date(d, 2000, 2, 29, "2000-02-29");
	cr_assert_eq(parse("0001-01-01", &d), 0);
	expect_date(d, 1, 1, 1, "0001-01-01");
	cr_assert_eq(parse("9999-12-31", &d), 0);
	expect_date(d, 9999, 12, 31, "9999-12-31");
	cr_assert_eq(parse("2026-11-21", &d), 0);
	cr_assert_eq(d, (rd_date)ref_days(2026, 11, 21));
}

Test(date_parse, invalid_calendar_dates)
{
	rd_date d = 0;

	cr_assert_eq(parse("2023-02-29", &d), -EINVAL);
	cr_assert_eq(parse("1900-02-29", &d), -EINVAL);
	cr_assert_eq(parse("2024-13-01", &d), -EINVAL);
	cr_assert_eq(parse("2024-00-10", &d), -EINVAL);
	cr_assert_eq(parse("2024-01-00", &d), -EINVAL);
	cr_assert_eq(parse("2024-01-32", &d), -EINVAL);
	cr_assert_eq(parse("2024-04-31", &d), -EINVAL);
	cr_assert_eq(parse("0000-01-01", &d), -EINVAL);
}

Test(date_parse, invalid_syntax)
{
	rd_date d = 0;

	cr_assert_eq(parse("2024-1-01", &d), -EINVAL);
	cr_assert_eq(parse("2024-01-1", &d), -EINVAL);
	cr_assert_eq(parse("24-01-01", &d), -EINVAL);
	cr_assert_eq(parse("02024-01-01", &d), -EINVAL);
	cr_assert_eq(parse("2024-01-01x", &d), -EINVAL);
	cr_assert_eq(parse("2024-01-01 ", &d), -EINVAL);
	cr_assert_eq(parse(" 2024-01-01", &d), -EINVAL);
	cr_assert_eq(parse("2024-01-01T00:00", &d), -EINVAL);
	cr_assert_eq(parse("", &d), -EINVAL);
	cr_assert_eq(parse("2024/01/01", &d), -EINVAL);
	cr_assert_eq(parse("2024-01-0a", &d), -EINVAL);
	cr_assert_eq(parse("+024-01-01", &d), -EINVAL);
	cr_assert_eq(parse("-024-01-01", &d), -EINVAL);
	cr_assert_eq(parse("2024-+1-01", &d), -EINVAL);
	cr_assert_eq(parse("2024- 1-01", &d), -EINVAL);
	cr_assert_eq(parse("abcd-ef-gh", &d), -EINVAL);
	cr_assert_eq(date_parse("2024-01-01", 0, &d), -EINVAL);
	cr_assert_eq(date_parse("2024-01-01", 9, &d), -EINVAL);
}

Test(date_parse, uses_exactly_len_bytes)
{
	/* No NUL needed: a date followed by other text, len bytes read. */
	const char buf[] = "2024-02-29,2023-02-28";
	rd_date d = DATE_NONE;

	cr_assert_eq(date_parse(buf, 10, &d), 0);
	expect_date(d, 2024, 2, 29, "first field");
	cr_assert_eq(date_parse(buf + 11, 10, &d), 0);
	expect_date(d, 2023, 2, 28, "second field");
	cr_assert_eq(date_parse(buf, 11, &d), -EINVAL);
}

/* ------------------------------------------------------------ format */

Test(date_format, formats)
{
	char buf[DATE_STRLEN];

	cr_assert_str_eq(date_format(ymd(2000, 3, 15), buf), "2000-03-15");
	cr_assert_str_eq(date_format(0, buf), "1970-01-01");
	cr_assert_str_eq(date_format(-1, buf), "1969-12-31");
	cr_assert_str_eq(date_format(ymd(1, 1, 1), buf), "0001-01-01");
	cr_assert_str_eq(date_format(ymd(9999, 12, 31), buf), "9999-12-31");
	cr_assert_str_eq(date_format(ymd(2024, 2, 29), buf), "2024-02-29");
	cr_assert_str_eq(date_format(ymd(812, 7, 4), buf), "0812-07-04");
}

Test(date_format, returns_buf_and_none_is_empty)
{
	char buf[DATE_STRLEN];

	memset(buf, 'x', sizeof(buf));
	cr_assert_eq(date_format(DATE_NONE, buf), buf);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(date_format(0, buf), buf);
}

/* ------------------------------------------------------------ add years */

Test(date_add_years, same_day_and_month)
{
	expect_date(date_add_years(ymd(2000, 3, 15), 20), 2020, 3, 15, "+20");
	expect_date(date_add_years(ymd(2000, 3, 15), 0), 2000, 3, 15, "+0");
	expect_date(date_add_years(ymd(2008, 2, 1), 10), 2018, 2, 1, "+10");
	expect_date(date_add_years(ymd(2000, 3, 2), 30), 2030, 3, 2, "+30");
	expect_date(date_add_years(ymd(2001, 4, 30), 28), 2029, 4, 30, "+28");
	expect_date(date_add_years(ymd(1999, 12, 31), 1), 2000, 12, 31, "+1");
	expect_date(date_add_years(ymd(2020, 3, 15), -20), 2000, 3, 15, "-20");
	expect_date(date_add_years(ymd(1950, 1, 1), 200), 2150, 1, 1, "+200");
	expect_date(date_add_years(ymd(2024, 2, 28), 1), 2025, 2, 28, "28 Feb");
	expect_date(date_add_years(ymd(2023, 3, 1), 1), 2024, 3, 1, "1 Mar");
}

Test(date_add_years, feb29_to_non_leap_is_feb28)
{
	expect_date(date_add_years(ymd(2004, 2, 29), 1), 2005, 2, 28, "+1");
	expect_date(date_add_years(ymd(2004, 2, 29), 10), 2014, 2, 28, "+10");
	expect_date(date_add_years(ymd(2000, 2, 29), 30), 2030, 2, 28, "+30");
	expect_date(date_add_years(ymd(2000, 2, 29), 100), 2100, 2, 28,
		    "+100 (2100 not leap)");
	expect_date(date_add_years(ymd(1880, 2, 29), 20), 1900, 2, 28,
		    "1900 not leap");
	expect_date(date_add_years(ymd(2004, 2, 29), -1), 2003, 2, 28, "-1");
}

Test(date_add_years, feb29_stays_in_leap_targets)
{
	expect_date(date_add_years(ymd(2004, 2, 29), 20), 2024, 2, 29, "+20");
	expect_date(date_add_years(ymd(2004, 2, 29), 4), 2008, 2, 29, "+4");
	expect_date(date_add_years(ymd(2000, 2, 29), 28), 2028, 2, 29, "+28");
	expect_date(date_add_years(ymd(1972, 2, 29), 28), 2000, 2, 29,
		    "2000 leap");
	expect_date(date_add_years(ymd(2000, 2, 29), 400), 2400, 2, 29, "+400");
	expect_date(date_add_years(ymd(2004, 2, 29), -4), 2000, 2, 29, "-4");
}

Test(date_add_years, none_stays_none)
{
	cr_assert_eq(date_add_years(DATE_NONE, 20), DATE_NONE);
	cr_assert_eq(date_add_years(DATE_NONE, 0), DATE_NONE);
}

Test(date_add_years, agrees_with_calendar_everywhere)
{
	/* Every day of 1900..2100, +20 and +10 years, against ymd. */
	for (rd_date d = ymd(1900, 1, 1); d <= ymd(2100, 12, 31); d++) {
		static const int ns[] = {1, 10, 20, 28, 30, -20};
		int y, m, dd;

		date_to_ymd(d, &y, &m, &dd);
		for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
			int ty = y + ns[i];
			int td = dd;

			if (m == 2 && dd == 29 && !date_is_leap(ty))
				td = 28;
			rd_date got = date_add_years(d, ns[i]);
			cr_assert_eq(got, (rd_date)ref_days(ty, m, td),
				     "%04d-%02d-%02d + %d years", y, m, dd,
				     ns[i]);
		}
	}
}

/* ------------------------------------------------------------ add days */

Test(date_add_days, boundaries)
{
	expect_date(date_add_days(ymd(2000, 2, 28), 1), 2000, 2, 29, "leap 28+1");
	expect_date(date_add_days(ymd(2000, 2, 28), 2), 2000, 3, 1, "leap 28+2");
	expect_date(date_add_days(ymd(2001, 2, 28), 1), 2001, 3, 1, "28+1");
	expect_date(date_add_days(ymd(1900, 2, 28), 1), 1900, 3, 1, "1900");
	expect_date(date_add_days(ymd(1999, 12, 31), 1), 2000, 1, 1, "new year");
	expect_date(date_add_days(ymd(2000, 1, 1), -1), 1999, 12, 31, "-1");
	expect_date(date_add_days(ymd(2000, 3, 1), -1), 2000, 2, 29, "Mar 1 - 1");
	expect_date(date_add_days(ymd(2000, 4, 30), 1), 2000, 5, 1, "end Apr");
	expect_date(date_add_days(ymd(2005, 1, 1), 365), 2006, 1, 1, "+365");
	expect_date(date_add_days(ymd(2020, 3, 15), 365), 2021, 3, 15,
		    "the litigation example");
	expect_date(date_add_days(ymd(2004, 1, 1), 366), 2005, 1, 1, "+366");
	expect_date(date_add_days(ymd(1970, 1, 1), -1), 1969, 12, 31, "epoch-1");
	expect_date(date_add_days(ymd(1970, 1, 1), 10957), 2000, 1, 1, "10957");
	expect_date(date_add_days(ymd(2000, 3, 15), 0), 2000, 3, 15, "+0");
}

Test(date_add_days, none_stays_none)
{
	cr_assert_eq(date_add_days(DATE_NONE, 1), DATE_NONE);
	cr_assert_eq(date_add_days(DATE_NONE, -1), DATE_NONE);
	cr_assert_eq(date_add_days(DATE_NONE, 0), DATE_NONE);
}

/* ------------------------------------------------------------ round trips */

Test(date, round_trips_whole_range)
{
	rd_date first = ymd(DATE_MIN_YEAR, 1, 1);
	rd_date last = ymd(DATE_MAX_YEAR, 12, 31);
	int py = 0, pm = 0, pd = 0;

	cr_assert_eq(first, (rd_date)ref_days(1, 1, 1));
	cr_assert_eq(last, (rd_date)ref_days(9999, 12, 31));
	for (rd_date d = first; d <= last; d++) {
		char buf[DATE_STRLEN];
		rd_date back = DATE_NONE;
		int y, m, dd;

		date_to_ymd(d, &y, &m, &dd);
		cr_assert_eq((rd_date)ref_days(y, m, dd), d, "to_ymd of %d",
			     (int)d);
		/* The next calendar day of the previous one. */
		if (d > first) {
			bool next = (y == py && m == pm && dd == pd + 1) ||
				    (y == py && m == pm + 1 && dd == 1 &&
				     pd == date_days_in_month(py, pm)) ||
				    (y == py + 1 && m == 1 && dd == 1 &&
				     pm == 12 && pd == 31);
			cr_assert(next, "%04d-%02d-%02d after %04d-%02d-%02d",
				  y, m, dd, py, pm, pd);
		}
		py = y;
		pm = m;
		pd = dd;
		cr_assert_eq(date_from_ymd(y, m, dd, &back), 0);
		cr_assert_eq(back, d);
		date_format(d, buf);
		cr_assert_eq(strlen(buf), (size_t)10);
		back = DATE_NONE;
		cr_assert_eq(date_parse(buf, 10, &back), 0, "parse %s", buf);
		cr_assert_eq(back, d, "round trip of %s", buf);
		cr_assert_eq(date_add_days(d, 1), d + 1);
	}
}
