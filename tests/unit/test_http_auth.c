// SPDX-License-Identifier: GPL-2.0
/*
 * Basic auth of the metrics server (user/export/http_auth.c): the caches,
 * wrong passwords that must not starve a right one, unknown users that
 * cost what the dearest known user costs, checks off the server thread,
 * and SIGTERM during a check at the highest cost taken.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <openssl/evp.h>
#include "pmutrace_user.h"
#include "exporter.h"
#include "http_auth.h"
#include "webconfig.h"
#include "unit.h"
#include "http_client.h"
#include "thread_cpu.h"

/* The password of each is "secret" (Python's crypt.mksalt, then crypt). */
#define HASH10 "$2y$10$NGo0h3.UhI4aDmtW7DnsFObUQCoVWMvE794vaZ3.3m4WxW3HrBCSW"
#define HASH12 "$2b$12$VxVJ858J4WWTMD4oSpJALeLFdI2B4D2kuznPttDJIybpS26Z4Nu0S"
#define HASH16 "$2b$16$FPxL7W3JmbRfxTW/o/pxeOTwQaM5Okzo/bl0HAy1J5XYJhfHg/61m"
#define HASH18 "$2b$18$o4MBUNjOxpDIkxM31CYC4umjoVNMBXsvSXkzD27PFHh5.J3mNat.."

#define GOOD "Basic cHJvbWV0aGV1czpzZWNyZXQ=" /* prometheus:secret */
#define WRONG "Basic cHJvbWV0aGV1czp3cm9uZw==" /* prometheus:wrong */
#define SLOW_WRONG "Basic c2xvdzp3cm9uZw==" /* slow:wrong */
#define NOBODY "Basic bm9ib2R5OnNlY3JldA==" /* nobody:secret */

static struct web_config config(const char *yaml)
{
	struct web_config c;
	char err[256];

	CHECK(!web_config_parse(yaml, strlen(yaml), "/", &c, err, sizeof(err)),
	      "config: %s", err);
	return c;
}

/* A GET /metrics with auth (NULL: none). */
static const char *request(const char *auth, char *buf, size_t len)
{
	snprintf(buf, len, "GET /metrics HTTP/1.0\r\n%s%s%s\r\n",
		 auth ? "Authorization: " : "", auth ? auth : "",
		 auth ? "\r\n" : "");
	return buf;
}

static struct in6_addr addr6(int last)
{
	struct in6_addr a = { 0 };

	a.s6_addr[10] = a.s6_addr[11] = 0xff;
	a.s6_addr[12] = 127;
	a.s6_addr[15] = last;
	return a;
}

struct decided {
	int token;
	bool ok;
};

static void on_done(void *ctx, int token, bool ok)
{
	struct decided *d = ctx;

	d->token = token;
	d->ok = ok;
}

/* The check of a queued request, as the server thread takes it: -1 if
 * none came within 60 s, else its ok. */
static int wait_check(struct http_auth *a)
{
	struct decided d = { .token = -1 };
	double end = monotonic_s() + 60;

	while (d.token < 0 && monotonic_s() < end) {
		struct pollfd p = { .fd = http_auth_fd(a), .events = POLLIN };

		poll(&p, 1, 100);
		http_auth_run(a, monotonic_ns() / 1000000, on_done, &d);
	}
	return d.token < 0 ? -1 : d.ok;
}

/* The verifier threads of earlier servers end once their check has. */
static void wait_no_verifier(void)
{
	for (int i = 0; i < 600 && thread_cpu(0, "pmutrace-auth") >= 0; i++)
		usleep(100000);
}

static void check_caches(void)
{
	struct web_config c =
		config("basic_auth_users:\n  prometheus: " HASH10 "\n");
	struct http_auth *a = http_auth_new(&c, 4);
	struct in6_addr p = addr6(1);
	long long now = monotonic_ns() / 1000000;

	if (!a || http_auth_start(a))
		return;
	CHECK(http_auth_begin(a, GOOD, &p, 0, now) == HTTP_AUTH_QUEUED &&
		      wait_check(a) == 1,
	      "a password never seen: checked, then let through");
	CHECK(http_auth_begin(a, GOOD, &p, 0, now) == HTTP_AUTH_OK,
	      "the same password again: remembered, no check");
	CHECK(http_auth_begin(a, WRONG, &p, 1, now) == HTTP_AUTH_QUEUED &&
		      wait_check(a) == 0,
	      "a wrong password: checked, then refused");
	CHECK(http_auth_begin(a, WRONG, &p, 1, now) == HTTP_AUTH_DENIED,
	      "the same wrong password again: refused at once");
	CHECK(http_auth_begin(a, NULL, &p, 2, now) == HTTP_AUTH_DENIED &&
		      http_auth_begin(a, "Bearer x", &p, 2, now) ==
			      HTTP_AUTH_DENIED,
	      "no header, another scheme: refused at once");
	CHECK(http_auth_begin(a, GOOD, &p, 3, now) == HTTP_AUTH_OK,
	      "and the right password still passes after the failures");
	http_auth_free(a);
	CHECK(http_auth_begin(NULL, NULL, &p, 0, now) == HTTP_AUTH_OK,
	      "no users configured: open");
}

/* issue 20, item 4: a user of cost 12 beside one of cost 10; an unknown
 * user must cost the verifier what the cost-12 user does. CPU time, not
 * wall time: the host may be busy. */
static void check_unknown_cost(void)
{
	struct web_config c = config("basic_auth_users:\n  prometheus: " HASH10
				     "\n  slow: " HASH12 "\n");
	struct http_auth *a;
	struct in6_addr p1 = addr6(2), p2 = addr6(3);
	double cpu[3], wall[2];
	int r[2];

	wait_no_verifier();
	a = http_auth_new(&c, 4);
	if (!a || http_auth_start(a))
		return;
	usleep(50000); /* the thread is named */
	cpu[0] = thread_cpu(0, "pmutrace-auth");
	wall[0] = monotonic_s();
	http_auth_begin(a, SLOW_WRONG, &p1, 0, monotonic_ns() / 1000000);
	r[0] = wait_check(a);
	cpu[1] = thread_cpu(0, "pmutrace-auth");
	wall[0] = monotonic_s() - wall[0];
	wall[1] = monotonic_s();
	http_auth_begin(a, NOBODY, &p2, 1, monotonic_ns() / 1000000);
	r[1] = wait_check(a);
	cpu[2] = thread_cpu(0, "pmutrace-auth");
	wall[1] = monotonic_s() - wall[1];
	http_auth_free(a);
	printf("# a wrong password of a user of cost 12: %.0f ms (%.0f ms of CPU); an unknown user: %.0f ms (%.0f ms of CPU)\n",
	       wall[0] * 1e3, (cpu[1] - cpu[0]) * 1e3, wall[1] * 1e3,
	       (cpu[2] - cpu[1]) * 1e3);
	CHECK(r[0] == 0 && r[1] == 0 && cpu[0] >= 0 && cpu[1] - cpu[0] > 0.02,
	      "both refused after a check that used CPU: %d %d, %.3f s", r[0],
	      r[1], cpu[1] - cpu[0]);
	CHECK(cpu[2] - cpu[1] >= 0.5 * (cpu[1] - cpu[0]),
	      "an unknown user costs what the dearest user does: %.3f s of CPU against %.3f s",
	      cpu[2] - cpu[1], cpu[1] - cpu[0]);
}

struct attacker {
	unsigned short port;
	const char *from;
	bool stop;
	int sent, refused, busy;
	pthread_t t;
};

/* Wrong passwords, each new (so each needs a check), as fast as answered. */
static void *attack(void *arg)
{
	struct attacker *at = arg;
	unsigned char cred[64], b64[96];
	char req[256], resp[1024], auth[128];

	while (!__atomic_load_n(&at->stop, __ATOMIC_RELAXED)) {
		int len = snprintf((char *)cred, sizeof(cred),
				   "prometheus:wrong%d-%s", at->sent, at->from);
		int n;

		EVP_EncodeBlock(b64, cred, len);
		snprintf(auth, sizeof(auth), "Basic %s", b64);
		n = fetch_from(at->port, at->from,
			       request(auth, req, sizeof(req)), resp,
			       sizeof(resp), 30);
		at->sent++;
		at->refused += n > 0 && strstr(resp, " 401 ");
		at->busy += n > 0 && strstr(resp, " 429 ");
	}
	return NULL;
}

/* issue 20, item 1: two clients sending wrong passwords as fast as they
 * are answered; the right client, new to the server each time (a restart,
 * a new Prometheus), must get 200 on every scrape. */
static void check_flood(void)
{
	struct web_config c =
		config("basic_auth_users:\n  prometheus: " HASH10 "\n");
	char req[256], resp[4096];
	int ok = 0, sent = 0, refused = 0, busy = 0;
	double worst = 0;

	for (int round = 0; round < 4; round++) {
		struct attacker at[2] = { { .from = "127.0.0.2" },
					  { .from = "127.0.0.3" } };
		struct http_limits lim = HTTP_LIMITS_DEFAULT;
		struct http_server *s;

		lim.reuse_ms = 3600 * 1000;
		s = open_server_wc(&c, &lim, NULL);
		if (!s)
			return;
		http_server_publish(s, strdup("m 1\n"), 4);
		for (int i = 0; i < 2; i++) {
			at[i].port = http_server_port(s);
			pthread_create(&at[i].t, NULL, attack, &at[i]);
		}
		usleep(500000); /* the checks of wrong passwords under way */
		for (int i = 0; i < 5; i++) {
			double t0 = monotonic_s();
			int n = fetch_from(http_server_port(s), "127.0.0.1",
					   request(GOOD, req, sizeof(req)),
					   resp, sizeof(resp), 30);

			ok += n > 0 && strstr(resp, " 200 OK");
			if (monotonic_s() - t0 > worst)
				worst = monotonic_s() - t0;
		}
		for (int i = 0; i < 2; i++) {
			__atomic_store_n(&at[i].stop, true, __ATOMIC_RELAXED);
			pthread_join(at[i].t, NULL);
			sent += at[i].sent;
			refused += at[i].refused;
			busy += at[i].busy;
		}
		http_server_stop(s);
	}
	printf("# wrong-password flood: %d requests from 2 addresses (%d refused with 401, %d with 429); the right password, new to each of 4 servers: %d of 20 scrapes 200, slowest %.0f ms\n",
	       sent, refused, busy, ok, worst * 1e3);
	CHECK(sent >= 8 && refused + busy == sent,
	      "the flood ran: %d wrong passwords, each refused: %d with 401, %d with 429",
	      sent, refused, busy);
	CHECK(ok == 20,
	      "the right password under a wrong-password flood: %d of 20 scrapes 200",
	      ok);
}

/* issue 20, item 3: a check of cost 16 (seconds) in flight; a client
 * whose password is remembered is answered meanwhile. */
static void check_off_thread(void)
{
	struct web_config c = config("basic_auth_users:\n  prometheus: " HASH10
				     "\n  slow: " HASH16 "\n");
	char req[256], resp[4096];
	struct http_server *s;
	struct http_limits lim = HTTP_LIMITS_DEFAULT;
	struct pollfd p = { .events = POLLIN };
	int ok = 0, first;

	lim.reuse_ms = 3600 * 1000;
	lim.write_ms = 120 * 1000;
	s = open_server_wc(&c, &lim, NULL);
	if (!s)
		return;
	http_server_publish(s, strdup("m 1\n"), 4);
	first = fetch_from(http_server_port(s), NULL,
			   request(GOOD, req, sizeof(req)), resp, sizeof(resp),
			   30) > 0 &&
		strstr(resp, " 200 OK");
	p.fd = dial_from(http_server_port(s), "127.0.0.2");
	request(SLOW_WRONG, req, sizeof(req));
	if (p.fd >= 0)
		send(p.fd, req, strlen(req), MSG_NOSIGNAL);
	usleep(300000);
	for (int i = 0; i < 5; i++)
		ok += fetch_from(http_server_port(s), NULL,
				 request(GOOD, req, sizeof(req)), resp,
				 sizeof(resp), 120) > 0 &&
		      strstr(resp, " 200 OK");
	CHECK(first && p.fd >= 0 && poll(&p, 1, 0) == 0 && ok == 5,
	      "a cost-16 check in flight: the remembered password got %d of 5 scrapes 200 before it ended (first login %d)",
	      ok, first);
	if (p.fd >= 0)
		close(p.fd);
	/* The check goes on in its thread; this process ends before it. */
	http_server_stop(s);
}

/* A request still queued at its deadline (a cost-16 check ahead of it)
 * is answered 503, neither let in nor refused. */
static void check_late(void)
{
	struct web_config c = config("basic_auth_users:\n  prometheus: " HASH10
				     "\n  slow: " HASH16 "\n");
	struct http_limits lim = HTTP_LIMITS_DEFAULT;
	char req[256], resp[4096];
	struct http_server *s;
	int slow, n;

	lim.write_ms = 500;
	s = open_server_wc(&c, &lim, NULL);
	if (!s)
		return;
	slow = dial_from(http_server_port(s), "127.0.0.2");
	request(SLOW_WRONG, req, sizeof(req));
	if (slow >= 0)
		send(slow, req, strlen(req), MSG_NOSIGNAL);
	usleep(100000);
	n = fetch_from(http_server_port(s), "127.0.0.3",
		       request(GOOD, req, sizeof(req)), resp, sizeof(resp), 30);
	CHECK(n > 0 && strstr(resp, " 503 ") && strstr(resp, "Retry-After: 1"),
	      "a password still queued at its deadline: 503 with Retry-After: %.40s",
	      n > 0 ? resp : "");
	if (slow >= 0)
		close(slow);
	http_server_stop(s);
}

static volatile sig_atomic_t term;

static void on_term(int sig)
{
	(void)sig;
	term = 1;
}

/* The exporter as main.c runs it, until SIGTERM: then exporter_close()
 * and exit(), as run() and main() do. */
static void sigterm_child(const char *yaml_path, int to_parent)
{
	struct sigaction sa = { .sa_handler = on_term };
	struct options o = { .prometheus = "127.0.0.1:0",
			     .web_config = yaml_path };
	struct exporter x;
	unsigned short port;

	sigaction(SIGTERM, &sa, NULL);
	if (exporter_open(&x, &o) || exporter_start(&x))
		_exit(2);
	port = http_server_port(x.server);
	(void)!write(to_parent, &port, sizeof(port));
	while (!term)
		exporter_wait(&x, 0.2);
	exporter_close(&x);
	exit(0);
}

/* issue 20, item 3: SIGTERM while a check of the highest cost taken (18:
 * a minute here) is in flight ends the process within a second. Forked
 * while this process has one thread (libpsx's pthread_create wrapper). */
static void check_sigterm(void)
{
	char dir[] = "/tmp/pmutrace-auth-XXXXXX", path[64], req[256];
	unsigned short port = 0;
	int fds[2], status = -1, c = -1;
	double cpu = -1, took = -1, t0;
	pid_t pid, done = 0;
	FILE *f;

	if (!mkdtemp(dir) || pipe(fds))
		return;
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "basic_auth_users:\n  slow: " HASH18 "\n");
	fclose(f);
	chmod(path, 0600);
	pid = fork();
	if (pid == 0)
		sigterm_child(path, fds[1]);
	if (pid > 0 && read(fds[0], &port, sizeof(port)) == sizeof(port) &&
	    (c = dial_from(port, "127.0.0.2")) >= 0) {
		request(SLOW_WRONG, req, sizeof(req));
		send(c, req, strlen(req), MSG_NOSIGNAL);
		/* In flight once the verifier has used some CPU. */
		for (int i = 0; i < 100 && cpu < 0.2; i++) {
			usleep(100000);
			cpu = thread_cpu(pid, "pmutrace-auth");
		}
		kill(pid, SIGTERM);
		t0 = monotonic_s();
		while (!done && monotonic_s() - t0 < 10) {
			done = waitpid(pid, &status, WNOHANG);
			usleep(5000);
		}
		took = monotonic_s() - t0;
	}
	if (pid > 0 && !done) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (c >= 0)
		close(c);
	printf("# SIGTERM with a cost-18 check in flight (%.1f s of its CPU so far): exited after %.0f ms\n",
	       cpu, took * 1e3);
	CHECK(cpu >= 0.2 && done == pid && WIFEXITED(status) &&
		      !WEXITSTATUS(status) && took < 1.0,
	      "SIGTERM during a cost-18 check: exit 0 within 1 s: check CPU %.2f s, %s after %.3f s",
	      cpu, done ? "exited" : "still running", took);
	close(fds[0]);
	close(fds[1]);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	check_sigterm(); /* first: it forks */
	check_caches();
	check_unknown_cost();
	check_flood();
	/* Last: their checks go on until exit. */
	check_off_thread();
	check_late();
	UNIT_EXIT();
}
