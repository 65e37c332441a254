import os
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
os.chdir(ROOT)


@pytest.fixture
def interrupted_within():
    """interrupted_within(call, wait): runs `call` (Python source of one statement using clvsim) in a
    new interpreter, sends it SIGINT `wait` seconds after it is ready, and asserts that the call
    raised KeyboardInterrupt within a second of the signal (the child's clock: what the user waits
    for, not the interpreter's exit)."""
    def run(call, wait):
        code = ("import sys, time; sys.path.insert(0, 'python'); import clvsim; print('ready', flush=True)\n"
                "try:\n    %s\nexcept KeyboardInterrupt:\n    print('interrupted', time.time(), flush=True)\n"
                % call)
        p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "ready"
        time.sleep(wait)
        t = time.time()
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=30)
        words = out.split()
        assert words[:1] == ["interrupted"], out
        assert float(words[1]) - t < 1.0
    return run
