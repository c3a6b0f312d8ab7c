/*
 * bench_batch.c: batch payments end to end (issue 8: "batches of 100 lines, one
 * signature each: committed payments/s next to PostgreSQL running the same
 * batches; target at least 5x PostgreSQL"). A release tallyd is started on loopback
 * with a fresh data directory (each block fsynced before its transactions are
 * acknowledged); the network and members are those of bench_node.c (bench.h);
 * CLIENTS client threads each send their pre-signed TRANSFER_BATCHes one request at
 * a time (binary body, wait=commit), as the PostgreSQL clients of bench_pg.c send
 * one call per batch, and PostgreSQL then runs exactly the same batches
 * (bench_pg_workload). Both figures and their ratio are printed from the same run.
 *
 * The node runs with --block-ms 1: each client has one batch in flight, so a block
 * timer of 50 ms (bench_node.c's, whose clients send 256 transfers a request) would
 * measure the timer, not the node; PostgreSQL commits each call at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_tallyd.h"
#include "tally.h"

enum {
    MEMBERS = BENCH_MEMBERS,
    CLIENTS = BENCH_CLIENTS,
    LINES = BENCH_PAYROLL_LINES,
    BATCHES_PER_CLIENT = BENCH_PAYROLLS_PER_CLIENT
};

static bench_tallyd node;
static bench_member members[MEMBERS];

/* Client c's batch b, from the shared workload (bench_payroll_line); *payer_out
 * the member who signs it. */
static bool make_batch(uint64_t *seed, int c, int b, tally_tx *tx, int *payer_out) {
    int payer = 0, payee;
    int64_t amount;
    tally_batch_line lines[LINES];
    memset(lines, 0, sizeof lines);
    for (int i = 0; i < LINES; i++) {
        bench_payroll_line(seed, c, b, i, &payer, &payee, &amount);
        lines[i].payee = members[payee].key;
        lines[i].amount = amount;
    }
    *tx = bench_member_tx(node.chain_id, &members[payer], TALLY_TX_TRANSFER_BATCH);
    tx->body.transfer_batch.network_id = 1;
    tx->body.transfer_batch.max_fee = (int64_t)BENCH_MAX_FEE * LINES;
    *payer_out = payer;
    if (!tally_tx_batch_reserve(tx, LINES)) return false;
    memcpy(tx->body.transfer_batch.lines, lines, sizeof lines);
    return true;
}

void bench_batch(double *committed_per_second, double *postgres_per_second) {
    *committed_per_second = *postgres_per_second = 0;
    if (!bench_tallyd_built(BENCH_TALLYD_DEFAULT, "batch")) return;
    char directory[] = "/tmp/tally-bench-batch-XXXXXX";
    if (!mkdtemp(directory)) return;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    static const char *const options[] = {"--block-ms", "1", NULL};
    bool started = bench_tallyd_start(&node, BENCH_TALLYD_DEFAULT, directory, NULL, options);
    CURL *curl = curl_easy_init();
    uint32_t total = CLIENTS * BATCHES_PER_CLIENT;
    tally_tx *work = calloc(total, sizeof *work);
    const uint8_t **secrets = calloc(total, sizeof *secrets);
    static char *bodies[CLIENTS][BATCHES_PER_CLIENT];
    static size_t lengths[CLIENTS][BATCHES_PER_CLIENT];
    static double latencies[CLIENTS][BATCHES_PER_CLIENT];
    if (!started) {
        printf("batch: could not start %s\n", BENCH_TALLYD_DEFAULT);
        goto done;
    }
    if (!work || !secrets || !bench_found_network(curl, &node, members, MEMBERS, "Payroll", "PAY", "bench batch"))
        goto done;

    uint64_t seed = 7;
    for (int c = 0; c < CLIENTS; c++)
        for (int b = 0; b < BATCHES_PER_CLIENT; b++) {
            int payer;
            if (!make_batch(&seed, c, b, &work[c * BATCHES_PER_CLIENT + b], &payer)) goto done;
            secrets[c * BATCHES_PER_CLIENT + b] = members[payer].secret;
        }
    bench_sign_all(work, secrets, total);
    bench_client clients[CLIENTS];
    for (int c = 0; c < CLIENTS; c++) {
        for (int b = 0; b < BATCHES_PER_CLIENT; b++)
            bodies[c][b] = bench_binary_body(&work[c * BATCHES_PER_CLIENT + b], 1, &lengths[c][b]);
        clients[c] = (bench_client){&node, bodies[c], lengths[c], BATCHES_PER_CLIENT, 120, latencies[c], 0};
    }

    double elapsed = bench_clients_run(clients, CLIENTS);

    /* each request is one batch: committed whole or not at all */
    uint64_t committed = 0, refused = 0;
    for (int c = 0; c < CLIENTS; c++) {
        committed += clients[c].committed * LINES;
        refused += (BATCHES_PER_CLIENT - clients[c].committed) * LINES;
        for (int b = 0; b < BATCHES_PER_CLIENT; b++) free(bodies[c][b]);
    }
    double p50 = bench_percentile(&latencies[0][0], CLIENTS * BATCHES_PER_CLIENT, 50),
           p99 = bench_percentile(&latencies[0][0], CLIENTS * BATCHES_PER_CLIENT, 99);
    *committed_per_second = (double)committed / elapsed;
    printf("batch: %d clients x %d batch payments of %d lines, one Ed25519 signature each, over HTTP (binary, "
           "wait=commit, one batch a request), each block fsynced before its commit is acknowledged, --block-ms 1\n",
           CLIENTS, BATCHES_PER_CLIENT, LINES);
    printf("batch: %llu payments committed (%llu refused) in %.2f s: %.0f payments/s (%.0f batches/s); batch commit "
           "latency p50 %.1f ms, p99 %.1f ms\n",
           (unsigned long long)committed, (unsigned long long)refused, elapsed, *committed_per_second,
           *committed_per_second / LINES, p50 * 1e3, p99 * 1e3);
done:
    for (uint32_t i = 0; work && i < total; i++) tally_tx_release(&work[i]);
    free(work);
    free(secrets);
    curl_easy_cleanup(curl);
    bench_tallyd_stop(&node);
    bench_remove_directory(directory, "bench batch");
    curl_global_cleanup();
    if (*committed_per_second <= 0) return;

    /* The same batches in PostgreSQL, in this run. */
    static const bench_workload payrolls = {"batch payments", BATCHES_PER_CLIENT, LINES, bench_payroll_line};
    bench_pg_workload(&payrolls, *committed_per_second, postgres_per_second);
    if (*postgres_per_second > 0)
        printf("batch: Tally %.0f payments/s, PostgreSQL %.0f payments/s on the same batches: %.2fx (target 5x)\n",
               *committed_per_second, *postgres_per_second, *committed_per_second / *postgres_per_second);
}
