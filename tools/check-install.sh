#!/bin/sh
# check-install.sh - install into a temporary prefix, then build and run a
# program against it through pkg-config, dynamically (found by its rpath,
# LD_LIBRARY_PATH unset) and statically linked.
set -eu
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT INT TERM
make --no-print-directory install PREFIX="$prefix" >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
for f in bin/clvsim lib/libclvsim.a lib/libclvsim.so include/clvsim/clvsim.h lib/pkgconfig/clvsim.pc share/man/man1/clvsim.1 share/clvsim/plots/fit_cumulative.gp; do
    [ -e "$prefix/$f" ] || { echo "check-install: $f was not installed" >&2; exit 1; }
done
# shellcheck disable=SC2046
cc -std=c11 tests/install/example.c $(pkg-config --cflags --libs clvsim) -o "$prefix/example"
# the rpath from pkg-config: no LD_LIBRARY_PATH needed
env -u LD_LIBRARY_PATH "$prefix/example" scenarios/holiday.cfg
# shellcheck disable=SC2046
cc -std=c11 tests/install/example.c $(pkg-config --cflags clvsim) "$prefix/lib/libclvsim.a" \
    $(pkg-config --static --libs clvsim | sed 's/-lclvsim//') -o "$prefix/example-static"
"$prefix/example-static" scenarios/holiday.cfg
env -u LD_LIBRARY_PATH "$prefix/bin/clvsim" --version
echo "check-install: ok"
