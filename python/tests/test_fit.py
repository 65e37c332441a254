"""clvsim.fit against published and recorded values of the CDNOW data (skipped without ../shared)."""
import math
import os

import pytest

import clvsim

DATA = os.path.join("..", "shared", "data")
need = pytest.mark.skipif(not os.path.isdir(DATA), reason="../shared/data absent (see tests' pattern)")


@need
def test_bgnbd_cdnow_sample_published():
    """Fader, Hardie and Lee (2005), "Counting your customers the easy way": BG/NBD on the
    2,357-customer CDNOW sample, 39 weeks of calibration: r 0.243, alpha 4.414, a 0.793,
    b 2.426, log-likelihood -9582.4."""
    r = clvsim.fit(os.path.join(DATA, "CDNOW_sample.txt"), "1997-09-30", customer_column=2, date_column=3,
                   quantity_column=4, amount_column=5, models=["bgnbd"])
    assert r["customers"] == 2357 and set(r) == {"customers", "spend_note", "bgnbd"}
    b = r["bgnbd"]
    assert b["params"]["r"] == pytest.approx(0.243, abs=5e-4)
    assert b["params"]["alpha"] == pytest.approx(4.414, abs=5e-4)
    assert b["params"]["a"] == pytest.approx(0.793, abs=5e-4)
    assert b["params"]["b"] == pytest.approx(2.426, abs=5e-4)
    assert b["loglik"] == pytest.approx(-9582.4, abs=0.05)
    assert all(v > 0 for v in b["se"].values()) and b["flags"] == 0


@need
def test_full_cdnow_equals_the_recorded_fit():
    """The scenarios' population (scenarios/holiday.cfg's comment): the clvsim fit of the full
    CDNOW master file, parameters written with 6 digits (within two units of the last: the file's
    were written by an earlier run of the optimiser), log-likelihoods to 2 decimals."""
    r = clvsim.fit(os.path.join(DATA, "CDNOW_master.txt"), "1997-09-30", "1998-06-30", quantity_column=3,
                   amount_column=4)
    assert r["customers"] == 23570 and r["spend_note"] == ""
    want = {"bgnbd": ({"r": 0.251624, "alpha": 4.78894, "a": 0.723433, "b": 2.16109}, -95368.44),
            "pareto": ({"r": 0.59742, "alpha": 11.5857, "s": 0.522185, "beta": 8.82776}, -95415.12),
            "ggamma": ({"p": 6.27536, "q": 3.62445, "gamma": 14.9837}, -40763.48)}
    for m, (par, ll) in want.items():
        for k, v in par.items():
            unit = 10.0 ** (math.floor(math.log10(abs(v))) - 5)  # of the 6th significant digit
            assert abs(r[m]["params"][k] - v) <= 2 * unit, (m, k)
        assert round(r[m]["loglik"], 2) == ll
    assert r["ggamma"]["n"] == 9450


def test_fit_errors():
    with pytest.raises(clvsim.Error) as e:
        clvsim.fit("no/such/log.txt", "1997-09-30")
    assert "no/such/log.txt" in str(e.value)
    with pytest.raises(ValueError):
        clvsim.fit("no/such/log.txt", "1997-13-45")
    with pytest.raises(ValueError):
        clvsim.fit("no/such/log.txt", "1997-09-30", models=["nbd"])
