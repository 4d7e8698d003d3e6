// SPDX-License-Identifier: GPL-2.0
/*
 * One connection of the metrics server (docs/prometheus.md, "The HTTP
 * server"), each call going as far as it can without blocking: the TLS
 * handshake, reading and parsing the request head, authentication, the
 * answer (a page, an error, or /metrics: a young body, else the
 * measurement loop is asked for a fresh one and the connection waits),
 * and writing it out. The poll() loop that drives it is http_server.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include "http_conn.h"
#include "http_request.h"

void http_snap_put(struct snapshot *s)
{
	if (s && !__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL)) {
		free(s->body);
		free(s);
	}
}

void http_conn_close(struct http_server *s, struct conn *c)
{
	char sink[512];

	if (c->state == C_AUTH)
		http_auth_cancel(s->auth, c - s->conns);
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
	http_snap_put(c->snap);
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

void http_conn_serve(struct http_server *s, struct conn *c,
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
		http_conn_serve(s, c, young);
		http_snap_put(young);
		return;
	}
	c->state = C_FRESH;
	c->events = 0;
	c->deadline = now + s->lim.fresh_ms;
	/* Fails only when the counter is full: a demand is due. */
	(void)!write(s->demand_fd, &one, sizeof(one));
}

/* The answer to a request let through, or 401. */
static void answer(struct http_server *s, struct conn *c, bool allowed)
{
	static const char index_html[] =
		"<html><head><title>pmutrace</title></head><body>\n"
		"<h1>pmutrace</h1>\n"
		"<p><a href=\"/metrics\">Metrics</a></p>\n"
		"</body></html>\n";

	if (!allowed)
		respond_text(s, c, "401 Unauthorized",
			     "WWW-Authenticate: Basic realm=\"pmutrace\"\r\n",
			     "unauthorized\n");
	else if (c->route == R_METHOD)
		respond_text(s, c, "405 Method Not Allowed",
			     "Allow: GET, HEAD\r\n", "method not allowed\n");
	else if (c->route == R_METRICS)
		want_metrics(s, c);
	else if (c->route == R_INDEX)
		respond(s, c, "200 OK", "text/html; charset=utf-8", "",
			index_html, sizeof(index_html) - 1);
	else
		respond_text(s, c, "404 Not Found", "", "not found\n");
}

void http_conn_authed(struct http_server *s, struct conn *c, bool ok, bool late)
{
	if (late) {
		/* The queue of checks did not reach it in time (wrong
		 * passwords from its own address): not refused, not let in. */
		http_auth_cancel(s->auth, c - s->conns);
		respond_text(s, c, "503 Service Unavailable",
			     "Retry-After: 1\r\n",
			     "password check still queued: retry\n");
	} else {
		answer(s, c, ok);
	}
	http_conn_step(s, c);
}

static void handle(struct http_server *s, struct conn *c,
		   const struct http_request *req)
{
	enum http_auth_result auth;

	c->head_only = req->method == HTTP_HEAD;
	c->route = req->method == HTTP_OTHER	  ? R_METHOD :
		   !strcmp(req->path, "/metrics") ? R_METRICS :
		   !strcmp(req->path, "/")	  ? R_INDEX :
						    R_NOT_FOUND;
	auth = http_auth_begin(s->auth, req->has_auth ? req->auth : NULL,
			       &c->peer, c - s->conns, now_ms());
	if (auth != HTTP_AUTH_QUEUED) {
		answer(s, c, auth == HTTP_AUTH_OK);
		return;
	}
	free(c->in);
	c->in = NULL;
	c->state = C_AUTH;
	c->events = 0;
	c->deadline = now_ms() + s->lim.write_ms;
}

static void read_head(struct http_server *s, struct conn *c)
{
	struct http_request req;
	ssize_t n;
	int err;

	if (!c->in && !(c->in = malloc(HTTP_HEAD_MAX + 1))) {
		http_conn_close(s, c);
		return;
	}
	for (;;) {
		/* One byte more than a head may hold, to tell E2BIG. */
		n = conn_read(c, c->in + c->in_len,
			      HTTP_HEAD_MAX + 1 - c->in_len);
		if (n == -EAGAIN)
			return;
		if (n <= 0) { /* gone before a whole head: nobody to answer */
			http_conn_close(s, c);
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
	http_conn_close(s, c);
}

/* Goes as far as the connection can without waiting. */
void http_conn_step(struct http_server *s, struct conn *c)
{
	if (c->state == C_HANDSHAKE) {
		int r;

		if (!c->ssl && (!(c->ssl = SSL_new(s->tls)) ||
				!SSL_set_fd(c->ssl, c->fd))) {
			http_conn_close(s, c);
			return;
		}
		r = SSL_accept(c->ssl);

		if (r != 1) {
			if (tls_want(c, r) != -EAGAIN)
				http_conn_close(s, c);
			return;
		}
		c->state = C_HEAD;
	}
	if (c->state == C_HEAD)
		read_head(s, c);
	if (c->state == C_WRITE)
		write_answer(s, c);
}
