/*
 * network.c: creating a network (with its fee, lost-debt and pool system accounts),
 * changing its policy and its peg to a reserve asset, and the set of operators who
 * may do so. Text rules for names and codes live here too.
 */
#include "core/ledger.h"

#include <string.h>

bool text_is_name(const tally_text *text) {
    if (text->length == 0 || text->length > TALLY_NAME_MAX) return false;
    for (uint16_t i = 0; i < text->length; i++) {
        uint8_t byte = (uint8_t)text->bytes[i];
        if (byte < 0x20 || byte == 0x7f) return false;
        /* C1 control characters (U+0080..U+009F) are UTF-8 0xC2 0x80..0x9F. */
        if (byte == 0xc2 && i + 1 < text->length && (uint8_t)text->bytes[i + 1] < 0xa0) return false;
    }
    return true;
}

bool text_is_code(const tally_text *text) {
    if (text->length == 0 || text->length > TALLY_CODE_MAX) return false;
    for (uint16_t i = 0; i < text->length; i++) {
        char c = text->bytes[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
    }
    return true;
}

static void text_copy(char *out, const tally_text *text) {
    memcpy(out, text->bytes, text->length);
    out[text->length] = '\0';
}

tally_error policy_validate(const tally_policy *policy) {
    bool valid = policy->default_credit_limit >= 0 &&
                 policy->max_credit_limit >= policy->default_credit_limit &&
                 policy->positive_cap >= 0 && policy->fee_bps <= TALLY_BPS_ONE &&
                 policy->default_risk_fee_bps <= TALLY_BPS_ONE && policy->period_seconds > 0 &&
                 policy->min_income_bps <= TALLY_BPS_ONE && policy->target_rtd_bps <= TALLY_BPS_ONE &&
                 policy->compliance_rule < TALLY_COMPLIANCE_COUNT &&
                 policy->membership_mode < TALLY_MEMBERSHIP_COUNT;
    return valid ? TALLY_OK : TALLY_ERR_BAD_POLICY;
}

bool network_is_operator(const tally_network *network, const tally_key *key) {
    for (uint8_t i = 0; i < network->operator_count; i++)
        if (memcmp(network->operators[i].bytes, key->bytes, TALLY_KEY_BYTES) == 0) return true;
    return false;
}

static uint32_t add_system_account(tally_state *state, uint32_t network_id, tally_system_kind kind) {
    tally_key key = tally_system_key(network_id, kind);
    tally_member *member = ledger_member_add(state, network_id, &key);
    member->status = TALLY_MEMBER_SYSTEM;
    member->system_kind = (uint8_t)kind;
    return ledger_member_index(state, member);
}

tally_result network_create(tally_state *state, const tally_tx *tx) {
    const tally_tx_network_create *body = &tx->body.network_create;
    if (!text_is_name(&body->name)) return result_error(TALLY_ERR_BAD_NAME);
    if (!text_is_code(&body->unit_code)) return result_error(TALLY_ERR_BAD_CODE);
    if (body->decimals > TALLY_DECIMALS_MAX) return result_error(TALLY_ERR_BAD_DECIMALS);
    tally_error policy_error = policy_validate(&body->policy);
    if (policy_error != TALLY_OK) return result_error(policy_error);
    if (ledger_network_by_name(state, body->name.bytes, body->name.length)) return result_error(TALLY_ERR_NAME_TAKEN);
    if (state->network_count >= TALLY_NETWORKS_MAX) return result_error(TALLY_ERR_STATE_FULL);

    uint32_t id = state->network_count + 1;
    tally_network *network = &state->networks[state->network_count];
    memset(network, 0, sizeof *network);
    network->id = id;
    network->founder = tx->signer;
    text_copy(network->name, &body->name);
    text_copy(network->unit_code, &body->unit_code);
    network->decimals = body->decimals;
    network->policy = body->policy;
    network->operator_count = 1;
    network->operators[0] = tx->signer;
    network->fee_member = add_system_account(state, id, TALLY_SYSTEM_FEES);
    network->lost_debt_member = add_system_account(state, id, TALLY_SYSTEM_LOST_DEBT);
    network->pool_member = add_system_account(state, id, TALLY_SYSTEM_POOL);
    state->network_count++;
    ledger_name_insert(state, network);

    tally_result result = result_error(TALLY_OK);
    result.created_id = id;
    return result;
}

/* The network named by a transaction, if its signer operates it. */
static tally_error operated_network(tally_state *state, const tally_tx *tx, uint32_t network_id,
                                    tally_network **network) {
    *network = ledger_network(state, network_id);
    if (!*network) return TALLY_ERR_UNKNOWN_NETWORK;
    if (!network_is_operator(*network, &tx->signer)) return TALLY_ERR_NOT_OPERATOR;
    return TALLY_OK;
}

tally_result network_policy_update(tally_state *state, const tally_tx *tx) {
    const tally_tx_policy_update *body = &tx->body.policy_update;
    tally_network *network;
    tally_error error = operated_network(state, tx, body->network_id, &network);
    if (error == TALLY_OK) error = policy_validate(&body->policy);
    if (error != TALLY_OK) return result_error(error);
    /* Existing lines keep their limits, periods and fees: a policy applies to what
     * is opened, renewed or paid after it. */
    network->policy = body->policy;
    return result_error(TALLY_OK);
}

tally_result network_peg_set(tally_state *state, const tally_tx *tx) {
    const tally_tx_peg_set *body = &tx->body.peg_set;
    tally_network *network;
    tally_error error = operated_network(state, tx, body->network_id, &network);
    if (error != TALLY_OK) return result_error(error);
    if (body->asset_id != 0) {
        if (!tally_state_asset(state, body->asset_id)) return result_error(TALLY_ERR_UNKNOWN_ASSET);
        if (body->peg_reserve_units <= 0 || body->peg_credit_units <= 0)
            return result_error(TALLY_ERR_BAD_PEG);
    }
    bool pool_holds_reserve = network->pool_primary || network->pool_buffer || network->pool_excess;
    if (body->asset_id != network->reserve_asset_id && pool_holds_reserve)
        return result_error(TALLY_ERR_POOL_NOT_EMPTY);
    if (body->asset_id != network->reserve_asset_id && network->pool_total_shares > 0) {
        /* An empty pool's shares are worth nothing; a new asset starts them afresh. */
        network->pool_share_epoch++;
        network->pool_total_shares = 0;
    }
    network->reserve_asset_id = body->asset_id;
    network->peg_reserve_units = body->asset_id ? body->peg_reserve_units : 0;
    network->peg_credit_units = body->asset_id ? body->peg_credit_units : 0;
    return result_error(TALLY_OK);
}

tally_result network_operator_add(tally_state *state, const tally_tx *tx) {
    const tally_tx_network_key *body = &tx->body.network_key;
    tally_network *network;
    tally_error error = operated_network(state, tx, body->network_id, &network);
    if (error != TALLY_OK) return result_error(error);
    if (tally_key_is_system(&body->key)) return result_error(TALLY_ERR_SYSTEM_ACCOUNT);
    if (network_is_operator(network, &body->key)) return result_error(TALLY_ERR_ALREADY_OPERATOR);
    if (network->operator_count >= TALLY_OPERATORS_MAX) return result_error(TALLY_ERR_TOO_MANY_OPERATORS);
    network->operators[network->operator_count++] = body->key;
    return result_error(TALLY_OK);
}

tally_result network_operator_remove(tally_state *state, const tally_tx *tx) {
    const tally_tx_network_key *body = &tx->body.network_key;
    tally_network *network;
    tally_error error = operated_network(state, tx, body->network_id, &network);
    if (error != TALLY_OK) return result_error(error);
    uint8_t position = 0;
    while (position < network->operator_count &&
           memcmp(network->operators[position].bytes, body->key.bytes, TALLY_KEY_BYTES) != 0)
        position++;
    if (position == network->operator_count) return result_error(TALLY_ERR_UNKNOWN_OPERATOR);
    if (network->operator_count == 1) return result_error(TALLY_ERR_LAST_OPERATOR);
    /* Keep the order of the others: operators are listed in the order they were added. */
    memmove(&network->operators[position], &network->operators[position + 1],
            (size_t)(network->operator_count - position - 1) * sizeof network->operators[0]);
    network->operator_count--;
    memset(&network->operators[network->operator_count], 0, sizeof network->operators[0]);
    return result_error(TALLY_OK);
}
