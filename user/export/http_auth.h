/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Basic auth of the metrics server (docs/prometheus.md, "Security"). A
 * bcrypt check takes tens of milliseconds at cost 10 and seconds at 18, so
 * it runs on a thread of its own, one check at a time, while the server
 * thread goes on answering: a password already found good is remembered
 * (as a SHA-256 digest) and passes at once, a wrong one found before is
 * refused at once, and anything else waits for its check. Every password
 * is checked before anything is refused; what fails slows down its own
 * address only (and, together, all addresses that have failed).
 * Everything but the check itself runs on the server thread.
 */
#ifndef PMUTRACE_HTTP_AUTH_H
#define PMUTRACE_HTTP_AUTH_H

#include <stdbool.h>
#include <netinet/in.h>
#include "webconfig.h"

enum http_auth_result { HTTP_AUTH_OK, HTTP_AUTH_DENIED, HTTP_AUTH_QUEUED };

struct http_auth;

/* For c's users (c must outlive it); tokens are 0 .. max_tokens - 1, one
 * request each at a time. NULL when out of memory. */
struct http_auth *http_auth_new(const struct web_config *c, int max_tokens);
/* The verifier thread, named pmutrace-auth. Returns 0 or -errno. */
int http_auth_start(struct http_auth *a);
/* Never waits for a check in flight: the thread ends after it, and frees
 * what it shares. */
void http_auth_free(struct http_auth *a);
/* Readable when a check has ended: call http_auth_run(). */
int http_auth_fd(const struct http_auth *a);

/*
 * auth: the Authorization header's value, NULL if none. OK or DENIED at
 * once when no check is needed; QUEUED: the answer comes through
 * http_auth_run()'s done(token), unless http_auth_cancel(token) first.
 */
enum http_auth_result http_auth_begin(struct http_auth *a, const char *auth,
				      const struct in6_addr *peer, int token,
				      long long now_ms);
void http_auth_cancel(struct http_auth *a, int token);
/* Takes the check that ended, answers the requests it decides, starts the
 * next check due. Returns the ms until a queued check may start, -1 for
 * none waiting on a pause. */
long long http_auth_run(struct http_auth *a, long long now_ms,
			void (*done)(void *ctx, int token, bool ok), void *ctx);

#endif /* PMUTRACE_HTTP_AUTH_H */
