#!/usr/bin/env bash
# Configure and build into DIR (default build/) with extra CMake arguments.
# Usage: scripts/build.sh [DIR] [CMAKE_ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DPFQ_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)" -- --no-print-directory >/dev/null
