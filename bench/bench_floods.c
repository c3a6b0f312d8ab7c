/*
 * bench_floods.c: the floods of issue 7 against a release tallyd, each next to the
 * same figures without it, in the same run. For each flood the node's RSS (peak of
 * VmRSS sampled every 10 ms) and the p99 latency of GET /v1/status (a new
 * connection every 10 ms, as a new client would make) are measured for 3 s of quiet
 * just before it and for the 8 s it runs, with a payment between two members timed
 * in the middle of each:
 *   3  8 concurrent full listings (walking the cursors) of 16,384 networks;
 *   5  600 slowloris sockets from 127.0.0.2 trickling a header line every second
 *      (and reconnecting a second after the node closes them);
 *   6  40 concurrent bodies of {"x":[1,1,...]}, 4 MiB and 1.25 MiB, sent again and
 *      again;
 *   9  16 keys that belong to no network sending signed transfers (binary batches
 *      of 4,096, wait=none) as fast as the node takes them.
 * TALLY_BENCH_TALLYD names another tallyd to measure (an older build, for the
 * figures before a fix); it is started with the options every version knows.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "tally.h"

#define DEFAULT_TALLYD "build/release/tallyd"
enum {
    QUIET_MS = 3000,
    FLOOD_MS = 8000,
    PROBE_EVERY_MS = 10,
    FOUNDER_KEYS = 5461,
    NETWORKS_PER_KEY = 3, /* a key may found 3 networks a day on an open chain, by default */
    LISTERS = 8,
    SLOWLORIS = 600,
    BODY_CLIENTS = 40,
    JUNK_KEYS = 16,
    JUNK_BATCH = 4096,
    JUNK_BATCHES_PER_KEY = 4
};
#define JSON_ATTACK_LARGE ((size_t)(4u << 20) - 1)
#define JSON_ATTACK_SMALL ((size_t)(1280u << 10) - 16)

static char node_url[64];
static unsigned node_port;
static pid_t node_pid;
static uint8_t chain_id[TALLY_CHAIN_ID_BYTES];

typedef struct {
    tally_key key;
    uint8_t secret[TALLY_SECRET_BYTES];
    uint64_t sequence;
} signer;

static signer founder, alice, bob;

static long now_ms(void) { return (long)(bench_now_seconds() * 1000.0); }

static void sleep_ms(long ms) {
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

/* ---- HTTP with libcurl ---- */

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

/* One request on a new connection; the HTTP status (0: no answer), the body into
 * answer (may be NULL; caller frees). */
static long request(const char *method, const char *path, const void *body, size_t length, const char *type,
                    long timeout_ms, buffer *answer) {
    CURL *curl = curl_easy_init();
    if (!curl) return 0;
    char url[512];
    snprintf(url, sizeof url, "%s%s", node_url, path);
    buffer sink = {NULL, 0};
    buffer *into = answer ? answer : &sink;
    into->bytes = NULL, into->length = 0;
    struct curl_slist *headers = NULL;
    if (type) headers = curl_slist_append(headers, type);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, into);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (headers) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)length);
    }
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    free(sink.bytes);
    return status;
}

/* A counter of the node's /metrics (-1 when absent). */
static double metric(const char *name) {
    buffer text = {NULL, 0};
    double value = -1;
    if (request("GET", "/metrics", NULL, 0, NULL, 10000, &text) == 200 && text.bytes) {
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

static size_t count_of(const char *text, const char *needle) {
    size_t count = 0;
    for (const char *at = text ? strstr(text, needle) : NULL; at; at = strstr(at + 1, needle)) count++;
    return count;
}

/* ---- transactions ---- */

static tally_tx new_tx(signer *s, tally_tx_type type) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = (uint8_t)type;
    memcpy(tx.chain_id, chain_id, sizeof chain_id);
    tx.signer = s->key;
    tx.sequence = s->sequence++;
    return tx;
}

static void set_text(tally_text *text, const char *value) {
    text->length = (uint16_t)strlen(value);
    memcpy(text->bytes, value, text->length);
}

/* Appends tx, signed with secret, as a binary frame at body + *at. */
static void frame_append(tally_tx *tx, const uint8_t *secret, uint8_t *body, size_t *at) {
    tally_tx_sign(tx, secret);
    size_t length = tally_tx_encode(tx, body + *at + 2, TALLY_TX_SINGLE_ENCODED_MAX);
    body[*at] = (uint8_t)(length & 0xff), body[*at + 1] = (uint8_t)(length >> 8);
    *at += 2 + length;
}

/* POSTs a binary batch with wait=commit; how many committed. */
static size_t submit_committed(const uint8_t *body, size_t length) {
    buffer answer;
    long status = request("POST", "/v1/transactions?wait=commit", body, length,
                          "Content-Type: application/octet-stream", 120000, &answer);
    size_t committed = status == 200 ? count_of(answer.bytes, "\"committed\"") : 0;
    const char *code = answer.bytes ? strstr(answer.bytes, "\"code\":\"") : NULL;
    if (code) fprintf(stderr, "floods: a setup transaction was refused: %.60s\n", code + 8);
    free(answer.bytes);
    return committed;
}

static bool submit_one(signer *s, tally_tx *tx) {
    uint8_t body[2 + TALLY_TX_SINGLE_ENCODED_MAX];
    size_t at = 0;
    frame_append(tx, s->secret, body, &at);
    return submit_committed(body, at) == 1;
}

/* ---- the node ---- */

static bool start_node(const char *tallyd, const char *directory) {
    char data[300], port_file[320];
    snprintf(data, sizeof data, "%s/data", directory);
    snprintf(port_file, sizeof port_file, "%s/port", directory);
    node_pid = fork();
    if (node_pid == 0) {
        execl(tallyd, tallyd, "--data", data, "--listen", "127.0.0.1:0", "--port-file", port_file, "--quiet",
              (char *)NULL);
        _exit(127);
    }
    if (node_pid < 0) return false;
    for (int attempt = 0; attempt < 200; attempt++) {
        FILE *file = fopen(port_file, "r");
        unsigned port = 0;
        if (file) {
            if (fscanf(file, "%u", &port) != 1) port = 0;
            fclose(file);
        }
        if (port) {
            node_port = port;
            snprintf(node_url, sizeof node_url, "http://127.0.0.1:%u", port);
            buffer answer;
            long status = request("GET", "/v1/status", NULL, 0, NULL, 5000, &answer);
            const char *at = status == 200 && answer.bytes ? strstr(answer.bytes, "\"chain_id\":\"") : NULL;
            size_t length = 0;
            bool ok = at && sodium_hex2bin(chain_id, sizeof chain_id, at + 12, 64, NULL, &length, NULL) == 0 &&
                      length == sizeof chain_id;
            free(answer.bytes);
            if (ok) return true;
        }
        sleep_ms(50);
    }
    return false;
}

static long node_rss_kib(void) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)node_pid);
    FILE *file = fopen(path, "r");
    if (!file) return -1;
    long value = -1;
    while (fgets(line, sizeof line, file))
        if (strncmp(line, "VmRSS:", 6) == 0) value = strtol(line + 6, NULL, 10);
    fclose(file);
    return value;
}

/* Commons (network 1) with alice and bob; then FOUNDER_KEYS x NETWORKS_PER_KEY networks. */
static bool setup_world(int *networks) {
    signer *all[] = {&founder, &alice, &bob};
    for (int i = 0; i < 3; i++) {
        tally_keypair(&all[i]->key, all[i]->secret, NULL);
        all[i]->sequence = 1;
    }
    tally_tx tx = new_tx(&founder, TALLY_TX_NETWORK_CREATE);
    set_text(&tx.body.network_create.name, "Commons");
    set_text(&tx.body.network_create.unit_code, "COM");
    tx.body.network_create.decimals = 2;
    tally_policy *policy = &tx.body.network_create.policy;
    tally_policy_defaults(policy);
    policy->membership_mode = TALLY_MEMBERSHIP_OPEN;
    policy->default_credit_limit = 1000000000;
    policy->max_credit_limit = 1000000000;
    policy->period_seconds = 365 * 24 * 3600;
    policy->grace_seconds = 30 * 24 * 3600;
    policy->compliance_rule = TALLY_COMPLIANCE_REBALANCED;
    policy->auto_renew = true;
    if (!submit_one(&founder, &tx)) return false;
    for (int i = 1; i < 3; i++) {
        tx = new_tx(all[i], TALLY_TX_MEMBER_JOIN);
        tx.body.network_only.network_id = 1;
        if (!submit_one(all[i], &tx)) return false;
    }
    /* every founder key founds a few networks (a fresh key may found a few a day) */
    enum { BATCH = 4096 };
    uint8_t *body = malloc((size_t)BATCH * (2 + TALLY_TX_SINGLE_ENCODED_MAX));
    if (!body) return false;
    *networks = 1;
    signer key = {0};
    for (int index = 0; index < FOUNDER_KEYS * NETWORKS_PER_KEY;) {
        size_t at = 0;
        int in_batch = 0;
        for (; in_batch < BATCH && index < FOUNDER_KEYS * NETWORKS_PER_KEY; in_batch++, index++) {
            if (index % NETWORKS_PER_KEY == 0) {
                tally_keypair(&key.key, key.secret, NULL);
                key.sequence = 1;
            }
            tx = new_tx(&key, TALLY_TX_NETWORK_CREATE);
            char name[32];
            snprintf(name, sizeof name, "Flood %05d", index);
            set_text(&tx.body.network_create.name, name);
            set_text(&tx.body.network_create.unit_code, "FLD");
            tx.body.network_create.decimals = 2;
            tally_policy_defaults(&tx.body.network_create.policy);
            frame_append(&tx, key.secret, body, &at);
        }
        *networks += (int)submit_committed(body, at);
    }
    free(body);
    return *networks == 1 + FOUNDER_KEYS * NETWORKS_PER_KEY;
}

static bool pay(long *ms) {
    signer *payer = alice.sequence <= bob.sequence ? &alice : &bob, *payee = payer == &alice ? &bob : &alice;
    tally_tx tx = new_tx(payer, TALLY_TX_TRANSFER);
    tx.body.transfer.network_id = 1;
    tx.body.transfer.payee = payee->key;
    tx.body.transfer.amount = 100;
    tx.body.transfer.max_fee = 100;
    long start = now_ms();
    bool ok = submit_one(payer, &tx);
    *ms = now_ms() - start;
    if (!ok) payer->sequence--; /* not taken: the next one reuses it */
    return ok;
}

/* ---- the probe: /v1/status and RSS every 10 ms ---- */

typedef struct {
    volatile bool stop;
    long latencies_us[8192];
    int count, failed;
    long rss_peak_kib;
} probe;

static void *probe_main(void *context) {
    probe *p = context;
    while (!p->stop) {
        double start = bench_now_seconds();
        long status = request("GET", "/v1/status", NULL, 0, NULL, 5000, NULL);
        long us = (long)((bench_now_seconds() - start) * 1e6);
        if (status != 200) p->failed++;
        else if (p->count < (int)(sizeof p->latencies_us / sizeof p->latencies_us[0])) p->latencies_us[p->count++] = us;
        long rss = node_rss_kib();
        if (rss > p->rss_peak_kib) p->rss_peak_kib = rss;
        sleep_ms(PROBE_EVERY_MS);
    }
    return NULL;
}

static int compare_long(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static double p99_ms(probe *p) {
    if (p->count == 0) return -1;
    qsort(p->latencies_us, (size_t)p->count, sizeof p->latencies_us[0], compare_long);
    return (double)p->latencies_us[(p->count * 99) / 100] / 1000.0;
}

/* ---- the floods: each runs until *stop ---- */

typedef struct {
    volatile bool *stop;
    long done; /* walks, connections, bodies or transactions */
    int index;
} flooder;

static void *lister_main(void *context) {
    flooder *f = context;
    while (!*f->stop) {
        char path[96] = "/v1/networks?limit=500";
        for (int page = 0; page < 10000 && !*f->stop; page++) {
            buffer answer;
            long status = request("GET", path, NULL, 0, NULL, 60000, &answer);
            const char *next = status == 200 && answer.bytes ? strstr(answer.bytes, "\"next\":") : NULL;
            long cursor = next ? strtol(next + 7, NULL, 10) : 0;
            free(answer.bytes);
            if (cursor <= 0) break; /* null, absent (one page holds all), or a failure */
            snprintf(path, sizeof path, "/v1/networks?limit=500&cursor=%ld", cursor);
        }
        f->done++;
    }
    return NULL;
}

static int connect_from(const char *source) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    inet_pton(AF_INET, source, &address.sin_addr);
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    address.sin_port = htons((uint16_t)node_port);
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool send_all(int fd, const void *bytes, size_t length) {
    const char *at = bytes;
    for (size_t sent = 0; sent < length;) {
        ssize_t n = send(fd, at + sent, length - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        sent += (size_t)n;
    }
    return true;
}

static void *slowloris_main(void *context) {
    flooder *f = context;
    static const char line[] = "GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    int fds[SLOWLORIS];
    long trickled[SLOWLORIS], closed_at[SLOWLORIS];
    struct pollfd polls[SLOWLORIS];
    for (int i = 0; i < SLOWLORIS; i++) fds[i] = -1, closed_at[i] = 0;
    while (!*f->stop) {
        long now = now_ms();
        for (int i = 0; i < SLOWLORIS; i++) {
            if (fds[i] < 0 && now - closed_at[i] >= 1000) {
                fds[i] = connect_from("127.0.0.2");
                if (fds[i] < 0) {
                    closed_at[i] = now;
                    continue;
                }
                f->done++;
                trickled[i] = now;
                if (!send_all(fds[i], line, sizeof line - 1)) close(fds[i]), fds[i] = -1, closed_at[i] = now;
            } else if (fds[i] >= 0 && now - trickled[i] >= 1000) {
                send_all(fds[i], "X-Trickle: 1\r\n", 14);
                trickled[i] = now;
            }
            polls[i] = (struct pollfd){fds[i], POLLIN, 0};
        }
        if (poll(polls, SLOWLORIS, 50) <= 0) continue;
        for (int i = 0; i < SLOWLORIS; i++) {
            if (fds[i] < 0 || !(polls[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char sink[512];
            ssize_t n = recv(fds[i], sink, sizeof sink, MSG_DONTWAIT);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            close(fds[i]);
            fds[i] = -1;
            closed_at[i] = now_ms();
        }
    }
    for (int i = 0; i < SLOWLORIS; i++)
        if (fds[i] >= 0) close(fds[i]);
    return NULL;
}

static char *json_attack, *json_attack_small;

/* {"x":[1,1,1,...]} of exactly `length` bytes. */
static char *attack_body(size_t length) {
    char *body = malloc(length + 1);
    if (!body) return NULL;
    memcpy(body, "{\"x\":[1", 7);
    size_t at = 7;
    while (at + 2 <= length - 2) body[at++] = ',', body[at++] = '1';
    while (at < length - 2) body[at++] = ' ';
    memcpy(body + length - 2, "]}", 2);
    body[length] = '\0';
    return body;
}

static void *body_main(void *context) {
    flooder *f = context;
    while (!*f->stop) {
        bool large = (f->index + f->done) % 2 == 0;
        const char *body = large ? json_attack : json_attack_small;
        size_t length = large ? JSON_ATTACK_LARGE : JSON_ATTACK_SMALL;
        int fd = connect_from("127.0.0.1");
        if (fd < 0) {
            sleep_ms(10);
            continue;
        }
        char headers[256];
        int header_length = snprintf(headers, sizeof headers,
                                     "POST /v1/transactions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                                     "application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                                     length);
        bool ok = send_all(fd, headers, (size_t)header_length);
        struct pollfd p = {fd, POLLIN, 0};
        bool early = ok && poll(&p, 1, 20) > 0; /* refused before the body */
        if (ok && !early) send_all(fd, body, length);
        char sink[4096];
        p.revents = 0;
        while (poll(&p, 1, 30000) > 0 && recv(fd, sink, sizeof sink, 0) > 0) {
        }
        close(fd);
        f->done++;
    }
    return NULL;
}

static uint8_t *junk_bodies[JUNK_KEYS][JUNK_BATCHES_PER_KEY];
static size_t junk_lengths[JUNK_KEYS][JUNK_BATCHES_PER_KEY];

typedef struct {
    int first, last;
} junk_job;

static void *junk_sign_main(void *context) {
    junk_job *job = context;
    for (int k = job->first; k < job->last; k++) {
        signer key;
        tally_keypair(&key.key, key.secret, NULL);
        key.sequence = 1;
        for (int b = 0; b < JUNK_BATCHES_PER_KEY; b++) {
            junk_bodies[k][b] = malloc((size_t)JUNK_BATCH * (2 + TALLY_TX_SINGLE_ENCODED_MAX));
            size_t at = 0;
            for (int i = 0; junk_bodies[k][b] && i < JUNK_BATCH; i++) {
                tally_tx tx = new_tx(&key, TALLY_TX_TRANSFER);
                tx.body.transfer.network_id = 1;
                tx.body.transfer.payee = alice.key;
                tx.body.transfer.amount = 1;
                tx.body.transfer.max_fee = 100;
                frame_append(&tx, key.secret, junk_bodies[k][b], &at);
            }
            junk_lengths[k][b] = at;
        }
    }
    return NULL;
}

static void *junk_main(void *context) {
    flooder *f = context;
    for (int b = 0; !*f->stop; b = (b + 1) % JUNK_BATCHES_PER_KEY) {
        if (!junk_bodies[f->index][b]) break;
        long status = request("POST", "/v1/transactions", junk_bodies[f->index][b], junk_lengths[f->index][b],
                              "Content-Type: application/octet-stream", 60000, NULL);
        if (status == 200) f->done += JUNK_BATCH;
    }
    return NULL;
}

/* ---- a phase: quiet, then the flood, each with its probe ---- */

typedef struct {
    double p99_ms;
    long rss_mib;
    int requests, failed;
} figures;

static figures measure(long ms, void *(*flood)(void *), int threads, long *done, long *payment_ms, bool *paid) {
    probe *p = calloc(1, sizeof *p);
    volatile bool stop = false;
    flooder floods[64];
    pthread_t flood_threads[64], probe_thread;
    int started = 0;
    for (int i = 0; flood && i < threads && i < 64; i++) {
        floods[i] = (flooder){&stop, 0, i};
        if (pthread_create(&flood_threads[started], NULL, flood, &floods[i]) == 0) started++;
    }
    if (flood) sleep_ms(500); /* the flood under way */
    pthread_create(&probe_thread, NULL, probe_main, p);
    long start = now_ms();
    if (payment_ms) {
        sleep_ms(ms / 2);
        *paid = pay(payment_ms);
    }
    long left = ms - (now_ms() - start);
    if (left > 0) sleep_ms(left);
    p->stop = true;
    pthread_join(probe_thread, NULL);
    stop = true;
    for (int i = 0; i < started; i++) pthread_join(flood_threads[i], NULL);
    if (done) {
        *done = 0;
        for (int i = 0; i < started; i++) *done += floods[i].done;
    }
    figures out = {p99_ms(p), p->rss_peak_kib / 1024, p->count + p->failed, p->failed};
    free(p);
    return out;
}

static void print_line(const char *flood, const figures *quiet, const figures *loaded, const char *what, long done,
                       bool paid, long payment_ms) {
    char loaded_p99[32];
    if (loaded->p99_ms < 0) snprintf(loaded_p99, sizeof loaded_p99, "none answered");
    else snprintf(loaded_p99, sizeof loaded_p99, "%.1f ms", loaded->p99_ms);
    printf("floods: %-44s RSS %5ld MB (quiet %4ld MB)   /v1/status p99 %s (quiet %.1f ms), %d of %d failed (quiet "
           "%d); %ld %s; a payment %s in %ld ms\n",
           flood, loaded->rss_mib, quiet->rss_mib, loaded_p99, quiet->p99_ms, loaded->failed, loaded->requests,
           quiet->failed, done, what, paid ? "committed" : "NOT committed", payment_ms);
}

static void run_flood(const char *name, void *(*flood)(void *), int threads, const char *what) {
    figures quiet = measure(QUIET_MS, NULL, 0, NULL, NULL, NULL);
    long done = 0, payment_ms = 0;
    bool paid = false;
    figures loaded = measure(FLOOD_MS, flood, threads, &done, &payment_ms, &paid);
    print_line(name, &quiet, &loaded, what, done, paid, payment_ms);
    fflush(stdout);
}

void bench_floods(void) {
    const char *tallyd = getenv("TALLY_BENCH_TALLYD");
    if (!tallyd || !*tallyd) tallyd = DEFAULT_TALLYD;
    if (access(tallyd, X_OK) != 0) {
        printf("floods: %s is not built; skipped\n", tallyd);
        return;
    }
    struct rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < 4096) {
        files.rlim_cur = files.rlim_max < 4096 ? files.rlim_max : 4096;
        setrlimit(RLIMIT_NOFILE, &files);
    }
    char directory[] = "/tmp/tally-bench-floods-XXXXXX";
    if (!mkdtemp(directory)) return;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int networks = 0;
    double setup_start = bench_now_seconds();
    if (!start_node(tallyd, directory)) {
        printf("floods: could not start %s\n", tallyd);
        goto done;
    }
    if (!setup_world(&networks)) {
        printf("floods: setup failed (%d networks founded)\n", networks);
        goto done;
    }
    json_attack = attack_body(JSON_ATTACK_LARGE);
    json_attack_small = attack_body(JSON_ATTACK_SMALL);
    pthread_t signers[2];
    junk_job jobs[2] = {{0, JUNK_KEYS / 2}, {JUNK_KEYS / 2, JUNK_KEYS}};
    for (int i = 0; i < 2; i++) pthread_create(&signers[i], NULL, junk_sign_main, &jobs[i]);
    for (int i = 0; i < 2; i++) pthread_join(signers[i], NULL);
    printf("floods: %s, %d networks (%d founded by %d keys), set up in %.1f s; each flood: %d s of quiet, then %d s "
           "of flood, /v1/status every %d ms on a new connection\n",
           tallyd, networks, networks - 1, FOUNDER_KEYS, bench_now_seconds() - setup_start, QUIET_MS / 1000,
           FLOOD_MS / 1000, PROBE_EVERY_MS);
    char name[80];
    snprintf(name, sizeof name, "3 (%d full listings of %d networks)", LISTERS, networks);
    run_flood(name, lister_main, LISTERS, "full listings");
    run_flood("5 (600 slowloris sockets from 127.0.0.2)", slowloris_main, 1, "attacking connections");
    run_flood("6 (40 concurrent {\"x\":[1,...]} bodies)", body_main, BODY_CLIENTS, "bodies of 4 MiB and 1.25 MiB");
    double checks_before = metric("tally_signature_checks_total");
    run_flood("9 (16 keys in no network, junk transfers)", junk_main, JUNK_KEYS, "junk transfers taken");
    printf("floods: 9 cost the node %.0f signature checks (the junk is refused NOT_MEMBER before its signature)\n",
           metric("tally_signature_checks_total") - checks_before);
done:
    free(json_attack), free(json_attack_small);
    for (int k = 0; k < JUNK_KEYS; k++)
        for (int b = 0; b < JUNK_BATCHES_PER_KEY; b++) free(junk_bodies[k][b]);
    if (node_pid > 0) {
        kill(node_pid, SIGTERM);
        waitpid(node_pid, NULL, 0);
    }
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", directory);
    if (system(command) != 0) fprintf(stderr, "bench floods: could not remove %s\n", directory);
    curl_global_cleanup();
}
