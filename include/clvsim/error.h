/* clvsim/error.h - status codes and the structured error every fallible call fills.
 *
 * Every clvsim function that can fail returns an int status (CLV_OK = 0) and,
 * when the caller passes a non-NULL clv_error, describes the failure there:
 * which file and line, which key or field, and a message that says what was
 * wrong and what is accepted.  The library never prints and never exits; the
 * caller decides what to do with the error (the clvsim command prints it as
 * "FILE:LINE: field: message" and turns the code into its exit status).
 */
#ifndef CLVSIM_ERROR_H
#define CLVSIM_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes.  Positive values are errors; 0 is success. */
enum {
    CLV_OK = 0,
    CLV_EINPUT = 1,       /* bad input: a scenario, data file or argument is invalid */
    CLV_EIO = 2,          /* an operating-system I/O call failed */
    CLV_ENOMEM = 3,       /* an allocation failed */
    CLV_ENUMERIC = 4,     /* a numerical routine failed (GSL status, NaN, no convergence) */
    CLV_ECANCELLED = 5,   /* the caller asked to stop (Ctrl-C through a progress callback) */
    CLV_EUNSUPPORTED = 6  /* the capability asked for is not built in this version */
};

enum { CLV_ERROR_FILE_MAX = 1024, CLV_ERROR_FIELD_MAX = 160, CLV_ERROR_MSG_MAX = 640 };

/* A described failure.  Fields that do not apply are empty strings or line 0. */
typedef struct clv_error {
    int code;                         /* one of the CLV_E* codes */
    int line;                         /* 1-based line in file, 0 when not known */
    char file[CLV_ERROR_FILE_MAX];    /* input file the error is about, or "" */
    char field[CLV_ERROR_FIELD_MAX];  /* key path ("calendar.horizon_days") or field name, or "" */
    char msg[CLV_ERROR_MSG_MAX];      /* what is wrong; what is accepted */
} clv_error;

/* Reset *err to "no error".  err may be NULL. */
void clv_error_clear(clv_error *err);

/* Fill *err (when err is non-NULL) and return code.  file and field may be NULL.
 * The message is formatted with printf conventions and truncated to fit. */
int clv_error_set(clv_error *err, int code, const char *file, int line, const char *field,
                  const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* Write "FILE:LINE: field: message" into buf (parts that are empty are left
 * out, e.g. "FILE: message" or "field: message").  Returns buf. */
char *clv_error_format(const clv_error *err, char *buf, size_t n);

/* A short English name for a status code ("input error", "I/O error", ...). */
const char *clv_strstatus(int code);

/* strerror(errnum), except that ENOMEM reads "out of memory", the words of
 * clvsim's own allocation failures (for messages about failed system calls). */
const char *clv_strerror(int errnum);

#ifdef __cplusplus
}
#endif
#endif
