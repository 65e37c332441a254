/* txlog_internal.h - the transaction-log scanner shared by txlog.c and rfm.c, and the CSV pieces the experiment reader shares (internal to src/model). */
#ifndef CLVSIM_TXLOG_INTERNAL_H
#define CLVSIM_TXLOG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <zlib.h>

#include "clvsim/progress.h"
#include "clvsim/txlog.h"

/* The scanner behind clv_rfm_read (rfm.c).  It reads the log at path with
 * the options o and calls row once per valid purchase row (returns are
 * counted and not passed on) with the customer id (not NUL-terminated),
 * the day, the row's spend and its 1-based line.  row returns 0 to accept
 * the row, a CLV_E* status to stop with it (err filled), or -1 when the row
 * is dated before an earlier row of the same customer, with that row's day
 * and line in *prev_day and *prev_line: the scanner then reports or skips
 * it as a malformed row of kind "order".  The scanner fills every field of
 * *st except customers, transactions and merged_rows, which are row's.
 */
typedef int (*clv__txrow_fn)(void *ctx, const char *id, size_t id_len, int32_t day, double spend, long line,
                             int32_t *prev_day, long *prev_line);
int clv__txlog_scan(const char *path, const clv_txlog_opts *o, const clv_progress *progress, clv__txrow_fn row,
                    void *ctx, clv_txlog_stats *st, clv_error *err);


/* ---- the pieces of a CSV reader (txlog.c), shared with response_read.c ---- */

/* A line longer than this is not a data row: a binary file, /dev/zero, a
 * file of one huge line; the buffer would otherwise grow until memory runs
 * out. */
enum { CLV__LINE_MAX_BYTES = 1 << 20 };

/* A buffered line reader over a FILE, plain or (when asked) gzip.  Lines
 * are handed out in place in its buffer (NUL-terminated, without LF or
 * CRLF), so the caller may modify them; the buffer grows only for a line
 * longer than it, so reading allocates nothing per line. */
typedef struct clv__lines {
    FILE *fp;
    char *buf;
    size_t cap;
    size_t pos, end;  /* unread bytes are buf[pos, end); one byte past end is always free for a NUL */
    size_t scanned;   /* bytes from pos already known to hold no LF */
    int eof;
    double consumed;  /* bytes handed out, for progress reports */
    /* gzip: the compressed input and zlib's state */
    int gzip, zin_eof, member_end;
    z_stream *zs;
    unsigned char *zin;
} clv__lines;

/* Start reading fp.  With gzip_ok the first block is read at once, and a
 * file that starts with gzip's magic bytes (1f 8b) is decompressed
 * (members may be concatenated); r->gzip tells.  0, or -1 with errno
 * (ENOMEM, or a read error).  clv__lines_free in every case. */
int clv__lines_init(clv__lines *r, FILE *fp, int gzip_ok);
void clv__lines_free(clv__lines *r);

/* 1 and the next line, 0 at the end of the file, -1 on a read error or when
 * memory runs out (errno tells which), -2 for a line of CLV__LINE_MAX_BYTES
 * or more, -3 for a damaged or truncated gzip stream. */
int clv__lines_next(clv__lines *r, char **line, size_t *len);

/* As clv__lines_next, but the next line that is not blank (only blanks
 * and tabs), with a UTF-8 byte-order mark dropped from the file's first
 * line; *lines counts every line read, blank ones too (so that it is the
 * 1-based line number of the line returned). */
int clv__lines_next_text(clv__lines *r, char **line, size_t *len, long *lines);

/* A field of a line, NUL-terminated in place. */
typedef struct clv__span {
    char *s;
    size_t n;
} clv__span;

/* Quote problems of a comma-separated line */
enum { CLV__QUOTE_OK = 0, CLV__QUOTE_UNTERMINATED, CLV__QUOTE_TRAILING };

/* Split a comma-separated line p[0, end) into its first `want` fields
 * (RFC 4180 quotes, unescaped in place; blanks around a field dropped).
 * Returns the number found (all of them when fewer than want), or -1 with
 * *bad_col (1-based), *why (CLV__QUOTE_*) and for CLV__QUOTE_TRAILING the
 * offending text in *tail. */
int clv__split_commas(char *p, char *end, clv__span *f, int want, int *bad_col, int *why, clv__span *tail);

/* The error of a line that clv__split_commas refused (why, bad_col, tail)
 * or that has got < want fields (why CLV__QUOTE_OK): CLV_EINPUT. */
int clv__columns_error(clv_error *err, const char *path, int line, int why, int bad_col, const clv__span *tail,
                       int want, int got);

/* 1 when p[0, end) holds only blanks and tabs */
int clv__blank_line(const char *p, const char *end);

/* A decimal number filling s[0, n) (s[n] a NUL): 0 with *v; -1 when it is
 * not a number; -2 when it is beyond CLV_TXLOG_AMOUNT_MAX in magnitude or
 * not finite. */
int clv__parse_number(const char *s, size_t n, double *v);

/* s[0, n) in double quotes for a message (at most 40 bytes of it, escaped)
 * into buf (size bytes, at least 200); returns buf. */
const char *clv__quoted(char *buf, size_t size, const char *s, size_t n);

#endif
