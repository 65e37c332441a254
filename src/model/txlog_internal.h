/* txlog_internal.h - the transaction-log scanner shared by txlog.c and rfm.c (internal to src/model). */
#ifndef CLVSIM_TXLOG_INTERNAL_H
#define CLVSIM_TXLOG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

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

#endif
