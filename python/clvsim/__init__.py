"""clvsim from Python: the environment, Gymnasium-style, and policy evaluation.

Build in place with ``make python`` and put ``python/`` on the path
(``PYTHONPATH=python``), or ``pip install --no-build-isolation ./python``
after ``make``.  Needs numpy (Debian's python3-numpy).

``Env(scenario, overrides=None)`` is vectorised over the scenario's
customers: one row per customer of observations, actions and rewards.
``evaluate(scenario, policies)`` runs Python callables beside clvsim's
built-in policies on the evaluation worlds with common random numbers and
returns paired intervals (clv_evaluate).

``fit(log, calibration_end, ...)`` fits BG/NBD, Pareto/NBD and Gamma-Gamma to a
transaction log (clv_fit_study_run): parameters, standard errors, log-likelihoods.
``validate(scenario)``, ``train_ltv(scenario, save=PATH)`` and
``predict_ltv(model, log, cutoff)`` are ``clvsim validate``, ``train-ltv`` and
``predict-ltv``: the same numbers as their CSVs.

Errors of the C library raise ``clvsim.Error`` (a ValueError) whose text is
``FILE:LINE: key: message`` and whose attributes ``file``, ``line``,
``field``, ``msg``, ``code`` and ``status`` are the C error's.  Ctrl-C in a
long call (a reset's burn-in, an evaluation) raises KeyboardInterrupt.
"""

import numpy as np

from . import _clvsim
from ._clvsim import Error

__all__ = ["Env", "Error", "fit", "predict_ltv", "train_ltv", "validate", "simulate", "study", "Study", "Box", "MultiDiscrete", "evaluate", "Evaluation", "load_scenario", "OBS_NAMES",
           "DAY_NAMES", "METRIC_NAMES", "SEGMENTS", "STAGES"]
__version__ = _clvsim.VERSION

#: the columns of an observation row (clv_sim_obs, clvsim/sim.h)
OBS_NAMES = _clvsim.OBS_NAMES
#: the columns of a day row (clv_sim_day: day number, totals, customers by stage)
DAY_NAMES = _clvsim.DAY_NAMES
#: the metrics of an evaluation (clv_metric's CSV names)
METRIC_NAMES = _clvsim.metric_names()
#: info["segment"] codes (clv_segment)
SEGMENTS = ("persuadable", "sure-thing", "lost-cause", "sleeping-dog")
#: the "stage" column's codes (clv_stage)
STAGES = ("new", "active", "loyal", "at-risk", "churned")


def _overrides(overrides):
    if overrides is None:
        return ()
    items = overrides.items() if isinstance(overrides, dict) else overrides
    out = []
    for k, v in items:
        if isinstance(v, bool):
            v = "true" if v else "false"
        out.append((str(k), str(v)))
    return tuple(out)


def load_scenario(scenario, overrides=None):
    """The scenario file at path `scenario` with `overrides` (a dict or (key, value) pairs: the
    values in libconfig syntax, as ``clvsim --set key=value``), as a _clvsim.Scenario."""
    if isinstance(scenario, _clvsim.Scenario):
        if overrides:
            raise ValueError("overrides: give the scenario as a path to apply them")
        return scenario
    return _clvsim.Scenario(str(scenario), _overrides(overrides))


try:  # gymnasium's spaces when it is installed, else equivalent plain descriptors
    import gymnasium.spaces as _gspaces
except ImportError:  # pragma: no cover - depends on the machine
    _gspaces = None


class Box:
    """A box of float64 values (gymnasium.spaces.Box's attributes: shape, dtype, low, high)."""

    def __init__(self, low, high, shape, dtype=np.float64):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.low = np.broadcast_to(np.asarray(low, dtype=self.dtype), self.shape).copy()
        self.high = np.broadcast_to(np.asarray(high, dtype=self.dtype), self.shape).copy()

    def contains(self, x):
        x = np.asarray(x)
        return x.shape == self.shape and bool(np.all(x >= self.low) and np.all(x <= self.high))

    def __repr__(self):
        return f"Box(shape={self.shape}, dtype={self.dtype})"


class MultiDiscrete:
    """Integer vectors with x[..., j] in [0, nvec[..., j]) (gymnasium.spaces.MultiDiscrete's attributes)."""

    def __init__(self, nvec, dtype=np.int64, seed=None):
        self.nvec = np.asarray(nvec, dtype=np.int64)
        self.shape = self.nvec.shape
        self.dtype = np.dtype(dtype)
        self.n = self.nvec
        self.low = np.zeros(self.shape, dtype=self.dtype)
        self.high = (self.nvec - 1).astype(self.dtype)
        self._rng = np.random.default_rng(seed)

    def seed(self, seed=None):
        self._rng = np.random.default_rng(seed)

    def sample(self):
        return (self._rng.random(self.shape) * self.nvec).astype(self.dtype)

    def contains(self, x):
        x = np.asarray(x)
        return x.shape == self.shape and bool(np.all(x >= 0) and np.all(x < self.nvec))

    def __repr__(self):
        return f"MultiDiscrete(shape={self.shape})"


def _box(low, high, shape):
    if _gspaces is not None:
        return _gspaces.Box(low=np.broadcast_to(low, shape), high=np.broadcast_to(high, shape), shape=shape,
                            dtype=np.float64)
    return Box(low, high, shape)


def _multidiscrete(nvec):
    if _gspaces is not None:
        return _gspaces.MultiDiscrete(nvec)
    return MultiDiscrete(nvec)


def _obs_bounds():
    inf = np.inf
    low = {"coupon_age_days": -1.0}
    high = {"stage": len(STAGES) - 1, "holds_coupon": 1}
    lo = np.array([low.get(n, 0.0) for n in OBS_NAMES])
    hi = np.array([high.get(n, inf) for n in OBS_NAMES], dtype=np.float64)
    lo[OBS_NAMES.index("today")] = -inf
    return lo, hi


class Env:
    """The environment of a scenario, vectorised over its customers (a Gymnasium-style vector env).

    ``reset(seed=None, options=None) -> (obs, info)`` and
    ``step(actions) -> (obs, reward, terminated, truncated, info)``, one row per customer:

    - obs: float64 (n, len(OBS_NAMES)), the columns of ``Env.obs_names`` (clv_sim_obs: what a
      policy may see at the end of the day before the next epoch);
    - actions: integers (n, 2), column 0 the coupon level (0: none; k: the scenario's k-th
      coupon) and column 1 the price level (an index into the scenario's prices;
      ``env.list_price`` is list price); None: no campaign for anyone;
    - reward: float64 (n,), each customer's net margin of the epoch (clv_sim_step's margin:
      charged revenue - cost of goods - coupon costs);
    - terminated: bool (n,), all True after the last epoch of the horizon (the calendar day is
      part of the observation, so the horizon ends the problem), else all False;
      truncated: bool (n,), always False;
    - info: ``segment`` (int32 (n,), clv_segment codes, ``clvsim.SEGMENTS``) and ``alive``
      (bool (n,)), the latent ground truth, never in obs; ``sent`` (uint8 (n,), after a step:
      the coupon level actually sent, 0 where the budget refused one); ``epoch``, ``today``,
      ``customers``.

    The population grows: customers acquired during an epoch get rows from the next
    observation on (their first purchase's margin is in the day totals, ``env.days()``, not
    in a reward).  So n = ``env.num_envs`` is the number of customers at the current
    observation, at most ``env.capacity``; step() takes actions for exactly those n rows and
    returns rewards for them and the next observation with n' >= n rows.  The spaces
    describe the customers at the reset (``observation_space`` for (existing, 18),
    ``action_space`` MultiDiscrete((existing, 2))); ``env.action_space_for(n)`` gives one
    for any n.

    Arrays: with copy=True (the default) every call returns fresh numpy arrays, filled by
    the C layer directly from the state (no further copy).  With copy=False obs, reward,
    info["sent"], info["segment"] and info["alive"] are views of buffers the environment
    keeps (capacity rows each), overwritten by the next reset() or step(): the fastest
    loop (make bench's "python" section), for a caller that copies what it keeps.

    Seeds: ``reset(seed=s)`` draws replication 0 of seed s (options={"replication": r}
    another); ``reset()`` without a seed draws the scenario's seed at first and then the
    next replication of the current seed.  The same seed and replication give
    bit-identical episodes, equal to the C library's clv_sim_reset(s, seed, replication).
    """

    metadata = {"render_modes": []}

    def __init__(self, scenario, overrides=None, threads=1, copy=True):
        self.scenario = load_scenario(scenario, overrides)
        self._info = self.scenario.info()
        self._sim = _clvsim.Sim(self.scenario, threads)
        st = self._sim.state()
        self.capacity = st["capacity"]
        self.existing = st["existing"]
        self.epochs = st["epochs"]
        self.list_price = st["list_price"]
        self.n_coupons = st["n_coupons"]
        self.n_prices = st["n_prices"]
        self.prices = np.array(self._info["prices"])
        self.coupon_names = self._info["coupons"]
        self.obs_names = OBS_NAMES
        self.copy = bool(copy)
        if not self.copy:
            cap = max(self.capacity, 1)
            self._buf_obs = [np.empty((cap, len(OBS_NAMES))), np.empty(cap), np.empty(cap, dtype=np.uint8),
                             np.empty(cap, dtype=np.int32), np.empty(cap, dtype=np.int8)]
        lo, hi = _obs_bounds()
        hi[OBS_NAMES.index("price_level")] = self.n_prices - 1
        hi[OBS_NAMES.index("price")] = float(self.prices.max())
        lo[OBS_NAMES.index("price")] = float(self.prices.min())
        self._lo, self._hi = lo, hi
        self.single_observation_space = _box(lo, hi, (len(OBS_NAMES),))
        self.single_action_space = _multidiscrete([self.n_coupons + 1, self.n_prices])
        self.observation_space = _box(lo, hi, (self.existing, len(OBS_NAMES)))
        self.action_space = self.action_space_for(self.existing)
        self.seed = None
        self.replication = -1
        self._ready = False

    def action_space_for(self, n):
        """A MultiDiscrete space of actions for n customers: (n, 2) of [coupons + 1, prices]."""
        return _multidiscrete(np.tile([self.n_coupons + 1, self.n_prices], (n, 1)))

    def observation_space_for(self, n):
        return _box(self._lo, self._hi, (n, len(OBS_NAMES)))

    @property
    def num_envs(self):
        """The customers of the current observation (rows of obs)."""
        return self._sim.customers()

    def _array(self, k, n, dtype):
        """Buffer k (0 obs, 1 reward, 2 sent, 3 segment, 4 alive) for n customers."""
        if self.copy:
            return np.empty((n, len(OBS_NAMES)) if k == 0 else n, dtype=dtype)
        return self._buf_obs[k][:n]

    def _observe(self):
        obs = self._array(0, self._sim.customers(), np.float64)
        self._sim.observe(obs)
        return obs

    def _truth(self, n):
        seg = self._array(3, n, np.int32)
        alive = self._array(4, n, np.int8)
        self._sim.truth(seg, alive)
        return seg, alive.view(bool)

    def _info_now(self):
        st = self._sim.state()
        seg, alive = self._truth(st["customers"])
        return {"segment": seg, "alive": alive, "epoch": st["epoch"], "today": st["today"],
                "customers": st["customers"], "done": bool(st["done"])}

    def reset(self, seed=None, options=None):
        options = options or {}
        if seed is not None:
            self.seed, self.replication = int(seed), 0
        elif self.seed is None:
            self.seed, self.replication = int(self._info["seed"]), 0
        else:
            self.replication += 1
        if "replication" in options:
            self.replication = int(options["replication"])
        self._sim.reset(self.seed, self.replication)
        self._ready = True
        return self._observe(), self._info_now()

    def step(self, actions):
        if not self._ready:
            raise RuntimeError("step: call reset() first")
        n = self.num_envs
        if actions is not None:
            a = np.asarray(actions)
            if a.shape != (n, 2):
                raise ValueError(f"step: actions of shape {a.shape}; ({n}, 2) expected (coupon level, price level)")
            if a.dtype.kind not in "iu":
                raise TypeError(f"step: integer actions expected, not {a.dtype}")
            if n and (a.min() < 0 or a[:, 0].max() > self.n_coupons or a[:, 1].max() >= self.n_prices):
                raise ValueError(f"step: coupon levels 0..{self.n_coupons} and price levels 0..{self.n_prices - 1}")
            a = np.ascontiguousarray(a, dtype=np.uint8)
        else:
            a = None
        reward = self._array(1, n, np.float64)
        self._sim.step(a, reward)
        sent = self._array(2, self.num_envs, np.uint8)
        self._sim.sent(sent)
        sent = sent[:n]
        obs = self._observe()
        info = self._info_now()
        info["sent"] = sent
        m = obs.shape[0]
        return obs, reward, np.full(m, info["done"]), np.zeros(m, dtype=bool), info

    def days(self):
        """The days simulated since the reset: float64 (days, len(DAY_NAMES)), columns DAY_NAMES."""
        nd = self._sim.days()
        out = np.empty((nd, len(DAY_NAMES)))
        self._sim.days(out)
        return out

    def run(self, policy="none"):
        """Run the remaining epochs under a built-in policy (its name, clvsim/policy.h; the
        scenario's seed keys the random policy's draws, as clvsim simulate does); returns the
        epochs stepped."""
        if not self._ready:
            raise RuntimeError("run: call reset() first")
        return self._sim.run(str(policy), self.scenario)

    def close(self):
        pass


class Evaluation:
    """The result of evaluate(): totals[policy, replication, metric] and intervals."""

    def __init__(self, ev, names, confidence):
        self._ev = ev
        self.names = tuple(names)
        self.confidence = confidence
        p, r, m = ev.totals(None)
        self.replications = r
        self.totals = np.empty((p, r, m))
        ev.totals(self.totals)

    def _metric(self, metric):
        return METRIC_NAMES.index(metric) if isinstance(metric, str) else int(metric)

    def _policy(self, p):
        return self.names.index(p) if isinstance(p, str) else int(p)

    def interval(self, policy, metric="net_margin", confidence=None):
        """The metric's mean over replications with its Student-t interval: dict mean, sd, lo, hi, n."""
        return self._ev.interval(self._policy(policy), self._metric(metric), confidence or self.confidence)

    def paired(self, policy, against=0, metric="net_margin", confidence=None):
        """metric(policy) - metric(against), paired by replication (common random numbers)."""
        return self._ev.paired(self._policy(policy), self._policy(against), self._metric(metric),
                               confidence or self.confidence)

    def table(self, against=0, metric="net_margin", confidence=None):
        """Per policy: name, the metric's interval and its paired difference against `against`."""
        return [{"policy": n, **{k: v for k, v in self.interval(i, metric, confidence).items()},
                 "diff": self.paired(i, against, metric, confidence)} for i, n in enumerate(self.names)]


def _wrap_policy(fn, n_cols):
    def act(buf, n):
        obs = np.frombuffer(buf, dtype=np.float64).reshape(n, n_cols)
        a = np.asarray(fn(obs))
        if a.shape != (n, 2) or a.dtype.kind not in "iu":
            raise ValueError(f"policy: integer actions of shape ({n}, 2) expected, not {a.dtype} {a.shape}")
        if n and (a.min() < 0 or a.max() > 255):
            raise ValueError("policy: action levels out of range")
        return np.ascontiguousarray(a, dtype=np.uint8)
    return act


def evaluate(scenario, policies, overrides=None, threads=1, confidence=None):
    """Evaluate policies on the scenario's evaluation worlds with common random numbers (clv_evaluate).

    policies: a sequence whose entries are a built-in policy's name ("none", "random",
    "blanket-1", "rfm", ...: clvsim/policy.h) or a (name, fn) pair, fn(obs) -> actions with obs
    the float64 (n, len(OBS_NAMES)) observations of the epoch's customers and actions integers
    (n, 2) as Env.step takes them.  Python callables run with the GIL, one call at a time;
    threads > 1 runs built-in policies' replications in parallel (results do not depend on
    it).  Returns an Evaluation."""
    scn = load_scenario(scenario, overrides)
    entries, names = [], []
    for p in policies:
        if isinstance(p, str):
            entries.append(p)
            names.append(p)
        else:
            name, fn = p
            entries.append((str(name), _wrap_policy(fn, len(OBS_NAMES))))
            names.append(str(name))
    ev = _clvsim.evaluate(scn, entries, threads)
    return Evaluation(ev, names, confidence or scn.info()["confidence"])


_DELIMITERS = ("auto", "whitespace", "comma")
_HEADERS = ("auto", "yes", "no")
_DATE_FORMATS = ("auto", "YYYYMMDD", "YYYY-MM-DD", "datetime")
_AMOUNT_KINDS = ("total", "unit-price")


def _choice(name, value, names):
    if value not in names:
        raise ValueError("%s: one of %s, not %r" % (name, ", ".join(names), value))
    return names.index(value)


def _reader(delimiter=None, header=None, customer_column=None, date_column=None, amount_column=None,
            quantity_column=None, amount_kind=None, date_format=None, skip_malformed=None,
            skip_missing_customer=None):
    """The reader's options given (not None) as the dict _clvsim takes, names as the command's
    options: delimiter "auto" | "whitespace" | "comma", header "auto" | "yes" | "no", a column a
    1-based number or a header name (quantity_column 0: none), amount_kind "total" |
    "unit-price", date_format "auto" | "YYYYMMDD" | "YYYY-MM-DD" | "datetime" or a strftime-style
    pattern such as "%m/%d/%Y %H:%M", skip_malformed and skip_missing_customer booleans."""
    r = {}
    if delimiter is not None:
        r["delimiter"] = _choice("delimiter", delimiter, _DELIMITERS)
    if header is not None:
        r["header"] = _choice("header", header, _HEADERS)
    if amount_kind is not None:
        r["amount_kind"] = _choice("amount_kind", amount_kind, _AMOUNT_KINDS)
    if date_format is not None:
        if "%" in date_format:
            r["date_pattern"] = str(date_format)
        else:
            r["date_format"] = _choice("date_format", date_format, _DATE_FORMATS)
            r["date_pattern"] = None
    for k, v in (("customer_column", customer_column), ("date_column", date_column),
                 ("amount_column", amount_column), ("quantity_column", quantity_column)):
        if v is not None:
            if not isinstance(v, (int, str)) or isinstance(v, bool):
                raise TypeError("%s: a column number or a header name" % k)
            r[k] = v
    for k, v in (("skip_malformed", skip_malformed), ("skip_missing_customer", skip_missing_customer)):
        if v is not None:
            r[k] = bool(v)
    return r


def fit(log, calibration_end, holdout_end=None, unit="week", models=None, customer_column=1, date_column=2,
        amount_column=3, quantity_column=0, starts=4, seed=1, threads=1, delimiter="auto", header="auto",
        amount_kind="total", date_format="auto", skip_malformed=False, skip_missing_customer=False):
    """Fit the BTYD purchase models and Gamma-Gamma to a transaction log, as ``clvsim fit`` does
    (clv_fit_study_run): log a path (plain or gzip-compressed), the reader's options as the
    command's (_reader: a column by 1-based number or by header name, date_format a name or a
    strftime-style pattern such as "%m/%d/%Y %H:%M", skip_missing_customer for rows without a
    customer id), dates as "YYYY-MM-DD", unit "week" or "day", models a subset of ("bgnbd",
    "pareto", "ggamma") (None: all).  Returns a dict: per model fitted {"params": {name:
    estimate}, "se": {name: standard error}, "loglik", "n", "n_excluded", "iterations",
    "starts_converged", "flags", "warning"}, and "customers" (of the calibration summary) and
    "spend_note" (why Gamma-Gamma was not fitted, "" when it was)."""
    reader = _reader(delimiter, header, customer_column, date_column, amount_column, quantity_column, amount_kind,
                     date_format, skip_malformed, skip_missing_customer)
    return _clvsim.fit(str(log), calibration_end, holdout_end, unit, None if models is None else list(models),
                       reader, starts, seed, threads)


def _floats(b):
    return np.frombuffer(b, dtype=np.float64).copy()


def predict_ltv(model, log, cutoff, unit=None, threads=1, **reader):
    """Predict each customer's value with a network of ``clvsim train-ltv`` (its ltv.mlp, or one
    saved by train_ltv(save=...)), as ``clvsim predict-ltv`` does (clv_ltv_predict_log): the log
    read up to `cutoff` ("YYYY-MM-DD") as the network's training read its own (the reader it
    records), with the reader options given here (as fit()'s: delimiter, header,
    customer_column, ..., skip_missing_customer) over it, and `unit` ("week" or "day"; None: the
    recorded one, else "week").  Returns a dict: "id" (list of str), "value", "p_buy", "btyd"
    (float64 arrays, predictions.csv's predicted_value, p_buy and btyd_value), "customers",
    "recorded" (whether the network recorded a reader) and "unit" (the one used)."""
    r = _clvsim.predict_ltv(str(model), str(log), cutoff, unit, threads, _reader(**reader))
    for k in ("value", "p_buy", "btyd"):
        r[k] = _floats(r[k])
    return r


def train_ltv(scenario, overrides=None, save=None):
    """Train the neural LTV predictor of the scenario's ltv section and measure it against BTYD
    on held-out customers, as ``clvsim train-ltv`` does (clv_ltv_study_run; no files but the
    network at `save` when given, which predict_ltv and ``clvsim predict-ltv`` read).  Returns a
    dict: "metrics" (the rows of ltv_metrics.csv: model "mlp" or "btyd", holdout "real" or
    "synthetic", customers, rmse, mae, normalised_gini, top_decile_lift, spearman, auc_buy; NaN
    where the CSV leaves a value empty), "train_loss" and "validation_loss" (float64 arrays per
    epoch, ltv_history.csv; validation None without validation rows), "best_epoch", "rows" (all,
    real, synthetic, validation, train) and "label_max"."""
    scn = load_scenario(scenario, overrides)
    r = _clvsim.train_ltv(scn) if save is None else _clvsim.train_ltv(scn, save=str(save))
    r["train_loss"] = _floats(r["train_loss"])
    if r["validation_loss"] is not None:
        r["validation_loss"] = _floats(r["validation_loss"])
    return r


def validate(scenario, overrides=None, output=None):
    """The certificate of ``clvsim validate`` (clv_validate_run): that the simulated world is the
    fitted one (counts against the model, a refit of the simulated log, the real log, the
    treatment effects).  Its files (report.txt, counts.csv, refit.csv, ...) are written to
    `output` (a directory clvsim may own: made, or replaced when clvsim made it), else to a
    temporary directory removed on return.  Returns a dict: "pass", "counts" ({"observed",
    "expected": float64 arrays by count bin, "chi2", "df", "pvalue"}), "refit" (refit.csv's rows:
    model, parameter, true, estimate, std_error, z, estimate_from_day_log,
    std_error_from_day_log), "worst_z", "real" (whether the real-data check ran), "effects" (per
    contact effect: control_n, control_buyers, treated_n, treated_buyers, ratio, lo, hi, checked,
    pass), "effects_pass" and "customers"."""
    scn = load_scenario(scenario, overrides)
    if output is None:
        import tempfile
        with tempfile.TemporaryDirectory(prefix="clvsim-validate-") as d:
            r = _clvsim.validate(scn, d + "/validation")
    else:
        r = _clvsim.validate(scn, str(output))
    for k in ("observed", "expected"):
        r["counts"][k] = _floats(r["counts"][k])
    return r


def simulate(scenario, policy="none", overrides=None, seed=None, replication=0, threads=1):
    """One replication of the scenario's world under a built-in policy, as ``clvsim simulate``
    (seed None: the scenario's seed): a dict of float64 arrays, one per DAY_NAMES column
    ("day" the day number), one entry per day of the horizon, the same numbers as its
    days.csv."""
    env = Env(scenario, overrides, threads=threads)
    env.reset(seed=seed, options={"replication": replication})
    env.run(policy)
    d = env.days()
    return {n: d[:, k].copy() for k, n in enumerate(DAY_NAMES)}


class Study(Evaluation):
    """The result of study(): the comparison of clvsim run (an Evaluation) with its policies,
    verdict and summary table."""

    def __init__(self, ev, confidence):
        self.policies = ev.policies()
        super().__init__(ev, [p["name"] for p in self.policies], confidence)
        self.verdict = ev.verdict()
        self.labels = tuple(p["label"] for p in self.policies)

    def summary(self):
        """The rows of clvsim run's summary.csv: per policy name, label, fixed, replications, each
        metric's mean with _lo and _hi, roi_vs_none and net_margin_vs_best_fixed (NaN where the
        CSV leaves them empty)."""
        nan = {"mean": float("nan"), "lo": float("nan"), "hi": float("nan")}
        rows = []
        none, best = self.verdict["none"], self.verdict["best_fixed"]
        for p, pol in enumerate(self.policies):
            row = {"policy": pol["name"], "label": pol["label"], "fixed": pol["fixed"],
                   "replications": self.replications}
            for m, name in enumerate(METRIC_NAMES):
                iv = self.interval(p, m)
                row[name], row[name + "_lo"], row[name + "_hi"] = iv["mean"], iv["lo"], iv["hi"]
            roi = self._ev.roi(p, none, self.confidence) if none >= 0 and p != none else nan
            d = self.paired(p, best) if best >= 0 else nan
            for key, iv in (("roi_vs_none", roi), ("net_margin_vs_best_fixed", d)):
                row[key], row[key + "_lo"], row[key + "_hi"] = iv["mean"], iv["lo"], iv["hi"]
            rows.append(row)
        return rows


def study(scenario, overrides=None, own=()):
    """clvsim run's main job (clv_study_run): train, plan and verify the scenario's listed
    policies and compare them, with your own Python policies ((name, fn) pairs as evaluate()
    takes, at most 8) compared after them.  Writes no files.  Returns a Study (totals,
    interval, paired, summary(), verdict, policies)."""
    scn = load_scenario(scenario, overrides)
    entries = [(str(name), _wrap_policy(fn, len(OBS_NAMES))) for name, fn in own]
    st = _clvsim.study(scn, entries)
    return Study(st, scn.info()["confidence"])
