#!/usr/bin/env bash
# The seed's promise, measured with the real program: the same generated
# packets (64-byte frames, 256 flows, at the generator's maximum rate or
# --rate) over a veth pair of a private test host, captured by
#   stock      one Debian `tcpdump -nn -B 8192 -i b0 > /dev/null` (decoding
#              every packet to text) on stock libpcap, its buffer as large
#              as a pfq instance's ring (4096 slots of 2 KiB)
#   pfq K=k    k instances of the same tcpdump on `-i pfq` (through
#              pfq-run), members of one group that splits the traffic with
#              `ip >-> steer_flow`
# in interleaved rounds of one run. Instance i runs on the i-th CPU of
# --cpus (cycling; default: every CPU), stock on the first. Reported
# (medians over the rounds): packets captured and dropped by the kernel,
# per instance and in total, and the ratio of each group's total to stock's
# against the goal 0.9 x min(K, CPUs). Ready for a many-core machine as is:
# e.g. --cpus 2-17 --k "2 4 8 16".
#
# Usage: bench/tcpdump.sh [--count N] [--rounds R] [--k "2 4"] [--cpus LIST]
#                         [--rate PPS] [--build DIR]
set -euo pipefail

COUNT=1000000
ROUNDS=3
KS="2 4"
CPUS=""
RATE=""
NAME=pfqtdbench
NEED_TCPDUMP=1
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
export PFQ_RUN_DIR=$WORK/run
TCPDUMP=$(command -v tcpdump)
GID=$((10 + $$ % 50))
[ -n "$CPUS" ] || CPUS="0-$((NCPU - 1))"
# the CPU list, expanded
read -r -a CPU_LIST <<<"$(python3 -c '
import sys
out = []
for part in sys.argv[1].split(","):
    a, _, b = part.partition("-")
    out += range(int(a), int(b or a) + 1)
print(" ".join(map(str, out)))' "$CPUS")"
for c in "${CPU_LIST[@]}"; do
    [ "$c" -lt "$NCPU" ] || { echo "bench: --cpus: CPU $c not on this machine ($NCPU)" >&2; exit 2; }
done

# start_td OUT CPU ENV... -- ARGS...: a tcpdump in B, waits until it listens
start_td() {
    local out=$1 cpu=$2 envs=()
    shift 2
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    $NSB env "${envs[@]}" taskset -c "$cpu" "$@" -nn >/dev/null 2>"$out.err" &
    PIDS+=($!)
    for _ in $(seq 200); do grep -q "listening on" "$out.err" 2>/dev/null && return; sleep 0.05; done
    echo "bench: tcpdump did not start:" >&2
    cat "$out.err" >&2
    exit 1
}

# run_one KIND K ROUND: appends "KIND K captured/dropped..." to results
run_one() {
    local kind=$1 k=$2 r=$3 i
    PIDS=()
    for ((i = 0; i < k; i++)); do
        local cpu=${CPU_LIST[$((i % ${#CPU_LIST[@]}))]} out=$WORK/$kind.$k.$r.$i
        if [ "$kind" = stock ]; then
            start_td "$out" "$cpu" -- "$TCPDUMP" -B 8192 -i b0
        elif [ "$i" -eq 0 ]; then
            start_td "$out" "$cpu" PFQ_GROUP=$GID "PFQ_COMPUTATION=ip >-> steer_flow" -- \
                "$BUILD/tools/pfq-run" "$TCPDUMP" -i pfq:b0
        else
            start_td "$out" "$cpu" PFQ_GROUP=$GID -- "$BUILD/tools/pfq-run" "$TCPDUMP" -i pfq
        fi
    done
    sleep 0.3
    $NSA "$BUILD/tools/pfq-gen" -i a0 -n "$COUNT" -f 256 -q -t 120 ${RATE:+-r "$RATE"} || true
    sleep 1 # the instances drain their rings
    for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" || true; done
    local line="$kind $k"
    for ((i = 0; i < k; i++)); do
        local e=$WORK/$kind.$k.$r.$i.err c d
        c=$(awk '/packets captured/{print $1}' "$e"); d=$(awk '/dropped by kernel/{print $1}' "$e")
        line="$line ${c:-0}/${d:-0}"
    done
    echo "$line" >>"$WORK/results"
}

echo "bench: $COUNT frames of 60 bytes per setup, 256 flows, ${RATE:-maximum} pps, $ROUNDS rounds," \
     "instances on CPUs $CPUS, $NCPU cores, $(uname -r), $("$TCPDUMP" --version 2>&1 | head -1)"
for r in $(seq "$ROUNDS"); do
    run_one stock 1 "$r"
    for k in $KS; do run_one pfq "$k" "$r"; done
done

python3 - "$WORK/results" "$COUNT" "${#CPU_LIST[@]}" "${RATE:-}" <<'PY'
import sys, statistics
count, ncpu, rate = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows.setdefault((f[0], int(f[1])), []).append([tuple(map(int, x.split("/"))) for x in f[2:]])
med = lambda xs: statistics.median(xs)
print(f"{'setup':<10} {'instance':>8} {'captured':>10} {'dropped':>10} {'dropped %':>9}")
total = {}
for (kind, k), runs in rows.items():
    for i in range(k):
        c = med(r[i][0] for r in runs); d = med(r[i][1] for r in runs)
        print(f"{kind + ('' if kind == 'stock' else ' K=' + str(k)):<10} {i:>8} {c:>10.0f} {d:>10.0f} "
              f"{100 * d / max(c + d, 1):>8.1f}%")
    c = med(sum(x[0] for x in r) for r in runs); d = med(sum(x[1] for x in r) for r in runs)
    total[(kind, k)] = c
    print(f"{'':<10} {'total':>8} {c:>10.0f} {d:>10.0f} {100 * d / max(c + d, 1):>8.1f}%")
stock = total.get(("stock", 1), 0)
for (kind, k), c in total.items():
    if kind != "pfq":
        continue
    goal = 0.9 * min(k, ncpu)
    r = f"{c / stock:.2f}" if stock else "n/a"
    print(f"pfq K={k} captured / stock captured: {r} (goal >= {goal:.2f}: 0.9 x min(K, {ncpu} CPUs))")
PY
