/*
 * bench_core.c: transfers applied per second by the core on one core. 10,000
 * members in one network, each with a credit line; payers and payees drawn with a
 * skew (a few members are in most payments, as in real networks); transactions are
 * pre-built and already verified, so this measures only tally_apply. A 25 bps base
 * fee makes every payment touch the fee account too. An end-of-block step runs every
 * 10,000 transfers, as a node would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "tally.h"

enum { MEMBERS = 10000, BATCH = 1 << 16, BLOCK_SIZE = 10000 };

typedef struct {
    uint64_t state;
} rng;

static uint64_t next(rng *r) {
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A skewed index: u^3 of a uniform u puts about half of all picks on the first 12%. */
static uint32_t skewed(rng *r) {
    uint64_t u = next(r) >> 43; /* 21 bits */
    uint64_t cube = (u * u >> 21) * u >> 21;
    return (uint32_t)(cube * MEMBERS >> 21);
}

static tally_key keys[MEMBERS];
static uint64_t sequences[MEMBERS];

static tally_tx base_tx(const uint8_t *chain_id, const tally_key *signer, uint64_t sequence, uint8_t type) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = type;
    memcpy(tx.chain_id, chain_id, TALLY_CHAIN_ID_BYTES);
    tx.signer = *signer;
    tx.sequence = sequence;
    return tx;
}

static void must(tally_result result, const char *what) {
    if (result.code != TALLY_OK) {
        fprintf(stderr, "bench setup: %s refused: %s\n", what, tally_error_message(result.code));
        exit(1);
    }
}

void bench_core(double *transfers_per_second) {
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
    memset(chain_id, 7, sizeof chain_id);
    tally_state *state = tally_state_create(chain_id);
    tally_key operator_key;
    memset(&operator_key, 0xee, sizeof operator_key);
    uint64_t operator_sequence = 1;
    int64_t now = 1767225600;

    tally_tx tx = base_tx(chain_id, &operator_key, operator_sequence++, TALLY_TX_NETWORK_CREATE);
    memcpy(tx.body.network_create.name.bytes, "Bench", 5);
    tx.body.network_create.name.length = 5;
    memcpy(tx.body.network_create.unit_code.bytes, "BEN", 3);
    tx.body.network_create.unit_code.length = 3;
    tx.body.network_create.decimals = 2;
    tally_policy *policy = &tx.body.network_create.policy;
    tally_policy_defaults(policy); /* 100,000 members, a 7-day notice, redemptions of 10% a day */
    policy->default_credit_limit = 1000000000;
    policy->max_credit_limit = 1000000000;
    policy->fee_bps = 25;
    policy->period_seconds = 365 * 24 * 3600;
    policy->grace_seconds = 30 * 24 * 3600;
    policy->compliance_rule = TALLY_COMPLIANCE_REBALANCED;
    policy->membership_mode = TALLY_MEMBERSHIP_ADMITTED;
    policy->auto_renew = true;
    must(tally_apply(state, &tx, now), "network");
    for (uint32_t i = 0; i < MEMBERS; i++) {
        memset(&keys[i], 0, sizeof keys[i]);
        for (int b = 0; b < 32; b++) keys[i].bytes[b] = (uint8_t)((i * 2654435761u) >> (b % 4 * 8)) ^ (uint8_t)b;
        keys[i].bytes[0] = (uint8_t)i;
        keys[i].bytes[1] = (uint8_t)(i >> 8);
        sequences[i] = 1;
        tx = base_tx(chain_id, &operator_key, operator_sequence++, TALLY_TX_MEMBER_ADMIT);
        tx.body.network_key.network_id = 1;
        tx.body.network_key.key = keys[i];
        must(tally_apply(state, &tx, now), "admit");
    }

    tally_tx *batch = malloc((size_t)BATCH * sizeof *batch);
    rng r = {42};
    uint64_t applied = 0, refused = 0;
    double elapsed = 0;
    while (elapsed < 2.0) {
        for (uint32_t i = 0; i < BATCH; i++) {
            uint32_t payer = skewed(&r), payee = skewed(&r);
            if (payee == payer) payee = (payee + 1) % MEMBERS;
            batch[i] = base_tx(chain_id, &keys[payer], sequences[payer]++, TALLY_TX_TRANSFER);
            batch[i].body.transfer.network_id = 1;
            batch[i].body.transfer.payee = keys[payee];
            batch[i].body.transfer.amount = (int64_t)(next(&r) % 10000) + 1;
            batch[i].body.transfer.max_fee = 1000;
        }
        double start = bench_now_seconds();
        for (uint32_t i = 0; i < BATCH; i++) {
            tally_result result = tally_apply(state, &batch[i], now);
            if (result.code == TALLY_OK) {
                applied++;
            } else if (refused++ == 0) {
                fprintf(stderr, "bench: first refusal: %s (tx %u, sequence %llu, expected %lld)\n",
                        tally_error_name(result.code), i, (unsigned long long)batch[i].sequence,
                        (long long)result.available);
            }
            if ((applied + refused) % BLOCK_SIZE == 0) (void)tally_end_block(state, ++now);
        }
        elapsed += bench_now_seconds() - start;
    }
    char why[256];
    if (!tally_check_invariants(state, why, sizeof why)) {
        fprintf(stderr, "bench: invariant broken: %s\n", why);
        exit(1);
    }
    if (refused != 0) {
        fprintf(stderr, "bench: %llu transfers refused; the workload is meant to be all valid\n",
                (unsigned long long)refused);
        exit(1);
    }
    *transfers_per_second = (double)applied / elapsed;
    printf("core: %llu transfers applied in %.2f s among %d members (skewed), 25 bps fee: %.0f transfers/s\n",
           (unsigned long long)applied, elapsed, MEMBERS, *transfers_per_second);
    free(batch);
    tally_state_destroy(state);
}
