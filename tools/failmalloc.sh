#!/bin/sh
# failmalloc.sh - make each allocation of a clvsim command fail in turn
# (tools/failmalloc.c) and list what became of the command, one line per
# distinct outcome (status and last line of stderr) with the first
# allocation that led to it.  Anything but
# "exit 1: ... out of memory" (or success, when the allocation was one the
# command can do without) is a bug.
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
run() {
    out="$work/out.$1"
    set -f
    args=$(printf '%s\n' "$cmdargs" | sed "s|OUT|$out|g")
    # shellcheck disable=SC2086
    timeout -k 2 30 env FAILMALLOC_AT="$1" FAILMALLOC_STICKY=$sticky FAILMALLOC_COUNT="${2:-0}" \
        LD_PRELOAD="$lib" "$bin" $args >/dev/null 2>"$work/err" </dev/null
    rc=$?
    set +f
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
        *) what="exit $rc" ;;
    esac
    key="$what: $msg"
    if ! grep -qxF "$key" "$work/seen"; then
        printf '%s\n' "$key" >>"$work/seen"
        printf 'N=%s\t%s\n' "$n" "$key"
    fi
    n=$((n + step))
done
