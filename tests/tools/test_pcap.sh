#!/usr/bin/env bash
# Unmodified libpcap programs on pfq devices through pfq-run (libpfq-pcap):
#  - tcpdump on pfq:b0 and stock tcpdump on b0 capture identical packets;
#  - one tcpdump captures two devices (pfq:b0:b1), with a filter, and
#    every device (pfq:any);
#  - dumpcap (tshark's capture child) captures from a pfq device;
#  - other devices and files behave exactly as with stock libpcap;
#  - bad device names, environment values and config files fail cleanly.
# Usage: test_pcap.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
S=$1 B=$2
NAME=pfqt$$-pcap
. "$(dirname "$0")/pcap_host.sh"

# 1. fidelity: the same traffic through stock libpcap (b0) and pfq (pfq:b0)
# (-c: stock tcpdump interrupted by a signal drops what is still in its ring)
$NSB timeout -s INT 60 tcpdump -n -i b0 -s 0 -c 300 -w "$W/stock.pcap" 2>"$W/s.err" & TD=$!
$NSB timeout -s INT 60 "$RUN" tcpdump -n -i pfq:b0 -s 0 -c 300 -w "$W/pfq.pcap" 2>"$W/p.err" & PD=$!
wait_listening "$W/s.err"; wait_listening "$W/p.err"; sleep 0.3
gen -i a0 -n 200 -f 20
gen -i a0 -n 50 -p tcp -l 1514 -f 3
gen -i a0 -n 30 --vlan 42 -f 2
gen -i a0 -n 20 -6 -p icmp -l 300
wait $TD $PD 2>/dev/null
tcpdump -r "$W/stock.pcap" -nn -xx -t -e >"$W/stock.txt" 2>"$W/stock.rerr" || cat "$W/stock.rerr" "$W/s.err"
tcpdump -r "$W/pfq.pcap" -nn -xx -t -e >"$W/pfq.txt" 2>/dev/null
n=$(grep -c '^[0-9a-f]' "$W/pfq.txt")
if [ "$n" -eq 300 ] && diff -q "$W/stock.txt" "$W/pfq.txt" >/dev/null; then ok; else
    bad "tcpdump on pfq:b0 differs from stock ($n packets)"; diff "$W/stock.txt" "$W/pfq.txt" | head -5
    cat "$W/s.err" "$W/p.err"; fi
grep -q "300 packets received by filter" "$W/p.err" && grep -q "0 packets dropped by kernel" "$W/p.err" &&
    ok || { bad "tcpdump stats"; cat "$W/p.err"; }

# 2. two devices, a filter, nanosecond timestamps, a packet count
$NSB timeout -s INT 30 "$RUN" tcpdump -n -i pfq:b0:b1 --nano -c 40 -w "$W/two.pcap" '(udp and port 5001) or vlan 7' \
    2>"$W/two.err" & PD=$!
wait_listening "$W/two.err"; sleep 0.3
gen -i a0 -n 20 -p tcp      # filtered out
gen -i a0 -n 20             # udp 5001
gen -i a1 -n 20 --vlan 7 -p udp
wait $PD
n=$(tcpdump -r "$W/two.pcap" -nn 2>/dev/null | wc -l)
v=$(tcpdump -r "$W/two.pcap" -nn -e 2>/dev/null | grep -c "vlan 7")
[ "$n" -eq 40 ] && [ "$v" -eq 20 ] && ok || { bad "two devices: $n packets, $v tagged"; cat "$W/two.err"; }
head -c 4 "$W/two.pcap" | od -An -tx1 | grep -q "4d 3c b2 a1" && ok || bad "nanosecond pcap magic"

# 2b. pfq:any: every device of the namespace (b0, b1, lo), promiscuous or
# not (as stock's "any", which has no promiscuous mode)
for pflag in "" "-p"; do
    # shellcheck disable=SC2086
    $NSB timeout -s INT 30 "$RUN" tcpdump -n -i pfq:any $pflag -c 9 -w "$W/any.pcap" udp \
        2>"$W/any.err" & PD=$!
    wait_listening "$W/any.err"; sleep 0.3
    gen -i a0 -n 3; gen -i a1 -n 4; $NSB "$B/tools/pfq-gen" -q -i lo -n 2
    wait $PD
    n=$(tcpdump -r "$W/any.pcap" -nn 2>/dev/null | wc -l)
    [ "$n" -eq 9 ] && ok || { bad "pfq:any $pflag: $n of 9 packets"; cat "$W/any.err"; }
done

# 3. dumpcap (tshark) on a pfq device
$NSB timeout -s INT 30 "$RUN" dumpcap -i pfq:b1 -c 5 -w "$W/dc.pcapng" >"$W/dc.out" 2>&1 & PD=$!
for _ in $(seq 100); do grep -q "File:" "$W/dc.out" 2>/dev/null && break; sleep 0.05; done; sleep 0.5
gen -i a1 -n 5
wait $PD
n=$(tshark -r "$W/dc.pcapng" 2>/dev/null | wc -l)
[ "$n" -eq 5 ] && ok || { bad "dumpcap captured $n"; cat "$W/dc.out"; }

# 4. other devices and offline reading are stock libpcap
$NSB timeout -s INT 30 "$RUN" tcpdump -n -i b1 -c 3 -w "$W/plain.pcap" 2>"$W/plain.err" & PD=$!
wait_listening "$W/plain.err"; sleep 0.3
gen -i a1 -n 3
wait $PD
[ "$(tcpdump -r "$W/plain.pcap" 2>/dev/null | wc -l)" -eq 3 ] && ok || bad "plain device under pfq-run"
for args in "-nn" "-nn -e -v" "-nn tcp" "-nn -xx udp"; do
    # shellcheck disable=SC2086
    a=$(tcpdump -r "$W/stock.pcap" $args 2>&1); b=$("$RUN" tcpdump -r "$W/stock.pcap" $args 2>&1)
    [ "$a" = "$b" ] && ok || bad "offline 'tcpdump -r $args' differs under pfq-run"
done
"$RUN" tcpdump -r "$W/stock.pcap" -w "$W/copy.pcap" 'udp' 2>/dev/null
cmp -s <(tcpdump -r "$W/copy.pcap" -xx 2>/dev/null) <(tcpdump -r "$W/stock.pcap" -xx udp 2>/dev/null) &&
    ok || bad "offline -w under pfq-run"
"$RUN" tcpdump -D 2>/dev/null | grep -q "pfq" && ok || bad "pfq not in tcpdump -D"

# 5. bad input: clear errors, non-zero exit
expect_err "No such device" $NSB "$RUN" tcpdump -i pfq:nosuch0 -c 1
expect_err "PFQ_CAPLEN=abc" env PFQ_CAPLEN=abc $NSB "$RUN" tcpdump -i pfq:b0 -c 1
expect_err "PFQ_RX_SLOTS=-5" env PFQ_RX_SLOTS=-5 $NSB "$RUN" tcpdump -i pfq:b0 -c 1
expect_err "not a valid device name" $NSB "$RUN" tcpdump -i 'pfq:b0::b1' -c 1
expect_err "queue" $NSB "$RUN" tcpdump -i 'pfq:b0@x' -c 1
expect_err "out of range" $NSB "$RUN" tcpdump -i 'pfq:b0@9' -c 1
expect_err "cannot read config file" $NSB "$RUN" tcpdump -i "pfq/$W/none.conf:b0" -c 1
# a directory or a FIFO as config file: an error at once (a FIFO used to block)
expect_err "config file '/tmp' is a directory" $NSB "$RUN" tcpdump -i "pfq//tmp:b0" -c 1
expect_err "config file '/' is a directory" $NSB "$RUN" tcpdump -i "pfq//:b0" -c 1
mkfifo "$W/fifo.conf"
expect_err "is a FIFO, not a regular file" $NSB "$RUN" tcpdump -i "pfq/$W/fifo.conf:b0" -c 1
# without CAP_NET_RAW: PCAP_ERROR_PERM_DENIED, as stock says on b0
a=$($NSB setpriv --reuid=nobody --regid=nogroup --clear-groups "$B/tests/pcap_calls" open b0 2>&1 | grep activate)
b=$($NSB setpriv --reuid=nobody --regid=nogroup --clear-groups "$RUN" "$B/tests/pcap_calls" open pfq:b0 2>&1 | grep activate)
echo "$a" | grep -q "activate -8 " && [ "${a%% \[*}" = "${b%% \[*}" ] && ok || bad "unprivileged activate: stock '$a', pfq '$b'"
# ... also when monitor mode is asked for (the privilege is said first)
a=$($NSB setpriv --reuid=nobody --regid=nogroup --clear-groups "$B/tests/pcap_calls" rfmon b0 2>&1 | grep activate)
b=$($NSB setpriv --reuid=nobody --regid=nogroup --clear-groups "$RUN" "$B/tests/pcap_calls" rfmon pfq:b0 2>&1 | grep activate)
echo "$a" | grep -q "activate -8 " && [ "${a%% \[*}" = "${b%% \[*}" ] && ok || bad "unprivileged rfmon activate: stock '$a', pfq '$b'"
printf 'caplen = 64\nfrobnicate = 1\n' >"$W/bad.conf"
expect_err "bad.conf:2: frobnicate: unknown key" $NSB "$RUN" tcpdump -i "pfq/$W/bad.conf:b0" -c 1
expect_err "steer_flow does more than filter" env PFQ_COMPUTATION=steer_flow $NSB "$RUN" tcpdump -i pfq:b0 -c 1
expect_err "computation: 1:4: unknown operator" env PFQ_COMPUTATION='ip >-' $NSB "$RUN" tcpdump -i pfq:b0 -c 1
expect_err "PFQ_COMPUTATION='vlan_id_filter" env PFQ_VLAN=7 $NSB "$RUN" tcpdump -i pfq:b0 -c 1

# 6. a config file: caplen from the file wins over the environment
printf '# PFQ configuration file\ncaplen = 64\nrx_slots = 8192\n' >"$W/good.conf"
PFQ_CAPLEN=200 $NSB timeout -s INT 30 "$RUN" tcpdump -n -i "pfq/$W/good.conf:b0" -c 3 -w "$W/cf.pcap" 2>"$W/cf.err" & PD=$!
wait_listening "$W/cf.err"; sleep 0.3
gen -i a0 -n 3 -l 500
wait $PD
c=$(tcpdump -r "$W/cf.pcap" -nn -e 2>/dev/null | head -1)
snap=$(od -An -tu4 -j16 -N4 "$W/cf.pcap" | tr -d ' ')
echo "$c" | grep -q "length 500" && [ "$snap" = 64 ] && ok ||
    { bad "config file caplen: snaplen $snap, $c"; cat "$W/cf.err"; }

# 7. the filter runs in the kernel: counted as stock libpcap counts (only
#    what matches), and PFQ_PCAP_DEBUG says where it runs
$NSB timeout -s INT 30 tcpdump -n -i b0 -w /dev/null tcp 2>"$W/ks.err" & TD=$!
PFQ_PCAP_DEBUG=1 $NSB timeout -s INT 30 "$RUN" tcpdump -n -i pfq:b0 -w /dev/null tcp 2>"$W/kp.err" & PD=$!
wait_listening "$W/ks.err"; wait_listening "$W/kp.err"; sleep 0.3
gen -i a0 -n 100 -f 10
gen -i a0 -n 50 -p tcp -f 5
sleep 0.5
kill -INT $TD $PD; wait $TD $PD 2>/dev/null
s=$(awk '/received by filter/{print $1}' "$W/ks.err")
p=$(awk '/received by filter/{print $1}' "$W/kp.err")
[ "$p" = 50 ] && [ "$s" = "$p" ] && grep -q "the socket's, in the kernel" "$W/kp.err" && ok ||
    { bad "kernel filter: stock counts $s, pfq $p"; cat "$W/kp.err"; }
# without the debug variable the library says nothing
grep -q "libpfq-pcap" "$W/p.err" && bad "libpfq-pcap printed without PFQ_PCAP_DEBUG" || ok

# 8. a computation that only filters needs no group: it runs in the socket's
#    classic filter, before the tcpdump expression
PFQ_PCAP_DEBUG=1 PFQ_COMPUTATION='tcp >-> dst_port 5001' $NSB timeout -s INT 30 \
    "$RUN" tcpdump -n -i pfq:b0:b1 -w "$W/comp.pcap" 'len > 100' 2>"$W/comp.err" & PD=$!
wait_listening "$W/comp.err"; sleep 0.3
gen -i a0 -n 40 -f 4
gen -i a1 -n 30 -p tcp -f 3 -l 200
gen -i a0 -n 20 -p tcp -f 2 -l 90
sleep 0.5
kill -INT $PD; wait $PD 2>/dev/null
n=$(tcpdump -r "$W/comp.pcap" -nn 2>/dev/null | grep -c "Flags")
[ "$n" = 30 ] && grep -q "in the socket's classic filter" "$W/comp.err" && ok ||
    { bad "computation without a group: $n TCP packets of 30"; cat "$W/comp.err"; }
# VLANs without a group: the kernel took the tag out, the filter reads it there
PFQ_COMPUTATION='vlan_id_filter [7, 9]' $NSB timeout -s INT 30 "$RUN" tcpdump -n -i pfq:b0 \
    -w "$W/vl.pcap" 2>"$W/vl.err" & PD=$!
wait_listening "$W/vl.err"; sleep 0.3
send_vlan_mix
sleep 0.5
kill -INT $PD; wait $PD 2>/dev/null
check_vlans_7_9 "$W/vl.pcap" "vlan_id_filter without a group" "$W/vl.err"

finish
