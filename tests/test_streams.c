/* test_streams.c - the registry of random-stream namespaces (clvsim/streams.h):
 * its namespaces are pairwise disjoint, and so are the keys that clvsim
 * uses at the largest values the scenario schema accepts; the library
 * refuses counts past a namespace. */
#include <stdint.h>
#include <stdlib.h>

#include "clvsim/agent.h"
#include "clvsim/evaluate.h"
#include "clvsim/scenario.h"
#include "clvsim/streams.h"
#include "../src/core/scenario_schema.h"
#include "harness.h"

/* the keys a use takes: purposes, replications and blocks (inclusive) */
typedef struct keys {
    const char *name;
    uint64_t purposes, rep_first, rep_last, block_first, block_last;
} keys;

static int overlap(const keys *a, const keys *b)
{
    return (a->purposes & b->purposes) != 0 && a->rep_first <= b->rep_last && b->rep_first <= a->rep_last &&
           a->block_first <= b->block_last && b->block_first <= a->block_last;
}

static keys of_space(clv_stream_space_id id)
{
    const clv_stream_space *s = &clv_stream_spaces(NULL)[id];
    return (keys){s->name, s->purposes, s->rep_first, s->rep_last, s->block_first, s->block_last};
}

/* the largest value of a number key of the schema */
static uint64_t schema_max(const char *path)
{
    const clv__key *k = clv__scn_find(path);
    CHECK(k != NULL);
    if (!k)
        return 0;
    CHECK(k->max >= 1 && k->max < 0x1p63);
    return (uint64_t)k->max;
}

static uint64_t schema_min(const char *path)
{
    const clv__key *k = clv__scn_find(path);
    CHECK(k != NULL);
    return k ? (uint64_t)k->min : 0;
}

/* every pair of the n uses disjoint; reports the pairs that are not */
static int count_overlaps(const keys *u, size_t n, int report)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (overlap(&u[i], &u[j])) {
                bad++;
                if (report)
                    harness_fail(__FILE__, __LINE__, "namespaces \"%s\" and \"%s\" share keys", u[i].name,
                                 u[j].name);
            }
    return bad;
}

/* the registry itself: one row per id, named, non-empty, pairwise disjoint */
TEST(test_streams_registry_disjoint)
{
    size_t n = 0;
    const clv_stream_space *s = clv_stream_spaces(&n);
    CHECK_INT(n, CLV_SPACE_N);
    keys u[CLV_SPACE_N];
    for (size_t i = 0; i < n; i++) {
        CHECK(s[i].name != NULL && s[i].name[0] != '\0');
        CHECK(s[i].use != NULL && s[i].use[0] != '\0');
        CHECK(s[i].purposes != 0);
        CHECK(s[i].rep_first <= s[i].rep_last);
        CHECK(s[i].block_first <= s[i].block_last);
        u[i] = of_space((clv_stream_space_id)i);
    }
    CHECK_INT(count_overlaps(u, n, 1), 0);
    /* the checker finds an overlap: the random policy's key before the
     * registry, (exploration, epoch, customer), met training's exploration
     * (exploration, episode, algorithm) for customers 0-2 */
    keys old_random = {"random policy (old key)", CLV_PURPOSE_BIT(CLV_STREAM_EXPLORATION), 0, 3650, 0, UINT64_MAX};
    keys training = of_space(CLV_SPACE_TRAINING);
    CHECK(overlap(&old_random, &training));
}

/* the keys used at the largest values of the schema stay in their
 * namespaces, so they are disjoint for every allowed scenario; raising a
 * schema bound past its namespace fails here */
TEST(test_streams_schema_bounds_fit)
{
    const uint64_t episodes = schema_max("agent.episodes"), reps = schema_max("evaluation.replications");
    const uint64_t ltv_epochs = schema_max("ltv.epochs"), verifs = schema_max("evaluation.verification.replications");
    /* decision epochs: the longest horizon in the shortest epochs, the last one partial */
    const uint64_t horizon = schema_max("calendar.horizon_days"), epoch_days = schema_min("calendar.epoch_days");
    CHECK(epoch_days >= 1);
    const uint64_t epochs = (horizon + epoch_days - 1) / (epoch_days ? epoch_days : 1) + 1;
    /* customers of a world (its blocks): existing ones at the largest scale */
    const double scale = clv__scn_find("run.scale") ? clv__scn_find("run.scale")->max : 0;
    const double customers = (double)schema_max("population.customers") * scale;
    CHECK(customers > 0 && customers < 0x1p62);

    keys used[CLV_SPACE_N];
    for (int i = 0; i < CLV_SPACE_N; i++)
        used[i] = of_space((clv_stream_space_id)i);
    used[CLV_SPACE_TRAINING].rep_first = clv_world_training(0);
    used[CLV_SPACE_TRAINING].rep_last = clv_world_training(episodes - 1);
    used[CLV_SPACE_ORACLE].rep_first = clv_world_oracle(0);
    used[CLV_SPACE_ORACLE].rep_last = clv_world_oracle(episodes - 1);
    used[CLV_SPACE_EVALUATION].rep_first = clv_world_evaluation(0);
    used[CLV_SPACE_EVALUATION].rep_last = clv_world_evaluation(reps - 1);
    used[CLV_SPACE_VERIFICATION].rep_first = clv_world_verification(0);
    used[CLV_SPACE_VERIFICATION].rep_last = clv_world_verification(verifs - 1);
    used[CLV_SPACE_RANDOM_POLICY].rep_first = clv_rep_random_policy(0);
    used[CLV_SPACE_RANDOM_POLICY].rep_last = clv_rep_random_policy(epochs - 1);
    used[CLV_SPACE_LTV_EPOCHS].rep_first = clv_rep_ltv_epoch(0);
    used[CLV_SPACE_LTV_EPOCHS].rep_last = clv_rep_ltv_epoch(ltv_epochs - 1);
    used[CLV_SPACE_EXPERIMENT].rep_first = clv_rep_experiment(0);
    used[CLV_SPACE_EXPERIMENT].rep_last = clv_rep_experiment(CLV_MAX_CONTACT_EFFECTS - 1);
    used[CLV_SPACE_LTV].rep_first = CLV_WORLD_LTV_TRAIN;
    used[CLV_SPACE_LTV].rep_last = CLV_SPLIT_LTV_SEARCH;
    /* the world namespaces' blocks are customers (training's exploration
     * blocks are algorithms: fewer) */
    const int world_spaces[] = {CLV_SPACE_TRAINING, CLV_SPACE_ORACLE, CLV_SPACE_EVALUATION, CLV_SPACE_LTV,
                                CLV_SPACE_RANDOM_POLICY, CLV_SPACE_EXPERIMENT, CLV_SPACE_VERIFICATION};
    for (size_t k = 0; k < sizeof world_spaces / sizeof *world_spaces; k++) {
        used[world_spaces[k]].block_first = 0;
        used[world_spaces[k]].block_last = (uint64_t)customers;
    }
    /* reluck: customers' behaviour, arrivals' traits (2^62 ^ customer) and
     * acquisition (2^63), three disjoint uses inside its blocks */
    CHECK(customers < (double)CLV_BLOCK_RELUCK_TRAITS);
    used[CLV_SPACE_RELUCK].block_first = 0;
    used[CLV_SPACE_RELUCK].block_last = CLV_BLOCK_RELUCK_ACQUISITION;
    const keys reluck_uses[3] = {
        {"reluck behaviour", CLV_PURPOSE_BIT(CLV_STREAM_RELUCK), 0, UINT64_MAX, 0, (uint64_t)customers},
        {"reluck traits", CLV_PURPOSE_BIT(CLV_STREAM_RELUCK), 0, UINT64_MAX, CLV_BLOCK_RELUCK_TRAITS,
         CLV_BLOCK_RELUCK_TRAITS ^ (uint64_t)customers},
        {"reluck acquisition", CLV_PURPOSE_BIT(CLV_STREAM_RELUCK), 0, UINT64_MAX, CLV_BLOCK_RELUCK_ACQUISITION,
         CLV_BLOCK_RELUCK_ACQUISITION}};
    CHECK_INT(count_overlaps(reluck_uses, 3, 1), 0);
    CHECK(reluck_uses[2].block_last <= of_space(CLV_SPACE_RELUCK).block_last);
    used[CLV_SPACE_FIRST_PURCHASE].block_first = CLV_BLOCK_FIRST_PURCHASE;
    used[CLV_SPACE_FIRST_PURCHASE].block_last = CLV_BLOCK_FIRST_PURCHASE ^ (uint64_t)customers;

    /* each use within its namespace */
    for (int i = 0; i < CLV_SPACE_N; i++) {
        const keys r = of_space((clv_stream_space_id)i);
        if (!(used[i].rep_first >= r.rep_first && used[i].rep_last <= r.rep_last &&
              used[i].block_first >= r.block_first && used[i].block_last <= r.block_last))
            harness_fail(__FILE__, __LINE__,
                         "namespace \"%s\": the schema's largest values use replications [%llu, %llu], blocks "
                         "[%llu, %llu]; it holds [%llu, %llu], [%llu, %llu]",
                         r.name, (unsigned long long)used[i].rep_first, (unsigned long long)used[i].rep_last,
                         (unsigned long long)used[i].block_first, (unsigned long long)used[i].block_last,
                         (unsigned long long)r.rep_first, (unsigned long long)r.rep_last,
                         (unsigned long long)r.block_first, (unsigned long long)r.block_last);
    }
    /* and the uses pairwise disjoint */
    CHECK_INT(count_overlaps(used, CLV_SPACE_N, 1), 0);
    /* the schema's old bound of agent.episodes, 1e7, made training and the
     * oracle reach the evaluation worlds: the check sees that */
    keys wide[CLV_SPACE_N];
    for (int i = 0; i < CLV_SPACE_N; i++)
        wide[i] = used[i];
    wide[CLV_SPACE_TRAINING].rep_last = clv_world_training(10000000 - 1);
    wide[CLV_SPACE_ORACLE].rep_last = clv_world_oracle(10000000 - 1);
    CHECK(count_overlaps(wide, CLV_SPACE_N, 0) > 0);
    /* the public aliases agree with the registry */
    CHECK_INT(CLV_EVAL_REPLICATION_BASE, clv_stream_spaces(NULL)[CLV_SPACE_EVALUATION].rep_first);
    CHECK_INT(clv_world_verification(0), clv_stream_spaces(NULL)[CLV_SPACE_VERIFICATION].rep_first);
    /* the verification worlds are none of the evaluation's, training's or
     * the oracle's, at the schema's largest counts */
    CHECK(!overlap(&used[CLV_SPACE_VERIFICATION], &used[CLV_SPACE_EVALUATION]));
    CHECK(!overlap(&used[CLV_SPACE_VERIFICATION], &used[CLV_SPACE_TRAINING]));
    CHECK(!overlap(&used[CLV_SPACE_VERIFICATION], &used[CLV_SPACE_ORACLE]));
    /* and the check would see verification worlds put among the evaluation's */
    keys inside = used[CLV_SPACE_VERIFICATION];
    inside.rep_first = clv_world_evaluation(reps - 1);
    CHECK(overlap(&inside, &used[CLV_SPACE_EVALUATION]));
}

/* counts past a namespace are refused before any work, with a message */
TEST(test_streams_library_refuses_overflow)
{
    clv_error err;
    CHECK_INT(clv_stream_space_check(CLV_SPACE_TRAINING, 0, "agent.episodes", &err), CLV_OK);
    CHECK_INT(clv_stream_space_check(CLV_SPACE_TRAINING, CLV_WORLDS_PER_SPACE, "agent.episodes", &err), CLV_OK);
    CHECK_INT(clv_stream_space_check(CLV_SPACE_TRAINING, CLV_WORLDS_PER_SPACE + 1ULL, "agent.episodes", &err),
              CLV_EINPUT);
    CHECK_STR(err.field, "agent.episodes");
    CHECK_STR(err.msg, "1000001 is more than the 1000000 random worlds of the training namespace "
                       "(clvsim/streams.h); more would reuse the worlds of another use");
    CHECK_INT(clv_stream_space_check(CLV_SPACE_LTV_DROPOUT, UINT64_MAX - CLV_LTV_DROPOUT_BASE + 1, "steps", &err),
              CLV_OK);
    CHECK_INT(clv_stream_space_check(CLV_SPACE_LTV_DROPOUT, UINT64_MAX, "steps", &err), CLV_EINPUT);
    CHECK_INT(clv_stream_space_check(CLV_SPACE_N, 1, "x", &err), CLV_EINPUT);

    /* the schema refuses the first value past the namespace */
    clv_scenario scn;
    const clv_scn_override over = {"agent.episodes", "1000001", NULL}, at = {"agent.episodes", "1000000", NULL};
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", &over, 1, &scn, &err), CLV_EINPUT);
    CHECK_STR(err.field, "agent.episodes");
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", &at, 1, &scn, &err), CLV_OK);

    /* a scenario changed in memory is refused by the library */
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err), CLV_OK);
    scn.agent.episodes = CLV_WORLDS_PER_SPACE + 1;
    clv_train_result tr;
    CHECK_INT(clv_agent_train(&scn, CLV_ALGO_Q, NULL, &tr, &err), CLV_EINPUT);
    CHECK_STR(err.field, "agent.episodes");
    clv_mdp_estimate *m = NULL;
    CHECK_INT(clv_oracle_estimate(&scn, NULL, NULL, CLV_WORLDS_PER_SPACE + 1, 1, NULL, &m, &err), CLV_EINPUT);
    CHECK(m == NULL);
    /* a resumed training may not pass the training worlds either: the last
     * episode may be world 999999, not 1000000 (the oracle's first) */
    CHECK_INT(clv_scn_defaults(&scn, &err), CLV_OK);
    scn.calendar.horizon_days = 14;
    scn.agent.customers = 100;
    scn.agent.episodes = 1;
    CHECK_INT(clv_agent_train(&scn, CLV_ALGO_Q, NULL, &tr, &err), CLV_OK);
    if (tr.table) {
        clv_train_result rest;
        scn.agent.episodes = 2;
        tr.table->episodes = CLV_WORLDS_PER_SPACE - 2;
        CHECK_INT(clv_agent_train(&scn, CLV_ALGO_Q, &(clv_train_opts){1, NULL, tr.table, NULL, NULL, NULL}, &rest, &err),
                  CLV_OK);
        CHECK(rest.table && rest.table->episodes == CLV_WORLDS_PER_SPACE);
        clv_train_result_free(&rest);
        tr.table->episodes = CLV_WORLDS_PER_SPACE - 1;
        CHECK_INT(clv_agent_train(&scn, CLV_ALGO_Q, &(clv_train_opts){1, NULL, tr.table, NULL, NULL, NULL}, &rest, &err),
                  CLV_EINPUT);
        CHECK_STR(err.msg, "the table to resume has 999999 episodes behind it; with 2 more that exceeds the 1000000 "
                           "worlds of training (clvsim/streams.h)");
    }
    clv_train_result_free(&tr);
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err), CLV_OK);
    scn.evaluation.replications = CLV_WORLDS_PER_SPACE + 1;
    clv_evaluation ev;
    CHECK_INT(clv_evaluate(&scn, NULL, 0, NULL, &ev, &err), CLV_EINPUT);
    CHECK_STR(err.field, "evaluation.replications");
    /* the verification worlds' count likewise, in the schema and in the library */
    const clv_scn_override vo = {"evaluation.verification.replications", "100001", NULL};
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", &vo, 1, &scn, &err), CLV_EINPUT);
    CHECK_STR(err.field, "evaluation.verification.replications");
    CHECK_INT(clv_scn_load("scenarios/holiday.cfg", NULL, 0, &scn, &err), CLV_OK);
    scn.evaluation.verification_replications = CLV_WORLDS_PER_SPACE + 1;
    CHECK_INT(clv_evaluate(&scn, NULL, 0, &(clv_eval_opts){.threads = 1, .worlds = CLV_EVAL_ON_VERIFICATION}, &ev, &err), CLV_EINPUT);
    CHECK_STR(err.field, "evaluation.verification.replications");
}
