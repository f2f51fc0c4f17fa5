# Sourced by the test scripts that check with numpy: sets python to an
# interpreter that has it ($PYTHON_NUMPY, else Debian's /usr/bin/python3,
# else python3 on PATH), or to "" when there is none.
python=
for p in "${PYTHON_NUMPY:-}" /usr/bin/python3 python3; do
    if [ -n "$p" ] && "$p" -c 'import numpy' >/dev/null 2>&1; then python=$p; break; fi
done
