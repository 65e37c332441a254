/* test_agent.c - the tabular agents against value iteration on a small MDP,
 * against Sutton and Barto's cliff-walking example, and their table files. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clvsim/agent.h"
#include "clvsim/qfunc.h"
#include "clvsim/rng.h"
#include "clvsim/streams.h"
#include "harness.h"

/* a random MDP of 5 states and 3 actions: each (s, a) moves to every state
 * with probabilities drawn from a flat Dirichlet, and pays a reward drawn
 * uniformly in [-1, 2] */
enum { S = 5, A = 3 };

static void make_mdp(double *P, double *R)
{
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){31, CLV_STREAM_USER, 0, 0});
    for (int sa = 0; sa < S * A; sa++) {
        double sum = 0;
        for (int s2 = 0; s2 < S; s2++)
            sum += P[sa * S + s2] = -log(clv_rng_uniform_pos(&r));
        for (int s2 = 0; s2 < S; s2++)
            P[sa * S + s2] /= sum;
        R[sa] = -1 + 3 * clv_rng_uniform(&r);
    }
}

static int next_state(const double *P, int s, int a, clv_rng *r)
{
    double u = clv_rng_uniform(r), c = 0;
    for (int s2 = 0; s2 < S; s2++) {
        c += P[(s * A + a) * S + s2];
        if (u < c)
            return s2;
    }
    return S - 1;
}

TEST(test_agent_small_mdp)
{
    double P[S * A * S], R[S * A], qstar[S * A];
    make_mdp(P, R);
    const double gamma = 0.8;
    clv_error err;
    CHECK_INT(clv_value_iteration(S, A, P, R, NULL, gamma, 1e-13, 10000, qstar, &err), CLV_OK);
    /* the Bellman equation holds at the fixed point */
    double worst = 0, scale = 0;
    for (int s = 0; s < S; s++)
        for (int a = 0; a < A; a++) {
            double x = R[s * A + a];
            for (int s2 = 0; s2 < S; s2++) {
                double v = qstar[s2 * A];
                for (int b = 1; b < A; b++)
                    v = harness_max(v, qstar[s2 * A + b]);
                x += gamma * P[(s * A + a) * S + s2] * v;
            }
            worst = harness_max(worst, fabs(x - qstar[s * A + a]));
            scale = harness_max(scale, fabs(qstar[s * A + a]));
        }
    CHECK(worst < 1e-11);

    /* Q-learning, off-policy from uniformly random actions, with step sizes
     * 1 / n(s,a)^0.7 (which satisfy Robbins and Monro's conditions): after
     * 2 million steps every Q(s,a) is within 2% of the largest |Q*| */
    clv_agent_params qp = {CLV_RULE_Q, gamma, 1.0, 1, 0.7, 0, 1.0, 1.0};
    clv_qtable *t = clv_qtable_alloc(S, A, 0, &err);
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){7, CLV_STREAM_EXPLORATION, 0, 0});
    int s = 0;
    for (long k = 0; k < 2000000; k++) {
        int a = clv_agent_act(t, &qp, (size_t)s, &r);
        int s2 = next_state(P, s, a, &r);
        clv_agent_update(t, &qp, (size_t)s, a, R[s * A + a], (size_t)s2, 0, 0);
        s = s2;
    }
    double err_q = 0;
    for (int i = 0; i < S * A; i++)
        err_q = harness_max(err_q, fabs(t->q[i] - qstar[i]));
    if (!(err_q < 0.02 * scale))
        harness_fail(__FILE__, __LINE__, "Q-learning: max |Q - Q*| = %g, |Q*| up to %g", err_q, scale);
    clv_qtable_free(t);

    /* SARSA and Expected SARSA with epsilon decaying as 1/sqrt(episode of
     * 100 steps): on-policy, they reach the greedy policy of Q* */
    for (int rule = CLV_RULE_SARSA; rule <= CLV_RULE_EXPECTED_SARSA; rule++) {
        clv_agent_params sp = {rule, gamma, 1.0, 1, 0.7, 0, 1.0, 1.0};
        t = clv_qtable_alloc(S, A, 0, &err);
        s = 0;
        int a = clv_agent_act(t, &sp, 0, &r);
        for (long k = 0; k < 3000000; k++) {
            sp.epsilon = 1 / sqrt(1.0 + (double)(k / 100));
            int s2 = next_state(P, s, a, &r);
            int a2 = clv_agent_act(t, &sp, (size_t)s2, &r);
            clv_agent_update(t, &sp, (size_t)s, a, R[s * A + a], (size_t)s2, a2, 0);
            s = s2, a = a2;
        }
        int same = 1;
        for (int q = 0; q < S; q++) {
            int best = 0;
            for (int b = 1; b < A; b++)
                best = qstar[q * A + b] > qstar[q * A + best] ? b : best;
            same &= clv_agent_greedy(t, (size_t)q) == best;
        }
        if (!same)
            harness_fail(__FILE__, __LINE__, "%s: the greedy policy is not Q*'s",
                         rule == CLV_RULE_SARSA ? "SARSA" : "Expected SARSA");
        clv_qtable_free(t);
    }
}

/* ---- cliff walking (Sutton and Barto 2018, example 6.6) ---- */

enum { ROWS = 4, COLS = 12 };

/* one move of the 4 x 12 grid: up, right, down, left; -1 a step, -100 and
 * back to the start for stepping into the cliff (bottom row between start
 * and goal) */
static int cliff_step(int s, int a, double *reward)
{
    int row = s / COLS, col = s % COLS;
    if (a == 0 && row > 0) row--;
    if (a == 1 && col < COLS - 1) col++;
    if (a == 2 && row < ROWS - 1) row++;
    if (a == 3 && col > 0) col--;
    if (row == ROWS - 1 && col > 0 && col < COLS - 1) {
        *reward = -100;
        return (ROWS - 1) * COLS;
    }
    *reward = -1;
    return row * COLS + col;
}

/* mean online return of the last 100 of 500 episodes, averaged over 10 runs */
static double cliff_online(int rule, clv_qtable **last)
{
    const int start = (ROWS - 1) * COLS, goal = ROWS * COLS - 1;
    clv_agent_params p = {rule, 1.0, 0.5, 0, 0.7, 0, 0.1, 1.0};
    double total = 0;
    clv_error err;
    for (int run = 0; run < 10; run++) {
        clv_qtable *t = clv_qtable_alloc(ROWS * COLS, 4, 0, &err);
        clv_rng r;
        clv_rng_seed(&r, (clv_stream_key){100 + (uint64_t)run, CLV_STREAM_EXPLORATION, (uint64_t)rule, 0});
        for (int ep = 0; ep < 500; ep++) {
            int s = start, a = clv_agent_act(t, &p, (size_t)s, &r);
            double ret = 0;
            for (int steps = 0; s != goal && steps < 10000; steps++) {
                double rw;
                int s2 = cliff_step(s, a, &rw);
                int a2 = clv_agent_act(t, &p, (size_t)s2, &r);
                clv_agent_update(t, &p, (size_t)s, a, rw, (size_t)s2, a2, s2 == goal);
                ret += rw;
                s = s2, a = a2;
            }
            if (ep >= 400)
                total += ret;
        }
        if (run == 9 && last)
            *last = t;
        else
            clv_qtable_free(t);
    }
    return total / (10 * 100);
}

TEST(test_agent_cliff_walking)
{
    clv_qtable *q = NULL;
    double sarsa = cliff_online(CLV_RULE_SARSA, NULL), qlearn = cliff_online(CLV_RULE_Q, &q);
    /* the book's figure: SARSA around -25 (the safe path), Q-learning around
     * -50 (the cliff's edge, with exploration's falls) */
    if (!(sarsa > qlearn + 10))
        harness_fail(__FILE__, __LINE__, "online return: SARSA %.1f, Q-learning %.1f", sarsa, qlearn);
    CHECK(sarsa > -35 && sarsa < -15);
    CHECK(qlearn > -70 && qlearn < -35);
    /* Q-learning's greedy path is the optimal one, along the cliff: 13 steps */
    if (q) {
        int s = (ROWS - 1) * COLS, steps = 0;
        double ret = 0;
        while (s != ROWS * COLS - 1 && steps < 100) {
            double rw;
            s = cliff_step(s, clv_agent_greedy(q, (size_t)s), &rw);
            ret += rw;
            steps++;
        }
        CHECK_INT(steps, 13);
        CHECK_NEAR(ret, -13, 0);
        clv_qtable_free(q);
    }
}

TEST(test_agent_table_files)
{
    clv_error err;
    clv_qtable *t = clv_qtable_alloc(7, 3, 0.5, &err);
    clv_agent_params p = {CLV_RULE_EXPECTED_SARSA, 0.9, 0.3, 0, 0.7, 1, 0.1, 2.0};
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){5, CLV_STREAM_EXPLORATION, 0, 0});
    for (int k = 0; k < 500; k++) {
        size_t s = clv_rng_next(&r) % 7, s2 = clv_rng_next(&r) % 7;
        clv_agent_update(t, &p, s, clv_agent_act(t, &p, s, &r), clv_rng_uniform(&r) * 2.385, s2, 0, k % 50 == 0);
    }
    /* softmax probabilities: a distribution favouring the larger Q */
    double pi[3];
    clv_agent_policy(t, &p, 2, pi);
    CHECK_NEAR(pi[0] + pi[1] + pi[2], 1, 1e-12);
    CHECK(pi[clv_agent_greedy(t, 2)] >= pi[0] && pi[clv_agent_greedy(t, 2)] >= pi[1]);

    char dir[] = "/tmp/clvsim-qt-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[600];
    snprintf(path, sizeof path, "%s/q.bin", dir);
    t->episodes = 17;
    t->layout = 0x0123456789abcdefu;
    CHECK_INT(clv_qtable_save(t, path, &err), CLV_OK);
    clv_qtable *u = clv_qtable_load(path, &err);
    CHECK(u != NULL);
    if (u) {
        CHECK(u->n_states == 7 && u->n_actions == 3 && u->episodes == 17 && u->layout == 0x0123456789abcdefu);
        CHECK(memcmp(u->q, t->q, 21 * sizeof *t->q) == 0 && memcmp(u->visits, t->visits, 21 * sizeof *t->visits) == 0);
        clv_qtable_free(u);
    }
    /* a flipped byte, a truncated file, another file, another version */
    char *bytes = harness_read_file(path);
    FILE *fp = fopen(path, "r+b");
    fseek(fp, 40, SEEK_SET);
    fputc(bytes[40] ^ 0x10, fp);
    fclose(fp);
    CHECK(clv_qtable_load(path, &err) == NULL);
    CHECK_STR(err.msg, "corrupted (checksum mismatch)");
    CHECK_INT(err.code, CLV_EINPUT);
    CHECK(truncate(path, 100) == 0);
    CHECK(clv_qtable_load(path, &err) == NULL);
    CHECK_STR(err.msg, "truncated: the header gives 7 states x 3 actions, which take 800 bytes; the file has 100");
    fp = fopen(path, "wb");
    fputs("scenario = {};\n", fp);
    fclose(fp);
    CHECK(clv_qtable_load(path, &err) == NULL);
    CHECK_STR(err.msg, "not a clvsim Q table (no CLVQTAB magic)");
    fp = fopen(path, "wb");
    fputs("CLVQTAB1........", fp);
    fclose(fp);
    CHECK(clv_qtable_load(path, &err) == NULL);
    CHECK_STR(err.msg, "a Q table of another format version; expected version 3");
    free(bytes);

    /* the policy as CSV */
    char *csv = NULL;
    size_t len = 0;
    fp = open_memstream(&csv, &len);
    const char *names[] = {"none", "10%", "20%"};
    CHECK_INT(clv_qtable_write_csv(t, names, fp, &err), CLV_OK);
    fclose(fp);
    const char *head = "state,greedy_action,visits,q_none,q_10%,q_20%\n0,";
    CHECK(strncmp(csv, head, strlen(head)) == 0);
    free(csv);
    clv_qtable_free(t);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    CHECK_INT(system(path), 0);
}

/* each rule's update on numbers worked by hand */
TEST(test_agent_update_rules)
{
    clv_error err;
    clv_qtable *t = clv_qtable_alloc(2, 3, 0, &err);
    /* next state 1: Q = (1, 4, 2); greedy 1 */
    t->q[3] = 1, t->q[4] = 4, t->q[5] = 2;
    t->q[0] = 0.5; /* Q(0, 0) */
    /* Q-learning, alpha 0.5, gamma 0.9: target 2 + 0.9 x 4 = 5.6;
     * Q(0,0) = 0.5 + 0.5 (5.6 - 0.5) = 3.05 */
    clv_agent_params p = {CLV_RULE_Q, 0.9, 0.5, 0, 0.7, 0, 0.3, 1.0};
    CHECK_NEAR(clv_agent_update(t, &p, 0, 0, 2.0, 1, 2, 0), 5.1, 1e-12);
    CHECK_NEAR(t->q[0], 3.05, 1e-12);
    /* SARSA with a' = 2: target 2 + 0.9 x 2 = 3.8; Q = 3.05 + 0.5 (3.8 - 3.05) = 3.425 */
    p.rule = CLV_RULE_SARSA;
    clv_agent_update(t, &p, 0, 0, 2.0, 1, 2, 0);
    CHECK_NEAR(t->q[0], 3.425, 1e-12);
    /* Expected SARSA, epsilon 0.3 over 3 actions: pi = (0.1, 0.8, 0.1);
     * E Q = 0.1 + 3.2 + 0.2 = 3.5; target 2 + 3.15 = 5.15; Q = 3.425 + 0.5 x 1.725 = 4.2875 */
    p.rule = CLV_RULE_EXPECTED_SARSA;
    clv_agent_update(t, &p, 0, 0, 2.0, 1, 0, 0);
    CHECK_NEAR(t->q[0], 4.2875, 1e-12);
    /* terminal: the target is the reward alone; Q = 4.2875 + 0.5 (-1 - 4.2875) = 1.64375 */
    clv_agent_update(t, &p, 0, 0, -1.0, 1, 0, 1);
    CHECK_NEAR(t->q[0], 1.64375, 1e-12);
    /* the visits schedule: the 5th visit of (0, 1) steps by 0.8 / 5^0.7 */
    clv_agent_params v = {CLV_RULE_Q, 0.0, 0.8, 1, 0.7, 0, 0.1, 1.0};
    for (int k = 0; k < 4; k++)
        clv_agent_update(t, &v, 0, 1, 0.0, 1, 0, 1);
    double before = t->q[1];
    clv_agent_update(t, &v, 0, 1, 10.0, 1, 0, 1);
    CHECK_NEAR(t->q[1], before + 0.8 / pow(5, 0.7) * (10 - before), 1e-12);
    CHECK_INT(t->visits[1], 5);
    /* softmax at temperature 2: pi proportional to exp(Q / 2) */
    clv_agent_params sm = {CLV_RULE_Q, 0.9, 0.5, 0, 0.7, 1, 0.1, 2.0};
    double pi[3], z = exp(0.5) + exp(2.0) + exp(1.0);
    clv_agent_policy(t, &sm, 1, pi);
    CHECK_NEAR(pi[0], exp(0.5) / z, 1e-12);
    CHECK_NEAR(pi[1], exp(2.0) / z, 1e-12);
    clv_qtable_free(t);
}

/* the documented side of every bin boundary */
TEST(test_agent_state_bins)
{
    clv_scenario scn;
    clv_error err;
    CHECK_INT(clv_scn_defaults(&scn, &err), CLV_OK);
    /* recency [14, 30, 60, 120], repeats [1, 2, 4], coupon age [14, 56], 4 LTV quantiles */
    clv_state_map m;
    clv_state_map_init(&m, &scn);
    CHECK_INT(m.n_states, 5 * 5 * 4 * 4 * 3 * 3);
    double sample[8] = {8, 1, 7, 2, 6, 3, 5, 4};
    clv_state_map_fit_ltv(&m, sample, 8);
    CHECK_NEAR(m.ltv_cut[1], 4.5, 1e-12); /* the median of 1..8 */
    clv_sim_obs o;
    memset(&o, 0, sizeof o);
    o.stage = CLV_STAGE_AT_RISK;
    o.purchases = 1;
    /* recency: 14 in bin 0, 14.5 and 30 in bin 1, 120 in bin 3, 121 in bin 4 */
    const double rec[] = {14, 14.5, 30, 120, 121};
    const int rec_bin[] = {0, 1, 1, 3, 4};
    for (int k = 0; k < 5; k++) {
        o.recency_days = rec[k];
        size_t s = clv_state_of(&m, &o, 0, 0, 0);
        CHECK_INT((s / (3 * 3 * 4 * 4)) % 5, rec_bin[k]);
    }
    /* repeats (purchases - 1): 1 in bin 0, 2 in bin 1, 4 in bin 2, 5 in bin 3 */
    o.recency_days = 1;
    const int purchases[] = {2, 3, 5, 6}, rep_bin[] = {0, 1, 2, 3};
    for (int k = 0; k < 4; k++) {
        o.purchases = purchases[k];
        CHECK_INT((clv_state_of(&m, &o, 0, 0, 0) / (3 * 3 * 4)) % 4, rep_bin[k]);
    }
    /* LTV: 4.5 (the median) in quantile bin 1, 4.51 in bin 2 */
    CHECK_INT((clv_state_of(&m, &o, 4.5, 0, 0) / 9) % 4, 1);
    CHECK_INT((clv_state_of(&m, &o, 4.51, 0, 0) / 9) % 4, 2);
    /* coupon age: never sent in the last bin; 14 days in bin 0; 15 in bin 1 */
    CHECK_INT((clv_state_of(&m, &o, 0, 0, 0) / 3) % 3, 2);
    o.coupons = 1, o.coupon_age_days = 14;
    CHECK_INT((clv_state_of(&m, &o, 0, 0, 0) / 3) % 3, 0);
    o.coupon_age_days = 15;
    CHECK_INT((clv_state_of(&m, &o, 0, 0, 0) / 3) % 3, 1);
    /* season phase fastest; stage slowest */
    CHECK_INT(clv_state_of(&m, &o, 0, 0, 2) % 3, 2);
    CHECK_INT(clv_state_of(&m, &o, 0, 0, 0) / (5 * 4 * 4 * 3 * 3), CLV_STAGE_AT_RISK);
    char buf[160];
    clv_state_describe(&m, clv_state_of(&m, &o, 9, 0, 1), buf, sizeof buf);
    CHECK_STR(buf, "at-risk | last buy <=14d ago | >4 repeats | LTV q4 of 4 | coupon <=56d ago | in season");
}

/* the share of customer visits whose state's greedy action sends a coupon */
static double coupon_share(const clv_train_result *r, size_t n_prices)
{
    double with = 0, all = 0;
    for (size_t s = 0; s < r->table->n_states; s++) {
        double v = 0;
        for (size_t a = 0; a < r->n_actions; a++)
            v += r->table->visits[s * r->n_actions + a];
        with += (size_t)clv_agent_greedy(r->table, s) / n_prices > 0 ? v : 0;
        all += v;
    }
    return with / all;
}

/* Trained on a world where a coupon pays clearly (a contact that
 * quadruples the chance of buying within the window, a cheap 10% coupon)
 * the agents send coupons; where it clearly costs (a contact that cuts it
 * to a quarter, sleeping dogs, and a contact cost) they do not. */
/* eight weeks without arrivals or seasons, one 10% coupon, and one contact
 * arm that multiplies the 14-day purchase probability by 4: coupons pay;
 * `customers` customers for `episodes` episodes of training */
static void contact_world(clv_scenario *scn, int64_t customers, int episodes)
{
    clv_error err;
    CHECK_INT(clv_scn_defaults(scn, &err), CLV_OK);
    snprintf(scn->scenario.name, sizeof scn->scenario.name, "train");
    scn->calendar.horizon_days = 56;
    scn->seasonality.enabled = 0;
    scn->acquisition.rate_per_day = 0;
    scn->agent.customers = customers;
    scn->agent.episodes = episodes;
    scn->agent.epsilon_decay_episodes = episodes * 3 / 4;
    scn->interventions.n_coupons = 1;
    scn->interventions.coupons[0] = (clv_scn_coupon){"10%", 0.1, 5.0, 14, 0.0, 0.0, ""};
    clv_scn_response *r = &scn->response;
    r->deal_enabled = r->fatigue_enabled = r->carryover_enabled = r->price_enabled = 0;
    r->contact_window_days = 14;
    r->n_contact = 1;
    r->contact[0] = (clv_scn_contact_effect){"email", CLV_CONTACT_ALL, "all", -1, 4.0, 4.0, 0, 0, 0, 0, 0};
}

TEST(test_agent_training_learns)
{
    clv_scenario scn;
    clv_error err;
    contact_world(&scn, 2000, 40);
    scn.agent.bins_ltv_quantiles = 1;
    scn.agent.shaping = scn.agent.terminal_value = 0;
    clv_scn_response *r = &scn.response;
    for (int algo = 0; algo < 3; algo++) {
        clv_train_result res;
        CHECK_INT(clv_agent_train(&scn, algo, &(clv_train_opts){2, NULL, NULL, NULL, NULL, NULL}, &res, &err), CLV_OK);
        double share = coupon_share(&res, 1);
        if (!(share > 0.8))
            harness_fail(__FILE__, __LINE__, "algorithm %d: coupons in %.2f of visits where they pay", algo, share);
        CHECK(res.returns[res.episodes - 1] > res.returns[0]); /* it earns more as it learns */
        clv_train_result_free(&res);
    }
    /* costs: a contact that cuts the purchase probability to a quarter, 0.5 per contact */
    r->contact[0].factor = r->contact[0].ratio = 0.25;
    scn.interventions.coupons[0].contact_cost = 0.5;
    clv_train_result res;
    CHECK_INT(clv_agent_train(&scn, CLV_ALGO_Q, &(clv_train_opts){2, NULL, NULL, NULL, NULL, NULL}, &res, &err), CLV_OK);
    double share = coupon_share(&res, 1);
    if (!(share < 0.2))
        harness_fail(__FILE__, __LINE__, "coupons in %.2f of visits where they cost", share);
    /* the same scenario and seed, 1 thread: the same table */
    clv_train_result one;
    CHECK_INT(clv_agent_train(&scn, CLV_ALGO_Q, &(clv_train_opts){1, NULL, NULL, NULL, NULL, NULL}, &one, &err), CLV_OK);
    CHECK(memcmp(one.table->q, res.table->q, res.table->n_states * res.n_actions * sizeof(double)) == 0);
    clv_train_result_free(&one);
    clv_train_result_free(&res);
}

/* The coupon-action visits of a table (actions coupon x n_prices + price
 * with a coupon), and those of coupon level `level` alone. */
static double coupon_visits(const clv_qtable *t, size_t n_prices, size_t level)
{
    double v = 0;
    for (size_t s = 0; s < t->n_states; s++)
        for (size_t a = 0; a < t->n_actions; a++)
            if (level ? a / n_prices == level : a >= n_prices)
                v += t->visits[s * t->n_actions + a];
    return v;
}

/* Training and the oracle's estimate credit transitions to the executed
 * actions.  tight-budget.cfg with an epoch budget of 12 and no total: a
 * 10% coupon reserves 10.05 and the 20% and 30% ones 15.05 and 20.05, so
 * each epoch sends exactly one coupon, a 10% one (with all actions random,
 * three quarters ask for a coupon and a quarter of those for the 10%): the
 * table holds as many coupon-action visits as coupons were sent, epochs x
 * episodes, none of the 20% or 30%, and the rest of its visits are no
 * coupon (the requested actions would give three quarters of all visits
 * to coupons); and it holds one visit per transition, customers x epochs
 * x episodes (SARSA's updates that wait for the step are made once). */
TEST(test_agent_executed_actions)
{
    clv_scenario scn;
    clv_error err;
    CHECK_INT(clv_scn_load("scenarios/tight-budget.cfg", NULL, 0, &scn, &err), CLV_OK);
    scn.interventions.budget_per_epoch = 12;
    scn.interventions.budget_total = -1;
    scn.agent.customers = 300;
    scn.agent.episodes = 3;
    scn.agent.epsilon_start = scn.agent.epsilon_end = 1;
    /* the textbook updates, whose visits count the executed transitions
     * (paired targets also count every action's replay in each state) */
    scn.agent.targets = CLV_TARGETS_CLASSIC;
    scn.acquisition.rate_per_day = 0; /* a fixed population: a known number of transitions */
    const size_t P = (size_t)scn.interventions.n_prices;
    CHECK(scn.interventions.n_coupons == 3 && P == 3);
    /* the training environment: agent.customers existing customers */
    clv_scenario env = scn;
    env.population.customers = scn.agent.customers;
    clv_world *w = NULL;
    CHECK_INT(clv_world_alloc(&env, NULL, &w, &err), CLV_OK);
    if (!w)
        return;
    const double sent = (double)clv_world_epochs(w) * scn.agent.episodes;
    const double transitions = sent * (double)clv_world_customers(w);
    clv_world_free(w);
    for (int algo = 0; algo < 3; algo++) {
        clv_train_result res;
        CHECK_INT(clv_agent_train(&scn, algo, &(clv_train_opts){2, NULL, NULL, NULL, NULL, NULL}, &res, &err), CLV_OK);
        if (!res.table)
            continue;
        const double coupons = coupon_visits(res.table, P, 0);
        double total = 0;
        for (size_t k = 0; k < res.table->n_states * res.n_actions; k++)
            total += res.table->visits[k];
        if (!(coupons == sent))
            harness_fail(__FILE__, __LINE__, "algorithm %d: %.0f coupon-action visits in the table, %.0f coupons sent",
                         algo, coupons, sent);
        CHECK(coupon_visits(res.table, P, 1) == sent);
        /* every transition updated once, SARSA's that waited for the step included */
        if (!(total == transitions))
            harness_fail(__FILE__, __LINE__, "algorithm %d: %.0f visits in the table, %.0f transitions", algo, total,
                         transitions);
        clv_train_result_free(&res);
    }
    /* the oracle's estimate: its greedy table's visits are the estimate's,
     * and it knows the horizon of its episodes */
    clv_state_map map;
    CHECK_INT(clv_agent_state_map(&scn, NULL, 2, &map, &err), CLV_OK);
    clv_mdp_estimate *m = NULL;
    CHECK_INT(clv_oracle_estimate(&scn, NULL, &map, 2, 2, NULL, &m, &err), CLV_OK);
    clv_qtable *my = NULL;
    if (m) {
        CHECK_INT(clv_mdp_estimate_epochs(m), (int)(sent / scn.agent.episodes));
        CHECK_INT(clv_mdp_greedy(m, clv_mdp_lookahead(&scn), clv_scn_list_price(&scn), &my, &err), CLV_OK);
    }
    if (my) {
        const double coupons = coupon_visits(my, P, 0), want = sent / scn.agent.episodes * 2;
        if (!(coupons == want))
            harness_fail(__FILE__, __LINE__, "oracle: %.0f coupon-action visits in the estimate, %.0f coupons sent",
                         coupons, want);
        CHECK(coupon_visits(my, P, 1) == want);
    }
    /* its episodes run in parallel, one per worker: the estimate of 3
     * episodes on 1 and 2 threads (one batch of 2, then 1) is the same, bit
     * for bit */
    clv_mdp_estimate *m1 = NULL, *m2 = NULL;
    CHECK_INT(clv_oracle_estimate(&scn, NULL, &map, 3, 1, NULL, &m1, &err), CLV_OK);
    CHECK_INT(clv_oracle_estimate(&scn, NULL, &map, 3, 2, NULL, &m2, &err), CLV_OK);
    if (m1 && m2) {
        const size_t SA = map.n_states * clv_agent_n_actions(&scn.interventions);
        double *q1 = malloc(SA * sizeof *q1), *q2 = malloc(SA * sizeof *q2), v1 = 0, v2 = 0;
        CHECK(clv_mdp_estimate_transitions(m1) == clv_mdp_estimate_transitions(m2));
        CHECK(m && clv_mdp_estimate_transitions(m1) > clv_mdp_estimate_transitions(m));
        if (q1 && q2) {
            CHECK_INT(clv_mdp_solve(m1, 4, q1, &v1, &err), CLV_OK);
            CHECK_INT(clv_mdp_solve(m2, 4, q2, &v2, &err), CLV_OK);
            CHECK(memcmp(q1, q2, SA * sizeof *q1) == 0);
            CHECK(memcmp(&v1, &v2, sizeof v1) == 0);
            CHECK(v1 != 0);
        }
        free(q1), free(q2);
    }
    clv_mdp_estimate_free(m1);
    clv_mdp_estimate_free(m2);
    clv_qtable_free(my);
    clv_mdp_estimate_free(m);
}

/* checkpoints and resuming: 8 episodes then 4 more from the checkpoint
 * give the table 12 at once do, bit for bit */
typedef struct {
    clv_qtable *saved[4];
    int n, stop_at;
} ckpt_log;

static int keep_checkpoint(void *ctx, const clv_qtable *t)
{
    ckpt_log *c = ctx;
    if (c->n == c->stop_at)
        return 1;
    clv_error err;
    clv_qtable *k = clv_qtable_alloc(t->n_states, t->n_actions, 0, &err);
    memcpy(k->q, t->q, t->n_states * t->n_actions * sizeof *t->q);
    memcpy(k->visits, t->visits, t->n_states * t->n_actions * sizeof *t->visits);
    memcpy(k->stats, t->stats, t->n_states * t->n_actions * CLV_QSTATS * sizeof *t->stats);
    k->episodes = t->episodes;
    k->layout = t->layout;
    c->saved[c->n++] = k;
    return 0;
}

TEST(test_agent_training_resume)
{
    clv_scenario scn;
    clv_error err;
    CHECK_INT(clv_scn_defaults(&scn, &err), CLV_OK);
    snprintf(scn.scenario.name, sizeof scn.scenario.name, "resume");
    scn.calendar.horizon_days = 42;
    scn.agent.customers = 600;
    scn.agent.episodes = 12;
    scn.agent.epsilon_decay_episodes = 10;
    scn.agent.checkpoint_every = 4;
    ckpt_log log = {{NULL}, 0, -1};
    clv_train_result all;
    CHECK_INT(clv_agent_train(&scn, CLV_ALGO_Q, &(clv_train_opts){1, NULL, NULL, keep_checkpoint, &log, NULL}, &all, &err),
              CLV_OK);
    CHECK_INT(log.n, 3);
    CHECK(all.table->episodes == 12);
    const size_t n = all.table->n_states * all.n_actions;
    if (log.n == 3) {
        CHECK(log.saved[0]->episodes == 4 && log.saved[1]->episodes == 8 && log.saved[2]->episodes == 12);
        CHECK(memcmp(log.saved[2]->q, all.table->q, n * sizeof(double)) == 0);
        CHECK(memcmp(log.saved[0]->q, all.table->q, n * sizeof(double)) != 0); /* it did learn in between */
        scn.agent.episodes = 4;
        clv_train_result rest;
        CHECK_INT(clv_agent_train(&scn, CLV_ALGO_Q, &(clv_train_opts){2, NULL, log.saved[1], NULL, NULL, NULL}, &rest, &err),
                  CLV_OK);
        CHECK(rest.table->episodes == 12);
        CHECK(memcmp(rest.table->q, all.table->q, n * sizeof(double)) == 0);
        CHECK(memcmp(rest.table->visits, all.table->visits, n * sizeof(uint32_t)) == 0);
        CHECK(rest.epsilon[0] == all.epsilon[8] && rest.returns[3] == all.returns[11]);
        clv_train_result_free(&rest);
        /* a table of another shape is refused */
        clv_qtable *other = clv_qtable_alloc(3, 2, 0, &err);
        CHECK_INT(clv_agent_train(&scn, CLV_ALGO_Q, &(clv_train_opts){1, NULL, other, NULL, NULL, NULL}, &rest, &err),
                  CLV_EINPUT);
        CHECK_STR(err.field, "resume");
        CHECK(rest.table == NULL);
        clv_qtable_free(other);
        /* or one trained on other coupons, or other bins */
        const double discount = scn.interventions.coupons[0].discount;
        scn.interventions.coupons[0].discount += 0.05;
        CHECK_INT(clv_agent_train(&scn, CLV_ALGO_Q, &(clv_train_opts){1, NULL, log.saved[1], NULL, NULL, NULL}, &rest, &err),
                  CLV_EINPUT);
        CHECK(strstr(err.msg, "trained by another algorithm or on other states or actions") != NULL);
        scn.interventions.coupons[0].discount = discount;
        scn.agent.bins_recency_days[0] += 1;
        CHECK_INT(clv_agent_train(&scn, CLV_ALGO_Q, &(clv_train_opts){1, NULL, log.saved[1], NULL, NULL, NULL}, &rest, &err),
                  CLV_EINPUT);
        scn.agent.bins_recency_days[0] -= 1;
        /* or one of another algorithm */
        CHECK_INT(clv_agent_train(&scn, CLV_ALGO_SARSA, &(clv_train_opts){1, NULL, log.saved[1], NULL, NULL, NULL}, &rest, &err),
                  CLV_EINPUT);
        /* a table made outside training (layout 0) is taken as it is */
        log.saved[1]->layout = 0;
        CHECK_INT(clv_agent_train(&scn, CLV_ALGO_Q, &(clv_train_opts){1, NULL, log.saved[1], NULL, NULL, NULL}, &rest, &err),
                  CLV_OK);
        CHECK(memcmp(rest.table->q, all.table->q, n * sizeof(double)) == 0);
        clv_train_result_free(&rest);
        /* or one with too many episodes behind it */
        log.saved[1]->episodes = (uint64_t)INT_MAX;
        CHECK_INT(clv_agent_train(&scn, CLV_ALGO_Q, &(clv_train_opts){1, NULL, log.saved[1], NULL, NULL, NULL}, &rest, &err),
                  CLV_EINPUT);
        CHECK(strstr(err.msg, "2147483647 episodes behind it") != NULL);
    }
    for (int k = 0; k < log.n; k++)
        clv_qtable_free(log.saved[k]);
    clv_train_result_free(&all);
    /* a checkpoint that fails stops training with an error */
    scn.agent.episodes = 12;
    ckpt_log fail = {{NULL}, 0, 1};
    CHECK_INT(clv_agent_train(&scn, CLV_ALGO_Q, &(clv_train_opts){1, NULL, NULL, keep_checkpoint, &fail, NULL}, &all, &err),
              CLV_EIO);
    CHECK_INT(fail.n, 1);
    clv_qtable_free(fail.saved[0]);
}

/* a binding budget goes to the largest advantages */
TEST(test_agent_budget_order)
{
    clv_error err;
    /* 3 states x (2 coupons + none) x 1 price: Q(s, none) = 0 */
    clv_qtable *t = clv_qtable_alloc(3, 3, 0, &err);
    t->q[0 * 3 + 1] = 2.0;  /* state 0, coupon 1: advantage 2 */
    t->q[1 * 3 + 2] = 5.0;  /* state 1, coupon 2: advantage 5 */
    t->q[2 * 3 + 1] = -1.0; /* state 2, coupon 1: advantage -1 */
    const size_t st[5] = {0, 1, 2, 1, 0};
    const int a[5] = {1, 2, 1, 0, 1};
    double scratch[10];
    uint32_t order[5];
    clv_agent_budget_order(t, st, a, 5, 1, NULL, scratch, order);
    const uint32_t expect[5] = {1, 0, 4, 2, 3}; /* 5, then the two 2s by index, then -1, then no coupon */
    CHECK(memcmp(order, expect, sizeof order) == 0);
    clv_qtable_free(t);

    /* the environment reserves in that order: a budget of exactly two
     * coupons goes to the two customers first in the order */
    clv_scenario scn;
    CHECK_INT(clv_scn_defaults(&scn, &err), CLV_OK);
    snprintf(scn.scenario.name, sizeof scn.scenario.name, "order");
    scn.population.customers = 10;
    scn.acquisition.rate_per_day = 0;
    scn.interventions.n_coupons = 1;
    scn.interventions.coupons[0] = (clv_scn_coupon){"10%", 0.1, 4.95, 14, 0.0, 0.05, ""};
    scn.interventions.budget_per_epoch = 10.0; /* two reservations of 5.00 */
    clv_sim *s = NULL;
    CHECK_INT(clv_sim_alloc(&scn, NULL, &s, &err), CLV_OK);
    CHECK_INT(clv_sim_reset(s, 1, 0, &err), CLV_OK);
    clv_action act[10];
    uint32_t ord[10];
    for (int i = 0; i < 10; i++)
        act[i] = (clv_action){1, 0}, ord[i] = (uint32_t)(9 - i);
    CHECK_INT(clv_sim_step_ordered(s, act, ord, NULL, &err), CLV_OK);
    clv_sim_obs obs[10];
    CHECK_INT(clv_sim_observe(s, 0, 10, obs, &err), CLV_OK);
    for (int i = 0; i < 10; i++)
        CHECK_INT(obs[i].coupons, i >= 8);
    ord[0] = 10;
    CHECK_INT(clv_sim_step_ordered(s, act, ord, NULL, &err), CLV_EINPUT);
    clv_sim_free(s);
}

/* customer i's claims in the order given, replayed on the simulator's
 * rule: acc[i] 1 if its coupon is accepted; into *c the claims after
 * them; the number of coupon claims up to and including the last accepted
 * one into *last (its position among the coupon claims, plus 1) */
static void replay_claims(const clv_sim *s, const int *a, size_t n, size_t P, const uint32_t *order, int *acc,
                          clv_sim_claims *c, size_t *last)
{
    clv_sim_claims_begin(s, c);
    size_t k = 0;
    *last = 0;
    for (size_t q = 0; q < n; q++) {
        const size_t i = order[q];
        acc[i] = 0;
        if ((size_t)a[i] < P)
            continue;
        k++;
        if ((acc[i] = clv_sim_claim(s, c, i, a[i] / (int)P)))
            *last = k;
    }
}

/* issue 16: the budget order sorted only as far as it matters gives the
 * full sort's claims and outcome: on random tables with ties, -inf and
 * +inf advantages, budgets absent, too wide to bind, binding per epoch, in
 * total, both, and spent, after epochs that left live coupons (whose
 * reservations a new coupon gives back) */
TEST(test_agent_budget_order_partial)
{
    static const double budgets[][2] = {{-1, -1}, {1e7, 1e8}, {400, -1}, {-1, 900}, {400, 5000}, {-1, 60},
                                        {150, 2000}, {3000, -1}, {4500, -1}, {9000, -1}, {-1, 12000}};
    clv_error err;
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){16, CLV_STREAM_USER, 2, 0});
    size_t fitted = 0, closed_early = 0, long_orders = 0;
    for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; b++) {
        clv_scenario scn;
        CHECK_INT(clv_scn_load("scenarios/tight-budget.cfg", NULL, 0, &scn, &err), CLV_OK);
        scn.population.customers = 3000;
        scn.interventions.budget_per_epoch = budgets[b][0];
        scn.interventions.budget_total = budgets[b][1];
        clv_sim *s = NULL, *s1 = NULL, *s2 = NULL;
        CHECK_INT(clv_sim_alloc(&scn, NULL, &s, &err), CLV_OK);
        CHECK_INT(clv_sim_alloc(&scn, NULL, &s1, &err), CLV_OK);
        CHECK_INT(clv_sim_alloc(&scn, NULL, &s2, &err), CLV_OK);
        CHECK_INT(clv_sim_reset(s, 7, b, &err), CLV_OK);
        const size_t cap = clv_sim_capacity(s), P = (size_t)scn.interventions.n_prices,
                     NA = clv_agent_n_actions(&scn.interventions);
        clv_action *act = malloc(cap * sizeof *act);
        int *a = malloc(cap * sizeof *a), *acc_ref = malloc(cap * sizeof *acc_ref), *acc = malloc(cap * sizeof *acc);
        size_t *st = malloc(cap * sizeof *st);
        uint32_t *ord_ref = malloc(cap * sizeof *ord_ref), *ord = malloc(cap * sizeof *ord),
                 *seen = calloc(cap, sizeof *seen);
        double *scratch = malloc(2 * cap * sizeof *scratch);
        clv_qtable *t = clv_qtable_alloc(cap, NA, 0, &err);
        if (!act || !a || !acc_ref || !acc || !st || !ord_ref || !ord || !seen || !scratch || !t) {
            harness_fail(__FILE__, __LINE__, "out of memory");
            return;
        }
        for (int e = 0; e < 6 && !clv_sim_done(s); e++) {
            const size_t n = clv_sim_customers(s);
            /* a random table: advantages in few levels (ties), some -inf and +inf */
            for (size_t k = 0; k < n * NA; k++) {
                const uint64_t u = clv_rng_next(&r) % 64;
                t->q[k] = (k % NA) < P ? (double)(u % 3) : u == 0 ? -INFINITY : u == 1 ? INFINITY : (double)(u % 5);
            }
            for (size_t i = 0; i < n; i++) {
                st[i] = i;
                a[i] = clv_rng_next(&r) % 3 ? (int)(clv_rng_next(&r) % NA) : (int)(clv_rng_next(&r) % P);
                act[i] = (clv_action){(uint8_t)((size_t)a[i] / P), (uint8_t)((size_t)a[i] % P)};
            }
            clv_agent_budget_order(t, st, a, n, P, NULL, scratch, ord_ref);
            clv_agent_budget_order(t, st, a, n, P, s, scratch, ord);
            /* a permutation */
            int perm = 1;
            for (size_t q = 0; q < n; q++)
                perm &= ord[q] < n && seen[ord[q]] != (uint32_t)(b * 8 + (size_t)e + 1),
                    seen[ord[q] < n ? ord[q] : 0] = (uint32_t)(b * 8 + (size_t)e + 1);
            CHECK(perm);
            /* the same claims accepted, the same budget left, and the same
             * coupon claims in the same order up to the last accepted */
            clv_sim_claims c_ref, c;
            size_t last_ref, last;
            replay_claims(s, a, n, P, ord_ref, acc_ref, &c_ref, &last_ref);
            replay_claims(s, a, n, P, ord, acc, &c, &last);
            CHECK(memcmp(acc, acc_ref, n * sizeof *acc) == 0);
            size_t coupons = 0, sent = 0;
            for (size_t i = 0; i < n; i++)
                coupons += (size_t)a[i] >= P, sent += (size_t)acc[i];
            if (sent == coupons) {
                /* every coupon accepted (no sort: the order is free; the
                 * sums of the claims may round otherwise) */
                fitted += coupons > 0 && b > 0;
            } else {
                CHECK(memcmp(&c.reserved, &c_ref.reserved, sizeof c.reserved) == 0);
                CHECK(memcmp(&c.outstanding, &c_ref.outstanding, sizeof c.outstanding) == 0);
                CHECK_INT((long long)last, (long long)last_ref);
                int same = 1;
                for (size_t q = 0, p = 0, k = 0; k < last; q++, p++, k++) {
                    while ((size_t)a[ord_ref[q]] < P)
                        q++;
                    while ((size_t)a[ord[p]] < P)
                        p++;
                    same &= ord_ref[q] == ord[p];
                }
                CHECK(same);
            }
            /* refusals, and an order that is not the full sort's (cut short) */
            closed_early += sent < coupons && memcmp(ord, ord_ref, n * sizeof *ord) != 0;
            long_orders += coupons > 256;
            /* and the simulator, stepped with each order, does the same */
            CHECK_INT(clv_sim_copy(s1, s, &err), CLV_OK);
            CHECK_INT(clv_sim_copy(s2, s, &err), CLV_OK);
            CHECK_INT(clv_sim_step_ordered(s1, act, ord_ref, NULL, &err), CLV_OK);
            CHECK_INT(clv_sim_step_ordered(s2, act, ord, NULL, &err), CLV_OK);
            int sent_same = 1;
            for (size_t i = 0; i < n; i++)
                sent_same &= clv_sim_sent(s1, i) == clv_sim_sent(s2, i) && clv_sim_sent(s1, i) == (acc[i] ? act[i].coupon : 0);
            CHECK(sent_same);
            size_t nd1, nd2;
            const clv_sim_day *d1 = clv_sim_days(s1, &nd1), *d2 = clv_sim_days(s2, &nd2);
            CHECK(nd1 == nd2 && nd1 > 0 && memcmp(d1, d2, nd1 * sizeof *d1) == 0);
            /* go on from the reference's step, a random half of the customers asking */
            for (size_t i = 0; i < n; i++)
                if (clv_rng_next(&r) % 2)
                    act[i].coupon = 0;
            CHECK_INT(clv_sim_step(s, act, NULL, &err), CLV_OK);
        }
        clv_qtable_free(t);
        free(act), free(a), free(acc_ref), free(acc), free(st), free(ord_ref), free(ord), free(seen), free(scratch);
        clv_sim_free(s), clv_sim_free(s1), clv_sim_free(s2);
    }
    /* the cases exercised: every coupon accepted (wide budgets), orders cut
     * before their last coupon claim, and orders long enough for chunks */
    CHECK(fitted > 0);
    CHECK(closed_early > 0);
    CHECK(long_orders > 0);
}

/* exact backward induction on a known model over H epochs: Q_0 into q0
 * (S x A) and V_0 into v0; with policy (may be NULL) its value instead of
 * the optimum */
static void exact_induction(const double *P, const double *R, int H, const int *policy, double *q0, double *v0)
{
    double v[S] = {0}, nv[S];
    for (int t = H - 1; t >= 0; t--) {
        for (int s = 0; s < S; s++) {
            double best = -INFINITY;
            for (int a = 0; a < A; a++) {
                double q = R[s * A + a];
                for (int s2 = 0; s2 < S; s2++)
                    q += P[(s * A + a) * S + s2] * v[s2];
                if (t == 0 && q0)
                    q0[s * A + a] = q;
                if (policy ? a == policy[s] : q > best)
                    best = q;
            }
            nv[s] = best;
        }
        memcpy(v, nv, sizeof v);
    }
    memcpy(v0, v, sizeof v);
}

/* the oracle's estimate of a known MDP from simulated transitions: over a
 * horizon of 6 epochs its start-weighted optimum approaches exact backward
 * induction's on the true model, a policy's value on the estimate
 * approaches its exact value, and a worse policy is worth less */
TEST(test_agent_oracle_estimate)
{
    double P[S * A * S], R[S * A], q0[S * A], v0[S];
    make_mdp(P, R);
    enum { H = 6 };
    exact_induction(P, R, H, NULL, q0, v0);
    clv_error err;
    clv_mdp_estimate *m = clv_mdp_estimate_alloc(S, A, &err);
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){17, CLV_STREAM_EXPLORATION, 0, 0});
    /* 400,000 transitions from random actions, every state a possible start
     * (in proportion to its visits: the stationary law) */
    int s = 0;
    double visits[S] = {0};
    for (long k = 0; k < 400000; k++) {
        int a = (int)(clv_rng_next(&r) % A), s2 = next_state(P, s, a, &r);
        CHECK_INT(clv_mdp_estimate_add(m, (size_t)s, a, R[s * A + a], (size_t)s2, 1), CLV_OK);
        visits[s] += 1;
        s = s2;
    }
    CHECK(clv_mdp_estimate_transitions(m) == S * A * S);
    CHECK_INT(clv_mdp_estimate_epochs(m), 0); /* made by hand */
    double qhat[S * A], vhat, exact = 0, w = 0;
    CHECK_INT(clv_mdp_solve(m, H, qhat, &vhat, &err), CLV_OK);
    for (int q = 0; q < S; q++)
        exact += visits[q] * v0[q], w += visits[q];
    exact /= w;
    CHECK_NEAR(vhat, exact, 0.02 * fabs(exact));
    for (int k = 0; k < S * A; k++)
        CHECK_NEAR(qhat[k], q0[k], 0.05 * fabs(q0[k]) + 0.05);
    /* the stationary policy of Q_0's greedy actions, and the worst one */
    clv_qtable *opt = clv_qtable_alloc(S, A, 0, &err);
    int pol[S], bad[S];
    for (int q = 0; q < S; q++) {
        pol[q] = bad[q] = 0;
        for (int b = 1; b < A; b++) {
            pol[q] = q0[q * A + b] > q0[q * A + pol[q]] ? b : pol[q];
            bad[q] = q0[q * A + b] < q0[q * A + bad[q]] ? b : bad[q];
        }
    }
    double vopt, vbad, xv[S], xopt = 0;
    memcpy(opt->q, q0, sizeof q0);
    CHECK_INT(clv_mdp_evaluate(m, opt, H, &vopt, &err), CLV_OK);
    exact_induction(P, R, H, pol, NULL, xv);
    for (int q = 0; q < S; q++)
        xopt += visits[q] * xv[q] / w;
    CHECK_NEAR(vopt, xopt, 0.02 * fabs(xopt));
    CHECK(vopt <= vhat + 1e-9); /* no policy beats the optimum on the estimate */
    for (int i = 0; i < S * A; i++)
        opt->q[i] = -q0[i]; /* the worst actions */
    CHECK_INT(clv_mdp_evaluate(m, opt, H, &vbad, &err), CLV_OK);
    CHECK(vbad < vhat - 0.1 * fabs(vhat));
    /* a horizon must have an epoch */
    CHECK_INT(clv_mdp_solve(m, 0, NULL, &vhat, &err), CLV_EINPUT);
    clv_qtable_free(opt);
    clv_mdp_estimate_free(m);
}

/* ---- backward induction on a hand-solved estimate ----
 *
 * Two states, two actions (0 the base), these transitions (s, a, r, s'):
 *   (0,0):  (0,0,0,0) (0,0,2,0)                  R 1,  P(0) 1
 *   (0,1):  (0,1,-1,1) (0,1,-1,1) (0,1,1,0) (0,1,-3,1)  R -1, P(1) 3/4
 *   (1,0):  (1,0,4,1) (1,0,2,0)                  R 3,  P(0) 1/2
 *   (1,1):  (1,1,5,0) (1,1,3,0)                  R 4,  P(0) 1
 * Over 3 epochs, by hand:
 *   t = 2: Q = R = (1, -1; 3, 4), V2 = (1, 4)
 *   t = 1: Q(0,0) = 1 + 1 = 2, Q(0,1) = -1 + 1/4 + 3 = 2.25,
 *          Q(1,0) = 3 + 1/2 + 2 = 5.5, Q(1,1) = 4 + 1 = 5; V1 = (2.25, 5.5)
 *   t = 0: Q(0,0) = 3.25, Q(0,1) = -1 + 0.5625 + 4.125 = 3.6875,
 *          Q(1,0) = 3 + 1.125 + 2.75 = 6.875, Q(1,1) = 4 + 2.25 = 6.25
 * so the best action depends on the epoch: in state 0 the base at t = 2,
 * action 1 before; in state 1 action 1 at t = 2, the base before. */
typedef struct { int s, a; double r; int s2; } hand_tr;
static const hand_tr hand[] = {{0, 0, 0, 0},  {0, 0, 2, 0},  {0, 1, -1, 1}, {0, 1, -1, 1}, {0, 1, 1, 0},
                               {0, 1, -3, 1}, {1, 0, 4, 1},  {1, 0, 2, 0},  {1, 1, 5, 0},  {1, 1, 3, 0}};
enum { N_HAND = sizeof hand / sizeof hand[0] };

static clv_mdp_estimate *hand_estimate(void)
{
    clv_error err;
    clv_mdp_estimate *m = clv_mdp_estimate_alloc(2, 2, &err);
    for (int k = 0; m && k < N_HAND; k++) /* episodes start in state 0 */
        CHECK_INT(clv_mdp_estimate_add(m, (size_t)hand[k].s, hand[k].a, hand[k].r, (size_t)hand[k].s2, k == 0),
                  CLV_OK);
    return m;
}

/* the standard error of the mean of the targets r + v(s') of (s, a),
 * computed directly from the transitions */
static double direct_se(int s, int a, const double *v)
{
    double y[N_HAND], mean = 0, ss = 0;
    int n = 0;
    for (int k = 0; k < N_HAND; k++)
        if (hand[k].s == s && hand[k].a == a)
            mean += y[n++] = hand[k].r + (v ? v[hand[k].s2] : 0);
    mean /= n;
    for (int k = 0; k < n; k++)
        ss += (y[k] - mean) * (y[k] - mean);
    return sqrt(ss / (n - 1) / n);
}

/* backward induction: the exact Q_t of the hand-solved estimate, a policy
 * that changes with the epoch, the start value, and standard errors that
 * are those of the targets r + V_{t+1}(s') */
TEST(test_agent_backward_induction)
{
    clv_error err;
    clv_mdp_estimate *m = hand_estimate();
    clv_qtable *tab[3];
    CHECK_INT(clv_mdp_plan(m, 3, 0, 0, tab, &err), CLV_OK);
    if (!tab[0]) {
        clv_mdp_estimate_free(m);
        return;
    }
    const double want[3][4] = {{3.25, 3.6875, 6.875, 6.25}, {2, 2.25, 5.5, 5}, {1, -1, 3, 4}};
    for (int t = 0; t < 3; t++)
        for (int k = 0; k < 4; k++) {
            CHECK_NEAR(tab[t]->q[k], want[t][k], 1e-12);
            CHECK_INT((int)tab[t]->visits[k], k == 1 ? 4 : 2);
        }
    CHECK_INT(clv_agent_confident(tab[2], 0, 0, 0), 0);
    CHECK_INT(clv_agent_confident(tab[1], 0, 0, 0), 1);
    CHECK_INT(clv_agent_confident(tab[0], 0, 0, 0), 1);
    CHECK_INT(clv_agent_confident(tab[2], 1, 0, 0), 1);
    CHECK_INT(clv_agent_confident(tab[1], 1, 0, 0), 0);
    /* the standard errors: of the rewards at t = 2, of r + V_{t+1}(s') before */
    const double V[3][2] = {{3.6875, 6.875}, {2.25, 5.5}, {1, 4}};
    for (int t = 0; t < 3; t++)
        for (int k = 0; k < 4; k++)
            CHECK_NEAR(clv_agent_q_se(tab[t], (size_t)k / 2, k % 2), direct_se(k / 2, k % 2, t < 2 ? V[t + 1] : NULL),
                       1e-12);
    /* (0,1) at t = 1 by hand: targets 3, 3, 2, 1; mean 2.25, sd^2 2.75/3 */
    CHECK_NEAR(clv_agent_q_se(tab[1], 0, 1), sqrt(2.75 / 3 / 4), 1e-12);
    /* solve gives Q_0 and the value of the start state 0 */
    double q[4], v;
    CHECK_INT(clv_mdp_solve(m, 3, q, &v, &err), CLV_OK);
    CHECK_NEAR(v, 3.6875, 1e-12);
    for (int k = 0; k < 4; k++)
        CHECK_NEAR(q[k], want[0][k], 1e-12);
    /* the always-base policy over 3 epochs: V2 = (1, 3), V1 = (1 + 1, 3 +
     * 1/2 + 3/2) = (2, 5), V0(0) = 1 + 2 = 3 */
    clv_qtable *base = clv_qtable_alloc(2, 2, 0, &err);
    base->q[1] = base->q[3] = -1;
    CHECK_INT(clv_mdp_evaluate(m, base, 3, &v, &err), CLV_OK);
    CHECK_NEAR(v, 3, 1e-12);
    for (int t = 0; t < 3; t++)
        clv_qtable_free(tab[t]);
    /* bad arguments */
    CHECK_INT(clv_mdp_plan(m, 0, 0, 0, tab, &err), CLV_EINPUT);
    CHECK_INT(clv_mdp_plan(m, 2, 2, 0, tab, &err), CLV_EINPUT);
    CHECK(strstr(err.msg, "base action") != NULL);
    CHECK(tab[0] == NULL && tab[1] == NULL);
    clv_qtable_free(base);
    clv_mdp_estimate_free(m);
}

/* the greedy table charges what an action causes in the following epochs:
 * with lookahead L, Q(s,a) = R(s,a) + sum P(s'|s,a) W_{L-1}(s'), W the
 * value of epochs of no campaign.  By hand on the same estimate: W_1 =
 * R(., base) = (1, 3), W_2 = (1 + 1, 3 + 1/2 + 3/2) = (2, 5), so with L = 3
 * Q = (1 + 2, -1 + 2/4 + 15/4; 3 + 1 + 5/2, 4 + 2) = (3, 3.25; 6.5, 6) -
 * action 1 wins in state 0, where the epoch's reward alone (L = 1) says
 * the base; standard errors of r + W_2(s') */
TEST(test_agent_greedy_lookahead)
{
    clv_error err;
    clv_mdp_estimate *m = hand_estimate();
    clv_qtable *g1 = NULL, *g3 = NULL;
    CHECK_INT(clv_mdp_greedy(m, 1, 0, &g1, &err), CLV_OK);
    CHECK_INT(clv_mdp_greedy(m, 3, 0, &g3, &err), CLV_OK);
    if (!g1 || !g3) {
        clv_qtable_free(g1), clv_qtable_free(g3), clv_mdp_estimate_free(m);
        return;
    }
    const double r[4] = {1, -1, 3, 4}, q3[4] = {3, 3.25, 6.5, 6}, w2[2] = {2, 5};
    for (int k = 0; k < 4; k++) {
        CHECK_NEAR(g1->q[k], r[k], 1e-12);
        CHECK_NEAR(g3->q[k], q3[k], 1e-12);
        CHECK_NEAR(clv_agent_q_se(g1, (size_t)k / 2, k % 2), direct_se(k / 2, k % 2, NULL), 1e-12);
        CHECK_NEAR(clv_agent_q_se(g3, (size_t)k / 2, k % 2), direct_se(k / 2, k % 2, w2), 1e-12);
        CHECK_INT((int)g3->visits[k], k == 1 ? 4 : 2);
    }
    CHECK_INT(clv_agent_confident(g1, 0, 0, 0), 0);
    CHECK_INT(clv_agent_confident(g3, 0, 0, 0), 1);
    clv_qtable *bad = NULL;
    CHECK_INT(clv_mdp_greedy(m, 0, 0, &bad, &err), CLV_EINPUT);
    CHECK_INT(clv_mdp_greedy(m, 2, -1, &bad, &err), CLV_EINPUT);
    CHECK(bad == NULL);
    /* the lookahead of a scenario: coupons valid up to 14 days */
    clv_scenario scn;
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err), CLV_OK);
    CHECK_INT(clv_mdp_lookahead(&scn), 2);  /* 14 / 7 */
    scn.calendar.epoch_days = 5;
    CHECK_INT(clv_mdp_lookahead(&scn), 3);  /* ceil(14 / 5) */
    scn.calendar.epoch_days = 30;
    CHECK_INT(clv_mdp_lookahead(&scn), 1);
    scn.interventions.n_coupons = 0;
    scn.calendar.epoch_days = 7;
    CHECK_INT(clv_mdp_lookahead(&scn), 1);  /* no coupon: the epoch alone */
    clv_qtable_free(g1);
    clv_qtable_free(g3);
    clv_mdp_estimate_free(m);
}

/* The confidence rule in the oracle: an advantage that is not significant
 * deploys the base, and the values behind earlier epochs are those of the
 * actions deployed.  On the hand-made estimate at 95% no advantage is
 * significant (state 1 at t = 2: 4 - 3 = 1 against 1.645 sqrt(1 + 1)), so
 * every epoch deploys the base and, by hand, V2 = (1, 3), Q1(0,1) = -1 +
 * 1/4 + 9/4 = 1.5, Q1(1,0) = 3 + 1/2 + 3/2 = 5, Q1(1,1) = 4 + 1 = 5. Where
 * the data make an advantage clear (the same estimate with 40 more of
 * each transition of (1, 1) and (1, 0)), it deploys it. */
TEST(test_agent_oracle_confidence)
{
    clv_error err;
    clv_mdp_estimate *m = hand_estimate();
    clv_qtable *tab[3];
    CHECK_INT(clv_mdp_plan(m, 3, 0, 0.95, tab, &err), CLV_OK);
    if (!tab[0]) {
        clv_mdp_estimate_free(m);
        return;
    }
    for (int t = 0; t < 3; t++)
        for (size_t s = 0; s < 2; s++)
            CHECK_INT(clv_agent_confident(tab[t], s, 0, 0.95), 0);
    CHECK_NEAR(tab[1]->q[1], 1.5, 1e-12);
    CHECK_NEAR(tab[1]->q[2], 5, 1e-12);
    CHECK_NEAR(tab[1]->q[3], 5, 1e-12);
    CHECK_NEAR(tab[0]->q[0], 1 + 2, 1e-12); /* 1 + V1(0) = 1 + Q1(0,0) */
    for (int t = 0; t < 3; t++)
        clv_qtable_free(tab[t]);
    for (int k = 0; k < 40; k++)
        for (int j = 6; j < N_HAND; j++)
            CHECK_INT(clv_mdp_estimate_add(m, (size_t)hand[j].s, hand[j].a, hand[j].r, (size_t)hand[j].s2, 0),
                      CLV_OK);
    CHECK_INT(clv_mdp_plan(m, 3, 0, 0.95, tab, &err), CLV_OK);
    if (!tab[0]) {
        clv_mdp_estimate_free(m);
        return;
    }
    /* at t = 2 in state 1: 4 - 3 = 1 with standard errors about 1/sqrt(42) */
    CHECK_INT(clv_agent_confident(tab[2], 1, 0, 0.95), 1);
    CHECK_INT(clv_agent_confident(tab[2], 0, 0, 0.95), 0);
    for (int t = 0; t < 3; t++)
        clv_qtable_free(tab[t]);
    clv_mdp_estimate_free(m);
}

/* The standard error of Q and the confident deployment: with steps 1/n, Q
 * is the sample mean of the targets and its standard error s / sqrt(n). */
TEST(test_agent_confidence)
{
    clv_error err;
    clv_qtable *t = clv_qtable_alloc(1, 3, 0, &err);
    clv_agent_params p = {CLV_RULE_Q, 0, 1, 1, 1, 0, 0, 1};
    for (int k = 1; k <= 5; k++) {
        clv_agent_update(t, &p, 0, 0, k, 0, 0, 1);     /* base: 1..5, mean 3 */
        clv_agent_update(t, &p, 0, 1, k + 3, 0, 0, 1); /* 4..8, mean 6 */
    }
    clv_agent_update(t, &p, 0, 2, 10, 0, 0, 1);       /* once: 10 */
    CHECK_NEAR(t->q[0], 3, 1e-12);
    CHECK_NEAR(t->q[1], 6, 1e-12);
    CHECK_NEAR(clv_agent_q_se(t, 0, 0), sqrt(2.5 / 5), 1e-12);
    CHECK_NEAR(clv_agent_q_se(t, 0, 1), sqrt(2.5 / 5), 1e-12);
    CHECK(isinf(clv_agent_q_se(t, 0, 2)));
    /* 6 - 3 = 3 > 1.645 x 1 at 95% (and > 2.326 at 99%); the single visit
     * of action 2 shows nothing; without confidence its 10 is the best */
    CHECK_INT(clv_agent_confident(t, 0, 0, 0.95), 1);
    CHECK_INT(clv_agent_confident(t, 0, 0, 0.99), 1);
    CHECK_INT(clv_agent_confident(t, 0, 0, 0), 2);
    /* at 99.9% one-sided (z = 3.09) a difference of 3 with standard error 1 is not enough */
    CHECK_INT(clv_agent_confident(t, 0, 0, 0.999), 0);
    /* a constant step size: Q = 0.5 y3 + 0.25 y2 + 0.125 y1 (+ 0.125 of the start) */
    clv_qtable *u = clv_qtable_alloc(1, 1, 0, &err);
    clv_agent_params c = {CLV_RULE_Q, 0, 0.5, 0, 1, 0, 0, 1};
    const double y[3] = {2, 4, 9};
    for (int k = 0; k < 3; k++)
        clv_agent_update(u, &c, 0, 0, y[k], 0, 0, 1);
    const double w2 = 0.5 * 0.5 + 0.25 * 0.25 + 0.125 * 0.125, var = (9 + 1 + 16) / 2.0; /* mean 5 */
    CHECK_NEAR(clv_agent_q_se(u, 0, 0), sqrt(w2 * var), 1e-12);
    /* the statistics survive a file */
    char path[] = "/tmp/clvsim-qse-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    CHECK_INT(clv_qtable_save(t, path, &err), CLV_OK);
    clv_qtable *l = clv_qtable_load(path, &err);
    CHECK(l && clv_agent_q_se(l, 0, 1) == clv_agent_q_se(t, 0, 1));
    unlink(path);
    clv_qtable_free(l);
    clv_qtable_free(u);
    clv_qtable_free(t);
}

/* ---- Q-functions over features (clvsim/qfunc.h) ---- */

/* sum_i w_i Q(x_i, a_i) */
static double weighted_q(clv_qfunc *q, const double *X, const int *a, const double *w, size_t n)
{
    const size_t na = (size_t)clv_qf_spec_of(q)->n_actions;
    double Q[4 * 8], sum = 0;
    clv_error err;
    if (clv_qf_values(q, X, n, Q, &err) != CLV_OK)
        return NAN;
    for (size_t i = 0; i < n; i++)
        sum += w[i] * Q[i * na + (size_t)a[i]];
    return sum;
}

/* The gradient of each kind against central finite differences of
 * sum_i w_i Q(x_i, a_i), at random parameters and inputs. */
TEST(test_qfunc_gradients)
{
    enum { NX = 4, NA = 3, N = 4 };
    const double f[NA * 2] = {0, 0, 1, 0, 1, 1};
    clv_qf_spec lin = {CLV_QF_LINEAR, NX, NA, 2, f, {0}, 0, 0, 0, 0};
    clv_qf_spec net = {CLV_QF_MLP, NX, NA, 0, NULL, {5, 4}, 2, CLV_ACT_TANH, CLV_MLP_F64, 8};
    const clv_qf_spec *specs[2] = {&lin, &net};
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){3, CLV_STREAM_USER, 0, 0});
    double X[N * NX], w[N];
    const int a[N] = {0, 2, 1, 2};
    for (int i = 0; i < N * NX; i++)
        X[i] = 2 * clv_rng_uniform(&r) - 1;
    for (int i = 0; i < N; i++)
        w[i] = 0.5 + clv_rng_uniform(&r);
    for (int k = 0; k < 2; k++) {
        clv_error err;
        clv_qfunc *q = clv_qf_alloc(specs[k], &err);
        CHECK(q != NULL);
        if (!q)
            continue;
        const size_t np = clv_qf_n_params(q);
        double *p = malloc(np * sizeof *p), *g = malloc(np * sizeof *g);
        clv_qf_init(q, 5);
        clv_qf_get_params(q, p);
        for (size_t j = 0; j < np; j++) /* away from the initial zeros */
            p[j] += 0.3 * (2 * clv_rng_uniform(&r) - 1);
        clv_qf_set_params(q, p);
        CHECK_INT(clv_qf_grad(q, X, a, w, N, g, &err), CLV_OK);
        double worst = 0, scale = 0;
        for (size_t j = 0; j < np; j++) {
            const double h = 1e-6, keep = p[j];
            p[j] = keep + h;
            clv_qf_set_params(q, p);
            const double up = weighted_q(q, X, a, w, N);
            p[j] = keep - h;
            clv_qf_set_params(q, p);
            const double down = weighted_q(q, X, a, w, N);
            p[j] = keep;
            worst = harness_max(worst, fabs((up - down) / (2 * h) - g[j]));
            scale = harness_max(scale, fabs(g[j]));
        }
        clv_qf_set_params(q, p);
        if (!(worst <= 1e-7 * (1 + scale)))
            harness_fail(__FILE__, __LINE__, "%s: gradient off by %g (largest %g)", k ? "MLP" : "linear", worst, scale);
        CHECK(scale > 0.1); /* a gradient that is there */
        free(p), free(g);
        clv_qf_free(q);
    }
}

/* Linear Q-learning with one-hot state features (Q* exactly representable)
 * on the random MDP of test_agent_small_mdp, off-policy from uniformly
 * random actions, normalised steps 1 / (3 + n(s,a)^0.7): within 3% of the largest
 * |Q*|; and DQN (an MLP over the same features, replay, a target network
 * synced every 200 steps, Adam, Huber loss) reaches Q*'s greedy policy and
 * is within 10% of it. */
TEST(test_qfunc_value_iteration)
{
    double P[S * A * S], R[S * A], qstar[S * A];
    make_mdp(P, R);
    const double gamma = 0.8;
    clv_error err;
    CHECK_INT(clv_value_iteration(S, A, P, R, NULL, gamma, 1e-13, 10000, qstar, &err), CLV_OK);
    double scale = 0;
    for (int i = 0; i < S * A; i++)
        scale = harness_max(scale, fabs(qstar[i]));
    double onehot[S * S] = {0};
    for (int s = 0; s < S; s++)
        onehot[s * S + s] = 1;
    const double f[A] = {1, 0, 0}; /* a shared feature of action 0 */
    clv_qf_spec lin = {CLV_QF_LINEAR, S, A, 1, f, {0}, 0, 0, 0, 0};
    clv_qfunc *q = clv_qf_alloc(&lin, &err);
    CHECK(q != NULL);
    if (!q)
        return;
    clv_qf_init(q, 1);
    clv_rng r;
    clv_rng_seed(&r, (clv_stream_key){9, CLV_STREAM_EXPLORATION, 0, 0});
    uint32_t n[S * A] = {0};
    int s = 0;
    for (long k = 0; k < 1000000; k++) {
        const int a = (int)(clv_rng_next(&r) % A), s2 = next_state(P, s, a, &r);
        double q2[A];
        clv_qf_values(q, onehot + s2 * S, 1, q2, &err);
        const double y = R[s * A + a] + gamma * harness_max(q2[0], harness_max(q2[1], q2[2]));
        clv_qf_linear_update(q, onehot + s * S, a, y, 1, pow(++n[s * A + a], 0.7));
        s = s2;
    }
    double Q[S * A], worst = 0;
    CHECK_INT(clv_qf_values(q, onehot, S, Q, &err), CLV_OK);
    for (int i = 0; i < S * A; i++)
        worst = harness_max(worst, fabs(Q[i] - qstar[i]));
    if (!(worst <= 0.03 * scale))
        harness_fail(__FILE__, __LINE__, "linear Q-learning: max |Q - Q*| = %g, |Q*| up to %g", worst, scale);
    clv_qf_free(q);

    /* DQN: the transitions of a random behaviour policy in a replay buffer */
    clv_qf_spec net = {CLV_QF_MLP, S, A, 0, NULL, {16}, 1, CLV_ACT_TANH, CLV_MLP_F64, 32};
    clv_qfunc *dq = clv_qf_alloc(&net, &err), *tg = clv_qf_alloc(&net, &err);
    clv_qf_replay rb;
    CHECK(dq && tg);
    CHECK_INT(clv_qf_replay_alloc(&rb, 5000, S, &err), CLV_OK);
    if (!dq || !tg)
        return;
    clv_qf_init(dq, 2);
    const size_t np = clv_qf_n_params(dq);
    double *p = malloc(np * sizeof *p), *scratch = malloc(clv_qf_dqn_scratch(dq, 32) * sizeof *scratch);
    clv_qf_get_params(dq, p);
    clv_qf_set_params(tg, p);
    clv_qf_dqn o = {.sarsa = 0, .gamma = gamma, .batch = 32, .huber = 1, .delta = 5};
    clv_adam_default(&o.adam);
    s = 0;
    const long steps = 60000;
    for (long k = 0; k < steps; k++) {
        const int a = (int)(clv_rng_next(&r) % A), s2 = next_state(P, s, a, &r);
        clv_qf_replay_push(&rb, onehot + s * S, a, R[s * A + a], onehot + s2 * S, 0, 0);
        s = s2;
        if (rb.n < 32)
            continue;
        o.adam.lr = k < steps / 2 ? 3e-3 : 3e-4;
        CHECK(!isnan(clv_qf_dqn_step(dq, tg, &rb, &o, &r, scratch, &err)));
        if (k % 200 == 0) {
            clv_qf_get_params(dq, p);
            clv_qf_set_params(tg, p);
        }
    }
    CHECK_INT(clv_qf_values(dq, onehot, S, Q, &err), CLV_OK);
    worst = 0;
    int same = 1;
    for (int st = 0; st < S; st++) {
        int best = 0, mine = 0;
        for (int b = 1; b < A; b++) {
            best = qstar[st * A + b] > qstar[st * A + best] ? b : best;
            mine = Q[st * A + b] > Q[st * A + mine] ? b : mine;
        }
        same &= best == mine;
        for (int b = 0; b < A; b++)
            worst = harness_max(worst, fabs(Q[st * A + b] - qstar[st * A + b]));
    }
    if (!same || !(worst <= 0.1 * scale))
        harness_fail(__FILE__, __LINE__, "DQN: greedy policy %s Q*'s, max |Q - Q*| = %g, |Q*| up to %g",
                     same ? "is" : "is not", worst, scale);
    free(p), free(scratch);
    clv_qf_replay_free(&rb);
    clv_qf_free(dq), clv_qf_free(tg);
}

/* The Q-function agents in the environment: in the world of
 * test_agent_training_learns where a contact quadruples buying, every kind
 * earns more at the end than at the start, and the same seed gives the
 * same parameters, bit for bit, on 1 and 2 threads. */
TEST(test_qfunc_training)
{
    clv_scenario scn;
    clv_error err;
    contact_world(&scn, 1000, 12);
    for (int algo = 0; algo < CLV_QF_ALGOS; algo++) {
        clv_qf_train_result two, one;
        CHECK_INT(clv_qf_train(&scn, algo, &(clv_train_opts){.threads = 2}, &two, &err), CLV_OK);
        CHECK_INT(clv_qf_train(&scn, algo, &(clv_train_opts){.threads = 1}, &one, &err), CLV_OK);
        if (!two.agent.q || !one.agent.q)
            continue;
        if (!(two.returns[two.episodes - 1] > two.returns[0]))
            harness_fail(__FILE__, __LINE__, "%s: returns %g at the start, %g at the end", clv_qf_algo_name(algo),
                         two.returns[0], two.returns[two.episodes - 1]);
        const size_t np = clv_qf_n_params(two.agent.q);
        double *p1 = malloc(np * sizeof *p1), *p2 = malloc(np * sizeof *p2);
        clv_qf_get_params(one.agent.q, p1);
        clv_qf_get_params(two.agent.q, p2);
        if (memcmp(p1, p2, np * sizeof *p1) != 0)
            harness_fail(__FILE__, __LINE__, "%s: 1 and 2 threads give other parameters", clv_qf_algo_name(algo));
        free(p1), free(p2);
        clv_qf_train_result_free(&one);
        clv_qf_train_result_free(&two);
    }
}

/* The Q-function policy's confidence rule: an action 0.1 above the base in
 * every state is deployed when its standard errors make that significant
 * (se 0.01), not when they do not (se 0.1, z 1.64 x 0.14 > 0.1), and
 * always with confidence 0; the base is no coupon at list price. */
TEST(test_qfunc_policy_confidence)
{
    clv_scenario scn;
    clv_error err;
    contact_world(&scn, 200, 1);
    clv_qf_agent ag = {0};
    ag.algo = CLV_QF_Q_LINEAR;
    const size_t na = clv_agent_n_actions(&scn.interventions);
    const int base = clv_scn_list_price(&scn), better = (int)na - 1;
    clv_qf_spec spec = {CLV_QF_LINEAR, CLV_QF_N_FEATURES, (int)na, 0, NULL, {0}, 0, 0, 0, 0};
    ag.q = clv_qf_alloc(&spec, &err);
    CHECK(ag.q != NULL && better != base);
    if (!ag.q)
        return;
    const size_t np = clv_qf_n_params(ag.q);
    double *p = calloc(np, sizeof *p);
    for (size_t a = 0; a < na; a++) /* the per-action biases, the last na parameters */
        p[np - na + a] = (int)a == base ? 0 : (int)a == better ? 0.1 : -1;
    clv_qf_set_params(ag.q, p);
    for (int k = 0; k < CLV_QF_N_FEATURES; k++)
        ag.sd[k] = 1;
    clv_sim *s;
    clv_sim_opts so;
    clv_sim_opts_default(&so);
    scn.population.customers = 200;
    CHECK_INT(clv_sim_alloc(&scn, &so, &s, &err), CLV_OK);
    CHECK_INT(clv_sim_reset(s, 1, clv_world_evaluation(0), &err), CLV_OK);
    const size_t n = clv_sim_customers(s);
    clv_sim_obs *obs = malloc(n * sizeof *obs);
    clv_action *act = malloc(n * sizeof *act);
    CHECK_INT(clv_sim_observe(s, 0, n, obs, &err), CLV_OK);
    const double ses[3] = {0.01, 0.1, 0.1}, confidence[3] = {0.95, 0.95, 0};
    for (int c = 0; c < 3; c++) {
        for (size_t a = 0; a < na; a++)
            ag.se[a] = ses[c];
        scn.agent.confidence = confidence[c];
        clv_policy pol;
        CHECK_INT(clv_policy_qfunc(&scn, &ag, NULL, "q-linear", 1, &pol, &err), CLV_OK);
        CHECK_INT(pol.act(pol.ctx, s, obs, n, act, &err), CLV_OK);
        const int want = c == 1 ? base : better;
        size_t right = 0;
        for (size_t i = 0; i < n; i++)
            right += (int)(act[i].coupon * (size_t)scn.interventions.n_prices + act[i].price) == want;
        if (right != n)
            harness_fail(__FILE__, __LINE__, "case %d: %zu of %zu customers get action %d", c, right, n, want);
        clv_policy_free(&pol);
    }
    free(obs), free(act), free(p);
    clv_sim_free(s);
    clv_qf_free(ag.q);
}
