/*
 * test_credit.c: credit lines and their periods, after the Stable Credit protocol's
 * own tests: a 90-day period with 30-day grace, a frozen line during grace (whose
 * payment is refused with an error, not silently accepted), recovery during grace,
 * and default after grace with lost debt equal to the written-off debt and limit 0.
 * Also the three compliance rules, renewal, expiry, and the operator's refusals.
 */
#include "fixture.h"
#include "test.h"

enum { NET = 1 };

static void setup(test_world *world, tally_compliance_rule rule, bool auto_renew) {
    world_init(world);
    tally_policy policy = policy_default();
    policy.compliance_rule = (uint8_t)rule;
    policy.auto_renew = auto_renew;
    policy.min_income_bps = 2500; /* MIN_INCOME: earn 25% of the debt per period */
    test_actor founder = actor(0);
    CHECK_CODE(do_create_network(world, &founder, &policy).code, TALLY_OK);
    for (uint32_t i = 1; i <= 3; i++) {
        test_actor member = actor(i);
        CHECK_CODE(do_admit(world, &founder, NET, &member).code, TALLY_OK);
    }
}

/* Alice (1) gets a 1000 line over 90 days with 30 days of grace and spends 500
 * with Bob (2), who has a line too so that he can pay her back on credit. */
static void open_and_spend(test_world *world) {
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_open_line(world, &op, NET, &alice, 1000, 90 * DAY, 30 * DAY, 0).code, TALLY_OK);
    CHECK_CODE(do_open_line(world, &op, NET, &bob, 1000, 365 * DAY, 30 * DAY, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(world, &alice, NET, &bob, 500, 0).code, TALLY_OK);
}

TEST(credit_line_period_90_days_grace_30_frozen_then_default) {
    test_world world;
    setup(&world, TALLY_COMPLIANCE_ZERO_BALANCE, true);
    open_and_spend(&world);
    test_actor alice = actor(1), bob = actor(2);
    const tally_member *line = member_of(&world, NET, &alice);
    CHECK_EQ(line->period_end, WORLD_START_TIME + 90 * DAY);

    /* one second before the end nothing happens */
    tally_block_summary summary = world_advance_to(&world, WORLD_START_TIME + 90 * DAY - 1);
    CHECK_EQ(summary.lines_frozen, 0);
    CHECK_EQ(member_of(&world, NET, &alice)->line_status, TALLY_LINE_ACTIVE);

    summary = world_advance_to(&world, WORLD_START_TIME + 90 * DAY);
    CHECK_EQ(summary.lines_frozen, 1);
    line = member_of(&world, NET, &alice);
    CHECK_EQ(line->line_status, TALLY_LINE_FROZEN);
    CHECK_EQ(line->grace_end, WORLD_START_TIME + 120 * DAY);

    /* frozen: a payment on credit is refused with an error, not silently accepted */
    tally_result refused = do_pay(&world, &alice, NET, &bob, 1, 0);
    CHECK_CODE(refused.code, TALLY_ERR_LINE_FROZEN);
    CHECK_EQ(balance_of(&world, NET, &alice), -500);
    CHECK_EQ(tally_member_available(world.state, member_of(&world, NET, &alice)), 0);

    summary = world_advance_to(&world, WORLD_START_TIME + 120 * DAY);
    CHECK_EQ(summary.lines_defaulted, 1);
    CHECK_EQ(summary.debt_written_off, 500);
    line = member_of(&world, NET, &alice);
    CHECK_EQ(line->line_status, TALLY_LINE_DEFAULTED);
    CHECK_EQ(line->status, TALLY_MEMBER_DEFAULTED);
    CHECK_EQ(line->limit, 0);
    CHECK_EQ(line->balance, 0);
    CHECK_EQ(system_member(&world, NET, TALLY_SYSTEM_LOST_DEBT)->balance, -500);
    /* the money Bob holds is still there: supply == debt == lost debt */
    CHECK_EQ(balance_of(&world, NET, &bob), 500);
    CHECK_EQ(tally_state_network(world.state, NET)->debt, 500);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 1, 0).code, TALLY_ERR_MEMBER_DEFAULTED);
    /* a new line needs the operator to reinstate her first */
    test_actor op = actor(0);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 100, 0, 0, 0).code, TALLY_ERR_MEMBER_DEFAULTED);
    tally_tx tx = world_tx(&world, &op, TALLY_TX_MEMBER_REINSTATE);
    tx.body.network_key.network_id = NET;
    tx.body.network_key.key = alice.key;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 100, 0, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 100, 0).code, TALLY_OK);
    world_free(&world);
}

/* tally_state_next_due: when the chain has something to do by itself (what a node
 * wakes for): the network's health period ends (every 30 days from its creation),
 * alice's period end, then her grace end, then bob's period end. */
TEST(credit_next_due_is_the_next_period_or_grace_end) {
    test_world world;
    setup(&world, TALLY_COMPLIANCE_ZERO_BALANCE, true);
    CHECK_EQ(tally_state_next_due(world.state), WORLD_START_TIME + 30 * DAY); /* no line yet: its health period */
    open_and_spend(&world);
    CHECK_EQ(tally_state_next_due(world.state), WORLD_START_TIME + 30 * DAY);
    world_advance_to(&world, WORLD_START_TIME + 60 * DAY + 1);
    CHECK_EQ(tally_state_next_due(world.state), WORLD_START_TIME + 90 * DAY); /* alice's period, and health's */
    world_advance_to(&world, WORLD_START_TIME + 90 * DAY);
    CHECK_EQ(tally_state_next_due(world.state), WORLD_START_TIME + 120 * DAY); /* alice frozen: her grace */
    world_advance_to(&world, WORLD_START_TIME + 120 * DAY);
    CHECK_EQ(tally_state_next_due(world.state), WORLD_START_TIME + 150 * DAY); /* alice defaulted: health next */
    const test_actor bob = actor(2);
    CHECK_EQ(member_of(&world, NET, &bob)->period_end, WORLD_START_TIME + 365 * DAY);
    world_advance_to(&world, WORLD_START_TIME + 360 * DAY);
    CHECK_EQ(tally_state_next_due(world.state), WORLD_START_TIME + 365 * DAY); /* bob's end before health's 390 */
    world_free(&world);
}

TEST(credit_recovery_during_grace_unfreezes_and_renews) {
    test_world world;
    setup(&world, TALLY_COMPLIANCE_ZERO_BALANCE, true);
    open_and_spend(&world);
    test_actor alice = actor(1), bob = actor(2);
    world_advance_to(&world, WORLD_START_TIME + 90 * DAY);
    CHECK_EQ(member_of(&world, NET, &alice)->line_status, TALLY_LINE_FROZEN);

    /* a frozen member still receives; paid back to 0 on day 100 it is compliant */
    world.time = WORLD_START_TIME + 100 * DAY;
    CHECK_CODE(do_pay(&world, &bob, NET, &alice, 499, 0).code, TALLY_OK);
    CHECK_EQ(member_of(&world, NET, &alice)->line_status, TALLY_LINE_FROZEN);
    CHECK_CODE(do_pay(&world, &bob, NET, &alice, 1, 0).code, TALLY_OK);
    const tally_member *line = member_of(&world, NET, &alice);
    CHECK_EQ(line->line_status, TALLY_LINE_ACTIVE);
    CHECK_EQ(line->period_start, WORLD_START_TIME + 100 * DAY);
    CHECK_EQ(line->period_end, WORLD_START_TIME + 190 * DAY);

    /* the grace deadline passes without a default */
    tally_block_summary summary = world_advance_to(&world, WORLD_START_TIME + 120 * DAY);
    CHECK_EQ(summary.lines_defaulted, 0);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 1000, 0).code, TALLY_OK);
    world_free(&world);
}

TEST(credit_frozen_line_unfreezes_only_on_compliance) {
    test_world world;
    setup(&world, TALLY_COMPLIANCE_REBALANCED, true);
    open_and_spend(&world);
    test_actor alice = actor(1), bob = actor(2), carol = actor(3);
    world_advance_to(&world, WORLD_START_TIME + 90 * DAY);
    CHECK_EQ(member_of(&world, NET, &alice)->line_status, TALLY_LINE_FROZEN);
    /* Bob pays 600: alice is at +100, rebalanced, so unfrozen at once */
    CHECK_CODE(do_pay(&world, &bob, NET, &alice, 600, 0).code, TALLY_OK);
    CHECK_EQ(member_of(&world, NET, &alice)->line_status, TALLY_LINE_ACTIVE);
    world_free(&world);

    /* under MIN_INCOME, income below the ratio leaves the line frozen */
    setup(&world, TALLY_COMPLIANCE_MIN_INCOME, true);
    open_and_spend(&world);
    world_advance_to(&world, WORLD_START_TIME + 90 * DAY);
    CHECK_EQ(member_of(&world, NET, &alice)->line_status, TALLY_LINE_FROZEN);
    /* 50 of income is below 25% of the 450 still owed (113): still frozen */
    CHECK_CODE(do_pay(&world, &bob, NET, &alice, 50, 0).code, TALLY_OK);
    CHECK_EQ(member_of(&world, NET, &alice)->line_status, TALLY_LINE_FROZEN);
    CHECK_CODE(do_pay(&world, &alice, NET, &carol, 1, 0).code, TALLY_ERR_LINE_FROZEN);
    world_free(&world);
}

TEST(credit_compliance_rebalanced_counts_any_moment_in_period) {
    test_world world;
    setup(&world, TALLY_COMPLIANCE_REBALANCED, true);
    open_and_spend(&world);
    test_actor alice = actor(1), bob = actor(2), carol = actor(3);
    world.time = WORLD_START_TIME + 10 * DAY;
    CHECK_CODE(do_pay(&world, &bob, NET, &alice, 500, 0).code, TALLY_OK); /* back to 0 */
    world.time = WORLD_START_TIME + 20 * DAY;
    CHECK_CODE(do_pay(&world, &alice, NET, &carol, 300, 0).code, TALLY_OK); /* -300 again */
    tally_block_summary summary = world_advance_to(&world, WORLD_START_TIME + 90 * DAY);
    CHECK_EQ(summary.lines_renewed, 1);
    CHECK_EQ(summary.lines_frozen, 0);
    const tally_member *line = member_of(&world, NET, &alice);
    CHECK_EQ(line->line_status, TALLY_LINE_ACTIVE);
    CHECK_EQ(line->period_start, WORLD_START_TIME + 90 * DAY);
    CHECK_EQ(line->period_end, WORLD_START_TIME + 180 * DAY);
    CHECK(!line->rebalanced_in_period);
    /* next period she never reaches 0: frozen */
    summary = world_advance_to(&world, WORLD_START_TIME + 180 * DAY);
    CHECK_EQ(summary.lines_frozen, 1);
    world_free(&world);
}

TEST(credit_compliance_zero_balance_needs_balance_at_end) {
    test_world world;
    setup(&world, TALLY_COMPLIANCE_ZERO_BALANCE, true);
    open_and_spend(&world);
    test_actor alice = actor(1), bob = actor(2), carol = actor(3);
    world.time = WORLD_START_TIME + 10 * DAY;
    CHECK_CODE(do_pay(&world, &bob, NET, &alice, 500, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &carol, 1, 0).code, TALLY_OK); /* -1 at the end */
    tally_block_summary summary = world_advance_to(&world, WORLD_START_TIME + 90 * DAY);
    CHECK_EQ(summary.lines_frozen, 1);
    world_free(&world);
}

TEST(credit_compliance_min_income_ratio_of_debt) {
    test_world world;
    setup(&world, TALLY_COMPLIANCE_MIN_INCOME, true);
    open_and_spend(&world); /* alice -500: needs 125 income */
    test_actor alice = actor(1), bob = actor(2), carol = actor(3);
    CHECK_CODE(do_pay(&world, &bob, NET, &alice, 124, 0).code, TALLY_OK); /* -376: needs 94 */
    CHECK_CODE(do_pay(&world, &alice, NET, &carol, 124, 0).code, TALLY_OK); /* -500 again: needs 125 */
    tally_block_summary summary = world_advance_to(&world, WORLD_START_TIME + 90 * DAY);
    CHECK_EQ(summary.lines_frozen, 1);
    world_free(&world);

    setup(&world, TALLY_COMPLIANCE_MIN_INCOME, true);
    open_and_spend(&world);
    CHECK_CODE(do_pay(&world, &bob, NET, &alice, 100, 0).code, TALLY_OK); /* -400: needs 100 */
    summary = world_advance_to(&world, WORLD_START_TIME + 90 * DAY);
    CHECK_EQ(summary.lines_frozen, 0);
    CHECK_EQ(summary.lines_renewed, 1); /* bob's 365-day line is not due */
    CHECK_EQ(member_of(&world, NET, &alice)->income_in_period, 0);
    world_free(&world);
}

TEST(credit_without_auto_renew_expires_and_operator_renews) {
    test_world world;
    setup(&world, TALLY_COMPLIANCE_ZERO_BALANCE, false);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 90 * DAY, 30 * DAY, 0).code, TALLY_OK);
    tally_block_summary summary = world_advance_to(&world, WORLD_START_TIME + 90 * DAY);
    CHECK_EQ(summary.lines_expired, 1);
    CHECK_EQ(member_of(&world, NET, &alice)->line_status, TALLY_LINE_EXPIRED);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 1, 0).code, TALLY_ERR_LINE_EXPIRED);
    tally_tx tx = world_tx(&world, &op, TALLY_TX_LINE_UPDATE);
    tx.body.line_update.network_id = NET;
    tx.body.line_update.member = alice.key;
    tx.body.line_update.limit = 800;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    const tally_member *line = member_of(&world, NET, &alice);
    CHECK_EQ(line->line_status, TALLY_LINE_ACTIVE);
    CHECK_EQ(line->limit, 800);
    CHECK_EQ(line->period_end, WORLD_START_TIME + 180 * DAY);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 800, 0).code, TALLY_OK);
    world_free(&world);
}

TEST(credit_stalled_chain_renews_once_from_now) {
    test_world world;
    setup(&world, TALLY_COMPLIANCE_ZERO_BALANCE, true);
    test_actor op = actor(0), alice = actor(1);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 10 * DAY, 5 * DAY, 0).code, TALLY_OK);
    tally_block_summary summary = world_advance_to(&world, WORLD_START_TIME + 100 * DAY + 7);
    CHECK_EQ(summary.lines_renewed, 1);
    CHECK_EQ(member_of(&world, NET, &alice)->period_end, WORLD_START_TIME + 110 * DAY + 7);
    world_free(&world);

    /* a stall shorter than a whole period: the next period follows the last one
     * (periods stay where they were), renewed once */
    setup(&world, TALLY_COMPLIANCE_ZERO_BALANCE, true);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 10 * DAY, 5 * DAY, 0).code, TALLY_OK);
    summary = world_advance_to(&world, WORLD_START_TIME + 19 * DAY);
    CHECK_EQ(summary.lines_renewed, 1);
    CHECK_EQ(member_of(&world, NET, &alice)->period_start, WORLD_START_TIME + 10 * DAY);
    CHECK_EQ(member_of(&world, NET, &alice)->period_end, WORLD_START_TIME + 20 * DAY);
    world_free(&world);
}

TEST(credit_line_operator_rules_and_refusals) {
    test_world world;
    setup(&world, TALLY_COMPLIANCE_ZERO_BALANCE, true);
    test_actor op = actor(0), alice = actor(1), bob = actor(2), stranger = actor(50);
    /* only an operator opens lines, for members, within the network's maximum */
    CHECK_CODE(do_open_line(&world, &bob, NET, &alice, 100, 0, 0, 0).code, TALLY_ERR_NOT_OPERATOR);
    CHECK_CODE(do_open_line(&world, &op, 9, &alice, 100, 0, 0, 0).code, TALLY_ERR_UNKNOWN_NETWORK);
    CHECK_CODE(do_open_line(&world, &op, NET, &stranger, 100, 0, 0, 0).code, TALLY_ERR_NOT_MEMBER);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, -1, 0, 0, 0).code, TALLY_ERR_LIMIT_NEGATIVE);
    tally_result above = do_open_line(&world, &op, NET, &alice, 1000001, 0, 0, 0);
    CHECK_CODE(above.code, TALLY_ERR_LIMIT_ABOVE_MAX);
    CHECK_EQ(above.available, 1000000);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 100, 0, 0, 10001).code, TALLY_ERR_BAD_POLICY);
    tally_tx tx = world_tx(&world, &op, TALLY_TX_LINE_OPEN);
    tx.body.line_open.network_id = NET;
    tx.body.line_open.member = tally_system_key(NET, TALLY_SYSTEM_FEES);
    tx.body.line_open.limit = 10;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_SYSTEM_ACCOUNT);
    /* defaults from the policy: 30-day period, 10-day grace */
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 0, 0, 0).code, TALLY_OK);
    CHECK_EQ(member_of(&world, NET, &alice)->period_seconds, 30 * DAY);
    CHECK_EQ(member_of(&world, NET, &alice)->grace_seconds, 10 * DAY);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 0, 0, 0).code, TALLY_ERR_LINE_EXISTS);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 600, 0).code, TALLY_OK);

    /* update: not below the debt */
    tx = world_tx(&world, &op, TALLY_TX_LINE_UPDATE);
    tx.body.line_update.network_id = NET;
    tx.body.line_update.member = alice.key;
    tx.body.line_update.limit = 599;
    tally_result below = world_apply(&world, &tx);
    CHECK_CODE(below.code, TALLY_ERR_LIMIT_BELOW_DEBT);
    CHECK_EQ(below.available, 600);
    tx.body.line_update.limit = 600;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    CHECK_EQ(tally_member_available(world.state, member_of(&world, NET, &alice)), 0);
    tx = world_tx(&world, &op, TALLY_TX_LINE_UPDATE);
    tx.body.line_update.network_id = NET;
    tx.body.line_update.member = bob.key;
    tx.body.line_update.limit = 10;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_NO_LINE);

    /* close: only at zero debt; then the limit is 0 */
    tx = world_tx(&world, &op, TALLY_TX_LINE_CLOSE);
    tx.body.network_key.network_id = NET;
    tx.body.network_key.key = alice.key;
    tally_result not_zero = world_apply(&world, &tx);
    CHECK_CODE(not_zero.code, TALLY_ERR_DEBT_NOT_ZERO);
    CHECK_EQ(not_zero.available, 600);
    CHECK_CODE(do_pay(&world, &bob, NET, &alice, 600, 0).code, TALLY_OK);
    tx = world_tx(&world, &op, TALLY_TX_LINE_CLOSE);
    tx.body.network_key.network_id = NET;
    tx.body.network_key.key = alice.key;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    CHECK_EQ(member_of(&world, NET, &alice)->limit, 0);
    CHECK_EQ(member_of(&world, NET, &alice)->line_status, TALLY_LINE_CLOSED);
    tx = world_tx(&world, &op, TALLY_TX_LINE_CLOSE);
    tx.body.network_key.network_id = NET;
    tx.body.network_key.key = alice.key;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_ERR_NO_LINE);
    /* a closed line's period never fires */
    tally_block_summary summary = world_advance_to(&world, WORLD_START_TIME + 400 * DAY);
    CHECK_EQ(summary.lines_frozen + summary.lines_renewed + summary.lines_defaulted, 0);
    world_free(&world);
}

TEST(credit_default_burns_pool_credits_against_lost_debt) {
    test_world world;
    tally_policy policy = policy_default();
    policy.fee_bps = 1000; /* 10% */
    world_init(&world);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_create_network(&world, &op, &policy).code, TALLY_OK);
    CHECK_CODE(do_admit(&world, &op, NET, &alice).code, TALLY_OK);
    CHECK_CODE(do_admit(&world, &op, NET, &bob).code, TALLY_OK);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000, 10 * DAY, 5 * DAY, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 500, 50).code, TALLY_OK); /* alice -550, fees 50 */
    tally_tx tx = world_tx(&world, &op, TALLY_TX_FEE_DISTRIBUTE);
    tx.body.fee_distribute.network_id = NET;
    tx.body.fee_distribute.to_pool = true;
    tx.body.fee_distribute.amount = 40;
    CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
    CHECK_EQ(system_member(&world, NET, TALLY_SYSTEM_POOL)->balance, 40);
    world_advance_to(&world, WORLD_START_TIME + 10 * DAY);
    tally_block_summary summary = world_advance_to(&world, WORLD_START_TIME + 15 * DAY);
    CHECK_EQ(summary.lines_defaulted, 1);
    CHECK_EQ(summary.debt_written_off, 550);
    CHECK_EQ(summary.lost_debt_burned, 40);
    CHECK_EQ(system_member(&world, NET, TALLY_SYSTEM_LOST_DEBT)->balance, -510);
    CHECK_EQ(system_member(&world, NET, TALLY_SYSTEM_POOL)->balance, 0);
    CHECK_EQ(tally_state_network(world.state, NET)->supply, 510); /* bob 500 + fees 10 */
    world_free(&world);
}

TEST(credit_line_close_refused_for_a_debt_of_one) {
    test_world world;
    setup(&world, TALLY_COMPLIANCE_ZERO_BALANCE, true);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 10, 0, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 1, 0).code, TALLY_OK);
    tally_tx tx = world_tx(&world, &op, TALLY_TX_LINE_CLOSE);
    tx.body.network_key.network_id = NET;
    tx.body.network_key.key = alice.key;
    tally_result refused = world_apply(&world, &tx);
    CHECK_CODE(refused.code, TALLY_ERR_DEBT_NOT_ZERO);
    CHECK_EQ(refused.available, 1);
    CHECK_EQ(member_of(&world, NET, &alice)->line_status, TALLY_LINE_ACTIVE);
    world_free(&world);
}

TEST(credit_block_summary_saturates_across_networks) {
    test_world world;
    world_init(&world);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    tally_policy policy = policy_default();
    policy.default_credit_limit = 5000000000000000000;
    policy.max_credit_limit = 5000000000000000000;
    for (uint32_t network = 1; network <= 2; network++) {
        CHECK_CODE(do_create_network(&world, &op, &policy).code, TALLY_OK);
        const test_actor *joiners[] = {&alice, &bob};
        for (int i = 0; i < 2; i++) {
            tally_tx tx = world_tx(&world, joiners[i], TALLY_TX_MEMBER_JOIN);
            tx.body.network_only.network_id = network;
            CHECK_CODE(world_apply(&world, &tx).code, TALLY_OK);
        }
        CHECK_CODE(do_pay(&world, &alice, network, &bob, 5000000000000000000, 0).code, TALLY_OK);
    }
    CHECK_EQ(world_advance_to(&world, world.time + 30 * DAY).lines_frozen, 2);
    tally_block_summary summary = world_advance_to(&world, world.time + 10 * DAY);
    CHECK_EQ(summary.lines_defaulted, 2);
    CHECK_EQ(summary.debt_written_off, INT64_MAX); /* 1e19 in two units: saturated, not wrapped */
    CHECK_EQ(system_member(&world, 1, TALLY_SYSTEM_LOST_DEBT)->balance, -5000000000000000000);
    world_free(&world);
}

/* Found by fuzz/fuzz_tx.c: a block at INT64_MAX renewed a line into a period that
 * ends at INT64_MAX (saturated), due again at once, and the block never ended. A
 * period or grace past the end of time never ends. */
TEST(credit_block_at_the_end_of_time_ends) {
    test_world world;
    setup(&world, TALLY_COMPLIANCE_ZERO_BALANCE, true);
    open_and_spend(&world);
    test_actor bob = actor(2);
    tally_block_summary summary = world_advance_to(&world, INT64_MAX);
    CHECK_EQ(summary.lines_defaulted, 1); /* alice: frozen, and her grace is over too */
    CHECK_EQ(summary.lines_renewed, 1);   /* bob, into a period that never ends */
    CHECK_EQ(member_of(&world, NET, &bob)->line_status, TALLY_LINE_ACTIVE);
    CHECK_EQ(member_of(&world, NET, &bob)->period_end, INT64_MAX);
    summary = world_advance_to(&world, INT64_MAX);
    CHECK_EQ(summary.lines_renewed, 0);
    world_free(&world);
}
