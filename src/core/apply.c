/*
 * apply.c: the state machine's entry points. tally_apply checks the envelope every
 * transaction shares (chain id, signer, sequence), hands the body to the module that
 * owns its rules, and consumes the sequence number only when the rules accepted it.
 * tally_end_block runs what the protocol does by itself at each block: credit periods
 * that end and announced changes that take effect (one due heap), then pool
 * reallocation.
 */
#include "core/ledger.h"

#include <string.h>

tally_result ledger_dispatch(tally_state *state, const tally_tx *tx, int64_t block_time) {
    switch ((tally_tx_type)tx->type) {
    case TALLY_TX_NETWORK_CREATE: return network_create(state, tx, block_time);
    case TALLY_TX_POLICY_UPDATE: return network_policy_update(state, tx, block_time);
    case TALLY_TX_PEG_SET: return network_peg_set(state, tx, block_time);
    case TALLY_TX_OPERATOR_ADD: return network_operator_add(state, tx);
    case TALLY_TX_OPERATOR_REMOVE: return network_operator_remove(state, tx);
    case TALLY_TX_MEMBER_JOIN: return member_join(state, tx, block_time);
    case TALLY_TX_MEMBER_ADMIT: return member_admit(state, tx, block_time);
    case TALLY_TX_MEMBER_SUSPEND: return member_suspend(state, tx);
    case TALLY_TX_MEMBER_REINSTATE: return member_reinstate(state, tx);
    case TALLY_TX_MEMBER_LEAVE: return member_leave(state, tx);
    case TALLY_TX_ALIAS_SET: return member_alias_set(state, tx);
    case TALLY_TX_LINE_OPEN: return credit_line_open(state, tx, block_time);
    case TALLY_TX_LINE_UPDATE: return credit_line_update(state, tx, block_time);
    case TALLY_TX_LINE_CLOSE: return credit_line_close(state, tx);
    case TALLY_TX_TRANSFER: return transfer_apply(state, tx, block_time);
    case TALLY_TX_ASSET_CREATE: return asset_create(state, tx, block_time);
    case TALLY_TX_ASSET_ISSUE: return asset_issue(state, tx);
    case TALLY_TX_ASSET_TRANSFER: return asset_transfer(state, tx);
    case TALLY_TX_ASSET_BURN: return asset_burn(state, tx);
    case TALLY_TX_POOL_DEPOSIT: return pool_deposit(state, tx);
    case TALLY_TX_POOL_WITHDRAW: return pool_withdraw(state, tx);
    case TALLY_TX_POOL_REPAY: return pool_repay(state, tx, block_time);
    case TALLY_TX_POOL_REDEEM: return pool_redeem(state, tx, block_time);
    case TALLY_TX_FEE_DISTRIBUTE: return fee_distribute(state, tx, block_time);
    case TALLY_TX_CHAIN_APPROVE: return network_chain_approve(state, tx);
    case TALLY_TX_TRANSFER_BATCH: return transfer_batch_apply(state, tx, block_time);
    case TALLY_TX_PENDING_CREATE: return pending_create(state, tx, block_time);
    case TALLY_TX_PENDING_POST: return pending_post(state, tx, block_time);
    case TALLY_TX_PENDING_VOID: return pending_void(state, tx);
    case TALLY_TX_REQUEST_CREATE: return request_create(state, tx, block_time);
    case TALLY_TX_REQUEST_PAY: return request_pay(state, tx, block_time);
    case TALLY_TX_REQUEST_CANCEL: return request_cancel(state, tx, block_time);
    case TALLY_TX_GATEWAY_PROPOSE: return gateway_propose(state, tx, block_time);
    case TALLY_TX_GATEWAY_ACCEPT: return gateway_accept(state, tx, block_time);
    case TALLY_TX_GATEWAY_UPDATE: return gateway_update(state, tx);
    case TALLY_TX_GATEWAY_FREEZE: return gateway_freeze(state, tx);
    case TALLY_TX_GATEWAY_CLOSE: return gateway_close(state, tx);
    case TALLY_TX_TRANSFER_CROSS: return transfer_cross_apply(state, tx, block_time);
    case TALLY_TX_CLEARING: return gateway_clearing(state, tx);
    case TALLY_TX_SETTLE: return gateway_settle(state, tx);
    case TALLY_TX_STAKE: return underwriting_stake(state, tx, block_time);
    case TALLY_TX_UNSTAKE: return underwriting_unstake(state, tx);
    case TALLY_TX_MEMBER_FEE_PAY: return charges_fee_pay(state, tx, block_time);
    case TALLY_TX_PROPOSAL_CREATE: return governance_propose(state, tx, block_time);
    case TALLY_TX_PROPOSAL_VOTE: return governance_vote(state, tx, block_time);
    case TALLY_TX_PROPOSAL_CANCEL: return governance_cancel(state, tx, block_time);
    case TALLY_TX_CATEGORY_SET: return market_category_set(state, tx);
    case TALLY_TX_LISTING_CREATE: return market_listing_create(state, tx, block_time);
    case TALLY_TX_LISTING_UPDATE: return market_listing_update(state, tx, block_time);
    case TALLY_TX_LISTING_WITHDRAW: return market_listing_withdraw(state, tx, block_time);
    case TALLY_TX_ORDER_CREATE: return market_order_create(state, tx, block_time);
    case TALLY_TX_ORDER_ACCEPT:
    case TALLY_TX_ORDER_DECLINE:
    case TALLY_TX_ORDER_CANCEL:
    case TALLY_TX_ORDER_CONFIRM:
    case TALLY_TX_ORDER_DISPUTE:
    case TALLY_TX_ORDER_RESOLVE: return market_order_step(state, tx, block_time);
    case TALLY_TX_REVIEW: return market_review(state, tx);
    case TALLY_TX_VALIDATOR_PROPOSE: return validators_propose(state, tx, block_time);
    case TALLY_TX_VALIDATOR_APPROVE: return validators_approve(state, tx, block_time);
    }
    return result_error(TALLY_ERR_UNKNOWN_TX_TYPE);
}

void tally_tx_prepare(const tally_state *state, const tally_tx *tx, tally_tx_prepared *out) {
    memset(out, 0, sizeof *out);
    out->secret_tag = state->index_tag;
    out->signer = tx->signer;
    out->signer_hash = ledger_key_siphash(state, &tx->signer);
    if (tx->type == TALLY_TX_TRANSFER) {
        out->has_payee = true;
        out->payee = tx->body.transfer.payee;
        out->payee_hash = ledger_key_siphash(state, &tx->body.transfer.payee);
    }
}

/* The keys tx's lookups take, hashed once: from `prepared` when it was made for
 * this state's secret and these keys. */
static void remember_keys(tally_state *state, const tally_tx *tx, const tally_tx_prepared *prepared) {
    bool usable = prepared && prepared->secret_tag == state->index_tag;
    if (usable && memcmp(prepared->signer.bytes, tx->signer.bytes, TALLY_KEY_BYTES) == 0)
        ledger_remember_key_hash(state, 0, &tx->signer, prepared->signer_hash);
    else
        ledger_remember_key(state, 0, &tx->signer);
    if (tx->type != TALLY_TX_TRANSFER) return;
    const tally_key *payee = &tx->body.transfer.payee;
    if (usable && prepared->has_payee && memcmp(prepared->payee.bytes, payee->bytes, TALLY_KEY_BYTES) == 0)
        ledger_remember_key_hash(state, 1, payee, prepared->payee_hash);
    else
        ledger_remember_key(state, 1, payee);
}

tally_result tally_apply(tally_state *state, const tally_tx *tx, int64_t block_time) {
    return tally_apply_prepared(state, tx, NULL, block_time);
}

tally_result tally_apply_prepared(tally_state *state, const tally_tx *tx, const tally_tx_prepared *prepared,
                                  int64_t block_time) {
    assert(state && tx);
    if (memcmp(tx->chain_id, state->chain_id, TALLY_CHAIN_ID_BYTES) != 0)
        return result_error(TALLY_ERR_WRONG_CHAIN);
    if (tally_key_is_system(&tx->signer)) return result_error(TALLY_ERR_SYSTEM_SIGNER);
    if (tx->type < TALLY_TX_TYPE_FIRST || tx->type > TALLY_TX_TYPE_LAST)
        return result_error(TALLY_ERR_UNKNOWN_TX_TYPE);
    /* Growing tables here, before any lookup, keeps handlers free of allocation
     * failures and of pointers into tables that move: after this point a transaction
     * is refused only by the rules. Only the tables this type grows are touched, so
     * a full table refuses only what would grow it. */
    remember_keys(state, tx, prepared);
    /* The account by position: growing the tables may move it. */
    const ledger_account *found = ledger_account_find(state, &tx->signer);
    uint32_t account_index = found ? (uint32_t)(found - state->accounts) : UINT32_MAX;
    if (!ledger_reserve(state, tx, found != NULL)) return result_error(TALLY_ERR_STATE_FULL);
    uint64_t expected = found ? state->accounts[account_index].next_sequence : 1;
    if (tx->sequence != expected) {
        tally_result refused = result_error(TALLY_ERR_BAD_SEQUENCE);
        refused.available = (int64_t)expected;
        return refused;
    }
    /* In a network its members govern, an operator's change is a proposal. */
    tally_error governed = governance_refusal(state, tx);
    if (governed != TALLY_OK) return result_error(governed);
    tally_result result = ledger_dispatch(state, tx, block_time);
    if (result.code != TALLY_OK) return result;
    /* A new signer's account is made here, unless the handler made it (a first
     * network's daily count); handlers append, so a found one stayed in place. */
    ledger_account *account = found ? ledger_account_at(state, account_index) : ledger_account_get(state, &tx->signer);
    account->next_sequence++;
    return result;
}

tally_result tally_apply_signed(tally_state *state, const tally_tx *tx, int64_t block_time) {
    /* Cheap refusals first, so junk costs no signature check and gets its real code. */
    if (memcmp(tx->chain_id, state->chain_id, TALLY_CHAIN_ID_BYTES) != 0)
        return result_error(TALLY_ERR_WRONG_CHAIN);
    if (tx->type < TALLY_TX_TYPE_FIRST || tx->type > TALLY_TX_TYPE_LAST)
        return result_error(TALLY_ERR_UNKNOWN_TX_TYPE);
    if (!tally_tx_verify(tx)) return result_error(TALLY_ERR_BAD_SIGNATURE);
    return tally_apply(state, tx, block_time);
}

/* The due heap, drained in order. A due time of INT64_MAX never comes (see credit.c).
 * At most TALLY_BLOCK_DUES_MAX entries a block that do something: what is left is
 * still due, so the next block takes it (the node makes that block at once). A stale
 * entry (its record moved on since it was queued: a listing updated, a line unfrozen,
 * a hold ended) is popped without counting: a node that loaded its state from a
 * snapshot queues none, and both must end every block alike. */
static void process_due(tally_state *state, int64_t block_time, ledger_block_end *end) {
    ledger_due due;
    while (end->dues < TALLY_BLOCK_DUES_MAX && ledger_due_peek(state, &due) && due.due_time <= block_time &&
           due.due_time != INT64_MAX) {
        ledger_due_pop(state);
        end->dues++; /* counted as it runs: a charge round spends what is left of the budget */
        bool live = false;
        switch ((ledger_due_kind)due.kind) {
        case DUE_LINE: live = credit_line_due(state, due.index, due.due_time, block_time, end); break;
        case DUE_POLICY_CHANGE:
            live = network_policy_change_due(state, ledger_network(state, due.index + 1), due.due_time, end);
            break;
        case DUE_PEG_CHANGE:
            live = network_peg_change_due(state, ledger_network(state, due.index + 1), due.due_time, end);
            break;
        case DUE_PENDING: live = pending_due(state, due.index, due.due_time, block_time, end); break;
        case DUE_REQUEST: live = request_due(state, due.index, due.due_time, end); break;
        case DUE_HEALTH: live = health_period_due(state, ledger_network(state, due.index + 1), due.due_time, end); break;
        case DUE_CHARGES:
            live = charges_due(state, ledger_network(state, due.index + 1), due.due_time, block_time, end);
            break;
        case DUE_PROPOSAL: live = governance_due(state, due.index, due.due_time, block_time, end); break;
        case DUE_LISTING: live = market_listing_due(state, due.index, due.due_time, end); break;
        }
        if (!live) end->dues--;
    }
}

void ledger_event(ledger_block_end *end, tally_event_kind kind, uint32_t network_id, const tally_key *member,
                  int64_t amount, int64_t time) {
    if (end->on_event == NULL) return;
    tally_event event;
    memset(&event, 0, sizeof event);
    event.kind = (uint8_t)kind;
    event.network_id = network_id;
    if (member != NULL) event.member = *member;
    event.amount = amount;
    event.time = time;
    end->on_event(end->context, &event);
}

const char *tally_event_kind_name(uint8_t kind) {
    switch ((tally_event_kind)kind) {
    case TALLY_EVENT_LINE_RENEWED: return "line_renewed";
    case TALLY_EVENT_LINE_EXPIRED: return "line_expired";
    case TALLY_EVENT_LINE_FROZEN: return "line_frozen";
    case TALLY_EVENT_LINE_UNFROZEN: return "line_unfrozen";
    case TALLY_EVENT_LINE_DEFAULTED: return "line_defaulted";
    case TALLY_EVENT_LOST_DEBT_COVERED: return "lost_debt_covered";
    case TALLY_EVENT_RESERVE_REALLOCATED: return "reserve_reallocated";
    case TALLY_EVENT_POLICY_CHANGED: return "policy_changed";
    case TALLY_EVENT_PEG_CHANGED: return "peg_changed";
    case TALLY_EVENT_PENDING_RELEASED: return "pending_released";
    case TALLY_EVENT_PENDING_REFUNDED: return "pending_refunded";
    case TALLY_EVENT_REQUEST_EXPIRED: return "request_expired";
    case TALLY_EVENT_HEALTH_RECORDED: return "health_recorded";
    case TALLY_EVENT_STAKE_SLASHED: return "stake_slashed";
    case TALLY_EVENT_LIMIT_SET: return "limit_set";
    case TALLY_EVENT_DEMURRAGE_CHARGED: return "demurrage_charged";
    case TALLY_EVENT_MEMBERSHIP_FEE_CHARGED: return "membership_fee_charged";
    case TALLY_EVENT_FEE_SUSPENDED: return "fee_suspended";
    case TALLY_EVENT_PROPOSAL_PASSED: return "proposal_passed";
    case TALLY_EVENT_PROPOSAL_REJECTED: return "proposal_rejected";
    case TALLY_EVENT_PROPOSAL_EXECUTED: return "proposal_executed";
    case TALLY_EVENT_LISTING_EXPIRED: return "listing_expired";
    case TALLY_EVENT_ORDER_RELEASED: return "order_released";
    case TALLY_EVENT_ORDER_EXPIRED: return "order_expired";
    case TALLY_EVENT_ORDER_HELD: return "order_held";
    }
    return NULL;
}

bool tally_event_kind_has_member(uint8_t kind) {
    return (kind >= TALLY_EVENT_LINE_RENEWED && kind <= TALLY_EVENT_LINE_DEFAULTED) ||
           kind == TALLY_EVENT_PENDING_RELEASED || kind == TALLY_EVENT_PENDING_REFUNDED ||
           kind == TALLY_EVENT_REQUEST_EXPIRED || kind >= TALLY_EVENT_STAKE_SLASHED;
}

tally_block_summary tally_end_block_events(tally_state *state, int64_t block_time, tally_event_fn *on_event,
                                           void *context) {
    ledger_block_end end;
    memset(&end, 0, sizeof end);
    end.on_event = on_event;
    end.context = context;
    /* Nothing here allocates: each due entry is popped before anything it causes is
     * pushed (a line's next period), so the heap never outgrows what transactions
     * reserved. Announced changes come before reallocation: a new target RTD moves
     * excess the block it takes effect. */
    process_due(state, block_time, &end);
    for (uint32_t i = 0; i < state->network_count; i++) {
        tally_network *network = &state->networks[i];
        int64_t moved = pool_reallocate(state, network);
        if (moved == 0) continue;
        end.summary.reserve_reallocated = saturating_add(end.summary.reserve_reallocated, moved);
        ledger_event(&end, TALLY_EVENT_RESERVE_REALLOCATED, network->id, NULL, moved, 0);
    }
    return end.summary;
}

tally_block_summary tally_end_block(tally_state *state, int64_t block_time) {
    return tally_end_block_events(state, block_time, NULL, NULL);
}
