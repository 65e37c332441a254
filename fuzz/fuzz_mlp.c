/* fuzz_mlp.c - libFuzzer harness of the network file's loaders: clv_mlp_load
 * (any network) and clv_ltv_model_load (a network of train-ltv, with the
 * configuration its features were made with), and what uses what they load.
 *
 * The input is a network file.  It is loaded as it is, and again with its
 * last 4 bytes replaced by the CRC-32 of the rest (what a valid file ends
 * with, clv_mlp_save), so that the fuzzer reaches the checks behind the
 * checksum instead of stopping at it.  A network that loads is run forward
 * on a few rows and saved again; an LTV model that loads predicts the value
 * of a few observations (across a batch boundary) and of the customers of
 * a small transaction log (clv_ltv_predict_log: the BTYD fit, horizon and
 * lifecycle of the file's configuration).
 *
 * Promises checked:
 * - no crash, hang, memory error, leak, undefined behaviour or allocation
 *   beyond what the file's length can justify;
 * - a failure is CLV_EINPUT (naming the file) or CLV_ENOMEM with a message
 *   (a prediction may also fail with CLV_ENUMERIC: a BTYD fit that does not
 *   converge);
 * - a network that loads has the loss and sizes the file's length implies
 *   (with its text: none in versions 03 and 02), and a double-precision one
 *   saves as the same bytes, text included (one of version 02 with the
 *   settings past its 16 read as 0, or 03, saved in the current version). */
#include "fuzz.h"

#include <math.h>

#include <gsl/gsl_errno.h>

#include "clvsim/btyd.h"
#include "clvsim/date.h"
#include "clvsim/io.h"
#include "clvsim/ltv.h"
#include "clvsim/mlp.h"
#include "clvsim/scenario.h"
#include "clvsim/txlog.h"

enum { BATCH = 4, N_OBS = 6 };

static char in_path[4200], out_path[4200], log_path[4200];
static clv_scenario scn;
static clv_btyd_value btyd;
static clv_sim_obs obs[N_OBS];

/* A log of 16 customers of 1997 with different purchase rates and
 * lifetimes, on which both BTYD fits converge inside the parameter space
 * in milliseconds (customer, date, quantity, amount, as
 * tests/fixtures/txlog/basic.txt).  (On a log of fewer or more alike
 * customers the Pareto/NBD fit can run off to a boundary, which takes
 * seconds: not what this harness is about.) */
static void write_log(void)
{
    static const int gaps[8] = {3, 5, 8, 13, 21, 34, 55, 89};
    static const int lives[10] = {10, 40, 90, 200, 400, 30, 150, 600, 20, 300};
    static char text[16384];
    size_t n = 0;
    /* day by day, so that the rows are in date order */
    for (int day = 0; day < 365; day++)
        for (int i = 0; i < 16; i++) {
            int f = (i * 7) % 60, d = f;
            for (int k = 0; d < f + lives[i % 10] && d < 365; k++) {
                if (d == day) {
                    int32_t dn = clv_date_from_ymd(1997, 1, 1) + day;
                    char ds[11];
                    clv_date_format(dn, ds);
                    n += (size_t)snprintf(text + n, sizeof text - n, "%d %.4s%.2s%.2s 1 %d\n", i + 1, ds, ds + 5,
                                          ds + 8, 10 + (i * 3 + k) % 17);
                }
                d += gaps[i % 8] + (k * i) % 5;
            }
        }
    FUZZ_CHECK(n < sizeof text, "the log does not fit");
    fuzz_write(log_path, text, n);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    gsl_set_error_handler_off(); /* as clvsim.h asks of every program */
    fuzz_init();
    fuzz_path(in_path, sizeof in_path, "network.net");
    fuzz_path(out_path, sizeof out_path, "saved.net");
    fuzz_path(log_path, sizeof log_path, "log.txt");
    write_log();
    clv_error err;
    FUZZ_CHECK(clv_scn_defaults(&scn, &err) == CLV_OK, "clv_scn_defaults: %s", err.msg);
    clv_btyd_value_init(&btyd, &scn);
    for (int i = 0; i < N_OBS; i++)
        obs[i] = (clv_sim_obs){.stage = i % CLV_STAGE_N,
                               .purchases = 1 + 3 * i,
                               .recency_days = 5.0 * i,
                               .age_days = 30.0 + 40 * i,
                               .total_spend = 25.0 * (i + 1),
                               .last_spend = 10 + i,
                               .max_spend = 20 + i,
                               .mean_gap_days = i ? 12.5 * i : 0,
                               .recent = {i > 2, i > 1, i},
                               .coupons = i / 2,
                               .coupon_age_days = i % 3 ? 7.0 * i : -1,
                               .holds_coupon = i % 2,
                               .price_level = 0,
                               .price = 1,
                               .today = clv_date_from_ymd(1997, 6, 30)};
    return 0;
}

static void check_failure(const clv_error *err, int numeric_ok)
{
    fuzz_check_error(err->code, err, in_path);
    FUZZ_CHECK(err->code == CLV_EINPUT || err->code == CLV_ENOMEM || (numeric_ok && err->code == CLV_ENUMERIC),
               "status %d: %s", err->code, err->msg);
}

static void network(const uint8_t *data, size_t size)
{
    int loss = -1;
    double *mean = NULL, *sd = NULL, meta[CLV_MLP_META];
    static char text[CLV_MLP_TEXT_MAX];
    clv_error err;
    clv_mlp *m = clv_mlp_load(in_path, BATCH, &loss, &mean, &sd, meta, text, &err);
    if (!m) {
        check_failure(&err, 0);
        FUZZ_CHECK(!mean && !sd, "standardisation left allocated after a failure");
        return;
    }
    const clv_mlp_spec *s = clv_mlp_spec_of(m);
    FUZZ_CHECK(loss == CLV_LOSS_MSE || loss == CLV_LOSS_ZILN || loss == CLV_LOSS_BCE, "loss %d", loss);
    /* magic, 6 + CLV_MAX_LAYERS sizes, the configuration (16 numbers in a
     * file of version 02, read with the rest 0), the text's length and
     * bytes (not in 03 and 02), means, sds, parameters, CRC */
    const int v02 = memcmp(data, "CLVMLP02", 8) == 0, old = v02 || memcmp(data, "CLVMLP03", 8) == 0;
    const size_t n_cfg = v02 ? 16 : CLV_MLP_META, n_text = strlen(text);
    FUZZ_CHECK(!old || n_text == 0, "a file of version 02 or 03 gave a text of %zu bytes", n_text);
    const size_t want = 8 + 4 * (6 + CLV_MAX_LAYERS) + 8 * n_cfg + (old ? 0 : 4 + n_text) +
                        8 * (2 * (size_t)s->n_in + clv_mlp_n_params(m)) + 4;
    FUZZ_CHECK(want == size, "a network of %zu parameters from a file of %zu bytes", clv_mlp_n_params(m), size);
    for (size_t k = n_cfg; k < CLV_MLP_META; k++)
        FUZZ_CHECK(meta[k] == 0, "setting %zu of a version-02 file is %g, not 0", k, meta[k]);

    /* a forward pass over rows of -1, 0 and 1 */
    const size_t K = (size_t)s->n_in, O = (size_t)s->n_out;
    double *X = malloc(BATCH * K * sizeof *X), *out = malloc(BATCH * O * sizeof *out);
    FUZZ_CHECK(X && out, "out of memory");
    for (size_t i = 0; i < BATCH * K; i++)
        X[i] = (double)(i % 3) - 1;
    int st = clv_mlp_forward(m, X, BATCH, out, &err);
    FUZZ_CHECK(st == CLV_OK, "clv_mlp_forward: %s", err.msg);
    free(X);
    free(out);

    st = clv_mlp_save(m, loss, mean, sd, meta, text, out_path, &err);
    FUZZ_CHECK(st == CLV_OK, "clv_mlp_save: %s", err.msg);
    /* a double-precision network saves as the same bytes (a file of
     * version 02 or 03 as the same network in the current version) */
    if (s->precision == CLV_MLP_F64 && !old) {
        size_t n2;
        uint8_t *again = fuzz_read_all(out_path, &n2);
        FUZZ_CHECK(n2 == size && memcmp(again, data, size) == 0, "the network saves as other bytes");
        free(again);
    }
    clv_mlp_free(m);
    free(mean);
    free(sd);
}

static void ltv_model(void)
{
    clv_error err;
    clv_ltv_model *lm = clv_ltv_model_load(in_path, BATCH, &btyd, &err);
    if (!lm) {
        check_failure(&err, 0);
        return;
    }
    double value[N_OBS], p_buy[N_OBS];
    int st = clv_ltv_model_predict(lm, obs, N_OBS, value, p_buy, &err);
    /* a network whose value of a customer is not finite says so (CLV_ENUMERIC);
     * anything it returns is finite */
    FUZZ_CHECK(st == CLV_OK || (st == CLV_ENUMERIC && err.code == st && err.msg[0]),
               "clv_ltv_model_predict: status %d: %s", st, err.msg);
    for (size_t i = 0; st == CLV_OK && i < N_OBS; i++)
        FUZZ_CHECK(isfinite(value[i]), "clv_ltv_model_predict: value %zu is %g with status CLV_OK", i, value[i]);

    /* a reader record writes as text that reads back as the same record */
    const clv_ltv_config *c = clv_ltv_model_config(lm);
    static char text[CLV_MLP_TEXT_MAX];
    st = clv_ltv_config_text(c, text, sizeof text, &err);
    FUZZ_CHECK(st == CLV_OK, "clv_ltv_config_text of a loaded record: %s", err.msg);
    static clv_ltv_config back;
    back = *c;
    st = clv_ltv_config_read_text(text, "text", &back, &err);
    FUZZ_CHECK(st == CLV_OK && back.reader_recorded == c->reader_recorded &&
                   memcmp(&back.reader, &c->reader, sizeof back.reader) == 0,
               "the reader record does not read back as itself (%s)", st == CLV_OK ? "other values" : err.msg);

    /* the log read as predict-ltv reads it: with the record's reader when
     * there is one (which may not suit this log), else its own */
    clv_txlog_opts ro;
    int unit;
    clv_ltv_config_reader(c, &ro, &unit);
    if (!c->reader_recorded)
        ro.quantity_column = 3, ro.amount_column = 4;
    clv_rfm_table *t = NULL;
    double *v = NULL, *p = NULL, *b = NULL;
    st = clv_ltv_predict_log(log_path, &ro, clv_date_from_ymd(1997, 6, 30), unit, lm, 1, NULL, &t, &v, &p, &b,
                             &err);
    if (st != CLV_OK) {
        FUZZ_CHECK(!v && !p && !b, "predictions left allocated after a failure");
        FUZZ_CHECK(st == err.code && err.msg[0] &&
                       (st == CLV_EINPUT || st == CLV_ENOMEM || st == CLV_ENUMERIC),
                   "clv_ltv_predict_log: status %d: %s", st, err.msg);
    } else {
        FUZZ_CHECK(t && (c->reader_recorded || t->n == 16), "a table of the log's 16 customers");
    }
    clv_rfm_free(t);
    free(v), free(p), free(b);
    clv_ltv_model_free(lm);
}

static void load(const uint8_t *data, size_t size)
{
    fuzz_write(in_path, data, size);
    network(data, size);
    ltv_model();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_binary_file(load, data, size);
    return 0;
}
