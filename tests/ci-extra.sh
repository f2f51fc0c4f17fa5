#!/bin/sh
# tests/ci-extra.sh -- the long-running robustness checks (doc/robustness.md), for
# .ci/run after the ordinary build and its make check:
#
#   tests/ci-extra.sh PLAIN_BUILD
#
# PLAIN_BUILD is the ordinary (configured, built) build folder; the sanitizer
# builds go beside it (PLAIN_BUILD-asan, PLAIN_BUILD-tsan, PLAIN_BUILD-fuzz).
# Stages, each cut off by timeout(1) at its budget (seconds):
#
#   fuzz      fuzz/run.sh: 7 libFuzzer targets x FUZZ_SECONDS (45) + build   540
#   asan      tests/sanitize.sh asan: gcc ASan+UBSan build, make check      540
#   valgrind  tests/sanitize.sh valgrind PLAIN_BUILD: Check programs, 2 at  480
#             a time (test_inference alone takes 2-5 minutes under memcheck)
#   tsan      tests/sanitize.sh tsan: TSan build, tests/test_threads        240
#   clang     a build with CC=clang (Debian's clang 14) and its make check  480
#             (the library is C11 for any compiler, not only GCC's dialect)
#
# so the whole script ends within 40 minutes even when every stage hits its
# budget.  Measured on two cores shared with other builds: fuzz 7.5 min
# (build 2, 45 s a target), asan 4-7, valgrind 7.5 (8.7 with a rebuild),
# tsan 1: about 20 minutes.  CI_EXTRA_STAGES
# chooses stages ("fuzz asan valgrind tsan clang"); a stage that fails or runs out
# of time makes the script exit 1 after the others have run.  Needs clang
# and libclang-rt-14-dev (fuzz), valgrind, and gcc's libasan/libubsan/libtsan.
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
plain=$(cd "${1:?usage: ci-extra.sh PLAIN_BUILD}" && pwd)
stages=${CI_EXTRA_STAGES:-fuzz asan valgrind tsan clang}
FUZZ_SECONDS=${FUZZ_SECONDS:-45}
export FUZZ_SECONDS

failed=
run_stage() {
    name=$1 budget=$2
    shift 2
    case " $stages " in *" $name "*) ;; *) return 0 ;; esac
    echo "=== ci-extra: $name (budget ${budget}s)"
    start=$(date +%s)
    timeout --kill-after=20 "$budget" nice "$@"
    rc=$?
    took=$(($(date +%s) - start))
    if [ $rc -eq 0 ]; then
        echo "=== ci-extra: $name passed in ${took}s"
    else
        [ $rc -eq 124 ] && why="ran out of time" || why="failed (exit $rc)"
        echo "=== ci-extra: $name $why after ${took}s"
        failed="$failed $name"
    fi
}

FUZZ_BUILD=$plain-fuzz
export FUZZ_BUILD
run_stage fuzz 540 "$src/fuzz/run.sh"
run_stage asan 540 "$here/sanitize.sh" asan "$plain-asan"
run_stage valgrind 480 "$here/sanitize.sh" valgrind "$plain"
run_stage tsan 240 "$here/sanitize.sh" tsan "$plain-tsan"
run_stage clang 480 sh -c 'mkdir -p "$1" && cd "$1" && "$2/configure" -q CC=clang &&
    make -j2 >/dev/null && make -j2 check' clang-build "$plain-clang" "$src"

if [ -n "$failed" ]; then
    echo "ci-extra: FAILED:$failed"
    exit 1
fi
echo "ci-extra: all stages passed"
