/*
 * economy.c: day 0 of a simulation, made through the core's own transactions as
 * an operator would make it: a reserve asset (USD, issued by a bank), the network
 * under test and its partners (the same policy each, pegged 1:1 to USD), their
 * members admitted (with the policy's default line), their habits drawn from the
 * seed (sector, diligence), the opening position (debtors paying creditors), the
 * pools' deposits, underwriters' stakes and the gateways between the networks (a
 * ring: the network under test, partner 1, ..., back to it).
 *
 * Actors have synthetic keys (no secret: the simulator applies transactions
 * without signatures, as the core applies checked ones).
 */
#include "sim/sim_internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static bool why_false(char *why, size_t size, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(why, size, format, args);
    va_end(args);
    return false;
}

uint64_t sim_rng_next(sim_rng *rng) {
    uint64_t z = (rng->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t sim_rng_below(sim_rng *rng, uint64_t bound) {
    __extension__ unsigned __int128 product = (unsigned __int128)sim_rng_next(rng) * bound;
    return (uint64_t)(product >> 64);
}

bool sim_rng_chance(sim_rng *rng, uint32_t bps) { return sim_rng_below(rng, TALLY_BPS_ONE) < bps; }

tally_tx sim_tx(uint8_t type) {
    tally_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = type;
    return tx;
}

tally_result sim_apply(sim_world *world, uint32_t actor, tally_tx *tx) {
    sim_actor *signer = &world->actors[actor];
    memcpy(tx->chain_id, world->chain_id, sizeof tx->chain_id);
    tx->signer = signer->key;
    tx->sequence = signer->next_sequence;
    tally_result result = tally_apply(world->state, tx, world->time);
    if (result.code == TALLY_OK) {
        signer->next_sequence++;
        world->result->applied++;
    } else {
        world->result->refused++;
        if ((unsigned)result.code < TALLY_ERROR_COUNT) world->result->refusals[result.code]++;
    }
    return result;
}

const tally_member *sim_member(const sim_world *world, uint32_t actor) {
    return tally_state_member_at(world->state, world->actors[actor].member_index);
}

static uint32_t actor_add(sim_world *world, uint32_t net, uint8_t flags) {
    if (world->actor_count == world->actor_capacity) {
        uint32_t capacity = world->actor_capacity ? world->actor_capacity * 2 : 1024;
        sim_actor *grown = realloc(world->actors, capacity * sizeof *grown);
        if (!grown) return UINT32_MAX;
        world->actors = grown;
        world->actor_capacity = capacity;
    }
    uint32_t index = world->actor_count++;
    sim_actor *made = &world->actors[index];
    memset(made, 0, sizeof *made);
    /* "SIM" and the actor's number: never a system key (their prefix differs). */
    made->key.bytes[0] = 'S';
    made->key.bytes[1] = 'I';
    made->key.bytes[2] = 'M';
    for (int i = 0; i < 4; i++) made->key.bytes[3 + i] = (uint8_t)(index >> (8 * i));
    made->next_sequence = 1;
    made->net = net;
    made->flags = flags;
    return index;
}

static void text_set(tally_text *text, const char *value) {
    memset(text, 0, sizeof *text);
    text->length = (uint16_t)strlen(value);
    memcpy(text->bytes, value, text->length);
}

/* Applies a setup transaction, which must pass. */
static bool setup(sim_world *world, uint32_t actor, tally_tx *tx, tally_result *result, char *why, size_t why_size) {
    tally_result made = sim_apply(world, actor, tx);
    if (result) *result = made;
    if (made.code != TALLY_OK)
        return why_false(why, why_size, "day 0: %s refused: %s (%s)", tally_tx_type_name(tx->type),
                         tally_error_name(made.code), tally_error_message(made.code));
    return true;
}

static bool make_network(sim_world *world, uint32_t net, uint32_t members, char *why, size_t why_size) {
    const sim_policy *policy = world->policy;
    sim_net *made = &world->nets[net];
    made->operator_actor = actor_add(world, net, 0);
    if (made->operator_actor == UINT32_MAX) return why_false(why, why_size, "out of memory");
    tally_tx tx = sim_tx(TALLY_TX_NETWORK_CREATE);
    char name[32], unit[16];
    if (net == 0) {
        snprintf(name, sizeof name, "Simulated");
        snprintf(unit, sizeof unit, "SIM");
    } else {
        snprintf(name, sizeof name, "Partner %u", net);
        snprintf(unit, sizeof unit, "PT%u", net);
    }
    text_set(&tx.body.network_create.name, name);
    text_set(&tx.body.network_create.unit_code, unit);
    tx.body.network_create.decimals = 2;
    tx.body.network_create.policy = policy->policy;
    /* Room for every simulated member and its underwriter, whatever the file said. */
    if (tx.body.network_create.policy.max_members < members + 1)
        tx.body.network_create.policy.max_members = members + 1;
    tally_result result;
    if (!setup(world, made->operator_actor, &tx, &result, why, why_size)) return false;
    made->id = result.created_id;

    tx = sim_tx(TALLY_TX_PEG_SET);
    tx.body.peg_set.network_id = made->id;
    tx.body.peg_set.asset_id = world->asset_id;
    tx.body.peg_set.peg_reserve_units = 1;
    tx.body.peg_set.peg_credit_units = 1;
    if (!setup(world, made->operator_actor, &tx, NULL, why, why_size)) return false;

    made->first_member = world->actor_count;
    made->member_count = members;
    for (uint32_t i = 0; i < members; i++) {
        uint8_t flags = SIM_ACTOR_MEMBER;
        if (sim_rng_chance(&world->rng, policy->diligent_bps)) flags |= SIM_ACTOR_DILIGENT;
        uint32_t actor = actor_add(world, net, flags);
        if (actor == UINT32_MAX) return why_false(why, why_size, "out of memory");
        world->actors[actor].position = i;
        world->actors[actor].sector = (uint8_t)(i % policy->sectors);
        tx = sim_tx(TALLY_TX_MEMBER_ADMIT);
        tx.body.network_key.network_id = made->id;
        tx.body.network_key.key = world->actors[actor].key;
        if (!setup(world, made->operator_actor, &tx, NULL, why, why_size)) return false;
        world->actors[actor].member_index = tally_state_member_count(world->state) - 1;
    }
    made->underwriter_actor = actor_add(world, net, 0);
    if (made->underwriter_actor == UINT32_MAX) return why_false(why, why_size, "out of memory");
    tx = sim_tx(TALLY_TX_MEMBER_ADMIT);
    tx.body.network_key.network_id = made->id;
    tx.body.network_key.key = world->actors[made->underwriter_actor].key;
    if (!setup(world, made->operator_actor, &tx, NULL, why, why_size)) return false;
    world->actors[made->underwriter_actor].member_index = tally_state_member_count(world->state) - 1;
    return true;
}

static bool issue(sim_world *world, uint32_t to, int64_t amount, char *why, size_t why_size) {
    if (amount <= 0) return true;
    tally_tx tx = sim_tx(TALLY_TX_ASSET_ISSUE);
    tx.body.asset_move.asset_id = world->asset_id;
    tx.body.asset_move.to = world->actors[to].key;
    tx.body.asset_move.amount = amount;
    return setup(world, world->bank, &tx, NULL, why, why_size);
}

/* opening_debtors members (the first ones) owe opening_supply, paid in equal parts
 * (the first ones a unit more where it does not divide) to the other members, each
 * creditor by the debtor its number falls to in turn. */
static bool make_opening(sim_world *world, char *why, size_t why_size) {
    const sim_policy *policy = world->policy;
    const sim_net *net = &world->nets[0];
    uint32_t debtors = policy->opening_debtors;
    if (debtors == 0 || policy->opening_supply <= 0) return true;
    if (debtors >= net->member_count)
        return why_false(why, why_size, "opening_debtors (%u) must leave creditors among %u members", debtors,
                         net->member_count);
    uint32_t creditors = net->member_count - debtors;
    int64_t share = policy->opening_supply / creditors, rest = policy->opening_supply % creditors;
    for (uint32_t c = 0; c < creditors; c++) {
        int64_t amount = share + ((int64_t)c < rest ? 1 : 0);
        if (amount == 0) continue;
        uint32_t payer = net->first_member + c % debtors;
        tally_tx tx = sim_tx(TALLY_TX_TRANSFER);
        tx.body.transfer.network_id = net->id;
        tx.body.transfer.payee = world->actors[net->first_member + debtors + c].key;
        tx.body.transfer.amount = amount;
        tx.body.transfer.max_fee = amount;
        if (!setup(world, payer, &tx, NULL, why, why_size)) return false;
    }
    return true;
}

static bool make_stakes(sim_world *world, uint32_t net_index, char *why, size_t why_size) {
    const sim_policy *policy = world->policy;
    const sim_net *net = &world->nets[net_index];
    if (policy->underwritten_bps == 0 || policy->stake <= 0) return true;
    for (uint32_t i = 0; i < net->member_count; i++) {
        uint32_t actor = net->first_member + i;
        if (!sim_rng_chance(&world->rng, policy->underwritten_bps)) continue;
        if (!issue(world, net->underwriter_actor, policy->stake, why, why_size)) return false;
        tally_tx tx = sim_tx(TALLY_TX_STAKE);
        tx.body.stake.network_id = net->id;
        tx.body.stake.member = world->actors[actor].key;
        tx.body.stake.amount = policy->stake;
        if (!setup(world, net->underwriter_actor, &tx, NULL, why, why_size)) return false;
        world->actors[actor].flags |= SIM_ACTOR_UNDERWRITTEN;
    }
    return true;
}

static bool make_gateway(sim_world *world, uint32_t a, uint32_t b, char *why, size_t why_size) {
    tally_gateway_terms terms;
    memset(&terms, 0, sizeof terms); /* rate 0:0: from both pegs (1:1) */
    terms.side[0] = world->policy->gateway;
    terms.side[1] = world->policy->gateway;
    tally_tx tx = sim_tx(TALLY_TX_GATEWAY_PROPOSE);
    tx.body.gateway_propose.network_a = world->nets[a].id;
    tx.body.gateway_propose.network_b = world->nets[b].id;
    tx.body.gateway_propose.terms = terms;
    tally_result result;
    if (!setup(world, world->nets[a].operator_actor, &tx, &result, why, why_size)) return false;
    tx = sim_tx(TALLY_TX_GATEWAY_ACCEPT);
    tx.body.gateway_accept.gateway_id = result.created_id;
    tx.body.gateway_accept.terms = terms;
    if (!setup(world, world->nets[b].operator_actor, &tx, NULL, why, why_size)) return false;
    world->gateways[world->gateway_count++] = (sim_gateway){result.created_id, a, b};
    return true;
}

bool sim_economy_make(sim_world *world, char *why, size_t why_size) {
    const sim_policy *policy = world->policy;
    memset(world->chain_id, 0x51, sizeof world->chain_id);
    world->state = tally_state_create(world->chain_id);
    if (!world->state) return why_false(why, why_size, "out of memory");
    world->time = SIM_START_TIME;

    world->bank = actor_add(world, 0, 0);
    if (world->bank == UINT32_MAX) return why_false(why, why_size, "out of memory");
    tally_tx tx = sim_tx(TALLY_TX_ASSET_CREATE);
    text_set(&tx.body.asset_create.code, "USD");
    text_set(&tx.body.asset_create.name, "Simulated reserve dollars");
    tx.body.asset_create.decimals = 2;
    tally_result result;
    if (!setup(world, world->bank, &tx, &result, why, why_size)) return false;
    world->asset_id = result.created_id;

    world->net_count = 1 + policy->partners;
    for (uint32_t n = 0; n < world->net_count; n++)
        if (!make_network(world, n, n == 0 ? policy->members : policy->partner_members, why, why_size)) return false;
    if (!make_opening(world, why, why_size)) return false;
    for (uint32_t n = 0; n < world->net_count; n++) {
        if (policy->pool_deposit > 0) {
            if (!issue(world, world->bank, policy->pool_deposit, why, why_size)) return false;
            tx = sim_tx(TALLY_TX_POOL_DEPOSIT);
            tx.body.pool_amount.network_id = world->nets[n].id;
            tx.body.pool_amount.amount = policy->pool_deposit;
            if (!setup(world, world->bank, &tx, NULL, why, why_size)) return false;
        }
        if (!make_stakes(world, n, why, why_size)) return false;
    }
    /* A ring of gateways: one between two networks, a cycle from three on. */
    for (uint32_t n = 0; n + 1 < world->net_count; n++)
        if (!make_gateway(world, n, n + 1, why, why_size)) return false;
    if (world->net_count >= 3 && !make_gateway(world, world->net_count - 1, 0, why, why_size)) return false;
    return true;
}

void sim_economy_free(sim_world *world) {
    tally_state_destroy(world->state);
    world->state = NULL;
    free(world->actors);
    world->actors = NULL;
    free(world->paybacks);
    world->paybacks = NULL;
}
