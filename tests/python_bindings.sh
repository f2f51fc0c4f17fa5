#!/bin/sh
# python_bindings.sh -- run the Python binding tests (bindings/python/tests)
# against the library just built, from make check.  Exit 77 (skip) when the
# interpreter lacks numpy or pytest.
top_srcdir=${top_srcdir:-.}
py=${PYTHON_NUMPY:-/usr/bin/python3}
"$py" -c 'import numpy, pytest' 2>/dev/null || { echo "no numpy/pytest in $py: skipped"; exit 77; }
FOLKRNN_LIB=$(pwd)/.libs/libfolkrnn.so
[ -f "$FOLKRNN_LIB" ] || { echo "$FOLKRNN_LIB not built"; exit 99; }
export FOLKRNN_LIB
PYTHONPATH=$top_srcdir/bindings/python${PYTHONPATH:+:$PYTHONPATH}
PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH PYTHONDONTWRITEBYTECODE
exec "$py" -m pytest -q -p no:cacheprovider "$top_srcdir/bindings/python/tests"
