/* report_internal.h - a list of figures drawn together (internal to src/report). */
#ifndef CLVSIM_REPORT_INTERNAL_H
#define CLVSIM_REPORT_INTERNAL_H

#include <stddef.h>

#include "clvsim/error.h"
#include "clvsim/plot.h"
#include "clvsim/progress.h"

/* Figures queued with clv_report_figure's arguments (copied: the caller's
 * buffers may be reused at once) and drawn by one clv_plot_all, so that
 * their gnuplots run side by side and share their starts.  Zero it to
 * start; free it with clv__figures_free. */
typedef struct clv__figures {
    size_t n, cap;          /* specs */
    clv_plot_spec *spec;
    size_t n_blocks;
    void **block;           /* one per figure: its script path, variables and outputs */
} clv__figures;

/* Queue script (found with clv_plot_dir) drawn to DIR/STEM.png and/or
 * .svg as formats[0..n_formats) say, with vars[0..n_vars) as for
 * clv_plot.  CLV_EIO when the script is not found, CLV_ENOMEM. */
int clv__figures_add(clv__figures *q, const char *dir, const char *script, const char *stem, const int *formats,
                     int n_formats, const char *const *vars, size_t n_vars, clv_error *err);
/* Draw every queued figure (stop polled first), as clv_plot_all. */
int clv__figures_draw(const clv__figures *q, const clv_progress *stop, clv_error *err);
void clv__figures_free(clv__figures *q);

#endif
