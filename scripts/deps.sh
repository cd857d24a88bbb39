#!/usr/bin/env bash
# Install every Debian package the build, the demo, the tests and the
# benchmarks need. Idempotent, and quick when everything is there already.
set -euo pipefail

PACKAGES=(
    gcc make cmake pkg-config clang
    libbpf-dev libxdp-dev libpcap-dev libcmocka-dev libelf-dev zlib1g-dev libjansson-dev
    help2man dpkg-dev man-db systemd debootstrap
    iproute2 ethtool tcpdump tshark netsniff-ng tcpreplay bpftool libcap2-bin util-linux
    gnuplot-nox
    libinih-dev libsystemd-dev curl
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
