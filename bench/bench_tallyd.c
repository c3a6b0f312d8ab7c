/*
 * bench_tallyd.c: the pieces every benchmark of a real node used to carry its own
 * copy of (declared and described in bench_tallyd.h): a release tallyd started on
 * loopback in a temporary directory, libcurl requests to it, its /metrics, the
 * bench members, their transactions signed on every core and sent in binary
 * bodies, the client threads of the end-to-end workloads, percentiles, and a
 * process's RSS and CPU time from /proc.
 */
#include "bench_tallyd.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

enum {
    WRAP_WORDS_MAX = 16,
    OPTIONS_MAX = 16,
    START_ATTEMPTS = 1200, /* of START_PAUSE_MS: 60 s */
    START_PAUSE_MS = 50,
    CLIENTS_MAX = 64,
    SETUP_PER_REQUEST = 1000
};

void bench_sleep_ms(long ms) {
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

/* ---- HTTP ---- */

static size_t collect(char *data, size_t size, size_t count, void *context) {
    bench_buffer *into = context;
    char *grown = realloc(into->bytes, into->length + size * count + 1);
    if (!grown) return 0;
    memcpy(grown + into->length, data, size * count);
    into->bytes = grown;
    into->length += size * count;
    into->bytes[into->length] = '\0';
    return size * count;
}

/* Performs what the caller set up on curl against the node's path, the answer into
 * *answer: the HTTP status, 0 when there was none. */
static long perform(CURL *curl, const bench_tallyd *node, const char *path, long timeout_ms, bench_buffer *answer) {
    char url[512];
    snprintf(url, sizeof url, "%s%s", node->url, path);
    answer->bytes = NULL;
    answer->length = 0;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

/* The header list of "Content-Type: content_type"; NULL when content_type is. */
static struct curl_slist *content_type_header(const char *content_type) {
    if (!content_type) return NULL;
    char header[128];
    snprintf(header, sizeof header, "Content-Type: %s", content_type);
    return curl_slist_append(NULL, header);
}

long bench_post(CURL *curl, const bench_tallyd *node, const char *path, const void *body, size_t length,
                const char *content_type, long timeout_seconds, bench_buffer *answer) {
    struct curl_slist *headers = content_type_header(content_type);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)length);
    long status = perform(curl, node, path, timeout_seconds * 1000, answer);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    return status;
}

bool bench_get(CURL *curl, const bench_tallyd *node, const char *path, bench_buffer *answer) {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    return perform(curl, node, path, 120 * 1000L, answer) == 200 && answer->bytes;
}

long bench_request_once(const bench_tallyd *node, const char *method, const char *path, const void *body,
                        size_t length, const char *content_type, long timeout_ms, bench_buffer *answer) {
    bench_buffer sink = {NULL, 0};
    bench_buffer *into = answer ? answer : &sink;
    into->bytes = NULL;
    into->length = 0;
    CURL *curl = curl_easy_init();
    if (!curl) return 0;
    struct curl_slist *headers = content_type_header(content_type);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (headers) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)length);
    }
    long status = perform(curl, node, path, timeout_ms, into);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    free(sink.bytes);
    return status;
}

double bench_metric(CURL *curl, const bench_tallyd *node, const char *name) {
    bench_buffer text;
    double value = -1;
    if (bench_get(curl, node, "/metrics", &text)) {
        size_t length = strlen(name);
        for (const char *line = text.bytes; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
            if (strncmp(line, name, length) == 0 && line[length] == ' ') {
                value = strtod(line + length + 1, NULL);
                break;
            }
    }
    free(text.bytes);
    return value;
}

size_t bench_count_of(const char *text, const char *needle) {
    size_t count = 0;
    for (const char *at = text ? strstr(text, needle) : NULL; at; at = strstr(at + 1, needle)) count++;
    return count;
}

/* ---- the node ---- */

const char *bench_tallyd_program(void) {
    const char *tallyd = getenv("TALLY_BENCH_TALLYD");
    return tallyd && *tallyd ? tallyd : BENCH_TALLYD_DEFAULT;
}

bool bench_tallyd_built(const char *tallyd, const char *who) {
    if (access(tallyd, X_OK) == 0) return true;
    printf("%s: %s is not built; skipped\n", who, tallyd);
    return false;
}

/* The port the node wrote to port_file; 0 while there is none. */
static unsigned read_port(const char *port_file) {
    FILE *file = fopen(port_file, "r");
    unsigned port = 0;
    if (file) {
        if (fscanf(file, "%u", &port) != 1) port = 0;
        fclose(file);
    }
    return port;
}

/* The chain id from the node's /v1/status; false when it does not answer yet. */
static bool read_chain_id(bench_tallyd *node) {
    CURL *curl = curl_easy_init();
    if (!curl) return false;
    bench_buffer answer;
    bool ok = bench_get(curl, node, "/v1/status", &answer);
    const char *at = ok ? strstr(answer.bytes, "\"chain_id\":\"") : NULL;
    size_t length = 0;
    ok = at &&
         sodium_hex2bin(node->chain_id, sizeof node->chain_id, at + 12, 64, NULL, &length, NULL) == 0 &&
         length == sizeof node->chain_id;
    free(answer.bytes);
    curl_easy_cleanup(curl);
    return ok;
}

bool bench_tallyd_start(bench_tallyd *node, const char *tallyd, const char *directory, const char *wrap,
                        const char *const *options) {
    memset(node, 0, sizeof *node);
    char data[300], port_file[320];
    snprintf(data, sizeof data, "%s/data", directory);
    snprintf(port_file, sizeof port_file, "%s/port", directory);
    char words[512] = "", program[300], listen[] = "127.0.0.1:0", data_option[] = "--data",
         listen_option[] = "--listen", port_option[] = "--port-file", quiet[] = "--quiet";
    snprintf(words, sizeof words, "%s", wrap ? wrap : "");
    snprintf(program, sizeof program, "%s", tallyd);
    char *argv[WRAP_WORDS_MAX + 8 + OPTIONS_MAX + 1];
    int argc = 0;
    char *rest = NULL;
    for (char *word = strtok_r(words, " ", &rest); word && argc < WRAP_WORDS_MAX; word = strtok_r(NULL, " ", &rest))
        argv[argc++] = word;
    char *fixed[] = {program, data_option, data, listen_option, listen, port_option, port_file, quiet};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) argv[argc++] = fixed[i];
    /* execvp takes char *const[]; the child only reads them */
    for (int i = 0; options && options[i] && i < OPTIONS_MAX; i++) argv[argc++] = (char *)(uintptr_t)options[i];
    argv[argc] = NULL;
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    node->pid = pid;
    for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        if (!node->port && (node->port = read_port(port_file)) != 0)
            snprintf(node->url, sizeof node->url, "http://127.0.0.1:%u", node->port);
        if (node->port && read_chain_id(node)) return true;
        if (waitpid(pid, NULL, WNOHANG) == pid) { /* it exited: no point waiting */
            node->pid = 0;
            return false;
        }
        bench_sleep_ms(START_PAUSE_MS);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    node->pid = 0;
    return false;
}

void bench_tallyd_stop(bench_tallyd *node) {
    if (node->pid <= 0) return;
    kill(node->pid, SIGTERM);
    waitpid(node->pid, NULL, 0);
    node->pid = 0;
}

void bench_remove_directory(const char *directory, const char *who) {
    char command[360];
    snprintf(command, sizeof command, "rm -rf %s", directory);
    if (system(command) != 0) fprintf(stderr, "%s: could not remove %s\n", who, directory);
}

/* ---- members and transactions ---- */

void bench_members_make(bench_member *members, int count) {
    for (int i = 0; i < count; i++) {
        tally_keypair(&members[i].key, members[i].secret, NULL);
        members[i].sequence = 1;
    }
}

tally_tx bench_tx(const uint8_t *chain_id, const tally_key *signer, uint64_t sequence, tally_tx_type type) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = (uint8_t)type;
    memcpy(tx.chain_id, chain_id, sizeof tx.chain_id);
    tx.signer = *signer;
    tx.sequence = sequence;
    return tx;
}

tally_tx bench_member_tx(const uint8_t *chain_id, bench_member *signer, tally_tx_type type) {
    return bench_tx(chain_id, &signer->key, signer->sequence++, type);
}

tally_tx bench_transfer_tx(const uint8_t *chain_id, const tally_key *payer, uint64_t sequence, const tally_key *payee,
                           int64_t amount) {
    tally_tx tx = bench_tx(chain_id, payer, sequence, TALLY_TX_TRANSFER);
    tx.body.transfer.network_id = 1;
    tx.body.transfer.payee = *payee;
    tx.body.transfer.amount = amount;
    tx.body.transfer.max_fee = BENCH_MAX_FEE;
    return tx;
}

void bench_set_text(tally_text *text, const char *value) {
    size_t length = strlen(value);
    if (length > sizeof text->bytes) length = sizeof text->bytes;
    text->length = (uint16_t)length;
    memcpy(text->bytes, value, length);
}

void bench_open_policy(tally_policy *policy) {
    tally_policy_defaults(policy);
    policy->membership_mode = TALLY_MEMBERSHIP_OPEN;
    policy->default_credit_limit = BENCH_CREDIT_LIMIT;
    policy->max_credit_limit = BENCH_CREDIT_LIMIT;
    policy->fee_bps = BENCH_FEE_BPS;
    policy->period_seconds = 365 * 24 * 3600;
    policy->compliance_rule = TALLY_COMPLIANCE_REBALANCED;
    policy->auto_renew = true;
}

typedef struct {
    tally_tx *txs;
    const uint8_t *const *secrets;
    uint32_t begin, end;
} sign_job;

static void *sign_worker(void *context) {
    sign_job *job = context;
    for (uint32_t i = job->begin; i < job->end; i++) tally_tx_sign(&job->txs[i], job->secrets[i]);
    return NULL;
}

void bench_sign_all(tally_tx *txs, const uint8_t *const *secrets, uint32_t count) {
    int cores = bench_cores();
    pthread_t threads[64];
    sign_job jobs[64];
    for (int c = 0; c < cores; c++) {
        jobs[c] = (sign_job){txs, secrets, (uint32_t)((uint64_t)count * (uint64_t)c / (uint64_t)cores),
                             (uint32_t)((uint64_t)count * (uint64_t)(c + 1) / (uint64_t)cores)};
        if (c > 0) pthread_create(&threads[c], NULL, sign_worker, &jobs[c]);
    }
    sign_worker(&jobs[0]);
    for (int c = 1; c < cores; c++) pthread_join(threads[c], NULL);
}

char *bench_binary_body(const tally_tx *txs, uint32_t count, size_t *length) {
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

uint32_t bench_post_committed(CURL *curl, const bench_tallyd *node, const tally_tx *txs, uint32_t count,
                              long timeout_seconds, const char *what) {
    size_t length;
    char *body = bench_binary_body(txs, count, &length);
    bench_buffer answer = {NULL, 0};
    long status = body ? bench_post(curl, node, "/v1/transactions?wait=commit", body, length, BENCH_BINARY,
                                    timeout_seconds, &answer)
                       : 0;
    size_t committed = status == 200 ? bench_count_of(answer.bytes, "\"committed\"") : 0;
    if (committed != count)
        fprintf(stderr, "%s: %zu of %u committed (HTTP %ld): %.300s\n", what, committed, count, status,
                answer.bytes ? answer.bytes : "(no answer)");
    free(body);
    free(answer.bytes);
    return committed < count ? (uint32_t)committed : count;
}

/* Signs txs[0 .. count), each by the member whose key signs it (secrets found by
 * index: txs[i] is by members[first + i]), and posts them in bodies of
 * SETUP_PER_REQUEST; true when all committed. */
static bool submit_by_members(CURL *curl, const bench_tallyd *node, const bench_member *members, tally_tx *txs,
                              uint32_t count, const char *what) {
    const uint8_t **secrets = calloc(count ? count : 1, sizeof *secrets);
    if (!secrets) return false;
    for (uint32_t i = 0; i < count; i++) secrets[i] = members[i].secret;
    bench_sign_all(txs, secrets, count);
    free(secrets);
    char message[128];
    snprintf(message, sizeof message, "%s: setup", what);
    for (uint32_t at = 0; at < count; at += SETUP_PER_REQUEST) {
        uint32_t n = count - at < SETUP_PER_REQUEST ? count - at : SETUP_PER_REQUEST;
        if (bench_post_committed(curl, node, txs + at, n, 120, message) != n) return false;
    }
    return true;
}

bool bench_found_network(CURL *curl, const bench_tallyd *node, bench_member *members, int count,
                         const char *name, const char *unit_code, const char *what) {
    bench_members_make(members, count);
    tally_tx *setup = calloc((size_t)count, sizeof *setup);
    if (!setup) return false;
    setup[0] = bench_member_tx(node->chain_id, &members[0], TALLY_TX_NETWORK_CREATE);
    bench_set_text(&setup[0].body.network_create.name, name);
    bench_set_text(&setup[0].body.network_create.unit_code, unit_code);
    bench_open_policy(&setup[0].body.network_create.policy);
    bool ok = submit_by_members(curl, node, members, setup, 1, what);
    for (int i = 0; i < count && ok; i++) {
        setup[i] = bench_member_tx(node->chain_id, &members[i], TALLY_TX_MEMBER_JOIN);
        setup[i].body.network_only.network_id = 1;
    }
    ok = ok && submit_by_members(curl, node, members, setup, (uint32_t)count, what);
    free(setup);
    return ok;
}

/* ---- client threads ---- */

static void *client_main(void *context) {
    bench_client *c = context;
    CURL *curl = curl_easy_init();
    for (int b = 0; curl && b < c->count; b++) {
        bench_buffer answer;
        double start = bench_now_seconds();
        long status = bench_post(curl, c->node, "/v1/transactions?wait=commit", c->bodies[b], c->lengths[b],
                                 BENCH_BINARY, c->timeout_seconds, &answer);
        if (c->latencies) c->latencies[b] = bench_now_seconds() - start;
        c->committed += status == 200 ? bench_count_of(answer.bytes, "\"committed\"") : 0;
        free(answer.bytes);
    }
    curl_easy_cleanup(curl);
    return NULL;
}

double bench_clients_run(bench_client *clients, int count) {
    if (count > CLIENTS_MAX) count = CLIENTS_MAX;
    pthread_t threads[CLIENTS_MAX];
    for (int c = 0; c < count; c++) clients[c].committed = 0;
    double start = bench_now_seconds();
    for (int c = 0; c < count; c++) pthread_create(&threads[c], NULL, client_main, &clients[c]);
    for (int c = 0; c < count; c++) pthread_join(threads[c], NULL);
    return bench_now_seconds() - start;
}

/* ---- the end-to-end transfer workload ---- */

tally_tx *bench_transfers_make(const uint8_t *chain_id, bench_payment_fn *payment, bench_member *payers,
                               const tally_key *payees) {
    uint32_t total = BENCH_CLIENTS * BENCH_BATCHES_PER_CLIENT * BENCH_BATCH;
    tally_tx *work = calloc(total, sizeof *work);
    const uint8_t **secrets = calloc(total, sizeof *secrets);
    if (!work || !secrets) {
        free(work);
        free(secrets);
        return NULL;
    }
    uint64_t seed = 7;
    for (int c = 0; c < BENCH_CLIENTS; c++)
        for (int b = 0; b < BENCH_BATCHES_PER_CLIENT; b++)
            for (int i = 0; i < BENCH_BATCH; i++) {
                uint32_t slot = ((uint32_t)c * BENCH_BATCHES_PER_CLIENT + (uint32_t)b) * BENCH_BATCH + (uint32_t)i;
                int payer, payee;
                int64_t amount;
                payment(&seed, c, b, i, &payer, &payee, &amount);
                work[slot] = bench_transfer_tx(chain_id, &payers[payer].key, payers[payer].sequence++, &payees[payee],
                                               amount);
                secrets[slot] = payers[payer].secret;
            }
    bench_sign_all(work, secrets, total);
    free(secrets);
    return work;
}

void bench_transfers_prepare(bench_transfer_run *run, const tally_tx *work, const bench_tallyd *node,
                             int batches_per_client, long timeout_seconds) {
    run->batches_per_client = batches_per_client;
    for (int c = 0; c < BENCH_CLIENTS; c++) {
        for (int b = 0; b < BENCH_BATCHES_PER_CLIENT; b++)
            run->bodies[c][b] =
                bench_binary_body(work + ((uint32_t)c * BENCH_BATCHES_PER_CLIENT + (uint32_t)b) * BENCH_BATCH,
                                  BENCH_BATCH, &run->lengths[c][b]);
        run->clients[c] = (bench_client){node, run->bodies[c], run->lengths[c], batches_per_client, timeout_seconds,
                                         run->latencies + c * batches_per_client, 0};
    }
}

uint64_t bench_transfers_finish(bench_transfer_run *run) {
    uint64_t committed = 0;
    for (int c = 0; c < BENCH_CLIENTS; c++) {
        committed += run->clients[c].committed;
        for (int b = 0; b < BENCH_BATCHES_PER_CLIENT; b++) {
            free(run->bodies[c][b]);
            run->bodies[c][b] = NULL;
        }
    }
    return committed;
}

/* ---- figures ---- */

int bench_compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_percentile(double *values, int count, int percent) {
    qsort(values, (size_t)count, sizeof *values, bench_compare_double);
    int at = count * percent / 100;
    return values[at < count ? at : count - 1];
}

uint64_t bench_process_kib(pid_t pid, const char *field) {
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

double bench_process_cpu_seconds(pid_t pid) {
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

double bench_own_cpu_seconds(void) {
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
    return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec * 1e-6 + (double)usage.ru_stime.tv_sec +
           (double)usage.ru_stime.tv_usec * 1e-6;
}

void bench_read_thread_cpu(pid_t pid, bench_cpu_by_thread *out) {
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
            if (out->count == BENCH_THREAD_NAMES_MAX) continue;
            snprintf(out->threads[out->count++].name, sizeof out->threads[0].name, "%s", name);
        }
        out->threads[at].seconds += (double)(utime + stime) / tick;
    }
    closedir(tasks);
}

double bench_thread_cpu_of(const bench_cpu_by_thread *cpu, const char *name) {
    for (int i = 0; i < cpu->count; i++)
        if (strcmp(cpu->threads[i].name, name) == 0) return cpu->threads[i].seconds;
    return 0;
}
