// SPDX-License-Identifier: GPL-2.0
/*
 * --web-config (user/export/webconfig.c): the exporter-toolkit subset,
 * strictly; bcrypt basic auth; and the server over TLS with certificates
 * made by openssl(1) at test time: 200 with the password, 401 without,
 * nothing for plaintext.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <openssl/ssl.h>
#include "pmutrace_user.h"
#include "webconfig.h"
#include "http_server.h"
#include "unit.h"
#include "thread_cpu.h"

/* htpasswd -nbBC 10 prometheus secret */
#define HASH "$2y$10$NGo0h3.UhI4aDmtW7DnsFObUQCoVWMvE794vaZ3.3m4WxW3HrBCSW"

static int parse(const char *yaml, struct web_config *c, char *err,
		 size_t errlen)
{
	return web_config_parse(yaml, strlen(yaml), "/etc/pmutrace", c, err,
				errlen);
}

static void check_parse(void)
{
	static const struct {
		const char *yaml, *why;
	} bad[] = {
		{ "", "empty" },
		{ "- a\n", "must be a mapping" },
		{ "tls_server_config:\n  cert_file: a\n",
		  "needs cert_file and key_file" },
		{ "basic_auth_users:\n  u: x\n", "not a bcrypt hash" },
		{ "basic_auth_users:\n  u: $1$abc$def\n", "not a bcrypt hash" },
		{ "basic_auth_users:\n  'a:b': " HASH "\n", "has ':'" },
		{ "basic_auth_users:\n  \"a\\nb\": " HASH "\n",
		  "control character" },
		{ "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: \"x\\ny\"\n",
		  "'x?y'" },
		{ "basic_auth_users:\n  u: " HASH "\n  u: " HASH "\n",
		  "given twice" },
		{ "basic_auth_users:\n  u: [" HASH "]\n", "must be a string" },
		{ "basic_auth_users: {}\n", "nothing to protect" },
		{ "http_server_config:\n  http2: false\n", "not supported" },
		{ "tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [x]\n",
		  "not supported" },
		{ "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Maybe\n",
		  "unknown client_auth_type" },
		{ "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n",
		  "needs client_ca_file" },
		{ "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n",
		  "without a client_auth_type" },
		{ "tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS10\n",
		  "give TLS12 or TLS13" },
		{ "tls_server_config:\n  cert_file: \"a\\0b\"\n  key_file: b\n",
		  "holds a NUL" },
		{ "tls_server_config: [\n", "line " },
		{ "basic_auth_users:\n  u: " HASH
		  "\nbasic_auth_users:\n  v: " HASH "\n",
		  "given twice" },
	};
	struct web_config c;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = parse(bad[i].yaml, &c, err, sizeof(err));

		CHECK(ret == -EINVAL && strstr(err, bad[i].why) &&
			      !strchr(err, '\n'),
		      "bad config %zu refused with '%s': %d '%s'", i,
		      bad[i].why, ret, err);
	}
	CHECK(!parse("tls_server_config:\n  cert_file: tls/c.pem\n"
		     "  key_file: /k.pem\n  client_ca_file: ca.pem\n"
		     "  client_auth_type: VerifyClientCertIfGiven\n"
		     "  min_version: TLS13\n"
		     "basic_auth_users:\n  prometheus: " HASH "\n"
		     "  \"other\": '$2b$10$NGo0h3.UhI4aDmtW7DnsFObUQCoVWMvE794vaZ3.3m4WxW3HrBCSW'\n",
		     &c, err, sizeof(err)) &&
		      c.tls &&
		      !strcmp(c.cert_file, "/etc/pmutrace/tls/c.pem") &&
		      !strcmp(c.key_file, "/k.pem") &&
		      !strcmp(c.client_ca_file, "/etc/pmutrace/ca.pem") &&
		      c.client_auth == WEB_VERIFY_CLIENT_CERT_IF_GIVEN &&
		      c.min_version == TLS1_3_VERSION && c.nusers == 2 &&
		      !strcmp(c.users[1].name, "other"),
	      "a full config: paths from the config's directory, two users: %s",
	      err);
	{
		char many[8192] = "basic_auth_users:\n";

		for (int i = 0; i <= WEB_MAX_USERS; i++)
			snprintf(many + strlen(many),
				 sizeof(many) - strlen(many),
				 "  u%d: " HASH "\n", i);
		CHECK(parse(many, &c, err, sizeof(err)) == -EINVAL &&
			      strstr(err, "more than"),
		      "more than %d users refused: %s", WEB_MAX_USERS, err);
	}
	CHECK(web_config_load("/nonexistent/web.yml", &c, err, sizeof(err)) ==
			      -ENOENT &&
		      strstr(err, strerror(ENOENT)),
	      "a missing file: ENOENT, said: %s", err);
}

static void check_auth(void)
{
	struct web_config c;
	struct web_auth a = { .c = &c };
	char err[256];
	double t0, first, again, wrong;

	CHECK(!parse("basic_auth_users:\n  prometheus: " HASH "\n", &c, err,
		     sizeof(err)),
	      "users only: %s", err);
	/* base64("prometheus:secret"), base64("prometheus:wrong") */
	t0 = monotonic_s();
	CHECK(web_auth_check(&a, "Basic cHJvbWV0aGV1czpzZWNyZXQ=") ==
		      WEB_AUTH_OK,
	      "the right password passes");
	first = monotonic_s() - t0;
	t0 = monotonic_s();
	CHECK(web_auth_check(&a, "Basic cHJvbWV0aGV1czpzZWNyZXQ=") ==
		      WEB_AUTH_OK,
	      "and again");
	again = monotonic_s() - t0;
	printf("# bcrypt cost 10: %.1f ms, then %.3f ms from the cache\n",
	       first * 1e3, again * 1e3);
	usleep((useconds_t)(first * 3e6) + 1000); /* past the bcrypt pause */
	t0 = monotonic_s();
	CHECK(web_auth_check(&a, "Basic cHJvbWV0aGV1czp3cm9uZw==") ==
		      WEB_AUTH_DENIED,
	      "a wrong password: denied");
	wrong = monotonic_s() - t0;
	CHECK(web_auth_check(&a, "Basic b3RoZXI6c2VjcmV0") == WEB_AUTH_BUSY,
	      "an unknown user right after: busy, no second bcrypt yet");
	CHECK(web_auth_check(&a, NULL) == WEB_AUTH_DENIED &&
		      web_auth_check(&a, "Bearer cHJvbWV0aGV1czpzZWNyZXQ=") ==
			      WEB_AUTH_DENIED,
	      "no header, other scheme: denied");
	CHECK(web_auth_check(&a, "Basic cHJvbWV0aGV1czpzZWNyZXQ=") ==
		      WEB_AUTH_OK,
	      "the cached password still passes while bcrypt pauses");
	/* The pause is 3 times the last check, which took at most wrong. */
	usleep((useconds_t)(wrong * 3e6) + 10000);
	CHECK(web_auth_check(&a, "Basic b3RoZXI6c2VjcmV0") == WEB_AUTH_DENIED,
	      "an unknown user, after the pause: denied");
	a.c = NULL;
	CHECK(web_auth_check(&a, NULL) == WEB_AUTH_OK,
	      "no users configured: open");
}

/* A self-signed certificate for 127.0.0.1 in dir; false without
 * openssl(1). */
static bool make_cert(const char *dir)
{
	char cmd[1024];

	snprintf(
		cmd, sizeof(cmd),
		"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
		"-nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
		"-keyout %s/key.pem -out %s/cert.pem >/dev/null 2>&1",
		dir, dir);
	return !system(cmd);
}

static int dial(unsigned short port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 5 };
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (c < 0)
		return -1;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(c, (struct sockaddr *)&a, sizeof(a))) {
		close(c);
		return -1;
	}
	return c;
}

/* One request over TLS; the answer in resp, or -1. */
static int tls_fetch_once(SSL_CTX *ctx, unsigned short port, const char *req,
			  char *resp, size_t len)
{
	int c = dial(port), got = 0, n;
	SSL *ssl = c >= 0 ? SSL_new(ctx) : NULL;

	if (!ssl || !SSL_set_fd(ssl, c) || SSL_connect(ssl) != 1 ||
	    SSL_write(ssl, req, strlen(req)) <= 0) {
		got = -1;
	} else {
		while ((size_t)got < len - 1 &&
		       (n = SSL_read(ssl, resp + got, len - 1 - got)) > 0)
			got += n;
		resp[got] = '\0';
	}
	SSL_free(ssl);
	if (c >= 0)
		close(c);
	return got;
}

/* As a client would: again after a 429 (the bcrypt pause), up to 20 s. */
static int tls_fetch(SSL_CTX *ctx, unsigned short port, const char *req,
		     char *resp, size_t len)
{
	int n;

	for (int i = 0; i < 40; i++) {
		n = tls_fetch_once(ctx, port, req, resp, len);
		if (n <= 0 || !strstr(resp, " 429 "))
			break;
		usleep(500000);
	}
	return n;
}

static void check_tls(void)
{
	char dir[] = "/tmp/pmutrace-tls-XXXXXX", yaml[1024], resp[4096],
	     err[512];
	struct http_limits lim = HTTP_LIMITS_DEFAULT;
	struct web_config c;
	struct http_server *s;
	SSL_CTX *ctx;
	int n, fd;

	if (!mkdtemp(dir) || !make_cert(dir)) {
		printf("skip TLS server test: openssl(1) could not make a certificate\n");
		return;
	}
	snprintf(
		yaml, sizeof(yaml),
		"tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
		"basic_auth_users:\n  prometheus: " HASH "\n");
	CHECK(!web_config_parse(yaml, strlen(yaml), dir, &c, err, sizeof(err)),
	      "TLS config: %s", err);
	/* No measurement loop here: the one body published stays fresh. */
	lim.reuse_ms = 3600 * 1000;
	s = http_server_open("127.0.0.1:0", &c, &lim, err, sizeof(err));
	CHECK(s && !http_server_start(s) && http_server_tls(s),
	      "TLS server: %s", s ? "started" : err);
	if (!s)
		goto out;
	http_server_publish(s, strdup("m 1\n"), 4);
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_load_verify_locations(
		ctx, strcat(strcpy(err, dir), "/cert.pem"), NULL);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	n = tls_fetch(ctx, http_server_port(s),
		      "GET /metrics HTTP/1.1\r\nAuthorization: Basic "
		      "cHJvbWV0aGV1czpzZWNyZXQ=\r\n\r\n",
		      resp, sizeof(resp));
	CHECK(n > 0 && strstr(resp, "HTTP/1.0 200 OK") &&
		      strstr(resp, "\r\n\r\nm 1\n"),
	      "HTTPS with the password: 200 (%d bytes)", n);
	n = tls_fetch(ctx, http_server_port(s),
		      "GET /metrics HTTP/1.1\r\nAuthorization: Basic "
		      "cHJvbWV0aGV1czp3cm9uZw==\r\n\r\n",
		      resp, sizeof(resp));
	CHECK(n > 0 && strstr(resp, "HTTP/1.0 401 Unauthorized") &&
		      strstr(resp,
			     "\r\nWWW-Authenticate: Basic realm=\"pmutrace\"\r\n"),
	      "HTTPS with a wrong password: 401 with WWW-Authenticate");
	n = tls_fetch(ctx, http_server_port(s), "GET / HTTP/1.0\r\n\r\n", resp,
		      sizeof(resp));
	CHECK(n > 0 && strstr(resp, "HTTP/1.0 401 "), "no password: 401");
	{
		double cpu0 = server_cpu(), t0 = monotonic_s();
		int good = 0;

		for (int i = 0; i < 20; i++)
			good += tls_fetch_once(
					ctx, http_server_port(s),
					"GET /metrics HTTP/1.1\r\nAuthorization: Basic "
					"cHJvbWV0aGV1czpzZWNyZXQ=\r\n\r\n",
					resp, sizeof(resp)) > 0 &&
				strstr(resp, " 200 ");
		printf("# TLS: %d of 20 HTTPS scrapes (a handshake each, the password remembered): %.1f ms of server CPU and %.1f ms each\n",
		       good, (server_cpu() - cpu0) * 1e3 / 20,
		       (monotonic_s() - t0) * 1e3 / 20);
	}
	fd = dial(http_server_port(s));
	n = fd >= 0 ? (int)send(fd, "GET /metrics HTTP/1.0\r\n\r\n", 25, 0) :
		      -1;
	n = n > 0 ? (int)recv(fd, resp, sizeof(resp) - 1, 0) : -1;
	if (n > 0)
		resp[n] = '\0';
	CHECK(n <= 0 || !strstr(resp, "HTTP/1.0"),
	      "plaintext to the TLS port gets no HTTP answer (%d bytes)", n);
	if (fd >= 0)
		close(fd);
	SSL_CTX_free(ctx);
	http_server_stop(s);

	/* The key of another certificate. */
	snprintf(
		yaml, sizeof(yaml),
		"tls_server_config:\n  cert_file: cert.pem\n  key_file: nokey.pem\n");
	web_config_parse(yaml, strlen(yaml), dir, &c, err, sizeof(err));
	s = http_server_open("127.0.0.1:0", &c, NULL, err, sizeof(err));
	CHECK(!s && strstr(err, "cannot use key_file") && !strchr(err, '\n'),
	      "a missing key file, said in one line: %s", err);
	http_server_stop(s);
out:
	snprintf(yaml, sizeof(yaml), "rm -rf %s", dir);
	(void)!system(yaml);
}

int main(void)
{
	check_parse();
	check_auth();
	check_tls();
	UNIT_EXIT();
}
