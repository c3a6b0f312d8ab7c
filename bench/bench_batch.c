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
    LINES = BENCH_PAYROLL_LINES,
    BATCHES_PER_CLIENT = BENCH_PAYROLLS_PER_CLIENT,
    SETUP_PER_REQUEST = 1000
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
static uint8_t chain_id[TALLY_CHAIN_ID_BYTES];

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

/* (u16 length | signed encoding) per transaction. */
static char *binary_body(const tally_tx *txs, uint32_t count, size_t *length) {
    size_t capacity = 0;
    for (uint32_t i = 0; i < count; i++) capacity += 2 + tally_tx_encoded_size(&txs[i]);
    char *body = malloc(capacity ? capacity : 1);
    size_t at = 0;
    for (uint32_t i = 0; body && i < count; i++) {
        size_t encoded = tally_tx_encode(&txs[i], (uint8_t *)body + at + 2, capacity - at - 2);
        body[at] = (char)(encoded & 0xff);
        body[at + 1] = (char)(encoded >> 8);
        at += 2 + encoded;
    }
    *length = at;
    return body;
}

typedef struct {
    tally_key key;
    uint8_t secret[TALLY_SECRET_BYTES];
    uint64_t sequence;
} member;

static member members[MEMBERS];

static tally_tx new_tx(member *signer, tally_tx_type type) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = (uint8_t)type;
    memcpy(tx.chain_id, chain_id, sizeof chain_id);
    tx.signer = signer->key;
    tx.sequence = signer->sequence++;
    return tx;
}

static const member *member_of(const tally_key *key) {
    for (int m = 0; m < MEMBERS; m++)
        if (memcmp(members[m].key.bytes, key->bytes, TALLY_KEY_BYTES) == 0) return &members[m];
    return NULL;
}

typedef struct {
    tally_tx *txs;
    uint32_t begin, end;
} sign_job;

static void *sign_worker(void *context) {
    sign_job *job = context;
    for (uint32_t i = job->begin; i < job->end; i++) tally_tx_sign(&job->txs[i], member_of(&job->txs[i].signer)->secret);
    return NULL;
}

static void sign_all(tally_tx *txs, uint32_t count) {
    sign_job jobs[2] = {{txs, 0, count / 2}, {txs, count / 2, count}};
    pthread_t other;
    pthread_create(&other, NULL, sign_worker, &jobs[1]);
    sign_worker(&jobs[0]);
    pthread_join(other, NULL);
}

static pid_t start_node(const char *directory) {
    char data[300], port_file[320];
    snprintf(data, sizeof data, "%s/data", directory);
    snprintf(port_file, sizeof port_file, "%s/port", directory);
    pid_t pid = fork();
    if (pid == 0) {
        execl(TALLYD, TALLYD, "--data", data, "--listen", "127.0.0.1:0", "--port-file", port_file, "--quiet",
              "--block-ms", "1", (char *)NULL);
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

/* Signs and submits txs in requests of SETUP_PER_REQUEST with wait=commit. */
static bool setup_submit(CURL *curl, tally_tx *txs, uint32_t count) {
    sign_all(txs, count);
    for (uint32_t at = 0; at < count; at += SETUP_PER_REQUEST) {
        uint32_t n = count - at < SETUP_PER_REQUEST ? count - at : SETUP_PER_REQUEST;
        size_t length;
        char *body = binary_body(txs + at, n, &length);
        buffer answer;
        long status = body ? post(curl, "/v1/transactions?wait=commit", body, length, &answer) : 0;
        bool ok = status == 200 && count_of(answer.bytes, "\"committed\"") == n;
        if (!ok) fprintf(stderr, "bench batch: setup refused: %.300s\n", body && answer.bytes ? answer.bytes : "(no answer)");
        free(body);
        if (body) free(answer.bytes);
        if (!ok) return false;
    }
    return true;
}

/* The network and members of bench_node.c: member 0 founds an open network whose
 * default line lends BENCH_CREDIT_LIMIT, everyone joins. */
static bool setup_network(CURL *curl) {
    for (int i = 0; i < MEMBERS; i++) {
        tally_keypair(&members[i].key, members[i].secret, NULL);
        members[i].sequence = 1;
    }
    tally_tx *setup = calloc(MEMBERS, sizeof *setup);
    if (!setup) return false;
    setup[0] = new_tx(&members[0], TALLY_TX_NETWORK_CREATE);
    memcpy(setup[0].body.network_create.name.bytes, "Payroll", 7);
    setup[0].body.network_create.name.length = 7;
    memcpy(setup[0].body.network_create.unit_code.bytes, "PAY", 3);
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
    bool ok = setup_submit(curl, setup, 1);
    for (int i = 0; i < MEMBERS && ok; i++) {
        setup[i] = new_tx(&members[i], TALLY_TX_MEMBER_JOIN);
        setup[i].body.network_only.network_id = 1;
    }
    ok = ok && setup_submit(curl, setup, MEMBERS);
    free(setup);
    return ok;
}

typedef struct {
    char *bodies[BATCHES_PER_CLIENT];
    size_t lengths[BATCHES_PER_CLIENT];
    double latencies[BATCHES_PER_CLIENT];
    uint64_t committed, refused; /* payments */
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
        bool committed = status == 200 && count_of(answer.bytes, "\"committed\"") == 1;
        if (committed) c->committed += LINES;
        else c->refused += LINES;
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

/* Client c's batch b, from the shared workload (bench_payroll_line). */
static bool make_batch(uint64_t *seed, int c, int b, tally_tx *tx) {
    int payer = 0, payee;
    int64_t amount;
    tally_batch_line lines[LINES];
    memset(lines, 0, sizeof lines);
    for (int i = 0; i < LINES; i++) {
        bench_payroll_line(seed, c, b, i, &payer, &payee, &amount);
        lines[i].payee = members[payee].key;
        lines[i].amount = amount;
    }
    *tx = new_tx(&members[payer], TALLY_TX_TRANSFER_BATCH);
    tx->body.transfer_batch.network_id = 1;
    tx->body.transfer_batch.max_fee = (int64_t)BENCH_MAX_FEE * LINES;
    if (!tally_tx_batch_reserve(tx, LINES)) return false;
    memcpy(tx->body.transfer_batch.lines, lines, sizeof lines);
    return true;
}

void bench_batch(double *committed_per_second, double *postgres_per_second) {
    *committed_per_second = *postgres_per_second = 0;
    if (access(TALLYD, X_OK) != 0) {
        printf("batch: %s is not built; skipped\n", TALLYD);
        return;
    }
    char directory[] = "/tmp/tally-bench-batch-XXXXXX";
    if (!mkdtemp(directory)) return;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pid_t node = start_node(directory);
    CURL *curl = curl_easy_init();
    uint32_t total = CLIENTS * BATCHES_PER_CLIENT;
    tally_tx *work = calloc(total, sizeof *work);
    struct curl_slist *binary = curl_slist_append(NULL, "Content-Type: application/octet-stream");
    if (node <= 0 || !read_chain_id(curl)) {
        printf("batch: could not start %s\n", TALLYD);
        goto done;
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, binary);
    if (!work || !setup_network(curl)) goto done;

    uint64_t seed = 7;
    for (int c = 0; c < CLIENTS; c++)
        for (int b = 0; b < BATCHES_PER_CLIENT; b++)
            if (!make_batch(&seed, c, b, &work[c * BATCHES_PER_CLIENT + b])) goto done;
    sign_all(work, total);
    for (int c = 0; c < CLIENTS; c++)
        for (int b = 0; b < BATCHES_PER_CLIENT; b++)
            clients[c].bodies[b] = binary_body(&work[c * BATCHES_PER_CLIENT + b], 1, &clients[c].lengths[b]);

    pthread_t threads[CLIENTS];
    double start = bench_now_seconds();
    for (int c = 0; c < CLIENTS; c++) pthread_create(&threads[c], NULL, client_main, &clients[c]);
    for (int c = 0; c < CLIENTS; c++) pthread_join(threads[c], NULL);
    double elapsed = bench_now_seconds() - start;

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
    curl_easy_cleanup(curl);
    curl_slist_free_all(binary);
    if (node > 0) {
        kill(node, SIGTERM);
        waitpid(node, NULL, 0);
    }
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", directory);
    if (system(command) != 0) fprintf(stderr, "bench batch: could not remove %s\n", directory);
    curl_global_cleanup();
    if (*committed_per_second <= 0) return;

    /* The same batches in PostgreSQL, in this run. */
    static const bench_workload payrolls = {"batch payments", BATCHES_PER_CLIENT, LINES, bench_payroll_line};
    bench_pg_workload(&payrolls, *committed_per_second, postgres_per_second);
    if (*postgres_per_second > 0)
        printf("batch: Tally %.0f payments/s, PostgreSQL %.0f payments/s on the same batches: %.2fx (target 5x)\n",
               *committed_per_second, *postgres_per_second, *committed_per_second / *postgres_per_second);
}
