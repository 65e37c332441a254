/* report_out.c - the staged files of a run: open, close, end the run's directory, the resolved scenario, figures. */
#include "clvsim/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clvsim/plot.h"

int clv_report_end(clv_outdir *od, int st, const char *last, const char *const *drop, int n_drop, clv_error *err)
{
    if (st == CLV_OK && od->fd >= 0)
        st = clv_outdir_commit(od, last, err);
    for (int k = 0; st == CLV_OK && k < n_drop; k++) {
        char path[CLV_IO_PATH_MAX];
        if (clv_path_join(path, sizeof path, od->dir, drop[k], NULL) == CLV_OK)
            unlink(path);
    }
    if (st != CLV_OK)
        clv_outdir_error_path(od, err);
    /* stopped: say what became of the directory */
    if (st == CLV_ECANCELLED && od->dir[0]) {
        const size_t k = strlen(err->msg);
        snprintf(err->msg + k, sizeof err->msg - k, "; no results were written to %s", od->dir);
    }
    clv_outdir_close(od);
    return st;
}

/* stage the resolved scenario, never to be moved over the scenario itself */
int clv_report_resolved(const clv_scenario *scn, const clv_outdir *od, clv_error *err)
{
    char final[CLV_IO_PATH_MAX], path[CLV_IO_PATH_MAX];
    int st = clv_path_join(final, sizeof final, od->dir, CLV_REPORT_RESOLVED, err);
    if (st == CLV_OK && clv_same_file(final, scn->source))
        return clv_error_set(err, CLV_EINPUT, final, 0, NULL,
                             "is the scenario being run; choose another output directory");
    if (st == CLV_OK)
        st = clv_outdir_path(od, CLV_REPORT_RESOLVED, path, sizeof path, err);
    clv_afile af;
    if (st == CLV_OK)
        st = clv_afile_open(&af, path, err);
    if (st != CLV_OK)
        return st;
    /* clv_afile_end names the file of a value that is not finite */
    return clv_afile_end(&af, clv_scn_write(scn, af.fp, err), err);
}

int clv_report_figure(const char *dir, const char *script, const char *stem, const int *formats, int n_formats,
                      const char *const *vars, size_t n_vars, const clv_progress *stop, clv_error *err)
{
    if (!clv_plot_available())
        return clv_error_set(err, CLV_EUNSUPPORTED, NULL, 0, NULL, "gnuplot not found");
    char pdir[CLV_IO_PATH_MAX], path[CLV_IO_PATH_MAX * 2];
    int st = clv_plot_dir(pdir, sizeof pdir, script, err);
    snprintf(path, sizeof path, "%s/%s", pdir, script);
    for (int f = 0; st == CLV_OK && f < n_formats; f++) {
        char name[128], out[CLV_IO_PATH_MAX];
        snprintf(name, sizeof name, "%s.%s", stem, formats[f] == CLV_FORMAT_SVG ? "svg" : "png");
        if (clv_progress_poll(stop) != CLV_OK)
            st = clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "stopped");
        else if ((st = clv_path_join(out, sizeof out, dir, name, err)) == CLV_OK)
            st = clv_plot(path, out, vars, n_vars, err);
    }
    return st;
}
