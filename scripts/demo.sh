#!/usr/bin/env bash
# The main job on built-in test hosts: installs what it needs, builds, makes
# a private test host (two namespaces, two veth pairs), captures generated
# traffic with one PFQ socket bound to both capture devices (pfq-dump) while
# stock tcpdump watches each device, and shows what everyone received.
# Everything it creates is removed at the end, also on failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
scripts/deps.sh
echo "== building"
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo

NAME=pfqdemo$$
W=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    "$TOP/scripts/testhost.sh" destroy "$NAME"
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== test host $NAME: $NAME-a (a0, a1) <-veth-> $NAME-b (b0, b1)"
scripts/testhost.sh create "$NAME" --pairs 2
NSA="ip netns exec $NAME-a"
NSB="ip netns exec $NAME-b"

echo "== capturing: pfq-dump on b0:b1 (one PFQ socket), unmodified tcpdump on pfq:b0:b1"
echo "   (through pfq-run), and stock tcpdump on b0 and on b1"
$NSB build/tools/pfq-dump -i b0:b1 -s 128 >"$W/pfq.txt" 2>"$W/pfq.err" & PIDS+=($!)
$NSB build/tools/pfq-run tcpdump -n -i pfq:b0:b1 --immediate-mode -w "$W/pfq-tcpdump.pcap" \
    2>"$W/tdp.err" & PIDS+=($!)
$NSB tcpdump -n -i b0 -w "$W/b0.pcap" 2>"$W/td0.err" & PIDS+=($!)
$NSB tcpdump -n -i b1 -w "$W/b1.pcap" 2>"$W/td1.err" & PIDS+=($!)
for _ in $(seq 100); do
    grep -q "listening" "$W/td0.err" && grep -q "listening" "$W/td1.err" &&
        grep -q "listening" "$W/tdp.err" && break
    sleep 0.05
done
sleep 0.5

echo "== sending: 3000 UDP frames (64 flows) on a0, 1000 TCP frames with VLAN 42 on a1"
$NSA build/tools/pfq-gen -i a0 -n 3000 -f 64
$NSA build/tools/pfq-gen -i a1 -n 1000 -f 8 -p tcp --vlan 42 -l 128
sleep 0.5
for p in "${PIDS[@]}"; do kill -INT "$p"; done
wait "${PIDS[@]}" 2>/dev/null || true
PIDS=()

echo
echo "== first packets seen by pfq-dump"
head -5 "$W/pfq.txt"
echo "..."
echo
printf "%-28s %10s\n" "capture" "packets"
printf "%-28s %10s\n" "pfq-dump b0:b1 (PFQ socket)" "$(wc -l <"$W/pfq.txt")"
printf "%-28s %10s\n" "  of which on b0" "$(grep -c ' b0 ' "$W/pfq.txt" || true)"
printf "%-28s %10s\n" "  of which on b1 (VLAN 42)" "$(grep -c ' b1 .*vlan' "$W/pfq.txt" || true)"
printf "%-28s %10s\n" "tcpdump -i pfq:b0:b1 (pfq-run)" "$(tcpdump -r "$W/pfq-tcpdump.pcap" 2>/dev/null | wc -l)"
printf "%-28s %10s\n" "tcpdump b0 (stock libpcap)" "$(tcpdump -r "$W/b0.pcap" 2>/dev/null | wc -l)"
printf "%-28s %10s\n" "tcpdump b1 (stock libpcap)" "$(tcpdump -r "$W/b1.pcap" 2>/dev/null | wc -l)"
echo
echo "pfq-dump: $(tail -1 "$W/pfq.err")"
