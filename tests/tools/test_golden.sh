#!/usr/bin/env bash
# Golden listings: the classic BPF that `pfq-lang dump --classic` makes of
# each program in tests/golden/classic/programs must equal the listing kept
# in tests/golden/classic/NAME.txt, so that a change in generated code shows
# as a readable diff. No root needed.
#
#   test_golden.sh SOURCE_DIR BUILD_DIR            compare
#   test_golden.sh SOURCE_DIR BUILD_DIR --update   rewrite the listings
set -uo pipefail
SRC=${1:?source dir}
BUILD=${2:?build dir}
UPDATE=${3:-}
DIR=$SRC/tests/golden/classic
LANG_TOOL=$BUILD/tools/pfq-lang
pass=0
fail=0
while IFS= read -r line; do
    case $line in \#*|"") continue ;; esac
    name=${line%%:*}
    expr=${line#*:}
    expr=${expr# }
    out=$("$LANG_TOOL" dump --classic -e "$expr" 2>&1)
    if [ "$UPDATE" = --update ]; then
        printf '%s\n' "$out" >"$DIR/$name.txt"
        echo "updated $name"
        continue
    fi
    if [ ! -f "$DIR/$name.txt" ]; then
        echo "FAIL $name: no $name.txt (run with --update)"
        fail=$((fail + 1))
    elif diff -u "$DIR/$name.txt" <(printf '%s\n' "$out") >"${TMPDIR:-/tmp}/golden.$$"; then
        pass=$((pass + 1))
    else
        echo "FAIL $name ($expr): the listing changed:"
        head -40 "${TMPDIR:-/tmp}/golden.$$"
        fail=$((fail + 1))
    fi
done <"$DIR/programs"
rm -f "${TMPDIR:-/tmp}/golden.$$"
[ "$UPDATE" = --update ] && exit 0
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
