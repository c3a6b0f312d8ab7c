/*
 * test_hardening_http.c: the attacks of issue 7 on the node's HTTP server, each
 * against a real node (build/test/tallyd, sanitizers on) over loopback, each
 * checking that a payment between existing members still commits and printing the
 * latencies it measured:
 *   3. thousands of networks and concurrent full listings: every list is paged and
 *      bounded, walking the cursors returns every item exactly once, and /v1/status
 *      and payments stay fast meanwhile (no answer is built under the node's lock);
 *   5. slowloris: 600 sockets from another loopback address trickling header
 *      lines; the per-address bound turns most away at once, the request deadline
 *      closes the rest however steadily they trickle, and everyone else is served;
 *   6. JSON bodies: 40 concurrent bodies of {"x":[1,1,...]} at the old bound and
 *      just under the new one are refused before jansson builds them, past the
 *      budget of all bodies with 503, and the node's RSS stays below 512 MB.
 */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "node_harness.h"
#include "tally_chain.h"
#include "test.h"

/* ---- small helpers ---- */

static void pause_ms(long ms) {
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

static long now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static bool text_equal(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

/* Raises the runner's descriptor limit to at least `wanted`; false if it cannot. */
static bool enough_descriptors(rlim_t wanted) {
    struct rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) != 0) return false;
    if (files.rlim_cur < wanted) {
        files.rlim_cur = files.rlim_max < wanted ? files.rlim_max : wanted;
        setrlimit(RLIMIT_NOFILE, &files);
    }
    return getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur >= wanted;
}

/* A field of /proc/PID/status in kB ("VmHWM", "VmRSS"); -1 when unreadable. */
static long process_kib(pid_t pid, const char *field) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *file = fopen(path, "r");
    if (!file) return -1;
    long value = -1;
    size_t length = strlen(field);
    while (fgets(line, sizeof line, file))
        if (strncmp(line, field, length) == 0 && line[length] == ':') value = strtol(line + length + 1, NULL, 10);
    fclose(file);
    return value;
}

static int compare_long(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* Latencies of one kind of request: how many, the slowest, the median, failures. */
typedef struct {
    long ms[4096];
    int count, failed;
} latencies;

static void latency_add(latencies *l, long ms, bool ok) {
    if (!ok) l->failed++;
    if (l->count < (int)(sizeof l->ms / sizeof l->ms[0])) l->ms[l->count++] = ms;
}

static long latency_max(const latencies *l) {
    long max = 0;
    for (int i = 0; i < l->count; i++)
        if (l->ms[i] > max) max = l->ms[i];
    return max;
}

static long latency_median(latencies *l) {
    if (l->count == 0) return 0;
    qsort(l->ms, (size_t)l->count, sizeof l->ms[0], compare_long);
    return l->ms[l->count / 2];
}

/* GET /v1/status once; its latency into l. */
static void timed_status(const test_node *node, latencies *l) {
    long start = now_ms();
    json_t *answer = NULL;
    long http = harness_request(node, "GET", "/v1/status", NULL, 0, &answer);
    bool ok = http == 200 && harness_json_string(answer, "state_hash") != NULL;
    json_decref(answer);
    latency_add(l, now_ms() - start, ok);
}

/* ---- a small network of existing members ---- */

typedef struct {
    test_actor founder, alice, bob;
    uint32_t network_id;
} commons;

static bool committed(const test_node *node, tally_tx *tx, const test_actor *signer) {
    json_t *result = NULL;
    long http = harness_submit(node, tx, signer, &result);
    bool ok = http == 200 && text_equal(harness_json_string(result, "status"), "committed");
    if (!ok)
        fprintf(stderr, "    setup transaction (type %u) not committed: HTTP %ld, %s\n", (unsigned)tx->type, http,
                harness_json_string(result, "error.code") ? harness_json_string(result, "error.code") : "-");
    json_decref(result);
    return ok;
}

/* Network 1, "Commons": open, lines of 100.00, alice and bob members. */
static bool setup_commons(const test_node *node, commons *c) {
    c->founder = actor(0), c->alice = actor(1), c->bob = actor(2), c->network_id = 1;
    tally_tx tx = harness_tx(node, &c->founder, TALLY_TX_NETWORK_CREATE);
    text_set(&tx.body.network_create.name, "Commons");
    text_set(&tx.body.network_create.unit_code, "COM");
    tx.body.network_create.decimals = 2;
    tx.body.network_create.policy = policy_default();
    tx.body.network_create.policy.default_credit_limit = 10000;
    tx.body.network_create.policy.max_credit_limit = 100000;
    if (!committed(node, &tx, &c->founder)) return false;
    const test_actor *joiners[] = {&c->alice, &c->bob};
    for (int i = 0; i < 2; i++) {
        tx = harness_tx(node, joiners[i], TALLY_TX_MEMBER_JOIN);
        tx.body.network_only.network_id = c->network_id;
        if (!committed(node, &tx, joiners[i])) return false;
    }
    return true;
}

/* A payment of 1.00 between existing members with wait=commit: its latency, and
 * whether it committed. */
static bool timed_payment(const test_node *node, const commons *c, bool alice_pays, long *ms) {
    const test_actor *payer = alice_pays ? &c->alice : &c->bob, *payee = alice_pays ? &c->bob : &c->alice;
    long start = now_ms();
    tally_tx tx = harness_tx(node, payer, TALLY_TX_TRANSFER);
    tx.body.transfer.network_id = c->network_id;
    tx.body.transfer.payee = payee->key;
    tx.body.transfer.amount = 100;
    tx.body.transfer.max_fee = 100;
    json_t *result = NULL;
    long http = harness_submit(node, &tx, payer, &result);
    *ms = now_ms() - start;
    bool ok = http == 200 && text_equal(harness_json_string(result, "status"), "committed");
    json_decref(result);
    return ok;
}

static bool start_node(test_node *node, const char *const *arguments, commons *c) {
    if (!harness_make_directory(node)) return false;
    if (!harness_start(node, arguments)) {
        harness_remove_directory(node);
        return false;
    }
    if (setup_commons(node, c)) return true;
    harness_kill(node);
    harness_remove_directory(node);
    return false;
}


/* ---- 3: unpaginated lists under the lock ---- */

/* Every founder key founds NETWORKS_PER_KEY networks (a key may found 3 a day on an
 * open chain, by default): FLOOD_KEYS keys give FLOOD_NETWORKS, whose 3 system
 * accounts each push the member table past HTTP_MEMBER_SCAN_MAX (16,384) entries. */
enum { FLOOD_KEYS = 2048, NETWORKS_PER_KEY = 3, FLOOD_NETWORKS = FLOOD_KEYS * NETWORKS_PER_KEY, LISTERS = 8 };
enum { PAGE_LIMIT_MAX = 500, LISTING_ROUNDS = 2 };

/* Submits the flood of network_create in binary batches with wait=commit; the
 * number committed. */
static int found_networks(const test_node *node) {
    enum { BATCH = 4096 };
    uint8_t *body = malloc((size_t)BATCH * (2 + TALLY_TX_ENCODED_MAX));
    if (!body) return 0;
    int committed_count = 0, index = 0;
    while (index < FLOOD_NETWORKS) {
        size_t at = 0;
        int in_batch = 0;
        for (; in_batch < BATCH && index < FLOOD_NETWORKS; in_batch++, index++) {
            test_actor founder = actor(1000 + (uint32_t)(index / NETWORKS_PER_KEY));
            tally_tx tx;
            memset(&tx, 0, sizeof tx);
            tx.type = TALLY_TX_NETWORK_CREATE;
            memcpy(tx.chain_id, node->chain_id, TALLY_CHAIN_ID_BYTES);
            tx.signer = founder.key;
            tx.sequence = (uint64_t)(index % NETWORKS_PER_KEY) + 1;
            char name[32];
            snprintf(name, sizeof name, "Flood %05d", index);
            text_set(&tx.body.network_create.name, name);
            text_set(&tx.body.network_create.unit_code, "FLD");
            tx.body.network_create.decimals = 2;
            tx.body.network_create.policy = policy_default();
            tally_tx_sign(&tx, founder.secret);
            size_t length = tally_tx_encode(&tx, body + at + 2, TALLY_TX_ENCODED_MAX);
            body[at] = (uint8_t)(length & 0xff), body[at + 1] = (uint8_t)(length >> 8);
            at += 2 + length;
        }
        json_t *answer = NULL;
        long http = harness_request_binary(node, "/v1/transactions?wait=commit", body, at, &answer);
        json_t *results = json_object_get(answer, "results");
        for (size_t i = 0; http == 200 && i < json_array_size(results); i++)
            if (text_equal(harness_json_string(json_array_get(results, i), "status"), "committed")) committed_count++;
            else if (i == 0 || committed_count == 0)
                fprintf(stderr, "    network_create refused: %s\n",
                        harness_json_string(json_array_get(results, i), "error.code"));
        json_decref(answer);
    }
    free(body);
    return committed_count;
}

typedef struct {
    const test_node *node;
    int rounds_done;
    int pages, largest_page, failed_pages, pages_without_next;
    int seen_twice, seen_outside; /* over all rounds */
    long slowest_round_ms;
    uint8_t *seen; /* per network id, in the last round */
} lister;

/* Walks /v1/networks by its cursors, LISTING_ROUNDS times. */
static void *lister_main(void *context) {
    lister *l = context;
    for (int round = 0; round < LISTING_ROUNDS; round++) {
        memset(l->seen, 0, FLOOD_NETWORKS + 2);
        long start = now_ms();
        char path[96] = "/v1/networks?limit=500";
        for (int page = 0; page < 1000; page++) {
            json_t *answer = NULL;
            long http = harness_request(l->node, "GET", path, NULL, 0, &answer);
            json_t *networks = json_object_get(answer, "networks"), *next = json_object_get(answer, "next");
            if (http != 200 || !json_is_array(networks)) {
                l->failed_pages++;
                json_decref(answer);
                break;
            }
            l->pages++;
            if ((int)json_array_size(networks) > l->largest_page) l->largest_page = (int)json_array_size(networks);
            for (size_t i = 0; i < json_array_size(networks); i++) {
                int64_t id = harness_json_int(json_array_get(networks, i), "id");
                if (id < 1 || id > FLOOD_NETWORKS + 1) l->seen_outside++;
                else if (l->seen[id]++) l->seen_twice++;
            }
            bool more = json_is_integer(next);
            if (!next) l->pages_without_next++;
            if (more) snprintf(path, sizeof path, "/v1/networks?limit=500&cursor=%lld", (long long)json_integer_value(next));
            json_decref(answer);
            if (!more) break;
        }
        long took = now_ms() - start;
        if (took > l->slowest_round_ms) l->slowest_round_ms = took;
        l->rounds_done++;
    }
    return NULL;
}

/* Walks a list by its cursors: the number of pages (-1 on failure), of items and
 * of the largest page; the items of array `list` of every page appended to out. */
static int walk_pages(const test_node *node, const char *path, const char *list, int *items, int *largest,
                      json_t *out) {
    char paged[256];
    snprintf(paged, sizeof paged, "%s", path);
    int pages = 0;
    *items = 0, *largest = 0;
    for (; pages < 100000; pages++) {
        json_t *answer = NULL;
        long http = harness_request(node, "GET", paged, NULL, 0, &answer);
        json_t *array = json_object_get(answer, list), *next = json_object_get(answer, "next");
        if (http != 200 || !json_is_array(array) || !next) {
            json_decref(answer);
            return -1;
        }
        *items += (int)json_array_size(array);
        if ((int)json_array_size(array) > *largest) *largest = (int)json_array_size(array);
        json_array_extend(out, array);
        bool more = json_is_integer(next);
        if (more)
            snprintf(paged, sizeof paged, "%s%scursor=%lld", path, strchr(path, '?') ? "&" : "?",
                     (long long)json_integer_value(next));
        json_decref(answer);
        if (!more) return pages + 1;
    }
    return -1;
}

TEST(hardening_03_paged_lists_stay_bounded_and_the_node_fast_under_concurrent_listings) {
    test_node node;
    commons c;
    REQUIRE(start_node(&node, NULL, &c));
    long setup_start = now_ms();
    int founded = found_networks(&node);
    long setup_ms = now_ms() - setup_start;
    CHECK_EQ(founded, FLOOD_NETWORKS);

    /* quiet: the figures to compare with */
    latencies *quiet = calloc(1, sizeof *quiet), *loaded = calloc(1, sizeof *loaded);
    lister *listers = calloc(LISTERS, sizeof *listers);
    uint8_t *seen = calloc(LISTERS, FLOOD_NETWORKS + 2);
    bool setup_ok = quiet && loaded && listers && seen && founded == FLOOD_NETWORKS;
    for (int i = 0; setup_ok && i < 20; i++) timed_status(&node, quiet), pause_ms(10);

    /* 8 concurrent full listings, twice each, while /v1/status and payments are timed */
    pthread_t threads[LISTERS];
    int started = 0;
    for (int i = 0; setup_ok && i < LISTERS; i++) {
        listers[i] = (lister){.node = &node, .seen = seen + (size_t)i * (FLOOD_NETWORKS + 2)};
        if (pthread_create(&threads[i], NULL, lister_main, &listers[i]) == 0) started++;
    }
    CHECK_EQ(started, setup_ok ? LISTERS : 0);
    long payment_ms[8] = {0}, slowest_payment = 0;
    int payments = 0, payments_committed = 0;
    long attack_start = now_ms();
    for (bool running = started > 0; running;) {
        timed_status(&node, loaded);
        if (payments < 8 && loaded->count % 5 == 1) {
            if (timed_payment(&node, &c, payments % 2 == 0, &payment_ms[payments])) payments_committed++;
            if (payment_ms[payments] > slowest_payment) slowest_payment = payment_ms[payments];
            payments++;
        }
        pause_ms(10);
        running = false;
        for (int i = 0; i < started; i++)
            running = running || __atomic_load_n(&listers[i].rounds_done, __ATOMIC_ACQUIRE) < LISTING_ROUNDS;
        if (now_ms() - attack_start > 240000) break; /* bounded, whatever happens */
    }
    long listing_ms = now_ms() - attack_start;
    for (int i = 0; i < started; i++) pthread_join(threads[i], NULL);

    /* every listing: bounded pages, each with its next, every network exactly once */
    int pages = 0, largest = 0, twice = 0, outside = 0, failed = 0, missing = 0, no_next = 0;
    long slowest_round = 0;
    for (int i = 0; i < started; i++) {
        const lister *l = &listers[i];
        pages += l->pages, twice += l->seen_twice, outside += l->seen_outside, failed += l->failed_pages;
        no_next += l->pages_without_next;
        if (l->largest_page > largest) largest = l->largest_page;
        if (l->slowest_round_ms > slowest_round) slowest_round = l->slowest_round_ms;
        for (int id = 1; id <= FLOOD_NETWORKS + 1; id++) missing += l->seen[id] != 1;
    }
    CHECK_EQ(failed, 0);
    CHECK(largest <= PAGE_LIMIT_MAX);
    CHECK_EQ(no_next, 0);
    CHECK_EQ(pages, started * LISTING_ROUNDS * ((FLOOD_NETWORKS + 1 + PAGE_LIMIT_MAX - 1) / PAGE_LIMIT_MAX));
    CHECK_EQ(twice, 0);
    CHECK_EQ(outside, 0);
    CHECK_EQ(missing, 0);
    /* meanwhile the node stayed fast: status and payments between members */
    CHECK_EQ(loaded->failed, 0);
    /* A liveness bound, not a speed target (`tally-bench floods` measures that): the
     * node answers everyone else within seconds on a 2-core machine other jobs load
     * (1,540 ms was seen once with two test runs beside it). */
    CHECK(latency_max(loaded) < 5000);
    CHECK_EQ(payments_committed, payments);
    CHECK(payments >= 2);
    CHECK(slowest_payment < 3000);

    /* the other lists: a network's members over a member table of more than 16,384
     * entries, and a key's memberships over more than 4,096 networks, take several
     * bounded pages and name each member, and each membership, exactly once */
    json_t *members = json_array(), *memberships = json_array(), *blocks = json_array(), *assets = json_array();
    int member_items = 0, member_largest = 0, key_items = 0, key_largest = 0, block_items = 0, block_largest = 0;
    int asset_items = 0, asset_largest = 0;
    char path[160], alice[TALLY_ADDRESS_LENGTH + 1];
    tally_address_encode(&c.alice.key, alice);
    int member_pages = walk_pages(&node, "/v1/networks/1/members?limit=500", "members", &member_items,
                                  &member_largest, members);
    snprintf(path, sizeof path, "/v1/accounts/%s?limit=500", alice);
    int key_pages = walk_pages(&node, path, "memberships", &key_items, &key_largest, memberships);
    int block_pages = walk_pages(&node, "/v1/blocks?limit=7", "blocks", &block_items, &block_largest, blocks);
    int asset_pages = walk_pages(&node, "/v1/assets", "assets", &asset_items, &asset_largest, assets);
    json_t *network = NULL;
    harness_request(&node, "GET", "/v1/networks/1", NULL, 0, &network);
    json_t *status = NULL;
    harness_request(&node, "GET", "/v1/status", NULL, 0, &status);
    CHECK(member_pages >= 2);
    CHECK_EQ(member_items, harness_json_int(network, "members"));
    CHECK_EQ(member_items, 2);
    char bob[TALLY_ADDRESS_LENGTH + 1];
    tally_address_encode(&c.bob.key, bob);
    int alice_seen = 0, bob_seen = 0;
    for (size_t i = 0; i < json_array_size(members); i++) {
        const char *address = harness_json_string(json_array_get(members, i), "address");
        alice_seen += text_equal(address, alice), bob_seen += text_equal(address, bob);
    }
    CHECK_EQ(alice_seen, 1);
    CHECK_EQ(bob_seen, 1);
    CHECK(key_pages >= 2);
    CHECK_EQ(key_items, 1);
    CHECK_EQ(harness_json_int(json_array_get(memberships, 0), "network"), 1);
    CHECK(block_largest <= 7);
    CHECK_EQ(block_items, harness_json_int(status, "height") + 1);
    for (int i = 0; i < block_items; i++) CHECK_EQ(harness_json_int(json_array_get(blocks, (size_t)i), "height"), i);
    CHECK_EQ(asset_pages, 1);
    CHECK_EQ(asset_items, 0);
    /* a network by its name (any case): one request, whatever the number of networks */
    json_t *named = NULL;
    CHECK_EQ(harness_request(&node, "GET", "/v1/networks?name=fLoOd%2004321", NULL, 0, &named), 200);
    CHECK_EQ(json_array_size(json_object_get(named, "networks")), 1);
    CHECK(text_equal(harness_json_string(json_array_get(json_object_get(named, "networks"), 0), "name"),
                     "Flood 04321"));
    CHECK(json_is_null(json_object_get(named, "next")));
    json_decref(named);
    CHECK_EQ(harness_request(&node, "GET", "/v1/networks?name=Nowhere", NULL, 0, &named), 200);
    CHECK_EQ(json_array_size(json_object_get(named, "networks")), 0);
    json_decref(named);
    /* a limit past the bound is refused, not served */
    CHECK_EQ(harness_request(&node, "GET", "/v1/networks?limit=501", NULL, 0, NULL), 400);
    CHECK_EQ(harness_request(&node, "GET", "/v1/networks/1/members?limit=0", NULL, 0, NULL), 400);

    long quiet_median = latency_median(quiet), quiet_max = latency_max(quiet);
    long loaded_median = latency_median(loaded), loaded_max = latency_max(loaded);
    printf("    %d networks founded by %d keys in %ld ms; %d concurrent full listings x %d (%d pages of at most %d, "
           "slowest walk %ld ms, %ld ms in all): every network exactly once\n",
           founded, FLOOD_KEYS, setup_ms, started, LISTING_ROUNDS, pages, largest, slowest_round, listing_ms);
    printf("    /v1/status quiet median %ld ms (max %ld), during the listings median %ld ms (max %ld, %d requests); "
           "%d of %d payments committed meanwhile (slowest %ld ms)\n",
           quiet_median, quiet_max, loaded_median, loaded_max, loaded->count, payments_committed, payments,
           slowest_payment);
    printf("    members of network 1: %d in %d pages over the member table; alice's memberships: %d in %d pages over "
           "%d networks; %d blocks in %d pages of at most 7\n",
           member_items, member_pages, key_items, key_pages, FLOOD_NETWORKS + 1, block_items, block_pages);
    json_decref(members), json_decref(memberships), json_decref(blocks), json_decref(assets);
    json_decref(network), json_decref(status);
    free(quiet), free(loaded), free(listers), free(seen);
    CHECK(harness_stop_and_verify(&node));
}

/* ---- raw sockets ---- */

/* A TCP connection to the node from `source` (an address of the loopback net). */
static int connect_from(const char *source, unsigned port) {
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
    address.sin_port = htons((uint16_t)port);
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

/* Whether something (an answer, or the end) can be read within timeout_ms. */
static bool readable_within(int fd, long timeout_ms) {
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, (int)timeout_ms) > 0;
}

/* Reads one HTTP response (headers, then Content-Length bytes or up to EOF) within
 * timeout_ms. Returns the status (0 on failure); *body gets the body as JSON when
 * it is JSON (caller decrefs). */
static long read_response(int fd, long timeout_ms, json_t **body) {
    if (body) *body = NULL;
    size_t capacity = 1 << 16, length = 0;
    char *text = malloc(capacity + 1);
    if (!text) return 0;
    long start = now_ms(), status = 0;
    size_t header_end = 0, content_length = SIZE_MAX;
    for (int rounds = 0; rounds < 100000 && length < capacity; rounds++) {
        long left = timeout_ms - (now_ms() - start);
        if (left <= 0 || !readable_within(fd, left)) break;
        ssize_t n = recv(fd, text + length, capacity - length, 0);
        if (n <= 0) break;
        length += (size_t)n;
        text[length] = '\0';
        if (!header_end) {
            char *end = strstr(text, "\r\n\r\n");
            if (!end) continue;
            header_end = (size_t)(end - text) + 4;
            const char *found = strcasestr(text, "\r\nContent-Length:");
            if (found && found < end) content_length = strtoull(found + 17, NULL, 10);
        }
        if (content_length != SIZE_MAX && length >= header_end + content_length) break;
    }
    text[length] = '\0';
    if (header_end && sscanf(text, "HTTP/1.%*d %ld", &status) != 1) status = 0;
    if (header_end && body) *body = json_loadb(text + header_end, length - header_end, 0, NULL);
    free(text);
    return header_end ? status : 0;
}

/* ---- 5: slowloris ---- */

enum { SLOWLORIS = 600, DEADLINE_MS = 3000, ATTACK_MS = 9000, TRICKLE_MS = 1000, PER_IP_BOUND = 64 };
#define ATTACKER_ADDRESS "127.0.0.2"

typedef struct {
    unsigned port;
    int connected;            /* connections made, first wave and reconnections */
    int refused_at_once;      /* closed by the node within 1 s: past the bound per address */
    int cut_by_deadline;      /* closed by the node at the deadline, while still trickling */
    int closed_otherwise;     /* closed at any other time: must not happen */
    int answered;             /* the node answered an incomplete request: must not happen */
    int outlived;             /* open past the deadline and then some: must not happen */
    int most_held;            /* open for more than 1 s at once: the node holds them */
    long first_cut_ms, last_cut_ms; /* lifetimes of the connections cut by the deadline */
} slowloris;

static void *slowloris_main(void *context) {
    slowloris *s = context;
    static const char request_line[] = "GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    int *fds = calloc(SLOWLORIS, sizeof *fds);
    long *opened = calloc(SLOWLORIS, sizeof *opened), *trickled = calloc(SLOWLORIS, sizeof *trickled);
    long *closed_at = calloc(SLOWLORIS, sizeof *closed_at);
    struct pollfd *polls = calloc(SLOWLORIS, sizeof *polls);
    if (!fds || !opened || !trickled || !closed_at || !polls) goto done;
    s->first_cut_ms = 1L << 30;
    long start = now_ms();
    for (int i = 0; i < SLOWLORIS; i++) fds[i] = -1, closed_at[i] = start - TRICKLE_MS;
    while (now_ms() - start < ATTACK_MS) {
        long now = now_ms();
        /* (re)connect every socket the node closed a second ago: a real attacker does */
        for (int i = 0; i < SLOWLORIS; i++) {
            if (fds[i] >= 0 || now - closed_at[i] < TRICKLE_MS) continue;
            fds[i] = connect_from(ATTACKER_ADDRESS, s->port);
            if (fds[i] < 0) {
                closed_at[i] = now;
                continue;
            }
            s->connected++;
            opened[i] = trickled[i] = now;
            if (!send_all(fds[i], request_line, sizeof request_line - 1)) close(fds[i]), fds[i] = -1;
        }
        /* a header line per socket every second: never idle, never complete */
        int held = 0;
        for (int i = 0; i < SLOWLORIS; i++) {
            polls[i] = (struct pollfd){fds[i], POLLIN, 0};
            if (fds[i] < 0) continue;
            if (now - opened[i] > 1000) held++;
            if (now - trickled[i] >= TRICKLE_MS) {
                char line[48];
                int length = snprintf(line, sizeof line, "X-Trickle-%ld: 1\r\n", (now - opened[i]) / TRICKLE_MS);
                send_all(fds[i], line, (size_t)length); /* a failure shows as the close below */
                trickled[i] = now;
            }
        }
        if (held > s->most_held) s->most_held = held;
        if (poll(polls, SLOWLORIS, 50) <= 0) continue;
        now = now_ms();
        for (int i = 0; i < SLOWLORIS; i++) {
            if (fds[i] < 0 || !(polls[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char sink[512];
            ssize_t n = recv(fds[i], sink, sizeof sink, MSG_DONTWAIT);
            if (n > 0) s->answered++;
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            long lifetime = now - opened[i];
            if (lifetime < 1000) s->refused_at_once++;
            else if (lifetime >= DEADLINE_MS - 200 && lifetime <= DEADLINE_MS + 1500) {
                s->cut_by_deadline++;
                if (lifetime < s->first_cut_ms) s->first_cut_ms = lifetime;
                if (lifetime > s->last_cut_ms) s->last_cut_ms = lifetime;
            } else {
                s->closed_otherwise++;
            }
            close(fds[i]);
            fds[i] = -1;
            closed_at[i] = now;
        }
    }
    long end = now_ms();
    for (int i = 0; i < SLOWLORIS; i++) {
        if (fds[i] < 0) continue;
        if (end - opened[i] > DEADLINE_MS + 1500) s->outlived++;
        close(fds[i]);
    }
done:
    free(fds), free(opened), free(trickled), free(closed_at), free(polls);
    return NULL;
}

TEST(hardening_05_slowloris_sockets_are_bounded_per_address_and_cut_at_the_deadline) {
    if (!enough_descriptors(SLOWLORIS + 256)) {
        printf("    skipped: fewer than %d file descriptors\n", SLOWLORIS + 256);
        return;
    }
    /* the default bound per address (64) and idle timeout (30 s); a short deadline
     * so that the test sees it in seconds */
    static const char *const arguments[] = {"--request-deadline-ms", "3000", NULL};
    test_node node;
    commons c;
    REQUIRE(start_node(&node, arguments, &c));
    latencies *quiet = calloc(1, sizeof *quiet), *attacked = calloc(1, sizeof *attacked);
    slowloris *attack = calloc(1, sizeof *attack);
    pthread_t thread;
    bool ready = quiet && attacked && attack;
    for (int i = 0; ready && i < 20; i++) timed_status(&node, quiet), pause_ms(10);
    if (ready) attack->port = node.port;
    bool started = ready && pthread_create(&thread, NULL, slowloris_main, attack) == 0;
    CHECK(started);

    /* meanwhile, from 127.0.0.1: status every 50 ms and a payment every 2 s */
    long start = now_ms(), slowest_payment = 0;
    int payments = 0, payments_committed = 0;
    while (started && now_ms() - start < ATTACK_MS - 500) {
        timed_status(&node, attacked);
        if (now_ms() - start >= 1000 + 2000L * payments) {
            long ms;
            payments_committed += timed_payment(&node, &c, payments % 2 == 0, &ms);
            if (ms > slowest_payment) slowest_payment = ms;
            payments++;
        }
        pause_ms(50);
    }
    if (started) pthread_join(thread, NULL);
    long after_ms = 0;
    bool after_ok = timed_payment(&node, &c, true, &after_ms);

    /* everyone else was served, fast, all along */
    CHECK_EQ(attacked->failed, 0);
    CHECK(attacked->count >= 50);
    CHECK(latency_max(attacked) < 1000);
    CHECK(payments >= 3);
    CHECK_EQ(payments_committed, payments);
    CHECK(slowest_payment < 3000);
    CHECK(after_ok);
    /* the attack: at most the bound per address held at once, the rest turned away
     * at once; every one held was cut at the deadline though it never went idle,
     * none was answered, none outlived the deadline */
    if (ready) {
        CHECK(attack->most_held <= PER_IP_BOUND);
        CHECK(attack->most_held >= PER_IP_BOUND - 8);
        CHECK(attack->refused_at_once >= SLOWLORIS - PER_IP_BOUND);
        CHECK(attack->cut_by_deadline >= PER_IP_BOUND);
        CHECK_EQ(attack->closed_otherwise, 0);
        CHECK_EQ(attack->answered, 0);
        CHECK_EQ(attack->outlived, 0);
        printf("    slowloris from %s: %d connections in %d ms (a header line a second each); at most %d held at once, "
               "%d turned away at once, %d cut by the %d ms deadline (after %ld..%ld ms), %d otherwise\n",
               ATTACKER_ADDRESS, attack->connected, ATTACK_MS, attack->most_held, attack->refused_at_once,
               attack->cut_by_deadline, DEADLINE_MS, attack->first_cut_ms, attack->last_cut_ms,
               attack->closed_otherwise);
        printf("    /v1/status quiet median %ld ms (max %ld); during the attack median %ld ms (max %ld, %d requests, %d "
               "failed); %d of %d payments committed (slowest %ld ms), one after it in %ld ms\n",
               latency_median(quiet), latency_max(quiet), latency_median(attacked), latency_max(attacked),
               attacked->count, attacked->failed, payments_committed, payments, slowest_payment, after_ms);
    }
    free(quiet), free(attacked), free(attack);
    CHECK(harness_stop_and_verify(&node));
}

/* ---- 6: memory per JSON body ---- */

enum { BODY_CLIENTS = 40 };
#define OLD_BODY_MAX (4u << 20)
#define JSON_BODY_MAX (1792u << 10)

typedef enum { SEND_DECLARED, SEND_CHUNKED } send_form;

typedef struct {
    unsigned port;
    const char *content_type;
    const char *body;
    size_t length;
    send_form form;
    long wait_before_body_ms; /* for an early answer (a refusal before the body) */
    long status;
    char code[32];
    bool json_error; /* the answer is a JSON error with a code and a message */
} body_client;

static void *body_client_main(void *context) {
    body_client *client = context;
    int fd = connect_from("127.0.0.1", client->port);
    if (fd < 0) return NULL;
    char headers[256];
    int length = client->form == SEND_DECLARED
                     ? snprintf(headers, sizeof headers,
                                "POST /v1/transactions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n"
                                "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                                client->content_type, client->length)
                     : snprintf(headers, sizeof headers,
                                "POST /v1/transactions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n"
                                "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                                client->content_type);
    bool ok = send_all(fd, headers, (size_t)length);
    /* a refusal may come before the body: then none of it is sent */
    bool early = ok && readable_within(fd, client->wait_before_body_ms);
    for (size_t at = 0; ok && !early && at < client->length;) {
        size_t piece = client->length - at < (64u << 10) ? client->length - at : (64u << 10);
        if (client->form == SEND_CHUNKED) {
            char size_line[24];
            int size_length = snprintf(size_line, sizeof size_line, "%zx\r\n", piece);
            ok = send_all(fd, size_line, (size_t)size_length);
        }
        ok = ok && send_all(fd, client->body + at, piece);
        if (ok && client->form == SEND_CHUNKED) ok = send_all(fd, "\r\n", 2);
        at += piece;
    }
    if (ok && !early && client->form == SEND_CHUNKED) ok = send_all(fd, "0\r\n\r\n", 5);
    json_t *answer = NULL;
    client->status = read_response(fd, 30000, &answer);
    const char *code = harness_json_string(answer, "error.code"), *message = harness_json_string(answer, "error.message");
    client->json_error = code && message && *message;
    snprintf(client->code, sizeof client->code, "%s", code ? code : "");
    json_decref(answer);
    close(fd);
    return NULL;
}

/* Runs BODY_CLIENTS clients at once; how many got `status` with `code`. */
static int body_wave(unsigned port, const char *content_type, const char *body, size_t length, send_form form,
                     long wait_before_body_ms, long status, const char *code, int *other, int *not_json) {
    body_client clients[BODY_CLIENTS];
    pthread_t threads[BODY_CLIENTS];
    int started = 0, matching = 0;
    for (int i = 0; i < BODY_CLIENTS; i++) {
        clients[i] = (body_client){port, content_type, body, length, form, wait_before_body_ms, 0, "", false};
        if (pthread_create(&threads[started], NULL, body_client_main, &clients[i]) == 0) started++;
    }
    for (int i = 0; i < started; i++) pthread_join(threads[i], NULL);
    for (int i = 0; i < BODY_CLIENTS; i++) {
        if (clients[i].status == status && strcmp(clients[i].code, code) == 0) matching++;
        else if (other) (*other)++;
        if (!clients[i].json_error && not_json) (*not_json)++;
    }
    return matching;
}

/* {"x":[1,1,1,...]} of exactly `length` bytes: the shape of the attack. */
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

TEST(hardening_06_json_bodies_are_bounded_before_parsing_and_all_bodies_by_a_budget) {
    /* ASan keeps freed memory in a quarantine (256 MB by default) that would be
     * counted as the node's; a small one leaves what the node itself holds */
    const char *sanitizer = getenv("ASAN_OPTIONS");
    char saved[512] = "", options[600];
    if (sanitizer) snprintf(saved, sizeof saved, "%s", sanitizer);
    snprintf(options, sizeof options, "%s%squarantine_size_mb=16", saved, saved[0] ? ":" : "");
    setenv("ASAN_OPTIONS", options, 1);
    test_node node;
    commons c;
    bool up = start_node(&node, NULL, &c);
    if (sanitizer) setenv("ASAN_OPTIONS", saved, 1);
    else unsetenv("ASAN_OPTIONS");
    REQUIRE(up);
    long rss_before = process_kib(node.pid, "VmRSS");
    char *old_limit = attack_body(OLD_BODY_MAX - 1), *new_limit = attack_body(JSON_BODY_MAX - 16);
    char *binary = calloc(1, OLD_BODY_MAX);
    bool ready = old_limit && new_limit && binary;
    for (size_t i = 0; binary && i + 3 <= OLD_BODY_MAX; i += 3) binary[i] = 1; /* 1-byte frames */
    int other = 0, not_json = 0;
    long start = now_ms();
    /* 40 at the old bound, declared: refused before the body */
    int declared_old = ready ? body_wave(node.port, "application/json", old_limit, OLD_BODY_MAX - 1, SEND_DECLARED, 2000,
                                         413, "BODY_TOO_LARGE", &other, &not_json)
                             : 0;
    /* 40 at the old bound, chunked: read and dropped past the new one, refused at the end */
    int chunked_old = ready ? body_wave(node.port, "application/json", old_limit, OLD_BODY_MAX - 1, SEND_CHUNKED, 0,
                                        413, "BODY_TOO_LARGE", &other, &not_json)
                            : 0;
    /* 40 just under the new bound: refused by the count of JSON values, never built */
    int under_new = ready ? body_wave(node.port, "application/json", new_limit, JSON_BODY_MAX - 16, SEND_DECLARED, 0,
                                      413, "BAD_BATCH", &other, &not_json)
                          : 0;
    /* 40 binary bodies of 4 MiB at once: the budget of all bodies (128 MiB) holds 31;
     * the others are refused with 503 before their bodies, the 31 as too many frames */
    int budget_other = 0;
    int over_budget = ready ? body_wave(node.port, "application/octet-stream", binary, OLD_BODY_MAX, SEND_DECLARED,
                                        2000, 503, "BODY_BUDGET", &budget_other, &not_json)
                            : 0;
    long attack_ms = now_ms() - start;
    long rss_peak = process_kib(node.pid, "VmHWM"), rss_after = process_kib(node.pid, "VmRSS");
    long payment_ms = 0;
    bool paid = timed_payment(&node, &c, true, &payment_ms);

    CHECK_EQ(declared_old, BODY_CLIENTS);
    CHECK_EQ(chunked_old, BODY_CLIENTS);
    CHECK_EQ(under_new, BODY_CLIENTS);
    CHECK_EQ(over_budget, BODY_CLIENTS - 31);
    CHECK_EQ(other, 0);
    CHECK_EQ(budget_other, 31);
    CHECK_EQ(not_json, 0);
    CHECK(rss_peak > 0 && rss_peak < 512 * 1024);
    CHECK(paid);
    CHECK(payment_ms < 3000);
    /* a JSON batch within the bounds is still served */
    json_t *answer = NULL;
    CHECK_EQ(harness_request(&node, "POST", "/v1/transactions", "{\"txs\":[\"01\",\"02\"]}", 19, &answer), 200);
    CHECK_EQ(json_array_size(json_object_get(answer, "results")), 2);
    json_decref(answer);
    printf("    4 x %d concurrent bodies in %ld ms: {\"x\":[1,1,...]} of 4 MiB declared (%d x 413 BODY_TOO_LARGE before "
           "the body), chunked (%d x 413 at the end), of 1.75 MiB (%d x 413 BAD_BATCH, never parsed); 4 MiB binary: %d "
           "x 503 BODY_BUDGET, %d within the budget\n",
           BODY_CLIENTS, attack_ms, declared_old, chunked_old, under_new, over_budget, budget_other);
    printf("    node RSS %ld MB before, peak %ld MB (bound 512), %ld MB after; a payment committed after it in %ld ms\n",
           rss_before / 1024, rss_peak / 1024, rss_after / 1024, payment_ms);
    free(old_limit), free(new_limit), free(binary);
    CHECK(harness_stop_and_verify(&node));
}
