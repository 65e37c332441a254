/* io.c - atomic writes (temporary file, fsync, rename) and guarded output directories. */
#include "clvsim/io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io_internal.h"

int clv_path_join(char *buf, size_t n, const char *dir, const char *name, clv_error *err)
{
    size_t dl = strlen(dir);
    int need_slash = dl > 0 && dir[dl - 1] != '/';
    int k = snprintf(buf, n, "%s%s%s", dir, need_slash ? "/" : "", name);
    if (k < 0 || (size_t)k >= n)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "path too long: %s/%s", dir, name);
    return CLV_OK;
}

/* directory part of path ("." when there is none) into buf */
static void dir_of(const char *path, char *buf, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(buf, n, ".");
    else if (slash == path)
        snprintf(buf, n, "/");
    else
        snprintf(buf, n, "%.*s", (int)(slash - path), path);
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* ---- the temporary files of the process, for a forced stop ----
 *
 * The one piece of global state of the library, and why: a signal that
 * must end the process now (a second Ctrl-C) runs a handler that can only
 * call async-signal-safe functions, and cannot reach the clv_afile structs
 * on the stacks of whatever code is running.  So every temporary file the
 * library creates is also named in this fixed table, which such a handler
 * reads with atomic loads (lock-free, hence safe in a handler) to unlink
 * them.  A slot is 0 (free), 1 (being written or cleared: skipped) or 2
 * (holds a name).  The table changes no result of any computation. */
enum { TRACKED = 64 };
static char tracked_path[TRACKED][CLV_IO_PATH_MAX];
static atomic_int tracked_state[TRACKED];

void clv__tmp_track(const char *path)
{
    size_t n = strlen(path);
    if (n >= CLV_IO_PATH_MAX)
        return;
    for (int i = 0; i < TRACKED; i++) {
        int expect = 0;
        if (atomic_compare_exchange_strong(&tracked_state[i], &expect, 1)) {
            memcpy(tracked_path[i], path, n + 1);
            atomic_store(&tracked_state[i], 2);
            return;
        }
    }
    /* more than TRACKED at once: this one is not removed by a forced stop */
}

void clv__tmp_untrack(const char *path)
{
    for (int i = 0; i < TRACKED; i++) {
        int expect = 2;
        if (atomic_load(&tracked_state[i]) == 2 && strcmp(tracked_path[i], path) == 0 &&
            atomic_compare_exchange_strong(&tracked_state[i], &expect, 1)) {
            atomic_store(&tracked_state[i], 0);
            return;
        }
    }
}

void clv_afile_unlink_all(void)
{
    for (int i = 0; i < TRACKED; i++)
        if (atomic_load(&tracked_state[i]) == 2)
            unlink(tracked_path[i]);
}

/* umask can only be read by setting it; do that once, before threads write */
static pthread_once_t umask_once = PTHREAD_ONCE_INIT;
static mode_t process_umask;
static void read_umask(void)
{
    process_umask = umask(0);
    umask(process_umask);
}

int clv_afile_open(clv_afile *af, const char *path, clv_error *err)
{
    af->fp = NULL;
    af->tmp[0] = '\0';
    memset(&af->num, 0, sizeof af->num);
    if (snprintf(af->path, sizeof af->path, "%s", path) >= (int)sizeof af->path)
        return clv_error_set(err, CLV_EINPUT, path, 0, NULL, "path too long");
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char dir[CLV_IO_PATH_MAX];
    dir_of(path, dir, sizeof dir);
    /* hidden temporary name in the target's directory, so rename is atomic */
    char name[CLV_IO_PATH_MAX];
    snprintf(name, sizeof name, ".%s.tmp.XXXXXX", base);
    if (clv_path_join(af->tmp, sizeof af->tmp, dir, name, err) != CLV_OK)
        return CLV_EINPUT;
    int fd = mkstemp(af->tmp);
    if (fd < 0) {
        int e = errno;
        af->tmp[0] = '\0';
        return clv_error_set(err, CLV_EIO, path, 0, NULL, "cannot create a temporary file in %s: %s",
                             dir, strerror(e));
    }
    clv__tmp_track(af->tmp);
    /* mkstemp creates 0600; outputs are ordinary files (0666 less umask) */
    pthread_once(&umask_once, read_umask);
    fchmod(fd, 0666 & ~process_umask);
    af->fp = fdopen(fd, "w");
    if (!af->fp) {
        int e = errno;
        close(fd);
        unlink(af->tmp);
        clv__tmp_untrack(af->tmp);
        af->tmp[0] = '\0';
        return clv_error_set(err, CLV_EIO, path, 0, NULL, "cannot open for writing: %s", strerror(e));
    }
    return CLV_OK;
}

void clv_afile_abort(clv_afile *af)
{
    if (af->fp) {
        fclose(af->fp);
        af->fp = NULL;
    }
    if (af->tmp[0]) {
        unlink(af->tmp);
        clv__tmp_untrack(af->tmp);
        af->tmp[0] = '\0';
    }
}

int clv_afile_commit(clv_afile *af, clv_error *err)
{
    const char *what = NULL;
    int e = 0;
    if (!af->fp)
        return clv_error_set(err, CLV_EIO, af->path, 0, NULL, "file was not opened for writing");
    if (af->num.bad) { /* a number that is not finite: nothing is committed */
        int st = clv_numcheck_error(&af->num, af->fp, af->path, err);
        clv_afile_abort(af);
        return st;
    }
    if (ferror(af->fp))
        what = "write", e = EIO;
    else if (fflush(af->fp) != 0)
        what = "write", e = errno;
    else if (fsync(fileno(af->fp)) != 0 && errno != EINVAL)
        what = "fsync", e = errno;
    if (what) {
        clv_afile_abort(af);
        return clv_error_set(err, CLV_EIO, af->path, 0, NULL, "%s failed: %s", what, strerror(e));
    }
    FILE *fp = af->fp;
    af->fp = NULL;
    if (fclose(fp) != 0) {
        e = errno;
        clv_afile_abort(af);
        return clv_error_set(err, CLV_EIO, af->path, 0, NULL, "close failed: %s", strerror(e));
    }
    if (rename(af->tmp, af->path) != 0) {
        e = errno;
        clv_afile_abort(af);
        return clv_error_set(err, CLV_EIO, af->path, 0, NULL, "rename failed: %s", strerror(e));
    }
    clv__tmp_untrack(af->tmp); /* after the rename: a forced stop before it removes the file */
    af->tmp[0] = '\0';
    char dir[CLV_IO_PATH_MAX];
    dir_of(af->path, dir, sizeof dir);
    fsync_dir(dir); /* best effort: the rename itself already happened */
    return CLV_OK;
}

int clv_write_file_atomic(const char *path, const void *data, size_t len, clv_error *err)
{
    clv_afile af;
    int st = clv_afile_open(&af, path, err);
    if (st != CLV_OK)
        return st;
    if (len && fwrite(data, 1, len, af.fp) != len) {
        int e = errno;
        clv_afile_abort(&af);
        return clv_error_set(err, CLV_EIO, path, 0, NULL, "write failed: %s", strerror(e));
    }
    return clv_afile_commit(&af, err);
}

/* mkdir -p */
static int make_dirs(const char *dir, clv_error *err)
{
    char buf[CLV_IO_PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf)
        return clv_error_set(err, CLV_EINPUT, dir, 0, NULL, "path too long");
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return clv_error_set(err, CLV_EIO, buf, 0, NULL, "cannot create directory: %s",
                                     strerror(errno));
            *p = c;
            if (c == '\0')
                break;
        }
    }
    return CLV_OK;
}

int clv_output_dir_prepare(const char *dir, int force, clv_error *err)
{
    struct stat st;
    char marker[CLV_IO_PATH_MAX];
    if (!dir[0])
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "output", "empty output directory name");
    if (clv_path_join(marker, sizeof marker, dir, CLV_OUTPUT_MARKER, err) != CLV_OK)
        return CLV_EINPUT;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return clv_error_set(err, CLV_EINPUT, dir, 0, NULL,
                                 "exists and is not a directory; choose another output directory");
        if (access(marker, F_OK) != 0 && !force) {
            /* refuse a directory with content that clvsim did not make */
            DIR *d = opendir(dir);
            if (!d)
                return clv_error_set(err, CLV_EIO, dir, 0, NULL, "cannot read directory: %s",
                                     strerror(errno));
            int has_content = 0;
            struct dirent *de;
            while ((de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
                    has_content = 1;
                    break;
                }
            }
            closedir(d);
            if (has_content)
                return clv_error_set(err, CLV_EINPUT, dir, 0, NULL,
                                     "directory exists, is not empty and was not made by clvsim; "
                                     "choose another output directory or pass --force to write into it");
        }
    } else if (errno != ENOENT) {
        return clv_error_set(err, CLV_EIO, dir, 0, NULL, "cannot access: %s", strerror(errno));
    } else {
        int rc = make_dirs(dir, err);
        if (rc != CLV_OK)
            return rc;
    }
    if (access(marker, F_OK) != 0) {
        static const char text[] =
            "This directory holds outputs of clvsim; clvsim may overwrite the files it wrote here.\n";
        return clv_write_file_atomic(marker, text, sizeof text - 1, err);
    }
    return CLV_OK;
}

int clv_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
        return 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), bit by bit: tables
 * are saved rarely, so a lookup table is not worth its code */
uint32_t clv_crc32(uint32_t crc, const void *data, size_t n)
{
    const unsigned char *p = data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}
