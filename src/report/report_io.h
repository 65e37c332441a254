/* report_io.h - the staged output files of the library's writers (internal to src/report). */
#ifndef CLVSIM_REPORT_IO_H
#define CLVSIM_REPORT_IO_H

#include "clvsim/io.h"

/* Open the staged DIR/name of od for atomic writing; CLV_EINPUT when
 * DIR/name is the same file as input (NULL: none; the user's data or
 * scenario, which is never overwritten). */
int clv__report_open(const clv_outdir *od, const char *name, const char *input, clv_afile *af, clv_error *err);

/* Commit af when st is CLV_OK and writing did not fail, else remove it;
 * returns the status.  A library writer's CLV_ENUMERIC without a file is
 * made to name af's file. */
int clv__report_close(clv_afile *af, int st, clv_error *err);

#endif
