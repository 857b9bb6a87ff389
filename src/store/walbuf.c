/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SQLite writes its write-ahead log a frame at a time, in two system calls
 * (the 24-byte frame header, then the page), and a statement journal a
 * record at a time, also in two (the page number, then the page). A
 * multi-row INSERT keeps a statement journal, and once one statement of a
 * transaction outgrew 64 KiB it is a file until the transaction ends. A
 * first load of 5 million encounters made 888,000 such calls, each about
 * 3 µs on this paravirtual guest's system call path. This VFS wraps the
 * default one and, for those two files only, gathers consecutive writes in
 * a buffer written by one call (doc/performance.md); it also reads ahead
 * the frames that a large commit reads back one by one (see wb_read).
 * Every other file gets the default VFS's own methods.
 *
 * What the buffer of a WAL may hold is what no one else can need yet:
 * - frames of the transaction being written. Another connection reads only
 *   frames up to the last commit it saw in the wal-index, which SQLite
 *   updates after it has written the commit frame; so the frame that carries
 *   a commit (a header whose database size is not zero) is written to the
 *   file at once, header and page, before SQLite returns to update the
 *   index. When a transaction wrote some page twice, SQLite then rewrites
 *   the headers of its frames (their checksums chain), the commit frame's
 *   last: the others wait with the frames read back for the loop (see
 *   wb_read), and all are written when the commit frame's header is.
 *   Recovery after a crash checks those checksums.
 *   A process that dies with frames still buffered loses only frames that
 *   were not committed, which recovery ignores anyway.
 * - nothing this connection reads, truncates, syncs or measures: those
 *   write the buffer out first.
 * Only the shape SQLite's frame writer uses is gathered (a header, then a
 * page at the next byte); any other write goes out at once, after what is
 * gathered, so that the file's content stays the writes in their order. A
 * write inside the gathered bytes (a page rewritten by the same
 * transaction) changes the buffer.
 *
 * A statement journal is read only by its own connection, to roll a
 * statement or a savepoint back; the same rules keep it exact.
 *
 * A write of the buffer that fails is returned as the error of the call
 * that needed it, and the buffer is kept: after a full disk, the
 * connection writes again once there is room.
 */
#include "config.h"

#include "store/walbuf.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

/* What precedes each page: a WAL frame's header; the page number in a
 * statement journal's record. */
#define WAL_HEADER 24
#define SUBJOURNAL_HEADER 4

struct wb_file {
	sqlite3_file base;
	sqlite3_file *real; /* the default VFS's file, after this struct */
	int header;         /* WAL_HEADER or SUBJOURNAL_HEADER */
	unsigned char *buf; /* NULL until the first gathered write */
	size_t cap, used;
	sqlite3_int64 start;   /* the file offset of buf[0] */
	/* The frame being written: where its page goes (-1: none), and
	 * whether its header carries a commit. */
	sqlite3_int64 page_at;
	bool commit;
	/* Where the last call wrote a frame's header, if it did (else -1);
	 * the frames read ahead for the checksums' loop (see wb_read), and
	 * the one the loop's last call read from them (else -1); the bytes
	 * of them between the first and the last header the loop wrote
	 * since they were read, not yet in the file (none: equal). */
	sqlite3_int64 header_at;
	unsigned char *ahead;
	sqlite3_int64 ahead_at;
	size_t ahead_len;
	sqlite3_int64 loop_at;
	size_t patched_lo, patched_hi;
};

/* The real file follows the wrapper, aligned for any of its members. */
#define WB_REAL_OFFSET                                                       \
	((sizeof(struct wb_file) + alignof(max_align_t) - 1) /               \
	 alignof(max_align_t) * alignof(max_align_t))

static atomic_size_t buffer_size = WALBUF_SIZE;

void walbuf_set_size(size_t bytes)
{
	atomic_store(&buffer_size, bytes ? bytes : WALBUF_SIZE);
}

static int real_write(struct wb_file *w, const void *p, int n,
		      sqlite3_int64 off)
{
	return w->real->pMethods->xWrite(w->real, p, n, off);
}

/*
 * The default VFS writes at most 128 KiB - 1 bytes in one call and fails
 * a longer write as if the disk were full (os_unix.c, seekAndWriteFd).
 */
#define WRITE_MAX (64 * 1024)

/*
 * Write out what is gathered; commit and page_at describe the frame being
 * written, not the buffer, and stay. On an error the buffer stays too:
 * SQLite counts on the writes it was told succeeded, and a later read of
 * them must not find the file without them (see wb_read).
 */
static int flush(struct wb_file *w)
{
	size_t done = 0;
	int rc = SQLITE_OK;

	while (rc == SQLITE_OK && done < w->used) {
		size_t n = w->used - done < WRITE_MAX ? w->used - done : WRITE_MAX;

		rc = real_write(w, w->buf + done, (int)n,
				w->start + (sqlite3_int64)done);
		done += n;
	}
	if (rc == SQLITE_OK)
		w->used = 0;
	return rc;
}

static bool is_page_size(int n)
{
	return n >= 512 && n <= 65536 && (n & (n - 1)) == 0;
}

/* A frame header, or the page that follows the last one. */
static bool gatherable(const struct wb_file *w, int n, sqlite3_int64 off)
{
	return n == w->header || (is_page_size(n) && off == w->page_at);
}

static bool has_room(struct wb_file *w, int n)
{
	if (!w->buf) {
		size_t cap = atomic_load(&buffer_size);

		w->buf = sqlite3_malloc64(cap);
		if (!w->buf)
			return false; /* write through, a frame at a time */
		w->cap = cap;
	}
	return (size_t)n <= w->cap;
}

/* Whether bytes [off, off + n) lie all within [at, at + len), or meet
 * it at all (the buffer's bytes, or those read ahead). */
static bool within(sqlite3_int64 at, size_t len, sqlite3_int64 off,
		   sqlite3_int64 n)
{
	return len > 0 && off >= at && off + n <= at + (sqlite3_int64)len;
}

static bool meets(sqlite3_int64 at, size_t len, sqlite3_int64 off,
		  sqlite3_int64 n)
{
	return len > 0 && off < at + (sqlite3_int64)len && off + n > at;
}

/* Gather the write, or write it out after what is gathered. */
static int put(struct wb_file *w, const void *p, int n, sqlite3_int64 off)
{
	bool gather = gatherable(w, n, off) && has_room(w, n);
	int rc;

	if (w->used > 0 && (!gather || off != w->start + (sqlite3_int64)w->used ||
			    w->used + (size_t)n > w->cap)) {
		rc = flush(w);
		if (rc != SQLITE_OK)
			return rc;
	}
	if (!gather)
		return real_write(w, p, n, off);
	if (w->used == 0)
		w->start = off;
	memcpy(w->buf + w->used, p, (size_t)n);
	w->used += (size_t)n;
	return SQLITE_OK;
}

/*
 * Write out the headers the checksums' loop wrote into the frames read
 * ahead, with the pages between them: one call for up to AHEAD_MAX bytes
 * instead of one per header. The pages are written again as they are in
 * the file (no one else writes there during the loop: see wb_read); each
 * header lies in a different 4 KiB of the file, so the header writes
 * alone would have dirtied the same pages of the OS cache.
 */
static int write_patched(struct wb_file *w)
{
	int rc;

	if (w->patched_hi == w->patched_lo)
		return SQLITE_OK;
	rc = real_write(w, w->ahead + w->patched_lo,
			(int)(w->patched_hi - w->patched_lo),
			w->ahead_at + (sqlite3_int64)w->patched_lo);
	if (rc == SQLITE_OK)
		w->patched_lo = w->patched_hi = 0;
	return rc;
}

/* Forget the frames read ahead, once what the loop wrote into them is in
 * the file; on an error they stay, as the buffer does (see flush). */
static int drop_ahead(struct wb_file *w)
{
	int rc = write_patched(w);

	if (rc == SQLITE_OK)
		w->ahead_len = 0;
	w->loop_at = -1;
	return rc;
}

/* A call that is not the checksums' loop ends it. */
static int other_call(struct wb_file *w)
{
	w->header_at = -1;
	return drop_ahead(w);
}

/* The header of the frame the loop read last, rewritten: into the frames
 * read ahead, written out with the next ones. */
static bool loop_write(struct wb_file *w, const void *p, int n,
		       sqlite3_int64 off)
{
	size_t at;

	if (n != WAL_HEADER || w->header != WAL_HEADER || off != w->loop_at ||
	    !within(w->ahead_at, w->ahead_len, off, n))
		return false;
	at = (size_t)(off - w->ahead_at);
	memcpy(w->ahead + at, p, (size_t)n);
	if (w->patched_hi == w->patched_lo)
		w->patched_lo = at;
	w->patched_hi = at + (size_t)n;
	w->loop_at = -1;
	return true;
}

static int wb_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	struct wb_file *w = (struct wb_file *)f;
	bool commit_page, looped;
	int rc;

	w->header_at = -1;
	looped = loop_write(w, p, n, off);
	if (!looped) {
		/* What the loop wrote goes first: the file's content stays
		 * the writes in their order. */
		rc = drop_ahead(w);
		if (rc != SQLITE_OK)
			return rc;
	}

	/* A write inside the gathered bytes (a frame rewritten by the same
	 * transaction) changes them where they are. */
	if (looped) {
		rc = SQLITE_OK;
	} else if (within(w->start, w->used, off, n)) {
		memcpy(w->buf + (off - w->start), p, (size_t)n);
		rc = SQLITE_OK;
	} else {
		rc = put(w, p, n, off);
	}
	if (rc != SQLITE_OK)
		return rc;
	if (n == w->header) {
		const unsigned char *h = p;

		/* A frame's bytes 4-7: the database size in pages after a
		 * commit, 0 in any other frame (the WAL format, fileformat2). */
		w->commit = w->header == WAL_HEADER &&
			    (h[4] | h[5] | h[6] | h[7]) != 0;
		w->page_at = off + n;
		if (w->header == WAL_HEADER)
			w->header_at = off;
		if (!w->commit)
			return SQLITE_OK;
		/* Written at once: at the end of a commit, SQLite may
		 * rewrite the checksums of the transaction's frames, the
		 * commit frame's header last, with no page after it. */
		rc = drop_ahead(w);
		return rc != SQLITE_OK ? rc : flush(w);
	}
	commit_page = w->commit && off == w->page_at;
	w->commit = false;
	w->page_at = -1;
	return commit_page ? flush(w) : SQLITE_OK;
}

/*
 * At the end of a commit whose transaction wrote some page twice, SQLite
 * rewrites the checksums of the transaction's frames from the first one
 * written again to the last: it reads each frame whole, then writes its
 * header, frame after frame (wal.c, walRewriteChecksums), two system
 * calls a frame over most of the transaction (3 GB of frames for 10
 * million encounters). A read of a whole frame that comes right after the
 * header of the frame before it was written is that loop, and only that
 * loop: the read takes up to 64 KiB of whole frames at once, the loop's
 * next reads are served from them, and the headers it writes go into them
 * (loop_write), to be written out whole when the loop reads past them or
 * writes the commit frame's header (write_patched). SQLite holds the
 * log's write lock through the loop, so that no one else writes those
 * frames; any call but the loop's next read or header write writes out
 * what the loop wrote and drops them.
 */
#define AHEAD_MAX (64 * 1024)

static int read_ahead(struct wb_file *w, int n, sqlite3_int64 off)
{
	sqlite3_int64 size;
	size_t len;
	int rc;

	if (!w->ahead && !(w->ahead = sqlite3_malloc64(AHEAD_MAX)))
		return SQLITE_NOMEM;
	if (meets(w->start, w->used, off, AHEAD_MAX) && flush(w) != SQLITE_OK)
		return SQLITE_IOERR_READ;
	rc = w->real->pMethods->xFileSize(w->real, &size);
	if (rc != SQLITE_OK)
		return rc;
	if (size - off < n)
		return SQLITE_IOERR_SHORT_READ;
	len = size - off < AHEAD_MAX ? (size_t)(size - off) : AHEAD_MAX;
	len -= len % (size_t)n;
	if (len == 0)
		return SQLITE_IOERR_SHORT_READ; /* a frame of 64 KiB pages */
	rc = w->real->pMethods->xRead(w->real, w->ahead, (int)len, off);
	if (rc != SQLITE_OK)
		return rc;
	w->ahead_at = off;
	w->ahead_len = len;
	return SQLITE_OK;
}

static int wb_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	struct wb_file *w = (struct wb_file *)f;
	bool loop = w->header_at >= 0 && n > WAL_HEADER &&
		    is_page_size(n - WAL_HEADER) && off == w->header_at + n;

	w->header_at = -1;
	if (loop && within(w->ahead_at, w->ahead_len, off, n)) {
		memcpy(p, w->ahead + (off - w->ahead_at), (size_t)n);
		w->loop_at = off;
		return SQLITE_OK;
	}
	/* Reading what could not be written is an I/O error, which makes
	 * SQLite roll the whole transaction back; a full disk (SQLITE_FULL)
	 * would only roll back the statement, and the transaction would go
	 * on without the pages it spilled. */
	if (drop_ahead(w) != SQLITE_OK)
		return SQLITE_IOERR_READ;
	if (loop && read_ahead(w, n, off) == SQLITE_OK) {
		memcpy(p, w->ahead, (size_t)n);
		w->loop_at = off;
		return SQLITE_OK;
	}
	if (meets(w->start, w->used, off, n) && flush(w) != SQLITE_OK)
		return SQLITE_IOERR_READ;
	return w->real->pMethods->xRead(w->real, p, n, off);
}

/* What could not be written by now is dead: SQLite closes a WAL after
 * its connection's last transaction ended, and a statement journal after
 * the transaction it served. */
static int wb_close(sqlite3_file *f)
{
	struct wb_file *w = (struct wb_file *)f;
	int rc = other_call(w), rc1 = flush(w), rc2;

	if (rc == SQLITE_OK)
		rc = rc1;
	rc2 = w->real->pMethods->xClose(w->real);
	sqlite3_free(w->buf);
	w->buf = NULL;
	sqlite3_free(w->ahead);
	w->ahead = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

/* The file as the real one, once the buffer is written out. */
static sqlite3_file *settled(sqlite3_file *f, int *rc)
{
	struct wb_file *w = (struct wb_file *)f;

	*rc = other_call(w);
	if (*rc == SQLITE_OK)
		*rc = flush(w);
	return w->real;
}

static int wb_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	int rc;
	sqlite3_file *r = settled(f, &rc);

	return rc != SQLITE_OK ? rc : r->pMethods->xTruncate(r, size);
}

static int wb_sync(sqlite3_file *f, int flags)
{
	int rc;
	sqlite3_file *r = settled(f, &rc);

	return rc != SQLITE_OK ? rc : r->pMethods->xSync(r, flags);
}

static int wb_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	int rc;
	sqlite3_file *r = settled(f, &rc);

	return rc != SQLITE_OK ? rc : r->pMethods->xFileSize(r, size);
}

static int wb_file_control(sqlite3_file *f, int op, void *arg)
{
	int rc;
	sqlite3_file *r = settled(f, &rc);

	return rc != SQLITE_OK ? rc : r->pMethods->xFileControl(r, op, arg);
}

/* A call that needs nothing written out, on the real file. It ends the
 * checksums' loop; what the loop wrote is written by the next call that
 * needs it. */
static sqlite3_file *passed(sqlite3_file *f)
{
	struct wb_file *w = (struct wb_file *)f;

	w->header_at = -1;
	w->loop_at = -1;
	return w->real;
}

static int wb_lock(sqlite3_file *f, int level)
{
	sqlite3_file *r = passed(f);

	return r->pMethods->xLock(r, level);
}

static int wb_unlock(sqlite3_file *f, int level)
{
	sqlite3_file *r = passed(f);

	return r->pMethods->xUnlock(r, level);
}

static int wb_check_reserved(sqlite3_file *f, int *out)
{
	sqlite3_file *r = passed(f);

	return r->pMethods->xCheckReservedLock(r, out);
}

static int wb_sector_size(sqlite3_file *f)
{
	sqlite3_file *r = passed(f);

	return r->pMethods->xSectorSize(r);
}

static int wb_device(sqlite3_file *f)
{
	sqlite3_file *r = passed(f);

	return r->pMethods->xDeviceCharacteristics(r);
}

/* Version 1: a WAL file is never memory-mapped nor given shared memory. */
static const sqlite3_io_methods wb_methods = {
	.iVersion = 1,
	.xClose = wb_close,
	.xRead = wb_read,
	.xWrite = wb_write,
	.xTruncate = wb_truncate,
	.xSync = wb_sync,
	.xFileSize = wb_file_size,
	.xLock = wb_lock,
	.xUnlock = wb_unlock,
	.xCheckReservedLock = wb_check_reserved,
	.xFileControl = wb_file_control,
	.xSectorSize = wb_sector_size,
	.xDeviceCharacteristics = wb_device,
};

static sqlite3_vfs *real_vfs(sqlite3_vfs *v)
{
	return v->pAppData;
}

static int wb_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *f,
		   int flags, int *out_flags)
{
	sqlite3_vfs *rv = real_vfs(v);
	struct wb_file *w = (struct wb_file *)f;
	int rc;

	/* Anything else is the default VFS's file, in this memory. */
	if (!(flags & (SQLITE_OPEN_WAL | SQLITE_OPEN_SUBJOURNAL)))
		return rv->xOpen(rv, name, f, flags, out_flags);
	memset(w, 0, sizeof(*w));
	w->header = flags & SQLITE_OPEN_WAL ? WAL_HEADER : SUBJOURNAL_HEADER;
	w->real = (sqlite3_file *)((char *)w + WB_REAL_OFFSET);
	w->page_at = -1;
	w->header_at = -1;
	w->loop_at = -1;
	rc = rv->xOpen(rv, name, w->real, flags, out_flags);
	if (rc != SQLITE_OK) {
		/* SQLite closes a file whose pMethods is set, even after a
		 * failed open: ours stays NULL, so close the real one here. */
		if (w->real->pMethods)
			w->real->pMethods->xClose(w->real);
		return rc;
	}
	w->base.pMethods = &wb_methods;
	return SQLITE_OK;
}

static int wb_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
	return real_vfs(v)->xDelete(real_vfs(v), name, sync_dir);
}

static int wb_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	return real_vfs(v)->xAccess(real_vfs(v), name, flags, out);
}

static int wb_full_pathname(sqlite3_vfs *v, const char *name, int n,
			    char *out)
{
	return real_vfs(v)->xFullPathname(real_vfs(v), name, n, out);
}

static void *wb_dl_open(sqlite3_vfs *v, const char *name)
{
	return real_vfs(v)->xDlOpen(real_vfs(v), name);
}

static void wb_dl_error(sqlite3_vfs *v, int n, char *out)
{
	real_vfs(v)->xDlError(real_vfs(v), n, out);
}

static void (*wb_dl_sym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	return real_vfs(v)->xDlSym(real_vfs(v), h, sym);
}

static void wb_dl_close(sqlite3_vfs *v, void *h)
{
	real_vfs(v)->xDlClose(real_vfs(v), h);
}

static int wb_randomness(sqlite3_vfs *v, int n, char *out)
{
	return real_vfs(v)->xRandomness(real_vfs(v), n, out);
}

static int wb_sleep(sqlite3_vfs *v, int us)
{
	return real_vfs(v)->xSleep(real_vfs(v), us);
}

static int wb_current_time(sqlite3_vfs *v, double *out)
{
	return real_vfs(v)->xCurrentTime(real_vfs(v), out);
}

static int wb_last_error(sqlite3_vfs *v, int n, char *out)
{
	return real_vfs(v)->xGetLastError(real_vfs(v), n, out);
}

static int wb_current_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	sqlite3_vfs *rv = real_vfs(v);
	double d;
	int rc;

	if (rv->iVersion >= 2 && rv->xCurrentTimeInt64)
		return rv->xCurrentTimeInt64(rv, out);
	rc = rv->xCurrentTime(rv, &d);
	*out = (sqlite3_int64)(d * 86400000.0);
	return rc;
}

static sqlite3_vfs wb_vfs = {
	.iVersion = 2,
	.zName = WALBUF_VFS,
	.xOpen = wb_open,
	.xDelete = wb_delete,
	.xAccess = wb_access,
	.xFullPathname = wb_full_pathname,
	.xDlOpen = wb_dl_open,
	.xDlError = wb_dl_error,
	.xDlSym = wb_dl_sym,
	.xDlClose = wb_dl_close,
	.xRandomness = wb_randomness,
	.xSleep = wb_sleep,
	.xCurrentTime = wb_current_time,
	.xGetLastError = wb_last_error,
	.xCurrentTimeInt64 = wb_current_time64,
};

static int registered;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void do_register(void)
{
	sqlite3_vfs *rv = sqlite3_vfs_find(NULL);
	size_t real_size;

	if (!rv || rv->szOsFile < 0) {
		registered = -ENOSYS;
		return;
	}
	real_size = (size_t)rv->szOsFile;
	wb_vfs.szOsFile = (int)(WB_REAL_OFFSET + real_size);
	wb_vfs.mxPathname = rv->mxPathname;
	wb_vfs.pAppData = rv;
	registered = sqlite3_vfs_register(&wb_vfs, 0) == SQLITE_OK ? 0 : -ENOMEM;
}

int walbuf_register(void)
{
	pthread_once(&once, do_register);
	return registered;
}
