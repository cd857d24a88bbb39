#!/usr/bin/env bash
# The unprivileged join through pfqd with real users and real programs:
# users and a unix group made by the test (removed on exit), one user in
# pfqd's allow_users, one in a group of its allow_groups, one in neither.
# Run as each of them (runuser), `PFQ_GROUP=42 tcpdump -i pfq` (pfq-dump -g
# 42 in a sanitized build, which cannot be preloaded into tcpdump) gets its
# share of pfqd's group, each flow in one capture; the third is refused
# with "not permitted by pfqd"; without pfqd the error says so.
# Usage: test_pfqd_join.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
S=$1 B=$2
NAME=pfqt$$-pjoin
. "$(dirname "$0")/pcap_host.sh"
export PFQ_RUN_DIR=$W/run
UA=pfqj$$a UB=pfqj$$b UC=pfqj$$c GG=pfqj$$g
drop_users() {
    for u in "$UA" "$UB" "$UC"; do userdel "$u" 2>/dev/null; done
    groupdel "$GG" 2>/dev/null
    cleanup
}
trap drop_users EXIT
groupadd "$GG" || { bad "groupadd"; finish; exit 1; }
for u in "$UA" "$UB" "$UC"; do
    useradd -M -N -g nogroup -s /usr/sbin/nologin "$u" || { bad "useradd $u"; finish; exit 1; }
done
usermod -a -G "$GG" "$UB"

# what the users may read and write: the libraries and tools (the build
# tree may be under a private home), a directory for their captures
mkdir -p "$W/lib" "$W/bin" "$W/out"
chmod 1777 "$W/out"
cp -a "$B"/lib/libpfq.so* "$B/pcap/libpfq-pcap.so" "$W/lib/"
cp "$B/tools/pfq-dump" "$W/bin/"
chmod -R a+rX "$W/lib" "$W/bin"
sanitized=$(grep -c '^PFQ_SANITIZE:BOOL=ON' "$B/CMakeCache.txt")
CTL=$W/pfqd/control
# as USER, a capture of group 42 into FILE (in the background)
capture() {
    local user=$1 file=$2
    if [ "$sanitized" -eq 0 ]; then
        $NSB runuser -u "$user" -- env PFQD_CONTROL="$CTL" PFQ_GROUP=42 \
            LD_PRELOAD="$W/lib/libpfq-pcap.so" timeout -s INT 60 \
            tcpdump -n -i pfq -w "$file"
    else
        $NSB runuser -u "$user" -- env PFQD_CONTROL="$CTL" LD_LIBRARY_PATH="$W/lib" \
            timeout -s INT 60 "$W/bin/pfq-dump" -g 42 -q -w "$file"
    fi
}

cat >"$W/pfqd.conf" <<CONF
[pfqd]
control = $CTL
[group 42]
input = b0, b1
computation = ip >-> steer_flow
allow_users = $UA
allow_groups = $GG
CONF
$NSB "$B/daemon/pfqd" -c "$W/pfqd.conf" 2>"$W/pfqd.err" & D=$!
for _ in $(seq 100); do grep -q "^info: ready" "$W/pfqd.err" && break; sleep 0.05; done
grep -q "^info: ready: 1 groups" "$W/pfqd.err" && ok || { bad "pfqd not ready"; cat "$W/pfqd.err"; }

# 1. the permitted users share the flows
capture "$UA" "$W/out/a.pcap" 2>"$W/a.err" & A=$!
capture "$UB" "$W/out/b.pcap" 2>"$W/b.err" & Bp=$!
for _ in $(seq 100); do
    [ "$(grep -c "joined for uid" "$W/pfqd.err")" -ge 2 ] && break
    sleep 0.05
done
[ "$(grep -c "joined for uid" "$W/pfqd.err")" -eq 2 ] && ok ||
    { bad "the permitted users did not join"; cat "$W/pfqd.err" "$W/a.err" "$W/b.err"; }
sleep 0.3
gen -i a0 -n 2000 -f 400
gen -i a1 -n 1000 -f 200 -p tcp
sleep 1
kill -INT $A $Bp 2>/dev/null
# (timeout's child is what reads: signal the captures themselves too)
pkill -INT -u "$UA"; pkill -INT -u "$UB"
wait $A $Bp 2>/dev/null
two_shares 3000 600 "$W/out/a.pcap" "$W/out/b.pcap" && ok ||
    { bad "captures through pfqd: $SHARES"; cat "$W/a.err" "$W/b.err"; }
# their members ended with them
for _ in $(seq 50); do [ "$(grep -c " ended: " "$W/pfqd.err")" -ge 2 ] && break; sleep 0.05; done
[ "$(grep -c " ended: " "$W/pfqd.err")" -eq 2 ] && ok || { bad "members not ended"; cat "$W/pfqd.err"; }

# 2. a user in neither list is refused, and told why
capture "$UC" "$W/out/c.pcap" >"$W/c.out" 2>&1
[ $? -ne 0 ] && grep -q "not permitted by pfqd: user '$UC'" "$W/c.out" && ok ||
    { bad "refusal of $UC"; cat "$W/c.out"; }
grep -q "join of group 42 refused to uid $(id -u "$UC")" "$W/pfqd.err" && ok ||
    { bad "refusal not logged"; cat "$W/pfqd.err"; }

# 3. without pfqd, the error says there is none to join through
kill -TERM $D; wait $D || bad "pfqd exit status $?"
capture "$UA" "$W/out/d.pcap" >"$W/d.out" 2>&1
[ $? -ne 0 ] && grep -q "no pfqd listens on $CTL" "$W/d.out" && ok ||
    { bad "without pfqd"; cat "$W/d.out"; }
finish
