/*
 * fuzz_world.h: the fixed ledger and chain the fuzzers work against, built the same
 * way in every run from fixed keys: eight actors (the four identities of the test
 * vectors, three more, and a system account), a prepared state with two networks,
 * members, credit lines, debts, a default, a reserve asset and a funded pool (so
 * fuzzed transactions reach deep rules), a validator set with a retired slot and an
 * open change, and a genesis block whose tip received blocks are checked against
 * (its state is the genesis's, whose one validator is the producer). Shared by the fuzzers, the seed writer and the
 * regression test.
 */
#ifndef TALLY_FUZZ_WORLD_H
#define TALLY_FUZZ_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tally.h"
#include "tally_chain.h"

#define FUZZ_ACTORS 8u
/* Actor 7 is the fee account of network 1: as a signer or a target it reaches the
 * refusals about system accounts. */
#define FUZZ_SYSTEM_ACTOR 7u
#define FUZZ_NETWORK_MAIN 1u  /* Greenvale: admitted members, fees, pool, lost debt, a marketplace (listings 1-3, orders 1-4) */
#define FUZZ_NETWORK_OPEN 2u  /* Hillside: open membership, short periods, a default, a frozen line */
#define FUZZ_ASSET_USD 1u
/* The validators of the prepared state: actors 0 (the founder), 3 (the issuer) and 6
 * (erin); actor 5 (dave) was one and is retired. Change 2, the founder's, adds actor
 * 4 (carol) and needs one more approval until it lapses, 7 days after state_time. */
#define FUZZ_VALIDATOR_CHANGE 2u
#define FUZZ_GENESIS_TIME 1767225600 /* 2026-01-01T00:00:00Z */
#define FUZZ_GENESIS_NAME "tally-fuzz"

typedef struct {
    tally_key key;
    uint8_t secret[TALLY_SECRET_BYTES]; /* zero for the system actor */
} fuzz_actor;

typedef struct {
    fuzz_actor actors[FUZZ_ACTORS];
    /* The prepared state: its canonical bytes (each input starts from a fresh copy),
     * its hash, and the block time it was built up to. */
    uint8_t *state_bytes;
    size_t state_length;
    uint8_t state_hash[TALLY_HASH_BYTES];
    int64_t state_time;
    /* The chain of the block fuzzer: its genesis, the tip after it, and the
     * producer's secret (for the seed writer). */
    tally_block genesis;
    tally_chain_tip genesis_tip;
    uint8_t producer_secret[TALLY_SECRET_BYTES];
} fuzz_world;

/* Builds the world once (later calls return the same one). Aborts, with a message
 * on stderr, when it cannot be built: that is a bug of the harness or the core. */
const fuzz_world *fuzz_world_get(void);

/* A fresh copy of the prepared state (the caller destroys it); aborts when out of
 * memory. */
tally_state *fuzz_world_state(const fuzz_world *world);

/* A fresh state of the block fuzzer's chain at its genesis, under the genesis's
 * rules (the producer its one validator), as tally_genesis_open makes it (the caller
 * destroys it); aborts when out of memory. */
tally_state *fuzz_world_genesis_state(const fuzz_world *world);

#endif
