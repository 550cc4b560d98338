// SPDX-License-Identifier: MIT
// Deadlock stress for the profiler: threads that dlopen/dlclose, malloc/free, throw C++
// exceptions and fork, in loops, for a given number of seconds. Prints "stress done" and exits 0
// when every loop finished. A hang is caught by the test's watchdog, a crash by the exit status.
#include <dlfcn.h>
#include <pthread.h>
#include <stdexcept>
#include <stdio.h>
#include <stdlib.h>
#include <string>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <atomic>
#include <thread>
#include <vector>

static double seconds_limit = 5;
static const char *plugin = nullptr;
static std::atomic<long> counts[4];
static volatile long sink;

static double now()
{
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void dl_loop(double end)
{
    while (now() < end) {
        void *h = dlopen(plugin, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            fprintf(stderr, "dlopen %s: %s\n", plugin, dlerror());
            exit(3);
        }
        if (auto fn = (unsigned long (*)(unsigned long))dlsym(h, "plugin_work"))
            sink = (long)fn(1000);
        dlclose(h);
        counts[0]++;
    }
}

static void malloc_loop(double end)
{
    std::vector<void *> keep(64);
    unsigned i = 0;
    while (now() < end) {
        for (int k = 0; k < 1000; k++, i++) {
            free(keep[i % 64]);
            keep[i % 64] = malloc(16 + (i * 7919) % 4000);
        }
        counts[1]++;
    }
    for (void *p : keep)
        free(p);
}

__attribute__((noinline)) static void thrower(int depth)
{
    if (depth == 0)
        throw std::runtime_error("deep");
    thrower(depth - 1);
    sink++;
}

static void exception_loop(double end)
{
    while (now() < end) {
        try {
            thrower(20);
        } catch (const std::exception &) {
            counts[2]++;
        }
    }
}

static void fork_loop(double end)
{
    while (now() < end) {
        pid_t pid = fork();
        if (pid == 0) {
            // The child mallocs and unwinds a little, then leaves without atexit handlers.
            void *p = malloc(100);
            free(p);
            _exit(0);
        }
        int st;
        if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "fork child failed\n");
            exit(4);
        }
        counts[3]++;
        usleep(20000);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: stress PLUGIN.so [SECONDS]\n");
        return 2;
    }
    plugin = argv[1];
    if (argc > 2)
        seconds_limit = atof(argv[2]);
    double end = now() + seconds_limit;
    std::vector<std::thread> threads;
    threads.emplace_back(dl_loop, end);
    threads.emplace_back(malloc_loop, end);
    threads.emplace_back(malloc_loop, end);
    threads.emplace_back(exception_loop, end);
    threads.emplace_back(fork_loop, end);
    for (auto &t : threads)
        t.join();
    printf("stress done: dlopen %ld, malloc rounds %ld, exceptions %ld, forks %ld\n",
           counts[0].load(), counts[1].load(), counts[2].load(), counts[3].load());
    return 0;
}
