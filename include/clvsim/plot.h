/* clvsim/plot.h - rendering figures with gnuplot, run as a separate program.
 *
 * Figures are drawn by versioned gnuplot scripts (the repository's plots/,
 * installed under PREFIX/share/clvsim/plots) from CSV files clvsim wrote.
 * A script reads its inputs and its output name from variables given on
 * gnuplot's command line (-e "name='value'"); it sets the terminal from the
 * variable fmt ("png" or "svg"), writes to the variable outfile, and finds
 * its sibling scripts (common.gp) in the variable dir.
 */
#ifndef CLVSIM_PLOT_H
#define CLVSIM_PLOT_H

#include <stddef.h>

#include "clvsim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when a gnuplot program is on the PATH. */
int clv_plot_available(void);

/* The directory of the plot scripts, into buf: the first of the
 * directories of $CLVSIM_PLOTS_DIR (colon-separated), PREFIX/share/clvsim/plots
 * for the program PREFIX/bin/clvsim (an installation), the plots/ of the
 * source tree the library was built from, and ../plots from the program's
 * directory (a build tree), that holds the script `probe` (the same order
 * as the scenarios of clv_scn_find).  Returns CLV_OK or CLV_EIO (err names
 * every directory it looked in). */
int clv_plot_dir(char *buf, size_t n, const char *probe, clv_error *err);

/* Run gnuplot on script to produce output (format from its extension, .png
 * or .svg), with the variables vars[0..n_vars) given as "name=value"
 * (values are quoted for gnuplot here).  The figure is written to a
 * temporary file and renamed over output on success, so output is never
 * left half-written.  Returns CLV_OK, CLV_EUNSUPPORTED when gnuplot is not
 * installed, CLV_ENOMEM ("out of memory") when gnuplot cannot be started or
 * fails under an address-space limit (ulimit -v, which it inherits and
 * needs more of than clvsim), or CLV_EIO when gnuplot fails otherwise (err
 * has gnuplot's first error, or the first line of its error output that
 * is not a warning). */
int clv_plot(const char *script, const char *output, const char *const *vars, size_t n_vars, clv_error *err);

/* Several figures at once: clv_plot of each spec[0..n), every gnuplot started before the first is
 * waited for, so that they run side by side.  With no more figures than processors each has a
 * gnuplot of its own.  With more, the PNG figures are shared among one gnuplot per processor,
 * each drawing its share in turn ("reset session" between them: the same bytes as a gnuplot of
 * their own), since a gnuplot's start costs about as much as a PNG figure; every SVG figure keeps
 * a gnuplot of its own (gnuplot's SVG terminal carries state from one figure to the next).  A
 * gnuplot that fails has its figures drawn again one per gnuplot, so that the error is the
 * failing figure's own.  Returns CLV_OK, or the error of the first failure in the order given
 * (every output of a failed figure is removed, the others are written). */
typedef struct clv_plot_spec {
    const char *script, *output;
    const char *const *vars;
    size_t n_vars;
} clv_plot_spec;
int clv_plot_all(const clv_plot_spec *spec, size_t n, clv_error *err);

#ifdef __cplusplus
}
#endif
#endif
