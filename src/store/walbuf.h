/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A VFS that gathers the writes of a write-ahead log into larger ones
 * (walbuf.c). Only the store opens connections through it.
 */
#ifndef RETENTIOND_STORE_WALBUF_H
#define RETENTIOND_STORE_WALBUF_H

#include <stddef.h>

#define WALBUF_VFS "retentiond-walbuf"
/* Bytes gathered before they are written: 15 frames of 4 KiB pages, in
 * one system call (more gained nothing, doc/performance.md). */
#define WALBUF_SIZE (64 * 1024)

/*
 * Register WALBUF_VFS over the default VFS, once per process (not as the
 * default). 0, or a negative errno: the caller then opens with the
 * default VFS, which writes the same file a frame at a time.
 */
int walbuf_register(void);

/* Tests: the buffer's size for the files opened from now on (0: the
 * default). */
void walbuf_set_size(size_t bytes);

#endif
