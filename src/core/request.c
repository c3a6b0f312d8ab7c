/*
 * request.c: payment requests (invoices), DESIGN.md "Pending transfers (escrow) and
 * payment requests". A member asks an amount of one member (or of any member of the
 * network) until an expiry; paying it is one transaction that names it, and is a
 * TRANSFER of the request's amount to its maker under every rule of one (fees, the
 * payer's credit, the payee's cap), so a request can never move money a payment
 * could not. A request ends at most once: paid, cancelled by its maker, or expired
 * at the block end its expiry reaches (a due entry, as a hold's timeout). From its
 * expiry on it cannot be paid, even in a block whose end has not expired it yet.
 * Nothing is reserved by a request: it is a question, the payer's answer moves the
 * money.
 */
#include "core/ledger.h"

#include <string.h>

const char *tally_request_status_name(uint8_t status) {
    static const char *const names[TALLY_REQUEST_STATUS_COUNT] = {"open", "paid", "cancelled", "expired"};
    return status < TALLY_REQUEST_STATUS_COUNT ? names[status] : NULL;
}

/* A year: the furthest an expiry may be. */
#define REQUEST_EXPIRY_MAX_SECONDS (366 * 86400)

/* Its maker has one open request fewer. */
static void ended(tally_state *state, const tally_request *request) {
    tally_member *maker = ledger_member(state, request->network_id, &request->payee);
    assert(maker && maker->requests_open > 0);
    if (maker && maker->requests_open > 0) maker->requests_open--;
}

tally_result request_create(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_request_create *body = &tx->body.request_create;
    const tally_network *network = tally_state_network(state, body->network_id);
    if (!network) return result_error(TALLY_ERR_UNKNOWN_NETWORK);
    if (body->amount <= 0) return result_error(TALLY_ERR_AMOUNT_NOT_POSITIVE);
    tally_error memo = ledger_memo_check(&body->memo);
    if (memo != TALLY_OK) return result_error(memo);
    if (ledger_keys_equal(&tx->signer, &body->payer)) return result_error(TALLY_ERR_SELF_TRANSFER);
    if (body->expiry <= block_time || body->expiry - block_time > REQUEST_EXPIRY_MAX_SECONDS)
        return result_error(TALLY_ERR_BAD_EXPIRY);
    if (tally_key_is_system(&body->payer)) return result_error(TALLY_ERR_SYSTEM_ACCOUNT);
    tally_member *maker = ledger_current_member(state, network->id, &tx->signer);
    if (!maker) return result_error(TALLY_ERR_NOT_MEMBER);
    if (!ledger_key_is_zero(&body->payer) && !ledger_current_member_read(state, network->id, &body->payer))
        return result_error(TALLY_ERR_NOT_MEMBER);
    if (maker->requests_open >= TALLY_OPEN_PER_MEMBER_MAX) return result_error(TALLY_ERR_TOO_MANY_OPEN);
    /* Room was reserved for one record and its due entry (ledger_reserve). */
    uint32_t index = state->request_count++;
    tally_request *request = &state->requests[index];
    memset(request, 0, sizeof *request);
    request->id = index + 1;
    request->network_id = network->id;
    request->payee = tx->signer;
    request->payer = body->payer;
    request->amount = body->amount;
    request->expiry = body->expiry;
    request->created_at = block_time;
    request->status = TALLY_REQUEST_OPEN;
    maker->requests_open++;
    ledger_touch(state, TALLY_TABLE_REQUESTS, index);
    ledger_due_push(state, body->expiry, DUE_REQUEST, index);
    tally_result result = result_error(TALLY_OK);
    result.created_id = request->id;
    return result;
}

/* The request a PAY or CANCEL names, still open at block_time; or why not. */
static tally_error open_request(const tally_state *state, uint32_t id, int64_t block_time) {
    const tally_request *request = tally_state_request(state, id);
    if (!request) return TALLY_ERR_REQUEST_NOT_FOUND;
    switch ((tally_request_status)request->status) {
    case TALLY_REQUEST_PAID: return TALLY_ERR_REQUEST_PAID;
    case TALLY_REQUEST_CANCELLED: return TALLY_ERR_REQUEST_CANCELLED;
    case TALLY_REQUEST_EXPIRED: return TALLY_ERR_REQUEST_EXPIRED;
    case TALLY_REQUEST_OPEN:
    case TALLY_REQUEST_STATUS_COUNT: break;
    }
    return block_time >= request->expiry ? TALLY_ERR_REQUEST_EXPIRED : TALLY_OK;
}

tally_result request_pay(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_request_end *body = &tx->body.request_end;
    tally_error error = open_request(state, body->request_id, block_time);
    if (error != TALLY_OK) return result_error(error);
    const tally_request *seen = tally_state_request(state, body->request_id);
    if (!ledger_key_is_zero(&seen->payer) && !ledger_keys_equal(&seen->payer, &tx->signer))
        return result_error(TALLY_ERR_NOT_REQUEST_PAYER);
    /* The payment itself is a transfer's, with everything a transfer checks. */
    tally_tx transfer = {.type = TALLY_TX_TRANSFER, .signer = tx->signer};
    transfer.body.transfer = (tally_tx_transfer){
        .network_id = seen->network_id, .payee = seen->payee, .amount = seen->amount, .max_fee = body->max_fee};
    tally_result result = transfer_apply(state, &transfer, block_time);
    if (result.code != TALLY_OK) return result;
    tally_request *request = ledger_request_at(state, body->request_id - 1);
    request->status = TALLY_REQUEST_PAID;
    request->paid_by = tx->signer;
    ended(state, request);
    return result;
}

tally_result request_cancel(tally_state *state, const tally_tx *tx, int64_t block_time) {
    const tally_tx_request_end *body = &tx->body.request_end;
    /* Past its expiry a request is expired for everyone, its maker too. */
    tally_error error = open_request(state, body->request_id, block_time);
    if (error != TALLY_OK) return result_error(error);
    if (!ledger_keys_equal(&tally_state_request(state, body->request_id)->payee, &tx->signer))
        return result_error(TALLY_ERR_NOT_REQUEST_CREATOR);
    tally_request *request = ledger_request_at(state, body->request_id - 1);
    request->status = TALLY_REQUEST_CANCELLED;
    ended(state, request);
    return result_error(TALLY_OK);
}

bool request_due(tally_state *state, uint32_t request_index, int64_t due_time, ledger_block_end *end) {
    if (request_index >= state->request_count) return false;
    const tally_request *seen = &state->requests[request_index];
    if (seen->status != TALLY_REQUEST_OPEN || seen->expiry != due_time) return false; /* ended before */
    tally_request *request = ledger_request_at(state, request_index);
    request->status = TALLY_REQUEST_EXPIRED;
    ended(state, request);
    ledger_event(end, TALLY_EVENT_REQUEST_EXPIRED, request->network_id, &request->payee, request->amount, request->id);
    return true;
}
