/* state.c - discretising a customer's observation into the state of the tabular agents. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "clvsim/agent.h"

void clv_state_map_init(clv_state_map *m, const clv_scenario *scn)
{
    const clv_scn_agent *a = &scn->agent;
    memset(m, 0, sizeof *m);
    m->use_stage = a->bins_stage;
    m->use_season = a->bins_season_phase;
    m->n_rec = a->n_bins_recency_days;
    m->n_freq = a->n_bins_frequency;
    m->n_age = a->n_bins_coupon_age_days;
    memcpy(m->rec, a->bins_recency_days, sizeof m->rec);
    memcpy(m->freq, a->bins_frequency, sizeof m->freq);
    memcpy(m->age, a->bins_coupon_age_days, sizeof m->age);
    m->n_ltv = a->bins_ltv_quantiles;
    m->n_pbuy = a->bins_pbuy_quantiles;
    for (int k = 0; k < 20; k++)
        m->ltv_cut[k] = m->pbuy_cut[k] = INFINITY;
    m->n_states = (size_t)(m->use_stage ? CLV_STAGE_N : 1) * (size_t)(m->n_rec + 1) * (size_t)(m->n_freq + 1) *
                  (size_t)m->n_ltv * (size_t)m->n_pbuy * (size_t)(m->n_age + 1) * (size_t)(m->use_season ? 3 : 1);
}

/* the bins - 1 quantile cuts of values[0..n) (sorted in place) */
static void fit_cuts(double *cut, int bins, double *values, size_t n)
{
    if (n == 0 || bins < 2)
        return;
    gsl_sort(values, 1, n);
    for (int k = 1; k < bins; k++)
        cut[k - 1] = gsl_stats_quantile_from_sorted_data(values, 1, n, (double)k / bins);
}

void clv_state_map_fit_ltv(clv_state_map *m, double *values, size_t n) { fit_cuts(m->ltv_cut, m->n_ltv, values, n); }

void clv_state_map_fit_pbuy(clv_state_map *m, double *values, size_t n)
{
    fit_cuts(m->pbuy_cut, m->n_pbuy, values, n);
}

/* the quantile bin of v among the bins - 1 cuts (a value equal to a cut in the bin below it) */
static int bin_cut(double v, const double *cut, int bins)
{
    int b = 0;
    while (b < bins - 1 && v > cut[b])
        b++;
    return b;
}

/* the bin of v among upper edges e[0..n): the number of edges below v */
static int bin_int(double v, const int *e, int n)
{
    int b = 0;
    while (b < n && v > e[b])
        b++;
    return b;
}

size_t clv_state_of(const clv_state_map *m, const clv_sim_obs *o, double ltv, double pbuy, int phase)
{
    size_t s = m->use_stage ? (size_t)o->stage : 0;
    s = s * (size_t)(m->n_rec + 1) + (size_t)bin_int(o->recency_days, m->rec, m->n_rec);
    s = s * (size_t)(m->n_freq + 1) + (size_t)bin_int(o->purchases - 1, m->freq, m->n_freq);
    s = s * (size_t)m->n_ltv + (size_t)bin_cut(ltv, m->ltv_cut, m->n_ltv);
    s = s * (size_t)m->n_pbuy + (size_t)bin_cut(pbuy, m->pbuy_cut, m->n_pbuy);
    int ab = o->coupons ? bin_int(o->coupon_age_days, m->age, m->n_age) : m->n_age;
    s = s * (size_t)(m->n_age + 1) + (size_t)ab;
    return s * (size_t)(m->use_season ? 3 : 1) + (size_t)(m->use_season ? phase : 0);
}

void clv_state_describe(const clv_state_map *m, size_t state, char *buf, size_t n)
{
    static const char *const phases[3] = {"before the season", "in season", "after the season"};
    size_t s = state;
    int ph = m->use_season ? (int)(s % 3) : -1;
    s /= m->use_season ? 3 : 1;
    int ab = (int)(s % (size_t)(m->n_age + 1));
    s /= (size_t)(m->n_age + 1);
    int pb = (int)(s % (size_t)m->n_pbuy);
    s /= (size_t)m->n_pbuy;
    int lb = (int)(s % (size_t)m->n_ltv);
    s /= (size_t)m->n_ltv;
    int fb = (int)(s % (size_t)(m->n_freq + 1));
    s /= (size_t)(m->n_freq + 1);
    int rb = (int)(s % (size_t)(m->n_rec + 1));
    s /= (size_t)(m->n_rec + 1);
    /* fields joined by " | " (a CSV field keeps no comma) */
    char rec[40], freq[40], age[40], pbuy[48] = "";
    if (m->n_pbuy > 1)
        snprintf(pbuy, sizeof pbuy, " | P(buy) q%d of %d", pb + 1, m->n_pbuy);
    if (rb < m->n_rec)
        snprintf(rec, sizeof rec, "last buy <=%dd ago", m->rec[rb]);
    else
        snprintf(rec, sizeof rec, "last buy >%dd ago", m->rec[m->n_rec - 1]);
    if (fb < m->n_freq)
        snprintf(freq, sizeof freq, "<=%d repeat%s", m->freq[fb], m->freq[fb] == 1 ? "" : "s");
    else
        snprintf(freq, sizeof freq, ">%d repeats", m->freq[m->n_freq - 1]);
    if (ab < m->n_age)
        snprintf(age, sizeof age, "coupon <=%dd ago", m->age[ab]);
    else
        snprintf(age, sizeof age, "no coupon in %dd", m->age[m->n_age - 1]);
    snprintf(buf, n, "%s%s%s | %s | LTV q%d of %d%s | %s%s%s", m->use_stage ? clv_stage_name((int)s) : "",
             m->use_stage ? " | " : "", rec, freq, lb + 1, m->n_ltv, pbuy, age, ph >= 0 ? " | " : "",
             ph >= 0 ? phases[ph] : "");
}
