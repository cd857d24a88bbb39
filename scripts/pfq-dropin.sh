#!/usr/bin/env bash
# Usage: pfq-dropin.sh enable [DIR]
#   or:  pfq-dropin.sh disable
#   or:  pfq-dropin.sh status
# Make unmodified libpcap programs use pfq devices without pfq-run, by
# putting the drop-in libpcap.so.0.8 of libpfq-pcap first in the loader's
# search path (a file in /etc/ld.so.conf.d, then ldconfig); and undo it.
#
# Commands:
#   enable [DIR]   DIR: where the drop-in is installed (default:
#                  PREFIX/lib/<multiarch>/pfq, PREFIX/lib/pfq or
#                  PREFIX/lib64/pfq, PREFIX being where this script is
#                  installed)
#   disable        take it out of the loader's path again
#   status         enabled (and the directory) or disabled
#
# Options:
#   -h, --help     this text
#
# With it enabled, the seed's commands run as written:
#   tcpdump -n -i pfq:eth0:eth1
# Every other device, and files, still go to the system libpcap.
# (For tests: PFQ_DROPIN_CONF names the loader file, PFQ_LDCONFIG the
# command run after changing it.)
set -euo pipefail
CONF=${PFQ_DROPIN_CONF:-/etc/ld.so.conf.d/000-pfq-pcap.conf}
LDCONFIG=${PFQ_LDCONFIG:-ldconfig}
die() { echo "pfq-dropin: $*" >&2; exit 1; }
# the drop-in's directory: the one given, or where the install put it
find_dir() {
    local prefix arch c
    if [ -n "${1:-}" ]; then
        [ -d "$1" ] || die "$1: no such directory"
        [ -f "$1/libpcap.so.0.8" ] || die "no libpcap.so.0.8 in $1"
        readlink -f "$1"
        return
    fi
    prefix=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
    arch=$(gcc -print-multiarch 2>/dev/null || dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null ||
           echo x86_64-linux-gnu)
    # (the glob: a machine without gcc or dpkg-architecture, e.g. where the
    # Debian package alone is installed, on an architecture other than x86_64)
    for c in "$prefix/lib/$arch/pfq" "$prefix/lib/pfq" "$prefix/lib64/pfq" "$prefix"/lib/*-linux-*/pfq; do
        [ -f "$c/libpcap.so.0.8" ] && { echo "$c"; return; }
    done
    die "no libpcap.so.0.8 in $prefix/lib/$arch/pfq, $prefix/lib/pfq or $prefix/lib64/pfq; give its directory: $0 enable DIR"
}
cmd=${1:-status}
case $cmd in
    enable)
        dir=$(find_dir "${2:-}") || exit 1
        echo "$dir" >"$CONF" 2>/dev/null || die "cannot write $CONF (root is needed)"
        $LDCONFIG || die "$LDCONFIG failed"
        echo "pfq-dropin: enabled ($dir first in the loader path; undo: $0 disable)" ;;
    disable)
        rm -f "$CONF" 2>/dev/null || die "cannot remove $CONF (root is needed)"
        $LDCONFIG || die "$LDCONFIG failed"
        echo "pfq-dropin: disabled" ;;
    status)
        if [ -f "$CONF" ]; then echo "enabled: $(cat "$CONF")"; else echo "disabled"; fi ;;
    -h|--help)
        awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0" ;;
    *) echo "pfq-dropin: enable [DIR], disable or status" >&2; exit 2 ;;
esac
