/*
 * bench_bound.c: the Ed25519 verification bound of this machine, measured in the
 * run that compares against it: every core checking distinct signed transactions
 * with tally_tx_verify at once, for a fixed time. A node or a replay that checks
 * every signature cannot beat it; the benchmarks print their rate as a share of it.
 * Also the verifications per second of CPU time, which a neighbour on a shared
 * machine changes far less than the rate per second of wall time.
 */
#include <pthread.h>
#include <unistd.h>

#include "bench.h"
#include "tally.h"

typedef struct {
    const tally_tx *txs;
    uint32_t count;
    double seconds, cpu_seconds;
    uint64_t verified;
} bound_job;

static double thread_cpu_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static void *bound_worker(void *context) {
    bound_job *job = context;
    double start = bench_now_seconds(), cpu_start = thread_cpu_seconds();
    uint64_t done = 0;
    while (bench_now_seconds() - start < job->seconds) {
        for (uint32_t i = 0; i < 64; i++)
            if (tally_tx_verify(&job->txs[(done + i) % job->count])) job->verified++;
        done += 64;
    }
    job->seconds = bench_now_seconds() - start;
    job->cpu_seconds = thread_cpu_seconds() - cpu_start;
    return NULL;
}

int bench_cores(void) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 ? (int)(cores > 64 ? 64 : cores) : 1;
}

double bench_verification_bound(const tally_tx *samples, uint32_t count, double seconds, double *per_cpu_second) {
    int cores = bench_cores();
    pthread_t threads[64];
    bound_job jobs[64];
    for (int i = 0; i < cores; i++) {
        jobs[i] = (bound_job){samples, count, seconds, 0, 0};
        pthread_create(&threads[i], NULL, bound_worker, &jobs[i]);
    }
    double rate = 0, verified = 0, cpu = 0;
    for (int i = 0; i < cores; i++) {
        pthread_join(threads[i], NULL);
        rate += (double)jobs[i].verified / jobs[i].seconds;
        verified += (double)jobs[i].verified;
        cpu += jobs[i].cpu_seconds;
    }
    if (per_cpu_second) *per_cpu_second = cpu > 0 ? verified / cpu : 0;
    return rate;
}
