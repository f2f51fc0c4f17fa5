#!/bin/sh
# folkrnn analyze on the tiny fixture model: every verb runs, writes its
# files and prints what it found; with numpy, the softmax numbers are checked
# against numpy's own SVD and correlations of the V it saved.
srcdir=$(dirname "$0")
model="$srcdir/fixtures/tiny_py2.pkl"
dir=$(mktemp -d "${TMPDIR:-/tmp}/test_cli_analyze.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
run() { ./folkrnn analyze "$@" --model "$model" --out "$dir" > "$dir/out.txt" 2>&1 || { cat "$dir/out.txt"; fail "analyze $*"; }; }

run softmax
grep -q '^singular values: ' "$dir/out.txt" || fail "softmax: no singular values"
for f in softmax.npz softmax_V.png softmax_corr.png softmax_sv.svg; do
    test -s "$dir/$f" || fail "softmax: no $f"
done
run gates --layer 0
grep -q '^layer 0 forgetgate: input norms smallest at ' "$dir/out.txt" || fail "gates output"
test -s "$dir/gates_l0_outgate.png" || fail "gates: no picture"
run run --seed 5
grep -q '^tune (' "$dir/out.txt" || fail "run: no tune"
for f in run.npz run_probs.png run_h0.png run_h2.png run_spectra.svg run_entropy.svg; do
    test -s "$dir/$f" || fail "run: no $f"
done
run run --tokens "M:6/8 K:Cmaj | C 2 D 2 C 2 | D 2 C D C D | C D C D C D | z 2 C 2 D 2 |"
grep -q '^tune (31 tokens): M:6/8 K:Cmaj |' "$dir/out.txt" || fail "run --tokens: $(head -3 "$dir/out.txt")"
grep -q '^bars: 4, of which 4 ' "$dir/out.txt" || fail "run --tokens: bars"
run sweep --tunes 3 --fractions 0,0.5 --max-len 40
test "$(wc -l < "$dir/sweep.csv")" -eq 5 || fail "sweep.csv rows"
grep -q '^random	0.500	3	3	' "$dir/out.txt" || fail "sweep table"
printf 'M:6/8\nK:Cmaj\n| C D 2 |\n\nM:6/8\nK:Cmaj\nD 2 C D |\n' > "$dir/corpus.txt"
run copies --corpus "$dir/corpus.txt" --tokens "C D 2 C D" -n 2
printf '0\t2\tC D\n1\t2\tD 2\n2\t1\t2 C\n3\t2\tC D\n' > "$dir/want.txt"
tail -n 4 "$dir/out.txt" | cmp -s - "$dir/want.txt" || fail "copies: $(cat "$dir/out.txt")"
./folkrnn analyze nonsense --model "$model" > /dev/null 2>&1
test $? -eq 2 || fail "unknown verb is not a usage error"

. "$srcdir/numpy_python.sh"
if [ -n "$python" ]; then
    "$python" - "$dir/softmax.npz" <<'PY' || fail "softmax numbers differ from numpy's"
import sys
import numpy as np
z = np.load(sys.argv[1])
V = z["V"].astype(np.float64)
s = np.linalg.svd(V, compute_uv=False)
assert np.allclose(z["singular_values"], s, rtol=1e-12, atol=1e-12), (z["singular_values"], s)
assert np.allclose(z["corr_columns"], np.corrcoef(V, rowvar=False), atol=1e-12)
v = z["v"].astype(np.float64).ravel()
r = [np.corrcoef(V[:, j], v)[0, 1] for j in range(V.shape[1])]
assert np.allclose(z["corr_bias"], r, atol=1e-12)
u = z["left_vectors"]
assert np.allclose(u.T @ u, np.eye(u.shape[1]), atol=1e-12)
PY
fi
exit 0
