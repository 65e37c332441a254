/* binfile.c - opening a binary input file: a regular file, its length known before anything is read. */
#include "binfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int clv__binfile_open(const char *path, const char *what, FILE **fp, uint64_t *size, clv_error *err)
{
    *fp = NULL;
    *size = 0;
    /* non-blocking, so that a FIFO with no writer does not hang the open */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return clv_error_set(err, CLV_EIO, path, 0, NULL, "cannot open: %s", strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        const int e = errno;
        close(fd);
        return clv_error_set(err, CLV_EIO, path, 0, NULL, "cannot read: %s", strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return clv_error_set(err, CLV_EINPUT, path, 0, NULL, "not a regular file (%s); expected a clvsim %s file",
                             S_ISDIR(sb.st_mode) ? "a directory" : S_ISFIFO(sb.st_mode) ? "a FIFO"
                             : S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode)             ? "a device"
                                                                                       : "a socket or other",
                             what);
    }
    /* back to blocking reads (a regular file never blocks; this keeps stdio plain) */
    const int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    if (!(*fp = fdopen(fd, "rb"))) {
        const int e = errno;
        close(fd);
        return clv_error_set(err, CLV_EIO, path, 0, NULL, "cannot read: %s", strerror(e));
    }
    *size = (uint64_t)sb.st_size;
    return CLV_OK;
}
