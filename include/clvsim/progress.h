/* clvsim/progress.h - progress reports and cancellation of long work.
 *
 * Long library calls take an optional clv_progress.  They call it now and
 * then with the phase they are in and how far they are; the caller draws a
 * progress bar (the clvsim command does, on a terminal) or ignores it.  When
 * the callback returns non-zero the call stops at the next safe point,
 * cleans up and returns CLV_ECANCELLED: this is how Ctrl-C stops a run
 * without leaving half-written files.
 */
#ifndef CLVSIM_PROGRESS_H
#define CLVSIM_PROGRESS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Report that `done` of `total` units of `phase` are complete (total 0:
 * unknown).  Return 0 to go on, non-zero to cancel. */
typedef int (*clv_progress_fn)(void *ctx, const char *phase, double done, double total);

typedef struct clv_progress {
    clv_progress_fn fn;  /* NULL: no reports, never cancelled */
    void *ctx;
} clv_progress;

/* Report through p (which may be NULL).  Returns CLV_OK, or CLV_ECANCELLED
 * when the callback asks to stop. */
int clv_progress_report(const clv_progress *p, const char *phase, double done, double total);

#ifdef __cplusplus
}
#endif
#endif
