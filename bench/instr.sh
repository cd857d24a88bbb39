#!/usr/bin/env bash
# User-space instructions per packet of the PFQ reader and the stock libpcap
# reader, counted by callgrind (repeatable, unlike CPU time): each reader runs
# once with no traffic and once with N packets; the difference / N is its
# per-packet cost. Usage: bench/instr.sh [--count N] [--build DIR]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILD=$TOP/build
COUNT=200000
while [ $# -gt 0 ]; do
    case $1 in
        --count) COUNT=$2; shift 2 ;;
        --build) BUILD=$2; shift 2 ;;
        -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "instr: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ $COUNT =~ ^[0-9]+$ && $COUNT -ge 1000 ]] || { echo "instr: --count >= 1000" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "instr: valgrind missing" >&2; exit 1; }
NAME=pfqinstr$$
W=$(mktemp -d)
trap '"$TOP/scripts/testhost.sh" destroy "$NAME"; rm -rf "$W"' EXIT
"$TOP/scripts/testhost.sh" create "$NAME"

# measure READER N -> total instructions
measure() {
    local reader=$1 n=$2 cmd
    case $reader in
        pfq) cmd=("$BUILD/bench/pfq-rx" b0 262144 65536) ;;
        libpcap) cmd=("$BUILD/bench/pcap-rx" b0 65535) ;;
    esac
    ip netns exec "$NAME-b" valgrind --tool=callgrind --callgrind-out-file="$W/cg" \
        "${cmd[@]}" >"$W/out" 2>"$W/err" &
    local pid=$!
    for _ in $(seq 200); do grep -q ready "$W/out" 2>/dev/null && break; sleep 0.05; done
    [ "$n" -gt 0 ] && ip netns exec "$NAME-a" "$BUILD/tools/pfq-gen" -i a0 -n "$n" -f 64 -q
    sleep 1
    kill -INT "$pid"; wait "$pid" || true
    local got
    got=$(awk '/^recv/{print $2}' "$W/out")
    [ "$got" = "$n" ] || echo "instr: $reader received $got of $n (valgrind too slow?)" >&2
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$W/err"
}
printf "%-9s %16s\n" reader "instr/packet"
declare -A per
for r in pfq libpcap; do
    base=$(measure $r 0)
    full=$(measure $r "$COUNT")
    per[$r]=$(( (full - base) / COUNT ))
    printf "%-9s %16d\n" "$r" "${per[$r]}"
done
awk -v a="${per[pfq]}" -v b="${per[libpcap]}" 'BEGIN{printf "pfq/libpcap instructions: %.2f\n", a/b}'
