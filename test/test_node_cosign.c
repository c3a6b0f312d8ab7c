/*
 * test_node_cosign.c: a node in this process on a chain of three validators (its
 * producer is validator 0), as the ordering layer will drive it. The node
 * co-signs each block it makes, which is not final alone (quorum 2 of 3);
 * node_cosign_add_remote adds validator 1's and the block is final; a duplicate
 * is ignored, a second different co-signature of validator 1 is refused as a
 * conflict (the first kept), a bad signature, an index outside the set and a block
 * the node does not have are refused; a co-signature of another block at a height
 * is kept but does not count. All of it is there again after a restart.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "chain_fixture.h"
#include "node/node.h"
#include "test.h"

static bool write_seed(const char *directory, uint8_t seed[32]) {
    char path[256], hex[65];
    snprintf(path, sizeof path, "%s/producer.seed", directory);
    sodium_bin2hex(hex, sizeof hex, seed, 32);
    FILE *file = fopen(path, "w");
    if (!file) return false;
    fprintf(file, "%s\n", hex);
    return fclose(file) == 0;
}

static node *open_node(const char *directory, const tally_chain_rules *rules) {
    node_config config;
    node_config_defaults(&config);
    config.data_dir = directory;
    config.chain_rules = *rules;
    config.quiet = true;
    config.verify_threads = 1;
    config.mempool_capacity = 1024;
    config.block_max_txs = 64;
    node *n = NULL;
    char why[512];
    if (!node_open(&config, &n, why, sizeof why)) {
        fprintf(stderr, "    node_open: %s\n", why);
        return NULL;
    }
    if (!node_start(n)) {
        node_close(n);
        return NULL;
    }
    return n;
}

static uint32_t cosignatures_of(node *n, uint64_t height, uint8_t hash[32], node_cosignature *out) {
    uint32_t count = 0;
    if (!node_cosignatures(n, height, out, TALLY_VALIDATORS_MAX, &count, hash)) return UINT32_MAX;
    return count;
}

TEST(node_cosign_quorum_of_three_with_remote_cosignatures) {
    char directory[TEMP_DIR_BYTES];
    temp_dir_make(directory);
    uint8_t seed[32];
    memset(seed, 0x5a, sizeof seed);
    REQUIRE(write_seed(directory, seed));
    tally_key producer;
    uint8_t producer_secret[TALLY_SECRET_BYTES];
    tally_keypair(&producer, producer_secret, seed);
    test_actor second = actor(61), third = actor(62);
    tally_chain_rules rules;
    tally_chain_rules_defaults(&rules, NULL);
    rules.dev_chain = 1;
    rules.validator_count = 3;
    rules.validators[0] = producer;
    rules.validators[1] = second.key;
    rules.validators[2] = third.key;

    node *n = open_node(directory, &rules);
    REQUIRE(n != NULL);
    tally_key validators[TALLY_VALIDATORS_MAX];
    uint32_t quorum = 0;
    uint64_t final_height = 99;
    CHECK_EQ(node_validators(n, validators, &quorum, &final_height), 3);
    CHECK_EQ(quorum, 2);
    CHECK_EQ(final_height, 0);
    CHECK(memcmp(validators[1].bytes, second.key.bytes, TALLY_KEY_BYTES) == 0);
    int64_t block_time = 0;
    uint64_t height = 0;
    REQUIRE(node_dev_advance(n, 60, &block_time, &height) == NODE_DEV_OK);
    REQUIRE(node_dev_advance(n, 60, &block_time, &height) == NODE_DEV_OK);
    REQUIRE(height >= 2);

    /* its own co-signature: one of three, not final */
    node_cosignature got[TALLY_VALIDATORS_MAX];
    uint8_t hash[32], chain_id[32];
    memcpy(chain_id, node_tip(n)->chain_id, 32); /* the tip's chain id never changes */
    CHECK_EQ(cosignatures_of(n, 1, hash, got), 1);
    CHECK_EQ(got[0].validator, 0);
    CHECK(memcmp(got[0].key.bytes, producer.bytes, TALLY_KEY_BYTES) == 0);
    CHECK(tally_cosign_holds(&producer, chain_id, 1, hash, got[0].signature));
    node_validators(n, validators, &quorum, &final_height);
    CHECK_EQ(final_height, 0);

    /* validator 1's, from the ordering layer: final */
    uint8_t signature[64];
    tally_chain_failure failure;
    tally_cosign_sign(second.secret, chain_id, 1, hash, signature);
    CHECK_EQ(node_cosign_add_remote(n, 1, hash, 1, signature, &failure), TALLY_CHAIN_OK);
    CHECK_EQ(node_cosign_add_remote(n, 1, hash, 1, signature, &failure), TALLY_CHAIN_OK); /* duplicate */
    CHECK_EQ(cosignatures_of(n, 1, hash, got), 2);
    CHECK_EQ(got[1].validator, 1);
    node_validators(n, validators, &quorum, &final_height);
    CHECK_EQ(final_height, 1);

    /* validator 1 again at height 1, over another block: equivocation, refused */
    uint8_t other[32];
    memset(other, 0xee, sizeof other);
    uint8_t other_signature[64];
    tally_cosign_sign(second.secret, chain_id, 1, other, other_signature);
    CHECK_EQ(node_cosign_add_remote(n, 1, other, 1, other_signature, &failure), TALLY_CHAIN_ERR_COSIGN_CONFLICT);
    CHECK(strstr(failure.message, "equivocation") != NULL);
    /* a bad signature, validator 2's key for index 1, an index outside, no such block, the genesis */
    signature[5] ^= 1;
    CHECK_EQ(node_cosign_add_remote(n, 1, hash, 2, signature, &failure), TALLY_CHAIN_ERR_BAD_COSIGNATURE);
    tally_cosign_sign(third.secret, chain_id, 1, hash, signature);
    CHECK_EQ(node_cosign_add_remote(n, 1, hash, 1, signature, &failure), TALLY_CHAIN_ERR_COSIGN_CONFLICT);
    CHECK_EQ(node_cosign_add_remote(n, 1, hash, 3, signature, &failure), TALLY_CHAIN_ERR_BAD_ARGUMENT);
    CHECK_EQ(node_cosign_add_remote(n, height + 5, hash, 2, signature, &failure), TALLY_CHAIN_ERR_NO_SUCH_BLOCK);
    CHECK_EQ(node_cosign_add_remote(n, 0, hash, 2, signature, &failure), TALLY_CHAIN_ERR_BAD_ARGUMENT);

    /* validator 2 vouching for another block at height 2: kept, not counted */
    uint8_t hash2[32];
    CHECK_EQ(cosignatures_of(n, 2, hash2, got), 1);
    tally_cosign_sign(third.secret, chain_id, 2, other, other_signature);
    CHECK_EQ(node_cosign_add_remote(n, 2, other, 2, other_signature, &failure), TALLY_CHAIN_OK);
    CHECK_EQ(cosignatures_of(n, 2, hash2, got), 1);
    node_validators(n, validators, &quorum, &final_height);
    CHECK_EQ(final_height, 1);
    /* validator 2 on the node's block 2: refused now (it signed another one there) */
    tally_cosign_sign(third.secret, chain_id, 2, hash2, signature);
    CHECK_EQ(node_cosign_add_remote(n, 2, hash2, 2, signature, &failure), TALLY_CHAIN_ERR_COSIGN_CONFLICT);
    tally_cosign_sign(second.secret, chain_id, 2, hash2, signature);
    CHECK_EQ(node_cosign_add_remote(n, 2, hash2, 1, signature, &failure), TALLY_CHAIN_OK);
    node_validators(n, validators, &quorum, &final_height);
    CHECK_EQ(final_height, 2);
    node_close(n);

    /* reopened: the same */
    n = open_node(directory, &rules);
    REQUIRE(n != NULL);
    CHECK_EQ(cosignatures_of(n, 1, hash, got), 2);
    CHECK_EQ(cosignatures_of(n, 2, hash2, got), 2);
    node_validators(n, validators, &quorum, &final_height);
    CHECK_EQ(final_height, 2);
    CHECK_EQ(cosignatures_of(n, height + 10, hash, got), UINT32_MAX);
    node_close(n);
    sodium_memzero(producer_secret, sizeof producer_secret);
    temp_dir_remove(directory);
}
