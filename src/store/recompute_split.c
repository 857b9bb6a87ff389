/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A streaming recompute (recompute_stream.c) over every dossier.
 */
#include "config.h"

#include "store/recompute_internal.h"

int recompute_streamed(struct recompute_run *run, bool dirty_only)
{
	return recompute_stream_serial(run, dirty_only);
}
