/*
 * transfer.c: payments between members of one network, and an operator's payments
 * out of the fee account. A payment on credit mints money (the payer's debt grows),
 * a payment to a member in debt burns it; the base fee and the line's risk fee are
 * paid in credits to the fee account within the same limits and never above the
 * max_fee the payer signed. A batch (TRANSFER_BATCH) is the transfers of its lines
 * in order, all or nothing, each paying the fees its transfer would pay at that
 * point. This is the hot path: it does only lookups and integer arithmetic.
 */
#include "core/ledger.h"

#include <string.h>

/* Refuses a payee balance above the network's positive cap. The cap bounds what a
 * payment brings in, so a balance already above a lowered cap is not taken away. */
static bool exceeds_cap(const tally_network *network, int64_t old_balance, int64_t new_balance) {
    int64_t cap = network->policy.positive_cap;
    return cap > 0 && new_balance > cap && new_balance > old_balance;
}

static tally_result cap_refusal(const tally_network *network, int64_t old_balance) {
    tally_result refused = result_error(TALLY_ERR_CAP_REACHED);
    refused.available = positive_part(network->policy.positive_cap - positive_part(old_balance));
    return refused;
}

/* One payment's figures: what transfer_apply reads from the state, and what a
 * batch's dry run keeps itself for each line (the payer's record is then a copy). */
typedef struct {
    const tally_network *network;
    const tally_member *payer; /* standing, line and risk fee; its balance is payer_balance */
    int64_t payer_balance, payee_balance, fees_balance;
    int64_t amount, max_fee;
} payment;

typedef struct {
    int64_t payer_after, payee_after, fees_after;
} payment_outcome;

/* The money rules of one payment, in the order a transfer checks them: the base and
 * risk fees within max_fee, the payer's floor (-limit while its line lends, else 0),
 * the payee's cap, and the range of every new balance. The caller then checks the
 * network's aggregates and commits. */
static inline tally_result payment_check(const payment *p, payment_outcome *out) {
    tally_result result = result_error(TALLY_OK);
    bool may_borrow = credit_allows_new_debt(p->payer);
    /* What pending transfers hold is spent as far as this payment goes. */
    int64_t own;
    if (!checked_sub(p->payer_balance, p->payer->pending_out, &own)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    int64_t spendable_positive = positive_part(own);
    int64_t on_credit = p->amount > spendable_positive ? p->amount - spendable_positive : 0;
    result.risk_fee = may_borrow ? fee_round_up(on_credit, p->payer->risk_fee_bps) : 0;
    if (!checked_add(fee_round_up(p->amount, p->network->policy.fee_bps), result.risk_fee, &result.fee))
        return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    if (result.fee > p->max_fee) {
        result.code = TALLY_ERR_FEE_ABOVE_MAX;
        result.available = result.fee;
        return result;
    }

    /* Limits: the payer's floor is -limit while the line lends, else 0. */
    int64_t total;
    if (!checked_add(p->amount, result.fee, &total) || !checked_sub(p->payer_balance, total, &out->payer_after))
        return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    int64_t floor = may_borrow ? -p->payer->limit : 0, after_held;
    if (!checked_sub(out->payer_after, p->payer->pending_out, &after_held)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    if (after_held < floor) {
        /* Say why: a line that cannot lend names its state, one that can says how
         * much is left. */
        tally_result refused = result_error(tally_member_credit_refusal(p->payer));
        int64_t headroom;
        refused.available = checked_sub(own, floor, &headroom) ? positive_part(headroom) : INT64_MAX;
        refused.fee = result.fee;
        return refused;
    }
    if (!checked_add(p->payee_balance, p->amount, &out->payee_after)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    if (exceeds_cap(p->network, p->payee_balance, out->payee_after)) return cap_refusal(p->network, p->payee_balance);
    if (!checked_add(p->fees_balance, result.fee, &out->fees_after)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    return result;
}

/* Moves one payment's balances and keeps the payer's and payee's periods, as a
 * transfer does. The caller has checked it with payment_check and the aggregates. */
static void payment_commit(tally_state *state, tally_network *network, tally_member *payer, tally_member *payee,
                           const payment_outcome *outcome, int64_t amount, int64_t fee, int64_t block_time) {
    tally_member *fees = ledger_member_at(state, network->fee_member);
    balance_change changes[] = {{payer, outcome->payer_after}, {payee, outcome->payee_after}, {fees, outcome->fees_after}};
    ledger_balances_commit(network, changes, 3);
    if (!checked_add(payer->fees_paid, fee, &payer->fees_paid)) payer->fees_paid = INT64_MAX;
    credit_after_balance_change(state, payer, network, 0, block_time);
    credit_after_balance_change(state, payee, network, amount, block_time);
}

tally_result transfer_apply(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_transfer *body = &tx->body.transfer;
    tally_network *network = ledger_network(state, body->network_id);
    if (!network) return result_error(TALLY_ERR_UNKNOWN_NETWORK);
    if (body->amount <= 0) return result_error(TALLY_ERR_AMOUNT_NOT_POSITIVE);
    tally_error memo = ledger_memo_check(&body->memo);
    if (memo != TALLY_OK) return result_error(memo);
    tally_member *payer = ledger_current_member(state, network->id, &tx->signer);
    if (!payer) return result_error(TALLY_ERR_NOT_MEMBER);
    if (memcmp(body->payee.bytes, tx->signer.bytes, TALLY_KEY_BYTES) == 0)
        return result_error(TALLY_ERR_SELF_TRANSFER);
    if (tally_key_is_system(&body->payee)) return result_error(TALLY_ERR_SYSTEM_ACCOUNT);
    tally_member *payee = ledger_current_member(state, network->id, &body->payee);
    if (!payee) return result_error(TALLY_ERR_NOT_MEMBER);

    tally_member *fees = ledger_member_at(state, network->fee_member);
    payment p = {network, payer, payer->balance, payee->balance, fees->balance, body->amount, body->max_fee};
    payment_outcome outcome;
    tally_result result = payment_check(&p, &outcome);
    if (result.code != TALLY_OK) return result;
    balance_change changes[] = {{payer, outcome.payer_after}, {payee, outcome.payee_after}, {fees, outcome.fees_after}};
    if (!ledger_balances_fit(network, changes, 3)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);

    result.minted = debt_part(outcome.payer_after) - debt_part(payer->balance);
    result.burned = debt_part(payee->balance) - debt_part(outcome.payee_after);
    payment_commit(state, network, payer, payee, &outcome, body->amount, result.fee, block_time);
    /* A line with stakes behind it pays its risk fee to its underwriters. */
    if (__builtin_expect(payer->staked_behind > 0, 0))
        underwriting_pay_risk_fee(state, network, payer, result.risk_fee, &result.burned);
    return result;
}

/* ------------------------------------------------------------------------ */
/* Batches: the transfers of their lines, in order, all or nothing.          */
/* ------------------------------------------------------------------------ */

/* The payees a batch's dry run has met, each once with its running balance: a
 * payee in several lines receives each line on top of the ones before. Open
 * addressing on the member's index in the state's table (deterministic, and small). */
#define BATCH_PAYEE_SLOTS 512u
_Static_assert(BATCH_PAYEE_SLOTS >= 2u * TALLY_BATCH_LINES_MAX, "the payee table stays half empty");

typedef struct {
    uint16_t slots[BATCH_PAYEE_SLOTS]; /* payee number + 1, or 0 */
    uint32_t member_index[TALLY_BATCH_LINES_MAX];
    int64_t balance[TALLY_BATCH_LINES_MAX];
    uint16_t count;
} batch_payees;

/* The running balance of a payee, met now for the first time when needed. */
static int64_t *batch_payee_balance(batch_payees *payees, uint32_t member_index, const tally_member *payee) {
    uint32_t slot = (member_index * 2654435761u) & (BATCH_PAYEE_SLOTS - 1);
    for (uint32_t probe = 0; probe < BATCH_PAYEE_SLOTS; probe++, slot = (slot + 1) & (BATCH_PAYEE_SLOTS - 1)) {
        uint16_t entry = payees->slots[slot];
        if (entry == 0) {
            assert(payees->count < TALLY_BATCH_LINES_MAX);
            uint16_t number = payees->count++;
            payees->slots[slot] = (uint16_t)(number + 1);
            payees->member_index[number] = member_index;
            payees->balance[number] = payee->balance;
            return &payees->balance[number];
        }
        if (payees->member_index[entry - 1] == member_index) return &payees->balance[entry - 1];
    }
    assert(!"the payee table is never full");
    return NULL;
}

/* What the dry run keeps for the real run: each line's payee (its index in the
 * member table), outcome and fee. */
typedef struct {
    uint32_t payee[TALLY_BATCH_LINES_MAX];
    payment_outcome outcome[TALLY_BATCH_LINES_MAX];
    int64_t fee[TALLY_BATCH_LINES_MAX];
} batch_plan;

static tally_result line_refused(tally_result result, uint16_t line) {
    result.line = line;
    return result;
}

/* Every rule of a transfer, line by line, on copies: the payer's record (whose line
 * a payment may unfreeze, as credit_after_balance_change would), running balances
 * of the fee account and each payee, and the network's running aggregates. Changes
 * nothing; fills plan and the batch's totals, or names the first line refused. */
static tally_result batch_dry_run(const tally_state *state, const tally_tx *tx, const tally_network *network,
                                  const tally_member *payer,
                                  int64_t block_time, batch_plan *plan) {
    const tally_tx_transfer_batch *body = &tx->body.transfer_batch;
    tally_member payer_copy = *payer;
    int64_t fees_balance = tally_state_member_at(state, network->fee_member)->balance;
    int64_t supply = network->supply, debt = network->debt;
    batch_payees payees;
    memset(payees.slots, 0, sizeof payees.slots);
    payees.count = 0;
    tally_result total = result_error(TALLY_OK);
    for (uint16_t i = 0; i < body->line_count; i++) {
        const tally_batch_line *line = &body->lines[i];
        uint16_t number = (uint16_t)(i + 1);
        if (line->amount <= 0) return line_refused(result_error(TALLY_ERR_AMOUNT_NOT_POSITIVE), number);
        if (line->memo.length > TALLY_BATCH_MEMO_MAX) return line_refused(result_error(TALLY_ERR_DECODE_BAD_LENGTH), number);
        if (!tally_text_is_valid(line->memo.bytes, line->memo.length))
            return line_refused(result_error(TALLY_ERR_DECODE_BAD_TEXT), number);
        if (memcmp(line->payee.bytes, tx->signer.bytes, TALLY_KEY_BYTES) == 0)
            return line_refused(result_error(TALLY_ERR_SELF_TRANSFER), number);
        if (tally_key_is_system(&line->payee)) return line_refused(result_error(TALLY_ERR_SYSTEM_ACCOUNT), number);
        const tally_member *payee = ledger_current_member_read(state, network->id, &line->payee) /* a dry run marks nothing */;
        if (!payee) return line_refused(result_error(TALLY_ERR_NOT_MEMBER), number);
        uint32_t payee_index = ledger_member_index(state, payee);
        int64_t *payee_balance = batch_payee_balance(&payees, payee_index, payee);

        /* Line i may take what the lines before it left of max_fee. */
        payment p = {network, &payer_copy, payer_copy.balance, *payee_balance, fees_balance, line->amount,
                     body->max_fee - total.fee};
        payment_outcome *outcome = &plan->outcome[i];
        tally_result result = payment_check(&p, outcome);
        if (result.code == TALLY_ERR_FEE_ABOVE_MAX) result.available = saturating_add(total.fee, result.fee);
        if (result.code != TALLY_OK) return line_refused(result, number);
        const int64_t old_balances[] = {payer_copy.balance, *payee_balance, fees_balance};
        const int64_t new_balances[] = {outcome->payer_after, outcome->payee_after, outcome->fees_after};
        if (!ledger_balances_fit_running(&supply, &debt, old_balances, new_balances, 3))
            return line_refused(result_error(TALLY_ERR_AMOUNT_OVERFLOW), number);

        total.minted += debt_part(outcome->payer_after) - debt_part(payer_copy.balance);
        total.burned += debt_part(*payee_balance) - debt_part(outcome->payee_after);
        total.fee += result.fee;
        total.risk_fee += result.risk_fee;
        plan->payee[i] = payee_index;
        plan->fee[i] = result.fee;
        payer_copy.balance = outcome->payer_after;
        *payee_balance = outcome->payee_after;
        fees_balance = outcome->fees_after;
        /* What paying does to the payer's line (a frozen line that became compliant
         * lends again for the lines after); the payees' lines decide nothing here. */
        (void)credit_record_after_balance_change(&payer_copy, network, 0, block_time);
    }
    return total;
}

tally_result transfer_batch_apply(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_transfer_batch *body = &tx->body.transfer_batch;
    tally_network *network = ledger_network(state, body->network_id);
    if (!network) return result_error(TALLY_ERR_UNKNOWN_NETWORK);
    /* The codec refuses such counts on the wire; a transaction built in memory too. */
    if (body->line_count == 0 || body->line_count > TALLY_BATCH_LINES_MAX || body->lines == NULL)
        return result_error(TALLY_ERR_DECODE_BAD_LENGTH);
    tally_member *payer = ledger_current_member(state, network->id, &tx->signer);
    if (!payer) return result_error(TALLY_ERR_NOT_MEMBER);

    /* The plan is large (about 10 KB): static would not be reentrant, and the core
     * may run on several states at once, so it lives on the stack of this call. */
    batch_plan plan;
    tally_result result = batch_dry_run(state, tx, network, payer, block_time, &plan);
    if (result.code != TALLY_OK) return result;
    /* Every line passed: the same lines for real, as transfers, which cannot fail now
     * (the records they change are marked for the commitment as they are taken). */
    for (uint16_t i = 0; i < body->line_count; i++)
        payment_commit(state, network, payer, ledger_member_at(state, plan.payee[i]), &plan.outcome[i],
                       body->lines[i].amount, plan.fee[i], block_time);
    /* The lines' risk fees together, once every line moved (a payee may be an
     * underwriter: its share comes on top of what the lines paid it). */
    underwriting_pay_risk_fee(state, network, payer, result.risk_fee, &result.burned);
    return result;
}

bool tally_tx_unused_fields_zero(const tally_tx *tx) {
    if (tx->type == TALLY_TX_PROPOSAL_CREATE) return governance_action_well_formed(&tx->body.proposal_create.action);
    if (tx->type == TALLY_TX_PROPOSAL_CANCEL) return tx->body.proposal_vote.choice == 0;
    if (tx->type != TALLY_TX_FEE_DISTRIBUTE || !tx->body.fee_distribute.to_pool) return true;
    static const tally_key zero;
    return memcmp(tx->body.fee_distribute.to.bytes, zero.bytes, TALLY_KEY_BYTES) == 0;
}

tally_result fee_distribute(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_fee_distribute *body = &tx->body.fee_distribute;
    tally_network *network = ledger_network(state, body->network_id);
    if (!network) return result_error(TALLY_ERR_UNKNOWN_NETWORK);
    if (!network_is_operator(network, &tx->signer)) return result_error(TALLY_ERR_NOT_OPERATOR);
    if (body->amount <= 0) return result_error(TALLY_ERR_AMOUNT_NOT_POSITIVE);
    /* To the pool names no member: `to` is then unused and must be zero (the decoder
     * refuses it too), so one payment has one signed form. */
    if (!tally_tx_unused_fields_zero(tx)) return result_error(TALLY_ERR_DECODE_BAD_VALUE);
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
        to = ledger_current_member(state, network->id, &body->to);
        if (!to) return result_error(TALLY_ERR_NOT_MEMBER);
    }
    int64_t to_after;
    if (!checked_add(to->balance, body->amount, &to_after)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    if (!body->to_pool && exceeds_cap(network, to->balance, to_after)) return cap_refusal(network, to->balance);
    balance_change changes[] = {{fees, fees->balance - body->amount}, {to, to_after}};
    if (!ledger_balances_fit(network, changes, 2)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    tally_result result = result_error(TALLY_OK);
    result.burned = debt_part(to->balance) - debt_part(to_after);
    ledger_balances_commit(network, changes, 2);
    /* Credits sent to the pool wait there until a default: then they burn lost debt. */
    if (!body->to_pool) credit_after_balance_change(state, to, network, body->amount, block_time);
    return result;
}

/* ------------------------------------------------------------------------ */
/* Across gateways (docs/GATEWAYS.md section 2): all or nothing.             */
/* ------------------------------------------------------------------------ */

/* The balances one network's leg changes: at most three members (the mirror account
 * paying in, the fee account, and the next mirror account or the payee). */
typedef struct {
    tally_network *network;
    balance_change changes[3];
    size_t count;
    int64_t income; /* what the payee received, in its last leg */
} cross_leg;

/* A gateway exchanges in whole steps of its rate (kept in lowest terms): rate_from
 * units of `from` for rate_to of the other network, so that its two mirror accounts
 * always hold the same value (balance_a * rate_b = -balance_b * rate_a) and can both
 * come back to zero. Of x units of `from`, *sent is what crosses (whole steps, x
 * rounded down: the payee's side rounds down) and *arrived what it is worth on the
 * other side; the rest of x, less than one step, stays with `from`'s fee account. */
static bool whole_steps(const tally_gateway *gateway, uint32_t from, int64_t x, int64_t *sent, int64_t *arrived) {
    bool from_a = from == gateway->network_a;
    int64_t rate_from = from_a ? gateway->terms.rate_a : gateway->terms.rate_b;
    int64_t rate_to = from_a ? gateway->terms.rate_b : gateway->terms.rate_a;
    int64_t steps = x / rate_from;
    __extension__ __int128 worth = (__int128)steps * rate_to;
    if (worth > INT64_MAX) return false;
    *sent = steps * rate_from;
    *arrived = (int64_t)worth;
    return true;
}

/* The partner passes side's health rules: its RTD now (a run on its pool shows at
 * once) at least the minimum, and the default rate of its last completed health
 * period (health.c: a figure of a period, so no payment within one flips it) below
 * the maximum. 0 means no rule. */
static bool partner_healthy(const tally_gateway_side *side, const tally_network *partner) {
    if (side->min_partner_rtd_bps != 0 && tally_network_rtd_bps(partner) < (int64_t)side->min_partner_rtd_bps)
        return false;
    return side->max_partner_default_bps == 0 || partner->health.default_rate_bps < side->max_partner_default_bps;
}

/* The network a path reaches at each hop; refuses a gateway not open, one that does
 * not leave from the network reached, or a network visited twice. */
static tally_error walk_path(tally_state *state, const tally_tx_transfer_cross *body,
                             const tally_gateway *gateways[TALLY_PATH_HOPS_MAX],
                             uint32_t networks[TALLY_PATH_HOPS_MAX + 1]) {
    if (body->hop_count == 0 || body->hop_count > TALLY_PATH_HOPS_MAX) return TALLY_ERR_BAD_PATH;
    networks[0] = body->network_id;
    for (uint8_t h = 0; h < body->hop_count; h++) {
        const tally_gateway *g = tally_state_gateway(state, body->gateways[h]);
        if (!g) return TALLY_ERR_GATEWAY_NOT_FOUND;
        if (g->status != TALLY_GATEWAY_OPEN) return TALLY_ERR_GATEWAY_NOT_OPEN;
        if (g->network_a != networks[h] && g->network_b != networks[h]) return TALLY_ERR_BAD_PATH;
        networks[h + 1] = g->network_a == networks[h] ? g->network_b : g->network_a;
        for (uint8_t k = 0; k <= h; k++)
            if (networks[k] == networks[h + 1]) return TALLY_ERR_BAD_PATH;
        gateways[h] = g;
    }
    for (uint8_t h = body->hop_count; h < TALLY_PATH_HOPS_MAX; h++)
        if (body->gateways[h] != 0) return TALLY_ERR_BAD_PATH;
    return TALLY_OK;
}

/* One hop into `to` from `from` over gateway, of `sent` (whole steps, already in the
 * mirror account of `to` in `from`): the mirror account of `from` in `to` pays what
 * they are worth (exposure grows only when it goes deeper into debt: then the side
 * must not be frozen, the partner must pass its health rules and the debt stay
 * within its limit), the receiving side's fee goes to `to`'s fee account, and the
 * rest to `next`: the payee, or the next mirror account, which takes whole steps of
 * the next gateway (`onward`, NULL at the last hop), what is left below one step to
 * the fee account too. */
static tally_result hop(tally_state *state, const tally_gateway *gateway, uint32_t from, uint32_t to, int64_t sent,
                        tally_member *next, const tally_gateway *onward, cross_leg *leg, int64_t *passed_on) {
    tally_network *network = ledger_network(state, to);
    int side = to == gateway->network_a ? 0 : 1;
    const tally_gateway_side *terms = &gateway->terms.side[side];
    int64_t ignored, arrived;
    if (!whole_steps(gateway, from, sent, &ignored, &arrived)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    int64_t fee = fee_round_up(arrived, terms->fee_bps);
    int64_t onward_sent = arrived - fee, onward_worth;
    if (onward && !whole_steps(onward, to, arrived - fee, &onward_sent, &onward_worth))
        return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    int64_t kept = arrived - onward_sent; /* the fee, and what is below a step of the next gateway */
    tally_key mirror_key = tally_gateway_key(to, from);
    tally_member *mirror = ledger_member(state, to, &mirror_key);
    if (!mirror) return result_error(TALLY_ERR_GATEWAY_NOT_OPEN); /* an open gateway has both */
    tally_member *fees = ledger_member_at(state, network->fee_member);
    int64_t mirror_after, fees_after, next_after;
    if (!checked_sub(mirror->balance, arrived, &mirror_after) || !checked_add(fees->balance, kept, &fees_after) ||
        !checked_add(next->balance, onward_sent, &next_after))
        return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    if (mirror_after < 0 && mirror_after < mirror->balance) {
        if (gateway->frozen[side]) return result_error(TALLY_ERR_GATEWAY_FROZEN);
        if (!partner_healthy(terms, tally_state_network(state, from))) return result_error(TALLY_ERR_PARTNER_UNHEALTHY);
        if (mirror_after < -terms->limit) {
            tally_result refused = result_error(TALLY_ERR_EXPOSURE_LIMIT);
            /* the room left, in what arrives here */
            refused.available = positive_part(terms->limit + (mirror->balance < 0 ? mirror->balance : 0));
            return refused;
        }
    }
    if (onward_sent <= 0) return result_error(TALLY_ERR_AMOUNT_TOO_SMALL);
    *leg = (cross_leg){network, {{mirror, mirror_after}, {fees, fees_after}, {next, next_after}}, 3, onward_sent};
    if (!ledger_balances_fit(network, leg->changes, 3)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    *passed_on = onward_sent;
    return result_error(TALLY_OK);
}

tally_result transfer_cross_apply(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_transfer_cross *body = &tx->body.transfer_cross;
    tally_network *home = ledger_network(state, body->network_id);
    if (!home) return result_error(TALLY_ERR_UNKNOWN_NETWORK);
    if (body->amount <= 0) return result_error(TALLY_ERR_AMOUNT_NOT_POSITIVE);
    const tally_gateway *gateways[TALLY_PATH_HOPS_MAX];
    uint32_t networks[TALLY_PATH_HOPS_MAX + 1];
    tally_error error = walk_path(state, body, gateways, networks);
    if (error != TALLY_OK) return result_error(error);
    tally_member *payer = ledger_current_member(state, home->id, &tx->signer);
    if (!payer) return result_error(TALLY_ERR_NOT_MEMBER);
    uint32_t last = networks[body->hop_count];
    if (tally_key_is_system(&body->payee)) return result_error(TALLY_ERR_SYSTEM_ACCOUNT);
    tally_member *payee = ledger_current_member(state, last, &body->payee);
    if (!payee) return result_error(TALLY_ERR_NOT_MEMBER);

    /* The first leg: a transfer to the first mirror account, with a transfer's fees and
     * the payer's limits; a mirror account has no cap (the partner's exposure limit
     * bounds what it stands for). */
    tally_key first_key = tally_gateway_key(home->id, networks[1]);
    tally_member *first = ledger_member(state, home->id, &first_key);
    if (!first) return result_error(TALLY_ERR_GATEWAY_NOT_OPEN); /* an open gateway has both */
    tally_member *home_fees = ledger_member_at(state, home->fee_member);
    tally_network uncapped = *home;
    uncapped.policy.positive_cap = 0;
    payment p = {&uncapped, payer, payer->balance, first->balance, home_fees->balance, body->amount, body->max_fee};
    payment_outcome outcome;
    tally_result result = payment_check(&p, &outcome);
    if (result.code != TALLY_OK) return result;
    /* Of the amount, whole steps of the first gateway's rate cross; the rest (less
     * than a step) stays in the payer's network, with its fee account. */
    int64_t sent, worth;
    if (!whole_steps(gateways[0], home->id, body->amount, &sent, &worth)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    if (sent == 0) return result_error(TALLY_ERR_AMOUNT_TOO_SMALL);
    outcome.payee_after -= body->amount - sent;
    if (!checked_add(outcome.fees_after, body->amount - sent, &outcome.fees_after))
        return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    balance_change first_changes[] = {{payer, outcome.payer_after}, {first, outcome.payee_after}, {home_fees, outcome.fees_after}};
    if (!ledger_balances_fit(home, first_changes, 3)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);

    /* Every hop, checked before anything moves. */
    cross_leg legs[TALLY_PATH_HOPS_MAX];
    int64_t value = sent;
    for (uint8_t h = 0; h < body->hop_count; h++) {
        uint32_t from = networks[h], to = networks[h + 1];
        tally_member *next = payee;
        const tally_gateway *onward = NULL;
        if (h + 1 < body->hop_count) {
            tally_key next_key = tally_gateway_key(to, networks[h + 2]);
            next = ledger_member(state, to, &next_key);
            if (!next) return result_error(TALLY_ERR_GATEWAY_NOT_OPEN);
            onward = gateways[h + 1];
        }
        tally_result hopped = hop(state, gateways[h], from, to, value, next, onward, &legs[h], &value);
        if (hopped.code != TALLY_OK) return hopped;
    }
    int64_t received = value;
    const tally_network *payee_network = tally_state_network(state, last);
    if (exceeds_cap(payee_network, payee->balance, payee->balance + received))
        return cap_refusal(payee_network, payee->balance);
    if (received < body->min_received) {
        tally_result refused = result_error(TALLY_ERR_BELOW_MIN_RECEIVED);
        refused.available = received;
        return refused;
    }

    /* All hold: move everything. */
    ledger_balances_commit(home, first_changes, 3);
    if (!checked_add(payer->fees_paid, result.fee, &payer->fees_paid)) payer->fees_paid = INT64_MAX;
    credit_after_balance_change(state, payer, home, 0, block_time);
    int64_t shares_burned = 0; /* a cross payment reports no burned credits (its legs' debt moves) */
    underwriting_pay_risk_fee(state, home, payer, result.risk_fee, &shares_burned);
    for (uint8_t h = 0; h < body->hop_count; h++) ledger_balances_commit(legs[h].network, legs[h].changes, legs[h].count);
    credit_after_balance_change(state, payee, ledger_network(state, last), received, block_time);
    result.minted = debt_part(outcome.payer_after) - debt_part(p.payer_balance);
    result.available = received;
    return result;
}
