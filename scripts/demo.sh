#!/usr/bin/env bash
# The main job on built-in test hosts: installs what it needs, builds, makes
# a private test host (two namespaces, two veth pairs) and runs
#  1. the seed's load-balancing example: a master tcpdump sets the group's
#     computation and devices, three more tcpdump instances join the group;
#     the flows are split among the four; shows what each received and the
#     group's stats and counters (pfq-stat);
#  2. one PFQ socket on two devices (pfq-dump) and tcpdump on pfq:b0:b1 next
#     to stock tcpdump on each device.
# Everything it creates is removed at the end, also on failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
scripts/deps.sh
echo "== building"
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo

NAME=pfqdemo$$
W=$(mktemp -d)
chmod 755 "$W" # tcpdump writes its files after dropping to user tcpdump
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

# the group registry of this demo (groups never mix with other PFQ users)
export PFQ_RUN_DIR=$W/run
listening() { for _ in $(seq 100); do grep -q "listening" "$1" 2>/dev/null && return; sleep 0.05; done; }

echo
echo "== 1. load balancing (the seed's example, unmodified Debian tcpdump through pfq-run)"
echo "   master:    PFQ_GROUP=42 PFQ_COMPUTATION='ip >-> when is_udp (inc 1) >-> when is_tcp (inc 2 >-> log_packet) >-> steer_flow' tcpdump -n -i pfq:b0:b1"
echo "   3 more:    PFQ_GORUP=42 tcpdump -n -i pfq"
PFQ_GROUP=42 PFQ_COMPUTATION='ip >-> when is_udp (inc 1) >-> when is_tcp (inc 2 >-> log_packet) >-> steer_flow' \
    $NSB build/tools/pfq-run tcpdump -n -i pfq:b0:b1 -w "$W/lb0.pcap" 2>"$W/lb0.err" & PIDS+=($!)
listening "$W/lb0.err"
for i in 1 2 3; do
    PFQ_GORUP=42 $NSB build/tools/pfq-run tcpdump -n -i pfq -w "$W/lb$i.pcap" 2>"$W/lb$i.err" & PIDS+=($!)
    listening "$W/lb$i.err"
done
sleep 0.3
echo "== sending: 6000 UDP frames (500 flows) on a0, 2000 TCP frames (100 flows) on a1"
$NSA build/tools/pfq-gen -i a0 -n 6000 -f 500
$NSA build/tools/pfq-gen -i a1 -n 2000 -f 100 -p tcp --src 10.9.0.1
sleep 1
echo "== the group, as pfq-stat shows it"
$NSB build/tools/pfq-stat --once
for p in "${PIDS[@]}"; do kill -INT "$p"; done
wait "${PIDS[@]}" 2>/dev/null || true
PIDS=()
printf "%-34s %8s %8s\n" "tcpdump instance" "packets" "flows"
total=0
for i in 0 1 2 3; do
    n=$(tcpdump -r "$W/lb$i.pcap" -nn 2>/dev/null | wc -l)
    f=$(tcpdump -r "$W/lb$i.pcap" -nn -q 2>/dev/null | awk '{ print $3, $5, $6 }' | sort -u | wc -l)
    total=$((total + n))
    printf "%-34s %8s %8s\n" "$([ $i = 0 ] && echo "master  -i pfq:b0:b1" || echo "member$i -i pfq")" "$n" "$f"
done
printf "%-34s %8s %8s\n" "together (8000 sent)" "$total" ""
shared=$(for i in 0 1 2 3; do tcpdump -r "$W/lb$i.pcap" -nn -q 2>/dev/null |
    awk -v i=$i '{ print $3, $5, $6, i }' | sort -u; done | awk '{ print $1, $2, $3 }' | sort | uniq -d | wc -l)
echo "flows seen by more than one instance: $shared"

echo
echo "== 2. one PFQ socket on two devices"
echo "== capturing: pfq-dump on b0:b1 (one PFQ socket), unmodified tcpdump on pfq:b0:b1"
echo "   (through pfq-run), and stock tcpdump on b0 and on b1"
$NSB build/tools/pfq-dump -i b0:b1 -s 128 >"$W/pfq.txt" 2>"$W/pfq.err" & PIDS+=($!)
$NSB build/tools/pfq-run tcpdump -n -i pfq:b0:b1 --immediate-mode -w "$W/pfq-tcpdump.pcap" \
    2>"$W/tdp.err" & PIDS+=($!)
$NSB tcpdump -n -i b0 -w "$W/b0.pcap" 2>"$W/td0.err" & PIDS+=($!)
$NSB tcpdump -n -i b1 -w "$W/b1.pcap" 2>"$W/td1.err" & PIDS+=($!)
listening "$W/td0.err"; listening "$W/td1.err"; listening "$W/tdp.err"
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
