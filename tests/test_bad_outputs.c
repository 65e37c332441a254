/* test_bad_outputs.c - the catalogue of bad outcomes for output directories
 * (issue 11, item 5: outputs tell the truth after failures).  Classes:
 *
 *  8. the library's clv_outdir: staged files invisible until the commit,
 *     the describing file moved last, a second claim refused with the pid,
 *     nothing left after close, a directory where an output goes refused
 *     before anything is moved.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clvsim/io.h"
#include "harness.h"

static void rm_rf(const char *dir)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* 1 when dir has an entry whose name starts with prefix */
static int has_entry(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int found = 0;
    struct dirent *de;
    while (!found && (de = readdir(d)) != NULL)
        found = strncmp(de->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return found;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "name crc32 size" of every entry of dir, sorted, one per line (a heap
 * string); the marker only by name (it says which pid holds the lock),
 * directories as "name/" */
static char *snapshot(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char *names[256];
    int n = 0;
    struct dirent *de;
    while (n < 256 && (de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            names[n++] = strdup(de->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp_names);
    size_t cap = 64 + (size_t)n * 320, len = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    for (int k = 0; k < n; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            len += (size_t)snprintf(out + len, cap - len, "%s/\n", names[k]);
        } else if (strcmp(names[k], CLV_OUTPUT_MARKER) == 0) {
            len += (size_t)snprintf(out + len, cap - len, "%s\n", names[k]);
        } else {
            char *text = harness_read_file(path);
            const size_t sz = text ? (size_t)sb.st_size : 0;
            len += (size_t)snprintf(out + len, cap - len, "%s %08x %zu\n", names[k],
                                    text ? clv_crc32(0, text, sz) : 0u, sz);
            free(text);
        }
        free(names[k]);
    }
    return out;
}

/* ---- 8. the library's claim on a directory ---- */

TEST(test_bad_outputs_outdir_library)
{
    char dir[] = "/tmp/clvsim-bo-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[600], path[700], final[700];
    snprintf(out, sizeof out, "%s/a/b", dir);
    clv_error err;
    clv_outdir od, other;
    CHECK_INT(clv_outdir_open(&od, out, 0, &err), CLV_OK);
    /* a second claim, from this process too, is refused naming the holder */
    CHECK_INT(clv_outdir_open(&other, out, 0, &err), CLV_EIO);
    CHECK_STR(err.file, out);
    char expected[300];
    snprintf(expected, sizeof expected, "is in use by another clvsim run (pid %ld); wait for it to finish or choose "
                                        "another output directory", (long)getpid());
    CHECK_STR(err.msg, expected);
    clv_outdir_close(&other); /* a no-op after a failed open */

    /* staged files are not in DIR until the commit */
    CHECK_INT(clv_outdir_path(&od, "a.csv", path, sizeof path, &err), CLV_OK);
    CHECK_INT(clv_write_file_atomic(path, "new a\n", 6, &err), CLV_OK);
    CHECK_INT(clv_outdir_path(&od, "about.cfg", path, sizeof path, &err), CLV_OK);
    CHECK_INT(clv_write_file_atomic(path, "new about\n", 10, &err), CLV_OK);
    snprintf(final, sizeof final, "%s/a.csv", out);
    CHECK(access(final, F_OK) != 0);
    /* an error about a staged file names its final path */
    clv_error_set(&err, CLV_EIO, path, 0, NULL, "write failed");
    clv_outdir_error_path(&od, &err);
    snprintf(final, sizeof final, "%s/about.cfg", out);
    CHECK_STR(err.file, final);
    CHECK_INT(clv_outdir_commit(&od, "about.cfg", &err), CLV_OK);
    clv_outdir_close(&od);
    char *text = harness_read_file(final);
    CHECK_STR(text, "new about\n");
    free(text);
    char *snap = snapshot(out);
    CHECK(snap && strncmp(snap, CLV_OUTPUT_MARKER "\na.csv ", strlen(CLV_OUTPUT_MARKER "\na.csv ")) == 0 &&
          strstr(snap, "\nabout.cfg "));
    CHECK(!has_entry(out, CLV_OUTPUT_STAGE));
    free(snap);

    /* a run that ends without a commit leaves the directory as it was */
    char *before = snapshot(out);
    CHECK_INT(clv_outdir_open(&od, out, 0, &err), CLV_OK);
    CHECK_INT(clv_outdir_path(&od, "a.csv", path, sizeof path, &err), CLV_OK);
    CHECK_INT(clv_write_file_atomic(path, "newer a\n", 8, &err), CLV_OK);
    clv_outdir_close(&od);
    clv_outdir_close(&od); /* twice is safe */
    char *after = snapshot(out);
    CHECK_STR(after, before);
    free(after);
    free(before);
    /* and the lock is free again */
    CHECK_INT(clv_outdir_open(&od, out, 0, &err), CLV_OK);
    clv_outdir_close(&od);

    /* a directory where an output goes: refused before anything is moved */
    before = snapshot(out);
    snprintf(final, sizeof final, "%s/c.csv", out);
    CHECK(mkdir(final, 0777) == 0);
    CHECK_INT(clv_outdir_open(&od, out, 0, &err), CLV_OK);
    CHECK_INT(clv_outdir_path(&od, "about.cfg", path, sizeof path, &err), CLV_OK);
    CHECK_INT(clv_write_file_atomic(path, "newest about\n", 13, &err), CLV_OK);
    CHECK_INT(clv_outdir_path(&od, "c.csv", path, sizeof path, &err), CLV_OK);
    CHECK_INT(clv_write_file_atomic(path, "c\n", 2, &err), CLV_OK);
    CHECK_INT(clv_outdir_commit(&od, "about.cfg", &err), CLV_EIO);
    CHECK_STR(err.file, final);
    CHECK_STR(err.msg, "is a directory; clvsim writes a file of that name here: move the directory away or choose "
                       "another output directory");
    clv_outdir_close(&od);
    rmdir(final);
    after = snapshot(out);
    CHECK_STR(after, before);
    free(after);
    free(before);
    rm_rf(dir);
}
