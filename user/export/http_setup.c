// SPDX-License-Identifier: GPL-2.0
/*
 * What the metrics server needs before its thread starts: the listening
 * socket and the TLS context of --web-config, its files read as regular
 * files only (a FIFO would block start-up). Both fail in one line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/pem.h>
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

/* An encrypted key fails rather than asks for a passphrase on the tty. */
static int no_passphrase(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return -1;
}

/* Certificates and keys are at most this large: a chain of a few PEMs. */
#define TLS_FILE_MAX (1 << 20)

/* The PEM file a key of wc names, read as a regular file (loose: the mode
 * bits that earn a warning), in a memory BIO; NULL with one line in err. */
static BIO *pem_file(const char *what, const char *file, unsigned int loose,
		     char *err, size_t errlen)
{
	char name[32], why[128], *text;
	size_t len;
	BIO *b;

	snprintf(name, sizeof(name), "--web-config %s", what);
	if (web_file_read(name, file, TLS_FILE_MAX, loose, &text, &len, why,
			  sizeof(why))) {
		snprintf(err, errlen, "--web-config: cannot use %s %s: %s",
			 what, file, why);
		return NULL;
	}
	b = BIO_new(BIO_s_mem());
	if (!b || BIO_write(b, text, (int)len) != (int)len) {
		BIO_free(b);
		b = NULL;
		snprintf(err, errlen, "--web-config: cannot use %s %s: %s",
			 what, file, "out of memory");
	}
	OPENSSL_cleanse(text, len);
	free(text);
	return b;
}

/* One line with OpenSSL's reason ("no start line", "key values
 * mismatch", ...): the first error queued is the real cause. */
static int tls_fail(char *err, size_t errlen, const char *what,
		    const char *file)
{
	unsigned long e = ERR_peek_error();
	const char *why = e ? ERR_reason_error_string(e) : NULL;

	snprintf(err, errlen, "--web-config: cannot use %s %s: %s", what, file,
		 why ? why : "no PEM data");
	ERR_clear_error();
	return -1;
}

/* Every certificate of a PEM BIO, each handed to add (which consumes
 * it); the number added, or -1 when one could not be. */
static int each_cert(BIO *b, SSL_CTX *ctx, int (*add)(SSL_CTX *, X509 *))
{
	X509 *x;
	int n = 0;

	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		if (!add(ctx, x))
			return -1;
		n++;
	}
	/* The end of the data ends the loop with PEM_R_NO_START_LINE. */
	if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE)
		ERR_clear_error();
	return n;
}

static int add_chain(SSL_CTX *ctx, X509 *x)
{
	if (SSL_CTX_add0_chain_cert(ctx, x))
		return 1; /* the context owns x */
	X509_free(x);
	return 0;
}

static int add_client_ca(SSL_CTX *ctx, X509 *x)
{
	int ok = X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), x) &&
		 SSL_CTX_add_client_CA(ctx, x);

	X509_free(x); /* both took references of their own */
	return ok;
}

/* The files of wc into ctx, as the _file() calls of OpenSSL would, but
 * each opened as a regular file only. */
static int tls_files(SSL_CTX *ctx, const struct web_config *wc, char *err,
		     size_t errlen)
{
	BIO *b = pem_file("cert_file", wc->cert_file, S_IWOTH, err, errlen);
	EVP_PKEY *key;
	X509 *x;
	int ok;

	if (!b)
		return -1;
	x = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL);
	ok = x && SSL_CTX_use_certificate(ctx, x) == 1 &&
	     each_cert(b, ctx, add_chain) >= 0;
	X509_free(x);
	BIO_free(b);
	if (!ok)
		return tls_fail(err, errlen, "cert_file", wc->cert_file);
	b = pem_file("key_file", wc->key_file, S_IROTH | S_IWOTH, err, errlen);
	if (!b)
		return -1;
	key = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	ok = key && SSL_CTX_use_PrivateKey(ctx, key) == 1 &&
	     SSL_CTX_check_private_key(ctx) == 1;
	EVP_PKEY_free(key);
	BIO_free(b);
	if (!ok)
		return tls_fail(err, errlen, "key_file", wc->key_file);
	if (!*wc->client_ca_file)
		return 0;
	b = pem_file("client_ca_file", wc->client_ca_file, S_IWOTH, err,
		     errlen);
	if (!b)
		return -1;
	ok = each_cert(b, ctx, add_client_ca) > 0;
	BIO_free(b);
	if (!ok)
		return tls_fail(err, errlen, "client_ca_file",
				wc->client_ca_file);
	return 0;
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
	SSL_CTX_set_verify(ctx, verify[wc->client_auth],
			   wc->client_auth == WEB_REQUEST_CLIENT_CERT ||
					   wc->client_auth ==
						   WEB_REQUIRE_ANY_CLIENT_CERT ?
				   verify_any :
				   NULL);
	if (tls_files(ctx, wc, err, errlen)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}
