// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the metrics server's request parser: what any
 * client on the network can send (user/export/http_request.c). The head
 * is parsed as it arrives, in two pieces, and the Authorization value is
 * decoded as Basic credentials. Nothing may crash, leak or read past the
 * input, and a parsed request must keep the parser's promises.
 *
 *   make fuzz-http [FUZZ_SECONDS=60]      (see tests/fuzz/README.md)
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "http_request.h"

static void check(const char *buf, size_t len, int ret,
		  const struct http_request *req)
{
	if (ret == 0) {
		/* A whole head, a path that begins with '/', bounded. */
		if ((!memmem(buf, len, "\n\n", 2) &&
		     !memmem(buf, len, "\n\r\n", 3)) ||
		    req->path[0] != '/' ||
		    strnlen(req->path, HTTP_PATH_MAX) == HTTP_PATH_MAX ||
		    strnlen(req->auth, HTTP_AUTH_MAX) == HTTP_AUTH_MAX ||
		    (!req->has_auth && req->auth[0]))
			abort();
	} else if (ret != -EAGAIN && ret != -E2BIG && ret != -EINVAL) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req;
	char user[64], pass[HTTP_AUTH_MAX];
	/* An exact-size copy, so ASan sees any read past the input. */
	char *buf = malloc(size ? size : 1);
	int ret;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	/* As the server does: the first half, then all of it. */
	ret = http_parse_request(buf, size / 2, &req);
	check(buf, size / 2, ret, &req);
	ret = http_parse_request(buf, size, &req);
	check(buf, size, ret, &req);
	if (!ret && req.has_auth &&
	    !http_basic_credentials(req.auth, user, sizeof(user), pass,
				    sizeof(pass)) &&
	    (strlen(user) >= sizeof(user) || strchr(user, ':')))
		abort();
	free(buf);
	return 0;
}
