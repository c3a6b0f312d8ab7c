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
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "bench_tallyd.h"
#include "tally.h"

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

static bench_tallyd node;
static bench_member founder, alice, bob;

static long now_ms(void) { return (long)(bench_now_seconds() * 1000.0); }

/* A counter of the node's /metrics, asked on a new connection (-1 when absent). */
static double metric(const char *name) {
    CURL *curl = curl_easy_init();
    double value = curl ? bench_metric(curl, &node, name) : -1;
    curl_easy_cleanup(curl);
    return value;
}

/* POSTs txs (signed) in one binary body with wait=commit, on a new connection:
 * how many committed. */
static uint32_t submit_signed(tally_tx *txs, uint32_t count) {
    CURL *curl = curl_easy_init();
    if (!curl) return 0;
    uint32_t committed = bench_post_committed(curl, &node, txs, count, 120, "floods: setup");
    curl_easy_cleanup(curl);
    return committed;
}

static bool submit_one(bench_member *s, tally_tx *tx) {
    tally_tx_sign(tx, s->secret);
    return submit_signed(tx, 1) == 1;
}

/* Commons (network 1) with alice and bob; then FOUNDER_KEYS x NETWORKS_PER_KEY networks. */
static bool setup_world(int *networks) {
    bench_member *all[] = {&founder, &alice, &bob};
    for (int i = 0; i < 3; i++) bench_members_make(all[i], 1);
    tally_tx tx = bench_member_tx(node.chain_id, &founder, TALLY_TX_NETWORK_CREATE);
    bench_set_text(&tx.body.network_create.name, "Commons");
    bench_set_text(&tx.body.network_create.unit_code, "COM");
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
        tx = bench_member_tx(node.chain_id, all[i], TALLY_TX_MEMBER_JOIN);
        tx.body.network_only.network_id = 1;
        if (!submit_one(all[i], &tx)) return false;
    }
    /* every founder key founds a few networks (a fresh key may found a few a day) */
    enum { BATCH = 4096 };
    tally_tx *txs = calloc(BATCH, sizeof *txs);
    if (!txs) return false;
    *networks = 1;
    bench_member key = {0};
    for (int index = 0; index < FOUNDER_KEYS * NETWORKS_PER_KEY;) {
        uint32_t in_batch = 0;
        for (; in_batch < BATCH && index < FOUNDER_KEYS * NETWORKS_PER_KEY; in_batch++, index++) {
            if (index % NETWORKS_PER_KEY == 0) bench_members_make(&key, 1);
            tx = bench_member_tx(node.chain_id, &key, TALLY_TX_NETWORK_CREATE);
            char name[32];
            snprintf(name, sizeof name, "Flood %05d", index);
            bench_set_text(&tx.body.network_create.name, name);
            bench_set_text(&tx.body.network_create.unit_code, "FLD");
            tx.body.network_create.decimals = 2;
            tally_policy_defaults(&tx.body.network_create.policy);
            tally_tx_sign(&tx, key.secret);
            txs[in_batch] = tx;
        }
        *networks += (int)submit_signed(txs, in_batch);
    }
    free(txs);
    return *networks == 1 + FOUNDER_KEYS * NETWORKS_PER_KEY;
}

static bool pay(long *ms) {
    bench_member *payer = alice.sequence <= bob.sequence ? &alice : &bob, *payee = payer == &alice ? &bob : &alice;
    /* for at most BENCH_MAX_FEE (100) in fees */
    tally_tx tx = bench_transfer_tx(node.chain_id, &payer->key, payer->sequence++, &payee->key, 100);
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
        long status = bench_request_once(&node, "GET", "/v1/status", NULL, 0, NULL, 5000, NULL);
        long us = (long)((bench_now_seconds() - start) * 1e6);
        if (status != 200) p->failed++;
        else if (p->count < (int)(sizeof p->latencies_us / sizeof p->latencies_us[0])) p->latencies_us[p->count++] = us;
        long rss = (long)bench_process_kib(node.pid, "VmRSS");
        if (rss > p->rss_peak_kib) p->rss_peak_kib = rss;
        bench_sleep_ms(PROBE_EVERY_MS);
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
            bench_buffer answer;
            long status = bench_request_once(&node, "GET", path, NULL, 0, NULL, 60000, &answer);
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
    address.sin_port = htons((uint16_t)node.port);
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
            bench_sleep_ms(10);
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

static char *junk_bodies[JUNK_KEYS][JUNK_BATCHES_PER_KEY];
static size_t junk_lengths[JUNK_KEYS][JUNK_BATCHES_PER_KEY];

/* Each junk key's JUNK_BATCHES_PER_KEY bodies of JUNK_BATCH transfers to alice,
 * signed on every core; false when out of memory. */
static bool make_junk(void) {
    tally_tx *txs = calloc(JUNK_BATCH, sizeof *txs);
    const uint8_t **secrets = calloc(JUNK_BATCH, sizeof *secrets);
    bool ok = txs && secrets;
    for (int k = 0; ok && k < JUNK_KEYS; k++) {
        bench_member key;
        bench_members_make(&key, 1);
        for (int b = 0; ok && b < JUNK_BATCHES_PER_KEY; b++) {
            for (int i = 0; i < JUNK_BATCH; i++) {
                txs[i] = bench_transfer_tx(node.chain_id, &key.key, key.sequence++, &alice.key, 1);
                secrets[i] = key.secret;
            }
            bench_sign_all(txs, secrets, JUNK_BATCH);
            junk_bodies[k][b] = bench_binary_body(txs, JUNK_BATCH, &junk_lengths[k][b]);
            ok = junk_bodies[k][b] != NULL;
        }
    }
    free(txs);
    free(secrets);
    return ok;
}

static void *junk_main(void *context) {
    flooder *f = context;
    for (int b = 0; !*f->stop; b = (b + 1) % JUNK_BATCHES_PER_KEY) {
        if (!junk_bodies[f->index][b]) break;
        long status = bench_request_once(&node, "POST", "/v1/transactions", junk_bodies[f->index][b],
                                         junk_lengths[f->index][b], BENCH_BINARY, 60000, NULL);
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
    if (flood) bench_sleep_ms(500); /* the flood under way */
    pthread_create(&probe_thread, NULL, probe_main, p);
    long start = now_ms();
    if (payment_ms) {
        bench_sleep_ms(ms / 2);
        *paid = pay(payment_ms);
    }
    long left = ms - (now_ms() - start);
    if (left > 0) bench_sleep_ms(left);
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
    const char *tallyd = bench_tallyd_program();
    if (!bench_tallyd_built(tallyd, "floods")) return;
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
    if (!bench_tallyd_start(&node, tallyd, directory, NULL, NULL)) {
        printf("floods: could not start %s\n", tallyd);
        goto done;
    }
    if (!setup_world(&networks)) {
        printf("floods: setup failed (%d networks founded)\n", networks);
        goto done;
    }
    json_attack = attack_body(JSON_ATTACK_LARGE);
    json_attack_small = attack_body(JSON_ATTACK_SMALL);
    make_junk(); /* a key without bodies sends nothing */
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
    bench_tallyd_stop(&node);
    bench_remove_directory(directory, "bench floods");
    curl_global_cleanup();
}
