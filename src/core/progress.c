/* progress.c - forwarding progress reports to the caller's callback. */
#include "clvsim/progress.h"

#include "clvsim/error.h"

int clv_progress_report(const clv_progress *p, const char *phase, double done, double total)
{
    if (!p || !p->fn)
        return CLV_OK;
    return p->fn(p->ctx, phase, done, total) ? CLV_ECANCELLED : CLV_OK;
}
