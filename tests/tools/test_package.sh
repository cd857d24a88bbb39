#!/usr/bin/env bash
# The Debian package (scripts/package.sh): it builds; `dpkg -c` shows the
# libraries (soname links), headers, pkg-config file, every tool, the man
# pages, the pcap libraries, the drop-in script (and pfqd with its unit when
# the daemon is built); `dpkg -I` the control fields; every library a binary
# of the package needs comes from the package or from a package it depends
# on. Then it is installed with apt in a clean Debian 12 root (debootstrap
# --variant=minbase, in a chroot inside a private mount namespace), its tools
# run there, the drop-in is enabled and disabled there, and it is purged.
#
# The clean root is bootstrapped once from the Debian mirror and kept as a
# tarball in BUILD_DIR (PFQ_FRESH_ROOT=1 makes a new one); when that fails
# (no debootstrap, no mirror) the test says so and relies on the checks of
# the extracted package above. Nothing is installed on this machine, and
# everything goes when the test ends, on failure too.
# Usage: test_package.sh SOURCE_DIR BUILD_DIR [PFQD: 1 when the daemon is built]
set -uo pipefail
S=$1
B=$2
PFQD=${3:-0}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
W=$(mktemp -d /tmp/pfq-package.XXXXXX)
# (a chroot's mounts live in a private mount namespace that ends with the
# command; --one-file-system all the same, should one ever be left)
trap 'rm -rf --one-file-system "$W"' EXIT
trap 'exit 1' INT TERM
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# --- build ---------------------------------------------------------------------
t0=$(now)
if ! deb=$("$S/scripts/package.sh" "$B/deb" 2>"$W/package.err"); then
    cat "$W/package.err"
    echo "FAIL: scripts/package.sh"
    echo "0 passed, 1 failed"
    exit 1
fi
t_build=$(secs "$t0")
echo "package: $deb (built in ${t_build}s)"
VERSION=$(sed -n 's/^project(pfq VERSION \([0-9.]*\).*/\1/p' "$S/CMakeLists.txt")
ARCH=$(dpkg --print-architecture)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
L=usr/lib/$MA
[ "$(basename "$deb")" = "pfq_${VERSION}-1_${ARCH}.deb" ] && ok || bad "package name $(basename "$deb")"

# --- contents --------------------------------------------------------------------
dpkg -c "$deb" | awk '{ p = $6; for (i = 7; i <= NF; i++) p = p " " $i; print p }' |
    sed 's|^\./||; s|/$||' >"$W/contents"
has() { # has PATH [LINK_TARGET]
    local want=$1
    [ $# -eq 2 ] && want="$1 -> $2"
    grep -qxF "$want" "$W/contents" && ok || bad "dpkg -c: no $want"
}
has "$L/libpfq.so.$VERSION"
has "$L/libpfq.so.${VERSION%%.*}" "libpfq.so.$VERSION"
has "$L/libpfq.so" "libpfq.so.${VERSION%%.*}"
has "$L/libpfq.a"
has "$L/pkgconfig/libpfq.pc"
has usr/include/pfq/pfq.h
has usr/include/pfq/lang.h
has "$L/libpfq-pcap.so"
has "$L/pfq/libpcap.so.0.8"
TOOLS="pfq-dump pfq-gen pfq-lang pfq-stat pfq-run pfq-dropin.sh"
for t in $TOOLS; do
    has "usr/bin/$t"
    has "usr/share/man/man1/$t.1.gz"
done
has usr/share/doc/pfq/copyright
has usr/share/doc/pfq/README.md
if [ "$PFQD" = 1 ]; then
    has usr/sbin/pfqd
    has usr/share/man/man8/pfqd.8.gz
    has usr/lib/systemd/system/pfqd.service
fi
# everything under /usr (no file in /etc the package would own)
grep -v -e '^usr$' -e '^usr/' "$W/contents" | grep -qv '^\.\?$' &&
    bad "files outside /usr: $(grep -v '^usr' "$W/contents" | tr '\n' ' ')" || ok

# --- control fields ------------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = pfq ] && ok || bad "Package: $(field Package)"
[ "$(field Version)" = "$VERSION-1" ] && ok || bad "Version: $(field Version)"
[ "$(field Architecture)" = "$ARCH" ] && ok || bad "Architecture: $(field Architecture)"
[ "$(field Section)" = net ] && ok || bad "Section: $(field Section)"
field Maintainer | grep -Eq '^[^<]+ <[^@ ]+@[^> ]+>$' && ok || bad "Maintainer: $(field Maintainer)"
[ "$(field Description | wc -l)" -ge 3 ] && ok || bad "Description: $(field Description)"
DEPENDS=$(field Depends)
for p in libc6 libbpf1 libpcap0.8 libjansson4; do
    grep -Eq "(^|, )$p( |,|$)" <<<"$DEPENDS" && ok || bad "Depends has no $p: $DEPENDS"
done
dpkg-deb -I "$deb" triggers 2>/dev/null | grep -q '^activate-noawait ldconfig$' && ok ||
    bad "no ldconfig trigger"
dpkg-deb -I "$deb" shlibs 2>/dev/null | grep -q "^libpfq ${VERSION%%.*} pfq " && ok ||
    bad "no shlibs line for libpfq"

# --- the binaries' libraries: from the package or from what it depends on ------------
dpkg-deb -x "$deb" "$W/x"
[ "$(readelf -d "$W/x/$L/libpfq.so.$VERSION" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')" = \
  "libpfq.so.${VERSION%%.*}" ] && ok || bad "libpfq soname"
depnames=" $(sed 's/([^)]*)//g; s/|/,/g; s/,/ /g' <<<"$DEPENDS" | tr -s ' ') "
elfs=$(cd "$W/x" && find . -type f ! -name '*.a' -exec sh -c \
    'head -c4 "$1" | grep -q "ELF" && echo "$1"' _ {} \; | sed 's|^\./||')
[ -n "$elfs" ] && ok || bad "no ELF file in the package"
for f in $elfs; do
    for lib in $(readelf -d "$W/x/$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        if [ -e "$W/x/$L/$lib" ]; then
            continue # the package's own
        fi
        path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64|AArch64|64bit|libc6/ { print $NF; exit }')
        [ -n "$path" ] || path=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')
        owner=
        for p in "$path" "/usr$path" "${path#/usr}" "$(readlink -f "$path")"; do
            owner=$(dpkg -S "$p" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$owner" ] && break
        done
        if [ -z "$owner" ]; then
            bad "$f needs $lib: not found on this machine"
        elif [[ "$depnames" != *" $owner "* ]]; then
            bad "$f needs $lib from $owner, which is not in Depends ($DEPENDS)"
        fi
    done
    if LD_LIBRARY_PATH=$W/x/$L ldd "$W/x/$f" 2>&1 | grep -q 'not found'; then
        bad "ldd $f: $(LD_LIBRARY_PATH=$W/x/$L ldd "$W/x/$f" 2>&1 | grep 'not found' | tr '\n' ' ')"
    else
        ok
    fi
done
# a tool of the extracted package runs against the package's library
LD_LIBRARY_PATH=$W/x/$L "$W/x/usr/bin/pfq-lang" check -e 'ip >-> steer_flow' &&
    [ "$(LD_LIBRARY_PATH=$W/x/$L ldd "$W/x/usr/bin/pfq-lang" | awk '/libpfq.so/ { print $3 }')" = \
      "$W/x/$L/libpfq.so.${VERSION%%.*}" ] && ok || bad "pfq-lang from the extracted package"

# --- a clean Debian 12 root ------------------------------------------------------
base=$B/debian-bookworm-minbase.tar
t0=$(now)
how=cached
if [ ! -s "$base" ] || [ -n "${PFQ_FRESH_ROOT:-}" ]; then
    how=debootstrap
    mirror=${PFQ_DEBIAN_MIRROR:-http://deb.debian.org/debian}
    if command -v debootstrap >/dev/null &&
       timeout --kill-after=10 300 unshare --mount --propagation private \
           debootstrap --variant=minbase bookworm "$W/boot" "$mirror" >"$W/debootstrap.log" 2>&1 &&
       tar -C "$W/boot" -cf "$base.tmp" . && mv "$base.tmp" "$base"; then
        :
    else
        tail -5 "$W/debootstrap.log" 2>/dev/null
        rm -f "$base.tmp"
        how=none
    fi
    rm -rf --one-file-system "$W/boot"
fi
t_root=$(secs "$t0")
if [ "$how" = none ]; then
    echo "package: no clean root (debootstrap of bookworm failed after ${t_root}s):" \
         "checked by dpkg -c, dpkg -I and the extracted package only"
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit
fi
echo "package: clean root ready in ${t_root}s ($how)"
R=$W/root
mkdir "$R" && tar -C "$R" -xf "$base" || { bad "unpacking $base"; echo "$pass passed, $fail failed"; exit 1; }
cp "$deb" "$R/tmp/"
cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null
t0=$(now)
# in the chroot: install with apt, run, enable and disable the drop-in, purge;
# one line per check, "ok ..." or "FAIL: ..."
timeout --kill-after=10 600 unshare --mount --propagation private \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin R="$R" DEB="$(basename "$deb")" MA="$MA" \
        TOOLS="$TOOLS" VERSION="$VERSION" PFQD="$PFQD" bash -s >"$W/chroot.log" 2>&1 <<'IN'
set -u
mount -t proc proc "$R/proc" || { echo "FAIL: mount proc"; exit 1; }
inroot() { chroot "$R" env DEBIAN_FRONTEND=noninteractive HOME=/root "$@"; }
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@" >/tmp/pfq-pkg-out.$$ 2>&1; then echo "ok $what"; else
        echo "FAIL: $what"; sed 's/^/    /' /tmp/pfq-pkg-out.$$ | tail -20; fi
}
check "apt-get update" inroot apt-get update -q
check "apt install ./$DEB" inroot sh -c "cd /tmp && apt install -y -q --no-install-recommends ./$DEB tcpdump"
check "dpkg -s pfq: installed" inroot sh -c "dpkg -s pfq | grep -q '^Status: install ok installed'"
for t in $TOOLS; do
    check "$t --help" inroot "$t" --help
done
if [ "$PFQD" = 1 ]; then
    check "pfqd --help" inroot /usr/sbin/pfqd --help
    check "pfqd's unit installed" inroot test -f /usr/lib/systemd/system/pfqd.service
fi
check "libpfq.so.0 in the loader cache" inroot sh -c "ldconfig -p | grep -q 'libpfq.so.0 '"
check "ldd: every binary resolves" inroot sh -c \
    "for f in \$(dpkg -L pfq); do
         [ -f \"\$f\" ] && [ ! -L \"\$f\" ] && head -c4 \"\$f\" | grep -q ELF || continue
         case \$f in *.a) continue ;; esac
         ldd \"\$f\" | grep 'not found' && exit 1
     done; exit 0"
check "pfq-lang check" inroot pfq-lang check -e 'ip >-> steer_flow'
check "pfq-lang dump --classic" inroot sh -c "pfq-lang dump --classic -e 'tcp >-> port 80' | grep -q 'ret'"
check "pfq-stat --json --once" inroot sh -c \
    "mkdir -p -m 755 /tmp/run && PFQ_RUN_DIR=/tmp/run pfq-stat --json --once | grep -qx '{\"groups\":\\[\\]}'"
check "pfq-run tcpdump -D lists pfq" inroot sh -c "pfq-run tcpdump -D | grep -q '\\.pfq '"
check "pfq-dropin.sh enable" inroot pfq-dropin.sh enable
check "tcpdump loads the drop-in" inroot sh -c "ldd /usr/bin/tcpdump | grep -q '/usr/lib/$MA/pfq/libpcap.so.0.8'"
check "tcpdump -D through the drop-in" inroot sh -c "tcpdump -D | grep -q '\\.pfq '"
check "pfq-dropin.sh disable" inroot pfq-dropin.sh disable
check "tcpdump back on the system libpcap" inroot sh -c \
    "ldd /usr/bin/tcpdump | grep 'libpcap.so.0.8' | grep -vq '/pfq/'"
check "apt purge pfq" inroot apt-get purge -y -q pfq
check "nothing of pfq left" inroot sh -c \
    "! ls /usr/bin/pfq-* /usr/lib/$MA/libpfq* /usr/lib/$MA/pfq /usr/include/pfq 2>/dev/null | grep -q . &&
     ! ldconfig -p | grep -q libpfq && ! dpkg -s pfq 2>/dev/null | grep -q '^Status: install'"
rm -f /tmp/pfq-pkg-out.$$
IN
rc=$?
t_install=$(secs "$t0")
pass=$((pass + $(grep -c '^ok ' "$W/chroot.log")))
nf=$(grep -c '^FAIL' "$W/chroot.log")
fail=$((fail + nf))
if [ "$nf" -gt 0 ] || [ "$rc" -ne 0 ]; then
    grep -v '^ok ' "$W/chroot.log"
    [ "$nf" -eq 0 ] && bad "the chroot run ended with status $rc"
fi
echo "package: installed, run and purged in the clean root in ${t_install}s"
echo "package timings: build ${t_build}s, clean root ${t_root}s ($how), apt install + checks + purge ${t_install}s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
