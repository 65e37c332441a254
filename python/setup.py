"""Build the clvsim Python package against the repository's C library.

    make                                          # build/libclvsim.a first
    pip install --no-build-isolation ./python     # or: make python (in place, PYTHONPATH=python)

CLVSIM_LIB (default ../build/libclvsim.a next to this file) names the static library and
CLVSIM_INCLUDE (default ../include) its headers.  Needs python3-dev and python3-setuptools;
numpy only at run time.  No network access."""
import os
import subprocess

from setuptools import Extension, setup

here = os.path.dirname(os.path.abspath(__file__))
lib = os.environ.get("CLVSIM_LIB", os.path.join(here, "..", "build", "libclvsim.a"))
inc = os.environ.get("CLVSIM_INCLUDE", os.path.join(here, "..", "include"))
if not os.path.exists(lib):
    raise SystemExit(f"setup.py: {lib} not found: run make in the repository first (or set CLVSIM_LIB)")
try:
    cflags = subprocess.run(["pkg-config", "--cflags", "gsl", "libconfig", "zlib"], capture_output=True, text=True,
                            check=True).stdout.split()
except (OSError, subprocess.CalledProcessError):
    cflags = []

setup(
    name="clvsim",
    version="0.1.0",
    description="clvsim's e-commerce customer-lifecycle environment and its jobs from Python",
    packages=["clvsim"],
    ext_modules=[Extension(
        "clvsim._clvsim", ["clvsim/_clvsim.c"], include_dirs=[inc],
        extra_compile_args=["-std=c11", "-ffp-contract=off", "-fvisibility=hidden"] + cflags,
        extra_objects=[lib], libraries=["config", "gsl", "gslcblas", "z", "m", "pthread"])],
    install_requires=[],
    python_requires=">=3.8",
)
