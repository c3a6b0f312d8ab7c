/*
 * underwriting.c: members who stake reserve behind other members' credit lines
 * (docs/UNDERWRITING.md). A stake locks the network's reserve asset in its
 * underwriting account; the line's underwritten part rises to what all its stakes
 * cover at the peg and the network's collateral ratio, on top of the line's own part
 * (the operators' or the algorithm's, bounded by max_credit_limit). The risk fees the
 * line pays go to its underwriters pro rata to their stakes instead of the fee
 * account. At a default, once the pool's credits burned what they could of the loss,
 * the stakes are slashed pro rata into the pool's primary, up to the value of what is
 * still uncovered. A stake comes back only down to what still covers the line's debt
 * above its own part.
 *
 * Rounding, always in the network's favour: a stake's value and what it covers round
 * down; each underwriter's share of a risk fee rounds down (the rest stays with the
 * fee account); a slash is the uncovered value rounded down, split pro rata rounded
 * down, and the units that leaves are taken one each from the stakes in their order
 * behind the line.
 */
#include "core/ledger.h"

__extension__ typedef __int128 int128;

tally_stake *ledger_stake_at(const tally_state *state, uint32_t index) {
    assert(index < state->stake_count);
    ledger_touch(state, TALLY_TABLE_STAKES, index);
    return &state->stakes[index];
}

const tally_stake *tally_state_stake(const tally_state *state, uint32_t id) {
    return id >= 1 && id <= state->stake_count ? &state->stakes[id - 1] : NULL;
}

uint32_t tally_state_stake_count(const tally_state *state) { return state->stake_count; }

int64_t tally_network_stake_cover(const tally_network *network, int64_t reserve) {
    if (network->policy.collateral_ratio_bps == 0 || network->reserve_asset_id == 0 || reserve <= 0 ||
        network->peg_reserve_units <= 0 || network->peg_credit_units <= 0)
        return 0;
    /* value = reserve * peg_credit / peg_reserve (< 2^126), then * 10000 / ratio. A
     * value of 2^100 or more covers more than int64 holds at any ratio (at most
     * 1,000,000, so cover >= value / 100), and multiplying it could pass 2^127. */
    int128 value = (int128)reserve * network->peg_credit_units / network->peg_reserve_units;
    if (value >= (int128)1 << 100) return INT64_MAX;
    int128 cover = value * TALLY_BPS_ONE / network->policy.collateral_ratio_bps;
    return cover > INT64_MAX ? INT64_MAX : (int64_t)cover;
}

static tally_key underwriting_key(const tally_network *network) {
    return tally_system_key(network->id, TALLY_SYSTEM_UNDERWRITING);
}

static tally_key pool_key(const tally_network *network) { return tally_system_key(network->id, TALLY_SYSTEM_POOL); }

/* The stake `underwriter` has behind member's line, or NULL. */
static tally_stake *stake_of(const tally_state *state, const tally_member *member, const tally_key *underwriter) {
    for (uint32_t id = member->first_stake; id != 0; id = state->stakes[id - 1].next)
        if (ledger_keys_equal(&state->stakes[id - 1].underwriter, underwriter)) return ledger_stake_at(state, id - 1);
    return NULL;
}

static bool line_is_open(const tally_member *member) {
    return member->line_status == TALLY_LINE_ACTIVE || member->line_status == TALLY_LINE_FROZEN ||
           member->line_status == TALLY_LINE_EXPIRED;
}

/* The least the underwritten part may be: what the line owes (holds counted as
 * spent) above its own part. */
static int64_t cover_needed(const tally_member *member) {
    if (!line_is_open(member)) return 0;
    int128 owed = (int128)member->pending_out - member->balance;
    int128 above = owed - line_own_part(member);
    return above <= 0 ? 0 : above > INT64_MAX ? INT64_MAX : (int64_t)above;
}

/* The signer and the line the transaction names, both current members. */
static tally_error staked_line(tally_state *state, const tally_tx *tx, tally_network **network,
                               tally_member **underwriter, tally_member **member) {
    const tally_tx_stake *body = &tx->body.stake;
    *network = ledger_network(state, body->network_id);
    if (!*network) return TALLY_ERR_UNKNOWN_NETWORK;
    if ((*network)->reserve_asset_id == 0) return TALLY_ERR_NO_RESERVE_ASSET;
    if (body->amount <= 0) return TALLY_ERR_AMOUNT_NOT_POSITIVE;
    *underwriter = ledger_current_member(state, body->network_id, &tx->signer);
    if (!*underwriter) return TALLY_ERR_NOT_MEMBER;
    if (tally_key_is_system(&body->member)) return TALLY_ERR_SYSTEM_ACCOUNT;
    if (ledger_keys_equal(&body->member, &tx->signer)) return TALLY_ERR_UNDERWRITE_SELF;
    *member = ledger_current_member(state, body->network_id, &body->member);
    if (!*member) return TALLY_ERR_NOT_MEMBER;
    return TALLY_OK;
}

tally_result underwriting_stake(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_stake *body = &tx->body.stake;
    tally_network *network;
    tally_member *underwriter, *member;
    tally_error error = staked_line(state, tx, &network, &underwriter, &member);
    if (error != TALLY_OK) return result_error(error);
    if (network->policy.collateral_ratio_bps == 0) return result_error(TALLY_ERR_UNDERWRITING_OFF);
    /* A defaulted member is trusted again by an operator reinstating it first. */
    if (member->status == TALLY_MEMBER_DEFAULTED) return result_error(TALLY_ERR_MEMBER_DEFAULTED);
    ledger_holding *from = ledger_holding_find(state, network->reserve_asset_id, &tx->signer);
    if (!from || from->amount < body->amount) {
        tally_result refused = result_error(TALLY_ERR_INSUFFICIENT_ASSET);
        refused.available = from ? from->amount : 0;
        return refused;
    }
    tally_stake *stake = stake_of(state, member, &tx->signer);
    if (!stake && (member->stake_count >= TALLY_STAKES_PER_LINE_MAX ||
                   underwriter->stakes_made >= TALLY_OPEN_PER_MEMBER_MAX || state->stake_count >= TALLY_STAKES_MAX))
        return result_error(TALLY_ERR_TOO_MANY_STAKES);
    int64_t behind, staked, locked, stake_amount = stake ? stake->amount : 0;
    if (!checked_add(member->staked_behind, body->amount, &behind) ||
        !checked_add(underwriter->staked_total, body->amount, &staked) ||
        !checked_add(network->stakes_locked, body->amount, &locked) ||
        !checked_add(stake_amount, body->amount, &stake_amount))
        return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    /* The line's new underwritten part: all that its stakes cover, never less than it
     * had (a lower peg since does not take a limit away here). */
    int64_t cover = tally_network_stake_cover(network, behind);
    int64_t underwritten = cover > member->underwritten_limit ? cover : member->underwritten_limit;
    int64_t own = line_is_open(member) ? line_own_part(member) : 0, limit;
    if (!checked_add(own, underwritten, &limit)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    /* The stakes' reserve, and the pool's holding a slash would pay into (made now:
     * a block's end cannot grow the tables). */
    tally_key account = underwriting_key(network), pool = pool_key(network);
    if (!ledger_holding_fits(state, network->reserve_asset_id, &account) ||
        !ledger_holding_fits(state, network->reserve_asset_id, &pool))
        return result_error(TALLY_ERR_HOLDERS_FULL);

    ledger_holding *held = ledger_holding_get(state, network->reserve_asset_id, &account);
    (void)ledger_holding_get(state, network->reserve_asset_id, &pool);
    from->amount -= body->amount;
    held->amount += body->amount; /* holdings sum to issued - burned: no overflow */
    if (!stake) {
        uint32_t index = state->stake_count++;
        stake = ledger_stake_at(state, index);
        memset(stake, 0, sizeof *stake);
        stake->id = index + 1;
        stake->network_id = network->id;
        stake->member = member->key;
        stake->underwriter = tx->signer;
        stake->created_at = block_time;
        /* New stakes go last: a slash's leftover units follow the stakes' order. */
        if (member->first_stake == 0) {
            member->first_stake = stake->id;
        } else {
            uint32_t last = member->first_stake;
            while (state->stakes[last - 1].next != 0) last = state->stakes[last - 1].next;
            ledger_stake_at(state, last - 1)->next = stake->id;
        }
        member->stake_count++;
        underwriter->stakes_made++;
    }
    stake->amount = stake_amount;
    member->staked_behind = behind;
    underwriter->staked_total = staked;
    network->stakes_locked = locked;
    if (!line_is_open(member))
        credit_line_start(state, member, network, 0, network->policy.period_seconds, network->policy.grace_seconds,
                          network->policy.default_risk_fee_bps, block_time);
    member->underwritten_limit = underwritten;
    ledger_limit_set(network, member, limit);
    tally_result result = result_error(TALLY_OK);
    result.reserve = body->amount;
    result.available = member->limit;
    return result;
}

tally_result underwriting_unstake(tally_state *state, const tally_tx *tx) {
    const tally_tx_stake *body = &tx->body.stake;
    tally_network *network;
    tally_member *underwriter, *member;
    tally_error error = staked_line(state, tx, &network, &underwriter, &member);
    if (error != TALLY_OK) return result_error(error);
    tally_stake *stake = stake_of(state, member, &tx->signer);
    if (!stake || stake->amount == 0) return result_error(TALLY_ERR_STAKE_NOT_FOUND);
    if (body->amount > stake->amount) {
        tally_result refused = result_error(TALLY_ERR_STAKE_SHORT);
        refused.available = stake->amount;
        return refused;
    }
    int64_t behind = member->staked_behind - body->amount;
    int64_t cover = tally_network_stake_cover(network, behind);
    int64_t needed = cover_needed(member);
    if (cover < needed) {
        /* Say how much could come back: the most that leaves cover for the debt. */
        tally_result refused = result_error(TALLY_ERR_STAKE_COVERS_DEBT);
        int64_t most = 0;
        for (int64_t low = 0, high = body->amount; low <= high;) {
            int64_t mid = low + (high - low) / 2;
            if (tally_network_stake_cover(network, member->staked_behind - mid) >= needed) most = mid, low = mid + 1;
            else high = mid - 1;
        }
        refused.available = most;
        return refused;
    }
    tally_key account = underwriting_key(network);
    ledger_holding *locked = ledger_holding_find(state, network->reserve_asset_id, &account);
    ledger_holding *to = ledger_holding_find(state, network->reserve_asset_id, &tx->signer);
    assert(locked && locked->amount >= body->amount && to);
    locked->amount -= body->amount;
    to->amount += body->amount;
    stake->amount -= body->amount;
    member->staked_behind = behind;
    underwriter->staked_total -= body->amount;
    network->stakes_locked -= body->amount;
    /* The underwritten part follows the cover down (never below what the debt needs). */
    if (member->underwritten_limit > cover) {
        ledger_limit_set(network, member, member->limit - (member->underwritten_limit - cover));
        member->underwritten_limit = cover;
    }
    tally_result result = result_error(TALLY_OK);
    result.reserve = body->amount;
    result.available = member->limit;
    return result;
}

int64_t underwriting_pay_risk_fee(tally_state *state, tally_network *network, const tally_member *payer,
                                  int64_t risk_fee, int64_t *burned) {
    if (risk_fee <= 0 || payer->staked_behind <= 0) return 0;
    tally_member *fees = ledger_member_at(state, network->fee_member);
    int64_t paid = 0;
    for (uint32_t id = payer->first_stake; id != 0; id = state->stakes[id - 1].next) {
        const tally_stake *read = &state->stakes[id - 1];
        if (read->amount == 0) continue;
        int64_t share = (int64_t)((int128)risk_fee * read->amount / payer->staked_behind);
        if (share == 0) continue;
        tally_member *underwriter = ledger_current_member(state, network->id, &read->underwriter);
        if (!underwriter) continue; /* cannot happen: an underwriter with stakes cannot leave */
        int64_t cap = network->policy.positive_cap, after;
        if (!checked_add(underwriter->balance, share, &after) || (cap > 0 && after > cap && after > underwriter->balance))
            continue; /* its share stays with the fee account */
        balance_change changes[] = {{fees, fees->balance - share}, {underwriter, after}};
        if (!ledger_balances_fit(network, changes, 2)) continue;
        *burned += debt_part(underwriter->balance) - debt_part(after); /* within the network's debt */
        ledger_balances_commit(network, changes, 2);
        tally_stake *stake = ledger_stake_at(state, id - 1);
        stake->earned = saturating_add(stake->earned, share);
        paid += share;
    }
    return paid;
}

int64_t underwriting_slash(tally_state *state, tally_network *network, tally_member *member, int64_t uncovered,
                           ledger_block_end *end) {
    if (uncovered <= 0 || member->staked_behind <= 0 || network->reserve_asset_id == 0 ||
        network->peg_credit_units <= 0)
        return 0;
    int128 value = (int128)uncovered * network->peg_reserve_units / network->peg_credit_units;
    int64_t slash = value < member->staked_behind ? (int64_t)value : member->staked_behind;
    if (slash == 0) return 0;
    /* Pro rata, rounded down; the units left are taken one per stake in order. */
    int64_t taken[TALLY_STAKES_PER_LINE_MAX] = {0}, total = 0;
    uint32_t ids[TALLY_STAKES_PER_LINE_MAX], count = 0;
    for (uint32_t id = member->first_stake; id != 0 && count < TALLY_STAKES_PER_LINE_MAX;
         id = state->stakes[id - 1].next) {
        ids[count] = id;
        taken[count] = (int64_t)((int128)slash * state->stakes[id - 1].amount / member->staked_behind);
        total += taken[count++];
    }
    for (uint32_t i = 0; total < slash; i = (i + 1) % count)
        if (taken[i] < state->stakes[ids[i] - 1].amount) taken[i]++, total++;
    tally_key account = underwriting_key(network), pool = pool_key(network);
    ledger_holding *locked = ledger_holding_find(state, network->reserve_asset_id, &account);
    ledger_holding *into = ledger_holding_find(state, network->reserve_asset_id, &pool);
    assert(locked && into && locked->amount >= slash);
    locked->amount -= slash;
    into->amount += slash;
    network->pool_primary += slash; /* within the reserve's issued amount */
    network->stakes_locked -= slash;
    member->staked_behind -= slash;
    for (uint32_t i = 0; i < count; i++) {
        if (taken[i] == 0) continue;
        tally_stake *stake = ledger_stake_at(state, ids[i] - 1);
        stake->amount -= taken[i];
        stake->slashed += taken[i];
        tally_member *underwriter = ledger_member(state, network->id, &stake->underwriter);
        if (underwriter) underwriter->staked_total -= taken[i];
        end->dues++; /* each slashed stake is an event: it counts against the block's budget */
        ledger_event(end, TALLY_EVENT_STAKE_SLASHED, network->id, &stake->underwriter, taken[i], stake->id);
    }
    return slash;
}
