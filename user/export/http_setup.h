/* SPDX-License-Identifier: GPL-2.0 */
/* The metrics server's socket and TLS context (http_setup.c). */
#ifndef PMUTRACE_HTTP_SETUP_H
#define PMUTRACE_HTTP_SETUP_H

#include <sys/socket.h>
#include <openssl/ssl.h>
#include "http_server.h"

/* A listening socket on addr (the IPv4 wildcard if ":PORT" finds no
 * IPv6), non-blocking; its port in *port. Returns the fd or -errno. */
int http_listen(struct sockaddr_storage *addr, socklen_t len,
		unsigned short *port);
/* The TLS server context of wc, or NULL with one line in err. */
SSL_CTX *http_tls_context(const struct web_config *wc, char *err,
			  size_t errlen);

#endif /* PMUTRACE_HTTP_SETUP_H */
