#!/bin/sh
# make bench: measure libfolkrnn and its references in one run and print a
# table of ratios.  Usage: bench/run.sh BUILD_DIR SRC_DIR [TUNES]
set -eu
build=$1 src=$2 tunes=${3:-1000}
py=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$work/results

if $py -c 'import numpy' 2>/dev/null; then
  $py "$src/bench/make_v2_model.py" "$work/v2.pkl"
else
  echo "numpy missing: cannot make the v2-size benchmark model (install python3-numpy)"; exit 1
fi
"$build/bench/bench" "$work/v2.pkl" "$tunes" > "$out"
$py "$src/bench/numpy_sampler.py" "$work/v2.pkl" 20 100 >> "$out" || echo "numpy missing" >> "$out"
$py "$src/bench/torch_score.py" 128 200 >> "$out" || echo "torch missing" >> "$out"

awk -v tunes="$tunes" '
  { v[$1] = $2; if ($1 == "numpy" || $1 == "torch") { v[$1 "_" $2] = $3; for (i = 2; i < NF; i += 2) v[$1 "_" $i] = $(i + 1) } }
  $0 ~ /missing/ { missing[$1] = 1 }
  function row(what, value, ref, ratio, target) {
    printf "%-44s %14s %14s %9s   %s\n", what, value, ref, ratio, target }
  function r(x) { return sprintf("%.3g", x) }
  END {
    row("measurement", "value", "reference", "ratio", "target")
    row("single-stream step (s) / stream weights 2 thr", r(v["step_1"]), r(v["stream_weights_2threads"]),
        r(v["step_1"] / v["stream_weights_2threads"]), "<= 1.3")
    if (!missing["numpy"])
      row("single-stream step (s) / numpy sampler step", r(v["step_1"]), r(v["numpy_step_seconds"]),
          r(v["step_1"] / v["numpy_step_seconds"]), "")
    else row("numpy sampler", "missing", "", "", "")
    for (s = 1; s <= 64; s *= 8) {
      key = "sample_" s "_tunes_per_second"
      if (!missing["numpy"])
        row("tunes/s, " s " streams / numpy sampler", r(v[key]), r(v["numpy_tunes_per_second"]),
            r(v[key] / v["numpy_tunes_per_second"]), s == 64 ? ">= 6" : "")
      else row("tunes/s, " s " streams", r(v[key]), "", "", "")
    }
    row("64-stream step GFLOP/s / cblas_sgemm GFLOP/s", r(v["flops_per_token"] * 64 / v["step_64"] * 1e-9),
        r(v["sgemm_gflops"]), r(v["flops_per_token"] * 64 / v["step_64"] * 1e-9 / v["sgemm_gflops"]), ">= 0.6")
    row("scoring GFLOP/s / cblas_sgemm GFLOP/s", r(v["score_gflops"]), r(v["sgemm_gflops"]),
        r(v["score_gflops"] / v["sgemm_gflops"]), "")
    if (!missing["torch"])
      row("scoring tokens/s / PyTorch nn.LSTM", r(v["score_tokens_per_second"]), r(v["torch_score_tokens_per_second"]),
          r(v["score_tokens_per_second"] / v["torch_score_tokens_per_second"]), ">= 3")
    else row("PyTorch nn.LSTM", "missing", "", "", "")
    row("load pickle (s) / read its bytes", r(v["load_pickle"]), r(v["read_pickle"]),
        r(v["load_pickle"] / v["read_pickle"]), "<= 2")
    row("load safetensors (s) / read its bytes", r(v["load_safetensors"]), r(v["read_safetensors"]),
        r(v["load_safetensors"] / v["read_safetensors"]), "<= 2")
    row("step with one no-op hook / plain step", r(v["step_1_noop_hook"]), r(v["step_1"]),
        r(v["step_1_noop_hook"] / v["step_1"]), "< 1.05")
    row("step recording every point / plain step", r(v["step_1_record_all"]), r(v["step_1"]),
        r(v["step_1_record_all"] / v["step_1"]), "< 2")
  }' "$out"
