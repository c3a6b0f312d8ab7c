/*
 * bench_cluster.c: `tally-bench cluster`, what three validators cost (issue 14). In
 * one run: the end-to-end workload of bench_node.c (its shape: 16 clients, batches of
 * 256 signed transfers, 2,000 members; fewer batches per client) on one release
 * tallyd, then the same workload on a chain of three release validators ordered
 * through three etcd members, all on loopback on this machine, with clients sending
 * (a) to the proposer only and (b) round robin over the three validators (a follower
 * admits, checks the signatures, then forwards to the proposer). Every validator
 * verifies every signature on the same two cores, so the per-validator efficiency
 * (cluster rate x 3 / single rate) says what the replication costs beyond that
 * (target at least 0.8). Then sequential payments (each sent when the previous one
 * was committed) on both, their p50 and p99; the proposer's etcd write latency;
 * blocks and transactions per block; and the CPU seconds of every tallyd and etcd
 * process in each phase, by thread for the validators, so a reader sees where the
 * two cores went.
 *
 * Everything started here is stopped by its process id and its directories removed,
 * also when a part fails; every wait is bounded, and a phase that runs out of time is
 * reported as such. TALLY_BENCH_CLUSTER_BATCHES sets the batches per client (default
 * 8, at most BENCH_BATCHES_PER_CLIENT).
 */
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../test/etcd_cluster.h"
#include "bench.h"
#include "bench_tallyd.h"
#include "tally.h"

enum {
    VALIDATORS = 3,
    MEMBERS = BENCH_MEMBERS,
    /* two members more, who never pay in the workload: the sequential payer and payee */
    ALL_MEMBERS = BENCH_MEMBERS + 2,
    CLIENTS = BENCH_CLIENTS,
    BATCH = BENCH_BATCH,
    BATCHES_DEFAULT = 8,
    PHASE_SECONDS = 60,      /* a workload phase ends (reported unfinished) after this */
    REQUEST_SECONDS = 30,    /* one request's longest wait */
    SETTLE_MS = 20000,       /* the longest wait for the validators to agree on a height */
    SEQUENTIAL_WARMUP = 10,
    SEQUENTIAL_PAYMENTS = 200,
    SEQUENTIAL_SECONDS = 30, /* the sequential part's longest run */
    STOP_WAIT_MS = 10000     /* SIGTERM, then SIGKILL after this */
};
#define TARGET_EFFICIENCY 0.8

static bench_member members[ALL_MEMBERS];
/* The block log of the node that makes the blocks (the proposer's), for the bytes
 * per block: what a block's write to etcd carries (in base64 through its gateway). */
static char producer_log[256];

static double file_bytes(const char *path) {
    struct stat info;
    return path[0] && stat(path, &info) == 0 ? (double)info.st_size : 0;
}

/* ---- processes ---- */

/* SIGTERM, then SIGKILL when it has not exited within STOP_WAIT_MS: a hung node is
 * not waited on forever. */
static void stop_bounded(bench_tallyd *node, const char *name) {
    if (node->pid <= 0) return;
    kill(node->pid, SIGTERM);
    for (int waited = 0; waited < STOP_WAIT_MS; waited += 20) {
        if (waitpid(node->pid, NULL, WNOHANG) == node->pid) {
            node->pid = 0;
            return;
        }
        bench_sleep_ms(20);
    }
    printf("cluster: %s did not stop within %d s of SIGTERM: killed\n", name, STOP_WAIT_MS / 1000);
    kill(node->pid, SIGKILL);
    waitpid(node->pid, NULL, 0);
    node->pid = 0;
}

/* The validator address `tallyd --data DIR --validator-key` prints (making the key). */
static bool validator_address(const char *tallyd, const char *data, char *address, size_t size) {
    char command[700];
    snprintf(command, sizeof command, "%s --data %s --validator-key 2>/dev/null", tallyd, data);
    FILE *output = popen(command, "r");
    if (!output) return false;
    bool read = fgets(address, (int)size, output) != NULL;
    int status = pclose(output);
    if (read) address[strcspn(address, "\r\n")] = '\0';
    return read && status == 0 && address[0];
}

/* ---- a node's status ---- */

typedef struct {
    bool answered;
    uint64_t height;
    bool proposer;
} node_status;

static node_status read_status(CURL *curl, const bench_tallyd *node) {
    node_status status = {0};
    bench_buffer answer;
    if (bench_get(curl, node, "/v1/status", &answer)) {
        json_t *root = json_loads(answer.bytes, 0, NULL);
        json_t *height = json_object_get(root, "height");
        json_t *validator = json_object_get(root, "validator");
        status.answered = json_is_integer(height);
        status.height = (uint64_t)json_integer_value(height);
        status.proposer = json_is_true(json_object_get(validator, "proposer"));
        json_decref(root);
    }
    free(answer.bytes);
    return status;
}

/* Waits (SETTLE_MS at most) until every validator is at one height and one of them
 * proposes: its index, -1 when that did not happen in time. *waited_ms how long. */
static int settle(CURL *curl, const bench_tallyd *nodes, int count, double *waited_ms) {
    double start = bench_now_seconds();
    for (int waited = 0; waited <= SETTLE_MS; waited += 20) {
        node_status status[VALIDATORS];
        int proposer = -1;
        bool same = true;
        for (int i = 0; i < count; i++) {
            status[i] = read_status(curl, &nodes[i]);
            if (status[i].proposer) proposer = i;
            same = same && status[i].answered && status[i].height == status[0].height;
        }
        if (same && proposer >= 0) {
            *waited_ms = (bench_now_seconds() - start) * 1e3;
            return proposer;
        }
        bench_sleep_ms(20);
    }
    *waited_ms = (bench_now_seconds() - start) * 1e3;
    return -1;
}

/* ---- the workload ---- */

typedef struct {
    char *bodies[CLIENTS][BENCH_BATCHES_PER_CLIENT];
    size_t lengths[CLIENTS][BENCH_BATCHES_PER_CLIENT];
    int batches_per_client;
} workload;

/* The transfers of bench_transfers_make, but batches_per_client of them per client:
 * client c's batch b, transfer i picked by bench_transfer_payment in (c, b, i) order
 * from seed 7, from the payer's next sequence, signed on every core; each batch's
 * binary body. False when out of memory. */
static bool workload_make(workload *w, const uint8_t *chain_id, int batches_per_client) {
    memset(w, 0, sizeof *w);
    w->batches_per_client = batches_per_client;
    uint32_t total = (uint32_t)(CLIENTS * batches_per_client * BATCH);
    tally_tx *txs = calloc(total, sizeof *txs);
    const uint8_t **secrets = calloc(total, sizeof *secrets);
    bool ok = txs && secrets;
    uint64_t seed = 7;
    for (int c = 0; ok && c < CLIENTS; c++)
        for (int b = 0; b < batches_per_client; b++)
            for (int i = 0; i < BATCH; i++) {
                uint32_t slot = (uint32_t)((c * batches_per_client + b) * BATCH + i);
                int payer, payee;
                int64_t amount;
                bench_transfer_payment(&seed, c, b, i, &payer, &payee, &amount);
                txs[slot] = bench_transfer_tx(chain_id, &members[payer].key, members[payer].sequence++,
                                              &members[payee].key, amount);
                secrets[slot] = members[payer].secret;
            }
    if (ok) bench_sign_all(txs, secrets, total);
    for (int c = 0; ok && c < CLIENTS; c++)
        for (int b = 0; ok && b < batches_per_client; b++) {
            w->bodies[c][b] = bench_binary_body(txs + (c * batches_per_client + b) * BATCH, BATCH, &w->lengths[c][b]);
            ok = w->bodies[c][b] != NULL;
        }
    free(txs);
    free(secrets);
    return ok;
}

static void workload_free(workload *w) {
    for (int c = 0; c < CLIENTS; c++)
        for (int b = 0; b < BENCH_BATCHES_PER_CLIENT; b++) free(w->bodies[c][b]), w->bodies[c][b] = NULL;
}

/* One client of a phase: its batches in order, all to nodes[c % count] (a client
 * keeps to one validator: one that moved to another after each commit would be
 * refused BAD_SEQUENCE by a follower that has not applied that block yet); stops
 * sending at the phase's deadline. */
typedef struct {
    const workload *w;
    const bench_tallyd *nodes;
    int node_count;
    int c;
    double deadline;
    double *latencies; /* batches_per_client of them; -1: not sent or failed */
    uint64_t committed;
    int failed;
    char first_failure[400]; /* the first failed answer: its status and start */
} phase_client;

static void *phase_client_main(void *context) {
    phase_client *p = context;
    CURL *curl = curl_easy_init();
    for (int b = 0; curl && b < p->w->batches_per_client; b++) {
        p->latencies[b] = -1;
        double start = bench_now_seconds(), left = p->deadline - start;
        if (left < 1) break;
        const bench_tallyd *node = &p->nodes[p->c % p->node_count];
        bench_buffer answer;
        long timeout = left < REQUEST_SECONDS ? (long)left : REQUEST_SECONDS;
        long status = bench_post(curl, node, "/v1/transactions?wait=commit", p->w->bodies[p->c][b],
                                 p->w->lengths[p->c][b], BENCH_BINARY, timeout, &answer);
        size_t committed = status == 200 ? bench_count_of(answer.bytes, "\"committed\"") : 0;
        if (committed == BATCH) p->latencies[b] = bench_now_seconds() - start;
        else if (p->failed++ == 0)
            snprintf(p->first_failure, sizeof p->first_failure, "to %s: HTTP %ld, %zu of %d committed: %.160s",
                     node->url, status, committed, BATCH, answer.bytes ? answer.bytes : "(no answer)");
        p->committed += committed;
        free(answer.bytes);
    }
    curl_easy_cleanup(curl);
    return NULL;
}

typedef struct {
    uint64_t committed;
    int failed_batches;
    double seconds, p50, p99;
    bool timed_out;
    char first_failure[400];
} phase_result;

/* Runs every client at once against nodes (rotating over them when count > 1). */
static phase_result run_phase(const workload *w, const bench_tallyd *nodes, int count) {
    static double latencies[CLIENTS * BENCH_BATCHES_PER_CLIENT];
    phase_client clients[CLIENTS];
    pthread_t threads[CLIENTS];
    double start = bench_now_seconds();
    for (int c = 0; c < CLIENTS; c++) {
        clients[c] = (phase_client){w, nodes, count, c, start + PHASE_SECONDS, latencies + c * w->batches_per_client,
                                    0, 0, ""};
        pthread_create(&threads[c], NULL, phase_client_main, &clients[c]);
    }
    for (int c = 0; c < CLIENTS; c++) pthread_join(threads[c], NULL);
    phase_result r = {0};
    r.seconds = bench_now_seconds() - start;
    r.timed_out = r.seconds >= PHASE_SECONDS - 1;
    int measured = 0;
    for (int c = 0; c < CLIENTS; c++) {
        r.committed += clients[c].committed;
        r.failed_batches += clients[c].failed;
        if (clients[c].failed && !r.first_failure[0])
            snprintf(r.first_failure, sizeof r.first_failure, "%s", clients[c].first_failure);
    }
    for (int i = 0; i < CLIENTS * w->batches_per_client; i++)
        if (latencies[i] >= 0) latencies[measured++] = latencies[i];
    if (measured > 0) {
        r.p50 = bench_percentile(latencies, measured, 50);
        r.p99 = bench_percentile(latencies, measured, 99);
    }
    return r;
}

/* ---- figures of the processes ---- */

typedef struct {
    double blocks, etcd_requests, etcd_seconds, log_bytes, forwarded[VALIDATORS];
    double tallyd_cpu[VALIDATORS], etcd_cpu[VALIDATORS];
    bench_cpu_by_thread threads[VALIDATORS];
} snapshot;

static void take_snapshot(CURL *curl, const bench_tallyd *nodes, int count, int proposer, const etcd_cluster *etcd,
                          snapshot *s) {
    memset(s, 0, sizeof *s);
    s->blocks = bench_metric(curl, &nodes[proposer], "tally_blocks_produced_total");
    s->etcd_requests = bench_metric(curl, &nodes[proposer], "tally_etcd_requests_total");
    s->etcd_seconds = bench_metric(curl, &nodes[proposer], "tally_etcd_request_seconds_total");
    s->log_bytes = file_bytes(producer_log);
    for (int i = 0; i < count; i++) {
        s->tallyd_cpu[i] = bench_process_cpu_seconds(nodes[i].pid);
        bench_read_thread_cpu(nodes[i].pid, &s->threads[i]);
        if (etcd) s->etcd_cpu[i] = bench_process_cpu_seconds(etcd->members[i].pid);
        if (etcd) s->forwarded[i] = bench_metric(curl, &nodes[i], "tally_validator_transactions_forwarded_total");
    }
}

/* "name 1.23, other 0.45" of the threads that used at least 0.05 s between a and b. */
static void thread_split(const bench_cpu_by_thread *a, const bench_cpu_by_thread *b, char *out, size_t size) {
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < b->count && used < size; i++) {
        double seconds = b->threads[i].seconds - bench_thread_cpu_of(a, b->threads[i].name);
        if (seconds >= 0.05)
            used += (size_t)snprintf(out + used, size - used, "%s%s %.2f", used ? ", " : "", b->threads[i].name,
                                     seconds);
    }
}

/* Prints the phase's blocks, etcd latency and CPU by process (and by thread for the
 * validators); brief: one line of the processes' CPU seconds. */
static void print_processes(const char *what, const snapshot *a, const snapshot *b, int count, int proposer,
                            bool cluster, bool brief, uint64_t committed, double wall_seconds) {
    double total = 0;
    if (brief) {
        char line[1024];
        size_t used = 0;
        for (int i = 0; i < count; i++) {
            double tallyd = b->tallyd_cpu[i] - a->tallyd_cpu[i], etcd = b->etcd_cpu[i] - a->etcd_cpu[i];
            total += tallyd + etcd;
            used += (size_t)snprintf(line + used, sizeof line - used, "%svalidator %d %.2f + etcd %.2f", i ? ", " : "",
                                     i + 1, tallyd, etcd);
        }
        printf("%s: CPU s until the last answer: %s; all %.2f in %.2f s (%.2f of the 2 cores)\n", what, line, total,
               wall_seconds, wall_seconds > 0 ? total / wall_seconds : 0.0);
        return;
    }
    double blocks = b->blocks - a->blocks, bytes = b->log_bytes - a->log_bytes;
    printf("%s: %.0f blocks made by %s, %.0f transfers and %.0f KiB each (block log)", what, blocks,
           cluster ? "the proposer" : "the node", blocks > 0 ? (double)committed / blocks : 0.0,
           blocks > 0 ? bytes / blocks / 1024 : 0.0);
    double requests = b->etcd_requests - a->etcd_requests;
    if (cluster && requests > 0)
        printf("; the proposer's etcd requests: %.0f, %.2f ms each on average (tally_etcd_request_seconds_total / "
               "tally_etcd_requests_total)",
               requests, 1e3 * (b->etcd_seconds - a->etcd_seconds) / requests);
    printf("\n");
    for (int i = 0; i < count; i++) {
        double tallyd = b->tallyd_cpu[i] - a->tallyd_cpu[i];
        total += tallyd + (cluster ? b->etcd_cpu[i] - a->etcd_cpu[i] : 0);
        char split[1024];
        thread_split(&a->threads[i], &b->threads[i], split, sizeof split);
        if (cluster) {
            double forwarded = b->forwarded[i] - a->forwarded[i];
            printf("%s:   validator %d (%s): tallyd %.2f CPU s (%s); etcd member %d %.2f CPU s\n", what, i + 1,
                   i == proposer ? "proposer" : "follower", tallyd, split, i + 1, b->etcd_cpu[i] - a->etcd_cpu[i]);
            if (forwarded > 0) printf("%s:     it forwarded %.0f transactions to the proposer\n", what, forwarded);
        } else {
            printf("%s:   tallyd %.2f CPU s (%s)\n", what, tallyd, split);
        }
    }
    printf("%s:   all these processes: %.2f CPU s in %.2f s of wall time (%.2f of the 2 cores); the clients "
           "(this process) are not counted\n",
           what, total, wall_seconds, wall_seconds > 0 ? total / wall_seconds : 0.0);
}

/* The CPU seconds of every tallyd and etcd process between a and b; of etcd alone
 * into *etcd_seconds. */
static double cpu_between(const snapshot *a, const snapshot *b, int count, double *etcd_seconds) {
    double total = 0, etcd = 0;
    for (int i = 0; i < count; i++) {
        total += b->tallyd_cpu[i] - a->tallyd_cpu[i];
        etcd += b->etcd_cpu[i] - a->etcd_cpu[i];
    }
    *etcd_seconds = etcd;
    return total + etcd;
}

/* ---- sequential payments ---- */

/* SEQUENTIAL_WARMUP + SEQUENTIAL_PAYMENTS payments from members[MEMBERS] to
 * members[MEMBERS + 1], each posted (binary) to node when the previous one was
 * committed: how many were, their p50 and p99 (of those after the warm-up). */
static int sequential(const bench_tallyd *node, const uint8_t *chain_id, double *p50, double *p99) {
    enum { COUNT = SEQUENTIAL_WARMUP + SEQUENTIAL_PAYMENTS };
    static tally_tx payments[COUNT];
    const uint8_t *secrets[COUNT];
    bench_member *payer = &members[MEMBERS];
    for (int i = 0; i < COUNT; i++) {
        payments[i] = bench_transfer_tx(chain_id, &payer->key, payer->sequence++, &members[MEMBERS + 1].key, 1 + i);
        secrets[i] = payer->secret;
    }
    bench_sign_all(payments, secrets, COUNT);
    static double latencies[SEQUENTIAL_PAYMENTS];
    int measured = 0;
    CURL *curl = curl_easy_init();
    double deadline = bench_now_seconds() + SEQUENTIAL_SECONDS;
    for (int i = 0; curl && i < COUNT && bench_now_seconds() < deadline; i++) {
        size_t length;
        char *body = bench_binary_body(&payments[i], 1, &length);
        bench_buffer answer = {NULL, 0};
        double start = bench_now_seconds();
        long status = body ? bench_post(curl, node, "/v1/transactions?wait=commit", body, length, BENCH_BINARY,
                                        REQUEST_SECONDS, &answer)
                           : 0;
        double elapsed = bench_now_seconds() - start;
        bool ok = status == 200 && bench_count_of(answer.bytes, "\"committed\"") == 1;
        free(body);
        free(answer.bytes);
        if (!ok) {
            printf("cluster: sequential payment %d to %s was not committed (HTTP %ld)\n", i, node->url, status);
            break;
        }
        if (i >= SEQUENTIAL_WARMUP) latencies[measured++] = elapsed;
    }
    curl_easy_cleanup(curl);
    if (measured > 0) {
        *p50 = bench_percentile(latencies, measured, 50);
        *p99 = bench_percentile(latencies, measured, 99);
    }
    return measured;
}

/* ---- the single node ---- */

typedef struct {
    double rate, p50, p99; /* transfers/s; batch latency */
    double cpu_per_transfer; /* the tallyd's CPU seconds per committed transfer */
    double sequential_p50, sequential_p99;
    int sequential_count;
} single_figures;

static bool run_single(const char *tallyd, int batches_per_client, single_figures *out) {
    memset(out, 0, sizeof *out);
    char directory[] = "/tmp/tally-bench-single-XXXXXX";
    if (!mkdtemp(directory)) return false;
    static const char *const options[] = {"--block-ms", "50", NULL};
    bench_tallyd node;
    bool started = bench_tallyd_start(&node, tallyd, directory, NULL, options);
    CURL *curl = curl_easy_init();
    static workload w;
    bool ok = false;
    if (!started) {
        printf("single: could not start %s\n", tallyd);
        goto done;
    }
    snprintf(producer_log, sizeof producer_log, "%s/data/blocks.log", directory);
    if (!bench_found_network(curl, &node, members, ALL_MEMBERS, "Bench", "BEN", "bench cluster (single)")) goto done;
    if (!workload_make(&w, node.chain_id, batches_per_client)) goto done;
    snapshot a, b;
    take_snapshot(curl, &node, 1, 0, NULL, &a);
    phase_result r = run_phase(&w, &node, 1);
    take_snapshot(curl, &node, 1, 0, NULL, &b);
    out->rate = (double)r.committed / r.seconds;
    out->cpu_per_transfer = r.committed ? (b.tallyd_cpu[0] - a.tallyd_cpu[0]) / (double)r.committed : 0;
    out->p50 = r.p50, out->p99 = r.p99;
    printf("single: one tallyd (--block-ms 50, block at most 8192 transfers), %d clients x %d batches of %d: %llu "
           "committed in %.2f s: %.0f transfers/s; batch commit latency p50 %.0f ms, p99 %.0f ms%s\n",
           CLIENTS, batches_per_client, BATCH, (unsigned long long)r.committed, r.seconds, out->rate, r.p50 * 1e3,
           r.p99 * 1e3, r.failed_batches ? " (SOME BATCHES FAILED)" : "");
    if (r.failed_batches) printf("single: %d batches failed; the first: %s\n", r.failed_batches, r.first_failure);
    print_processes("single", &a, &b, 1, 0, false, false, r.committed, r.seconds);
    out->sequential_count = sequential(&node, node.chain_id, &out->sequential_p50, &out->sequential_p99);
    ok = r.failed_batches == 0 && !r.timed_out;
done:
    workload_free(&w);
    curl_easy_cleanup(curl);
    stop_bounded(&node, "the single node");
    bench_remove_directory(directory, "bench cluster");
    return ok;
}

/* ---- the cluster ---- */

static void cluster_phase(const char *what, CURL *curl, const workload *w, bench_tallyd *nodes, int proposer,
                          bool rotate, const etcd_cluster *etcd, const single_figures *single) {
    snapshot a, b;
    take_snapshot(curl, nodes, VALIDATORS, proposer, etcd, &a);
    phase_result r = rotate ? run_phase(w, nodes, VALIDATORS) : run_phase(w, &nodes[proposer], 1);
    /* The followers may still be verifying when the proposer's clients are answered:
     * how long until every validator holds every block, and the CPU that took too. */
    snapshot answered;
    take_snapshot(curl, nodes, VALIDATORS, proposer, etcd, &answered);
    double lag_ms = 0;
    int still = settle(curl, nodes, VALIDATORS, &lag_ms);
    take_snapshot(curl, nodes, VALIDATORS, proposer, etcd, &b);
    double rate = (double)r.committed / r.seconds;
    double all_rate = (double)r.committed / (r.seconds + lag_ms / 1e3);
    printf("%s: %llu committed in %.2f s: %.0f transfers/s; batch commit latency p50 %.0f ms, p99 %.0f ms%s%s\n",
           what, (unsigned long long)r.committed, r.seconds, rate, r.p50 * 1e3, r.p99 * 1e3,
           r.failed_batches ? "; SOME BATCHES FAILED" : "", "");
    if (r.failed_batches)
        printf("%s: %d batches not committed in full; the first: %s\n", what, r.failed_batches, r.first_failure);
    if (r.timed_out) printf("%s: the phase ran out of its %d s: the cluster is too slow or hung\n", what, PHASE_SECONDS);
    if (still < 0)
        printf("%s: the validators did not reach one height within %d s of the last answer\n", what, SETTLE_MS / 1000);
    else
        printf("%s: every validator held every block %.0f ms after the last answer: %.0f transfers/s applied by all "
               "three\n",
               what, lag_ms, all_rate);
    if (single->rate > 0)
        printf("%s: per-validator efficiency = %.0f x %d / %.0f (single node, same run) = %.2f (target %.1f); with "
               "the followers' lag: %.2f\n",
               what, rate, VALIDATORS, single->rate, rate * VALIDATORS / single->rate, TARGET_EFFICIENCY,
               all_rate * VALIDATORS / single->rate);
    print_processes(what, &a, &answered, VALIDATORS, proposer, true, true, r.committed, r.seconds);
    printf("%s: until every validator held every block:\n", what);
    print_processes(what, &a, &b, VALIDATORS, proposer, true, false, r.committed, r.seconds + lag_ms / 1e3);
    /* The same ratio in CPU time, which neighbours on a shared machine disturb far
     * less than the wall clock: three single nodes would spend 3 x the single node's
     * CPU per transfer. */
    double etcd_cpu = 0, cpu = cpu_between(&a, &b, VALIDATORS, &etcd_cpu);
    double verifying = 0;
    for (int i = 0; i < VALIDATORS; i++)
        verifying += bench_thread_cpu_of(&b.threads[i], "tally-verifier") - bench_thread_cpu_of(&a.threads[i], "tally-verifier");
    if (r.committed && cpu > 0 && single->cpu_per_transfer > 0) {
        double per_transfer = cpu / (double)r.committed;
        printf("%s: per-validator efficiency in CPU time = 3 x %.1f us (the single node's CPU per transfer) / %.1f us "
               "(all 3 tallyd + 3 etcd per transfer) = %.2f (target %.1f); of the cluster's CPU: signature checks "
               "%.0f%%, etcd %.0f%%, the rest of tallyd %.0f%%\n",
               what, single->cpu_per_transfer * 1e6, per_transfer * 1e6,
               VALIDATORS * single->cpu_per_transfer / per_transfer, TARGET_EFFICIENCY, 100 * verifying / cpu,
               100 * etcd_cpu / cpu, 100 * (cpu - verifying - etcd_cpu) / cpu);
    }
}

static void run_cluster(const char *tallyd, int batches_per_client, const single_figures *single) {
    char directory[] = "/tmp/tally-bench-cluster-XXXXXX";
    if (!mkdtemp(directory)) return;
    etcd_cluster etcd;
    memset(&etcd, 0, sizeof etcd);
    bench_tallyd nodes[VALIDATORS];
    memset(nodes, 0, sizeof nodes);
    CURL *curl = curl_easy_init();
    static workload w_proposer, w_round;
    char why[512] = "";
    char addresses[VALIDATORS * 80] = "";
    double started_at = bench_now_seconds();
    if (!etcd_cluster_start(&etcd, VALIDATORS, why, sizeof why)) {
        printf("cluster: etcd did not start: %s; skipped\n", why);
        goto done;
    }
    for (int i = 0; i < VALIDATORS; i++) {
        char sub[128], data[160], address[80];
        snprintf(sub, sizeof sub, "%s/v%d", directory, i + 1);
        snprintf(data, sizeof data, "%s/data", sub);
        if (mkdir(sub, 0700) != 0 || !validator_address(tallyd, data, address, sizeof address)) {
            printf("cluster: could not make validator %d's key\n", i + 1);
            goto done;
        }
        size_t used = strlen(addresses);
        snprintf(addresses + used, sizeof addresses - used, "%s%s", i ? "," : "", address);
    }
    const char *urls = etcd_cluster_urls(&etcd);
    /* As on three machines, each validator asks its own etcd member first (the others
     * after it): one member alone would serve every watch. TALLY_BENCH_CLUSTER_SAME_ETCD
     * set: all of them in one order, the first member first. */
    bool same_order = getenv("TALLY_BENCH_CLUSTER_SAME_ETCD") != NULL;
    for (int i = 0; i < VALIDATORS; i++) {
        char sub[128], own[ETCD_CLUSTER_MEMBERS_MAX * 64] = "";
        snprintf(sub, sizeof sub, "%s/v%d", directory, i + 1);
        for (int k = 0; k < VALIDATORS; k++) {
            size_t used = strlen(own);
            snprintf(own + used, sizeof own - used, "%s%s", k ? "," : "",
                     etcd_cluster_url(&etcd, (uint32_t)((i + k) % VALIDATORS)));
        }
        const char *mine = same_order ? urls : own;
        const char *first[] = {"--validator", "--etcd", mine, "--genesis-validators", addresses, "--chain-name",
                               "bench-cluster", "--block-ms", "50", NULL};
        const char *others[] = {"--validator", "--etcd", mine, "--block-ms", "50", NULL};
        if (!bench_tallyd_start(&nodes[i], tallyd, sub, NULL, i == 0 ? first : others)) {
            printf("cluster: validator %d did not start\n", i + 1);
            goto done;
        }
    }
    double waited_ms = 0;
    int proposer = settle(curl, nodes, VALIDATORS, &waited_ms);
    if (proposer < 0) {
        printf("cluster: no validator became the proposer within %d s\n", SETTLE_MS / 1000);
        goto done;
    }
    snprintf(producer_log, sizeof producer_log, "%s/v%d/data/blocks.log", directory, proposer + 1);
    printf("cluster: 3 etcd members (%s; raft leader: member %d) and 3 release validators (--block-ms 50; %s) up in "
           "%.1f s; validator %d proposes\n",
           urls, etcd_cluster_leader(&etcd) + 1,
           same_order ? "all ask etcd member 1 first" : "validator i asks etcd member i first",
           bench_now_seconds() - started_at, proposer + 1);
    if (!bench_found_network(curl, &nodes[proposer], members, ALL_MEMBERS, "Bench", "BEN", "bench cluster")) goto done;
    if (settle(curl, nodes, VALIDATORS, &waited_ms) != proposer) {
        printf("cluster: after the setup the validators did not agree within %d s, or the lease moved\n",
               SETTLE_MS / 1000);
        goto done;
    }
    printf("cluster: network, %d members and their lines set up through validator %d\n", ALL_MEMBERS, proposer + 1);
    if (!workload_make(&w_proposer, nodes[0].chain_id, batches_per_client) ||
        !workload_make(&w_round, nodes[0].chain_id, batches_per_client))
        goto done;
    {
        /* What the cluster costs doing nothing (leases, the leader checks every 100 ms,
         * watches): the floor under every figure below. */
        snapshot a, b;
        take_snapshot(curl, nodes, VALIDATORS, proposer, &etcd, &a);
        double idle_start = bench_now_seconds();
        bench_sleep_ms(2000);
        take_snapshot(curl, nodes, VALIDATORS, proposer, &etcd, &b);
        double idle_seconds = bench_now_seconds() - idle_start, etcd_idle = 0;
        double idle = cpu_between(&a, &b, VALIDATORS, &etcd_idle);
        printf("cluster: idle for %.1f s: the 6 processes used %.3f CPU s per second (etcd %.3f of it)\n", idle_seconds,
               idle / idle_seconds, etcd_idle / idle_seconds);
    }
    printf("cluster (a): %d clients x %d batches of %d, all to the proposer\n", CLIENTS, batches_per_client, BATCH);
    cluster_phase("cluster (a)", curl, &w_proposer, nodes, proposer, false, &etcd, single);
    int now_proposer = settle(curl, nodes, VALIDATORS, &waited_ms);
    if (now_proposer != proposer) {
        printf("cluster: the proposer changed (now %d) or the validators disagree: stopped here\n", now_proposer + 1);
        goto done;
    }
    printf("cluster (b): %d clients x %d batches of %d, client c to validator c %% 3 + 1\n", CLIENTS,
           batches_per_client, BATCH);
    cluster_phase("cluster (b)", curl, &w_round, nodes, proposer, true, &etcd, single);
    double p50 = 0, p99 = 0, follower_p50 = 0, follower_p99 = 0;
    int count = sequential(&nodes[proposer], nodes[0].chain_id, &p50, &p99);
    int follower = (proposer + 1) % VALIDATORS;
    int follower_count = sequential(&nodes[follower], nodes[0].chain_id, &follower_p50, &follower_p99);
    printf("sequential: %d payments, each sent when the previous one was committed (wait=commit, one kept-alive "
           "connection):\n",
           SEQUENTIAL_PAYMENTS);
    if (single->sequential_count > 0)
        printf("sequential:   single node:              p50 %6.2f ms, p99 %6.2f ms (%d)\n", single->sequential_p50 * 1e3,
               single->sequential_p99 * 1e3, single->sequential_count);
    if (count > 0)
        printf("sequential:   cluster, to the proposer: p50 %6.2f ms, p99 %6.2f ms (%d): %.1fx the single node's p50\n",
               p50 * 1e3, p99 * 1e3, count, single->sequential_p50 > 0 ? p50 / single->sequential_p50 : 0.0);
    if (follower_count > 0)
        printf("sequential:   cluster, to a follower:   p50 %6.2f ms, p99 %6.2f ms (%d): %.1fx the single node's p50\n",
               follower_p50 * 1e3, follower_p99 * 1e3, follower_count,
               single->sequential_p50 > 0 ? follower_p50 / single->sequential_p50 : 0.0);
    double requests = bench_metric(curl, &nodes[proposer], "tally_etcd_requests_total");
    double seconds = bench_metric(curl, &nodes[proposer], "tally_etcd_request_seconds_total");
    if (requests > 0)
        printf("cluster: the proposer's etcd requests over the whole run: %.0f, %.2f ms each on average\n", requests,
               1e3 * seconds / requests);
done:
    workload_free(&w_proposer);
    workload_free(&w_round);
    curl_easy_cleanup(curl);
    for (int i = VALIDATORS - 1; i >= 0; i--) {
        char name[32];
        snprintf(name, sizeof name, "validator %d", i + 1);
        stop_bounded(&nodes[i], name);
    }
    etcd_cluster_stop(&etcd);
    bench_remove_directory(directory, "bench cluster");
}

void bench_cluster(void) {
    const char *tallyd = bench_tallyd_program();
    if (!bench_tallyd_built(tallyd, "cluster")) return;
    const char *batches_text = getenv("TALLY_BENCH_CLUSTER_BATCHES");
    int batches_per_client = batches_text ? atoi(batches_text) : BATCHES_DEFAULT;
    if (batches_per_client < 1 || batches_per_client > BENCH_BATCHES_PER_CLIENT) batches_per_client = BATCHES_DEFAULT;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    double start = bench_now_seconds();
    printf("cluster: the workload of bench_node.c, smaller: %d clients x %d batches of %d signed transfers (of its "
           "%d), %d members; in this run, on one node and then on 3 validators + 3 etcd members on this machine\n",
           CLIENTS, batches_per_client, BATCH, BENCH_BATCHES_PER_CLIENT, MEMBERS);
    single_figures single;
    if (!run_single(tallyd, batches_per_client, &single)) printf("single: the single node's run failed (see above)\n");
    run_cluster(tallyd, batches_per_client, &single);
    printf("cluster: the whole part took %.0f s\n", bench_now_seconds() - start);
    curl_global_cleanup();
}
