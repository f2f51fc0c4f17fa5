#!/bin/sh
# Quality of a model's tunes, measured beside the same figures for the
# corpus (issue 4): N tunes sampled with the default generator, and N corpus
# tunes (every k-th of data_v2, chosen the same way every run).
#   - share of tunes that abc2midi converts without an error (each tune
#     alone: abc2midi carries repeat state between the tunes of one file);
#   - share of bars of the right length, and of tunes with structural
#     faults ('folkrnn tokens --bars');
#   - tune length in tokens: mean, 10th, 50th and 90th percentile;
#   - the model's validation loss per token (its metadata), when recorded.
# Usage: models/quality.sh FOLKRNN_BINARY MODEL CORPUS [N] [SEED]
# Prints a Markdown table.
set -eu
folkrnn=$1 model=$2 corpus=$3 n=${4:-500} seed=${5:-1}
command -v abc2midi >/dev/null 2>&1 || { echo "quality.sh: abc2midi missing (apt-get install abcmidi)" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/quality.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# One tune per line of token text in $1.line; the figures of one row out.
measure() {
    name=$1 lines=$dir/$1.line
    "$folkrnn" tokens --to abc "$lines" >"$dir/$name.abc"
    awk -v d="$dir/$name" 'BEGIN { RS = "" } { f = sprintf("%s.%05d.abc", d, NR); print > f; close(f) }' \
        "$dir/$name.abc"
    errors=0 total=0
    for f in "$dir/$name".[0-9]*.abc; do
        total=$((total + 1))
        # A tune abc2midi cannot finish within bounds counts as an error.
        if ! out=$( (ulimit -v 1000000; timeout 20 abc2midi "$f" -o /dev/null) 2>&1) ||
           printf '%s\n' "$out" | grep -q '^Error'; then
            errors=$((errors + 1))
        fi
    done
    bars=$("$folkrnn" tokens --bars "$lines" | tail -1)
    awk '{ print NF }' "$lines" | sort -n >"$dir/$name.len"
    awk -v name="$name" -v total="$total" -v errors="$errors" -v bars="$bars" '
        { len[NR] = $1; sum += $1 }
        END {
            nb = split(bars, b, " ")
            for (i = 1; i < nb; i++) field[b[i]] = b[i + 1]
            printf "| %s | %d | %.1f%% | %.1f%% | %.1f%% | %.0f | %d | %d | %d |\n", name, total,
                100 * (total - errors) / total, 100 * field["share"], 100 * field["tunes-with-faults"] / total,
                sum / NR, len[int(NR * 0.1) + 1], len[int(NR * 0.5) + 1], len[int(NR * 0.9) + 1]
        }' "$dir/$name.len"
}

"$folkrnn" sample --model "$model" --seed "$seed" --ntunes "$n" >"$dir/sampled.line"
ntunes=$(awk 'BEGIN { RS = "" } END { print NR }' "$corpus")
step=$((ntunes / n))
awk -v step="$step" -v n="$n" 'BEGIN { RS = "" } (NR - 1) % step == 0 && ++k <= n { $1 = $1; print }' \
    "$corpus" >"$dir/corpus.line"

echo "| tunes | N | abc2midi without error | bars of the right length | tunes with faults | mean length | p10 | p50 | p90 |"
echo "|---|---|---|---|---|---|---|---|---|"
measure sampled
measure corpus
valid=$("$folkrnn" info --json "$model" 2>/dev/null | /usr/bin/python3 -c '
import json, sys
meta = json.load(sys.stdin).get("metadata", {})
for key in ("training.losses_valid", "losses_eval_valid"):
    if key in meta:
        v = meta[key]
        v = json.loads(v) if isinstance(v, str) else v
        print(v[-1] if isinstance(v, list) else v)
        break
' 2>/dev/null || true)
echo
echo "Model: $model; sampled with seed $seed, default generator, temperature 1."
[ -n "$valid" ] && echo "Validation loss per token (last epoch, from the model's metadata): $valid nats."
exit 0
