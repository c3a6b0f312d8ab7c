/*
 * bench_verify.c: `tally verify` and the replay on restart against the Ed25519
 * bound of every core, measured in the same run. It makes a chain of 2^20 signed
 * transfers (TALLY_BENCH_VERIFY_TRANSFERS for another count) in blocks of 4,096
 * among 1,024 members of one network, in a fresh data directory without
 * snapshots, then times tally_chain_verify (what `tally verify --data` runs) and
 * tally_store_open (what a restarting node runs: here a replay from the genesis),
 * and, for the figure before the signature pool, a replay of the first eighth of
 * the chain one block at a time with tally_block_apply. The state is small (a block
 * rehashes only the records it touched, so its size matters little here; the scale
 * benchmark measures large states). Target: both at least 0.9 of the bound.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "bench_tallyd.h"
#include "tally.h"
#include "tally_chain.h"

enum { MEMBERS = 1024, BLOCK_TXS = 4096, SAMPLES = 2048, GENESIS_TIME = 1700000000 };
#define DEFAULT_TRANSFERS (1u << 20)

static bench_member members[MEMBERS];
static uint8_t chain_id[TALLY_CHAIN_ID_BYTES];

static bool produce(tally_store *store, const uint8_t *secret, tally_tx *txs, uint32_t count, tally_block *block,
                    const char *what) {
    tally_chain_failure failure;
    int64_t time = tally_store_tip(store)->block_time + 1;
    tally_result *results = calloc(count ? count : 1, sizeof *results);
    tally_chain_error error =
        tally_store_produce_verified(store, secret, time, txs, count, results, block, &failure);
    uint32_t refused = 0;
    for (uint32_t i = 0; i < count; i++) refused += results[i].code != TALLY_OK;
    free(results);
    if (error != TALLY_CHAIN_OK || refused) {
        fprintf(stderr, "bench verify: %s: %s (%u refused)\n", what,
                error != TALLY_CHAIN_OK ? failure.message : "refused", refused);
        return false;
    }
    return true;
}

/* The chain: a network, its members, then `transfers` transfers. Keeps SAMPLES
 * of them for the bound. */
static bool make_chain(const char *directory, uint32_t transfers, tally_tx *samples, uint64_t *blocks) {
    uint8_t producer_secret[TALLY_SECRET_BYTES];
    tally_key producer;
    tally_keypair(&producer, producer_secret, NULL);
    tally_block block;
    tally_block_init(&block);
    tally_chain_failure failure;
    tally_store *store = NULL;
    static const char name[] = "bench-verify";
    bool ok = tally_genesis_make(producer_secret, GENESIS_TIME, name, strlen(name), NULL, &block, &failure) ==
                  TALLY_CHAIN_OK &&
              tally_store_create(directory, &block, NULL, &store, &failure) == TALLY_CHAIN_OK;
    if (!ok) {
        fprintf(stderr, "bench verify: %s\n", failure.message);
        tally_block_release(&block);
        return false;
    }
    memcpy(chain_id, tally_store_tip(store)->chain_id, sizeof chain_id);
    for (uint32_t i = 0; i < MEMBERS; i++) {
        uint8_t seed[32] = {0};
        memcpy(seed, &i, sizeof i);
        seed[31] = 0x5e;
        tally_keypair(&members[i].key, members[i].secret, seed);
        members[i].sequence = 1;
    }
    tally_tx *txs = calloc(BLOCK_TXS > MEMBERS ? BLOCK_TXS : MEMBERS, sizeof *txs);
    const uint8_t **signers = calloc(BLOCK_TXS > MEMBERS ? BLOCK_TXS : MEMBERS, sizeof *signers);

    txs[0] = bench_member_tx(chain_id, &members[0], TALLY_TX_NETWORK_CREATE);
    tally_tx_network_create *create = &txs[0].body.network_create;
    bench_set_text(&create->name, "Bench");
    bench_set_text(&create->unit_code, "BEN");
    bench_open_policy(&create->policy);
    create->policy.max_members = MEMBERS;
    signers[0] = members[0].secret;
    bench_sign_all(txs, signers, 1);
    ok = produce(store, producer_secret, txs, 1, &block, "the network");
    for (uint32_t i = 0; i < MEMBERS; i++) {
        txs[i] = bench_member_tx(chain_id, &members[i], TALLY_TX_MEMBER_JOIN);
        txs[i].body.network_only.network_id = 1;
        signers[i] = members[i].secret;
    }
    bench_sign_all(txs, signers, MEMBERS);
    ok = ok && produce(store, producer_secret, txs, MEMBERS, &block, "the members");

    uint64_t seed = 7;
    for (uint32_t made = 0; ok && made < transfers; made += BLOCK_TXS) {
        uint32_t count = transfers - made < BLOCK_TXS ? transfers - made : BLOCK_TXS;
        for (uint32_t i = 0; i < count; i++) {
            uint32_t payer = (made + i) % MEMBERS;
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            uint32_t payee = (uint32_t)((seed >> 33) % MEMBERS);
            if (payee == payer) payee = (payee + 1) % MEMBERS;
            txs[i] = bench_transfer_tx(chain_id, &members[payer].key, members[payer].sequence++,
                                       &members[payee].key, (int64_t)(seed % 10000) + 1);
            signers[i] = members[payer].secret;
        }
        bench_sign_all(txs, signers, count);
        if (made == 0) memcpy(samples, txs, SAMPLES * sizeof *txs);
        ok = produce(store, producer_secret, txs, count, &block, "transfers");
    }
    *blocks = ok ? tally_store_tip(store)->height + 1 : 0;
    free(txs);
    free(signers);
    tally_block_release(&block);
    tally_store_close(store);
    return ok;
}

/* The replay before the signature pool: block after block with tally_block_apply,
 * every signature checked on this thread. Returns the transfers per second over
 * blocks 1 .. end - 1. */
static double one_block_at_a_time(const char *directory, uint64_t end, uint64_t *transactions) {
    tally_blocklog_options options = {.read_only = true};
    tally_blocklog *log = NULL;
    tally_chain_failure failure;
    tally_block block;
    tally_block_init(&block);
    tally_state *state = NULL;
    tally_chain_tip tip;
    double rate = 0;
    *transactions = 0;
    if (tally_blocklog_open(directory, &options, &log, &failure) == TALLY_CHAIN_OK &&
        tally_blocklog_read(log, 0, &block, &failure) == TALLY_CHAIN_OK &&
        tally_genesis_open(&block, &state, &tip, &failure) == TALLY_CHAIN_OK) {
        double start = bench_now_seconds();
        bool ok = true;
        for (uint64_t height = 1; height < end && ok; height++) {
            ok = tally_blocklog_read(log, height, &block, &failure) == TALLY_CHAIN_OK &&
                 tally_block_apply(state, &tip, &block, &failure) == TALLY_CHAIN_OK;
            *transactions += block.header.tx_count;
        }
        if (!ok) fprintf(stderr, "bench verify: one block at a time: %s\n", failure.message);
        else rate = (double)*transactions / (bench_now_seconds() - start);
    }
    tally_state_destroy(state);
    tally_block_release(&block);
    tally_blocklog_close(log);
    return rate;
}

void bench_chain_verify(void) {
    const char *count_text = getenv("TALLY_BENCH_VERIFY_TRANSFERS");
    long requested = count_text ? atol(count_text) : 0;
    uint32_t transfers = requested >= SAMPLES && requested <= (1L << 26) ? (uint32_t)requested : DEFAULT_TRANSFERS;
    char directory[] = "/tmp/tally-bench-verify-XXXXXX";
    if (!mkdtemp(directory)) return;
    tally_tx *samples = calloc(SAMPLES, sizeof *samples);
    uint64_t blocks = 0;
    double made_in = bench_now_seconds();
    if (!make_chain(directory, transfers, samples, &blocks)) goto done;
    made_in = bench_now_seconds() - made_in;
    printf("verify: a chain of %u transfers in %llu blocks of up to %d, %d members in one network, made in %.1f s\n",
           transfers, (unsigned long long)blocks, BLOCK_TXS, MEMBERS, made_in);
    fflush(stdout);

    double bound_before = bench_verification_bound(samples, SAMPLES, 2.0, NULL);
    tally_verify_summary summary;
    tally_chain_failure failure;
    double start = bench_now_seconds();
    tally_chain_error error = tally_chain_verify(directory, NULL, NULL, NULL, NULL, &summary, &failure);
    double verify_seconds = bench_now_seconds() - start;
    if (error != TALLY_CHAIN_OK) {
        printf("verify: tally_chain_verify FAILED: %s\n", failure.message);
        goto done;
    }
    tally_store *store = NULL;
    start = bench_now_seconds();
    error = tally_store_open(directory, NULL, &store, &failure);
    double replay_seconds = bench_now_seconds() - start;
    tally_store_close(store);
    if (error != TALLY_CHAIN_OK) {
        printf("verify: tally_store_open FAILED: %s\n", failure.message);
        goto done;
    }
    uint64_t before_transactions = 0;
    double before_rate = one_block_at_a_time(directory, 3 + (blocks - 3) / 8, &before_transactions);
    double bound_after = bench_verification_bound(samples, SAMPLES, 2.0, NULL);
    double bound = (bound_before + bound_after) / 2;

    /* The chain's transactions, the network and the joins included. */
    double verify_rate = (double)summary.transactions / verify_seconds;
    double replay_rate = (double)summary.transactions / replay_seconds;
    printf("verify: Ed25519 bound of %d cores, same run: %.0f /s (%.0f before, %.0f after)\n", bench_cores(), bound,
           bound_before, bound_after);
    printf("verify: tally verify --data (tally_chain_verify)   %llu transactions in %.2f s: %8.0f /s = %.2f of the "
           "bound (target 0.90)\n",
           (unsigned long long)summary.transactions, verify_seconds, verify_rate, verify_rate / bound);
    printf("verify: replay on restart (tally_store_open)         %llu transactions in %.2f s: %8.0f /s = %.2f of the "
           "bound (target 0.90)\n",
           (unsigned long long)summary.transactions, replay_seconds, replay_rate, replay_rate / bound);
    printf("verify: one block at a time as before (tally_block_apply, first eighth: %llu transactions): %8.0f /s = "
           "%.2f of the bound\n",
           (unsigned long long)before_transactions, before_rate, before_rate / bound);
done:
    free(samples);
    bench_remove_directory(directory, "bench verify");
}
