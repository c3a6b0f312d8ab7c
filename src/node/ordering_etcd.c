/*
 * ordering_etcd.c: the ordering layer (ordering.h) on an etcd cluster, through its
 * JSON gateway (etcd.h). etcd is Raft: a write it acknowledges is on a majority of
 * its members' disks, and every member sees the writes in one order. The chain uses
 * it as a log with one key per height, written once:
 *
 *   P b/<height, 20 digits>   the block (tally_block_encode), or, for a block longer
 *                             than ORDERING_VALUE_MAX, a parts header ("TLYP" | u32
 *                             parts | u64 length | BLAKE2b-256 of the block) whose
 *                             parts were written first at P p/<height>/<hash hex>/<k>
 *   P leader                  "<validator index> <url>", bound to the holder's lease
 *   P v/<index, 2 digits>     a validator's URL, bound to its lease (it is up)
 *   P a/<index>               the height the validator applied last
 *   P c/<height>/<index>      its co-signature of that block: hash[32] | signature[64]
 *   P checkpoint              heights below it were deleted (compaction)
 *
 * Proposing height h is one transaction: create P b/h if it does not exist and
 * P leader still holds this validator's value (the key dies with its lease), so a
 * validator whose lease ran out can never have a block committed, and no height ever
 * holds two blocks. A request whose answer was lost is asked again (a read of
 * P b/h) until its outcome is known.
 *
 * Threads: the keeper (lease, leader, publishing co-signatures, compaction) and the
 * follower (ranges, then a watch over P b/ and P c/). Each has its own etcd client;
 * propose has a third and the peers' block fetches libcurl handles of their own.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node/etcd.h"
#include "node/http_client.h"
#include "node/ordering.h"

#define PARTS_MAGIC "TLYP"
#define PARTS_HEADER_BYTES (4u + 4u + 8u + 32u)
#define KEY_BYTES_MAX 160u
#define RANGE_PAGE 64u
#define PUBLISH_QUEUE_MAX 4096u
#define KEEPER_TICK_MS 20u
/* How often a validator reads who holds the lease: the others often (a dead
 * proposer's lease is taken within the TTL plus this), the holder seldom (its
 * keep-alives say its lease lives, and every block's write checks it holds the
 * key). Each read costs etcd's gateway about 2 ms of CPU. */
#define LEADER_CHECK_MS 200u
#define LEADER_CHECK_HOLDER_MS 1000u
#define APPLIED_EVERY_MS 500u
#define COMPACT_EVERY_MS 5000u
#define FETCH_BLOCK_MAX ((size_t)64 << 20)
/* How long a starting validator waits for etcd to answer (an election takes ~1 s). */
#define GENESIS_WAIT_MS 30000u

typedef struct {
    uint64_t height;
    uint8_t hash[TALLY_HASH_BYTES];
    uint8_t signature[TALLY_SIGNATURE_BYTES];
} publication;

struct ordering {
    ordering_config config;
    char endpoints[2048], prefix[96], url[ORDERING_URL_MAX];
    char ca_file[512], cert_file[512], key_file[512]; /* config.tls points here */
    etcd_client *keeper_etcd, *follower_etcd, *watch_etcd, *propose_etcd;
    ordering_callbacks callbacks;

    pthread_mutex_t lock; /* guards everything below */
    /* This validator's slot in the set (ORDERING_NO_SLOT: its key is in none yet) and
     * whether it may hold the lease (an active validator): the node sets both as the
     * chain changes its set (ordering_set_member). */
    uint32_t slot;
    bool eligible;
    char my_leader_value[ORDERING_URL_MAX + 8];
    pthread_t keeper, follower;
    bool keeper_started, follower_started;
    volatile bool stopping;
    int64_t lease;
    bool proposer;
    int64_t proposer_index;
    char proposer_url[ORDERING_URL_MAX];
    uint64_t log_next;   /* the follower's next height (or past this validator's last commit) */
    /* The height ordering_propose is writing now (0: none): the follower waits for
     * its outcome before it hands that height on, so that this validator's own block
     * comes back to it only if its proposal did not learn that it committed. */
    uint64_t proposing;
    pthread_cond_t proposed;
    bool caught_up;      /* the follower read the log to its end once */
    /* The proposer does not watch its own blocks come back (each is a value of up to
     * a MiB that etcd would send it and it would decode, to drop): while it holds the
     * lease its watch covers P c/ only. A change of role (or stopping) ends the watch
     * at once, so that the follower reads the log again and watches what it must. */
    bool watching_as_proposer;
    volatile bool watch_restart;
    char unreachable_url[ORDERING_URL_MAX]; /* the proposer forwarding could not reach, */
    uint64_t unreachable_since_ms;          /* since then (0: it answered) */
    uint64_t applied_height; /* what this validator applied last (published in P a/) */
    uint64_t applied_published;
    bool lease_stale; /* the slot changed: the lease's registration names the old one */
    publication *queue;
    uint32_t queued;
    ordering_metrics metrics;
};

static uint64_t now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

static void sleep_ms(uint32_t ms) {
    struct timespec pause = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

/* With o->lock held. */
static void set_proposer(ordering *o, bool proposer) {
    o->proposer = proposer;
    if (proposer != o->watching_as_proposer) o->watch_restart = true;
}

static size_t key_of(const ordering *o, char out[KEY_BYTES_MAX], const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static size_t key_of(const ordering *o, char out[KEY_BYTES_MAX], const char *format, ...) {
    int at = snprintf(out, KEY_BYTES_MAX, "%s", o->prefix);
    va_list args;
    va_start(args, format);
    int more = vsnprintf(out + at, KEY_BYTES_MAX - (size_t)at, format, args);
    va_end(args);
    return (size_t)at + (size_t)more;
}

static size_t block_key(const ordering *o, char out[KEY_BYTES_MAX], uint64_t height) {
    return key_of(o, out, "b/%020" PRIu64, height);
}

/* The height in a key P b/<20 digits> or P c/<20 digits>/..; false for others. */
static bool height_in_key(const ordering *o, const uint8_t *key, size_t length, char kind, uint64_t *height) {
    size_t prefix = strlen(o->prefix);
    if (length < prefix + 2 + 20 || memcmp(key, o->prefix, prefix) != 0 || key[prefix] != (uint8_t)kind ||
        key[prefix + 1] != '/')
        return false;
    uint64_t value = 0;
    for (size_t i = prefix + 2; i < prefix + 22; i++) {
        if (key[i] < '0' || key[i] > '9') return false;
        value = value * 10 + (uint64_t)(key[i] - '0');
    }
    *height = value;
    return true;
}

static void set_why(char *why, size_t why_size, const char *what, const etcd_client *client) {
    if (why) snprintf(why, why_size, "%s: %s", what, etcd_why(client));
}

/* The proposing client's figures, copied under the lock by the thread using it. */
static void count_request(ordering *o, const etcd_client *client) {
    etcd_stats stats = etcd_client_stats(client);
    o->metrics.requests = stats.requests;
    o->metrics.request_us_total = stats.total_us;
    o->metrics.request_us_last = stats.last_us;
    o->metrics.failovers = stats.failovers;
}

/* ---- opening and genesis ---- */

bool ordering_open(const ordering_config *config, ordering **out, char *why, size_t why_size) {
    *out = NULL;
    ordering *o = calloc(1, sizeof *o);
    if (!o) return snprintf(why, why_size, "out of memory"), false;
    o->config = *config;
    snprintf(o->endpoints, sizeof o->endpoints, "%s", config->endpoints ? config->endpoints : "");
    snprintf(o->prefix, sizeof o->prefix, "%s", config->prefix ? config->prefix : "/tally/");
    snprintf(o->url, sizeof o->url, "%s", config->advertise_url ? config->advertise_url : "");
    o->config.endpoints = o->endpoints, o->config.prefix = o->prefix, o->config.advertise_url = o->url;
    const struct {
        const char *from;
        char *to;
        const char **kept;
    } files[] = {{config->tls.ca_file, o->ca_file, &o->config.tls.ca_file},
                 {config->tls.cert_file, o->cert_file, &o->config.tls.cert_file},
                 {config->tls.key_file, o->key_file, &o->config.tls.key_file}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (files[i].from) snprintf(files[i].to, sizeof o->ca_file, "%s", files[i].from);
        *files[i].kept = files[i].from ? files[i].to : NULL;
    }
    if (o->config.lease_ttl_seconds == 0) o->config.lease_ttl_seconds = 2;
    if (o->config.timeout_ms == 0) o->config.timeout_ms = 2000;
    o->slot = config->validator_index;
    o->eligible = config->validator_index != ORDERING_NO_SLOT;
    snprintf(o->my_leader_value, sizeof o->my_leader_value, "%u %s", config->validator_index, o->url);
    o->proposer_index = -1;
    pthread_mutex_init(&o->lock, NULL);
    pthread_cond_init(&o->proposed, NULL);
    o->queue = calloc(PUBLISH_QUEUE_MAX, sizeof *o->queue);
    char client_why[256] = "out of memory";
    const etcd_tls *tls = &o->config.tls;
    o->keeper_etcd = etcd_open_tls(o->endpoints, o->config.timeout_ms, tls, client_why, sizeof client_why);
    if (o->keeper_etcd) o->follower_etcd = etcd_open_tls(o->endpoints, o->config.timeout_ms, tls, NULL, 0);
    if (o->follower_etcd) o->watch_etcd = etcd_open_tls(o->endpoints, o->config.timeout_ms, tls, NULL, 0);
    if (o->watch_etcd) o->propose_etcd = etcd_open_tls(o->endpoints, o->config.timeout_ms, tls, NULL, 0);
    if (!o->queue || !o->propose_etcd) {
        snprintf(why, why_size, "etcd %s: %s", o->endpoints, client_why);
        ordering_close(o);
        return false;
    }
    *out = o;
    return true;
}

/* Reads the log's genesis (kv may be NULL), asking again until give_up_ms while etcd
 * is unavailable: etcd without a leader for a moment (an election after a member
 * died) is no reason to give up starting. */
static etcd_status read_genesis(ordering *o, etcd_kv *kv, bool *found, uint64_t give_up_ms) {
    char key[KEY_BYTES_MAX];
    size_t key_length = block_key(o, key, 0);
    etcd_status status;
    while ((status = etcd_get(o->propose_etcd, key, key_length, kv, found, NULL)) == ETCD_UNAVAILABLE &&
           now_ms() < give_up_ms)
        sleep_ms(100);
    return status;
}

bool ordering_genesis(ordering *o, const uint8_t *genesis, size_t genesis_length, uint8_t **bytes, size_t *length,
                      char *why, size_t why_size) {
    *bytes = NULL, *length = 0;
    char key[KEY_BYTES_MAX];
    size_t key_length = block_key(o, key, 0);
    etcd_kv kv = {0};
    bool found = false;
    uint64_t give_up_ms = now_ms() + GENESIS_WAIT_MS;
    etcd_status status = read_genesis(o, &kv, &found, give_up_ms);
    if (status != ETCD_OK) return set_why(why, why_size, "reading the chain's genesis from etcd", o->propose_etcd), false;
    if (!found && !genesis) {
        snprintf(why, why_size,
                 "etcd holds no chain under %s yet: start the chain's first validator (tallyd --validator "
                 "--genesis-validators ...) first",
                 o->prefix);
        return false;
    }
    if (!found) {
        bool created = false;
        /* Asked again after an unknown outcome: a create that was applied then answers
         * not created, with this genesis as the key's value (compared below). */
        while ((status = etcd_create(o->propose_etcd, key, key_length, genesis, genesis_length, 0, NULL, &created, NULL,
                                     &kv)) == ETCD_UNAVAILABLE &&
               now_ms() < give_up_ms)
            sleep_ms(100);
        if (status != ETCD_OK) return set_why(why, why_size, "writing the chain's genesis to etcd", o->propose_etcd), false;
        if (created) {
            *bytes = malloc(genesis_length);
            if (!*bytes) return snprintf(why, why_size, "out of memory"), false;
            memcpy(*bytes, genesis, genesis_length);
            *length = genesis_length;
            return true;
        }
    }
    if (genesis && (kv.value_length != genesis_length || memcmp(kv.value, genesis, genesis_length) != 0)) {
        etcd_kv_release(&kv);
        snprintf(why, why_size,
                 "etcd holds another chain under %s (its genesis is not this data directory's): use another "
                 "--etcd-prefix, or another data directory",
                 o->prefix);
        return false;
    }
    *bytes = kv.value, *length = kv.value_length;
    kv.value = NULL;
    etcd_kv_release(&kv);
    return true;
}

/* ---- proposing ---- */

/* Whether the log holds exactly these bytes at key (after a write whose answer was
 * lost). Asks until etcd answers. */
static bool holds(ordering *o, const char *key, size_t key_length, const uint8_t *bytes, size_t length,
                  bool *other) {
    for (;;) {
        etcd_kv kv = {0};
        bool found = false;
        if (etcd_get(o->propose_etcd, key, key_length, &kv, &found, NULL) == ETCD_OK) {
            bool same = found && kv.value_length == length && memcmp(kv.value, bytes, length) == 0;
            *other = found && !same;
            etcd_kv_release(&kv);
            return same;
        }
        if (o->stopping) {
            *other = false;
            return false;
        }
        sleep_ms(50);
    }
}

/* The value stored at P b/h: the block, or the parts header after its parts. */
static bool block_value(ordering *o, uint64_t height, const uint8_t *bytes, size_t length, const uint8_t **value,
                        size_t *value_length, uint8_t **owned, char *why, size_t why_size) {
    *owned = NULL;
    if (length <= ORDERING_VALUE_MAX) {
        *value = bytes, *value_length = length;
        return true;
    }
    uint8_t hash[32];
    crypto_generichash(hash, sizeof hash, bytes, length, NULL, 0);
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
    uint32_t parts = (uint32_t)((length + ORDERING_VALUE_MAX - 1) / ORDERING_VALUE_MAX);
    for (uint32_t k = 0; k < parts; k++) {
        char key[KEY_BYTES_MAX];
        size_t key_length = key_of(o, key, "p/%020" PRIu64 "/%s/%04u", height, hex, k);
        size_t at = (size_t)k * ORDERING_VALUE_MAX, part = length - at < ORDERING_VALUE_MAX ? length - at : ORDERING_VALUE_MAX;
        while (etcd_put(o->propose_etcd, key, key_length, bytes + at, part, 0) != ETCD_OK) {
            if (o->stopping) return set_why(why, why_size, "writing a block's part", o->propose_etcd), false;
            sleep_ms(50);
        }
    }
    uint8_t *header = malloc(PARTS_HEADER_BYTES);
    if (!header) return snprintf(why, why_size, "out of memory"), false;
    memcpy(header, PARTS_MAGIC, 4);
    for (int i = 0; i < 4; i++) header[4 + i] = (uint8_t)(parts >> (8 * i));
    for (int i = 0; i < 8; i++) header[8 + i] = (uint8_t)((uint64_t)length >> (8 * i));
    memcpy(header + 16, hash, 32);
    *value = *owned = header, *value_length = PARTS_HEADER_BYTES;
    return true;
}

bool ordering_log_exists(ordering *o, bool *found, char *why, size_t why_size) {
    if (read_genesis(o, NULL, found, now_ms() + GENESIS_WAIT_MS) == ETCD_OK) return true;
    set_why(why, why_size, "reading the chain's genesis from etcd", o->propose_etcd);
    return false;
}

bool ordering_reseed(ordering *o, uint64_t height, const uint8_t *block, size_t length, char *why, size_t why_size) {
    if (height == 0) return true; /* the genesis alone: ordering_genesis wrote it */
    char key[KEY_BYTES_MAX];
    size_t key_length = block_key(o, key, height);
    const uint8_t *value = NULL;
    uint8_t *owned = NULL;
    size_t value_length = 0;
    if (!block_value(o, height, block, length, &value, &value_length, &owned, why, why_size)) return false;
    bool created = false;
    etcd_kv existing = {0};
    etcd_status status =
        etcd_create(o->propose_etcd, key, key_length, value, value_length, 0, NULL, &created, NULL, &existing);
    bool same = status == ETCD_OK && (created || (existing.value_length == value_length &&
                                                  memcmp(existing.value, value, value_length) == 0));
    etcd_kv_release(&existing);
    free(owned);
    if (status != ETCD_OK) return set_why(why, why_size, "writing the tip block to etcd", o->propose_etcd), false;
    if (!same)
        return snprintf(why, why_size, "etcd holds another block at height %" PRIu64 ": it was re-seeded already", height),
               false;
    char checkpoint[KEY_BYTES_MAX], text[32];
    size_t checkpoint_length = key_of(o, checkpoint, "checkpoint");
    int text_length = snprintf(text, sizeof text, "%" PRIu64, height);
    if (etcd_put(o->propose_etcd, checkpoint, checkpoint_length, text, (size_t)text_length, 0) != ETCD_OK)
        return set_why(why, why_size, "writing the checkpoint to etcd", o->propose_etcd), false;
    pthread_mutex_lock(&o->lock);
    o->metrics.compacted_below = height;
    pthread_mutex_unlock(&o->lock);
    return true;
}

/* This validator's slot and leader value now (they change when the chain adds it). */
static uint32_t my_slot(ordering *o, char leader_value[ORDERING_URL_MAX + 8], bool *eligible) {
    pthread_mutex_lock(&o->lock);
    uint32_t slot = o->slot;
    if (leader_value) memcpy(leader_value, o->my_leader_value, sizeof o->my_leader_value);
    if (eligible) *eligible = o->eligible;
    pthread_mutex_unlock(&o->lock);
    return slot;
}

ordering_outcome ordering_propose(ordering *o, uint64_t height, const uint8_t *bytes, size_t length, char *why,
                                  size_t why_size) {
    char key[KEY_BYTES_MAX], leader[KEY_BYTES_MAX];
    size_t key_length = block_key(o, key, height), leader_length = key_of(o, leader, "leader");
    const uint8_t *value = NULL;
    uint8_t *owned = NULL;
    size_t value_length = 0;
    if (!block_value(o, height, bytes, length, &value, &value_length, &owned, why, why_size)) return ORDERING_LOST;
    char mine[ORDERING_URL_MAX + 8];
    (void)my_slot(o, mine, NULL);
    etcd_guard guard = {leader, leader_length, mine, strlen(mine)};
    ordering_outcome outcome = ORDERING_LOST;
    pthread_mutex_lock(&o->lock);
    o->proposing = height;
    pthread_mutex_unlock(&o->lock);
    for (;;) {
        bool created = false;
        etcd_kv existing = {0};
        etcd_status status =
            etcd_create(o->propose_etcd, key, key_length, value, value_length, 0, &guard, &created, NULL, &existing);
        pthread_mutex_lock(&o->lock);
        count_request(o, o->propose_etcd);
        pthread_mutex_unlock(&o->lock);
        if (status == ETCD_OK) {
            bool ours = created || (existing.value_length == value_length &&
                                    memcmp(existing.value, value, value_length) == 0);
            if (!ours)
                snprintf(why, why_size, "block %" PRIu64 " not committed: %s", height,
                         existing.key ? "another validator's block holds the height"
                                      : "this validator no longer holds the proposer lease");
            etcd_kv_release(&existing);
            outcome = ours ? ORDERING_COMMITTED : ORDERING_LOST;
            break;
        }
        etcd_kv_release(&existing);
        if (status == ETCD_REFUSED) {
            set_why(why, why_size, "etcd refused the block", o->propose_etcd);
            break;
        }
        /* Unknown: asked again until known. */
        bool other = false;
        if (holds(o, key, key_length, value, value_length, &other)) {
            outcome = ORDERING_COMMITTED;
            break;
        }
        if (other || o->stopping) {
            snprintf(why, why_size, "block %" PRIu64 " not committed: another validator's block holds the height",
                     height);
            break;
        }
        sleep_ms(20);
    }
    free(owned);
    pthread_mutex_lock(&o->lock);
    if (outcome == ORDERING_COMMITTED && o->log_next == height) o->log_next = height + 1;
    if (outcome == ORDERING_LOST) set_proposer(o, false); /* until the keeper sees the lease again */
    o->proposing = 0;
    pthread_cond_broadcast(&o->proposed);
    pthread_mutex_unlock(&o->lock);
    return outcome;
}

void ordering_publish(ordering *o, uint64_t height, const uint8_t hash[TALLY_HASH_BYTES],
                      const uint8_t signature[TALLY_SIGNATURE_BYTES]) {
    pthread_mutex_lock(&o->lock);
    if (height > o->applied_height) o->applied_height = height;
    if (o->queued < PUBLISH_QUEUE_MAX) {
        publication *p = &o->queue[o->queued++];
        p->height = height;
        memcpy(p->hash, hash, TALLY_HASH_BYTES);
        memcpy(p->signature, signature, TALLY_SIGNATURE_BYTES);
    }
    pthread_mutex_unlock(&o->lock);
}

/* ---- the keeper: lease, leader, publications, compaction ---- */

void ordering_set_member(ordering *o, uint32_t slot, bool eligible) {
    pthread_mutex_lock(&o->lock);
    if (slot != o->slot) {
        o->slot = slot;
        snprintf(o->my_leader_value, sizeof o->my_leader_value, "%u %s", slot, o->url);
        /* registered under its slot at the next lease */
        o->lease_stale = true;
    }
    o->eligible = eligible && slot != ORDERING_NO_SLOT;
    pthread_mutex_unlock(&o->lock);
}

static void publish_queued(ordering *o) {
    publication batch[64];
    pthread_mutex_lock(&o->lock);
    uint32_t count = o->queued < 64 ? o->queued : 64;
    memcpy(batch, o->queue, count * sizeof *batch);
    memmove(o->queue, o->queue + count, (o->queued - count) * sizeof *o->queue);
    o->queued -= count;
    int64_t lease = o->lease;
    pthread_mutex_unlock(&o->lock);
    uint32_t slot = my_slot(o, NULL, NULL);
    for (uint32_t i = 0; i < count && !o->stopping && slot != ORDERING_NO_SLOT; i++) {
        char key[KEY_BYTES_MAX];
        size_t key_length = key_of(o, key, "c/%020" PRIu64 "/%02u", batch[i].height, slot);
        uint8_t value[TALLY_HASH_BYTES + TALLY_SIGNATURE_BYTES];
        memcpy(value, batch[i].hash, TALLY_HASH_BYTES);
        memcpy(value + TALLY_HASH_BYTES, batch[i].signature, TALLY_SIGNATURE_BYTES);
        if (etcd_put(o->keeper_etcd, key, key_length, value, sizeof value, 0) != ETCD_OK) break;
    }
    (void)lease;
}

static void publish_applied(ordering *o) {
    pthread_mutex_lock(&o->lock);
    uint64_t height = o->applied_height;
    bool due = height != o->applied_published;
    pthread_mutex_unlock(&o->lock);
    uint32_t slot = my_slot(o, NULL, NULL);
    if (!due || slot == ORDERING_NO_SLOT) return;
    char key[KEY_BYTES_MAX], value[32];
    size_t key_length = key_of(o, key, "a/%02u", slot);
    int value_length = snprintf(value, sizeof value, "%" PRIu64, height);
    if (etcd_put(o->keeper_etcd, key, key_length, value, (size_t)value_length, 0) != ETCD_OK) return;
    pthread_mutex_lock(&o->lock);
    o->applied_published = height;
    pthread_mutex_unlock(&o->lock);
}

/* The heights each validator applied (P a/), and the lowest of those that said. */
static bool read_applied(ordering *o, uint64_t *lowest) {
    char start[KEY_BYTES_MAX];
    size_t start_length = key_of(o, start, "a/");
    uint8_t end[KEY_BYTES_MAX];
    size_t end_length = etcd_prefix_end(start, start_length, end, sizeof end);
    etcd_kv *kvs = NULL;
    uint32_t count = 0;
    if (etcd_range(o->keeper_etcd, start, start_length, end, end_length, 0, &kvs, &count, NULL, NULL) != ETCD_OK)
        return false;
    *lowest = UINT64_MAX;
    pthread_mutex_lock(&o->lock);
    for (uint32_t i = 0; i < count; i++) {
        unsigned index = 0;
        unsigned long long height = 0;
        if (sscanf((const char *)kvs[i].key + start_length, "%u", &index) != 1 || index >= TALLY_VALIDATORS_MAX)
            continue;
        if (sscanf((const char *)kvs[i].value, "%llu", &height) != 1) continue;
        o->metrics.applied[index] = height;
        if (index + 1 > o->metrics.validator_count) o->metrics.validator_count = index + 1;
        if (height < *lowest) *lowest = height;
    }
    pthread_mutex_unlock(&o->lock);
    etcd_kvs_release(kvs, count);
    return count > 0;
}

/* The proposer deletes what every validator that reported has applied, but the last
 * keep_blocks, and compacts etcd's history behind it. */
static void compact(ordering *o) {
    uint64_t lowest = 0;
    if (!read_applied(o, &lowest) || lowest <= o->config.keep_blocks) return;
    uint64_t cut = lowest - o->config.keep_blocks;
    if (cut <= o->metrics.compacted_below) return;
    char key[KEY_BYTES_MAX], value[32];
    size_t key_length = key_of(o, key, "checkpoint");
    int value_length = snprintf(value, sizeof value, "%" PRIu64, cut);
    if (etcd_put(o->keeper_etcd, key, key_length, value, (size_t)value_length, 0) != ETCD_OK) return;
    static const char kinds[] = {'b', 'p', 'c'};
    int64_t revision = 0;
    for (unsigned k = 0; k < sizeof kinds; k++) {
        char start[KEY_BYTES_MAX], end[KEY_BYTES_MAX];
        /* The genesis stays: a new validator joins from it. */
        size_t start_length = key_of(o, start, "%c/%020" PRIu64, kinds[k], (uint64_t)1);
        size_t end_length = key_of(o, end, "%c/%020" PRIu64, kinds[k], cut);
        if (etcd_delete_range(o->keeper_etcd, start, start_length, end, end_length, NULL) != ETCD_OK) return;
    }
    bool found = false;
    if (etcd_get(o->keeper_etcd, key, key_length, NULL, &found, &revision) == ETCD_OK && revision > 0)
    {
        /* History only: refused when another compaction went further, which is fine. */
        etcd_status compacted = etcd_compact(o->keeper_etcd, revision);
        (void)compacted;
    }
    pthread_mutex_lock(&o->lock);
    o->metrics.compacted_below = cut;
    pthread_mutex_unlock(&o->lock);
}

/* Takes the lease when nobody holds it; learns who does. */
static void check_leader(ordering *o, int64_t lease) {
    char key[KEY_BYTES_MAX], mine[ORDERING_URL_MAX + 8];
    bool eligible = false;
    uint32_t slot = my_slot(o, mine, &eligible);
    size_t key_length = key_of(o, key, "leader");
    etcd_kv kv = {0};
    bool found = false;
    if (etcd_get(o->keeper_etcd, key, key_length, &kv, &found, NULL) != ETCD_OK) return;
    if (found && !eligible && kv.lease == lease && kv.value_length == strlen(mine) &&
        memcmp(kv.value, mine, kv.value_length) == 0) {
        /* The chain retired this validator: it gives the lease up (its leader key goes
         * with its lease), and another takes it. */
        etcd_status revoked = etcd_lease_revoke(o->keeper_etcd, lease);
        (void)revoked; /* it lapses by itself otherwise */
        etcd_kv_release(&kv);
        pthread_mutex_lock(&o->lock);
        o->lease = 0;
        set_proposer(o, false);
        o->proposer_index = -1;
        o->metrics.lease_changes++;
        pthread_mutex_unlock(&o->lock);
        return;
    }
    if (!found && eligible) {
        bool created = false;
        if (etcd_create(o->keeper_etcd, key, key_length, mine, strlen(mine), lease, NULL, &created, NULL, &kv) !=
            ETCD_OK)
            return;
        if (created) {
            etcd_kv_release(&kv);
            kv.value = (uint8_t *)strdup(mine);
            kv.value_length = strlen(mine);
            kv.lease = lease;
            found = kv.value != NULL;
        } else {
            found = kv.key != NULL;
        }
    }
    unsigned index = 0;
    char url[ORDERING_URL_MAX] = "";
    bool parsed = found && sscanf((const char *)kv.value, "%u %255s", &index, url) == 2;
    if (parsed && index == slot && kv.lease != 0 && kv.lease != lease) {
        /* The lease of this validator's previous process (killed, restarted): nobody
         * keeps it alive, but etcd renews every lease at each change of its own leader,
         * so it could outlive the process for long, everyone forwarding to a dead URL.
         * Only this validator's key signs as it: revoke it, and take the lease anew. */
        etcd_status revoked = etcd_lease_revoke(o->keeper_etcd, kv.lease);
        (void)revoked; /* refused when it ended meanwhile; checked again next time */
    }
    pthread_mutex_lock(&o->lock);
    int64_t before = o->proposer_index;
    if (found) {
        if (parsed) {
            o->proposer_index = index;
            snprintf(o->proposer_url, sizeof o->proposer_url, "%s", url);
        }
        set_proposer(o, kv.value_length == strlen(mine) && memcmp(kv.value, mine, kv.value_length) == 0 &&
                            kv.lease == lease);
    } else {
        set_proposer(o, false);
        o->proposer_index = -1;
    }
    if (o->proposer_index != before) o->metrics.lease_changes++;
    pthread_mutex_unlock(&o->lock);
    etcd_kv_release(&kv);
}

/* While the proposer watches P c/ only: whether the log holds a block this
 * validator did not write at a height it has not applied (written into etcd by
 * someone else, against the lease: a fault). The follower must read it (and stop
 * on it): its watch restarts. Normally the range is empty (the next height is not
 * written yet), so this costs one small request. */
static void check_foreign_blocks(ordering *o) {
    pthread_mutex_lock(&o->lock);
    bool watching_own = o->watching_as_proposer && !o->watch_restart;
    uint64_t next = o->log_next;
    pthread_mutex_unlock(&o->lock);
    if (!watching_own) return;
    char start[KEY_BYTES_MAX], b_prefix[KEY_BYTES_MAX];
    uint8_t end[KEY_BYTES_MAX];
    size_t b_length = key_of(o, b_prefix, "b/");
    size_t end_length = etcd_prefix_end(b_prefix, b_length, end, sizeof end);
    size_t start_length = block_key(o, start, next);
    etcd_kv *kvs = NULL;
    uint32_t count = 0;
    if (etcd_range(o->keeper_etcd, start, start_length, end, end_length, 1, &kvs, &count, NULL, NULL) != ETCD_OK)
        return;
    uint64_t height = 0;
    bool found = count > 0 && height_in_key(o, kvs[0].key, kvs[0].key_length, 'b', &height);
    etcd_kvs_release(kvs, count);
    if (!found) return;
    pthread_mutex_lock(&o->lock);
    /* Its own: committed since, or being written now. */
    if (height >= o->log_next && height != o->proposing) o->watch_restart = true;
    pthread_mutex_unlock(&o->lock);
}

static void *keeper_main(void *context) {
    ordering *o = context;
    uint64_t keepalive_due = 0, leader_due = 0, applied_due = 0, compact_due = now_ms() + COMPACT_EVERY_MS;
    uint32_t keepalive_ms = o->config.lease_ttl_seconds * 1000u / 3u;
    while (!o->stopping) {
        uint64_t now = now_ms();
        pthread_mutex_lock(&o->lock);
        if (o->lease_stale) {
            /* registered under another slot: a new lease registers this one */
            o->lease_stale = false;
            if (o->lease != 0 && !o->proposer) {
                int64_t old = o->lease;
                o->lease = 0;
                pthread_mutex_unlock(&o->lock);
                etcd_status revoked = etcd_lease_revoke(o->keeper_etcd, old);
                (void)revoked;
                pthread_mutex_lock(&o->lock);
            }
        }
        int64_t lease = o->lease;
        pthread_mutex_unlock(&o->lock);
        if (lease == 0) {
            int64_t granted = 0;
            if (etcd_lease_grant(o->keeper_etcd, o->config.lease_ttl_seconds, &granted) == ETCD_OK) {
                char key[KEY_BYTES_MAX];
                uint32_t slot = my_slot(o, NULL, NULL);
                size_t key_length = key_of(o, key, "v/%02u", slot);
                /* Said again at the next lease if it fails: it only helps peers find this one. */
                if (slot != ORDERING_NO_SLOT) {
                    etcd_status registered =
                        etcd_put(o->keeper_etcd, key, key_length, o->url, strlen(o->url), granted);
                    (void)registered;
                }
                pthread_mutex_lock(&o->lock);
                o->lease = lease = granted;
                pthread_mutex_unlock(&o->lock);
                keepalive_due = now + keepalive_ms;
                leader_due = 0;
            } else {
                sleep_ms(100);
                continue;
            }
        }
        if (now >= keepalive_due) {
            int64_t left = 0;
            etcd_status status = etcd_lease_keepalive(o->keeper_etcd, lease, &left);
            if (status == ETCD_OK && left == 0) {
                /* Expired: this validator holds nothing until it has a new lease. */
                pthread_mutex_lock(&o->lock);
                o->lease = 0;
                set_proposer(o, false);
                pthread_mutex_unlock(&o->lock);
                continue;
            }
            keepalive_due = now + (status == ETCD_OK ? keepalive_ms : 100u);
        }
        if (now >= leader_due) {
            check_leader(o, lease);
            check_foreign_blocks(o);
            leader_due = now + (ordering_is_proposer(o) ? LEADER_CHECK_HOLDER_MS : LEADER_CHECK_MS);
        }
        publish_queued(o);
        if (now >= applied_due) {
            publish_applied(o);
            applied_due = now + APPLIED_EVERY_MS;
        }
        if (now >= compact_due) {
            bool proposer = ordering_is_proposer(o);
            uint64_t lowest;
            if (proposer) compact(o);
            else read_applied(o, &lowest);
            compact_due = now + COMPACT_EVERY_MS;
        }
        sleep_ms(KEEPER_TICK_MS);
    }
    return NULL;
}

/* ---- the follower ---- */

/* A block etcd no longer holds, from a peer's block log. */
static bool fetch_from_peers(ordering *o, uint64_t height, uint8_t **bytes, size_t *length) {
    CURL *curl = curl_easy_init();
    if (!curl) return false;
    bool got = false;
    for (uint32_t v = 0; v < TALLY_VALIDATORS_MAX && !got; v++) {
        char url[ORDERING_URL_MAX], target[ORDERING_URL_MAX + 64];
        if (v == my_slot(o, NULL, NULL) || !ordering_peer_url(o, v, url)) continue;
        snprintf(target, sizeof target, "%s/v1/blocks/%" PRIu64 "/raw", url, height);
        http_answer answer = {.limit = FETCH_BLOCK_MAX};
        http_outcome outcome;
        got = http_call(curl, target, NULL, NULL, 0, 10000L, 0, &answer, &outcome) && answer.length > 0;
        if (got) *bytes = (uint8_t *)answer.bytes, *length = answer.length;
        else http_answer_release(&answer);
    }
    curl_easy_cleanup(curl);
    return got;
}

/* The block of a value of P b/h: itself, or its parts put together and checked. */
static bool resolve(ordering *o, uint64_t height, const uint8_t *value, size_t length, uint8_t **block,
                    size_t *block_length) {
    if (length != PARTS_HEADER_BYTES || memcmp(value, PARTS_MAGIC, 4) != 0) {
        *block = malloc(length ? length : 1);
        if (!*block) return false;
        memcpy(*block, value, length);
        *block_length = length;
        return true;
    }
    uint32_t parts = 0;
    uint64_t total = 0;
    for (int i = 0; i < 4; i++) parts |= (uint32_t)value[4 + i] << (8 * i);
    for (int i = 0; i < 8; i++) total |= (uint64_t)value[8 + i] << (8 * i);
    if (total > FETCH_BLOCK_MAX || parts == 0 || parts > 1024) return false;
    char hex[65], start[KEY_BYTES_MAX];
    sodium_bin2hex(hex, sizeof hex, value + 16, 32);
    size_t start_length = key_of(o, start, "p/%020" PRIu64 "/%s/", height, hex);
    uint8_t end[KEY_BYTES_MAX];
    size_t end_length = etcd_prefix_end(start, start_length, end, sizeof end);
    etcd_kv *kvs = NULL;
    uint32_t count = 0;
    if (etcd_range(o->follower_etcd, start, start_length, end, end_length, 0, &kvs, &count, NULL, NULL) != ETCD_OK)
        return false;
    uint8_t *out = malloc(total ? total : 1);
    size_t at = 0;
    bool ok = out && count == parts;
    for (uint32_t i = 0; ok && i < count; i++) {
        ok = at + kvs[i].value_length <= total;
        if (ok) memcpy(out + at, kvs[i].value, kvs[i].value_length), at += kvs[i].value_length;
    }
    etcd_kvs_release(kvs, count);
    uint8_t hash[32];
    if (ok) crypto_generichash(hash, sizeof hash, out, total, NULL, 0);
    ok = ok && at == total && memcmp(hash, value + 16, 32) == 0;
    if (!ok) {
        free(out);
        return false;
    }
    *block = out, *block_length = total;
    return true;
}

typedef struct {
    ordering *o;
    uint64_t next;
    bool failed; /* the callee refused a block: stop following */
    bool gap;    /* a later height came first: read with a range */
    int64_t seen_revision; /* of the last event a watch delivered (0: none yet) */
} follow_state;

/* Delivers the block of `height` when it is the next one; false to stop. */
static bool deliver(follow_state *f, uint64_t height, const uint8_t *value, size_t length) {
    ordering *o = f->o;
    if (height < f->next) return true;
    if (height > f->next) {
        f->gap = true;
        return false;
    }
    pthread_mutex_lock(&o->lock);
    while (o->proposing == height && !o->stopping) pthread_cond_wait(&o->proposed, &o->lock);
    bool proposed_here = o->log_next > height; /* this validator's own commit, applied already */
    pthread_mutex_unlock(&o->lock);
    if (!proposed_here) {
        uint8_t *block = NULL;
        size_t block_length = 0;
        if (!resolve(o, height, value, length, &block, &block_length)) {
            f->gap = true; /* the parts are not readable yet: try again */
            return false;
        }
        bool go_on = o->callbacks.block(o->callbacks.context, height, block, block_length);
        free(block);
        if (!go_on) {
            f->failed = true;
            return false;
        }
    }
    f->next = height + 1;
    pthread_mutex_lock(&o->lock);
    if (o->log_next < f->next) o->log_next = f->next;
    o->metrics.log_next = o->log_next;
    pthread_mutex_unlock(&o->lock);
    return true;
}

static bool on_event(void *context, const etcd_event *event) {
    follow_state *f = context;
    ordering *o = f->o;
    uint64_t height = 0;
    if (event->mod_revision > f->seen_revision) f->seen_revision = event->mod_revision;
    if (event->is_delete) return true;
    if (height_in_key(o, event->key, event->key_length, 'b', &height))
        return deliver(f, height, event->value, event->value_length);
    if (height_in_key(o, event->key, event->key_length, 'c', &height) && o->callbacks.cosign &&
        event->value_length == TALLY_HASH_BYTES + TALLY_SIGNATURE_BYTES) {
        size_t prefix = strlen(o->prefix) + 2 + 20 + 1;
        unsigned validator = 0;
        if (event->key_length >= prefix + 2 && sscanf((const char *)event->key + prefix, "%2u", &validator) == 1)
            o->callbacks.cosign(o->callbacks.context, height, validator, event->value,
                                event->value + TALLY_HASH_BYTES);
    }
    return true;
}

/* Reads the log from f->next to its end; *revision the store's revision then. */
static bool catch_up(follow_state *f, int64_t *revision) {
    ordering *o = f->o;
    uint8_t end[KEY_BYTES_MAX];
    char start[KEY_BYTES_MAX];
    size_t start_length = key_of(o, start, "b/");
    size_t end_length = etcd_prefix_end(start, start_length, end, sizeof end);
    for (bool more = true; more && !o->stopping;) {
        size_t from_length = block_key(o, start, f->next);
        etcd_kv *kvs = NULL;
        uint32_t count = 0;
        if (etcd_range(o->follower_etcd, start, from_length, end, end_length, RANGE_PAGE, &kvs, &count, &more,
                       revision) != ETCD_OK)
            return false;
        for (uint32_t i = 0; i < count && !f->failed; i++) {
            uint64_t height = 0;
            if (!height_in_key(o, kvs[i].key, kvs[i].key_length, 'b', &height)) continue;
            /* Compacted behind every validator: the peers' logs have it. */
            while (height > f->next && !f->failed && !o->stopping) {
                uint8_t *block = NULL;
                size_t length = 0;
                if (!fetch_from_peers(o, f->next, &block, &length)) {
                    etcd_kvs_release(kvs, count);
                    return false;
                }
                f->gap = false;
                pthread_mutex_lock(&o->lock);
                o->metrics.blocks_from_peers++;
                pthread_mutex_unlock(&o->lock);
                bool delivered = deliver(f, f->next, block, length);
                free(block);
                if (!delivered) break;
            }
            f->gap = false;
            if (!f->failed) deliver(f, height, kvs[i].value, kvs[i].value_length);
            if (f->gap) more = false;
        }
        etcd_kvs_release(kvs, count);
        if (f->failed || f->gap) return !f->failed && false;
    }
    return !o->stopping;
}

static void *follower_main(void *context) {
    ordering *o = context;
    follow_state f = {.o = o};
    pthread_mutex_lock(&o->lock);
    f.next = o->log_next;
    pthread_mutex_unlock(&o->lock);
    char start[KEY_BYTES_MAX];
    uint8_t end[KEY_BYTES_MAX];
    /* P b/ and P c/: from "b/" to the end of "c/". */
    size_t start_length = key_of(o, start, "b/");
    char c_prefix[KEY_BYTES_MAX];
    size_t c_length = key_of(o, c_prefix, "c/");
    size_t end_length = etcd_prefix_end(c_prefix, c_length, end, sizeof end);
    while (!o->stopping && !f.failed) {
        int64_t revision = 0;
        f.gap = false;
        pthread_mutex_lock(&o->lock);
        if (f.next < o->log_next) f.next = o->log_next; /* its own blocks, as proposer */
        pthread_mutex_unlock(&o->lock);
        if (!catch_up(&f, &revision)) {
            if (f.failed) break;
            sleep_ms(f.gap ? 5 : 100);
            continue;
        }
        pthread_mutex_lock(&o->lock);
        o->caught_up = true;
        o->watch_restart = o->stopping;
        bool as_proposer = o->watching_as_proposer = o->proposer;
        pthread_mutex_unlock(&o->lock);
        /* From where the last watch stopped, so that no co-signature published between
         * two watches is missed (blocks seen again are below f.next: skipped), unless
         * etcd compacted that far. */
        int64_t from = f.seen_revision > 0 && f.seen_revision < revision ? f.seen_revision + 1 : revision + 1;
        etcd_status status =
            as_proposer ? etcd_watch(o->watch_etcd, c_prefix, c_length, end, end_length, from, on_event, &f,
                                     &o->watch_restart, 200)
                        : etcd_watch(o->watch_etcd, start, start_length, end, end_length, from, on_event, &f,
                                     &o->watch_restart, 200);
        if (status == ETCD_COMPACTED) f.seen_revision = 0;
        if (status == ETCD_UNAVAILABLE) sleep_ms(100);
    }
    return NULL;
}

bool ordering_start(ordering *o, uint64_t next_height, const ordering_callbacks *callbacks, char *why,
                    size_t why_size) {
    o->callbacks = *callbacks;
    pthread_mutex_lock(&o->lock);
    o->log_next = next_height;
    o->metrics.log_next = next_height;
    o->applied_height = next_height - 1;
    pthread_mutex_unlock(&o->lock);
    o->keeper_started = pthread_create(&o->keeper, NULL, keeper_main, o) == 0;
    o->follower_started = o->keeper_started && pthread_create(&o->follower, NULL, follower_main, o) == 0;
    if (!o->follower_started) return snprintf(why, why_size, "cannot start the ordering threads"), false;
    pthread_setname_np(o->keeper, "tallyd-lease");
    pthread_setname_np(o->follower, "tallyd-follow");
    return true;
}

void ordering_close(ordering *o) {
    if (!o) return;
    o->stopping = true;
    o->watch_restart = true;
    if (o->follower_started) pthread_join(o->follower, NULL);
    if (o->keeper_started) pthread_join(o->keeper, NULL);
    /* Given up: another validator takes over now, not when the lease runs out. */
    if (o->lease && o->keeper_etcd) {
        etcd_status revoked = etcd_lease_revoke(o->keeper_etcd, o->lease);
        (void)revoked; /* or it runs out by itself */
    }
    etcd_close(o->keeper_etcd);
    etcd_close(o->follower_etcd);
    etcd_close(o->watch_etcd);
    etcd_close(o->propose_etcd);
    free(o->queue);
    pthread_cond_destroy(&o->proposed);
    pthread_mutex_destroy(&o->lock);
    free(o);
}

bool ordering_is_proposer(ordering *o) {
    pthread_mutex_lock(&o->lock);
    bool proposer = o->proposer && o->caught_up;
    pthread_mutex_unlock(&o->lock);
    return proposer;
}

bool ordering_proposer_url(ordering *o, char out[ORDERING_URL_MAX]) {
    pthread_mutex_lock(&o->lock);
    bool known = o->proposer_index >= 0 && !o->proposer && o->proposer_url[0];
    if (known) snprintf(out, ORDERING_URL_MAX, "%s", o->proposer_url);
    pthread_mutex_unlock(&o->lock);
    return known;
}

bool ordering_proposer_unreachable(ordering *o, const char *url) {
    uint64_t now = now_ms();
    pthread_mutex_lock(&o->lock);
    bool due = false;
    if (o->unreachable_since_ms == 0 || strcmp(o->unreachable_url, url) != 0) {
        snprintf(o->unreachable_url, sizeof o->unreachable_url, "%s", url);
        o->unreachable_since_ms = now;
    } else {
        due = now - o->unreachable_since_ms >= 2000u * o->config.lease_ttl_seconds;
    }
    int64_t mine = o->lease;
    pthread_mutex_unlock(&o->lock);
    if (!due) return false;
    char key[KEY_BYTES_MAX];
    size_t key_length = key_of(o, key, "leader");
    etcd_kv kv = {0};
    bool found = false, revoked = false;
    if (etcd_get(o->propose_etcd, key, key_length, &kv, &found, NULL) == ETCD_OK && found) {
        unsigned index = 0;
        char holder[ORDERING_URL_MAX] = "";
        /* Only the lease of the holder forwarding failed to reach, and never this
         * validator's own. */
        if (sscanf((const char *)kv.value, "%u %255s", &index, holder) == 2 && strcmp(holder, url) == 0 &&
            kv.lease != 0 && kv.lease != mine)
            revoked = etcd_lease_revoke(o->propose_etcd, kv.lease) == ETCD_OK;
    }
    etcd_kv_release(&kv);
    pthread_mutex_lock(&o->lock);
    o->unreachable_since_ms = 0; /* a new wait before the next try */
    if (revoked) o->metrics.leases_revoked++;
    pthread_mutex_unlock(&o->lock);
    return revoked;
}

void ordering_proposer_reachable(ordering *o) {
    pthread_mutex_lock(&o->lock);
    o->unreachable_since_ms = 0;
    pthread_mutex_unlock(&o->lock);
}

bool ordering_peer_url(ordering *o, uint32_t validator, char out[ORDERING_URL_MAX]) {
    char key[KEY_BYTES_MAX];
    size_t key_length = key_of(o, key, "v/%02u", validator);
    etcd_kv kv = {0};
    bool found = false;
    if (etcd_get(o->follower_etcd, key, key_length, &kv, &found, NULL) != ETCD_OK || !found) return false;
    snprintf(out, ORDERING_URL_MAX, "%.*s", (int)kv.value_length, (const char *)kv.value);
    etcd_kv_release(&kv);
    return true;
}

ordering_metrics ordering_metrics_read(ordering *o) {
    pthread_mutex_lock(&o->lock);
    ordering_metrics m = o->metrics;
    m.proposer = o->proposer && o->caught_up;
    m.proposer_index = o->proposer_index;
    m.log_next = o->caught_up ? o->log_next : 0;
    pthread_mutex_unlock(&o->lock);
    return m;
}
