/* test_io.c - atomic output files and guarded output directories. */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clvsim/io.h"
#include "harness.h"

static void rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

TEST(test_io_atomic_file)
{
    char dir[] = "/tmp/clvsim-test-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    clv_error err;

    CHECK_INT(clv_write_file_atomic(path, "a,b\n1,2\n", 8, &err), CLV_OK);
    char *text = harness_read_file(path);
    CHECK_STR(text, "a,b\n1,2\n");
    free(text);
    CHECK_INT(harness_count_entries(dir), 1); /* no temporary file left */

    /* an aborted rewrite leaves the old content and no temporary file */
    clv_afile af;
    CHECK_INT(clv_afile_open(&af, path, &err), CLV_OK);
    fputs("partial", af.fp);
    CHECK_INT(harness_count_entries(dir), 2); /* the temporary file exists while writing */
    clv_afile_abort(&af);
    text = harness_read_file(path);
    CHECK_STR(text, "a,b\n1,2\n");
    free(text);
    CHECK_INT(harness_count_entries(dir), 1);

    /* a committed rewrite replaces it whole */
    CHECK_INT(clv_afile_open(&af, path, &err), CLV_OK);
    fputs("x\n", af.fp);
    CHECK_INT(clv_afile_commit(&af, &err), CLV_OK);
    text = harness_read_file(path);
    CHECK_STR(text, "x\n");
    free(text);
    CHECK_INT(harness_count_entries(dir), 1);
    /* an ordinary file mode, not mkstemp's 0600 */
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0044) != 0);

    /* a directory that does not exist: an I/O error naming the file */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/missing/out.csv", dir);
    CHECK_INT(clv_afile_open(&af, bad, &err), CLV_EIO);
    CHECK_STR(err.file, bad);
    CHECK(strstr(err.msg, "No such file or directory") != NULL);
    rm_rf(dir);
}

TEST(test_io_output_dir_guard)
{
    char dir[] = "/tmp/clvsim-test-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[512], marker[600], user_file[600];
    clv_error err;

    /* a new directory (with parents) is created and marked */
    snprintf(out, sizeof out, "%s/a/b", dir);
    CHECK_INT(clv_output_dir_prepare(out, 0, &err), CLV_OK);
    snprintf(marker, sizeof marker, "%s/" CLV_OUTPUT_MARKER, out);
    CHECK(access(marker, F_OK) == 0);
    /* and accepted again */
    CHECK_INT(clv_output_dir_prepare(out, 0, &err), CLV_OK);

    /* an empty existing directory is accepted and marked */
    snprintf(out, sizeof out, "%s/empty", dir);
    mkdir(out, 0777);
    CHECK_INT(clv_output_dir_prepare(out, 0, &err), CLV_OK);

    /* a directory holding a user's files is refused without force */
    snprintf(out, sizeof out, "%s/mine", dir);
    mkdir(out, 0777);
    snprintf(user_file, sizeof user_file, "%s/notes.txt", out);
    CHECK_INT(clv_write_file_atomic(user_file, "mine", 4, &err), CLV_OK);
    CHECK_INT(clv_output_dir_prepare(out, 0, &err), CLV_EINPUT);
    CHECK_STR(err.file, out);
    CHECK_STR(err.msg, "directory exists, is not empty and was not made by clvsim; choose another output "
                       "directory or pass --force to write into it");
    CHECK_INT(clv_output_dir_prepare(out, 1, &err), CLV_OK);
    char *text = harness_read_file(user_file);
    CHECK_STR(text, "mine"); /* force writes beside the user's files, never over them */
    free(text);

    /* a file where a directory should be */
    CHECK_INT(clv_output_dir_prepare(user_file, 1, &err), CLV_EINPUT);
    CHECK(strstr(err.msg, "not a directory") != NULL);

    char j[16];
    CHECK_INT(clv_path_join(j, sizeof j, "out/", "x.csv", &err), CLV_OK);
    CHECK_STR(j, "out/x.csv");
    CHECK_INT(clv_path_join(j, sizeof j, "out/holiday", "x.csv", &err), CLV_EINPUT);
    CHECK(clv_same_file(user_file, user_file));
    CHECK(!clv_same_file(user_file, marker));
    rm_rf(dir);
}

TEST(test_error_format)
{
    clv_error e;
    char buf[256];
    clv_error_set(&e, CLV_EINPUT, "a.cfg", 12, "calendar.horizon_days", "expected %s, got %d", "x", 3);
    CHECK_STR(clv_error_format(&e, buf, sizeof buf), "a.cfg:12: calendar.horizon_days: expected x, got 3");
    clv_error_set(&e, CLV_EIO, "a.csv", 0, NULL, "rename failed");
    CHECK_STR(clv_error_format(&e, buf, sizeof buf), "a.csv: rename failed");
    clv_error_set(&e, CLV_EINPUT, NULL, 0, "k", "bad");
    CHECK_STR(clv_error_format(&e, buf, sizeof buf), "k: bad");
    clv_error_clear(&e);
    CHECK_INT(e.code, CLV_OK);
    CHECK_STR(clv_error_format(&e, buf, sizeof buf), "success");
    /* truncation is safe */
    clv_error_set(&e, CLV_EINPUT, "a-rather-long-file-name.cfg", 1, "key", "message");
    CHECK_STR(clv_error_format(&e, buf, 8), "a-rathe");
    CHECK(clv_error_set(NULL, CLV_EIO, NULL, 0, NULL, "x") == CLV_EIO);
}
