#!/bin/sh
# check.sh -- the ABI guard: compare the ABI of the libfolkrnn just built with
# the committed baseline abi/libfolkrnn.abi (libabigail's abidw/abidiff).
#
#   abi/check.sh [--release] [LIBRARY]    compare (make check runs this)
#   abi/check.sh --update [LIBRARY]       write a new baseline (at a release)
#
# LIBRARY defaults to .libs/libfolkrnn.so.0 of the current (build) folder.
# Fails when a public function or variable was removed or changed
# incompatibly (see doc/abi.md for what counts as compatible: abi/suppressions.ini).
# Additions pass, with a reminder that a release must bump
# FOLKRNN_LT_CURRENT and FOLKRNN_LT_AGE in configure.ac; with --release an
# addition without that bump fails.  Exits 77 (skipped) without abigail-tools
# or without debug information in the library (configure with CFLAGS=-g...).
set -u
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
abi=$top_srcdir/abi
mode=check
case ${1:-} in --update|--release) mode=${1#--}; shift ;; esac
lib=${1:-.libs/libfolkrnn.so.0}

for tool in abidw abidiff; do
    command -v $tool >/dev/null 2>&1 || { echo "abi: $tool not installed (abigail-tools): skipped"; exit 77; }
done
[ -f "$lib" ] || { echo "abi: $lib not found (run from the build folder after make)"; exit 99; }
if ! readelf -S "$lib" 2>/dev/null | grep -q '\.debug_info'; then
    echo "abi: $lib has no debug information, so no types to compare: skipped"; exit 77
fi

lt_value() { sed -n "s/^AC_SUBST(\[FOLKRNN_LT_$1\], *\[\([0-9]*\)\]).*/\1/p" "$top_srcdir/configure.ac"; }
version_info="$(lt_value CURRENT):$(lt_value REVISION):$(lt_value AGE)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/folkrnn-abi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# Only types declared in the public header count.
abidw --headers-dir "$top_srcdir/include" --no-corpus-path --no-comp-dir-path \
      --short-locs "$lib" >"$tmp/current.abi" || { echo "abi: abidw failed"; exit 99; }

if [ "$mode" = update ]; then
    cp "$tmp/current.abi" "$abi/libfolkrnn.abi"
    echo "$version_info" >"$abi/version-info"
    echo "abi: baseline written for libtool version-info $version_info"
    exit 0
fi

abidiff --suppressions "$abi/suppressions.ini" "$abi/libfolkrnn.abi" "$tmp/current.abi" \
    >"$tmp/report" 2>&1
rc=$?
cat "$tmp/report"
[ $((rc & 3)) -eq 0 ] || { echo "abi: abidiff failed (status $rc)"; exit 99; }

# Summary lines: "Functions changes summary: 0 Removed, 1 Changed, 2 Added functions",
# also for variables and for ELF symbols without debug information.
removed=$(grep 'summary:' "$tmp/report" | grep -o '[0-9]* Removed' | awk '{ s += $1 } END { print s + 0 }')
changed=$(grep 'summary:' "$tmp/report" | grep -o '[0-9]* Changed' | awk '{ s += $1 } END { print s + 0 }')
added=$(grep 'summary:' "$tmp/report" | grep -o '[0-9]* Added' | awk '{ s += $1 } END { print s + 0 }')

if [ $((rc & 8)) -ne 0 ] || [ "$removed" -gt 0 ] || [ "$changed" -gt 0 ]; then
    cat <<MSG
abi: INCOMPATIBLE change against abi/libfolkrnn.abi ($removed removed, $changed changed).
     Existing programs linked with libfolkrnn.so.0 would break.  Keep the old
     function and add a new one (a _v2 entry point) instead.  See doc/abi.md.
MSG
    exit 1
fi
base_info=$(cat "$abi/version-info")
if [ "$added" -gt 0 ]; then
    base_current=${base_info%%:*}; base_age=${base_info##*:}
    cur_current=${version_info%%:*}; cur_age=${version_info##*:}
    if [ "$cur_current" -gt "$base_current" ] && [ "$cur_age" -gt "$base_age" ]; then
        echo "abi: $added addition(s); version-info bumped $base_info -> $version_info: ok"
    elif [ "$mode" = release ]; then
        echo "abi: $added addition(s) but version-info is still $version_info (baseline $base_info):"
        echo "     bump FOLKRNN_LT_CURRENT and FOLKRNN_LT_AGE in configure.ac"
        exit 1
    else
        echo "abi: $added addition(s), compatible; the release must bump FOLKRNN_LT_CURRENT"
        echo "     and FOLKRNN_LT_AGE (now $version_info) and refresh the baseline (abi/check.sh --update)"
    fi
    exit 0
fi
echo "abi: no change against the baseline ($base_info)"
exit 0
