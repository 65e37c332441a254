#!/usr/bin/env python3
"""numpy_reference.py N DAYS - a straightforward vectorised numpy simulation of
the BG/NBD process without interventions, stepped day by day: each day every
alive customer makes Poisson(lambda) purchases and survives each of them with
probability 1 - p.  Prints "customer_days_per_second X" for make bench, which
runs it beside clvsim's event-driven environment on the same process."""
import sys
import time

import numpy as np


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 365
    rng = np.random.default_rng(20261123)
    # the BG/NBD fitted to CDNOW (Fader, Hardie and Lee 2005), rates per day
    r, alpha, a, b = 0.243, 4.414 * 7, 0.793, 2.426
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    alive = np.ones(n, dtype=bool)
    count = np.zeros(n, dtype=np.int64)
    start = time.perf_counter()
    for _ in range(days):
        k = rng.poisson(lam) * alive
        count += k
        alive &= rng.random(n) < (1 - p) ** k
    elapsed = time.perf_counter() - start
    print("customer_days_per_second %.6g" % (n * days / elapsed))
    print("repeat_purchases_per_customer %.6g" % (count.mean()))


if __name__ == "__main__":
    main()
