/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The nightly schedule: a job that runs once per local day at a time of
 * day (e.g. the scan at 02:00), in the time zone of the process (TZ, set
 * at start-up from [establishment] timezone).
 *
 * Each day has one occurrence: the first instant whose local time of day
 * is at or after the configured time. So a night without 02:00 (spring
 * forward) runs at 03:00, a night with two 02:00 (fall back) runs once,
 * and a daemon that was down at that time catches up when it starts: the
 * job is due whenever the latest occurrence at or before now has not run.
 */
#ifndef RETENTIOND_DAEMON_SCHEDULE_H
#define RETENTIOND_DAEMON_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/date.h"

struct schedule {
	int at;           /* minutes after local midnight, 0..1439 */
	rd_date last_run; /* local date of the occurrence last run; DATE_NONE */
};

/* "HH:MM" (00:00 to 23:59) to minutes; -EINVAL otherwise. */
int schedule_parse_time(const char *s, int *minutes);

/* "HH:MM" of minutes into buf (6 bytes at least). */
char *schedule_format_time(int minutes, char *buf);

/*
 * Local date of the latest occurrence at or before unix time now: today
 * when the local time of day has reached s->at, else yesterday.
 */
rd_date schedule_occurrence(const struct schedule *s, int64_t now);

/* True when the latest occurrence at or before now has not run yet. */
bool schedule_due(const struct schedule *s, int64_t now);

/* Record that the job ran for the latest occurrence at or before now. */
void schedule_ran(struct schedule *s, int64_t now);

/*
 * Unix time of the next occurrence strictly after now (for status and
 * timers): the first instant of the next local day whose time of day is at
 * or after s->at.
 */
int64_t schedule_next(const struct schedule *s, int64_t now);

#endif
