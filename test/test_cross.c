/*
 * test_cross.c: payments across gateways (docs/GATEWAYS.md section 2), with the exact
 * numbers of issue 11: a rate of 3:2 with a 1% fee on each side; B's exposure limit
 * of 500 refuses the payment that would make gw:A's debt 501 and accepts 500; a
 * payment back moves both mirror accounts toward zero; a partner under the minimum
 * RTD gets no new exposure but can still be paid back; a 3-hop payment over a limit
 * at its last hop changes nothing; max_fee and min_received; every refusal of a path.
 */
#include <string.h>

#include "fixture.h"
#include "test.h"

enum { G = 1, R = 2, H = 3, X = 4 };

typedef struct {
    test_world world;
    test_actor op, alice, bob, carol, dave;
} cast;

/* Networks G, R, H, X (operated by op, network fee `fee_bps`); alice in G with a line
 * of 10000, bob in R, carol in R with a line of 10000, dave in H and X. */
static void setup(cast *c, uint32_t fee_bps) {
    world_init(&c->world);
    c->op = actor(1), c->alice = actor(2), c->bob = actor(3), c->carol = actor(4), c->dave = actor(5);
    tally_policy policy = policy_default();
    policy.fee_bps = fee_bps;
    for (uint32_t n = G; n <= X; n++) {
        test_actor founder = n == G ? c->op : actor(20 + n); /* three networks a key a day */
        REQUIRE(do_create_network(&c->world, &founder, &policy).code == TALLY_OK);
        if (n != G) {
            tally_tx add = world_tx(&c->world, &founder, TALLY_TX_OPERATOR_ADD);
            add.body.network_key = (tally_tx_network_key){n, c->op.key};
            REQUIRE(world_apply(&c->world, &add).code == TALLY_OK);
        }
    }
    CHECK_CODE(do_admit(&c->world, &c->op, G, &c->alice).code, TALLY_OK);
    CHECK_CODE(do_admit(&c->world, &c->op, R, &c->bob).code, TALLY_OK);
    CHECK_CODE(do_admit(&c->world, &c->op, R, &c->carol).code, TALLY_OK);
    CHECK_CODE(do_admit(&c->world, &c->op, H, &c->dave).code, TALLY_OK);
    CHECK_CODE(do_admit(&c->world, &c->op, X, &c->dave).code, TALLY_OK);
    CHECK_CODE(do_open_line(&c->world, &c->op, G, &c->alice, 10000, 30 * DAY, 5 * DAY, 0).code, TALLY_OK);
    CHECK_CODE(do_open_line(&c->world, &c->op, R, &c->carol, 10000, 30 * DAY, 5 * DAY, 0).code, TALLY_OK);
}

/* An open gateway from a to b: rate_a:rate_b, 1% each side, the limits given. */
static uint32_t gateway(cast *c, uint32_t a, uint32_t b, int64_t rate_a, int64_t rate_b, int64_t limit_a,
                        int64_t limit_b) {
    tally_gateway_terms terms = {rate_a, rate_b, {{100, limit_a, 0, 0}, {100, limit_b, 0, 0}}};
    tally_tx tx = world_tx(&c->world, &c->op, TALLY_TX_GATEWAY_PROPOSE);
    tx.body.gateway_propose = (tally_tx_gateway_propose){a, b, terms};
    tally_result made = world_apply(&c->world, &tx);
    CHECK_CODE(made.code, TALLY_OK);
    tx = world_tx(&c->world, &c->op, TALLY_TX_GATEWAY_ACCEPT);
    tx.body.gateway_accept = (tally_tx_gateway_accept){made.created_id, terms};
    CHECK_CODE(world_apply(&c->world, &tx).code, TALLY_OK);
    return made.created_id;
}

static tally_result pay_across(cast *c, const test_actor *payer, uint32_t from, const test_actor *payee, int64_t amount,
                               int64_t max_fee, int64_t min_received, uint8_t hops, const uint32_t *path) {
    tally_tx tx = world_tx(&c->world, payer, TALLY_TX_TRANSFER_CROSS);
    tally_tx_transfer_cross *body = &tx.body.transfer_cross;
    *body = (tally_tx_transfer_cross){from, payee->key, amount, max_fee, min_received, hops, {0}};
    for (uint8_t h = 0; h < hops && h < TALLY_PATH_HOPS_MAX; h++) body->gateways[h] = path[h];
    return world_apply(&c->world, &tx);
}

static tally_result close_gateway_for(cast *c, uint32_t id) {
    tally_tx tx = world_tx(&c->world, &c->op, TALLY_TX_GATEWAY_CLOSE);
    tx.body.gateway_end.gateway_id = id;
    return world_apply(&c->world, &tx);
}

static int64_t mirror(const cast *c, uint32_t network, uint32_t partner) {
    tally_key key = tally_gateway_key(network, partner);
    const tally_member *m = tally_state_member(c->world.state, network, &key);
    return m ? m->balance : INT64_MIN;
}

TEST(cross_an_exposure_limit_of_500_refuses_a_debt_of_501_and_accepts_500) {
    cast c;
    setup(&c, 0);
    uint32_t gr = gateway(&c, G, R, 1, 1, 500, 500);
    tally_result refused = pay_across(&c, &c.alice, G, &c.bob, 501, 0, 0, 1, &gr);
    CHECK_CODE(refused.code, TALLY_ERR_EXPOSURE_LIMIT);
    CHECK_EQ(refused.available, 500);
    CHECK_EQ(mirror(&c, R, G), 0);
    tally_result paid = pay_across(&c, &c.alice, G, &c.bob, 500, 0, 495, 1, &gr);
    CHECK_CODE(paid.code, TALLY_OK);
    CHECK_EQ(paid.available, 495); /* R's 1% fee is 5 */
    CHECK_EQ(mirror(&c, R, G), -500);
    CHECK_EQ(mirror(&c, G, R), 500);
    CHECK_CODE(pay_across(&c, &c.alice, G, &c.bob, 1, 0, 0, 1, &gr).code, TALLY_ERR_EXPOSURE_LIMIT);
    world_free(&c.world);
}

/* A gateway exchanges whole steps of its rate: at 3:2, 3 GVH for 2 RVS, so that its
 * two mirror accounts always hold the same value and both can come back to zero;
 * what is left of an amount below one step stays with the payer's network's fee
 * account. */
TEST(cross_a_rate_of_3_2_with_a_fee_each_side_and_an_exposure_limit_of_500) {
    cast c;
    setup(&c, 0);
    uint32_t gr = gateway(&c, G, R, 3, 2, 500, 500);
    /* 753 GVH are 251 steps: 502 would arrive in R, past its limit of 500 */
    tally_result refused = pay_across(&c, &c.alice, G, &c.bob, 753, 0, 0, 1, &gr);
    CHECK_CODE(refused.code, TALLY_ERR_EXPOSURE_LIMIT);
    CHECK_EQ(refused.available, 500);
    /* 752 GVH: 250 steps (750) cross and 2 stay with G's fee account; 500 arrive:
     * gw:G in R owes 500, R's 1% fee is 5, bob receives 495 */
    tally_result paid = pay_across(&c, &c.alice, G, &c.bob, 752, 0, 495, 1, &gr);
    CHECK_CODE(paid.code, TALLY_OK);
    CHECK_EQ(paid.available, 495);
    CHECK_EQ(balance_of(&c.world, G, &c.alice), -752);
    CHECK_EQ(mirror(&c, G, R), 750);
    CHECK_EQ(mirror(&c, R, G), -500);
    CHECK_EQ(balance_of(&c.world, R, &c.bob), 495);
    CHECK_EQ(system_member(&c.world, R, TALLY_SYSTEM_FEES)->balance, 5);
    CHECK_EQ(system_member(&c.world, G, TALLY_SYSTEM_FEES)->balance, 2);
    /* at the limit: one step more is refused; less than a step crosses nothing */
    CHECK_CODE(pay_across(&c, &c.alice, G, &c.bob, 3, 0, 0, 1, &gr).code, TALLY_ERR_EXPOSURE_LIMIT);
    CHECK_CODE(pay_across(&c, &c.alice, G, &c.bob, 2, 0, 0, 1, &gr).code, TALLY_ERR_AMOUNT_TOO_SMALL);
    /* a payment back: carol pays 100 RVS (50 steps), 150 GVH arrive in G, G's fee 2
     * (1.5 rounded up), alice receives 148; both mirror accounts move toward zero */
    paid = pay_across(&c, &c.carol, R, &c.alice, 100, 0, 0, 1, &gr);
    CHECK_CODE(paid.code, TALLY_OK);
    CHECK_EQ(paid.available, 148);
    CHECK_EQ(mirror(&c, R, G), -400);
    CHECK_EQ(mirror(&c, G, R), 600);
    CHECK_EQ(balance_of(&c.world, G, &c.alice), -752 + 148);
    CHECK_EQ(system_member(&c.world, G, TALLY_SYSTEM_FEES)->balance, 4);
    /* and R has room again: 150 GVH arrive as 100 */
    CHECK_CODE(pay_across(&c, &c.alice, G, &c.bob, 150, 0, 0, 1, &gr).code, TALLY_OK);
    CHECK_EQ(mirror(&c, R, G), -500);
    CHECK_EQ(mirror(&c, G, R), 750);
    world_free(&c.world);
}

TEST(cross_a_partner_under_the_minimum_rtd_gets_no_new_exposure_but_is_paid_back) {
    cast c;
    setup(&c, 0);
    uint32_t gr = gateway(&c, G, R, 1, 1, 1000, 1000);
    CHECK_CODE(pay_across(&c, &c.alice, G, &c.bob, 300, 0, 0, 1, &gr).code, TALLY_OK);
    /* R asks of G an RTD of 20%; G has no pool (RTD 0) */
    tally_tx update = world_tx(&c.world, &c.op, TALLY_TX_GATEWAY_UPDATE);
    update.body.gateway_update = (tally_tx_gateway_update){gr, R, {100, 1000, 2000, 0}};
    CHECK_CODE(world_apply(&c.world, &update).code, TALLY_OK);
    CHECK_CODE(pay_across(&c, &c.alice, G, &c.bob, 10, 0, 0, 1, &gr).code, TALLY_ERR_PARTNER_UNHEALTHY);
    /* paying G back reduces R's exposure: it passes */
    CHECK_CODE(pay_across(&c, &c.carol, R, &c.alice, 100, 0, 0, 1, &gr).code, TALLY_OK);
    CHECK_EQ(mirror(&c, R, G), -300 + 100); /* what arrived is owed, the fee included */
    /* a frozen side likewise */
    tally_tx freeze = world_tx(&c.world, &c.op, TALLY_TX_GATEWAY_FREEZE);
    freeze.body.gateway_freeze = (tally_tx_gateway_freeze){gr, R, true};
    CHECK_CODE(world_apply(&c.world, &freeze).code, TALLY_OK);
    update = world_tx(&c.world, &c.op, TALLY_TX_GATEWAY_UPDATE);
    update.body.gateway_update = (tally_tx_gateway_update){gr, R, {100, 1000, 0, 0}};
    CHECK_CODE(world_apply(&c.world, &update).code, TALLY_OK);
    CHECK_CODE(pay_across(&c, &c.alice, G, &c.bob, 10, 0, 0, 1, &gr).code, TALLY_ERR_GATEWAY_FROZEN);
    CHECK_CODE(pay_across(&c, &c.carol, R, &c.alice, 10, 0, 0, 1, &gr).code, TALLY_OK);
    world_free(&c.world);
}

TEST(cross_two_hops_pay_and_three_hops_over_a_limit_change_nothing) {
    cast c;
    setup(&c, 0);
    uint32_t path[3] = {gateway(&c, G, R, 1, 1, 10000, 10000), gateway(&c, R, H, 3, 2, 10000, 10000),
                        gateway(&c, H, X, 1, 1, 10000, 40)};
    /* 300 GVH: 300 RVS arrive in R (fee 3), 297 go on; 198 HLT arrive in H (fee 2), dave
     * receives 196 */
    tally_result paid = pay_across(&c, &c.alice, G, &c.dave, 300, 0, 196, 2, path);
    CHECK_CODE(paid.code, TALLY_OK);
    CHECK_EQ(paid.available, 196);
    CHECK_EQ(balance_of(&c.world, H, &c.dave), 196);
    CHECK_EQ(mirror(&c, R, G), -300);
    CHECK_EQ(mirror(&c, R, H), 297);
    CHECK_EQ(mirror(&c, H, R), -198);
    CHECK_EQ(system_member(&c.world, R, TALLY_SYSTEM_FEES)->balance, 3);
    CHECK_EQ(system_member(&c.world, H, TALLY_SYSTEM_FEES)->balance, 2);
    /* a third hop into X, whose limit is 40: refused, and nothing moved (world_apply
     * checks the state is byte-identical) */
    tally_result refused = pay_across(&c, &c.alice, G, &c.dave, 300, 0, 0, 3, path);
    CHECK_CODE(refused.code, TALLY_ERR_EXPOSURE_LIMIT);
    CHECK_EQ(refused.available, 40);
    CHECK_EQ(mirror(&c, R, G), -300);
    world_free(&c.world);
}

TEST(cross_max_fee_and_min_received) {
    cast c;
    setup(&c, 100); /* each network's own transfer fee 1% */
    uint32_t gr = gateway(&c, G, R, 1, 1, 10000, 10000);
    tally_result refused = pay_across(&c, &c.alice, G, &c.bob, 1000, 9, 0, 1, &gr);
    CHECK_CODE(refused.code, TALLY_ERR_FEE_ABOVE_MAX);
    CHECK_EQ(refused.available, 10);
    refused = pay_across(&c, &c.alice, G, &c.bob, 1000, 10, 991, 1, &gr);
    CHECK_CODE(refused.code, TALLY_ERR_BELOW_MIN_RECEIVED);
    CHECK_EQ(refused.available, 990);
    tally_result paid = pay_across(&c, &c.alice, G, &c.bob, 1000, 10, 990, 1, &gr);
    CHECK_CODE(paid.code, TALLY_OK);
    CHECK_EQ(paid.fee, 10);
    CHECK_EQ(balance_of(&c.world, G, &c.alice), -1010);
    CHECK_EQ(balance_of(&c.world, R, &c.bob), 990);
    world_free(&c.world);
}

TEST(cross_every_refusal_of_a_path) {
    cast c;
    setup(&c, 0);
    uint32_t gr = gateway(&c, G, R, 1, 1, 1000, 1000), rh = gateway(&c, R, H, 1, 1, 1000, 1000);
    uint32_t none[4] = {0}, backwards[2] = {rh, gr}, loop[3] = {gr, gr, 0}, unknown = 99;
    CHECK_CODE(pay_across(&c, &c.alice, G, &c.bob, 10, 0, 0, 0, none).code, TALLY_ERR_BAD_PATH);
    CHECK_CODE(pay_across(&c, &c.alice, G, &c.dave, 10, 0, 0, 2, backwards).code, TALLY_ERR_BAD_PATH);
    CHECK_CODE(pay_across(&c, &c.alice, G, &c.alice, 10, 0, 0, 2, loop).code, TALLY_ERR_BAD_PATH);
    CHECK_CODE(pay_across(&c, &c.alice, G, &c.bob, 10, 0, 0, 1, &unknown).code, TALLY_ERR_GATEWAY_NOT_FOUND);
    tally_tx propose = world_tx(&c.world, &c.op, TALLY_TX_GATEWAY_PROPOSE);
    propose.body.gateway_propose = (tally_tx_gateway_propose){G, X, {1, 1, {{0, 10, 0, 0}, {0, 10, 0, 0}}}};
    uint32_t proposed = world_apply(&c.world, &propose).created_id;
    CHECK_CODE(pay_across(&c, &c.alice, G, &c.dave, 10, 0, 0, 1, &proposed).code, TALLY_ERR_GATEWAY_NOT_OPEN);
    CHECK_CODE(pay_across(&c, &c.alice, G, &c.dave, 10, 0, 0, 1, &gr).code, TALLY_ERR_NOT_MEMBER); /* not in R */
    CHECK_CODE(pay_across(&c, &c.bob, G, &c.bob, 10, 0, 0, 1, &gr).code, TALLY_ERR_NOT_MEMBER);  /* not in G */
    CHECK_CODE(pay_across(&c, &c.alice, G, &c.bob, 0, 0, 0, 1, &gr).code, TALLY_ERR_AMOUNT_NOT_POSITIVE);
    CHECK_CODE(pay_across(&c, &c.alice, G, &c.bob, 1, 0, 0, 1, &gr).code, TALLY_ERR_AMOUNT_TOO_SMALL);
    tally_tx tx = world_tx(&c.world, &c.alice, TALLY_TX_TRANSFER_CROSS);
    tx.body.transfer_cross =
        (tally_tx_transfer_cross){G, tally_system_key(R, TALLY_SYSTEM_FEES), 10, 0, 0, 1, {gr, 0, 0, 0}};
    CHECK_CODE(world_apply(&c.world, &tx).code, TALLY_ERR_SYSTEM_ACCOUNT);
    tx = world_tx(&c.world, &c.alice, TALLY_TX_TRANSFER_CROSS);
    tx.body.transfer_cross = (tally_tx_transfer_cross){G, c.bob.key, 10, 0, 0, 1, {gr, rh, 0, 0}}; /* a stray id */
    CHECK_CODE(world_apply(&c.world, &tx).code, TALLY_ERR_BAD_PATH);
    world_free(&c.world);
}

static tally_result clear(cast *c, uint8_t count, const tally_setoff *setoffs) {
    tally_tx tx = world_tx(&c->world, &c->dave, TALLY_TX_CLEARING); /* anyone may */
    tx.body.clearing.count = count;
    for (uint8_t i = 0; i < count && i < TALLY_CLEARING_SETOFFS_MAX; i++) tx.body.clearing.setoffs[i] = setoffs[i];
    return world_apply(&c->world, &tx);
}

/* Obligations G owes R 100, R owes H 70, H owes G 40 (1:1, no fees): a clearing of 40
 * around the triangle leaves 60 and 30 and 0; one past zero, or one that leaves a
 * network's legs unbalanced by one unit, is refused. */
TEST(cross_a_clearing_sets_off_the_triangle_100_70_40_by_40) {
    cast c;
    setup(&c, 0);
    tally_gateway_terms free_terms = {1, 1, {{0, 1000, 0, 0}, {0, 1000, 0, 0}}};
    uint32_t ids[3];
    const uint32_t pairs[3][2] = {{G, R}, {R, H}, {H, G}};
    for (int i = 0; i < 3; i++) {
        tally_tx tx = world_tx(&c.world, &c.op, TALLY_TX_GATEWAY_PROPOSE);
        tx.body.gateway_propose = (tally_tx_gateway_propose){pairs[i][0], pairs[i][1], free_terms};
        ids[i] = world_apply(&c.world, &tx).created_id;
        tx = world_tx(&c.world, &c.op, TALLY_TX_GATEWAY_ACCEPT);
        tx.body.gateway_accept = (tally_tx_gateway_accept){ids[i], free_terms};
        REQUIRE(world_apply(&c.world, &tx).code == TALLY_OK);
    }
    test_actor erin = actor(6); /* a member of H with a line, so H can owe G */
    CHECK_CODE(do_admit(&c.world, &c.op, H, &erin).code, TALLY_OK);
    CHECK_CODE(do_open_line(&c.world, &c.op, H, &erin, 10000, 30 * DAY, 5 * DAY, 0).code, TALLY_OK);
    CHECK_CODE(do_admit(&c.world, &c.op, G, &c.dave).code, TALLY_OK);
    CHECK_CODE(pay_across(&c, &c.alice, G, &c.bob, 100, 0, 0, 1, &ids[0]).code, TALLY_OK);  /* G owes R 100 */
    CHECK_CODE(pay_across(&c, &c.carol, R, &c.dave, 70, 0, 0, 1, &ids[1]).code, TALLY_OK);  /* R owes H 70 */
    CHECK_CODE(pay_across(&c, &erin, H, &c.dave, 40, 0, 0, 1, &ids[2]).code, TALLY_OK);     /* H owes G 40 */
    CHECK_EQ(mirror(&c, G, R), 100);
    CHECK_EQ(mirror(&c, R, G), -100);
    int64_t supply_g = tally_state_network(c.world.state, G)->supply;
    /* past zero on H-G (40 owed): refused */
    tally_setoff too_much[3] = {{ids[0], 41, 41}, {ids[1], 41, 41}, {ids[2], 41, 41}};
    CHECK_CODE(clear(&c, 3, too_much).code, TALLY_ERR_BAD_CLEARING);
    /* one unit off in R's legs: refused */
    tally_setoff unbalanced[3] = {{ids[0], 40, 40}, {ids[1], 39, 39}, {ids[2], 40, 40}};
    CHECK_CODE(clear(&c, 3, unbalanced).code, TALLY_ERR_BAD_CLEARING);
    /* not at the rate: refused */
    tally_setoff off_rate[3] = {{ids[0], 40, 39}, {ids[1], 40, 40}, {ids[2], 40, 40}};
    CHECK_CODE(clear(&c, 3, off_rate).code, TALLY_ERR_BAD_CLEARING);
    tally_setoff around[3] = {{ids[0], 40, 40}, {ids[1], 40, 40}, {ids[2], 40, 40}};
    CHECK_CODE(clear(&c, 3, around).code, TALLY_OK);
    CHECK_EQ(mirror(&c, G, R), 60);
    CHECK_EQ(mirror(&c, R, G), -60);
    CHECK_EQ(mirror(&c, R, H), 30);
    CHECK_EQ(mirror(&c, H, R), -30);
    CHECK_EQ(mirror(&c, H, G), 0);
    CHECK_EQ(mirror(&c, G, H), 0);
    /* G's supply and debt fell by 40 alike; members' balances did not move */
    CHECK_EQ(tally_state_network(c.world.state, G)->supply, supply_g - 40);
    CHECK_EQ(balance_of(&c.world, G, &c.alice), -100);
    /* the cleared gateway may now close */
    CHECK_CODE(close_gateway_for(&c, ids[2]).code, TALLY_OK);
    world_free(&c.world);
}

/* Settlement: G owes R for what R's members delivered (R is exposed to G); G's
 * operator pays reserve into R's pool at R's peg (1 reserve for 2 credits, rounded
 * up), R's mirror account of G is repaid as a member repaying in reserve is, and
 * G's mirror account of R gives the value at the rate 3:2 (rounded down) to G's
 * pool account. Every refusal changes nothing (world_apply checks it). */
TEST(cross_a_settlement_in_reserve_lowers_both_sides) {
    cast c;
    setup(&c, 0);
    uint32_t gr = gateway(&c, G, R, 3, 2, 0, 1000);
    CHECK_CODE(pay_across(&c, &c.alice, G, &c.bob, 300, 0, 0, 1, &gr).code, TALLY_OK);
    /* 300 G-units (100 steps) in: 200 R-units arrive, R's 1% fee (2) kept, bob gets 198 */
    CHECK_EQ(mirror(&c, G, R), 300);
    CHECK_EQ(mirror(&c, R, G), -200);
    CHECK_EQ(balance_of(&c.world, R, &c.bob), 198);

    test_actor bank = actor(30);
    tally_tx settle = world_tx(&c.world, &c.op, TALLY_TX_SETTLE);
    settle.body.settle = (tally_tx_settle){gr, G, 100};
    CHECK_CODE(world_apply(&c.world, &settle).code, TALLY_ERR_NO_RESERVE_ASSET); /* R has no reserve yet */
    REQUIRE(do_create_asset(&c.world, &bank, "USD").code == TALLY_OK);
    REQUIRE(do_issue(&c.world, &bank, 1, &c.op, 80).code == TALLY_OK);
    REQUIRE(do_set_peg(&c.world, &c.op, R, 1, 1, 2).code == TALLY_OK);

    settle = world_tx(&c.world, &c.op, TALLY_TX_SETTLE);
    settle.body.settle = (tally_tx_settle){gr, G, 102};
    tally_result settled = world_apply(&c.world, &settle);
    CHECK_CODE(settled.code, TALLY_OK);
    CHECK_EQ(settled.reserve, 51);    /* 102 / 2 */
    CHECK_EQ(settled.available, 153); /* 102 * 3 / 2 */
    CHECK_EQ(mirror(&c, R, G), -98);
    CHECK_EQ(mirror(&c, G, R), 147);
    CHECK_EQ(system_member(&c.world, R, TALLY_SYSTEM_LOST_DEBT)->balance, -102);
    CHECK_EQ(system_member(&c.world, G, TALLY_SYSTEM_POOL)->balance, 153);
    const tally_network *r = tally_state_network(c.world.state, R);
    CHECK_EQ(r->pool_buffer, 51);
    CHECK_EQ(r->mirror_debt, 98);
    CHECK_EQ(tally_state_network(c.world.state, G)->mirror_credit, 147);
    tally_key pool = tally_system_key(R, TALLY_SYSTEM_POOL);
    CHECK_EQ(tally_state_asset_balance(c.world.state, 1, &pool), 51);
    CHECK_EQ(tally_state_asset_balance(c.world.state, 1, &c.op.key), 29);

    /* refusals: more than R's exposure (98 left), more reserve than held (29 pays
     * for 58), not whole steps of 2 RVS, nothing, the wrong side's partner without
     * reserve, not a side, no such gateway, not its operator */
    const struct {
        tally_tx_settle body;
        const test_actor *signer;
        tally_error code;
        int64_t available;
    } refusals[] = {
        {{gr, G, 100}, &c.op, TALLY_ERR_NOT_IN_DEBT, 98},
        {{gr, G, 60}, &c.op, TALLY_ERR_INSUFFICIENT_ASSET, 29},
        {{gr, G, 57}, &c.op, TALLY_ERR_NOT_WHOLE_STEPS, 0},
        {{gr, G, 0}, &c.op, TALLY_ERR_AMOUNT_NOT_POSITIVE, 0},
        {{gr, R, 10}, &c.op, TALLY_ERR_NO_RESERVE_ASSET, 0}, /* R settling: its partner G has none */
        {{gr, H, 10}, &c.op, TALLY_ERR_NOT_GATEWAY_SIDE, 0},
        {{9, G, 10}, &c.op, TALLY_ERR_GATEWAY_NOT_FOUND, 0},
        {{gr, G, 10}, &c.alice, TALLY_ERR_NOT_OPERATOR, 0},
    };
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        tally_tx tx = world_tx(&c.world, refusals[i].signer, TALLY_TX_SETTLE);
        tx.body.settle = refusals[i].body;
        tally_result refused = world_apply(&c.world, &tx);
        CHECK_CODE(refused.code, refusals[i].code);
        CHECK_EQ(refused.available, refusals[i].available);
    }
    /* 58 more for 29 of reserve; then the rest is owed still (40 RVS, 60 GVH) */
    settle = world_tx(&c.world, &c.op, TALLY_TX_SETTLE);
    settle.body.settle = (tally_tx_settle){gr, G, 58};
    CHECK_CODE(world_apply(&c.world, &settle).code, TALLY_OK);
    CHECK_EQ(mirror(&c, R, G), -40);
    CHECK_EQ(mirror(&c, G, R), 60);
    world_free(&c.world);
}
