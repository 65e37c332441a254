/* binfile.h - opening clvsim's binary files (Q tables, networks) for reading; internal to the library. */
#ifndef CLVSIM_BINFILE_H
#define CLVSIM_BINFILE_H

#include <stdint.h>
#include <stdio.h>

#include "clvsim/error.h"

/* Open path for reading and give its length in bytes, so that a loader can
 * check the sizes its header claims against the file before it allocates
 * anything.  Only a regular file is accepted: a directory, FIFO, socket or
 * device is refused without blocking (the file is opened non-blocking and
 * checked with fstat before anything is read).  what ("Q table",
 * "network") names the kind of file in the messages.  Returns CLV_OK with
 * *fp open (close it with fclose), CLV_EIO when it cannot be opened, or
 * CLV_EINPUT when it is not a regular file; err names path. */
int clv__binfile_open(const char *path, const char *what, FILE **fp, uint64_t *size, clv_error *err);

#endif
