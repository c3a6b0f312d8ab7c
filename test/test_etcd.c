/*
 * test_etcd.c: the etcd client (src/node/etcd.h) against real etcd members started
 * by test/etcd_cluster.h on loopback: one member for the calls, leases and watches,
 * three for failover (a follower killed, then the leader) and for every member down.
 * Figures (a put's latency, the failover times) are printed on stderr.
 */
#include "test.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "etcd_cluster.h"
#include "node/etcd.h"

#define TIMEOUT_MS 2000u

static long long now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

static bool start_cluster(etcd_cluster *cluster, uint32_t members) {
    char why[600];
    if (etcd_cluster_start(cluster, members, why, sizeof why)) return true;
    fprintf(stderr, "    %s\n", why);
    test_fail(__FILE__, __LINE__, "etcd_cluster_start");
    return false;
}

static etcd_client *open_client(const char *endpoints) {
    char why[300];
    etcd_client *client = etcd_open(endpoints, TIMEOUT_MS, why, sizeof why);
    if (!client) fprintf(stderr, "    etcd_open: %s\n", why);
    return client;
}

/* Prints why when a call did not succeed, so a failure says what etcd said. */
#define CHECK_OK(client, call)                                                            \
    do {                                                                                  \
        etcd_status check_status_ = (call);                                               \
        if (check_status_ != ETCD_OK) {                                                   \
            fprintf(stderr, "    %s: %s\n", etcd_status_name(check_status_), etcd_why(client)); \
            test_fail(__FILE__, __LINE__, #call);                                         \
        }                                                                                 \
    } while (0)

static bool key_is(const etcd_kv *kv, const char *key) {
    return kv->key_length == strlen(key) && memcmp(kv->key, key, kv->key_length) == 0;
}

/* ---- without a cluster ---- */

TEST(etcd_open_refuses_bad_endpoints) {
    char why[300];
    const char *refused[] = {"", "127.0.0.1:2379", "ftp://127.0.0.1:1", "http://a:1,,http://b:2", "http://a:1,"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        why[0] = '\0';
        etcd_client *client = etcd_open(refused[i], TIMEOUT_MS, why, sizeof why);
        CHECK(client == NULL);
        CHECK(strstr(why, "http://host:port") != NULL);
        etcd_close(client);
    }
    char many[2048] = "";
    for (int i = 0; i <= (int)ETCD_ENDPOINTS_MAX; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%shttp://127.0.0.1:%d", i ? "," : "", 24000 + i);
    CHECK(etcd_open(many, TIMEOUT_MS, why, sizeof why) == NULL);
    CHECK(etcd_open("http://127.0.0.1:24000", 0, why, sizeof why) == NULL);
    CHECK(strstr(why, "timeout") != NULL);
    etcd_client *client = etcd_open(" http://127.0.0.1:24000/ , http://127.0.0.1:24001", TIMEOUT_MS, why, sizeof why);
    REQUIRE(client != NULL);
    CHECK(strcmp(etcd_endpoint(client), "http://127.0.0.1:24000") == 0);
    CHECK_EQ(etcd_endpoint_index(client), 0);
    /* Refused before anything is sent: no request counted. */
    CHECK_EQ(etcd_put(client, "", 0, "v", 1, 0), ETCD_REFUSED);
    CHECK(strstr(etcd_why(client), "key is empty") != NULL);
    CHECK_EQ(etcd_client_stats(client).requests, 0);
    etcd_close(client);
}

TEST(etcd_prefix_end_increments_the_last_byte) {
    uint8_t end[8];
    CHECK_EQ(etcd_prefix_end("a/", 2, end, sizeof end), 2);
    CHECK(memcmp(end, "a0", 2) == 0);
    const uint8_t high[] = {'b', 0xff, 0xff};
    CHECK_EQ(etcd_prefix_end(high, sizeof high, end, sizeof end), 1);
    CHECK_EQ(end[0], 'c');
    const uint8_t all[] = {0xff, 0xff};
    CHECK_EQ(etcd_prefix_end(all, sizeof all, end, sizeof end), 1);
    CHECK_EQ(end[0], 0);
}

TEST(etcd_cluster_says_when_etcd_is_missing) {
    etcd_cluster cluster;
    char why[300] = "";
    CHECK(!etcd_cluster_start_binary(&cluster, 1, "/nonexistent/etcd", why, sizeof why));
    CHECK(strcmp(why, "etcd is not installed: run scripts/install-deps.sh (Debian package etcd-server)") == 0);
    etcd_cluster_stop(&cluster);
    etcd_cluster_stop(&cluster); /* twice is safe */
}

/* ---- TLS ---- */

/* Members that serve https and require a client certificate of their CA (as
 * docs/VALIDATORS.md runs them across machines): a client with the CA and its
 * certificate reads and writes and watches; without the certificate, with another
 * CA, or over http, it is refused, and says why; files it cannot read are refused at
 * open. */
TEST(etcd_over_tls_needs_the_ca_and_a_client_certificate) {
    etcd_certificates certificates;
    char why[600] = "";
    if (!etcd_cluster_make_certificates(&certificates, why, sizeof why)) {
        fprintf(stderr, "    %s\n", why);
        test_fail(__FILE__, __LINE__, "etcd_cluster_make_certificates");
        return;
    }
    etcd_cluster cluster;
    if (!etcd_cluster_start_tls(&cluster, 1, &certificates, why, sizeof why)) {
        fprintf(stderr, "    %s\n", why);
        test_fail(__FILE__, __LINE__, "etcd_cluster_start_tls");
        etcd_cluster_remove_certificates(&certificates);
        return;
    }
    const char *url = etcd_cluster_url(&cluster, 0);
    CHECK(strncmp(url, "https://127.0.0.1:", 18) == 0);
    const etcd_tls good = {certificates.ca, certificates.client_cert, certificates.client_key};
    etcd_client *client = etcd_open_tls(url, TIMEOUT_MS, &good, why, sizeof why);
    REQUIRE(client != NULL);
    CHECK_OK(client, etcd_put(client, "tls/a", 5, "sealed", 6, 0));
    etcd_kv kv;
    bool found = false;
    CHECK_OK(client, etcd_get(client, "tls/a", 5, &kv, &found, NULL));
    CHECK(found && kv.value_length == 6 && memcmp(kv.value, "sealed", 6) == 0);
    etcd_kv_release(&kv);
    etcd_close(client);

    /* refused: no client certificate; a CA that signed nobody here; plain http */
    const etcd_tls no_certificate = {certificates.ca, NULL, NULL};
    const etcd_tls other_ca = {certificates.other_ca, certificates.client_cert, certificates.client_key};
    const etcd_tls *refused[] = {&no_certificate, &other_ca};
    for (size_t i = 0; i < 2; i++) {
        client = etcd_open_tls(url, TIMEOUT_MS, refused[i], why, sizeof why);
        REQUIRE(client != NULL);
        CHECK_EQ(etcd_put(client, "tls/b", 5, "x", 1, 0), ETCD_UNAVAILABLE);
        fprintf(stderr, "    refused as it should be: %s\n", etcd_why(client));
        CHECK(strlen(etcd_why(client)) > 0);
        etcd_close(client);
    }
    char plain[64];
    snprintf(plain, sizeof plain, "http://%s", url + 8);
    client = etcd_open_tls(plain, TIMEOUT_MS, &good, why, sizeof why);
    REQUIRE(client != NULL);
    CHECK(etcd_put(client, "tls/b", 5, "x", 1, 0) != ETCD_OK);
    etcd_close(client);
    /* nothing was written by the refused clients */
    client = etcd_open_tls(url, TIMEOUT_MS, &good, why, sizeof why);
    REQUIRE(client != NULL);
    CHECK_OK(client, etcd_get(client, "tls/b", 5, &kv, &found, NULL));
    CHECK(!found);
    etcd_close(client);

    /* files that cannot be used are refused at open, with why */
    const etcd_tls half = {certificates.ca, certificates.client_cert, NULL};
    CHECK(etcd_open_tls(url, TIMEOUT_MS, &half, why, sizeof why) == NULL);
    CHECK(strstr(why, "both its certificate and its key") != NULL);
    const etcd_tls missing = {"/nonexistent/ca.pem", NULL, NULL};
    CHECK(etcd_open_tls(url, TIMEOUT_MS, &missing, why, sizeof why) == NULL);
    CHECK(strstr(why, "cannot read the etcd CA file /nonexistent/ca.pem") != NULL);
    etcd_cluster_stop(&cluster);
    etcd_cluster_remove_certificates(&certificates);
}

/* ---- one member ---- */

static void put_get_body(etcd_client *client) {
    uint8_t bytes[256];
    for (int i = 0; i < 256; i++) bytes[i] = (uint8_t)i;
    CHECK_OK(client, etcd_put(client, bytes, sizeof bytes, bytes, sizeof bytes, 0));
    etcd_kv kv;
    bool found = false;
    int64_t revision = 0;
    CHECK_OK(client, etcd_get(client, bytes, sizeof bytes, &kv, &found, &revision));
    REQUIRE(found);
    CHECK_EQ(kv.key_length, 256);
    CHECK_EQ(kv.value_length, 256);
    CHECK(memcmp(kv.key, bytes, 256) == 0 && memcmp(kv.value, bytes, 256) == 0);
    CHECK_EQ(kv.mod_revision, revision);
    CHECK_EQ(kv.version, 1);
    etcd_kv_release(&kv);

    CHECK_OK(client, etcd_put(client, "empty", 5, NULL, 0, 0));
    CHECK_OK(client, etcd_get(client, "empty", 5, &kv, &found, NULL));
    CHECK(found);
    CHECK_EQ(kv.value_length, 0);
    CHECK(kv.value != NULL && kv.value[0] == 0);
    CHECK_EQ(kv.mod_revision, revision + 1);
    etcd_kv_release(&kv);

    CHECK_OK(client, etcd_get(client, "missing", 7, &kv, &found, &revision));
    CHECK(!found);
    CHECK(kv.key == NULL && kv.value == NULL);

    /* The bound: refused before sending, with the sizes in the sentence... */
    size_t large = ETCD_VALUE_BYTES_MAX + 1;
    uint8_t *value = calloc(1, large);
    REQUIRE(value != NULL);
    uint64_t requests = etcd_client_stats(client).requests;
    CHECK_EQ(etcd_put(client, "large", 5, value, large, 0), ETCD_REFUSED);
    CHECK(strstr(etcd_why(client), "1400001 bytes") != NULL && strstr(etcd_why(client), "not sent") != NULL);
    CHECK_EQ(etcd_client_stats(client).requests, requests);
    /* ...while a value of the bound itself passes etcd's own limit. */
    long long started = now_ms();
    CHECK_OK(client, etcd_put(client, "large", 5, value, ETCD_VALUE_BYTES_MAX, 0));
    long long large_ms = now_ms() - started;
    CHECK_OK(client, etcd_get(client, "large", 5, &kv, &found, NULL));
    CHECK(found && kv.value_length == ETCD_VALUE_BYTES_MAX);
    etcd_kv_release(&kv);
    free(value);

    /* etcd's refusal: a lease that does not exist. Nothing written. */
    CHECK_EQ(etcd_put(client, "leased", 6, "x", 1, 12345), ETCD_REFUSED);
    CHECK(strstr(etcd_why(client), "requested lease not found") != NULL);
    CHECK_OK(client, etcd_get(client, "leased", 6, NULL, &found, NULL));
    CHECK(!found);

    /* A put's latency on loopback through one reused connection. */
    etcd_stats before = etcd_client_stats(client);
    for (int i = 0; i < 100; i++) CHECK_OK(client, etcd_put(client, "latency", 7, "value", 5, 0));
    etcd_stats after = etcd_client_stats(client);
    CHECK_EQ(after.requests - before.requests, 100);
    CHECK_EQ(after.connections, before.connections); /* one connection, reused */
    CHECK(after.connections >= 1);
    CHECK(after.total_us > before.total_us && after.last_us > 0);
    fprintf(stderr, "    etcd put on loopback: %.0f us average over 100 (sanitizer build); 1.4 MB put %lld ms\n",
            (double)(after.total_us - before.total_us) / 100.0, large_ms);
}

TEST(etcd_put_get_round_trip) {
    etcd_cluster cluster;
    if (!start_cluster(&cluster, 1)) return;
    etcd_client *client = open_client(etcd_cluster_urls(&cluster));
    if (client) put_get_body(client);
    CHECK(client != NULL);
    etcd_close(client);
    etcd_cluster_stop(&cluster);
}

static void range_body(etcd_client *client) {
    for (int i = 9; i >= 0; i--) {
        char key[16], value[16];
        snprintf(key, sizeof key, "r/%02d", i);
        snprintf(value, sizeof value, "v%d", i);
        CHECK_OK(client, etcd_put(client, key, 4, value, strlen(value), 0));
    }
    CHECK_OK(client, etcd_put(client, "q", 1, "outside", 7, 0));
    CHECK_OK(client, etcd_put(client, "s", 1, "outside", 7, 0));
    uint8_t end[8];
    size_t end_length = etcd_prefix_end("r/", 2, end, sizeof end);
    /* Pages of 4: r/00..03, r/04..07, r/08..09, each continuing after the last key. */
    char start[16] = "r/";
    size_t start_length = 2;
    int seen = 0, pages = 0;
    bool more = true;
    while (more && pages < 5) {
        etcd_kv *kvs = NULL;
        uint32_t count = 0;
        int64_t revision = 0;
        CHECK_OK(client, etcd_range(client, start, start_length, end, end_length, 4, &kvs, &count, &more, &revision));
        pages++;
        CHECK_EQ(count, pages < 3 ? 4 : 2);
        CHECK(more == (pages < 3));
        CHECK(revision >= 12);
        for (uint32_t i = 0; i < count; i++) {
            char key[16], value[16];
            snprintf(key, sizeof key, "r/%02d", seen);
            snprintf(value, sizeof value, "v%d", seen);
            CHECK(key_is(&kvs[i], key));
            CHECK(kvs[i].value_length == strlen(value) && memcmp(kvs[i].value, value, strlen(value)) == 0);
            seen++;
        }
        if (count > 0) {
            memcpy(start, kvs[count - 1].key, kvs[count - 1].key_length);
            start[kvs[count - 1].key_length] = '\0';
            start_length = kvs[count - 1].key_length + 1; /* the key plus a zero byte */
        }
        etcd_kvs_release(kvs, count);
        if (count == 0) break;
    }
    CHECK_EQ(seen, 10);
    CHECK_EQ(pages, 3);

    etcd_kv *all = NULL;
    uint32_t count = 0;
    CHECK_OK(client, etcd_range(client, "r/", 2, end, end_length, 0, &all, &count, &more, NULL));
    CHECK_EQ(count, 10);
    CHECK(!more);
    etcd_kvs_release(all, count);

    int64_t deleted = -1;
    CHECK_OK(client, etcd_delete_range(client, "r/", 2, end, end_length, &deleted));
    CHECK_EQ(deleted, 10);
    CHECK_OK(client, etcd_delete_range(client, "r/", 2, end, end_length, &deleted));
    CHECK_EQ(deleted, 0);
    CHECK_OK(client, etcd_delete_range(client, "q", 1, NULL, 0, &deleted));
    CHECK_EQ(deleted, 1);
    bool found = true;
    CHECK_OK(client, etcd_get(client, "s", 1, NULL, &found, NULL));
    CHECK(found);
}

TEST(etcd_range_in_key_order_and_delete_counts) {
    etcd_cluster cluster;
    if (!start_cluster(&cluster, 1)) return;
    etcd_client *client = open_client(etcd_cluster_urls(&cluster));
    if (client) range_body(client);
    CHECK(client != NULL);
    etcd_close(client);
    etcd_cluster_stop(&cluster);
}

static void create_body(etcd_client *client) {
    bool created = false;
    int64_t revision = 0;
    etcd_kv existing;
    CHECK_OK(client, etcd_create(client, "blocks/1", 8, "first", 5, 0, NULL, &created, &revision, &existing));
    CHECK(created);
    CHECK(revision > 1);
    CHECK(existing.key == NULL);
    int64_t first_revision = revision;

    CHECK_OK(client, etcd_create(client, "blocks/1", 8, "second", 6, 0, NULL, &created, &revision, &existing));
    CHECK(!created);
    CHECK_EQ(revision, first_revision); /* nothing written */
    CHECK(key_is(&existing, "blocks/1"));
    CHECK(existing.value_length == 5 && memcmp(existing.value, "first", 5) == 0);
    CHECK_EQ(existing.create_revision, first_revision);
    etcd_kv_release(&existing);

    /* The guard: "leader" must hold "me". Missing, then another value, then it. */
    etcd_guard guard = {"leader", 6, "me", 2};
    CHECK_OK(client, etcd_create(client, "blocks/2", 8, "two", 3, 0, &guard, &created, NULL, &existing));
    CHECK(!created);
    CHECK(existing.key == NULL); /* the key is absent: only the guard failed */
    CHECK_OK(client, etcd_put(client, "leader", 6, "other", 5, 0));
    CHECK_OK(client, etcd_create(client, "blocks/2", 8, "two", 3, 0, &guard, &created, NULL, NULL));
    CHECK(!created);
    bool found = true;
    CHECK_OK(client, etcd_get(client, "blocks/2", 8, NULL, &found, NULL));
    CHECK(!found);
    CHECK_OK(client, etcd_put(client, "leader", 6, "me", 2, 0));
    CHECK_OK(client, etcd_create(client, "blocks/2", 8, "two", 3, 0, &guard, &created, &revision, NULL));
    CHECK(created);
    etcd_kv kv;
    CHECK_OK(client, etcd_get(client, "blocks/2", 8, &kv, &found, NULL));
    CHECK(found && kv.value_length == 3 && memcmp(kv.value, "two", 3) == 0 && kv.mod_revision == revision);
    etcd_kv_release(&kv);
    /* The guard holds but the key exists: the existing value comes back. */
    CHECK_OK(client, etcd_create(client, "blocks/2", 8, "again", 5, 0, &guard, &created, NULL, &existing));
    CHECK(!created);
    CHECK(existing.value_length == 3 && memcmp(existing.value, "two", 3) == 0);
    etcd_kv_release(&existing);

    /* The value and the guard's together are bounded. */
    etcd_guard large = {"leader", 6, "me", ETCD_VALUE_BYTES_MAX};
    CHECK_EQ(etcd_create(client, "blocks/3", 8, "x", 1, 0, &large, &created, NULL, NULL), ETCD_REFUSED);
    CHECK(strstr(etcd_why(client), "not sent") != NULL);
}

TEST(etcd_create_once_and_guarded) {
    etcd_cluster cluster;
    if (!start_cluster(&cluster, 1)) return;
    etcd_client *client = open_client(etcd_cluster_urls(&cluster));
    if (client) create_body(client);
    CHECK(client != NULL);
    etcd_close(client);
    etcd_cluster_stop(&cluster);
}

static void lease_body(etcd_client *client) {
    int64_t short_lease = 0, kept_lease = 0;
    CHECK_OK(client, etcd_lease_grant(client, 1, &short_lease));
    CHECK_OK(client, etcd_lease_grant(client, 2, &kept_lease));
    REQUIRE(short_lease != 0 && kept_lease != 0 && short_lease != kept_lease);
    CHECK_OK(client, etcd_put(client, "short", 5, "a", 1, short_lease));
    CHECK_OK(client, etcd_put(client, "kept", 4, "b", 1, kept_lease));
    etcd_kv kv;
    bool found = false;
    CHECK_OK(client, etcd_get(client, "short", 5, &kv, &found, NULL));
    CHECK(found && kv.lease == short_lease);
    etcd_kv_release(&kv);
    /* 3 s: past both TTLs; only the kept lease is renewed (every 300 ms). */
    long long started = now_ms(), short_gone_ms = -1;
    while (now_ms() - started < 3000) {
        int64_t ttl = 0;
        CHECK_OK(client, etcd_lease_keepalive(client, kept_lease, &ttl));
        CHECK(ttl >= 1 && ttl <= 2);
        if (short_gone_ms < 0) {
            CHECK_OK(client, etcd_get(client, "short", 5, NULL, &found, NULL));
            if (!found) short_gone_ms = now_ms() - started;
        }
        sleep_ms(300);
    }
    CHECK(short_gone_ms >= 500);
    fprintf(stderr, "    etcd lease of TTL 1 s: its key gone after %lld ms\n", short_gone_ms);
    int64_t ttl = -1;
    CHECK_OK(client, etcd_lease_keepalive(client, short_lease, &ttl));
    CHECK_EQ(ttl, 0); /* gone */
    CHECK_OK(client, etcd_get(client, "kept", 4, NULL, &found, NULL));
    CHECK(found);
    CHECK_OK(client, etcd_lease_revoke(client, kept_lease));
    CHECK_OK(client, etcd_get(client, "kept", 4, NULL, &found, NULL));
    CHECK(!found);
    CHECK_OK(client, etcd_lease_keepalive(client, kept_lease, &ttl));
    CHECK_EQ(ttl, 0);
    CHECK_EQ(etcd_lease_revoke(client, kept_lease), ETCD_REFUSED);
    CHECK(strstr(etcd_why(client), "lease not found") != NULL);
}

TEST(etcd_lease_expires_without_keepalive) {
    etcd_cluster cluster;
    if (!start_cluster(&cluster, 1)) return;
    etcd_client *client = open_client(etcd_cluster_urls(&cluster));
    if (client) lease_body(client);
    CHECK(client != NULL);
    etcd_close(client);
    etcd_cluster_stop(&cluster);
}

/* ---- watches ---- */

typedef struct {
    int count;
    int wanted;
    int64_t revisions[128];
    char keys[128][16];
    bool deletes[128];
    bool ordered;
} watch_log;

static bool record_event(void *context, const etcd_event *event) {
    watch_log *log = context;
    if (log->count >= 128) return false;
    if (log->count > 0 && event->mod_revision <= log->revisions[log->count - 1]) log->ordered = false;
    log->revisions[log->count] = event->mod_revision;
    snprintf(log->keys[log->count], sizeof log->keys[0], "%.*s", (int)event->key_length, (const char *)event->key);
    log->deletes[log->count] = event->is_delete;
    log->count++;
    return log->count < log->wanted;
}

typedef struct {
    const char *endpoints;
    int first, count;
    bool delete_last;
    long pause_ms;
    bool ok;
} putter;

static void *put_keys(void *context) {
    putter *job = context;
    etcd_client *client = etcd_open(job->endpoints, TIMEOUT_MS, NULL, 0);
    job->ok = client != NULL;
    for (int i = job->first; client && i < job->first + job->count; i++) {
        char key[16];
        snprintf(key, sizeof key, "w/%02d", i);
        if (etcd_put(client, key, strlen(key), "v", 1, 0) != ETCD_OK) job->ok = false;
        if (job->pause_ms) sleep_ms(job->pause_ms);
    }
    if (client && job->delete_last && etcd_delete_range(client, "w/00", 4, NULL, 0, NULL) != ETCD_OK) job->ok = false;
    etcd_close(client);
    return NULL;
}

typedef struct {
    const char *endpoints;
    int64_t from;
    watch_log log;
    volatile bool stop;
    volatile bool done;
    etcd_status status;
    char why[600];
    etcd_stats stats;
} watcher;

static void *run_watch(void *context) {
    watcher *job = context;
    etcd_client *client = etcd_open(job->endpoints, TIMEOUT_MS, NULL, 0);
    job->status = client ? etcd_watch(client, "w/", 2, "w0", 2, job->from, record_event, &job->log, &job->stop, 100)
                         : ETCD_REFUSED;
    if (client) {
        snprintf(job->why, sizeof job->why, "%s", etcd_why(client));
        job->stats = etcd_client_stats(client);
    }
    etcd_close(client);
    job->done = true;
    return NULL;
}

static bool record_nothing(void *context, const etcd_event *event) {
    (void)context;
    (void)event;
    return true;
}

static void *stop_later(void *context) {
    sleep_ms(300);
    *(volatile bool *)context = true;
    return NULL;
}

static void watch_body(etcd_cluster *cluster, etcd_client *client) {
    int64_t revision = 0;
    bool found = false;
    CHECK_OK(client, etcd_get(client, "w/", 2, NULL, &found, &revision));
    /* Another client puts 50 keys and deletes one; the watch sees 51 events. */
    watcher watch = {.endpoints = etcd_cluster_urls(cluster), .from = revision + 1, .log = {.wanted = 51, .ordered = true}};
    putter puts = {.endpoints = etcd_cluster_urls(cluster), .first = 0, .count = 50, .delete_last = true};
    pthread_t watch_thread, put_thread;
    REQUIRE(pthread_create(&watch_thread, NULL, run_watch, &watch) == 0);
    REQUIRE(pthread_create(&put_thread, NULL, put_keys, &puts) == 0);
    pthread_join(put_thread, NULL);
    CHECK(puts.ok);
    for (long long deadline = now_ms() + 10000; !watch.done && now_ms() < deadline;) sleep_ms(20);
    watch.stop = true;
    pthread_join(watch_thread, NULL);
    if (watch.status != ETCD_OK) fprintf(stderr, "    watch: %s\n", watch.why);
    CHECK_EQ(watch.status, ETCD_OK);
    CHECK_EQ(watch.log.count, 51);
    CHECK(watch.log.ordered);
    CHECK_EQ(watch.log.revisions[0], revision + 1);
    for (int i = 0; i < 50 && i < watch.log.count; i++) {
        char key[16];
        snprintf(key, sizeof key, "w/%02d", i);
        CHECK(strcmp(watch.log.keys[i], key) == 0);
        CHECK(!watch.log.deletes[i]);
    }
    CHECK(watch.log.count < 51 || (watch.log.deletes[50] && strcmp(watch.log.keys[50], "w/00") == 0));

    /* Stop: nothing arrives, the flag turns true after 300 ms, idle_ms is 100. */
    volatile bool stop = false;
    pthread_t stopper;
    REQUIRE(pthread_create(&stopper, NULL, stop_later, (void *)(uintptr_t)&stop) == 0);
    long long started = now_ms();
    CHECK_OK(client, etcd_watch(client, "w/", 2, "w0", 2, 0, record_nothing, NULL, &stop, 100));
    long long returned_ms = now_ms() - started;
    pthread_join(stopper, NULL);
    CHECK(returned_ms >= 300 && returned_ms < 300 + 100 + 250);
    fprintf(stderr, "    etcd watch returned %lld ms after its start, the stop came at 300 ms (idle_ms 100)\n",
            returned_ms);

    /* Compaction: a watch from before the compact revision is told so. */
    int64_t old = 0;
    CHECK_OK(client, etcd_get(client, "w/01", 4, NULL, &found, &old));
    CHECK_OK(client, etcd_put(client, "w/01", 4, "again", 5, 0));
    CHECK_OK(client, etcd_get(client, "w/01", 4, NULL, &found, &revision));
    CHECK_OK(client, etcd_compact(client, revision));
    CHECK_EQ(etcd_watch(client, "w/", 2, "w0", 2, old, record_nothing, NULL, NULL, 100), ETCD_COMPACTED);
    char expected[64];
    snprintf(expected, sizeof expected, "up to revision %" PRId64, revision);
    CHECK(strstr(etcd_why(client), expected) != NULL);
    CHECK_EQ(etcd_compact(client, revision - 1), ETCD_REFUSED);
    CHECK(strstr(etcd_why(client), "compacted") != NULL);
    /* From the compact revision itself the watch is served. */
    watch_log log = {.wanted = 1, .ordered = true};
    CHECK_OK(client, etcd_watch(client, "w/", 2, "w0", 2, revision, record_event, &log, NULL, 100));
    CHECK_EQ(log.count, 1);
    CHECK(strcmp(log.keys[0], "w/01") == 0);
}

TEST(etcd_watch_in_order_stop_and_compaction) {
    etcd_cluster cluster;
    if (!start_cluster(&cluster, 1)) return;
    etcd_client *client = open_client(etcd_cluster_urls(&cluster));
    if (client) watch_body(&cluster, client);
    CHECK(client != NULL);
    etcd_close(client);
    etcd_cluster_stop(&cluster);
}

/* ---- three members ---- */

static void endpoints_in_order(const etcd_cluster *cluster, const uint32_t order[3], char *list, size_t size) {
    snprintf(list, size, "%s,%s,%s", etcd_cluster_url(cluster, order[0]), etcd_cluster_url(cluster, order[1]),
             etcd_cluster_url(cluster, order[2]));
}

static void failover_body(etcd_cluster *cluster) {
    int leader = etcd_cluster_leader(cluster);
    REQUIRE(leader >= 0);
    uint32_t follower = ((uint32_t)leader + 1) % 3, other = ((uint32_t)leader + 2) % 3;
    char list[256];

    /* 1. The member the client talks to (a follower) crashes; a watch on it too. */
    uint32_t order[3] = {follower, other, (uint32_t)leader};
    endpoints_in_order(cluster, order, list, sizeof list);
    etcd_client *client = open_client(list);
    REQUIRE(client != NULL);
    int64_t revision = 0;
    bool found = false;
    CHECK_OK(client, etcd_get(client, "w/", 2, NULL, &found, &revision));
    watcher watch = {.endpoints = list, .from = revision + 1, .log = {.wanted = 40, .ordered = true}};
    pthread_t watch_thread;
    REQUIRE(pthread_create(&watch_thread, NULL, run_watch, &watch) == 0);
    putter before = {.endpoints = list, .first = 0, .count = 20};
    put_keys(&before);
    CHECK(before.ok);
    CHECK_EQ(etcd_endpoint_index(client), 0);
    etcd_cluster_kill(cluster, follower);
    long long started = now_ms();
    CHECK_OK(client, etcd_put(client, "after", 5, "kill", 4, 0));
    long long follower_failover_ms = now_ms() - started;
    CHECK_EQ(etcd_endpoint_index(client), 1);
    CHECK_EQ(etcd_client_stats(client).failovers, 1);
    putter after = {.endpoints = list, .first = 20, .count = 20};
    put_keys(&after);
    CHECK(after.ok);
    for (long long deadline = now_ms() + 10000; !watch.done && now_ms() < deadline;) sleep_ms(20);
    watch.stop = true;
    pthread_join(watch_thread, NULL);
    if (watch.status != ETCD_OK) fprintf(stderr, "    watch: %s\n", watch.why);
    CHECK_EQ(watch.status, ETCD_OK);
    CHECK_EQ(watch.log.count, 40); /* resumed on the next member: none lost, none twice */
    CHECK(watch.log.ordered);
    CHECK(watch.stats.failovers >= 1);
    for (int i = 0; i < watch.log.count; i++) {
        char key[16];
        snprintf(key, sizeof key, "w/%02d", i);
        CHECK(strcmp(watch.log.keys[i], key) == 0);
    }
    etcd_close(client);
    char why[600];
    if (!etcd_cluster_restart(cluster, follower, why, sizeof why)) {
        fprintf(stderr, "    %s\n", why);
        test_fail(__FILE__, __LINE__, "etcd_cluster_restart");
        return;
    }

    /* 2. The leader crashes under the client: calls fail over once a new leader is elected. */
    uint32_t leader_first[3] = {(uint32_t)leader, follower, other};
    endpoints_in_order(cluster, leader_first, list, sizeof list);
    client = open_client(list);
    REQUIRE(client != NULL);
    CHECK_OK(client, etcd_put(client, "leader", 6, "alive", 5, 0));
    etcd_cluster_kill(cluster, (uint32_t)leader);
    started = now_ms();
    etcd_status status = ETCD_UNAVAILABLE;
    int failed_calls = 0;
    char first_why[600] = "";
    while (now_ms() - started < 15000) {
        status = etcd_put(client, "leader", 6, "gone", 4, 0);
        if (status == ETCD_OK) break;
        if (!first_why[0]) snprintf(first_why, sizeof first_why, "%s", etcd_why(client));
        failed_calls++;
        sleep_ms(50);
    }
    long long leader_failover_ms = now_ms() - started;
    etcd_stats after_leader = etcd_client_stats(client);
    CHECK_EQ(status, ETCD_OK);
    CHECK(etcd_endpoint_index(client) != 0);
    etcd_kv kv;
    CHECK_OK(client, etcd_get(client, "leader", 6, &kv, &found, NULL));
    CHECK(found && kv.value_length == 4 && memcmp(kv.value, "gone", 4) == 0);
    etcd_kv_release(&kv);
    fprintf(stderr,
            "    etcd failover: follower killed, next put took %lld ms; leader killed, puts succeeded after %lld ms "
            "(%d failed calls, %" PRIu64 " failovers, the last call %" PRIu64 " us%s%s)\n",
            follower_failover_ms, leader_failover_ms, failed_calls, after_leader.failovers, after_leader.last_us, first_why[0] ? ", first: " : "", first_why);
    etcd_close(client);

    /* 3. A watch on a member that loses its quorum is cut ("no leader"), not left
     * silent; it tries the others (both dead) and says so. */
    uint32_t quorum_lost[3] = {other, follower, (uint32_t)leader};
    endpoints_in_order(cluster, quorum_lost, list, sizeof list);
    watcher cut = {.endpoints = list, .log = {.wanted = 1, .ordered = true}};
    REQUIRE(pthread_create(&watch_thread, NULL, run_watch, &cut) == 0);
    sleep_ms(300);
    etcd_cluster_kill(cluster, follower);
    started = now_ms();
    for (long long deadline = now_ms() + 10000; !cut.done && now_ms() < deadline;) sleep_ms(20);
    long long cut_ms = now_ms() - started;
    cut.stop = true;
    pthread_join(watch_thread, NULL);
    CHECK_EQ(cut.status, ETCD_UNAVAILABLE);
    CHECK(strstr(cut.why, "no leader") != NULL);
    fprintf(stderr, "    etcd watch on a member without quorum ended after %lld ms: %s\n", cut_ms, cut.why);

    /* 4. Every member down: unavailable within the endpoints' timeouts, each named. */
    for (uint32_t i = 0; i < 3; i++) etcd_cluster_kill(cluster, i);
    client = open_client(list);
    REQUIRE(client != NULL);
    started = now_ms();
    CHECK_EQ(etcd_put(client, "k", 1, "v", 1, 0), ETCD_UNAVAILABLE);
    long long down_ms = now_ms() - started;
    CHECK(down_ms < 3 * (long long)TIMEOUT_MS);
    for (uint32_t i = 0; i < 3; i++) CHECK(strstr(etcd_why(client), etcd_cluster_url(cluster, i)) != NULL);
    CHECK(strstr(etcd_why(client), "no endpoint answered") != NULL);
    CHECK(strstr(etcd_why(client), "unknown") != NULL);
    CHECK_EQ(etcd_get(client, "k", 1, NULL, &found, NULL), ETCD_UNAVAILABLE);
    CHECK_EQ(etcd_watch(client, "w/", 2, "w0", 2, 0, record_nothing, NULL, NULL, 100), ETCD_UNAVAILABLE);
    CHECK(strstr(etcd_why(client), "refused the connection") != NULL);
    CHECK_EQ(etcd_client_stats(client).unavailable, 3);
    fprintf(stderr, "    etcd all members down: unavailable after %lld ms: %s\n", down_ms, etcd_why(client));
    etcd_close(client);
}

TEST(etcd_three_members_failover_and_all_down) {
    etcd_cluster cluster;
    if (!start_cluster(&cluster, 3)) return;
    failover_body(&cluster);
    etcd_cluster_stop(&cluster);
}
