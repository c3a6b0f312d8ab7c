/*
 * transfer.c: payments between members of one network, and an operator's payments
 * out of the fee account. A payment on credit mints money (the payer's debt grows),
 * a payment to a member in debt burns it; the base fee and the line's risk fee are
 * paid in credits to the fee account within the same limits and never above the
 * max_fee the payer signed. This is the hot path: it does only lookups and integer
 * arithmetic.
 */
#include "core/ledger.h"

#include <string.h>

static tally_member *current_member(tally_state *state, uint32_t network_id, const tally_key *key) {
    tally_member *member = ledger_member(state, network_id, key);
    return member && member->status != TALLY_MEMBER_LEFT ? member : NULL;
}

/* Refuses a payee balance above the network's positive cap. The cap bounds what a
 * payment brings in, so a balance already above a lowered cap is not taken away. */
static bool exceeds_cap(const tally_network *network, const tally_member *payee, int64_t new_balance) {
    int64_t cap = network->policy.positive_cap;
    return cap > 0 && new_balance > cap && new_balance > payee->balance;
}

tally_result transfer_apply(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_transfer *body = &tx->body.transfer;
    tally_network *network = ledger_network(state, body->network_id);
    if (!network) return result_error(TALLY_ERR_UNKNOWN_NETWORK);
    if (body->amount <= 0) return result_error(TALLY_ERR_AMOUNT_NOT_POSITIVE);
    if (body->memo.length > TALLY_MEMO_MAX) return result_error(TALLY_ERR_DECODE_BAD_LENGTH);
    /* The codec refuses such memos on the wire; a transaction built in memory too. */
    if (!tally_text_is_valid(body->memo.bytes, body->memo.length)) return result_error(TALLY_ERR_DECODE_BAD_TEXT);
    tally_member *payer = current_member(state, network->id, &tx->signer);
    if (!payer) return result_error(TALLY_ERR_NOT_MEMBER);
    if (memcmp(body->payee.bytes, tx->signer.bytes, TALLY_KEY_BYTES) == 0)
        return result_error(TALLY_ERR_SELF_TRANSFER);
    if (tally_key_is_system(&body->payee)) return result_error(TALLY_ERR_SYSTEM_ACCOUNT);
    tally_member *payee = current_member(state, network->id, &body->payee);
    if (!payee) return result_error(TALLY_ERR_NOT_MEMBER);

    tally_result result = result_error(TALLY_OK);
    bool may_borrow = credit_allows_new_debt(payer);
    int64_t spendable_positive = positive_part(payer->balance);
    int64_t on_credit = body->amount > spendable_positive ? body->amount - spendable_positive : 0;
    result.risk_fee = may_borrow ? fee_round_up(on_credit, payer->risk_fee_bps) : 0;
    if (!checked_add(fee_round_up(body->amount, network->policy.fee_bps), result.risk_fee, &result.fee))
        return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    if (result.fee > body->max_fee) {
        result.code = TALLY_ERR_FEE_ABOVE_MAX;
        result.available = result.fee;
        return result;
    }

    /* Limits: the payer's floor is -limit while the line lends, else 0. */
    int64_t total, payer_after, payee_after;
    if (!checked_add(body->amount, result.fee, &total) || !checked_sub(payer->balance, total, &payer_after))
        return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    int64_t floor = may_borrow ? -payer->limit : 0;
    if (payer_after < floor) {
        /* Say why: a line that cannot lend names its state, one that can says how
         * much is left. */
        tally_result refused = result_error(may_borrow ? TALLY_ERR_INSUFFICIENT_CREDIT : credit_refusal(payer));
        int64_t headroom;
        refused.available = checked_sub(payer->balance, floor, &headroom) ? positive_part(headroom) : INT64_MAX;
        refused.fee = result.fee;
        return refused;
    }
    if (!checked_add(payee->balance, body->amount, &payee_after)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    if (exceeds_cap(network, payee, payee_after)) {
        tally_result refused = result_error(TALLY_ERR_CAP_REACHED);
        refused.available = positive_part(network->policy.positive_cap - positive_part(payee->balance));
        return refused;
    }
    tally_member *fees = ledger_member_at(state, network->fee_member);
    int64_t fees_after;
    if (!checked_add(fees->balance, result.fee, &fees_after)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    balance_change changes[] = {{payer, payer_after}, {payee, payee_after}, {fees, fees_after}};
    if (!ledger_balances_fit(network, changes, 3)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);

    result.minted = debt_part(payer_after) - debt_part(payer->balance);
    result.burned = debt_part(payee->balance) - debt_part(payee_after);
    ledger_balances_commit(network, changes, 3);
    if (!checked_add(payer->fees_paid, result.fee, &payer->fees_paid)) payer->fees_paid = INT64_MAX;
    credit_after_balance_change(state, payer, network, 0, block_time);
    credit_after_balance_change(state, payee, network, body->amount, block_time);
    return result;
}

tally_result fee_distribute(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_fee_distribute *body = &tx->body.fee_distribute;
    tally_network *network = ledger_network(state, body->network_id);
    if (!network) return result_error(TALLY_ERR_UNKNOWN_NETWORK);
    if (!network_is_operator(network, &tx->signer)) return result_error(TALLY_ERR_NOT_OPERATOR);
    if (body->amount <= 0) return result_error(TALLY_ERR_AMOUNT_NOT_POSITIVE);
    tally_member *fees = ledger_member_at(state, network->fee_member);
    if (fees->balance < body->amount) {
        tally_result refused = result_error(TALLY_ERR_INSUFFICIENT_BALANCE);
        refused.available = fees->balance;
        return refused;
    }
    tally_member *to;
    if (body->to_pool) {
        to = ledger_member_at(state, network->pool_member);
    } else {
        if (tally_key_is_system(&body->to)) return result_error(TALLY_ERR_SYSTEM_ACCOUNT);
        to = current_member(state, network->id, &body->to);
        if (!to) return result_error(TALLY_ERR_NOT_MEMBER);
    }
    int64_t to_after;
    if (!checked_add(to->balance, body->amount, &to_after)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    if (!body->to_pool && exceeds_cap(network, to, to_after)) {
        tally_result refused = result_error(TALLY_ERR_CAP_REACHED);
        refused.available = positive_part(network->policy.positive_cap - positive_part(to->balance));
        return refused;
    }
    balance_change changes[] = {{fees, fees->balance - body->amount}, {to, to_after}};
    if (!ledger_balances_fit(network, changes, 2)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    tally_result result = result_error(TALLY_OK);
    result.burned = debt_part(to->balance) - debt_part(to_after);
    ledger_balances_commit(network, changes, 2);
    /* Credits sent to the pool wait there until a default: then they burn lost debt. */
    if (!body->to_pool) credit_after_balance_change(state, to, network, body->amount, block_time);
    return result;
}
