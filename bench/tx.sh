#!/usr/bin/env bash
# Transmission, side by side in one run: the same 60-byte UDP frame sent
# --count times on a veth of a private test host, the sender pinned to CPU
# 0, by
#   pfq sync        pfq-gen --pfq: pfq_send, every frame sent at once
#   pfq async B     pfq-gen --pfq --batch B: pfq_send_async, a sendmmsg per
#                   B frames (B = 16, 64, 256)
#   pfq thread      pfq-gen --pfq --batch 64 --tx-thread C: the socket's TX
#                   thread on the other CPU does the sending
#   trafgen         netsniff-ng's trafgen (PACKET_TX_RING, one process)
#   pcap stock      bench/pcap-tx: a pcap_inject loop on stock libpcap
#   pcap pfq        the same program on pfq:DEV through pfq-run
#                   (PFQ_TX_BATCH=64)
# Reported (medians over the rounds): frames the peer received, seconds,
# Mpps, and the CPU per frame of the sending process (user + system, all
# its threads; on veth the peer's receive runs in the sender's system time,
# the same for every sender). Goals: pfq's batched TX at least as fast as
# trafgen, and at least 2 x stock pcap_inject per CPU.
#
# Usage: bench/tx.sh [--count N] [--rounds R] [--build DIR]
set -euo pipefail

COUNT=1000000
ROUNDS=3
NAME=pfqtxbench
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
export PFQ_RUN_DIR=$WORK/run
for b in tools/pfq-gen tools/pfq-run bench/pcap-tx; do
    [ -x "$BUILD/$b" ] || { echo "bench: $BUILD/$b missing (build first)" >&2; exit 1; }
done
command -v trafgen >/dev/null || { echo "bench: trafgen not installed (scripts/deps.sh)" >&2; exit 1; }
TX_CPU=$((NCPU > 1 ? 1 : 0))
FRAME='0x02,0,0,0,0,0x02, 0x02,0,0,0,0,0x01, 0x08,0x00, 0x45,0,0,46, 0,0,0x40,0, 64,17,0,0, 10,200,0,1, 10,200,0,2, 0x03,0xe8,0x13,0x89, 0,26,0,0, fill(0, 18)'

rx_packets() { $NSB awk '$1 == "b0:" { print $3 }' /proc/net/dev; }

# run_one NAME COMMAND...: appends "NAME arrived seconds cpu_seconds" to results
run_one() {
    local name=$1 r0 r1 t0 t1 cpu
    shift
    r0=$(rx_packets)
    t0=$(date +%s%N)
    if ! $NSA taskset -c 0 "$BUILD/bench/cpu-run" "$@" >"$WORK/out" 2>"$WORK/err"; then
        echo "bench: $name failed:" >&2
        cat "$WORK/out" "$WORK/err" >&2
        exit 1
    fi
    t1=$(date +%s%N)
    sleep 0.2 # what is still on its way
    r1=$(rx_packets)
    cpu=$(awk '/^cpu-run:/ { print $3 + $5 }' "$WORK/err")
    echo "$name $((r1 - r0)) $(( (t1 - t0) / 1000 )) ${cpu:-0}" >>"$WORK/results"
}

GEN=("$BUILD/tools/pfq-gen" -i a0 -n "$COUNT" -t 600 -q)
echo "bench: $COUNT frames of 60 bytes per sender, $ROUNDS rounds, $NCPU cores, $(uname -r)"
for _ in $(seq "$ROUNDS"); do
    run_one "pfq-sync" "${GEN[@]}" --pfq
    run_one "pfq-async-16" "${GEN[@]}" --pfq --batch 16
    run_one "pfq-async-64" "${GEN[@]}" --pfq --batch 64
    run_one "pfq-async-256" "${GEN[@]}" --pfq --batch 256
    run_one "pfq-thread" "${GEN[@]}" --pfq --batch 64 --tx-thread "$TX_CPU"
    run_one "trafgen" trafgen -o a0 -n "$COUNT" -P 1 -Q --no-sock-mem -C "{ $FRAME }"
    run_one "pcap-stock" "$BUILD/bench/pcap-tx" a0 "$COUNT"
    run_one "pcap-pfq" env PFQ_TX_BATCH=64 "$BUILD/tools/pfq-run" "$BUILD/bench/pcap-tx" pfq:a0 "$COUNT"
done

python3 - "$WORK/results" "$COUNT" <<'PY'
import sys, statistics
count = int(sys.argv[2])
rows = {}
for line in open(sys.argv[1]):
    name, arrived, usec, cpu = line.split()
    rows.setdefault(name, []).append((int(arrived), int(usec) / 1e6, float(cpu)))
order = ["pfq-sync", "pfq-async-16", "pfq-async-64", "pfq-async-256", "pfq-thread", "trafgen", "pcap-stock", "pcap-pfq"]
med = {}
print(f"{'sender':<14} {'arrived':>9} {'seconds':>8} {'Mpps':>7} {'CPU ns/frame':>13}")
for n in order:
    v = rows.get(n)
    if not v:
        continue
    arrived = statistics.median(x[0] for x in v)
    secs = statistics.median(x[1] for x in v)
    mpps = statistics.median(count / x[1] / 1e6 for x in v if x[1] > 0)
    cpu = statistics.median(x[2] / count * 1e9 for x in v)
    med[n] = (mpps, cpu, arrived)
    print(f"{n:<14} {arrived:>9.0f} {secs:>8.3f} {mpps:>7.3f} {cpu:>13.0f}")

missing = [n for n in med if med[n][2] != count]
print("every frame of every sender arrived: " + ("yes" if not missing else "no: " + ", ".join(missing)))

def ratio(a, b):
    return f"{a / b:.2f}" if b else "n/a (too short to measure)"
batched = [n for n in ("pfq-async-64", "pfq-async-256", "pfq-thread") if n in med]
if batched and "trafgen" in med:
    for n in batched:
        print(f"{n} / trafgen, Mpps: {ratio(med[n][0], med['trafgen'][0])} (goal >= 1.00 for pfq's best)")
if "pfq-async-64" in med and "pcap-stock" in med:
    print(f"stock pcap_inject / pfq async 64, CPU per frame: {ratio(med['pcap-stock'][1], med['pfq-async-64'][1])} (goal >= 2.00)")
if "pcap-pfq" in med and "pcap-stock" in med:
    print(f"stock pcap_inject / pcap_inject on pfq (PFQ_TX_BATCH=64), CPU per frame: {ratio(med['pcap-stock'][1], med['pcap-pfq'][1])}")
PY
