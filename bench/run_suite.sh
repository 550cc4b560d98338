#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark suite: overhead, per-sample cost, effective rate and bytes per sample of libprof,
# gperftools and perf on bench/workload; accuracy on examples/work532. Not part of ctest.
#
# Usage: bench/run_suite.sh [--quick] [--build DIR] [--out DIR] [--reps N] [--work SECONDS]
#                           [--threads "1 2 8"] [--depths "10 100"] [--rates "100 1000 5000"]
#                           [--matrix-only] [--no-perf] [--no-gperftools]
#        bench/run_suite.sh --summarize DIR        (tables again from DIR/raw.tsv)
#
# Method (docs/performance.md): for each (threads, depth) group, every configuration — unprofiled,
# and each profiler at each rate — runs once per round, rounds repeated N times (A B C … A B C …,
# the starting configuration rotating), so slow drifts of a noisy machine hit all configurations
# alike. The measure is CPU time (user + sys, wait4 rusage through bench/benchrun) of a fixed
# amount of work; overhead = median(profiled) / median(unprofiled) - 1.
#
# Full run: threads 1 2 8 x depth 10 100 x rate 100 1000 5000 Hz, 5 rounds of 1 CPU-second each
# (about 15 minutes on 2 cores), the fixed cost of a profiled run (a 1 ms workload), and the 5:3:2
# split of examples/work532 at 1000 Hz (5 runs of 2 CPU-seconds per profiler and timer).
# --quick: 2 threads, depths 10 and 100, 100 and 1000 Hz, 0.3 CPU-seconds, one accuracy run each
# (about 2 minutes): a smoke run, not figures to quote. --matrix-only skips everything after the
# overhead matrix; with --threads/--depths/--rates it narrows the matrix, e.g. for a longer, more
# precise look at one cell: --threads 1 --depths 10 --rates "100 1000" --reps 9 --work 3.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${PROF_BUILD:-$SRC/build-bench}
OUT=
REPS=5
WORK=1
THREADS_LIST="1 2 8"
DEPTHS="10 100"
RATES="100 1000 5000"
ACC_SECONDS=2
QUICK=0
USE_PERF=1
USE_GPERF=1
SUMMARIZE_ONLY=
THREADS_OPT=
DEPTHS_OPT=
RATES_OPT=
MATRIX_ONLY=0
GPERF_LIB=${GPERFTOOLS_LIB:-/usr/lib/x86_64-linux-gnu/libprofiler.so.0}

die() {
    echo "run_suite: $*" >&2
    exit 2
}

while (($#)); do
    case $1 in
        --quick) QUICK=1 ;;
        --build) BUILD=${2:?}; shift ;;
        --out) OUT=${2:?}; shift ;;
        --reps) REPS=${2:?}; shift ;;
        --work) WORK=${2:?}; shift ;;
        --threads) THREADS_OPT=${2:?}; shift ;;
        --depths) DEPTHS_OPT=${2:?}; shift ;;
        --rates) RATES_OPT=${2:?}; shift ;;
        --matrix-only) MATRIX_ONLY=1 ;;
        --no-perf) USE_PERF=0 ;;
        --no-gperftools) USE_GPERF=0 ;;
        --summarize) SUMMARIZE_ONLY=${2:?}; shift ;;
        -h | --help) sed -n '3,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
    shift
done
if ((QUICK)); then
    THREADS_LIST="2"
    RATES="100 1000"
    WORK=0.3
    ACC_SECONDS=1
fi
[[ -z $THREADS_OPT ]] || THREADS_LIST=$THREADS_OPT
[[ -z $DEPTHS_OPT ]] || DEPTHS=$DEPTHS_OPT
[[ -z $RATES_OPT ]] || RATES=$RATES_OPT
if ! [[ $REPS =~ ^[0-9]+$ ]] || ((REPS < 1)); then die "--reps must be a positive integer"; fi

# ---------------------------------------------------------------- summary (awk over raw.tsv)

# raw.tsv columns (tab-separated):
#   run  threads depth profiler hz rep cpu_s target_cpu_s wall_s samples file_bytes status
#   unw  (the same; frame-pointer workload, profiler = none or libprof-UNWINDER)
#   fix  (the same; a 1 ms workload)
#   sig  1 - mode hz rep cpu_s cpu_s wall_s events 0 status   (bench/sigcost; events = signals, or
#        perf periods for perf-nosig)
#   acc  timer   -     profiler hz rep cpu_s target_cpu_s wall_s samples file_bytes status a b c
summarize() {
    local raw=$1
    awk -F'\t' '
        function median(key,    n, i, j, t, v) {
            n = cnt[key]
            for (i = 1; i <= n; i++) v[i] = val[key, i]
            for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
            if (n == 0) return ""
            return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
        }
        function add(key, x) { cnt[key]++; val[key, cnt[key]] = x }
        # Median absolute deviation: the spread of repeated runs of one configuration.
        function mad(key,    m, i, d) {
            m = median(key)
            if (m == "") return ""
            for (i = 1; i <= cnt[key]; i++) { d = val[key, i] - m; add("mad" SUBSEP key, d < 0 ? -d : d) }
            d = median("mad" SUBSEP key)
            delete cnt["mad" SUBSEP key]
            return d
        }
        ($1 == "run" || $1 == "unw") && $12 == 0 {
            if ($1 == "unw") have_unw = 1
            g = $1 SUBSEP $2 SUBSEP $3; c = g SUBSEP $4 SUBSEP $5
            if (!(c in seen)) { seen[c] = 1; order[++nc] = c }
            if (!(g in gseen)) { gseen[g] = 1; gorder[++ng] = g }
            add(c SUBSEP "cpu", $7); add(c SUBSEP "tcpu", $8)
            if ($4 != "none") {
                add(c SUBSEP "rate", $10 / $8)
                add(c SUBSEP "samples", $10)
                add(c SUBSEP "bps", $10 > 0 ? $11 / $10 : 0)
                add(c SUBSEP "bytes", $11)
            }
        }
        $1 == "sig" && $12 == 0 {
            c = $4 SUBSEP $5
            if (!(c in sseen)) { sseen[c] = 1; sorder[++nsig] = c }
            add("sig" SUBSEP c SUBSEP "cpu", $7); add("sig" SUBSEP c SUBSEP "ev", $10)
            add("sig" SUBSEP c SUBSEP "rate", $7 > 0 ? $10 / $7 : 0)
        }
        $1 == "fix" && $12 == 0 {
            c = $4
            if (!(c in fseen)) { fseen[c] = 1; forder[++nf] = c }
            add("fix" SUBSEP c SUBSEP "cpu", $7); add("fix" SUBSEP c SUBSEP "tcpu", $8)
            add("fix" SUBSEP c SUBSEP "wall", $9); add("fix" SUBSEP c SUBSEP "bytes", $11)
        }
        $1 == "acc" && $12 == 0 {
            c = $4 SUBSEP $2 SUBSEP $5
            if (!(c in aseen)) { aseen[c] = 1; aorder[++na] = c }
            add(c SUBSEP "a", $13); add(c SUBSEP "b", $14); add(c SUBSEP "c", $15)
            add(c SUBSEP "rate", $10 / $8); add(c SUBSEP "bps", $10 > 0 ? $11 / $10 : 0)
        }
        # One row per profiled configuration of this kind, against the unprofiled runs of its group.
        # ns/sample is in parentheses when the CPU difference is within twice the spread (MAD) of
        # the unprofiled runs: noise, not a measurement.
        function table(kind,    i, k, base, bc, pc, tc, ns, ovt, ovall, nsps, r, noise) {
            print "| threads | depth | profiler | Hz | overhead (target) | overhead (total) | ns/sample | samples per CPU-s | % of requested | bytes/sample | runs |"
            print "|---|---|---|---|---|---|---|---|---|---|---|"
            for (i = 1; i <= nc; i++) {
                split(order[i], k, SUBSEP)
                if (k[1] != kind || k[4] == "none") continue
                base = k[1] SUBSEP k[2] SUBSEP k[3] SUBSEP "none" SUBSEP "0"
                bc = median(base SUBSEP "cpu"); noise = 2 * mad(base SUBSEP "cpu")
                pc = median(order[i] SUBSEP "cpu"); tc = median(order[i] SUBSEP "tcpu")
                ns = median(order[i] SUBSEP "samples")
                if (bc == "" || bc <= 0) { ovt = "n/a"; ovall = "n/a"; nsps = "n/a" }
                else {
                    ovt = sprintf("%+.1f %%", 100 * (tc / bc - 1))
                    ovall = sprintf("%+.1f %%", 100 * (pc / bc - 1))
                    nsps = ns > 0 ? sprintf("%.0f", 1e9 * (tc - bc) / ns) : "n/a"
                    if (ns > 0 && (tc - bc < noise && bc - tc < noise)) nsps = "(" nsps ")"
                }
                r = median(order[i] SUBSEP "rate")
                printf "| %s | %s | %s | %s | %s | %s | %s | %.0f | %.1f %% | %.1f | %d |\n",
                    k[2], k[3], k[4], k[5], ovt, ovall, nsps, r, 100 * r / k[5],
                    median(order[i] SUBSEP "bps"), cnt[order[i] SUBSEP "cpu"]
            }
            print ""
            print "Unprofiled CPU seconds (median, and median absolute deviation of the runs):"
            for (i = 1; i <= ng; i++) {
                split(gorder[i], k, SUBSEP)
                base = gorder[i] SUBSEP "none" SUBSEP "0" SUBSEP "cpu"
                if (k[1] == kind)
                    printf "  threads %s depth %s: %.3f s (MAD %.3f s = %.1f %%)\n", k[2], k[3],
                        median(base), mad(base), 100 * mad(base) / median(base)
            }
        }
        # Per group and profiler: file bytes at each rate, and the marginal bytes per sample between
        # the lowest and the highest rate (what a steady run costs once the fixed parts are paid).
        function bytes_table(kind,    i, j, k, m, key, lo, hi, lohz, hihz, line, bl, bh, sl, sh) {
            print "| threads | depth | profiler | file bytes (samples) at each rate | marginal bytes/sample |"
            print "|---|---|---|---|---|"
            for (i = 1; i <= nc; i++) {
                split(order[i], k, SUBSEP)
                if (k[1] != kind || k[4] == "none") continue
                key = k[1] SUBSEP k[2] SUBSEP k[3] SUBSEP k[4]
                if (key in bdone) continue
                bdone[key] = 1
                line = ""; lohz = ""; hihz = ""
                for (j = 1; j <= nc; j++) {
                    if (index(order[j], key SUBSEP) != 1) continue
                    split(order[j], m, SUBSEP)
                    line = line sprintf("%s%d (%d) @%s Hz", line == "" ? "" : ", ",
                        median(order[j] SUBSEP "bytes"), median(order[j] SUBSEP "samples"), m[5])
                    if (lohz == "" || m[5] + 0 < lohz + 0) { lohz = m[5]; lo = order[j] }
                    if (hihz == "" || m[5] + 0 > hihz + 0) { hihz = m[5]; hi = order[j] }
                }
                bl = median(lo SUBSEP "bytes"); bh = median(hi SUBSEP "bytes")
                sl = median(lo SUBSEP "samples"); sh = median(hi SUBSEP "samples")
                printf "| %s | %s | %s | %s | %s |\n", k[2], k[3], k[4], line,
                    (sh > sl ? sprintf("%.2f", (bh - bl) / (sh - sl)) : "n/a")
            }
        }
        # The three profilers side by side per (threads, depth, rate): overhead (target; perf also
        # total), effective rate as % of requested, bytes per sample. Noise-level overheads in ().
        function cell_ovh(c, base, total,    bc, x, noise) {
            if (!((c SUBSEP "cpu") in cnt)) return "-"
            bc = median(base SUBSEP "cpu"); noise = 2 * mad(base SUBSEP "cpu")
            x = median(c SUBSEP (total ? "cpu" : "tcpu"))
            if (bc == "" || bc <= 0) return "n/a"
            if (x - bc < noise && bc - x < noise) return sprintf("(%+.1f %%)", 100 * (x / bc - 1))
            return sprintf("%+.1f %%", 100 * (x / bc - 1))
        }
        function side_by_side(    i, j, k, g, hz, base, p, c, line, seenrow) {
            print "| threads | depth | Hz | overhead libprof | gperftools | perf (target / with perf itself) | rate libprof | gperftools | perf | bytes/sample libprof | gperftools | perf |"
            print "|---|---|---|---|---|---|---|---|---|---|---|---|"
            for (i = 1; i <= nc; i++) {
                split(order[i], k, SUBSEP)
                if (k[1] != "run" || k[4] == "none") continue
                g = k[1] SUBSEP k[2] SUBSEP k[3]; hz = k[5]
                if ((g SUBSEP hz) in seenrow) continue
                seenrow[g SUBSEP hz] = 1
                base = g SUBSEP "none" SUBSEP "0"
                line = sprintf("| %s | %s | %s", k[2], k[3], hz)
                line = line " | " cell_ovh(g SUBSEP "libprof" SUBSEP hz, base, 0)
                line = line " | " cell_ovh(g SUBSEP "gperftools" SUBSEP hz, base, 0)
                c = g SUBSEP "perf" SUBSEP hz
                line = line " | " cell_ovh(c, base, 0) ((c SUBSEP "cpu") in cnt ? " / " cell_ovh(c, base, 1) : "")
                split("libprof gperftools perf", p, " ")
                for (j = 1; j <= 3; j++) {
                    c = g SUBSEP p[j] SUBSEP hz
                    line = line " | " (((c SUBSEP "rate") in cnt) ? sprintf("%.1f %%", 100 * median(c SUBSEP "rate") / hz) : "-")
                }
                for (j = 1; j <= 3; j++) {
                    c = g SUBSEP p[j] SUBSEP hz
                    line = line " | " (((c SUBSEP "bps") in cnt) ? sprintf("%.1f", median(c SUBSEP "bps")) : "-")
                }
                print line " |"
            }
        }
        END {
            print "Side by side (bench/workload; overheads in parentheses are within twice the spread of the unprofiled runs):"
            print ""
            side_by_side()
            print ""
            print "Overhead matrix (bench/workload):"
            print ""
            table("run")
            print ""
            print "File size (bench/workload; medians):"
            print ""
            bytes_table("run")
            if (have_unw) {
                print ""
                print "Unwinders (bench/workload_fp, built with frame pointers, libprof at 1000 Hz; dwarf = CFI tables):"
                print ""
                table("unw")
            }
            if (nsig) {
                print ""
                print "Floor: timer sources with an empty handler (bench/sigcost, CPU seconds of the same arithmetic):"
                print ""
                print "| timer | Hz | events per CPU-s | CPU overhead | ns per event | runs |"
                print "|---|---|---|---|---|---|"
                bc = median("sig" SUBSEP "none" SUBSEP "0" SUBSEP "cpu")
                for (i = 1; i <= nsig; i++) {
                    split(sorder[i], k, SUBSEP)
                    if (k[1] == "none") continue
                    c = "sig" SUBSEP sorder[i]
                    tc = median(c SUBSEP "cpu"); ev = median(c SUBSEP "ev")
                    printf "| %s | %s | %.0f | %+.1f %% | %s | %d |\n", k[1], k[2], median(c SUBSEP "rate"),
                        100 * (tc / bc - 1), (ev > 0 ? sprintf("%.0f", 1e9 * (tc - bc) / ev) : "n/a"), cnt[c SUBSEP "cpu"]
                }
            }
            if (nf) {
                print ""
                print "Fixed cost of a profiled run (bench/workload, one 1 ms burst, 100 Hz):"
                print ""
                print "| profiler | fixed CPU cost per run (target) | (total) | wall time of a 1 ms run | file bytes | runs |"
                print "|---|---|---|---|---|---|"
                bc = median("fix" SUBSEP "none" SUBSEP "cpu")
                for (i = 1; i <= nf; i++) {
                    c = "fix" SUBSEP forder[i]
                    printf "| %s | %.1f ms | %.1f ms | %.1f ms | %d | %d |\n", forder[i],
                        1000 * (median(c SUBSEP "tcpu") - bc), 1000 * (median(c SUBSEP "cpu") - bc),
                        1000 * median(c SUBSEP "wall"), median(c SUBSEP "bytes"), cnt[c SUBSEP "cpu"]
                }
            }
            if (na) {
                print ""
                print "Accuracy (examples/work532, 5:3:2, inclusive shares):"
                print ""
                print "| profiler | timer | Hz | work_a % | work_b % | work_c % | max error (points) | samples per CPU-s | bytes/sample | runs |"
                print "|---|---|---|---|---|---|---|---|---|---|"
                for (i = 1; i <= na; i++) {
                    split(aorder[i], k, SUBSEP)
                    a = median(aorder[i] SUBSEP "a"); b = median(aorder[i] SUBSEP "b"); c = median(aorder[i] SUBSEP "c")
                    e = a - 50; if (e < 0) e = -e
                    t = b - 30; if (t < 0) t = -t; if (t > e) e = t
                    t = c - 20; if (t < 0) t = -t; if (t > e) e = t
                    printf "| %s | %s | %s | %.1f | %.1f | %.1f | %.1f | %.0f | %.1f | %d |\n",
                        k[1], k[2], k[3], a, b, c, e, median(aorder[i] SUBSEP "rate"),
                        median(aorder[i] SUBSEP "bps"), cnt[aorder[i] SUBSEP "a"]
                }
            }
        }' "$raw"
    local failed
    failed=$(awk -F'\t' '$12 != 0' "$raw" | wc -l)
    ((failed == 0)) || echo "WARNING: $failed run(s) failed (non-zero status), left out of the tables; see raw.tsv"
}

if [[ -n $SUMMARIZE_ONLY ]]; then
    [[ -f $SUMMARIZE_ONLY/raw.tsv ]] || die "$SUMMARIZE_ONLY/raw.tsv not found"
    summarize "$SUMMARIZE_ONLY/raw.tsv"
    exit 0
fi

# ---------------------------------------------------------------- setup

LIBPROF=$BUILD/src/libprof.so
WORKLOAD=$BUILD/bench/workload
WORKLOAD_FP=$BUILD/bench/workload_fp
SIGCOST=$BUILD/bench/sigcost
BENCHRUN=$BUILD/bench/benchrun
PROFSTAT=$BUILD/bench/profstat
WORK532=$BUILD/examples/work532
PROFREPORT=$BUILD/tools/profreport/profreport
for f in "$LIBPROF" "$WORKLOAD" "$BENCHRUN" "$PROFSTAT" "$WORK532"; do
    [[ -e $f ]] || die "$f not built: cmake -S $SRC -B $BUILD -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build $BUILD -j2"
done

PROFILERS="libprof"
if ((USE_GPERF)) && [[ -f $GPERF_LIB ]]; then
    PROFILERS+=" gperftools"
else
    echo "run_suite: gperftools left out (${GPERF_LIB} missing or --no-gperftools)" >&2
fi
if ((USE_PERF)) && command -v perf >/dev/null &&
    perf record -q -e cpu-clock -o /dev/null -- true >/dev/null 2>&1; then
    PROFILERS+=" perf"
else
    echo "run_suite: perf left out (not installed, not allowed, or --no-perf)" >&2
fi

OUT=${OUT:-$BUILD/bench-results/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
RAW=$OUT/raw.tsv
: >"$RAW"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/libprof-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# Machine description, for docs/performance.md.
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git -C "$SRC" describe --always --dirty 2>/dev/null || echo unknown) (the build in $BUILD may predate it)"
    echo "nproc: $(nproc)"
    echo "cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
    echo "kernel: $(uname -r)"
    echo "CONFIG_HZ: $({ cat "/boot/config-$(uname -r)" 2>/dev/null || zcat /proc/config.gz 2>/dev/null; } |
        sed -n 's/^CONFIG_HZ=//p' | head -1)"
    echo "perf_event_paranoid: $(cat /proc/sys/kernel/perf_event_paranoid)"
    echo "perf_event_max_sample_rate: $(cat /proc/sys/kernel/perf_event_max_sample_rate)"
    echo "libunwind: $(pkg-config --modversion libunwind 2>/dev/null || echo unknown)"
    echo "gperftools: $(dpkg-query -W -f '${Version}' libgoogle-perftools4 2>/dev/null || echo unknown)"
    echo "perf: $(perf --version 2>/dev/null || echo none)"
    echo "loadavg at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "mode: $( ((QUICK)) && echo quick || echo full) reps=$REPS work=${WORK}s profilers=$PROFILERS"
} >"$OUT/machine.txt"
cat "$OUT/machine.txt"

# field NAME FILE: the value of "NAME=value" in benchrun's result line.
field() {
    sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" "$2" | tail -1
}

# perf_samples FILE: number of samples in a perf.data file.
perf_samples() {
    perf report -i "$1" --stats 2>/dev/null | awk '/SAMPLE events:/ { print $3; exit }'
}

# measure PROFILER HZ CMD...: runs CMD once under PROFILER (none, libprof, libprof-TIMER,
# gperftools, perf, perf-dwarf; LIBPROF_ENV holds extra NAME=VALUE settings for libprof) and
# sets M_CPU (whole run), M_TCPU (target process only), M_WALL, M_SAMPLES, M_BYTES, M_STATUS and
# M_FILE (the profile, left in $TMP for the caller).
measure() {
    local profiler=$1 hz=$2
    shift 2
    local t=$TMP/time inner=$TMP/inner
    M_FILE=$TMP/profile
    rm -f "$t" "$inner" "$M_FILE" "$M_FILE".err
    M_STATUS=0
    case $profiler in
        none)
            "$BENCHRUN" -q -o "$t" "$@" || M_STATUS=$?
            ;;
        libprof*)
            local timer=auto
            [[ $profiler == libprof-* ]] && timer=${profiler#libprof-}
            "$BENCHRUN" -q -o "$t" env LD_PRELOAD="$LIBPROF" PROF_HZ="$hz" PROF_TIMER="$timer" \
                "${LIBPROF_ENV[@]}" PROF_OUT="$M_FILE" "$@" 2>"$M_FILE.err" || M_STATUS=$?
            ;;
        gperftools)
            "$BENCHRUN" -q -o "$t" env LD_PRELOAD="$GPERF_LIB" CPUPROFILE="$M_FILE" \
                CPUPROFILE_FREQUENCY="$hz" "$@" 2>"$M_FILE.err" || M_STATUS=$?
            ;;
        perf | perf-dwarf)
            # The inner benchrun measures the target alone; the outer one adds perf's own CPU.
            local callgraph=-g
            [[ $profiler == perf-dwarf ]] && callgraph=--call-graph=dwarf
            # --no-bpf-event: perf's BPF side-band thread otherwise adds ~1 s of (idle) wall time
            # to every run; it records nothing this workload does.
            "$BENCHRUN" -q -o "$t" perf record -q --no-bpf-event -e cpu-clock -F "$hz" "$callgraph" \
                -o "$M_FILE" -- \
                "$BENCHRUN" -q -o "$inner" "$@" 2>"$M_FILE.err" || M_STATUS=$?
            ;;
        *) die "unknown profiler $profiler" ;;
    esac
    M_CPU=$(field cpu_s "$t")
    M_WALL=$(field wall_s "$t")
    M_TCPU=$M_CPU
    [[ -f $inner ]] && M_TCPU=$(field cpu_s "$inner")
    M_SAMPLES=0
    M_BYTES=0
    case $profiler in
        libprof*)
            if [[ -f $M_FILE ]]; then
                M_SAMPLES=$("$PROFSTAT" "$M_FILE" | awk '$1 == "samples" { print $2 }')
            fi
            ;;
        gperftools)
            if [[ -f $M_FILE ]]; then
                M_SAMPLES=$("$PROFSTAT" --gperftools "$M_FILE" | awk '$1 == "samples" { print $2 }')
            fi
            ;;
        perf*)
            [[ -f $M_FILE ]] && M_SAMPLES=$(perf_samples "$M_FILE")
            ;;
    esac
    [[ -f $M_FILE ]] && M_BYTES=$(stat -c %s "$M_FILE")
    [[ -n $M_SAMPLES ]] || M_SAMPLES=0
    if [[ -z $M_CPU ]]; then
        M_CPU=0 M_TCPU=0 M_WALL=0
        ((M_STATUS != 0)) || M_STATUS=1
    fi
    return 0
}

# ---------------------------------------------------------------- overhead matrix

LIBPROF_ENV=()
START=$SECONDS
for threads in $THREADS_LIST; do
    for depth in $DEPTHS; do
        configs=("none:0")
        for p in $PROFILERS; do
            for hz in $RATES; do configs+=("$p:$hz"); done
        done
        n=${#configs[@]}
        for ((rep = 1; rep <= REPS; rep++)); do
            for ((i = 0; i < n; i++)); do
                cfg=${configs[$(((i + rep - 1) % n))]}
                profiler=${cfg%%:*} hz=${cfg##*:}
                measure "$profiler" "$hz" "$WORKLOAD" -t "$threads" -d "$depth" -s "$WORK"
                printf 'run\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$threads" "$depth" \
                    "$profiler" "$hz" "$rep" "$M_CPU" "$M_TCPU" "$M_WALL" "$M_SAMPLES" "$M_BYTES" \
                    "$M_STATUS" >>"$RAW"
                if ((M_STATUS != 0)); then
                    echo "run_suite: $profiler $hz Hz threads=$threads depth=$depth failed ($M_STATUS):" >&2
                    tail -3 "$M_FILE.err" >&2 2>/dev/null || true
                fi
            done
            printf 'threads %s depth %s: round %d/%d done (%d s)\n' "$threads" "$depth" "$rep" \
                "$REPS" $((SECONDS - START))
        done
    done
done

if ((MATRIX_ONLY)); then
    echo "elapsed: $((SECONDS - START)) s" >>"$OUT/machine.txt"
    summarize "$RAW" | tee "$OUT/summary.md"
    echo "raw data and summary in $OUT"
    exit 0
fi

# ---------------------------------------------------------------- unwinders (frame-pointer build)

# The same workload built with frame pointers, profiled by libprof at 1000 Hz with each unwinder
# (dwarf = libprof's CFI tables, fp = frame-pointer walk, libunwind): what unwinding costs.
if [[ -x $WORKLOAD_FP ]]; then
    for depth in $DEPTHS; do
        configs=("none:0" "libprof:dwarf" "libprof:fp" "libprof:libunwind")
        n=${#configs[@]}
        for ((rep = 1; rep <= REPS; rep++)); do
            for ((i = 0; i < n; i++)); do
                cfg=${configs[$(((i + rep - 1) % n))]}
                profiler=${cfg%%:*} unwinder=${cfg##*:} hz=1000
                [[ $profiler == none ]] && hz=0
                LIBPROF_ENV=("PROF_UNWIND=$unwinder")
                measure "$profiler" "$hz" "$WORKLOAD_FP" -t 1 -d "$depth" -s "$WORK"
                label=$profiler
                [[ $profiler == none ]] || label=libprof-$unwinder
                printf 'unw\t1\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$depth" "$label" "$hz" \
                    "$rep" "$M_CPU" "$M_TCPU" "$M_WALL" "$M_SAMPLES" "$M_BYTES" "$M_STATUS" >>"$RAW"
            done
        done
        printf 'unwinders, depth %s: done (%d s)\n' "$depth" $((SECONDS - START))
    done
    LIBPROF_ENV=()
fi

# ---------------------------------------------------------------- floor: timer sources alone

# bench/sigcost: the same arithmetic interrupted by each timer source with an empty handler (or,
# perf-nosig, the perf event sampling without any signal): the cost of a sample before any work.
if [[ -x $SIGCOST ]]; then
    configs=("none:0" "perf:1000" "perf-nosig:1000" "cputime:1000" "itimer:1000")
    ((QUICK)) || configs+=("perf:5000" "perf-nosig:5000")
    n=${#configs[@]}
    for ((rep = 1; rep <= REPS; rep++)); do
        for ((i = 0; i < n; i++)); do
            cfg=${configs[$(((i + rep - 1) % n))]}
            mode=${cfg%%:*} hz=${cfg##*:}
            rm -f "$TMP/time"
            st=0
            rate=$hz
            ((rate > 0)) || rate=1000 # unused by mode none
            line=$("$BENCHRUN" -o "$TMP/time" "$SIGCOST" -s "$WORK" -r "$rate" "$mode") || st=$?
            events=$(sed -n 's/.*signals=\([0-9]*\).*/\1/p' <<<"$line")
            [[ $mode == perf-nosig ]] && events=$(sed -n 's/.*periods=\([0-9]*\).*/\1/p' <<<"$line")
            cpu=$(field cpu_s "$TMP/time")
            printf 'sig\t1\t-\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t0\t%s\n' "$mode" "$hz" "$rep" "${cpu:-0}" \
                "${cpu:-0}" "$(field wall_s "$TMP/time")" "${events:-0}" "$st" >>"$RAW"
        done
    done
    printf 'timer floor: done (%d s)\n' $((SECONDS - START))
fi

# ---------------------------------------------------------------- fixed cost of a profiled run

# A 1 ms workload (one burst): what starting and stopping each profiler costs, whatever the rate.
configs=("none:0")
for p in $PROFILERS; do configs+=("$p:100"); done
n=${#configs[@]}
for ((rep = 1; rep <= REPS; rep++)); do
    for ((i = 0; i < n; i++)); do
        cfg=${configs[$(((i + rep - 1) % n))]}
        measure "${cfg%%:*}" "${cfg##*:}" "$WORKLOAD" -t 1 -d 10 -s 0.001
        printf 'fix\t1\t10\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${cfg%%:*}" "${cfg##*:}" "$rep" \
            "$M_CPU" "$M_TCPU" "$M_WALL" "$M_SAMPLES" "$M_BYTES" "$M_STATUS" >>"$RAW"
    done
done
printf 'fixed cost: done (%d s)\n' $((SECONDS - START))

# ---------------------------------------------------------------- accuracy (work532, 1000 Hz)

# shares_collapsed FILE: "a b c" inclusive percentages of work_a/b/c in collapsed stacks
# ("frame;frame;... weight" lines, as profreport --format collapsed prints them).
shares_collapsed() {
    awk '{ w = $NF; t += w
           if ($0 ~ /(^|;)work_a(;| )/) a += w
           if ($0 ~ /(^|;)work_b(;| )/) b += w
           if ($0 ~ /(^|;)work_c(;| )/) c += w }
         END { if (t > 0) printf "%.2f %.2f %.2f\n", 100 * a / t, 100 * b / t, 100 * c / t
               else print "0 0 0" }' "$1"
}

# shares_perf FILE: the same from a perf.data file (one paragraph of frames per sample).
shares_perf() {
    perf script -i "$1" -F ip,sym 2>/dev/null | awk -v RS= '
        { t++
          if ($0 ~ /[ \t]work_a(\n|$)/) a++
          if ($0 ~ /[ \t]work_b(\n|$)/) b++
          if ($0 ~ /[ \t]work_c(\n|$)/) c++ }
        END { if (t > 0) printf "%.2f %.2f %.2f\n", 100 * a / t, 100 * b / t, 100 * c / t
              else print "0 0 0" }'
}

# shares_profstat ARGS...: the same through profstat --share (symbols from nm).
shares_profstat() {
    "$PROFSTAT" --exe "$WORK532" --share work_a,work_b,work_c "$@" |
        awk '$1 == "share" { s[$2] = $3 } END { printf "%s %s %s\n", s["work_a"], s["work_b"], s["work_c"] }'
}

acc_configs=("libprof-perf" "libprof-cputime" "libprof-itimer")
for p in $PROFILERS; do
    [[ $p == libprof ]] || acc_configs+=("$p")
    # perf -g walks frame pointers, which work532 (-O2) does not keep: show DWARF call graphs too.
    [[ $p == perf ]] && acc_configs+=("perf-dwarf")
done
ACC_REPS=$REPS
((QUICK)) && ACC_REPS=1
for ((rep = 1; rep <= ACC_REPS; rep++)); do
    for p in "${acc_configs[@]}"; do
        measure "$p" 1000 "$WORK532" "$ACC_SECONDS"
        shares="0 0 0"
        timer=$p
        if ((M_STATUS == 0)); then
            case $p in
                libprof*)
                    timer=$("$PROFSTAT" "$M_FILE" | awk '$1 == "timer" { print $2 }')
                    if [[ -x $PROFREPORT ]]; then
                        "$PROFREPORT" --format collapsed "$M_FILE" >"$TMP/collapsed"
                        shares=$(shares_collapsed "$TMP/collapsed")
                    else
                        shares=$(shares_profstat "$M_FILE")
                    fi
                    ;;
                gperftools) timer=itimer; shares=$(shares_profstat --gperftools "$M_FILE") ;;
                perf) timer="cpu-clock-fp"; shares=$(shares_perf "$M_FILE") ;;
                perf-dwarf) timer="cpu-clock-dwarf"; shares=$(shares_perf "$M_FILE") ;;
            esac
        fi
        printf 'acc\t%s\t-\t%s\t1000\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$timer" "${p%%-*}" "$rep" \
            "$M_CPU" "$M_TCPU" "$M_WALL" "$M_SAMPLES" "$M_BYTES" "$M_STATUS" \
            "$(tr ' ' '\t' <<<"$shares")" >>"$RAW"
    done
    printf 'accuracy: round %d/%d done (%d s)\n' "$rep" "$ACC_REPS" $((SECONDS - START))
done

echo "loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
echo "elapsed: $((SECONDS - START)) s" >>"$OUT/machine.txt"
summarize "$RAW" | tee "$OUT/summary.md"
echo "raw data and summary in $OUT"
