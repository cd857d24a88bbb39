#!/usr/bin/env bash
# Adding a builtin to lib/lang/builtins.def is demanded by every back end:
# with a throwaway builtin added (PFQ_TEST_THROWAWAY_BUILTIN), the classic
# back end does not compile (no CL_THROWAWAY) and the eBPF back end's table
# does not link (cg_emit_THROWAWAY undefined); the catalogue's row is
# demanded by unit_catalog (a row without a name). As docs/design.md
# "Adding a function" says.
#
#   test_catalog.sh SOURCE_DIR
set -uo pipefail
SRC=${1:?source dir}
CC=${CC:-cc}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
FLAGS=(-std=gnu17 -D_GNU_SOURCE -I"$SRC/include" -DPFQ_TEST_THROWAWAY_BUILTIN)
pass=0
fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# without the throwaway builtin, both compile
if "$CC" "${FLAGS[@]:0:2}" -I"$SRC/include" -fsyntax-only "$SRC/lib/lang/classic/cl_gen.c" 2>"$W/e0"; then
    ok "the classic back end compiles as it is"
else
    bad "the classic back end does not compile as it is:"; cat "$W/e0"
fi
if "$CC" "${FLAGS[@]}" -fsyntax-only "$SRC/lib/lang/classic/cl_gen.c" 2>"$W/e1"; then
    bad "the classic back end compiles without an entry for the new builtin"
elif grep -q "CL_THROWAWAY" "$W/e1"; then
    ok "the classic back end demands CL_THROWAWAY"
else
    bad "the classic back end fails for another reason:"; head -5 "$W/e1"
fi
if "$CC" "${FLAGS[@]}" -c "$SRC/lib/lang/ebpf/cg_emitters.c" -o "$W/em.o" 2>"$W/e2"; then
    if nm "$W/em.o" | grep -q " U cg_emit_THROWAWAY"; then
        ok "the eBPF table demands cg_emit_THROWAWAY at link time"
    else
        bad "the eBPF table does not refer to cg_emit_THROWAWAY"
    fi
else
    bad "cg_emitters.c does not compile:"; head -5 "$W/e2"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
