/*
 * pending.c: pending transfers (escrow), DESIGN.md "Pending transfers (escrow) and
 * payment requests". A payer holds an amount and its fee for a payee; the hold counts
 * as spent for everything else the payer does (member.pending_out, which
 * tally_member_available and every payment subtract), yet no balance moves until it
 * is posted: the zero sum holds throughout. It ends exactly once: posted (by the
 * payer or its resolver; at most the amount held, the rest released), voided (by the
 * payee or the resolver), or at its timeout, where the block's end applies its
 * outcome (release: post it all; refund: void it). A payer who defaults has its open
 * holds voided first. The fee is fixed at creation for the whole amount (base fee
 * plus the payer's risk fee on the part then on credit) and charged at posting pro
 * rata, rounded up, so a later balance never changes what the payer agreed to.
 */
#include "core/ledger.h"

#include <string.h>

const char *tally_pending_status_name(uint8_t status) {
    static const char *const names[TALLY_PENDING_STATUS_COUNT] = {"open", "posted", "voided", "released", "refunded"};
    return status < TALLY_PENDING_STATUS_COUNT ? names[status] : NULL;
}

/* A year: the furthest a timeout may be. */
#define PENDING_TIMEOUT_MAX_SECONDS (366 * 86400)

tally_error pending_terms_refusal(const tally_key *payer, const tally_key *payee, int64_t amount, int64_t timeout,
                                  uint8_t outcome, int64_t block_time) {
    if (amount <= 0) return TALLY_ERR_AMOUNT_NOT_POSITIVE;
    if (ledger_keys_equal(payer, payee)) return TALLY_ERR_SELF_TRANSFER;
    if (timeout <= block_time || timeout - block_time > PENDING_TIMEOUT_MAX_SECONDS) return TALLY_ERR_BAD_TIMEOUT;
    /* The codec refuses an unknown outcome on the wire; a transaction built in memory too. */
    if (outcome >= TALLY_PENDING_OUTCOME_COUNT) return TALLY_ERR_DECODE_BAD_VALUE;
    return TALLY_OK;
}

tally_result pending_hold_open(tally_state *state, const tally_network *network, const tally_key *payer_key,
                               const tally_key *payee, const tally_key *resolver, int64_t amount, int64_t max_fee,
                               int64_t timeout, uint8_t outcome, int64_t block_time) {
    assert(pending_terms_refusal(payer_key, payee, amount, timeout, outcome, block_time) == TALLY_OK);
    tally_member *payer = ledger_current_member(state, network->id, payer_key);
    if (!payer) return result_error(TALLY_ERR_NOT_MEMBER);
    if (!ledger_current_member(state, network->id, payee)) return result_error(TALLY_ERR_NOT_MEMBER);
    if (payer->holds_open >= TALLY_OPEN_PER_MEMBER_MAX) return result_error(TALLY_ERR_TOO_MANY_OPEN);
    /* The fee of the whole amount, as a transfer now would charge it. */
    bool may_borrow = credit_allows_new_debt(payer);
    int64_t own;
    if (!checked_sub(payer->balance, payer->pending_out, &own)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    int64_t on_credit = amount > positive_part(own) ? amount - positive_part(own) : 0;
    int64_t fee, risk_fee = may_borrow ? fee_round_up(on_credit, payer->risk_fee_bps) : 0;
    if (!checked_add(fee_round_up(amount, network->policy.fee_bps), risk_fee, &fee))
        return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    if (fee > max_fee) {
        tally_result refused = result_error(TALLY_ERR_FEE_ABOVE_MAX);
        refused.available = fee;
        return refused;
    }
    /* Held as if spent: the payer's floor is -limit while its line lends, else 0. */
    int64_t held, after;
    if (!checked_add(amount, fee, &held) || !checked_sub(own, held, &after))
        return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    int64_t floor = may_borrow ? -payer->limit : 0;
    if (after < floor) {
        tally_result refused = result_error(may_borrow ? TALLY_ERR_INSUFFICIENT_CREDIT : credit_refusal(payer));
        int64_t headroom;
        refused.available = checked_sub(own, floor, &headroom) ? positive_part(headroom) : INT64_MAX;
        refused.fee = fee;
        return refused;
    }
    /* Room was reserved for one record and its due entry (ledger_reserve). */
    uint32_t index = state->pending_count++;
    tally_pending *pending = &state->pendings[index];
    memset(pending, 0, sizeof *pending);
    pending->id = index + 1;
    pending->network_id = network->id;
    pending->payer = *payer_key;
    pending->payee = *payee;
    pending->resolver = *resolver;
    pending->amount = amount;
    pending->fee = fee;
    pending->risk_fee = risk_fee;
    pending->timeout = timeout;
    pending->outcome = outcome;
    pending->status = TALLY_PENDING_OPEN;
    pending->created_at = block_time;
    ledger_touch(state, TALLY_TABLE_PENDINGS, index);
    payer->pending_out += held; /* fits: own - held did not overflow */
    payer->holds_open++;
    ledger_due_push(state, timeout, DUE_PENDING, index);
    tally_result result = result_error(TALLY_OK);
    result.created_id = pending->id;
    result.fee = fee;
    return result;
}

tally_result pending_create(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_pending_create *body = &tx->body.pending_create;
    const tally_network *network = ledger_network(state, body->network_id);
    if (!network) return result_error(TALLY_ERR_UNKNOWN_NETWORK);
    tally_error terms =
        pending_terms_refusal(&tx->signer, &body->payee, body->amount, body->timeout, body->outcome, block_time);
    if (terms != TALLY_OK) return result_error(terms);
    if (tally_key_is_system(&body->payee) || tally_key_is_system(&body->resolver))
        return result_error(TALLY_ERR_SYSTEM_ACCOUNT);
    return pending_hold_open(state, network, &tx->signer, &body->payee, &body->resolver, body->amount, body->max_fee,
                             body->timeout, body->outcome, block_time);
}

/* The share of a held fee that posting `amount` of the hold charges, rounded up. */
static int64_t posted_share(int64_t held_fee, const tally_pending *pending, int64_t amount) {
    __extension__ typedef unsigned __int128 uint128;
    uint128 scaled = (uint128)held_fee * (uint64_t)amount;
    return (int64_t)((scaled + (uint64_t)pending->amount - 1) / (uint64_t)pending->amount);
}

static int64_t posted_fee(const tally_pending *pending, int64_t amount) {
    return posted_share(pending->fee, pending, amount);
}

/* Releases the hold from its payer's pending_out. */
void pending_hold_release(tally_state *state, tally_pending *pending) {
    tally_member *payer = ledger_member(state, pending->network_id, &pending->payer);
    assert(payer && payer->pending_out >= pending->amount + pending->fee && payer->holds_open > 0);
    if (payer) {
        payer->pending_out -= pending->amount + pending->fee;
        payer->holds_open--;
    }
}

/* Moves `amount` of an open hold to its payee: the payee's cap checked, the fee
 * charged pro rata. Changes nothing when refused. */
tally_result pending_hold_post(tally_state *state, tally_pending *pending, int64_t amount, int64_t block_time) {
    tally_network *network = ledger_network(state, pending->network_id);
    tally_member *payer = ledger_member(state, network->id, &pending->payer);
    tally_member *payee = ledger_current_member(state, network->id, &pending->payee);
    if (!payee) return result_error(TALLY_ERR_NOT_MEMBER);
    tally_member *fees = ledger_member_at(state, network->fee_member);
    int64_t fee = posted_fee(pending, amount);
    int64_t payer_after, payee_after, fees_after;
    if (!checked_sub(payer->balance, amount + fee, &payer_after) || !checked_add(payee->balance, amount, &payee_after) ||
        !checked_add(fees->balance, fee, &fees_after))
        return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    int64_t cap = network->policy.positive_cap;
    if (cap > 0 && payee_after > cap && payee_after > payee->balance) {
        tally_result refused = result_error(TALLY_ERR_CAP_REACHED);
        refused.available = positive_part(cap - positive_part(payee->balance));
        return refused;
    }
    balance_change changes[] = {{payer, payer_after}, {payee, payee_after}, {fees, fees_after}};
    if (!ledger_balances_fit(network, changes, 3)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    /* Like a transfer's: the debt the payer takes on, and the payee's it pays off. */
    tally_result result = result_error(TALLY_OK);
    result.fee = fee;
    result.minted = debt_part(payer_after) - debt_part(payer->balance);
    result.burned = debt_part(payee->balance) - debt_part(payee_after);
    pending_hold_release(state, pending);
    ledger_balances_commit(network, changes, 3);
    if (!checked_add(payer->fees_paid, fee, &payer->fees_paid)) payer->fees_paid = INT64_MAX;
    credit_after_balance_change(state, payer, network, 0, block_time);
    credit_after_balance_change(state, payee, network, amount, block_time);
    pending->posted = amount;
    /* The risk-fee part of what was charged goes to the line's underwriters. */
    int64_t risk = posted_share(pending->risk_fee, pending, amount);
    result.risk_fee = risk < fee ? risk : fee;
    if (payer->staked_behind > 0) underwriting_pay_risk_fee(state, network, payer, result.risk_fee, &result.burned);
    return result;
}

/* The open pending transfer a POST or VOID names, read only (a refusal marks
 * nothing for the commitment); or why there is none. */
static tally_error open_pending(const tally_state *state, uint32_t id, const tally_pending **out) {
    const tally_pending *pending = tally_state_pending(state, id);
    if (!pending) return TALLY_ERR_PENDING_NOT_FOUND;
    if (pending->status != TALLY_PENDING_OPEN) return TALLY_ERR_PENDING_ENDED;
    *out = pending;
    return TALLY_OK;
}

static bool is_resolver(const tally_pending *pending, const tally_key *key) {
    return !ledger_key_is_zero(&pending->resolver) && ledger_keys_equal(&pending->resolver, key);
}

tally_result pending_post(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_pending_end *body = &tx->body.pending_end;
    const tally_pending *seen = NULL;
    tally_error error = open_pending(state, body->pending_id, &seen);
    if (error != TALLY_OK) return result_error(error);
    if (seen->order_id != 0) return result_error(TALLY_ERR_HELD_BY_ORDER);
    if (!ledger_keys_equal(&seen->payer, &tx->signer) && !is_resolver(seen, &tx->signer))
        return result_error(TALLY_ERR_NOT_RESOLVER);
    if (body->amount <= 0) return result_error(TALLY_ERR_AMOUNT_NOT_POSITIVE);
    if (body->amount > seen->amount) {
        tally_result refused = result_error(TALLY_ERR_POST_ABOVE_PENDING);
        refused.available = seen->amount;
        return refused;
    }
    tally_pending *pending = ledger_pending_at(state, body->pending_id - 1);
    tally_result result = pending_hold_post(state, pending, body->amount, block_time);
    if (result.code == TALLY_OK) pending->status = TALLY_PENDING_POSTED;
    return result;
}

tally_result pending_void(tally_state *state, const tally_tx *tx) {
    const tally_tx_pending_end *body = &tx->body.pending_end;
    const tally_pending *seen = NULL;
    tally_error error = open_pending(state, body->pending_id, &seen);
    if (error != TALLY_OK) return result_error(error);
    if (seen->order_id != 0) return result_error(TALLY_ERR_HELD_BY_ORDER);
    if (!ledger_keys_equal(&seen->payee, &tx->signer) && !is_resolver(seen, &tx->signer))
        return result_error(TALLY_ERR_NOT_RESOLVER);
    tally_pending *pending = ledger_pending_at(state, body->pending_id - 1);
    pending_hold_release(state, pending);
    pending->status = TALLY_PENDING_VOIDED;
    return result_error(TALLY_OK);
}

bool pending_due(tally_state *state, uint32_t pending_index, int64_t due_time, int64_t block_time,
                 ledger_block_end *end) {
    if (pending_index >= state->pending_count) return false;
    const tally_pending *seen = &state->pendings[pending_index];
    if (seen->status != TALLY_PENDING_OPEN || seen->timeout != due_time) return false; /* ended before */
    /* An order's hold ends as its order says. */
    if (seen->order_id != 0) return market_hold_due(state, ledger_pending_at(state, pending_index), block_time, end);
    tally_pending *pending = ledger_pending_at(state, pending_index);
    /* Release posts it all; when it cannot (the payee at its cap or gone), refund. */
    if (pending->outcome == TALLY_PENDING_RELEASE && pending_hold_post(state, pending, pending->amount, block_time).code == TALLY_OK) {
        pending->status = TALLY_PENDING_RELEASED;
        ledger_event(end, TALLY_EVENT_PENDING_RELEASED, pending->network_id, &pending->payer, pending->amount,
                     pending->id);
        return true;
    }
    pending_hold_release(state, pending);
    pending->status = TALLY_PENDING_REFUNDED;
    ledger_event(end, TALLY_EVENT_PENDING_REFUNDED, pending->network_id, &pending->payer, pending->amount,
                 pending->id);
    return true;
}

/* No event each: one default may void many holds, and a block's events are bounded
 * (TALLY_BLOCK_EVENTS_MAX); the default's own event and the records' status say it. */
void pending_void_all_of(tally_state *state, const tally_member *member, int64_t at) {
    if (member->pending_out == 0) return;
    for (uint32_t i = 0; i < state->pending_count && member->pending_out > 0; i++) {
        const tally_pending *seen = &state->pendings[i];
        if (seen->status != TALLY_PENDING_OPEN || seen->network_id != member->network_id ||
            !ledger_keys_equal(&seen->payer, &member->key))
            continue;
        tally_pending *pending = ledger_pending_at(state, i);
        pending_hold_release(state, pending);
        pending->status = TALLY_PENDING_VOIDED;
        if (pending->order_id != 0) market_hold_voided(state, pending, at);
    }
}
