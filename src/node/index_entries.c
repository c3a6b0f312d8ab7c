/*
 * index_entries.c: what a committed transaction writes into the histories (the list
 * is at the top of index.h): one credit entry per (network, account) whose balance
 * it changes or that it is about, one asset entry per reserve movement. Needs only
 * the transaction, its recorded result and, for pool transactions, the network's
 * reserve asset; no SQL, no state. index_writer.c stores what this returns.
 */
#include "node/index_internal.h"

#include <sodium.h>

static bool key_equal(const tally_key *a, const tally_key *b) {
    return memcmp(a->bytes, b->bytes, TALLY_KEY_BYTES) == 0;
}

/* counterparty NULL (or the member itself) for none. */
static credit_entry *add_credit(tx_entries *entries, uint32_t network_id, const tally_key *member, int64_t amount,
                                int64_t fee, const tally_key *counterparty) {
    assert(entries->credit_count < CREDIT_ENTRIES_MAX);
    credit_entry *entry = &entries->credit[entries->credit_count++];
    memset(entry, 0, sizeof *entry);
    entry->network_id = network_id;
    entry->member = *member;
    entry->amount = amount;
    entry->fee = fee;
    entry->has_counterparty = counterparty && !key_equal(counterparty, member);
    if (entry->has_counterparty) entry->counterparty = *counterparty;
    return entry;
}

static void add_asset(tx_entries *entries, uint32_t asset_id, const tally_key *member, int64_t amount,
                      const tally_key *counterparty) {
    assert(entries->asset_count < ASSET_ENTRIES_MAX);
    asset_entry *entry = &entries->asset[entries->asset_count++];
    memset(entry, 0, sizeof *entry);
    entry->asset_id = asset_id;
    entry->member = *member;
    entry->amount = amount;
    entry->has_counterparty = counterparty && !key_equal(counterparty, member);
    if (entry->has_counterparty) entry->counterparty = *counterparty;
}

bool index_tx_network(const tally_tx *tx, const tally_result *result, uint32_t *network_id) {
    switch ((tally_tx_type)tx->type) {
    case TALLY_TX_NETWORK_CREATE: *network_id = result->created_id; return true;
    case TALLY_TX_POLICY_UPDATE: *network_id = tx->body.policy_update.network_id; return true;
    case TALLY_TX_PEG_SET: *network_id = tx->body.peg_set.network_id; return true;
    case TALLY_TX_OPERATOR_ADD:
    case TALLY_TX_OPERATOR_REMOVE:
    case TALLY_TX_MEMBER_ADMIT:
    case TALLY_TX_MEMBER_SUSPEND:
    case TALLY_TX_MEMBER_REINSTATE:
    case TALLY_TX_LINE_CLOSE: *network_id = tx->body.network_key.network_id; return true;
    case TALLY_TX_MEMBER_JOIN:
    case TALLY_TX_MEMBER_LEAVE: *network_id = tx->body.network_only.network_id; return true;
    case TALLY_TX_ALIAS_SET: *network_id = tx->body.alias_set.network_id; return true;
    case TALLY_TX_LINE_OPEN: *network_id = tx->body.line_open.network_id; return true;
    case TALLY_TX_LINE_UPDATE: *network_id = tx->body.line_update.network_id; return true;
    case TALLY_TX_TRANSFER: *network_id = tx->body.transfer.network_id; return true;
    case TALLY_TX_TRANSFER_BATCH: *network_id = tx->body.transfer_batch.network_id; return true;
    case TALLY_TX_PENDING_CREATE: *network_id = tx->body.pending_create.network_id; return true;
    case TALLY_TX_REQUEST_CREATE: *network_id = tx->body.request_create.network_id; return true;
    case TALLY_TX_GATEWAY_PROPOSE: *network_id = tx->body.gateway_propose.network_a; return true;
    case TALLY_TX_TRANSFER_CROSS: *network_id = tx->body.transfer_cross.network_id; return true;
    case TALLY_TX_GATEWAY_UPDATE: *network_id = tx->body.gateway_update.network_id; return true;
    case TALLY_TX_GATEWAY_FREEZE: *network_id = tx->body.gateway_freeze.network_id; return true;
    case TALLY_TX_SETTLE: *network_id = tx->body.settle.network_id; return true;
    case TALLY_TX_STAKE:
    case TALLY_TX_UNSTAKE: *network_id = tx->body.stake.network_id; return true;
    case TALLY_TX_MEMBER_FEE_PAY: *network_id = tx->body.network_only.network_id; return true;
    case TALLY_TX_PROPOSAL_CREATE: *network_id = tx->body.proposal_create.network_id; return true;
    /* a vote or cancel names its proposal: index_writer.c places it by the proposals
     * table, in the voter's (the proposer's) history in the proposal's network */
    case TALLY_TX_PROPOSAL_VOTE:
    case TALLY_TX_PROPOSAL_CANCEL: return false;
    /* an accept or close names its gateway (WIP, issue 11: placed by a table of
     * gateways as holds are; today in no network's activity) */
    case TALLY_TX_GATEWAY_ACCEPT:
    case TALLY_TX_GATEWAY_CLOSE:
    case TALLY_TX_CLEARING: return false;
    /* a post or void names its hold, a payment or cancel its request: index_writer.c
     * places them by the holds and requests tables */
    case TALLY_TX_PENDING_POST:
    case TALLY_TX_PENDING_VOID:
    case TALLY_TX_REQUEST_PAY:
    case TALLY_TX_REQUEST_CANCEL: return false;
    case TALLY_TX_CATEGORY_SET: *network_id = tx->body.category_set.network_id; return true;
    case TALLY_TX_LISTING_CREATE: *network_id = tx->body.listing.network_id; return true;
    /* the marketplace's later steps name their listing or order: placed by the
     * index's tables of them */
    case TALLY_TX_LISTING_UPDATE:
    case TALLY_TX_LISTING_WITHDRAW:
    case TALLY_TX_ORDER_CREATE:
    case TALLY_TX_ORDER_ACCEPT:
    case TALLY_TX_ORDER_DECLINE:
    case TALLY_TX_ORDER_CANCEL:
    case TALLY_TX_ORDER_CONFIRM:
    case TALLY_TX_ORDER_DISPUTE:
    case TALLY_TX_ORDER_RESOLVE:
    case TALLY_TX_REVIEW: return false;
    case TALLY_TX_POOL_DEPOSIT:
    case TALLY_TX_POOL_WITHDRAW:
    case TALLY_TX_POOL_REPAY:
    case TALLY_TX_POOL_REDEEM: *network_id = tx->body.pool_amount.network_id; return true;
    case TALLY_TX_FEE_DISTRIBUTE: *network_id = tx->body.fee_distribute.network_id; return true;
    case TALLY_TX_ASSET_CREATE:
    case TALLY_TX_ASSET_ISSUE:
    case TALLY_TX_ASSET_TRANSFER:
    case TALLY_TX_ASSET_BURN:
    case TALLY_TX_CHAIN_APPROVE:
    case TALLY_TX_VALIDATOR_PROPOSE:
    case TALLY_TX_VALIDATOR_APPROVE: return false;
    }
    return false;
}

bool index_tx_asset(const tally_tx *tx, const tally_result *result, uint32_t *asset_id) {
    switch (tx->type) {
    case TALLY_TX_ASSET_CREATE: *asset_id = result->created_id; return true;
    case TALLY_TX_ASSET_ISSUE:
    case TALLY_TX_ASSET_TRANSFER: *asset_id = tx->body.asset_move.asset_id; return true;
    case TALLY_TX_ASSET_BURN: *asset_id = tx->body.asset_burn.asset_id; return true;
    case TALLY_TX_PEG_SET: *asset_id = tx->body.peg_set.asset_id; return tx->body.peg_set.asset_id != 0;
    default: return false;
    }
}

/* The pool's reserve movements of a pool transaction, in asset reserve_asset_id
 * (0 when the index has seen no peg: then there is nothing to record). */
static void pool_asset_entries(const tally_tx *tx, const tally_result *result, uint32_t reserve_asset_id,
                               tx_entries *entries) {
    if (reserve_asset_id == 0 || result->reserve == 0) return;
    tally_key pool = tally_system_key(tx->body.pool_amount.network_id, TALLY_SYSTEM_POOL);
    bool into_pool = tx->type == TALLY_TX_POOL_DEPOSIT || tx->type == TALLY_TX_POOL_REPAY;
    int64_t signer_amount = into_pool ? -result->reserve : result->reserve;
    add_asset(entries, reserve_asset_id, &tx->signer, signer_amount, &pool);
    add_asset(entries, reserve_asset_id, &pool, -signer_amount, &tx->signer);
}

/* A hold's money moving: the payer pays amount and fee, the payee and the fee account
 * receive them. */
static void hold_posted(tx_entries *entries, const index_hold *hold, int64_t amount, int64_t fee) {
    add_credit(entries, hold->network_id, &hold->payer, -amount, fee, &hold->payee);
    add_credit(entries, hold->network_id, &hold->payee, amount, 0, &hold->payer);
    if (fee != 0) {
        tally_key fees = tally_system_key(hold->network_id, TALLY_SYSTEM_FEES);
        add_credit(entries, hold->network_id, &fees, fee, 0, &hold->payer);
    }
}

/* An order's money reaching its seller as a hold's post (ORDER_CONFIRM, a
 * resolution, a release): the buyer pays amount and fee, the seller and the fee
 * account receive them; amount 0: both sides' entries of a step that moves none. */
static void order_paid(tx_entries *entries, const index_order *order, int64_t amount, int64_t fee) {
    index_hold hold = {order->hold_id, order->network_id, order->buyer, order->seller, order->amount, order->fee};
    if (amount != 0 || fee != 0) {
        hold_posted(entries, &hold, amount, fee);
        return;
    }
    add_credit(entries, order->network_id, &order->buyer, 0, 0, &order->seller);
    add_credit(entries, order->network_id, &order->seller, 0, 0, &order->buyer);
}

/* A payment request's two sides: its maker, and whom it asks (when it names one). */
static void request_noted(tx_entries *entries, const index_request *request) {
    add_credit(entries, request->network_id, &request->payee, 0, 0, request->has_payer ? &request->payer : NULL);
    if (request->has_payer) add_credit(entries, request->network_id, &request->payer, 0, 0, &request->payee);
}

void index_entries_of(const tally_tx *tx, const tally_result *result, uint32_t reserve_asset_id,
                      index_subject subject, tx_entries *entries) {
    const index_hold *hold = subject.hold;
    /* The counts only: add_* clear each entry they fill (a batch's room is 50 KB). */
    entries->credit_count = entries->asset_count = 0;
    uint32_t network_id = 0;
    bool has_network = index_tx_network(tx, result, &network_id);
    switch ((tally_tx_type)tx->type) {
    case TALLY_TX_NETWORK_CREATE:
    case TALLY_TX_POLICY_UPDATE:
    case TALLY_TX_PEG_SET:
    case TALLY_TX_MEMBER_JOIN:
    case TALLY_TX_MEMBER_LEAVE:
    case TALLY_TX_ALIAS_SET:
    case TALLY_TX_GATEWAY_PROPOSE:
    case TALLY_TX_GATEWAY_UPDATE:
    case TALLY_TX_GATEWAY_FREEZE:
    case TALLY_TX_SETTLE: add_credit(entries, network_id, &tx->signer, 0, 0, NULL); break;
    case TALLY_TX_GATEWAY_ACCEPT:
    case TALLY_TX_GATEWAY_CLOSE:
    case TALLY_TX_CLEARING: break; /* WIP: see index_tx_network */
    case TALLY_TX_CATEGORY_SET:
    case TALLY_TX_LISTING_CREATE: add_credit(entries, network_id, &tx->signer, 0, 0, NULL); break;
    /* the marketplace's later steps, placed by the index's listings and orders */
    case TALLY_TX_LISTING_UPDATE:
    case TALLY_TX_LISTING_WITHDRAW:
        if (subject.listing) add_credit(entries, subject.listing->network_id, &tx->signer, 0, 0, NULL);
        break;
    case TALLY_TX_ORDER_CREATE:
        /* a hold moves no balance: as PENDING_CREATE, both sides at amount 0 */
        if (subject.listing) {
            const index_listing_brief *listing = subject.listing;
            add_credit(entries, listing->network_id, &tx->signer, 0, 0, &listing->seller);
            add_credit(entries, listing->network_id, &listing->seller, 0, 0, &tx->signer);
        }
        break;
    case TALLY_TX_ORDER_CONFIRM:
        if (subject.order) order_paid(entries, subject.order, subject.order->amount, result->fee);
        break;
    case TALLY_TX_ORDER_RESOLVE:
        if (subject.order) order_paid(entries, subject.order, tx->body.order_step.amount, result->fee);
        break;
    case TALLY_TX_ORDER_ACCEPT:
    case TALLY_TX_ORDER_DECLINE:
    case TALLY_TX_ORDER_CANCEL:
    case TALLY_TX_ORDER_DISPUTE:
    case TALLY_TX_REVIEW:
        if (subject.order) order_paid(entries, subject.order, 0, 0);
        break;
    case TALLY_TX_TRANSFER_CROSS: {
        /* The payer's leg as a transfer to the first mirror account, and the payee's
         * receipt (the result's `available`) in the network the path reached. WIP
         * (issue 11): the hops' entries (mirror accounts and fees past the first
         * network) need the amounts of each hop, which a block does not record. */
        const tally_tx_transfer_cross *body = &tx->body.transfer_cross;
        if (subject.path_hops == 0) break;
        tally_key first = tally_gateway_key(network_id, subject.path_networks[1]);
        add_credit(entries, network_id, &tx->signer, -body->amount, result->fee, &body->payee);
        add_credit(entries, network_id, &first, body->amount, 0, &tx->signer);
        if (result->fee != 0) {
            tally_key fees = tally_system_key(network_id, TALLY_SYSTEM_FEES);
            add_credit(entries, network_id, &fees, result->fee, 0, &tx->signer);
        }
        add_credit(entries, subject.path_networks[subject.path_hops], &body->payee, result->available, 0, &tx->signer);
        break;
    }
    case TALLY_TX_OPERATOR_ADD:
    case TALLY_TX_OPERATOR_REMOVE:
    case TALLY_TX_MEMBER_ADMIT:
    case TALLY_TX_MEMBER_SUSPEND:
    case TALLY_TX_MEMBER_REINSTATE:
    case TALLY_TX_LINE_CLOSE:
        add_credit(entries, network_id, &tx->body.network_key.key, 0, 0, &tx->signer);
        break;
    case TALLY_TX_LINE_OPEN:
        add_credit(entries, network_id, &tx->body.line_open.member, 0, 0, &tx->signer);
        break;
    case TALLY_TX_LINE_UPDATE:
        add_credit(entries, network_id, &tx->body.line_update.member, 0, 0, &tx->signer);
        break;
    case TALLY_TX_PENDING_CREATE:
        /* a hold moves no balance: an entry of amount 0 for the payer and the payee */
        add_credit(entries, network_id, &tx->signer, 0, 0, &tx->body.pending_create.payee);
        add_credit(entries, network_id, &tx->body.pending_create.payee, 0, 0, &tx->signer);
        break;
    case TALLY_TX_PENDING_POST:
        if (hold) hold_posted(entries, hold, tx->body.pending_end.amount, result->fee);
        break;
    case TALLY_TX_PENDING_VOID:
        if (hold) {
            add_credit(entries, hold->network_id, &hold->payer, 0, 0, &hold->payee);
            add_credit(entries, hold->network_id, &hold->payee, 0, 0, &hold->payer);
        }
        break;
    case TALLY_TX_REQUEST_CREATE: {
        static const tally_key zero;
        const tally_tx_request_create *body = &tx->body.request_create;
        bool names_payer = memcmp(body->payer.bytes, zero.bytes, TALLY_KEY_BYTES) != 0;
        add_credit(entries, network_id, &tx->signer, 0, 0, names_payer ? &body->payer : NULL);
        if (names_payer) add_credit(entries, network_id, &body->payer, 0, 0, &tx->signer);
        break;
    }
    case TALLY_TX_REQUEST_PAY:
        /* a transfer of the request's amount to its maker (its row carries the memo) */
        if (subject.request) {
            const index_request *request = subject.request;
            add_credit(entries, request->network_id, &tx->signer, -request->amount, result->fee, &request->payee);
            add_credit(entries, request->network_id, &request->payee, request->amount, 0, &tx->signer);
            if (result->fee != 0) {
                tally_key fees = tally_system_key(request->network_id, TALLY_SYSTEM_FEES);
                add_credit(entries, request->network_id, &fees, result->fee, 0, &tx->signer);
            }
        }
        break;
    case TALLY_TX_REQUEST_CANCEL:
        if (subject.request) request_noted(entries, subject.request);
        break;
    case TALLY_TX_TRANSFER: {
        const tally_tx_transfer *body = &tx->body.transfer;
        add_credit(entries, network_id, &tx->signer, -body->amount, result->fee, &body->payee);
        add_credit(entries, network_id, &body->payee, body->amount, 0, &tx->signer);
        if (result->fee != 0) {
            tally_key fees = tally_system_key(network_id, TALLY_SYSTEM_FEES);
            add_credit(entries, network_id, &fees, result->fee, 0, &tx->signer);
        }
        break;
    }
    case TALLY_TX_FEE_DISTRIBUTE: {
        const tally_tx_fee_distribute *body = &tx->body.fee_distribute;
        tally_key fees = tally_system_key(network_id, TALLY_SYSTEM_FEES);
        tally_key to = body->to_pool ? tally_system_key(network_id, TALLY_SYSTEM_POOL) : body->to;
        add_credit(entries, network_id, &fees, -body->amount, 0, &to);
        add_credit(entries, network_id, &to, body->amount, 0, &fees);
        break;
    }
    case TALLY_TX_POOL_DEPOSIT:
    case TALLY_TX_POOL_WITHDRAW:
        add_credit(entries, network_id, &tx->signer, 0, 0, NULL);
        pool_asset_entries(tx, result, reserve_asset_id, entries);
        break;
    case TALLY_TX_POOL_REPAY:
    case TALLY_TX_POOL_REDEEM: {
        tally_key lost = tally_system_key(network_id, TALLY_SYSTEM_LOST_DEBT);
        int64_t credits = tx->type == TALLY_TX_POOL_REPAY ? tx->body.pool_amount.amount : -result->burned;
        add_credit(entries, network_id, &tx->signer, credits, 0, &lost);
        add_credit(entries, network_id, &lost, -credits, 0, &tx->signer);
        pool_asset_entries(tx, result, reserve_asset_id, entries);
        break;
    }
    case TALLY_TX_ASSET_CREATE: add_asset(entries, result->created_id, &tx->signer, 0, NULL); break;
    case TALLY_TX_ASSET_ISSUE: {
        const tally_tx_asset_move *body = &tx->body.asset_move;
        add_asset(entries, body->asset_id, &body->to, body->amount, &tx->signer);
        break;
    }
    case TALLY_TX_ASSET_TRANSFER: {
        const tally_tx_asset_move *body = &tx->body.asset_move;
        add_asset(entries, body->asset_id, &tx->signer, -body->amount, &body->to);
        add_asset(entries, body->asset_id, &body->to, body->amount, &tx->signer);
        break;
    }
    case TALLY_TX_ASSET_BURN:
        add_asset(entries, tx->body.asset_burn.asset_id, &tx->signer, -tx->body.asset_burn.amount, NULL);
        break;
    case TALLY_TX_CHAIN_APPROVE:
    case TALLY_TX_VALIDATOR_PROPOSE:
    case TALLY_TX_VALIDATOR_APPROVE: break; /* chain-wide: no network's or asset's history */
    case TALLY_TX_STAKE:
    case TALLY_TX_UNSTAKE: {
        /* No credits move: both sides' histories show it; the reserve moves between
         * the underwriter and the network's underwriting account. */
        const tally_tx_stake *body = &tx->body.stake;
        add_credit(entries, network_id, &tx->signer, 0, 0, &body->member);
        add_credit(entries, network_id, &body->member, 0, 0, &tx->signer);
        if (reserve_asset_id != 0 && result->reserve != 0) {
            tally_key account = tally_system_key(network_id, TALLY_SYSTEM_UNDERWRITING);
            int64_t moved = tx->type == TALLY_TX_STAKE ? -result->reserve : result->reserve;
            add_asset(entries, reserve_asset_id, &tx->signer, moved, &account);
            add_asset(entries, reserve_asset_id, &account, -moved, &tx->signer);
        }
        break;
    }
    case TALLY_TX_MEMBER_FEE_PAY:
        /* the fee it owed, paid to the fee account or the pool's (the policy's choice) */
        add_credit(entries, network_id, &tx->signer, 0, result->fee, NULL);
        break;
    case TALLY_TX_PROPOSAL_CREATE: add_credit(entries, network_id, &tx->signer, 0, 0, NULL); break;
    case TALLY_TX_PROPOSAL_VOTE:
    case TALLY_TX_PROPOSAL_CANCEL:
        if (subject.proposal) add_credit(entries, subject.proposal->network_id, &tx->signer, 0, 0, NULL);
        break;
    case TALLY_TX_TRANSFER_BATCH: {
        /* Each line as a transfer without its fee (the core charges each line's fee,
         * but a block records only their sum): the payer's -amount and the payee's
         * +amount, with the line's number and memo; then the payer's fees, all lines
         * together, against the fee account. */
        const tally_tx_transfer_batch *body = &tx->body.transfer_batch;
        for (uint16_t i = 0; i < body->line_count; i++) {
            const tally_batch_line *line = &body->lines[i];
            credit_entry *paid = add_credit(entries, network_id, &tx->signer, -line->amount, 0, &line->payee);
            credit_entry *received = add_credit(entries, network_id, &line->payee, line->amount, 0, &tx->signer);
            paid->line = received->line = (uint16_t)(i + 1);
            paid->memo = received->memo = line->memo.bytes;
            paid->memo_length = received->memo_length = line->memo.length;
        }
        if (result->fee != 0) {
            tally_key fees = tally_system_key(network_id, TALLY_SYSTEM_FEES);
            add_credit(entries, network_id, &tx->signer, 0, result->fee, &fees);
            add_credit(entries, network_id, &fees, result->fee, 0, &tx->signer);
        }
        break;
    }
    }
    assert(entries->credit_count == 0 || has_network || hold || subject.request || subject.proposal ||
           subject.path_hops || subject.listing || subject.order);
    (void)has_network;
}

/* ------------------------------------------------------------------------ */
/* Events of a block's end.                                                  */
/* ------------------------------------------------------------------------ */

void index_entries_of_event(const tally_event *event, index_subject subject, tx_entries *entries) {
    const index_hold *hold = subject.hold;
    memset(entries, 0, sizeof *entries);
    tally_key lost = tally_system_key(event->network_id, TALLY_SYSTEM_LOST_DEBT);
    tally_key pool = tally_system_key(event->network_id, TALLY_SYSTEM_POOL);
    switch ((tally_event_kind)event->kind) {
    case TALLY_EVENT_LINE_RENEWED:
    case TALLY_EVENT_LINE_EXPIRED:
    case TALLY_EVENT_LINE_FROZEN:
    case TALLY_EVENT_LINE_UNFROZEN: add_credit(entries, event->network_id, &event->member, 0, 0, NULL); break;
    case TALLY_EVENT_LINE_DEFAULTED:
        add_credit(entries, event->network_id, &event->member, event->amount, 0, &lost);
        add_credit(entries, event->network_id, &lost, -event->amount, 0, &event->member);
        break;
    case TALLY_EVENT_LOST_DEBT_COVERED:
        add_credit(entries, event->network_id, &pool, -event->amount, 0, &lost);
        add_credit(entries, event->network_id, &lost, event->amount, 0, &pool);
        break;
    case TALLY_EVENT_RESERVE_REALLOCATED: add_credit(entries, event->network_id, &pool, 0, 0, NULL); break;
    case TALLY_EVENT_POLICY_CHANGED:
    case TALLY_EVENT_PEG_CHANGED:
    case TALLY_EVENT_HEALTH_RECORDED: break; /* about the network: in no member's history */
    /* a release posts it all: the whole fee held */
    case TALLY_EVENT_PENDING_RELEASED:
        if (hold) hold_posted(entries, hold, hold->amount, hold->fee);
        break;
    case TALLY_EVENT_PENDING_REFUNDED: add_credit(entries, event->network_id, &event->member, 0, 0, NULL); break;
    case TALLY_EVENT_REQUEST_EXPIRED:
        if (subject.request) request_noted(entries, subject.request);
        else add_credit(entries, event->network_id, &event->member, 0, 0, NULL);
        break;
    /* a slash moves reserve, a limit or a suspension no balance */
    case TALLY_EVENT_STAKE_SLASHED:
    case TALLY_EVENT_LIMIT_SET:
    case TALLY_EVENT_FEE_SUSPENDED: add_credit(entries, event->network_id, &event->member, 0, 0, NULL); break;
    /* charges leave the member's balance for the fee account or the pool's */
    case TALLY_EVENT_DEMURRAGE_CHARGED:
    case TALLY_EVENT_MEMBERSHIP_FEE_CHARGED:
        add_credit(entries, event->network_id, &event->member, 0, event->amount, NULL);
        break;
    /* a proposal's end, in its proposer's history */
    case TALLY_EVENT_PROPOSAL_PASSED:
    case TALLY_EVENT_PROPOSAL_REJECTED:
    case TALLY_EVENT_PROPOSAL_EXECUTED: add_credit(entries, event->network_id, &event->member, 0, 0, NULL); break;
    /* the marketplace: a release pays the seller what the event says with the whole
     * fee held; an expiry (a refund) or a hold (the seller's cap) moves nothing, in
     * both sides' histories; an order the index has not seen, in the named member's */
    case TALLY_EVENT_LISTING_EXPIRED: add_credit(entries, event->network_id, &event->member, 0, 0, NULL); break;
    case TALLY_EVENT_ORDER_RELEASED:
    case TALLY_EVENT_ORDER_EXPIRED:
    case TALLY_EVENT_ORDER_HELD:
        if (!subject.order)
            add_credit(entries, event->network_id, &event->member, 0, 0, NULL);
        else if (event->kind == TALLY_EVENT_ORDER_RELEASED)
            order_paid(entries, subject.order, event->amount, subject.order->fee);
        else
            order_paid(entries, subject.order, 0, 0);
        break;
    }
}

bool index_type_is_event(uint8_t type) {
    return type > INDEX_EVENT_TYPE_BASE && tally_event_kind_name((uint8_t)(type - INDEX_EVENT_TYPE_BASE)) != NULL;
}

bool index_type_is_escrow(uint8_t type) {
    return type >= TALLY_TX_PENDING_CREATE && type <= TALLY_TX_REQUEST_CANCEL;
}

const char *index_type_name(uint8_t type) {
    if (type >= INDEX_EVENT_TYPE_BASE) return tally_event_kind_name((uint8_t)(type - INDEX_EVENT_TYPE_BASE));
    return tally_tx_type_name(type);
}

void index_event_id(const uint8_t block_hash[TALLY_HASH_BYTES], uint32_t number, uint8_t out[TALLY_HASH_BYTES]) {
    static const char tag[] = "tally-event";
    uint8_t bytes[sizeof tag - 1 + TALLY_HASH_BYTES + 4];
    memcpy(bytes, tag, sizeof tag - 1);
    memcpy(bytes + sizeof tag - 1, block_hash, TALLY_HASH_BYTES);
    for (unsigned i = 0; i < 4; i++) bytes[sizeof tag - 1 + TALLY_HASH_BYTES + i] = (uint8_t)(number >> (8 * i));
    crypto_generichash(out, TALLY_HASH_BYTES, bytes, sizeof bytes, NULL, 0);
}
