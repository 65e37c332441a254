/* io.c - atomic writes (temporary file, fsync, rename) and guarded output directories. */
/* syscall(2) for getdents64 (a forced stop's removal of staging directories) */
#define _DEFAULT_SOURCE
#include "clvsim/io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <signal.h>
#include <time.h>
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
typedef struct {
    int n;
    char (*path)[CLV_IO_PATH_MAX];
    atomic_int *state;
} name_table;

static void table_add(const name_table *t, const char *path)
{
    size_t n = strlen(path);
    for (int i = 0; n < CLV_IO_PATH_MAX && i < t->n; i++) {
        int expect = 0;
        if (atomic_compare_exchange_strong(&t->state[i], &expect, 1)) {
            memcpy(t->path[i], path, n + 1);
            atomic_store(&t->state[i], 2);
            return;
        }
    }
    /* the table is full: this name is not removed by a forced stop */
}

static void table_remove(const name_table *t, const char *path)
{
    for (int i = 0; i < t->n; i++) {
        int expect = 2;
        if (atomic_load(&t->state[i]) == 2 && strcmp(t->path[i], path) == 0 &&
            atomic_compare_exchange_strong(&t->state[i], &expect, 1)) {
            atomic_store(&t->state[i], 0);
            return;
        }
    }
}

enum { TRACKED = 64, STAGES = 8 };
static char tracked_path[TRACKED][CLV_IO_PATH_MAX];
static atomic_int tracked_state[TRACKED];
static const name_table tracked = {TRACKED, tracked_path, tracked_state};

/* The staging directories of the open clv_outdirs (a run's files before
 * its commit, clv_outdir_open), the same way: a forced stop removes them
 * with what they hold. */
static char stage_path[STAGES][CLV_IO_PATH_MAX];
static atomic_int stage_state[STAGES];
static const name_table stages = {STAGES, stage_path, stage_state};

void clv__tmp_track(const char *path) { table_add(&tracked, path); }
void clv__tmp_untrack(const char *path) { table_remove(&tracked, path); }

/* the files of dir, then dir, with system calls only (a signal handler
 * cannot use opendir, which allocates): getdents64 into the stack */
static void remove_dir_raw(const char *dir)
{
#ifdef SYS_getdents64
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[4096] __attribute__((aligned(8)));
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (n <= 0)
            break;
        for (long off = 0; off < n;) {
            /* struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, char name[] */
            unsigned short reclen;
            memcpy(&reclen, buf + off + 16, sizeof reclen);
            const char *name = buf + off + 19;
            if (!(name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))))
                unlinkat(fd, name, 0);
            off += reclen;
        }
    }
    close(fd);
    rmdir(dir);
#else
    (void)dir; /* left for the next run into the directory, which removes it */
#endif
}

void clv_afile_unlink_all(void)
{
    for (int i = 0; i < TRACKED; i++)
        if (atomic_load(&tracked_state[i]) == 2)
            unlink(tracked_path[i]);
    for (int i = 0; i < STAGES; i++)
        if (atomic_load(&stage_state[i]) == 2)
            remove_dir_raw(stage_path[i]);
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
                             dir, clv_strerror(e));
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
        return clv_error_set(err, CLV_EIO, path, 0, NULL, "cannot open for writing: %s", clv_strerror(e));
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
        return clv_error_set(err, CLV_EIO, af->path, 0, NULL, "%s failed: %s", what, clv_strerror(e));
    }
    FILE *fp = af->fp;
    af->fp = NULL;
    if (fclose(fp) != 0) {
        e = errno;
        clv_afile_abort(af);
        return clv_error_set(err, CLV_EIO, af->path, 0, NULL, "close failed: %s", clv_strerror(e));
    }
    if (rename(af->tmp, af->path) != 0) {
        e = errno;
        clv_afile_abort(af);
        return clv_error_set(err, CLV_EIO, af->path, 0, NULL, "rename failed: %s", clv_strerror(e));
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
        return clv_error_set(err, CLV_EIO, path, 0, NULL, "write failed: %s", clv_strerror(e));
    }
    return clv_afile_commit(&af, err);
}

/* mkdir -p of the parents of dir (not dir itself: creating it is the claim) */
static int make_parents(const char *dir, clv_error *err)
{
    char buf[CLV_IO_PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf)
        return clv_error_set(err, CLV_EINPUT, dir, 0, NULL, "path too long");
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/')
        buf[--n] = '\0';
    char *last = strrchr(buf, '/');
    if (!last || last == buf)
        return CLV_OK;
    *last = '\0';
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return clv_error_set(err, CLV_EIO, buf, 0, NULL, "cannot create directory: %s",
                                     clv_strerror(errno));
            *p = c;
            if (c == '\0')
                break;
        }
    }
    return CLV_OK;
}

static const char marker_text[] =
    "This directory holds outputs of clvsim; clvsim may overwrite the files it wrote here.\n";

/* 1 when dir has an entry other than . and .., 0 when not, -1 (errno) when it cannot be read */
static int has_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int found = 0;
    struct dirent *de;
    while (!found && (de = readdir(d)) != NULL)
        found = strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    return found;
}

int clv_output_dir_prepare(const char *dir, int force, clv_error *err)
{
    struct stat st;
    char marker[CLV_IO_PATH_MAX];
    if (!dir[0])
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "output", "empty output directory name");
    if (clv_path_join(marker, sizeof marker, dir, CLV_OUTPUT_MARKER, err) != CLV_OK)
        return CLV_EINPUT;
    /* mkdir of the directory itself is the atomic claim of a new directory:
     * of two runs that start at once, one creates it and the other finds it
     * existing (and then empty or marked, never holding a third party's
     * files, since the creator's first file is the marker) */
    int rc = make_parents(dir, err);
    if (rc != CLV_OK)
        return rc;
    int created = mkdir(dir, 0777) == 0;
    if (!created && errno != EEXIST)
        return clv_error_set(err, CLV_EIO, dir, 0, NULL, "cannot create directory: %s", clv_strerror(errno));
    if (!created) {
        if (stat(dir, &st) != 0)
            return clv_error_set(err, CLV_EIO, dir, 0, NULL, "cannot access: %s", clv_strerror(errno));
        if (!S_ISDIR(st.st_mode))
            return clv_error_set(err, CLV_EINPUT, dir, 0, NULL,
                                 "exists and is not a directory; choose another output directory");
        if (access(marker, F_OK) != 0 && !force) {
            /* refuse a directory with content that clvsim did not make.
             * The marker is looked for again after content was seen: a run
             * that created the directory meanwhile made the marker first */
            int full = has_entries(dir);
            if (full < 0)
                return clv_error_set(err, CLV_EIO, dir, 0, NULL, "cannot read directory: %s", clv_strerror(errno));
            if (full && access(marker, F_OK) != 0)
                return clv_error_set(err, CLV_EINPUT, dir, 0, NULL,
                                     "directory exists, is not empty and was not made by clvsim; "
                                     "choose another output directory or pass --force to write into it");
        }
    }
    /* the marker is created in place, never renamed over (it carries the
     * lock of clv_outdir_open); O_EXCL: one of two runs writes its text */
    int fd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
        if (errno == EEXIST)
            return CLV_OK;
        return clv_error_set(err, CLV_EIO, marker, 0, NULL, "cannot create: %s", clv_strerror(errno));
    }
    ssize_t w = write(fd, marker_text, sizeof marker_text - 1);
    int e = errno;
    close(fd);
    if (w != (ssize_t)(sizeof marker_text - 1))
        return clv_error_set(err, CLV_EIO, marker, 0, NULL, "write failed: %s", w < 0 ? clv_strerror(e) : "short write");
    return CLV_OK;
}

/* ---- a run's claim on its directory, and its staged files ---- */

/* remove dir and the files in it (a staging directory: no subdirectories
 * but those of a crashed run's own, which are removed the same way) */
static void remove_tree_at(int parent, const char *name)
{
    if (unlinkat(parent, name, AT_REMOVEDIR) == 0) /* empty: nothing to allocate for */
        return;
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        unlinkat(parent, name, 0);
        return;
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (unlinkat(fd, de->d_name, 0) != 0 && (errno == EISDIR || errno == EPERM || errno == ENOTEMPTY))
            remove_tree_at(fd, de->d_name);
    }
    closedir(d);
    unlinkat(parent, name, AT_REMOVEDIR);
}

/* the staging directories of earlier runs that did not end (killed, power
 * lost): with the lock held, no live run owns one.  Up to 64 at a time
 * (names are collected first: readdir is not stable under removal); any
 * more go on the next run. */
static void remove_stale_stages(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    char names[64][256];
    int n = 0;
    struct dirent *de;
    while (n < 64 && (de = readdir(d)) != NULL)
        if (strncmp(de->d_name, CLV_OUTPUT_STAGE, sizeof CLV_OUTPUT_STAGE - 1) == 0)
            snprintf(names[n++], sizeof names[0], "%s", de->d_name);
    for (int k = 0; k < n; k++)
        remove_tree_at(fd, names[k]);
    closedir(d);
}

/* the pid written in the marker by the run that holds the lock, 0 when it
 * cannot be read yet (the holder writes it just after it took the lock) */
static long holder_pid(int fd)
{
    for (int attempt = 0; attempt < 40; attempt++) {
        char buf[512];
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        if (n > 0) {
            buf[n] = '\0';
            const char *p = strstr(buf, "in use by clvsim, pid ");
            if (p) {
                long pid = strtol(p + strlen("in use by clvsim, pid "), NULL, 10);
                if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
                    return pid;
            }
        }
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

int clv_outdir_open(clv_outdir *od, const char *dir, int force, clv_error *err)
{
    od->fd = -1;
    od->stage[0] = '\0';
    od->stage_dir = NULL;
    if (snprintf(od->dir, sizeof od->dir, "%s", dir) >= (int)sizeof od->dir)
        return clv_error_set(err, CLV_EINPUT, dir, 0, NULL, "path too long");
    int st = clv_output_dir_prepare(dir, force, err);
    if (st != CLV_OK)
        return st;
    char marker[CLV_IO_PATH_MAX];
    if ((st = clv_path_join(marker, sizeof marker, dir, CLV_OUTPUT_MARKER, err)) != CLV_OK)
        return st;
    /* close-on-exec: a child (gnuplot) must not keep the lock alive */
    int fd = open(marker, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        return clv_error_set(err, CLV_EIO, marker, 0, NULL, "cannot open: %s", clv_strerror(errno));
    /* a file system without locks (ENOLCK, EOPNOTSUPP: some FUSE and old
     * NFS setups) is used unlocked rather than refused */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
        long pid = holder_pid(fd);
        close(fd);
        char who[48] = "";
        if (pid > 0)
            snprintf(who, sizeof who, " (pid %ld)", pid);
        return clv_error_set(err, CLV_EIO, dir, 0, NULL,
                             "is in use by another clvsim run%s; wait for it to finish or choose another output "
                             "directory", who);
    }
    /* the lock holder's pid, for the message of a run that finds it locked */
    char text[sizeof marker_text + 64];
    int len = snprintf(text, sizeof text, "%sin use by clvsim, pid %ld\n", marker_text, (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) != len) {
        int e = errno;
        close(fd);
        return clv_error_set(err, CLV_EIO, marker, 0, NULL, "write failed: %s", clv_strerror(e));
    }
    od->fd = fd;
    remove_stale_stages(dir);
    char name[64];
    snprintf(name, sizeof name, "%sXXXXXX", CLV_OUTPUT_STAGE);
    if ((st = clv_path_join(od->stage, sizeof od->stage, dir, name, err)) != CLV_OK) {
        clv_outdir_close(od);
        return st;
    }
    if (!mkdtemp(od->stage)) {
        int e = errno;
        od->stage[0] = '\0';
        clv_outdir_close(od);
        return clv_error_set(err, CLV_EIO, dir, 0, NULL, "cannot create a staging directory: %s", clv_strerror(e));
    }
    table_add(&stages, od->stage);
    if (!(od->stage_dir = opendir(od->stage))) {
        int e = errno;
        clv_outdir_close(od);
        return clv_error_set(err, CLV_EIO, dir, 0, NULL, "cannot open the staging directory: %s", clv_strerror(e));
    }
    return CLV_OK;
}

int clv_outdir_path(const clv_outdir *od, const char *name, char *buf, size_t n, clv_error *err)
{
    if (!od->stage[0])
        return clv_error_set(err, CLV_EIO, od->dir, 0, NULL, "the output directory is not open for writing");
    return clv_path_join(buf, n, od->stage, name, err);
}

int clv_outdir_stage(const clv_outdir *od, const char *name, const char *input, clv_afile *af, clv_error *err)
{
    char final[CLV_IO_PATH_MAX], path[CLV_IO_PATH_MAX];
    int st = clv_path_join(final, sizeof final, od->dir, name, err);
    if (st == CLV_OK && input && clv_same_file(final, input))
        st = clv_error_set(err, CLV_EINPUT, final, 0, NULL, "is an input of this run; choose another output directory");
    if (st == CLV_OK)
        st = clv_outdir_path(od, name, path, sizeof path, err);
    return st == CLV_OK ? clv_afile_open(af, path, err) : st;
}

const char *clv_write_failure(int errnum)
{
    switch (errnum) {
    case ENOSPC: case EIO: case EFBIG: case EDQUOT: case EROFS: case EPIPE: case EBADF:
        return strerror(errnum);
    default:
        return "out of memory";
    }
}

int clv_afile_end(clv_afile *af, int st, clv_error *err)
{
    if (st == CLV_OK && ferror(af->fp))
        st = clv_error_set(err, CLV_EIO, af->path, 0, NULL, "write failed");
    if (st != CLV_OK) {
        /* a writer's non-finite number: the file is the one it wrote */
        if (st == CLV_ENUMERIC && err && !err->file[0])
            snprintf(err->file, sizeof err->file, "%.1000s", af->path);
        clv_afile_abort(af);
        return st;
    }
    return clv_afile_commit(af, err);
}

void clv_outdir_error_path(const clv_outdir *od, clv_error *err)
{
    const size_t k = strlen(od->stage);
    if (!err || !k || strncmp(err->file, od->stage, k) != 0 || err->file[k] != '/')
        return;
    char final[CLV_IO_PATH_MAX];
    if (clv_path_join(final, sizeof final, od->dir, err->file + k + 1, NULL) == CLV_OK &&
        strlen(final) < sizeof err->file)
        memcpy(err->file, final, strlen(final) + 1);
}

/* the run's staging directory and what is left in it */
static void remove_stage(clv_outdir *od)
{
    if (od->stage_dir) {
        closedir(od->stage_dir);
        od->stage_dir = NULL;
    }
    if (!od->stage[0])
        return;
    table_remove(&stages, od->stage);
    const char *slash = strrchr(od->stage, '/');
    int pfd = open(od->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd >= 0 && slash)
        remove_tree_at(pfd, slash + 1);
    if (pfd >= 0)
        close(pfd);
    od->stage[0] = '\0';
}

int clv_outdir_commit(clv_outdir *od, const char *last, clv_error *err)
{
    if (!od->stage[0] || !od->stage_dir)
        return clv_error_set(err, CLV_EIO, od->dir, 0, NULL, "the output directory is not open for writing");
    char from[CLV_IO_PATH_MAX], to[CLV_IO_PATH_MAX];
    int st = CLV_OK, have_last = 0;
    DIR *d = od->stage_dir;
    rewinddir(d);
    /* what would make a rename fail, before anything is touched: a
     * directory where a file goes */
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        struct stat sb;
        if (de->d_name[0] == '.' || clv_path_join(to, sizeof to, od->dir, de->d_name, NULL) != CLV_OK)
            continue;
        if (lstat(to, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            return clv_error_set(err, CLV_EIO, to, 0, NULL, "is a directory; clvsim writes a file of that name "
                                 "here: move the directory away or choose another output directory");
        }
    }
    /* the file that describes the run goes first, so that until its
     * successor is in place nothing describes a mixture of two runs */
    if (last && (st = clv_path_join(from, sizeof from, od->stage, last, err)) == CLV_OK &&
        access(from, F_OK) == 0) {
        have_last = 1;
        if ((st = clv_path_join(to, sizeof to, od->dir, last, err)) == CLV_OK && unlink(to) != 0 && errno != ENOENT)
            st = clv_error_set(err, CLV_EIO, to, 0, NULL, "cannot remove the previous run's file: %s",
                               clv_strerror(errno));
    }
    /* renames only from here on: nothing left that can run out of space.
     * Passes until one moves nothing (readdir need not return entries
     * renamed away during the pass, but returns every other one).  Hidden
     * names are temporary files, never outputs: they go with the stage. */
    for (int moved = 1; st == CLV_OK && moved;) {
        moved = 0;
        rewinddir(d);
        while (st == CLV_OK && (de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.' || (have_last && strcmp(de->d_name, last) == 0))
                continue;
            if ((st = clv_path_join(from, sizeof from, od->stage, de->d_name, err)) != CLV_OK ||
                (st = clv_path_join(to, sizeof to, od->dir, de->d_name, err)) != CLV_OK)
                break;
            if (rename(from, to) != 0)
                st = clv_error_set(err, CLV_EIO, to, 0, NULL, "cannot move the new file into place: %s",
                                   clv_strerror(errno));
            moved++;
        }
    }
    if (st == CLV_OK && have_last && (st = clv_path_join(from, sizeof from, od->stage, last, err)) == CLV_OK &&
        (st = clv_path_join(to, sizeof to, od->dir, last, err)) == CLV_OK && rename(from, to) != 0)
        st = clv_error_set(err, CLV_EIO, to, 0, NULL, "cannot move the new file into place: %s", clv_strerror(errno));
    fsync_dir(od->dir); /* best effort, as for a single file */
    if (st == CLV_OK)
        remove_stage(od);
    return st;
}

void clv_outdir_close(clv_outdir *od)
{
    remove_stage(od);
    if (od->fd >= 0) {
        /* no pid line once the run is over; closing releases the lock */
        if (ftruncate(od->fd, 0) == 0) {
            ssize_t w = pwrite(od->fd, marker_text, sizeof marker_text - 1, 0);
            (void)w; /* the lock goes all the same; a stale pid is read only under a live lock */
        }
        close(od->fd);
        od->fd = -1;
    }
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
