/*
 * pool.c: a network's assurance pool, as in the Stable Credit protocol. It holds the
 * network's reserve asset in three parts: primary (counts towards the reserve-to-debt
 * ratio, RTD = primary value / supply), buffer (reserve paid in by debtors repaying in
 * reserve) and excess (what depositors may withdraw), plus the credits sent to it.
 *
 * Shares are a pro-rata claim on primary + excess (depositors insure the network:
 * redemptions that reach primary lower every share's value) and are paid out of
 * excess only. When a pool's primary and excess both reach zero its shares are
 * worthless; the share epoch moves on so that they are void without touching every
 * holder. Payouts round down, what members pay rounds up.
 *
 * Redemptions take at most the network's redeem_cap_bps of primary per day (the
 * allowance is fixed by the day's first redemption from primary), so that no rule
 * change, announced or not, lets anyone empty the pool before depositors can act
 * (DESIGN.md "Changes that touch other people's money").
 */
#include "core/ledger.h"

__extension__ typedef __int128 int128;

static tally_error pool_network(tally_state *state, uint32_t network_id, tally_network **network) {
    *network = ledger_network(state, network_id);
    if (!*network) return TALLY_ERR_UNKNOWN_NETWORK;
    if ((*network)->reserve_asset_id == 0) return TALLY_ERR_NO_RESERVE_ASSET;
    return TALLY_OK;
}

static tally_key pool_key(const tally_network *network) {
    return tally_system_key(network->id, TALLY_SYSTEM_POOL);
}

/* Reserve the primary part must hold for RTD to reach the target, rounded up:
 * ceil(supply * peg_reserve / peg_credit * target / 10000), saturating at INT64_MAX.
 * supply * peg_reserve < 2^126 fits; multiplying by the target could not, so it is
 * split by the divisor D = 10000 * peg_credit: X = a*D + b gives
 * X * target / D = a * target + b * target / D, where b * target < D * 10000 < 2^91. */
static int64_t required_primary(const tally_network *network) {
    uint32_t target = network->policy.target_rtd_bps;
    if (target == 0) return 0;
    int128 x = (int128)network->supply * network->peg_reserve_units;
    int128 d = (int128)TALLY_BPS_ONE * network->peg_credit_units;
    int128 whole = x / d, rest = x % d;
    if (whole > INT64_MAX / target) return INT64_MAX;
    int128 required = whole * target + (rest * target + d - 1) / d;
    return required > INT64_MAX ? INT64_MAX : (int64_t)required;
}

/* Shares owned by key now (0 when the holding is from a voided epoch). */
static int64_t shares_of(const tally_state *state, const tally_network *network, const tally_key *key) {
    const ledger_holding *holding = ledger_holding_find(state, HOLDING_SHARES_FLAG | network->id, key);
    return holding && holding->epoch == network->pool_share_epoch ? holding->amount : 0;
}

static void void_worthless_shares(tally_network *network) {
    if (network->pool_primary == 0 && network->pool_excess == 0 && network->pool_total_shares > 0) {
        network->pool_share_epoch++;
        network->pool_total_shares = 0;
    }
}

static void add_shares(tally_state *state, tally_network *network, const tally_key *key, int64_t shares) {
    ledger_holding *holding = ledger_holding_get(state, HOLDING_SHARES_FLAG | network->id, key);
    if (holding->epoch != network->pool_share_epoch) {
        holding->epoch = network->pool_share_epoch;
        holding->amount = 0;
    }
    holding->amount += shares;
    network->pool_total_shares += shares;
}

tally_result pool_deposit(tally_state *state, const tally_tx *tx) {
    const tally_tx_pool_amount *body = &tx->body.pool_amount;
    tally_network *network;
    tally_error error = pool_network(state, body->network_id, &network);
    if (error != TALLY_OK) return result_error(error);
    int64_t deposit = body->amount;
    if (deposit <= 0) return result_error(TALLY_ERR_AMOUNT_NOT_POSITIVE);
    ledger_holding *from = ledger_holding_find(state, network->reserve_asset_id, &tx->signer);
    if (!from || from->amount < deposit) {
        tally_result refused = result_error(TALLY_ERR_INSUFFICIENT_ASSET);
        refused.available = from ? from->amount : 0;
        return refused;
    }
    int64_t value = network->pool_primary + network->pool_excess;
    int64_t shares = deposit;
    if (network->pool_total_shares > 0) {
        assert(value > 0); /* shares of an empty pool are voided when it empties */
        if (!muldiv_round_down(deposit, network->pool_total_shares, value, &shares))
            return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    }
    if (shares == 0) return result_error(TALLY_ERR_AMOUNT_TOO_SMALL);
    int64_t total_shares;
    if (!checked_add(network->pool_total_shares, shares, &total_shares))
        return result_error(TALLY_ERR_AMOUNT_OVERFLOW);

    tally_key pool = pool_key(network);
    if (!ledger_holding_fits(state, network->reserve_asset_id, &pool) ||
        !ledger_holding_fits(state, HOLDING_SHARES_FLAG | network->id, &tx->signer))
        return result_error(TALLY_ERR_HOLDERS_FULL);
    int64_t required = required_primary(network);
    int64_t missing = required > network->pool_primary ? required - network->pool_primary : 0;
    tally_result result = result_error(TALLY_OK);
    result.to_primary = deposit < missing ? deposit : missing;
    result.to_excess = deposit - result.to_primary;
    result.reserve = deposit;
    result.shares = shares;

    ledger_holding *held = ledger_holding_get(state, network->reserve_asset_id, &pool);
    from->amount -= deposit;
    held->amount += deposit; /* cannot overflow: holdings sum to issued - burned */
    network->pool_primary += result.to_primary;
    network->pool_excess += result.to_excess;
    add_shares(state, network, &tx->signer, shares);
    return result;
}

tally_result pool_withdraw(tally_state *state, const tally_tx *tx) {
    const tally_tx_pool_amount *body = &tx->body.pool_amount;
    tally_network *network;
    tally_error error = pool_network(state, body->network_id, &network);
    if (error != TALLY_OK) return result_error(error);
    int64_t shares = body->amount;
    if (shares <= 0) return result_error(TALLY_ERR_AMOUNT_NOT_POSITIVE);
    int64_t owned = shares_of(state, network, &tx->signer);
    if (owned < shares) {
        tally_result refused = result_error(TALLY_ERR_INSUFFICIENT_SHARES);
        refused.available = owned;
        return refused;
    }
    int64_t value = network->pool_primary + network->pool_excess;
    int64_t paid;
    if (!muldiv_round_down(shares, value, network->pool_total_shares, &paid))
        return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    if (paid == 0) return result_error(TALLY_ERR_AMOUNT_TOO_SMALL);
    if (paid > network->pool_excess) {
        tally_result refused = result_error(TALLY_ERR_POOL_EXCESS_SHORT);
        refused.available = network->pool_excess;
        return refused;
    }
    if (!ledger_holding_fits(state, network->reserve_asset_id, &tx->signer)) return result_error(TALLY_ERR_HOLDERS_FULL);
    tally_key pool = pool_key(network);
    ledger_holding *held = ledger_holding_find(state, network->reserve_asset_id, &pool);
    ledger_holding *to = ledger_holding_get(state, network->reserve_asset_id, &tx->signer);
    ledger_holding *share_holding = ledger_holding_find(state, HOLDING_SHARES_FLAG | network->id, &tx->signer);
    held->amount -= paid;
    to->amount += paid;
    network->pool_excess -= paid;
    share_holding->amount -= shares;
    network->pool_total_shares -= shares;
    void_worthless_shares(network);

    tally_result result = result_error(TALLY_OK);
    result.reserve = paid;
    result.shares = shares;
    return result;
}

tally_result pool_repay(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_pool_amount *body = &tx->body.pool_amount;
    tally_network *network;
    tally_error error = pool_network(state, body->network_id, &network);
    if (error != TALLY_OK) return result_error(error);
    tally_member *member = ledger_member(state, network->id, &tx->signer);
    if (!member || member->status == TALLY_MEMBER_LEFT) return result_error(TALLY_ERR_NOT_MEMBER);
    int64_t credits = body->amount;
    if (credits <= 0) return result_error(TALLY_ERR_AMOUNT_NOT_POSITIVE);
    if (credits > debt_part(member->balance)) {
        tally_result refused = result_error(TALLY_ERR_NOT_IN_DEBT);
        refused.available = debt_part(member->balance);
        return refused;
    }
    int64_t reserve; /* what the debtor pays: rounded up */
    if (!muldiv_round_up(credits, network->peg_reserve_units, network->peg_credit_units, &reserve))
        return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    ledger_holding *from = ledger_holding_find(state, network->reserve_asset_id, &tx->signer);
    if (!from || from->amount < reserve) {
        tally_result refused = result_error(TALLY_ERR_INSUFFICIENT_ASSET);
        refused.available = from ? from->amount : 0;
        return refused;
    }
    tally_member *lost = ledger_member_at(state, network->lost_debt_member);
    balance_change changes[] = {{member, member->balance + credits}, {lost, lost->balance - credits}};
    if (!ledger_balances_fit(network, changes, 2)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    tally_key pool = pool_key(network);
    if (!ledger_holding_fits(state, network->reserve_asset_id, &pool)) return result_error(TALLY_ERR_HOLDERS_FULL);

    ledger_holding *held = ledger_holding_get(state, network->reserve_asset_id, &pool);
    from->amount -= reserve;
    held->amount += reserve;
    network->pool_buffer += reserve;
    ledger_balances_commit(network, changes, 2);
    credit_after_balance_change(state, member, network, 0, block_time);

    tally_result result = result_error(TALLY_OK);
    result.reserve = reserve;
    return result;
}

int64_t tally_network_redeem_allowance(const tally_network *network, int64_t block_time) {
    if (network->redeem_day == ledger_day(block_time)) return network->redeem_allowance;
    return (int64_t)((int128)network->pool_primary * network->policy.redeem_cap_bps / TALLY_BPS_ONE);
}

tally_result pool_redeem(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_pool_amount *body = &tx->body.pool_amount;
    tally_network *network;
    tally_error error = pool_network(state, body->network_id, &network);
    if (error != TALLY_OK) return result_error(error);
    tally_member *member = ledger_member(state, network->id, &tx->signer);
    if (!member || member->status == TALLY_MEMBER_LEFT) return result_error(TALLY_ERR_NOT_MEMBER);
    int64_t credits = body->amount;
    if (credits <= 0) return result_error(TALLY_ERR_AMOUNT_NOT_POSITIVE);
    /* What pending transfers hold is spent: only the rest may be redeemed. */
    int64_t own;
    if (!checked_sub(member->balance, member->pending_out, &own)) own = INT64_MIN;
    if (own < credits) {
        tally_result refused = result_error(TALLY_ERR_INSUFFICIENT_BALANCE);
        refused.available = positive_part(own);
        return refused;
    }
    tally_member *lost = ledger_member_at(state, network->lost_debt_member);
    if (credits > debt_part(lost->balance)) {
        tally_result refused = result_error(TALLY_ERR_NO_LOST_DEBT);
        refused.available = debt_part(lost->balance);
        return refused;
    }
    int64_t reserve, burned;
    if (!muldiv_round_down(credits, network->peg_reserve_units, network->peg_credit_units, &reserve))
        return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    if (reserve == 0) return result_error(TALLY_ERR_AMOUNT_TOO_SMALL);
    /* Burn only what the reserve paid is worth, rounded up: never more than credits. */
    if (!muldiv_round_up(reserve, network->peg_credit_units, network->peg_reserve_units, &burned))
        return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    assert(burned <= credits);
    int64_t payable = network->pool_buffer + network->pool_primary;
    if (reserve > payable) {
        tally_result refused = result_error(TALLY_ERR_POOL_RESERVE_SHORT);
        refused.available = payable;
        return refused;
    }
    int64_t from_buffer = reserve < network->pool_buffer ? reserve : network->pool_buffer;
    int64_t from_primary = reserve - from_buffer, allowance = tally_network_redeem_allowance(network, block_time);
    if (from_primary > allowance) {
        /* Say how many credits could be redeemed today: the buffer and the allowance
         * at the peg, rounded down. */
        tally_result refused = result_error(TALLY_ERR_REDEEM_CAP_REACHED);
        if (!muldiv_round_down(network->pool_buffer + allowance, network->peg_credit_units,
                               network->peg_reserve_units, &refused.available))
            refused.available = INT64_MAX;
        return refused;
    }
    balance_change changes[] = {{member, member->balance - burned}, {lost, lost->balance + burned}};
    if (!ledger_balances_fit(network, changes, 2)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    if (!ledger_holding_fits(state, network->reserve_asset_id, &tx->signer)) return result_error(TALLY_ERR_HOLDERS_FULL);

    tally_key pool = pool_key(network);
    ledger_holding *held = ledger_holding_find(state, network->reserve_asset_id, &pool);
    ledger_holding *to = ledger_holding_get(state, network->reserve_asset_id, &tx->signer);
    network->pool_buffer -= from_buffer;
    network->pool_primary -= from_primary;
    if (from_primary > 0) {
        network->redeem_day = ledger_day(block_time);
        network->redeem_allowance = allowance - from_primary;
    }
    held->amount -= reserve;
    to->amount += reserve;
    ledger_balances_commit(network, changes, 2);
    void_worthless_shares(network);

    tally_result result = result_error(TALLY_OK);
    result.burned = burned;
    result.reserve = reserve;
    return result;
}

int64_t pool_cover_lost_debt(tally_state *state, tally_network *network) {
    tally_member *pool = ledger_member_at(state, network->pool_member);
    tally_member *lost = ledger_member_at(state, network->lost_debt_member);
    int64_t burn = positive_part(pool->balance);
    if (debt_part(lost->balance) < burn) burn = debt_part(lost->balance);
    if (burn == 0) return 0;
    balance_change changes[] = {{pool, pool->balance - burn}, {lost, lost->balance + burn}};
    ledger_balances_commit(network, changes, 2);
    return burn;
}

int64_t pool_reallocate(tally_state *state, tally_network *network) {
    if (network->reserve_asset_id == 0 || network->pool_excess == 0) return 0;
    int64_t required = required_primary(network);
    if (network->pool_primary >= required) return 0;
    /* Every network is looked at each block, and marked only when something moves. */
    ledger_touch(state, TALLY_TABLE_NETWORKS, network->id - 1);
    int64_t moved = required - network->pool_primary;
    if (moved > network->pool_excess) moved = network->pool_excess;
    network->pool_primary += moved;
    network->pool_excess -= moved;
    return moved;
}
