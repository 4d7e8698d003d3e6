/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PMUTRACE_PROMETHEUS_ATTRIB_H
#define PMUTRACE_PROMETHEUS_ATTRIB_H

#include "prom_writer.h"

/* Attribution's series, when r->attrib is set. */
void prom_render_attribution(struct writer *w, const struct run_result *r);

#endif /* PMUTRACE_PROMETHEUS_ATTRIB_H */
