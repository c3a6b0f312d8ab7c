/*
 * charges.c: what a network may charge its members by itself (docs/UNDERWRITING.md,
 * DESIGN.md "Demurrage and membership fees"): demurrage on the part of a positive
 * balance above a threshold, and a fixed membership fee, both at the end of each
 * charge period (the policy's period_seconds, counted from the network's creation or
 * from when the policy first charged), to the fee account or the pool's account.
 * A member whose line cannot pay the fee is suspended until it pays it
 * (MEMBER_FEE_PAY).
 *
 * A round walks the network's members in joining order and counts each against the
 * block's budget of due work (TALLY_BLOCK_DUES_MAX): a network larger than what is
 * left goes on in the next block (which the node makes at once), from where it
 * stopped, each member charged on its balance when its turn comes.
 *
 * Rounding: demurrage rounds down (in the member's favour: it takes money nobody
 * spent), on the balance less what holds reserve; the fee is a fixed amount.
 */
#include "core/ledger.h"

static bool policy_charges(const tally_policy *policy) {
    return policy->demurrage_bps > 0 || policy->membership_fee > 0;
}

static int64_t after_period(int64_t start, uint32_t seconds) {
    int64_t later;
    return checked_add(start, seconds, &later) ? later : INT64_MAX;
}

void charges_start(tally_state *state, tally_network *network, int64_t from) {
    if (!policy_charges(&network->policy) || network->charges_at != 0) return;
    network->charges_at = after_period(from, network->policy.period_seconds);
    ledger_due_push(state, network->charges_at, DUE_CHARGES, network->id - 1);
}

/* Moves `amount` from member to the account charges go to; false when a balance
 * or the network's totals would leave their range (then nothing is charged). What
 * it minted (a charge on credit) and burned (the receiving account's debt paid) go
 * to *moved when given, as a payment's result says them. */
static bool charge(tally_state *state, tally_network *network, tally_member *member, int64_t amount,
                   tally_result *moved) {
    tally_member *to = ledger_member_at(state, network->policy.charges_to_pool ? network->pool_member : network->fee_member);
    int64_t from_after, to_after;
    if (!checked_sub(member->balance, amount, &from_after) || !checked_add(to->balance, amount, &to_after)) return false;
    balance_change changes[] = {{member, from_after}, {to, to_after}};
    if (!ledger_balances_fit(network, changes, 2)) return false;
    if (moved) {
        moved->minted = debt_part(from_after) - debt_part(member->balance);
        moved->burned = debt_part(to->balance) - debt_part(to_after);
    }
    /* A charge is no payment: the health period's active members stay as they were. */
    uint32_t active_period = member->active_period, active = network->health_active;
    ledger_balances_commit(network, changes, 2);
    member->active_period = active_period, network->health_active = active;
    return true;
}

static void charge_member(tally_state *state, tally_network *network, uint32_t index, int64_t due_time,
                          ledger_block_end *end) {
    const tally_policy *policy = &network->policy;
    const tally_member *read = &state->members[index];
    if (read->status == TALLY_MEMBER_SYSTEM || read->status == TALLY_MEMBER_LEFT) return;
    /* On what it holds and has not promised: a hold's amount is spent already, and
     * posting it must never take the member below its floor. */
    int64_t own;
    if (!checked_sub(read->balance, read->pending_out, &own)) own = 0;
    if (policy->demurrage_bps > 0 && own > policy->demurrage_threshold) {
        int64_t demurrage;
        if (muldiv_round_down(own - policy->demurrage_threshold, policy->demurrage_bps, TALLY_BPS_ONE, &demurrage) &&
            demurrage > 0 && charge(state, network, ledger_member_at(state, index), demurrage, NULL))
            ledger_event(end, TALLY_EVENT_DEMURRAGE_CHARGED, network->id, &read->key, demurrage, due_time);
    }
    if (policy->membership_fee > 0 && read->status == TALLY_MEMBER_ACTIVE) {
        tally_member *member = ledger_member_at(state, index);
        if (tally_member_available(state, member) >= policy->membership_fee &&
            charge(state, network, member, policy->membership_fee, NULL)) {
            ledger_event(end, TALLY_EVENT_MEMBERSHIP_FEE_CHARGED, network->id, &member->key, policy->membership_fee,
                         due_time);
        } else {
            member->status = TALLY_MEMBER_SUSPENDED;
            member->fee_owed = policy->membership_fee;
            ledger_event(end, TALLY_EVENT_FEE_SUSPENDED, network->id, &member->key, member->fee_owed, due_time);
        }
    }
}

bool charges_due(tally_state *state, tally_network *network, int64_t due_time, int64_t block_time,
                 ledger_block_end *end) {
    if (due_time != network->charges_at) return false; /* stale: the schedule changed */
    if (!policy_charges(&network->policy)) {
        network->charges_at = 0; /* the policy stopped charging: no more rounds */
        network->charges_cursor = 0;
        return true;
    }
    uint32_t cursor = network->charges_cursor ? network->charges_cursor : network->first_member;
    while (cursor != 0) {
        if (end->dues >= TALLY_BLOCK_DUES_MAX) {
            /* The rest of the round in the next block, from this member on. */
            network->charges_cursor = cursor;
            ledger_due_push(state, due_time, DUE_CHARGES, network->id - 1);
            return true;
        }
        end->dues++;
        charge_member(state, network, cursor - 1, due_time, end);
        cursor = state->members[cursor - 1].next_in_network;
    }
    network->charges_cursor = 0;
    /* The next round; a chain that stalled for longer restarts the count from now. */
    int64_t next = after_period(due_time, network->policy.period_seconds);
    if (next <= block_time) next = after_period(block_time, network->policy.period_seconds);
    network->charges_at = next;
    ledger_due_push(state, next, DUE_CHARGES, network->id - 1);
    return true;
}

tally_result charges_fee_pay(tally_state *state, const tally_tx *tx, int64_t block_time) {
    (void)block_time;
    tally_network *network = ledger_network(state, tx->body.network_only.network_id);
    if (!network) return result_error(TALLY_ERR_UNKNOWN_NETWORK);
    tally_member *member = ledger_current_member(state, network->id, &tx->signer);
    if (!member) return result_error(TALLY_ERR_NOT_MEMBER);
    if (member->fee_owed == 0) return result_error(TALLY_ERR_NO_FEE_OWED);
    /* Within its line as if it were active: the suspension is what it pays to end. */
    tally_member as_active = *member;
    if (as_active.status == TALLY_MEMBER_SUSPENDED) as_active.status = TALLY_MEMBER_ACTIVE;
    int64_t available = tally_member_available(state, &as_active);
    if (available < member->fee_owed) {
        tally_result refused = result_error(tally_member_credit_refusal(&as_active));
        refused.available = available;
        return refused;
    }
    int64_t owed = member->fee_owed;
    /* Paid on credit, the fee is new debt: the result says so, as a payment's does. */
    tally_result result = result_error(TALLY_OK);
    if (!charge(state, network, member, owed, &result)) return result_error(TALLY_ERR_AMOUNT_OVERFLOW);
    member->fee_owed = 0;
    if (member->status == TALLY_MEMBER_SUSPENDED) member->status = TALLY_MEMBER_ACTIVE;
    result.fee = owed;
    return result;
}
