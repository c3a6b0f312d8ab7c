/*
 * test_health.c: a network's health per period (docs/GATEWAYS.md section 4), with
 * exact figures: what a period writes into the network record at its end, what the
 * next one starts from, a default's rate, the health rule of a gateway reading the
 * partner's last completed period (not the running one), and the record's proof.
 */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "test.h"

enum { G = 1, R = 2 };

typedef struct {
    test_world world;
    test_actor op, alice, bob, carol, dave, erin;
} cast;

/* G: alice (line 1000 for 40 days, grace 5), bob (line 500 for a year), carol and
 * erin (line 1000 for a year). R: dave. No fees. */
static void setup(cast *c) {
    world_init(&c->world);
    c->op = actor(1), c->alice = actor(2), c->bob = actor(3), c->carol = actor(4), c->dave = actor(5);
    c->erin = actor(6);
    tally_policy policy = policy_default();
    REQUIRE(do_create_network(&c->world, &c->op, &policy).code == TALLY_OK);
    REQUIRE(do_create_network(&c->world, &c->op, &policy).code == TALLY_OK);
    const test_actor *in_g[] = {&c->alice, &c->bob, &c->carol, &c->erin};
    for (int i = 0; i < 4; i++) CHECK_CODE(do_admit(&c->world, &c->op, G, in_g[i]).code, TALLY_OK);
    CHECK_CODE(do_admit(&c->world, &c->op, R, &c->dave).code, TALLY_OK);
    CHECK_CODE(do_open_line(&c->world, &c->op, G, &c->alice, 1000, 40 * DAY, 5 * DAY, 0).code, TALLY_OK);
    CHECK_CODE(do_open_line(&c->world, &c->op, G, &c->bob, 500, 365 * DAY, 5 * DAY, 0).code, TALLY_OK);
    CHECK_CODE(do_open_line(&c->world, &c->op, G, &c->erin, 1000, 365 * DAY, 5 * DAY, 0).code, TALLY_OK);
}

static const tally_health *health_of(const cast *c, uint32_t network) {
    return &tally_state_network(c->world.state, network)->health;
}

TEST(health_a_period_writes_its_figures_and_the_next_starts_from_them) {
    cast c;
    setup(&c);
    CHECK_EQ(health_of(&c, G)->period, 0); /* none ended yet */
    CHECK_CODE(do_pay(&c.world, &c.alice, G, &c.bob, 300, 0).code, TALLY_OK);
    CHECK_CODE(do_pay(&c.world, &c.bob, G, &c.carol, 100, 0).code, TALLY_OK);
    /* alice -300, bob +200, carol +100 */
    world_advance_to(&c.world, WORLD_START_TIME + 30 * DAY - 1);
    CHECK_EQ(health_of(&c, G)->period, 0); /* a second early */
    world_advance_to(&c.world, WORLD_START_TIME + 30 * DAY);
    const tally_health *h = health_of(&c, G);
    CHECK_EQ(h->period, 1);
    CHECK_EQ(h->started_at, WORLD_START_TIME);
    CHECK_EQ(h->ended_at, WORLD_START_TIME + 30 * DAY);
    CHECK_EQ(h->supply, 300);
    CHECK_EQ(h->debt, 300);
    CHECK_EQ(h->member_debt, 300);
    CHECK_EQ(h->limits, 2500);
    CHECK_EQ(h->utilisation_bps, 1200); /* 300 / 2500 */
    CHECK_EQ(h->volume, 400);           /* bob received 300, carol 100 */
    CHECK_EQ(h->velocity_bps, 13333);   /* 400 / 300, rounded down */
    CHECK_EQ(h->debt_at_start, 0);
    CHECK_EQ(h->written_off, 0);
    CHECK_EQ(h->default_rate_bps, 0); /* over a debt of 0 */
    CHECK_EQ(h->lost_debt, 0);
    CHECK_EQ(h->rtd_bps, 0); /* no reserve */
    CHECK_EQ(h->largest_debt, 300);
    CHECK_EQ(h->concentration_bps, 10000);
    CHECK_EQ(h->active_members, 3); /* erin did nothing */
    CHECK_EQ(h->exposure, 0);
    CHECK_EQ(h->owed, 0);
    const tally_network *g = tally_state_network(c.world.state, G);
    CHECK_EQ(g->health_period, 2);
    CHECK_EQ(g->health_debt_at_start, 300);
    CHECK_EQ(g->health_volume, 0);
    CHECK_EQ(g->health_active, 0);
    /* R, where nothing happened, wrote its period too */
    CHECK_EQ(health_of(&c, R)->period, 1);
    CHECK_EQ(health_of(&c, R)->volume, 0);

    /* Period 2: alice's line freezes at day 40 (she never came back to zero) and
     * defaults at day 45: 300 written off. Nobody pays. */
    world_advance_to(&c.world, WORLD_START_TIME + 45 * DAY);
    CHECK_EQ(member_of(&c.world, G, &c.alice)->status, TALLY_MEMBER_DEFAULTED);
    world_advance_to(&c.world, WORLD_START_TIME + 60 * DAY);
    h = health_of(&c, G);
    CHECK_EQ(h->period, 2);
    CHECK_EQ(h->started_at, WORLD_START_TIME + 30 * DAY);
    CHECK_EQ(h->supply, 300);
    CHECK_EQ(h->debt, 300);       /* the lost-debt account's */
    CHECK_EQ(h->member_debt, 0);  /* none of it a member's */
    CHECK_EQ(h->limits, 1500);    /* alice's line is gone */
    CHECK_EQ(h->utilisation_bps, 0);
    CHECK_EQ(h->volume, 0);       /* a write-off is no payment */
    CHECK_EQ(h->velocity_bps, 0);
    CHECK_EQ(h->debt_at_start, 300);
    CHECK_EQ(h->written_off, 300);
    CHECK_EQ(h->default_rate_bps, 10000);
    CHECK_EQ(h->lost_debt, 300);
    CHECK_EQ(h->largest_debt, 300); /* alice, seen at her line's period end */
    CHECK_EQ(h->active_members, 0);
    world_free(&c.world);
}

/* A gateway whose R side refuses new exposure to a partner defaulting on half its
 * debt or more: the rule reads G's last completed period, so the payment in the
 * period of the default passes and the one after its end does not; paying back
 * always passes. */
TEST(health_a_partner_over_the_maximum_default_rate_gets_no_new_exposure) {
    cast c;
    setup(&c);
    CHECK_CODE(do_pay(&c.world, &c.alice, G, &c.bob, 300, 0).code, TALLY_OK);
    tally_gateway_terms terms = {1, 1, {{0, 1000, 0, 0}, {0, 1000, 0, 5000}}};
    tally_tx tx = world_tx(&c.world, &c.op, TALLY_TX_GATEWAY_PROPOSE);
    tx.body.gateway_propose = (tally_tx_gateway_propose){G, R, terms};
    tally_result made = world_apply(&c.world, &tx);
    CHECK_CODE(made.code, TALLY_OK);
    tx = world_tx(&c.world, &c.op, TALLY_TX_GATEWAY_ACCEPT);
    tx.body.gateway_accept = (tally_tx_gateway_accept){made.created_id, terms};
    CHECK_CODE(world_apply(&c.world, &tx).code, TALLY_OK);

    world_advance_to(&c.world, WORLD_START_TIME + 50 * DAY); /* alice defaulted at day 45 */
    tx = world_tx(&c.world, &c.erin, TALLY_TX_TRANSFER_CROSS);
    tx.body.transfer_cross = (tally_tx_transfer_cross){G, c.dave.key, 100, 0, 100, 1, {made.created_id}};
    CHECK_CODE(world_apply(&c.world, &tx).code, TALLY_OK); /* G's period 1 had no default */
    tally_key mirror_key = tally_gateway_key(G, R);
    CHECK_EQ(tally_state_member(c.world.state, G, &mirror_key)->balance, 100);
    CHECK_EQ(tally_state_network(c.world.state, G)->mirror_credit, 100);
    CHECK_EQ(tally_state_network(c.world.state, R)->mirror_debt, 100);

    world_advance_to(&c.world, WORLD_START_TIME + 60 * DAY);
    CHECK_EQ(health_of(&c, G)->default_rate_bps, 10000);
    CHECK_EQ(health_of(&c, G)->owed, 100);
    CHECK_EQ(health_of(&c, R)->exposure, 100);
    tx = world_tx(&c.world, &c.erin, TALLY_TX_TRANSFER_CROSS);
    tx.body.transfer_cross = (tally_tx_transfer_cross){G, c.dave.key, 1, 0, 1, 1, {made.created_id}};
    CHECK_CODE(world_apply(&c.world, &tx).code, TALLY_ERR_PARTNER_UNHEALTHY);
    /* dave pays 40 back: R's exposure falls, G takes none (its side has no rule) */
    tx = world_tx(&c.world, &c.dave, TALLY_TX_TRANSFER_CROSS);
    tx.body.transfer_cross = (tally_tx_transfer_cross){R, c.erin.key, 40, 0, 40, 1, {made.created_id}};
    CHECK_CODE(world_apply(&c.world, &tx).code, TALLY_OK);
    CHECK_EQ(tally_state_network(c.world.state, R)->mirror_debt, 60);
    CHECK_EQ(tally_state_network(c.world.state, G)->mirror_credit, 60);
    world_free(&c.world);
}

/* The health record is part of the network record: its proof checks against the
 * committed root, it decodes with the figures, and a snapshot keeps them. */
TEST(health_its_record_is_proved_and_survives_a_snapshot) {
    cast c;
    setup(&c);
    CHECK_CODE(do_pay(&c.world, &c.alice, G, &c.bob, 300, 0).code, TALLY_OK);
    world_advance_to(&c.world, WORLD_START_TIME + 30 * DAY);
    uint8_t root[TALLY_HASH_BYTES], again[TALLY_HASH_BYTES];
    REQUIRE(tally_state_commit(c.world.state, root));
    tally_state_proof proof;
    REQUIRE(tally_state_prove(c.world.state, TALLY_TABLE_NETWORKS, G - 1, &proof));
    REQUIRE(tally_state_proof_root(&proof, again));
    CHECK(memcmp(root, again, TALLY_HASH_BYTES) == 0);
    tally_network record;
    REQUIRE(tally_record_decode_network(proof.record, proof.record_length, &record));
    CHECK_EQ(record.health.period, 1);
    CHECK_EQ(record.health.volume, 300);
    CHECK_EQ(record.health.largest_debt, 300);
    CHECK_EQ(record.health_period, 2);
    /* one figure changed (the running period's active members): the proof is refused
     * or leads elsewhere */
    proof.record[proof.record_length - 4] ^= 1;
    CHECK(!tally_state_proof_root(&proof, again) || memcmp(root, again, TALLY_HASH_BYTES) != 0);

    size_t size = tally_state_serialized_size(c.world.state);
    uint8_t *bytes = malloc(size);
    REQUIRE(bytes != NULL);
    CHECK_EQ(tally_state_serialize(c.world.state, bytes, size), size);
    tally_error error = TALLY_OK;
    tally_state *loaded = tally_state_deserialize(bytes, size, &error);
    REQUIRE(loaded != NULL);
    CHECK(memcmp(&tally_state_network(loaded, G)->health, health_of(&c, G), sizeof(tally_health)) == 0);
    CHECK(tally_state_network(loaded, G)->limits_total == 2500);
    REQUIRE(tally_state_hash(loaded, again));
    CHECK(memcmp(root, again, TALLY_HASH_BYTES) == 0);
    /* and it ends its next period where the live state does */
    CHECK_EQ(tally_state_next_due(loaded), tally_state_next_due(c.world.state));
    tally_state_destroy(loaded);
    free(bytes);
    world_free(&c.world);
}
