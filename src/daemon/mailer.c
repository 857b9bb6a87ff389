/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The mailer, one message at a time, in four steps:
 *
 *   look    (loop)        queue a pick job, unless one step is under way
 *   pick    (writer job)  the oldest message due; mark the attempt
 *                         (attempts + 1, state sending) and commit, before
 *                         any byte goes out
 *   send    (thread pool) the SMTP session with libcurl
 *   record  (writer job)  sent, or failed with the error and the next
 *                         attempt at now + backoff; then look again
 *
 * When nothing is due, a timer waits for the earliest next attempt (at
 * most MAX_SLEEP, so that a wall clock set back is caught up); a kick
 * (a report queued, a reload) looks at once.
 *
 * Exactly once, nearly. A message is marked sent in the transaction that
 * follows the server's acceptance. In between, a crash (or a commit that
 * fails) leaves it "sending", and it is sent again at the next start: at
 * least once, never lost. The copy is recognisable: the message is
 * stored whole, so every attempt sends the same Message-ID. Within one
 * run, a message whose acceptance could not be recorded is remembered
 * (accepted_id) and recorded again, never sent again.
 *
 * The writer connection is touched only by jobs, on the writer thread;
 * once the daemon stops and no job runs any more, the outcome of the last
 * session is recorded directly, so that a stop during a session does not
 * widen the window above.
 */
#include "config.h"

#include "daemon/mailer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <uv.h>

#include "daemon/clock.h"
#include "daemon/daemon.h"
#include "daemon/jobs.h"
#include "daemon/log.h"
#include "store/store.h"

/* The longest wait between two looks at the outbox, in seconds. */
#define MAX_SLEEP 600
/* The longest error kept with a message. */
#define ERROR_MAX 480

enum phase { IDLE, PICKING, SENDING, RECORDING };

struct mailer {
	struct daemon *d;
	uv_timer_t timer;
	enum phase phase;
	bool again;        /* kicked while busy: look again when idle */
	bool stopping;
	bool timer_closed;
	bool said_off;     /* "no smtp_url" said once */
	bool all_due;      /* the next pick makes every unsent message due */
	int64_t sending;   /* the message of the session in progress */
	int64_t accepted_id; /* accepted, but not yet recorded as sent */
	atomic_bool abort; /* the thread pool's session should stop */
};

/* One attempt: what pick found, the settings of the session (copied on
 * the loop thread: a reload may replace d->cfg meanwhile), the outcome. */
struct attempt {
	struct mailer *m;
	uv_work_t work;
	/* pick */
	bool all_due;
	bool found;
	struct store_mail mail;
	bool has_next;
	int64_t next_at;
	char error[ERROR_MAX + 32];
	/* send */
	char *url, *from, *username, *password_file, *cafile;
	enum config_starttls starttls;
	long timeout;
	char server_said[200]; /* the server's last reply line */
	/* outcome */
	bool ok;
	bool aborted; /* by mailer_stop */
	int64_t next_attempt_at;
};

static void look(struct mailer *m);

int64_t mailer_backoff(unsigned retry_min, unsigned retry_max, int attempts)
{
	int64_t d = retry_min ? retry_min : 1;

	for (int i = 1; i < attempts && d < (int64_t)retry_max; i++)
		d *= 2;
	return d < (int64_t)retry_max ? d : (int64_t)retry_max;
}

int64_t mailer_sending(const struct mailer *m)
{
	return m ? m->sending : 0;
}

static void attempt_free(struct attempt *a)
{
	if (!a)
		return;
	store_mail_fini(&a->mail);
	free(a->url);
	free(a->from);
	free(a->username);
	free(a->password_file);
	free(a->cafile);
	free(a);
}

/* The end of a stopped mailer: nothing of it is in use any more. */
static void maybe_free(struct mailer *m)
{
	if (m->stopping && m->timer_closed && m->phase == IDLE) {
		free(m);
		curl_global_cleanup();
	}
}

static void on_timer(uv_timer_t *t)
{
	look(t->data);
}

static void arm(struct mailer *m, int64_t seconds)
{
	if (m->stopping)
		return;
	if (seconds < 0)
		seconds = 0;
	if (seconds > MAX_SLEEP)
		seconds = MAX_SLEEP;
	uv_timer_start(&m->timer, on_timer, (uint64_t)seconds * 1000u, 0);
}

/* ------------------------------------------------------------ record */

/* Writer thread (or the loop thread once no job can run): store the
 * outcome of a session. */
static json_t *record_job(struct daemon *d, struct store *st, void *arg)
{
	struct attempt *a = arg;
	int rc;

	(void)d;
	rc = store_begin(st);
	if (rc == 0)
		rc = a->ok ? store_outbox_sent(st, a->mail.id, clock_now())
			   : store_outbox_failed(st, a->mail.id, a->error, a->next_attempt_at);
	/* Already sent: nothing changed, nothing to undo (cannot happen with
	 * one mailer per database, which the daemon's lock ensures). */
	if (rc == -EALREADY)
		rc = 0;
	if (rc == 0)
		rc = store_commit(st);
	if (rc < 0) {
		char msg[300];
		snprintf(msg, sizeof(msg), "cannot record the outcome of report mail %lld: %s",
			 (long long)a->mail.id, store_errmsg(st));
		store_rollback(st);
		return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
	}
	return json_pack("{s:b}", "ok", 1);
}

static void recorded(struct mailer *m, struct attempt *a, json_t *reply)
{
	const bool ok = reply && json_is_true(json_object_get(reply, "ok"));

	m->phase = IDLE;
	if (ok && a->ok)
		m->accepted_id = 0;
	if (!ok) {
		/* The message stays "sending": due again at the next look. */
		const char *e = json_string_value(json_object_get(reply, "error"));
		log_event(LOG_ERR, "mail", "%s", e ? e : "cannot record the outcome of a report mail");
	}
	attempt_free(a);
	if (m->stopping) {
		maybe_free(m);
		return;
	}
	/* A failure to record waits: looking again at once would find the
	 * same message due (it is still "sending") and loop. */
	if (ok)
		look(m);
	else
		arm(m, m->d->cfg.report_retry_min);
}

static void record_done(void *owner, struct job *job, json_t *reply)
{
	struct attempt *a = owner;

	(void)job;
	recorded(a->m, a, reply);
}

static void record(struct mailer *m, struct attempt *a)
{
	struct job_owner owner = {.owner = a, .done = record_done};
	struct daemon *d = m->d;
	int rc;

	m->phase = RECORDING;
	rc = jobs_call(d->jobs, record_job, a, NULL, NULL, &owner, NULL);
	if (rc == 0)
		return;
	if (rc == -ESHUTDOWN && !jobs_busy(d->jobs)) {
		/* The daemon stops and its writer is idle for good. */
		json_t *reply = record_job(d, d->writer, a);
		recorded(m, a, reply);
		json_decref(reply);
		return;
	}
	if (m->stopping)
		log_notice("report mail %lld: outcome not recorded as the daemon stops; "
			   "it is due again at the next start", (long long)a->mail.id);
	else
		log_event(LOG_ERR, "mail", "cannot record the outcome of report mail %lld: %s",
			  (long long)a->mail.id, strerror(-rc));
	m->phase = IDLE;
	attempt_free(a);
	if (m->stopping)
		maybe_free(m);
	else
		arm(m, m->d->cfg.report_retry_min);
}

/* ------------------------------------------------------------ send */

struct upload {
	const char *p;
	size_t left;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
	struct upload *u = ud;
	size_t n = size * nitems;

	if (n > u->left)
		n = u->left;
	memcpy(buf, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

/* The server's replies (never what we send: AUTH carries the password).
 * The last line is kept, printable ASCII only, for the error. */
static int debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
	struct attempt *a = ud;
	size_t start = 0, end = size, k = 0;

	(void)h;
	if (type != CURLINFO_HEADER_IN)
		return 0;
	while (end > 0 && (data[end - 1] == '\r' || data[end - 1] == '\n'))
		end--;
	for (size_t i = 0; i < end; i++)
		if (data[i] == '\n')
			start = i + 1;
	for (size_t i = start; i < end && k + 1 < sizeof(a->server_said); i++) {
		unsigned char c = (unsigned char)data[i];
		a->server_said[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (k)
		a->server_said[k] = '\0';
	return 0;
}

static int progress_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct attempt *a = ud;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return atomic_load(&a->m->abort) ? 1 : 0;
}

/*
 * The first line of the password file into buf; 0, or -1 and a->error.
 * read(2), not stdio: no copy of the password is left in a FILE buffer.
 */
static int read_password(struct attempt *a, char *buf, size_t len)
{
	int fd = open(a->password_file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t n = 0;
	ssize_t r = 0;

	if (fd < 0) {
		snprintf(a->error, sizeof(a->error), "password_file %.200s: %s", a->password_file,
			 strerror(errno));
		return -1;
	}
	while (n + 1 < len && (r = read(fd, buf + n, len - 1 - n)) > 0)
		n += (size_t)r;
	const int e = errno;
	close(fd);
	buf[n] = '\0';
	if (r < 0) {
		snprintf(a->error, sizeof(a->error), "password_file %.200s: %s", a->password_file,
			 strerror(e));
		return -1;
	}
	if (n == 0) {
		snprintf(a->error, sizeof(a->error), "password_file %.200s is empty",
			 a->password_file);
		return -1;
	}
	size_t line = strcspn(buf, "\r\n");
	if (line == n && n + 1 == len) {
		snprintf(a->error, sizeof(a->error),
			 "password_file %.200s: the first line is too long", a->password_file);
		return -1;
	}
	buf[line] = '\0';
	return 0;
}

/* "a, b" into a list for MAIL_RCPT; NULL when empty or out of memory. */
static struct curl_slist *recipients(const char *list)
{
	struct curl_slist *l = NULL;
	char *copy = strdup(list), *save = NULL;

	if (!copy)
		return NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		t += strspn(t, " \t");
		size_t n = strlen(t);
		while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
			t[--n] = '\0';
		if (!n)
			continue;
		struct curl_slist *nl = curl_slist_append(l, t);
		if (!nl) {
			curl_slist_free_all(l);
			free(copy);
			return NULL;
		}
		l = nl;
	}
	free(copy);
	return l;
}

/* Thread pool: one SMTP session. Touches only *a (and m->abort). */
static void send_work(uv_work_t *w)
{
	struct attempt *a = w->data;
	char errbuf[CURL_ERROR_SIZE] = "";
	char password[1024] = "";
	struct upload up = {a->mail.message, a->mail.message_len};
	struct curl_slist *rcpt = NULL;
	CURL *c = NULL;
	CURLcode res;

	a->ok = false;
	if (a->password_file && read_password(a, password, sizeof(password)) < 0)
		goto out;
	rcpt = recipients(a->mail.recipients);
	c = curl_easy_init();
	if (!rcpt || !c) {
		snprintf(a->error, sizeof(a->error), "%s",
			 !rcpt ? "no recipient, or out of memory" : "cannot start libcurl");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, a->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	/* Signals are the loop's; libcurl must not touch them from a thread. */
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, a->from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)a->mail.message_len);
	/* smtps:// is TLS from the start whatever USE_SSL says; for smtp://
	 * it is STARTTLS, demanded, tried, or not. */
	curl_easy_setopt(c, CURLOPT_USE_SSL,
			 a->starttls == STARTTLS_REQUIRED	 ? (long)CURLUSESSL_ALL
			 : a->starttls == STARTTLS_OPPORTUNISTIC ? (long)CURLUSESSL_TRY
								 : (long)CURLUSESSL_NONE);
	if (a->cafile)
		curl_easy_setopt(c, CURLOPT_CAINFO, a->cafile);
	if (a->username) {
		curl_easy_setopt(c, CURLOPT_USERNAME, a->username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, password);
	}
	curl_easy_setopt(c, CURLOPT_TIMEOUT, a->timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, a->timeout);
	/* VERBOSE only feeds debug_cb, which keeps the server's replies. */
	curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(c, CURLOPT_DEBUGDATA, a);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, a);

	res = curl_easy_perform(c);
	if (res == CURLE_OK) {
		a->ok = true;
		goto out;
	}
	const char *what = curl_easy_strerror(res);
	a->aborted = res == CURLE_ABORTED_BY_CALLBACK && atomic_load(&a->m->abort);
	if (a->aborted)
		snprintf(a->error, sizeof(a->error), "interrupted: the daemon stopped");
	else if (errbuf[0] && !strcasestr(errbuf, what))
		snprintf(a->error, sizeof(a->error), "%s (%s)", errbuf, what);
	else if (errbuf[0])
		snprintf(a->error, sizeof(a->error), "%s", errbuf);
	else
		snprintf(a->error, sizeof(a->error), "%s", what);
	if (a->server_said[0] && res != CURLE_ABORTED_BY_CALLBACK) {
		size_t n = strlen(a->error);
		snprintf(a->error + n, sizeof(a->error) - n, "; the server said: %s",
			 a->server_said);
	}
	a->error[ERROR_MAX] = '\0';
out:
	/* The password leaves no copy behind in this thread's stack. */
	explicit_bzero(password, sizeof(password));
	curl_slist_free_all(rcpt);
	if (c)
		curl_easy_cleanup(c);
}

static void send_after(uv_work_t *w, int status)
{
	struct attempt *a = w->data;
	struct mailer *m = a->m;
	const int attempt = a->mail.attempts + 1;
	const int64_t now = clock_now();

	m->sending = 0;
	if (status < 0 && !a->ok)
		snprintf(a->error, sizeof(a->error), "not sent: %s", uv_strerror(status));
	if (a->ok) {
		m->accepted_id = a->mail.id;
		log_event(LOG_INFO, "mail", "report mail %lld sent (attempt %d)",
			  (long long)a->mail.id, attempt);
	} else if (a->aborted) {
		/* Interrupted by a stop: due again at once at the next start. */
		a->next_attempt_at = now;
		log_event(LOG_NOTICE, "mail",
			  "report mail %lld: attempt %d interrupted by the stop; due again at "
			  "the next start", (long long)a->mail.id, attempt);
	} else {
		const int64_t wait = mailer_backoff(m->d->cfg.report_retry_min,
						    m->d->cfg.report_retry_max, attempt);
		a->next_attempt_at = now + wait;
		log_event(LOG_WARNING, "mail",
			  "report mail %lld: attempt %d failed: %s; next attempt in %lld s",
			  (long long)a->mail.id, attempt, a->error, (long long)wait);
	}
	record(m, a);
}

/* ------------------------------------------------------------ pick */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Writer thread: the next message due, its attempt marked and committed. */
static json_t *pick_job(struct daemon *d, struct store *st, void *arg)
{
	struct attempt *a = arg;
	const int64_t now = clock_now();
	int rc;

	(void)d;
	rc = store_begin(st);
	if (rc == 0 && a->all_due)
		rc = store_outbox_due_now(st, now);
	if (rc == 0) {
		rc = store_outbox_next_due(st, now, &a->mail);
		if (rc == 0) {
			a->found = true;
			rc = store_outbox_attempt(st, a->mail.id, now);
		} else if (rc == -ENOENT) {
			rc = store_outbox_next_at(st, &a->next_at);
			a->has_next = rc == 0;
			if (rc == -ENOENT)
				rc = 0;
		}
	}
	if (rc == 0)
		rc = store_commit(st);
	if (rc < 0) {
		char msg[300];
		snprintf(msg, sizeof(msg), "cannot read the outbox: %s", store_errmsg(st));
		store_rollback(st);
		a->found = false;
		return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
	}
	return json_pack("{s:b}", "ok", 1);
}

static void pick_done(void *owner, struct job *job, json_t *reply)
{
	struct attempt *a = owner;
	struct mailer *m = a->m;
	const struct config *cfg = &m->d->cfg;
	const bool ok = reply && json_is_true(json_object_get(reply, "ok"));

	(void)job;
	m->phase = IDLE;
	if (m->stopping) {
		/* A message marked "sending" is due again at the next start. */
		attempt_free(a);
		maybe_free(m);
		return;
	}
	if (!ok) {
		const char *e = json_string_value(json_object_get(reply, "error"));
		log_event(LOG_ERR, "mail", "%s", e ? e : "cannot read the outbox");
		m->all_due = m->all_due || a->all_due;
		attempt_free(a);
		arm(m, cfg->report_retry_min);
		return;
	}
	if (!a->found) {
		/* Even with nothing queued, look again now and then: a
		 * message added without a kick waits MAX_SLEEP at most. */
		arm(m, a->has_next ? a->next_at - clock_now() : MAX_SLEEP);
		attempt_free(a);
		if (m->again)
			look(m);
		return;
	}
	if (a->mail.id == m->accepted_id) {
		/* Accepted already: only its recording failed. */
		a->ok = true;
		record(m, a);
		return;
	}
	if (!cfg->report_smtp_url) {
		/* Unset by a reload meanwhile: due again when it is back. */
		attempt_free(a);
		look(m);
		return;
	}
	a->url = dup_or_null(cfg->report_smtp_url);
	a->from = dup_or_null(cfg->report_from);
	a->username = dup_or_null(cfg->report_username);
	a->password_file = dup_or_null(cfg->report_password_file);
	a->cafile = dup_or_null(cfg->report_cafile);
	a->starttls = cfg->report_starttls;
	a->timeout = (long)cfg->report_timeout;
	a->work.data = a;
	int rc = -ENOMEM;
	if (a->url && a->from && (!cfg->report_username || a->username) &&
	    (!cfg->report_password_file || a->password_file) &&
	    (!cfg->report_cafile || a->cafile)) {
		m->phase = SENDING;
		m->sending = a->mail.id;
		rc = uv_queue_work(m->d->loop, &a->work, send_work, send_after);
		if (rc == 0)
			return;
		m->phase = IDLE;
		m->sending = 0;
	}
	snprintf(a->error, sizeof(a->error), "not sent: %s",
		 rc == -ENOMEM ? "out of memory" : uv_strerror(rc));
	a->ok = false;
	a->next_attempt_at = clock_now() + mailer_backoff(cfg->report_retry_min,
							  cfg->report_retry_max,
							  a->mail.attempts + 1);
	record(m, a);
}

/*
 * Queue a pick, or remember to when a step is under way. all_due waits
 * for that next pick too: a message being sent is recorded first, with
 * its backoff, and then made due with the others.
 */
static void look(struct mailer *m)
{
	struct job_owner owner = {.done = pick_done};
	struct attempt *a;
	int rc;

	if (m->stopping)
		return;
	if (m->phase != IDLE) {
		m->again = true;
		return;
	}
	m->again = false;
	uv_timer_stop(&m->timer);
	if (!m->d->cfg.report_smtp_url) {
		if (!m->said_off)
			log_notice("[report] smtp_url is not set: report mails stay in the outbox");
		m->said_off = true;
		return;
	}
	m->said_off = false;
	a = calloc(1, sizeof(*a));
	if (!a) {
		arm(m, m->d->cfg.report_retry_min);
		return;
	}
	a->m = m;
	a->all_due = m->all_due;
	m->all_due = false;
	owner.owner = a;
	m->phase = PICKING;
	rc = jobs_call(m->d->jobs, pick_job, a, NULL, NULL, &owner, NULL);
	if (rc < 0) {
		/* Not queued: no callback will come. */
		m->phase = IDLE;
		m->all_due = a->all_due;
		attempt_free(a);
		if (rc != -ESHUTDOWN)
			arm(m, m->d->cfg.report_retry_min);
	}
}

/* ------------------------------------------------------------ life */

int mailer_start(struct daemon *d, struct mailer **out)
{
	struct mailer *m;
	int rc;

	/* Before any session, on the loop thread: libcurl's global state. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	m = calloc(1, sizeof(*m));
	if (!m) {
		curl_global_cleanup();
		return -ENOMEM;
	}
	m->d = d;
	atomic_init(&m->abort, false);
	rc = uv_timer_init(d->loop, &m->timer);
	if (rc < 0) {
		free(m);
		curl_global_cleanup();
		return rc;
	}
	m->timer.data = m;
	*out = m;
	/* A restart may follow a fix (a server back, a password): what
	 * waited for its backoff is tried at once. */
	m->all_due = true;
	look(m);
	return 0;
}

void mailer_kick(struct mailer *m)
{
	if (m && !m->stopping)
		look(m);
}

void mailer_reconfigured(struct mailer *m)
{
	if (!m || m->stopping)
		return;
	m->all_due = true;
	look(m);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct mailer *m = h->data;

	m->timer_closed = true;
	maybe_free(m);
}

void mailer_stop(struct mailer *m)
{
	if (!m || m->stopping)
		return;
	m->stopping = true;
	atomic_store(&m->abort, true);
	uv_timer_stop(&m->timer);
	uv_close((uv_handle_t *)&m->timer, on_timer_closed);
}
