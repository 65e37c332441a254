/* test_ltv_splits.c - train-ltv's split file, folds, cross-validation, search and their record in the network file. */
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clvsim/clvsim.h"
#include "harness.h"

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    CHECK(fp != NULL);
    if (fp) {
        fputs(text, fp);
        fclose(fp);
    }
}

/* FNV-1a 64 as the reader's documentation states it, written again here */
static uint64_t fnv(const char *id, char part)
{
    uint64_t h = 14695981039346656037ULL;
    for (const char *c = id;; c++) {
        h = (h ^ (unsigned char)*c) * 1099511628211ULL;
        if (!*c)
            break;
    }
    return (h ^ (unsigned char)part) * 1099511628211ULL;
}

/* a cohort of 30 ids c00..c29 */
static const char *const *cohort(void)
{
    static char buf[30][16];
    static const char *ids[30];
    for (int i = 0; i < 30; i++)
        snprintf(buf[i], sizeof buf[i], "c%02d", i), ids[i] = buf[i];
    return ids;
}

/* the file's parts land on the listed customers; counts, unlisted, unknown
 * and the hash (by hand), which does not depend on the lines' order */
TEST(test_ltv_split_read_file)
{
    char dir[] = "/tmp/clvsim-split-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char p1[64], p2[64];
    snprintf(p1, sizeof p1, "%s/a.csv", dir);
    snprintf(p2, sizeof p2, "%s/b.csv", dir);
    /* c00..c14 train, c15..c17 validation, c18..c27 test, c28 c29 unlisted; x1 and x2 not in the cohort;
     * one id quoted, CRLF endings, an empty line */
    char text[4096], rev[4096];
    size_t k = (size_t)snprintf(text, sizeof text, "customer_id,split\r\n");
    const char *lines[32];
    char lbuf[32][32];
    int nl = 0;
    for (int i = 0; i < 28; i++) {
        snprintf(lbuf[nl], sizeof lbuf[nl], i == 3 ? "\"c%02d\",%s\r\n" : "c%02d,%s\r\n", i,
                 i < 15 ? "train" : i < 18 ? "validation" : "test");
        lines[nl] = lbuf[nl], nl++;
    }
    lines[nl++] = "x1,test\r\n";
    lines[nl++] = "\r\n";
    lines[nl++] = "x2,train\n";
    for (int i = 0; i < nl; i++)
        k += (size_t)snprintf(text + k, sizeof text - k, "%s", lines[i]);
    write_text(p1, text);
    k = (size_t)snprintf(rev, sizeof rev, "customer_id,split\n");
    for (int i = nl - 1; i >= 0; i--)
        k += (size_t)snprintf(rev + k, sizeof rev - k, "%s", lines[i]);
    write_text(p2, rev);
    const char *const *ids = cohort();
    int split[30];
    clv_ltv_split_record r, r2;
    clv_error err;
    CHECK_INT(clv_ltv_split_read(p1, ids, 30, split, &r, &err), CLV_OK);
    uint64_t hash = 0;
    int ok = 1;
    for (int i = 0; i < 30; i++) {
        const int want = i < 15 ? CLV_LTV_PART_TRAIN : i < 18 ? CLV_LTV_PART_VALIDATION : i < 28 ? CLV_LTV_PART_TEST
                                                                                               : CLV_LTV_PART_OUT;
        ok &= split[i] == want;
        if (i < 28)
            hash += fnv(ids[i], i < 15 ? 't' : i < 18 ? 'v' : 'e');
    }
    CHECK(ok);
    CHECK_INT(r.kind, CLV_LTV_SPLIT_FILE);
    CHECK(r.n_train == 15 && r.n_val == 3 && r.n_test == 10 && r.unlisted == 2 && r.unknown == 2);
    CHECK(r.hash == hash);
    CHECK_INT(clv_ltv_split_read(p2, ids, 30, split, &r2, &err), CLV_OK);
    CHECK(r2.hash == hash && r2.n_test == 10);
    /* another assignment, another hash */
    write_text(p1, "customer_id,split\nc00,validation\nc01,train\n"
                   "c18,test\nc19,test\nc20,test\nc21,test\nc22,test\nc23,test\nc24,test\nc25,test\nc26,test\nc27,"
                   "test\n");
    CHECK_INT(clv_ltv_split_read(p1, ids, 30, split, &r2, &err), CLV_OK);
    CHECK(r2.hash != hash && r2.n_train == 1 && r2.n_val == 1 && r2.unlisted == 18);
    unlink(p1), unlink(p2), rmdir(dir);
}

/* bad split files: file, line, field and what is accepted */
TEST(test_ltv_split_read_errors)
{
    char dir[] = "/tmp/clvsim-splitbad-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[64];
    snprintf(path, sizeof path, "%s/s.csv", dir);
    static const char tests10[] = "c18,test\nc19,test\nc20,test\nc21,test\nc22,test\nc23,test\nc24,test\nc25,test\n"
                                  "c26,test\nc27,test\n";
    const struct {
        const char *head, *body;
        int line;
        const char *field, *msg;
    } bad[] = {
        {"", "", 1, "header", "the file is empty; expected the header customer_id,split and a line per customer"},
        {"id,part\n", "", 1, "header", "the first line is \"id,part\"; expected the header customer_id,split"},
        {"c00,train\n", "", 1, "header", "the first line is \"c00,train\"; expected the header customer_id,split"},
        {"customer_id,split\nc00,train\nc01,Train\n", "", 3, "split",
         "\"Train\"; expected train, validation or test"},
        {"customer_id,split\nc00,train\nc01,test,x\n", "", 3, "split",
         "\"test,x\": more than two fields; expected customer_id,split"},
        {"customer_id,split\nc00\n", "", 2, "split", "one field; expected two: customer_id,split"},
        {"customer_id,split\n,train\n", "", 2, "customer_id",
         "an empty id; expected the customer's id as the transaction log writes it"},
        {"customer_id,split\n\"c00,train\n", "", 2, "customer_id",
         "a stray or unclosed double quote; expected an id as it is or in double quotes (RFC 4180)"},
        {"customer_id,split\nc00,train\nc01,validation\nc00,test\n", "", 4, "customer_id",
         "customer c00 is listed twice (lines 2 and 4); expected each customer once"},
        {"customer_id,split\nc01,validation\n", tests10, 0, "split",
         "0 train customers of the cohort (of 11 listed lines, 0 not in the cohort); expected at least 1"},
        {"customer_id,split\nc00,train\nx,validation\n", tests10, 0, "split",
         "0 validation customers of the cohort (of 12 listed lines, 1 not in the cohort); expected at least 1"},
        {"customer_id,split\nc00,train\nc01,validation\nc18,test\n", "", 0, "split",
         "1 test customer of the cohort (of 3 listed lines, 0 not in the cohort); expected at least 10"},
    };
    const char *const *ids = cohort();
    int split[30];
    clv_ltv_split_record r;
    clv_error err;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[1024];
        snprintf(text, sizeof text, "%s%s", bad[i].head, bad[i].body);
        write_text(path, text);
        CHECK_INT(clv_ltv_split_read(path, ids, 30, split, &r, &err), CLV_EINPUT);
        CHECK_STR(err.file, path);
        CHECK_INT(err.line, bad[i].line);
        CHECK_STR(err.field, bad[i].field);
        CHECK_STR(err.msg, bad[i].msg);
    }
    unlink(path);
    CHECK_INT(clv_ltv_split_read(path, ids, 30, split, &r, &err), CLV_EIO);
    CHECK_STR(err.file, path);
    rmdir(dir);
}

/* the folds are a partition: every row in one fold of [0, k), sizes within 1,
 * the order's position modulo k; keyed by the seed */
TEST(test_ltv_folds_partition)
{
    const size_t n = 103;
    int fold[103], fold2[103];
    size_t order[103];
    clv_error err;
    for (int k = 2; k <= 20; k += 3) {
        CHECK_INT(clv_ltv_folds(n, k, 7, fold, order, &err), CLV_OK);
        size_t size[20] = {0}, seen[103] = {0};
        int ok = 1;
        for (size_t i = 0; i < n; i++) {
            ok &= fold[i] >= 0 && fold[i] < k;
            if (fold[i] >= 0 && fold[i] < k)
                size[fold[i]]++;
        }
        for (size_t q = 0; q < n; q++) {
            ok &= order[q] < n && fold[order[q]] == (int)(q % (size_t)k);
            if (order[q] < n)
                seen[order[q]]++;
        }
        size_t lo = n, hi = 0, total = 0;
        for (int j = 0; j < k; j++)
            lo = size[j] < lo ? size[j] : lo, hi = size[j] > hi ? size[j] : hi, total += size[j];
        for (size_t i = 0; i < n; i++)
            ok &= seen[i] == 1;
        CHECK(ok);
        CHECK(total == n && hi - lo <= 1);
    }
    CHECK_INT(clv_ltv_folds(n, 5, 7, fold2, NULL, &err), CLV_OK);
    CHECK_INT(clv_ltv_folds(n, 5, 7, fold, NULL, &err), CLV_OK);
    CHECK(memcmp(fold, fold2, sizeof fold) == 0);
    CHECK_INT(clv_ltv_folds(n, 5, 8, fold2, NULL, &err), CLV_OK);
    CHECK(memcmp(fold, fold2, sizeof fold) != 0);
    CHECK_INT(clv_ltv_folds(n, 1, 7, fold, NULL, &err), CLV_EINPUT);
    CHECK_STR(err.field, "ltv.folds");
    CHECK_INT(clv_ltv_folds(4, 5, 7, fold, NULL, &err), CLV_EINPUT);
}

/* the mean and sample sd of the folds' metrics, by hand; a NaN stays */
TEST(test_ltv_cv_summarise)
{
    clv_ltv_cv cv;
    memset(&cv, 0, sizeof cv);
    cv.folds = 4;
    const double g[4] = {0.5, 0.7, 0.6, 0.8};
    for (int k = 0; k < 4; k++)
        for (int a = 0; a < 2; a++)
            for (int j = 0; j < CLV_LTV_CV_METRICS; j++)
                cv.m[k][a][j] = g[k] * (1 + j) + a;
    cv.m[2][1][CLV_LTV_CV_LIFT] = NAN;
    clv_ltv_cv_summarise(&cv);
    /* mean 0.65; deviations -0.15 0.05 -0.05 0.15: squares 0.05 / 3 */
    CHECK_NEAR(cv.mean[0][CLV_LTV_CV_GINI], 0.65, 1e-15);
    CHECK_NEAR(cv.sd[0][CLV_LTV_CV_GINI], sqrt(0.05 / 3), 1e-15);
    CHECK_NEAR(cv.mean[1][CLV_LTV_CV_RMSE], 0.65 * 3 + 1, 1e-14);
    CHECK_NEAR(cv.sd[1][CLV_LTV_CV_RMSE], 3 * sqrt(0.05 / 3), 1e-14);
    CHECK(isnan(cv.mean[1][CLV_LTV_CV_LIFT]) && isnan(cv.sd[1][CLV_LTV_CV_LIFT]));
    CHECK_NEAR(cv.mean[0][CLV_LTV_CV_LIFT], 0.65 * 5, 1e-14);
    CHECK_STR(clv_ltv_cv_metric_name(CLV_LTV_CV_GINI), "normalised_gini");
    CHECK(clv_ltv_cv_metric_name(CLV_LTV_CV_METRICS) == NULL);
}

static int same_record(const clv_ltv_split_record *a, const clv_ltv_split_record *b)
{
    int ok = a->kind == b->kind && a->holdout_fraction == b->holdout_fraction && a->hash == b->hash &&
             a->n_train == b->n_train && a->n_val == b->n_val && a->n_test == b->n_test &&
             a->unlisted == b->unlisted && a->unknown == b->unknown && a->folds == b->folds &&
             a->search == b->search && a->trials == b->trials && a->cv_score == b->cv_score &&
             a->cv_sd == b->cv_sd && a->loss == b->loss && a->n_hidden == b->n_hidden &&
             a->learning_rate == b->learning_rate && a->weight_decay == b->weight_decay && a->dropout == b->dropout;
    for (int k = 0; k < CLV_MAX_LAYERS; k++)
        ok &= a->hidden[k] == b->hidden[k];
    return ok;
}

/* the split record and the chosen configuration round-trip through the
 * meta numbers and a network file; zeros are a file from before; bad ones */
TEST(test_ltv_split_meta_roundtrip)
{
    clv_ltv_config c = {273, 0, 0.1, 0.3, {30, 90, 365, 4}, 1, CLV_MODEL_BGNBD, 1547.25, 18856, 0, 0, {0}, {0}, 0, {.unit = 0}};
    clv_ltv_split_record *r = &c.split;
    r->kind = CLV_LTV_SPLIT_FILE, r->hash = 0xdeadbeefcafef00dULL;
    r->n_train = 14000, r->n_val = 4856, r->n_test = 4714, r->unlisted = 3, r->unknown = 2;
    r->folds = 5, r->search = CLV_LTV_SEARCH_RANDOM, r->trials = 12, r->cv_score = 0.7143, r->cv_sd = 0.0128;
    r->loss = CLV_LOSS_MSE, r->n_hidden = 3, r->hidden[0] = 64, r->hidden[1] = 32, r->hidden[2] = 1;
    r->learning_rate = 0.003, r->weight_decay = 1e-4, r->dropout = 0.1;
    double meta[CLV_MLP_META];
    clv_ltv_config_pack(&c, meta);
    CHECK(meta[0] == 1 && meta[13] == 2 && meta[15] == 0xdeadbeef && meta[16] == 0xcafef00d);
    for (int k = 48; k < CLV_MLP_META; k++)
        CHECK(meta[k] == 0);
    clv_ltv_config back;
    clv_error err;
    CHECK_INT(clv_ltv_config_unpack(meta, &back, &err), CLV_OK);
    CHECK(same_record(&back.split, r));
    /* through a file */
    char dir[] = "/tmp/clvsim-splitmeta-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[64];
    snprintf(path, sizeof path, "%s/ltv.mlp", dir);
    const clv_mlp_spec spec = {CLV_LTV_FEATURES, {4}, 1, 1, CLV_ACT_RELU, CLV_MLP_F32, 16};
    clv_mlp *m = clv_mlp_alloc(&spec, &err);
    CHECK(m != NULL);
    double mean[CLV_LTV_FEATURES], sd[CLV_LTV_FEATURES];
    for (int j = 0; j < CLV_LTV_FEATURES; j++)
        mean[j] = 0, sd[j] = 1;
    clv_mlp_init(m, 3);
    CHECK_INT(clv_mlp_save(m, CLV_LOSS_MSE, mean, sd, meta, NULL, path, &err), CLV_OK);
    clv_mlp_free(m);
    clv_ltv_model *lm = clv_ltv_model_load(path, 8, NULL, &err);
    CHECK(lm != NULL);
    if (lm)
        CHECK(same_record(&clv_ltv_model_config(lm)->split, r));
    clv_ltv_model_free(lm);
    unlink(path), rmdir(dir);
    /* a keyed split */
    memset(r, 0, sizeof *r);
    r->kind = CLV_LTV_SPLIT_KEYED, r->holdout_fraction = 0.2, r->n_train = 10, r->loss = CLV_LOSS_ZILN;
    r->n_hidden = 1, r->hidden[0] = 8, r->learning_rate = 1e-3;
    clv_ltv_config_pack(&c, meta);
    CHECK_INT(clv_ltv_config_unpack(meta, &back, &err), CLV_OK);
    CHECK(same_record(&back.split, r));
    /* kind 0: zeros, loads as before */
    memset(r, 0, sizeof *r);
    clv_ltv_config_pack(&c, meta);
    for (int k = 13; k < 48; k++)
        CHECK(meta[k] == 0);
    CHECK_INT(clv_ltv_config_unpack(meta, &back, &err), CLV_OK);
    CHECK_INT(back.split.kind, 0);
    /* out of range with a kind */
    r->kind = CLV_LTV_SPLIT_KEYED, r->holdout_fraction = 0.2, r->n_hidden = 1, r->hidden[0] = 8;
    r->learning_rate = 1e-3;
    const struct {
        int k;
        double v;
        const char *field;
    } bad[] = {{14, 1.5, "split"},    {15, 4294967296.0, "split"}, {17, 0.5, "split"},
               {22, 21, "ltv.folds"}, {23, 3, "ltv.search"},       {27, 2, "ltv.loss"},
               {28, -1, "ltv.learning_rate"}, {31, 0, "ltv.hidden"}, {33, 4, "split"}, {40, 1, "split"},
               {26, NAN, "split"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        clv_ltv_config_pack(&c, meta);
        meta[bad[i].k] = bad[i].v;
        CHECK_INT(clv_ltv_config_unpack(meta, &back, &err), CLV_EINPUT);
        CHECK_STR(err.field, bad[i].field);
    }
}

static int cmp_size(const void *a, const void *b)
{
    const size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* a split file on the CDNOW sample through the library: the test metrics
 * are BTYD's on exactly the file's test customers, picked here by id */
TEST(test_study_ltv_split_file)
{
    char *rel = harness_shared_data("CDNOW_sample.txt");
    char *sample = rel ? realpath(rel, NULL) : NULL;
    free(rel);
    if (!sample)
        return;
    char dir[] = "/tmp/clvsim-studysplit-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char split[64];
    snprintf(split, sizeof split, "%s/split.csv", dir);
    /* ids 0001..2357: by id modulo 10, 0..5 train, 6..7 validation, 8 test, 9 left out; and an id not there */
    FILE *fp = fopen(split, "w");
    CHECK(fp != NULL);
    if (!fp)
        return;
    fprintf(fp, "customer_id,split\n");
    for (int i = 1; i <= 2357; i++)
        if (i % 10 != 9)
            fprintf(fp, "%04d,%s\n", i, i % 10 < 6 ? "train" : i % 10 < 8 ? "validation" : "test");
    fprintf(fp, "9999,test\n");
    fclose(fp);
    const clv_scn_override ov[] = {{"data.transactions", sample, "test"},     {"data.customer_column", "2", "test"},
                                   {"data.date_column", "3", "test"},         {"data.quantity_column", "4", "test"},
                                   {"data.amount_column", "5", "test"},       {"data.calibration_end", "\"1997-09-30\"", "test"},
                                   {"data.unit", "\"week\"", "test"},         {"ltv.real_fraction", "1.0", "test"},
                                   {"ltv.horizon_days", "273", "test"},       {"ltv.epochs", "5", "test"},
                                   {"ltv.batch_size", "64", "test"},          {"ltv.folds", "3", "test"},
                                   {"output.plots", "false", "test"}};
    clv_scenario scn;
    clv_error err;
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", ov, sizeof ov / sizeof *ov, &scn, &err), CLV_OK);
    snprintf(scn.ltv.split_file, sizeof scn.ltv.split_file, "%s", split);
    clv_ltv_study s;
    const int st = clv_ltv_study_run(&scn, NULL, &s, &err);
    CHECK_INT(st, CLV_OK);
    if (st == CLV_OK) {
        /* the test customers by id, in the cohort's order */
        const clv_ltv_data *d = &s.real;
        double *b = malloc(d->n * sizeof *b), *y = malloc(d->n * sizeof *y);
        size_t nt = 0, ntr = 0, nv = 0, out = 0;
        for (size_t i = 0; i < d->n; i++) {
            const int id = atoi(d->id[i]);
            if (id % 10 == 8)
                b[nt] = d->baseline[i], y[nt++] = d->y[i];
            ntr += id % 10 < 6, nv += id % 10 == 6 || id % 10 == 7, out += id % 10 == 9;
        }
        CHECK(d->n == 2357 && nt > 200);
        CHECK_INT((int)s.ev[0].n, (int)nt);
        CHECK(s.split.kind == CLV_LTV_SPLIT_FILE && s.split.n_test == (double)nt && s.split.n_train == (double)ntr &&
              s.split.n_val == (double)nv && s.split.unlisted == (double)out && s.split.unknown == 1);
        CHECK(s.n_train == ntr && s.n_val == nv && s.n == ntr + nv);
        /* the study's test rows are exactly these customers (in its keyed order, which breaks ties) */
        size_t *mine = malloc(d->n * sizeof *mine), *its = malloc(d->n * sizeof *its), m = 0;
        for (size_t i = 0; i < d->n; i++)
            if (atoi(d->id[i]) % 10 == 8)
                mine[m++] = i;
        memcpy(its, s.tidx, nt * sizeof *its);
        qsort(its, nt, sizeof *its, cmp_size);
        CHECK(m == nt && memcmp(mine, its, nt * sizeof *its) == 0);
        for (size_t i = 0; i < nt; i++)
            b[i] = d->baseline[s.tidx[i]], y[i] = d->y[s.tidx[i]];
        free(mine), free(its);
        clv_value_metrics v;
        CHECK_INT(clv_value_metrics_of(b, y, nt, &v, &err), CLV_OK);
        CHECK(memcmp(&s.ev[0].v[1], &v, sizeof v) == 0);
        CHECK(isfinite(v.gini) && isfinite(v.rmse));
        double sum_b = 0, sum_y = 0, dec_b = 0, dec_y = 0;
        for (size_t i = 0; i < nt; i++)
            sum_b += b[i], sum_y += y[i];
        for (int q = 0; q < CLV_METRIC_DECILES; q++)
            dec_b += s.ev[0].v[1].decile_pred[q], dec_y += s.ev[0].v[1].decile_actual[q];
        CHECK(dec_b > 0 && dec_y > 0 && sum_b > 0 && sum_y > 0);
        /* the folds cover the train and validation customers */
        size_t fold_total = 0;
        for (int k = 0; k < s.cv.folds; k++)
            fold_total += s.cv.n[k];
        CHECK_INT(s.cv.folds, 3);
        CHECK(fold_total == ntr + nv);
        CHECK(s.split.cv_score == s.cv.mean[0][CLV_LTV_CV_GINI] && isfinite(s.split.cv_score));
        free(b), free(y);
    }
    clv_ltv_study_free(&s);
    /* mixing synthetic rows with a split file is refused */
    scn.ltv.real_fraction = 0.5;
    CHECK_INT(clv_ltv_study_run(&scn, NULL, &s, &err), CLV_EINPUT);
    CHECK_STR(err.field, "ltv.split_file");
    clv_ltv_study_free(&s);
    unlink(split), rmdir(dir);
    free(sample);
}

/* the search picks the trial of the best cross-validated Gini: a learning
 * rate of 1e-9 learns nothing, one of 3e-3 does */
TEST(test_study_ltv_search_picks_best)
{
    const clv_scn_override ov[] = {{"ltv.synthetic_customers", "2000", "test"}, {"ltv.epochs", "8", "test"},
                                   {"ltv.folds", "3", "test"},                  {"ltv.search", "\"grid\"", "test"},
                                   {"ltv.trials", "2", "test"},                 {"ltv.search_width", "[8]", "test"},
                                   {"ltv.search_learning_rate", "[1e-9, 3e-3]", "test"},
                                   {"ltv.search_weight_decay", "[0.0]", "test"},
                                   {"ltv.search_dropout", "[0.0]", "test"},
                                   {"ltv.search_loss", "[\"mse\"]", "test"},   {"output.plots", "false", "test"}};
    clv_scenario scn;
    clv_error err;
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", ov, sizeof ov / sizeof *ov, &scn, &err), CLV_OK);
    clv_ltv_study s;
    const int st = clv_ltv_study_run(&scn, NULL, &s, &err);
    CHECK_INT(st, CLV_OK);
    if (st == CLV_OK) {
        CHECK_INT(s.n_trials, 2);
        CHECK(s.trials[0].learning_rate == 1e-9 && s.trials[1].learning_rate == 3e-3);
        CHECK(s.trials[0].hidden[0] == 8 && s.trials[0].hidden[1] == 4 && s.trials[0].loss == CLV_LOSS_MSE);
        const double g0 = s.trial_cv[0].mean[0][CLV_LTV_CV_GINI], g1 = s.trial_cv[1].mean[0][CLV_LTV_CV_GINI];
        CHECK(g1 > g0 + 0.05);
        CHECK_INT(s.best, 1);
        CHECK(s.chosen.learning_rate == 3e-3 && s.split.learning_rate == 3e-3 && s.split.trials == 2);
        CHECK(s.split.search == CLV_LTV_SEARCH_GRID && s.split.cv_score == g1);
        CHECK(memcmp(&s.cv, &s.trial_cv[1], sizeof s.cv) == 0);
        /* BTYD is the same on every trial's folds */
        CHECK(s.trial_cv[0].mean[1][CLV_LTV_CV_GINI] == s.trial_cv[1].mean[1][CLV_LTV_CV_GINI]);
        /* the config saved with the network */
        clv_ltv_config c;
        clv_ltv_study_config(&s, &scn, &c);
        CHECK(c.split.learning_rate == 3e-3 && c.split.n_hidden == 2 && c.split.hidden[0] == 8);
    }
    clv_ltv_study_free(&s);
    /* a grid larger than the budget, a search without folds */
    scn.ltv.trials = 1;
    CHECK_INT(clv_ltv_study_run(&scn, NULL, &s, &err), CLV_EINPUT);
    CHECK_STR(err.field, "ltv.trials");
    clv_ltv_study_free(&s);
    scn.ltv.trials = 2, scn.ltv.folds = 0;
    CHECK_INT(clv_ltv_study_run(&scn, NULL, &s, &err), CLV_EINPUT);
    CHECK_STR(err.field, "ltv.search");
    clv_ltv_study_free(&s);
}

static char *read_in(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return harness_read_file(path);
}

/* folds and a random search through the CLI: the same bytes with 1 and 2
 * threads; the split file's counts printed, its warning, a bad file */
TEST(test_cli_train_ltv_cv_threads)
{
    char dir[] = "/tmp/clvsim-cvthreads-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char o1[96], o2[96];
    snprintf(o1, sizeof o1, "%s/t1", dir);
    snprintf(o2, sizeof o2, "%s/t2", dir);
    const char *set[] = {"--set", "ltv.synthetic_customers=1500", "--set", "ltv.epochs=4", "--set",
                         "output.plots=false"};
    harness_proc r = harness_run(ARGS("train-ltv", "scenarios/holiday.cfg", "-o", o1, "--quiet", "--threads", "1",
                                      "--folds", "3", "--search", "random", "--trials", "3", set[0], set[1], set[2],
                                      set[3], set[4], set[5]));
    CHECK_INT(r.status, 0);
    CHECK(r.out && strstr(r.out, "random search of 3 trials, each scored by the mean normalised Gini of 3-fold "
                                 "cross-validation (ltv_search.csv); chosen trial "));
    CHECK(r.out && strstr(r.out, "3-fold cross-validation on the "));
    harness_proc_free(&r);
    r = harness_run(ARGS("train-ltv", "scenarios/holiday.cfg", "-o", o2, "--quiet", "--threads", "2", "--folds", "3",
                         "--search", "random", "--trials", "3", set[0], set[1], set[2], set[3], set[4], set[5]));
    CHECK_INT(r.status, 0);
    harness_proc_free(&r);
    static const char *const files[] = {"ltv_cv.csv", "ltv_search.csv", "ltv_metrics.csv", "ltv_split.csv"};
    for (int k = 0; k < 4; k++) {
        char *a = read_in(o1, files[k]), *b = read_in(o2, files[k]);
        CHECK(a && b && strlen(a) > 20);
        if (a && b)
            CHECK_STR(a, b);
        free(a), free(b);
    }
    {
        char p1[128], p2[128];
        snprintf(p1, sizeof p1, "%s/ltv.mlp", o1);
        snprintf(p2, sizeof p2, "%s/ltv.mlp", o2);
        char cmd[300];
        snprintf(cmd, sizeof cmd, "cmp -s %s %s", p1, p2);
        CHECK_INT(system(cmd), 0);
    }
    char *search = read_in(o1, "ltv_search.csv");
    CHECK(search && strncmp(search, "trial,loss,hidden,learning_rate,weight_decay,dropout,folds,"
                                    "mlp_normalised_gini_mean,mlp_normalised_gini_sd,", 100) == 0);
    /* exactly one chosen trial */
    int chosen = 0;
    for (const char *c = search; c && (c = strstr(c, ",1\n")); c++)
        chosen++;
    CHECK_INT(chosen, 1);
    free(search);
    /* bad flags */
    r = harness_run(ARGS("train-ltv", "scenarios/holiday.cfg", "-o", o1, "--quiet", "--search", "bayes"));
    CHECK_INT(r.status, 2);
    harness_proc_free(&r);
    /* a split file needs real customers */
    char split[96];
    snprintf(split, sizeof split, "%s/split.csv", dir);
    write_text(split, "customer_id,split\nc1,train\n");
    r = harness_run(ARGS("train-ltv", "scenarios/holiday.cfg", "-o", o1, "--quiet", "--split", split));
    CHECK(r.status != 0);
    CHECK(r.err && strstr(r.err, "ltv.split_file: a split file assigns real customers; ltv.real_fraction is 0"));
    harness_proc_free(&r);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}

/* --split on the CDNOW sample through the CLI: counts printed and in
 * ltv_split.csv, the unknown ids' warning, a bad file's error */
TEST(test_cli_train_ltv_split)
{
    char *rel = harness_shared_data("CDNOW_sample.txt");
    char *sample = rel ? realpath(rel, NULL) : NULL;
    free(rel);
    if (!sample)
        return;
    char dir[] = "/tmp/clvsim-clisplit-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char scen[96], split[96], out[96];
    snprintf(scen, sizeof scen, "%s/real.cfg", dir);
    snprintf(split, sizeof split, "%s/split.csv", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    FILE *fp = fopen(scen, "w");
    CHECK(fp != NULL);
    if (!fp)
        return;
    fprintf(fp, "data = { transactions = \"%s\"; customer_column = 2; date_column = 3; quantity_column = 4;\n"
                "  amount_column = 5; calibration_end = \"1997-09-30\"; unit = \"week\"; };\n"
                "ltv = { real_fraction = 1.0; horizon_days = 273; epochs = 3; batch_size = 64; };\n"
                "output = { plots = false; };\n", sample);
    fclose(fp);
    fp = fopen(split, "w");
    CHECK(fp != NULL);
    if (!fp)
        return;
    fprintf(fp, "customer_id,split\n");
    for (int i = 1; i <= 2000; i++)
        fprintf(fp, "%04d,%s\n", i, i % 5 == 0 ? "test" : i % 5 == 1 ? "validation" : "train");
    fprintf(fp, "abc,train\n\"x,y\",test\n");
    fclose(fp);
    harness_proc r = harness_run(ARGS("train-ltv", scen, "-o", out, "--quiet", "--split", split));
    CHECK_INT(r.status, 0);
    char want[300];
    snprintf(want, sizeof want, "split file %s: 1200 train, 400 validation and 400 test customers; 357 customers of "
                                "the cohort not listed (left out), 2 ids of the file not in the cohort", split);
    CHECK(r.out && strstr(r.out, want));
    CHECK(r.out && strstr(r.out, "real holdout of 400 customers"));
    CHECK(r.err && strstr(r.err, "warning: 2 customer ids of the split file "));
    harness_proc_free(&r);
    char *csv = read_in(out, "ltv_split.csv");
    CHECK(csv && strstr(csv, "kind,file\n") && strstr(csv, "\ntrain,1200\nvalidation,400\ntest,400\nunlisted,357\n"
                                                                "unknown,2\n"));
    free(csv);
    csv = read_in(out, "ltv_metrics.csv");
    CHECK(csv && strstr(csv, "\nmlp,real,400,") && strstr(csv, "\nbtyd,real,400,"));
    free(csv);
    /* the network file records the split */
    char path[128];
    snprintf(path, sizeof path, "%s/ltv.mlp", out);
    clv_error err;
    clv_ltv_model *lm = clv_ltv_model_load(path, 8, NULL, &err);
    CHECK(lm != NULL);
    if (lm) {
        const clv_ltv_split_record *s = &clv_ltv_model_config(lm)->split;
        CHECK(s->kind == CLV_LTV_SPLIT_FILE && s->n_train == 1200 && s->n_val == 400 && s->n_test == 400 &&
              s->unlisted == 357 && s->unknown == 2 && s->hash != 0 && s->loss == CLV_LOSS_ZILN);
    }
    clv_ltv_model_free(lm);
    /* a bad file: its line and field */
    write_text(split, "customer_id,split\n0001,train\n0002,holdout\n");
    r = harness_run(ARGS("train-ltv", scen, "-o", out, "--quiet", "--split", split));
    CHECK_INT(r.status, 2); /* an input error */
    snprintf(want, sizeof want, "%s:3: split: \"holdout\"; expected train, validation or test", split);
    CHECK(r.err && strstr(r.err, want));
    harness_proc_free(&r);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
    free(sample);
}

/* the shipped CDNOW scenario parses, its log path resolved from scenarios/ to ../shared */
TEST(test_scenario_cdnow_ltv)
{
    clv_scenario scn;
    clv_error err;
    CHECK_INT(clv_scn_load("scenarios/cdnow-ltv.cfg", NULL, 0, &scn, &err), CLV_OK);
    const char *t = scn.data.transactions, *end = "shared/data/CDNOW_master.txt";
    CHECK(strlen(t) > strlen(end) && strcmp(t + strlen(t) - strlen(end), end) == 0);
    CHECK(scn.ltv.real_fraction == 1 && scn.ltv.horizon_days == 273 && scn.ltv.discount == 0);
    CHECK_STR(scn.data.calibration_end, "1997-09-30");
    CHECK(scn.ltv.holdout_fraction == 0.2 && scn.ltv.folds == 0 && scn.ltv.split_file[0] == 0);
    /* it trains (a few epochs) when the master file is there */
    char *master = harness_shared_data("CDNOW_master.txt");
    if (!master)
        return;
    free(master);
    char dir[] = "/tmp/clvsim-cdnowltv-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[96];
    snprintf(out, sizeof out, "%s/out", dir);
    harness_proc r = harness_run(ARGS("train-ltv", "scenarios/cdnow-ltv.cfg", "-o", out, "--quiet", "--set",
                                      "ltv.epochs=3", "--set", "output.plots=false"));
    CHECK_INT(r.status, 0);
    CHECK(r.out && strstr(r.out, "trained on 18856 customers (18856 real, 0 synthetic;") &&
          strstr(r.out, "real holdout of 4714 customers"));
    harness_proc_free(&r);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}

/* Ctrl-C in a long search stops train-ltv promptly (exit 130), writing nothing */
TEST(test_cli_train_ltv_search_interrupted)
{
    char dir[] = "/tmp/clvsim-cvstop-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[96];
    snprintf(out, sizeof out, "%s/out", dir);
    harness_job j;
    const char *const args[] = {"train-ltv", "scenarios/holiday.cfg", "-o", out, "--quiet", "--folds", "5",
                                "--search", "random", "--trials", "200", "--set", "ltv.synthetic_customers=2000",
                                "--set", "ltv.epochs=300", "--set", "ltv.patience=0", "--set", "output.plots=false",
                                NULL};
    if (harness_start(&j, args, NULL) == 0) {
        nanosleep(&(struct timespec){2, 500000000}, NULL);
        kill(j.pid, SIGINT);
        harness_proc r = harness_wait(&j, 20);
        CHECK_INT(r.status, 130);
        CHECK(r.seconds < 12);
        CHECK(r.err && (strstr(r.err, "cancelled; no results were written to ") ||
                        strstr(r.err, "stopped; no results were written to ")));
        harness_proc_free(&r);
        char path[128];
        snprintf(path, sizeof path, "%s/ltv_search.csv", out);
        CHECK(access(path, F_OK) != 0);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}
