#!/usr/bin/env bash
# pfqd from the command line: --help, usage errors, --check and
# --check-syntax with file:line:column errors; then on a test host: two
# tcpdumps join pfqd's group (PFQ_GROUP=42) and share its flows, the metrics
# endpoint is scraped with curl, SIGTERM ends it cleanly.
# Usage: test_pfqd.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
S=$1 B=$2
NAME=pfqt$$-pfqd
PFQD=$B/daemon/pfqd
. "$(dirname "$0")/pcap_host.sh"
export PFQ_RUN_DIR=$W/run # a registry of our own

# status STATUS COMMAND...: the command exits with STATUS (output in $W/out)
status() {
    local want=$1; shift
    "$@" >"$W/out" 2>&1
    local got=$?
    [ "$got" -eq "$want" ] && ok || { bad "'$*': status $got, not $want"; cat "$W/out"; }
}
# has TEXT: the last output holds TEXT (a fixed string)
has() { grep -qF -- "$1" "$W/out" && ok || { bad "no '$1' in:"; cat "$W/out"; }; }

# 1. the command line
status 0 "$PFQD" --help
for s in "Usage: pfqd -c FILE" "Options:" "  -c, --config FILE" "*Signals*" "*Exit status*" "Files:"; do
    has "$s"
done
status 0 "$PFQD" --version
has "pfqd (pfq) "
status 2 "$PFQD"
has "a configuration file is needed"
status 2 "$PFQD" --bogus
status 2 "$PFQD" -c x.conf extra
status 1 "$PFQD" --check "$W/nonexistent.conf"
has "$W/nonexistent.conf: cannot read the configuration: No such file or directory"
status 1 "$PFQD" --check "$W"
has "not a regular file"
printf '[pfqd]\ncon\0trol = x\n' >"$W/nul.conf"
status 1 "$PFQD" --check-syntax "$W/nul.conf"
has "$W/nul.conf:2:4: not a text file (a NUL byte)"

# 2. --check: the example is good as far as syntax goes; its devices are
# not here
status 0 "$PFQD" --check-syntax "$S/daemon/pfqd/pfqd.conf.example"
has "good: 2 groups"
status 1 "$PFQD" --check "$S/daemon/pfqd/pfqd.conf.example"
has "pfqd.conf.example:32:15: group 42: input: no device 'eth1' in this network namespace"
cat >"$W/bad.conf" <<'CONF'
[pfqd]
control = relative/path
[group 7]
input = b0, b0@x
computation = ip >->
    steer_flwo
filter = tcp port
CONF
status 1 "$PFQD" --check-syntax "$W/bad.conf"
has "$W/bad.conf:2:11: control: 'relative/path' is not an absolute path"
has "$W/bad.conf:4:13: input: queue 'x' is not a number in 0..65535"
has "$W/bad.conf:6:5: group 7: computation: unknown function 'steer_flwo'"
has "$W/bad.conf:7:10: group 7: filter: "
status 1 "$PFQD" -c "$W/bad.conf"
has "$W/bad.conf:2:11:"

# 3. on the test host: pfqd holds group 42, two tcpdumps share its flows
cat >"$W/pfqd.conf" <<CONF
[pfqd]
control = $W/pfqd/control
metrics = 127.0.0.1:19120
[group 42]
input = b0, b1
computation = ip >-> steer_flow
CONF
status 0 $NSB "$PFQD" --check "$W/pfqd.conf"
$NSB "$PFQD" -c "$W/pfqd.conf" 2>"$W/pfqd.err" & D=$!
for _ in $(seq 100); do grep -q "^info: ready" "$W/pfqd.err" && break; sleep 0.05; done
grep -q "^info: ready: 1 groups" "$W/pfqd.err" && ok || { bad "pfqd not ready"; cat "$W/pfqd.err"; }
[ -S "$W/pfqd/control" ] && [ "$(stat -c %a "$W/pfqd/control")" = 666 ] && ok ||
    bad "control socket: $(ls -l "$W/pfqd/control" 2>&1)"
# (a sanitized libpfq-pcap cannot be preloaded into tcpdump: pfq-dump then)
sanitized=$(grep -c '^PFQ_SANITIZE:BOOL=ON' "$B/CMakeCache.txt")
for i in 1 2; do
    if [ "$sanitized" -eq 0 ]; then
        PFQ_GROUP=42 $NSB timeout -s INT 60 "$RUN" tcpdump -n -i pfq -w "$W/t$i.pcap" 2>"$W/t$i.err" &
        eval T$i=$!
        wait_listening "$W/t$i.err"
    else
        $NSB timeout -s INT 60 "$B/tools/pfq-dump" -g 42 -q -w "$W/t$i.pcap" 2>"$W/t$i.err" &
        eval T$i=$!
    fi
done
for _ in $(seq 100); do
    [ "$($NSB "$B/tools/pfq-stat" --json -1 -g 42 | grep -o '"active":true' | wc -l)" -ge 2 ] && break
    sleep 0.05
done
gen -i a0 -n 2000 -f 400
gen -i a1 -n 1000 -f 200 -p tcp
sleep 1
# the metrics, scraped and read
$NSB curl -s -D "$W/head" http://127.0.0.1:19120/metrics >"$W/metrics"
grep -qi "^Content-Type: text/plain; version=0.0.4" "$W/head" && ok || { bad "metrics header"; cat "$W/head"; }
recv=$(awk '$1 == "pfq_group_recv_total{gid=\"42\"}" { print $2 }' "$W/metrics")
members=$(awk '$1 == "pfq_group_members{gid=\"42\"}" { print $2 }' "$W/metrics")
[ "${recv:-0}" -ge 3000 ] && [ "$members" = 2 ] && ok || { bad "metrics: recv '$recv', members '$members'"; cat "$W/metrics"; }
grep -q '^# TYPE pfq_group_recv_total counter$' "$W/metrics" && ok || bad "metrics: no TYPE line"
code=$($NSB curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:19120/other)
[ "$code" = 404 ] && ok || bad "metrics: /other answered $code"
# a second pfqd (its own control socket) does not take over the group
printf '[pfqd]\ncontrol = %s\n[group 42]\ninput = b0\ncomputation = ip >-> class 3\n' \
    "$W/other/control" >"$W/other.conf"
status 3 $NSB "$PFQD" -c "$W/other.conf"
has "group 42: held by another pfqd (pid $D)"
kill -INT $T1 $T2; wait $T1 $T2 2>/dev/null
two_shares 3000 600 "$W/t1.pcap" "$W/t2.pcap" && ok ||
    { bad "tcpdumps in pfqd's group: $SHARES"; cat "$W"/t*.err; }
kill -TERM $D; wait $D; st=$?
[ "$st" -eq 0 ] && ok || { bad "pfqd exited with $st"; cat "$W/pfqd.err"; }
[ ! -e "$W/pfqd/control" ] && ok || bad "control socket left"
$NSB "$B/tools/pfq-stat" --json -1 >"$W/out" 2>&1
grep -q '"gid":42' "$W/out" && bad "group 42 left: $(cat "$W/out")" || ok

# 4. the control socket's path: taken by a live pfqd, stale after kill -9, a
# file; a reload that moves the control socket and the metrics endpoint
ready() { for _ in $(seq 100); do grep -q "^info: ${2:-ready}" "$1" && return; sleep 0.05; done; }
printf '[pfqd]\ncontrol = %s\nmetrics = 127.0.0.1:19121\n' "$W/c/one" >"$W/c.conf"
$NSB "$PFQD" -c "$W/c.conf" 2>"$W/c1.err" & C1=$!
ready "$W/c1.err"
status 3 $NSB "$PFQD" -c "$W/c.conf"
has "$W/c/one: another pfqd listens on it"
kill -KILL $C1; wait $C1 2>/dev/null
[ -S "$W/c/one" ] && ok || bad "no stale socket after kill -9"
$NSB "$PFQD" -c "$W/c.conf" 2>"$W/c2.err" & C2=$!
ready "$W/c2.err"
grep -q "^info: ready" "$W/c2.err" && ok || { bad "pfqd over a stale socket"; cat "$W/c2.err"; }
printf '[pfqd]\ncontrol = %s\nmetrics = 127.0.0.1:19122\ncontrol_mode = 0600\n' "$W/c/two" >"$W/c.conf"
kill -HUP $C2
ready "$W/c2.err" reloaded
[ -S "$W/c/two" ] && [ ! -e "$W/c/one" ] && [ "$(stat -c %a "$W/c/two")" = 600 ] && ok ||
    { bad "control socket not moved: $(ls -l "$W/c")"; cat "$W/c2.err"; }
$NSB curl -sf http://127.0.0.1:19122/metrics | grep -q '^pfqd_reloads_total 1$' && ok ||
    bad "metrics not moved to 19122"
$NSB curl -sf http://127.0.0.1:19121/metrics >/dev/null 2>&1 && bad "metrics still on 19121" || ok
kill -TERM $C2; wait $C2 || bad "pfqd after the moves: $?"
: >"$W/c/one"
printf '[pfqd]\ncontrol = %s\n' "$W/c/one" >"$W/c.conf"
status 3 $NSB "$PFQD" -c "$W/c.conf"
has "$W/c/one exists and is not a socket"

# 4b. a device that goes and comes back (deleted, made again: a new
# index): while it is gone the rest of a reload goes through (its input is
# the step that fails); once back, a reload binds it again
reloads() { grep -c "^info: reloaded" "$1"; }
printf '[pfqd]\ncontrol = %s\n[group 44]\ninput = b1\n' "$W/d/control" >"$W/d.conf"
$NSB "$PFQD" -c "$W/d.conf" 2>"$W/d.err" & DD=$!
ready "$W/d.err"
$NSA ip link del a1
printf '[pfqd]\ncontrol = %s\n[group 44]\ninput = b1\n[group 45]\ninput = b0\n' "$W/d/control" >"$W/d.conf"
kill -HUP $DD
for _ in $(seq 100); do [ "$(reloads "$W/d.err")" -ge 1 ] && break; sleep 0.05; done
grep -q "group 45: created" "$W/d.err" && grep -q "group 44: .*input b1" "$W/d.err" && ok ||
    { bad "a reload with a device gone"; cat "$W/d.err"; }
$NSA ip link add a1 type veth peer name b1 netns "$NAME-b"
$NSA ip link set a1 up; $NSB ip link set b1 up
kill -HUP $DD
for _ in $(seq 100); do [ "$(reloads "$W/d.err")" -ge 2 ] && break; sleep 0.05; done
$NSB timeout 20 "$B/tools/pfq-dump" -g 44 -c 50 -q -w "$W/d.pcap" 2>"$W/dd.err" & DP=$!
for _ in $(seq 100); do
    [ "$($NSB "$B/tools/pfq-stat" --json -1 -g 44 | grep -o '"active":true' | wc -l)" -ge 1 ] && break
    sleep 0.05
done
gen -i a1 -n 50 -f 5
wait $DP && [ "$(tcpdump -r "$W/d.pcap" 2>/dev/null | wc -l)" -eq 50 ] && ok ||
    { bad "the device back is not captured"; cat "$W/d.err" "$W/dd.err"; }
# the same while pfqd is down (a member keeps the group): the pfqd started
# again adopts the group and binds the input anew
$NSB timeout 30 "$B/tools/pfq-dump" -g 44 -c 50 -q -w "$W/d2.pcap" 2>"$W/dd2.err" & DP=$!
for _ in $(seq 100); do
    [ "$($NSB "$B/tools/pfq-stat" --json -1 -g 44 | grep -o '"active":true' | wc -l)" -ge 1 ] && break
    sleep 0.05
done
kill -KILL $DD; wait $DD 2>/dev/null
$NSA ip link del a1
$NSA ip link add a1 type veth peer name b1 netns "$NAME-b"
$NSA ip link set a1 up; $NSB ip link set b1 up
$NSB "$PFQD" -c "$W/d.conf" 2>"$W/d2.err" & DD=$!
ready "$W/d2.err"
gen -i a1 -n 50 -f 5
wait $DP && [ "$(tcpdump -r "$W/d2.pcap" 2>/dev/null | wc -l)" -eq 50 ] && ok ||
    { bad "a device made again while pfqd was down is not captured"; cat "$W/d2.err" "$W/dd2.err"; }
kill -TERM $DD; wait $DD || bad "pfqd after the device came back: $?"

# an output (egress endpoint) needs pfq_egress_bind: without it, pfqd says
# so and gives up
if ! grep -q pfq_egress_bind "$S/include/pfq/pfq.h"; then
    printf '[pfqd]\ncontrol = %s\n[group 9]\ninput = b0\noutput = b1 weight=2\n' "$W/c/out" >"$W/c.conf"
    status 3 $NSB "$PFQD" -c "$W/c.conf"
    has "error: group 9: output b1: this libpfq has no pfq_egress_bind (egress endpoints)"
    [ ! -e "$W/c/out" ] && ok || bad "control socket left after a failed start"
    $NSB "$B/tools/pfq-stat" --json -1 >"$W/out" 2>&1
    grep -q '"gid":9' "$W/out" && bad "group 9 left: $(cat "$W/out")" || ok
fi

# 5. installed where packages look for it
DESTDIR=$W/stage cmake --install "$B" --prefix /usr >/dev/null 2>&1
[ -x "$W/stage/usr/sbin/pfqd" ] && [ -f "$W/stage/usr/share/doc/pfq/pfqd.conf.example" ] && ok ||
    bad "install: $(find "$W/stage" -name 'pfqd*')"

finish
