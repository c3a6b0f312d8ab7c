/*
 * test_ordering.c: the ordering layer (ordering.h) on a real etcd, without nodes:
 * at most one proposer, at most one block per height ever, a proposal by a validator
 * without the lease lost, the lease passing on when its holder goes, every block
 * delivered to followers once and in order (long ones through parts), the genesis
 * written once and another chain's refused, and compaction behind what every
 * validator applied.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "etcd_cluster.h"
#include "node/etcd.h"
#include "node/ordering.h"
#include "test.h"

#define DELIVERED_MAX 64u

typedef struct {
    pthread_mutex_t lock;
    uint64_t heights[DELIVERED_MAX];
    uint8_t *blocks[DELIVERED_MAX];
    size_t lengths[DELIVERED_MAX];
    uint32_t count;
    uint32_t cosignatures;
} delivered;

static bool on_block(void *context, uint64_t height, const uint8_t *bytes, size_t length) {
    delivered *d = context;
    pthread_mutex_lock(&d->lock);
    if (d->count < DELIVERED_MAX) {
        d->heights[d->count] = height;
        d->blocks[d->count] = malloc(length);
        memcpy(d->blocks[d->count], bytes, length);
        d->lengths[d->count++] = length;
    }
    pthread_mutex_unlock(&d->lock);
    return true;
}

static void on_cosign(void *context, uint64_t height, uint32_t validator, const uint8_t hash[TALLY_HASH_BYTES],
                      const uint8_t signature[TALLY_SIGNATURE_BYTES]) {
    delivered *d = context;
    (void)height, (void)validator, (void)hash, (void)signature;
    pthread_mutex_lock(&d->lock);
    d->cosignatures++;
    pthread_mutex_unlock(&d->lock);
}

static uint32_t delivered_count(delivered *d) {
    pthread_mutex_lock(&d->lock);
    uint32_t count = d->count;
    pthread_mutex_unlock(&d->lock);
    return count;
}

static void delivered_free(delivered *d) {
    for (uint32_t i = 0; i < d->count; i++) free(d->blocks[i]);
    pthread_mutex_destroy(&d->lock);
}

static void pause_ms(unsigned ms) {
    struct timespec pause = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

static ordering *open_validator(const etcd_cluster *cluster, uint32_t index, const char *prefix, uint32_t keep) {
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", 29900 + index); /* never served: no peers' fetch here */
    ordering_config config = {.endpoints = etcd_cluster_urls(cluster), .prefix = prefix, .validator_index = index,
                              .advertise_url = url, .lease_ttl_seconds = 2, .timeout_ms = 2000, .keep_blocks = keep};
    ordering *o = NULL;
    char why[ORDERING_WHY_BYTES];
    CHECK(ordering_open(&config, &o, why, sizeof why));
    return o;
}

/* Waits up to 10 s until exactly one of the two holds the lease; its index or -1. */
static int wait_for_proposer(ordering *a, ordering *b) {
    for (int i = 0; i < 200; i++) {
        bool pa = ordering_is_proposer(a), pb = ordering_is_proposer(b);
        if (pa != pb) return pa ? 0 : 1;
        pause_ms(50);
    }
    return -1;
}

static bool wait_delivered(delivered *d, uint32_t count) {
    for (int i = 0; i < 200 && delivered_count(d) < count; i++) pause_ms(50);
    return delivered_count(d) >= count;
}

TEST(ordering_one_proposer_one_block_per_height_and_the_lease_moves_on) {
    etcd_cluster cluster;
    char why[512];
    REQUIRE(etcd_cluster_start(&cluster, 1, why, sizeof why));
    const char *prefix = "/ordering-test/";
    uint8_t genesis[] = {4, 0, 0, 0, 'g'};
    ordering *v0 = open_validator(&cluster, 0, prefix, 1000), *v1 = open_validator(&cluster, 1, prefix, 1000);
    REQUIRE(v0 && v1);
    /* The genesis: none yet, written once, read back by the other, another refused. */
    uint8_t *bytes = NULL;
    size_t length = 0;
    CHECK(!ordering_genesis(v1, NULL, 0, &bytes, &length, why, sizeof why));
    CHECK(strstr(why, "holds no chain") != NULL);
    CHECK(ordering_genesis(v0, genesis, sizeof genesis, &bytes, &length, why, sizeof why));
    free(bytes);
    CHECK(ordering_genesis(v1, NULL, 0, &bytes, &length, why, sizeof why));
    CHECK(length == sizeof genesis && bytes && memcmp(bytes, genesis, length) == 0);
    free(bytes);
    uint8_t other[] = {4, 0, 0, 0, 'x'};
    CHECK(!ordering_genesis(v1, other, sizeof other, &bytes, &length, why, sizeof why));
    CHECK(strstr(why, "another chain") != NULL);

    delivered d0 = {.lock = PTHREAD_MUTEX_INITIALIZER}, d1 = {.lock = PTHREAD_MUTEX_INITIALIZER};
    ordering_callbacks c0 = {on_block, on_cosign, &d0}, c1 = {on_block, on_cosign, &d1};
    REQUIRE(ordering_start(v0, 1, &c0, why, sizeof why));
    REQUIRE(ordering_start(v1, 1, &c1, why, sizeof why));
    int proposer = wait_for_proposer(v0, v1);
    REQUIRE(proposer >= 0);
    ordering *holder = proposer == 0 ? v0 : v1, *other_one = proposer == 0 ? v1 : v0;
    delivered *follower = proposer == 0 ? &d1 : &d0;
    /* The one without the lease loses whatever it proposes. */
    uint8_t block1[] = {4, 1, 1, 1}, block1b[] = {4, 1, 1, 2}, block2[] = {4, 2, 2, 2};
    CHECK_EQ(ordering_propose(other_one, 1, block1b, sizeof block1b, why, sizeof why), ORDERING_LOST);
    CHECK(strstr(why, "no longer holds the proposer lease") != NULL);
    CHECK_EQ(ordering_propose(holder, 1, block1, sizeof block1, why, sizeof why), ORDERING_COMMITTED);
    /* A second block at height 1, even by the lease's holder: never. */
    CHECK_EQ(ordering_propose(holder, 1, block1b, sizeof block1b, why, sizeof why), ORDERING_LOST);
    CHECK(strstr(why, "another validator's block holds the height") != NULL);
    REQUIRE(wait_delivered(follower, 1));
    CHECK_EQ(follower->heights[0], 1);
    CHECK(follower->lengths[0] == sizeof block1 && memcmp(follower->blocks[0], block1, sizeof block1) == 0);
    /* The holder goes (its lease revoked as it closes): the other takes over. */
    ordering_close(holder);
    bool took_over = false;
    for (int i = 0; i < 200 && !took_over; i++) took_over = ordering_is_proposer(other_one), pause_ms(50);
    CHECK(took_over);
    CHECK_EQ(ordering_propose(other_one, 2, block2, sizeof block2, why, sizeof why), ORDERING_COMMITTED);
    /* Its own block is not handed back to it: it holds it already. */
    pause_ms(300);
    CHECK_EQ(delivered_count(follower), 1);
    ordering_metrics m = ordering_metrics_read(other_one);
    CHECK_EQ(m.log_next, 3);
    CHECK_EQ(m.proposer_index, proposer == 0 ? 1 : 0);
    ordering_close(other_one);
    delivered_free(&d0);
    delivered_free(&d1);
    etcd_cluster_stop(&cluster);
}

TEST(ordering_a_long_block_goes_in_parts_and_comes_back_whole) {
    etcd_cluster cluster;
    char why[512];
    REQUIRE(etcd_cluster_start(&cluster, 1, why, sizeof why));
    const char *prefix = "/ordering-parts/";
    uint8_t genesis[] = {4, 0};
    ordering *v0 = open_validator(&cluster, 0, prefix, 1000), *v1 = open_validator(&cluster, 1, prefix, 1000);
    REQUIRE(v0 && v1);
    uint8_t *bytes = NULL;
    size_t length = 0;
    CHECK(ordering_genesis(v0, genesis, sizeof genesis, &bytes, &length, why, sizeof why));
    free(bytes);
    delivered d0 = {.lock = PTHREAD_MUTEX_INITIALIZER}, d1 = {.lock = PTHREAD_MUTEX_INITIALIZER};
    ordering_callbacks c0 = {on_block, on_cosign, &d0}, c1 = {on_block, on_cosign, &d1};
    REQUIRE(ordering_start(v0, 1, &c0, why, sizeof why));
    REQUIRE(ordering_start(v1, 1, &c1, why, sizeof why));
    int proposer = wait_for_proposer(v0, v1);
    REQUIRE(proposer >= 0);
    /* 2.5 values long: three parts. */
    size_t long_length = ORDERING_VALUE_MAX * 5 / 2;
    uint8_t *block = malloc(long_length);
    for (size_t i = 0; i < long_length; i++) block[i] = (uint8_t)(i * 7 + i / 251);
    CHECK_EQ(ordering_propose(proposer == 0 ? v0 : v1, 1, block, long_length, why, sizeof why), ORDERING_COMMITTED);
    delivered *follower = proposer == 0 ? &d1 : &d0;
    REQUIRE(wait_delivered(follower, 1));
    CHECK(follower->lengths[0] == long_length && memcmp(follower->blocks[0], block, long_length) == 0);
    /* Three parts under p/, and b/1 is the parts' header. */
    etcd_client *client = etcd_open(etcd_cluster_urls(&cluster), 2000, NULL, 0);
    REQUIRE(client != NULL);
    etcd_kv *kvs = NULL;
    uint32_t count = 0;
    const char *start = "/ordering-parts/p/", *end = "/ordering-parts/p0";
    CHECK_EQ(etcd_range(client, start, strlen(start), end, strlen(end), 0, &kvs, &count, NULL, NULL), ETCD_OK);
    CHECK_EQ(count, 3);
    etcd_kvs_release(kvs, count);
    etcd_kv kv = {0};
    bool found = false;
    const char *key = "/ordering-parts/b/00000000000000000001";
    CHECK_EQ(etcd_get(client, key, strlen(key), &kv, &found, NULL), ETCD_OK);
    CHECK(found && kv.value_length == 48 && memcmp(kv.value, "TLYP", 4) == 0);
    etcd_kv_release(&kv);
    etcd_close(client);
    free(block);
    ordering_close(v0);
    ordering_close(v1);
    delivered_free(&d0);
    delivered_free(&d1);
    etcd_cluster_stop(&cluster);
}

TEST(ordering_compaction_deletes_what_every_validator_applied_but_the_genesis) {
    etcd_cluster cluster;
    char why[512];
    REQUIRE(etcd_cluster_start(&cluster, 1, why, sizeof why));
    const char *prefix = "/ordering-compact/";
    uint8_t genesis[] = {4, 0};
    ordering *v0 = open_validator(&cluster, 0, prefix, 16);
    REQUIRE(v0);
    uint8_t *bytes = NULL;
    size_t length = 0;
    CHECK(ordering_genesis(v0, genesis, sizeof genesis, &bytes, &length, why, sizeof why));
    free(bytes);
    delivered d0 = {.lock = PTHREAD_MUTEX_INITIALIZER};
    ordering_callbacks c0 = {on_block, on_cosign, &d0};
    REQUIRE(ordering_start(v0, 1, &c0, why, sizeof why));
    bool proposer = false;
    for (int i = 0; i < 200 && !proposer; i++) proposer = ordering_is_proposer(v0), pause_ms(50);
    REQUIRE(proposer);
    uint8_t hash[TALLY_HASH_BYTES] = {0}, signature[TALLY_SIGNATURE_BYTES] = {0};
    for (uint64_t h = 1; h <= 40; h++) {
        uint8_t block[] = {4, (uint8_t)h};
        REQUIRE(ordering_propose(v0, h, block, sizeof block, why, sizeof why) == ORDERING_COMMITTED);
        ordering_publish(v0, h, hash, signature);
    }
    /* The keeper publishes the applied height and, as the only validator that said
     * so, compacts below 40 - 16 = 24 within its period (5 s). */
    ordering_metrics m = {0};
    for (int i = 0; i < 300 && m.compacted_below == 0; i++) m = ordering_metrics_read(v0), pause_ms(50);
    CHECK_EQ(m.compacted_below, 24);
    CHECK_EQ(m.applied[0], 40);
    etcd_client *client = etcd_open(etcd_cluster_urls(&cluster), 2000, NULL, 0);
    REQUIRE(client != NULL);
    etcd_kv *kvs = NULL;
    uint32_t count = 0;
    const char *start = "/ordering-compact/b/", *end = "/ordering-compact/b0";
    CHECK_EQ(etcd_range(client, start, strlen(start), end, strlen(end), 0, &kvs, &count, NULL, NULL), ETCD_OK);
    /* The genesis and heights 24..40. */
    CHECK_EQ(count, 1 + 17);
    if (count == 18) {
        CHECK(memcmp(kvs[0].key, "/ordering-compact/b/00000000000000000000", kvs[0].key_length) == 0);
        CHECK(memcmp(kvs[1].key, "/ordering-compact/b/00000000000000000024", kvs[1].key_length) == 0);
    }
    etcd_kvs_release(kvs, count);
    /* The co-signatures went below the cut too (40 were published, 17 stay). */
    const char *c_start = "/ordering-compact/c/", *c_end = "/ordering-compact/c0";
    CHECK_EQ(etcd_range(client, c_start, strlen(c_start), c_end, strlen(c_end), 0, &kvs, &count, NULL, NULL), ETCD_OK);
    CHECK_EQ(count, 17);
    etcd_kvs_release(kvs, count);
    etcd_close(client);
    ordering_close(v0);
    delivered_free(&d0);
    etcd_cluster_stop(&cluster);
}
