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
 * - Network files (CLVMLP04, and CLVMLP03 and CLVMLP02 of clvsim 0.1; clv_mlp_load, clv_ltv_model_load;
 *   predict-ltv): a ZILN network with one output and an MSE one with
 *   three; each header field out of range (inputs, layers, outputs,
 *   activation, precision, loss, a hidden width, a width past the layers);
 *   a header claiming 10^10 parameters in a small file; a file shorter than
 *   a header; trailing bytes; a directory; NaN and infinite standardisation
 *   means; zero, negative and infinite sds; non-finite parameters and one
 *   beyond a float's range.
 * - The settings ("meta") block of a train-ltv network: a layout other
 *   than 1; each field out of range or not finite (a horizon of 1e300, 0,
 *   365.5 or NaN; discount 2; rates outside [0, 1]; lifecycle days out of
 *   range or out of order; loyal purchases 1; btyd_features 0.5; a BTYD
 *   model id of 7); a largest label below 0, a training-row count that is
 *   not an integer; a non-zero unused number.
 * - The LTV path's non-finite numbers (item 4): a feature with no spread
 *   (or the rounding noise of a constant) standardised by hand; train-ltv
 *   on a world whose BTYD P(alive) is 1 - 1e-10 for everyone (sd about 1e-10
 *   before, predict-ltv then wrote -nan for every customer with exit 0);
 *   a value that is not finite (the ZILN mean overflowing), refused with
 *   the customer; doubtful values (far above the training labels, features
 *   outside the training rows' range) warned about; a training whose
 *   training or validation loss is not finite, stopped as diverged; and
 *   the UCI Online Retail log end to end (../shared/data).
 * Every damaged file but the fixtures is written with the API and patched,
 * with its CRC recomputed, so that the check under test is the one that
 * fires and not the checksum.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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
#include "clvsim/ltv.h"
#include "clvsim/mlp.h"
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

/* ---- files ---- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* remove dir and everything in it */
static void rm_tree(const char *dir) { nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }


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
        const char *w_ = (want_msg);                                                                       \
        if (w_ || m_)                                                                                      \
            CHECK_STR(m_, w_);                                                                             \
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

/* the loaders run in a child: a Q table, or a network of the LTV predictor
 * for batches of max_batch rows; CLV_OK or the error's code, its message
 * in err */
static int load_qtab(const char *path, size_t max_batch, clv_error *err)
{
    (void)max_batch;
    clv_qtable *t = clv_qtable_load(path, err);
    clv_qtable_free(t);
    return t ? CLV_OK : err->code;
}

static int load_net(const char *path, size_t max_batch, clv_error *err)
{
    clv_ltv_model *lm = clv_ltv_model_load(path, max_batch, NULL, err);
    clv_ltv_model_free(lm);
    return lm ? CLV_OK : err->code;
}

/* Load path with `load` in a child whose address space may grow by at
 * most `room` bytes more than this process's (0: no limit): a loader that
 * allocates what the header claims before checking it fails there with
 * "out of memory".  The child is killed after `seconds` (a loader that
 * blocks fails the test rather than hanging it).  The child's message into
 * msg, its status returned (-1 if it crashed or was killed).  Under
 * AddressSanitizer, whose shadow memory an address-space limit breaks, the
 * limit is left out (the message is still checked). */
static int load_in_child(int (*load)(const char *, size_t, clv_error *), const char *path, size_t max_batch,
                         unsigned seconds, unsigned long long room, char *msg, size_t n)
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
        alarm(seconds);
        if (!UNDER_ASAN && vm && room) {
            struct rlimit rl = {(rlim_t)(vm + room), (rlim_t)(vm + room)};
            setrlimit(RLIMIT_AS, &rl);
        }
        clv_error err;
        const int code = load(path, max_batch, &err);
        if (code != CLV_OK && write(fd[1], err.msg, strlen(err.msg)) < 0)
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

static int load_limited(const char *path, unsigned long long room, char *msg, size_t n)
{
    return load_in_child(load_qtab, path, 0, 10, room, msg, n);
}

static int load_limited_net(const char *path, size_t max_batch, unsigned long long room, char *msg, size_t n)
{
    return load_in_child(load_net, path, max_batch, 20, room, msg, n);
}

/* headers that claim more than the file holds, refused before anything is allocated */
TEST(test_bad_loaders_qtab_sizes)
{
    char msg[CLV_ERROR_MSG_MAX];
    /* 44 bytes whose header gives 4194304 x 8 cells (1.2 GB): with 256 MB
     * of room the old loader's allocation failed ("out of memory") */
    CHECK_INT(load_limited(FIXTURES "qtab_44_bytes.qtab", 256u << 20, msg, sizeof msg), CLV_EINPUT);
    CHECK_STR(msg, "truncated: the header gives 4194304 states x 8 actions, which take 1207959596 bytes; the file "
                   "has 44");
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
        ("impossible table sizes: 4294967297 states x 1 actions; expected 1 to 4294967296 states and 1 to 255 "
         "actions")};
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

/* ---- networks ---- */

/* offsets in a network file: the magic, 14 int32 of spec and loss, 64
 * doubles of settings, the text's length (4 bytes; here 0: no text), then
 * means, sds and parameters */
enum { NET_HEAD = 8, NET_META = NET_HEAD + 14 * 4, NET_TEXT = NET_META + CLV_MLP_META * 8, NET_MEAN = NET_TEXT + 4,
       NET_IN = CLV_LTV_FEATURES, NET_H = 4 };
#define NET_SD (NET_MEAN + 8 * NET_IN)
#define NET_PARAMS (NET_SD + 8 * NET_IN)

/* train-ltv's settings of a scenario with the defaults */
static void ltv_meta(double *meta)
{
    const clv_ltv_config c = {365, 1, 0.1, 0.3, {30, 90, 365, 4}, 1, CLV_MODEL_BGNBD, 0, 0, 0, 0, {0}, {0}, 0, {.unit = 0}};
    clv_ltv_config_pack(&c, meta);
}

/* a network of the LTV features (one hidden layer of 4, n_out outputs)
 * saved with loss, standardisation and train-ltv's settings at path */
static int save_net(const char *path, int n_out, int loss)
{
    clv_error err;
    const clv_mlp_spec spec = {NET_IN, {NET_H}, 1, n_out, CLV_ACT_RELU, CLV_MLP_F32, 16};
    clv_mlp *m = clv_mlp_alloc(&spec, &err);
    if (!m)
        return -1;
    clv_mlp_init(m, 5);
    double mean[NET_IN], sd[NET_IN], meta[CLV_MLP_META];
    for (int j = 0; j < NET_IN; j++)
        mean[j] = 0.25 * j, sd[j] = 1 + 0.5 * j;
    ltv_meta(meta);
    int st = clv_mlp_save(m, loss, mean, sd, meta, NULL, path, &err);
    clv_mlp_free(m);
    return st;
}

/* clv_mlp_load's message for path (NULL when it loads), its status in *code */
static const char *net_msg(const char *path, int *code)
{
    static clv_error err;
    int loss;
    double *mean = (double *)&err, *sd = (double *)&err; /* not NULL: the loader must reset them */
    clv_mlp *m = clv_mlp_load(path, 64, &loss, &mean, &sd, NULL, NULL, &err);
    if (m) {
        clv_mlp_free(m);
        free(mean), free(sd);
        *code = CLV_OK;
        return NULL;
    }
    CHECK(mean == NULL && sd == NULL);
    *code = err.code;
    CHECK_STR(err.file, path);
    return err.msg;
}

#define CHECK_NET(path, want_code, want_msg)                                                               \
    do {                                                                                                   \
        int code_;                                                                                         \
        const char *m_ = net_msg(path, &code_);                                                            \
        CHECK_INT(code_, want_code);                                                                       \
        const char *w_ = (want_msg);                                                                       \
        if (w_ || m_)                                                                                      \
            CHECK_STR(m_, w_);                                                                             \
    } while (0)

/* the header: sizes and settings before anything is allocated, the loss against the outputs */
TEST(test_bad_loaders_mlp_header)
{
    char dir[] = "/tmp/clvsim-badnet-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[600];
    snprintf(path, sizeof path, "%s/ltv.mlp", dir);
    /* the loss must match the outputs */
    CHECK_INT(save_net(path, 1, CLV_LOSS_ZILN), CLV_OK);
    CHECK_NET(path, CLV_EINPUT, "the ZILN loss needs 3 outputs; the network has 1");
    CHECK_INT(save_net(path, 3, CLV_LOSS_MSE), CLV_OK);
    CHECK_NET(path, CLV_EINPUT, "the MSE loss needs 1 output; the network has 3");
    CHECK_INT(save_net(path, 3, CLV_LOSS_BCE), CLV_OK);
    CHECK_NET(path, CLV_EINPUT, "the BCE loss needs 1 output; the network has 3");
    /* each field of the header (int32 k at 8 + 4 k) */
    const struct {
        int k;
        int32_t v;
        const char *msg;
    } bad[] = {
        {0, 0, "n_in: expected 1 to 100000 inputs, got 0"},
        {0, 100001, "n_in: expected 1 to 100000 inputs, got 100001"},
        {1, -1, "n_hidden: expected 0 to 8 hidden layers, got -1"},
        {1, 9, "n_hidden: expected 0 to 8 hidden layers, got 9"},
        {2, 0, "n_out: expected 1 to 1000 outputs, got 0"},
        {3, 7, "activation: expected 0 (relu) or 1 (tanh), got 7"},
        {4, 2, "precision: expected 0 (f32) or 1 (f64), got 2"},
        {5, 5, "loss: expected 0 (MSE), 1 (ZILN) or 2 (BCE), got 5"},
        {6, 0, "hidden layer 1: expected a width of 1 to 100000, got 0"},
        {6, -4, "hidden layer 1: expected a width of 1 to 100000, got -4"},
        {8, 4, "hidden layer 3: the network has 1 hidden layers, so expected width 0, got 4"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(save_net(path, 3, CLV_LOSS_ZILN), CLV_OK);
        CHECK_INT(patch_crc(path, NET_HEAD + 4 * bad[i].k, &bad[i].v, 4), 0);
        CHECK_NET(path, CLV_EINPUT, bad[i].msg);
    }
    /* a header claiming 8 hidden layers of 100000 (7 x 10^10 parameters) in
     * a file of 1.5 kB: refused from the length before anything is
     * allocated (allocating first failed with "impossible sizes") */
    CHECK_INT(save_net(path, 3, CLV_LOSS_ZILN), CLV_OK);
    const int32_t huge[9] = {8, 3, 1, 0, 1, 100000, 100000, 100000, 100000};
    CHECK_INT(patch_crc(path, NET_HEAD + 4, huge, 4), 0);
    CHECK_INT(patch_crc(path, NET_HEAD + 24, huge + 5, 4 * 4), 0);
    CHECK_INT(patch_crc(path, NET_HEAD + 40, huge + 5, 4 * 4), 0);
    const long len = file_size(path);
    char want[400];
    snprintf(want, sizeof want, "truncated: the header gives 25 inputs, 8 hidden layers, 3 outputs and 70003600003 "
             "parameters, which take 560028801008 bytes; the file has %ld", len);
    CHECK_NET(path, CLV_EINPUT, want);
    /* shorter than a header; cut short; a byte more (584 + 8 x (50 + 119)) */
    CHECK_INT(save_net(path, 3, CLV_LOSS_ZILN), CLV_OK);
    CHECK_INT(file_size(path), 1936);
    CHECK(truncate(path, 195) == 0);
    CHECK_NET(path, CLV_EINPUT, "truncated: 195 bytes, fewer than the 584 of a header and checksum");
    CHECK_INT(save_net(path, 3, CLV_LOSS_ZILN), CLV_OK);
    CHECK(truncate(path, 1935) == 0);
    CHECK_NET(path, CLV_EINPUT, "truncated: the header gives 25 inputs, 1 hidden layers, 3 outputs and 119 "
                                "parameters, which take 1936 bytes; the file has 1935");
    CHECK_INT(save_net(path, 3, CLV_LOSS_ZILN), CLV_OK);
    FILE *fp = fopen(path, "ab");
    fputc(0, fp);
    fclose(fp);
    CHECK_NET(path, CLV_EINPUT, "trailing bytes after the network: the header gives 25 inputs, 1 hidden layers, 3 "
                                "outputs and 119 parameters, which take 1936 bytes; the file has 1937");
    CHECK_NET(dir, CLV_EINPUT, "not a regular file (a directory); expected a clvsim network file");
    CHECK_INT(save_net(path, 3, CLV_LOSS_ZILN), CLV_OK);
    CHECK_NET(path, CLV_OK, NULL);
    unlink(path);
    rmdir(dir);
}

/* the numbers after the header: standardisation and parameters */
TEST(test_bad_loaders_mlp_values)
{
    char dir[] = "/tmp/clvsim-badnv-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[600];
    snprintf(path, sizeof path, "%s/ltv.mlp", dir);
    const struct {
        long off;
        double v;
        const char *msg;
    } bad[] = {
        {NET_MEAN + 8 * 2, NAN, "the standardisation mean of input 3 is nan; expected a finite number"},
        {NET_MEAN + 8 * 24, -INFINITY, "the standardisation mean of input 25 is -inf; expected a finite number"},
        {NET_SD + 8 * 0, 0, "the standardisation sd of input 1 is 0; expected a finite number > 0"},
        {NET_SD + 8 * 4, -2, "the standardisation sd of input 5 is -2; expected a finite number > 0"},
        {NET_SD + 8 * 4, INFINITY, "the standardisation sd of input 5 is inf; expected a finite number > 0"},
        {NET_SD + 8 * 4, NAN, "the standardisation sd of input 5 is nan; expected a finite number > 0"},
        {NET_PARAMS + 8 * 0, NAN, "parameter 1 is nan; expected a finite number that a float holds (magnitude at most "
                                  "3.40282e+38)"},
        {NET_PARAMS + 8 * 118, INFINITY, "parameter 119 is inf; expected a finite number that a float holds "
                                         "(magnitude at most 3.40282e+38)"},
        {NET_PARAMS + 8 * 50, -1e300, "parameter 51 is -1e+300; expected a finite number that a float holds "
                                      "(magnitude at most 3.40282e+38)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(save_net(path, 3, CLV_LOSS_ZILN), CLV_OK);
        CHECK_INT(patch_crc(path, bad[i].off, &bad[i].v, 8), 0);
        CHECK_NET(path, CLV_EINPUT, bad[i].msg);
    }
    /* in double precision 1e300 is a parameter like another */
    CHECK_INT(save_net(path, 3, CLV_LOSS_ZILN), CLV_OK);
    const int32_t f64 = CLV_MLP_F64;
    const double big = 1e300;
    CHECK_INT(patch_crc(path, NET_HEAD + 16, &f64, 4), 0);
    CHECK_INT(patch_crc(path, NET_PARAMS + 8 * 50, &big, 8), 0);
    CHECK_NET(path, CLV_OK, NULL);
    unlink(path);
    rmdir(dir);
}

/* the settings block of a train-ltv network, field by field (clv_ltv_model_load) */
TEST(test_bad_loaders_ltv_meta)
{
    char dir[] = "/tmp/clvsim-badmeta-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[600];
    snprintf(path, sizeof path, "%s/ltv.mlp", dir);
    const struct {
        int k;
        double v;
        const char *field, *msg;
    } bad[] = {
        {0, 2, "", "the network's settings are of layout 2; expected layout 1 (clvsim train-ltv's)"},
        {1, 1e300, "ltv.horizon_days", "the network's setting is 1e+300; expected an integer in [1, 3650]"},
        {1, 0, "ltv.horizon_days", "the network's setting is 0; expected an integer in [1, 3650]"},
        {1, 365.5, "ltv.horizon_days", "the network's setting is 365.5; expected an integer in [1, 3650]"},
        {1, NAN, "ltv.horizon_days", "the network's setting is nan; expected an integer in [1, 3650]"},
        {2, 2, "ltv.discount", "the network's setting is 2; expected an integer in [0, 1]"},
        {3, -0.1, "economics.annual_discount_rate", "the network's setting is -0.1; expected a number in [0, 1]"},
        {3, NAN, "economics.annual_discount_rate", "the network's setting is nan; expected a number in [0, 1]"},
        {4, 1.5, "economics.margin_rate", "the network's setting is 1.5; expected a number in [0, 1]"},
        {4, INFINITY, "economics.margin_rate", "the network's setting is inf; expected a number in [0, 1]"},
        {5, 0, "lifecycle.new_days", "the network's setting is 0; expected an integer in [1, 3650]"},
        {5, -3e9, "lifecycle.new_days", "the network's setting is -3e+09; expected an integer in [1, 3650]"},
        {6, 20, "lifecycle.active_days", "the network's setting is 20; expected an integer in [30, 3650]"},
        {7, 90, "lifecycle.churned_days", "the network's setting is 90; expected an integer in [91, 3650]"},
        {8, 1, "lifecycle.loyal_purchases", "the network's setting is 1; expected an integer in [2, 1000]"},
        {9, 0.5, "ltv.btyd_features", "the network's setting is 0.5; expected an integer in [0, 1]"},
        {10, 7, "population.model", "the network's setting is 7; expected an integer in [0, 1]"},
        {11, -1, "label_max", "the network's setting is -1; expected a finite number >= 0"},
        {11, INFINITY, "label_max", "the network's setting is inf; expected a finite number >= 0"},
        {12, 2.5, "n_train", "the network's setting is 2.5; expected an integer in [0, 2^53]"},
        {12, -1, "n_train", "the network's setting is -1; expected an integer in [0, 2^53]"},
        {13, 3, "split", "the network's split setting 13 is 3; expected 0, 1 (keyed fraction) or 2 (file)"},
        {13, NAN, "split", "the network's split setting 13 is nan; expected 0, 1 (keyed fraction) or 2 (file)"},
        {14, 0.2, "split", "the network's split setting 14 is 0.2; expected 0 (the split's kind, setting 13, is 0: "
                           "not recorded)"},
        {47, 1, "split", "the network's split setting 47 is 1; expected 0 (the split's kind, setting 13, is 0: not "
                         "recorded)"},
        {48, 3, "calibration", "the network's calibration is of layout 3; expected 0 (none) or 1"},
    };
    clv_error err;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(save_net(path, 3, CLV_LOSS_ZILN), CLV_OK);
        CHECK_INT(patch_crc(path, NET_META + 8 * bad[i].k, &bad[i].v, 8), 0);
        clv_ltv_model *lm = clv_ltv_model_load(path, 8, NULL, &err);
        CHECK(lm == NULL);
        clv_ltv_model_free(lm);
        CHECK_INT(err.code, CLV_EINPUT);
        CHECK_STR(err.file, path);
        CHECK_STR(err.field, bad[i].field);
        CHECK_STR(err.msg, bad[i].msg);
        /* the same numbers through the public unpacking */
        double meta[CLV_MLP_META];
        clv_ltv_config c;
        ltv_meta(meta);
        meta[bad[i].k] = bad[i].v;
        CHECK_INT(clv_ltv_config_unpack(meta, &c, NULL), CLV_EINPUT);
    }
    /* the untouched settings load, as packed */
    double meta[CLV_MLP_META];
    clv_ltv_config c;
    ltv_meta(meta);
    CHECK_INT(clv_ltv_config_unpack(meta, &c, &err), CLV_OK);
    CHECK(c.horizon_days == 365 && c.discount == 1 && c.margin_rate == 0.3 && c.lifecycle.churned_days == 365 &&
          c.lifecycle.loyal_purchases == 4 && c.btyd_features == 1 && c.btyd_model == CLV_MODEL_BGNBD);
    /* a network of another kind: the BCE loss, or other inputs */
    CHECK_INT(save_net(path, 1, CLV_LOSS_BCE), CLV_OK);
    CHECK(clv_ltv_model_load(path, 8, NULL, &err) == NULL);
    CHECK_STR(err.msg, "not a network of clvsim train-ltv (25 inputs, 1 hidden layers and the BCE loss; expected "
                       "the 25 LTV features, 1 to 8 hidden layers of 1 to 4096 units, and the ZILN or MSE loss)");
    /* a layer wider than ltv.hidden allows, refused before the buffers of
     * 4096 rows (5 x 4096 x 100000 floats, 8 GB) are allocated: the file
     * is 23 MB */
    {
        const clv_mlp_spec wide = {NET_IN, {100000}, 1, 3, CLV_ACT_RELU, CLV_MLP_F32, 1};
        clv_mlp *w = clv_mlp_alloc(&wide, &err);
        CHECK(w != NULL);
        double mean[NET_IN], sd[NET_IN], wm[CLV_MLP_META];
        for (int j = 0; j < NET_IN; j++)
            mean[j] = 0, sd[j] = 1;
        ltv_meta(wm);
        CHECK_INT(w ? clv_mlp_save(w, CLV_LOSS_ZILN, mean, sd, wm, NULL, path, &err) : -1, CLV_OK);
        clv_mlp_free(w);
        char msg[CLV_ERROR_MSG_MAX];
        CHECK_INT(load_limited_net(path, 4096, 512u << 20, msg, sizeof msg), CLV_EINPUT);
        CHECK_STR(msg, "not a network of clvsim train-ltv (hidden layer 1 has 100000 units; expected the 25 LTV "
                       "features, 1 to 8 hidden layers of 1 to 4096 units, and the ZILN or MSE loss)");
    }
    unlink(path);
    rmdir(dir);
}

/* the command: predict-ltv refuses such files with the file, the field and exit status 2 */
TEST(test_bad_loaders_predict_ltv_cli)
{
    char dir[] = "/tmp/clvsim-badpl-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[600], out[700], want[1400];
    snprintf(path, sizeof path, "%s/ltv.mlp", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    /* a ZILN network with one output (predictions read past the outputs before) */
    CHECK_INT(save_net(path, 1, CLV_LOSS_ZILN), CLV_OK);
    harness_proc r = harness_run(ARGS("predict-ltv", path, "tests/fixtures/txlog/basic.txt", "--cutoff", "1997-01-31",
                                      "-o", out, "--quiet"));
    CHECK_INT(r.status, 2);
    snprintf(want, sizeof want, "clvsim: %s: the ZILN loss needs 3 outputs; the network has 1\n", path);
    CHECK_STR(r.err, want);
    harness_proc_free(&r);
    /* a horizon of 1e300 (a NaN for every customer, exit 0, before) */
    CHECK_INT(save_net(path, 3, CLV_LOSS_ZILN), CLV_OK);
    const double h = 1e300, model = 7;
    CHECK_INT(patch_crc(path, NET_META + 8, &h, 8), 0);
    r = harness_run(ARGS("predict-ltv", path, "tests/fixtures/txlog/basic.txt", "--cutoff", "1997-01-31", "-o", out,
                         "--quiet"));
    CHECK_INT(r.status, 2);
    snprintf(want, sizeof want, "clvsim: %s: ltv.horizon_days: the network's setting is 1e+300; expected an integer in "
             "[1, 3650]\n", path);
    CHECK_STR(r.err, want);
    harness_proc_free(&r);
    /* a BTYD model id of 7 */
    CHECK_INT(save_net(path, 3, CLV_LOSS_ZILN), CLV_OK);
    CHECK_INT(patch_crc(path, NET_META + 80, &model, 8), 0);
    r = harness_run(ARGS("predict-ltv", path, "tests/fixtures/txlog/basic.txt", "--cutoff", "1997-01-31", "-o", out,
                         "--quiet"));
    CHECK_INT(r.status, 2);
    snprintf(want, sizeof want, "clvsim: %s: population.model: the network's setting is 7; expected an integer in "
             "[0, 1]\n", path);
    CHECK_STR(r.err, want);
    harness_proc_free(&r);
    /* a zero sd */
    CHECK_INT(save_net(path, 3, CLV_LOSS_ZILN), CLV_OK);
    const double zero = 0;
    CHECK_INT(patch_crc(path, NET_SD + 8 * 7, &zero, 8), 0);
    r = harness_run(ARGS("predict-ltv", path, "tests/fixtures/txlog/basic.txt", "--cutoff", "1997-01-31", "-o", out,
                         "--quiet"));
    CHECK_INT(r.status, 2);
    snprintf(want, sizeof want, "clvsim: %s: the standardisation sd of input 8 is 0; expected a finite number > 0\n",
             path);
    CHECK_STR(r.err, want);
    harness_proc_free(&r);
    CHECK(access(out, F_OK) != 0); /* nothing written */
    unlink(path);
    rmdir(dir);
}

/* ---- the LTV path's non-finite numbers ---- */

/* standardisation by hand: no spread, the rounding noise of a constant, a small real spread */
TEST(test_bad_loaders_ltv_standardize)
{
    /* columns: a constant 5; P(alive) 1 - k 1e-9 (sd 1e-9, a billionth of
     * its mean); values of 1e-8 scale with a real spread; a plain column */
    double X[4 * 4] = {5, 1, 1e-8, 1, 5, 1 - 1e-9, 2e-8, 2, 5, 1 - 2e-9, 3e-8, 3, 5, 0.5, 7e-8, 40};
    double mean[4], sd[4];
    const size_t first3[3] = {0, 1, 2};
    clv_standardize_fit(X, 4, 4, first3, 3, mean, sd);
    CHECK_NEAR(mean[0], 5, 0);
    CHECK_NEAR(sd[0], 1, 0);
    CHECK_NEAR(mean[1], 1 - 1e-9, 1e-15);
    CHECK_NEAR(sd[1], 1, 0); /* 1e-9 before: row 4's 0.5 became -5e8 sds */
    CHECK_NEAR(mean[2], 2e-8, 1e-22);
    CHECK_NEAR(sd[2], 1e-8, 1e-20); /* half its mean: a spread, kept */
    CHECK_NEAR(mean[3], 2, 1e-15);
    CHECK_NEAR(sd[3], 1, 1e-15);
    clv_standardize_apply(X, 4, 4, mean, sd);
    CHECK_NEAR(X[0], 0, 0);
    CHECK_NEAR(X[1], 1e-9, 1e-15);
    CHECK_NEAR(X[13], 0.5 - (1 - 1e-9), 1e-15); /* x - mean: no more than the raw difference */
    CHECK_NEAR(X[14], 5, 1e-9);
    CHECK_NEAR(X[15], 38, 1e-12);
    /* the threshold: a spread just above a millionth of the mean is kept */
    double Y[3] = {1 - 2e-6, 1, 1 + 2e-6}, m1, s1;
    clv_standardize_fit(Y, 3, 1, NULL, 0, &m1, &s1);
    CHECK_NEAR(s1, 2e-6, 1e-12);
    double Z[3] = {1 - 5e-7, 1, 1 + 5e-7};
    clv_standardize_fit(Z, 3, 1, NULL, 0, &m1, &s1);
    CHECK_NEAR(s1, 1, 0);
    /* one row: no spread */
    clv_standardize_fit(X, 1, 4, NULL, 0, mean, sd);
    CHECK(sd[0] == 1 && sd[1] == 1 && sd[2] == 1 && sd[3] == 1);
}

/* a network of the LTV features with zero weights, so that its outputs are
 * the biases (logit, mu, s), mean 0 and sd 1, and the largest label and
 * training rows given, saved at path */
static int save_net_biases(const char *path, double logit, double mu, double s, double label_max, double n_train)
{
    clv_error err;
    const clv_mlp_spec spec = {NET_IN, {NET_H}, 1, 3, CLV_ACT_RELU, CLV_MLP_F32, 16};
    clv_mlp *m = clv_mlp_alloc(&spec, &err);
    if (!m)
        return -1;
    const size_t P = clv_mlp_n_params(m);
    double *p = calloc(P, sizeof *p), mean[NET_IN], sd[NET_IN], meta[CLV_MLP_META];
    p[P - 3] = logit, p[P - 2] = mu, p[P - 1] = s;
    clv_mlp_set_params(m, p);
    for (int j = 0; j < NET_IN; j++)
        mean[j] = 0, sd[j] = 1;
    const clv_ltv_config c = {91, 0, 0.1, 0.3, {30, 90, 365, 4}, 0, CLV_MODEL_BGNBD, label_max, n_train, 0, 0, {0}, {0}, 0, {.unit = 0}};
    clv_ltv_config_pack(&c, meta);
    int st = clv_mlp_save(m, CLV_LOSS_ZILN, mean, sd, meta, NULL, path, &err);
    clv_mlp_free(m);
    free(p);
    return st;
}

/* 1 when the CSV text has an inf or a nan in it */
static int has_nonfinite(const char *csv)
{
    return !csv || strstr(csv, "nan") || strstr(csv, "inf") || strstr(csv, "NAN") || strstr(csv, "INF");
}

/* a world whose BTYD P(alive) is 1 - 1e-10 for everyone (a dropout
 * probability a / (a + b) of 1e-10): train-ltv's sd of that feature was 1.2e-9, and
 * predict-ltv on a log where P(alive) varies wrote -nan for every customer
 * with exit 0 */
TEST(test_bad_loaders_ltv_constant_feature_cli)
{
    char dir[] = "/tmp/clvsim-badconst-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char train[700], net[800], pred[700], csv[800], want[1200];
    snprintf(train, sizeof train, "%s/train", dir);
    snprintf(net, sizeof net, "%s/ltv.mlp", train);
    snprintf(pred, sizeof pred, "%s/pred", dir);
    snprintf(csv, sizeof csv, "%s/predictions.csv", pred);
    harness_proc r = harness_run(ARGS("train-ltv", "scenarios/holiday.cfg", "-o", train, "--quiet", "--scale", "0.1",
                                      "--set", "ltv.epochs=2", "--set", "ltv.horizon_days=91", "--set",
                                      "population.bgnbd.a=1e-5", "--set", "population.bgnbd.b=1e5"));
    CHECK_INT(r.status, 0);
    harness_proc_free(&r);
    int loss;
    double *mean = NULL, *sd = NULL, meta[CLV_MLP_META];
    clv_error err;
    clv_mlp *m = clv_mlp_load(net, 8, &loss, &mean, &sd, meta, NULL, &err);
    CHECK(m != NULL);
    if (m) {
        CHECK_NEAR(mean[24], 1, 1e-6); /* btyd_p_alive */
        CHECK_NEAR(sd[24], 1, 0);      /* no spread: 1 */
        CHECK(sd[23] > 0.1);           /* log_btyd_margin has one */
        CHECK_NEAR(meta[12], 1600, 0); /* the training rows: 2000 less a fifth for early stopping */
        CHECK(meta[11] > 0);           /* the largest training label */
    }
    clv_mlp_free(m);
    free(mean), free(sd);
    r = harness_run(ARGS("predict-ltv", net, "tests/fixtures/txlog/basic.txt", "--cutoff", "1997-01-31", "-o", pred,
                         "--quiet"));
    CHECK_INT(r.status, 0);
    CHECK(r.out && strstr(r.out, "4 customers of tests/fixtures/txlog/basic.txt as of 1997-01-31: predicted value"));
    CHECK(r.out && !has_nonfinite(r.out));
    harness_proc_free(&r);
    char *text = harness_read_file(csv);
    CHECK(text && strncmp(text, "id,predicted_value,p_buy,btyd_value\nA,", 38) == 0 && !has_nonfinite(text));
    free(text);
    /* the same network with the tiny sd of before: its calibration keeps
     * every value finite and at most 3 x the largest training label, with
     * a warning about the extrapolation */
    const double tiny = 1.19e-9;
    CHECK_INT(patch_crc(net, NET_SD + 8 * 24, &tiny, 8), 0);
    char pred2[800];
    snprintf(pred2, sizeof pred2, "%s/pred2", dir);
    r = harness_run(ARGS("predict-ltv", net, "tests/fixtures/txlog/basic.txt", "--cutoff", "1997-01-31", "-o", pred2,
                         "--quiet"));
    CHECK_INT(r.status, 0);
    CHECK(r.err && strstr(r.err, "a feature outside the range of the network's 1600 training rows (most often "
                                 "btyd_p_alive"));
    CHECK(r.out && !has_nonfinite(r.out));
    harness_proc_free(&r);
    char csv2[900];
    snprintf(csv2, sizeof csv2, "%s/predictions.csv", pred2);
    text = harness_read_file(csv2);
    CHECK(text && !has_nonfinite(text));
    for (const char *l = text ? strchr(text, '\n') : NULL; l && l[1]; l = strchr(l + 1, '\n')) {
        const char *c = strchr(l, ',');
        CHECK(c && strtod(c + 1, NULL) <= CLV_LTV_ABOVE_LABELS * meta[11]);
    }
    free(text);
    /* without its calibration (numbers 48 to 63 0: a file of before):
     * refused, naming the customer and the feature, and nothing written */
    const double none[CLV_LTV_META_CALIB_END - CLV_LTV_META_CALIB] = {0};
    CHECK_INT(patch_crc(net, NET_META + 8 * CLV_LTV_META_CALIB, none, sizeof none), 0);
    rm_tree(pred2);
    r = harness_run(ARGS("predict-ltv", net, "tests/fixtures/txlog/basic.txt", "--cutoff", "1997-01-31", "-o", pred2,
                         "--quiet"));
    CHECK_INT(r.status, 1);
    snprintf(want, sizeof want, "clvsim: tests/fixtures/txlog/basic.txt: customer A: the network's value is ");
    CHECK(r.err && strncmp(r.err, want, strlen(want)) == 0);
    CHECK(r.err && strstr(r.err, " is not finite; its farthest feature, btyd_p_alive, is "));
    CHECK(access(pred2, F_OK) != 0);
    harness_proc_free(&r);
    rm_tree(dir);
}

/* a value that is not finite: the ZILN mean of sigma 1000 overflows */
TEST(test_bad_loaders_ltv_nonfinite_value)
{
    char dir[] = "/tmp/clvsim-badinf-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char net[700], pred[700], want[1000];
    snprintf(net, sizeof net, "%s/ltv.mlp", dir);
    snprintf(pred, sizeof pred, "%s/pred", dir);
    CHECK_INT(save_net_biases(net, 0, 0, 1000, 10, 100), CLV_OK);
    /* the library: the observation, the outputs */
    clv_error err;
    clv_ltv_model *lm = clv_ltv_model_load(net, 4, NULL, &err);
    CHECK(lm != NULL);
    if (lm) {
        clv_sim_obs obs[6];
        memset(obs, 0, sizeof obs);
        for (int i = 0; i < 6; i++)
            obs[i].purchases = 1 + i, obs[i].age_days = 40, obs[i].today = 10000, obs[i].coupon_age_days = -1;
        double value[6] = {0}, p_buy[6];
        CHECK_INT(clv_ltv_model_predict(lm, obs, 6, value, p_buy, &err), CLV_ENUMERIC);
        CHECK_STR(err.field, "observation 0");
        const char *pre = "the network's value is inf: the ZILN mean p exp(mu + sigma^2/2) of its outputs (logit 0, "
                          "mu 0, sigma 1000) is not finite; its farthest feature, ";
        CHECK(strncmp(err.msg, pre, strlen(pre)) == 0);
        CHECK_INT(clv_ltv_model_diag(lm)->predicted, 0);
    }
    clv_ltv_model_free(lm);
    /* the command: the customer, exit status 1, nothing written */
    harness_proc r = harness_run(ARGS("predict-ltv", net, "tests/fixtures/txlog/basic.txt", "--cutoff", "1997-01-31",
                                      "-o", pred, "--quiet"));
    CHECK_INT(r.status, 1);
    snprintf(want, sizeof want, "clvsim: tests/fixtures/txlog/basic.txt: customer A: the network's value is inf: the "
             "ZILN mean p exp(mu + sigma^2/2) of its outputs (logit 0, mu 0, sigma 1000) is not finite; its farthest "
             "feature, ");
    CHECK(r.err && strncmp(r.err, want, strlen(want)) == 0);
    CHECK(r.out && r.out[0] == '\0');
    CHECK(access(pred, F_OK) != 0);
    harness_proc_free(&r);
    rm_tree(dir);
}

/* doubtful values, warned about: far above the training labels, features outside the training rows' range */
TEST(test_bad_loaders_ltv_doubtful_cli)
{
    char dir[] = "/tmp/clvsim-baddoubt-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char net[700], pred[700], csv[800], want[1200];
    snprintf(net, sizeof net, "%s/ltv.mlp", dir);
    snprintf(pred, sizeof pred, "%s/pred", dir);
    snprintf(csv, sizeof csv, "%s/predictions.csv", pred);
    /* sigma softplus(5): a value of 0.5 exp(sigma^2 / 2), about 1.4e5, for
     * everyone, with a largest training label of 10; log_age_days (about
     * 3.5) with an sd of 0.01 is some 350 sds out, where none of 100
     * training rows can be (at most 99 / 10 = 9.9) */
    CHECK_INT(save_net_biases(net, 0, 0, 5, 10, 100), CLV_OK);
    const double sd = 0.01;
    CHECK_INT(patch_crc(net, NET_SD + 8 * 2, &sd, 8), 0);
    harness_proc r = harness_run(ARGS("predict-ltv", net, "tests/fixtures/txlog/basic.txt", "--cutoff", "1997-01-31",
                                      "-o", pred, "--quiet"));
    CHECK_INT(r.status, 0);
    const char *far = "clvsim predict-ltv: warning: 4 of the 4 customers have a feature outside the range of the "
                      "network's 100 training rows (most often log_age_days, 4 customers; up to ";
    CHECK(r.err && strncmp(r.err, far, strlen(far)) == 0);
    CHECK(r.err && strstr(r.err, " sds from their mean, where no training row is beyond 9.9): the network "
                                 "extrapolates for them\n"));
    snprintf(want, sizeof want, "clvsim predict-ltv: warning: the network predicts more than 3 x the largest label "
             "it was trained on (10.00) for 4 of the 4 customers (up to %.4g): its ZILN mean p exp(mu + sigma^2/2) is "
             "unreliable for them (a network file without a calibration)\n", clv_ziln_mean(0, 0, 5));
    CHECK(r.err && strstr(r.err, want));
    harness_proc_free(&r);
    char *text = harness_read_file(csv);
    CHECK(text && strncmp(text, "id,predicted_value,p_buy,btyd_value\nA,", 38) == 0 && !has_nonfinite(text));
    free(text);
    /* a file of before the largest label and the rows were kept (0): no
     * warning (the cut-off the log's last purchase day, so no warning of a
     * period ending after it either) */
    CHECK_INT(save_net_biases(net, 0, 0, 5, 0, 0), CLV_OK);
    r = harness_run(ARGS("predict-ltv", net, "tests/fixtures/txlog/basic.txt", "--cutoff", "1997-01-21", "-o", pred,
                         "--quiet", "--force"));
    CHECK_INT(r.status, 0);
    CHECK_STR(r.err, "");
    harness_proc_free(&r);
    rm_tree(dir);
}

/* the value of column `col` (0-based) of the CSV row that starts with `key` */
static double csv_field(const char *csv, const char *key, int col)
{
    const char *p = csv;
    while (p && *p) {
        if (strncmp(p, key, strlen(key)) == 0) {
            for (int c = 0; c < col && p; c++) {
                p = strchr(p, ',');
                p = p ? p + 1 : NULL;
            }
            return p ? strtod(p, NULL) : NAN;
        }
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return NAN;
}

/* The UCI Online Retail log end to end (../shared/data): BG/NBD's dropout
 * goes to 0 on it, so P(alive) is 1 - 1e-9 or so for every customer of the
 * training rows; the network's standardisation divided by 5e-8, train-ltv
 * reported an RMSE of 1.1e18 without a word, and predict-ltv at the log's
 * end wrote inf or nan for 2,790 of its 4,339 customers with exit 0. */
TEST(test_bad_loaders_online_retail)
{
    char *gz = harness_shared_data("online_retail.csv.gz");
    if (!gz)
        return;
    char dir[] = "/tmp/clvsim-badretail-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char cmd[1400], cfg[700], log[700], train[700], net[800], pred[700], csv[800];
    snprintf(log, sizeof log, "%s/online_retail.csv", dir);
    snprintf(cmd, sizeof cmd, "gzip -dc '%s' > '%s'", gz, log);
    free(gz);
    CHECK_INT(system(cmd), 0);
    snprintf(cfg, sizeof cfg, "%s/retail-ltv.cfg", dir);
    FILE *fp = fopen(cfg, "w");
    CHECK(fp != NULL);
    if (!fp)
        return;
    fputs("data = { transactions = \"online_retail.csv\"; delimiter = \"comma\"; header = \"yes\";\n"
          "  customer_column = 7; date_column = 5; amount_column = 6; quantity_column = 4; amount_kind = "
          "\"unit-price\";\n  date_format = \"YYYY-MM-DD hh:mm:ss\"; skip_malformed = true;\n"
          "  calibration_end = \"2011-06-30\"; unit = \"week\"; };\n"
          "ltv = { real_fraction = 1.0; horizon_days = 150; discount = false; };\n", fp);
    fclose(fp);
    snprintf(train, sizeof train, "%s/train", dir);
    snprintf(net, sizeof net, "%s/ltv.mlp", train);
    harness_proc r = harness_run(ARGS("train-ltv", cfg, "-o", train, "--quiet"));
    CHECK_INT(r.status, 0);
    CHECK(r.out && strstr(r.out, "trained on 2368 customers (2368 real, 0 synthetic; 473 of them for early stopping)"));
    CHECK(r.out && !has_nonfinite(r.out));
    /* the feature without spread: sd 1 */
    int loss;
    double *mean = NULL, *sd = NULL, meta[CLV_MLP_META];
    clv_error err;
    clv_mlp *m = clv_mlp_load(net, 8, &loss, &mean, &sd, meta, NULL, &err);
    CHECK(m != NULL);
    if (m) {
        CHECK_NEAR(mean[24], 1, 1e-6);
        CHECK_NEAR(sd[24], 1, 0);
    }
    clv_mlp_free(m);
    free(mean), free(sd);
    /* an absurd RMSE is never reported silently: above 3 x the largest
     * training label, the warning about the values behind it is there */
    char f[800];
    snprintf(f, sizeof f, "%s/ltv_metrics.csv", train);
    char *metrics = harness_read_file(f);
    CHECK(metrics && !has_nonfinite(metrics));
    const double rmse = metrics ? csv_field(metrics, "mlp,real,", 3) : NAN, label_max = meta[11];
    CHECK(isfinite(rmse) && label_max > 1000);
    if (!(rmse <= CLV_LTV_ABOVE_LABELS * label_max))
        CHECK(r.err && strstr(r.err, "clvsim train-ltv: warning: the network predicts more than 3 x the largest "
                                     "training label ("));
    free(metrics);
    /* the features that carried no information, named in the report and in
     * ltv_features.csv: a log has no coupons and no prices; no customer of
     * a cohort at most 7 months old at the cut-off is churned (365 days
     * without a purchase); BG/NBD's P(alive) is 1 for all to within 1e-6 */
    static const int none_expected[] = {11, 12, 13, 14, 19, 22, 24};
    CHECK(r.out && strstr(r.out, "\nfeatures constant on the training rows, of no use to the network: log_coupons, "
                                 "log_coupon_age_days, never_couponed, holds_coupon, stage_churned, "
                                 "price_minus_list, btyd_p_alive\n"));
    snprintf(f, sizeof f, "%s/ltv_features.csv", train);
    char *feat = harness_read_file(f);
    CHECK(feat && strncmp(feat, "feature,mean,sd,constant\n", 25) == 0);
    for (int j = 0, k = 0; feat && j < CLV_LTV_FEATURES; j++) {
        char key[64];
        snprintf(key, sizeof key, "%s,", clv_ltv_feature_name(j));
        const int want = k < 7 && none_expected[k] == j;
        k += want;
        if (csv_field(feat, key, 3) != want)
            harness_fail(__FILE__, __LINE__, "ltv_features.csv: %s has constant %g, expected %d", key,
                         csv_field(feat, key, 3), want);
    }
    free(feat);
    snprintf(f, sizeof f, "%s/ltv_calibration.csv", train);
    char *cal = harness_read_file(f);
    double realised = 0;
    for (int d = 1; d <= 10; d++) {
        char key[32];
        snprintf(key, sizeof key, "btyd-real,%d,", d);
        realised += (cal ? csv_field(cal, key, 3) : NAN) / 10;
    }
    CHECK(isfinite(realised) && realised > 0);
    free(cal);
    harness_proc_free(&r);
    /* predictions at the log's end: finite for every customer */
    snprintf(pred, sizeof pred, "%s/pred", dir);
    snprintf(csv, sizeof csv, "%s/predictions.csv", pred);
    r = harness_run(ARGS("predict-ltv", net, log, "--delimiter", "comma", "--header", "yes", "--customer-column", "7",
                         "--date-column", "5", "--amount-column", "6", "--quantity-column", "4", "--amount-kind",
                         "unit-price", "--date-format", "datetime", "--skip-malformed", "--cutoff", "2011-12-09", "-o",
                         pred, "--quiet"));
    CHECK_INT(r.status, 0);
    CHECK(r.out && strstr(r.out, "4339 customers of ") && !has_nonfinite(r.out));
    harness_proc_free(&r);
    char *text = harness_read_file(csv);
    size_t rows = 0;
    for (const char *p = text; p && (p = strchr(p, '\n')); p++)
        rows++;
    CHECK_INT(rows, 4340);
    CHECK(text && !has_nonfinite(text));
    /* plausible: no value below 0, and BTYD's (as `clvsim fit` computes it) of the order of what
     * the real holdout's customers realised over the same 150 days after the cut-off: its mean
     * within a factor 4 of theirs (the mean of BTYD's deciles of ltv_calibration.csv) */
    double sum_btyd = 0;
    size_t negative = 0, n_rows = 0;
    for (const char *p = text ? strchr(text, '\n') : NULL; p && p[1]; p = strchr(p + 1, '\n')) {
        const char *c = strchr(p + 1, ',');
        const double v = c ? strtod(c + 1, NULL) : NAN;
        c = c ? strchr(c + 1, ',') : NULL;
        c = c ? strchr(c + 1, ',') : NULL;
        const double b = c ? strtod(c + 1, NULL) : NAN;
        negative += !(v >= 0) || !(b >= 0);
        sum_btyd += b, n_rows++;
    }
    CHECK_INT((int)n_rows, 4339);
    CHECK_INT((int)negative, 0);
    const double mean_btyd = sum_btyd / (double)(n_rows ? n_rows : 1);
    if (!(mean_btyd > realised / 4 && mean_btyd < 4 * realised))
        harness_fail(__FILE__, __LINE__, "BTYD's mean value %g per customer; the holdout realised %g", mean_btyd,
                     realised);
    free(text);
    rm_tree(dir);
}

/* a training whose loss is not finite stops as diverged, instead of
 * writing nan into the history and the network */
TEST(test_bad_loaders_ltv_diverged)
{
    enum { N = 32, K = 3 };
    clv_error err;
    const clv_mlp_spec spec = {K, {4}, 1, 1, CLV_ACT_TANH, CLV_MLP_F64, 16};
    clv_mlp *m = clv_mlp_alloc(&spec, &err);
    CHECK(m != NULL);
    if (!m)
        return;
    clv_mlp_init(m, 3);
    double X[N * K], y[N], yv[8];
    for (int i = 0; i < N * K; i++)
        X[i] = 0.1 * (i % 7) - 0.3;
    for (int i = 0; i < N; i++)
        y[i] = i % 3 ? 1e200 : 1; /* squared: inf */
    clv_mlp_train_opts o;
    clv_mlp_train_opts_default(&o);
    o.loss = CLV_LOSS_MSE, o.epochs = 3, o.batch = 8, o.validation_fraction = 0;
    clv_mlp_history h;
    CHECK_INT(clv_mlp_train(m, X, y, N, &o, &h, &err), CLV_ENUMERIC);
    CHECK_STR(err.field, "training");
    CHECK_STR(err.msg, "the training loss is inf at epoch 1, step 1: training diverged; try a lower learning rate");
    CHECK(h.train_loss == NULL && h.epochs == 0);
    /* the validation rows' loss */
    for (int i = 0; i < N; i++)
        y[i] = 0.5;
    for (int i = 0; i < 8; i++)
        yv[i] = i ? 0 : 1e200;
    o.X_val = X, o.y_val = yv, o.n_val = 8;
    CHECK_INT(clv_mlp_train(m, X, y, N, &o, &h, &err), CLV_ENUMERIC);
    CHECK_STR(err.msg, "the validation loss is inf after epoch 1: training diverged; try a lower learning rate");
    /* finite targets train */
    yv[0] = 0.5;
    CHECK_INT(clv_mlp_train(m, X, y, N, &o, &h, &err), CLV_OK);
    CHECK(h.epochs == 3 && isfinite(h.train_loss[2]) && isfinite(h.val_loss[2]));
    clv_mlp_history_free(&h);
    clv_mlp_free(m);
}

/* Network files of version 03 (no text) and 02 (clvsim 0.1: also only
 * 16 numbers of configuration) are still read: the same network, the text
 * "" (no reader record), the numbers past 02's 16 as 0.  They are made from
 * a file of version 04 without a text by dropping its text's length (and
 * for 02 numbers 16 to 63, all 0) and recomputing the checksum. */
static void net_old_version(int version)
{
    char dir[] = "/tmp/clvsim-net02-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[600], old[620];
    snprintf(path, sizeof path, "%s/ltv.mlp", dir);
    snprintf(old, sizeof old, "%s/old.mlp", dir);
    CHECK_INT(save_net(path, 3, CLV_LOSS_ZILN), CLV_OK);
    const long len = file_size(path);
    unsigned char *b = malloc((size_t)len);
    FILE *fp = fopen(path, "rb");
    CHECK(b && fp && fread(b, 1, (size_t)len, fp) == (size_t)len);
    if (fp)
        fclose(fp);
    /* the old layout: magic, head, 16 (02) or 64 (03) numbers, no text's
     * length, the rest as it was */
    const long n_cfg = version == 2 ? 16 : CLV_MLP_META, len02 = len - (NET_MEAN - NET_META - n_cfg * 8);
    unsigned char *o = malloc((size_t)len02);
    CHECK(o != NULL);
    if (b && o) {
        memcpy(o, b, (size_t)(NET_META + n_cfg * 8));
        memcpy(o, version == 2 ? "CLVMLP02" : "CLVMLP03", 8);
        memcpy(o + NET_META + n_cfg * 8, b + NET_MEAN, (size_t)(len - NET_MEAN));
        const uint32_t crc = clv_crc32(0, o + 8, (size_t)len02 - 12);
        memcpy(o + len02 - 4, &crc, 4);
        fp = fopen(old, "wb");
        CHECK(fp && fwrite(o, 1, (size_t)len02, fp) == (size_t)len02);
        if (fp)
            fclose(fp);
    }
    clv_error err;
    clv_ltv_model *a = clv_ltv_model_load(path, 8, NULL, &err), *c = clv_ltv_model_load(old, 8, NULL, &err);
    CHECK(a != NULL);
    CHECK(c != NULL);
    if (a && c) {
        CHECK(memcmp(clv_ltv_model_config(a), clv_ltv_model_config(c), sizeof(clv_ltv_config)) == 0);
        /* the same predictions, to the bit, for a made-up customer */
        clv_sim_obs ob = {.stage = CLV_STAGE_ACTIVE, .purchases = 3, .recency_days = 20, .age_days = 200,
                          .total_spend = 90, .last_spend = 30, .max_spend = 40, .mean_gap_days = 90,
                          .coupon_age_days = -1, .price = 1, .today = 10000};
        double va = NAN, vc = NAN, pa = NAN, pc = NAN;
        clv_btyd_value bv;
        clv_scenario scn;
        CHECK_INT(clv_scn_defaults(&scn, &err), CLV_OK);
        clv_btyd_value_init(&bv, &scn);
        clv_ltv_model_set_btyd(a, &bv);
        clv_ltv_model_set_btyd(c, &bv);
        CHECK_INT(clv_ltv_model_predict(a, &ob, 1, &va, &pa, &err), CLV_OK);
        CHECK_INT(clv_ltv_model_predict(c, &ob, 1, &vc, &pc, &err), CLV_OK);
        CHECK(isfinite(va) && memcmp(&va, &vc, sizeof va) == 0 && memcmp(&pa, &pc, sizeof pa) == 0);
    }
    clv_ltv_model_free(a);
    clv_ltv_model_free(c);
    /* an old file whose length is that of a 04 one: trailing bytes */
    if (b) {
        memcpy(b, version == 2 ? "CLVMLP02" : "CLVMLP03", 8);
        fp = fopen(old, "wb");
        CHECK(fp && fwrite(b, 1, (size_t)len, fp) == (size_t)len);
        if (fp)
            fclose(fp);
        CHECK_INT(recrc(old), 0);
        CHECK(clv_ltv_model_load(old, 8, NULL, &err) == NULL);
        CHECK_INT(err.code, CLV_EINPUT);
        CHECK(strstr(err.msg, "trailing bytes after the network") != NULL);
    }
    free(b), free(o);
    unlink(path), unlink(old);
    rmdir(dir);
}

TEST(test_bad_loaders_net_version_02) { net_old_version(2); }
TEST(test_bad_loaders_net_version_03) { net_old_version(3); }
