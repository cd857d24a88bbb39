#!/usr/bin/env bash
# Every function of the installed libpcap that takes a pcap_t is defined by
# libpfq-pcap, so that none of our handles can reach the system libpcap;
# the drop-in's data symbols are as large as the system's.
# Usage: test_pcap_symbols.sh BUILD_DIR
set -euo pipefail
B=$1
HDR=/usr/include/pcap/pcap.h
SYS=$(ls /usr/lib/*/libpcap.so.0.8 2>/dev/null | head -1)
[ -f "$HDR" ] && [ -n "$SYS" ] || { echo "libpcap headers or library missing"; exit 1; }
# prototypes with a pcap_t * parameter (the header puts each on one line)
takes=$(grep -E '^PCAP_API' "$HDR" | grep -E '\(pcap_t ?\*' |
        sed -E 's/.*[[:space:]*](pcap_[a-z0-9_]+)\(pcap_t.*/\1/' | sort -u)
exported=$(nm -D --defined-only "$SYS" | awk '{print $3}' | sort -u)
ours=$(nm -D --defined-only "$B/pcap/libpfq-pcap.so" | awk '{print $3}' | sort -u)
pass=0 fail=0
for f in $takes; do
    grep -qx "$f" <<<"$exported" || continue   # declared, not built on Linux
    if grep -qx "$f" <<<"$ours"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: $f takes a pcap_t and is not handled"; fi
done
# the drop-in's data symbols have the system's sizes (a program's copy of
# one is sized by the library it was linked with; a larger one overran it)
DROPIN=$B/pcap/dropin/libpcap.so.0.8
for d in $(nm -D -S --defined-only "$SYS" | awk '$3 ~ /^[DBR]$/ {print $4}'); do
    want=$(nm -D -S --defined-only "$SYS" | awk -v s="$d" '$4 == s {print $2}')
    got=$(nm -D -S --defined-only "$DROPIN" | awk -v s="$d" '$4 == s {print $2}')
    if [ -z "$got" ]; then
        echo "note: the drop-in has no data symbol $d"
    elif [ "$((16#$got))" -eq "$((16#$want))" ]; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: data symbol $d: $((16#$got)) bytes, the system's $((16#$want))"
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -ge 40 ]
