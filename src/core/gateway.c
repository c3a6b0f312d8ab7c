/*
 * gateway.c: gateways between networks, their lifecycle (docs/GATEWAYS.md sections 1-3).
 * An operator of network A proposes terms (the rate as two integers or from both
 * networks' pegs, each side's fee, exposure limit and health rules on the other); an
 * operator of B accepts the same terms, repeated, so nobody accepts terms changed after
 * reading them. Accepting opens the two mirror accounts, `gw:B` in A and `gw:A` in B:
 * system members of each network's zero sum that may go into debt (B's exposure to A
 * is the debt of `gw:A` in B). Each side later changes only its own terms or freezes
 * its side (no new exposure); either side closes the gateway once both mirror accounts
 * are at zero. A proposal made again for the same pair supersedes the one waiting.
 * Payments across a gateway, health and clearing come in their own files.
 */
#include "core/ledger.h"

static tally_error operated(const tally_state *state, uint32_t network_id, const tally_key *signer) {
    const tally_network *network = tally_state_network(state, network_id);
    if (!network) return TALLY_ERR_UNKNOWN_NETWORK;
    return network_is_operator(network, signer) ? TALLY_OK : TALLY_ERR_NOT_OPERATOR;
}

static bool side_valid(const tally_gateway_side *side) {
    return side->fee_bps <= TALLY_BPS_ONE && side->limit >= 0 && side->min_partner_rtd_bps <= TALLY_BPS_ONE &&
           side->max_partner_default_bps <= TALLY_BPS_ONE;
}

static tally_error terms_valid(const tally_gateway_terms *terms) {
    bool fixed = terms->rate_a > 0 && terms->rate_b > 0, from_pegs = terms->rate_a == 0 && terms->rate_b == 0;
    if (!fixed && !from_pegs) return TALLY_ERR_BAD_RATE;
    return side_valid(&terms->side[0]) && side_valid(&terms->side[1]) ? TALLY_OK : TALLY_ERR_BAD_POLICY;
}

static bool same_side(const tally_gateway_side *a, const tally_gateway_side *b) {
    return a->fee_bps == b->fee_bps && a->limit == b->limit && a->min_partner_rtd_bps == b->min_partner_rtd_bps &&
           a->max_partner_default_bps == b->max_partner_default_bps;
}

static bool same_terms(const tally_gateway_terms *a, const tally_gateway_terms *b) {
    return a->rate_a == b->rate_a && a->rate_b == b->rate_b && same_side(&a->side[0], &b->side[0]) &&
           same_side(&a->side[1], &b->side[1]);
}

/* Whether the gateway, not closed, links the two networks (either way round). A
 * proposal scans the table for it: a network has at most
 * TALLY_GATEWAYS_PER_NETWORK_MAX open, but the table holds closed ones too (an index
 * by pair belongs with the paths, WIP). */
static bool joins(const tally_gateway *g, uint32_t x, uint32_t y) {
    return g->status != TALLY_GATEWAY_CLOSED &&
           ((g->network_a == x && g->network_b == y) || (g->network_a == y && g->network_b == x));
}

static void end(tally_state *state, tally_gateway *gateway) {
    gateway->status = TALLY_GATEWAY_CLOSED;
    ledger_network(state, gateway->network_a)->open_gateways--;
    ledger_network(state, gateway->network_b)->open_gateways--;
}

tally_result gateway_propose(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_gateway_propose *body = &tx->body.gateway_propose;
    tally_error error = operated(state, body->network_a, &tx->signer);
    if (error != TALLY_OK) return result_error(error);
    if (!tally_state_network(state, body->network_b)) return result_error(TALLY_ERR_UNKNOWN_NETWORK);
    if (body->network_a == body->network_b) return result_error(TALLY_ERR_SAME_NETWORK);
    error = terms_valid(&body->terms);
    if (error != TALLY_OK) return result_error(error);
    const tally_gateway *waiting = NULL;
    for (uint32_t i = 0; i < state->gateway_count && !waiting; i++)
        if (joins(&state->gateways[i], body->network_a, body->network_b)) waiting = &state->gateways[i];
    if (waiting && waiting->status == TALLY_GATEWAY_OPEN) return result_error(TALLY_ERR_GATEWAY_EXISTS);
    const tally_network *seen_a = tally_state_network(state, body->network_a),
                        *seen_b = tally_state_network(state, body->network_b);
    /* A proposal superseding the one waiting takes its place in both counts. */
    if (!waiting && (seen_a->open_gateways >= TALLY_GATEWAYS_PER_NETWORK_MAX ||
                     seen_b->open_gateways >= TALLY_GATEWAYS_PER_NETWORK_MAX))
        return result_error(TALLY_ERR_GATEWAYS_FULL);
    if (waiting) end(state, ledger_gateway_at(state, waiting->id - 1));
    tally_network *a = ledger_network(state, body->network_a), *b = ledger_network(state, body->network_b);
    /* Room was reserved for one record (ledger_reserve). */
    uint32_t index = state->gateway_count++;
    tally_gateway *gateway = &state->gateways[index];
    memset(gateway, 0, sizeof *gateway);
    gateway->id = index + 1;
    gateway->network_a = a->id;
    gateway->network_b = b->id;
    gateway->terms = body->terms;
    gateway->status = TALLY_GATEWAY_PROPOSED;
    gateway->proposed_at = block_time;
    ledger_touch(state, TALLY_TABLE_GATEWAYS, index);
    a->open_gateways++, b->open_gateways++;
    tally_result result = result_error(TALLY_OK);
    result.created_id = gateway->id;
    return result;
}

__extension__ typedef unsigned __int128 uint128;

static uint128 gcd(uint128 x, uint128 y) {
    while (y) {
        uint128 r = x % y;
        x = y, y = r;
    }
    return x;
}

/* The rate from both pegs: one A unit is worth peg_reserve_a / peg_credit_a reserve
 * units, so rate_a units of A equal rate_b of B for rate_a = peg_credit_a *
 * peg_reserve_b and rate_b = peg_credit_b * peg_reserve_a, reduced by their gcd
 * (exactly, in 128 bits); a rate whose reduced parts pass int64 is refused. */
static tally_error rate_from_pegs(const tally_network *a, const tally_network *b, int64_t *rate_a, int64_t *rate_b) {
    if (a->reserve_asset_id == 0 || a->reserve_asset_id != b->reserve_asset_id) return TALLY_ERR_BAD_RATE;
    uint128 x = (uint128)(uint64_t)a->peg_credit_units * (uint64_t)b->peg_reserve_units;
    uint128 y = (uint128)(uint64_t)b->peg_credit_units * (uint64_t)a->peg_reserve_units;
    uint128 divisor = gcd(x, y);
    if (divisor == 0) return TALLY_ERR_BAD_RATE;
    x /= divisor, y /= divisor;
    if (x > INT64_MAX || y > INT64_MAX) return TALLY_ERR_BAD_RATE;
    *rate_a = (int64_t)x;
    *rate_b = (int64_t)y;
    return TALLY_OK;
}

/* The mirror account of partner in network: made the first time, found after a close. */
static void open_mirror(tally_state *state, uint32_t network_id, uint32_t partner_id) {
    tally_key key = tally_gateway_key(network_id, partner_id);
    if (ledger_member(state, network_id, &key)) return;
    tally_member *member = ledger_member_add(state, network_id, &key);
    member->status = TALLY_MEMBER_SYSTEM;
    member->system_kind = TALLY_SYSTEM_GATEWAY;
}

tally_result gateway_accept(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_gateway_accept *body = &tx->body.gateway_accept;
    const tally_gateway *seen = tally_state_gateway(state, body->gateway_id);
    if (!seen) return result_error(TALLY_ERR_GATEWAY_NOT_FOUND);
    if (seen->status != TALLY_GATEWAY_PROPOSED) return result_error(TALLY_ERR_GATEWAY_NOT_PROPOSED);
    tally_error error = operated(state, seen->network_b, &tx->signer);
    if (error != TALLY_OK) return result_error(error);
    if (!same_terms(&seen->terms, &body->terms)) return result_error(TALLY_ERR_TERMS_CHANGED);
    tally_gateway_terms terms = seen->terms;
    if (terms.rate_a == 0) {
        error = rate_from_pegs(tally_state_network(state, seen->network_a), tally_state_network(state, seen->network_b),
                               &terms.rate_a, &terms.rate_b);
        if (error != TALLY_OK) return result_error(error);
    } else {
        /* kept in lowest terms: a step of the rate is its smallest exact exchange */
        uint128 divisor = gcd((uint128)terms.rate_a, (uint128)terms.rate_b);
        terms.rate_a = (int64_t)((uint128)terms.rate_a / divisor);
        terms.rate_b = (int64_t)((uint128)terms.rate_b / divisor);
    }
    tally_gateway *gateway = ledger_gateway_at(state, body->gateway_id - 1);
    gateway->terms = terms;
    gateway->status = TALLY_GATEWAY_OPEN;
    gateway->opened_at = block_time;
    /* Room was reserved for both (ledger_reserve). */
    open_mirror(state, gateway->network_a, gateway->network_b);
    open_mirror(state, gateway->network_b, gateway->network_a);
    return result_error(TALLY_OK);
}

/* The open gateway a side's transaction names, and which side network_id is. */
static tally_error open_side(const tally_state *state, const tally_tx *tx, uint32_t gateway_id, uint32_t network_id,
                             int *side) {
    const tally_gateway *gateway = tally_state_gateway(state, gateway_id);
    if (!gateway) return TALLY_ERR_GATEWAY_NOT_FOUND;
    if (gateway->status != TALLY_GATEWAY_OPEN) return TALLY_ERR_GATEWAY_NOT_OPEN;
    if (network_id != gateway->network_a && network_id != gateway->network_b) return TALLY_ERR_NOT_GATEWAY_SIDE;
    *side = network_id == gateway->network_a ? 0 : 1;
    return operated(state, network_id, &tx->signer);
}

tally_result gateway_update(tally_state *state, const tally_tx *tx) {
    const tally_tx_gateway_update *body = &tx->body.gateway_update;
    int side = 0;
    tally_error error = open_side(state, tx, body->gateway_id, body->network_id, &side);
    if (error != TALLY_OK) return result_error(error);
    if (!side_valid(&body->side)) return result_error(TALLY_ERR_BAD_POLICY);
    ledger_gateway_at(state, body->gateway_id - 1)->terms.side[side] = body->side;
    return result_error(TALLY_OK);
}

tally_result gateway_freeze(tally_state *state, const tally_tx *tx) {
    const tally_tx_gateway_freeze *body = &tx->body.gateway_freeze;
    int side = 0;
    tally_error error = open_side(state, tx, body->gateway_id, body->network_id, &side);
    if (error != TALLY_OK) return result_error(error);
    ledger_gateway_at(state, body->gateway_id - 1)->frozen[side] = body->frozen;
    return result_error(TALLY_OK);
}

/* Settlement (docs/GATEWAYS.md section 5): the debtor side pays reserve into its
 * partner's pool. In the partner, the debtor's mirror account is repaid as a member
 * repaying in reserve is (its debt moves to the lost-debt account, which the
 * buffer's reserve stands behind); in the debtor, its mirror account of the partner
 * gives the same value back to the debtor's pool account (the credits its members
 * paid in for what the partner delivered, now paid for in reserve by its operator). */
tally_result gateway_settle(tally_state *state, const tally_tx *tx) {
    const tally_tx_settle *body = &tx->body.settle;
    int side = 0;
    tally_error error = open_side(state, tx, body->gateway_id, body->network_id, &side);
    if (error != TALLY_OK) return result_error(error);
    const tally_gateway *gateway = tally_state_gateway(state, body->gateway_id);
    uint32_t partner_id = side == 0 ? gateway->network_b : gateway->network_a;
    tally_network *debtor = ledger_network(state, body->network_id), *partner = ledger_network(state, partner_id);
    if (partner->reserve_asset_id == 0) return result_error(TALLY_ERR_NO_RESERVE_ASSET);
    if (body->amount <= 0) return result_error(TALLY_ERR_AMOUNT_NOT_POSITIVE);
    int64_t rate_debtor = side == 0 ? gateway->terms.rate_a : gateway->terms.rate_b;
    int64_t rate_partner = side == 0 ? gateway->terms.rate_b : gateway->terms.rate_a;
    if (body->amount % rate_partner != 0) return result_error(TALLY_ERR_NOT_WHOLE_STEPS);
    tally_key owed_key = tally_gateway_key(partner_id, debtor->id), owing_key = tally_gateway_key(debtor->id, partner_id);
    tally_member *owed = ledger_member(state, partner_id, &owed_key); /* in debt: the partner's exposure */
    tally_member *owing = ledger_member(state, debtor->id, &owing_key);
    if (!owed || !owing) return result_error(TALLY_ERR_GATEWAY_NOT_OPEN); /* an open gateway has both */
    if (body->amount > debt_part(owed->balance)) {
        tally_result refused = result_error(TALLY_ERR_NOT_IN_DEBT);
        refused.available = debt_part(owed->balance);
        return refused;
    }
    int64_t reserve; /* what the debtor pays: rounded up, as a repayment in reserve */
    if (!muldiv_round_up(body->amount, partner->peg_reserve_units, partner->peg_credit_units, &reserve))
        return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    ledger_holding *from = ledger_holding_find(state, partner->reserve_asset_id, &tx->signer);
    if (!from || from->amount < reserve) {
        tally_result refused = result_error(TALLY_ERR_INSUFFICIENT_ASSET);
        refused.available = from ? from->amount : 0;
        return refused;
    }
    tally_key pool_key = tally_system_key(partner_id, TALLY_SYSTEM_POOL);
    if (!ledger_holding_fits(state, partner->reserve_asset_id, &pool_key)) return result_error(TALLY_ERR_HOLDERS_FULL);
    /* The debtor's side: the same value at the gateway's rate, exactly (whole steps,
     * as the mirror accounts always hold; transfer.c): so both come back together. */
    int64_t back;
    if (!muldiv_round_down(body->amount, rate_debtor, rate_partner, &back)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    tally_member *lost = ledger_member_at(state, partner->lost_debt_member);
    tally_member *debtor_pool = ledger_member_at(state, debtor->pool_member);
    int64_t lost_after, pool_after;
    if (!checked_sub(lost->balance, body->amount, &lost_after) || !checked_add(debtor_pool->balance, back, &pool_after))
        return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    balance_change in_partner[] = {{owed, owed->balance + body->amount}, {lost, lost_after}};
    balance_change in_debtor[] = {{owing, owing->balance - back}, {debtor_pool, pool_after}};
    if (!ledger_balances_fit(partner, in_partner, 2) || !ledger_balances_fit(debtor, in_debtor, 2))
        return result_error(TALLY_ERR_AMOUNT_OVERFLOW);

    ledger_holding *held = ledger_holding_get(state, partner->reserve_asset_id, &pool_key);
    from->amount -= reserve;
    held->amount += reserve; /* cannot overflow: holdings sum to issued - burned */
    partner->pool_buffer += reserve;
    ledger_balances_commit(partner, in_partner, 2);
    ledger_balances_commit(debtor, in_debtor, 2);
    tally_result result = result_error(TALLY_OK);
    result.reserve = reserve;
    result.available = back;
    return result;
}

tally_result gateway_close(tally_state *state, const tally_tx *tx) {
    const tally_tx_gateway_end *body = &tx->body.gateway_end;
    const tally_gateway *seen = tally_state_gateway(state, body->gateway_id);
    if (!seen) return result_error(TALLY_ERR_GATEWAY_NOT_FOUND);
    if (seen->status == TALLY_GATEWAY_CLOSED) return result_error(TALLY_ERR_GATEWAY_NOT_OPEN);
    if (operated(state, seen->network_a, &tx->signer) != TALLY_OK &&
        operated(state, seen->network_b, &tx->signer) != TALLY_OK)
        return result_error(TALLY_ERR_NOT_OPERATOR);
    if (seen->status == TALLY_GATEWAY_OPEN) {
        tally_key in_a = tally_gateway_key(seen->network_a, seen->network_b);
        tally_key in_b = tally_gateway_key(seen->network_b, seen->network_a);
        const tally_member *mirror_a = tally_state_member(state, seen->network_a, &in_a);
        const tally_member *mirror_b = tally_state_member(state, seen->network_b, &in_b);
        if ((mirror_a && mirror_a->balance != 0) || (mirror_b && mirror_b->balance != 0)) {
            tally_result refused = result_error(TALLY_ERR_GATEWAY_NOT_CLEAR);
            refused.available = mirror_a ? mirror_a->balance : 0;
            return refused;
        }
    }
    end(state, ledger_gateway_at(state, body->gateway_id - 1));
    return result_error(TALLY_OK);
}

const char *tally_gateway_status_name(uint8_t status) {
    static const char *const names[TALLY_GATEWAY_STATUS_COUNT] = {"proposed", "open", "closed"};
    return status < TALLY_GATEWAY_STATUS_COUNT ? names[status] : NULL;
}

/* ------------------------------------------------------------------------ */
/* Clearing (docs/GATEWAYS.md section 5).                                    */
/* ------------------------------------------------------------------------ */

/* balance moved toward zero by amount (> 0), never past it; false when it cannot. */
static bool toward_zero(int64_t balance, int64_t amount, int64_t *out) {
    if (amount <= 0 || balance == 0) return false;
    if (balance > 0 ? amount > balance : amount > -balance) return false;
    *out = balance > 0 ? balance - amount : balance + amount;
    return true;
}

/* The changes of networks[i]'s network when i is its first, into out; 0 otherwise
 * (so a loop over i visits each network once). */
static size_t network_changes(const balance_change *changes, const uint32_t *networks, size_t count, size_t i,
                              balance_change *out) {
    for (size_t k = 0; k < i; k++)
        if (networks[k] == networks[i]) return 0;
    size_t n = 0;
    for (size_t k = i; k < count; k++)
        if (networks[k] == networks[i]) out[n++] = changes[k];
    return n;
}

tally_result gateway_clearing(tally_state *state, const tally_tx *tx) {
    const tally_tx_clearing *body = &tx->body.clearing;
    if (body->count == 0 || body->count > TALLY_CLEARING_SETOFFS_MAX) return result_error(TALLY_ERR_BAD_CLEARING);
    for (uint8_t i = body->count; i < TALLY_CLEARING_SETOFFS_MAX; i++)
        if (body->setoffs[i].gateway_id || body->setoffs[i].amount_a || body->setoffs[i].amount_b)
            return result_error(TALLY_ERR_BAD_CLEARING);
    /* Each set-off moves its gateway's two mirror accounts; nothing moves until all hold. */
    balance_change changes[2 * TALLY_CLEARING_SETOFFS_MAX];
    uint32_t networks[2 * TALLY_CLEARING_SETOFFS_MAX];
    size_t count = 0;
    for (uint8_t i = 0; i < body->count; i++) {
        const tally_setoff *setoff = &body->setoffs[i];
        const tally_gateway *g = tally_state_gateway(state, setoff->gateway_id);
        if (!g) return result_error(TALLY_ERR_GATEWAY_NOT_FOUND);
        if (g->status != TALLY_GATEWAY_OPEN) return result_error(TALLY_ERR_GATEWAY_NOT_OPEN);
        for (uint8_t k = 0; k < i; k++)
            if (body->setoffs[k].gateway_id == setoff->gateway_id) return result_error(TALLY_ERR_BAD_CLEARING);
        __extension__ typedef __int128 int128;
        if ((int128)setoff->amount_a * g->terms.rate_b != (int128)setoff->amount_b * g->terms.rate_a)
            return result_error(TALLY_ERR_BAD_CLEARING);
        tally_key key_a = tally_gateway_key(g->network_a, g->network_b), key_b = tally_gateway_key(g->network_b, g->network_a);
        tally_member *mirror_a = ledger_member(state, g->network_a, &key_a);
        tally_member *mirror_b = ledger_member(state, g->network_b, &key_b);
        int64_t after_a, after_b;
        if (!mirror_a || !mirror_b || !toward_zero(mirror_a->balance, setoff->amount_a, &after_a) ||
            !toward_zero(mirror_b->balance, setoff->amount_b, &after_b))
            return result_error(TALLY_ERR_BAD_CLEARING);
        changes[count] = (balance_change){mirror_a, after_a}, networks[count++] = g->network_a;
        changes[count] = (balance_change){mirror_b, after_b}, networks[count++] = g->network_b;
    }
    /* In every network the legs balance (its creditors pay its debtors), and its
     * supply and debt, burned alike, stay in range; then all of them move. */
    balance_change of_network[2 * TALLY_CLEARING_SETOFFS_MAX];
    for (size_t i = 0; i < count; i++) {
        size_t n = network_changes(changes, networks, count, i, of_network);
        __extension__ __int128 moved = 0;
        for (size_t k = 0; k < n; k++) moved += of_network[k].new_balance - of_network[k].member->balance;
        if (n > 0 && (moved != 0 || !ledger_balances_fit(tally_state_network(state, networks[i]), of_network, n)))
            return result_error(TALLY_ERR_BAD_CLEARING);
    }
    for (size_t i = 0; i < count; i++) {
        size_t n = network_changes(changes, networks, count, i, of_network);
        if (n > 0) ledger_balances_commit(ledger_network(state, networks[i]), of_network, n);
    }
    return result_error(TALLY_OK);
}
