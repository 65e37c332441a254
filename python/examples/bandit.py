"""bandit.py - an epsilon-greedy learner in numpy over coupon and price levels, per lifecycle
stage, trained in the environment and evaluated against random coupons and no campaign.

    make python && PYTHONPATH=python /usr/bin/python3 python/examples/bandit.py [SCENARIO] [SCALE]

Arms: (stage, coupon level 0..n, price level).  Each customer-epoch is a pull; its reward
is the customer's net margin over the epoch of the action and the next one (a coupon stays
valid for up to two weeks), so an arm's value is the mean two-epoch margin of the customers
of that stage who got that action (the coupon level the budget let through).  Training: episodes on the training worlds
(scenario seed, replication e), epsilon 0.2 decaying; then the greedy policy is frozen and
clv_evaluate compares it with the built-in "random" and "none" on the evaluation worlds
(common random numbers), with paired 95% intervals.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import clvsim  # noqa: E402

scenario = sys.argv[1] if len(sys.argv) > 1 else "scenarios/holiday.cfg"
scale = sys.argv[2] if len(sys.argv) > 2 else "0.2"
overrides = {"run.scale": scale}

env = clvsim.Env(scenario, overrides)
n_stages, n_levels = len(clvsim.STAGES), (env.n_coupons + 1) * env.n_prices
STAGE = clvsim.OBS_NAMES.index("stage")
total = np.zeros((n_stages, n_levels))
pulls = np.zeros((n_stages, n_levels))
rng = np.random.default_rng(1)


def choose(stage, eps):
    mean = np.where(pulls > 0, total / np.maximum(pulls, 1), np.inf)  # untried arms first
    greedy = np.argmax(mean[stage], axis=1)
    explore = rng.random(len(stage)) < eps
    return np.where(explore, rng.integers(0, n_levels, len(stage)), greedy)


for episode in range(6):
    eps = 0.2 / (1 + episode)
    obs, _ = env.reset(seed=env._info["seed"], options={"replication": episode})
    pending = None  # (stage, level, margin so far) of the previous epoch's pulls
    while True:
        stage = obs[:, STAGE].astype(int)
        arm = choose(stage, eps)
        a = np.stack([arm // env.n_prices, arm % env.n_prices], axis=1)
        obs, reward, term, _, info = env.step(a)
        level = info["sent"].astype(int) * env.n_prices + a[:, 1]  # what the budget let through
        if pending is not None:
            ps, pl, pm = pending
            pm = pm + reward[:len(pm)]
            np.add.at(total, (ps, pl), pm)
            np.add.at(pulls, (ps, pl), 1)
        pending = (stage, level, reward)
        if term.all():
            break

value = total / np.maximum(pulls, 1)
best = np.argmax(np.where(pulls > 0, value, -np.inf), axis=1)
print("learned (coupon, price) level by stage:",
      {s: (int(best[k] // env.n_prices), int(best[k] % env.n_prices)) for k, s in enumerate(clvsim.STAGES)})


def learned(obs):
    arm = best[obs[:, STAGE].astype(int)]
    return np.stack([arm // env.n_prices, arm % env.n_prices], axis=1)


ev = clvsim.evaluate(scenario, ["none", "random", ("bandit", learned)], overrides)
cur = env._info["currency"]
print(f"{ev.replications} evaluation replications, net margin ({cur}) and paired differences, "
      f"{ev.confidence:.0%} intervals")
for row in ev.table():
    d = row["diff"]
    print(f"  {row['policy']:<8} {row['mean']:10.0f} [{row['lo']:.0f}, {row['hi']:.0f}]   vs none "
          f"{d['mean']:+8.0f} [{d['lo']:+.0f}, {d['hi']:+.0f}]")
d = ev.paired("bandit", "random")
print(f"  bandit - random: {d['mean']:+.0f} [{d['lo']:+.0f}, {d['hi']:+.0f}] {cur}")
sys.exit(0 if d["lo"] > 0 else 1)
