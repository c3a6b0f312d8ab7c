/*
 * test_pool.c: the assurance pool. The Stable Credit references (a deposit of 100 at
 * a 20% target with 100 of debt puts 20 in primary and 80 in excess; 50 of primary
 * against 100 of supply is an RTD of 50%), shares and withdrawals (only the owner, only
 * from excess), repaying debt in reserve into the buffer, redeeming credits against lost
 * debt from buffer then primary without burning more than is paid, and reallocation of
 * excess to primary at block end.
 */
#include "fixture.h"
#include "test.h"

enum { NET = 1, USD = 1 };

/* Network 1 (operator 0, target RTD from the caller), members 1..3; asset USD issued by
 * actor 10 with 1000 to each of 1..3 and 11; peg 1:1 unless changed. Alice (1) owes
 * Bob (2) `debt` credits. */
static void setup(test_world *world, uint32_t target_rtd_bps, int64_t debt) {
    world_init(world);
    tally_policy policy = policy_default();
    policy.target_rtd_bps = target_rtd_bps;
    test_actor op = actor(0), bank = actor(10), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_create_network(world, &op, &policy).code, TALLY_OK);
    for (uint32_t i = 1; i <= 3; i++) {
        test_actor member = actor(i);
        CHECK_CODE(do_admit(world, &op, NET, &member).code, TALLY_OK);
    }
    CHECK_EQ(do_create_asset(world, &bank, "USD").created_id, USD);
    uint32_t holders[] = {1, 2, 3, 11};
    for (int i = 0; i < 4; i++) {
        test_actor holder = actor(holders[i]);
        CHECK_CODE(do_issue(world, &bank, USD, &holder, 1000).code, TALLY_OK);
    }
    CHECK_CODE(do_set_peg(world, &op, NET, USD, 1, 1).code, TALLY_OK);
    CHECK_CODE(do_open_line(world, &op, NET, &alice, 10000, 10 * DAY, 5 * DAY, 0).code, TALLY_OK);
    if (debt > 0) CHECK_CODE(do_pay(world, &alice, NET, &bob, debt, 0).code, TALLY_OK);
}

static const tally_network *net(const test_world *world) { return tally_state_network(world->state, NET); }

static int64_t usd(const test_world *world, const test_actor *who) {
    return tally_state_asset_balance(world->state, USD, &who->key);
}

TEST(pool_deposit_100_at_target_20_percent_with_debt_100) {
    test_world world;
    setup(&world, 2000, 100);
    test_actor investor = actor(11);
    tally_result deposited = do_pool(&world, &investor, TALLY_TX_POOL_DEPOSIT, NET, 100);
    CHECK_CODE(deposited.code, TALLY_OK);
    CHECK_EQ(deposited.to_primary, 20);
    CHECK_EQ(deposited.to_excess, 80);
    CHECK_EQ(deposited.shares, 100);
    CHECK_EQ(net(&world)->pool_primary, 20);
    CHECK_EQ(net(&world)->pool_excess, 80);
    CHECK_EQ(net(&world)->pool_total_shares, 100);
    CHECK_EQ(tally_state_pool_shares(world.state, NET, &investor.key), 100);
    CHECK_EQ(usd(&world, &investor), 900);
    CHECK_EQ(tally_network_rtd_bps(net(&world)), 2000);
    world_free(&world);
}

TEST(pool_rtd_50_primary_against_100_supply_is_50_percent) {
    test_world world;
    setup(&world, 5000, 100);
    test_actor investor = actor(11);
    CHECK_CODE(do_pool(&world, &investor, TALLY_TX_POOL_DEPOSIT, NET, 50).code, TALLY_OK);
    CHECK_EQ(net(&world)->pool_primary, 50);
    CHECK_EQ(net(&world)->supply, 100);
    CHECK_EQ(tally_network_rtd_bps(net(&world)), 5000);
    world_free(&world);
}

TEST(pool_peg_scales_primary_and_rtd) {
    test_world world;
    setup(&world, 2000, 0);
    test_actor op = actor(0), alice = actor(1), bob = actor(2), investor = actor(11);
    /* 2 credit units are worth 3 reserve units */
    CHECK_CODE(do_set_peg(&world, &op, NET, USD, 3, 2).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 101, 0).code, TALLY_OK);
    /* 20% of 101 credits is 20.2 credits = 30.3 reserve: rounded up to 31 */
    tally_result deposited = do_pool(&world, &investor, TALLY_TX_POOL_DEPOSIT, NET, 100);
    CHECK_EQ(deposited.to_primary, 31);
    CHECK_EQ(deposited.to_excess, 69);
    /* 31 reserve = 20.66 credits, rounded down to 20: 20/101 = 19.80% */
    CHECK_EQ(tally_network_rtd_bps(net(&world)), 1980);
    world_free(&world);
}

TEST(pool_withdraw_only_owner_only_from_excess) {
    test_world world;
    setup(&world, 2000, 100);
    test_actor investor = actor(11), thief = actor(3);
    CHECK_CODE(do_pool(&world, &investor, TALLY_TX_POOL_DEPOSIT, NET, 100).code, TALLY_OK);
    tally_result refused = do_pool(&world, &thief, TALLY_TX_POOL_WITHDRAW, NET, 10);
    CHECK_CODE(refused.code, TALLY_ERR_INSUFFICIENT_SHARES);
    CHECK_EQ(refused.available, 0);
    /* 100 shares are worth 100, but only 80 are in excess */
    refused = do_pool(&world, &investor, TALLY_TX_POOL_WITHDRAW, NET, 100);
    CHECK_CODE(refused.code, TALLY_ERR_POOL_EXCESS_SHORT);
    CHECK_EQ(refused.available, 80);
    CHECK_CODE(do_pool(&world, &investor, TALLY_TX_POOL_WITHDRAW, NET, 101).code, TALLY_ERR_INSUFFICIENT_SHARES);
    CHECK_CODE(do_pool(&world, &investor, TALLY_TX_POOL_WITHDRAW, NET, 0).code, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    tally_result withdrawn = do_pool(&world, &investor, TALLY_TX_POOL_WITHDRAW, NET, 80);
    CHECK_CODE(withdrawn.code, TALLY_OK);
    CHECK_EQ(withdrawn.reserve, 80);
    CHECK_EQ(net(&world)->pool_excess, 0);
    CHECK_EQ(net(&world)->pool_primary, 20);
    CHECK_EQ(net(&world)->pool_total_shares, 20);
    CHECK_EQ(usd(&world, &investor), 980);
    world_free(&world);
}

TEST(pool_shares_pro_rata_for_second_depositor) {
    test_world world;
    setup(&world, 0, 100);
    test_actor first = actor(11), second = actor(3);
    CHECK_CODE(do_pool(&world, &first, TALLY_TX_POOL_DEPOSIT, NET, 300).code, TALLY_OK);
    tally_result deposited = do_pool(&world, &second, TALLY_TX_POOL_DEPOSIT, NET, 100);
    CHECK_EQ(deposited.shares, 100);
    CHECK_EQ(deposited.to_excess, 100);
    /* 400 shares over 400 reserve; the first withdraws 150 shares for 150 */
    tally_result withdrawn = do_pool(&world, &first, TALLY_TX_POOL_WITHDRAW, NET, 150);
    CHECK_EQ(withdrawn.reserve, 150);
    CHECK_EQ(tally_state_pool_shares(world.state, NET, &first.key), 150);
    world_free(&world);
}

TEST(pool_repay_in_reserve_moves_debt_to_lost_debt_backed_by_buffer) {
    test_world world;
    setup(&world, 0, 300);
    test_actor alice = actor(1), bob = actor(2);
    tally_result repaid = do_pool(&world, &alice, TALLY_TX_POOL_REPAY, NET, 120);
    CHECK_CODE(repaid.code, TALLY_OK);
    CHECK_EQ(repaid.reserve, 120);
    CHECK_EQ(balance_of(&world, NET, &alice), -180);
    CHECK_EQ(system_member(&world, NET, TALLY_SYSTEM_LOST_DEBT)->balance, -120);
    CHECK_EQ(net(&world)->pool_buffer, 120);
    CHECK_EQ(usd(&world, &alice), 880);
    tally_result too_much = do_pool(&world, &alice, TALLY_TX_POOL_REPAY, NET, 181);
    CHECK_CODE(too_much.code, TALLY_ERR_NOT_IN_DEBT);
    CHECK_EQ(too_much.available, 180);
    CHECK_CODE(do_pool(&world, &bob, TALLY_TX_POOL_REPAY, NET, 1).code, TALLY_ERR_NOT_IN_DEBT);
    world_free(&world);
}

TEST(pool_repay_rounds_reserve_up) {
    test_world world;
    setup(&world, 0, 300);
    test_actor op = actor(0), alice = actor(1);
    CHECK_CODE(do_set_peg(&world, &op, NET, USD, 3, 2).code, TALLY_OK);
    /* 7 credits are worth 10.5 reserve: the debtor pays 11 */
    CHECK_EQ(do_pool(&world, &alice, TALLY_TX_POOL_REPAY, NET, 7).reserve, 11);
    world_free(&world);
}

TEST(pool_redeem_from_buffer_then_primary) {
    test_world world;
    setup(&world, 10000, 300);
    test_actor alice = actor(1), bob = actor(2), investor = actor(11);
    CHECK_CODE(do_pool(&world, &investor, TALLY_TX_POOL_DEPOSIT, NET, 100).code, TALLY_OK); /* primary 100 */
    tally_result no_lost = do_pool(&world, &bob, TALLY_TX_POOL_REDEEM, NET, 10);
    CHECK_CODE(no_lost.code, TALLY_ERR_NO_LOST_DEBT);
    CHECK_EQ(no_lost.available, 0);
    CHECK_CODE(do_pool(&world, &alice, TALLY_TX_POOL_REPAY, NET, 50).code, TALLY_OK); /* buffer 50, lost 50 */
    tally_result redeemed = do_pool(&world, &bob, TALLY_TX_POOL_REDEEM, NET, 30);
    CHECK_CODE(redeemed.code, TALLY_OK);
    CHECK_EQ(redeemed.burned, 30);
    CHECK_EQ(redeemed.reserve, 30);
    CHECK_EQ(net(&world)->pool_buffer, 20);
    CHECK_EQ(net(&world)->pool_primary, 100);
    CHECK_EQ(balance_of(&world, NET, &bob), 270);
    CHECK_EQ(system_member(&world, NET, TALLY_SYSTEM_LOST_DEBT)->balance, -20);
    CHECK_EQ(usd(&world, &bob), 1030);
    world_free(&world);

    /* a default makes lost debt; redemption takes buffer (0) then primary */
    setup(&world, 10000, 300);
    CHECK_CODE(do_pool(&world, &investor, TALLY_TX_POOL_DEPOSIT, NET, 100).code, TALLY_OK);
    world_advance_to(&world, WORLD_START_TIME + 10 * DAY);
    tally_block_summary summary = world_advance_to(&world, WORLD_START_TIME + 15 * DAY);
    CHECK_EQ(summary.lines_defaulted, 1);
    CHECK_EQ(system_member(&world, NET, TALLY_SYSTEM_LOST_DEBT)->balance, -300);
    tally_result short_pool = do_pool(&world, &bob, TALLY_TX_POOL_REDEEM, NET, 101);
    CHECK_CODE(short_pool.code, TALLY_ERR_POOL_RESERVE_SHORT);
    CHECK_EQ(short_pool.available, 100);
    redeemed = do_pool(&world, &bob, TALLY_TX_POOL_REDEEM, NET, 100);
    CHECK_CODE(redeemed.code, TALLY_OK);
    CHECK_EQ(net(&world)->pool_primary, 0);
    /* the pool is empty: the investor's shares are void */
    CHECK_EQ(net(&world)->pool_total_shares, 0);
    CHECK_EQ(tally_state_pool_shares(world.state, NET, &investor.key), 0);
    world_free(&world);
}

TEST(pool_redeem_never_burns_more_than_it_pays) {
    test_world world;
    setup(&world, 10000, 300);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_pool(&world, &alice, TALLY_TX_POOL_REPAY, NET, 100).code, TALLY_OK); /* buffer 100 */
    /* 3 credits are worth 2 reserve units: announced (the pool holds reserve), in a day */
    tally_result pegged = do_set_peg(&world, &op, NET, USD, 2, 3);
    CHECK_CODE(pegged.code, TALLY_OK);
    CHECK_EQ(pegged.effective_at, world.time + TALLY_NOTICE_SECONDS_MIN);
    CHECK_EQ(net(&world)->peg_reserve_units, 1);
    CHECK_EQ(world_advance_to(&world, world.time + TALLY_NOTICE_SECONDS_MIN).peg_changes, 1);
    CHECK_EQ(net(&world)->peg_reserve_units, 2);
    /* 10 credits = 6.67 reserve: pays 6, burns only the 9 credits that 6 is worth */
    tally_result redeemed = do_pool(&world, &bob, TALLY_TX_POOL_REDEEM, NET, 10);
    CHECK_CODE(redeemed.code, TALLY_OK);
    CHECK_EQ(redeemed.reserve, 6);
    CHECK_EQ(redeemed.burned, 9);
    CHECK_EQ(balance_of(&world, NET, &bob), 291);
    /* 1 credit is worth 0.67 reserve: nothing to pay, so nothing is burned */
    CHECK_CODE(do_pool(&world, &bob, TALLY_TX_POOL_REDEEM, NET, 1).code, TALLY_ERR_AMOUNT_TOO_SMALL);
    tally_result over = do_pool(&world, &bob, TALLY_TX_POOL_REDEEM, NET, 292);
    CHECK_CODE(over.code, TALLY_ERR_INSUFFICIENT_BALANCE);
    CHECK_EQ(over.available, 291);
    tally_result broke = do_pool(&world, &alice, TALLY_TX_POOL_REDEEM, NET, 1);
    CHECK_CODE(broke.code, TALLY_ERR_INSUFFICIENT_BALANCE);
    world_free(&world);
}

TEST(pool_excess_moves_to_primary_at_block_end_below_target) {
    test_world world;
    setup(&world, 2000, 100);
    test_actor alice = actor(1), bob = actor(2), investor = actor(11);
    CHECK_CODE(do_pool(&world, &investor, TALLY_TX_POOL_DEPOSIT, NET, 100).code, TALLY_OK); /* 20/80 */
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 400, 0).code, TALLY_OK); /* supply 500: needs 100 */
    tally_block_summary summary = world_advance_to(&world, world.time + 1);
    CHECK_EQ(summary.reserve_reallocated, 80);
    CHECK_EQ(net(&world)->pool_primary, 100);
    CHECK_EQ(net(&world)->pool_excess, 0);
    CHECK_EQ(tally_network_rtd_bps(net(&world)), 2000);
    summary = world_advance_to(&world, world.time + 1);
    CHECK_EQ(summary.reserve_reallocated, 0);
    world_free(&world);
}

TEST(pool_refusals) {
    test_world world;
    setup(&world, 2000, 100);
    test_actor op = actor(0), investor = actor(11), poor = actor(40);
    CHECK_CODE(do_pool(&world, &investor, TALLY_TX_POOL_DEPOSIT, 9, 10).code, TALLY_ERR_UNKNOWN_NETWORK);
    CHECK_CODE(do_pool(&world, &investor, TALLY_TX_POOL_DEPOSIT, NET, 0).code, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    CHECK_CODE(do_pool(&world, &investor, TALLY_TX_POOL_DEPOSIT, NET, -1).code, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    tally_result poor_result = do_pool(&world, &poor, TALLY_TX_POOL_DEPOSIT, NET, 10);
    CHECK_CODE(poor_result.code, TALLY_ERR_INSUFFICIENT_ASSET);
    CHECK_CODE(do_pool(&world, &investor, TALLY_TX_POOL_DEPOSIT, NET, 1001).code, TALLY_ERR_INSUFFICIENT_ASSET);
    CHECK_CODE(do_pool(&world, &poor, TALLY_TX_POOL_REPAY, NET, 1).code, TALLY_ERR_NOT_MEMBER);
    CHECK_CODE(do_pool(&world, &poor, TALLY_TX_POOL_REDEEM, NET, 1).code, TALLY_ERR_NOT_MEMBER);
    CHECK_CODE(do_pool(&world, &investor, TALLY_TX_POOL_DEPOSIT, NET, 100).code, TALLY_OK);
    /* the reserve asset cannot change while the pool holds reserve */
    test_actor bank = actor(10);
    CHECK_EQ(do_create_asset(&world, &bank, "EUR").created_id, 2);
    CHECK_CODE(do_set_peg(&world, &op, NET, 2, 1, 1).code, TALLY_ERR_POOL_NOT_EMPTY);
    CHECK_CODE(do_set_peg(&world, &op, NET, 0, 0, 0).code, TALLY_ERR_POOL_NOT_EMPTY);
    CHECK_CODE(do_set_peg(&world, &op, NET, 3, 1, 1).code, TALLY_ERR_UNKNOWN_ASSET);
    CHECK_CODE(do_set_peg(&world, &op, NET, USD, 0, 1).code, TALLY_ERR_BAD_PEG);
    CHECK_CODE(do_set_peg(&world, &investor, NET, USD, 1, 1).code, TALLY_ERR_NOT_OPERATOR);
    world_free(&world);

    /* a network without a reserve asset has no pool to use */
    world_init(&world);
    tally_policy policy = policy_default();
    CHECK_CODE(do_create_network(&world, &op, &policy).code, TALLY_OK);
    CHECK_CODE(do_pool(&world, &investor, TALLY_TX_POOL_DEPOSIT, NET, 10).code, TALLY_ERR_NO_RESERVE_ASSET);
    world_free(&world);
}

TEST(pool_reserve_cannot_be_sent_to_a_system_account) {
    test_world world;
    setup(&world, 2000, 100);
    test_actor investor = actor(11);
    tally_tx tx = world_tx(&world, &investor, TALLY_TX_ASSET_TRANSFER);
    tx.body.asset_move.asset_id = USD;
    tx.body.asset_move.to = tally_system_key(NET, TALLY_SYSTEM_POOL);
    tx.body.asset_move.amount = 5;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_SYSTEM_ACCOUNT);
    world_free(&world);
}

TEST(pool_extreme_peg_saturates_instead_of_overflowing) {
    test_world world;
    setup(&world, 10000, 100);
    test_actor op = actor(0), investor = actor(11);
    /* one credit unit worth INT64_MAX reserve units: the target needs more reserve
     * than can exist, so every deposit goes to primary */
    CHECK_CODE(do_set_peg(&world, &op, NET, USD, INT64_MAX, 1).code, TALLY_OK);
    tally_result deposited = do_pool(&world, &investor, TALLY_TX_POOL_DEPOSIT, NET, 1000);
    CHECK_CODE(deposited.code, TALLY_OK);
    CHECK_EQ(deposited.to_primary, 1000);
    CHECK_EQ(tally_network_rtd_bps(net(&world)), 0);
    /* the other way round: a unit of reserve is worth INT64_MAX credits (announced:
     * the pool holds reserve) */
    CHECK_CODE(do_set_peg(&world, &op, NET, USD, 1, INT64_MAX).code, TALLY_OK);
    CHECK_EQ(tally_network_rtd_bps(net(&world)), 0);
    world_advance_to(&world, world.time + TALLY_NOTICE_SECONDS_MIN);
    CHECK_EQ(tally_network_rtd_bps(net(&world)), INT64_MAX);
    world_free(&world);
}

TEST(pool_target_exact_with_huge_peg_terms) {
    test_world world;
    world_init(&world);
    test_actor op = actor(0), alice = actor(1), bob = actor(2), bank = actor(10);
    tally_policy policy = policy_default();
    policy.default_credit_limit = 2000000000000000;
    policy.max_credit_limit = 2000000000000000;
    policy.target_rtd_bps = 10000;
    CHECK_CODE(do_create_network(&world, &op, &policy).code, TALLY_OK);
    CHECK_EQ(do_create_asset(&world, &bank, "USD").created_id, USD);
    /* INT64_MAX credit units are worth 2^62 reserve units: about 1 per 2 credits */
    CHECK_CODE(do_set_peg(&world, &op, NET, USD, (int64_t)1 << 62, INT64_MAX).code, TALLY_OK);
    const test_actor *joiners[] = {&alice, &bob};
    for (int i = 0; i < 2; i++) {
        tally_tx tx = world_tx(&world, joiners[i], TALLY_TX_MEMBER_JOIN);
        tx.body.network_only.network_id = NET;
        CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    }
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 2000000000000000, 0).code, TALLY_OK);
    CHECK_CODE(do_issue(&world, &bank, USD, &bob, 1500000000000000).code, TALLY_OK);
    /* 100% of 2e15 credits is 2e15 * 2^62 / (2^63 - 1) = 1e15 + a little: rounded up */
    tally_result deposited = do_pool(&world, &bob, TALLY_TX_POOL_DEPOSIT, NET, 1500000000000000);
    CHECK_CODE(deposited.code, TALLY_OK);
    CHECK_EQ(deposited.to_primary, 1000000000000001);
    CHECK_EQ(deposited.to_excess, 499999999999999);
    world_free(&world);
}
