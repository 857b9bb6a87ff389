/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Every call to libsystemd, behind one small interface (as Knot DNS keeps
 * them in one file): readiness and status notifications, the watchdog,
 * socket activation, and logging to the journal. Outside systemd each
 * function is a harmless no-op, so the daemon runs the same in a terminal.
 */
#ifndef RETENTIOND_DAEMON_SYSTEMD_H
#define RETENTIOND_DAEMON_SYSTEMD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The listening socket passed by systemd (socket activation): its fd, or
 * -ENOENT when none was passed. More than one socket, or one that is not a
 * listening AF_UNIX stream socket, is refused (-EINVAL, with err set).
 */
int sdw_listen_fd(char *err, size_t errlen);

void sdw_ready(void);    /* READY=1 */
void sdw_stopping(void); /* STOPPING=1 */
void sdw_reloading(void); /* RELOADING=1 */
/* EXTEND_TIMEOUT_USEC=usec: the start-up (or stop) goes on; the service
 * manager's timeout now ends usec from now, past TimeoutStartSec. */
void sdw_extend_timeout(uint64_t usec);
void sdw_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The watchdog period in microseconds, or 0 when not asked for. */
uint64_t sdw_watchdog_usec(void);
void sdw_watchdog(void); /* WATCHDOG=1 */

/* True when standard error is connected to the journal (JOURNAL_STREAM
 * names it), so log lines can go there with structured fields. */
bool sdw_stderr_is_journal(void);

/*
 * One journal entry: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, and, when event
 * is not NULL, RETENTIOND_EVENT=event. Returns a negative errno when the
 * journal is not reachable (the caller then writes to stderr).
 */
int sdw_journal(int priority, const char *event, const char *message);

#endif
