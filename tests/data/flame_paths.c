/* SPDX-License-Identifier: MIT */
/* 2^14 distinct call paths for the flame graph size test: level k calls left() or right() by bit k. */
#include <stdio.h>
#include <stdlib.h>
#define LEVELS 14
static volatile unsigned long sink;
static void step(int level, unsigned path);
__attribute__((noinline)) static void leaf(unsigned path)
{
    for (unsigned long i = 0; i < 20000; i++)
        sink += i ^ path;
}
__attribute__((noinline)) static void left(int level, unsigned path) { step(level + 1, path); sink++; }
__attribute__((noinline)) static void right(int level, unsigned path) { step(level + 1, path); sink++; }
__attribute__((noinline)) static void step(int level, unsigned path)
{
    if (level == LEVELS)
        leaf(path);
    else if (path >> level & 1)
        right(level, path);
    else
        left(level, path);
    sink++;
}
int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 4;
    for (int r = 0; r < rounds; r++)
        for (unsigned p = 0; p < (1u << LEVELS); p++)
            step(0, p);
    printf("paths: %lu\n", sink);
    return 0;
}
