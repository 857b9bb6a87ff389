/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Daemon logging. Each stderr line is written with one write() so lines
 * from the worker thread and the loop thread never interleave.
 */
#include "config.h"

#include "daemon/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon/systemd.h"

static bool log_journal;
static bool log_dbg;
/* Since start-up, for the nightly report's health section. */
static atomic_uint_fast64_t n_warnings, n_errors;

void log_init(bool journal, bool debug)
{
	log_journal = journal;
	log_dbg = debug;
}

static void vlog(int prio, const char *event, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void vlog(int prio, const char *event, const char *fmt, va_list ap)
{
	static const char *const tags[] = {
		[LOG_EMERG] = "emergency: ", [LOG_ALERT] = "alert: ",
		[LOG_CRIT] = "critical: ",   [LOG_ERR] = "error: ",
		[LOG_WARNING] = "warning: ", [LOG_NOTICE] = "",
		[LOG_INFO] = "",             [LOG_DEBUG] = "debug: ",
	};
	char msg[1024];

	if ((prio & 7) <= LOG_ERR)
		atomic_fetch_add(&n_errors, 1);
	else if ((prio & 7) == LOG_WARNING)
		atomic_fetch_add(&n_warnings, 1);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	if (log_journal && sdw_journal(prio, event, msg) >= 0)
		return;
	char line[1100];
	int n = snprintf(line, sizeof(line), "retentiond: %s%s\n", tags[prio & 7], msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	ssize_t w = write(STDERR_FILENO, line, (size_t)n);
	(void)w;
}

#define DEFINE_LOG(name, prio)                  \
	void name(const char *fmt, ...)         \
	{                                       \
		va_list ap;                     \
		va_start(ap, fmt);              \
		vlog(prio, NULL, fmt, ap);      \
		va_end(ap);                     \
	}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_dbg)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

DEFINE_LOG(log_info, LOG_INFO)
DEFINE_LOG(log_notice, LOG_NOTICE)
DEFINE_LOG(log_warnx, LOG_WARNING)
DEFINE_LOG(log_errx, LOG_ERR)

void log_event(int prio, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(prio, event, fmt, ap);
	va_end(ap);
}

void log_counts(uint64_t *warnings, uint64_t *errors)
{
	*warnings = atomic_load(&n_warnings);
	*errors = atomic_load(&n_errors);
}
