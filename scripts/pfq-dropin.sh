#!/usr/bin/env bash
# Make unmodified libpcap programs use pfq devices without pfq-run, by
# putting the drop-in libpcap.so.0.8 of libpfq-pcap first in the loader's
# search path (a file in /etc/ld.so.conf.d, then ldconfig); and undo it.
#
#   pfq-dropin.sh enable  [DIR]   DIR: where the drop-in is installed
#                                 (default: PREFIX/lib/<multiarch>/pfq)
#   pfq-dropin.sh disable
#   pfq-dropin.sh status
#
# With it enabled, the seed's commands run as written:
#   tcpdump -n -i pfq:eth0:eth1
# Every other device, and files, still go to the system libpcap.
set -euo pipefail
CONF=/etc/ld.so.conf.d/000-pfq-pcap.conf
cmd=${1:-status}
case $cmd in
    enable)
        dir=${2:-$(dirname "$(readlink -f "$0")")/../lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/pfq}
        dir=$(readlink -f "$dir")
        [ -f "$dir/libpcap.so.0.8" ] || { echo "pfq-dropin: no libpcap.so.0.8 in $dir" >&2; exit 1; }
        echo "$dir" >"$CONF"
        ldconfig
        echo "pfq-dropin: enabled ($dir first in the loader path; undo: $0 disable)" ;;
    disable)
        rm -f "$CONF"
        ldconfig
        echo "pfq-dropin: disabled" ;;
    status)
        if [ -f "$CONF" ]; then echo "enabled: $(cat "$CONF")"; else echo "disabled"; fi ;;
    -h|--help)
        sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) echo "pfq-dropin: enable [DIR], disable or status" >&2; exit 2 ;;
esac
