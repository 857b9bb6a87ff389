/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The nightly schedule. An occurrence is found from localtime_r alone, by
 * walking forward from an instant known to precede it: mktime cannot say
 * which of two 02:00 it picked on a fall-back night, nor where it moved a
 * 02:00 that does not exist, and the answer must not depend on the libc.
 *
 * The occurrence of local date D is the first instant whose local wall
 * clock reads D at s->at or later. Those instants never decrease with D,
 * so "the latest occurrence at or before now" is well defined, and a run
 * is due when it is later than the date last run.
 */
#include "config.h"

#include "daemon/schedule.h"

#include <errno.h>
#include <time.h>

#define DAY 86400
#define HOUR 3600

/*
 * Every UTC offset is under 26 hours (POSIX TZ allows up to 24:59:59, the
 * tz database uses -12..+14), so no instant earlier than W - 26 h reads a
 * wall clock at or after W.
 */
#define MAX_OFFSET (26 * HOUR)

/*
 * Longest step of the walk. Zones never change offset twice within it, so
 * the wall clock is linear with at most one jump over any step.
 */
#define MAX_STEP (12 * HOUR)

/* Local wall clock of t as seconds since 1970-01-01 00:00 local. */
static int wall_of(int64_t t, int64_t *wall)
{
	time_t tt = (time_t)t;
	struct tm tm;
	rd_date d;

	if ((int64_t)tt != t || !localtime_r(&tt, &tm))
		return -EOVERFLOW;
	if (date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, &d) < 0)
		return -EOVERFLOW;
	*wall = (int64_t)d * DAY + tm.tm_hour * HOUR + tm.tm_min * 60 + tm.tm_sec;
	return 0;
}

/* The first instant whose wall clock reads target or later. */
static int first_at_or_after(int64_t target, int64_t *out)
{
	int64_t t = target - MAX_OFFSET, wt, t2, w2;
	int r;

	if ((r = wall_of(t, &wt)) < 0)
		return r;
	/* Invariant: no instant up to t reads target or later. */
	for (int guard = 0; guard < 64; guard++) {
		const int64_t gap = target - wt;

		t2 = t + (gap < MAX_STEP ? gap : MAX_STEP);
		if ((r = wall_of(t2, &w2)) < 0)
			return r;
		if (w2 >= target) {
			if (w2 == target && w2 - wt == t2 - t) {
				*out = t2;
				return 0;
			}
			/* The clock sprang over target within (t, t2]. */
			int64_t lo = t, hi = t2, wm;
			while (hi - lo > 1) {
				const int64_t mid = lo + (hi - lo) / 2;
				if ((r = wall_of(mid, &wm)) < 0)
					return r;
				if (wm >= target)
					hi = mid;
				else
					lo = mid;
			}
			*out = hi;
			return 0;
		}
		t = t2;
		wt = w2;
	}
	return -ELOOP;
}

static int occurrence_time(const struct schedule *s, rd_date d, int64_t *out)
{
	return first_at_or_after((int64_t)d * DAY + (int64_t)s->at * 60, out);
}

rd_date schedule_occurrence(const struct schedule *s, int64_t now)
{
	int64_t wall, t;

	if (wall_of(now, &wall) < 0)
		return DATE_NONE;
	/*
	 * Yesterday's occurrence is always at or before now. Tomorrow's may
	 * be too when the clock fell back across midnight after reaching it.
	 */
	const rd_date today = (rd_date)(wall >= 0 ? wall / DAY : (wall - DAY + 1) / DAY);
	for (rd_date d = today + 1; d > today - 1; d--) {
		if (occurrence_time(s, d, &t) < 0)
			return DATE_NONE;
		if (t <= now)
			return d;
	}
	return today - 1;
}

bool schedule_due(const struct schedule *s, int64_t now)
{
	const rd_date d = schedule_occurrence(s, now);

	/* Strictly later: a clock set back, or the second pass of a
	 * fall-back night, must not run an occurrence twice. */
	return d != DATE_NONE && d > s->last_run;
}

void schedule_ran(struct schedule *s, int64_t now)
{
	const rd_date d = schedule_occurrence(s, now);

	/* Never backwards, so a run outside the schedule cannot cause a
	 * second run of an occurrence already done. */
	if (d != DATE_NONE && d > s->last_run)
		s->last_run = d;
}

int64_t schedule_next(const struct schedule *s, int64_t now)
{
	const rd_date d = schedule_occurrence(s, now);
	int64_t t;

	if (d == DATE_NONE)
		return INT64_MAX;
	/* Occurrences of consecutive dates coincide when a whole day is
	 * skipped (Samoa, 2011-12-30). */
	for (rd_date n = d + 1; n <= d + 8; n++) {
		if (occurrence_time(s, n, &t) < 0)
			return INT64_MAX;
		if (t > now)
			return t;
	}
	return INT64_MAX;
}

static int two_digits(const char *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

int schedule_parse_time(const char *s, int *minutes)
{
	/* Exactly "HH:MM": a configuration typo must be refused, not guessed. */
	if (!s || !s[0] || !s[1] || s[2] != ':' || !s[3] || !s[4] || s[5])
		return -EINVAL;
	const int h = two_digits(s), m = two_digits(s + 3);
	if (h < 0 || h > 23 || m < 0 || m > 59)
		return -EINVAL;
	*minutes = h * 60 + m;
	return 0;
}

char *schedule_format_time(int minutes, char *buf)
{
	if (minutes < 0 || minutes >= 24 * 60) {
		buf[0] = buf[1] = buf[3] = buf[4] = '-';
	} else {
		/* Digit by digit, as date_format: a printf into 6 bytes
		 * would warn about truncation the compiler cannot rule out. */
		buf[0] = (char)('0' + minutes / 600);
		buf[1] = (char)('0' + minutes / 60 % 10);
		buf[3] = (char)('0' + minutes % 60 / 10);
		buf[4] = (char)('0' + minutes % 10);
	}
	buf[2] = ':';
	buf[5] = '\0';
	return buf;
}
