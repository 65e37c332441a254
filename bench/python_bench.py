"""python_bench.py - customer-epochs per second stepped from Python (clvsim.Env) for make bench's
"python" section: SCENARIO at batch CUSTOMERS (population.customers), no acquisition, the
policy "coupon level 1 where recency_days > 60, else nothing, at list price" computed in numpy
from the observation; best of REPS episodes.  Prints one line:
    rate <customer-epochs/s> cpu <user+sys s of the best episode> epochs <n> margin <%.17g total>
With a fourth argument "copy": Env(copy=True), fresh arrays every step (default here:
copy=False, the views of the environment's buffers, as the C loop reuses its own).
Exit 3 (and a line) when the extension is not built."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
try:
    import numpy as np
    import clvsim
except ImportError as e:
    print(f"skipped: {e}")
    sys.exit(3)

scenario, customers, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
copy = len(sys.argv) > 4 and sys.argv[4] == "copy"
env = clvsim.Env(scenario, {"population.customers": customers, "run.scale": 1, "acquisition.rate_per_day": 0},
                 copy=copy)
REC = clvsim.OBS_NAMES.index("recency_days")
best, best_cpu, total = 1e30, 0.0, None
for rep in range(reps):
    obs, _ = env.reset(seed=1)
    steps = 0
    t0, c0 = time.perf_counter(), time.process_time()
    while True:
        a = np.zeros((obs.shape[0], 2), dtype=np.uint8)
        a[:, 1] = env.list_price
        a[obs[:, REC] > 60, 0] = 1
        obs, r, term, _, _ = env.step(a)
        steps += len(r)
        if term[0]:
            break
    t, c = time.perf_counter() - t0, time.process_time() - c0
    if t < best:
        best, best_cpu = t, c
    m = 0.0
    for v in env.days()[:, clvsim.DAY_NAMES.index("net_margin")]:
        m += v
    total = m
print(f"rate {steps / best:.6g} cpu {best_cpu:.4f} epochs {steps} margin {total:.17g}")
