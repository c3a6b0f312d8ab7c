/*
 * test_index.c: the node's query index against a real chain. Each test makes a
 * data directory with a store (genesis, then blocks produced with
 * tally_store_produce from signed transactions), indexes every block as the node
 * does, and checks the answers: histories with exact amounts and fees, paging,
 * transaction status, rebuild and catch-up from the log, refusals of blocks out of
 * order, schema versions, and text that looks like SQL or FTS syntax.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "chain_fixture.h"
#include "node/index.h"
#include "test.h"

#define ENV_ACTORS 16u
#define ENV_NET 1u
#define ENV_USD 1u
#define ENV_PAGE_PAYMENTS 24u
#define ENV_FEE_BPS 100u
#define ENV_BLOCK_TXS_MAX 32u

static const char injection_memo[] = "'); DROP TABLE txs; -- \" OR 1=1 NEAR(* eggs";

typedef struct {
    char directory[TEMP_DIR_BYTES];
    char index_path[512];
    test_actor producer;
    test_actor actors[ENV_ACTORS];
    uint64_t next_sequence[ENV_ACTORS];
    tally_store *store;
    tally_index *index;
    int64_t time;
    tally_block block; /* the last block produced */
    uint8_t first_payment_id[TALLY_HASH_BYTES];
    tally_tx first_payment;
} index_env;

static void env_start(index_env *env, const char *chain_name) {
    memset(env, 0, sizeof *env);
    temp_dir_make(env->directory);
    path_join(env->index_path, sizeof env->index_path, env->directory, "index.sqlite");
    env->producer = actor(CHAIN_PRODUCER_ACTOR);
    for (uint32_t i = 0; i < ENV_ACTORS; i++) env->actors[i] = actor(i);
    env->time = WORLD_START_TIME;
    tally_block_init(&env->block);
    tally_chain_failure failure;
    CHECK(tally_genesis_make(env->producer.secret, env->time, chain_name, strlen(chain_name), NULL, &env->block,
                             &failure) == TALLY_CHAIN_OK);
    CHECK(tally_store_create(env->directory, &env->block, NULL, &env->store, &failure) == TALLY_CHAIN_OK);
    char why[INDEX_WHY_BYTES];
    CHECK(index_open(env->index_path, &env->index, why, sizeof why) == INDEX_OK);
    if (env->index) CHECK(index_add_block(env->index, &env->block, why, sizeof why) == INDEX_OK);
}

static void env_free(index_env *env) {
    index_close(env->index);
    tally_store_close(env->store);
    tally_block_release(&env->block);
    temp_dir_remove(env->directory);
}

static tally_tx env_tx(index_env *env, uint32_t signer, tally_tx_type type) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = (uint8_t)type;
    memcpy(tx.chain_id, tally_store_tip(env->store)->chain_id, TALLY_CHAIN_ID_BYTES);
    tx.signer = env->actors[signer].key;
    tx.sequence = ++env->next_sequence[signer];
    return tx;
}

static void env_sign(index_env *env, tally_tx *tx, uint32_t signer) {
    tally_tx_sign(tx, env->actors[signer].secret);
}

/* Produces a block of the candidates (all must be accepted); with `index` true
 * indexes it as the node does. */
static bool env_produce(index_env *env, const tally_tx *candidates, uint32_t count, bool index) {
    tally_result results[ENV_BLOCK_TXS_MAX];
    if (count > ENV_BLOCK_TXS_MAX) return false;
    env->time += 60;
    tally_chain_failure failure;
    if (tally_store_produce(env->store, env->producer.secret, env->time, candidates, count, results,
                            &env->block, &failure) != TALLY_CHAIN_OK) {
        test_fail(__FILE__, __LINE__, failure.message);
        return false;
    }
    bool all_accepted = env->block.header.tx_count == count;
    for (uint32_t i = 0; i < count; i++) {
        if (results[i].code != TALLY_OK) {
            char what[160];
            snprintf(what, sizeof what, "candidate %u (%s) refused: %s", i,
                     tally_tx_type_name(candidates[i].type), tally_error_name(results[i].code));
            test_fail(__FILE__, __LINE__, what);
        }
    }
    CHECK(all_accepted);
    if (!index) return all_accepted;
    char why[INDEX_WHY_BYTES];
    index_error error = index_add_block(env->index, &env->block, why, sizeof why);
    if (error != INDEX_OK) test_fail(__FILE__, __LINE__, why);
    return all_accepted && error == INDEX_OK;
}

static tally_tx env_payment(index_env *env, uint32_t payer, uint32_t payee, int64_t amount,
                            const char *memo) {
    tally_tx tx = env_tx(env, payer, TALLY_TX_TRANSFER);
    tx.body.transfer.network_id = ENV_NET;
    tx.body.transfer.payee = env->actors[payee].key;
    tx.body.transfer.amount = amount;
    tx.body.transfer.max_fee = amount;
    if (memo) text_set(&tx.body.transfer.memo, memo);
    env_sign(env, &tx, payer);
    return tx;
}

static tally_tx env_network_only(index_env *env, uint32_t signer, tally_tx_type type) {
    tally_tx tx = env_tx(env, signer, type);
    tx.body.network_only.network_id = ENV_NET;
    env_sign(env, &tx, signer);
    return tx;
}

static tally_tx env_alias(index_env *env, uint32_t signer, const char *alias) {
    tally_tx tx = env_tx(env, signer, TALLY_TX_ALIAS_SET);
    tx.body.alias_set.network_id = ENV_NET;
    text_set(&tx.body.alias_set.alias, alias);
    env_sign(env, &tx, signer);
    return tx;
}

/*
 * The scripted history, blocks 1 to 7:
 *   1: OP creates the network (fee 1%), ALICE, BOB, CAROL join
 *   2: OP opens ALICE's line (100000), ALICE and BOB set aliases
 *   3: ALICE pays BOB 1000 "Fresh eggs" (fee 10, on credit); BOB pays CAROL 300 with
 *      the injection memo (fee 3)
 *   4-6: ALICE pays BOB 1, 2, ... 24 (fee 1 each), 8 a block
 *   7: BANK creates USD, issues 5000 to ALICE, ALICE sends 1000 to CAROL, OP pegs
 *      the network to USD, CAROL deposits 500 into the pool
 */
static bool env_scenario(index_env *env) {
    tally_tx txs[ENV_BLOCK_TXS_MAX];
    tally_tx create = env_tx(env, OP, TALLY_TX_NETWORK_CREATE);
    text_set(&create.body.network_create.name, "Greenvale");
    text_set(&create.body.network_create.unit_code, "GVH");
    create.body.network_create.decimals = 2;
    create.body.network_create.policy = policy_default();
    create.body.network_create.policy.fee_bps = ENV_FEE_BPS;
    env_sign(env, &create, OP);
    txs[0] = create;
    txs[1] = env_network_only(env, ALICE, TALLY_TX_MEMBER_JOIN);
    txs[2] = env_network_only(env, BOB, TALLY_TX_MEMBER_JOIN);
    txs[3] = env_network_only(env, CAROL, TALLY_TX_MEMBER_JOIN);
    if (!env_produce(env, txs, 4, true)) return false;

    tally_tx line = env_tx(env, OP, TALLY_TX_LINE_OPEN);
    line.body.line_open.network_id = ENV_NET;
    line.body.line_open.member = env->actors[ALICE].key;
    line.body.line_open.limit = 100000;
    env_sign(env, &line, OP);
    txs[0] = line;
    txs[1] = env_alias(env, ALICE, "alice");
    txs[2] = env_alias(env, BOB, "bob");
    if (!env_produce(env, txs, 3, true)) return false;

    txs[0] = env_payment(env, ALICE, BOB, 1000, "Fresh eggs");
    env->first_payment = txs[0];
    tally_tx_hash(&txs[0], env->first_payment_id);
    txs[1] = env_payment(env, BOB, CAROL, 300, injection_memo);
    if (!env_produce(env, txs, 2, true)) return false;

    for (uint32_t block = 0; block < 3; block++) {
        for (uint32_t i = 0; i < 8; i++) txs[i] = env_payment(env, ALICE, BOB, block * 8 + i + 1, NULL);
        if (!env_produce(env, txs, 8, true)) return false;
    }

    tally_tx asset = env_tx(env, BANK, TALLY_TX_ASSET_CREATE);
    text_set(&asset.body.asset_create.code, "USD");
    text_set(&asset.body.asset_create.name, "Cooperative bank dollars");
    asset.body.asset_create.decimals = 2;
    env_sign(env, &asset, BANK);
    tally_tx issue = env_tx(env, BANK, TALLY_TX_ASSET_ISSUE);
    issue.body.asset_move.asset_id = ENV_USD;
    issue.body.asset_move.to = env->actors[ALICE].key;
    issue.body.asset_move.amount = 5000;
    env_sign(env, &issue, BANK);
    tally_tx send = env_tx(env, ALICE, TALLY_TX_ASSET_TRANSFER);
    send.body.asset_move.asset_id = ENV_USD;
    send.body.asset_move.to = env->actors[CAROL].key;
    send.body.asset_move.amount = 1000;
    env_sign(env, &send, ALICE);
    tally_tx peg = env_tx(env, OP, TALLY_TX_PEG_SET);
    peg.body.peg_set.network_id = ENV_NET;
    peg.body.peg_set.asset_id = ENV_USD;
    peg.body.peg_set.peg_reserve_units = 1;
    peg.body.peg_set.peg_credit_units = 1;
    env_sign(env, &peg, OP);
    tally_tx deposit = env_tx(env, CAROL, TALLY_TX_POOL_DEPOSIT);
    deposit.body.pool_amount.network_id = ENV_NET;
    deposit.body.pool_amount.amount = 500;
    env_sign(env, &deposit, CAROL);
    txs[0] = asset;
    txs[1] = issue;
    txs[2] = send;
    txs[3] = peg;
    txs[4] = deposit;
    return env_produce(env, txs, 5, true);
}

#define SCENARIO_TIP 7u
#define SCENARIO_TXS (4u + 3u + 2u + ENV_PAGE_PAYMENTS + 5u)

static bool env_scenario_started(index_env *env) {
    env_start(env, "index-test");
    return env->store && env->index && env_scenario(env);
}

/* The whole history of key in ENV_NET, newest first, through pages of `page`. */
static uint32_t history_all(index_env *env, const tally_key *key, uint32_t page, index_history_entry *out,
                            uint32_t capacity) {
    uint32_t total = 0;
    uint64_t cursor = 0;
    char why[INDEX_WHY_BYTES];
    for (uint32_t pages = 0; pages < 100; pages++) {
        uint32_t count = 0;
        uint64_t next = 0;
        uint32_t want = capacity - total < page ? capacity - total : page;
        if (want == 0) return total;
        index_error error = index_history(env->index, ENV_NET, key, cursor, want, out + total, &count, &next,
                                          why, sizeof why);
        if (error != INDEX_OK) {
            test_fail(__FILE__, __LINE__, why);
            return total;
        }
        total += count;
        if (next == 0) return total;
        CHECK_EQ(count, want);
        cursor = next;
    }
    return total;
}

static int64_t env_balance(const index_env *env, uint32_t who) {
    const tally_member *member =
        tally_state_member(tally_store_state(env->store), ENV_NET, &env->actors[who].key);
    return member ? member->balance : 0;
}

/* Sum of (amount - fee): what the entries did to the balance. */
static int64_t history_balance(const index_history_entry *entries, uint32_t count) {
    int64_t sum = 0;
    for (uint32_t i = 0; i < count; i++) sum += entries[i].amount - entries[i].fee;
    return sum;
}

TEST(index_history_of_payer_and_payee) {
    static index_env env;
    if (!env_scenario_started(&env)) {
        test_fail(__FILE__, __LINE__, "scenario");
        env_free(&env);
        return;
    }
    static index_history_entry entries[64];

    /* ALICE: join, line, alias, the 1000 on credit, 24 small payments. */
    uint32_t count = history_all(&env, &env.actors[ALICE].key, 100, entries, 64);
    CHECK_EQ(count, 4 + ENV_PAGE_PAYMENTS);
    CHECK_EQ(entries[0].amount, -24);
    CHECK_EQ(entries[0].fee, 1);
    CHECK_EQ(entries[0].type, TALLY_TX_TRANSFER);
    CHECK(entries[0].has_counterparty &&
          memcmp(entries[0].counterparty.bytes, env.actors[BOB].key.bytes, 32) == 0);
    CHECK_EQ(entries[0].height, 6);
    CHECK_EQ(entries[0].position, 7);
    const index_history_entry *credit_payment = &entries[ENV_PAGE_PAYMENTS];
    CHECK_EQ(credit_payment->amount, -1000);
    CHECK_EQ(credit_payment->fee, 10);
    CHECK_EQ(credit_payment->height, 3);
    CHECK_EQ(credit_payment->memo_length, strlen("Fresh eggs"));
    CHECK(strcmp(credit_payment->memo, "Fresh eggs") == 0);
    CHECK(memcmp(credit_payment->tx_id, env.first_payment_id, TALLY_HASH_BYTES) == 0);
    CHECK_EQ(entries[count - 3].type, TALLY_TX_ALIAS_SET);
    CHECK_EQ(entries[count - 2].type, TALLY_TX_LINE_OPEN);
    CHECK_EQ(entries[count - 2].amount, 0);
    CHECK(entries[count - 2].has_counterparty &&
          memcmp(entries[count - 2].counterparty.bytes, env.actors[OP].key.bytes, 32) == 0);
    CHECK_EQ(entries[count - 1].type, TALLY_TX_MEMBER_JOIN);
    CHECK(!entries[count - 1].has_counterparty);
    CHECK_EQ(entries[count - 1].time, WORLD_START_TIME + 60);
    for (uint32_t i = 1; i < count; i++) CHECK(entries[i].cursor < entries[i - 1].cursor);
    CHECK_EQ(history_balance(entries, count), -1334); /* -(1000 + 10) - (1 + ... + 24) - 24 */
    CHECK_EQ(history_balance(entries, count), env_balance(&env, ALICE));

    /* BOB: join, alias, +1000 from ALICE, -300 - 3 to CAROL, +1 ... +24. */
    count = history_all(&env, &env.actors[BOB].key, 100, entries, 64);
    CHECK_EQ(count, 4 + ENV_PAGE_PAYMENTS);
    CHECK_EQ(entries[0].amount, 24);
    CHECK_EQ(entries[0].fee, 0);
    CHECK(memcmp(entries[0].counterparty.bytes, env.actors[ALICE].key.bytes, 32) == 0);
    const index_history_entry *to_carol = &entries[ENV_PAGE_PAYMENTS];
    CHECK_EQ(to_carol->amount, -300);
    CHECK_EQ(to_carol->fee, 3);
    const index_history_entry *from_alice = &entries[ENV_PAGE_PAYMENTS + 1];
    CHECK_EQ(from_alice->amount, 1000);
    CHECK_EQ(from_alice->fee, 0);
    CHECK(strcmp(from_alice->memo, "Fresh eggs") == 0);
    CHECK_EQ(history_balance(entries, count), 997);
    CHECK_EQ(history_balance(entries, count), env_balance(&env, BOB));

    /* The fee account received every fee: 10 + 3 + 24. */
    tally_key fees = tally_system_key(ENV_NET, TALLY_SYSTEM_FEES);
    count = history_all(&env, &fees, 100, entries, 64);
    CHECK_EQ(count, 2 + ENV_PAGE_PAYMENTS);
    CHECK_EQ(history_balance(entries, count), 37);

    /* CAROL: the pool deposit (0 credits), +300, the join. */
    count = history_all(&env, &env.actors[CAROL].key, 100, entries, 64);
    CHECK_EQ(count, 3);
    CHECK_EQ(entries[0].type, TALLY_TX_POOL_DEPOSIT);
    /* the deposit's reserve paid in and shares made, from its result (the first
     * deposit of a pool: one share per reserve unit); a transfer carries none */
    CHECK_EQ(entries[0].reserve, 500);
    CHECK_EQ(entries[0].shares, 500);
    CHECK_EQ(entries[1].amount, 300);
    CHECK_EQ(entries[1].reserve, 0);
    CHECK_EQ(entries[1].shares, 0);
    CHECK_EQ(history_balance(entries, count), 300);

    /* Another network, an unknown key: nothing. */
    uint32_t none = 99;
    uint64_t next = 99;
    char why[INDEX_WHY_BYTES];
    CHECK(index_history(env.index, 2, &env.actors[ALICE].key, 0, 10, entries, &none, &next, why,
                        sizeof why) == INDEX_OK);
    CHECK_EQ(none, 0);
    CHECK_EQ(next, 0);
    CHECK(index_history(env.index, ENV_NET, &env.actors[9].key, 0, 10, entries, &none, &next, why,
                        sizeof why) == INDEX_OK);
    CHECK_EQ(none, 0);
    /* Page sizes out of range. */
    CHECK(index_history(env.index, ENV_NET, &env.actors[ALICE].key, 0, 0, entries, &none, &next, why,
                        sizeof why) == INDEX_ERR_BAD_ARGUMENT);
    CHECK(index_history(env.index, ENV_NET, &env.actors[ALICE].key, 0, INDEX_HISTORY_LIMIT_MAX + 1, entries,
                        &none, &next, why, sizeof why) == INDEX_ERR_BAD_ARGUMENT);
    env_free(&env);
}

TEST(index_history_pages_with_cursors) {
    static index_env env;
    if (!env_scenario_started(&env)) {
        test_fail(__FILE__, __LINE__, "scenario");
        env_free(&env);
        return;
    }
    static index_history_entry page[3][10];
    uint32_t counts[3] = {0, 0, 0};
    uint64_t cursors[3] = {0, 0, 0};
    char why[INDEX_WHY_BYTES];
    const tally_key *alice = &env.actors[ALICE].key;
    CHECK(index_history(env.index, ENV_NET, alice, 0, 10, page[0], &counts[0], &cursors[0], why,
                        sizeof why) == INDEX_OK);
    CHECK_EQ(counts[0], 10);
    CHECK_EQ(cursors[0], page[0][9].cursor);

    /* A block added between pages does not shift them: new entries are newer. */
    tally_tx late = env_payment(&env, ALICE, BOB, 77, "late");
    CHECK(env_produce(&env, &late, 1, true));

    CHECK(index_history(env.index, ENV_NET, alice, cursors[0], 10, page[1], &counts[1], &cursors[1], why,
                        sizeof why) == INDEX_OK);
    CHECK_EQ(counts[1], 10);
    CHECK(index_history(env.index, ENV_NET, alice, cursors[1], 10, page[2], &counts[2], &cursors[2], why,
                        sizeof why) == INDEX_OK);
    CHECK_EQ(counts[2], 8);
    CHECK_EQ(cursors[2], 0); /* no older page */
    for (uint32_t i = 0; i < 10; i++) {
        CHECK_EQ(page[0][i].amount, -(int64_t)(24 - i));
        CHECK_EQ(page[1][i].amount, -(int64_t)(14 - i));
        CHECK_EQ(page[0][i].fee, 1);
    }
    for (uint32_t i = 0; i < 4; i++) CHECK_EQ(page[2][i].amount, -(int64_t)(4 - i));
    CHECK_EQ(page[2][4].amount, -1000);
    CHECK_EQ(page[2][4].fee, 10);
    CHECK_EQ(page[2][5].type, TALLY_TX_ALIAS_SET);
    CHECK_EQ(page[2][6].type, TALLY_TX_LINE_OPEN);
    CHECK_EQ(page[2][7].type, TALLY_TX_MEMBER_JOIN);
    CHECK(page[1][0].cursor < page[0][9].cursor);
    CHECK(page[2][0].cursor < page[1][9].cursor);

    /* From the newest again: the late payment is first now. */
    uint32_t count = 0;
    uint64_t next = 0;
    CHECK(index_history(env.index, ENV_NET, alice, 0, 1, page[0], &count, &next, why, sizeof why) ==
          INDEX_OK);
    CHECK_EQ(count, 1);
    CHECK_EQ(page[0][0].amount, -77);
    CHECK(strcmp(page[0][0].memo, "late") == 0);
    CHECK_EQ(next, page[0][0].cursor);
    /* A page exactly as long as what is left has no next page. */
    CHECK(index_history(env.index, ENV_NET, alice, cursors[1], 8, page[2], &count, &next, why, sizeof why) ==
          INDEX_OK);
    CHECK_EQ(count, 8);
    CHECK_EQ(next, 0);
    env_free(&env);
}

TEST(index_tx_status_by_id) {
    static index_env env;
    if (!env_scenario_started(&env)) {
        test_fail(__FILE__, __LINE__, "scenario");
        env_free(&env);
        return;
    }
    static index_tx tx;
    bool found = false;
    char why[INDEX_WHY_BYTES];
    CHECK(index_tx_status(env.index, env.first_payment_id, &tx, &found, why, sizeof why) == INDEX_OK);
    CHECK(found);
    CHECK(memcmp(tx.id, env.first_payment_id, TALLY_HASH_BYTES) == 0);
    CHECK_EQ(tx.height, 3);
    CHECK_EQ(tx.position, 0);
    CHECK_EQ(tx.time, WORLD_START_TIME + 3 * 60);
    CHECK_EQ(tx.type, TALLY_TX_TRANSFER);
    CHECK(memcmp(tx.signer.bytes, env.actors[ALICE].key.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_EQ(tx.sequence, env.first_payment.sequence);
    CHECK(tx.has_network);
    CHECK_EQ(tx.network_id, ENV_NET);
    CHECK(!tx.has_asset);
    CHECK_CODE(tx.result.code, TALLY_OK);
    CHECK_EQ(tx.result.fee, 10);
    CHECK_EQ(tx.result.minted, 1010);
    CHECK_EQ(tx.result.burned, 0);
    uint8_t encoded[TALLY_TX_ENCODED_MAX];
    size_t length = tally_tx_encode(&env.first_payment, encoded, sizeof encoded);
    CHECK_EQ(tx.encoded_length, length);
    CHECK(memcmp(tx.encoded, encoded, length) == 0);
    tally_tx decoded;
    CHECK_CODE(tally_tx_decode(tx.encoded, tx.encoded_length, &decoded), TALLY_OK);
    CHECK(tally_tx_verify(&decoded));

    /* An unknown id: not found, and no error. */
    uint8_t unknown[TALLY_HASH_BYTES];
    memcpy(unknown, env.first_payment_id, sizeof unknown);
    unknown[0] ^= 1;
    found = true;
    CHECK(index_tx_status(env.index, unknown, &tx, &found, why, sizeof why) == INDEX_OK);
    CHECK(!found);

    /* The asset it created names the asset, not a network. */
    tally_block block;
    tally_block_init(&block);
    tally_chain_failure failure;
    CHECK(tally_blocklog_read(tally_store_log(env.store), SCENARIO_TIP, &block, &failure) == TALLY_CHAIN_OK);
    uint8_t id[TALLY_HASH_BYTES];
    tally_tx_hash(&block.txs[0], id);
    CHECK(index_tx_status(env.index, id, &tx, &found, why, sizeof why) == INDEX_OK);
    CHECK(found && tx.type == TALLY_TX_ASSET_CREATE && tx.has_asset && tx.asset_id == ENV_USD &&
          !tx.has_network);
    tally_block_release(&block);

    uint64_t blocks = 0, transactions = 0;
    index_counts(env.index, &blocks, &transactions);
    CHECK_EQ(blocks, SCENARIO_TIP + 1);
    CHECK_EQ(transactions, SCENARIO_TXS);
    CHECK_EQ(index_height(env.index), SCENARIO_TIP);
    env_free(&env);
}

/* Every kind of answer, to compare two indexes of the same log. */
typedef struct {
    index_history_entry alice[64];
    uint32_t alice_count;
    index_history_entry bob[64];
    uint32_t bob_count;
    index_history_entry fees[64];
    uint32_t fees_count;
    index_asset_entry carol_usd[16];
    uint32_t carol_usd_count;
    uint64_t carol_usd_next;
    index_tx payment;
    bool payment_found;
    index_block_row blocks[16];
    uint32_t block_count;
    index_match matches[8];
    uint32_t match_count;
    uint64_t counted_blocks, counted_txs, height;
} index_answers;

static void answers_collect(index_env *env, index_answers *answers) {
    memset(answers, 0, sizeof *answers);
    char why[INDEX_WHY_BYTES];
    answers->alice_count = history_all(env, &env->actors[ALICE].key, 7, answers->alice, 64);
    answers->bob_count = history_all(env, &env->actors[BOB].key, 500, answers->bob, 64);
    tally_key fees = tally_system_key(ENV_NET, TALLY_SYSTEM_FEES);
    answers->fees_count = history_all(env, &fees, 100, answers->fees, 64);
    CHECK(index_asset_history(env->index, ENV_USD, &env->actors[CAROL].key, 0, 16, answers->carol_usd,
                              &answers->carol_usd_count, &answers->carol_usd_next, why,
                              sizeof why) == INDEX_OK);
    CHECK(index_tx_status(env->index, env->first_payment_id, &answers->payment, &answers->payment_found, why,
                          sizeof why) == INDEX_OK);
    CHECK(index_blocks(env->index, 0, 16, answers->blocks, &answers->block_count, why, sizeof why) ==
          INDEX_OK);
    CHECK(index_search(env->index, ENV_NET, "egg", 3, 8, answers->matches, &answers->match_count, why,
                       sizeof why) == INDEX_OK);
    index_counts(env->index, &answers->counted_blocks, &answers->counted_txs);
    answers->height = index_height(env->index);
}

static void answers_check_equal(const index_answers *a, const index_answers *b) {
    CHECK_EQ(a->alice_count, b->alice_count);
    CHECK(memcmp(a->alice, b->alice, sizeof a->alice) == 0);
    CHECK_EQ(a->bob_count, b->bob_count);
    CHECK(memcmp(a->bob, b->bob, sizeof a->bob) == 0);
    CHECK_EQ(a->fees_count, b->fees_count);
    CHECK(memcmp(a->fees, b->fees, sizeof a->fees) == 0);
    CHECK_EQ(a->carol_usd_count, b->carol_usd_count);
    CHECK(memcmp(a->carol_usd, b->carol_usd, sizeof a->carol_usd) == 0);
    CHECK(a->payment_found && b->payment_found);
    CHECK(memcmp(&a->payment, &b->payment, sizeof a->payment) == 0);
    CHECK_EQ(a->block_count, b->block_count);
    CHECK(memcmp(a->blocks, b->blocks, sizeof a->blocks) == 0);
    CHECK_EQ(a->match_count, b->match_count);
    CHECK(memcmp(a->matches, b->matches, sizeof a->matches) == 0);
    CHECK_EQ(a->counted_blocks, b->counted_blocks);
    CHECK_EQ(a->counted_txs, b->counted_txs);
    CHECK_EQ(a->height, b->height);
}

typedef struct {
    uint64_t calls;
    uint64_t last_height;
    uint64_t total;
} progress_log;

static void progress_collect(void *context, uint64_t height, uint64_t total) {
    progress_log *log = context;
    log->calls++;
    log->last_height = height;
    log->total = total;
}

TEST(index_rebuild_from_log_gives_identical_answers) {
    static index_env env;
    if (!env_scenario_started(&env)) {
        test_fail(__FILE__, __LINE__, "scenario");
        env_free(&env);
        return;
    }
    static index_answers before, after, fresh;
    answers_collect(&env, &before);
    CHECK_EQ(before.alice_count, 4 + ENV_PAGE_PAYMENTS);
    CHECK_EQ(before.block_count, SCENARIO_TIP + 1);
    CHECK_EQ(before.match_count, 2); /* "Fresh eggs" and the injection memo */
    CHECK_EQ(before.carol_usd_count, 2);

    /* Rebuild in place. */
    char why[INDEX_WHY_BYTES];
    index_catch_up_summary summary;
    progress_log progress = {0, 0, 0};
    CHECK(index_rebuild(env.index, tally_store_log(env.store), progress_collect, &progress, &summary, why,
                        sizeof why) == INDEX_OK);
    CHECK(summary.rebuilt);
    CHECK_EQ(summary.blocks, SCENARIO_TIP + 1);
    CHECK_EQ(summary.transactions, SCENARIO_TXS);
    CHECK_EQ(progress.calls, SCENARIO_TIP + 1);
    CHECK_EQ(progress.last_height, SCENARIO_TIP);
    CHECK_EQ(progress.total, SCENARIO_TIP + 1);
    answers_collect(&env, &after);
    answers_check_equal(&before, &after);

    /* A deleted index: a new file caught up from the log. */
    index_close(env.index);
    env.index = NULL;
    char path[600];
    snprintf(path, sizeof path, "%s", env.index_path);
    remove(path);
    snprintf(path, sizeof path, "%s-wal", env.index_path);
    remove(path);
    snprintf(path, sizeof path, "%s-shm", env.index_path);
    remove(path);
    CHECK(index_open(env.index_path, &env.index, why, sizeof why) == INDEX_OK);
    if (!env.index) {
        env_free(&env);
        return;
    }
    CHECK_EQ(index_height(env.index), TALLY_NO_HEIGHT);
    CHECK(index_catch_up(env.index, tally_store_log(env.store), NULL, NULL, &summary, why, sizeof why) ==
          INDEX_OK);
    CHECK(!summary.rebuilt);
    CHECK_EQ(summary.blocks, SCENARIO_TIP + 1);
    answers_collect(&env, &fresh);
    answers_check_equal(&before, &fresh);
    env_free(&env);
}

TEST(index_refuses_blocks_out_of_order) {
    static index_env env;
    if (!env_scenario_started(&env)) {
        test_fail(__FILE__, __LINE__, "scenario");
        env_free(&env);
        return;
    }
    static index_answers before, after;
    answers_collect(&env, &before);
    char why[INDEX_WHY_BYTES];

    /* The same block again, and an older one. */
    CHECK(index_add_block(env.index, &env.block, why, sizeof why) == INDEX_ERR_NOT_NEXT);
    CHECK(strstr(why, "not the next block") != NULL);
    tally_block old;
    tally_block_init(&old);
    tally_chain_failure failure;
    CHECK(tally_blocklog_read(tally_store_log(env.store), 2, &old, &failure) == TALLY_CHAIN_OK);
    CHECK(index_add_block(env.index, &old, why, sizeof why) == INDEX_ERR_NOT_NEXT);

    /* A block that skips one. */
    tally_tx payment = env_payment(&env, ALICE, BOB, 5, NULL);
    CHECK(env_produce(&env, &payment, 1, false)); /* height 8, not indexed */
    payment = env_payment(&env, ALICE, BOB, 6, NULL);
    CHECK(env_produce(&env, &payment, 1, false)); /* height 9 */
    CHECK(index_add_block(env.index, &env.block, why, sizeof why) == INDEX_ERR_NOT_NEXT);

    /* The next height, but not linked to the indexed tip. */
    tally_block forged = env.block; /* shares the arrays: never released */
    forged.header.height = SCENARIO_TIP + 1;
    CHECK(index_add_block(env.index, &forged, why, sizeof why) == INDEX_ERR_NOT_LINKED);

    answers_collect(&env, &after);
    answers_check_equal(&before, &after);

    /* Re-adding in order repairs it (what the node does after a crash). */
    CHECK(tally_blocklog_read(tally_store_log(env.store), SCENARIO_TIP + 1, &old, &failure) ==
          TALLY_CHAIN_OK);
    CHECK(index_add_block(env.index, &old, why, sizeof why) == INDEX_OK);
    CHECK(index_add_block(env.index, &env.block, why, sizeof why) == INDEX_OK);
    CHECK_EQ(index_height(env.index), SCENARIO_TIP + 2);
    tally_block_release(&old);
    env_free(&env);
}

TEST(index_catch_up_repairs_and_rebuilds) {
    static index_env env, other;
    if (!env_scenario_started(&env)) {
        test_fail(__FILE__, __LINE__, "scenario");
        env_free(&env);
        return;
    }
    char why[INDEX_WHY_BYTES];
    index_catch_up_summary summary;
    /* Nothing to do. */
    CHECK(index_catch_up(env.index, tally_store_log(env.store), NULL, NULL, &summary, why, sizeof why) ==
          INDEX_OK);
    CHECK_EQ(summary.blocks, 0);
    CHECK(!summary.rebuilt);

    /* A crash after the log's append, before the index: the block is added. */
    tally_tx txs[2] = {env_payment(&env, ALICE, CAROL, 40, "after the crash"),
                       env_payment(&env, BOB, CAROL, 2, NULL)};
    CHECK(env_produce(&env, txs, 2, false));
    CHECK(index_catch_up(env.index, tally_store_log(env.store), NULL, NULL, &summary, why, sizeof why) ==
          INDEX_OK);
    CHECK_EQ(summary.blocks, 1);
    CHECK_EQ(summary.transactions, 2);
    CHECK(!summary.rebuilt);
    CHECK_EQ(index_height(env.index), SCENARIO_TIP + 1);
    static index_history_entry entries[4];
    uint32_t count = 0;
    uint64_t next = 0;
    CHECK(index_history(env.index, ENV_NET, &env.actors[CAROL].key, 0, 2, entries, &count, &next, why,
                        sizeof why) == INDEX_OK);
    CHECK_EQ(count, 2);
    CHECK_EQ(entries[0].amount, 2);
    CHECK_EQ(entries[1].amount, 40);
    CHECK(strcmp(entries[1].memo, "after the crash") == 0);

    /* The log of another chain: the index does not match it and is rebuilt. */
    env_start(&other, "another-chain");
    if (other.store) {
        CHECK(index_catch_up(env.index, tally_store_log(other.store), NULL, NULL, &summary, why,
                             sizeof why) == INDEX_OK);
        CHECK(summary.rebuilt);
        CHECK_EQ(summary.blocks, 1);
        CHECK_EQ(index_height(env.index), 0);
        index_block_row row;
        CHECK(index_blocks(env.index, 0, 1, &row, &count, why, sizeof why) == INDEX_OK);
        CHECK_EQ(count, 1);
        CHECK(memcmp(row.hash, tally_store_tip(other.store)->hash, TALLY_HASH_BYTES) == 0);
        /* and back */
        CHECK(index_catch_up(env.index, tally_store_log(env.store), NULL, NULL, &summary, why, sizeof why) ==
              INDEX_OK);
        CHECK(summary.rebuilt);
        CHECK_EQ(index_height(env.index), SCENARIO_TIP + 1);
    }
    env_free(&other);
    env_free(&env);
}

static bool sql_run(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    bool ok = sqlite3_open(path, &db) == SQLITE_OK && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
}

static int64_t sql_integer(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    sqlite3_stmt *statement = NULL;
    int64_t value = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &statement, NULL) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW)
        value = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return value;
}

TEST(index_of_an_old_schema_version_is_rebuilt) {
    static index_env env;
    if (!env_scenario_started(&env)) {
        test_fail(__FILE__, __LINE__, "scenario");
        env_free(&env);
        return;
    }
    static index_answers before, after;
    answers_collect(&env, &before);
    index_close(env.index);
    env.index = NULL;
    CHECK_EQ(sql_integer(env.index_path, "PRAGMA user_version"), INDEX_SCHEMA_VERSION);
    CHECK_EQ(sql_integer(env.index_path, "PRAGMA application_id"), INDEX_APPLICATION_ID);
    CHECK_EQ(
        sql_integer(env.index_path, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"),
        1);
    CHECK(sql_run(env.index_path,
                  "PRAGMA user_version = 0; CREATE TABLE legacy(x); INSERT INTO legacy VALUES (1)"));

    char why[INDEX_WHY_BYTES];
    CHECK(index_open(env.index_path, &env.index, why, sizeof why) == INDEX_OK);
    if (!env.index) {
        env_free(&env);
        return;
    }
    CHECK_EQ(index_height(env.index), TALLY_NO_HEIGHT);
    uint64_t blocks = 9, transactions = 9;
    index_counts(env.index, &blocks, &transactions);
    CHECK_EQ(blocks, 0);
    CHECK_EQ(transactions, 0);
    index_catch_up_summary summary;
    CHECK(index_catch_up(env.index, tally_store_log(env.store), NULL, NULL, &summary, why, sizeof why) ==
          INDEX_OK);
    CHECK_EQ(summary.blocks, SCENARIO_TIP + 1);
    answers_collect(&env, &after);
    answers_check_equal(&before, &after);
    index_close(env.index);
    env.index = NULL;
    CHECK_EQ(sql_integer(env.index_path, "SELECT count(*) FROM sqlite_master WHERE name = 'legacy'"), 0);
    CHECK_EQ(sql_integer(env.index_path, "PRAGMA user_version"), INDEX_SCHEMA_VERSION);
    env_free(&env);
}

TEST(index_refuses_files_that_are_not_an_index) {
    char directory[TEMP_DIR_BYTES], path[512];
    temp_dir_make(directory);
    char why[INDEX_WHY_BYTES];
    tally_index *index = NULL;

    /* Another application's database: refused and left as it was. */
    path_join(path, sizeof path, directory, "other.sqlite");
    CHECK(sql_run(path, "CREATE TABLE precious(x); INSERT INTO precious VALUES (42)"));
    CHECK(index_open(path, &index, why, sizeof why) == INDEX_ERR_NOT_AN_INDEX);
    CHECK(index == NULL);
    CHECK(strstr(why, "not a Tally index") != NULL);
    CHECK_EQ(sql_integer(path, "SELECT x FROM precious"), 42);

    /* Not a database at all. */
    path_join(path, sizeof path, directory, "notes.txt");
    static const char text[] = "these are notes, not a database; SQLite must not touch them, nor the index.\n"
                               "0123456789012345678901234567890123456789012345678901234567890123456789\n";
    CHECK(file_put(path, (const uint8_t *)text, sizeof text - 1));
    CHECK(index_open(path, &index, why, sizeof why) == INDEX_ERR_NOT_AN_INDEX);
    CHECK(index == NULL);
    size_t length = 0;
    uint8_t *bytes = file_bytes(path, &length);
    CHECK(bytes && length == sizeof text - 1 && memcmp(bytes, text, length) == 0);
    free(bytes);

    /* A directory that does not exist. */
    path_join(path, sizeof path, directory, "missing/index.sqlite");
    CHECK(index_open(path, &index, why, sizeof why) == INDEX_ERR_DATABASE);
    CHECK(index == NULL);
    CHECK(strcmp(index_error_name(INDEX_ERR_NOT_LINKED), "NOT_LINKED") == 0);
    CHECK(strcmp(index_error_name((index_error)999), "?") == 0);
    temp_dir_remove(directory);
}

TEST(index_memo_that_looks_like_sql_is_stored_verbatim) {
    static index_env env;
    if (!env_scenario_started(&env)) {
        test_fail(__FILE__, __LINE__, "scenario");
        env_free(&env);
        return;
    }
    static index_history_entry entries[64];
    uint32_t count = history_all(&env, &env.actors[CAROL].key, 100, entries, 64);
    CHECK_EQ(count, 3);
    CHECK_EQ(entries[1].amount, 300);
    CHECK_EQ(entries[1].memo_length, strlen(injection_memo));
    CHECK(strcmp(entries[1].memo, injection_memo) == 0);
    count = history_all(&env, &env.actors[BOB].key, 100, entries, 64);
    CHECK(strcmp(entries[ENV_PAGE_PAYMENTS].memo, injection_memo) == 0);

    /* Every table is still there and whole. */
    uint64_t blocks = 0, transactions = 0;
    index_counts(env.index, &blocks, &transactions);
    CHECK_EQ(transactions, SCENARIO_TXS);
    CHECK_EQ(sql_integer(env.index_path, "SELECT count(*) FROM txs"), SCENARIO_TXS);
    CHECK_EQ(sql_integer(env.index_path, "SELECT count(*) FROM txs WHERE memo IS NOT NULL"), 2);

    /* Search text is data too: quotes, stars, FTS5 operators, SQL. */
    static index_match matches[8];
    char why[INDEX_WHY_BYTES];
    CHECK(index_search(env.index, ENV_NET, "drop TABLE", 10, 8, matches, &count, why, sizeof why) ==
          INDEX_OK);
    CHECK_EQ(count, 1);
    CHECK_EQ(matches[0].kind, INDEX_MATCH_MEMO);
    CHECK(strcmp(matches[0].text, injection_memo) == 0);
    CHECK(memcmp(matches[0].key.bytes, env.actors[BOB].key.bytes, TALLY_KEY_BYTES) == 0);
    CHECK(matches[0].has_counterparty &&
          memcmp(matches[0].counterparty.bytes, env.actors[CAROL].key.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_EQ(matches[0].height, 3);
    CHECK(index_search(env.index, ENV_NET, injection_memo, strlen(injection_memo), 8, matches, &count, why,
                       sizeof why) == INDEX_OK);
    CHECK_EQ(count, 1);
    static const char *const hostile[] = {"\"", "*", "NEAR(", "eggs OR", "a\"b",     "'", "--",
                                          ")",  "^", ":",     "text:x",  "\"\"\"\"", "%", "_"};
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        index_error error = index_search(env.index, ENV_NET, hostile[i], strlen(hostile[i]), 8, matches,
                                         &count, why, sizeof why);
        if (error != INDEX_OK) test_fail(__FILE__, __LINE__, why);
    }
    CHECK(index_search(env.index, ENV_NET, "*", 1, 8, matches, &count, why, sizeof why) == INDEX_OK);
    CHECK_EQ(count, 0);
    env_free(&env);
}

TEST(index_search_memos_and_current_aliases) {
    static index_env env;
    if (!env_scenario_started(&env)) {
        test_fail(__FILE__, __LINE__, "scenario");
        env_free(&env);
        return;
    }
    static index_match matches[8];
    uint32_t count = 0;
    char why[INDEX_WHY_BYTES];
    CHECK(index_search(env.index, ENV_NET, "EGG fresh", 9, 8, matches, &count, why, sizeof why) == INDEX_OK);
    CHECK_EQ(count, 1);
    CHECK_EQ(matches[0].kind, INDEX_MATCH_MEMO);
    CHECK(memcmp(matches[0].tx_id, env.first_payment_id, TALLY_HASH_BYTES) == 0);
    CHECK(index_search(env.index, ENV_NET, "ali", 3, 8, matches, &count, why, sizeof why) == INDEX_OK);
    CHECK_EQ(count, 1);
    CHECK_EQ(matches[0].kind, INDEX_MATCH_ALIAS);
    CHECK(strcmp(matches[0].text, "alice") == 0);
    CHECK(memcmp(matches[0].key.bytes, env.actors[ALICE].key.bytes, TALLY_KEY_BYTES) == 0);
    CHECK(!matches[0].has_counterparty);
    CHECK(index_search(env.index, 2, "ali", 3, 8, matches, &count, why, sizeof why) == INDEX_OK);
    CHECK_EQ(count, 0); /* another network */

    /* ALICE renames herself, DAVE joins, takes an alias and leaves; accents fold. */
    tally_tx txs[5];
    txs[0] = env_alias(&env, ALICE, "alicia");
    txs[1] = env_network_only(&env, DAVE, TALLY_TX_MEMBER_JOIN);
    txs[2] = env_alias(&env, DAVE, "dave");
    txs[3] = env_network_only(&env, DAVE, TALLY_TX_MEMBER_LEAVE);
    txs[4] = env_payment(&env, BOB, CAROL, 7, "Crème brûlée");
    CHECK(env_produce(&env, txs, 5, true));
    CHECK(index_search(env.index, ENV_NET, "alice", 5, 8, matches, &count, why, sizeof why) == INDEX_OK);
    CHECK_EQ(count, 0);
    CHECK(index_search(env.index, ENV_NET, "alic", 4, 8, matches, &count, why, sizeof why) == INDEX_OK);
    CHECK_EQ(count, 1);
    CHECK(strcmp(matches[0].text, "alicia") == 0);
    CHECK(index_search(env.index, ENV_NET, "dave", 4, 8, matches, &count, why, sizeof why) == INDEX_OK);
    CHECK_EQ(count, 0);
    CHECK(index_search(env.index, ENV_NET, "creme brulee", 12, 8, matches, &count, why, sizeof why) ==
          INDEX_OK);
    CHECK_EQ(count, 1);
    CHECK(strcmp(matches[0].text, "Crème brûlée") == 0);
    /* A page at a time: "e" finds every memo and alias with a word starting with e
     * (at least 2); walking pages of one by their cursors gives the same matches, in
     * the same order, as one page of all, then a short page ends it. */
    static index_match all[8];
    uint32_t all_count = 0;
    uint64_t next = 1;
    CHECK(index_search_page(env.index, ENV_NET, "e", 1, 0, 8, all, &all_count, &next, why, sizeof why) == INDEX_OK);
    CHECK(all_count >= 2 && all_count < 8);
    CHECK_EQ(next, 0);
    uint64_t cursor = 0;
    uint32_t walked = 0;
    for (int page = 0; page < 16; page++) {
        CHECK(index_search_page(env.index, ENV_NET, "e", 1, cursor, 1, matches, &count, &next, why, sizeof why) ==
              INDEX_OK);
        if (count == 1 && walked < all_count) {
            CHECK_EQ(matches[0].cursor, all[walked].cursor);
            CHECK(memcmp(matches[0].tx_id, all[walked].tx_id, TALLY_HASH_BYTES) == 0);
            walked++;
        }
        if (count == 1) CHECK_EQ(next, matches[0].cursor);
        else CHECK_EQ(next, 0);
        if (!next) break;
        cursor = next;
    }
    CHECK_EQ(walked, all_count);
    for (uint32_t i = 1; i < all_count; i++) CHECK(all[i].cursor < all[i - 1].cursor);
    /* Bounds. */
    char long_text[INDEX_SEARCH_TEXT_MAX + 1];
    memset(long_text, 'a', sizeof long_text);
    CHECK(index_search(env.index, ENV_NET, long_text, sizeof long_text, 8, matches, &count, why,
                       sizeof why) == INDEX_ERR_BAD_ARGUMENT);
    CHECK(index_search(env.index, ENV_NET, long_text, INDEX_SEARCH_TEXT_MAX, 8, matches, &count, why,
                       sizeof why) == INDEX_OK);
    CHECK(index_search(env.index, ENV_NET, "egg", 3, 0, matches, &count, why, sizeof why) ==
          INDEX_ERR_BAD_ARGUMENT);
    CHECK(index_search(env.index, ENV_NET, "", 0, 8, matches, &count, why, sizeof why) == INDEX_OK);
    CHECK_EQ(count, 0);
    env_free(&env);
}

TEST(index_asset_history_and_blocks) {
    static index_env env;
    if (!env_scenario_started(&env)) {
        test_fail(__FILE__, __LINE__, "scenario");
        env_free(&env);
        return;
    }
    static index_asset_entry entries[8];
    uint32_t count = 0;
    uint64_t next = 0;
    char why[INDEX_WHY_BYTES];
    CHECK(index_asset_history(env.index, ENV_USD, &env.actors[ALICE].key, 0, 8, entries, &count, &next, why,
                              sizeof why) == INDEX_OK);
    CHECK_EQ(count, 2);
    CHECK_EQ(next, 0);
    CHECK_EQ(entries[0].type, TALLY_TX_ASSET_TRANSFER);
    CHECK_EQ(entries[0].amount, -1000);
    CHECK(memcmp(entries[0].counterparty.bytes, env.actors[CAROL].key.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_EQ(entries[1].type, TALLY_TX_ASSET_ISSUE);
    CHECK_EQ(entries[1].amount, 5000);
    CHECK(memcmp(entries[1].counterparty.bytes, env.actors[BANK].key.bytes, TALLY_KEY_BYTES) == 0);

    /* CAROL's deposit went to the pool in the peg's asset, set in the same block. */
    CHECK(index_asset_history(env.index, ENV_USD, &env.actors[CAROL].key, 0, 1, entries, &count, &next, why,
                              sizeof why) == INDEX_OK);
    CHECK_EQ(count, 1);
    CHECK_EQ(entries[0].type, TALLY_TX_POOL_DEPOSIT);
    CHECK_EQ(entries[0].amount, -500);
    tally_key pool = tally_system_key(ENV_NET, TALLY_SYSTEM_POOL);
    CHECK(memcmp(entries[0].counterparty.bytes, pool.bytes, TALLY_KEY_BYTES) == 0);
    CHECK(next != 0);
    CHECK(index_asset_history(env.index, ENV_USD, &env.actors[CAROL].key, next, 8, entries, &count, &next,
                              why, sizeof why) == INDEX_OK);
    CHECK_EQ(count, 1);
    CHECK_EQ(entries[0].amount, 1000);
    CHECK(index_asset_history(env.index, ENV_USD, &pool, 0, 8, entries, &count, &next, why, sizeof why) ==
          INDEX_OK);
    CHECK_EQ(count, 1);
    CHECK_EQ(entries[0].amount, 500);
    CHECK_EQ(tally_state_asset_balance(tally_store_state(env.store), ENV_USD, &pool), 500);
    CHECK(index_asset_history(env.index, ENV_USD, &env.actors[BANK].key, 0, 8, entries, &count, &next, why,
                              sizeof why) == INDEX_OK);
    CHECK_EQ(count, 1);
    CHECK_EQ(entries[0].type, TALLY_TX_ASSET_CREATE);

    static index_block_row rows[16];
    CHECK(index_blocks(env.index, 0, 16, rows, &count, why, sizeof why) == INDEX_OK);
    CHECK_EQ(count, SCENARIO_TIP + 1);
    for (uint32_t i = 0; i < count; i++) {
        CHECK_EQ(rows[i].header.height, i);
        uint8_t hash[TALLY_HASH_BYTES];
        tally_block_hash(&rows[i].header, hash);
        CHECK(memcmp(hash, rows[i].hash, TALLY_HASH_BYTES) == 0);
        if (i > 0) CHECK(memcmp(rows[i].header.prev_hash, rows[i - 1].hash, TALLY_HASH_BYTES) == 0);
    }
    CHECK(memcmp(rows[SCENARIO_TIP].hash, tally_store_tip(env.store)->hash, TALLY_HASH_BYTES) == 0);
    CHECK_EQ(rows[3].header.tx_count, 2);
    CHECK(index_blocks(env.index, 5, 2, rows, &count, why, sizeof why) == INDEX_OK);
    CHECK_EQ(count, 2);
    CHECK_EQ(rows[0].header.height, 5);
    CHECK(index_blocks(env.index, 100, 2, rows, &count, why, sizeof why) == INDEX_OK);
    CHECK_EQ(count, 0);
    CHECK(index_blocks(env.index, 0, INDEX_BLOCKS_LIMIT_MAX + 1, rows, &count, why, sizeof why) ==
          INDEX_ERR_BAD_ARGUMENT);
    env_free(&env);
}

TEST(index_failed_block_is_rolled_back) {
    static index_env env;
    if (!env_scenario_started(&env)) {
        test_fail(__FILE__, __LINE__, "scenario");
        env_free(&env);
        return;
    }
    static index_answers before, after;
    answers_collect(&env, &before);
    tally_tx txs[2] = {env_payment(&env, ALICE, BOB, 11, "first"), env_payment(&env, BOB, CAROL, 12, NULL)};
    CHECK(env_produce(&env, txs, 2, false)); /* the real next block, not indexed yet */
    char why[INDEX_WHY_BYTES];

    /* The same transaction twice: the second insert fails after the first went in. */
    tally_block twice = env.block; /* shares the header; own arrays below, never released */
    tally_tx doubled[2] = {env.block.txs[0], env.block.txs[0]};
    tally_result results[2] = {env.block.results[0], env.block.results[0]};
    twice.txs = doubled;
    twice.results = results;
    CHECK(index_add_block(env.index, &twice, why, sizeof why) == INDEX_ERR_DATABASE);
    CHECK(strstr(why, "UNIQUE") != NULL);

    /* A transaction that cannot be encoded. */
    tally_tx broken[1] = {env.block.txs[0]};
    broken[0].type = 0;
    twice.header.tx_count = 1;
    twice.txs = broken;
    CHECK(index_add_block(env.index, &twice, why, sizeof why) == INDEX_ERR_BAD_BLOCK);

    /* Nothing of either stayed. */
    answers_collect(&env, &after);
    answers_check_equal(&before, &after);
    uint8_t id[TALLY_HASH_BYTES];
    tally_tx_hash(&env.block.txs[0], id);
    static index_tx tx;
    bool found = true;
    CHECK(index_tx_status(env.index, id, &tx, &found, why, sizeof why) == INDEX_OK);
    CHECK(!found);

    /* The real block goes in. */
    CHECK(index_add_block(env.index, &env.block, why, sizeof why) == INDEX_OK);
    CHECK(index_tx_status(env.index, id, &tx, &found, why, sizeof why) == INDEX_OK);
    CHECK(found && tx.height == SCENARIO_TIP + 1);
    uint64_t blocks = 0, transactions = 0;
    index_counts(env.index, &blocks, &transactions);
    CHECK_EQ(blocks, SCENARIO_TIP + 2);
    CHECK_EQ(transactions, SCENARIO_TXS + 2);
    env_free(&env);
}

TEST(index_history_shows_each_line_of_a_batch_payment) {
    static index_env env;
    if (!env_scenario_started(&env)) {
        test_fail(__FILE__, __LINE__, "scenario");
        env_free(&env);
        return;
    }
    /* ALICE pays BOB 100 "wages", CAROL 50 and BOB 25 "bonus, March" in one batch:
     * fees 1 + 1 + 1 at 1%, rounded up. */
    tally_tx batch = env_tx(&env, ALICE, TALLY_TX_TRANSFER_BATCH);
    batch.body.transfer_batch.network_id = ENV_NET;
    batch.body.transfer_batch.max_fee = 10;
    REQUIRE(tally_tx_batch_reserve(&batch, 3));
    const struct {
        uint32_t payee;
        int64_t amount;
        const char *memo;
    } lines[3] = {{BOB, 100, "wages"}, {CAROL, 50, ""}, {BOB, 25, "bonus, March"}};
    for (unsigned i = 0; i < 3; i++) {
        tally_batch_line *line = &batch.body.transfer_batch.lines[i];
        line->payee = env.actors[lines[i].payee].key;
        line->amount = lines[i].amount;
        line->memo.length = (uint16_t)strlen(lines[i].memo);
        memcpy(line->memo.bytes, lines[i].memo, line->memo.length);
    }
    env_sign(&env, &batch, ALICE);
    int64_t alice_before = env_balance(&env, ALICE);
    REQUIRE(env_produce(&env, &batch, 1, true));
    CHECK_EQ(env_balance(&env, ALICE), alice_before - 175 - 3);

    /* ALICE: each line (newest first: the fees, line 3, 2, 1), and the balance the
     * entries add up to is hers. */
    static index_history_entry entries[64];
    uint32_t count = history_all(&env, &env.actors[ALICE].key, 100, entries, 64);
    CHECK_EQ(count, 4 + ENV_PAGE_PAYMENTS + 4);
    tally_key fees = tally_system_key(ENV_NET, TALLY_SYSTEM_FEES);
    CHECK_EQ(entries[0].type, TALLY_TX_TRANSFER_BATCH);
    CHECK_EQ(entries[0].amount, 0);
    CHECK_EQ(entries[0].fee, 3);
    CHECK_EQ(entries[0].line, 0);
    CHECK(entries[0].has_counterparty && memcmp(entries[0].counterparty.bytes, fees.bytes, 32) == 0);
    CHECK_EQ(entries[1].line, 3);
    CHECK_EQ(entries[1].amount, -25);
    CHECK_EQ(entries[1].fee, 0);
    CHECK(strcmp(entries[1].memo, "bonus, March") == 0);
    CHECK(memcmp(entries[1].counterparty.bytes, env.actors[BOB].key.bytes, 32) == 0);
    CHECK_EQ(entries[2].line, 2);
    CHECK_EQ(entries[2].amount, -50);
    CHECK_EQ(entries[2].memo_length, 0);
    CHECK(memcmp(entries[2].counterparty.bytes, env.actors[CAROL].key.bytes, 32) == 0);
    CHECK_EQ(entries[3].line, 1);
    CHECK_EQ(entries[3].amount, -100);
    CHECK(strcmp(entries[3].memo, "wages") == 0);
    for (unsigned i = 0; i < 4; i++) CHECK(memcmp(entries[i].tx_id, entries[0].tx_id, TALLY_HASH_BYTES) == 0);
    for (uint32_t i = 1; i < count; i++) CHECK(entries[i].cursor < entries[i - 1].cursor);
    CHECK_EQ(history_balance(entries, count), env_balance(&env, ALICE));
    /* An older transfer still reads its memo from its transaction, and no line. */
    CHECK(strcmp(entries[4 + ENV_PAGE_PAYMENTS].memo, "Fresh eggs") == 0);
    CHECK_EQ(entries[4 + ENV_PAGE_PAYMENTS].line, 0);

    /* BOB: his two lines, each with its memo; CAROL hers; the fee account the fees. */
    count = history_all(&env, &env.actors[BOB].key, 100, entries, 64);
    CHECK_EQ(entries[0].line, 3);
    CHECK_EQ(entries[0].amount, 25);
    CHECK(strcmp(entries[0].memo, "bonus, March") == 0);
    CHECK_EQ(entries[1].line, 1);
    CHECK_EQ(entries[1].amount, 100);
    CHECK(memcmp(entries[1].counterparty.bytes, env.actors[ALICE].key.bytes, 32) == 0);
    CHECK_EQ(history_balance(entries, count), env_balance(&env, BOB));
    count = history_all(&env, &env.actors[CAROL].key, 100, entries, 64);
    CHECK_EQ(entries[0].line, 2);
    CHECK_EQ(entries[0].amount, 50);
    CHECK_EQ(history_balance(entries, count), env_balance(&env, CAROL));
    count = history_all(&env, &fees, 100, entries, 64);
    CHECK_EQ(entries[0].amount, 3);
    CHECK_EQ(history_balance(entries, count), 37 + 3);

    /* A line's memo is found by search, payer and payee named. */
    index_match matches[4];
    uint32_t found = 0;
    uint64_t next = 0;
    char why[INDEX_WHY_BYTES];
    CHECK(index_search_page(env.index, ENV_NET, "bonus", 5, 0, 4, matches, &found, &next, why, sizeof why) == INDEX_OK);
    CHECK_EQ(found, 1);
    CHECK_EQ(matches[0].kind, INDEX_MATCH_MEMO);
    CHECK(memcmp(matches[0].key.bytes, env.actors[ALICE].key.bytes, 32) == 0);
    CHECK(matches[0].has_counterparty && memcmp(matches[0].counterparty.bytes, env.actors[BOB].key.bytes, 32) == 0);
    tally_tx_release(&batch);
    env_free(&env);
}

TEST(index_blocks_added_together_are_all_or_nothing) {
    static index_env env;
    if (!env_scenario_started(&env)) {
        test_fail(__FILE__, __LINE__, "scenario");
        env_free(&env);
        return;
    }
    static index_answers before, after;
    answers_collect(&env, &before);
    /* Three blocks the index has not seen, read back from the log as the node does. */
    tally_block blocks[3];
    tally_chain_failure failure;
    for (uint32_t i = 0; i < 3; i++) {
        tally_tx payment = env_payment(&env, ALICE, BOB, 20 + i, "together");
        CHECK(env_produce(&env, &payment, 1, false));
        tally_block_init(&blocks[i]);
        CHECK(tally_blocklog_read(tally_store_log(env.store), SCENARIO_TIP + 1 + i, &blocks[i], &failure) ==
              TALLY_CHAIN_OK);
    }
    char why[INDEX_WHY_BYTES];

    /* The third is the second again: the two good ones before it do not stay. */
    tally_block wrong[3] = {blocks[0], blocks[1], blocks[1]}; /* shares the arrays: never released */
    CHECK(index_add_blocks(env.index, wrong, 3, why, sizeof why) == INDEX_ERR_NOT_NEXT);
    CHECK_EQ(index_height(env.index), SCENARIO_TIP);
    answers_collect(&env, &after);
    answers_check_equal(&before, &after);
    uint8_t id[TALLY_HASH_BYTES];
    tally_tx_hash(&blocks[0].txs[0], id);
    static index_tx tx;
    bool found = true;
    CHECK(index_tx_status(env.index, id, &tx, &found, why, sizeof why) == INDEX_OK);
    CHECK(!found);

    /* In order, all three go in at once. */
    CHECK(index_add_blocks(env.index, blocks, 3, why, sizeof why) == INDEX_OK);
    CHECK_EQ(index_height(env.index), SCENARIO_TIP + 3);
    for (uint32_t i = 0; i < 3; i++) {
        tally_tx_hash(&blocks[i].txs[0], id);
        CHECK(index_tx_status(env.index, id, &tx, &found, why, sizeof why) == INDEX_OK);
        CHECK(found && tx.height == SCENARIO_TIP + 1 + i);
    }
    uint64_t block_count = 0, transactions = 0;
    index_counts(env.index, &block_count, &transactions);
    CHECK_EQ(block_count, SCENARIO_TIP + 4);
    CHECK_EQ(transactions, SCENARIO_TXS + 3);
    for (uint32_t i = 0; i < 3; i++) tally_block_release(&blocks[i]);
    env_free(&env);
}

/* What a block's end does by itself is in the histories: alice's line freezes at the
 * end of her period and defaults at the end of grace, each an entry of hers; the
 * write-off moves her debt to the lost-debt account, so her entries still sum to her
 * balance (0) and that account's to its own. */
/* The events of the last block about members (the networks' health periods aside). */
static uint32_t member_events(const index_env *env) {
    uint32_t count = 0;
    for (uint32_t i = 0; i < env->block.event_count; i++)
        count += env->block.events[i].kind != TALLY_EVENT_HEALTH_RECORDED;
    return count;
}

TEST(index_history_shows_the_freeze_and_the_default_with_the_amount_written_off) {
    static index_env env;
    CHECK(env_scenario_started(&env));
    int64_t debt = env_balance(&env, ALICE);
    CHECK(debt < 0);
    const tally_member *line = tally_state_member(tally_store_state(env.store), ENV_NET, &env.actors[ALICE].key);
    int64_t period_end = line->period_end, grace_end = period_end + line->grace_seconds;
    env.time = period_end - 60; /* env_produce adds 60 */
    CHECK(env_produce(&env, NULL, 0, true));
    CHECK_EQ(member_events(&env), 1);
    env.time = grace_end - 60;
    CHECK(env_produce(&env, NULL, 0, true));
    CHECK_EQ(member_events(&env), 1);
    CHECK_EQ(env_balance(&env, ALICE), 0);

    static index_history_entry entries[64];
    uint32_t count = history_all(&env, &env.actors[ALICE].key, 10, entries, 64);
    CHECK(count >= 2);
    CHECK_EQ(history_balance(entries, count), 0);
    const index_history_entry *defaulted = &entries[0], *frozen = &entries[1];
    CHECK_EQ(defaulted->type, INDEX_EVENT_TYPE_BASE + TALLY_EVENT_LINE_DEFAULTED);
    CHECK(strcmp(index_type_name(defaulted->type), "line_defaulted") == 0);
    CHECK_EQ(defaulted->amount, -debt);
    CHECK_EQ(defaulted->event_amount, -debt);
    CHECK_EQ(defaulted->event_time, grace_end);
    CHECK_EQ(defaulted->time, grace_end);
    tally_key lost = tally_system_key(ENV_NET, TALLY_SYSTEM_LOST_DEBT);
    CHECK(defaulted->has_counterparty && memcmp(defaulted->counterparty.bytes, lost.bytes, TALLY_KEY_BYTES) == 0);
    uint8_t hash[TALLY_HASH_BYTES], id[TALLY_HASH_BYTES];
    tally_block_hash(&env.block.header, hash);
    index_event_id(hash, 0, id);
    CHECK(memcmp(defaulted->tx_id, id, TALLY_HASH_BYTES) == 0);
    CHECK_EQ(defaulted->position, env.block.header.tx_count);
    CHECK_EQ(frozen->type, INDEX_EVENT_TYPE_BASE + TALLY_EVENT_LINE_FROZEN);
    CHECK_EQ(frozen->amount, 0);
    CHECK_EQ(frozen->event_amount, debt);
    CHECK_EQ(frozen->event_time, grace_end);
    CHECK_EQ(frozen->time, period_end);

    /* the lost-debt account's history is its balance */
    count = history_all(&env, &lost, 10, entries, 64);
    CHECK_EQ(count, 1);
    CHECK_EQ(entries[0].amount, debt);
    tally_key lost_key = tally_system_key(ENV_NET, TALLY_SYSTEM_LOST_DEBT);
    const tally_member *lost_account = tally_state_member(tally_store_state(env.store), ENV_NET, &lost_key);
    CHECK(lost_account != NULL && history_balance(entries, count) == lost_account->balance);

    /* an event is not a transaction: looking its id up finds nothing */
    index_tx tx;
    bool found = true;
    char why[INDEX_WHY_BYTES];
    CHECK(index_tx_status(env.index, id, &tx, &found, why, sizeof why) == INDEX_OK);
    CHECK(!found);

    /* and a rebuild from the log gives the same entries */
    CHECK(index_rebuild(env.index, tally_store_log(env.store), NULL, NULL, NULL, why, sizeof why) == INDEX_OK);
    count = history_all(&env, &env.actors[ALICE].key, 10, entries, 64);
    CHECK_EQ(entries[0].type, INDEX_EVENT_TYPE_BASE + TALLY_EVENT_LINE_DEFAULTED);
    CHECK_EQ(entries[0].amount, -debt);
    CHECK_EQ(history_balance(entries, count), 0);
    env_free(&env);
}

static tally_tx env_request(index_env *env, uint32_t payee, const uint32_t *payer, int64_t amount, int64_t expiry,
                            const char *memo) {
    tally_tx tx = env_tx(env, payee, TALLY_TX_REQUEST_CREATE);
    tx.body.request_create.network_id = ENV_NET;
    if (payer) tx.body.request_create.payer = env->actors[*payer].key;
    tx.body.request_create.amount = amount;
    tx.body.request_create.expiry = expiry;
    text_set(&tx.body.request_create.memo, memo);
    env_sign(env, &tx, payee);
    return tx;
}

static tally_tx env_request_end(index_env *env, uint32_t signer, tally_tx_type type, uint32_t id, int64_t max_fee) {
    tally_tx tx = env_tx(env, signer, type);
    tx.body.request_end = (tally_tx_request_end){.request_id = id, .max_fee = max_fee};
    env_sign(env, &tx, signer);
    return tx;
}

static tally_tx env_hold(index_env *env, uint32_t payer, uint32_t payee, int64_t amount, int64_t timeout) {
    tally_tx tx = env_tx(env, payer, TALLY_TX_PENDING_CREATE);
    tx.body.pending_create = (tally_tx_pending_create){.network_id = ENV_NET, .payee = env->actors[payee].key,
                                                       .amount = amount, .max_fee = amount, .timeout = timeout};
    env_sign(env, &tx, payer);
    return tx;
}

static tally_tx env_hold_end(index_env *env, uint32_t signer, tally_tx_type type, uint32_t id, int64_t amount) {
    tally_tx tx = env_tx(env, signer, type);
    tx.body.pending_end = (tally_tx_pending_end){.pending_id = id, .amount = amount};
    env_sign(env, &tx, signer);
    return tx;
}

/* The ids index_requests_of / index_holds_of list, compared with `want` (0-ended). */
static void check_ids(index_env *env, bool holds, uint32_t who, int status, const uint32_t *want) {
    uint32_t ids[16], count = 0, next = 0;
    uint32_t statuses = status < 0 ? INDEX_STATUSES_ANY : 1u << status;
    char why[INDEX_WHY_BYTES];
    index_error error = holds ? index_holds_of(env->index, ENV_NET, &env->actors[who].key, statuses, 0, 16, ids,
                                               &count, &next, why, sizeof why)
                              : index_requests_of(env->index, ENV_NET, &env->actors[who].key, statuses, 0, 16, ids,
                                                  &count, &next, why, sizeof why);
    CHECK_EQ(next, 0); /* all in one page */
    if (error != INDEX_OK) test_fail(__FILE__, __LINE__, why);
    uint32_t expected = 0;
    while (want[expected]) expected++;
    CHECK_EQ(count, expected);
    for (uint32_t i = 0; i < count && i < expected; i++) CHECK_EQ(ids[i], want[i]);
}

static int64_t env_pending_in(index_env *env, uint32_t who) {
    int64_t amount = -1;
    char why[INDEX_WHY_BYTES];
    if (index_pending_in(env->index, ENV_NET, &env->actors[who].key, &amount, why, sizeof why) != INDEX_OK)
        test_fail(__FILE__, __LINE__, why);
    return amount;
}

/* An invoice paid, one cancelled, one expired; holds posted, voided and voided by a
 * default: each in the histories of those it is about (the payment with the
 * request's memo), the lists by status, what is pending in, and histories that still
 * sum to balances. */
TEST(index_keeps_requests_and_holds_with_their_status) {
    static index_env env;
    CHECK(env_scenario_started(&env));
    uint32_t alice = ALICE;
    tally_tx txs[8];
    /* block 8: bob asks alice 50.00 "invoice 9", bob asks anyone 5, alice holds 40
     * and 20 for carol; carol asks alice 7 until just after the next block */
    txs[0] = env_request(&env, BOB, &alice, 5000, env.time + DAY, "invoice 9");
    txs[1] = env_request(&env, BOB, NULL, 5, env.time + DAY, "");
    txs[2] = env_hold(&env, ALICE, CAROL, 40, env.time + DAY);
    txs[3] = env_hold(&env, ALICE, CAROL, 20, env.time + DAY);
    txs[4] = env_request(&env, CAROL, &alice, 7, env.time + 61 + 60, "");
    REQUIRE(env_produce(&env, txs, 5, true));
    CHECK_EQ(env_pending_in(&env, CAROL), 60);
    CHECK_EQ(env_pending_in(&env, ALICE), 0);
    check_ids(&env, false, ALICE, TALLY_REQUEST_OPEN, (const uint32_t[]){3, 1, 0});
    check_ids(&env, false, BOB, -1, (const uint32_t[]){2, 1, 0});
    check_ids(&env, true, CAROL, TALLY_PENDING_OPEN, (const uint32_t[]){2, 1, 0});
    /* block 9: alice pays request 1 (fee 50), bob cancels 2, alice posts 15 of hold 1,
     * carol voids hold 2 */
    int64_t alice_before = env_balance(&env, ALICE), bob_before = env_balance(&env, BOB);
    txs[0] = env_request_end(&env, ALICE, TALLY_TX_REQUEST_PAY, 1, 50);
    txs[1] = env_request_end(&env, BOB, TALLY_TX_REQUEST_CANCEL, 2, 0);
    txs[2] = env_hold_end(&env, ALICE, TALLY_TX_PENDING_POST, 1, 15);
    txs[3] = env_hold_end(&env, CAROL, TALLY_TX_PENDING_VOID, 2, 0);
    REQUIRE(env_produce(&env, txs, 4, true));
    CHECK_EQ(env_balance(&env, ALICE), alice_before - 5000 - 50 - 15 - 1);
    CHECK_EQ(env_balance(&env, BOB), bob_before + 5000);
    CHECK_EQ(env_pending_in(&env, CAROL), 0);
    check_ids(&env, false, BOB, TALLY_REQUEST_PAID, (const uint32_t[]){1, 0});
    check_ids(&env, false, BOB, TALLY_REQUEST_CANCELLED, (const uint32_t[]){2, 0});
    check_ids(&env, true, ALICE, TALLY_PENDING_POSTED, (const uint32_t[]){1, 0});
    check_ids(&env, true, ALICE, TALLY_PENDING_VOIDED, (const uint32_t[]){2, 0});
    check_ids(&env, true, ALICE, TALLY_PENDING_OPEN, (const uint32_t[]){0});
    /* block 10 reaches request 3's expiry: its end expires it */
    REQUIRE(env_produce(&env, NULL, 0, true));
    CHECK_EQ(env.block.event_count, 1);
    check_ids(&env, false, CAROL, TALLY_REQUEST_EXPIRED, (const uint32_t[]){3, 0});
    check_ids(&env, false, ALICE, TALLY_REQUEST_OPEN, (const uint32_t[]){0});

    static index_history_entry entries[96];
    uint32_t count = history_all(&env, &env.actors[ALICE].key, 10, entries, 96);
    CHECK_EQ(history_balance(entries, count), env_balance(&env, ALICE));
    /* newest first: the expiry, then block 9's void, post and payment (the cancel is
     * of a request to anyone: bob's alone), block 8's request 3, holds 2 and 1 and
     * request 1 */
    CHECK_EQ(entries[0].type, INDEX_EVENT_TYPE_BASE + TALLY_EVENT_REQUEST_EXPIRED);
    CHECK(memcmp(entries[0].counterparty.bytes, env.actors[CAROL].key.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_EQ(entries[1].type, TALLY_TX_PENDING_VOID);
    CHECK_EQ(entries[1].amount, 0);
    CHECK_EQ(entries[2].type, TALLY_TX_PENDING_POST);
    CHECK_EQ(entries[2].amount, -15);
    CHECK_EQ(entries[2].fee, 1);
    CHECK_EQ(entries[3].type, TALLY_TX_REQUEST_PAY);
    CHECK_EQ(entries[3].amount, -5000);
    CHECK_EQ(entries[3].fee, 50);
    CHECK(strcmp(entries[3].memo, "invoice 9") == 0);
    CHECK(memcmp(entries[3].counterparty.bytes, env.actors[BOB].key.bytes, TALLY_KEY_BYTES) == 0);
    CHECK_EQ(entries[4].type, TALLY_TX_REQUEST_CREATE);
    CHECK_EQ(entries[4].amount, 0);
    CHECK_EQ(entries[5].type, TALLY_TX_PENDING_CREATE);
    CHECK_EQ(entries[6].type, TALLY_TX_PENDING_CREATE);
    CHECK_EQ(entries[7].type, TALLY_TX_REQUEST_CREATE);
    CHECK(strcmp(entries[7].memo, "invoice 9") == 0);
    count = history_all(&env, &env.actors[BOB].key, 10, entries, 96);
    CHECK_EQ(history_balance(entries, count), env_balance(&env, BOB));
    CHECK_EQ(entries[0].type, TALLY_TX_REQUEST_CANCEL);
    CHECK_EQ(entries[1].type, TALLY_TX_REQUEST_PAY);
    CHECK_EQ(entries[1].amount, 5000);
    CHECK(strcmp(entries[1].memo, "invoice 9") == 0);
    count = history_all(&env, &env.actors[CAROL].key, 10, entries, 96);
    CHECK_EQ(history_balance(entries, count), env_balance(&env, CAROL));
    tally_key fees = tally_system_key(ENV_NET, TALLY_SYSTEM_FEES);
    const tally_member *fee_account = tally_state_member(tally_store_state(env.store), ENV_NET, &fees);
    count = history_all(&env, &fees, 10, entries, 96);
    CHECK(fee_account && history_balance(entries, count) == fee_account->balance);

    /* a default voids the defaulter's open holds in the index as in the state */
    const tally_member *line = tally_state_member(tally_store_state(env.store), ENV_NET, &env.actors[ALICE].key);
    int64_t grace_end = line->period_end + line->grace_seconds;
    txs[0] = env_hold(&env, ALICE, BOB, 30, grace_end + DAY);
    REQUIRE(env_produce(&env, txs, 1, true));
    check_ids(&env, true, ALICE, TALLY_PENDING_OPEN, (const uint32_t[]){3, 0});
    CHECK_EQ(env_pending_in(&env, BOB), 30);
    env.time = grace_end - 60;
    REQUIRE(env_produce(&env, NULL, 0, true));
    CHECK_EQ(tally_state_pending(tally_store_state(env.store), 3)->status, TALLY_PENDING_VOIDED);
    check_ids(&env, true, ALICE, TALLY_PENDING_OPEN, (const uint32_t[]){0});
    check_ids(&env, true, ALICE, TALLY_PENDING_VOIDED, (const uint32_t[]){3, 2, 0});
    CHECK_EQ(env_pending_in(&env, BOB), 0);

    /* a rebuild from the log gives the same lists */
    char why[INDEX_WHY_BYTES];
    CHECK(index_rebuild(env.index, tally_store_log(env.store), NULL, NULL, NULL, why, sizeof why) == INDEX_OK);
    check_ids(&env, true, ALICE, TALLY_PENDING_VOIDED, (const uint32_t[]){3, 2, 0});
    check_ids(&env, false, BOB, -1, (const uint32_t[]){2, 1, 0});
    uint16_t memo_length = 0;
    char memo[TALLY_MEMO_MAX + 1];
    bool found = false;
    CHECK(index_request_memo(env.index, 1, memo, &memo_length, &found, why, sizeof why) == INDEX_OK);
    CHECK(found && memo_length == 9 && strcmp(memo, "invoice 9") == 0);
    CHECK(index_request_memo(env.index, 99, memo, &memo_length, &found, why, sizeof why) == INDEX_OK);
    CHECK(!found);
    uint32_t ids[4], listed, next;
    CHECK(index_holds_of(env.index, ENV_NET, &env.actors[ALICE].key, INDEX_STATUSES_ANY, 0, 0, ids, &listed, &next, why,
                         sizeof why) == INDEX_ERR_BAD_ARGUMENT);
    env_free(&env);
}

/* A payment across a gateway (issue 11, WIP): the index keeps the gateway's networks,
 * places its accept in the proposer's activity, and gives the payer's leg and the
 * payee's receipt in their histories, which still sum to their balances. */
TEST(index_places_a_gateway_and_a_payment_across_it) {
    static index_env env;
    CHECK(env_scenario_started(&env));
    tally_tx txs[4];
    txs[0] = env_tx(&env, OP, TALLY_TX_NETWORK_CREATE);
    text_set(&txs[0].body.network_create.name, "Riverside");
    text_set(&txs[0].body.network_create.unit_code, "RVS");
    txs[0].body.network_create.decimals = 2;
    txs[0].body.network_create.policy = policy_default();
    env_sign(&env, &txs[0], OP);
    txs[1] = env_tx(&env, CAROL, TALLY_TX_MEMBER_JOIN);
    txs[1].body.network_only.network_id = 2;
    env_sign(&env, &txs[1], CAROL);
    REQUIRE(env_produce(&env, txs, 2, true));
    tally_gateway_terms terms = {3, 2, {{100, 100000, 0, 0}, {100, 100000, 0, 0}}};
    txs[0] = env_tx(&env, OP, TALLY_TX_GATEWAY_PROPOSE);
    txs[0].body.gateway_propose = (tally_tx_gateway_propose){ENV_NET, 2, terms};
    env_sign(&env, &txs[0], OP);
    txs[1] = env_tx(&env, OP, TALLY_TX_GATEWAY_ACCEPT);
    txs[1].body.gateway_accept = (tally_tx_gateway_accept){1, terms};
    env_sign(&env, &txs[1], OP);
    REQUIRE(env_produce(&env, txs, 2, true));
    /* alice pays carol 300 GVH: 200 RVS arrive, 2 of fee, carol receives 198 */
    int64_t alice_before = env_balance(&env, ALICE);
    txs[0] = env_tx(&env, ALICE, TALLY_TX_TRANSFER_CROSS);
    txs[0].body.transfer_cross =
        (tally_tx_transfer_cross){ENV_NET, env.actors[CAROL].key, 300, 10, 198, 1, {1, 0, 0, 0}};
    env_sign(&env, &txs[0], ALICE);
    REQUIRE(env_produce(&env, txs, 1, true));
    CHECK_EQ(env.block.results[0].available, 198);
    static index_history_entry entries[96];
    uint32_t count = history_all(&env, &env.actors[ALICE].key, 50, entries, 96);
    CHECK_EQ(entries[0].type, TALLY_TX_TRANSFER_CROSS);
    CHECK_EQ(entries[0].amount, -300);
    CHECK_EQ(entries[0].fee, 3); /* Greenvale's own 1% */
    CHECK_EQ(history_balance(entries, count), env_balance(&env, ALICE));
    CHECK_EQ(env_balance(&env, ALICE), alice_before - 303);
    /* carol's history in Riverside: the receipt, her balance */
    uint64_t next = 0;
    uint32_t got = 0;
    char why[INDEX_WHY_BYTES];
    CHECK(index_history(env.index, 2, &env.actors[CAROL].key, 0, 10, entries, &got, &next, why, sizeof why) ==
          INDEX_OK);
    CHECK_EQ(got, 2); /* the join and the receipt */
    CHECK_EQ(entries[0].type, TALLY_TX_TRANSFER_CROSS);
    CHECK_EQ(entries[0].amount, 198);
    const tally_member *carol = tally_state_member(tally_store_state(env.store), 2, &env.actors[CAROL].key);
    CHECK(carol && carol->balance == 198);
    /* the accept is in Greenvale's activity */
    index_activity_row rows[8];
    CHECK(index_activity(env.index, ENV_NET, 0, 8, rows, &got, &next, why, sizeof why) == INDEX_OK);
    bool accept_seen = false;
    for (uint32_t i = 0; i < got; i++) accept_seen = accept_seen || rows[i].type == TALLY_TX_GATEWAY_ACCEPT;
    CHECK(accept_seen);
    index_activity_release(rows, got);
    env_free(&env);
}

/* The history of health periods: the period a block ends is kept with the figures
 * given with it (as the node reads them from its state), or as not known without;
 * the pool's parts with them when given, exactly. */
TEST(index_keeps_each_health_period_with_the_figures_given) {
    static index_env env;
    CHECK(env_scenario_started(&env));
    const tally_network *network = tally_state_network(tally_store_state(env.store), ENV_NET);
    int64_t first_end = network->health_started_at + TALLY_HEALTH_PERIOD_SECONDS;
    /* the block that ends period 1, indexed with its figures */
    env.time = first_end - 60;
    CHECK(env_produce(&env, NULL, 0, false));
    network = tally_state_network(tally_store_state(env.store), ENV_NET);
    REQUIRE(network->health.period == 1);
    index_health_given given = {ENV_NET, network->health, {true, 123456, 7, (int64_t)1 << 40}};
    char why[INDEX_WHY_BYTES];
    CHECK(index_add_blocks_with_health(env.index, &env.block, 1, &given, 1, why, sizeof why) == INDEX_OK);
    /* the block that ends period 2, indexed without */
    env.time = first_end + TALLY_HEALTH_PERIOD_SECONDS - 60;
    CHECK(env_produce(&env, NULL, 0, true));
    index_health_row rows[4];
    uint32_t count = 0, next = 0;
    CHECK(index_health_history(env.index, ENV_NET, 0, 4, rows, &count, &next, why, sizeof why) == INDEX_OK);
    REQUIRE(count == 2);
    CHECK_EQ(next, 0);
    CHECK_EQ(rows[0].period, 2);
    CHECK(!rows[0].known);
    CHECK_EQ(rows[0].ended_at, first_end + TALLY_HEALTH_PERIOD_SECONDS);
    CHECK_EQ(rows[1].period, 1);
    CHECK(rows[1].known);
    CHECK(memcmp(&rows[1].health, &given.health, sizeof given.health) == 0);
    CHECK(rows[1].pool.known && rows[1].pool.primary == 123456 && rows[1].pool.buffer == 7 &&
          rows[1].pool.excess == (int64_t)1 << 40);
    CHECK(!rows[0].pool.known);
    CHECK(rows[1].health.volume > 0 && rows[1].health.active_members > 0); /* the scenario's payments */
    /* a page of one, then the next */
    CHECK(index_health_history(env.index, ENV_NET, 0, 1, rows, &count, &next, why, sizeof why) == INDEX_OK);
    CHECK(count == 1 && rows[0].period == 2 && next == 2);
    CHECK(index_health_history(env.index, ENV_NET, next, 1, rows, &count, &next, why, sizeof why) == INDEX_OK);
    CHECK(count == 1 && rows[0].period == 1 && next == 0);
    CHECK(index_health_history(env.index, ENV_NET, 0, 0, rows, &count, &next, why, sizeof why) == INDEX_ERR_BAD_ARGUMENT);
    env_free(&env);
}
