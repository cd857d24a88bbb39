# Shared by the pcap tool tests (sourced, not run): counting, a test host
# with two veth pairs removed on exit, and helpers. Expects S (source dir),
# B (build dir) and a test name in NAME; sets W (a work dir tcpdump can
# write to, after it drops to user tcpdump), RUN, NSA, NSB.
W=$(mktemp -d)
chmod 755 "$W"
RUN=$B/tools/pfq-run
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
cleanup() {
    for p in $(jobs -p); do kill -INT "$p" 2>/dev/null; done
    wait 2>/dev/null
    "$S/scripts/testhost.sh" destroy "$NAME"
    rm -rf "$W"
}
trap cleanup EXIT
"$S/scripts/testhost.sh" create "$NAME" --pairs 2 || exit 1
NSA="ip netns exec $NAME-a"
NSB="ip netns exec $NAME-b"
gen() { $NSA "$B/tools/pfq-gen" -q "$@"; }
wait_listening() { for _ in $(seq 100); do grep -q "listening on" "$1" 2>/dev/null && return; sleep 0.05; done; }
# expect_err TEXT COMMAND...: the command fails and says TEXT
expect_err() {
    local want=$1 out; shift
    if out=$(timeout 30 "$@" 2>&1); then bad "'$*' succeeded"; return; fi
    echo "$out" | grep -q -- "$want" && ok || { bad "'$*': no '$want' in: $out"; }
}
# the VLAN mix from a0: 30 frames on VLAN 7, 20 on 8, 10 on 9, 40 untagged
send_vlan_mix() {
    gen -i a0 -n 30 --vlan 7; gen -i a0 -n 20 --vlan 8; gen -i a0 -n 10 --vlan 9; gen -i a0 -n 40
}
# check_vlans_7_9 PCAP WHAT ERRFILE: the capture holds exactly VLANs 7 and 9
check_vlans_7_9() {
    local n v7
    n=$(tcpdump -r "$1" -nn -e 2>/dev/null | wc -l)
    v7=$(tcpdump -r "$1" -nn -e 2>/dev/null | grep -c "vlan 7,")
    [ "$n" -eq 40 ] && [ "$v7" -eq 30 ] && ok || { bad "$2: $n packets, $v7 with vlan 7"; cat "$3"; }
}
# flows FILE TAG: "TAG src>dst/proto" for each IPv4 packet of a capture
flows() { tcpdump -r "$1" -nn -q 2>/dev/null | awk -v f="$2" '$2 == "IP" { print f, $3 ">" $5 "/" $6 }'; }
# two_shares TOTAL MIN FILE1 FILE2: the two captures of one group hold
# TOTAL packets together, more than MIN each, and no flow is in both;
# SHARES says what they hold
two_shares() {
    local n split n1 n2
    { flows "$3" x; flows "$4" y; } >"$W/shares.txt"
    n=$(wc -l <"$W/shares.txt")
    split=$(awk '{ print $2, $1 }' "$W/shares.txt" | sort -u | awk '{ print $1 }' | uniq -d | wc -l)
    n1=$(grep -c "^x " "$W/shares.txt"); n2=$(grep -c "^y " "$W/shares.txt")
    SHARES="$n packets ($n1 + $n2), $split flows split"
    echo "  shares: $n1 and $n2 packets"
    [ "$n" -eq "$1" ] && [ "$split" -eq 0 ] && [ "$n1" -gt "$2" ] && [ "$n2" -gt "$2" ]
}
finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
