#!/bin/sh
# python_bindings.sh -- run the Python binding tests (bindings/python/tests)
# against the library just built, from make check.  When pip is at hand the
# package is first installed the way users install it (pip install, offline
# with the system's setuptools) into a temporary folder, and the tests import
# it from there; otherwise straight from the source tree.  Exit 77 (skip)
# when the interpreter lacks numpy or pytest.
top_srcdir=${top_srcdir:-.}
py=${PYTHON_NUMPY:-/usr/bin/python3}
"$py" -c 'import numpy, pytest' 2>/dev/null || { echo "no numpy/pytest in $py: skipped"; exit 77; }
FOLKRNN_LIB=$(pwd)/.libs/libfolkrnn.so
[ -f "$FOLKRNN_LIB" ] || { echo "$FOLKRNN_LIB not built"; exit 99; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/folkrnn-py.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

package=$top_srcdir/bindings/python
if "$py" -m pip --version >/dev/null 2>&1; then
    cp -R "$top_srcdir/bindings/python" "$tmp/src" && chmod -R u+w "$tmp/src"
    if ! "$py" -m pip install -q --no-build-isolation --no-deps --no-index --target "$tmp/site" \
            "$tmp/src" >"$tmp/pip.log" 2>&1; then
        cat "$tmp/pip.log"; echo "pip install bindings/python failed"; exit 1
    fi
    package=$tmp/site
    echo "testing the package as pip installed it"
fi
PYTHONPATH=$package${PYTHONPATH:+:$PYTHONPATH}
PYTHONDONTWRITEBYTECODE=1
export FOLKRNN_LIB PYTHONPATH PYTHONDONTWRITEBYTECODE
"$py" -c 'import folkrnn, sys; sys.exit(0 if folkrnn.__file__.startswith(sys.argv[1]) else 1)' \
    "$package" || { echo "folkrnn was not imported from $package"; exit 1; }
"$py" -m pytest -q -p no:cacheprovider "$top_srcdir/bindings/python/tests"
