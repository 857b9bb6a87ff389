/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the nightly schedule (src/daemon/schedule.c): the strict
 * "HH:MM" syntax, one run per local day across daylight-saving changes
 * (checked by walking the clock minute by minute), catch-up after
 * downtime, and the next occurrence. Every test sets TZ itself, so the
 * machine's zone does not matter; expected instants are written in UTC.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/schedule.h"

#define MIN 60
#define HOUR 3600
#define DAY 86400

static rd_date ymd(int y, int m, int d)
{
	rd_date out = DATE_NONE;

	cr_assert_eq(date_from_ymd(y, m, d, &out), 0, "test bug: %04d-%02d-%02d",
		     y, m, d);
	return out;
}

/* Unix time of a UTC date and time, computed without any time zone. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
	return (int64_t)ymd(y, mo, d) * DAY + h * HOUR + mi * MIN;
}

static void fmt_utc(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/*
 * Select a zone and prove it is really in force (a missing zoneinfo file
 * silently means UTC): the offset at probe must be expect_offset seconds.
 */
static void use_tz(const char *tz, int64_t probe, long expect_offset)
{
	time_t tt = (time_t)probe;
	struct tm tm;

	cr_assert_eq(setenv("TZ", tz, 1), 0);
	tzset();
	cr_assert_not_null(localtime_r(&tt, &tm));
	const int64_t wall = (int64_t)ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * DAY +
			     tm.tm_hour * HOUR + tm.tm_min * MIN + tm.tm_sec;
	cr_assert_eq(wall - probe, expect_offset,
		     "TZ=%s not in force (offset %lld, expected %ld): is tzdata installed?",
		     tz, (long long)(wall - probe), expect_offset);
}

static void paris(void)
{
	use_tz("Europe/Paris", utc(2026, 7, 1, 12, 0), 2 * HOUR);
	use_tz("Europe/Paris", utc(2026, 1, 15, 12, 0), 1 * HOUR);
}

static void new_york(void)
{
	use_tz("America/New_York", utc(2026, 7, 1, 12, 0), -4 * HOUR);
	use_tz("America/New_York", utc(2026, 1, 15, 12, 0), -5 * HOUR);
}

static void utc_zone(void)
{
	use_tz("UTC", utc(2026, 7, 1, 12, 0), 0);
}

static int at(const char *hhmm)
{
	int m = -1;

	cr_assert_eq(schedule_parse_time(hhmm, &m), 0, "test bug: %s", hhmm);
	return m;
}

/* ---- parse and format ------------------------------------------------ */

Test(schedule_time, parses_valid_times)
{
	static const struct {
		const char *s;
		int minutes;
	} ok[] = {
		{"00:00", 0},	 {"02:00", 120},  {"02:30", 150},
		{"09:05", 545},	 {"12:00", 720},  {"23:59", 1439},
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int m = -1;
		cr_assert_eq(schedule_parse_time(ok[i].s, &m), 0, "%s", ok[i].s);
		cr_assert_eq(m, ok[i].minutes, "%s: %d", ok[i].s, m);
	}
}

Test(schedule_time, refuses_anything_but_exactly_hh_mm)
{
	static const char *const bad[] = {
		"24:00", "25:00", "99:99", "02:60", "2:00",   "02:0",  "0200",
		"",	 "0",	  "02",	   "02:",   "02:00:00", " 02:00", "02:00 ",
		"02h00", "02.00", "-1:00", "+2:00", "02:-1",  "0x:00", "02:0a",
		"２:00", ":0200", "02::0",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int m = 4242;
		cr_assert_eq(schedule_parse_time(bad[i], &m), -EINVAL, "\"%s\"", bad[i]);
		cr_assert_eq(m, 4242, "\"%s\" wrote the output", bad[i]);
	}
	int m = 4242;
	cr_assert_eq(schedule_parse_time(NULL, &m), -EINVAL);
}

Test(schedule_time, format_round_trips_every_minute)
{
	char buf[6];

	for (int m = 0; m < 24 * 60; m++) {
		int back = -1;
		cr_assert_eq(schedule_format_time(m, buf), buf);
		cr_assert_eq(strlen(buf), 5);
		cr_assert_eq(schedule_parse_time(buf, &back), 0, "%s", buf);
		cr_assert_eq(back, m, "%d -> %s -> %d", m, buf, back);
	}
	cr_assert_str_eq(schedule_format_time(0, buf), "00:00");
	cr_assert_str_eq(schedule_format_time(120, buf), "02:00");
	cr_assert_str_eq(schedule_format_time(1439, buf), "23:59");
	cr_assert_str_eq(schedule_format_time(-1, buf), "--:--");
	cr_assert_str_eq(schedule_format_time(1440, buf), "--:--");
}

/* ---- walking the clock ----------------------------------------------- */

/*
 * Runs the daemon's loop once a minute from `from` (inclusive) to `to`
 * (exclusive), starting with the occurrence at or before `from` already
 * run, and checks that the runs happen exactly at expected[] (UTC).
 */
static void walk(int minutes, int64_t from, int64_t to, const int64_t *expected,
		 size_t n_expected)
{
	struct schedule s = {.at = minutes, .last_run = DATE_NONE};
	char want[64], got[64], hhmm[6];
	size_t runs = 0;

	schedule_format_time(minutes, hhmm);
	s.last_run = schedule_occurrence(&s, from);
	cr_assert_neq(s.last_run, DATE_NONE);
	for (int64_t t = from; t < to; t += MIN) {
		if (!schedule_due(&s, t))
			continue;
		fmt_utc(t, got, sizeof(got));
		cr_assert_lt(runs, n_expected, "at %s: unexpected extra run at %s", hhmm, got);
		fmt_utc(expected[runs], want, sizeof(want));
		cr_assert_eq(t, expected[runs], "at %s: run %zu at %s, expected %s", hhmm,
			     runs + 1, got, want);
		const rd_date before = s.last_run;
		schedule_ran(&s, t);
		cr_assert_gt(s.last_run, before, "at %s: run at %s recorded no new day",
			     hhmm, got);
		cr_assert_not(schedule_due(&s, t), "at %s: still due after running at %s",
			      hhmm, got);
		/* The timer the daemon would have armed must point here too. */
		cr_assert_eq(schedule_next(&s, t - 1), t, "at %s: next before %s", hhmm, got);
		runs++;
	}
	cr_assert_eq(runs, n_expected, "at %s: %zu runs, expected %zu", hhmm, runs,
		     n_expected);
}

/* Three local days around a day of interest: the walk starts after the
 * first day's occurrence, so runs are expected on days 2, 3 and 4. */
#define WALK(at_str, from, to, ...)                                            \
	do {                                                                   \
		const int64_t exp_[] = {__VA_ARGS__};                          \
		walk(at(at_str), (from), (to), exp_, sizeof(exp_) / sizeof(exp_[0])); \
	} while (0)

Test(schedule_walk, paris_ordinary_days, .init = paris)
{
	/* June: CEST, UTC+2. From 2026-06-14 12:00 to 2026-06-17 12:00 local. */
	const int64_t from = utc(2026, 6, 14, 10, 0), to = utc(2026, 6, 17, 10, 0);

	WALK("02:00", from, to, utc(2026, 6, 15, 0, 0), utc(2026, 6, 16, 0, 0),
	     utc(2026, 6, 17, 0, 0));
	WALK("00:00", from, to, utc(2026, 6, 14, 22, 0), utc(2026, 6, 15, 22, 0),
	     utc(2026, 6, 16, 22, 0));
	WALK("23:59", from, to, utc(2026, 6, 14, 21, 59), utc(2026, 6, 15, 21, 59),
	     utc(2026, 6, 16, 21, 59));
	WALK("11:59", from, to, utc(2026, 6, 15, 9, 59), utc(2026, 6, 16, 9, 59),
	     utc(2026, 6, 17, 9, 59));
}

Test(schedule_walk, paris_spring_forward, .init = paris)
{
	/*
	 * 2026-03-29: 01:59:59 CET (00:59:59 UTC) is followed by 03:00:00 CEST
	 * (01:00 UTC). Local 2026-03-28 12:00 to 2026-03-31 12:00.
	 */
	const int64_t from = utc(2026, 3, 28, 11, 0), to = utc(2026, 3, 31, 10, 0);

	WALK("02:00", from, to, utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 0),
	     utc(2026, 3, 31, 0, 0));
	WALK("02:30", from, to, utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30),
	     utc(2026, 3, 31, 0, 30));
	WALK("03:00", from, to, utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 1, 0),
	     utc(2026, 3, 31, 1, 0));
	WALK("01:59", from, to, utc(2026, 3, 29, 0, 59), utc(2026, 3, 29, 23, 59),
	     utc(2026, 3, 30, 23, 59));
	WALK("00:00", from, to, utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 22, 0),
	     utc(2026, 3, 30, 22, 0));
}

Test(schedule_walk, paris_fall_back, .init = paris)
{
	/*
	 * 2026-10-25: 02:59:59 CEST (00:59:59 UTC) is followed by 02:00:00 CET
	 * (01:00 UTC), so 02:00-02:59 happens twice. Local 2026-10-24 12:00
	 * to 2026-10-27 12:00.
	 */
	const int64_t from = utc(2026, 10, 24, 10, 0), to = utc(2026, 10, 27, 11, 0);

	WALK("02:00", from, to, utc(2026, 10, 25, 0, 0), utc(2026, 10, 26, 1, 0),
	     utc(2026, 10, 27, 1, 0));
	WALK("02:30", from, to, utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30),
	     utc(2026, 10, 27, 1, 30));
	/* The first 03:00 of the day comes after both passes through 02:xx. */
	WALK("03:00", from, to, utc(2026, 10, 25, 2, 0), utc(2026, 10, 26, 2, 0),
	     utc(2026, 10, 27, 2, 0));
	WALK("01:59", from, to, utc(2026, 10, 24, 23, 59), utc(2026, 10, 26, 0, 59),
	     utc(2026, 10, 27, 0, 59));
	WALK("02:59", from, to, utc(2026, 10, 25, 0, 59), utc(2026, 10, 26, 1, 59),
	     utc(2026, 10, 27, 1, 59));
}

Test(schedule_walk, utc_days_and_year_end, .init = utc_zone)
{
	const int64_t from = utc(2026, 12, 30, 12, 0), to = utc(2027, 1, 2, 12, 0);

	WALK("02:00", from, to, utc(2026, 12, 31, 2, 0), utc(2027, 1, 1, 2, 0),
	     utc(2027, 1, 2, 2, 0));
	WALK("00:00", from, to, utc(2026, 12, 31, 0, 0), utc(2027, 1, 1, 0, 0),
	     utc(2027, 1, 2, 0, 0));
}

Test(schedule_walk, new_york_dst_nights, .init = new_york)
{
	/* 2026-03-08: 01:59:59 EST is followed by 03:00 EDT (07:00 UTC). */
	WALK("02:00", utc(2026, 3, 7, 17, 0), utc(2026, 3, 10, 16, 0),
	     utc(2026, 3, 8, 7, 0), utc(2026, 3, 9, 6, 0), utc(2026, 3, 10, 6, 0));
	WALK("02:30", utc(2026, 3, 7, 17, 0), utc(2026, 3, 10, 16, 0),
	     utc(2026, 3, 8, 7, 0), utc(2026, 3, 9, 6, 30), utc(2026, 3, 10, 6, 30));
	/* 2026-11-01: 01:59:59 EDT is followed by 01:00 EST (06:00 UTC). */
	WALK("01:30", utc(2026, 10, 31, 16, 0), utc(2026, 11, 3, 17, 0),
	     utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30), utc(2026, 11, 3, 6, 30));
	WALK("02:00", utc(2026, 10, 31, 16, 0), utc(2026, 11, 3, 17, 0),
	     utc(2026, 11, 1, 7, 0), utc(2026, 11, 2, 7, 0), utc(2026, 11, 3, 7, 0));
	/* Paris's DST nights are ordinary nights in New York. */
	WALK("02:00", utc(2026, 3, 28, 16, 0), utc(2026, 3, 30, 16, 0),
	     utc(2026, 3, 29, 6, 0), utc(2026, 3, 30, 6, 0));
}

/*
 * Zones whose transitions happen at midnight (POSIX rules, so no tzdata
 * needed): in the Chilean style, 2026-09-05 24:00 jumps to 09-06 01:00
 * (no midnight that day), and 2026-04-04 24:00 falls back to 04-04 23:00
 * (the last hour of 04-04 happens twice).
 */
static void midnight_zone(void)
{
	use_tz("<-04>4<-03>,M9.1.6/24,M4.1.6/24", utc(2026, 7, 1, 12, 0), -4 * HOUR);
}

Test(schedule_walk, transitions_at_midnight, .init = midnight_zone)
{
	/* Spring forward: 2026-09-06 04:00 UTC is 01:00 -03. */
	WALK("00:00", utc(2026, 9, 5, 16, 0), utc(2026, 9, 8, 15, 0),
	     utc(2026, 9, 6, 4, 0), utc(2026, 9, 7, 3, 0), utc(2026, 9, 8, 3, 0));
	WALK("00:30", utc(2026, 9, 5, 16, 0), utc(2026, 9, 8, 15, 0),
	     utc(2026, 9, 6, 4, 0), utc(2026, 9, 7, 3, 30), utc(2026, 9, 8, 3, 30));
	/* Fall back: 04-05 03:00 UTC is 24:00 -03 = 23:00 -04 of 04-04 again. */
	WALK("23:30", utc(2026, 4, 3, 15, 0), utc(2026, 4, 6, 16, 0),
	     utc(2026, 4, 4, 2, 30), utc(2026, 4, 5, 2, 30), utc(2026, 4, 6, 3, 30));
	/* 04-05 00:00 -03 never shows: the first 04-05 00:00 is -04. */
	WALK("00:00", utc(2026, 4, 3, 15, 0), utc(2026, 4, 6, 16, 0),
	     utc(2026, 4, 4, 3, 0), utc(2026, 4, 5, 4, 0), utc(2026, 4, 6, 4, 0));
}

/*
 * Falling back across midnight: 2026-04-05 00:30 -03 (03:30 UTC) goes
 * back to 04-04 23:30 -04, so the clock shows 04-05 00:00-00:29, then
 * 04-04 again for half an hour, then 04-05 00:00 a second time.
 */
static void back_over_midnight_zone(void)
{
	use_tz("<-04>4<-03>,M9.1.6/24,M4.1.6/24:30", utc(2026, 7, 1, 12, 0), -4 * HOUR);
	use_tz("<-04>4<-03>,M9.1.6/24,M4.1.6/24:30", utc(2026, 4, 5, 3, 29), -3 * HOUR);
	use_tz("<-04>4<-03>,M9.1.6/24,M4.1.6/24:30", utc(2026, 4, 5, 3, 30), -4 * HOUR);
}

Test(schedule_walk, fall_back_over_midnight, .init = back_over_midnight_zone)
{
	struct schedule s = {.at = at("00:00"), .last_run = DATE_NONE};
	const int64_t back_on_04_04 = utc(2026, 4, 5, 3, 45); /* 04-04 23:45 -04 */

	WALK("00:00", utc(2026, 4, 3, 15, 0), utc(2026, 4, 6, 16, 0),
	     utc(2026, 4, 4, 3, 0), utc(2026, 4, 5, 3, 0), utc(2026, 4, 6, 4, 0));
	WALK("00:15", utc(2026, 4, 3, 15, 0), utc(2026, 4, 6, 16, 0),
	     utc(2026, 4, 4, 3, 15), utc(2026, 4, 5, 3, 15), utc(2026, 4, 6, 4, 15));
	WALK("23:40", utc(2026, 4, 3, 15, 0), utc(2026, 4, 6, 16, 0),
	     utc(2026, 4, 4, 2, 40), utc(2026, 4, 5, 2, 40), utc(2026, 4, 6, 3, 40));
	/* Back on 04-04, the 04-05 occurrence is already behind. */
	cr_assert_eq(schedule_occurrence(&s, back_on_04_04), ymd(2026, 4, 5));
	cr_assert_eq(schedule_next(&s, back_on_04_04), utc(2026, 4, 6, 4, 0));
}

/* Half-hour DST (Lord Howe style): 2026-10-04 02:00 +1030 jumps to 02:30 +11. */
static void half_hour_zone(void)
{
	use_tz("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", utc(2026, 7, 1, 12, 0),
	       10 * HOUR + 30 * MIN);
}

Test(schedule_walk, half_hour_dst, .init = half_hour_zone)
{
	/* 2026-10-04 02:00 +1030 = 10-03 15:30 UTC. */
	WALK("02:15", utc(2026, 10, 3, 1, 30), utc(2026, 10, 5, 1, 0),
	     utc(2026, 10, 3, 15, 30), utc(2026, 10, 4, 15, 15));
	WALK("02:30", utc(2026, 10, 3, 1, 30), utc(2026, 10, 5, 1, 0),
	     utc(2026, 10, 3, 15, 30), utc(2026, 10, 4, 15, 30));
}

/*
 * A skipped date: Samoa went from 2011-12-29 23:59:59 -10 straight to
 * 2011-12-31 00:00 +14 (10:00 UTC). The 30th still has one occurrence,
 * the first instant its wall time was reached, so nothing is lost.
 */
static void samoa(void)
{
	use_tz("Pacific/Apia", utc(2011, 12, 30, 9, 59), -10 * HOUR);
	use_tz("Pacific/Apia", utc(2011, 12, 30, 10, 0), 14 * HOUR);
}

Test(schedule_walk, skipped_date, .init = samoa)
{
	struct schedule s = {.at = at("00:00"), .last_run = DATE_NONE};

	WALK("02:00", utc(2011, 12, 28, 22, 0), utc(2011, 12, 31, 22, 0),
	     utc(2011, 12, 29, 12, 0), utc(2011, 12, 30, 10, 0), utc(2011, 12, 30, 12, 0),
	     utc(2011, 12, 31, 12, 0));
	/* At midnight the 30th and the 31st coincide: one run for both. */
	WALK("00:00", utc(2011, 12, 28, 22, 0), utc(2011, 12, 31, 22, 0),
	     utc(2011, 12, 29, 10, 0), utc(2011, 12, 30, 10, 0), utc(2011, 12, 31, 10, 0));
	cr_assert_eq(schedule_next(&s, utc(2011, 12, 30, 9, 0)), utc(2011, 12, 30, 10, 0));
	cr_assert_eq(schedule_next(&s, utc(2011, 12, 30, 10, 0)), utc(2011, 12, 31, 10, 0));
	cr_assert_eq(schedule_occurrence(&s, utc(2011, 12, 30, 10, 0)), ymd(2011, 12, 31));
}

/*
 * Every time of day on both Paris DST nights against a brute-force
 * reference: the first minute whose local date is the day and whose local
 * time of day is at or after `at`.
 */
static void check_every_minute_of_day(rd_date day, int64_t from, int64_t to)
{
	const size_t n = (size_t)((to - from) / MIN);
	rd_date *dates = calloc(n, sizeof(*dates));
	int *tods = calloc(n, sizeof(*tods));
	char got[64], want[64];

	cr_assert(dates && tods);
	for (size_t i = 0; i < n; i++) {
		time_t tt = (time_t)(from + (int64_t)i * MIN);
		struct tm tm;
		localtime_r(&tt, &tm);
		dates[i] = ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		tods[i] = tm.tm_hour * 60 + tm.tm_min;
	}
	for (int a = 0; a < 24 * 60; a++) {
		struct schedule s = {.at = a, .last_run = DATE_NONE};
		size_t i = 0;
		while (i < n && !(dates[i] == day && tods[i] >= a))
			i++;
		cr_assert_lt(i, n, "test bug: window too short for %d", a);
		const int64_t ref = from + (int64_t)i * MIN;
		const int64_t next = schedule_next(&s, ref - 1);
		fmt_utc(next, got, sizeof(got));
		fmt_utc(ref, want, sizeof(want));
		cr_assert_eq(next, ref, "at %d: next %s, expected %s", a, got, want);
		cr_assert_eq(schedule_occurrence(&s, ref), day, "at %d", a);
		cr_assert_eq(schedule_occurrence(&s, ref - 1), day - 1, "at %d", a);
	}
	free(dates);
	free(tods);
}

Test(schedule_walk, paris_every_time_of_day_on_dst_nights, .init = paris)
{
	check_every_minute_of_day(ymd(2026, 3, 29), utc(2026, 3, 28, 12, 0),
				  utc(2026, 3, 30, 12, 0));
	check_every_minute_of_day(ymd(2026, 10, 25), utc(2026, 10, 24, 12, 0),
				  utc(2026, 10, 26, 12, 0));
	check_every_minute_of_day(ymd(2026, 6, 15), utc(2026, 6, 14, 12, 0),
				  utc(2026, 6, 16, 12, 0));
}

/* ---- catch-up and first start ------------------------------------------ */

Test(schedule_catchup, first_start_ever_is_due, .init = paris)
{
	struct schedule s = {.at = at("02:00"), .last_run = DATE_NONE};
	const int64_t now = utc(2026, 6, 15, 8, 0); /* 10:00 local */

	cr_assert(schedule_due(&s, now));
	schedule_ran(&s, now);
	cr_assert_eq(s.last_run, ymd(2026, 6, 15));
	cr_assert_not(schedule_due(&s, now));

	/* Before today's 02:00, the latest occurrence is yesterday's. */
	struct schedule early = {.at = at("02:00"), .last_run = DATE_NONE};
	const int64_t one_am = utc(2026, 6, 14, 23, 0); /* 06-15 01:00 local */
	cr_assert(schedule_due(&early, one_am));
	schedule_ran(&early, one_am);
	cr_assert_eq(early.last_run, ymd(2026, 6, 14));
	cr_assert_not(schedule_due(&early, one_am + 59 * MIN));
	cr_assert(schedule_due(&early, one_am + HOUR));
}

/* From now, minute by minute: the first instant due, or -1 before until. */
static int64_t first_due(const struct schedule *s, int64_t now, int64_t until)
{
	for (int64_t t = now; t < until; t += MIN)
		if (schedule_due(s, t))
			return t;
	return -1;
}

Test(schedule_catchup, down_over_the_occurrence, .init = paris)
{
	/* Ran 06-14, down from 06-14 23:00 to 06-15 09:00 local. */
	struct schedule s = {.at = at("02:00"), .last_run = ymd(2026, 6, 14)};
	const int64_t start = utc(2026, 6, 15, 7, 0);

	cr_assert(schedule_due(&s, start));
	schedule_ran(&s, start);
	cr_assert_eq(s.last_run, ymd(2026, 6, 15));
	cr_assert_eq(first_due(&s, start, utc(2026, 6, 17, 0, 0)), utc(2026, 6, 16, 0, 0));
	cr_assert_eq(schedule_next(&s, start), utc(2026, 6, 16, 0, 0));
}

Test(schedule_catchup, started_before_the_occurrence_after_missing_one, .init = paris)
{
	/* Ran 06-13, missed 06-14, starts 06-15 01:00 local: catches up
	 * 06-14 at once, then runs 06-15 at 02:00 as usual. */
	struct schedule s = {.at = at("02:00"), .last_run = ymd(2026, 6, 13)};
	const int64_t start = utc(2026, 6, 14, 23, 0);

	cr_assert(schedule_due(&s, start));
	schedule_ran(&s, start);
	cr_assert_eq(s.last_run, ymd(2026, 6, 14));
	cr_assert_eq(first_due(&s, start, utc(2026, 6, 16, 0, 0)), utc(2026, 6, 15, 0, 0));
}

Test(schedule_catchup, down_several_days_runs_once, .init = paris)
{
	struct schedule s = {.at = at("02:00"), .last_run = ymd(2026, 3, 20)};
	const int64_t start = utc(2026, 4, 2, 14, 0);
	int runs = 0;

	for (int64_t t = start; t < utc(2026, 4, 2, 22, 0); t += MIN) {
		if (schedule_due(&s, t)) {
			schedule_ran(&s, t);
			runs++;
		}
	}
	cr_assert_eq(runs, 1);
	cr_assert_eq(s.last_run, ymd(2026, 4, 2));
	cr_assert_eq(first_due(&s, start, utc(2026, 4, 4, 0, 0)), utc(2026, 4, 3, 0, 0));
}

Test(schedule_catchup, down_over_the_spring_forward_night, .init = paris)
{
	struct schedule s = {.at = at("02:30"), .last_run = ymd(2026, 3, 28)};

	/* 01:59 CET: the 29th has not come yet. */
	cr_assert_not(schedule_due(&s, utc(2026, 3, 29, 0, 59)));
	/* 03:05 CEST: it has, although 02:30 never showed on the clock. */
	cr_assert(schedule_due(&s, utc(2026, 3, 29, 1, 5)));
	schedule_ran(&s, utc(2026, 3, 29, 1, 5));
	cr_assert_eq(s.last_run, ymd(2026, 3, 29));
}

Test(schedule_catchup, restart_during_the_repeated_hour, .init = paris)
{
	/* Ran at 02:30 CEST, restarted at 02:10 CET (the second 02:10). */
	struct schedule s = {.at = at("02:30"), .last_run = DATE_NONE};

	schedule_ran(&s, utc(2026, 10, 25, 0, 30));
	cr_assert_eq(s.last_run, ymd(2026, 10, 25));
	cr_assert_eq(schedule_occurrence(&s, utc(2026, 10, 25, 1, 10)), ymd(2026, 10, 25));
	cr_assert_not(schedule_due(&s, utc(2026, 10, 25, 1, 10)));
	cr_assert_not(schedule_due(&s, utc(2026, 10, 25, 1, 40)));
	cr_assert_eq(schedule_next(&s, utc(2026, 10, 25, 1, 10)), utc(2026, 10, 26, 1, 30));
}

Test(schedule_catchup, ran_never_goes_backwards, .init = paris)
{
	struct schedule s = {.at = at("02:00"), .last_run = ymd(2026, 6, 20)};

	/* A clock set back (or a run for an older day) changes nothing. */
	schedule_ran(&s, utc(2026, 6, 15, 8, 0));
	cr_assert_eq(s.last_run, ymd(2026, 6, 20));
	cr_assert_not(schedule_due(&s, utc(2026, 6, 15, 8, 0)));
	cr_assert(schedule_due(&s, utc(2026, 6, 21, 0, 0)));
}

/* ---- next occurrence ---------------------------------------------------- */

static void expect_next(int minutes, int64_t now, int64_t expected)
{
	struct schedule s = {.at = minutes, .last_run = DATE_NONE};
	char n[64], got[64], want[64];
	const int64_t next = schedule_next(&s, now);

	fmt_utc(now, n, sizeof(n));
	fmt_utc(next, got, sizeof(got));
	fmt_utc(expected, want, sizeof(want));
	cr_assert_eq(next, expected, "next after %s: %s, expected %s", n, got, want);
}

Test(schedule_next, paris_dst_nights, .init = paris)
{
	const int two = at("02:00");

	expect_next(two, utc(2026, 3, 28, 11, 0), utc(2026, 3, 29, 1, 0));
	expect_next(two, utc(2026, 3, 29, 0, 59), utc(2026, 3, 29, 1, 0));
	/* Strictly after: at the occurrence itself, the next is tomorrow's. */
	expect_next(two, utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 0));
	expect_next(two, utc(2026, 10, 24, 10, 0), utc(2026, 10, 25, 0, 0));
	expect_next(two, utc(2026, 10, 25, 0, 0), utc(2026, 10, 26, 1, 0));
	/* During the second 02:xx, the next is still tomorrow's. */
	expect_next(two, utc(2026, 10, 25, 1, 0), utc(2026, 10, 26, 1, 0));
	expect_next(two, utc(2026, 10, 25, 1, 59), utc(2026, 10, 26, 1, 0));
	expect_next(at("02:30"), utc(2026, 10, 25, 0, 10), utc(2026, 10, 25, 0, 30));
	expect_next(at("02:30"), utc(2026, 10, 25, 1, 10), utc(2026, 10, 26, 1, 30));
}

Test(schedule_next, paris_month_and_year_ends, .init = paris)
{
	const int two = at("02:00");

	expect_next(two, utc(2026, 1, 31, 12, 0), utc(2026, 2, 1, 1, 0));
	expect_next(two, utc(2026, 2, 28, 12, 0), utc(2026, 3, 1, 1, 0));
	expect_next(two, utc(2028, 2, 28, 12, 0), utc(2028, 2, 29, 1, 0));
	expect_next(two, utc(2026, 4, 30, 12, 0), utc(2026, 5, 1, 0, 0));
	expect_next(two, utc(2026, 12, 31, 12, 0), utc(2027, 1, 1, 1, 0));
	/* 23:59 on New Year's Eve: 22:59 UTC. */
	expect_next(at("23:59"), utc(2026, 12, 31, 22, 58), utc(2026, 12, 31, 22, 59));
	expect_next(at("23:59"), utc(2026, 12, 31, 22, 59), utc(2027, 1, 1, 22, 59));
	expect_next(at("00:00"), utc(2026, 12, 31, 22, 59), utc(2026, 12, 31, 23, 0));
	expect_next(at("00:00"), utc(2026, 12, 31, 23, 0), utc(2027, 1, 1, 23, 0));
}

Test(schedule_next, utc_zone, .init = utc_zone)
{
	expect_next(at("02:00"), utc(2026, 12, 31, 1, 59), utc(2026, 12, 31, 2, 0));
	expect_next(at("02:00"), utc(2026, 12, 31, 2, 0), utc(2027, 1, 1, 2, 0));
	expect_next(at("23:59"), utc(2028, 2, 28, 23, 59), utc(2028, 2, 29, 23, 59));
	expect_next(at("00:00"), utc(2026, 3, 29, 0, 0), utc(2026, 3, 30, 0, 0));
}

Test(schedule_next, new_york, .init = new_york)
{
	expect_next(at("02:00"), utc(2026, 3, 7, 12, 0), utc(2026, 3, 8, 7, 0));
	expect_next(at("02:00"), utc(2026, 3, 8, 7, 0), utc(2026, 3, 9, 6, 0));
	expect_next(at("01:30"), utc(2026, 10, 31, 12, 0), utc(2026, 11, 1, 5, 30));
	expect_next(at("01:30"), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30));
	expect_next(at("02:00"), utc(2026, 12, 31, 12, 0), utc(2027, 1, 1, 7, 0));
}

Test(schedule_next, schedule_occurrence_is_today_or_yesterday, .init = paris)
{
	struct schedule s = {.at = at("02:00"), .last_run = DATE_NONE};

	cr_assert_eq(schedule_occurrence(&s, utc(2026, 6, 14, 23, 59)), ymd(2026, 6, 14));
	cr_assert_eq(schedule_occurrence(&s, utc(2026, 6, 15, 0, 0)), ymd(2026, 6, 15));
	cr_assert_eq(schedule_occurrence(&s, utc(2027, 1, 1, 0, 59)), ymd(2026, 12, 31));
	cr_assert_eq(schedule_occurrence(&s, utc(2027, 1, 1, 1, 0)), ymd(2027, 1, 1));
}
