/* clvsim/progress.h - progress reports and cancellation of long work.
 *
 * Long library calls take an optional clv_progress.  They call it now and
 * then with the phase they are in and how far they are; the caller draws a
 * progress bar (the clvsim command does, on a terminal) or ignores it.  When
 * the callback returns non-zero the call stops at the next safe point,
 * cleans up and returns CLV_ECANCELLED: this is how Ctrl-C stops a run
 * without leaving half-written files.
 *
 * Reports come at a pace fit for a progress bar (an episode, an epoch of
 * the network, an iteration of a fit), which can be a second or more
 * apart.  To stop within a fraction of a second, a caller also gives
 * `cancelled`, a cheap question the library asks far more often: between
 * the simulator's epochs, mini-batches, customers of a long loop, and from
 * worker threads inside a likelihood evaluation.
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
    clv_progress_fn fn;  /* NULL: no reports */
    void *ctx;
    /* Optional (NULL: only fn's answers count): non-zero to cancel.  Called
     * with ctx from any thread, often (in loops whose steps take
     * milliseconds), so it must be thread-safe, cheap (read a flag: no
     * system call, no lock) and draw nothing. */
    int (*cancelled)(void *ctx);
} clv_progress;

/* Report through p (which may be NULL).  Returns CLV_OK, or CLV_ECANCELLED
 * when p->cancelled or the callback asks to stop. */
int clv_progress_report(const clv_progress *p, const char *phase, double done, double total);

/* Ask p->cancelled only (no report): CLV_ECANCELLED or CLV_OK.  p may be
 * NULL.  Thread-safe when p->cancelled is. */
int clv_progress_poll(const clv_progress *p);

/* ---- stopping a program cleanly on a signal ----
 *
 * What the clvsim command does, for any program that wants Ctrl-C to stop
 * its long calls cleanly.  clv_stop_on_signals installs a handler for
 * SIGINT, SIGTERM and SIGHUP (leaving alone a signal the process ignores,
 * as a shell's background job ignores SIGINT and nohup SIGHUP).  After the
 * first of them, clv_stop_signal returns its number and clv_stop_cancelled,
 * given as a clv_progress.cancelled, answers 1: long calls then stop at
 * their next safe point, remove what they staged and return CLV_ECANCELLED.
 * The signal also interrupts a read of the main thread blocked on a pipe
 * (no SA_RESTART; it is passed on to the main thread when another thread
 * took it).  A second signal is a forced stop: the temporary files of
 * clvsim/io.h still open are removed (clv_afile_unlink_all) and the
 * process ends by the signal's default action.
 *
 * Call clv_stop_on_signals once, from the main thread, before starting
 * threads; CLV_OK, or CLV_EIO when sigaction fails.  This is the only
 * call of the library that changes the process's signal dispositions, and
 * only when asked. */
int clv_stop_on_signals(void);
/* The number of the first stop signal since clv_stop_on_signals, else 0
 * (async-signal-safe, thread-safe). */
int clv_stop_signal(void);
/* 1 after a stop signal, else 0: a clv_progress.cancelled (ctx unused). */
int clv_stop_cancelled(void *ctx);

#ifdef __cplusplus
}
#endif
#endif
