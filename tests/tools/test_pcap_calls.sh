#!/usr/bin/env bash
# The calls of libpcap's own test programs (tests/tools/pcap_calls.c: our
# programs doing what capturetest, threadsignaltest, nonblocktest,
# findalldevstest, selpolltest, opentest ... do), run with stock libpcap on
# b0 as the reference and then on b0 and on pfq:b0 through pfq-run and
# through the drop-in: each run prints the same lines (the device as DEV).
# Then tcpdump: the default device, snapshot lengths, a 65,549-byte frame
# on lo, "packets received by filter" for filters run in user space and for
# -Q in / -Q out, as stock; filters with VLAN tests count as stock's.
# Usage: test_pcap_calls.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
S=$1 B=$2
NAME=pfqt$$-calls
. "$(dirname "$0")/pcap_host.sh"
C=$B/tests/pcap_calls
DROP="env LD_LIBRARY_PATH=$B/pcap/dropin"
# the carrier of a fresh veth comes up a moment later, and libpcap sorts
# devices without one after "any": wait, so that the default device is b0
for _ in $(seq 100); do ip -n "$NAME-b" link show b0 | grep -q LOWER_UP && break; sleep 0.05; done
sleep 1

# calls CMD [ARG]: stock on b0, then the four other ways, compared
calls() {
    local cmd=$1 arg=${2:-} ref out how
    ref=$($NSB "$C" "$cmd" b0 $arg 2>&1)
    for how in "$RUN:b0" "$DROP:b0" "$RUN:pfq:b0" "$DROP:pfq:b0"; do
        # shellcheck disable=SC2086
        out=$($NSB ${how%%:*} "$C" "$cmd" "${how#*:}" $arg 2>&1)
        [ "$out" = "$ref" ] && ok || { bad "$cmd on ${how#*:} via ${how%%:*} differs from stock:"
            diff <(echo "$ref") <(echo "$out"); }
    done
    [ -n "${VERBOSE:-}" ] && echo "$ref"
}

# 1. calls compared with stock, no traffic needed
calls nonblock      # get before activation, set/get, set blocking with a full fd table
calls lookupnet     # pfq:b0 answers for b0
calls rfmon         # monitor mode refused on a wired device
calls dlt           # EN10MB and DOCSIS
calls snaplen       # 262144 by default, and in the filter's ret
calls notact        # calls before activation
calls badfilter     # programs the validator refuses: refused, as stock
calls breakthread   # a blocked reader woken by pcap_breakloop from another thread
calls open          # open_live, activate, activate again, a second handle
calls timeoutneg    # a negative timeout is non-blocking mode
calls activated     # setters after activation and their message, sendpacket of -1
calls bufsizes      # buffer sizes -1, 0, 1 and INT_MAX activate
calls refilter      # a new filter applies to the packets captured before it
calls refiltervlan "0 /run/netns/$NAME-a"  # ... also to frames that arrived tagged
# loopback: Ethernet only, no DOCSIS, as stock offers lo
ref=$($NSB "$C" dlt lo 2>&1)
for how in "$RUN" "$DROP"; do
    out=$($NSB $how "$C" dlt pfq:lo 2>&1)
    [ "$out" = "$ref" ] && ok || { bad "dlt on pfq:lo via $how differs from stock on lo:"
        diff <(echo "$ref") <(echo "$out"); }
done
# names that name no device: PCAP_ERROR_NO_SUCH_DEVICE, as stock's
for name in 'pfq::' 'pfq:l o' 'pfq:abcdefghijklmnop'; do
    out=$($NSB "$RUN" "$C" open "$name" 2>&1)
    echo "$out" | grep -q "open: activate -5 " && ok || bad "open $name: $out"
done
# pfq without devices or group: no network, as stock says for "any"
out=$($NSB "$RUN" "$C" lookupnet pfq 2>&1)
[ "$out" = "lookupnet: 0 net 0.0.0.0 mask 0.0.0.0" ] && ok || bad "lookupnet pfq: $out"
# a name that is not pfq's: stock's own errors, in every way
ref=$($NSB "$C" open nosuch 2>&1)
for how in "$RUN" "$DROP"; do
    out=$($NSB $how "$C" open nosuch 2>&1)
    [ "$out" = "$ref" ] && ok || { bad "open nosuch via $how: $out, stock: $ref"; }
done
echo "$ref" | grep -q "No such device exists" && ok || bad "stock open nosuch: $ref"

# 2. the device list: stock's, in stock's order, with pfq last
ref=$($NSB "$C" devs x 2>&1)
for how in "$RUN" "$DROP"; do
    out=$($NSB $how "$C" devs x 2>&1)
    n=$(echo "$ref" | grep -c '^devs: [0-9]')
    [ "$out" = "$(printf '%s\ndevs: %d pfq' "$ref" $((n + 1)))" ] && ok ||
        { bad "device list via $how:"; diff <(echo "$ref") <(echo "$out"); }
done
echo "$ref" | grep -q "default b0" && ok || bad "stock default device: $ref"

# 3. breakloop from a signal handler in non-blocking mode, 50 runs; stock
#    returns PCAP_ERROR_BREAK once a packet comes, so a trickle flows
timeout 120 bash -c "while :; do $NSA '$B/tools/pfq-gen' -q -i a0 -n 1; sleep 0.005; done" & TR=$!
calls breaksig 50
calls breakcb       # pcap_breakloop from the callback; one pending before next_ex
kill $TR; wait $TR 2>/dev/null
# without traffic pfq breaks out at once (a difference, in the README)
for how in "$RUN" "$DROP"; do
    out=$($NSB $how "$C" breaksig pfq:b0 50 2>&1)
    echo "$out" | grep -q "50 runs, 50 broken out with PCAP_ERROR_BREAK" && ok || bad "breaksig idle via $how: $out"
done

# 4. select/poll: readable only with a packet to read (three bursts)
selpoll() {
    local out=$W/sp.out
    $NSB "$@" >"$out" 2>&1 & local p=$!
    for _ in $(seq 100); do grep -q ready "$out" && break; sleep 0.05; done; sleep 0.2
    for _ in 1 2 3; do gen -i a0 -n 20; sleep 0.3; done
    wait $p
    grep -q "60 packets, all, 0 readable with nothing to read" "$out" && ok || { bad "selpoll: $*"; cat "$out"; }
}
selpoll "$C" selpoll b0 60
selpoll $RUN "$C" selpoll b0 60
selpoll $DROP "$C" selpoll b0 60
selpoll $RUN "$C" selpoll pfq:b0 60
selpoll $DROP "$C" selpoll pfq:b0 60
# pfq delivers within a few ms whatever the read timeout, so with timeout
# 0 (stock: a block is handed out only when full) and in immediate mode
# (stock: a TPACKET_V2 ring) every packet comes: differences, in the README
selpoll $RUN "$C" selpoll pfq:b0 60 t0
selpoll $RUN "$C" selpoll pfq:b0 60 imm

# 5. tcpdump without -i takes stock's default device (b0 here) and captures there
for how in "" "$RUN" "$DROP"; do
    $NSB $how timeout -s INT 30 tcpdump -n -c 3 -w "$W/def.pcap" 2>"$W/def.err" & P=$!
    wait_listening "$W/def.err"; sleep 0.3
    gen -i a0 -n 3
    wait $P
    n=$(tcpdump -r "$W/def.pcap" 2>/dev/null | wc -l)
    grep -q "listening on b0," "$W/def.err" && [ "$n" -eq 3 ] && ok ||
        { bad "tcpdump without -i ${how:-(stock)}: $n packets"; cat "$W/def.err"; }
done

# 6. snapshot lengths as stock: 262144 by default, 70000 kept, in -d too
$NSB timeout -s INT 30 "$RUN" tcpdump -n -i pfq:b0 -c 1 -w "$W/snap.pcap" 2>"$W/snap.err" & P=$!
wait_listening "$W/snap.err"; sleep 0.3
gen -i a0 -n 1
wait $P
snap=$(od -An -tu4 -j16 -N4 "$W/snap.pcap" | tr -d ' ')
[ "$snap" = 262144 ] && grep -q "snapshot length 262144 bytes" "$W/snap.err" && ok ||
    { bad "default snaplen: file $snap"; cat "$W/snap.err"; }
$NSB "$RUN" tcpdump -d -i pfq:b0 2>&1 | grep -q "ret *#262144" && ok || bad "tcpdump -d: no ret #262144"
a=$($NSB tcpdump -d -s 70000 -i b0 ip 2>&1); b=$($NSB "$RUN" tcpdump -d -s 70000 -i pfq:b0 ip 2>&1)
[ "$a" = "$b" ] && ok || { bad "tcpdump -d -s 70000 differs"; diff <(echo "$a") <(echo "$b"); }

# tcpdump -L and -I say what stock says (the device name aside)
for o in -L -I; do
    a=$($NSB tcpdump $o -i b0 -c 1 2>&1 | sed 's/b0/DEV/'); b=$($NSB "$RUN" tcpdump $o -i pfq:b0 -c 1 2>&1 | sed 's/pfq:b0/DEV/')
    [ "$a" = "$b" ] && ok || { bad "tcpdump $o differs from stock"; diff <(echo "$a") <(echo "$b"); }
done
# -y DOCSIS: the link type of the capture and of the file
$NSB timeout -s INT 30 "$RUN" tcpdump -y DOCSIS -i pfq:b0 -c 2 -w "$W/docsis.pcap" 2>"$W/docsis.err" & P=$!
wait_listening "$W/docsis.err"; sleep 0.3
gen -i a0 -n 2
wait $P
lt=$(od -An -tu4 -j20 -N4 "$W/docsis.pcap" | tr -d ' ')
[ "$lt" = 143 ] && grep -q "link-type DOCSIS" "$W/docsis.err" && ok || { bad "-y DOCSIS: file link type $lt"; cat "$W/docsis.err"; }

# 7. lo: each packet once (stock skips the outgoing copy), a 65,549-byte
#    frame (65,507 bytes of UDP) whole
$NSB timeout -s INT 30 tcpdump -n -i lo -w "$W/lo-s.pcap" udp 2>"$W/lo-s.err" & TD=$!
$NSB timeout -s INT 30 "$RUN" tcpdump -n -i pfq:lo -w "$W/lo-p.pcap" udp 2>"$W/lo-p.err" & PD=$!
wait_listening "$W/lo-s.err"; wait_listening "$W/lo-p.err"; sleep 0.3
for size in 100 65507 1000; do $NSB "$C" sendudp lo "$size"; done
sleep 1.5
kill -INT $TD $PD; wait $TD $PD 2>/dev/null
a=$(tcpdump -r "$W/lo-s.pcap" -nn -t -xx 2>/dev/null | md5sum); b=$(tcpdump -r "$W/lo-p.pcap" -nn -t -xx 2>/dev/null | md5sum)
n=$(tcpdump -r "$W/lo-p.pcap" -nn 2>/dev/null | wc -l)
big=$(tcpdump -r "$W/lo-p.pcap" -nn -e 2>/dev/null | grep -c "length 65549:")
[ "$n" -eq 3 ] && [ "$big" -eq 1 ] && [ "$a" = "$b" ] && ok ||
    { bad "pfq:lo: $n packets (stock 3), $big of 65549 bytes, same as stock: $([ "$a" = "$b" ] && echo yes || echo no)"
      cat "$W/lo-p.err"; }
cap=$(tcpdump -r "$W/lo-p.pcap" -nn -xx 2>/dev/null | grep -c "^	0x1000:")
[ "$cap" -eq 1 ] && ok || bad "the 65,549-byte frame was cut"
[ "$(grep received "$W/lo-s.err")" = "$(grep received "$W/lo-p.err")" ] && ok ||
    { bad "pfq:lo counts differ from stock's"; cat "$W/lo-s.err" "$W/lo-p.err"; }

# 8. "packets received by filter" as stock: a filter run in user space
#    (vlan), and -Q in / -Q out (directions checked after the kernel counted)
recv() { awk '/received by filter/{print $1}' "$1"; }
stats_vs_stock() {
    local what=$1; shift
    $NSB timeout -s INT 30 tcpdump -n -i b0 -w /dev/null "$@" 2>"$W/st-s.err" & TD=$!
    $NSB timeout -s INT 30 "$RUN" tcpdump -n -i pfq:b0 -w /dev/null "$@" 2>"$W/st-p.err" & PD=$!
    wait_listening "$W/st-s.err"; wait_listening "$W/st-p.err"; sleep 0.3
    send_vlan_mix                                            # 100 in
    $NSB "$B/tools/pfq-gen" -q -i b0 -n 25 --no-bypass       # 25 out
    sleep 1.5 # stock hands out a partly filled block after its timeout (1 s)
    kill -INT $TD $PD; wait $TD $PD 2>/dev/null
    local s p
    s=$(recv "$W/st-s.err"); p=$(recv "$W/st-p.err")
    [ -n "$s" ] && [ "$s" = "$p" ] && [ "$(grep captured "$W/st-s.err")" = "$(grep captured "$W/st-p.err")" ] &&
        ok || { bad "$what: received by filter: stock $s, pfq $p"; cat "$W/st-s.err" "$W/st-p.err"; }
}
stats_vs_stock "vlan" vlan
stats_vs_stock "vlan 7" vlan 7
stats_vs_stock "-Q in" -Q in
stats_vs_stock "-Q out" -Q out

# 9. a capability-raised program (AT_SECURE) ignores the PFQ_* variables and
#    reads only config files its real user may read
cp "$B/tests/pcap_calls_dropin" "$W/secure"
setcap cap_net_raw,cap_net_admin,cap_bpf,cap_dac_read_search+ep "$W/secure"
NOBODY="setpriv --reuid=nobody --regid=nogroup --clear-groups"
out=$($NSB env PFQ_CAPLEN=abc "$B/tests/pcap_calls_dropin" open pfq:b0 2>&1)
echo "$out" | grep -q "PFQ_CAPLEN=abc" && ok || bad "PFQ_CAPLEN=abc not read: $out"
out=$($NSB env PFQ_CAPLEN=abc $NOBODY "$W/secure" open pfq:b0 2>&1)
echo "$out" | grep -q "activate 0 " && ok || bad "PFQ_CAPLEN read by a capability-raised program: $out"
printf 'caplen = 64\n' >"$W/root.conf"; chmod 600 "$W/root.conf"
out=$($NSB $NOBODY "$W/secure" open "pfq/$W/root.conf:b0" 2>&1)
echo "$out" | grep -q "Permission denied (for the user who started this privileged program)" && ok ||
    bad "a root-only config file read by a capability-raised program: $out"

# 10. filters compiled as stock compiles them on Linux (the kernel's view:
#     the outer VLAN tag as metadata): the same packets as stock's for
#     each, on the socket, on a group (its eBPF filter) and through the
#     drop-in; "tcp and vlan" is not refused, ether[12:2]=0x8100 sees the
#     frames as the kernel does
filters=('vlan' 'tcp and vlan' 'udp and vlan' 'vlan 7' 'vlan 8 and udp' 'not vlan'
         'ether[12:2]=0x8100' 'ether proto 0x8100' 'ether[12:2]!=0x8100' 'ip')
fpids=()
for i in "${!filters[@]}"; do
    f=${filters[$i]}
    $NSB timeout -s INT 30 tcpdump -n -i b0 -w "$W/f$i-s.pcap" "$f" 2>"$W/f$i-s.err" & fpids+=($!)
    $NSB timeout -s INT 30 "$RUN" tcpdump -n -i pfq:b0 -w "$W/f$i-p.pcap" "$f" 2>"$W/f$i-p.err" & fpids+=($!)
    $NSB env PFQ_GROUP=$((20 + i)) PFQ_RUN_DIR="$W/run" timeout -s INT 30 "$RUN" tcpdump -n -i pfq:b0 -w "$W/f$i-g.pcap" "$f" \
        2>"$W/f$i-g.err" & fpids+=($!)
    $NSB $DROP timeout -s INT 30 tcpdump -n -i pfq:b0 -w "$W/f$i-d.pcap" "$f" 2>"$W/f$i-d.err" & fpids+=($!)
done
for i in "${!filters[@]}"; do for k in s p g d; do wait_listening "$W/f$i-$k.err"; done; done
sleep 0.3
send_vlan_mix
gen -i a0 -n 10 -p tcp --vlan 9; gen -i a0 -n 15 -p tcp
sleep 1
kill -INT "${fpids[@]}"; wait "${fpids[@]}" 2>/dev/null
count() { tcpdump -r "$1" -nn 2>/dev/null | wc -l; }
for i in "${!filters[@]}"; do
    ref=$(count "$W/f$i-s.pcap")
    for k in p g d; do
        n=$(count "$W/f$i-$k.pcap")
        [ "$n" = "$ref" ] && ok || { bad "filter '${filters[$i]}' ($k): $n packets, stock $ref"
            cat "$W/f$i-$k.err"; }
    done
done

# 11. the device deleted under a capture: tcpdump ends as stock's does,
#     "The interface disappeared"; taken down and up, it goes on
ip -n "$NAME-b" link add gone0 type veth peer name gone1
ip -n "$NAME-b" link set gone0 up; ip -n "$NAME-b" link set gone1 up
$NSB timeout -s INT 20 tcpdump -n -i gone0 -w /dev/null 2>"$W/gone-s.err" & TD=$!
$NSB timeout -s INT 20 "$RUN" tcpdump -n -i pfq:gone0 -w /dev/null 2>"$W/gone-p.err" & PD=$!
wait_listening "$W/gone-s.err"; wait_listening "$W/gone-p.err"
ip -n "$NAME-b" link set gone0 down; sleep 0.5; ip -n "$NAME-b" link set gone0 up; sleep 0.5
kill -0 $PD 2>/dev/null && ok || { bad "pfq:gone0 ended when its device went down"; cat "$W/gone-p.err"; }
ip -n "$NAME-b" link del gone0
wait $TD; s=$?; wait $PD; p=$?
[ "$s" = 1 ] && [ "$p" = 1 ] && grep -q "The interface disappeared" "$W/gone-p.err" && ok ||
    { bad "device deleted: stock ended with $s, pfq with $p (124: still running)"; cat "$W/gone-p.err"; }

finish
