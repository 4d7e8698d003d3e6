// SPDX-License-Identifier: GPL-2.0
/*
 * The metrics server thread (docs/prometheus.md, "The HTTP server"). One
 * poll() loop over non-blocking connections, each with a deadline and a
 * state: TLS handshake, request head, waiting for a fresh body, answer.
 * The measurement loop is never waited for: it is asked for a fresh body
 * through an eventfd and hands one over with http_server_publish().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include "http_server.h"
#include "http_request.h"
#include "http_setup.h"
#include "pmutrace_user.h"

/* A rendered body, shared by the answers still being sent. */
struct snapshot {
	int refs;
	long long at; /* ms, monotonic: when it was published */
	size_t len;
	char *body;
};

enum conn_state { C_FREE, C_HANDSHAKE, C_HEAD, C_FRESH, C_WRITE };

struct conn {
	enum conn_state state;
	int fd;
	SSL *ssl;
	struct in6_addr peer; /* IPv4 as ::ffff:a.b.c.d */
	long long born, deadline; /* ms, monotonic */
	short events; /* what the transport waits for */
	bool head_only;
	bool heard; /* the client has sent something */
	__u64 want_gen; /* C_FRESH: the body generation it waits for */
	char *in;
	size_t in_len;
	char head[384];
	size_t head_len, sent;
	const char *body;
	size_t body_len;
	struct snapshot *snap;
};

struct http_server {
	int fd;
	unsigned short port;
	SSL_CTX *tls;
	struct web_config wc;
	struct web_auth auth;
	struct http_limits lim;
	int wake_fd; /* publish() and stop() to the thread */
	int demand_fd; /* the thread to the measurement loop */
	pthread_t thread;
	bool started;
	pthread_mutex_t lock; /* guards current, gen and stop */
	struct snapshot *current;
	__u64 gen;
	bool stop;
	__u64 scrapes;
	struct conn *conns;
	struct pollfd *pfds; /* the wake and listening fds, then conns */
	int *pidx; /* the conn of each pfds entry after those */
	int nconns, peak;
	long long backoff_until;
};

static long long now_ms(void)
{
	return (long long)(monotonic_ns() / 1000000);
}

static void snap_put(struct snapshot *s)
{
	if (s && !__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL)) {
		free(s->body);
		free(s);
	}
}

static void conn_close(struct http_server *s, struct conn *c)
{
	char sink[512];

	if (c->ssl) {
		if (c->state == C_WRITE)
			SSL_shutdown(c->ssl); /* close_notify, not waited for */
		SSL_free(c->ssl);
	} else if (c->state == C_WRITE) {
		/* Unread input would make close() reset the connection and
		 * could destroy the answer in flight: take what arrived. */
		shutdown(c->fd, SHUT_WR);
		for (int i = 0; i < 16; i++)
			if (recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT) <= 0)
				break;
	}
	close(c->fd);
	snap_put(c->snap);
	free(c->in);
	memset(c, 0, sizeof(*c));
	c->state = C_FREE;
	s->nconns--;
}

/* TLS wants: the events to wait for, or -EIO. */
static ssize_t tls_want(struct conn *c, int ret)
{
	switch (SSL_get_error(c->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		c->events = POLLIN;
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		c->events = POLLOUT;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		ERR_clear_error();
		return -EIO;
	}
}

/* > 0 bytes, 0 at the end of input, -EAGAIN (c->events set), -EIO. */
static ssize_t conn_read(struct conn *c, char *buf, size_t len)
{
	ssize_t n;

	if (c->ssl) {
		n = SSL_read(c->ssl, buf, len);
		return n > 0 ? n : tls_want(c, n);
	}
	n = recv(c->fd, buf, len, 0);
	c->heard |= n > 0;
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		c->events = POLLIN;
		return -EAGAIN;
	}
	return -EIO;
}

static ssize_t conn_write(struct conn *c, const char *buf, size_t len)
{
	ssize_t n;

	if (c->ssl) {
		n = SSL_write(c->ssl, buf, len);
		return n > 0 ? n : tls_want(c, n) ?: -EIO;
	}
	/* MSG_NOSIGNAL: a client gone away must not kill pmutrace. */
	n = send(c->fd, buf, len, MSG_NOSIGNAL);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		c->events = POLLOUT;
		return -EAGAIN;
	}
	return -EIO;
}

static void step(struct http_server *s, struct conn *c);

static void respond(struct http_server *s, struct conn *c, const char *status,
		    const char *type, const char *extra, const char *body,
		    size_t len)
{
	int n = snprintf(
		c->head, sizeof(c->head),
		"HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
		status, type, len, extra);

	c->head_len = n < (int)sizeof(c->head) ? (size_t)n : 0;
	c->body = body;
	c->body_len = c->head_only ? 0 : len;
	c->sent = 0;
	c->state = C_WRITE;
	c->deadline = now_ms() + s->lim.write_ms;
	c->events = POLLOUT;
	free(c->in);
	c->in = NULL;
}

static void respond_text(struct http_server *s, struct conn *c,
			 const char *status, const char *extra,
			 const char *text)
{
	respond(s, c, status, "text/plain; charset=utf-8", extra, text,
		strlen(text));
}

static void serve_snapshot(struct http_server *s, struct conn *c,
			   struct snapshot *snap)
{
	if (!snap) {
		respond_text(s, c, "503 Service Unavailable", "",
			     "no metrics yet\n");
		return;
	}
	__atomic_add_fetch(&snap->refs, 1, __ATOMIC_RELAXED);
	c->snap = snap;
	respond(s, c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", "",
		snap->body, snap->len);
}

/* A body younger than reuse_ms is served as it is: however many clients
 * scrape, the loop renders at most one body per reuse_ms. Otherwise the
 * loop is asked for one, and the connection waits (C_FRESH). */
static void want_metrics(struct http_server *s, struct conn *c)
{
	struct snapshot *young = NULL;
	long long now = now_ms();
	__u64 one = 1;

	__atomic_add_fetch(&s->scrapes, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&s->lock);
	c->want_gen = s->gen + 1;
	if (s->current && now - s->current->at < s->lim.reuse_ms) {
		young = s->current;
		__atomic_add_fetch(&young->refs, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&s->lock);
	if (young) {
		serve_snapshot(s, c, young);
		snap_put(young);
		return;
	}
	c->state = C_FRESH;
	c->events = 0;
	c->deadline = now + s->lim.fresh_ms;
	/* Fails only when the counter is full: a demand is due. */
	(void)!write(s->demand_fd, &one, sizeof(one));
}

static void handle(struct http_server *s, struct conn *c,
		   const struct http_request *req)
{
	static const char index_html[] =
		"<html><head><title>pmutrace</title></head><body>\n"
		"<h1>pmutrace</h1>\n"
		"<p><a href=\"/metrics\">Metrics</a></p>\n"
		"</body></html>\n";
	enum web_auth_result auth;

	c->head_only = req->method == HTTP_HEAD;
	auth = web_auth_check(&s->auth, req->has_auth ? req->auth : NULL);
	if (auth == WEB_AUTH_BUSY)
		respond_text(s, c, "429 Too Many Requests",
			     "Retry-After: 1\r\n",
			     "too many password checks: retry\n");
	else if (auth == WEB_AUTH_DENIED)
		respond_text(s, c, "401 Unauthorized",
			     "WWW-Authenticate: Basic realm=\"pmutrace\"\r\n",
			     "unauthorized\n");
	else if (req->method == HTTP_OTHER)
		respond_text(s, c, "405 Method Not Allowed",
			     "Allow: GET, HEAD\r\n", "method not allowed\n");
	else if (!strcmp(req->path, "/metrics"))
		want_metrics(s, c);
	else if (!strcmp(req->path, "/"))
		respond(s, c, "200 OK", "text/html; charset=utf-8", "",
			index_html, sizeof(index_html) - 1);
	else
		respond_text(s, c, "404 Not Found", "", "not found\n");
}

static void read_head(struct http_server *s, struct conn *c)
{
	struct http_request req;
	ssize_t n;
	int err;

	if (!c->in && !(c->in = malloc(HTTP_HEAD_MAX + 1))) {
		conn_close(s, c);
		return;
	}
	for (;;) {
		/* One byte more than a head may hold, to tell E2BIG. */
		n = conn_read(c, c->in + c->in_len,
			      HTTP_HEAD_MAX + 1 - c->in_len);
		if (n == -EAGAIN)
			return;
		if (n <= 0) { /* gone before a whole head: nobody to answer */
			conn_close(s, c);
			return;
		}
		c->in_len += n;
		err = http_parse_request(c->in, c->in_len, &req);
		if (err == -EAGAIN && c->in_len <= HTTP_HEAD_MAX)
			continue;
		if (!err)
			handle(s, c, &req);
		else if (err == -E2BIG || err == -EAGAIN)
			respond_text(s, c, "400 Bad Request", "",
				     "request too large\n");
		else
			respond_text(s, c, "400 Bad Request", "",
				     "bad request\n");
		return;
	}
}

static void write_answer(struct http_server *s, struct conn *c)
{
	while (c->sent < c->head_len + c->body_len) {
		bool in_head = c->sent < c->head_len;
		const char *p = in_head ? c->head + c->sent :
					  c->body + (c->sent - c->head_len);
		size_t left = in_head ? c->head_len - c->sent :
					c->head_len + c->body_len - c->sent;
		ssize_t n = conn_write(c, p, left);

		if (n == -EAGAIN)
			return;
		if (n < 0)
			break;
		c->sent += n;
	}
	conn_close(s, c);
}

/* Goes as far as the connection can without waiting. */
static void step(struct http_server *s, struct conn *c)
{
	if (c->state == C_HANDSHAKE) {
		int r;

		if (!c->ssl && (!(c->ssl = SSL_new(s->tls)) ||
				!SSL_set_fd(c->ssl, c->fd))) {
			conn_close(s, c);
			return;
		}
		r = SSL_accept(c->ssl);

		if (r != 1) {
			if (tls_want(c, r) != -EAGAIN)
				conn_close(s, c);
			return;
		}
		c->state = C_HEAD;
	}
	if (c->state == C_HEAD)
		read_head(s, c);
	if (c->state == C_WRITE)
		write_answer(s, c);
}

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
		conn_close(s, old);
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
			serve_snapshot(s, c, cur); /* stale at the deadline */
			step(s, c);
		} else if (c->state != C_FREE && now >= c->deadline) {
			conn_close(s, c);
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
			snap_put(cur);
			break;
		}
		wait = timers(s, cur, gen);
		snap_put(cur);
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
				step(s, c);
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
	snap_put(old);
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
			conn_close(s, &s->conns[i]);
	snap_put(s->current);
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
