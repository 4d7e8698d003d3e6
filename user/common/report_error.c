// SPDX-License-Identifier: GPL-2.0
/* The one-line error every command ends a failure with. */
#include <stdarg.h>
#include "pmutrace_user.h"

int report_error(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pmutrace: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}
