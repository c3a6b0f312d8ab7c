/*
 * test_gateway.c: the lifecycle of a gateway between two networks (docs/GATEWAYS.md
 * sections 1-3): proposed by an operator of A, accepted by one of B with the same
 * terms repeated, the two mirror accounts opened, each side changing only its own
 * terms or freezing its side, closed at zero; a proposal made again supersedes the
 * one waiting; a rate from both pegs; and every refusal with its code. Payments
 * across gateways are not built yet (issue 11, WIP).
 */
#include <string.h>

#include "fixture.h"
#include "test.h"

enum { GREENVALE = 1, RIVERSIDE = 2, HILLTOP = 3 };

typedef struct {
    test_world world;
    test_actor op_g, op_r, op_h, stranger;
} cast;

static void setup(cast *c) {
    world_init(&c->world);
    c->op_g = actor(1), c->op_r = actor(2), c->op_h = actor(3), c->stranger = actor(9);
    tally_policy policy = policy_default();
    CHECK_CODE(do_create_network(&c->world, &c->op_g, &policy).code, TALLY_OK);
    CHECK_CODE(do_create_network(&c->world, &c->op_r, &policy).code, TALLY_OK);
    CHECK_CODE(do_create_network(&c->world, &c->op_h, &policy).code, TALLY_OK);
}

/* 3 units of A for 2 of B, 1% into A, 2% into B, exposure limits 500 and 400. */
static tally_gateway_terms terms_3_2(void) {
    return (tally_gateway_terms){3, 2, {{100, 500, 0, 0}, {200, 400, 0, 0}}};
}

static tally_result propose(cast *c, const test_actor *signer, uint32_t a, uint32_t b, tally_gateway_terms terms) {
    tally_tx tx = world_tx(&c->world, signer, TALLY_TX_GATEWAY_PROPOSE);
    tx.body.gateway_propose = (tally_tx_gateway_propose){a, b, terms};
    return world_apply(&c->world, &tx);
}

static tally_result accept(cast *c, const test_actor *signer, uint32_t id, tally_gateway_terms terms) {
    tally_tx tx = world_tx(&c->world, signer, TALLY_TX_GATEWAY_ACCEPT);
    tx.body.gateway_accept = (tally_tx_gateway_accept){id, terms};
    return world_apply(&c->world, &tx);
}

static tally_result close_gateway(cast *c, const test_actor *signer, uint32_t id) {
    tally_tx tx = world_tx(&c->world, signer, TALLY_TX_GATEWAY_CLOSE);
    tx.body.gateway_end.gateway_id = id;
    return world_apply(&c->world, &tx);
}

TEST(gateway_proposed_accepted_with_its_mirror_accounts_and_closed) {
    cast c;
    setup(&c);
    tally_result made = propose(&c, &c.op_g, GREENVALE, RIVERSIDE, terms_3_2());
    CHECK_CODE(made.code, TALLY_OK);
    CHECK_EQ(made.created_id, 1);
    const tally_gateway *gateway = tally_state_gateway(c.world.state, 1);
    REQUIRE(gateway != NULL);
    CHECK_EQ(gateway->status, TALLY_GATEWAY_PROPOSED);
    CHECK(strcmp(tally_gateway_status_name(gateway->status), "proposed") == 0);
    tally_key in_g = tally_gateway_key(GREENVALE, RIVERSIDE), in_r = tally_gateway_key(RIVERSIDE, GREENVALE);
    CHECK(tally_state_member(c.world.state, GREENVALE, &in_g) == NULL); /* not before it is accepted */
    /* only B's operator accepts, and only the terms as proposed */
    CHECK_CODE(accept(&c, &c.op_g, 1, terms_3_2()).code, TALLY_ERR_NOT_OPERATOR);
    tally_gateway_terms other = terms_3_2();
    other.side[1].limit = 401;
    CHECK_CODE(accept(&c, &c.op_r, 1, other).code, TALLY_ERR_TERMS_CHANGED);
    CHECK_CODE(accept(&c, &c.op_r, 1, terms_3_2()).code, TALLY_OK);
    gateway = tally_state_gateway(c.world.state, 1);
    CHECK_EQ(gateway->status, TALLY_GATEWAY_OPEN);
    CHECK_EQ(gateway->opened_at, c.world.time);
    const tally_member *mirror_g = tally_state_member(c.world.state, GREENVALE, &in_g);
    const tally_member *mirror_r = tally_state_member(c.world.state, RIVERSIDE, &in_r);
    REQUIRE(mirror_g != NULL && mirror_r != NULL);
    CHECK_EQ(mirror_g->status, TALLY_MEMBER_SYSTEM);
    CHECK_EQ(mirror_g->system_kind, TALLY_SYSTEM_GATEWAY);
    CHECK_EQ(mirror_r->balance, 0);
    CHECK(tally_key_is_system(&in_g));
    CHECK_CODE(accept(&c, &c.op_r, 1, terms_3_2()).code, TALLY_ERR_GATEWAY_NOT_PROPOSED);
    /* one gateway per pair while it is open, whoever proposes */
    CHECK_CODE(propose(&c, &c.op_r, RIVERSIDE, GREENVALE, terms_3_2()).code, TALLY_ERR_GATEWAY_EXISTS);
    /* either side closes it at zero; a stranger does not */
    CHECK_CODE(close_gateway(&c, &c.stranger, 1).code, TALLY_ERR_NOT_OPERATOR);
    CHECK_CODE(close_gateway(&c, &c.op_r, 1).code, TALLY_OK);
    CHECK_EQ(tally_state_gateway(c.world.state, 1)->status, TALLY_GATEWAY_CLOSED);
    CHECK_CODE(close_gateway(&c, &c.op_g, 1).code, TALLY_ERR_GATEWAY_NOT_OPEN);
    /* and a new one may be proposed; its mirror accounts are the old ones */
    CHECK_EQ(propose(&c, &c.op_r, RIVERSIDE, GREENVALE, terms_3_2()).created_id, 2);
    CHECK_CODE(accept(&c, &c.op_g, 2, terms_3_2()).code, TALLY_OK);
    CHECK(tally_state_member(c.world.state, GREENVALE, &in_g) == mirror_g);
    world_free(&c.world);
}

TEST(gateway_each_side_changes_only_its_own_terms) {
    cast c;
    setup(&c);
    CHECK_CODE(propose(&c, &c.op_g, GREENVALE, RIVERSIDE, terms_3_2()).code, TALLY_OK);
    tally_tx update = world_tx(&c.world, &c.op_g, TALLY_TX_GATEWAY_UPDATE);
    update.body.gateway_update = (tally_tx_gateway_update){1, GREENVALE, {50, 900, 1500, 300}};
    CHECK_CODE(world_apply(&c.world, &update).code, TALLY_ERR_GATEWAY_NOT_OPEN); /* not accepted yet */
    CHECK_CODE(accept(&c, &c.op_r, 1, terms_3_2()).code, TALLY_OK);
    update = world_tx(&c.world, &c.op_g, TALLY_TX_GATEWAY_UPDATE);
    update.body.gateway_update = (tally_tx_gateway_update){1, GREENVALE, {50, 900, 1500, 300}};
    CHECK_CODE(world_apply(&c.world, &update).code, TALLY_OK);
    const tally_gateway *gateway = tally_state_gateway(c.world.state, 1);
    CHECK_EQ(gateway->terms.side[0].limit, 900);
    CHECK_EQ(gateway->terms.side[0].min_partner_rtd_bps, 1500);
    CHECK_EQ(gateway->terms.side[1].limit, 400); /* the other side's stay */
    /* Greenvale's operator cannot set Riverside's side, nor name a third network */
    update = world_tx(&c.world, &c.op_g, TALLY_TX_GATEWAY_UPDATE);
    update.body.gateway_update = (tally_tx_gateway_update){1, RIVERSIDE, {0, 1, 0, 0}};
    CHECK_CODE(world_apply(&c.world, &update).code, TALLY_ERR_NOT_OPERATOR);
    update = world_tx(&c.world, &c.op_h, TALLY_TX_GATEWAY_UPDATE);
    update.body.gateway_update = (tally_tx_gateway_update){1, HILLTOP, {0, 1, 0, 0}};
    CHECK_CODE(world_apply(&c.world, &update).code, TALLY_ERR_NOT_GATEWAY_SIDE);
    update = world_tx(&c.world, &c.op_r, TALLY_TX_GATEWAY_UPDATE);
    update.body.gateway_update = (tally_tx_gateway_update){1, RIVERSIDE, {10001, 1, 0, 0}};
    CHECK_CODE(world_apply(&c.world, &update).code, TALLY_ERR_BAD_POLICY);
    /* a side freezes its own exposure and lifts it again */
    tally_tx freeze = world_tx(&c.world, &c.op_r, TALLY_TX_GATEWAY_FREEZE);
    freeze.body.gateway_freeze = (tally_tx_gateway_freeze){1, RIVERSIDE, true};
    CHECK_CODE(world_apply(&c.world, &freeze).code, TALLY_OK);
    CHECK(tally_state_gateway(c.world.state, 1)->frozen[1]);
    CHECK(!tally_state_gateway(c.world.state, 1)->frozen[0]);
    freeze = world_tx(&c.world, &c.op_r, TALLY_TX_GATEWAY_FREEZE);
    freeze.body.gateway_freeze = (tally_tx_gateway_freeze){1, RIVERSIDE, false};
    CHECK_CODE(world_apply(&c.world, &freeze).code, TALLY_OK);
    CHECK(!tally_state_gateway(c.world.state, 1)->frozen[1]);
    world_free(&c.world);
}

TEST(gateway_a_proposal_made_again_supersedes_the_one_waiting) {
    cast c;
    setup(&c);
    CHECK_EQ(propose(&c, &c.op_g, GREENVALE, RIVERSIDE, terms_3_2()).created_id, 1);
    tally_gateway_terms better = terms_3_2();
    better.side[1].limit = 1000;
    CHECK_EQ(propose(&c, &c.op_g, GREENVALE, RIVERSIDE, better).created_id, 2);
    CHECK_EQ(tally_state_gateway(c.world.state, 1)->status, TALLY_GATEWAY_CLOSED);
    CHECK_CODE(accept(&c, &c.op_r, 1, terms_3_2()).code, TALLY_ERR_GATEWAY_NOT_PROPOSED);
    CHECK_CODE(accept(&c, &c.op_r, 2, better).code, TALLY_OK);
    CHECK_EQ(tally_state_network(c.world.state, GREENVALE)->open_gateways, 1);
    CHECK_EQ(tally_state_network(c.world.state, RIVERSIDE)->open_gateways, 1);
    world_free(&c.world);
}

TEST(gateway_a_rate_from_both_pegs_is_fixed_at_acceptance) {
    cast c;
    setup(&c);
    test_actor bank = actor(5);
    CHECK_EQ(do_create_asset(&c.world, &bank, "USD").created_id, 1);
    /* 100 GVH are worth 1 USD (peg 1:100); 2 RVS are worth 3 USD (peg 3:2) */
    CHECK_CODE(do_set_peg(&c.world, &c.op_g, GREENVALE, 1, 1, 100).code, TALLY_OK);
    CHECK_CODE(do_set_peg(&c.world, &c.op_r, RIVERSIDE, 1, 3, 2).code, TALLY_OK);
    tally_gateway_terms from_pegs = {0, 0, {{0, 500, 0, 0}, {0, 500, 0, 0}}};
    CHECK_CODE(propose(&c, &c.op_g, GREENVALE, RIVERSIDE, from_pegs).code, TALLY_OK);
    CHECK_CODE(accept(&c, &c.op_r, 1, from_pegs).code, TALLY_OK);
    /* 1 GVH = 0.01 USD, 1 RVS = 1.5 USD: 150 GVH for 1 RVS */
    const tally_gateway *gateway = tally_state_gateway(c.world.state, 1);
    CHECK_EQ(gateway->terms.rate_a, 150);
    CHECK_EQ(gateway->terms.rate_b, 1);
    /* without one reserve asset for both, there is no rate from the pegs */
    CHECK_CODE(propose(&c, &c.op_g, GREENVALE, HILLTOP, from_pegs).code, TALLY_OK);
    CHECK_CODE(accept(&c, &c.op_h, 2, from_pegs).code, TALLY_ERR_BAD_RATE);
    world_free(&c.world);
}

TEST(gateway_every_refusal_of_a_proposal) {
    cast c;
    setup(&c);
    CHECK_CODE(propose(&c, &c.stranger, GREENVALE, RIVERSIDE, terms_3_2()).code, TALLY_ERR_NOT_OPERATOR);
    CHECK_CODE(propose(&c, &c.op_g, 7, RIVERSIDE, terms_3_2()).code, TALLY_ERR_UNKNOWN_NETWORK);
    CHECK_CODE(propose(&c, &c.op_g, GREENVALE, 7, terms_3_2()).code, TALLY_ERR_UNKNOWN_NETWORK);
    CHECK_CODE(propose(&c, &c.op_g, GREENVALE, GREENVALE, terms_3_2()).code, TALLY_ERR_SAME_NETWORK);
    tally_gateway_terms bad = terms_3_2();
    bad.rate_b = 0; /* one of two */
    CHECK_CODE(propose(&c, &c.op_g, GREENVALE, RIVERSIDE, bad).code, TALLY_ERR_BAD_RATE);
    bad = terms_3_2();
    bad.rate_a = -3;
    CHECK_CODE(propose(&c, &c.op_g, GREENVALE, RIVERSIDE, bad).code, TALLY_ERR_BAD_RATE);
    bad = terms_3_2();
    bad.side[0].limit = -1;
    CHECK_CODE(propose(&c, &c.op_g, GREENVALE, RIVERSIDE, bad).code, TALLY_ERR_BAD_POLICY);
    bad = terms_3_2();
    bad.side[1].max_partner_default_bps = 10001;
    CHECK_CODE(propose(&c, &c.op_g, GREENVALE, RIVERSIDE, bad).code, TALLY_ERR_BAD_POLICY);
    CHECK_CODE(accept(&c, &c.op_r, 1, terms_3_2()).code, TALLY_ERR_GATEWAY_NOT_FOUND);
    CHECK_CODE(close_gateway(&c, &c.op_r, 0).code, TALLY_ERR_GATEWAY_NOT_FOUND);
    CHECK_EQ(tally_state_gateway_count(c.world.state), 0);
    world_free(&c.world);
}

/* A network has at most 64 gateways proposed or open (the per-network bound below
 * the table's); a closed one makes room. */
TEST(gateway_a_network_has_at_most_64) {
    cast c;
    setup(&c);
    tally_policy policy = policy_default();
    for (uint32_t i = 0; i < TALLY_GATEWAYS_PER_NETWORK_MAX; i++) {
        test_actor founder = actor(100 + i);
        REQUIRE(do_create_network(&c.world, &founder, &policy).code == TALLY_OK);
        REQUIRE(propose(&c, &c.op_g, GREENVALE, 4 + i, terms_3_2()).code == TALLY_OK);
    }
    CHECK_EQ(tally_state_network(c.world.state, GREENVALE)->open_gateways, TALLY_GATEWAYS_PER_NETWORK_MAX);
    CHECK_CODE(propose(&c, &c.op_g, GREENVALE, RIVERSIDE, terms_3_2()).code, TALLY_ERR_GATEWAYS_FULL);
    CHECK_CODE(propose(&c, &c.op_r, RIVERSIDE, GREENVALE, terms_3_2()).code, TALLY_ERR_GATEWAYS_FULL);
    /* a proposal again for a pair waiting takes its place: no room needed */
    CHECK_CODE(propose(&c, &c.op_g, GREENVALE, 4, terms_3_2()).code, TALLY_OK);
    CHECK_EQ(tally_state_network(c.world.state, GREENVALE)->open_gateways, TALLY_GATEWAYS_PER_NETWORK_MAX);
    CHECK_CODE(close_gateway(&c, &c.op_g, 5).code, TALLY_OK); /* an unaccepted proposal withdrawn */
    CHECK_CODE(propose(&c, &c.op_g, GREENVALE, RIVERSIDE, terms_3_2()).code, TALLY_OK);
    world_free(&c.world);
}
