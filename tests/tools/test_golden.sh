#!/usr/bin/env bash
# Golden listings: the classic BPF and the eBPF that `pfq-lang dump
# --classic` / `--ebpf` make of each program in tests/golden/KIND/programs
# must equal the listing kept in tests/golden/KIND/NAME.txt, so that a
# change in generated code shows as a readable diff. No root needed (an
# eBPF listing is the code as compiled, maps by name; whether the kernel
# verified it is left out).
#
#   test_golden.sh SOURCE_DIR BUILD_DIR            compare
#   test_golden.sh SOURCE_DIR BUILD_DIR --update   rewrite the listings
set -uo pipefail
SRC=${1:?source dir}
BUILD=${2:?build dir}
UPDATE=${3:-}
LANG_TOOL=$BUILD/tools/pfq-lang
pass=0
fail=0
for kind in classic ebpf; do
    DIR=$SRC/tests/golden/$kind
    while IFS= read -r line; do
        case $line in \#*|"") continue ;; esac
        name=${line%%:*}
        expr=${line#*:}
        expr=${expr# }
        out=$("$LANG_TOOL" dump --"$kind" -e "$expr" 2>&1 |
              sed -E 's/^(-- eBPF socket filter: [0-9]+ instructions).*/\1/')
        if [ "$UPDATE" = --update ]; then
            printf '%s\n' "$out" >"$DIR/$name.txt"
            echo "updated $kind/$name"
            continue
        fi
        if [ ! -f "$DIR/$name.txt" ]; then
            echo "FAIL $kind/$name: no $name.txt (run with --update)"
            fail=$((fail + 1))
        elif diff -u "$DIR/$name.txt" <(printf '%s\n' "$out") >"${TMPDIR:-/tmp}/golden.$$"; then
            pass=$((pass + 1))
        else
            echo "FAIL $kind/$name ($expr): the listing changed:"
            head -40 "${TMPDIR:-/tmp}/golden.$$"
            fail=$((fail + 1))
        fi
    done <"$DIR/programs"
done
rm -f "${TMPDIR:-/tmp}/golden.$$"
[ "$UPDATE" = --update ] && exit 0
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
