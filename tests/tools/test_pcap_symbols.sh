#!/usr/bin/env bash
# Every function of the installed libpcap that takes a pcap_t is defined by
# libpfq-pcap, so that none of our handles can reach the system libpcap.
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
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -ge 40 ]
