/* clvsim/policy_kinds.h - the one list of the policy kinds of evaluation.policies.
 *
 * X(ID, "name", sym) for each kind, in the order of their numbers:
 *   CLV_POLICY_<ID>    its number (clv_policy_kind, clvsim/scenario.h);
 *   "name"             the name evaluation.policies accepts (the schema);
 *   clv__policy_<sym>  its entry of the policy type table (clvsim/policy.h),
 *                      a clv_policy_type defined beside the policy's code in
 *                      src/agent, which the table lists from here.
 * A new kind is one line here (at the end: the numbers of the others stay),
 * its file in src/agent and its test (HACKING.md). */
#ifndef CLVSIM_POLICY_KINDS_H
#define CLVSIM_POLICY_KINDS_H

#define CLV_POLICY_KINDS(X)                                                                                 \
    X(NONE, "none", none)                      /* no campaign */                                          \
    X(BLANKET, "blanket", blanket)             /* the same coupon to everyone, one policy per level */    \
    X(RANDOM, "random", random)                /* a random coupon */                                      \
    X(RFM, "rfm", rfm)                         /* at-risk customers with high past value */               \
    X(LTV_THRESHOLD, "ltv-threshold", ltv_threshold) /* predicted LTV above a quantile */                 \
    X(GREEDY, "greedy", greedy)                /* best action for this epoch's expected margin */         \
    X(Q, "q-learning", q)                      /* tabular Q-learning */                                   \
    X(SARSA, "sarsa", sarsa)                   /* tabular SARSA */                                        \
    X(EXPECTED_SARSA, "expected-sarsa", expected_sarsa) /* tabular Expected SARSA */                      \
    X(ORACLE, "oracle", oracle)                /* value iteration on the estimated model */           \
    X(PRICE_UP, "price-up", price_up)          /* everyone at the nearest price level above list */   \
    X(PRICE_DOWN, "price-down", price_down)    /* everyone at the nearest price level below list */   \
    X(PRICES, "prices", prices)                /* everyone at one price level, one policy per level */    \
    X(WELCOME, "welcome", welcome)             /* a coupon to the customers in the stage new */           \
    X(CLAIRVOYANT, "clairvoyant", clairvoyant) /* a yardstick: rollouts from the latent state */             \
    X(Q_LINEAR, "q-linear", q_linear)          /* Q-learning, linear Q-function (clvsim/qfunc.h) */       \
    X(SARSA_LINEAR, "sarsa-linear", sarsa_linear) /* SARSA, linear Q-function */                          \
    X(Q_MLP, "q-mlp", q_mlp)                   /* DQN: MLP Q-function, replay, target network */          \
    X(SARSA_MLP, "sarsa-mlp", sarsa_mlp)       /* SARSA with an MLP Q-function, replay, target network */

#endif
