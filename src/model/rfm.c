/* rfm.c - per-customer calibration/holdout summaries (x, t_x, T, spend) of a transaction log, and their CSV. */
#include "clvsim/txlog.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/date.h"
#include "clvsim/io.h"
#include "clvsim/progress.h"
#include "txlog_internal.h"

/* What is kept of one customer while reading: enough to merge same-day
 * rows, check date order and build the summary at the end, never the rows. */
typedef struct cust {
    uint64_t hash;
    size_t id_off;         /* the id in the arena, NUL-terminated */
    size_t id_len;
    int32_t first_day;
    int32_t last_day;      /* of the latest transaction so far, holdout or later included */
    int32_t last_cal_day;  /* of the latest calibration transaction */
    int cohort;            /* first purchase on or before the calibration end */
    long first_line;       /* the line of the first purchase, for warnings about far dates */
    long last_line;        /* a line of the latest transaction, for order errors and warnings */
    int first_year;        /* calendar year of the first purchase (the repeat counts' key) */
    long x, x_hold;
    double first_spend, spend, spend_hold;
    double cur_spend, max_spend; /* the latest calibration transaction's spend so far; the largest before it */
    int recent[3];         /* calibration transactions in the last 7, 30 and 90 days */
} cust;


typedef struct summ {
    int32_t cal_end, hold_end; /* hold_end = cal_end without a holdout */
    int has_hold;
    cust *c;
    size_t n, cap;
    uint32_t *slot;        /* open addressing, linear probing: customer index + 1, 0 = empty */
    size_t nslot;          /* a power of two, at least twice n */
    char *arena;           /* every id, back to back */
    size_t alen, acap;
    size_t last;           /* index + 1 of the previous row's customer (logs sorted by customer repeat it) */
    /* repeat transactions of the cohort by (year of the customer's first
     * purchase, day): a hash table (linear probing, key 0 = empty), so that
     * memory follows the days that have repeats, not the span between the
     * earliest and the latest date (one row dated 9999-12-31 would make a
     * dense array of three million days) */
    struct hbin { uint64_t key; long n; } *hist;
    size_t hist_cap, hist_n, hist_last;
    long later;
    clv_txlog_stats *st;
    const char *path;
    clv_error *err;
} summ;

static const int recent_days[3] = {7, 30, 90};

/* a calibration transaction on day d starts: the previous one is complete */
static void cal_transaction(const summ *s, cust *c, int32_t d, double spend)
{
    if (c->cur_spend > c->max_spend)
        c->max_spend = c->cur_spend;
    c->cur_spend = spend;
    for (int k = 0; k < 3; k++)
        c->recent[k] += d > s->cal_end - recent_days[k];
}

/* FNV-1a, then a final mix so that the low bits (the slot) depend on every byte */
static uint64_t hash_id(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static int grow_slots(summ *s)
{
    size_t ns = s->nslot ? s->nslot * 2 : 1024;
    uint32_t *sl = calloc(ns, sizeof *sl);
    if (!sl)
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        size_t j = (size_t)s->c[i].hash & (ns - 1);
        while (sl[j])
            j = (j + 1) & (ns - 1);
        sl[j] = (uint32_t)(i + 1);
    }
    free(s->slot);
    s->slot = sl;
    s->nslot = ns;
    return 0;
}

/* index of the customer with this id, added when new (*is_new = 1); -1 when out of memory */
static long find_or_add(summ *s, const char *id, size_t len, int *is_new)
{
    uint64_t h = hash_id(id, len);
    size_t mask = s->nslot - 1, j = (size_t)h & mask;
    for (; s->slot[j]; j = (j + 1) & mask) {
        const cust *c = &s->c[s->slot[j] - 1];
        if (c->hash == h && c->id_len == len && memcmp(s->arena + c->id_off, id, len) == 0) {
            *is_new = 0;
            return (long)s->slot[j] - 1;
        }
    }
    if (s->n >= 0xffffffffu - 1)
        return -1; /* slots hold 32-bit indices */
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 1024;
        cust *c = realloc(s->c, nc * sizeof *c);
        if (!c)
            return -1;
        s->c = c;
        s->cap = nc;
    }
    if (s->alen + len + 1 > s->acap) {
        size_t na = s->acap ? s->acap * 2 : 16384;
        while (na < s->alen + len + 1)
            na *= 2;
        char *a = realloc(s->arena, na);
        if (!a)
            return -1;
        s->arena = a;
        s->acap = na;
    }
    memcpy(s->arena + s->alen, id, len);
    s->arena[s->alen + len] = '\0';
    cust *c = &s->c[s->n];
    memset(c, 0, sizeof *c);
    c->hash = h;
    c->id_off = s->alen;
    c->id_len = len;
    s->alen += len + 1;
    s->slot[j] = (uint32_t)(s->n + 1);
    s->n++;
    /* keep the load at most 1/2 so that probes stay short */
    if (2 * s->n > s->nslot && grow_slots(s) != 0)
        return -1;
    *is_new = 1;
    return (long)s->n - 1;
}

/* the key of (first-purchase year, day); years are 1..9999, so never 0 */
static uint64_t hist_key(int year, int32_t d)
{
    return (uint64_t)(unsigned)year << 32 | (uint32_t)d;
}

static size_t hist_slot(uint64_t key, size_t cap)
{
    uint64_t h = key * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 32) & (cap - 1);
}

/* count a repeat transaction on day d of a cohort customer who first bought in year */
static int hist_add(summ *s, int year, int32_t d)
{
    const uint64_t key = hist_key(year, d);
    /* rows of a log sorted by date repeat the previous day */
    if (s->hist_cap && s->hist[s->hist_last].key == key) {
        s->hist[s->hist_last].n++;
        return 0;
    }
    if (2 * (s->hist_n + 1) > s->hist_cap) {
        size_t nc = s->hist_cap ? 2 * s->hist_cap : 1024;
        struct hbin *h = calloc(nc, sizeof *h);
        if (!h)
            return -1;
        for (size_t i = 0; i < s->hist_cap; i++)
            if (s->hist[i].key) {
                size_t j = hist_slot(s->hist[i].key, nc);
                while (h[j].key)
                    j = (j + 1) & (nc - 1);
                h[j] = s->hist[i];
            }
        free(s->hist);
        s->hist = h;
        s->hist_cap = nc;
    }
    size_t j = hist_slot(key, s->hist_cap);
    while (s->hist[j].key && s->hist[j].key != key)
        j = (j + 1) & (s->hist_cap - 1);
    if (!s->hist[j].key) {
        s->hist[j].key = key;
        s->hist_n++;
    }
    s->hist[j].n++;
    s->hist_last = j;
    return 0;
}

static int on_row(void *ctx, const char *id, size_t len, int32_t day, double spend, long line, int32_t *prev_day,
                  long *prev_line)
{
    summ *s = ctx;
    long i;
    int is_new = 0;
    const cust *lc = s->last ? &s->c[s->last - 1] : NULL;
    if (lc && lc->id_len == len && memcmp(s->arena + lc->id_off, id, len) == 0) {
        i = (long)s->last - 1;
    } else {
        i = find_or_add(s, id, len, &is_new);
        if (i < 0)
            return clv_error_set(s->err, CLV_ENOMEM, s->path, 0, NULL, "out of memory");
    }
    s->last = (size_t)i + 1;
    cust *c = &s->c[i];
    if (is_new) {
        s->st->customers++;
        s->st->transactions++;
        c->first_day = c->last_day = c->last_cal_day = day;
        c->first_line = c->last_line = line;
        int mo, dd;
        clv_date_to_ymd(day, &c->first_year, &mo, &dd);
        c->first_spend = spend;
        c->cohort = day <= s->cal_end;
        s->later += !c->cohort;
        if (c->cohort)
            cal_transaction(s, c, day, spend);
        return 0;
    }
    if (day < c->last_day) {
        *prev_day = c->last_day;
        *prev_line = c->last_line;
        return -1;
    }
    c->last_line = line;
    if (day == c->last_day) {
        /* another row of the same transaction: add its spend where the transaction counted */
        s->st->merged_rows++;
        if (c->cohort) {
            if (day == c->first_day)
                c->first_spend += spend;
            else if (day <= s->cal_end)
                c->spend += spend;
            else if (day <= s->hold_end)
                c->spend_hold += spend;
            if (day <= s->cal_end)
                c->cur_spend += spend;
        }
        return 0;
    }
    s->st->transactions++;
    c->last_day = day;
    if (!c->cohort)
        return 0;
    if (day <= s->cal_end) {
        c->x++;
        c->spend += spend;
        c->last_cal_day = day;
        cal_transaction(s, c, day, spend);
    } else if (day <= s->hold_end) {
        c->x_hold++;
        c->spend_hold += spend;
    }
    if ((!s->has_hold || day <= s->hold_end) && hist_add(s, c->first_year, day) != 0)
        return clv_error_set(s->err, CLV_ENOMEM, s->path, 0, NULL, "out of memory");
    return 0;
}

static void summ_free(summ *s)
{
    free(s->c);
    free(s->slot);
    free(s->arena);
    free(s->hist);
}

void clv_rfm_free(clv_rfm_table *t)
{
    if (!t)
        return;
    free(t->c);
    free((void *)t->id); /* the ids live in the same block as the pointers */
    free(t->repeat_per_day);
    free(t);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t u = *(const int32_t *)a, v = *(const int32_t *)b;
    return (u > v) - (u < v);
}

/* The bulk of the log and its far dates into s->st (see clv_txlog_stats):
 * the lower quartile of the customers' first purchase days and the upper
 * quartile of their last ones; far is more than max(3 x that span, 365
 * days) outside, rounded outward to whole years. */
static int far_dates(summ *s)
{
    clv_txlog_stats *st = s->st;
    const size_t n = s->n;
    int32_t *v = malloc(2 * n * sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < n; i++) {
        v[i] = s->c[i].first_day;
        v[n + i] = s->c[i].last_day;
    }
    qsort(v, n, sizeof *v, cmp_i32);
    qsort(v + n, n, sizeof *v, cmp_i32);
    /* nearest-rank quartiles: ranks ceil(n / 4) and ceil(3 n / 4) */
    st->bulk_first = v[(n + 3) / 4 - 1];
    st->bulk_last = v[n + (3 * n + 3) / 4 - 1];
    free(v);
    const int64_t span = (int64_t)st->bulk_last - st->bulk_first;
    const int64_t margin = 3 * span > 365 ? 3 * span : 365;
    const int64_t lo_min = clv_date_from_ymd(1, 1, 1), hi_max = clv_date_from_ymd(9999, 12, 31);
    int64_t lo = st->bulk_first - margin, hi = st->bulk_last + margin;
    int y, m, d;
    if (lo <= lo_min) {
        st->near_first = (int32_t)lo_min;
    } else {
        clv_date_to_ymd((int32_t)lo, &y, &m, &d);
        st->near_first = clv_date_from_ymd(y, 1, 1);
    }
    if (hi >= hi_max) {
        st->near_last = (int32_t)hi_max;
    } else {
        clv_date_to_ymd((int32_t)hi, &y, &m, &d);
        st->near_last = clv_date_from_ymd(y, 12, 31);
    }
    for (size_t i = 0; i < n; i++) {
        const cust *c = &s->c[i];
        if (c->first_day < st->near_first && (st->far_before++ == 0 || c->first_line < st->far_before_line)) {
            st->far_before_line = c->first_line;
            st->far_before_day = c->first_day;
        }
        if (c->last_day > st->near_last && (st->far_after++ == 0 || c->last_line < st->far_after_line)) {
            st->far_after_line = c->last_line;
            st->far_after_day = c->last_day;
        }
    }
    return 0;
}

/* the table of the cohort from the reading state */
static int build(summ *s, int unit, clv_rfm_table **out)
{
    clv_txlog_stats *st = s->st;
    if (far_dates(s) != 0)
        return clv_error_set(s->err, CLV_ENOMEM, s->path, 0, NULL, "out of memory");
    char d1[11], d2[11], d3[11], d4[11];
    /* a calibration or holdout end far after the log: its customers would
     * look long dead (T counts days without data), or the holdout would
     * have no data */
    if (s->cal_end > st->near_last || s->hold_end > st->near_last) {
        const int cal = s->cal_end > st->near_last;
        return clv_error_set(s->err, CLV_EINPUT, s->path, 0, cal ? "calibration_end" : "holdout_end",
                             "expected a %s end by %s, got %s: the bulk of the log's dates runs from %s to %s, "
                             "and a period ending that far after it has no data",
                             cal ? "calibration" : "holdout", clv_date_format(st->near_last, d1),
                             clv_date_format(cal ? s->cal_end : s->hold_end, d2),
                             clv_date_format(st->bulk_first, d3), clv_date_format(st->bulk_last, d4));
    }
    size_t m = s->n - (size_t)s->later, idbytes = 0;
    /* the daily series: from the first purchase of the cohort's customers
     * who did not start far before the bulk, to the holdout end (or the
     * last purchase that is not far after the bulk) */
    int32_t start = 0, stop = INT32_MIN;
    int first = 1;
    for (size_t i = 0; i < s->n; i++) {
        const cust *c = &s->c[i];
        if (c->cohort) {
            idbytes += c->id_len + 1;
            if (c->first_day >= st->near_first && (first || c->first_day < start)) {
                start = c->first_day;
                first = 0;
            }
        }
        const int32_t last = c->last_day <= st->near_last ? c->last_day : c->first_day;
        if (last <= st->near_last && last > stop)
            stop = last;
    }
    if (s->has_hold)
        stop = s->hold_end;
    /* no customer of the cohort is near the bulk (the calibration end is
     * far before it): no series */
    size_t nd = first ? 0 : (size_t)((int64_t)stop - start + 1);
    if (first)
        start = s->cal_end + 1;
    clv_rfm_table *t = calloc(1, sizeof *t);
    if (!t)
        return clv_error_set(s->err, CLV_ENOMEM, s->path, 0, NULL, "out of memory");
    t->c = malloc((m ? m : 1) * sizeof *t->c);
    /* one block: the n id pointers, then the ids they point to */
    char **ids = malloc(m * sizeof *ids + idbytes);
    t->id = (const char **)ids;
    t->repeat_per_day = calloc(nd ? nd : 1, sizeof *t->repeat_per_day);
    if (!t->c || !ids || !t->repeat_per_day) {
        clv_rfm_free(t);
        return clv_error_set(s->err, CLV_ENOMEM, s->path, 0, NULL, "out of memory");
    }
    const double ud = unit == CLV_UNIT_WEEK ? 7.0 : 1.0;
    char *p = (char *)(ids + m);
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        const cust *c = &s->c[i];
        if (!c->cohort)
            continue;
        clv_rfm *r = &t->c[k];
        r->x = (double)c->x;
        r->t_x = c->x ? (double)(c->last_cal_day - c->first_day) / ud : 0;
        r->T = (double)(s->cal_end - c->first_day) / ud;
        r->mean_spend = c->x ? c->spend / (double)c->x : 0;
        r->first_spend = c->first_spend;
        r->x_holdout = (double)c->x_hold;
        r->spend_holdout = c->spend_hold;
        r->first_day = c->first_day;
        r->last_spend = c->cur_spend;
        r->max_spend = c->cur_spend > c->max_spend ? c->cur_spend : c->max_spend;
        memcpy(r->recent, c->recent, sizeof r->recent);
        memcpy(p, s->arena + c->id_off, c->id_len + 1);
        ids[k++] = p;
        p += c->id_len + 1;
    }
    /* repeats of customers who first bought in the year of near_first or
     * later (near_first is a 1 January), on the days of the series */
    int near_year, mo, dd;
    clv_date_to_ymd(st->near_first, &near_year, &mo, &dd);
    for (size_t i = 0; i < s->hist_cap; i++) {
        const struct hbin *b = &s->hist[i];
        const int year = (int)(b->key >> 32);
        const int64_t day = (int32_t)(uint32_t)b->key;
        if (b->key && year >= near_year && day >= start && day - start < (int64_t)nd)
            t->repeat_per_day[day - start] += b->n;
    }
    t->n = m;
    t->unit = unit;
    t->unit_days = ud;
    t->calibration_end = s->cal_end;
    t->holdout_end = s->hold_end;
    t->holdout_length = (double)(s->hold_end - s->cal_end) / ud;
    t->later_customers = s->later;
    t->series_start = start;
    t->n_days = nd;
    t->stats = *s->st;
    *out = t;
    return CLV_OK;
}

int clv_rfm_read(const char *path, const clv_txlog_opts *opts, int32_t calibration_end, int32_t holdout_end,
                 int unit, const struct clv_progress *progress, clv_rfm_table **out, clv_error *err)
{
    *out = NULL;
    char d1[11], d2[11], d3[11];
    if (unit != CLV_UNIT_DAY && unit != CLV_UNIT_WEEK)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "unit", "expected CLV_UNIT_DAY or CLV_UNIT_WEEK, got %d", unit);
    if (holdout_end >= 0 && holdout_end <= calibration_end)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "holdout_end",
                             "expected a holdout end after the calibration end %s, got %s",
                             clv_date_format(calibration_end, d1), clv_date_format(holdout_end, d2));
    clv_txlog_opts defaults;
    if (!opts) {
        clv_txlog_opts_default(&defaults);
        opts = &defaults;
    }
    clv_txlog_stats st;
    summ s = {.cal_end = calibration_end,
              .hold_end = holdout_end >= 0 ? holdout_end : calibration_end,
              .has_hold = holdout_end >= 0,
              .st = &st,
              .path = path,
              .err = err};
    if (grow_slots(&s) != 0)
        return clv_error_set(err, CLV_ENOMEM, path, 0, NULL, "out of memory");
    int status = clv__txlog_scan(path, opts, progress, on_row, &s, &st, err);
    st.periods = 1;
    st.calibration_end = calibration_end;
    st.holdout_end = s.hold_end;
    if (status == CLV_OK && s.n == (size_t)s.later) {
        if (st.rows == 0)
            status = clv_error_set(err, CLV_EINPUT, path, 0, NULL,
                                   "no customer has a purchase on or before the calibration end %s: the log has "
                                   "no purchase rows",
                                   clv_date_format(calibration_end, d1));
        else
            status = clv_error_set(err, CLV_EINPUT, path, 0, NULL,
                                   "no customer has a purchase on or before the calibration end %s: the log's "
                                   "purchases run from %s to %s",
                                   clv_date_format(calibration_end, d1), clv_date_format(st.first_day, d2),
                                   clv_date_format(st.last_day, d3));
    }
    if (status == CLV_OK)
        status = build(&s, unit, out);
    summ_free(&s);
    return status;
}

/* ---- CSV ---- */

/* the shortest of %.15g, %.16g, %.17g that reads back as v: full
 * precision without the noise digits of %.17g (11.77, not 11.769999999999999) */
static const char *fmt_double_printf(char *buf, size_t n, double v)
{
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

/* The same for the values of a log (counts, and amounts in cents), without printf: when v is
 * the double nearest to d = c / 100 for an integer c with |c| < 1e15, d has at most 15
 * significant digits and v is within 1.2e-16 of it relatively, below half a unit of the 15th
 * digit (5e-16 of d at least): %.15g gives d, which reads back as v, in fixed notation
 * (its exponent is in [-2, 12]) with the trailing zeros dropped.  Else printf's. */
static const char *fmt_double(char *buf, size_t n, double v)
{
    if (n >= 24 && fabs(v) < 1e12) {
        const double c = nearbyint(v * 100);
        if (c / 100 == v) {
            char *p = buf;
            if (signbit(v))
                *p++ = '-'; /* -0 as printf writes it */
            unsigned long long u = (unsigned long long)fabs(c), ip = u / 100;
            const unsigned frac = (unsigned)(u % 100);
            char dig[24];
            int k = 0;
            do
                dig[k++] = (char)('0' + ip % 10);
            while ((ip /= 10) > 0);
            while (k > 0)
                *p++ = dig[--k];
            if (frac) {
                *p++ = '.';
                *p++ = (char)('0' + frac / 10);
                if (frac % 10)
                    *p++ = (char)('0' + frac % 10);
            }
            *p = '\0';
            return buf;
        }
    }
    return fmt_double_printf(buf, n, v);
}

/* the formatted values of one column by their bits (T and t_x repeat a few hundred values) */
enum { FC_SLOTS = 512 };
typedef struct {
    uint64_t bits[FC_SLOTS];
    char text[FC_SLOTS][32];
} fmt_cache;

static const char *fmt_cached(fmt_cache *fc, double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    const size_t k = (size_t)((b * 0x9E3779B97F4A7C15ull) >> 55) % FC_SLOTS;
    if (fc->bits[k] != b) {
        fmt_double(fc->text[k], sizeof fc->text[k], v);
        fc->bits[k] = b;
    }
    return fc->text[k];
}

/* an id as a CSV field: quoted (RFC 4180) when it holds a comma, a quote or a line end */
static int put_id(FILE *fp, const char *id)
{
    if (!strpbrk(id, ",\"\r\n"))
        return fputs(id, fp) < 0 ? -1 : 0;
    if (fputc('"', fp) == EOF)
        return -1;
    for (const char *p = id; *p; p++)
        if ((*p == '"' && fputc('"', fp) == EOF) || fputc(*p, fp) == EOF)
            return -1;
    return fputc('"', fp) == EOF ? -1 : 0;
}

int clv_rfm_write_csv(const clv_rfm_table *t, FILE *fp, clv_error *err)
{
    static const char *const cols[7] = {"x", "t_x", "T", "mean_spend", "first_spend", "x_holdout", "spend_holdout"};
    clv_numcheck chk = {0}; /* no inf or nan in the file (clvsim/io.h) */
    int bad = fputs("id,first_purchase,x,t_x,T,mean_spend,first_spend,x_holdout,spend_holdout\n", fp) < 0;
    /* t_x and T by their bits, every slot empty (a NaN's bits, never those of a finite value) */
    fmt_cache *fc = malloc(2 * sizeof *fc);
    for (int k = 0; fc && k < 2; k++)
        for (int q = 0; q < FC_SLOTS; q++)
            fc[k].bits[q] = ~0ull;
    for (size_t i = 0; i < t->n && !bad; i++) {
        const clv_rfm *r = &t->c[i];
        const double v[7] = {r->x, r->t_x, r->T, r->mean_spend, r->first_spend, r->x_holdout, r->spend_holdout};
        char d[11], b[7][32];
        const char *s[7];
        for (int k = 0; k < 7; k++)
            if (!clv_num_ok(&chk, fp, cols[k], v[k]))
                s[k] = "";
            else if (fc && (k == 1 || k == 2))
                s[k] = fmt_cached(&fc[k - 1], v[k]);
            else
                s[k] = fmt_double(b[k], sizeof b[k], v[k]);
        clv_date_format(r->first_day, d);
        bad = put_id(fp, t->id[i]) != 0 || fputc(',', fp) == EOF || fputs(d, fp) < 0;
        for (int k = 0; k < 7 && !bad; k++)
            bad = fputc(',', fp) == EOF || fputs(s[k], fp) < 0;
        bad = bad || fputc('\n', fp) == EOF;
    }
    free(fc);
    if (!bad && fflush(fp) != 0)
        bad = 1;
    if (bad || ferror(fp))
        return clv_error_set(err, CLV_EIO, NULL, 0, NULL, "cannot write the RFM summary: %s", strerror(errno));
    return clv_numcheck_error(&chk, fp, NULL, err);
}
