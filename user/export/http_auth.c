// SPDX-License-Identifier: GPL-2.0
/*
 * Basic auth off the server thread (http_auth.h). The verifier thread only
 * runs crypt_r() on what it is handed; the caches, the queue, and which
 * request is checked next are the server thread's. Which is next: a request
 * from an address that has not failed goes first (oldest first), so wrong
 * passwords from elsewhere never hold back a right one. After a failed
 * check that took t, its address waits 3t (doubling with each failure in a
 * row, up to 48t) and all addresses that have failed wait 3t: failures take
 * at most a quarter of one core, and are still answered, late, with 401.
 */
#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "http_auth.h"
#include "http_request.h"

#define AUTH_PEERS 256 /* addresses whose passwords failed */
#define AUTH_BAD 64 /* wrong user:password digests remembered */

/* What the server thread shares with the verifier thread. */
struct verifier {
	pthread_mutex_t m;
	pthread_cond_t cv;
	int refs;
	bool stop, busy, ended, ok;
	int fd; /* eventfd: a check has ended */
	/* Written by the server thread only while !busy. */
	char pass[HTTP_AUTH_MAX];
	char setting[WEB_HASH_MAX]; /* the user's hash, or the dummy */
	bool known;
	struct crypt_data cd;
};

struct auth_job {
	bool queued;
	int user; /* nusers: unknown */
	struct in6_addr peer;
	long long born;
	unsigned char d[32];
	char pass[HTTP_AUTH_MAX];
};

struct auth_peer {
	struct in6_addr addr;
	int failures; /* in a row; 0: a free entry */
	long long not_before, seen;
};

struct http_auth {
	const struct web_config *c;
	/* An unknown user is checked against this setting, at the dearest
	 * user's cost, so it takes as long as the slowest known one. */
	char dummy[WEB_HASH_MAX];
	bool known[WEB_MAX_USERS];
	unsigned char good[WEB_MAX_USERS][32];
	unsigned char bad[AUTH_BAD][32];
	int nbad, bad_next;
	struct auth_peer peers[AUTH_PEERS];
	struct auth_job *jobs;
	int max_tokens;
	struct {
		bool on, cancelled;
		int token, user;
		struct in6_addr peer;
		long long start;
		unsigned char d[32];
	} cur;
	long long gap_until; /* no check for an address that failed before */
	struct verifier *v;
	bool started;
};

static void verifier_put(struct verifier *v)
{
	bool last;

	pthread_mutex_lock(&v->m);
	last = !--v->refs;
	pthread_mutex_unlock(&v->m);
	if (!last)
		return;
	pthread_mutex_destroy(&v->m);
	pthread_cond_destroy(&v->cv);
	close(v->fd);
	OPENSSL_cleanse(v, sizeof(*v));
	free(v);
}

/* Constant time over the 60 characters of a bcrypt hash (OpenSSL's, as
 * remembered() compares). */
static bool same_hash(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n == strlen(b) && !CRYPTO_memcmp(a, b, n);
}

static void *verify(void *arg)
{
	struct verifier *v = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&v->m);
	for (;;) {
		const char *h;
		bool ok;

		while (!v->busy && !v->stop)
			pthread_cond_wait(&v->cv, &v->m);
		if (v->stop)
			break;
		pthread_mutex_unlock(&v->m);
		h = crypt_r(v->pass, v->setting, &v->cd);
		ok = v->known && h && *h != '*' && same_hash(h, v->setting);
		OPENSSL_cleanse(v->pass, sizeof(v->pass));
		pthread_mutex_lock(&v->m);
		v->ok = ok;
		v->busy = false;
		v->ended = true;
		(void)!write(v->fd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&v->m);
	verifier_put(v);
	return NULL;
}

struct http_auth *http_auth_new(const struct web_config *c, int max_tokens)
{
	struct http_auth *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->c = c;
	a->max_tokens = max_tokens;
	a->jobs = calloc(max_tokens, sizeof(*a->jobs));
	a->v = calloc(1, sizeof(*a->v));
	if (!a->jobs || !a->v) {
		free(a->jobs);
		free(a->v);
		free(a);
		return NULL;
	}
	/* Any salt will do: the time is what matters, never the result. */
	snprintf(a->dummy, sizeof(a->dummy), "$2b$%02d$Th3shTagp2LV1e3mwWedJO",
		 c->max_cost ?: 10);
	pthread_mutex_init(&a->v->m, NULL);
	pthread_cond_init(&a->v->cv, NULL);
	a->v->refs = 1;
	a->v->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (a->v->fd < 0) {
		http_auth_free(a);
		return NULL;
	}
	return a;
}

int http_auth_start(struct http_auth *a)
{
	pthread_t t;
	int err;

	a->v->refs++; /* the thread's; no thread yet to race with */
	err = pthread_create(&t, NULL, verify, a->v);
	if (err) {
		a->v->refs--;
		return -err;
	}
	pthread_setname_np(t, "pmutrace-auth");
	pthread_detach(t);
	a->started = true;
	return 0;
}

void http_auth_free(struct http_auth *a)
{
	if (!a)
		return;
	if (a->v) {
		pthread_mutex_lock(&a->v->m);
		a->v->stop = true;
		pthread_cond_signal(&a->v->cv);
		pthread_mutex_unlock(&a->v->m);
		verifier_put(a->v);
	}
	if (a->jobs)
		OPENSSL_cleanse(a->jobs, a->max_tokens * sizeof(*a->jobs));
	free(a->jobs);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

int http_auth_fd(const struct http_auth *a)
{
	return a->v->fd;
}

static void digest(const char *user, const char *pass, unsigned char out[32])
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned int len = 32;

	memset(out, 0, 32);
	if (m && EVP_DigestInit_ex(m, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(m, user, strlen(user) + 1) &&
	    EVP_DigestUpdate(m, pass, strlen(pass)))
		EVP_DigestFinal_ex(m, out, &len);
	EVP_MD_CTX_free(m);
}

/* OK, DENIED, or QUEUED when only a check can tell. */
static enum http_auth_result remembered(const struct http_auth *a, int user,
					const unsigned char d[32])
{
	if (user < a->c->nusers && a->known[user] &&
	    !CRYPTO_memcmp(d, a->good[user], 32))
		return HTTP_AUTH_OK;
	for (int i = 0; i < a->nbad; i++)
		if (!CRYPTO_memcmp(d, a->bad[i], 32))
			return HTTP_AUTH_DENIED;
	return HTTP_AUTH_QUEUED;
}

static struct auth_peer *peer_find(struct http_auth *a,
				   const struct in6_addr *addr)
{
	for (int i = 0; i < AUTH_PEERS; i++)
		if (a->peers[i].failures &&
		    !memcmp(&a->peers[i].addr, addr, sizeof(*addr)))
			return &a->peers[i];
	return NULL;
}

/* The entry of addr, made from a free or the stalest one. */
static struct auth_peer *peer_get(struct http_auth *a,
				  const struct in6_addr *addr)
{
	struct auth_peer *p = peer_find(a, addr), *old = &a->peers[0];

	if (p)
		return p;
	for (int i = 0; i < AUTH_PEERS; i++) {
		p = &a->peers[i];
		if (!p->failures || p->seen < old->seen)
			old = p;
		if (!p->failures)
			break;
	}
	memset(old, 0, sizeof(*old));
	old->addr = *addr;
	return old;
}

/* The next job due: from addresses without failures first, else those
 * whose pause is over; the oldest among equals. -1 for none, with *wait
 * the ms until one is due (-1: none waits on a pause). */
static int next_job(struct http_auth *a, long long now, long long *wait)
{
	int best = -1, best_fail = 0;

	*wait = -1;
	for (int i = 0; i < a->max_tokens; i++) {
		const struct auth_job *j = &a->jobs[i];
		const struct auth_peer *p;
		long long due;
		int fail;

		if (!j->queued)
			continue;
		p = peer_find(a, &j->peer);
		fail = p ? p->failures : 0;
		due = p ? (p->not_before > a->gap_until ? p->not_before :
							  a->gap_until) :
			  now;
		if (due > now) {
			if (*wait < 0 || due - now < *wait)
				*wait = due - now;
			continue;
		}
		if (best < 0 || fail < best_fail ||
		    (fail == best_fail && j->born < a->jobs[best].born)) {
			best = i;
			best_fail = fail;
		}
	}
	return best;
}

static void start_next(struct http_auth *a, long long now, long long *wait)
{
	struct verifier *v = a->v;
	struct auth_job *j;
	int i;

	*wait = -1;
	if (a->cur.on || !a->started)
		return;
	i = next_job(a, now, wait);
	if (i < 0)
		return;
	j = &a->jobs[i];
	memcpy(v->pass, j->pass, sizeof(v->pass));
	v->known = j->user < a->c->nusers;
	strcpy(v->setting, v->known ? a->c->users[j->user].hash : a->dummy);
	a->cur.on = true;
	a->cur.cancelled = false;
	a->cur.token = i;
	a->cur.user = j->user;
	a->cur.peer = j->peer;
	a->cur.start = now;
	memcpy(a->cur.d, j->d, 32);
	OPENSSL_cleanse(j, sizeof(*j));
	pthread_mutex_lock(&v->m);
	v->busy = true;
	pthread_cond_signal(&v->cv);
	pthread_mutex_unlock(&v->m);
}

enum http_auth_result http_auth_begin(struct http_auth *a, const char *auth,
				      const struct in6_addr *peer, int token,
				      long long now)
{
	char user[WEB_NAME_MAX];
	struct auth_job *j;
	enum http_auth_result r;
	long long wait;
	int i;

	if (!a || !a->c->nusers)
		return HTTP_AUTH_OK;
	if (token < 0 || token >= a->max_tokens)
		return HTTP_AUTH_DENIED;
	j = &a->jobs[token];
	if (!auth || http_basic_credentials(auth, user, sizeof(user), j->pass,
					    sizeof(j->pass))) {
		OPENSSL_cleanse(j->pass, sizeof(j->pass));
		return HTTP_AUTH_DENIED;
	}
	for (i = 0; i < a->c->nusers && strcmp(a->c->users[i].name, user); i++)
		;
	digest(user, j->pass, j->d);
	r = remembered(a, i, j->d);
	if (r != HTTP_AUTH_QUEUED) {
		OPENSSL_cleanse(j, sizeof(*j));
		return r;
	}
	j->queued = true;
	j->user = i;
	j->peer = *peer;
	j->born = now;
	start_next(a, now, &wait);
	return HTTP_AUTH_QUEUED;
}

void http_auth_cancel(struct http_auth *a, int token)
{
	if (!a || token < 0 || token >= a->max_tokens)
		return;
	OPENSSL_cleanse(&a->jobs[token], sizeof(a->jobs[token]));
	if (a->cur.on && a->cur.token == token)
		a->cur.cancelled = true; /* its result still counts */
}

/* What the check that ended says, for its address and the caches. */
static void learn(struct http_auth *a, bool ok, long long now)
{
	struct auth_peer *p;
	long long t = now - a->cur.start;
	int shift;

	if (ok) {
		a->known[a->cur.user] = true;
		memcpy(a->good[a->cur.user], a->cur.d, 32);
		p = peer_find(a, &a->cur.peer);
		if (p)
			p->failures = 0;
		return;
	}
	memcpy(a->bad[a->bad_next], a->cur.d, 32);
	a->bad_next = (a->bad_next + 1) % AUTH_BAD;
	if (a->nbad < AUTH_BAD)
		a->nbad++;
	p = peer_get(a, &a->cur.peer);
	shift = p->failures < 4 ? p->failures : 4;
	p->failures++;
	p->seen = now;
	p->not_before = now + (3 * t << shift);
	a->gap_until = now + 3 * t;
}

long long http_auth_run(struct http_auth *a, long long now,
			void (*done)(void *ctx, int token, bool ok), void *ctx)
{
	struct verifier *v = a->v;
	bool ended, ok;
	long long wait;
	uint64_t n;

	(void)!read(v->fd, &n, sizeof(n));
	pthread_mutex_lock(&v->m);
	ended = v->ended;
	ok = v->ok;
	v->ended = false;
	pthread_mutex_unlock(&v->m);
	if (ended && a->cur.on) {
		a->cur.on = false;
		learn(a, ok, now);
		if (!a->cur.cancelled)
			done(ctx, a->cur.token, ok);
		/* The same credentials waiting: decided by this check. */
		for (int i = 0; i < a->max_tokens; i++) {
			struct auth_job *j = &a->jobs[i];
			enum http_auth_result r;

			if (!j->queued)
				continue;
			r = remembered(a, j->user, j->d);
			if (r == HTTP_AUTH_QUEUED)
				continue;
			OPENSSL_cleanse(j, sizeof(*j));
			done(ctx, i, r == HTTP_AUTH_OK);
		}
	}
	start_next(a, now, &wait);
	return wait;
}
