/*
 * chain_fixture.c: see chain_fixture.h.
 */
#include "chain_fixture.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "test.h"

#define RECORD_CHECKSUM_BYTES 16u

void chain_start(test_chain *chain) {
    memset(chain, 0, sizeof *chain);
    chain->producer = actor(CHAIN_PRODUCER_ACTOR);
    tally_block genesis;
    tally_block_init(&genesis);
    CHECK_EQ(tally_genesis_make(chain->producer.secret, CHAIN_GENESIS_TIME, CHAIN_NAME,
                                strlen(CHAIN_NAME), NULL, &genesis, NULL),
             TALLY_CHAIN_OK);
    CHECK_EQ(tally_genesis_open(&genesis, &chain->state, &chain->tip, NULL), TALLY_CHAIN_OK);
    size_t length = tally_block_encoded_size(&genesis);
    chain->encoded[0] = malloc(length);
    chain->lengths[0] = tally_block_encode(&genesis, chain->encoded[0], length);
    CHECK(chain->lengths[0] == length && length > 0);
    chain->count = 1;
    tally_block_release(&genesis);
}

void chain_free(test_chain *chain) {
    for (uint32_t i = 0; i < chain->count; i++) free(chain->encoded[i]);
    tally_state_destroy(chain->state);
    memset(chain, 0, sizeof *chain);
}

tally_tx chain_tx(test_chain *chain, uint32_t signer, tally_tx_type type) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    if (signer >= CHAIN_ACTORS_MAX) {
        test_fail(__FILE__, __LINE__, "actor number out of range");
        return tx;
    }
    tx.type = (uint8_t)type;
    memcpy(tx.chain_id, chain->tip.chain_id, TALLY_CHAIN_ID_BYTES);
    tx.signer = actor(signer).key;
    if (chain->next_sequence[signer] == 0) chain->next_sequence[signer] = 1;
    tx.sequence = chain->next_sequence[signer];
    return tx;
}

void chain_sign(test_chain *chain, tally_tx *tx, uint32_t signer) {
    test_actor who = actor(signer);
    tally_tx_sign(tx, who.secret);
    chain->next_sequence[signer]++;
}

tally_tx chain_payment(test_chain *chain, uint32_t payer, uint32_t payee, int64_t amount) {
    tally_tx tx = chain_tx(chain, payer, TALLY_TX_TRANSFER);
    tx.body.transfer.network_id = CHAIN_NET;
    tx.body.transfer.payee = actor(payee).key;
    tx.body.transfer.amount = amount;
    tx.body.transfer.max_fee = amount + 100; /* generous: fees are not what these tests test */
    text_set(&tx.body.transfer.memo, "eggs and bread");
    chain_sign(chain, &tx, payer);
    return tx;
}

tally_chain_error chain_add_block(test_chain *chain, int64_t time, const tally_tx *candidates,
                                  uint32_t count, tally_result *results) {
    if (chain->count >= CHAIN_BLOCKS_MAX) {
        test_fail(__FILE__, __LINE__, "raise CHAIN_BLOCKS_MAX");
        return TALLY_CHAIN_ERR_BAD_ARGUMENT;
    }
    tally_block block;
    tally_block_init(&block);
    tally_chain_error error = tally_block_build(chain->state, &chain->tip, chain->producer.secret, time,
                                                candidates, count, results, &block, NULL);
    if (error == TALLY_CHAIN_OK) {
        size_t length = tally_block_encoded_size(&block);
        uint8_t *bytes = malloc(length);
        CHECK(bytes != NULL && tally_block_encode(&block, bytes, length) == length);
        chain->encoded[chain->count] = bytes;
        chain->lengths[chain->count] = length;
        chain->count++;
        chain->transactions += block.header.tx_count;
    }
    tally_block_release(&block);
    return error;
}

void block_reseal(tally_block *block, const uint8_t secret[TALLY_SECRET_BYTES]) {
    tally_block_header *header = &block->header;
    CHECK(tally_block_tx_root(block->txs, header->tx_count, header->tx_root));
    tally_block_results_root(block->results, header->tx_count, block->events, block->event_count, header->results_root);
    memcpy(header->producer.bytes, secret + 32, TALLY_KEY_BYTES);
    uint8_t bytes[TALLY_BLOCK_HEADER_BYTES];
    tally_block_header_encode(header, bytes);
    crypto_sign_detached(header->signature, NULL, bytes, TALLY_BLOCK_SIGNED_BYTES, secret);
}

uint8_t *block_bytes(const tally_block *block, size_t *length) {
    *length = tally_block_encoded_size(block);
    uint8_t *bytes = malloc(*length + 1);
    CHECK(bytes != NULL && *length > 0);
    if (bytes != NULL) CHECK(tally_block_encode(block, bytes, *length) == *length);
    return bytes;
}

void chain_block(const test_chain *chain, uint32_t height, tally_block *block) {
    CHECK(height < chain->count);
    if (height >= chain->count) return;
    CHECK_EQ(tally_block_decode(chain->encoded[height], chain->lengths[height], block, NULL),
             TALLY_CHAIN_OK);
}

/* ------------------------------------------------------------------------ */
/* The scripted history.                                                     */
/* ------------------------------------------------------------------------ */

static tally_tx network_key_tx(test_chain *chain, uint32_t signer, tally_tx_type type, uint32_t who) {
    tally_tx tx = chain_tx(chain, signer, type);
    tx.body.network_key.network_id = CHAIN_NET;
    tx.body.network_key.key = actor(who).key;
    chain_sign(chain, &tx, signer);
    return tx;
}

static tally_tx line_open_tx(test_chain *chain, uint32_t who, int64_t limit, uint32_t period_days) {
    tally_tx tx = chain_tx(chain, OP, TALLY_TX_LINE_OPEN);
    tx.body.line_open.network_id = CHAIN_NET;
    tx.body.line_open.member = actor(who).key;
    tx.body.line_open.limit = limit;
    tx.body.line_open.period_seconds = period_days * DAY;
    tx.body.line_open.grace_seconds = 5 * DAY;
    tx.body.line_open.risk_fee_bps = 100;
    chain_sign(chain, &tx, OP);
    return tx;
}

static tally_tx pool_tx(test_chain *chain, uint32_t signer, tally_tx_type type, int64_t amount) {
    tally_tx tx = chain_tx(chain, signer, type);
    tx.body.pool_amount.network_id = CHAIN_NET;
    tx.body.pool_amount.amount = amount;
    chain_sign(chain, &tx, signer);
    return tx;
}

static tally_tx issue_tx(test_chain *chain, uint32_t to, int64_t amount) {
    tally_tx tx = chain_tx(chain, BANK, TALLY_TX_ASSET_ISSUE);
    tx.body.asset_move.asset_id = CHAIN_USD;
    tx.body.asset_move.to = actor(to).key;
    tx.body.asset_move.amount = amount;
    chain_sign(chain, &tx, BANK);
    return tx;
}

/* Adds a block and checks how many of its candidates were accepted. */
static void add_expecting(test_chain *chain, int64_t time, const tally_tx *candidates, uint32_t count,
                          uint32_t accepted) {
    tally_result results[16];
    CHECK(count <= 16);
    CHECK_EQ(chain_add_block(chain, time, candidates, count, results), TALLY_CHAIN_OK);
    uint32_t ok = 0;
    for (uint32_t i = 0; i < count; i++) ok += results[i].code == TALLY_OK;
    CHECK_EQ(ok, accepted);
    if (ok != accepted) {
        for (uint32_t i = 0; i < count; i++)
            fprintf(stderr, "    block at %lld: candidate %u (%s): %s\n", (long long)(time - CHAIN_GENESIS_TIME), i,
                    tally_tx_type_name(candidates[i].type), tally_error_name(results[i].code));
    }
}

static void history_setup(test_chain *chain) {
    tally_tx tx = chain_tx(chain, OP, TALLY_TX_NETWORK_CREATE);
    text_set(&tx.body.network_create.name, "Greenvale");
    text_set(&tx.body.network_create.unit_code, "GVH");
    tx.body.network_create.decimals = 2;
    tx.body.network_create.policy = policy_default();
    tx.body.network_create.policy.fee_bps = 100;
    tx.body.network_create.policy.target_rtd_bps = 2000;
    tx.body.network_create.policy.membership_mode = TALLY_MEMBERSHIP_ADMITTED;
    chain_sign(chain, &tx, OP);
    add_expecting(chain, CHAIN_GENESIS_TIME + 60, &tx, 1, 1);

    tally_tx members[5] = {
        network_key_tx(chain, OP, TALLY_TX_MEMBER_ADMIT, ALICE),
        network_key_tx(chain, OP, TALLY_TX_MEMBER_ADMIT, BOB),
        network_key_tx(chain, OP, TALLY_TX_MEMBER_ADMIT, CAROL),
        line_open_tx(chain, ALICE, 1000, 10),
        line_open_tx(chain, CAROL, 1000, 100),
    };
    add_expecting(chain, CHAIN_GENESIS_TIME + 120, members, 5, 5);
}

static void history_trade(test_chain *chain) {
    /* dave is no member: his payment is refused and stays out of the block; his
     * sequence is not consumed. */
    tally_tx refused = chain_payment(chain, DAVE, BOB, 10);
    chain->next_sequence[DAVE]--;
    tally_tx asset = chain_tx(chain, BANK, TALLY_TX_ASSET_CREATE);
    text_set(&asset.body.asset_create.code, "USD");
    text_set(&asset.body.asset_create.name, "Cooperative bank dollars");
    asset.body.asset_create.decimals = 2;
    chain_sign(chain, &asset, BANK);
    tally_tx trade[4] = {chain_payment(chain, ALICE, BOB, 400), refused,
                         chain_payment(chain, CAROL, BOB, 300), asset};
    add_expecting(chain, CHAIN_GENESIS_TIME + 180, trade, 4, 3);

    tally_tx peg = chain_tx(chain, OP, TALLY_TX_PEG_SET);
    peg.body.peg_set.network_id = CHAIN_NET;
    peg.body.peg_set.asset_id = CHAIN_USD;
    peg.body.peg_set.peg_reserve_units = 1;
    peg.body.peg_set.peg_credit_units = 1;
    chain_sign(chain, &peg, OP);
    tally_tx reserve[3] = {issue_tx(chain, ALICE, 500), issue_tx(chain, BOB, 500), peg};
    add_expecting(chain, CHAIN_GENESIS_TIME + 240, reserve, 3, 3);

    /* Signed in block order: a signer's sequence numbers must follow it. */
    tally_tx pool[3];
    pool[0] = pool_tx(chain, BOB, TALLY_TX_POOL_DEPOSIT, 300);
    pool[1] = pool_tx(chain, ALICE, TALLY_TX_POOL_REPAY, 100);
    pool[2] = chain_tx(chain, BOB, TALLY_TX_ALIAS_SET);
    pool[2].body.alias_set.network_id = CHAIN_NET;
    text_set(&pool[2].body.alias_set.alias, "bob");
    chain_sign(chain, &pool[2], BOB);
    add_expecting(chain, CHAIN_GENESIS_TIME + 300, pool, 3, 3);
}

static void history_periods(test_chain *chain) {
    tally_tx repay = chain_payment(chain, BOB, ALICE, 200); /* credits cancel alice's debt */
    add_expecting(chain, CHAIN_GENESIS_TIME + 360, &repay, 1, 1);
    add_expecting(chain, CHAIN_GENESIS_TIME + DAY, NULL, 0, 0); /* an empty block */
    tally_tx later = chain_payment(chain, CAROL, BOB, 50);
    /* alice's 10-day period ends in debt: her line freezes in this block. */
    add_expecting(chain, CHAIN_GENESIS_TIME + 11 * DAY, &later, 1, 1);
    tally_tx more = chain_payment(chain, BOB, CAROL, 100);
    /* grace ends: alice defaults and her debt is written off. */
    add_expecting(chain, CHAIN_GENESIS_TIME + 16 * DAY, &more, 1, 1);
    tally_tx last[3] = {chain_payment(chain, BOB, CAROL, 10), chain_payment(chain, CAROL, BOB, 5),
                        chain_payment(chain, BOB, CAROL, 1)};
    add_expecting(chain, CHAIN_GENESIS_TIME + 17 * DAY, last, 3, 3);
}

void chain_history(test_chain *chain) {
    chain_start(chain);
    history_setup(chain);
    history_trade(chain);
    history_periods(chain);
    CHECK_EQ(chain->count, CHAIN_HISTORY_TIP + 1);
    test_actor alice = actor(ALICE);
    const tally_member *member = tally_state_member(chain->state, CHAIN_NET, &alice.key);
    CHECK(member != NULL && member->status == TALLY_MEMBER_DEFAULTED);
}

/* ------------------------------------------------------------------------ */
/* Files.                                                                    */
/* ------------------------------------------------------------------------ */

void temp_dir_make(char path[TEMP_DIR_BYTES]) {
    snprintf(path, TEMP_DIR_BYTES, "/tmp/tally-test-XXXXXX");
    if (mkdtemp(path) == NULL) test_fail(__FILE__, __LINE__, "mkdtemp failed");
}

void temp_dir_remove(const char *path) {
    DIR *directory = opendir(path);
    if (directory == NULL) return;
    struct dirent *entry;
    /* Collect names first: unlinking while reading a directory may skip entries. */
    char names[64][256];
    size_t count = 0;
    while ((entry = readdir(directory)) != NULL && count < 64) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
        snprintf(names[count++], sizeof names[0], "%s", entry->d_name);
    }
    closedir(directory);
    for (size_t i = 0; i < count; i++) {
        char file[512];
        path_join(file, sizeof file, path, names[i]);
        unlink(file);
    }
    if (rmdir(path) != 0) test_fail(__FILE__, __LINE__, "temporary directory not removed");
}

void path_join(char *out, size_t size, const char *directory, const char *name) {
    int length = snprintf(out, size, "%s/%s", directory, name);
    if (length < 0 || (size_t)length >= size) test_fail(__FILE__, __LINE__, "path too long");
}

size_t log_record(const uint8_t *payload, size_t length, uint8_t *out, size_t out_size) {
    size_t size = TALLY_LOG_RECORD_OVERHEAD + length;
    if (size > out_size) return 0;
    for (unsigned i = 0; i < 4; i++) out[i] = (uint8_t)(TALLY_LOG_MAGIC >> (8 * i));
    for (unsigned i = 0; i < 4; i++) out[4 + i] = (uint8_t)((uint32_t)length >> (8 * i));
    memcpy(out + 8, payload, length);
    crypto_generichash(out + 8 + length, RECORD_CHECKSUM_BYTES, out + 4, 4 + length, NULL, 0);
    return size;
}

bool log_write(const char *directory, uint8_t *const *encoded, const size_t *lengths, uint32_t count) {
    char path[512];
    path_join(path, sizeof path, directory, TALLY_LOG_FILE_NAME);
    FILE *file = fopen(path, "wb");
    if (file == NULL) return false;
    bool ok = true;
    for (uint32_t i = 0; i < count && ok; i++) {
        size_t size = TALLY_LOG_RECORD_OVERHEAD + lengths[i];
        uint8_t *record = malloc(size);
        ok = record != NULL && log_record(encoded[i], lengths[i], record, size) == size &&
             fwrite(record, 1, size, file) == size;
        free(record);
    }
    return fclose(file) == 0 && ok;
}

bool chain_write_log(const test_chain *chain, const char *directory, uint32_t count) {
    CHECK(count <= chain->count);
    return log_write(directory, chain->encoded, chain->lengths, count);
}

uint8_t *file_bytes(const char *path, size_t *length) {
    *length = 0;
    FILE *file = fopen(path, "rb");
    if (file == NULL) return NULL;
    size_t capacity = 1 << 16, used = 0;
    uint8_t *bytes = malloc(capacity);
    while (bytes != NULL) {
        used += fread(bytes + used, 1, capacity - used, file);
        if (used < capacity) break;
        capacity *= 2;
        uint8_t *grown = realloc(bytes, capacity);
        if (grown == NULL) free(bytes);
        bytes = grown;
    }
    fclose(file);
    *length = used;
    return bytes;
}

bool file_put(const char *path, const uint8_t *bytes, size_t length) {
    FILE *file = fopen(path, "wb");
    if (file == NULL) return false;
    bool ok = fwrite(bytes, 1, length, file) == length;
    return fclose(file) == 0 && ok;
}

void notice_collect(void *context, const tally_chain_failure *notice) {
    notice_log *log = context;
    if (log->count < 16) log->codes[log->count] = notice->code;
    log->count++;
    log->last = *notice;
}
