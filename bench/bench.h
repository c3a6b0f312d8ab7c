/*
 * bench.h: shared pieces of the benchmarks: a monotonic clock and the pieces each
 * bench file provides to bench_main.c.
 */
#ifndef TALLY_BENCH_H
#define TALLY_BENCH_H

#include <time.h>

static inline double bench_now_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* bench_chain.c: Ed25519 verification, encode and decode rates on one core. */
void bench_chain(double *verifications_per_second);
/* bench_core.c: transfers applied per second by the core on one core. */
void bench_core(double *transfers_per_second);
/* bench_node.c: transfers committed per second by a real node over HTTP, against
 * the verification bound of every core. */
void bench_node(double *committed_per_second);

#endif
