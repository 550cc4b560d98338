/* SPDX-License-Identifier: MIT */
/* libprof's runtime API, for programs that want to control the profiler or mark regions.
 *
 * Including this header costs nothing at link time: the functions are declared weak, and every
 * call goes through an inline wrapper that checks whether libprof.so is loaded (LD_PRELOAD or
 * profrun). Without the library each call is a test of one address (~1 ns) and does nothing.
 *
 * Thread contract: every function may be called from any thread, but not from a signal handler.
 * Regions are per thread and must nest (end closes the innermost region of the calling thread). */
#ifndef PROF_PROF_H
#define PROF_PROF_H

#ifdef __cplusplus
extern "C" {
#endif

/* Implementation entry points, exported by libprof.so. Use the wrappers below. */
int prof__start(void) __attribute__((weak));
int prof__stop(void) __attribute__((weak));
int prof__flush(void) __attribute__((weak));
int prof__set_thread_name(const char *name) __attribute__((weak));
void prof__region_begin(const char *name) __attribute__((weak));
void prof__region_end(void) __attribute__((weak));

/* Error returned when libprof.so is not loaded. */
#define PROF_ENOTLOADED (-38) /* -ENOSYS */

/* Resumes sampling (all modes) after prof_stop(), or starts it when the program was launched with
 * PROF_START=0. Returns 0, or PROF_ENOTLOADED. */
static inline int prof_start(void) { return prof__start ? prof__start() : PROF_ENOTLOADED; }

/* Pauses sampling: no samples, allocation records or wall ticks until prof_start(). The file stays
 * open; what was recorded is kept. Returns 0, or PROF_ENOTLOADED. */
static inline int prof_stop(void) { return prof__stop ? prof__stop() : PROF_ENOTLOADED; }

/* Writes everything recorded so far to the profile now (one chunk) and returns when it is on disk
 * (written with write(2)). Returns 0, a negative errno, or PROF_ENOTLOADED. */
static inline int prof_flush(void) { return prof__flush ? prof__flush() : PROF_ENOTLOADED; }

/* Names the calling thread in profiles (and for the kernel: at most 15 bytes are kept). Returns 0, a
 * negative errno, or PROF_ENOTLOADED. */
static inline int prof_set_thread_name(const char *name)
{
    return prof__set_thread_name ? prof__set_thread_name(name) : PROF_ENOTLOADED;
}

/* Opens a region named `name` (a string that stays valid for the life of the program, typically a
 * literal) on the calling thread. Regions nest. Every sample taken until the matching
 * prof_region_end() carries the region, and the region's calls are counted and timed. */
static inline void prof_region_begin(const char *name)
{
    if (prof__region_begin)
        prof__region_begin(name);
}

/* Closes the innermost open region of the calling thread. */
static inline void prof_region_end(void)
{
    if (prof__region_end)
        prof__region_end();
}

/* PROF_REGION("name"); opens a region that closes when the enclosing block is left, however it is
 * left (return, break, goto out of the block; C++ exceptions included when compiled as C++ or
 * with -fexceptions). */
static inline void prof__region_cleanup(int *unused)
{
    (void)unused;
    prof_region_end();
}
#define PROF_REGION_CAT2(a, b) a##b
#define PROF_REGION_CAT(a, b) PROF_REGION_CAT2(a, b)
#define PROF_REGION(name)                                                                          \
    int PROF_REGION_CAT(prof_region_scope_, __LINE__) __attribute__((cleanup(prof__region_cleanup), unused)) = \
        (prof_region_begin(name), 0)

#ifdef __cplusplus
}
#endif
#endif
