// SPDX-License-Identifier: GPL-2.0
/*
 * The metrics server thread (docs/prometheus.md, "The HTTP server"). One
 * poll() loop over non-blocking connections, each with a deadline and a
 * state: TLS handshake, request head, waiting for a fresh body, answer
 * (http_conn.c steps a connection through them). Here: admitting and
 * evicting connections, deadlines, and the server's life.
 * The measurement loop is never waited for: it is asked for a fresh body
 * through an eventfd and hands one over with http_server_publish().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <openssl/ssl.h>
#include "http_conn.h"
#include "http_setup.h"

/* Before the end of its request, a connection is judged stale (slowloris,
 * or idle) at this age: the scrape goal is 1 s. */
#define HTTP_STALE_MS 1000
/* A connection this new that has sent nothing yet may be a client between
 * its connect() and its first write: newcomers do not displace it. */
#define HTTP_NEW_MS 50

static bool same_peer(const struct conn *c, const struct in6_addr *peer)
{
	return c->state != C_FREE && !memcmp(&c->peer, peer, sizeof(*peer));
}

static bool heard(const struct conn *c)
{
	return c->heard || (c->ssl && BIO_number_read(SSL_get_rbio(c->ssl)));
}

/* Input waits unread: a request that arrived after its connection. */
static bool has_input(const struct conn *c)
{
	char b;

	return recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/*
 * Which connection goes first to make room: lower is sooner, the oldest
 * first among equals. Before the end of its request: one older than
 * HTTP_STALE_MS (slowloris, or idle), then one that has sent nothing for
 * HTTP_NEW_MS, then one that has sent part of a request, then one that is
 * new and silent, then a TLS client whose first flight the server has
 * answered. A request past its head (a password check, a scrape waiting
 * or being written) goes last.
 */
static int evict_rank(const struct conn *c, long long now)
{
	if (c->state != C_HANDSHAKE && c->state != C_HEAD)
		return 5;
	if (now - c->born >= HTTP_STALE_MS)
		return 0;
	if (!heard(c))
		return now - c->born >= HTTP_NEW_MS ? 1 : 3;
	return c->ssl && BIO_number_written(SSL_get_wbio(c->ssl)) ? 4 : 2;
}

/* Makes room for one more connection, from peer's (NULL: anyone's) of
 * rank max_rank at most. A connection whose request is there but unread
 * is read first, not evicted. Returns whether one was closed. */
static bool evict(struct http_server *s, const struct in6_addr *peer,
		  int max_rank)
{
	long long now = now_ms();

	for (;;) {
		struct conn *old = NULL;
		int old_rank = 0;

		for (int i = 0; i < s->lim.max_conns; i++) {
			struct conn *c = &s->conns[i];
			int rank;

			if (c->state == C_FREE || (peer && !same_peer(c, peer)))
				continue;
			rank = evict_rank(c, now);
			if (rank <= max_rank &&
			    (!old || rank < old_rank ||
			     (rank == old_rank && c->born < old->born))) {
				old = c;
				old_rank = rank;
			}
		}
		if (!old)
			return false;
		if (heard(old) || !has_input(old)) {
			http_conn_close(s, old);
			return true;
		}
		old->heard = true; /* once: it now ranks among the heard */
		http_conn_step(s, old);
		if (old->state == C_FREE) /* answered at once */
			return true;
	}
}

static void peer_of(const struct sockaddr_storage *sa, struct in6_addr *peer)
{
	memset(peer, 0, sizeof(*peer));
	if (sa->ss_family == AF_INET6) {
		*peer = ((const struct sockaddr_in6 *)sa)->sin6_addr;
	} else if (sa->ss_family == AF_INET) {
		peer->s6_addr[10] = peer->s6_addr[11] = 0xff;
		memcpy(&peer->s6_addr[12],
		       &((const struct sockaddr_in *)sa)->sin_addr, 4);
	}
}

static struct conn *add_conn(struct http_server *s, int fd,
			     const struct in6_addr *peer)
{
	struct conn *c = NULL;
	int same = 0;

	for (int i = 0; i < s->lim.max_conns; i++)
		same += same_peer(&s->conns[i], peer);
	if (same >= s->lim.max_per_peer)
		evict(s, peer, 5);
	if (s->nconns >= s->lim.max_conns)
		evict(s, NULL, 5);
	for (int i = 0; i < s->lim.max_conns && !c; i++)
		if (s->conns[i].state == C_FREE)
			c = &s->conns[i];
	/* Nothing is allocated until the client sends something: a silent
	 * connection costs a descriptor and a slot. */
	c->fd = fd;
	c->peer = *peer;
	c->born = now_ms();
	c->deadline = c->born + s->lim.head_ms;
	c->state = s->tls ? C_HANDSHAKE : C_HEAD;
	c->events = POLLIN;
	if (++s->nconns > s->peak)
		s->peak = s->nconns;
	return c;
}

/* Out of descriptors (err): one from a connection still before its
 * request, else the reserve, is given up for what may be a scrape. */
static bool free_descriptor(struct http_server *s, int err)
{
	if ((err == EMFILE || err == ENFILE) && evict(s, NULL, 4))
		return true;
	if (err == EMFILE && s->reserve >= 0) {
		close(s->reserve);
		s->reserve = -1;
		return true;
	}
	return false;
}

static void accept_some(struct http_server *s)
{
	bool accepted = false, freed = false;

	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);
		struct in6_addr peer;
		struct conn *c;
		int fd = accept4(s->fd, (struct sockaddr *)&sa, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		int err = errno;

		if (fd < 0) {
			if (err == EINTR || err == ECONNABORTED)
				continue;
			/* accept() takes a descriptor before it looks at the
			 * queue: EMFILE says a connection waits only on the
			 * first try after poll(). */
			if (!accepted && !freed && free_descriptor(s, err)) {
				freed = true;
				continue;
			}
			/* Out of memory, or nothing to give up: the
			 * connection stays queued, and polling for it again
			 * would spin. */
			if (err != EAGAIN && err != EWOULDBLOCK && !accepted)
				s->backoff_until = now_ms() + s->lim.backoff_ms;
			return;
		}
		accepted = true;
		peer_of(&sa, &peer);
		c = add_conn(s, fd, &peer);
		/* Read what came with it: a request unread looks silent. */
		if (has_input(c)) {
			c->heard = true;
			http_conn_step(s, c);
		}
	}
}

/* Deadlines passed, and waiting scrapes whose fresh body has come. */
static long long timers(struct http_server *s, struct snapshot *cur, __u64 gen)
{
	long long now = now_ms(), next = now + 1000;

	for (int i = 0; i < s->lim.max_conns; i++) {
		struct conn *c = &s->conns[i];

		if (c->state == C_FRESH &&
		    (gen >= c->want_gen || now >= c->deadline)) {
			http_conn_serve(s, c, cur); /* stale at the deadline */
			http_conn_step(s, c);
		} else if (c->state == C_AUTH && now >= c->deadline) {
			http_conn_authed(s, c, false, true);
		} else if (c->state != C_FREE && now >= c->deadline) {
			http_conn_close(s, c);
		}
		if (c->state != C_FREE && c->deadline < next)
			next = c->deadline;
	}
	if (s->backoff_until > now && s->backoff_until < next)
		next = s->backoff_until;
	return next - now;
}

static void auth_done(void *ctx, int token, bool ok)
{
	struct http_server *s = ctx;
	struct conn *c = &s->conns[token];

	if (c->state == C_AUTH)
		http_conn_authed(s, c, ok, false);
}

static void *serve(void *arg)
{
	struct http_server *s = arg;
	struct pollfd *p = s->pfds;
	int *idx = s->pidx;

	for (;;) {
		struct snapshot *cur;
		long long wait, auth_wait;
		__u64 gen, v;
		int n = 0, np;
		bool stop;

		pthread_mutex_lock(&s->lock);
		stop = s->stop;
		gen = s->gen;
		cur = s->current;
		if (cur)
			__atomic_add_fetch(&cur->refs, 1, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&s->lock);
		if (stop) {
			http_snap_put(cur);
			break;
		}
		if (s->reserve < 0) /* given up for a connection: again */
			s->reserve = fcntl(s->fd, F_DUPFD_CLOEXEC, 0);
		wait = timers(s, cur, gen);
		http_snap_put(cur);
		if (s->auth) {
			auth_wait =
				http_auth_run(s->auth, now_ms(), auth_done, s);
			if (auth_wait >= 0 && auth_wait < wait)
				wait = auth_wait;
		}
		p[n++] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = s->auth ?
							http_auth_fd(s->auth) :
							-1,
					  .events = POLLIN };
		if (now_ms() >= s->backoff_until)
			p[n++] = (struct pollfd){ .fd = s->fd,
						  .events = POLLIN };
		np = n;
		for (int i = 0; i < s->lim.max_conns; i++) {
			struct conn *c = &s->conns[i];

			if (c->state == C_FREE || !c->events)
				continue;
			idx[n - np] = i;
			p[n++] = (struct pollfd){ .fd = c->fd,
						  .events = c->events };
		}
		if (poll(p, n, wait > 0 ? (int)wait : 0) <= 0)
			continue;
		if (p[0].revents)
			(void)!read(s->wake_fd, &v, sizeof(v));
		for (int i = np; i < n; i++) {
			struct conn *c = &s->conns[idx[i - np]];

			if (p[i].revents && c->state != C_FREE &&
			    c->fd == p[i].fd)
				http_conn_step(s, c);
		}
		if (np == 3 && p[2].revents)
			accept_some(s);
	}
	return NULL;
}

struct http_server *http_server_open(const char *addr_port,
				     const struct web_config *wc,
				     const struct http_limits *limits,
				     char *err, size_t errlen)
{
	static const struct http_limits defaults = HTTP_LIMITS_DEFAULT;
	struct sockaddr_storage addr;
	struct http_server *s;
	socklen_t len;
	int fd;

	if (prom_parse_listen(addr_port, &addr, &len)) {
		snprintf(
			err, errlen,
			"invalid address '%s': give ADDR:PORT with a numeric address, e.g. 127.0.0.1:9435, :9435 (every interface) or [::1]:9435",
			addr_port);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->fd = s->wake_fd = s->demand_fd = s->reserve = -1;
	s->lim = limits ? *limits : defaults;
	pthread_mutex_init(&s->lock, NULL);
	if (wc)
		s->wc = *wc;
	s->conns = calloc(s->lim.max_conns, sizeof(*s->conns));
	s->pfds = calloc(s->lim.max_conns + 3, sizeof(*s->pfds));
	s->pidx = calloc(s->lim.max_conns, sizeof(*s->pidx));
	s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->demand_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (wc && wc->nusers)
		s->auth = http_auth_new(&s->wc, s->lim.max_conns);
	if (!s->conns || !s->pfds || !s->pidx || s->wake_fd < 0 ||
	    s->demand_fd < 0 || (wc && wc->nusers && !s->auth)) {
		snprintf(err, errlen, "cannot set up the metrics server: %s",
			 strerror(errno ?: ENOMEM));
		goto fail;
	}
	if (wc && wc->tls && !(s->tls = http_tls_context(wc, err, errlen)))
		goto fail;
	fd = http_listen(&addr, len, &s->port);
	if (fd < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", addr_port,
			 strerror(-fd));
		goto fail;
	}
	s->fd = fd;
	s->reserve = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	return s;
fail:
	http_server_stop(s);
	return NULL;
}

int http_server_start(struct http_server *s)
{
	sigset_t all, old;
	int err;

	/* Signals are the measurement loop's; the thread starts with all of
	 * them blocked (SIGPIPE from a TLS write to a closed peer too). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = s->auth ? -http_auth_start(s->auth) : 0;
	if (!err)
		err = pthread_create(&s->thread, NULL, serve, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	s->started = !err;
	if (!err) /* for top -H and /proc: the name of the thread */
		pthread_setname_np(s->thread, "pmutrace-http");
	return -err;
}

unsigned short http_server_port(const struct http_server *s)
{
	return s->port;
}

bool http_server_tls(const struct http_server *s)
{
	return s->tls != NULL;
}

__u64 http_server_scrapes(const struct http_server *s)
{
	return __atomic_load_n(&s->scrapes, __ATOMIC_RELAXED);
}

int http_server_demand_fd(const struct http_server *s)
{
	return s->demand_fd;
}

bool http_server_wanted(struct http_server *s)
{
	__u64 v;

	return read(s->demand_fd, &v, sizeof(v)) == sizeof(v) && v;
}

void http_server_publish(struct http_server *s, char *body, size_t len)
{
	struct snapshot *snap = malloc(sizeof(*snap)), *old;
	__u64 one = 1;

	if (!snap) {
		free(body);
		return; /* the waiting scrapes get the last body */
	}
	*snap = (struct snapshot){
		.refs = 1, .at = now_ms(), .len = len, .body = body
	};
	pthread_mutex_lock(&s->lock);
	old = s->current;
	s->current = snap;
	s->gen++;
	pthread_mutex_unlock(&s->lock);
	http_snap_put(old);
	(void)!write(s->wake_fd, &one, sizeof(one));
}

int http_server_peak_conns(const struct http_server *s)
{
	return s->peak;
}

void http_server_stop(struct http_server *s)
{
	__u64 one = 1;

	if (!s)
		return;
	if (s->started) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_mutex_unlock(&s->lock);
		(void)!write(s->wake_fd, &one, sizeof(one));
		pthread_join(s->thread, NULL);
	}
	for (int i = 0; s->conns && i < s->lim.max_conns; i++)
		if (s->conns[i].state != C_FREE)
			http_conn_close(s, &s->conns[i]);
	http_snap_put(s->current);
	/* A password check in flight is not waited for: SIGTERM ends
	 * pmutrace at once whatever the cost of the hash. */
	http_auth_free(s->auth);
	SSL_CTX_free(s->tls);
	if (s->fd >= 0)
		close(s->fd);
	if (s->reserve >= 0)
		close(s->reserve);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	if (s->demand_fd >= 0)
		close(s->demand_fd);
	pthread_mutex_destroy(&s->lock);
	free(s->conns);
	free(s->pfds);
	free(s->pidx);
	free(s);
}
