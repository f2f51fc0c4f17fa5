#!/bin/sh
# fuzz/run.sh -- build the libFuzzer targets of libfolkrnn and run each for a
# bounded time.
#
#   fuzz/run.sh [TARGET ...]          build, then fuzz each target (default: all)
#   fuzz/run.sh --build-only          build only
#   fuzz/run.sh --replay FILE ...     run every target once over FILEs (no fuzzing)
#
# Environment:
#   FUZZ_SECONDS   seconds per target (default 60; CI total = 7 targets x this)
#   FUZZ_BUILD     build folder (default /work/build-fuzz, else ./build-fuzz)
#   FUZZ_JOBS      parallel fuzzing processes per target (default 1)
#   CC             a clang with libFuzzer (default clang; Debian: apt-get
#                  install clang libclang-rt-14-dev)
#
# The library is compiled from the source tree with clang and
# -fsanitize=fuzzer-no-link,address,undefined (UB aborts), outside autotools,
# so nothing here touches other builds.  Each target's committed seeds are in
# fuzz/corpus/<seeds>; new inputs the fuzzer finds go to
# $FUZZ_BUILD/corpus/<target> (never into the source tree) and crashes to
# $FUZZ_BUILD/crashes/<target>-*.  A crash makes the script exit 1 after all
# targets ran; copy the input to tests/regress/ once it is fixed, so
# tests/test_robust replays it in every make check.
#
# -malloc_limit_mb turns any single allocation above 512 MiB into a crash:
# the fuzzer's inputs are at most a few MiB, and the library promises to
# check declared sizes against the bytes present before allocating.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
CC=${CC:-clang}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_JOBS=${FUZZ_JOBS:-1}
if [ -z "${FUZZ_BUILD:-}" ]; then
    if [ -d /work ]; then FUZZ_BUILD=/work/build-fuzz; else FUZZ_BUILD=$PWD/build-fuzz; fi
fi

# target name : source file : seed folder under fuzz/corpus
TARGETS="pickle:fuzz_model.c:pickle safetensors:fuzz_model.c:safetensors gzip:fuzz_gzip.c:gzip
tokens:fuzz_tokens.c:tokens abc:fuzz_abc.c:abc template:fuzz_template.c:template
bars:fuzz_bars.c:bars"

SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# clang refuses lib/simd.h's 8-float vectors passed by value unless AVX
# is on (gcc only notes the ABI change), and lib/kernels.c uses them.
SIMD=
if grep -qw avx2 /proc/cpuinfo 2>/dev/null; then SIMD="-mavx2 -mfma"; fi
CFLAGS_FUZZ="-std=c11 -g -O1 $SAN $SIMD -D_POSIX_C_SOURCE=200809L -I$src/include -I$src/lib \
 -DFOLKRNN_MODELDIR=\"/nonexistent\" $(pkg-config --cflags openblas zlib 2>/dev/null || true)"
LIBS="$(pkg-config --libs openblas 2>/dev/null || echo -lopenblas) -lz -lm -lpthread"

build() {
    mkdir -p "$FUZZ_BUILD/obj"
    objs=
    for c in "$src"/lib/*.c; do
        # Training and analysis take no untrusted bytes and are not fuzzed
        # (and train_bptt.c needs gcc's vector ABI rules, an_spectral.c gcc's CMPLX).
        case $(basename "$c") in train*|an_*) continue ;; esac
        o="$FUZZ_BUILD/obj/$(basename "$c" .c).o"
        if [ ! -f "$o" ] || [ "$c" -nt "$o" ] || [ -n "$(find "$src/lib" "$src/include" -name '*.h' -newer "$o")" ]; then
            # shellcheck disable=SC2086
            $CC $CFLAGS_FUZZ -fsanitize=fuzzer-no-link -c "$c" -o "$o"
        fi
        objs="$objs $o"
    done
    rm -f "$FUZZ_BUILD/libfolkrnn-fuzz.a"
    # shellcheck disable=SC2086
    ar rcs "$FUZZ_BUILD/libfolkrnn-fuzz.a" $objs
    for t in $TARGETS; do
        name=${t%%:*}; rest=${t#*:}; file=${rest%%:*}
        # shellcheck disable=SC2086
        $CC $CFLAGS_FUZZ -fsanitize=fuzzer "$here/$file" "$FUZZ_BUILD/libfolkrnn-fuzz.a" \
            $LIBS -o "$FUZZ_BUILD/fuzz_$name"
    done
}

replay() {
    status=0
    for t in $TARGETS; do
        name=${t%%:*}
        ASAN_OPTIONS=detect_leaks=1 "$FUZZ_BUILD/fuzz_$name" -malloc_limit_mb=512 \
            -runs=0 "$@" >"$FUZZ_BUILD/replay_$name.log" 2>&1 || {
            echo "fuzz_$name: FAILED on replay (see $FUZZ_BUILD/replay_$name.log)"
            status=1
        }
    done
    return $status
}

fuzz_one() {
    name=$1 seeds=$2
    work="$FUZZ_BUILD/corpus/$name"
    mkdir -p "$work" "$FUZZ_BUILD/crashes"
    echo "fuzz_$name: ${FUZZ_SECONDS}s"
    # Single process unless FUZZ_JOBS > 1; dictionary-free; inputs up to 64 KiB.
    set +e
    OPENBLAS_NUM_THREADS=1 ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    "$FUZZ_BUILD/fuzz_$name" -max_total_time="$FUZZ_SECONDS" -max_len=65536 \
        -malloc_limit_mb=512 -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
        -jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS" \
        -artifact_prefix="$FUZZ_BUILD/crashes/$name-" \
        "$work" "$here/corpus/$seeds" >"$FUZZ_BUILD/fuzz_$name.log" 2>&1
    rc=$?
    set -e
    grep -E '^(stat::number_of_executed_units|stat::new_units_added|Done)|cov:' \
        "$FUZZ_BUILD/fuzz_$name.log" | tail -3 | sed "s/^/  /"
    if [ $rc -ne 0 ]; then
        echo "fuzz_$name: CRASH (exit $rc), log $FUZZ_BUILD/fuzz_$name.log:"
        grep -E 'ERROR|SUMMARY|broken promise|Test unit written' "$FUZZ_BUILD/fuzz_$name.log" |
            head -5 | sed "s/^/  /"
        return 1
    fi
    return 0
}

case "${1:-}" in
--build-only) build; exit 0 ;;
--replay) shift; build; replay "$@"; exit $? ;;
esac

build
wanted="$*"
failed=
for t in $TARGETS; do
    name=${t%%:*}; seeds=${t##*:}
    if [ -n "$wanted" ]; then
        case " $wanted " in *" $name "*) ;; *) continue ;; esac
    fi
    fuzz_one "$name" "$seeds" || failed="$failed $name"
done
if [ -n "$failed" ]; then
    echo "fuzz: crashes in:$failed (inputs in $FUZZ_BUILD/crashes)"
    exit 1
fi
echo "fuzz: no crash"
