// SPDX-License-Identifier: GPL-2.0
/*
 * What the metrics server needs before its thread starts: the listening
 * socket and the TLS context of --web-config. Both fail in one line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include "http_setup.h"

int prom_parse_listen(const char *addr_port, struct sockaddr_storage *addr,
		      socklen_t *len)
{
	char host[INET6_ADDRSTRLEN];
	const char *end, *port;
	bool v6 = addr_port[0] == '[';
	size_t hlen;
	unsigned long p;

	if (v6) {
		end = strchr(addr_port, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		hlen = end - addr_port - 1;
		port = end + 2;
	} else {
		end = strrchr(addr_port, ':');
		if (!end)
			return -EINVAL;
		hlen = end - addr_port;
		port = end + 1;
		/* An unbracketed IPv6 address is ambiguous with the port. */
		if (memchr(addr_port, ':', hlen))
			return -EINVAL;
	}
	if (hlen >= sizeof(host) || (v6 && !hlen) || !*port ||
	    strlen(port) > 5 || strspn(port, "0123456789") != strlen(port))
		return -EINVAL;
	memcpy(host, addr_port + v6, hlen);
	host[hlen] = '\0';
	p = strtoul(port, NULL, 10);
	if (p > 65535)
		return -EINVAL;
	memset(addr, 0, sizeof(*addr));
	if (v6 || !hlen) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)addr;

		/* ":PORT" is the IPv6 wildcard, which takes IPv4 too. */
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(p);
		a->sin6_addr = in6addr_any;
		if (hlen && inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -EINVAL;
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)addr;

		a->sin_family = AF_INET;
		a->sin_port = htons(p);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		*len = sizeof(*a);
	}
	return 0;
}

static int listen_on(const struct sockaddr_storage *addr, socklen_t len)
{
	int one = 1, zero = 0, fd, err;

	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (addr->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero))) ||
	    bind(fd, (const struct sockaddr *)addr, len) || listen(fd, 128)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int http_listen(struct sockaddr_storage *addr, socklen_t len,
		unsigned short *port)
{
	int fd = listen_on(addr, len);

	/* ":PORT" on a kernel without IPv6: the IPv4 wildcard will do. */
	if ((fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL) &&
	    addr->ss_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(
		    &((struct sockaddr_in6 *)addr)->sin6_addr)) {
		struct sockaddr_in *a = (struct sockaddr_in *)addr;
		in_port_t p = ((struct sockaddr_in6 *)addr)->sin6_port;

		memset(addr, 0, sizeof(*addr));
		a->sin_family = AF_INET;
		a->sin_port = p;
		a->sin_addr.s_addr = htonl(INADDR_ANY);
		fd = listen_on(addr, sizeof(*a));
	}
	len = sizeof(*addr);
	if (fd >= 0 && getsockname(fd, (struct sockaddr *)addr, &len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (fd >= 0)
		*port = ntohs(addr->ss_family == AF_INET6 ?
				      ((struct sockaddr_in6 *)addr)->sin6_port :
				      ((struct sockaddr_in *)addr)->sin_port);
	return fd;
}

static int verify_any(int ok, X509_STORE_CTX *store)
{
	(void)ok;
	(void)store;
	return 1; /* Request/RequireAnyClientCert: any certificate will do */
}

/* One line: the file's own errno if it cannot be read, else OpenSSL's
 * reason ("no start line", "key values mismatch", ...). */
static int tls_fail(char *err, size_t errlen, const char *what,
		    const char *file)
{
	unsigned long e = ERR_peek_error(); /* the first: the real cause */
	const char *why = e ? ERR_reason_error_string(e) : NULL;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		why = strerror(errno);
	else
		close(fd);
	snprintf(err, errlen, "--web-config: cannot use %s %s: %s", what, file,
		 why ? why : "not usable");
	ERR_clear_error();
	return -1;
}

SSL_CTX *http_tls_context(const struct web_config *wc, char *err, size_t errlen)
{
	static const int verify[] = {
		[WEB_NO_CLIENT_CERT] = SSL_VERIFY_NONE,
		[WEB_REQUEST_CLIENT_CERT] = SSL_VERIFY_PEER,
		[WEB_REQUIRE_ANY_CLIENT_CERT] = SSL_VERIFY_PEER |
						SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
		[WEB_VERIFY_CLIENT_CERT_IF_GIVEN] = SSL_VERIFY_PEER,
		[WEB_REQUIRE_AND_VERIFY_CLIENT_CERT] =
			SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
	};
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	int fail = 0;

	if (!ctx) {
		snprintf(err, errlen, "--web-config: cannot set up TLS");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, wc->min_version ?: TLS1_2_VERSION);
	if (wc->max_version)
		SSL_CTX_set_max_proto_version(ctx, wc->max_version);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(ctx, wc->cert_file) != 1)
		fail = tls_fail(err, errlen, "cert_file", wc->cert_file);
	else if (SSL_CTX_use_PrivateKey_file(ctx, wc->key_file,
					     SSL_FILETYPE_PEM) != 1 ||
		 SSL_CTX_check_private_key(ctx) != 1)
		fail = tls_fail(err, errlen, "key_file", wc->key_file);
	else if (*wc->client_ca_file) {
		STACK_OF(X509_NAME) *names =
			SSL_load_client_CA_file(wc->client_ca_file);

		if (!names || SSL_CTX_load_verify_locations(
				      ctx, wc->client_ca_file, NULL) != 1)
			fail = tls_fail(err, errlen, "client_ca_file",
					wc->client_ca_file);
		else
			SSL_CTX_set_client_CA_list(ctx, names);
	}
	SSL_CTX_set_verify(ctx, verify[wc->client_auth],
			   wc->client_auth == WEB_REQUEST_CLIENT_CERT ||
					   wc->client_auth ==
						   WEB_REQUIRE_ANY_CLIENT_CERT ?
				   verify_any :
				   NULL);
	if (fail) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}
