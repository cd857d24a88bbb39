# The options of the bench scripts (sourced, not run): --count N,
# --rounds R, --build DIR, and where the script sets the variable
# beforehand: --calls N (CALLS), --members "N..." (MEMBERS), --plot FILE
# (PLOT), --k "K..." (KS), --cpus LIST (CPUS), --rate PPS (RATE),
# --no-perf (PERF emptied)
# and --help (the script's leading comment), checked. Expects COUNT and
# ROUNDS set; sets HERE, TOP and BUILD.
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILD=$TOP/build
while [ $# -gt 0 ]; do
    case $1 in
        --count) COUNT=$2; shift 2 ;;
        --rounds) ROUNDS=$2; shift 2 ;;
        --build) BUILD=$2; shift 2 ;;
        --members) [ -n "${MEMBERS:-}" ] || { echo "bench: unknown option $1" >&2; exit 2; }
                   MEMBERS=$2; shift 2 ;;
        --plot) [ -n "${PLOT+x}" ] || { echo "bench: unknown option $1" >&2; exit 2; }
                PLOT=$2; shift 2 ;;
        --k) [ -n "${KS:-}" ] || { echo "bench: unknown option $1" >&2; exit 2; }
             KS=$2; shift 2 ;;
        --cpus) [ -n "${CPUS+x}" ] || { echo "bench: unknown option $1" >&2; exit 2; }
                CPUS=$2; shift 2 ;;
        --rate) [ -n "${RATE+x}" ] || { echo "bench: unknown option $1" >&2; exit 2; }
                RATE=$2; shift 2 ;;
        --no-perf) [ -n "${PERF+x}" ] || { echo "bench: unknown option $1" >&2; exit 2; }
                   PERF=; shift ;;
        --calls) [ -n "${CALLS:-}" ] || { echo "bench: unknown option $1" >&2; exit 2; }
                 CALLS=$2; shift 2 ;;
        -h|--help) awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; exit 0 ;;
        *) echo "bench: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ $COUNT =~ ^[0-9]+$ && $COUNT -ge 1000 ]] || { echo "bench: --count >= 1000" >&2; exit 2; }
[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 1 && $ROUNDS -le 20 ]] || { echo "bench: --rounds 1..20" >&2; exit 2; }
for m in ${MEMBERS:-}; do
    [[ $m =~ ^[0-9]+$ && $m -ge 1 && $m -le 64 ]] || { echo "bench: --members: numbers 1..64" >&2; exit 2; }
done
for m in ${KS:-}; do
    [[ $m =~ ^[0-9]+$ && $m -ge 1 && $m -le 64 ]] || { echo "bench: --k: numbers 1..64" >&2; exit 2; }
done
[[ -z "${CPUS:-}" || $CPUS =~ ^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$ ]] ||
    { echo "bench: --cpus: a CPU list such as 0-3,6" >&2; exit 2; }
[[ -z "${RATE:-}" || ( $RATE =~ ^[0-9]+$ && $RATE -ge 1 && $RATE -le 100000000 ) ]] ||
    { echo "bench: --rate: packets per second, 1..100000000" >&2; exit 2; }
[[ -z "${CALLS:-}" || ( $CALLS =~ ^[0-9]+$ && $CALLS -ge 1000 ) ]] || { echo "bench: --calls >= 1000" >&2; exit 2; }
