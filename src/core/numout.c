/* numout.c - numbers in text outputs: finite ones written, the first non-finite one recorded and reported. */
#include "clvsim/io.h"

#include <assert.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

/* The parts of a number format: text before the conversion [0, start),
 * the conversion [start, end) of width `width`, text after it [end, ...). */
typedef struct conv {
    size_t start, end;
    int width;
} conv;

static int is_double_conv(char c) { return c && strchr("fFeEgGaA", c) != NULL; }

/* 0 and the one double conversion of fmt, or -1 */
static int parse_fmt(const char *fmt, conv *c)
{
    int found = 0;
    for (size_t i = 0; fmt[i]; i++) {
        if (fmt[i] != '%')
            continue;
        if (fmt[i + 1] == '%') {
            i++;
            continue;
        }
        if (found)
            return -1;
        size_t j = i + 1;
        while (fmt[j] && strchr("-+ #0'", fmt[j]))
            j++;
        int w = 0;
        while (fmt[j] >= '0' && fmt[j] <= '9')
            w = w * 10 + (fmt[j++] - '0');
        if (fmt[j] == '.')
            for (j++; fmt[j] >= '0' && fmt[j] <= '9'; j++)
                ;
        if (!is_double_conv(fmt[j]))
            return -1;
        c->start = i, c->end = j + 1, c->width = w;
        found = 1;
        i = j;
    }
    return found ? 0 : -1;
}

/* literal text fmt[a, b) ("%%" is one '%') */
static int put_text(FILE *fp, const char *fmt, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++) {
        if (fmt[i] == '%' && fmt[i + 1] == '%')
            i++;
        if (fputc(fmt[i], fp) == EOF)
            return -1;
    }
    return 0;
}

static int put_around(FILE *fp, const char *fmt, const conv *c)
{
    if (put_text(fp, fmt, 0, c->start) != 0 || fprintf(fp, "%*s", c->width, "") < 0)
        return -1;
    return put_text(fp, fmt, c->end, strlen(fmt));
}

int clv_num_ok(clv_numcheck *chk, FILE *fp, const char *column, double v)
{
    if (isfinite(v))
        return 1;
    assert(chk != NULL);
    if (chk && !chk->bad) {
        chk->bad = 1;
        chk->value = v;
        chk->offset = fp ? ftell(fp) : -1; /* also -1 for a pipe */
        snprintf(chk->column, sizeof chk->column, "%s", column ? column : "");
    }
    return 0;
}

static int put(FILE *fp, clv_numcheck *chk, const char *column, const char *fmt, double v, int nan_blank)
{
    conv c;
    const int ok = parse_fmt(fmt, &c) == 0;
    assert(ok && "clv_put_num: fmt needs exactly one conversion of a double");
    if (!ok)
        return -1;
    if (isfinite(v))
        return fprintf(fp, fmt, v) < 0 ? -1 : 0;
    if (!(nan_blank && isnan(v)))
        clv_num_ok(chk, fp, column, v);
    return put_around(fp, fmt, &c);
}

int clv_put_num(FILE *fp, clv_numcheck *chk, const char *column, const char *fmt, double v)
{
    return put(fp, chk, column, fmt, v, 0);
}

int clv_put_opt(FILE *fp, clv_numcheck *chk, const char *column, const char *fmt, double v)
{
    return put(fp, chk, column, fmt, v, 1);
}

int clv_put_blank(FILE *fp, const char *fmt)
{
    conv c;
    const int ok = parse_fmt(fmt, &c) == 0;
    assert(ok && "clv_put_blank: fmt needs exactly one conversion of a double");
    return ok ? put_around(fp, fmt, &c) : -1;
}

/* the 1-based line of byte offset off of the file behind fp, or 0 */
static long line_of(FILE *fp, long off)
{
    const int fd = fileno(fp);
    if (off < 0 || fd < 0 || fflush(fp) != 0)
        return 0;
    char buf[8192];
    long line = 1, at = 0;
    while (at < off) {
        const size_t want = (size_t)(off - at) < sizeof buf ? (size_t)(off - at) : sizeof buf;
        const ssize_t k = pread(fd, buf, want, (off_t)at);
        if (k <= 0)
            return 0; /* not readable (opened for writing only, or a pipe) */
        for (ssize_t i = 0; i < k; i++)
            line += buf[i] == '\n';
        at += k;
    }
    return line;
}

int clv_numcheck_error(const clv_numcheck *chk, FILE *fp, const char *file, clv_error *err)
{
    if (!chk || !chk->bad)
        return CLV_OK;
    const long line = fp ? line_of(fp, chk->offset) : 0;
    return clv_error_set(err, CLV_ENUMERIC, file, line > 2147483647L ? 0 : (int)line, chk->column,
                         "not a finite number (%s); clvsim writes no inf or nan, so the output is refused",
                         isnan(chk->value) ? "nan" : chk->value > 0 ? "inf" : "-inf");
}

void clv_put_csv_text(FILE *fp, const char *text)
{
    if (!strpbrk(text, ",\"\r\n")) {
        fputs(text, fp);
        return;
    }
    fputc('"', fp);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            fputc('"', fp);
        fputc(*p, fp);
    }
    fputc('"', fp);
}
