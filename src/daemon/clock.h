/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The establishment's civil date ("today" of rules.md) and wall time.
 */
#ifndef RETENTIOND_DAEMON_CLOCK_H
#define RETENTIOND_DAEMON_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "common/date.h"

/*
 * Use time zone tz (NULL: the system's) for every later call. Reads the
 * RETENTIOND_TODAY environment variable (YYYY-MM-DD), which pins "today"
 * for tests and demonstrations; returns -EINVAL when it does not parse.
 */
int clock_init(const char *tz);

/* True when today is pinned by RETENTIOND_TODAY. */
int clock_is_pinned(void);

rd_date clock_today(void);

/* Unix time of local midnight starting day d. */
int64_t clock_midnight(rd_date d);

/* Seconds since the epoch. */
int64_t clock_now(void);

/* Milliseconds of a monotonic clock, for durations. */
uint64_t clock_monotonic_ms(void);

/* "YYYY-MM-DDTHH:MM:SS+ZZZZ" of a unix time in the local zone. */
void clock_format_time(int64_t t, char *buf, size_t len);

#endif
