#!/bin/sh
# folkrnn tokens: help and exit codes, tune splitting (data_v2 layout and
# one tune per line), ABC both ways, bar counts, the vocabulary options.
dir=$(mktemp -d "${TMPDIR:-/tmp}/cli_tokens.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
folkrnn=./folkrnn

fail() { echo "FAIL: $*"; exit 1; }

$folkrnn tokens --help | grep -q '^usage: folkrnn tokens' || fail "--help"
$folkrnn tokens --bogus </dev/null 2>/dev/null; [ $? -eq 2 ] || fail "--bogus is not exit 2"
$folkrnn tokens --to midi </dev/null 2>/dev/null; [ $? -eq 2 ] || fail "--to midi is not exit 2"
$folkrnn tokens --model x --vocab v2 </dev/null 2>/dev/null; [ $? -eq 2 ] || fail "--model and --vocab"

# An unknown token: exit 1, the tune, offset and text named on stderr.
echo "M:4/4 K:Cmaj A B H c" | $folkrnn tokens >"$dir/out" 2>"$dir/err"
[ $? -eq 1 ] || fail "unknown token is not exit 1"
grep -q "tune 1: no token of the vocabulary matches at offset 17 (line 1, column 18): 'H c'" "$dir/err" ||
    fail "error message: $(cat "$dir/err")"

# data_v2 layout and one-tune-per-line input give the same tunes.
printf 'M:6/8\nK:Cmix\n|: c | f 3 f 2 :|\n\nM:4/4\nK:Cmaj\nG 8 |\n' >"$dir/v2.txt"
printf 'M:6/8 K:Cmix |: c | f 3 f 2 :|\nM:4/4 K:Cmaj G 8 |\n' >"$dir/lines.txt"
$folkrnn tokens "$dir/v2.txt" >"$dir/a.abc" || fail "--to abc (data_v2 layout)"
$folkrnn tokens <"$dir/lines.txt" >"$dir/b.abc" || fail "--to abc (lines)"
cmp -s "$dir/a.abc" "$dir/b.abc" || fail "the two layouts differ"
cat >"$dir/expect.abc" <<'EOF'
X:1
T:folkrnn tune 1
L:1/8
M:6/8
K:Cmix
|: c | f3f2 :|

X:2
T:folkrnn tune 2
L:1/8
M:4/4
K:Cmaj
G8 |
EOF
cmp -s "$dir/a.abc" "$dir/expect.abc" || fail "ABC: $(cat "$dir/a.abc")"
$folkrnn tokens --to tokens "$dir/a.abc" >"$dir/back" || fail "--to tokens"
cmp -s "$dir/back" "$dir/lines.txt" || fail "ABC back to tokens: $(cat "$dir/back")"

# Bars: pickup 1 and closing 5 in 6/8; the total line.
$folkrnn tokens --bars "$dir/v2.txt" >"$dir/bars" || fail "--bars"
cat >"$dir/expect.bars" <<'EOF'
tune 1: bars 2 correct 2 share 1.000 faults none
  1p 5c
tune 2: bars 1 correct 1 share 1.000 faults none
  8
total: tunes 2 bars 3 correct 3 share 1.0000 tunes-with-faults 0
EOF
cmp -s "$dir/bars" "$dir/expect.bars" || fail "bars: $(cat "$dir/bars")"
echo "M:4/4 K:Cmaj |: A > B 2 c 6 |" | $folkrnn tokens --bars | head -1 |
    grep -q 'share 0.000 faults repeat-unclosed,broken-unequal$' || fail "faults not named"

# Any vocabulary: the words of the input, or a file of tokens.
echo "M:4/4 K:Cmaj Foo Bar | </s>" | $folkrnn tokens --vocab words | grep -q '^FooBar |$' ||
    fail "--vocab words"
printf 'M:4/4\nK:Cmaj\nA\nB\n|\n' >"$dir/vocab"
echo "M:4/4 K:Cmaj AB|BA" | $folkrnn tokens --vocab "$dir/vocab" --to tokens --from tokens |
    grep -q '^M:4/4 K:Cmaj A B | B A$' || fail "--vocab FILE"
echo "M:4/4 K:Cmaj c" | $folkrnn tokens --vocab "$dir/vocab" >/dev/null 2>&1 && fail "c is not in FILE"
echo "PASS"
