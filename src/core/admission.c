/*
 * admission.c: who may sign what. tally_tx_admissible answers, from the state alone
 * and without changing it, whether a transaction's signer holds the standing its
 * type needs: a current member of the network (transfers and batches, aliases, leaving, repaying
 * and redeeming in the pool), an operator of the network (its policy, peg, operators,
 * members, lines and fees), the issuer of the asset (issuing, burning), a holder of
 * the asset (moving it; depositing the pool's reserve asset) or of pool shares
 * (withdrawing them), a validator (approvals). Founding a network and creating an
 * asset need an approval left, or on an open chain what the day still allows.
 *
 * A node asks this before it spends a signature check, so a key that stands nowhere
 * pays for its junk with nothing but its own bandwidth. The refusals are the ones
 * the rule modules give for the same lack (NOT_MEMBER, NOT_OPERATOR, ...), checked
 * in the same order up to the first one about standing; amounts, balances and every
 * other rule are left to tally_apply in the block.
 */
#include "core/ledger.h"

#include <string.h>

static bool is_current_member(const tally_state *state, uint32_t network_id, const tally_key *key) {
    const tally_member *member = tally_state_member(state, network_id, key);
    return member && member->status != TALLY_MEMBER_LEFT;
}

/* Transfers, aliases, leaving: a member of an existing network. */
static tally_error member_standing(const tally_state *state, uint32_t network_id, const tally_key *signer) {
    if (!tally_state_network(state, network_id)) return TALLY_ERR_UNKNOWN_NETWORK;
    return is_current_member(state, network_id, signer) ? TALLY_OK : TALLY_ERR_NOT_MEMBER;
}

static tally_error operator_standing(const tally_state *state, uint32_t network_id, const tally_key *signer) {
    const tally_network *network = tally_state_network(state, network_id);
    if (!network) return TALLY_ERR_UNKNOWN_NETWORK;
    return network_is_operator(network, signer) ? TALLY_OK : TALLY_ERR_NOT_OPERATOR;
}

/* Joining by oneself: the network exists and lets anyone in. */
static tally_error join_standing(const tally_state *state, uint32_t network_id) {
    const tally_network *network = tally_state_network(state, network_id);
    if (!network) return TALLY_ERR_UNKNOWN_NETWORK;
    return network->policy.membership_mode == TALLY_MEMBERSHIP_OPEN ? TALLY_OK : TALLY_ERR_ADMISSION_REQUIRED;
}

static tally_error issuer_standing(const tally_state *state, uint32_t asset_id, const tally_key *signer) {
    const tally_asset *asset = tally_state_asset(state, asset_id);
    if (!asset) return TALLY_ERR_UNKNOWN_ASSET;
    return memcmp(asset->issuer.bytes, signer->bytes, TALLY_KEY_BYTES) == 0 ? TALLY_OK : TALLY_ERR_NOT_ISSUER;
}

static tally_error holder_standing(const tally_state *state, uint32_t asset_id, const tally_key *signer) {
    if (!tally_state_asset(state, asset_id)) return TALLY_ERR_UNKNOWN_ASSET;
    return tally_state_asset_balance(state, asset_id, signer) > 0 ? TALLY_OK : TALLY_ERR_INSUFFICIENT_ASSET;
}

/* Pool transactions name a network whose pool has a reserve asset (pool.c checks
 * that first), then the signer's part in it. */
static tally_error pool_standing(const tally_state *state, const tally_tx *tx) {
    uint32_t network_id = tx->body.pool_amount.network_id;
    const tally_network *network = tally_state_network(state, network_id);
    if (!network) return TALLY_ERR_UNKNOWN_NETWORK;
    if (network->reserve_asset_id == 0) return TALLY_ERR_NO_RESERVE_ASSET;
    switch ((tally_tx_type)tx->type) {
    case TALLY_TX_POOL_DEPOSIT:
        return tally_state_asset_balance(state, network->reserve_asset_id, &tx->signer) > 0
                   ? TALLY_OK
                   : TALLY_ERR_INSUFFICIENT_ASSET;
    case TALLY_TX_POOL_WITHDRAW:
        return tally_state_pool_shares(state, network_id, &tx->signer) > 0 ? TALLY_OK : TALLY_ERR_INSUFFICIENT_SHARES;
    default: /* repay, redeem */
        return is_current_member(state, network_id, &tx->signer) ? TALLY_OK : TALLY_ERR_NOT_MEMBER;
    }
}

/* A payment to a request is a payment in the request's network; an unknown request
 * is the rules' to refuse. */
static tally_error request_payer_standing(const tally_state *state, uint32_t request_id, const tally_key *signer) {
    const tally_request *request = tally_state_request(state, request_id);
    return request ? member_standing(state, request->network_id, signer) : TALLY_OK;
}

/* An order is a payment in its listing's network; an unknown listing is the rules'. */
static tally_error listing_buyer_standing(const tally_state *state, uint32_t listing_id, const tally_key *signer) {
    const tally_listing *listing = tally_state_listing(state, listing_id);
    return listing ? member_standing(state, listing->network_id, signer) : TALLY_OK;
}

static tally_error standing(const tally_state *state, const tally_tx *tx, int64_t block_time);

tally_error tally_tx_admissible(const tally_state *state, const tally_tx *tx, int64_t block_time) {
    assert(state && tx);
    tally_error code = standing(state, tx, block_time);
    /* An operator of a network its members govern lacks the standing of one. */
    return code == TALLY_OK ? governance_refusal(state, tx) : code;
}

static tally_error standing(const tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_key *signer = &tx->signer;
    switch ((tally_tx_type)tx->type) {
    /* an approval left, or what the day still allows (the block counts what is pending) */
    case TALLY_TX_NETWORK_CREATE: return ledger_growth_check(state, signer, true, block_time);
    case TALLY_TX_ASSET_CREATE: return ledger_growth_check(state, signer, false, block_time);
    case TALLY_TX_CHAIN_APPROVE:
    case TALLY_TX_VALIDATOR_PROPOSE:
    case TALLY_TX_VALIDATOR_APPROVE: return ledger_is_validator(state, signer) ? TALLY_OK : TALLY_ERR_NOT_VALIDATOR;
    case TALLY_TX_MEMBER_JOIN: return join_standing(state, tx->body.network_only.network_id);
    case TALLY_TX_POLICY_UPDATE: return operator_standing(state, tx->body.policy_update.network_id, signer);
    case TALLY_TX_PEG_SET: return operator_standing(state, tx->body.peg_set.network_id, signer);
    case TALLY_TX_OPERATOR_ADD:
    case TALLY_TX_OPERATOR_REMOVE:
    case TALLY_TX_MEMBER_ADMIT:
    case TALLY_TX_MEMBER_SUSPEND:
    case TALLY_TX_MEMBER_REINSTATE:
    case TALLY_TX_LINE_CLOSE: return operator_standing(state, tx->body.network_key.network_id, signer);
    case TALLY_TX_LINE_OPEN: return operator_standing(state, tx->body.line_open.network_id, signer);
    case TALLY_TX_LINE_UPDATE: return operator_standing(state, tx->body.line_update.network_id, signer);
    case TALLY_TX_FEE_DISTRIBUTE: return operator_standing(state, tx->body.fee_distribute.network_id, signer);
    case TALLY_TX_MEMBER_LEAVE: return member_standing(state, tx->body.network_only.network_id, signer);
    case TALLY_TX_ALIAS_SET: return member_standing(state, tx->body.alias_set.network_id, signer);
    case TALLY_TX_TRANSFER: return member_standing(state, tx->body.transfer.network_id, signer);
    case TALLY_TX_TRANSFER_BATCH: return member_standing(state, tx->body.transfer_batch.network_id, signer);
    case TALLY_TX_TRANSFER_CROSS: return member_standing(state, tx->body.transfer_cross.network_id, signer);
    case TALLY_TX_PENDING_CREATE: return member_standing(state, tx->body.pending_create.network_id, signer);
    /* who may end a hold is the rules' (the payer, the payee or the resolver) */
    case TALLY_TX_PENDING_POST:
    case TALLY_TX_PENDING_VOID: return TALLY_OK;
    case TALLY_TX_REQUEST_CREATE: return member_standing(state, tx->body.request_create.network_id, signer);
    case TALLY_TX_REQUEST_PAY: return request_payer_standing(state, tx->body.request_end.request_id, signer);
    /* who may cancel is the rules' (the request's maker) */
    case TALLY_TX_REQUEST_CANCEL: return TALLY_OK;
    case TALLY_TX_GATEWAY_PROPOSE: return operator_standing(state, tx->body.gateway_propose.network_a, signer);
    case TALLY_TX_GATEWAY_UPDATE: return operator_standing(state, tx->body.gateway_update.network_id, signer);
    case TALLY_TX_GATEWAY_FREEZE: return operator_standing(state, tx->body.gateway_freeze.network_id, signer);
    case TALLY_TX_SETTLE: return operator_standing(state, tx->body.settle.network_id, signer);
    /* which side signs (B accepts; either closes) is the rules' */
    case TALLY_TX_GATEWAY_ACCEPT:
    case TALLY_TX_GATEWAY_CLOSE: return TALLY_OK;
    /* anyone may submit a clearing: the rules decide whether it only sets off */
    case TALLY_TX_CLEARING: return TALLY_OK;
    case TALLY_TX_ASSET_ISSUE: return issuer_standing(state, tx->body.asset_move.asset_id, signer);
    case TALLY_TX_ASSET_BURN: return issuer_standing(state, tx->body.asset_burn.asset_id, signer);
    case TALLY_TX_ASSET_TRANSFER: return holder_standing(state, tx->body.asset_move.asset_id, signer);
    case TALLY_TX_POOL_DEPOSIT:
    case TALLY_TX_POOL_WITHDRAW:
    case TALLY_TX_POOL_REPAY:
    case TALLY_TX_POOL_REDEEM: return pool_standing(state, tx);
    /* underwriters are members; what they may stake is the rules' */
    case TALLY_TX_STAKE:
    case TALLY_TX_UNSTAKE: return member_standing(state, tx->body.stake.network_id, signer);
    case TALLY_TX_MEMBER_FEE_PAY: return member_standing(state, tx->body.network_only.network_id, signer);
    case TALLY_TX_PROPOSAL_CREATE: return member_standing(state, tx->body.proposal_create.network_id, signer);
    /* who may vote or cancel is the rules' (the eligible set, the proposer) */
    case TALLY_TX_PROPOSAL_VOTE:
    case TALLY_TX_PROPOSAL_CANCEL: return TALLY_OK;
    /* the marketplace: operators name categories, members publish and order */
    case TALLY_TX_CATEGORY_SET: return operator_standing(state, tx->body.category_set.network_id, signer);
    case TALLY_TX_LISTING_CREATE: return member_standing(state, tx->body.listing.network_id, signer);
    case TALLY_TX_ORDER_CREATE: return listing_buyer_standing(state, tx->body.order_create.listing_id, signer);
    /* which side may take which step, and who reviews, is the rules' */
    case TALLY_TX_LISTING_UPDATE:
    case TALLY_TX_LISTING_WITHDRAW:
    case TALLY_TX_ORDER_ACCEPT:
    case TALLY_TX_ORDER_DECLINE:
    case TALLY_TX_ORDER_CANCEL:
    case TALLY_TX_ORDER_CONFIRM:
    case TALLY_TX_ORDER_DISPUTE:
    case TALLY_TX_ORDER_RESOLVE:
    case TALLY_TX_REVIEW: return TALLY_OK;
    }
    return TALLY_ERR_UNKNOWN_TX_TYPE;
}
