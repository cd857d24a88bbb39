#!/usr/bin/env bash
# Group benchmark: the same bulk traffic (64-byte frames, 256 flows) over a
# veth pair of a private test host, received by N readers at once:
#   pfq N      N members of one PFQ group with `steer_flow` (each gets a share)
#   libpcap N  N stock libpcap readers on the device (each gets everything)
# plus a round with no reader at all (the generator and the stack alone).
# All readers share one core (the kernel cost per packet is measured, not
# the readers' speed). Reported per setup (medians over the rounds):
# packets delivered in total and the least and most one reader got, lost,
# and the kernel receive-path cost per packet: the CPU time of the
# generator (whose sends run the veth receive path, softirq included, in
# its own context) and of the ksoftirqd threads, minus the same with no
# reader (what the filters, programs, ring copies and wake-ups add per
# packet). Clocks: the tasks' own run time in ns (wait4 rusage, schedstat),
# not the machine's tick-sampled busy time, which counted every other
# process on the machine and moved by 10 ms a read. With perf installed
# (the default; --no-perf turns it off), the kernel cost is instead the
# time sampled under the AF_PACKET receive handlers (bench/perf-taps.py):
# the capture's own work, with no baseline to subtract, which is what
# keeps it steady on a shared or virtual machine. Then the
# ratios the group design is judged by: pfq N=1 against one stock reader,
# pfq N against pfq N=1, pfq N against N stock readers; and a PNG of kernel
# ns/packet against N (gnuplot), next to the table.
#
# Usage: bench/groups.sh [--count N] [--rounds R] [--members "1 2 4 8 16"]
#                        [--plot FILE.png] [--build DIR] [--no-perf]
set -euo pipefail

COUNT=2000000
ROUNDS=5
MEMBERS="1 2 4 8 16"
PLOT=groups.png
NAME=pfqgbench
# perf's sampling rate (cpu-clock, Hz) for the time under the taps
PERF_FREQ=2000
PERF=perf
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
export PFQ_RUN_DIR=$WORK/run
[ -z "$PERF" ] || command -v perf >/dev/null || PERF=
GID=7

# run time so far in ns of tasks (the first field of /proc/PID/schedstat:
# exact, and it includes softirq work done in the task's context)
run_ns() {
    local t=0 p
    for p in "$@"; do
        [ -r "/proc/$p/schedstat" ] || continue
        t=$((t + $(cut -d' ' -f1 "/proc/$p/schedstat")))
    done
    echo "$t"
}
# the threads that run the softirqs the generator's context leaves over
SOFTIRQD=$(pgrep -x 'ksoftirqd/[0-9]+' | tr '\n' ' ')

# run_one KIND N ROUND: N readers of KIND (none, pfq, libpcap); appends
# "KIND N delivered lost reader_cpu_s kernel_cpu_s taps_ns per-reader"
# to results (taps_ns: "-" without perf)
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
    local s0 s1 r0 r1 gen readers=()
    for p in "${pids[@]}"; do readers+=($(pgrep -P "$p" || true)); done
    # SOFTIRQD unquoted: one word per thread
    # shellcheck disable=SC2086
    s0=$(run_ns $SOFTIRQD); r0=$(run_ns "${readers[@]}")
    local rec=()
    [ -z "$PERF" ] || rec=(perf record -q -e cpu-clock -F "$PERF_FREQ" -a -g -o "$WORK/perf.data" --)
    "${rec[@]}" $NSA taskset -c 0 "$BUILD/bench/cpu-run" "$BUILD/tools/pfq-gen" -i a0 -n "$COUNT" \
        -f 256 -q -t 120 2>"$WORK/gen.err"
    sleep 0.5
    # shellcheck disable=SC2086
    s1=$(run_ns $SOFTIRQD); r1=$(run_ns "${readers[@]}")
    gen=$(awk '/^cpu-run:/{print $3 + $5}' "$WORK/gen.err")
    for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" || true; done
    local recv=0 lost=0 per="" cpu kern taps=-
    if [ -n "$PERF" ]; then
        taps=$(perf script -i "$WORK/perf.data" -F comm,period,ip,sym 2>/dev/null |
               python3 "$HERE/perf-taps.py" "$COUNT")
        rm -f "$WORK/perf.data"
    fi
    # the readers' CPU inside the traffic window (not their start-up)
    cpu=$(python3 -c "print(($r1 - $r0) / 1e9)")
    kern=$(python3 -c "print(${gen:-0} + ($s1 - $s0) / 1e9)")
    for ((i = 0; i < n; i++)); do
        local out=$WORK/$kind.$n.$r.$i
        local a b
        a=$(awk '/^recv/{print $2}' "$out.out"); b=$(awk '/^recv/{print $4}' "$out.out")
        recv=$((recv + ${a:-0})); lost=$((lost + ${b:-0}))
        per="$per${per:+/}${a:-0}"
    done
    echo "$kind $n $recv $lost $cpu $kern $taps $per" >>"$WORK/results"
}

echo "bench: $COUNT frames of 60 bytes per setup, 256 flows, $ROUNDS rounds, N = $MEMBERS," \
     "$NCPU cores, $(uname -r)"
if [ -n "$PERF" ]; then
    echo "kernel ns/pkt: time under the packet taps (perf cpu-clock at $PERF_FREQ Hz, its overhead included)"
else
    echo "kernel ns/pkt: generator and softirq CPU minus the no-reader baseline (no perf)"
fi
for r in $(seq "$ROUNDS"); do
    run_one none 0 "$r"
    run_one libpcap 1 "$r"
    for n in $MEMBERS; do
        run_one pfq "$n" "$r"
        [ "$n" -eq 1 ] || run_one libpcap "$n" "$r"
    done
done

python3 - "$WORK/results" "$COUNT" "$MEMBERS" "$WORK/plot.dat" <<'PY'
import sys, statistics
count = int(sys.argv[2])
members = sorted({int(x) for x in sys.argv[3].split()})
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    kind, n, recv, lost, cpu, kern = f[0], int(f[1]), int(f[2]), int(f[3]), float(f[4]), float(f[5])
    taps = None if f[6] == "-" else float(f[6])
    per = [int(x) for x in f[7].split("/")] if len(f) > 7 else [0]
    rows.setdefault((kind, n), []).append((recv, lost, cpu, kern, per, taps))
base = statistics.median(x[3] for x in rows[("none", 0)]) / count * 1e9
print(f"baseline (generator + stack, no reader): {base:.0f} ns/pkt of CPU")
print(f"{'readers':<12} {'delivered':>10} {'least':>9} {'most':>9} {'lost':>8} {'kernel ns/pkt':>14}")
res = {}
for kind in ("pfq", "libpcap"):
    for n in [1] + members:
        v = rows.get((kind, n))
        if not v or (kind, n) in res:
            continue
        recv = statistics.median(x[0] for x in v)
        lost = statistics.median(x[1] for x in v)
        least = statistics.median(min(x[4]) for x in v)
        most = statistics.median(max(x[4]) for x in v)
        if v[0][5] is not None:
            kern = statistics.median(x[5] for x in v)
        else:
            kern = statistics.median(x[3] / count * 1e9 - base for x in v)
        res[(kind, n)] = kern
        print(f"{kind + ' N=' + str(n):<12} {recv:>10.0f} {least:>9.0f} {most:>9.0f} {lost:>8.0f} {kern:>14.0f}")

def ratio(a, b):
    # too little CPU measured for a ratio (a short run): say so
    if a not in res or b not in res or res[b] <= 0:
        return "n/a (too little CPU measured; raise --count)"
    return f"{res[a] / res[b]:.2f}"

print(f"pfq N=1 / 1 stock reader: {ratio(('pfq', 1), ('libpcap', 1))} (goal <= 1.10)")
for n in members:
    if n > 1:
        print(f"pfq N={n} / pfq N=1: {ratio(('pfq', n), ('pfq', 1))} (goal <= 1.15); "
              f"pfq N={n} / {n} stock readers: {ratio(('pfq', n), ('libpcap', n))}")
with open(sys.argv[4], "w") as out:
    for n in members:
        out.write(f"{n} {res.get(('pfq', n), 0):.1f} {res.get(('libpcap', n), 0):.1f} "
                  f"{res.get(('libpcap', 1), 0):.1f}\n")
PY
if [ -n "$PLOT" ]; then
    if command -v gnuplot >/dev/null; then
        gnuplot <<GP
set terminal pngcairo size 800,500 noenhanced
set output "$PLOT"
set title "Kernel receive-path cost per packet, $(nproc) cores, $(uname -r), $(date +%Y-%m-%d)"
set xlabel "readers N"
set ylabel "kernel ns/packet"
set logscale x 2
set key top left
set grid
plot "$WORK/plot.dat" using 1:2 with linespoints lw 2 title "pfq group of N (steer_flow)", \
     "$WORK/plot.dat" using 1:3 with linespoints lw 2 title "N stock libpcap readers", \
     "$WORK/plot.dat" using 1:4 with lines dt 2 title "one stock libpcap reader"
GP
        echo "plot: $PLOT"
    else
        echo "plot: gnuplot not installed (scripts/deps.sh), none written"
    fi
fi
