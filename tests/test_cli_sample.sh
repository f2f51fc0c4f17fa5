#!/bin/sh
# folkrnn sample, score and beam: the command-line contract on the tiny
# folk-rnn pickle, against the numpy reference of tests/sample_ref.py
# (fixtures/sample_ref.txt): --rng numpy prints folk-rnn's tunes, one line
# of tokens each; help and usage exit codes; score and beam output.
srcdir=$(dirname "$0")
fixtures=${FOLKRNN_TEST_DATA:-$srcdir/fixtures}
model=$fixtures/tiny_py2.pkl
ref=$fixtures/sample_ref.txt
folkrnn=./folkrnn
dir=$(mktemp -d "${TMPDIR:-/tmp}/test_cli_sample.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT

fail() { echo "FAIL: $*"; exit 1; }

for cmd in sample score beam; do
    $folkrnn $cmd --help | grep -q "^usage: folkrnn $cmd" || fail "$cmd --help"
    $folkrnn $cmd --bogus x 2>/dev/null; [ $? -eq 2 ] || fail "$cmd --bogus is not exit 2"
    $folkrnn $cmd --model "$dir/missing" </dev/null >"$dir/out" 2>"$dir/err"
    [ $? -eq 1 ] || fail "$cmd with a missing model is not exit 1"
    grep -q missing "$dir/err" || fail "$cmd: the error does not name the model"
done
$folkrnn sample --model "$model" --temperature 0 2>/dev/null; [ $? -eq 2 ] || fail "temperature 0"
$folkrnn sample --model "$model" --suppress 'nothing@0-1' 2>/dev/null
[ $? -eq 2 ] || fail "bad --suppress"

# every case of the numpy reference, tune for tune
[ "$(grep -c '^case ' "$ref")" -ge 5 ] || fail "no cases in $ref"
grep '^case ' "$ref" | while read -r _ name seed temp ntunes prime; do
    $folkrnn sample --model "$model" --rng numpy --seed "$seed" --temperature "$temp" \
        --ntunes "$ntunes" --prime "$prime" --format tokens >"$dir/got" || fail "sample $name"
    awk -v n="$name" '$1 == "tune" && $2 == n { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print }' \
        "$ref" >"$dir/want"
    cmp -s "$dir/got" "$dir/want" || { diff "$dir/want" "$dir/got"; fail "case $name"; }
done || exit 1

# ABC: one X: per tune; score: a line per tune and a total; beam: the mass adds up to 1
$folkrnn sample --model "$model" --ntunes 3 --seed 9 --format abc >"$dir/abc" || fail "abc"
[ "$(grep -c '^X:' "$dir/abc")" -eq 3 ] || fail "abc: not 3 tunes"
# three tunes in the data_v2 layout, then two one per line: 5 tunes, 31 tokens + 5 </s>
printf 'M:6/8\nK:Cmaj\n| C D 2 C |\n\nM:6/8\nK:Cmaj\nC 2 z :|\n\nK:Cmaj\nD D /2 |\n\n%s\n%s\n' \
    'M:6/8 K:Cmaj C D | z :|' 'C C C C |' >"$dir/tunes"
$folkrnn score --model "$model" --per-token "$dir/tunes" >"$dir/score" || fail "score"
[ "$(grep -c '^[0-9]' "$dir/score")" -eq 5 ] || fail "score: not 5 tunes"
[ "$(grep -c '^  ' "$dir/score")" -eq 36 ] || fail "score: not 36 scored tokens"
awk -F'\t' '$1 ~ /^[0-9]/ && !($3 < 0 && $4 > 1) { exit 1 }' "$dir/score" || fail "score values"
grep -q '^total	36	' "$dir/score" || fail "score: no total over 36 tokens"
$folkrnn beam --model "$model" --prime "M:6/8 K:Cmaj" --depth 3 --width 4 --floor 1e-3 \
    >"$dir/beam" || fail "beam"
awk '$2 == "visited" { v = $3 } $2 == "unvisited" { u = $3 }
     END { d = v + u - 1; exit !(v > 0 && d < 1e-9 && d > -1e-9) }' "$dir/beam" ||
    fail "beam: visited + unvisited is not 1"
$folkrnn beam --model "$model" --prime "M:6/8 K:Cmaj | C D" --along --depth 2 --width 3 \
    >"$dir/along" || fail "beam --along"
awk -F'\t' '$1 ~ /^[0-9]/ { n++; d = $3 + $6 - 1; if (d > 1e-9 || d < -1e-9) exit 1 }
     END { exit n != 6 }' "$dir/along" || fail "beam --along: not 6 steps whose mass adds up to 1"
exit 0
