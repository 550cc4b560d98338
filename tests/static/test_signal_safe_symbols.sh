#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The files marked [AS-SAFE] (code reachable from the SIGPROF handler) may only call functions on
# this allow-list. A new call to malloc, stdio, a lock, getenv or dlsym there fails this test.
set -euo pipefail
objdir="$PROF_BUILD/src/CMakeFiles/prof_rt.dir"
# Per file: symbols it may import. Installation-time calls (sigaction, mmap) live in the same files
# but outside the handler's call graph; they are listed explicitly.
declare -A allow=(
  [sampler.c.o]="_GLOBAL_OFFSET_TABLE_ __errno_location clock_gettime memset memcpy ring_put unwind_from_signal unwind_stack_has_room sigaction sigemptyset getpid signals_real_sigaction __stack_chk_fail"
  [unwind.c.o]="_GLOBAL_OFFSET_TABLE_ __stack_chk_fail memset memcpy cfi_current cfi_refresh cfi_readers"
  [ring.c.o]="_GLOBAL_OFFSET_TABLE_ memcpy mmap munmap __stack_chk_fail"
)
status=0
for obj in "${!allow[@]}"; do
  [ -f "$objdir/$obj" ] || { echo "FAIL: $objdir/$obj not built"; exit 1; }
  while read -r _ sym; do
    case " ${allow[$obj]} " in *" $sym "*) continue ;; esac
    # libunwind's local-only entry points (_ULx86_64_*, _Ux86_64_*) are meant for this use.
    case "$sym" in _UL*|_Ux86_64_*) [ "$obj" = unwind.c.o ] && continue ;; esac
    echo "FAIL: $obj imports $sym, which is not on the signal-safe allow-list"
    status=1
  done < <(nm -u "$objdir/$obj")
done
[ $status -eq 0 ] && echo "signal-safe files import only allowed symbols"
exit $status
