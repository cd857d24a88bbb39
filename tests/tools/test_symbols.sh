#!/usr/bin/env bash
# The ABI guard (docs/api.md, "ABI"): what libpfq.so exports, with its
# version nodes, must equal the list kept in tests/golden/libpfq.symbols;
# libpfq.a must define no global name without the pfq_/PFQ_ prefix; and the
# functions marked PFQ_API (the globals of libpfq.a), the names of the
# version script lib/libpfq.map and the exports of libpfq.so must agree, so
# that a function made public in one place and forgotten in another fails.
# No root needed.
#
#   test_symbols.sh SOURCE_DIR BUILD_DIR            compare
#   test_symbols.sh SOURCE_DIR BUILD_DIR --update   rewrite the list
set -uo pipefail
SRC=${1:?source dir}
BUILD=${2:?build dir}
UPDATE=${3:-}
SO=$BUILD/lib/libpfq.so
AR=$BUILD/lib/libpfq.a
MAP=$SRC/lib/libpfq.map
LIST=$SRC/tests/golden/libpfq.symbols
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { echo "FAIL: $*"; fail=$((fail + 1)); }

# name@@VERSION for each exported symbol, VERSION alone for a version node
exports=$(nm -D --defined-only --with-symbol-versions "$SO" | awk '{print $3}' | LC_ALL=C sort)
[ -n "$exports" ] || { echo "no exports read from $SO"; exit 1; }
if [ "$UPDATE" = --update ]; then
    printf '%s\n' "$exports" >"$LIST"
    echo "updated $LIST ($(wc -l <"$LIST") names)"
    exit 0
fi

# 1. the exports of the shared library, as checked in
if [ ! -f "$LIST" ]; then
    ko "no $LIST (run with --update)"
elif diff -u "$LIST" <(printf '%s\n' "$exports"); then
    ok
else
    ko "libpfq.so's exports changed (above: - checked in, + built); if meant, run $0 SOURCE_DIR BUILD_DIR --update"
fi

# 2. the static library: only prefixed global names
globals=$(nm -g --defined-only "$AR" | awk 'NF == 3 {print $3}' | LC_ALL=C sort -u)
bad=$(grep -v -E '^(pfq_|PFQ_)' <<<"$globals")
if [ -z "$globals" ]; then
    ko "no global names read from $AR"
elif [ -n "$bad" ]; then
    ko "libpfq.a defines $(wc -l <<<"$bad") global names without the pfq_/PFQ_ prefix:"
    head -20 <<<"$bad"
else
    ok
fi

# 3. PFQ_API (libpfq.a's globals), libpfq.map and libpfq.so name the same
so_names=$(grep '@' <<<"$exports" | sed 's/@.*//' | LC_ALL=C sort -u)
map_names=$(sed 's,/\*.*\*/,,; s,^[[:space:]]*,,' "$MAP" |
            grep -E '^[A-Za-z_][A-Za-z0-9_]*;$' | tr -d ';' | LC_ALL=C sort -u)
if diff -u <(printf '%s\n' "$globals") <(printf '%s\n' "$map_names") >/dev/null; then
    ok
else
    ko "PFQ_API functions (-) and lib/libpfq.map (+) differ:"
    diff -u <(printf '%s\n' "$globals") <(printf '%s\n' "$map_names") | grep '^[-+][^-+]'
fi
if diff -u <(printf '%s\n' "$map_names") <(printf '%s\n' "$so_names") >/dev/null; then
    ok
else
    ko "lib/libpfq.map (-) and libpfq.so's exports (+) differ:"
    diff -u <(printf '%s\n' "$map_names") <(printf '%s\n' "$so_names") | grep '^[-+][^-+]'
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
