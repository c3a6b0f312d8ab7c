/*
 * test_paths.c: path finding across gateways (src/node/paths.c). A triangle G-R-H with
 * different rates and fees, the same as a line when the direct gateway is left out,
 * a limit that makes the best path infeasible, a frozen gateway, a network no
 * gateway reaches; every path priced is applied by the core in a world built the
 * same way, and what the core does must be what the path said (received, fees,
 * refusal and its figure, capacity at its edge).
 */
#include <string.h>

#include "fixture.h"
#include "node/paths.h"
#include "test.h"

enum { G = 1, R = 2, H = 3, X = 4 };

typedef struct {
    test_world world;
    test_actor op, alice, dave;
    uint32_t gr, rh, gh; /* 0: not made */
} triangle;

/* What the world holds: whether G-H exists, H's limit on it, whether H froze it. */
typedef struct {
    bool direct;
    int64_t direct_limit;
    bool direct_frozen;
    uint32_t direct_min_rtd_bps; /* H's minimum RTD of G on G-H (G has no pool: RTD 0) */
    int64_t payee_cap;           /* H's positive cap (0: none) */
} shape;

static uint32_t open_gateway(triangle *t, uint32_t a, uint32_t b, int64_t rate_a, int64_t rate_b, uint32_t fee_a,
                             uint32_t fee_b, int64_t limit_a, int64_t limit_b) {
    tally_gateway_terms terms = {rate_a, rate_b, {{fee_a, limit_a, 0, 0}, {fee_b, limit_b, 0, 0}}};
    tally_tx tx = world_tx(&t->world, &t->op, TALLY_TX_GATEWAY_PROPOSE);
    tx.body.gateway_propose = (tally_tx_gateway_propose){a, b, terms};
    tally_result made = world_apply(&t->world, &tx);
    CHECK_CODE(made.code, TALLY_OK);
    tx = world_tx(&t->world, &t->op, TALLY_TX_GATEWAY_ACCEPT);
    tx.body.gateway_accept = (tally_tx_gateway_accept){made.created_id, terms};
    CHECK_CODE(world_apply(&t->world, &tx).code, TALLY_OK);
    return made.created_id;
}

/* G, R, H, X with a base fee of 0.25% (op operates all four); alice in G with a line
 * of 100000, dave in H. G-R 1:1 with 1% each side, R-H 3:2 with 0.5% each side, and
 * G-H 1:1 with 3% on H's side when the shape has it. */
static void build(triangle *t, const shape *s) {
    memset(t, 0, sizeof *t);
    world_init(&t->world);
    t->op = actor(1), t->alice = actor(2), t->dave = actor(5);
    tally_policy policy = policy_default();
    policy.fee_bps = 25;
    for (uint32_t n = G; n <= X; n++) {
        test_actor founder = n == G ? t->op : actor(20 + n);
        policy.positive_cap = n == H ? s->payee_cap : 0;
        REQUIRE(do_create_network(&t->world, &founder, &policy).code == TALLY_OK);
        if (n != G) {
            tally_tx add = world_tx(&t->world, &founder, TALLY_TX_OPERATOR_ADD);
            add.body.network_key = (tally_tx_network_key){n, t->op.key};
            REQUIRE(world_apply(&t->world, &add).code == TALLY_OK);
        }
    }
    REQUIRE(do_admit(&t->world, &t->op, G, &t->alice).code == TALLY_OK);
    REQUIRE(do_admit(&t->world, &t->op, H, &t->dave).code == TALLY_OK);
    REQUIRE(do_admit(&t->world, &t->op, X, &t->dave).code == TALLY_OK);
    REQUIRE(do_open_line(&t->world, &t->op, G, &t->alice, 100000, 30 * 86400, 5 * 86400, 0).code == TALLY_OK);
    t->gr = open_gateway(t, G, R, 1, 1, 100, 100, 100000, 100000);
    t->rh = open_gateway(t, R, H, 3, 2, 50, 50, 100000, 100000);
    if (s->direct) {
        t->gh = open_gateway(t, G, H, 1, 1, 0, 300, 100000, s->direct_limit);
        if (s->direct_min_rtd_bps) {
            tally_tx update = world_tx(&t->world, &t->op, TALLY_TX_GATEWAY_UPDATE);
            update.body.gateway_update = (tally_tx_gateway_update){t->gh, H, {300, s->direct_limit, s->direct_min_rtd_bps, 0}};
            REQUIRE(world_apply(&t->world, &update).code == TALLY_OK);
        }
        if (s->direct_frozen) {
            tally_tx freeze = world_tx(&t->world, &t->op, TALLY_TX_GATEWAY_FREEZE);
            freeze.body.gateway_freeze = (tally_tx_gateway_freeze){t->gh, H, true};
            REQUIRE(world_apply(&t->world, &freeze).code == TALLY_OK);
        }
    }
}

/* The core's TRANSFER_CROSS of amount by alice to dave over the quote's gateways,
 * signed with the quote's fee and what it said dave receives. */
static tally_result apply_quote(triangle *t, const path_quote *q, int64_t amount) {
    tally_tx tx = world_tx(&t->world, &t->alice, TALLY_TX_TRANSFER_CROSS);
    tally_tx_transfer_cross *body = &tx.body.transfer_cross;
    *body = (tally_tx_transfer_cross){G, t->dave.key, amount, q->fee, q->received, q->hop_count, {0}};
    for (uint8_t h = 0; h < q->hop_count; h++) body->gateways[h] = q->hops[h].gateway_id;
    return world_apply(&t->world, &tx);
}

/* In a fresh world of the same shape, the core applies the quote as it said: the
 * payee receives `received`, the payer pays amount + fee, or it refuses with the
 * quote's code and figure. */
static void check_against_core(const shape *s, const path_quote *q) {
    triangle fresh;
    build(&fresh, s);
    int64_t before = balance_of(&fresh.world, H, &fresh.dave);
    path_quote unsigned_fee = *q;
    if (q->refusal != TALLY_OK) unsigned_fee.fee = INT64_MAX / 4, unsigned_fee.received = 0;
    tally_result done = apply_quote(&fresh, &unsigned_fee, q->amount);
    CHECK_CODE(done.code, q->refusal);
    if (q->refusal == TALLY_OK) {
        CHECK_EQ(done.available, q->received);
        CHECK_EQ(done.fee, q->fee);
        CHECK_EQ(balance_of(&fresh.world, H, &fresh.dave) - before, q->received);
        CHECK_EQ(balance_of(&fresh.world, G, &fresh.alice), -(q->amount + q->fee));
    } else if (q->refused_available) {
        CHECK_EQ(done.available, q->refused_available);
    }
    world_free(&fresh.world);
    /* at its capacity the hops take it, one unit more they refuse */
    if (q->capacity > 0 && q->capacity < 100000) {
        build(&fresh, s);
        path_quote edge = *q;
        edge.fee = INT64_MAX / 4, edge.received = 0;
        CHECK_CODE(apply_quote(&fresh, &edge, q->capacity).code, TALLY_OK);
        world_free(&fresh.world);
        build(&fresh, s);
        tally_result over = apply_quote(&fresh, &edge, q->capacity + 1);
        CHECK(over.code == TALLY_ERR_EXPOSURE_LIMIT || over.code == TALLY_ERR_CAP_REACHED ||
              over.code == TALLY_ERR_GATEWAY_FROZEN);
        world_free(&fresh.world);
    }
}

TEST(paths_a_triangle_best_first_each_as_the_core_applies_it) {
    shape s = {true, 100000, false, 0, 0};
    triangle t;
    build(&t, &s);
    path_list list;
    paths_find(t.world.state, G, &t.alice.key, H, &t.dave.key, 1000, &list);
    CHECK_EQ(list.candidates, 2u);
    REQUIRE(list.count == 2);
    /* direct: 1000 arrive in H, 3% is 30: 970; first leg fee 0.25% of 1000 = 3 */
    CHECK_EQ(list.paths[0].hop_count, 1);
    CHECK_EQ(list.paths[0].hops[0].gateway_id, t.gh);
    CHECK_EQ(list.paths[0].fee, 3);
    CHECK_EQ(list.paths[0].hops[0].arrived, 1000);
    CHECK_EQ(list.paths[0].hops[0].fee, 30);
    CHECK_EQ(list.paths[0].received, 970);
    /* via R: 1000 arrive, 1% is 10: 990; at 3:2 that is 660 in H, 0.5% is 3.3 up to 4: 656 */
    CHECK_EQ(list.paths[1].hop_count, 2);
    CHECK_EQ(list.paths[1].hops[0].gateway_id, t.gr);
    CHECK_EQ(list.paths[1].hops[1].gateway_id, t.rh);
    CHECK_EQ(list.paths[1].hops[0].passed_on, 990);
    CHECK_EQ(list.paths[1].hops[1].arrived, 660);
    CHECK_EQ(list.paths[1].hops[1].fee, 4);
    CHECK_EQ(list.paths[1].received, 656);
    CHECK(list.paths[0].hops[0].exposure_grows);
    for (uint32_t i = 0; i < list.count; i++) {
        CHECK_CODE(list.paths[i].refusal, TALLY_OK);
        check_against_core(&s, &list.paths[i]);
    }
    /* an odd amount, where rounding at each hop matters */
    paths_find(t.world.state, G, &t.alice.key, H, &t.dave.key, 1237, &list);
    REQUIRE(list.count == 2);
    for (uint32_t i = 0; i < list.count; i++) check_against_core(&s, &list.paths[i]);
    world_free(&t.world);
}

TEST(paths_a_line_of_three_networks_two_hops) {
    shape s = {false, 0, false, 0, 0};
    triangle t;
    build(&t, &s);
    path_list list;
    paths_find(t.world.state, G, &t.alice.key, H, &t.dave.key, 4321, &list);
    CHECK_EQ(list.candidates, 1u);
    REQUIRE(list.count == 1);
    CHECK_EQ(list.paths[0].hop_count, 2);
    check_against_core(&s, &list.paths[0]);
    /* the capacity: R's limit of 100000 binds first (1:1 into R) */
    CHECK_EQ(list.paths[0].capacity, 100000);
    /* the other way round the path starts in H: dave is no member of G, alice none of H */
    paths_find(t.world.state, H, &t.dave.key, G, &t.alice.key, 100, &list);
    CHECK_EQ(list.count, 0u);
    CHECK_EQ(list.candidates, 1u);
    world_free(&t.world);
}

TEST(paths_a_limit_makes_the_cheapest_path_infeasible) {
    shape s = {true, 500, false, 0, 0};
    triangle t;
    build(&t, &s);
    path_list list;
    paths_find(t.world.state, G, &t.alice.key, H, &t.dave.key, 1000, &list);
    CHECK_EQ(list.candidates, 2u);
    REQUIRE(list.count == 1);
    CHECK_EQ(list.paths[0].hop_count, 2);
    CHECK_EQ(list.paths[0].received, 656);
    check_against_core(&s, &list.paths[0]);
    /* the direct path as the core refuses it: EXPOSURE_LIMIT with 500 of room */
    path_quote direct;
    REQUIRE(paths_price(t.world.state, G, &t.alice.key, &t.dave.key, 1000, &t.gh, 1, &direct));
    CHECK_CODE(direct.refusal, TALLY_ERR_EXPOSURE_LIMIT);
    CHECK_EQ(direct.refused_available, 500);
    CHECK_EQ(direct.refused_hop, 0);
    CHECK_EQ(direct.capacity, 500);
    CHECK_EQ(direct.hops[0].room, 500);
    check_against_core(&s, &direct);
    /* 500 fits the direct path: it is the best again */
    paths_find(t.world.state, G, &t.alice.key, H, &t.dave.key, 500, &list);
    REQUIRE(list.count == 2);
    CHECK_EQ(list.paths[0].hops[0].gateway_id, t.gh);
    CHECK_EQ(list.paths[0].received, 485);
    check_against_core(&s, &list.paths[0]);
    world_free(&t.world);
}

TEST(paths_a_frozen_gateway_takes_no_new_exposure) {
    shape s = {true, 100000, true, 0, 0};
    triangle t;
    build(&t, &s);
    path_list list;
    paths_find(t.world.state, G, &t.alice.key, H, &t.dave.key, 1000, &list);
    REQUIRE(list.count == 1);
    CHECK_EQ(list.paths[0].hop_count, 2);
    path_quote direct;
    REQUIRE(paths_price(t.world.state, G, &t.alice.key, &t.dave.key, 1000, &t.gh, 1, &direct));
    CHECK_CODE(direct.refusal, TALLY_ERR_GATEWAY_FROZEN);
    CHECK_EQ(direct.capacity, 0);
    CHECK_EQ(direct.hops[0].room, 0);
    check_against_core(&s, &direct);
    world_free(&t.world);
}

TEST(paths_refusals_as_the_core_gives_them) {
    shape s = {true, 100000, false, 0, 0};
    triangle t;
    build(&t, &s);
    path_list list;
    /* X is reached by no gateway */
    paths_find(t.world.state, G, &t.alice.key, X, &t.dave.key, 1000, &list);
    CHECK_EQ(list.count, 0u);
    CHECK_EQ(list.candidates, 0u);
    /* more than alice's line lends: every path refused before its hops */
    paths_find(t.world.state, G, &t.alice.key, H, &t.dave.key, 100000, &list);
    CHECK_EQ(list.count, 0u);
    CHECK_EQ(list.candidates, 2u);
    CHECK_CODE(list.refused.refusal, TALLY_ERR_INSUFFICIENT_CREDIT);
    CHECK_EQ(list.refused.refused_hop, -1);
    check_against_core(&s, &list.refused);
    /* a path that does not follow on, a gateway unknown, a network twice */
    path_quote q;
    uint32_t wrong[2] = {t.rh, t.gr};
    REQUIRE(paths_price(t.world.state, G, &t.alice.key, &t.dave.key, 10, wrong, 2, &q));
    CHECK_CODE(q.refusal, TALLY_ERR_BAD_PATH);
    check_against_core(&s, &q);
    uint32_t unknown = 99;
    REQUIRE(paths_price(t.world.state, G, &t.alice.key, &t.dave.key, 10, &unknown, 1, &q));
    CHECK_CODE(q.refusal, TALLY_ERR_GATEWAY_NOT_FOUND);
    check_against_core(&s, &q);
    uint32_t twice[3] = {t.gr, t.rh, t.gh};
    REQUIRE(paths_price(t.world.state, G, &t.alice.key, &t.dave.key, 10, twice, 3, &q));
    CHECK_CODE(q.refusal, TALLY_ERR_BAD_PATH);
    /* too small to pass anything on: 1 unit at 3:2 is 0 in H */
    REQUIRE(paths_price(t.world.state, G, &t.alice.key, &t.dave.key, 1, (uint32_t[]){t.gr, t.rh}, 2, &q));
    CHECK_CODE(q.refusal, TALLY_ERR_AMOUNT_TOO_SMALL);
    check_against_core(&s, &q);
    /* no hops, too many */
    CHECK(!paths_price(t.world.state, G, &t.alice.key, &t.dave.key, 10, wrong, 0, &q));
    CHECK(!paths_price(t.world.state, G, &t.alice.key, &t.dave.key, 10, wrong, 5, &q));
    world_free(&t.world);
}

TEST(paths_after_payments_the_mirror_balances_count) {
    /* H's limit of 2000 on G-H: after paying 1500 over it, 500 of room remain, and a
     * payment back from H to G frees it again */
    shape s = {true, 2000, false, 0, 0};
    triangle t;
    build(&t, &s);
    path_quote q;
    REQUIRE(paths_price(t.world.state, G, &t.alice.key, &t.dave.key, 1500, &t.gh, 1, &q));
    REQUIRE(q.refusal == TALLY_OK);
    CHECK_CODE(apply_quote(&t, &q, 1500).code, TALLY_OK);
    REQUIRE(paths_price(t.world.state, G, &t.alice.key, &t.dave.key, 600, &t.gh, 1, &q));
    CHECK_CODE(q.refusal, TALLY_ERR_EXPOSURE_LIMIT);
    CHECK_EQ(q.refused_available, 500);
    CHECK_EQ(q.capacity, 500);
    tally_result core = apply_quote(&t, &(path_quote){.fee = 1000, .hop_count = 1, .hops = {{.gateway_id = t.gh}}}, 600);
    CHECK_CODE(core.code, TALLY_ERR_EXPOSURE_LIMIT);
    CHECK_EQ(core.available, 500);
    REQUIRE(paths_price(t.world.state, G, &t.alice.key, &t.dave.key, 500, &t.gh, 1, &q));
    CHECK_CODE(q.refusal, TALLY_OK);
    CHECK_CODE(apply_quote(&t, &q, 500).code, TALLY_OK);
    /* dave pays back over G-H: exposure of G to H grows, H's shrinks */
    path_quote back;
    REQUIRE(paths_price(t.world.state, H, &t.dave.key, &t.alice.key, 300, &t.gh, 1, &back));
    CHECK_CODE(back.refusal, TALLY_OK);
    CHECK(!back.hops[0].exposure_grows); /* gw:H in G holds 2000: paying out of it reduces G's claim */
    CHECK_EQ(back.hops[0].room, 2000 + 100000);
    world_free(&t.world);
}

TEST(paths_the_partners_minimum_rtd_and_the_payees_cap) {
    /* H asks of G an RTD of 20% on G-H; G has no pool: no new exposure that way */
    shape s = {true, 100000, false, 2000, 0};
    triangle t;
    build(&t, &s);
    path_list list;
    paths_find(t.world.state, G, &t.alice.key, H, &t.dave.key, 1000, &list);
    REQUIRE(list.count == 1);
    CHECK_EQ(list.paths[0].hop_count, 2);
    path_quote direct;
    REQUIRE(paths_price(t.world.state, G, &t.alice.key, &t.dave.key, 1000, &t.gh, 1, &direct));
    CHECK_CODE(direct.refusal, TALLY_ERR_PARTNER_UNHEALTHY);
    CHECK_EQ(direct.hops[0].room, 0);
    check_against_core(&s, &direct);
    world_free(&t.world);

    /* H caps balances at 800: 970 would pass it, 656 not; the capacity stops there */
    shape capped = {true, 100000, false, 0, 800};
    build(&t, &capped);
    paths_find(t.world.state, G, &t.alice.key, H, &t.dave.key, 1000, &list);
    REQUIRE(list.count == 1);
    CHECK_EQ(list.paths[0].received, 656);
    check_against_core(&capped, &list.paths[0]);
    REQUIRE(paths_price(t.world.state, G, &t.alice.key, &t.dave.key, 1000, &t.gh, 1, &direct));
    CHECK_CODE(direct.refusal, TALLY_ERR_CAP_REACHED);
    CHECK_EQ(direct.refused_available, 800);
    CHECK_EQ(direct.refused_hop, 1);
    check_against_core(&capped, &direct);
    /* 825 arrive, 3% is 24.75 up to 25: 800 exactly; 826 pass the cap */
    CHECK_EQ(direct.capacity, 825);
    world_free(&t.world);
}

TEST(paths_every_simple_path_of_a_complete_graph_breadth_first) {
    /* five networks, a gateway between every two (1:1, fees by pair): from 1 to 5
     * there are 1 + 3 + 6 + 6 = 16 paths of at most 4 hops that visit no network twice */
    test_world world;
    world_init(&world);
    test_actor op = actor(1), alice = actor(2), dave = actor(5);
    tally_policy policy = policy_default();
    for (uint32_t n = 1; n <= 5; n++) {
        test_actor founder = n == 1 ? op : actor(20 + n);
        REQUIRE(do_create_network(&world, &founder, &policy).code == TALLY_OK);
        if (n != 1) {
            tally_tx add = world_tx(&world, &founder, TALLY_TX_OPERATOR_ADD);
            add.body.network_key = (tally_tx_network_key){n, op.key};
            REQUIRE(world_apply(&world, &add).code == TALLY_OK);
        }
    }
    REQUIRE(do_admit(&world, &op, 1, &alice).code == TALLY_OK);
    REQUIRE(do_admit(&world, &op, 5, &dave).code == TALLY_OK);
    REQUIRE(do_open_line(&world, &op, 1, &alice, 100000, 30 * 86400, 5 * 86400, 0).code == TALLY_OK);
    for (uint32_t a = 1; a <= 5; a++)
        for (uint32_t b = a + 1; b <= 5; b++) {
            uint32_t fee = 10 * a + b;
            tally_gateway_terms terms = {1, 1, {{fee, 100000, 0, 0}, {fee, 100000, 0, 0}}};
            tally_tx tx = world_tx(&world, &op, TALLY_TX_GATEWAY_PROPOSE);
            tx.body.gateway_propose = (tally_tx_gateway_propose){a, b, terms};
            tally_result made = world_apply(&world, &tx);
            REQUIRE(made.code == TALLY_OK);
            tx = world_tx(&world, &op, TALLY_TX_GATEWAY_ACCEPT);
            tx.body.gateway_accept = (tally_tx_gateway_accept){made.created_id, terms};
            REQUIRE(world_apply(&world, &tx).code == TALLY_OK);
        }
    path_list list;
    paths_find(world.state, 1, &alice.key, 5, &dave.key, 10000, &list);
    CHECK_EQ(list.candidates, 16u);
    CHECK(!list.truncated);
    REQUIRE(list.count == PATHS_RESULTS_MAX);
    for (uint32_t i = 1; i < list.count; i++) {
        CHECK(list.paths[i - 1].received >= list.paths[i].received);
        if (list.paths[i - 1].received == list.paths[i].received)
            CHECK(list.paths[i - 1].hop_count <= list.paths[i].hop_count);
    }
    /* the direct gateway charges 15 bps: 9985; no longer path does better */
    CHECK_EQ(list.paths[0].hop_count, 1);
    CHECK_EQ(list.paths[0].received, 9985);
    /* the best two-hop path, applied, gives what it said */
    const path_quote *q = NULL;
    for (uint32_t i = 0; i < list.count && !q; i++)
        if (list.paths[i].hop_count == 2) q = &list.paths[i];
    REQUIRE(q != NULL);
    tally_tx tx = world_tx(&world, &alice, TALLY_TX_TRANSFER_CROSS);
    tx.body.transfer_cross = (tally_tx_transfer_cross){1, dave.key, 10000, q->fee, q->received, 2,
                                                       {q->hops[0].gateway_id, q->hops[1].gateway_id, 0, 0}};
    tally_result paid = world_apply(&world, &tx);
    CHECK_CODE(paid.code, TALLY_OK);
    CHECK_EQ(paid.available, q->received);
    world_free(&world);
}
