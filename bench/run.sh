#!/usr/bin/env bash
# Capture benchmark: the same bulk traffic (64-byte frames on the wire,
# fixed count) over a veth pair of a private test host, received in turn by
#   pfq      a PFQ socket reader (bench/pfq-rx, pfq_dispatch counting)
#   libpcap  a stock libpcap reader (bench/pcap-rx, pcap_loop counting)
#   tcpdump  Debian's tcpdump -w /dev/null
# in interleaved rounds of one run. For each reader: packets received and
# lost, the reader's own CPU (user+sys from wait4) per packet, the whole
# machine's busy CPU per packet (/proc/stat: generator, softirq receive path
# and reader together), and the ratios to libpcap. Medians over the rounds.
#
# Usage: bench/run.sh [--count N] [--rounds R] [--build DIR]
set -euo pipefail

COUNT=2000000
ROUNDS=3
NAME=pfqbench
NEED_TCPDUMP=1
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
TCPDUMP=$(command -v tcpdump)

# run_one READER ROUND: start the reader in B, send COUNT frames from A,
# stop the reader; append "reader recv lost cpu_s busy_s" to results.
run_one() {
    local reader=$1 out=$WORK/$1.$2
    local cmd
    case $reader in
        pfq) cmd=("$BUILD/bench/pfq-rx" b0 262144 1024) ;;
        libpcap) cmd=("$BUILD/bench/pcap-rx" b0 65535) ;;
        tcpdump) cmd=("$TCPDUMP" -n -i b0 -w /dev/null) ;;
    esac
    $NSB taskset -c $RX_CPU "$BUILD/bench/cpu-run" "${cmd[@]}" >"$out.out" 2>"$out.err" &
    local pid=$!
    for _ in $(seq 100); do
        grep -qE "^ready|listening on" "$out.out" "$out.err" 2>/dev/null && break
        sleep 0.05
    done
    sleep 0.2
    local t0 t1
    t0=$(busy_ticks)
    $NSA taskset -c 0 "$BUILD/tools/pfq-gen" -i a0 -n "$COUNT" -f 256 -q -t 120
    sleep 0.5 # let the last blocks retire and the reader drain
    t1=$(busy_ticks)
    kill -INT "$pid" 2>/dev/null || true
    # cpu-run forwards the signal to the reader
    wait "$pid" || true
    local recv lost
    if [ "$reader" = tcpdump ]; then
        recv=$(awk '/packets captured/{print $1}' "$out.err")
        lost=$(awk '/dropped by kernel/{print $1}' "$out.err")
    else
        recv=$(awk '/^recv/{print $2}' "$out.out")
        lost=$(awk '/^recv/{print $4}' "$out.out")
    fi
    local cpu
    cpu=$(awk '/^cpu-run:/{print $3+$5}' "$out.err")
    local hz
    hz=$(getconf CLK_TCK)
    echo "$reader ${recv:-0} ${lost:-0} ${cpu:-0} $(( (t1 - t0) ))" "$hz" >>"$WORK/results"
}

echo "bench: $COUNT frames of 60 bytes (64 on the wire) per reader, $ROUNDS rounds, $(nproc) cores, $(uname -r)"
for r in $(seq "$ROUNDS"); do
    for reader in pfq libpcap tcpdump; do
        run_one "$reader" "$r"
    done
done

# medians and the table
python3 - "$WORK/results" "$COUNT" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    r, recv, lost, cpu, ticks, hz = line.split()
    rows.setdefault(r, []).append((int(recv), int(lost), float(cpu), int(ticks) / int(hz)))
count = int(sys.argv[2])
med = {}
for r, v in rows.items():
    med[r] = dict(recv=statistics.median(x[0] for x in v), lost=statistics.median(x[1] for x in v),
                  cpu=statistics.median(x[2] / max(x[0], 1) * 1e9 for x in v),
                  busy=statistics.median(x[3] / count * 1e9 for x in v))
base = med.get("libpcap")
print(f"{'reader':<9} {'received':>10} {'lost':>8} {'reader ns/pkt':>14} {'machine ns/pkt':>15} {'reader ratio':>13} {'machine ratio':>14}")
for r in ("pfq", "libpcap", "tcpdump"):
    if r not in med: continue
    m = med[r]
    rr = m["cpu"] / base["cpu"] if base and base["cpu"] else float("nan")
    mr = m["busy"] / base["busy"] if base and base["busy"] else float("nan")
    print(f"{r:<9} {m['recv']:>10.0f} {m['lost']:>8.0f} {m['cpu']:>14.1f} {m['busy']:>15.1f} {rr:>13.2f} {mr:>14.2f}")
# a short run can see no clock tick at all (/proc/stat counts in 1/HZ): say so, never divide by 0
def ratio(a, b):
    return f"{a / b:.2f}" if b else "n/a (too short to measure)"
if "pfq" in med and base:
    print(f"pfq/libpcap: reader CPU {ratio(med['pfq']['cpu'], base['cpu'])}, machine CPU {ratio(med['pfq']['busy'], base['busy'])}, lost {med['pfq']['lost']:.0f} vs {base['lost']:.0f}")
PY
