/* SPDX-License-Identifier: GPL-2.0 */
/* Text that reaches people and documents: labels, names, file names. */
#ifndef PMUTRACE_TEXT_H
#define PMUTRACE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

bool text_is_clean(const char *s, size_t len);
void text_put_term(FILE *out, const char *s);
void text_escape(char *dst, size_t dstlen, const char *s);

#endif /* PMUTRACE_TEXT_H */
