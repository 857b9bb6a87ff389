/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Civil-date arithmetic. The conversions are Howard Hinnant's
 * days_from_civil / civil_from_days, valid far beyond years 1..9999.
 */
#include "config.h"

#include "common/date.h"

#include <errno.h>

bool date_is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int date_days_in_month(int year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (month < 1 || month > 12)
		return 0;
	if (month == 2 && date_is_leap(year))
		return 29;
	return days[month - 1];
}

static rd_date days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	const int era = (y >= 0 ? y : y - 399) / 400;
	const int yoe = y - era * 400;
	const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (rd_date)(era * 146097 + doe - 719468);
}

int date_from_ymd(int year, int month, int day, rd_date *out)
{
	if (year < DATE_MIN_YEAR || year > DATE_MAX_YEAR)
		return -EINVAL;
	if (month < 1 || month > 12)
		return -EINVAL;
	if (day < 1 || day > date_days_in_month(year, month))
		return -EINVAL;
	*out = days_from_civil(year, month, day);
	return 0;
}

void date_to_ymd(rd_date z0, int *year, int *month, int *day)
{
	int z = z0 + 719468;
	const int era = (z >= 0 ? z : z - 146096) / 146097;
	const int doe = z - era * 146097;
	const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const int mp = (5 * doy + 2) / 153;
	const int d = doy - (153 * mp + 2) / 5 + 1;
	const int m = mp + (mp < 10 ? 3 : -9);

	*year = yoe + era * 400 + (m <= 2);
	*month = m;
	*day = d;
}

static int digits(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int date_parse(const char *s, size_t len, rd_date *out)
{
	if (len != 10 || s[4] != '-' || s[7] != '-')
		return -EINVAL;
	const int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
	if (y < 0 || m < 0 || d < 0)
		return -EINVAL;
	return date_from_ymd(y, m, d, out);
}

char *date_format(rd_date d, char buf[DATE_STRLEN])
{
	int y, m, dd;

	if (d == DATE_NONE) {
		buf[0] = '\0';
		return buf;
	}
	date_to_ymd(d, &y, &m, &dd);
	/* Written digit by digit: the ranges are known, and the compiler
	 * cannot prove them for a printf into 11 bytes. */
	const unsigned uy = (unsigned)(y < 0 ? 0 : y % 10000);
	buf[0] = (char)('0' + uy / 1000);
	buf[1] = (char)('0' + uy / 100 % 10);
	buf[2] = (char)('0' + uy / 10 % 10);
	buf[3] = (char)('0' + uy % 10);
	buf[4] = '-';
	buf[5] = (char)('0' + m / 10);
	buf[6] = (char)('0' + m % 10);
	buf[7] = '-';
	buf[8] = (char)('0' + dd / 10);
	buf[9] = (char)('0' + dd % 10);
	buf[10] = '\0';
	return buf;
}

rd_date date_add_years(rd_date d, int years)
{
	int y, m, dd;

	if (d == DATE_NONE)
		return DATE_NONE;
	date_to_ymd(d, &y, &m, &dd);
	y += years;
	if (m == 2 && dd == 29 && !date_is_leap(y))
		dd = 28;
	return days_from_civil(y, m, dd);
}

rd_date date_add_days(rd_date d, int32_t days)
{
	if (d == DATE_NONE)
		return DATE_NONE;
	return d + days;
}
