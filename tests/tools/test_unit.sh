#!/usr/bin/env bash
# pfqd's systemd unit (daemon/pfqd/pfqd.service): `systemd-analyze verify`
# accepts it without a word, and it has what the daemon needs to run under
# systemd (Type=notify, the command line, reload by SIGHUP, restart on
# failure, its run directory, the capabilities for BPF and packet sockets).
# The unit names /usr/sbin/pfqd, which this machine may not have: verify
# checks a copy naming the built daemon, or /bin/true when it is not built.
# Usage: test_unit.sh SOURCE_DIR [PFQD_BINARY]
set -uo pipefail
S=$1
BIN=${2:-}
[ -n "$BIN" ] && [ -x "$BIN" ] || BIN=/bin/true
U=$S/daemon/pfqd/pfqd.service
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
key() { grep -qxF "$1" "$U" && ok || bad "the unit has no line '$1'"; }
key 'Type=notify'
key 'ExecStart=/usr/sbin/pfqd -c /etc/pfq/pfqd.conf --foreground'
key 'ExecReload=/bin/kill -HUP $MAINPID'
key 'Restart=on-failure'
key 'RuntimeDirectory=pfqd'
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$U")
for c in CAP_NET_RAW CAP_NET_ADMIN CAP_BPF CAP_PERFMON CAP_SYS_ADMIN CAP_SYS_PTRACE CAP_MAC_ADMIN; do
    [[ " $caps " == *" $c "* ]] && ok || bad "CapabilityBoundingSet lacks $c"
done
# the copy (same name: verify reads the unit's name from the file name)
mkdir "$W/u"
sed "s|^ExecStart=/usr/sbin/pfqd |ExecStart=$BIN |" "$U" >"$W/u/pfqd.service"
out=$(systemd-analyze verify --man=no "$W/u/pfqd.service" 2>&1)
rc=$?
[ "$rc" -eq 0 ] && [ -z "$out" ] && ok || bad "systemd-analyze verify (status $rc): $out"
# and the check sees a mistake: an unknown key is reported
{ cat "$W/u/pfqd.service"; echo "NoSuchKey=1"; } >"$W/u/pfqd-bad.service"
out=$(systemd-analyze verify --man=no "$W/u/pfqd-bad.service" 2>&1)
grep -q NoSuchKey <<<"$out" && ok || bad "a unit with an unknown key passed verify: $out"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
