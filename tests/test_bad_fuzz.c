/* test_bad_fuzz.c - what the fuzzers (fuzz/) found, each input fed through
 * the API the fuzzer used, checking the clean error and its exact message.
 * The inputs are in the fuzzers' seed corpus too (fuzz/corpus/NAME/, listed
 * in fuzz/README.md), so that every run of make fuzz starts from them.
 *
 * Classes covered:
 * - a transaction log with a NUL byte in a customer id (fuzz_txlog:
 *   accepted, the id cut short at the NUL wherever it was a string, so
 *   that two customers could print alike): a malformed row of kind
 *   "customer", with the byte shown, skipped and counted with
 *   skip_malformed;
 * - a network file that gives a width for a hidden layer it does not have
 *   (fuzz_mlp: accepted, and saved again as other bytes): "impossible
 *   sizes".
 */
#include <stdlib.h>
#include <unistd.h>

#include "clvsim/date.h"
#include "clvsim/io.h"
#include "clvsim/mlp.h"
#include "clvsim/txlog.h"
#include "harness.h"

#define CORPUS "fuzz/corpus"

/* a temporary file holding n bytes of data; path receives its name */
static int temp_file(char *path, size_t size, const void *data, size_t n)
{
    snprintf(path, size, "/tmp/clvsim-bad-fuzz-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) {
        harness_fail(__FILE__, __LINE__, "mkstemp failed");
        return -1;
    }
    int ok = write(fd, data, n) == (ssize_t)n;
    close(fd);
    if (!ok)
        harness_fail(__FILE__, __LINE__, "cannot write %s", path);
    return ok ? 0 : -1;
}

/* clv_rfm_read of path with o fails with CLV_EINPUT and exactly msg (formatted) */
static void log_fails(const char *path, const clv_txlog_opts *o, const char *msg)
{
    clv_rfm_table *t = NULL;
    clv_error err;
    int st = clv_rfm_read(path, o, clv_date_from_ymd(1997, 12, 31), -1, CLV_UNIT_DAY, NULL, &t, &err);
    CHECK_INT(st, CLV_EINPUT);
    CHECK(t == NULL);
    if (st == CLV_OK) {
        clv_rfm_free(t);
        return;
    }
    CHECK_INT(err.code, CLV_EINPUT);
    char buf[2048];
    CHECK_STR(clv_error_format(&err, buf, sizeof buf), msg);
}

TEST(test_bad_fuzz_txlog_nul_customer)
{
    clv_txlog_opts o;
    clv_txlog_opts_default(&o);
    /* the fuzzer's input (12 bytes: a NUL, " 19970101 1") */
    log_fails(CORPUS "/txlog/nul-customer.txt", &o,
              CORPUS "/txlog/nul-customer.txt:1: customer: expected a customer id in column 1, got \"\\x00\" "
                     "with a NUL byte (the log must be text: ASCII or UTF-8, not UTF-16)");

    /* inside an id, in a comma-separated log after a header, two customers
     * that would have printed as "a" */
    static const char two[] = "customer,date,amount\na\0b,1997-01-01,5\na\0c,1997-01-02,7\n";
    char path[64];
    if (temp_file(path, sizeof path, two, sizeof two - 1) != 0)
        return;
    char msg[512];
    snprintf(msg, sizeof msg,
             "%s:2: customer: expected a customer id in column 1, got \"a\\x00b\" with a NUL byte (the log must be "
             "text: ASCII or UTF-8, not UTF-16)",
             path);
    log_fails(path, &o, msg);

    /* skipping malformed rows: counted as "customer" rows, the others read */
    static const char mixed[] = "a,1997-01-01,5\na\0c,1997-01-02,7\nb,1997-01-03,2\na,1997-01-05,1\n";
    unlink(path);
    if (temp_file(path, sizeof path, mixed, sizeof mixed - 1) != 0)
        return;
    o.skip_malformed = 1;
    clv_rfm_table *t = NULL;
    clv_error err;
    CHECK_INT(clv_rfm_read(path, &o, clv_date_from_ymd(1997, 12, 31), -1, CLV_UNIT_DAY, NULL, &t, &err), CLV_OK);
    if (t) {
        CHECK_INT(t->n, 2);
        CHECK_INT(t->stats.skipped[CLV_TXBAD_CUSTOMER], 1);
        CHECK_INT(t->stats.first_skipped_line[CLV_TXBAD_CUSTOMER], 2);
        CHECK_INT(t->stats.rows, 3);
        CHECK_STR(t->id[0], "a");
        CHECK_NEAR(t->c[0].x, 1, 0);
        CHECK_STR(t->id[1], "b");
    }
    clv_rfm_free(t);
    unlink(path);
}

/* clv_mlp_load of path fails with CLV_EINPUT and exactly msg (formatted) */
static void net_fails(const char *path, const char *msg)
{
    int loss = -1;
    double *mean = NULL, *sd = NULL, meta[CLV_MLP_META];
    clv_error err;
    clv_mlp *m = clv_mlp_load(path, 8, &loss, &mean, &sd, meta, NULL, &err);
    CHECK(m == NULL);
    CHECK(mean == NULL && sd == NULL);
    if (m) {
        clv_mlp_free(m);
        free(mean), free(sd);
        return;
    }
    CHECK_INT(err.code, CLV_EINPUT);
    char buf[2048];
    CHECK_STR(clv_error_format(&err, buf, sizeof buf), msg);
}

TEST(test_bad_fuzz_mlp_unused_width)
{
    /* the corpus file: fuzz/README.md says how it was made */
    net_fails(CORPUS "/mlp/unused-width.net",
              CORPUS "/mlp/unused-width.net: hidden layer 2: the network has 1 hidden layers, so expected width 0, got 5");

    /* the same damage by hand: a network of one hidden layer saved, the
     * width of a second (absent) layer set to 5, the checksum made right */
    clv_mlp_spec spec = {.n_in = 3, .hidden = {4}, .n_hidden = 1, .n_out = 1, .activation = CLV_ACT_TANH,
                         .precision = CLV_MLP_F64, .max_batch = 8};
    clv_error err;
    clv_mlp *m = clv_mlp_alloc(&spec, &err);
    CHECK(m != NULL);
    if (!m)
        return;
    clv_mlp_init(m, 3);
    const double mean[3] = {0, 1, 2}, sd[3] = {1, 1, 1};
    char path[64];
    if (temp_file(path, sizeof path, "", 0) != 0) {
        clv_mlp_free(m);
        return;
    }
    CHECK_INT(clv_mlp_save(m, CLV_LOSS_MSE, mean, sd, NULL, NULL, path, &err), CLV_OK);
    clv_mlp_free(m);
    FILE *fp = fopen(path, "r+b");
    CHECK(fp != NULL);
    if (!fp)
        return;
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    unsigned char *b = malloc((size_t)size);
    rewind(fp);
    CHECK(b && fread(b, 1, (size_t)size, fp) == (size_t)size);
    /* the magic (8 bytes), then int32 n_in, n_hidden, n_out, activation,
     * precision, loss and the CLV_MAX_LAYERS widths */
    int32_t w = 5;
    memcpy(b + 8 + 4 * (6 + 1), &w, 4);
    uint32_t crc = clv_crc32(0, b + 8, (size_t)size - 12);
    memcpy(b + size - 4, &crc, 4);
    rewind(fp);
    CHECK(fwrite(b, 1, (size_t)size, fp) == (size_t)size);
    fclose(fp);
    free(b);
    char msg[256];
    snprintf(msg, sizeof msg, "%s: hidden layer 2: the network has 1 hidden layers, so expected width 0, got 5", path);
    net_fails(path, msg);
    unlink(path);
}
