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

/* s into dst (always terminated, cut to fit): anything not clean as \xNN. */
void text_escape(char *dst, size_t dstlen, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s), o = 0;

	for (size_t i = 0; i < len && dstlen;) {
		unsigned int cp;
		size_t n = utf8_seq(u + i, len - i, &cp);

		if (!n || is_control(cp)) {
			if (o + 4 >= dstlen)
				break;
			snprintf(dst + o, 5, "\\x%02x", u[i]);
			o += 4;
			i++;
			continue;
		}
		if (o + n >= dstlen)
			break;
		memcpy(dst + o, u + i, n);
		o += n;
		i += n;
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
		unsigned int cp;
		size_t n = utf8_seq(u + i, len - i, &cp);

		if (!n || is_control(cp)) {
			fprintf(out, "\\x%02x", u[i]);
			i++;
			continue;
		}
		fwrite(u + i, 1, n, out);
		i += n;
	}
}
