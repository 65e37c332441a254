/* txlog.c - reading transaction logs: lines, fields, header and delimiter detection, field parsing, malformed rows. */
#include "clvsim/txlog.h"

#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clvsim/date.h"
#include "clvsim/progress.h"
#include "txlog_internal.h"

void clv_txlog_opts_default(clv_txlog_opts *o)
{
    memset(o, 0, sizeof *o);
    o->delimiter = CLV_DELIM_AUTO;
    o->header = CLV_HEADER_AUTO;
    o->customer_column = 1;
    o->date_column = 2;
    o->amount_column = 3;
    o->quantity_column = 0;
    o->date_format = CLV_DATEFMT_AUTO;
    o->amount_kind = CLV_AMOUNT_TOTAL;
    o->skip_malformed = 0;
}

void clv_txlog_opts_from_scenario(clv_txlog_opts *o, const clv_scn_data *d)
{
    clv_txlog_opts_default(o);
    o->delimiter = d->delimiter;
    o->header = d->header;
    o->customer_column = d->customer_column;
    o->date_column = d->date_column;
    o->amount_column = d->amount_column;
    o->quantity_column = d->quantity_column;
    o->date_format = d->date_format;
    o->amount_kind = d->amount_kind;
    o->skip_malformed = d->skip_malformed;
    o->skip_missing_customer = d->skip_missing_customer;
    o->date_pattern = d->date_pattern[0] ? d->date_pattern : NULL;
}

const char *clv_txbad_name(int kind)
{
    static const char *const names[CLV_TXBAD_N] = {"columns", "customer", "date", "amount", "quantity", "order"};
    return kind >= 0 && kind < CLV_TXBAD_N ? names[kind] : "unknown";
}

int clv_txlog_far_dates_text(char *buf, size_t n, const char *log, const clv_txlog_stats *s, int after)
{
    const long count = after ? s->far_after : s->far_before;
    if (!count)
        return 0;
    char d[11], a[11], b[11], lim[11];
    snprintf(buf, n,
             "%s:%ld: the date %s is far %s the bulk of the log's dates (%s to %s; far: %s %s), a typo?  "
             "%ld customer%s %s that far %s: kept in the customer summaries and the fits, left out of the "
             "daily series (the cumulative curve)",
             log, after ? s->far_after_line : s->far_before_line,
             clv_date_format(after ? s->far_after_day : s->far_before_day, d), after ? "after" : "before",
             clv_date_format(s->bulk_first, a), clv_date_format(s->bulk_last, b), after ? "after" : "before",
             clv_date_format(after ? s->near_last : s->near_first, lim), count, count == 1 ? "" : "s",
             after ? (count == 1 ? "buys" : "buy") : (count == 1 ? "starts" : "start"), after ? "after" : "before");
    return 1;
}

int clv_txlog_period_text(char *buf, size_t n, const char *log, const clv_txlog_stats *s, int holdout)
{
    if (!s->periods || s->rows == 0 || (holdout && s->holdout_end <= s->calibration_end))
        return 0;
    const int32_t end = holdout ? s->holdout_end : s->calibration_end;
    if (end <= s->last_day)
        return 0;
    char a[11], b[11];
    const long days = (long)end - s->last_day;
    if (holdout)
        snprintf(buf, n,
                 "%s: the holdout end %s is %ld day%s after the log's last purchase (%s): those days have no "
                 "data, so the holdout's purchases fall short of what the models expect there; end the holdout "
                 "by %s",
                 log, clv_date_format(end, a), days, days == 1 ? "" : "s", clv_date_format(s->last_day, b), b);
    else
        snprintf(buf, n,
                 "%s: the calibration end %s is %ld day%s after the log's last purchase (%s): every customer's "
                 "age T counts those days without data, so the models see them as inactive (P(alive) falls); end "
                 "the calibration period by %s",
                 log, clv_date_format(end, a), days, days == 1 ? "" : "s", clv_date_format(s->last_day, b), b);
    return 1;
}

/* ---- lines ---- */

/* the first two bytes of a gzip member (RFC 1952) */
static int gzip_magic(const unsigned char *b, size_t n) { return n >= 2 && b[0] == 0x1f && b[1] == 0x8b; }

int clv__lines_init(clv__lines *r, FILE *fp, int gzip_ok)
{
    memset(r, 0, sizeof *r);
    r->fp = fp;
    r->cap = (size_t)1 << 18;
    r->buf = malloc(r->cap);
    if (!r->buf) {
        errno = ENOMEM;
        return -1;
    }
    if (!gzip_ok)
        return 0;
    /* read the first block: gzip by its magic bytes, never by the name */
    size_t k = fread(r->buf, 1, r->cap - 1, fp);
    if (ferror(fp))
        return -1;
    if (k == 0)
        r->eof = 1;
    if (!gzip_magic((const unsigned char *)r->buf, k)) {
        r->end = k;
        return 0;
    }
    r->zs = calloc(1, sizeof *r->zs);
    r->zin = malloc(r->cap);
    if (!r->zs || !r->zin) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(r->zin, r->buf, k);
    r->zs->next_in = r->zin;
    r->zs->avail_in = (uInt)k;
    r->zin_eof = r->eof;
    r->eof = 0;
    /* 16 + MAX_WBITS: a gzip wrapper, not zlib's */
    if (inflateInit2(r->zs, 16 + MAX_WBITS) != Z_OK) {
        free(r->zs);
        r->zs = NULL;
        errno = ENOMEM;
        return -1;
    }
    r->gzip = 1;
    return 0;
}

void clv__lines_free(clv__lines *r)
{
    if (r->zs) {
        inflateEnd(r->zs);
        free(r->zs);
    }
    free(r->zin);
    free(r->buf);
    memset(r, 0, sizeof *r);
}

/* Fill r->buf[end, cap - 1) from the file: the bytes read, 0 at the end,
 * -1 on a read error, -3 for a damaged or truncated gzip stream. */
static long fill(clv__lines *r)
{
    if (!r->gzip) {
        size_t k = fread(r->buf + r->end, 1, r->cap - r->end - 1, r->fp);
        /* an error ends the read even when fread returns what it got
         * before it: reading on would block again on a pipe whose read a
         * stop signal interrupted (EINTR) */
        if (ferror(r->fp))
            return -1;
        return (long)k;
    }
    z_stream *zs = r->zs;
    zs->next_out = (unsigned char *)r->buf + r->end;
    zs->avail_out = (uInt)(r->cap - r->end - 1);
    while (zs->avail_out == r->cap - r->end - 1) {
        if (zs->avail_in == 0 && !r->zin_eof) {
            size_t k = fread(r->zin, 1, r->cap, r->fp);
            if (ferror(r->fp))
                return -1;
            if (k == 0)
                r->zin_eof = 1;
            zs->next_in = r->zin;
            zs->avail_in = (uInt)k;
        }
        if (r->member_end) {
            /* after a member's end: another member (gzip files may be
             * concatenated), or the end of the file */
            if (zs->avail_in == 0 && r->zin_eof)
                return 0;
            if (zs->avail_in == 0)
                continue;
            if (inflateReset(zs) != Z_OK)
                return -3;
            r->member_end = 0;
        }
        int rc = inflate(zs, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            r->member_end = 1;
        } else if (rc == Z_BUF_ERROR && zs->avail_in == 0 && r->zin_eof) {
            return -3; /* the file ends inside a member */
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            return rc == Z_MEM_ERROR ? (errno = ENOMEM, -1) : -3;
        }
    }
    return (long)(r->cap - r->end - 1 - zs->avail_out);
}

int clv__lines_next(clv__lines *r, char **line, size_t *len)
{
    for (;;) {
        char *s = r->buf + r->pos;
        size_t avail = r->end - r->pos;
        char *nl = avail > r->scanned ? memchr(s + r->scanned, '\n', avail - r->scanned) : NULL;
        if (nl || (r->eof && avail > 0)) {
            size_t n = nl ? (size_t)(nl - s) : avail;
            if (n > CLV__LINE_MAX_BYTES)
                return -2;
            r->pos += n + (nl != NULL);
            r->scanned = 0;
            r->consumed += (double)(n + (nl != NULL));
            s[n] = '\0';
            if (n > 0 && s[n - 1] == '\r')
                s[--n] = '\0';
            *line = s;
            *len = n;
            return 1;
        }
        if (r->eof)
            return 0;
        if (avail > CLV__LINE_MAX_BYTES)
            return -2;
        r->scanned = avail;
        /* keep the partial line: move it to the front, grow when it fills the buffer */
        if (r->pos > 0) {
            memmove(r->buf, r->buf + r->pos, avail);
            r->pos = 0;
            r->end = avail;
        }
        if (r->cap - r->end < 2) {
            char *nb = realloc(r->buf, r->cap * 2);
            if (!nb) {
                errno = ENOMEM;
                return -1;
            }
            r->buf = nb;
            r->cap *= 2;
        }
        long k = fill(r);
        if (k < 0)
            return (int)k;
        if (k == 0)
            r->eof = 1;
        r->end += (size_t)k;
    }
}

int clv__lines_next_text(clv__lines *r, char **line, size_t *len, long *lines)
{
    int got;
    while ((got = clv__lines_next(r, line, len)) > 0) {
        if (++*lines == 1 && *len >= 3 && memcmp(*line, "\xef\xbb\xbf", 3) == 0) {
            *line += 3; /* a UTF-8 byte-order mark, as spreadsheets write */
            *len -= 3;
        }
        if (!clv__blank_line(*line, *line + *len))
            return 1;
    }
    return got;
}

/* ---- fields ---- */

static int blank(char c) { return c == ' ' || c == '\t'; }

/* Split a line at runs of blanks and tabs (leading and trailing ones
 * ignored) into its first `want` fields.  Returns the number found: all of
 * the line's fields when it has fewer than want. */
static int split_blanks(char *p, char *end, clv__span *f, int want)
{
    int k = 0;
    while (k < want) {
        while (p < end && blank(*p))
            p++;
        if (p >= end)
            break;
        char *s = p;
        while (p < end && !blank(*p))
            p++;
        f[k].s = s;
        f[k].n = (size_t)(p - s);
        if (p < end)
            *p++ = '\0'; /* at end the line's own NUL ends the field */
        k++;
    }
    return k;
}

/* Split a comma-separated line into its first `want` fields.  A field may be
 * quoted (RFC 4180): "a,b" is a,b and "" inside quotes is one quote; blanks
 * around a field are not part of it (they are in a quoted field's inside).
 * Quoted fields are unescaped in place.  Returns the number of fields found
 * (all of them when fewer than want), or -1 with *bad_col (1-based) and
 * *why (QUOTE_*) and, for CLV__QUOTE_TRAILING, the offending text in *tail. */
int clv__split_commas(char *p, char *end, clv__span *f, int want, int *bad_col, int *why, clv__span *tail)
{
    int k = 0;
    while (k < want) {
        while (p < end && blank(*p))
            p++;
        if (p < end && *p == '"') {
            char *w = p, *r = p + 1;
            for (;;) {
                if (r >= end) {
                    *bad_col = k + 1;
                    *why = CLV__QUOTE_UNTERMINATED;
                    return -1;
                }
                if (*r == '"') {
                    if (r + 1 < end && r[1] == '"') {
                        *w++ = '"';
                        r += 2;
                        continue;
                    }
                    r++;
                    break;
                }
                *w++ = *r++;
            }
            while (r < end && blank(*r))
                r++;
            if (r < end && *r != ',') {
                char *c = memchr(r, ',', (size_t)(end - r));
                tail->s = r;
                tail->n = (size_t)((c ? c : end) - r);
                *bad_col = k + 1;
                *why = CLV__QUOTE_TRAILING;
                return -1;
            }
            /* the unescaped text is at least two bytes shorter (the quotes), so w < r */
            f[k].s = p;
            f[k].n = (size_t)(w - p);
            *w = '\0';
            k++;
            if (r >= end)
                return k;
            p = r + 1;
        } else {
            char *c = memchr(p, ',', (size_t)(end - p));
            char *e = c ? c : end, *t = e;
            while (t > p && blank(t[-1]))
                t--;
            f[k].s = p;
            f[k].n = (size_t)(t - p);
            *t = '\0';
            k++;
            if (!c)
                return k;
            p = c + 1;
        }
    }
    return k;
}

/* 1 when the line has a comma outside double quotes */
static int has_comma(const char *p, const char *end)
{
    int quoted = 0;
    for (; p < end; p++) {
        if (*p == '"')
            quoted = !quoted; /* "" inside quotes toggles twice: still inside */
        else if (*p == ',' && !quoted)
            return 1;
    }
    return 0;
}

int clv__blank_line(const char *p, const char *end)
{
    while (p < end && blank(*p))
        p++;
    return p == end;
}

/* ---- values ---- */

/* A decimal number such as 11.77 or -3, read exactly the way strtod reads
 * it: with at most 15 significant digits and 22 decimals, digits / 10^k is
 * a division of two exactly representable doubles, hence correctly rounded
 * (Clinger's fast path).  This covers the amounts of real logs, is several
 * times faster than strtod and ignores the locale's decimal point.  Other
 * forms (exponents, long mantissas, hex) go to strtod.  Returns 0; -1
 * when s[0, n) is not a number; -2 when it is one beyond
 * CLV_TXLOG_AMOUNT_MAX in magnitude, or not finite ("inf", "nan", "1e999",
 * which strtod accepts). */
int clv__parse_number(const char *s, size_t n, double *v)
{
    static const double p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (n == 0)
        return -1;
    size_t i = 0;
    int neg = 0;
    if (s[0] == '-' || s[0] == '+')
        neg = s[i++] == '-';
    uint64_t m = 0;
    int digits = 0, decimals = 0, point = 0, any = 0;
    for (; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            any = 1;
            if (m == 0 && c == '0') {
                if (point)
                    decimals++;
                continue; /* leading zeros are not significant */
            }
            if (++digits > 15)
                break;
            m = m * 10 + (uint64_t)(c - '0');
            decimals += point;
        } else if (c == '.' && !point) {
            point = 1;
        } else {
            break;
        }
    }
    if (i == n && any && decimals <= 22) {
        double x = (double)m / p10[decimals];
        *v = neg ? -x : x;
        return fabs(x) <= CLV_TXLOG_AMOUNT_MAX ? 0 : -2;
    }
    /* the general case; s[n] is a NUL (fields are terminated in place) */
    char *e;
    double x = strtod(s, &e);
    if (e != s + n || e == s)
        return -1;
    *v = x;
    return fabs(x) <= CLV_TXLOG_AMOUNT_MAX ? 0 : -2; /* also false for a NaN */
}

/* A date in the reader's pattern, or else in its clv_date_format_kind; 0, or -1 */
static int parse_date(const char *s, size_t n, const clv_txlog_opts *o, int32_t *d)
{
    const int fmt = o->date_format;
    if (o->date_pattern)
        return n > 32 ? -1 : clv_date_parse_pattern(o->date_pattern, s, (int)n, d);
    if ((fmt == CLV_DATEFMT_YYYYMMDD && n != 8) || (fmt == CLV_DATEFMT_ISO_DATE && n != 10) ||
        (fmt == CLV_DATEFMT_ISO_DATETIME && n <= 10) || n > 32)
        return -1;
    return clv_date_parse(s, (int)n, d);
}

static const char *date_expected(const clv_txlog_opts *o, char *buf, size_t n)
{
    if (o->date_pattern) {
        snprintf(buf, n, "a date of the pattern \"%s\"", o->date_pattern);
        return buf;
    }
    switch (o->date_format) {
    case CLV_DATEFMT_YYYYMMDD: return "a date YYYYMMDD";
    case CLV_DATEFMT_ISO_DATE: return "a date YYYY-MM-DD";
    case CLV_DATEFMT_ISO_DATETIME: return "a date-time YYYY-MM-DD hh:mm[:ss]";
    default: return "a date YYYYMMDD, YYYY-MM-DD or YYYY-MM-DD hh:mm[:ss]";
    }
}

/* s[0, n) in double quotes for a message: at most 40 bytes of it (then
 * "..."), quotes and backslashes escaped, control bytes as \xNN */
const char *clv__quoted(char *buf, size_t size, const char *s, size_t n)
{
    size_t o = 0, lim = n > 40 ? 40 : n;
    buf[o++] = '"';
    for (size_t i = 0; i < lim && o + 8 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
        } else {
            buf[o++] = (char)c;
        }
    }
    if (lim < n && o + 4 < size) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

/* ---- the scan ---- */

static int check_opts(const clv_txlog_opts *o, clv_error *err)
{
    /* columns beyond this are surely a mistake, and the bound keeps the
     * field table small */
    enum { MAX_COLUMN = 4096 };
    const struct { const char *name; int v, min; } cols[] = {
        {"customer_column", o->customer_column, 1},
        {"date_column", o->date_column, 1},
        {"amount_column", o->amount_column, 1},
        {"quantity_column", o->quantity_column, 0},
    };
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        if (cols[i].v < cols[i].min || cols[i].v > MAX_COLUMN)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, cols[i].name, "expected a column number in [%d, %d], got %d",
                                 cols[i].min, MAX_COLUMN, cols[i].v);
    if (o->delimiter < CLV_DELIM_AUTO || o->delimiter > CLV_DELIM_COMMA)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "delimiter", "expected a clv_delimiter (0-2), got %d",
                             o->delimiter);
    if (o->header < CLV_HEADER_AUTO || o->header > CLV_HEADER_NO)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "header", "expected a clv_header_mode (0-2), got %d", o->header);
    if (o->date_format < CLV_DATEFMT_AUTO || o->date_format > CLV_DATEFMT_ISO_DATETIME)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "date_format", "expected a clv_date_format_kind (0-3), got %d",
                             o->date_format);
    if (o->date_pattern) {
        char why[160];
        if (clv_date_pattern_check(o->date_pattern, why, sizeof why) != 0)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, "date_format", "%s, got \"%.64s\"", why, o->date_pattern);
    }
    if (o->amount_kind != CLV_AMOUNT_TOTAL && o->amount_kind != CLV_AMOUNT_UNIT_PRICE)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "amount_kind", "expected a clv_amount_kind (0-1), got %d",
                             o->amount_kind);
    if (o->amount_kind == CLV_AMOUNT_UNIT_PRICE && o->quantity_column == 0 && !o->column_name[3])
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "amount_kind",
                             "unit prices need a quantity column (spend = quantity x unit price); set quantity_column");
    return CLV_OK;
}

int clv__columns_error(clv_error *err, const char *path, int line, int why, int bad_col, const clv__span *tail,
                       int want, int got)
{
    char q[200];
    if (why == CLV__QUOTE_UNTERMINATED)
        return clv_error_set(err, CLV_EINPUT, path, line, NULL,
                             "expected a closing double quote in column %d, got the end of the line (a quoted field "
                             "must end on its line)",
                             bad_col);
    if (why == CLV__QUOTE_TRAILING)
        return clv_error_set(err, CLV_EINPUT, path, line, NULL,
                             "expected a comma after the closing double quote of column %d, got %s", bad_col,
                             clv__quoted(q, sizeof q, tail->s, tail->n));
    return clv_error_set(err, CLV_EINPUT, path, line, NULL, "expected at least %d columns, got %d", want, got);
}

/* the error of an amount or quantity field: not a number (why -1), or one
 * beyond the accepted magnitude or not finite (why -2) */
static int bad_number(clv_error *err, const char *path, int line, const char *field, int why, int col,
                      const char *got)
{
    if (why == -2)
        return clv_error_set(err, CLV_EINPUT, path, line, field, "expected a number in [-%g, %g] in column %d, got %s",
                             CLV_TXLOG_AMOUNT_MAX, CLV_TXLOG_AMOUNT_MAX, col, got);
    return clv_error_set(err, CLV_EINPUT, path, line, field, "expected a number in column %d, got %s", col, got);
}

enum { TXLOG_MAX_COLUMN = 4096 };

static int max4(int a, int b, int c, int d)
{
    int m = a > b ? a : b;
    m = m > c ? m : c;
    return m > d ? m : d;
}

static int split_line(char *line, char *end, int delim, clv__span *f, int want, int *bad_col, int *why,
                      clv__span *tail)
{
    return delim == CLV_DELIM_COMMA ? clv__split_commas(line, end, f, want, bad_col, why, tail)
                                    : split_blanks(line, end, f, want);
}

/* The columns named in o->column_name found in the header line: *want and
 * the 0-based columns set; an error names the missing column and lists the
 * header's names. */
static int columns_by_name(const clv_txlog_opts *o, const char *path, char *line, char *end, int delim, clv__span *f,
                           int *want, int *cc, int *dc, int *ac, int *qc, clv_error *err)
{
    static const char *const fields[4] = {"customer_column", "date_column", "amount_column", "quantity_column"};
    if (o->header == CLV_HEADER_NO)
        return clv_error_set(err, CLV_EINPUT, path, 0, "header",
                             "columns by name need a header line: set header to auto or yes, or give the "
                             "columns by number");
    int bad_col = 0, why = CLV__QUOTE_OK;
    clv__span tail = {NULL, 0};
    int k = split_line(line, end, delim, f, TXLOG_MAX_COLUMN, &bad_col, &why, &tail);
    if (k < 0)
        return clv__columns_error(err, path, 1, why, bad_col, &tail, 0, 0);
    int *cols[4] = {cc, dc, ac, qc};
    for (int i = 0; i < 4; i++) {
        const char *name = o->column_name[i];
        if (!name)
            continue;
        int j = 0;
        while (j < k && !(f[j].n == strlen(name) && memcmp(f[j].s, name, f[j].n) == 0))
            j++;
        if (j < k) {
            *cols[i] = j;
            continue;
        }
        char list[400], q[200];
        size_t n = 0;
        list[0] = '\0';
        for (int c = 0; c < k && n + 60 < sizeof list; c++)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", c ? ", " : "", clv__quoted(q, sizeof q, f[c].s, f[c].n));
        if (k > 0 && n + 60 >= sizeof list)
            snprintf(list + n, sizeof list - n, ", ...");
        return clv_error_set(err, CLV_EINPUT, path, 1, fields[i],
                             "expected a column named %s in the header, got the columns %s",
                             clv__quoted(q, sizeof q, name, strlen(name)), list);
    }
    *want = max4(*cc + 1, *dc + 1, *ac + 1, *qc + 1);
    return CLV_OK;
}


int clv__txlog_scan(const char *path, const clv_txlog_opts *o, const clv_progress *progress, clv__txrow_fn row,
                    void *ctx, clv_txlog_stats *st, clv_error *err)
{
    memset(st, 0, sizeof *st);
    int status = check_opts(o, err);
    if (status != CLV_OK)
        return status;
    /* "-" is standard input (read once, never closed here) */
    const int is_stdin = strcmp(path, "-") == 0;
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    if (!fp)
        return clv_error_set(err, CLV_EIO, path, 0, NULL, "cannot open the transaction log: %s", clv_strerror(errno));
    if (is_stdin)
        path = "standard input";
    double total = 0;
    struct stat sb;
    if (fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode))
        total = (double)sb.st_size;

    int want = max4(o->customer_column, o->date_column, o->amount_column, o->quantity_column);
    int cc = o->customer_column - 1, dc = o->date_column - 1, ac = o->amount_column - 1;
    int qc = o->quantity_column - 1; /* -1: none */
    const int by_name = o->column_name[0] || o->column_name[1] || o->column_name[2] || o->column_name[3];
    clv__lines rd;
    /* gzip by its magic bytes (1f 8b), never by the name */
    int lines_ok = clv__lines_init(&rd, fp, 1) == 0;
    /* columns by name: the whole header is split */
    clv__span *f = malloc((size_t)(by_name ? TXLOG_MAX_COLUMN : want) * sizeof *f);
    if (!lines_ok && errno != ENOMEM) {
        status = clv_error_set(err, CLV_EIO, path, 0, NULL, "cannot read the transaction log: %s", clv_strerror(errno));
        goto done;
    }
    if (!lines_ok || !f) {
        status = clv_error_set(err, CLV_ENOMEM, path, 0, NULL, "out of memory");
        goto done;
    }

    int delim = o->delimiter, started = 0;
    /* the text of the previous row's date and its day: rows of a log sorted
     * by date repeat it, and comparing is cheaper than parsing */
    char prev_date[33] = "";
    size_t prev_date_n = 0;
    int32_t prev_day = 0;
    char *line;
    size_t len;
    int got;
    long rows_seen = 0;
    while ((got = clv__lines_next_text(&rd, &line, &len, &st->lines)) > 0) {
        const long ln = st->lines;
        /* progress in bytes of the file: of the compressed ones for gzip */
        if ((++rows_seen & 0xffff) == 0 &&
            clv_progress_report(progress, "reading", rd.gzip && total > 0 ? (double)ftell(fp) : rd.consumed, total) !=
                CLV_OK) {
            status = clv_error_set(err, CLV_ECANCELLED, path, 0, NULL, "reading was cancelled");
            goto done;
        }
        char *end = line + len;
        int iline = ln > 2147483647L ? 2147483647 : (int)ln;
        char q[200];
        int kind, k, bad_col = 0, why = CLV__QUOTE_OK;
        clv__span tail = {NULL, 0};

        if (!started) {
            started = 1;
            if (delim == CLV_DELIM_AUTO)
                delim = has_comma(line, end) ? CLV_DELIM_COMMA : CLV_DELIM_WHITESPACE;
            st->delimiter = delim;
            if (by_name) {
                status = columns_by_name(o, path, line, end, delim, f, &want, &cc, &dc, &ac, &qc, err);
                if (status != CLV_OK)
                    goto done;
                st->header = 1;
                continue;
            }
            if (o->header == CLV_HEADER_YES) {
                st->header = 1;
                continue;
            }
            if (o->header == CLV_HEADER_AUTO) {
                /* a header when the date column holds no date (in any
                 * accepted form: a data row with a date in another form is
                 * reported below rather than silently dropped) */
                k = delim == CLV_DELIM_COMMA ? clv__split_commas(line, end, f, want, &bad_col, &why, &tail)
                                             : split_blanks(line, end, f, want);
                int32_t d;
                if (k > dc && parse_date(f[dc].s, f[dc].n, o, &d) != 0 &&
                    (o->date_pattern || f[dc].n > 32 || clv_date_parse(f[dc].s, (int)f[dc].n, &d) != 0)) {
                    st->header = 1;
                    continue;
                }
                if (k < 0) {
                    kind = CLV_TXBAD_COLUMNS;
                    goto malformed;
                }
                goto fields; /* the line is split already */
            }
        }
        k = delim == CLV_DELIM_COMMA ? clv__split_commas(line, end, f, want, &bad_col, &why, &tail)
                                     : split_blanks(line, end, f, want);
    fields:
        if (k < want) {
            kind = CLV_TXBAD_COLUMNS;
            goto malformed;
        }
        /* an id is text: one with a NUL byte would be cut short wherever
         * it is used as a string, and two customers could print alike */
        if (f[cc].n == 0 && o->skip_missing_customer) {
            if (st->missing_customer++ == 0)
                st->first_missing_customer_line = ln;
            continue;
        }
        if (f[cc].n == 0 || memchr(f[cc].s, '\0', f[cc].n)) {
            kind = CLV_TXBAD_CUSTOMER;
            goto malformed;
        }
        int32_t day;
        if (f[dc].n == prev_date_n && prev_date_n > 0 && memcmp(f[dc].s, prev_date, prev_date_n) == 0) {
            day = prev_day;
        } else if (parse_date(f[dc].s, f[dc].n, o, &day) == 0) {
            memcpy(prev_date, f[dc].s, f[dc].n);
            prev_date_n = f[dc].n;
            prev_day = day;
        } else {
            kind = CLV_TXBAD_DATE;
            goto malformed;
        }
        double amount, qty = 1;
        if ((why = clv__parse_number(f[ac].s, f[ac].n, &amount)) != 0) {
            kind = CLV_TXBAD_AMOUNT;
            goto malformed;
        }
        if (qc >= 0 && (why = clv__parse_number(f[qc].s, f[qc].n, &qty)) != 0) {
            kind = CLV_TXBAD_QUANTITY;
            goto malformed;
        }
        if (amount < 0 || qty < 0) {
            st->returns++;
            continue;
        }
        double spend = o->amount_kind == CLV_AMOUNT_UNIT_PRICE ? qty * amount : amount;
        if (!(spend <= CLV_TXLOG_AMOUNT_MAX)) { /* a product of two values in range */
            kind = CLV_TXBAD_AMOUNT;
            why = -3;
            goto malformed;
        }
        int32_t pday = 0;
        long pline = 0;
        int rc = row(ctx, f[cc].s, f[cc].n, day, spend, ln, &pday, &pline);
        if (rc > 0) {
            status = rc;
            goto done;
        }
        if (rc < 0) {
            kind = CLV_TXBAD_ORDER;
            if (!o->skip_malformed) {
                char d1[11], d2[11];
                status = clv_error_set(err, CLV_EINPUT, path, iline, NULL,
                                       "customer %s has a row dated %s after one dated %s (line %ld); each "
                                       "customer's rows must be in date order: sort the log by date (or by "
                                       "customer and date)",
                                       clv__quoted(q, sizeof q, f[cc].s, f[cc].n), clv_date_format(day, d1),
                                       clv_date_format(pday, d2), pline);
                goto done;
            }
            goto malformed;
        }
        if (st->rows == 0 || day < st->first_day)
            st->first_day = day;
        if (st->rows == 0 || day > st->last_day)
            st->last_day = day;
        st->rows++;
        st->zero_amounts += spend == 0;
        continue;

    malformed:
        if (o->skip_malformed) {
            if (st->skipped[kind]++ == 0)
                st->first_skipped_line[kind] = ln;
            continue;
        }
        switch (kind) {
        case CLV_TXBAD_COLUMNS:
            status = clv__columns_error(err, path, iline, why, bad_col, &tail, want, k);
            break;
        case CLV_TXBAD_CUSTOMER:
            if (f[cc].n == 0)
                status = clv_error_set(err, CLV_EINPUT, path, iline, "customer",
                                       "expected a customer id in column %d, got an empty field (rows without one "
                                       "are skipped and counted by --skip-missing-customer, "
                                       "skip_missing_customer)",
                                       cc + 1);
            else
                status = clv_error_set(err, CLV_EINPUT, path, iline, "customer",
                                       "expected a customer id in column %d, got %s with a NUL byte (the log must "
                                       "be text: ASCII or UTF-8, not UTF-16)",
                                       cc + 1, clv__quoted(q, sizeof q, f[cc].s, f[cc].n));
            break;
        case CLV_TXBAD_DATE: {
            char ex[120];
            status = clv_error_set(err, CLV_EINPUT, path, iline, "date", "expected %s in column %d, got %s%s",
                                   date_expected(o, ex, sizeof ex), dc + 1, clv__quoted(q, sizeof q, f[dc].s, f[dc].n),
                                   o->date_pattern ? "" : " (another form needs its pattern: --date-format "
                                                          "'%m/%d/%Y %H:%M', date_pattern)");
            break;
        }
        case CLV_TXBAD_AMOUNT:
            if (why == -3) {
                char q2[200];
                status = clv_error_set(err, CLV_EINPUT, path, iline, "amount",
                                       "expected a spend, quantity x unit price, of at most %g, got %g: quantity %s "
                                       "(column %d) x unit price %s (column %d)",
                                       CLV_TXLOG_AMOUNT_MAX, spend, clv__quoted(q, sizeof q, f[qc].s, f[qc].n), qc + 1,
                                       clv__quoted(q2, sizeof q2, f[ac].s, f[ac].n), ac + 1);
                break;
            }
            status = bad_number(err, path, iline, "amount", why, ac + 1, clv__quoted(q, sizeof q, f[ac].s, f[ac].n));
            break;
        default: /* CLV_TXBAD_QUANTITY; order errors are reported above */
            status = bad_number(err, path, iline, "quantity", why, qc + 1, clv__quoted(q, sizeof q, f[qc].s, f[qc].n));
            break;
        }
        goto done;
    }
    if (got == -2) {
        const long ln = st->lines + 1;
        status = clv_error_set(err, CLV_EINPUT, path, ln > 2147483647L ? 2147483647 : (int)ln, NULL,
                               "expected a line of at most %d bytes, got a longer one (is this a text file of "
                               "transactions?)",
                               (int)CLV__LINE_MAX_BYTES);
        goto done;
    }
    if (got == -3) {
        const long ln = st->lines + 1;
        status = clv_error_set(err, CLV_EINPUT, path, ln > 2147483647L ? 2147483647 : (int)ln, NULL,
                               "expected a complete gzip stream, got a damaged or truncated one (gzip -t tells)");
        goto done;
    }
    if (got < 0) {
        status = errno == ENOMEM ? clv_error_set(err, CLV_ENOMEM, path, 0, NULL, "out of memory")
                                 : clv_error_set(err, CLV_EIO, path, 0, NULL, "cannot read the transaction log: %s",
                                                 strerror(errno));
        goto done;
    }
    if (!started)
        st->delimiter = delim == CLV_DELIM_AUTO ? CLV_DELIM_WHITESPACE : delim;
    if (clv_progress_report(progress, "reading", rd.gzip && total > 0 ? total : rd.consumed, total) != CLV_OK)
        status = clv_error_set(err, CLV_ECANCELLED, path, 0, NULL, "reading was cancelled");
done:
    free(f);
    clv__lines_free(&rd);
    if (!is_stdin)
        fclose(fp);
    return status;
}
