# The options of the bench scripts (sourced, not run): --count N,
# --rounds R, --build DIR, --calls N (only where CALLS is set beforehand)
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
        --calls) [ -n "${CALLS:-}" ] || { echo "bench: unknown option $1" >&2; exit 2; }
                 CALLS=$2; shift 2 ;;
        -h|--help) awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; exit 0 ;;
        *) echo "bench: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ $COUNT =~ ^[0-9]+$ && $COUNT -ge 1000 ]] || { echo "bench: --count >= 1000" >&2; exit 2; }
[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 1 && $ROUNDS -le 20 ]] || { echo "bench: --rounds 1..20" >&2; exit 2; }
[[ -z "${CALLS:-}" || ( $CALLS =~ ^[0-9]+$ && $CALLS -ge 1000 ) ]] || { echo "bench: --calls >= 1000" >&2; exit 2; }
