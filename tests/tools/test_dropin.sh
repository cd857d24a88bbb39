#!/usr/bin/env bash
# The installed drop-in libpcap.so.0.8: unmodified tcpdump, with the
# drop-in's directory first in its library path, captures from a pfq device,
# still captures from plain devices and reads files as stock. The machine's
# loader configuration is not touched: the test installs into a temporary
# prefix, uses LD_LIBRARY_PATH, and checks the ldconfig ordering that
# pfq-dropin.sh relies on with a private cache.
# Usage: test_dropin.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
S=$1 B=$2
NAME=pfqt$$-drop
W=$(mktemp -d)
chmod 755 "$W"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
trap '"$S/scripts/testhost.sh" destroy "$NAME"; rm -rf "$W"' EXIT
DESTDIR=$W/stage cmake --install "$B" --prefix /opt/pfq >/dev/null
D=$(dirname "$(find "$W/stage" -path '*/pfq/libpcap.so.0.8' | head -1)")
[ -f "$D/libpcap.so.0.8" ] && ok || { bad "drop-in not installed"; echo "0 passed, 1 failed"; exit 1; }
T="env LD_LIBRARY_PATH=$D"

$T tcpdump --version 2>&1 | grep -q "libpcap version" && ok || bad "tcpdump does not start with the drop-in"
$T tcpdump -D 2>/dev/null | grep -q "pfq" && ok || bad "pfq not listed by tcpdump -D"
"$S/scripts/testhost.sh" create "$NAME" || exit 1
ip netns exec "$NAME-b" $T timeout -s INT 30 tcpdump -n -i pfq:b0 -c 10 -w "$W/d.pcap" 2>"$W/d.err" &
P1=$!
ip netns exec "$NAME-b" $T timeout -s INT 30 tcpdump -n -i b0 -c 10 -w "$W/s.pcap" 2>"$W/s.err" &
P2=$!
for _ in $(seq 100); do grep -q listening "$W/d.err" && grep -q listening "$W/s.err" && break; sleep 0.05; done
sleep 0.3
ip netns exec "$NAME-a" "$B/tools/pfq-gen" -q -i a0 -n 10 -f 4
wait $P1 $P2
[ "$(tcpdump -r "$W/d.pcap" 2>/dev/null | wc -l)" -eq 10 ] && ok || { bad "pfq:b0 through the drop-in"; cat "$W/d.err"; }
[ "$(tcpdump -r "$W/s.pcap" 2>/dev/null | wc -l)" -eq 10 ] && ok || { bad "plain b0 through the drop-in"; cat "$W/s.err"; }
a=$(tcpdump -r "$W/s.pcap" -nn -xx -t 2>&1); b=$($T tcpdump -r "$W/s.pcap" -nn -xx -t 2>&1)
[ "$a" = "$b" ] && ok || bad "tcpdump -r differs with the drop-in"
a=$(tcpdump -r "$W/d.pcap" -nn -xx -t 2>/dev/null); b=$(tcpdump -r "$W/s.pcap" -nn -xx -t 2>/dev/null)
[ "$a" = "$b" ] && ok || bad "pfq:b0 and b0 captures differ"
# pfq-dropin.sh's ordering: a directory listed before the system one wins
sysdir=$(dirname "$(readlink -f "$(ls /usr/lib/*/libpcap.so.0.8 | head -1)")")
printf '%s\n%s\n' "$D" "$sysdir" >"$W/ld.so.conf"
ldconfig -f "$W/ld.so.conf" -C "$W/ld.so.cache" 2>/dev/null
first=$(ldconfig -p -C "$W/ld.so.cache" | grep 'libpcap.so.0.8 ' | head -1)
echo "$first" | grep -q "$D" && ok || bad "ldconfig order: $first"
"$S/scripts/pfq-dropin.sh" --help | grep -q "enable" && ok || bad "pfq-dropin.sh --help"
# enable from the installed script of a non-/usr prefix finds its drop-in
# (the loader file goes to the work dir, no ldconfig: the machine is left alone)
DS=$(find "$W/stage" -name pfq-dropin.sh | head -1)
out=$(PFQ_DROPIN_CONF=$W/dropin.conf PFQ_LDCONFIG=true "$DS" enable 2>&1) &&
    [ "$(cat "$W/dropin.conf")" = "$(readlink -f "$D")" ] && ok || bad "pfq-dropin.sh enable from /opt/pfq: $out"
out=$(PFQ_DROPIN_CONF=$W/dropin.conf PFQ_LDCONFIG=true "$DS" status 2>&1)
[ "$out" = "enabled: $(readlink -f "$D")" ] && ok || bad "pfq-dropin.sh status: $out"
out=$(PFQ_DROPIN_CONF=$W/dropin.conf PFQ_LDCONFIG=true "$DS" enable "$W/nowhere" 2>&1) &&
    bad "enable with a bad directory succeeded" || { echo "$out" | grep -q "no such directory" && ok || bad "enable DIR: $out"; }
mv "$D/libpcap.so.0.8" "$D/x.so"
out=$(PFQ_DROPIN_CONF=$W/dropin.conf PFQ_LDCONFIG=true "$DS" enable 2>&1) &&
    bad "enable without a drop-in succeeded" || { echo "$out" | grep -q "give its directory" && ok || bad "enable, nothing installed: $out"; }
mv "$D/x.so" "$D/libpcap.so.0.8"
PFQ_DROPIN_CONF=$W/dropin.conf PFQ_LDCONFIG=true "$DS" disable >/dev/null && [ ! -e "$W/dropin.conf" ] && ok ||
    bad "pfq-dropin.sh disable"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
