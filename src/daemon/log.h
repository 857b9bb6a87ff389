/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Daemon logging, in the spirit of OpenSMTPD's log.h: one line per event.
 * Under systemd, when standard error is the journal's stream, entries go
 * to the journal with structured fields (PRIORITY, SYSLOG_IDENTIFIER,
 * RETENTIOND_EVENT); otherwise to standard error. Identifiers, counts and
 * dates only: never clinical content.
 */
#ifndef RETENTIOND_DAEMON_LOG_H
#define RETENTIOND_DAEMON_LOG_H

#include <stdbool.h>
#include <stdint.h>

/* journal: send entries to the journal (see sdw_stderr_is_journal). */
void log_init(bool journal, bool debug);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An entry tagged RETENTIOND_EVENT=event (start, stop, reload, scan,
 * import, spool...), so that `journalctl RETENTIOND_EVENT=scan` finds
 * every nightly scan. prio: a syslog priority. */
void log_event(int prio, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Warnings and errors (log_warnx, log_errx, log_event at those
 * priorities) logged since start-up; the report counts those since the
 * previous one. Thread-safe. */
void log_counts(uint64_t *warnings, uint64_t *errors);

#endif
