#!/usr/bin/env bash
# The same traffic captured by stock tcpdump (libpcap) and by pfq-dump (a
# PFQ socket) on the same device gives identical packets: bytes, lengths,
# VLAN tags and order. Compared through `tcpdump -r -xx` without timestamps.
# Usage: test_fidelity.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
S=$1 B=$2
NAME=pfqt$$-fid
W=$(mktemp -d)
cleanup() {
    kill -INT "${TD:-}" "${PD:-}" 2>/dev/null || true
    "$S/scripts/testhost.sh" destroy "$NAME"
    rm -rf "$W"
}
trap cleanup EXIT
"$S/scripts/testhost.sh" create "$NAME"
NSA="ip netns exec $NAME-a"
NSB="ip netns exec $NAME-b"

$NSB tcpdump -n -i b0 -s 0 -w "$W/stock.pcap" 2>"$W/td.err" & TD=$!
$NSB "$B/tools/pfq-dump" -i b0 -w "$W/pfq.pcap" 2>"$W/pd.err" & PD=$!
for _ in $(seq 100); do grep -q "listening on" "$W/td.err" && break; sleep 0.05; done
sleep 0.5
gen() { $NSA "$B/tools/pfq-gen" -i a0 -q "$@"; }
gen -n 200 -f 40
gen -n 50 -p tcp -l 1514 -f 5
gen -n 50 --vlan 42 -f 3
gen -n 30 -6 -p icmp -l 200
gen -n 20 -l 9000 || true   # larger than the MTU: refused by the device
gen -n 10 --vlan 0 -p tcp
sleep 0.5
kill -INT "$TD" "$PD"
wait "$TD" "$PD" || true
TD= PD=
tcpdump -r "$W/stock.pcap" -nn -xx -t -e >"$W/stock.txt" 2>/dev/null
tcpdump -r "$W/pfq.pcap" -nn -xx -t -e >"$W/pfq.txt" 2>/dev/null
n_stock=$(grep -c '^[0-9a-f]' "$W/stock.txt" || true)
n_pfq=$(grep -c '^[0-9a-f]' "$W/pfq.txt" || true)
echo "stock tcpdump: $n_stock packets, pfq-dump: $n_pfq packets"
if [ "$n_stock" -ne 340 ] || ! diff -q "$W/stock.txt" "$W/pfq.txt" >/dev/null; then
    diff "$W/stock.txt" "$W/pfq.txt" | head -20
    echo "0 passed, 1 failed"
    exit 1
fi
grep -c "vlan 42" "$W/pfq.txt" | grep -qx 50 || { echo "VLAN tags missing"; exit 1; }
echo "1 passed, 0 failed"
