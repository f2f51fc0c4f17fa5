#!/bin/sh
# folkrnn info and folkrnn convert: help, exit codes, the vocabulary by
# class and the parameter counts of a model written by the independent
# Python writer (tests/check_safetensors.py), and a pickle converted to
# safetensors checked by the Python reader.  Skipped (77) without numpy.
srcdir=$(dirname "$0")
fixtures=${FOLKRNN_TEST_DATA:-$srcdir/fixtures}
vocab=${FOLKRNN_SHARED_DATA:-$srcdir/../../shared/data}/folkrnn_v2_vocab.txt
. "$srcdir/numpy_python.sh"
if [ -z "$python" ] || [ ! -r "$vocab" ]; then
    echo "SKIP: no Python with numpy, or no $vocab"
    exit 77
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/test_cli_info.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
folkrnn=./folkrnn
check="$python $srcdir/check_safetensors.py"

fail() { echo "FAIL: $*"; exit 1; }

# exit codes: 0 help, 2 usage, 1 unloadable model (message on stderr only)
$folkrnn info --help | grep -q '^usage: folkrnn info' || fail "info --help"
$folkrnn convert --help | grep -q '^usage: folkrnn convert' || fail "convert --help"
$folkrnn info --bogus 2>/dev/null; [ $? -eq 2 ] || fail "info --bogus is not exit 2"
$folkrnn convert only-one 2>/dev/null; [ $? -eq 2 ] || fail "convert with one path is not exit 2"
$folkrnn info "$dir/missing" >"$dir/out" 2>"$dir/err"; [ $? -eq 1 ] || fail "missing model is not exit 1"
[ -s "$dir/out" ] && fail "output on stdout for a missing model"
grep -q "missing" "$dir/err" || fail "the error does not name the file"
$folkrnn convert "$dir/missing" "$dir/never.safetensors" 2>/dev/null; [ $? -eq 1 ] || fail "convert of a missing model is not exit 1"
[ -e "$dir/never.safetensors" ] && fail "convert wrote output for a missing model"

# the v2 vocabulary by class; parameters of a 1 x 4 one-hot LSTM:
# 4 gates * 4 * (137 + 4 + 1) + (4 + 1) * 137 = 2272 + 685
$check write-v2vocab "$dir/v2.safetensors" "$vocab" || fail "python writer"
$folkrnn info --json "$dir/v2.safetensors" >"$dir/v2.json" || fail "info --json"
$python - "$dir/v2.json" <<'PY' || fail "info --json content"
import json, sys
info = json.load(open(sys.argv[1]))
counts = {k: len(v) for k, v in info["classes"].items()}
want = {"meter": 7, "mode": 4, "bar": 5, "start": 1, "end": 1, "pitch": 84, "duration": 18,
        "broken": 7, "tuplet": 7, "chord": 2, "rest": 1, "other": 0}
assert counts == want, counts
assert info["params"] == {"embedding": 0, "layers": [2272], "dense": 685,
                          "initial_states": 8, "total": 2957}, info["params"]
assert info["cell"] == "lstm" and info["units"] == [4] and info["onehot"] is True
assert info["vocab_size"] == 137 and info["tokens"][0] == "d'", info["tokens"][:3]
assert info["metadata"]["provenance"] == "written by tests/check_safetensors.py"
assert info["format"] == "safetensors" and info["gzip"] is False
PY
$folkrnn info "$dir/v2.safetensors" >"$dir/v2.txt" || fail "info"
grep -q '^  pitch  *84 ' "$dir/v2.txt" || fail "no pitch line with 84 tokens"
grep -q '^parameters   2,957 trainable' "$dir/v2.txt" || fail "no parameter total"
grep -q '^layers       1 x 4 units' "$dir/v2.txt" || fail "no layers line"

# a gzip'd Python 2 pickle to gzip'd safetensors, read back by Python
$folkrnn convert --meta source=tiny_py2.pkl "$fixtures/tiny_py2.pkl.gz" "$dir/tiny.safetensors.gz" ||
    fail "convert"
$check verify "$dir/tiny.safetensors.gz" --meta source=tiny_py2.pkl || fail "converted file"
$folkrnn info --json "$fixtures/tiny_py2.pkl.gz" >"$dir/pkl.json" || fail "info of the pickle"
$folkrnn info --json "$dir/tiny.safetensors.gz" >"$dir/st.json" || fail "info of the conversion"
$python - "$dir/pkl.json" "$dir/st.json" <<'PY' || fail "conversion changed the model"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a["format"].startswith("folk-rnn pickle") and a["gzip"], a["format"]
assert b["format"] == "safetensors" and b["gzip"], b["format"]
for k in ("cell", "units", "input_size", "onehot", "tokens", "classes", "params"):
    assert a[k] == b[k], k
assert b["metadata"] == dict(a["metadata"], source="tiny_py2.pkl"), b["metadata"]
PY
# long metadata: a list of numbers is summarised, other values wrapped
losses=$($python -c "print('[' + ', '.join(str(5 - i / 25) for i in range(100)) + ']')")
$folkrnn convert --meta "losses=$losses" --meta "recipe=$(printf '%0300d' 0)" \
    "$dir/v2.safetensors" "$dir/meta.safetensors" || fail "convert --meta"
$folkrnn info "$dir/meta.safetensors" >"$dir/meta.txt" || fail "info of metadata"
grep -q '^  losses  *100 values: first 5, last 1.04, min 1.04 at index 99$' "$dir/meta.txt" ||
    fail "no summary of the losses"
[ "$(grep -c '0000000000' "$dir/meta.txt")" -eq 4 ] || fail "300 zeros are not 4 lines"
$folkrnn convert --meta novalue "$dir/v2.safetensors" "$dir/x.safetensors" 2>/dev/null
[ $? -eq 2 ] || fail "--meta without = is not exit 2"
echo "ok"
