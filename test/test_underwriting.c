/*
 * test_underwriting.c: underwriters who stake reserve behind other members' lines
 * (docs/UNDERWRITING.md), with the issue's exact numbers: a stake of 300 USD at a
 * 1:1 peg and a collateral ratio of 150% backs a line of 200; a 2% risk fee on a
 * payment of 100.00 on credit pays 2.00 to the underwriters, split 2:1 by stake as
 * 1.33 / 0.66 with 0.01 left to the fee account (each share rounded down); at a
 * default with debt 150 and 20 pool credits the stakes are slashed 130 into the
 * pool's primary, pro rata (87 / 43: the unit rounding leaves goes to the first
 * stake); a stake comes back only down to what covers the line's debt. And every
 * refusal of STAKE and UNSTAKE.
 */
#include "fixture.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

enum { NET = 1, USD = 1 };

typedef struct {
    test_world world;
    test_actor op, alice, bob, carol, dave, bank, eve;
} cast;

/* Greenvale (decimals 2, collateral ratio 150%, risk fee `risk_fee_bps` on lines
 * opened for a stake) with USD pegged 1:1; alice and bob hold 1,000.00 USD each. */
static void set_up(cast *c, uint32_t risk_fee_bps) {
    world_init(&c->world);
    c->op = actor(0), c->alice = actor(1), c->bob = actor(2), c->carol = actor(3), c->dave = actor(4);
    c->bank = actor(5), c->eve = actor(6);
    tally_policy policy = policy_default();
    policy.collateral_ratio_bps = 15000;
    policy.default_risk_fee_bps = risk_fee_bps;
    CHECK_CODE(do_create_network(&c->world, &c->op, &policy).code, TALLY_OK);
    const test_actor *members[] = {&c->alice, &c->bob, &c->carol, &c->dave, &c->eve};
    for (size_t i = 0; i < 5; i++) CHECK_CODE(do_admit(&c->world, &c->op, NET, members[i]).code, TALLY_OK);
    CHECK_CODE(do_create_asset(&c->world, &c->bank, "USD").code, TALLY_OK);
    CHECK_CODE(do_issue(&c->world, &c->bank, USD, &c->alice, 100000).code, TALLY_OK);
    CHECK_CODE(do_issue(&c->world, &c->bank, USD, &c->bob, 100000).code, TALLY_OK);
    CHECK_CODE(do_set_peg(&c->world, &c->op, NET, USD, 1, 1).code, TALLY_OK);
}

static tally_result stake(cast *c, const test_actor *underwriter, tally_tx_type type, const test_actor *member,
                          int64_t amount) {
    tally_tx tx = world_tx(&c->world, underwriter, type);
    tx.body.stake = (tally_tx_stake){NET, member->key, amount};
    return world_apply(&c->world, &tx);
}

static int64_t usd(const cast *c, const tally_key *key) { return tally_state_asset_balance(c->world.state, USD, key); }

static int64_t underwriting_holds(const cast *c) {
    tally_key account = tally_system_key(NET, TALLY_SYSTEM_UNDERWRITING);
    return usd(c, &account);
}

TEST(underwriting_a_stake_of_300_at_150_percent_backs_a_line_of_200) {
    cast c;
    set_up(&c, 0);
    tally_result staked = stake(&c, &c.alice, TALLY_TX_STAKE, &c.carol, 300);
    CHECK_CODE(staked.code, TALLY_OK);
    CHECK_EQ(staked.reserve, 300);
    CHECK_EQ(staked.available, 200);
    const tally_member *carol = member_of(&c.world, NET, &c.carol);
    /* carol had no line: the stake opened one, all of it underwritten */
    CHECK_EQ(carol->line_status, TALLY_LINE_ACTIVE);
    CHECK_EQ(carol->limit, 200);
    CHECK_EQ(carol->underwritten_limit, 200);
    CHECK_EQ(carol->staked_behind, 300);
    CHECK_EQ(carol->stake_count, 1);
    CHECK_EQ(usd(&c, &c.alice.key), 100000 - 300);
    CHECK_EQ(underwriting_holds(&c), 300);
    CHECK_EQ(tally_state_network(c.world.state, NET)->stakes_locked, 300);
    const tally_stake *record = tally_state_stake(c.world.state, 1);
    REQUIRE(record != NULL);
    CHECK_EQ(record->amount, 300);
    CHECK(memcmp(record->underwriter.bytes, c.alice.key.bytes, TALLY_KEY_BYTES) == 0);
    CHECK(memcmp(record->member.bytes, c.carol.key.bytes, TALLY_KEY_BYTES) == 0);
    /* carol can spend it: 200 and no more */
    CHECK_CODE(do_pay(&c.world, &c.carol, NET, &c.dave, 201, 0).code, TALLY_ERR_INSUFFICIENT_CREDIT);
    CHECK_CODE(do_pay(&c.world, &c.carol, NET, &c.dave, 200, 0).code, TALLY_OK);
    /* a second stake of bob's adds to the cover: 450 back 300 */
    staked = stake(&c, &c.bob, TALLY_TX_STAKE, &c.carol, 150);
    CHECK_CODE(staked.code, TALLY_OK);
    CHECK_EQ(staked.available, 300);
    /* the same underwriter staking again adds to its stake, no new record */
    CHECK_CODE(stake(&c, &c.alice, TALLY_TX_STAKE, &c.carol, 30).code, TALLY_OK);
    CHECK_EQ(tally_state_stake_count(c.world.state), 2);
    CHECK_EQ(tally_state_stake(c.world.state, 1)->amount, 330);
    CHECK_EQ(member_of(&c.world, NET, &c.carol)->limit, 320); /* 480 * 10000 / 15000 */
    /* an operator's own part comes on top: LINE_UPDATE sets that part */
    tally_tx update = world_tx(&c.world, &c.op, TALLY_TX_LINE_UPDATE);
    update.body.line_update = (tally_tx_line_update){NET, c.carol.key, 50, 0};
    CHECK_CODE(world_apply(&c.world, &update).code, TALLY_OK);
    CHECK_EQ(member_of(&c.world, NET, &c.carol)->limit, 370);
    CHECK_EQ(member_of(&c.world, NET, &c.carol)->underwritten_limit, 320);
    world_free(&c.world);
}

/* A 2% risk fee on 100.00 spent on credit is 2.00, to the underwriters 2:1 by stake:
 * 133 and 66 minor units (each rounded down), the 1 left to the fee account. */
TEST(underwriting_risk_fees_go_to_the_underwriters_pro_rata_rounded_down) {
    cast c;
    set_up(&c, 200);
    CHECK_CODE(stake(&c, &c.alice, TALLY_TX_STAKE, &c.carol, 20000).code, TALLY_OK);
    CHECK_CODE(stake(&c, &c.bob, TALLY_TX_STAKE, &c.carol, 10000).code, TALLY_OK);
    CHECK_EQ(member_of(&c.world, NET, &c.carol)->limit, 20000);
    tally_result paid = do_pay(&c.world, &c.carol, NET, &c.dave, 10000, 200);
    CHECK_CODE(paid.code, TALLY_OK);
    CHECK_EQ(paid.risk_fee, 200);
    CHECK_EQ(paid.fee, 200);
    CHECK_EQ(balance_of(&c.world, NET, &c.carol), -10200);
    CHECK_EQ(balance_of(&c.world, NET, &c.alice), 133);
    CHECK_EQ(balance_of(&c.world, NET, &c.bob), 66);
    CHECK_EQ(system_member(&c.world, NET, TALLY_SYSTEM_FEES)->balance, 1);
    CHECK_EQ(tally_state_stake(c.world.state, 1)->earned, 133);
    CHECK_EQ(tally_state_stake(c.world.state, 2)->earned, 66);
    /* a line without stakes pays its risk fee to the fee account, as before */
    do_open_line(&c.world, &c.op, NET, &c.eve, 1000, 0, 0, 1000);
    CHECK_CODE(do_pay(&c.world, &c.eve, NET, &c.dave, 100, 10).code, TALLY_OK);
    CHECK_EQ(system_member(&c.world, NET, TALLY_SYSTEM_FEES)->balance, 11);
    /* a batch's risk fees too: one distribution of the lines' sum */
    tally_tx batch = world_tx(&c.world, &c.carol, TALLY_TX_TRANSFER_BATCH);
    batch.body.transfer_batch.network_id = NET;
    batch.body.transfer_batch.max_fee = 100;
    REQUIRE(tally_tx_batch_reserve(&batch, 2));
    batch.body.transfer_batch.lines[0] = (tally_batch_line){c.dave.key, 1500, {0, {0}}};
    batch.body.transfer_batch.lines[1] = (tally_batch_line){c.eve.key, 1500, {0, {0}}};
    paid = world_apply(&c.world, &batch);
    tally_tx_release(&batch);
    CHECK_CODE(paid.code, TALLY_OK);
    CHECK_EQ(paid.risk_fee, 60); /* 30 per line */
    CHECK_EQ(balance_of(&c.world, NET, &c.alice), 133 + 40);
    CHECK_EQ(balance_of(&c.world, NET, &c.bob), 66 + 20);
    world_free(&c.world);
}

/* A hold's risk fee is held with it and goes to the underwriters when it is posted,
 * pro rata to what is posted: half of 100.00 charges half of its 2.00. */
TEST(underwriting_a_holds_risk_fee_reaches_the_underwriters_when_it_is_posted) {
    cast c;
    set_up(&c, 200);
    CHECK_CODE(stake(&c, &c.alice, TALLY_TX_STAKE, &c.carol, 20000).code, TALLY_OK);
    CHECK_CODE(stake(&c, &c.bob, TALLY_TX_STAKE, &c.carol, 10000).code, TALLY_OK);
    tally_tx hold = world_tx(&c.world, &c.carol, TALLY_TX_PENDING_CREATE);
    hold.body.pending_create = (tally_tx_pending_create){NET, c.dave.key, 10000, 200, {{0}}, c.world.time + DAY, 0};
    tally_result held = world_apply(&c.world, &hold);
    CHECK_CODE(held.code, TALLY_OK);
    CHECK_EQ(tally_state_pending(c.world.state, 1)->fee, 200);
    CHECK_EQ(tally_state_pending(c.world.state, 1)->risk_fee, 200);
    tally_tx post = world_tx(&c.world, &c.carol, TALLY_TX_PENDING_POST);
    post.body.pending_end = (tally_tx_pending_end){1, 5000};
    tally_result posted = world_apply(&c.world, &post);
    CHECK_CODE(posted.code, TALLY_OK);
    CHECK_EQ(posted.fee, 100);
    CHECK_EQ(posted.risk_fee, 100);
    CHECK_EQ(balance_of(&c.world, NET, &c.alice), 66);
    CHECK_EQ(balance_of(&c.world, NET, &c.bob), 33);
    CHECK_EQ(system_member(&c.world, NET, TALLY_SYSTEM_FEES)->balance, 1);
    CHECK_EQ(balance_of(&c.world, NET, &c.carol), -5100);
    world_free(&c.world);
}

/* The default: debt 150, 20 credits in the pool. The pool's credits burn 20 of the
 * lost debt; the stakes (200 and 100) are slashed 130 into primary, pro rata. */
TEST(underwriting_a_default_burns_pool_credits_first_then_slashes_the_stakes_pro_rata) {
    cast c;
    set_up(&c, 0);
    CHECK_CODE(stake(&c, &c.alice, TALLY_TX_STAKE, &c.carol, 200).code, TALLY_OK);
    CHECK_CODE(stake(&c, &c.bob, TALLY_TX_STAKE, &c.carol, 100).code, TALLY_OK);
    CHECK_EQ(member_of(&c.world, NET, &c.carol)->limit, 200);
    /* 20 credits into the pool: eve's line pays a 10% risk fee of 20 on 200 */
    CHECK_CODE(do_open_line(&c.world, &c.op, NET, &c.eve, 1000, 365 * DAY, 30 * DAY, 1000).code, TALLY_OK);
    CHECK_CODE(do_pay(&c.world, &c.eve, NET, &c.dave, 200, 20).code, TALLY_OK);
    tally_tx to_pool = world_tx(&c.world, &c.op, TALLY_TX_FEE_DISTRIBUTE);
    to_pool.body.fee_distribute = (tally_tx_fee_distribute){NET, true, {{0}}, 20};
    CHECK_CODE(world_apply(&c.world, &to_pool).code, TALLY_OK);
    CHECK_EQ(system_member(&c.world, NET, TALLY_SYSTEM_POOL)->balance, 20);
    CHECK_CODE(do_pay(&c.world, &c.carol, NET, &c.dave, 150, 0).code, TALLY_OK);

    /* the period (30 days) ends non-compliant, grace (10 days) ends: default */
    const tally_network *network = tally_state_network(c.world.state, NET);
    CHECK_EQ(network->pool_primary, 0);
    world_advance_to(&c.world, WORLD_START_TIME + 30 * DAY);
    CHECK_EQ(member_of(&c.world, NET, &c.carol)->line_status, TALLY_LINE_FROZEN);
    tally_block_summary summary = world_advance_to(&c.world, WORLD_START_TIME + 40 * DAY);
    CHECK_EQ(summary.lines_defaulted, 1);
    CHECK_EQ(summary.debt_written_off, 150);
    CHECK_EQ(summary.lost_debt_burned, 20);
    network = tally_state_network(c.world.state, NET);
    CHECK_EQ(network->pool_primary, 130);
    CHECK_EQ(tally_state_stake(c.world.state, 1)->amount, 200 - 87);
    CHECK_EQ(tally_state_stake(c.world.state, 1)->slashed, 87);
    CHECK_EQ(tally_state_stake(c.world.state, 2)->amount, 100 - 43);
    CHECK_EQ(tally_state_stake(c.world.state, 2)->slashed, 43);
    CHECK_EQ(underwriting_holds(&c), 170);
    tally_key pool = tally_system_key(NET, TALLY_SYSTEM_POOL);
    CHECK_EQ(usd(&c, &pool), 130);
    CHECK_EQ(member_of(&c.world, NET, &c.alice)->staked_total, 113);
    const tally_member *carol = member_of(&c.world, NET, &c.carol);
    CHECK_EQ(carol->limit, 0);
    CHECK_EQ(carol->underwritten_limit, 0);
    CHECK_EQ(carol->staked_behind, 170);
    CHECK_EQ(carol->defaults, 1);
    /* the lost debt left is 130, now backed by 130 of primary: RTD counts it */
    CHECK_EQ(system_member(&c.world, NET, TALLY_SYSTEM_LOST_DEBT)->balance, -130);
    /* what is left of the stakes comes back: the line owes nothing now */
    CHECK_CODE(stake(&c, &c.alice, TALLY_TX_UNSTAKE, &c.carol, 113).code, TALLY_OK);
    CHECK_EQ(usd(&c, &c.alice.key), 100000 - 87);
    /* a defaulted member takes no new stake until an operator reinstates it */
    CHECK_CODE(stake(&c, &c.bob, TALLY_TX_STAKE, &c.carol, 10).code, TALLY_ERR_MEMBER_DEFAULTED);
    world_free(&c.world);
}

/* Stakes 200 + 100 back 200; carol owes 150, which needs stakes worth 225. Bob's 100
 * cannot all come back: 75 can, and the line's underwritten part follows the cover
 * down to 150. */
TEST(underwriting_a_stake_comes_back_only_down_to_what_covers_the_debt) {
    cast c;
    set_up(&c, 0);
    CHECK_CODE(stake(&c, &c.alice, TALLY_TX_STAKE, &c.carol, 200).code, TALLY_OK);
    CHECK_CODE(stake(&c, &c.bob, TALLY_TX_STAKE, &c.carol, 100).code, TALLY_OK);
    CHECK_CODE(do_pay(&c.world, &c.carol, NET, &c.dave, 150, 0).code, TALLY_OK);
    tally_result refused = stake(&c, &c.bob, TALLY_TX_UNSTAKE, &c.carol, 100);
    CHECK_CODE(refused.code, TALLY_ERR_STAKE_COVERS_DEBT);
    CHECK_EQ(refused.available, 75);
    CHECK_CODE(stake(&c, &c.bob, TALLY_TX_UNSTAKE, &c.carol, 76).code, TALLY_ERR_STAKE_COVERS_DEBT);
    tally_result back = stake(&c, &c.bob, TALLY_TX_UNSTAKE, &c.carol, 75);
    CHECK_CODE(back.code, TALLY_OK);
    CHECK_EQ(back.reserve, 75);
    CHECK_EQ(back.available, 150);
    CHECK_EQ(member_of(&c.world, NET, &c.carol)->underwritten_limit, 150);
    CHECK_EQ(usd(&c, &c.bob.key), 100000 - 25);
    CHECK_EQ(underwriting_holds(&c), 225);
    /* once carol repays, the rest comes back */
    CHECK_CODE(do_pay(&c.world, &c.dave, NET, &c.carol, 150, 0).code, TALLY_OK);
    CHECK_CODE(stake(&c, &c.bob, TALLY_TX_UNSTAKE, &c.carol, 25).code, TALLY_OK);
    CHECK_CODE(stake(&c, &c.alice, TALLY_TX_UNSTAKE, &c.carol, 200).code, TALLY_OK);
    CHECK_EQ(member_of(&c.world, NET, &c.carol)->limit, 0);
    CHECK_EQ(underwriting_holds(&c), 0);
    /* a stake at zero is still a record: staking again reuses it */
    CHECK_CODE(stake(&c, &c.alice, TALLY_TX_STAKE, &c.carol, 30).code, TALLY_OK);
    CHECK_EQ(tally_state_stake_count(c.world.state), 2);
    world_free(&c.world);
}

TEST(underwriting_refusals_each_with_its_code) {
    cast c;
    set_up(&c, 0);
    CHECK_CODE(stake(&c, &c.alice, TALLY_TX_STAKE, &c.carol, 0).code, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    CHECK_CODE(stake(&c, &c.alice, TALLY_TX_STAKE, &c.alice, 10).code, TALLY_ERR_UNDERWRITE_SELF);
    tally_result short_of = stake(&c, &c.alice, TALLY_TX_STAKE, &c.carol, 100001);
    CHECK_CODE(short_of.code, TALLY_ERR_INSUFFICIENT_ASSET);
    CHECK_EQ(short_of.available, 100000);
    test_actor stranger = actor(40);
    CHECK_CODE(stake(&c, &c.alice, TALLY_TX_STAKE, &stranger, 10).code, TALLY_ERR_NOT_MEMBER);
    CHECK_CODE(stake(&c, &stranger, TALLY_TX_STAKE, &c.carol, 10).code, TALLY_ERR_NOT_MEMBER);
    tally_tx system = world_tx(&c.world, &c.alice, TALLY_TX_STAKE);
    system.body.stake = (tally_tx_stake){NET, tally_system_key(NET, TALLY_SYSTEM_FEES), 10};
    CHECK_CODE(world_apply(&c.world, &system).code, TALLY_ERR_SYSTEM_ACCOUNT);
    CHECK_CODE(stake(&c, &c.alice, TALLY_TX_UNSTAKE, &c.carol, 10).code, TALLY_ERR_STAKE_NOT_FOUND);
    CHECK_CODE(stake(&c, &c.alice, TALLY_TX_STAKE, &c.carol, 10).code, TALLY_OK);
    tally_result too_much = stake(&c, &c.alice, TALLY_TX_UNSTAKE, &c.carol, 11);
    CHECK_CODE(too_much.code, TALLY_ERR_STAKE_SHORT);
    CHECK_EQ(too_much.available, 10);
    /* stakes lock the asset and both members in */
    CHECK_CODE(do_set_peg(&c.world, &c.op, NET, 0, 0, 0).code, TALLY_ERR_STAKES_OPEN);
    tally_tx leave = world_tx(&c.world, &c.alice, TALLY_TX_MEMBER_LEAVE);
    leave.body.network_only.network_id = NET;
    CHECK_CODE(world_apply(&c.world, &leave).code, TALLY_ERR_STAKES_OPEN);
    leave = world_tx(&c.world, &c.carol, TALLY_TX_MEMBER_LEAVE);
    leave.body.network_only.network_id = NET;
    CHECK_CODE(world_apply(&c.world, &leave).code, TALLY_ERR_STAKES_OPEN);
    /* a new rate while stakes are locked is announced, as while the pool holds reserve */
    CHECK(do_set_peg(&c.world, &c.op, NET, USD, 2, 1).effective_at > 0);
    /* sixteen underwriters at most behind one line */
    for (uint32_t i = 0; i < 15; i++) {
        test_actor backer = actor(20 + i);
        CHECK_CODE(do_admit(&c.world, &c.op, NET, &backer).code, TALLY_OK);
        CHECK_CODE(do_issue(&c.world, &c.bank, USD, &backer, 10).code, TALLY_OK);
        CHECK_CODE(stake(&c, &backer, TALLY_TX_STAKE, &c.carol, 10).code, TALLY_OK);
    }
    CHECK_EQ(member_of(&c.world, NET, &c.carol)->stake_count, 16);
    CHECK_CODE(stake(&c, &c.bob, TALLY_TX_STAKE, &c.carol, 10).code, TALLY_ERR_TOO_MANY_STAKES);
    /* a network without a reserve asset, and one without underwriting */
    test_actor founder = actor(50);
    tally_policy none = policy_default();
    CHECK_CODE(do_create_network(&c.world, &founder, &none).code, TALLY_OK);
    CHECK_CODE(do_admit(&c.world, &founder, 2, &c.alice).code, TALLY_OK);
    CHECK_CODE(do_admit(&c.world, &founder, 2, &c.carol).code, TALLY_OK);
    tally_tx other = world_tx(&c.world, &c.alice, TALLY_TX_STAKE);
    other.body.stake = (tally_tx_stake){2, c.carol.key, 10};
    CHECK_CODE(world_apply(&c.world, &other).code, TALLY_ERR_NO_RESERVE_ASSET);
    CHECK_CODE(do_set_peg(&c.world, &founder, 2, USD, 1, 1).code, TALLY_OK);
    other = world_tx(&c.world, &c.alice, TALLY_TX_STAKE);
    other.body.stake = (tally_tx_stake){2, c.carol.key, 10};
    CHECK_CODE(world_apply(&c.world, &other).code, TALLY_ERR_UNDERWRITING_OFF);
    other.body.stake.network_id = 9;
    CHECK_CODE(world_apply(&c.world, &other).code, TALLY_ERR_UNKNOWN_NETWORK);
    world_free(&c.world);
}

TEST(underwriting_stakes_survive_a_snapshot_byte_for_byte) {
    cast c;
    set_up(&c, 200);
    CHECK_CODE(stake(&c, &c.alice, TALLY_TX_STAKE, &c.carol, 20000).code, TALLY_OK);
    CHECK_CODE(stake(&c, &c.bob, TALLY_TX_STAKE, &c.carol, 10000).code, TALLY_OK);
    CHECK_CODE(stake(&c, &c.bob, TALLY_TX_STAKE, &c.dave, 300).code, TALLY_OK);
    CHECK_CODE(do_pay(&c.world, &c.carol, NET, &c.dave, 10000, 200).code, TALLY_OK);
    tally_state *loaded = world_reload(&c.world);
    REQUIRE(loaded != NULL);
    CHECK_EQ(tally_state_stake_count(loaded), 3);
    CHECK_EQ(tally_state_network(loaded, NET)->stakes_locked, 30300);
    tally_state_destroy(loaded);
    world_free(&c.world);
}
