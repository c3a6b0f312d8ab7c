/*
 * test_hash_flooding.c: the node's tables indexed by bytes that clients choose
 * (issue 7, finding 8). Transaction ids are ground, as an attacker would, until
 * their first 8 bytes put them in one small window of the status table under the
 * old scheme (linear probing from those bytes); signer keys share their first 8
 * bytes, which is all the mempool's old pending hash read. The test measures the
 * longest probe the old scheme would walk for them, then shows the node's tables
 * (SipHash-2-4 under a random key, bounded probes) keep every lookup short, and that
 * even with a key the attacker knew no call walks past the probe bound.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "node/mempool.h"
#include "node/node.h"
#include "node/recent.h"
#include "test.h"

#define OLD_SLOTS (1u << 18) /* the status table's size, before and after */
#define WINDOW 4096u         /* ids land in this many slots: 64 hashes each */
#define GROUND_IDS 8192u

static uint32_t old_home(const uint8_t id[TALLY_HASH_BYTES]) {
    uint64_t start;
    memcpy(&start, id, sizeof start);
    return (uint32_t)start & (OLD_SLOTS - 1);
}

/* A transfer whose id's old home slot is in [target, target + WINDOW): the memo is
 * varied until it is. Returns how many ids were hashed. */
static uint32_t grind(const tally_key *signer, uint64_t sequence, uint32_t target, uint32_t *counter, tally_tx *tx,
                      uint8_t id[TALLY_HASH_BYTES]) {
    memset(tx, 0, sizeof *tx);
    tx->type = TALLY_TX_TRANSFER;
    memset(tx->chain_id, 0x5a, sizeof tx->chain_id);
    tx->signer = *signer;
    tx->sequence = sequence;
    tx->body.transfer.network_id = 1;
    tx->body.transfer.amount = 1;
    for (uint32_t tries = 1;; tries++) {
        char memo[32];
        snprintf(memo, sizeof memo, "grind %u", (*counter)++);
        text_set(&tx->body.transfer.memo, memo);
        tally_tx_hash(tx, id);
        if (((old_home(id) - target) & (OLD_SLOTS - 1)) < WINDOW) return tries;
    }
}

/* The longest probe of the old status table (linear from the first 8 bytes) when
 * the ids are inserted, then looked up. */
static uint32_t old_scheme_longest_probe(const uint8_t (*ids)[TALLY_HASH_BYTES], uint32_t count) {
    uint32_t *slots = calloc(OLD_SLOTS, sizeof *slots); /* 0 free, else index + 1 */
    uint32_t longest = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t probe = 0, home = old_home(ids[i]);
        while (slots[(home + probe) & (OLD_SLOTS - 1)]) probe++;
        slots[(home + probe) & (OLD_SLOTS - 1)] = i + 1;
        if (probe + 1 > longest) longest = probe + 1;
    }
    free(slots);
    return longest;
}

/* The mempool's old pending hash: the first 8 key bytes and the network id. */
static uint32_t old_pending_hash(const tally_key *key, uint32_t network_id) {
    uint64_t h;
    memcpy(&h, key->bytes, sizeof h);
    h ^= (uint64_t)network_id * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ULL;
    return (uint32_t)(h >> 32);
}

/* The longest probe of the old pending table (slots as the mempool sizes it) when
 * each signer of keys[] pushes `per_signer` transfers in network 1: each push finds
 * or makes the signer's entry and its network's entry. */
static uint32_t old_pending_longest_probe(const tally_key *keys, uint32_t count, uint32_t slots, int per_signer) {
    typedef struct {
        bool used;
        uint32_t signer, network_id;
    } old_slot;
    old_slot *table = calloc(slots, sizeof *table);
    uint32_t longest = 0;
    for (uint32_t i = 0; i < count; i++)
        for (int push = 0; push < per_signer; push++)
            for (uint32_t network_id = 0; network_id <= 1; network_id++) {
                uint32_t position = old_pending_hash(&keys[i], network_id) & (slots - 1), probe = 1;
                while (table[position].used && !(table[position].signer == i && table[position].network_id == network_id))
                    position = (position + 1) & (slots - 1), probe++;
                table[position] = (old_slot){true, i, network_id};
                if (probe > longest) longest = probe;
            }
    free(table);
    return longest;
}

TEST(hardening_08_ground_ids_and_keys_keep_every_probe_short) {
    REQUIRE(tally_crypto_init());
    test_actor payer = actor(1);
    uint8_t(*ids)[TALLY_HASH_BYTES] = calloc(2 * GROUND_IDS, TALLY_HASH_BYTES);
    REQUIRE(ids != NULL);
    uint32_t counter = 0, hashes = 0, target = 123457;
    tally_tx tx;
    for (uint32_t i = 0; i < 2 * GROUND_IDS; i++) hashes += grind(&payer.key, i + 1, target, &counter, &tx, ids[i]);
    uint32_t old_longest = old_scheme_longest_probe((const uint8_t(*)[TALLY_HASH_BYTES])ids, GROUND_IDS);
    /* the ids do collide under the old scheme: one cluster as long as all of them */
    CHECK(old_longest >= GROUND_IDS / 2);

    /* The node's status table: the first half is stored (as pending, then as a
     * result), then every id is looked up, the second half being unknown ones, which
     * under the old scheme walk the whole cluster to its end. */
    recent_table statuses;
    REQUIRE(recent_init(&statuses, OLD_SLOTS, sizeof(tx_status)));
    for (uint32_t i = 0; i < GROUND_IDS; i++) {
        tx_status *status = recent_put(&statuses, ids[i]);
        status->state = TX_PENDING;
    }
    for (uint32_t i = 0; i < GROUND_IDS; i++) {
        tx_status *status = recent_put(&statuses, ids[i]);
        CHECK_EQ(status->state, TX_PENDING);
        status->state = TX_COMMITTED;
        status->height = i;
    }
    uint32_t found = 0, absent = 0;
    for (uint32_t i = 0; i < 2 * GROUND_IDS; i++) {
        const tx_status *status = recent_get(&statuses, ids[i]);
        if (i < GROUND_IDS) found += status && status->state == TX_COMMITTED && status->height == i;
        else absent += status == NULL;
    }
    CHECK_EQ(found, GROUND_IDS);
    CHECK_EQ(absent, GROUND_IDS);
    CHECK_EQ(statuses.generations, 0);
    /* a few slots at 3% load; the bound is far above any honest table's longest */
    CHECK(statuses.probe_longest <= 32);
    uint32_t status_longest = statuses.probe_longest;
    recent_free(&statuses);

    /* The mempool's pending table: 8192 signers whose keys share their first 8
     * bytes, each pipelining two transfers (the old hash read only those 8 bytes and
     * the network id, so every entry had one home slot). */
    mempool pool;
    REQUIRE(mempool_init(&pool, 65536));
    tally_key *keys = calloc(GROUND_IDS, sizeof *keys);
    REQUIRE(keys != NULL);
    for (uint32_t i = 0; i < GROUND_IDS; i++) {
        memset(keys[i].bytes, 0xab, 8);
        randombytes_buf(keys[i].bytes + 8, TALLY_KEY_BYTES - 8);
    }
    uint32_t old_pending_longest = old_pending_longest_probe(keys, GROUND_IDS, pool.pending_capacity, 2);
    CHECK(old_pending_longest >= GROUND_IDS);
    for (uint32_t i = 0; i < GROUND_IDS; i++) {
        tally_tx pay;
        memset(&pay, 0, sizeof pay);
        pay.type = TALLY_TX_TRANSFER;
        pay.signer = keys[i];
        pay.body.transfer.network_id = 1;
        pay.body.transfer.amount = 5;
        for (uint64_t sequence = 1; sequence <= 2; sequence++) {
            pay.sequence = sequence;
            CHECK_EQ(mempool_next_sequence(&pool, &pay.signer, 1), sequence);
            uint8_t id[TALLY_HASH_BYTES] = {0};
            memcpy(id, &i, sizeof i);
            id[4] = (uint8_t)sequence;
            REQUIRE(mempool_push(&pool, &pay, id));
        }
        CHECK_EQ(mempool_sender_count(&pool, &pay.signer), 2);
        CHECK_EQ(mempool_pending_spend(&pool, &pay.signer, 1), 10);
    }
    CHECK(pool.probe_longest <= 32);
    /* a block takes half: the rest is indexed again, under the same bound */
    mempool_entry *taken = calloc(GROUND_IDS, sizeof *taken);
    REQUIRE(taken != NULL);
    CHECK_EQ(mempool_take(&pool, taken, GROUND_IDS), GROUND_IDS);
    CHECK_EQ(mempool_sender_count(&pool, &taken[0].tx.signer), 0);
    CHECK_EQ(mempool_sender_count(&pool, &pool.entries[pool.head].tx.signer), 2);
    CHECK(pool.probe_longest <= 32);
    uint32_t pending_longest = pool.probe_longest;
    free(taken);
    free(keys);
    mempool_free(&pool);

    printf("    %u ids ground in %u hashes (%.0f each) into %u slots of the status table: the old scheme walks "
           "%u slots, the keyed table %u; %u signers sharing 8 key bytes: %u slots before, %u now\n",
           2 * GROUND_IDS, hashes, (double)hashes / (2 * GROUND_IDS), WINDOW, old_longest, status_longest, GROUND_IDS,
           old_pending_longest, pending_longest);
    free(ids);
}

TEST(hardening_08_an_attacker_who_knew_the_key_still_meets_the_probe_bound) {
    REQUIRE(tally_crypto_init());
    /* The worst case: ids made to share one home slot under the table's own key. */
    recent_table table;
    REQUIRE(recent_init(&table, 1u << 12, sizeof(tx_status)));
    uint8_t home_hash[crypto_shorthash_BYTES], hash[crypto_shorthash_BYTES], id[RECENT_ID_BYTES] = {0};
    crypto_shorthash(home_hash, id, sizeof id, table.hash_key);
    uint32_t home = (uint32_t)home_hash[0] | (uint32_t)home_hash[1] << 8;
    uint32_t stored = 0;
    for (uint32_t counter = 1; stored < 1000; counter++) {
        memcpy(id, &counter, sizeof counter);
        crypto_shorthash(hash, id, sizeof id, table.hash_key);
        uint32_t slot = ((uint32_t)hash[0] | (uint32_t)hash[1] << 8) & ((1u << 12) - 1);
        if (((slot - home) & ((1u << 12) - 1)) >= 8) continue; /* within 8 slots of one home */
        tx_status *status = recent_put(&table, id);
        status->state = TX_PENDING;
        stored++;
        CHECK(recent_get(&table, id) == status);
    }
    /* 1000 ids near one slot would need a probe of 1000; each call stops at the
     * bound, and an insertion that meets it starts a fresh generation instead */
    CHECK(table.probe_longest <= RECENT_PROBES_MAX);
    CHECK(table.generations >= 1);
    uint32_t table_longest = table.probe_longest;
    unsigned long long generations = (unsigned long long)table.generations;
    recent_free(&table);

    /* The mempool likewise: signer keys made to share one slot under its key. */
    mempool pool;
    REQUIRE(mempool_init(&pool, 4096));
    uint32_t mask = pool.pending_capacity - 1, refused = 0, admitted = 0, pool_home = UINT32_MAX;
    for (uint32_t counter = 1; admitted + refused < 600; counter++) {
        tally_tx pay;
        memset(&pay, 0, sizeof pay);
        pay.type = TALLY_TX_MEMBER_JOIN; /* one pending entry each: the signer's */
        memcpy(pay.signer.bytes, &counter, sizeof counter);
        uint8_t input[TALLY_KEY_BYTES + 4] = {0};
        memcpy(input, pay.signer.bytes, TALLY_KEY_BYTES);
        crypto_shorthash(hash, input, sizeof input, pool.hash_key);
        uint32_t slot = ((uint32_t)hash[0] | (uint32_t)hash[1] << 8 | (uint32_t)hash[2] << 16) & mask;
        if (pool_home == UINT32_MAX) pool_home = slot;
        if (((slot - pool_home) & mask) >= 4) continue;
        pay.sequence = 1;
        uint8_t tx_id[TALLY_HASH_BYTES] = {0};
        memcpy(tx_id, &counter, sizeof counter);
        if (mempool_push(&pool, &pay, tx_id)) admitted++;
        else refused++;
    }
    /* the first RECENT_PROBES_MAX or so find room; the rest are refused after a
     * bounded walk rather than after scanning the table */
    CHECK(admitted >= 200 && admitted <= MEMPOOL_PROBES_MAX + 4);
    CHECK(refused > 0);
    CHECK(pool.probe_longest <= MEMPOOL_PROBES_MAX);
    printf("    with the key known: 1000 ids near one slot, longest walk %u (bound %u, %llu new generations); "
           "600 keys near one slot: %u admitted, %u refused, longest walk %u\n",
           table_longest, RECENT_PROBES_MAX, generations, admitted, refused,
           pool.probe_longest);
    mempool_free(&pool);
}
