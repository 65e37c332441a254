#!/bin/sh
# fuzz/run.sh - run each libFuzzer harness in turn (make fuzz calls it).
#
#   sh fuzz/run.sh BUILD_DIR SECONDS NAME...
#
# BUILD_DIR holds the harnesses (fuzz_NAME), the generated seeds (seeds/NAME)
# and receives the working corpus (corpus/NAME: what the fuzzer found worth
# keeping, kept between runs), the artifacts (artifacts/NAME-crash-..., the
# input of a failure) and the logs (logs/NAME.log).  The seeds in the tree
# (fuzz/corpus/NAME, and the fixtures of tests/fixtures and the shipped
# scenarios/) are read, never written.
#
# A harness fails on a crash, a memory error (ASan), a leak (LSan), undefined
# behaviour (UBSan, which aborts: -fno-sanitize-recover=all), a broken
# promise of the API (FUZZ_CHECK), an input that runs longer than
# FUZZ_TIMEOUT seconds (a hang), or a process over FUZZ_RSS_MB or a single
# allocation over FUZZ_MALLOC_MB (a memory bomb: no input of a few KB needs
# that much).  The script runs every harness and fails when any failed.
set -u

if [ $# -lt 3 ]; then
    echo "usage: sh fuzz/run.sh BUILD_DIR SECONDS NAME..." >&2
    exit 2
fi
dir=$1
seconds=$2
shift 2
timeout=${FUZZ_TIMEOUT:-10}
rss=${FUZZ_RSS_MB:-2048}
malloc=${FUZZ_MALLOC_MB:-256}
src=$(dirname "$0")

mkdir -p "$dir/artifacts" "$dir/logs" "$dir/tmp"
# the harnesses' temporary directories (fuzz.h), out of the way of others
TMPDIR=$(cd "$dir/tmp" && pwd)
export TMPDIR
# abort on the first error of any sanitizer, with a stack; LSan: only our
# leaks count (fuzz/lsan.supp names what libraries keep on purpose)
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$src/lsan.supp:print_suppressions=0}
# one BLAS thread: the loaders do not need more, and the machine is shared
OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS OPENBLAS_NUM_THREADS

failed=""
for name in "$@"; do
    bin=$dir/fuzz_$name
    mkdir -p "$dir/corpus/$name"
    dict=""
    [ -f "$src/$name.dict" ] && dict="-dict=$src/$name.dict"
    # seeds: the tree's (reproducers of past findings and hand-made
    # inputs), the test fixtures and shipped files, and the generated ones
    case $name in
    scenario) seeds="$src/../tests/fixtures/scenarios $src/../scenarios" ;;
    txlog) seeds="$src/../tests/fixtures/txlog $src/../tests/fixtures/data" ;;
    *) seeds="" ;;
    esac
    [ -d "$src/corpus/$name" ] && seeds="$src/corpus/$name $seeds"
    [ -d "$dir/seeds/$name" ] && seeds="$seeds $dir/seeds/$name"
    echo "== fuzz_$name for ${seconds}s (log: $dir/logs/$name.log)"
    # shellcheck disable=SC2086 # dict and seeds are lists
    "$bin" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb="$rss" -malloc_limit_mb="$malloc" \
        -max_len=8192 -print_final_stats=1 -artifact_prefix="$dir/artifacts/$name-" $dict \
        "$dir/corpus/$name" $seeds >"$dir/logs/$name.log" 2>&1
    st=$?
    tail -n 12 "$dir/logs/$name.log" | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done)' || true
    if [ $st -ne 0 ]; then
        echo "FAILED: fuzz_$name (exit status $st); what went wrong:"
        # the cause (a sanitizer's report or a broken promise) comes before
        # the long stack: show it first, then the end of the log
        grep -E -A3 '^(==[0-9]+==ERROR|fuzz check failed)|runtime error:|^SUMMARY:' "$dir/logs/$name.log" | head -n 40
        echo "the end of its log:"
        tail -n 30 "$dir/logs/$name.log"
        for a in "$dir/artifacts/$name-"*; do
            [ -f "$a" ] || continue
            echo "  input: $a ($(wc -c <"$a") bytes); as base64, to reproduce it elsewhere:"
            head -c 4096 "$a" | base64 | sed 's/^/    /'
        done
        failed="$failed $name"
    fi
done
if [ -n "$failed" ]; then
    echo "fuzzing failed:$failed (reproduce: $dir/fuzz_NAME INPUT)"
    exit 1
fi
echo "fuzzing: no failure in $# harnesses"
