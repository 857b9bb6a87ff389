/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Civil dates (no time of day, no time zone) as a count of days since
 * 1970-01-01, and the calendar arithmetic the retention rules need.
 * All functions are pure and thread-safe.
 */
#ifndef RETENTIOND_COMMON_DATE_H
#define RETENTIOND_COMMON_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Days since 1970-01-01 (negative before). */
typedef int32_t rd_date;

/* "No date" (null in CSV, JSON and SQL). Compares below every real date. */
#define DATE_NONE INT32_MIN

/* Supported years: 1..9999, as ISO 8601 without expansion. */
#define DATE_MIN_YEAR 1
#define DATE_MAX_YEAR 9999

/* Length of "YYYY-MM-DD" plus the terminating NUL. */
#define DATE_STRLEN 11

bool date_is_leap(int year);
int date_days_in_month(int year, int month);

/* 0 and *out set, or -EINVAL when y-m-d is not a real date in range. */
int date_from_ymd(int year, int month, int day, rd_date *out);
void date_to_ymd(rd_date d, int *year, int *month, int *day);

/*
 * Parse exactly "YYYY-MM-DD" (len bytes, no NUL needed, nothing around it).
 * Returns 0, or -EINVAL when the text is not a real calendar date.
 */
int date_parse(const char *s, size_t len, rd_date *out);

/* Writes "YYYY-MM-DD" (or "" for DATE_NONE) into buf; returns buf. */
char *date_format(rd_date d, char buf[DATE_STRLEN]);

/*
 * Same day and month n years later (n may be negative). A 29 February that
 * does not exist in the target year becomes the 28 February (Code de
 * procédure civile, art. 641). DATE_NONE stays DATE_NONE.
 */
rd_date date_add_years(rd_date d, int years);

/* d + n days; DATE_NONE stays DATE_NONE. */
rd_date date_add_days(rd_date d, int32_t days);

#endif
