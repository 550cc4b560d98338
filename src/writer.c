/* SPDX-License-Identifier: MIT */
/* The output file: opened without following symlinks or clobbering foreign files, then one framed
 * zlib chunk appended per flush. Failures warn once; the host keeps running. Flusher context. */
#define _GNU_SOURCE
#include "format.h"
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct writer {
    int fd;
    int broken;       /* a write failed: stop writing, keep counting */
    uint64_t errors;
    /* TEST SEAM (docs/DESIGN.md "Test seams"): PROF_TEST_FAIL_WRITE_AFTER=N writes N chunks,
     * then only half of the next one, which fails with ENOSPC as on a full disk. -1 = off. */
    long fail_after;
    uint64_t chunks;
    char path[4096];
    struct fmt_buf chunk;
};

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

enum existing { EXISTING_FOREIGN, EXISTING_OLD_PROFILE, EXISTING_LIVE_PROFILE };

/* What is at `path`: a profile of ours (owned by us, starting with the magic) that no running
 * profiler holds — replaceable; one that a live process is still writing (it holds an flock on
 * it); or anything else, which is never touched. */
static enum existing classify_existing(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return EXISTING_FOREIGN;
    struct stat st;
    char magic[FMT_MAGIC_LEN];
    enum existing kind = EXISTING_FOREIGN;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
        read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
        memcmp(magic, FMT_MAGIC, FMT_MAGIC_LEN) == 0)
        kind = flock(fd, LOCK_EX | LOCK_NB) == 0 ? EXISTING_OLD_PROFILE : EXISTING_LIVE_PROFILE;
    close(fd); /* also drops the probe's lock */
    return kind;
}

struct writer *writer_open(const char *path)
{
    struct writer *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    snprintf(w->path, sizeof(w->path), "%s", path);
    fmt_buf_init(&w->chunk);
    /* TEST SEAM: see struct writer. secure_getenv, like every PROF_* variable. */
    const char *seam = secure_getenv("PROF_TEST_FAIL_WRITE_AFTER");
    w->fail_after = seam && *seam ? strtol(seam, NULL, 10) : -1;
    int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    w->fd = open(path, flags, 0600);
    if (w->fd < 0 && errno == EEXIST) {
        enum existing kind = classify_existing(path);
        if (kind == EXISTING_OLD_PROFILE && unlink(path) == 0) {
            w->fd = open(path, flags, 0600);
        } else if (kind == EXISTING_LIVE_PROFILE) {
            /* Another process of this run writes there (a child started with the same PROF_OUT
             * and no %p): ours gets its pid appended instead. */
            char alt[4096];
            if (snprintf(alt, sizeof(alt), "%s.%d", path, (int)getpid()) < (int)sizeof(alt)) {
                snprintf(w->path, sizeof(w->path), "%s", alt);
                w->fd = open(alt, flags, 0600);
                if (w->fd >= 0)
                    log_warn("%s is being written by another process; this one writes %s", path,
                             alt);
            }
            errno = EEXIST;
        }
    }
    /* Held while we write: tells a later writer that this file is live (classify_existing). */
    if (w->fd >= 0)
        flock(w->fd, LOCK_EX | LOCK_NB);
    if (w->fd < 0) {
        int e = errno;
        if (e == EEXIST)
            log_warn("%s: exists and is not an earlier profile of ours; not overwriting it, "
                     "profiling off",
                     w->path);
        else
            log_warn("%s: cannot create profile (%s); profiling off", path, strerror(e));
        free(w);
        return NULL;
    }
    uint8_t hdr[FMT_FILE_HEADER_LEN];
    fmt_file_header(hdr);
    if (write_all(w->fd, hdr, sizeof(hdr)) < 0) {
        log_warn("%s: cannot write (%s); profiling off", path, strerror(errno));
        close(w->fd);
        free(w);
        return NULL;
    }
    return w;
}

int writer_chunk(struct writer *w, const uint8_t *payload, size_t len)
{
    if (w->broken) {
        w->errors++;
        return -EIO;
    }
    fmt_buf_reset(&w->chunk);
    int r = fmt_make_chunk(&w->chunk, payload, len, 6);
    if (r == 0 && w->fail_after >= 0 && w->chunks >= (uint64_t)w->fail_after) {
        /* TEST SEAM: a full disk takes part of the chunk, then fails. */
        (void)write_all(w->fd, w->chunk.data, w->chunk.len / 2);
        r = -ENOSPC;
    }
    if (r == 0)
        r = write_all(w->fd, w->chunk.data, w->chunk.len);
    if (r == 0)
        w->chunks++;
    if (r < 0) {
        w->errors++;
        w->broken = 1;
        log_warn("%s: write failed (%s); the profile ends here, the program continues", w->path,
                 strerror(-r));
    }
    /* Keep the buffer from growing without bound after one huge chunk. */
    if (w->chunk.cap > (8u << 20))
        fmt_buf_free(&w->chunk);
    return r;
}

uint64_t writer_errors(const struct writer *w) { return w ? w->errors : 0; }

void writer_abandon(struct writer *w)
{
    /* The fd is the fork child's copy; closing it does not affect the parent's. The struct and
     * its buffer are left alone (they are the parent's copy-on-write pages). */
    close(w->fd);
}

void writer_close(struct writer *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    fmt_buf_free(&w->chunk);
    free(w);
}
