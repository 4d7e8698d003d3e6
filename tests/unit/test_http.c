// SPDX-License-Identifier: GPL-2.0
/*
 * The metrics server (user/export/http_server.c, http_conn.c,
 * http_request.c): the request parser, answers, HEAD, deadlines, connection
 * limits, and the open-file limit (EMFILE). The load test is
 * test_http_load.c.
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
#include "http_client.h"

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
	c = dial_from(http_server_port(s), NULL);
	t0 = monotonic_s();
	n = read_all(c, resp, sizeof(resp), 5);
	took = monotonic_s() - t0;
	CHECK(n == 0 && took >= 0.25 && took < 5,
	      "silent client closed after %.3f s (head_ms 0.3 s)", took);
	close(c);
	/* One byte every 100 ms: the deadline is for the whole head. */
	c = dial_from(http_server_port(s), NULL);
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
	c = dial_from(http_server_port(s), NULL);
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
		idle[i] = dial_from(http_server_port(s),
				    i % 2 ? "127.0.0.2" : NULL);
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

/* A client mid-request outlives silent ones that came after it (60 ms
 * apart: a silent connection is only spared for its first 50 ms, in case
 * its request is on the way), within the second before it is stale. */
static void check_eviction_order(void)
{
	struct http_limits lim = HTTP_LIMITS_DEFAULT;
	char resp[4096];
	struct http_server *s;
	struct loop l;
	int part, idle[6], n;

	lim.max_per_peer = 4;
	s = open_server(&lim, &l);
	if (!s)
		return;
	part = dial_from(http_server_port(s), NULL);
	send(part, "GET /metr", 9, MSG_NOSIGNAL);
	for (int i = 0; i < 6; i++) {
		usleep(60000);
		idle[i] = dial_from(http_server_port(s), NULL);
	}
	usleep(60000);
	send(part, "ics HTTP/1.0\r\n\r\n", 17, MSG_NOSIGNAL);
	n = read_all(part, resp, sizeof(resp), 5);
	CHECK(n > 0 && strstr(resp, "200 OK"),
	      "a request under way is not evicted by 6 silent connections: %d %.40s",
	      n, n > 0 ? resp : "");
	close(part);
	for (int i = 0; i < 6; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	close_server(s, &l);
}

/* A server in a child process with spare descriptors beyond those it
 * has (the reserve among them), a body published and reused for an hour,
 * and head_ms; it writes its port, then after 3 s its CPU time, to fds[1].
 * Forked while this process has one thread: a fork of a threaded process
 * cannot start threads through libpsx's pthread_create wrapper (its
 * bookkeeping is the parent's). */
static pid_t emfile_server(int spare, int head_ms, int fds[2])
{
	struct http_limits lim = HTTP_LIMITS_DEFAULT;
	struct http_server *s;
	struct rusage ru;
	struct rlimit rl;
	unsigned short port;
	char err[256];
	double cpu;
	pid_t pid;
	int fd;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid)
		return pid;
	lim.head_ms = head_ms;
	lim.reuse_ms = 3600 * 1000;
	s = http_server_open("127.0.0.1:0", NULL, &lim, err, sizeof(err));
	if (!s || http_server_start(s))
		_exit(2);
	http_server_publish(s, strdup("m 1\n"), 4);
	port = http_server_port(s);
	fd = dup(0); /* the lowest free descriptor */
	rl.rlim_cur = rl.rlim_max = fd + spare;
	close(fd);
	if (setrlimit(RLIMIT_NOFILE, &rl))
		_exit(3);
	(void)!write(fds[1], &port, sizeof(port));
	sleep(3);
	getrusage(RUSAGE_SELF, &ru);
	cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	      ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	(void)!write(fds[1], &cpu, sizeof(cpu));
	_exit(0);
}

static double emfile_done(pid_t pid, int fds[2])
{
	double cpu;
	int status;

	if (read(fds[0], &cpu, sizeof(cpu)) != sizeof(cpu))
		cpu = -1;
	waitpid(pid, &status, 0);
	close(fds[0]);
	close(fds[1]);
	return cpu;
}

/* EMFILE with every descriptor taken by something else: accept() fails
 * with the connection queued. The reserve descriptor is given up for it,
 * and the server does not spin. */
static void check_emfile(void)
{
	unsigned short port = 0;
	char resp[4096];
	double cpu;
	int fds[2], n = -1;
	pid_t pid = emfile_server(0, 5000, fds);

	if (pid < 0)
		return;
	if (read(fds[0], &port, sizeof(port)) == sizeof(port))
		n = fetch_from(port, NULL, "GET /metrics HTTP/1.0\r\n\r\n",
			       resp, sizeof(resp), 5);
	cpu = emfile_done(pid, fds);
	CHECK(n > 0 && strstr(resp, " 200 OK"),
	      "EMFILE, no descriptor to spare: the scrape is answered (the reserve): %d %.40s",
	      n, n > 0 ? resp : "");
	CHECK(cpu >= 0 && cpu < 0.2,
	      "EMFILE: %.3f s of CPU in 3 s at the descriptor limit", cpu);
}

/* issue 20, item 5: idle connections hold every descriptor the server
 * may open, for head_ms 30 s; a scrape must not wait for them. */
static void check_emfile_idle(void)
{
	unsigned short port = 0;
	char resp[4096];
	double worst = 0;
	int fds[2], idle[10], ok = 0, nidle = 0;
	pid_t pid = emfile_server(4, 30000, fds);

	if (pid < 0)
		return;
	if (read(fds[0], &port, sizeof(port)) == sizeof(port)) {
		for (int i = 0; i < 10; i++)
			if ((idle[nidle] = dial_from(port, "127.0.0.2")) >= 0)
				nidle++;
		usleep(300000);
		for (int i = 0; i < 3; i++) {
			double t0 = monotonic_s();
			int n = fetch_from(port, NULL,
					   "GET /metrics HTTP/1.0\r\n\r\n",
					   resp, sizeof(resp), 5);

			ok += n > 0 && strstr(resp, " 200 OK");
			if (monotonic_s() - t0 > worst)
				worst = monotonic_s() - t0;
		}
	}
	emfile_done(pid, fds);
	for (int i = 0; i < nidle; i++)
		close(idle[i]);
	CHECK(nidle == 10, "EMFILE: 10 idle connections opened: %d", nidle);
	CHECK(ok == 3,
	      "EMFILE, 10 idle connections for 4 descriptors: %d of 3 scrapes answered within 5 s (slowest %.3f s; head_ms is 30 s)",
	      ok, worst);
	printf("# EMFILE: 3 scrapes past 10 idle connections at a limit of 4 spare descriptors: slowest %.1f ms\n",
	       worst * 1e3);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	/* First, while this process has one thread: a fork of a threaded
	 * process cannot start threads through libpsx's pthread_create
	 * wrapper (its bookkeeping is the parent's). */
	check_emfile();
	check_emfile_idle();
	check_parser();
	check_listen();
	check_answers();
	check_reuse();
	check_stalled_loop();
	check_deadlines();
	check_limits();
	check_eviction_order();
	UNIT_EXIT();
}
