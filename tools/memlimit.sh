#!/bin/sh
# memlimit.sh - run each command of clvsim under `ulimit -v` at several
# limits and print what became of it: ok, the exit status with the first
# line of stderr, the signal, or a time-out (a hang).
#
#   sh tools/memlimit.sh [BIN [LIMIT_MB...]]
#
# BIN defaults to build/clvsim, the limits to 20 50 100 200 300.  Needs
# ../shared/data (CDNOW_master.txt) beside the repository.  Work files go to
# a temporary directory, removed at the end.
set -u
bin=${1:-build/clvsim}
[ $# -gt 0 ] && shift
limits=${*:-20 50 100 200 300}
root=$(pwd)
data=$root/../shared/data
case $bin in /*) ;; *) bin=$root/$bin ;; esac
[ -x "$bin" ] || { echo "memlimit: $bin is not an executable" >&2; exit 2; }
[ -r "$data/CDNOW_master.txt" ] || { echo "memlimit: $data/CDNOW_master.txt not found" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT; trap 'exit 130' INT TERM
tlimit=${MEMLIMIT_TIMEOUT:-60}

# the scenario of train-ltv on CDNOW (paths are relative to its directory)
rel() { python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$1" "$work"; }
cat > "$work/cdnow-ltv.cfg" <<EOF
@include "$(rel "$root/scenarios/holiday.cfg")"
data = { transactions = "$(rel "$data/CDNOW_master.txt")"; quantity_column = 3; amount_column = 4;
  calibration_end = "1997-09-30"; unit = "week"; };
ltv = { real_fraction = 1.0; horizon_days = 273; discount = false; epochs = 5; };
EOF
# the network predict-ltv applies, trained without a limit
"$bin" train-ltv "$work/cdnow-ltv.cfg" -o "$work/model" -q >/dev/null 2>&1 ||
    { echo "memlimit: train-ltv without a limit failed" >&2; exit 1; }

cdnow="$data/CDNOW_master.txt --quantity-column 3 --amount-column 4"
holiday=$root/scenarios/holiday.cfg
set -- \
    "version|--version" \
    "check|check $holiday" \
    "fit|fit $cdnow --calibration-end 1997-09-30 --holdout-end 1998-06-30 -q -o OUT" \
    "simulate|simulate $holiday --scale 0.1 -q -o OUT" \
    "run|run $holiday --scale 0.02 --set agent.episodes=5 --set evaluation.replications=2 -q -o OUT" \
    "train-ltv|train-ltv $work/cdnow-ltv.cfg -q -o OUT" \
    "predict-ltv|predict-ltv $work/model/ltv.mlp $cdnow --cutoff 1997-09-30 -q -o OUT"

printf '| command |'
for l in $limits; do printf ' %s MB |' "$l"; done
printf '\n|---|'
for l in $limits; do printf -- '---|'; done
printf '\n'
n=0
for spec in "$@"; do
    name=${spec%%|*}
    args=${spec#*|}
    printf '| %s |' "$name"
    for l in $limits; do
        n=$((n + 1))
        out="$work/out$n"
        # shellcheck disable=SC2086
        set -f
        cmdargs=$(printf '%s' "$args" | sed "s|OUT|$out|")
        (ulimit -v $((l * 1024)); exec timeout -k 2 "$tlimit" "$bin" $cmdargs) \
            >"$work/stdout" 2>"$work/stderr" </dev/null
        rc=$?
        set +f
        first=$(grep -v '^$' "$work/stderr" | head -n 1 | cut -c 1-160 | sed 's/|/\\|/g')
        if [ $rc -eq 0 ]; then
            res=ok
        elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
            res="hang (stopped after ${tlimit} s)"
        elif [ $rc -gt 128 ]; then
            res="exit $rc (signal $((rc - 128))?) $first"
        else
            res="exit $rc: $first"
        fi
        printf ' %s |' "$res"
    done
    printf '\n'
done
