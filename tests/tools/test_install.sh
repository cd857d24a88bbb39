#!/usr/bin/env bash
# `cmake --install` honours the prefix and DESTDIR, and a program builds and
# runs against the staged headers, pkg-config file, shared and static library.
# Usage: test_install.sh BUILD_DIR
set -euo pipefail
B=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
DESTDIR=$W/stage cmake --install "$B" --prefix /opt/pfq-test >/dev/null
LIBDIR=$(dirname "$(find "$W/stage/opt/pfq-test" -name libpfq.pc)")
test -f "$W/stage/opt/pfq-test/include/pfq/pfq.h"
test -x "$W/stage/opt/pfq-test/bin/pfq-dump"
ls "$LIBDIR"/../libpfq.so.* "$LIBDIR"/../libpfq.a >/dev/null
cat >"$W/prog.c" <<'C'
#include <pfq/pfq.h>
#include <stdio.h>
int main(void)
{
	pfq_t *q = pfq_open(64, 16, 0, 0);
	if (!q) { printf("open: %s\n", pfq_error(NULL)); return 1; }
	printf("libpfq %s\n", pfq_string_version());
	return pfq_close(q);
}
C
export PKG_CONFIG_PATH=$LIBDIR
# shellcheck disable=SC2046
cc -Wall -Wextra -Werror -o "$W/prog" "$W/prog.c" $(pkg-config --cflags --libs libpfq)
LD_LIBRARY_PATH=$LIBDIR/.. "$W/prog" | grep -q "^libpfq 0.1.0$"
# shellcheck disable=SC2046
cc -o "$W/prog-static" "$W/prog.c" $(pkg-config --cflags libpfq) "$LIBDIR/../libpfq.a" \
    $(pkg-config --libs libbpf jansson)
"$W/prog-static" | grep -q "^libpfq 0.1.0$"
# the library's internal names are local to libpfq.a: a program may use them
sed 's/^int main(void)$/int emit(void); int emit(void) { return 0; }\nint p_and; int reg_open;\n&/' \
    "$W/prog.c" >"$W/prog-names.c"
# shellcheck disable=SC2046
cc -o "$W/prog-names" "$W/prog-names.c" $(pkg-config --cflags libpfq) "$LIBDIR/../libpfq.a" \
    $(pkg-config --libs libbpf jansson)
"$W/prog-names" | grep -q "^libpfq 0.1.0$"
# symbols: only the public API is exported from the shared library (names
# without their version; the version nodes, absolute symbols, left out)
exports=$(nm -D --defined-only "$LIBDIR"/../libpfq.so | awk '$2 != "A" {print $3}' | sed 's/@.*//')
if grep -v '^pfq_' <<<"$exports" | grep -q .; then
    echo "non-API symbols exported"; exit 1
fi
grep -qx 'pfq_seterr' <<<"$exports" && { echo "internal symbol exported"; exit 1; }
# and the static library defines no unprefixed global name
if nm -g --defined-only "$LIBDIR"/../libpfq.a | awk 'NF == 3 {print $3}' | grep -v -E '^(pfq_|PFQ_)' | grep -q .; then
    echo "unprefixed global names in libpfq.a"; exit 1
fi
echo "1 passed, 0 failed"
