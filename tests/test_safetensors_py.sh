#!/bin/sh
# The independent Python reader (tests/check_safetensors.py, json + numpy
# only) verifies models written by the library.  Skipped (77) without numpy.
srcdir=$(dirname "$0")
. "$srcdir/numpy_python.sh"
if [ -z "$python" ]; then
    echo "SKIP: no Python with numpy"
    exit 77
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/test_safetensors_py.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
./tests/test_safetensors --write "$dir" >/dev/null || exit 1
check="$python $srcdir/check_safetensors.py verify"
# the provenance string tests/test_safetensors.c stores (quotes, UTF-8, newline, backslash)
provenance=$(printf 'trained by "test" \303\274\nline 2\134')
for f in lstm_onehot.safetensors lstm_dense.safetensors gru.safetensors.gz; do
    $check "$dir/$f" --pattern --meta "provenance=$provenance" --meta "losses_train=[2.5, 2.25, 1.5]" || exit 1
done
