/* clvsim/io.h - atomic output files and the run's output directory.
 *
 * Every file clvsim writes is written atomically: to a temporary file in the
 * same directory, flushed to disk, then renamed over the target.  A reader
 * sees either the old file or the complete new one, never a partial file,
 * even when the run is stopped with Ctrl-C or dies half-way.
 *
 * Output directories are guarded so that nothing a user gave us is
 * overwritten without asking: a directory clvsim creates carries a marker
 * file (.clvsim-output); clvsim writes into an existing directory only when
 * it has that marker, is empty, or the caller passes force.
 *
 * A run's outputs are committed together (clv_outdir): the run holds an
 * exclusive lock on the directory for its whole duration (flock on the
 * marker, which the kernel releases when the process ends however it ends),
 * writes every file into a staging directory inside it, and only when all
 * are written moves them into place, the file that describes the run (the
 * resolved scenario) last.  So after a run that failed, was interrupted or
 * was killed before its commit, the directory holds the previous run's
 * files exactly as they were; a run never sees another's half-written
 * files; and a second run into a directory in use fails at once, naming the
 * pid of the first.
 */
#ifndef CLVSIM_IO_H
#define CLVSIM_IO_H

#include <stdint.h>
#include <stdio.h>

#include "clvsim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CLV_IO_PATH_MAX = 4096 };

#define CLV_OUTPUT_MARKER ".clvsim-output"
/* the name prefix of a run's staging directory inside its output directory */
#define CLV_OUTPUT_STAGE ".clvsim-run."

/* ---- numbers in text outputs ----
 * No output of clvsim holds inf or nan.  The writers of text and CSV files
 * put every number through clv_put_num, which writes a finite value with its
 * printf format and records the first value that is not finite, with its
 * column; the output is then refused: clv_afile_commit fails with
 * CLV_ENUMERIC naming the file, the line and the column
 * ("out/summary.csv:3: roi_vs_none: not a finite number (nan); ...") and
 * removes the temporary file, so that an earlier file stays as it was.  A
 * value that is legitimately undefined (the ROI of a policy without coupon
 * spend, a standard error from one visit) is written as an empty field with
 * clv_put_blank or clv_put_opt: an honest empty cell, never "nan". */

/* The first non-finite number given to clv_put_num.  Zero it to start. */
typedef struct clv_numcheck {
    int bad;                         /* 1 once a non-finite number was given */
    double value;                    /* that number */
    long offset;                     /* where in its stream it was to be written (ftell), -1 when unknown */
    char column[64];                 /* its column (CSV) or name (text) */
} clv_numcheck;

/* 1 when v is finite; else 0, and v is recorded in chk when it is the first
 * (with column and fp's position; fp may be NULL: position unknown).  For a
 * writer that formats a number itself (thousands separators); the others
 * use clv_put_num, which calls it. */
int clv_num_ok(clv_numcheck *chk, FILE *fp, const char *column, double v);

/* Write v to fp with fmt: a printf format with exactly one conversion of a
 * double (f, F, e, E, g, G, a or A, with any flags, width and precision)
 * and any text around it, e.g. ",%.6f" or "  %12.4f\n".  A finite v is
 * written; a non-finite one is recorded in chk (the first one, with column;
 * chk must not be NULL) and only the text around the conversion is written.
 * Returns 0, or -1 when writing failed.  A format without exactly one such
 * conversion is a programming error (assert). */
int clv_put_num(FILE *fp, clv_numcheck *chk, const char *column, const char *fmt, double v);

/* As clv_put_num, but a NaN, which the value's producer returns for
 * "undefined" (a correlation of constant values, a standard error without a
 * Hessian), is written as clv_put_blank writes it; infinities are still
 * recorded. */
int clv_put_opt(FILE *fp, clv_numcheck *chk, const char *column, const char *fmt, double v);
/* Write text as one CSV field: as it is, or in double quotes (a quote
 * doubled) when it holds a comma, a quote or a line break (RFC 4180). */
void clv_put_csv_text(FILE *fp, const char *text);

/* Write fmt with its conversion left empty: the text around it, and as many
 * spaces as the conversion's width (none in a CSV: an empty field). */
int clv_put_blank(FILE *fp, const char *fmt);

/* CLV_OK when chk holds no non-finite number; else CLV_ENUMERIC in err
 * with file (may be NULL: then err's file is left empty, for the caller
 * to name), the column as field, and the line of the number, counted in
 * the file behind fp up to chk->offset (0 when fp cannot be read back,
 * e.g. a pipe).  fp is flushed.  Thread-safe for distinct streams. */
int clv_numcheck_error(const clv_numcheck *chk, FILE *fp, const char *file, clv_error *err);

/* An output file being written.  Caller-owned; fill with clv_afile_open. */
typedef struct clv_afile {
    FILE *fp;                        /* write here between open and commit/abort */
    char path[CLV_IO_PATH_MAX];      /* final path */
    char tmp[CLV_IO_PATH_MAX];       /* temporary path, same directory */
    clv_numcheck num;                /* the numbers written with clv_put_num(fp, &num, ...) */
} clv_afile;

/* Start writing path: creates a unique temporary file beside it.  Returns
 * CLV_OK (af->fp is open) or CLV_EIO with the reason in err. */
int clv_afile_open(clv_afile *af, const char *path, clv_error *err);

/* Finish: flush, fsync, close, rename over path, fsync the directory.
 * On any failure the temporary file is removed, the previous file at path
 * is left as it was, and CLV_EIO is returned; CLV_ENUMERIC (with
 * clv_numcheck_error's message) when a number written with
 * clv_put_num(af->fp, &af->num, ...) was not finite. */
int clv_afile_commit(clv_afile *af, clv_error *err);

/* Give up: close and remove the temporary file.  Safe after a failed
 * commit and on a zeroed struct. */
void clv_afile_abort(clv_afile *af);

/* Remove the temporary file of every clv_afile the process has open, the
 * other temporary files of the library (a plot's gnuplot messages), and
 * the staging directory of every open clv_outdir with the files staged in
 * it (on Linux, through getdents64; elsewhere the next run into the
 * directory removes it):
 * for a forced stop, in a signal handler about to end the process (the
 * clvsim command calls it on a second Ctrl-C or SIGTERM).  Async-signal-
 * safe and thread-safe: it reads a fixed table of names with atomic loads
 * and calls unlink(2).  The tables are the library's one piece of global
 * state; they name at most 64 files and 8 staging directories at once (more are not tracked), each
 * from just after its temporary file is created until just after it is
 * renamed or removed, so a stop in the few instructions between mkstemp
 * and the table can still leave one behind; SIGKILL leaves them all. */
void clv_afile_unlink_all(void);

/* Write len bytes to path atomically (open, write, commit). */
int clv_write_file_atomic(const char *path, const void *data, size_t len, clv_error *err);

/* Make dir (and missing parents) ready to receive a run's outputs.
 * - absent: created, with the marker file;
 * - present with the marker, or empty: used (the marker is added);
 * - present with other content and no marker: CLV_EINPUT unless force.
 * A path that exists but is not a directory is CLV_EINPUT.  Safe when
 * several processes prepare one directory at once (mkdir of dir is the
 * claim, the marker is created with O_EXCL).  It does not lock: to write a
 * run's outputs, use clv_outdir_open. */
int clv_output_dir_prepare(const char *dir, int force, clv_error *err);

/* A run's claim on its output directory.  Caller-owned; fill with
 * clv_outdir_open, end with clv_outdir_close. */
typedef struct clv_outdir {
    char dir[CLV_IO_PATH_MAX];       /* the output directory, as given */
    char stage[CLV_IO_PATH_MAX];     /* DIR/.clvsim-run.XXXXXX: write here; "" once committed or closed */
    int fd;                          /* the locked marker; -1 when not held */
    void *stage_dir;                 /* the staging directory, opened (a DIR *), so that the
                                      * commit allocates nothing */
} clv_outdir;

/* Prepare dir as clv_output_dir_prepare does, take its lock (held until
 * clv_outdir_close or the end of the process; not inherited by programs the
 * process runs), remove the staging directories of runs that died, and
 * create this run's staging directory.  CLV_EIO with err->file = dir and
 * the message "is in use by another clvsim run (pid N); wait for it to
 * finish or choose another output directory" when another process (or
 * another clv_outdir of this one) holds the lock.  On failure nothing is
 * held and clv_outdir_close is a no-op. */
int clv_outdir_open(clv_outdir *od, const char *dir, int force, clv_error *err);

/* The staged path of the output `name` into buf: where the run writes the
 * file that will be DIR/name after the commit. */
int clv_outdir_path(const clv_outdir *od, const char *name, char *buf, size_t n, clv_error *err);

/* Open the staged DIR/name of od for atomic writing; CLV_EINPUT when
 * DIR/name is the same file as input (the user's data or scenario, which
 * is never overwritten; input may be NULL). */
int clv_outdir_stage(const clv_outdir *od, const char *name, const char *input, clv_afile *af, clv_error *err);

/* End a staged output: commit af when st is CLV_OK and nothing failed,
 * else remove it; returns the status.  A number that was not finite
 * (clv_put_num into af->num, or a writer's CLV_ENUMERIC without a file)
 * fails it with CLV_ENUMERIC naming af's file. */
int clv_afile_end(clv_afile *af, int st, clv_error *err);

/* Why a stdio write failed, from the errno it left (read it at once): the
 * device's reason when it gave one (no space, I/O error, file too large,
 * quota, read-only), else "out of memory", the one other way fprintf fails
 * on clvsim's formats (errno is then not reliable). */
const char *clv_write_failure(int errnum);

/* Move every staged file into DIR, replacing files of the same names.
 * When last names a staged file, DIR/last is removed first and the new one
 * moved in after all the others, so that DIR/last never stands beside a
 * mixture of two runs' files, even if the process dies during the commit
 * (it is then absent).  Files of earlier runs that this run did not write
 * are left alone.  Nothing is allocated (the staging directory is open
 * since clv_outdir_open), so a run that has written everything is not lost
 * for want of memory.  Before anything is moved, a directory standing where
 * a file goes is refused (CLV_EIO naming it).  Returns CLV_OK, or CLV_EIO
 * naming the file that could not be moved. */
int clv_outdir_commit(clv_outdir *od, const char *last, clv_error *err);

/* When err->file is a staged path of od, make it the path the file has
 * after the commit (for messages). */
void clv_outdir_error_path(const clv_outdir *od, clv_error *err);

/* Drop what is staged (nothing, after a commit) and release the lock.
 * Safe on a failed open and twice. */
void clv_outdir_close(clv_outdir *od);

/* Join dir and name with one '/' into buf of size n.  Returns CLV_OK or
 * CLV_EINPUT (with err) when the result does not fit. */
int clv_path_join(char *buf, size_t n, const char *dir, const char *name, clv_error *err);

/* 1 when the two paths name the same existing file (same device and inode). */
int clv_same_file(const char *a, const char *b);

/* CRC-32 (IEEE 802.3) of n bytes, continuing from crc (0 to start): the
 * checksum of clvsim's binary files. */
uint32_t clv_crc32(uint32_t crc, const void *data, size_t n);

#ifdef __cplusplus
}
#endif
#endif
