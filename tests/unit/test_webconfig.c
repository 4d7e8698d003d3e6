// SPDX-License-Identifier: GPL-2.0
/*
 * --web-config (user/export/webconfig.c): the exporter-toolkit subset,
 * strictly, with a cap on the bcrypt cost and on the nesting; the files it
 * names (regular files only, a warning for loose modes); and the server
 * over TLS with certificates made by openssl(1) at test time: 200 with
 * the password, 401 without, nothing for plaintext. Basic auth itself is
 * test_http_auth.c.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <openssl/ssl.h>
#include "atomic_file.h"
#include "pmutrace_user.h"
#include "webconfig.h"
#include "http_server.h"
#include "unit.h"
#include "http_client.h"
#include "thread_cpu.h"

/* htpasswd -nbBC 10 prometheus secret */
#define HASH "$2y$10$NGo0h3.UhI4aDmtW7DnsFObUQCoVWMvE794vaZ3.3m4WxW3HrBCSW"
/* Cost 18, the cap, and the same with costs 19 and 31 written in. */
#define HASH_SALT "$o4MBUNjOxpDIkxM31CYC4umjoVNMBXsvSXkzD27PFHh5.J3mNat.."
#define HASH18 "$2b$18" HASH_SALT

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
		{ "basic_auth_users:\n  u: $2b$19" HASH_SALT "\n",
		  "bcrypt cost 19, above the most pmutrace takes, 18" },
		{ "basic_auth_users:\n  u: $2y$31" HASH_SALT "\n",
		  "bcrypt cost 31" },
		{ "basic_auth_users:\n  u: $2y$00" HASH_SALT "\n",
		  "not a bcrypt hash" },
		{ "basic_auth_users: [[[[[[[[[]]]]]]]]]\n", "nested deeper" },
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
	CHECK(!parse("basic_auth_users:\n  a: " HASH "\n  b: " HASH18 "\n", &c,
		     err, sizeof(err)) &&
		      c.max_cost == 18,
	      "cost 18, the cap, taken; the dearest cost kept: %d %s",
	      c.max_cost, err);
	{
		static char deep[WEB_CONFIG_MAX_BYTES];
		clock_t t0 = clock();
		int ret;

		memset(deep, '[', sizeof(deep));
		ret = web_config_parse(deep, sizeof(deep), "/", &c, err,
				       sizeof(err));
		printf("# 64 KiB of nested '[': refused in %.1f ms of CPU\n",
		       (double)(clock() - t0) * 1e3 / CLOCKS_PER_SEC);
		CHECK(ret == -EINVAL && strstr(err, "nested deeper than 8"),
		      "64 KiB of nested '[' refused for its nesting: %s", err);
	}
	CHECK(web_config_load("/nonexistent/web.yml", &c, err, sizeof(err)) ==
			      -ENOENT &&
		      strstr(err, strerror(ENOENT)),
	      "a missing file: ENOENT, said: %s", err);
}

/* Each refusal of a file says its own reason: a FIFO is not a regular file,
 * with a code of its own (-EINVAL is a config's wrong content), and an
 * EINVAL of read() is said as such, not taken for a FIFO. pagemap is a
 * regular file whose read() of a length not a multiple of 8 is EINVAL. */
static void check_file_codes(const char *dir)
{
	const char *pagemap = "/proc/self/pagemap";
	struct web_config c;
	char path[PATH_MAX], err[256];
	int ret;

	snprintf(path, sizeof(path), "%s/codes.yml", dir);
	mkfifo(path, 0600);
	ret = web_config_load(path, &c, err, sizeof(err));
	CHECK(ret == -ATOMIC_FILE_NOT_REGULAR &&
		      !strcmp(err, "not a regular file"),
	      "a FIFO: its own code (%d), said: %s", ret, err);
	unlink(path);
	if (access(pagemap, R_OK)) {
		SKIP("no %s to read", pagemap);
		return;
	}
	ret = web_config_load(pagemap, &c, err, sizeof(err));
	CHECK(ret == -EINVAL && !strcmp(err, strerror(EINVAL)),
	      "EINVAL of read(): said as it is (%d): %s", ret, err);
}

static void check_tls(const char *dir)
{
	char yaml[1024], resp[4096], err[512];
	struct http_limits lim = HTTP_LIMITS_DEFAULT;
	struct web_config c;
	struct http_server *s;
	SSL_CTX *ctx;
	int n, fd;

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
		return;
	http_server_publish(s, strdup("m 1\n"), 4);
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_load_verify_locations(
		ctx, strcat(strcpy(err, dir), "/cert.pem"), NULL);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	n = tls_fetch_from(ctx, http_server_port(s), NULL,
			   "GET /metrics HTTP/1.1\r\nAuthorization: Basic "
			   "cHJvbWV0aGV1czpzZWNyZXQ=\r\n\r\n",
			   resp, sizeof(resp), 30);
	CHECK(n > 0 && strstr(resp, "HTTP/1.0 200 OK") &&
		      strstr(resp, "\r\n\r\nm 1\n"),
	      "HTTPS with the password: 200 (%d bytes)", n);
	n = tls_fetch_from(ctx, http_server_port(s), NULL,
			   "GET /metrics HTTP/1.1\r\nAuthorization: Basic "
			   "cHJvbWV0aGV1czp3cm9uZw==\r\n\r\n",
			   resp, sizeof(resp), 30);
	CHECK(n > 0 && strstr(resp, "HTTP/1.0 401 Unauthorized") &&
		      strstr(resp,
			     "\r\nWWW-Authenticate: Basic realm=\"pmutrace\"\r\n"),
	      "HTTPS with a wrong password: 401 with WWW-Authenticate");
	n = tls_fetch_from(ctx, http_server_port(s), NULL,
			   "GET / HTTP/1.0\r\n\r\n", resp, sizeof(resp), 30);
	CHECK(n > 0 && strstr(resp, "HTTP/1.0 401 "), "no password: 401");
	{
		double cpu0 = server_cpu(), t0 = monotonic_s();
		int good = 0;

		for (int i = 0; i < 20; i++)
			good += tls_fetch_from(
					ctx, http_server_port(s), NULL,
					"GET /metrics HTTP/1.1\r\nAuthorization: Basic "
					"cHJvbWV0aGV1czpzZWNyZXQ=\r\n\r\n",
					resp, sizeof(resp), 30) > 0 &&
				strstr(resp, " 200 ");
		printf("# TLS: %d of 20 HTTPS scrapes (a handshake each, the password remembered): %.1f ms of server CPU and %.1f ms each\n",
		       good, (server_cpu() - cpu0) * 1e3 / 20,
		       (monotonic_s() - t0) * 1e3 / 20);
	}
	fd = dial_from(http_server_port(s), NULL);
	if (fd >= 0) {
		struct timeval tv = { .tv_sec = 5 };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
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
}

/* What f(dir) wrote on stderr, in out. */
static void stderr_of(void (*f)(const char *, char *, size_t), const char *dir,
		      char *out, size_t len, char *err, size_t errlen)
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n = 0;

	fflush(stderr);
	if (tmp && saved >= 0 && dup2(fileno(tmp), 2) >= 0) {
		f(dir, err, errlen);
		fflush(stderr);
		dup2(saved, 2);
		rewind(tmp);
		n = fread(out, 1, len - 1, tmp);
	}
	out[n] = '\0';
	if (tmp)
		fclose(tmp);
	if (saved >= 0)
		close(saved);
}

/* A server with the TLS files of dir (never started): err says why not. */
static void open_tls(const char *dir, char *err, size_t errlen)
{
	static const char yaml[] =
		"tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n";
	struct http_server *s = NULL;
	struct web_config c;

	*err = '\0';
	if (!web_config_parse(yaml, strlen(yaml), dir, &c, err, errlen))
		s = http_server_open("127.0.0.1:0", &c, NULL, err, errlen);
	http_server_stop(s);
}

static void load_config(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct web_config c;

	*err = '\0';
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	web_config_load(path, &c, err, errlen);
}

/* What opening the file whose name ends as name says, in a child: a FIFO
 * must be refused, never waited for (alarm: a hang fails). */
static void refused_file(const char *dir, const char *name, const char *why)
{
	char yaml[PATH_MAX + 128], err[512] = "", path[PATH_MAX];
	int fds[2], status = -1;
	struct web_config c;
	ssize_t n = -1;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(yaml, sizeof(yaml),
		 "tls_server_config:\n  cert_file: %s\n  key_file: %s\n",
		 strstr(name, "key") ? "cert.pem" : name,
		 strstr(name, "key") ? name : "key.pem");
	if (pipe(fds))
		return;
	pid = fork();
	if (pid == 0) {
		alarm(10);
		if (!strcmp(name, "fifo.yml"))
			web_config_load(path, &c, err, sizeof(err));
		else if (!web_config_parse(yaml, strlen(yaml), dir, &c, err,
					   sizeof(err)))
			http_server_stop(http_server_open(
				"127.0.0.1:0", &c, NULL, err, sizeof(err)));
		(void)!write(fds[1], err, strlen(err) + 1);
		_exit(0);
	}
	close(fds[1]);
	if (pid > 0) {
		n = read(fds[0], err, sizeof(err) - 1);
		waitpid(pid, &status, 0);
	}
	err[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	CHECK(WIFEXITED(status) && strstr(err, why) && !strchr(err, '\n'),
	      "%s refused at once with '%s': %s%s", name, why, err,
	      WIFSIGNALED(status) ? "killed: it hung" : "");
}

/* issue 20, item 6: regular files only; loose modes said, as sshd does. */
static void check_files(const char *dir)
{
	char path[PATH_MAX], out[2048], err[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/fifo.pem", dir);
	mkfifo(path, 0600);
	snprintf(path, sizeof(path), "%s/fifo.key", dir);
	mkfifo(path, 0600);
	snprintf(path, sizeof(path), "%s/fifo.yml", dir);
	mkfifo(path, 0600);
	snprintf(path, sizeof(path), "%s/dir.key", dir);
	mkdir(path, 0700);
	refused_file(dir, "fifo.pem", "cert_file");
	refused_file(dir, "fifo.pem", "not a regular file");
	refused_file(dir, "fifo.key", "key_file");
	refused_file(dir, "fifo.key", "not a regular file");
	refused_file(dir, "missing.key", strerror(ENOENT));
	refused_file(dir, "dir.key", strerror(EISDIR));
	refused_file(dir, "fifo.yml", "not a regular file");

	snprintf(path, sizeof(path), "%s/key.pem", dir);
	chmod(path, 0644);
	stderr_of(open_tls, dir, out, sizeof(out), err, sizeof(err));
	CHECK(!*err && strstr(out, "warning: --web-config key_file ") &&
		      strstr(out, "can be read by other users (mode 0644)") &&
		      !strchr(strchr(out, '\n') + 1, '\n'),
	      "a key readable by all: one warning line: %s", out);
	chmod(path, 0600);
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	chmod(path, 0666);
	stderr_of(open_tls, dir, out, sizeof(out), err, sizeof(err));
	CHECK(!*err && strstr(out, "cert_file") &&
		      strstr(out, "can be written by other users") &&
		      !strstr(out, "key_file"),
	      "a certificate writable by all: a warning: %s", out);
	chmod(path, 0644);
	stderr_of(open_tls, dir, out, sizeof(out), err, sizeof(err));
	CHECK(!*err && !*out, "key 0600, certificate 0644: no warning: '%s' %s",
	      out, err);

	snprintf(path, sizeof(path), "%s/web.yml", dir);
	f = fopen(path, "w");
	if (f) {
		fputs("basic_auth_users:\n  prometheus: " HASH "\n", f);
		fclose(f);
	}
	chmod(path, 0666);
	stderr_of(load_config, dir, out, sizeof(out), err, sizeof(err));
	CHECK(!*err && strstr(out, "warning: --web-config ") &&
		      strstr(out, "can be read and written by other users"),
	      "a web config writable by all: a warning: %s %s", out, err);
	chmod(path, 0640);
	stderr_of(load_config, dir, out, sizeof(out), err, sizeof(err));
	CHECK(!*err && !*out, "a web config 0640: no warning: '%s' %s", out,
	      err);
}

int main(void)
{
	char dir[] = "/tmp/pmutrace-tls-XXXXXX", cmd[64];

	check_parse();
	if (!mkdtemp(dir) || !make_cert(dir)) {
		SKIP("TLS and file tests: openssl(1) could not make a certificate");
		UNIT_EXIT();
	}
	check_tls(dir);
	check_files(dir);
	check_file_codes(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
	UNIT_EXIT();
}
