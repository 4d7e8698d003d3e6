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
/* The config is two levels deep; libyaml's scanner is quadratic in the
 * nesting of flow collections, so deeper is refused as soon as it is seen. */
#define WEB_CONFIG_MAX_DEPTH 8
#define WEB_MAX_USERS 32
/* The dearest bcrypt cost taken: exporter-toolkit's documentation goes up
 * to 18 ("can take up to a few seconds"); each step doubles a check, and 31
 * would take days (docs/prometheus.md, "Security"). */
#define WEB_BCRYPT_COST_MAX 18
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
	int max_cost; /* the dearest user's bcrypt cost */
	struct web_user users[WEB_MAX_USERS];
};

/*
 * text (len bytes, not NUL-terminated) into c; relative file names are
 * taken from dir, as exporter-toolkit does. Returns 0, or -EINVAL with one
 * line in err saying what is wrong and where.
 */
int web_config_parse(const char *text, size_t len, const char *dir,
		     struct web_config *c, char *err, size_t errlen);
/* Reads and parses path (warning on stderr if other users may read or
 * write it); web_file_read's codes, or -EINVAL for what it holds; err says
 * why. */
int web_config_load(const char *path, struct web_config *c, char *err,
		    size_t errlen);

/*
 * A file the config names, or the config: a regular file only (a FIFO or a
 * device is refused, never waited for: opened O_NONBLOCK, then fstat), at
 * most max bytes, into *buf (malloc'ed, NUL-terminated) and *len. loose:
 * the mode bits of other users that earn a warning on stderr, as sshd
 * warns of its keys (what names the file in it). Returns 0, or with the
 * reason in err -errno (-EISDIR, -EFBIG past max) or -ATOMIC_FILE_NOT_REGULAR
 * (a FIFO, device or socket: beyond every errno, so that an EINVAL of
 * open or read is not taken for one).
 */
int web_file_read(const char *what, const char *path, size_t max,
		  unsigned int loose, char **buf, size_t *len, char *err,
		  size_t errlen);

#endif /* PMUTRACE_WEBCONFIG_H */
