/*
 * bench_scale.c: `tally-bench scale`, the end-to-end benchmark at scale (issue 8).
 * For each size N (10,000, 100,000 and 1,000,000 members unless named on the command
 * line) a fresh release tallyd is started (as bench_node.c starts it: --block-ms 50,
 * every block fsynced before its transactions are acknowledged) and filled through
 * its HTTP API with 10,000 networks and N members of the network that pays; then it
 * runs bench_node.c's workload: 16 clients x 40 batches of 256 pre-signed transfers
 * in binary bodies with wait=commit. Payers are the same 4,096 members at every size
 * and payees are drawn from all N, so only the size of the state differs between
 * sizes (and where in it a block writes).
 *
 * For each size it prints the setup time, the committed transfers per second, the
 * time the node took to build and fsync a block of one transaction (its
 * tally_block_seconds after each of 21 lone payments, median) and the node's RSS per
 * member. Then the ratio of the largest size's rate to the smallest's (issue 8's
 * target: at least 0.9 from 10k to 1M members), and the one-transaction block at the
 * largest size next to the time of one small write + fsync on the same disk,
 * measured in the same run (target: under that fsync plus 1 ms).
 *
 * Setup is what costs here (each member joins with its own signed transaction): the
 * joins go in binary bodies of 4,096 (the node's largest) from SETUP_WORKERS threads
 * that each derive keys, sign and post while the others wait for their commit, so
 * signing overlaps the node's verification and block making; the node runs with
 * --block-max 65536 so that what waits goes into one block (fewer, larger blocks make
 * setup quicker: each block costs an fsync). The workload
 * never has more than 16 x 256 transfers waiting, so that option does not change
 * its blocks. Setup ends when the node is idle (its index has caught up), and each
 * measurement starts from an idle node.
 *
 * TALLY_BENCH_TALLYD names another tallyd to measure (an older build, for the
 * figures before a change); it is started with options every version knows.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "bench_tallyd.h"
#include "tally.h"
#include "tally_chain.h"

enum {
    CLIENTS = BENCH_CLIENTS,
    BATCH = BENCH_BATCH,
    BATCHES_PER_CLIENT = BENCH_BATCHES_PER_CLIENT,
    /* Members 0 .. PAYERS - 1 pay; the workload needs CLIENTS * BATCH of them. */
    PAYERS = CLIENTS * BATCH,
    NETWORKS = 10000,
    /* Networks one founder key may found a day (the node's --networks-per-day). */
    NETWORKS_PER_FOUNDER = 1000,
    FOUNDERS = (NETWORKS - 1 + NETWORKS_PER_FOUNDER - 1) / NETWORKS_PER_FOUNDER,
    /* The node's largest binary submission (SUBMISSION_BATCH_MAX). */
    SETUP_BATCH = 4096,
    SETUP_WORKERS = 12,
    LONE_PAYMENTS = 21,
    FSYNC_SAMPLES = 64,
    SIZES_MAX = 8
};
/* The 2^20 member records a network may hold, founder and system accounts aside. */
#define MEMBERS_MAX 1000000u

/* The node of the size being measured (one at a time). */
static bench_tallyd node;

/* Waits (up to 10 minutes) until the node uses under 5% of a core over half a second:
 * its indexer has caught up with the blocks, so what comes next is measured alone. */
static void wait_until_idle(pid_t pid) {
    double before = bench_process_cpu_seconds(pid);
    for (int i = 0; i < 1200 && before >= 0; i++) {
        struct timespec pause = {0, 500 * 1000 * 1000};
        nanosleep(&pause, NULL);
        double now = bench_process_cpu_seconds(pid);
        if (now - before < 0.025) return;
        before = now;
    }
}

/* ---- keys: member i's seed is its number, so a key is derived where it is needed ---- */

typedef struct {
    tally_key key;
    uint8_t secret[TALLY_SECRET_BYTES];
} keypair;

static void derive(uint32_t domain, uint32_t number, keypair *pair) {
    uint8_t seed[32];
    memset(seed, 0, sizeof seed);
    memcpy(seed, "tally-bench-scale", 17);
    for (int i = 0; i < 4; i++) seed[24 + i] = (uint8_t)(domain >> (8 * i));
    for (int i = 0; i < 4; i++) seed[28 + i] = (uint8_t)(number >> (8 * i));
    tally_keypair(&pair->key, pair->secret, seed);
}

enum { DOMAIN_MEMBER = 1, DOMAIN_FOUNDER = 2 };

static tally_key *member_keys;       /* N public keys */
static bench_member payers[PAYERS]; /* members 0 .. PAYERS - 1 */

/* Posts txs (signed) and says whether every one committed. */
static bool post_all_committed(CURL *curl, const tally_tx *txs, uint32_t count, const char *what) {
    char message[96];
    snprintf(message, sizeof message, "scale: %s", what);
    return bench_post_committed(curl, &node, txs, count, 600, message) == count;
}

static tally_tx network_create(const tally_key *founder, uint64_t sequence, uint32_t number) {
    tally_tx tx = bench_tx(node.chain_id, founder, sequence, TALLY_TX_NETWORK_CREATE);
    tally_tx_network_create *body = &tx.body.network_create;
    int length = snprintf(body->name.bytes, sizeof body->name.bytes, number == 1 ? "Bench" : "Scale-%05u",
                          (unsigned)number);
    body->name.length = (uint16_t)length;
    bench_set_text(&body->unit_code, "BEN");
    /* network 1 pays; the others are only there */
    if (number == 1) {
        bench_open_policy(&body->policy);
        body->policy.max_members = TALLY_MEMBER_RECORDS_PER_NETWORK_MAX;
    } else {
        tally_policy_defaults(&body->policy);
    }
    return tx;
}

/* ---- setup: networks, then N joins from several workers ---- */

typedef struct {
    uint32_t members;
    uint32_t next_chunk; /* taken with __atomic_fetch_add */
    bool failed;
} setup_plan;

static void *founder_main(void *context) {
    uint32_t founder = (uint32_t)(uintptr_t)context;
    keypair pair;
    derive(DOMAIN_FOUNDER, founder, &pair);
    uint32_t first = 2 + founder * NETWORKS_PER_FOUNDER, last = first + NETWORKS_PER_FOUNDER - 1;
    if (last > NETWORKS) last = NETWORKS;
    uint32_t count = last - first + 1;
    tally_tx *txs = calloc(count, sizeof *txs);
    for (uint32_t i = 0; i < count; i++) {
        txs[i] = network_create(&pair.key, 1 + i, first + i);
        tally_tx_sign(&txs[i], pair.secret);
    }
    CURL *curl = curl_easy_init();
    bool ok = post_all_committed(curl, txs, count, "founding networks");
    curl_easy_cleanup(curl);
    free(txs);
    sodium_memzero(&pair, sizeof pair);
    return ok ? NULL : (void *)1;
}

static void *join_main(void *context) {
    setup_plan *plan = context;
    CURL *curl = curl_easy_init();
    tally_tx *txs = calloc(SETUP_BATCH, sizeof *txs);
    for (;;) {
        uint32_t chunk = __atomic_fetch_add(&plan->next_chunk, 1, __ATOMIC_RELAXED);
        uint64_t first = (uint64_t)chunk * SETUP_BATCH;
        if (first >= plan->members || __atomic_load_n(&plan->failed, __ATOMIC_RELAXED)) break;
        uint32_t count = plan->members - first < SETUP_BATCH ? (uint32_t)(plan->members - first) : SETUP_BATCH;
        for (uint32_t i = 0; i < count; i++) {
            uint32_t number = (uint32_t)first + i;
            keypair pair;
            derive(DOMAIN_MEMBER, number, &pair);
            member_keys[number] = pair.key;
            if (number < PAYERS) {
                payers[number].key = pair.key;
                memcpy(payers[number].secret, pair.secret, sizeof pair.secret);
            }
            /* member 0 founded network 1 with its first transaction */
            txs[i] = bench_tx(node.chain_id, &pair.key, number == 0 ? 2 : 1, TALLY_TX_MEMBER_JOIN);
            txs[i].body.network_only.network_id = 1;
            tally_tx_sign(&txs[i], pair.secret);
            sodium_memzero(&pair, sizeof pair);
        }
        if (!post_all_committed(curl, txs, count, "joining")) {
            __atomic_store_n(&plan->failed, true, __ATOMIC_RELAXED);
            break;
        }
    }
    free(txs);
    curl_easy_cleanup(curl);
    return NULL;
}

static bool setup(CURL *curl, uint32_t members, double *networks_seconds) {
    double start = bench_now_seconds();
    keypair founder0;
    derive(DOMAIN_MEMBER, 0, &founder0);
    tally_tx bench = network_create(&founder0.key, 1, 1); /* the paying network is network 1 */
    tally_tx_sign(&bench, founder0.secret);
    sodium_memzero(&founder0, sizeof founder0);
    if (!post_all_committed(curl, &bench, 1, "founding the paying network")) return false;
    pthread_t founders[FOUNDERS];
    for (uint32_t f = 0; f < FOUNDERS; f++) pthread_create(&founders[f], NULL, founder_main, (void *)(uintptr_t)f);
    bool ok = true;
    for (uint32_t f = 0; f < FOUNDERS; f++) {
        void *failed = NULL;
        pthread_join(founders[f], &failed);
        ok = ok && !failed;
    }
    *networks_seconds = bench_now_seconds() - start;
    if (!ok) return false;
    setup_plan plan = {members, 0, false};
    pthread_t workers[SETUP_WORKERS];
    for (int w = 0; w < SETUP_WORKERS; w++) pthread_create(&workers[w], NULL, join_main, &plan);
    for (int w = 0; w < SETUP_WORKERS; w++) pthread_join(workers[w], NULL);
    return !plan.failed;
}

/* ---- the workload of bench_node.c, with payees among all N members ---- */

/* The members of the size being measured: payees are drawn from all of them. */
static uint32_t size_members;

/* Transfer i of one of client c's batches, from *seed = 7 in (client, batch, i)
 * order, as bench_transfer but over size_members (a bench_payment_fn). */
static void scale_transfer(uint64_t *seed, int c, int b, int i, int *payer, int *payee, int64_t *amount) {
    (void)b;
    *payer = c + CLIENTS * (i % (PAYERS / CLIENTS));
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    *payee = (int)((*seed >> 33) % size_members);
    if (*payee == *payer) *payee = (int)(((uint32_t)*payee + 1) % size_members);
    *amount = (int64_t)(*seed % 10000) + 1;
}

/* Runs the workload; returns committed transfers per second, and into *bound the
 * verification bound measured just before and just after it (their mean: on a
 * shared machine either alone can be caught by a neighbour). */
static double run_workload(uint32_t members, uint64_t *refused_out, double *bound, double *node_cpu_per_transfer) {
    size_members = members;
    tally_tx *work = bench_transfers_make(node.chain_id, scale_transfer, payers, member_keys);
    if (!work) return 0;
    enum { SAMPLES = 2048 };
    tally_tx *samples = malloc(SAMPLES * sizeof *samples);
    memcpy(samples, work, SAMPLES * sizeof *samples);
    static bench_transfer_run run;
    bench_transfers_prepare(&run, work, &node, BATCHES_PER_CLIENT, 600);
    free(work);
    /* what every core verifies at once, before and after the run (as bench_node.c
     * measures its bound): what a node that checks each signature cannot beat */
    double bound_before = bench_verification_bound(samples, SAMPLES, 1.0, NULL);
    double cpu_before = bench_process_cpu_seconds(node.pid);
    double elapsed = bench_clients_run(run.clients, CLIENTS);
    double cpu_after = bench_process_cpu_seconds(node.pid);
    *bound = (bound_before + bench_verification_bound(samples, SAMPLES, 1.0, NULL)) / 2;
    free(samples);
    uint64_t committed = bench_transfers_finish(&run);
    *refused_out = (uint64_t)CLIENTS * BATCHES_PER_CLIENT * BATCH - committed;
    *node_cpu_per_transfer = cpu_before >= 0 && cpu_after >= 0 && committed > 0 ? (cpu_after - cpu_before) / (double)committed : -1;
    return (double)committed / elapsed;
}

/* Lone payments on the idle node, one at a time: the median of the node's own time
 * to build and fsync each one's block, and of the payment's wait=commit latency. */
static bool lone_blocks(CURL *curl, uint32_t members, double block_seconds[3], double *latency_seconds) {
    double blocks[LONE_PAYMENTS], latencies[LONE_PAYMENTS];
    uint64_t seed = 11;
    for (int k = 0; k < LONE_PAYMENTS; k++) {
        uint32_t payer = (uint32_t)k % PAYERS;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        uint32_t payee = (uint32_t)((seed >> 33) % members);
        if (payee == payer) payee = (payee + 1) % members;
        tally_tx tx = bench_transfer_tx(node.chain_id, &payers[payer].key, payers[payer].sequence++,
                                        &member_keys[payee], 1 + (int64_t)(seed % 100));
        tally_tx_sign(&tx, payers[payer].secret);
        double start = bench_now_seconds();
        if (!post_all_committed(curl, &tx, 1, "a lone payment")) return false;
        latencies[k] = bench_now_seconds() - start;
        blocks[k] = bench_metric(curl, &node, "tally_block_seconds");
        if (blocks[k] < 0) return false;
    }
    block_seconds[0] = bench_percentile(blocks, LONE_PAYMENTS, 0);
    block_seconds[1] = bench_percentile(blocks, LONE_PAYMENTS, 50);
    block_seconds[2] = bench_percentile(blocks, LONE_PAYMENTS, 90);
    *latency_seconds = bench_percentile(latencies, LONE_PAYMENTS, 50);
    return true;
}

/* ---- the same block in process: the core's and the chain's share, without I/O ---- */

/* A key that is only a number: the state needs no real key to apply a block whose
 * signatures are taken as checked (tally_block_build_verified, as the node builds). */
static tally_key numbered_key(uint32_t domain, uint32_t number) {
    tally_key key;
    memset(&key, 0, sizeof key);
    for (int i = 0; i < 4; i++) key.bytes[i] = (uint8_t)(number >> (8 * i));
    for (int i = 0; i < 4; i++) key.bytes[4 + i] = (uint8_t)(domain >> (8 * i));
    key.bytes[31] = 0x5c;
    return key;
}

typedef struct {
    tally_state *state;
    tally_chain_tip tip;
    uint8_t producer_secret[TALLY_SECRET_BYTES];
    int64_t block_time;
    tally_block block;
    tally_result *results;
} local_chain;

static bool local_build(local_chain *chain, const tally_tx *txs, uint32_t count) {
    tally_chain_failure failure;
    memset(&failure, 0, sizeof failure);
    if (tally_block_build_verified(chain->state, &chain->tip, chain->producer_secret, ++chain->block_time, txs, count,
                                   chain->results, &chain->block, &failure) != TALLY_CHAIN_OK) {
        fprintf(stderr, "scale: building in process: %s\n", failure.message);
        return false;
    }
    for (uint32_t i = 0; i < count; i++)
        if (chain->results[i].code != TALLY_OK) {
            fprintf(stderr, "scale: building in process: transaction %u refused (%s)\n", i,
                    tally_error_name(chain->results[i].code));
            return false;
        }
    return true;
}

/* Builds the state of a size in process (the same networks, policies and joins as
 * over HTTP, in blocks of TALLY_BLOCK_TXS_MAX), then LONE_PAYMENTS blocks of one
 * transfer each: the median of their build time, or -1 when something failed. */
static double core_block_seconds(uint32_t members) {
    local_chain chain;
    memset(&chain, 0, sizeof chain);
    chain.block_time = 1700000000;
    tally_block_init(&chain.block);
    tally_block genesis;
    tally_block_init(&genesis);
    tally_key producer;
    tally_keypair(&producer, chain.producer_secret, NULL);
    tally_chain_rules rules;
    tally_chain_rules_defaults(&rules, &producer);
    rules.networks_per_key_per_day = NETWORKS_PER_FOUNDER;
    tally_chain_failure failure;
    memset(&failure, 0, sizeof failure);
    tally_tx *txs = calloc(TALLY_BLOCK_TXS_MAX, sizeof *txs);
    chain.results = calloc(TALLY_BLOCK_TXS_MAX, sizeof *chain.results);
    double median = -1;
    bool ok = txs && chain.results &&
              tally_genesis_make(chain.producer_secret, chain.block_time, "scale", 5, &rules, &genesis, &failure) ==
                  TALLY_CHAIN_OK &&
              tally_genesis_open(&genesis, &chain.state, &chain.tip, &failure) == TALLY_CHAIN_OK;
    /* network 1 by member 0, then the others by their founders, as setup() does */
    if (ok) {
        tally_key founder = numbered_key(DOMAIN_MEMBER, 0);
        tally_tx bench = network_create(&founder, 1, 1);
        memcpy(bench.chain_id, chain.tip.chain_id, sizeof bench.chain_id);
        ok = local_build(&chain, &bench, 1);
    }
    for (uint32_t founder = 0; ok && founder < FOUNDERS; founder++) {
        uint32_t count = 0;
        for (uint32_t number = 2 + founder * NETWORKS_PER_FOUNDER;
             number <= NETWORKS && count < NETWORKS_PER_FOUNDER; number++, count++) {
            tally_key key = numbered_key(DOMAIN_FOUNDER, founder);
            txs[count] = network_create(&key, 1 + count, number);
            memcpy(txs[count].chain_id, chain.tip.chain_id, sizeof txs[count].chain_id);
        }
        ok = local_build(&chain, txs, count);
    }
    for (uint32_t first = 0; ok && first < members; first += TALLY_BLOCK_TXS_MAX) {
        uint32_t count = members - first < TALLY_BLOCK_TXS_MAX ? members - first : TALLY_BLOCK_TXS_MAX;
        for (uint32_t i = 0; i < count; i++) {
            tally_key key = numbered_key(DOMAIN_MEMBER, first + i);
            txs[i] = bench_tx(chain.tip.chain_id, &key, first + i == 0 ? 2 : 1, TALLY_TX_MEMBER_JOIN);
            txs[i].body.network_only.network_id = 1;
        }
        ok = local_build(&chain, txs, count);
    }
    double samples[LONE_PAYMENTS];
    uint64_t seed = 11;
    for (int k = 0; ok && k < LONE_PAYMENTS; k++) {
        uint32_t payer = (uint32_t)k;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        uint32_t payee = (uint32_t)((seed >> 33) % members);
        if (payee == payer) payee = (payee + 1) % members;
        tally_key key = numbered_key(DOMAIN_MEMBER, payer), payee_key = numbered_key(DOMAIN_MEMBER, payee);
        tally_tx tx = bench_transfer_tx(chain.tip.chain_id, &key, payer == 0 ? 3 : 2, &payee_key,
                                        1 + (int64_t)(seed % 100));
        double start = bench_now_seconds();
        ok = local_build(&chain, &tx, 1);
        samples[k] = bench_now_seconds() - start;
    }
    if (ok) {
        median = bench_percentile(samples, LONE_PAYMENTS, 50);
    } else if (failure.message[0]) {
        fprintf(stderr, "scale: building in process: %s\n", failure.message);
    }
    if (chain.state) tally_state_destroy(chain.state);
    tally_block_release(&chain.block);
    tally_block_release(&genesis);
    free(txs);
    free(chain.results);
    sodium_memzero(chain.producer_secret, sizeof chain.producer_secret);
    return median;
}

/* One small append and fsync on the disk the nodes write to (the block log's own
 * pattern: append a record, fsync), repeated; the median. */
static double fsync_seconds(const char *directory) {
    char path[320];
    snprintf(path, sizeof path, "%s/fsync-probe", directory);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0600);
    if (fd < 0) return -1;
    uint8_t record[512];
    memset(record, 0x5a, sizeof record);
    double samples[FSYNC_SAMPLES];
    bool ok = true;
    for (int i = 0; i < FSYNC_SAMPLES && ok; i++) {
        double start = bench_now_seconds();
        ok = write(fd, record, sizeof record) == (ssize_t)sizeof record && fsync(fd) == 0;
        samples[i] = bench_now_seconds() - start;
    }
    close(fd);
    unlink(path);
    if (!ok) return -1;
    return bench_percentile(samples, FSYNC_SAMPLES, 50);
}

typedef struct {
    uint32_t members;
    double setup_seconds, networks_seconds, rate, bound, node_cpu_per_transfer, latency_seconds;
    double block_seconds[3]; /* a one-transaction block in the node: min, median, p90 */
    double core_block_seconds; /* the same block built in process (median), no I/O */
    uint64_t refused, rss_kib, member_records;
    bool ok;
} size_result;

static void measure_size(const char *tallyd, uint32_t members, size_result *result) {
    memset(result, 0, sizeof *result);
    result->members = members;
    char directory[] = "/tmp/tally-bench-scale-XXXXXX";
    if (!mkdtemp(directory)) return;
    /* --block-max: what waits during setup goes into one block (see above) */
    static const char *const options[] = {"--block-ms", "50", "--block-max", "65536", "--networks-per-day", "1000",
                                          NULL};
    bool started = bench_tallyd_start(&node, tallyd, directory, NULL, options);
    CURL *curl = curl_easy_init();
    if (!started) {
        printf("scale: could not start %s\n", tallyd);
        goto done;
    }
    member_keys = calloc(members, sizeof *member_keys);
    printf("scale: %u members: setting up %d networks and %u members over HTTP ...\n", members, NETWORKS,
           members);
    fflush(stdout);
    double start = bench_now_seconds(), node_cpu_start = bench_process_cpu_seconds(node.pid),
           own_cpu_start = bench_own_cpu_seconds();
    bool ok = setup(curl, members, &result->networks_seconds);
    double joined = bench_now_seconds();
    if (ok) wait_until_idle(node.pid);
    result->setup_seconds = bench_now_seconds() - start;
    double node_cpu_setup = bench_process_cpu_seconds(node.pid) - node_cpu_start,
           own_cpu_setup = bench_own_cpu_seconds() - own_cpu_start;
    if (!ok) goto done;
    /* Each payer's next sequence: member 0 founded network 1 (1), then joined (2);
     * every other payer only joined (1). */
    for (uint32_t p = 0; p < PAYERS; p++) payers[p].sequence = p == 0 ? 3 : 2;
    result->member_records = (uint64_t)bench_metric(curl, &node, "tally_member_records");
    double networks = bench_metric(curl, &node, "tally_networks");
    double join_seconds = joined - start - result->networks_seconds;
    printf("scale: %u members: set up in %.1f s: %d networks in %.1f s, %u joins committed in %.1f s (%.0f/s), "
           "the node idle (its index caught up) %.1f s later; CPU: node %.1f s, clients (keys, signatures) %.1f s; "
           "%.0f networks, %" PRIu64 " member records (system accounts included)\n",
           members, result->setup_seconds, NETWORKS, result->networks_seconds, members, join_seconds,
           members / join_seconds, bench_now_seconds() - joined, node_cpu_setup, own_cpu_setup, networks, result->member_records);
    fflush(stdout);
    result->rate = run_workload(members, &result->refused, &result->bound, &result->node_cpu_per_transfer);
    wait_until_idle(node.pid);
    if (!lone_blocks(curl, members, result->block_seconds, &result->latency_seconds)) goto done;
    result->rss_kib = bench_process_kib(node.pid, "VmRSS");
    printf("scale: %u members: %.0f committed transfers/s (%" PRIu64 " refused), %.0f%% of the Ed25519 bound of "
           "this machine in the same run (%.0f/s), node CPU %.0f us per transfer; a block of one transaction: %.2f ms to build and fsync (median "
           "of %d; min %.2f, p90 %.2f; the payment's wait=commit %.1f ms); node RSS %.0f MiB, %.0f bytes per member\n",
           members, result->rate, result->refused, 100 * result->rate / result->bound, result->bound,
           result->node_cpu_per_transfer * 1e6, result->block_seconds[1] * 1e3, LONE_PAYMENTS,
           result->block_seconds[0] * 1e3, result->block_seconds[2] * 1e3,
           result->latency_seconds * 1e3, result->rss_kib / 1024.0, result->rss_kib * 1024.0 / members);
    fflush(stdout);
    result->ok = true;
done:
    curl_easy_cleanup(curl);
    free(member_keys);
    member_keys = NULL;
    bench_tallyd_stop(&node);
    bench_remove_directory(directory, "scale");
    if (result->ok) {
        result->core_block_seconds = core_block_seconds(members);
        printf("scale: %u members: the same one-transfer block built in process (core and chain, no I/O): %.3f ms "
               "(median of %d)\n",
               members, result->core_block_seconds * 1e3, LONE_PAYMENTS);
        fflush(stdout);
    }
}

void bench_scale(int size_count, const uint32_t *sizes) {
    static const uint32_t default_sizes[] = {10000, 100000, 1000000};
    if (size_count == 0) {
        sizes = default_sizes;
        size_count = 3;
    }
    const char *tallyd = bench_tallyd_program();
    if (!bench_tallyd_built(tallyd, "scale")) return;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    printf("scale: %s; %d networks; %d clients x %d batches of %d signed transfers (binary bodies, wait=commit), "
           "every block fsynced; payers the same %d members at every size, payees any member\n",
           tallyd, NETWORKS, CLIENTS, BATCHES_PER_CLIENT, BATCH, PAYERS);
    char probe_directory[] = "/tmp/tally-bench-scale-XXXXXX";
    double fsync_before = mkdtemp(probe_directory) ? fsync_seconds(probe_directory) : -1;
    size_result results[SIZES_MAX];
    int measured = 0;
    for (int s = 0; s < size_count && s < SIZES_MAX; s++) {
        if (sizes[s] < PAYERS || sizes[s] > MEMBERS_MAX) {
            printf("scale: %u members: a size is %d to %u; skipped\n", sizes[s], PAYERS, MEMBERS_MAX);
            continue;
        }
        measure_size(tallyd, sizes[s], &results[measured]);
        if (results[measured].ok) measured++;
    }
    double fsync_after = fsync_seconds(probe_directory);
    rmdir(probe_directory);
    double fsync = fsync_before > 0 && fsync_after > 0 ? (fsync_before + fsync_after) / 2
                                                       : (fsync_before > 0 ? fsync_before : fsync_after);
    printf("\nscale summary (%s):\n", tallyd);
    printf("  %10s  %9s  %12s  %9s  %11s  %14s  %12s  %9s  %12s\n", "members", "setup s", "transfers/s",
           "of bound", "node CPU us", "1-tx block ms", "in process", "RSS MiB", "RSS B/member");
    for (int s = 0; s < measured; s++)
        printf("  %10u  %9.1f  %12.0f  %8.0f%%  %11.0f  %14.2f  %12.3f  %9.0f  %12.0f\n", results[s].members,
               results[s].setup_seconds, results[s].rate, 100 * results[s].rate / results[s].bound,
               results[s].node_cpu_per_transfer * 1e6, results[s].block_seconds[1] * 1e3,
               results[s].core_block_seconds * 1e3, results[s].rss_kib / 1024.0,
               results[s].rss_kib * 1024.0 / results[s].members);
    printf("  fsync of a 512-byte append on the same disk, same run: %.2f ms (median of %d, before and after)\n",
           fsync * 1e3, FSYNC_SAMPLES);
    if (measured >= 2) {
        const size_result *small = &results[0], *large = &results[measured - 1];
        printf("  rate at %u members / rate at %u members = %.2f (target at least 0.90); as shares of the "
               "verification bound measured with each: %.2f\n",
               large->members, small->members, large->rate / small->rate,
               (large->rate / large->bound) / (small->rate / small->bound));
        printf("  node CPU per transfer at %u members / at %u members = %.2f (CPU time is less disturbed by "
               "neighbours than rates are)\n",
               large->members, small->members, large->node_cpu_per_transfer / small->node_cpu_per_transfer);
        printf("  RSS per member added from %u to %u members: %.0f bytes\n", small->members, large->members,
               ((double)large->rss_kib - (double)small->rss_kib) * 1024.0 / (large->members - small->members));
    }
    if (measured >= 1) {
        const size_result *large = &results[measured - 1];
        printf("  a block of one transaction at %u members: %.2f ms in the node (min %.2f) = fsync %.2f ms + %.2f ms "
               "(target: fsync + under 1 ms); built in process %.3f ms\n",
               large->members, large->block_seconds[1] * 1e3, large->block_seconds[0] * 1e3, fsync * 1e3,
               (large->block_seconds[1] - fsync) * 1e3, large->core_block_seconds * 1e3);
    }
    curl_global_cleanup();
}
