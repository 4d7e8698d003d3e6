/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --web-config FILE: the Prometheus exporter-toolkit's web configuration
 * (TLS and basic auth), the subset docs/prometheus.md lists. Parsing is
 * pure (no file is opened but the config itself), so it can be fuzzed;
 * the server loads the certificates (http_server.c).
 */
#ifndef PMUTRACE_WEBCONFIG_H
#define PMUTRACE_WEBCONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define WEB_CONFIG_MAX_BYTES 65536
#define WEB_MAX_USERS 32
#define WEB_NAME_MAX 64
#define WEB_HASH_MAX 128

/* exporter-toolkit's client_auth_type values, in Go's crypto/tls order. */
enum web_client_auth {
	WEB_NO_CLIENT_CERT,
	WEB_REQUEST_CLIENT_CERT,
	WEB_REQUIRE_ANY_CLIENT_CERT,
	WEB_VERIFY_CLIENT_CERT_IF_GIVEN,
	WEB_REQUIRE_AND_VERIFY_CLIENT_CERT,
};

struct web_user {
	char name[WEB_NAME_MAX];
	char hash[WEB_HASH_MAX]; /* bcrypt: $2a$, $2b$ or $2y$ */
};

struct web_config {
	bool tls;
	char cert_file[PATH_MAX];
	char key_file[PATH_MAX];
	char client_ca_file[PATH_MAX]; /* "": none */
	enum web_client_auth client_auth;
	int min_version, max_version; /* TLS1_2_VERSION, ...; 0: default */
	int nusers;
	struct web_user users[WEB_MAX_USERS];
};

/*
 * text (len bytes, not NUL-terminated) into c; relative file names are
 * taken from dir, as exporter-toolkit does. Returns 0, or -EINVAL with one
 * line in err saying what is wrong and where.
 */
int web_config_parse(const char *text, size_t len, const char *dir,
		     struct web_config *c, char *err, size_t errlen);
/* Reads and parses path; -errno or -EINVAL, err says why. */
int web_config_load(const char *path, struct web_config *c, char *err,
		    size_t errlen);

/*
 * Basic auth: checking a bcrypt hash costs tens of milliseconds, so the
 * last good password of each user is remembered, as a SHA-256 digest.
 */
struct web_auth {
	const struct web_config *c;
	bool known[WEB_MAX_USERS];
	unsigned char good[WEB_MAX_USERS][32];
	double next_check; /* monotonic: no bcrypt before, see below */
};

enum web_auth_result { WEB_AUTH_OK, WEB_AUTH_DENIED, WEB_AUTH_BUSY };

/*
 * OK when no user is configured, or auth (the Authorization header's
 * value, NULL if there was none) names a user with the right password.
 * BUSY when a bcrypt check would be needed too soon after the last: at
 * most a quarter of the server's time goes to them, so wrong passwords
 * cannot keep it from answering the remembered ones.
 */
enum web_auth_result web_auth_check(struct web_auth *a, const char *auth);

#endif /* PMUTRACE_WEBCONFIG_H */
