/*
 * bench_node.c: the end-to-end benchmark. A release tallyd is started on loopback
 * with a fresh data directory (every block fsynced before its transactions are
 * acknowledged); many client threads submit pre-signed transfers in batches over
 * HTTP and wait for each batch's commit. It prints committed transfers per second and
 * the p50/p99 commit latency of a batch, next to what both cores of this machine can
 * verify with libsodium in the same run: the bound a node that checks every signature
 * cannot beat. The target is 95% of that bound.
 *
 * `tally-bench latency` is the other end: one wallet's 1,000 payments in a row on
 * an idle node, each sent when the previous one is committed, their p50 and p99
 * next to the time of a write and fsync of the same disk in the same run (a block
 * is one of each). Target: p50 under 5 ms.
 *
 * For comparing builds and profiling: TALLY_BENCH_TALLYD names another tallyd (an
 * older build, measured in alternating runs), TALLY_BENCH_WRAP a command that runs
 * it (words split at spaces, e.g. "valgrind --tool=callgrind"), and
 * TALLY_BENCH_BATCHES fewer batches per client than 40 (a wrapped node is slow).
 */
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "bench_tallyd.h"
#include "tally.h"

enum {
    MEMBERS = BENCH_MEMBERS,
    CLIENTS = BENCH_CLIENTS,
    BATCH = BENCH_BATCH,
    BATCHES_PER_CLIENT = BENCH_BATCHES_PER_CLIENT,
    VERIFY_SAMPLES = 2048
};

static bench_tallyd node;
static bench_member members[MEMBERS];

/* Prints the node's CPU during the run by thread (after - before): the verifier
 * threads do nothing but check signatures, so their share of it is the share of
 * the node's work that is signature checking, whatever neighbours do to the wall
 * clock. Next to it, their checks per CPU second against the bound's threads'. */
static void print_cpu(const bench_cpu_by_thread *before, const bench_cpu_by_thread *after, double checks, double per_cpu_second,
                      double clients_seconds) {
    double total = 0;
    char parts[1024] = "";
    size_t used = 0;
    for (int i = 0; i < after->count; i++) {
        double seconds = after->threads[i].seconds - bench_thread_cpu_of(before, after->threads[i].name);
        total += seconds;
        if (seconds >= 0.005 && used < sizeof parts)
            used += (size_t)snprintf(parts + used, sizeof parts - used, "%s%s %.2f", used ? ", " : "",
                                     after->threads[i].name, seconds);
    }
    double verifying = bench_thread_cpu_of(after, "tally-verifier") - bench_thread_cpu_of(before, "tally-verifier");
    printf("node: its CPU during the run: %.2f s (%s): signature checking (the verifier threads) is %.1f%% of it; "
           "%.0f checks, %.0f per CPU second of theirs (the bound's threads: %.0f); the clients took %.2f s\n",
           total, parts, total > 0 ? 100.0 * verifying / total : 0.0, checks, verifying > 0 ? checks / verifying : 0.0,
           per_cpu_second, clients_seconds);
}

void bench_node(double *committed_per_second) {
    *committed_per_second = 0;
    const char *tallyd = bench_tallyd_program();
    const char *batches_text = getenv("TALLY_BENCH_BATCHES");
    /* sent of each client's BATCHES_PER_CLIENT */
    int batches_per_client = batches_text ? atoi(batches_text) : BATCHES_PER_CLIENT;
    if (batches_per_client < 1 || batches_per_client > BATCHES_PER_CLIENT) batches_per_client = BATCHES_PER_CLIENT;
    if (!bench_tallyd_built(tallyd, "node")) return;
    char directory[] = "/tmp/tally-bench-XXXXXX";
    if (!mkdtemp(directory)) return;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    static const char *const options[] = {"--block-ms", "50", NULL};
    bool started = bench_tallyd_start(&node, tallyd, directory, getenv("TALLY_BENCH_WRAP"), options);
    CURL *curl = curl_easy_init();
    if (!started) {
        printf("node: could not start %s\n", tallyd);
        goto done;
    }
    if (!bench_found_network(curl, &node, members, MEMBERS, "Bench", "BEN", "bench node")) goto done;

    /* Each client pays from its own members, so its batches keep their order. */
    static tally_key member_keys[MEMBERS];
    for (int m = 0; m < MEMBERS; m++) member_keys[m] = members[m].key;
    printf("node: signing %u transfers for %d clients ...\n", (unsigned)(CLIENTS * BATCHES_PER_CLIENT * BATCH), CLIENTS);
    tally_tx *work = bench_transfers_make(node.chain_id, bench_transfer_payment, members, member_keys);
    if (!work) goto done;
    static bench_transfer_run run;
    bench_transfers_prepare(&run, work, &node, batches_per_client, 120);

    /* The bound is measured just before and just after the node's run, and the mean
     * is used: on a shared machine either one alone can be caught by a neighbour. */
    int cores = bench_cores();
    double per_cpu[2];
    double bound_before = bench_verification_bound(work, VERIFY_SAMPLES, 1.5, &per_cpu[0]);

    double blocks_before = bench_metric(curl, &node, "tally_blocks_produced_total");
    double checks_before = bench_metric(curl, &node, "tally_signature_checks_total");
    bench_cpu_by_thread cpu_before, cpu_after;
    bench_read_thread_cpu(node.pid, &cpu_before);
    double clients_cpu = bench_own_cpu_seconds();
    double elapsed = bench_clients_run(run.clients, CLIENTS);
    clients_cpu = bench_own_cpu_seconds() - clients_cpu;
    bench_read_thread_cpu(node.pid, &cpu_after);
    double blocks = bench_metric(curl, &node, "tally_blocks_produced_total") - blocks_before;
    double checks = bench_metric(curl, &node, "tally_signature_checks_total") - checks_before;
    double bound_after = bench_verification_bound(work, VERIFY_SAMPLES, 1.5, &per_cpu[1]);
    double bound = (bound_before + bound_after) / 2;

    uint64_t committed = bench_transfers_finish(&run);
    int sent = CLIENTS * batches_per_client;
    uint64_t refused = (uint64_t)sent * BATCH - committed;
    double p50 = bench_percentile(run.latencies, sent, 50), p99 = bench_percentile(run.latencies, sent, 99);
    *committed_per_second = (double)committed / elapsed;
    printf("node: %d clients x %d batches of %d signed transfers (binary bodies) over HTTP, each block fsynced before "
           "its commit is acknowledged\n",
           CLIENTS, batches_per_client, BATCH);
    printf("node: %llu committed (%llu refused) in %.2f s: %.0f transfers/s; batch commit latency p50 %.0f ms, p99 %.0f "
           "ms; %.0f blocks (%.0f transfers each)\n",
           (unsigned long long)committed, (unsigned long long)refused, elapsed, *committed_per_second, p50 * 1e3,
           p99 * 1e3, blocks, blocks > 0 ? (double)committed / blocks : 0.0);
    printf("node: Ed25519 verification bound of %d cores, same run: %.0f /s (%.0f before, %.0f after); the node "
           "reaches %.0f%% of it (target 95%%)\n",
           cores, bound, bound_before, bound_after, 100.0 * *committed_per_second / bound);
    /* The same question in CPU time, which neighbours on a shared machine disturb far
     * less: how much of what the node spent was signature checking. */
    print_cpu(&cpu_before, &cpu_after, checks, (per_cpu[0] + per_cpu[1]) / 2, clients_cpu);
    free(work);
done:
    curl_easy_cleanup(curl);
    bench_tallyd_stop(&node);
    bench_remove_directory(directory, "bench node");
    curl_global_cleanup();
}

/* ---- latency: sequential payments on an idle node ---- */

enum { LATENCY_WARMUP = 20, LATENCY_PAYMENTS = 1000, FSYNC_SAMPLES = 200 };

/* The time of a 4 KiB write and its fsync in directory, FSYNC_SAMPLES times (a
 * block append is one write and one fsync): p50 and p99 in seconds. */
static bool measure_fsync(const char *directory, double *p50, double *p99) {
    char path[320];
    snprintf(path, sizeof path, "%s/fsync-probe", directory);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return false;
    static char page[4096];
    double times[FSYNC_SAMPLES];
    bool ok = true;
    for (int i = 0; i < FSYNC_SAMPLES && ok; i++) {
        memset(page, i, sizeof page);
        double start = bench_now_seconds();
        ok = pwrite(fd, page, sizeof page, (off_t)i * (off_t)sizeof page) == (ssize_t)sizeof page && fsync(fd) == 0;
        times[i] = bench_now_seconds() - start;
    }
    close(fd);
    unlink(path);
    if (!ok) return false;
    *p50 = bench_percentile(times, FSYNC_SAMPLES, 50);
    *p99 = bench_percentile(times, FSYNC_SAMPLES, 99);
    return true;
}

void bench_latency(void) {
    const char *tallyd = bench_tallyd_program();
    if (!bench_tallyd_built(tallyd, "latency")) return;
    char directory[] = "/tmp/tally-bench-latency-XXXXXX";
    if (!mkdtemp(directory)) return;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    /* The default --block-ms (100): it no longer delays a lone payment. */
    bool started = bench_tallyd_start(&node, tallyd, directory, getenv("TALLY_BENCH_WRAP"), NULL);
    CURL *curl = curl_easy_init();
    tally_tx *payments = NULL;
    if (!started) {
        printf("latency: could not start %s\n", tallyd);
        goto done;
    }
    if (!bench_found_network(curl, &node, members, 3, "Bench", "BEN", "bench latency")) goto done;
    enum { COUNT = LATENCY_WARMUP + LATENCY_PAYMENTS };
    payments = calloc(COUNT, sizeof *payments);
    const uint8_t *secrets[COUNT];
    for (int i = 0; i < COUNT; i++) {
        payments[i] =
            bench_transfer_tx(node.chain_id, &members[1].key, members[1].sequence++, &members[2].key, 1 + i % 100);
        secrets[i] = members[1].secret;
    }
    bench_sign_all(payments, secrets, COUNT);
    double fsync_p50 = 0, fsync_p99 = 0, after_p50 = 0, after_p99 = 0;
    bool fsync_ok = measure_fsync(directory, &fsync_p50, &fsync_p99);

    /* One wallet paying again and again on one kept-alive connection, each payment
     * sent once the previous one is committed: {"tx": hex}, as `tally pay` sends. */
    static double latencies[LATENCY_PAYMENTS];
    int committed = 0;
    for (int i = 0; i < COUNT; i++) {
        uint8_t bytes[TALLY_TX_ENCODED_MAX];
        size_t encoded = tally_tx_encode(&payments[i], bytes, sizeof bytes);
        char body[2 * TALLY_TX_ENCODED_MAX + 16];
        size_t at = (size_t)snprintf(body, sizeof body, "{\"tx\":\"");
        sodium_bin2hex(body + at, sizeof body - at, bytes, encoded);
        at += 2 * encoded;
        at += (size_t)snprintf(body + at, sizeof body - at, "\"}");
        bench_buffer answer;
        double start = bench_now_seconds();
        long status =
            bench_post(curl, &node, "/v1/transactions?wait=commit", body, at, "application/json", 120, &answer);
        double elapsed = bench_now_seconds() - start;
        bool ok = status == 200 && bench_count_of(answer.bytes, "\"committed\"") == 1;
        free(answer.bytes);
        if (!ok) {
            printf("latency: payment %d was not committed (HTTP %ld)\n", i, status);
            break;
        }
        if (i >= LATENCY_WARMUP) latencies[committed++] = elapsed;
    }
    fsync_ok = measure_fsync(directory, &after_p50, &after_p99) && fsync_ok;
    if (committed == LATENCY_PAYMENTS) {
        double p50 = bench_percentile(latencies, committed, 50), p99 = bench_percentile(latencies, committed, 99);
        printf("latency: %d sequential payments, each sent when the previous one was committed (wait=commit, one "
               "kept-alive connection, default --block-ms 100, every block fsynced): p50 %.2f ms, p99 %.2f ms "
               "(target p50 under 5 ms)\n",
               committed, p50 * 1e3, p99 * 1e3);
        if (fsync_ok) {
            double disk = (fsync_p50 + after_p50) / 2;
            printf("latency: this disk, same run: a 4 KiB write + fsync takes p50 %.2f ms, p99 %.2f ms (before), p50 "
                   "%.2f ms, p99 %.2f ms (after): a payment's p50 is %.1f fsyncs\n",
                   fsync_p50 * 1e3, fsync_p99 * 1e3, after_p50 * 1e3, after_p99 * 1e3, p50 / disk);
        }
    }
done:
    free(payments);
    curl_easy_cleanup(curl);
    bench_tallyd_stop(&node);
    bench_remove_directory(directory, "bench latency");
    curl_global_cleanup();
}
