/*
 * proofs.c: see proofs.h. The record is found in the state, its position proved with
 * tally_state_prove and the tip's header read from the block log, all under the node's
 * lock (a few hundred bytes); the JSON is built after.
 */
#include "node/proofs.h"

#include <stdlib.h>
#include <string.h>

#include "node/views.h"

static bool find_position(const tally_state *state, const proof_request *request, tally_table *table,
                          uint32_t *index) {
    switch (request->kind) {
    case PROOF_NETWORK:
        *table = TALLY_TABLE_NETWORKS, *index = request->id - 1;
        return request->id >= 1 && request->id <= tally_state_network_count(state);
    case PROOF_ASSET:
        *table = TALLY_TABLE_ASSETS, *index = request->id - 1;
        return request->id >= 1 && request->id <= tally_state_asset_count(state);
    case PROOF_MEMBER:
        *table = TALLY_TABLE_MEMBERS;
        return tally_state_member_position(state, request->id, &request->key, index);
    case PROOF_ACCOUNT:
        *table = TALLY_TABLE_ACCOUNTS;
        return tally_state_account_position(state, &request->key, index);
    case PROOF_SHARES:
        *table = TALLY_TABLE_HOLDINGS;
        return tally_state_holding_position(state, TALLY_HOLDING_SHARES | request->id, &request->key, index);
    case PROOF_HOLDING:
        *table = TALLY_TABLE_HOLDINGS;
        return tally_state_holding_position(state, request->id, &request->key, index);
    case PROOF_PENDING:
        *table = TALLY_TABLE_PENDINGS, *index = request->id - 1;
        return tally_state_pending(state, request->id) != NULL;
    case PROOF_REQUEST:
        *table = TALLY_TABLE_REQUESTS, *index = request->id - 1;
        return tally_state_request(state, request->id) != NULL;
    case PROOF_STAKE:
        *table = TALLY_TABLE_STAKES, *index = request->id - 1;
        return tally_state_stake(state, request->id) != NULL;
    case PROOF_LISTING:
        *table = TALLY_TABLE_LISTINGS, *index = request->id - 1;
        return tally_state_listing(state, request->id) != NULL;
    case PROOF_ORDER:
        *table = TALLY_TABLE_ORDERS, *index = request->id - 1;
        return tally_state_order(state, request->id) != NULL;
    }
    return false;
}

bool node_prove(node *n, const proof_request *request, node_proof *out, unsigned *status, const char **code) {
    const tally_state *state = node_read_begin(n);
    if (!state) {
        *status = 503, *code = "NODE_FAILED";
        return false;
    }
    tally_table table;
    uint32_t index;
    bool found = find_position(state, request, &table, &index);
    bool proved = found && tally_state_prove(state, table, index, &out->proof);
    uint8_t hash[TALLY_HASH_BYTES];
    tally_chain_failure failure;
    bool read = proved && tally_blocklog_header(node_log(n), node_tip(n)->height, &out->header, hash, &failure) ==
                              TALLY_CHAIN_OK;
    node_read_end(n);
    if (!found) *status = 404, *code = "NOT_FOUND";
    else if (!read) *status = 500, *code = "PROOF_UNAVAILABLE"; /* the commitment is always the tip's: a defect */
    return read;
}

/* By tally_table: a name for each (a table without one would fail every proof's view). */
static const char *const table_names[] = {"networks", "assets",    "members", "accounts", "holdings",
                                          "pendings", "requests",  "gateways", "stakes",  "proposals",
                                          "votes",    "listings",  "orders"};
_Static_assert(sizeof table_names / sizeof table_names[0] == TALLY_TABLE_COUNT, "a name for every table");

/* What the record says, for people; the proof's bytes are what a checker trusts. */
static json_t *record_view(const tally_state_proof *proof) {
    tally_record r;
    if (tally_state_proof_record(proof, &r)) switch ((tally_table)proof->table) {
    case TALLY_TABLE_NETWORKS:
        return json_pack("{s:i, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "id", (int)r.network.id, "name",
                         r.network.name, "unit", r.network.unit_code, "supply", (json_int_t)r.network.supply, "debt",
                         (json_int_t)r.network.debt, "pool_primary", (json_int_t)r.network.pool_primary, "pool_buffer",
                         (json_int_t)r.network.pool_buffer, "pool_excess", (json_int_t)r.network.pool_excess,
                         "pool_shares", (json_int_t)r.network.pool_total_shares);
    case TALLY_TABLE_ASSETS:
        return json_pack("{s:i, s:s, s:I, s:I}", "id", (int)r.asset.id, "code", r.asset.code, "issued",
                         (json_int_t)r.asset.issued, "burned", (json_int_t)r.asset.burned);
    case TALLY_TABLE_MEMBERS:
        return json_pack("{s:i, s:o, s:s, s:I, s:I, s:s, s:I}", "network", (int)r.member.network_id, "address",
                         view_address(&r.member.key), "status", view_member_status_name(r.member.status), "balance",
                         (json_int_t)r.member.balance, "limit", (json_int_t)r.member.limit, "line",
                         view_line_status_name(r.member.line_status), "period_end", (json_int_t)r.member.period_end);
    case TALLY_TABLE_ACCOUNTS:
        return json_pack("{s:o, s:I}", "address", view_address(&r.account.key), "next_sequence",
                         (json_int_t)r.account.next_sequence);
    case TALLY_TABLE_HOLDINGS:
        return json_pack("{s:I, s:b, s:o, s:I, s:I}", "owner", (json_int_t)(r.holding.owner_id & ~TALLY_HOLDING_SHARES),
                         "shares", (r.holding.owner_id & TALLY_HOLDING_SHARES) != 0, "address",
                         view_address(&r.holding.key), "amount", (json_int_t)r.holding.amount, "epoch",
                         (json_int_t)r.holding.epoch);
    case TALLY_TABLE_PENDINGS:
        return json_pack("{s:I, s:i, s:o, s:o, s:I, s:I, s:I, s:s}", "id", (json_int_t)r.pending.id, "network",
                         (int)r.pending.network_id, "payer", view_address(&r.pending.payer), "payee",
                         view_address(&r.pending.payee), "amount", (json_int_t)r.pending.amount, "fee",
                         (json_int_t)r.pending.fee, "timeout", (json_int_t)r.pending.timeout, "status",
                         view_hold_status_name(r.pending.status));
    case TALLY_TABLE_REQUESTS:
        return json_pack("{s:I, s:i, s:o, s:I, s:I, s:s}", "id", (json_int_t)r.request.id, "network",
                         (int)r.request.network_id, "payee", view_address(&r.request.payee), "amount",
                         (json_int_t)r.request.amount, "expiry", (json_int_t)r.request.expiry, "status",
                         view_request_status_name(r.request.status));
    case TALLY_TABLE_GATEWAYS:
        return json_pack("{s:I, s:i, s:i, s:I, s:I, s:s}", "id", (json_int_t)r.gateway.id, "network_a",
                         (int)r.gateway.network_a, "network_b", (int)r.gateway.network_b, "rate_a",
                         (json_int_t)r.gateway.terms.rate_a, "rate_b", (json_int_t)r.gateway.terms.rate_b, "status",
                         tally_gateway_status_name(r.gateway.status));
    case TALLY_TABLE_STAKES:
        return json_pack("{s:I, s:i, s:o, s:o, s:I, s:I, s:I}", "id", (json_int_t)r.stake.id, "network",
                         (int)r.stake.network_id, "member", view_address(&r.stake.member), "underwriter",
                         view_address(&r.stake.underwriter), "amount", (json_int_t)r.stake.amount, "earned",
                         (json_int_t)r.stake.earned, "slashed", (json_int_t)r.stake.slashed);
    case TALLY_TABLE_PROPOSALS:
        return json_pack("{s:I, s:i, s:o, s:s, s:s, s:I, s:I, s:I, s:I}", "id", (json_int_t)r.proposal.id, "network",
                         (int)r.proposal.network_id, "proposer", view_address(&r.proposal.proposer), "action",
                         tally_tx_type_name(r.proposal.action.type), "status",
                         tally_proposal_status_name(r.proposal.status), "yes", (json_int_t)r.proposal.yes, "no",
                         (json_int_t)r.proposal.no, "abstain", (json_int_t)r.proposal.abstain, "eligible_weight",
                         (json_int_t)r.proposal.eligible_weight);
    case TALLY_TABLE_VOTES:
        return json_pack("{s:I, s:o, s:i, s:I}", "proposal", (json_int_t)r.vote.proposal_id, "voter",
                         view_address(&r.vote.voter), "choice", (int)r.vote.choice, "weight", (json_int_t)r.vote.weight);
    case TALLY_TABLE_LISTINGS:
        return json_pack("{s:I, s:i, s:o, s:s, s:s, s:I, s:I, s:I}", "id", (json_int_t)r.listing.id, "network",
                         (int)r.listing.network_id, "seller", view_address(&r.listing.seller), "kind",
                         tally_listing_kind_name(r.listing.kind), "status", tally_listing_status_name(r.listing.status),
                         "price", (json_int_t)r.listing.price, "quantity", (json_int_t)r.listing.quantity, "expiry",
                         (json_int_t)r.listing.expiry);
    case TALLY_TABLE_ORDERS:
        return json_pack("{s:I, s:i, s:I, s:o, s:o, s:I, s:I, s:s}", "id", (json_int_t)r.order.id, "network",
                         (int)r.order.network_id, "listing", (json_int_t)r.order.listing_id, "buyer",
                         view_address(&r.order.buyer), "seller", view_address(&r.order.seller), "amount",
                         (json_int_t)r.order.amount, "paid", (json_int_t)r.order.paid, "status",
                         tally_order_status_name(r.order.status));
    case TALLY_TABLE_COUNT: break;
    }
    return json_null();
}

json_t *view_proof(const node_proof *p) {
    uint8_t header[TALLY_BLOCK_HEADER_BYTES];
    tally_block_header_encode(&p->header, header);
    uint8_t *proof_bytes = malloc(TALLY_PROOF_ENCODED_MAX);
    if (!proof_bytes) return NULL;
    size_t length = tally_state_proof_encode(&p->proof, proof_bytes, TALLY_PROOF_ENCODED_MAX);
    json_t *view = json_pack("{s:o, s:o, s:I, s:o, s:o, s:s, s:I, s:o}", "header",
                             view_hex(header, sizeof header), "proof", view_hex(proof_bytes, length), "height",
                             (json_int_t)p->header.height, "state_hash",
                             view_hex(p->header.state_hash, TALLY_HASH_BYTES), "producer",
                             view_address(&p->header.producer), "table", table_names[p->proof.table], "index",
                             (json_int_t)p->proof.index, "record", record_view(&p->proof));
    free(proof_bytes);
    return view;
}
