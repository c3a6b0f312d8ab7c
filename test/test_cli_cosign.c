/*
 * test_cli_cosign.c: co-signatures end to end, through a real tallyd and the CLI.
 * A node co-signs every block it makes (a chain of one validator: each is final at
 * once), serves them at GET /v1/blocks/{height}/cosignatures (each checked here
 * with tally_cosign_holds against the hash of the block it serves), counts them in
 * /v1/status and /metrics, `tally block` shows the co-signers and `tally verify`
 * prints the final count. Then the
 * stopped node's cosignatures.log is damaged in the middle: the node starts anyway
 * (what an operator wants of data it can make again), keeps the damaged file aside,
 * serves every other co-signature, and verify names the block that is no longer
 * final (--require-final fails on it); a torn last record is cut and only the last
 * block loses its co-signature.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/client.h"
#include "chain_fixture.h"
#include "cli_session.h"
#include "node_harness.h"
#include "test.h"

#define BLOCKS_MADE 40u
#define DAMAGED_HEIGHT 10u

static uint64_t monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

/* Files of the data directory whose name begins with prefix. */
static int files_named(const test_node *node, const char *prefix) {
    char data[300];
    snprintf(data, sizeof data, "%s/data", node->directory);
    DIR *directory = opendir(data);
    if (!directory) return -1;
    int count = 0;
    for (struct dirent *entry; (entry = readdir(directory));)
        count += strncmp(entry->d_name, prefix, strlen(prefix)) == 0;
    closedir(directory);
    return count;
}

/* The co-signatures of block height: false unless served as this node's one
 * validator's (its producer's) over the block it serves at that height. */
static bool producer_cosigned(const test_node *node, uint64_t height, const char *producer, bool *final) {
    char path[96];
    snprintf(path, sizeof path, "/v1/blocks/%llu/cosignatures", (unsigned long long)height);
    json_t *answer = NULL, *block = NULL;
    bool ok = harness_request(node, "GET", path, NULL, 0, &answer) == 200;
    snprintf(path, sizeof path, "/v1/blocks/%llu", (unsigned long long)height);
    ok = harness_request(node, "GET", path, NULL, 0, &block) == 200 && ok;
    const char *hash_hex = harness_json_string(answer, "hash");
    const char *block_hash = harness_json_string(block, "hash");
    ok = ok && hash_hex && block_hash && strcmp(hash_hex, block_hash) == 0;
    ok = ok && harness_json_int(answer, "validators") == 1 && harness_json_int(answer, "quorum") == 1;
    *final = json_is_true(json_object_get(answer, "final"));
    json_t *list = json_object_get(answer, "cosignatures");
    ok = ok && json_is_array(list) && json_array_size(list) == (*final ? 1u : 0u);
    if (ok && *final) {
        json_t *entry = json_array_get(list, 0);
        uint8_t hash[32], signature[64];
        tally_key key;
        const char *address = harness_json_string(entry, "validator");
        ok = harness_json_int(entry, "index") == 0 && address && strcmp(address, producer) == 0 &&
             tally_address_decode(address, &key) && cli_client_unhex(hash_hex, hash, 32) &&
             cli_client_unhex(harness_json_string(entry, "signature"), signature, 64) &&
             tally_cosign_holds(&key, node->chain_id, height, hash, signature);
    }
    json_decref(answer);
    json_decref(block);
    return ok;
}

static void make_blocks(const test_node *node, unsigned count) {
    for (unsigned i = 0; i < count; i++)
        CHECK_EQ(harness_request(node, "POST", "/v1/dev/advance?seconds=60", "", 0, NULL), 200);
}

TEST(cli_cosign_a_node_cosigns_serves_and_verify_counts_final_blocks) {
    test_node node;
    REQUIRE(harness_make_directory(&node));
    const char *const arguments[] = {"--dev", NULL};
    if (!harness_start(&node, arguments)) {
        harness_remove_directory(&node);
        REQUIRE(!"tallyd (build/test/tallyd) did not start");
    }
    session s = {.node = &node};
    snprintf(s.keys_dir, sizeof s.keys_dir, "%s/keys", node.directory);
    make_blocks(&node, BLOCKS_MADE);

    json_t *status = NULL;
    REQUIRE(harness_request(&node, "GET", "/v1/status", NULL, 0, &status) == 200);
    int64_t height = harness_json_int(status, "height");
    char producer[TALLY_ADDRESS_LENGTH + 1];
    snprintf(producer, sizeof producer, "%s", harness_json_string(status, "producer"));
    json_t *validators = json_object_get(status, "validators");
    CHECK(json_is_array(validators) && json_array_size(validators) == 1 &&
          strcmp(json_string_value(json_array_get(validators, 0)), producer) == 0);
    CHECK_EQ(harness_json_int(status, "quorum"), 1);
    CHECK_EQ(harness_json_int(status, "final_height"), height);
    json_decref(status);
    REQUIRE(height >= (int64_t)BLOCKS_MADE);

    /* every block the node made: co-signed by it, final */
    for (int64_t h = 1; h <= height; h++) {
        bool final = false;
        CHECK(producer_cosigned(&node, (uint64_t)h, producer, &final));
        CHECK(final);
    }
    bool final = true;
    CHECK(producer_cosigned(&node, 0, producer, &final)); /* the genesis: none */
    CHECK(!final);
    CHECK_REFUSED(&node, "/v1/blocks/100000/cosignatures", 404, "NO_SUCH_BLOCK");
    CHECK_REFUSED(&node, "/v1/blocks/-1/cosignatures", 400, "BAD_HEIGHT");
    CHECK_EQ((int64_t)harness_metric(&node, "tally_block_final_height"), height);
    CHECK_EQ((int64_t)harness_metric(&node, "tally_validators_quorum"), 1);

    char expected[160];
    uint64_t started = monotonic_ns();
    CHECK_EQ(TALLY(&s, "verify", "--require-final"), CLI_OK);
    uint64_t verify_ns = monotonic_ns() - started;
    snprintf(expected, sizeof expected, "co-signatures: %lld of %lld blocks final (quorum 1 of 1 validators)\n",
             (long long)height, (long long)height);
    CHECK(contains(s.out, expected));
    if (getenv("TALLY_TEST_VERBOSE"))
        fprintf(stderr, "    verify --node of %lld blocks with their co-signatures: %.1f ms\n", (long long)height,
                (double)verify_ns / 1e6);

    /* tally block H shows who co-signed it */
    CHECK_EQ(TALLY(&s, "block", "3"), CLI_OK);
    CHECK(contains(s.out, "co-signed   by 1 of 1 validators (quorum 1): final\n"));
    snprintf(expected, sizeof expected, "    0  %s\n", producer);
    CHECK(contains(s.out, expected));

    /* Stopped: the log holds one record per block, all flushed. */
    CHECK_EQ(harness_stop(&node), 0);
    char path[400];
    snprintf(path, sizeof path, "%s/data/%s", node.directory, TALLY_COSIGN_FILE_NAME);
    size_t length = 0;
    uint8_t *bytes = file_bytes(path, &length);
    REQUIRE(bytes != NULL);
    CHECK_EQ(length, (size_t)height * TALLY_COSIGN_RECORD_BYTES);

    /* One bit flipped in the record of block 10 (heights 1.. in order: record 9). */
    bytes[(DAMAGED_HEIGHT - 1) * TALLY_COSIGN_RECORD_BYTES + 60] ^= 0x04;
    REQUIRE(file_put(path, bytes, length));
    free(bytes);
    REQUIRE(harness_start(&node, arguments));
    CHECK_EQ(files_named(&node, TALLY_COSIGN_FILE_NAME ".damaged-"), 1); /* kept aside, as evidence */
    CHECK(producer_cosigned(&node, DAMAGED_HEIGHT, producer, &final));
    CHECK(!final);
    CHECK(producer_cosigned(&node, DAMAGED_HEIGHT + 1, producer, &final));
    CHECK(final);
    CHECK_EQ(TALLY(&s, "verify"), CLI_OK);
    snprintf(expected, sizeof expected, "co-signatures: %lld of %lld blocks final (quorum 1 of 1 validators)\n",
             (long long)height - 1, (long long)height);
    CHECK(contains(s.out, expected));
    CHECK(contains(s.out, "not final   block 10 (fewer than 1 co-signatures that hold)"));
    CHECK_EQ(TALLY(&s, "verify", "--require-final"), CLI_REFUSED);
    CHECK(contains(s.err, "verification FAILED: block 10: not final"));
    CHECK(contains(s.err, "(NOT_FINAL)"));
    /* and the node goes on co-signing what it makes */
    make_blocks(&node, 1);
    CHECK(producer_cosigned(&node, (uint64_t)height + 1, producer, &final));
    CHECK(final);
    CHECK_EQ(harness_stop(&node), 0);

    /* A torn last record (a crash mid-write): cut at the start, the rest kept. */
    bytes = file_bytes(path, &length);
    REQUIRE(bytes != NULL);
    REQUIRE(length == (size_t)height * TALLY_COSIGN_RECORD_BYTES); /* height - 1 salvaged, one new */
    REQUIRE(file_put(path, bytes, length - 40));
    free(bytes);
    REQUIRE(harness_start(&node, arguments));
    CHECK_EQ(files_named(&node, TALLY_COSIGN_FILE_NAME ".damaged-"), 1);
    CHECK(producer_cosigned(&node, (uint64_t)height + 1, producer, &final));
    CHECK(!final);
    CHECK(producer_cosigned(&node, (uint64_t)height, producer, &final));
    CHECK(final);
    CHECK_EQ(TALLY(&s, "verify"), CLI_OK);
    snprintf(expected, sizeof expected, "co-signatures: %lld of %lld blocks final",
             (long long)height - 1, (long long)height + 1);
    CHECK(contains(s.out, expected));
    CHECK(contains(s.out, "not final   block 10, block "));

    free(s.out);
    free(s.err);
    cli_client_curl_transport_close();
    CHECK(harness_stop_and_verify(&node));
}
