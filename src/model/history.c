/* history.c - one customer's transaction days, read from a log again with the reader's scanner. */
#include <stdlib.h>
#include <string.h>

#include "clvsim/btyd.h"
#include "txlog_internal.h"

typedef struct {
    const char *id;
    size_t id_len;
    int32_t last;       /* days after it are not kept */
    int32_t *days;
    size_t n, cap;
    int32_t last_day;   /* the customer's latest row so far (any date), for the order check */
    long last_line;
    int seen;
    const char *path;
    clv_error *err;
} days_ctx;

static int on_row(void *ctx, const char *id, size_t id_len, int32_t day, double spend, long line, int32_t *prev_day,
                  long *prev_line)
{
    (void)spend;
    days_ctx *c = ctx;
    if (id_len != c->id_len || memcmp(id, c->id, id_len) != 0)
        return 0;
    /* the reader's rule: a customer's rows in date order (clv_rfm_read's on_row) */
    if (c->seen && day < c->last_day) {
        *prev_day = c->last_day;
        *prev_line = c->last_line;
        return -1;
    }
    const int new_day = !c->seen || day != c->last_day;
    c->seen = 1;
    c->last_day = day;
    c->last_line = line;
    if (!new_day || day > c->last)
        return 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        int32_t *d = realloc(c->days, cap * sizeof *d);
        if (!d)
            return clv_error_set(c->err, CLV_ENOMEM, c->path, 0, NULL, "out of memory");
        c->days = d;
        c->cap = cap;
    }
    c->days[c->n++] = day;
    return 0;
}

int clv_txlog_customer_days(const char *path, const clv_txlog_opts *opts, const char *id, int32_t last,
                            const clv_progress *progress, int32_t **days, size_t *n, clv_error *err)
{
    *days = NULL;
    *n = 0;
    clv_txlog_opts defaults;
    if (!opts) {
        clv_txlog_opts_default(&defaults);
        opts = &defaults;
    }
    days_ctx c = {.id = id, .id_len = strlen(id), .last = last, .path = path, .err = err};
    clv_txlog_stats st;
    int status = clv__txlog_scan(path, opts, progress, on_row, &c, &st, err);
    if (status != CLV_OK) {
        free(c.days);
        return status;
    }
    *days = c.days;
    *n = c.n;
    return CLV_OK;
}

int clv_btyd_palive_history(const clv_btyd *m, const int32_t *days, size_t n, int32_t from, int32_t last,
                            double unit_days, double *palive, clv_rfm *summary)
{
    if (n == 0 || from < days[0] || last < from)
        return -1;
    size_t k = 0; /* transaction days up to d: days[0..k] */
    for (int32_t d = from; d <= last; d++) {
        while (k + 1 < n && days[k + 1] <= d)
            k++;
        clv_rfm r;
        memset(&r, 0, sizeof r);
        r.x = (double)k;
        r.t_x = k ? (double)(days[k] - days[0]) / unit_days : 0;
        r.T = (double)(d - days[0]) / unit_days;
        r.first_day = days[0];
        const size_t i = (size_t)(d - from);
        palive[i] = clv_btyd_palive(m, r.x, r.t_x, r.T);
        if (summary)
            summary[i] = r;
    }
    return 0;
}
