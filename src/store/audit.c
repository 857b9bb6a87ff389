/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The audit journal: who did what, when, in which role, on what. Each
 * entry carries a SHA-256 over its own fields and the previous entry's
 * hash, so that editing, deleting or reordering rows is detected offline
 * by store_audit_verify(), which needs only a read-only connection. Also
 * the actor of a connection, and the small JSON writer of entry details.
 */
#include "config.h"

#include "store/store_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define HASH_HEX 64 /* SHA-256 in lowercase hex */

/* prev_hash of the first entry. */
static const char genesis[HASH_HEX + 1] =
	"0000000000000000000000000000000000000000000000000000000000000000";

/*
 * The hashed form names its version, so that a later change of the
 * serialisation can live next to this one.
 */
#define CHAIN_LABEL "retentiond audit v1\n"

/* ------------------------------------------------------------ actor */

void store_set_actor(struct store *st, const struct store_actor *a, int64_t now)
{
	if (!st)
		return;
	if (!a) {
		memset(&st->actor, 0, sizeof(st->actor));
		return;
	}
	/* Fixed buffers: setting the actor cannot fail, so no entry is ever
	 * written in the name of the previous one. */
	snprintf(st->actor.user, sizeof(st->actor.user), "%s",
		 a->user ? a->user : "retentiond");
	snprintf(st->actor.role, sizeof(st->actor.role), "%s",
		 a->role ? a->role : "system");
	st->actor.uid = a->uid;
	st->actor.now = now;
	st->actor.set = true;
}

int64_t store_now(const struct store *st)
{
	return st->actor.set ? st->actor.now : (int64_t)time(NULL);
}

/* ------------------------------------------------------------ json */

static void json_put(struct store_json *j, const char *s, size_t n)
{
	if (j->err)
		return;
	if (n + 1 > j->cap - j->len) {
		size_t cap = j->cap ? j->cap * 2 : 128;
		char *p;

		while (cap < j->len + n + 1)
			cap *= 2;
		p = realloc(j->p, cap);
		if (!p) {
			j->err = -ENOMEM;
			return;
		}
		j->p = p;
		j->cap = cap;
	}
	memcpy(j->p + j->len, s, n);
	j->len += n;
	j->p[j->len] = '\0';
}

static void json_quoted(struct store_json *j, const char *s)
{
	const char *run = s;

	json_put(j, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		json_put(j, run, (size_t)(s - run));
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c == '\n')
			snprintf(esc, sizeof(esc), "\\n");
		else if (c == '\t')
			snprintf(esc, sizeof(esc), "\\t");
		else
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		json_put(j, esc, strlen(esc));
		run = s + 1;
	}
	json_put(j, run, (size_t)(s - run));
	json_put(j, "\"", 1);
}

static void json_key(struct store_json *j, const char *key)
{
	if (j->len > 1)
		json_put(j, ",", 1);
	json_quoted(j, key);
	json_put(j, ":", 1);
}

void store_json_begin(struct store_json *j)
{
	*j = (struct store_json){0};
	json_put(j, "{", 1);
}

void store_json_str(struct store_json *j, const char *key, const char *v)
{
	json_key(j, key);
	if (v)
		json_quoted(j, v);
	else
		json_put(j, "null", 4);
}

void store_json_int(struct store_json *j, const char *key, int64_t v)
{
	char buf[24];

	json_key(j, key);
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	json_put(j, buf, strlen(buf));
}

void store_json_date(struct store_json *j, const char *key, rd_date d)
{
	char buf[DATE_STRLEN];

	store_json_str(j, key, d == DATE_NONE ? NULL : date_format(d, buf));
}

int store_json_end(struct store_json *j)
{
	json_put(j, "}", 1);
	return j->err;
}

void store_json_free(struct store_json *j)
{
	free(j->p);
	*j = (struct store_json){0};
}

/* ------------------------------------------------------------ hash */

/* The hashed fields of one entry. */
struct row {
	int64_t id, at, uid;
	const char *user, *role, *action, *target, *details, *prev_hash;
	bool bad_type; /* an integer column holds something else */
};

/*
 * Each field is fed as a tag and its length before its bytes ("T5:alice",
 * "I4:1042", "N" for NULL), so no two different entries serialise to the
 * same bytes, whatever their text holds.
 */
static int feed(EVP_MD_CTX *md, char tag, const char *s, size_t n)
{
	char head[32];
	int len;

	if (tag == 'N')
		return EVP_DigestUpdate(md, "N", 1) == 1 ? 0 : -EIO;
	len = snprintf(head, sizeof(head), "%c%zu:", tag, n);
	if (EVP_DigestUpdate(md, head, (size_t)len) != 1 ||
	    EVP_DigestUpdate(md, s, n) != 1)
		return -EIO;
	return 0;
}

static int feed_text(EVP_MD_CTX *md, const char *s)
{
	return s ? feed(md, 'T', s, strlen(s)) : feed(md, 'N', NULL, 0);
}

static int feed_int(EVP_MD_CTX *md, int64_t v)
{
	char buf[24];
	int len = snprintf(buf, sizeof(buf), "%" PRId64, v);

	return feed(md, 'I', buf, (size_t)len);
}

/* out = hex SHA-256 of the entry; md is reused across calls. */
static int row_hash(EVP_MD_CTX *md, const struct row *e,
		    char out[HASH_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, CHAIN_LABEL, strlen(CHAIN_LABEL)) != 1)
		return -EIO;
	if (feed_int(md, e->id) < 0 || feed_int(md, e->at) < 0 ||
	    feed_text(md, e->user) < 0 || feed_int(md, e->uid) < 0 ||
	    feed_text(md, e->role) < 0 || feed_text(md, e->action) < 0 ||
	    feed_text(md, e->target) < 0 || feed_text(md, e->details) < 0 ||
	    feed_text(md, e->prev_hash) < 0)
		return -EIO;
	if (EVP_DigestFinal_ex(md, dig, &n) != 1 || n * 2 != HASH_HEX)
		return -EIO;
	for (unsigned int i = 0; i < n; i++) {
		out[2 * i] = hex[dig[i] >> 4];
		out[2 * i + 1] = hex[dig[i] & 0xf];
	}
	out[HASH_HEX] = '\0';
	return 0;
}

/* ------------------------------------------------------------ append */

/* The id and hash of the last entry; 0 and the genesis hash when none. */
static int chain_head(struct store *st, int64_t *id, char prev[HASH_HEX + 1])
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	r = store_stmt(st, STMT_AUDIT_LAST,
		       "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
		       &s);
	if (r < 0)
		return r;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(s, 1);

		*id = sqlite3_column_int64(s, 0);
		/* A damaged hash is chained as it is: verify reports it. */
		snprintf(prev, HASH_HEX + 1, "%s", h ? h : "");
	} else if (rc == SQLITE_DONE) {
		*id = 0;
		memcpy(prev, genesis, sizeof(genesis));
	} else {
		r = store_fail(st, rc);
	}
	store_stmt_done(s);
	return r;
}

int store_audit_append(struct store *st, const char *action,
		       const char *target, const char *details)
{
	char prev[HASH_HEX + 1], hash[HASH_HEX + 1];
	sqlite3_stmt *s = NULL;
	EVP_MD_CTX *md = NULL;
	struct row e;
	int64_t last = 0;
	int r;

	if (!st || !action || !*action)
		return -EINVAL;
	r = chain_head(st, &last, prev);
	if (r < 0)
		return r;
	e = (struct row){
		.id = last + 1,
		.at = store_now(st),
		.user = st->actor.set ? st->actor.user : "retentiond",
		.uid = st->actor.set ? st->actor.uid : (int64_t)geteuid(),
		.role = st->actor.set ? st->actor.role : "system",
		.action = action,
		.target = target,
		.details = details,
		.prev_hash = prev,
	};
	md = EVP_MD_CTX_new();
	if (!md)
		return -ENOMEM;
	r = row_hash(md, &e, hash);
	EVP_MD_CTX_free(md);
	if (r < 0)
		return store_error(st, r, "cannot compute the audit hash");

	/* The id is explicit: it is part of what the hash covers. */
	r = store_stmt(st, STMT_AUDIT_ADD,
		       "INSERT INTO audit(id, at, user, uid, role, action,"
		       "  target, details, prev_hash, hash)"
		       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
		       &s);
	if (r < 0)
		return r;
	return store_step_once(st, s,
			       sqlite3_bind_int64(s, 1, e.id) |
			       sqlite3_bind_int64(s, 2, e.at) |
			       store_bind_text(s, 3, e.user) |
			       sqlite3_bind_int64(s, 4, e.uid) |
			       store_bind_text(s, 5, e.role) |
			       store_bind_text(s, 6, e.action) |
			       store_bind_text(s, 7, e.target) |
			       store_bind_text(s, 8, e.details) |
			       store_bind_text(s, 9, e.prev_hash) |
			       store_bind_text(s, 10, hash));
}

/* ------------------------------------------------------------ read */

#define AUDIT_COLUMNS                                                       \
	"SELECT id, at, user, uid, role, action, target, details, prev_hash," \
	"  hash FROM audit"

static int64_t int_col(sqlite3_stmt *s, int i, struct row *e)
{
	if (sqlite3_column_type(s, i) != SQLITE_INTEGER)
		e->bad_type = true;
	return sqlite3_column_int64(s, i);
}

static void read_row(sqlite3_stmt *s, struct row *e, const char **hash)
{
	*e = (struct row){0};
	e->id = int_col(s, 0, e);
	e->at = int_col(s, 1, e);
	e->user = (const char *)sqlite3_column_text(s, 2);
	e->uid = int_col(s, 3, e);
	e->role = (const char *)sqlite3_column_text(s, 4);
	e->action = (const char *)sqlite3_column_text(s, 5);
	e->target = (const char *)sqlite3_column_text(s, 6);
	e->details = (const char *)sqlite3_column_text(s, 7);
	e->prev_hash = (const char *)sqlite3_column_text(s, 8);
	*hash = (const char *)sqlite3_column_text(s, 9);
}

int store_audit_each(struct store *st, int64_t since, size_t limit,
		     store_audit_fn fn, void *ctx)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if (!st || !fn || since < 0)
		return -EINVAL;
	if (since)
		r = store_stmt(st, STMT_AUDIT_SINCE,
			       AUDIT_COLUMNS " WHERE at >= ?1 ORDER BY id"
					     " LIMIT ?2",
			       &s);
	else
		r = store_stmt(st, STMT_AUDIT_ALL,
			       AUDIT_COLUMNS " WHERE ?1 = 0 ORDER BY id LIMIT ?2",
			       &s);
	if (r < 0)
		return r;
	if ((sqlite3_bind_int64(s, 1, since) |
	     store_bind_limit(s, 2, limit)) !=
	    SQLITE_OK) {
		r = store_fail_bind(st);
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_audit_entry ae;
		const char *hash;
		struct row e;

		read_row(s, &e, &hash);
		ae = (struct store_audit_entry){
			.id = e.id,
			.at = e.at,
			.user = e.user,
			.uid = e.uid,
			.role = e.role,
			.action = e.action,
			.target = e.target,
			.details = e.details,
			.hash = hash,
		};
		r = fn(ctx, &ae);
		if (r != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, rc);
out:
	store_stmt_done(s);
	return r;
}

/* ------------------------------------------------------------ verify */

static bool same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

int store_audit_verify(struct store *st, struct store_audit_check *out)
{
	struct store_audit_check c = {0};
	char expect[HASH_HEX + 1], got[HASH_HEX + 1];
	sqlite3_stmt *s = NULL;
	EVP_MD_CTX *md = NULL;
	int64_t prev_id = 0;
	int r, rc;

	if (!st || !out)
		return -EINVAL;
	md = EVP_MD_CTX_new();
	if (!md)
		return -ENOMEM;
	/* One statement reads one snapshot, even while a writer appends. */
	r = store_stmt(st, STMT_AUDIT_VERIFY, AUDIT_COLUMNS " ORDER BY id",
		       &s);
	if (r < 0)
		goto out;
	memcpy(expect, genesis, sizeof(genesis));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *hash, *why = NULL;
		struct row e;

		read_row(s, &e, &hash);
		c.entries++;
		if (c.first_bad == 0) {
			r = row_hash(md, &e, got);
			if (r < 0) {
				r = store_error(st, r, "cannot compute the "
						       "audit hash");
				goto out;
			}
			if (e.bad_type || !same(got, hash))
				why = "its contents do not match its hash";
			else if (e.id != prev_id + 1 &&
				 !same(e.prev_hash, expect))
				why = "the entry before it was removed";
			else if (!same(e.prev_hash, expect))
				why = "it does not follow the entry before it";
			if (why) {
				c.first_bad = e.id;
				snprintf(c.reason, sizeof(c.reason),
					 "entry %" PRId64 ": %s", e.id, why);
			}
		}
		/* Chain on from what is stored, to count the rest. */
		snprintf(expect, sizeof(expect), "%s", hash ? hash : "");
		prev_id = e.id;
	}
	if (rc != SQLITE_DONE) {
		r = store_fail(st, rc);
		goto out;
	}
	*out = c;
out:
	store_stmt_done(s);
	EVP_MD_CTX_free(md);
	return r;
}
