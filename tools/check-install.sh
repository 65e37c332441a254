#!/bin/sh
# check-install.sh - install into a temporary prefix, then build and run a
# program against it through pkg-config, dynamically (found by its rpath,
# LD_LIBRARY_PATH unset) and statically linked; then run the installed
# clvsim's main job by scenario name from / (the installed scenarios and
# plot scripts, not the source tree's).
set -eu
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT INT TERM
make --no-print-directory install PREFIX="$prefix" >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
for f in bin/clvsim lib/libclvsim.a lib/libclvsim.so include/clvsim/clvsim.h lib/pkgconfig/clvsim.pc share/man/man1/clvsim.1 share/clvsim/plots/fit_cumulative.gp \
    share/clvsim/scenarios/holiday.cfg share/clvsim/scenarios/baseline.cfg share/clvsim/scenarios/tight-budget.cfg; do
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
# the main job by name, from another directory: the installed holiday.cfg
(cd / && env -u LD_LIBRARY_PATH -u CLVSIM_SCENARIO_PATH -u CLVSIM_PLOTS_DIR \
    "$prefix/bin/clvsim" run holiday --scale 0.02 --quiet -o "$prefix/out" >"$prefix/run.log")
[ -s "$prefix/out/summary.csv" ] || { echo "check-install: clvsim run holiday wrote no summary.csv" >&2; exit 1; }
grep -q "resolved from $prefix/share/clvsim/scenarios/holiday.cfg" "$prefix/out/scenario.resolved.cfg" || {
    echo "check-install: clvsim run holiday did not read the installed scenario:" >&2
    head -n 1 "$prefix/out/scenario.resolved.cfg" >&2
    exit 1
}
# an unknown name: exit status 2, naming the installed directory and the names there
if (cd / && "$prefix/bin/clvsim" run no-such-scenario --quiet -o "$prefix/out2") 2>"$prefix/err"; then
    echo "check-install: clvsim run no-such-scenario succeeded" >&2
    exit 1
fi
grep -q "the names available are baseline, .*holiday, tight-budget" "$prefix/err" &&
    grep -q "$prefix/share/clvsim/scenarios (installed)" "$prefix/err" || {
    echo "check-install: the error of an unknown scenario name:" >&2
    cat "$prefix/err" >&2
    exit 1
}
echo "check-install: ok"
