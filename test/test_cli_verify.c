/*
 * test_cli_verify.c: `tally verify` on real chains. A chain of a dozen blocks with
 * a network, members and payments is produced into a temporary data directory by
 * the chain layer itself; the CLI then verifies it from the directory and, through
 * a fake node serving each block's raw bytes, over "HTTP". A damaged record (in the
 * middle, or the complete last one) and a forged block (a changed amount, record
 * checksum recomputed so only the chain's own checks can catch it) are reported
 * with their height (and byte offset) and exit status 1; the co-signatures the fake
 * node serves are checked against the genesis validator (a flipped bit, another
 * index or key, one listed twice, another block's: refused naming block and
 * validator; none for a block: not final, and --require-final refuses); an unfinished last record,
 * what a crash leaves, is reported as a notice and the rest verifies.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "fixture.h"
#include "tally_chain.h"
#include "test.h"

#define FAKE_URL "http://verify.test"
#define CHAIN_BLOCKS 12u /* after the genesis */
#define GENESIS_TIME 1767225600
#define FORGED_HEIGHT 5u

typedef struct {
    char directory[64];
    tally_chain_tip tip;
    uint64_t transactions;
} built_chain;

static tally_tx signed_tx(const tally_state *state, const test_actor *signer, tally_tx_type type) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = (uint8_t)type;
    memcpy(tx.chain_id, tally_state_chain_id(state), TALLY_CHAIN_ID_BYTES);
    tx.signer = signer->key;
    tx.sequence = tally_state_next_sequence(state, &signer->key);
    return tx;
}

static void sign(tally_tx *tx, const test_actor *signer) { tally_tx_sign(tx, signer->secret); }

/* A network founded in block 1, two members joining in block 2 (with automatic
 * lines), then payments back and forth: some on credit, some repaying. */
static bool build_chain(built_chain *chain) {
    memset(chain, 0, sizeof *chain);
    snprintf(chain->directory, sizeof chain->directory, "/tmp/tally-cli-verify-XXXXXX");
    if (!mkdtemp(chain->directory)) return false;
    test_actor producer = actor(90), founder = actor(1), alice = actor(2), bob = actor(3);
    tally_block block;
    tally_block_init(&block);
    tally_chain_failure failure;
    bool ok = tally_genesis_make(producer.secret, GENESIS_TIME, "verify test", 11, NULL, &block, &failure) == TALLY_CHAIN_OK;
    tally_store *store = NULL;
    ok = ok && tally_store_create(chain->directory, &block, NULL, &store, &failure) == TALLY_CHAIN_OK;
    for (uint32_t height = 1; ok && height <= CHAIN_BLOCKS; height++) {
        const tally_state *state = tally_store_state(store);
        tally_tx txs[2];
        uint32_t count = 0;
        if (height == 1) {
            txs[0] = signed_tx(state, &founder, TALLY_TX_NETWORK_CREATE);
            text_set(&txs[0].body.network_create.name, "Greenvale");
            text_set(&txs[0].body.network_create.unit_code, "GVH");
            txs[0].body.network_create.decimals = 2;
            txs[0].body.network_create.policy = policy_default();
            txs[0].body.network_create.policy.default_credit_limit = 10000;
            txs[0].body.network_create.policy.max_credit_limit = 100000;
            sign(&txs[0], &founder);
            count = 1;
        } else if (height == 2) {
            txs[0] = signed_tx(state, &alice, TALLY_TX_MEMBER_JOIN);
            txs[0].body.network_only.network_id = 1;
            sign(&txs[0], &alice);
            txs[1] = signed_tx(state, &bob, TALLY_TX_MEMBER_JOIN);
            txs[1].body.network_only.network_id = 1;
            sign(&txs[1], &bob);
            count = 2;
        } else {
            const test_actor *payer = height % 2 ? &alice : &bob, *payee = height % 2 ? &bob : &alice;
            txs[0] = signed_tx(state, payer, TALLY_TX_TRANSFER);
            txs[0].body.transfer.network_id = 1;
            txs[0].body.transfer.payee = payee->key;
            txs[0].body.transfer.amount = 1000 + height * 10;
            txs[0].body.transfer.max_fee = 0;
            text_set(&txs[0].body.transfer.memo, "eggs");
            sign(&txs[0], payer);
            count = 1;
        }
        tally_result results[2];
        ok = tally_store_produce(store, producer.secret, GENESIS_TIME + height * 60, txs, count, results, &block,
                                 &failure) == TALLY_CHAIN_OK;
        for (uint32_t i = 0; ok && i < count; i++) ok = results[i].code == TALLY_OK;
        chain->transactions += count;
    }
    if (!ok) fprintf(stderr, "    building the chain failed: %s\n", failure.message);
    if (store) chain->tip = *tally_store_tip(store);
    tally_store_close(store);
    tally_block_release(&block);
    return ok;
}

static void remove_chain(const built_chain *chain) {
    char command[128];
    if (strncmp(chain->directory, "/tmp/tally-cli-verify-", 22) != 0) return;
    snprintf(command, sizeof command, "rm -rf '%s'", chain->directory);
    if (system(command) != 0) fprintf(stderr, "could not remove %s\n", chain->directory);
}

/* ------------------------------------------------------------------------ */
/* The block log's records, to damage and to forge.                          */
/* ------------------------------------------------------------------------ */

static uint8_t *read_file(const char *path, size_t *length) {
    FILE *file = fopen(path, "rb");
    if (!file) return NULL;
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    uint8_t *bytes = malloc(size > 0 ? (size_t)size : 1);
    *length = bytes ? fread(bytes, 1, (size_t)size, file) : 0;
    fclose(file);
    return bytes;
}

static bool write_file(const char *path, const uint8_t *bytes, size_t length) {
    FILE *file = fopen(path, "wb");
    if (!file) return false;
    bool ok = fwrite(bytes, 1, length, file) == length;
    return fclose(file) == 0 && ok;
}

static uint32_t read_u32(const uint8_t *bytes) {
    return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
}

/* Offset and length of block `height`'s payload in the log's bytes. */
static bool find_record(const uint8_t *log, size_t length, uint64_t height, size_t *payload, size_t *payload_length) {
    size_t offset = 0;
    for (uint64_t record = 0; offset + 8 <= length; record++) {
        uint32_t size = read_u32(log + offset + 4);
        if (record == height) {
            *payload = offset + 8;
            *payload_length = size;
            return offset + 8 + size + 16 <= length;
        }
        offset += 8 + (size_t)size + 16;
    }
    return false;
}

/* The record checksum: BLAKE2b-128(u32 payload length || payload). */
static void reseal_record(uint8_t *log, size_t payload, size_t payload_length) {
    crypto_generichash_state state;
    crypto_generichash_init(&state, NULL, 0, 16);
    crypto_generichash_update(&state, log + payload - 4, 4);
    crypto_generichash_update(&state, log + payload, payload_length);
    crypto_generichash_final(&state, log + payload + payload_length, 16);
}

/* Changes the amount of the payment in an encoded block: the encoding stays valid,
 * the block's transaction root and the payer's signature no longer hold. */
static bool forge_amount(uint8_t *payload, size_t payload_length) {
    tally_block block;
    tally_block_init(&block);
    bool ok = tally_block_decode(payload, payload_length, &block, NULL) == TALLY_CHAIN_OK && block.header.tx_count == 1 &&
              block.txs[0].type == TALLY_TX_TRANSFER;
    if (ok) {
        block.txs[0].body.transfer.amount += 100000;
        ok = tally_block_encode(&block, payload, payload_length) == payload_length;
    }
    tally_block_release(&block);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* A node that serves the chain's raw blocks.                                */
/* ------------------------------------------------------------------------ */

typedef struct {
    cli_transport base;
    uint8_t *blocks[CHAIN_BLOCKS + 1];
    size_t lengths[CHAIN_BLOCKS + 1];
    char status[512];
    /* GET /v1/blocks/{height}/cosignatures, when serve_cosignatures: the producer's
     * (the chain's one validator), which tests replace. */
    bool serve_cosignatures;
    char cosignatures[CHAIN_BLOCKS + 1][640];
} block_node;

static bool block_request(cli_transport *self, const char *method, const char *url, const char *body,
                          size_t body_length, size_t max_response, cli_http_response *response, char *error,
                          size_t error_size) {
    block_node *node = (block_node *)self;
    (void)method;
    (void)body;
    (void)body_length;
    if (strncmp(url, FAKE_URL, strlen(FAKE_URL)) != 0) {
        snprintf(error, error_size, "Failed to connect: Connection refused");
        return false;
    }
    const char *path = url + strlen(FAKE_URL);
    memset(response, 0, sizeof *response);
    unsigned height;
    char tail[8];
    const uint8_t *bytes = (const uint8_t *)"{\"error\": {\"code\": \"NOT_FOUND\", \"message\": \"no such block\"}}";
    size_t length = strlen((const char *)bytes);
    response->status = 404;
    if (strcmp(path, "/v1/status") == 0) {
        bytes = (const uint8_t *)node->status;
        length = strlen(node->status);
        response->status = 200;
    } else if (sscanf(path, "/v1/blocks/%u/r%7s", &height, tail) == 2 && strcmp(tail, "aw") == 0 &&
               height <= CHAIN_BLOCKS) {
        bytes = node->blocks[height];
        length = node->lengths[height];
        response->status = 200;
    } else if (node->serve_cosignatures && sscanf(path, "/v1/blocks/%u/cosignature%7s", &height, tail) == 2 &&
               strcmp(tail, "s") == 0 && height <= CHAIN_BLOCKS) {
        bytes = (const uint8_t *)node->cosignatures[height];
        length = strlen(node->cosignatures[height]);
        response->status = 200;
    }
    if (length > max_response) {
        snprintf(error, error_size, "the answer is larger than %zu bytes", max_response);
        return false;
    }
    response->body = malloc(length + 1);
    memcpy(response->body, bytes, length);
    response->body[length] = '\0';
    response->length = length;
    return true;
}

static bool block_node_load(block_node *node, const built_chain *chain) {
    memset(node, 0, sizeof *node);
    node->base.request = block_request;
    tally_blocklog_options options = {true, false, NULL, NULL};
    tally_blocklog *log;
    if (tally_blocklog_open(chain->directory, &options, &log, NULL) != TALLY_CHAIN_OK) return false;
    bool ok = tally_blocklog_count(log) == CHAIN_BLOCKS + 1;
    for (uint64_t height = 0; ok && height <= CHAIN_BLOCKS; height++)
        ok = tally_blocklog_read_encoded(log, height, &node->blocks[height], &node->lengths[height], NULL) ==
             TALLY_CHAIN_OK;
    tally_blocklog_close(log);
    test_actor producer = actor(90);
    for (uint64_t height = 0; ok && height <= CHAIN_BLOCKS; height++) {
        tally_block block;
        tally_block_init(&block);
        ok = tally_block_decode(node->blocks[height], node->lengths[height], &block, NULL) == TALLY_CHAIN_OK;
        uint8_t hash[32], signature[64];
        tally_block_hash(&block.header, hash);
        tally_block_release(&block);
        tally_cosign_sign(producer.secret, chain->tip.chain_id, height, hash, signature);
        char hash_hex[65], signature_hex[129], address[TALLY_ADDRESS_LENGTH + 1];
        cli_client_hex(hash, 32, hash_hex, sizeof hash_hex);
        cli_client_hex(signature, 64, signature_hex, sizeof signature_hex);
        tally_address_encode(&producer.key, address);
        if (height == 0)
            snprintf(node->cosignatures[0], sizeof node->cosignatures[0],
                     "{\"height\": 0, \"hash\": \"%s\", \"validators\": 1, \"quorum\": 1, \"final\": false, "
                     "\"cosignatures\": []}", hash_hex);
        else
            snprintf(node->cosignatures[height], sizeof node->cosignatures[height],
                     "{\"height\": %u, \"hash\": \"%s\", \"validators\": 1, \"quorum\": 1, \"final\": true, "
                     "\"cosignatures\": [{\"validator\": \"%s\", \"index\": 0, \"signature\": \"%s\"}]}",
                     (unsigned)height, hash_hex, address, signature_hex);
    }
    char chain_id[65], tip[65];
    cli_client_hex(chain->tip.chain_id, 32, chain_id, sizeof chain_id);
    cli_client_hex(chain->tip.hash, 32, tip, sizeof tip);
    snprintf(node->status, sizeof node->status,
             "{\"chain_id\": \"%s\", \"height\": %u, \"tip_hash\": \"%s\", \"tip_time\": 0, \"mempool\": 0}", chain_id,
             CHAIN_BLOCKS, tip);
    return ok;
}

static void block_node_free(block_node *node) {
    for (size_t i = 0; i <= CHAIN_BLOCKS; i++) free(node->blocks[i]);
}

/* ------------------------------------------------------------------------ */
/* Running `tally verify`.                                                   */
/* ------------------------------------------------------------------------ */

typedef struct {
    char *out, *err;
    size_t out_size, err_size;
} captured;

static cli_status run_verify(captured *c, cli_transport *transport, bool tty, const char *first, ...) {
    free(c->out);
    free(c->err);
    c->out = c->err = NULL;
    FILE *out = open_memstream(&c->out, &c->out_size), *err = open_memstream(&c->err, &c->err_size);
    cli_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.out = out;
    ctx.err = err;
    ctx.err_is_tty = tty;
    ctx.transport = transport;
    if (!cli_set_node_url(&ctx, FAKE_URL)) return CLI_IO;
    char *argv[16];
    int argc = 0;
    argv[argc++] = strdup("tally");
    va_list arguments;
    va_start(arguments, first);
    for (const char *word = first; word && argc < 15; word = va_arg(arguments, const char *)) argv[argc++] = strdup(word);
    va_end(arguments);
    cli_status status = cli_run(&ctx, argc, argv);
    for (int i = 0; i < argc; i++) free(argv[i]);
    fclose(out);
    fclose(err);
    if (getenv("TALLY_TEST_VERBOSE")) fprintf(stderr, "--- out:\n%s--- err:\n%s", c->out, c->err);
    return status;
}

#define VERIFY(c, transport, tty, ...) run_verify((c), (transport), (tty), __VA_ARGS__, (const char *)NULL)

static bool contains(const char *text, const char *part) { return text && strstr(text, part) != NULL; }

/* ------------------------------------------------------------------------ */
/* Tests.                                                                    */
/* ------------------------------------------------------------------------ */

TEST(cli_verify_data_directory) {
    built_chain chain;
    REQUIRE(build_chain(&chain));
    captured c = {0};
    char tip[65], state[65], expected[160];
    cli_client_hex(chain.tip.hash, 32, tip, sizeof tip);
    cli_client_hex(chain.tip.state_hash, 32, state, sizeof state);

    CHECK_EQ(VERIFY(&c, NULL, false, "verify", "--data", chain.directory), CLI_OK);
    snprintf(expected, sizeof expected, "chain verified: %u blocks, %llu transactions in ", CHAIN_BLOCKS + 1,
             (unsigned long long)chain.transactions);
    CHECK(contains(c.out, expected));
    snprintf(expected, sizeof expected, "tip hash    %s\n", tip);
    CHECK(contains(c.out, expected));
    snprintf(expected, sizeof expected, "state hash  %s\n", state);
    CHECK(contains(c.out, expected));
    CHECK(contains(c.out, "tip         height 12, 2026-01-01 00:12 UTC"));
    /* without a terminal: a line per 10%, the last at 100% */
    CHECK(contains(c.err, "verify: 100% (13 of 13 blocks)\n"));
    size_t lines = 0;
    for (const char *p = c.err; p && (p = strstr(p, "verify: ")); p++) lines++;
    CHECK(lines >= 1 && lines <= 10);

    /* --full: the whole state's invariants after every block, the same verdict */
    CHECK_EQ(VERIFY(&c, NULL, false, "verify", "--data", chain.directory, "--full"), CLI_OK);
    snprintf(expected, sizeof expected, "chain verified: %u blocks, %llu transactions in ", CHAIN_BLOCKS + 1,
             (unsigned long long)chain.transactions);
    CHECK(contains(c.out, expected));
    snprintf(expected, sizeof expected, "state hash  %s\n", state);
    CHECK(contains(c.out, expected));

    /* on a terminal: a bar with height/total and a rate */
    CHECK_EQ(VERIFY(&c, NULL, true, "verify", "--data", chain.directory), CLI_OK);
    CHECK(contains(c.err, "\rverifying [##############################] 13/13 blocks "));
    CHECK(contains(c.err, "blocks/s"));

    CHECK_EQ(VERIFY(&c, NULL, false, "verify", "--data", chain.directory, "--json"), CLI_OK);
    json_t *json = json_loads(c.out, 0, NULL);
    REQUIRE(json != NULL);
    CHECK(json_is_true(json_object_get(json, "ok")));
    CHECK_EQ(json_integer_value(json_object_get(json, "blocks")), CHAIN_BLOCKS + 1);
    CHECK_EQ(json_integer_value(json_object_get(json, "transactions")), chain.transactions);
    CHECK(strcmp(json_string_value(json_object_get(json, "tip_hash")), tip) == 0);
    json_decref(json);

    /* the chain id pinned: right, then wrong */
    char chain_id[65];
    cli_client_hex(chain.tip.chain_id, 32, chain_id, sizeof chain_id);
    CHECK_EQ(VERIFY(&c, NULL, false, "verify", "--data", chain.directory, "--chain-id", chain_id), CLI_OK);
    chain_id[0] = chain_id[0] == '0' ? '1' : '0';
    CHECK_EQ(VERIFY(&c, NULL, false, "verify", "--data", chain.directory, "--chain-id", chain_id), CLI_REFUSED);
    CHECK(contains(c.err, "not the expected"));

    CHECK_EQ(VERIFY(&c, NULL, false, "verify", "--data", "/nonexistent/tally-data"), CLI_IO);
    CHECK(contains(c.err, "cannot verify /nonexistent/tally-data"));
    CHECK_EQ(VERIFY(&c, NULL, false, "verify", "--data", chain.directory, "--node", "http://x"), CLI_USAGE);
    CHECK(contains(c.err, "give --data DIR or --node URL, not both"));
    CHECK_EQ(VERIFY(&c, NULL, false, "verify", "--chain-id", "abc"), CLI_USAGE);
    free(c.out);
    free(c.err);
    remove_chain(&chain);
}

TEST(cli_verify_data_reports_damage_and_forgery_with_height) {
    built_chain chain;
    REQUIRE(build_chain(&chain));
    char path[128];
    snprintf(path, sizeof path, "%s/" TALLY_LOG_FILE_NAME, chain.directory);
    size_t length = 0, payload = 0, payload_length = 0;
    uint8_t *original = read_file(path, &length);
    REQUIRE(original != NULL);
    REQUIRE(find_record(original, length, FORGED_HEIGHT, &payload, &payload_length));
    uint8_t *bytes = malloc(length);
    captured c = {0};

    /* A flipped byte in block 5's record: the log's checksum catches it. */
    memcpy(bytes, original, length);
    bytes[payload + payload_length / 2] ^= 0x40;
    REQUIRE(write_file(path, bytes, length));
    CHECK_EQ(VERIFY(&c, NULL, false, "verify", "--data", chain.directory), CLI_REFUSED);
    CHECK(contains(c.err, "verification FAILED: "));
    CHECK(contains(c.err, "block 5"));
    CHECK(contains(c.err, "(LOG_CORRUPT)"));

    /* A forged payment in block 5 with a valid record checksum: the chain's own
     * checks (transaction root) catch it. */
    memcpy(bytes, original, length);
    REQUIRE(forge_amount(bytes + payload, payload_length));
    reseal_record(bytes, payload, payload_length);
    REQUIRE(write_file(path, bytes, length));
    CHECK_EQ(VERIFY(&c, NULL, false, "verify", "--data", chain.directory, "--json"), CLI_REFUSED);
    CHECK(contains(c.err, "block 5"));
    CHECK(contains(c.err, "(BAD_TX_ROOT)"));
    CHECK(contains(c.err, "the chain is sound up to block 4; block 5 is not"));
    json_t *json = json_loads(c.out, 0, NULL);
    CHECK(json && json_is_false(json_object_get(json, "ok")));
    CHECK_EQ(json_integer_value(json_object_get(json, "height")), FORGED_HEIGHT);
    CHECK_EQ(json_integer_value(json_object_get(json, "blocks_verified")), FORGED_HEIGHT);
    json_decref(json);

    /* One bit flipped in the last record, which is complete: damage, not a torn
     * write, so verify fails (exit 1) naming its offset and height. */
    size_t last_payload = 0, last_length = 0;
    REQUIRE(find_record(original, length, CHAIN_BLOCKS, &last_payload, &last_length));
    size_t last_offset = last_payload - 8;
    memcpy(bytes, original, length);
    bytes[last_payload + last_length / 2] ^= 0x04;
    REQUIRE(write_file(path, bytes, length));
    CHECK_EQ(VERIFY(&c, NULL, false, "verify", "--data", chain.directory, "--json"), CLI_REFUSED);
    json = json_loads(c.out, 0, NULL);
    CHECK(json && json_is_false(json_object_get(json, "ok")));
    const char *code = json ? json_string_value(json_object_get(json, "code")) : NULL;
    CHECK(code && strcmp(code, "LOG_CORRUPT") == 0);
    CHECK_EQ(json_integer_value(json_object_get(json, "height")), CHAIN_BLOCKS);
    CHECK_EQ(json_integer_value(json_object_get(json, "offset")), last_offset);
    json_decref(json);
    char where[96];
    snprintf(where, sizeof where, "damaged at byte %zu, the record of block %u", last_offset, CHAIN_BLOCKS);
    CHECK(contains(c.err, where));
    CHECK_EQ(VERIFY(&c, NULL, false, "verify", "--data", chain.directory), CLI_REFUSED);
    CHECK(contains(c.err, "verification FAILED: "));
    snprintf(where, sizeof where, "`tallyd --repair` cut the log at byte %zu", last_offset);
    CHECK(contains(c.err, where));

    /* The last record cut short (a crash mid-append): a notice, and the blocks
     * before it verify. */
    REQUIRE(write_file(path, original, length - 10));
    CHECK_EQ(VERIFY(&c, NULL, false, "verify", "--data", chain.directory), CLI_OK);
    CHECK(contains(c.err, "unfinished record"));
    CHECK(contains(c.err, "(LOG_TAIL_CUT)"));
    char verified[64];
    snprintf(verified, sizeof verified, "chain verified: %u blocks", CHAIN_BLOCKS);
    CHECK(contains(c.out, verified));

    REQUIRE(write_file(path, original, length));
    CHECK_EQ(VERIFY(&c, NULL, false, "verify", "--data", chain.directory), CLI_OK);
    free(bytes);
    free(original);
    free(c.out);
    free(c.err);
    remove_chain(&chain);
}

TEST(cli_verify_over_the_node) {
    built_chain chain;
    REQUIRE(build_chain(&chain));
    block_node node;
    REQUIRE(block_node_load(&node, &chain));
    captured c = {0};
    char tip[65], expected[160];
    cli_client_hex(chain.tip.hash, 32, tip, sizeof tip);

    CHECK_EQ(VERIFY(&c, &node.base, false, "verify"), CLI_OK);
    snprintf(expected, sizeof expected, "chain verified: %u blocks, %llu transactions in ", CHAIN_BLOCKS + 1,
             (unsigned long long)chain.transactions);
    CHECK(contains(c.out, expected));
    CHECK(contains(c.out, "source      " FAKE_URL "\n"));
    snprintf(expected, sizeof expected, "tip hash    %s\n", tip);
    CHECK(contains(c.out, expected));
    CHECK(contains(c.err, "verify: 100% (13 of 13 blocks)"));
    CHECK_EQ(VERIFY(&c, &node.base, false, "verify", "--full"), CLI_OK);
    CHECK(contains(c.out, expected));

    /* a forged block 5 */
    uint8_t *saved = malloc(node.lengths[FORGED_HEIGHT]);
    memcpy(saved, node.blocks[FORGED_HEIGHT], node.lengths[FORGED_HEIGHT]);
    REQUIRE(forge_amount(node.blocks[FORGED_HEIGHT], node.lengths[FORGED_HEIGHT]));
    CHECK_EQ(VERIFY(&c, &node.base, false, "verify"), CLI_REFUSED);
    CHECK(contains(c.err, "block 5"));
    CHECK(contains(c.err, "(BAD_TX_ROOT)"));
    /* a block served in place of another */
    uint8_t *swapped = node.blocks[FORGED_HEIGHT];
    size_t swapped_length = node.lengths[FORGED_HEIGHT];
    node.blocks[FORGED_HEIGHT] = node.blocks[FORGED_HEIGHT + 1];
    node.lengths[FORGED_HEIGHT] = node.lengths[FORGED_HEIGHT + 1];
    CHECK_EQ(VERIFY(&c, &node.base, false, "verify"), CLI_REFUSED);
    CHECK(contains(c.err, "block 5: the node sent the block of height 6"));
    node.blocks[FORGED_HEIGHT] = swapped;
    node.lengths[FORGED_HEIGHT] = swapped_length;
    memcpy(node.blocks[FORGED_HEIGHT], saved, swapped_length);
    free(saved);
    CHECK_EQ(VERIFY(&c, &node.base, false, "verify"), CLI_OK);

    /* a status that names another tip, or another chain */
    char *tip_in_status = strstr(node.status, tip);
    REQUIRE(tip_in_status != NULL);
    tip_in_status[0] = tip_in_status[0] == 'a' ? 'b' : 'a';
    CHECK_EQ(VERIFY(&c, &node.base, false, "verify"), CLI_REFUSED);
    CHECK(contains(c.err, "end in another block than its status names"));
    tip_in_status[0] = tip[0];
    char *chain_in_status = strstr(node.status, "\"chain_id\": \"") + 13;
    chain_in_status[0] = chain_in_status[0] == 'a' ? 'b' : 'a';
    CHECK_EQ(VERIFY(&c, &node.base, false, "verify"), CLI_REFUSED);
    CHECK(contains(c.err, "another chain than the node's status names"));
    block_node_free(&node);

    /* no node at all */
    CHECK_EQ(VERIFY(&c, &node.base, false, "--node", "http://127.0.0.1:1", "verify"), CLI_IO);
    free(c.out);
    free(c.err);
    remove_chain(&chain);
}

/* The co-signatures a node serves beside its blocks, each checked against the
 * genesis's validator set (here the producer alone). */
TEST(cli_verify_over_the_node_checks_cosignatures) {
    built_chain chain;
    REQUIRE(build_chain(&chain));
    block_node node;
    REQUIRE(block_node_load(&node, &chain));
    captured c = {0};

    /* a node without the route (older): verified, and said */
    CHECK_EQ(VERIFY(&c, &node.base, false, "verify"), CLI_OK);
    CHECK(contains(c.out, "co-signatures: the node serves none"));
    CHECK_EQ(VERIFY(&c, &node.base, false, "verify", "--require-final"), CLI_REFUSED);
    CHECK(contains(c.err, "serves no co-signatures"));
    CHECK(contains(c.err, "(NOT_FINAL)"));

    node.serve_cosignatures = true;
    CHECK_EQ(VERIFY(&c, &node.base, false, "verify", "--require-final"), CLI_OK);
    CHECK(contains(c.out, "co-signatures: 12 of 12 blocks final (quorum 1 of 1 validators)\n"));
    CHECK_EQ(VERIFY(&c, &node.base, false, "verify", "--json"), CLI_OK);
    json_t *json = json_loads(c.out, 0, NULL);
    json_t *cosign = json ? json_object_get(json, "cosignatures") : NULL;
    CHECK(json_is_true(json_object_get(cosign, "served")));
    CHECK_EQ(json_integer_value(json_object_get(cosign, "blocks")), CHAIN_BLOCKS);
    CHECK_EQ(json_integer_value(json_object_get(cosign, "final")), CHAIN_BLOCKS);
    CHECK_EQ(json_integer_value(json_object_get(cosign, "quorum")), 1);
    CHECK_EQ(json_integer_value(json_object_get(cosign, "validators")), 1);
    json_decref(json);

    char saved[640];
    char *answer = node.cosignatures[7];
    memcpy(saved, answer, sizeof saved);
    /* one bit of block 7's co-signature flipped */
    char *signature = strstr(answer, "\"signature\": \"") + 14;
    signature[3] = signature[3] == '0' ? '1' : '0';
    CHECK_EQ(VERIFY(&c, &node.base, false, "verify"), CLI_REFUSED);
    CHECK(contains(c.err, "verification FAILED: block 7: validator 0 (tly1"));
    CHECK(contains(c.err, "its co-signature does not hold (BAD_COSIGNATURE)"));
    CHECK(!contains(c.err, "the chain is sound up to"));
    memcpy(answer, saved, sizeof saved);
    /* another validator index, another key's address, listed twice, another block's */
    char *index = strstr(answer, "\"index\": 0");
    index[9] = '1';
    CHECK_EQ(VERIFY(&c, &node.base, false, "verify"), CLI_REFUSED);
    CHECK(contains(c.err, "block 7: a co-signature names validator 1, not one of the 1 slots active at this height"));
    memcpy(answer, saved, sizeof saved);
    test_actor stranger = actor(91);
    char other[TALLY_ADDRESS_LENGTH + 1], *address = strstr(answer, "tly1");
    tally_address_encode(&stranger.key, other);
    memcpy(address, other, TALLY_ADDRESS_LENGTH);
    CHECK_EQ(VERIFY(&c, &node.base, false, "verify"), CLI_REFUSED);
    CHECK(contains(c.err, "not the chain's validator 0"));
    memcpy(answer, saved, sizeof saved);
    char *entry = strchr(answer, '{' ) ? strstr(answer, "[{") + 1 : NULL;
    REQUIRE(entry != NULL);
    char twice[640];
    size_t entry_length = strlen(entry) - 2; /* without "]}" */
    snprintf(twice, sizeof twice, "%.*s%.*s, %.*s]}", (int)(entry - answer), answer, (int)entry_length, entry,
             (int)entry_length, entry);
    memcpy(answer, twice, sizeof twice);
    CHECK_EQ(VERIFY(&c, &node.base, false, "verify"), CLI_REFUSED);
    CHECK(contains(c.err, "block 7: validator 0 is listed twice"));
    memcpy(answer, node.cosignatures[8], sizeof saved);
    CHECK_EQ(VERIFY(&c, &node.base, false, "verify"), CLI_REFUSED);
    CHECK(contains(c.err, "block 7: the node's co-signatures are of another block"));

    /* none for block 4: verified, not final, said; --require-final refuses */
    memcpy(answer, saved, sizeof saved);
    char *list = strstr(node.cosignatures[4], "[{");
    strcpy(list, "[]}");
    /* (it still claims "final": true; the CLI counts for itself) */
    CHECK_EQ(VERIFY(&c, &node.base, false, "verify"), CLI_OK);
    CHECK(contains(c.out, "co-signatures: 11 of 12 blocks final (quorum 1 of 1 validators)\n"));
    CHECK(contains(c.out, "not final   block 4 (fewer than 1 co-signatures that hold)\n"));
    CHECK_EQ(VERIFY(&c, &node.base, false, "verify", "--require-final"), CLI_REFUSED);
    CHECK(contains(c.err, "block 4: not final (fewer than 1 of the 1 validators co-signed it); 11 of 12 blocks are"));
    CHECK(contains(c.err, "(NOT_FINAL)"));
    CHECK_EQ(VERIFY(&c, NULL, false, "verify", "--data", chain.directory, "--require-final"), CLI_USAGE);

    block_node_free(&node);
    free(c.out);
    free(c.err);
    remove_chain(&chain);
}
