/* sharedir.h - where clvsim looks for the files it ships beside the program
 * (gnuplot scripts, scenarios); internal to the library.  One search order
 * for every kind, so that a build tree, a source tree and an installation
 * find their files alike. */
#ifndef CLVSIM_SHAREDIR_H
#define CLVSIM_SHAREDIR_H

#include "clvsim/io.h"

enum { CLV__SHARE_DIRS_MAX = 16 };

typedef struct clv__share_dirs {
    int n;
    char dir[CLV__SHARE_DIRS_MAX][CLV_IO_PATH_MAX];
    const char *why[CLV__SHARE_DIRS_MAX]; /* where each comes from, for messages */
    char env_label[64];                   /* "$NAME" of the environment variable */
} clv__share_dirs;

/* The directories of the files of kind sub ("plots", "scenarios"), in
 * order, without repeats:
 *   1. each directory of the environment variable env (colon-separated,
 *      empty entries skipped),
 *   2. PREFIX/share/clvsim/SUB for the program PREFIX/bin/clvsim (an
 *      installation: make install),
 *   3. SUB in the source tree the library was built from (CLV_SOURCE_DIR,
 *      given by the Makefile; none without it),
 *   4. ../SUB from the program's directory (a build tree: build/clvsim).
 * The program is /proc/self/exe; without it only 1 and 3 are given. */
void clv__share_dirs_find(clv__share_dirs *d, const char *env, const char *sub);

/* d's directories as "DIR (WHY), ..." into buf (n bytes; "no directory"
 * when there is none) */
void clv__share_dirs_text(const clv__share_dirs *d, char *buf, size_t n);

/* The first of d's directories that holds file as a readable regular
 * file: its index, with "DIR/file" in path (n bytes); -1 when none does
 * (a path that does not fit in n counts as none). */
int clv__share_dirs_first(const clv__share_dirs *d, const char *file, char *path, size_t n);

#endif
