/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Daemon logging, in the spirit of OpenSMTPD's log.h: one line per event,
 * to standard error with a syslog priority prefix that journald reads
 * ("<3>..."), so the same output is right on a terminal and under systemd.
 * Identifiers and dates only: never clinical content.
 */
#ifndef RETENTIOND_DAEMON_LOG_H
#define RETENTIOND_DAEMON_LOG_H

#include <stdbool.h>

/* Prefix lines with <N> priorities (set when stderr goes to journald). */
void log_init(bool with_priority, bool debug);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
