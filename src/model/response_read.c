/* response_read.c - reading a randomised experiment (one row per customer) from a CSV file, plain or gzip. */
#include "clvsim/response.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "txlog_internal.h"

/* A column beyond this is surely not a data file of ours, and the bound
 * keeps the field table small. */
enum { MAX_COLUMNS = 4096 };

/* Labels interned in order of first appearance. */
typedef struct labels {
    int n, max;
    char **s;
} labels;

static void labels_free(labels *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->s[i]);
    free(l->s);
}

/* the index of s[0, n) in l, added when new; -1 when l is full, -2 out of memory */
static int intern(labels *l, const char *s, size_t n)
{
    for (int i = 0; i < l->n; i++)
        if (strlen(l->s[i]) == n && memcmp(l->s[i], s, n) == 0)
            return i;
    if (l->n == l->max)
        return -1;
    if (!l->s && !(l->s = calloc((size_t)l->max, sizeof *l->s)))
        return -2;
    char *d = malloc(n + 1);
    if (!d)
        return -2;
    memcpy(d, s, n);
    d[n] = '\0';
    l->s[l->n] = d;
    return l->n++;
}

/* The order of a covariate's levels: numerically when every label is a
 * number, by the leading number when every label is "k) ...", else as
 * they came.  Keys per label, ties (never, labels are distinct... but
 * "1" and "1.0" are) broken by first appearance. */
typedef struct level_key {
    double key;
    int first;
} level_key;

static int cmp_key(const void *a, const void *b)
{
    const level_key *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->first > y->first) - (x->first < y->first);
}

/* the leading "k)" of s as k; -1 when s does not start so */
static int band_number(const char *s, double *k)
{
    const char *p = s;
    double v = 0;
    int any = 0;
    while (*p == ' ')
        p++;
    for (; *p >= '0' && *p <= '9' && any < 15; p++, any++)
        v = v * 10 + (*p - '0');
    if (!any || *p != ')')
        return -1;
    *k = v;
    return 0;
}

/* order[new] = old index of the covariate's level */
static int level_order(const labels *l, int *order)
{
    level_key *k = malloc((size_t)(l->n > 0 ? l->n : 1) * sizeof *k);
    if (!k)
        return -1;
    int numeric = 1, bands = 1;
    for (int i = 0; i < l->n; i++) {
        double v;
        numeric &= clv__parse_number(l->s[i], strlen(l->s[i]), &v) == 0;
        bands &= band_number(l->s[i], &v) == 0;
    }
    for (int i = 0; i < l->n; i++) {
        double v = i;
        if (numeric)
            clv__parse_number(l->s[i], strlen(l->s[i]), &v);
        else if (bands)
            band_number(l->s[i], &v);
        k[i].key = v;
        k[i].first = i;
    }
    qsort(k, (size_t)l->n, sizeof *k, cmp_key);
    for (int i = 0; i < l->n; i++)
        order[i] = k[i].first;
    free(k);
    return 0;
}

/* growable row storage */
typedef struct rows {
    size_t n, cap;
    int n_cov;
    int *arm;
    unsigned char *conv;
    double *spend;
    int *level;
    long *line;
} rows;

static int rows_grow(rows *r)
{
    size_t cap = r->cap ? r->cap * 2 : 4096;
    int *a = realloc(r->arm, cap * sizeof *a);
    if (a)
        r->arm = a;
    unsigned char *c = realloc(r->conv, cap);
    if (c)
        r->conv = c;
    double *s = realloc(r->spend, cap * sizeof *s);
    if (s)
        r->spend = s;
    int *l = realloc(r->level, cap * ((size_t)r->n_cov + 1) * sizeof *l);
    if (l)
        r->level = l;
    long *ln = realloc(r->line, cap * sizeof *ln);
    if (ln)
        r->line = ln;
    if (!a || !c || !s || !l || !ln)
        return -1;
    r->cap = cap;
    return 0;
}

static void rows_free(rows *r)
{
    free(r->arm);
    free(r->conv);
    free(r->spend);
    free(r->level);
    free(r->line);
}

/* the header's columns as text for a message: "a, b, c" (cut at about 400 bytes) */
static void header_list(char *buf, size_t size, const clv__span *h, int n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && o + 8 < size; i++) {
        int w = snprintf(buf + o, size - o, "%s%.*s", i ? ", " : "", (int)(h[i].n > 60 ? 60 : h[i].n), h[i].s);
        if (w < 0 || (size_t)w >= size - o || o > 400) {
            snprintf(buf + o, size - o, ", ...");
            return;
        }
        o += (size_t)w;
    }
}

static int line_int(long ln) { return ln > 2147483647L ? 2147483647 : (int)ln; }

int clv_experiment_read(const char *path, const clv_experiment_opts *o, const clv_progress *progress,
                        clv_experiment **out, clv_error *err)
{
    *out = NULL;
    const char *names[4 + CLV_EXPERIMENT_MAX_COVARIATES];
    static const char *const what[4] = {"arm_column", "control", "converted_column", "spend_column"};
    if (o->n_cov < 0 || o->n_cov > CLV_EXPERIMENT_MAX_COVARIATES)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "covariates", "expected 0 to %d covariates, got %d",
                             CLV_EXPERIMENT_MAX_COVARIATES, o->n_cov);
    const char *given[4] = {o->arm_column, o->control, o->converted_column, o->spend_column};
    for (int i = 0; i < 4; i++)
        if (!given[i] || (i != 1 && !given[i][0]))
            return clv_error_set(err, CLV_EINPUT, NULL, 0, what[i], "expected a %s, got none",
                                 i == 1 ? "control arm's label" : "column name");
    /* the columns to find: arm, converted, spend, then the covariates */
    const int n_want = 3 + o->n_cov;
    names[0] = o->arm_column;
    names[1] = o->converted_column;
    names[2] = o->spend_column;
    for (int c = 0; c < o->n_cov; c++) {
        if (!o->covariates || !o->covariates[c] || !o->covariates[c][0])
            return clv_error_set(err, CLV_EINPUT, NULL, 0, "covariates", "expected a column name for covariate %d",
                                 c + 1);
        names[3 + c] = o->covariates[c];
    }
    for (int i = 0; i < n_want; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0)
                return clv_error_set(err, CLV_EINPUT, NULL, 0, i >= 3 ? "covariates" : what[i == 0 ? 0 : i + 1],
                                     "expected distinct columns, got \"%s\" twice (as the arm, conversion, spend or "
                                     "a covariate)",
                                     names[i]);

    FILE *fp = fopen(path, "rb");
    if (!fp)
        return clv_error_set(err, CLV_EIO, path, 0, NULL, "cannot open the experiment: %s", clv_strerror(errno));
    double total = 0;
    struct stat sb;
    if (fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode))
        total = (double)sb.st_size;

    int st = CLV_OK;
    clv__lines rd;
    labels arms = {0, CLV_EXPERIMENT_MAX_ARMS, NULL};
    labels *lev = calloc((size_t)o->n_cov + 1, sizeof *lev);
    rows R = {0};
    R.n_cov = o->n_cov;
    clv__span *f = malloc(MAX_COLUMNS * sizeof *f);
    int col[3 + CLV_EXPERIMENT_MAX_COVARIATES];
    clv_experiment *e = NULL;
    int lines_ok = clv__lines_init(&rd, fp, 1) == 0;
    if (!lines_ok && errno != ENOMEM) {
        st = clv_error_set(err, CLV_EIO, path, 0, NULL, "cannot read the experiment: %s", clv_strerror(errno));
        goto done;
    }
    if (!lines_ok || !lev || !f) {
        st = clv_error_set(err, CLV_ENOMEM, path, 0, NULL, "out of memory");
        goto done;
    }
    for (int c = 0; c < o->n_cov; c++)
        lev[c].max = CLV_EXPERIMENT_MAX_LEVELS;

    char *line, q[200];
    size_t len;
    int got, header = 0, want = 0;
    long ln = 0;
    while ((got = clv__lines_next_text(&rd, &line, &len, &ln)) > 0) {
        /* progress in bytes of the file: of the compressed ones for gzip */
        if (((R.n + 1) & 0xfff) == 0 &&
            clv_progress_report(progress, "reading", total > 0 ? (double)ftell(fp) : rd.consumed, total) != CLV_OK) {
            st = clv_error_set(err, CLV_ECANCELLED, path, 0, NULL, "reading was cancelled");
            goto done;
        }
        char *end = line + len;
        int bad_col = 0, why = CLV__QUOTE_OK;
        clv__span tail = {NULL, 0};
        if (!header) {
            header = 1;
            int k = clv__split_commas(line, end, f, MAX_COLUMNS, &bad_col, &why, &tail);
            if (k < 0) {
                st = clv__columns_error(err, path, line_int(ln), why, bad_col, &tail, 0, 0);
                goto done;
            }
            for (int i = 0; i < n_want; i++) {
                col[i] = -1;
                for (int j = 0; j < k && col[i] < 0; j++)
                    if (f[j].n == strlen(names[i]) && memcmp(f[j].s, names[i], f[j].n) == 0)
                        col[i] = j;
                if (col[i] < 0) {
                    char list[512];
                    header_list(list, sizeof list, f, k);
                    static const char *const opt[3] = {"--arm-column", "--converted-column", "--spend-column"};
                    st = clv_error_set(err, CLV_EINPUT, path, line_int(ln), i < 3 ? what[i == 0 ? 0 : i + 1] : "covariates",
                                       "expected a column \"%s\" (%s) in the header, which has: %s", names[i],
                                       i < 3 ? opt[i] : "--covariates", list);
                    goto done;
                }
                if (col[i] + 1 > want)
                    want = col[i] + 1;
            }
            continue;
        }
        int k = clv__split_commas(line, end, f, want, &bad_col, &why, &tail);
        if (k < want) {
            st = clv__columns_error(err, path, line_int(ln), k < 0 ? why : CLV__QUOTE_OK, bad_col, &tail, want, k);
            goto done;
        }
        if (R.n == R.cap && rows_grow(&R) != 0) {
            st = clv_error_set(err, CLV_ENOMEM, path, 0, NULL, "out of memory");
            goto done;
        }
        /* the arm */
        const clv__span *a = &f[col[0]];
        if (a->n == 0) {
            st = clv_error_set(err, CLV_EINPUT, path, line_int(ln), o->arm_column,
                               "expected an arm's label in column %d, got an empty field", col[0] + 1);
            goto done;
        }
        /* labels are text: one with a NUL byte would be cut short as a
         * string, and two labels could read alike */
        for (int i = 0; i < n_want; i++)
            if (i != 1 && i != 2 && memchr(f[col[i]].s, '\0', f[col[i]].n)) {
                st = clv_error_set(err, CLV_EINPUT, path, line_int(ln), names[i],
                                   "expected a label in column %d, got %s with a NUL byte (the file must be text: "
                                   "ASCII or UTF-8, not UTF-16)",
                                   col[i] + 1, clv__quoted(q, sizeof q, f[col[i]].s, f[col[i]].n));
                goto done;
            }
        int ai = intern(&arms, a->s, a->n);
        if (ai < 0) {
            st = ai == -2 ? clv_error_set(err, CLV_ENOMEM, path, 0, NULL, "out of memory")
                          : clv_error_set(err, CLV_EINPUT, path, line_int(ln), o->arm_column,
                                          "expected at most %d arms, got a %dth: %s", CLV_EXPERIMENT_MAX_ARMS,
                                          CLV_EXPERIMENT_MAX_ARMS + 1, clv__quoted(q, sizeof q, a->s, a->n));
            goto done;
        }
        /* converted: 0 or 1 */
        const clv__span *cv = &f[col[1]];
        double conv;
        if (clv__parse_number(cv->s, cv->n, &conv) != 0 || (conv != 0 && conv != 1)) {
            st = clv_error_set(err, CLV_EINPUT, path, line_int(ln), o->converted_column,
                               "expected 0 or 1 (did the customer buy in the window) in column %d, got %s",
                               col[1] + 1, clv__quoted(q, sizeof q, cv->s, cv->n));
            goto done;
        }
        /* spend: a number >= 0, 0 unless converted */
        const clv__span *sp = &f[col[2]];
        double spend;
        int why_n = clv__parse_number(sp->s, sp->n, &spend);
        if (why_n != 0 || spend < 0) {
            st = clv_error_set(err, CLV_EINPUT, path, line_int(ln), o->spend_column,
                               "expected a spend: a number in [0, %g] in column %d, got %s", CLV_TXLOG_AMOUNT_MAX,
                               col[2] + 1, clv__quoted(q, sizeof q, sp->s, sp->n));
            goto done;
        }
        if (spend > 0 && conv == 0) {
            st = clv_error_set(err, CLV_EINPUT, path, line_int(ln), o->spend_column,
                               "expected a spend of 0 on a row that did not convert (%s = 0), got %s",
                               o->converted_column, clv__quoted(q, sizeof q, sp->s, sp->n));
            goto done;
        }
        for (int c = 0; c < o->n_cov; c++) {
            const clv__span *v = &f[col[3 + c]];
            int li = intern(&lev[c], v->s, v->n);
            if (li < 0) {
                st = li == -2 ? clv_error_set(err, CLV_ENOMEM, path, 0, NULL, "out of memory")
                              : clv_error_set(err, CLV_EINPUT, path, line_int(ln), o->covariates[c],
                                              "expected at most %d levels of a covariate, got more (is it a "
                                              "categorical column?)",
                                              CLV_EXPERIMENT_MAX_LEVELS);
                goto done;
            }
            R.level[R.n * (size_t)o->n_cov + (size_t)c] = li;
        }
        R.arm[R.n] = ai;
        R.conv[R.n] = (unsigned char)conv;
        R.spend[R.n] = spend;
        R.line[R.n] = ln;
        R.n++;
    }
    if (got == -2) {
        st = clv_error_set(err, CLV_EINPUT, path, line_int(ln + 1), NULL,
                           "expected a line of at most %d bytes, got a longer one (is this a CSV file?)",
                           (int)CLV__LINE_MAX_BYTES);
        goto done;
    }
    if (got == -3) {
        st = clv_error_set(err, CLV_EINPUT, path, line_int(ln + 1), NULL,
                           "expected a complete gzip stream, got a damaged or truncated one (gzip -t tells)");
        goto done;
    }
    if (got < 0) {
        st = errno == ENOMEM ? clv_error_set(err, CLV_ENOMEM, path, 0, NULL, "out of memory")
                             : clv_error_set(err, CLV_EIO, path, 0, NULL, "cannot read the experiment: %s",
                                             clv_strerror(errno));
        goto done;
    }
    if (!header) {
        st = clv_error_set(err, CLV_EINPUT, path, 0, NULL,
                           "expected a header line naming the columns and one row per customer, got an empty file");
        goto done;
    }
    if (R.n == 0) {
        st = clv_error_set(err, CLV_EINPUT, path, 0, NULL, "expected one row per customer after the header, got none");
        goto done;
    }
    /* the control arm */
    int control = -1;
    for (int i = 0; i < arms.n; i++)
        if (strcmp(arms.s[i], o->control) == 0)
            control = i;
    if (control < 0 || arms.n < 2) {
        char list[600];
        size_t w = 0;
        list[0] = '\0';
        for (int i = 0; i < arms.n && w + 70 < sizeof list; i++)
            w += (size_t)snprintf(list + w, sizeof list - w, "%s\"%.60s\"", i ? ", " : "", arms.s[i]);
        if (control < 0)
            st = clv_error_set(err, CLV_EINPUT, path, 0, "control",
                               "expected the control arm's label (--control) among the labels of column %s, got "
                               "\"%s\"; the labels found: %s",
                               o->arm_column, o->control, list);
        else
            st = clv_error_set(err, CLV_EINPUT, path, 0, o->arm_column,
                               "expected customers in a treated arm besides the control \"%s\", got none: every row "
                               "is in the control arm",
                               o->control);
        goto done;
    }
    /* levels in their order */
    int n_levels[CLV_EXPERIMENT_MAX_COVARIATES];
    int *order = malloc(CLV_EXPERIMENT_MAX_LEVELS * sizeof *order);
    int *rank = malloc(((size_t)o->n_cov * CLV_EXPERIMENT_MAX_LEVELS + 1) * sizeof *rank);
    const char **lv_names = malloc(((size_t)o->n_cov * CLV_EXPERIMENT_MAX_LEVELS + 1) * sizeof *lv_names);
    const char *const *lv_ptr[CLV_EXPERIMENT_MAX_COVARIATES];
    if (!order || !rank || !lv_names) {
        free(order), free(rank), free(lv_names);
        st = clv_error_set(err, CLV_ENOMEM, path, 0, NULL, "out of memory");
        goto done;
    }
    for (int c = 0; c < o->n_cov; c++) {
        n_levels[c] = lev[c].n;
        const char **names_c = lv_names + (size_t)c * CLV_EXPERIMENT_MAX_LEVELS;
        int *rank_c = rank + (size_t)c * CLV_EXPERIMENT_MAX_LEVELS;
        if (level_order(&lev[c], order) != 0) {
            free(order), free(rank), free(lv_names);
            st = clv_error_set(err, CLV_ENOMEM, path, 0, NULL, "out of memory");
            goto done;
        }
        for (int i = 0; i < lev[c].n; i++) {
            names_c[i] = lev[c].s[order[i]];
            rank_c[order[i]] = i;
        }
        lv_ptr[c] = names_c;
    }
    st = clv_experiment_alloc(R.n, arms.n, (const char *const *)arms.s, control, o->n_cov, o->covariates, n_levels,
                              lv_ptr, &e, err);
    if (st != CLV_OK && err && !err->file[0])
        snprintf(err->file, sizeof err->file, "%s", path);
    if (st == CLV_OK) {
        memcpy(e->arm, R.arm, R.n * sizeof *e->arm);
        memcpy(e->converted, R.conv, R.n);
        memcpy(e->spend, R.spend, R.n * sizeof *e->spend);
        for (size_t i = 0; i < R.n; i++)
            for (int c = 0; c < o->n_cov; c++) {
                const size_t j = i * (size_t)o->n_cov + (size_t)c;
                e->level[j] = rank[(size_t)c * CLV_EXPERIMENT_MAX_LEVELS + (size_t)R.level[j]];
            }
        e->line = R.line;
        R.line = NULL;
        if (!(e->path = malloc(strlen(path) + 1)))
            st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        else
            strcpy(e->path, path);
    }
    free(order), free(rank), free(lv_names);
    if (st == CLV_OK)
        st = clv_experiment_check(e, err);
    if (st == CLV_OK && clv_progress_report(progress, "reading", total, total) != CLV_OK)
        st = clv_error_set(err, CLV_ECANCELLED, path, 0, NULL, "reading was cancelled");
    if (st == CLV_OK) {
        *out = e;
        e = NULL;
    }
done:
    clv_experiment_free(e);
    rows_free(&R);
    free(f);
    if (lev)
        for (int c = 0; c < o->n_cov; c++)
            labels_free(&lev[c]);
    free(lev);
    labels_free(&arms);
    clv__lines_free(&rd);
    fclose(fp);
    return st;
}
