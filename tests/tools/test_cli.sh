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
check "pfq-gen unknown device" 1 "$B/tools/pfq-gen" -i nosuchdev0 -n 1
check "pfq-dump no device" 2 "$B/tools/pfq-dump"
check "pfq-dump bad snaplen" 2 "$B/tools/pfq-dump" -i lo -s 0
check "pfq-dump huge snaplen" 2 "$B/tools/pfq-dump" -i lo -s 99999999999999999999
check "pfq-dump bad direction" 2 "$B/tools/pfq-dump" -i lo -d sideways
check "pfq-dump unknown device" 1 "$B/tools/pfq-dump" -i nosuchdev0 -c 1
check "pfq-dump bad queue" 1 "$B/tools/pfq-dump" -i lo@x -c 1
check "pfq-dump queue out of range" 1 "$B/tools/pfq-dump" -i lo@3 -c 1
check "pfq-dump empty list" 1 "$B/tools/pfq-dump" -i : -c 1
check "pfq-dump unwritable file" 1 "$B/tools/pfq-dump" -i lo -c 1 -w /nonexistent/dir/x.pcap
grep -q "no such device" /tmp/cli.$$ || true
rm -f /tmp/cli.$$
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
