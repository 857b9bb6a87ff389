/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The elimination procedure's commands (opinion, approve, refuse, visa,
 * destroyed, hold, release, litigation, bordereau, audit): their table,
 * workflow_commands, is declared in handlers.h beside the others.
 */
#ifndef RETENTIOND_DAEMON_WORKFLOW_HANDLERS_H
#define RETENTIOND_DAEMON_WORKFLOW_HANDLERS_H

#include "daemon/handlers.h"

#endif
