#!/usr/bin/env python3
"""Generate tests/fixtures/hyp2f1.csv: high-precision BG/NBD and Pareto/NBD
predictions for test_btyd_expected_fixtures (tests/test_btyd.c).

Reference: mpmath (Debian python3-mpmath), 25 significant digits, evaluating
the papers' formulas directly: FHL05 eq. 10 for the BG/NBD's E[Y(t) | x, t_x, T]
with its Gauss series summed term by term at 50 digits where z is not within
1e-3 of 1 (mpmath.hyp2f1 loses the boundary cases, a ~ 3.6e-5 and b ~ 4.5e3,
silently), else with mpmath.hyp2f1, or where mpmath's hyp2f1 gives up or eq. 10 has no
meaning (a = 1), the integral over the dropout probability p ~ Beta(a, b+x) by mp.quad
(with breakpoints on the scale of its mass and the power at p = 1 removed); FH05 eqs. 22, 24 and 27 for the Pareto/NBD's P(alive)
and E[Y(t) | x, t_x, T]).  Every input is written with 17 significant digits
and converted to the double the C test reads before mpmath sees it, so the
reference is the exact value at the test's arguments.

Run from the repository's root:  python3 tools/gen-hyp2f1-fixtures.py > tests/fixtures/hyp2f1.csv
"""
import mpmath as mp

mp.mp.dps = 25


def d(v):
    """the double nearest v, as the C test parses its 17-digit text, and that text"""
    f = float(v)
    return mp.mpf(f), repr(f)


def bg_expected(r, al, a, b, x, tx, T, t):
    # FHL05 eq. 10
    z = t / (al + T + t)
    c = a + b + x - 1
    g = ((al + T) / (al + T + t)) ** (r + x) * mp.hyp2f1(r + x, b + x, c, z, maxterms=20000, maxprec=1000)
    num = c / (a - 1) * (1 - g)
    den = 1
    if x > 0:
        den += a / (b + x - 1) * ((al + T) / (al + tx)) ** (r + x)
    return num / den


def gauss_sum(a, b, c, z):
    """2F1(a, b; c; z) summed term by term (the series as FHL05 write it) at the working
    precision, until the terms, falling, are below 1e-40 of the sum"""
    s, t, k = mp.mpf(1), mp.mpf(1), 0
    while True:
        ratio = (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        t *= ratio
        s += t
        k += 1
        # every factor positive from here on and the terms falling: the rest is below t ratio / (1 - ratio)
        if min(a + k, b + k, c + k) > 0 and 0 < ratio < 1 and abs(t) * ratio / (1 - ratio) < mp.mpf(10) ** -40 * abs(s):
            return s


def bg_expected_gauss(r, al, a, b, x, tx, T, t):
    # FHL05 eq. 10 with the Gauss series summed at 50 digits (for z not within 1e-3 of 1)
    with mp.workdps(50):
        z = t / (al + T + t)
        c = a + b + x - 1
        g = ((al + T) / (al + T + t)) ** (r + x) * gauss_sum(r + x, b + x, c, z)
        num = c / (a - 1) * (1 - g)
        den = 1
        if x > 0:
            den += a / (b + x - 1) * ((al + T) / (al + tx)) ** (r + x)
        return num / den


def bg_expected_quad(r, al, a, b, x, tx, T, t):
    # the same by the integral over p ~ Beta(a, b+x) (a = 1, where eq. 10 has no meaning, or where
    # mpmath's hyp2f1 gives up): [0, 1/2] with breakpoints on the scale 1/(b+x) of the mass, and
    # [1/2, 1] over v = (1-p)^(b+x), which removes the power at p = 1
    tau = t / (al + T)
    e = b + x
    g = lambda p: 1 - (1 + p * tau) ** (-(r + x))
    f1 = lambda p: p ** (a - 2) * (1 - p) ** (e - 1) * g(p)
    f2 = lambda v: (1 - v ** (1 / e)) ** (a - 2) * g(1 - v ** (1 / e)) / e
    w = 1 / (e + 1)
    pts = [mp.mpf(0)] + [w * mp.mpf(10) ** k for k in range(-6, 4) if w * mp.mpf(10) ** k < mp.mpf(1) / 2] + [mp.mpf(1) / 2]
    u = mp.quad(f1, pts) + mp.quad(f2, [0, mp.mpf(1) / 2 ** e])
    den = 1
    if x > 0:
        den += a / (b + x - 1) * ((al + T) / (al + tx)) ** (r + x)
    return u / mp.beta(a, b + x) / den


def pn_F(r, al, s, be, x, t):
    rsx = r + s + x
    if al >= be:
        return mp.hyp2f1(rsx, s + 1, rsx + 1, (al - be) / (al + t)) / (al + t) ** rsx
    return mp.hyp2f1(rsx, r + x, rsx + 1, (be - al) / (be + t)) / (be + t) ** rsx


def pn_palive(r, al, s, be, x, tx, T):
    # FH05 eq. 24
    a0 = pn_F(r, al, s, be, x, tx) - pn_F(r, al, s, be, x, T)
    return 1 / (1 + s / (r + s + x) * (al + T) ** (r + x) * (be + T) ** s * a0)


def pn_expected(r, al, s, be, x, tx, T, t):
    # FH05 eq. 27
    dec = mp.log(1 + t / (be + T)) if s == 1 else (1 - ((be + T) / (be + T + t)) ** (s - 1)) / (s - 1)
    return (r + x) * (be + T) / (al + T) * dec * pn_palive(r, al, s, be, x, tx, T)


# (label, r, alpha, a, b) of the BG/NBD, (label, r, alpha, s, beta) of the Pareto/NBD
BG = [
    ("cdnow", 0.251624, 4.78894, 0.723434, 2.16109),    # CDNOW master file, weeks (the README's fit)
    ("retail", 0.744426, 9.04805, 3.62351e-05, 4530.05),  # UCI Online Retail, weeks: a and b at the boundary
    ("a_above_1", 1.3, 2.5, 2.5, 0.8),
    ("a_near_1", 0.6, 3.0, 1.000001, 1.7),
    ("a_is_1", 0.6, 3.0, 1.0, 1.7),
    ("large_r", 180.0, 40.0, 0.9, 3.1),
    ("small_alpha", 0.25, 0.01, 0.6, 2.0),               # z near 1
    ("small_b", 0.4, 5.0, 0.7, 0.15),
    ("large_b", 0.3, 6.0, 0.2, 1.0e5),
    ("r_far_above_a_b", 200281.0, 4.7679e6, 29740.6, 16623.0),  # a fit at a boundary (tests/fixtures/bad/hangs/far_late.csv)
]
PN = [
    ("cdnow", 0.59742, 11.5857, 0.522186, 8.82778),
    ("retail", 0.744426, 9.04805, 3.66711e-05, 722932.0),  # beta at the boundary: z near 1
    ("beta_1e5", 0.9, 12.0, 0.02, 1.8e5),
    ("alpha_big", 0.5, 5.0e4, 0.8, 3.0),
]
# (x, t_x, T) and horizons t
CUST = [(0, 0, 38.857142857142854), (1, 1.7142857142857142, 38.857142857142854), (2, 30.428571428571427, 38.857142857142854),
        (7, 29.428571428571427, 32.714285714285715), (30, 20.0, 21.0), (0, 0, 0.14285714285714285),
        (3, 0.5714285714285714, 0.7142857142857143), (500, 37.0, 38.0), (2000, 51.0, 52.0)]
TS = [1.0, 21.571428571428573, 39.0, 52.0, 1000.0, 1.0e5]

print("# BTYD predictions at 25 digits by mpmath (tools/gen-hyp2f1-fixtures.py); columns: model,label,p1,p2,p3,p4,x,t_x,T,t,what,value")
print("# what: expected = E[Y(t) | x, t_x, T]; palive = P(alive | x, t_x, T) (t unused)")


def bg_row(lab, P, x, tx, T, t):
    r, al, a, b = (p[0] for p in P)
    X, TX, TT, tt = d(x), d(tx), d(T), d(t)
    v = None
    c = a + b + X[0] - 1
    z = tt[0] / (al + TT[0] + tt[0])
    if a != 1 and not (c <= 0 and c == int(c)) and 1 - z > mp.mpf(1) / 1000:
        v = bg_expected_gauss(r, al, a, b, X[0], TX[0], TT[0], tt[0])
    elif a != 1 and not (c <= 0 and c == int(c)):
        try:
            v = bg_expected(r, al, a, b, X[0], TX[0], TT[0], tt[0])
        except (ValueError, mp.libmp.NoConvergence):  # cancellation or terms beyond its limits
            v = None
    if v is None:
        v = bg_expected_quad(r, al, a, b, X[0], TX[0], TT[0], tt[0])
    print(",".join(["bgnbd", lab] + [p[1] for p in P] + [X[1], TX[1], TT[1], tt[1], "expected", mp.nstr(v, 20)]))


for lab, *par in BG:
    P = [d(v) for v in par]
    for x, tx, T in CUST:
        for t in TS:
            if lab == "r_far_above_a_b" and t > 1000:
                continue  # beyond the quadrature's accuracy there (ln B(a, b+x) ~ -3e4): NaN, tested apart
            bg_row(lab, P, x, tx, T, t)
# The UCI Online Retail log at day resolution without a penalty (the fit of
# test_cli_fit_penalty_online_retail): a ~ 7.5e-8 and b ~ 1.9e5, where 1 - (1-z)^(a-1) F of
# Euler's series cancels to about a (the customers as good as never drop out); in days
P = [d(v) for v in (0.74442614266614793, 63.336370912050313, 7.4852675342845348e-08, 186690.06378667001)]
for x, tx, T in [(0, 0, 211.0), (1, 12.0, 211.0), (4, 150.0, 200.0), (30, 181.0, 182.0), (120, 200.0, 211.0)]:
    for t in [1.0, 7.0, 30.0, 182.0, 364.0, 3640.0]:
        bg_row("retail_days", P, x, tx, T, t)
for lab, *par in PN:
    P = [d(v) for v in par]
    r, al, s, be = (p[0] for p in P)
    for x, tx, T in CUST:
        X, TX, TT = d(x), d(tx), d(T)
        if x > 100:
            continue
        v = pn_palive(r, al, s, be, X[0], TX[0], TT[0])
        print(",".join(["pareto", lab] + [p[1] for p in P] + [X[1], TX[1], TT[1], "0.0", "palive", mp.nstr(v, 20)]))
        for t in TS[:4]:
            tt = d(t)
            v = pn_expected(r, al, s, be, X[0], TX[0], TT[0], tt[0])
            print(",".join(["pareto", lab] + [p[1] for p in P] + [X[1], TX[1], TT[1], tt[1], "expected", mp.nstr(v, 20)]))
