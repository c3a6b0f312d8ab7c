/*
 * test_invariants.c: the incremental invariant check (tally_check_invariants_changed)
 * gives the full check's verdict. Through a history of every kind of change both
 * hold after every step; a record broken through the core's own accessors (which
 * mark what they hand out, as every handler's writes do) is refused by both, with
 * the same sentence, whichever sum or rule it breaks; a new pool epoch voids the
 * old one's shares in the kept sums as it does in the tables.
 */
#include <string.h>

#include "core/ledger.h"
#include "fixture.h"
#include "test.h"

/* Both checks hold. */
static void both_hold(tally_state *state) {
    char why[256] = "";
    bool changed = tally_check_invariants_changed(state, why, sizeof why);
    if (!changed) test_fail(__FILE__, __LINE__, why);
    bool full = tally_check_invariants(state, why, sizeof why);
    if (!full) test_fail(__FILE__, __LINE__, why);
}

/* Both refuse, with the same sentence, which contains `expected`; the next
 * incremental call (a full one, since the last failed) refuses it again. */
static void both_refuse(tally_state *state, const char *expected) {
    char changed_why[256] = "", full_why[256] = "", again_why[256] = "";
    CHECK(!tally_check_invariants_changed(state, changed_why, sizeof changed_why));
    CHECK(!tally_check_invariants(state, full_why, sizeof full_why));
    CHECK(!tally_check_invariants_changed(state, again_why, sizeof again_why));
    if (!strstr(changed_why, expected)) {
        char text[600];
        snprintf(text, sizeof text, "incremental check said '%s', want '%s'", changed_why, expected);
        test_fail(__FILE__, __LINE__, text);
    }
    CHECK(strcmp(changed_why, full_why) == 0);
    CHECK(strcmp(again_why, full_why) == 0);
}

/* A fresh economy whose sums the incremental check has kept. */
static void kept_economy(test_world *world) {
    world_small_economy(world);
    both_hold(world->state);
    REQUIRE(world->state->checker.kept);
}

/* signer holds amount for payee until a day from now. */
static void hold(test_world *world, const test_actor *signer, const test_actor *payee, int64_t amount) {
    tally_tx tx = world_tx(world, signer, TALLY_TX_PENDING_CREATE);
    tx.body.pending_create = (tally_tx_pending_create){.network_id = 1, .payee = payee->key, .amount = amount,
                                                       .max_fee = amount, .timeout = world->time + DAY};
    REQUIRE(world_apply(world, &tx).code == TALLY_OK);
}

static void post(test_world *world, const test_actor *signer, uint32_t id, int64_t amount) {
    tally_tx tx = world_tx(world, signer, TALLY_TX_PENDING_POST);
    tx.body.pending_end = (tally_tx_pending_end){.pending_id = id, .amount = amount};
    REQUIRE(world_apply(world, &tx).code == TALLY_OK);
}

TEST(invariants_changed_agree_with_the_full_check_through_a_history) {
    test_world world;
    kept_economy(&world);
    test_actor op = actor(1), alice = actor(2), bob = actor(3), bank = actor(5);
    uint32_t holds = 0;
    for (uint32_t step = 0; step < 140; step++) {
        test_actor newcomer = actor(200 + step);
        switch (step % 7) {
        case 0: REQUIRE(do_pay(&world, &alice, 1, &bob, 11 + step, 0).code == TALLY_OK); break;
        case 1: REQUIRE(do_pay(&world, &bob, 1, &alice, 7 + step, 0).code == TALLY_OK); break;
        case 2: REQUIRE(do_admit(&world, &op, 1, &newcomer).code == TALLY_OK); break;
        case 3: REQUIRE(do_issue(&world, &bank, 1, &bob, 100 + step).code == TALLY_OK); break;
        case 4: REQUIRE(do_pool(&world, &alice, TALLY_TX_POOL_DEPOSIT, 1, 10).code == TALLY_OK); break;
        case 5: world_advance_to(&world, world.time + DAY / 4); break; /* some holds time out */
        case 6:
            hold(&world, &alice, &bob, 20 + step);
            if (++holds % 2 == 0) post(&world, &alice, holds, 10);
            break;
        }
        both_hold(world.state);
        CHECK(world.state->checker.kept);
    }
    /* a second network and asset, created after the sums were kept */
    test_actor founder = actor(9), carol = actor(10);
    tally_policy policy = policy_default();
    REQUIRE(do_create_network(&world, &founder, &policy).code == TALLY_OK);
    REQUIRE(do_admit(&world, &founder, 2, &carol).code == TALLY_OK);
    REQUIRE(do_open_line(&world, &founder, 2, &carol, 500, 0, 0, 0).code == TALLY_OK);
    REQUIRE(do_admit(&world, &founder, 2, &alice).code == TALLY_OK);
    REQUIRE(do_pay(&world, &carol, 2, &alice, 300, 0).code == TALLY_OK);
    REQUIRE(do_create_asset(&world, &founder, "EUR").code == TALLY_OK);
    REQUIRE(do_issue(&world, &founder, 2, &carol, 42).code == TALLY_OK);
    both_hold(world.state);
    CHECK_EQ(world.state->checker.networks[2].balance_sum, 0);
    CHECK_EQ(world.state->checker.networks[2].supply, 300);
    CHECK_EQ(world.state->checker.networks[2].active_members, 2);
    CHECK_EQ(world.state->checker.asset_sums[2], 42);
    /* a loaded state starts with a full check */
    REQUIRE(ledger_rebuild_indices(world.state));
    CHECK(!world.state->checker.kept);
    both_hold(world.state);
    CHECK(world.state->checker.kept);
    world_free(&world);
}

TEST(invariants_changed_refuse_a_broken_balance_line_or_count) {
    test_actor alice = actor(2), bob = actor(3);
    test_world world;

    kept_economy(&world);
    ledger_member(world.state, 1, &alice.key)->balance += 1;
    both_refuse(world.state, "network 1 balances sum to 1, not 0");
    world_free(&world);

    /* the sum still zero, but supply and debt no longer the network's aggregates */
    kept_economy(&world);
    ledger_member(world.state, 1, &alice.key)->balance -= 1000;
    ledger_member(world.state, 1, &bob.key)->balance += 1000;
    both_refuse(world.state, "network 1 supply/debt aggregates");
    world_free(&world);

    kept_economy(&world);
    ledger_member(world.state, 1, &bob.key)->limit = -1;
    both_refuse(world.state, "has a negative limit");
    world_free(&world);

    kept_economy(&world);
    ledger_member(world.state, 1, &alice.key)->balance = -100001; /* below its limit of 100000 */
    both_refuse(world.state, "below -limit 100000");
    world_free(&world);

    kept_economy(&world);
    ledger_network(world.state, 1)->member_count += 1;
    both_refuse(world.state, "network 1 counts 3 members, tables 2");
    world_free(&world);

    /* a member who left still counted: the kept count follows the status */
    kept_economy(&world);
    tally_member *bob_member = ledger_member(world.state, 1, &bob.key);
    int64_t bob_balance = bob_member->balance;
    bob_member->balance = 0;
    ledger_member(world.state, 1, &alice.key)->balance += bob_balance;
    ledger_network(world.state, 1)->supply -= bob_balance;
    ledger_network(world.state, 1)->debt -= bob_balance;
    both_hold(world.state); /* consistent so far */
    ledger_member(world.state, 1, &bob.key)->status = TALLY_MEMBER_LEFT;
    both_refuse(world.state, "network 1 counts 2 members, tables 1");
    world_free(&world);
}

/* What members hold for pending transfers and what their open holds hold agree in
 * every network; the incremental check keeps both sums (the full check also
 * compares them payer by payer). */
TEST(invariants_changed_refuse_held_sums_that_disagree) {
    test_actor alice = actor(2), bob = actor(3);
    test_world world;

    kept_economy(&world);
    hold(&world, &alice, &bob, 30);
    both_hold(world.state);
    ledger_member(world.state, 1, &alice.key)->pending_out += 1;
    both_refuse(world.state, "network 1: its members hold 31 for pending transfers, its open holds 30");
    world_free(&world);

    /* a hold marked ended while its payer still holds for it */
    kept_economy(&world);
    hold(&world, &alice, &bob, 30);
    both_hold(world.state);
    ledger_pending_at(world.state, 0)->status = TALLY_PENDING_VOIDED;
    both_refuse(world.state, "network 1: its members hold 30 for pending transfers, its open holds 0");
    world_free(&world);
}

TEST(invariants_changed_refuse_a_broken_holding_pool_or_account) {
    test_actor alice = actor(2);
    test_world world;
    tally_key pool = tally_system_key(1, TALLY_SYSTEM_POOL);

    kept_economy(&world);
    ledger_holding_find(world.state, 1, &alice.key)->amount += 1;
    both_refuse(world.state, "asset 1 holdings sum to 5001, issued - burned is 5000");
    world_free(&world);

    /* the pool's reserve is one holding; its network's parts must match it */
    kept_economy(&world);
    ledger_holding_find(world.state, 1, &pool)->amount -= 1;
    ledger_holding_find(world.state, 1, &alice.key)->amount += 1;
    both_refuse(world.state, "network 1 pool parts sum to 1000 but the pool holds 999");
    world_free(&world);

    kept_economy(&world);
    ledger_holding_find(world.state, TALLY_HOLDING_SHARES | 1, &alice.key)->amount += 1;
    both_refuse(world.state, "network 1 pool shares sum to 1001, total says 1000");
    world_free(&world);

    kept_economy(&world);
    ledger_holding_find(world.state, 1, &alice.key)->amount = -1;
    both_refuse(world.state, "is negative");
    world_free(&world);

    kept_economy(&world);
    ledger_account_get(world.state, &alice.key)->next_sequence = 0;
    both_refuse(world.state, "has sequence 0");
    world_free(&world);
}

TEST(invariants_changed_a_new_pool_epoch_voids_the_old_shares) {
    test_actor alice = actor(2);
    test_world world;
    kept_economy(&world);
    tally_network *network = ledger_network(world.state, 1);
    CHECK_EQ(network->pool_total_shares, 1000);
    /* a new epoch whose total still counts the old shares */
    network->pool_share_epoch += 1;
    both_refuse(world.state, "network 1 pool shares sum to 0, total says 1000");
    world_free(&world);

    kept_economy(&world);
    network = ledger_network(world.state, 1);
    network->pool_share_epoch += 1;
    network->pool_total_shares = 0;
    both_hold(world.state); /* alice's 1000 shares are void */
    /* she takes 7 shares of the new epoch: her holding is rewritten, so touched */
    ledger_holding *shares = ledger_holding_find(world.state, TALLY_HOLDING_SHARES | 1, &alice.key);
    shares->epoch = network->pool_share_epoch;
    shares->amount = 7;
    ledger_network(world.state, 1)->pool_total_shares = 7;
    both_hold(world.state);
    CHECK_EQ(world.state->checker.networks[1].shares, 7);
    ledger_holding_find(world.state, TALLY_HOLDING_SHARES | 1, &alice.key)->amount = 8;
    both_refuse(world.state, "network 1 pool shares sum to 8, total says 7");
    world_free(&world);

    /* a holding from an epoch ahead of its network's would count unseen later */
    kept_economy(&world);
    ledger_holding_find(world.state, TALLY_HOLDING_SHARES | 1, &alice.key)->epoch += 1;
    both_refuse(world.state, "has pool epoch 1, its network is at 0");
    world_free(&world);
}

/* tally_state_check_invariants_fully (verify --full): a record broken behind the
 * core's back, where no mark points, is invisible to the incremental check and
 * refused by the full one; switched back off, the check is incremental again. */
TEST(invariants_fully_find_a_record_broken_where_no_mark_points) {
    test_actor bob = actor(3);
    test_world world;
    kept_economy(&world);
    tally_member *bob_member = ledger_member(world.state, 1, &bob.key);
    both_hold(world.state); /* clears the mark that lookup made */
    bob_member->limit = -1; /* through a pointer kept from before: nothing marked */
    char why[256] = "";
    CHECK(tally_check_invariants_changed(world.state, why, sizeof why)); /* it looks where blocks wrote */
    tally_state_check_invariants_fully(world.state, true);
    CHECK(!tally_check_invariants_changed(world.state, why, sizeof why));
    CHECK(strstr(why, "has a negative limit") != NULL);
    bob_member->limit = 0;
    CHECK(tally_check_invariants_changed(world.state, why, sizeof why));
    tally_state_check_invariants_fully(world.state, false);
    bob_member->limit = -1;
    CHECK(tally_check_invariants_changed(world.state, why, sizeof why));
    CHECK(!tally_check_invariants(world.state, why, sizeof why));
    world_free(&world);
}
