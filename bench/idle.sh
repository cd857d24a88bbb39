#!/usr/bin/env bash
# Idle cost of group members: N members of one group (bench/pfq-rx with
# `steer_flow`) on a device of a private test host that carries no traffic,
# for --seconds S; the CPU the members use in that window (their threads'
# run time from /proc/PID/task/*/schedstat, nanoseconds), for N = 1 and
# N = 32 (or --members). A member wakes every 0.2 s to look after its group;
# that look must stay cheap whatever the number of members: the goal is
# N idle members costing no more than N x one idle member.
#
# Usage: bench/idle.sh [--seconds S] [--members "1 32"] [--rounds R] [--build DIR]
set -euo pipefail

COUNT=1000 # unused (the options want it)
ROUNDS=3
MEMBERS="1 32"
SECONDS_IDLE=10
args=()
while [ $# -gt 0 ]; do
    case $1 in
        --seconds) SECONDS_IDLE=$2; shift 2 ;;
        *) args+=("$1"); shift ;;
    esac
done
set -- "${args[@]+"${args[@]}"}"
[[ $SECONDS_IDLE =~ ^[0-9]+$ && $SECONDS_IDLE -ge 1 && $SECONDS_IDLE -le 600 ]] ||
    { echo "bench: --seconds 1..600" >&2; exit 2; }
NAME=pfqibench
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
export PFQ_RUN_DIR=$WORK/run
GID=9

# run time in ns of every thread of the given processes
run_ns() {
    local t=0 p f
    for p in "$@"; do
        for f in /proc/"$p"/task/*/schedstat; do
            [ -r "$f" ] && t=$((t + $(cut -d' ' -f1 "$f")))
        done
    done
    echo "$t"
}

# run_one N ROUND: appends "N ns" to results
run_one() {
    local n=$1 r=$2 pids=() readers=() i
    for ((i = 0; i < n; i++)); do
        local out=$WORK/idle.$n.$r.$i
        $NSB "$BUILD/bench/cpu-run" "$BUILD/bench/pfq-rx" b0 128 1024 $GID >"$out.out" 2>"$out.err" &
        pids+=($!)
        for _ in $(seq 200); do grep -q "^ready" "$out.out" 2>/dev/null && break; sleep 0.05; done
    done
    sleep 1 # joins settle
    for p in "${pids[@]}"; do readers+=($(pgrep -P "$p" || true)); done
    local t0 t1
    t0=$(run_ns "${readers[@]}")
    sleep "$SECONDS_IDLE"
    t1=$(run_ns "${readers[@]}")
    for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" || true; done
    echo "$n $((t1 - t0))" >>"$WORK/results"
}

echo "bench: idle members of one group, $SECONDS_IDLE s windows, $ROUNDS rounds, N = $MEMBERS," \
     "$NCPU cores, $(uname -r)"
for r in $(seq "$ROUNDS"); do
    for n in $MEMBERS; do run_one "$n" "$r"; done
done
python3 - "$WORK/results" "$SECONDS_IDLE" "$MEMBERS" <<'PY'
import sys, statistics
secs = float(sys.argv[2])
members = [int(x) for x in sys.argv[3].split()]
rows = {}
for line in open(sys.argv[1]):
    n, ns = map(int, line.split())
    rows.setdefault(n, []).append(ns)
print(f"{'members':>8} {'% of a core':>12} {'per member %':>13}")
res = {}
for n in members:
    pct = statistics.median(rows[n]) / (secs * 1e9) * 100
    res[n] = pct
    print(f"{n:>8} {pct:>12.3f} {pct / n:>13.4f}")
one = res.get(1)
for n in members:
    if n > 1 and one:
        print(f"{n} idle members / ({n} x one): {res[n] / (n * one):.2f} (goal <= 1.00)")
PY
