#!/bin/sh
# folkrnn tokens against abc2midi (Debian package abcmidi) on a sample of
# the corpus: every 47th tune of data_v2 (503 tunes), chosen the same way
# every run.
#  1. token text -> ABC -> token text gives the tokens back (the command);
#  2. abc2midi -c reads every rendered tune, and every tune it reports an
#     error in has a structural fault of its own that the bar counter flags
#     too -- or an error of the kinds listed in OWN below, which come from
#     the tune's tokens (lengths like /3, an ending closed by ":|" inside a
#     second ending), never from the rendering;
#  3. the bar counter and abc2midi agree on which tunes are faulty
#     (>= 95% both ways); the figures are printed.
# Skipped (77) without abc2midi or the corpus.
srcdir=$(dirname "$0")
corpus=${FOLKRNN_SHARED_DATA:-$srcdir/../../shared/data}/data_v2.txt
if ! command -v abc2midi >/dev/null 2>&1 || [ ! -r "$corpus" ]; then
    echo "SKIP: no abc2midi, or no $corpus"
    exit 77
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/abc2midi_check.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
folkrnn=./folkrnn
step=47
OWN='is not a power of 2|denominator is zero|Cannot find :\| \|\| \[\| or \|\] to close variant ending'

fail() { echo "FAIL: $*"; exit 1; }

# The sample as token text (blank-line separated) and as one line per tune.
awk -v step=$step 'BEGIN { RS = ""; ORS = "\n\n" } (NR - 1) % step == 0' "$corpus" >"$dir/sample.txt"
awk 'BEGIN { RS = "" } { $1 = $1; print }' "$dir/sample.txt" >"$dir/sample.line"
ntunes=$(wc -l <"$dir/sample.line")
[ "$ntunes" -gt 500 ] || fail "sample has only $ntunes tunes"

# 1. round trip through the command
$folkrnn tokens --to abc "$dir/sample.txt" >"$dir/sample.abc" || fail "tokens --to abc"
$folkrnn tokens --to tokens "$dir/sample.abc" >"$dir/back.line" || fail "tokens --to tokens"
cmp -s "$dir/sample.line" "$dir/back.line" || fail "token text -> ABC -> token text differs"
[ "$(grep -c '^X:' "$dir/sample.abc")" -eq "$ntunes" ] || fail "not one ABC tune per tune"

# 2. abc2midi on each tune alone (its state carries over between the tunes
#    of one file): the numbers of the tunes with errors, and their messages.
awk -v d="$dir" 'BEGIN { RS = "" } { f = sprintf("%s/t%05d.abc", d, NR); print > f; close(f) }' \
    "$dir/sample.abc"
: >"$dir/errors"
i=1
while [ $i -le "$ntunes" ]; do
    abc2midi "$(printf '%s/t%05d.abc' "$dir" $i)" -c 2>&1 | grep '^Error' | sed "s/^/$i /" >>"$dir/errors"
    i=$((i + 1))
done
cut -d' ' -f1 "$dir/errors" | sort -u >"$dir/abc2midi_tunes"

# The bar counter's faulty tunes.
$folkrnn tokens --bars "$dir/sample.txt" >"$dir/bars" || fail "tokens --bars"
grep '^tune ' "$dir/bars" | grep -v 'faults none$' | sed 's/^tune \([0-9]*\):.*/\1/' | sort -u \
    >"$dir/counter_tunes"

# Errors in tunes the counter finds sound must be of the tunes' own kinds.
comm -23 "$dir/abc2midi_tunes" "$dir/counter_tunes" >"$dir/abc2midi_only"
unexplained=$(while read -r t; do grep "^$t " "$dir/errors"; done <"$dir/abc2midi_only" |
              grep -Ev "$OWN")
[ -z "$unexplained" ] || fail "abc2midi errors in tunes without faults: $unexplained"

# 3. agreement
n_abc=$(wc -l <"$dir/abc2midi_tunes")
n_counter=$(wc -l <"$dir/counter_tunes")
n_both=$(comm -12 "$dir/abc2midi_tunes" "$dir/counter_tunes" | wc -l)
echo "sample: $ntunes tunes; abc2midi errors in $n_abc, bar counter faults in $n_counter, both $n_both"
echo "abc2midi only: $(tr '\n' ' ' <"$dir/abc2midi_only")"
echo "counter only: $(comm -13 "$dir/abc2midi_tunes" "$dir/counter_tunes" | tr '\n' ' ')"
tail -1 "$dir/bars"
[ "$n_abc" -gt 0 ] || fail "abc2midi found no faulty tune: the sample cannot test agreement"
[ $((100 * n_both)) -ge $((95 * n_abc)) ] || fail "counter flags only $n_both of $n_abc"
[ $((100 * n_both)) -ge $((95 * n_counter)) ] || fail "abc2midi confirms only $n_both of $n_counter"
echo "PASS"
