#!/bin/sh
# tests/sanitize.sh -- the test suite under sanitizers and Valgrind.
#
#   tests/sanitize.sh asan [BUILD]       configure BUILD (default /work/build-asan) with
#                                        gcc -fsanitize=address,undefined and run make check
#   tests/sanitize.sh valgrind [BUILD]   run every Check program of an ordinary build
#                                        (default /work/build-rel) under memcheck,
#                                        JOBS at a time
#   tests/sanitize.sh tsan [BUILD]       build the library with -fsanitize=thread in
#                                        BUILD (default /work/build-tsan), run test_threads
#
# Environment: SRCDIR (default: this script's source tree), JOBS (make -j, 2),
# VALGRIND_TIMEOUT (seconds per program, 300), VALGRIND_SKIP (program names
# not to run under Valgrind, space-separated; default test_perf, a benchmark).
#
# ASan/UBSan: any report fails (halt_on_error; LeakSanitizer on).  The tests
# that load the library into another runtime (Python via ctypes, the
# pkg-config build outside the tree, the ABI and man-page checks) are left
# out: an instrumented libfolkrnn.so cannot be loaded by an uninstrumented
# python3, and those tests check packaging, not memory.  test_robust's
# allocation interposer is compiled out under ASan (ASan owns malloc).
#
# Valgrind: --leak-check=full, definite and indirect leaks are errors,
# CK_FORK=no so that Check runs the tests in the process Valgrind watches.
# tests/valgrind.supp holds suppressions for code outside libfolkrnn only.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
SRCDIR=${SRCDIR:-$(dirname "$here")}
JOBS=${JOBS:-2}
mode=${1:?usage: sanitize.sh asan|valgrind|tsan [BUILD]}

# The value of a make variable of the build's Makefile.
make_var() {
    printf 'print-var:\n\t@echo $(%s)\n' "$2" | make -s -C "$1" -f Makefile -f - print-var
}

# Environment the tests expect (as AM_TESTS_ENVIRONMENT sets it).
test_env() {
    top_srcdir=$SRCDIR
    FOLKRNN_TEST_DATA=$SRCDIR/tests/fixtures
    FOLKRNN_SHARED_DATA=$SRCDIR/../shared/data
    CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-600}
    export top_srcdir FOLKRNN_TEST_DATA FOLKRNN_SHARED_DATA CK_DEFAULT_TIMEOUT
}

# Build tests/test_robust and tests/test_threads by hand when the build's
# Makefile does not know them yet (mk/robust.am not included).
ensure_robust_tests() {
    build=$1 extra=$2
    case " $(make_var "$build" check_PROGRAMS) " in
    *" tests/test_robust "*) make -s -C "$build" -j"$JOBS" tests/test_robust tests/test_threads; return ;;
    esac
    make -s -C "$build" -j"$JOBS" libfolkrnn.la
    for t in test_robust test_threads; do
        # shellcheck disable=SC2046,SC2086
        gcc -std=c11 -g -O1 $extra -pthread -D_POSIX_C_SOURCE=200809L -I"$SRCDIR/include" \
            -I"$SRCDIR/tests" $(pkg-config --cflags check) "$SRCDIR/tests/$t.c" \
            -o "$build/tests/$t" -L"$build/.libs" -lfolkrnn $(pkg-config --libs check) \
            -lz -lm -Wl,-rpath,"$build/.libs"
    done
}

configure_in() {
    build=$1 cc=$2
    mkdir -p "$build/tests"
    if [ ! -f "$build/Makefile" ]; then
        (cd "$build" && "$SRCDIR/configure" -q CC="$cc" CFLAGS="-g -O1")
    fi
}

case $mode in
asan)
    build=${2:-/work/build-asan}
    san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
    configure_in "$build" "gcc $san"
    make -s -C "$build" -j"$JOBS"
    ensure_robust_tests "$build" "$san"
    tests=
    for t in $(make_var "$build" TESTS); do
        case $t in
        *python_bindings.sh | *outoftree.sh | abi/check.sh | *check_manpages.sh) ;;
        *) tests="$tests $t" ;;
        esac
    done
    ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    export ASAN_OPTIONS UBSAN_OPTIONS
    make -C "$build" -j"$JOBS" check TESTS="$tests"
    case " $tests " in
    *" tests/test_robust "*) ;;
    *) test_env; for t in test_robust test_threads; do "$build/tests/$t"; done ;;
    esac
    ;;
valgrind)
    build=${2:-/work/build-rel}
    make -s -C "$build" -j"$JOBS" check TESTS=
    ensure_robust_tests "$build" ""
    # The Check programs (tests/test_*), not the examples, which need arguments.
    progs=$(for p in $(make_var "$build" check_PROGRAMS); do
        case $p in tests/test_*) echo "$p" ;; esac
    done)
    case " $progs " in *" tests/test_robust "*) ;; *) progs="$progs tests/test_robust tests/test_threads" ;; esac
    rm -f "$build"/tests/*.valgrind.status
    # JOBS programs at a time, each its own Valgrind.
    for p in $progs; do echo "$p"; done |
        xargs -P "$JOBS" -n 1 sh "$0" valgrind-one "$build"
    failed=$(cat "$build"/tests/*.valgrind.status 2>/dev/null | grep -v '^ok' || true)
    [ -z "$failed" ] || { echo "valgrind: memory errors or time-outs in: $failed"; exit 1; }
    ;;
valgrind-one)
    # One program under memcheck.  Exit 99 is Valgrind's (an invalid access, an
    # uninitialised value, a definite or indirect leak) and fails the stage, as
    # does a time-out.  Other failures are Check assertions, which the ordinary
    # make check already judges: shown here, they do not fail the stage.
    build=$2 p=$3
    case " ${VALGRIND_SKIP-test_perf} " in *" $(basename "$p") "*) echo "SKIP: $p"; echo ok >"$build/$p.valgrind.status"; exit 0 ;; esac
    test_env
    log="$build/$p.valgrind.log"
    start=$(date +%s)
    set +e
    (cd "$build" && CK_FORK=no OPENBLAS_NUM_THREADS=1 timeout "${VALGRIND_TIMEOUT:-300}" \
        ./libtool --mode=execute valgrind -q --leak-check=full --error-exitcode=99 \
        --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
        --suppressions="$SRCDIR/tests/valgrind.supp" "./$p") >"$log" 2>&1
    rc=$?
    set -e
    took=$(($(date +%s) - start))
    # A failed Check assertion leaves its test's objects unfreed (CK_FORK=no
    # jumps out of the test): leaks alone, next to Check failures, are those.
    if [ $rc -eq 99 ] && grep -q ':[FE]:' "$log" &&
        ! grep -qE '^==[0-9]+== +(Invalid|Conditional|Use of uninit|Mismatched|Source and destination overlap|Syscall param)' "$log"; then
        rc=98
    fi
    case $rc in
    0) echo "PASS: $p under valgrind (${took} s)"; echo ok >"$build/$p.valgrind.status" ;;
    99 | 124 | 137)
        [ $rc -eq 99 ] && why="memory errors" || why="time-out"
        echo "FAIL: $p under valgrind: $why (${took} s; log $log)"
        grep -E '^==[0-9]+== +(Invalid|Conditional|Use of|[0-9,()a-z ]+ bytes in .* (definitely|indirectly) lost)|^==[0-9]+== +by 0x.*\((lib|tests)/' "$log" | head -12
        echo "$p" >"$build/$p.valgrind.status" ;;
    *)
        [ $rc -eq 98 ] && extra=" but leaks after failed assertions" || extra=""
        echo "PASS: $p under valgrind, no memory error$extra (${took} s); Check failures under Valgrind (not judged here):"
        grep -E ':[FE]:' "$log" | head -5 | sed 's/^/    /'
        echo ok >"$build/$p.valgrind.status" ;;
    esac
    ;;
tsan)
    build=${2:-/work/build-tsan}
    configure_in "$build" "gcc -fsanitize=thread"
    ensure_robust_tests "$build" "-fsanitize=thread"
    test_env
    # halt_on_error: the first race fails the run.
    (cd "$build" && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
        ./libtool --mode=execute ./tests/test_threads)
    ;;
*)
    echo "sanitize.sh: unknown mode $mode (asan, valgrind, tsan)" >&2
    exit 2
    ;;
esac
