#!/usr/bin/env bash
# pcap_inject / pcap_sendpacket of an unmodified libpcap program on a pfq
# device go through libpfq's TX queue: what stock tcpdump captures on the
# peer is byte for byte and in order what the same program sends with stock
# libpcap; batches (PFQ_TX_BATCH) are flushed at pcap_close, with and
# without a TX thread (PFQ_TX_NODE); bad TX settings fail cleanly (a bad
# PFQ_TX_QUEUE already at pcap_activate).
# Usage: test_pcap_inject.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
S=$1 B=$2
NAME=pfqt$$-inj
. "$(dirname "$0")/pcap_host.sh"
INJ=$B/tests/pcap_inject
N=200

# capture OUT ENV... -- INJECTOR ARGS...: stock tcpdump on b0 takes what
# the injector sends on side A
capture() {
    local out=$1 envs=()
    shift
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    $NSB timeout -s INT 30 tcpdump -n -i b0 -s 0 -c $N -w "$W/$out.pcap" udp port 5000 \
        2>"$W/$out.err" & local td=$!
    wait_listening "$W/$out.err"; sleep 0.2
    if ! $NSA env "${envs[@]}" timeout 30 "$@" >"$W/$out.out" 2>&1; then
        bad "$out: injector failed: $(cat "$W/$out.out")"
    fi
    wait $td 2>/dev/null
    tcpdump -r "$W/$out.pcap" -nn -xx -t -e >"$W/$out.txt" 2>/dev/null
}

capture stock X=1 -- "$INJ" a0 $N
n=$(grep -c '^[0-9a-f]' "$W/stock.txt")
[ "$n" -eq $N ] && ok || bad "stock: $n of $N captured"

for run in "sync" "batch PFQ_TX_BATCH=16 PFQ_TX_SLOTS=64" "thread PFQ_TX_BATCH=8 PFQ_TX_NODE=0" \
           "full PFQ_TX_BATCH=1000 PFQ_TX_SLOTS=4" "queue PFQ_TX_QUEUE=0 PFQ_TX_BATCH=4"; do
    read -r name envs <<<"$run"
    # shellcheck disable=SC2086
    capture "$name" X=1 $envs -- "$RUN" "$INJ" pfq:a0 $N
    if diff -q "$W/stock.txt" "$W/$name.txt" >/dev/null; then ok; else
        bad "$name: capture differs from stock ($(grep -c '^[0-9a-f]' "$W/$name.txt") packets)"
        diff "$W/stock.txt" "$W/$name.txt" | head -4; cat "$W/$name.out"
    fi
done

# bad settings: a clear error from pcap_geterr, nothing sent
expect_err "has 1 TX queues" $NSA env PFQ_TX_QUEUE=1 "$RUN" "$INJ" pfq:a0 1
expect_err "tx_slots is 0" $NSA env PFQ_TX_SLOTS=0 "$RUN" "$INJ" pfq:a0 1
expect_err "CPU 4000" $NSA env PFQ_TX_NODE=4000 "$RUN" "$INJ" pfq:a0 1
# a TX queue asked for is checked when the device opens: a capture tool
# that never injects hears of a bad one too, at once
expect_err "has 1 TX queues" $NSA env PFQ_TX_QUEUE=1 "$RUN" tcpdump -c 1 -i pfq:a0
finish
