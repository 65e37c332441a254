/* progress.c - forwarding progress reports to the caller's callback, and polls for cancellation. */
#include "clvsim/progress.h"

#include "clvsim/error.h"

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
