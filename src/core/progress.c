/* progress.c - forwarding progress reports to the caller's callback, polls for cancellation, and the stop signals. */
#include "clvsim/progress.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "clvsim/error.h"
#include "clvsim/io.h"

int clv_progress_report(const clv_progress *p, const char *phase, double done, double total)
{
    if (!p)
        return CLV_OK;
    if (p->cancelled && p->cancelled(p->ctx))
        return CLV_ECANCELLED;
    if (!p->fn)
        return CLV_OK;
    return p->fn(p->ctx, phase, done, total) ? CLV_ECANCELLED : CLV_OK;
}

int clv_progress_poll(const clv_progress *p)
{
    return p && p->cancelled && p->cancelled(p->ctx) ? CLV_ECANCELLED : CLV_OK;
}

static volatile sig_atomic_t stop_signal;  /* the first stop signal, 0: none */
static volatile sig_atomic_t forwarding;   /* that signal is being passed on to the main thread */
static struct sigaction default_action;    /* SIG_DFL, made before the handler is installed */
static pthread_t main_thread;

/* Only async-signal-safe calls here. */
static void on_stop_signal(int sig)
{
    const int saved_errno = errno, on_main = pthread_equal(pthread_self(), main_thread);
    if (forwarding && on_main) {
        forwarding = 0; /* the copy passed on below: it only interrupts a blocking call */
        return;
    }
    if (!stop_signal) {
        stop_signal = sig;
        /* the kernel gives a signal sent to the process to any thread that
         * does not block it: pass it on, so that a read of the main thread
         * blocked on a pipe returns EINTR */
        if (!on_main) {
            forwarding = 1;
            pthread_kill(main_thread, sig);
        }
        errno = saved_errno;
        return;
    }
    clv_afile_unlink_all();
    sigaction(sig, &default_action, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
}

int clv_stop_on_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    enum { N = sizeof sigs / sizeof *sigs };
    main_thread = pthread_self();
    memset(&default_action, 0, sizeof default_action);
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal; /* no SA_RESTART: a blocked read returns EINTR */
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < N; i++)
        sigaddset(&sa.sa_mask, sigs[i]); /* one handler at a time */
    for (int i = 0; i < N; i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) != 0 || (old.sa_handler != SIG_IGN && sigaction(sigs[i], &sa, NULL) != 0))
            return CLV_EIO;
    }
    return CLV_OK;
}

int clv_stop_signal(void)
{
    return stop_signal;
}

int clv_stop_cancelled(void *ctx)
{
    (void)ctx;
    return stop_signal != 0;
}
