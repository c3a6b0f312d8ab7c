/*
 * bench_junk.c: the flood of issue 7's finding 9 against a release tallyd. Sixteen
 * keys that belong to no network send signed transfers, in batches of 256, as fast
 * as the node answers (before the fix they were admitted as pending every time and
 * refused in the block: 241,666 in 12 s). Prints how many the node refused at
 * admission and how many signature checks that cost, and the node's RSS and the p99
 * latency of GET /v1/status during the flood, next to the same figures without it,
 * with the commit latency of a payment between members in both.
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
enum { JUNK_KEYS = 16, JUNK_BATCHES = 4, JUNK_BATCH = 256, PROBES_MAX = 100000 };
#define QUIET_SECONDS 2.0
#define FLOOD_SECONDS 5.0

typedef struct {
    char *bytes;
    size_t length;
} reply;

static size_t collect(char *data, size_t size, size_t count, void *context) {
    reply *into = context;
    char *grown = realloc(into->bytes, into->length + size * count + 1);
    if (!grown) return 0;
    memcpy(grown + into->length, data, size * count);
    into->bytes = grown;
    into->length += size * count;
    into->bytes[into->length] = '\0';
    return size * count;
}

static char url_base[64];
static uint8_t chain_id[TALLY_CHAIN_ID_BYTES];

/* One request on curl (body NULL: GET); the answer in *answer (caller frees). */
static long request(CURL *curl, const char *path, const void *body, size_t length, bool binary, reply *answer) {
    char url[128];
    snprintf(url, sizeof url, "%s%s", url_base, path);
    *answer = (reply){NULL, 0};
    struct curl_slist *headers =
        curl_slist_append(NULL, binary ? "Content-Type: application/octet-stream" : "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)length);
    } else {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    return status;
}

static tally_tx new_tx(const tally_key *signer, uint64_t sequence, tally_tx_type type) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = (uint8_t)type;
    memcpy(tx.chain_id, chain_id, sizeof chain_id);
    tx.signer = *signer;
    tx.sequence = sequence;
    return tx;
}

/* Signs and submits one transaction with wait=commit; the seconds it took, or -1. */
static double commit(CURL *curl, tally_tx *tx, const uint8_t secret[TALLY_SECRET_BYTES]) {
    tally_tx_sign(tx, secret);
    uint8_t bytes[2 + TALLY_TX_ENCODED_MAX];
    size_t length = tally_tx_encode(tx, bytes + 2, TALLY_TX_ENCODED_MAX);
    bytes[0] = (uint8_t)length, bytes[1] = (uint8_t)(length >> 8);
    reply answer;
    double start = bench_now_seconds();
    long status = request(curl, "/v1/transactions?wait=commit", bytes, length + 2, true, &answer);
    double seconds = bench_now_seconds() - start;
    bool ok = status == 200 && answer.bytes && strstr(answer.bytes, "\"committed\"");
    free(answer.bytes);
    return ok ? seconds : -1;
}

/* A metric's value in GET /metrics (0 when absent). */
static double metric(CURL *curl, const char *name) {
    reply answer;
    double value = 0;
    if (request(curl, "/metrics", NULL, 0, false, &answer) == 200 && answer.bytes) {
        size_t length = strlen(name);
        for (const char *line = answer.bytes; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
            if (strncmp(line, name, length) == 0 && line[length] == ' ') value = strtod(line + length + 1, NULL);
    }
    free(answer.bytes);
    return value;
}

static double rss_mb(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *file = fopen(path, "r");
    double kb = 0;
    while (file && fgets(line, sizeof line, file))
        if (strncmp(line, "VmRSS:", 6) == 0) kb = strtod(line + 6, NULL);
    if (file) fclose(file);
    return kb / 1024;
}

/* ---- the flood and the probe ---- */

typedef struct {
    uint8_t *bodies[JUNK_BATCHES];
    size_t lengths[JUNK_BATCHES];
    volatile bool *stop;
    uint64_t sent;
} flooder;

static void *flood_main(void *context) {
    flooder *f = context;
    CURL *curl = curl_easy_init();
    for (int b = 0; !*f->stop; b = (b + 1) % JUNK_BATCHES) {
        reply answer;
        if (request(curl, "/v1/transactions", f->bodies[b], f->lengths[b], true, &answer) == 200) f->sent += JUNK_BATCH;
        free(answer.bytes);
    }
    curl_easy_cleanup(curl);
    return NULL;
}

typedef struct {
    pid_t node;
    volatile bool *stop;
    double *latencies;
    int count;
    double rss_max_mb;
} prober;

/* GET /v1/status one after another; the node's RSS every tenth answer. */
static void *probe_main(void *context) {
    prober *p = context;
    CURL *curl = curl_easy_init();
    while (!*p->stop && p->count < PROBES_MAX) {
        reply answer;
        double start = bench_now_seconds();
        long status = request(curl, "/v1/status", NULL, 0, false, &answer);
        free(answer.bytes);
        if (status == 200) p->latencies[p->count++] = bench_now_seconds() - start;
        if (p->count % 10 == 0) {
            double rss = rss_mb(p->node);
            if (rss > p->rss_max_mb) p->rss_max_mb = rss;
        }
    }
    curl_easy_cleanup(curl);
    return NULL;
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    double p99_ms, rss_mb, payment_ms;
    uint64_t sent;
} phase;

/* Probes /v1/status for `seconds` (with the flood when flooders is not NULL) and
 * pays 1.00 from alice to bob a third of the way in. */
static phase run_phase(pid_t node, double seconds, flooder *flooders, tally_key *alice, uint8_t *alice_secret,
                       uint64_t *alice_sequence, const tally_key *bob) {
    phase result = {0};
    volatile bool stop = false;
    prober probe = {.node = node, .stop = &stop, .latencies = calloc(PROBES_MAX, sizeof(double))};
    pthread_t probe_thread, flood_threads[JUNK_KEYS];
    for (int k = 0; flooders && k < JUNK_KEYS; k++) {
        flooders[k].stop = &stop;
        flooders[k].sent = 0;
        pthread_create(&flood_threads[k], NULL, flood_main, &flooders[k]);
    }
    pthread_create(&probe_thread, NULL, probe_main, &probe);
    double start = bench_now_seconds();
    struct timespec pause = {0, 50 * 1000 * 1000};
    while (bench_now_seconds() - start < seconds / 3) nanosleep(&pause, NULL);
    CURL *curl = curl_easy_init();
    tally_tx pay = new_tx(alice, (*alice_sequence)++, TALLY_TX_TRANSFER);
    pay.body.transfer.network_id = 1;
    pay.body.transfer.payee = *bob;
    pay.body.transfer.amount = 100;
    result.payment_ms = commit(curl, &pay, alice_secret) * 1e3;
    curl_easy_cleanup(curl);
    while (bench_now_seconds() - start < seconds) nanosleep(&pause, NULL);
    stop = true;
    pthread_join(probe_thread, NULL);
    for (int k = 0; flooders && k < JUNK_KEYS; k++) {
        pthread_join(flood_threads[k], NULL);
        result.sent += flooders[k].sent;
    }
    qsort(probe.latencies, (size_t)probe.count, sizeof(double), compare_double);
    result.p99_ms = probe.count ? probe.latencies[probe.count * 99 / 100] * 1e3 : -1;
    result.rss_mb = probe.rss_max_mb;
    free(probe.latencies);
    return result;
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
            snprintf(url_base, sizeof url_base, "http://127.0.0.1:%u", port);
            return pid;
        }
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static bool read_chain_id(CURL *curl) {
    reply answer;
    bool ok = request(curl, "/v1/status", NULL, 0, false, &answer) == 200 && answer.bytes;
    const char *at = ok ? strstr(answer.bytes, "\"chain_id\":\"") : NULL;
    size_t length = 0;
    ok = at && sodium_hex2bin(chain_id, sizeof chain_id, at + 12, 64, NULL, &length, NULL) == 0 && length == 32;
    free(answer.bytes);
    return ok;
}

void bench_junk(void) {
    if (access(TALLYD, X_OK) != 0) {
        printf("junk: %s is not built; skipped\n", TALLYD);
        return;
    }
    char directory[] = "/tmp/tally-bench-junk-XXXXXX";
    if (!mkdtemp(directory)) return;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pid_t node = start_node(directory);
    CURL *curl = curl_easy_init();
    tally_key keys[3], junk[JUNK_KEYS];
    uint8_t secrets[3][TALLY_SECRET_BYTES], junk_secrets[JUNK_KEYS][TALLY_SECRET_BYTES];
    flooder flooders[JUNK_KEYS];
    memset(flooders, 0, sizeof flooders);
    bool ok = node > 0 && read_chain_id(curl);
    /* a founder's open network with lines of 1,000.00; alice and bob join it */
    for (int i = 0; i < 3; i++) tally_keypair(&keys[i], secrets[i], NULL);
    tally_tx tx = new_tx(&keys[0], 1, TALLY_TX_NETWORK_CREATE);
    memcpy(tx.body.network_create.name.bytes, "Junkyard", 8);
    tx.body.network_create.name.length = 8;
    memcpy(tx.body.network_create.unit_code.bytes, "JNK", 3);
    tx.body.network_create.unit_code.length = 3;
    tx.body.network_create.policy.default_credit_limit = 100000;
    tx.body.network_create.policy.max_credit_limit = 100000;
    tx.body.network_create.policy.period_seconds = 365 * 24 * 3600;
    ok = ok && commit(curl, &tx, secrets[0]) >= 0;
    for (int i = 1; i < 3 && ok; i++) {
        tx = new_tx(&keys[i], 1, TALLY_TX_MEMBER_JOIN);
        tx.body.network_only.network_id = 1;
        ok = commit(curl, &tx, secrets[i]) >= 0;
    }
    if (!ok) {
        printf("junk: could not start %s and set up a network\n", TALLYD);
        goto done;
    }
    /* 16 fresh keys, 4 batches each of 256 transfers with sequences 1..256 */
    for (int k = 0; k < JUNK_KEYS; k++) {
        tally_keypair(&junk[k], junk_secrets[k], NULL);
        for (int b = 0; b < JUNK_BATCHES; b++) {
            uint8_t *body = malloc((size_t)JUNK_BATCH * (2 + TALLY_TX_ENCODED_MAX));
            size_t at = 0;
            for (int i = 0; i < JUNK_BATCH; i++) {
                tally_tx t = new_tx(&junk[k], 1 + (uint64_t)i, TALLY_TX_TRANSFER);
                t.body.transfer.network_id = 1;
                t.body.transfer.payee = keys[1];
                t.body.transfer.amount = 1 + b;
                t.body.transfer.max_fee = 100;
                tally_tx_sign(&t, junk_secrets[k]);
                size_t length = tally_tx_encode(&t, body + at + 2, TALLY_TX_ENCODED_MAX);
                body[at] = (uint8_t)length, body[at + 1] = (uint8_t)(length >> 8);
                at += 2 + length;
            }
            flooders[k].bodies[b] = body;
            flooders[k].lengths[b] = at;
        }
    }
    uint64_t alice_sequence = 2;
    phase quiet = run_phase(node, QUIET_SECONDS, NULL, &keys[1], secrets[1], &alice_sequence, &keys[2]);
    double checks_before = metric(curl, "tally_signature_checks_total");
    double refused_before = metric(curl, "tally_admission_refused_total{reason=\"NOT_MEMBER\"}");
    double committed_before = metric(curl, "tally_transactions_committed_total");
    phase flood = run_phase(node, FLOOD_SECONDS, flooders, &keys[1], secrets[1], &alice_sequence, &keys[2]);
    double checks = metric(curl, "tally_signature_checks_total") - checks_before;
    double refused = metric(curl, "tally_admission_refused_total{reason=\"NOT_MEMBER\"}") - refused_before;
    double committed = metric(curl, "tally_transactions_committed_total") - committed_before;
    printf("junk: %d keys of no network send batches of %d signed transfers as fast as the node answers, %.0f s: "
           "%llu sent (%.0f/s), %.0f refused NOT_MEMBER at admission, %.0f signature checks, %.0f committed (the "
           "members' payment)\n",
           JUNK_KEYS, JUNK_BATCH, FLOOD_SECONDS, (unsigned long long)flood.sent, (double)flood.sent / FLOOD_SECONDS,
           refused, checks, committed);
    printf("junk: without the flood /v1/status p99 %.1f ms, node RSS %.0f MB, a payment committed in %.0f ms; "
           "during it p99 %.1f ms, RSS %.0f MB, a payment in %.0f ms\n",
           quiet.p99_ms, quiet.rss_mb, quiet.payment_ms, flood.p99_ms, flood.rss_mb, flood.payment_ms);
done:
    for (int k = 0; k < JUNK_KEYS; k++)
        for (int b = 0; b < JUNK_BATCHES; b++) free(flooders[k].bodies[b]);
    curl_easy_cleanup(curl);
    if (node > 0) {
        kill(node, SIGTERM);
        waitpid(node, NULL, 0);
    }
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", directory);
    if (system(command) != 0) fprintf(stderr, "bench junk: could not remove %s\n", directory);
    curl_global_cleanup();
}
