/* error.c - filling and formatting clv_error. */
#include "clvsim/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void clv_error_clear(clv_error *err)
{
    if (!err)
        return;
    err->code = CLV_OK;
    err->line = 0;
    err->file[0] = err->field[0] = err->msg[0] = '\0';
}

int clv_error_set(clv_error *err, int code, const char *file, int line, const char *field,
                  const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    err->line = line;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

char *clv_error_format(const clv_error *err, char *buf, size_t n)
{
    if (n == 0)
        return buf;
    buf[0] = '\0';
    if (!err)
        return buf;
    size_t len = 0;
    /* append with truncation; snprintf returns the would-be length */
#define APPEND(...)                                                        \
    do {                                                                   \
        if (len < n) {                                                     \
            int k_ = snprintf(buf + len, n - len, __VA_ARGS__);            \
            len += k_ > 0 ? (size_t)k_ : 0;                                \
        }                                                                  \
    } while (0)
    if (err->file[0]) {
        if (err->line > 0)
            APPEND("%s:%d: ", err->file, err->line);
        else
            APPEND("%s: ", err->file);
    }
    if (err->field[0])
        APPEND("%s: ", err->field);
    APPEND("%s", err->msg[0] ? err->msg : clv_strstatus(err->code));
#undef APPEND
    return buf;
}

const char *clv_strstatus(int code)
{
    switch (code) {
    case CLV_OK: return "success";
    case CLV_EINPUT: return "input error";
    case CLV_EIO: return "I/O error";
    case CLV_ENOMEM: return "out of memory";
    case CLV_ENUMERIC: return "numerical failure";
    case CLV_ECANCELLED: return "cancelled";
    case CLV_EUNSUPPORTED: return "not available in this version";
    default: return "unknown error";
    }
}

const char *clv_strerror(int errnum)
{
    return errnum == ENOMEM ? "out of memory" : strerror(errnum);
}
