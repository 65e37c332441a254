#!/bin/sh
# failmalloc.sh - make each allocation of a clvsim command fail in turn
# (tools/failmalloc.c) and list what became of the command, one line per
# distinct outcome (status and last line of stderr) with the first
# allocation that led to it.  Anything but
# "exit 1: ... out of memory" (or success with the same data files as
# without failures, when the allocation was one the command can do without)
# is a bug.
#
#   sh tools/failmalloc.sh BIN [--sticky] [--step K] [--from N0] -- ARGS...
#
# --sticky: every allocation from the N-th on fails (memory stays
# exhausted), else only the N-th.  --step K: every K-th N only.  --from N0:
# start at N0 (past the scenario's loading, say).  OUT in ARGS is replaced
# by a fresh output directory for each run.
set -u
bin=$1
shift
sticky=0
step=1
from=1
while [ $# -gt 0 ]; do
    case $1 in
        --sticky) sticky=1 ;;
        --step) step=$2; shift ;;
        --from) from=$2; shift ;;
        --) shift; break ;;
    esac
    shift
done
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
lib=$(dirname "$bin")/failmalloc.so
[ -r "$lib" ] || cc -shared -fPIC -O2 -o "$lib" "$(dirname "$0")/failmalloc.c" || exit 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT; trap 'exit 130' INT TERM
# the checksums of the data files a run wrote (figures and report.html,
# which carry times, are left out)
# (the run's own directory, which scenario.resolved.cfg names, made OUT)
sums() {
    [ -d "$1" ] || return 0
    find "$1" -type f \( -name '*.csv' -o -name '*.cfg' -o -name '*.qtab' -o -name '*.mlp' -o -name '*.txt' \) \
        ! -name report.txt | sort | while read -r f; do
        printf '%s %s\n' "${f#"$1"}" "$(sed "s|$1|OUT|g" "$f" | md5sum | cut -c 1-32)"
    done
}
run() {
    out="$work/out.$1"
    set -f
    args=$(printf '%s\n' "$cmdargs" | sed "s|OUT|$out|g")
    # shellcheck disable=SC2086
    timeout -k 2 30 env FAILMALLOC_AT="$1" FAILMALLOC_STICKY=$sticky FAILMALLOC_COUNT="${2:-0}" \
        LD_PRELOAD="$lib" "$bin" $args >"$work/out" 2>"$work/err" </dev/null
    rc=$?
    set +f
    sums "$out" >"$work/sums.$1"
    rm -rf "$out"
}
cmdargs=$*
run 0 1
total=$(sed -n 's/^failmalloc: \([0-9]*\) calls$/\1/p' "$work/err")
[ -n "$total" ] || { echo "failmalloc: the command did not run:" >&2; cat "$work/err" >&2; exit 2; }
echo "failmalloc: $total allocations; rc without failures: $rc" >&2
n=$from
: >"$work/seen"
while [ "$n" -le "$total" ]; do
    run "$n"
    # the last line: a command's error comes after its warnings
    msg=$(grep -v '^$' "$work/err" | tail -n 1 | sed -e 's|/tmp/[^ :]*|TMP|g' -e 's/pid [0-9]*/pid N/' | cut -c 1-200)
    case $rc in
        124|137) what="hang" ;;
        0) what="exit 0"
           # a success must have written what a run without failures writes
           cmp -s "$work/sums.$n" "$work/sums.0" || what="exit 0 with OTHER FILES than without failures" ;;
        *) what="exit $rc" ;;
    esac
    rm -f "$work/sums.$n"
    key="$what: $msg"
    if ! grep -qxF "$key" "$work/seen"; then
        printf '%s\n' "$key" >>"$work/seen"
        printf 'N=%s\t%s\n' "$n" "$key"
    fi
    n=$((n + step))
done
