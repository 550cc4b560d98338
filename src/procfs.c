/* SPDX-License-Identifier: MIT */
/* Reading the small /proc files the runtime looks at (statm, stat, comm, cmdline, cpuinfo): with
 * open/read into the caller's buffer, never stdio, whose FILE and buffer would come from (and go
 * back to) the profiled program's heap. Ordinary context. */
#include "runtime.h"

#include <fcntl.h>
#include <unistd.h>

ssize_t procfs_read(const char *path, char *buf, size_t size)
{
    if (size == 0)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    ssize_t n;
    while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    buf[len] = 0;
    return (ssize_t)len;
}
