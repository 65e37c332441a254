"""clvsim.train_ltv, predict_ltv and validate against clvsim train-ltv, predict-ltv and validate:
the same network file to the byte, the same numbers as their CSVs, errors and Ctrl-C."""
import csv
import filecmp
import math
import os
import subprocess
import tempfile

import numpy as np
import pytest

import clvsim

ROOT = os.getcwd()
CLVSIM_BIN = os.environ.get("CLVSIM_BIN", os.path.join(ROOT, "build", "clvsim"))
SAMPLE = os.path.abspath(os.path.join("..", "shared", "data", "CDNOW_sample.txt"))
need_bin = pytest.mark.skipif(not os.access(CLVSIM_BIN, os.X_OK), reason="build/clvsim not built")
need_data = pytest.mark.skipif(not os.path.isfile(SAMPLE), reason="../shared/data absent (see tests' pattern)")


def clvsim_cli(*args):
    subprocess.run([CLVSIM_BIN, *args], check=True, stdout=subprocess.DEVNULL)


def rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def g8(v):
    """clv_put_num's and clv_put_opt's %.8g (empty for a NaN the CSV leaves out)"""
    return "" if math.isnan(v) else "%.8g" % v


def real_scenario(tmp):
    """test_cli_train_ltv_real's scenario: the CDNOW sample, its columns by number, real customers"""
    path = os.path.join(tmp, "real.cfg")
    with open(path, "w") as f:
        f.write('data = { transactions = "%s"; customer_column = 2; date_column = 3; quantity_column = 4;\n'
                '  amount_column = 5; calibration_end = "1997-09-30"; unit = "week"; };\n'
                'ltv = { real_fraction = 1.0; horizon_days = 273; epochs = 5; batch_size = 64; };\n'
                'output = { plots = false; };\n' % SAMPLE)
    return path


@need_bin
@need_data
def test_train_and_predict_equal_the_commands():
    with tempfile.TemporaryDirectory() as tmp:
        scn = real_scenario(tmp)
        out, net = os.path.join(tmp, "cli"), os.path.join(tmp, "py.mlp")
        clvsim_cli("train-ltv", scn, "-o", out, "--quiet", "--importance", "0")
        r = clvsim.train_ltv(scn, save=net)
        # the same network, standardisation, settings and reader record
        assert filecmp.cmp(os.path.join(out, "ltv.mlp"), net, shallow=False)
        m = rows(os.path.join(out, "ltv_metrics.csv"))
        cols = m[0]
        assert len(r["metrics"]) == len(m) - 1 == 2  # mlp and btyd on the real holdout
        for line, row in zip(m[1:], r["metrics"]):
            mine = [row[c] if isinstance(row[c], str) else str(row[c]) if isinstance(row[c], int) else g8(row[c])
                    for c in cols]
            assert line == mine
        h = rows(os.path.join(out, "ltv_history.csv"))
        assert len(h) - 1 == len(r["train_loss"]) == len(r["validation_loss"]) == 5
        for e, line in enumerate(h[1:]):
            assert line == [str(e + 1), g8(r["train_loss"][e]), g8(r["validation_loss"][e])]
        assert r["rows"]["real"] == 1886 and r["rows"]["synthetic"] == 0
        # predictions: the file's reader, so no reader options, on both sides
        pred = os.path.join(tmp, "pred")
        clvsim_cli("predict-ltv", net, SAMPLE, "--cutoff", "1997-09-30", "-o", pred, "--quiet")
        p = clvsim.predict_ltv(net, SAMPLE, "1997-09-30")
        assert p["recorded"] and p["unit"] == "week" and p["customers"] == 2357
        c = rows(os.path.join(pred, "predictions.csv"))
        assert c[0] == ["id", "predicted_value", "p_buy", "btyd_value"]
        mine = [[p["id"][i], "%.6f" % p["value"][i], "%.6f" % p["p_buy"][i], "%.6f" % p["btyd"][i]]
                for i in range(p["customers"])]
        assert c[1:] == mine
        # an option given applies over the record: the quantities taken as the amounts
        q = clvsim.predict_ltv(net, SAMPLE, "1997-09-30", amount_column=4, quantity_column=0)
        assert q["customers"] == 2357 and not np.array_equal(q["btyd"], p["btyd"])
        clvsim_cli("predict-ltv", net, SAMPLE, "--cutoff", "1997-09-30", "-o", pred, "--quiet", "--force",
                   "--amount-column", "4", "--quantity-column", "0", "--unit", "day")
        d = clvsim.predict_ltv(net, SAMPLE, "1997-09-30", unit="day", amount_column=4, quantity_column=0)
        c = rows(os.path.join(pred, "predictions.csv"))
        assert d["unit"] == "day" and [x[3] for x in c[1:]] == ["%.6f" % v for v in d["btyd"]]


@need_bin
def test_validate_equals_the_command():
    scn, small = "scenarios/baseline.cfg", {"run.scale": 0.05}
    with tempfile.TemporaryDirectory() as tmp:
        clvsim_cli("validate", scn, "--scale", "0.05", "-o", os.path.join(tmp, "cli"), "--quiet")
        r = clvsim.validate(scn, small, output=os.path.join(tmp, "py"))
        for name in ("counts.csv", "refit.csv", "treatment_effect.csv", "simulated_transactions.csv"):
            assert filecmp.cmp(os.path.join(tmp, "cli", "validation", name), os.path.join(tmp, "py", name),
                               shallow=False), name
        counts = rows(os.path.join(tmp, "py", "counts.csv"))[1:]
        assert [int(x[1]) for x in counts] == list(r["counts"]["observed"].astype(int))
        refit = rows(os.path.join(tmp, "py", "refit.csv"))
        assert len(refit) - 1 == len(r["refit"])
        for line, row in zip(refit[1:], r["refit"]):
            assert line[:2] == [row["model"], row["parameter"]]
            assert float(line[2]) == row["true"] and float(line[3]) == row["estimate"]
        assert r["pass"] and r["effects_pass"] and r["effects"] and r["counts"]["df"] > 0
    # without an output directory: the same numbers, nothing left behind
    again = clvsim.validate(scn, small)
    assert again["refit"] == r["refit"] and again["counts"]["chi2"] == r["counts"]["chi2"]


def test_ltv_errors():
    with pytest.raises(clvsim.Error) as e:
        clvsim.predict_ltv("scenarios/holiday.cfg", "tests/fixtures/txlog/basic.txt", "1997-01-31")
    assert e.value.file == "scenarios/holiday.cfg" and e.value.msg == "not a clvsim network (no CLVMLP magic)"
    with pytest.raises(ValueError, match="delimiter: one of auto, whitespace, comma, not 'tab'"):
        clvsim.predict_ltv("no/such.mlp", "x", "1997-01-31", delimiter="tab")
    with pytest.raises(TypeError, match="columns"):
        clvsim.predict_ltv("no/such.mlp", "x", "1997-01-31", columns=3)
    with pytest.raises(ValueError, match="cutoff: '1997-02-30' is not a date"):
        clvsim.predict_ltv("no/such.mlp", "x", "1997-02-30")
    with pytest.raises(clvsim.Error) as e:
        clvsim.train_ltv("scenarios/holiday.cfg", {"ltv.epochs": 0})
    assert e.value.file == "overrides" and e.value.field == "ltv.epochs"
    with pytest.raises(clvsim.Error) as e:
        clvsim.validate("scenarios/holiday.cfg", {"population.customers": -5})
    assert e.value.field == "population.customers"


def test_fit_reader_options():
    """fit() takes the reader's options as clvsim fit does: US dates by a pattern, columns by header
    name, rows without a customer skipped (tests/fixtures/txlog: the same log two ways)."""
    with tempfile.TemporaryDirectory() as tmp:
        iso, us = os.path.join(tmp, "iso.csv"), os.path.join(tmp, "us.csv")
        lines = []
        for c in range(40):
            for k in range(1 + c % 5):
                lines.append((str(1000 + c), 1997, 1 + (c + 3 * k) % 12, 1 + (7 * c + k) % 28, 5.0 + c % 7 + k))
        with open(iso, "w") as f, open(us, "w") as g:
            f.write("cust,when,spent\n")
            g.write("Spent,When,Customer\n")
            for cust, y, mo, d, a in sorted(lines, key=lambda x: (x[1], x[2], x[3])):
                f.write("%s,%04d-%02d-%02d,%.2f\n" % (cust, y, mo, d, a))
                g.write("%.2f,%d/%d/%d 9:%02d,%s\n" % (a, mo, d, y, d, cust))
            g.write("3.00,12/30/1997 8:00,\n")  # an anonymous purchase
        a = clvsim.fit(iso, "1997-09-30", models=["bgnbd"])
        b = clvsim.fit(us, "1997-09-30", models=["bgnbd"], customer_column="Customer", date_column="When",
                       amount_column="Spent", date_format="%m/%d/%Y %H:%M", skip_missing_customer=True)
        assert a["customers"] == b["customers"] > 30  # those who bought by the calibration end
        assert a["bgnbd"]["params"] == b["bgnbd"]["params"]
        with pytest.raises(clvsim.Error) as e:
            clvsim.fit(us, "1997-09-30", models=["bgnbd"], customer_column="Customer", date_column="When",
                       amount_column="Spent", date_format="%m/%d/%Y %H:%M")
        assert e.value.file == us and e.value.line > 0


def test_keyboard_interrupt_in_training(interrupted_within):
    interrupted_within("clvsim.train_ltv('scenarios/holiday.cfg', {'ltv.synthetic_customers': 100000, "
                       "'ltv.epochs': 300})", 2.0)
