#!/usr/bin/env bash
# Set up and run every test: installs the Debian packages it needs, builds
# (warnings are errors), runs the unit, integration, tool and benchmark-smoke
# tests, then the unit and integration tests again under ASan+UBSan.
# Ends with a line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh || exit 1
echo "== build"
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo || exit 1
echo "== build (ASan+UBSan)"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DPFQ_SANITIZE=ON || exit 1
echo "== build (libFuzzer targets, clang)"
scripts/build.sh build-fuzz -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DPFQ_FUZZ=ON || exit 1

passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"; scripts/testhost.sh cleanup pfqt >/dev/null 2>&1 || true' EXIT

# run_ctest TITLE DIR [CTEST_ARGS...]: run, show, and add up the results
run_ctest() {
    local title=$1 dir=$2
    shift 2
    echo "== $title"
    ctest --test-dir "$dir" --output-on-failure "$@" 2>&1 | tee "$log"
    local total fail
    total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -1)
    fail=$(sed -n 's/.* \([0-9]*\) tests failed out of.*/\1/p' "$log" | tail -1)
    if [ -z "$total" ]; then
        echo "test: no ctest summary from $dir" >&2
        failed=$((failed + 1))
        return
    fi
    passed=$((passed + total - fail))
    failed=$((failed + fail))
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_ctest "tests" build
run_ctest "tests under ASan+UBSan" build-asan -L "unit|integration|bpf"
run_ctest "fuzzers (bounded runs)" build-fuzz
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
