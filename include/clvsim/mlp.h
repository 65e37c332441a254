/* clvsim/mlp.h - the multilayer perceptron of the neural LTV predictor: layers, losses, gradients, Adam.
 *
 * A network maps n_in inputs through dense hidden layers (ReLU or tanh) to
 * n_out linear outputs.  Its parameters are one vector: for each layer in
 * order, the weights W (outputs x inputs, row-major) and then the biases.
 * Forward and backward passes are one matrix product per layer per
 * direction over a batch, in single precision (CLV_MLP_F32, the product's
 * speed) or double precision (CLV_MLP_F64, for gradient checks).  The
 * products are clvsim's own (src/model/gemm.c), not a BLAS call: each
 * element is a chain of fused multiply-adds in a fixed order, vectorised
 * across independent elements, so a network's bits do not depend on the
 * processor's vector units (SSE2, AVX2, AVX-512) or on any thread count;
 * the passes run on the calling thread.  Inputs,
 * outputs, targets and parameters cross the API in double.  Every buffer is
 * allocated by clv_mlp_alloc for batches of up to max_batch rows: the
 * passes and the optimiser steps never allocate.
 *
 * Losses (scenario.h's clv_loss), as means over a batch:
 * - CLV_LOSS_MSE: (out[0] - y)^2;
 * - CLV_LOSS_BCE: the binary cross-entropy of out[0] as a logit against a
 *   0/1 target (logistic regression, with no hidden layer);
 * - CLV_LOSS_ZILN: the zero-inflated lognormal of Wang, Liu and Miao (2019),
 *   from three outputs (logit of P(y > 0), mu, and sigma through softplus):
 *   -log(1 - p) for y = 0, and -log p - log LN(y; mu, sigma) for y > 0;
 *   its prediction is p exp(mu + sigma^2 / 2) (clv_ziln_mean).
 *
 * Adam (Kingma and Ba 2015) with bias correction and decoupled weight decay
 * (Loshchilov and Hutter 2019): p -= lr (m_hat / (sqrt(v_hat) + eps) + wd p).
 *
 * Training (clv_mlp_train): mini-batches in an order drawn per epoch,
 * a validation split with early stopping, a constant or cosine learning
 * rate; inputs standardised with statistics of the training rows
 * (clv_standardize_fit), kept with the network in its file (clv_mlp_save).
 *
 * The predictor's features and data are in clvsim/ltv.h.
 */
#ifndef CLVSIM_MLP_H
#define CLVSIM_MLP_H

#include <stddef.h>
#include <stdint.h>

#include "clvsim/error.h"
#include "clvsim/progress.h"
#include "clvsim/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CLV_MLP_F32 = 0, CLV_MLP_F64 = 1 } clv_mlp_precision;

typedef struct clv_mlp_spec {
    int n_in;
    int hidden[CLV_MAX_LAYERS];   /* widths of the hidden layers */
    int n_hidden;                 /* 0: a linear model */
    int n_out;                    /* 1 for CLV_LOSS_MSE, 3 for CLV_LOSS_ZILN */
    int activation;               /* clv_activation of scenario.h */
    int precision;                /* clv_mlp_precision */
    size_t max_batch;             /* the most rows of one pass */
} clv_mlp_spec;

typedef struct clv_mlp clv_mlp;

/* Allocate a network and all its buffers; parameters 0 until clv_mlp_init.
 * CLV_EINPUT for sizes out of range (err names which), CLV_ENOMEM. */
clv_mlp *clv_mlp_alloc(const clv_mlp_spec *spec, clv_error *err);
void clv_mlp_free(clv_mlp *m);
const clv_mlp_spec *clv_mlp_spec_of(const clv_mlp *m);
size_t clv_mlp_n_params(const clv_mlp *m);

/* Weights uniform in +-sqrt(6 / fan_in) (ReLU, He et al. 2015) or
 * +-sqrt(6 / (fan_in + fan_out)) (tanh, Glorot and Bengio 2010), biases 0,
 * drawn from the stream (seed, CLV_STREAM_LTV, 0, layer); Adam's moments
 * and step count reset. */
void clv_mlp_init(clv_mlp *m, uint64_t seed);
/* The same initialisation from the streams (seed, purpose, replication,
 * layer): a network of another use keys its own purpose (clvsim/streams.h).
 * clv_mlp_init is this with CLV_STREAM_LTV and CLV_LTV_INIT_REP. */
void clv_mlp_init_stream(clv_mlp *m, uint64_t seed, uint32_t purpose, uint64_t replication);

void clv_mlp_get_params(const clv_mlp *m, double *p);
void clv_mlp_set_params(clv_mlp *m, const double *p);

/* The outputs of n rows of inputs X (n x n_in) into out (n x n_out), both
 * row-major; n <= max_batch. */
int clv_mlp_forward(clv_mlp *m, const double *X, size_t n, double *out, clv_error *err);

/* The mean loss of a batch and its gradient with respect to the parameters,
 * kept for clv_mlp_adam_step and copied into grad when it is not NULL
 * (clv_mlp_n_params doubles).  y: n targets.  Returns the loss, or NaN
 * (with err) for an unknown loss, a size error, or a ZILN target below 0. */
double clv_mlp_loss_grad(clv_mlp *m, int loss, const double *X, const double *y, size_t n, double *grad,
                         clv_error *err);

/* The gradient with respect to the parameters of sum_ij dout[i][j] x
 * out[i][j] over the n rows of the last clv_mlp_forward (n x n_out; the
 * caller's own loss: dout is its gradient with respect to the outputs),
 * kept for clv_mlp_adam_step and copied into grad when it is not NULL.
 * CLV_EINPUT when the last pass was not a clv_mlp_forward of n rows (a
 * loss or another call came between) or dropout is set (the forward pass
 * applies none). */
int clv_mlp_backward(clv_mlp *m, const double *dout, size_t n, double *grad, clv_error *err);

/* Dropout (Srivastava et al. 2014) on the hidden units while a gradient is
 * computed (clv_mlp_loss_grad, so in training): each unit is kept with
 * probability 1 - rate and scaled by 1 / (1 - rate); forward passes and
 * clv_mlp_loss use every unit.  The masks are drawn from (seed,
 * CLV_STREAM_LTV, clv_rep_ltv_dropout(Adam's step count), layer)
 * (clvsim/streams.h), so a training is reproducible and the gradients
 * between two steps see one mask.
 * CLV_EINPUT for a rate outside [0, 1). */
int clv_mlp_set_dropout(clv_mlp *m, double rate, uint64_t seed, clv_error *err);

typedef struct clv_adam {
    double lr;              /* step size */
    double beta1, beta2;    /* moment decays, in [0, 1) */
    double eps;
    double weight_decay;    /* decoupled, per unit step size */
} clv_adam;

/* lr 1e-3, betas 0.9 and 0.999, eps 1e-8, no weight decay. */
void clv_adam_default(clv_adam *a);

/* One Adam step with the gradient of the last clv_mlp_loss_grad. */
void clv_mlp_adam_step(clv_mlp *m, const clv_adam *a);

/* The ZILN loss of one example from the outputs (logit, mu, s) with
 * sigma = softplus(s), and its gradient with respect to them into g (may
 * be NULL); and the prediction p exp(mu + sigma^2 / 2). */
double clv_ziln_loss(double logit, double mu, double s, double y, double g[3]);
double clv_ziln_mean(double logit, double mu, double s);
/* The same mean with sigma cut to sigma_max when sigma_max > 0 (0: no
 * bound, clv_ziln_mean).  The LTV predictor bounds sigma by the sd of the
 * log of its positive training labels (clv_ltv_config's sigma_max): by the
 * law of total variance the mean over customers of the conditional
 * variance of log y, E[sigma(x)^2], is at most the marginal Var(log y), so
 * a sigma above the marginal sd is one the labels do not support, and the
 * factor exp(sigma^2 / 2) it enters the mean through is where the ZILN
 * mean blows up. */
double clv_ziln_mean_bounded(double logit, double mu, double s, double sigma_max);

/* The mean loss of n rows (any n; in batches of max_batch), without a
 * gradient; NaN with err as clv_mlp_loss_grad. */
double clv_mlp_loss(clv_mlp *m, int loss, const double *X, const double *y, size_t n, clv_error *err);

/* ---- training ---- */

typedef struct clv_mlp_train_opts {
    int loss;                   /* clv_loss */
    int epochs;                 /* the most passes over the training rows */
    size_t batch;               /* rows per step, <= the network's max_batch */
    clv_adam adam;              /* its lr is the peak of the schedule */
    int schedule;               /* clv_lr_schedule: constant, or cosine from lr to 0 over epochs */
    double validation_fraction; /* rows held out for early stopping, [0, 0.9]; 0: none */
    int patience;               /* epochs without a better validation loss before stopping */
    uint64_t seed;              /* the split (CLV_STREAM_SPLIT) and each epoch's order (CLV_STREAM_LTV) */
    /* validation rows of the caller's own (e.g. split before standardising
     * on the training rows): then every one of the n rows trains and
     * validation_fraction is not used; NULL: split inside */
    const double *X_val, *y_val;
    size_t n_val;
    const clv_progress *progress; /* phase "training the LTV network", done = epochs; its cancelled is
                                   * polled after every mini-batch */
} clv_mlp_train_opts;

/* loss ZILN, 50 epochs, batch 256, Adam defaults, constant schedule,
 * validation 0.2, patience 5, seed 1, no progress. */
void clv_mlp_train_opts_default(clv_mlp_train_opts *o);

typedef struct clv_mlp_history {
    int epochs;                 /* run */
    int best_epoch;             /* 1-based: the parameters kept (the last epoch without validation) */
    double *train_loss;         /* per epoch, mean over its steps (allocated; clv_mlp_history_free) */
    double *val_loss;           /* per epoch; NULL without validation */
    size_t n_train, n_val;
} clv_mlp_history;

/* Train m (initialised by the caller) on n rows X (n x n_in) and targets y.
 * With a validation split the parameters of the epoch of lowest
 * validation loss are kept.  Results are the same for a seed on every
 * processor (a test trains on every kernel variant of the matrix product
 * the processor runs and compares the parameters bit for bit).  Allocates
 * its buffers once.  CLV_EINPUT for bad options or targets, CLV_ENUMERIC
 * when a training or validation loss is not finite (training diverged),
 * CLV_ECANCELLED, CLV_ENOMEM. */
int clv_mlp_train(clv_mlp *m, const double *X, const double *y, size_t n, const clv_mlp_train_opts *o,
                  clv_mlp_history *h, clv_error *err);
void clv_mlp_history_free(clv_mlp_history *h);

/* ---- standardisation ---- */

/* A column whose standard deviation is at most this share of its mean's
 * magnitude has no spread for clv_standardize_fit. */
#define CLV_STANDARDIZE_MIN_REL 1e-6

/* The mean and standard deviation (n - 1) of each of k columns of X
 * (n x k) over the rows rows[0..n_rows) (NULL: all n).  A column with no
 * spread - a standard deviation of 0, or at most CLV_STANDARDIZE_MIN_REL x
 * |mean| (the rounding noise of computing a constant, such as a BTYD
 * P(alive) of 1 - 1e-9 for every customer) - gets sd 1, so that it becomes
 * x - mean: 0 on the rows it was fitted on, and no more than the raw
 * difference elsewhere, rather than NaN or that difference blown up by a
 * tiny sd.  Its mean is kept.  A column with a non-finite value gets a
 * non-finite mean (check the inputs first). */
void clv_standardize_fit(const double *X, size_t n, size_t k, const size_t *rows, size_t n_rows, double *mean,
                         double *sd);
/* X[i][j] = (X[i][j] - mean[j]) / sd[j] in place. */
void clv_standardize_apply(double *X, size_t n, size_t k, const double *mean, const double *sd);

/* ---- files ---- */

enum { CLV_MLP_META = 64, CLV_MLP_TEXT_MAX = 4096 };

/* Save the network with its loss, the standardisation of its inputs (n_in
 * means and sds), CLV_MLP_META numbers of configuration that its user
 * defines (meta; NULL: zeros) and a text of its user's (text: NULL or "",
 * none; else a string of fewer than CLV_MLP_TEXT_MAX bytes, kept as it is;
 * train-ltv's is clv_ltv_config_text's): a versioned binary file (magic
 * "CLVMLP04", the spec, the loss, the configuration, the text's length and
 * bytes, the statistics, the parameters in double, a CRC-32 of everything
 * after the magic), written atomically.  A mean, sd
 * or parameter that is not finite, or an sd that is not above 0, is
 * CLV_ENUMERIC and nothing is written (clv_mlp_load would refuse the
 * file); a text of CLV_MLP_TEXT_MAX bytes or more is CLV_EINPUT. */
int clv_mlp_save(const clv_mlp *m, int loss, const double *mean, const double *sd, const double *meta,
                 const char *text, const char *path, clv_error *err);
/* Load a network saved by clv_mlp_save, for batches of up to max_batch
 * rows, in the precision it was saved in; *mean and *sd are allocated
 * (free them); meta (may be NULL) receives the configuration and text (may
 * be NULL; else CLV_MLP_TEXT_MAX bytes) the text, both the caller's to
 * check (clv_ltv_config_unpack and clv_ltv_config_read_text for
 * train-ltv's).  A file of version 03 (no text) is read with the text "",
 * one of version 02 (clvsim 0.1, 16 numbers of configuration) also with
 * the numbers past its 16 set to 0.  Refused with
 * CLV_EINPUT, err naming the file and saying what is wrong and what is
 * accepted: a path that is not a regular file (a directory or FIFO without
 * blocking); a file that is not a network or of another version; a text
 * longer than the file or than CLV_MLP_TEXT_MAX - 1 bytes, or with a NUL
 * byte; a spec
 * outside clv_mlp_alloc's limits, an unknown activation, precision or loss,
 * a loss that does not match the outputs (ZILN 3, MSE and BCE 1), a
 * non-zero width past the hidden layers; a length other than the one the
 * spec gives (checked against the file's length before anything is
 * allocated); a checksum mismatch; and, after the checksum, a non-finite
 * standardisation mean, a standardisation sd that is not finite and > 0,
 * or a parameter that is not finite (for CLV_MLP_F32, not within a
 * float's range).  CLV_EIO when it cannot be opened or read, CLV_ENOMEM;
 * clv_mlp_alloc's CLV_EINPUT for a bad max_batch.  The buffers take about
 * max_batch x (the inputs + 3 x the hidden widths + 2 x the widest layer)
 * elements, as clv_mlp_alloc's. */
clv_mlp *clv_mlp_load(const char *path, size_t max_batch, int *loss, double **mean, double **sd, double *meta,
                      char *text, clv_error *err);

#ifdef __cplusplus
}
#endif
#endif
