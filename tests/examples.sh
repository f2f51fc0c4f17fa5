#!/bin/sh
# Run every example of examples/ (doc/tutorial.md) on the small shipped model
# and check that it succeeds and writes valid pictures: PNG files start with
# the PNG signature, SVG files are XML with an <svg> element and its end.
# Sweeps and tune counts are cut down so that the whole script takes seconds.
srcdir=${top_srcdir:-$(dirname "$0")/..}
model="$srcdir/models/small.safetensors.gz"
test -f "$model" || { echo "SKIP: no $model"; exit 77; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/examples.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
# One BLAS thread: the matrices are small and threads only add waiting.
OPENBLAS_NUM_THREADS=1; export OPENBLAS_NUM_THREADS
fail() { echo "FAIL: $*"; exit 1; }

is_png() { test "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a; }
is_svg() {
    head -c 5 "$1" | grep -q '^<?xml' && grep -q '<svg' "$1" && tail -c 10 "$1" | grep -q '</svg>'
}

# run NAME COUNT PICTURES...: run examples/NAME, then check each picture.
run() {
    name=$1 count=$2
    shift 2
    out="$dir/$name"
    ./examples/$name "$model" "$out" $count > "$dir/$name.txt" 2>&1 ||
        { cat "$dir/$name.txt"; fail "examples/$name exited with $?"; }
    for f in "$@"; do
        test -s "$out/$f" || fail "$name: no $f"
        case $f in
        *.png) is_png "$out/$f" || fail "$name: $f is not a PNG" ;;
        *.svg) is_svg "$out/$f" || fail "$name: $f is not an SVG" ;;
        esac
    done
    echo "ok $name"
}

run softmax "" softmax_V.png softmax_corr.png softmax_corr_bias.svg
grep -q '^correlation of the columns of V with v: max |r| 0\.[0-9]*, mean' "$dir/softmax.txt" ||
    fail "softmax: no correlation with the bias"
# Sturm's rule at p = 0.5, delta = +1 is the logistic function: 0.7311.
grep -q '^ 0.50 .* 0.7311 ' "$dir/softmax.txt" || fail "softmax: logit-change table"
run svd "" svd_values.svg svd_left.png svd_right_hist.svg
grep -q '^V is 137 x 128, rank 128' "$dir/svd.txt" || fail "svd: shape or rank"
run gates "" gates_gram_ingate.png gates_gram_forgetgate.png gates_gram_cell.png \
    gates_gram_outgate.png gates_norms.png
test "$(grep -c '^  [a-z]* *mean |cos|' "$dir/gates.txt")" -eq 4 || fail "gates: cosines"
run posterior 5 posterior.png posterior_classes.svg posterior.abc
grep -q '^X:1$' "$dir/posterior/posterior.abc" || fail "posterior: ABC"
run spectra 2 spectra_hidden.png spectra_units.png spectra.svg
grep -q '^layer 1: [0-9]* of 128 units' "$dir/spectra.txt" || fail "spectra: selection"
run snip 1 snip_bars.svg snip_loglik.svg
test "$(grep -c '^  period ' "$dir/snip.txt")" -eq 12 || fail "snip: table"
run suppress 2 suppress_bars.svg suppress_barmass.svg
grep -q '^no </s>  *mean length 600.0 tokens' "$dir/suppress.txt" ||
    fail "suppress: tunes without </s> must run to the length limit"
run timegram 5 timegram_input.png timegram_output.png timegram_hidden.png timegram_lags.svg
exit 0
