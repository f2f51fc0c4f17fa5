#!/bin/sh
# numpy (tests/analysis_ref.py check) loads the .npz/.npy/CSV files and parses
# the PNG and SVG that test_analysis --write makes with the library.
# Skipped (77) without a Python that has numpy.
srcdir=$(dirname "$0")
. "$srcdir/numpy_python.sh"
if [ -z "$python" ]; then
    echo "SKIP: no Python with numpy"
    exit 77
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/analysis_npz_check.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
./tests/test_analysis --write "$dir" || exit 1
"$python" "$srcdir/analysis_ref.py" check "$dir"
