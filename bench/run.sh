#!/bin/sh
# make bench: measure libfolkrnn and its references in one run and print a
# table of ratios.  Usage: bench/run.sh BUILD_DIR SRC_DIR [TUNES]
# Every ratio compares two medians timed interleaved in the same process
# (or, for numpy and PyTorch, in the minutes of the same run): on a shared
# machine, read the load averages printed above the table with it.
set -eu
build=$1 src=$2 tunes=${3:-1000}
py=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$work/results

if $py -c 'import numpy' 2>/dev/null; then
  $py "$src/bench/make_v2_model.py" "$work/v2.pkl"
  $py "$src/bench/make_v2_model.py" "$work/v2-py3.pkl" 1 --py3
else
  echo "numpy missing: cannot make the v2-size benchmark model (install python3-numpy)"; exit 1
fi
"$build/bench/bench" "$work/v2.pkl" "$tunes" "$work/v2-py3.pkl" > "$out"
# The references get their better BLAS thread count too (the first line of
# each wins in the table below, so the faster run is printed first).
for threads in 1 2; do
  OPENBLAS_NUM_THREADS=$threads $py "$src/bench/numpy_sampler.py" "$work/v2.pkl" 20 100 ||
    echo "numpy missing"
done > "$work/numpy"
sort -k3,3g "$work/numpy" | head -1 >> "$out"
# Scoring and PyTorch alternate, twice with each thread count; the best of
# each side is compared.
for rep in 1 2; do
  for threads in 1 2; do
    "$build/bench/bench" --score "$work/v2.pkl" 128 100 $threads >> "$work/score"
    $py "$src/bench/torch_score.py" 128 100 $threads >> "$work/torch" || echo "torch missing" >> "$work/torch"
  done
done
sort -k2,2gr "$work/score" | grep tokens_per_second | head -1 >> "$out"
grep -q missing "$work/torch" && echo "torch missing" >> "$out" || sort -k3,3gr "$work/torch" | head -1 >> "$out"
echo "loadavg_after_references $(cut -d' ' -f1 /proc/loadavg)" >> "$out"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "machine: ${cpu:-unknown CPU}, $(nproc) cores, L3 $(lscpu 2>/dev/null | sed -n 's/^L3 cache:[[:space:]]*//p')"
awk '
  { v[$1] = $2; if ($1 == "numpy" || $1 == "torch") for (i = 2; i < NF; i += 2) v[$1 "_" $i] = $(i + 1) }
  $0 ~ /missing/ { missing[$1] = 1 }
  function row(what, value, ref, ratio, target) {
    printf "%-50s %11s %11s %8s   %s\n", what, value, ref, ratio, target }
  function r(x) { return sprintf("%.3g", x) }
  function min(a, b) { return a < b ? a : b }
  END {
    printf "load average (1 min): %s at start, %s after the C bench, %s after numpy and PyTorch\n",
      v["loadavg_start"], v["loadavg_end"], v["loadavg_after_references"]
    printf "weights %.1f MB; times are medians in seconds; BLAS threads %s; sampling and scoring ran\n", v["weight_bytes"] / 1e6, v["blas_threads"]
    printf "with the faster BLAS thread count of the step rows: %s (1 stream), %s (8), %s (64, scoring)\n\n",
      v["blas_threads_1"], v["blas_threads_8"], v["blas_threads_64"]
    row("measurement", "value", "reference", "ratio", "target")
    step1 = min(v["step_1_blas1"], v["step_1_blas2"])
    read = min(v["stream_weights_1thread"], v["stream_weights_2threads"])
    row("1-stream step (best BLAS threads) / read weights", r(step1), r(read), r(step1 / read), "<= 1.3")
    row("  1-stream step, 1 / 2 BLAS threads", r(v["step_1_blas1"]), r(v["step_1_blas2"]),
        r(v["step_1_blas1"] / v["step_1_blas2"]), "")
    row("  read weights, 1 / 2 threads", r(v["stream_weights_1thread"]), r(v["stream_weights_2threads"]),
        r(v["stream_weights_1thread"] / v["stream_weights_2threads"]), "")
    if (!missing["numpy"])
      row("1-stream step / numpy sampler step", r(step1), r(v["numpy_step_seconds"]),
          r(step1 / v["numpy_step_seconds"]), "")
    else row("numpy sampler", "missing", "", "", "")
    # Tunes end at </s> or max_len, at different steps in C and numpy: the
    # ratio is of sampled tokens per second (tunes/s at equal tune length).
    numpy_tokens = 1 / v["numpy_step_seconds"]
    for (s = 1; s <= 64; s *= 8) {
      key = "sample_" s "_tokens_per_second"
      if (!missing["numpy"])
        row("sampling tokens/s, " s " streams / numpy sampler", r(v[key]), r(numpy_tokens),
            r(v[key] / numpy_tokens), s == 64 ? ">= 6" : "")
      else row("sampling tokens/s, " s " streams", r(v[key]), "", "", "")
      row("  tunes/s, " s " streams; numpy sampler", r(v["sample_" s "_tunes_per_second"]),
          r(v["numpy_tunes_per_second"]), "", "")
    }
    for (t = 1; t <= 2; t++) {
      step = v["step_64_blas" t]; gemm = v["sgemm_64_blas" t]
      row("64-stream step GFLOP/s / cblas_sgemm, " t " thr", r(v["flops_per_token"] * 64 / step * 1e-9),
          r(v["flops_per_token"] * 64 / gemm * 1e-9), r(gemm / step), ">= 0.6")
    }
    for (t = 1; t <= 2; t++) {
      step = v["step_8_blas" t]; gemm = v["sgemm_8_blas" t]
      row("8-stream step GFLOP/s / cblas_sgemm, " t " thr", r(v["flops_per_token"] * 8 / step * 1e-9),
          r(v["flops_per_token"] * 8 / gemm * 1e-9), r(gemm / step), "")
    }
    if (!missing["torch"])
      row("scoring tokens/s / PyTorch nn.LSTM", r(v["score_tokens_per_second"]), r(v["torch_score_tokens_per_second"]),
          r(v["score_tokens_per_second"] / v["torch_score_tokens_per_second"]), ">= 3")
    else row("scoring tokens/s (PyTorch missing)", r(v["score_tokens_per_second"]), "", "", "")
    score_gflops = v["score_tokens_per_second"] * v["flops_per_token"] * 1e-9
    sgemm_best = v["flops_per_token"] * 64 / min(v["sgemm_64_blas1"], v["sgemm_64_blas2"]) * 1e-9
    row("scoring GFLOP/s / 64-stream cblas_sgemm, best thr", r(score_gflops), r(sgemm_best),
        r(score_gflops / sgemm_best), "")
    # The most any float32 scoring could reach: every product at the
    # best sgemm rate of this machine, against the tokens/s of PyTorch.
    if (!missing["torch"])
      row("  ceiling: peak sgemm tokens/s / PyTorch", r(v["sgemm_peak_gflops"] / v["flops_per_token"] * 1e9),
          r(v["torch_score_tokens_per_second"]),
          r(v["sgemm_peak_gflops"] / v["flops_per_token"] * 1e9 / v["torch_score_tokens_per_second"]), "")
    row("load pickle, folk-rnn layout (s) / read bytes", r(v["load_pickle"]), r(v["read_pickle"]),
        r(v["load_pickle"] / v["read_pickle"]), "<= 2")
    row("load pickle, Python 3 protocol 2 / read bytes", r(v["load_pickle_py3"]), r(v["read_pickle_py3"]),
        r(v["load_pickle_py3"] / v["read_pickle_py3"]), "")
    row("load safetensors (s) / read its bytes", r(v["load_safetensors"]), r(v["read_safetensors"]),
        r(v["load_safetensors"] / v["read_safetensors"]), "<= 2")
    row("step with a no-op hook / plain step (CPU s)", r(v["step_1_noop_hook"]), r(v["step_1_plain"]),
        r(v["step_1_noop_hook"] / v["step_1_plain"]), "< 1.05")
    row("step recording every point / plain (CPU s)", r(v["step_1_record_all"]), r(v["step_1_plain"]),
        r(v["step_1_record_all"] / v["step_1_plain"]), "")
  }' "$out"
