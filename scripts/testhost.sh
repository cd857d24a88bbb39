#!/usr/bin/env bash
# Test hosts: private network namespaces joined by veth pairs.
#
#   testhost.sh create NAME [--pairs N] [--queues Q]
#       namespaces NAME-a and NAME-b; veth pairs a0<->b0, a1<->b1, ...
#       (a* in NAME-a, b* in NAME-b), each with Q tx/rx queues, up,
#       IPv6 off (no stray router/neighbour traffic), addresses 10.77.i.1/24
#       on a<i> and 10.77.i.2/24 on b<i>.
#   testhost.sh destroy NAME      remove both namespaces (and their veths)
#   testhost.sh list              namespaces made by this script
#   testhost.sh cleanup PREFIX    remove every namespace named PREFIX*, except
#                                 those named PREFIX<pid>-... of a live process
#                                 (another test run's)
#
# Every name is private to the namespaces: nothing touches the machine's own
# interfaces. 802.1Q sub-interfaces need CONFIG_VLAN_8021Q, which this kernel
# lacks; tests send tagged frames on the plain veths instead.
set -euo pipefail

die() { echo "testhost: $*" >&2; exit 1; }

create() {
    local name=$1; shift
    local pairs=1 queues=1
    while [ $# -gt 0 ]; do
        case $1 in
            --pairs) pairs=$2; shift 2 ;;
            --queues) queues=$2; shift 2 ;;
            *) die "unknown option $1" ;;
        esac
    done
    [[ $name =~ ^[A-Za-z0-9_.-]{1,40}$ ]] || die "bad name '$name'"
    [[ $pairs =~ ^[1-8]$ ]] || die "--pairs must be 1..8"
    [[ $queues =~ ^[0-9]+$ && $queues -ge 1 && $queues -le 64 ]] || die "--queues must be 1..64"
    ip netns add "$name-a"
    ip netns add "$name-b" || { ip netns del "$name-a"; exit 1; }
    trap 'destroy "$name"' ERR
    local i
    for ns in a b; do
        ip -n "$name-$ns" link set lo up
        ip netns exec "$name-$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
            net.ipv6.conf.default.disable_ipv6=1
    done
    for ((i = 0; i < pairs; i++)); do
        ip -n "$name-a" link add "a$i" numtxqueues "$queues" numrxqueues "$queues" \
            type veth peer name "b$i" netns "$name-b" \
            numtxqueues "$queues" numrxqueues "$queues"
        ip -n "$name-a" link set "a$i" address "02:aa:00:00:0$i:01"
        ip -n "$name-b" link set "b$i" address "02:bb:00:00:0$i:02"
        ip -n "$name-a" addr add "10.77.$i.1/24" dev "a$i"
        ip -n "$name-b" addr add "10.77.$i.2/24" dev "b$i"
        ip -n "$name-a" link set "a$i" up
        ip -n "$name-b" link set "b$i" up
    done
    trap - ERR
}

destroy() {
    local name=$1
    ip netns del "$name-a" 2>/dev/null || true
    ip netns del "$name-b" 2>/dev/null || true
}

cmd=${1:-}; shift || true
case $cmd in
    create) [ $# -ge 1 ] || die "create NAME"; create "$@" ;;
    destroy) [ $# -eq 1 ] || die "destroy NAME"; destroy "$1" ;;
    list) ip netns list | awk '{print $1}' | grep -E -- '-(a|b)$' || true ;;
    cleanup)
        [ $# -eq 1 ] && [ -n "$1" ] || die "cleanup PREFIX"
        for ns in $(ip netns list | awk '{print $1}'); do
            case $ns in "$1"*) ;; *) continue ;; esac
            # test hosts are named PREFIX<pid>-<n>: a live owner keeps its own
            owner=${ns#"$1"}; owner=${owner%%-*}
            if [[ $owner =~ ^[0-9]+$ ]] && kill -0 "$owner" 2>/dev/null; then continue; fi
            ip netns del "$ns" 2>/dev/null || true
        done ;;
    -h|--help|help|"")
        sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) die "unknown command '$cmd' (create, destroy, list, cleanup)" ;;
esac
