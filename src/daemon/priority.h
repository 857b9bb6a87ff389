/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The scheduling of the daemon's threads on a server of two cores: the
 * loop thread, which answers the clients, wakes first; the pool threads,
 * which run the long jobs, yield to it.
 */
#ifndef RETENTIOND_DAEMON_PRIORITY_H
#define RETENTIOND_DAEMON_PRIORITY_H

/* Added to the nice value of the thread-pool threads. */
#define PRIORITY_JOB_NICE_DELTA 5
/* The loop thread's time slice, in microseconds (the kernel's least). */
#define PRIORITY_LOOP_SLICE_US 100

/* On the loop thread, before it starts any other: a short time slice,
 * which threads started later do not inherit. */
void priority_loop_thread(void);

/* On a pool thread, before its first job: PRIORITY_JOB_NICE_DELTA below
 * the daemon. Once per thread. */
void priority_job_thread(void);

#endif
