/* report_out.c - the staged files of a run: open, close, end the run's directory, the resolved scenario, figures. */
#include "clvsim/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clvsim/plot.h"
#include "report_internal.h"

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

int clv__figures_add(clv__figures *q, const char *dir, const char *script, const char *stem, const int *formats,
                     int n_formats, const char *const *vars, size_t n_vars, clv_error *err)
{
    char pdir[CLV_IO_PATH_MAX];
    int st = clv_plot_dir(pdir, sizeof pdir, script, err);
    if (st != CLV_OK)
        return st;
    /* one block: the variables' pointers, then the script path, the variables and the outputs */
    size_t size = n_vars * sizeof(char *) + strlen(pdir) + strlen(script) + 2;
    for (size_t k = 0; k < n_vars; k++)
        size += strlen(vars[k]) + 1;
    size += (size_t)n_formats * (strlen(dir) + strlen(stem) + 6);
    if (q->n + (size_t)n_formats > q->cap) {
        const size_t cap = 2 * q->cap + (size_t)n_formats + 8;
        clv_plot_spec *sp = realloc(q->spec, cap * sizeof *sp);
        if (!sp)
            return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        q->spec = sp, q->cap = cap;
    }
    void **bl = realloc(q->block, (q->n_blocks + 1) * sizeof *bl);
    if (!bl)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    q->block = bl;
    char **vp = malloc(size);
    if (!vp)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    q->block[q->n_blocks++] = vp;
    char *p = (char *)(vp + n_vars), *path = p;
    p += sprintf(p, "%s/%s", pdir, script) + 1;
    for (size_t k = 0; k < n_vars; k++) {
        vp[k] = p;
        p += sprintf(p, "%s", vars[k]) + 1;
    }
    for (int f = 0; f < n_formats; f++) {
        char *out = p;
        p += sprintf(p, "%s/%s.%s", dir, stem, formats[f] == CLV_FORMAT_SVG ? "svg" : "png") + 1;
        q->spec[q->n++] = (clv_plot_spec){path, out, (const char *const *)vp, n_vars};
    }
    return CLV_OK;
}

int clv__figures_draw(const clv__figures *q, const clv_progress *stop, clv_error *err)
{
    if (clv_progress_poll(stop) != CLV_OK)
        return clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "stopped");
    return q->n ? clv_plot_all(q->spec, q->n, err) : CLV_OK;
}

void clv__figures_free(clv__figures *q)
{
    for (size_t k = 0; k < q->n_blocks; k++)
        free(q->block[k]);
    free(q->block);
    free(q->spec);
    memset(q, 0, sizeof *q);
}

int clv_report_figure(const char *dir, const char *script, const char *stem, const int *formats, int n_formats,
                      const char *const *vars, size_t n_vars, const clv_progress *stop, clv_error *err)
{
    if (!clv_plot_available())
        return clv_error_set(err, CLV_EUNSUPPORTED, NULL, 0, NULL, "gnuplot not found");
    clv__figures q = {0};
    int st = clv__figures_add(&q, dir, script, stem, formats, n_formats, vars, n_vars, err);
    if (st == CLV_OK)
        st = clv__figures_draw(&q, stop, err);
    clv__figures_free(&q);
    return st;
}
