/* SPDX-License-Identifier: MIT */
/* Internal interfaces between the runtime's modules (libprof.so). docs/DESIGN.md has the picture.
 *
 * Signal contract: functions marked [AS-SAFE] may run inside the SIGPROF handler; everything else
 * runs in ordinary thread context (constructor, pthread_create wrapper, flusher thread, exit). */
#ifndef PROF_RUNTIME_H
#define PROF_RUNTIME_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <ucontext.h>

#include "regions.h"

#define PROF_INTERNAL __attribute__((visibility("hidden")))
#define PROF_TLS __thread __attribute__((tls_model("initial-exec")))

/* ---- config.c ---- */
#define PROF_MAX_DEPTH_LIMIT 1024

struct prof_config {
    char out_pattern[4096];
    unsigned hz;
    unsigned modes;       /* FMT_MODE_* */
    int timer;            /* FMT_TIMER_* wanted; FMT_TIMER_NONE = auto */
    int unwinder;         /* FMT_UNWIND_* */
    unsigned max_depth;
    unsigned flush_ms;
    unsigned ring_kb;     /* per-thread ring size */
    uint64_t alloc_rate;  /* mean bytes between allocation samples */
    int start_paused;     /* PROF_START=0: wait for prof_start() */
    int follow_fork;      /* PROF_FOLLOW_FORK (default 1): profile fork children into their own file */
    int test_fail_perf;   /* test seam: pretend perf_event_open is forbidden */
};

/* Reads PROF_* variables (secure_getenv); invalid values warn once on stderr and keep the default. */
PROF_INTERNAL void config_from_env(struct prof_config *cfg);
PROF_INTERNAL void config_defaults(struct prof_config *cfg);
/* Expands %p (pid), %e (executable basename) and %% into out. Returns 0 or -ENAMETOOLONG. */
PROF_INTERNAL int config_expand_path(const char *pattern, pid_t pid, const char *exe, char *out,
                                     size_t outlen);

/* ---- log.c ---- */
/* "libprof: warning: ..." on stderr (write(2), one line), and queued for the profile's WARNING
 * records. Not for signal context. */
PROF_INTERNAL void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* procfs.c: reads a whole small file (at most size - 1 bytes) into buf and NUL-terminates it;
 * returns its length, or -1 if it cannot be opened. */
PROF_INTERNAL ssize_t procfs_read(const char *path, char *buf, size_t size);
/* Moves queued warnings to the caller: calls fn(msg, time_ns) for each, then forgets them. */
PROF_INTERNAL void log_drain(void (*fn)(const char *msg, uint64_t time_ns, void *arg), void *arg);

/* ---- ring.c : single-producer single-consumer byte ring ---- */
struct ring;
PROF_INTERNAL struct ring *ring_new(size_t bytes); /* mmap; bytes rounded to a power of two */
PROF_INTERNAL void ring_free(struct ring *r);
/* [AS-SAFE] Appends one entry made of two parts. Returns 0, or -1 if it does not fit (full). */
PROF_INTERNAL int ring_put(struct ring *r, const void *a, size_t alen, const void *b, size_t blen);
/* Consumer: copies the oldest entry into dst (up to cap bytes) and removes it. Returns its length,
 * 0 if empty. An entry longer than cap is dropped and its length returned (caller sees > cap). */
PROF_INTERNAL size_t ring_get(struct ring *r, void *dst, size_t cap);
PROF_INTERNAL size_t ring_capacity(const struct ring *r);
PROF_INTERNAL void ring_reset(struct ring *r); /* no producer or consumer may be running */

/* ---- threads.c : registry of profiled threads ---- */
/* Per-thread counters, written by the thread's own handler, read by the flusher (relaxed). */
struct thread_counters {
    _Atomic uint64_t samples, dropped, unwind_failed, truncated, overruns, reentered, weight;
};

/* FREE -> CLAIMED (being filled by its thread) -> LIVE -> EXITED (ring awaits its last drain) -> FREE */
enum thread_slot_state { SLOT_FREE = 0, SLOT_CLAIMED = 1, SLOT_LIVE = 2, SLOT_EXITED = 3 };

struct thread_state {
    _Atomic int state;          /* enum thread_slot_state; release on change, acquire on read */
    pid_t tid;
    uint32_t generation;        /* + 1 at each registration: a reused slot is a new thread even
                                 * when the kernel reused the tid too */
    volatile sig_atomic_t busy; /* inside the handler or a ring producer: nested signals drop */
    struct ring *ring;
    uintptr_t stack_lo, stack_hi; /* for the frame-pointer walk's bounds checks */
    uintptr_t altstack_lo, altstack_hi; /* the program's sigaltstack on this thread, 0 = none */
    _Atomic int armed;          /* 1 while a timer is armed; whoever clears it disarms */
    int timer_kind;             /* FMT_TIMER_* armed for this thread */
    int perf_fd;
    timer_t posix_timer;
    char name[16];              /* last name seen by the flusher */
    int name_known;
    int internal;               /* one of our own threads (wall sampler): never sampled */
    struct thread_counters ctr;

    /* Wall mode (blocking.c <-> wall.c). While the thread is inside a wrapped blocking call,
     * block_seq is odd and block_ctx holds the registers of the wrapper's frame, so the wall sampler
     * can unwind the (frozen) stack without ever signalling a blocked thread. stack_reader = 1 while it does;
     * the wrapper does not return until it is 0 again (see blocking.c). */
    _Atomic uint32_t block_seq;
    _Atomic int stack_reader;
    int block_depth;            /* nesting of wrapped calls, owner thread only */
    ucontext_t block_ctx;       /* x86_64 libunwind: unw_context_t is a ucontext_t */
    _Atomic uint64_t block_start_ns; /* CLOCK_MONOTONIC when the current blocked call began */
    /* Who accounts for the current call: block_seq << 1 while nobody has; a tick that sees the
     * call in progress claims it (sets bit 0) and accounts for all of it; the wrapper takes the
     * word on its way out (exchange with 0), so exactly one side accounts for each call. */
    _Atomic uint64_t block_owner;
    _Atomic uint64_t blocked_total_ns;   /* sum of the durations of finished claimed calls */
    _Atomic uint64_t blocked_sampled_ns; /* the same for unclaimed calls (sampled by the wrapper) */
    uint64_t offcpu_rng;                 /* owner thread only: the unclaimed calls' sampling */
    int64_t offcpu_countdown_ns;
    _Atomic uint64_t signals_seen;   /* SIGPROF handled by this thread (EINTR check in wrappers) */
    /* Periods this thread spent runnable but not running (waiting for a CPU), added by the wall
     * sampler, which then signals the thread once; its handler takes them all in one sample at
     * the place where the thread resumes. */
    _Atomic uint64_t runnable_periods;

    struct thread_regions regions; /* open regions and their statistics (regions.c) */
};

extern PROF_TLS struct thread_state *tls_thread; /* NULL when the thread is not profiled */
/* Set by prof_stop(): timers keep running but nothing is recorded (cheapest to resume). */
extern _Atomic int prof_paused;

/* Registers the calling thread: allocates its ring, records stack bounds, warms up the unwinder
 * and arms its timer. Returns the state or NULL (profiling off, or out of slots: counted). */
PROF_INTERNAL struct thread_state *threads_register_self(void);
/* Claims a slot with a ring for one of our own threads; no timer, no TLS, never sampled. */
PROF_INTERNAL struct thread_state *threads_register_internal(size_t ring_bytes);
/* Disarms the calling thread's timer and hands its ring to the flusher for a last drain. */
PROF_INTERNAL void threads_unregister_self(void);
/* Iterates over live and exited slots (flusher). */
PROF_INTERNAL size_t threads_slot_count(void);
PROF_INTERNAL struct thread_state *threads_slot(size_t i);
/* Flusher: frees an exited slot after its ring was drained. */
PROF_INTERNAL void threads_release(struct thread_state *ts);
/* Disarms every thread's timer (exit path). */
PROF_INTERNAL void threads_stop_all(void);
/* Fork child: only the calling thread survives. Other slots are freed, the caller's ring emptied
 * (the parent writes those samples) and its timer re-armed. */
PROF_INTERNAL void threads_reset_after_fork(void);
PROF_INTERNAL uint64_t threads_registered_total(void);
PROF_INTERNAL uint64_t threads_out_of_slots(void);
PROF_INTERNAL void threads_set_ring_bytes(size_t bytes);

/* ---- timer.c : timer sources behind one interface ---- */
/* Chooses the source (auto: perf, else cputime, else itimer), with warnings on fallback. Returns the
 * FMT_TIMER_* in use. Call once, from the first thread to be profiled. */
PROF_INTERNAL int timer_init(const struct prof_config *cfg);
/* Arms a per-thread timer for the calling thread (no-op for itimer). 0 or negative errno. */
PROF_INTERNAL int timer_arm_self(struct thread_state *ts);
PROF_INTERNAL void timer_disarm(struct thread_state *ts);
PROF_INTERNAL void timer_stop_process(void); /* itimer off */
PROF_INTERNAL void timer_after_fork(void);
PROF_INTERNAL int timer_source(void);
PROF_INTERNAL const char *timer_name(int kind);

/* ---- unwind.c [AS-SAFE] ---- */
/* Fills pcs[0..max) leaf first from the interrupted context. Sets *flags to FMT_STACK_* bits.
 * Returns the number of frames. */
PROF_INTERNAL int unwind_from_signal(void *ucontext, const struct thread_state *ts, uint64_t *pcs,
                                     int max, unsigned *flags);
PROF_INTERNAL void unwind_init(int unwinder);        /* ordinary context, once */
PROF_INTERNAL void unwind_warm_up_thread(void);       /* ordinary context, per thread */
/* After dlopen/dlclose (ordinary context): new unwind tables / flushed caches. */
PROF_INTERNAL void unwind_modules_changed(void);
/* [AS-SAFE] Unwinds from registers saved by unw_getcontext in a frame that is still live (wall
 * mode: another thread's frozen stack; alloc mode: our own). ts gives the stack bounds. */
PROF_INTERNAL int unwind_from_context(ucontext_t *ctx, const struct thread_state *ts,
                                      uint64_t *pcs, int max, unsigned *flags);
/* [AS-SAFE] Whether the stack we run on has room for a sample: `pcs_bytes` of addresses plus the
 * unwinder's own frames. False on the program's signal alternate stack (its bounds recorded by
 * our sigaltstack wrapper) or the thread's own stack when too little of it is left (a host's
 * handler on an 8 KiB sigaltstack, where the kernel's signal frame alone takes ~3.4 KiB); the
 * caller then records the sample without a stack rather than overflow the host's stack. */
PROF_INTERNAL int unwind_stack_has_room(const struct thread_state *ts, size_t pcs_bytes);

/* ---- sampler.c [AS-SAFE] ---- */
/* Layout of one ring entry: this header, then nframes uint64_t addresses. `kind` is a FMT_KIND_*
 * for samples, or one of the RING_* kinds below for allocation events. */
enum { RING_ALLOC = 16, RING_FREE = 17, RING_REGION_CALL = 18 };
struct ring_sample {
    uint32_t kind;
    uint32_t nframes;
    uint32_t tid;
    uint32_t flags;    /* FMT_STACK_* */
    uint64_t weight;   /* periods; for RING_ALLOC the unbiased bytes the block stands for */
    uint64_t time_ns;  /* since runtime start */
    uint64_t region;      /* innermost open region node (REGION_CALL: the call's node) */
    uint64_t region_call; /* id of that region call */
    uint64_t size;        /* RING_ALLOC: bytes requested; RING_REGION_CALL: duration in ns */
    uint64_t alloc_id;    /* RING_ALLOC, RING_FREE */
    uint64_t parent_call; /* RING_REGION_CALL: the enclosing region call, 0 = none */
};

/* Installs the SIGPROF handler. A handler the host installed before us is kept and chained: every
 * SIGPROF that is not ours is passed to it (docs/DESIGN.md, "Signals"). */
PROF_INTERNAL int sampler_install(void);
/* Marker carried in si_value by our POSIX timers and our wall-runnable signals. */
extern char sampler_signal_marker;
/* The host's view of SIGPROF (signals.c): what it installed, and whether it uses ITIMER_PROF. */
PROF_INTERNAL void sampler_set_host_action(const struct sigaction *act);
PROF_INTERNAL void sampler_get_host_action(struct sigaction *act);
extern _Atomic int sampler_host_itimer;
/* The libc sigaction, bypassing our interposer (signals.c; falls back to the libc symbol when
 * libprof's interposers are not linked, as in unit tests). */
PROF_INTERNAL int signals_real_sigaction(int sig, const struct sigaction *act, struct sigaction *old); /* the host armed ITIMER_PROF: SI_KERNEL SIGPROFs are its */
PROF_INTERNAL uint64_t sampler_now_ns(void); /* [AS-SAFE] monotonic ns since start */
PROF_INTERNAL uint64_t sampler_start_ns(void); /* CLOCK_MONOTONIC at the start of the run */
/* [AS-SAFE] Tags a sample with the thread's innermost region and marks its open calls sampled. */
PROF_INTERNAL void sampler_tag_region(struct thread_state *ts, struct ring_sample *s);
/* [AS-SAFE] Appends a sample and its s->nframes addresses to ts's ring and counts it in ts's
 * counters (samples and weight, or dropped). The caller is the ring's one producer. */
PROF_INTERNAL void sampler_push(struct thread_state *ts, const struct ring_sample *s,
                                const uint64_t *pcs);
/* timer_kind: FMT_KIND_* given to timer samples (WALL_ON when only wall mode is on). */
PROF_INTERNAL void sampler_set_start(uint64_t mono_ns, unsigned max_depth, uint32_t timer_kind);
extern _Atomic uint64_t sampler_no_thread; /* signals on threads without state */

/* ---- wall.c : wall-clock sampler thread ---- */
PROF_INTERNAL int wall_start(const struct prof_config *cfg);
PROF_INTERNAL void wall_stop(void);
extern _Atomic int wall_active; /* read by the blocking-call wrappers */
/* A wrapper leaving a call that no tick claimed (it began and ended between two ticks) samples
 * its `ns` of off-CPU time here, on the calling thread, while block_ctx still holds its frame. */
PROF_INTERNAL void wall_sample_unclaimed(struct thread_state *ts, uint64_t start_ns, uint64_t end_ns);
/* CLOCK_MONOTONIC ns of the last prof_start() after a pause, 0 if never paused: blocked time
 * before it is not sampled. */
extern _Atomic uint64_t wall_resumed_ns;

/* ---- blocking.c : wrappers of blocking calls ---- */
PROF_INTERNAL void blocking_resolve(void); /* looks up the real functions, constructor */

/* ---- alloc.c : allocation sampling (interposer in libprof.so) ---- */
PROF_INTERNAL void alloc_start(const struct prof_config *cfg); /* constructor, alloc mode */
PROF_INTERNAL void alloc_stop(void);
PROF_INTERNAL uint64_t alloc_events_lost(void);
PROF_INTERNAL uint64_t regions_lost_count(void);

/* ---- heaptab.c : live sampled heap, per block and per stack (flusher context) ---- */
struct heaptab;
PROF_INTERNAL struct heaptab *heaptab_new(void);
PROF_INTERNAL void heaptab_free(struct heaptab *h);
PROF_INTERNAL int heaptab_add(struct heaptab *h, uint64_t alloc_id, uint64_t stack_id,
                              uint64_t bytes, double objects);
/* -1 if the block is unknown (not seen yet, or already freed). */
PROF_INTERNAL int heaptab_remove(struct heaptab *h, uint64_t alloc_id);
PROF_INTERNAL uint64_t heaptab_live_bytes(const struct heaptab *h);
PROF_INTERNAL void heaptab_each_stack(const struct heaptab *h,
                                      void (*fn)(uint64_t stack_id, uint64_t bytes,
                                                 double objects, void *arg),
                                      void *arg);

/* ---- regionagg.c : region definitions and statistics (flusher context) ---- */
struct fmt_buf;
PROF_INTERNAL void regionagg_fold_thread(struct thread_state *ts); /* before its slot is reused */
PROF_INTERNAL void regionagg_emit_defs(struct fmt_buf *defs);
PROF_INTERNAL void regionagg_emit_stats(struct fmt_buf *out);
/* Latency percentile (p in 0..1) in ns of the regions named `name` over the current interval,
 * -1 if none ran; valid until regionagg_emit_stats. */
PROF_INTERNAL int64_t regionagg_interval_percentile(const char *name, double p);
PROF_INTERNAL void regionagg_reset_after_fork(void);

/* ---- metrics.c : per-interval metrics and alerts (flusher context) ---- */
struct metrics_input {
    uint64_t user_ns, sys_ns;  /* process CPU since start */
    uint64_t samples, dropped; /* cumulative */
    uint64_t wall_on, wall_off; /* cumulative wall weights (periods) on and off CPU */
    uint64_t live_heap;        /* estimated live bytes (alloc mode) */
    int alloc_mode, wall_mode;
};
PROF_INTERNAL void metrics_init(void); /* reads PROF_ALERT, PROF_ALERT_LOG */
PROF_INTERNAL void metrics_emit(struct fmt_buf *out, uint64_t now_ns,
                                const struct metrics_input *in);
PROF_INTERNAL void metrics_reset_after_fork(void);

/* ---- modules.c : loaded ELF objects (flusher context) ---- */
struct fmt_buf;
/* Emits MODULE / MODULE_UNLOAD records for changes since the last scan. */
PROF_INTERNAL void modules_scan(struct fmt_buf *out, uint64_t now_ns);
PROF_INTERNAL void modules_reset(void);
PROF_INTERNAL void log_reset_after_fork(void);
PROF_INTERNAL void alloc_reset_after_fork(void);

/* ---- stacktab.c : stack deduplication (flusher context) ---- */
struct stacktab;
PROF_INTERNAL struct stacktab *stacktab_new(void);
PROF_INTERNAL void stacktab_free(struct stacktab *t);
/* Returns the id of the stack, assigning a new one (and setting *is_new) when unseen. 0 = no memory. */
PROF_INTERNAL uint64_t stacktab_intern(struct stacktab *t, const uint64_t *pcs, uint32_t n,
                                       uint32_t flags, int *is_new);

/* ---- writer.c : the output file ---- */
struct writer;
/* Opens path safely (see docs/DESIGN.md) and writes the file header. NULL + warning on failure. */
PROF_INTERNAL struct writer *writer_open(const char *path);
/* Compresses and appends one chunk. 0 or negative errno (after one warning, further writes are off). */
PROF_INTERNAL int writer_chunk(struct writer *w, const uint8_t *payload, size_t len);
PROF_INTERNAL void writer_close(struct writer *w);
PROF_INTERNAL void writer_abandon(struct writer *w); /* fork child: close our copy of the fd only */
PROF_INTERNAL uint64_t writer_errors(const struct writer *w);

/* ---- flusher.c ---- */
struct run_info {
    uint64_t start_realtime_ns, start_monotonic_ns;
    int timer;
};
/* w: an open file, or NULL with lazy_path: the file is created at the first chunk (fork child). */
PROF_INTERNAL int flusher_start(const struct prof_config *cfg, const struct run_info *run,
                                struct writer *w, const char *lazy_path);
PROF_INTERNAL void flusher_atfork_prepare(void);
PROF_INTERNAL void flusher_atfork_parent(void);
PROF_INTERNAL void flusher_atfork_child(void);
/* Writes a chunk now and waits until it is written (prof_flush; with end_for_exec, the chunk ends
 * the file with END reason exec). 0, -ESRCH or -EIO. */
PROF_INTERNAL int flusher_flush_now(int end_for_exec);
/* Asks the flusher to drain now (a ring is full). Ordinary context. */
PROF_INTERNAL void flusher_wake(void);
/* Final drain, END record, close. Safe to call once. */
PROF_INTERNAL void flusher_stop(void);
/* Used by the pthread_create wrapper to start our own thread without registering it. */
typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
PROF_INTERNAL pthread_create_fn preload_real_pthread_create(void);
PROF_INTERNAL int preload_profiling_on(void);

#endif
