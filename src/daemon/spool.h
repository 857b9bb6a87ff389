/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The spool directory ([import] spool): the nightly exports of the patient
 * record system are dropped there and imported without anyone typing a
 * command. patients*.csv, encounters*.csv, transfusions*.csv and
 * litigations*.csv are imported in that order (then by name), each in its
 * own transaction, then moved to done/, or to failed/ with a .error file.
 * Other names, notably temporary ones (".x", "x.tmp", "x.part"), are left
 * alone until renamed in place. Watched with libuv, and rescanned at start.
 */
#ifndef RETENTIOND_DAEMON_SPOOL_H
#define RETENTIOND_DAEMON_SPOOL_H

struct daemon;
struct spool;

/* Watch dir (creating done/ and failed/), and queue what is there. */
int spool_start(struct daemon *d, const char *dir, struct spool **out);
/* Stop watching; files being imported finish (or roll back) first. */
void spool_stop(struct spool *sp);

/* The kind of a spool file name (csvimport kind), or -1 to leave it. */
int spool_kind_of(const char *name);

#endif
