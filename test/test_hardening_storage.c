/*
 * test_hardening_storage.c: the storage findings of issue 7, each as the attack or
 * the accident it was, first on the store, then on a real node.
 *
 * Finding 4: one bit flipped in the last record of the block log, after its block
 * was acknowledged. The record is complete, so it is damage, not a torn write: the
 * store refuses to open (LOG_CORRUPT, byte offset, height) and keeps the block,
 * `tally verify --data` fails with exit status 1, and only a repair the operator
 * asks for (tally_blocklog_repair, `tallyd --repair`) cuts it, saying which blocks
 * and transactions go.
 *
 * Finding 7: a forged snapshot. The forger edits the tip header's state_hash to the
 * hash of a forged state, recomputes the record checksum and writes a snapshot of
 * that state: the store must not trust it (the header's producer signature no
 * longer holds), and the replay that follows refuses the edited block, so no forged
 * balance is ever served. A genuine signed block moved out of its place in the log
 * cannot vouch for a snapshot either (the hash links from the genesis break there).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "chain_fixture.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "node_harness.h"
#include "test.h"

#define RECORD_PREFIX_BYTES 8u
#define RECORD_CHECKSUM_BYTES 16u

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static uint32_t load_u32(const uint8_t *bytes) {
    return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
}

/* The offset of the last record of a log held in bytes (walking the records). */
static size_t last_record_offset(const uint8_t *log, size_t length) {
    size_t offset = 0, last = 0;
    while (offset + RECORD_PREFIX_BYTES <= length) {
        last = offset;
        offset += TALLY_LOG_RECORD_OVERHEAD + load_u32(log + offset + 4);
    }
    CHECK_EQ(offset, length);
    return last;
}

/* The record checksum again, as a forger does after editing a payload:
 * BLAKE2b-128(u32 payload length || payload). */
static void reseal_record(uint8_t *log, size_t record) {
    uint32_t payload = load_u32(log + record + 4);
    crypto_generichash(log + record + RECORD_PREFIX_BYTES + payload, RECORD_CHECKSUM_BYTES, log + record + 4,
                       4u + payload, NULL, 0);
}

/* Replaces the state_hash of the header of the record at `record` with state_hash,
 * reseals the record and gives the edited header's block hash. */
static void forge_state_hash(uint8_t *log, size_t record, const uint8_t state_hash[TALLY_HASH_BYTES],
                             uint8_t block_hash[TALLY_HASH_BYTES]) {
    uint8_t *payload = log + record + RECORD_PREFIX_BYTES;
    tally_block_header header;
    CHECK_EQ(tally_block_header_decode(payload, TALLY_BLOCK_HEADER_BYTES, &header), TALLY_CHAIN_OK);
    memcpy(header.state_hash, state_hash, TALLY_HASH_BYTES);
    tally_block_header_encode(&header, payload);
    reseal_record(log, record);
    tally_block_hash(&header, block_hash);
}

/* A copy of state with a payment nobody signed applied to it: what a forger makes.
 * The payment's signature is all zeros; tally_apply does not look at it. */
static tally_state *forged_copy(const tally_state *state, const test_actor *payer, const test_actor *payee,
                                uint32_t network_id, int64_t amount, int64_t block_time) {
    size_t length = tally_state_serialized_size(state);
    uint8_t *bytes = malloc(length);
    if (bytes == NULL || tally_state_serialize(state, bytes, length) != length) {
        test_fail(__FILE__, __LINE__, "cannot serialize the state");
        free(bytes);
        return NULL;
    }
    tally_error error = TALLY_OK;
    tally_state *forged = tally_state_deserialize(bytes, length, &error);
    free(bytes);
    if (forged == NULL) {
        test_fail(__FILE__, __LINE__, tally_error_name(error));
        return NULL;
    }
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = TALLY_TX_TRANSFER;
    memcpy(tx.chain_id, tally_state_chain_id(state), TALLY_CHAIN_ID_BYTES);
    tx.signer = payer->key;
    tx.sequence = tally_state_next_sequence(state, &payer->key);
    tx.body.transfer.network_id = network_id;
    tx.body.transfer.payee = payee->key;
    tx.body.transfer.amount = amount;
    tx.body.transfer.max_fee = amount;
    CHECK_EQ(tally_apply(forged, &tx, block_time).code, TALLY_OK);
    return forged;
}

static int64_t balance_in(const tally_state *state, uint32_t network_id, const test_actor *who) {
    const tally_member *member = tally_state_member(state, network_id, &who->key);
    return member ? member->balance : INT64_MIN;
}

/* ------------------------------------------------------------------------ */
/* Finding 4 on the store.                                                   */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint32_t count;
    tally_log_loss first;
    uint32_t tx_count;
    uint8_t tx_id[TALLY_HASH_BYTES]; /* of the first transaction of the first loss */
} loss_log;

static void collect_loss(void *context, const tally_log_loss *loss) {
    loss_log *log = context;
    if (log->count++ > 0) return;
    log->first = *loss;
    log->first.block = NULL; /* lives for the call only */
    if (loss->block) {
        log->tx_count = loss->block->header.tx_count;
        if (log->tx_count > 0) tally_tx_hash(&loss->block->txs[0], log->tx_id);
    }
}

TEST(hardening_04_a_flipped_bit_in_an_acknowledged_last_block_is_refused_and_cut_only_by_repair) {
    test_chain chain;
    chain_history(&chain);
    char directory[TEMP_DIR_BYTES], path[512];
    temp_dir_make(directory);
    path_join(path, sizeof path, directory, TALLY_LOG_FILE_NAME);
    REQUIRE(chain_write_log(&chain, directory, chain.count));

    /* a payment, acknowledged: tally_store_produce returned OK, its block is durable */
    tally_store *store = NULL;
    tally_chain_failure failure;
    REQUIRE(tally_store_open(directory, NULL, &store, &failure) == TALLY_CHAIN_OK);
    const uint64_t record_offset = tally_blocklog_size(tally_store_log(store));
    tally_tx pay = chain_payment(&chain, CAROL, BOB, 7);
    uint8_t paid_id[TALLY_HASH_BYTES];
    tally_tx_hash(&pay, paid_id);
    tally_block block;
    tally_block_init(&block);
    tally_result result;
    REQUIRE(tally_store_produce(store, chain.producer.secret, chain.tip.block_time + 60, &pay, 1, &result, &block,
                                &failure) == TALLY_CHAIN_OK);
    CHECK_EQ(result.code, TALLY_OK);
    const uint64_t height = tally_store_tip(store)->height;
    CHECK_EQ(height, CHAIN_HISTORY_TIP + 1);
    tally_store_close(store);
    tally_block_release(&block);

    /* one bit of the last result flipped (the transaction's bytes stay as signed) */
    size_t length = 0;
    uint8_t *bytes = file_bytes(path, &length);
    REQUIRE(bytes != NULL && last_record_offset(bytes, length) == record_offset);
    const size_t flipped = length - RECORD_CHECKSUM_BYTES - 20;
    bytes[flipped] ^= 0x10;
    REQUIRE(file_put(path, bytes, length));

    /* refused, with offset and height; the block is still there */
    notice_log notices = {0};
    tally_store_options options = {false, notice_collect, &notices, NULL, NULL, NULL};
    CHECK_EQ(tally_store_open(directory, &options, &store, &failure), TALLY_CHAIN_ERR_LOG_CORRUPT);
    CHECK(store == NULL);
    CHECK_EQ(failure.offset, record_offset);
    CHECK_EQ(failure.height, height);
    char where[96];
    snprintf(where, sizeof where, "damaged at byte %llu, the record of block %llu", (unsigned long long)record_offset,
             (unsigned long long)height);
    CHECK(strstr(failure.message, where) != NULL);
    CHECK_EQ(notices.count, 0); /* nothing was cut off quietly */
    size_t unchanged_length = 0;
    uint8_t *unchanged = file_bytes(path, &unchanged_length);
    CHECK(unchanged != NULL && unchanged_length == length && memcmp(unchanged, bytes, length) == 0);
    free(unchanged);
    tally_verify_summary summary;
    CHECK_EQ(tally_chain_verify(directory, NULL, NULL, NULL, NULL, &summary, &failure), TALLY_CHAIN_ERR_LOG_CORRUPT);
    CHECK_EQ(failure.offset, record_offset);
    CHECK_EQ(failure.height, height);

    /* the repair, asked for: what goes is reported, then it is cut */
    loss_log losses = {0};
    tally_repair_options repair_options = {NULL, NULL, collect_loss, &losses};
    tally_repair_summary repaired;
    CHECK_EQ(tally_blocklog_repair(directory, &repair_options, &repaired, &failure), TALLY_CHAIN_OK);
    CHECK(repaired.cut);
    CHECK_EQ(repaired.damage.code, TALLY_CHAIN_ERR_LOG_CORRUPT);
    CHECK_EQ(repaired.damage.offset, record_offset);
    CHECK_EQ(repaired.kept_blocks, height);
    CHECK_EQ(repaired.lost_records, 1);
    CHECK_EQ(repaired.lost_blocks, 1);
    CHECK_EQ(repaired.lost_transactions, 1);
    CHECK_EQ(repaired.lost_bytes, length - record_offset);
    CHECK_EQ(losses.count, 1);
    CHECK_EQ(losses.first.height, height);
    CHECK_EQ(losses.first.offset, record_offset);
    CHECK_EQ(losses.first.length, length - record_offset);
    CHECK(losses.first.record);
    CHECK_EQ(losses.tx_count, 1);
    CHECK(memcmp(losses.tx_id, paid_id, TALLY_HASH_BYTES) == 0); /* the acknowledged payment, by id */
    free(file_bytes(path, &unchanged_length));
    CHECK_EQ(unchanged_length, record_offset);

    /* and the store opens at the block before it; a second repair finds nothing */
    REQUIRE(tally_store_open(directory, NULL, &store, &failure) == TALLY_CHAIN_OK);
    CHECK_EQ(tally_store_tip(store)->height, height - 1);
    CHECK(memcmp(tally_store_tip(store)->hash, chain.tip.hash, TALLY_HASH_BYTES) == 0);
    tally_store_close(store);
    CHECK_EQ(tally_blocklog_repair(directory, NULL, &repaired, &failure), TALLY_CHAIN_OK);
    CHECK(!repaired.cut);

    /* damage in the genesis record: a repair would leave no chain, so it refuses */
    bytes[RECORD_PREFIX_BYTES + 20] ^= 0x01;
    REQUIRE(file_put(path, bytes, length));
    CHECK_EQ(tally_blocklog_repair(directory, NULL, &repaired, &failure), TALLY_CHAIN_ERR_LOG_CORRUPT);
    CHECK(!repaired.cut);
    CHECK_EQ(failure.offset, 0);
    CHECK(strstr(failure.message, "genesis") != NULL);
    free(file_bytes(path, &unchanged_length));
    CHECK_EQ(unchanged_length, length);

    free(bytes);
    temp_dir_remove(directory);
    chain_free(&chain);
}

/* ------------------------------------------------------------------------ */
/* Finding 7 on the store.                                                   */
/* ------------------------------------------------------------------------ */

TEST(hardening_07_a_forged_tip_header_and_a_matching_snapshot_are_refused) {
    test_chain chain;
    chain_history(&chain);
    char directory[TEMP_DIR_BYTES], path[512];
    temp_dir_make(directory);
    path_join(path, sizeof path, directory, TALLY_LOG_FILE_NAME);
    REQUIRE(chain_write_log(&chain, directory, chain.count));
    const uint64_t tip = chain.tip.height;

    /* the forgery, as described: carol pays bob 600 in a state nobody signed ... */
    const test_actor bob = actor(BOB), carol = actor(CAROL);
    tally_state *forged = forged_copy(chain.state, &carol, &bob, CHAIN_NET, 600, chain.tip.block_time);
    REQUIRE(forged != NULL);
    const int64_t genuine_balance = balance_in(chain.state, CHAIN_NET, &bob);
    CHECK_EQ(balance_in(forged, CHAIN_NET, &bob), genuine_balance + 600);
    uint8_t forged_hash[TALLY_HASH_BYTES];
    CHECK(tally_state_hash(forged, forged_hash));
    /* ... the tip header re-hashed to it and its record checksum recomputed ... */
    size_t length = 0;
    uint8_t *bytes = file_bytes(path, &length);
    REQUIRE(bytes != NULL);
    uint8_t forged_block_hash[TALLY_HASH_BYTES];
    forge_state_hash(bytes, last_record_offset(bytes, length), forged_hash, forged_block_hash);
    REQUIRE(file_put(path, bytes, length));
    /* ... and a snapshot of the forged state at the tip, which matches the header */
    CHECK_EQ(tally_snapshot_save(directory, tip, forged_block_hash, forged, NULL), TALLY_CHAIN_OK);

    /* the store does not trust it, replays from the genesis and refuses the block */
    notice_log notices = {0};
    tally_store_options options = {false, notice_collect, &notices, NULL, NULL, NULL};
    tally_store *store = NULL;
    tally_chain_failure failure;
    CHECK_EQ(tally_store_open(directory, &options, &store, &failure), TALLY_CHAIN_ERR_BAD_PRODUCER_SIGNATURE);
    CHECK(store == NULL);
    CHECK_EQ(failure.height, tip);
    CHECK_EQ(notices.count, 1);
    CHECK_EQ(notices.codes[0], TALLY_CHAIN_ERR_SNAPSHOT_BAD);
    CHECK_EQ(notices.last.height, tip);
    CHECK(strstr(notices.last.message, "producer's signature") != NULL);
    /* a reader is refused the same way, and verify names the block */
    options.read_only = true;
    CHECK_EQ(tally_store_open(directory, &options, &store, &failure), TALLY_CHAIN_ERR_BAD_PRODUCER_SIGNATURE);
    tally_verify_summary summary;
    CHECK_EQ(tally_chain_verify(directory, NULL, NULL, NULL, NULL, &summary, &failure),
             TALLY_CHAIN_ERR_BAD_PRODUCER_SIGNATURE);
    CHECK_EQ(failure.height, tip);
    CHECK_EQ(summary.blocks, tip);

    /* the genuine log with the forged snapshot beside it: the snapshot's block hash
     * is not the log's, so it is passed over and the genuine state is served */
    REQUIRE(chain_write_log(&chain, directory, chain.count));
    notices = (notice_log){0};
    options.read_only = false;
    REQUIRE(tally_store_open(directory, &options, &store, &failure) == TALLY_CHAIN_OK);
    CHECK_EQ(balance_in(tally_store_state(store), CHAIN_NET, &bob), genuine_balance);
    CHECK_EQ(notices.count, 1);
    tally_store_close(store);

    tally_state_destroy(forged);
    free(bytes);
    temp_dir_remove(directory);
    chain_free(&chain);
}

TEST(hardening_07_a_signed_block_out_of_its_place_cannot_vouch_for_a_snapshot) {
    /* Blocks 0..5, then the genuine, signed block 10 in the place of block 6, and a
     * genuine snapshot of the state after block 10 named for height 6: the header's
     * hash, producer, signature and state hash all match; only the hash links from
     * the genesis say that block is not block 6. */
    test_chain chain;
    chain_history(&chain);
    char directory[TEMP_DIR_BYTES];
    temp_dir_make(directory);
    enum { PLACE = 6 };
    uint8_t *encoded[PLACE + 1];
    size_t lengths[PLACE + 1];
    for (uint32_t h = 0; h < PLACE; h++) encoded[h] = chain.encoded[h], lengths[h] = chain.lengths[h];
    encoded[PLACE] = chain.encoded[CHAIN_HISTORY_TIP];
    lengths[PLACE] = chain.lengths[CHAIN_HISTORY_TIP];
    REQUIRE(log_write(directory, encoded, lengths, PLACE + 1));
    CHECK_EQ(tally_snapshot_save(directory, PLACE, chain.tip.hash, chain.state, NULL), TALLY_CHAIN_OK);

    notice_log notices = {0};
    tally_store_options options = {false, notice_collect, &notices, NULL, NULL, NULL};
    tally_store *store = NULL;
    tally_chain_failure failure;
    CHECK_EQ(tally_store_open(directory, &options, &store, &failure), TALLY_CHAIN_ERR_BAD_HEIGHT);
    CHECK(store == NULL);
    CHECK_EQ(failure.height, PLACE);
    CHECK_EQ(notices.count, 1);
    CHECK_EQ(notices.codes[0], TALLY_CHAIN_ERR_SNAPSHOT_BAD);
    CHECK(strstr(notices.last.message, "do not link from the genesis") != NULL);

    tally_blocklog *log = NULL;
    tally_blocklog_options log_options = {true, false, NULL, NULL};
    REQUIRE(tally_blocklog_open(directory, &log_options, &log, &failure) == TALLY_CHAIN_OK);
    CHECK_EQ(tally_blocklog_count(log), PLACE + 1);
    CHECK_EQ(tally_blocklog_linked(log), PLACE);
    tally_blocklog_close(log);
    temp_dir_remove(directory);
    chain_free(&chain);
}

/* ------------------------------------------------------------------------ */
/* On a real node.                                                           */
/* ------------------------------------------------------------------------ */

/* Submits with wait=commit; the block height it committed in, or -1. */
static int64_t commit(const test_node *node, tally_tx *tx, const test_actor *signer) {
    json_t *result = NULL;
    long status = harness_submit(node, tx, signer, &result);
    const char *state = harness_json_string(result, "status");
    int64_t height = status == 200 && state && strcmp(state, "committed") == 0 ? harness_json_int(result, "height")
                                                                                : -1;
    if (height < 0) fprintf(stderr, "    submit answered %ld %s\n", status, state ? state : "(no status)");
    json_decref(result);
    return height;
}

/* A network with open membership and lines of 10,000.00, alice and bob in it. */
static bool make_network(const test_node *node, const test_actor *op, const test_actor *alice,
                         const test_actor *bob) {
    tally_tx tx = harness_tx(node, op, TALLY_TX_NETWORK_CREATE);
    text_set(&tx.body.network_create.name, "Hardening");
    text_set(&tx.body.network_create.unit_code, "HRD");
    tx.body.network_create.decimals = 2;
    tx.body.network_create.policy = policy_default();
    tx.body.network_create.policy.default_credit_limit = 1000000;
    tx.body.network_create.policy.max_credit_limit = 1000000;
    if (commit(node, &tx, op) < 0) return false;
    const test_actor *members[2] = {alice, bob};
    for (int m = 0; m < 2; m++) {
        tx = harness_tx(node, members[m], TALLY_TX_MEMBER_JOIN);
        tx.body.network_only.network_id = 1;
        if (commit(node, &tx, members[m]) < 0) return false;
    }
    return true;
}

static tally_tx payment(const test_node *node, const test_actor *payer, const test_actor *payee, int64_t amount) {
    tally_tx tx = harness_tx(node, payer, TALLY_TX_TRANSFER);
    tx.body.transfer.network_id = 1;
    tx.body.transfer.payee = payee->key;
    tx.body.transfer.amount = amount;
    text_set(&tx.body.transfer.memo, "hardening");
    return tx;
}

/* A payment between existing members commits; prints how long it took. */
static void check_a_payment_commits(const test_node *node, const test_actor *payer, const test_actor *payee,
                                    const char *when) {
    tally_tx tx = payment(node, payer, payee, 100);
    double started = seconds_now();
    int64_t height = commit(node, &tx, payer);
    double latency_ms = 1000 * (seconds_now() - started);
    CHECK(height > 0);
    CHECK(latency_ms < 5000);
    printf("    %s: a payment between members committed in block %lld in %.1f ms\n", when, (long long)height,
           latency_ms);
}

static int64_t node_balance(const test_node *node, const test_actor *who) {
    char address[TALLY_ADDRESS_LENGTH + 1], path[160];
    tally_address_encode(&who->key, address);
    snprintf(path, sizeof path, "/v1/networks/1/accounts/%s", address);
    json_t *answer = NULL;
    harness_request(node, "GET", path, NULL, 0, &answer);
    int64_t value = harness_json_int(answer, "balance");
    json_decref(answer);
    return value;
}

static bool same_text(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

/* harness_start that must fail: a node that starts anyway is stopped, not left
 * running, and the test fails. */
static bool start_is_refused(test_node *node) {
    if (!harness_start(node, NULL)) return true;
    test_fail(__FILE__, __LINE__, "the node started");
    harness_stop(node);
    return false;
}

static char *read_text(const char *path) {
    size_t length = 0;
    uint8_t *bytes = file_bytes(path, &length);
    if (!bytes) return calloc(1, 1);
    char *text = realloc(bytes, length + 1);
    if (!text) {
        free(bytes);
        return NULL;
    }
    text[length] = '\0';
    return text;
}

/* `tally verify --data DIR --json` in this process: its exit status, *json its
 * document (caller decrefs). */
static cli_status verify_data(const char *data, json_t **json) {
    char *out_text = NULL, *err_text = NULL;
    size_t out_size = 0, err_size = 0;
    FILE *out = open_memstream(&out_text, &out_size), *err = open_memstream(&err_text, &err_size);
    cli_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.out = out;
    ctx.err = err;
    char *argv[5] = {strdup("tally"), strdup("verify"), strdup("--data"), strdup(data), strdup("--json")};
    cli_status status = cli_run(&ctx, 5, argv);
    for (int i = 0; i < 5; i++) free(argv[i]);
    fclose(out);
    fclose(err);
    *json = json_loads(out_text ? out_text : "", 0, NULL);
    free(out_text);
    free(err_text);
    return status;
}

TEST(hardening_04_a_node_refuses_a_flipped_bit_in_its_last_block_and_repairs_only_with_consent) {
    test_node node;
    REQUIRE(harness_make_directory(&node));
    REQUIRE(harness_start(&node, NULL));
    const test_actor op = actor(0), alice = actor(1), bob = actor(2);
    REQUIRE(make_network(&node, &op, &alice, &bob));
    /* "committed in block H": acknowledged */
    tally_tx tx = payment(&node, &alice, &bob, 2500);
    const int64_t height = commit(&node, &tx, &alice);
    REQUIRE(height > 0);
    uint8_t paid_id[TALLY_HASH_BYTES];
    tally_tx_hash(&tx, paid_id);
    char paid_hex[2 * TALLY_HASH_BYTES + 1];
    sodium_bin2hex(paid_hex, sizeof paid_hex, paid_id, sizeof paid_id);
    CHECK_EQ(harness_stop(&node), 0);

    /* the payment's block is the last record of the log */
    char data[300], log_path[320];
    snprintf(data, sizeof data, "%s/data", node.directory);
    snprintf(log_path, sizeof log_path, "%s/%s", data, TALLY_LOG_FILE_NAME);
    size_t length = 0;
    uint8_t *bytes = file_bytes(log_path, &length);
    REQUIRE(bytes != NULL);
    const size_t record = last_record_offset(bytes, length);
    tally_block block;
    tally_block_init(&block);
    REQUIRE(tally_block_decode(bytes + record + RECORD_PREFIX_BYTES, load_u32(bytes + record + 4), &block, NULL) ==
            TALLY_CHAIN_OK);
    CHECK_EQ(block.header.height, (uint64_t)height);
    CHECK_EQ(block.header.tx_count, 1);
    uint8_t id[TALLY_HASH_BYTES];
    tally_tx_hash(&block.txs[0], id);
    CHECK(memcmp(id, paid_id, TALLY_HASH_BYTES) == 0);
    tally_block_release(&block);

    /* one bit flipped in its result (the signed transaction's bytes stay) */
    bytes[length - RECORD_CHECKSUM_BYTES - 20] ^= 0x10;
    REQUIRE(file_put(log_path, bytes, length));

    /* the node refuses to start, naming the offset and the height and --repair */
    snprintf(node.stderr_path, sizeof node.stderr_path, "%s/tallyd.err", node.directory);
    CHECK(start_is_refused(&node));
    CHECK_EQ(node.exit_status, 1);
    char *said = read_text(node.stderr_path);
    REQUIRE(said != NULL);
    char where[96];
    snprintf(where, sizeof where, "damaged at byte %zu, the record of block %lld", record, (long long)height);
    CHECK(strstr(said, where) != NULL);
    CHECK(strstr(said, "--repair") != NULL);
    if (getenv("TALLY_TEST_VERBOSE")) fprintf(stderr, "%s", said);
    free(said);
    size_t still = 0;
    free(file_bytes(log_path, &still));
    CHECK_EQ(still, length); /* the block is still there */

    /* verify fails: exit status 1, "ok": false, the offset and the height */
    json_t *json = NULL;
    CHECK_EQ(verify_data(data, &json), CLI_REFUSED);
    CHECK(json && json_is_false(json_object_get(json, "ok")));
    CHECK(json && same_text(json_string_value(json_object_get(json, "code")), "LOG_CORRUPT"));
    CHECK_EQ(json_integer_value(json_object_get(json, "offset")), (json_int_t)record);
    CHECK_EQ(json_integer_value(json_object_get(json, "height")), height);
    json_decref(json);

    /* with --repair: it says what is lost (block, offset, length, the payment's id),
     * cuts, and starts at the block before */
    REQUIRE(unlink(node.stderr_path) == 0);
    CHECK(harness_start(&node, (const char *const[]){"--repair", NULL}));
    said = read_text(node.stderr_path);
    REQUIRE(said != NULL);
    char lost[512];
    snprintf(lost, sizeof lost, "block %lld at byte %zu, %zu bytes: 1 transaction:", (long long)height, record,
             length - record);
    CHECK(strstr(said, lost) != NULL);
    CHECK(strstr(said, paid_hex) != NULL);
    snprintf(lost, sizeof lost, "cut %s at byte %zu: kept blocks 0 to %lld", log_path, record, (long long)height - 1);
    CHECK(strstr(said, lost) != NULL);
    if (getenv("TALLY_TEST_VERBOSE")) fprintf(stderr, "%s", said);
    free(said);
    json_t *status = NULL;
    CHECK_EQ(harness_request(&node, "GET", "/v1/status", NULL, 0, &status), 200);
    CHECK_EQ(harness_json_int(status, "height"), height - 1);
    json_decref(status);
    CHECK_EQ(node_balance(&node, &bob), 0); /* the lost payment, as the repair said */
    check_a_payment_commits(&node, &alice, &bob, "after the repair");
    CHECK_EQ(harness_stop(&node), 0);
    json = NULL;
    CHECK_EQ(verify_data(data, &json), CLI_OK);
    json_decref(json);
    free(bytes);
    harness_remove_directory(&node);
}

TEST(hardening_07_a_node_never_serves_a_forged_snapshot) {
    test_node node;
    REQUIRE(harness_make_directory(&node));
    REQUIRE(harness_start(&node, NULL));
    const test_actor op = actor(0), alice = actor(1), bob = actor(2);
    REQUIRE(make_network(&node, &op, &alice, &bob));
    tally_tx tx = payment(&node, &alice, &bob, 500);
    REQUIRE(commit(&node, &tx, &alice) > 0);
    CHECK_EQ(node_balance(&node, &bob), 500);
    CHECK_EQ(harness_stop(&node), 0);

    /* the forger: bob gets 9,000.00 more in a state nobody signed, the tip header
     * re-hashed to it (record checksum recomputed), a snapshot to match */
    char data[300], log_path[320];
    snprintf(data, sizeof data, "%s/data", node.directory);
    snprintf(log_path, sizeof log_path, "%s/%s", data, TALLY_LOG_FILE_NAME);
    tally_store *store = NULL;
    tally_store_options read_only = {true, NULL, NULL, NULL, NULL, NULL};
    tally_chain_failure failure;
    REQUIRE(tally_store_open(data, &read_only, &store, &failure) == TALLY_CHAIN_OK);
    const tally_chain_tip tip = *tally_store_tip(store);
    tally_state *forged = forged_copy(tally_store_state(store), &alice, &bob, 1, 900000, tip.block_time);
    tally_store_close(store);
    REQUIRE(forged != NULL);
    CHECK_EQ(balance_in(forged, 1, &bob), 900500);
    uint8_t forged_hash[TALLY_HASH_BYTES], forged_block_hash[TALLY_HASH_BYTES];
    CHECK(tally_state_hash(forged, forged_hash));
    size_t length = 0;
    uint8_t *original = file_bytes(log_path, &length);
    REQUIRE(original != NULL);
    uint8_t *bytes = malloc(length);
    REQUIRE(bytes != NULL);
    memcpy(bytes, original, length);
    forge_state_hash(bytes, last_record_offset(bytes, length), forged_hash, forged_block_hash);
    REQUIRE(file_put(log_path, bytes, length));
    CHECK_EQ(tally_snapshot_save(data, tip.height, forged_block_hash, forged, NULL), TALLY_CHAIN_OK);
    tally_state_destroy(forged);

    /* the node refuses to start, naming the block: nothing forged is ever served */
    snprintf(node.stderr_path, sizeof node.stderr_path, "%s/tallyd.err", node.directory);
    if (harness_start(&node, NULL)) {
        test_fail(__FILE__, __LINE__, "the node started on the forged snapshot");
        CHECK_EQ(node_balance(&node, &bob), 500); /* what it serves instead */
        harness_stop(&node);
    }
    CHECK_EQ(node.exit_status, 1);
    char *said = read_text(node.stderr_path);
    REQUIRE(said != NULL);
    char expected[96];
    snprintf(expected, sizeof expected, "block %llu: the producer's signature does not match",
             (unsigned long long)tip.height);
    CHECK(strstr(said, expected) != NULL);
    free(said);
    json_t *json = NULL;
    CHECK_EQ(verify_data(data, &json), CLI_REFUSED);
    CHECK(json && same_text(json_string_value(json_object_get(json, "code")), "BAD_PRODUCER_SIGNATURE"));
    json_decref(json);

    /* the operator restores the log; the forged snapshot left beside it names a
     * block the log does not hold and is passed over: the genuine balance, and
     * payments go on */
    REQUIRE(file_put(log_path, original, length));
    node.stderr_path[0] = '\0';
    REQUIRE(harness_start(&node, NULL));
    CHECK_EQ(node_balance(&node, &bob), 500);
    check_a_payment_commits(&node, &alice, &bob, "after the forgery was refused and the log restored");
    CHECK_EQ(node_balance(&node, &bob), 600);
    CHECK_EQ(harness_stop(&node), 0);
    free(bytes);
    free(original);
    harness_remove_directory(&node);
}
