/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libsystemd wrapper. sd_notify() ignores calls when NOTIFY_SOCKET is
 * unset, which is what makes these no-ops outside systemd.
 */
#include "config.h"

#include "daemon/systemd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

int sdw_listen_fd(char *err, size_t errlen)
{
	/* unset_environment: children (none) must not inherit them. */
	int n = sd_listen_fds(1);

	if (n == 0)
		return -ENOENT;
	if (n < 0) {
		snprintf(err, errlen, "cannot read the sockets passed by systemd: %s",
			 strerror(-n));
		return n;
	}
	if (n > 1) {
		snprintf(err, errlen, "systemd passed %d sockets; retentiond listens on one", n);
		return -EINVAL;
	}
	const int fd = SD_LISTEN_FDS_START;
	if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0) {
		snprintf(err, errlen,
			 "the socket passed by systemd is not a listening Unix stream socket "
			 "(check ListenStream= in retentiond.socket)");
		return -EINVAL;
	}
	return fd;
}

void sdw_ready(void)
{
	sd_notify(0, "READY=1");
}

void sdw_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

void sdw_reloading(void)
{
	sd_notify(0, "RELOADING=1");
}

void sdw_extend_timeout(uint64_t usec)
{
	sd_notifyf(0, "EXTEND_TIMEOUT_USEC=%" PRIu64, usec);
}

void sdw_status(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", buf);
}

uint64_t sdw_watchdog_usec(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec;
}

void sdw_watchdog(void)
{
	sd_notify(0, "WATCHDOG=1");
}

bool sdw_stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

int sdw_journal(int priority, const char *event, const char *message)
{
	if (event)
		return sd_journal_send("MESSAGE=%s", message, "PRIORITY=%d", priority,
				       "SYSLOG_IDENTIFIER=retentiond", "RETENTIOND_EVENT=%s",
				       event, NULL);
	return sd_journal_send("MESSAGE=%s", message, "PRIORITY=%d", priority,
			       "SYSLOG_IDENTIFIER=retentiond", NULL);
}
