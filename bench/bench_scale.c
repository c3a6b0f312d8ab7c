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
 * --block-max 65536 so that what waits goes into one block (while every block still
 * hashes the whole state, fewer blocks is what makes setup quick). The workload
 * never has more than 16 x 256 transfers waiting, so that option does not change
 * its blocks. Setup ends when the node is idle (its index has caught up), and each
 * measurement starts from an idle node.
 *
 * TALLY_BENCH_TALLYD names another tallyd to measure (an older build, for the
 * figures before a change); it is started with options every version knows.
 */
#include <curl/curl.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "tally.h"
#include "tally_chain.h"

#define DEFAULT_TALLYD "build/release/tallyd"
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

/* ---- HTTP ---- */

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

/* POSTs a binary body to /v1/transactions?wait=commit; returns the HTTP status and
 * the answer (caller frees). */
static long post_binary(CURL *curl, const char *body, size_t length, buffer *answer) {
    char url[128];
    snprintf(url, sizeof url, "%s/v1/transactions?wait=commit", node_url);
    answer->bytes = NULL;
    answer->length = 0;
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/octet-stream");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)length);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 600L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    return status;
}

/* GETs path into answer (caller frees); false when it fails. */
static bool get_text(CURL *curl, const char *path, buffer *answer) {
    char url[128];
    snprintf(url, sizeof url, "%s%s", node_url, path);
    answer->bytes = NULL;
    answer->length = 0;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    return status == 200 && answer->bytes;
}

static size_t count_of(const char *text, const char *needle) {
    size_t count = 0;
    for (const char *at = text ? strstr(text, needle) : NULL; at; at = strstr(at + 1, needle)) count++;
    return count;
}

/* The value of a metric line "name value" in /metrics; -1 when absent. */
static double metric(CURL *curl, const char *name) {
    buffer answer;
    double value = -1;
    if (get_text(curl, "/metrics", &answer)) {
        char needle[96];
        snprintf(needle, sizeof needle, "\n%s ", name);
        const char *at = strstr(answer.bytes, needle);
        if (at) value = strtod(at + strlen(needle), NULL);
    }
    free(answer.bytes);
    return value;
}

static uint8_t chain_id[TALLY_CHAIN_ID_BYTES];

static bool read_chain_id(CURL *curl) {
    buffer answer;
    bool ok = get_text(curl, "/v1/status", &answer);
    const char *at = ok ? strstr(answer.bytes, "\"chain_id\":\"") : NULL;
    size_t length = 0;
    ok = at && sodium_hex2bin(chain_id, sizeof chain_id, at + 12, 64, NULL, &length, NULL) == 0 && length == 32;
    free(answer.bytes);
    return ok;
}

/* ---- the node ---- */

static pid_t start_node(const char *tallyd, const char *directory) {
    char data[300], port_file[320];
    snprintf(data, sizeof data, "%s/data", directory);
    snprintf(port_file, sizeof port_file, "%s/port", directory);
    pid_t pid = fork();
    if (pid == 0) {
        execl(tallyd, tallyd, "--data", data, "--listen", "127.0.0.1:0", "--port-file", port_file, "--quiet",
              "--block-ms", "50", "--block-max", "65536", "--networks-per-day", "1000", (char *)NULL);
        _exit(127);
    }
    for (int attempt = 0; attempt < 400; attempt++) {
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
    waitpid(pid, NULL, 0);
    return -1;
}

/* A field of /proc/PID/status in KiB ("VmRSS", "VmHWM"); 0 when unreadable. */
static uint64_t process_kib(pid_t pid, const char *field) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *file = fopen(path, "r");
    uint64_t kib = 0;
    size_t field_length = strlen(field);
    while (file && fgets(line, sizeof line, file))
        if (strncmp(line, field, field_length) == 0 && line[field_length] == ':')
            kib = strtoull(line + field_length + 1, NULL, 10);
    if (file) fclose(file);
    return kib;
}

/* CPU seconds (user + system) the process has used so far; -1 when unreadable. */
static double process_cpu_seconds(pid_t pid) {
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *file = fopen(path, "r");
    if (!file) return -1;
    bool read = fgets(line, sizeof line, file) != NULL;
    fclose(file);
    const char *after_name = read ? strrchr(line, ')') : NULL;
    unsigned long long user = 0, system_time = 0;
    /* after "pid (name)": state, then fields 4..13, then utime and stime */
    if (!after_name || sscanf(after_name + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &user,
                              &system_time) != 2)
        return -1;
    long ticks = sysconf(_SC_CLK_TCK);
    return (double)(user + system_time) / (double)(ticks > 0 ? ticks : 100);
}

/* CPU seconds this process (the bench's clients) has used so far. */
static double own_cpu_seconds(void) {
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
    return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec * 1e-6 + (double)usage.ru_stime.tv_sec +
           (double)usage.ru_stime.tv_usec * 1e-6;
}

/* Waits (up to 10 minutes) until the node uses under 5% of a core over half a second:
 * its indexer has caught up with the blocks, so what comes next is measured alone. */
static void wait_until_idle(pid_t pid) {
    double before = process_cpu_seconds(pid);
    for (int i = 0; i < 1200 && before >= 0; i++) {
        struct timespec pause = {0, 500 * 1000 * 1000};
        nanosleep(&pause, NULL);
        double now = process_cpu_seconds(pid);
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

static tally_key *member_keys;    /* N public keys */
static keypair payers[PAYERS];    /* members 0 .. PAYERS - 1 */
static uint64_t payer_sequence[PAYERS];

static tally_tx new_tx(const tally_key *signer, uint64_t sequence, tally_tx_type type) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = (uint8_t)type;
    memcpy(tx.chain_id, chain_id, sizeof chain_id);
    tx.signer = *signer;
    tx.sequence = sequence;
    return tx;
}

/* The compact form: (u16 length | signed encoding) per transaction. */
static char *binary_body(const tally_tx *txs, uint32_t count, size_t *length) {
    char *body = malloc((size_t)count * (2 + TALLY_TX_ENCODED_MAX));
    size_t at = 0;
    for (uint32_t i = 0; body && i < count; i++) {
        size_t encoded = tally_tx_encode(&txs[i], (uint8_t *)body + at + 2, TALLY_TX_ENCODED_MAX);
        body[at] = (char)(encoded & 0xff);
        body[at + 1] = (char)(encoded >> 8);
        at += 2 + encoded;
    }
    *length = at;
    return body;
}

/* Posts txs (signed) and says whether every one committed. */
static bool post_all_committed(CURL *curl, const tally_tx *txs, uint32_t count, const char *what) {
    size_t length;
    char *body = binary_body(txs, count, &length);
    buffer answer;
    long status = body ? post_binary(curl, body, length, &answer) : 0;
    size_t committed = status == 200 ? count_of(answer.bytes, "\"committed\"") : 0;
    bool ok = committed == count;
    if (!ok)
        fprintf(stderr, "scale: %s: %zu of %u committed (HTTP %ld): %.300s\n", what, committed, count, status,
                answer.bytes ? answer.bytes : "(no answer)");
    free(body);
    free(answer.bytes);
    return ok;
}

static void fill_policy(tally_policy *policy, bool paying) {
    tally_policy_defaults(policy);
    if (!paying) return;
    policy->membership_mode = TALLY_MEMBERSHIP_OPEN;
    policy->default_credit_limit = BENCH_CREDIT_LIMIT;
    policy->max_credit_limit = BENCH_CREDIT_LIMIT;
    policy->fee_bps = BENCH_FEE_BPS;
    policy->period_seconds = 365 * 24 * 3600;
    policy->compliance_rule = TALLY_COMPLIANCE_REBALANCED;
    policy->auto_renew = true;
    policy->max_members = TALLY_MEMBER_RECORDS_PER_NETWORK_MAX;
}

static tally_tx network_create(const tally_key *founder, uint64_t sequence, uint32_t number) {
    tally_tx tx = new_tx(founder, sequence, TALLY_TX_NETWORK_CREATE);
    tally_tx_network_create *body = &tx.body.network_create;
    int length = snprintf(body->name.bytes, sizeof body->name.bytes, number == 1 ? "Bench" : "Scale-%05u",
                          (unsigned)number);
    body->name.length = (uint16_t)length;
    memcpy(body->unit_code.bytes, "BEN", 3);
    body->unit_code.length = 3;
    fill_policy(&body->policy, number == 1);
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
            if (number < PAYERS) payers[number] = pair;
            /* member 0 founded network 1 with its first transaction */
            txs[i] = new_tx(&pair.key, number == 0 ? 2 : 1, TALLY_TX_MEMBER_JOIN);
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

/* Transfer i of one of client c's batches, from *seed = 7 in (client, batch, i)
 * order, as bench_transfer but over `members`. */
static void scale_transfer(uint64_t *seed, uint32_t members, int c, int i, uint32_t *payer, uint32_t *payee,
                           int64_t *amount) {
    *payer = (uint32_t)c + CLIENTS * (uint32_t)(i % (PAYERS / CLIENTS));
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    *payee = (uint32_t)((*seed >> 33) % members);
    if (*payee == *payer) *payee = (*payee + 1) % members;
    *amount = (int64_t)(*seed % 10000) + 1;
}

typedef struct {
    tally_tx *txs;
    uint32_t begin, end;
    const uint32_t *signers;
} sign_job;

static void *sign_worker(void *context) {
    sign_job *job = context;
    for (uint32_t i = job->begin; i < job->end; i++) tally_tx_sign(&job->txs[i], payers[job->signers[i]].secret);
    return NULL;
}

static void sign_all(tally_tx *txs, const uint32_t *signers, uint32_t count) {
    sign_job jobs[2] = {{txs, 0, count / 2, signers}, {txs, count / 2, count, signers}};
    pthread_t other;
    pthread_create(&other, NULL, sign_worker, &jobs[1]);
    sign_worker(&jobs[0]);
    pthread_join(other, NULL);
}

typedef struct {
    char *bodies[BATCHES_PER_CLIENT];
    size_t lengths[BATCHES_PER_CLIENT];
    uint64_t committed, refused;
} client;

static client clients[CLIENTS];

static void *client_main(void *context) {
    client *c = context;
    CURL *curl = curl_easy_init();
    for (int b = 0; b < BATCHES_PER_CLIENT; b++) {
        buffer answer;
        long status = post_binary(curl, c->bodies[b], c->lengths[b], &answer);
        size_t committed = status == 200 ? count_of(answer.bytes, "\"committed\"") : 0;
        c->committed += committed;
        c->refused += BATCH - committed;
        free(answer.bytes);
    }
    curl_easy_cleanup(curl);
    return NULL;
}

/* ---- the reference: what every core verifies at once, before and after a run ---- */

typedef struct {
    const tally_tx *txs;
    uint32_t count;
    double seconds;
    uint64_t verified;
} verify_job;

static void *verify_worker(void *context) {
    verify_job *job = context;
    double start = bench_now_seconds();
    uint64_t done = 0;
    while (bench_now_seconds() - start < job->seconds) {
        for (uint32_t i = 0; i < 64; i++)
            if (tally_tx_verify(&job->txs[(done + i) % job->count])) job->verified++;
        done += 64;
    }
    job->seconds = bench_now_seconds() - start;
    return NULL;
}

/* Ed25519 verifications per second of every core at once (as bench_node.c measures
 * its bound): what a node that checks each signature cannot beat on this machine now. */
static double verification_bound(const tally_tx *samples, uint32_t count) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    int cores = online < 1 ? 1 : online > 64 ? 64 : (int)online;
    pthread_t threads[64];
    verify_job jobs[64];
    for (int i = 0; i < cores; i++) {
        jobs[i] = (verify_job){samples, count, 1.0, 0};
        pthread_create(&threads[i], NULL, verify_worker, &jobs[i]);
    }
    double rate = 0;
    for (int i = 0; i < cores; i++) {
        pthread_join(threads[i], NULL);
        rate += (double)jobs[i].verified / jobs[i].seconds;
    }
    return rate;
}

/* Runs the workload; returns committed transfers per second, and into *bound the
 * verification bound measured just before and just after it (their mean: on a
 * shared machine either alone can be caught by a neighbour). */
static double run_workload(pid_t node, uint32_t members, uint64_t *refused_out, double *bound,
                           double *node_cpu_per_transfer) {
    uint32_t total = CLIENTS * BATCHES_PER_CLIENT * BATCH;
    tally_tx *work = calloc(total, sizeof *work);
    uint32_t *signers = calloc(total, sizeof *signers);
    uint64_t seed = 7;
    for (int c = 0; c < CLIENTS; c++)
        for (int b = 0; b < BATCHES_PER_CLIENT; b++)
            for (int i = 0; i < BATCH; i++) {
                uint32_t slot = ((uint32_t)c * BATCHES_PER_CLIENT + (uint32_t)b) * BATCH + (uint32_t)i;
                uint32_t payer, payee;
                int64_t amount;
                scale_transfer(&seed, members, c, i, &payer, &payee, &amount);
                work[slot] = new_tx(&payers[payer].key, payer_sequence[payer]++, TALLY_TX_TRANSFER);
                work[slot].body.transfer.network_id = 1;
                work[slot].body.transfer.payee = member_keys[payee];
                work[slot].body.transfer.amount = amount;
                work[slot].body.transfer.max_fee = BENCH_MAX_FEE;
                signers[slot] = payer;
            }
    sign_all(work, signers, total);
    enum { SAMPLES = 2048 };
    tally_tx *samples = malloc(SAMPLES * sizeof *samples);
    memcpy(samples, work, SAMPLES * sizeof *samples);
    for (int c = 0; c < CLIENTS; c++) {
        clients[c].committed = clients[c].refused = 0;
        for (int b = 0; b < BATCHES_PER_CLIENT; b++)
            clients[c].bodies[b] = binary_body(work + ((uint32_t)c * BATCHES_PER_CLIENT + (uint32_t)b) * BATCH,
                                               BATCH, &clients[c].lengths[b]);
    }
    free(work);
    free(signers);
    double bound_before = verification_bound(samples, SAMPLES);
    pthread_t threads[CLIENTS];
    double cpu_before = process_cpu_seconds(node);
    double start = bench_now_seconds();
    for (int c = 0; c < CLIENTS; c++) pthread_create(&threads[c], NULL, client_main, &clients[c]);
    for (int c = 0; c < CLIENTS; c++) pthread_join(threads[c], NULL);
    double elapsed = bench_now_seconds() - start;
    double cpu_after = process_cpu_seconds(node);
    *bound = (bound_before + verification_bound(samples, SAMPLES)) / 2;
    free(samples);
    uint64_t committed = 0, refused = 0;
    for (int c = 0; c < CLIENTS; c++) {
        committed += clients[c].committed;
        refused += clients[c].refused;
        for (int b = 0; b < BATCHES_PER_CLIENT; b++) free(clients[c].bodies[b]);
    }
    *refused_out = refused;
    *node_cpu_per_transfer = cpu_before >= 0 && cpu_after >= 0 && committed > 0 ? (cpu_after - cpu_before) / (double)committed : -1;
    return (double)committed / elapsed;
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
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
        tally_tx tx = new_tx(&payers[payer].key, payer_sequence[payer]++, TALLY_TX_TRANSFER);
        tx.body.transfer.network_id = 1;
        tx.body.transfer.payee = member_keys[payee];
        tx.body.transfer.amount = 1 + (int64_t)(seed % 100);
        tx.body.transfer.max_fee = BENCH_MAX_FEE;
        tally_tx_sign(&tx, payers[payer].secret);
        double start = bench_now_seconds();
        if (!post_all_committed(curl, &tx, 1, "a lone payment")) return false;
        latencies[k] = bench_now_seconds() - start;
        blocks[k] = metric(curl, "tally_block_seconds");
        if (blocks[k] < 0) return false;
    }
    qsort(blocks, LONE_PAYMENTS, sizeof blocks[0], compare_double);
    qsort(latencies, LONE_PAYMENTS, sizeof latencies[0], compare_double);
    block_seconds[0] = blocks[0];
    block_seconds[1] = blocks[LONE_PAYMENTS / 2];
    block_seconds[2] = blocks[LONE_PAYMENTS * 9 / 10];
    *latency_seconds = latencies[LONE_PAYMENTS / 2];
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

static tally_tx local_tx(const local_chain *chain, tally_key signer, uint64_t sequence, tally_tx_type type) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = (uint8_t)type;
    memcpy(tx.chain_id, chain->tip.chain_id, sizeof tx.chain_id);
    tx.signer = signer;
    tx.sequence = sequence;
    return tx;
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
            txs[i] = local_tx(&chain, numbered_key(DOMAIN_MEMBER, first + i), first + i == 0 ? 2 : 1,
                              TALLY_TX_MEMBER_JOIN);
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
        tally_tx tx = local_tx(&chain, numbered_key(DOMAIN_MEMBER, payer), payer == 0 ? 3 : 2, TALLY_TX_TRANSFER);
        tx.body.transfer.network_id = 1;
        tx.body.transfer.payee = numbered_key(DOMAIN_MEMBER, payee);
        tx.body.transfer.amount = 1 + (int64_t)(seed % 100);
        tx.body.transfer.max_fee = BENCH_MAX_FEE;
        double start = bench_now_seconds();
        ok = local_build(&chain, &tx, 1);
        samples[k] = bench_now_seconds() - start;
    }
    if (ok) {
        qsort(samples, LONE_PAYMENTS, sizeof samples[0], compare_double);
        median = samples[LONE_PAYMENTS / 2];
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
    qsort(samples, FSYNC_SAMPLES, sizeof samples[0], compare_double);
    return samples[FSYNC_SAMPLES / 2];
}

typedef struct {
    uint32_t members;
    double setup_seconds, networks_seconds, rate, bound, node_cpu_per_transfer, latency_seconds;
    double block_seconds[3]; /* a one-transaction block in the node: min, median, p90 */
    double core_block_seconds; /* the same block built in process (median), no I/O */
    uint64_t refused, rss_kib, member_records;
    bool ok;
} size_result;

static void remove_directory(const char *directory) {
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", directory);
    if (system(command) != 0) fprintf(stderr, "scale: could not remove %s\n", directory);
}

static void measure_size(const char *tallyd, uint32_t members, size_result *result) {
    memset(result, 0, sizeof *result);
    result->members = members;
    char directory[] = "/tmp/tally-bench-scale-XXXXXX";
    if (!mkdtemp(directory)) return;
    pid_t node = start_node(tallyd, directory);
    CURL *curl = curl_easy_init();
    if (node <= 0 || !read_chain_id(curl)) {
        printf("scale: could not start %s\n", tallyd);
        goto done;
    }
    member_keys = calloc(members, sizeof *member_keys);
    printf("scale: %u members: setting up %d networks and %u members over HTTP ...\n", members, NETWORKS,
           members);
    fflush(stdout);
    double start = bench_now_seconds(), node_cpu_start = process_cpu_seconds(node), own_cpu_start = own_cpu_seconds();
    bool ok = setup(curl, members, &result->networks_seconds);
    double joined = bench_now_seconds();
    if (ok) wait_until_idle(node);
    result->setup_seconds = bench_now_seconds() - start;
    double node_cpu_setup = process_cpu_seconds(node) - node_cpu_start, own_cpu_setup = own_cpu_seconds() - own_cpu_start;
    if (!ok) goto done;
    /* Each payer's next sequence: member 0 founded network 1 (1), then joined (2);
     * every other payer only joined (1). */
    for (uint32_t p = 0; p < PAYERS; p++) payer_sequence[p] = p == 0 ? 3 : 2;
    result->member_records = (uint64_t)metric(curl, "tally_member_records");
    double networks = metric(curl, "tally_networks");
    double join_seconds = joined - start - result->networks_seconds;
    printf("scale: %u members: set up in %.1f s: %d networks in %.1f s, %u joins committed in %.1f s (%.0f/s), "
           "the node idle (its index caught up) %.1f s later; CPU: node %.1f s, clients (keys, signatures) %.1f s; "
           "%.0f networks, %" PRIu64 " member records (system accounts included)\n",
           members, result->setup_seconds, NETWORKS, result->networks_seconds, members, join_seconds,
           members / join_seconds, bench_now_seconds() - joined, node_cpu_setup, own_cpu_setup, networks, result->member_records);
    fflush(stdout);
    result->rate = run_workload(node, members, &result->refused, &result->bound, &result->node_cpu_per_transfer);
    wait_until_idle(node);
    if (!lone_blocks(curl, members, result->block_seconds, &result->latency_seconds)) goto done;
    result->rss_kib = process_kib(node, "VmRSS");
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
    if (node > 0) {
        kill(node, SIGTERM);
        waitpid(node, NULL, 0);
    }
    remove_directory(directory);
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
    const char *tallyd = getenv("TALLY_BENCH_TALLYD");
    if (!tallyd || !*tallyd) tallyd = DEFAULT_TALLYD;
    if (access(tallyd, X_OK) != 0) {
        printf("scale: %s is not built; skipped\n", tallyd);
        return;
    }
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
