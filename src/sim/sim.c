/* sim.c - the environment: population, event-driven customer lifecycles, daily accounting, stages. */
#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "clvsim/date.h"
#include "clvsim/parallel.h"
#include "clvsim/streams.h"
#include "sim_internal.h"

/* Customers are processed in blocks of this many: the unit of parallel
 * work and of the order in which daily totals are summed (so results do
 * not depend on the thread count). */
enum { BLOCK = 4096 };

/* days of the world's tables of decay factors (clv_world.decay) */
enum { DECAY_DAYS = 256, DECAY_DEAL = 0, DECAY_FATIGUE = 1, DECAY_CARRY = 2 };

/* per-day accumulators of one block over one epoch: money and purchases
 * by day, and the changes of the stage and alive counts on each day */
enum { ACC_PURCHASES, ACC_REVENUE, ACC_COGS, ACC_COUPON, ACC_MARGIN, ACC_REDEEM, ACC_SENT, ACC_ALIVE, ACC_STAGE,
       ACC_N = ACC_STAGE + CLV_STAGE_N };

/* One customer.  Times are in "season time" (cal.C): the next purchase and
 * the dropout (Pareto/NBD; +inf for BG/NBD, whose dropout follows a
 * purchase).  The wake time (clv_sim.wake) is the earliest of those and of
 * the next stage change: an epoch that ends before it has nothing to do
 * for the customer. */
typedef struct cust {
    clv_rng rng;                /* behaviour stream */
    double snext, sdeath;
    double tdeath;              /* Pareto/NBD: dropout in calendar time */
    float lam, drop, nu;        /* purchase rate per day; BG/NBD p or Pareto/NBD mu per day; spend rate */
    float total, last_spend, max_spend, first_spend;
    float k;                    /* current multiplier of purchase intensity */
    float elast;                /* price elasticity */
    float kc;                   /* the live coupon's contact multiplier (kappa, after fatigue) */
    float deal, fatigue;        /* at resp_day */
    float carry;                /* carry-over: the lift left by the last coupon, at carry_day */
    float reserved;             /* budget reserved by the live coupon */
    float spent;                /* coupon costs in the horizon so far (ground truth) */
    int32_t first, last, ntx, nrep;
    int32_t resp_day, cpn_expiry, carry_day;
    int32_t ncoupons, coupon_day;  /* coupons received, day of the last one */
    uint8_t alive, stage;       /* stage: at the end of the last day processed */
    uint8_t seg;                /* principal stratum of the reference contact (clv_segment) */
    uint8_t cpn, live, cuse;    /* coupon level held, whether it is valid and unused, whether the holder will use it */
    uint8_t price, send, price_req; /* price level; coupon and price to apply at the next epoch start */
    uint8_t pk_key, pm_key;     /* the price_key of pk and of pm, 0: none yet */
    double pk;                  /* pow(P, elast) at pk_key: the price response, cached */
    double pm;                  /* purchase_margin at pm_key, cached */
    double kap;                 /* the contact's kappa at kap_key (contact_kappa_cached) */
    uint32_t kap_key;           /* 1 + the arm and the covariates' levels of kap, 0: none yet */
} cust;

enum {
    SEG_PERSUADABLE = CLV_SEG_PERSUADABLE,
    SEG_SURE_THING = CLV_SEG_SURE_THING,
    SEG_LOST_CAUSE = CLV_SEG_LOST_CAUSE,
    SEG_SLEEPING_DOG = CLV_SEG_SLEEPING_DOG
};

/* The world: everything a scenario fixes, read-only after clv_world_alloc
 * and shared by every state made in it. */
struct clv_world {
    clv_sim_dropout dropout;    /* the population model's dropout hook */
    double r, alpha, a, b;      /* purchase rate ~ Gamma(r, rate alpha) per day; BG/NBD p ~ Beta(a, b) */
    double s, beta;             /* Pareto/NBD dropout rate ~ Gamma(s, rate beta) per day */
    double gp, gq, gg;          /* Gamma-Gamma spend */
    double margin_rate;
    int new_days, active_days, churned_days, loyal;
    int epoch_days, epochs, history, horizon_days;
    int list_price;             /* index of the price level 1.0 */
    /* interventions and the response model (scenario sections interventions, response) */
    int n_coupons, n_prices;
    clv_scn_coupon coupon[CLV_MAX_COUPONS];
    double price[CLV_MAX_PRICES];
    double budget_epoch, budget_total;  /* -1: unlimited */
    clv_scn_response resp;
    /* the contact effects by arm: the "all" factor, and per covariate the
     * levels' upper bounds (INFINITY: unbounded) and factors; each coupon's arm */
    int n_arms;
    struct contact_arm {
        double base;
        int n[CLV_CONTACT_N];
        double upper[CLV_CONTACT_N][CLV_MAX_CONTACT_EFFECTS], factor[CLV_CONTACT_N][CLV_MAX_CONTACT_EFFECTS];
    } *arm;
    int coupon_arm[CLV_MAX_COUPONS];    /* -1: no contact effect */
    /* (float)exp2(-dt / half-life) for whole days dt < DECAY_DAYS: the
     * decay of the deal expectation, the fatigue and the carry-over, the
     * same numbers epoch_start would compute */
    float decay[3][DECAY_DAYS];
    size_t n0, cap;             /* existing customers; the most there can be */
    size_t n_blocks_max;        /* blocks of BLOCK customers at capacity */
    clv__calendar cal;
    int32_t *first_days;        /* given first purchase days of the existing customers, or NULL */
    size_t bytes;               /* allocated by clv_world_alloc */
};

/* The recording workspace: transactions in chunks of LOG_CHUNK from one
 * pool, one chain of chunks per block of customers (chain 0: the new
 * customers' first purchases).  Blocks claim chunks from a shared counter,
 * so the capacity is shared however unevenly the blocks buy; reading goes
 * chain by chain, so the order does not depend on the threads. */
enum { LOG_CHUNK = 256 };
#define LOG_END UINT32_MAX
typedef struct log_chain {
    uint32_t head, tail;        /* chunk indices, LOG_END when empty */
    uint32_t fill;              /* transactions in the tail chunk */
} log_chain;
struct clv_sim_log {
    const clv_world *w;
    size_t capacity;            /* transactions guaranteed to fit */
    size_t n_chains, n_chunks;
    clv_sim_tx *tx;             /* n_chunks x LOG_CHUNK */
    uint32_t *next;             /* per chunk: the next chunk of its chain */
    log_chain *chain;
    atomic_size_t used;         /* chunks handed out since the last clear */
    atomic_size_t lost;         /* transactions that did not fit since the last clear */
    size_t bytes;
};

/* A state: one replication in a world. */
struct clv_sim {
    const clv_world *w;
    clv_world *own_world;       /* clv_sim_alloc's private world, freed with the state */
    int threads, workers;
    const clv_progress *progress; /* opts.progress: polled during resets */
    uint64_t seed, rep;
    int relucked;               /* since clv_sim_reluck: new customers draw from its streams */
    uint64_t reluck_rep;        /* ... of this replication (CLV_STREAM_RELUCK) */
    int epoch;
    size_t n;
    /* customer-epochs by executed action, coupon level c x price level p
     * at [c * n_prices + p], since the reset (clv_sim_action_counts) */
    double act_counts[(CLV_MAX_COUPONS + 1) * CLV_MAX_PRICES];
    clv_rng acq_rng;            /* arrivals, drawn serially day by day */
    /* per customer: what an event touches, together (two cache lines); the
     * wake times apart, for the scan of each epoch; the purchase history */
    cust *c;
    float *wake;                /* rounded down, so that no event is missed */
    int32_t *hist;              /* the last `history` purchase days, a ring per customer */
    double *margin_out;         /* clv_sim_step's margin argument during a step */
    int reward;                 /* clv_sim_reward: what margin_out gets */
    size_t n_margin;            /* customers whose margin a step reports */
    /* accounting */
    double run_alive, run_stage[CLV_STAGE_N]; /* counts at the end of the last day simulated */
    double spent;               /* coupon costs so far (for the total budget) */
    clv_sim_day *days;          /* one per horizon day */
    size_t n_days;              /* days filled */
    double *acc;                /* blocks x ACC_N x (epoch_days + 1) */
    gsl_rng **grng;             /* per worker: a GSL generator whose state is pointed at a customer's */
    void **grng_own;            /* each generator's own state, restored after use and before freeing */
    uint32_t *woken;            /* per worker: BLOCK offsets of the customers an epoch wakes */
    /* recording: the transactions of the last reset or step go into log
     * (the caller's, or own_log with opts.record), or nowhere */
    clv_sim_log *log, *own_log;
    void *mem;
    size_t bytes;               /* allocated by the state, for clv_sim_memory */
};

void clv_sim_opts_default(clv_sim_opts *o)
{
    o->threads = 1;
    o->history = 8;
    o->record = 0;
    o->first_days = NULL;
    o->n_first_days = 0;
    o->progress = NULL;
}

const char *clv_stage_name(int stage)
{
    static const char *const names[CLV_STAGE_N] = {"new", "active", "loyal", "at-risk", "churned"};
    return stage >= 0 && stage < CLV_STAGE_N ? names[stage] : "unknown";
}

/* ---- stages ---- */

/* the stage at the end of day d of a customer with first and last purchase
 * days f and l and n purchases */
static inline int stage_rule(int32_t d, int32_t f, int32_t l, int32_t n, int new_days, int active_days,
                             int churned_days, int loyal)
{
    if (d - f <= new_days)
        return CLV_STAGE_NEW;
    int32_t rec = d - l;
    if (rec <= active_days)
        return n >= loyal ? CLV_STAGE_LOYAL : CLV_STAGE_ACTIVE;
    return rec <= churned_days ? CLV_STAGE_AT_RISK : CLV_STAGE_CHURNED;
}

static int stage_at(const clv_sim *s, int32_t d, int32_t f, int32_t l, int32_t n)
{
    return stage_rule(d, f, l, n, s->w->new_days, s->w->active_days, s->w->churned_days, s->w->loyal);
}

int clv_stage_of(const clv_scn_lifecycle *lc, int32_t day, int32_t first, int32_t last, int purchases)
{
    return stage_rule(day, first, last, purchases, lc->new_days, lc->active_days, lc->churned_days,
                      lc->loyal_purchases);
}

/* the first day after d on which the stage can change without a purchase */
static int32_t next_stage_change(const clv_sim *s, int32_t d, int32_t f, int32_t l)
{
    int32_t c[3] = {f + s->w->new_days + 1, l + s->w->active_days + 1, l + s->w->churned_days + 1}, best = INT32_MAX;
    for (int k = 0; k < 3; k++)
        if (c[k] > d && c[k] < best)
            best = c[k];
    return best;
}

/* the season time of the start of day d (+inf past the calendar) */
static double season_of_day(const clv__calendar *cal, int32_t d)
{
    return d < cal->end ? cal->C[d - cal->first] : INFINITY;
}

/* the season time of calendar time t (day number + fraction) */
static double season_of(const clv__calendar *cal, double t)
{
    if (!(t < cal->end)) /* also +inf: a dropout rate of practically 0 */
        return INFINITY;
    int32_t d = (int32_t)floor(t);
    return cal->C[d - cal->first] + (t - d) * cal->m[d - cal->first];
}

/* the day in [d, end) whose season-time span holds season time x */
static int32_t day_of_season(const clv__calendar *cal, int32_t d, double x)
{
    while (cal->C[d + 1 - cal->first] <= x)
        d++;
    return d;
}

/* ---- one customer ---- */

/* the wake time of customer i as a float rounded down: the earliest of
 * its next purchase, its dropout, the stage change on day nsc, the expiry
 * of its coupon, and the next epoch start (t1) while a decaying deal
 * expectation still lowers its intensity */
static void set_wake(clv_sim *s, size_t i, int32_t nsc, int32_t t1)
{
    const cust *c = &s->c[i];
    double w = season_of_day(&s->w->cal, nsc);
    if (c->snext < w)
        w = c->snext;
    if (c->sdeath < w)
        w = c->sdeath;
    if (c->live) {
        double e = season_of_day(&s->w->cal, c->cpn_expiry);
        w = e < w ? e : w;
    } else if (c->alive && s->w->resp.enabled &&
               ((c->deal > 1e-4f && s->w->resp.deal_enabled) ||
                (fabsf(c->carry) > 1e-4f && s->w->resp.carryover_enabled))) {
        double e = season_of_day(&s->w->cal, t1);
        w = e < w ? e : w;
    }
    float f = (float)w;
    if (f > w)
        f = nextafterf(f, -INFINITY);
    s->wake[i] = f;
}

/* ---- the response model ---- */

double clv_sim_kappa(double rr, double lambda_w)
{
    if (isnan(rr) || isnan(lambda_w))
        return NAN;
    if (!(rr > 0) || rr == 1)
        return rr > 0 ? 1 : 0;
    if (!(lambda_w > 1e-12))
        return rr; /* the limit of a rare buyer */
    const double p0 = -expm1(-lambda_w), p1 = rr * p0;
    /* not buying falls at most by the factor rr: 1 - p1 >= exp(-lambda w) / rr,
     * and at the cap -ln(1 - p1) = lambda w + ln(rr), written so that it
     * stays finite when exp(-lambda w) is below the rounding of 1 - p0 */
    if (rr > 1 && p1 > 1 - exp(-lambda_w) / rr)
        return 1 + log(rr) / lambda_w;
    return -log1p(-p1) / lambda_w;
}

/* customer c's rate ratio for a contact of arm a on day d, from its observable state */
/* (*key: 1 + the arm and the covariates' levels, which rr depends on;
 * levels < CLV_MAX_CONTACT_EFFECTS = 96 take 7 bits each, the arm too) */
static double contact_ratio(const clv_world *w, int a, const cust *c, int32_t d, uint32_t *key)
{
    const struct contact_arm *x = &w->arm[a];
    const double age = d - c->first;
    const double v[CLV_CONTACT_N] = {0, (double)(d - c->last), clv_contact_spend(c->total, age), age};
    double rr = x->base;
    uint32_t kk = (uint32_t)a;
    for (int k = 1; k < CLV_CONTACT_N; k++)
        if (x->n[k]) {
            const int level = clv_contact_level(x->upper[k], x->n[k], v[k]);
            kk |= (uint32_t)level << (7 * k);
            rr *= x->factor[k][level];
        }
    *key = kk + 1;
    return rr;
}

/* the contact multiplier kappa of a coupon of level k (1-based) for customer c on day d */
static double contact_kappa(const clv_world *w, const cust *c, int k, int32_t d)
{
    const clv_scn_response *r = &w->resp;
    const int a = w->coupon_arm[k - 1];
    if (!r->enabled || !r->contact_enabled || a < 0)
        return 1;
    uint32_t key;
    return clv_sim_kappa(contact_ratio(w, a, c, d, &key), c->lam * r->contact_window_days);
}

/* contact_kappa for a coupon arriving in epoch_start: kappa depends on
 * the customer only through its fixed purchase rate and the arm and levels
 * of contact_ratio's key, so the last value is kept with that key */
static double contact_kappa_cached(const clv_world *w, cust *c, int k, int32_t d)
{
    const clv_scn_response *r = &w->resp;
    const int a = w->coupon_arm[k - 1];
    if (!r->enabled || !r->contact_enabled || a < 0)
        return 1;
    uint32_t key;
    const double rr = contact_ratio(w, a, c, d, &key);
    if (c->kap_key != key) {
        c->kap = clv_sim_kappa(rr, c->lam * r->contact_window_days);
        c->kap_key = key;
    }
    return c->kap;
}

/* the purchase-intensity multiplier of a customer's current state: the
 * price response to its price level, times 1 - discount for a holder who
 * will use its coupon; the contact's kappa while the coupon is valid; else
 * the carry-over of the last one and the deal expectation's damping of
 * full-price buying */
/* what a customer's price response and expected purchase margin depend on
 * besides its fixed traits: its price level and the coupon it will use
 * (1 + level x (CLV_MAX_COUPONS + 1) + coupon, at most 72) */
static inline unsigned price_key(const cust *c)
{
    return 1 + c->price * (CLV_MAX_COUPONS + 1u) + (c->live && c->cuse ? c->cpn : 0u);
}

static double intensity_mult(const clv_sim *s, cust *c)
{
    const clv_scn_response *r = &s->w->resp;
    if (!r->enabled)
        return 1;
    double P = s->w->price[c->price];
    if (c->live && c->cuse)
        P *= 1 - s->w->coupon[c->cpn - 1].discount;
    double k = 1;
    if (r->price_enabled && P != 1.0) {
        /* pow(P, elast) of the last (price level, coupon used) of this
         * customer, whose elasticity is fixed: kept, as it mostly repeats */
        const unsigned key = price_key(c);
        if (c->pk_key != key) {
            c->pk = pow(P, c->elast);
            c->pk_key = (uint8_t)key;
        }
        k = c->pk;
    }
    if (c->live) {
        k *= c->kc;
    } else {
        if (r->carryover_enabled)
            k *= 1 + c->carry;
        if (r->deal_enabled)
            k /= 1 + r->deal_full_price_penalty * c->deal;
    }
    return k;
}

/* after a change of state at season time sn, re-time the residual clock:
 * the unit-rate clock left to the next purchase is (snext - sn) k, so with
 * a new multiplier k' the purchase moves to sn + (snext - sn) k / k' */
static void remultiply(clv_sim *s, size_t i, double sn)
{
    cust *c = &s->c[i];
    double k = intensity_mult(s, c);
    if (k != c->k) {
        if (isfinite(c->snext))
            c->snext = sn + (c->snext - sn) * c->k / k;
        c->k = (float)k;
    }
}

/* the expected net margin of one purchase of customer c in its current
 * state: the basket z ~ Gamma(p, 1/nu) charged at its price level, less the
 * cost of goods and, for a holder who will use its coupon, the expected
 * discount E[min(discount x charged, max_value)] and the redemption cost */
static double purchase_margin(const clv_sim *s, cust *c)
{
    /* the same state as at the last call (the basket's nu is fixed): the
     * same number, without its gamma CDFs */
    const unsigned key = price_key(c);
    if (c->pm_key == key)
        return c->pm;
    const clv_world *w = s->w;
    const double P = w->price[c->price], scale = 1 / (double)c->nu, ez = w->gp * scale;
    double m = ez * (P - 1 + w->margin_rate);
    if (c->live && c->cuse) {
        const clv_scn_coupon *cp = &w->coupon[c->cpn - 1];
        const double y = cp->max_value / (cp->discount * P); /* the basket at which the cap binds */
        m -= cp->discount * P * ez * gsl_cdf_gamma_P(y, w->gp + 1, scale) + cp->max_value * gsl_cdf_gamma_Q(y, w->gp, scale) +
             cp->redemption_cost;
    }
    c->pm = m;
    c->pm_key = (uint8_t)key;
    return m;
}

/* the expected margin of customer c's purchases over the season-time span
 * ds in its current state: its intensity lam x k per unit of season time
 * times the expected margin of a purchase */
static double expected_span(const clv_sim *s, cust *c, double ds)
{
    return ds > 0 ? (double)c->lam * (double)c->k * ds * purchase_margin(s, c) : 0;
}

/* the coupon of customer c ends on day d (expired or redeemed): with
 * carry-over, a share of its contact's lift stays and decays from d */
static void end_coupon(const clv_sim *s, cust *c, int32_t d)
{
    c->live = 0;
    if (s->w->resp.carryover_enabled) {
        c->carry = (float)(s->w->resp.carryover_share * (c->kc - 1));
        c->carry_day = d;
    }
}

/* the customer's principal stratum for the reference contact (the first
 * coupon's arm, without its discount) over the experiment's window from
 * time t (day number + fraction), by its own clocks: whether its next
 * purchase falls in the window without the contact, and with it (the clock
 * run kappa times faster), before a dropout */
static int stratum(const clv_sim *s, const cust *c, double t)
{
    const clv__calendar *cal = &s->w->cal;
    if (!c->alive || !isfinite(c->snext))
        return SEG_LOST_CAUSE;
    const int32_t d = (int32_t)floor(t);
    const double kappa = s->w->n_coupons ? contact_kappa(s->w, c, 1, d) : 1;
    double te = t + s->w->resp.contact_window_days;
    const double s0 = season_of(cal, t), s1 = te < cal->end ? season_of(cal, te) : cal->C[cal->end - cal->first];
    const double end = s1 < c->sdeath ? s1 : c->sdeath;
    const int base = c->snext < end, contacted = s0 + (c->snext - s0) / kappa < end;
    return base ? (contacted ? SEG_SURE_THING : SEG_SLEEPING_DOG) : (contacted ? SEG_PERSUADABLE : SEG_LOST_CAUSE);
}

/* a unit exponential from the customer's stream */
static double exp1(clv_rng *r) { return -log(clv_rng_uniform_pos(r)); }

/* record a purchase of customer i on day d with spend z */
static void record(clv_sim *s, size_t i, int32_t d, double z)
{
    /* the ring of the last `history` purchase days: purchase k (0-based)
     * in slot k mod history, so that the first min(ntx, history) slots are
     * this customer's (clv_sim_observe reads them), never a stale slot of
     * the state's earlier worlds */
    s->hist[i * (size_t)s->w->history + (size_t)(s->c[i].ntx % s->w->history)] = d;
    s->c[i].last = d;
    s->c[i].ntx++;
    if (d >= s->w->cal.start)
        s->c[i].nrep++;
    s->c[i].total += (float)z;
    s->c[i].last_spend = (float)z;
    if (z > s->c[i].max_spend)
        s->c[i].max_spend = (float)z;
}

/* append a transaction to chain k of the recording workspace, taking a
 * new chunk from the pool when the chain's last one is full; past the
 * pool the transaction is counted as lost (the step goes on: what is
 * simulated never depends on what is recorded) */
static void push_tx(clv_sim_log *log, size_t k, size_t i, int32_t d, double t, double z)
{
    log_chain *c = &log->chain[k];
    if (c->head == LOG_END || c->fill == LOG_CHUNK) {
        size_t id = atomic_fetch_add_explicit(&log->used, 1, memory_order_relaxed);
        if (id >= log->n_chunks) {
            atomic_fetch_add_explicit(&log->lost, 1, memory_order_relaxed);
            return;
        }
        log->next[id] = LOG_END;
        if (c->head == LOG_END)
            c->head = (uint32_t)id;
        else
            log->next[c->tail] = (uint32_t)id;
        c->tail = (uint32_t)id;
        c->fill = 0;
    }
    log->tx[(size_t)c->tail * LOG_CHUNK + c->fill++] = (clv_sim_tx){(uint32_t)i, d, t, z};
}

/* the stage of customer i at the end of day d; when it changes, count the
 * change on that day (acc may be NULL: the burn-in, before any counting) */
static void restage(clv_sim *s, size_t i, int32_t d, int32_t t0, double *acc)
{
    int st = stage_at(s, d, s->c[i].first, s->c[i].last, s->c[i].ntx);
    if (st == s->c[i].stage)
        return;
    if (acc) {
        const size_t E = (size_t)s->w->epoch_days + 1;
        acc[(ACC_STAGE + s->c[i].stage) * E + (size_t)(d - t0)] -= 1;
        acc[(ACC_STAGE + st) * E + (size_t)(d - t0)] += 1;
    }
    s->c[i].stage = (uint8_t)st;
}

/* the decay factor (float)exp2(-dt / hl) over dt > 0 whole days, from the
 * world's table when dt is in it */
static inline float decay_of(const clv_world *w, int which, int32_t dt, double hl)
{
    return dt < DECAY_DAYS ? w->decay[which][dt] : (float)exp2(-(double)dt / hl);
}

/* what happens to customer i at the start of an epoch (day t0): its deal
 * expectation and fatigue decay to t0, the coupon it is sent arrives (with
 * its contact cost, and maybe the dropout of a sleeping dog), its price
 * level changes, and its clocks are re-timed */
static void epoch_start(clv_sim *s, size_t i, int32_t t0, double *acc)
{
    cust *c = &s->c[i];
    const clv_scn_response *r = &s->w->resp;
    const size_t E = (size_t)s->w->epoch_days + 1;
    if (t0 > c->resp_day) {
        const int32_t dt = t0 - c->resp_day;
        if (c->deal > 0)
            c->deal *= decay_of(s->w, DECAY_DEAL, dt, r->deal_half_life_days);
        if (c->fatigue > 0)
            c->fatigue *= decay_of(s->w, DECAY_FATIGUE, dt, r->fatigue_half_life_days);
        c->resp_day = t0;
    }
    if (c->live && c->cpn_expiry <= t0)
        end_coupon(s, c, c->cpn_expiry);
    if (c->carry != 0 && t0 > c->carry_day) {
        c->carry *= decay_of(s->w, DECAY_CARRY, t0 - c->carry_day, r->carryover_half_life_days);
        c->carry_day = t0;
    }
    if (c->send) {
        const clv_scn_coupon *cp = &s->w->coupon[c->send - 1];
        if (acc) {
            acc[ACC_COUPON * E] += cp->contact_cost;
            acc[ACC_MARGIN * E] -= cp->contact_cost;
            acc[ACC_SENT * E] += 1;
            c->spent += (float)cp->contact_cost;
        }
        c->ncoupons++;
        c->coupon_day = t0;
        c->cpn = c->send;
        c->live = 1;
        c->cpn_expiry = t0 + cp->validity_days;
        /* whether the holder will use it, and its contact's effect, from
         * the state it is in when the coupon arrives (fatigue divides the lift) */
        c->cuse = r->enabled && clv_rng_uniform(&c->rng) < r->redeem_probability;
        double kappa = contact_kappa_cached(s->w, c, c->cpn, t0);
        if (r->fatigue_enabled) /* the fatigue of the earlier contacts: a first contact has the experiment's effect */
            kappa = 1 + (kappa - 1) / (1 + c->fatigue);
        c->kc = (float)kappa;
        c->fatigue += (float)r->fatigue_gain;
        c->deal += (float)r->deal_gain;
        c->send = 0;
    }
    c->price = c->price_req;
    remultiply(s, i, s->w->cal.C[t0 - s->w->cal.first]);
}

/* Advance customer i through days [t0, t1), event by event: purchases (and
 * redemptions), the dropout, the expiry of its coupon and the changes of
 * its observable stage, in time order.  acc (the block's accumulators, or
 * NULL during the burn-in) gets the days' money and purchases and the
 * changes of the stage and alive counts.  Returns the customer's net margin
 * over the interval. */
static double advance(clv_sim *s, gsl_rng *g, size_t i, int32_t t0, int32_t t1, double *acc, clv_sim_log *rec, size_t chain)
{
    const clv__calendar *cal = &s->w->cal;
    const double ce = cal->C[t1 - cal->first];
    cust *c = &s->c[i];
    const size_t E = (size_t)s->w->epoch_days + 1;
    clv_rng *r = &c->rng;
    g->state = r; /* gsl_ran_* draw from the customer's own stream */
    const int32_t f = c->first;
    double margin = 0;
    /* a customer who existed before the epoch gets the epoch's action */
    if (acc && f < t0) {
        double before = acc[ACC_MARGIN * E];
        epoch_start(s, i, t0, acc);
        margin += acc[ACC_MARGIN * E] - before;
    }
    /* CLV_SIM_REWARD_EXPECTED: the contact costs as they fall, and for each
     * span between events the expected margin of its purchases (from spos) */
    const int expect = acc && f < t0 && s->reward == CLV_SIM_REWARD_EXPECTED;
    double expected = margin, spos = cal->C[t0 - cal->first];
    if (s->wake[i] >= ce && !(acc && f < t0))
        return margin; /* nothing happens to this customer before t1 (during the burn-in) */
    /* the stage is known through the end of day cur - 1 (a customer
     * acquired on day f has its first-day stage) */
    int32_t cur = t0 > f + 1 ? t0 : f + 1;
    const int32_t from = t0 > f ? t0 : f;
    for (;;) {
        const int32_t nsc = next_stage_change(s, cur - 1, f, c->last);
        const double ssc = nsc < t1 ? cal->C[nsc - cal->first] : INFINITY;
        const double sx = c->live && c->cpn_expiry < t1 ? cal->C[c->cpn_expiry - cal->first] : INFINITY;
        const double sp = c->snext, sd = c->sdeath;
        if (sx < ce && sx <= ssc && sx <= sp && sx <= sd) {
            /* the coupon expires unused at the start of its expiry day (the
             * span before it has purchases only while the customer is alive) */
            if (expect && c->alive)
                expected += expected_span(s, c, sx - spos), spos = sx;
            end_coupon(s, c, c->cpn_expiry);
            remultiply(s, i, sx);
            continue;
        }
        if (ssc < ce && ssc <= sp && ssc <= sd) {
            /* a stage change at the end of day nsc (before any purchase of that day) */
            restage(s, i, nsc, t0, acc);
            cur = nsc + 1;
            continue;
        }
        if (sd < ce && sd < sp) {
            /* Pareto/NBD dropout: not alive at the end of its day */
            int32_t d = day_of_season(cal, from, sd);
            if (expect)
                expected += expected_span(s, c, sd - spos), spos = sd;
            if (acc)
                acc[ACC_ALIVE * E + (size_t)(d - t0)] -= 1;
            c->alive = 0;
            c->snext = c->sdeath = c->tdeath = INFINITY;
            continue;
        }
        if (sp >= ce) {
            if (expect && c->alive)
                expected += expected_span(s, c, ce - spos);
            break;
        }
        if (expect)
            expected += expected_span(s, c, sp - spos), spos = sp;
        /* a purchase on day d: the basket at list price z, charged at the
         * price level, with the coupon's discount if it is redeemed */
        const int32_t d = day_of_season(cal, from, sp);
        const double te = d + (sp - cal->C[d - cal->first]) / cal->m[d - cal->first];
        const double z = gsl_ran_gamma(g, s->w->gp, 1 / c->nu);
        const double charged = z * s->w->price[c->price];
        const double cogs = z * (1 - s->w->margin_rate);
        double coupon_cost = 0;
        if (c->live && c->cuse) {
            const clv_scn_coupon *cp = &s->w->coupon[c->cpn - 1];
            double disc = cp->discount * charged;
            coupon_cost = (disc < cp->max_value ? disc : cp->max_value) + cp->redemption_cost;
            end_coupon(s, c, d);
            if (acc)
                acc[ACC_REDEEM * E + (size_t)(d - t0)] += 1;
        }
        const double paid = charged - (coupon_cost > 0 ? coupon_cost - s->w->coupon[c->cpn - 1].redemption_cost : 0);
        record(s, i, d, paid);
        if (rec)
            push_tx(rec, chain, i, d, te, c->last_spend);
        const double m = charged - cogs - coupon_cost;
        margin += m;
        if (acc) {
            const size_t k = (size_t)(d - t0);
            acc[ACC_PURCHASES * E + k] += 1;
            acc[ACC_REVENUE * E + k] += charged;
            acc[ACC_COGS * E + k] += cogs;
            acc[ACC_COUPON * E + k] += coupon_cost;
            acc[ACC_MARGIN * E + k] += m;
            c->spent += (float)coupon_cost;
        }
        restage(s, i, d, t0, acc);
        if (d + 1 > cur)
            cur = d + 1;
        /* BG/NBD: the customer may drop out right after the purchase */
        if (s->w->dropout == CLV_SIM_DROPOUT_AT_PURCHASE && clv_rng_uniform(r) < c->drop) {
            if (acc)
                acc[ACC_ALIVE * E + (size_t)(d - t0)] -= 1;
            c->alive = 0;
            c->snext = INFINITY;
        } else {
            c->snext = sp + exp1(r) / (c->lam * c->k);
        }
        /* a redemption ends the coupon: the multiplier changes after the purchase */
        remultiply(s, i, sp);
    }
    /* the next thing that can happen to it */
    set_wake(s, i, next_stage_change(s, cur - 1, f, c->last), t1);
    return expect ? expected : margin;
}

/* ---- creating customers ---- */

/* Draw customer i's traits and start its life with a first purchase at time
 * tf (day number + fraction).  Its clock is set so that advancing it from
 * the start of tf's day consumes the intensity before tf first. */
static void init_customer(clv_sim *s, gsl_rng *g, size_t i, double tf)
{
    /* after clv_sim_reluck, an arrival's traits and behaviour are fresh
     * draws too (its streams, clvsim/streams.h) */
    const uint32_t pp = s->relucked ? CLV_STREAM_RELUCK : CLV_STREAM_POPULATION;
    const uint32_t pb = s->relucked ? CLV_STREAM_RELUCK : CLV_STREAM_BEHAVIOUR;
    const uint64_t rep = s->relucked ? s->reluck_rep : s->rep;
    clv_rng pop;
    clv_rng_seed(&pop, (clv_stream_key){s->seed, pp, rep, s->relucked ? CLV_BLOCK_RELUCK_TRAITS ^ i : i});
    g->state = &pop;
    double lam = gsl_ran_gamma(g, s->w->r, 1 / s->w->alpha);
    s->c[i].lam = (float)(lam > 1e-30 ? lam : 1e-30);
    if (s->w->dropout == CLV_SIM_DROPOUT_AT_PURCHASE)
        s->c[i].drop = (float)gsl_ran_beta(g, s->w->a, s->w->b);
    else
        s->c[i].drop = (float)gsl_ran_gamma(g, s->w->s, 1 / s->w->beta);
    double nu = gsl_ran_gamma(g, s->w->gq, 1 / s->w->gg);
    s->c[i].nu = (float)(nu > 1e-30 ? nu : 1e-30);
    /* the price elasticity (normal, redrawn until it is at most 0) */
    cust *c = &s->c[i];
    const clv_scn_response *rs = &s->w->resp;
    double e = 1;
    for (int tries = 0; e > 0 && tries < 1000; tries++)
        e = rs->elasticity_mean + rs->elasticity_sd * gsl_ran_gaussian_ziggurat(g, 1);
    c->elast = (float)(e > 0 ? 0 : e);
    c->k = c->kc = 1;
    c->deal = c->fatigue = c->carry = c->reserved = c->spent = 0;
    c->ncoupons = 0;
    c->coupon_day = INT32_MIN;
    c->carry_day = 0;
    c->cpn = c->live = c->cuse = c->send = 0;
    c->pk_key = c->pm_key = 0;
    c->kap_key = 0;
    c->seg = SEG_LOST_CAUSE;
    c->price = c->price_req = (uint8_t)s->w->list_price;

    clv_rng_seed(&s->c[i].rng, (clv_stream_key){s->seed, pb, rep, i});
    clv_rng *r = &s->c[i].rng;
    g->state = r;
    const int32_t d = (int32_t)floor(tf);
    s->c[i].first = s->c[i].last = d;
    s->c[i].ntx = 0;
    s->c[i].nrep = 0;
    s->c[i].total = s->c[i].last_spend = s->c[i].max_spend = 0;
    s->c[i].alive = 1;
    s->c[i].stage = CLV_STAGE_NEW;
    s->c[i].resp_day = d;
    double z = gsl_ran_gamma(g, s->w->gp, 1 / s->c[i].nu);
    record(s, i, d, z);
    s->c[i].first_spend = s->c[i].total;
    s->c[i].nrep = 0; /* the first purchase is not a repeat */
    /* the next purchase: a unit exponential of intensity after tf */
    const clv__calendar *cal = &s->w->cal;
    s->c[i].snext = season_of(cal, tf) + exp1(r) / s->c[i].lam;
    s->c[i].tdeath = s->w->dropout == CLV_SIM_DROPOUT_LIFETIME ? tf + exp1(r) / s->c[i].drop : INFINITY;
    s->c[i].sdeath = season_of(cal, s->c[i].tdeath);
    if (tf >= cal->start) /* an arrival in the horizon: its stratum from its first purchase */
        s->c[i].seg = (uint8_t)stratum(s, &s->c[i], tf);
    set_wake(s, i, next_stage_change(s, d, d, d), d + 1);
}

/* ---- the world ---- */

clv_sim_dropout clv_sim_dropout_of(int model)
{
    return model == CLV_MODEL_PARETO ? CLV_SIM_DROPOUT_LIFETIME : CLV_SIM_DROPOUT_AT_PURCHASE;
}

void clv_world_free(clv_world *w)
{
    if (!w)
        return;
    free(w->first_days);
    free(w->arm);
    clv__calendar_free(&w->cal);
    free(w);
}

int clv_world_alloc(const clv_scenario *scn, const clv_sim_opts *opts, clv_world **out, clv_error *err)
{
    *out = NULL;
    clv_sim_opts def;
    if (!opts) {
        clv_sim_opts_default(&def);
        opts = &def;
    }
    if (opts->history < 1 || opts->history > 64)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "history", "expected 1 to 64 purchases, got %d", opts->history);
    if (scn->population.source == CLV_SOURCE_FIT)
        return clv_error_set(err, CLV_EINPUT, scn->source, 0, "population.source",
                             "the environment needs parameters: fit the log first (clv_population_fit), or with "
                             "'clvsim fit' and @include its population.cfg");
    if (clv_scn_list_price(scn) < 0)
        return clv_error_set(err, CLV_EINPUT, scn->source, 0, "interventions.prices",
                             "expected the list price 1.0 among the price levels (the price of no campaign)");
    clv_world *w = calloc(1, sizeof *w);
    if (!w)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    const double ud = scn->population.unit == CLV_UNIT_WEEK ? 7.0 : 1.0;
    w->dropout = clv_sim_dropout_of(scn->population.model);
    /* rates per unit ~ Gamma(shape, rate) become rates per day ~ Gamma(shape, rate x unit days) */
    w->r = scn->population.bgnbd.r, w->alpha = scn->population.bgnbd.alpha * ud;
    w->a = scn->population.bgnbd.a, w->b = scn->population.bgnbd.b;
    if (w->dropout == CLV_SIM_DROPOUT_LIFETIME) {
        w->r = scn->population.pareto.r, w->alpha = scn->population.pareto.alpha * ud;
        w->s = scn->population.pareto.s, w->beta = scn->population.pareto.beta * ud;
    }
    w->gp = scn->population.spend.p, w->gq = scn->population.spend.q, w->gg = scn->population.spend.gamma;
    w->margin_rate = scn->economics.margin_rate;
    w->list_price = clv_scn_list_price(scn);
    w->n_coupons = scn->interventions.n_coupons;
    memcpy(w->coupon, scn->interventions.coupons, sizeof w->coupon);
    w->n_prices = scn->interventions.n_prices;
    memcpy(w->price, scn->interventions.prices, sizeof w->price);
    w->budget_epoch = scn->interventions.budget_per_epoch;
    w->budget_total = scn->interventions.budget_total;
    w->resp = scn->response;
    for (int dt = 0; dt < DECAY_DAYS; dt++) {
        w->decay[DECAY_DEAL][dt] = (float)exp2(-(double)dt / w->resp.deal_half_life_days);
        w->decay[DECAY_FATIGUE][dt] = (float)exp2(-(double)dt / w->resp.fatigue_half_life_days);
        w->decay[DECAY_CARRY][dt] = (float)exp2(-(double)dt / w->resp.carryover_half_life_days);
    }
    /* the contact effects, arm by arm (clv_scn_check has ordered their levels) */
    const char *arms[CLV_MAX_CONTACT_EFFECTS];
    w->n_arms = clv_scn_contact_arms(scn, arms);
    if (w->n_arms && !(w->arm = calloc((size_t)w->n_arms, sizeof *w->arm))) {
        clv_world_free(w);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    for (int a = 0; a < w->n_arms; a++) {
        struct contact_arm *x = &w->arm[a];
        x->base = 1;
        for (int e = 0; e < scn->response.n_contact; e++) {
            const clv_scn_contact_effect *f = &scn->response.contact[e];
            if (strcmp(f->arm, arms[a]) != 0)
                continue;
            if (f->covariate == CLV_CONTACT_ALL) {
                x->base = f->factor;
            } else if (f->covariate > 0 && f->covariate < CLV_CONTACT_N) {
                int k = x->n[f->covariate]++;
                x->upper[f->covariate][k] = f->upper < 0 ? INFINITY : f->upper;
                x->factor[f->covariate][k] = f->factor;
            }
        }
    }
    for (int k = 0; k < scn->interventions.n_coupons; k++)
        w->coupon_arm[k] = clv_scn_contact_arm(scn, k);
    w->new_days = scn->lifecycle.new_days, w->active_days = scn->lifecycle.active_days;
    w->churned_days = scn->lifecycle.churned_days, w->loyal = scn->lifecycle.loyal_purchases;
    w->epoch_days = scn->calendar.epoch_days;
    w->horizon_days = scn->calendar.horizon_days;
    w->epochs = (w->horizon_days + w->epoch_days - 1) / w->epoch_days;
    w->history = opts->history;
    const double scale = scn->run.scale;
    int st = clv__calendar_build(scn, scale, &w->cal, err);
    if (st != CLV_OK) {
        clv_world_free(w);
        return st;
    }
    w->n0 = opts->first_days ? opts->n_first_days : (size_t)llround((double)scn->population.customers * scale);
    if (opts->first_days) {
        for (size_t i = 0; i < opts->n_first_days; i++)
            if (opts->first_days[i] < w->cal.first || opts->first_days[i] >= w->cal.start) {
                char a[16], b[16], c[16];
                st = clv_error_set(err, CLV_EINPUT, NULL, 0, "first_days",
                                   "customer %zu's first purchase day %s is outside the burn-in %s..%s", i,
                                   clv_date_format(opts->first_days[i], a), clv_date_format(w->cal.first, b),
                                   clv_date_format(w->cal.start - 1, c));
                clv_world_free(w);
                return st;
            }
        if (!(w->first_days = malloc((opts->n_first_days ? opts->n_first_days : 1) * sizeof *w->first_days))) {
            clv_world_free(w);
            return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        }
        memcpy(w->first_days, opts->first_days, opts->n_first_days * sizeof *w->first_days);
    }
    /* capacity: existing customers and arrivals up to 8 standard deviations
     * above their mean, which a Poisson total exceeds with probability below 1e-12 */
    double A = 0;
    for (size_t k = 0; k < w->cal.n; k++)
        A += w->cal.acq[k];
    w->cap = w->n0 + (size_t)ceil(A + 8 * sqrt(A) + 32);
    w->n_blocks_max = w->cap / BLOCK + 1;
    w->bytes = sizeof *w + (size_t)w->n_arms * sizeof *w->arm + (3 * w->cal.n + 1) * sizeof(double) + w->cal.n +
               (w->first_days ? opts->n_first_days * sizeof *w->first_days : 0);
    *out = w;
    return CLV_OK;
}

size_t clv_world_customers(const clv_world *w) { return w->n0; }
size_t clv_world_capacity(const clv_world *w) { return w->cap; }
int clv_world_epochs(const clv_world *w) { return w->epochs; }
int clv_world_horizon_days(const clv_world *w) { return w->horizon_days; }
int clv_world_list_price(const clv_world *w) { return w->list_price; }
size_t clv_world_memory(const clv_world *w) { return w->bytes; }

/* ---- the recording workspace ---- */

/* purchases of n customers over T days at intensity multiplier K on days
 * whose seasonal multiplier is at most M: each customer's count is
 * Poisson-gamma with mean E[lambda] K M T and variance mean + Var[lambda]
 * (K M T)^2; their sum, 8 standard deviations above its mean */
static double purchases_bound(const clv_world *w, double n, double T, double K, double M)
{
    const double el = w->r / w->alpha, vl = w->r / (w->alpha * w->alpha), x = K * M * T;
    const double mean = n * el * x, var = n * (el * x + vl * x * x);
    return mean + 8 * sqrt(var);
}

size_t clv_sim_log_capacity(const clv_world *w)
{
    const clv__calendar *cal = &w->cal;
    double mb = 1, mh = 1; /* the largest seasonal multipliers of the burn-in and of the horizon */
    for (size_t k = 0; k < cal->n; k++) {
        double *m = (int32_t)k + cal->first < cal->start ? &mb : &mh;
        if (cal->m[k] > *m)
            *m = cal->m[k];
    }
    /* the intensity of a customer under a campaign: its price response
     * (the elasticity 4 standard deviations below its mean at the lowest
     * price level and the largest discount) times the largest contact
     * multiplier: for rate ratio RR > 1, kappa is at most
     * ln(RR + 1) / ln(1 + 1 / RR) (clv_sim_kappa's cap), RR at most the
     * product of an arm's largest factors */
    double K = 1;
    const clv_scn_response *r = &w->resp;
    if (r->enabled) {
        double kp = 1, disc = 0, kc = 1;
        for (int c = 0; c < w->n_coupons; c++)
            disc = w->coupon[c].discount > disc ? w->coupon[c].discount : disc;
        const double e = r->elasticity_mean - 4 * r->elasticity_sd;
        for (int p = 0; r->price_enabled && e < 0 && p < w->n_prices; p++)
            if (pow(w->price[p] * (1 - disc), e) > kp)
                kp = pow(w->price[p] * (1 - disc), e);
        for (int a = 0; r->contact_enabled && a < w->n_arms; a++) {
            double rr = w->arm[a].base;
            for (int k = 1; k < CLV_CONTACT_N; k++) {
                double f = 0;
                for (int l = 0; l < w->arm[a].n[k]; l++)
                    f = w->arm[a].factor[k][l] > f ? w->arm[a].factor[k][l] : f;
                rr *= w->arm[a].n[k] ? f : 1;
            }
            const double bound = rr > 1 ? log(rr + 1) / log1p(1 / rr) : 1;
            kc = bound > kc ? bound : kc;
        }
        K = kp * kc;
    }
    /* the reset: the existing customers' first purchases and burn-in
     * histories; a step: every customer there can be over one epoch, and
     * the first purchases of all arrivals */
    const double burn = (double)w->n0 + purchases_bound(w, (double)w->n0, cal->start - cal->first, 1, mb);
    const double step = (double)(w->cap - w->n0) + purchases_bound(w, (double)w->cap, w->epoch_days, K, mh);
    return (size_t)ceil((burn > step ? burn : step) + 1024);
}

void clv_sim_log_free(clv_sim_log *log)
{
    if (!log)
        return;
    free(log->tx);
    free(log->next);
    free(log->chain);
    free(log);
}

static void log_clear(clv_sim_log *log)
{
    for (size_t k = 0; k < log->n_chains; k++)
        log->chain[k] = (log_chain){LOG_END, LOG_END, 0};
    atomic_store_explicit(&log->used, 0, memory_order_relaxed);
    atomic_store_explicit(&log->lost, 0, memory_order_relaxed);
}

int clv_sim_log_alloc(const clv_world *w, size_t capacity, clv_sim_log **out, clv_error *err)
{
    *out = NULL;
    if (capacity == 0)
        capacity = clv_sim_log_capacity(w);
    clv_sim_log *log = calloc(1, sizeof *log);
    if (!log)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    log->w = w;
    log->n_chains = 1 + w->n_blocks_max;
    /* every chain may leave its last chunk part empty: one chunk more per
     * chain keeps `capacity` transactions in any distribution */
    const size_t chunks = (capacity + LOG_CHUNK - 1) / LOG_CHUNK + log->n_chains;
    if (chunks >= LOG_END || chunks > SIZE_MAX / (LOG_CHUNK * sizeof *log->tx)) {
        clv_sim_log_free(log);
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "capacity", "%zu transactions are more than a log can hold",
                             capacity);
    }
    log->n_chunks = chunks;
    log->capacity = capacity;
    log->tx = malloc(chunks * LOG_CHUNK * sizeof *log->tx);
    log->next = malloc(chunks * sizeof *log->next);
    log->chain = malloc(log->n_chains * sizeof *log->chain);
    if (!log->tx || !log->next || !log->chain) {
        clv_sim_log_free(log);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory for a log of %zu transactions", capacity);
    }
    log->bytes = sizeof *log + chunks * (LOG_CHUNK * sizeof *log->tx + sizeof *log->next) +
                 log->n_chains * sizeof *log->chain;
    atomic_init(&log->used, 0);
    atomic_init(&log->lost, 0);
    log_clear(log);
    *out = log;
    return CLV_OK;
}

size_t clv_sim_log_size(const clv_sim_log *log) { return log->capacity; }
size_t clv_sim_log_memory(const clv_sim_log *log) { return log->bytes; }

int clv_sim_record_into(clv_sim *s, clv_sim_log *log, clv_error *err)
{
    if (log && log->w != s->w)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "log", "the log was made for another world");
    if (log)
        log_clear(log);
    s->log = log;
    return CLV_OK;
}

size_t clv_sim_lost_transactions(const clv_sim *s)
{
    return s->log ? atomic_load_explicit(&s->log->lost, memory_order_relaxed) : 0;
}

int clv_sim_log_check(const clv_sim *s, clv_error *err)
{
    const size_t lost = clv_sim_lost_transactions(s);
    if (!lost)
        return CLV_OK;
    return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL,
                         "the transaction log (room for %zu transactions) was too small for the last reset or step: "
                         "%zu transactions were not recorded (the simulation itself is unaffected; record into a "
                         "larger clv_sim_log)", s->log->capacity, lost);
}

int clv_sim_transactions(const clv_sim *s, int (*fn)(void *ctx, const clv_sim_tx *tx), void *ctx)
{
    const clv_sim_log *log = s->log;
    if (!log)
        return CLV_EINPUT;
    if (atomic_load_explicit(&log->lost, memory_order_relaxed))
        return CLV_ENOMEM;
    /* the first purchases of new customers come first: their other
     * transactions of the epoch are in the blocks */
    for (size_t k = 0; k < log->n_chains; k++) {
        const log_chain *c = &log->chain[k];
        for (uint32_t id = c->head; id != LOG_END; id = log->next[id]) {
            const size_t m = id == c->tail ? c->fill : LOG_CHUNK;
            for (size_t q = 0; q < m; q++) {
                int rc = fn(ctx, &log->tx[(size_t)id * LOG_CHUNK + q]);
                if (rc)
                    return rc;
            }
        }
    }
    return CLV_OK;
}

/* ---- states ---- */

void clv_sim_free(clv_sim *s)
{
    if (!s)
        return;
    for (int w = 0; s->grng && w < s->workers; w++) {
        if (s->grng[w]) {
            s->grng[w]->state = s->grng_own[w]; /* it may point at a customer's stream */
            gsl_rng_free(s->grng[w]);
        }
    }
    free(s->grng);
    free(s->grng_own);
    free(s->woken);
    free(s->mem);
    free(s->days);
    free(s->acc);
    clv_sim_log_free(s->own_log);
    clv_world_free(s->own_world);
    free(s);
}

int clv_sim_alloc_in(const clv_world *w, const clv_sim_opts *opts, clv_sim **out, clv_error *err)
{
    *out = NULL;
    clv_sim_opts def;
    if (!opts) {
        clv_sim_opts_default(&def);
        opts = &def;
    }
    clv_sim *s = calloc(1, sizeof *s);
    if (!s)
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    s->w = w;
    s->threads = clv_threads_resolve(opts->threads);
    s->progress = opts->progress;
    const size_t cap = w->cap, H = (size_t)w->history;
    /* one allocation for every per-customer array, the streams first (aligned) */
    size_t bytes = cap * (sizeof(cust) + sizeof(float) + H * sizeof(int32_t)) + 64;
    s->mem = calloc(1, bytes);
    s->bytes = sizeof *s + bytes + (size_t)w->horizon_days * sizeof *s->days +
               w->n_blocks_max * ACC_N * ((size_t)w->epoch_days + 1) * sizeof *s->acc;
    s->days = calloc((size_t)w->horizon_days, sizeof *s->days);
    s->acc = calloc(w->n_blocks_max * ACC_N * ((size_t)w->epoch_days + 1), sizeof *s->acc);
    s->workers = s->threads;
    s->grng = calloc((size_t)s->workers, sizeof *s->grng);
    s->grng_own = calloc((size_t)s->workers, sizeof *s->grng_own);
    s->woken = malloc((size_t)s->workers * BLOCK * sizeof *s->woken);
    if (!s->mem || !s->days || !s->acc || !s->grng || !s->grng_own || !s->woken) {
        clv_sim_free(s);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory for %zu customers", cap);
    }
    for (int k = 0; k < s->workers; k++) {
        if (!(s->grng[k] = gsl_rng_alloc(clv_gsl_rng_xoshiro256ss))) {
            clv_sim_free(s);
            return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
        }
        s->grng_own[k] = s->grng[k]->state;
    }
    if (opts->record) {
        int st = clv_sim_log_alloc(w, 0, &s->own_log, err);
        if (st != CLV_OK) {
            clv_sim_free(s);
            return st;
        }
        s->log = s->own_log;
        s->bytes += s->own_log->bytes;
    }
    char *p = s->mem;
#define CARVE(field, count)                          \
    do {                                             \
        s->field = (void *)p;                        \
        p += (count) * sizeof *s->field;             \
    } while (0)
    CARVE(c, cap);
    CARVE(hist, cap * H);
    CARVE(wake, cap);
#undef CARVE
    *out = s;
    return CLV_OK;
}

int clv_sim_alloc(const clv_scenario *scn, const clv_sim_opts *opts, clv_sim **out, clv_error *err)
{
    *out = NULL;
    clv_world *w = NULL;
    int st = clv_world_alloc(scn, opts, &w, err);
    if (st != CLV_OK)
        return st;
    if ((st = clv_sim_alloc_in(w, opts, out, err)) != CLV_OK) {
        clv_world_free(w);
        return st;
    }
    (*out)->own_world = w;
    (*out)->bytes += w->bytes;
    return CLV_OK;
}

const clv_world *clv_sim_world(const clv_sim *s) { return s->w; }
const clv_progress *clv_sim_progress(const clv_sim *s) { return s->progress; }

/* ---- copies and fresh luck ---- */

/* CLV_OK when a state of world a can be copied into one of world b: the
 * same customers, capacity, calendar, history and actions (budgets may
 * differ); else CLV_EINPUT naming the first difference */
static int same_shape(const clv_world *a, const clv_world *b, clv_error *err)
{
    if (a == b)
        return CLV_OK;
    char d[112];
    const char *what = NULL;
    if (a->n0 != b->n0) {
        what = "population.customers";
        snprintf(d, sizeof d, "%zu existing customers, not %zu", b->n0, a->n0);
    } else if (a->cal.first != b->cal.first || a->cal.start != b->cal.start || a->cal.end != b->cal.end ||
               a->epoch_days != b->epoch_days || a->epochs != b->epochs) {
        what = "calendar";
        snprintf(d, sizeof d, "%d epochs of %d days, or another start or burn-in", b->epochs, b->epoch_days);
    } else if (memcmp(a->cal.m, b->cal.m, a->cal.n * sizeof *a->cal.m) != 0 ||
               memcmp(a->cal.acq, b->cal.acq, a->cal.n * sizeof *a->cal.acq) != 0) {
        what = "seasonality";
        snprintf(d, sizeof d, "other seasonal or acquisition multipliers");
    } else if (a->cap != b->cap) {
        what = "acquisition";
        snprintf(d, sizeof d, "a capacity of %zu customers, not %zu", b->cap, a->cap);
    } else if (a->history != b->history) {
        what = "history";
        snprintf(d, sizeof d, "%d purchases kept per customer, not %d", b->history, a->history);
    } else if (a->dropout != b->dropout) {
        what = "population.model";
        snprintf(d, sizeof d, "another dropout process");
    } else if (a->n_coupons != b->n_coupons || a->n_prices != b->n_prices || a->list_price != b->list_price) {
        what = "interventions";
        snprintf(d, sizeof d, "%d coupons and %d price levels (list: %d), not %d and %d (%d)", b->n_coupons,
                 b->n_prices, b->list_price + 1, a->n_coupons, a->n_prices, a->list_price + 1);
    }
    if (!what)
        return CLV_OK;
    return clv_error_set(err, CLV_EINPUT, NULL, 0, what,
                         "cannot copy the state: the destination's world has %s; expected a world of the same "
                         "scenario, which may differ only in interventions.budget", d);
}

int clv_sim_copy(clv_sim *dst, const clv_sim *src, clv_error *err)
{
    if (dst == src)
        return CLV_OK;
    int st = same_shape(src->w, dst->w, err);
    if (st != CLV_OK)
        return st;
    const size_t n = src->n, H = (size_t)src->w->history;
    dst->seed = src->seed, dst->rep = src->rep;
    dst->relucked = src->relucked, dst->reluck_rep = src->reluck_rep;
    dst->epoch = src->epoch;
    dst->n = n;
    dst->acq_rng = src->acq_rng;
    memcpy(dst->c, src->c, n * sizeof *dst->c);
    /* the cached price responses and purchase margins are the source
     * world's: recomputed in another world */
    for (size_t i = 0; dst->w != src->w && i < n; i++)
        dst->c[i].pk_key = dst->c[i].pm_key = 0, dst->c[i].kap_key = 0;
    memcpy(dst->wake, src->wake, n * sizeof *dst->wake);
    memcpy(dst->hist, src->hist, n * H * sizeof *dst->hist);
    dst->run_alive = src->run_alive;
    memcpy(dst->run_stage, src->run_stage, sizeof dst->run_stage);
    dst->spent = src->spent;
    memcpy(dst->days, src->days, src->n_days * sizeof *dst->days);
    dst->n_days = src->n_days;
    if (dst->log) /* the destination's recording starts empty: the source's log stays the source's */
        log_clear(dst->log);
    return CLV_OK;
}

/* fresh luck for the customers of one block (clv_sim_reluck) */
static int reluck_unit(size_t unit, int worker, void *ctx)
{
    (void)worker;
    clv_sim *s = ctx;
    const clv__calendar *cal = &s->w->cal;
    const int32_t today = clv_sim_today(s);
    const double sn = season_of_day(cal, today);
    const size_t end = (unit + 1) * BLOCK < s->n ? (unit + 1) * BLOCK : s->n;
    for (size_t i = unit * BLOCK; i < end; i++) {
        cust *c = &s->c[i];
        clv_rng_seed(&c->rng, (clv_stream_key){s->seed, CLV_STREAM_RELUCK, s->reluck_rep, i});
        if (!c->alive)
            continue;
        /* the residual unit clock of the next purchase, consumed at the
         * customer's intensity lam x k from now (a clock stopped at k = 0,
         * or past the calendar, stays so) */
        if (isfinite(c->snext) && c->k > 0)
            c->snext = sn + exp1(&c->rng) / (c->lam * c->k);
        /* Pareto/NBD: the remaining lifetime, exponential of rate mu from now */
        if (s->w->dropout == CLV_SIM_DROPOUT_LIFETIME && isfinite(c->tdeath)) {
            c->tdeath = today + exp1(&c->rng) / c->drop;
            c->sdeath = season_of(cal, c->tdeath);
        }
        set_wake(s, i, next_stage_change(s, today - 1, c->first, c->last), today);
    }
    return CLV_OK;
}

int clv_sim_reluck(clv_sim *s, uint64_t key, clv_error *err)
{
    s->relucked = 1;
    s->reluck_rep = clv_stream_hash((clv_stream_key){s->rep, CLV_STREAM_RELUCK, key, (uint64_t)s->epoch});
    clv_rng_seed(&s->acq_rng, (clv_stream_key){s->seed, CLV_STREAM_RELUCK, s->reluck_rep,
                                               CLV_BLOCK_RELUCK_ACQUISITION});
    if (clv_sim_done(s))
        return CLV_OK;
    int st = clv_parallel_for(s->threads, (s->n + BLOCK - 1) / BLOCK, reluck_unit, s);
    return st == CLV_OK ? CLV_OK : clv_error_set(err, st, NULL, 0, NULL, "reluck failed");
}

const char *clv_segment_name(int segment)
{
    static const char *const names[] = {"persuadable", "sure-thing", "lost-cause", "sleeping-dog"};
    return segment >= 0 && segment < 4 ? names[segment] : "unknown";
}

int clv_sim_segment(const clv_sim *s, size_t i) { return s->c[i].seg; }

void clv_sim_traits(const clv_sim *s, size_t i, double *lambda, double *dropout, double *nu)
{
    *lambda = s->c[i].lam;
    *dropout = s->c[i].drop;
    *nu = s->c[i].nu;
}

/* ---- reset ---- */

typedef struct {
    clv_sim *s;
    size_t n;
    double *counts;  /* per block: alive, then the stages */
} burn_job;

/* customers of one block: traits, first purchase in the burn-in, history to the start */
static int burn_unit(size_t unit, int worker, void *ctx)
{
    burn_job *j = ctx;
    clv_sim *s = j->s;
    gsl_rng *g = s->grng[worker];
    size_t end = (unit + 1) * BLOCK < j->n ? (unit + 1) * BLOCK : j->n;
    const clv__calendar *cal = &s->w->cal;
    if (clv_progress_poll(s->progress) != CLV_OK)
        return CLV_ECANCELLED;
    for (size_t i = unit * BLOCK; i < end; i++) {
        /* the first purchase, uniform over the burn-in (or the start day) */
        clv_rng pos;
        clv_rng_seed(&pos, (clv_stream_key){s->seed, CLV_STREAM_POPULATION, s->rep, i ^ CLV_BLOCK_FIRST_PURCHASE});
        double tf = s->w->first_days ? s->w->first_days[i] + clv_rng_uniform(&pos)
                                  : cal->first + (double)(cal->start - cal->first) * clv_rng_uniform(&pos);
        init_customer(s, g, i, tf);
        int32_t d = (int32_t)floor(tf);
        if (s->log)
            push_tx(s->log, 1 + unit, i, d, tf, s->c[i].total); /* the first purchase */
        if (d < cal->start)
            advance(s, g, i, d, cal->start, NULL, s->log, 1 + unit);
        s->c[i].seg = (uint8_t)stratum(s, &s->c[i], cal->start);
        /* counts at the end of the day before the start */
        double *c = j->counts + unit * (1 + CLV_STAGE_N);
        c[0] += s->c[i].alive;
        c[1 + s->c[i].stage] += 1;
    }
    g->state = s->grng_own[worker];
    return CLV_OK;
}

int clv_sim_reset(clv_sim *s, uint64_t seed, uint64_t replication, clv_error *err)
{
    s->seed = seed;
    s->rep = replication;
    s->relucked = 0;
    s->reluck_rep = 0;
    s->epoch = 0;
    s->n = s->w->n0;
    s->n_days = 0;
    memset(s->act_counts, 0, sizeof s->act_counts);
    clv_rng_seed(&s->acq_rng, (clv_stream_key){seed, CLV_STREAM_ACQUISITION, replication, 0});
    if (s->log)
        log_clear(s->log);
    /* the per-block counts borrow the accumulators, summed in block order */
    const size_t blocks = (s->w->n0 + BLOCK - 1) / BLOCK;
    memset(s->acc, 0, blocks * (1 + CLV_STAGE_N) * sizeof *s->acc);
    burn_job j = {s, s->w->n0, s->acc};
    int st = clv_parallel_for(s->threads, blocks, burn_unit, &j);
    if (st != CLV_OK)
        return clv_error_set(err, st, NULL, 0, NULL, st == CLV_ECANCELLED ? "cancelled" : "reset failed");
    s->run_alive = 0;
    s->spent = 0;
    for (int q = 0; q < CLV_STAGE_N; q++)
        s->run_stage[q] = 0;
    for (size_t b = 0; b < blocks; b++) {
        const double *c = s->acc + b * (1 + CLV_STAGE_N);
        s->run_alive += c[0];
        for (int q = 0; q < CLV_STAGE_N; q++)
            s->run_stage[q] += c[1 + q];
    }
    return CLV_OK;
}

/* ---- stepping ---- */

typedef struct {
    clv_sim *s;
    int32_t t0, t1;
    /* deferred actions (no actions, or no budget that can refuse a coupon:
     * the order of the customers does not matter): each block applies them
     * to its own customers below n_before as it scans them; actions NULL:
     * no coupon and the list price */
    int defer;
    const clv_action *actions;
    size_t n_before;
} step_job;

/* the most a coupon of level k (1-based) can cost: what it reserves */
static double coupon_reserve(const clv_world *w, int k)
{
    const clv_scn_coupon *cp = &w->coupon[k - 1];
    return cp->contact_cost + cp->redemption_cost + cp->max_value;
}

/* customer i is sent coupon k (1-based) at the next epoch start,
 * reserving cost */
static inline void send_coupon(clv_sim *s, size_t i, int k, double cost)
{
    s->c[i].reserved = (float)cost;
    s->c[i].send = (uint8_t)k;
    s->wake[i] = -INFINITY;
}

/* customer i's price level from the next epoch start (woken when it changes) */
static inline void request_price(clv_sim *s, size_t i, int price)
{
    s->c[i].price_req = (uint8_t)price;
    if (price != s->c[i].price)
        s->wake[i] = -INFINITY;
}

static int step_unit(size_t unit, int worker, void *ctx)
{
    step_job *j = ctx;
    clv_sim *s = j->s;
    gsl_rng *g = s->grng[worker];
    const size_t E = (size_t)s->w->epoch_days + 1;
    double *acc = s->acc + unit * ACC_N * E;
    memset(acc, 0, ACC_N * E * sizeof *acc);
    const size_t base = unit * BLOCK, end = base + BLOCK < s->n ? base + BLOCK : s->n;
    /* most customers have nothing happening this epoch: a scan of their
     * wake times lists the others */
    const double ce = s->w->cal.C[j->t1 - s->w->cal.first];
    const float *wake = s->wake;
    uint32_t *woken = s->woken + (size_t)worker * BLOCK;
    size_t nw = 0;
    const size_t acted = end < j->n_before ? end : j->n_before;
    if (j->defer && !j->actions) {
        /* no actions: the list price for the block's customers, then the
         * scan of their wake times */
        for (size_t i = base; i < acted; i++)
            request_price(s, i, s->w->list_price);
    } else if (j->defer) {
        /* every customer is read for its action anyway: take them in order,
         * each advanced right after its action (the order of the advances,
         * and so of the sums, is that of the scan below) */
        for (size_t i = base; i < end; i++) {
            if (i < acted) {
                const clv_action a = j->actions[i];
                if (a.coupon)
                    send_coupon(s, i, a.coupon, coupon_reserve(s->w, a.coupon));
                request_price(s, i, a.price);
            }
            if (!(wake[i] < ce))
                continue;
            woken[nw++] = (uint32_t)(i - base);
            double m = advance(s, g, i, j->t0, j->t1, acc, s->log, 1 + unit);
            if (m != 0 && s->margin_out && i < s->n_margin)
                s->margin_out[i] = m;
        }
        goto expected;
    }
    for (size_t i = base; i < end; i++) {
        woken[nw] = (uint32_t)(i - base);
        nw += wake[i] < ce;
    }
    /* their records are scattered in memory: fetch a few ahead while
     * working on the current one, or every one of them costs a miss */
    enum { AHEAD = 6 };
    const size_t H = (size_t)s->w->history;
    for (size_t q = 0; q < nw; q++) {
#if defined(__GNUC__)
        if (q + AHEAD < nw) {
            size_t a = base + woken[q + AHEAD];
            __builtin_prefetch(&s->c[a], 1);
            __builtin_prefetch((const char *)&s->c[a] + 64, 1);
            __builtin_prefetch(&s->hist[a * H], 1);
        }
#endif
        size_t i = base + woken[q];
        double m = advance(s, g, i, j->t0, j->t1, acc, s->log, 1 + unit);
        if (m != 0 && s->margin_out && i < s->n_margin)
            s->margin_out[i] = m;
    }
expected:
    if (s->reward == CLV_SIM_REWARD_EXPECTED && s->margin_out) {
        /* the customers nothing happens to: their state holds through the
         * epoch, and their expected margin is one span's */
        const double cs = s->w->cal.C[j->t0 - s->w->cal.first];
        const size_t hi = end < s->n_margin ? end : s->n_margin;
        size_t q = 0;
        for (size_t i = base; i < hi; i++) {
            if (q < nw && base + woken[q] == i) {
                q++;
                continue;
            }
            if (s->c[i].alive)
                s->margin_out[i] = expected_span(s, &s->c[i], ce - cs);
        }
    }
    g->state = s->grng_own[worker];
    return CLV_OK;
}

/* ---- per-customer rollouts (clvsim/sim.h) ---- */

struct clv_sim_rollout_ws {
    const clv_world *w;
    gsl_rng *g;                 /* pointed at the customer's stream during advance */
    void *g_own;                /* its own state, restored before it is freed */
    double *acc;                /* ACC_N x (epoch_days + 1): the one customer's accumulators, never read */
    int32_t *hist;              /* its ring of purchase days */
};

clv_sim_rollout_ws *clv_sim_rollout_ws_alloc(const clv_world *w, clv_error *err)
{
    clv_sim_rollout_ws *ws = calloc(1, sizeof *ws);
    if (ws) {
        ws->w = w;
        ws->g = gsl_rng_alloc(clv_gsl_rng_xoshiro256ss);
        ws->g_own = ws->g ? ws->g->state : NULL;
        ws->acc = calloc(ACC_N * ((size_t)w->epoch_days + 1), sizeof *ws->acc);
        ws->hist = calloc((size_t)w->history, sizeof *ws->hist);
    }
    if (!ws || !ws->g || !ws->acc || !ws->hist) {
        clv_sim_rollout_ws_free(ws);
        clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory for a rollout workspace");
        return NULL;
    }
    return ws;
}

void clv_sim_rollout_ws_free(clv_sim_rollout_ws *ws)
{
    if (!ws)
        return;
    if (ws->g) {
        ws->g->state = ws->g_own;
        gsl_rng_free(ws->g);
    }
    free(ws->acc), free(ws->hist);
    free(ws);
}

int clv_sim_rollout(clv_sim_rollout_ws *ws, const clv_sim *s, clv_action x, int hold, size_t n, float *value,
                    const clv_progress *progress, clv_error *err)
{
    const clv_world *w = ws->w;
    int st = same_shape(s->w, w, err);
    if (st != CLV_OK)
        return st;
    if (w->budget_epoch >= 0 || w->budget_total >= 0)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "a rollout's world must have no budget "
                             "(customers then never interact)");
    if (x.coupon > w->n_coupons || x.price >= w->n_prices)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "action", "coupon %d of 0..%d, price level %d of 0..%d",
                             x.coupon, w->n_coupons, x.price, w->n_prices - 1);
    if (n > s->n)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "a rollout of %zu of the state's %zu customers", n, s->n);
    const size_t H = (size_t)w->history, E = (size_t)w->epoch_days + 1;
    const clv__calendar *cal = &w->cal;
    const clv_action none = {0, (uint8_t)w->list_price};
    /* a state of one customer in w: what advance and the functions it calls read */
    cust c;
    float wake;
    clv_sim one;
    memset(&one, 0, sizeof one);
    one.w = w, one.c = &c, one.wake = &wake, one.hist = ws->hist, one.reward = CLV_SIM_REWARD_EXPECTED;
    for (size_t i = 0; i < n; i++) {
        if ((i & 4095) == 0 && clv_progress_poll(progress) != CLV_OK) {
            ws->g->state = ws->g_own; /* not left pointing at this call's record */
            return clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "cancelled");
        }
        c = s->c[i];
        if (s->w != w) /* the cached responses are the source world's (clv_sim_copy) */
            c.pk_key = c.pm_key = 0, c.kap_key = 0;
        wake = s->wake[i];
        memcpy(ws->hist, s->hist + i * H, H * sizeof *ws->hist);
        /* clv_sim_step's epochs for this customer, in the deferred order
         * (its action, then its advance or its expected margin) */
        double sum = 0;
        for (int e = s->epoch; e < w->epochs; e++) {
            const int32_t t0 = cal->start + e * w->epoch_days;
            const int32_t t1 = t0 + w->epoch_days < cal->end ? t0 + w->epoch_days : cal->end;
            const double ce = cal->C[t1 - cal->first];
            const clv_action a = e == s->epoch || hold ? x : none;
            if (a.coupon)
                send_coupon(&one, 0, a.coupon, coupon_reserve(w, a.coupon));
            request_price(&one, 0, a.price);
            double m = 0;
            if (wake < ce) {
                ws->acc[ACC_MARGIN * E] = 0; /* the contact cost is advance's difference of it */
                m = advance(&one, ws->g, 0, t0, t1, ws->acc, NULL, 0);
            } else if (c.alive)
                m = expected_span(&one, &c, ce - cal->C[t0 - cal->first]);
            sum += m;
        }
        value[i] = (float)sum;
    }
    ws->g->state = ws->g_own;
    return CLV_OK;
}

/* ---- the budget claims (clvsim/sim.h; clv_sim_step_ordered makes its own
 * with these) ---- */

void clv_sim_claims_begin(const clv_sim *s, clv_sim_claims *c)
{
    c->t0 = s->w->cal.start + s->epoch * s->w->epoch_days;
    c->reserved = c->outstanding = c->magnitude = 0;
    c->terms = 0;
    if (s->w->budget_total >= 0)
        for (size_t i = 0; i < s->n; i++)
            if (s->c[i].live && s->c[i].cpn_expiry > c->t0) {
                c->outstanding += s->c[i].reserved;
                c->terms++;
            }
    c->magnitude = c->outstanding; /* a sum of terms >= 0 */
}

double clv_sim_claim_cost(const clv_sim *s, int coupon)
{
    return coupon_reserve(s->w, coupon);
}

/* a static inline copy of clv_sim_claim, which the step calls per customer
 * (-fPIC keeps a global function out of line) */
static inline int claim(const clv_sim *s, clv_sim_claims *c, size_t i, int coupon)
{
    const cust *u = &s->c[i];
    const double cost = coupon_reserve(s->w, coupon);
    const double replaced = u->live && u->cpn_expiry > c->t0 ? u->reserved : 0;
    if ((s->w->budget_epoch >= 0 && c->reserved + cost > s->w->budget_epoch) ||
        (s->w->budget_total >= 0 && s->spent + c->outstanding - replaced + cost > s->w->budget_total))
        return 0;
    c->reserved += cost;
    c->outstanding += cost - replaced;
    c->magnitude += cost + replaced;
    c->terms += 2;
    return 1;
}

int clv_sim_claim(const clv_sim *s, clv_sim_claims *c, size_t i, int coupon)
{
    return claim(s, c, i, coupon);
}

/* A bound on the rounding of `ops` additions of terms whose magnitudes sum
 * to at most m: each rounds by at most DBL_EPSILON / 2 of a partial result
 * <= m (1 + small); four times that, so that the test using it is safe
 * with its own roundings. */
static double rounding(size_t ops, double m)
{
    return 2.0 * (double)(ops + 8) * DBL_EPSILON * m;
}

int clv_sim_claims_fit(const clv_sim *s, const clv_sim_claims *c, double sum, size_t n)
{
    const double be = s->w->budget_epoch, bt = s->w->budget_total;
    if (n == 0)
        return 1;
    /* a claim's test is at most (reserved + every cost) rounded, and at
     * most spent + outstanding + every cost (the replaced reservations
     * only lower it), rounded through the sums of both and of `sum` */
    if (be >= 0 && !(c->reserved + sum + rounding(2 * n, c->reserved + sum) <= be))
        return 0;
    if (bt >= 0 && !(s->spent + c->outstanding + sum +
                         rounding(c->terms + 4 * n, s->spent + 2 * c->magnitude + 2 * sum) <= bt))
        return 0;
    return 1;
}

int clv_sim_claims_closed(const clv_sim *s, const clv_sim_claims *c, double min_cost)
{
    const double be = s->w->budget_epoch, bt = s->w->budget_total;
    /* reserved only grows, and rounding is monotonic: reserved + cost >=
     * reserved + min_cost, rounded, for every later claim */
    if (be >= 0 && c->reserved + min_cost > be)
        return 1;
    /* a customer not yet claimed still has its live reservation in
     * outstanding, so its test is at least spent + its cost, up to the
     * rounding of outstanding and of the test (smallest at min_cost) */
    if (bt >= 0 && s->spent + min_cost > bt + rounding(c->terms + 4, s->spent + c->magnitude + min_cost + bt))
        return 1;
    return 0;
}

int clv_sim_step(clv_sim *s, const clv_action *actions, double *margin, clv_error *err)
{
    return clv_sim_step_ordered(s, actions, NULL, margin, err);
}

int clv_sim_step_ordered(clv_sim *s, const clv_action *actions, const uint32_t *order, double *margin,
                         clv_error *err)
{
    if (s->epoch >= s->w->epochs)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, NULL, "the horizon is over (%d epochs)", s->w->epochs);
    const size_t n_before = s->n;
    const int32_t t0 = s->w->cal.start + s->epoch * s->w->epoch_days;
    const int32_t t1 = t0 + s->w->epoch_days < s->w->cal.end ? t0 + s->w->epoch_days : s->w->cal.end;
    const size_t E = (size_t)s->w->epoch_days + 1, nd = (size_t)(t1 - t0);
    if (s->log)
        log_clear(s->log);

    /* the actions, in customer order: a coupon reserves the most it can
     * cost (contact + redemption cost + its largest discount) within the
     * epoch's and the total budget, or is refused; a customer with a coupon
     * or a new price level is woken at the epoch start */
    double refused = 0;
    /* without budgets no coupon is refused and the order does not matter,
     * and no actions (the list price for all) need no order either: the
     * blocks apply the actions to their customers in parallel, as they scan
     * them (when every action is valid; else the loop below says which is
     * not) */
    int defer = !actions || (!order && s->w->budget_epoch < 0 && s->w->budget_total < 0);
    for (size_t i = 0; defer && actions && i < n_before; i++)
        if (actions[i].coupon > s->w->n_coupons || actions[i].price >= s->w->n_prices)
            defer = 0;
    clv_sim_claims claims = {0};
    if (!defer)
        clv_sim_claims_begin(s, &claims);
    const size_t P = (size_t)s->w->n_prices;
    for (size_t q = 0; !defer && actions && q < n_before; q++) {
        const size_t i = order ? order[q] : q;
        if (i >= n_before)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, "order", "customer %zu of %zu", i, n_before);
        const clv_action a = actions[i];
        if (a.coupon > s->w->n_coupons || a.price >= s->w->n_prices)
            return clv_error_set(err, CLV_EINPUT, NULL, 0, "actions",
                                 "customer %zu: coupon %d of 0..%d, price level %d of 0..%d", i, a.coupon,
                                 s->w->n_coupons, a.price, s->w->n_prices - 1);
        int sent = 0;
        if (a.coupon) {
            if (!claim(s, &claims, i, a.coupon))
                refused += 1;
            else
                send_coupon(s, i, a.coupon, coupon_reserve(s->w, a.coupon)), sent = 1;
        }
        request_price(s, i, a.price);
        s->act_counts[(sent ? (size_t)a.coupon : 0) * P + a.price] += 1;
    }
    /* the deferred actions are all executed (no budget refuses a coupon) */
    for (size_t i = 0; defer && actions && i < n_before; i++)
        s->act_counts[(size_t)actions[i].coupon * P + actions[i].price] += 1;
    if (!actions)
        s->act_counts[(size_t)s->w->list_price] += (double)n_before;
    /* no actions: no coupon, and the list price for everyone (a customer
     * at another level is woken to return to it) */
    for (size_t i = 0; !defer && !actions && i < n_before; i++)
        request_price(s, i, s->w->list_price);

    /* arrivals of the epoch, day by day from the acquisition stream, each
     * with a first purchase at a uniform time of its day */
    double first_purchases[366] = {0}, first_revenue[366] = {0};
    for (int32_t d = t0; d < t1; d++) {
        double mean = s->w->cal.acq[d - s->w->cal.first];
        if (mean <= 0)
            continue;
        s->grng[0]->state = &s->acq_rng;
        unsigned k = gsl_ran_poisson(s->grng[0], mean);
        for (unsigned q = 0; q < k; q++) {
            if (s->n >= s->w->cap)
                return clv_error_set(err, CLV_ENUMERIC, NULL, 0, "acquisition",
                                     "more arrivals than the capacity of %zu customers", s->w->cap);
            double tf = d + clv_rng_uniform(&s->acq_rng);
            size_t i = s->n++;
            init_customer(s, s->grng[0], i, tf);
            first_purchases[d - t0] += 1;
            first_revenue[d - t0] += s->c[i].total; /* alive and new from its first day: counted below */
            if (s->log)
                push_tx(s->log, 0, i, d, tf, s->c[i].total);
        }
    }
    s->grng[0]->state = s->grng_own[0];

    s->margin_out = margin;
    s->n_margin = n_before;
    for (size_t i = 0; margin && i < n_before; i++)
        margin[i] = 0;
    step_job j = {s, t0, t1, defer, actions, n_before};
    size_t blocks = (s->n + BLOCK - 1) / BLOCK;
    int st = clv_parallel_for(s->threads, blocks, step_unit, &j);
    s->margin_out = NULL;
    if (st != CLV_OK)
        return clv_error_set(err, st, NULL, 0, NULL, "step failed");

    /* daily totals: block sums in block order; the counts carried from the
     * day before and changed by the day's events */
    double alive = s->run_alive, stage[CLV_STAGE_N];
    for (int q = 0; q < CLV_STAGE_N; q++)
        stage[q] = s->run_stage[q];
    for (size_t k = 0; k < nd; k++) {
        clv_sim_day *day = &s->days[s->n_days + k];
        memset(day, 0, sizeof *day);
        day->day = t0 + (int32_t)k;
        for (size_t b = 0; b < blocks; b++) {
            const double *acc = s->acc + b * ACC_N * E;
            day->purchases += acc[ACC_PURCHASES * E + k];
            day->revenue += acc[ACC_REVENUE * E + k];
            day->cost_of_goods += acc[ACC_COGS * E + k];
            day->coupon_cost += acc[ACC_COUPON * E + k];
            day->net_margin += acc[ACC_MARGIN * E + k];
            day->redemptions += acc[ACC_REDEEM * E + k];
            day->coupons_sent += acc[ACC_SENT * E + k];
            alive += acc[ACC_ALIVE * E + k];
            for (int q = 0; q < CLV_STAGE_N; q++)
                stage[q] += acc[(ACC_STAGE + q) * E + k];
        }
        if (k == 0)
            day->coupons_refused = refused;
        /* new customers' first purchases, counted serially at their arrival */
        day->first_purchases = first_purchases[k];
        alive += first_purchases[k];
        stage[CLV_STAGE_NEW] += first_purchases[k];
        day->purchases += first_purchases[k];
        day->revenue += first_revenue[k];
        day->cost_of_goods += first_revenue[k] * (1 - s->w->margin_rate);
        day->net_margin += first_revenue[k] * s->w->margin_rate;
        day->alive = alive;
        for (int q = 0; q < CLV_STAGE_N; q++)
            day->stage[q] = stage[q];
    }
    /* customers acquired so far, at the end of each day */
    double acquired = (double)n_before;
    for (size_t k = 0; k < nd; k++) {
        acquired += first_purchases[k];
        s->days[s->n_days + k].customers = acquired;
    }
    s->run_alive = alive;
    for (int q = 0; q < CLV_STAGE_N; q++)
        s->run_stage[q] = stage[q];
    for (size_t k = 0; k < nd; k++)
        s->spent += s->days[s->n_days + k].coupon_cost;
    s->n_days += nd;
    s->epoch++;
    return CLV_OK;
}

/* ---- queries ---- */

size_t clv_sim_customers(const clv_sim *s) { return s->n; }
size_t clv_sim_capacity(const clv_sim *s) { return s->w->cap; }
int clv_sim_epoch(const clv_sim *s) { return s->epoch; }
int clv_sim_epochs(const clv_sim *s) { return s->w->epochs; }
int clv_sim_done(const clv_sim *s) { return s->epoch >= s->w->epochs; }
size_t clv_sim_memory(const clv_sim *s) { return s->bytes; }
int clv_sim_list_price(const clv_sim *s) { return s->w->list_price; }

int clv_sim_set_reward(clv_sim *s, int reward, clv_error *err)
{
    if (reward != CLV_SIM_REWARD_REALISED && reward != CLV_SIM_REWARD_EXPECTED)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "reward",
                             "expected CLV_SIM_REWARD_REALISED (0) or CLV_SIM_REWARD_EXPECTED (1), got %d", reward);
    s->reward = reward;
    return CLV_OK;
}

int clv_sim_season_phase(const clv_sim *s)
{
    int32_t d = clv_sim_today(s);
    if (d >= s->w->cal.end)
        d = s->w->cal.end - 1;
    return s->w->cal.phase[d - s->w->cal.first];
}
int32_t clv_sim_today(const clv_sim *s) { return s->w->cal.start + s->epoch * s->w->epoch_days; }
int clv_sim_alive(const clv_sim *s, size_t i) { return i < s->n && s->c[i].alive; }
int clv_sim_repeat_purchases(const clv_sim *s, size_t i) { return i < s->n ? s->c[i].nrep : 0; }
int32_t clv_sim_first_day(const clv_sim *s, size_t i) { return i < s->n ? s->c[i].first : 0; }
double clv_sim_coupon_spend(const clv_sim *s, size_t i) { return i < s->n ? s->c[i].spent : 0; }

/* A coupon is sent only in epoch_start, which stamps the day and keeps its
 * level in cpn until the next one: a customer was sent a coupon by the last
 * step exactly when its last coupon is of that step's first day. */
int clv_sim_sent(const clv_sim *s, size_t i)
{
    if (s->epoch == 0 || i >= s->n)
        return 0;
    const int32_t t0 = s->w->cal.start + (s->epoch - 1) * s->w->epoch_days;
    const cust *c = &s->c[i];
    return c->ncoupons > 0 && c->coupon_day == t0 ? c->cpn : 0;
}

const double *clv_sim_action_counts(const clv_sim *s, size_t *n_actions)
{
    *n_actions = (size_t)(s->w->n_coupons + 1) * (size_t)s->w->n_prices;
    return s->act_counts;
}

const clv_sim_day *clv_sim_days(const clv_sim *s, size_t *n_days)
{
    *n_days = s->n_days;
    return s->days;
}

int clv_sim_observe(const clv_sim *s, size_t first, size_t n, clv_sim_obs *out, clv_error *err)
{
    if (first > s->n || n > s->n - first)
        return clv_error_set(err, CLV_EINPUT, NULL, 0, "customers", "customers %zu..%zu of %zu", first,
                             first + n, s->n);
    /* observed at the end of the day before the next epoch */
    const int32_t today = clv_sim_today(s) - 1;
    const size_t H = (size_t)s->w->history;
    static const int windows[3] = {7, 30, 90};
    for (size_t q = 0; q < n; q++) {
        size_t i = first + q;
        clv_sim_obs *o = &out[q];
        o->stage = stage_at(s, today, s->c[i].first, s->c[i].last, s->c[i].ntx);
        o->purchases = s->c[i].ntx;
        o->recency_days = today - s->c[i].last;
        o->age_days = today - s->c[i].first;
        o->total_spend = s->c[i].total;
        o->first_spend = s->c[i].first_spend;
        o->last_spend = s->c[i].last_spend;
        o->max_spend = s->c[i].max_spend;
        o->mean_gap_days = s->c[i].ntx > 1 ? (double)(s->c[i].last - s->c[i].first) / (s->c[i].ntx - 1) : 0;
        const cust *c = &s->c[i];
        o->coupons = c->ncoupons;
        o->coupon_age_days = c->ncoupons ? today - c->coupon_day : -1;
        o->holds_coupon = c->live && c->cpn_expiry > today;
        o->price_level = c->price;
        o->price = s->w->price[c->price];
        o->today = today;
        /* purchases in recent windows, from the kept history */
        size_t kept = (size_t)s->c[i].ntx < H ? (size_t)s->c[i].ntx : H;
        for (int w = 0; w < 3; w++) {
            int count = 0;
            for (size_t h = 0; h < kept; h++)
                count += today - s->hist[i * H + h] < windows[w];
            o->recent[w] = count;
        }
    }
    return CLV_OK;
}

void clv_policy_free(clv_policy *p)
{
    if (p && p->release)
        p->release(p->ctx);
    if (p)
        memset(p, 0, sizeof *p);
}

int clv_sim_run_margins(clv_sim *s, const clv_policy *policy, const clv_progress *progress, double *margins,
                        clv_error *err)
{
    clv_sim_obs *obs = NULL;
    clv_action *act = NULL;
    uint32_t *order = NULL;
    double *margin = margins ? malloc(s->w->cap * sizeof *margin) : NULL;
    const int acts = policy && policy->act;
    if (acts) {
        obs = malloc(s->w->cap * sizeof *obs);
        act = malloc(s->w->cap * sizeof *act);
        order = policy->order ? malloc(s->w->cap * sizeof *order) : NULL;
    }
    if ((margins && !margin) || (acts && (!obs || !act || (policy->order && !order)))) {
        free(obs), free(act), free(order), free(margin);
        return clv_error_set(err, CLV_ENOMEM, NULL, 0, NULL, "out of memory");
    }
    int st = CLV_OK;
    while (st == CLV_OK && !clv_sim_done(s)) {
        size_t n = s->n;
        if (acts) {
            for (size_t i = 0; i < n; i++)
                act[i] = (clv_action){0, (uint8_t)s->w->list_price};
            st = clv_sim_observe(s, 0, n, obs, err);
            if (st == CLV_OK)
                st = policy->act(policy->ctx, s, obs, n, act, err);
            if (st == CLV_OK && order)
                st = policy->order(policy->ctx, s, act, n, order, err);
        }
        if (st == CLV_OK)
            st = clv_sim_step_ordered(s, acts ? act : NULL, order, margin, err);
        for (size_t i = 0; st == CLV_OK && margin && i < n; i++)
            margins[i] += margin[i];
        if (st == CLV_OK && clv_progress_report(progress, "simulating", s->epoch, s->w->epochs) != CLV_OK)
            st = clv_error_set(err, CLV_ECANCELLED, NULL, 0, NULL, "simulation cancelled");
    }
    free(obs), free(act), free(order), free(margin);
    return st;
}

int clv_sim_run(clv_sim *s, const clv_policy *policy, const clv_progress *progress, clv_error *err)
{
    return clv_sim_run_margins(s, policy, progress, NULL, err);
}
