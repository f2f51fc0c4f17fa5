#!/bin/sh
# outoftree.sh -- install the build into a staging tree (make install
# DESTDIR=...), build examples/outoftree against it with nothing but
# pkg-config, run it, and check that the installed library exports only
# folkrnn_ symbols.  Run from the build folder (make check does).
set -eu
top_srcdir=${top_srcdir:-.}
builddir=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/folkrnn-oot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
unset MAKEFLAGS MFLAGS MAKELEVEL    # a fresh make, not a child of make check's jobserver
root=$tmp/root

if ! ${MAKE:-make} -C "$builddir" install DESTDIR="$root" >"$tmp/install.log" 2>&1; then
    cat "$tmp/install.log"; echo "outoftree: make install DESTDIR failed"; exit 1
fi
pc=$(find "$root" -name folkrnn.pc | head -n 1)
lib=$(find "$root" -name 'libfolkrnn.so.0' | head -n 1)
[ -n "$pc" ] && [ -n "$lib" ] || { echo "outoftree: folkrnn.pc or libfolkrnn.so.0 not installed"; exit 1; }
[ -n "$(find "$root" -name folkrnn.h)" ] || { echo "outoftree: folkrnn.h not installed"; exit 1; }
for page in man1/folkrnn.1 man3/folkrnn.3 man3/folkrnn_model_load.3; do
    [ -n "$(find "$root" -path "*/man/$page")" ] || { echo "outoftree: $page not installed"; exit 1; }
done

cp "$top_srcdir/examples/outoftree/hello.c" "$top_srcdir/examples/outoftree/Makefile" "$tmp/"
# The staged folkrnn.pc first; its Requires.private (zlib, openblas) come
# from the system's .pc files.
PKG_CONFIG_PATH=$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH} PKG_CONFIG_SYSROOT_DIR=$root
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
echo "pkg-config --cflags --libs folkrnn: $(pkg-config --cflags --libs folkrnn)"
(cd "$tmp" && ${MAKE:-make} hello) || { echo "outoftree: example did not build"; exit 1; }
LD_LIBRARY_PATH=$(dirname "$lib") "$tmp/hello" || { echo "outoftree: example failed"; exit 1; }
LD_LIBRARY_PATH=$(dirname "$lib") ldd "$tmp/hello" 2>/dev/null | grep -q "$root" || { echo "outoftree: hello did not use the staged library"; exit 1; }

# Only folkrnn_* (and the version node FOLKRNN_1) may be exported.
foreign=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' |
          grep -v -e '^folkrnn_' -e '^FOLKRNN_[0-9]*$' || true)
if [ -n "$foreign" ]; then
    echo "outoftree: the installed library exports symbols outside folkrnn_:"; echo "$foreign"; exit 1
fi
# ... and each of them is declared (hence documented) in the installed header.
header=$(find "$root" -name folkrnn.h | head -n 1)
undeclared=$(nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | sed 's/@.*//' |
             while read -r f; do grep -q "^FOLKRNN_API.*[ *]$f *(" "$header" || echo "$f"; done)
if [ -n "$undeclared" ]; then
    echo "outoftree: exported but not declared in folkrnn.h:"; echo "$undeclared"; exit 1
fi
echo "outoftree: ok ($(nm -D --defined-only "$lib" | grep -c ' T folkrnn_') functions exported)"
