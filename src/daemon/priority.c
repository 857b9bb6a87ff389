/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Two measures, for the answers to explain and status while a job keeps
 * both cores busy (doc/performance.md, "explain during the first scan").
 *
 * The pool threads run at a lower priority (nice), so that they get less
 * of a core shared with the loop thread. That alone does not make the
 * loop thread run as soon as a request wakes it: the kernel lets the
 * running thread finish its time slice first, up to the next tick (4 ms
 * at 250 Hz). Since Linux 6.12 a thread may ask for a shorter slice
 * (sched_attr.sched_runtime, for SCHED_OTHER and SCHED_BATCH), and a
 * waking thread with a shorter slice preempts the running one. The loop
 * thread asks for the least, 100 µs: it runs in short bursts anyway, and
 * the pool threads, by not inheriting it, keep the default slice and lose
 * nothing of their throughput. Older kernels accept the request and
 * ignore it.
 *
 * Neither needs a privilege: a thread may always lower its own priority
 * and shorten its own slice. The systemd unit's system call filter lets
 * both calls through (setpriority, sched_setattr).
 */
#include "config.h"

#include "daemon/priority.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon/log.h"

/* The first version of struct sched_attr (SCHED_ATTR_SIZE_VER0): glibc
 * has no wrapper for these calls, and <linux/sched/types.h> clashes with
 * <sched.h>. */
struct sched_attr_v0 {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};

#define SCHED_FLAG_RESET_ON_FORK_ 0x01

void priority_loop_thread(void)
{
	struct sched_attr_v0 a;

	memset(&a, 0, sizeof(a));
	if (syscall(SYS_sched_getattr, 0, &a, (unsigned)sizeof(a), 0) < 0) {
		log_debug("cannot read the loop thread's scheduling: %s", strerror(errno));
		return;
	}
	/* An administrator's real-time or idle policy is left as it is. */
	if (a.sched_policy != SCHED_OTHER && a.sched_policy != SCHED_BATCH)
		return;
	/* The same policy and nice value; a short slice that the threads
	 * started afterwards do not inherit (reset on fork, which would
	 * also start them from nice 0 were the daemon's nice negative:
	 * still below the loop thread once lowered). */
	a.size = sizeof(a);
	a.sched_flags = SCHED_FLAG_RESET_ON_FORK_;
	a.sched_priority = 0;
	a.sched_runtime = (uint64_t)PRIORITY_LOOP_SLICE_US * 1000;
	a.sched_deadline = a.sched_period = 0;
	if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
		log_debug("cannot shorten the loop thread's time slice: %s", strerror(errno));
}

void priority_job_thread(void)
{
	static _Thread_local bool lowered;
	static atomic_bool told;

	if (lowered)
		return;
	lowered = true;
	pid_t tid = gettid();
	errno = 0;
	int nice = getpriority(PRIO_PROCESS, (id_t)tid);
	if (errno == 0 &&
	    setpriority(PRIO_PROCESS, (id_t)tid, nice + PRIORITY_JOB_NICE_DELTA) == 0)
		return;
	/* Said once: the jobs then delay the answers to the clients. */
	if (!atomic_exchange(&told, true))
		log_notice("the job threads run at the daemon's own priority: %s",
			   strerror(errno));
}
