/*
 * fixture.h: a small world for core tests. Actors have deterministic keys; every
 * transaction goes through world_apply, which checks after each step that all
 * invariants hold and that a refused transaction left the state byte-identical,
 * so each test also tests "a refusal changes nothing" without saying so.
 */
#ifndef TALLY_TEST_FIXTURE_H
#define TALLY_TEST_FIXTURE_H

#include "tally.h"

typedef struct {
    tally_key key;
    uint8_t secret[TALLY_SECRET_BYTES];
} test_actor;

typedef struct {
    tally_state *state;
    int64_t time; /* block time handed to apply */
    uint8_t chain_id[TALLY_CHAIN_ID_BYTES];
} test_world;

#define DAY (24 * 60 * 60)
#define WORLD_START_TIME 1767225600 /* 2026-01-01T00:00:00Z */

/* A chain of the default rules (open, 3 networks and 3 assets per key per day, no
 * validator), or of `rules`. */
void world_init(test_world *world);
void world_init_rules(test_world *world, const tally_chain_rules *rules);
void world_free(test_world *world);
/* The actor with number n: the same keys in every run. */
test_actor actor(uint32_t n);

/* A transaction of `type` from `signer` with chain id and next sequence filled. */
tally_tx world_tx(const test_world *world, const test_actor *signer, tally_tx_type type);
/* Applies tx (signature not checked) with the checks described above. */
tally_result world_apply(test_world *world, const tally_tx *tx);
/* Moves time to `time` and runs the end-of-block step there. */
tally_block_summary world_advance_to(test_world *world, int64_t time);

/* A permissive policy: fees 0, no cap, period 30 days, grace 10, open membership,
 * 100,000 members, the shortest notice (1 day), redemptions uncapped (100% a day). */
tally_policy policy_default(void);

/* Helpers that apply and return the result. */
tally_result do_create_network(test_world *world, const test_actor *founder, const tally_policy *policy);
tally_result do_admit(test_world *world, const test_actor *operator_, uint32_t network_id, const test_actor *member);
tally_result do_open_line(test_world *world, const test_actor *operator_, uint32_t network_id,
                          const test_actor *member, int64_t limit, uint32_t period_seconds,
                          uint32_t grace_seconds, uint32_t risk_fee_bps);
tally_result do_pay(test_world *world, const test_actor *payer, uint32_t network_id,
                    const test_actor *payee, int64_t amount, int64_t max_fee);
tally_result do_create_asset(test_world *world, const test_actor *issuer, const char *code);
tally_result do_issue(test_world *world, const test_actor *issuer, uint32_t asset_id,
                      const test_actor *to, int64_t amount);
tally_result do_set_peg(test_world *world, const test_actor *operator_, uint32_t network_id,
                        uint32_t asset_id, int64_t reserve_units, int64_t credit_units);
tally_result do_pool(test_world *world, const test_actor *signer, tally_tx_type type,
                     uint32_t network_id, int64_t amount);

/* Greenvale with a line, a reserve asset, a peg and a pool deposit: actors 1 (the
 * operator), 2 (alice, a line of 100000, 4000 USD left), 3 (bob, paid 2500 by
 * alice) and 5 (the bank, issuer of asset 1 "USD"); every table has records. */
void world_small_economy(test_world *world);

/* The world's state through a snapshot: loaded, written again to the same bytes, with
 * the same root (checked); the caller destroys it. NULL when it does not load. */
tally_state *world_reload(const test_world *world);

int64_t balance_of(const test_world *world, uint32_t network_id, const test_actor *member);
const tally_member *member_of(const test_world *world, uint32_t network_id, const test_actor *member);
const tally_member *system_member(const test_world *world, uint32_t network_id, tally_system_kind kind);
void text_set(tally_text *text, const char *value);

#endif
