/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the metrics server thread (http_server.c): its state, and one
 * connection's way through it (http_conn.c), from the TLS handshake to the
 * last byte of the answer. Not for use outside user/export/http_*.c.
 */
#ifndef PMUTRACE_HTTP_CONN_H
#define PMUTRACE_HTTP_CONN_H

#include <netinet/in.h>
#include <pthread.h>
#include <openssl/ssl.h>
#include "http_auth.h"
#include "http_server.h"
#include "pmutrace_user.h"

/* A rendered body, shared by the answers still being sent. */
struct snapshot {
	int refs;
	long long at; /* ms, monotonic: when it was published */
	size_t len;
	char *body;
};

/* C_AUTH: its password waits for a bcrypt check (http_auth.c). */
enum conn_state { C_FREE, C_HANDSHAKE, C_HEAD, C_AUTH, C_FRESH, C_WRITE };

/* What a request asks for, once it may. */
enum conn_route { R_METRICS, R_INDEX, R_NOT_FOUND, R_METHOD };

struct conn {
	enum conn_state state;
	int fd;
	SSL *ssl;
	struct in6_addr peer; /* IPv4 as ::ffff:a.b.c.d */
	long long born, deadline; /* ms, monotonic */
	short events; /* what the transport waits for */
	bool head_only;
	bool heard; /* the client has sent something */
	enum conn_route route;
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
	struct http_auth *auth; /* NULL: no users */
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
	int reserve; /* a descriptor to give up when accept() hits EMFILE */
};

static inline long long now_ms(void)
{
	return (long long)(monotonic_ns() / 1000000);
}

/* Drops one reference to s (NULL: none); the last one frees it. */
void http_snap_put(struct snapshot *s);
/* Closes c and frees its slot. */
void http_conn_close(struct http_server *s, struct conn *c);
/* Answers c with snap (a reference of its own), or 503 when NULL. */
void http_conn_serve(struct http_server *s, struct conn *c,
		     struct snapshot *snap);
/* Goes as far as the connection can without waiting. */
void http_conn_step(struct http_server *s, struct conn *c);
/* A C_AUTH connection's check has decided (ok), or (late) its deadline
 * came first: answers it. */
void http_conn_authed(struct http_server *s, struct conn *c, bool ok,
		      bool late);

#endif /* PMUTRACE_HTTP_CONN_H */
