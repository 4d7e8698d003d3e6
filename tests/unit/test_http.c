// SPDX-License-Identifier: GPL-2.0
/*
 * The metrics server (user/export/http_server.c, http_conn.c,
 * http_request.c): the request parser, answers, HEAD, deadlines, connection
 * limits, the EMFILE back-off, and a load test on loopback with a fake
 * measurement loop.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "pmutrace_user.h"
#include "http_request.h"
#include "http_server.h"
#include "unit.h"
#include "thread_cpu.h"

static void check_parser(void)
{
	static const char *const bad[] = {
		"hello\r\n\r\n",
		"GET /\r\n\r\n",
		"GET / HTTP/2.0\r\n\r\n",
		"GET  / HTTP/1.1\r\n\r\n",
		"GET metrics HTTP/1.1\r\n\r\n",
		"GET /a\x01 HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nNo-Colon\r\n\r\n",
		"GET / HTTP/1.1\r\nName : v\r\n\r\n",
		"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
		"GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n",
		"GET / HTTP/1.1\r\nAuthorization: a\r\nAuthorization: b\r\n\r\n",
		"G\x80T / HTTP/1.1\r\n\r\n",
	};
	static const char ok[] = "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n"
				 "authorization:  Basic eDp4 \r\n\r\n";
	struct http_request req;
	char big[HTTP_HEAD_MAX + 16], user[64], pass[64];
	int rejected = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		rejected += http_parse_request(bad[i], strlen(bad[i]), &req) ==
			    -EINVAL;
	CHECK(rejected == sizeof(bad) / sizeof(bad[0]),
	      "malformed heads refused: %d of %zu", rejected,
	      sizeof(bad) / sizeof(bad[0]));
	CHECK(http_parse_request(ok, strlen(ok), &req) == 0 &&
		      req.method == HTTP_GET && !strcmp(req.path, "/metrics") &&
		      req.has_auth && !strcmp(req.auth, "Basic eDp4"),
	      "GET with a query and Authorization: path %s auth '%s'", req.path,
	      req.auth);
	CHECK(!http_parse_request("HEAD / HTTP/1.0\n\n", 17, &req) &&
		      req.method == HTTP_HEAD && !req.has_auth,
	      "HEAD with bare LF line ends");
	CHECK(!http_parse_request("PUT / HTTP/1.0\r\n\r\n", 18, &req) &&
		      req.method == HTTP_OTHER,
	      "another method parses (for a 405)");
	CHECK(http_parse_request("GET / HTTP/1.1\r\nHost: a\r\n", 25, &req) ==
			      -EAGAIN &&
		      http_parse_request("GET / HT", 8, &req) == -EAGAIN,
	      "an incomplete head asks for more");
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	CHECK(http_parse_request(big, sizeof(big), &req) == -E2BIG,
	      "a head over %d bytes: E2BIG", HTTP_HEAD_MAX);
	CHECK(http_parse_request("GET / HTTP/1.1\r\n\0\r\n\r\n", 21, &req) ==
		      -EINVAL,
	      "NUL in the head refused");
	CHECK(!http_basic_credentials("Basic dXNlcjpwYTpzcw==", user,
				      sizeof(user), pass, sizeof(pass)) &&
		      !strcmp(user, "user") && !strcmp(pass, "pa:ss"),
	      "Basic credentials split at the first ':'");
	CHECK(http_basic_credentials("Bearer dXNlcjpwYXNz", user, sizeof(user),
				     pass, sizeof(pass)) &&
		      http_basic_credentials("Basic dXNlcg==", user,
					     sizeof(user), pass,
					     sizeof(pass)) &&
		      http_basic_credentials("Basic dXNlcjpwYXNz=", user,
					     sizeof(user), pass,
					     sizeof(pass)) &&
		      http_basic_credentials("Basic dX=lcjpwYXNz", user,
					     sizeof(user), pass,
					     sizeof(pass)) &&
		      http_basic_credentials("Basic dXNlcgA6cA==", user,
					     sizeof(user), pass, sizeof(pass)),
	      "bad scheme, no ':', bad length, '=' inside, NUL: refused");
}

static void check_listen(void)
{
	const char *bad[] = { "localhost:9435",	 "127.0.0.1",  "[::1]9435",
			      "127.0.0.1:65536", ":",	       "::1:9435",
			      "[]:9435",	 "1.2.3.4:-1", "1.2.3.4:12a" };
	struct sockaddr_storage addr;
	struct http_server *s, *s2;
	char err[256], busy[32];
	socklen_t alen;
	int rejected = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		rejected += prom_parse_listen(bad[i], &addr, &alen) == -EINVAL;
	CHECK(rejected == sizeof(bad) / sizeof(bad[0]),
	      "bad addresses refused: %d", rejected);
	CHECK(!prom_parse_listen(":9435", &addr, &alen) &&
		      addr.ss_family == AF_INET6 &&
		      !prom_parse_listen("[::1]:9435", &addr, &alen) &&
		      !prom_parse_listen("0.0.0.0:0", &addr, &alen) &&
		      addr.ss_family == AF_INET,
	      "good addresses parsed");
	s = http_server_open("localhost:9435", NULL, NULL, err, sizeof(err));
	CHECK(!s && strstr(err, "invalid address"), "open says why: %s", err);
	s = http_server_open("127.0.0.1:0", NULL, NULL, err, sizeof(err));
	CHECK(s && http_server_port(s) > 0, "listening on 127.0.0.1:%u: %s",
	      s ? http_server_port(s) : 0, s ? "" : err);
	if (!s)
		return;
	snprintf(busy, sizeof(busy), "127.0.0.1:%u", http_server_port(s));
	s2 = http_server_open(busy, NULL, NULL, err, sizeof(err));
	CHECK(!s2 && strstr(err, "cannot listen on") &&
		      strstr(err, strerror(EADDRINUSE)) && !strchr(err, '\n'),
	      "port in use said in one line: %s", err);
	http_server_stop(s2);
	http_server_stop(s); /* never started: no thread to join */
	s = http_server_open("[::1]:0", NULL, NULL, err, sizeof(err));
	if (s || !strstr(err, "cannot listen"))
		CHECK(s != NULL, "IPv6 loopback: %s", s ? "listening" : err);
	else
		printf("skip IPv6 loopback: no IPv6 here: %s\n", err);
	http_server_stop(s);
}

/* The measurement loop as main.c runs it, with a fake collect: wait for
 * the interval or a demand, publish a body when asked, report the
 * lateness of each interval. */
struct loop {
	struct http_server *s;
	double interval;
	size_t body_size; /* 0: a small body naming the scrape count */
	bool stop;
	pthread_mutex_t m; /* guards the figures below, read by the test */
	int ticks, over_50ms;
	double late_max, late_sum;
	int publishes;
	pthread_t thread;
};

static void publish(struct loop *l)
{
	size_t size = __atomic_load_n(&l->body_size, __ATOMIC_RELAXED);
	size_t len = size ? size : 64;
	char *body = malloc(len + 1);

	if (!body)
		return;
	if (size)
		memset(body, '#', len);
	else
		len = snprintf(body, len, "pmutrace_scrapes_total %llu\n",
			       (unsigned long long)http_server_scrapes(l->s));
	pthread_mutex_lock(&l->m);
	l->publishes++;
	pthread_mutex_unlock(&l->m);
	http_server_publish(l->s, body, len);
}

static void *loop_run(void *arg)
{
	struct loop *l = arg;
	double last = monotonic_s();

	while (!__atomic_load_n(&l->stop, __ATOMIC_RELAXED)) {
		double now = monotonic_s(), step = l->interval - (now - last);
		struct pollfd p = { .fd = http_server_demand_fd(l->s),
				    .events = POLLIN };

		if (step > 0)
			poll(&p, 1, (int)(step * 1000) + 1);
		if (http_server_wanted(l->s))
			publish(l);
		now = monotonic_s();
		if (now - last < l->interval - 1e-3)
			continue;
		pthread_mutex_lock(&l->m);
		if (now - last - l->interval > l->late_max)
			l->late_max = now - last - l->interval;
		l->late_sum += now - last - l->interval;
		l->over_50ms += now - last - l->interval > 0.05;
		l->ticks++;
		pthread_mutex_unlock(&l->m);
		last = now;
	}
	return NULL;
}

static struct http_server *open_server(const struct http_limits *lim,
				       struct loop *l)
{
	char err[256];
	struct http_server *s =
		http_server_open("127.0.0.1:0", NULL, lim, err, sizeof(err));

	CHECK(s && !http_server_start(s), "server on 127.0.0.1:%u: %s",
	      s ? http_server_port(s) : 0, s ? "started" : err);
	if (s && l) {
		memset(l, 0, sizeof(*l));
		l->s = s;
		l->interval = 0.1;
		pthread_mutex_init(&l->m, NULL);
		pthread_create(&l->thread, NULL, loop_run, l);
	}
	return s;
}

static void close_server(struct http_server *s, struct loop *l)
{
	if (l && l->s) {
		__atomic_store_n(&l->stop, true, __ATOMIC_RELAXED);
		pthread_join(l->thread, NULL);
		pthread_mutex_destroy(&l->m);
	}
	http_server_stop(s);
}

static int dial(unsigned short port, const char *from)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in src = { .sin_family = AF_INET };
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (c >= 0 && from) {
		inet_pton(AF_INET, from, &src.sin_addr);
		if (bind(c, (struct sockaddr *)&src, sizeof(src))) {
			close(c);
			return -1;
		}
	}
	if (c >= 0 && connect(c, (struct sockaddr *)&a, sizeof(a))) {
		close(c);
		return -1;
	}
	return c;
}

/* Reads until the server closes, up to timeout_s; -1 on a timeout. */
static int read_all(int c, char *resp, size_t len, double timeout_s)
{
	double end = monotonic_s() + timeout_s;
	size_t got = 0;

	for (;;) {
		struct pollfd p = { .fd = c, .events = POLLIN };
		double left = end - monotonic_s();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			return -1;
		n = recv(c, resp + got, len - 1 - got, 0);
		if (n < 0 && errno == ECONNRESET)
			n = 0;
		if (n < 0)
			return -1;
		if (n == 0 || got + n == len - 1) {
			got += n;
			resp[got] = '\0';
			return (int)got;
		}
		got += n;
	}
}

static int fetch(unsigned short port, const char *request, char *resp,
		 size_t len)
{
	int c = dial(port, NULL), n = -1;

	if (c < 0)
		return -1;
	if (send(c, request, strlen(request), MSG_NOSIGNAL) >= 0)
		n = read_all(c, resp, len, 5);
	close(c);
	return n;
}

static void check_answers(void)
{
	struct http_limits lim = HTTP_LIMITS_DEFAULT;
	static char resp[1 << 16];
	struct http_server *s;
	struct loop l;
	unsigned short port;
	int n;

	lim.reuse_ms = 0; /* a fresh body for every scrape */
	s = open_server(&lim, &l);
	if (!s)
		return;
	port = http_server_port(s);
	n = fetch(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", resp,
		  sizeof(resp));
	CHECK(n > 0 && !strncmp(resp, "HTTP/1.0 200 OK\r\n", 17) &&
		      strstr(resp, "\r\nContent-Type: text/plain; "
				   "version=0.0.4; charset=utf-8\r\n") &&
		      strstr(resp, "\r\n\r\npmutrace_scrapes_total 1\n"),
	      "GET /metrics: 200, a fresh body counting this scrape: %.80s",
	      resp);
	{
		const char *cl = strstr(resp, "Content-Length: "),
			   *body = strstr(resp, "\r\n\r\n");

		CHECK(cl && body &&
			      strtoul(cl + 16, NULL, 10) == strlen(body + 4),
		      "Content-Length matches the body");
	}
	n = fetch(port, "HEAD /metrics HTTP/1.0\r\n\r\n", resp, sizeof(resp));
	CHECK(n > 0 && !strncmp(resp, "HTTP/1.0 200 OK\r\n", 17) &&
		      strstr(resp, "Content-Length: 25\r\n") &&
		      strlen(strstr(resp, "\r\n\r\n")) == 4,
	      "HEAD /metrics: the length of the body, no body: %s", resp);
	n = fetch(port, "GET / HTTP/1.0\r\n\r\n", resp, sizeof(resp));
	CHECK(n > 0 && strstr(resp, "text/html") &&
		      strstr(resp, "href=\"/metrics\""),
	      "GET /: a link page");
	n = fetch(port, "GET /nope HTTP/1.0\r\n\r\n", resp, sizeof(resp));
	CHECK(n > 0 && !strncmp(resp, "HTTP/1.0 404 ", 13),
	      "unknown path: 404");
	n = fetch(port,
		  "POST /metrics HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc",
		  resp, sizeof(resp));
	CHECK(n > 0 && !strncmp(resp, "HTTP/1.0 405 ", 13) &&
		      strstr(resp, "\r\nAllow: GET, HEAD\r\n"),
	      "POST: 405 naming GET and HEAD");
	n = fetch(port, "hello\r\n\r\n", resp, sizeof(resp));
	CHECK(n > 0 && !strncmp(resp, "HTTP/1.0 400 ", 13), "garbage: 400");
	{
		static char big[10000];

		memset(big, 'a', sizeof(big) - 1);
		memcpy(big, "GET /", 5);
		n = fetch(port, big, resp, sizeof(resp));
		CHECK(n > 0 && !strncmp(resp, "HTTP/1.0 400 ", 13) &&
			      strstr(resp, "too large"),
		      "request over 8 KiB: 400");
	}
	CHECK(http_server_scrapes(s) == 2 && l.publishes == 2,
	      "GET and HEAD of /metrics count: %llu scrapes, %d bodies",
	      (unsigned long long)http_server_scrapes(s), l.publishes);
	close_server(s, &l);
}

/* Scrapes faster than reuse_ms share one body: the loop renders once. */
static void check_reuse(void)
{
	struct http_limits lim = HTTP_LIMITS_DEFAULT;
	char resp[4096];
	struct http_server *s;
	struct loop l;
	int ok = 0;

	lim.reuse_ms = 60000;
	s = open_server(&lim, &l);
	if (!s)
		return;
	for (int i = 0; i < 5; i++)
		ok += fetch(http_server_port(s),
			    "GET /metrics HTTP/1.0\r\n\r\n", resp,
			    sizeof(resp)) > 0 &&
		      strstr(resp, "\r\n\r\npmutrace_scrapes_total 1\n");
	pthread_mutex_lock(&l.m);
	CHECK(ok == 5 && l.publishes == 1,
	      "5 scrapes within reuse_ms: %d served the first body, %d rendered",
	      ok, l.publishes);
	pthread_mutex_unlock(&l.m);
	close_server(s, &l);
}

/* The loop never answers: a scrape still ends, with the last body or
 * 503, once fresh_ms is over. */
static void check_stalled_loop(void)
{
	struct http_limits lim = HTTP_LIMITS_DEFAULT;
	char resp[4096];
	struct http_server *s;
	double t0;
	int n;

	lim.fresh_ms = 300;
	lim.reuse_ms = 0;
	s = open_server(&lim, NULL);
	if (!s)
		return;
	t0 = monotonic_s();
	n = fetch(http_server_port(s), "GET /metrics HTTP/1.0\r\n\r\n", resp,
		  sizeof(resp));
	CHECK(n > 0 && !strncmp(resp, "HTTP/1.0 503 ", 13) &&
		      monotonic_s() - t0 >= 0.29,
	      "no body ever published: 503 after fresh_ms");
	http_server_publish(s, strdup("old 1\n"), 6);
	http_server_wanted(s); /* the demand nobody served */
	n = fetch(http_server_port(s), "GET /metrics HTTP/1.0\r\n\r\n", resp,
		  sizeof(resp));
	CHECK(n > 0 && strstr(resp, "200 OK") &&
		      strstr(resp, "\r\n\r\nold 1\n"),
	      "a stalled loop: the last body, late");
	CHECK(http_server_wanted(s), "the scrape asked the loop for a body");
	close_server(s, NULL);
}

static void check_deadlines(void)
{
	struct http_limits lim = HTTP_LIMITS_DEFAULT;
	static char resp[1 << 16];
	struct http_server *s;
	struct loop l;
	double t0, took;
	int c, n;

	lim.head_ms = 300;
	lim.write_ms = 500;
	s = open_server(&lim, &l);
	if (!s)
		return;
	c = dial(http_server_port(s), NULL);
	t0 = monotonic_s();
	n = read_all(c, resp, sizeof(resp), 5);
	took = monotonic_s() - t0;
	CHECK(n == 0 && took >= 0.25 && took < 5,
	      "silent client closed after %.3f s (head_ms 0.3 s)", took);
	close(c);
	/* One byte every 100 ms: the deadline is for the whole head. */
	c = dial(http_server_port(s), NULL);
	t0 = monotonic_s();
	for (const char *p = "GET /metrics HTTP/1.0\r\n\r\n"; *p; p++) {
		if (send(c, p, 1, MSG_NOSIGNAL) != 1)
			break;
		usleep(100000);
	}
	n = read_all(c, resp, sizeof(resp), 5);
	took = monotonic_s() - t0;
	CHECK(n <= 0 && took < 5,
	      "a byte-a-time client dropped at the head deadline (%.3f s)",
	      took);
	close(c);
	/* A client that never reads a 4 MiB body is dropped at write_ms. */
	__atomic_store_n(&l.body_size, 4 << 20, __ATOMIC_RELAXED);
	c = dial(http_server_port(s), NULL);
	{
		int small = 4096;

		setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	}
	send(c, "GET /metrics HTTP/1.0\r\n\r\n", 25, MSG_NOSIGNAL);
	usleep(1200000); /* fresh body + write_ms, with room to spare */
	{
		size_t got = 0;
		ssize_t k;

		while ((k = recv(c, resp, sizeof(resp), MSG_DONTWAIT)) > 0)
			got += k;
		CHECK(got < (4u << 20),
		      "a client that does not read is cut off at write_ms: %zu of %u bytes",
		      got, 4u << 20);
	}
	close(c);
	__atomic_store_n(&l.body_size, 0, __ATOMIC_RELAXED);
	n = fetch(http_server_port(s), "GET /metrics HTTP/1.0\r\n\r\n", resp,
		  sizeof(resp));
	CHECK(n > 0 && strstr(resp, "200 OK"), "and the next scrape is served");
	close_server(s, &l);
}

static void check_limits(void)
{
	struct http_limits lim = HTTP_LIMITS_DEFAULT;
	char resp[4096];
	struct http_server *s;
	struct loop l;
	int idle[24], n;

	lim.max_conns = 8;
	lim.max_per_peer = 5;
	s = open_server(&lim, &l);
	if (!s)
		return;
	for (int i = 0; i < 24; i++)
		idle[i] = dial(http_server_port(s), i % 2 ? "127.0.0.2" : NULL);
	usleep(300000);
	n = fetch(http_server_port(s), "GET /metrics HTTP/1.0\r\n\r\n", resp,
		  sizeof(resp));
	CHECK(n > 0 && strstr(resp, "200 OK"),
	      "a scrape is served while 24 idle connections wait");
	CHECK(http_server_peak_conns(s) <= 8,
	      "at most max_conns open at once: peak %d",
	      http_server_peak_conns(s));
	{
		int closed = 0;

		for (int i = 0; i < 24; i++) {
			char b;
			ssize_t r = idle[i] >= 0 ?
					    recv(idle[i], &b, 1, MSG_DONTWAIT) :
					    1;

			closed += !r || (r < 0 && errno != EAGAIN);
			close(idle[i]);
		}
		CHECK(closed >= 24 - 8,
		      "the oldest idle connections were evicted: %d of 24",
		      closed);
	}
	close_server(s, &l);
}

/* A client mid-request outlives silent ones that came after it. */
static void check_eviction_order(void)
{
	struct http_limits lim = HTTP_LIMITS_DEFAULT;
	char resp[4096];
	struct http_server *s;
	struct loop l;
	int part, idle[10], n;

	lim.max_per_peer = 4;
	s = open_server(&lim, &l);
	if (!s)
		return;
	part = dial(http_server_port(s), NULL);
	send(part, "GET /metr", 9, MSG_NOSIGNAL);
	usleep(100000);
	for (int i = 0; i < 10; i++)
		idle[i] = dial(http_server_port(s), NULL);
	usleep(200000);
	send(part, "ics HTTP/1.0\r\n\r\n", 17, MSG_NOSIGNAL);
	n = read_all(part, resp, sizeof(resp), 5);
	CHECK(n > 0 && strstr(resp, "200 OK"),
	      "a request under way is not evicted by 10 silent connections: %d %.40s",
	      n, n > 0 ? resp : "");
	close(part);
	for (int i = 0; i < 10; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	close_server(s, &l);
}

/* EMFILE: accept() keeps failing while the connection stays queued. The
 * server must back off, not spin: a child at its descriptor limit. */
static void check_emfile(void)
{
	struct rusage ru;
	int to_parent[2], status, c = -1;
	unsigned short port = 0;
	double cpu = -1;
	pid_t pid;

	if (pipe(to_parent))
		return;
	pid = fork();
	if (pid == 0) {
		char err[256];
		struct http_server *s = http_server_open(
			"127.0.0.1:0", NULL, NULL, err, sizeof(err));
		struct rlimit rl;
		int fd;

		if (!s || http_server_start(s))
			_exit(2);
		port = http_server_port(s);
		/* No descriptor left for accept(). */
		fd = dup(0);
		rl.rlim_cur = rl.rlim_max = fd;
		close(fd);
		if (setrlimit(RLIMIT_NOFILE, &rl))
			_exit(3);
		(void)!write(to_parent[1], &port, sizeof(port));
		sleep(2);
		getrusage(RUSAGE_SELF, &ru);
		cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		      ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
		(void)!write(to_parent[1], &cpu, sizeof(cpu));
		_exit(0);
	}
	if (read(to_parent[0], &port, sizeof(port)) == sizeof(port))
		c = dial(port, NULL);
	if (read(to_parent[0], &cpu, sizeof(cpu)) != sizeof(cpu))
		cpu = -1;
	waitpid(pid, &status, 0);
	if (c >= 0)
		close(c);
	CHECK(c >= 0 && cpu >= 0 && cpu < 0.2,
	      "EMFILE: %.3f s of CPU in 2 s with a connection queued", cpu);
	close(to_parent[0]);
	close(to_parent[1]);
}

/* issue 9, item 8: scrapes at 5/s while 20 idle connections a second
 * arrive, for LOAD_SECONDS, against the production limits; the fake loop
 * reports every 0.1 s. Counts must hold; the timing goals are printed
 * (a shared host can miss them without the server being at fault). */
#define LOAD_SECONDS 6
static void check_load(void)
{
	enum { SCRAPES = LOAD_SECONDS * 5, IDLE = LOAD_SECONDS * 20 };
	static char resp[1 << 16];
	static int idle[IDLE];
	double worst = 0, t0;
	struct http_server *s;
	struct loop l;
	int ok = 0, within = 0, nidle = 0, peak, base_ticks, base_over;
	double base_max, cpu;

	s = open_server(NULL, &l);
	if (!s)
		return;
	/* The same loop without clients first: what the host alone costs. */
	usleep(LOAD_SECONDS * 1000000);
	pthread_mutex_lock(&l.m);
	base_ticks = l.ticks;
	base_max = l.late_max;
	base_over = l.over_50ms;
	l.ticks = l.over_50ms = 0;
	l.late_max = l.late_sum = 0;
	pthread_mutex_unlock(&l.m);
	t0 = monotonic_s();
	for (int tick = 0; tick < LOAD_SECONDS * 20; tick++) {
		double due = t0 + tick * 0.05, now = monotonic_s();

		if (due > now)
			usleep((useconds_t)((due - now) * 1e6));
		/* One idle connection per 50 ms: half silent, half a byte. */
		idle[nidle] = dial(http_server_port(s), NULL);
		if (idle[nidle] >= 0 && nidle % 2)
			send(idle[nidle], "G", 1, MSG_NOSIGNAL);
		nidle++;
		if (tick % 4 == 0) { /* a scrape per 200 ms */
			double start = monotonic_s();
			int n = fetch(
				http_server_port(s),
				"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
				resp, sizeof(resp));
			double took = monotonic_s() - start;

			ok += n > 0 && !strncmp(resp, "HTTP/1.0 200 OK", 15);
			within += n > 0 && took <= 1.0;
			if (took > worst)
				worst = took;
		}
	}
	peak = http_server_peak_conns(s);
	cpu = server_cpu();
	close_server(s, &l);
	for (int i = 0; i < nidle; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	printf("# load: %d scrapes at 5/s, %d idle connections at 20/s, %d s: "
	       "%d answered 200, %.1f%% within 1 s (goal >= 99%%), slowest %.1f ms; "
	       "interval reports: %d, late by %.1f ms at most (%d over 50 ms), %.1f ms on average (goal <= 50 ms)\n",
	       SCRAPES, IDLE, LOAD_SECONDS, ok, 100.0 * within / SCRAPES,
	       worst * 1e3, l.ticks, l.late_max * 1e3, l.over_50ms,
	       l.ticks ? l.late_sum / l.ticks * 1e3 : 0.0);
	printf("# load: the same loop with no client, %d s before: %d interval reports, late by %.1f ms at most (%d over 50 ms); the server thread used %.2f s of CPU in all\n",
	       LOAD_SECONDS, base_ticks, base_max * 1e3, base_over, cpu);
	printf("# load goals: scrapes %s, interval reports %s\n",
	       within * 100 >= SCRAPES * 99 ? "met" : "MISSED (busy host?)",
	       l.late_max <= 0.05 ? "met" : "MISSED (busy host?)");
	CHECK(ok == SCRAPES, "load: every scrape answered 200: %d of %d", ok,
	      SCRAPES);
	CHECK(l.ticks >= LOAD_SECONDS * 10 / 2,
	      "load: the loop kept reporting: %d of %d intervals", l.ticks,
	      LOAD_SECONDS * 10);
	CHECK(peak <= 16 + 1, "load: one peer held at most 16 connections: %d",
	      peak);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	/* First, while this process has one thread: a fork of a threaded
	 * process cannot start threads through libpsx's pthread_create
	 * wrapper (its bookkeeping is the parent's). */
	check_emfile();
	check_parser();
	check_listen();
	check_answers();
	check_reuse();
	check_stalled_loop();
	check_deadlines();
	check_limits();
	check_eviction_order();
	check_load();
	UNIT_EXIT();
}
