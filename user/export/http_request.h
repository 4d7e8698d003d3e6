/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The request head of the metrics server (http_server.c): a strict parser
 * of what Prometheus sends, with no state and no I/O, so it can be fuzzed
 * (tests/fuzz/fuzz_http_request.c).
 */
#ifndef PMUTRACE_HTTP_REQUEST_H
#define PMUTRACE_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

/* Prometheus sends a few hundred bytes: the head may not be larger. */
#define HTTP_HEAD_MAX 8192
#define HTTP_PATH_MAX 256
#define HTTP_AUTH_MAX 1024

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_OTHER };

struct http_request {
	enum http_method method;
	char path[HTTP_PATH_MAX]; /* without the query string */
	bool has_auth;
	char auth[HTTP_AUTH_MAX]; /* the Authorization header's value */
};

/*
 * buf holds the first len bytes the client sent. Returns 0 when they hold
 * a whole head, parsed into req; -EAGAIN when the head is not complete
 * yet; -E2BIG when it cannot fit HTTP_HEAD_MAX; -EINVAL when it is not a
 * request (400).
 */
int http_parse_request(const char *buf, size_t len, struct http_request *req);

/*
 * "Basic base64(user:password)" into user and pass, NUL-terminated.
 * Returns 0, or -EINVAL for another scheme, bad base64, no ':', a NUL
 * inside, or a part too long for its buffer.
 */
int http_basic_credentials(const char *auth, char *user, size_t ulen,
			   char *pass, size_t plen);

#endif /* PMUTRACE_HTTP_REQUEST_H */
