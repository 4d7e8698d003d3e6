// SPDX-License-Identifier: GPL-2.0
/*
 * The request head, parsed strictly (RFC 9112): a request line with
 * HTTP/1.0 or 1.1, header lines "name: value", no folding, no control
 * characters. Only the method, the path and Authorization are kept.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>
#include "http_request.h"

static const char b64_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Visible ASCII or UTF-8 bytes, and tabs between them. */
static bool is_field_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* The end of the head (its blank line), or NULL while it is incomplete. */
static const char *head_end(const char *buf, size_t len, size_t *skip)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n') {
			*skip = 2;
			return buf + i;
		}
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
			*skip = 3;
			return buf + i;
		}
	}
	return NULL;
}

/* One line of [p, end), without its CR LF or LF: [p, *eol). */
static const char *next_line(const char *p, const char *end, const char **eol)
{
	const char *nl = memchr(p, '\n', end - p);

	if (!nl)
		nl = end;
	*eol = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
	return nl < end ? nl + 1 : end;
}

static int parse_request_line(const char *p, const char *eol,
			      struct http_request *req)
{
	const char *sp1, *sp2, *q;
	size_t mlen, plen;

	for (sp1 = p; sp1 < eol && is_tchar(*sp1); sp1++)
		;
	mlen = sp1 - p;
	if (!mlen || sp1 == eol || *sp1 != ' ')
		return -EINVAL;
	sp2 = memchr(sp1 + 1, ' ', eol - sp1 - 1);
	if (!sp2 || sp1[1] != '/' || eol - sp2 != 9 ||
	    (memcmp(sp2 + 1, "HTTP/1.0", 8) && memcmp(sp2 + 1, "HTTP/1.1", 8)))
		return -EINVAL;
	for (q = sp1 + 1; q < sp2; q++)
		if ((unsigned char)*q <= 0x20 || *q == 0x7f)
			return -EINVAL;
	if (mlen == 3 && !memcmp(p, "GET", 3))
		req->method = HTTP_GET;
	else if (mlen == 4 && !memcmp(p, "HEAD", 4))
		req->method = HTTP_HEAD;
	else
		req->method = HTTP_OTHER;
	plen = strcspn(sp1 + 1, "?# ");
	if (plen > (size_t)(sp2 - sp1 - 1))
		plen = sp2 - sp1 - 1;
	if (plen >= sizeof(req->path))
		return -EINVAL;
	memcpy(req->path, sp1 + 1, plen);
	req->path[plen] = '\0';
	return 0;
}

static int parse_header(const char *p, const char *eol,
			struct http_request *req)
{
	const char *colon = p, *v, *ve;

	while (colon < eol && is_tchar(*colon))
		colon++;
	/* No name, a space before ':' or a folded line: all refused. */
	if (colon == p || colon == eol || *colon != ':')
		return -EINVAL;
	for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
		;
	for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
		;
	for (const char *c = v; c < ve; c++)
		if (!is_field_char(*c))
			return -EINVAL;
	if (colon - p != 13 || strncasecmp(p, "Authorization", 13))
		return 0;
	if (req->has_auth || (size_t)(ve - v) >= sizeof(req->auth))
		return -EINVAL;
	req->has_auth = true;
	memcpy(req->auth, v, ve - v);
	req->auth[ve - v] = '\0';
	return 0;
}

int http_parse_request(const char *buf, size_t len, struct http_request *req)
{
	const char *end, *p, *eol;
	size_t skip;
	int err;

	memset(req, 0, sizeof(*req));
	end = head_end(buf, len, &skip);
	if (!end)
		return len >= HTTP_HEAD_MAX   ? -E2BIG :
		       memchr(buf, '\0', len) ? -EINVAL :
						-EAGAIN;
	if ((size_t)(end - buf) + skip > HTTP_HEAD_MAX)
		return -E2BIG;
	if (memchr(buf, '\0', end - buf))
		return -EINVAL;
	end++; /* keep the last line's LF */
	p = next_line(buf, end, &eol);
	err = parse_request_line(buf, eol, req);
	while (!err && p < end) {
		const char *line = p;

		p = next_line(line, end, &eol);
		err = parse_header(line, eol, req);
	}
	return err;
}

int http_basic_credentials(const char *auth, char *user, size_t ulen,
			   char *pass, size_t plen)
{
	unsigned char dec[HTTP_AUTH_MAX];
	const char *b64, *colon;
	size_t n, pad = 0;
	int out;

	if (strncasecmp(auth, "Basic ", 6))
		return -EINVAL;
	for (b64 = auth + 6; *b64 == ' '; b64++)
		;
	n = strlen(b64);
	/* EVP_DecodeBlock() trims blanks but not a bad length or padding. */
	if (!n || n % 4 || n / 4 * 3 >= sizeof(dec) ||
	    strspn(b64, b64_chars) < n - 2)
		return -EINVAL;
	for (size_t i = n - 2; i < n; i++)
		if (b64[i] == '=')
			pad++;
		else if (pad || !strchr(b64_chars, b64[i]))
			return -EINVAL;
	out = EVP_DecodeBlock(dec, (const unsigned char *)b64, n);
	if (out < 0 || (size_t)out < pad)
		return -EINVAL;
	n = out - pad;
	if (memchr(dec, '\0', n))
		return -EINVAL;
	colon = memchr(dec, ':', n);
	if (!colon || (size_t)(colon - (char *)dec) >= ulen ||
	    n - (colon - (char *)dec) - 1 >= plen)
		return -EINVAL;
	memcpy(user, dec, colon - (char *)dec);
	user[colon - (char *)dec] = '\0';
	memcpy(pass, colon + 1, n - (colon - (char *)dec) - 1);
	pass[n - (colon - (char *)dec) - 1] = '\0';
	return 0;
}
