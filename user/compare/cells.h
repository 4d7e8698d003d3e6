/* SPDX-License-Identifier: GPL-2.0 */
/* compare --cells: boots of several scenarios, and the headline answers
 * pooled over them (cells.c). */
#ifndef PMUTRACE_CELLS_H
#define PMUTRACE_CELLS_H

#include "compare.h"

#define CELLS_MAX 64
#define HEAD_MAX 16

/* One boot folder: its cells (file names without .json) and their runs. */
struct boot {
	const char *dir;
	int ncells;
	char cell[CELLS_MAX][NAME_LEN];
	struct loaded_run *run[CELLS_MAX];
};

/* One question over all cells, one value per boot. */
struct headline {
	char name[2 * NAME_LEN];
	const char *how; /* what each boot's value is */
	struct stat_cmp s;
};

struct cells {
	struct boot *before[CMP_MAX_RUNS], *after[CMP_MAX_RUNS];
	int nb, na;
	int ncells; /* compared: both sides ran them */
	char cell[CELLS_MAX][NAME_LEN];
	struct comparison *c[CELLS_MAX];
	int nhead;
	struct headline head[HEAD_MAX];
};

int cells_load(char *const *dirs, int n, struct boot **out, int *nout,
	       char *err, size_t errlen);
/* -1 with one line in err; *dup when a run is given twice. */
int cells_build(struct cells *c, unsigned int resamples, unsigned long seed,
		char *err, size_t errlen, bool *dup);
void render_cells(FILE *out, const struct cells *c, const struct family *f,
		  enum cmp_format fmt);

#endif /* PMUTRACE_CELLS_H */
