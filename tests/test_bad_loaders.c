/* test_bad_loaders.c - the catalogue of bad binary inputs (issue 11, items 2 and 4): Q-table and network files.
 *
 * Classes covered, each with its exact message and status:
 * - Q-table files (CLVQTAB3, clv_qtable_load; train-agent --resume):
 *   a 44-byte file whose header claims 1.2 GB, refused without the
 *   allocation (checked under an address-space limit); a header claiming
 *   2^32 x 255 cells; impossible sizes (0 states, 0 or 256 actions, more
 *   than 2^32 states); a file shorter than a header; trailing bytes; more
 *   episodes than an int; a directory and a FIFO instead of a file (no
 *   hang); a non-finite Q; non-finite or negative target statistics; a
 *   weight outside [0, 1]; statistics without visits.
 * Every damaged file but the fixtures is written with the API and patched,
 * with its CRC recomputed, so that the check under test is the one that
 * fires and not the checksum.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clvsim/agent.h"
#include "clvsim/io.h"
#include "harness.h"

#define FIXTURES "tests/fixtures/bad/loaders/"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* ---- patching files ---- */

static long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* write n bytes at offset off of path */
static int patch(const char *path, long off, const void *bytes, size_t n)
{
    FILE *fp = fopen(path, "r+b");
    if (!fp)
        return -1;
    int ok = fseek(fp, off, SEEK_SET) == 0 && fwrite(bytes, 1, n, fp) == n;
    return fclose(fp) == 0 && ok ? 0 : -1;
}

/* Recompute the CRC-32 that ends the file (of every byte after the 8 of
 * the magic): the files of both loaders are checksummed so. */
static int recrc(const char *path)
{
    const long len = file_size(path);
    if (len < 12)
        return -1;
    unsigned char *b = malloc((size_t)len);
    FILE *fp = fopen(path, "rb");
    int ok = b && fp && fread(b, 1, (size_t)len, fp) == (size_t)len;
    if (fp)
        fclose(fp);
    uint32_t crc = ok ? clv_crc32(0, b + 8, (size_t)len - 12) : 0;
    free(b);
    return ok ? patch(path, len - 4, &crc, sizeof crc) : -1;
}

static int patch_crc(const char *path, long off, const void *bytes, size_t n)
{
    return patch(path, off, bytes, n) == 0 ? recrc(path) : -1;
}

/* ---- Q tables ---- */

enum { QT_HEAD = 40, QT_S = 4, QT_A = 3 };

/* a table of 4 states x 3 actions, trained a little, saved at path */
static int save_table(const char *path)
{
    clv_error err;
    clv_qtable *t = clv_qtable_alloc(QT_S, QT_A, 0.5, &err);
    if (!t)
        return -1;
    const clv_agent_params p = {CLV_RULE_Q, 0.9, 0.3, 0, 1, 0, 0.1, 1};
    for (int k = 0; k < 40; k++)
        clv_agent_update(t, &p, (size_t)(k % 3), k % 2, 1 + 0.1 * k, (size_t)((k + 1) % 3), 0, k % 7 == 6);
    t->episodes = 12;
    t->layout = 77;
    int st = clv_qtable_save(t, path, &err);
    clv_qtable_free(t);
    return st;
}

/* the loader's message for path (NULL when it loads), its status in *code */
static const char *qtab_msg(const char *path, int *code)
{
    static clv_error err;
    clv_qtable *t = clv_qtable_load(path, &err);
    if (t) {
        clv_qtable_free(t);
        *code = CLV_OK;
        return NULL;
    }
    *code = err.code;
    CHECK_STR(err.file, path);
    return err.msg;
}

#define CHECK_QTAB(path, want_code, want_msg)                                                              \
    do {                                                                                                   \
        int code_;                                                                                         \
        const char *m_ = qtab_msg(path, &code_);                                                           \
        CHECK_INT(code_, want_code);                                                                       \
        if (want_msg || m_)                                                                                \
            CHECK_STR(m_, want_msg);                                                                       \
    } while (0)

/* the virtual memory of this process in bytes (/proc/self/statm), 0 if unknown */
static unsigned long long vm_bytes(void)
{
    unsigned long long pages = 0;
    FILE *fp = fopen("/proc/self/statm", "r");
    if (fp) {
        if (fscanf(fp, "%llu", &pages) != 1)
            pages = 0;
        fclose(fp);
    }
    return pages * (unsigned long long)sysconf(_SC_PAGESIZE);
}

/* Load the table at path in a child whose address space may grow by at
 * most `room` bytes more than this process's (0: no limit): a loader that
 * allocates what the header claims before checking it fails there with
 * "out of memory".  The child is killed after 10 s (a loader that blocks
 * fails the test rather than hanging it).  The child's message into msg,
 * its status returned (-1 if it crashed or was killed).  Under
 * AddressSanitizer, whose shadow memory an address-space limit breaks, the
 * limit is left out (the message is still checked). */
static int load_limited(const char *path, unsigned long long room, char *msg, size_t n)
{
    int fd[2];
    msg[0] = '\0';
    if (pipe(fd) != 0)
        return -1;
    fflush(stdout);
    const unsigned long long vm = vm_bytes();
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        alarm(10);
        if (!UNDER_ASAN && vm && room) {
            struct rlimit rl = {(rlim_t)(vm + room), (rlim_t)(vm + room)};
            setrlimit(RLIMIT_AS, &rl);
        }
        clv_error err;
        clv_qtable *t = clv_qtable_load(path, &err);
        const int code = t ? CLV_OK : err.code;
        if (!t && write(fd[1], err.msg, strlen(err.msg)) < 0)
            _exit(100);
        _exit(code);
    }
    close(fd[1]);
    size_t len = 0;
    ssize_t k;
    while (len + 1 < n && (k = read(fd[0], msg + len, n - 1 - len)) > 0)
        len += (size_t)k;
    msg[len] = '\0';
    close(fd[0]);
    int ws;
    if (pid < 0 || waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws))
        return -1;
    return WEXITSTATUS(ws);
}

/* headers that claim more than the file holds, refused before anything is allocated */
TEST(test_bad_loaders_qtab_sizes)
{
    char msg[CLV_ERROR_MSG_MAX];
    /* 44 bytes whose header gives 4194304 x 8 cells (1.2 GB): with 256 MB
     * of room the old loader's allocation failed ("out of memory") */
    CHECK_INT(load_limited(FIXTURES "qtab_44_bytes.qtab", 256u << 20, msg, sizeof msg), CLV_EINPUT);
    CHECK_STR(msg, "truncated: the header gives 4194304 states x 8 actions, which take 1207959596 bytes; the file has 44");
    CHECK_INT(load_limited(FIXTURES "qtab_huge_sizes.qtab", 256u << 20, msg, sizeof msg), CLV_EINPUT);
    CHECK_STR(msg, "truncated: the header gives 4294967296 states x 255 actions, which take 39427799777324 bytes; the "
                   "file has 44");

    char dir[] = "/tmp/clvsim-badqt-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[600], fifo[600];
    snprintf(path, sizeof path, "%s/t.qtab", dir);
    /* sizes outside the limits: 0 states, 0 and 256 actions, 2^32 + 1 states */
    const uint64_t bad[4][2] = {{0, 3}, {4, 0}, {4, 256}, {((uint64_t)1 << 32) + 1, 1}};
    const char *want[4] = {
        "impossible table sizes: 0 states x 3 actions; expected 1 to 4294967296 states and 1 to 255 actions",
        "impossible table sizes: 4 states x 0 actions; expected 1 to 4294967296 states and 1 to 255 actions",
        "impossible table sizes: 4 states x 256 actions; expected 1 to 4294967296 states and 1 to 255 actions",
        "impossible table sizes: 4294967297 states x 1 actions; expected 1 to 4294967296 states and 1 to 255 "
        "actions"};
    for (int k = 0; k < 4; k++) {
        CHECK_INT(save_table(path), CLV_OK);
        CHECK_INT(patch_crc(path, 8, bad[k], sizeof bad[k]), 0);
        CHECK_QTAB(path, CLV_EINPUT, want[k]);
    }
    /* shorter than a header and its checksum */
    CHECK_INT(save_table(path), CLV_OK);
    CHECK(truncate(path, 30) == 0);
    CHECK_QTAB(path, CLV_EINPUT, "truncated: 30 bytes, fewer than the 44 of a header and checksum");
    /* a table cut short, and one with a byte more: 44 + 12 x 36 = 476 bytes */
    CHECK_INT(save_table(path), CLV_OK);
    CHECK_INT(file_size(path), 476);
    CHECK(truncate(path, 475) == 0);
    CHECK_QTAB(path, CLV_EINPUT, "truncated: the header gives 4 states x 3 actions, which take 476 bytes; the file has "
                                 "475");
    CHECK_INT(save_table(path), CLV_OK);
    FILE *fp = fopen(path, "ab");
    fputc(0, fp);
    fclose(fp);
    CHECK_QTAB(path, CLV_EINPUT, "trailing bytes after the table: the header gives 4 states x 3 actions, which take "
                                 "476 bytes; the file has 477");
    /* more episodes than training can count */
    CHECK_INT(save_table(path), CLV_OK);
    const uint64_t episodes = (uint64_t)INT_MAX + 1;
    CHECK_INT(patch_crc(path, 8 + 16, &episodes, sizeof episodes), 0);
    CHECK_QTAB(path, CLV_EINPUT, "2147483648 training episodes behind the table; expected at most 2147483647");
    /* a directory and a FIFO with no writer: refused at once, no hang */
    CHECK_QTAB(dir, CLV_EINPUT, "not a regular file (a directory); expected a clvsim Q table file");
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    CHECK_INT(mkfifo(fifo, 0600), 0);
    CHECK_INT(load_limited(fifo, 0, msg, sizeof msg), CLV_EINPUT);
    CHECK_STR(msg, "not a regular file (a FIFO); expected a clvsim Q table file");
    /* the file that was damaged loads again once rewritten */
    CHECK_INT(save_table(path), CLV_OK);
    CHECK_QTAB(path, CLV_OK, NULL);
    unlink(fifo);
    unlink(path);
    rmdir(dir);
}

/* the values of a table: finite Q, sane target statistics */
TEST(test_bad_loaders_qtab_values)
{
    char dir[] = "/tmp/clvsim-badqv-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[600];
    snprintf(path, sizeof path, "%s/t.qtab", dir);
    const long n = QT_S * QT_A, q_off = QT_HEAD, v_off = q_off + 8 * n, s_off = v_off + 4 * n;
    /* cell 4 is state 1, action 1 (visited by save_table); cell 11, state 3,
     * is never visited */
    const double nan = NAN, inf = -INFINITY, neg = -2, two = 2, one = 1;
    CHECK_INT(save_table(path), CLV_OK);
    CHECK_INT(patch_crc(path, q_off + 8 * 4, &nan, 8), 0);
    CHECK_QTAB(path, CLV_EINPUT, "Q of state 1, action 1 is nan; expected a finite number");
    CHECK_INT(save_table(path), CLV_OK);
    CHECK_INT(patch_crc(path, q_off + 8 * 11, &inf, 8), 0);
    CHECK_QTAB(path, CLV_EINPUT, "Q of state 3, action 2 is -inf; expected a finite number");
    /* the sum, the sum of squares, the weight */
    CHECK_INT(save_table(path), CLV_OK);
    CHECK_INT(patch_crc(path, s_off + 24 * 4, &nan, 8), 0);
    int code;
    const char *m = qtab_msg(path, &code);
    CHECK_INT(code, CLV_EINPUT);
    const char *pre = "the targets' sum and sum of squares of state 1, action 1 are nan and ";
    CHECK(m && strncmp(m, pre, strlen(pre)) == 0 &&
          strstr(m, "; expected finite numbers, the sum of squares >= 0"));
    CHECK_INT(save_table(path), CLV_OK);
    CHECK_INT(patch_crc(path, s_off + 24 * 4 + 8, &neg, 8), 0);
    m = qtab_msg(path, &code);
    CHECK_INT(code, CLV_EINPUT);
    CHECK(m && strstr(m, " and -2; expected finite numbers, the sum of squares >= 0"));
    CHECK_INT(save_table(path), CLV_OK);
    CHECK_INT(patch_crc(path, s_off + 24 * 4 + 16, &two, 8), 0);
    CHECK_QTAB(path, CLV_EINPUT, "the targets' sum of squared weights of state 1, action 1 is 2; expected a number in "
                                 "[0, 1]");
    /* statistics where there were no visits */
    CHECK_INT(save_table(path), CLV_OK);
    CHECK_INT(patch_crc(path, s_off + 24 * 11 + 16, &one, 8), 0);
    CHECK_QTAB(path, CLV_EINPUT, "state 3, action 2 has target statistics (0, 0, 1) but no visits; expected 0 without "
                                 "visits");
    /* a visit count is unsigned: the largest loads, with its statistics */
    CHECK_INT(save_table(path), CLV_OK);
    const uint32_t most = UINT32_MAX;
    CHECK_INT(patch_crc(path, v_off + 4 * 4, &most, 4), 0);
    clv_error err;
    clv_qtable *t = clv_qtable_load(path, &err);
    CHECK(t != NULL && t->visits[4] == UINT32_MAX && t->episodes == 12 && t->layout == 77);
    clv_qtable_free(t);
    unlink(path);
    rmdir(dir);
}

/* the command: train-agent --resume with a table whose header lies */
TEST(test_bad_loaders_qtab_cli)
{
    harness_proc r = harness_run_env(ARGS("train-agent", "scenarios/holiday.cfg", "--quiet", "--algo", "sarsa",
                                          "--resume", FIXTURES "qtab_44_bytes.qtab", "-o", "/tmp/clvsim-never-written"),
                                     NULL, 60);
    CHECK_INT(r.status, 2);
    CHECK_STR(r.err, "clvsim: " FIXTURES "qtab_44_bytes.qtab: truncated: the header gives 4194304 states x 8 actions, "
                     "which take 1207959596 bytes; the file has 44\n");
    CHECK(r.seconds < 10);
    CHECK(access("/tmp/clvsim-never-written", F_OK) != 0);
    harness_proc_free(&r);
    r = harness_run(ARGS("train-agent", "scenarios/holiday.cfg", "--quiet", "--algo", "q", "--resume",
                         FIXTURES "qtab_huge_sizes.qtab", "-o", "/tmp/clvsim-never-written"));
    CHECK_INT(r.status, 2);
    CHECK_STR(r.err, "clvsim: " FIXTURES "qtab_huge_sizes.qtab: truncated: the header gives 4294967296 states x 255 "
                     "actions, which take 39427799777324 bytes; the file has 44\n");
    harness_proc_free(&r);
}
