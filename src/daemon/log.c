/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Daemon logging to standard error. Each line is written with one write()
 * so lines from the worker thread and the loop thread never interleave.
 */
#include "config.h"

#include "daemon/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <unistd.h>

static bool log_prio;
static bool log_dbg;

void log_init(bool with_priority, bool debug)
{
	log_prio = with_priority;
	log_dbg = debug;
}

static void vlog(int prio, const char *tag, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void vlog(int prio, const char *tag, const char *fmt, va_list ap)
{
	char line[1024];
	int n;

	if (log_prio)
		n = snprintf(line, sizeof(line), "<%d>", prio);
	else
		n = snprintf(line, sizeof(line), "retentiond: %s", tag);
	if (n < 0)
		return;
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

#define DEFINE_LOG(name, prio, tag)                     \
	void name(const char *fmt, ...)                 \
	{                                               \
		va_list ap;                             \
		va_start(ap, fmt);                      \
		vlog(prio, tag, fmt, ap);               \
		va_end(ap);                             \
	}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_dbg)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, "debug: ", fmt, ap);
	va_end(ap);
}

DEFINE_LOG(log_info, LOG_INFO, "")
DEFINE_LOG(log_notice, LOG_NOTICE, "")
DEFINE_LOG(log_warnx, LOG_WARNING, "warning: ")
DEFINE_LOG(log_errx, LOG_ERR, "error: ")
