#!/usr/bin/env bash
# The seed's load-balancing example, verbatim, with Debian's tcpdump:
#   PFQ_GROUP=42 PFQ_COMPUTATION=steer_flow tcpdump -n -i pfq:b0:b1   (master)
#   PFQ_GORUP=42 tcpdump -n -i pfq                                    (x 3)
# Their captures together hold every packet once, each flow in one capture.
# Also: pcap_setfilter becomes the group's filter, pfq-stat shows the group,
# and group errors reach tcpdump's and dumpcap's messages and exit status;
# jumbo frames go through a steering group.
# Usage: test_pcap_groups.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
S=$1 B=$2
NAME=pfqt$$-pgrp
. "$(dirname "$0")/pcap_host.sh"
export PFQ_RUN_DIR=$W/run # a registry of our own

# 1. the master binds the group and sets the computation; three instances join
PFQ_GROUP=42 PFQ_COMPUTATION=steer_flow $NSB timeout -s INT 60 "$RUN" tcpdump -n -i pfq:b0:b1 \
    -w "$W/m.pcap" 2>"$W/m.err" & M=$!
wait_listening "$W/m.err"
PIDS=()
for i in 1 2 3; do
    PFQ_GORUP=42 $NSB timeout -s INT 60 "$RUN" tcpdump -n -i pfq -w "$W/i$i.pcap" 2>"$W/i$i.err" &
    PIDS+=($!)
    wait_listening "$W/i$i.err"
done
sleep 0.3
$NSB "$B/tools/pfq-stat" --json --once >"$W/stat.json" 2>&1
# pcap_lookupnet on a group's pfq device: the network of its first bound device
out=$(PFQ_GROUP=42 $NSB "$RUN" "$B/tests/pcap_calls" lookupnet pfq 2>&1)
[ "$out" = "lookupnet: 0 net 10.77.0.0 mask 255.255.255.0" ] && ok || bad "lookupnet of group 42: $out"
gen -i a0 -n 2000 -f 400
gen -i a1 -n 1000 -f 200 -p tcp
sleep 1
$NSB "$B/tools/pfq-stat" --once >"$W/stat.txt" 2>&1
kill -INT $M "${PIDS[@]}"; wait $M "${PIDS[@]}" 2>/dev/null
{ flows "$W/m.pcap" m; for i in 1 2 3; do flows "$W/i$i.pcap" "i$i"; done; } >"$W/all.txt"
total=$(wc -l <"$W/all.txt")
split=$(awk '{ print $2, $1 }' "$W/all.txt" | sort -u | awk '{ print $1 }' | uniq -d | wc -l)
nflows=$(awk '{ print $2 }' "$W/all.txt" | sort -u | wc -l)
busy=0
for f in m i1 i2 i3; do
    n=$(grep -c "^$f " "$W/all.txt"); echo "  $f: $n packets"
    [ "$n" -gt 300 ] && busy=$((busy + 1))
done
[ "$total" -eq 3000 ] && ok || { bad "load balancing: $total packets in all captures, not 3000"; cat "$W"/*.err; }
[ "$nflows" -eq 600 ] && [ "$split" -eq 0 ] && ok || bad "load balancing: $nflows flows, $split split across instances"
[ "$busy" -eq 4 ] && ok || bad "load balancing: only $busy instances took a fair part"
grep -q '"gid":42' "$W/stat.json" && grep -q '"computation":"steer_flow"' "$W/stat.json" &&
    [ "$(grep -o '"pid"' "$W/stat.json" | wc -l)" -eq 4 ] && ok || { bad "pfq-stat --json"; cat "$W/stat.json"; }
grep -q "recv 3[0-9][0-9][0-9]" "$W/stat.txt" && ok || { bad "pfq-stat text"; cat "$W/stat.txt"; }

# 2. pcap_setfilter installs the group's filter: it applies to every member;
# an instance without an expression leaves it, one with another replaces it
# for all (the last one set wins, as in the original)
PFQ_GROUP=43 $NSB timeout -s INT 60 "$RUN" tcpdump -n -i pfq:b0 -w "$W/f1.pcap" tcp 2>"$W/f1.err" & F1=$!
wait_listening "$W/f1.err"
PFQ_GROUP=43 $NSB timeout -s INT 60 "$RUN" tcpdump -n -i pfq -w "$W/f2.pcap" 2>"$W/f2.err" & F2=$!
wait_listening "$W/f2.err"; sleep 0.3
gen -i a0 -n 300 -f 30 -p tcp
gen -i a0 -n 200 -f 20 -p udp
sleep 1
ODD='tcp and (tcp[0:2] & 1) = 1'
PFQ_GROUP=43 $NSB timeout -s INT 60 "$RUN" tcpdump -n -i pfq -w "$W/f3.pcap" "$ODD" \
    2>"$W/f3.err" & F3=$!
wait_listening "$W/f3.err"; sleep 0.3
gen -i a0 -n 300 -f 30 -p tcp
sleep 1
kill -INT $F1 $F2 $F3; wait $F1 $F2 $F3 2>/dev/null
n1=$(tcpdump -r "$W/f1.pcap" -nn 2>/dev/null | wc -l)
n2=$(tcpdump -r "$W/f2.pcap" -nn 2>/dev/null | wc -l)
u=$(tcpdump -r "$W/f2.pcap" -nn udp 2>/dev/null | wc -l)
n3=$(tcpdump -r "$W/f3.pcap" -nn 2>/dev/null | wc -l)
even=$(tcpdump -r "$W/f3.pcap" -nn "not ($ODD)" 2>/dev/null | wc -l)
# no computation: the group copies to every member; first TCP only (300),
# then the third's odd source ports only, in all three
[ "$u" -eq 0 ] && [ "$even" -eq 0 ] && [ "$n3" -gt 0 ] && [ "$n3" -lt 300 ] &&
    [ "$n1" -eq $((300 + n3)) ] && [ "$n2" -eq $((300 + n3)) ] && ok ||
    { bad "group filter: $n1, $n2 and $n3 packets, $u udp, $even not odd"
      cat "$W/f1.err" "$W/f2.err" "$W/f3.err"; }

# 3. PFQ_VLAN: the group's VLAN filter (tags stripped by the kernel)
PFQ_GROUP=45 PFQ_VLAN=7,9 $NSB timeout -s INT 60 "$RUN" tcpdump -n -i pfq:b0 -w "$W/v.pcap" 2>"$W/v.err" & V=$!
wait_listening "$W/v.err"; sleep 0.3
send_vlan_mix
sleep 1
kill -INT $V; wait $V 2>/dev/null
check_vlans_7_9 "$W/v.pcap" "PFQ_VLAN" "$W/v.err"

# 4. pfq-dump members of a group: their shares make the whole traffic
# until n members of group g are active
wait_active() {
    for _ in $(seq 100); do
        [ "$($NSB "$B/tools/pfq-stat" --json -1 -g "$1" | grep -o '"active":true' | wc -l)" -ge "$2" ] && return
        sleep 0.05
    done
}
for i in 1 2; do
    $NSB timeout -s INT 30 "$B/tools/pfq-dump" -g 46 -C steer_flow -i b0 -q 2>"$W/d$i.err" & eval D$i=$!
    wait_active 46 $i
done
gen -i a0 -n 500 -f 100
sleep 1
kill -INT $D1 $D2; wait $D1 $D2 2>/dev/null
a=$(awk '{print $1}' "$W/d1.err"); b=$(awk '{print $1}' "$W/d2.err")
[ $((a + b)) -eq 500 ] && [ "$a" -gt 0 ] && [ "$b" -gt 0 ] && ok ||
    { bad "pfq-dump group members: $a + $b"; cat "$W/d1.err" "$W/d2.err"; }

# 5. errors: -i pfq without a group (PFQ_GROUP set but empty is unset), a
# bad computation, a bad group id; each prefix said once
expect_err "no group to join" $NSB "$RUN" tcpdump -i pfq -c 1
expect_err "no group to join" env PFQ_GROUP= $NSB "$RUN" tcpdump -i pfq -c 1
expect_err "tcpdump: pfq: group 44 computation: 1:1: unknown function 'steer_flwo' (did you mean 'steer_flow'?)$" \
    env PFQ_GROUP=44 PFQ_COMPUTATION=steer_flwo $NSB "$RUN" tcpdump -i pfq:b0 -c 1
expect_err "PFQ_GROUP" env PFQ_GROUP=64 $NSB "$RUN" tcpdump -i pfq:b0 -c 1
# dumpcap (tshark's capture child) keeps only CAP_NET_RAW and CAP_NET_ADMIN,
# even as root: it cannot make a group (CAP_BPF) nor take hold of one other
# processes made (CAP_SYS_PTRACE); the error sends it to pfqd, with the
# group once and whole (256 bytes of pcap's buffer, the longest message too)
NOPFQD=$W/no-pfqd
expect_err "^(pfq: group 47: cannot create the group's BPF maps: Operation not permitted (CAP_BPF is needed); without privileges, join through pfqd: no pfqd listens on $NOPFQD)$" \
    env PFQ_GROUP=47 PFQD_CONTROL="$NOPFQD" $NSB "$RUN" dumpcap -i pfq:b0 -c 1 -w "$W/dc.pcapng"
PFQ_GROUP=47 $NSB timeout -s INT 60 "$RUN" tcpdump -n -i pfq:b0 -w "$W/g47.pcap" 2>"$W/g47.err" & G=$!
wait_listening "$W/g47.err"
expect_err "^(pfq: group 47: cannot take hold of its kernel objects .*CAP_SYS_PTRACE.*; without privileges, join through pfqd: no pfqd listens on $NOPFQD)$" \
    env PFQ_GROUP=47 PFQD_CONTROL="$NOPFQD" $NSB "$RUN" dumpcap -i pfq -c 1 -w "$W/dc.pcapng"
kill -INT $G; wait $G 2>/dev/null

# 6. jumbo frames (MTU 9000) through a steering group of two: a frame of a
# page or more sent by a packet socket has only its MAC header in the
# packet's linear part, and the group program read the rest with a helper
# that reads that part alone: every such frame was dropped (and the group
# log's copy of its first bytes was zeroes)
$NSA ip link set a0 mtu 9000; $NSB ip link set b0 mtu 9000
PFQ_GROUP=48 PFQ_COMPUTATION='ip >-> log_packet >-> steer_flow' $NSB timeout -s INT 60 "$RUN" \
    tcpdump -n -i pfq:b0 -w "$W/j1.pcap" 2>"$W/j1.err" & J1=$!
wait_listening "$W/j1.err"
PFQ_GROUP=48 $NSB timeout -s INT 60 "$RUN" tcpdump -n -i pfq -w "$W/j2.pcap" 2>"$W/j2.err" & J2=$!
wait_listening "$W/j2.err"; sleep 0.3
gen -i a0 -n 100 -f 20 -l 6000
sleep 0.2
$NSB "$B/tools/pfq-stat" -g 48 --json --once >"$W/jlog.json" 2>&1
python3 - "$W/jlog.json" <<'PY' && ok || { bad "group log of jumbo frames"; cat "$W/jlog.json"; }
import json, sys
g = json.loads(open(sys.argv[1]).readline())["groups"][0]
lines = [l for l in g["log"]["lines"] if l["len"] >= 6000]
sys.exit(not (len(lines) == len(g["log"]["lines"]) > 0 and
              all(l["text"].startswith("log_packet: IP ") for l in lines)))
PY
gen -i a0 -n 100 -f 20 -l 1500
sleep 0.5
kill -INT $J1 $J2; wait $J1 $J2 2>/dev/null
big=$(cat "$W/j1.pcap" "$W/j2.pcap" >/dev/null; for f in j1 j2; do tcpdump -r "$W/$f.pcap" -nn 2>/dev/null; done |
      grep -c "length 5958")
all=$(for f in j1 j2; do tcpdump -r "$W/$f.pcap" -nn 2>/dev/null; done | wc -l)
[ "$big" -eq 100 ] && [ "$all" -eq 200 ] && ok || { bad "jumbo frames in a group: $big of 100 (6000 bytes), $all of 200 in all"; cat "$W/j1.err"; }
$NSA ip link set a0 mtu 1500; $NSB ip link set b0 mtu 1500

finish
