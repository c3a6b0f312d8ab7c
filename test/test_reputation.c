/*
 * test_reputation.c: the reputation score (the worked example of
 * docs/UNDERWRITING.md, to the point), the chain writing it at a line's period end,
 * algorithmic limits (a compliant member's line rises by at most the step, a
 * defaulter's drops to 0 and stays there until it has been compliant long enough),
 * and the network's charges: demurrage of 1% a period on balances above 1,000.00
 * takes 1.00 from 1,100.00; a member who cannot pay its membership fee is suspended
 * and is active again when it pays.
 */
#include "fixture.h"
#include "test.h"

#include <string.h>

enum { NET = 1 };

static tally_reputation_rule default_rule(void) {
    tally_policy policy;
    tally_policy_defaults(&policy);
    return policy.reputation;
}

/* docs/UNDERWRITING.md, "A worked example": 200 days old, 120,000 given and 180,000
 * received, 6 compliant periods in a row, net review stars +4, no default:
 *   200 + 200*200/365 (109) + 200*300000/1000000 (60) + 300*6/12 (150) + 100*4/10 (40) = 559
 * and with one default, 559 - 500 = 59. */
TEST(reputation_the_documented_worked_example) {
    tally_reputation_rule rule = default_rule();
    tally_reputation_inputs inputs = {.age_days = 200, .volume = 300000, .compliant_streak = 6, .defaults = 0,
                                      .review_points = 4};
    CHECK_EQ(tally_reputation_score(&rule, &inputs), 559);
    inputs.defaults = 1;
    CHECK_EQ(tally_reputation_score(&rule, &inputs), 59);
    /* the parts saturate at their "full" figures, and the score at 0 and 1000 */
    tally_reputation_inputs best = {.age_days = 5000, .volume = INT64_MAX, .compliant_streak = 99, .review_points = 99};
    CHECK_EQ(tally_reputation_score(&rule, &best), 1000);
    tally_reputation_inputs worst = {.defaults = 3, .review_points = -99};
    CHECK_EQ(tally_reputation_score(&rule, &worst), 0);
    /* bad reviews take up to the review weight away: 200 - 100 */
    tally_reputation_inputs panned = {.review_points = -10};
    CHECK_EQ(tally_reputation_score(&rule, &panned), 100);
    /* an all-zero rule scores everyone 0 */
    tally_reputation_rule zero;
    memset(&zero, 0, sizeof zero);
    CHECK_EQ(tally_reputation_score(&zero, &inputs), 0);
}

static void set_up(test_world *world, const tally_policy *policy) {
    world_init(world);
    test_actor op = actor(0);
    CHECK_CODE(do_create_network(world, &op, policy).code, TALLY_OK);
    for (uint32_t i = 1; i <= 3; i++) {
        test_actor member = actor(i);
        CHECK_CODE(do_admit(world, &op, NET, &member).code, TALLY_OK);
    }
}

TEST(reputation_the_chain_writes_the_score_at_each_period_end) {
    test_world world;
    tally_policy policy = policy_default();
    policy.reputation = default_rule();
    set_up(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 100000, 0, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 60000, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &bob, NET, &alice, 60000, 0).code, TALLY_OK);
    CHECK_EQ(member_of(&world, NET, &alice)->volume_given, 60000);
    CHECK_EQ(member_of(&world, NET, &alice)->volume_received, 60000);
    CHECK_EQ(member_of(&world, NET, &alice)->reputation, 200); /* written at joining: the base, age 0 */
    /* 30 days, compliant (balance 0): 200 + 200*30/365 (16) + 200*120000/1000000 (24) + 300*1/12 (25) = 265 */
    world_advance_to(&world, WORLD_START_TIME + 30 * DAY);
    const tally_member *record = member_of(&world, NET, &alice);
    CHECK_EQ(record->compliant_streak, 1);
    CHECK_EQ(record->reputation, 265);
    /* a non-compliant end resets the streak: 200 + 200*60/365 (32) + 24 = 256 */
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 1, 0).code, TALLY_OK);
    world_advance_to(&world, WORLD_START_TIME + 60 * DAY);
    record = member_of(&world, NET, &alice);
    CHECK_EQ(record->line_status, TALLY_LINE_FROZEN);
    CHECK_EQ(record->compliant_streak, 0);
    CHECK_EQ(record->reputation, 256);
    /* the default: one default costs 500 points: max(0, 200 + 32 + 24 - 500) = 0 */
    world_advance_to(&world, WORLD_START_TIME + 70 * DAY);
    record = member_of(&world, NET, &alice);
    CHECK_EQ(record->defaults, 1);
    CHECK_EQ(record->reputation, 0);
    /* the write-off is no income: volume received stays what payments brought */
    CHECK_EQ(record->volume_received, 60000);
    world_free(&world);
}

/* Limits by the algorithm: 5,000 and 100 per point of reputation, up to 5,000 more a
 * renewal. */
static tally_policy algorithmic_policy(void) {
    tally_policy policy = policy_default();
    policy.reputation = default_rule();
    policy.algorithmic_limits = (tally_limit_rule){.enabled = true, .base = 5000, .per_point = 100, .income_bps = 0,
                                                   .step_max = 5000, .recovery_periods = 2};
    return policy;
}

typedef struct {
    int count;
    tally_event last;
} limit_events;

static void count_limits(void *context, const tally_event *event) {
    limit_events *seen = context;
    if (event->kind != TALLY_EVENT_LIMIT_SET) return;
    seen->count++;
    seen->last = *event;
}

TEST(algorithmic_limits_raise_a_compliant_line_by_at_most_the_step) {
    test_world world;
    tally_policy policy = algorithmic_policy();
    set_up(&world, &policy);
    test_actor op = actor(0), alice = actor(1);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 10000, 0, 0, 0).code, TALLY_OK);
    /* first renewal: score 200 + 16 + 0 + 25 = 241, target 29,100: one step, 15,000 */
    world.time = WORLD_START_TIME + 30 * DAY;
    limit_events seen = {0};
    tally_end_block_events(world.state, world.time, count_limits, &seen);
    CHECK_EQ(member_of(&world, NET, &alice)->reputation, 241);
    CHECK_EQ(member_of(&world, NET, &alice)->limit, 15000);
    CHECK_EQ(seen.count, 1);
    CHECK_EQ(seen.last.amount, 15000);
    CHECK_EQ(seen.last.time, 241); /* the score it was set from: its reason */
    CHECK(memcmp(seen.last.member.bytes, alice.key.bytes, TALLY_KEY_BYTES) == 0);
    /* second: score 200 + 32 + 50 = 282, target 33,200: one more step, 20,000 */
    world_advance_to(&world, WORLD_START_TIME + 60 * DAY);
    CHECK_EQ(member_of(&world, NET, &alice)->reputation, 282);
    CHECK_EQ(member_of(&world, NET, &alice)->limit, 20000);
    /* third: 200 + 49 + 75 = 324: target 37,400 > 25,000: 25,000 */
    world_advance_to(&world, WORLD_START_TIME + 90 * DAY);
    CHECK_EQ(member_of(&world, NET, &alice)->limit, 25000);
    world_free(&world);
}

TEST(algorithmic_limits_drop_a_defaulter_to_zero_until_it_recovers) {
    test_world world;
    tally_policy policy = algorithmic_policy();
    set_up(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 10000, 0, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 500, 0).code, TALLY_OK);
    world_advance_to(&world, WORLD_START_TIME + 30 * DAY); /* frozen */
    world_advance_to(&world, WORLD_START_TIME + 40 * DAY); /* default: limit 0 */
    CHECK_EQ(member_of(&world, NET, &alice)->limit, 0);
    CHECK_EQ(member_of(&world, NET, &alice)->defaults, 1);
    /* reinstated, a line of 5,000 by hand: at its first renewal the algorithm takes
     * it to 0 (one compliant period since the default, two needed) */
    tally_tx reinstate = world_tx(&world, &op, TALLY_TX_MEMBER_REINSTATE);
    reinstate.body.network_key = (tally_tx_network_key){NET, alice.key};
    CHECK_CODE(world_apply(&world, &reinstate).code, TALLY_OK);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 5000, 0, 0, 0).code, TALLY_OK);
    world_advance_to(&world, WORLD_START_TIME + 70 * DAY);
    CHECK_EQ(member_of(&world, NET, &alice)->compliant_streak, 1);
    CHECK_EQ(member_of(&world, NET, &alice)->limit, 0);
    /* the second compliant period: the algorithm lends again (score 0 after the
     * default's 500 points: the base of 5,000), one step from 0 */
    world_advance_to(&world, WORLD_START_TIME + 100 * DAY);
    CHECK_EQ(member_of(&world, NET, &alice)->limit, 5000);
    /* never below what the line owes: a lowered target stops at the debt */
    CHECK_EQ(tally_algorithmic_limit(&policy, 8000, 0, 0, 0, 0, 5, 3000), 5000); /* down at once */
    CHECK_EQ(tally_algorithmic_limit(&policy, 8000, 0, 0, 0, 0, 5, 7000), 7000); /* but not below the debt */
    /* and income counts: the average of two periods, at income_bps: 5,000 + 4,000 / 2 */
    policy.algorithmic_limits.income_bps = 5000;
    CHECK_EQ(tally_algorithmic_limit(&policy, 10000, 0, 6000, 2000, 0, 5, 0), 7000);
    /* and the network's maximum bounds it */
    policy.max_credit_limit = 6000;
    CHECK_EQ(tally_algorithmic_limit(&policy, 10000, 0, 6000, 2000, 0, 5, 0), 6000);
    world_free(&world);
}

/* Demurrage of 1% a period on the part above 1,000.00: 1.00 from 1,100.00. */
TEST(charges_demurrage_takes_one_percent_of_the_part_above_the_threshold) {
    test_world world;
    tally_policy policy = policy_default();
    policy.demurrage_bps = 100;
    policy.demurrage_threshold = 100000;
    set_up(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2), carol = actor(3);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000000, 365 * DAY, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 110000, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &carol, 90000, 0).code, TALLY_OK);
    CHECK_EQ(tally_state_network(world.state, NET)->charges_at, WORLD_START_TIME + 30 * DAY);
    world_advance_to(&world, WORLD_START_TIME + 30 * DAY - 1);
    CHECK_EQ(balance_of(&world, NET, &bob), 110000);
    world_advance_to(&world, WORLD_START_TIME + 30 * DAY);
    CHECK_EQ(balance_of(&world, NET, &bob), 109900);
    CHECK_EQ(balance_of(&world, NET, &carol), 90000); /* below the threshold */
    CHECK_EQ(balance_of(&world, NET, &alice), -200000); /* debt pays no demurrage */
    CHECK_EQ(system_member(&world, NET, TALLY_SYSTEM_FEES)->balance, 100);
    CHECK_EQ(tally_state_network(world.state, NET)->charges_at, WORLD_START_TIME + 60 * DAY);
    /* to the pool's account when the policy says so: 1% of 9,900 is 99 */
    tally_tx update = world_tx(&world, &op, TALLY_TX_POLICY_UPDATE);
    update.body.policy_update.network_id = NET;
    update.body.policy_update.policy = policy;
    update.body.policy_update.policy.charges_to_pool = true;
    CHECK_CODE(world_apply(&world, &update).code, TALLY_OK);
    world_advance_to(&world, WORLD_START_TIME + 60 * DAY);
    CHECK_EQ(balance_of(&world, NET, &bob), 109801);
    CHECK_EQ(system_member(&world, NET, TALLY_SYSTEM_POOL)->balance, 99);
    /* a higher rate waits for the notice; stopping takes effect at once and ends the rounds */
    update = world_tx(&world, &op, TALLY_TX_POLICY_UPDATE);
    update.body.policy_update.network_id = NET;
    update.body.policy_update.policy = policy;
    update.body.policy_update.policy.demurrage_bps = 200;
    CHECK(world_apply(&world, &update).effective_at == world.time + TALLY_NOTICE_SECONDS_MIN);
    CHECK_EQ(tally_state_network(world.state, NET)->policy.demurrage_bps, 100);
    update = world_tx(&world, &op, TALLY_TX_POLICY_UPDATE);
    update.body.policy_update.network_id = NET;
    update.body.policy_update.policy = policy;
    update.body.policy_update.policy.demurrage_bps = 0;
    CHECK_CODE(world_apply(&world, &update).code, TALLY_OK);
    world_advance_to(&world, WORLD_START_TIME + 90 * DAY);
    CHECK_EQ(balance_of(&world, NET, &bob), 109801);
    CHECK_EQ(tally_state_network(world.state, NET)->charges_at, 0);
    world_free(&world);
}

TEST(charges_a_member_who_cannot_pay_its_fee_is_suspended_until_it_pays) {
    test_world world;
    tally_policy policy = policy_default();
    policy.membership_fee = 500;
    set_up(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2), carol = actor(3);
    /* alice can pay on credit, bob from his balance; carol has neither */
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 10000, 365 * DAY, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 2000, 0).code, TALLY_OK);
    world_advance_to(&world, WORLD_START_TIME + 30 * DAY);
    CHECK_EQ(balance_of(&world, NET, &alice), -2500);
    CHECK_EQ(balance_of(&world, NET, &bob), 1500);
    const tally_member *record = member_of(&world, NET, &carol);
    CHECK_EQ(record->status, TALLY_MEMBER_SUSPENDED);
    CHECK_EQ(record->fee_owed, 500);
    CHECK_EQ(balance_of(&world, NET, &carol), 0);
    CHECK_EQ(system_member(&world, NET, TALLY_SYSTEM_FEES)->balance, 1000);
    /* suspended: not charged again while it owes */
    world_advance_to(&world, WORLD_START_TIME + 60 * DAY);
    CHECK_EQ(member_of(&world, NET, &carol)->fee_owed, 500);
    CHECK_EQ(system_member(&world, NET, TALLY_SYSTEM_FEES)->balance, 2000);
    /* an operator cannot reinstate it: paying does */
    tally_tx reinstate = world_tx(&world, &op, TALLY_TX_MEMBER_REINSTATE);
    reinstate.body.network_key = (tally_tx_network_key){NET, carol.key};
    tally_result refused = world_apply(&world, &reinstate);
    CHECK_CODE(refused.code, TALLY_ERR_FEE_OWED);
    CHECK_EQ(refused.available, 500);
    tally_tx pay = world_tx(&world, &carol, TALLY_TX_MEMBER_FEE_PAY);
    pay.body.network_only.network_id = NET;
    refused = world_apply(&world, &pay);
    CHECK_CODE(refused.code, TALLY_ERR_INSUFFICIENT_CREDIT);
    CHECK_EQ(refused.available, 0);
    CHECK_CODE(do_pay(&world, &bob, NET, &carol, 600, 0).code, TALLY_OK);
    pay = world_tx(&world, &carol, TALLY_TX_MEMBER_FEE_PAY);
    pay.body.network_only.network_id = NET;
    tally_result paid = world_apply(&world, &pay);
    CHECK_CODE(paid.code, TALLY_OK);
    CHECK_EQ(paid.fee, 500);
    record = member_of(&world, NET, &carol);
    CHECK_EQ(record->status, TALLY_MEMBER_ACTIVE);
    CHECK_EQ(record->fee_owed, 0);
    CHECK_EQ(balance_of(&world, NET, &carol), 100);
    CHECK_EQ(system_member(&world, NET, TALLY_SYSTEM_FEES)->balance, 2500);
    pay = world_tx(&world, &carol, TALLY_TX_MEMBER_FEE_PAY);
    pay.body.network_only.network_id = NET;
    CHECK_CODE(world_apply(&world, &pay).code, TALLY_ERR_NO_FEE_OWED);
    world_free(&world);
}

/* A hold's amount is spent already: demurrage counts the balance less what holds
 * reserve, so posting the hold never finds the money gone. */
TEST(charges_demurrage_spares_what_holds_reserve) {
    test_world world;
    tally_policy policy = policy_default();
    policy.demurrage_bps = 100;
    policy.demurrage_threshold = 100000;
    set_up(&world, &policy);
    test_actor op = actor(0), alice = actor(1), bob = actor(2), carol = actor(3);
    CHECK_CODE(do_open_line(&world, &op, NET, &alice, 1000000, 365 * DAY, 0, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&world, &alice, NET, &bob, 110000, 0).code, TALLY_OK);
    tally_tx hold = world_tx(&world, &bob, TALLY_TX_PENDING_CREATE);
    hold.body.pending_create = (tally_tx_pending_create){NET, carol.key, 30000, 0, {{0}}, world.time + 60 * DAY, 0};
    CHECK_CODE(world_apply(&world, &hold).code, TALLY_OK);
    world_advance_to(&world, WORLD_START_TIME + 30 * DAY);
    CHECK_EQ(balance_of(&world, NET, &bob), 110000); /* 80,000 of its own: below the threshold */
    tally_tx post = world_tx(&world, &bob, TALLY_TX_PENDING_POST);
    post.body.pending_end = (tally_tx_pending_end){1, 30000};
    CHECK_CODE(world_apply(&world, &post).code, TALLY_OK);
    CHECK_EQ(balance_of(&world, NET, &bob), 80000);
    world_free(&world);
}
