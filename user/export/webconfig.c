// SPDX-License-Identifier: GPL-2.0
/*
 * The web config (exporter-toolkit format), read with libyaml's document
 * API and then checked strictly: every key known, every value a scalar of
 * the right kind, no key twice. What pmutrace cannot honour is refused,
 * never ignored, so a config never protects less than it says.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/ssl.h>
#include <yaml.h>
#include "atomic_file.h"
#include "webconfig.h"

struct ctx {
	yaml_document_t *doc;
	const char *dir;
	struct web_config *c;
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 3, 4)))
bad(struct ctx *x, const yaml_node_t *n, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	snprintf(x->err, x->errlen,
		 "line %zu: ", n ? n->start_mark.line + 1 : 1);
	len = strlen(x->err);
	va_start(ap, fmt);
	vsnprintf(x->err + len, x->errlen - len, fmt, ap);
	va_end(ap);
	/* One line whatever the file holds: values are quoted in it. */
	for (char *p = x->err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ?
		       (const char *)n->data.scalar.value :
		       NULL;
}

/* A non-empty string without NUL (libyaml allows "\0" escapes). */
static int string_value(struct ctx *x, const yaml_node_t *n, const char *key,
			const char **v)
{
	*v = scalar(n);
	if (!*v)
		return bad(x, n, "%s must be a string", key);
	if (!**v || strlen(*v) != n->data.scalar.length)
		return bad(x, n, "%s is empty or holds a NUL", key);
	return 0;
}

static int path_value(struct ctx *x, const yaml_node_t *n, const char *key,
		      char *out)
{
	const char *v;
	int err = string_value(x, n, key, &v);

	if (err)
		return err;
	if (snprintf(out, PATH_MAX, "%s%s%s", v[0] == '/' ? "" : x->dir,
		     v[0] == '/' ? "" : "/", v) >= PATH_MAX)
		return bad(x, n, "%s is too long", key);
	return 0;
}

/* Calls f for each pair of mapping n, refusing keys given twice. */
static int each_pair(struct ctx *x, const yaml_node_t *n, const char *what,
		     int (*f)(struct ctx *, const char *, yaml_node_t *))
{
	if (!n || n->type != YAML_MAPPING_NODE)
		return bad(x, n, "%s must be a mapping", what);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(x->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(x->doc, p->value);
		const char *key = scalar(k);
		int err;

		if (!key || strlen(key) != k->data.scalar.length)
			return bad(x, k, "a key of %s is not a string", what);
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p;
		     q++)
			if (!strcmp(key, scalar(yaml_document_get_node(
						 x->doc, q->key))))
				return bad(x, k, "%s given twice in %s", key,
					   what);
		err = f(x, key, v);
		if (err)
			return err;
	}
	return 0;
}

static int tls_version(struct ctx *x, const yaml_node_t *n, const char *key,
		       int *out)
{
	static const struct {
		const char *name;
		int version;
	} versions[] = { { "TLS12", TLS1_2_VERSION },
			 { "TLS13", TLS1_3_VERSION } };
	const char *v;
	int err = string_value(x, n, key, &v);

	if (err)
		return err;
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (!strcmp(v, versions[i].name)) {
			*out = versions[i].version;
			return 0;
		}
	return bad(x, n, "%s '%s': give TLS12 or TLS13", key, v);
}

static int tls_pair(struct ctx *x, const char *key, yaml_node_t *v)
{
	static const char *const auth_types[] = {
		[WEB_NO_CLIENT_CERT] = "NoClientCert",
		[WEB_REQUEST_CLIENT_CERT] = "RequestClientCert",
		[WEB_REQUIRE_ANY_CLIENT_CERT] = "RequireAnyClientCert",
		[WEB_VERIFY_CLIENT_CERT_IF_GIVEN] = "VerifyClientCertIfGiven",
		[WEB_REQUIRE_AND_VERIFY_CLIENT_CERT] =
			"RequireAndVerifyClientCert",
	};
	struct web_config *c = x->c;
	const char *s;
	int err;

	if (!strcmp(key, "cert_file"))
		return path_value(x, v, key, c->cert_file);
	if (!strcmp(key, "key_file"))
		return path_value(x, v, key, c->key_file);
	if (!strcmp(key, "client_ca_file"))
		return path_value(x, v, key, c->client_ca_file);
	if (!strcmp(key, "min_version"))
		return tls_version(x, v, key, &c->min_version);
	if (!strcmp(key, "max_version"))
		return tls_version(x, v, key, &c->max_version);
	if (strcmp(key, "client_auth_type"))
		return bad(x, v, "tls_server_config: %s is not supported", key);
	err = string_value(x, v, key, &s);
	if (err)
		return err;
	for (size_t i = 0; i < sizeof(auth_types) / sizeof(auth_types[0]); i++)
		if (!strcmp(s, auth_types[i])) {
			c->client_auth = i;
			return 0;
		}
	return bad(x, v, "unknown client_auth_type '%s'", s);
}

static bool is_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int user_pair(struct ctx *x, const char *name, yaml_node_t *v)
{
	struct web_config *c = x->c;
	struct web_user *u;
	const char *hash;
	int err, cost;

	if (c->nusers == WEB_MAX_USERS)
		return bad(x, v, "more than %d users", WEB_MAX_USERS);
	/* A ':' could never match: Basic auth splits at the first one. */
	if (!*name || strlen(name) >= WEB_NAME_MAX || strchr(name, ':') ||
	    !is_printable(name))
		return bad(
			x, v,
			"user name '%.64s' is empty, too long, or has ':' or a control character",
			name);
	err = string_value(x, v, "a password hash", &hash);
	if (err)
		return err;
	/* "$2y$NN$": crypt_checksalt() takes any two digits; bcrypt's
	 * costs are 04 to 31. */
	cost = strlen(hash) == 60 ? (hash[4] - '0') * 10 + hash[5] - '0' : 0;
	if (strlen(hash) != 60 ||
	    (strncmp(hash, "$2a$", 4) && strncmp(hash, "$2b$", 4) &&
	     strncmp(hash, "$2y$", 4)) ||
	    crypt_checksalt(hash) != CRYPT_SALT_OK || cost < 4)
		return bad(x, v, "the password of %s is not a bcrypt hash",
			   name);
	if (cost > WEB_BCRYPT_COST_MAX)
		return bad(
			x, v,
			"the password hash of %s has bcrypt cost %d, above the most pmutrace takes, %d: make it again with a lower cost (e.g. htpasswd -nBC 10)",
			name, cost, WEB_BCRYPT_COST_MAX);
	if (cost > c->max_cost)
		c->max_cost = cost;
	u = &c->users[c->nusers++];
	strcpy(u->name, name);
	strcpy(u->hash, hash);
	return 0;
}

static int top_pair(struct ctx *x, const char *key, yaml_node_t *v)
{
	if (!strcmp(key, "tls_server_config")) {
		x->c->tls = true;
		return each_pair(x, v, key, tls_pair);
	}
	if (!strcmp(key, "basic_auth_users"))
		return each_pair(x, v, key, user_pair);
	return bad(x, v, "%s is not supported", key);
}

static int check(struct ctx *x, const yaml_node_t *root)
{
	struct web_config *c = x->c;

	if (c->tls && (!*c->cert_file || !*c->key_file))
		return bad(x, root,
			   "tls_server_config needs cert_file and key_file");
	if (!c->tls && !c->nusers)
		return bad(
			x, root,
			"neither tls_server_config nor basic_auth_users: nothing to protect /metrics with");
	if (c->client_auth >= WEB_VERIFY_CLIENT_CERT_IF_GIVEN &&
	    !*c->client_ca_file)
		return bad(x, root, "client_auth_type needs client_ca_file");
	if (*c->client_ca_file && c->client_auth == WEB_NO_CLIENT_CERT)
		return bad(
			x, root,
			"client_ca_file without a client_auth_type that verifies");
	if (c->min_version && c->max_version && c->min_version > c->max_version)
		return bad(x, root, "min_version is above max_version");
	return 0;
}

/* Nesting over WEB_CONFIG_MAX_DEPTH, found with libyaml's events before
 * its loader sees the text: the scanner stops there, at a cost bounded by
 * the depth. 0 when within it, or when the YAML is broken (the loader then
 * says where). */
static int too_deep(const char *text, size_t len, size_t *line)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, deep = 0;

	if (!yaml_parser_initialize(&parser))
		return 0;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!deep && yaml_parser_parse(&parser, &ev)) {
		bool end = ev.type == YAML_STREAM_END_EVENT;

		if (ev.type == YAML_SEQUENCE_START_EVENT ||
		    ev.type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (ev.type == YAML_SEQUENCE_END_EVENT ||
			 ev.type == YAML_MAPPING_END_EVENT)
			depth--;
		if (depth > WEB_CONFIG_MAX_DEPTH) {
			deep = 1;
			*line = ev.start_mark.line + 1;
		}
		yaml_event_delete(&ev);
		if (end)
			break;
	}
	yaml_parser_delete(&parser);
	return deep;
}

int web_config_parse(const char *text, size_t len, const char *dir,
		     struct web_config *c, char *err, size_t errlen)
{
	struct ctx x = { .dir = dir, .c = c, .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	size_t line;
	int ret;

	memset(c, 0, sizeof(*c));
	if (len > WEB_CONFIG_MAX_BYTES)
		return bad(&x, NULL, "larger than %d bytes",
			   WEB_CONFIG_MAX_BYTES);
	if (too_deep(text, len, &line)) {
		snprintf(
			err, errlen,
			"line %zu: nested deeper than %d levels: not a web config",
			line, WEB_CONFIG_MAX_DEPTH);
		return -EINVAL;
	}
	if (!yaml_parser_initialize(&parser))
		return bad(&x, NULL, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "line %zu: %s",
			 parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "not YAML");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	x.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	ret = root ? each_pair(&x, root, "the web config", top_pair) :
		     bad(&x, NULL, "empty");
	if (!ret)
		ret = check(&x, root);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return ret;
}

int web_file_read(const char *what, const char *path, size_t max,
		  unsigned int loose, char **buf, size_t *len, char *err,
		  size_t errlen)
{
	struct stat st;
	ssize_t k;
	int fd, ret = 0;

	*buf = NULL;
	*len = 0;
	/* O_NONBLOCK: opening a FIFO for reading waits for a writer. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st))
		ret = -errno;
	else if (!S_ISREG(st.st_mode))
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -ATOMIC_FILE_NOT_REGULAR;
	else if ((size_t)st.st_size > max)
		ret = -EFBIG;
	else if (!(*buf = malloc(max + 1)))
		ret = -ENOMEM;
	/* Up to one byte past max: the file may have grown. */
	while (!ret && *len <= max) {
		k = read(fd, *buf + *len, max + 1 - *len);
		if (k < 0 && errno != EINTR)
			ret = -errno;
		else if (k == 0)
			break;
		else if (k > 0)
			*len += k;
	}
	if (!ret && *len > max)
		ret = -EFBIG;
	if (fd >= 0)
		close(fd);
	if (ret) {
		free(*buf);
		*buf = NULL;
		if (ret == -ATOMIC_FILE_NOT_REGULAR)
			snprintf(err, errlen, "not a regular file");
		else if (ret == -EFBIG)
			snprintf(err, errlen, "larger than %zu bytes", max);
		else
			snprintf(err, errlen, "%s", strerror(-ret));
		return ret;
	}
	(*buf)[*len] = '\0';
	if (st.st_mode & loose)
		fprintf(stderr,
			"pmutrace: warning: %s %s can be %s by other users (mode %04o): chmod o-rwx it (sshd refuses such keys)\n",
			what, path,
			(st.st_mode & loose & S_IWOTH) ?
				((st.st_mode & loose & S_IROTH) ?
					 "read and written" :
					 "written") :
				"read",
			(unsigned int)(st.st_mode & 07777));
	return 0;
}

int web_config_load(const char *path, struct web_config *c, char *err,
		    size_t errlen)
{
	char dir[PATH_MAX], *text, *slash;
	size_t n;
	int ret;

	ret = web_file_read("--web-config", path, WEB_CONFIG_MAX_BYTES,
			    S_IROTH | S_IWOTH, &text, &n, err, errlen);
	if (ret)
		return ret;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	ret = web_config_parse(text, n, slash ? (*dir ? dir : "/") : ".", c,
			       err, errlen);
	free(text);
	return ret;
}
