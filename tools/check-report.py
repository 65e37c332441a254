#!/usr/bin/env python3
"""check-report.py DIR - render DIR/report.html of `clvsim run` in headless
Chromium (Debian's chromium) and fail (exit 1) on:
  - a console message of the page (the report has no scripts of its own
    beyond an image's onerror, so any message is an error);
  - a figure that is missing or does not decode (the onerror handler marks
    it with class "missing"), or one that is not embedded (report.html is
    one file that works offline);
  - a verdict (the element with id "verdict") that disagrees with
    bounds.csv: the policy it names as gaining the most, and its gain, must
    be the largest diff_vs_none among the deployable policies (not none, not
    the clairvoyant bound, not the hindsight row), formatted as the report
    formats it.
Exit 2 when chromium is not installed."""
import csv, html.parser, os, re, shutil, subprocess, sys, tempfile


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.missing, self.verdict, self._in_verdict = [], 0, "", 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "missing" in (a.get("class") or "").split():
            self.missing += 1
        if tag == "img":
            self.imgs.append(a.get("src") or "")
        if a.get("id") == "verdict":
            self._in_verdict = 1
        elif self._in_verdict:
            self._in_verdict += 1

    def handle_endtag(self, tag):
        if self._in_verdict:
            self._in_verdict -= 1

    def handle_data(self, data):
        if self._in_verdict:
            self.verdict += data


def grouped(v):
    """the report's format of a signed whole number: +1,234 / -56"""
    s = "{:,.0f}".format(abs(v))
    return ("-" if v < 0 and s.strip("0,.") else "+") + s


def main():
    if len(sys.argv) != 2:
        print("usage: check-report.py DIR (the output of clvsim run)", file=sys.stderr)
        return 2
    d = sys.argv[1]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("check-report: chromium not found; install the Debian package chromium", file=sys.stderr)
        return 2
    report = os.path.join(d, "report.html")
    with tempfile.TemporaryDirectory() as prof:
        r = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + prof,
                            "--enable-logging=stderr", "--v=0", "--dump-dom", "file://" + os.path.abspath(report)],
                           capture_output=True, text=True, timeout=120)
    fails = []
    if r.returncode != 0 or "<html" not in r.stdout:
        fails.append("chromium did not render %s (exit %d): %s" % (report, r.returncode, r.stderr[-500:]))
    for line in r.stderr.splitlines():
        if ":CONSOLE" in line:
            fails.append("console message: " + line)
    dom = Dom()
    dom.feed(r.stdout)
    if not dom.imgs:
        fails.append("no figures in the report")
    if dom.missing:
        fails.append("%d figure(s) missing or not decodable" % dom.missing)
    for src in dom.imgs:
        if not src.startswith("data:image/"):
            fails.append("figure not embedded: " + src[:80])
    with open(os.path.join(d, "bounds.csv"), newline="") as f:
        rows = [x for x in csv.DictReader(f)
                if x["policy"] not in ("none", "clairvoyant", "hindsight") and x["diff_vs_none"] != ""]
    verdict = " ".join(dom.verdict.split())
    if not verdict:
        fails.append("no element with id verdict")
    elif rows:
        best = max(rows, key=lambda x: float(x["diff_vs_none"]))  # first of equals, as the study's order
        gain = float(best["diff_vs_none"])
        if gain > 0:
            want = "Verdict. %s gains the most: %s " % (best["label"], grouped(gain))
            if not verdict.startswith(want):
                fails.append("verdict %r disagrees with bounds.csv: expected it to start %r" % (verdict, want))
        elif not verdict.startswith("Verdict. No policy gains over no campaign: the best, %s," % best["label"]):
            fails.append("verdict %r disagrees with bounds.csv: no policy gains, the best is %s"
                         % (verdict, best["label"]))
    for f_ in fails:
        print("check-report: " + f_, file=sys.stderr)
    if not fails:
        print("check-report: %s renders in Chromium: %d embedded figures, no console message, verdict: %s"
              % (report, len(dom.imgs), verdict[:160]))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
