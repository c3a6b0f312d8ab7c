/*
 * test_clearing_solver.c: the node's clearing solver (src/node/clearing.c). On real
 * chain states: the triangle of 100/70/40 clears 40 on each edge in one transaction
 * and the core leaves 60/30/0; no cycle clears nothing; 3:2 rates on a consistent
 * cycle clear exactly (rounded down to exact amounts); an inconsistent cycle is left
 * alone; a cycle of 9 gateways is counted, not packed; random chains whose plan the
 * core accepts transaction by transaction; and a real tallyd --clear-every 1
 * clearing the triangle by itself. On 200 seeded random graphs of 10 to 200
 * networks the circulation removes exactly the optimum of an independent solver
 * (clearing_reference.c: exact enumeration on the small ones, GLPK's simplex on
 * every one). A failure prints its seed.
 */
#include <stdlib.h>
#include <string.h>

#include "clearing_reference.h"
#include "fixture.h"
#include "node/clearing.h"
#include "node_harness.h"
#include "test.h"
#include <time.h>

/* ---- chains of real networks ---- */

#define CHAIN_NETWORKS_MAX 12u

typedef struct {
    test_world world;
    test_actor op, payer;
    uint32_t networks;
} chain;

/* Networks 1..networks (each founded by its own key, all operated by op), each with
 * one member (actor 200 + n) with a line of 1,000,000. */
static void chain_init(chain *c, uint32_t networks) {
    world_init(&c->world);
    c->op = actor(1), c->payer = actor(2), c->networks = networks;
    tally_policy policy = policy_default();
    for (uint32_t n = 1; n <= networks; n++) {
        test_actor founder = actor(100 + n); /* three networks a key a day */
        REQUIRE(do_create_network(&c->world, &founder, &policy).code == TALLY_OK);
        tally_tx add = world_tx(&c->world, &founder, TALLY_TX_OPERATOR_ADD);
        add.body.network_key = (tally_tx_network_key){n, c->op.key};
        REQUIRE(world_apply(&c->world, &add).code == TALLY_OK);
        test_actor member = actor(200 + n);
        REQUIRE(do_admit(&c->world, &c->op, n, &member).code == TALLY_OK);
        REQUIRE(do_open_line(&c->world, &c->op, n, &member, 1000000, 30 * DAY, 5 * DAY, 0).code == TALLY_OK);
    }
}

/* An open gateway from a to b at rate_a:rate_b, no fees, limits of 1,000,000. */
static uint32_t chain_gateway(chain *c, uint32_t a, uint32_t b, int64_t rate_a, int64_t rate_b) {
    tally_gateway_terms terms = {rate_a, rate_b, {{0, 1000000, 0, 0}, {0, 1000000, 0, 0}}};
    tally_tx tx = world_tx(&c->world, &c->op, TALLY_TX_GATEWAY_PROPOSE);
    tx.body.gateway_propose = (tally_tx_gateway_propose){a, b, terms};
    tally_result made = world_apply(&c->world, &tx);
    CHECK_CODE(made.code, TALLY_OK);
    tx = world_tx(&c->world, &c->op, TALLY_TX_GATEWAY_ACCEPT);
    tx.body.gateway_accept = (tally_tx_gateway_accept){made.created_id, terms};
    CHECK_CODE(world_apply(&c->world, &tx).code, TALLY_OK);
    return made.created_id;
}

/* from's member pays `amount` (from's unit) to to's member over the gateway: from
 * then owes to. */
static tally_result chain_owe(chain *c, uint32_t gateway, uint32_t from, uint32_t to, int64_t amount) {
    test_actor payer = actor(200 + from), payee = actor(200 + to);
    tally_tx tx = world_tx(&c->world, &payer, TALLY_TX_TRANSFER_CROSS);
    tx.body.transfer_cross = (tally_tx_transfer_cross){from, payee.key, amount, 0, 0, 1, {gateway, 0, 0, 0}};
    return world_apply(&c->world, &tx);
}

static int64_t mirror(const chain *c, uint32_t network, uint32_t partner) {
    tally_key key = tally_gateway_key(network, partner);
    const tally_member *m = tally_state_member(c->world.state, network, &key);
    return m ? m->balance : INT64_MIN;
}

/* Applies every transaction of the plan through the core, signed by a key that is
 * a member nowhere (anyone may clear), and checks what the issue asks: each one
 * accepted, every mirror account moved toward zero and never past it, and in every
 * network supply and debt fell alike by what its creditor mirror accounts cleared.
 * Returns the value cleared summed over the gateways' tail sides (the plan's
 * `removed` at 1:1 rates). */
static int64_t chain_apply(chain *c, const clearing_plan *plan, uint64_t seed) {
    uint32_t gateways = tally_state_gateway_count(c->world.state);
    int64_t before_a[64], before_b[64], supply[CHAIN_NETWORKS_MAX + 1], debt[CHAIN_NETWORKS_MAX + 1];
    if (gateways >= 64 || c->networks > CHAIN_NETWORKS_MAX) {
        test_fail(__FILE__, __LINE__, "chain_apply: too many gateways or networks");
        return -1;
    }
    for (uint32_t id = 1; id <= gateways; id++) {
        const tally_gateway *g = tally_state_gateway(c->world.state, id);
        before_a[id] = mirror(c, g->network_a, g->network_b), before_b[id] = mirror(c, g->network_b, g->network_a);
    }
    for (uint32_t n = 1; n <= c->networks; n++)
        supply[n] = tally_state_network(c->world.state, n)->supply, debt[n] = tally_state_network(c->world.state, n)->debt;
    for (uint32_t t = 0; t < plan->transaction_count; t++) {
        tally_tx tx = world_tx(&c->world, &c->payer, TALLY_TX_CLEARING);
        tx.body.clearing = plan->transactions[t];
        tally_result result = world_apply(&c->world, &tx);
        if (result.code != TALLY_OK) printf("    seed %llu: transaction %u refused\n", (unsigned long long)seed, t);
        CHECK_CODE(result.code, TALLY_OK);
    }
    int64_t cleared[CHAIN_NETWORKS_MAX + 1] = {0}, tail_total = 0;
    for (uint32_t id = 1; id <= gateways; id++) {
        const tally_gateway *g = tally_state_gateway(c->world.state, id);
        int64_t after_a = mirror(c, g->network_a, g->network_b), after_b = mirror(c, g->network_b, g->network_a);
        bool toward_a = before_a[id] >= 0 ? after_a >= 0 && after_a <= before_a[id] : after_a <= 0 && after_a >= before_a[id];
        bool toward_b = before_b[id] >= 0 ? after_b >= 0 && after_b <= before_b[id] : after_b <= 0 && after_b >= before_b[id];
        if (!toward_a || !toward_b) printf("    seed %llu: gateway %u moved away from zero\n", (unsigned long long)seed, id);
        CHECK(toward_a && toward_b);
        if (before_a[id] > 0) cleared[g->network_a] += before_a[id] - after_a, tail_total += before_a[id] - after_a;
        if (before_b[id] > 0) cleared[g->network_b] += before_b[id] - after_b, tail_total += before_b[id] - after_b;
    }
    for (uint32_t n = 1; n <= c->networks; n++) {
        CHECK_EQ(supply[n] - tally_state_network(c->world.state, n)->supply, cleared[n]);
        CHECK_EQ(debt[n] - tally_state_network(c->world.state, n)->debt, cleared[n]);
    }
    return tail_total;
}

/* The state's obligations at 1:1 as an abstract graph, built here independently of
 * the solver (node number = network id - 1). */
static uint32_t chain_arcs(const chain *c, clearing_arc *arcs) {
    uint32_t count = 0;
    for (uint32_t id = 1; id <= tally_state_gateway_count(c->world.state); id++) {
        const tally_gateway *g = tally_state_gateway(c->world.state, id);
        int64_t a = mirror(c, g->network_a, g->network_b), b = mirror(c, g->network_b, g->network_a);
        if (a > 0 && b < 0) arcs[count++] = (clearing_arc){g->network_a - 1, g->network_b - 1, a < -b ? a : -b};
        if (a < 0 && b > 0) arcs[count++] = (clearing_arc){g->network_b - 1, g->network_a - 1, b < -a ? b : -a};
    }
    return count;
}

TEST(clearing_solver_the_triangle_100_70_40_clears_40_on_each_edge_in_one_transaction) {
    chain c;
    chain_init(&c, 3);
    uint32_t ab = chain_gateway(&c, 1, 2, 1, 1), bc = chain_gateway(&c, 2, 3, 1, 1), ca = chain_gateway(&c, 3, 1, 1, 1);
    CHECK_CODE(chain_owe(&c, ab, 1, 2, 100).code, TALLY_OK);
    CHECK_CODE(chain_owe(&c, bc, 2, 3, 70).code, TALLY_OK);
    CHECK_CODE(chain_owe(&c, ca, 3, 1, 40).code, TALLY_OK);
    clearing_plan plan;
    REQUIRE(clearing_plan_make(c.world.state, &plan));
    CHECK_EQ(plan.transaction_count, 1);
    CHECK_EQ(plan.cycles, 1);
    CHECK_EQ(plan.obligation_before, 210);
    CHECK_EQ(plan.removed, 120);
    CHECK_EQ(plan.unpacked + plan.rounded_off + plan.gateways_dropped + plan.long_cycles, 0);
    REQUIRE(plan.transaction_count == 1);
    const tally_tx_clearing *body = &plan.transactions[0];
    CHECK_EQ(body->count, 3);
    for (uint8_t i = 0; i < body->count; i++) {
        CHECK_EQ(body->setoffs[i].amount_a, 40);
        CHECK_EQ(body->setoffs[i].amount_b, 40);
    }
    CHECK_EQ(chain_apply(&c, &plan, 0), 120);
    CHECK_EQ(mirror(&c, 1, 2), 60);
    CHECK_EQ(mirror(&c, 2, 1), -60);
    CHECK_EQ(mirror(&c, 2, 3), 30);
    CHECK_EQ(mirror(&c, 3, 2), -30);
    CHECK_EQ(mirror(&c, 3, 1), 0);
    CHECK_EQ(mirror(&c, 1, 3), 0);
    clearing_plan_free(&plan);
    /* and now nothing is left to clear */
    REQUIRE(clearing_plan_make(c.world.state, &plan));
    CHECK_EQ(plan.transaction_count, 0);
    CHECK_EQ(plan.obligation_before, 90);
    clearing_plan_free(&plan);
    world_free(&c.world);
}

TEST(clearing_solver_a_graph_without_a_cycle_clears_nothing) {
    chain c;
    chain_init(&c, 4);
    /* 1 owes 2 owes 3 owes 4, and 1 owes 4: no cycle */
    uint32_t ids[4] = {chain_gateway(&c, 1, 2, 1, 1), chain_gateway(&c, 2, 3, 1, 1), chain_gateway(&c, 3, 4, 1, 1),
                       chain_gateway(&c, 4, 1, 1, 1)};
    CHECK_CODE(chain_owe(&c, ids[0], 1, 2, 50).code, TALLY_OK);
    CHECK_CODE(chain_owe(&c, ids[1], 2, 3, 50).code, TALLY_OK);
    CHECK_CODE(chain_owe(&c, ids[2], 3, 4, 50).code, TALLY_OK);
    CHECK_CODE(chain_owe(&c, ids[3], 1, 4, 50).code, TALLY_OK);
    clearing_plan plan;
    REQUIRE(clearing_plan_make(c.world.state, &plan));
    CHECK_EQ(plan.obligation_before, 200);
    CHECK_EQ(plan.transaction_count, 0);
    CHECK_EQ(plan.removed, 0);
    CHECK_EQ(plan.cycles, 0);
    clearing_plan_free(&plan);
    world_free(&c.world);
    /* nor does an empty chain */
    chain_init(&c, 1);
    REQUIRE(clearing_plan_make(c.world.state, &plan));
    CHECK_EQ(plan.transaction_count + plan.obligation_before, 0);
    clearing_plan_free(&plan);
    world_free(&c.world);
}

/* 3 of network 1 are worth 2 of network 2; 2 and 3 at 1:1; 2 of network 3 are worth 3
 * of network 1 (so around the cycle the rates multiply to 1). Weights 2, 3, 3. */
TEST(clearing_solver_rates_3_2_on_a_consistent_cycle_clear_exactly) {
    chain c;
    chain_init(&c, 3);
    uint32_t ab = chain_gateway(&c, 1, 2, 3, 2), bc = chain_gateway(&c, 2, 3, 1, 1), ca = chain_gateway(&c, 3, 1, 2, 3);
    CHECK_CODE(chain_owe(&c, ab, 1, 2, 300).code, TALLY_OK); /* 300 / -200 */
    CHECK_CODE(chain_owe(&c, bc, 2, 3, 150).code, TALLY_OK); /* 150 / -150 */
    /* 101 of network 3 cross as 50 whole steps of 2 (100; the 1 left stays with its
     * fee account): 100 / -150 */
    CHECK_CODE(chain_owe(&c, ca, 3, 1, 101).code, TALLY_OK);
    CHECK_EQ(mirror(&c, 3, 1), 100);
    CHECK_EQ(mirror(&c, 1, 3), -150);
    clearing_plan plan;
    REQUIRE(clearing_plan_make(c.world.state, &plan));
    /* value: 3->1 allows min(100 * 3, 150 * 2) = 300, a multiple of lcm(2, 3, 3) = 6,
     * so 150 of network 1, 100 of 2 and 100 of 3 */
    CHECK_EQ(plan.obligation_before, 600 + 450 + 300);
    CHECK_EQ(plan.removed, 900);
    CHECK_EQ(plan.rounded_off, 0);
    REQUIRE(plan.transaction_count == 1);
    const tally_tx_clearing *body = &plan.transactions[0];
    REQUIRE(body->count == 3);
    for (uint8_t i = 0; i < body->count; i++) {
        const tally_setoff *s = &body->setoffs[i];
        const tally_gateway *g = tally_state_gateway(c.world.state, s->gateway_id);
        CHECK(s->amount_a * g->terms.rate_b == s->amount_b * g->terms.rate_a);
        if (s->gateway_id == ab) CHECK(s->amount_a == 150 && s->amount_b == 100);
        if (s->gateway_id == bc) CHECK(s->amount_a == 100 && s->amount_b == 100);
        if (s->gateway_id == ca) CHECK(s->amount_a == 100 && s->amount_b == 150);
    }
    chain_apply(&c, &plan, 0);
    CHECK_EQ(mirror(&c, 1, 2), 150);
    CHECK_EQ(mirror(&c, 2, 1), -100);
    CHECK_EQ(mirror(&c, 3, 1), 0);
    CHECK_EQ(mirror(&c, 1, 3), 0);
    clearing_plan_free(&plan);
    world_free(&c.world);
}

TEST(clearing_solver_an_inconsistent_cycle_is_left_alone) {
    chain c;
    chain_init(&c, 3);
    /* 3:2, 1:1, 1:1: around the cycle the rates multiply to 3/2 */
    uint32_t ab = chain_gateway(&c, 1, 2, 3, 2), bc = chain_gateway(&c, 2, 3, 1, 1), ca = chain_gateway(&c, 3, 1, 1, 1);
    CHECK_CODE(chain_owe(&c, ab, 1, 2, 300).code, TALLY_OK);
    CHECK_CODE(chain_owe(&c, bc, 2, 3, 150).code, TALLY_OK);
    CHECK_CODE(chain_owe(&c, ca, 3, 1, 100).code, TALLY_OK);
    clearing_plan plan;
    REQUIRE(clearing_plan_make(c.world.state, &plan));
    CHECK_EQ(plan.gateways_dropped, 1);
    CHECK_EQ(plan.transaction_count, 0);
    CHECK_EQ(plan.removed, 0);
    clearing_plan_free(&plan);
    world_free(&c.world);

    /* the same inconsistent cycle next to a consistent one through network 4 (2 of
     * network 4 are worth 3 of network 1): the forest from network 1 keeps 1-2, 3-1
     * and 4-1, so 2-3 is dropped and 1 -> 2 -> 4 -> 1 clears */
    chain_init(&c, 4);
    ab = chain_gateway(&c, 1, 2, 3, 2), bc = chain_gateway(&c, 2, 3, 1, 1), ca = chain_gateway(&c, 3, 1, 1, 1);
    uint32_t bd = chain_gateway(&c, 2, 4, 1, 1), da = chain_gateway(&c, 4, 1, 2, 3);
    CHECK_CODE(chain_owe(&c, ab, 1, 2, 300).code, TALLY_OK);
    CHECK_CODE(chain_owe(&c, bc, 2, 3, 150).code, TALLY_OK);
    CHECK_CODE(chain_owe(&c, ca, 3, 1, 100).code, TALLY_OK);
    CHECK_CODE(chain_owe(&c, bd, 2, 4, 150).code, TALLY_OK);
    CHECK_CODE(chain_owe(&c, da, 4, 1, 100).code, TALLY_OK);
    REQUIRE(clearing_plan_make(c.world.state, &plan));
    CHECK_EQ(plan.gateways_dropped, 1);
    CHECK_EQ(plan.transaction_count, 1);
    CHECK_EQ(plan.removed, 3 * 300);
    chain_apply(&c, &plan, 0);
    CHECK_EQ(mirror(&c, 1, 2), 150);
    CHECK_EQ(mirror(&c, 2, 4), 50);
    CHECK_EQ(mirror(&c, 4, 1), 0);
    CHECK_EQ(mirror(&c, 2, 3), 150); /* the dropped gateway untouched */
    clearing_plan_free(&plan);
    world_free(&c.world);
}

/* A ring of 9 networks: its one cycle has 9 gateways, more than a transaction holds. */
TEST(clearing_solver_a_cycle_of_9_gateways_is_counted_not_packed) {
    chain c;
    chain_init(&c, 9);
    for (uint32_t n = 1; n <= 9; n++) {
        uint32_t next = n % 9 + 1, id = chain_gateway(&c, n, next, 1, 1);
        CHECK_CODE(chain_owe(&c, id, n, next, 10 + n).code, TALLY_OK);
    }
    clearing_plan plan;
    REQUIRE(clearing_plan_make(c.world.state, &plan));
    CHECK_EQ(plan.transaction_count, 0);
    CHECK_EQ(plan.long_cycles, 1);
    CHECK_EQ(plan.unpacked, 9 * 11);
    CHECK_EQ(plan.removed, 0);
    clearing_plan_free(&plan);
    world_free(&c.world);
}

/* Four triangles (12 networks, 12 gateways) pack first-fit into two transactions of
 * six set-offs, each accepted by itself; a ring of exactly 8 gateways fits one. */
TEST(clearing_solver_cycles_pack_into_transactions_of_at_most_8_set_offs) {
    chain c;
    chain_init(&c, 12);
    for (uint32_t t = 0; t < 4; t++) {
        uint32_t first = 3 * t + 1;
        for (uint32_t k = 0; k < 3; k++) {
            uint32_t from = first + k, to = first + (k + 1) % 3, id = chain_gateway(&c, from, to, 1, 1);
            CHECK_CODE(chain_owe(&c, id, from, to, 10 * (k + 1) + t).code, TALLY_OK);
        }
    }
    clearing_plan plan;
    REQUIRE(clearing_plan_make(c.world.state, &plan));
    CHECK_EQ(plan.cycles, 4);
    CHECK_EQ(plan.transaction_count, 2);
    for (uint32_t i = 0; i < plan.transaction_count; i++) CHECK_EQ(plan.transactions[i].count, 6);
    CHECK_EQ(plan.removed, 3 * (10 + 11 + 12 + 13));
    CHECK_EQ(chain_apply(&c, &plan, 0), plan.removed);
    clearing_plan_free(&plan);
    world_free(&c.world);

    chain_init(&c, 8);
    for (uint32_t n = 1; n <= 8; n++) {
        uint32_t next = n % 8 + 1, id = chain_gateway(&c, n, next, 1, 1);
        CHECK_CODE(chain_owe(&c, id, n, next, 20 + n).code, TALLY_OK);
    }
    REQUIRE(clearing_plan_make(c.world.state, &plan));
    CHECK_EQ(plan.transaction_count, 1);
    CHECK_EQ(plan.long_cycles, 0);
    if (plan.transaction_count == 1) CHECK_EQ(plan.transactions[0].count, 8);
    CHECK_EQ(chain_apply(&c, &plan, 0), 8 * 21);
    CHECK_EQ(mirror(&c, 1, 2), 0);
    CHECK_EQ(mirror(&c, 8, 1), 28 - 21);
    clearing_plan_free(&plan);
    world_free(&c.world);
}

/* Random chains of 4 to 7 networks (1:1): the plan removes the optimum of the
 * independent references on the same obligations, and the core accepts it. */
TEST(clearing_solver_random_chains_clear_their_optimum_through_the_core) {
    uint32_t enumerated = 0, packed_many = 0;
    for (uint64_t seed = 1; seed <= 12; seed++) {
        uint64_t random = seed * 1000003u;
        chain c;
        uint32_t networks = 4 + (uint32_t)(reference_next(&random) % 4);
        chain_init(&c, networks);
        uint32_t pairs = networks * (networks - 1) / 2, wanted = networks + (uint32_t)(reference_next(&random) % 4);
        if (wanted > pairs) wanted = pairs;
        bool linked[CHAIN_NETWORKS_MAX + 1][CHAIN_NETWORKS_MAX + 1] = {{false}};
        for (uint32_t made = 0; made < wanted;) {
            uint32_t a = 1 + (uint32_t)(reference_next(&random) % networks), b = 1 + (uint32_t)(reference_next(&random) % networks);
            if (a == b || linked[a][b]) continue;
            linked[a][b] = linked[b][a] = true, made++;
            uint32_t id = chain_gateway(&c, a, b, 1, 1);
            for (int k = 0; k < 2; k++) {
                bool forward = reference_next(&random) % 3 != 0;
                int64_t amount = 2 + (int64_t)(reference_next(&random) % 7);
                CHECK_CODE(chain_owe(&c, id, forward ? a : b, forward ? b : a, amount).code, TALLY_OK);
            }
        }
        clearing_arc arcs[64];
        uint32_t arc_count = chain_arcs(&c, arcs);
        int64_t optimum = reference_enumerated_optimum(networks, arcs, arc_count, 2000000);
        if (optimum >= 0) enumerated++;
        int64_t by_lp = reference_lp_optimum(networks, arcs, arc_count);
        if (optimum < 0) optimum = by_lp;
        CHECK_EQ(by_lp, optimum);
        clearing_plan plan;
        REQUIRE(clearing_plan_make(c.world.state, &plan));
        if (plan.removed != optimum) printf("    seed %llu: removed %lld, optimum %lld\n", (unsigned long long)seed,
                                            (long long)plan.removed, (long long)optimum);
        CHECK_EQ(plan.removed, optimum);
        CHECK_EQ(plan.unpacked + plan.rounded_off + plan.gateways_dropped, 0);
        if (plan.cycles > plan.transaction_count) packed_many++;
        CHECK_EQ(chain_apply(&c, &plan, seed), plan.removed);
        clearing_plan_free(&plan);
        /* what is left has no cycle */
        REQUIRE(clearing_plan_make(c.world.state, &plan));
        CHECK_EQ(plan.removed, 0);
        clearing_plan_free(&plan);
        world_free(&c.world);
    }
    printf("    12 random chains: %u compared by enumeration (all by the simplex); %u packed cycles together\n",
           enumerated, packed_many);
    CHECK(enumerated >= 6);
}

/* Random chains whose networks are worth 1, 2, 3 or 5 (a gateway's rate from the two
 * weights, so every cycle is consistent and 3:2, 5:3 ... rates round payments): the
 * plan drops nothing, every set-off is exact at its rate, the core accepts every
 * transaction, and (on these seeds) a second plan finds nothing more. */
TEST(clearing_solver_random_chains_at_consistent_rates_clear_through_the_core) {
    static const int64_t worth[4] = {1, 2, 3, 5};
    uint32_t cleared = 0;
    for (uint64_t seed = 101; seed <= 110; seed++) {
        uint64_t random = seed * 7919u;
        chain c;
        uint32_t networks = 4 + (uint32_t)(reference_next(&random) % 3);
        chain_init(&c, networks);
        int64_t weight[CHAIN_NETWORKS_MAX + 1];
        for (uint32_t n = 1; n <= networks; n++) weight[n] = worth[reference_next(&random) % 4];
        bool linked[CHAIN_NETWORKS_MAX + 1][CHAIN_NETWORKS_MAX + 1] = {{false}};
        uint32_t pairs = networks * (networks - 1) / 2, wanted = networks + 2 > pairs ? pairs : networks + 2;
        for (uint32_t made = 0; made < wanted;) {
            uint32_t a = 1 + (uint32_t)(reference_next(&random) % networks), b = 1 + (uint32_t)(reference_next(&random) % networks);
            if (a == b || linked[a][b]) continue;
            linked[a][b] = linked[b][a] = true, made++;
            /* rate_a units of a are worth rate_b units of b */
            int64_t rate_a = weight[b], rate_b = weight[a];
            for (int64_t g = rate_a; g > 1; g--)
                if (rate_a % g == 0 && rate_b % g == 0) rate_a /= g, rate_b /= g;
            uint32_t id = chain_gateway(&c, a, b, rate_a, rate_b);
            bool forward = reference_next(&random) % 4 != 0;
            int64_t amount = 30 + (int64_t)(reference_next(&random) % 300);
            CHECK_CODE(chain_owe(&c, id, forward ? a : b, forward ? b : a, amount).code, TALLY_OK);
        }
        clearing_plan plan;
        REQUIRE(clearing_plan_make(c.world.state, &plan));
        CHECK_EQ(plan.gateways_dropped, 0);
        CHECK_EQ(plan.long_cycles, 0);
        cleared += plan.transaction_count > 0;
        for (uint32_t t = 0; t < plan.transaction_count; t++)
            for (uint8_t k = 0; k < plan.transactions[t].count; k++) {
                const tally_setoff *setoff = &plan.transactions[t].setoffs[k];
                const tally_gateway *g = tally_state_gateway(c.world.state, setoff->gateway_id);
                CHECK(setoff->amount_a * g->terms.rate_b == setoff->amount_b * g->terms.rate_a);
            }
        chain_apply(&c, &plan, seed);
        clearing_plan_free(&plan);
        /* again: what rounding left on a cycle is less than one exact step of it */
        REQUIRE(clearing_plan_make(c.world.state, &plan));
        CHECK_EQ(plan.removed, 0);
        clearing_plan_free(&plan);
        world_free(&c.world);
    }
    printf("    10 random chains at rates of 1, 2, 3 and 5: %u had a clearing, all accepted\n", cleared);
    CHECK(cleared >= 3);
}

/* ---- abstract graphs ---- */

/* The decomposition's cycles are closed walks of arcs with flow, and add up to it. */
static bool cycles_add_up(const clearing_arc *arcs, uint32_t arc_count, const int64_t *flow,
                          const clearing_cycles *cycles) {
    int64_t *sum = calloc(arc_count + 1u, sizeof *sum);
    bool ok = sum != NULL;
    for (uint32_t c = 0; ok && c < cycles->cycle_count; c++) {
        const clearing_cycle *cycle = &cycles->cycles[c];
        ok = cycle->flow > 0 && cycle->length >= 2;
        for (uint32_t k = 0; ok && k < cycle->length; k++) {
            uint32_t a = cycles->arcs[cycle->first + k], next = cycles->arcs[cycle->first + (k + 1) % cycle->length];
            ok = a < arc_count && arcs[a].head == arcs[next].tail;
            if (ok) sum[a] += cycle->flow;
        }
    }
    for (uint32_t i = 0; ok && i < arc_count; i++) ok = sum[i] == flow[i];
    free(sum);
    return ok;
}

TEST(clearing_solver_200_random_graphs_remove_the_optimum_of_an_independent_solver) {
    const uint64_t base = 20261201;
    uint32_t by_enumeration = 0, by_lp = 0, largest = 0, cleared = 0;
    int64_t removed = 0, obligations = 0;
    clearing_arc *arcs = malloc(sizeof *arcs * 600);
    int64_t *flow = malloc(sizeof *flow * 600);
    REQUIRE(arcs && flow);
    for (uint32_t g = 0; g < 200; g++) {
        uint64_t seed = base + g, random = seed;
        uint32_t nodes, arc_count;
        int64_t capacity_max;
        if (g < 50) { /* small and sparse: few enough circulations to enumerate */
            nodes = 10 + (uint32_t)(reference_next(&random) % 3);
            arc_count = nodes + 1 + (uint32_t)(reference_next(&random) % 4);
            capacity_max = 4;
        } else {
            nodes = 10 + (uint32_t)(reference_next(&random) % 191);
            arc_count = nodes + (uint32_t)(reference_next(&random) % (2 * nodes));
            capacity_max = 1000;
        }
        if (nodes > largest) largest = nodes;
        reference_graph(seed, nodes, arc_count, capacity_max, arcs);
        int64_t scaled_by = 0;
        bool solved = clearing_circulation(nodes, arcs, arc_count, flow, &scaled_by);
        if (!solved) printf("    seed %llu: the solver failed\n", (unsigned long long)seed);
        CHECK(solved);
        CHECK_EQ(scaled_by, 1);
        int64_t total = 0;
        for (uint32_t i = 0; i < arc_count; i++) total += flow[i], obligations += arcs[i].capacity;
        removed += total, cleared += total > 0;
        clearing_cycles cycles;
        bool decomposed = clearing_decompose(nodes, arcs, arc_count, flow, &cycles);
        if (!decomposed || !cycles_add_up(arcs, arc_count, flow, &cycles))
            printf("    seed %llu: the cycles do not add up to the circulation\n", (unsigned long long)seed);
        CHECK(decomposed && cycles_add_up(arcs, arc_count, flow, &cycles));
        if (decomposed) clearing_cycles_free(&cycles);
        int64_t lp = reference_lp_optimum(nodes, arcs, arc_count), exact = -1;
        if (g < 50) exact = reference_enumerated_optimum(nodes, arcs, arc_count, 2000000);
        if (exact >= 0) by_enumeration++;
        if (lp >= 0) by_lp++;
        if (total != lp || (exact >= 0 && total != exact))
            printf("    seed %llu (%u networks, %u obligations): removed %lld, simplex %lld, enumeration %lld\n",
                   (unsigned long long)seed, nodes, arc_count, (long long)total, (long long)lp, (long long)exact);
        CHECK_EQ(total, lp);
        if (exact >= 0) CHECK_EQ(total, exact);
    }
    printf("    200 random graphs (10 to %u networks, %u with a cycle, %.1f%% of obligations removed): %u equal to "
           "exact enumeration, %u to the simplex\n",
           largest, cleared, 100.0 * (double)removed / (double)obligations, by_enumeration, by_lp);
    CHECK(cleared > 150);
    CHECK_EQ(by_enumeration, 50);
    CHECK_EQ(by_lp, 200);
    free(arcs), free(flow);
}

TEST(clearing_solver_capacities_past_the_solvers_int_range_are_scaled_and_stay_feasible) {
    /* a triangle owing 2^40 each way round: GLPK's flow codes compute in int */
    clearing_arc arcs[3] = {{0, 1, (int64_t)1 << 40}, {1, 2, (int64_t)1 << 40}, {2, 0, ((int64_t)1 << 40) + 7}};
    int64_t flow[3], scaled_by = 0;
    REQUIRE(clearing_circulation(3, arcs, 3, flow, &scaled_by));
    CHECK(scaled_by > 1);
    CHECK(flow[0] == flow[1] && flow[1] == flow[2]);
    CHECK(flow[0] <= (int64_t)1 << 40 && flow[0] > ((int64_t)1 << 40) - 2 * scaled_by);
    /* refused: a loop, a capacity of 0, a node out of range */
    clearing_arc loop = {1, 1, 5}, empty = {0, 1, 0}, outside = {0, 3, 5};
    CHECK(!clearing_circulation(3, &loop, 1, flow, NULL));
    CHECK(!clearing_circulation(3, &empty, 1, flow, NULL));
    CHECK(!clearing_circulation(3, &outside, 1, flow, NULL));
    /* a flow that is not a circulation does not decompose */
    clearing_cycles cycles;
    int64_t unbalanced[3] = {5, 5, 4};
    CHECK(!clearing_decompose(3, arcs, 3, unbalanced, &cycles));
}

/* ---- the node's schedule ---- */

static long node_submit_committed(const test_node *node, tally_tx *tx, const test_actor *signer) {
    json_t *result = NULL;
    long status = harness_submit(node, tx, signer, &result);
    const char *state = harness_json_string(result, "status");
    if (status == 200 && (!state || strcmp(state, "committed") != 0)) status = -1;
    json_decref(result);
    return status;
}

static int64_t network_field(const test_node *node, uint32_t network, const char *field) {
    char path[64];
    snprintf(path, sizeof path, "/v1/networks/%u", network);
    json_t *answer = NULL;
    int64_t value = harness_request(node, "GET", path, NULL, 0, &answer) == 200 ? harness_json_int(answer, field)
                                                                                 : INT64_MIN;
    json_decref(answer);
    return value;
}

TEST(clearing_solver_tallyd_clear_every_clears_the_triangle_by_itself) {
    test_node node;
    REQUIRE(harness_make_directory(&node));
    static const char *const arguments[] = {"--idle-block-s", "1", "--clear-every", "1", NULL};
    REQUIRE(harness_start(&node, arguments));
    test_actor op = actor(1);
    tally_policy policy = policy_default();
    for (uint32_t n = 1; n <= 3; n++) {
        test_actor founder = actor(100 + n), member = actor(200 + n);
        tally_tx tx = harness_tx(&node, &founder, TALLY_TX_NETWORK_CREATE);
        char name[32];
        snprintf(name, sizeof name, "Clearing %u", n);
        text_set(&tx.body.network_create.name, name);
        text_set(&tx.body.network_create.unit_code, "CLR");
        tx.body.network_create.decimals = 2;
        tx.body.network_create.policy = policy;
        CHECK_EQ(node_submit_committed(&node, &tx, &founder), 200);
        tx = harness_tx(&node, &founder, TALLY_TX_OPERATOR_ADD);
        tx.body.network_key = (tally_tx_network_key){n, op.key};
        CHECK_EQ(node_submit_committed(&node, &tx, &founder), 200);
        tx = harness_tx(&node, &op, TALLY_TX_MEMBER_ADMIT);
        tx.body.network_key = (tally_tx_network_key){n, member.key};
        CHECK_EQ(node_submit_committed(&node, &tx, &op), 200);
        tx = harness_tx(&node, &op, TALLY_TX_LINE_OPEN);
        tx.body.line_open.network_id = n;
        tx.body.line_open.member = member.key;
        tx.body.line_open.limit = 1000000;
        tx.body.line_open.period_seconds = 30 * DAY;
        tx.body.line_open.grace_seconds = 5 * DAY;
        CHECK_EQ(node_submit_committed(&node, &tx, &op), 200);
    }
    tally_gateway_terms terms = {1, 1, {{0, 1000000, 0, 0}, {0, 1000000, 0, 0}}};
    const int64_t owed[3] = {100, 70, 40};
    for (uint32_t n = 1; n <= 3; n++) {
        uint32_t next = n % 3 + 1;
        tally_tx tx = harness_tx(&node, &op, TALLY_TX_GATEWAY_PROPOSE);
        tx.body.gateway_propose = (tally_tx_gateway_propose){n, next, terms};
        CHECK_EQ(node_submit_committed(&node, &tx, &op), 200);
        tx = harness_tx(&node, &op, TALLY_TX_GATEWAY_ACCEPT);
        tx.body.gateway_accept = (tally_tx_gateway_accept){n, terms};
        CHECK_EQ(node_submit_committed(&node, &tx, &op), 200);
    }
    for (uint32_t n = 1; n <= 3; n++) {
        test_actor payer = actor(200 + n), payee = actor(200 + n % 3 + 1);
        tally_tx tx = harness_tx(&node, &payer, TALLY_TX_TRANSFER_CROSS);
        tx.body.transfer_cross = (tally_tx_transfer_cross){n, payee.key, owed[n - 1], 0, 0, 1, {n, 0, 0, 0}};
        CHECK_EQ(node_submit_committed(&node, &tx, &payer), 200);
    }
    /* network 1: its member paid 100 and received 40 (-60), gw:2 holds 100 and gw:3
     * owes 40: supply and debt 100 until the clearing of 40 leaves them at 60 */
    int64_t supply = 0;
    for (int tries = 0; tries < 100; tries++) {
        supply = network_field(&node, 1, "supply");
        if (supply == 60) break;
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    CHECK_EQ(supply, 60);
    CHECK_EQ(network_field(&node, 1, "debt"), 60);
    /* network 3: its member +30, gw:1 40 cleared to 0, gw:2 -70 to -30 */
    CHECK_EQ(network_field(&node, 3, "supply"), 30);
    CHECK_EQ(network_field(&node, 3, "debt"), 30);
    CHECK(harness_stop_and_verify(&node));
}
