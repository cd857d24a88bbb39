#!/usr/bin/env bash
# Command-line behaviour of the tools: help, bad usage, bad devices.
# Usage: test_cli.sh BUILD_DIR
set -u
B=$1
pass=0 fail=0
check() { # check DESCRIPTION EXPECTED_STATUS COMMAND...
    local what=$1 want=$2
    shift 2
    "$@" >/tmp/cli.$$ 2>&1
    local got=$?
    if [ "$got" -eq "$want" ]; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: $what: status $got, expected $want"; cat /tmp/cli.$$; fi
}
check "pfq-gen --help" 0 "$B/tools/pfq-gen" --help
check "pfq-dump --help" 0 "$B/tools/pfq-dump" --help
check "pfq-gen no device" 2 "$B/tools/pfq-gen"
check "pfq-gen bad count" 2 "$B/tools/pfq-gen" -i lo -n abc
check "pfq-gen negative count" 2 "$B/tools/pfq-gen" -i lo -n -5
check "pfq-gen bad length" 2 "$B/tools/pfq-gen" -i lo -l 10
check "pfq-gen bad proto" 2 "$B/tools/pfq-gen" -i lo -p sctp
check "pfq-gen bad mac" 2 "$B/tools/pfq-gen" -i lo --dst-mac 1:2:3
check "pfq-gen bad vlan" 2 "$B/tools/pfq-gen" -i lo --vlan 4096
check "pfq-gen bad source address" 2 "$B/tools/pfq-gen" -i lo --src 1.2.3
check "pfq-gen bad IPv6 destination" 2 "$B/tools/pfq-gen" -i lo -6 --dst fd00::zz
check "pfq-gen unknown device" 1 "$B/tools/pfq-gen" -i nosuchdev0 -n 1
check "pfq-gen TX option without --pfq" 2 "$B/tools/pfq-gen" -i lo --batch 4
check "pfq-gen bad batch" 2 "$B/tools/pfq-gen" -i lo --pfq --batch 0
check "pfq-gen pfq unknown device" 1 "$B/tools/pfq-gen" -i nosuchdev0 --pfq -n 1
check "pfq-gen offline TX thread CPU" 1 "$B/tools/pfq-gen" -i lo --pfq --tx-thread 4000 -n 1
grep -q "CPU 4000 is not online" /tmp/cli.$$ || { fail=$((fail + 1)); echo "FAIL: tx-thread message"; cat /tmp/cli.$$; }
check "pfq-dump no device" 2 "$B/tools/pfq-dump"
check "pfq-dump bad snaplen" 2 "$B/tools/pfq-dump" -i lo -s 0
check "pfq-dump huge snaplen" 2 "$B/tools/pfq-dump" -i lo -s 99999999999999999999
check "pfq-dump bad direction" 2 "$B/tools/pfq-dump" -i lo -d sideways
check "pfq-dump unknown device" 1 "$B/tools/pfq-dump" -i nosuchdev0 -c 1
check "pfq-dump bad queue" 1 "$B/tools/pfq-dump" -i lo@x -c 1
check "pfq-dump queue out of range" 1 "$B/tools/pfq-dump" -i lo@3 -c 1
check "pfq-dump empty list" 1 "$B/tools/pfq-dump" -i : -c 1
check "pfq-dump unwritable file" 1 "$B/tools/pfq-dump" -i lo -c 1 -w /nonexistent/dir/x.pcap
# a bad value is named with its option and what was expected (issue 14)
check "pfq-dump bad snaplen message" 2 "$B/tools/pfq-dump" -i lo -s 0x
grep -q "invalid value '0x' for --snaplen: expected a number in 1..262144" /tmp/cli.$$ ||
    { fail=$((fail + 1)); echo "FAIL: snaplen message"; cat /tmp/cli.$$; }
check "pfq-gen bad proto message" 2 "$B/tools/pfq-gen" -i lo --proto sctp
grep -q "invalid value 'sctp' for --proto: expected udp, tcp or icmp" /tmp/cli.$$ ||
    { fail=$((fail + 1)); echo "FAIL: proto message"; cat /tmp/cli.$$; }
check "pfq-dump bad class" 2 "$B/tools/pfq-dump" -g 1 --class -1
check "pfq-run unknown option" 2 "$B/tools/pfq-run" --bogus
check "pfq-run no program" 2 "$B/tools/pfq-run" --
check "pfq-run program not found" 127 "$B/tools/pfq-run" nosuchprogram0
check "pfq-run program after --" 0 "$B/tools/pfq-run" -- true
check "pfq-dump --pfqd without a group" 2 "$B/tools/pfq-dump" -i lo --pfqd -c 1
check "pfq-dump device listed twice" 1 "$B/tools/pfq-dump" -i lo:lo -c 1
grep -q "device 'lo' listed twice" /tmp/cli.$$ ||
    { fail=$((fail + 1)); echo "FAIL: twice message"; cat /tmp/cli.$$; }
check "pfq-dump empty device name" 1 "$B/tools/pfq-dump" -i lo::lo -c 1
check "pfq-stat bad count" 2 "$B/tools/pfq-stat" -n -1
# error exits free what they took (issue 13): valgrind finds nothing lost
# (its complaints about the bpf() system call's arguments are not ours)
leakcheck() { # leakcheck DESCRIPTION EXPECTED_STATUS COMMAND...
    local what=$1 want=$2
    shift 2
    check "$what, under valgrind" "$want" valgrind -q --leak-check=full "$@"
    if grep -Eq "(definitely|indirectly) lost: [1-9]|are (definitely|indirectly) lost" /tmp/cli.$$; then
        fail=$((fail + 1)); echo "FAIL: $what: memory lost"; cat /tmp/cli.$$; fi
}
if command -v valgrind >/dev/null; then
    leakcheck "pfq-dump unwritable file" 1 "$B/tools/pfq-dump" -i lo -c 1 -w /nonexistent/dir/x.pcap
    leakcheck "pfq-gen unknown device" 1 "$B/tools/pfq-gen" -i nosuchdev0 -n 1
check "pfq-gen TX option without --pfq" 2 "$B/tools/pfq-gen" -i lo --batch 4
check "pfq-gen bad batch" 2 "$B/tools/pfq-gen" -i lo --pfq --batch 0
check "pfq-gen pfq unknown device" 1 "$B/tools/pfq-gen" -i nosuchdev0 --pfq -n 1
check "pfq-gen offline TX thread CPU" 1 "$B/tools/pfq-gen" -i lo --pfq --tx-thread 4000 -n 1
grep -q "CPU 4000 is not online" /tmp/cli.$$ || { fail=$((fail + 1)); echo "FAIL: tx-thread message"; cat /tmp/cli.$$; }
    leakcheck "pfq-gen bad address" 2 "$B/tools/pfq-gen" -i lo -n 1 --src 1.2.3
    leakcheck "pfq-dump unknown device" 1 "$B/tools/pfq-dump" -i nosuchdev0 -c 1
    leakcheck "pfq-lang missing file" 3 "$B/tools/pfq-lang" check /nonexistent.pfq
fi
# pfq-lang
L=$B/tools/pfq-lang
W=$(mktemp -d)
check "pfq-lang --help" 0 "$L" --help
check "pfq-lang no command" 2 "$L"
check "pfq-lang unknown command" 2 "$L" frobnicate -e ip
check "pfq-lang check ok" 0 "$L" check -e 'ip >-> steer_flow'
check "pfq-lang check error" 1 "$L" check -e 'ip >-> steer_flw'
grep -q "1:8: error: unknown function 'steer_flw' (did you mean 'steer_flow'?)" /tmp/cli.$$ ||
    { fail=$((fail + 1)); echo "FAIL: error message"; cat /tmp/cli.$$; }
check "pfq-lang both file and expr" 2 "$L" check -e ip /dev/null
check "pfq-lang missing file" 3 "$L" check /nonexistent.pfq
printf 'f x = when (has_port x) drop\nmain = f 53 >-> steer_flow\n' >"$W/p.pfq"
check "pfq-lang check file" 0 "$L" check "$W/p.pfq"
check "pfq-lang stdin" 0 sh -c "echo 'when is_tcp drop' | '$L' check -"
check "pfq-lang dump" 0 "$L" dump -e 'when is_tcp drop'
grep -q "is_tcp :: NetPredicate" /tmp/cli.$$ || { fail=$((fail + 1)); echo "FAIL: dump types"; }
check "pfq-lang dump --ebpf" 0 "$L" dump --ebpf -e 'ip >-> steer_flow'
grep -q "verified and JIT-compiled" /tmp/cli.$$ || { fail=$((fail + 1)); echo "FAIL: ebpf listing"; }
check "pfq-lang functions" 0 "$L" functions
check "pfq-lang run without pcap" 2 "$L" run -e ip
check "pfq-lang run bad pcap" 3 "$L" run -e ip --pcap /nonexistent.pcap
# two frames: UDP 10.0.0.1:1000 -> 10.0.0.2:53 and a TCP one
cat >"$W/frames.txt" <<'HEX'
0000 02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00
0010 00 1c 00 01 00 00 40 11 00 00 0a 00 00 01 0a 00
0020 00 02 03 e8 00 35 00 08 00 00

0000 02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00
0010 00 28 00 01 00 00 40 06 00 00 0a 00 00 01 0a 00
0020 00 02 9c 40 00 50 00 00 00 00 00 00 00 00 50 18
0030 ff ff 00 00 00 00
HEX
text2pcap -q "$W/frames.txt" "$W/f.pcap" 2>/dev/null
check "pfq-lang run" 0 "$L" run -e 'when is_tcp drop' --pcap "$W/f.pcap"
grep -q "^2 .*drop" /tmp/cli.$$ && grep -q "^1 .*copy" /tmp/cli.$$ ||
    { fail=$((fail + 1)); echo "FAIL: run table"; cat /tmp/cli.$$; }
check "pfq-lang run --json --ebpf" 0 "$L" run --json --ebpf -e 'ip >-> steer_flow' --pcap "$W/f.pcap"
grep -q '"fate":"steer"' /tmp/cli.$$ || { fail=$((fail + 1)); echo "FAIL: json"; cat /tmp/cli.$$; }
grep -q "decides differently" /tmp/cli.$$ && { fail=$((fail + 1)); echo "FAIL: ebpf differs"; }
# pfq-stat (a registry of its own: the machine's groups are not touched)
S=$B/tools/pfq-stat
export PFQ_RUN_DIR=$W/run
check "pfq-stat --help" 0 "$S" --help
check "pfq-stat bad group" 2 "$S" -g 64
check "pfq-stat bad interval" 2 "$S" -i 0
check "pfq-stat extra argument" 2 "$S" foo
check "pfq-dump computation without device or group" 2 "$B/tools/pfq-dump" -C ip
check "pfq-dump computation that does more without group" 1 "$B/tools/pfq-dump" -i lo -C steer_flow -c 1
grep -q "steer_flow does more than filter.*(use -g)" /tmp/cli.$$ ||
    { fail=$((fail + 1)); echo "FAIL: pfq-dump -C steer_flow message"; cat /tmp/cli.$$; }
check "pfq-lang dump --classic" 0 "$L" dump --classic -e 'tcp >-> port 80'
grep -q "^(000) ld       #pktlen" /tmp/cli.$$ && grep -q "ret      #262144" /tmp/cli.$$ ||
    { fail=$((fail + 1)); echo "FAIL: pfq-lang dump --classic listing"; cat /tmp/cli.$$; }
check "pfq-lang dump --classic, not a filter" 1 "$L" dump --classic -e 'ip >-> steer_flow'
grep -q "steer_flow does more than filter" /tmp/cli.$$ ||
    { fail=$((fail + 1)); echo "FAIL: pfq-lang --classic message"; cat /tmp/cli.$$; }
check "pfq-dump bad group" 2 "$B/tools/pfq-dump" -g 64
check "pfq-dump bad weight" 2 "$B/tools/pfq-dump" -g 1 --weight 17
check "pfq-dump bad computation" 1 "$B/tools/pfq-dump" -g 1 -C steer_flw -c 1
grep -q "steer_flow" /tmp/cli.$$ || { fail=$((fail + 1)); echo "FAIL: no suggestion"; cat /tmp/cli.$$; }
check "pfq-stat --once" 0 "$S" --once
grep -q "no PFQ groups" /tmp/cli.$$ || { fail=$((fail + 1)); echo "FAIL: pfq-stat empty"; cat /tmp/cli.$$; }
check "pfq-stat --json" 0 "$S" --json -n 1
grep -q '^{"groups":\[\]}$' /tmp/cli.$$ || { fail=$((fail + 1)); echo "FAIL: pfq-stat json"; cat /tmp/cli.$$; }
# a look from outside makes nothing: in an empty run directory (root's,
# 0700) no directory for the namespace, and no run directory where none is
mkdir -m 0700 "$W/look"
export PFQ_RUN_DIR=$W/look
check "pfq-stat, empty run directory" 0 "$S" --once
check "pfq-stat -g, empty run directory" 0 "$S" -g 5 --json --once
[ -z "$(ls -A "$W/look")" ] || { fail=$((fail + 1)); echo "FAIL: pfq-stat made: $(ls -A "$W/look")"; }
export PFQ_RUN_DIR=$W/none/run
check "pfq-stat, no run directory" 0 "$S" --once
[ ! -e "$W/none" ] || { fail=$((fail + 1)); echo "FAIL: pfq-stat made $W/none"; }
rm -rf "$W"
rm -f /tmp/cli.$$
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
