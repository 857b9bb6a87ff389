/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Local civil date. TZ is set once at start-up, before any thread exists,
 * because localtime_r consults it and setenv is not thread-safe.
 */
#include "config.h"

#include "daemon/clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static rd_date pinned = DATE_NONE;

int clock_init(const char *tz)
{
	if (tz)
		setenv("TZ", tz, 1);
	tzset();
	const char *fake = getenv("RETENTIOND_TODAY");
	if (fake && *fake) {
		rd_date d;
		if (date_parse(fake, strlen(fake), &d) < 0)
			return -EINVAL;
		pinned = d;
	} else {
		pinned = DATE_NONE;
	}
	return 0;
}

int clock_is_pinned(void)
{
	return pinned != DATE_NONE;
}

rd_date clock_today(void)
{
	struct tm tm;
	time_t now = time(NULL);
	rd_date d;

	if (pinned != DATE_NONE)
		return pinned;
	localtime_r(&now, &tm);
	if (date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, &d) < 0)
		return DATE_NONE;
	return d;
}

int64_t clock_midnight(rd_date d)
{
	struct tm tm;
	int y, m, dd;

	date_to_ymd(d, &y, &m, &dd);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = dd;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

int64_t clock_now(void)
{
	return (int64_t)time(NULL);
}

uint64_t clock_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void clock_format_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	localtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", &tm);
}
