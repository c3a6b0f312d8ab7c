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
#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "tally.h"

#define DEFAULT_TALLYD "build/release/tallyd"
#define WRAP_WORDS_MAX 16
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
static int batches_per_client = BATCHES_PER_CLIENT; /* sent of each client's BATCHES_PER_CLIENT */

static void *client_main(void *context) {
    client *c = context;
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/octet-stream");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    for (int b = 0; b < batches_per_client; b++) {
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

/* Starts tallyd (under TALLY_BENCH_WRAP's command when set), with --block-ms
 * block_ms_text unless it is NULL (then the default). */
static pid_t start_node(const char *tallyd, const char *directory, const char *block_ms_text) {
    char data[300], port_file[320];
    snprintf(data, sizeof data, "%s/data", directory);
    snprintf(port_file, sizeof port_file, "%s/port", directory);
    char wrap[512] = "";
    const char *wrap_text = getenv("TALLY_BENCH_WRAP");
    if (wrap_text) snprintf(wrap, sizeof wrap, "%s", wrap_text);
    char program[300], listen[] = "127.0.0.1:0", block_ms[16];
    snprintf(block_ms, sizeof block_ms, "%s", block_ms_text ? block_ms_text : "");
    char data_option[] = "--data", listen_option[] = "--listen", port_option[] = "--port-file", quiet[] = "--quiet",
         block_option[] = "--block-ms";
    snprintf(program, sizeof program, "%s", tallyd);
    char *argv[WRAP_WORDS_MAX + 16];
    int argc = 0;
    for (char *word = strtok(wrap, " "); word && argc < WRAP_WORDS_MAX; word = strtok(NULL, " ")) argv[argc++] = word;
    char *options[] = {program, data_option, data, listen_option, listen, port_option, port_file, quiet,
                       block_option, block_ms};
    size_t option_count = sizeof options / sizeof options[0] - (block_ms_text ? 0 : 2);
    for (size_t i = 0; i < option_count; i++) argv[argc++] = options[i];
    argv[argc] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    /* A node under valgrind takes its time to start. */
    for (int attempt = 0; attempt < 1200; attempt++) {
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

/* ---- where the node's CPU goes: its threads by name (/proc/PID/task/TID/stat) ---- */

enum { THREAD_NAMES_MAX = 16 };

typedef struct {
    char name[32];
    double seconds;
} thread_cpu;

typedef struct {
    thread_cpu threads[THREAD_NAMES_MAX];
    int count;
} cpu_by_thread;

/* The user + system CPU seconds of pid's threads, summed by thread name. */
static void read_cpu(pid_t pid, cpu_by_thread *out) {
    memset(out, 0, sizeof *out);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *tasks = opendir(path);
    if (!tasks) return;
    double tick = (double)sysconf(_SC_CLK_TCK);
    for (struct dirent *entry; (entry = readdir(tasks)) != NULL;) {
        if (entry->d_name[0] == '.') continue;
        char stat_path[400], line[1024];
        snprintf(stat_path, sizeof stat_path, "%s/%s/stat", path, entry->d_name);
        FILE *file = fopen(stat_path, "r");
        if (!file) continue;
        bool read = fgets(line, sizeof line, file) != NULL;
        fclose(file);
        char *open_paren = read ? strchr(line, '(') : NULL, *close_paren = read ? strrchr(line, ')') : NULL;
        if (!open_paren || !close_paren || close_paren < open_paren) continue;
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
        /* after ") ": state is field 3; utime and stime are fields 14 and 15 */
        unsigned long long utime = 0, stime = 0;
        if (sscanf(close_paren + 2, "%*c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu", &utime, &stime) != 2)
            continue;
        int at = 0;
        while (at < out->count && strcmp(out->threads[at].name, name) != 0) at++;
        if (at == out->count) {
            if (out->count == THREAD_NAMES_MAX) continue;
            snprintf(out->threads[out->count++].name, sizeof out->threads[0].name, "%s", name);
        }
        out->threads[at].seconds += (double)(utime + stime) / tick;
    }
    closedir(tasks);
}

static double cpu_of(const cpu_by_thread *cpu, const char *name) {
    for (int i = 0; i < cpu->count; i++)
        if (strcmp(cpu->threads[i].name, name) == 0) return cpu->threads[i].seconds;
    return 0;
}

static double process_cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec * 1e-6 + (double)usage.ru_stime.tv_sec +
           (double)usage.ru_stime.tv_usec * 1e-6;
}

/* Prints the node's CPU during the run by thread (after - before): the verifier
 * threads do nothing but check signatures, so their share of it is the share of
 * the node's work that is signature checking, whatever neighbours do to the wall
 * clock. Next to it, their checks per CPU second against the bound's threads'. */
static void print_cpu(const cpu_by_thread *before, const cpu_by_thread *after, double checks, double per_cpu_second,
                      double clients_seconds) {
    double total = 0;
    char parts[1024] = "";
    size_t used = 0;
    for (int i = 0; i < after->count; i++) {
        double seconds = after->threads[i].seconds - cpu_of(before, after->threads[i].name);
        total += seconds;
        if (seconds >= 0.005 && used < sizeof parts)
            used += (size_t)snprintf(parts + used, sizeof parts - used, "%s%s %.2f", used ? ", " : "",
                                     after->threads[i].name, seconds);
    }
    double verifying = cpu_of(after, "tally-verifier") - cpu_of(before, "tally-verifier");
    printf("node: its CPU during the run: %.2f s (%s): signature checking (the verifier threads) is %.1f%% of it; "
           "%.0f checks, %.0f per CPU second of theirs (the bound's threads: %.0f); the clients took %.2f s\n",
           total, parts, total > 0 ? 100.0 * verifying / total : 0.0, checks, verifying > 0 ? checks / verifying : 0.0,
           per_cpu_second, clients_seconds);
}

/* A counter of /metrics ("tally_blocks_produced_total"); -1 when unreadable. */
static double read_metric(CURL *curl, const char *name) {
    char url[128];
    snprintf(url, sizeof url, "%s/metrics", node_url);
    buffer answer = {NULL, 0};
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
    double value = -1;
    if (curl_easy_perform(curl) == CURLE_OK && answer.bytes) {
        size_t length = strlen(name);
        for (const char *line = answer.bytes; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
            if (strncmp(line, name, length) == 0 && line[length] == ' ') value = atof(line + length + 1);
    }
    free(answer.bytes);
    return value;
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

/* Member 0 founds an open network with a default line for everyone, and members
 * 0 .. count - 1 join it. */
static bool found_network(CURL *curl, int count) {
    for (int i = 0; i < count; i++) {
        tally_keypair(&members[i].key, members[i].secret, NULL);
        members[i].sequence = 1;
    }
    tally_tx *setup = calloc((size_t)count, sizeof *setup);
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
    for (int i = 0; i < count && ok; i++) {
        setup[i] = new_tx(&members[i], TALLY_TX_MEMBER_JOIN);
        setup[i].body.network_only.network_id = 1;
    }
    ok = ok && setup_batch(curl, setup, (uint32_t)count);
    free(setup);
    return ok;
}

void bench_node(double *committed_per_second) {
    *committed_per_second = 0;
    const char *tallyd = getenv("TALLY_BENCH_TALLYD");
    if (!tallyd || !*tallyd) tallyd = DEFAULT_TALLYD;
    const char *batches_text = getenv("TALLY_BENCH_BATCHES");
    batches_per_client = batches_text ? atoi(batches_text) : BATCHES_PER_CLIENT;
    if (batches_per_client < 1 || batches_per_client > BATCHES_PER_CLIENT) batches_per_client = BATCHES_PER_CLIENT;
    if (access(tallyd, X_OK) != 0) {
        printf("node: %s is not built; skipped\n", tallyd);
        return;
    }
    char directory[] = "/tmp/tally-bench-XXXXXX";
    if (!mkdtemp(directory)) return;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pid_t node = start_node(tallyd, directory, "50");
    CURL *curl = curl_easy_init();
    if (node <= 0 || !read_chain_id(curl)) {
        printf("node: could not start %s\n", tallyd);
        goto done;
    }
    if (!found_network(curl, MEMBERS)) goto done;

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
    int cores = bench_cores();
    double per_cpu[2];
    double bound_before = bench_verification_bound(work, VERIFY_SAMPLES, 1.5, &per_cpu[0]);

    double blocks_before = read_metric(curl, "tally_blocks_produced_total");
    double checks_before = read_metric(curl, "tally_signature_checks_total");
    cpu_by_thread cpu_before, cpu_after;
    read_cpu(node, &cpu_before);
    double clients_cpu = process_cpu_seconds();
    pthread_t threads[CLIENTS];
    double start = bench_now_seconds();
    for (int c = 0; c < CLIENTS; c++) pthread_create(&threads[c], NULL, client_main, &clients[c]);
    for (int c = 0; c < CLIENTS; c++) pthread_join(threads[c], NULL);
    double elapsed = bench_now_seconds() - start;
    clients_cpu = process_cpu_seconds() - clients_cpu;
    read_cpu(node, &cpu_after);
    double blocks = read_metric(curl, "tally_blocks_produced_total") - blocks_before;
    double checks = read_metric(curl, "tally_signature_checks_total") - checks_before;
    double bound_after = bench_verification_bound(work, VERIFY_SAMPLES, 1.5, &per_cpu[1]);
    double bound = (bound_before + bound_after) / 2;

    uint64_t committed = 0, refused = 0;
    double latencies[CLIENTS * BATCHES_PER_CLIENT];
    int sent = CLIENTS * batches_per_client;
    for (int c = 0; c < CLIENTS; c++) {
        committed += clients[c].committed;
        refused += clients[c].refused;
        memcpy(latencies + c * batches_per_client, clients[c].latencies,
               (size_t)batches_per_client * sizeof clients[c].latencies[0]);
        for (int b = 0; b < BATCHES_PER_CLIENT; b++) free(clients[c].bodies[b]);
    }
    qsort(latencies, (size_t)sent, sizeof latencies[0], compare_double);
    double p50 = latencies[sent / 2], p99 = latencies[sent * 99 / 100];
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
    if (node > 0) {
        kill(node, SIGTERM);
        waitpid(node, NULL, 0);
    }
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", directory);
    if (system(command) != 0) fprintf(stderr, "bench node: could not remove %s\n", directory);
    curl_global_cleanup();
}

/* ---- latency: sequential payments on an idle node ---- */

enum { LATENCY_WARMUP = 20, LATENCY_PAYMENTS = 1000, FSYNC_SAMPLES = 200 };

static double percentile(double *values, int count, int percent) {
    qsort(values, (size_t)count, sizeof *values, compare_double);
    return values[count * percent / 100 < count ? count * percent / 100 : count - 1];
}

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
    *p50 = percentile(times, FSYNC_SAMPLES, 50);
    *p99 = percentile(times, FSYNC_SAMPLES, 99);
    return true;
}

void bench_latency(void) {
    const char *tallyd = getenv("TALLY_BENCH_TALLYD");
    if (!tallyd || !*tallyd) tallyd = DEFAULT_TALLYD;
    if (access(tallyd, X_OK) != 0) {
        printf("latency: %s is not built; skipped\n", tallyd);
        return;
    }
    char directory[] = "/tmp/tally-bench-latency-XXXXXX";
    if (!mkdtemp(directory)) return;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    /* The default --block-ms (100): it no longer delays a lone payment. */
    pid_t node = start_node(tallyd, directory, NULL);
    CURL *curl = curl_easy_init();
    tally_tx *payments = NULL;
    if (node <= 0 || !read_chain_id(curl)) {
        printf("latency: could not start %s\n", tallyd);
        goto done;
    }
    if (!found_network(curl, 3)) goto done;
    enum { COUNT = LATENCY_WARMUP + LATENCY_PAYMENTS };
    payments = calloc(COUNT, sizeof *payments);
    for (int i = 0; i < COUNT; i++) {
        payments[i] = new_tx(&members[1], TALLY_TX_TRANSFER);
        payments[i].body.transfer.network_id = 1;
        payments[i].body.transfer.payee = members[2].key;
        payments[i].body.transfer.amount = 1 + i % 100;
        payments[i].body.transfer.max_fee = BENCH_MAX_FEE;
    }
    sign_all(payments, COUNT);
    double fsync_p50 = 0, fsync_p99 = 0, after_p50 = 0, after_p99 = 0;
    bool fsync_ok = measure_fsync(directory, &fsync_p50, &fsync_p99);

    /* One wallet paying again and again on one kept-alive connection, each payment
     * sent once the previous one is committed: {"tx": hex}, as `tally pay` sends. */
    static double latencies[LATENCY_PAYMENTS];
    int committed = 0;
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    for (int i = 0; i < COUNT; i++) {
        uint8_t bytes[TALLY_TX_ENCODED_MAX];
        size_t encoded = tally_tx_encode(&payments[i], bytes, sizeof bytes);
        char body[2 * TALLY_TX_ENCODED_MAX + 16];
        size_t at = (size_t)snprintf(body, sizeof body, "{\"tx\":\"");
        sodium_bin2hex(body + at, sizeof body - at, bytes, encoded);
        at += 2 * encoded;
        at += (size_t)snprintf(body + at, sizeof body - at, "\"}");
        buffer answer;
        double start = bench_now_seconds();
        long status = post(curl, "/v1/transactions?wait=commit", body, at, &answer);
        double elapsed = bench_now_seconds() - start;
        bool ok = status == 200 && count_of(answer.bytes, "\"committed\"") == 1;
        free(answer.bytes);
        if (!ok) {
            printf("latency: payment %d was not committed (HTTP %ld)\n", i, status);
            break;
        }
        if (i >= LATENCY_WARMUP) latencies[committed++] = elapsed;
    }
    curl_slist_free_all(headers);
    fsync_ok = measure_fsync(directory, &after_p50, &after_p99) && fsync_ok;
    if (committed == LATENCY_PAYMENTS) {
        double p50 = percentile(latencies, committed, 50), p99 = percentile(latencies, committed, 99);
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
    if (node > 0) {
        kill(node, SIGTERM);
        waitpid(node, NULL, 0);
    }
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", directory);
    if (system(command) != 0) fprintf(stderr, "bench latency: could not remove %s\n", directory);
    curl_global_cleanup();
}
