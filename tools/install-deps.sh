#!/bin/sh
# install-deps.sh - install the Debian packages clvsim needs, when they are missing.
# Build: gcc, make, pkg-config, libgsl-dev, libconfig-dev, zlib1g-dev (gzip-compressed experiments).
# Run time: gnuplot-nox (plots).  Benchmarks: python3-numpy (the numpy
# reference) and libopenblas0 (OpenBLAS, the matrix products' reference).
# The test suite uses its own small harness (tests/harness.h): no framework package.
# The Python package (python/, make python): python3-dev, python3-setuptools
# (pip install ./python) and python3-pytest (its tests).
set -eu
PKGS="gcc make pkg-config libgsl-dev libconfig-dev zlib1g-dev gnuplot-nox python3-numpy libopenblas0 python3-dev python3-setuptools python3-pytest"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -z "$missing" ]; then
    echo "deps: all Debian packages present ($PKGS)"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps: missing packages:$missing; apt-get not found: install them with your system's package manager" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        echo "deps: missing packages:$missing; run as root or install sudo" >&2
        exit 1
    fi
fi
echo "deps: installing$missing"
$SUDO apt-get update -q
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
