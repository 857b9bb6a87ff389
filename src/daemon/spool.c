/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Spool watching. A change in the directory only arms a short timer: a
 * producer writing several files, or renaming them one by one, gives one
 * rescan, which then queues the files in dependency order. A file is
 * queued once; its job moves it out of the directory when done.
 */
#include "config.h"

#include "daemon/spool.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <uv.h>

#include "daemon/csvimport.h"
#include "daemon/daemon.h"
#include "daemon/jobs.h"
#include "daemon/log.h"

#define SETTLE_MS 500
#define MAX_QUEUED 1024

struct spool;

/* A file with a job pending; the job's owner, so that its end says which
 * file is done (the name may arrive again at once, under the same path). */
struct item {
	struct spool *sp;
	char *name;
};

struct spool {
	struct daemon *d;
	char *dir;
	uv_fs_event_t watch;
	uv_timer_t settle;
	struct item *queued[MAX_QUEUED];
	size_t n_queued;
	bool stopping;
	int open_handles;
};

int spool_kind_of(const char *name)
{
	static const char *const prefixes[] = {"patients", "encounters", "transfusions",
					       "litigations"};
	const size_t len = strlen(name);

	if (name[0] == '.' || len < 5 || strcmp(name + len - 4, ".csv") != 0)
		return -1;
	for (int k = 0; k < 4; k++)
		if (strncmp(name, prefixes[k], strlen(prefixes[k])) == 0)
			return csvimport_kind_from_name(prefixes[k]);
	return -1;
}

static bool is_queued(const struct spool *sp, const char *name)
{
	for (size_t i = 0; i < sp->n_queued; i++)
		if (strcmp(sp->queued[i]->name, name) == 0)
			return true;
	return false;
}

static void maybe_free(struct spool *sp);

static void on_settle(uv_timer_t *t);

/* A file's job is over: look again (forgets the file moved away, and
 * picks up what arrived meanwhile). The job has logged any error. */
static void job_done(void *owner, struct job *job, json_t *reply)
{
	struct item *it = owner;
	struct spool *sp = it->sp;

	(void)job;
	(void)reply;
	for (size_t i = 0; i < sp->n_queued; i++) {
		if (sp->queued[i] == it) {
			sp->queued[i] = sp->queued[--sp->n_queued];
			break;
		}
	}
	free(it->name);
	free(it);
	if (!sp->stopping)
		uv_timer_start(&sp->settle, on_settle, SETTLE_MS, 0);
	maybe_free(sp);
}

struct entry {
	int kind;
	char *name;
};

static int by_kind_then_name(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind - y->kind;
	return strcmp(x->name, y->name);
}

static void rescan(struct spool *sp)
{
	struct entry *list = NULL;
	size_t n = 0, cap = 0;
	DIR *dir = opendir(sp->dir);
	struct dirent *de;

	if (!dir) {
		log_event(4, "spool", "spool: cannot read %s: %s", sp->dir, strerror(errno));
		return;
	}
	while ((de = readdir(dir))) {
		int kind = spool_kind_of(de->d_name);
		char path[4096];
		struct stat st;

		if (kind < 0 || is_queued(sp, de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", sp->dir, de->d_name);
		/* A symbolic link is queued, and refused by its job (into
		 * failed/, with the reason): the spool imports what was
		 * written into it, not what a producer can point at. Other
		 * names that are not files are left alone. */
		if (lstat(path, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct entry *nl = realloc(list, cap * sizeof(*nl));
			if (!nl)
				break;
			list = nl;
		}
		list[n].kind = kind;
		list[n].name = strdup(de->d_name);
		if (list[n].name)
			n++;
	}
	closedir(dir);
	if (n > 1)
		qsort(list, n, sizeof(*list), by_kind_then_name);
	for (size_t i = 0; i < n; i++) {
		struct item *it = sp->n_queued < MAX_QUEUED ? malloc(sizeof(*it)) : NULL;
		struct job_owner owner = {it, job_done, NULL, NULL};
		if (it && jobs_import_spool(sp->d->jobs, list[i].kind, sp->dir, list[i].name,
					    &owner) == 0) {
			log_event(6 /* LOG_INFO */, "spool", "spool: queued %s", list[i].name);
			it->sp = sp;
			it->name = list[i].name;
			sp->queued[sp->n_queued++] = it;
			sp->open_handles++; /* a job referring to sp */
		} else {
			free(it);
			free(list[i].name);
		}
	}
	free(list);
}

static void on_settle(uv_timer_t *t)
{
	struct spool *sp = t->data;

	if (!sp->stopping)
		rescan(sp);
}

static void on_change(uv_fs_event_t *h, const char *name, int events, int status)
{
	struct spool *sp = h->data;

	(void)events;
	if (status < 0 || sp->stopping)
		return;
	if (name && spool_kind_of(name) < 0)
		return; /* a temporary name: wait for its rename */
	uv_timer_start(&sp->settle, on_settle, SETTLE_MS, 0);
}

static int make_dir(const char *path)
{
	if (mkdir(path, 0750) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int spool_start(struct daemon *d, const char *dir, struct spool **out)
{
	char sub[4096];
	struct spool *sp;
	int rc;

	rc = make_dir(dir);
	if (rc == 0) {
		snprintf(sub, sizeof(sub), "%s/done", dir);
		rc = make_dir(sub);
	}
	if (rc == 0) {
		snprintf(sub, sizeof(sub), "%s/failed", dir);
		rc = make_dir(sub);
	}
	if (rc < 0)
		return rc;
	sp = calloc(1, sizeof(*sp));
	if (!sp || !(sp->dir = strdup(dir))) {
		free(sp);
		return -ENOMEM;
	}
	sp->d = d;
	uv_fs_event_init(d->loop, &sp->watch);
	sp->watch.data = sp;
	uv_timer_init(d->loop, &sp->settle);
	sp->settle.data = sp;
	sp->open_handles = 2;
	rc = uv_fs_event_start(&sp->watch, on_change, dir, 0);
	if (rc < 0) {
		sp->stopping = true;
		uv_close((uv_handle_t *)&sp->watch, NULL);
		uv_close((uv_handle_t *)&sp->settle, NULL);
		free(sp->dir);
		free(sp);
		return rc;
	}
	rescan(sp);
	*out = sp;
	return 0;
}

static void maybe_free(struct spool *sp)
{
	if (--sp->open_handles > 0 || !sp->stopping)
		return;
	free(sp->dir);
	free(sp);
}

static void on_closed(uv_handle_t *h)
{
	maybe_free(h->data);
}

void spool_stop(struct spool *sp)
{
	if (!sp || sp->stopping)
		return;
	sp->stopping = true;
	uv_close((uv_handle_t *)&sp->watch, on_closed);
	uv_close((uv_handle_t *)&sp->settle, on_closed);
}
