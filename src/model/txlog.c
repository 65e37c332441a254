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

/* ---- lines ---- */

/* A buffered line reader over a FILE.  Lines are handed out in place in its
 * buffer (NUL-terminated, without LF or CRLF), so the caller may modify
 * them; the buffer grows only for a line longer than it, so reading
 * allocates nothing per line. */
typedef struct reader {
    FILE *fp;
    char *buf;
    size_t cap;
    size_t pos, end;  /* unread bytes are buf[pos, end); one byte past end is always free for a NUL */
    size_t scanned;   /* bytes from pos already known to hold no LF */
    int eof;
    double consumed;  /* bytes handed out, for progress reports */
} reader;

/* A line longer than this is not a purchase row: a binary file, /dev/zero,
 * a file of one huge line; the buffer would otherwise grow until memory
 * runs out. */
enum { LINE_MAX_BYTES = 1 << 20 };

/* 1 and the next line, 0 at the end of the file, -1 on a read error or when
 * memory runs out (errno tells which), -2 for a line of LINE_MAX_BYTES or
 * more */
static int next_line(reader *r, char **line, size_t *len)
{
    for (;;) {
        char *s = r->buf + r->pos;
        size_t avail = r->end - r->pos;
        char *nl = avail > r->scanned ? memchr(s + r->scanned, '\n', avail - r->scanned) : NULL;
        if (nl || (r->eof && avail > 0)) {
            size_t n = nl ? (size_t)(nl - s) : avail;
            if (n > LINE_MAX_BYTES)
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
        if (avail > LINE_MAX_BYTES)
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
        size_t k = fread(r->buf + r->end, 1, r->cap - r->end - 1, r->fp);
        /* an error ends the read even when fread returns what it got
         * before it: reading on would block again on a pipe whose read a
         * stop signal interrupted (EINTR) */
        if (ferror(r->fp))
            return -1;
        if (k == 0)
            r->eof = 1;
        r->end += k;
    }
}

/* ---- fields ---- */

typedef struct span {
    char *s;   /* NUL-terminated in place */
    size_t n;
} span;

static int blank(char c) { return c == ' ' || c == '\t'; }

/* Split a line at runs of blanks and tabs (leading and trailing ones
 * ignored) into its first `want` fields.  Returns the number found: all of
 * the line's fields when it has fewer than want. */
static int split_blanks(char *p, char *end, span *f, int want)
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

/* Quote problems of a comma-separated line */
enum { QUOTE_OK = 0, QUOTE_UNTERMINATED, QUOTE_TRAILING };

/* Split a comma-separated line into its first `want` fields.  A field may be
 * quoted (RFC 4180): "a,b" is a,b and "" inside quotes is one quote; blanks
 * around a field are not part of it (they are in a quoted field's inside).
 * Quoted fields are unescaped in place.  Returns the number of fields found
 * (all of them when fewer than want), or -1 with *bad_col (1-based) and
 * *why (QUOTE_*) and, for QUOTE_TRAILING, the offending text in *tail. */
static int split_commas(char *p, char *end, span *f, int want, int *bad_col, int *why, span *tail)
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
                    *why = QUOTE_UNTERMINATED;
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
                *why = QUOTE_TRAILING;
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

static int blank_line(const char *p, const char *end)
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
static int parse_number(const char *s, size_t n, double *v)
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

/* A date in the given clv_date_format_kind; 0, or -1 */
static int parse_date(const char *s, size_t n, int fmt, int32_t *d)
{
    if ((fmt == CLV_DATEFMT_YYYYMMDD && n != 8) || (fmt == CLV_DATEFMT_ISO_DATE && n != 10) ||
        (fmt == CLV_DATEFMT_ISO_DATETIME && n <= 10) || n > 32)
        return -1;
    return clv_date_parse(s, (int)n, d);
}

static const char *date_expected(int fmt)
{
    switch (fmt) {
    case CLV_DATEFMT_YYYYMMDD: return "a date YYYYMMDD";
    case CLV_DATEFMT_ISO_DATE: return "a date YYYY-MM-DD";
    case CLV_DATEFMT_ISO_DATETIME: return "a date-time YYYY-MM-DD hh:mm[:ss]";
    default: return "a date YYYYMMDD, YYYY-MM-DD or YYYY-MM-DD hh:mm[:ss]";
    }
}

/* s[0, n) in double quotes for a message: at most 40 bytes of it (then
 * "..."), quotes and backslashes escaped, control bytes as \xNN */
static const char *quoted(char *buf, size_t size, const char *s, size_t n)
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
    if (o->amount_kind != CLV_AMOUNT_TOTAL && o->amount_kind != CLV_AMOUNT_UNIT_PRICE)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "amount_kind", "expected a clv_amount_kind (0-1), got %d",
                             o->amount_kind);
    if (o->amount_kind == CLV_AMOUNT_UNIT_PRICE && o->quantity_column == 0)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "amount_kind",
                             "unit prices need a quantity column (spend = quantity x unit price); set quantity_column");
    return CLV_OK;
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

static int max4(int a, int b, int c, int d)
{
    int m = a > b ? a : b;
    m = m > c ? m : c;
    return m > d ? m : d;
}

int clv__txlog_scan(const char *path, const clv_txlog_opts *o, const clv_progress *progress, clv__txrow_fn row,
                    void *ctx, clv_txlog_stats *st, clv_error *err)
{
    memset(st, 0, sizeof *st);
    int status = check_opts(o, err);
    if (status != CLV_OK)
        return status;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return clv_error_set(err, CLV_EIO, path, 0, NULL, "cannot open the transaction log: %s", clv_strerror(errno));
    double total = 0;
    struct stat sb;
    if (fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode))
        total = (double)sb.st_size;

    const int want = max4(o->customer_column, o->date_column, o->amount_column, o->quantity_column);
    const int cc = o->customer_column - 1, dc = o->date_column - 1, ac = o->amount_column - 1;
    const int qc = o->quantity_column - 1; /* -1: none */
    reader rd = {.fp = fp, .cap = (size_t)1 << 18};
    rd.buf = malloc(rd.cap);
    span *f = malloc((size_t)want * sizeof *f);
    if (!rd.buf || !f) {
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
    while ((got = next_line(&rd, &line, &len)) > 0) {
        long ln = ++st->lines;
        if ((ln & 0xffff) == 0 && clv_progress_report(progress, "reading", rd.consumed, total) != CLV_OK) {
            status = clv_error_set(err, CLV_ECANCELLED, path, 0, NULL, "reading was cancelled");
            goto done;
        }
        if (ln == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
            line += 3; /* a UTF-8 byte-order mark, as spreadsheets write */
            len -= 3;
        }
        char *end = line + len;
        if (blank_line(line, end))
            continue;
        int iline = ln > 2147483647L ? 2147483647 : (int)ln;
        char q[200];
        int kind, k, bad_col = 0, why = QUOTE_OK;
        span tail = {NULL, 0};

        if (!started) {
            started = 1;
            if (delim == CLV_DELIM_AUTO)
                delim = has_comma(line, end) ? CLV_DELIM_COMMA : CLV_DELIM_WHITESPACE;
            st->delimiter = delim;
            if (o->header == CLV_HEADER_YES) {
                st->header = 1;
                continue;
            }
            if (o->header == CLV_HEADER_AUTO) {
                /* a header when the date column holds no date (in any
                 * accepted form: a data row with a date in another form is
                 * reported below rather than silently dropped) */
                k = delim == CLV_DELIM_COMMA ? split_commas(line, end, f, want, &bad_col, &why, &tail)
                                             : split_blanks(line, end, f, want);
                int32_t d;
                if (k > dc && (f[dc].n > 32 || clv_date_parse(f[dc].s, (int)f[dc].n, &d) != 0)) {
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
        k = delim == CLV_DELIM_COMMA ? split_commas(line, end, f, want, &bad_col, &why, &tail)
                                     : split_blanks(line, end, f, want);
    fields:
        if (k < want) {
            kind = CLV_TXBAD_COLUMNS;
            goto malformed;
        }
        /* an id is text: one with a NUL byte would be cut short wherever
         * it is used as a string, and two customers could print alike */
        if (f[cc].n == 0 || memchr(f[cc].s, '\0', f[cc].n)) {
            kind = CLV_TXBAD_CUSTOMER;
            goto malformed;
        }
        int32_t day;
        if (f[dc].n == prev_date_n && prev_date_n > 0 && memcmp(f[dc].s, prev_date, prev_date_n) == 0) {
            day = prev_day;
        } else if (parse_date(f[dc].s, f[dc].n, o->date_format, &day) == 0) {
            memcpy(prev_date, f[dc].s, f[dc].n);
            prev_date_n = f[dc].n;
            prev_day = day;
        } else {
            kind = CLV_TXBAD_DATE;
            goto malformed;
        }
        double amount, qty = 1;
        if ((why = parse_number(f[ac].s, f[ac].n, &amount)) != 0) {
            kind = CLV_TXBAD_AMOUNT;
            goto malformed;
        }
        if (qc >= 0 && (why = parse_number(f[qc].s, f[qc].n, &qty)) != 0) {
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
                                       quoted(q, sizeof q, f[cc].s, f[cc].n), clv_date_format(day, d1),
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
            if (why == QUOTE_UNTERMINATED)
                status = clv_error_set(err, CLV_EINPUT, path, iline, NULL,
                                       "expected a closing double quote in column %d, got the end of the line "
                                       "(a quoted field must end on its line)",
                                       bad_col);
            else if (why == QUOTE_TRAILING)
                status = clv_error_set(err, CLV_EINPUT, path, iline, NULL,
                                       "expected a comma after the closing double quote of column %d, got %s",
                                       bad_col, quoted(q, sizeof q, tail.s, tail.n));
            else
                status = clv_error_set(err, CLV_EINPUT, path, iline, NULL, "expected at least %d columns, got %d",
                                       want, k);
            break;
        case CLV_TXBAD_CUSTOMER:
            if (f[cc].n == 0)
                status = clv_error_set(err, CLV_EINPUT, path, iline, "customer",
                                       "expected a customer id in column %d, got an empty field", cc + 1);
            else
                status = clv_error_set(err, CLV_EINPUT, path, iline, "customer",
                                       "expected a customer id in column %d, got %s with a NUL byte (the log must "
                                       "be text: ASCII or UTF-8, not UTF-16)",
                                       cc + 1, quoted(q, sizeof q, f[cc].s, f[cc].n));
            break;
        case CLV_TXBAD_DATE:
            status = clv_error_set(err, CLV_EINPUT, path, iline, "date", "expected %s in column %d, got %s",
                                   date_expected(o->date_format), dc + 1, quoted(q, sizeof q, f[dc].s, f[dc].n));
            break;
        case CLV_TXBAD_AMOUNT:
            if (why == -3) {
                char q2[200];
                status = clv_error_set(err, CLV_EINPUT, path, iline, "amount",
                                       "expected a spend, quantity x unit price, of at most %g, got %g: quantity %s "
                                       "(column %d) x unit price %s (column %d)",
                                       CLV_TXLOG_AMOUNT_MAX, spend, quoted(q, sizeof q, f[qc].s, f[qc].n), qc + 1,
                                       quoted(q2, sizeof q2, f[ac].s, f[ac].n), ac + 1);
                break;
            }
            status = bad_number(err, path, iline, "amount", why, ac + 1, quoted(q, sizeof q, f[ac].s, f[ac].n));
            break;
        default: /* CLV_TXBAD_QUANTITY; order errors are reported above */
            status = bad_number(err, path, iline, "quantity", why, qc + 1, quoted(q, sizeof q, f[qc].s, f[qc].n));
            break;
        }
        goto done;
    }
    if (got == -2) {
        const long ln = st->lines + 1;
        status = clv_error_set(err, CLV_EINPUT, path, ln > 2147483647L ? 2147483647 : (int)ln, NULL,
                               "expected a line of at most %d bytes, got a longer one (is this a text file of "
                               "transactions?)",
                               (int)LINE_MAX_BYTES);
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
    if (clv_progress_report(progress, "reading", rd.consumed, total) != CLV_OK)
        status = clv_error_set(err, CLV_ECANCELLED, path, 0, NULL, "reading was cancelled");
done:
    free(f);
    free(rd.buf);
    fclose(fp);
    return status;
}
