#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The sanitizer and fuzzing stages of `make test`, run after the normal build and its ctest:
#   1. ASan+UBSan (build-asan, PROF_SANITIZE=address,undefined): the unit tests, then the cli tests
#      and a few integration tests of the tools, with the sanitized profreport/profdiff reading
#      profiles that the normal build's libprof.so writes (an ASan libprof.so cannot be preloaded
#      into uninstrumented programs, so the runtime is never the sanitized one here).
#   2. TSan (build-tsan, PROF_SANITIZE=thread): tests/unit/test_ring, the ring's concurrency tests.
#   3. libFuzzer (build-fuzz, clang, PROF_FUZZ=ON): each target for FUZZ_SECONDS from seeds (the
#      golden profile, the corrupt corpus, a fresh real profile); the corpus grows across runs.
#      Without clang the fuzz stage is skipped with a visible message.
# Usage: scripts/sanitize-and-fuzz.sh   Environment: BUILD (the normal build dir, default build),
# JOBS, FUZZ_SECONDS (default 60). Exit status: 0 if every stage passed, 1 otherwise (all stages
# run even after a failure, so one report shows everything).
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$SRC/$BUILD
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
ASAN=$SRC/build-asan
TSAN=$SRC/build-tsan
FUZZ=$SRC/build-fuzz
# The tool-level integration tests run under ASan (each profiles an example with the normal
# libprof.so and checks profreport's or profdiff's output).
ASAN_INTEGRATION=(test_work532 test_threads test_cpp_inline test_profdiff_variant test_alloc_leak
                  test_wall_pipe)

failed=()
stage() { printf '\n==== %s ====\n' "$*"; }
t_start=$SECONDS

[[ -f $BUILD/src/libprof.so ]] || { echo "sanitize-and-fuzz: build $BUILD first (make build)"; exit 1; }

# ---- 1. ASan + UBSan ----
stage "ASan+UBSan build ($ASAN)"
# Leaks count, and UB is fatal (the tool then exits 1, which the tests see); a caller's own settings win.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
mapfile -t unit_targets < <(cd tests/unit && ls test_*.c | sed 's/\.c$//')
if cmake -S . -B "$ASAN" -DCMAKE_BUILD_TYPE=Debug -DPROF_SANITIZE=address,undefined \
        $( [[ -n ${CI:-} ]] && echo -DPROF_WERROR=ON ) >/dev/null &&
    cmake --build "$ASAN" -j "$JOBS" --target profreport profdiff "${unit_targets[@]}"; then
    stage "ASan+UBSan: unit tests"
    (cd "$ASAN" && ctest --output-on-failure -j "$JOBS" -R '^unit/') || failed+=("asan unit tests")
    # Tools sanitized, runtime and examples from the normal build.
    tool_env=(PROF_SRC="$SRC" PROF_BUILD="$BUILD" PROF_LIB="$BUILD/src/libprof.so"
              PROFREPORT="$ASAN/tools/profreport/profreport" PROFDIFF="$ASAN/tools/profdiff/profdiff"
              EXAMPLES="$BUILD/examples" PROGS="$BUILD/tests/progs")
    scripts=(tests/cli/test_*.sh)
    for t in "${ASAN_INTEGRATION[@]}"; do
        scripts+=("tests/integration/$t.sh")
    done
    for t in "${scripts[@]}"; do
        [[ -f $t ]] || continue
        stage "ASan+UBSan: $t"
        if ! env "${tool_env[@]}" timeout 600 bash "$t" >"$ASAN/last-test.log" 2>&1; then
            tail -30 "$ASAN/last-test.log"
            failed+=("asan $t")
        else
            tail -1 "$ASAN/last-test.log"
        fi
    done
else
    failed+=("asan build")
fi

# ---- 2. TSan: the ring ----
stage "TSan build ($TSAN): test_ring"
if cmake -S . -B "$TSAN" -DCMAKE_BUILD_TYPE=Debug -DPROF_SANITIZE=thread >/dev/null &&
    cmake --build "$TSAN" -j "$JOBS" --target test_ring; then
    # TSan's shadow layout rejects the high mmap randomisation of recent kernels: run without ASLR.
    norand=()
    command -v setarch >/dev/null && norand=(setarch "$(uname -m)" -R)
    if ! TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 "${norand[@]}" \
            "$TSAN/tests/test_ring"; then
        failed+=("tsan test_ring")
    fi
else
    failed+=("tsan build")
fi

# ---- 3. libFuzzer ----
stage "libFuzzer ($FUZZ), ${FUZZ_SECONDS}s per target"
CLANG=$(command -v clang || command -v clang-14 || true)
CLANGXX=$(command -v clang++ || command -v clang++-14 || true)
if [[ -z $CLANG ]]; then
    echo "sanitize-and-fuzz: SKIPPED fuzzing: clang is not installed (scripts/install-deps.sh --test installs it)"
elif ! cmake -S . -B "$FUZZ" -DCMAKE_C_COMPILER="$CLANG" -DCMAKE_CXX_COMPILER="$CLANGXX" \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPROF_FUZZ=ON -DPROF_BUILD_TESTS=OFF >/dev/null ||
     ! cmake --build "$FUZZ" -j "$JOBS" --target fuzz_reader fuzz_profdiff; then
    failed+=("fuzz build")
else
    seeds=$FUZZ/seeds
    rm -rf "$seeds"
    mkdir -p "$seeds/reader" "$seeds/profdiff" "$FUZZ/corpus/reader" "$FUZZ/corpus/profdiff" "$FUZZ/artifacts"
    # Seeds: every corrupt file but the decompression bombs (64 MiB inflated per chunk: they are the
    # CLI test's business, and under ASan one of them outlasts the per-input timeout).
    cp tests/data/golden-v1.prof "$seeds/reader/"
    for f in tests/data/corrupt/*.prof; do
        [[ ${f##*/} == bomb-* ]] || cp "$f" "$seeds/reader/"
    done
    LD_PRELOAD=$BUILD/src/libprof.so PROF_OUT=$seeds/reader/real.prof PROF_HZ=1000 PROF_FLUSH_MS=100 \
        "$BUILD/examples/work532" 0.2 >/dev/null 2>&1 || echo "sanitize-and-fuzz: no real profile seed"
    # profdiff inputs: flags byte, u16 length of BASE, BASE, NEW (tests/fuzz/fuzz_profdiff.c).
    python3 - "$seeds/reader" "$seeds/profdiff" <<'PY'
import os, struct, sys
src, dst = sys.argv[1], sys.argv[2]
files = sorted(f for f in os.listdir(src) if not f.startswith("bomb"))
good = [f for f in ("golden-v1.prof", "real.prof") if f in files]
for i, g in enumerate(good):
    base = open(os.path.join(src, g), "rb").read()
    for j, other in enumerate(good + files[::7]):
        new = open(os.path.join(src, other), "rb").read()
        if len(base) < 65536:
            with open(os.path.join(dst, "seed-%d-%d" % (i, j)), "wb") as f:
                f.write(bytes([(i + j) & 3]) + struct.pack("<H", len(base)) + base + new)
PY
    for target in reader profdiff; do
        stage "fuzz_$target: ${FUZZ_SECONDS}s"
        if ! "$FUZZ/tests/fuzz/fuzz_$target" -max_total_time="$FUZZ_SECONDS" -max_len=131072 \
                -timeout=20 -rss_limit_mb=2560 -print_final_stats=1 \
                -artifact_prefix="$FUZZ/artifacts/$target-" \
                "$FUZZ/corpus/$target" "$seeds/$target" >"$FUZZ/fuzz_$target.log" 2>&1; then
            grep -E 'ERROR|SUMMARY|Test unit written|==[0-9]+==' "$FUZZ/fuzz_$target.log" | head -20
            echo "reproduce: $FUZZ/tests/fuzz/fuzz_$target $FUZZ/artifacts/$target-*"
            failed+=("fuzz_$target")
        else
            grep -E '^stat::number_of_executed_units|^Done|cov:' "$FUZZ/fuzz_$target.log" | tail -2
        fi
    done
fi

stage "sanitize-and-fuzz: $((SECONDS - t_start)) s"
if ((${#failed[@]})); then
    printf 'FAILED: %s\n' "${failed[@]}"
    exit 1
fi
echo "all sanitizer and fuzz stages passed"
