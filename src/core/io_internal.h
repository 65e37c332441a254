/* io_internal.h - the table of the process's temporary files, shared by io.c and plot.c (internal to src/core; the tests reach the plot batch). */
#ifndef CLVSIM_IO_INTERNAL_H
#define CLVSIM_IO_INTERNAL_H

#include <stddef.h>

#include "clvsim/plot.h"

/* Name a temporary file just created, so that clv_afile_unlink_all removes
 * it on a forced stop; forget it once it is renamed or removed.  Both are
 * thread-safe.  At most 64 names at once (more are not tracked). */
void clv__tmp_track(const char *path);
void clv__tmp_untrack(const char *path);

/* clv_plot_all with at most procs gnuplots (clv_plot_all: one per processor) */
int clv__plot_all_in(const clv_plot_spec *spec, size_t n, size_t procs, clv_error *err);

#endif
