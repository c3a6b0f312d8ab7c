/*
 * index_escrow.c: the holds (pending transfers) and payment requests the index keeps.
 * The writer puts each as it is made and follows its status through the blocks (a
 * post, a void, a timeout's event, a default voiding its payer's holds; a payment,
 * a cancel, an expiry's event), so that a post, void or payment is placed in its
 * network with the entries of the money it moves, and a member's holds and requests
 * can be listed. The state keeps the authoritative records; readers show those.
 */
#include "node/index_internal.h"

#include <inttypes.h>

index_error index_hold_put(tally_index *index, const index_hold *hold, const tally_key *resolver, char *why,
                           size_t why_size) {
    binding b = bind_start(index, STATEMENT_HOLD_PUT);
    bind_int(&b, 1, hold->id);
    bind_int(&b, 2, hold->network_id);
    bind_key(&b, 3, &hold->payer);
    bind_key(&b, 4, &hold->payee);
    bind_key(&b, 5, resolver);
    bind_int(&b, 6, hold->amount);
    bind_int(&b, 7, hold->fee);
    return run(index, &b, "writing a hold", why, why_size);
}

index_error index_hold_get(tally_index *index, uint32_t id, index_hold *hold, bool *found, char *why,
                           size_t why_size) {
    memset(hold, 0, sizeof *hold);
    binding b = bind_start(index, STATEMENT_HOLD_GET);
    bind_int(&b, 1, id);
    index_error error = step_row(index, &b, found, "reading a hold", why, why_size);
    if (error == INDEX_OK && *found) {
        int64_t network_id = 0;
        hold->id = id;
        if (!column_integer(b.statement, 0, 1, UINT32_MAX, &network_id) ||
            !column_fixed(b.statement, 1, hold->payer.bytes, TALLY_KEY_BYTES) ||
            !column_fixed(b.statement, 2, hold->payee.bytes, TALLY_KEY_BYTES) ||
            !column_integer(b.statement, 3, 1, INT64_MAX, &hold->amount) ||
            !column_integer(b.statement, 4, 0, INT64_MAX, &hold->fee))
            error = fail_damaged("the holds table", why, why_size);
        hold->network_id = (uint32_t)network_id;
    }
    sqlite3_reset(b.statement);
    return error;
}

index_error index_hold_set_status(tally_index *index, uint32_t id, tally_pending_status status, char *why,
                                  size_t why_size) {
    binding b = bind_start(index, STATEMENT_HOLD_STATUS);
    bind_int(&b, 1, id);
    bind_int(&b, 2, status);
    return run(index, &b, "writing a hold's status", why, why_size);
}

index_error index_holds_void_of(tally_index *index, uint32_t network_id, const tally_key *payer, char *why,
                                size_t why_size) {
    binding b = bind_start(index, STATEMENT_HOLDS_VOID_OF);
    bind_int(&b, 1, network_id);
    bind_key(&b, 2, payer);
    return run(index, &b, "voiding a defaulted member's holds", why, why_size);
}

index_error index_request_put(tally_index *index, const index_request *request, char *why, size_t why_size) {
    binding b = bind_start(index, STATEMENT_REQUEST_PUT);
    bind_int(&b, 1, request->id);
    bind_int(&b, 2, request->network_id);
    bind_key(&b, 3, &request->payee);
    bind_key(&b, 4, request->has_payer ? &request->payer : NULL);
    bind_int(&b, 5, request->amount);
    bind_text(&b, 6, request->memo, request->memo_length);
    return run(index, &b, "writing a payment request", why, why_size);
}

index_error index_request_get(tally_index *index, uint32_t id, index_request *request, bool *found, char *why,
                              size_t why_size) {
    memset(request, 0, sizeof *request);
    binding b = bind_start(index, STATEMENT_REQUEST_GET);
    bind_int(&b, 1, id);
    index_error error = step_row(index, &b, found, "reading a payment request", why, why_size);
    if (error == INDEX_OK && *found) {
        int64_t network_id = 0;
        request->id = id;
        if (!column_integer(b.statement, 0, 1, UINT32_MAX, &network_id) ||
            !column_fixed(b.statement, 1, request->payee.bytes, TALLY_KEY_BYTES) ||
            !column_optional_key(b.statement, 2, &request->has_payer, &request->payer) ||
            !column_integer(b.statement, 3, 1, INT64_MAX, &request->amount) ||
            !column_text(b.statement, 4, request->memo, TALLY_MEMO_MAX, &request->memo_length))
            error = fail_damaged("the requests table", why, why_size);
        request->network_id = (uint32_t)network_id;
    }
    sqlite3_reset(b.statement);
    return error;
}

index_error index_request_set_status(tally_index *index, uint32_t id, tally_request_status status, char *why,
                                     size_t why_size) {
    binding b = bind_start(index, STATEMENT_REQUEST_STATUS);
    bind_int(&b, 1, id);
    bind_int(&b, 2, status);
    return run(index, &b, "writing a payment request's status", why, why_size);
}

index_error index_gateway_put(tally_index *index, const index_gateway *gateway, char *why, size_t why_size) {
    binding b = bind_start(index, STATEMENT_GATEWAY_PUT);
    bind_int(&b, 1, gateway->id);
    bind_int(&b, 2, gateway->network_a);
    bind_int(&b, 3, gateway->network_b);
    return run(index, &b, "writing a gateway", why, why_size);
}

index_error index_gateway_get(tally_index *index, uint32_t id, index_gateway *gateway, bool *found, char *why,
                              size_t why_size) {
    memset(gateway, 0, sizeof *gateway);
    binding b = bind_start(index, STATEMENT_GATEWAY_GET);
    bind_int(&b, 1, id);
    index_error error = step_row(index, &b, found, "reading a gateway", why, why_size);
    if (error == INDEX_OK && *found) {
        int64_t a = 0, bn = 0;
        gateway->id = id;
        if (!column_integer(b.statement, 0, 1, UINT32_MAX, &a) || !column_integer(b.statement, 1, 1, UINT32_MAX, &bn))
            error = fail_damaged("the gateways table", why, why_size);
        gateway->network_a = (uint32_t)a;
        gateway->network_b = (uint32_t)bn;
    }
    sqlite3_reset(b.statement);
    return error;
}

index_error index_proposal_put(tally_index *index, const index_proposal *proposal, char *why, size_t why_size) {
    binding b = bind_start(index, STATEMENT_PROPOSAL_PUT);
    bind_int(&b, 1, proposal->id);
    bind_int(&b, 2, proposal->network_id);
    return run(index, &b, "writing a proposal", why, why_size);
}

index_error index_proposal_get(tally_index *index, uint32_t id, index_proposal *proposal, bool *found, char *why,
                               size_t why_size) {
    memset(proposal, 0, sizeof *proposal);
    binding b = bind_start(index, STATEMENT_PROPOSAL_GET);
    bind_int(&b, 1, id);
    index_error error = step_row(index, &b, found, "reading a proposal", why, why_size);
    if (error == INDEX_OK && *found) {
        int64_t network_id = 0;
        proposal->id = id;
        if (!column_integer(b.statement, 0, 1, UINT32_MAX, &network_id))
            error = fail_damaged("the proposals table", why, why_size);
        proposal->network_id = (uint32_t)network_id;
    }
    sqlite3_reset(b.statement);
    return error;
}

/* ------------------------------------------------------------------------ */
/* Readers.                                                                  */
/* ------------------------------------------------------------------------ */

/* One more row than the page is asked for, to know whether an older one exists. */
static index_error ids_of(tally_index *index, statement_id statement, uint32_t network_id, const tally_key *member,
                          uint32_t statuses, uint32_t before_id, uint32_t limit, uint32_t *ids, uint32_t *count,
                          uint32_t *next_before, char *why, size_t why_size) {
    assert(index && member && ids && count && next_before);
    *count = 0;
    *next_before = 0;
    if (limit == 0 || limit > INDEX_HISTORY_LIMIT_MAX)
        return fail(INDEX_ERR_BAD_ARGUMENT, why, why_size, "index: a page holds 1 to %u records, not %" PRIu32,
                    INDEX_HISTORY_LIMIT_MAX, limit);
    binding b = bind_start(index, statement);
    bind_int(&b, 1, network_id);
    bind_key(&b, 2, member);
    bind_int(&b, 3, statuses);
    bind_int(&b, 4, before_id == 0 ? INT64_MAX : before_id);
    bind_int(&b, 5, (int64_t)limit + 1);
    index_error error = INDEX_OK;
    for (uint32_t row_number = 0; row_number <= limit; row_number++) {
        bool row;
        error = step_row(index, &b, &row, "listing holds or requests", why, why_size);
        if (error != INDEX_OK || !row) break;
        if (row_number == limit) {
            *next_before = ids[limit - 1]; /* an older one exists */
            break;
        }
        int64_t id;
        if (!column_integer(b.statement, 0, 1, UINT32_MAX, &id)) {
            error = fail_damaged("the holds or requests table", why, why_size);
            break;
        }
        ids[(*count)++] = (uint32_t)id;
    }
    sqlite3_reset(b.statement);
    if (error != INDEX_OK) *count = 0, *next_before = 0;
    return error;
}

index_error index_holds_of(tally_index *index, uint32_t network_id, const tally_key *member, uint32_t statuses,
                           uint32_t before_id, uint32_t limit, uint32_t *ids, uint32_t *count, uint32_t *next_before,
                           char *why, size_t why_size) {
    return ids_of(index, STATEMENT_HOLDS_OF, network_id, member, statuses, before_id, limit, ids, count, next_before,
                  why, why_size);
}

index_error index_requests_of(tally_index *index, uint32_t network_id, const tally_key *member, uint32_t statuses,
                              uint32_t before_id, uint32_t limit, uint32_t *ids, uint32_t *count,
                              uint32_t *next_before, char *why, size_t why_size) {
    return ids_of(index, STATEMENT_REQUESTS_OF, network_id, member, statuses, before_id, limit, ids, count,
                  next_before, why, why_size);
}

index_error index_pending_in(tally_index *index, uint32_t network_id, const tally_key *member, int64_t *amount,
                             char *why, size_t why_size) {
    assert(index && member && amount);
    *amount = 0;
    binding b = bind_start(index, STATEMENT_HOLDS_IN);
    bind_int(&b, 1, network_id);
    bind_key(&b, 2, member);
    bool row;
    index_error error = step_row(index, &b, &row, "summing holds", why, why_size);
    if (error == INDEX_OK && (!row || !column_integer(b.statement, 0, 0, INT64_MAX, amount)))
        error = fail_damaged("the holds table", why, why_size);
    sqlite3_reset(b.statement);
    return error;
}

index_error index_request_memo(tally_index *index, uint32_t id, char *memo, uint16_t *length, bool *found, char *why,
                               size_t why_size) {
    index_request request;
    index_error error = index_request_get(index, id, &request, found, why, why_size);
    memo[0] = '\0';
    *length = 0;
    if (error == INDEX_OK && *found) {
        memcpy(memo, request.memo, (size_t)request.memo_length + 1);
        *length = request.memo_length;
    }
    return error;
}
