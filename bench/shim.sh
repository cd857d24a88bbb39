#!/usr/bin/env bash
# What libpfq-pcap costs a program on handles that are not pfq's: the same
# shim-bench (linked against the system libpcap) run stock, under pfq-run
# and with the drop-in, in interleaved rounds, on a file and on lo of a
# private network namespace; the best of the rounds per call, in ns, and
# the ratios to stock.
#
#   bench/shim.sh [--count N] [--calls N] [--rounds R] [--build DIR]
#
# --count: packets in the file (default 1000000); --calls: pcap_datalink
# calls per run (default 10000000; idle device reads: 1/50 of it).
set -euo pipefail
COUNT=1000000 CALLS=10000000 ROUNDS=3
# shellcheck source=bench/options.sh
. "$(dirname "$0")/options.sh"
BENCH=$BUILD/bench/shim-bench
for f in "$BENCH" "$BUILD/tools/pfq-run" "$BUILD/pcap/dropin/libpcap.so.0.8"; do
    [ -e "$f" ] || { echo "shim.sh: $f missing (build first)" >&2; exit 1; }
done
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# run WAY: one run of the bench, "NAME NS" lines; lo of a namespace of its
# own (unshare: gone when the run ends) is the plain device
run() {
    local pre
    case $1 in
        stock) pre="" ;;
        pfq-run) pre="$BUILD/tools/pfq-run" ;;
        drop-in) pre="env LD_LIBRARY_PATH=$BUILD/pcap/dropin" ;;
    esac
    unshare --net sh -c "ip link set lo up && exec $pre '$BENCH' --file '$WORK/f.pcap' \
        --count $COUNT --calls $CALLS --repeat 3 --device lo"
}

for r in $(seq "$ROUNDS"); do
    for way in stock pfq-run drop-in; do
        run $way | sed "s/^/$way /" >>"$WORK/all"
    done
done
uname -r | sed 's/^/kernel /'
echo "$(nproc) CPUs; file of $COUNT packets, $CALLS pcap_datalink calls; best of $ROUNDS rounds x 3"
awk '
    { v = $3; k = $2 SUBSEP $1; if (!(k in best) || v < best[k]) best[k] = v; names[$2] = 1 }
    END {
        printf "%-28s %10s %10s %10s %8s %8s\n", "ns per call", "stock", "pfq-run", "drop-in", "pfq-run/", "drop-in/"
        n = split("file_pcap_next_ex file_pcap_loop file_pcap_datalink device_pcap_datalink device_pcap_next_ex_idle device_pcap_dispatch_idle", order, " ")
        for (i = 1; i <= n; i++) {
            m = order[i]; if (!(m in names)) continue
            s = best[m SUBSEP "stock"]; p = best[m SUBSEP "pfq-run"]; d = best[m SUBSEP "drop-in"]
            if (s > 0) printf "%-28s %10.2f %10.2f %10.2f %8.2f %8.2f\n", m, s, p, d, p / s, d / s
            else printf "%-28s %10.2f %10.2f %10.2f %8s %8s\n", m, s, p, d, "n/a", "n/a"
        }
    }' "$WORK/all"
