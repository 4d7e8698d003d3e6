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

static bool same_peer(const struct conn *c, const struct in6_addr *peer)
{
	return c->state != C_FREE && !memcmp(&c->peer, peer, sizeof(*peer));
}

/* Which connection goes first to make room: lower is sooner. Clients
 * that have sent nothing, then those still before their request; among
 * equals the oldest. A scrape in progress goes last. */
static int evict_rank(const struct conn *c)
{
	if (!c->heard && !(c->ssl && BIO_number_read(SSL_get_rbio(c->ssl)) > 0))
		return 0;
	return c->state == C_HANDSHAKE || c->state == C_HEAD ? 1 : 2;
}

/* Makes room for one more connection. peer NULL: from any peer. */
static void evict(struct http_server *s, const struct in6_addr *peer)
{
	struct conn *old = NULL;

	for (int i = 0; i < s->lim.max_conns; i++) {
		struct conn *c = &s->conns[i];

		if (c->state == C_FREE || (peer && !same_peer(c, peer)))
			continue;
		if (!old || evict_rank(c) < evict_rank(old) ||
		    (evict_rank(c) == evict_rank(old) && c->born < old->born))
			old = c;
	}
	if (old)
		http_conn_close(s, old);
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

static void add_conn(struct http_server *s, int fd, const struct in6_addr *peer)
{
	struct conn *c = NULL;
	int same = 0;

	for (int i = 0; i < s->lim.max_conns; i++)
		same += same_peer(&s->conns[i], peer);
	if (same >= s->lim.max_per_peer)
		evict(s, peer);
	if (s->nconns >= s->lim.max_conns)
		evict(s, NULL);
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
}

static void accept_some(struct http_server *s)
{
	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);
		struct in6_addr peer;
		int fd = accept4(s->fd, (struct sockaddr *)&sa, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* Out of descriptors or memory: the connection stays
			 * queued, and polling for it again would spin. */
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				s->backoff_until = now_ms() + s->lim.backoff_ms;
			return;
		}
		peer_of(&sa, &peer);
		add_conn(s, fd, &peer);
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

static void *serve(void *arg)
{
	struct http_server *s = arg;
	struct pollfd *p = s->pfds;
	int *idx = s->pidx;

	for (;;) {
		struct snapshot *cur;
		long long wait;
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
		wait = timers(s, cur, gen);
		http_snap_put(cur);
		p[n++] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
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
		if (np == 2 && p[1].revents)
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
	s->fd = s->wake_fd = s->demand_fd = -1;
	s->lim = limits ? *limits : defaults;
	pthread_mutex_init(&s->lock, NULL);
	if (wc) {
		s->wc = *wc;
		s->auth.c = &s->wc;
	}
	s->conns = calloc(s->lim.max_conns, sizeof(*s->conns));
	s->pfds = calloc(s->lim.max_conns + 2, sizeof(*s->pfds));
	s->pidx = calloc(s->lim.max_conns, sizeof(*s->pidx));
	s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->demand_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!s->conns || !s->pfds || !s->pidx || s->wake_fd < 0 ||
	    s->demand_fd < 0) {
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
	SSL_CTX_free(s->tls);
	if (s->fd >= 0)
		close(s->fd);
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
