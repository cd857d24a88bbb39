#!/usr/bin/env bash
# The man pages made from the tools' --help texts (packaging/): one for
# every tool (and pfqd when it is built), each rendered by man without a
# warning, with a NAME line whatis can read, a synopsis and the options.
# Usage: test_man.sh BUILD_DIR [PFQD: 1 when the daemon is built]
set -uo pipefail
B=$1
PFQD=${2:-0}
M=$B/packaging/man
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
pages="pfq-dump.1 pfq-gen.1 pfq-lang.1 pfq-stat.1 pfq-run.1 pfq-dropin.sh.1"
[ "$PFQD" = 1 ] && pages="$pages pfqd.8"
for p in $pages; do
    f=$M/$p
    if [ ! -s "$f" ] || [ ! -s "$f.gz" ]; then
        bad "$p: not made (help2man missing? scripts/deps.sh installs it)"
        continue
    fi
    warn=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
    [ -z "$warn" ] && ok || bad "$p: man warns: $warn"
    text=$(MANWIDTH=80 man -l "$f" 2>/dev/null)
    name=${p%.*}
    lexgrog "$f" 2>/dev/null | grep -q "\"$name - ..*\"" && ok || bad "$p: no NAME line: $(lexgrog "$f" 2>&1)"
    grep -q '^SYNOPSIS' <<<"$text" && grep -q "^       $name " <<<"$text" && ok ||
        bad "$p: no synopsis"
    grep -Eq '^ +-h, --help' <<<"$text" && ok || bad "$p: no options list"
    zcat "$f.gz" | cmp -s - "$f" && ok || bad "$p.gz differs from $p"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
