#!/usr/bin/env bash
# Build the Debian package of the whole project: configure a release build
# for /usr in DIR (default build-deb/; kept, so a second run is quick), build
# it (warnings are errors), and run CPack's DEB generator there. Prints the
# path of the package, DIR/pfq_VERSION-1_ARCH.deb.
# Usage: scripts/package.sh [DIR] [CMAKE_ARGS...]
# Needs what scripts/deps.sh installs (dpkg-dev for dpkg-shlibdeps, help2man).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-deb}
shift || true
cmake -S . -B "$dir" -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPFQ_BUILD_TESTS=OFF -DPFQ_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)" -- --no-print-directory >/dev/null
rm -f "$dir"/pfq_*.deb
(cd "$dir" && cpack -G DEB >cpack.log 2>&1) || { cat "$dir/cpack.log" >&2; exit 1; }
ls "$(cd "$dir" && pwd)"/pfq_*.deb
