"""The Python package against the C library: determinism, equality with the C results, spaces, errors."""
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest

import clvsim

ROOT = os.getcwd()
SCN = "scenarios/holiday.cfg"
SMALL = {"run.scale": 0.05}
CLVSIM_BIN = os.environ.get("CLVSIM_BIN", os.path.join(ROOT, "build", "clvsim"))


def episode(env, policy, seed=None, options=None):
    obs, info = env.reset(seed=seed, options=options)
    rewards, sizes = [], [obs.shape[0]]
    while True:
        obs, r, term, trunc, info = env.step(policy(obs) if policy else None)
        rewards.append(r)
        sizes.append(obs.shape[0])
        assert not trunc.any()
        if term.all():
            break
        assert not term.any()
    return rewards, sizes, env.days()


def recency_policy(env):
    def act(obs):
        a = np.zeros((obs.shape[0], 2), dtype=np.int64)
        a[:, 1] = env.list_price
        rec = obs[:, clvsim.OBS_NAMES.index("recency_days")]
        a[rec > 60, 0] = 1
        a[rec < 7, 1] = min(env.list_price + 1, env.n_prices - 1)
        return a
    return act


def test_determinism_and_replications():
    a = clvsim.Env(SCN, SMALL)
    b = clvsim.Env(SCN, SMALL)
    ra, sa, da = episode(a, recency_policy(a), seed=7)
    rb, sb, db = episode(b, recency_policy(b), seed=7)
    assert sa == sb
    assert all(np.array_equal(x, y) for x, y in zip(ra, rb))
    assert np.array_equal(da, db)
    rc, _, dc = episode(b, recency_policy(b), seed=7, options={"replication": 1})
    assert not np.array_equal(da, dc)
    # reset() without a seed: the next replication of the current seed
    b.reset(seed=7)
    obs1, _ = b.reset()
    assert b.replication == 1
    obs2, _ = a.reset(seed=7, options={"replication": 1})
    assert np.array_equal(obs1, obs2)


def test_growing_population_and_rewards():
    env = clvsim.Env(SCN, SMALL)
    rewards, sizes, days = episode(env, recency_policy(env), seed=3)
    assert sizes[0] == env.existing and sizes == sorted(sizes) and sizes[-1] > sizes[0]
    assert sizes[-1] <= env.capacity
    assert len(rewards) == env.epochs
    assert [len(r) for r in rewards] == sizes[:-1]
    # rewards: every customer's margin; the days also hold the new customers' first purchases
    first = days[:, clvsim.DAY_NAMES.index("first_purchases")].sum()
    assert first == sizes[-1] - sizes[0]
    total = sum(r.sum() for r in rewards)
    assert np.isfinite(total) and total != 0


def test_env_equals_clv_evaluate():
    """An episode stepped from Python on evaluation world r equals clv_evaluate's run of the same
    Python policy there (clv_sim_run inside the C library), to the last bit."""
    scn = clvsim.load_scenario(SCN, {"run.scale": 0.05, "evaluation.replications": 2})
    env = clvsim.Env(scn)
    pol = recency_policy(env)
    ev = clvsim.evaluate(scn, ["none", ("recency", pol)])
    seed = scn.info()["seed"]
    nm = clvsim.METRIC_NAMES.index("net_margin")
    for r in range(2):
        _, _, days = episode(env, pol, seed=seed, options={"replication": 2000000 + r})
        col = days[:, clvsim.DAY_NAMES.index("net_margin")]
        s = 0.0
        for v in col:
            s += v
        assert s == ev.totals[1, r, nm]
        _, _, days0 = episode(env, None, seed=seed, options={"replication": 2000000 + r})
        s0 = 0.0
        for v in days0[:, clvsim.DAY_NAMES.index("net_margin")]:
            s0 += v
        assert s0 == ev.totals[0, r, nm]


def test_python_none_equals_builtin_none():
    env = clvsim.Env(SCN, SMALL)
    ev = clvsim.evaluate(SCN, ["none", ("py-none", lambda o: np.tile([0, env.list_price], (len(o), 1))),
                               "blanket-1", ("py-blanket-1", lambda o: np.tile([1, env.list_price], (len(o), 1)))],
                         {"run.scale": 0.05, "evaluation.replications": 3})
    assert np.array_equal(ev.totals[0], ev.totals[1])
    assert np.array_equal(ev.totals[2], ev.totals[3])
    assert not np.array_equal(ev.totals[0], ev.totals[2])
    d = ev.paired(3, 0)
    x = ev.totals[3, :, 0] - ev.totals[0, :, 0]
    assert d["n"] == 3 and d["mean"] == pytest.approx(x.mean(), rel=1e-12)
    assert d["lo"] < d["mean"] < d["hi"]
    assert ev.paired(1, 0) == {"mean": 0.0, "sd": 0.0, "lo": 0.0, "hi": 0.0, "n": 3}


@pytest.mark.skipif(not os.access(CLVSIM_BIN, os.X_OK), reason="build/clvsim not built")
def test_days_equal_clvsim_simulate():
    """The no-campaign episode's days, printed as clvsim simulate prints days.csv, equal its file."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([CLVSIM_BIN, "simulate", SCN, "--policy", "none", "--scale", "0.05", "-q", "-o", tmp],
                       check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(tmp, "days.csv")) as f:
            lines = f.read().splitlines()
    env = clvsim.Env(SCN, SMALL)
    _, _, days = episode(env, None)  # seed None: the scenario's seed, replication 0, as simulate
    fmts = ["%.0f", "%.0f", "%.4f", "%.4f", "%.4f", "%.4f", "%.0f", "%.0f", "%.0f", "%.0f", "%.0f"] + ["%.0f"] * 5
    assert len(lines) == 1 + days.shape[0]
    for line, row in zip(lines[1:], days):
        mine = ",".join(f % v for f, v in zip(fmts, row[1:]))
        assert line.split(",", 1)[1] == mine.replace("-0.0000", "0.0000") or line.split(",", 1)[1] == mine


def test_spaces():
    env = clvsim.Env(SCN, SMALL)
    obs, info = env.reset(seed=1)
    assert env.observation_space.shape == (env.existing, len(clvsim.OBS_NAMES)) == obs.shape
    assert env.obs_names == clvsim.OBS_NAMES and len(clvsim.OBS_NAMES) == 18
    assert obs.dtype == np.float64
    assert env.observation_space.contains(obs)
    assert env.action_space.shape == (env.existing, 2)
    assert np.array_equal(env.action_space.nvec[0], [env.n_coupons + 1, env.n_prices])
    a = env.action_space.sample()
    assert env.action_space.contains(a)
    assert env.action_space_for(5).shape == (5, 2)
    assert env.num_envs == env.existing
    # ground truth only in info
    assert set(info) >= {"segment", "alive"} and info["segment"].shape == (env.existing,)
    assert info["alive"].dtype == bool and set(np.unique(info["segment"])) <= {0, 1, 2, 3}
    assert "alive" not in env.obs_names and "segment" not in env.obs_names
    obs2, r, term, trunc, info2 = env.step(a)
    assert r.shape == (env.existing,) and term.shape == trunc.shape == (obs2.shape[0],)
    sent = info2["sent"]
    assert np.all((sent == 0) | (sent == a[:, 0]))
    # the coupons sent appear in the observation
    assert np.array_equal(obs2[:env.existing, clvsim.OBS_NAMES.index("coupons")], (sent > 0).astype(float))


def test_errors_name_file_line_key():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bad.cfg")
        with open(path, "w") as f:
            f.write('@include "%s"\n\ncalendar = {\n  horizon_days = -5;\n};\n' % os.path.join(ROOT, SCN))
        with pytest.raises(clvsim.Error) as e:
            clvsim.Env(path)
    # libconfig refuses absolute @include paths; either way the error names the file and line
    assert e.value.file.endswith("bad.cfg") and e.value.line > 0
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bad.cfg")
        with open(SCN) as f:
            text = f.read()
        lines = text.splitlines()
        k = next(i for i, l in enumerate(lines) if "horizon_days" in l)
        lines[k] = "  horizon_days = -5;"
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        with pytest.raises(clvsim.Error) as e:
            clvsim.Env(path)
    assert e.value.file == path and e.value.line == k + 1 and e.value.field == "calendar.horizon_days"
    assert str(e.value).startswith(f"{path}:{k + 1}: calendar.horizon_days: ")
    with pytest.raises(clvsim.Error) as e:
        clvsim.Env(SCN, {"calendar.no_such_key": 3})
    assert "calendar.no_such_key" in str(e.value)
    with pytest.raises(clvsim.Error):
        clvsim.Env("no/such/file.cfg")
    env = clvsim.Env(SCN, SMALL)
    with pytest.raises(RuntimeError):
        env.step(None)
    env.reset(seed=1)
    n = env.num_envs
    with pytest.raises(ValueError):
        env.step(np.zeros((n + 1, 2), dtype=int))
    with pytest.raises(ValueError):
        env.step(np.full((n, 2), 200, dtype=int))
    with pytest.raises(TypeError):
        env.step(np.zeros((n, 2)))
    with pytest.raises(clvsim.Error):
        clvsim.evaluate(SCN, ["no-such-policy"], SMALL)

    class Boom(Exception):
        pass

    def bad(obs):
        raise Boom("from the policy")
    with pytest.raises(Boom):
        clvsim.evaluate(SCN, ["none", ("bad", bad)], {"run.scale": 0.05, "evaluation.replications": 2})


def test_keyboard_interrupt_in_long_call(interrupted_within):
    interrupted_within("clvsim.evaluate('scenarios/holiday.cfg', ['random', 'blanket-1'], "
                       "{'run.scale': 1, 'evaluation.replications': 500})", 1.0)


def test_bandit_example_beats_random():
    """python/examples/bandit.py exits 0 only when its learner's paired interval against the built-in
    random policy lies above 0."""
    p = subprocess.run([sys.executable, "python/examples/bandit.py", SCN, "0.2"], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "bandit - random: +" in p.stdout


def test_copy_false_views_equal_fresh_arrays():
    a = clvsim.Env(SCN, SMALL)
    b = clvsim.Env(SCN, SMALL, copy=False)
    pa, pb = recency_policy(a), recency_policy(b)
    oa, ia = a.reset(seed=5)
    ob, ib = b.reset(seed=5)
    assert np.array_equal(oa, ob) and np.array_equal(ia["segment"], ib["segment"])
    kept = oa
    while True:
        oa, ra, ta, _, ia = a.step(pa(oa))
        ob, rb, tb, _, ib = b.step(pb(ob))
        assert np.array_equal(oa, ob) and np.array_equal(ra, rb) and np.array_equal(ia["sent"], ib["sent"])
        assert np.array_equal(ia["alive"], ib["alive"]) and np.array_equal(ta, tb)
        if ta.all():
            break
    assert not np.shares_memory(kept, oa)  # copy=True: fresh arrays
    o1 = b.reset(seed=5)[0]
    o2 = b.step(None)[0]
    assert np.shares_memory(o1, o2)  # copy=False: views of one buffer


@pytest.mark.skipif(not os.access(CLVSIM_BIN, os.X_OK), reason="build/clvsim not built")
@pytest.mark.parametrize("policy", ["random", "rfm"])
def test_simulate_equals_clvsim_simulate(policy):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([CLVSIM_BIN, "simulate", SCN, "--policy", policy, "--scale", "0.05", "-q", "-o", tmp],
                       check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(tmp, "days.csv")) as f:
            lines = f.read().splitlines()
    d = clvsim.simulate(SCN, policy, SMALL)
    cols = lines[0].split(",")[1:]
    assert len(lines) == 1 + len(d["day"])
    fmt = {"revenue": "%.4f", "cost_of_goods": "%.4f", "coupon_cost": "%.4f", "net_margin": "%.4f"}
    for k, line in enumerate(lines[1:]):
        mine = ",".join(fmt.get(c, "%.0f") % d[c.replace("-", "_")][k] for c in cols)
        assert line.split(",", 1)[1] == mine
    assert sum(d["coupons_sent"]) > 0


def test_evaluate_threads_do_not_change_results():
    env = clvsim.Env(SCN, SMALL)
    pols = ["none", "random", ("recency", recency_policy(env)), "rfm"]
    ov = {"run.scale": 0.05, "evaluation.replications": 4}
    one = clvsim.evaluate(SCN, pols, ov, threads=1)
    two = clvsim.evaluate(SCN, pols, ov, threads=2)
    assert np.array_equal(one.totals, two.totals)
