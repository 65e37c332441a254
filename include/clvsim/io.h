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

/* An output file being written.  Caller-owned; fill with clv_afile_open. */
typedef struct clv_afile {
    FILE *fp;                        /* write here between open and commit/abort */
    char path[CLV_IO_PATH_MAX];      /* final path */
    char tmp[CLV_IO_PATH_MAX];       /* temporary path, same directory */
} clv_afile;

/* Start writing path: creates a unique temporary file beside it.  Returns
 * CLV_OK (af->fp is open) or CLV_EIO with the reason in err. */
int clv_afile_open(clv_afile *af, const char *path, clv_error *err);

/* Finish: flush, fsync, close, rename over path, fsync the directory.
 * On any failure the temporary file is removed, the previous file at path
 * is left as it was, and CLV_EIO is returned. */
int clv_afile_commit(clv_afile *af, clv_error *err);

/* Give up: close and remove the temporary file.  Safe after a failed
 * commit and on a zeroed struct. */
void clv_afile_abort(clv_afile *af);

/* Remove the temporary file of every clv_afile the process has open, and
 * the other temporary files of the library (a plot's gnuplot messages):
 * for a forced stop, in a signal handler about to end the process (the
 * clvsim command calls it on a second Ctrl-C or SIGTERM).  Async-signal-
 * safe and thread-safe: it reads a fixed table of names with atomic loads
 * and calls unlink(2).  The table is the library's one piece of global
 * state; it names at most 64 files at once (more are not tracked), each
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
 * A path that exists but is not a directory is CLV_EINPUT. */
int clv_output_dir_prepare(const char *dir, int force, clv_error *err);

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
