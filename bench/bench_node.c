/*
 * bench_node.c: the end-to-end benchmark. A release tallyd is started on loopback
 * with a fresh data directory (every block fsynced before its transactions are
 * acknowledged); many client threads submit pre-signed transfers in batches over
 * HTTP and wait for each batch's commit. It prints committed transfers per second and
 * the p50/p99 commit latency of a batch, next to what both cores of this machine can
 * verify with libsodium in the same run: the bound a node that checks every signature
 * cannot beat. The target is 80% of that bound.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "tally.h"

#define TALLYD "build/release/tallyd"
enum {
    MEMBERS = BENCH_MEMBERS,
    CLIENTS = BENCH_CLIENTS,
    BATCH = BENCH_BATCH,
    BATCHES_PER_CLIENT = BENCH_BATCHES_PER_CLIENT,
    VERIFY_SAMPLES = 2048
};

typedef struct {
    char *bytes;
    size_t length;
} buffer;

static size_t collect(char *data, size_t size, size_t count, void *context) {
    buffer *into = context;
    char *grown = realloc(into->bytes, into->length + size * count + 1);
    if (!grown) return 0;
    memcpy(grown + into->length, data, size * count);
    into->bytes = grown;
    into->length += size * count;
    into->bytes[into->length] = '\0';
    return size * count;
}

static char node_url[64];

/* POSTs body to path; returns the HTTP status and the answer (caller frees). */
static long post(CURL *curl, const char *path, const char *body, size_t length, buffer *answer) {
    char url[128];
    snprintf(url, sizeof url, "%s%s", node_url, path);
    answer->bytes = NULL;
    answer->length = 0;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)length);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

static size_t count_of(const char *text, const char *needle) {
    size_t count = 0;
    for (const char *at = text ? strstr(text, needle) : NULL; at; at = strstr(at + 1, needle)) count++;
    return count;
}

/* ---- verification bound: every core verifying at once ---- */

typedef struct {
    const tally_tx *txs;
    double seconds;
    uint64_t verified;
} verify_job;

static void *verify_worker(void *context) {
    verify_job *job = context;
    double start = bench_now_seconds();
    uint64_t done = 0;
    while (bench_now_seconds() - start < job->seconds) {
        for (int i = 0; i < 64; i++)
            if (tally_tx_verify(&job->txs[(done + (uint64_t)i) % VERIFY_SAMPLES])) job->verified++;
        done += 64;
    }
    job->seconds = bench_now_seconds() - start;
    return NULL;
}

static double verification_bound(const tally_tx *samples, int cores) {
    pthread_t threads[64];
    verify_job jobs[64];
    for (int i = 0; i < cores; i++) {
        jobs[i] = (verify_job){samples, 1.5, 0};
        pthread_create(&threads[i], NULL, verify_worker, &jobs[i]);
    }
    double rate = 0;
    for (int i = 0; i < cores; i++) {
        pthread_join(threads[i], NULL);
        rate += (double)jobs[i].verified / jobs[i].seconds;
    }
    return rate;
}

/* ---- the workload ---- */

typedef struct {
    tally_key key;
    uint8_t secret[TALLY_SECRET_BYTES];
    uint64_t sequence;
} member;

static member members[MEMBERS];
static uint8_t chain_id[TALLY_CHAIN_ID_BYTES];

static char *hex_body(const tally_tx *txs, uint32_t count, size_t *length) {
    size_t capacity = (size_t)count * (2 * TALLY_TX_SINGLE_ENCODED_MAX + 4) + 32;
    char *body = malloc(capacity);
    size_t at = (size_t)snprintf(body, capacity, "{\"txs\":[");
    for (uint32_t i = 0; i < count; i++) {
        uint8_t bytes[TALLY_TX_SINGLE_ENCODED_MAX];
        size_t encoded = tally_tx_encode(&txs[i], bytes, sizeof bytes);
        body[at++] = '"';
        sodium_bin2hex(body + at, capacity - at, bytes, encoded);
        at += 2 * encoded;
        body[at++] = '"';
        if (i + 1 < count) body[at++] = ',';
    }
    at += (size_t)snprintf(body + at, capacity - at, "]}");
    *length = at;
    return body;
}

/* The compact form: (u16 length | signed encoding) per transaction. */
static char *binary_body(const tally_tx *txs, uint32_t count, size_t *length) {
    char *body = malloc((size_t)count * (2 + TALLY_TX_SINGLE_ENCODED_MAX));
    size_t at = 0;
    for (uint32_t i = 0; i < count; i++) {
        size_t encoded = tally_tx_encode(&txs[i], (uint8_t *)body + at + 2, TALLY_TX_SINGLE_ENCODED_MAX);
        body[at] = (char)(encoded & 0xff);
        body[at + 1] = (char)(encoded >> 8);
        at += 2 + encoded;
    }
    *length = at;
    return body;
}

static tally_tx new_tx(member *signer, tally_tx_type type) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = (uint8_t)type;
    memcpy(tx.chain_id, chain_id, sizeof chain_id);
    tx.signer = signer->key;
    tx.sequence = signer->sequence++;
    return tx;
}

typedef struct {
    tally_tx *txs;
    uint32_t begin, end;
} sign_job;

static void *sign_worker(void *context) {
    sign_job *job = context;
    for (uint32_t i = job->begin; i < job->end; i++) {
        const member *signer = NULL;
        for (int m = 0; m < MEMBERS && !signer; m++)
            if (memcmp(members[m].key.bytes, job->txs[i].signer.bytes, TALLY_KEY_BYTES) == 0) signer = &members[m];
        tally_tx_sign(&job->txs[i], signer->secret);
    }
    return NULL;
}

static void sign_all(tally_tx *txs, uint32_t count) {
    sign_job jobs[2] = {{txs, 0, count / 2}, {txs, count / 2, count}};
    pthread_t other;
    pthread_create(&other, NULL, sign_worker, &jobs[1]);
    sign_worker(&jobs[0]);
    pthread_join(other, NULL);
}

typedef struct {
    char *bodies[BATCHES_PER_CLIENT];
    size_t lengths[BATCHES_PER_CLIENT];
    double latencies[BATCHES_PER_CLIENT];
    uint64_t committed, refused;
} client;

static client clients[CLIENTS];

static void *client_main(void *context) {
    client *c = context;
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/octet-stream");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    for (int b = 0; b < BATCHES_PER_CLIENT; b++) {
        buffer answer;
        double start = bench_now_seconds();
        long status = post(curl, "/v1/transactions?wait=commit", c->bodies[b], c->lengths[b], &answer);
        c->latencies[b] = bench_now_seconds() - start;
        size_t committed = status == 200 ? count_of(answer.bytes, "\"committed\"") : 0;
        c->committed += committed;
        c->refused += BATCH - committed;
        free(answer.bytes);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return NULL;
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static pid_t start_node(const char *directory) {
    char data[300], port_file[320];
    snprintf(data, sizeof data, "%s/data", directory);
    snprintf(port_file, sizeof port_file, "%s/port", directory);
    pid_t pid = fork();
    if (pid == 0) {
        execl(TALLYD, TALLYD, "--data", data, "--listen", "127.0.0.1:0", "--port-file", port_file, "--quiet",
              "--block-ms", "50", (char *)NULL);
        _exit(127);
    }
    for (int attempt = 0; attempt < 200; attempt++) {
        FILE *file = fopen(port_file, "r");
        unsigned port = 0;
        if (file) {
            if (fscanf(file, "%u", &port) != 1) port = 0;
            fclose(file);
        }
        if (port) {
            snprintf(node_url, sizeof node_url, "http://127.0.0.1:%u", port);
            return pid;
        }
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    kill(pid, SIGKILL);
    return -1;
}

/* Reads the chain id from /v1/status. */
static bool read_chain_id(CURL *curl) {
    char url[128];
    snprintf(url, sizeof url, "%s/v1/status", node_url);
    buffer answer = {NULL, 0};
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
    bool ok = curl_easy_perform(curl) == CURLE_OK && answer.bytes;
    const char *at = ok ? strstr(answer.bytes, "\"chain_id\":\"") : NULL;
    size_t length = 0;
    ok = at && sodium_hex2bin(chain_id, sizeof chain_id, at + 12, 64, NULL, &length, NULL) == 0 && length == 32;
    free(answer.bytes);
    return ok;
}

/* Submits txs (signed here) in batches with wait=commit; true when all committed. */
static bool setup_batch(CURL *curl, tally_tx *txs, uint32_t count) {
    sign_all(txs, count);
    for (uint32_t at = 0; at < count; at += 1000) {
        uint32_t n = count - at < 1000 ? count - at : 1000;
        size_t length;
        char *body = hex_body(txs + at, n, &length);
        buffer answer;
        long status = post(curl, "/v1/transactions?wait=commit", body, length, &answer);
        bool ok = status == 200 && count_of(answer.bytes, "\"committed\"") == n;
        if (!ok) fprintf(stderr, "bench node: setup refused: %.300s\n", answer.bytes ? answer.bytes : "(no answer)");
        free(body);
        free(answer.bytes);
        if (!ok) return false;
    }
    return true;
}

void bench_node(double *committed_per_second) {
    *committed_per_second = 0;
    if (access(TALLYD, X_OK) != 0) {
        printf("node: %s is not built; skipped\n", TALLYD);
        return;
    }
    char directory[] = "/tmp/tally-bench-XXXXXX";
    if (!mkdtemp(directory)) return;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pid_t node = start_node(directory);
    CURL *curl = curl_easy_init();
    if (node <= 0 || !read_chain_id(curl)) {
        printf("node: could not start %s\n", TALLYD);
        goto done;
    }
    for (int i = 0; i < MEMBERS; i++) {
        tally_keypair(&members[i].key, members[i].secret, NULL);
        members[i].sequence = 1;
    }
    /* member 0 founds an open network with a default line for everyone */
    tally_tx *setup = calloc(MEMBERS, sizeof *setup);
    setup[0] = new_tx(&members[0], TALLY_TX_NETWORK_CREATE);
    memcpy(setup[0].body.network_create.name.bytes, "Bench", 5);
    setup[0].body.network_create.name.length = 5;
    memcpy(setup[0].body.network_create.unit_code.bytes, "BEN", 3);
    setup[0].body.network_create.unit_code.length = 3;
    tally_policy *policy = &setup[0].body.network_create.policy;
    tally_policy_defaults(policy);
    policy->membership_mode = TALLY_MEMBERSHIP_OPEN;
    policy->default_credit_limit = BENCH_CREDIT_LIMIT;
    policy->max_credit_limit = BENCH_CREDIT_LIMIT;
    policy->fee_bps = BENCH_FEE_BPS;
    policy->period_seconds = 365 * 24 * 3600;
    policy->compliance_rule = TALLY_COMPLIANCE_REBALANCED;
    policy->auto_renew = true;
    bool ok = setup_batch(curl, setup, 1);
    for (int i = 0; i < MEMBERS && ok; i++) {
        setup[i] = new_tx(&members[i], TALLY_TX_MEMBER_JOIN);
        setup[i].body.network_only.network_id = 1;
    }
    ok = ok && setup_batch(curl, setup, MEMBERS);
    free(setup);
    if (!ok) goto done;

    /* Each client pays from its own members, so its batches keep their order. */
    uint32_t total = CLIENTS * BATCHES_PER_CLIENT * BATCH;
    tally_tx *work = calloc(total, sizeof *work);
    uint64_t seed = 7;
    for (int c = 0; c < CLIENTS; c++)
        for (int b = 0; b < BATCHES_PER_CLIENT; b++)
            for (int i = 0; i < BATCH; i++) {
                uint32_t slot = ((uint32_t)c * BATCHES_PER_CLIENT + (uint32_t)b) * BATCH + (uint32_t)i;
                int payer, payee;
                int64_t amount;
                bench_transfer(&seed, c, i, &payer, &payee, &amount);
                work[slot] = new_tx(&members[payer], TALLY_TX_TRANSFER);
                work[slot].body.transfer.network_id = 1;
                work[slot].body.transfer.payee = members[payee].key;
                work[slot].body.transfer.amount = amount;
                work[slot].body.transfer.max_fee = BENCH_MAX_FEE;
            }
    printf("node: signing %u transfers for %d clients ...\n", total, CLIENTS);
    sign_all(work, total);
    for (int c = 0; c < CLIENTS; c++)
        for (int b = 0; b < BATCHES_PER_CLIENT; b++)
            clients[c].bodies[b] = binary_body(work + ((uint32_t)c * BATCHES_PER_CLIENT + (uint32_t)b) * BATCH, BATCH,
                                               &clients[c].lengths[b]);

    /* The bound is measured just before and just after the node's run, and the mean
     * is used: on a shared machine either one alone can be caught by a neighbour. */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    double bound_before = verification_bound(work, (int)(cores > 0 ? cores : 1));

    pthread_t threads[CLIENTS];
    double start = bench_now_seconds();
    for (int c = 0; c < CLIENTS; c++) pthread_create(&threads[c], NULL, client_main, &clients[c]);
    for (int c = 0; c < CLIENTS; c++) pthread_join(threads[c], NULL);
    double elapsed = bench_now_seconds() - start;
    double bound_after = verification_bound(work, (int)(cores > 0 ? cores : 1));
    double bound = (bound_before + bound_after) / 2;

    uint64_t committed = 0, refused = 0;
    double latencies[CLIENTS * BATCHES_PER_CLIENT];
    for (int c = 0; c < CLIENTS; c++) {
        committed += clients[c].committed;
        refused += clients[c].refused;
        memcpy(latencies + c * BATCHES_PER_CLIENT, clients[c].latencies, sizeof clients[c].latencies);
        for (int b = 0; b < BATCHES_PER_CLIENT; b++) free(clients[c].bodies[b]);
    }
    qsort(latencies, CLIENTS * BATCHES_PER_CLIENT, sizeof latencies[0], compare_double);
    double p50 = latencies[CLIENTS * BATCHES_PER_CLIENT / 2], p99 = latencies[CLIENTS * BATCHES_PER_CLIENT * 99 / 100];
    *committed_per_second = (double)committed / elapsed;
    printf("node: %d clients x %d batches of %d signed transfers (binary bodies) over HTTP, each block fsynced before "
           "its commit is acknowledged\n",
           CLIENTS, BATCHES_PER_CLIENT, BATCH);
    printf("node: %llu committed (%llu refused) in %.2f s: %.0f transfers/s; batch commit latency p50 %.0f ms, p99 %.0f "
           "ms\n",
           (unsigned long long)committed, (unsigned long long)refused, elapsed, *committed_per_second, p50 * 1e3,
           p99 * 1e3);
    printf("node: Ed25519 verification bound of %ld cores, same run: %.0f /s (%.0f before, %.0f after); the node "
           "reaches %.0f%% of it (target 80%%)\n",
           cores, bound, bound_before, bound_after, 100.0 * *committed_per_second / bound);
    free(work);
done:
    curl_easy_cleanup(curl);
    if (node > 0) {
        kill(node, SIGTERM);
        waitpid(node, NULL, 0);
    }
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", directory);
    if (system(command) != 0) fprintf(stderr, "bench node: could not remove %s\n", directory);
    curl_global_cleanup();
}
