// SPDX-License-Identifier: GPL-2.0
/*
 * Labels and names are taken only as valid UTF-8 without control
 * characters, so every output can carry them: JSON stays valid for any
 * parser, and no ESC, BEL or newline reaches a terminal or a table.
 */
#include <string.h>
#include "text.h"

/* Bytes of the UTF-8 sequence at s (strict: no overlong forms, no
 * surrogates, nothing past U+10FFFF), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t len, unsigned int *cp)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	*cp = s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	return n;
}

static bool is_control(unsigned int cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* Valid UTF-8, no NUL inside, no C0 or C1 control character or DEL. */
bool text_is_clean(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		unsigned int cp;
		size_t n = utf8_seq(u + i, len - i, &cp);

		if (!n || is_control(cp))
			return false;
		i += n;
	}
	return true;
}

/* The next piece of s (len bytes) as shown: a clean UTF-8 sequence as it
 * is, or one byte of anything else as \xNN, into piece (5 bytes, not
 * terminated); its length in *plen, the bytes of s it stands for returned. */
static size_t shown(const unsigned char *s, size_t len, char *piece,
		    size_t *plen)
{
	unsigned int cp;
	size_t n = utf8_seq(s, len, &cp);

	if (!n || is_control(cp)) {
		snprintf(piece, 5, "\\x%02x", s[0]);
		*plen = 4;
		return 1;
	}
	memcpy(piece, s, n);
	*plen = n;
	return n;
}

/* s into dst (always terminated, cut to fit): anything not clean as \xNN. */
void text_escape(char *dst, size_t dstlen, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s), o = 0;

	for (size_t i = 0; i < len && dstlen;) {
		char piece[5];
		size_t n;

		i += shown(u + i, len - i, piece, &n);
		if (o + n >= dstlen)
			break;
		memcpy(dst + o, piece, n);
		o += n;
	}
	if (dstlen)
		dst[o] = '\0';
}

/* For a terminal: anything not clean is shown as \xNN, never sent raw. */
void text_put_term(FILE *out, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s);

	for (size_t i = 0; i < len;) {
		char piece[5];
		size_t n;

		i += shown(u + i, len - i, piece, &n);
		fwrite(piece, 1, n, out);
	}
}
