/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * An import on two threads: the reader parses and checks the file on a
 * thread of its own while the caller's thread applies the rows to the
 * store. On a first load, SQLite's work on one core and the parse on the
 * other overlap, where one thread did both in turn.
 *
 * A few batches go round between the two (PIPE_BATCHES): the reader fills
 * one and queues it, the writer applies the queued ones in order and gives
 * them back. So the rows are applied in file order, as on one thread, and
 * the memory stays bounded whatever the file's size. After a fatal error
 * the writer applies nothing more and tells the reader to stop parsing;
 * the reader still takes the input to its end, so a client's sends
 * complete and it gets its reply.
 */
#include "config.h"

#include "daemon/csvimport_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#define PIPE_BATCHES 4

struct csvi_pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct csvi_batch *ready, *ready_tail; /* queued, in file order */
	struct csvi_batch *spare;              /* applied, to fill again */
	bool ended;                            /* the reader queued its last */
	bool cancelled;
	struct csvimport *ci;
	const struct csvimport_source *src;
};

/* Under the lock. */
static void queue(struct csvi_pipe *p, struct csvi_batch *b)
{
	b->next = NULL;
	if (p->ready_tail)
		p->ready_tail->next = b;
	else
		p->ready = b;
	p->ready_tail = b;
	pthread_cond_broadcast(&p->cv);
}

/* The reader's hand-over: queue the full batch, take a spare one. */
static void hand_over(struct csvimport *ci)
{
	struct csvi_pipe *p = ci->pipe;

	pthread_mutex_lock(&p->mu);
	queue(p, ci->out);
	while (!p->spare)
		pthread_cond_wait(&p->cv, &p->mu);
	ci->out = p->spare;
	p->spare = ci->out->next;
	pthread_mutex_unlock(&p->mu);
}

static void *reader_main(void *arg)
{
	struct csvi_pipe *p = arg;
	struct csvimport *ci = p->ci;
	const char *data;
	size_t len;
	int r;

	while ((r = p->src->next(p->src->ctx, &data, &len)) > 0)
		csvi_read(ci, data, len);
	if (r == 0)
		csvi_read_end(ci);
	pthread_mutex_lock(&p->mu);
	p->cancelled = r < 0;
	queue(p, ci->out);
	ci->out = NULL;
	p->ended = true;
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* The writer's next batch, or NULL once the reader has ended. */
static struct csvi_batch *take(struct csvi_pipe *p)
{
	struct csvi_batch *b;

	pthread_mutex_lock(&p->mu);
	while (!p->ready && !p->ended)
		pthread_cond_wait(&p->cv, &p->mu);
	b = p->ready;
	if (b) {
		p->ready = b->next;
		if (!p->ready)
			p->ready_tail = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	return b;
}

static void give_back(struct csvi_pipe *p, struct csvi_batch *b)
{
	pthread_mutex_lock(&p->mu);
	b->next = p->spare;
	p->spare = b;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Without a second thread (no memory for it): read here, in turn. */
static int read_here(struct csvimport *ci, const struct csvimport_source *src)
{
	const char *data;
	size_t len;
	int r;

	while ((r = src->next(src->ctx, &data, &len)) > 0) {
		csvimport_feed(ci, data, len);
		if (src->applied)
			src->applied(src->ctx);
	}
	if (r < 0)
		return -ECANCELED;
	csvi_read_end_here(ci);
	return ci->fatal;
}

int csvimport_pipe(struct csvimport *ci, const struct csvimport_source *src)
{
	struct csvi_pipe p = {.ci = ci, .src = src};
	struct csvi_batch *b;
	pthread_t reader;
	bool started = false;

	for (int i = 1; i < PIPE_BATCHES; i++) {
		b = csvi_batch_new();
		if (!b)
			break;
		b->next = p.spare;
		p.spare = b;
	}
	if (p.spare && pthread_mutex_init(&p.mu, NULL) == 0) {
		if (pthread_cond_init(&p.cv, NULL) == 0) {
			ci->pipe = &p;
			ci->hand_over = hand_over;
			started = pthread_create(&reader, NULL, reader_main, &p) == 0;
			if (!started) {
				ci->pipe = NULL;
				ci->hand_over = csvi_apply_out;
				pthread_cond_destroy(&p.cv);
			}
		}
		if (!started)
			pthread_mutex_destroy(&p.mu);
	}
	if (!started) {
		while ((b = p.spare)) {
			p.spare = b->next;
			csvi_batch_free(b);
		}
		return read_here(ci, src);
	}

	while ((b = take(&p))) {
		csvi_apply(ci, b);
		if (src->applied)
			src->applied(src->ctx);
		give_back(&p, b);
	}
	pthread_join(reader, NULL);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	ci->pipe = NULL;
	ci->hand_over = csvi_apply_out;
	/* Every batch is back: keep one for csvimport_finish. */
	ci->out = p.spare;
	p.spare = ci->out->next;
	while ((b = p.spare)) {
		p.spare = b->next;
		csvi_batch_free(b);
	}
	return p.cancelled ? -ECANCELED : ci->fatal;
}
