# Shared by bench/run.sh and bench/groups.sh (sourced, not run): their
# options (bench/options.sh); the readers they need, built (and tcpdump when
# NEED_TCPDUMP is set); a private test host removed on exit, with the
# readers; busy_ticks. Expects COUNT, ROUNDS and NAME (a prefix) set; sets
# HERE, TOP, BUILD, WORK, NSA, NSB, NCPU and RX_CPU.
# shellcheck source=bench/options.sh
. "$(dirname "$0")/options.sh"
for b in pfq-rx pcap-rx cpu-run; do
    [ -x "$BUILD/bench/$b" ] || { echo "bench: $BUILD/bench/$b missing (build first)" >&2; exit 1; }
done
if [ -n "${NEED_TCPDUMP:-}" ]; then
    command -v tcpdump >/dev/null || { echo "bench: tcpdump not installed (scripts/deps.sh)" >&2; exit 1; }
fi

NAME=$NAME$$
WORK=$(mktemp -d)
cleanup() {
    pkill -INT -f "$WORK/" 2>/dev/null || true
    pkill -INT -f "$BUILD/bench/pfq-rx b0" 2>/dev/null || true
    pkill -INT -f "$BUILD/bench/pcap-rx b0" 2>/dev/null || true
    "$TOP/scripts/testhost.sh" destroy "$NAME"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$TOP/scripts/testhost.sh" create "$NAME"
NSA="ip netns exec $NAME-a"
NSB="ip netns exec $NAME-b"
NCPU=$(nproc)
RX_CPU=$((NCPU > 1 ? 1 : 0))

# the whole machine's busy CPU so far, in clock ticks
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
