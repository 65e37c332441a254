/* ltv_split.c - train-ltv's split of real customers from a file (--split FILE, ltv.split_file). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clvsim/ltv.h"

static const char *const part_names[3] = {"train", "validation", "test"};
static const char part_letters[3] = {'t', 'v', 'e'};

typedef struct entry {
    char *id;
    int part;
    size_t line;
} entry;

static int by_id(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    const int c = strcmp(x->id, y->id);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

typedef struct cohort_ref {
    const char *id;
    size_t row;
} cohort_ref;

static int ref_by_id(const void *a, const void *b)
{
    return strcmp(((const cohort_ref *)a)->id, ((const cohort_ref *)b)->id);
}

/* the next field of line at *p (ended by ',' or the end) into a new string;
 * quoted fields as RFC 4180; NULL with *bad set for a stray quote */
static char *field(const char **p, int *bad)
{
    const char *s = *p;
    size_t cap = strlen(s) + 1, n = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    if (*s == '"') {
        for (s++;; s++) {
            if (!*s) {
                *bad = 1; /* no closing quote */
                break;
            }
            if (*s == '"' && s[1] == '"')
                out[n++] = '"', s++;
            else if (*s == '"') {
                s++;
                if (*s && *s != ',')
                    *bad = 1; /* text after the closing quote */
                break;
            } else
                out[n++] = *s;
        }
    } else {
        while (*s && *s != ',') {
            if (*s == '"')
                *bad = 1;
            out[n++] = *s++;
        }
    }
    out[n] = 0;
    while (*s && *s != ',')
        s++;
    *p = s;
    if (*bad) {
        free(out);
        return NULL;
    }
    return out;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *b = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

static void free_entries(entry *e, size_t n)
{
    for (size_t i = 0; e && i < n; i++)
        free(e[i].id);
    free(e);
}

/* the lines of the file into *out (ids and parts), checked; *n_out entries */
static int read_entries(const char *path, entry **out, size_t *n_out, clv_error *err)
{
    *out = NULL, *n_out = 0;
    FILE *fp = fopen(path, "r");
    if (!fp)
        return clv_error_set(err, CLV_EIO, path, 0, NULL, "cannot open the split file: %s", strerror(errno));
    char *line = NULL;
    size_t cap = 0, n = 0, room = 0, ln = 0;
    entry *e = NULL;
    int st = CLV_OK, header = 0;
    ssize_t len;
    while (st == CLV_OK && (len = getline(&line, &cap, fp)) >= 0) {
        ln++;
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = 0;
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = 0;
        if ((size_t)len != strlen(line)) {
            st = clv_error_set(err, CLV_EINPUT, path, (int)ln, NULL, "a NUL byte in the line; expected text");
            break;
        }
        if (!header) {
            const char *h = line;
            if (ln == 1 && (unsigned char)h[0] == 0xef && (unsigned char)h[1] == 0xbb && (unsigned char)h[2] == 0xbf)
                h += 3; /* a UTF-8 byte order mark */
            if (strcmp(h, "customer_id,split") != 0)
                st = clv_error_set(err, CLV_EINPUT, path, (int)ln, "header", "the first line is \"%.60s\"; expected "
                                   "the header customer_id,split", h);
            header = 1;
            continue;
        }
        if (!len)
            continue;
        const char *p = line;
        int bad = 0;
        char *id = field(&p, &bad);
        if (!id && !bad) {
            st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
            break;
        }
        if (bad) {
            st = clv_error_set(err, CLV_EINPUT, path, (int)ln, "customer_id", "a stray or unclosed double quote; "
                               "expected an id as it is or in double quotes (RFC 4180)");
            break;
        }
        if (!*id) {
            free(id);
            st = clv_error_set(err, CLV_EINPUT, path, (int)ln, "customer_id", "an empty id; expected the customer's "
                               "id as the transaction log writes it");
            break;
        }
        if (*p != ',') {
            free(id);
            st = clv_error_set(err, CLV_EINPUT, path, (int)ln, "split", "one field; expected two: customer_id,split");
            break;
        }
        p++;
        int part = -1;
        for (int k = 0; k < 3; k++)
            if (!strcmp(p, part_names[k]))
                part = k;
        if (part < 0) {
            free(id);
            st = clv_error_set(err, CLV_EINPUT, path, (int)ln, "split", strchr(p, ',') ?
                               "\"%.60s\": more than two fields; expected customer_id,split" :
                               "\"%.60s\"; expected train, validation or test", p);
            break;
        }
        if (n == room) {
            room = room ? 2 * room : 1024;
            entry *g = realloc(e, room * sizeof *e);
            if (!g) {
                free(id);
                st = clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
                break;
            }
            e = g;
        }
        e[n++] = (entry){id, part, ln};
    }
    if (st == CLV_OK && ferror(fp))
        st = clv_error_set(err, CLV_EIO, path, (int)ln, NULL, "cannot read the split file: %s", strerror(errno));
    if (st == CLV_OK && !header)
        st = clv_error_set(err, CLV_EINPUT, path, 1, "header", "the file is empty; expected the header "
                           "customer_id,split and a line per customer");
    free(line);
    fclose(fp);
    if (st == CLV_OK) {
        qsort(e, n, sizeof *e, by_id);
        for (size_t i = 1; i < n && st == CLV_OK; i++)
            if (!strcmp(e[i].id, e[i - 1].id))
                st = clv_error_set(err, CLV_EINPUT, path, (int)e[i].line, "customer_id", "customer %.60s is listed "
                                   "twice (lines %zu and %zu); expected each customer once", e[i].id, e[i - 1].line,
                                   e[i].line);
    }
    if (st != CLV_OK) {
        free_entries(e, n);
        return st;
    }
    *out = e, *n_out = n;
    return CLV_OK;
}

int clv_ltv_split_read(const char *path, const char *const *ids, size_t n, int *split, clv_ltv_split_record *rec,
                       clv_error *err)
{
    memset(rec, 0, sizeof *rec);
    entry *e;
    size_t ne;
    int st = read_entries(path, &e, &ne, err);
    if (st != CLV_OK)
        return st;
    cohort_ref *c = malloc((n ? n : 1) * sizeof *c);
    if (!c) {
        free_entries(e, ne);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        c[i] = (cohort_ref){ids[i], i}, split[i] = CLV_LTV_PART_OUT;
    qsort(c, n, sizeof *c, ref_by_id);
    /* the two sorted lists merged (the cohort's ids are distinct: the reader keeps one row per customer) */
    size_t count[3] = {0, 0, 0}, unknown = 0, i = 0, j = 0;
    while (j < ne) {
        const int cmp = i < n ? strcmp(c[i].id, e[j].id) : 1;
        if (cmp < 0)
            i++;
        else if (cmp > 0)
            unknown++, j++;
        else {
            const int part = e[j].part;
            split[c[i].row] = part;
            count[part]++;
            uint64_t h = fnv1a(0xcbf29ce484222325ULL, e[j].id, strlen(e[j].id) + 1);
            rec->hash += fnv1a(h, &part_letters[part], 1);
            i++, j++;
        }
    }
    free(c);
    free_entries(e, ne);
    rec->kind = CLV_LTV_SPLIT_FILE;
    rec->n_train = (double)count[0], rec->n_val = (double)count[1], rec->n_test = (double)count[2];
    rec->unknown = (double)unknown;
    rec->unlisted = (double)(n - count[0] - count[1] - count[2]);
    for (int k = 0; k < 3; k++)
        if (count[k] < (k == 2 ? 10u : 1u))
            return clv_error_set(err, CLV_EINPUT, path, 0, "split", "%zu %s customer%s of the cohort (of %zu listed "
                                 "lines, %zu not in the cohort); expected at least %d", count[k], part_names[k],
                                 count[k] == 1 ? "" : "s", ne, unknown, k == 2 ? 10 : 1);
    return CLV_OK;
}
