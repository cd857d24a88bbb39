#!/usr/bin/env bash
# Group benchmark: the same bulk traffic (64-byte frames, 256 flows) over a
# veth pair of a private test host, received by N = 1, 2, 4 readers at once:
#   pfq      N members of one PFQ group with `steer_flow` (each gets a share)
#   libpcap  N stock libpcap readers on the device (each gets everything)
# plus a round with no reader at all (the generator and the stack alone).
# Reported per setup (medians over the rounds): packets delivered in total
# and per reader, lost, and the kernel receive-path cost per packet: the
# whole machine's busy CPU minus the no-reader baseline minus the readers'
# own CPU (what the filters, ring copies and wake-ups add per packet).
#
# Usage: bench/groups.sh [--count N] [--rounds R] [--build DIR]
set -euo pipefail

COUNT=1000000
ROUNDS=3
NAME=pfqgbench
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
export PFQ_RUN_DIR=$WORK/run
HZ=$(getconf CLK_TCK)
GID=7

# user+system ticks of processes (the readers, children of cpu-run)
proc_ticks() {
    local t=0 p
    for p in "$@"; do
        [ -r "/proc/$p/stat" ] || continue
        t=$((t + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
    done
    echo "$t"
}

# run_one KIND N ROUND: N readers of KIND (none, pfq, libpcap); appends
# "KIND N delivered lost reader_cpu_s busy_ticks" to results
run_one() {
    local kind=$1 n=$2 r=$3 pids=() i
    for ((i = 0; i < n; i++)); do
        local out=$WORK/$kind.$n.$r.$i cmd
        case $kind in
            pfq) cmd=("$BUILD/bench/pfq-rx" b0 128 16384 $GID) ;;
            libpcap) cmd=("$BUILD/bench/pcap-rx" b0 128) ;;
        esac
        $NSB taskset -c $RX_CPU "$BUILD/bench/cpu-run" "${cmd[@]}" >"$out.out" 2>"$out.err" &
        pids+=($!)
        for _ in $(seq 100); do grep -q "^ready" "$out.out" 2>/dev/null && break; sleep 0.05; done
    done
    sleep 0.2
    local t0 t1 r0 r1 readers=()
    for p in "${pids[@]}"; do readers+=($(pgrep -P "$p" || true)); done
    t0=$(busy_ticks); r0=$(proc_ticks "${readers[@]}")
    $NSA taskset -c 0 "$BUILD/tools/pfq-gen" -i a0 -n "$COUNT" -f 256 -q -t 120
    sleep 0.5
    t1=$(busy_ticks); r1=$(proc_ticks "${readers[@]}")
    for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" || true; done
    local recv=0 lost=0 per="" cpu
    # the readers' CPU inside the traffic window (not their start-up)
    cpu=$(python3 -c "print(($r1 - $r0) / $HZ)")
    for ((i = 0; i < n; i++)); do
        local out=$WORK/$kind.$n.$r.$i
        local a b
        a=$(awk '/^recv/{print $2}' "$out.out"); b=$(awk '/^recv/{print $4}' "$out.out")
        recv=$((recv + ${a:-0})); lost=$((lost + ${b:-0}))
        per="$per${per:+/}${a:-0}"
    done
    echo "$kind $n $recv $lost $cpu $((t1 - t0)) $per" >>"$WORK/results"
}

echo "bench: $COUNT frames of 60 bytes per setup, 256 flows, $ROUNDS rounds, $NCPU cores, $(uname -r)"
for r in $(seq "$ROUNDS"); do
    run_one none 0 "$r"
    for n in 1 2 4; do
        run_one pfq "$n" "$r"
        run_one libpcap "$n" "$r"
    done
done

python3 - "$WORK/results" "$COUNT" "$HZ" <<'PY'
import sys, statistics
count, hz = int(sys.argv[2]), int(sys.argv[3])
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    kind, n, recv, lost, cpu, ticks = f[0], int(f[1]), int(f[2]), int(f[3]), float(f[4]), int(f[5])
    per = f[6] if len(f) > 6 else ""
    rows.setdefault((kind, n), []).append((recv, lost, cpu, ticks / hz, per))
base = statistics.median(x[3] for x in rows[("none", 0)]) / count * 1e9
print(f"baseline (generator + stack, no reader): {base:.0f} ns/pkt of machine CPU")
print(f"{'readers':<12} {'delivered':>10} {'per reader':>26} {'lost':>7} {'kernel ns/pkt':>14} {'vs N=1':>7}")
res = {}
for kind in ("pfq", "libpcap"):
    for n in (1, 2, 4):
        v = rows.get((kind, n))
        if not v: continue
        recv = statistics.median(x[0] for x in v)
        lost = statistics.median(x[1] for x in v)
        kern = statistics.median((x[3] - x[2]) / count * 1e9 - base for x in v)
        res[(kind, n)] = kern
        per = v[len(v) // 2][4]
        rel = kern / res[(kind, 1)] if res.get((kind, 1)) else float("nan")
        print(f"{kind + ' N=' + str(n):<12} {recv:>10.0f} {per:>26} {lost:>7.0f} {kern:>14.0f} {rel:>7.2f}")
for n in (1, 2, 4):
    if (("pfq", n) in res) and (("libpcap", n) in res) and res[("libpcap", n)] > 0:
        print(f"N={n}: pfq/libpcap kernel cost {res[('pfq', n)] / res[('libpcap', n)]:.2f}")
PY
