/* report_io.c - the staged output files of the library's writers. */
#include "report_io.h"

#include <stdio.h>
#include <string.h>

int clv__report_open(const clv_outdir *od, const char *name, const char *input, clv_afile *af, clv_error *err)
{
    char final[CLV_IO_PATH_MAX], path[CLV_IO_PATH_MAX];
    int st = clv_path_join(final, sizeof final, od->dir, name, err);
    if (st == CLV_OK && input && clv_same_file(final, input))
        st = clv_error_set(err, CLV_EINPUT, final, 0, NULL, "is an input of this run; choose another output directory");
    if (st == CLV_OK)
        st = clv_outdir_path(od, name, path, sizeof path, err);
    return st == CLV_OK ? clv_afile_open(af, path, err) : st;
}

int clv__report_close(clv_afile *af, int st, clv_error *err)
{
    if (st == CLV_OK && ferror(af->fp))
        st = clv_error_set(err, CLV_EIO, af->path, 0, NULL, "write failed");
    if (st != CLV_OK) {
        /* a library writer's non-finite number: the file is the one it wrote */
        if (st == CLV_ENUMERIC && err && !err->file[0])
            snprintf(err->file, sizeof err->file, "%.1000s", af->path);
        clv_afile_abort(af);
        return st;
    }
    return clv_afile_commit(af, err);
}
