// SPDX-License-Identifier: GPL-2.0
/* Clean text: what labels and names must be, and how a terminal sees the
 * rest. */
#include <stdlib.h>
#include "text.h"
#include "unit.h"

static bool clean(const char *s)
{
	return text_is_clean(s, strlen(s));
}

static void term(const char *in, const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	text_put_term(f, in);
	fclose(f);
	CHECK(!strcmp(buf, want), "'%s' shown as '%s', want '%s'", want, buf,
	      want);
	free(buf);
}

static void escape(size_t size, const char *in, const char *want)
{
	char buf[32];

	text_escape(buf, size, in);
	CHECK(!strcmp(buf, want),
	      "'%s' escaped in %zu bytes as '%s', want '%s'", want, size, buf,
	      want);
}

int main(void)
{
	CHECK(clean("kvm_pmu_probe_armpmu"), "ASCII");
	CHECK(clean("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80"),
	      "2, 3, 4 bytes");
	CHECK(clean(""), "empty");
	CHECK(!clean("a\xff"), "0xff");
	CHECK(!clean("a\xc3"), "truncated sequence");
	CHECK(!clean("\xc0\xaf"), "overlong /");
	CHECK(!clean("\xe0\x80\xaf"), "overlong, 3 bytes");
	CHECK(!clean("\xed\xa0\x80"), "a surrogate");
	CHECK(!clean("\xf4\x90\x80\x80"), "beyond U+10FFFF");
	CHECK(!clean("\x1b[31m"), "ESC");
	CHECK(!clean("a\x07"), "BEL");
	CHECK(!clean("a\nb"), "newline");
	CHECK(!clean("a\tb"), "tab");
	CHECK(!clean("a\x7f"), "DEL");
	CHECK(!clean("\xc2\x9b"), "C1 CSI");
	CHECK(!text_is_clean("a\0b", 3), "NUL inside");
	term("plain caf\xc3\xa9", "plain caf\xc3\xa9");
	term("\x1b]0;x\x07", "\\x1b]0;x\\x07");
	term("a\nb\r", "a\\x0ab\\x0d");
	term("bad \xff", "bad \\xff");
	term("\xc2\x9b", "\\xc2\\x9b");
	escape(32, "caf\xc3\xa9\n", "caf\xc3\xa9\\x0a");
	escape(6, "ab\x1b", "ab"); /* \x1b and the NUL do not fit */
	escape(7, "ab\x1b", "ab\\x1b");
	escape(5, "ab\xc3\xa9z", "ab\xc3\xa9");
	escape(4, "ab\xc3\xa9z", "ab");
	UNIT_EXIT();
}
