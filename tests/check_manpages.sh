#!/bin/sh
# check_manpages.sh -- every FOLKRNN_API function of include/folkrnn.h has a
# man page that is installed (listed in doc/man/pages.am), every page is
# valid roff, and the committed pages are what doc/man/mkman.py makes of the
# current header and command (when a Python 3 is at hand).  Fix: make man-pages.
top_srcdir=${top_srcdir:-.}
header=$top_srcdir/include/folkrnn.h
man=$top_srcdir/doc/man
status=0
functions=$(sed -n 's/^FOLKRNN_API[^(]*[ *]\(folkrnn_[a-z0-9_]*\) *(.*/\1/p' "$header")
[ -n "$functions" ] || { echo "no FOLKRNN_API functions found in $header"; exit 99; }
for f in $functions; do
    if [ ! -f "$man/$f.3" ]; then
        echo "missing man page doc/man/$f.3 (run make man-pages)"; status=1
    elif ! grep -q "doc/man/$f\.3" "$man/pages.am"; then
        echo "doc/man/$f.3 is not listed in doc/man/pages.am (run make man-pages)"; status=1
    fi
done
if command -v groff >/dev/null 2>&1; then
    for p in "$man"/*.1 "$man"/*.3; do
        out=$(groff -man -ww -z "$p" 2>&1)
        [ -z "$out" ] || { echo "$p: $out"; status=1; }
    done
fi
py=
for p in "${PYTHON3:-}" /usr/bin/python3 python3; do
    [ -n "$p" ] && command -v "$p" >/dev/null 2>&1 && { py=$p; break; }
done
if [ -n "$py" ]; then
    # folkrnn.1 holds the built command's --help texts: compared when it is here
    if [ -x ./folkrnn ]; then
        "$py" "$man/mkman.py" --check --folkrnn ./folkrnn "$top_srcdir" || status=1
    else
        "$py" "$man/mkman.py" --check "$top_srcdir" || status=1
    fi
fi
echo "$(echo "$functions" | wc -l) functions checked"
exit $status
