/* report_scenario.c - a scenario in a few lines of text (what clvsim run prints first). */
#include "clvsim/report.h"

#include <stdio.h>

#include "clvsim/date.h"
#include "clvsim/parallel.h"

void clv_report_scenario(FILE *fp, const clv_scenario *s)
{
    const char *cur = s->economics.currency;
    fprintf(fp, "scenario       %s%s%s\n", s->scenario.name, s->scenario.description[0] ? " - " : "",
            s->scenario.description);
    fprintf(fp, "seed           %lld\n", (long long)s->scenario.seed);
    int32_t start;
    char a[16], b[16];
    clv_date_parse(s->calendar.start, -1, &start);
    int epochs = (s->calendar.horizon_days + s->calendar.epoch_days - 1) / s->calendar.epoch_days;
    fprintf(fp, "calendar       %s to %s (%d days), a decision every %d days (%d epochs)\n",
            clv_date_format(start, a), clv_date_format(start + s->calendar.horizon_days - 1, b),
            s->calendar.horizon_days, s->calendar.epoch_days, epochs);
    const char *unit = clv_scn_enum_name("population.unit", s->population.unit);
    if (s->population.source == CLV_SOURCE_FIT)
        fprintf(fp, "population     to be fitted to %s (calibration to %s)\n", s->data.transactions,
                s->data.calibration_end);
    else if (s->population.model == CLV_MODEL_BGNBD)
        fprintf(fp, "population     BG/NBD r=%g alpha=%g a=%g b=%g (per %s)\n", s->population.bgnbd.r,
                s->population.bgnbd.alpha, s->population.bgnbd.a, s->population.bgnbd.b, unit);
    else
        fprintf(fp, "population     Pareto/NBD r=%g alpha=%g s=%g beta=%g (per %s)\n", s->population.pareto.r,
                s->population.pareto.alpha, s->population.pareto.s, s->population.pareto.beta, unit);
    fprintf(fp, "spend          Gamma-Gamma p=%g q=%g gamma=%g %s\n", s->population.spend.p,
            s->population.spend.q, s->population.spend.gamma, cur);
    fprintf(fp, "customers      %lld existing (x%g scale), %g new a day, %d-day burn-in\n",
            (long long)s->population.customers, s->run.scale, s->acquisition.rate_per_day,
            s->population.burn_in_days);
    fprintf(fp, "seasonality    %s", s->seasonality.enabled ? "" : "off");
    for (int i = 0; s->seasonality.enabled && i < s->seasonality.n_windows; i++) {
        const clv_scn_window *w = &s->seasonality.windows[i];
        fprintf(fp, "%s%s %s..%s x%g", i ? "; " : "", w->name, w->start, w->end, w->purchase_multiplier);
    }
    if (s->seasonality.enabled && s->seasonality.n_windows == 0)
        fputs("day of week only", fp);
    fputc('\n', fp);
    fprintf(fp, "coupons        ");
    for (int i = 0; i < s->interventions.n_coupons; i++) {
        const clv_scn_coupon *c = &s->interventions.coupons[i];
        fprintf(fp, "%s\"%s\" %g%% off for %d days", i ? ", " : "", c->name, 100 * c->discount, c->validity_days);
    }
    if (s->interventions.n_coupons == 0)
        fputs("none", fp);
    fputc('\n', fp);
    fprintf(fp, "prices         ");
    for (int i = 0; i < s->interventions.n_prices; i++)
        fprintf(fp, "%sx%g", i ? ", " : "", s->interventions.prices[i]);
    fputc('\n', fp);
    fprintf(fp, "budget         ");
    if (s->interventions.budget_per_epoch < 0)
        fprintf(fp, "unlimited per epoch, ");
    else
        fprintf(fp, "%g %s per epoch, ", s->interventions.budget_per_epoch, cur);
    if (s->interventions.budget_total < 0)
        fprintf(fp, "unlimited in total\n");
    else
        fprintf(fp, "%g %s in total\n", s->interventions.budget_total, cur);
    fprintf(fp, "policies       ");
    for (int i = 0; i < s->evaluation.n_policies; i++)
        fprintf(fp, "%s%s", i ? ", " : "", clv_scn_enum_name("evaluation.policies", s->evaluation.policies[i]));
    fprintf(fp, " (%d replications)\n", s->evaluation.replications);
    fprintf(fp, "threads        %d\n", clv_threads_resolve(s->run.threads));
    fprintf(fp, "output         %s\n", s->output.dir);
}
