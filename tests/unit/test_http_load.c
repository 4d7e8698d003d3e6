// SPDX-License-Identifier: GPL-2.0
/*
 * The metrics server under load (issue 20, item 2), on loopback against
 * the production limits, with a fake measurement loop reporting every
 * 0.1 s: 5 scrapes a second while 20 idle connections a second arrive and
 * slowloris clients trickle a byte every 0.5 s (reconnecting when closed),
 * in four cases:
 *   - the attackers on other addresses than the scraper's;
 *   - on the scraper's own address (NAT, QEMU's user networking);
 *   - the same over TLS with basic auth;
 *   - 80 slowloris from 80 addresses (127.0.0.10-89).
 * Each case prints the share of scrapes answered 200 within 1 s on an ok
 * or FAIL line: the goal, 99.5%, is the pass mark.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <openssl/ssl.h>
#include "pmutrace_user.h"
#include "http_server.h"
#include "webconfig.h"
#include "unit.h"
#include "http_client.h"
#include "thread_cpu.h"

#define SCRAPES 200 /* at 5/s: 40 s a case, 0.5% is one scrape */
#define WARMUP_S 2.0 /* of attack before the first scrape */
#define TICK_S 0.05 /* an idle connection each tick: 20/s */
#define TRICKLE_S 0.5 /* a slowloris byte each */
#define MAX_IDLE 512
#define MAX_SLOW 80

/* htpasswd -nbBC 10 prometheus secret */
#define HASH "$2y$10$NGo0h3.UhI4aDmtW7DnsFObUQCoVWMvE794vaZ3.3m4WxW3HrBCSW"
#define GOOD "Authorization: Basic cHJvbWV0aGV1czpzZWNyZXQ=\r\n"

struct load_case {
	const char *name;
	bool tls;
	const char *idle_from;
	int nslow;
	const char *slow_from; /* NULL: 127.0.0.10 + i */
};

struct attack {
	const struct load_case *k;
	unsigned short port;
	bool stop;
	int idle[MAX_IDLE], nidle;
	struct {
		int fd;
		bool connecting;
		double next;
	} slow[MAX_SLOW];
	int idle_opened, slow_opened, closed_by_server;
	long long bytes;
};

/* A non-blocking connection from from, or -1. */
static int dial_nb(unsigned short port, const char *from)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in src = { .sin_family = AF_INET };
	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (c < 0)
		return -1;
	inet_pton(AF_INET, from, &src.sin_addr);
	if (bind(c, (struct sockaddr *)&src, sizeof(src)) ||
	    (connect(c, (struct sockaddr *)&a, sizeof(a)) &&
	     errno != EINPROGRESS)) {
		close(c);
		return -1;
	}
	return c;
}

/* The first bytes of a request that never ends: a TLS record header
 * announcing 512 bytes, or an HTTP head without its end. */
static void slow_start(struct attack *at, int i)
{
	static const char tls[] = "\x16\x03\x01\x02\x00";
	static const char http[] = "GET /metrics HTTP/1.1\r\nX-Slow: ";
	const char *b = at->k->tls ? tls : http;
	size_t len = at->k->tls ? sizeof(tls) - 1 : sizeof(http) - 1;
	ssize_t n = send(at->slow[i].fd, b, len, MSG_NOSIGNAL);

	at->bytes += n > 0 ? n : 0;
	at->slow[i].connecting = false;
	at->slow[i].next = monotonic_s() + TRICKLE_S;
}

static void tick(struct attack *at, double now)
{
	char from[16];

	if (at->nidle < MAX_IDLE) {
		int fd = dial_nb(at->port, at->k->idle_from);

		if (fd >= 0) {
			at->idle[at->nidle++] = fd;
			at->idle_opened++;
		}
	}
	for (int i = 0; i < at->k->nslow; i++) {
		if (at->slow[i].fd < 0) {
			snprintf(from, sizeof(from), "127.0.0.%d", 10 + i);
			at->slow[i].fd =
				dial_nb(at->port, at->k->slow_from ?: from);
			at->slow[i].connecting = true;
			at->slow_opened += at->slow[i].fd >= 0;
		} else if (!at->slow[i].connecting && now >= at->slow[i].next) {
			at->bytes +=
				send(at->slow[i].fd, "a", 1, MSG_NOSIGNAL) == 1;
			at->slow[i].next = now + TRICKLE_S;
		}
	}
}

/* Closed by the server: read to the end (an answer to the slowloris is
 * impossible: their heads never end). */
static bool gone(int fd)
{
	char b[256];
	ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);

	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* The attackers' thread: bounded by at->stop, set by the scraper. */
static void *attack_run(void *arg)
{
	static struct pollfd p[MAX_IDLE + MAX_SLOW];
	struct attack *at = arg;
	double next = monotonic_s();

	while (!__atomic_load_n(&at->stop, __ATOMIC_RELAXED)) {
		double now = monotonic_s();
		int n = 0, w;

		if (now >= next) {
			tick(at, now);
			next += TICK_S;
		}
		for (int i = 0; i < at->nidle; i++)
			p[n++] = (struct pollfd){ .fd = at->idle[i],
						  .events = POLLIN };
		for (int i = 0; i < at->k->nslow; i++)
			p[n++] = (struct pollfd){
				.fd = at->slow[i].fd,
				.events = at->slow[i].connecting ? POLLOUT :
								   POLLIN
			};
		w = (int)((next - monotonic_s()) * 1000) + 1;
		if (poll(p, n, w > 0 ? w : 0) <= 0)
			continue;
		n = 0;
		for (int i = 0; i < at->nidle; i++, n++) {
			if (!p[n].revents || !gone(at->idle[i]))
				continue;
			close(at->idle[i]);
			at->idle[i] = -1;
			at->closed_by_server++;
		}
		w = 0; /* the idle ones still open, in order */
		for (int i = 0; i < at->nidle; i++)
			if (at->idle[i] >= 0)
				at->idle[w++] = at->idle[i];
		at->nidle = w;
		for (int i = 0; i < at->k->nslow; i++, n++) {
			if (!p[n].revents || at->slow[i].fd < 0)
				continue;
			if (at->slow[i].connecting &&
			    !(p[n].revents & (POLLERR | POLLHUP))) {
				slow_start(at, i);
			} else if (at->slow[i].connecting ||
				   gone(at->slow[i].fd)) {
				close(at->slow[i].fd);
				at->slow[i].fd = -1;
				at->closed_by_server++;
			}
		}
	}
	for (int i = 0; i < at->nidle; i++)
		close(at->idle[i]);
	for (int i = 0; i < at->k->nslow; i++)
		if (at->slow[i].fd >= 0)
			close(at->slow[i].fd);
	return NULL;
}

/* A self-signed certificate, its key and a web config with one user in
 * dir; NULL when openssl(1) cannot make them. */
static const char *make_tls_config(char *dir, struct web_config *c,
				   SSL_CTX **ctx)
{
	char path[PATH_MAX], err[256];
	static const char yaml[] =
		"tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
		"basic_auth_users:\n  prometheus: " HASH "\n";

	if (!mkdtemp(dir) || !make_cert(dir) ||
	    web_config_parse(yaml, strlen(yaml), dir, c, err, sizeof(err)))
		return NULL;
	*ctx = SSL_CTX_new(TLS_client_method());
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	SSL_CTX_load_verify_locations(*ctx, path, NULL);
	SSL_CTX_set_verify(*ctx, SSL_VERIFY_PEER, NULL);
	return dir;
}

static void run_case(const struct load_case *k)
{
	static char resp[1 << 16];
	char dir[] = "/tmp/pmutrace-load-XXXXXX", cmd[64];
	const char *req = k->tls ? "GET /metrics HTTP/1.1\r\n" GOOD "\r\n" :
				   "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	struct attack *at = calloc(1, sizeof(*at));
	struct web_config wc;
	SSL_CTX *ctx = NULL;
	struct http_server *s;
	struct loop l;
	pthread_t t;
	int ok = 0, within = 0, planned_idle;
	double worst = 0, t0, elapsed, pct;

	if (!at)
		return;
	if (k->tls && !make_tls_config(dir, &wc, &ctx)) {
		SKIP("load[%s]: openssl(1) could not make a certificate",
		     k->name);
		free(at);
		return;
	}
	s = open_server_wc(k->tls ? &wc : NULL, NULL, &l);
	if (!s) {
		free(at);
		return;
	}
	at->k = k;
	at->port = http_server_port(s);
	for (int i = 0; i < MAX_SLOW; i++)
		at->slow[i].fd = -1;
	pthread_create(&t, NULL, attack_run, at);
	t0 = monotonic_s() + WARMUP_S;
	for (int i = 0; i < SCRAPES; i++) {
		double due = t0 + i * 0.2, now = monotonic_s(), took;
		int n;

		if (due > now)
			usleep((useconds_t)((due - now) * 1e6));
		now = monotonic_s();
		n = k->tls ? tls_fetch_from(ctx, at->port, "127.0.0.1", req,
					    resp, sizeof(resp), 5) :
			     fetch_from(at->port, "127.0.0.1", req, resp,
					sizeof(resp), 5);
		took = monotonic_s() - now;
		n = n > 0 && !strncmp(resp, "HTTP/1.0 200 OK", 15);
		ok += n;
		within += n && took <= 1.0;
		if (took > worst)
			worst = took;
	}
	elapsed = monotonic_s() - t0 + WARMUP_S;
	__atomic_store_n(&at->stop, true, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	pthread_mutex_lock(&l.m);
	printf("# load[%s]: interval reports: %d, late by %.1f ms at most (%d over 50 ms); the server thread used %.2f s of CPU\n",
	       k->name, l.ticks, l.late_max * 1e3, l.over_50ms, server_cpu());
	pthread_mutex_unlock(&l.m);
	pct = 100.0 * within / SCRAPES;
	planned_idle = (int)(elapsed / TICK_S);
	/* The workload first: without it the figure proves nothing. */
	CHECK(at->idle_opened >= planned_idle * 9 / 10 &&
		      at->slow_opened >= k->nslow && at->bytes > 0 &&
		      at->closed_by_server > k->nslow,
	      "load[%s]: the attack ran: %d of %d idle connections, %d slowloris connections, %lld bytes, %d closed by the server",
	      k->name, at->idle_opened, planned_idle, at->slow_opened,
	      at->bytes, at->closed_by_server);
	printf("%s load[%s]: %d of %d scrapes answered 200 within 1 s: %.1f%% (goal >= 99.5%%), %d answered 200 in all, slowest %.1f ms; %d idle and %d slowloris connections opened, the server's peak %d open\n",
	       pct >= 99.5 ? "ok  " : "FAIL", k->name, within, SCRAPES, pct, ok,
	       worst * 1e3, at->idle_opened, at->slow_opened,
	       http_server_peak_conns(s));
	if (pct < 99.5)
		unit_failed = 1;
	close_server(s, &l);
	SSL_CTX_free(ctx);
	free(at);
	if (k->tls) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		(void)!system(cmd);
	}
}

int main(void)
{
	static const struct load_case cases[] = {
		{ "other addresses", false, "127.0.0.2", 16, "127.0.0.3" },
		{ "the scraper's address", false, "127.0.0.1", 16,
		  "127.0.0.1" },
		{ "TLS and basic auth, the scraper's address", true,
		  "127.0.0.1", 16, "127.0.0.1" },
		{ "80 slowloris from 80 addresses", false, "127.0.0.2", 80,
		  NULL },
	};
	struct rlimit rl;

	signal(SIGPIPE, SIG_IGN);
	if (!getrlimit(RLIMIT_NOFILE, &rl)) { /* the attackers' sockets */
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	UNIT_EXIT();
}
