/*
 * bench.h: shared pieces of the benchmarks: a monotonic clock and the pieces each
 * bench file provides to bench_main.c.
 */
#ifndef TALLY_BENCH_H
#define TALLY_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "tally.h"

static inline double bench_now_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* The end-to-end transfer workload, shared by bench_node.c (Tally) and bench_pg.c
 * (the PostgreSQL baseline) so that both run exactly the same transfers: MEMBERS
 * accounts with a line of CREDIT_LIMIT, CLIENTS client threads, each sending
 * BATCHES_PER_CLIENT batches of BATCH transfers; client c pays only from members
 * c, c + CLIENTS, ... (so its batches never race each other), to random payees, a
 * base fee of FEE_BPS rounded up, signed for at most MAX_FEE. */
enum {
    BENCH_MEMBERS = 2000,
    BENCH_CLIENTS = 16,
    BENCH_BATCH = 256,
    BENCH_BATCHES_PER_CLIENT = 40,
    BENCH_FEE_BPS = 25,
    BENCH_MAX_FEE = 100
};
#define BENCH_CREDIT_LIMIT 1000000000

/* Transfer i of one of client c's batches: member indices (0-based) and amount.
 * Call it for every transfer in (client, batch, i) order from *seed = 7. */
static inline void bench_transfer(uint64_t *seed, int c, int i, int *payer, int *payee, int64_t *amount) {
    *payer = c + BENCH_CLIENTS * (i % (BENCH_MEMBERS / BENCH_CLIENTS));
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    *payee = (int)((*seed >> 33) % BENCH_MEMBERS);
    if (*payee == *payer) *payee = (*payee + 1) % BENCH_MEMBERS;
    *amount = (int64_t)(*seed % 10000) + 1;
}

/* bench_transfer as a bench_payment_fn (below): batch b does not change it. */
static inline void bench_transfer_payment(uint64_t *seed, int c, int b, int i, int *payer, int *payee,
                                          int64_t *amount) {
    (void)b;
    bench_transfer(seed, c, i, payer, payee, amount);
}

/* bench_bound.c: the cores online (at most 64), and the Ed25519 verification
 * bound: tally_tx_verify of samples[0..count) on every core at once for `seconds`,
 * the sum of their rates; *per_cpu_second (may be NULL): verifications per second
 * of CPU time, one core's rate when nothing else runs. */
int bench_cores(void);
double bench_verification_bound(const tally_tx *samples, uint32_t count, double seconds, double *per_cpu_second);

/* The batch-payment workload (issue 8): CLIENTS client threads, each sending
 * BENCH_PAYROLLS_PER_CLIENT batches of BENCH_PAYROLL_LINES payments; the payer of
 * client c's batch b is one of c's members (each batch another one), its payees
 * random, the amounts and fees as above. Tally signs each batch once
 * (TRANSFER_BATCH); PostgreSQL applies it in one call of its PL/pgSQL function. */
enum { BENCH_PAYROLL_LINES = 100, BENCH_PAYROLLS_PER_CLIENT = 120 };

/* Line i of client c's batch b. Call it in (client, batch, i) order from *seed = 7. */
static inline void bench_payroll_line(uint64_t *seed, int c, int b, int i, int *payer, int *payee, int64_t *amount) {
    (void)i;
    *payer = c + BENCH_CLIENTS * (b % (BENCH_MEMBERS / BENCH_CLIENTS));
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    *payee = (int)((*seed >> 33) % BENCH_MEMBERS);
    if (*payee == *payer) *payee = (*payee + 1) % BENCH_MEMBERS;
    *amount = (int64_t)(*seed % 10000) + 1;
}

/* A workload as bench_pg.c runs it: batches per client, payments per batch, and
 * payment i of client c's batch b (called in (c, b, i) order from *seed = 7). */
typedef void bench_payment_fn(uint64_t *seed, int c, int b, int i, int *payer, int *payee, int64_t *amount);
typedef struct {
    const char *what; /* "transfers", "batch payments" */
    int batches_per_client;
    int payments_per_batch;
    bench_payment_fn *payment;
} bench_workload;

/* bench_chain.c: Ed25519 verification, encode and decode rates on one core. */
void bench_chain(double *verifications_per_second);
/* bench_core.c: transfers applied per second by the core on one core. */
void bench_core(double *transfers_per_second);
/* bench_core.c: `tally-bench core-instructions[-prepared]`, the fixed run that
 * bench_core counts under callgrind. */
void bench_core_counted(bool prepared_ahead);
/* bench_node.c: transfers committed per second by a real node over HTTP, against
 * the verification bound of every core. */
void bench_node(double *committed_per_second);
/* bench_node.c: 1,000 sequential payments with wait=commit on an idle node, their
 * p50 and p99 next to the fsync time of the same disk in the same run. */
void bench_latency(void);
/* bench_pg.c: the same workload against a PostgreSQL ledger started for the run;
 * prints its rate next to Tally's (tally_per_second, from bench_node) and their
 * ratio. 0 when PostgreSQL is missing or cannot start (it says why). */
void bench_pg(double tally_per_second, double *committed_per_second);
/* bench_verify.c: tally verify and the replay on restart over a chain of 2^20
 * transfers, next to the Ed25519 bound of every core measured in the same run
 * (`tally-bench verify`). */
void bench_chain_verify(void);

/* bench_pg for another workload (bench_pg is it for the transfer workload). */
void bench_pg_workload(const bench_workload *workload, double tally_per_second, double *committed_per_second);
/* bench_batch.c: batch payments (issue 8): BENCH_PAYROLL_LINES lines each, one
 * signature each, committed payments per second by a real node over HTTP, next to
 * PostgreSQL running the same batches (bench_pg_workload) in the same run. */
void bench_batch(double *committed_per_second, double *postgres_per_second);
/* bench_floods.c: the node's RSS and /v1/status p99 during each flood of issue 7
 * (3 listings, 5 slowloris, 6 JSON bodies, 9 junk transfers), next to the same
 * figures without it, in the same run. */
void bench_floods(void);
/* bench_scale.c: the end-to-end workload on nodes holding 10k networks and each of
 * `sizes` members (10k, 100k and 1M when size_count is 0): rates and their ratio,
 * the time of a one-transaction block next to the disk's fsync, RSS per member. */
void bench_scale(int size_count, const uint32_t *sizes);

/* bench_cluster.c: the end-to-end workload (smaller) on one node and on 3 validators
 * + 3 etcd members in the same run: rates, per-validator efficiency (cluster rate x
 * 3 / single rate, target 0.8), sequential commit latency, etcd latency, blocks, and
 * the CPU of every process (`tally-bench cluster`). */
void bench_cluster(void);

/* bench_clearing.c: the clearing solver on seeded random obligation graphs of 10,
 * 50 and 200 networks, next to GLPK's simplex on the same graphs. */
void bench_clearing(void);

/* bench_sim.c: the policy simulator over 100,000 members and a simulated year, next
 * to the core's transfer rate measured in the same run (0: not measured). */
void bench_sim(double core_transfers_per_second);

#endif
