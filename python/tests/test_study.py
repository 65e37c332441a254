"""clvsim.study against clvsim run: the same summary table, number for number."""
import math
import os
import subprocess
import tempfile

import numpy as np
import pytest

import clvsim

ROOT = os.getcwd()
CLVSIM_BIN = os.environ.get("CLVSIM_BIN", os.path.join(ROOT, "build", "clvsim"))
SCN = "scenarios/holiday.cfg"


@pytest.mark.skipif(not os.access(CLVSIM_BIN, os.X_OK), reason="build/clvsim not built")
def test_study_summary_equals_clvsim_run():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([CLVSIM_BIN, "run", SCN, "--scale", "0.05", "-q", "-o", tmp], check=True,
                       stdout=subprocess.DEVNULL)
        with open(os.path.join(tmp, "summary.csv")) as f:
            lines = f.read().splitlines()
    env = clvsim.Env(SCN, {"run.scale": 0.05})
    list_none = ("list-none", lambda o: np.tile([0, env.list_price], (len(o), 1)))
    st = clvsim.study(SCN, {"run.scale": 0.05}, own=[list_none])
    cols = lines[0].split(",")
    rows = st.summary()
    assert len(rows) == len(lines)  # the listed policies, then the own one
    for line, row in zip(lines[1:], rows):
        mine = []
        for c in cols:
            v = row[c]
            if isinstance(v, float):
                mine.append("" if math.isnan(v) else "%.6f" % v)
            else:
                mine.append(str(v))
        assert line == ",".join(mine)
    # the own Python policy at list price without coupons is the policy none, number for number
    assert rows[-1]["policy"] == "list-none"
    assert np.array_equal(st.totals[-1], st.totals[st.verdict["none"]])
    v = st.verdict
    assert v["best"] >= 0 and v["gain"]["lo"] <= v["gain"]["mean"] <= v["gain"]["hi"]
